"""Tests of encode. Through the command line; the library tests are in test_encode.py."""

import csv
import json

import numpy as np
import pytest

from embedcli.cli import main
from embedcli.vocab import Vocab

from support.encode import keras_pad_sequences


@pytest.fixture
def vocab_files(runner, seed_corpus, tmp_path):
    plain = tmp_path / "plain.json"
    full = tmp_path / "full.json"
    assert runner.invoke(main, ["vocab", str(seed_corpus), "--no-specials", "-o", str(plain), "-q"]).exit_code == 0
    assert runner.invoke(main, ["vocab", str(seed_corpus), "-o", str(full), "-q"]).exit_code == 0
    return plain, full


def test_cli_seed_example_both_ways(runner, vocab_files):
    plain, full = vocab_files
    r = runner.invoke(main, ["encode", "-v", str(plain), "Nice to see you again"])
    assert r.exit_code == 0, r.output
    assert r.output.strip() == "[[5, 1, 2, 3, 6]]"
    r = runner.invoke(main, ["encode", "-v", str(full), "Nice to see you again"])
    assert r.output.strip() == "[[7, 3, 4, 5, 8]]"
    r = runner.invoke(main, ["encode", "-v", str(plain), "Hope to see you soon", "Nice to see you again"])
    assert r.output.strip() == "[[0, 1, 2, 3, 4],\n [5, 1, 2, 3, 6]]"  # a row on each line, as NumPy prints


def test_padding_with_a_word_id_says_so(runner, vocab_files):
    """A vocabulary without <pad> (vocab --no-specials) pads with 0, as Keras does, and 0 is its first
    word's id: padded rows read as 'hope hope nice ...'. One note on stderr says how many rows and
    which word, and how to choose; none when nothing was padded, with --pad-value or --quiet."""
    plain, full = vocab_files
    r = runner.invoke(main, ["encode", "-v", str(plain), "Nice to see you again", "hope", "--maxlen", "3"])
    assert r.exit_code == 0 and r.stdout.strip() == "[[2, 3, 6],\n [0, 0, 0]]"  # pad, pad, hope: all 0
    assert r.stderr.splitlines()[0] == (f"note: {plain} has no <pad>: 1 row padded with 0, the id of 'hope' "
                                        "(--pad-value to choose another)")
    for args in (["--maxlen", "1"], ["--maxlen", "3", "--pad-value", "-1"], ["--maxlen", "3", "-q"]):
        r = runner.invoke(main, ["encode", "-v", str(plain), "Nice to see you again", "hope", *args])
        assert r.exit_code == 0 and r.stdout.count("[") == 3 and "no <pad>" not in r.stderr, args
    r = runner.invoke(main, ["encode", "-v", str(full), "Nice to see you again", "hope", "--maxlen", "3"])
    assert r.exit_code == 0 and "no <pad>" not in r.stderr  # <pad> is padding
    out = str(plain) + ".npy"
    r = runner.invoke(main, ["encode", "-v", str(plain), "Nice to see you again", "hope", "--maxlen", "8", "-o", out])
    assert r.exit_code == 0 and "2 rows padded with 0, the id of 'hope'" in r.stderr


@pytest.mark.parametrize("padding", ["pre", "post"])
@pytest.mark.parametrize("truncating", ["pre", "post"])
@pytest.mark.parametrize("maxlen", [None, 2, 7])
def test_cli_modes_match_keras(runner, vocab_files, padding, truncating, maxlen):
    _, full = vocab_files
    phrases = ["Nice to see you again", "hope", "", "see you soon soon soon soon", "zebra to"]
    args = ["encode", "-v", str(full), "--padding", padding, "--truncating", truncating, "--json", *phrases]
    if maxlen:
        args += ["--maxlen", str(maxlen)]
    r = runner.invoke(main, args)
    assert r.exit_code == 0, r.output
    got = json.loads(r.output)["sequences"]
    v = Vocab.load(full)
    ids = [v.lookup(__import__("embedcli.text", fromlist=["tokenize"]).tokenize(p)) for p in phrases]
    assert got == keras_pad_sequences(ids, maxlen, padding, truncating, value=0).tolist()


def test_cli_oov_modes_without_specials(runner, vocab_files):
    plain, _ = vocab_files
    r = runner.invoke(main, ["encode", "-v", str(plain), "see zebra you"])
    assert r.exit_code == 1 and "unknown word 'zebra'" in r.output and "Traceback" not in r.output
    r = runner.invoke(main, ["encode", "-v", str(plain), "--oov", "skip", "see zebra you"])
    assert r.exit_code == 0 and r.output.strip() == "[[2, 3]]"
    r = runner.invoke(main, ["encode", "-v", str(plain), "--oov", "unk", "see zebra you"])
    assert r.exit_code == 2 and "no <unk>" in r.output


def test_cli_unknown_words_map_to_unk(runner, vocab_files):
    _, full = vocab_files
    r = runner.invoke(main, ["encode", "-v", str(full), "--json", "Nice to meet you"])
    out = json.loads(r.output)
    assert out["sequences"] == [[7, 3, 1, 5]] and out["unknown_tokens"] == 1


