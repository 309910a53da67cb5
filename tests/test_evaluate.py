"""evaluate: Spearman/Pearson and analogy accuracy agree with gensim (reference client) and scipy.
The library; the command-line tests are in test_cli_evaluate.py."""

import os

import gensim
import numpy as np
import pytest
from scipy import stats

from embedcli.errors import EmbedcliError
from embedcli.evaluate import evaluate_analogies, evaluate_pairs, pearson, rankdata, spearman
from embedcli.text import TextSettings
from embedcli.vocab import Vocab

from support.evaluate import SAMPLE, _gensim_analogies, sample_model, words_kv


# WordSim-353 as gensim ships it in its test data (gensim is a test dependency)
WORDSIM = os.path.join(os.path.dirname(gensim.__file__), "test", "test_data", "wordsim353.tsv")


# -- statistics -----------------------------------------------------------------------------
def test_rank_and_correlations_match_scipy():
    rng = np.random.default_rng(0)
    for n in (2, 5, 30, 353):
        x = rng.integers(0, 6, n).astype(float)  # many ties
        y = np.round(rng.standard_normal(n), 1)
        assert np.array_equal(rankdata(x), stats.rankdata(x))
        assert spearman(x, y) == pytest.approx(stats.spearmanr(x, y)[0], abs=1e-12)
        assert pearson(x, y) == pytest.approx(stats.pearsonr(x, y)[0], abs=1e-12)
    assert np.isnan(spearman([1, 1, 1], [1, 2, 3]))
    assert pearson([1, 2, 3], [2, 4, 6]) == pytest.approx(1.0)


# -- word pairs -----------------------------------------------------------------------------
def test_pairs_sample_data_match_gensim(sample_model):
    _, vocab, table = sample_model
    path = os.path.join(SAMPLE, "similarity.tsv")
    ours = evaluate_pairs(vocab, table, path)
    (p, _), (s, _), oov = words_kv(vocab, table).evaluate_word_pairs(path)
    assert ours.pearson == pytest.approx(p, abs=5e-3) and ours.spearman == pytest.approx(s, abs=5e-3)
    assert ours.oov_share * 100 == pytest.approx(oov)
    assert ours.oov_pairs > 0 and ours.pairs > 0


@pytest.mark.parametrize("restrict", [300000, 150])
def test_pairs_wordsim353_match_gensim(tmp_path, restrict):
    words = []
    with open(WORDSIM, encoding="utf-8") as f:
        for line in f:
            if not line.startswith("#"):
                words += [w.lower() for w in line.split("\t")[:2]]
    uniq = list(dict.fromkeys(words))[::-1]
    keep = [w for i, w in enumerate(uniq) if i % 7 != 3]  # some words out of vocabulary
    rng = np.random.default_rng(1)
    counts = rng.integers(1, 40, len(keep)).tolist()  # frequency order != vocabulary order (ties too)
    vocab = Vocab(tokens=["<pad>", "<unk>"] + keep, counts=[0, 0] + counts)
    table = rng.standard_normal((len(vocab), 10)).astype(np.float32)
    ours = evaluate_pairs(vocab, table, WORDSIM, restrict_vocab=restrict)
    (p, _), (s, _), oov = words_kv(vocab, table).evaluate_word_pairs(WORDSIM, restrict_vocab=restrict)
    assert ours.pearson == pytest.approx(p, abs=5e-3)
    assert ours.spearman == pytest.approx(s, abs=5e-3)
    assert ours.oov_share * 100 == pytest.approx(oov)
    assert 0 < ours.oov_pairs < 353
    # gensim's dummy4unknown: the pairs with an unknown word scored 0, in the correlations
    dummy = evaluate_pairs(vocab, table, WORDSIM, restrict_vocab=restrict, dummy4unknown=True)
    (p, _), (s, _), oov = words_kv(vocab, table).evaluate_word_pairs(WORDSIM, restrict_vocab=restrict,
                                                                      dummy4unknown=True)
    assert dummy.pearson == pytest.approx(p, abs=5e-3) and dummy.spearman == pytest.approx(s, abs=5e-3)
    assert (dummy.pairs, dummy.oov_pairs, dummy.oov_share * 100) == (ours.pairs, ours.oov_pairs, pytest.approx(oov))
    assert dummy.spearman != pytest.approx(ours.spearman, abs=1e-3) and dummy.to_dict()["dummy4unknown"]
    if restrict < len(keep):  # the first N words by appearance would give other pairs
        first_n = Vocab(tokens=vocab.tokens, counts=[0, 0] + sorted(counts, reverse=True))
        assert evaluate_pairs(first_n, table, WORDSIM, restrict_vocab=restrict).oov_pairs != ours.oov_pairs


