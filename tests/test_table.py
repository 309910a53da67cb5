"""show-table: exports (gensim as reference reader), phrase rows, one-hot explanation, plot,
pretrained vector files and init_rows. The library; the command-line tests are in
test_cli_table.py."""

import numpy as np
import pytest
from gensim.models import KeyedVectors

from embedcli.encode import pad_sequences
from embedcli.errors import EmbedcliError
from embedcli.inspect import abbreviate_onehot, explain, pca_2d, phrase_rows
from embedcli.vectors import init_rows, open_vectors

from reference import encode_phrases
from support.table import make_model


# -- phrases ------------------------------------------------------------------------------------
@pytest.mark.parametrize("maxlen,padding,truncating", [
    (None, "pre", "pre"), (8, "pre", "pre"), (8, "post", "pre"), (3, "pre", "pre"), (3, "pre", "post"),
    (3, "post", "post"), (5, "post", "pre"),
])
def test_phrase_rows_equal_embedding_lookup(tmp_path, maxlen, padding, truncating):
    _, vocab, table = make_model(tmp_path, dim=3)
    phrase = "Nice to see YOU again, stranger"
    rows = phrase_rows(vocab, table, phrase, maxlen=maxlen, padding=padding, truncating=truncating)
    ids = encode_phrases([phrase], vocab)
    if maxlen is not None:
        ids = pad_sequences(ids, maxlen=maxlen, padding=padding, truncating=truncating, value=vocab.pad_id)
    ids = np.asarray(ids[0])
    # a Keras Embedding layer with table.npy as weights returns take(table, ids, axis=0)
    expected = np.take(table, ids, axis=0)
    assert np.array_equal(np.stack([r.vector for r in rows]), expected)
    assert [r.index for r in rows] == ids.tolist()
    assert [r.position for r in rows] == list(range(len(ids)))
    assert "<unk>" in [r.token for r in rows] or maxlen == 3


def test_explain_detects_a_mismatch(tmp_path):
    _, vocab, table = make_model(tmp_path, dim=2)
    table = table.copy()
    table[3, 0] = np.nan  # NaN * 0 poisons the product: the comparison must notice
    e = explain(vocab, table, "to")
    assert e.index == 3 and not e.equal
    e = explain(vocab, table, "see")
    assert not e.equal and np.isnan(e.product[0])


def test_abbreviate_onehot():
    assert abbreviate_onehot(2, 5) == "[0 0 1 0 0]"
    assert abbreviate_onehot(500, 1000) == "[0 0 0 … 0 0 1 0 0 … 0]"
    assert abbreviate_onehot(0, 1000) == "[1 0 0 … 0]"
    assert abbreviate_onehot(999, 1000) == "[0 0 0 … 0 0 1]"


# -- plot ---------------------------------------------------------------------------------------
def test_pca_matches_covariance_eigenvectors():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((40, 5)) @ np.diag([5, 3, 1, 0.5, 0.1])
    coords, share = pca_2d(x)
    xc = x - x.mean(0)
    w, v = np.linalg.eigh(np.cov(xc.T))
    top = v[:, ::-1][:, :2]
    assert np.allclose(np.abs(coords), np.abs(xc @ top), atol=1e-8)
    assert np.allclose(share, w[::-1][:2] / w.sum())


# -- pretrained vectors -------------------------------------------------------------------------
def _kv(tokens, vectors):
    kv = KeyedVectors(vectors.shape[1])
    kv.add_vectors(tokens, vectors)
    return kv


@pytest.fixture
def pretrained(tmp_path):
    rng = np.random.default_rng(3)
    words = ["see", "You", "hope", "zebra", "to", "soon", "you"]
    vecs = rng.standard_normal((len(words), 2)).astype(np.float32)
    kv = _kv(words, vecs)
    paths = {
        "w2v": tmp_path / "p.txt", "bin": tmp_path / "p.bin", "glove": tmp_path / "p.glove",
    }
    kv.save_word2vec_format(str(paths["w2v"]))
    kv.save_word2vec_format(str(paths["bin"]), binary=True)
    kv.save_word2vec_format(str(paths["glove"]), write_header=False)
    return words, vecs, paths


