"""``embedcli train --dask``: the single-machine rounds, computed on a Dask cluster.

Design (measured in ``docs/scaling.md``). The single-machine trainer
(:class:`embedcli.sgd.trainer.Trainer`) cuts every epoch into rounds of ``round_batches``
batches computed against the same parameters; their steps are then added up row by row under
the per-row trust region (:meth:`Trainer.apply_rows`). Which process computes which batch
changes nothing. So the cluster runs exactly those rounds: the client prepares a round's
batches (from ``(seed, epoch)``, as on one machine), hands them out to the workers' tasks, gets
back each batch's sparse steps (:meth:`Trainer.compute`'s result: only the rows the batch
touched) and applies them in batch order with the single-machine apply. The table's bytes are
those of ``embedcli train`` on one machine with the same seed and settings, for any number of
workers, machines or partitions: the quality is one machine's by construction. (Where the machines'
CPUs run different BLAS kernels, each batch's products are summed in its machine's order: the
same bytes need ``OPENBLAS_CORETYPE`` set alike on the workers, see the README's Guarantees.)

An earlier design (P shards training ~50k ids each from the same parameters, then a per-row
merge of their changes) lost accuracy as shards grew: WordSim-353 0.2665 at 4 workers against
0.3114 on one machine (``docs/scaling.md``).

Communication. Every worker process keeps a replica of both matrices for the run (kept per
worker process, keyed by the run). A round's task carries its batches (a few KB each: ids,
pair mask, negatives) and, for the worker's replica, the rows the previous round changed
(their new values: setting them is idempotent, so two tasks on one worker, a task moved to
another worker or run twice, all leave the same replica). A replica at another version (a new
or restarted worker, a task that ran elsewhere) answers "stale" and is sent the whole state.
What comes back is the batches' sparse steps; they are the bulk of the traffic (measured in
``docs/scaling.md``).

Failures: a task carries everything it needs besides the replica, which it checks; when a
worker dies, the scheduler reruns its task elsewhere (same inputs, same result, or "stale" and
a full resend). If a round still fails (``ROUND_ATTEMPTS`` tries, each waiting up to
``RETRY_WAIT`` seconds for a worker) the run stops with one error line; nothing has been
written since the last checkpoint, so the model directory keeps the previous model. The NaN
guard, ``--checkpoint-every`` and ``--resume`` are the single-machine trainer's own.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..config import TrainSettings
from ..corpus import EncodedCorpus
from ..errors import EmbedcliError, ParameterError
from ..heap import tune_malloc
from ..sgd.trainer import Trainer, TrainState

ROUND_ATTEMPTS = 3
RETRY_WAIT = 120  # seconds to wait for a worker before a round is tried again
REFRESH_SECONDS = 10.0  # how often the client looks for workers that joined
KEEP_CHANGES = 8  # a replica up to this many rounds behind gets the rows written since (else the whole state)


class _NoCorpus:
    """What a worker's Trainer is built on: it computes batches, it never reads a corpus."""

    n_words = 0


@dataclass
class _Replica:
    trainer: Trainer
    state: TrainState
    version: int


_REPLICAS: dict[str, _Replica] = {}  # per worker process: run key -> replica (one run at a time)
_LOCK = threading.Lock()


def _round_task(run_key: str, version: int, message: tuple, batches: list) -> list | None:
    """On a worker: bring the replica to ``version``, compute ``batches``; None if it cannot.

    ``message``: ``("full", setup, w_in, w_out)``, ``("patch", from_version, rows_in, values_in,
    rows_out, values_out)`` (the rows written since ``from_version``, their values at ``version``)
    or ``("none",)``.
    """
    kind = message[0]
    with _LOCK:
        replica = _REPLICAS.get(run_key)
        if kind == "full":
            _, setup, w_in, w_out = message
            if replica is None or replica.version != version:
                _REPLICAS.clear()  # drop an earlier run's replica
                tune_malloc()
                trainer = Trainer(_NoCorpus(), setup["counts"], setup["trainable"], setup["settings"], 1,
                                  setup["subwords"])
                replica = _Replica(trainer, TrainState(w_in.copy(), w_out.copy(), frozen=setup["frozen"]), version)
                _REPLICAS[run_key] = replica
        elif replica is None:
            return None
        elif kind == "patch" and replica.version == message[1]:
            _, _, rows_in, values_in, rows_out, values_out = message
            replica.state.w_in[rows_in] = values_in
            replica.state.w_out[rows_out] = values_out
            replica.version = version
        if replica.version != version:
            return None
    with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported by the client's loop
        return [replica.trainer.compute(replica.state, b) for b in batches]


def _round_task_on_worker(run_key: str, version: int, message: tuple, batches: list) -> tuple[str, list | None]:
    """:func:`_round_task` and the address of the worker it ran on (whose replica is now at ``version``)."""
    from distributed import get_worker

    return get_worker().address, _round_task(run_key, version, message, batches)


