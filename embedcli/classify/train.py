"""Training the classifier: the examples are read once, then SGD over shuffled blocks of them.

:func:`train_classifier` is the whole run (files to :class:`~embedcli.model.Model`);
:func:`dry_run_classifier` reads and counts the same way and estimates the model size and the
time, without training. Both go through :func:`prepare` (read, vocabulary, n-gram rows, input
rows), :func:`initial_weights` and :func:`sgd`.
"""

from __future__ import annotations

import inspect
import os
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from ..errors import EmbedcliError, ParameterError, UsageError, check_integer
from ..io import display_name
from ..labeled import LABEL_PREFIX
from ..model import Model
from ..subwords import format_range, parse_range
from ..text import TextSettings
from ..vocab import Vocab, build_vocab
from . import data
from .data import build_inputs, count_ids, distinct_ngrams, gather, keep_labels, read_examples
from .model import forward_backward, rows_gradient
from .ngrams import NgramRows, char_ngram_hashes, default_buckets, fnv1a, token_rows

OBJECTIVE = "classify"
NGRAM_BUCKETS = "ngram_buckets"  # array: the sorted bucket ids that have a row in ngrams.npy
MAX_BUCKETS_LIMIT = 2**31 - 2  # the largest --buckets (bucket ids fit in int32)
RUN_FACTS = "classifier"  # config.yaml key: what the run found (examples, labels, rows ...), not settings

Callback = Callable[[dict], None]


@dataclass
class Examples:
    """The training examples, ready for :func:`sgd` (spooled arrays live in a temporary directory)."""

    vocab: Vocab
    label_names: list[str]
    label_counts: list[int]
    stats: dict[str, int]
    word_ngrams: int
    ngrams: NgramRows | None  # the rows of the training n-grams (word_ngrams > 1)
    distinct_ngrams: int
    inputs: np.ndarray  # input rows of every kept line, concatenated (int32)
    in_off: np.ndarray  # (examples + 1,) offsets into inputs
    labels: np.ndarray  # label ids of every kept line, concatenated (int32)
    lab_off: np.ndarray  # (examples + 1,) offsets into labels
    n_word_tokens: int  # word inputs per epoch
    subwords: tuple[int, int] | None = None  # character n-gram lengths (minn, maxn)
    distinct_subwords: int = 0  # distinct character n-grams of the training tokens

    @property
    def n_examples(self) -> int:
        return len(self.in_off) - 1

    @property
    def n_rows(self) -> int:
        """Input rows: the vocabulary, then one per used n-gram bucket (word and character n-grams)."""
        return len(self.vocab) + (len(self.ngrams) if self.ngrams is not None else 0)


