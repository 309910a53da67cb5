"""Training's corpus scan (corpus._scan, the byte-level path through tokenizer.PieceIds) gives
exactly what the reference regex scan (reference.scan_regex) gives: the same provisional tokens,
counts, entries and progress reports, hence the same vocabulary and ids; and the same errors."""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings as hsettings, strategies as st

import embedcli.io as eio
from embedcli import corpus
from embedcli.corpus import encode_corpus
from embedcli.errors import EmbedcliError
from embedcli.idstore import IdStore
from embedcli.text import TextSettings
from embedcli.vocab import Vocab

from reference import scan_regex
from support.partial import ATOMS

SETTINGS = [
    TextSettings(),
    TextSettings(lower=False),
    TextSettings(keep_punct=True),
    TextSettings(keep_punct=True, lower=False),
    TextSettings(unicode="none"),
    TextSettings(unicode="NFC", lower=False, keep_punct=True),
]
MORE = ["\u0338", "=", "x\u0338", "<<\u0338", "\u03a3", "\u0130", "\u2028", "\x85", "\x0b", "\x1d", "\r", "\ufffd"]
WS = [" ", "\t", "\n", "\r\n", "\n\n", "\n \n", "  ", "\n\r\n\n"]
BAD = [b"\xff", b"\x80", b"\xe2\x82", b"\xc3", b"caf\xe9", b"\xed\xa0\x80"]  # never valid UTF-8

pieces = st.sampled_from(ATOMS + MORE) | st.text(min_size=1, max_size=4)
texts = st.lists(st.tuples(pieces, st.sampled_from(WS + [""])), max_size=60).map(
    lambda pairs: "".join(a + w for a, w in pairs)
)


def utf8(text: str) -> bytes:
    return text.replace("\x00", "").encode("utf-8", "replace")  # (lone surrogates become '?')


@contextmanager
def sizes(chunk: int, long_line: int, max_sentence: int):
    """Tiny chunks (chunk boundaries everywhere), long-line cuts and sentence cuts."""
    old = corpus.SCAN_CHUNK, eio.LONG_LINE_BYTES, corpus.MAX_SENTENCE
    corpus.SCAN_CHUNK, eio.LONG_LINE_BYTES, corpus.MAX_SENTENCE = chunk, long_line, max_sentence
    try:
        yield
    finally:
        corpus.SCAN_CHUNK, eio.LONG_LINE_BYTES, corpus.MAX_SENTENCE = old


def run_scan(scan, paths, settings, errors, index, tmp_path):
    seen: list[int] = []
    store = IdStore(np.int32, str(tmp_path))
    try:
        tokens, counts, n_tokens, n_entries = scan(paths, settings, store, encoding_errors=errors,
                                                   progress=seen.append, index=index)
        return tokens, counts.tolist(), n_tokens, n_entries, store.array().tolist(), seen
    finally:
        store.close()


def fixed_index(text: str, settings: TextSettings) -> dict[str, int]:
    """A fixed vocabulary (token -> id) made of some of the text's tokens and some others."""
    from embedcli.tokenizer import tokenize

    tokens = ["<pad>", "<unk>"] + list(dict.fromkeys(tokenize(text, settings)))[::2] + ["zzz", "the"]
    return {t: i for i, t in enumerate(dict.fromkeys(tokens))}


@hsettings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    text=texts,
    second=texts,
    bad=st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from(BAD)), max_size=3),
    which=st.integers(0, len(SETTINGS) - 1),
    tail=st.sampled_from(["", "\n", " last line without newline", "\r\n"]),
    chunk=st.sampled_from([1, 3, 17, 64, 1 << 18]),
    long_line=st.sampled_from([1, 8, 1 << 20]),
    max_sentence=st.sampled_from([1, 2, 5, 10_000]),
    fixed=st.booleans(),
    bom=st.booleans(),
    errors=st.sampled_from(["replace", "ignore"]),
)
@example(text="Don't stop\r\n\r\nit's <\u0338 well-known\n\n\n\u039f\u0394\u039f\u03a3. end", second="", bad=[],
         which=0, tail="no newline", chunk=5, long_line=8, max_sentence=2, fixed=False, bom=True, errors="replace")
