"""Compressed files, directories and several inputs: same bytes as over the plain text (issue #13.1)."""

from __future__ import annotations

import bz2
import gzip
import lzma
import os

import numpy as np
import pytest

import embedcli.pool as pool_mod
import embedcli.shards as shards_mod
from embedcli.cli import main

from support import REPO

SAMPLE = os.path.join(REPO, "sample_data")


CORPUS = os.path.join(SAMPLE, "corpus.txt")


COMPRESS = {"gz": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress}


def ok(runner, *args, input=None):
    result = runner.invoke(main, [str(a) for a in args], input=input)
    assert result.exit_code == 0, result.output
    return result


def fail(runner, *args):
    result = runner.invoke(main, [str(a) for a in args])
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    return result.output.strip()


@pytest.mark.parametrize("kind", sorted(COMPRESS))
def test_compressed_corpus_gives_the_bytes_of_the_plain_text(runner, tmp_path, kind):
    text = open(CORPUS, "rb").read()
    packed = tmp_path / "corpus.data"  # recognised by its magic bytes, not its name
    packed.write_bytes(COMPRESS[kind](text))
    ok(runner, "vocab", CORPUS, "-o", tmp_path / "plain.json", "-q")
    ok(runner, "vocab", packed, "-o", tmp_path / "packed.json", "-q")
    assert (tmp_path / "plain.json").read_bytes() == (tmp_path / "packed.json").read_bytes()
    for src, out in ((CORPUS, "plain.npy"), (packed, "packed.npy")):
        ok(runner, "encode", "-v", tmp_path / "plain.json", "-i", src, "--maxlen", "12", "-o", tmp_path / out, "-q")
    assert (tmp_path / "plain.npy").read_bytes() == (tmp_path / "packed.npy").read_bytes()
    for src, out in ((CORPUS, "mp"), (packed, "mc")):
        ok(runner, "train", src, "-o", tmp_path / out, "--dim", "8", "--epochs", "1", "--workers", "1", "-q")
    assert (tmp_path / "mp" / "table.npy").read_bytes() == (tmp_path / "mc" / "table.npy").read_bytes()


def test_compressed_stdin(runner, tmp_path):
    ok(runner, "vocab", CORPUS, "-o", tmp_path / "plain.json", "-q")
    result = ok(runner, "vocab", "-", "-o", "-", "-q", input=gzip.compress(open(CORPUS, "rb").read()))
    assert result.stdout_bytes == (tmp_path / "plain.json").read_bytes()


def _split_corpus(tmp_path):
    lines = open(CORPUS, encoding="utf-8").read().splitlines(keepends=True)
    root = tmp_path / "shards"
    (root / "b" / "c").mkdir(parents=True)
    (root / "a.txt").write_text("".join(lines[:500]), encoding="utf-8")
    (root / "b" / "c" / "d.txt.gz").write_bytes(gzip.compress("".join(lines[500:1500]).encode()))
    (root / "b" / "e.xz").write_bytes(lzma.compress("".join(lines[1500:2500]).encode()))
    (root / "c.bz2").write_bytes(bz2.compress("".join(lines[2500:]).encode()))
    # sorted path order: a.txt, b/c/d.txt.gz, b/e.xz, c.bz2 = the corpus in order
    return root


