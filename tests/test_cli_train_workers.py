"""`--workers N` and `--round-batches R`: the table depends on R, never on N; processes (Linux,
fork) and the thread fallback give the same bytes; stable at the learning rates peers use.
Through the command line; the library tests are in test_train_workers.py."""

import os
import sys

import numpy as np
import pytest

from embedcli.cli import main
from embedcli.model import Model
from embedcli.sgd import trainer as trainer_mod
from embedcli.sgd import workers as workers_mod

from support.train import synthetic_corpus

SAMPLE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "sample_data", "corpus.txt")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return synthetic_corpus(tmp_path_factory.mktemp("corpus") / "c.txt", lines=800)


@pytest.fixture
def forked(monkeypatch):
    """The pids of the worker processes forked during the test (not the corpus encoding's)."""
    pids = []
    real_fork = os.fork

    def fork():
        pid = real_fork()
        if pid and sys._getframe(1).f_globals.get("__name__") == workers_mod.__name__:
            pids.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", fork)
    return pids


def all_waited_for(pids):
    """Every forked worker was waited for (reaped): waitpid finds no such child any more."""
    for pid in pids:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
    return True


def table_bytes(model_dir):
    return (model_dir / "table.npy").read_bytes(), (model_dir / "output.npy").read_bytes()


def train(runner, corpus, out, *extra, rounds=("--round-batches", "4")):
    """Rounds of 4 batches (unless given): the corpus alone would make rounds of 1 batch."""
    res = runner.invoke(main, ["train", str(corpus), "-o", str(out), "--quiet", "--dim", "12", "--epochs", "2",
                               "--min-count", "1", "--batch-words", "64", *rounds, *extra])
    assert res.exit_code == 0, res.output
    return res


def test_processes_available_here():
    # the process path is the one users get on Linux: the tests below must exercise it
    assert workers_mod.processes_available() == (os.name == "posix" and hasattr(os, "fork")
                                                 and os.uname().sysname == "Linux")


@pytest.mark.parametrize("objective", ["skipgram", "cbow"])
def test_table_does_not_depend_on_workers(runner, corpus, tmp_path, objective, forked):
    """A laptop, a 64-core server and this machine give the same bytes for the same seed."""
    ref = tmp_path / "w1"
    train(runner, corpus, ref, "--objective", objective, "--workers", "1", "--round-batches", "8")
    for workers in ("2", "3", "4", "8", "64"):
        out = tmp_path / f"w{workers}"
        train(runner, corpus, out, "--objective", objective, "--workers", workers, "--round-batches", "8")
        assert table_bytes(out) == table_bytes(ref), f"--workers {workers}"
    # workers beyond the round's 8 batches have nothing to do: 1 + 2 + 3 + 7 + 7 children
    assert len(forked) == (20 if workers_mod.processes_available() else 0)
    assert all_waited_for(forked)


def test_sixty_four_worker_processes(runner, corpus, tmp_path, forked):
    """64 processes sharing rounds of 64 batches: the same bytes as one process doing it all."""
    one, many = tmp_path / "one", tmp_path / "many"
    train(runner, corpus, one, "--workers", "1", "--round-batches", "64", "--epochs", "1")
    train(runner, corpus, many, "--workers", "64", "--round-batches", "64", "--epochs", "1")
    assert table_bytes(one) == table_bytes(many)
    if workers_mod.processes_available():
        assert len(forked) == 63
    assert all_waited_for(forked)


@pytest.mark.parametrize("objective", ["skipgram", "cbow"])
def test_processes_equal_threads(runner, corpus, tmp_path, monkeypatch, objective):
    procs, threads = tmp_path / "p", tmp_path / "t"
    train(runner, corpus, procs, "--objective", objective, "--workers", "3")
    monkeypatch.setattr(trainer_mod, "processes_available", lambda: False)
    train(runner, corpus, threads, "--objective", objective, "--workers", "3")
    assert table_bytes(procs) == table_bytes(threads)


