"""Helpers and fixtures of the explore tests, shared by test_cli_explore.py, test_explore.py."""

import json
import re

import numpy as np

from embedcli.model import Model
from embedcli.vocab import Vocab


def make_model(n_words, dim, seed=0, tokens=None, counts=None, objective="skipgram"):
    rng = np.random.default_rng(seed)
    tokens = tokens or [f"w{i}" for i in range(n_words)]
    counts = counts or rng.integers(1, 10_000, size=len(tokens)).tolist()
    vocab = Vocab(["<pad>", "<unk>"] + tokens, [0, 0] + counts)
    table = rng.standard_normal((len(vocab), dim)).astype(np.float32)
    return Model(vocab, table, {"objective": objective})


def page_data(page: str) -> dict:
    """The JSON of the page, parsed back (the <script type=application/json> element)."""
    m = re.search(r'<script id="embedcli-data" type="application/json">(.*?)</script>', page, re.S)
    assert m, "no data element in the page"
    return json.loads(m.group(1))
