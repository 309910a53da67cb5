"""`embedcli train`: runs, determinism, resume, model files, quality on a tiny corpus, errors.
Through the command line; the library tests are in test_train.py."""

import json
import os
import re
import shutil

import numpy as np
import pytest

from embedcli.cli import main
from embedcli.model import Model

from support import REPO
from support.train import ANIMALS, VEHICLES, checkpoint_interrupt_and_resume, files, synthetic_corpus


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return synthetic_corpus(tmp_path_factory.mktemp("corpus") / "c.txt")


FAST = ["--dim", "16", "--epochs", "3", "--min-count", "1", "--workers", "1"]


def train(runner, corpus, out, *extra):
    res = runner.invoke(main, ["train", str(corpus), "-o", str(out), "--quiet", *FAST, *extra])
    assert res.exit_code == 0, res.output
    return res


@pytest.mark.parametrize("objective", ["skipgram", "cbow"])
def test_words_sharing_contexts_are_nearer(runner, corpus, tmp_path, objective):
    out = tmp_path / "m"
    train(runner, corpus, out, "--objective", objective, "--epochs", "8", "--sample", "0")
    m = Model.load(out)
    t = m.table / np.linalg.norm(m.table, axis=1, keepdims=True).clip(1e-9)

    def sim(a, b):
        return float(t[m.vocab.index[a]] @ t[m.vocab.index[b]])

    within = np.mean([sim(a, b) for g in (ANIMALS, VEHICLES) for a in g for b in g if a < b])
    across = np.mean([sim(a, b) for a in ANIMALS for b in VEHICLES])
    assert within > across + 0.3, (within, across)


def test_model_directory_round_trip(runner, corpus, tmp_path):
    out = tmp_path / "m"
    train(runner, corpus, out)
    m = Model.load(out, require_config=True)
    assert m.table.dtype == np.float32 and m.table.shape == (len(m.vocab), 16)
    assert m.vocab.tokens[:2] == ["<pad>", "<unk>"]
    assert np.all(m.table[0] == 0)
    words = m.table[2:]
    np.testing.assert_allclose(m.table[1], words.mean(axis=0), rtol=1e-5, atol=1e-7)
    assert m.arrays["output"].shape == m.table.shape and np.any(m.arrays["output"] != 0)
    assert m.config["objective"] == "skipgram" and m.config["dim"] == 16 and m.config["workers"] == 1
    assert [h["epoch"] for h in m.history] == [1, 2, 3]
    for h in m.history:
        assert np.isfinite(h["loss"]) and h["words_per_sec"] > 0 and h["seconds"] >= 0 and "lr" in h
    assert m.history[-1]["loss"] < m.history[0]["loss"]
    assert m.objects["train_state"]["complete"] is True
    # a saved model loads again and saves identically
    m.save(tmp_path / "copy")
    assert files(tmp_path / "copy")["table.npy"] == files(out)["table.npy"]


@pytest.mark.parametrize("workers", ["1", "2"])
def test_same_seed_same_bytes(runner, corpus, tmp_path, workers):
    a, b = tmp_path / "a", tmp_path / "b"
    train(runner, corpus, a, "--workers", workers, "--batch-words", "64")
    train(runner, corpus, b, "--workers", workers, "--batch-words", "64")
    assert files(a)["table.npy"] == files(b)["table.npy"]
    assert files(a)["output.npy"] == files(b)["output.npy"]
    c = tmp_path / "c"
    train(runner, corpus, c, "--workers", workers, "--batch-words", "64", "--seed", "2")
    assert files(a)["table.npy"] != files(c)["table.npy"]


def test_config_of_a_model_reproduces_it(runner, corpus, tmp_path):
    a = tmp_path / "a"
    train(runner, corpus, a, "--objective", "cbow", "--window", "3")
    b = tmp_path / "b"
    res = runner.invoke(main, ["train", "--config", str(a / "config.yaml"), "-o", str(b), "--quiet"])
    assert res.exit_code == 0, res.output
    assert files(a)["table.npy"] == files(b)["table.npy"]
    assert Model.load(b).config["objective"] == "cbow"