def test_open_vectors_detects_formats(pretrained):
    words, vecs, paths = pretrained
    for key, fmt in (("w2v", "word2vec"), ("bin", "word2vec-binary"), ("glove", "glove")):
        info, it = open_vectors(str(paths[key]))
        assert info.format == fmt and info.dim == 2
        got = list(it)
        assert [g[0] for g in got] == words
        assert np.array_equal(np.stack([g[1] for g in got]), vecs)


def test_open_vectors_reads_original_word2vec_c_layout(tmp_path):
    # word2vec.c: text lines end with "value \n"; binary records end with "\n"
    vecs = np.array([[0.5, -1.25], [2.0, 3.5]], dtype=np.float32)
    (tmp_path / "c.txt").write_text("2 2\nalpha 0.500000 -1.250000 \nbeta 2.000000 3.500000 \n")
    with open(tmp_path / "c.bin", "wb") as f:
        f.write(b"2 2\n")
        for w, v in zip(["alpha", "beta"], vecs):
            f.write(w.encode() + b" " + v.astype("<f4").tobytes() + b"\n")
    for name in ("c.txt", "c.bin"):
        info, it = open_vectors(str(tmp_path / name))
        got = list(it)
        assert [g[0] for g in got] == ["alpha", "beta"]
        assert np.array_equal(np.stack([g[1] for g in got]), vecs)


@pytest.mark.parametrize("compress", ["gzip", "bz2", "lzma"])
def test_open_vectors_reads_compressed_files(tmp_path, pretrained, compress):
    # glove.6B.100d.txt.gz, GoogleNews-vectors-negative300.bin.gz: decompressed as they are read
    import importlib

    words, vecs, paths = pretrained
    for key, fmt in (("w2v", "word2vec"), ("bin", "word2vec-binary"), ("glove", "glove")):
        packed = tmp_path / f"{paths[key].name}.{compress}"
        packed.write_bytes(importlib.import_module(compress).compress(paths[key].read_bytes()))
        info, it = open_vectors(str(packed))
        assert info.format == fmt and info.dim == 2
        got = list(it)
        assert [g[0] for g in got] == words
        assert np.array_equal(np.stack([g[1] for g in got]), vecs)


def test_open_vectors_reads_lines_longer_than_a_megabyte(tmp_path):
    # a text record of a very large dimension is one line of more than 1 MB: it is still text (not
    # word2vec binary), and a GloVe file's dimension is that of its whole first line
    words = ["aa", "bb"]
    vecs = np.random.default_rng(4).standard_normal((2, 120_000)).astype(np.float32)
    kv = _kv(words, vecs)
    kv.save_word2vec_format(str(tmp_path / "big.txt"))
    kv.save_word2vec_format(str(tmp_path / "big.glove"), write_header=False)
    assert (tmp_path / "big.glove").stat().st_size > 2 * (1 << 20)  # two lines of more than 1 MB
    for name, fmt in (("big.txt", "word2vec"), ("big.glove", "glove")):
        info, it = open_vectors(str(tmp_path / name))
        assert (info.format, info.dim) == (fmt, 120_000)
        got = list(it)
        assert [g[0] for g in got] == words
        assert np.array_equal(np.stack([g[1] for g in got]), vecs)


