"""The classifier with character n-grams (``subwords``, fastText's supervised ``-minn``/``-maxn``):
which rows a phrase is made of (against a transcription of fastText's ``Dictionary::getLine``),
the gradient, learning from n-grams, unseen words at prediction. Command line: test_cli_classify_subwords.py."""

from __future__ import annotations

import numpy as np
import pytest

from embedcli.classify import Classifier, forward_backward, input_rows, rows_gradient, train_classifier
from embedcli.classify.ngrams import NGRAM_MULTIPLIER, NgramRows, char_ngram_hashes, token_rows
from embedcli.errors import ParameterError
from embedcli.subwords import char_ngrams, fnv1a

from support.classify_subwords import SUFFIXES


@pytest.fixture
def suffixes(tmp_path):
    path = tmp_path / "train.txt"
    path.write_text("\n".join(SUFFIXES) + "\n", encoding="utf-8")
    return str(path)


def reference_rows(tokens, vocab_index, n_words, minn, maxn, buckets, word_ngrams, used):
    """fastText 0.9.2's Dictionary::getLine + addSubwords + addWordNgrams, one token at a time:
    the rows of one line (bucket b -> row n_words + position of b in ``used``, skipped if unused)."""
    used_pos = {int(b): i for i, b in enumerate(used)}
    out, hashes = [], []
    for tok in tokens:
        wid = vocab_index.get(tok, -1)
        if wid >= 0:
            out.append(wid)
        for g in char_ngrams(tok, minn, maxn):  # in vocabulary or not: its subwords
            b = int(fnv1a([g])[0]) % buckets
            if b in used_pos:
                out.append(n_words + used_pos[b])
        hashes.append(int(fnv1a([tok])[0]))
    for i in range(len(hashes)):
        h = hashes[i]
        for j in range(i + 1, min(len(hashes), i + word_ngrams)):
            h = (h * NGRAM_MULTIPLIER + hashes[j]) % 2**64
            b = h % buckets
            if b in used_pos:
                out.append(n_words + used_pos[b])
    return out


@pytest.mark.parametrize("word_ngrams", [1, 2, 3])
def test_input_rows_equal_fasttext_getline(word_ngrams):
    rng = np.random.default_rng(0)
    vocab = ["the", "cat", "sat", "on", "mat", "ĉapelo", "猫"]
    index = {w: i + 2 for i, w in enumerate(vocab)}  # rows 0 and 1: <pad>, <unk>
    n_words = len(vocab) + 2
    minn, maxn, buckets = 2, 4, 53  # few buckets: collisions, and some buckets unused
    used = np.unique(rng.choice(buckets, size=30, replace=False))
    ngrams = NgramRows(buckets, used)
    lines = [["the", "cat", "sat"], ["unseen", "mat"], ["猫", "ĉapelo", "on", "the", "the"], [], ["zz"]]
    flat = [t for line in lines for t in line]
    lengths = np.array([len(line) for line in lines])
    wids = np.array([index.get(t, -1) for t in flat], dtype=np.int64)
    distinct = list(dict.fromkeys(flat))
    keys = np.array([distinct.index(t) for t in flat], dtype=np.int64)
    gram_hashes, g_off, g_flat = char_ngram_hashes(distinct, minn, maxn)
    first = np.array([flat.index(t) for t in distinct], dtype=np.int64)
    offsets, rows = token_rows(wids[first], gram_hashes, g_off, g_flat, ngrams, n_words)
    ids, line_of = input_rows(wids, fnv1a(flat), lengths, word_ngrams, ngrams, n_words, (keys, offsets, rows))
    for i, line in enumerate(lines):
        expected = reference_rows(line, index, n_words, minn, maxn, buckets, word_ngrams, used)
        got = ids[line_of == i].tolist()
        assert sorted(got) == sorted(expected), line
        # the words' own rows and n-gram rows first, in fastText's order, then the word n-grams
        n_tok = len(reference_rows(line, index, n_words, minn, maxn, buckets, 1, used))
        assert got[:n_tok] == expected[:n_tok]


