"""Worker processes for the trainer: a round's batches computed and applied in parallel.

The trainer (:mod:`embedcli.sgd.trainer`) cuts every epoch into rounds of a fixed number of
batches (``round_batches``); the batches of a round are computed against the same parameters
and then applied, row by row, in batch order. How many processes share that work changes
nothing in the result: this module only decides who computes which batch and who writes which
rows.

On Linux the round is spread over processes forked at the start of training, with both
matrices in one anonymous shared mapping (:class:`ProcessGroup`). Threads did not scale: a
batch is hundreds of small NumPy calls that keep handing the GIL back and forth, and
``np.add.at`` holds it throughout. Elsewhere (no ``fork``) the trainer uses a thread pool for
the computation and applies in this process; the arithmetic and its order are the same.
"""

from __future__ import annotations

import math
import mmap
import os
import select
import signal
import sys
import time
import traceback
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import EmbedcliError
from ..heap import before_fork

if TYPE_CHECKING:  # pragma: no cover
    from .trainer import Trainer, TrainState, _Batch

SPIN_SECONDS = 0.002  # how long a process polls its pipe before sleeping on it


def processes_available() -> bool:
    """Worker processes need ``fork`` (shared anonymous memory is inherited); Linux only."""
    return sys.platform.startswith("linux") and hasattr(os, "fork")


