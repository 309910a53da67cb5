"""embedcli explore: the page's data (selection, vectors, PCA/t-SNE, classifier labels), the self-
contained HTML and the command line. The page in a real browser: test_explore_browser.py. The
library; the command-line tests are in test_cli_explore.py."""

import base64
import os
import re

import numpy as np
import pytest

from embedcli.explore import DATA_MARK, TSNE_MAX_WORDS, _conditional_p, explore_data, render_html, resolve_limit, tsne_2d, write_explorer
from embedcli.classify import Classifier, train_classifier
from embedcli.errors import EmbedcliError, UsageError
from embedcli.inspect import pca_2d
from embedcli.model import Model

from support import REPO
from support.explore import make_model, page_data

LABELED = os.path.join(REPO, "sample_data", "labeled.txt")


def floats(b64: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(b64), dtype="<f4")


# -- data ---------------------------------------------------------------------------------------
def test_keeps_the_most_frequent_words_with_exact_vectors():
    counts = [5, 50, 7, 50, 1, 900, 3]
    m = make_model(0, 8, tokens=[f"t{i}" for i in range(7)], counts=counts)
    data = explore_data(m, limit=4)
    # by count, ties by index; the specials never appear
    assert data["tokens"] == ["t5", "t1", "t3", "t2"]
    assert data["index"] == [7, 3, 5, 4]
    assert data["counts"] == [900, 50, 50, 7]
    vectors = floats(data["vectors"]).reshape(4, 8)
    assert vectors.tobytes() == m.table[[7, 3, 5, 4]].tobytes()  # float32, bit for bit
    assert data["vocab_size"] == 9 and data["vocab_words"] == 7 and data["dim"] == 8
    assert data["objective"] == "skipgram" and data["classifier"] is None


def test_pca_coordinates_are_those_of_pca_2d():
    m = make_model(300, 20, seed=3)
    data = explore_data(m, limit=100)
    coords = floats(data["coords"]).reshape(-1, 2)
    ids = data["index"]
    ref, share = pca_2d(m.table[ids])
    assert np.allclose(coords, ref, atol=1e-5 * np.abs(ref).max())
    assert data["projection"] == {"method": "pca", "explained_variance": [float(s) for s in share]}


def test_limit_and_method_checks():
    assert resolve_limit(None, "pca") == 5000
    assert resolve_limit(None, "tsne") == TSNE_MAX_WORDS
    assert resolve_limit(7, "tsne") == 7
    with pytest.raises(UsageError, match="at most 2000 words"):
        resolve_limit(TSNE_MAX_WORDS + 1, "tsne")
    with pytest.raises(UsageError, match="at least 2"):
        resolve_limit(1, "pca")
    with pytest.raises(UsageError, match=r"^method must be one of pca, tsne"):
        resolve_limit(10, "umap")
    with pytest.raises(EmbedcliError, match="at least 2 words"):
        explore_data(make_model(1, 4), limit=10)


def test_nan_table_is_refused():
    m = make_model(20, 4)
    m.table[5, 2] = np.nan
    with pytest.raises(EmbedcliError, match="NaN"):
        explore_data(m)


def test_size_of_5000_words_by_100_dims_is_under_4_mb(tmp_path):
    m = make_model(6000, 100, seed=1)
    res = write_explorer(m, str(tmp_path / "map.html"))
    size = os.path.getsize(tmp_path / "map.html")
    assert res.words == 5000 and res.dim == 100 and res.bytes == size
    assert size < 4_000_000, size
    # most of it is the float32 vectors in base64: 5000 * 100 * 4 * 4/3 bytes
    assert size > 5000 * 100 * 4 * 4 / 3


# -- the page ----------------------------------------------------------------------------------------
def test_page_is_self_contained_and_tokens_cannot_break_out():
    nasty = ["</script><script>alert(1)</script>", "<!--", "a&b", "quote\"'", "\u2028line", "café", "ok"]
    m = make_model(0, 6, tokens=nasty, counts=[10, 9, 8, 7, 6, 5, 4])
    data = explore_data(m, name="<b>model</b>")
    page = render_html(data)
    assert DATA_MARK not in page
    assert page.count("</script>") == 2  # the data element and the script, nothing from a token
    assert "<!--" not in page
    assert "<title>&lt;b&gt;model&lt;/b&gt;: embedcli explore</title>" in page
    assert page_data(page) == data
    # nothing that a browser would fetch: no URL in any src/href, no fetch/XHR/import
    assert not re.search(r'(src|href)\s*=\s*["\']?(https?:)?//', page)
    for api in ("fetch(", "XMLHttpRequest", "import(", "WebSocket", "@import", "url("):
        assert api not in page, api
    assert "default-src 'none'" in page  # and the page's CSP forbids it anyway


def test_template_is_package_data():
    """The template must ship in the wheel: it is loaded with importlib.resources."""
    with open(os.path.join(REPO, "pyproject.toml"), encoding="utf-8") as f:
        text = f.read()
    section = text.split("[tool.setuptools.package-data]", 1)[1].split("\n[", 1)[0]
    assert re.search(r'^embedcli\s*=\s*\[[^]]*"explore\.html"', section, re.M), section
    from importlib import resources

    assert DATA_MARK in resources.files("embedcli").joinpath("explore.html").read_text(encoding="utf-8")


