"""similar / analogy: same order (and scores) as gensim's KeyedVectors.most_similar."""

import json
import os

import numpy as np
import pytest
from gensim.models import KeyedVectors

from embedcli.cli import main
from embedcli.errors import EmbedcliError
from embedcli.model import Model
from embedcli.query import VectorIndex, analogy, most_similar, similar
from embedcli.vocab import build_vocab, count_tokens

CORPUS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "sample_data", "corpus.txt")


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


def test_analogy_matches_gensim(model):
    _, vocab, table = model
    kv = words_kv(vocab, table)
    rng = np.random.default_rng(0)
    words = vocab.tokens[2:]
    index = VectorIndex(vocab, table)
    for _ in range(30):
        a, b, c = rng.choice(words, 3, replace=False)
        ours = analogy(vocab, table, a, b, c, 5, index=index)
        ref = kv.most_similar(positive=[b, c], negative=[a], topn=5)
        assert [n.token for n in ours] == [r[0] for r in ref]
        assert np.allclose([n.score for n in ours], [r[1] for r in ref], atol=1e-6)
        assert not {a, b, c} & {n.token for n in ours}
    a, b, c, d = words[:4]
    ours = most_similar(vocab, table, [a, b], [c, d], 7)
    assert [n.token for n in ours] == [r[0] for r in kv.most_similar(positive=[a, b], negative=[c, d], topn=7)]


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


def test_similar_cli(model, runner):
    path, vocab, table = model
    w = vocab.tokens[5]
    res = runner.invoke(main, ["similar", path, w, "-k", "3", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert len(data) == 3 and set(data[0]) == {"token", "index", "score"}
    ref = words_kv(vocab, table).most_similar(w, topn=3)
    assert [d["token"] for d in data] == [r[0] for r in ref]
    res = runner.invoke(main, ["similar", path, w.upper()])  # normalised like the corpus
    assert res.exit_code == 0 and data[0]["token"] in res.output
    a, b, c = vocab.tokens[2:5]
    res = runner.invoke(main, ["similar", path, a, b, "--negative", c, "-k", "4", "--json"])
    assert res.exit_code == 0, res.output
    ref = words_kv(vocab, table).most_similar(positive=[a, b], negative=[c], topn=4)
    assert [(d["token"], d["score"]) for d in json.loads(res.stdout)] == ref


def test_similar_skips_unknown_words_of_a_longer_query(model, runner):
    path, vocab, table = model
    a, b = vocab.tokens[5], vocab.tokens[6]
    res = runner.invoke(main, ["similar", path, a, "qqqzzz", b, "-n", "zzzqqq", "-k", "3", "--json"])
    assert res.exit_code == 0, res.output
    ref = words_kv(vocab, table).most_similar(positive=[a, b], topn=3)
    assert [(d["token"], d["score"]) for d in json.loads(res.stdout)] == ref
    assert res.stderr.splitlines() == ["skipped unknown word 'qqqzzz'; it is not in the vocabulary",
                                       "skipped unknown word 'zzzqqq'; it is not in the vocabulary"]
    res = runner.invoke(main, ["similar", path, "qqqzzz", "zzzqqq"])
    assert res.exit_code == 1 and res.stdout == ""
    assert res.stderr.strip() == ("Error: no known word to search with: unknown word 'qqqzzz'; it is not in the "
                                  "vocabulary; unknown word 'zzzqqq'; it is not in the vocabulary")


def test_similarity_cli_equals_gensim(model, runner):
    path, vocab, table = model
    a, b = vocab.tokens[7], vocab.tokens[9]
    res = runner.invoke(main, ["similarity", path, a.upper(), b, "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["a"] == a.upper() and data["b"] == b
    assert data["similarity"] == float(words_kv(vocab, table).similarity(a, b))
    res = runner.invoke(main, ["similarity", path, a, b])
    assert res.exit_code == 0 and res.stdout == f"{data['similarity']:.4f}\n"
    res = runner.invoke(main, ["similarity", path, a, "qqqzzz"])
    assert res.exit_code == 1 and "unknown word 'qqqzzz'" in res.stderr


def test_similar_unknown_word_suggests(model, runner):
    path, vocab, _ = model
    word = max(vocab.tokens[2:], key=len)
    typo = word[:-1] + ("x" if word[-1] != "x" else "y")
    res = runner.invoke(main, ["similar", path, typo])
    assert res.exit_code == 1
    assert f"unknown word {typo!r}" in res.output and word in res.output
    assert "Traceback" not in res.output and len(res.output.strip().splitlines()) == 1
    res = runner.invoke(main, ["similar", path, "x", "-k", "0"])
    assert res.exit_code == 2


def test_analogy_cli(model, runner):
    path, vocab, table = model
    a, b, c = vocab.tokens[10:13]
    res = runner.invoke(main, ["analogy", path, a, b, c, "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    ref = words_kv(vocab, table).most_similar(positive=[b, c], negative=[a], topn=5)
    assert [d["token"] for d in data] == [r[0] for r in ref]
    res = runner.invoke(main, ["analogy", path, a, b, c, "-k", "2"])
    assert res.exit_code == 0 and data[0]["token"] in res.output and f"{a} : {b} :: {c} : ?" in res.output
