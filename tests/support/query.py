"""Helpers and fixtures of the query tests, shared by test_cli_query.py, test_query.py."""

import os

import numpy as np
import pytest
from gensim.models import KeyedVectors

from embedcli.model import Model
from embedcli.vocab import build_vocab, count_tokens

from support import REPO

CORPUS = os.path.join(REPO, "sample_data", "corpus.txt")


def words_kv(vocab, table):
    """The reference client: gensim KeyedVectors over the word rows (specials excluded)."""
    ids = [i for i in range(len(vocab)) if i not in vocab.special_ids()]
    kv = KeyedVectors(table.shape[1])
    kv.add_vectors([vocab.tokens[i] for i in ids], table[ids])
    return kv


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    corpus = CORPUS if os.path.exists(CORPUS) else None
    tmp = tmp_path_factory.mktemp("q")
    if corpus is None:
        corpus = tmp / "c.txt"
        corpus.write_text(" ".join(f"w{i}" for i in range(500)) + " king queen man woman\n")
    counts, total = count_tokens([corpus])
    vocab = build_vocab(counts, total)
    rng = np.random.default_rng(7)
    table = rng.standard_normal((len(vocab), 16)).astype(np.float32)
    path = tmp / "m"
    Model(vocab=vocab, table=table).save(path)
    return str(path), vocab, table