def _nbytes(x: Any) -> int:
    """The array bytes in ``x`` (tuples, lists, dicts, dataclasses such as a batch)."""
    if isinstance(x, np.ndarray):
        return x.nbytes
    if isinstance(x, (list, tuple)):
        return sum(_nbytes(v) for v in x)
    if isinstance(x, dict):
        return sum(_nbytes(v) for v in x.values())
    if hasattr(x, "__dataclass_fields__"):
        return sum(_nbytes(getattr(x, f)) for f in x.__dataclass_fields__)
    return 0


def _drop_replica(run_key: str) -> None:
    with _LOCK:
        _REPLICAS.pop(run_key, None)


class ClusterRounds:
    """The trainer's round engine on a Dask cluster (the interface of :class:`ProcessGroup`:
    ``round(batches)`` computes and applies a round and returns its ``(loss, pairs)``)."""

    def __init__(self, trainer: "ClusterTrainer", state: TrainState):
        self.trainer = trainer
        self.client = trainer.client
        self.state = state
        self.run_key = uuid.uuid4().hex
        self.setup = {"counts": trainer.counts, "trainable": trainer.trainable, "settings": trainer.settings,
                      "subwords": trainer.subwords, "frozen": state.frozen}
        self.version = 0  # applies done so far
        self.changed: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # version -> rows its apply wrote (last few)
        self.synced: dict[str, int] = {}  # worker address -> the replica version it was last sent
        self.slots: list[str] = []
        self.refreshed = 0.0
        self.rounds = 0
        self.full_sends = 0  # whole states sent (first round, new or restarted workers)
        self.bytes_sent = 0  # to the workers: replica updates and batches (array bytes)
        self.bytes_received = 0  # from the workers: the batches' steps (array bytes)

    def _refresh(self) -> None:
        nthreads = self.client.nthreads()
        self.slots = [addr for addr in sorted(nthreads) for _ in range(max(1, nthreads[addr]))]
        self.refreshed = time.monotonic()

    def _message(self, addr: str, full: bool) -> tuple:
        """What brings ``addr``'s replica to the current version: nothing, the rows written since
        its version (it may have missed a few rounds: its task ran on another worker), or all."""
        have = self.synced.get(addr)
        if have == self.version and not full:
            return ("none",)
        if full or have is None or any(v not in self.changed for v in range(have + 1, self.version + 1)):
            return ("full", self.setup, self.state.w_in, self.state.w_out)
        since = range(have + 1, self.version + 1)
        rows_in = np.unique(np.concatenate([self.changed[v][0] for v in since]))
        rows_out = np.unique(np.concatenate([self.changed[v][1] for v in since]))
        return ("patch", have, rows_in, self.state.w_in[rows_in], rows_out, self.state.w_out[rows_out])

    def _compute(self, batches: list) -> list:
        import dask
        import distributed

        last_error: Exception | None = None
        for attempt in range(ROUND_ATTEMPTS):
            futures: list = []
            try:
                if attempt:  # the cluster failed the round: wait for a worker (a nanny restarts it), again
                    self.client.wait_for_workers(1, timeout=RETRY_WAIT)
                if attempt or not self.slots or time.monotonic() - self.refreshed > REFRESH_SECONDS:
                    self._refresh()
                if not self.slots:
                    raise EmbedcliError("the Dask cluster has no workers")
                n = min(len(self.slots), len(batches))
                parts = [list(range(t, len(batches), n)) for t in range(n)]
                out: list = [None] * len(batches)
                todo = list(range(n))
                full: set[int] = set()
                for _ in range(4):  # stale replicas get the whole state, once or twice
                    # every task of a worker carries its replica's update (threads of one worker
                    # may start in any order; the update is idempotent)
                    sent: dict[str, tuple] = {}
                    futures = []
                    with dask.config.set({"distributed.admin.large-graph-warning-threshold": "1 TiB"}):
                        for t in todo:
                            addr = self.slots[t]
                            if addr not in sent:
                                sent[addr] = self._message(addr, t in full)
                                self.full_sends += sent[addr][0] == "full"
                                self.bytes_sent += _nbytes(sent[addr])
                            message = sent[addr]
                            self.bytes_sent += _nbytes([batches[k] for k in parts[t]])
                            futures.append(self.client.submit(
                                _round_task_on_worker, self.run_key, self.version, message, [batches[k] for k in parts[t]],
                                workers=[addr], allow_other_workers=True, pure=False,
                                key=f"embedcli-train-{self.run_key}-{self.version}-{t}-{attempt}-{len(full)}"))
                    # wait first: an interrupted gather leaves tasks that log "Task exception was
                    # never retrieved" (AllExit) when the client closes; a finished one does not
                    distributed.wait(futures)
                    results = self.client.gather(futures)
                    stale = []
                    for t, (ran_on, res) in zip(todo, results):
                        if res is None:
                            self.synced.pop(ran_on, None)
                            stale.append(t)
                        else:
                            self.synced[ran_on] = self.version
                            self.bytes_received += _nbytes(res)
                            for k, r in zip(parts[t], res):
                                out[k] = r
                    if not stale:
                        return out
                    todo = stale
                    full.update(stale)
                raise EmbedcliError("the Dask workers kept losing the training state")
            except EmbedcliError:
                raise
            except Exception as exc:  # a task that failed on every worker it was tried on, a timeout...
                last_error = exc
                self.synced.clear()
                if self.client.status in ("closing", "closed"):  # the scheduler is gone: no attempt can succeed
                    raise EmbedcliError(
                        f"training on the Dask cluster stopped: lost the scheduler {self.client.scheduler.address} "
                        f"({type(exc).__name__}: {exc}); the model directory keeps its previous contents") from None
            finally:
                self.client.cancel(futures)
        raise EmbedcliError(
            f"training on the Dask cluster failed after {ROUND_ATTEMPTS} attempts "
            f"({type(last_error).__name__}: {last_error}); the model directory keeps its previous contents")

    def round(self, batches: list) -> list[tuple[float, int]]:
        full = self._compute(batches)
        self.trainer._apply(self.state, full, None)
        self.version += 1
        self.rounds += 1
        ins = np.concatenate([r[5] for r in full])
        if self.trainer.subwords is not None:  # compute's input ids are tokens: their word and n-gram rows changed
            ins = self.trainer.subwords.rows_of(np.unique(ins))
        self.changed[self.version] = (np.unique(ins), np.unique(np.concatenate([r[3] for r in full])))
        self.changed.pop(self.version - KEEP_CHANGES, None)
        return [(r[0], r[1]) for r in full]

    def close(self) -> None:
        try:
            self.client.run(_drop_replica, self.run_key)
        except Exception:  # a worker that just died has nothing to drop
            pass


