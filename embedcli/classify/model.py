"""The classifier's model: the input rows of a phrase, the loss and its gradients (pure functions).

A phrase's hidden vector is the mean of its input rows (:func:`input_rows`); the output is a
linear softmax with a bias over the labels (see :mod:`embedcli.classify`).
"""

from __future__ import annotations

import numpy as np

from ..subwords import _ranges
from .ngrams import NgramRows, ngram_hashes


def input_rows(
    word_ids: np.ndarray,
    token_hashes: np.ndarray | None,
    lengths: np.ndarray,
    word_ngrams: int,
    ngrams: NgramRows | None,
    n_words: int,
    token_rows: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The input rows of a batch of lines, and the line of each: what a phrase is made of.

    Used by training and prediction alike. ``word_ids``: each token's row in the word table
    (-1: not an input, i.e. out of the vocabulary or a special), the tokens of all lines
    concatenated; ``lengths``: tokens per line; ``token_hashes``: each token's
    :func:`~embedcli.classify.ngrams.fnv1a` hash (only read with ``word_ngrams > 1``). A line's
    rows are its known words in order, then ``n_words + row`` of each of its word n-grams that
    has a row in ``ngrams``. Returns ``(row ids int64, line index int64)`` sorted by line.

    With character n-grams (``subwords``), ``token_rows = (keys, offsets, rows)`` says each
    token's rows instead: token ``k`` is ``rows[offsets[keys[k]]:offsets[keys[k] + 1]]``, its
    word row when it has one, then ``n_words + row`` of each of its character n-grams that has a
    row (fastText's ``Dictionary::addSubwords``: a word outside the vocabulary still counts by its
    n-grams). ``word_ids`` is then not read.
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    line_of = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
    if token_rows is None:
        word_ids = np.asarray(word_ids, dtype=np.int64)
        known = word_ids >= 0
        ids, lines = word_ids[known], line_of[known]
    else:
        keys, offsets, rows = token_rows
        keys = np.asarray(keys, dtype=np.int64)
        starts = offsets[keys]
        counts = offsets[keys + 1] - starts
        ids = np.asarray(rows, dtype=np.int64)[_ranges(starts, counts)]
        lines = np.repeat(line_of, counts)
    if word_ngrams > 1 and ngrams is not None and len(ngrams):
        h, h_line = ngram_hashes(token_hashes, lengths, word_ngrams)
        rows = ngrams.rows(h)
        used = rows >= 0
        ids = np.concatenate([ids, rows[used] + n_words])
        lines = np.concatenate([lines, h_line[used]])
        order = np.argsort(lines, kind="stable")
        ids, lines = ids[order], lines[order]
    return ids, lines


def segment_starts(lengths: np.ndarray) -> np.ndarray:
    starts = np.zeros(len(lengths), dtype=np.int64)
    if len(lengths) > 1:
        np.cumsum(lengths[:-1], out=starts[1:])
    return starts


def forward_backward(
    table: np.ndarray,
    output: np.ndarray,
    bias: np.ndarray,
    ids: np.ndarray,
    lengths: np.ndarray,
    targets: np.ndarray,
):
    """Loss and gradients of a batch of examples.

    ``ids`` are the input rows of all examples concatenated (``lengths[i] >= 1`` rows for example
    ``i``), ``targets`` a (batch, labels) matrix whose rows sum to 1. The loss is
    ``sum_i -sum_j targets[i, j] * log softmax(output @ mean(table[ids_i]) + bias)[j]`` in float64.

    Returns ``(loss, probs, hidden, d_hidden, d_output, d_bias)``; the gradient of an input row
    is ``d_hidden[i] / lengths[i]`` for each of its occurrences in example ``i`` (see
    :func:`rows_gradient`).
    """
    lengths = np.asarray(lengths)
    rows = table[ids]
    hidden = np.add.reduceat(rows, segment_starts(lengths), axis=0)
    hidden /= lengths[:, None].astype(hidden.dtype)
    logits = hidden.astype(np.float64) @ output.T.astype(np.float64) + bias.astype(np.float64)
    logits -= logits.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(logits).sum(axis=1, keepdims=True))
    log_probs = logits - log_norm
    loss = float(-(targets * log_probs).sum())
    probs = np.exp(log_probs)
    d_logits = probs - targets
    d_output = (d_logits.T @ hidden.astype(np.float64)).astype(output.dtype)
    d_bias = d_logits.sum(axis=0).astype(bias.dtype)
    d_hidden = (d_logits @ output.astype(np.float64)).astype(table.dtype)
    return loss, probs, hidden, d_hidden, d_output, d_bias


def rows_gradient(ids: np.ndarray, lengths: np.ndarray, d_hidden: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sum of the gradients of the input rows of a batch: ``(unique row ids, gradient rows)``.

    Row ``r`` gets ``d_hidden[i] / lengths[i]`` once per occurrence in example ``i``. Vectorised
    without ``np.add.at``: rows that occur once in the batch take their line's gradient directly;
    the (few, frequent) rows that occur several times are combined by a small
    (rows × batch) weight matrix times ``d_hidden``.
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    batch = len(lengths)
    uniq, first, inv, counts = np.unique(ids, return_index=True, return_inverse=True, return_counts=True)
    inv = inv.reshape(-1)
    line_of = np.repeat(np.arange(batch, dtype=np.int64), lengths)
    scale = (1.0 / lengths).astype(d_hidden.dtype)
    grads = np.empty((len(uniq), d_hidden.shape[1]), dtype=d_hidden.dtype)
    once = counts == 1
    lines_once = line_of[first[once]]
    grads[once] = d_hidden[lines_once] * scale[lines_once, None]
    if not once.all():
        multi = np.flatnonzero(~once)
        slot = np.full(len(uniq), -1, dtype=np.int64)
        slot[multi] = np.arange(len(multi))
        tok = np.flatnonzero(~once[inv])
        mix = np.bincount(slot[inv[tok]] * batch + line_of[tok], minlength=len(multi) * batch)
        mix = mix.reshape(len(multi), batch) * scale[None, :]
        grads[multi] = mix.astype(d_hidden.dtype) @ d_hidden
    return uniq, grads


def segment_add(out: np.ndarray, rows: np.ndarray, line_of: np.ndarray) -> None:
    """``out[line_of[i]] += rows[i]`` for ``line_of`` sorted (no np.add.at)."""
    if not len(rows):
        return
    lines, starts = np.unique(line_of, return_index=True)
    out[lines] += np.add.reduceat(rows, starts, axis=0)
