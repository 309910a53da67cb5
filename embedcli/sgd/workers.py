"""Worker processes for the trainer: a round's batches computed and applied in parallel.

The trainer (:mod:`embedcli.sgd.trainer`) cuts every epoch into rounds of a fixed number of
batches (``round_batches``); the batches of a round are computed against the same parameters
and then applied, row by row, in batch order. How many processes share that work changes
nothing in the result: this module only decides who computes which batch and who writes which
rows.

On Linux the round is spread over processes forked at the start of training, with both
matrices in one anonymous shared mapping (:class:`ProcessGroup`). Threads did not scale: a
batch is hundreds of small NumPy calls that keep handing the GIL back and forth, and
``np.add.at`` (the apply of small rounds) holds it throughout. Elsewhere (no ``fork``) the
trainer uses a thread pool for the computation and applies in this process; the arithmetic
and its order are the same.
"""

from __future__ import annotations

import errno
import math
import mmap
import os
import select
import signal
import sys
import time
import traceback
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from ..errors import EmbedcliError
from ..heap import before_fork

if TYPE_CHECKING:  # pragma: no cover
    from .trainer import Trainer, TrainState, _Batch

SPIN_SECONDS = 0.002  # how long a process polls its pipe before sleeping on it


def processes_available() -> bool:
    """Worker processes need ``fork`` (shared anonymous memory is inherited); Linux only."""
    return sys.platform.startswith("linux") and hasattr(os, "fork")


TASK_LIMIT = 2048  # at most this many tasks a phase (2 bytes each: 4 KB, one atomic pipe write)


def post_tasks(fd: int, tasks: list[int]) -> None:
    """Put tasks (numbers below ``TASK_LIMIT``) into the group's task pipe, in the order they
    should be taken, in one write (so a reader never sees part of one)."""
    os.write(fd, np.asarray(tasks, dtype="<u2").tobytes())


def take_tasks(fd: int):
    """The tasks of the current phase that no other process has taken, one at a time, until the
    pipe is empty. Empty means all are taken, or (compute tasks, which the parent posts one by
    one as it fills the slots) the others are not posted yet: the parent, having posted them
    all before it takes any, computes those; a child that found none sleeps until the apply
    phase (whoever finishes the last compute task wakes everybody).

    Every process reads the same non-blocking pipe; a read of two bytes is one task, and the
    kernel gives each task to exactly one reader. So a process that runs more (a core shared
    with other work, less to do besides) takes more, and a process that is slow takes fewer."""
    while True:
        try:
            got = os.read(fd, 2)
        except BlockingIOError:
            return
        if len(got) < 2:  # b"": the parent is gone
            return
        yield int.from_bytes(got, "little")


def last_token(fd: int) -> bool:
    """Take one token from a countdown pipe; True when there was none left."""
    try:
        return not os.read(fd, 1)
    except BlockingIOError:
        return True


def wake(fd: int) -> None:
    """Write a wake-up byte into a non-blocking inbox; a full inbox has enough of them."""
    try:
        os.write(fd, b"w")
    except BlockingIOError:
        pass


def drain(fd: int) -> None:
    """Read a non-blocking pipe empty."""
    try:
        while os.read(fd, 65536):
            pass
    except BlockingIOError:
        pass


def wait_bytes(fd: int, watch: list[int]) -> bytes | None:
    """The bytes waiting in the non-blocking pipe ``fd`` (all of them), once there are some;
    None when one of the pipes in ``watch`` has something to read first (a message, or its other
    end closed: the other process is gone).

    The processes wait for each other a few times per round (a few milliseconds of work);
    waking a process that sleeps in ``select`` costs tens of microseconds each time, so the
    pipe is polled first for up to ``SPIN_SECONDS`` (the other process is busy on another core),
    then slept on. The poll yields the core at each turn, so on a busy machine it gives way to
    other processes. ``watch`` is looked at only when sleeping."""
    deadline = time.perf_counter() + SPIN_SECONDS
    while True:
        try:
            return os.read(fd, 4096) or None
        except BlockingIOError:
            os.sched_yield()
            if time.perf_counter() > deadline:
                ready, _, _ = select.select([fd, *watch], [], [])
                if fd not in ready:
                    return None
                deadline = math.inf


