"""Using a trained classifier: :class:`Classifier` predictions and :func:`evaluate` (P@k, R@k)."""

from __future__ import annotations

import os
from typing import Callable, Iterable, Sequence

import numpy as np

from ..errors import EmbedcliError, FormatError, UsageError
from ..io import display_name
from ..labeled import LABEL_PREFIX, iter_labeled, line_tokens, split_labels
from ..model import Model
from ..tokenizer import token_pattern
from .model import segment_add
from .ngrams import fnv1a, ngram_buckets
from .train import OBJECTIVE


class Classifier:
    """Predictions of a trained classifier model (``objective: classify``)."""

    def __init__(self, model: Model):
        name = model.path or "model"
        if model.objective != OBJECTIVE:
            raise EmbedcliError(
                f"{name}: not a classifier model (objective: {model.objective or 'none'}); "
                "train one with: embedcli train --objective classify"
            )
        self.model = model
        self.vocab = model.vocab
        self.settings = model.vocab.settings
        self.pattern = token_pattern(self.settings)
        cfg = model.config
        self.prefix = cfg.get("label_prefix", LABEL_PREFIX)
        self.word_ngrams = int(cfg.get("word_ngrams", 1))
        self.labels = model.objects.get("labels")
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
        self.ngrams = model.arrays.get("ngrams") if self.word_ngrams > 1 else None
        if self.word_ngrams > 1:
            if self.ngrams is None or self.ngrams.ndim != 2 or self.ngrams.shape[1] != dim:
                raise FormatError(f"{name}: word_ngrams {self.word_ngrams} but no ngrams.npy of width {dim}")
        self.specials = set(self.vocab.special_ids())

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Classifier":
        return cls(Model.load(path))

    def tokens(self, text: str) -> list[str]:
        """Tokens of a phrase, labels (``__label__...`` words) removed first."""
        _, rest = split_labels(text, self.prefix)
        return line_tokens(rest, self.settings, self.pattern)

    def probabilities(self, token_lists: Sequence[Sequence[str]]) -> np.ndarray:
        """(phrases, labels) float64 probabilities; a phrase without known words gets softmax(bias)."""
        batch = len(token_lists)
        dim = self.model.dim
        lengths = np.fromiter(map(len, token_lists), dtype=np.int64, count=batch)
        flat = [t for toks in token_lists for t in toks]
        index = self.vocab.index
        wids = np.fromiter((index.get(t, -1) for t in flat), dtype=np.int64, count=len(flat))
        line_of = np.repeat(np.arange(batch, dtype=np.int64), lengths)
        if self.specials:
            known = (wids >= 0) & ~np.isin(wids, list(self.specials))
        else:
            known = wids >= 0
        hidden = np.zeros((batch, dim), dtype=np.float32)
        counts = np.bincount(line_of[known], minlength=batch).astype(np.float32)
        segment_add(hidden, self.model.table[wids[known]], line_of[known])
        if self.ngrams is not None and len(flat):
            b, bl = ngram_buckets(fnv1a(flat), lengths, self.word_ngrams, len(self.ngrams))
            segment_add(hidden, self.ngrams[b], bl)
            counts += np.bincount(bl, minlength=batch).astype(np.float32)
        hidden /= np.maximum(counts, 1)[:, None]
        logits = hidden.astype(np.float64) @ self.output.T.astype(np.float64) + self.bias.astype(np.float64)
        logits -= logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(axis=1, keepdims=True)
        return probs

    def predict_tokens(
        self, token_lists: Sequence[Sequence[str]], k: int = 1, threshold: float = 0.0
    ) -> list[list[tuple[str, float]]]:
        """Top ``k`` ``(label, probability)`` per phrase with probability >= ``threshold``."""
        if not len(token_lists):
            return []
        return self.top(self.probabilities(token_lists), k, threshold)

    def top(self, probs: np.ndarray, k: int = 1, threshold: float = 0.0) -> list[list[tuple[str, float]]]:
        """Best ``k`` labels of each row of ``probs`` (ties: first label first), above ``threshold``."""
        k = min(k, probs.shape[1])
        order = np.argsort(-probs, axis=1, kind="stable")[:, :k]
        top = np.take_along_axis(probs, order, axis=1)
        return [
            [(self.labels[i], p) for i, p in zip(row_ids, row_p) if p >= threshold]
            for row_ids, row_p in zip(order.tolist(), top.tolist())
        ]

    def predict(self, texts: Iterable[str], k: int = 1, threshold: float = 0.0):
        """Predictions for raw phrases (labels in them are ignored, as fastText does)."""
        return self.predict_tokens([self.tokens(t) for t in texts], k, threshold)


def evaluate(
    classifier: Classifier,
    path: str | os.PathLike,
    *,
    k: int = 1,
    threshold: float = 0.0,
    encoding_errors: str = "strict",
    batch_lines: int = 4096,
    progress: Callable[[int], None] | None = None,
) -> dict:
    """Precision and recall at ``k`` on a labelled file, like ``fasttext test``.

    Every line with at least one label the model knows is an example (labels the model never saw
    are ignored, as in fastText; a line with only such labels is skipped and counted in
    ``skipped``). Precision = correct predictions / predictions made, recall = correct
    predictions / gold labels. Also returns the share of examples whose top label is one of
    theirs (``accuracy``; equal to P@1 for single-label data).
    """
    if k < 1:
        raise UsageError(f"-k must be at least 1 (got {k})")
    label_index = {l: i for i, l in enumerate(classifier.labels)}
    n = n_pred = n_correct = n_gold = n_top = skipped = any_label = 0
    batch_tokens: list[list[str]] = []
    batch_gold: list[set[str]] = []

    def flush():
        nonlocal n_pred, n_correct, n_top
        probs = classifier.probabilities(batch_tokens)
        preds = classifier.top(probs, k, threshold)
        top1 = classifier.top(probs, 1, 0.0)
        for gold, pred, first in zip(batch_gold, preds, top1):
            n_pred += len(pred)
            n_correct += sum(1 for label, _ in pred if label in gold)
            n_top += first[0][0] in gold
        batch_tokens.clear()
        batch_gold.clear()

    for _, labels, tokens in iter_labeled(
        path, classifier.settings, prefix=classifier.prefix, encoding_errors=encoding_errors, progress=progress
    ):
        if labels:
            any_label += 1
        gold = {l for l in labels if l in label_index}
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
        raise EmbedcliError(
            f"{display_name(path)}: no line has a label (a token starting with {classifier.prefix!r}); "
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
    }