@pytest.mark.parametrize("content,message", [
    ("3 2\na 1 2\nb 1 x\nc 1 2\n", "line 3: 'x' is not a number"),
    ("3 2\na 1 2\nb 1\nc 1 2\n", "line 3: expected a word and 2 values, got 1"),
    ("3 2\na 1 2\nb 1 2\n", "truncated: the header says 3 vectors, the file has 2"),
    ("1 2\na 1 2\nb 1 2\n", "line 3: more vectors than the header's count"),
    ("a 1 2 3\nb 1 2\n", "line 2: expected a word and 3 values, got 2"),
    ("2 2\na 1 2\nb 1 2 3\n", "line 3: expected a word and 2 values, got 3"),  # not the word 'b 1'
    ("a 1 2\nb -1 2e-3 3\n", "line 2: expected a word and 2 values, got 3"),
    ("a 1 nan\n", "line 1: NaN"),
    # a header's dimension larger than the text lines': the text file it is, not word2vec binary
    ("3 3\na 1 2\nb 1 2\nc 1 2\n", "line 2: expected a word and 3 values, got 2"),
    ("2 5\nthe 0.1 -0.2 3e-2 4\nof 1 2 3 4\n", "line 2: expected a word and 5 values, got 4"),
    # a text line with a bad value was read as word2vec binary: "truncated at vector 2 (byte 14)"
    ("2 2\na 1,5 2\nb 3,5 4\n", "line 2: '1,5' is not a number"),
    ("2 2\na 1  2\nb 3 4\n", "line 2: expected a word and 2 values, got 3 value(s) (two spaces in a row)"),
    ("2 2\na\t1\t2\nb\t3\t4\n", "line 2: expected a word and 2 values, got 0 value(s) (values separated by tabs"),
    ("2 3\nnaïve 0,1 0,2 -0,3\nb 3 4 5\n", "line 2: '0,1' is not a number"),
])
def test_malformed_vector_files(tmp_path, content, message):
    p = tmp_path / "bad.txt"
    p.write_text(content)
    info, it = open_vectors(str(p))
    with pytest.raises(EmbedcliError) as exc:
        list(it)
    assert message in str(exc.value) and str(p) in str(exc.value)
    assert "\n" not in str(exc.value)


def test_glove_first_word_with_spaces(tmp_path):
    # the dimension was the first line's parts but one: a first word ". . ." gave "line 1: '.' is not a number"
    p = tmp_path / "g.txt"
    p.write_text(". . . 3 4\nab 1 2\n")
    info, it = open_vectors(str(p))
    assert info.dim == 2 and [(w, v.tolist()) for w, v, _ in it] == [(". . .", [3, 4]), ("ab", [1, 2])]


def test_glove_words_with_spaces(tmp_path):
    # glove.840B.300d has tokens such as ". . ." and "at name@domain.com": the values are the last dim parts
    p = tmp_path / "g.txt"
    p.write_text("ab 1 2\n. . . 3 4\nat name@domain.com 5 6\n")
    info, it = open_vectors(str(p))
    assert [(w, v.tolist()) for w, v, _ in it] == [("ab", [1, 2]), (". . .", [3, 4]), ("at name@domain.com", [5, 6])]


def test_truncated_binary(tmp_path, pretrained):
    _, _, paths = pretrained
    raw = paths["bin"].read_bytes()
    p = tmp_path / "cut.bin"
    p.write_bytes(raw[:-5])
    info, it = open_vectors(str(p))
    with pytest.raises(EmbedcliError, match="truncated at vector 7"):
        list(it)


def test_init_rows(tmp_path, pretrained):
    words, vecs, paths = pretrained
    _, vocab, _ = make_model(tmp_path, dim=2)
    base = np.full((len(vocab), 2), 9.0, np.float32)
    for key in paths:
        table, found, n = init_rows(vocab, str(paths[key]), 2, table=base)
        assert n == 5 == found.sum()  # see, hope, to, soon, you
        assert np.array_equal(table[vocab.index["see"]], vecs[0])
        # "You" comes first but "you" matches exactly: the exact match wins
        assert np.array_equal(table[vocab.index["you"]], vecs[6])
        assert np.array_equal(table[~found], base[~found])
        assert not found[vocab.index["nice"]]
    assert np.all(base == 9.0)  # not modified
    t1, f1, _ = init_rows(vocab, str(paths["w2v"]), 2, rng=np.random.default_rng(5))
    t2, f2, _ = init_rows(vocab, str(paths["w2v"]), 2, rng=np.random.default_rng(5))
    assert np.array_equal(t1, t2) and t1.dtype == np.float32
    assert np.all(np.abs(t1[~f1]) <= 0.25)
    with pytest.raises(EmbedcliError, match="2-dimensional vectors but the table has dim 3; use dim 2"):
        init_rows(vocab, str(paths["glove"]), 3, rng=np.random.default_rng(0))