def test_restrict_vocab_keeps_the_most_frequent_words(tmp_path):
    # appearance order: alpha beta gamma delta; by frequency: gamma delta alpha beta
    vocab = Vocab(tokens=["<pad>", "<unk>", "alpha", "beta", "gamma", "delta"], counts=[0, 99, 2, 1, 9, 5])
    table = np.random.default_rng(5).standard_normal((6, 4)).astype(np.float32)
    f = tmp_path / "p.tsv"
    f.write_text("alpha\tbeta\t1\ngamma\tdelta\t5\nalpha\tgamma\t2\ndelta\tbeta\t3\ngamma\tbeta\t1\n"
                 "delta\talpha\t4\n")
    res = evaluate_pairs(vocab, table, str(f), restrict_vocab=2)
    assert res.pairs == 1 and res.oov_pairs == 5  # gamma-delta only; <unk>'s count does not matter
    res = evaluate_pairs(vocab, table, str(f), restrict_vocab=3)
    assert res.pairs == 3  # + alpha
    (p, _), (s, _), oov = words_kv(vocab, table).evaluate_word_pairs(str(f), restrict_vocab=3)
    assert res.pearson == pytest.approx(p, abs=1e-6) and res.oov_share * 100 == pytest.approx(oov)
    # a frequency-ordered vocabulary: the same as its first N words
    freq = Vocab(tokens=["<pad>", "<unk>", "gamma", "delta", "alpha", "beta"], counts=[0, 0, 9, 5, 2, 1])
    perm = [0, 1, 4, 5, 2, 3]
    for n in (2, 3, 4):
        a = evaluate_pairs(vocab, table, str(f), restrict_vocab=n)
        b = evaluate_pairs(freq, table[perm], str(f), restrict_vocab=n)
        assert (a.pairs, a.oov_pairs, a.pearson) == (b.pairs, b.oov_pairs, b.pearson)


def test_pairs_case_handling_like_gensim(tmp_path):
    vocab = Vocab(tokens=["<pad>", "<unk>", "Paris", "paris", "France", "rome", "Italy", "x"],
                  counts=[0, 0, 1, 1, 1, 1, 1, 1], settings=TextSettings(lower=False))
    rng = np.random.default_rng(2)
    table = rng.standard_normal((len(vocab), 5)).astype(np.float32)
    f = tmp_path / "p.tsv"
    f.write_text("# comment\nparis\tfrance\t8\nPARIS\trome\t3\nrome\tITALY\t7.5\nx\trome\t1\n"
                 "bad line without tabs\nx\tparis\tnot-a-number\n\nx\tFrance\t2\n", encoding="utf-8")
    kv = words_kv(vocab, table)
    for ci in (True, False):
        ours = evaluate_pairs(vocab, table, str(f), case_insensitive=ci)
        (p, _), (s, _), oov = kv.evaluate_word_pairs(str(f), case_insensitive=ci)
        assert ours.pearson == pytest.approx(p, abs=1e-6) and ours.spearman == pytest.approx(s, abs=1e-6)
        assert ours.oov_share * 100 == pytest.approx(oov)
        assert ours.invalid_lines == [6, 7]
    assert evaluate_pairs(vocab, table, str(f)).pairs == 5
    assert evaluate_pairs(vocab, table, str(f), case_insensitive=False).oov_pairs == 3


def test_pairs_unknown_word_examples_name_each_word_once(tmp_path):
    # WordSim-353 has 'tiger cat', 'tiger tiger', 'tiger zoo' ...: 'evaluate' prints
    # "unknown words include tiger, plane", not "tiger, tiger, tiger, plane"
    vocab = Vocab(tokens=["<pad>", "<unk>", "cat", "zoo", "car"], counts=[0, 0, 3, 2, 1])
    table = np.random.default_rng(3).standard_normal((len(vocab), 4)).astype(np.float32)
    f = tmp_path / "p.tsv"
    f.write_text("tiger\tcat\t7\ntiger\ttiger\t10\ncat\tzoo\t5\ntiger\tzoo\t6\nplane\tcar\t6\n"
                 "cat\tcar\t2\n", encoding="utf-8")
    r = evaluate_pairs(vocab, table, str(f))
    assert r.oov_pairs == 4 and r.oov_examples == ["tiger", "plane"]


