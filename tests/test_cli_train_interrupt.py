"""Ctrl-C / SIGTERM during `embedcli train` leaves an existing model untouched and exits 130."""

import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest


def big_corpus(path, tokens=300_000, seed=0):
    rng = np.random.default_rng(seed)
    words = np.array([f"w{i}" for i in range(3000)])
    ids = rng.zipf(1.2, tokens) % len(words)
    lines = [" ".join(words[ids[i : i + 20]]) for i in range(0, tokens, 20)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def snapshot(directory):
    return {name: (directory / name).read_bytes() for name in sorted(os.listdir(directory))}


def _default_sigint():
    # as from a terminal: a test run started in the background by a non-interactive shell (`cmd &`)
    # inherits SIGINT ignored, which Python then keeps ignored, and Ctrl-C would never arrive
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run(args, **kw):
    return subprocess.Popen([sys.executable, "-m", "embedcli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, preexec_fn=_default_sigint, **kw)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_keeps_previous_model(tmp_path, sig):
    corpus = big_corpus(tmp_path / "big.txt")
    out = tmp_path / "model"
    first = run(["train", str(corpus), "-o", str(out), "--epochs", "1", "--dim", "8", "--quiet"])
    assert first.wait(timeout=120) == 0, first.stderr.read()
    before = snapshot(out)
    entries_before = sorted(os.listdir(tmp_path))

    proc = run(["train", str(corpus), "-o", str(out), "--epochs", "200", "--dim", "8", "--seed", "5"])
    # wait until the epochs run (the first "epoch 1/200 done" line), however loaded the machine is:
    # a signal that arrives before the process has started is not what this test is about
    first_line = proc.stderr.readline()
    assert first_line.startswith("epoch 1/200 done"), first_line
    assert proc.poll() is None, "training finished before the signal: make the corpus bigger"
    proc.send_signal(sig)
    stdout, rest = proc.communicate(timeout=60)
    stderr = first_line + rest
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert snapshot(out) == before
    assert sorted(os.listdir(tmp_path)) == entries_before  # no temporary directories left behind


# a process killed (SIGKILL: no handler runs) right after a directory is renamed, or right before
# the replaced model is deleted: the moments of the swap of a finished model for the previous one
_KILLED_AT_STEP = """
import os, shutil, signal, sys
step, seen = int(sys.argv[1]), [0]
def count():
    seen[0] += 1
    if seen[0] == step:
        os.kill(os.getpid(), signal.SIGKILL)
def after_rename(rename):
    def wrapped(src, dst, *a, **k):
        rename(src, dst, *a, **k)
        if os.path.isdir(dst):
            count()
    return wrapped
def before_rmtree(rmtree):
    def wrapped(*a, **k):
        count()
        return rmtree(*a, **k)
    return wrapped
os.replace, os.rename = after_rename(os.replace), after_rename(os.rename)
shutil.rmtree = before_rmtree(shutil.rmtree)
from embedcli.cli import main
main(sys.argv[2:], prog_name="embedcli")
"""


@pytest.mark.parametrize("step", [1, 2, 3])
def test_sigkill_while_the_model_is_swapped_in_leaves_a_whole_model(tmp_path, step):
    corpus = big_corpus(tmp_path / "c.txt", tokens=20_000)
    out = tmp_path / "model"
    args = ["train", str(corpus), "-o", str(out), "--epochs", "1", "--dim", "8", "--quiet", "--workers", "1"]
    assert subprocess.run([sys.executable, "-m", "embedcli", *args]).returncode == 0
    before = snapshot(out)
    proc = subprocess.run([sys.executable, "-c", _KILLED_AT_STEP, str(step), *args, "--seed", "5"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode in (-signal.SIGKILL, 0), proc.stderr  # 0: the swap took fewer steps
    assert out.is_dir(), sorted(os.listdir(tmp_path))  # the model is there: the previous one or the new one
    after = snapshot(out)
    assert after == before or (after.keys() == before.keys() and after["table.npy"] != before["table.npy"])


_KILLED_WHILE_SAVING = """
import os, signal, sys
import embedcli.model as model
def save_array(path, arr):
    open(path, "wb").write(b"half a table")
    os.kill(os.getpid(), signal.SIGKILL)
model.save_array = save_array
from embedcli.cli import main
main(sys.argv[1:], prog_name="embedcli")
"""


def test_the_next_run_removes_what_a_run_killed_while_saving_left(tmp_path):
    corpus = big_corpus(tmp_path / "c.txt", tokens=20_000)
    out = tmp_path / "model"
    args = ["train", str(corpus), "-o", str(out), "--epochs", "1", "--dim", "8", "--quiet", "--workers", "1"]
    assert subprocess.run([sys.executable, "-m", "embedcli", *args]).returncode == 0
    entries = sorted(os.listdir(tmp_path))
    killed = subprocess.run([sys.executable, "-c", _KILLED_WHILE_SAVING, *args], capture_output=True, timeout=120)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert len(os.listdir(tmp_path)) == len(entries) + 1  # its half-written model directory, hidden
    assert subprocess.run([sys.executable, "-m", "embedcli", *args, "--seed", "3"]).returncode == 0
    assert sorted(os.listdir(tmp_path)) == entries


def test_interrupt_after_a_checkpoint_says_how_to_resume(tmp_path):
    # with --checkpoint-every, the model directory holds the last checkpoint when the run is stopped:
    # 'nothing was written (existing outputs are unchanged)' was false (and with --continue-from in
    # place, the continued model had been replaced); the message names the checkpoint and --resume
    corpus = big_corpus(tmp_path / "big.txt")
    out = tmp_path / "model"
    proc = run(["train", str(corpus), "-o", str(out), "--epochs", "200", "--dim", "8", "--checkpoint-every", "1"])
    lines = [proc.stderr.readline() for _ in range(2)]
    assert lines[1].startswith("checkpoint after epoch 1 saved to"), lines
    assert proc.poll() is None, "training finished before the signal: make the corpus bigger"
    proc.send_signal(signal.SIGINT)
    stdout, rest = proc.communicate(timeout=60)
    assert proc.returncode == 130, rest
    error = rest.splitlines()[-1]
    assert error.startswith(f"Error: interrupted; {out} holds the checkpoint after epoch "), rest
    assert error.endswith(f"(continue with: embedcli train --resume {out})"), rest
    assert "nothing was written" not in rest and "Traceback" not in rest
    epoch = int(error.split("after epoch ")[1].split()[0])
    state = json.loads((out / "train_state.json").read_text())
    assert state["epochs_done"] == epoch and not state["complete"]
