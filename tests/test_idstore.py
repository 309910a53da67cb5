"""The one on-disk id store: anonymous temporary files that a killed process cannot leave behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from embedcli.errors import EmbedcliError
from embedcli.idstore import IdStore, scratch_array


def test_store_appends_reads_blocks_and_has_no_name(tmp_path):
    with IdStore(np.int32, tmp_path) as store:
        store.append(np.arange(10, dtype=np.int64))  # converted to the store's dtype
        store.append([])
        store.append(np.array([-1, 7], dtype=np.int32))
        assert os.listdir(tmp_path) == []  # never a name in the directory
        assert store.count == 12 and len(store) == 12
        assert store.array().tolist() == list(range(10)) + [-1, 7]
        blocks = list(store.blocks(5))
        assert [len(b) for b in blocks] == [5, 5, 2] and blocks[0].flags.writeable
        assert np.concatenate(blocks).tolist() == store.array().tolist()
        assert store.view().dtype == np.int32 and store.view()[-2:].tolist() == [-1, 7]
        assert store.read(11, 100).tolist() == [7]
    assert store.closed
    wide = IdStore(np.int64, tmp_path)
    wide.append(np.array([2**40]))
    assert wide.array().tolist() == [2**40]
    wide.close()
    arr = scratch_array((3, 4), np.int64, tmp_path)
    arr[1, 2] = 5
    assert arr.sum() == 5 and os.listdir(tmp_path) == []


def test_missing_tmp_dir_is_one_clear_error(tmp_path):
    with pytest.raises(EmbedcliError, match="no such directory"):
        IdStore(np.int32, tmp_path / "missing")


def _big_corpus(path, tokens=400_000):
    rng = np.random.default_rng(0)
    words = np.array([f"w{i}" for i in range(3000)])
    ids = rng.zipf(1.2, tokens) % len(words)
    path.write_text("\n".join(" ".join(words[ids[i : i + 20]]) for i in range(0, tokens, 20)) + "\n")
    return path


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
def test_sigkilled_train_leaves_nothing_in_the_temp_dir(tmp_path, how, objective):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    env = dict(os.environ)
    if objective == "classify":
        corpus = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "sample_data",
                              "labeled.txt")
        extra = ["--objective", "classify", "--epochs", "5000"]
    else:
        corpus = _big_corpus(tmp_path / "big.txt")
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