@pytest.mark.parametrize("objective", ["skipgram", "cbow"])
def test_resume_equals_uninterrupted_run(runner, corpus, tmp_path, objective):
    full = tmp_path / "full"
    train(runner, corpus, full, "--epochs", "4", "--objective", objective)
    part = tmp_path / "part"
    train(runner, corpus, part, "--epochs", "4", "--objective", objective, "--checkpoint-every", "1")
    # re-create a mid-run checkpoint by training 2 epochs' worth through the library
    from embedcli import config as cfg
    from embedcli.sgd.run import build_model, _prepare, trainable_rows
    from embedcli.sgd.trainer import Trainer, init_state

    settings = cfg.merge(cfg.load_config_file(full / "config.yaml"), {"output": str(tmp_path / "mid")})
    vocab, enc = _prepare(settings, None, None)
    with enc:
        state = init_state(len(vocab), 16, 1, trainable_rows(vocab))
        tr = Trainer(enc, np.array(vocab.counts), trainable_rows(vocab), settings, 1)
        for epoch in range(2):
            tr._run_epoch(state, epoch, None, None)
            state.epochs_done = epoch + 1
        build_model(vocab, state, settings, enc).save(tmp_path / "mid")
    assert Model.load(tmp_path / "mid").objects["train_state"]["epochs_done"] == 2
    res = runner.invoke(main, ["train", "--resume", str(tmp_path / "mid"), "--quiet"])
    assert res.exit_code == 0, res.output
    assert files(tmp_path / "mid")["table.npy"] == files(full)["table.npy"]
    assert files(tmp_path / "mid")["output.npy"] == files(full)["output.npy"]
    assert files(part)["table.npy"] == files(full)["table.npy"]
    assert len(Model.load(tmp_path / "mid").history) == 4
    # resuming a complete model is an error, not a silent no-op
    res = runner.invoke(main, ["train", "--resume", str(full)])
    assert res.exit_code == 1 and "already trained" in res.output


def test_checkpoint_is_resumable(runner, corpus, tmp_path, monkeypatch):
    """A checkpoint written during the run (interrupted after it) resumes to the same bytes."""
    full = tmp_path / "full"
    train(runner, corpus, full, "--epochs", "3")
    out = tmp_path / "ck"
    checkpoint_interrupt_and_resume(runner, monkeypatch, corpus, out, *FAST)
    assert files(out)["table.npy"] == files(full)["table.npy"]


def test_no_arguments_uses_default_config(runner, tmp_path, monkeypatch):
    (tmp_path / "configs").mkdir()
    (tmp_path / "sample_data").mkdir()
    shutil.copy(os.path.join(REPO, "configs", "default.yaml"), tmp_path / "configs" / "default.yaml")
    shutil.copy(os.path.join(REPO, "sample_data", "corpus.txt"), tmp_path / "sample_data" / "corpus.txt")
    monkeypatch.chdir(tmp_path)
    assert not (tmp_path / "models").exists()  # created for the default output
    res = runner.invoke(main, ["train"])
    assert res.exit_code == 0, res.output
    out = tmp_path / "models" / "default"
    m = Model.load(out)
    assert m.table.shape[0] == len(m.vocab) > 100
    for needle in ("final loss", "embedcli show-table", "embedcli similar", "near "):
        assert needle in res.output
    assert m.history[-1]["loss"] < m.history[0]["loss"]


