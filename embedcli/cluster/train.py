"""``embedcli train --dask``: data-parallel skip-gram / CBOW on a Dask cluster.

Design (measured in ``docs/scaling.md``). The encoded corpus (:mod:`embedcli.corpus`, built on
the client) is cut into ``P`` contiguous shards (``P`` = ``--workers``, by default the cluster's
worker threads; it is saved in ``config.yaml``). An epoch is a series of *rounds*; in a round,
every shard trains its next piece of about ``sync_words`` ids, starting from the same shared
parameters, with the single-machine trainer itself (:class:`embedcli.sgd.trainer.Trainer`:
its subsampling, batch preparation, loss/gradient, row scaling and NaN guard), in one Dask task
per shard. A task returns, for every row it touched, the row's change and its *contribution
count* (how many gradient entries the row received). The client then merges the changes row by
row: the count-weighted mean of the shards' changes, times the square root of the effective
number of shards that trained the row (``k = (sum_p count)^2 / sum_p count^2``)::

    delta[r] = sqrt(k[r]) * sum_p count[p, r] * delta[p, r] / sum_p count[p, r]

A row trained in one shard gets that shard's whole change: a rare word is not diluted ``P``
times, which is what makes Spark MLlib's Word2Vec (plain average of the per-partition models,
SPARK-24666) lose accuracy as partitions grow. A row trained equally in all ``P`` shards gets
``sum / sqrt(P)``: between the plain sum (each shard already moved it as far as its own data
asked; summing 4 shards' stale changes diverged, see ``docs/scaling.md``) and the mean (which
loses the other shards' data: WordSim-353 fell from 0.186 to 0.070 at P=4). The same square
root damps frequent rows inside a batch on one machine (:mod:`embedcli.sgd.trainer`).

Randomness: piece ``(epoch, round, shard)`` draws from ``SeedSequence([seed, epoch, round,
shard])``; the learning rate decays with the words of the whole run (all shards); the merge
adds the shards in shard order in float64. So the bytes depend on the seed, the settings and
``P`` only: not on the number of machines, the order tasks finish in, or retries. Because
rounds restart at every epoch, ``--checkpoint-every`` and ``--resume`` give the same bytes as
an uninterrupted run, as on one machine.

Failures: each round's tasks carry their piece of the corpus and read the parameters from a
copy broadcast to every worker, so when a worker dies the scheduler reruns its task elsewhere
(same inputs, same result). If a round still fails (``ROUND_ATTEMPTS`` tries) the run stops
with one error line; nothing has been written since the last checkpoint, so the model
directory keeps the previous model.
"""

from __future__ import annotations

import math
import time
from typing import Any, Callable

import numpy as np

from ..config import TrainSettings
from ..corpus import EncodedCorpus
from ..errors import EmbedcliError
from ..sgd.trainer import Trainer, TrainState, tune_malloc

SYNC_WORDS = 50_000  # corpus ids per shard per round (see docs/scaling.md for the measurements)
ROUND_ATTEMPTS = 3
RETRY_WAIT = 120  # seconds to wait for a worker before a round is tried again
MERGES = ("sqrt", "weighted", "mean", "sum")  # the default, then the alternatives measured in docs/scaling.md


class _Piece:
    """An in-memory piece of an encoded corpus, with the interface the Trainer reads."""

    def __init__(self, ids: np.ndarray):
        self.ids_array = ids
        self.n_words = int(np.count_nonzero(ids >= 0))

    def blocks(self, size: int = 1 << 20):
        for a in range(0, len(self.ids_array), size):
            yield self.ids_array[a : a + size]