def test_default_round_size_follows_the_corpus_not_the_machine(runner, corpus, tmp_path):
    from embedcli.sgd.trainer import MAX_ROUND_BATCHES, MIN_ROUNDS, auto_round_batches

    assert auto_round_batches(1e9, 512) == MAX_ROUND_BATCHES
    assert auto_round_batches(10_000, 512) == 1
    assert auto_round_batches(512 * MIN_ROUNDS * 3 + 1, 512) == 3
    a, b = tmp_path / "a", tmp_path / "b"
    train(runner, corpus, a, "--workers", "1", "--batch-words", "512", rounds=())
    train(runner, corpus, b, "--workers", "4", "--batch-words", "512", rounds=())
    assert Model.load(a).config["round_batches"] == Model.load(b).config["round_batches"] == 1
    assert table_bytes(a) == table_bytes(b)


def test_round_batches_changes_the_result(runner, corpus, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    train(runner, corpus, a, "--round-batches", "1", "--workers", "1")
    train(runner, corpus, b, "--round-batches", "4", "--workers", "1")
    assert table_bytes(a) != table_bytes(b)  # rounds of several batches are computed at one point
    assert Model.load(a).config["round_batches"] == 1


def test_children_are_waited_for(runner, corpus, tmp_path, forked):
    train(runner, corpus, tmp_path / "m", "--workers", "3")
    assert len(forked) == (2 if workers_mod.processes_available() else 0)
    assert all_waited_for(forked)


def test_dry_run_with_workers(runner, corpus, tmp_path):
    res = runner.invoke(main, ["train", str(corpus), "-o", str(tmp_path / "m"), "--dry-run", "--workers", "2",
                               "--min-count", "1", "--json"])
    assert res.exit_code == 0, res.output
    assert not (tmp_path / "m").exists()


def test_failing_worker_process_is_one_clear_error(runner, corpus, tmp_path, monkeypatch, forked):
    real_work = workers_mod.ProcessGroup._work

    def broken(self, rank, batches=None):  # the child fails at its first look for tasks
        if rank:
            raise RuntimeError("simulated failure in a worker process")
        return real_work(self, rank, batches)

    monkeypatch.setattr(workers_mod.ProcessGroup, "_work", broken)  # inherited by the fork
    res = runner.invoke(main, ["train", str(corpus), "-o", str(tmp_path / "m"), "--quiet", "--dim", "8",
                               "--epochs", "1", "--min-count", "1", "--batch-words", "64", "--workers", "2",
                               "--round-batches", "2"])
    assert res.exit_code == 1
    assert "worker process failed" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "m").exists()
    assert len(forked) == 1 and all_waited_for(forked)


def test_divergence_with_workers_is_reported(runner, corpus, tmp_path, forked):
    """The guard stays: rows that overflow float32 (here pretrained vectors of 1e20) stop the run."""
    init = tmp_path / "huge.txt"
    init.write_text("2 8\nthe " + " ".join(["1e20"] * 8) + "\ncar " + " ".join(["-1e20"] * 8) + "\n")
    res = runner.invoke(main, ["train", str(corpus), "-o", str(tmp_path / "m"), "--quiet", "--dim", "8",
                               "--epochs", "2", "--min-count", "1", "--workers", "2", "--round-batches", "2",
                               "--init", str(init)])
    assert res.exit_code == 1, res.output
    assert "diverged" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "m").exists()
    assert all_waited_for(forked)


def test_absurd_learning_rate_stays_finite(runner, corpus, tmp_path):
    """--lr 50: the trust region bounds every row's step, so even this cannot blow up."""
    res = runner.invoke(main, ["train", str(corpus), "-o", str(tmp_path / "m"), "--quiet", "--dim", "8",
                               "--epochs", "2", "--min-count", "1", "--workers", "2", "--lr", "50"])
    assert res.exit_code == 0, res.output
    loss, top = _loss_and_norms(tmp_path / "m")
    assert np.isfinite(loss) and np.isfinite(top)


