"""The fastText-style classifier: loss gradients, learning, determinism, predict/test commands.
Through the command line; the library tests are in test_classify.py."""

from __future__ import annotations

import json
import os
import re
import select
import subprocess
import sys
from collections import Counter

import numpy as np
import pytest

from embedcli.cli import main
from embedcli.model import Model
from embedcli.classify import Classifier, train_classifier
from embedcli.vocab import build_vocab

from support import REPO

SAMPLE_TRAIN = os.path.join(REPO, "sample_data", "labeled.txt")


SAMPLE_TEST = os.path.join(REPO, "sample_data", "labeled_test.txt")


@pytest.fixture(scope="module")
def sample_model(tmp_path_factory):
    """A classifier trained on the sample headlines (clickbait vs news), saved to disk."""
    out = tmp_path_factory.mktemp("models") / "clickbait"
    train_classifier([SAMPLE_TRAIN], dim=20, epochs=5, seed=3).save(out)
    return str(out)


# -- the command line -------------------------------------------------------------------------------
def test_predict_sample_file(runner, sample_model):
    r = runner.invoke(main, ["predict", sample_model, "-i", SAMPLE_TEST])
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    with open(SAMPLE_TEST, encoding="utf-8") as f:
        gold = [line.split()[0] for line in f]
    assert len(lines) == len(gold) == 500
    assert set(lines) <= {"__label__clickbait", "__label__news"}
    accuracy = sum(p == g for p, g in zip(lines, gold)) / len(gold)
    assert accuracy > 0.9


def test_predict_formats(runner, sample_model):
    r = runner.invoke(main, ["predict", sample_model, "-k", "2", "--prob",
                             "You won't believe what this cat did", "Parliament passes budget"])
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert len(lines) == 2
    for line in lines:
        m = re.fullmatch(r"(__label__\w+) ([0-9.e-]+) (__label__\w+) ([0-9.e-]+)", line)
        assert m, line
        assert float(m.group(2)) >= float(m.group(4))
        assert abs(float(m.group(2)) + float(m.group(4)) - 1) < 1e-4
    assert lines[0].startswith("__label__clickbait") and lines[1].startswith("__label__news")
    r = runner.invoke(main, ["predict", sample_model, "--json", "Storm causes power cuts"])
    row = json.loads(r.stdout)
    assert row["labels"] == ["__label__news"] and 0.5 < row["probs"][0] <= 1
    r = runner.invoke(main, ["predict", sample_model, "-k", "2", "--threshold", "0.5", "Storm causes power cuts"])
    assert r.stdout.splitlines() == ["__label__news"]
    # -k -1: every label, best first (fastText's k = -1)
    every = runner.invoke(main, ["predict", sample_model, "-k", "-1", "--prob", "You won't believe what this cat did"])
    assert every.exit_code == 0 and every.stdout == runner.invoke(main, [
        "predict", sample_model, "-k", "2", "--prob", "You won't believe what this cat did"]).stdout


def test_predict_ignores_labels_in_input_and_reads_stdin(runner, sample_model, tmp_path):
    text = "Storm causes power cuts across the north\nWhat this dad found will blow your mind\n"
    labelled = "__label__clickbait Storm causes power cuts across the north\n" \
               "What this dad found __label__news will blow your mind\n"
    plain = runner.invoke(main, ["predict", sample_model, "--prob"], input=text)
    tagged = runner.invoke(main, ["predict", sample_model, "--prob", "-i", "-"], input=labelled)
    dash = runner.invoke(main, ["predict", sample_model, "--prob", "-"], input=labelled)  # a lone '-' PHRASE
    assert plain.exit_code == 0 and tagged.exit_code == 0 and dash.exit_code == 0, tagged.output + dash.output
    assert plain.stdout == tagged.stdout == dash.stdout
    assert plain.stdout.splitlines()[0].startswith("__label__news")
    out = tmp_path / "pred.txt"
    r = runner.invoke(main, ["predict", sample_model, "-o", str(out), "-q"], input=text)
    assert r.exit_code == 0, r.output
    assert out.read_text().splitlines() == ["__label__news", "__label__clickbait"]