def test_json_summary_and_dry_run(runner, corpus, tmp_path):
    res = runner.invoke(main, ["train", str(corpus), "-o", str(tmp_path / "m"), "--json", *FAST])
    assert res.exit_code == 0
    s = json.loads(res.output)
    assert s["table_shape"][1] == 16 and s["epochs"] == 3 and np.isfinite(s["final_loss"])
    res = runner.invoke(main, ["train", str(corpus), "-o", str(tmp_path / "dry"), "--dry-run", "--json", *FAST])
    assert res.exit_code == 0, res.output
    d = json.loads(res.output)
    assert d["vocab_size"] == s["vocab_size"] and d["table_bytes"] == 2 * d["vocab_size"] * 16 * 4
    assert d["words_per_epoch"] == s["words_per_epoch"] and d["estimated_seconds"] > 0
    assert d["objective"] == s["objective"] == "skipgram"  # named as a classifier's dry run names its own
    assert not (tmp_path / "dry").exists()
    res = runner.invoke(main, ["train", str(corpus), "-o", str(tmp_path / "dry"), "--dry-run", *FAST])
    assert res.exit_code == 0 and "estimated time" in res.output


def test_summary_neighbours_only_when_shown(runner, corpus, tmp_path, monkeypatch):
    # the summary's neighbours (a nearest-neighbour search per candidate word) are found only when
    # the summary is printed: a --quiet run does not pay for them
    from embedcli.sgd import run as runmod

    real, calls = runmod.sample_neighbours, []
    monkeypatch.setattr(runmod, "sample_neighbours", lambda *a, **k: calls.append(1) or real(*a, **k))
    train(runner, corpus, tmp_path / "quiet")
    assert calls == []
    res = runner.invoke(main, ["train", str(corpus), "-o", str(tmp_path / "j"), "--json", *FAST])
    assert res.exit_code == 0, res.output
    assert calls == [1] and "neighbours" in json.loads(res.output)
    res = runner.invoke(main, ["train", str(corpus), "-o", str(tmp_path / "shown"), *FAST])
    assert res.exit_code == 0, res.output
    assert calls == [1, 1]


def test_min_count_removing_every_word(runner, corpus, tmp_path):
    res = runner.invoke(main, ["train", str(corpus), "-o", str(tmp_path / "m"), "--min-count", "100000"])
    assert res.exit_code == 1
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and "--min-count 100000" in lines[0]


def test_divergence_stops_and_keeps_existing_model(runner, corpus, tmp_path):
    out = tmp_path / "m"
    train(runner, corpus, out)
    before = files(out)
    init = tmp_path / "huge.txt"  # rows that overflow float32: the divergence guard must stop the run
    init.write_text("2 16\nthe " + " ".join(["1e20"] * 16) + "\ncar " + " ".join(["-1e20"] * 16) + "\n")
    res = runner.invoke(main, ["train", str(corpus), "-o", str(out), *FAST, "--init", str(init)])
    assert res.exit_code == 1, res.output
    assert "diverged" in res.output and "Traceback" not in res.output
    assert files(out) == before


def test_resume_refuses_other_settings(runner, corpus, tmp_path):
    out = tmp_path / "m"
    train(runner, corpus, out)
    res = runner.invoke(main, ["train", "--resume", str(out), "--dim", "8"])
    assert res.exit_code == 2 and "--dim" in res.output
    res = runner.invoke(main, ["train", "--resume", str(tmp_path / "nope")])
    assert res.exit_code == 2 and "nope" in res.output


@pytest.mark.parametrize("state", ['{}', '[]', '{"epochs_done": "x"}', '{"epochs_done": 1, "epochs": 3}'])
def test_a_damaged_train_state_is_one_line_naming_it(runner, corpus, tmp_path, state):
    out = tmp_path / "m"
    train(runner, corpus, out, "--epochs", "2")
    (out / "train_state.json").write_text(state)
    for args in (["--resume", str(out)], [str(corpus), "--continue-from", str(out), "-o", str(tmp_path / "c")]):
        res = runner.invoke(main, ["train", *args, "--quiet"] if args[0] != "--resume" else ["train", *args])
        assert res.exit_code == 1, (args, res.output)
        assert res.output.count("\n") == 1 and "train_state.json" in res.output, res.output


