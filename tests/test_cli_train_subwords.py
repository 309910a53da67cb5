"""Training with character n-grams (`embedcli train --subwords 3-6`): gradients, model files,
vectors of unseen words, determinism, resume, and the older model format. Through the command
line; the library tests are in test_train_subwords.py."""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pytest

from embedcli import config as cfg
from embedcli.cli import main
from embedcli.model import Model
from embedcli.subwords import char_ngrams, ngram_buckets, word_vectors

from support.train_subwords import corpus
from support.train import checkpoint_interrupt_and_resume, files

HERE = os.path.dirname(os.path.abspath(__file__))


FAST = ["--dim", "8", "--epochs", "2", "--min-count", "1", "--workers", "1", "--subwords", "3-6"]


def train(runner, corpus, out, *extra):
    res = runner.invoke(main, ["train", str(corpus), "-o", str(out), "--quiet", *FAST, *extra])
    assert res.exit_code == 0, res.output
    return res


# -- the model -----------------------------------------------------------------------------------
def test_model_files_and_vectors_of_any_word(runner, corpus, tmp_path):
    out = tmp_path / "m"
    res = runner.invoke(main, ["train", str(corpus), "-o", str(out), "--json", *FAST])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.output)
    m = Model.load(out)
    sub = m.objects["subwords"]
    assert (sub["minn"], sub["maxn"]) == (3, 6)
    assert summary["subwords"]["buckets"] == sub["buckets"] == sub["distinct_ngrams"] == m.config["buckets"]
    assert m.config["version"] == 2 and m.config["subwords"] == "3-6"
    V, B = len(m.vocab), sub["buckets"]
    rows = m.arrays["input_rows"]
    assert rows.shape == (V + B, 8) and m.table.shape == (V, 8)
    # the table row of a word is the mean of its word row and its n-gram rows
    cat = m.vocab.index["cat"]
    expected = rows[[cat] + [V + b for b in ngram_buckets("cat", 3, 6, B)]].astype(np.float64).mean(axis=0)
    np.testing.assert_allclose(m.table[cat], expected, rtol=1e-6, atol=1e-7)
    # an unseen word: exactly the mean (float64, n-gram order, one rounding) of its n-gram rows
    for word in ["cats", "horsey", "トラック"]:
        assert word not in m.vocab.index
        b = ngram_buckets(word, 3, 6, B)
        acc = np.zeros(8)
        for r in b:
            acc += rows[V + r]
        (wv,) = word_vectors(m, [word])
        assert wv.index is None and wv.source == "subwords"
        assert np.array_equal(wv.vector, (acc / len(b)).astype(np.float32))
    (known,) = word_vectors(m, ["Cat"])  # normalised like the vocabulary
    assert known.index == cat and np.array_equal(known.vector, m.table[cat])