def test_gradient_with_shared_subword_rows_matches_finite_differences():
    """A phrase's rows with shared n-gram buckets (the same row several times in a line and across
    lines): the summed row gradients equal finite differences of the loss."""
    rng = np.random.default_rng(1)
    n_words, buckets = 5, 7
    ngrams = NgramRows(buckets, np.arange(buckets))
    tokens = ["ab", "abc", "bca", "ab"]
    gram_hashes, g_off, g_flat = char_ngram_hashes(tokens, 2, 3)
    offsets, rows = token_rows(np.array([2, 3, -1, 2]), gram_hashes, g_off, g_flat, ngrams, n_words)
    ids, line_of = input_rows(np.array([2, 3, -1, 2]), None, np.array([3, 1]), 1, ngrams, n_words,
                              (np.arange(4), offsets, rows))
    lengths = np.bincount(line_of)
    assert len(np.unique(ids)) < len(ids)  # shared rows
    table = rng.normal(size=(n_words + buckets, 3))
    output = rng.normal(size=(2, 3))
    bias = rng.normal(size=2)
    targets = np.array([[1.0, 0.0], [0.0, 1.0]])
    *_, d_hidden, _, _ = forward_backward(table, output, bias, ids, lengths, targets)
    uniq, grads = rows_gradient(ids, lengths, d_hidden)
    d_table = np.zeros_like(table)
    d_table[uniq] = grads
    eps = 1e-6
    for idx in np.ndindex(table.shape):
        old = table[idx]
        table[idx] = old + eps
        up = forward_backward(table, output, bias, ids, lengths, targets)[0]
        table[idx] = old - eps
        down = forward_backward(table, output, bias, ids, lengths, targets)[0]
        table[idx] = old
        assert d_table[idx] == pytest.approx((up - down) / (2 * eps), rel=1e-5, abs=1e-8)


def test_unseen_words_are_classified_by_their_ngrams(suffixes, tmp_path):
    model = train_classifier([suffixes], dim=16, epochs=200, lr=0.5, seed=2, subwords="3-6")
    assert model.config["subwords"] == "3-6"
    facts = model.config["classifier"]
    assert facts["distinct_subwords"] > 0 and facts["ngram_rows"] == len(model.arrays["ngrams"])
    assert model.config["buckets"] == facts["distinct_subwords"]  # one bucket per distinct n-gram
    model.save(tmp_path / "m")
    clf = Classifier.load(tmp_path / "m")
    assert "subwords='3-6'" in repr(clf)
    unseen = ["dancing", "painting", "formation", "nomination"]
    assert not any(w in clf.vocab.index for w in unseen)
    assert [p[0][0] for p in clf.predict(unseen)] == ["__label__verb"] * 2 + ["__label__noun"] * 2
    # without subwords the same unseen words carry nothing: every one gets the prior
    plain = train_classifier([suffixes], dim=16, epochs=200, lr=0.5, seed=2)
    plain.save(tmp_path / "p")
    probs = Classifier.load(tmp_path / "p").predict_proba(unseen)
    assert np.allclose(probs, probs[0])


def test_an_unseen_word_contributes_the_mean_of_its_ngram_rows(suffixes, tmp_path):
    model = train_classifier([suffixes], dim=8, epochs=20, seed=3, subwords="3-6")
    model.save(tmp_path / "m")
    clf = Classifier.load(tmp_path / "m")
    ngram_table = model.arrays["ngrams"]
    used = model.arrays["ngram_buckets"]
    buckets = model.config["buckets"]

    def probs_of(row_vectors):
        hidden = np.mean(row_vectors, axis=0).astype(np.float64)
        logits = model.arrays["output"].astype(np.float64) @ hidden + model.arrays["bias"]
        e = np.exp(logits - logits.max())
        return e / e.sum()

    def gram_vectors(word):
        b = fnv1a(char_ngrams(word, 3, 6)) % np.uint32(buckets)
        pos = np.searchsorted(used, b)
        have = (pos < len(used)) & (used[np.minimum(pos, len(used) - 1)] == b)
        return [ngram_table[p] for p in pos[have]]

    rows = gram_vectors("singingly")  # unseen; most of its n-grams were met in training
    assert rows
    assert np.allclose(clf.predict_proba("singingly")[0], probs_of(rows), atol=1e-6)
    known = model.table[model.vocab.index["nation"]]
    both = [known] + gram_vectors("nation") + rows
    assert np.allclose(clf.predict_proba("nation singingly")[0], probs_of(both), atol=1e-6)


def test_subwords_setting_is_checked_and_deterministic(suffixes, tmp_path):
    with pytest.raises(ParameterError, match="subwords"):
        train_classifier([suffixes], subwords="6-3")
    a = train_classifier([suffixes], dim=8, epochs=3, seed=5, subwords="3-6", word_ngrams=2)
    b = train_classifier([suffixes], dim=8, epochs=3, seed=5, subwords=(3, 6), word_ngrams=2)
    assert a.table.tobytes() == b.table.tobytes() and a.arrays["ngrams"].tobytes() == b.arrays["ngrams"].tobytes()
    # word and character n-grams share one bucket space, sized for both
    facts = a.config["classifier"]
    assert a.config["buckets"] == facts["distinct_ngrams"] + facts["distinct_subwords"]