def test_a_directory_that_is_not_a_model_is_not_replaced(runner, corpus, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "c.txt").write_bytes(corpus.read_bytes())
    (data / "notes.txt").write_text("mine")
    before = files(data)
    for args in ([str(data / "c.txt"), "-o", str(data)], [str(data / "c.txt"), "-o", str(data), "--objective", "classify"]):
        res = runner.invoke(main, ["train", *args, *FAST, "--quiet"])
        assert res.exit_code == 2, res.output
        assert res.output.count("\n") == 1 and str(data) in res.output and "not an embedcli model" in res.output
        assert files(data) == before
    empty = tmp_path / "empty"
    empty.mkdir()
    train(runner, corpus, empty)  # an empty directory is no loss
    train(runner, corpus, empty, "--seed", "2")  # nor is a model


def test_missing_corpus_and_bad_output(runner, tmp_path):
    res = runner.invoke(main, ["train", str(tmp_path / "missing.txt"), "-o", str(tmp_path / "m")])
    assert res.exit_code == 1 and "missing.txt" in res.output and "no such file" in res.output
    (tmp_path / "file").write_text("x")
    res = runner.invoke(main, ["train", str(tmp_path / "file"), "-o", str(tmp_path / "file")])
    assert res.exit_code == 2 and "exists" in res.output
    res = runner.invoke(main, ["train", str(tmp_path / "file"), "-o", str(tmp_path / "no" / "such" / "m")])
    assert res.exit_code == 1 and "removes every word" in res.output  # the corpus fails before any write
    assert not (tmp_path / "no").exists()  # missing parents of -o are only created when the model is saved


def test_classify_objective(runner, tmp_path):
    labeled = os.path.join(REPO, "sample_data", "labeled.txt")
    out = tmp_path / "clf"
    res = runner.invoke(main, ["train", "--objective", "classify", labeled, "-o", str(out), "--epochs", "2",
                               "--dim", "10", "--quiet"])
    assert res.exit_code == 0, res.output
    m = Model.load(out)
    assert m.config["objective"] == "classify" and m.config["lr"] == 0.1 and m.config["min_count"] == 1
    assert "labels" in m.objects and m.table.shape[1] == 10


