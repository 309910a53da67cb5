"""Inputs given as fsspec URLs (``file://`` here; ``s3://``, ``gs://``, ``hdfs://`` the same way):
read through fsspec from the start, plain or compressed, by every command on one machine.
``train --dask`` with a URL corpus is in tests/test_cli_cluster.py."""

import gzip
import os
import shutil

import yaml

from embedcli.cli import main

from support import REPO

SAMPLE = os.path.join(REPO, "sample_data", "corpus.txt")


def url(path) -> str:
    return "file://" + os.path.abspath(path)


def run(runner, *args):
    result = runner.invoke(main, [*map(str, args)])
    return result


def test_train_from_a_url_equals_the_local_file_and_keeps_the_url(runner, tmp_path):
    plain = tmp_path / "corpus.txt"
    shutil.copy(SAMPLE, plain)
    packed = tmp_path / "corpus.txt.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    common = ["--dim", "8", "--epochs", "1", "--workers", "1", "-q"]
    assert run(runner, "train", plain, "-o", tmp_path / "local", *common).exit_code == 0
    for name, source in (("url", url(plain)), ("gzurl", url(packed))):
        result = run(runner, "train", source, "-o", tmp_path / name, *common)
        assert result.exit_code == 0, result.output
        for f in ("table.npy", "vocab.json", "output.npy"):
            assert (tmp_path / name / f).read_bytes() == (tmp_path / "local" / f).read_bytes(), (name, f)
        config = yaml.safe_load((tmp_path / name / "config.yaml").read_text())
        assert config["corpus"] == [source]  # kept as given, not turned into a local path
    # the saved config trains again from the URL
    result = run(runner, "train", "--config", tmp_path / "url" / "config.yaml", "-o", tmp_path / "again", "-q")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "again" / "table.npy").read_bytes() == (tmp_path / "local" / "table.npy").read_bytes()


def test_vocab_and_encode_from_urls_equal_local_files(runner, tmp_path):
    plain = tmp_path / "corpus.txt"
    shutil.copy(SAMPLE, plain)
    assert run(runner, "vocab", plain, "-o", tmp_path / "a.json", "-q").exit_code == 0
    assert run(runner, "vocab", url(plain), "-o", tmp_path / "b.json", "-q").exit_code == 0
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()
    for name, source in (("a", plain), ("b", url(plain))):
        result = run(runner, "encode", "-v", tmp_path / "a.json", "-i", source, "--maxlen", "6",
                     "-o", tmp_path / f"{name}.npy", "-q")
        assert result.exit_code == 0, result.output
    assert (tmp_path / "a.npy").read_bytes() == (tmp_path / "b.npy").read_bytes()


def test_a_missing_url_is_one_line_naming_it(runner, tmp_path):
    missing = url(tmp_path / "nope.txt")
    result = run(runner, "train", missing, "-o", tmp_path / "m", "-q")
    assert result.exit_code != 0
    assert f"{missing}: no such file" in result.output
    assert "Traceback" not in result.output
    result = run(runner, "train", url(tmp_path), "-o", tmp_path / "m", "-q")
    assert result.exit_code != 0 and "is a directory" in result.output
