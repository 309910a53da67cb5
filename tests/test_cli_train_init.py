"""`embedcli train --init FILE [--freeze]`: pretrained rows in, frozen rows bit-identical out.
Through the command line; the library tests are in test_train_init.py."""

import json
import os

import numpy as np
import pytest

from embedcli import config as cfg
from embedcli.cli import main
from embedcli.model import Model
from embedcli.sgd.run import trainable_rows
from embedcli.sgd.trainer import init_state

from support.train_init import DIM, corpus, expected_rows, file_vectors, write_glove, write_word2vec_text

FAST = ["--dim", str(DIM), "--epochs", "4", "--min-count", "1", "--sample", "0", "--quiet"]


def train(runner, corpus, out, *extra, code=0):
    res = runner.invoke(main, ["train", str(corpus), "-o", str(out), *FAST, *extra])
    assert res.exit_code == code, res.output
    return res


def files(model_dir):
    """The model's files but the run's timings (history.json) and its output path (config.yaml)."""
    return {name: (model_dir / name).read_bytes() for name in sorted(os.listdir(model_dir))
            if name not in ("history.json", "config.yaml")}


def seeded_table(settings, vocab):
    return init_state(len(vocab), DIM, int(settings.seed), trainable_rows(vocab)).w_in


@pytest.mark.parametrize("fmt", ["word2vec", "glove"])
@pytest.mark.parametrize("objective,workers", [("skipgram", "1"), ("skipgram", "2"), ("cbow", "2")])
def test_freeze_keeps_found_rows_bit_identical(runner, tmp_path, corpus, fmt, objective, workers):
    vecs = file_vectors()
    path = (write_word2vec_text if fmt == "word2vec" else write_glove)(tmp_path / "v", vecs)
    out = tmp_path / "m"
    res = train(runner, corpus, out, "--init", str(path), "--freeze", "--objective", objective,
                "--workers", workers, "--json")
    summary = json.loads(res.stdout)
    assert summary["init"]["found"] == 7 and summary["init"]["frozen"] is True
    assert summary["init"]["format"] == fmt and summary["init"]["file"] == str(path)
    m = Model.load(out)
    settings = cfg.merge(cfg.load_config_file(out / "config.yaml"), {})
    want = expected_rows(m.vocab, vecs)
    seeded = seeded_table(settings, m.vocab)
    for i, vec in want.items():  # bit-identical to the file's float32 values after 4 epochs
        assert m.table[i].tobytes() == vec.tobytes(), m.vocab.tokens[i]
    words = [i for i in range(len(m.vocab)) if i not in m.vocab.special_ids() and i not in want]
    assert words and all(not np.array_equal(m.table[i], seeded[i]) for i in words)  # the others trained
    out_rows = m.arrays["output"]
    assert all(out_rows[i].any() for i in want)  # the output layer still trains, frozen words included
    assert m.arrays["init_found"].sum() == 7


def test_without_freeze_found_rows_train(runner, tmp_path, corpus):
    vecs = file_vectors()
    path = write_word2vec_text(tmp_path / "v.txt", vecs)
    train(runner, corpus, tmp_path / "m", "--init", str(path))
    m = Model.load(tmp_path / "m")
    want = expected_rows(m.vocab, vecs)
    assert all(not np.array_equal(m.table[i], vec) for i, vec in want.items())
    # the start mattered: a run without --init ends elsewhere
    train(runner, corpus, tmp_path / "plain")
    assert not np.array_equal(Model.load(tmp_path / "plain").table, m.table)
    assert m.config["init"] == str(path) and m.config["freeze"] is False
    assert m.objects["init"]["found"] == 7 and m.objects["init"]["frozen"] is False


def test_binary_export_of_a_model_initialises_another(runner, tmp_path, corpus):
    src = tmp_path / "src"
    train(runner, corpus, src, "--seed", "9", "--epochs", "2")
    vec_file = tmp_path / "src.bin"
    res = runner.invoke(main, ["show-table", str(src), "--format", "word2vec-binary", "-o", str(vec_file),
                               "-n", "12"])
    assert res.exit_code == 0, res.output
    source = Model.load(src)
    out = tmp_path / "m"
    res = train(runner, corpus, out, "--init", str(vec_file), "--freeze", "--json")
    summary = json.loads(res.stdout)
    # the 12 exported rows are the first 12 words (<pad> and <unk> are left out)
    assert summary["init"]["format"] == "word2vec-binary" and summary["init"]["found"] == 12
    m = Model.load(out)
    assert m.vocab.tokens == source.vocab.tokens
    assert m.table[2:14].tobytes() == source.table[2:14].tobytes()
    assert not np.array_equal(m.table[14:], source.table[14:])
    assert not m.table[0].any()  # <pad> stays zero, <unk> is the mean of the word rows as usual
    assert np.allclose(m.table[1], m.table[2:].mean(axis=0), atol=1e-6)


