"""Training the classifier: the SGD loop over shuffled blocks of the spooled examples."""

from __future__ import annotations

import os
import contextlib
import time
from collections import Counter
from typing import Callable, Sequence

import numpy as np

from ..errors import EmbedcliError, UsageError
from ..io import display_name
from ..labeled import LABEL_PREFIX
from ..model import Model
from ..text import TextSettings
from ..vocab import build_vocab
from . import data
from .data import build_inputs, count_ids, gather, keep_labels, read_examples
from .model import forward_backward, rows_gradient
from .ngrams import fnv1a

OBJECTIVE = "classify"
DEFAULT_BUCKETS = 2_000_000  # fastText's -bucket default (only used with word_ngrams > 1)

ProgressFn = Callable[[str, int, "int | None"], None]


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
    buckets: int = DEFAULT_BUCKETS,
    batch_size: int | None = None,
    seed: int = 1,
    settings: TextSettings = TextSettings(),
    label_prefix: str = LABEL_PREFIX,
    encoding_errors: str = "strict",
    progress: ProgressFn | None = None,
    init: str | os.PathLike | None = None,
    freeze: bool = False,
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
    ``word_ngrams`` 1, ``buckets`` 2,000,000, the latter only used when ``word_ngrams > 1``).
    ``batch_size`` lines are processed per vectorised SGD step (see the module docstring). The
    examples of a batch do not see each other's update, so a large ``lr × batch_size`` overshoots
    (measured on KJV verses: stable up to about 4, diverging at 32). ``None`` picks
    ``max(1, min(32, int(3.2 / lr), examples // 50))``: 32 at fastText's default lr 0.1, smaller
    for larger learning rates, and plain one-example SGD on tiny sets.
    ``seed`` seeds the only random generator (initialisation and shuffling): same inputs,
    settings and seed → byte-identical model. Training is single-threaded NumPy (there is no
    ``workers`` option: the speed comes from the vectorised batches).

    ``progress(kind, amount, total)`` is called with ``kind == "read"`` and a number of bytes
    read (``total`` None) while the files are read, then with ``kind == "train"`` and a number of
    examples processed (``total`` = epochs × examples) during training.

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
      ``word_ngrams > 1``, ``"ngrams"`` (buckets, dim) float32;
    * ``objects``: ``"labels"`` (label strings with their prefix, in order of first appearance)
      and ``"label_counts"``;
    * ``config``: ``objective: classify`` and every resolved setting;
    * ``history``: one dict per epoch (``epoch``, ``loss`` = mean cross-entropy, ``accuracy`` =
      share of examples whose top label was one of theirs before their update, ``lr`` at the end
      of the epoch, ``seconds``, ``examples_per_s``, ``words_per_s``).

    Raises :class:`UsageError` for bad settings and :class:`EmbedcliError` for unreadable or
    unlabelled input, or when training diverges (lower ``lr``).
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    paths = list(paths)
    _check_settings(dim, epochs, lr, min_lr, min_count, max_size, word_ngrams, buckets, batch_size or 1,
                    label_prefix)
    if not paths:
        raise UsageError("give at least one training file")
    if freeze and init is None:
        raise UsageError("--freeze needs --init FILE (the frozen rows are the words found in that file)")
    rng = np.random.default_rng(seed)

    # the examples wait in unnamed temporary files (embedcli.idstore) in tmp_dir, else TMPDIR
    with contextlib.nullcontext(tmp_dir) as tmp:
        tokens, lengths, labels, n_labels, token_ids, label_ids, stats = read_examples(
            paths, settings, label_prefix, encoding_errors, tmp, progress
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
        for tok, i in token_ids.items():
            j = index.get(tok)
            if j is not None:
                remap[i] = j
        use_ngrams = word_ngrams > 1
        prov_hash = fnv1a(list(token_ids)) if use_ngrams else None
        del token_ids, counter, index

        inputs, in_off, keep, n_word_tokens = build_inputs(
            tokens, lengths, remap, prov_hash, word_ngrams, buckets, n_words, tmp
        )
        kept_labels, lab_off = keep_labels(labels, n_labels, keep, tmp)
        label_names = list(label_ids)
        label_counts = count_ids(labels, len(label_names)).tolist()
        n_examples = len(in_off) - 1
        if n_examples == 0:
            raise EmbedcliError(
                f"{display_name(paths[0])}: no labelled line has a word of the vocabulary "
                f"(min count {min_count}); nothing to train on"
            )

        if batch_size is None:
            batch_size = max(1, min(32, int(3.2 / lr), n_examples // 50))
        n_rows = n_words + (buckets if use_ngrams else 0)
        table = rng.random((n_rows, dim), dtype=np.float32)
        table *= np.float32(2.0 / dim)
        table -= np.float32(1.0 / dim)
        table[vocab.special_ids()] = 0.0  # <pad> and <unk> are never inputs
        init_found = frozen = init_info = None
        if init is not None:
            from ..vectors import init_rows, vector_file_info

            words, init_found, _ = init_rows(vocab, os.fspath(init), dim, table=table[:n_words])
            init_found[vocab.special_ids()] = False
            words[vocab.special_ids()] = 0.0
            table[:n_words] = words
            del words
            info = vector_file_info(os.fspath(init))
            n_word_rows = n_words - len(vocab.special_ids())
            init_info = {"file": os.path.abspath(init), "format": info.format, "dim": info.dim,
                         "found": int(init_found.sum()), "rows": n_word_rows, "frozen": bool(freeze)}
            if freeze:
                frozen = np.zeros(n_rows, dtype=bool)
                frozen[:n_words] = init_found
        n_out = len(label_names)
        output = np.zeros((n_out, dim), dtype=np.float32)
        bias = np.zeros(n_out, dtype=np.float32)

        history = []
        total_steps = epochs * n_examples
        done = 0
        n_blocks = (n_examples + data.SHUFFLE_BLOCK - 1) // data.SHUFFLE_BLOCK
        for epoch in range(1, epochs + 1):
            t0 = time.perf_counter()
            loss_sum, correct = 0.0, 0
            cur_lr = lr
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
                    lines = range(s, e)
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
                        correct += int((targets[np.arange(len(lines)), probs.argmax(axis=1)] > 0).sum())
                        step = np.float32(cur_lr)
                        uniq, grads = rows_gradient(ids, lens, d_hidden)
                        if frozen is not None:  # the frozen rows' gradients are dropped, not applied
                            free = ~frozen[uniq]
                            uniq, grads = uniq[free], grads[free]
                        table[uniq] -= step * grads
                        output -= step * d_output
                        bias -= step * d_bias
                    done += len(lines)
                    if progress:
                        progress("train", len(lines), total_steps)
                if not np.isfinite(loss_sum):
                    break
            seconds = time.perf_counter() - t0
            mean_loss = loss_sum / n_examples
            if not np.isfinite(mean_loss) or not np.isfinite(output).all():
                raise EmbedcliError(
                    f"training diverged in epoch {epoch} (loss {mean_loss}); lower the learning rate "
                    f"(lr {lr}) or the batch size ({batch_size})"
                )
            history.append({
                "epoch": epoch,
                "loss": round(float(mean_loss), 6),
                "accuracy": round(correct / n_examples, 6),
                "lr": round(float(lr - (lr - min_lr) * (done / total_steps)), 8),
                "seconds": round(seconds, 3),
                "examples_per_s": round(n_examples / max(seconds, 1e-9), 1),
                "words_per_s": round(n_word_tokens / max(seconds, 1e-9), 1),
            })

        arrays = {"output": output, "bias": bias}
        objects = {"labels": label_names, "label_counts": [int(c) for c in label_counts]}
        if init_found is not None:
            arrays["init_found"] = init_found
            objects["init"] = init_info
        if use_ngrams:
            arrays["ngrams"] = table[n_words:]  # row slices of a C-ordered array: contiguous views
        word_table = table[:n_words]
        n_inputs_total = int(in_off[-1])
        del inputs, in_off, keep, kept_labels, lab_off, tokens, lengths, labels, n_labels

    config = {
        "objective": OBJECTIVE,
        "loss": "softmax",
        "multi_label": "soft-targets",
        "dim": int(dim),
        "epochs": int(epochs),
        "lr": float(lr),
        "min_lr": float(min_lr),
        "min_count": int(min_count),
        "max_size": None if max_size is None else int(max_size),
        "word_ngrams": int(word_ngrams),
        "buckets": int(buckets) if use_ngrams else 0,
        "batch_size": int(batch_size),
        "seed": int(seed),
        "label_prefix": label_prefix,
        "normalization": settings.to_dict(),
        "encoding_errors": encoding_errors,
        "train_files": [display_name(p) for p in paths],
        "n_labels": len(label_names),
        "lines": stats["lines"],
        "examples": n_examples,
        "skipped_unlabeled": stats["unlabeled"],
        "skipped_no_known_word": stats["examples"] - n_examples,
        "corpus_tokens": stats["tokens"],
        "train_inputs": n_inputs_total,
        "init": None if init is None else os.path.abspath(init),
        "freeze": bool(freeze),
    }
    return Model(
        vocab=vocab,
        table=word_table,
        config=config,
        history=history,
        arrays=arrays,
        objects=objects,
    )


def _check_settings(dim, epochs, lr, min_lr, min_count, max_size, word_ngrams, buckets, batch_size, prefix):
    def at_least(name, value, minimum):
        if not isinstance(value, (int, np.integer)) or value < minimum:
            raise UsageError(f"{name} must be an integer of at least {minimum} (got {value!r})")

    at_least("--dim", dim, 1)
    at_least("--epochs", epochs, 1)
    at_least("--min-count", min_count, 1)
    at_least("--word-ngrams", word_ngrams, 1)
    at_least("--batch-size", batch_size, 1)
    if max_size is not None:
        at_least("--max-size", max_size, 1)
    if word_ngrams > 1:
        at_least("--buckets", buckets, 1)
        if buckets >= 2**31 - 1:
            raise UsageError(f"--buckets must be below 2**31 (got {buckets})")
    if not (lr > 0 and np.isfinite(lr)):
        raise UsageError(f"--lr must be a positive number (got {lr})")
    if not (0 <= min_lr <= lr):
        raise UsageError(f"--min-lr must be between 0 and --lr {lr} (got {min_lr})")
    if not prefix or any(c.isspace() for c in prefix):
        raise UsageError(f"--label-prefix must be a non-empty word without spaces (got {prefix!r})")
