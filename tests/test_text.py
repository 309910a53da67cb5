from hypothesis import given, strategies as st

from embedcli.text import TextSettings, normalize, tokenize


def test_words_apostrophes_hyphens_and_punctuation():
    assert tokenize("Don't stop -- it's well-known! (really)") == ["don't", "stop", "it's", "well-known", "really"]


def test_unicode_forms_and_case_are_one_token():
    # composed, decomposed, upper case and a typographic apostrophe
    assert tokenize("Café cafe\u0301 CAFÉ") == ["café", "café", "café"]
    assert tokenize("don\u2019t") == ["don't"]
    assert tokenize("\ufb01ne \uff28\uff45\uff4c\uff4c\uff4f") == ["fine", "hello"]  # NFKC ligature, full width


def test_keep_case_and_punct():
    settings = TextSettings(lower=False, keep_punct=True)
    assert tokenize("Hello, World!", settings) == ["Hello", ",", "World", "!"]


def test_crlf_and_digits():
    assert tokenize("pi is 3.14\r\nnext") == ["pi", "is", "3", "14", "next"]


def test_underscore_is_not_a_word_character():
    assert tokenize("snake_case") == ["snake", "case"]


@given(st.text())
def test_normalisation_is_idempotent(text):
    once = normalize(text)
    assert normalize(once) == once
    assert tokenize(once) == tokenize(text)


@given(st.text())
def test_tokens_have_no_whitespace_and_are_normalised(text):
    for tok in tokenize(text):
        assert tok and not any(ch.isspace() for ch in tok)
        assert normalize(tok) == tok
