"""Helpers and fixtures of the evaluate tests, shared by test_cli_evaluate.py, test_evaluate.py."""

import os
import warnings

import numpy as np
import pytest
from gensim.models import KeyedVectors

from embedcli.model import Model
from embedcli.vocab import build_vocab, count_tokens

from support import REPO

SAMPLE = os.path.join(REPO, "sample_data")


def words_kv(vocab, table):
    """The word rows in gensim's order: by descending count, ties by index (gensim sorts its
    vocabularies by frequency, so its restrict_vocab=N means the N most frequent words)."""
    ids = [i for i in range(len(vocab)) if i not in vocab.special_ids()]
    ids.sort(key=lambda i: (-vocab.counts[i], i))
    kv = KeyedVectors(table.shape[1])
    kv.add_vectors([vocab.tokens[i] for i in ids], table[ids])
    return kv


def structured_table(vocab, analogy_path, dim=24, noise=0.6, seed=0):
    """Random rows, plus a per-section offset between the words of each analogy pair, so that
    some questions are answered right and some wrong."""
    rng = np.random.default_rng(seed)
    table = rng.standard_normal((len(vocab), dim)).astype(np.float32)
    offset = None
    with open(analogy_path, encoding="utf-8") as f:
        for line in f:
            if line.startswith(":"):
                offset = rng.standard_normal(dim) * 2
                continue
            w = line.lower().split()
            if len(w) != 4 or any(x not in vocab for x in w):
                continue
            for x, y in ((w[0], w[1]), (w[2], w[3])):
                table[vocab.index[y]] = table[vocab.index[x]] + offset + rng.standard_normal(dim) * noise
    return table


@pytest.fixture(scope="module")
def sample_model(tmp_path_factory):
    counts, total = count_tokens([os.path.join(SAMPLE, "corpus.txt")])
    vocab = build_vocab(counts, total)
    table = structured_table(vocab, os.path.join(SAMPLE, "analogies.txt"))
    path = tmp_path_factory.mktemp("ev") / "m"
    Model(vocab=vocab, table=table).save(path)
    return str(path), vocab, table


# -- analogies ------------------------------------------------------------------------------
def _gensim_analogies(kv, path, method="3cosadd", **kw):
    if method == "3cosmul":
        # gensim's evaluate_word_analogies answers with self.most_similar whatever its
        # similarity_function says; its most_similar_cosmul ignores restrict_vocab, so the
        # reference keeps only the restrict_vocab most frequent words (the candidates)
        n = min(kw.get("restrict_vocab", 300000), len(kv))
        kv_n = KeyedVectors(kv.vector_size)
        kv_n.add_vectors(kv.index_to_key[:n], kv.vectors[:n])
        kv_n.most_similar = kv_n.most_similar_cosmul
        kv = kv_n
    with warnings.catch_warnings():  # most_similar_cosmul calls gensim's deprecated init_sims
        warnings.simplefilter("ignore", DeprecationWarning)
        score, sections = kv.evaluate_word_analogies(path, **kw)
    return score, [(s["section"], len(s["correct"]), len(s["incorrect"])) for s in sections]
