"""The SGD loop: epochs over an encoded corpus, mini-batches of consecutive tokens.

Per epoch, the encoded corpus (:mod:`embedcli.corpus`) is streamed in blocks. For each block,
all random draws happen up front from ``numpy.random.default_rng([seed, epoch])``:
subsampling (word2vec's formula), the reduced window ``b ~ U[1, window]`` of every kept
token, and the negative samples. Then the block is cut into batches of ``batch_words``
centre tokens (plus ``window`` tokens of context on each side); each batch's loss and
gradient come from :mod:`embedcli.train.sgns` and are applied with a learning rate that
decays linearly, batch by batch, from ``lr`` to ``min_lr`` over the whole run.

Mini-batches and frequent words. All the pairs of a batch are computed against the same
parameters and their gradients are summed per row. For a rare word that is plain SGD, but a
frequent word occurs many times in one batch (as centre, context and negative sample), and
the sum of all its updates, computed at one point, overshoots where word2vec's sequential
updates would saturate: training diverges. So each row's summed update is divided by
``max(1, occurrences_in_batch / ROW_FREE) ** ROW_POWER`` (4 free occurrences, then the square
root), separately for the input and output matrices. Negatives are shared by groups of
``NEG_GROUP`` consecutive tokens (``NEG_SHARED`` draws each, see :mod:`embedcli.train.sgns`).
These constants and the default batch of 512 centre words were chosen on the kjv+enwiki
benchmark (``benchmarks/train_vs_gensim.py``): WordSim-353 on par with gensim.

Workers: ``workers`` consecutive batches form a round; their gradients are computed against
the same parameters, then applied in batch order. On Linux the round is spread over worker
processes forked at the start of training, with both matrices in shared memory
(:class:`_ProcessGroup`): threads did not scale, a batch being hundreds of small NumPy calls
that keep handing the GIL back and forth (``--workers 2`` was slower than 1). Elsewhere a
thread pool does the same arithmetic in the same order. The result depends on the seed, the
settings and ``workers`` only, never on timing or on processes versus threads.

Because the draws of an epoch depend only on (seed, epoch), training epochs 1..k, saving
both matrices, and training epochs k+1..n later gives the same bytes as one run.

Frozen rows (``TrainState.frozen``, from ``--init FILE --freeze``): the input rows marked there
are never written; their gradient entries are dropped before the scatter (in the worker
threads), so they stay bit-identical (gensim's ``vectors_lockf = 0``, Keras ``trainable=False``).
They still act as context/centre vectors, and the output matrix trains as usual.
"""

from __future__ import annotations

import ctypes
import math
import mmap
import os
import select
import signal
import sys
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..config import TrainSettings
from ..corpus import SENTENCE_BREAK, EncodedCorpus
from ..errors import EmbedcliError
from ..subwords import SubwordRows
from .sgns import (
    cbow_loss_grad,
    keep_probabilities,
    n_groups_for,
    negative_cdf,
    pair_mask,
    skipgram_loss_grad,
)

READ_BLOCK = 1 << 20
NEG_GROUP = 32  # tokens sharing one set of negatives
NEG_SHARED = 16  # negatives per group (each pair is scored against all, weighted negative / NEG_SHARED)
ROW_POWER = 0.5  # output rows: step / max(1, occurrences / ROW_FREE) ** ROW_POWER
ROW_POWER_IN = 0.5  # input rows
ROW_FREE = 4.0  # occurrences per batch that still get the plain summed update


@dataclass
class TrainState:
    """Everything needed to continue training: both matrices, epochs done, history."""

    w_in: np.ndarray
    w_out: np.ndarray
    epochs_done: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)
    frozen: np.ndarray | None = None  # bool (V,): input rows never updated (--freeze)
    init_found: np.ndarray | None = None  # bool (V,): rows initialised from the --init file
    init: dict[str, Any] | None = None  # about the --init file (path, format, rows found), saved as init.json


