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


def test_extend_keeps_ids_and_appends_new_words(runner, seed_corpus, tmp_path):
    """vocab --extend: the Keras-style ids of a vocabulary stay valid as it grows with new text."""
    base = tmp_path / "v.json"
    assert runner.invoke(main, ["vocab", str(seed_corpus), "-o", str(base), "-q"]).exit_code == 0
    more = tmp_path / "more.txt"
    more.write_text("See you at the café\nthe café again, and again\n", encoding="utf-8")
    out = tmp_path / "v2.json"
    r = runner.invoke(main, ["vocab", str(more), "--extend", str(base), "-o", str(out), "--min-count", "2", "--json"])
    assert r.exit_code == 0, r.output
    summary = json.loads(r.stdout)
    assert summary["extended"] == {"vocab": str(base), "size_before": 9, "words_added": 2}
    assert summary["added"] == [{"index": 9, "token": "the", "count": 2}, {"index": 10, "token": "café", "count": 2}]
    old, new = json.loads(base.read_text()), json.loads(out.read_text())
    assert new["tokens"] == old["tokens"] + ["the", "café"]
    idx = {t: i for i, t in enumerate(new["tokens"])}
    assert new["counts"][idx["again"]] == old["counts"][idx["again"]] + 2 and new["counts"][idx["see"]] == 3
    assert new["counts"][idx[UNK]] == 2  # 'at' and 'and': once each, below --min-count 2
    r = runner.invoke(main, ["encode", "-v", str(out), "Nice to see you again at the café"])
    assert json.loads(r.output) == [[7, 3, 4, 5, 8, 1, 9, 10]]  # the seed ids, then the new words
    r = runner.invoke(main, ["vocab", str(more), "--extend", str(base), "-o", str(out)])
    assert r.exit_code == 0 and "the 9 of" in r.output and "4 words added" in " ".join(r.output.split())  # min count 1


@pytest.mark.parametrize("flag,message", [
    ("--no-lower", "splits text with --lower, and --extend splits CORPUS as it does"),
    ("--keep-punct", "splits text with --no-keep-punct"),  # a flag of vocab's, as the message says
    ("--no-specials", "--extend keeps the specials of"),
    ("--partial", "--extend writes a vocabulary; --partial writes counts to merge"),
])
def test_extend_refuses_flags_that_would_change_the_vocabulary(runner, seed_corpus, tmp_path, flag, message):
    base = tmp_path / "v.json"
    runner.invoke(main, ["vocab", str(seed_corpus), "-o", str(base), "-q"])
    r = runner.invoke(main, ["vocab", str(seed_corpus), "--extend", str(base), "-o", str(tmp_path / "x.json"), flag])
    assert r.exit_code == 2 and message in r.output and "Traceback" not in r.output
    assert not (tmp_path / "x.json").exists()


@pytest.mark.parametrize("build, flags", [([], ["--specials", "--lower", "--no-keep-punct"]),
                                          (["--no-specials", "--no-lower"], ["--no-specials", "--no-lower"])])
def test_extend_takes_flags_that_agree_with_the_vocabulary(runner, seed_corpus, tmp_path, build, flags):
    """A script that builds and extends with the same flags: --lower or --no-lower that agrees was taken, but
    --no-specials with a vocabulary without specials (and --specials with one with them) was refused as if it
    would change them ('--no-specials: --extend keeps the specials of v.json')."""
    base = tmp_path / "v.json"
    runner.invoke(main, ["vocab", str(seed_corpus), "-o", str(base), "-q", *build])
    r = runner.invoke(main, ["vocab", str(seed_corpus), "--extend", str(base), "-o", str(tmp_path / "x.json"), "-q",
                             *flags])
    assert r.exit_code == 0, r.output
    assert json.loads((tmp_path / "x.json").read_text())["tokens"] == json.loads(base.read_text())["tokens"]
    r = runner.invoke(main, ["vocab", str(seed_corpus), "--extend", str(base), "-o", str(tmp_path / "y.json"),
                             "--no-specials" if flags[0] == "--specials" else "--specials"])
    assert r.exit_code == 2 and "--extend keeps the specials of" in r.output


def test_extend_in_the_library():
    from embedcli import Vocab

    v = Vocab.build(["Hope to see you soon"], specials=False).extend(["Nice to see you again"], order="frequency",
                                                                     max_size=6)
    assert v.tokens == ["hope", "to", "see", "you", "soon", "nice"]  # room for one more: the first of the ties
    assert v.counts == [1, 2, 2, 2, 1, 1] and v.encode(["Nice to see you again"], oov="skip") == [[5, 1, 2, 3]]


def test_extend_reading_the_vocabulary_and_the_corpus_from_stdin_is_refused(runner, seed_corpus, tmp_path):
    """`vocab - --extend -`: the vocabulary took standard input and the error blamed the corpus text read as it
    ('<stdin>: not a vocabulary file: it is not JSON'); stdin can be one of them."""
    base = runner.invoke(main, ["vocab", str(seed_corpus), "-o", "-", "-q"]).stdout
    r = runner.invoke(main, ["vocab", "-", "--extend", "-", "-o", str(tmp_path / "v.json")], input=base)
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert r.output.strip() == "Error: --extend - reads the vocabulary from standard input; give CORPUS as files"
    more = tmp_path / "more.txt"
    more.write_text("new words\n", encoding="utf-8")
    r = runner.invoke(main, ["vocab", str(more), "--extend", "-", "-o", "-", "-q"], input=base)
    assert r.exit_code == 0 and json.loads(r.stdout)["tokens"][-2:] == ["new", "words"]
    r = runner.invoke(main, ["vocab", "-", "--extend", str(tmp_path / "v2.json"), "-o", "-", "-q"], input="x\n")
    assert r.exit_code == 1 and "v2.json: no such file" in r.output
