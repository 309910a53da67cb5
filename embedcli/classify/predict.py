"""Using a trained classifier: :class:`Classifier` (predictions, P@k/R@k), like fastText's module."""

from __future__ import annotations

import os
from typing import Any, Callable, Iterable, Iterator, Sequence

import numpy as np

from ..errors import EmbedcliError, FormatError, ParameterError, is_integer
from ..io import display_name
from ..labeled import LABEL_PREFIX, iter_labeled, line_tokens, split_labels
from ..model import Model
from ..sources import one_text, phrase_strings
from ..tokenizer import token_pattern
from .model import input_rows, segment_add
from ..subwords import parse_range
from .ngrams import NgramRows, char_ngram_hashes, fnv1a, token_rows
from .train import NGRAM_BUCKETS, OBJECTIVE

Prediction = list[tuple[str, float]]


def _label_scores(label: str, gold: int, predicted: int, correct: int) -> dict[str, Any]:
    """One label's precision, recall and F1 at k (fastText's ``test-label``), with the counts.

    F1 is fastText's ``2 * correct / (predicted + gold)`` (the harmonic mean of precision and
    recall where both exist): 0 for a label never predicted or never true, undefined only for a
    label neither in the examples nor predicted."""
    p = correct / predicted if predicted else float("nan")
    r = correct / gold if gold else float("nan")
    f1 = 2 * correct / (predicted + gold) if predicted + gold else float("nan")
    return {"label": label, "precision": p, "recall": r, "f1": f1, "gold": gold, "predicted": predicted,
            "correct": correct}