def prepare(
    paths: Sequence[str | os.PathLike],
    tmp: str | os.PathLike | None,
    *,
    settings: TextSettings,
    label_prefix: str,
    encoding_errors: str,
    min_count: int,
    max_size: int | None,
    word_ngrams: int,
    buckets: int | None,
    corpus_progress: Callable[[int], None] | None = None,
    subwords: tuple[int, int] | None = None,
) -> Examples:
    """Read the files once and turn them into :class:`Examples` (unnamed temporary files in
    ``tmp``, else TMPDIR: see :mod:`embedcli.idstore`)."""
    tokens, lengths, labels, n_labels, token_ids, label_ids, stats = read_examples(
        paths, settings, label_prefix, encoding_errors, tmp, corpus_progress
    )
    # the vocabulary, with build_vocab's semantics (counts in order of first appearance)
    prov_counts = count_ids(tokens, len(token_ids))
    counter = Counter(dict(zip(token_ids, prov_counts.tolist())))
    vocab = build_vocab(counter, stats["tokens"], settings, min_count=min_count, max_size=max_size)
    n_words = len(vocab)
    if n_words <= vocab.n_specials:
        raise EmbedcliError(
            f"{display_name(paths[0])}: no word left to learn from "
            f"({stats['tokens']:,} tokens, min count {min_count}); the lines have labels but no text?"
        )
    remap = np.full(len(token_ids), -1, dtype=np.int64)
    index = vocab.index
    specials = set(vocab.special_ids())
    for tok, i in token_ids.items():
        j = index.get(tok)
        if j is not None and j not in specials:
            remap[i] = j
    ngrams, n_distinct, prov_hash, prov_rows, n_chars = None, 0, None, None, 0
    distinct = np.zeros(0, dtype=np.uint64)
    if word_ngrams > 1:
        prov_hash = fnv1a(list(token_ids))
        distinct = distinct_ngrams(tokens, lengths, prov_hash, word_ngrams, tmp)
        n_distinct = len(distinct)
    if subwords is not None:  # the character n-grams of every training token, in vocabulary or not
        gram_hashes, g_off, g_flat = char_ngram_hashes(token_ids, *subwords)
        n_chars = len(gram_hashes)
        distinct = np.concatenate([distinct, gram_hashes.astype(np.uint64)])
    if word_ngrams > 1 or subwords is not None:  # one bucket space for both kinds, as in fastText
        ngrams = NgramRows.from_hashes(distinct, buckets if buckets is not None else
                                       default_buckets(n_distinct + n_chars))
        if subwords is not None:
            prov_rows = token_rows(remap, gram_hashes, g_off, g_flat, ngrams, n_words)
            del gram_hashes, g_off, g_flat
    del distinct, token_ids, counter, index

    inputs, in_off, keep, n_word_tokens = build_inputs(
        tokens, lengths, remap, prov_hash, word_ngrams, ngrams, n_words, tmp, prov_rows
    )
    kept_labels, lab_off = keep_labels(labels, n_labels, keep, tmp)
    label_names = list(label_ids)
    examples = Examples(
        vocab=vocab,
        label_names=label_names,
        label_counts=[int(c) for c in count_ids(labels, len(label_names))],
        stats=stats,
        word_ngrams=word_ngrams,
        ngrams=ngrams,
        distinct_ngrams=n_distinct,
        inputs=inputs,
        in_off=in_off,
        labels=kept_labels,
        lab_off=lab_off,
        n_word_tokens=n_word_tokens,
        subwords=subwords,
        distinct_subwords=n_chars,
    )
    if examples.n_examples == 0:
        raise EmbedcliError(
            f"{display_name(paths[0])}: no labelled line has a word of the vocabulary "
            f"(min count {min_count}); nothing to train on"
        )
    return examples


@dataclass
class Weights:
    table: np.ndarray  # (words + n-gram rows, dim) input rows
    output: np.ndarray  # (labels, dim)
    bias: np.ndarray  # (labels,)
    frozen: np.ndarray | None = None  # bool per input row: never updated
    init_found: np.ndarray | None = None  # bool per word row: taken from the init file
    init_info: dict[str, Any] | None = None


def initial_weights(ex: Examples, dim: int, rng: np.random.Generator, init=None, freeze: bool = False,
                    init_progress: Callable[[int], None] | None = None) -> Weights:
    """fastText's start: input rows uniform in ±1/dim (specials zero), output rows and bias zero."""
    vocab, n_words = ex.vocab, len(ex.vocab)
    table = rng.random((ex.n_rows, dim), dtype=np.float32)
    table *= np.float32(2.0 / dim)
    table -= np.float32(1.0 / dim)
    table[vocab.special_ids()] = 0.0  # <pad> and <unk> are never inputs
    n_out = len(ex.label_names)
    w = Weights(table, np.zeros((n_out, dim), dtype=np.float32), np.zeros(n_out, dtype=np.float32))
    if init is not None:
        from ..vectors import init_rows, vector_file_info

        words, init_found, _ = init_rows(vocab, os.fspath(init), dim, table=table[:n_words],
                                         progress=init_progress)
        init_found[vocab.special_ids()] = False
        words[vocab.special_ids()] = 0.0
        table[:n_words] = words
        del words
        info = vector_file_info(os.fspath(init))
        n_word_rows = n_words - len(vocab.special_ids())
        w.init_found = init_found
        w.init_info = {"file": os.path.abspath(init), "format": info.format, "dim": info.dim,
                       "found": int(init_found.sum()), "rows": n_word_rows, "frozen": bool(freeze)}
        if freeze:
            w.frozen = np.zeros(ex.n_rows, dtype=bool)
            w.frozen[:n_words] = init_found
    return w