def _worker_failed() -> EmbedcliError:
    """The error when a child process failed or was killed (it wrote its traceback to stderr)."""
    return EmbedcliError("a training worker process failed (see the message above); try {workers} 1", "workers")


def apply_shares(workers: int, in_entries: int, out_entries: int) -> list[list[tuple[str, str, int, tuple[int, int]]]]:
    """Who applies what: per process, ``(matrix, side, count index, (rank, parts))`` items.

    Every row of both matrices is written by exactly one process. One process applies both
    matrices; with more, the input and output matrices go to separate processes (the input
    side to about ``in_entries / (in_entries + out_entries)`` of them), so that with two
    processes neither has to pick its rows out of every slot, and within a side the rows are
    shared out by ``id % parts``. Only who does the additions changes, never their order."""
    if workers <= 1:
        return [[("w_in", "in", 0, (0, 1)), ("w_out", "out", 1, (0, 1))]]
    n_in = min(workers - 1, max(1, round(workers * in_entries / max(1, in_entries + out_entries))))
    n_out = workers - n_in
    apart = max(in_entries / n_in, out_entries / n_out)  # the busiest process's entries
    if in_entries / workers + out_entries < apart:
        # far more input entries than output ones (subwords: a word's n-gram rows; with two
        # processes one would apply nearly everything): every process takes a share of the input
        # rows and the last one also applies the whole output matrix
        shares = [[("w_in", "in", 0, (r, workers))] for r in range(workers)]
        shares[-1].append(("w_out", "out", 1, (0, 1)))
        return shares
    return ([[("w_in", "in", 0, (r, n_in))] for r in range(n_in)]
            + [[("w_out", "out", 1, (r, n_out))] for r in range(n_out)])


def _put(slot: np.ndarray, x: np.ndarray) -> None:
    """``slot[:len(x)] = x``, unless ``x`` already is that part of the slot (written in place)."""
    if x.__array_interface__["data"][0] != slot.__array_interface__["data"][0]:
        slot[: len(x)] = x