def test_predict_answers_each_line_from_a_pipe_as_it_comes(sample_model):
    """`producer | embedcli predict MODEL` (or a program talking to it through pipes) gets each
    answer as soon as its line is written, as with `fasttext predict MODEL -`: before, lines from a
    pipe were predicted 4096 at a time (only a terminal was answered line by line), so a producer
    waiting for an answer waited forever."""
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen([sys.executable, "-m", "embedcli", "predict", sample_model, "--prob"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        for line in ["Storm causes power cuts across the north", "What this dad found will blow your mind"]:
            proc.stdin.write(line.encode() + b"\n")
            proc.stdin.flush()
            ready, _, _ = select.select([proc.stdout], [], [], 60)
            assert ready, f"no answer to {line!r} while the input is still open"
            answer = proc.stdout.readline().decode()
            assert re.fullmatch(r"__label__\w+ [0-9.e-]+\n", answer), answer
        proc.stdin.close()
        assert proc.stdout.read() == b"" and proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_test_command(runner, sample_model):
    r = runner.invoke(main, ["test", sample_model, SAMPLE_TEST])
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0] == "N\t500"
    assert re.fullmatch(r"P@1\t0\.\d{3}", lines[1]) and re.fullmatch(r"R@1\t0\.\d{3}", lines[2])
    assert float(lines[1].split("\t")[1]) > 0.9
    r = runner.invoke(main, ["test", sample_model, SAMPLE_TEST, "-k", "2", "--json"])
    data = json.loads(r.stdout)
    assert data["n"] == 500 and data["k"] == 2
    assert data["recall"] == 1.0 and data["precision"] == 0.5  # two labels, both always predicted
    r = runner.invoke(main, ["test", sample_model, SAMPLE_TEST, "-k", "-1"])  # fastText's 'P@-1' layout
    assert r.exit_code == 0 and r.stdout.splitlines() == ["N\t500", "P@-1\t0.500", "R@-1\t1.000"]
    # the same figures as the library and as predict's own output
    lib = Classifier.load(sample_model).evaluate(SAMPLE_TEST)
    r1 = json.loads(runner.invoke(main, ["test", sample_model, SAMPLE_TEST, "--json"]).stdout)
    assert r1["precision"] == lib["precision"]


def test_commands_reject_other_models(runner, tmp_path):
    vocab = build_vocab(Counter({"a": 2, "b": 1}), 3)
    plain = tmp_path / "sg"
    Model(vocab, np.zeros((4, 3), np.float32), {"objective": "skipgram"}).save(plain)
    for args in (["predict", str(plain), "hello"], ["test", str(plain), SAMPLE_TEST]):
        r = runner.invoke(main, args)
        assert r.exit_code == 1
        assert "not a classifier model (objective: skipgram)" in r.output
        assert "Traceback" not in r.output and len(r.output.strip().splitlines()) == 1


@pytest.mark.parametrize("args, code, message", [
    (["test", "{model}", "{tmp}/missing.txt"], 1, "missing.txt: no such file"),
    (["test", "{model}", "{plain}"], 1, "no line has a label"),
    (["predict", "{tmp}/nomodel", "x"], 1, "no such model directory"),
    (["predict", "{model}", "-i", "{tmp}/missing.txt"], 1, "missing.txt: no such file"),
    (["predict", "{model}", "-k", "0", "x"], 2, "-k must be at least 1, or -1 for every label"),
    (["test", "{model}", "x.txt", "-k", "-2"], 2, "-k must be at least 1, or -1 for every label"),
    (["predict", "{model}", "--threshold", "2", "x"], 2, "--threshold"),
    (["predict", "{model}", "-i", "{plain}", "x"], 2, "not both"),
])
def test_cli_errors(runner, sample_model, tmp_path, args, code, message):
    plain = tmp_path / "plain.txt"
    plain.write_text("no labels on this line\n")
    args = [a.format(model=sample_model, tmp=tmp_path, plain=plain) for a in args]
    r = runner.invoke(main, args)
    assert r.exit_code == code, r.output
    assert message in r.output
    assert "Traceback" not in r.output


def test_help_has_examples(runner):
    for cmd in ("predict", "test"):
        r = runner.invoke(main, [cmd, "--help"])
        assert r.exit_code == 0 and "Examples:" in r.output


def test_test_command_ignores_unknown_labels(runner, sample_model, tmp_path):
    path = tmp_path / "other.txt"
    path.write_text("__label__sport Team wins the cup\n__label__news __label__sport Storm hits the coast\n")
    r = runner.invoke(main, ["test", sample_model, str(path), "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["n"] == 1 and data["skipped"] == 1 and data["gold_labels"] == 1
    r = runner.invoke(main, ["test", sample_model, "-"], input="__label__sport Team wins\n")
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines() == ["N\t0", "P@1\tnan", "R@1\tnan"]
    assert "1 lines skipped" in r.stderr


def _bias_only_model(path, bias):
    """A classifier whose probabilities are softmax(bias) for every phrase (all its rows are zeros)."""
    vocab = build_vocab(Counter({"a": 2, "b": 1}), 3)
    labels = [f"__label__l{i}" for i in range(len(bias))]
    Model(vocab, np.zeros((len(vocab), 4), np.float32), {"objective": "classify"},
          arrays={"output": np.zeros((len(bias), 4), np.float32), "bias": np.asarray(bias, np.float32)},
          objects={"labels": labels}).save(path)
    return str(path)


def test_predict_json_probabilities_are_the_texts(runner, tmp_path):
    """--json gives each probability as --prob prints it (six significant digits): rounding to six
    decimals made 6.43805e-06 6e-06 and a small probability 0.0, below a --threshold it passed."""
    model = _bias_only_model(tmp_path / "m", [0.0, -12.0, -16.0, 3.0])
    text = runner.invoke(main, ["predict", model, "-k", "-1", "--prob", "some words"])
    data = runner.invoke(main, ["predict", model, "-k", "-1", "--json", "--threshold", "1e-9", "some words"])
    assert text.exit_code == 0 and data.exit_code == 0, text.output + data.output
    fields = text.stdout.split()
    row = json.loads(data.stdout)
    assert row["labels"] == fields[0::2] == ["__label__l3", "__label__l0", "__label__l1", "__label__l2"]
    assert row["probs"] == [float(p) for p in fields[1::2]]
    assert all(p > 0 for p in row["probs"])


@pytest.mark.parametrize("extra", [[], ["2"], ["2", "0.5"]])
def test_predict_of_a_file_name_is_refused(runner, sample_model, extra):
    """`fasttext predict model.bin test.txt [k] [threshold]` typed as `embedcli predict MODEL FILE 2`
    classified the file's name (and '2') as phrases, one label each, with exit 0; a first PHRASE
    that is a file, followed by nothing but numbers, is now a usage error pointing to -i."""
    r = runner.invoke(main, ["predict", sample_model, SAMPLE_TEST, *extra])
    assert r.exit_code == 2 and r.stdout == ""
    assert f"'{SAMPLE_TEST}' is a file: predict its lines with -i {SAMPLE_TEST}" in r.output
    # a phrase that is not a file, or a file among words, is still a phrase
    assert runner.invoke(main, ["predict", sample_model, "Storm causes power cuts", *extra]).exit_code == 0
