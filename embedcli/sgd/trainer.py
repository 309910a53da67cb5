"""The SGD loop: epochs over an encoded corpus, rounds of mini-batches of consecutive tokens.

Per epoch, the encoded corpus (:mod:`embedcli.corpus`) is streamed in blocks. For each block,
all random draws happen up front from ``numpy.random.default_rng([seed, epoch])``:
subsampling (word2vec's formula), the reduced window ``b ~ U[1, window]`` of every kept
token, and the negative samples. Then the block is cut into batches of ``batch_words``
centre tokens (plus ``window`` tokens of context on each side); each batch's loss and
gradient come from :mod:`embedcli.sgd.sgns`, with a learning rate that decays linearly,
batch by batch, from ``lr`` to ``min_lr`` over the whole run.

Rounds. ``round_batches`` consecutive batches form a round: they are computed against the
same parameters, then their steps are added up per row and applied. The round is the unit of
parallel work: worker processes (:mod:`embedcli.sgd.workers`) share out its batches and
its rows, and the result depends on the seed and the settings only, never on ``--workers``:
a laptop and a 64-core server give the same bytes.

What a round costs. Every step of a round is computed against parameters up to a round old,
and quality follows the number of words a round holds (``round_batches * batch_words``), not
the batch size: on enwiki (5 epochs, lr 0.05) the final loss was 2.395 with 512 words a round
(WordSim-353 0.43-0.44), 2.42 with 1,024, 2.47 with 2,048 and 2.556 with 4,608 (0.35-0.39);
on kjv and on both corpora the same order. So the defaults are batches of 256 centre words
(1,024 for CBOW) in rounds of at most ``MAX_ROUND_BATCHES`` = 4: four processes stay busy, a
round holds 1,024 words (fresh enough to beat fastText's defaults on WordSim-353 on three
corpora; over three seeds, SimLex-999 level with fastText on two corpora and below on kjv,
analogies above on two and below on enwiki: benchmarks/README.md), and a batch is still large enough for NumPy to run near full speed. More
cores can be used with ``--round-batches N`` (and smaller ``--batch-words`` to keep a round's
words), at the price in quality measured above.

The per-row trust region. Computed at one point, the steps of a frequent row (``the``, a
common negative) add up to far more than sequential SGD would move it, since each of its
scores saturates after a few sequential steps and stops pushing; summed, they overshoot and
training diverges, the more so at higher learning rates, larger rounds and longer vectors. So a
row's summed step ``S`` is scaled so that none of the scores it took part in moves by more
than ``STEP_BOUND`` logits: ``min(1, STEP_BOUND / (|S| * max |partner|))``
(:meth:`Trainer.apply_rows`). Rare rows and rows whose steps cancel keep plain SGD.
``STEP_BOUND`` (4 logits) was chosen by measurement on three corpora and three evaluation sets
(``benchmarks/train_quality.py``): 1 and 2 held frequent rows back, 8 let them oscillate.

Negatives are shared by groups of ``NEG_GROUP`` consecutive tokens (``NEG_SHARED`` draws
each, see :mod:`embedcli.sgd.sgns`).

Because the draws of an epoch depend only on (seed, epoch), training epochs 1..k, saving
both matrices, and training epochs k+1..n later gives the same bytes as one run.

Frozen rows (``TrainState.frozen``, from ``--init FILE --freeze``): the input rows marked there
are never written; their gradient entries are dropped before the apply, so they stay
bit-identical (gensim's ``vectors_lockf = 0``, Keras ``trainable=False``). They still act as
context/centre vectors, and the output matrix trains as usual.
"""

from __future__ import annotations

import itertools
import math
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, NamedTuple

import numpy as np

from ..config import TrainSettings
from ..corpus import SENTENCE_BREAK, EncodedCorpus
from ..errors import EmbedcliError, ParameterError
from ..heap import tune_malloc_if_asked
from ..subwords import SubwordRows, stable_sort
from .workers import ProcessGroup, processes_available
from .sgns import (
    cbow_loss_grad,
    dot_norms,
    gather_padded,
    gather_skipgram,
    keep_probabilities,
    n_groups_for,
    negative_cdf,
    pair_mask,
    skipgram_loss_grad,
)

READ_BLOCK = 1 << 20  # corpus entries sharing one layout of random draws (subsampling, windows, negatives)
READ_CHUNK = 1 << 16  # entries read and subsampled at a time (a divisor of READ_BLOCK)
SPAN_BATCHES = 64  # batches whose pair masks and negatives are made at once
NEG_GROUP = 32  # tokens sharing one set of negatives
NEG_SHARED = 16  # negatives per group (each pair is scored against all, weighted negative / NEG_SHARED)
MAX_ROUND_BATCHES = 4  # the default round: at most 4 batches (4 worker processes busy; see the module docstring)
MIN_ROUNDS = 64  # ... and at least this many rounds per epoch (a small corpus gets smaller rounds)
# a round's share of at least this many entries is summed per row by a row plan (apply_plan), a smaller
# one by np.add.at (apply_indexed): the same bytes; measured on kjv rounds, the plan's apply took
# 1.13x the time of np.add.at's with 1,064 and 1,640 entries (skip-gram), 0.77x and 0.68x with
# 4,136 and 6,248 (CBOW): its fixed cost is larger, its cost per entry smaller
PLAN_MIN = 2560
STEP_BOUND = 4.0  # a row's summed step in a round moves none of its scores by more than this (in logits)
LOSS_EVERY = 4  # the loss is taken on every LOSS_EVERY-th batch of an epoch (see _Batch.loss)


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
    #: epochs the matrices had when this run began (a continued model, ``continue_from``): this run's
    #: epochs come after them, with their own learning-rate schedule (see :meth:`Trainer.run`)
    first_epoch: int = 0
    continued: dict[str, Any] | None = None  # about the continued model (path, epochs, words added), saved as continued.json


def init_state(vocab_size: int, dim: int, seed: int, trainable: np.ndarray, input_rows: int | None = None) -> TrainState:
    """word2vec initialisation: input rows U(-0.5/dim, 0.5/dim), output rows 0.

    Rows that are never trained (``trainable`` False: ``<pad>``, ``<unk>``) start at 0.
    ``input_rows`` (subwords: the words, then the n-gram buckets) is the input matrix's height
    when it is not ``vocab_size``; the first ``vocab_size`` rows are the same draws either way.
    """
    rng = np.random.default_rng([seed, 2**31])
    w_in = rng.random((input_rows or vocab_size, dim), dtype=np.float32)
    w_in -= 0.5  # in place: no temporary matrices (the same float32 values)
    w_in /= dim
    w_in[:vocab_size][~trainable] = 0
    w_out = np.zeros((vocab_size, dim), dtype=np.float32)
    return TrainState(w_in, w_out)


