"""Classifier size and habits (#13 item 4): n-gram rows sized to the data, --buckets, --dry-run,
per-epoch lines, --config MODEL/config.yaml, and stable training for every lr fastText users
pass. Through the command line; the library tests are in test_classify_habits.py."""

from __future__ import annotations

import json
import os

import numpy as np

from embedcli.classify import Classifier, train_classifier
from embedcli.cli import main
from embedcli.labeled import split_labels
from embedcli.model import Model

from support.classify_habits import SAMPLE_TEST, SAMPLE_TRAIN, twelve_lines

ARRAYS = ("table.npy", "ngrams.npy", "ngram_buckets.npy", "output.npy", "bias.npy")


def _train(runner, *args):
    r = runner.invoke(main, ["train", "--objective", "classify", *map(str, args)])
    assert r.exit_code == 0, r.output
    return r


def _dir_bytes(path) -> int:
    return sum(os.path.getsize(os.path.join(path, f)) for f in os.listdir(path))


def test_twelve_lines_with_bigrams_write_a_small_model(runner, tmp_path, twelve_lines, monkeypatch):
    # was: 2,000,000 buckets x 100 floats = an 800 MB model for 12 lines
    out = tmp_path / "m"
    r = _train(runner, twelve_lines, "-o", out, "--word-ngrams", "2", "--json")
    summary = json.loads(r.stdout)
    size = _dir_bytes(out)
    assert size < 200_000 and summary["model_bytes"] == size
    m = Model.load(out)
    lines = [split_labels(l)[1].lower().split() for l in twelve_lines.read_text().splitlines()]
    bigrams = {(a, b) for l in lines for a, b in zip(l, l[1:])}
    # the default: one bucket per distinct bigram seen; only the used buckets have a row
    assert summary["distinct_ngrams"] == m.config["buckets"] == m.config["classifier"]["distinct_ngrams"]
    assert abs(summary["distinct_ngrams"] - len(bigrams)) <= 3  # tokenizer vs str.split on punctuation
    assert m.arrays["ngrams"].shape == (summary["ngram_rows"], 100) and summary["ngram_rows"] <= len(bigrams)
    monkeypatch.chdir(tmp_path)  # a short model path: rich wraps long table rows
    r = _train(runner, twelve_lines, "-o", "m2", "--word-ngrams", "2")
    text = " ".join(r.stdout.split())
    assert f"model m2 ({_dir_bytes('m2') / 1e3:.1f} kB)" in text
    assert f"{summary['distinct_ngrams']:,} distinct (up to 2 words)" in text
    assert f"{summary['ngram_rows']:,} rows" in text


def test_sample_bigram_model_under_5_mb_with_the_same_precision(runner, tmp_path):
    # before: 800 MB with 2,000,000 stored buckets, P@1 0.954 (measured with the same settings)
    out = tmp_path / "m"
    _train(runner, SAMPLE_TRAIN, "-o", out, "--word-ngrams", "2", "-q")
    assert _dir_bytes(out) < 5_000_000
    n, p, _ = Classifier.load(out).test(SAMPLE_TEST)
    assert n == 500 and p >= 0.95


def test_buckets_flag_and_config_key(runner, tmp_path, twelve_lines):
    _train(runner, twelve_lines, "-o", tmp_path / "flag", "--word-ngrams", "2", "--buckets", "50", "-q")
    m = Model.load(tmp_path / "flag")
    assert m.config["buckets"] == 50 and len(m.arrays["ngrams"]) <= 50
    assert m.arrays["ngram_buckets"].max() < 50 and np.all(np.diff(m.arrays["ngram_buckets"]) > 0)
    config = tmp_path / "c.yaml"
    config.write_text(f"objective: classify\ncorpus: [{twelve_lines}]\nword_ngrams: 2\nbuckets: 50\n")
    r = runner.invoke(main, ["train", "--config", str(config), "-o", str(tmp_path / "key"), "-q"])
    assert r.exit_code == 0, r.output
    for name in ARRAYS:
        assert (tmp_path / "flag" / name).read_bytes() == (tmp_path / "key" / name).read_bytes(), name
    r = runner.invoke(main, ["train", "--objective", "classify", str(twelve_lines), "-o", str(tmp_path / "x"),
                             "--word-ngrams", "2", "--buckets", "0"])
    assert r.exit_code == 2 and "--buckets must be between 1" in r.output and "Traceback" not in r.output
    config.write_text("buckets: many\n")
    r = runner.invoke(main, ["train", "--config", str(config), "-o", str(tmp_path / "y")])
    assert r.exit_code == 2 and "key 'buckets': expected an integer" in r.output