def test_cli_pad_value(runner, vocab_files):
    _, full = vocab_files
    r = runner.invoke(main, ["encode", "-v", str(full), "--maxlen", "4", "--pad-value", "-1", "hope"])
    assert r.output.strip() == "[[-1, -1, -1, 2]]"


def test_cli_input_file_and_outputs(runner, vocab_files, tmp_path):
    _, full = vocab_files
    phrases = tmp_path / "p.txt"
    phrases.write_text("Hope to see you soon\r\nNice to see you again\n\nyou\n")
    expected = [[2, 3, 4, 5, 6], [7, 3, 4, 5, 8], [0, 0, 0, 0, 0], [0, 0, 0, 0, 5]]
    npy = tmp_path / "ids.npy"
    r = runner.invoke(main, ["encode", "-v", str(full), "-i", str(phrases), "-o", str(npy)])
    assert r.exit_code == 0, r.output
    arr = np.load(npy)
    assert arr.dtype == np.int32 and arr.tolist() == expected
    r = runner.invoke(main, ["encode", "-v", str(full), "-i", str(phrases), "-o", str(tmp_path / "ids.csv"), "-q"])
    assert r.exit_code == 0
    with open(tmp_path / "ids.csv") as f:
        assert [[int(x) for x in row] for row in csv.reader(f)] == expected
    r = runner.invoke(main, ["encode", "-v", str(full), "-i", str(phrases), "-o", str(tmp_path / "ids.jsonl"), "-q"])
    assert [json.loads(line) for line in (tmp_path / "ids.jsonl").read_text().splitlines()] == expected
    # stdin in, csv on stdout
    r = runner.invoke(main, ["encode", "-v", str(full), "--maxlen", "2", "-o", "-", "--format", "csv"],
                      input="Nice to see you again\n")
    assert r.exit_code == 0 and r.stdout.strip() == "5,8"
    # npy into a pipe (-o -): the file's bytes, for the fast path of a file with --maxlen and for stdin
    for args, stdin in ((["-i", str(phrases), "--maxlen", "5"], None), (["--maxlen", "4"], phrases.read_text()),
                        (["-i", str(phrases)], None)):
        r = runner.invoke(main, ["encode", "-v", str(full), *args, "-o", str(npy), "-q"], input=stdin)
        piped = runner.invoke(main, ["encode", "-v", str(full), *args, "--format", "npy", "-o", "-"], input=stdin)
        assert piped.exit_code == 0 and piped.stdout_bytes == npy.read_bytes(), (args, piped.output)
    r = runner.invoke(main, ["encode", "-v", str(full), "hi", "--format", "npy"])  # no -o: nothing to write to
    assert r.exit_code == 2 and "give -o FILE.npy, or -o - into a pipe" in r.stderr


def test_cli_show_tokens(runner, vocab_files):
    _, full = vocab_files
    r = runner.invoke(main, ["encode", "-v", str(full), "--show-tokens", "Nice to meet you"])
    assert r.exit_code == 0
    assert "meet" in r.output and "<unk>" in r.output and "nice" in r.output


@pytest.mark.parametrize("args, parse", [
    (["--json"], json.loads),
    (["-o", "-", "--format", "json"], json.loads),
    (["-o", "-", "--format", "csv"], lambda text: list(csv.reader(text.splitlines()))),
    (["-o", "-", "--format", "jsonl"], lambda text: [json.loads(line) for line in text.splitlines()]),
])
def test_cli_show_tokens_leaves_data_on_stdout_alone(runner, vocab_files, args, parse):
    """With the data on stdout, the token tables go to stderr: stdout stays valid JSON/CSV."""
    _, full = vocab_files
    r = runner.invoke(main, ["encode", "-v", str(full), "--show-tokens", "--maxlen", "3", *args, "Nice to meet you"])
    assert r.exit_code == 0, r.output
    data = parse(r.stdout)
    assert "meet" in r.stderr and "<unk>" in r.stderr
    plain = runner.invoke(main, ["encode", "-v", str(full), "--maxlen", "3", *args, "Nice to meet you"])
    assert data == parse(plain.stdout)


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["--maxlen", "0", "hi"], 2, "--maxlen"),
        (["--maxlen", "-2", "hi"], 2, "--maxlen"),
        (["--padding", "middle", "hi"], 2, "--padding"),
        (["-o", "x.bin/x.npy", "hi"], 2, "is a file, not a directory"),
        (["-o", "x.bin", "hi"], 2, "format"),
        (["--pad-value", "3000000000", "hi", "a b c"], 2, "--pad-value"),  # the ids are int32
        (["--pad-value", "-2147483649", "-o", "ids.npy", "hi", "a b c"], 2, "--pad-value"),
        (["--pad-value", "2147483648", "--json", "hi", "a b c"], 2, "--pad-value"),
    ],
)
def test_cli_bad_flags(runner, vocab_files, tmp_path, monkeypatch, args, code, message):
    _, full = vocab_files
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.bin").write_text("a file")
    r = runner.invoke(main, ["encode", "-v", str(full), *args])
    assert r.exit_code == code, r.output
    assert message in r.output and "Traceback" not in r.output


