"""similar / analogy: same order (and scores) as gensim's KeyedVectors.most_similar. The library;
the command-line tests are in test_cli_query.py."""

import numpy as np
import pytest

from embedcli.errors import EmbedcliError
from embedcli.query import VectorIndex, analogy, most_similar, similar

from support.query import model, words_kv


def test_similar_matches_gensim(model):
    _, vocab, table = model
    kv = words_kv(vocab, table)
    index = VectorIndex(vocab, table)
    words = [t for t in vocab.tokens[2:]][:40]
    for w in words:
        ours = similar(vocab, table, w, 10, index=index)
        ref = kv.most_similar(w, topn=10)
        assert [n.token for n in ours] == [r[0] for r in ref]
        assert np.allclose([n.score for n in ours], [r[1] for r in ref], atol=1e-6)
        assert w not in [n.token for n in ours]
        assert all(n.index == vocab.index[n.token] for n in ours)


@pytest.mark.parametrize("method", ["3cosadd", "3cosmul"])
def test_analogy_matches_gensim(model, method):
    _, vocab, table = model
    kv = words_kv(vocab, table)
    cosmul = method == "3cosmul"
    ref_of = kv.most_similar_cosmul if cosmul else kv.most_similar
    rng = np.random.default_rng(0)
    words = vocab.tokens[2:]
    index = VectorIndex(vocab, table)
    for _ in range(30):
        a, b, c = rng.choice(words, 3, replace=False)
        ours = analogy(vocab, table, a, b, c, 5, index=index, method=method)
        ref = ref_of(positive=[b, c], negative=[a], topn=5)
        assert [n.token for n in ours] == [r[0] for r in ref]
        assert np.allclose([n.score for n in ours], [r[1] for r in ref], atol=1e-6)
        assert not {a, b, c} & {n.token for n in ours}
    a, b, c, d = words[:4]
    for pos, neg in (([a], []), ([a, b], [c, d]), ([a, b, c], [])):
        ours = most_similar(vocab, table, pos, neg, 7, index=index, cosmul=cosmul)
        assert [n.token for n in ours] == [r[0] for r in ref_of(positive=pos, negative=neg, topn=7)]


def test_cosmul_is_another_ranking(model):
    _, vocab, table = model
    rng = np.random.default_rng(1)
    words = vocab.tokens[2:]
    index = VectorIndex(vocab, table)
    differ = 0  # 3CosMul ranks differently from 3CosAdd somewhere (else comparing them shows nothing)
    for _ in range(30):
        a, b, c = rng.choice(words, 3, replace=False)
        differ += [n.token for n in analogy(vocab, table, a, b, c, 5, index=index)] != \
            [n.token for n in analogy(vocab, table, a, b, c, 5, index=index, method="3cosmul")]
    assert differ > 0
    with pytest.raises(EmbedcliError, match="method must be one of 3cosadd, 3cosmul"):
        analogy(vocab, table, a, b, c, method="3cosdiv")
    with pytest.raises(EmbedcliError, match="at least one positive word"):
        most_similar(vocab, table, [], [a], cosmul=True)


def test_specials_never_returned_and_zero_rows_skipped(tmp_path):
    from embedcli.vocab import Vocab

    vocab = Vocab(tokens=["<pad>", "<unk>", "a", "b", "c", "d"], counts=[0, 0, 1, 1, 1, 1])
    table = np.array([[1, 0], [1, 0.01], [1, 0.02], [0, 0], [-1, 0], [0, 1]], np.float32)
    res = similar(vocab, table, "a", 10)
    assert [n.token for n in res] == ["d", "c"]  # not <pad>/<unk> (closest), not the zero row b
    with pytest.raises(EmbedcliError, match="all-zero"):
        similar(vocab, table, "b")
    with pytest.raises(EmbedcliError, match="special"):
        similar(vocab, table, "<unk>")
