"""`embedcli train --init FILE [--freeze]`: pretrained rows in, frozen rows bit-identical out. The
library; the command-line tests are in test_cli_train_init.py."""

import numpy as np
import pytest
from gensim.models import KeyedVectors

from embedcli import config as cfg
from embedcli.sgd.run import _prepare, apply_init, check_init, trainable_rows
from embedcli.sgd.trainer import init_state

from support.train_init import DIM, corpus, expected_rows, file_vectors, write_glove, write_word2vec_text


def write_gensim_binary(path, vecs):
    kv = KeyedVectors(len(next(iter(vecs.values()))))
    kv.add_vectors(list(vecs), np.stack(list(vecs.values())))
    kv.save_word2vec_format(str(path), binary=True)
    return path


@pytest.mark.parametrize("fmt", ["word2vec", "word2vec-binary", "glove"])
def test_init_sets_found_rows_and_keeps_seeded_others(tmp_path, corpus, fmt):
    vecs = file_vectors()
    writer = {"word2vec": write_word2vec_text, "word2vec-binary": write_gensim_binary, "glove": write_glove}[fmt]
    path = writer(tmp_path / "vectors", vecs)
    settings = cfg.merge({}, {"corpus": [str(corpus)], "dim": DIM, "min_count": 1, "init": str(path)})
    info = check_init(settings)
    assert info.format == fmt and info.dim == DIM
    vocab, enc = _prepare(settings, None, None)
    with enc:
        state = init_state(len(vocab), DIM, 1, trainable_rows(vocab))
        seeded = state.w_in.copy()
        apply_init(settings, vocab, state, info)
    want = expected_rows(vocab, vecs)
    assert len(want) == 7  # cat dog car(Car) truck farmer road then; not <unk>/<pad>/not_in_corpus
    assert state.init["found"] == 7 and state.init["rows"] == len(vocab) - 2
    assert sorted(np.flatnonzero(state.init_found).tolist()) == sorted(want)
    for i in range(len(vocab)):
        if i in want:
            assert np.array_equal(state.w_in[i], want[i])
        else:  # other words keep the seeded start, <pad>/<unk> stay zero
            assert np.array_equal(state.w_in[i], seeded[i])
    assert not state.w_in[list(vocab.special_ids())].any()
    assert state.frozen is None