def test_a_model_directory_initialises_another_and_a_classifier(runner, tmp_path, corpus):
    """--init MODEL_DIR: every word row of the model, as its word2vec export would give them (a
    new run from a trained model's vectors: a new corpus, more epochs, or a classifier)."""
    src = tmp_path / "src"
    train(runner, corpus, src, "--seed", "9", "--epochs", "2")
    source = Model.load(src)
    res = runner.invoke(main, ["train", "--resume", str(src)])
    assert res.exit_code == 1 and res.stderr.strip().endswith(f"start a new run with --continue-from {src})")
    exported = tmp_path / "src.txt"
    assert runner.invoke(main, ["show-table", str(src), "--format", "word2vec", "-o", str(exported)]).exit_code == 0
    runs = {}
    for name, init in (("dir", src), ("file", exported)):
        res = train(runner, corpus, tmp_path / name, "--init", str(init), "--freeze", "--json")
        runs[name] = json.loads(res.stdout)["init"]
    assert runs["dir"]["format"] == "embedcli-model" and runs["dir"]["found"] == len(source.vocab) - 2
    same = {k: v for k, v in files(tmp_path / "dir").items() if k != "init.json"}  # init.json names the source
    assert same == {k: v for k, v in files(tmp_path / "file").items() if k != "init.json"}  # as through the export
    assert Model.load(tmp_path / "dir").table[2:].tobytes() == source.table[2:].tobytes()  # frozen: kept
    labeled = tmp_path / "l.txt"
    labeled.write_text("__label__a the cat\n__label__b a dog\n" * 50, encoding="utf-8")
    res = runner.invoke(main, ["train", "--objective", "classify", str(labeled), "-o", str(tmp_path / "clf"),
                               "--dim", str(DIM), "--epochs", "2", "--init", str(src), "--json", "-q"])
    assert res.exit_code == 0 and json.loads(res.stdout)["init"]["format"] == "embedcli-model", res.output
    res = train(runner, corpus, tmp_path / "x", "--init", str(tmp_path), code=1)
    assert f"{tmp_path}: not an embedcli model (missing vocab.json and table.npy)" in res.stderr
    # its table.npy names the model, as for similar or show-table ('invalid UTF-8 (byte 0x93)' before)
    res = train(runner, corpus, tmp_path / "npy", "--init", str(src / "table.npy"), "--freeze", "--json")
    assert json.loads(res.stdout)["init"]["found"] == len(source.vocab) - 2
    assert Model.load(tmp_path / "npy").table.tobytes() == Model.load(tmp_path / "dir").table.tobytes()
    np.save(tmp_path / "alone.npy", source.table)
    res = train(runner, corpus, tmp_path / "x", "--init", str(tmp_path / "alone.npy"), code=1)
    assert "alone.npy: not an embedcli model (missing vocab.json)" in res.stderr
    res = train(runner, corpus, tmp_path / "x", "--init", str(src), "--dim", str(DIM + 1), code=1)
    assert f"has {DIM}-dimensional vectors but the table has dim {DIM + 1}; use --dim {DIM}" in res.stderr


def test_summary_line_names_file_and_count(runner, tmp_path, corpus, monkeypatch):
    monkeypatch.chdir(tmp_path)  # short relative paths: rich wraps long lines at the terminal width
    write_glove(tmp_path / "glove.txt", file_vectors())
    res = runner.invoke(main, ["train", str(corpus), "-o", "m", *FAST[:-1], "--init", "glove.txt", "--freeze"])
    assert res.exit_code == 0, res.output
    vocab_words = len(Model.load(tmp_path / "m").vocab) - 2
    assert f"initialised 7 of {vocab_words} word rows from glove.txt (glove, frozen)" in res.output