def _scatter_add(W: np.ndarray, ids: np.ndarray, G: np.ndarray, flat: np.ndarray | None = None) -> None:
    """W[ids] += G, adding up repeated ids (flat ``np.add.at`` is the fast path).

    ``np.add.at`` costs per index, so with an even row length the rows are viewed as pairs of
    float32 (``complex64``: its addition is the two float32 additions), which halves the
    indices; the sums, and their order, are the same bytes as the float32 scatter. The flat
    indices are the rows ``ids`` of a cached table of every element's flat index (one gather: a
    third of the time of ``np.repeat`` of the row starts plus the column offsets); ``flat``:
    those indices, made beforehand (:func:`scatter_index`)."""
    d = W.shape[1]
    if d % 2 == 0 and W.flags.c_contiguous:
        G = np.ascontiguousarray(G, dtype=np.float32)
        W, G, d = W.view(np.complex64), G.view(np.complex64), d // 2
    if flat is None:
        flat = np.take(_flat_index(d, W.shape[0]), ids, axis=0)
    np.add.at(W.reshape(-1), flat.reshape(-1), G.reshape(-1))


def scatter_width(d: int) -> int:
    """Elements per row of a C-contiguous ``(rows, d)`` float32 array as :func:`_scatter_add`
    indexes it: ``d / 2`` complex64 pairs when ``d`` is even, else ``d``."""
    return d // 2 if d % 2 == 0 else d


def scatter_index(ids: np.ndarray, rows: int, d: int, out: np.ndarray | None = None) -> np.ndarray:
    """The flat indices :func:`_scatter_add` takes for adding to rows ``ids`` of a C-contiguous
    ``(rows, d)`` float32 array (``out``: a buffer at least that long, filled and returned)."""
    width = scatter_width(d)
    if out is None:
        return np.take(_flat_index(width, rows), ids, axis=0)
    # mode="clip" (the ids are rows): with out= the default "raise" buffers the result (2x slower)
    return np.take(_flat_index(width, rows), ids, axis=0, out=out[: len(ids) * width].reshape(len(ids), width),
                   mode="clip")


