"""`--workers N`: worker processes (Linux, fork) give the bytes of the thread-pool apply order.
Through the command line; the library tests are in test_train_workers.py."""

import os

import pytest

from embedcli.cli import main
from embedcli.train import trainer as trainer_mod

from support.train import synthetic_corpus


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return synthetic_corpus(tmp_path_factory.mktemp("corpus") / "c.txt", lines=800)


@pytest.fixture
def forked(monkeypatch):
    """The pids of the worker processes forked during the test."""
    pids = []
    real_fork = os.fork

    def fork():
        pid = real_fork()
        if pid:
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


def train(runner, corpus, out, *extra):
    res = runner.invoke(main, ["train", str(corpus), "-o", str(out), "--quiet", "--dim", "12", "--epochs", "2",
                               "--min-count", "1", "--batch-words", "64", *extra])
    assert res.exit_code == 0, res.output
    return res


@pytest.mark.skipif(not trainer_mod._processes_available(), reason="worker processes need fork (Linux)")
@pytest.mark.parametrize("objective,workers", [("skipgram", "2"), ("cbow", "2"), ("skipgram", "3")])
def test_processes_equal_threads(runner, corpus, tmp_path, monkeypatch, objective, workers):
    procs, threads = tmp_path / "p", tmp_path / "t"
    train(runner, corpus, procs, "--objective", objective, "--workers", workers)
    monkeypatch.setattr(trainer_mod, "_processes_available", lambda: False)
    train(runner, corpus, threads, "--objective", objective, "--workers", workers)
    assert table_bytes(procs) == table_bytes(threads)
    one = tmp_path / "one"
    train(runner, corpus, one, "--objective", objective, "--workers", "1")
    assert table_bytes(one) != table_bytes(procs)  # rounds of several batches do change the result


def test_children_are_waited_for(runner, corpus, tmp_path, forked):
    train(runner, corpus, tmp_path / "m", "--workers", "3")
    assert len(forked) == (2 if trainer_mod._processes_available() else 0)
    assert all_waited_for(forked)


def test_dry_run_with_workers(runner, corpus, tmp_path):
    res = runner.invoke(main, ["train", str(corpus), "-o", str(tmp_path / "m"), "--dry-run", "--workers", "2",
                               "--min-count", "1", "--json"])
    assert res.exit_code == 0, res.output
    assert not (tmp_path / "m").exists()


@pytest.mark.skipif(not trainer_mod._processes_available(), reason="worker processes need fork (Linux)")
def test_failing_worker_process_is_one_clear_error(runner, corpus, tmp_path, monkeypatch, forked):
    def broken(self, k):
        raise RuntimeError("simulated failure in a worker process")

    monkeypatch.setattr(trainer_mod._ProcessGroup, "_compute_slot", broken)  # inherited by the fork
    res = runner.invoke(main, ["train", str(corpus), "-o", str(tmp_path / "m"), "--quiet", "--dim", "8",
                               "--epochs", "1", "--min-count", "1", "--batch-words", "64", "--workers", "2"])
    assert res.exit_code == 1
    assert "worker process failed" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "m").exists()
    assert len(forked) == 1 and all_waited_for(forked)


def test_divergence_with_workers_is_reported(runner, corpus, tmp_path, forked):
    res = runner.invoke(main, ["train", str(corpus), "-o", str(tmp_path / "m"), "--quiet", "--dim", "8",
                               "--epochs", "2", "--min-count", "1", "--workers", "2", "--lr", "1e30",
                               "--min-lr", "1e30"])
    assert res.exit_code == 1, res.output
    assert "lower --lr" in res.output and "Traceback" not in res.output
    assert all_waited_for(forked)