def test_config_of_a_classifier_repeats_the_run(runner, tmp_path):
    # was: unknown key 'loss'
    _train(runner, SAMPLE_TRAIN, "-o", tmp_path / "a", "--word-ngrams", "2", "--dim", "16", "--epochs", "2", "-q")
    r = runner.invoke(main, ["train", "--config", str(tmp_path / "a" / "config.yaml"), "-o", str(tmp_path / "b"), "-q"])
    assert r.exit_code == 0, r.output
    for name in ARRAYS:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_dry_run_reports_what_training_stores_and_writes_nothing(runner, tmp_path):
    out = tmp_path / "m"
    r = runner.invoke(main, ["train", "--objective", "classify", SAMPLE_TRAIN, "-o", str(out), "--word-ngrams", "2",
                             "--dry-run", "--json"])
    assert r.exit_code == 0, r.output
    assert not out.exists()
    info = json.loads(r.stdout)
    _train(runner, SAMPLE_TRAIN, "-o", out, "--word-ngrams", "2", "-q")
    m = Model.load(out)
    assert info["ngram_rows"] == len(m.arrays["ngrams"]) and info["buckets"] == m.config["buckets"]
    assert info["labels"] == 2 and info["examples"] == 2500 and info["vocab_size"] == len(m.vocab)
    arrays = sum(os.path.getsize(out / f) for f in ARRAYS)
    assert info["table_bytes"] <= arrays < info["table_bytes"] + 1000  # + the .npy headers
    assert info["estimated_seconds"] > 0
    r = runner.invoke(main, ["train", "--objective", "classify", SAMPLE_TRAIN, "-o", str(out), "--word-ngrams", "2",
                             "--dry-run"])
    text = " ".join(r.stdout.split())
    assert "dry run (nothing trained or written)" in text
    assert f"{info['distinct_ngrams']:,} distinct (up to 2 words), {info['buckets']:,} buckets, " \
           f"{info['ngram_rows']:,} rows" in text


def test_summary_has_epoch_lines_and_progress_events_match_skipgram(runner, tmp_path):
    r = _train(runner, SAMPLE_TRAIN, "-o", tmp_path / "m", "--epochs", "3", "--dim", "10")
    lines = r.stdout.splitlines()
    assert r.stdout.startswith("trained classify on 21,529 tokens")
    assert [l.split()[:2] for l in lines if l.startswith("epoch ")] == [["epoch", "1"], ["epoch", "2"], ["epoch", "3"]]
    assert any(l.startswith("labels") and "__label__news 1,281" in l for l in lines)
    assert "embedcli predict" in r.stdout and "embedcli similar" not in r.stdout
    events = []
    model = train_classifier(SAMPLE_TRAIN, dim=10, epochs=3, callback=events.append)
    done = [e for e in events if e.get("epoch_done")]
    assert [e["epoch"] for e in done] == [1, 2, 3]
    keys = {"epoch", "epochs", "words", "words_total", "lr", "loss", "words_per_sec"}
    assert all(keys <= set(e) for e in events)
    assert all(e["words_total"] == 21529 and e["words"] <= 21529 for e in events)
    assert [h["loss"] for h in model.history] == [e["loss"] for e in done]


def test_workers_do_not_change_a_classifier(runner, tmp_path, twelve_lines):
    # classify trains in one process: --workers must not change its bytes
    for w in ("1", "4", "64"):
        _train(runner, twelve_lines, "-o", tmp_path / w, "--word-ngrams", "2", "--workers", w, "-q")
    for name in ARRAYS:
        assert len({(tmp_path / w / name).read_bytes() for w in ("1", "4", "64")}) == 1, name


def test_a_log_gets_one_plain_line_per_epoch(runner, tmp_path, twelve_lines):
    # stderr is not a terminal here: plain lines as for skip-gram, no progress display
    r = _train(runner, twelve_lines, "-o", tmp_path / "m", "--epochs", "3", "--dim", "8")
    lines = [l for l in r.stderr.splitlines() if l.startswith("epoch ")]
    assert [l.split()[:3] for l in lines] == [["epoch", "1/3", "done"], ["epoch", "2/3", "done"], ["epoch", "3/3", "done"]]
    assert all("loss" in l and "words/s" in l and l == l.rstrip() and "\x1b" not in l for l in lines)
