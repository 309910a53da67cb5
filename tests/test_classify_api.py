"""The public Classifier: load, predict, predict_proba, test and evaluate, like fastText's module.
The library; the command-line tests are in test_cli_classify_api.py."""

from __future__ import annotations

import math

import numpy as np
import pytest

from embedcli.classify import Classifier, train_classifier
from embedcli.errors import EmbedcliError, ParameterError

from support.classify_api import clf, model_dir


def test_attributes_and_one_line_repr(clf):
    assert clf.labels == ["__label__news", "__label__clickbait"]
    assert clf.dim == 20 and clf.word_ngrams == 2
    assert repr(clf) == f"Classifier(labels=2, vocab={len(clf.vocab)}, dim=20, word_ngrams=2)"


def test_predict_one_phrase_or_many(clf):
    one = clf.predict("You won't believe what this cat did")
    assert isinstance(one, list) and len(one) == 1
    label, prob = one[0]
    assert label == "__label__clickbait" and isinstance(prob, float) and 0.5 < prob <= 1
    many = clf.predict(["You won't believe what this cat did", "Parliament passes budget"], k=2)
    assert [[l for l, _ in p] for p in many] == [["__label__clickbait", "__label__news"],
                                               ["__label__news", "__label__clickbait"]]
    for pred in many:
        assert pred[0][1] >= pred[1][1] and math.isclose(pred[0][1] + pred[1][1], 1.0, rel_tol=1e-9)
    alone = clf.predict("You won't believe what this cat did", k=2)  # same up to float rounding
    assert [l for l, _ in alone] == [l for l, _ in many[0]]
    assert np.allclose([p for _, p in alone], [p for _, p in many[0]], rtol=1e-12)
    # any iterable, labels in the text ignored, -1 = every label, threshold filters
    assert clf.predict(t for t in ["__label__news Parliament passes budget"]) == [clf.predict("Parliament passes budget")]
    assert len(clf.predict("storm", k=-1)) == 2
    assert clf.predict("Parliament passes budget", k=2, threshold=0.5) == [clf.predict("Parliament passes budget")[0]]
    assert clf.predict("Parliament passes budget", threshold=1.0) == []
    assert clf.predict([]) == []


def test_predict_proba_columns_follow_labels(clf):
    texts = ["Storm causes power cuts", "These 17 tricks will change your life", ""]
    probs = clf.predict_proba(texts)
    assert probs.shape == (3, 2) and np.allclose(probs.sum(axis=1), 1.0)
    assert [clf.labels[i] for i in probs.argmax(axis=1)] == [p[0][0] for p in clf.predict(texts)]


def test_evaluate_counts_unknown_labels_as_skipped(clf):
    result = clf.evaluate([("Storm causes power cuts", "news"), ("a cat", "sports")])
    assert result["n"] == 1 and result["skipped"] == 1 and result["gold_labels"] == 1


def test_errors_name_the_parameter(clf, tmp_path):
    with pytest.raises(ParameterError, match=r"^k must be at least 1, or -1"):
        clf.predict("x", k=0)
    with pytest.raises(ParameterError, match=r"^threshold must be a probability"):
        clf.predict("x", threshold=1.5)
    with pytest.raises(ParameterError, match=r"^path_or_pairs: expected a file path or \(text, labels\) pairs; item 0"):
        clf.test(["just a string"])
    with pytest.raises(EmbedcliError, match="no line has a label"):
        clf.test([("text", [])])
    with pytest.raises(EmbedcliError, match="no such model directory"):
        Classifier.load(tmp_path / "missing")
    # None, a number or bytes (not phrases) raised a bare TypeError, or 'item 0 is int' for b"..."
    for bad, kind in ((None, "NoneType"), (123, "int"), (b"free money", "bytes")):
        with pytest.raises(ParameterError, match=r"^texts: expected a string or an iterable of strings \(got %s\)$"
                           % kind):
            clf.predict(bad)


def test_numpy_numbers_are_numbers_for_k_and_threshold(clf):
    """A threshold or k computed with numpy (``np.float32(0.5)``, ``np.percentile(...)``) is a number
    like Python's, not 'threshold must be a probability between 0 and 1'."""
    texts = ["Parliament passes budget", "You won't believe what this cat did"]
    want = clf.predict(texts, k=2, threshold=0.5)
    for threshold in (np.float32(0.5), np.float64(0.5), np.float16(0.5)):
        assert clf.predict(texts, k=np.int64(2), threshold=threshold) == want
        assert clf.test([(texts[0], "news")], threshold=threshold) == clf.test([(texts[0], "news")], threshold=0.5)
    with pytest.raises(ParameterError, match=r"^threshold must be a probability"):
        clf.predict("x", threshold=np.float32(1.5))