def test_init_rows_first_case_variant_wins(tmp_path):
    p = tmp_path / "g.txt"
    p.write_text("Nice 1 1\nNICE 2 2\nagain 3 3\n")
    _, vocab, _ = make_model(tmp_path, dim=2)
    table, found, n = init_rows(vocab, str(p), 2, rng=np.random.default_rng(0))
    assert n == 2 and table[vocab.index["nice"]].tolist() == [1, 1]


@pytest.mark.parametrize("tail", ["\n", "\n\n", "\r\n", "  \n"])
def test_word2vec_text_with_blank_lines_after_the_last_vector(tmp_path, tail):
    # an editor or `echo >>` leaves a blank line at the end; gensim reads the header's count of
    # lines and never sees it, so the file reads as the same vectors (a blank line before the
    # last vector is still an error, and so is a vector after the header's count)
    p = tmp_path / "v.txt"
    p.write_text("2 2\na 1 2\nb 3 4\n" + tail, newline="")
    info, it = open_vectors(str(p))
    assert [(w, v.tolist()) for w, v, _ in it] == [("a", [1, 2]), ("b", [3, 4])]
    p.write_text("2 2\na 1 2\n" + tail + "b 3 4\n", newline="")
    with pytest.raises(EmbedcliError, match="line 3: empty line"):
        list(open_vectors(str(p))[1])
    p.write_text("2 2\na 1 2\nb 3 4\n" + tail + "c 5 6\n", newline="")
    with pytest.raises(EmbedcliError, match="more vectors than the header's count"):
        list(open_vectors(str(p))[1])


def test_a_header_counting_far_more_vectors_than_the_file_holds(tmp_path):
    # read_vectors allocated the header's count of rows first: a wrong count of 10**14 was "not
    # enough memory" (a MemoryError) instead of the file's own error; a plain file can hold no more
    # than size / (2 * dim + 1) records, and a compressed one's count is named when it cannot be held
    import gzip

    from embedcli.vectors import read_vectors

    p = tmp_path / "v.txt"
    p.write_text(f"{10**14} 3\na 1 2 3\nb 4 5 6\n")
    with pytest.raises(EmbedcliError, match="truncated: the header says 100000000000000 vectors, the file has 2"):
        read_vectors(str(p))
    z = tmp_path / "v.txt.gz"
    z.write_bytes(gzip.compress(p.read_bytes()))
    with pytest.raises(EmbedcliError) as exc:
        read_vectors(str(z))
    assert "line 1: the header says 100,000,000,000,000 vectors of 3 values" in str(exc.value)
    assert "is the count right?" in str(exc.value) and str(z) in str(exc.value)
    p.write_text("2 3\na 1 2 3\nb 4 5 6\n")  # a right count: one block of exactly its rows
    info, words, table = read_vectors(str(p))
    assert words == ["a", "b"] and table.tolist() == [[1, 2, 3], [4, 5, 6]]


def test_a_header_with_a_wrong_dimension_says_so_before_allocating(tmp_path):
    # with the rows allocated before the first record, a dimension of 10**14 was a MemoryError
    from embedcli.vectors import read_vectors

    p = tmp_path / "v.txt"
    p.write_text(f"2 {10**14}\na 1 2 3\nb 4 5 6\n")
    with pytest.raises(EmbedcliError, match=f"line 2: expected a word and {10**14} values, got 3"):
        read_vectors(str(p))


def test_a_binary_header_with_a_wrong_dimension_is_a_truncated_file(tmp_path):
    # the reader asked for one record's bytes at once (4 * dim): a dimension of 10**11 was
    # "not enough memory: ; nothing was written"
    p = tmp_path / "v.bin"
    p.write_bytes(f"2 {10**11}\n".encode() + b"a " + np.ones(3, "<f4").tobytes() + b"b " + np.ones(3, "<f4").tobytes())
    info, it = open_vectors(str(p))
    assert info.format == "word2vec-binary"
    with pytest.raises(EmbedcliError, match=f"truncated at vector 1 .*: the header says 2 vectors of {10**11} values"):
        list(it)