def test_pairs_with_an_all_zero_vector_score_it_0_as_gensim(tmp_path):
    # a vector file may hold an all-zero row: gensim's similarity (and Embeddings.similarity) is 0.0
    # for it; its pair used to be NaN, which made Pearson's r 1.0 and left Spearman's rho wrong
    vocab = Vocab(tokens=["<pad>", "<unk>", "cat", "dog", "kitten", "puppy", "car", "bus", "zero"],
                  counts=[0, 0, 7, 6, 5, 4, 3, 2, 1])
    table = np.random.default_rng(3).standard_normal((len(vocab), 4)).astype(np.float32)
    table[:2] = table[8] = 0
    f = tmp_path / "p.tsv"
    f.write_text("cat\tdog\t8\nkitten\tpuppy\t7\ncar\tbus\t6\ncat\tcar\t2\nzero\tcat\t1\n")
    ours = evaluate_pairs(vocab, table, str(f))
    (p, _), (s, _), _ = words_kv(vocab, table).evaluate_word_pairs(str(f))
    assert ours.pairs == 5
    assert ours.pearson == pytest.approx(p, abs=1e-6) and ours.spearman == pytest.approx(s, abs=1e-6)


def test_pairs_score_that_is_not_a_finite_number_is_a_malformed_line(tmp_path, sample_model):
    # float() reads 'nan' and 'inf': such a score made Pearson's r 1.0 and Spearman's rho -1.0
    _, vocab, table = sample_model
    f = tmp_path / "p.tsv"
    good = "cat\tdog\t8\nkitten\tpuppy\t7\ncat\tpiano\t1\nguitar\tpiano\t6\n"
    f.write_text(good)
    want = evaluate_pairs(vocab, table, str(f))
    f.write_text("cat\tdog\t8\nkitten\tpuppy\t7\nlion\ttiger\tnan\ncat\tpiano\t1\nhorse\tcow\t-inf\n"
                 "guitar\tpiano\t6\n")
    got = evaluate_pairs(vocab, table, str(f))
    assert got.invalid_lines == [3, 5]
    assert (got.pairs, got.pearson, got.spearman) == (want.pairs, want.pearson, want.spearman)


def test_pairs_errors(tmp_path, sample_model):
    _, vocab, table = sample_model
    f = tmp_path / "oov.tsv"
    f.write_text("platypus\tquasar\t3\n")
    with pytest.raises(EmbedcliError, match="all 1 pairs have a word outside the vocabulary"):
        evaluate_pairs(vocab, table, str(f))
    f.write_text("just words here\n")
    with pytest.raises(EmbedcliError, match="line 1"):
        evaluate_pairs(vocab, table, str(f))


@pytest.mark.parametrize("method", ["3cosadd", "3cosmul"])
def test_analogies_sample_data_match_gensim(sample_model, method):
    _, vocab, table = sample_model
    path = os.path.join(SAMPLE, "analogies.txt")
    ours = evaluate_analogies(vocab, table, path, method=method)
    assert ours.method == method and ours.to_dict()["method"] == method
    score, sections = _gensim_analogies(words_kv(vocab, table), path, method=method)
    assert ours.accuracy == pytest.approx(score, abs=5e-3)
    assert [(s.name, s.correct, s.incorrect) for s in ours.sections] == sections[:-1]
    assert 0 < ours.total.correct < ours.total.total  # a test that can fail both ways