# -- stability: the sweep that would have caught the divergence of rounds of summed steps ---------

def _loss_and_norms(model_dir):
    m = Model.load(model_dir)
    norms = np.linalg.norm(m.table, axis=1)
    return m.history[-1]["loss"], float(norms.max())


@pytest.mark.parametrize("objective", ["skipgram", "cbow"])
@pytest.mark.parametrize("lr", [0.0025, 0.025, 0.05, 0.1])
def test_lr_sweep_on_sample_data_with_many_workers(runner, tmp_path, objective, lr):
    """The sample data at the peers' learning rates, rounds of 16 batches shared by 8 and 16 processes.

    Before the per-row trust region, `--workers 8` diverged here at lr 0.025 (sums of a round's
    steps of frequent rows); lr 0.05 diverged even with one worker."""
    out = tmp_path / "m"
    res = runner.invoke(main, ["train", SAMPLE, "-o", str(out), "--quiet", "--objective", objective,
                               "--dim", "32", "--epochs", "3", "--min-count", "3", "--lr", str(lr),
                               "--workers", "8" if lr < 0.05 else "16", "--round-batches", "16"])
    assert res.exit_code == 0, res.output
    loss, top = _loss_and_norms(out)
    untrained = np.log(2) * 6  # log 2 * (1 + negative): the loss of an untrained model
    assert np.isfinite(loss) and loss < untrained
    assert top < 50  # no row ran away


@pytest.mark.parametrize("args", [["--window", "1", "--negative", "1"], ["--window", "10", "--negative", "20"],
                                  ["--dim", "300", "--batch-words", "16"], ["--batch-words", "20000"],
                                  ["--round-batches", "64", "--workers", "4"]])
def test_extreme_shapes_at_high_lr_stay_finite(runner, tmp_path, args):
    out = tmp_path / "m"
    res = runner.invoke(main, ["train", SAMPLE, "-o", str(out), "--quiet", "--dim", "16", "--epochs", "1",
                               "--min-count", "3", "--lr", "0.1", *args])
    assert res.exit_code == 0, res.output
    loss, top = _loss_and_norms(out)
    assert np.isfinite(loss) and top < 50


def test_rounds_in_the_parent_alone_give_the_same_bytes(runner, corpus, tmp_path, monkeypatch, forked):
    """The group runs a round in the parent alone when that has been faster (workers.Pacer): any
    mix of such rounds and shared rounds gives the bytes of one process."""
    ref, mixed = tmp_path / "w1", tmp_path / "mixed"
    train(runner, corpus, ref, "--workers", "1", "--round-batches", "4")
    calls = []

    def alternate(self, now):
        calls.append(len(calls) % 3 == 1)  # shared, alone, shared, shared, alone, ...
        return calls[-1]

    monkeypatch.setattr(workers_mod.Pacer, "solo", alternate)
    train(runner, corpus, mixed, "--workers", "3", "--round-batches", "4")
    assert True in calls and False in calls
    assert table_bytes(mixed) == table_bytes(ref)
    assert all_waited_for(forked)


@pytest.mark.parametrize("workers", [2, 4])
def test_subword_rows_applied_by_every_process_give_the_same_bytes(runner, corpus, tmp_path, monkeypatch,
                                                                   forked, workers):
    """With subwords a batch brings far more input rows than output rows, so with two processes
    both apply a share of the input matrix and one also the output matrix (workers.apply_shares);
    every round on the whole group gives the bytes of one process."""
    ref, group = tmp_path / "w1", tmp_path / f"w{workers}"
    extra = ("--subwords", "3-6", "--buckets", "2000")
    train(runner, corpus, ref, "--workers", "1", *extra)
    made = []
    real_shares = workers_mod.apply_shares
    monkeypatch.setattr(workers_mod, "apply_shares", lambda *a: made.append(real_shares(*a)) or made[-1])
    monkeypatch.setattr(workers_mod.Pacer, "solo", lambda self, now: False)  # every round on the group
    train(runner, corpus, group, "--workers", str(workers), *extra)
    assert made and len(made[0]) == workers
    if workers == 2:
        assert [[item[1] for item in items] for items in made[0]] == [["in"], ["in", "out"]]
    assert table_bytes(group) == table_bytes(ref)
    assert (group / "input_rows.npy").read_bytes() == (ref / "input_rows.npy").read_bytes()
    assert all_waited_for(forked)


