"""A fastText-style supervised text classifier in pure NumPy.

Model (as in fastText's ``supervised`` mode, Joulin et al. 2016, "Bag of Tricks"):

* a phrase is the **average** of the rows of its words (``Model.table``, one row per vocabulary
  token) and, with ``word_ngrams > 1``, of hashed word n-gram rows (``arrays["ngrams"]``,
  ``buckets`` rows). The n-gram of the words at positions ``i..i+n-1`` goes to bucket
  ``h mod buckets`` with ``h = fnv1a(w_i)``, then ``h = h * 116049371 + fnv1a(w_j)`` for each next
  word (unsigned 64-bit arithmetic), fastText's ``addWordNgrams``. ``fnv1a`` is the 32-bit FNV-1a
  hash of the token's UTF-8 bytes, so the bucket depends only on the words (never on Python's
  salted ``hash()`` nor on the vocabulary order), and n-grams around out-of-vocabulary words
  still get a bucket, as in fastText.
* a linear softmax over the labels: ``p = softmax(output @ hidden + bias)``. fastText has no bias
  but appends ``</s>`` to every line, whose row acts as one; embedcli's tokenizer has no ``</s>``,
  so an explicit bias (``arrays["bias"]``) plays that part, and a phrase without any known word
  gets the label prior the bias learnt instead of an arbitrary label.
* words not in the vocabulary are ignored (fastText's behaviour), at training and prediction.

Training is SGD with fastText's defaults (dim 100, lr 0.1, 5 epochs, min count 1, word n-grams 1,
input rows uniform in ±1/dim, output rows zero) and its **linear learning-rate decay** from ``lr``
to ``min_lr`` over all the training examples. It is vectorised over mini-batches of
``batch_size`` lines: the per-example gradients of a batch are *summed* (not averaged), so each
example moves the weights by the same step as in fastText's one-line-at-a-time SGD; the examples
of a batch just do not see each other's update (like fastText's lock-free threads, but
deterministic). The loss is computed in float64.

**Multi-label lines.** fastText's softmax loss picks one of the line's labels at random at each
step. embedcli uses the expectation of that step instead: the target distribution puts ``1/m``
on each of the ``m`` labels of the line (cross-entropy against soft targets). The gradient is
exactly the average of the ``m`` gradients fastText chooses from, with no sampling noise, and a
single-label line is the ordinary softmax cross-entropy.

**Order.** fastText reads the file in order; embedcli shuffles the examples at every epoch with the
seeded generator (lines are read in blocks of ``SHUFFLE_BLOCK`` lines, the block order and the
lines inside each block are permuted), so a file sorted by label still trains well.

**Streaming.** The input is read once, line by line; the ids are written to flat int32 files in a
temporary directory (ids, per-line offsets, label ids) and the epochs read them back block by
block, so memory grows with the vocabulary and the number of labels, not with the corpus.

Everything random comes from one ``numpy.random.Generator`` seeded with ``seed``: the same
inputs, settings and seed give byte-identical models.
"""

from __future__ import annotations

import os
import tempfile
import time
from array import array
from collections import Counter
from typing import Callable, Iterable, Sequence

import numpy as np

from ..errors import EmbedcliError, FormatError, UsageError
from ..io import display_name
from ..labeled import LABEL_PREFIX, iter_labeled, line_tokens, split_labels
from ..model import Model
from ..text import TextSettings, token_pattern
from ..vocab import build_vocab

OBJECTIVE = "classify"
DEFAULT_BUCKETS = 2_000_000  # fastText's -bucket default (only used with word_ngrams > 1)
NGRAM_MULTIPLIER = 116049371  # fastText's Dictionary::addWordNgrams
FNV_OFFSET = 2166136261
FNV_PRIME = 16777619
SHUFFLE_BLOCK = 1 << 16  # lines per shuffled block (bounds memory during the epochs)
ENCODE_BLOCK = 1 << 13  # lines per block when the read ids are turned into input rows
_FLUSH = 1 << 20  # ids buffered in memory before they go to the temporary files

ProgressFn = Callable[[str, int, "int | None"], None]


