"""Training a trained model further (`embedcli train --continue-from MODEL`, `embedcli.train(continue_from=)`):
gensim's build_vocab(update=True) + train on a loaded model. The model's words keep their ids and
both their rows; the new corpus's words are added after them; the new epochs have their own
learning-rate schedule; the bytes depend on the seed and settings only."""

import json
from collections import Counter

import numpy as np
import pytest

import embedcli
from embedcli.cli import main
from embedcli.model import Model
from embedcli.text import TextSettings
from embedcli.vocab import Vocab, build_vocab, extend_vocab

from support.train import ANIMALS, checkpoint_interrupt_and_resume, files, synthetic_corpus

FAST = ["--dim", "16", "--min-count", "1", "--quiet"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return synthetic_corpus(tmp_path_factory.mktemp("corpus") / "c.txt")


@pytest.fixture(scope="module")
def new_corpus(tmp_path_factory):
    """The same kind of text, with two new words that live among the animals' contexts."""
    rng = np.random.default_rng(5)
    lines = []
    for _ in range(600):
        word = rng.choice(ANIMALS + ["zebra", "llama"])
        lines.append(f"the eats {word} grass a barn")
    path = tmp_path_factory.mktemp("new") / "new.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def base(tmp_path_factory, corpus):
    """A skip-gram model of ``corpus`` after 2 epochs."""
    from click.testing import CliRunner

    out = tmp_path_factory.mktemp("base") / "v1"
    res = CliRunner().invoke(main, ["train", str(corpus), "-o", str(out), *FAST, "--epochs", "2", "--workers", "1"])
    assert res.exit_code == 0, res.output
    return out


def run(runner, *args, code=0):
    res = runner.invoke(main, ["train", *map(str, args)])
    assert res.exit_code == code, res.output
    return res


# -- the vocabulary ------------------------------------------------------------------------------
def _base_vocab():
    return build_vocab(Counter({"hope": 3, "to": 5, "see": 2}), 10, TextSettings(), min_count=1)


def test_extend_vocab_keeps_ids_adds_counts_and_new_words():
    base = _base_vocab()
    grown = extend_vocab(base, Counter({"nice": 2, "to": 4, "again": 1, "see": 1}), 8, min_count=2)
    assert grown.tokens == base.tokens + ["nice"]  # 'again' occurs once: below min_count
    assert grown.tokens[: len(base)] == base.tokens
    assert grown["to"] == base["to"] and grown.counts[grown["to"]] == 9 and grown.counts[grown["see"]] == 3
    assert grown.counts[grown["nice"]] == 2
    assert grown.counts[grown.unk_id] == base.counts[base.unk_id] + 1  # 'again' is one more unknown token
    assert grown.corpus_tokens == base.corpus_tokens + 8


def test_extend_vocab_order_and_max_size():
    base = _base_vocab()
    new = Counter({"a": 1, "b": 3, "c": 2, "d": 3})
    assert extend_vocab(base, new, 9).tokens[len(base):] == ["a", "b", "c", "d"]  # first appearance
    assert extend_vocab(base, new, 9, order="frequency").tokens[len(base):] == ["b", "d", "c", "a"]
    # room for two more words: the two most frequent, in order of appearance; old words are never dropped
    assert extend_vocab(base, new, 9, max_size=5).tokens[len(base):] == ["b", "d"]
    assert extend_vocab(base, new, 9, max_size=2).tokens == base.tokens


# -- the command line ----------------------------------------------------------------------------
def test_continue_on_the_same_corpus(runner, tmp_path, base):
    """No CORPUS: the model's own; -o elsewhere leaves it as it was. Epochs and history go on."""
    before = files(base)
    out = tmp_path / "v2"
    res = run(runner, "--continue-from", base, "-o", out, "--epochs", "3", "--json")
    summary = json.loads(res.stdout)
    assert files(base) == before
    m, b = Model.load(out), Model.load(base)
    assert m.vocab.tokens == b.vocab.tokens
    assert m.vocab.counts == [2 * c for c in b.vocab.counts]  # its counts, and the same corpus's again
    assert [e["epoch"] for e in m.history] == [1, 2, 3, 4, 5] and m.history[:2] == b.history
    assert m.objects["train_state"] == {**b.objects["train_state"], "epochs_done": 5, "epochs": 5,
                                        "first_epoch": 2}
    assert summary["continued"] == {"model": str(base), "epochs_before": 2, "vocab_before": len(b.vocab),
                                    "words_added": 0}
    assert m.config["corpus"] == b.config["corpus"] and m.config["continue_from"] == str(base)
    assert m.history[2]["lr"] > m.history[1]["lr"]  # its own schedule: from --lr down again
    assert m.history[-1]["loss"] < b.history[-1]["loss"]  # and it goes on learning
    assert not np.array_equal(m.table, b.table)


def test_both_matrices_are_the_start(runner, tmp_path, base, corpus):
    """At a learning rate too small to move a row, a continued model is the model it continued:
    its input and its output rows (a fresh output layer would be zeros)."""
    out = tmp_path / "still"
    run(runner, corpus, "--continue-from", base, "-o", out, "--epochs", "1", "--lr", "1e-12", "--min-lr", "0")
    m, b = Model.load(out), Model.load(base)
    assert np.abs(b.arrays["output"]).max() > 0.1
    np.testing.assert_allclose(m.arrays["output"], b.arrays["output"], atol=1e-9)
    np.testing.assert_allclose(m.table, b.table, atol=1e-9)


def test_new_words_are_added_after_the_old_ones(runner, tmp_path, base, new_corpus):
    out = tmp_path / "v2"
    run(runner, new_corpus, "--continue-from", base, "-o", out, "--epochs", "4", "--workers", "1")
    m, b = Model.load(out), Model.load(base)
    n = len(b.vocab)
    assert m.vocab.tokens[:n] == b.vocab.tokens and m.vocab.tokens[n:] == ["zebra", "llama"]
    assert m.table.shape == (n + 2, 16) and m.arrays["output"].shape == (n + 2, 16)
    assert m.vocab.counts[m.vocab["barn"]] > b.vocab.counts[b.vocab["barn"]]
    # the new words learnt their place among the animals, from the old rows
    emb = embedcli.load(out)
    near = [w for w, _ in emb.most_similar("zebra", topn=6)]
    assert len(set(near) & set(ANIMALS + ["llama"])) >= 3, near
    assert json.loads((out / "continued.json").read_text())["words_added"] == 2
    # one rule for growing a vocabulary: `embedcli vocab NEW --extend` gives the same one
    assert m.vocab == Vocab.load(base / "vocab.json").extend(new_corpus, min_count=1)


def test_same_bytes_on_any_number_of_workers_and_again(runner, tmp_path, base, new_corpus):
    outs = []
    for workers in ("1", "4", "4"):
        out = tmp_path / f"w{len(outs)}"
        run(runner, new_corpus, "--continue-from", base, "-o", out, "--epochs", "2", "--workers", workers,
            "--objective", "skipgram")
        outs.append(files(out))
    assert outs[0]["table.npy"] == outs[1]["table.npy"] == outs[2]["table.npy"]
    assert outs[0]["output.npy"] == outs[1]["output.npy"]


def test_without_o_the_model_is_replaced_when_done(runner, tmp_path, corpus):
    model = tmp_path / "m"
    run(runner, corpus, "-o", model, *FAST, "--epochs", "1", "--objective", "cbow")
    run(runner, "--continue-from", model, "--epochs", "2", "--quiet")
    m = Model.load(model)
    assert m.objects["train_state"]["epochs_done"] == 3 and m.config["objective"] == "cbow"
    assert m.config["dim"] == 16  # the model's settings are the run's defaults


def test_flags_change_what_may_change_and_not_the_rest(runner, tmp_path, base, corpus):
    out = tmp_path / "v2"
    run(runner, "--continue-from", base, "-o", out, "--epochs", "1", "--window", "2", "--lr", "0.01")
    cfg = Model.load(out).config
    assert (cfg["window"], cfg["lr"], cfg["epochs"], cfg["dim"]) == (2, 0.01, 1, 16)
    for flag, value, said in [("--dim", "32", "was trained with dim 16"),
                              ("--objective", "cbow", "was trained with objective skipgram"),
                              ("--subwords", "3-6", "was trained with subwords 0"),
                              ("--lower", None, "was trained with lower on")]:
        args = [flag, value] if value else ["--no-lower"]
        res = run(runner, "--continue-from", base, "-o", tmp_path / "x", *args, code=2)
        assert said in res.output and flag in res.output and "Traceback" not in res.output
    res = run(runner, "--continue-from", base, "-o", tmp_path / "x", "--objective", "classify", code=2)
    assert "--continue-from" in res.output and "classifier" in res.output
    res = run(runner, corpus, "--continue-from", base, "-o", tmp_path / "x", "--init", base, code=2)
    assert "--init cannot be used with --continue-from" in res.output
    res = run(runner, "--continue-from", tmp_path / "nope", code=2)
    assert "--continue-from" in res.output and "no such model directory" in res.output
    res = run(runner, "--continue-from", corpus, code=2)
    assert "a file, not a model directory" in res.output and "--init" in res.output
    (tmp_path / "empty").mkdir()
    res = run(runner, "--continue-from", tmp_path / "empty", code=2)
    assert "no config.yaml in it" in res.output
    assert not (tmp_path / "x").exists()


def test_a_checkpoint_or_a_classifier_is_not_continued(runner, tmp_path, corpus, monkeypatch):
    from embedcli.sgd import run as run_mod

    part = tmp_path / "part"
    real_build = run_mod.build_model
    calls = {"n": 0}

    def stop_after_checkpoint(*a, **k):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real_build(*a, **k)

    monkeypatch.setattr(run_mod, "build_model", stop_after_checkpoint)
    run(runner, corpus, "-o", part, *FAST, "--epochs", "3", "--checkpoint-every", "1", code=130)
    monkeypatch.setattr(run_mod, "build_model", real_build)
    res = run(runner, "--continue-from", part, code=2)
    assert "a checkpoint (1 of 3 epochs)" in res.output and "--resume" in res.output
    clf = tmp_path / "clf"
    labeled = tmp_path / "l.txt"
    labeled.write_text("__label__a good film\n__label__b bad film\n" * 20)
    run(runner, labeled, "-o", clf, "--objective", "classify", "--quiet")
    res = run(runner, "--continue-from", clf, "--objective", "skipgram", code=2)
    assert "a classify model" in res.output


def test_a_continued_run_resumes_to_the_same_bytes(runner, tmp_path, monkeypatch, base, new_corpus):
    full = tmp_path / "full"
    run(runner, new_corpus, "--continue-from", base, "-o", full, "--epochs", "3", "--workers", "1", "--quiet")
    out = tmp_path / "ck"
    checkpoint_interrupt_and_resume(runner, monkeypatch, new_corpus, out, "--continue-from", str(base),
                                    "--workers", "1")
    assert files(out)["table.npy"] == files(full)["table.npy"]
    assert files(out)["output.npy"] == files(full)["output.npy"]
    assert [e["epoch"] for e in Model.load(out).history] == [1, 2, 3, 4, 5]
    res = run(runner, "--resume", out, code=1)
    assert "already trained for all 5 epochs" in res.output and "--continue-from" in res.output


def test_subwords_and_frozen_rows_carry_over(runner, tmp_path, corpus, new_corpus):
    glove = tmp_path / "g.txt"
    rng = np.random.default_rng(1)
    glove.write_text("".join(f"{w} " + " ".join(f"{x:.4f}" for x in rng.standard_normal(16)) + "\n"
                             for w in ("cat", "dog")))
    v1 = tmp_path / "v1"
    run(runner, corpus, "-o", v1, *FAST, "--epochs", "1", "--subwords", "3-4", "--init", glove, "--freeze")
    v2 = tmp_path / "v2"
    res = run(runner, new_corpus, "--continue-from", v1, "-o", v2, "--epochs", "2", "--json")
    a, b = Model.load(v1), Model.load(v2)
    assert json.loads(res.stdout)["continued"]["words_added"] == 2
    n, buckets = len(a.vocab), a.objects["subwords"]["buckets"]
    assert b.objects["subwords"]["buckets"] == buckets and b.arrays["input_rows"].shape == (n + 2 + buckets, 16)
    for word in ("cat", "dog"):  # frozen: bit-identical word rows, as in the first run
        i = a.vocab[word]
        assert b.arrays["input_rows"][i].tobytes() == a.arrays["input_rows"][i].tobytes()
    assert b.arrays["init_found"].tolist() == a.arrays["init_found"].tolist() + [False, False]
    assert not np.array_equal(b.arrays["input_rows"][n + 2 :], a.arrays["input_rows"][n:])  # the buckets trained on


def test_freeze_needs_rows_from_an_init_file(runner, tmp_path, base, corpus):
    res = run(runner, "--continue-from", base, "-o", tmp_path / "x", "--freeze", code=2)
    assert "--freeze" in res.output and "not started from an --init file" in res.output


def test_dry_run_says_what_would_be_added(runner, base, new_corpus):
    res = run(runner, new_corpus, "--continue-from", base, "--dry-run", "--json")
    info = json.loads(res.stdout)
    assert info["continued"]["words_added"] == 2 and info["vocab_size"] == info["continued"]["vocab_before"] + 2
    res = run(runner, new_corpus, "--continue-from", base, "--dry-run")
    assert "continued" in res.output and "after 2 epochs; 2 words" in res.output


# -- the library ---------------------------------------------------------------------------------
def test_library_gives_the_command_lines_bytes(runner, tmp_path, base, new_corpus):
    cli = tmp_path / "cli"
    run(runner, new_corpus, "--continue-from", base, "-o", cli, "--epochs", "2", "--workers", "2", "--quiet")
    emb = embedcli.train(new_corpus, continue_from=base, epochs=2, workers=2, output=tmp_path / "lib")
    assert files(tmp_path / "lib")["table.npy"] == files(cli)["table.npy"]
    assert emb["zebra"].shape == (16,) and emb.vocab.tokens[: len(Vocab.load(base / "vocab.json"))] == \
        Vocab.load(base / "vocab.json").tokens
    with pytest.raises(embedcli.errors.ParameterError, match="dim"):
        embedcli.train(new_corpus, continue_from=base, dim=8)


def test_library_continues_a_model_in_memory(tmp_path, corpus, new_corpus):
    """As gensim's model.train on a model built in the notebook: the Embeddings train() returned."""
    lines = corpus.read_text(encoding="utf-8").splitlines()
    emb = embedcli.train(lines, dim=16, epochs=2, min_count=1, workers=1)
    before = (emb.table.copy(), emb.model.arrays["output"].copy())
    more = embedcli.train(new_corpus, continue_from=emb, epochs=2, workers=1)
    assert np.array_equal(emb.table, before[0]) and np.array_equal(emb.model.arrays["output"], before[1])  # untouched
    assert emb.table[emb.vocab.unk_id].any() and not more.model.arrays["output"][1].any()  # <unk> never trains
    assert more.vocab.tokens[: len(emb.vocab)] == emb.vocab.tokens and more.vocab.tokens[len(emb.vocab):] == \
        ["zebra", "llama"]
    assert more.model.config["dim"] == 16 and more.model.config["min_count"] == 1  # the model's settings
    assert more.model.objects["continued"] == {"model": None, "epochs_before": 2, "vocab_before": len(emb.vocab),
                                               "words_added": 2}
    with pytest.raises(embedcli.errors.ParameterError, match="dim 8: the continued model was trained with dim 16"):
        embedcli.train(new_corpus, continue_from=emb, dim=8)
    # the same run from the model saved as a directory (its config says output: null): the same bytes
    emb.model.save(tmp_path / "saved")
    again = embedcli.train(new_corpus, continue_from=tmp_path / "saved", epochs=2, workers=4)
    assert again.table.tobytes() == more.table.tobytes()
    glove = tmp_path / "g.txt"
    glove.write_text("cat 0.1 0.2\ndog 0.3 0.4\n")
    with pytest.raises(embedcli.errors.ParameterError, match="no training state"):
        embedcli.train(new_corpus, continue_from=embedcli.load(glove))


def test_a_model_in_memory_is_continued_with_its_own_settings_not_its_directory_s(tmp_path, corpus, new_corpus):
    """Embeddings trained with output=DIR (or saved there) are continued as they are in memory: the
    directory may hold another model since (a notebook cell re-run with other settings) or be gone;
    its settings used to be read from DIR's config.yaml ('no such model directory' once removed)."""
    import shutil

    lines = corpus.read_text(encoding="utf-8").splitlines()
    out = tmp_path / "m"
    emb = embedcli.train(lines, dim=16, epochs=1, min_count=1, workers=1, seed=3, output=out)
    want = embedcli.train(new_corpus, continue_from=emb, epochs=1, workers=1)
    assert want.model.config["continue_from"] == str(out)  # recorded, as where it was saved
    embedcli.train(lines, dim=16, epochs=1, min_count=1, workers=1, seed=9, window=2, output=out)  # another model
    got = embedcli.train(new_corpus, continue_from=emb, epochs=1, workers=1)
    assert got.model.config["seed"] == 3 and got.model.config["window"] == 5
    assert got.table.tobytes() == want.table.tobytes()
    shutil.rmtree(out)
    assert embedcli.train(new_corpus, continue_from=emb, epochs=1, workers=1).table.tobytes() == want.table.tobytes()


def test_library_continues_a_frozen_model_in_memory(tmp_path, corpus, new_corpus):
    glove = tmp_path / "g.txt"
    glove.write_text("cat " + " ".join(["0.5"] * 16) + "\n")
    emb = embedcli.train(corpus, dim=16, epochs=1, min_count=1, workers=1, init=glove, freeze=True)
    more = embedcli.train(new_corpus, continue_from=emb, epochs=1, workers=1)
    assert more.model.config["freeze"] is True
    assert more["cat"].tobytes() == emb["cat"].tobytes() == np.full(16, 0.5, dtype=np.float32).tobytes()


def test_continue_from_in_a_config_file(runner, tmp_path, corpus):
    """continue_from is a setting like any: in a config file (relative to it) it continues that model,
    whose settings come under the file's, and without -o the model is replaced."""
    model = tmp_path / "m"
    run(runner, corpus, "-o", model, *FAST, "--epochs", "1", "--workers", "1")
    config = tmp_path / "more.yaml"
    config.write_text("continue_from: m\nepochs: 2\nwindow: 3\n")
    run(runner, "--config", config, "--quiet")
    m = Model.load(model)
    assert m.objects["train_state"]["epochs_done"] == 3 and m.config["window"] == 3 and m.config["dim"] == 16
    assert m.config["continue_from"] == str(model)


def test_a_models_table_npy_names_it(runner, tmp_path, base, new_corpus):
    out = tmp_path / "v2"
    res = run(runner, new_corpus, "--continue-from", base / "table.npy", "-o", out, "--epochs", "1", "--json")
    assert json.loads(res.stdout)["continued"]["words_added"] == 2
    emb = embedcli.load(base / "table.npy")  # loaded through its table.npy: continued from its directory
    assert embedcli.train(new_corpus, continue_from=emb, epochs=1, workers=1).vocab.tokens[-2:] == ["zebra", "llama"]


def test_the_round_size_follows_the_new_corpus(runner, tmp_path):
    """round_batches is resolved from the corpus size when not given: a small model continued on a
    larger corpus gets the larger corpus's rounds (given as a flag, it is kept)."""
    import os

    from support import REPO

    corpus = os.path.join(REPO, "sample_data", "corpus.txt")  # 73k tokens: rounds of 3 batches
    small = tmp_path / "small.txt"
    with open(corpus, encoding="utf-8") as f:
        small.write_text("".join(f.readlines()[:300]))
    model = tmp_path / "m"
    run(runner, small, "-o", model, *FAST, "--epochs", "1", "--workers", "1")
    before = Model.load(model).config["round_batches"]
    run(runner, corpus, "--continue-from", model, "-o", tmp_path / "m2", "--epochs", "1", "--quiet")
    after = Model.load(tmp_path / "m2").config["round_batches"]
    fresh = tmp_path / "fresh"
    run(runner, corpus, "-o", fresh, *FAST, "--epochs", "1", "--workers", "1")
    assert before < after == Model.load(fresh).config["round_batches"]
    run(runner, corpus, "--continue-from", model, "-o", tmp_path / "m3", "--epochs", "1", "--round-batches", "2",
        "--quiet")
    assert Model.load(tmp_path / "m3").config["round_batches"] == 2
