"""Character n-grams and their buckets equal fastText's (the Debian `fasttext` 0.9.2 binary).

A tiny fastText model is trained, its input matrix is rewritten so that row ``r`` holds the
marker value ``r`` (so `print-ngrams` says which row each n-gram uses), and its n-gram strings
and rows are compared with ours, for ASCII and multi-byte UTF-8 words, in and out of its
vocabulary. Then random rows: `print-word-vectors` (mean of a word's rows) equals our composed
vectors for known and unseen words.
"""

from __future__ import annotations

import shutil
import struct
import subprocess

import numpy as np
import pytest

from embedcli.subwords import (
    SubwordSpec,
    char_ngrams,
    fnv1a,
    ngram_buckets,
    oov_vector,
    parse_range,
    vocab_rows,
)
from embedcli.errors import UsageError

FASTTEXT = shutil.which("fasttext")

WORDS = ("the cat sat on mat naïve café straße über déjà vu 東京 東京都 日本語 emoji 😀x a ab "
         "antidisestablishmentarianism").split()
UNSEEN = ["cats", "naïveté", "Ωμέγα", "東京タワー", "😀😀", "z", "ßß", "über-cool"]


def _fasttext() -> str:
    assert FASTTEXT, "the fasttext binary is needed (apt-get install fasttext); .ci/run installs it"
    return FASTTEXT


def _train(tmp_path, minn: int, maxn: int, bucket: int = 997, dim: int = 8) -> str:
    rng = np.random.default_rng(0)
    corpus = tmp_path / "c.txt"
    lines = [" ".join(rng.choice(WORDS, 12)) for _ in range(200)]
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / f"ft{minn}{maxn}"
    subprocess.run([_fasttext(), "skipgram", "-input", str(corpus), "-output", str(out), "-dim", str(dim),
                    "-bucket", str(bucket), "-minCount", "1", "-epoch", "1", "-thread", "1",
                    "-minn", str(minn), "-maxn", str(maxn)], check=True, capture_output=True)
    return str(out) + ".bin"


def _read_bin(path: str):
    """fastText 0.9.2 .bin: (words, offset of the input matrix's floats, rows, dim)."""
    b = open(path, "rb").read()
    magic, version = struct.unpack_from("<ii", b, 0)
    assert (magic, version) == (793712314, 12)
    p = 8 + 12 * 4 + 8  # Args: 12 int32 and a double
    size, nwords, nlabels, ntokens, prune = struct.unpack_from("<iiiqq", b, p)
    p += 28
    words = []
    for _ in range(size):
        end = b.index(b"\0", p)
        words.append(b[p:end].decode("utf-8"))
        p = end + 1 + 8 + 1  # count int64, type int8
    p += max(prune, 0) * 8
    assert b[p] == 0  # not quantised
    p += 1
    m, n = struct.unpack_from("<qq", b, p)
    p += 16
    assert nwords == size and m == nwords + struct.unpack_from("<12id", b, 8)[8]
    return words, p, m, n


def _with_rows(path: str, rows: np.ndarray) -> str:
    words, p, m, n = _read_bin(path)
    b = bytearray(open(path, "rb").read())
    b[p : p + m * n * 4] = np.ascontiguousarray(rows, dtype="<f4").tobytes()
    out = path[:-4] + "-rows.bin"
    open(out, "wb").write(bytes(b))
    return out


def _print_ngrams(model: str, word: str) -> list[tuple[str, np.ndarray]]:
    r = subprocess.run([_fasttext(), "print-ngrams", model, word], check=True, capture_output=True)
    out = []
    for line in r.stdout.decode("utf-8").splitlines():
        parts = line.rstrip().split(" ")
        out.append((parts[0], np.array(parts[1:], dtype=np.float64)))
    return out


@pytest.mark.parametrize("minn,maxn", [(3, 6), (1, 3)])
def test_ngrams_and_buckets_equal_fasttext(tmp_path, minn, maxn):
    bucket = 997
    path = _train(tmp_path, minn, maxn, bucket)
    words, _, m, n = _read_bin(path)
    marked = np.zeros((m, n), dtype=np.float32)
    marked[:, 0] = np.arange(m)
    model = _with_rows(path, marked)
    nwords = len(words)
    checked = 0
    for word in WORDS + UNSEEN:
        got = _print_ngrams(model, word)
        if word in words:  # fastText lists the word's own row first
            assert got[0][0] == word and int(got[0][1][0]) == words.index(word)
            got = got[1:]
        expected = char_ngrams(word, minn, maxn)
        assert [g for g, _ in got] == expected, word
        rows = [int(v[0]) for _, v in got]
        assert rows == list(nwords + ngram_buckets(word, minn, maxn, bucket)), word
        checked += len(rows)
    assert checked > 100


def test_vectors_equal_fasttext_print_word_vectors(tmp_path):
    minn, maxn, bucket = 3, 6, 997
    path = _train(tmp_path, minn, maxn, bucket)
    words, _, m, n = _read_bin(path)
    rows = np.random.default_rng(1).standard_normal((m, n)).astype(np.float32)
    model = _with_rows(path, rows)
    query = WORDS + UNSEEN
    r = subprocess.run([_fasttext(), "print-word-vectors", model], input="\n".join(query).encode("utf-8"),
                       check=True, capture_output=True)
    printed = {}
    for line in r.stdout.decode("utf-8").splitlines():
        parts = line.rstrip().split(" ")
        printed[parts[0]] = np.array(parts[1:], dtype=np.float64)
    assert set(printed) == set(query)
    eos = words.index("</s>")
    table, distinct = vocab_rows(words, minn, maxn, bucket, skip=[eos])
    assert table.n_rows == m and distinct > 0
    ours = table.vectors(rows, np.array([words.index(w) for w in WORDS]))
    for w, v in zip(WORDS, ours):
        np.testing.assert_allclose(v, printed[w], rtol=2e-4, atol=2e-5, err_msg=w)
    for w in UNSEEN:
        v = oov_vector(w, table.spec, rows[len(words):])
        np.testing.assert_allclose(v, printed[w], rtol=2e-4, atol=2e-5, err_msg=w)