class ClusterTrainer(Trainer):
    """:class:`Trainer` whose rounds are computed on ``client``'s cluster (same bytes)."""

    def __init__(self, client, corpus: EncodedCorpus, counts: np.ndarray, trainable: np.ndarray,
                 settings: TrainSettings, workers: int, subwords=None):
        super().__init__(corpus, counts, trainable, settings, workers, subwords)
        self.client = client
        self.counts = np.asarray(counts)
        self.trainable = trainable
        self.settings = settings.replace(tmp_dir=None)  # sent to the workers: what to train, not where

    def _open_group(self, state: TrainState) -> ClusterRounds:
        return ClusterRounds(self, state)

    def _run_epoch(self, state: TrainState, epoch: int, pool, callback) -> None:
        """One machine's epoch; its history entry also says what crossed the network."""
        before = (pool.rounds, pool.full_sends, pool.bytes_sent, pool.bytes_received)
        super()._run_epoch(state, epoch, pool, callback)
        state.history[-1].update({
            "rounds": pool.rounds - before[0], "full_sends": pool.full_sends - before[1],
            "sent_mb": round((pool.bytes_sent - before[2]) / 1e6, 1),
            "received_mb": round((pool.bytes_received - before[3]) / 1e6, 1)})

    def _close_group(self, group: Any) -> None:
        group.close()


def check_settings(settings: TrainSettings) -> None:
    """What a cluster trains: skip-gram and CBOW (a classifier trains on one machine). Callers may
    check before connecting to a cluster; :func:`train_on_cluster` checks again."""
    if settings.objective not in ("skipgram", "cbow"):
        raise ParameterError("{address} is not available with {objective} {value}", "address", "objective",
                             value=settings.objective)


def train_on_cluster(client, settings: TrainSettings, *, resume_dir: str | None = None, **kwargs):
    """:func:`embedcli.sgd.run.train_model` (or ``resume_model`` with ``resume_dir``) on ``client``'s cluster.

    ``settings.workers`` defaults to the cluster's worker threads and is saved in the model's
    ``config.yaml``; the table does not depend on it (nor on the cluster).
    """
    import functools

    from ..sgd.run import resume_model, train_model
    from . import worker_count

    check_settings(settings)
    if settings.corpus:  # URL wildcards stand for their files, as for vocab and encode --dask
        from .sources import expand

        settings = settings.replace(corpus=expand(settings.corpus, directories=False))
    if settings.workers is None:
        settings = settings.replace(workers=worker_count(client))
    make = functools.partial(ClusterTrainer, client)
    if resume_dir is not None:
        return resume_model(resume_dir, settings, make_trainer=make, **kwargs)
    return train_model(settings, make_trainer=make, **kwargs)