def read_byte(fd: int) -> bytes:
    """One byte from a non-blocking pipe: poll for up to ``SPIN_SECONDS``, then sleep on it.

    The processes wait for each other twice per round (a few milliseconds of work); waking a
    process that sleeps in ``read`` costs tens of microseconds each time, so a short poll (the
    other process is busy on another core) is cheaper. The poll yields the core at each turn,
    so on a busy machine it gives way to other processes.
    """
    deadline = time.perf_counter() + SPIN_SECONDS
    while True:
        try:
            return os.read(fd, 1)
        except BlockingIOError:
            os.sched_yield()
            if time.perf_counter() > deadline:
                select.select([fd], [], [])
                deadline = math.inf


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
            size += int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
        self.mm = mmap.mmap(-1, max(size, 1))
        self.arrays = {
            name: np.frombuffer(self.mm, dtype=dtype, count=int(np.prod(shape, dtype=np.int64)),
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
    tried again for one window in every ``PROBE_EVERY``. Only who computes changes: the bytes
    are the same either way.
    """

    WINDOW = 32
    PROBE_EVERY = 16
    LONGEST = 1.0  # seconds: an interval this long is an epoch's end or a checkpoint, not a round

    def __init__(self):
        self.mode = False  # True: this process alone
        self.seconds = {False: math.inf, True: math.inf}  # per round, the last window of each way
        self.last = None
        self.n = 0
        self.total = 0.0
        self.windows = 0

    def solo(self, now: float) -> bool:
        """Record the round that just ended (it started at the previous call) and say how to run
        the next one: True for this process alone."""
        known = min(self.seconds.values())
        longest = min(self.LONGEST, 20 * known) if math.isfinite(known) else self.LONGEST
        if self.last is not None and now - self.last < longest:  # else an epoch's end, a checkpoint
            self.n += 1
            self.total += now - self.last
            if self.n == self.WINDOW:
                self.seconds[self.mode] = self.total / self.n
                self.windows += 1
                self.n, self.total = 0, 0.0
                best = min((False, True), key=lambda m: self.seconds[m])
                probe = self.windows % self.PROBE_EVERY == 0 or math.isinf(self.seconds[not best])
                self.mode = (not best) if probe else best
        self.last = now
        return self.mode


class ProcessGroup:
    """``workers`` processes (this one and ``workers - 1`` forked children) sharing both matrices.

    A round of ``R`` batches has ``R`` shared slots. Batch ``k`` is computed by process
    ``k % workers`` (the parent copies the children's inputs into their slots first), and its
    scaled-free gradients go into slot ``k``. Then every process applies all slots, in batch
    order, to the rows it owns (:func:`apply_shares`: one matrix's rows ``id % parts == rank``), with the
    per-row step normalisation of the whole round (:meth:`Trainer.apply_rows`). Each row is
    written by one process, in batch order and entry order: exactly the additions of the
    one-process apply, so the bytes depend on the seed and the settings only, not on
    ``workers``. Two pipe round trips per round synchronise the processes; the parent prepares
    the next round's batches while the children are still applying. When the parent alone has
    been faster lately (a machine busy with other work), it runs the rounds by itself
    (:class:`Pacer`) and the children wait.

    The children ignore SIGINT (the parent handles Ctrl-C), exit when their pipe closes, and
    always leave with ``os._exit`` (never running the parent's cleanup code).
    """

    def __init__(self, trainer: "Trainer", state: "TrainState", workers: int):
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
        self.shares = apply_shares(P, L_max * trainer.input_rows_per_token, O_max)
        # the matrices get their own mapping: they stay the state's arrays after training
        # (no copy back, so the private originals can be freed), the slots are dropped
        weights = Arena({"w_in": (state.w_in.shape, np.float32), "w_out": (state.w_out.shape, np.float32)})
        weights["w_in"][:] = state.w_in
        weights["w_out"][:] = state.w_out
        state.w_in = weights["w_in"]
        state.w_out = weights["w_out"]
        # slot k of each array is its row k: a round's steps lie one after another in memory, so
        # that the apply takes them as one array (Trainer.apply_rows) when the batches are full
        specs: dict[str, tuple[tuple[int, ...], Any]] = {"n_slots": ((1,), np.int64)}
        for name, shape, dtype in (
            ("ids", (L_max,), np.int32),
            ("mask", (L_max, K), np.bool_),
            ("neg", (neg_max,), np.int32),
            ("meta", (4,), np.float64),  # L, n_groups, lr | loss
            ("in_ids", (I_max,), np.int32),
            ("dH", (I_max, d), np.float32),
            ("c_in", (I_max,), np.float32),
            ("out_ids", (O_max,), np.int32),
            ("dOut", (O_max, d), np.float32),
            ("c_out", (O_max,), np.float32),
            ("counts", (3,), np.int64),  # n_in, n_out, pairs
        ):
            specs[name] = ((R,) + shape, dtype)
        self.arena = Arena(specs)
        self.arena.arrays.update(w_in=state.w_in, w_out=state.w_out)
        for name in [n for n in self.arena.arrays if n not in ("n_slots", "w_in", "w_out")]:
            self.arena.arrays.update({f"{name}{k}": self.arena[name][k] for k in range(R)})
        self.state = state
        self.pending = False
        self.pacer = Pacer()
        self.children: list[tuple[int, int, int]] = []  # (pid, write fd, read fd)
        try:
            with before_fork():  # the children share this process' pages: keep copies of them few
                for rank in range(1, P):
                    self._spawn(rank)
        except BaseException:
            self.close()
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
                cmd = read_byte(r)
                if cmd == b"c":
                    for k in range(rank, int(self.arena["n_slots"][0]), self.P):
                        self._compute_slot(k)
                elif cmd == b"a":
                    self._apply_part(rank)
                else:  # b"" (parent gone or closing) or b"q"
                    return
                try:
                    os.write(w, b"d")
                except BrokenPipeError:  # the parent stopped (Ctrl-C, an error): nothing to report
                    return

    def _compute_slot(self, k: int) -> None:
        from .trainer import _Batch

        a = self.arena
        meta = a[f"meta{k}"]
        L, ng = int(meta[0]), int(meta[1])
        n_neg = self.trainer.n_neg
        batch = _Batch(a[f"ids{k}"][:L], a[f"mask{k}"][:L], a[f"neg{k}"][: ng * n_neg].reshape(ng, n_neg),
                       float(meta[2]), 0)
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
        a[f"meta{k}"][3] = loss

    def _apply_part(self, rank: int) -> None:
        """Apply every slot, in batch order, to this process's rows (see :meth:`apply_shares`)."""
        a = self.arena
        n = int(a["n_slots"][0])
        for name, side, n_at, part in self.shares[rank]:
            G = "dH" if side == "in" else "dOut"
            sizes = a["counts"][:n, n_at]
            if (sizes == a[G].shape[1]).all():  # full slots: the round's entries are one array each
                ids, grads, curv = (a[key][:n].reshape((-1,) + a[key].shape[2:]) for key in (f"{side}_ids", G, f"c_{side}"))
            else:
                ids = [a[f"{side}_ids{k}"][:m] for k, m in enumerate(sizes.tolist())]
                grads = [a[f"{G}{k}"][:m] for k, m in enumerate(sizes.tolist())]
                curv = [a[f"c_{side}{k}"][:m] for k, m in enumerate(sizes.tolist())]
            self.trainer.apply_rows(a[name], ids, grads, curv, part=part,
                                    distinct=side == "in" and self.trainer.subwords is not None)

    # -- parent side ----------------------------------------------------------------------
    def _signal_all(self, cmd: bytes) -> None:
        for _, w, _ in self.children:
            os.write(w, cmd)

    def _wait_all(self) -> None:
        for _, _, r in self.children:
            reply = read_byte(r)
            if reply != b"d":
                raise EmbedcliError("a training worker process failed (see the message above); try {workers} 1", "workers")

    def round(self, batches: list["_Batch"]) -> list[tuple[float, int]]:
        """Compute and apply one round; returns (loss, pairs) per batch, in batch order.

        The whole group, or this process alone when that has been faster lately (see
        :class:`Pacer`); the arithmetic and its order are the same either way."""
        self.sync()
        if self.pacer.solo(time.perf_counter()):
            return self.trainer.round_here(self.state, batches)
        a = self.arena
        for k, b in enumerate(batches):
            if k % self.P == 0:
                continue  # the parent computes these from its own arrays
            L = len(b.ids)
            a[f"ids{k}"][:L] = b.ids
            a[f"mask{k}"][:L] = b.mask
            a[f"neg{k}"][: b.neg.size] = b.neg.reshape(-1)
            a[f"meta{k}"][:3] = (L, b.neg.shape[0], b.lr)
        a["n_slots"][0] = len(batches)
        self._signal_all(b"c")
        for k in range(0, len(batches), self.P):
            self._store(k, self.trainer.compute(self.state, batches[k], out=self._out(k)))
        self._wait_all()
        results = [(float(a[f"meta{k}"][3]), int(a[f"counts{k}"][2])) for k in range(len(batches))]
        self._signal_all(b"a")
        self._apply_part(0)
        self.pending = True  # the children are still applying: sync() before reading the weights
        return results

    def sync(self) -> None:
        """Wait until the children have applied the last round."""
        if self.pending:
            self.pending = False
            self._wait_all()

    def close(self) -> None:
        """Stop the children (the state keeps the matrices; only this process maps them now)."""
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