def test_dimension_mismatch_is_one_line_before_the_corpus(runner, tmp_path, corpus):
    path = write_word2vec_text(tmp_path / "v8.txt", file_vectors(dim=8))
    res = runner.invoke(main, ["train", str(corpus), "-o", str(tmp_path / "m"), *FAST, "--init", str(path)])
    assert res.exit_code == 1
    msg = res.output.strip()
    assert "\n" not in msg and "v8.txt" in msg and "8-dimensional" in msg and f"dim {DIM}" in msg
    assert "Traceback" not in res.output
    # checked before the corpus is read: a missing corpus is not what is reported
    res = runner.invoke(main, ["train", str(tmp_path / "no-corpus.txt"), "-o", str(tmp_path / "m"), *FAST,
                               "--init", str(path)])
    assert res.exit_code == 1 and "8-dimensional" in res.output
    assert not (tmp_path / "m").exists()
    # classify too
    labeled = tmp_path / "l.txt"
    labeled.write_text("__label__a cat dog\n__label__b car bus\n", encoding="utf-8")
    res = runner.invoke(main, ["train", "--objective", "classify", str(labeled), "-o", str(tmp_path / "c"),
                               "--dim", str(DIM), "--init", str(path), "--quiet"])
    assert res.exit_code == 1 and "8-dimensional" in res.output and "\n" not in res.output.strip()


def test_usage_errors(runner, tmp_path, corpus):
    res = runner.invoke(main, ["train", str(corpus), "-o", str(tmp_path / "m"), *FAST, "--freeze"])
    assert res.exit_code == 2 and "--freeze needs --init" in res.output
    conf = tmp_path / "c.yaml"
    conf.write_text(f"corpus: {corpus}\nfreeze: true\n", encoding="utf-8")
    res = runner.invoke(main, ["train", "--config", str(conf), "-o", str(tmp_path / "m")])
    assert res.exit_code == 2 and f"freeze (in {conf}) needs --init" in res.output  # named where it was set
    res = runner.invoke(main, ["train", str(corpus), "-o", str(tmp_path / "m"), *FAST, "--init", "nope.txt"])
    assert res.exit_code == 2 and "--init nope.txt: no such file" in res.output
    bad = tmp_path / "bad.txt"
    bad.write_text("cat" + " 0.5" * DIM + "\ndog" + " 0.5" * (DIM - 1) + " oops\n", encoding="utf-8")
    res = runner.invoke(main, ["train", str(corpus), "-o", str(tmp_path / "m"), *FAST, "--init", str(bad)])
    assert res.exit_code == 1 and "bad.txt: line 2: 'oops' is not a number" in res.output
    assert not (tmp_path / "m").exists()


def test_config_key_resolves_relative_and_is_recorded(runner, tmp_path, corpus):
    conf_dir = tmp_path / "conf"
    conf_dir.mkdir()
    write_glove(conf_dir / "g.txt", file_vectors())
    conf = conf_dir / "c.yaml"
    conf.write_text(f"corpus: {corpus}\ninit: g.txt\nfreeze: true\ndim: {DIM}\nmin_count: 1\nepochs: 2\n"
                    "sample: 0\nworkers: 1\n", encoding="utf-8")
    out = tmp_path / "m"
    res = runner.invoke(main, ["train", "--config", str(conf), "-o", str(out), "--quiet"])
    assert res.exit_code == 0, res.output
    m = Model.load(out)
    assert m.config["init"] == str(conf_dir / "g.txt") and m.config["freeze"] is True
    assert m.objects["init"]["found"] == 7
    # the model's config.yaml repeats the run, byte for byte
    again = tmp_path / "again"
    res = runner.invoke(main, ["train", "--config", str(out / "config.yaml"), "-o", str(again), "--quiet"])
    assert res.exit_code == 0, res.output
    assert files(again) == files(out)
    # --no-freeze overrides the file
    res = runner.invoke(main, ["train", "--config", str(conf), "-o", str(tmp_path / "nf"), "--no-freeze", "--quiet"])
    assert res.exit_code == 0 and Model.load(tmp_path / "nf").config["freeze"] is False


@pytest.mark.parametrize("workers", ["1", "2"])
def test_same_seed_same_bytes_with_init(runner, tmp_path, corpus, workers):
    path = write_word2vec_text(tmp_path / "v.txt", file_vectors())
    for freeze in ([], ["--freeze"]):
        a, b = tmp_path / f"a{len(freeze)}", tmp_path / f"b{len(freeze)}"
        train(runner, corpus, a, "--init", str(path), "--workers", workers, *freeze)
        train(runner, corpus, b, "--init", str(path), "--workers", workers, *freeze)
        assert files(a) == files(b)
    assert files(tmp_path / "a0")["table.npy"] != files(tmp_path / "a1")["table.npy"]