def test_fnv1a_signed_char_quirk():
    # textbook FNV-1a 32 for ASCII ("a": 0xe40c292c, "foobar": 0xbf9cf968)
    assert list(fnv1a(["a", "foobar", ""])) == [0xE40C292C, 0xBF9CF968, 2166136261]
    # a byte >= 0x80 is XORed as 0xFFFFFF00 | byte (signed char), not as the byte
    h = 2166136261
    for c in "é".encode("utf-8"):
        h = ((h ^ (c | 0xFFFFFF00)) * 16777619) & 0xFFFFFFFF
    assert int(fnv1a(["é"])[0]) == h
    plain = 2166136261
    for c in "é".encode("utf-8"):
        plain = ((plain ^ c) * 16777619) & 0xFFFFFFFF
    assert h != plain


def test_char_ngrams_count_characters_not_bytes():
    assert char_ngrams("東京", 3, 3) == ["<東京", "東京>"]
    assert char_ngrams("ab", 1, 2) == ["<a", "a", "ab", "b", "b>"]  # no lone boundary mark
    assert char_ngrams("banana", 3, 3).count("ana") == 2  # duplicates kept, like fastText
    assert char_ngrams("a", 5, 6) == []


def test_parse_range():
    assert parse_range("3-6") == (3, 6)
    assert parse_range(" 2 - 5 ") == (2, 5)
    assert parse_range(0) is None and parse_range("0") is None and parse_range(None) is None
    assert parse_range(4) == (4, 4) and parse_range("4") == (4, 4)
    for bad in ("6-3", "0-3", "x", "3-", -1, True, 2.5):
        with pytest.raises(UsageError):
            parse_range(bad)


def test_vocab_rows_csr_and_default_buckets():
    tokens = ["<pad>", "<unk>", "where", "here", "her"]
    table, distinct = vocab_rows(tokens, 3, 6, skip=[0, 1])
    grams = set()
    for t in tokens[2:]:
        grams.update(char_ngrams(t, 3, 6))
    assert distinct == len(grams) and table.spec.buckets == len(grams)
    assert list(table.word_rows(0)) == [0] and list(table.word_rows(1)) == [1]
    for i, t in enumerate(tokens[2:], start=2):
        rows = table.word_rows(i)
        assert rows[0] == i
        assert list(rows[1:]) == list(len(tokens) + ngram_buckets(t, 3, 6, table.spec.buckets))
    capped, _ = vocab_rows(tokens, 3, 6, buckets=7, skip=[0, 1])
    assert capped.spec.buckets == 7 and capped.rows.max() < len(tokens) + 7


def test_compose_and_scatter_match_dense_reference():
    rng = np.random.default_rng(3)
    tokens = ["<pad>", "<unk>"] + ["".join(rng.choice(list("abcdeé"), rng.integers(1, 8))) for _ in range(40)]
    table, _ = vocab_rows(tokens, 2, 4, buckets=23, skip=[0, 1])
    W = rng.standard_normal((table.n_rows, 5)).astype(np.float32)
    ids = rng.integers(2, len(tokens), 60)
    ids[:10] = ids[10]  # repeated tokens
    H, ctx = table.compose(W, ids)
    A = np.zeros((len(ids), table.n_rows))  # dense reference: H = A @ W
    for k, i in enumerate(ids):
        for r in table.word_rows(i):
            A[k, r] += 1 / len(table.word_rows(i))
    np.testing.assert_allclose(H, A @ W, rtol=1e-5, atol=1e-6)
    dH = rng.standard_normal(H.shape).astype(np.float32)
    rows, G, occ = table.scatter(ctx, dH)
    dense = A.T @ dH
    assert len(np.unique(rows)) == len(rows)
    np.testing.assert_allclose(G, dense[rows], rtol=1e-4, atol=1e-5)
    assert np.abs(np.delete(dense, rows, axis=0)).max(initial=0) == 0
    B = np.zeros_like(A)  # occurrences of each row in each token's rows
    for k, i in enumerate(ids):
        for r in table.word_rows(i):
            B[k, r] += 1
    np.testing.assert_array_equal(occ, B.sum(axis=0)[rows])
    rows2, G2, _ = table.scatter(ctx, dH, exact=False)  # fastText's update: each row gets dH undivided
    np.testing.assert_array_equal(rows2, rows)
    np.testing.assert_allclose(G2, (B.T @ dH)[rows], rtol=1e-4, atol=1e-5)


def test_oov_vector_is_the_exact_mean_of_its_ngram_rows():
    spec = SubwordSpec(3, 6, 101)
    rows = np.random.default_rng(5).standard_normal((101, 7)).astype(np.float32)
    for word in ["unseen", "naïveté", "東京タワー", "x"]:
        b = ngram_buckets(word, 3, 6, 101)
        assert len(b) > 0
        acc = np.zeros(7, dtype=np.float64)
        for r in b:  # in n-gram order, float64, then one rounding to float32
            acc += rows[r]
        assert np.array_equal(oov_vector(word, spec, rows), (acc / len(b)).astype(np.float32))
    assert not oov_vector("", SubwordSpec(5, 6, 101), rows).any()  # "<>": no n-gram of 5-6 characters