def default_batch_size(lr: float, n_examples: int) -> int:
    """Lines per vectorised step: 32 at fastText's lr 0.1, fewer at larger lr, 1 on tiny sets."""
    return max(1, min(32, int(3.2 / lr), n_examples // 50))


def sgd(
    ex: Examples,
    w: Weights,
    rng: np.random.Generator,
    *,
    epochs: int,
    lr: float,
    min_lr: float,
    batch_size: int,
    callback: Callback | None = None,
    time_limit: float | None = None,
) -> list[dict[str, Any]]:
    """Train ``w`` in place for ``epochs``; return the history (one dict per epoch).

    ``callback(event)`` gets progress events shaped like the skip-gram trainer's (``epoch``,
    ``epochs``, ``words``, ``words_total``, ``lr``, ``loss``, ``words_per_sec``; ``epoch_done``
    at the end of an epoch). ``time_limit`` (seconds) stops early: used to calibrate a dry run.
    """
    table, output, bias, frozen = w.table, w.output, w.bias, w.frozen
    n_examples, n_out = ex.n_examples, len(ex.label_names)
    inputs, in_off, kept_labels, lab_off = ex.inputs, ex.in_off, ex.labels, ex.lab_off
    history = []
    total_steps = epochs * n_examples
    done = 0
    n_blocks = (n_examples + data.SHUFFLE_BLOCK - 1) // data.SHUFFLE_BLOCK
    start = time.perf_counter()
    last_report = 0.0
    for epoch in range(1, epochs + 1):
        t0 = time.perf_counter()
        loss_sum, correct, epoch_done = 0.0, 0, 0
        for block in rng.permutation(n_blocks):
            lo = int(block) * data.SHUFFLE_BLOCK
            hi = min(lo + data.SHUFFLE_BLOCK, n_examples)
            b_off = np.asarray(in_off[lo : hi + 1]) - in_off[lo]
            b_inputs = np.asarray(inputs[in_off[lo] : in_off[hi]])
            l_off = np.asarray(lab_off[lo : hi + 1]) - lab_off[lo]
            b_labels = np.asarray(kept_labels[lab_off[lo] : lab_off[hi]])
            order = rng.permutation(hi - lo)
            # the block in shuffled order, so that each batch is a contiguous slice
            p_ids, p_lens = gather(b_inputs, b_off, order)
            p_labs, p_nlabs = gather(b_labels, l_off, order)
            p_off = np.concatenate(([0], np.cumsum(p_lens)))
            p_loff = np.concatenate(([0], np.cumsum(p_nlabs)))
            single_label = bool((p_nlabs == 1).all())
            for s in range(0, hi - lo, batch_size):
                e = min(s + batch_size, hi - lo)
                ids, lens = p_ids[p_off[s] : p_off[e]], p_lens[s:e]
                labs, nlabs = p_labs[p_loff[s] : p_loff[e]], p_nlabs[s:e]
                targets = np.zeros((e - s, n_out), dtype=np.float64)
                if single_label:
                    targets[np.arange(e - s), labs] = 1.0
                else:
                    rows = np.repeat(np.arange(e - s), nlabs)
                    targets[rows, labs] = np.repeat(1.0 / nlabs, nlabs)
                cur_lr = lr - (lr - min_lr) * (done / total_steps)
                with np.errstate(over="ignore", invalid="ignore"):  # divergence is checked below
                    loss, probs, hidden, d_hidden, d_output, d_bias = forward_backward(
                        table, output, bias, ids, lens, targets
                    )
                    loss_sum += loss
                    correct += int((targets[np.arange(e - s), probs.argmax(axis=1)] > 0).sum())
                    step = np.float32(cur_lr)
                    uniq, grads = rows_gradient(ids, lens, d_hidden)
                    if frozen is not None:  # the frozen rows' gradients are dropped, not applied
                        free = ~frozen[uniq]
                        uniq, grads = uniq[free], grads[free]
                    table[uniq] -= step * grads
                    output -= step * d_output
                    bias -= step * d_bias
                done += e - s
                epoch_done += e - s
                now = time.perf_counter()
                if time_limit is not None and now - start >= time_limit:
                    return [{"examples": done, "words": round(ex.n_word_tokens * done / n_examples),
                             "seconds": now - start}]
                if callback is not None and now - last_report > 0.1:
                    last_report = now
                    words = round(ex.n_word_tokens * epoch_done / n_examples)
                    callback({"epoch": epoch, "epochs": epochs, "words": words, "words_total": ex.n_word_tokens,
                              "lr": float(cur_lr), "loss": loss_sum / epoch_done,
                              "words_per_sec": words / max(now - t0, 1e-9)})
            if not np.isfinite(loss_sum):
                break
        seconds = time.perf_counter() - t0
        mean_loss = loss_sum / n_examples
        if not np.isfinite(mean_loss) or not np.isfinite(output).all():
            raise EmbedcliError(
                f"training diverged in epoch {epoch} (loss {mean_loss}); lower the learning rate "
                f"(lr {lr}) or the batch size ({batch_size})"
            )
        entry = {
            "epoch": epoch,
            "loss": round(float(mean_loss), 6),
            "accuracy": round(correct / n_examples, 6),
            "lr": round(float(lr - (lr - min_lr) * (done / total_steps)), 8),
            "seconds": round(seconds, 3),
            "words": ex.n_word_tokens,
            "words_per_sec": round(ex.n_word_tokens / max(seconds, 1e-9), 1),
            "examples_per_sec": round(n_examples / max(seconds, 1e-9), 1),
        }
        history.append(entry)
        if callback is not None:
            callback({"epoch": epoch, "epochs": epochs, "words": ex.n_word_tokens,
                      "words_total": ex.n_word_tokens, "lr": entry["lr"], "loss": entry["loss"],
                      "words_per_sec": entry["words_per_sec"], "epoch_done": True})
    return history


def train_classifier(
    paths: Sequence[str | os.PathLike] | str | os.PathLike,
    *,
    dim: int = 100,
    epochs: int = 5,
    lr: float = 0.1,
    min_lr: float = 0.0,
    min_count: int = 1,
    max_size: int | None = None,
    word_ngrams: int = 1,
    buckets: int | None = None,
    subwords: int | str | tuple[int, int] | None = 0,
    batch_size: int | None = None,
    seed: int = 1,
    settings: TextSettings = TextSettings(),
    label_prefix: str = LABEL_PREFIX,
    encoding_errors: str = "strict",
    corpus_progress: Callable[[int], None] | None = None,
    callback: Callback | None = None,
    init: str | os.PathLike | None = None,
    freeze: bool = False,
    init_progress: Callable[[int], None] | None = None,
    tmp_dir: str | os.PathLike | None = None,
) -> Model:
    """Train a fastText-style supervised classifier on fastText-format files; return a Model.

    ``paths``: one or more files (``-`` for stdin) of lines ``__label__A [__label__B] text``
    (labels anywhere on the line, as whitespace-separated tokens starting with ``label_prefix``).
    Lines without a label are skipped (a file without any label is an :class:`EmbedcliError`
    naming it). The text is normalised and tokenised with ``settings``; the vocabulary has
    ``<pad>`` = 0, ``<unk>`` = 1, then words in order of first appearance (``min_count`` and
    ``max_size`` as in :func:`embedcli.vocab.build_vocab`).

    Defaults are fastText's (``dim`` 100, ``lr`` 0.1, ``epochs`` 5, ``min_count`` 1,
    ``word_ngrams`` 1). With ``word_ngrams > 1`` the word n-grams are hashed into ``buckets``
    buckets, as in fastText; ``None`` (the default) sizes it to the data: one bucket per distinct
    n-gram of the training files, at most 2,000,000 (fastText's fixed default). Only the rows of
    the buckets that training n-grams use are stored (see :mod:`embedcli.classify.ngrams`), so
    the model grows with the data, not with ``buckets``.
    ``subwords="3-6"`` (fastText's ``-minn 3 -maxn 6``): each word also counts by its character
    n-grams of 3 to 6 characters (:mod:`embedcli.subwords`, hashed into the same ``buckets`` as
    the word n-grams, as in fastText): a phrase is the mean of its words' rows, their n-gram rows
    and its word n-gram rows, and a word outside the vocabulary counts by its n-grams (at
    prediction too). ``None`` buckets then means one per distinct word and character n-gram.
    ``batch_size`` lines are processed per vectorised SGD step (see :mod:`embedcli.classify`).
    The examples of a batch do not see each other's update, so a large ``lr × batch_size``
    overshoots (measured on KJV verses: stable up to about 4, diverging at 32). ``None`` picks
    :func:`default_batch_size`: ``max(1, min(32, int(3.2 / lr), examples // 50))``, 32 at
    fastText's default lr 0.1, smaller for larger learning rates, and plain one-example SGD on
    tiny sets. ``seed`` seeds the only random generator (initialisation and shuffling): same
    inputs, settings and seed → byte-identical model. Training is single-threaded NumPy (there
    is no ``workers`` option: the speed comes from the vectorised batches).

    ``corpus_progress(n)`` gets the bytes read; ``callback(event)`` the training progress
    (see :func:`sgd`); ``init_progress(n)`` the vectors read from ``init``.

    ``init``: a pretrained vector file (word2vec text/binary or GloVe, read by
    :func:`embedcli.vectors.init_rows`, dimension ``dim``): the word rows of the words found in it
    start from its vectors (after the seeded draw, so the rest of the run is unchanged);
    ``<pad>``/``<unk>`` and the n-gram buckets are never taken from it. With ``freeze`` those
    rows are never updated (fastText's ``-pretrainedVectors`` has no freeze; this is Keras'
    ``trainable=False`` for the pretrained rows). The model then has ``arrays["init_found"]``
    (bool per word row) and ``objects["init"]`` (file, format, rows found).

    Returns an :class:`embedcli.model.Model` with

    * ``table``: (V, dim) float32 word rows (rows of ``<pad>``/``<unk>`` stay zero);
    * ``arrays``: ``"output"`` (labels, dim) float32, ``"bias"`` (labels,) float32 and, with
      ``word_ngrams > 1``, ``"ngrams"`` (used buckets, dim) float32 and ``"ngram_buckets"``
      (used buckets,) int64, the sorted bucket id of each of those rows;
    * ``objects``: ``"labels"`` (label strings with their prefix, in order of first appearance)
      and ``"label_counts"``;
    * ``config``: ``objective: classify`` and every resolved setting, and under ``classifier``
      what the run found (lines, examples, labels, distinct n-grams, stored rows, batch size);
    * ``history``: one dict per epoch (``epoch``, ``loss`` = mean cross-entropy, ``accuracy`` =
      share of examples whose top label was one of theirs before their update, ``lr`` at the end
      of the epoch, ``seconds``, ``words``, ``words_per_sec``, ``examples_per_sec``).

    Raises :class:`~embedcli.errors.ParameterError` for bad settings and
    :class:`EmbedcliError` for unreadable or unlabelled input, or when training diverges.
    """
    paths = _paths(paths)
    check_settings(dim=dim, epochs=epochs, lr=lr, min_lr=min_lr, min_count=min_count, max_size=max_size,
                   word_ngrams=word_ngrams, buckets=buckets, batch_size=batch_size, label_prefix=label_prefix,
                   init=init, freeze=freeze)
    subwords = subword_range(subwords)
    rng = np.random.default_rng(seed)
    # the examples wait in unnamed temporary files (embedcli.idstore) in tmp_dir, else TMPDIR
    ex = prepare(paths, tmp_dir, settings=settings, label_prefix=label_prefix, encoding_errors=encoding_errors,
                 min_count=min_count, max_size=max_size, word_ngrams=word_ngrams, buckets=buckets,
                 corpus_progress=corpus_progress, subwords=subwords)
    if batch_size is None:
        batch_size = default_batch_size(lr, ex.n_examples)
    w = initial_weights(ex, dim, rng, init, freeze, init_progress)
    history = sgd(ex, w, rng, epochs=epochs, lr=lr, min_lr=min_lr, batch_size=batch_size, callback=callback)
    n_words = len(ex.vocab)
    arrays = {"output": w.output, "bias": w.bias}
    objects: dict[str, Any] = {"labels": ex.label_names, "label_counts": ex.label_counts}
    if w.init_found is not None:
        arrays["init_found"] = w.init_found
        objects["init"] = w.init_info
    if ex.ngrams is not None:
        arrays["ngrams"] = w.table[n_words:]  # row slices of a C-ordered array: contiguous views
        arrays[NGRAM_BUCKETS] = ex.ngrams.used
    config = {
        "objective": OBJECTIVE,
        "dim": int(dim),
        "epochs": int(epochs),
        "lr": float(lr),
        "min_lr": float(min_lr),
        "min_count": int(min_count),
        "max_size": None if max_size is None else int(max_size),
        "word_ngrams": int(word_ngrams),
        "buckets": ex.ngrams.buckets if ex.ngrams is not None else None,
        "subwords": format_range(subwords),
        "seed": int(seed),
        "label_prefix": label_prefix,
        "lower": settings.lower,
        "keep_punct": settings.keep_punct,
        "encoding_errors": encoding_errors,
        "init": None if init is None else os.path.abspath(init),
        "freeze": bool(freeze),
        RUN_FACTS: _run_facts(ex, paths, settings, batch_size),
    }
    model = Model(vocab=ex.vocab, table=w.table[:n_words], config=config, history=history,
                  arrays=arrays, objects=objects)
    del ex
    return model


def _paths(paths) -> list:
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    paths = list(paths)
    if not paths:
        raise ParameterError("{paths}: give at least one training file", "paths")
    return paths


def _run_facts(ex: Examples, paths, settings: TextSettings, batch_size: int) -> dict[str, Any]:
    return {
        "loss": "softmax",
        "multi_label": "soft-targets",
        "batch_size": int(batch_size),
        "normalization": settings.to_dict(),
        "train_files": [display_name(p) for p in paths],
        "labels": len(ex.label_names),
        "lines": ex.stats["lines"],
        "examples": ex.n_examples,
        "skipped_unlabeled": ex.stats["unlabeled"],
        "skipped_no_known_word": ex.stats["examples"] - ex.n_examples,
        "corpus_tokens": ex.stats["tokens"],
        "train_inputs": int(ex.in_off[-1]),
        "distinct_ngrams": ex.distinct_ngrams,
        "distinct_subwords": ex.distinct_subwords,
        "ngram_rows": len(ex.ngrams) if ex.ngrams is not None else 0,
    }


def arrays_bytes(n_words: int, ngram_rows: int, n_labels: int, dim: int) -> int:
    """Bytes of the model's arrays: word and n-gram rows, output, bias, n-gram bucket ids."""
    return 4 * dim * (n_words + ngram_rows + n_labels) + 4 * n_labels + 8 * ngram_rows


def dry_run_classifier(
    paths: Sequence[str | os.PathLike] | str | os.PathLike,
    *,
    calibrate_seconds: float = 1.0,
    corpus_progress: Callable[[int], None] | None = None,
    tmp_dir: str | os.PathLike | None = None,
    **options: Any,
) -> dict[str, Any]:
    """What :func:`train_classifier` would do, without training or writing anything.

    ``options``: the settings of :func:`train_classifier` (``dim``, ``lr``, ``word_ngrams``,
    ``buckets`` ...; its defaults for those not given).

    Reads the files as training would, then reports the vocabulary, labels, examples, distinct
    n-grams, the buckets and stored n-gram rows, the model's array bytes, and an estimated
    training time from a short calibration run (about ``calibrate_seconds`` of real SGD steps on
    a throw-away copy of the weights).
    """
    start = time.perf_counter()
    paths = _paths(paths)
    unknown = sorted(set(options) - set(TRAIN_DEFAULTS))
    if unknown:
        raise TypeError(f"dry_run_classifier() got unexpected keyword arguments: {', '.join(unknown)}")
    o = {**TRAIN_DEFAULTS, **options}
    dim, epochs, lr, min_lr, seed = o["dim"], o["epochs"], o["lr"], o["min_lr"], o["seed"]
    min_count, max_size, word_ngrams, buckets = o["min_count"], o["max_size"], o["word_ngrams"], o["buckets"]
    batch_size, settings, label_prefix = o["batch_size"], o["settings"], o["label_prefix"]
    encoding_errors = o["encoding_errors"]
    check_settings(dim=dim, epochs=epochs, lr=lr, min_lr=min_lr, min_count=min_count, max_size=max_size,
                   word_ngrams=word_ngrams, buckets=buckets, batch_size=batch_size, label_prefix=label_prefix)
    subwords = subword_range(o["subwords"])
    ex = prepare(paths, tmp_dir, settings=settings, label_prefix=label_prefix, encoding_errors=encoding_errors,
                 min_count=min_count, max_size=max_size, word_ngrams=word_ngrams, buckets=buckets,
                 corpus_progress=corpus_progress, subwords=subwords)
    counted = time.perf_counter() - start
    if batch_size is None:
        batch_size = default_batch_size(lr, ex.n_examples)
    rng = np.random.default_rng(seed)
    w = initial_weights(ex, dim, rng)
    with np.errstate(over="ignore", invalid="ignore"):
        calib = sgd(ex, w, rng, epochs=epochs, lr=lr, min_lr=min_lr, batch_size=batch_size,
                    time_limit=calibrate_seconds)
    if "examples" in calib[0]:  # stopped by the time limit
        wps = calib[0]["words"] / calib[0]["seconds"] if calib[0]["seconds"] > 0 else None
    else:  # all epochs done within the calibration time
        seconds = sum(h["seconds"] for h in calib)
        wps = ex.n_word_tokens * len(calib) / seconds if seconds > 0 else None
    n_rows = len(ex.ngrams) if ex.ngrams is not None else 0
    total_words = ex.n_word_tokens * epochs
    return {
        "objective": OBJECTIVE,
        "vocab_size": len(ex.vocab),
        "dim": int(dim),
        "labels": len(ex.label_names),
        "examples": ex.n_examples,
        "corpus_tokens": ex.stats["tokens"],
        "words_per_epoch": ex.n_word_tokens,
        "epochs": int(epochs),
        "word_ngrams": int(word_ngrams),
        "distinct_ngrams": ex.distinct_ngrams,
        "subwords": subwords_summary(subwords, ex.ngrams.buckets if ex.ngrams is not None else None,
                                     ex.distinct_subwords),
        "buckets": ex.ngrams.buckets if ex.ngrams is not None else None,
        "ngram_rows": n_rows,
        "table_bytes": arrays_bytes(len(ex.vocab), n_rows, len(ex.label_names), dim),
        "batch_size": int(batch_size),
        "workers": 1,
        "calibration_words_per_sec": wps,
        "estimated_seconds": total_words / wps if wps else None,
        "counting_seconds": round(counted, 3),
    }


#: the settings of train_classifier and their defaults (dry_run_classifier takes the same)
TRAIN_DEFAULTS = {
    name: p.default for name, p in inspect.signature(train_classifier).parameters.items()
    if p.kind is inspect.Parameter.KEYWORD_ONLY
    and name not in ("corpus_progress", "callback", "init", "freeze", "init_progress", "tmp_dir")
}


def subword_range(value) -> tuple[int, int] | None:
    """``subwords`` as ``(minn, maxn)`` or None; a bad value is a :class:`ParameterError`."""
    if isinstance(value, tuple) and len(value) == 2:
        value = f"{value[0]}-{value[1]}"
    try:
        return parse_range(value)
    except UsageError:
        raise ParameterError("{subwords} must be MIN-MAX character n-gram lengths like 3-6, or 0 for none "
                             "(got {got!r})", "subwords", got=value) from None


def subwords_summary(subwords, buckets: int | None, distinct: int | None) -> dict[str, Any] | None:
    """The ``subwords`` entry of a run's summary and dry run (as for skip-gram): n-gram lengths, the
    buckets (shared with the word n-grams) and the distinct character n-grams of the training words."""
    r = subword_range(subwords)
    if r is None:
        return None
    return {"minn": r[0], "maxn": r[1], "buckets": buckets, "distinct_ngrams": distinct}


def check_settings(*, dim, epochs, lr, min_lr, min_count, max_size, word_ngrams, buckets, batch_size,
                   label_prefix, init=None, freeze=False) -> None:
    """Raise :class:`ParameterError` naming the first bad setting."""

    check_integer(dim, "dim", 1)
    check_integer(epochs, "epochs", 1)
    check_integer(min_count, "min_count", 1)
    check_integer(word_ngrams, "word_ngrams", 1)
    if batch_size is not None:
        check_integer(batch_size, "batch_size", 1)
    if max_size is not None:
        check_integer(max_size, "max_size", 1)
    if buckets is not None:
        check_integer(buckets, "buckets", 1)
        if buckets > MAX_BUCKETS_LIMIT:
            raise ParameterError("{buckets} must be at most %d (got {got!r})" % MAX_BUCKETS_LIMIT, "buckets",
                                 got=buckets)
    if not (isinstance(lr, (int, float)) and lr > 0 and np.isfinite(lr)):
        raise ParameterError("{lr} must be a positive number (got {got!r})", "lr", got=lr)
    if not (0 <= min_lr <= lr):
        raise ParameterError("{min_lr} must be between 0 and {lr} {lr_value} (got {got!r})", "min_lr", "lr",
                             lr_value=lr, got=min_lr)
    if not isinstance(label_prefix, str) or not label_prefix or any(c.isspace() for c in label_prefix):
        raise ParameterError("{label_prefix} must be a non-empty word without spaces (got {got!r})",
                             "label_prefix", got=label_prefix)
    if freeze and init is None:
        raise ParameterError("{freeze} needs {init} (the frozen rows are the words found in that file)",
                             "freeze", "init")