# -- hashing -------------------------------------------------------------------------------------
def fnv1a(tokens: Sequence[str]) -> np.ndarray:
    """32-bit FNV-1a hashes of the UTF-8 bytes of ``tokens`` (uint32), vectorised by length."""
    out = np.empty(len(tokens), dtype=np.uint32)
    if not len(tokens):
        return out
    data = [t.encode("utf-8") for t in tokens]
    lengths = np.fromiter(map(len, data), dtype=np.int64, count=len(data))
    prime = np.uint32(FNV_PRIME)
    for length in np.unique(lengths):
        sel = np.flatnonzero(lengths == length)
        h = np.full(len(sel), FNV_OFFSET, dtype=np.uint32)
        if length:
            mat = np.frombuffer(b"".join([data[i] for i in sel]), dtype=np.uint8).reshape(len(sel), int(length))
            for j in range(int(length)):
                h ^= mat[:, j]
                h *= prime  # wraps modulo 2**32
        out[sel] = h
    return out


def ngram_buckets(
    hashes: np.ndarray, lengths: np.ndarray, n: int, buckets: int
) -> tuple[np.ndarray, np.ndarray]:
    """Bucket of every word n-gram (sizes 2..n) of the lines, and the line each belongs to.

    ``hashes`` are the token hashes of all lines concatenated, ``lengths`` the number of tokens of
    each line. Returns ``(bucket ids int64, line index int64)``, sorted by line.
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    total = int(lengths.sum())
    if n < 2 or total == 0 or buckets <= 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    line_of = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
    starts = np.cumsum(lengths) - lengths
    remaining = lengths[line_of] - (np.arange(total, dtype=np.int64) - starts[line_of])  # incl. self
    h64 = np.asarray(hashes, dtype=np.uint32).astype(np.uint64)
    acc = h64.copy()
    mult = np.uint64(NGRAM_MULTIPLIER)
    out_b, out_line, out_pos = [], [], []
    for k in range(1, n):
        if total - k <= 0:
            break
        acc = acc[: total - k] * mult + h64[k:]  # wraps modulo 2**64 like fastText's uint64_t
        valid = remaining[: total - k] > k
        if not valid.any():
            break
        out_b.append((acc[valid] % np.uint64(buckets)).astype(np.int64))
        out_line.append(line_of[: total - k][valid])
        out_pos.append(np.flatnonzero(valid) * n + k)
    b = np.concatenate(out_b) if out_b else np.zeros(0, np.int64)
    lines = np.concatenate(out_line) if out_line else np.zeros(0, np.int64)
    if out_b:
        order = np.argsort(np.concatenate(out_pos), kind="stable")  # position order = line order
        b, lines = b[order], lines[order]
    return b, lines


# -- the loss ------------------------------------------------------------------------------------
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


# -- reading the training file -------------------------------------------------------------------
class _Spool:
    """Flat int32 files in a temporary directory, appended in blocks."""

    def __init__(self, directory: str, name: str, typecode: str = "i"):
        self.path = os.path.join(directory, name)
        self.typecode = typecode
        self.buf = array(typecode)
        self.count = 0
        self.file = open(self.path, "wb")

    def extend(self, values) -> None:
        self.buf.extend(values)
        if len(self.buf) >= _FLUSH:
            self.flush()

    def append(self, value) -> None:
        self.buf.append(value)
        if len(self.buf) >= _FLUSH:
            self.flush()

    def flush(self) -> None:
        if self.buf:
            self.buf.tofile(self.file)
            self.count += len(self.buf)
            self.buf = array(self.typecode)

    def close(self) -> np.ndarray:
        self.flush()
        self.file.close()
        dtype = np.int32 if self.typecode == "i" else np.int64
        if self.count == 0:
            return np.zeros(0, dtype=dtype)
        return np.memmap(self.path, dtype=dtype, mode="r", shape=(self.count,))


def _read_examples(paths, settings, prefix, encoding_errors, tmp, progress):
    """Pass over the files once: provisional token ids (first appearance) and label ids."""
    tok_spool = _Spool(tmp, "tokens.i32")
    len_spool = _Spool(tmp, "lengths.i32")
    lab_spool = _Spool(tmp, "labels.i32")
    nlab_spool = _Spool(tmp, "nlabels.i32")
    token_ids: dict[str, int] = {}
    label_ids: dict[str, int] = {}
    stats = {"lines": 0, "unlabeled": 0, "examples": 0, "tokens": 0}
    advance = (lambda n: progress("read", n, None)) if progress else None
    for path in paths:
        name = display_name(path)
        labeled_here = 0
        for _, labels, tokens in iter_labeled(
            path, settings, prefix=prefix, encoding_errors=encoding_errors, progress=advance
        ):
            stats["lines"] += 1
            if not labels:
                stats["unlabeled"] += 1
                continue
            labeled_here += 1
            lab = sorted({label_ids.setdefault(l, len(label_ids)) for l in labels})
            lab_spool.extend(lab)
            nlab_spool.append(len(lab))
            tok_spool.extend([token_ids.setdefault(t, len(token_ids)) for t in tokens])
            len_spool.append(len(tokens))
            stats["tokens"] += len(tokens)
        if labeled_here == 0:
            raise EmbedcliError(
                f"{name}: no line has a label (a token starting with {prefix!r}); a classifier needs "
                f"fastText-format lines like '{prefix}spam buy cheap pills now'"
            )
        stats["examples"] += labeled_here
    return (tok_spool.close(), len_spool.close(), lab_spool.close(), nlab_spool.close(),
            token_ids, label_ids, stats)


def _count(ids: np.ndarray, size: int) -> np.ndarray:
    counts = np.zeros(size, dtype=np.int64)
    for lo in range(0, len(ids), _FLUSH):
        counts += np.bincount(np.asarray(ids[lo : lo + _FLUSH]), minlength=size)
    return counts


def _offsets(lengths: np.ndarray, path: str) -> np.ndarray:
    """Cumulative offsets (len + 1, int64) of per-line lengths, in a file, block by block."""
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.int64, shape=(len(lengths) + 1,))
    out[0] = 0
    carry = 0
    for lo in range(0, len(lengths), ENCODE_BLOCK):
        block = np.cumsum(np.asarray(lengths[lo : lo + ENCODE_BLOCK], dtype=np.int64)) + carry
        out[lo + 1 : lo + 1 + len(block)] = block
        carry = int(block[-1]) if len(block) else carry
    return out


def _build_inputs(tokens, lengths, remap, prov_hash, word_ngrams, buckets, n_words, tmp):
    """Final input rows of every line: vocabulary ids, then ``n_words + bucket`` per n-gram.

    Lines that end up with no input (all their words out of the vocabulary) are dropped.
    Returns (inputs int32 memmap, offsets int64, kept line mask (bool memmap), n_word_tokens).
    """
    in_spool = _Spool(tmp, "inputs.i32")
    n_spool = _Spool(tmp, "ninputs.i32")
    keep = np.lib.format.open_memmap(os.path.join(tmp, "keep.npy"), mode="w+", dtype=np.bool_,
                                     shape=(len(lengths),))
    tok_off = _offsets(lengths, os.path.join(tmp, "tok_offsets.npy"))
    n_word_tokens = 0
    for lo in range(0, len(lengths), ENCODE_BLOCK):
        hi = min(lo + ENCODE_BLOCK, len(lengths))
        lens = np.asarray(lengths[lo:hi], dtype=np.int64)
        prov = np.asarray(tokens[tok_off[lo] : tok_off[hi]], dtype=np.int64)
        wids = remap[prov]
        line_of = np.repeat(np.arange(hi - lo, dtype=np.int64), lens)
        known = wids >= 0
        parts_ids = [wids[known].astype(np.int64)]
        parts_line = [line_of[known]]
        if word_ngrams > 1:
            b, bl = ngram_buckets(prov_hash[prov], lens, word_ngrams, buckets)
            parts_ids.append(b + n_words)
            parts_line.append(bl)
        ids = np.concatenate(parts_ids)
        lines = np.concatenate(parts_line)
        order = np.argsort(lines, kind="stable")
        ids, lines = ids[order], lines[order]
        counts = np.bincount(lines, minlength=hi - lo)
        keep[lo:hi] = counts > 0
        n_word_tokens += int(known.sum())
        in_spool.extend(ids.astype(np.int32))
        n_spool.extend(counts[counts > 0].astype(np.int32))
    keep.flush()
    inputs, n_inputs = in_spool.close(), n_spool.close()
    return inputs, _offsets(n_inputs, os.path.join(tmp, "in_offsets.npy")), keep, n_word_tokens


def _kept_labels(labels, n_labels_per_line, keep, tmp):
    """Label ids and offsets of the kept lines only."""
    lab_spool = _Spool(tmp, "kept_labels.i32")
    n_spool = _Spool(tmp, "kept_nlabels.i32")
    lab_off = _offsets(n_labels_per_line, os.path.join(tmp, "lab_offsets_all.npy"))
    for lo in range(0, len(keep), ENCODE_BLOCK):
        hi = min(lo + ENCODE_BLOCK, len(keep))
        k = np.asarray(keep[lo:hi])
        nl = np.asarray(n_labels_per_line[lo:hi], dtype=np.int64)
        lab = np.asarray(labels[lab_off[lo] : lab_off[hi]])
        lab_spool.extend(lab[np.repeat(k, nl)])
        n_spool.extend(nl[k].astype(np.int32))
    return lab_spool.close(), _offsets(n_spool.close(), os.path.join(tmp, "lab_offsets.npy"))


def _gather(flat: np.ndarray, offsets: np.ndarray, lines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate the segments ``flat[offsets[l]:offsets[l+1]]`` of ``lines``; also their lengths."""
    starts = offsets[lines]
    lens = offsets[lines + 1] - starts
    total = int(lens.sum())
    shift = np.repeat(starts - (np.cumsum(lens) - lens), lens)
    return flat[np.arange(total, dtype=np.int64) + shift], lens