class Arena:
    """NumPy arrays carved out of one anonymous shared mapping (inherited by forked children)."""

    def __init__(self, specs: dict[str, tuple[tuple[int, ...], Any]]):
        offsets = {}
        size = 0
        for name, (shape, dtype) in specs.items():
            size = -(-size // 64) * 64
            offsets[name] = size
            size += math.prod(int(n) for n in shape) * np.dtype(dtype).itemsize  # Python ints: no overflow
        try:
            self.mm = mmap.mmap(-1, max(size, 1))
        except (OSError, OverflowError) as exc:  # sizes beyond the machine (--negative, --window in billions)
            if isinstance(exc, OSError) and exc.errno != errno.ENOMEM:
                raise
            raise MemoryError(f"Unable to allocate {size / 2**30:,.1f} GiB of memory shared by the worker "
                              f"processes") from None
        self.arrays = {
            name: np.frombuffer(self.mm, dtype=dtype, count=math.prod(int(n) for n in shape),
                                offset=offsets[name]).reshape(shape)
            for name, (shape, dtype) in specs.items()
        }

    def __getitem__(self, name: str) -> np.ndarray:
        return self.arrays[name]


class Pacer:
    """Whether the next round runs on the whole process group or in this process alone.

    A round of the defaults is a few milliseconds of work: its batches, shared out, and its
    rows, applied by their owners, cost two synchronisations and move every step and every
    updated row between cores. On a machine whose cores are busy with other work the
    processes wait for each other at every round and one process alone is faster, in wall
    time and in CPU; on idle cores the group is faster. So the rounds are timed (wall clock,
    start to start) in windows of ``WINDOW`` rounds, the faster way is kept, and the other is
    tried again for a short window of ``PROBE`` rounds after every ``PROBE_EVERY`` windows. Only
    who computes changes: the bytes are the same either way.

    A probe runs the slower way, so it costs: on an idle machine a CBOW round of kjv took 5.7 ms
    alone against 3.3-3.6 ms on two processes, and probes of a whole window (32 rounds) were 2 of
    the 19 windows of a 5-epoch run, about 5% of its time. Probes of 8 rounds cost a quarter of
    that and still see a change of load (the way in use is timed all the time: when it slows
    down, the other is taken at the end of the window).

    A window's figure is the mean of its rounds less the ``TRIM`` slowest: the rounds that make
    a new block or span of the corpus's batches (several milliseconds, whichever way) and the
    group's first rounds (its processes touch their buffers for the first time) would otherwise
    decide. The first window of a run holds both: on both.txt (CBOW, 2 workers) its rounds
    averaged 7.5 ms, 6.65 ms without the 4 slowest (21, 12.5, 9.7, 9.6 ms), and the decision it
    led to held for the next 15 windows (2-3 epochs).
    """

    WINDOW = 32
    TRIM = 4  # the slowest rounds of a window left out of its mean (of a probe's: TRIM * PROBE // WINDOW)
    PROBE = 8  # rounds of a probe of the other way
    PROBE_EVERY = 16
    LONGEST = 1.0  # seconds: an interval this long is an epoch's end or a checkpoint, not a round

    def __init__(self):
        self.mode = False  # True: this process alone
        self.seconds = {False: math.inf, True: math.inf}  # per round, the last window of each way
        self.last = None
        self.n = 0
        self.times: list[float] = []
        self.windows = 0
        self.length = self.WINDOW  # rounds of the current window (PROBE while probing)

    def solo(self, now: float) -> bool:
        """Record the round that just ended (it started at the previous call) and say how to run
        the next one: True for this process alone."""
        known = min(self.seconds.values())
        longest = min(self.LONGEST, 20 * known) if math.isfinite(known) else self.LONGEST
        if self.last is not None and now - self.last < longest:  # else an epoch's end, a checkpoint
            self.n += 1
            self.times.append(now - self.last)
            if self.n == self.length:
                kept = sorted(self.times)[: self.length - self.TRIM * self.length // self.WINDOW]
                self.seconds[self.mode] = sum(kept) / len(kept)
                self.windows += 1
                self.n, self.times = 0, []
                best = min((False, True), key=lambda m: self.seconds[m])
                probe = self.windows % self.PROBE_EVERY == 0 or math.isinf(self.seconds[not best])
                self.mode = (not best) if probe else best
                self.length = self.PROBE if probe else self.WINDOW
        self.last = now
        return self.mode


class ProcessGroup:
    """``workers`` processes (this one and ``workers - 1`` forked children) sharing both matrices.

    A round of ``R`` batches has ``R`` shared slots: the parent copies the batches into them,
    and the steps of batch ``k`` go into slot ``k``. The work of a round is a list of tasks that
    any process may take (:func:`take_tasks`): first one per batch (compute it), then one per
    apply share (:func:`apply_shares`: apply every slot, in batch order, to one matrix's rows
    ``id % parts == rank``, with the per-row step normalisation of the whole round,
    :meth:`Trainer.apply_rows`). Each row is written by one task, in batch order and entry
    order: exactly the additions of the one-process apply, so the bytes depend on the seed and
    the settings only, not on ``workers`` nor on who took which task.

    Whoever finishes a phase's last task (a countdown pipe tells) starts the next phase: the
    last compute task posts the apply tasks and wakes the others, the last apply task tells the
    parent the round is done. So nobody waits for a coordinator: while the parent makes the next
    round's batches (now and then a new block or span of the corpus: several milliseconds), the
    children take its share of the computing, and of the applying if it takes that long. A
    process that gets less of the machine (a core shared with other work) takes fewer tasks.
    When the parent alone has been faster lately (a machine busy with other work), it runs the
    rounds by itself (:class:`Pacer`) and the children wait.

    The children ignore SIGINT (the parent handles Ctrl-C), exit when the parent closes their
    pipe (or is gone), and always leave with ``os._exit`` (never running the parent's cleanup code).
    """

    def __init__(self, trainer: "Trainer", state: "TrainState", workers: int):
        from .trainer import PLAN_MIN, scatter_width

        if workers > TASK_LIMIT:  # the apply's tasks: one per process
            raise EmbedcliError("{workers} must be at most {limit} (got {value})", "workers", limit=TASK_LIMIT,
                                value=workers)
        self.trainer = trainer
        self.P = P = workers
        self.R = R = trainer.round_batches
        d = state.w_in.shape[1]
        K = 2 * trainer.window + 1
        self.L_max = L_max = trainer.batch_words + 2 * trainer.window
        self.neg_max = neg_max = trainer.neg_rows_for(L_max)
        O_max = L_max + neg_max
        # input rows of a batch: its tokens, or with subwords their distinct word and n-gram rows
        I_max = L_max if trainer.subwords is None else min(L_max * trainer.subwords.max_rows, state.w_in.shape[0])
        # the split of the apply follows the entries a batch brings on average (a token's rows
        # with subwords), not the buffers' bound (the longest word's rows for every token)
        in_entries = L_max * trainer.input_rows_per_token
        self.shares = apply_shares(P, in_entries, O_max)
        # the output side's entries (a batch's tokens, then its negatives) are known before the
        # batches are computed: when one task applies the whole output side, the row index of
        # its apply is made by a task of the compute phase (taken last: it fills the gap while
        # the last batches are computed) instead of at the start of the apply (_index_out)
        self.indexed = [item[:2] for share in self.shares for item in share if item[1] == "out"] == [("w_out", "out")] \
            and all(item[3] == (0, 1) for share in self.shares for item in share if item[1] == "out")
        # the apply's tasks, largest first: whoever comes later takes a smaller one
        self.apply_order = sorted(range(len(self.shares)), key=lambda i: -sum(
            (in_entries if side == "in" else O_max) / parts for _, side, _, (_, parts) in self.shares[i]))
        # the matrices get their own mapping: they stay the state's arrays after training
        # (no copy back, so the private originals can be freed), the slots are dropped
        weights = Arena({"w_in": (state.w_in.shape, np.float32), "w_out": (state.w_out.shape, np.float32),
                         "out_norms": ((len(state.w_out),), np.float32)})
        weights["w_in"][:] = state.w_in
        weights["w_out"][:] = state.w_out
        state.w_in = weights["w_in"]
        state.w_out = weights["w_out"]
        trainer.keep_out_norms(state, weights["out_norms"])  # (CBOW) shared: the apply writes them
        # slot k of each array is its row k: a round's steps lie one after another in memory, so
        # that the apply takes them as one array (Trainer.apply_rows) when the batches are full
        specs: dict[str, tuple[tuple[int, ...], Any]] = {"n_slots": ((1,), np.int64)}
        for name, shape, dtype in (
            ("ids", (L_max,), np.int32),
            ("mask", (L_max, K), np.bool_),
            ("neg", (neg_max,), np.int32),
            ("meta", (5,), np.float64),  # L, n_groups, lr, whether to take the loss | loss
            ("in_ids", (I_max,), np.int32),
            ("dH", (I_max, d), np.float32),
            ("c_in", (I_max,), np.float32),
            ("out_ids", (O_max,), np.int32),
            ("dOut", (O_max, d), np.float32),
            ("c_out", (O_max,), np.float32),
            ("counts", (3,), np.int64),  # n_in, n_out, pairs
        ):
            specs[name] = ((R,) + shape, dtype)
        # the output side's index, made ahead (positions in the round's slots): a row plan for
        # rounds of at least PLAN_MIN entries, else a row_index and its scatter indices
        self.plan_out = self.indexed and R * O_max >= PLAN_MIN
        if self.plan_out:
            specs.update(ix_rows=((R * O_max,), np.int32), ix_src=((2 * R * O_max,), np.intp),
                         ix_pads=((2 * R * O_max,), np.intp), ix_classes=((64,), np.int64), ix_n=((4,), np.int64))
        elif self.indexed:
            specs.update(ix_rows=((R * O_max,), np.int32), ix_first=((R * O_max,), np.intp),
                         ix_later=((R * O_max,), np.intp), ix_at=((R * O_max,), np.intp), ix_n=((2,), np.int64),
                         ix_flat=((R * O_max * scatter_width(d),), np.intp))  # (scatter_index)
        self.arena = Arena(specs)
        self.arena.arrays.update(w_in=state.w_in, w_out=state.w_out)
        for name in [n for n in self.arena.arrays if n not in ("n_slots", "w_in", "w_out") and not n.startswith("ix_")]:
            self.arena.arrays.update({f"{name}{k}": self.arena[name][k] for k in range(R)})
        self.state = state
        self.pacer = Pacer()
        self.children: list[tuple[int, int, int]] = []  # (pid, fd to it: closed = stop, fd from it: failed)
        # pipes every process holds (made before the forks): the compute and the apply tasks
        # (take_tasks), their countdowns (a token for every task but one: the process that finds
        # none left has finished the phase's last task) and one inbox per rank for wake-ups
        self.fds: list[int] = []
        self.tasks_c, self.tasks_a, self.count_c, self.count_a = (self._pipe() for _ in range(4))
        self.inbox = [self._pipe() for _ in range(P)]
        for _, w in self.inbox[1:]:  # a wake-up into a full inbox is not needed (see wake)
            os.set_blocking(w, False)
        try:
            with before_fork():  # the children share this process' pages: keep copies of them few
                for rank in range(1, P):
                    self._spawn(rank)
        except BaseException:
            self.close()
            raise

    def _pipe(self) -> tuple[int, int]:
        r, w = os.pipe()
        os.set_blocking(r, False)
        self.fds += [r, w]
        return r, w

    def _spawn(self, rank: int) -> None:
        to_child_r, to_child_w = os.pipe()
        to_parent_r, to_parent_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # child
            code = 1
            try:
                os.close(to_child_w)
                os.close(to_parent_r)
                for _, w, r in self.children:  # the earlier children's pipes are not ours
                    os.close(w)
                    os.close(r)
                for fd in (self.count_c[1], self.count_a[1], self.tasks_c[1]):  # the parent's to write
                    os.close(fd)
                for other, (r, _) in enumerate(self.inbox):
                    if other != rank:
                        os.close(r)
                try:
                    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
                    signal.signal(signal.SIGTERM, signal.SIG_DFL)
                except ValueError:  # pragma: no cover - not the main thread
                    pass
                self._serve(rank, to_child_r)
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

    # -- every process ----------------------------------------------------------------------
    def _work(self, rank: int, batches: list["_Batch"] | None = None) -> bool:
        """Run the tasks there are now: compute (the parent from its own ``batches``), then
        apply. Whoever finishes the last compute task posts the apply tasks and wakes the
        others; True when this process finished the round's last apply task."""
        for task in take_tasks(self.tasks_c[0]):
            n = int(self.arena["n_slots"][0])  # read after the task: its round's
            tasks = self._batch_tasks(n)
            if task == tasks:
                self._index_out(n)
            for k in self._task_batches(task, n) if task < tasks else ():
                if batches is None:
                    self._compute_slot(k)
                else:
                    self._store(k, self.trainer.compute(self.state, batches[k], out=self._out(k)))
            if last_token(self.count_c[0]):  # every batch computed: the apply can begin
                post_tasks(self.tasks_a[1], self.apply_order)
                for other, (_, w) in enumerate(self.inbox):
                    if other != rank:
                        wake(w)
        for share in take_tasks(self.tasks_a[0]):
            self._apply_part(share)
            if last_token(self.count_a[0]):  # the round is applied
                if rank:
                    os.write(self.inbox[0][1], b"d")
                return True
        return False

    # -- child side -----------------------------------------------------------------------
    def _serve(self, rank: int, parent: int) -> None:
        """Take tasks whenever there are some; leave when the parent closes its pipe."""
        with np.errstate(over="ignore", invalid="ignore"):
            while True:
                self._work(rank)
                if wait_bytes(self.inbox[rank][0], [parent]) is None:
                    return

    def _compute_slot(self, k: int) -> None:
        from .trainer import _Batch

        a = self.arena
        meta = a[f"meta{k}"]
        L, ng = int(meta[0]), int(meta[1])
        n_neg = self.trainer.n_neg
        batch = _Batch(a[f"ids{k}"][:L], a[f"mask{k}"][:L], a[f"neg{k}"][: ng * n_neg].reshape(ng, n_neg),
                       float(meta[2]), 0, bool(meta[3]))
        self._store(k, self.trainer.compute(self.state, batch, out=self._out(k)))

    def _out(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Slot ``k``'s step buffers, for :meth:`Trainer.compute` to write the steps into."""
        return self.arena[f"dH{k}"], self.arena[f"dOut{k}"]

    def _store(self, k: int, result) -> None:
        a = self.arena
        loss, pairs, dH, out_ids, dOut, in_ids, c_in, c_out = result
        n_in, n_out = len(in_ids), len(out_ids)
        a[f"in_ids{k}"][:n_in] = in_ids
        _put(a[f"dH{k}"], dH)
        a[f"c_in{k}"][:n_in] = c_in
        a[f"out_ids{k}"][:n_out] = out_ids
        _put(a[f"dOut{k}"], dOut)
        a[f"c_out{k}"][:n_out] = c_out
        a[f"counts{k}"][:] = (n_in, n_out, pairs)
        a[f"meta{k}"][4] = loss

    @staticmethod
    def _task_batches(task: int, n: int) -> range:
        """The batches of compute task ``task`` in a round of ``n``: one each (at most
        ``TASK_LIMIT`` tasks: consecutive batches share a task beyond that)."""
        size = -(-n // TASK_LIMIT)
        return range(task * size, min(n, (task + 1) * size))

    @staticmethod
    def _batch_tasks(n: int) -> int:
        """The compute tasks of a round of ``n`` batches (the output side's index task follows them)."""
        return -(-n // len(ProcessGroup._task_batches(0, n)))

    def _index_out(self, n: int) -> None:
        """The output side's :func:`~embedcli.sgd.trainer.row_plan` (or, for small rounds,
        :func:`~embedcli.sgd.trainer.row_index`) for the round, from the slots' tokens and
        negatives, into the arena; positions counted in the slots (entry ``i`` of slot ``k`` is
        ``k * O_max + i``, the rows of ``dOut`` and ``c_out``)."""
        from .trainer import row_index, row_plan, scatter_index

        a = self.arena
        height = a["dOut"].shape[1]
        L = a["meta"][:n, 0].astype(np.intp)
        lengths = L + a["meta"][:n, 1].astype(np.intp) * self.trainer.n_neg
        ids = np.concatenate([x for k in range(n) for x in (a[f"ids{k}"][: L[k]], a[f"neg{k}"][: lengths[k] - L[k]])])
        at = None
        if not (lengths == height).all():  # entry positions -> slot positions
            at = np.concatenate([np.arange(k * height, k * height + m) for k, m in enumerate(lengths.tolist())])
        if not self.plan_out:
            rows, first, later, at_later = row_index(ids, self.state.w_out.shape[0])
            if at is not None:
                first, later = at[first], at[later]
            a["ix_rows"][: len(rows)] = rows
            a["ix_first"][: len(rows)] = first
            a["ix_later"][: len(later)] = later
            a["ix_at"][: len(later)] = at_later
            scatter_index(at_later, len(rows), a["dOut"].shape[2], out=a["ix_flat"])
            a["ix_n"][:] = (len(rows), len(later))
            return
        plan = row_plan(ids, self.state.w_out.shape[0])
        src = plan.src if at is None else at[plan.src]
        sizes = (len(plan.rows), len(src), len(plan.pads), len(plan.classes))
        a["ix_rows"][: sizes[0]] = plan.rows
        a["ix_src"][: sizes[1]] = src
        a["ix_pads"][: sizes[2]] = plan.pads
        a["ix_classes"][: sizes[3]] = plan.classes
        a["ix_n"][:] = sizes

    def _apply_part(self, share: int) -> None:
        """Apply every slot, in batch order, to the rows of apply share ``share`` (see
        :func:`apply_shares`); whichever process takes the share, it writes the same rows."""
        a = self.arena
        n = int(a["n_slots"][0])
        for name, side, n_at, part in self.shares[share]:
            if side == "out" and self.indexed and not self.plan_out:  # the round's index is there (_index_out)
                from .trainer import apply_indexed, scatter_width

                m, n_later = (int(x) for x in a["ix_n"])
                d = a["dOut"].shape[2]
                apply_indexed(a[name], a["ix_rows"][:m], a["ix_first"][:m], a["ix_later"][:n_later],
                              a["ix_at"][:n_later], a["dOut"][:n].reshape(-1, d), a["c_out"][:n].reshape(-1),
                              self.trainer.out_norms_of(a[name]), a["ix_flat"][: n_later * scatter_width(d)])
                continue
            if side == "out" and self.indexed:  # the round's plan is there (_index_out)
                from .trainer import RowPlan, apply_plan

                rows, slots, pads, classes = (int(x) for x in a["ix_n"])
                plan = RowPlan(a["ix_rows"][:rows], a["ix_src"][:slots], a["ix_pads"][:pads], a["ix_classes"][:classes])
                d = a["dOut"].shape[2]
                apply_plan(a[name], plan, a["dOut"][:n].reshape(-1, d), a["c_out"][:n].reshape(-1),
                           self.trainer.out_norms_of(a[name]))
                continue
            G = "dH" if side == "in" else "dOut"
            sizes = a["counts"][:n, n_at]
            per_token = side == "in" and self.trainer.subwords is not None  # steps per token: batch by batch
            if (sizes == a[G].shape[1]).all() and not per_token:  # full slots: the round's entries are one array each
                ids, grads, curv = (a[key][:n].reshape((-1,) + a[key].shape[2:]) for key in (f"{side}_ids", G, f"c_{side}"))
            else:
                ids = [a[f"{side}_ids{k}"][:m] for k, m in enumerate(sizes.tolist())]
                grads = [a[f"{G}{k}"][:m] for k, m in enumerate(sizes.tolist())]
                curv = [a[f"c_{side}{k}"][:m] for k, m in enumerate(sizes.tolist())]
            self.trainer.apply_side(side, a[name], ids, grads, curv, part=part, frozen=self.state.frozen)

    # -- parent side ----------------------------------------------------------------------
    def round(self, batches: list["_Batch"], prepare: Callable[[], Any] | None = None) -> list[tuple[float, int]]:
        """Compute and apply one round; returns (loss, pairs) per batch, in batch order.

        The whole group, or this process alone when that has been faster lately (see
        :class:`Pacer`); the arithmetic and its order are the same either way. ``prepare``
        makes the next round's batches: called once the children have work."""
        reports = [r for _, _, r in self.children]
        if select.select(reports, [], [], 0)[0]:  # a child failed (or was killed) since the last round
            raise _worker_failed()
        if self.pacer.solo(time.perf_counter()):
            return self.trainer.round_here(self.state, batches)
        drain(self.inbox[0][0])  # wake-ups of past rounds (this process ended them itself)
        a = self.arena
        n = len(batches)
        a["n_slots"][0] = n
        tasks = self._batch_tasks(n)
        os.write(self.count_c[1], b"t" * (tasks + self.indexed - 1))
        os.write(self.count_a[1], b"t" * (len(self.apply_order) - 1))
        # every batch in its slot (any process may take it); each task is posted as soon as its
        # batches are there, and a child woken for it: the children start while later slots fill
        for task in range(tasks):
            for k in self._task_batches(task, n):
                b = batches[k]
                L = len(b.ids)
                a[f"ids{k}"][:L] = b.ids
                a[f"mask{k}"][:L] = b.mask
                a[f"neg{k}"][: b.neg.size] = b.neg.reshape(-1)
                a[f"meta{k}"][:4] = (L, b.neg.shape[0], b.lr, b.loss)
            post_tasks(self.tasks_c[1], [task])
            if task + 1 < len(self.inbox):
                wake(self.inbox[task + 1][1])
        if self.indexed:  # the output side's index (every slot's ids are there now)
            post_tasks(self.tasks_c[1], [tasks])
        if prepare is not None:  # while the children compute (and apply, when this takes long)
            prepare()
        while not self._work(0, batches):
            got = wait_bytes(self.inbox[0][0], reports)
            if got is None:
                raise _worker_failed()
            if b"d" in got:  # a child finished the last apply task
                break
        return [(float(a[f"meta{k}"][4]), int(a[f"counts{k}"][2])) for k in range(n)]

    def close(self) -> None:
        """Stop the children (the state keeps the matrices; only this process maps them now)."""
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
        for fd in self.fds:
            os.close(fd)
        self.fds = []
        self.arena = None  # the slots; state.w_in / w_out keep their (now private) mapping
