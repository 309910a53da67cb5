"""Helpers and fixtures of the train tests, shared by test_cli_train.py,
test_cli_train_subwords.py, test_cli_train_workers.py."""

import os

import numpy as np

ANIMALS = ["cat", "dog", "horse", "cow"]


VEHICLES = ["car", "bus", "truck", "train"]


def synthetic_corpus(path, lines=1500, seed=0):
    """Animals and vehicles appear in disjoint contexts; fillers are shared."""
    rng = np.random.default_rng(seed)
    animal_ctx = ["eats", "grass", "barn", "farmer", "milk", "sleeps"]
    vehicle_ctx = ["drives", "road", "fuel", "engine", "parks", "garage"]
    filler = ["the", "a", "then", "today", "near"]
    out = []
    for _ in range(lines):
        if rng.random() < 0.5:
            word, ctx = rng.choice(ANIMALS), animal_ctx
        else:
            word, ctx = rng.choice(VEHICLES), vehicle_ctx
        words = [rng.choice(filler), rng.choice(ctx), word, rng.choice(ctx), rng.choice(filler), rng.choice(ctx)]
        out.append(" ".join(words))
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


def files(model_dir):
    return {name: (model_dir / name).read_bytes() for name in sorted(os.listdir(model_dir))}


def checkpoint_interrupt_and_resume(runner, monkeypatch, corpus, out, *args, before_resume=None):
    """Train ``corpus`` into ``out`` for 3 epochs with ``--checkpoint-every 2`` and ``args``,
    interrupted (as by Ctrl-C) right after the first checkpoint was saved, check it holds 2
    epochs of this run, then ``--resume`` it to the end (``before_resume(out)`` is called just before)."""
    from embedcli.cli import main
    from embedcli.model import Model
    from embedcli.sgd import run as run_mod

    real_build = run_mod.build_model
    calls = {"n": 0}

    def stop_after_checkpoint(*a, **k):
        model = real_build(*a, **k)
        calls["n"] += 1
        if calls["n"] == 2:  # second save = first checkpoint done, now the final model: interrupt
            raise KeyboardInterrupt
        return model

    monkeypatch.setattr(run_mod, "build_model", stop_after_checkpoint)
    res = runner.invoke(main, ["train", str(corpus), "-o", str(out), "--quiet", *args, "--epochs", "3",
                               "--checkpoint-every", "2"])
    assert res.exit_code == 130
    monkeypatch.setattr(run_mod, "build_model", real_build)
    state = Model.load(out).objects["train_state"]
    assert state["epochs_done"] - state.get("first_epoch", 0) == 2  # (a continued model's count its earlier ones)
    if before_resume is not None:
        before_resume(out)
    res = runner.invoke(main, ["train", "--resume", str(out), "--quiet"])
    assert res.exit_code == 0, res.output