# -- training ------------------------------------------------------------------------------------
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

    with tempfile.TemporaryDirectory(prefix="embedcli-classify-") as tmp:
        tokens, lengths, labels, n_labels, token_ids, label_ids, stats = _read_examples(
            paths, settings, label_prefix, encoding_errors, tmp, progress
        )
        # the vocabulary, with build_vocab's semantics (counts in order of first appearance)
        prov_counts = _count(tokens, len(token_ids))
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

        inputs, in_off, keep, n_word_tokens = _build_inputs(
            tokens, lengths, remap, prov_hash, word_ngrams, buckets, n_words, tmp
        )
        kept_labels, lab_off = _kept_labels(labels, n_labels, keep, tmp)
        label_names = list(label_ids)
        label_counts = _count(labels, len(label_names)).tolist()
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
        n_blocks = (n_examples + SHUFFLE_BLOCK - 1) // SHUFFLE_BLOCK
        for epoch in range(1, epochs + 1):
            t0 = time.perf_counter()
            loss_sum, correct = 0.0, 0
            cur_lr = lr
            for block in rng.permutation(n_blocks):
                lo = int(block) * SHUFFLE_BLOCK
                hi = min(lo + SHUFFLE_BLOCK, n_examples)
                b_off = np.asarray(in_off[lo : hi + 1]) - in_off[lo]
                b_inputs = np.asarray(inputs[in_off[lo] : in_off[hi]])
                l_off = np.asarray(lab_off[lo : hi + 1]) - lab_off[lo]
                b_labels = np.asarray(kept_labels[lab_off[lo] : lab_off[hi]])
                order = rng.permutation(hi - lo)
                # the block in shuffled order, so that each batch is a contiguous slice
                p_ids, p_lens = _gather(b_inputs, b_off, order)
                p_labs, p_nlabs = _gather(b_labels, l_off, order)
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


# -- prediction ----------------------------------------------------------------------------------
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
        _segment_add(hidden, self.model.table[wids[known]], line_of[known])
        if self.ngrams is not None and len(flat):
            b, bl = ngram_buckets(fnv1a(flat), lengths, self.word_ngrams, len(self.ngrams))
            _segment_add(hidden, self.ngrams[b], bl)
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


def _segment_add(out: np.ndarray, rows: np.ndarray, line_of: np.ndarray) -> None:
    """``out[line_of[i]] += rows[i]`` for ``line_of`` sorted (no np.add.at)."""
    if not len(rows):
        return
    lines, starts = np.unique(line_of, return_index=True)
    out[lines] += np.add.reduceat(rows, starts, axis=0)


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