def test_directory_is_every_file_inside_in_sorted_path_order(runner, tmp_path):
    root = _split_corpus(tmp_path)
    ok(runner, "vocab", CORPUS, "-o", tmp_path / "plain.json", "-q")
    ok(runner, "vocab", root, "-o", tmp_path / "dir.json", "-q")
    assert (tmp_path / "plain.json").read_bytes() == (tmp_path / "dir.json").read_bytes()
    ok(runner, "vocab", root / "a.txt", root / "b", root / "c.bz2", "-o", tmp_path / "several.json", "-q")
    assert (tmp_path / "several.json").read_bytes() == (tmp_path / "plain.json").read_bytes()
    ok(runner, "encode", "-v", tmp_path / "plain.json", "-i", CORPUS, "--maxlen", "9", "-o", tmp_path / "p.npy", "-q")
    ok(runner, "encode", "-v", tmp_path / "plain.json", "-i", root / "a.txt", "-i", root / "b", "-i", root / "c.bz2",
       "--maxlen", "9", "-o", tmp_path / "d.npy", "-q")
    assert np.array_equal(np.load(tmp_path / "p.npy"), np.load(tmp_path / "d.npy"))
    ok(runner, "train", CORPUS, "-o", tmp_path / "mp", "--dim", "8", "--epochs", "1", "--workers", "1", "-q")
    ok(runner, "train", root, "-o", tmp_path / "md", "--dim", "8", "--epochs", "1", "--workers", "1", "-q")
    assert (tmp_path / "mp" / "table.npy").read_bytes() == (tmp_path / "md" / "table.npy").read_bytes()
    (tmp_path / "empty").mkdir()
    assert fail(runner, "vocab", tmp_path / "empty", "-o", tmp_path / "x.json") \
        == f"Error: {tmp_path / 'empty'}: directory has no files to read"


def test_several_compressed_files_are_counted_by_several_processes(runner, tmp_path, monkeypatch):
    monkeypatch.setattr(pool_mod, "PARALLEL_MIN_BYTES", 0)
    root = _split_corpus(tmp_path)
    files = pool_mod.eio.expand_inputs([root])
    assert len(shards_mod.plan_jobs(files, 4)) == 4  # one job per file (a stream cannot be cut)
    ok(runner, "vocab", CORPUS, "-o", tmp_path / "plain.json", "-q")
    ok(runner, "vocab", root, "--workers", "4", "-o", tmp_path / "w4.json", "-q")
    assert (tmp_path / "plain.json").read_bytes() == (tmp_path / "w4.json").read_bytes()


def test_classifier_reads_compressed_training_and_test_files(runner, tmp_path):
    labeled = os.path.join(SAMPLE, "labeled.txt")
    test = os.path.join(SAMPLE, "labeled_test.txt")
    (tmp_path / "train.gz").write_bytes(gzip.compress(open(labeled, "rb").read()))
    (tmp_path / "test.bz2").write_bytes(bz2.compress(open(test, "rb").read()))
    ok(runner, "train", labeled, "--objective", "classify", "-o", tmp_path / "a", "--epochs", "2", "-q")
    ok(runner, "train", tmp_path / "train.gz", "--objective", "classify", "-o", tmp_path / "b", "--epochs", "2", "-q")
    assert (tmp_path / "a" / "table.npy").read_bytes() == (tmp_path / "b" / "table.npy").read_bytes()
    assert ok(runner, "test", tmp_path / "a", test).output == ok(runner, "test", tmp_path / "a", tmp_path / "test.bz2").output
    plain = ok(runner, "predict", tmp_path / "a", "-i", test, "-k", "2").output
    assert plain == ok(runner, "predict", tmp_path / "a", "-i", tmp_path / "test.bz2", "-k", "2").output


def test_broken_compressed_data_is_one_line(runner, tmp_path):
    data = gzip.compress(open(CORPUS, "rb").read())
    (tmp_path / "cut.gz").write_bytes(data[: len(data) // 2])
    assert fail(runner, "vocab", tmp_path / "cut.gz", "-o", tmp_path / "v.json") \
        == f"Error: {tmp_path / 'cut.gz'}: gzip data is truncated"
    bad = bytearray(lzma.compress(b"hello world\n" * 1000))
    bad[len(bad) // 2] ^= 0xFF
    (tmp_path / "bad.xz").write_bytes(bytes(bad))
    message = fail(runner, "train", tmp_path / "bad.xz", "-o", tmp_path / "m")
    assert message.startswith(f"Error: {tmp_path / 'bad.xz'}: xz data is corrupt") and "\n" not in message
