"""The public Classifier: load, predict, predict_proba, test and evaluate, like fastText's module.
Through the command line; the library tests are in test_classify_api.py."""

from __future__ import annotations

import json
import os

import pytest

from embedcli.classify import Classifier
from embedcli.cli import main
from embedcli.errors import EmbedcliError
from embedcli.labeled import split_labels

from support import REPO
from support.classify_api import clf, model_dir

SAMPLE_TEST = os.path.join(REPO, "sample_data", "labeled_test.txt")


def test_cli_predict_goes_through_the_same_class(runner, clf, model_dir):
    texts = ["Storm causes power cuts", "These 17 tricks will change your life"]
    r = runner.invoke(main, ["predict", model_dir, "-k", "2", "--prob", *texts])
    assert r.exit_code == 0, r.output
    expected = [" ".join(f"{l} {p:.6g}" for l, p in pred) for pred in clf.predict(texts, k=2)]
    assert r.stdout.splitlines() == expected


def test_test_on_a_file_and_on_pairs(runner, clf, model_dir):
    n, p, r = clf.test(SAMPLE_TEST)
    assert n == 500 and p > 0.9 and p == r  # one label per line: P@1 = R@1
    out = runner.invoke(main, ["test", model_dir, SAMPLE_TEST])
    assert out.stdout.splitlines() == [f"N\t{n}", f"P@1\t{p:.3f}", f"R@1\t{r:.3f}"]
    pairs = []
    with open(SAMPLE_TEST, encoding="utf-8") as f:
        for line in f:
            labels, text = split_labels(line.strip())
            pairs.append((text, [l[len("__label__"):] for l in labels]))  # bare label names work too
    assert clf.test(pairs) == (n, p, r)
    assert clf.test([(t, "__label__" + ls[0]) for t, ls in pairs]) == (n, p, r)  # one label as a string
    n2, p2, r2 = clf.test(pairs, k=2)
    assert n2 == n and r2 == 1.0 and p2 == 0.5  # both labels predicted: every gold label found


def test_load_refuses_a_word_vector_model(runner, tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text("the cat sat on the mat\nthe dog sat on the log\n" * 5)
    r = runner.invoke(main, ["train", str(corpus), "-o", str(tmp_path / "sg"), "--dim", "4", "--epochs", "1",
                             "--min-count", "1", "-q"])
    assert r.exit_code == 0, r.output
    with pytest.raises(EmbedcliError, match="not a classifier model"):
        Classifier.load(tmp_path / "sg")


def test_embed_gives_the_classifiers_sentence_vectors(runner, clf, model_dir):
    """embed on a classifier: the vector it scores, word n-grams included (fastText's
    print-sentence-vectors of a supervised model); --normalize: the word rows' mean, as for words."""
    import numpy as np

    from embedcli.embeddings import Embeddings

    texts = ["Storm causes power cuts", "These 17 tricks will change your life", "qqqzzz"]
    r = runner.invoke(main, ["embed", model_dir, *texts, "--json"])
    assert r.exit_code == 0, r.output
    got = json.loads(r.stdout)
    want, rows = clf.sentence_vectors_with_counts(texts)
    assert np.array_equal(np.array([g["vector"] for g in got], dtype=np.float32), want)
    assert [g["known"] for g in got] == rows.tolist() and rows[0] > len(texts[0].split())  # bigrams count
    assert got[2]["known"] == 0 and not any(got[2]["vector"])  # no row: zeros, and counted as such
    r = runner.invoke(main, ["embed", model_dir, texts[0], "--json", "--normalize"])
    norm = np.array(json.loads(r.stdout)[0]["vector"], dtype=np.float32)
    assert np.array_equal(norm, Embeddings.load(model_dir).embed(texts[0], normalize=True))


def test_test_per_label_prints_fasttexts_test_label_lines(runner, clf, model_dir):
    result = clf.evaluate(SAMPLE_TEST)
    out = runner.invoke(main, ["test", model_dir, SAMPLE_TEST, "--per-label"])
    assert out.exit_code == 0, out.output
    lines = out.stdout.splitlines()
    assert lines[len(clf.labels):] == [f"N\t{result['n']}", f"P@1\t{result['precision']:.3f}",
                                       f"R@1\t{result['recall']:.3f}"]
    for line, row in zip(lines, result["per_label"]):
        assert line == (f"F1-Score : {row['f1']:.6f}  Precision : {row['precision']:.6f}  "
                        f"Recall : {row['recall']:.6f}   {row['label']}")
    data = json.loads(runner.invoke(main, ["test", model_dir, SAMPLE_TEST, "--json"]).stdout)
    assert [r["label"] for r in data["per_label"]] == clf.labels and data["per_label"][0]["gold"] > 0


def test_per_label_scores_without_examples_are_undefined(runner, clf, model_dir, tmp_path):
    """A label neither in the file nor predicted: no precision, recall or F1 (null in JSON,
    "--------" in the lines, as fastText prints them)."""
    news = [t for t, p in ((t, clf.predict(t)[0][0]) for t in ("Storm causes power cuts", "Flooding closes the railway",
                                                              "Parliament passes the budget"))
            if p == "__label__news"]
    assert news
    path = tmp_path / "news.txt"
    path.write_text("".join(f"__label__news {t}\n" for t in news))
    data = json.loads(runner.invoke(main, ["test", model_dir, str(path), "--json"]).stdout)
    other = {r["label"]: r for r in data["per_label"]}["__label__clickbait"]
    assert other == {"label": "__label__clickbait", "precision": None, "recall": None, "f1": None, "gold": 0,
                     "predicted": 0, "correct": 0}
    lines = runner.invoke(main, ["test", model_dir, str(path), "--per-label"]).stdout.splitlines()
    assert "F1-Score : --------  Precision : --------  Recall : --------   __label__clickbait" in lines
