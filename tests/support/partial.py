"""Helpers and fixtures of the partial tests, shared by test_encode_fast.py, test_partial.py."""

from __future__ import annotations


# pieces that exercise every path: ASCII words, apostrophes/hyphens at edges and doubled, ASCII
# punctuation, <=> with U+0338 (NFKC composes them), ligatures, final sigma, dotted I, NBSP,
# ideographic space, typographic apostrophe, combining accents, digits, underscores, CR
ATOMS = [
    "the", "The", "THE", "don't", "'tis", "well-known", "a--b", "x'-y", "-", "--", "'", "_", "a_b",
    "e\u0301", "caf\u00e9", "CAF\u00c9", "\ufb01ne", "\u039f\u0394\u039f\u03a3", "\u03a3.", "\u0130stanbul",
    "<\u0338", "=\u0338", ">", "<", "a<\u0338b", "\u00a0", "\u3000", "it\u2019s", "\u2019", "42", "3.14",
    "\u00bd", "\u2460", "\u0301", "\ufeff", "\x1c", "word,", "(x)", "\u00e9t\u00e9", "na\u00efve", "\u0664\u0662",
]