class _PieceTrainer(Trainer):
    """The single-machine trainer on one piece, with the run's learning-rate schedule and the
    rows' contribution counts recorded."""

    def setup(self, seed: int, base_words: int, scale: int, total_words: int) -> None:
        self.seed = seed
        self.base_words = base_words
        self.scale = scale
        self.total_words = total_words
        self.count_in = np.zeros(self.vocab_size, dtype=np.int64)
        self.count_out = np.zeros(self.vocab_size, dtype=np.int64)

    def lr_at(self, epoch: int, words_before: int) -> float:
        progress = (self.base_words + self.scale * words_before) / max(1, self.total_words)
        return self.lr0 - (self.lr0 - self.lr1) * min(1.0, progress)

    def compute(self, state: TrainState, batch):
        result = super().compute(state, batch)
        out_ids, in_ids = result[3], result[5]
        self.count_in += np.bincount(in_ids, minlength=self.vocab_size)
        self.count_out += np.bincount(out_ids, minlength=self.vocab_size)
        return result


_TRAINERS: dict[str, _PieceTrainer] = {}  # per worker process: run key -> trainer (sampler tables built once)


def _trainer_for(run_key: str, setup: dict) -> _PieceTrainer:
    trainer = _TRAINERS.get(run_key)
    if trainer is None:
        _TRAINERS.clear()  # one run at a time per worker: drop an earlier run's tables
        trainer = _PieceTrainer(_Piece(np.zeros(0, dtype=np.int32)), setup["counts"], setup["trainable"],
                                setup["settings"], 1)
        _TRAINERS[run_key] = trainer
    return trainer


def piece_seed(seed: int, epoch: int, round_: int, shard: int) -> int:
    return int(np.random.SeedSequence([seed, epoch, round_, shard]).generate_state(1, dtype=np.uint64)[0])


def _round_task(run_key: str, setup: dict, params: tuple, ids: np.ndarray, spec: dict) -> dict:
    """On a worker: train one piece from the shared parameters; return the touched rows' changes."""
    tune_malloc()
    trainer = _trainer_for(run_key, setup)
    trainer.corpus = _Piece(ids)
    trainer.setup(spec["seed"], spec["base_words"], spec["scale"], spec["total_words"])
    w_in0, w_out0 = params
    state = TrainState(w_in0.copy(), w_out0.copy(), frozen=setup["frozen"])
    with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported below / by the loop
        loss, pairs, _, _, _ = trainer._loop(state, spec["epoch"], None, None)
    rows_in = np.flatnonzero(trainer.count_in)
    rows_out = np.flatnonzero(trainer.count_out)
    return {
        "loss": loss,
        "pairs": pairs,
        "words": trainer.corpus.n_words,
        "rows_in": rows_in.astype(np.int32),
        "delta_in": state.w_in[rows_in] - w_in0[rows_in],
        "count_in": trainer.count_in[rows_in],
        "rows_out": rows_out.astype(np.int32),
        "delta_out": state.w_out[rows_out] - w_out0[rows_out],
        "count_out": trainer.count_out[rows_out],
    }


def merge_deltas(W: np.ndarray, parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]], merge: str, P: int) -> None:
    """Add the shards' row changes to ``W`` in place (``parts`` in shard order: rows, deltas, counts)."""
    num = np.zeros(W.shape, dtype=np.float64)
    den = np.zeros(W.shape[0], dtype=np.float64)
    sq = np.zeros(W.shape[0], dtype=np.float64)
    for rows, delta, count in parts:
        if merge in ("weighted", "sqrt"):
            c = count.astype(np.float64)
            num[rows] += delta * c[:, None]
            den[rows] += c
            sq[rows] += c * c
        else:
            num[rows] += delta
            den[rows] = 1
    touched = np.flatnonzero(den)
    if merge == "weighted":
        change = num[touched] / den[touched, None]
    elif merge == "sqrt":  # weighted mean x sqrt(effective number of shards that trained the row)
        d = den[touched]
        change = num[touched] / d[:, None] * np.sqrt(d * d / sq[touched])[:, None]
    elif merge == "mean":  # Spark MLlib's plain average over the partitions
        change = num[touched] / P
    else:
        change = num[touched]
    W[touched] += change.astype(np.float32)