@pytest.mark.parametrize(
    "content, message",
    [('{"format": "embedcli-vocab", "version": 1, "tok', "truncated"), ('{"a": 1}', "not an embedcli vocabulary")],
)
def test_cli_bad_vocab_file(runner, tmp_path, content, message):
    bad = tmp_path / "v.json"
    bad.write_text(content)
    r = runner.invoke(main, ["encode", "-v", str(bad), "hi"])
    assert r.exit_code == 1 and message in r.output and str(bad) in r.output


def test_cli_lone_dash_reads_the_phrases_from_stdin(runner, vocab_files):
    plain, _ = vocab_files
    text = "Hope to see you soon\nNice to see you again\n"
    dash = runner.invoke(main, ["encode", "-v", str(plain), "-"], input=text)
    assert dash.exit_code == 0, dash.output
    assert dash.stdout.strip() == "[[0, 1, 2, 3, 4],\n [5, 1, 2, 3, 6]]"
    assert dash.stdout == runner.invoke(main, ["encode", "-v", str(plain)], input=text).stdout
    # '-' inside a phrase is text, not stdin
    r = runner.invoke(main, ["encode", "-v", str(plain), "--oov", "skip", "see - you"])
    assert r.exit_code == 0 and r.stdout.strip() == "[[2, 3]]"


@pytest.mark.parametrize("args,message", [
    (["-", "Hope to see you soon"], "'-' (the phrases from stdin) cannot be mixed with PHRASE arguments"),
    (["-", "-i", "x.txt"], "give phrases as arguments ('-' for stdin) or with -i/--input, not both"),
])
def test_cli_dash_with_other_inputs_is_a_usage_error(runner, vocab_files, args, message):
    plain, _ = vocab_files
    r = runner.invoke(main, ["encode", "-v", str(plain), *args], input="Hope\n")
    assert r.exit_code == 2 and message in r.stderr and len(r.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("args", [[], ["-"], ["-i", "-"], ["-i", "-", "--maxlen", "3", "-o", "ids.npy"]])
def test_cli_vocabulary_and_phrases_cannot_both_come_from_stdin(runner, vocab_files, tmp_path, monkeypatch, args):
    """-v - reads the vocabulary from stdin; the phrases then cannot come from it too. '-v - -i -'
    printed [] and exited 0 (the vocabulary had used up stdin: no phrases), '-v - -' said stdin
    was not a vocabulary file (it starts with the phrases)."""
    _, full = vocab_files
    monkeypatch.chdir(tmp_path)
    r = runner.invoke(main, ["encode", "-v", "-", *args], input=full.read_text())
    assert r.exit_code == 2, r.output
    assert r.stderr.strip() == ("Error: -v - reads the vocabulary from standard input; give the phrases as "
                                "arguments or with -i FILE")
    assert not (tmp_path / "ids.npy").exists()
    r = runner.invoke(main, ["encode", "-v", "-", "Nice to see you"], input=full.read_text())
    assert r.exit_code == 0 and r.stdout.strip() == "[[7, 3, 4, 5]]"


@pytest.mark.parametrize("fmt,expected", [("print", "[[],\n []]"), ("json", "[[], []]"), ("jsonl", "[]\n[]"),
                                          ("csv", "")])
def test_cli_phrases_without_ids_give_rows_of_width_zero(runner, vocab_files, fmt, expected):
    """Keras pads sequences that are all empty to width 0; every phrase here loses its only word
    (--oov skip) or has none, so the longest phrase has no id (and --maxlen was not given)."""
    plain, _ = vocab_files
    r = runner.invoke(main, ["encode", "-v", str(plain), "--oov", "skip", "--format", fmt, "zzz qqq", ""])
    assert r.exit_code == 0, r.output
    assert r.stdout.strip() == expected
    assert keras_pad_sequences([[], []]).shape == (2, 0)


def test_cli_phrases_without_ids_to_npy(runner, vocab_files, tmp_path):
    plain, _ = vocab_files
    out = tmp_path / "ids.npy"
    r = runner.invoke(main, ["encode", "-v", str(plain), "--oov", "skip", "zzz", "-o", str(out), "--json"])
    assert r.exit_code == 0, r.output
    assert np.load(out).shape == (1, 0) and json.loads(r.stdout)["maxlen"] == 0


def test_cli_summary_counts_in_words(runner, vocab_files, tmp_path):
    plain, full = vocab_files
    out = str(tmp_path / "ids.csv")
    r = runner.invoke(main, ["encode", "-v", str(full), "Hope to see you zzz", "-o", out])
    assert r.exit_code == 0 and r.stdout.startswith("1 row × 5 ids written to") and "; 1 unknown token;" in r.stdout
    r = runner.invoke(main, ["encode", "-v", str(full), "--oov", "skip", "Hope zzz", "to see", "-o", out])
    assert r.stdout.startswith("2 rows × 2 ids written to") and "; 1 unknown token left out (--oov skip);" in r.stdout
