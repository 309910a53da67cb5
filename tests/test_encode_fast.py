"""The fast file encoder (PieceEncoder / iter_encoded_file / encode_file_to_npy) gives exactly the
ids of the reference path (iter_lines + encode_tokens_lines + pad_sequences). The library; the
command-line tests are in test_cli_encode_fast.py."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

import embedcli.io as eio
from embedcli.encode import count_lines, encode_file_to_npy, encode_tokens_lines, iter_encoded_file, pad_sequences, spool_file
from embedcli.errors import EmbedcliError
from embedcli.io import iter_lines
from embedcli.text import TextSettings
from embedcli.vocab import build_vocab

from reference import count_tokens_simple
from support.encode_fast import _write
from support.partial import ATOMS

WS = [" ", " ", "\t", "\n", "\r\n", "\n\n", "  "]


def corpus_text():
    return st.lists(
        st.tuples(st.sampled_from(ATOMS) | st.text(min_size=1, max_size=3), st.sampled_from(WS)), max_size=50
    ).map(lambda pairs: "".join(a + w for a, w in pairs))


def reference(path, vocab, oov):
    return list(encode_tokens_lines(iter_lines(path), vocab, oov))


def fast(path, vocab, oov):
    rows = []
    for flat, lengths in iter_encoded_file(path, vocab, oov):
        assert flat.dtype == np.int32
        start = 0
        for n in lengths.tolist():
            rows.append(flat[start : start + n].tolist())
            start += n
    return rows


@hsettings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    vocab_text=corpus_text(),
    text=corpus_text(),
    keep_punct=st.booleans(),
    lower=st.booleans(),
    oov=st.sampled_from(["unk", "skip"]),
    tail=st.sampled_from(["", "\n", "no newline at the end"]),
    chunk=st.sampled_from([None, 5, 40]),
)
def test_fast_encoder_matches_the_reference(tmp_path, vocab_text, text, keep_punct, lower, oov, tail, chunk):
    text = (text + tail).replace("\x00", "")
    try:
        text.encode("utf-8"), vocab_text.encode("utf-8")
    except UnicodeEncodeError:
        return
    settings = TextSettings(lower=lower, keep_punct=keep_punct)
    vpath = tmp_path / "v.txt"
    vpath.write_text(vocab_text.replace("\x00", "") + " seed", encoding="utf-8")
    counts, total = count_tokens_simple([vpath], settings)
    vocab = build_vocab(counts, total, settings, min_count=1)
    path = tmp_path / "c.txt"
    path.write_bytes(text.encode("utf-8"))
    old = eio.CHUNK_BYTES
    try:
        if chunk:
            eio.CHUNK_BYTES = chunk
        expected = reference(path, vocab, oov)
        got = fast(path, vocab, oov)
        assert count_lines(path) == len(expected)
    finally:
        eio.CHUNK_BYTES = old
    assert got == expected
    # unknown tokens: as many whether written as <unk> or left out, on every path
    n_unknown = sum(row.count(vocab.unk_id) for row in reference(path, vocab, "unk"))
    counted = [0]
    list(encode_tokens_lines(iter_lines(path), vocab, oov, counted))
    with spool_file(path, vocab, oov) as spool:
        assert counted[0] == spool.n_unknown == n_unknown
    for padding, truncating in (("pre", "pre"), ("post", "post"), ("pre", "post")):
        out = tmp_path / "o.npy"
        summary = encode_file_to_npy(path, out, vocab, 4, padding, truncating, vocab.pad_id, oov)
        want = pad_sequences(expected, maxlen=4, padding=padding, truncating=truncating, value=vocab.pad_id)
        arr = np.load(out)
        assert arr.dtype == np.int32 and arr.shape == (len(expected), 4)
        assert (arr == want).all()
        assert summary["rows"] == len(expected) and summary["unknown_tokens"] == n_unknown


def test_bom_crlf_empty_lines_and_final_line(tmp_path):
    counts, total = count_tokens_simple([_write(tmp_path, "v.txt", "hope to see you soon\n")])
    vocab = build_vocab(counts, total)
    path = _write(tmp_path, "c.txt", "\ufeffHope to see\r\n\r\n\nyou SOON, later")
    assert fast(path, vocab, "unk") == reference(path, vocab, "unk") == [[2, 3, 4], [], [], [5, 6, 1]]
    spool = spool_file(path, vocab)
    with spool:
        assert spool.n_rows == 4 and spool.longest == 3 and spool.n_unknown == 1
    empty = _write(tmp_path, "e.txt", "\ufeff")
    assert count_lines(empty) == 0 and fast(empty, vocab, "unk") == []


def test_errors_name_the_line(tmp_path):
    counts, total = count_tokens_simple([_write(tmp_path, "v.txt", "a b\n")])
    vocab = build_vocab(counts, total)
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"a b\n" * 10 + b"a \xff b\n")
    with pytest.raises(EmbedcliError, match="line 11: invalid UTF-8"):
        fast(bad, vocab, "unk")
    bad.write_bytes(b"a b\n" * 10 + b"a \xc3 b\n")
    with pytest.raises(EmbedcliError, match="line 11: invalid UTF-8"):
        fast(bad, vocab, "unk")
    nul = tmp_path / "nul.txt"
    nul.write_bytes(b"a b\n" * 3000 + b"a\x00\n")
    with pytest.raises(EmbedcliError, match="line 3001: NUL byte"):
        fast(nul, vocab, "unk")
    bad.write_bytes(b"a \xff b\n")
    assert list(iter_encoded_file(bad, vocab, "unk", encoding_errors="replace"))[0][0].tolist() == [2, 3]
    unknown = _write(tmp_path, "u.txt", "a b\nb zed a\nwhy\n")
    with pytest.raises(EmbedcliError, match="unknown word 'zed'"):
        fast(unknown, vocab, "error")
