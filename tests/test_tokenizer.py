"""The one tokenizer: the fast byte-level path equals the reference regex path on any text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings as hsettings, strategies as st

from embedcli.text import TextSettings
from embedcli.tokenizer import PieceTokenizer, line_token_pattern, tokenize
from embedcli.text import normalize

SETTINGS = [
    TextSettings(),
    TextSettings(lower=False),
    TextSettings(keep_punct=True),
    TextSettings(unicode="none"),
    TextSettings(unicode="NFC", lower=False, keep_punct=True),
]


# awkward pieces: apostrophes/hyphens at edges, ASCII punctuation, <=> with U+0338 (NFKC
# composes them), ligatures, final sigma, dotted I, NBSP, typographic apostrophe, combining
# accents, full-width letters, digits, underscores, CR
ATOMS = [
    "the", "The", "THE", "don't", "'tis", "well-known", "a--b", "x'-y", "-", "--", "'", "_", "a_b",
    "e\u0301", "caf\u00e9", "CAF\u00c9", "\ufb01ne", "\u039f\u0394\u039f\u03a3", "\u03a3.", "\u0130stanbul",
    "<\u0338", "=\u0338", ">", "<", "a<\u0338b", "\u00a0", "\u3000", "it\u2019s", "\u2019", "42", "3.14",
    "\u00bd", "\u2460", "\u0301", "\x1c", "word,", "(x)", "\u00e9t\u00e9", "\uff28\uff45\uff4c\uff4c\uff4f",
    "\u0664\u0662", "A.B", "x=y", "\r",
]


WS = [" ", "\t", "\n", "\r\n", "  ", "\n\n", "\x0b", "\x0c"]


texts = st.lists(
    st.tuples(st.sampled_from(ATOMS) | st.text(min_size=1, max_size=5), st.sampled_from(WS + [""])),
    max_size=40,
).map(lambda pairs: "".join(a + w for a, w in pairs))


def _utf8(text: str) -> bytes | None:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates are no UTF-8 text
        return None


@hsettings(max_examples=400, deadline=None)
@given(text=texts, which=st.integers(0, len(SETTINGS) - 1))
def test_byte_path_equals_reference_path(text, which):
    raw = _utf8(text)
    if raw is None:
        return
    settings = SETTINGS[which]
    assert PieceTokenizer(settings).tokenize_bytes(raw) == tokenize(text, settings)


@pytest.mark.parametrize("text", ["\u03a3.\u03a3. ", "the\u03a3.the ", "\u0398\u0395\u039f\u03a3.A x", "a\u03a3:b",
                                  "\u03a3`\u03a3^\u03a3 "])
def test_capital_sigma_next_to_punctuation(text):
    """str.lower() decides a final sigma across '.', ':', '^', '`': both paths lower each word alone."""
    for settings in SETTINGS:
        assert PieceTokenizer(settings).tokenize_bytes(text.encode()) == tokenize(text, settings)
    assert tokenize("the\u03a3.the ", TextSettings()) == ["the\u03c2", "the"]


@hsettings(max_examples=200, deadline=None)
@given(text=texts, which=st.integers(0, len(SETTINGS) - 1))
def test_line_pattern_gives_the_tokens_and_the_line_ends(text, which):
    settings = SETTINGS[which]
    found = line_token_pattern(settings).findall(normalize(text, settings))
    assert [t for t in found if t != "\n"] == tokenize(text, settings)
    assert found.count("\n") == normalize(text, settings).count("\n")


def test_pieces_are_tokenised_once_each_and_invalid_utf8_raises():
    tok = PieceTokenizer(TextSettings())
    assert tok.tokenize_bytes("Don't stop -- it's well-known! (r\u00e9ally)".encode()) == [
        "don't", "stop", "it's", "well-known", "r\u00e9ally"]
    assert tok.token_or_tokens(b"Hello") == "hello"
    assert tok.token_or_tokens(b"a'b'") == "a'b"
    assert tok.token_or_tokens("\u00bd".encode()) == ["1", "2"]  # NFKC: 1⁄2
    with pytest.raises(UnicodeDecodeError):
        tok.tokens(b"caf\xe9")
    assert PieceTokenizer(TextSettings(), "replace").tokens(b"caf\xe9") == ["caf"]