def test_training_with_subwords_is_deterministic_and_learns(runner, corpus, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    train(runner, corpus, a)
    train(runner, corpus, b)
    assert files(a)["table.npy"] == files(b)["table.npy"]
    assert files(a)["input_rows.npy"] == files(b)["input_rows.npy"]
    w2a, w2b = tmp_path / "w2a", tmp_path / "w2b"
    train(runner, corpus, w2a, "--workers", "2")
    train(runner, corpus, w2b, "--workers", "2")
    assert files(w2a)["table.npy"] == files(w2b)["table.npy"]
    assert files(w2a)["table.npy"] == files(a)["table.npy"]  # the table does not depend on --workers
    # the trained table separates animals from vehicles (shared contexts are nearer)
    long = tmp_path / "long"
    train(runner, corpus, long, "--epochs", "8", "--sample", "0")
    m = Model.load(long)
    t = m.table / np.linalg.norm(m.table, axis=1, keepdims=True).clip(1e-9)
    idx = {w: m.vocab.index[w] for w in ["cat", "dog", "horse", "cow", "car", "bus", "truck", "train"]}
    animals = [idx[w] for w in ["cat", "dog", "horse", "cow"]]
    vehicles = [idx[w] for w in ["car", "bus", "truck", "train"]]
    within = np.mean([t[i] @ t[j] for i in animals for j in animals if i != j])
    across = np.mean([t[i] @ t[j] for i in animals for j in vehicles])
    assert within > across + 0.1


def test_subwords_resume_equals_uninterrupted_run(runner, corpus, tmp_path, monkeypatch):
    full = tmp_path / "full"
    train(runner, corpus, full, "--epochs", "3")
    out = tmp_path / "ck"
    checkpoint_interrupt_and_resume(runner, monkeypatch, corpus, out, *FAST)
    for name in ("table.npy", "input_rows.npy", "output.npy"):
        assert files(out)[name] == files(full)[name], name


def test_ns_exponent_default_with_subwords_is_shown_saved_and_used(runner, corpus, tmp_path):
    """Skip-gram with --subwords draws negatives from unigram^0.5 (fastText's), else 0.75 (word2vec's): --dry-run
    and the summary say so, config.yaml saves it, the trainer draws by it, and --ns-exponent sets it."""
    from embedcli.sgd.sgns import negative_cdf
    from embedcli.sgd.trainer import Trainer

    def dry(*extra):
        res = runner.invoke(main, ["train", str(corpus), "-o", str(tmp_path / "d"), "--dry-run", *extra])
        assert res.exit_code == 0, res.output
        return res.output

    info = json.loads(dry("--json", *FAST))
    assert (info["negative"], info["ns_exponent"], info["ns_exponent_set"]) == (5, 0.5, False)
    assert "5 per pair from unigram^0.5 (the default with subwords)" in dry(*FAST)
    assert "5 per pair from unigram^0.75 (the default)" in dry("--dim", "8", "--min-count", "1")
    assert "3 per pair from unigram^1 (set)" in dry(*FAST, "--negative", "3", "--ns-exponent", "1")
    assert json.loads(dry("--json", *FAST, "--objective", "cbow"))["ns_exponent"] == 0.75
    assert "5 per pair from unigram^0.75 (the default)" in dry(*FAST, "--objective", "cbow")
    out = tmp_path / "m"
    res = train(runner, corpus, out, "--json")
    assert json.loads(res.output)["ns_exponent"] == 0.5 and Model.load(out).config["ns_exponent"] == 0.5
    res = runner.invoke(main, ["train", str(corpus), "-o", str(tmp_path / "t"), *FAST])
    assert res.exit_code == 0 and "from unigram^0.5" in res.output, res.output
    # the trainer's negatives: the trainable words' counts to that power
    m = Model.load(out)
    counts = np.array(m.vocab.counts, dtype=np.float64)
    trainable = np.ones(len(counts), dtype=bool)
    trainable[list(m.vocab.special_ids())] = False
    for x in (0.5, 0.75, 0.0, -1.0):
        settings = cfg.merge({}, {"corpus": [str(corpus)], "ns_exponent": x, "subwords": "3-6"})
        t = Trainer(_FakeCorpus(), counts, trainable, settings, 1)
        w = np.array([c ** x if c > 0 and keep else 0.0 for c, keep in zip(counts, trainable)])
        assert w[list(m.vocab.special_ids())].sum() == 0 and np.isfinite(w).all()
        assert np.allclose(np.diff(t.cdf, prepend=0), w / w.sum()) and np.array_equal(t.cdf, negative_cdf(counts * trainable, x))
    # the same run when the default is given; another exponent, another table
    train(runner, corpus, tmp_path / "set", "--ns-exponent", "0.5")
    train(runner, corpus, tmp_path / "w2v", "--ns-exponent", "0.75")
    assert files(tmp_path / "set")["table.npy"] == files(out)["table.npy"]
    assert files(tmp_path / "w2v")["table.npy"] != files(out)["table.npy"]
    for bad in ("nan", "x"):
        res = runner.invoke(main, ["train", str(corpus), "-o", str(tmp_path / "e"), *FAST, "--ns-exponent", bad])
        assert res.exit_code == 2 and "--ns-exponent" in res.output and "Traceback" not in res.output


class _FakeCorpus:
    n_words = 1000


def test_resume_of_a_model_from_before_ns_exponent_keeps_its_negatives(runner, corpus, tmp_path, monkeypatch):
    """A subword model saved before ``ns_exponent`` was a setting drew its negatives from unigram^0.75:
    its config.yaml has no such key, and its resume goes on with 0.75 (not today's default 0.5), giving
    the bytes of the uninterrupted run."""
    import yaml

    full = tmp_path / "full"
    train(runner, corpus, full, "--epochs", "3", "--ns-exponent", "0.75")

    def as_before_the_key(model_dir):
        path = model_dir / "config.yaml"
        config = yaml.safe_load(path.read_text())
        del config["ns_exponent"]
        path.write_text(yaml.safe_dump(config))

    out = tmp_path / "ck"
    checkpoint_interrupt_and_resume(runner, monkeypatch, corpus, out, *FAST, "--ns-exponent", "0.75",
                                    before_resume=as_before_the_key)
    assert Model.load(out).config["ns_exponent"] == 0.75
    for name in ("table.npy", "input_rows.npy", "output.npy"):
        assert files(out)[name] == files(full)[name], name


def test_buckets_flag_and_dry_run(runner, corpus, tmp_path):
    out = tmp_path / "m"
    train(runner, corpus, out, "--buckets", "97")
    m = Model.load(out)
    assert m.objects["subwords"]["buckets"] == 97 and m.arrays["input_rows"].shape[0] == len(m.vocab) + 97
    res = runner.invoke(main, ["train", str(corpus), "-o", str(tmp_path / "d"), "--dry-run", "--json", *FAST])
    assert res.exit_code == 0, res.output
    info = json.loads(res.output)
    distinct = len({g for t in m.vocab.tokens[2:] for g in char_ngrams(t, 3, 6)})
    assert info["subwords"]["buckets"] == info["subwords"]["distinct_ngrams"] == distinct
    res = runner.invoke(main, ["train", str(corpus), "-o", str(tmp_path / "d"), "--dry-run"])
    assert res.exit_code == 0 and "hash buckets" not in res.output  # no subwords: not mentioned
    for bad, msg in ((["--subwords", "6-3"], "--subwords"), (["--subwords", "x"], "--subwords"),
                     (["--buckets", "0"], "--buckets")):
        res = runner.invoke(main, ["train", str(corpus), "-o", str(tmp_path / "e"), *bad])
        assert res.exit_code == 2 and msg in res.output and "Traceback" not in res.output


def test_sample_default_with_subwords_is_shown_and_saved(runner, corpus, tmp_path):
    """Not set, --sample is SUBWORD_SAMPLE for skip-gram with --subwords (1e-3 without, and for CBOW):
    --dry-run and the summary show it, config.yaml saves it, and setting it to that value is the same run."""
    sub = cfg.SUBWORD_SAMPLE

    def dry(*extra):
        res = runner.invoke(main, ["train", str(corpus), "-o", str(tmp_path / "d"), "--dry-run", *extra])
        assert res.exit_code == 0, res.output
        return res.output

    info = json.loads(dry("--json", *FAST))
    assert info["sample"] == sub and info["sample_set"] is False
    assert 0 < info["kept_words_per_epoch"] < info["words_per_epoch"]
    assert f"sample {sub:g} (the default with subwords)" in dry(*FAST)
    info = json.loads(dry("--json", *FAST, "--sample", "1e-3"))
    assert info["sample"] == 1e-3 and info["sample_set"] is True
    assert "sample 0.001 (set)" in dry(*FAST, "--sample", "1e-3")
    assert "sample 0.001 (the default)" in dry("--dim", "8", "--min-count", "1")
    assert json.loads(dry("--json", *FAST, "--objective", "cbow"))["sample"] == 1e-3
    out = tmp_path / "m"
    res = train(runner, corpus, out, "--json")
    assert json.loads(res.output)["sample"] == sub
    assert Model.load(out).config["sample"] == sub
    res = runner.invoke(main, ["train", str(corpus), "-o", str(tmp_path / "t"), *FAST])
    assert res.exit_code == 0 and "subsampling" in res.output and f"sample {sub:g}" in res.output, res.output
    train(runner, corpus, tmp_path / "set", "--sample", str(sub))
    for name in ("table.npy", "input_rows.npy", "output.npy"):
        assert files(tmp_path / "set")[name] == files(out)[name], name


def test_version_1_model_still_loads_and_answers(runner, tmp_path):
    """A model written by the code before subwords (format version 1, committed as test data)."""
    src = os.path.join(HERE, "data", "model_v1")
    m = Model.load(src)
    assert m.config["version"] == 1 and m.subwords is None
    res = runner.invoke(main, ["similar", src, "the", "-k", "3", "--json"])
    assert res.exit_code == 0, res.output
    assert len(json.loads(res.output)) == 3
    res = runner.invoke(main, ["vectors", src, "the", "--format", "json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["vectors"][0]["source"] == "vocabulary"
    res = runner.invoke(main, ["vectors", src, "zzzunseen"])
    assert res.exit_code == 1 and "unknown word" in res.output
    # and it resumes/re-saves as before: loading and saving keeps its rows
    copy = tmp_path / "copy"
    shutil.copytree(src, copy)
    Model.load(copy).save(copy)
    assert np.array_equal(Model.load(copy).table, m.table)


def test_vectors_command(runner, corpus, tmp_path):
    out = tmp_path / "m"
    train(runner, corpus, out)
    res = runner.invoke(main, ["vectors", str(out), "cat", "cats"])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[0] == "2 8" and lines[1].split()[0] == "cat" and lines[2].split()[0] == "cats"
    m = Model.load(out)
    wv = word_vectors(m, ["cat", "cats"])
    for line, w in zip(lines[1:], wv):
        assert np.array_equal(np.array(line.split()[1:], dtype=np.float32), w.vector)
    words = tmp_path / "words.txt"
    words.write_text("dog doggo\nbus\n", encoding="utf-8")
    npy = tmp_path / "v.npy"
    res = runner.invoke(main, ["vectors", str(out), "-i", str(words), "--format", "npy", "-o", str(npy)])
    assert res.exit_code == 0, res.output
    arr = np.load(npy)
    assert arr.shape == (3, 8) and np.array_equal(arr, np.stack([w.vector for w in word_vectors(m, ["dog", "doggo", "bus"])]))
    res = runner.invoke(main, ["vectors", str(out), "doggo", "--format", "json"])
    doc = json.loads(res.output)
    assert doc["subwords"] is True and doc["vectors"][0]["source"] == "subwords" and doc["vectors"][0]["index"] is None
    res = runner.invoke(main, ["vectors", str(out)])
    assert res.exit_code == 2 and "give words" in res.output


# -- every query command answers an unseen word ----------------------------------------------------
@pytest.fixture(scope="module")
def sub_model(tmp_path_factory, corpus):
    from click.testing import CliRunner

    out = tmp_path_factory.mktemp("sub") / "m"
    res = CliRunner().invoke(main, ["train", str(corpus), "-o", str(out), "--quiet", *FAST, "--epochs", "4"])
    assert res.exit_code == 0, res.output
    return out


def test_similar_and_analogy_answer_unseen_words(runner, sub_model):
    m = Model.load(sub_model)
    (cats,) = word_vectors(m, ["cats"])
    res = runner.invoke(main, ["similar", str(sub_model), "cats", "-k", "3", "--json"])
    assert res.exit_code == 0, res.output
    got = json.loads(res.output)
    t = m.table / np.linalg.norm(m.table, axis=1, keepdims=True).clip(1e-12)
    q = cats.vector / np.linalg.norm(cats.vector)
    scores = t @ q
    scores[list(m.vocab.special_ids())] = -np.inf
    assert [g["index"] for g in got] == list(np.argsort(-scores, kind="stable")[:3])
    res = runner.invoke(main, ["analogy", str(sub_model), "cat", "cats", "dogz", "-k", "2", "--json"])
    assert res.exit_code == 0, res.output
    assert len(json.loads(res.output)) == 2
    # a model without subwords still refuses, with the usual message
    res = runner.invoke(main, ["similar", os.path.join(HERE, "data", "model_v1"), "catzz"])
    assert res.exit_code == 1 and "unknown word" in res.output


def test_show_table_phrase_and_explain_mark_subword_rows(runner, sub_model):
    m = Model.load(sub_model)
    res = runner.invoke(main, ["show-table", str(sub_model), "--phrase", "the cats eats", "--json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.output)
    assert [r.get("source") for r in rows] == [None, "subwords", None]
    assert rows[1]["ngrams"] == len(char_ngrams("cats", 3, 6))
    (cats,) = word_vectors(m, ["cats"])
    assert np.array_equal(np.array(rows[1]["vector"], dtype=np.float32), cats.vector)
    res = runner.invoke(main, ["show-table", str(sub_model), "--explain", "cats", "--json"])
    assert res.exit_code == 0, res.output
    e = json.loads(res.output)
    assert e["source"] == "subwords" and e["index"] is None and e["equal"] is True
    assert [g["ngram"] for g in e["ngrams"]] == char_ngrams("cats", 3, 6)
    res = runner.invoke(main, ["show-table", str(sub_model), "--explain", "cats"])
    assert res.exit_code == 0 and "not in the vocabulary" in res.output and "equal" in res.output
    res = runner.invoke(main, ["show-table", str(sub_model), "--explain", "cat", "--json"])
    e = json.loads(res.output)  # a vocabulary word: the one-hot explanation, its row marked as composed
    assert e["equal"] is True and e["composed_from"] == {"word_row": 1, "ngram_rows": len(char_ngrams("cat", 3, 6))}


def test_show_table_phrase_composes_unseen_words_without_an_unk_row(runner, corpus, tmp_path):
    """A model trained on a vocabulary without specials (vocab --no-specials) composes unseen words
    for similar, embed and --explain; show-table --phrase refused them ('unknown word ... --oov
    skip'). Their rows are composed as with <unk>, with no index (there is no id for them)."""
    vocab = tmp_path / "v.json"
    assert runner.invoke(main, ["vocab", str(corpus), "--no-specials", "-o", str(vocab), "-q"]).exit_code == 0
    out = tmp_path / "m"
    train(runner, corpus, out, "--vocab", str(vocab))
    m = Model.load(out)
    assert m.vocab.unk_id is None and "cats" not in m.vocab.index
    res = runner.invoke(main, ["show-table", str(out), "--phrase", "the cats eats", "--maxlen", "4", "--json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.output)
    assert [(r["token"], r["index"], r.get("source")) for r in rows][1:] == \
        [("the", m.vocab.index["the"], None), ("cats", None, "subwords"), ("eats", m.vocab.index["eats"], None)]
    assert rows[0]["input"] is None and rows[0]["index"] == 0  # padding: id 0, as Keras pads
    (cats,) = word_vectors(m, ["cats"])
    assert np.array_equal(np.array(rows[2]["vector"], dtype=np.float32), cats.vector)
    res = runner.invoke(main, ["show-table", str(out), "--phrase", "the cats eats"])
    assert res.exit_code == 0 and "cats (subwords)" in res.stdout and "None" not in res.stdout


def test_show_table_phrase_marks_an_unseen_word_without_ngrams(runner, corpus, tmp_path):
    """A word too short for any n-gram ('<zq>' has none of 5-6 characters) has a zero vector, as in
    fastText; show-table --phrase labelled that zero row '<unk> (zq)' with <unk>'s index, although
    <unk>'s row is not zeros. It is a word composed from its (no) n-grams, as with more of them."""
    out = tmp_path / "m"
    train(runner, corpus, out, "--subwords", "5-6")
    m = Model.load(out)
    assert "zq" not in m.vocab.index and char_ngrams("zq", 5, 6) == [] and m.table[m.vocab.unk_id].any()
    res = runner.invoke(main, ["show-table", str(out), "--phrase", "zq cat", "--json"])
    assert res.exit_code == 0, res.output
    row = json.loads(res.output)[0]
    assert (row["input"], row.get("source"), row.get("ngrams")) == ("zq", "subwords", 0)
    assert not any(row["vector"])
    res = runner.invoke(main, ["show-table", str(out), "--phrase", "zq cat"])
    assert res.exit_code == 0 and "zq (subwords)" in res.stdout and "<unk>" not in res.stdout
    assert "zq (no n-gram: zeros)" in res.stderr


def test_explain_of_an_unseen_word_without_ngrams_says_so(runner, corpus, tmp_path):
    """--explain of a word with no n-gram printed 'composed from its 0 character n-grams (mean of
    their rows ...)' and 'n-gram counts x n-gram rows / 0 ... equal', a mean of nothing and a
    division by 0; it says the word has no n-gram and its vector is zeros."""
    out = tmp_path / "m"
    train(runner, corpus, out, "--subwords", "5-6")
    res = runner.invoke(main, ["show-table", str(out), "--explain", "zq"])
    assert res.exit_code == 0, res.output
    assert "/ 0" not in res.stdout and "0 character n-grams" not in res.stdout
    assert "no character n-gram" in res.stdout and "zeros" in res.stdout
    res = runner.invoke(main, ["show-table", str(out), "--explain", "zq", "--json"])
    e = json.loads(res.stdout)
    assert e["ngrams"] == [] and not any(e["vector"]) and e["equal"] is True


def test_evaluate_leaves_no_pair_or_question_out(runner, sub_model, tmp_path):
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("cat\tdog\t9\ncats\tdogs\t8.5\ncat\tcar\t1\nhorse\ttrucks\t0.5\n", encoding="utf-8")
    analogies = tmp_path / "q.txt"
    analogies.write_text(": plural\ncat cats dog dogs\ncar cars bus buses\ncat dog car bus\n", encoding="utf-8")
    res = runner.invoke(main, ["evaluate", str(sub_model), "--similarity", str(pairs), "--analogies",
                               str(analogies), "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    p, a = doc["similarity"][0], doc["analogies"][0]
    assert p["pairs"] == 4 and p["oov_pairs"] == 0 and p["subword_pairs"] == 2
    assert a["answered"] == 3 and a["oov_questions"] == 0 and a["subword_questions"] == 2
    # the pair cosine of an unseen word is that of its composed vector
    m = Model.load(sub_model)
    from embedcli.evaluate import evaluate_pairs

    one = tmp_path / "one.tsv"
    one.write_text("cats\tdog\t1\ncat\tdog\t2\nbus\tcar\t3\n", encoding="utf-8")
    r = evaluate_pairs(m.vocab, m.table, str(one), subwords=m.subwords)
    assert r.pairs == 3 and r.subword_pairs == 1
    v1 = Model.load(os.path.join(HERE, "data", "model_v1"))
    r = evaluate_pairs(v1.vocab, v1.table, str(one))
    assert r.oov_pairs >= 1  # without subwords unknown words are still skipped


def test_init_and_freeze_with_subwords_keep_the_word_rows(runner, corpus, tmp_path):
    """--init sets the word rows (not the n-gram rows); --freeze keeps them bit-identical."""
    base = tmp_path / "base"
    train(runner, corpus, base, "--subwords", "0")
    vec = tmp_path / "init.txt"
    res = runner.invoke(main, ["show-table", str(base), "--format", "word2vec", "-o", str(vec), "--quiet"])
    assert res.exit_code == 0, res.output
    out = tmp_path / "frozen"
    train(runner, corpus, out, "--init", str(vec), "--freeze", "--workers", "2")
    m, b = Model.load(out), Model.load(base)
    found = np.flatnonzero(m.arrays["init_found"])
    assert len(found) == len(m.vocab) - 2
    rows = m.arrays["input_rows"]
    assert np.array_equal(rows[found], b.table[found])  # frozen word rows: exactly the file's
    assert not np.array_equal(m.table[found], b.table[found])  # the composed vectors still learn (n-gram rows)


def test_embed_counts_unseen_words_by_their_ngrams(runner, sub_model):
    import embedcli

    emb = embedcli.load(sub_model)
    (cats,) = word_vectors(emb.model, ["cats"])
    vec, n = emb.embed_with_counts("the cats zz")
    expected = np.mean([emb.table[emb.vocab["the"]].astype(np.float64), cats.vector.astype(np.float64),
                        emb["zz"].astype(np.float64)], axis=0)
    assert n[0] == 3 and np.allclose(vec, expected, atol=1e-6)
    res = runner.invoke(main, ["embed", str(sub_model), "the cats zz", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)[0]
    assert doc["known"] == 3 and np.allclose(np.array(doc["vector"], dtype=np.float32), vec, atol=1e-6)
