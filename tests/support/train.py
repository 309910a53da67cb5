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
