"""Cross-cutting reliability: no tracebacks for user mistakes, atomic writes, --debug. The library;
the command-line tests are in test_cli_reliability.py."""

import os

import pytest

from embedcli.io import atomic_directory, atomic_path, atomic_write


def test_atomic_write_keeps_the_old_file_on_failure(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_write(target) as f:
            f.write("half of the new")
            raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]
    with pytest.raises(KeyboardInterrupt):
        with atomic_path(target) as tmp:
            open(tmp, "w").write("x")
            raise KeyboardInterrupt
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_atomic_write_keeps_permissions(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    target.chmod(0o640)
    with atomic_write(target) as f:
        f.write("new")
    assert target.read_text() == "new" and (target.stat().st_mode & 0o777) == 0o640


def test_atomic_directory_swaps_only_when_complete(tmp_path):
    target = tmp_path / "model"
    target.mkdir()
    (target / "a.txt").write_text("old model")
    with pytest.raises(KeyboardInterrupt):
        with atomic_directory(target) as tmp:
            (open(os.path.join(tmp, "a.txt"), "w")).write("partial")
            raise KeyboardInterrupt
    assert (target / "a.txt").read_text() == "old model"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]
    target.chmod(0o750)
    with atomic_directory(target) as tmp:
        open(os.path.join(tmp, "b.txt"), "w").write("new model")
    assert sorted(p.name for p in target.iterdir()) == ["b.txt"]
    assert target.stat().st_mode & 0o777 == 0o750  # the replaced directory's mode is kept
    fresh = tmp_path / "fresh"
    umask = os.umask(0o022)
    try:
        with atomic_directory(fresh):
            pass
    finally:
        os.umask(umask)
    assert fresh.stat().st_mode & 0o777 == 0o755  # not mkdtemp's 0700
    fresh.rmdir()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


def test_a_model_directory_in_use_by_another_run_is_not_swept(tmp_path):
    import fcntl

    from embedcli.io import atomic_directory

    busy, stale = tmp_path / ".m.busy0000.tmp", tmp_path / ".m.stale000.tmp"
    other = tmp_path / ".m.x.stale000.tmp"  # model "m.x"'s, not "m"'s
    for d in (busy, stale, other):
        d.mkdir()
        (d / "table.npy").write_bytes(b"partial")
    fd = os.open(busy, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as a run writing it holds it
        with atomic_directory(tmp_path / "m") as d:
            (open(os.path.join(d, "x"), "w")).close()
    finally:
        os.close(fd)
    assert sorted(os.listdir(tmp_path)) == [".m.busy0000.tmp", ".m.x.stale000.tmp", "m"]


def test_the_next_write_removes_what_a_killed_writer_left(tmp_path):
    """`embedcli show-table MODEL --format word2vec -o v.txt` killed (SIGKILL) while it writes
    leaves its hidden .v.txt.XXXXXXXX.tmp; the next write of v.txt removes it, not another's."""
    import fcntl
    import subprocess
    import sys

    target = tmp_path / "v.txt"
    killed = ("import os, signal, sys\nfrom embedcli.io import atomic_write\n"
              "with atomic_write(sys.argv[1]) as f:\n    f.write('half'); f.flush(); os.kill(os.getpid(), signal.SIGKILL)\n")
    assert subprocess.run([sys.executable, "-c", killed, str(target)]).returncode == -9
    assert len(os.listdir(tmp_path)) == 1 and not target.exists()
    busy = tmp_path / ".v.txt.busy0000.tmp"  # another process writing v.txt now
    busy.write_text("partial")
    fd = os.open(busy, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with atomic_write(target) as f:
            f.write("whole")
    finally:
        os.close(fd)
    assert sorted(os.listdir(tmp_path)) == [".v.txt.busy0000.tmp", "v.txt"] and target.read_text() == "whole"