def test_save_round_trip(clf, tmp_path):
    clf.save(tmp_path / "copy")
    again = Classifier.load(tmp_path / "copy")
    texts = ["Storm causes power cuts", "What this dad found will blow your mind"]
    assert again.predict(texts, k=2) == clf.predict(texts, k=2)


def test_sentence_vectors_are_what_the_classifier_scores(clf):
    """fastText's get_sentence_vector of a supervised model: the mean input row (words and word
    n-grams), the vector whose scores give predict_proba."""
    texts = ["You won't believe what this cat did", "flooding closes the railway", "qqqzzz"]
    v = clf.sentence_vectors(texts)
    assert v.shape == (3, clf.dim) and v.dtype == np.float32
    logits = v.astype(np.float64) @ clf.output.T.astype(np.float64) + clf.bias.astype(np.float64)
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    assert np.allclose(probs / probs.sum(axis=1, keepdims=True), clf.predict_proba(texts), rtol=0, atol=1e-12)
    assert not v[2].any()  # no known word, no n-gram row: zeros (the label prior is the bias alone)
    a, b = [w for w in clf.vocab.tokens[2:] if w.isalpha()][:2]  # two known words
    assert clf.get_sentence_vector(a).tobytes() == clf.model.table[clf.vocab.index[a]].tobytes()
    # two words: their rows and the bigram's row (word_ngrams 2), not the words' mean alone
    two = clf.get_sentence_vector(f"{a} {b}")
    words_only = clf.model.table[[clf.vocab.index[a], clf.vocab.index[b]]].mean(axis=0)
    assert not np.allclose(two, words_only) and np.array_equal(clf.sentence_vectors([f"{a} {b}"])[0], two)


def test_sentence_vectors_take_token_lists_as_predict_does(clf):
    """A token list (gensim's and a tokenised corpus's shape) is its tokens joined by spaces, in
    sentence_vectors as in predict and predict_proba; anything else names the item."""
    texts = ["You won't believe what this cat did", "flooding closes the railway"]
    lists = [t.split() for t in texts]
    assert clf.sentence_vectors(lists).tobytes() == clf.sentence_vectors(texts).tobytes()
    vecs, counts = clf.sentence_vectors_with_counts(lists)
    assert vecs.tobytes() == clf.sentence_vectors(texts).tobytes() and counts.tolist() == \
        clf.sentence_vectors_with_counts(texts)[1].tolist()
    with pytest.raises(ParameterError, match=r"^texts: item 1 is NoneType, not a string or a list of tokens$"):
        clf.sentence_vectors(["a", None])


def test_sentence_vectors_with_counts_of_one_string(clf):
    """One string is one text, as in sentence_vectors and Embeddings.embed_with_counts: its vector
    and its count of rows, not one vector per character (a string iterated as texts)."""
    text = "You won't believe what this cat did"
    vec, counts = clf.sentence_vectors_with_counts(text)
    many, many_counts = clf.sentence_vectors_with_counts([text])
    assert vec.shape == (clf.dim,) and vec.tobytes() == many[0].tobytes() == clf.sentence_vectors(text).tobytes()
    assert counts.tolist() == many_counts.tolist() and counts[0] > 0


def test_get_sentence_vector_takes_one_text(clf):
    """get_sentence_vector (fastText's name) of one text: a string or a token list; None, bytes or
    a number is a ParameterError, not the vector of the text 'None' or "b'...'"."""
    text = "You won't believe what this cat did"
    assert clf.get_sentence_vector(text.split()).tobytes() == clf.get_sentence_vector(text).tobytes()
    for bad, kind in ((None, "NoneType"), (text.encode(), "bytes"), (5, "int")):
        with pytest.raises(ParameterError, match=rf"^text: expected a string or a list of tokens \(got {kind}\)$"):
            clf.get_sentence_vector(bad)
    with pytest.raises(ParameterError, match=r"^text: .* holding NoneType, not only strings \(tokens\)$"):
        clf.get_sentence_vector(["cat", None])


