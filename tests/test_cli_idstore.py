"""The one on-disk id store: anonymous temporary files that a killed process cannot leave behind.
Through the command line; the library tests are in test_idstore.py."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from support import REPO


def _fds_in(pid: int, directory: str) -> list[str]:
    out = []
    fd_dir = f"/proc/{pid}/fd"
    for fd in os.listdir(fd_dir):
        try:
            target = os.readlink(os.path.join(fd_dir, fd))
        except OSError:
            continue
        if target.startswith(directory + os.sep):
            out.append(target)
    return out


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc to see the open store")
@pytest.mark.parametrize("how, objective", [("--tmp-dir", "skipgram"), ("TMPDIR", "skipgram"),
                                            ("--tmp-dir", "classify")])
def test_sigkilled_train_leaves_nothing_in_the_temp_dir(tmp_path, big_corpus, how, objective):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    env = dict(os.environ)
    if objective == "classify":
        corpus = os.path.join(REPO, "sample_data",
                              "labeled.txt")
        extra = ["--objective", "classify", "--epochs", "5000"]
    else:
        corpus = big_corpus
        extra = ["--epochs", "200", "--workers", "1"]
    args = [sys.executable, "-m", "embedcli", "train", str(corpus), "-o", str(tmp_path / "m"), "--dim", "8", *extra]
    if how == "--tmp-dir":
        args += ["--tmp-dir", str(scratch)]
        env["TMPDIR"] = str(tmp_path)  # the flag wins over TMPDIR
    else:
        env["TMPDIR"] = str(scratch)
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        open_store = []
        while time.monotonic() < deadline and proc.poll() is None:
            open_store = _fds_in(proc.pid, str(scratch))
            if open_store:
                break
            time.sleep(0.05)
        assert open_store, f"the id store never opened in {scratch}: {proc.stderr.read().decode()[-500:]}"
        time.sleep(0.5)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert os.listdir(scratch) == []  # a killed run leaves no file behind
    assert all("(deleted)" in t or "#" in os.path.basename(t) for t in open_store)
