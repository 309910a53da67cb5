"""Helpers and fixtures of the table tests, shared by test_cli_table.py, test_table.py."""

import numpy as np

from embedcli.model import Model
from embedcli.text import TextSettings
from embedcli.vocab import build_vocab, count_tokens

SEED = "Hope to see you soon\nNice to see you again\n"


def make_model(tmp_path, text=SEED, dim=2, seed=0, name="model", settings=TextSettings()):
    corpus = tmp_path / f"{name}.txt"
    corpus.write_text(text, encoding="utf-8")
    counts, total = count_tokens([corpus], settings)
    vocab = build_vocab(counts, total, settings)
    rng = np.random.default_rng(seed)
    table = rng.standard_normal((len(vocab), dim)).astype(np.float32)
    path = tmp_path / name
    Model(vocab=vocab, table=table, config={"objective": "test"}).save(path)
    return str(path), vocab, table