def test_train_with_a_given_vocabulary(runner, corpus, tmp_path):
    vocab_path = tmp_path / "v.json"
    res = runner.invoke(main, ["vocab", str(corpus), "-o", str(vocab_path), "--max-size", "6", "--quiet"])
    assert res.exit_code == 0, res.output
    out = tmp_path / "m"
    train(runner, corpus, out, "--vocab", str(vocab_path), "--max-size", "6")  # agrees with the vocabulary
    m = Model.load(out)
    assert m.vocab.tokens == json.loads(vocab_path.read_text())["tokens"]
    assert m.table.shape == (8, 16) and np.all(m.table[0] == 0)
    # a flag that would shape another vocabulary is not ignored without a word: it is an error
    for flag, message in ((["--min-count", "1000"], "--min-count 1000: the vocabulary"),
                          (["--no-lower"], "--lower off: the vocabulary"), (["--keep-punct"], "--keep-punct on:"),
                          (["--order", "frequency"], "--order frequency:")):
        res = runner.invoke(main, ["train", str(corpus), "-o", str(tmp_path / "x"), "--quiet", *FAST, "--vocab",
                                   str(vocab_path), *flag])
        assert res.exit_code == 2 and res.stderr.startswith(f"Error: {message}"), res.output
        assert "its own settings are used" in res.stderr and len(res.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x").exists()
    # a config file's value is no request: the vocabulary's settings are used, as before
    (tmp_path / "c.yaml").write_text("min_count: 1000\nlower: false\n", encoding="utf-8")
    res = runner.invoke(main, ["train", str(corpus), "-o", str(tmp_path / "y"), "--config", str(tmp_path / "c.yaml"),
                               "--quiet", "--dim", "16", "--epochs", "2", "--vocab", str(vocab_path)])
    assert res.exit_code == 0 and Model.load(tmp_path / "y").vocab.tokens == m.vocab.tokens, res.output


@pytest.mark.parametrize("flag", [["--checkpoint-every", "1"], ["--vocab", "v.json"]])
def test_classify_refuses_word_vector_only_flags(runner, tmp_path, flag):
    labeled = os.path.join(REPO, "sample_data", "labeled.txt")
    res = runner.invoke(main, ["train", "--objective", "classify", labeled, "-o", str(tmp_path / "c"), *flag])
    assert res.exit_code == 2 and flag[0] in res.output and "classify" in res.output
    assert not (tmp_path / "c").exists()


@pytest.mark.parametrize("objective", ["skipgram", "cbow"])
def test_dry_run_names_the_workers_a_run_uses(runner, corpus, tmp_path, objective):
    # a run uses at most a round's batches of processes (--round-batches, by default fewer for a small
    # corpus); the dry run said 'with 8 worker(s)' for --workers 8 where the run had 3 (CBOW here: 1)
    args = ["--objective", objective, "--dim", "16", "--epochs", "1", "--min-count", "1", "--workers", "8"]
    res = runner.invoke(main, ["train", str(corpus), "-o", str(tmp_path / "m"), "-q", *args])
    assert res.exit_code == 0, res.output
    rounds = Model.load(tmp_path / "m").config["round_batches"]
    assert rounds < 8
    res = runner.invoke(main, ["train", str(corpus), "-o", str(tmp_path / "d"), "--dry-run", "--json", *args])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["workers"] == rounds
    res = runner.invoke(main, ["train", str(corpus), "-o", str(tmp_path / "d"), "--dry-run", *args])
    assert f"with {rounds} worker(s)" in res.output, res.output


def test_dry_run_estimates_the_working_memory(runner, corpus, tmp_path):
    # --dry-run 'estimates memory' but gave the two tables only: 0.1 MiB for --negative 20000 on the
    # sample corpus, whose run peaked at 460 MB (the batches' negatives); the trainer's own estimate
    # (Trainer.working_bytes, what refuses settings beyond the machine) is shown beside the tables
    def dry(*extra):
        res = runner.invoke(main, ["train", str(corpus), "-o", str(tmp_path / "d"), "--dry-run", *FAST, *extra])
        assert res.exit_code == 0, res.output
        return res.output

    small, large = (json.loads(dry("--json", "--negative", n))["working_bytes"] for n in ("5", "2000"))
    assert 0 < small < 50 * 2**20 and large > 20 * small
    assert f"working memory  about {large / 2**20:,.1f} MiB beside the tables" in dry("--negative", "2000")


@pytest.mark.parametrize("objective, lr, min_lr", [("skipgram", "0.05", "0.0001"), ("cbow", "0.05", "0.0001"),
                                                  ("classify", "0.1", "0")])
def test_dry_run_names_the_objective_and_the_learning_rate(runner, corpus, tmp_path, objective, lr, min_lr):
    # the text dry run of skip-gram and of CBOW were the same lines (only --json named the objective) and
    # neither said the learning rate, whose default depends on the objective (classify 0.1 to 0)
    path = os.path.join(REPO, "sample_data", "labeled.txt") if objective == "classify" else str(corpus)
    args = ["train", path, "-o", str(tmp_path / "d"), "--dry-run", "--objective", objective, "--dim", "8"]
    res = runner.invoke(main, args)
    assert res.exit_code == 0, res.output
    assert re.search(rf"^objective +{objective}, lr {lr} down to {min_lr}$", res.output, re.M), res.output
    info = json.loads(runner.invoke(main, [*args, "--json"]).output)
    assert (info["objective"], info["lr"], info["min_lr"]) == (objective, float(lr), float(min_lr))
