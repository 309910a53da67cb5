"""Tests of vocab. Through the command line; the library tests are in test_vocab.py."""

import json

import pytest

from embedcli.cli import main
from embedcli.vocab import PAD, UNK


# ---- command line ---------------------------------------------------------------------------

def test_cli_seed_no_specials(runner, seed_corpus, tmp_path):
    out = tmp_path / "v.json"
    r = runner.invoke(main, ["vocab", str(seed_corpus), "--no-specials", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert json.loads(out.read_text())["tokens"] == ["hope", "to", "see", "you", "soon", "nice", "again"]
    assert "7 entries" in r.output


def test_cli_json_summary_and_options(runner, seed_corpus, tmp_path):
    out = tmp_path / "v.json"
    r = runner.invoke(main, ["vocab", str(seed_corpus), "-o", str(out), "--order", "frequency",
                             "--min-count", "2", "--json"])
    assert r.exit_code == 0, r.output
    summary = json.loads(r.output)
    assert summary["size"] == 5 and summary["corpus_tokens"] == 10
    assert [row["token"] for row in summary["first"]] == [PAD, UNK, "to", "see", "you"]
    assert summary["coverage"] == pytest.approx(0.6)


def test_cli_stdin_to_stdout(runner):
    r = runner.invoke(main, ["vocab", "-", "-o", "-", "--no-specials", "-q"], input="b a b\n")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["tokens"] == ["b", "a"]


def test_cli_keep_case_and_punct(runner, tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text("Hello, hello!\n")
    out = tmp_path / "v.json"
    r = runner.invoke(main, ["vocab", str(corpus), "-o", str(out), "--no-lower", "--keep-punct", "--no-specials"])
    assert r.exit_code == 0, r.output
    data = json.loads(out.read_text())
    assert data["tokens"] == ["Hello", ",", "hello", "!"]
    assert data["normalization"]["lower"] is False and data["normalization"]["keep_punct"] is True


@pytest.mark.parametrize(
    "setup, args, code, message",
    [
        (lambda p: None, ["missing.txt"], 1, "missing.txt: no such file"),
        (lambda p: (p / "empty.txt").write_text(""), ["empty.txt"], 1, "no words found"),
        (lambda p: (p / "bin.dat").write_bytes(b"\x00\x01\x02PNG"), ["bin.dat"], 1, "binary"),
        (lambda p: (p / "bad.txt").write_bytes(b"ok line\nbad \xff line\n"), ["bad.txt"], 1, "line 2: invalid UTF-8"),
        (lambda p: (p / "c.txt").write_text("a b"), ["c.txt", "--min-count", "5"], 1, "removes every word"),
        (lambda p: (p / "c.txt").write_text("a b"), ["c.txt", "--min-count", "0"], 2, "--min-count"),
    ],
)
def test_cli_errors_are_one_line(runner, tmp_path, monkeypatch, setup, args, code, message):
    monkeypatch.chdir(tmp_path)
    setup(tmp_path)
    r = runner.invoke(main, ["vocab", *args, "-o", "v.json"])
    assert r.exit_code == code, r.output
    assert message in r.output
    assert "Traceback" not in r.output
    assert not (tmp_path / "v.json").exists()


def test_cli_invalid_utf8_can_be_replaced(runner, tmp_path):
    corpus = tmp_path / "bad.txt"
    corpus.write_bytes(b"good \xff word\n")
    r = runner.invoke(main, ["vocab", str(corpus), "-o", str(tmp_path / "v.json"), "--encoding-errors", "replace", "-q"])
    assert r.exit_code == 0, r.output
    assert json.loads((tmp_path / "v.json").read_text())["tokens"][2:] == ["good", "word"]


def test_cli_output_into_missing_directory(runner, seed_corpus, tmp_path):
    r = runner.invoke(main, ["vocab", str(seed_corpus), "-o", str(tmp_path / "nope" / "v.json")])
    assert r.exit_code == 0, r.output  # missing parent directories are created
    assert (tmp_path / "nope" / "v.json").is_file()


def test_failed_run_leaves_existing_file(runner, tmp_path):
    out = tmp_path / "v.json"
    out.write_text("precious")
    corpus = tmp_path / "bad.txt"
    corpus.write_bytes(b"fine\n" * 10 + b"\xff\n")
    r = runner.invoke(main, ["vocab", str(corpus), "-o", str(out)])
    assert r.exit_code == 1
    assert out.read_text() == "precious"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