@pytest.mark.parametrize("method", ["3cosadd", "3cosmul"])
def test_analogies_case_oov_restrict_match_gensim(tmp_path, method):
    # a bigger synthetic set with upper case, OOV words, malformed lines, and a small restrict_vocab
    rng = np.random.default_rng(4)
    words = [f"w{i}" for i in range(300)]
    counts = rng.integers(1, 60, 301).tolist()  # frequency order != vocabulary order
    counts[-1] = counts[5] + 1  # "W5" is more frequent than "w5": its vector is the upper-cased one
    vocab = Vocab(tokens=["<pad>", "<unk>"] + words + ["W5"], counts=[0, 0] + counts,
                  settings=TextSettings(lower=False))
    lines = []
    for sec in range(3):
        lines.append(f": section-{sec}")
        for _ in range(60):
            a, b, c, d = rng.choice(300, 4, replace=False)
            lines.append(f"w{a} w{b} w{c} w{d}")
        lines.append("W1 w2 w3 zzz")  # OOV
        lines.append("w1 w2 w3")  # malformed
    f = tmp_path / "q.txt"
    f.write_text("\n".join(lines) + "\n")
    questions = [l.split() for l in lines if not l.startswith(":") and len(l.split()) == 4 and "zzz" not in l]
    dim = 12
    table = rng.standard_normal((len(vocab), dim)).astype(np.float32)
    for a, b, c, d in questions[::3]:  # make a third of them (roughly) solvable
        ia, ib, ic, idd = (vocab.index[w] for w in (a, b, c, d))
        table[idd] = table[ic] + table[ib] - table[ia] + rng.standard_normal(dim).astype(np.float32) * 0.3
    kv = words_kv(vocab, table)
    for kw in ({}, {"case_insensitive": False}, {"restrict_vocab": 200}, {"dummy4unknown": True},
               {"restrict_vocab": 200, "dummy4unknown": True}):
        ours = evaluate_analogies(vocab, table, str(f), batch=50, method=method, **kw)
        score, sections = _gensim_analogies(kv, str(f), method=method, **kw)
        assert ours.accuracy == pytest.approx(score, abs=5e-3)
        assert [(s.name, s.correct, s.incorrect) for s in ours.sections] == sections[:-1]
        assert ours.total.correct > 0 and ours.total.incorrect > 0
        assert len(ours.invalid_lines) == 3
    assert evaluate_analogies(vocab, table, str(f), restrict_vocab=200).oov_questions > 3
    if method == "3cosmul":  # the two methods answer some questions differently here
        other = evaluate_analogies(vocab, table, str(f), batch=50, restrict_vocab=200)  # ours: the last kw
        assert [(s.correct, s.incorrect) for s in other.sections] != [(s.correct, s.incorrect) for s in ours.sections]


def test_analogies_errors(tmp_path, sample_model):
    _, vocab, table = sample_model
    f = tmp_path / "a.txt"
    f.write_text("lisbon portugal london england\n: late header\n")
    with pytest.raises(EmbedcliError, match="line 1: question before the first"):
        evaluate_analogies(vocab, table, str(f))
    f.write_text(": only a header\n")
    with pytest.raises(EmbedcliError, match="no analogy questions"):
        evaluate_analogies(vocab, table, str(f))


def test_file_kind_tells_word_pairs_from_analogies(tmp_path):
    from gensim.test.utils import datapath

    from embedcli.errors import FormatError
    from embedcli.evaluate import file_kind

    assert file_kind(os.path.join(SAMPLE, "similarity.tsv")) == "similarity"
    assert file_kind(os.path.join(SAMPLE, "analogies.txt")) == "analogies"
    assert file_kind(datapath("wordsim353.tsv")) == "similarity"  # '# Word 1<TAB>Word 2<TAB>Human (mean)'
    assert file_kind(datapath("simlex999.txt")) == "similarity"
    assert file_kind(datapath("questions-words.txt")) == "analogies"
    f = tmp_path / "header.tsv"
    f.write_text("\nWord 1\tWord 2\tHuman (mean)\ncat\tdog\t7.5\n")  # a header line without a number
    assert file_kind(str(f)) == "similarity"
    f.write_text("athens greece baghdad iraq\n")  # questions without a section header
    assert file_kind(str(f)) == "analogies"
    f.write_text("new york\tcity\t7.5\ncat\tdog\t8\n")  # four words, but a pair of phrases and a score
    assert file_kind(str(f)) == "similarity"
    for text in ("cat dog\n", "one two three\n", "cat\tdog\tvery\n" * 60, ""):
        f.write_text(text)
        with pytest.raises(FormatError, match="header.tsv: neither word pairs"):
            file_kind(str(f))