def test_children_take_the_work_while_the_parent_makes_the_next_round(runner, corpus, tmp_path, monkeypatch,
                                                                     forked):
    """A round's tasks go to whichever process takes them: while the parent makes the next
    round's batches (slow here), the child computes the batches (with static shares it would
    compute half of them); the bytes are those of one process."""
    import time

    ref, group = tmp_path / "w1", tmp_path / "w2"
    train(runner, corpus, ref, "--workers", "1")
    log = tmp_path / "computed"
    real_compute, real_prepare = trainer_mod.Trainer.compute, trainer_mod._Rounds.prepare

    def compute(self, *args, **kwargs):
        with open(log, "a") as f:
            f.write(f"{os.getpid()}\n")
        return real_compute(self, *args, **kwargs)

    def slow_prepare(self):
        time.sleep(0.02)
        return real_prepare(self)

    monkeypatch.setattr(trainer_mod.Trainer, "compute", compute)
    monkeypatch.setattr(trainer_mod._Rounds, "prepare", slow_prepare)
    monkeypatch.setattr(workers_mod.Pacer, "solo", lambda self, now: False)  # every round on the group
    train(runner, corpus, group, "--workers", "2")
    assert table_bytes(group) == table_bytes(ref)
    pids = [int(p) for p in log.read_text().split()]
    assert set(pids) <= {os.getpid(), *forked} and len(forked) == 1
    assert pids.count(forked[0]) > 0.75 * len(pids)
    assert all_waited_for(forked)


@pytest.mark.parametrize("objective", ["skipgram", "cbow"])
@pytest.mark.parametrize("plan", [False, True])
def test_output_rows_indexed_while_the_batches_are_computed_give_the_same_bytes(runner, corpus, tmp_path,
                                                                                 monkeypatch, forked, objective, plan):
    """With two processes one task applies the whole output matrix; its row index (which rows,
    in which order: from the batches' tokens and negatives alone; a row plan for rounds of
    PLAN_MIN entries or more) is made by a task of the compute phase (ProcessGroup._index_out),
    for full rounds and for the short ones (an epoch's or a block's last batches); the bytes
    are those of one process."""
    if not workers_mod.processes_available():
        pytest.skip("no worker processes here")
    monkeypatch.setattr(trainer_mod, "PLAN_MIN", 0 if plan else 10**9)
    ref, group = tmp_path / "w1", tmp_path / "w2"
    train(runner, corpus, ref, "--objective", objective, "--workers", "1")
    log = tmp_path / "indexed"
    real_index = workers_mod.ProcessGroup._index_out

    def index_out(self, n):
        with open(log, "a") as f:
            f.write(f"{n} {int(self.plan_out)}\n")
        return real_index(self, n)

    monkeypatch.setattr(workers_mod.ProcessGroup, "_index_out", index_out)
    monkeypatch.setattr(workers_mod.Pacer, "solo", lambda self, now: False)  # every round on the group
    train(runner, corpus, group, "--objective", objective, "--workers", "2")
    logged = [line.split() for line in log.read_text().splitlines()]
    assert {flag for _, flag in logged} == {str(int(plan))}  # the index of each kind was made
    rounds = [int(n) for n, _ in logged]
    assert len(rounds) >= 4 and 4 in rounds and min(rounds) < 4  # one index per round, short rounds too
    assert table_bytes(group) == table_bytes(ref)
    assert all_waited_for(forked)