class ClusterTrainer:
    """Trains a :class:`TrainState` on ``client``'s cluster; the interface of :class:`Trainer.run`."""

    def __init__(self, client, corpus: EncodedCorpus, counts: np.ndarray, trainable: np.ndarray,
                 settings: TrainSettings, partitions: int, subwords=None, *, sync_words: int = SYNC_WORDS,
                 merge: str = "sqrt"):
        if settings.objective not in ("skipgram", "cbow"):
            raise EmbedcliError(f"--dask trains skipgram and cbow, not {settings.objective}")
        if subwords is not None:
            raise EmbedcliError("--dask does not train subword n-grams yet; train them on one machine")
        if merge not in MERGES:
            raise ValueError(f"merge must be one of {MERGES}")
        self.client = client
        self.corpus = corpus
        self.counts = np.asarray(counts)
        self.trainable = trainable
        self.settings = settings.replace(tmp_dir=None)  # sent to the workers: what to train, not where
        self.P = max(1, int(partitions))
        self.sync_words = int(sync_words)
        self.merge = merge
        self.epochs = int(settings.epochs)
        self.seed = int(settings.seed)
        self.lr0 = float(settings.lr)
        self.lr1 = float(settings.min_lr)
        self._plan()

    def _plan(self) -> None:
        """Shard ``p`` = entries ``[n p / P, n (p+1) / P)``; round ``r`` of shard ``p`` its ``r``-th of ``R`` pieces."""
        n = self.corpus.n_entries
        P = self.P
        longest = -(-n // P)
        self.R = R = max(1, -(-longest // max(1, self.sync_words)))
        starts = [n * p // P for p in range(P + 1)]
        self.pieces = [[(starts[p] + (starts[p + 1] - starts[p]) * r // R,
                         starts[p] + (starts[p + 1] - starts[p]) * (r + 1) // R) for p in range(P)] for r in range(R)]
        # words (ids >= 0) per piece, for the learning-rate schedule (one pass over the corpus)
        self.piece_words = np.array([[int(np.count_nonzero(self._read(a, b) >= 0)) for a, b in row]
                                     for row in self.pieces], dtype=np.int64)

    def _read(self, a: int, b: int) -> np.ndarray:
        return np.asarray(self.corpus.store.read(a, b - a), dtype=np.int32)

    def run(self, state: TrainState, *, callback: Callable[[dict], None] | None = None,
            on_epoch_end: Callable[[TrainState], None] | None = None) -> TrainState:
        import uuid

        self._run_key = uuid.uuid4().hex
        self._setup = {"counts": self.counts, "trainable": self.trainable, "settings": self.settings,
                       "frozen": state.frozen}
        for epoch in range(state.epochs_done, self.epochs):
            self._run_epoch(state, epoch, callback)
            state.epochs_done = epoch + 1
            if on_epoch_end is not None:
                on_epoch_end(state)
        return state

    def _round(self, state: TrainState, epoch: int, r: int) -> list[dict]:
        """The tasks of round ``r``, retried (same inputs, same results) when the cluster fails them."""
        n_words = self.corpus.n_words
        total = n_words * self.epochs
        base = epoch * n_words + int(self.piece_words[:r].sum())
        last_error = None
        params = (state.w_in, state.w_out)
        import dask

        for attempt in range(ROUND_ATTEMPTS):
            futures = []
            try:
                if attempt:  # the cluster failed the round: wait for a worker (a nanny restarts it), again
                    self.client.wait_for_workers(1, timeout=RETRY_WAIT)
                for p, (a, b) in enumerate(self.pieces[r]):
                    spec = {"epoch": epoch, "seed": piece_seed(self.seed, epoch, r, p), "base_words": base,
                            "scale": self.P, "total_words": total}
                    # every input travels with its task (nothing scattered): a task whose worker dies
                    # is simply run again elsewhere by the scheduler
                    with dask.config.set({"distributed.admin.large-graph-warning-threshold": "1 TiB"}):
                        futures.append(self.client.submit(
                            _round_task, self._run_key, self._setup, params, self._read(a, b), spec, pure=False,
                            key=f"embedcli-train-{self._run_key}-{epoch}-{r}-{p}-{attempt}"))
                return self.client.gather(futures)
            except EmbedcliError:
                raise  # the trainer's own errors (divergence): no retry gives another result
            except Exception as exc:  # a task that failed on every worker it was tried on, a timeout...
                last_error = exc
            finally:
                self.client.cancel(futures)
        raise EmbedcliError(
            f"training on the Dask cluster failed in epoch {epoch + 1} after {ROUND_ATTEMPTS} attempts "
            f"({type(last_error).__name__}: {last_error}); the model directory keeps its previous contents")

    def _run_epoch(self, state: TrainState, epoch: int, callback) -> None:
        start = time.perf_counter()
        loss_sum = 0.0
        pairs = 0
        words = 0
        for r in range(self.R):
            results = self._round(state, epoch, r)
            for res in results:
                loss_sum += res["loss"]
                pairs += res["pairs"]
                words += res["words"]
            if not math.isfinite(loss_sum):
                raise EmbedcliError(f"training diverged (loss is {loss_sum}) in epoch {epoch + 1}; "
                                    f"try a lower --lr (now {self.lr0:g})")
            with np.errstate(over="ignore", invalid="ignore"):
                merge_deltas(state.w_in, [(x["rows_in"], x["delta_in"], x["count_in"]) for x in results],
                             self.merge, self.P)
                merge_deltas(state.w_out, [(x["rows_out"], x["delta_out"], x["count_out"]) for x in results],
                             self.merge, self.P)
            if callback is not None:
                elapsed = time.perf_counter() - start
                callback({"epoch": epoch + 1, "epochs": self.epochs, "words": words,
                          "words_total": self.corpus.n_words, "lr": self._lr(epoch, words),
                          "loss": loss_sum / max(1, pairs),
                          "words_per_sec": words / elapsed if elapsed > 0 else 0.0})
        seconds = time.perf_counter() - start
        if not np.isfinite(state.w_in).all() or not np.isfinite(state.w_out).all():
            raise EmbedcliError(f"training diverged (non-finite weights) in epoch {epoch + 1}; "
                                f"try a lower --lr (now {self.lr0:g})")
        last_lr = self._lr(epoch, self.corpus.n_words)
        entry = {"epoch": epoch + 1, "loss": loss_sum / max(1, pairs), "pairs": pairs,
                 "words": self.corpus.n_words,
                 "words_per_sec": self.corpus.n_words / seconds if seconds > 0 else None,
                 "lr": last_lr, "seconds": round(seconds, 4), "partitions": self.P, "rounds": self.R}
        state.history.append(entry)
        if callback is not None:
            callback({"epoch": epoch + 1, "epochs": self.epochs, "words": self.corpus.n_words,
                      "words_total": self.corpus.n_words, "lr": last_lr, "loss": entry["loss"],
                      "words_per_sec": entry["words_per_sec"] or 0.0, "epoch_done": True})

    def _lr(self, epoch: int, words: int) -> float:
        lr1 = self.lr1
        progress = (epoch * self.corpus.n_words + words) / max(1, self.corpus.n_words * self.epochs)
        return self.lr0 - (self.lr0 - lr1) * min(1.0, progress)


def train_on_cluster(client, settings: TrainSettings, *, resume_dir: str | None = None, sync_words: int = SYNC_WORDS,
                     merge: str = "sqrt", **kwargs):
    """:func:`embedcli.sgd.run.train_model` (or ``resume_model`` with ``resume_dir``) on ``client``'s cluster.

    ``settings.workers`` is the number of partitions ``P`` (default: the cluster's worker
    threads); it is saved in the model's ``config.yaml``, so a resumed run uses the same ``P``.
    """
    import functools

    from ..sgd.run import resume_model, train_model
    from . import worker_count

    if settings.objective not in ("skipgram", "cbow"):
        raise EmbedcliError(f"--dask trains skipgram and cbow, not {settings.objective}")
    if settings.workers is None:
        settings = settings.replace(workers=worker_count(client))
    make = functools.partial(ClusterTrainer, client, sync_words=sync_words, merge=merge)
    if resume_dir is not None:
        return resume_model(resume_dir, settings, make_trainer=make, **kwargs)
    return train_model(settings, make_trainer=make, **kwargs)
