"""The fastText-style classifier: loss gradients, learning, determinism, predict/test commands. The
library; the command-line tests are in test_cli_classify.py."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from embedcli.errors import EmbedcliError, UsageError
from embedcli.labeled import split_labels
from embedcli.model import Model
from embedcli.classify import data as classify_data
from embedcli.classify import Classifier, fnv1a, forward_backward, ngram_buckets, rows_gradient, train_classifier

SEPARABLE = [
    "__label__fruit apple banana cherry",
    "__label__fruit banana mango apple pear",
    "__label__fruit cherry pear",
    "__label__fruit mango banana",
    "__label__tool hammer saw drill",
    "__label__tool wrench hammer",
    "__label__tool saw drill wrench pliers",
    "__label__tool pliers hammer",
    "__label__animal cat dog horse",
    "__label__animal dog cow",
    "__label__animal horse cow cat sheep",
    "__label__animal sheep dog",
]


@pytest.fixture
def separable(tmp_path):
    path = tmp_path / "train.txt"
    path.write_text("\n".join(SEPARABLE) + "\n", encoding="utf-8")
    return str(path)


# -- the loss and its gradient --------------------------------------------------------------------
def _full_loss(table, output, bias, ids, lengths, targets):
    return forward_backward(table, output, bias, ids, lengths, targets)[0]


def test_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    table = rng.normal(size=(7, 4))
    output = rng.normal(size=(3, 4))
    bias = rng.normal(size=3)
    ids = np.array([0, 2, 2, 5, 1, 3, 6, 2], dtype=np.int64)  # row 2 repeated, inside and across lines
    lengths = np.array([4, 1, 3])
    targets = np.array([[1.0, 0, 0], [0, 0.5, 0.5], [0, 0, 1.0]])  # a multi-label (soft) line
    loss, probs, hidden, d_hidden, d_output, d_bias = forward_backward(table, output, bias, ids, lengths, targets)
    assert np.allclose(probs.sum(axis=1), 1.0)
    uniq, rows = rows_gradient(ids, lengths, d_hidden)
    d_table = np.zeros_like(table)
    d_table[uniq] = rows
    eps = 1e-6
    for name, param, grad in (("table", table, d_table), ("output", output, d_output), ("bias", bias, d_bias)):
        numeric = np.zeros_like(param)
        for idx in np.ndindex(param.shape):
            old = param[idx]
            param[idx] = old + eps
            up = _full_loss(table, output, bias, ids, lengths, targets)
            param[idx] = old - eps
            down = _full_loss(table, output, bias, ids, lengths, targets)
            param[idx] = old
            numeric[idx] = (up - down) / (2 * eps)
        assert np.allclose(grad, numeric, rtol=1e-5, atol=1e-8), name
    # rows that are never inputs get no gradient
    assert not d_table[4].any()


def test_rows_gradient_equals_add_at():
    rng = np.random.default_rng(1)
    for vocab in (3, 50, 10_000):
        lengths = rng.integers(1, 30, size=17)
        ids = rng.integers(0, vocab, size=int(lengths.sum()))
        d_hidden = rng.normal(size=(17, 6))
        uniq, rows = rows_gradient(ids, lengths, d_hidden)
        assert np.all(np.diff(uniq) > 0)
        expected = np.zeros((vocab, 6))
        per_token = d_hidden[np.repeat(np.arange(17), lengths)] / np.repeat(lengths, lengths)[:, None]
        np.add.at(expected, ids, per_token)
        got = np.zeros((vocab, 6))
        got[uniq] = rows
        assert np.allclose(got, expected)


# -- hashing ----------------------------------------------------------------------------------------
def test_fnv1a_known_values():
    # reference values of 32-bit FNV-1a
    assert fnv1a(["", "a", "foobar"]).tolist() == [0x811C9DC5, 0xE40C292C, 0xBF9CF968]
    # non-ASCII bytes are XORed as fastText's signed chars (h ^= uint32(int8(c))), unlike plain FNV-1a
    def reference(s):
        h = 0x811C9DC5
        for b in s.encode("utf-8"):
            h = ((h ^ ((b - 256) & 0xFFFFFFFF if b >= 0x80 else b)) * 0x01000193) & 0xFFFFFFFF
        return h

    words = ["héllo", "naïve", "日本語", "a" * 40]
    assert fnv1a(words).tolist() == [reference(w) for w in words]
    assert fnv1a(["héllo"])[0] != 0x4AA48540  # what plain FNV-1a (unsigned bytes) gives
    assert fnv1a([]).shape == (0,)


def test_ngram_buckets_follow_fasttext_loop():
    lines = [["the", "cat", "sat", "down"], ["a"], ["dog", "ran"], []]
    lengths = np.array([len(l) for l in lines])
    flat = [t for l in lines for t in l]
    hashes = fnv1a(flat)
    for n in (2, 3):
        got_b, got_line = ngram_buckets(hashes, lengths, n, 1000)
        expected = []
        for li, line in enumerate(lines):
            hs = [int(h) for h in fnv1a(line)]
            for i in range(len(hs)):  # fastText's Dictionary::addWordNgrams
                h = hs[i]
                for j in range(i + 1, min(len(hs), i + n)):
                    h = (h * 116049371 + hs[j]) % 2**64
                    expected.append((h % 1000, li))
        assert list(zip(got_b.tolist(), got_line.tolist())) == expected


# -- training ---------------------------------------------------------------------------------------
def test_learns_a_separable_set(separable):
    model = train_classifier(separable, dim=16, epochs=30, lr=0.5, seed=1)
    assert model.config["objective"] == "classify"
    assert model.objects["labels"] == ["__label__fruit", "__label__tool", "__label__animal"]
    assert model.objects["label_counts"] == [4, 4, 4]
    assert model.arrays["output"].shape == (3, 16) and model.arrays["output"].dtype == np.float32
    assert model.table.shape == (len(model.vocab), 16) and model.table.dtype == np.float32
    assert model.vocab.tokens[:4] == ["<pad>", "<unk>", "apple", "banana"]
    assert not model.table[:2].any()  # <pad>, <unk> are never inputs
    assert "ngrams" not in model.arrays
    assert [h["epoch"] for h in model.history] == list(range(1, 31))
    assert model.history[-1]["loss"] < model.history[0]["loss"]
    result = Classifier(model).evaluate(separable)
    assert result["n"] == 12 and result["precision"] == 1.0 and result["recall"] == 1.0
    clf = Classifier(model)
    assert [p[0][0] for p in clf.predict(["pear apple", "drill", "cow cat"])] == [
        "__label__fruit", "__label__tool", "__label__animal"]


def test_word_ngrams_model(separable):
    model = train_classifier(separable, dim=8, epochs=20, lr=0.5, word_ngrams=2, buckets=97, seed=2)
    lines = [split_labels(line)[1].split() for line in SEPARABLE]
    buckets, _ = ngram_buckets(fnv1a([t for l in lines for t in l]), np.array([len(l) for l in lines]), 2, 97)
    used = np.unique(buckets)  # only the buckets the training bigrams fall in have a row
    assert 10 < len(used) < 97
    assert model.arrays["ngrams"].shape == (len(used), 8)
    assert model.arrays["ngram_buckets"].tolist() == used.tolist()
    assert model.config["word_ngrams"] == 2 and model.config["buckets"] == 97
    assert Classifier(model).evaluate(separable)["precision"] == 1.0


def test_same_seed_gives_identical_bytes(tmp_path, separable):
    paths = []
    for run in ("a", "b"):
        out = tmp_path / run
        train_classifier(separable, dim=8, epochs=3, word_ngrams=2, buckets=50, seed=7).save(out)
        paths.append(out)
    files = sorted(os.listdir(paths[0]))
    assert files == sorted(os.listdir(paths[1]))
    for name in files:
        a, b = (p / name for p in paths)
        if name == "history.json":  # timings differ; everything else must not
            ha, hb = (json.loads(x.read_text()) for x in (a, b))
            drop = ("seconds", "examples_per_sec", "words_per_sec")
            assert [{k: v for k, v in h.items() if k not in drop} for h in ha] == \
                   [{k: v for k, v in h.items() if k not in drop} for h in hb]
        else:
            assert a.read_bytes() == b.read_bytes(), name
    other = train_classifier(separable, dim=8, epochs=3, word_ngrams=2, buckets=50, seed=8)
    assert not np.array_equal(other.table, Model.load(paths[0]).table)


def test_multi_label_lines_split_the_probability(tmp_path):
    path = tmp_path / "multi.txt"
    lines = ["__label__a __label__b both"] * 20 + ["__label__a only_a"] * 10 + ["__label__b only_b"] * 10
    path.write_text("\n".join(lines) + "\n")
    model = train_classifier(str(path), dim=8, epochs=40, lr=0.3, seed=1)
    probs = Classifier(model).probabilities([["both"]])[0]
    assert abs(probs[0] - 0.5) < 0.05 and abs(probs[1] - 0.5) < 0.05
    # labels can stand anywhere on the line, like fastText
    assert split_labels("good __label__x film __label__y") == (["__label__x", "__label__y"], "good film")


def test_small_blocks_and_flushes_give_a_working_model(monkeypatch, separable):
    # exercise the block-by-block streaming paths with tiny block sizes
    monkeypatch.setattr(classify_data, "SHUFFLE_BLOCK", 5)
    monkeypatch.setattr(classify_data, "ENCODE_BLOCK", 3)
    monkeypatch.setattr(classify_data, "_FLUSH", 7)
    a = train_classifier(separable, dim=16, epochs=30, lr=0.5, seed=1, word_ngrams=2, buckets=31)
    b = train_classifier(separable, dim=16, epochs=30, lr=0.5, seed=1, word_ngrams=2, buckets=31)
    assert np.array_equal(a.table, b.table) and np.array_equal(a.arrays["ngrams"], b.arrays["ngrams"])
    assert a.config["classifier"]["examples"] == 12
    assert Classifier(a).evaluate(separable)["precision"] == 1.0


def test_min_count_drops_lines_without_known_words_and_skips_unlabelled(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("__label__a x x y\n__label__b x x rare\n__label__b rare2\nno label here\n\n")
    model = train_classifier(str(path), dim=4, epochs=1, min_count=2)
    assert model.vocab.tokens == ["<pad>", "<unk>", "x"]
    facts = model.config["classifier"]
    assert facts["examples"] == 2
    assert facts["skipped_no_known_word"] == 1
    assert facts["skipped_unlabeled"] == 2


def test_unknown_words_get_the_prior(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("__label__rare zebra\n" + "__label__common cat\n__label__common dog\n" * 10)
    model = train_classifier(str(path), dim=4, epochs=10, seed=1)
    clf = Classifier(model)
    assert clf.predict(["completely unseen words"])[0][0][0] == "__label__common"
    assert clf.predict([""])[0][0][0] == "__label__common"


def test_training_errors(tmp_path):
    plain = tmp_path / "plain.txt"
    plain.write_text("just some text\nwithout labels\n")
    with pytest.raises(EmbedcliError, match=r"plain\.txt: no line has a label"):
        train_classifier(str(plain))
    only_labels = tmp_path / "only.txt"
    only_labels.write_text("__label__a\n__label__b\n")
    with pytest.raises(EmbedcliError, match="no word left"):
        train_classifier(str(only_labels))
    with pytest.raises(EmbedcliError, match="no such file"):
        train_classifier(str(tmp_path / "missing.txt"))
    # the library names its parameters (the command line shows them as flags)
    with pytest.raises(UsageError, match="^dim must be"):
        train_classifier(str(plain), dim=0)
    with pytest.raises(UsageError, match="^min_lr must be between 0 and lr 0.1"):
        train_classifier(str(plain), lr=0.1, min_lr=0.5)
    with pytest.raises(UsageError, match="^buckets must be"):
        train_classifier(str(plain), word_ngrams=2, buckets=0)


def test_diverging_training_is_reported(separable):
    with pytest.raises(EmbedcliError, match="diverged"):
        train_classifier(separable, dim=4, epochs=3, lr=1e38)