class Classifier:
    """A trained fastText-style text classifier (a model trained with ``objective: classify``).

    Shaped like fastText's Python module::

        >>> clf = embedcli.Classifier.load("models/classifier")
        >>> clf
        Classifier(labels=2, vocab=478, dim=100, word_ngrams=1)
        >>> clf.labels
        ['__label__news', '__label__clickbait']
        >>> clf.predict("You won't believe what this cat did")
        [('__label__clickbait', 0.91...)]
        >>> clf.predict(["flooding closes the railway", "17 tricks"], k=2)
        [[('__label__news', 0.80...), ('__label__clickbait', 0.19...)], [...]]
        >>> clf.test("sample_data/labeled_test.txt")        # (N, P@1, R@1), like fastText's test
        (500, 0.954, 0.954)

    Text is normalised and tokenised as at training (the model's vocabulary settings); words
    starting with the label prefix are ignored, so labelled lines can be passed as they are.
    Words the model does not know are ignored, as fastText does, unless the model has character
    n-grams (``subwords``): then they count by the rows of their n-grams; a phrase with no input
    row gets the label prior the model learnt (``softmax(bias)``).

    Attributes: ``labels`` (label strings with their prefix, in the model's order), ``vocab``,
    ``dim``, ``word_ngrams``, ``label_prefix``, ``model`` (the :class:`embedcli.model.Model`).
    """

    def __init__(self, model: Model):
        name = model.path or "model"
        if model.objective != OBJECTIVE:
            raise EmbedcliError("{name}: not a classifier model (objective: {found}); train one with {objective} classify",
                                "objective", name=name, found=model.objective or "none")
        self.model = model
        self.vocab = model.vocab
        self.settings = model.vocab.settings
        self.pattern = token_pattern(self.settings)
        cfg = model.config
        self.label_prefix = cfg.get("label_prefix", LABEL_PREFIX)
        self.word_ngrams = int(cfg.get("word_ngrams", 1))
        self.labels: list[str] = model.objects.get("labels")
        self.output = model.arrays.get("output")
        self.bias = model.arrays.get("bias")
        if not isinstance(self.labels, list) or self.output is None or self.bias is None:
            raise FormatError(f"{name}: classifier model without labels.json, output.npy and bias.npy")
        n, dim = len(self.labels), model.dim
        if self.output.shape != (n, dim) or self.bias.shape != (n,):
            raise FormatError(
                f"{name}: output.npy {self.output.shape} / bias.npy {self.bias.shape} do not match "
                f"{n} labels and dim {dim}"
            )
        self.label_index = {label: i for i, label in enumerate(self.labels)}
        self.subwords: tuple[int, int] | None = parse_range(cfg.get("subwords", 0))  # (minn, maxn)
        self.ngram_table: np.ndarray | None = None
        self.ngram_rows: NgramRows | None = None
        if self.word_ngrams > 1 or self.subwords is not None:
            self.ngram_table, self.ngram_rows = _ngrams_of(model, name, dim)
        self.special_ids = np.asarray(self.vocab.special_ids(), dtype=np.int64)  # never inputs

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Classifier":
        """Load a classifier model directory (written by ``embedcli train --objective classify``)."""
        return cls(Model.load(path))

    def save(self, path: str | os.PathLike) -> None:
        """Write the model directory (atomically: an existing one is replaced only on success)."""
        self.model.save(path)

    @property
    def dim(self) -> int:
        return self.model.dim

    def __repr__(self) -> str:
        sub = "" if self.subwords is None else f", subwords='{self.subwords[0]}-{self.subwords[1]}'"
        return (f"Classifier(labels={len(self.labels)}, vocab={len(self.vocab)}, dim={self.dim}, "
                f"word_ngrams={self.word_ngrams}{sub})")

    # -- prediction ---------------------------------------------------------------------------
    def tokens(self, text: str) -> list[str]:
        """Tokens of a phrase, labels (``__label__...`` words) removed first."""
        _, rest = split_labels(text, self.label_prefix)
        return line_tokens(rest, self.settings, self.pattern)

    def hidden(self, token_lists: Sequence[Sequence[str]], counts: bool = False):
        """(phrases, dim) float32: each tokenised phrase's mean input row (its words, word n-grams and
        character n-grams: what the output layer scores; zeros for a phrase without one). With
        ``counts``, also each phrase's number of input rows."""
        batch = len(token_lists)
        lengths = np.fromiter(map(len, token_lists), dtype=np.int64, count=batch)
        flat = [t for toks in token_lists for t in toks]
        index = self.vocab.index
        wids = np.fromiter((index.get(t, -1) for t in flat), dtype=np.int64, count=len(flat))
        if len(self.special_ids):
            wids[np.isin(wids, self.special_ids)] = -1
        hashes = fnv1a(flat) if self.word_ngrams > 1 and len(flat) else None
        n_words = len(self.vocab)
        per_token = None
        if self.subwords is not None:  # each distinct token's word row and character n-gram rows
            distinct: dict[str, int] = {}
            keys = np.fromiter((distinct.setdefault(t, len(distinct)) for t in flat), dtype=np.int64,
                               count=len(flat))
            first = np.unique(keys, return_index=True)[1]  # each distinct token's first occurrence
            gram_hashes, g_off, g_flat = char_ngram_hashes(distinct, *self.subwords)
            per_token = (keys, *token_rows(wids[first], gram_hashes, g_off, g_flat, self.ngram_rows, n_words))
        ids, lines = input_rows(wids, hashes, lengths, self.word_ngrams, self.ngram_rows, n_words, per_token)
        rows = np.empty((len(ids), self.dim), dtype=np.float32)
        is_word = ids < n_words
        rows[is_word] = self.model.table[ids[is_word]]
        if not is_word.all():
            rows[~is_word] = self.ngram_table[ids[~is_word] - n_words]
        hidden = np.zeros((batch, self.dim), dtype=np.float32)
        segment_add(hidden, rows, lines)
        n_rows = np.bincount(lines, minlength=batch)
        hidden /= np.maximum(n_rows, 1).astype(np.float32)[:, None]
        return (hidden, n_rows) if counts else hidden

    def probabilities(self, token_lists: Sequence[Sequence[str]]) -> np.ndarray:
        """(phrases, labels) float64 probabilities of tokenised phrases."""
        hidden = self.hidden(token_lists)
        logits = hidden.astype(np.float64) @ self.output.T.astype(np.float64) + self.bias.astype(np.float64)
        logits -= logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(axis=1, keepdims=True)
        return probs

    def sentence_vectors(self, texts: Iterable[str] | str) -> np.ndarray:
        """The vector the classifier scores for each text (fastText's ``get_sentence_vector`` of a
        supervised model): the mean of its input rows, words and n-grams, tokenised as at training.
        ``(dim,)`` float32 for one string, ``(n, dim)`` otherwise (texts as in :meth:`predict`:
        strings or token lists); a text with no input row gives zeros. A feature vector for
        another model, or to compare texts by cosine."""
        return self.sentence_vectors_with_counts(texts)[0]

    def sentence_vectors_with_counts(self, texts: Iterable[str] | str) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`sentence_vectors` and each text's number of input rows (0: a zero vector), as
        :meth:`Embeddings.embed_with_counts <embedcli.Embeddings.embed_with_counts>`."""
        single = isinstance(texts, str)
        out, counts = self.hidden([self.tokens(t) for t in phrase_strings([texts] if single else texts, "texts")],
                                  counts=True)
        return (out[0], counts[:1]) if single else (out, counts)

    def get_sentence_vector(self, text: str | Sequence[str]) -> np.ndarray:
        """fastText's name: :meth:`sentence_vectors` of one text (a string or a token list)."""
        return self.hidden([self.tokens(one_text(text))])[0]

    def predict_proba(self, texts: Iterable[str] | str) -> np.ndarray:
        """Probability of every label (columns in :attr:`labels` order): (phrases, labels) float64."""
        if isinstance(texts, str):
            texts = [texts]
        return self.probabilities([self.tokens(t) for t in phrase_strings(texts, "texts")])

    def predict(self, texts: Iterable[str] | str, k: int = 1, threshold: float = 0.0):
        """The ``k`` most likely labels of each phrase, with their probability, best first.

        ``texts``: one phrase (a ``str``), or an iterable of phrases (strings, or token lists
        joined by spaces). Returns for one phrase a
        list ``[(label, probability), ...]``, for several a list of such lists, one per phrase,
        in order. ``k=-1`` gives every label (as in fastText); only labels with probability
        ``>= threshold`` are returned, so a list can be shorter than ``k`` (even empty). Ties
        go to the label that comes first in :attr:`labels`.
        """
        k = self._check_k(k, threshold)
        if isinstance(texts, str):
            return self.predict_tokens([self.tokens(texts)], k, threshold)[0]
        return self.predict_tokens([self.tokens(t) for t in phrase_strings(texts, "texts")], k, threshold)

    def predict_tokens(self, token_lists: Sequence[Sequence[str]], k: int = 1,
                       threshold: float = 0.0) -> list[Prediction]:
        """:meth:`predict` for phrases already tokenised."""
        if not len(token_lists):
            return []
        return self.top(self.probabilities(token_lists), k, threshold)

    def top(self, probs: np.ndarray, k: int = 1, threshold: float = 0.0) -> list[Prediction]:
        """Best ``k`` labels of each row of ``probs`` (ties: first label first), above ``threshold``."""
        k = probs.shape[1] if k < 0 else min(k, probs.shape[1])
        order = np.argsort(-probs, axis=1, kind="stable")[:, :k]
        top = np.take_along_axis(probs, order, axis=1)
        return [
            [(self.labels[i], p) for i, p in zip(row_ids, row_p) if p >= threshold]
            for row_ids, row_p in zip(order.tolist(), top.tolist())
        ]

    def _check_k(self, k: int, threshold: float) -> int:
        if not is_integer(k) or (k < 1 and k != -1):
            raise ParameterError("{k} must be at least 1, or -1 for every label (got {got!r})", "k", got=k)
        if not (isinstance(threshold, (int, float, np.integer, np.floating)) and 0.0 <= threshold <= 1.0):
            raise ParameterError("{threshold} must be a probability between 0 and 1 (got {got!r})",
                                 "threshold", got=threshold)
        return int(k)

    # -- evaluation ---------------------------------------------------------------------------
    def test(self, path_or_pairs, k: int = 1, threshold: float = 0.0) -> tuple[int, float, float]:
        """``(N, precision at k, recall at k)`` on labelled examples, like fastText's ``test``.

        ``path_or_pairs``: a fastText-format file (``__label__X some text`` lines), or an
        iterable of ``(text, labels)`` pairs where ``labels`` is one label or a list of labels,
        with or without the prefix (``"news"`` and ``"__label__news"`` are the same label), an
        integer being its digits (``0``: ``"__label__0"``) and ``None`` no label.
        See :meth:`evaluate` for the counting rules.
        """
        result = self.evaluate(path_or_pairs, k=k, threshold=threshold)
        return result["n"], result["precision"], result["recall"]

    def evaluate(
        self,
        path_or_pairs,
        *,
        k: int = 1,
        threshold: float = 0.0,
        encoding_errors: str = "strict",
        batch_lines: int = 4096,
        progress: Callable[[int], None] | None = None,
    ) -> dict[str, Any]:
        """Precision and recall at ``k`` with every count behind them (what ``embedcli test`` shows).

        Every example with at least one label the model knows counts (labels the model never saw
        are ignored, as in fastText; an example with only such labels is skipped and counted in
        ``skipped``). Precision = correct predictions / predictions made, recall = correct
        predictions / gold labels (NaN when there is nothing to divide). ``accuracy`` is the
        share of examples whose top label is one of theirs (equal to P@1 for single-label data).
        ``per_label``: each label's precision, recall and F1 at ``k`` with its counts (fastText's
        ``test-label``), in the model's label order. ``progress(n)`` gets the bytes read from a file.
        """
        k = self._check_k(k, threshold)
        n = n_pred = n_correct = n_gold = n_top = skipped = any_label = 0
        batch_tokens: list[list[str]] = []
        batch_gold: list[set[str]] = []
        per = {label: [0, 0, 0] for label in self.labels}  # label -> [gold, predicted, correct]

        def flush():
            nonlocal n_pred, n_correct, n_top
            probs = self.probabilities(batch_tokens)
            preds = self.top(probs, k, threshold)
            top1 = self.top(probs, 1, 0.0)
            for gold, pred, first in zip(batch_gold, preds, top1):
                n_pred += len(pred)
                for label in gold:
                    per[label][0] += 1
                for label, _ in pred:
                    per[label][1] += 1
                    if label in gold:
                        per[label][2] += 1
                        n_correct += 1
                n_top += first[0][0] in gold
            batch_tokens.clear()
            batch_gold.clear()

        for labels, tokens in self._examples(path_or_pairs, encoding_errors, progress):
            if labels:
                any_label += 1
            gold = {label for label in labels if label in self.label_index}
            if not gold:
                skipped += bool(labels)
                continue
            n += 1
            n_gold += len(gold)
            batch_tokens.append(tokens)
            batch_gold.append(gold)
            if len(batch_tokens) >= batch_lines:
                flush()
        if batch_tokens:
            flush()
        if any_label == 0:
            where = (display_name(path_or_pairs) if isinstance(path_or_pairs, (str, os.PathLike))
                     else "the examples")
            raise EmbedcliError(
                f"{where}: no line has a label (a token starting with {self.label_prefix!r}); "
                "a test file needs fastText-format lines"
            )
        return {
            "n": n,
            "k": k,
            "threshold": threshold,
            "precision": n_correct / n_pred if n_pred else float("nan"),
            "recall": n_correct / n_gold if n_gold else float("nan"),
            "accuracy": n_top / n if n else float("nan"),
            "predictions": n_pred,
            "correct": n_correct,
            "gold_labels": n_gold,
            "skipped": skipped,
            "per_label": [_label_scores(label, *per[label]) for label in self.labels],
        }

    def _examples(self, source, encoding_errors, progress) -> Iterator[tuple[list[str], list[str]]]:
        """``(labels, tokens)`` of a labelled file or of ``(text, labels)`` pairs."""
        if isinstance(source, (str, os.PathLike)):
            for _, labels, tokens in iter_labeled(source, self.settings, prefix=self.label_prefix,
                                                  encoding_errors=encoding_errors, progress=progress):
                yield labels, tokens
            return
        prefix = self.label_prefix
        for i, pair in enumerate(source):
            if isinstance(pair, str) or not isinstance(pair, Sequence) or len(pair) != 2:
                raise ParameterError("{path_or_pairs}: expected a file path or (text, labels) pairs; "
                                     "item {n} is {item!r}", "path_or_pairs", n=i, item=pair)
            text, labels = pair
            if labels is None:  # a line without a label
                labels = []
            elif isinstance(labels, str) or not isinstance(labels, Iterable):
                labels = [labels]
            names = []
            for label in labels:
                if not (isinstance(label, str) or is_integer(label)):
                    raise ParameterError("{path_or_pairs}: item {n} has the label {label!r}; labels are strings or "
                                         "integers", "path_or_pairs", n=i, label=label)
                label = str(label)  # 0 and np.int64(0): '__label__0', as a table's label column gives it
                names.append(label if label.startswith(prefix) else prefix + label)
            yield names, self.tokens(text)


