"""``embedcli explore``: an interactive map of a model in one self-contained, offline HTML file.

The page holds everything it needs inline (script, style, data); it fetches nothing, so it opens
from disk in any browser and can be sent to someone as one file.

What goes into the page (:func:`explore_data`):

* the ``limit`` most frequent words of the vocabulary (``<pad>``/``<unk>`` excluded; by count,
  ties by index, as :func:`embedcli.inspect.row_order` orders them), their counts and vocabulary
  indices;
* each word's neighbour list: ``embedcli similar``'s top 10, computed by :func:`embedcli.query.similar`
  over the whole vocabulary when the page is written (:func:`neighbour_lists`), so the page lists
  exactly what the command prints, words too rare to be on the map included;
* the words' **full-dimensional float32 vectors** (base64, little-endian), with which the page
  solves analogies itself (and ``window.embedcliExplore.similar`` finds neighbours), with the
  arithmetic of :mod:`embedcli.query`: cosine against the unit (weighted mean) vector, input
  words excluded, ties by vocabulary index; the candidates are the words of the map. They stay
  float32: float16 changes the order of the top 10 for about 3% of the words (measured on a 100-d
  KJV skip-gram model, issue 15); 5,000 x 100 float32 is 2 MB (2.7 MB in base64);
* 2-D coordinates: PCA (:func:`embedcli.inspect.pca_2d`) or t-SNE (:func:`tsne_2d`, exact
  t-SNE in NumPy, deterministic for the seed, up to :data:`TSNE_MAX_WORDS` words);
* for a classifier (``objective: classify``), the label each word leans to: the most probable
  label of the one-word phrase, with its probability.

:func:`render_html` puts that data into the template ``explore.html`` (package data) and
:func:`write_explorer` writes the page atomically (``-`` = standard output).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any, Callable

import numpy as np

from . import __version__
from .errors import EmbedcliError, ParameterError, UsageError
from .inspect import pca_2d, row_order
from .io import atomic_write
from .model import Model

METHODS = ("pca", "tsne")
DEFAULT_LIMIT = 5000
TSNE_MAX_WORDS = 2000
TSNE_MIN_WORDS = 4  # fewer: tsne_2d refuses (its perplexity cap, (n - 1) / 3, would be below 1)
TSNE_DEFAULT_LIMIT = 2000
TSNE_PERPLEXITY = 30.0
TSNE_ITERATIONS = 750
TSNE_BLOCK = 128  # rows per block of the t-SNE gradient
NEIGHBOURS = 10  # neighbours listed per word (embedcli similar's default -k)
NONE16, NONE32 = 2**16 - 1, 2**32 - 1  # "no neighbour" in the uint16 / uint32 neighbour ids
TEMPLATE = "explore.html"
DATA_MARK = "/*__EMBEDCLI_DATA__*/"

Progress = Callable[[int], None]


# -- t-SNE -------------------------------------------------------------------------------------
def _conditional_p(sq_dist: np.ndarray, perplexity: float, tol: float = 1e-5, steps: int = 100) -> np.ndarray:
    """Row-wise Gaussian affinities whose entropy is ``log(perplexity)`` (bisection on the
    precision beta, all rows at once). The diagonal of ``sq_dist`` is ignored (p_ii = 0)."""
    n = sq_dist.shape[0]
    target = np.log(perplexity)
    off = ~np.eye(n, dtype=bool)
    # distances relative to each row's nearest neighbour keep exp() in range
    d = np.where(off, sq_dist, np.inf)
    d -= d.min(axis=1, keepdims=True)
    d[~off] = 0.0
    beta = np.ones(n)
    lo = np.zeros(n)
    hi = np.full(n, np.inf)
    for _ in range(steps):
        p = np.exp(-d * beta[:, None]) * off
        sum_p = p.sum(axis=1)
        entropy = np.log(sum_p) + beta * (d * p).sum(axis=1) / sum_p
        diff = entropy - target
        if np.all(np.abs(diff) < tol):
            break
        up = diff > 0  # entropy too high: sharpen (larger beta)
        lo = np.where(up, beta, lo)
        hi = np.where(up, hi, beta)
        beta = np.where(np.isinf(hi), beta * 2.0, (lo + hi) / 2.0)
    p = np.exp(-d * beta[:, None]) * off
    return p / p.sum(axis=1, keepdims=True)


def tsne_2d(
    vectors: np.ndarray,
    *,
    seed: int = 1,
    perplexity: float = TSNE_PERPLEXITY,
    iterations: int = TSNE_ITERATIONS,
    progress: Progress | None = None,
) -> np.ndarray:
    """Exact t-SNE (van der Maaten & Hinton 2008) of the rows of ``vectors`` to 2-D, in NumPy.

    The rows are unit-normalised (the page's neighbours are by cosine) and reduced to at most 50
    dimensions by PCA; affinities use ``perplexity`` (capped at ``(n - 1) / 3``); the start is
    ``N(0, 1e-4)`` from ``numpy.random.default_rng(seed)``; 250 iterations of early
    exaggeration (12, momentum 0.5) then momentum 0.8, learning rate ``max(n / 48, 50)``, with
    the reference implementation's adaptive gains. Time and memory grow with ``n ** 2``
    (2,000 rows: a 16 MB float32 affinity matrix). The same rows and seed give the same bytes.
    ``progress(k)`` is called with the number of iterations done since its last call.
    """
    x = np.asarray(vectors, dtype=np.float64)
    n = len(x)
    if n < 4:
        raise EmbedcliError(f"t-SNE needs at least 4 words (got {n})")
    if iterations < 1:
        raise UsageError(f"t-SNE iterations must be at least 1 (got {iterations})")
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    x = np.divide(x, norms, out=np.zeros_like(x), where=norms > 0)
    x = x - x.mean(axis=0)
    if x.shape[1] > 50:
        _, _, vt = np.linalg.svd(x, full_matrices=False)
        x = x @ vt[:50].T
    sq = (x * x).sum(axis=1)
    sq_dist = np.maximum(sq[:, None] + sq[None, :] - 2.0 * (x @ x.T), 0.0)
    p = _conditional_p(sq_dist, min(float(perplexity), (n - 1) / 3.0))
    del sq_dist
    p = (p + p.T) / (2.0 * n)
    np.maximum(p, 1e-12, out=p)
    p = p.astype(np.float32)
    exaggeration, early = np.float32(12.0), min(250, iterations)
    lr = np.float32(max(n / 12.0 / 4.0, 50.0))
    rng = np.random.default_rng(seed)
    y = rng.normal(0.0, 1e-4, size=(n, 2)).astype(np.float32)
    update = np.zeros_like(y)
    gains = np.ones_like(y)
    # the gradient, grad_i = 4 sum_j (p_ij - num_ij / Z) num_ij (y_i - y_j) with
    # num_ij = 1 / (1 + |y_i - y_j|^2) and Z = sum num, is computed in blocks of rows (a block of
    # num stays in the cache: ~2x faster than whole n x n passes at 2,000 rows)
    block = min(n, TSNE_BLOCK)
    num = np.empty((block, n), dtype=np.float32)
    tmp = np.empty((block, n), dtype=np.float32)
    y1 = np.ones((n, 3), dtype=np.float32)  # [y, 1]: one product gives sum_j w_ij y_j and sum_j w_ij
    attract = np.empty((n, 3), dtype=np.float32)
    repulse = np.empty((n, 3), dtype=np.float32)
    p *= exaggeration
    done = 0
    for it in range(iterations):
        if it == early:
            p /= exaggeration
        y1[:, :2] = y
        z = 0.0
        for a in range(0, n, block):
            b = min(a + block, n)
            nm, tp = num[: b - a], tmp[: b - a]
            np.subtract(y[a:b, 0, None], y[None, :, 0], out=nm)
            np.square(nm, out=nm)
            np.subtract(y[a:b, 1, None], y[None, :, 1], out=tp)
            np.square(tp, out=tp)
            nm += tp
            nm += np.float32(1.0)
            np.reciprocal(nm, out=nm)
            nm[np.arange(b - a), np.arange(a, b)] = 0.0
            z += float(nm.sum(dtype=np.float64))
            np.multiply(nm, p[a:b], out=tp)
            attract[a:b] = tp @ y1
            np.square(nm, out=nm)
            repulse[a:b] = nm @ y1
        r = attract - repulse / np.float32(max(z, 1e-12))
        grad = np.float32(4.0) * (r[:, 2:3] * y - r[:, :2])
        momentum = np.float32(0.5 if it < early else 0.8)
        gains = np.where((grad > 0) == (update > 0), gains * np.float32(0.8), gains + np.float32(0.2))
        np.maximum(gains, np.float32(0.01), out=gains)
        update = momentum * update - lr * gains * grad
        y = y + update
        y -= y.mean(axis=0)
        if progress is not None and (it + 1) % 10 == 0:
            progress(it + 1 - done)
            done = it + 1
    if progress is not None and done < iterations:
        progress(iterations - done)
    return y.astype(np.float64)


# -- the page's data --------------------------------------------------------------------------
def _b64(arr: np.ndarray, dtype: str) -> str:
    return base64.b64encode(np.ascontiguousarray(arr, dtype=np.dtype(dtype).newbyteorder("<")).tobytes()).decode("ascii")


def _label_leanings(model: Model, ids: np.ndarray) -> dict[str, Any] | None:
    """For a classifier: each word's most probable label as a one-word phrase."""
    from .classify import OBJECTIVE, Classifier

    if model.objective != OBJECTIVE:
        return None
    clf = Classifier(model)
    probs = clf.probabilities([[model.vocab.tokens[i]] for i in ids.tolist()])
    best = np.argmax(probs, axis=1)  # ties: first label, like Classifier.top
    return {
        "labels": [str(l) for l in clf.labels],
        "prefix": clf.label_prefix,
        "word_label": best.astype(int).tolist(),
        "word_prob": np.round(probs[np.arange(len(ids)), best], 4).tolist(),
    }


def _b64_ids(arr: np.ndarray, wide: bool) -> str:
    return _b64(arr, "uint32" if wide else "uint16")


def neighbour_lists(model: Model, ids: np.ndarray, k: int = NEIGHBOURS,
                    progress: Progress | None = None) -> dict[str, Any]:
    """``embedcli similar``'s top ``k`` for each word of the map, over the whole vocabulary.

    Computed with :func:`embedcli.query.similar` itself, so the page lists exactly what the
    command prints, including words too rare to be on the map (their tokens and indices are
    added as ``extra_tokens``/``extra_index``). ``ids`` index the map's words then the extra
    words; ``NONE`` pads a row shorter than ``k`` (a word with an all-zero vector has none).
    """
    from .query import VectorIndex, similar

    vocab, table = model.vocab, model.table
    index = VectorIndex(vocab, table)
    n = len(ids)
    position = {int(i): p for p, i in enumerate(ids.tolist())}
    extra: dict[int, int] = {}
    out = np.full((n, k), -1, dtype=np.int64)
    scores = np.zeros((n, k), dtype=np.float32)
    for r, i in enumerate(ids.tolist()):
        try:
            found = similar(vocab, table, vocab.tokens[i], k, index=index)
        except EmbedcliError:  # an all-zero vector: no direction, no neighbours
            found = []
        for c, nb in enumerate(found):
            p = position.get(nb.index)
            if p is None:
                p = extra.setdefault(nb.index, n + len(extra))
            out[r, c] = p
            scores[r, c] = nb.score
        if progress is not None and (r + 1) % 100 == 0:
            progress(100)
    if progress is not None and n % 100:
        progress(n % 100)
    wide = n + len(extra) >= NONE16
    out[out < 0] = NONE32 if wide else NONE16
    return {
        "k": k,
        "width": 4 if wide else 2,
        "ids": _b64_ids(out, wide),
        "scores": _b64(scores, "float32"),
        "extra_tokens": [vocab.tokens[i] for i in extra],
        "extra_index": list(extra),
    }


def as_model(obj: Any) -> Model:
    """A :class:`Model`, or the model of an ``Embeddings``/``Classifier`` (their ``.model``)."""
    model = obj if isinstance(obj, Model) else getattr(obj, "model", None)
    if not isinstance(model, Model):
        raise TypeError(f"expected a Model, Embeddings or Classifier, got {type(obj).__name__}")
    return model


def resolve_limit(limit: int | None, method: str) -> int:
    """The number of words for ``method``: ``limit`` checked, or the method's default."""
    if method not in METHODS:
        raise ParameterError("{method} must be one of {methods} (got {got!r})", "method", methods=", ".join(METHODS),
                             got=method)
    if limit is None:
        return TSNE_DEFAULT_LIMIT if method == "tsne" else DEFAULT_LIMIT
    if limit < 2:
        raise ParameterError("{limit} must be at least 2 (got {got})", "limit", got=limit)
    if method == "tsne" and limit < TSNE_MIN_WORDS:
        raise ParameterError("{method} tsne needs at least {least} words (got {limit} {got})", "method", "limit",
                             least=TSNE_MIN_WORDS, got=limit)
    if method == "tsne" and limit > TSNE_MAX_WORDS:
        raise ParameterError(
            "{method} tsne is exact (memory and time grow with the square of the words): at most {most} words "
            "(got {limit} {got}); use {method} pca for more", "method", "limit", most=TSNE_MAX_WORDS, got=limit
        )
    return limit


def explore_data(
    model: "Model | Any",
    *,
    limit: int | None = None,
    method: str = "pca",
    seed: int = 1,
    progress: Progress | None = None,
    name: str | None = None,
) -> dict[str, Any]:
    """The data of the page, as a JSON-ready dict (see the module docstring). ``model``: a
    :class:`~embedcli.model.Model`, or what :func:`embedcli.load` returns (``Embeddings``,
    ``Classifier``), whose ``.model`` is used."""
    model = as_model(model)
    limit = resolve_limit(limit, method)
    vocab, table = model.vocab, model.table
    ids = np.asarray(row_order(vocab, limit, by="frequency", words_only=True), dtype=np.int64)
    if len(ids) < 2:
        raise EmbedcliError(f"{name or model.path or 'model'}: the map needs at least 2 words besides the specials "
                            f"(the vocabulary has {len(ids)})")
    if method == "tsne" and len(ids) < TSNE_MIN_WORDS:  # before the neighbour lists, which take a while
        raise ParameterError("{name}: {method} tsne needs at least {least} words (the model has {n}); use {method} pca",
                             "method", exit_code=1, name=name or model.path or "model", least=TSNE_MIN_WORDS,
                             n=len(ids))
    vectors = np.ascontiguousarray(table[ids], dtype=np.float32)
    if not np.isfinite(vectors).all():
        raise EmbedcliError(f"{name or model.path or 'model'}: the table has NaN or infinite values; "
                            "it cannot be mapped")
    neighbours = neighbour_lists(model, ids, progress=progress)
    if method == "tsne":
        coords = tsne_2d(vectors, seed=seed, progress=progress)
        projection: dict[str, Any] = {"method": "tsne", "perplexity": min(TSNE_PERPLEXITY, (len(ids) - 1) / 3.0),
                                      "iterations": TSNE_ITERATIONS, "seed": seed}
    else:
        coords, share = pca_2d(vectors)
        projection = {"method": "pca", "explained_variance": [float(s) for s in share]}
    counts = np.asarray(vocab.counts, dtype=np.int64)[ids]
    n_words = len(vocab) - len(vocab.special_ids())
    data = {
        "format": "embedcli-explore",
        "version": 1,
        "embedcli_version": __version__,
        "name": name or model.path or "model",
        "objective": model.objective,
        "vocab_size": len(vocab),
        "vocab_words": n_words,
        "dim": model.dim,
        "settings": vocab.settings.to_dict(),
        "projection": projection,
        "tokens": [vocab.tokens[i] for i in ids.tolist()],
        "index": ids.tolist(),
        "counts": counts.tolist(),
        "coords": _b64(coords, "float32"),
        "vectors": _b64(vectors, "float32"),
        "neighbours": neighbours,
        "classifier": _label_leanings(model, ids),
    }
    return data


def _template() -> str:
    return resources.files("embedcli").joinpath(TEMPLATE).read_text(encoding="utf-8")


def render_html(data: dict[str, Any]) -> str:
    """The self-contained page for ``data`` (from :func:`explore_data`)."""
    import html

    template = _template()
    if template.count(DATA_MARK) != 1:  # pragma: no cover - a broken installation
        raise EmbedcliError(f"the {TEMPLATE} template of this installation is damaged")
    # "<" escaped so that no token can close the script element ("</script>", "<!--")
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
    payload = payload.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    title = html.escape(f"{data['name']}: embedcli explore")
    return template.replace("__EMBEDCLI_TITLE__", title, 1).replace(DATA_MARK, payload, 1)


@dataclass
class ExploreResult:
    path: str
    words: int
    dim: int
    method: str
    bytes: int

    def to_dict(self) -> dict:
        return {"path": self.path, "words": self.words, "dim": self.dim, "method": self.method, "bytes": self.bytes}


def write_explorer(
    model: "Model | Any",
    path: str,
    *,
    limit: int | None = None,
    method: str = "pca",
    seed: int = 1,
    progress: Progress | None = None,
    name: str | None = None,
) -> ExploreResult:
    """Write the explorer page of ``model`` to ``path`` (atomically; ``-`` = standard output)."""
    data = explore_data(model, limit=limit, method=method, seed=seed, progress=progress, name=name)
    page = render_html(data).encode("utf-8")
    with atomic_write(path, "wb") as f:
        f.write(page)
    return ExploreResult(path, len(data["tokens"]), data["dim"], method, len(page))