def test_per_label_scores_add_up_and_match_the_predictions(clf):
    """evaluate's per_label (fastText's test-label): each label's counts, from the predictions."""
    pairs = [("Storm causes power cuts", "news"), ("These 17 tricks will change your life", "clickbait"),
             ("You won't believe what this cat did", "news"), ("flooding closes the railway", ["news", "clickbait"])]
    for k in (1, 2):
        result = clf.evaluate(pairs, k=k)
        per = {row["label"]: row for row in result["per_label"]}
        assert [row["label"] for row in result["per_label"]] == clf.labels
        preds = clf.predict([t for t, _ in pairs], k=k)
        for label in clf.labels:
            golds = [{clf.label_prefix + x for x in ([g] if isinstance(g, str) else g)} for _, g in pairs]
            predicted = sum(label in {lab for lab, _ in p} for p in preds)
            correct = sum(label in {lab for lab, _ in p} and label in g for p, g in zip(preds, golds))
            n_gold = sum(label in g for g in golds)
            row = per[label]
            assert (row["gold"], row["predicted"], row["correct"]) == (n_gold, predicted, correct), (k, label)
            p, r = correct / predicted, correct / n_gold
            assert row["precision"] == p and row["recall"] == r and row["f1"] == pytest.approx(2 * p * r / (p + r))
        assert sum(r["correct"] for r in per.values()) == result["correct"]
        assert sum(r["gold"] for r in per.values()) == result["gold_labels"]
        assert sum(r["predicted"] for r in per.values()) == result["predictions"]


def test_per_label_f1_of_a_label_never_predicted_is_zero(clf):
    """fastText's test-label F1 is 2 * correct / (predicted + gold), undefined only when both are 0:
    a label with examples that is never predicted (or predicted but never true) scores 0, not
    an undefined F1 that a macro average would leave out."""
    news = [t for t in ("Storm causes power cuts", "Flooding closes the railway", "Parliament passes the budget")
            if clf.predict(t)[0][0] == "__label__news"]
    assert news
    per = {r["label"]: r for r in clf.evaluate([(t, "clickbait") for t in news])["per_label"]}
    clickbait, other = per["__label__clickbait"], per["__label__news"]
    assert (clickbait["gold"], clickbait["predicted"], clickbait["recall"], clickbait["f1"]) == (len(news), 0, 0.0, 0.0)
    assert math.isnan(clickbait["precision"])
    assert (other["gold"], other["predicted"], other["precision"], other["f1"]) == (0, len(news), 0.0, 0.0)
    assert math.isnan(other["recall"])


def test_test_pairs_take_integer_and_missing_labels(tmp_path):
    """clf.test(zip(texts, y)) with y of integers (a pandas or numpy column: 0, 1, np.int64) scores
    them as the labels '__label__0', '__label__1' a table's label column trains, and a label None
    is a line without a label (skipped, as fastText's test skips it); both failed with TypeError
    "'int' object is not iterable". Anything else names the item."""
    path = tmp_path / "digits.txt"
    path.write_text("__label__0 storm floods coast\n__label__1 you will not believe\n" * 10)
    clf = Classifier(train_classifier(str(path), dim=8, epochs=10, lr=0.5, seed=1))
    texts = ["storm floods coast", "you will not believe", "storm floods coast"]
    as_strings = clf.evaluate(list(zip(texts, ["0", "1", ["0", "1"]])))
    assert clf.evaluate(list(zip(texts, [0, np.int64(1), [np.int32(0), 1]]))) == as_strings
    assert clf.test(zip(texts + ["an unlabelled one"], [0, 1, [0, 1], None])) == clf.test(zip(texts, [0, 1, [0, 1]]))
    with pytest.raises(ParameterError, match=r"^path_or_pairs: item 0 has the label 0.5; labels are strings or "
                                             r"integers$"):
        clf.test([("storm", 0.5)])
    with pytest.raises(ParameterError, match=r"^path_or_pairs: item 1 has the label None; labels are strings or "
                                             r"integers$"):
        clf.test([("storm", "0"), ("storm", ["0", None])])


def test_pair_errors_show_items_with_braces(clf):
    """An item or a label holding braces (a dict, '{b}') is shown in the error as it is; it used to
    be read as the message's own fields, a KeyError "'a'" instead of the error."""
    with pytest.raises(ParameterError, match=r"^path_or_pairs: expected a file path or \(text, labels\) pairs; "
                                             r"item 0 is \{'a': 1\}$"):
        clf.test([{"a": 1}])
    with pytest.raises(ParameterError, match=r"^path_or_pairs: item 0 has the label \{'b': 2\}; labels are"):
        clf.test([("x", [{"b": 2}])])