@pytest.mark.parametrize("objective,workers", [("skipgram", "1"), ("cbow", "2")])
def test_resume_with_freeze_equals_uninterrupted_run(runner, tmp_path, corpus, monkeypatch, objective, workers):
    path = write_glove(tmp_path / "g.txt", file_vectors())
    args = ["--init", str(path), "--freeze", "--objective", objective, "--workers", workers]
    full = tmp_path / "full"
    train(runner, corpus, full, *args)
    from embedcli.sgd import run as run_mod

    real_build = run_mod.build_model
    calls = {"n": 0}

    def stop_after_checkpoint(*a, **k):
        model = real_build(*a, **k)
        calls["n"] += 1
        if calls["n"] == 2:  # the checkpoint after epoch 2 is saved; interrupt before the final model
            raise KeyboardInterrupt
        return model

    out = tmp_path / "ck"
    monkeypatch.setattr(run_mod, "build_model", stop_after_checkpoint)
    res = runner.invoke(main, ["train", str(corpus), "-o", str(out), *FAST, *args, "--checkpoint-every", "2"])
    assert res.exit_code == 130
    monkeypatch.setattr(run_mod, "build_model", real_build)
    ck = Model.load(out)
    assert ck.objects["train_state"]["epochs_done"] == 2 and ck.arrays["init_found"].sum() == 7
    # the init file is not read again on resume: the frozen rows come from init_found.npy
    os.remove(path)
    res = runner.invoke(main, ["train", "--resume", str(out), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["init"]["found"] == 7
    got, want = files(out), files(full)
    for name in ("table.npy", "output.npy", "init_found.npy", "init.json", "vocab.json"):
        assert got[name] == want[name], name
    m = Model.load(out)
    for i, vec in expected_rows(m.vocab, file_vectors()).items():
        assert m.table[i].tobytes() == vec.tobytes()


def test_resume_refuses_freeze_without_found_mask(runner, tmp_path, corpus):
    path = write_glove(tmp_path / "g.txt", file_vectors())
    out = tmp_path / "m"
    train(runner, corpus, out, "--init", str(path), "--freeze", "--checkpoint-every", "1")
    m = Model.load(out)
    m.objects["train_state"]["epochs_done"] = 2
    del m.arrays["init_found"]
    m.save(out)
    res = runner.invoke(main, ["train", "--resume", str(out)])
    assert res.exit_code == 1 and "init_found.npy" in res.output and "Traceback" not in res.output


def test_classify_init_and_freeze(runner, tmp_path):
    rng = np.random.default_rng(0)
    lines = []
    for _ in range(300):
        if rng.random() < 0.5:
            lines.append("__label__animal " + " ".join(rng.choice(["cat", "dog", "farmer", "barn", "the"], 4)))
        else:
            lines.append("__label__vehicle " + " ".join(rng.choice(["car", "truck", "road", "fuel", "the"], 4)))
    labeled = tmp_path / "l.txt"
    labeled.write_text("\n".join(lines) + "\n", encoding="utf-8")
    vecs = file_vectors(["cat", "car", "Road", "<unk>", "absent"])
    path = write_word2vec_text(tmp_path / "v.txt", vecs)
    base = ["train", "--objective", "classify", str(labeled), "--dim", str(DIM), "--epochs", "5"]
    runs = {}
    for name, extra in (("plain", []), ("init", ["--init", str(path)]), ("frozen", ["--init", str(path), "--freeze"]),
                        ("frozen2", ["--init", str(path), "--freeze"])):
        res = runner.invoke(main, base + ["-o", str(tmp_path / name), "--json", *extra])
        assert res.exit_code == 0, res.output
        runs[name] = (json.loads(res.stdout), Model.load(tmp_path / name))
    summary, m = runs["frozen"]
    assert summary["init"]["found"] == 3 and summary["init"]["frozen"] is True
    want = expected_rows(m.vocab, vecs)
    assert sorted(want) == sorted(np.flatnonzero(m.arrays["init_found"]).tolist())
    for i, vec in want.items():
        assert m.table[i].tobytes() == vec.tobytes()
        assert not np.array_equal(runs["init"][1].table[i], vec)  # trained without --freeze
    # the other word rows trained from the classifier's seeded start (uniform in ±1/dim, seed 1)
    start = np.random.default_rng(1).random((len(m.vocab), DIM), dtype=np.float32)
    start *= np.float32(2.0 / DIM)
    start -= np.float32(1.0 / DIM)
    others = [i for i in range(2, len(m.vocab)) if i not in want]
    assert all(not np.array_equal(m.table[i], start[i]) for i in others)
    assert not m.table[:2].any()
    assert files(tmp_path / "frozen") == files(tmp_path / "frozen2")  # deterministic
    assert m.config["init"] == str(path) and m.config["freeze"] is True
    res = runner.invoke(main, ["predict", str(tmp_path / "frozen"), "cat dog farmer", "--json"])
    assert res.exit_code == 0, res.output
    assert "__label__animal" in res.output
