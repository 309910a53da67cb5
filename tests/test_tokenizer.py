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
    TextSettings(join_marks=False),
    TextSettings(join_marks=False, keep_punct=True),
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
    # combining marks inside words: Devanagari (vowel signs, virama), Thai, Arabic harakat, Hebrew
    # points, stacked accents, marks after an apostrophe, a hyphen or a space, an acute accent
    # (NFKC: space + U+0301)
    "\u0928\u092e\u0938\u094d\u0924\u0947", "\u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35", "\u0645\u064e\u0631\u0652",
    "\u05e9\u05b8\u05c1\u05dc\u05d5\u05b9\u05dd", "a\u0301\u0302b", "x'\u0301y", "x-\u0301", "\u00b4", "a\u00b4b",
    "\U00011005\U00011030\U00011044\U00011013", "\U0001f600", "a\U0001d167",  # Brahmi, an emoji, a musical mark
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


@pytest.mark.parametrize("text,joined,split", [
    ("नमस्ते दुनिया", ["नमस्ते", "दुनिया"], ["नमस", "त", "द", "न", "य"]),  # Hindi: vowel signs, virama
    ("สวัสดีครับ", ["สวัสดีครับ"], ["สว", "สด", "คร", "บ"]),  # Thai vowels above the line
    ("مَرْحَبًا بالعالم", ["مَرْحَبًا", "بالعالم"], ["م", "ر", "ح", "ب", "ا", "بالعالم"]),  # Arabic harakat
    ("İstanbul", ["i\u0307stanbul"], ["i", "stanbul"]),  # lower() leaves i + U+0307
    ("cafe\u0301 well-known don't", ["café", "well-known", "don't"], ["café", "well-known", "don't"]),  # NFKC
    ("\u0301a x-\u0301y", ["a", "x", "y"], ["a", "x", "y"]),  # a mark after no letter joins nothing
    ("\U00011005\U00011030\U00011044\U00011013 x\U0001f600", ["\U00011005\U00011030\U00011044\U00011013", "x"],
     ["\U00011005\U00011030", "\U00011013", "x"]),  # Brahmi: a mark beyond U+FFFF; an emoji is no mark
])
def test_combining_marks_stay_in_their_word(text, joined, split):
    assert tokenize(text) == joined
    assert tokenize(text, TextSettings(join_marks=False)) == split  # vocabularies written before join_marks
    for settings in (TextSettings(), TextSettings(join_marks=False)):
        assert PieceTokenizer(settings).tokenize_bytes(text.encode()) == tokenize(text, settings)


def test_the_marks_table_matches_this_python():
    """embedcli.unicode_marks was written from Unicode 15.1; every earlier version's marks are a
    subset of it and a mark never changes category, so on this Python: every mark is in the table
    (when this Python's Unicode is not newer), and every table entry is a mark or not yet assigned."""
    import unicodedata

    from embedcli import unicode_marks

    table = {c for a, b in unicode_marks.table_ranges() for c in range(a, b + 1)}
    here = {c for a, b in unicode_marks.ranges_from_unicodedata() for c in range(a, b + 1)}
    version = tuple(int(x) for x in unicodedata.unidata_version.split("."))
    if version <= tuple(int(x) for x in unicode_marks.UNICODE_VERSION.split(".")):
        assert here <= table
    assert all(c in here or unicodedata.category(chr(c)) == "Cn" for c in table)
    assert len(table) == 2450