# -- t-SNE -------------------------------------------------------------------------------------------
def clusters(n_per=40, k=5, dim=30, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((k, dim)) * 4
    x = np.concatenate([c + rng.standard_normal((n_per, dim)) for c in centres])
    return x.astype(np.float32), np.repeat(np.arange(k), n_per)


def test_conditional_p_has_the_asked_perplexity():
    x, _ = clusters(20, 3, 10)
    sq = ((x[:, None, :] - x[None, :, :]) ** 2).sum(-1).astype(np.float64)
    p = _conditional_p(sq, 15.0)
    assert np.allclose(p.sum(axis=1), 1.0)
    assert np.all(np.diag(p) == 0)
    q = np.where(p > 0, p, 1.0)
    perplexity = np.exp(-(p * np.log(q)).sum(axis=1))
    assert np.allclose(perplexity, 15.0, rtol=1e-3)


def test_tsne_is_deterministic_and_separates_clusters():
    x, label = clusters()
    a = tsne_2d(x, seed=4, iterations=400)
    b = tsne_2d(x, seed=4, iterations=400)
    c = tsne_2d(x, seed=5, iterations=400)
    assert a.shape == (200, 2) and np.isfinite(a).all()
    assert a.tobytes() == b.tobytes()
    assert a.tobytes() != c.tobytes()
    # each point's 5 nearest points in 2-D are from its own cluster (PCA of the same data does worse
    # on this: the check is not satisfied by any 2-D picture)
    d = ((a[:, None, :] - a[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    nn = np.argsort(d, axis=1)[:, :5]
    assert (label[nn] == label[:, None]).mean() > 0.97
    rng = np.random.default_rng(0)
    r = rng.standard_normal(a.shape)
    d = ((r[:, None, :] - r[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    assert (label[np.argsort(d, axis=1)[:, :5]] == label[:, None]).mean() < 0.5


def test_tsne_progress_counts_every_iteration():
    x, _ = clusters(5, 2, 4)
    seen = []
    tsne_2d(x, seed=1, iterations=25, progress=seen.append)
    assert sum(seen) == 25


def test_tsne_page_data():
    m = make_model(60, 10, seed=2)
    data = explore_data(m, method="tsne", seed=3)
    assert data["projection"]["method"] == "tsne" and data["projection"]["seed"] == 3
    assert data["projection"]["perplexity"] == pytest.approx(min(30.0, 59 / 3))
    again = explore_data(m, method="tsne", seed=3)
    assert again["coords"] == data["coords"]
    assert explore_data(m, method="tsne", seed=4)["coords"] != data["coords"]


# -- classifier ------------------------------------------------------------------------------------
def test_classifier_words_lean_to_their_top_label(tmp_path):
    clf_model = train_classifier([LABELED], dim=16, epochs=3, seed=2)
    data = explore_data(clf_model, limit=200)
    c = data["classifier"]
    clf = Classifier(clf_model)
    assert c["labels"] == list(clf.labels) and c["prefix"] == clf.label_prefix
    expected = clf.predict_tokens([[t] for t in data["tokens"]], k=1)
    assert [c["labels"][i] for i in c["word_label"]] == [p[0][0] for p in expected]
    assert np.allclose(c["word_prob"], [p[0][1] for p in expected], atol=1e-4)
    assert len(set(c["word_label"])) == len(c["labels"])  # both labels have words leaning to them


# -- neighbour lists ---------------------------------------------------------------------------------
def decode_lists(data):
    nb = data["neighbours"]
    ids = np.frombuffer(base64.b64decode(nb["ids"]), dtype="<u2" if nb["width"] == 2 else "<u4").reshape(-1, nb["k"])
    scores = floats(nb["scores"]).reshape(-1, nb["k"])
    names = data["tokens"] + nb["extra_tokens"]
    index = data["index"] + nb["extra_index"]
    none = 2**16 - 1 if nb["width"] == 2 else 2**32 - 1
    return [[(names[p], index[p], float(s)) for p, s in zip(row, srow) if p != none] for row, srow in zip(ids, scores)]


def test_neighbour_lists_are_those_of_similar_over_the_whole_vocabulary():
    from embedcli.query import similar

    m = make_model(300, 8, seed=9)
    m.table[m.vocab.index["w7"]] = 0.0  # an all-zero vector has no neighbours
    data = explore_data(m, limit=50)
    lists = decode_lists(data)
    assert len(lists) == 50
    off_map = 0
    for word, got in zip(data["tokens"], lists):
        if word == "w7":
            assert got == []
            continue
        ref = similar(m.vocab, m.table, word, 10)
        assert [(t, i) for t, i, _ in got] == [(n.token, n.index) for n in ref]
        assert [s for _, _, s in got] == [float(np.float32(n.score)) for n in ref]
        off_map += sum(t not in data["tokens"] for t, _, _ in got)
    assert off_map > 100  # most neighbours of a 50-word map of 300 words are rarer words
    assert all(t not in data["tokens"] for t in data["neighbours"]["extra_tokens"])
    # a tiny vocabulary: lists shorter than 10
    small = explore_data(make_model(4, 3))
    assert [len(x) for x in decode_lists(small)] == [3, 3, 3, 3]


def test_library_takes_what_embedcli_load_returns(tmp_path):
    import embedcli

    m = make_model(30, 6, seed=4)
    m.save(tmp_path / "m")
    loaded = embedcli.load(tmp_path / "m")
    assert not isinstance(loaded, Model)
    res = write_explorer(loaded, str(tmp_path / "a.html"))
    write_explorer(Model.load(tmp_path / "m"), str(tmp_path / "b.html"))
    assert res.words == 30
    assert (tmp_path / "a.html").read_bytes() == (tmp_path / "b.html").read_bytes()
    with pytest.raises(TypeError, match="Model, Embeddings or Classifier"):
        explore_data(m.table)