def _ngrams_of(model: Model, name: str, dim: int) -> tuple[np.ndarray, NgramRows]:
    """The n-gram rows of a model and which bucket each holds.

    Models written before rows were stored compactly have one row per bucket and no
    ``ngram_buckets.npy``: every bucket then has its own row.
    """
    table = model.arrays.get("ngrams")
    if table is None or table.ndim != 2 or table.shape[1] != dim:
        raise FormatError(f"{name}: word_ngrams {model.config.get('word_ngrams')} but no ngrams.npy of width {dim}")
    used = model.arrays.get(NGRAM_BUCKETS)
    buckets = model.config.get("buckets")
    if used is None:
        return table, NgramRows(len(table), np.arange(len(table)))
    if not isinstance(buckets, int) or buckets < 1:
        raise FormatError(f"{name}: config.yaml has no 'buckets' count for {NGRAM_BUCKETS}.npy")
    if used.ndim != 1 or len(used) != len(table):
        raise FormatError(f"{name}: {NGRAM_BUCKETS}.npy {used.shape} does not match ngrams.npy {table.shape}")
    if len(used) and (used[0] < 0 or used[-1] >= buckets or not np.all(np.diff(used) > 0)):
        raise FormatError(f"{name}: {NGRAM_BUCKETS}.npy is not a sorted list of buckets below {buckets}")
    return table, NgramRows(buckets, used)

