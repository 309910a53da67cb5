"""Helpers and fixtures of the train_init tests, shared by test_cli_train_init.py,
test_train_init.py."""

import numpy as np
import pytest

from support.train import synthetic_corpus

DIM = 16


PRETRAINED = ["cat", "dog", "Car", "truck", "farmer", "road", "not_in_corpus", "<unk>", "<pad>", "then"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return synthetic_corpus(tmp_path_factory.mktemp("corpus") / "c.txt", lines=600, seed=3)


def file_vectors(words=PRETRAINED, dim=DIM, seed=11):
    rng = np.random.default_rng(seed)
    return {w: (rng.standard_normal(dim) * 0.3).astype(np.float32) for w in words}


def write_word2vec_text(path, vecs):
    lines = [f"{len(vecs)} {len(next(iter(vecs.values())))}"]
    lines += [w + " " + " ".join(str(v) for v in vec) for w, vec in vecs.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_glove(path, vecs):
    path.write_text("".join(w + " " + " ".join(repr(float(v)) for v in vec) + "\n" for w, vec in vecs.items()),
                    encoding="utf-8")
    return path


def expected_rows(vocab, vecs):
    """Vocabulary index -> the file's vector, matched like init_rows (exact, else lower-cased)."""
    out = {}
    for w, vec in vecs.items():
        i = vocab.index.get(w)
        if i is None:
            i = vocab.index.get(w.lower())
            if i is None or i in out:
                continue
        out[i] = vec
    return {i: v for i, v in out.items() if i not in vocab.special_ids()}