def _distinct(ids: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(ids, return_inverse=True)`` for ids in ``[0, size)``: through a table of
    ``size`` flags instead of a sort when that is cheaper (a round's ids against a vocabulary
    of tens of thousands); the same arrays either way."""
    if size > 16 * len(ids):
        return np.unique(ids, return_inverse=True)
    seen = np.zeros(size, dtype=bool)
    seen[ids] = True
    rows = np.flatnonzero(seen)
    where = np.empty(size, dtype=np.intp)
    where[rows] = np.arange(len(rows))
    return rows, where[ids]


def _bounded_write(W: np.ndarray, rows: np.ndarray, S: np.ndarray, pmax: np.ndarray,
                   norms: np.ndarray | None = None) -> None:
    """``W[rows] += S`` with each row's step scaled by ``min(1, STEP_BOUND / (|S| * pmax))``
    (rows distinct; :meth:`Trainer.apply_rows`). ``norms``: each row's norm, kept up to date
    (:meth:`Trainer.keep_out_norms`)."""
    norm = dot_norms(S)
    norm *= pmax
    # factor min(1, STEP_BOUND / norm): 1 (no change) unless norm > STEP_BOUND (or NaN)
    big = np.flatnonzero(~(norm <= np.float32(STEP_BOUND)))
    if len(big):
        S[big] *= (np.float32(STEP_BOUND) / norm[big])[:, None]
    S += np.take(W, rows, axis=0)  # W[rows] + S, as W[rows] += S
    W[rows] = S
    if norms is not None:  # the new rows' norms, as the kernel computes them (sgns.cbow_loss_grad)
        norms[rows] = dot_norms(S)


def _unfrozen(frozen: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Which of ``rows`` training may change: ``frozen`` is a flag per word row
    (``TrainState.frozen``); the rows past it (subwords' n-gram buckets) are never frozen."""
    return ~frozen[np.minimum(rows, len(frozen) - 1)] | (rows >= len(frozen))


def row_index(ids: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Where the entries ``ids`` (rows of a matrix of ``size`` rows) go in :meth:`Trainer.apply_rows`,
    from the ids alone (a process group makes it while the batches are computed): ``(rows,
    first, later, at_later)``, the distinct rows (ascending), each row's first entry, every
    other entry in entry order and the place in ``rows`` of each."""
    rows, inverse = _distinct(ids, size)
    first = np.full(len(rows), len(ids), dtype=np.intp)
    np.minimum.at(first, inverse, np.arange(len(ids)))
    later = np.ones(len(ids), dtype=bool)
    later[first] = False
    later = np.flatnonzero(later)
    return rows, first, later, inverse[later]


def apply_indexed(W: np.ndarray, rows: np.ndarray, first: np.ndarray, later: np.ndarray, at_later: np.ndarray,
                  G: np.ndarray, P: np.ndarray, norms: np.ndarray | None = None, flat: np.ndarray | None = None) -> None:
    """The apply of :meth:`Trainer.apply_rows` from a :func:`row_index`: row ``i``'s steps are
    ``G[first[i]]``, then ``G[later]`` where ``at_later == i``, in that order (``P``: the
    entries' partner norms, positions as in ``G``; ``norms``: see :func:`_bounded_write`;
    ``flat``: ``scatter_index(at_later, len(rows), W.shape[1])``, made beforehand)."""
    # each row's sum in entry order: its first step (+ 0, as 0 + step: -0.0 becomes 0.0),
    # then np.add.at of the others, in order (the same additions as add.at from zero)
    S = np.take(G, first, axis=0)
    S += np.float32(0)
    pmax = np.maximum(np.float32(0), np.take(P, first).astype(np.float32, copy=False))
    if len(later):
        _scatter_add(S, at_later, np.take(G, later, axis=0), flat)
        np.maximum.at(pmax, at_later, np.take(P, later).astype(np.float32, copy=False))
    _bounded_write(W, rows, S, pmax, norms)


class RowPlan(NamedTuple):
    """How :func:`apply_plan` sums a round's entries per row, from the entries' rows alone
    (:func:`row_plan`; a process group makes it while the batches are computed).

    The distinct rows are put in classes by their number of entries ``c``: class ``k`` holds
    the rows with ``2**(k-1) < c <= 2**k`` (class 0: one entry). Class ``k``'s ``n_k`` rows
    take an ``(m_k, n_k)`` block of slots, ``m_k = 2**k``: slot ``(j, i)`` is the ``j``-th
    entry (in entry order) of the class's ``i``-th row, or padding (a zero step) past its
    last entry. The blocks, class after class, hold fewer than twice as many slots as there
    are entries."""

    rows: np.ndarray  # the distinct rows, class after class (ascending within a class)
    src: np.ndarray  # each slot's entry (a position in the round's steps; 0 for padding)
    pads: np.ndarray  # the padding slots
    classes: np.ndarray  # n_k: the rows of each class k (int64; 0 for a class without rows)


def row_plan(ids: np.ndarray, size: int) -> RowPlan:
    """The :class:`RowPlan` of the entries ``ids`` (rows of a matrix of ``size`` rows; int32 ids
    take one sort of 64-bit keys, :func:`~embedcli.subwords.stable_sort`)."""
    N = len(ids)
    order, by_row = stable_sort(np.asarray(ids))  # the entries by row, in entry order within a row
    new = np.empty(N, dtype=bool)
    new[:1] = True
    np.not_equal(by_row[1:], by_row[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    n = len(starts)
    cnt = np.empty(n, dtype=np.intp)  # entries per row
    np.subtract(starts[1:], starts[:-1], out=cnt[:-1])
    cnt[-1:] = N - starts[-1:]
    cnt -= 1
    cls = np.frexp(cnt)[1].astype(np.int8)  # ceil(log2(entries)): 2**(k-1) < entries <= 2**k (0 for one entry)
    ncls = np.bincount(cls)
    sizes = np.left_shift(ncls, np.arange(len(ncls)))  # m_k * n_k slots
    by_class = np.argsort(cls, kind="stable")  # (int8: a radix sort)
    first = np.cumsum(sizes)
    first -= sizes
    first -= np.cumsum(ncls) - ncls  # a class's first slot, less the rows of the classes before it
    corner = np.empty(n, dtype=np.int64)  # each row's slot (0, i): its class's first slot + its place in the class
    corner[by_class] = np.arange(n)
    corner += first[cls]
    stride = ncls[cls]
    corner -= starts * stride  # entry e of a row starting at s: slot (e - s, i), at corner + e * stride
    row_of = np.cumsum(new, dtype=np.intp)
    row_of -= 1
    at = np.arange(N, dtype=np.int64)
    at *= stride[row_of]
    at += corner[row_of]
    src = np.full(int(sizes.sum()), -1, dtype=np.intp)
    src[at] = order
    pads = np.flatnonzero(src < 0)
    src[pads] = 0
    return RowPlan(by_row[starts[by_class]], src, pads, ncls)


def apply_plan(W: np.ndarray, plan: RowPlan, G: np.ndarray, P: np.ndarray, norms: np.ndarray | None = None) -> None:
    """The apply of :meth:`Trainer.apply_rows` by a :func:`row_plan` of the entries' rows:
    ``G`` the entries' steps, ``P`` their partner norms (``norms``: see :func:`_bounded_write`).

    Each row's steps are added one after another in entry order, from its first step plus 0
    (-0.0 becomes 0.0): the additions of a sequential ``np.add.at`` into zeros. Class by class,
    the slots are gathered into an ``(m, n, d)`` block and summed over its first axis: NumPy adds
    the ``m`` layers one after another, element-wise along the other axes (unless there is
    nothing else: see below); padding adds 0, which changes nothing but a -0.0 sum, made 0.0
    anyway. A few dozen calls per round instead of ``np.add.at``'s cost per element: faster from
    ``PLAN_MIN`` entries on (:func:`apply_rows` takes :func:`apply_indexed` below that)."""
    d = W.shape[1]
    X = np.take(G, plan.src, axis=0, mode="clip")
    X[plan.pads] = 0
    Q = np.take(P, plan.src, mode="clip").astype(np.float32, copy=False)
    Q[plan.pads] = 0
    S = np.empty((len(plan.rows), d), dtype=np.float32)
    pmax = np.empty(len(plan.rows), dtype=np.float32)
    at = row = 0
    for k, n in enumerate(plan.classes.tolist()):
        if not n:
            continue
        m = 1 << k
        if n * d > 1:
            np.add.reduce(X[at : at + m * n].reshape(m, n, d), axis=0, out=S[row : row + n])
        else:  # one row of one value: a reduce along its only axis would be pairwise; accumulate is not
            S[row] = np.add.accumulate(X[at : at + m, 0])[-1]
        np.maximum.reduce(Q[at : at + m * n].reshape(m, n), axis=0, out=pmax[row : row + n])
        at += m * n
        row += n
    S += np.float32(0)
    np.maximum(np.float32(0), pmax, out=pmax)
    _bounded_write(W, plan.rows, S, pmax, norms)


def apply_rows(W: np.ndarray, ids: list[np.ndarray], steps: list[np.ndarray], partner: list[np.ndarray],
               part: tuple[int, int] = (0, 1), norms: np.ndarray | None = None) -> None:
    """Add a round's steps to ``W`` under the per-row trust region.

    All the steps of a round are computed at the same point and added up per row. For a
    rare row that is plain SGD. A frequent row (``the``, a common negative) collects
    hundreds of steps that sequential SGD would have damped as it went: each of its
    scores saturates after a few steps and stops pushing. Added up at one point they
    overshoot, scores jump by hundreds of logits and training diverges, the more so the
    larger the learning rate, the batches and the rounds.

    So a row's summed step ``S`` is scaled to move none of its scores by more than
    ``STEP_BOUND`` logits: a score with partner ``p`` moves by ``S . p <= |S| |p|``, so
    the factor is ``min(1, STEP_BOUND / (|S| * max |p|))``, ``max |p|`` over the partners
    the row met in the round. Rows whose steps are small (rare words, settled words,
    steps that cancel out) keep plain SGD; the bound does not depend on the learning
    rate, the batch or round size, or a corpus.

    ``part = (rank, n)`` restricts the apply to the rows ``id % n == rank`` (a worker
    process's share); each row's sum is taken in the same order whatever ``n`` is.
    ``norms``: the kept norm of every row of ``W``, updated for the rows written
    (:meth:`Trainer.keep_out_norms`).
    """
    rank, n_parts = part
    if len(ids) == 0:
        return
    all_ids = ids if isinstance(ids, np.ndarray) else np.concatenate(ids)
    at = None  # this share's entries (positions in the round), when the rows are shared out
    if n_parts > 1:
        at = np.flatnonzero(all_ids % n_parts == rank)
        all_ids = all_ids[at]
    if len(all_ids) == 0:
        return
    G = steps if isinstance(steps, np.ndarray) else np.concatenate(steps)
    P = partner if isinstance(partner, np.ndarray) else np.concatenate(partner)
    if len(all_ids) < PLAN_MIN:
        rows, first, later, at_later = row_index(all_ids, W.shape[0])
        if at is not None:  # positions in the round
            first, later = at[first], at[later]
        apply_indexed(W, rows, first, later, at_later, G, P, norms)
        return
    plan = row_plan(all_ids, W.shape[0])
    if at is not None:  # positions in the round
        plan = plan._replace(src=at[plan.src])
    apply_plan(W, plan, G, P, norms)


_FLAT_INDEX: dict[int, np.ndarray] = {}


def _flat_index(d: int, rows: int) -> np.ndarray:
    """``np.arange(rows * d).reshape(rows, d)`` (int64): row ``r`` holds the flat indices of row
    ``r`` of a C-contiguous ``(rows, d)`` array; from a cached table, grown as needed."""
    table = _FLAT_INDEX.get(d)
    if table is None or len(table) < rows:
        table = np.arange(max(2 * rows, 1024) * d, dtype=np.int64).reshape(-1, d)
        _FLAT_INDEX[d] = table
    return table[:rows]


class _CdfSampler:
    """``np.searchsorted(cdf, u)`` for uniform ``u`` in [0, 1), exactly, via a bucket table.

    ``u`` in bucket ``j = floor(u * M)`` (``M`` a power of two, so ``j / M`` is exact) has its
    answer between ``T[j] = searchsorted(cdf, j / M)`` and ``T[j + 1]`` (searchsorted is
    monotone); where those are equal that is the answer, and only the other draws take the
    full binary search. About three times faster than searchsorted over the whole cdf.
    The table (5 bytes per bucket, 16 buckets per word) is built in pieces of ``2**16``
    buckets: no temporary arrays of the whole table's size.
    """

    def __init__(self, cdf: np.ndarray):
        self.cdf = cdf
        self.M = M = 1 << int(min(22, max(12, math.ceil(math.log2(max(len(cdf), 1) * 16)))))
        self.lo = np.empty(M, dtype=np.int32)
        self.exact = np.empty(M, dtype=bool)
        piece = 1 << 16
        for a in range(0, M, piece):
            b = min(M, a + piece)
            edges = np.searchsorted(cdf, np.arange(a, b + 1, dtype=np.float64) / M)
            self.lo[a:b] = edges[:-1]
            np.equal(edges[:-1], edges[1:], out=self.exact[a:b])

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
    # whether compute() takes the batch's loss: on every LOSS_EVERY-th batch of an epoch (the
    # epoch's loss is their mean per pair; it is only reported and watched for divergence, and it
    # costs 6-8% of a batch's computing); the steps are the same either way
    loss: bool = True


def _loss_taken(k: int) -> bool:
    """Whether batch ``k`` of an epoch has its loss taken: one in each run of ``LOSS_EVERY``
    consecutive batches, at a place that moves back by one from run to run (0, 3, 2, 1 with 4).
    Not always the first of a round: that batch follows, in the text, the round just applied,
    and its loss is lower than the others' (kjv skip-gram: by 2-4%)."""
    run, at = divmod(k, LOSS_EVERY)
    return (at + run) % LOSS_EVERY == 0


def auto_round_batches(expected_words: float, batch_words: int) -> int:
    """The default round size: ``MAX_ROUND_BATCHES`` batches, fewer when an epoch would have
    fewer than ``MIN_ROUNDS`` rounds. ``expected_words``: the tokens an epoch keeps after
    subsampling (in expectation: a function of the vocabulary counts only, not of the run)."""
    return int(min(MAX_ROUND_BATCHES, max(1, expected_words // (batch_words * MIN_ROUNDS))))


class _KeptWindow:
    """A sliding window over a block's kept tokens as they come in chunks (``(ids, sents)``
    pairs): :meth:`take` returns positions ``[lo, hi)`` and forgets everything before ``lo``
    (``lo`` never goes back). The arrays handed out are never written to."""

    def __init__(self, chunks):
        self.chunks = chunks
        self.start = 0
        self.ids = np.zeros(0, dtype=np.int32)
        self.sents = np.zeros(0, dtype=np.int32)

    def take(self, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        ids, sents = [self.ids[lo - self.start :]], [self.sents[lo - self.start :]]
        end = self.start + len(self.ids)
        while end < hi:
            i, s = next(self.chunks)
            ids.append(i)
            sents.append(s)
            end += len(i)
        self.ids = np.concatenate(ids) if len(ids) > 1 else ids[0]
        self.sents = np.concatenate(sents) if len(sents) > 1 else sents[0]
        self.start = lo
        return self.ids[: hi - lo], self.sents[: hi - lo]


class _Rounds:
    """An epoch's batches, a round at a time; the next round can be made early (:meth:`prepare`).

    ``then``: called once, when :meth:`prepare` finds the batches used up (the epoch's last round
    is out): the trainer makes the next epoch's first round there, while the last one is computed."""

    def __init__(self, batches, size: int, then: Callable[[], None] | None = None):
        self.batches = batches
        self.size = size
        self.ahead: list[_Batch] | None = None
        self.then = then

    def prepare(self) -> None:
        if self.ahead is None:
            self.ahead = list(itertools.islice(self.batches, self.size))
            if not self.ahead and self.then is not None:
                then, self.then = self.then, None
                then()

    def next(self) -> list[_Batch]:
        self.prepare()
        round_, self.ahead = self.ahead, None
        return round_


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
        counts = np.asarray(counts, dtype=np.float64) * trainable
        self.keep = keep_probabilities(counts, float(settings.sample)).astype(np.float32)
        self.keep[~trainable] = 0
        # the tokens an epoch keeps after subsampling, expected (--dry-run shows it)
        self.kept_words_per_epoch = float(np.dot(counts, self.keep)) * corpus.n_words / max(1.0, float(counts.sum()))
        if settings.round_batches is None:  # resolved here, saved with the model's settings
            settings.round_batches = auto_round_batches(self.kept_words_per_epoch, self.batch_words)
        self.round_batches = int(settings.round_batches)
        self.epochs = int(settings.epochs)
        self.lr0 = float(settings.lr)
        self.lr1 = float(settings.min_lr)
        self.seed = int(settings.seed)
        # more processes than batches in a round would have nothing to do
        self.workers = max(1, min(int(workers), self.round_batches))
        self.cdf = negative_cdf(counts, float(settings.ns_exponent))
        # input rows a kept token brings on average (1; with subwords its word and n-gram rows)
        kept = counts * self.keep
        self.input_rows_per_token = 1.0 if subwords is None else (
            float(np.dot(kept, subwords.lengths[: len(kept)])) / max(1.0, float(kept.sum())) or 1.0)
        self._sampler: _CdfSampler | None = None  # made when batches are: worker processes never hold it
        self._steps: tuple[np.ndarray, np.ndarray] | None = None  # a round's step buffers (_round_out)
        self._early: tuple[int, _Rounds] | None = None  # the next epoch's rounds, its first one made (_rounds)
        self._out_norms: tuple[np.ndarray, np.ndarray] | None = None  # (w_out, its row norms): keep_out_norms
        self.group = NEG_GROUP
        self.n_neg = max(self.negative, NEG_SHARED)
        self.total_words = corpus.n_words * self.epochs
        self.first_epoch = 0  # the epochs before this run's (TrainState.first_epoch, set by run)
        self.vocab_size = len(counts)
        self._check_memory(int(settings.dim))

    def working_bytes(self, dim: int) -> int:
        """About the memory training holds beside the two matrices, in bytes, from the settings
        alone: a span's negatives draws and pair masks (``SPAN_BATCHES`` batches), a round's step
        slots (the process group's shared buffers) and each process's batch arrays. Only the terms
        that grow with the window, the negatives, the batch, the round and the dimension: the
        defaults need a few MB; this is what makes absurd settings fail at once (below)."""
        w, B, R = self.window, self.batch_words, self.round_batches
        L, K = B + 2 * w, 2 * w + 1
        neg = self.neg_rows_for(L)
        rows_in = L if self.subwords is None else L * self.subwords.max_rows
        rows = rows_in + L + neg  # a batch's input rows, its tokens' and its negatives' output rows
        span = SPAN_BATCHES * (16 * neg + 3 * B * K)  # float64 draws + ids; the pair masks and their temporaries (bool)
        slots = R * (L * K + 4 * rows * dim)
        # float32: the pair scores, the rows and the steps, each with its temporaries; the shared negatives' scores
        batch = 4 * (8 * L * K + 8 * rows * dim + 3 * n_groups_for(L, self.group) * self.group * self.n_neg)
        return span + slots + self.workers * batch

    def _check_memory(self, dim: int) -> None:
        """Settings whose working memory is beyond the machine's (``--negative`` or ``--window`` in
        the millions) fail here, in one line, before anything is allocated: otherwise numpy's
        allocations fail one by one, or succeed and are killed by the out-of-memory killer."""
        try:
            physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (AttributeError, ValueError, OSError):  # no sysconf (Windows): nothing to compare with
            return
        need = self.working_bytes(dim)
        if need > physical:
            raise ParameterError(
                "training with {window} {w}, {negative} {n}, {batch_words} {b}, {round_batches} {r} and {dim} {d} "
                "needs about {need:,.0f} GB of working memory, more than this machine's {have:,.1f} GB; lower the "
                "largest of them", "window", "negative", "batch_words", "round_batches", "dim", exit_code=1,
                w=self.window, n=self.negative, b=self.batch_words, r=self.round_batches, d=dim, need=need / 1e9,
                have=physical / 1e9)

    @property
    def sampler(self) -> _CdfSampler:
        """The negatives' sampler (made at first use)."""
        if self._sampler is None:
            self._sampler = _CdfSampler(self.cdf)
        return self._sampler

    def neg_rows_for(self, L: int) -> int:
        """How many negative ids a batch of ``L`` tokens draws."""
        return n_groups_for(L, self.group) * self.n_neg

    # -- schedule ---------------------------------------------------------------------------
    def lr_at(self, epoch: int, words_before: int) -> float:
        progress = ((epoch - self.first_epoch) * self.corpus.n_words + words_before) / max(1, self.total_words)
        return self.lr0 - (self.lr0 - self.lr1) * min(1.0, progress)

    # -- batches ----------------------------------------------------------------------------
    def _rounds(self, epoch: int) -> _Rounds:
        """The epoch's rounds. Its first round needs the first block's pass over the corpus
        (subsampling draws, window sizes: 25-35 ms on kjv), so when an epoch's last round goes
        out (:meth:`_Rounds.prepare`, called by a process group while its processes compute that
        round) the next epoch's first round is made there: the processes do not stand idle at
        every epoch's start. The batches depend on (seed, epoch) only, so this changes nothing."""
        early, self._early = self._early, None
        if early is not None and early[0] == epoch:
            return early[1]

        def then() -> None:
            if epoch + 1 < self.epochs:
                rounds = self._rounds(epoch + 1)
                rounds.prepare()
                self._early = (epoch + 1, rounds)

        return _Rounds(self._batches(epoch), self.round_batches, then)

    def _chunks(self, start: int, count: int):
        """The corpus entries ``[start, start + count)``, read ``READ_CHUNK`` at a time."""
        for a in range(start, start + count, READ_CHUNK):
            yield self.corpus.read(a, min(READ_CHUNK, start + count - a))

    def _kept(self, rng, chunk: np.ndarray) -> np.ndarray:
        """The positions in ``chunk`` of the words that subsampling keeps (one draw per entry)."""
        is_word = chunk >= 0
        draw = rng.random(len(chunk), dtype=np.float32)
        kept = self.keep[np.where(is_word, chunk, 0)] > draw
        kept &= is_word
        return np.flatnonzero(kept)

    def _subsample(self, rng, start: int, count: int, words_offset: int):
        """Pass 1 over one block: its subsampling draws (the same stream as one call over the
        block), counting the kept tokens and the raw words before each batch's first centre.
        Returns ``(kept tokens, words_before, block words)``."""
        B = self.batch_words
        starts_words = []
        n_kept = block_words = 0
        for chunk in self._chunks(start, count):
            kept_at = self._kept(rng, chunk)
            # batch starts among this chunk's kept tokens: the raw words before them
            first = -(-n_kept // B) * B - n_kept
            if first < len(kept_at):
                words = np.cumsum(chunk >= 0, dtype=np.int64)
                starts_words.append(words[kept_at[first::B]] - 1 + (words_offset + block_words))
            n_kept += len(kept_at)
            block_words += int(np.count_nonzero(chunk >= 0))
        words_before = np.concatenate(starts_words) if starts_words else np.zeros(0, dtype=np.int64)
        return n_kept, words_before, block_words

    def _kept_tokens(self, rng, start: int, count: int):
        """Pass 2 over one block: the same subsampling draws again (``rng`` is a copy of the
        generator as it was before pass 1), yielding each chunk's kept ids and their sentence
        numbers within the block."""
        n_sent = 0
        for chunk in self._chunks(start, count):
            kept_at = self._kept(rng, chunk)
            sent = np.cumsum(chunk == SENTENCE_BREAK, dtype=np.int32)
            sent += n_sent
            n_sent = int(sent[-1])
            yield chunk[kept_at], sent[kept_at]

    def _batches(self, epoch: int):
        """The epoch's batches. The corpus is read in blocks of ``READ_BLOCK`` entries that share
        one layout of random draws: the block's subsampling draws, then its window sizes, then its
        negatives, ``SPAN_BATCHES`` batches at a time. Memory never holds a block's tokens: pass 1
        reads the block in chunks of ``READ_CHUNK`` and only counts what subsampling keeps; the
        window sizes (one byte per kept token) are drawn; pass 2 reads the block again with a
        copy of the generator from before pass 1 (the same draws: the same tokens kept) and
        makes the batches as the kept tokens come in, holding a span's tokens and one chunk's.
        Re-reading is cheap: the store's pages are in the page cache, not in this process."""
        rng = np.random.default_rng([self.seed, epoch])
        w = self.window
        B = self.batch_words
        words_offset = 0
        block = max(1, READ_BLOCK // READ_CHUNK) * READ_CHUNK
        number = itertools.count()  # the batch's number in the epoch
        sampled = False  # whether a batch with pairs has had its loss taken
        for start in range(0, self.corpus.n_entries, block):
            count = min(block, self.corpus.n_entries - start)
            replay = np.random.Generator(type(rng.bit_generator)())
            replay.bit_generator.state = rng.bit_generator.state
            n, words_before, block_words = self._subsample(rng, start, count, words_offset)
            if n == 0:
                words_offset += block_words
                continue
            # drawn as int32 (the stream), kept as int8 while the window fits it (a wider one: a type that holds it)
            reduced = np.empty(n, dtype=np.int8 if w <= np.iinfo(np.int8).max else np.min_scalar_type(w))
            for a in range(0, n, READ_CHUNK):
                reduced[a : a + READ_CHUNK] = rng.integers(1, w + 1, size=min(READ_CHUNK, n - a), dtype=np.int32)
            kept = _KeptWindow(self._kept_tokens(replay, start, count))
            starts = range(0, n, B)
            for i0 in range(0, len(starts), SPAN_BATCHES):
                span = starts[i0 : i0 + SPAN_BATCHES]
                lens = [min(n, s + B + w) - max(0, s - w) for s in span]
                neg_all = self.sampler(rng.random(sum(self.neg_rows_for(L) for L in lens)))
                lo = max(0, span[0] - w)
                hi = min(n, span[-1] + B + w)
                ids, sents = kept.take(lo, hi)
                span_mask = pair_mask(sents, reduced[lo:hi], None, w)
                neg_pos = 0
                for i, (s, L) in enumerate(zip(span, lens), i0):
                    a0 = max(0, s - w)
                    e = min(n, s + B)
                    bid = ids[a0 - lo : a0 - lo + L]
                    mask = span_mask[a0 - lo : a0 - lo + L].copy()
                    mask[: s - a0] = False
                    mask[e - a0 :] = False
                    ng = n_groups_for(L, self.group)
                    neg = neg_all[neg_pos : neg_pos + ng * self.n_neg].reshape(ng, self.n_neg)
                    neg_pos += ng * self.n_neg
                    wb = int(words_before[i])
                    # until a batch with pairs has had its loss taken, every batch has (an epoch
                    # whose sampled batches had no pairs would report a loss of 0)
                    take = _loss_taken(next(number)) or not sampled
                    sampled = sampled or (take and bool(mask.any()))
                    yield _Batch(bid, mask, neg, self.lr_at(epoch, wb), wb, take)
            words_offset += block_words
            del kept, reduced, words_before

    # -- one batch --------------------------------------------------------------------------
    def compute(self, state: TrainState, batch: _Batch, out: tuple[np.ndarray, np.ndarray] | None = None,
                vectors=None):
        """Loss, pairs and the batch's steps (gradients times ``-lr``), before the per-row rule.

        Returns ``(loss, pairs, dH, out_ids, dOut, in_ids, c_in, c_out)``: ``dH`` holds the
        steps of the input rows ``in_ids`` (the batch's tokens less frozen rows), ``dOut`` those
        of the output rows ``out_ids`` (the batch's tokens, then its negatives); ``c_in`` and
        ``c_out`` the largest norm of the vectors each entry's scores were taken against (see
        :meth:`apply_rows`). With subwords, ``in_ids`` are the batch's distinct tokens and ``dH``
        the step each of their rows takes (:meth:`SubwordRows.token_steps`): the apply sums them
        onto the word and n-gram rows (:meth:`apply_side`), where frozen rows are left out. ``out``: buffers ``(dH, dOut)`` at least as long as the batch's steps
        (a worker process's shared slot) that the steps are written into, when they fit, instead
        of new arrays (the same values; saves copying them into the slot). ``vectors``: with
        subwords, the batch's composed input vectors from :meth:`round_vectors` (the same bytes).
        """
        sub = self.subwords
        skipgram = self.objective == "skipgram"
        rows = None
        w, L = self.window, len(batch.ids)
        if skipgram:  # the rows in one buffer, with the zero margins of their windows
            rows, H, U, V = gather_skipgram(state.w_in if sub is None else None, state.w_out, batch.ids, batch.neg,
                                            w, self.group)
        else:  # the rows in a buffer with the zero margins of their windows (no padded copy)
            H = gather_padded(state.w_in, batch.ids, w) if sub is None else np.zeros(
                (L + 2 * w, state.w_in.shape[1]), dtype=state.w_in.dtype)
            U = np.take(state.w_out, batch.ids, axis=0)
            V = np.take(state.w_out, batch.neg, axis=0)
        if sub is not None:  # each token's input vector: the mean of its rows, composed into H's buffer
            _, composed = sub.compose(state.w_in, batch.ids, out=H[w : w + L], vectors=vectors)
        lr = np.float32(batch.lr)
        out_ids = np.concatenate([batch.ids, batch.neg.reshape(-1)])
        dOut = out[1][: len(out_ids)] if out is not None and len(out_ids) <= len(out[1]) else None
        dH_out = out[0][:L] if out is not None and sub is None and L <= len(out[0]) else None
        if skipgram:  # the kernel writes the steps (times -lr) into the slots itself
            loss, pairs, dH, dU, dV, (cH, cU, cV) = skipgram_loss_grad(
                H, U, V, batch.mask, self.negative, self.group, curvature=True, padded=True, rows=rows,
                scale=-lr, out=(dH_out, dOut), loss=batch.loss)
            if dOut is None or not np.may_share_memory(dU, dOut):  # its own buffer: dU, then dV
                dOut = dU.base[: len(out_ids)]
        else:  # the kernel writes the steps (times -lr) into the slots itself
            norms = self.out_norms_of(state.w_out)
            if norms is not None:  # U's and V's row norms, kept by the apply
                norms = (np.take(norms, batch.ids), np.take(norms, batch.neg))
            loss, pairs, dH, dU, dV, (cH, cU, cV) = cbow_loss_grad(
                H, U, V, batch.mask, self.negative, self.group, word2vec_update=True, curvature=True,
                padded=True, scale=-lr, out=(dH_out, dOut), loss=batch.loss, out_norms=norms)
            dOut = dU.base if dOut is None else dOut
        in_ids = batch.ids
        if sub is not None:  # fastText's update: each of a word's rows gets the step of its mean; the
            # steps per distinct token, summed onto the rows by the apply (SubwordRows.round_steps)
            in_ids, dH, cH, _ = sub.token_steps(composed, dH, exact=False, partner=cH,
                                                out=None if out is None else out[0])
        elif state.frozen is not None:  # drop the frozen rows' entries: the scatter never touches them
            free = _unfrozen(state.frozen, in_ids)
            if not free.all():
                in_ids, dH, cH = in_ids[free], dH[free], cH[free]
        c_out = np.concatenate([cU, cV.reshape(-1)])
        return loss, pairs, dH, out_ids, dOut, in_ids, cH, c_out

    def round_vectors(self, state: TrainState, batches: list[_Batch]):
        """With subwords, the composed input vectors of several batches computed against the same
        weights (a round, or a worker's share of it), each distinct token composed once for all
        of them (a round's batches share about a third of their tokens); for :meth:`compute`
        ``(vectors=)``. None without subwords or for a single batch."""
        if self.subwords is None or len(batches) < 2:
            return None
        return self.subwords.compose_many(state.w_in, [b.ids for b in batches])

    # -- the per-row rule and the apply ----------------------------------------------------
    def apply_rows(self, W: np.ndarray, ids: list[np.ndarray], steps: list[np.ndarray],
                   partner: list[np.ndarray], part: tuple[int, int] = (0, 1)) -> None:
        """:func:`apply_rows` with the row norms this trainer keeps for ``W``, if any
        (:meth:`keep_out_norms`)."""
        apply_rows(W, ids, steps, partner, part, self.out_norms_of(W))

    def apply_side(self, side: str, W: np.ndarray, ids, steps, partner, part: tuple[int, int] = (0, 1),
                   frozen: np.ndarray | None = None) -> None:
        """:meth:`apply_rows` for one side of a round (``"in"``: the input matrix, ``"out"``: the
        output one). With subwords the input side gets each batch's steps per token
        (:meth:`compute`): :meth:`SubwordRows.round_steps` sums them onto the rows, the rows in
        ``frozen`` (bool per word row, ``TrainState.frozen``) are left out, and the per-row rule
        is applied as in :meth:`apply_rows`."""
        if side != "in" or self.subwords is None:
            self.apply_rows(W, ids, steps, partner, part=part)
            return
        if isinstance(ids, np.ndarray):
            ids = [ids]
        if isinstance(steps, np.ndarray):  # the round's step buffer as one array (_round_out)
            steps = np.split(steps, np.cumsum([len(i) for i in ids])[:-1])
        if isinstance(partner, np.ndarray):
            partner = [partner]
        rows, S, pmax = self.subwords.round_steps(ids, steps, partner, part)
        if frozen is not None:
            free = np.flatnonzero(_unfrozen(frozen, rows))
            if len(free) < len(rows):
                rows, S, pmax = rows[free], S[free], pmax[free]
        if len(rows):
            _bounded_write(W, rows, S, pmax)

    def _round_out(self, state: TrainState, n: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """Step buffers for a round's batches, one after another in memory (``compute(out=)``), so
        that :meth:`apply_rows` takes a round's steps as one array without copying them."""
        L = self.batch_words + 2 * self.window
        shape = (self.round_batches, L, state.w_in.shape[1])
        buffers = self._steps
        if buffers is None or buffers[0].shape != shape or buffers[0].dtype != state.w_in.dtype:
            buffers = self._steps = (np.empty(shape, dtype=state.w_in.dtype),
                                     np.empty((shape[0], L + self.neg_rows_for(L), shape[2]), dtype=state.w_in.dtype))
        return [(buffers[0][k], buffers[1][k]) for k in range(n)]

    def round_here(self, state: TrainState, batches: list[_Batch], pool=None) -> list[tuple[float, int]]:
        """Compute a round's batches in this process (or on a thread ``pool``) into the round's
        step buffers, then apply them; returns (loss, pairs) per batch, in batch order."""
        outs = self._round_out(state, len(batches))
        vectors = self.round_vectors(state, batches)
        if pool is None:
            full = [self.compute(state, b, out=o, vectors=vectors) for b, o in zip(batches, outs)]
        else:
            futures = [pool.submit(self.compute, state, b, out=o, vectors=vectors) for b, o in zip(batches, outs)]
            full = [f.result() for f in futures]
        self._apply(state, full, pool)
        return [(r[0], r[1]) for r in full]

    def _apply(self, state: TrainState, results, pool) -> None:
        def steps(at: int, which: int):
            # the round buffer's first rows as one array when every batch filled its row of it
            # (compute(out=) wrote there, see _round_out), else the list of the batches' steps
            buf = None if self._steps is None else self._steps[which]
            if buf is not None and len(results) <= len(buf) and all(
                    r[at].base is buf and r[at].shape == buf.shape[1:] for r in results):
                return buf[: len(results)].reshape(-1, buf.shape[2])
            return [r[at] for r in results]

        def apply_in():
            self.apply_side("in", state.w_in, [r[5] for r in results], steps(2, 0), [r[6] for r in results],
                            frozen=state.frozen)

        def apply_out():
            self.apply_side("out", state.w_out, [r[3] for r in results], steps(4, 1), [r[7] for r in results])

        if pool is None:
            apply_in()
            apply_out()
        else:
            f = pool.submit(apply_out)
            apply_in()
            f.result()

    # -- epochs -----------------------------------------------------------------------------
    def run(self, state: TrainState, *, callback: Callable[[dict], None] | None = None,
            on_epoch_end: Callable[[TrainState], None] | None = None) -> TrainState:
        """Train ``state`` from its ``epochs_done`` to the last epoch. A continued model's epochs
        (``state.first_epoch``: the matrices were trained that long before) are numbered after its
        earlier ones (which also gives them their own random draws) and have a learning-rate
        schedule of their own, from ``lr`` down to ``min_lr``, as gensim's ``train`` on a trained
        model."""
        self.first_epoch = state.first_epoch
        self.epochs = state.first_epoch + int(self.settings.epochs)
        tune_malloc_if_asked()
        group = self._open_group(state)
        try:
            for epoch in range(state.epochs_done, self.epochs):
                self._run_epoch(state, epoch, group, callback)
                state.epochs_done = epoch + 1
                if on_epoch_end is not None:
                    on_epoch_end(state)
        finally:
            self._close_group(group)
        return state

    def _open_group(self, state: TrainState):
        """None (one worker), a :class:`ProcessGroup` (Linux) or a thread pool."""
        if self.workers > 1 and processes_available():
            return ProcessGroup(self, state, self.workers)  # (it keeps the norms in its shared memory)
        self.keep_out_norms(state)
        if self.workers <= 1:
            return None
        return ThreadPoolExecutor(max_workers=max(2, self.workers))

    def keep_out_norms(self, state: TrainState, norms: np.ndarray | None = None) -> None:
        """CBOW: keep the norm of every output row in ``norms`` (a new array by default), for the
        kernel's partner norms (:func:`~embedcli.sgd.sgns.cbow_loss_grad`'s ``out_norms``: two row
        dot products per batch fewer); the apply updates the norms of the rows it writes
        (:func:`_bounded_write`), with the same arithmetic, so they are the bytes the kernel would
        compute. Only for ``state.w_out`` (this array: :meth:`out_norms_of`) and the engines of
        :meth:`_open_group`."""
        self._out_norms = None
        if self.objective != "cbow":
            return
        if norms is None:
            norms = np.empty(len(state.w_out), dtype=np.float32)
        for a in range(0, len(norms), 1 << 16):
            rows = state.w_out[a : a + (1 << 16)]
            norms[a : a + len(rows)] = dot_norms(rows)
        self._out_norms = (state.w_out, norms)

    def out_norms_of(self, W: np.ndarray) -> np.ndarray | None:
        """The kept row norms of ``W`` (:meth:`keep_out_norms`), or None."""
        known = self._out_norms
        return known[1] if known is not None and known[0] is W else None

    @staticmethod
    def _close_group(group) -> None:
        if isinstance(group, ProcessGroup):
            group.close()
        elif group is not None:
            group.shutdown(wait=True, cancel_futures=True)

    def _loop(self, state: TrainState, epoch: int, pool, callback, time_limit: float | None = None):
        """Train one epoch (or until ``time_limit`` seconds). Returns the mean loss per pair, pairs,
        lr, words and seconds.

        The loss is taken on a sample of the batches (:attr:`_Batch.loss`): the mean is theirs."""
        start = time.perf_counter()
        loss_sum = 0.0
        pairs = loss_pairs = 0
        last_lr = self.lr0
        words_done = 0
        rounds = self._rounds(epoch)
        last_report = 0.0
        while True:
            round_ = rounds.next()
            if not round_:
                words_done = self.corpus.n_words
                break
            if time_limit is not None and time.perf_counter() - start > time_limit:
                words_done = round_[0].words_before
                break
            if isinstance(pool, ProcessGroup):  # it makes the next round while its children compute
                results = pool.round(round_, prepare=rounds.prepare)
            elif hasattr(pool, "round"):  # a cluster (embedcli.cluster.train): compute and apply
                results = pool.round(round_)
            else:
                results = self.round_here(state, round_, pool)
            for batch, (loss, n) in zip(round_, results):
                pairs += n
                if batch.loss:
                    loss_sum += loss
                    loss_pairs += n
            if not math.isfinite(loss_sum):
                raise EmbedcliError("training diverged (loss is {loss}) in epoch {epoch}; try a lower {lr} (now {now:g})",
                                    "lr", loss=loss_sum, epoch=epoch + 1, now=self.lr0)
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
                    "loss": loss_sum / max(1, loss_pairs),
                    "words_per_sec": words_done / elapsed if elapsed > 0 else 0.0,
                })
        mean = loss_sum / loss_pairs if loss_pairs else 0.0
        return mean, pairs, last_lr, words_done, time.perf_counter() - start

    def calibrate(self, state: TrainState, seconds: float) -> tuple[int, float]:
        """Train a copy of ``state`` for about ``seconds``; return (corpus words done, seconds)."""
        tune_malloc_if_asked()
        copy = TrainState(state.w_in.copy(), state.w_out.copy(), frozen=state.frozen)
        group = self._open_group(copy)
        try:
            with np.errstate(over="ignore", invalid="ignore"):
                _, _, _, words, elapsed = self._loop(copy, 0, group, None, time_limit=seconds)
        finally:
            self._close_group(group)
        return words, elapsed

    def _run_epoch(self, state: TrainState, epoch: int, pool, callback) -> None:
        with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported below
            loss, pairs, last_lr, _, seconds = self._loop(state, epoch, pool, callback)
        if not np.isfinite(state.w_in).all() or not np.isfinite(state.w_out).all():
            raise EmbedcliError("training diverged (non-finite weights) in epoch {epoch}; try a lower {lr} (now {now:g})",
                                "lr", epoch=epoch + 1, now=self.lr0)
        entry = {
            "epoch": epoch + 1,
            "loss": loss,
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
