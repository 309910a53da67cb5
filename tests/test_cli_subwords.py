"""Character n-grams and their buckets equal fastText's (the Debian `fasttext` 0.9.2 binary).
Through the command line; the library tests are in test_subwords.py."""

from __future__ import annotations

import shutil
import struct
import subprocess

import numpy as np
import pytest

from embedcli.subwords import char_ngrams, ngram_buckets, oov_vector, vocab_rows

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