def init_state(vocab_size: int, dim: int, seed: int, trainable: np.ndarray, input_rows: int | None = None) -> TrainState:
    """word2vec initialisation: input rows U(-0.5/dim, 0.5/dim), output rows 0.

    Rows that are never trained (``trainable`` False: ``<pad>``, ``<unk>``) start at 0.
    ``input_rows`` (subwords: the words, then the n-gram buckets) is the input matrix's height
    when it is not ``vocab_size``; the first ``vocab_size`` rows are the same draws either way.
    """
    rng = np.random.default_rng([seed, 2**31])
    w_in = ((rng.random((input_rows or vocab_size, dim), dtype=np.float32) - 0.5) / dim).astype(np.float32)
    w_in[:vocab_size][~trainable] = 0
    w_out = np.zeros((vocab_size, dim), dtype=np.float32)
    return TrainState(w_in, w_out)


def tune_malloc() -> bool:
    """Keep freed NumPy temporaries in the heap instead of returning them to the system.

    Each batch allocates and frees the same few-MB temporaries; glibc's default gives large
    blocks back with ``munmap``/trim and the next batch page-faults them in again, which
    measured at ~40% of the batch time here. Process-wide, glibc (Linux) only, no-op elsewhere.
    Not a library side effect: ``embedcli train`` calls it, and library users opt in by calling
    it or by setting ``EMBEDCLI_TUNE_MALLOC=1`` (see :func:`tune_malloc_if_asked`).
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        ok = libc.mallopt(-3, 1 << 25)  # M_MMAP_THRESHOLD: 32 MiB (the maximum)
        ok &= libc.mallopt(-1, 1 << 30)  # M_TRIM_THRESHOLD
        ok &= libc.mallopt(-2, 1 << 26)  # M_TOP_PAD
        return bool(ok)
    except (OSError, AttributeError):
        return False


def tune_malloc_if_asked() -> bool:
    """:func:`tune_malloc` when the environment variable ``EMBEDCLI_TUNE_MALLOC`` is set (not 0)."""
    if os.environ.get("EMBEDCLI_TUNE_MALLOC", "0") not in ("", "0"):
        return tune_malloc()
    return False


def _scatter_add(W: np.ndarray, ids: np.ndarray, G: np.ndarray, distinct: bool = False) -> None:
    """W[ids] += G, adding up repeated ids (flat ``np.add.at`` is the fast path).

    ``distinct``: the ids are known to be distinct (the subword rows of a batch), so a plain
    fancy-indexed add does it.
    """
    if distinct:
        W[ids] += G
        return
    d = W.shape[1]
    flat = np.repeat(ids.astype(np.int64) * d, d)  # row starts, then + column: faster than a broadcast add
    flat += _column_offsets(d, len(ids))
    np.add.at(W.reshape(-1), flat, G.reshape(-1))


_COLUMNS: dict[int, np.ndarray] = {}


def _column_offsets(d: int, n: int) -> np.ndarray:
    """``np.tile(np.arange(d), n)``, from a cached, growing array."""
    cols = _COLUMNS.get(d)
    if cols is None or len(cols) < n * d:
        cols = np.tile(np.arange(d, dtype=np.int64), max(n, 1024))
        _COLUMNS[d] = cols
    return cols[: n * d]


class _CdfSampler:
    """``np.searchsorted(cdf, u)`` for uniform ``u`` in [0, 1), exactly, via a bucket table.

    ``u`` in bucket ``j = floor(u * M)`` (``M`` a power of two, so ``j / M`` is exact) has its
    answer between ``T[j] = searchsorted(cdf, j / M)`` and ``T[j + 1]`` (searchsorted is
    monotone); where those are equal that is the answer, and only the other draws take the
    full binary search. About three times faster than searchsorted over the whole cdf.
    """

    def __init__(self, cdf: np.ndarray):
        self.cdf = cdf
        self.M = M = 1 << int(min(22, max(12, math.ceil(math.log2(max(len(cdf), 1) * 16)))))
        edges = np.searchsorted(cdf, np.arange(M + 1, dtype=np.float64) / M)
        self.lo = edges[:-1].astype(np.int32)
        self.exact = edges[:-1] == edges[1:]

    def __call__(self, u: np.ndarray) -> np.ndarray:
        j = (u * self.M).astype(np.int64)
        out = self.lo[j]
        rest = np.flatnonzero(~self.exact[j])
        out[rest] = np.searchsorted(self.cdf, u[rest])
        return out


@dataclass
class _Batch:
    ids: np.ndarray  # (L,) token ids of the batch with its context margins
    mask: np.ndarray  # (L, 2 * window + 1) bool, see sgns.pair_mask
    neg: np.ndarray  # (n_groups, N) negative ids
    lr: float
    words_before: int  # raw words of the epoch before this batch (for progress)


class Trainer:
    """Trains ``state`` in place on ``corpus`` with the resolved ``settings``."""

    def __init__(self, corpus: EncodedCorpus, counts: np.ndarray, trainable: np.ndarray,
                 settings: TrainSettings, workers: int, subwords: SubwordRows | None = None):
        self.corpus = corpus
        self.subwords = subwords  # input vector = mean of a word's row and its n-gram rows
        self.settings = settings
        self.objective = settings.objective
        if self.objective not in ("skipgram", "cbow"):
            raise EmbedcliError(f"objective {self.objective!r} is not trained by the word-vector trainer")
        self.window = int(settings.window)
        self.negative = int(settings.negative)
        self.batch_words = int(settings.batch_words)
        self.epochs = int(settings.epochs)
        self.lr0 = float(settings.lr)
        self.lr1 = float(settings.min_lr)
        self.seed = int(settings.seed)
        self.workers = max(1, int(workers))
        counts = np.asarray(counts, dtype=np.float64) * trainable
        self.keep = keep_probabilities(counts, float(settings.sample)).astype(np.float32)
        self.keep[~trainable] = 0
        self.cdf = negative_cdf(counts)
        self.sampler = _CdfSampler(self.cdf)
        self.group = NEG_GROUP
        self.n_neg = max(self.negative, NEG_SHARED)
        self.total_words = corpus.n_words * self.epochs
        self.vocab_size = len(counts)

    # -- schedule ---------------------------------------------------------------------------
    def lr_at(self, epoch: int, words_before: int) -> float:
        progress = (epoch * self.corpus.n_words + words_before) / max(1, self.total_words)
        return self.lr0 - (self.lr0 - self.lr1) * min(1.0, progress)

    # -- batches ----------------------------------------------------------------------------
    def _batches(self, epoch: int):
        rng = np.random.default_rng([self.seed, epoch])
        w = self.window
        words_offset = 0
        for block in self.corpus.blocks(READ_BLOCK):
            is_word = block >= 0
            sent = np.cumsum(block == SENTENCE_BREAK, dtype=np.int32)
            draw = rng.random(len(block), dtype=np.float32)
            safe = np.where(is_word, block, 0)
            kept = is_word & (draw < self.keep[safe])
            kept_at = np.flatnonzero(kept)
            ids = block[kept_at]
            sents = sent[kept_at]
            n = len(ids)
            block_words = int(is_word.sum())
            if n == 0:
                words_offset += block_words
                continue
            reduced = rng.integers(1, w + 1, size=n, dtype=np.int32)
            starts = list(range(0, n, self.batch_words))
            lens = [min(n, s + self.batch_words + w) - max(0, s - w) for s in starts]
            n_negs = sum(n_groups_for(L, self.group) for L in lens) * self.n_neg
            neg_all = self.sampler(rng.random(n_negs))
            # raw words before each batch's first centre (for the learning rate and progress)
            words_before = np.searchsorted(np.flatnonzero(is_word), kept_at[starts]) + words_offset
            neg_pos = 0
            # pairs of the whole block at once; a batch takes its rows (its centres only)
            block_mask = pair_mask(sents, reduced, np.ones(n, dtype=bool), w)
            for i, (s, L) in enumerate(zip(starts, lens)):
                a0 = max(0, s - w)
                b0 = a0 + L
                e = min(n, s + self.batch_words)
                bid = ids[a0:b0]
                mask = block_mask[a0:b0].copy()
                mask[: s - a0] = False
                mask[e - a0 :] = False
                ng = n_groups_for(L, self.group)
                neg = neg_all[neg_pos : neg_pos + ng * self.n_neg].reshape(ng, self.n_neg)
                neg_pos += ng * self.n_neg
                wb = int(words_before[i])
                yield _Batch(bid, mask, neg, self.lr_at(epoch, wb), wb)
            words_offset += block_words
            # drop this block's arrays before the next block is read (keeps the peak at one block)
            del block, is_word, sent, draw, safe, kept, kept_at, ids, sents, words_before
            del reduced, neg_all, block_mask

    # -- one batch --------------------------------------------------------------------------
    def _compute(self, state: TrainState, batch: _Batch):
        if self.subwords is None:
            H = state.w_in[batch.ids]
        else:
            H, composed = self.subwords.compose(state.w_in, batch.ids)
        U = state.w_out[batch.ids]
        V = state.w_out[batch.neg]
        if self.objective == "skipgram":
            loss, pairs, dH, dU, dV = skipgram_loss_grad(H, U, V, batch.mask, self.negative, self.group)
        else:
            loss, pairs, dH, dU, dV = cbow_loss_grad(
                H, U, V, batch.mask, self.negative, self.group, word2vec_update=True
            )
        step = np.float32(-batch.lr)
        if self.subwords is None:
            dH *= self._row_scale(batch.ids, step, ROW_POWER_IN)[:, None]
            in_ids = batch.ids
        else:  # fastText's update: each of a word's rows gets the gradient of its mean, undivided
            in_ids, dH, occurrences = self.subwords.scatter(composed, dH, exact=False)
            dH *= self._row_scale(in_ids, step, ROW_POWER_IN, counts=occurrences)[:, None]
        if state.frozen is not None:  # drop the frozen rows' entries: the scatter never touches them
            free = ~state.frozen[np.minimum(in_ids, len(state.frozen) - 1)] | (in_ids >= len(state.frozen))
            if not free.all():
                in_ids, dH = in_ids[free], dH[free]
        out_ids = np.concatenate([batch.ids, batch.neg.reshape(-1)])
        dOut = np.concatenate([dU, dV.reshape(-1, dV.shape[-1])])
        dOut *= self._row_scale(out_ids, step, ROW_POWER)[:, None]
        return loss, pairs, dH, out_ids, dOut, in_ids

    def _row_scale(self, ids: np.ndarray, step: np.float32, power: float, counts: np.ndarray | None = None) -> np.ndarray:
        """Per-entry factor: ``step / max(1, occurrences of the row in the batch) ** ROW_POWER``.

        A frequent word occurs many times in one batch; adding all its gradients, computed
        at the same point, would be a step far longer than word2vec's sequential updates
        and diverges. Dividing by the occurrence count (to a power) keeps rare words at
        plain SGD and tames frequent ones. ``counts``: the occurrences, when already known
        (the n-gram rows: the batch tokens using each row).
        """
        if power == 0:
            return np.full(len(ids), step, dtype=np.float32)
        if counts is not None:
            counts = counts.astype(np.float32)
        elif self.vocab_size <= 128 * len(ids):  # measured: bincount is faster up to ~100k words here
            counts = np.bincount(ids)[ids].astype(np.float32)
        else:  # a big vocabulary: count by sorting instead of a vocabulary-sized array per batch
            _, inverse, n = np.unique(ids, return_inverse=True, return_counts=True)
            counts = n[inverse].astype(np.float32)
        counts *= np.float32(1 / ROW_FREE)
        np.maximum(counts, 1, out=counts)
        if power != 1.0:
            counts **= np.float32(power)
        return step / counts

    # -- epochs -----------------------------------------------------------------------------
    def run(self, state: TrainState, *, callback: Callable[[dict], None] | None = None,
            on_epoch_end: Callable[[TrainState], None] | None = None) -> TrainState:
        tune_malloc_if_asked()
        group = self._open_group(state)
        try:
            for epoch in range(state.epochs_done, self.epochs):
                self._run_epoch(state, epoch, group, callback)
                state.epochs_done = epoch + 1
                if on_epoch_end is not None:
                    on_epoch_end(state)
        finally:
            self._close_group(state, group)
        return state

    def _open_group(self, state: TrainState):
        """None (one worker), a :class:`_ProcessGroup` (Linux) or a thread pool."""
        if self.workers <= 1:
            return None
        if _processes_available():
            return _ProcessGroup(self, state)
        return ThreadPoolExecutor(max_workers=max(2, self.workers))

    @staticmethod
    def _close_group(state: TrainState, group) -> None:
        if isinstance(group, _ProcessGroup):
            group.close(state)
        elif group is not None:
            group.shutdown(wait=True, cancel_futures=True)

    def _apply(self, state: TrainState, results, pool) -> None:
        def apply_in():
            for _, _, dH, _, _, ids in results:
                _scatter_add(state.w_in, ids, dH, self.subwords is not None)

        def apply_out():
            for _, _, _, out_ids, dOut, _ in results:
                _scatter_add(state.w_out, out_ids, dOut)

        if pool is None:
            apply_in()
            apply_out()
        else:
            f = pool.submit(apply_out)
            apply_in()
            f.result()

    def _loop(self, state: TrainState, epoch: int, pool, callback, time_limit: float | None = None):
        """Train one epoch (or until ``time_limit`` seconds). Returns loss sum, pairs, lr, words."""
        start = time.perf_counter()
        loss_sum = 0.0
        pairs = 0
        last_lr = self.lr0
        words_done = 0
        batches = self._batches(epoch)
        last_report = 0.0
        while True:
            round_ = []
            for batch in batches:
                round_.append(batch)
                if len(round_) == self.workers:
                    break
            if not round_:
                words_done = self.corpus.n_words
                break
            if time_limit is not None and time.perf_counter() - start > time_limit:
                words_done = round_[0].words_before
                break
            if isinstance(pool, _ProcessGroup):
                results = pool.round(round_)
            else:
                if pool is None:
                    results = [self._compute(state, round_[0])]
                else:
                    futures = [pool.submit(self._compute, state, b) for b in round_]
                    results = [f.result() for f in futures]
                self._apply(state, results, pool)
            for loss, n, *_ in results:
                loss_sum += loss
                pairs += n
            if not math.isfinite(loss_sum):
                raise EmbedcliError(
                    f"training diverged (loss is {loss_sum}) in epoch {epoch + 1}; "
                    f"try a lower --lr (now {self.lr0:g})"
                )
            last_lr = round_[-1].lr
            words_done = round_[-1].words_before
            now = time.perf_counter()
            if callback is not None and now - last_report > 0.1:
                last_report = now
                elapsed = now - start
                callback({
                    "epoch": epoch + 1,
                    "epochs": self.epochs,
                    "words": words_done,
                    "words_total": self.corpus.n_words,
                    "lr": last_lr,
                    "loss": loss_sum / max(1, pairs),
                    "words_per_sec": words_done / elapsed if elapsed > 0 else 0.0,
                })
        if isinstance(pool, _ProcessGroup):
            pool.sync()
        return loss_sum, pairs, last_lr, words_done, time.perf_counter() - start

    def calibrate(self, state: TrainState, seconds: float) -> tuple[int, float]:
        """Train a copy of ``state`` for about ``seconds``; return (corpus words done, seconds)."""
        tune_malloc_if_asked()
        copy = TrainState(state.w_in.copy(), state.w_out.copy(), frozen=state.frozen)
        group = self._open_group(copy)
        try:
            with np.errstate(over="ignore", invalid="ignore"):
                _, _, _, words, elapsed = self._loop(copy, 0, group, None, time_limit=seconds)
        finally:
            self._close_group(copy, group)
        return words, elapsed

    def _run_epoch(self, state: TrainState, epoch: int, pool, callback) -> None:
        with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported below
            loss_sum, pairs, last_lr, _, seconds = self._loop(state, epoch, pool, callback)
        if not np.isfinite(state.w_in).all() or not np.isfinite(state.w_out).all():
            raise EmbedcliError(
                f"training diverged (non-finite weights) in epoch {epoch + 1}; try a lower --lr (now {self.lr0:g})"
            )
        entry = {
            "epoch": epoch + 1,
            "loss": loss_sum / max(1, pairs),
            "pairs": pairs,
            "words": self.corpus.n_words,
            "words_per_sec": self.corpus.n_words / seconds if seconds > 0 else None,
            "lr": last_lr,
            "seconds": round(seconds, 4),
        }
        state.history.append(entry)
        if callback is not None:
            callback({
                "epoch": epoch + 1,
                "epochs": self.epochs,
                "words": self.corpus.n_words,
                "words_total": self.corpus.n_words,
                "lr": last_lr,
                "loss": entry["loss"],
                "words_per_sec": entry["words_per_sec"] or 0.0,
                "epoch_done": True,
            })


SPIN_SECONDS = 0.002  # how long a worker process polls its pipe before sleeping on it


def _read_byte(fd: int) -> bytes:
    """One byte from a non-blocking pipe: poll for up to ``SPIN_SECONDS``, then sleep on it.

    The processes wait for each other twice per round (about a millisecond of work); waking
    a process that sleeps in ``read`` costs tens of microseconds each time, so a short poll
    (the other process is busy on the other core) is cheaper. The poll yields the core at
    each turn, so on a busy machine it gives way to other processes.
    """
    deadline = time.perf_counter() + SPIN_SECONDS
    while True:
        try:
            return os.read(fd, 1)
        except BlockingIOError:
            os.sched_yield()  # a loaded machine: let other processes have this core
            if time.perf_counter() > deadline:
                select.select([fd], [], [])
                deadline = math.inf


def _processes_available() -> bool:
    """Worker processes need ``fork`` (shared anonymous memory is inherited); Linux only."""
    return sys.platform.startswith("linux") and hasattr(os, "fork")


class _Arena:
    """NumPy arrays carved out of one anonymous shared mapping (inherited by forked children)."""

    def __init__(self, specs: dict[str, tuple[tuple[int, ...], Any]]):
        offsets = {}
        size = 0
        for name, (shape, dtype) in specs.items():
            size = -(-size // 64) * 64
            offsets[name] = size
            size += int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
        self.mm = mmap.mmap(-1, max(size, 1))
        self.arrays = {
            name: np.frombuffer(self.mm, dtype=dtype, count=int(np.prod(shape, dtype=np.int64)),
                                offset=offsets[name]).reshape(shape)
            for name, (shape, dtype) in specs.items()
        }

    def __getitem__(self, name: str) -> np.ndarray:
        return self.arrays[name]


class _ProcessGroup:
    """``workers`` processes (this one and ``workers - 1`` forked children) sharing both matrices.

    Threads do not scale here: a batch is hundreds of small NumPy calls, and the two threads
    spend their time handing the GIL back and forth (``np.add.at`` holds it throughout). So a
    round of ``workers`` batches goes to processes: batch ``k`` of the round is computed by
    process ``k`` (batch 0 here, the others' inputs copied into shared memory), every process
    writes its gradients into its shared slot, and once all are done the processes apply every
    slot in batch order: process 0 the input matrix, the children the output matrix (split
    among them by ``id % (workers - 1)``), while process 0 also prepares the next round's
    batches. Each row is thus written by one process, in batch order and entry order: exactly
    the additions of the sequential apply, so the bytes depend on the seed, the settings and
    ``workers`` only (and equal those of the thread pool used where ``fork`` is not
    available). Two pipe round trips per round synchronise the processes (a waiting process
    polls its pipe briefly before sleeping, see :func:`_read_byte`).

    On a machine whose cores are busy with other work the lockstep rounds lose: with one
    core taken by another process, ``--workers 2`` measured ~1.2x slower than ``--workers 1``.

    The children ignore SIGINT (the parent handles Ctrl-C), exit when their pipe closes, and
    always leave with ``os._exit`` (never running the parent's cleanup code).
    """

    def __init__(self, trainer: "Trainer", state: TrainState):
        self.trainer = trainer
        self.P = P = trainer.workers
        V, d = state.w_in.shape
        K = 2 * trainer.window + 1
        self.L_max = L_max = trainer.batch_words + 2 * trainer.window
        self.neg_max = neg_max = n_groups_for(L_max, trainer.group) * trainer.n_neg
        O_max = L_max + neg_max
        # input rows of a batch: its tokens, or with subwords their distinct word and n-gram rows
        I_max = L_max if trainer.subwords is None else min(L_max * trainer.subwords.max_rows, V)
        # the matrices get their own mapping: they stay the state's arrays after training
        # (no copy back, so the private originals can be freed), the slots are dropped
        weights = _Arena({"w_in": (state.w_in.shape, np.float32), "w_out": (state.w_out.shape, np.float32)})
        weights["w_in"][:] = state.w_in
        weights["w_out"][:] = state.w_out
        state.w_in = weights["w_in"]
        state.w_out = weights["w_out"]
        specs: dict[str, tuple[tuple[int, ...], Any]] = {}
        for k in range(P):
            specs.update({
                f"ids{k}": ((L_max,), np.int32),
                f"mask{k}": ((L_max, K), np.bool_),
                f"neg{k}": ((neg_max,), np.int32),
                f"meta{k}": ((4,), np.float64),  # L, n_groups, lr | loss
                f"in_ids{k}": ((I_max,), np.int32),
                f"dH{k}": ((I_max, d), np.float32),
                f"out_ids{k}": ((O_max,), np.int32),
                f"dOut{k}": ((O_max, d), np.float32),
                f"counts{k}": ((3,), np.int64),  # n_in, n_out, pairs
            })
        self.arena = _Arena(specs)
        self.arena.arrays.update(w_in=state.w_in, w_out=state.w_out)
        self.state = state
        self.pending = False
        self.children: list[tuple[int, int, int]] = []  # (pid, write fd, read fd)
        try:
            for rank in range(1, P):
                self._spawn(rank)
        except BaseException:
            self.close(state)
            raise

    def _spawn(self, rank: int) -> None:
        to_child_r, to_child_w = os.pipe()
        to_parent_r, to_parent_w = os.pipe()
        os.set_blocking(to_child_r, False)
        os.set_blocking(to_parent_r, False)
        pid = os.fork()
        if pid == 0:  # child
            code = 1
            try:
                os.close(to_child_w)
                os.close(to_parent_r)
                for _, w, r in self.children:  # the earlier children's pipes are not ours
                    os.close(w)
                    os.close(r)
                try:
                    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
                    signal.signal(signal.SIGTERM, signal.SIG_DFL)
                except ValueError:  # pragma: no cover - not the main thread
                    pass
                self._serve(rank, to_child_r, to_parent_w)
                code = 0
            except BaseException:
                try:  # os.write: another thread of the parent may have held sys.stderr's lock at fork
                    os.write(2, traceback.format_exc().encode("utf-8", "replace"))
                    os.write(to_parent_w, b"e")
                except BaseException:
                    pass
            finally:
                os._exit(code)
        os.close(to_child_r)
        os.close(to_parent_w)
        self.children.append((pid, to_child_w, to_parent_r))

    # -- child side -----------------------------------------------------------------------
    def _serve(self, rank: int, r: int, w: int) -> None:
        with np.errstate(over="ignore", invalid="ignore"):
            while True:
                cmd = _read_byte(r)
                if cmd == b"c":
                    self._compute_slot(rank)
                elif cmd == b"a":
                    self._apply_part(rank)
                else:  # b"" (parent gone or closing) or b"q"
                    return
                try:
                    os.write(w, b"d")
                except BrokenPipeError:  # the parent stopped (Ctrl-C, an error): nothing to report
                    return

    def _compute_slot(self, k: int) -> None:
        a = self.arena
        meta = a[f"meta{k}"]
        L, ng = int(meta[0]), int(meta[1])
        batch = _Batch(a[f"ids{k}"][:L], a[f"mask{k}"][:L],
                       a[f"neg{k}"][: ng * self.trainer.n_neg].reshape(ng, self.trainer.n_neg), float(meta[2]), 0)
        self._store(k, self.trainer._compute(self.state, batch))

    def _store(self, k: int, result) -> None:
        a = self.arena
        loss, pairs, dH, out_ids, dOut, in_ids = result
        n_in, n_out = len(in_ids), len(out_ids)
        a[f"in_ids{k}"][:n_in] = in_ids
        a[f"dH{k}"][:n_in] = dH
        a[f"out_ids{k}"][:n_out] = out_ids
        a[f"dOut{k}"][:n_out] = dOut
        a[f"counts{k}"][:] = (n_in, n_out, pairs)
        a[f"meta{k}"][3] = loss

    def _apply_part(self, rank: int) -> None:
        """Add every slot's gradients, in batch order, to this process's rows.

        Process 0 (which also prepares the batches) writes the input matrix, the others the
        output matrix's rows ``id % (workers - 1) == rank - 1``.
        """
        a = self.arena
        P = self.P
        name, ids_name, G_name, n_at = ("w_in", "in_ids", "dH", 0) if rank == 0 else ("w_out", "out_ids", "dOut", 1)
        W = a[name]
        for k in range(P):
            n = int(a[f"counts{k}"][n_at])
            ids = a[f"{ids_name}{k}"][:n]
            G = a[f"{G_name}{k}"][:n]
            if rank > 0 and P > 2:
                sel = ids % (P - 1) == rank - 1
                ids, G = ids[sel], G[sel]
            _scatter_add(W, ids, G, rank == 0 and self.trainer.subwords is not None)

    # -- parent side ----------------------------------------------------------------------
    def _signal_all(self, cmd: bytes, children) -> None:
        for _, w, _ in children:
            os.write(w, cmd)

    def _wait_all(self, children) -> None:
        for _, _, r in children:
            reply = _read_byte(r)
            if reply != b"d":
                raise EmbedcliError("a training worker process failed (see the message above); "
                                    "try --workers 1")

    def round(self, batches: list[_Batch]) -> list[tuple[float, int]]:
        """Compute and apply one round; returns (loss, pairs) per batch, in batch order."""
        a = self.arena
        active = self.children[: len(batches) - 1]
        for k, b in enumerate(batches[1:], start=1):  # the children are not reading these now
            L = len(b.ids)
            ng = b.neg.shape[0]
            a[f"ids{k}"][:L] = b.ids
            a[f"mask{k}"][:L] = b.mask
            a[f"neg{k}"][: b.neg.size] = b.neg.reshape(-1)
            a[f"meta{k}"][:3] = (L, ng, b.lr)
        self.sync()
        self._signal_all(b"c", active)
        self._store(0, self.trainer._compute(self.state, batches[0]))
        self._wait_all(active)
        for k in range(len(batches), self.P):  # a short last round: empty slots
            a[f"counts{k}"][:] = 0
        results = [(float(a[f"meta{k}"][3]), int(a[f"counts{k}"][2])) for k in range(len(batches))]
        self._signal_all(b"a", self.children)
        self._apply_part(0)
        self.pending = True  # the children are still applying: sync() before reading the weights
        return results

    def sync(self) -> None:
        """Wait until the children have applied the last round."""
        if self.pending:
            self.pending = False
            self._wait_all(self.children)

    def close(self, state: TrainState) -> None:
        """Stop the children (``state`` keeps the matrices, only this process maps them now)."""
        try:
            self.sync()
        except EmbedcliError:
            pass
        for pid, w, r in self.children:
            for fd in (w, r):
                try:
                    os.close(fd)
                except OSError:
                    pass
        for pid, _, _ in self.children:
            deadline = time.monotonic() + 5.0
            while True:
                try:
                    done, _ = os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    break
                if done:
                    break
                if time.monotonic() > deadline:
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                    break
                time.sleep(0.001)
        self.children = []
        self.arena = None  # the slots; state.w_in / w_out keep their (now private) mapping