def test_byte_scan_equals_the_regex_scan(tmp_path, text, second, bad, which, tail, chunk, long_line,
                                         max_sentence, fixed, bom, errors):
    settings = SETTINGS[which]
    data = utf8(text + tail)
    for at, junk in bad:  # invalid UTF-8: replaced (U+FFFD) or dropped the same way on both paths
        at = min(at, len(data))
        data = data[:at] + junk + data[at:]
    paths = [tmp_path / "a.txt", tmp_path / "b.txt"]
    paths[0].write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    paths[1].write_bytes(utf8(second))
    paths = [str(p) for p in paths]
    index = fixed_index(text, settings) if fixed else None
    errors = errors if bad else "strict"
    with sizes(chunk, long_line, max_sentence):
        expected = run_scan(scan_regex, paths, settings, errors, index, tmp_path)
        got = run_scan(corpus._scan, paths, settings, errors, index, tmp_path)
    assert got == expected


def encode_both(paths, monkeypatch, **kw):
    """encode_corpus (in this process) with the library's scan and with the reference scan."""
    out = []
    for scan in (corpus._scan, scan_regex):
        monkeypatch.setattr(corpus, "_scan", scan)
        vocab, enc = encode_corpus(paths, in_child=False, **kw)
        with enc:
            out.append((vocab.tokens, vocab.counts, vocab.corpus_tokens, enc.ids().tolist(), enc.n_entries,
                        enc.n_words, enc.n_sentences, enc.corpus_tokens))
    return out


@pytest.mark.parametrize("settings", SETTINGS[:4])
def test_same_vocabulary_and_ids_as_the_regex_scan(tmp_path, monkeypatch, settings):
    """A mixed text (cases, punctuation, unicode, CRLF, empty and long lines), several chunks."""
    rng = np.random.default_rng(3)
    words = ATOMS + MORE + ["The", "LORD", "said", "unto", "Moses", "caf\u00e9", "na\u00efve", "x-ray", "e.g."]
    lines = []
    for _ in range(400):
        n = int(rng.integers(0, 40))
        lines.append(" ".join(words[int(i)] for i in rng.integers(0, len(words), n)))
    lines.append(" ".join(["long"] * 50))
    p = tmp_path / "mixed.txt"
    p.write_bytes("\r\n".join(lines[:200]).encode() + b"\r\n" + "\n".join(lines[200:]).encode())  # no final \n
    monkeypatch.setattr(corpus, "SCAN_CHUNK", 1 << 10)
    monkeypatch.setattr(corpus, "MAX_SENTENCE", 20)
    new, old = encode_both([p], monkeypatch, settings=settings, min_count=2)
    assert new == old and len(new[0]) > 20
    vocab = Vocab(tokens=new[0][:12], counts=new[1][:12], settings=settings)
    new, old = encode_both([p], monkeypatch, vocab=vocab)  # a fixed vocabulary: unknown words dropped
    assert new == old and -1 in new[3]


@pytest.mark.parametrize("bad", [b"\xff", b"\x80", b"caf\xe9", b"\xe2\x82"])
@pytest.mark.parametrize("chunk", [8, 1 << 18])
def test_invalid_utf8_is_the_same_error_naming_the_file_and_line(tmp_path, monkeypatch, bad, chunk):
    p = tmp_path / "bad.txt"
    p.write_bytes(b"first line\n\nthird line\nok " + bad + b" word\nlast\n")
    monkeypatch.setattr(corpus, "SCAN_CHUNK", chunk)
    messages = []
    for scan in (corpus._scan, scan_regex):
        monkeypatch.setattr(corpus, "_scan", scan)
        with pytest.raises(EmbedcliError) as exc:
            encode_corpus([p], min_count=1, in_child=False)
        messages.append((str(exc.value), exc.value.cli_message()))
    assert messages[0] == messages[1]
    byte = next(b for b in bad if b >= 0x80)
    assert messages[0] == (f"{p}: line 4: invalid UTF-8 (byte 0x{byte:02x}); use encoding_errors replace to go on",
                           f"{p}: line 4: invalid UTF-8 (byte 0x{byte:02x}); use --encoding-errors replace to go on")


def test_a_nul_byte_anywhere_is_an_error_naming_its_line_as_for_the_vocabulary(tmp_path):
    """The scan reads with CheckedChunks, like counting and encoding: a NUL byte after the first
    8 KiB of the first chunk is reported too (the regex scan's reader let it through)."""
    p = tmp_path / "nul.txt"
    p.write_bytes(b"word " * 2000 + b"\n" + b"more text\n" * 2000 + b"bad \x00 here\ntail\n")
    with pytest.raises(EmbedcliError) as exc:
        encode_corpus([p], min_count=1, in_child=False)
    assert str(exc.value) == f"{p}: line 2002: NUL byte, this looks like a binary file"
