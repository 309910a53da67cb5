"""What users keep from a run: encode's truncation report (issue #13.2) and plain, flushed logs
when the output is not a terminal (issue #13.3)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np

from embedcli.cli import main

from support import REPO

SAMPLE = os.path.join(REPO, "sample_data")


PHRASES = ["buy cheap pills now please buy", "see you at noon", "win a prize today click here now", "ok",
           "lunch tomorrow"]


def _vocab(runner, tmp_path):
    (tmp_path / "p.txt").write_text("\n".join(PHRASES) + "\n")
    r = runner.invoke(main, ["vocab", str(tmp_path / "p.txt"), "-o", str(tmp_path / "v.json"), "-q"])
    assert r.exit_code == 0, r.output
    return tmp_path / "p.txt", tmp_path / "v.json"


def test_encode_reports_what_maxlen_cut(runner, tmp_path):
    phrases, vocab = _vocab(runner, tmp_path)
    for out in ("ids.npy", "ids.csv"):  # the fast .npy path and the spooled path
        r = runner.invoke(main, ["encode", "-v", str(vocab), "-i", str(phrases), "--maxlen", "5",
                                 "-o", str(tmp_path / out), "--json"])
        assert r.exit_code == 0, r.output
        summary = json.loads(r.stdout)
        assert summary["truncated"] == 2 and summary["longest"] == 7 and summary["rows"] == 5
        r = runner.invoke(main, ["encode", "-v", str(vocab), "-i", str(phrases), "--maxlen", "5", "-o", str(tmp_path / out)])
        assert "2 phrases cut to 5 ids (longest: 7)" in r.stdout
    r = runner.invoke(main, ["encode", "-v", str(vocab), "-i", str(phrases), "--maxlen", "7", "-o", str(tmp_path / "a.npy")])
    assert "none cut (longest: 7)" in r.stdout
    r = runner.invoke(main, ["encode", "-v", str(vocab), "-i", str(phrases), "--maxlen", "5", "--json"])
    data = json.loads(r.stdout)
    assert data["truncated"] == 2 and data["longest"] == 7 and np.array(data["sequences"]).shape == (5, 5)
    r = runner.invoke(main, ["encode", "-v", str(vocab), "-i", str(phrases), "--maxlen", "5", "--format", "csv"])
    assert r.stdout.count("\n") == 5  # rows on stdout, the note on stderr
    assert r.stderr.strip() == "2 of 5 phrases were longer than --maxlen 5 and lost their first words (longest: 7 ids)"


def test_train_log_is_plain_lines_written_as_they_happen(tmp_path, big_corpus):
    corpus = big_corpus
    log = open(tmp_path / "log.txt", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "embedcli", "train", str(corpus), "-o", str(tmp_path / "m"),
                             "--epochs", "40", "--dim", "8", "--workers", "1"], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        text = ""
        while time.monotonic() < deadline and "epoch 2/40 done" not in text:
            time.sleep(0.1)
            text = (tmp_path / "log.txt").read_text()
            assert proc.poll() is None, text
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        log.close()
    lines = text.splitlines()
    assert lines[0].startswith("epoch 1/40 ") and "epoch 2/40 done  loss " in text
    assert all(line == line.rstrip() and "\x1b" not in line for line in lines)


def test_train_summary_in_a_file_is_not_wrapped(tmp_path):
    with open(tmp_path / "out.txt", "w") as out:
        subprocess.run([sys.executable, "-m", "embedcli", "train", os.path.join(SAMPLE, "corpus.txt"),
                        "-o", str(tmp_path / "m"), "--epochs", "2", "--dim", "8"], stdout=out,
                       stderr=subprocess.STDOUT, check=True, env={**os.environ, "COLUMNS": "60"})
    text = (tmp_path / "out.txt").read_text()
    lines = text.splitlines()
    assert "epoch 1/2 done" in lines[0] and "epoch 2/2 done" in lines[1]
    assert all(line == line.rstrip() and "\x1b" not in line for line in lines)
    near = [line for line in lines if line.startswith("near ")]
    assert len(near) >= 1 and all(line.count(",") == 4 for line in near)  # 5 neighbours on each line


def test_quiet_help_says_where_things_go_and_quiet_prints_nothing(runner, tmp_path):
    help_text = " ".join(runner.invoke(main, ["train", "--help"]).output.split())
    assert "Progress goes to stderr; the summary to stdout" in help_text
    proc = subprocess.run([sys.executable, "-m", "embedcli", "train", os.path.join(SAMPLE, "corpus.txt"),
                           "-o", str(tmp_path / "m"), "--epochs", "1", "--dim", "8", "-q"], capture_output=True)
    assert proc.returncode == 0 and proc.stdout == b"" and proc.stderr == b""
    proc = subprocess.run([sys.executable, "-m", "embedcli", "train", os.path.join(SAMPLE, "corpus.txt"),
                           "-o", str(tmp_path / "m"), "--epochs", "1", "--dim", "8"], capture_output=True, text=True)
    assert proc.stdout.startswith("trained skipgram") and proc.stderr.startswith("epoch 1/1 done")
