"""Nearest neighbours and analogies by cosine similarity, computed like gensim.

Queries look at the *words* of the vocabulary: the specials (``<pad>``, ``<unk>``) are neither
candidates nor queries. The arithmetic follows ``gensim.models.KeyedVectors.most_similar`` on a
``KeyedVectors`` holding the word rows in vocabulary order, in float32:

* every input vector is divided by its norm, the weighted mean is taken (weight +1 for positive,
  -1 for negative words, divided by the sum of the absolute weights) and unit-normalised;
* a candidate's score is ``dot(row, mean) / norm(row)``;
* the input words are excluded, the rest sorted by descending score (ties: lower index first).

Rows that are all zeros have no direction: they are never returned, and asking for one is an error.

With ``subwords`` (a model trained with character n-grams, :class:`embedcli.subwords.SubwordVectors`)
a query word outside the vocabulary is its n-gram vector instead of an error, as in fastText's
``nn`` and ``analogies``: it takes part in the mean like any word, and is not a candidate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import EmbedcliError, ParameterError
from .inspect import row_order, word_index, word_token
from .vocab import Vocab


@dataclass
class Neighbour:
    token: str
    index: int
    score: float

    def to_dict(self) -> dict:
        return {"token": self.token, "index": self.index, "score": self.score}


class VectorIndex:
    """The word rows of a table with their norms, ready for cosine queries.

    ``restrict_vocab``: only the N most frequent words are candidates (by the vocabulary's
    counts, ties by index), which is what gensim's ``restrict_vocab`` means on its
    frequency-sorted vocabularies. ``order`` is the order of the candidates, which decides
    ties (lower position first): ``"index"`` (vocabulary order) or ``"frequency"``; by default
    frequency when ``restrict_vocab`` is given, else index.
    """

    def __init__(self, vocab: Vocab, table: np.ndarray, restrict_vocab: int | None = None, *,
                 order: str | None = None):
        self.vocab = vocab
        if order is None:
            order = "index" if restrict_vocab is None else "frequency"
        if order not in ("index", "frequency"):
            raise ValueError(f"order must be 'index' or 'frequency', got {order!r}")
        by = "frequency" if restrict_vocab is not None else order
        ids = np.asarray(row_order(vocab, restrict_vocab, by=by, words_only=True), dtype=np.int64)
        if by != order:
            ids = np.sort(ids)  # the N most frequent words, in vocabulary order
        self.ids = ids  # vocabulary index of each candidate
        self.vectors = np.ascontiguousarray(table[ids], dtype=np.float32)
        self.norms = np.linalg.norm(self.vectors, axis=1)
        self.position = {int(i): p for p, i in enumerate(ids.tolist())}
        self.table = table

    def __len__(self) -> int:
        return len(self.ids)

    def unit(self, index) -> np.ndarray:
        """The unit vector of vocabulary row ``index`` (or of a :class:`Query` vector)."""
        if isinstance(index, Query):
            vec, name = np.asarray(index.vector, dtype=np.float32), index.token
        else:
            vec, name = np.asarray(self.table[index], dtype=np.float32), self.vocab.tokens[index]
        norm = np.linalg.norm(vec)
        if norm == 0:
            raise EmbedcliError(f"{name!r} has an all-zero vector: cosine similarity is undefined for it")
        return vec / norm

    def mean_vector(self, positive: list, negative: list = ()) -> np.ndarray:
        """Unit-normalised weighted mean of the unit vectors (gensim's ``get_mean_vector``)."""
        mean = np.zeros(self.vectors.shape[1], dtype=np.float32)
        total = 0.0
        for i in positive:
            mean += self.query_term(i)
            total += 1.0
        for i in negative:
            mean -= self.query_term(i)
            total += 1.0
        mean64 = mean / np.float64(total) if total > 0 else mean.astype(np.float64)
        norm = np.linalg.norm(mean64)
        if norm == 0:
            raise EmbedcliError("the query vectors cancel out (their mean is zero): no direction to search")
        return (mean64 / norm).astype(np.float32)

    def query_term(self, i) -> np.ndarray:
        """A query's term of the mean: a word's unit vector; a vector given as such, as it is
        (gensim's ``get_mean_vector`` normalises keys, not arrays)."""
        if isinstance(i, Query) and i.raw:
            return np.asarray(i.vector, dtype=np.float32)
        return self.unit(i)

    def scores(self, mean: np.ndarray) -> np.ndarray:
        """Cosine of every candidate with the unit vector ``mean`` (NaN for zero rows)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return (self.vectors @ mean) / self.norms

    def top(self, mean: np.ndarray, k: int, exclude: set[int]) -> list[Neighbour]:
        """The ``k`` candidates nearest to the unit vector ``mean`` by cosine."""
        return self.best(self.scores(mean), k, exclude)

    def best(self, scores: np.ndarray, k: int, exclude: set[int]) -> list[Neighbour]:
        """The ``k`` candidates of highest ``scores`` (one per candidate; NaN never ranks), ties
        by position, leaving out the vocabulary rows ``exclude``."""
        ranked = scores.copy()
        ranked[~np.isfinite(ranked)] = -np.inf  # zero rows have no direction
        for i in exclude:
            p = self.position.get(i)
            if p is not None:
                ranked[p] = -np.inf
        n = len(ranked)
        if k < n:
            # the k best, plus anything tied with the k-th, then an exact sort
            part = np.argpartition(-ranked, k - 1)[:k]
            kth = ranked[part].min()
            cand = np.flatnonzero(ranked >= kth) if np.isfinite(kth) else part
        else:
            cand = np.arange(n)
        cand = cand[np.isfinite(ranked[cand])]
        order = np.lexsort((cand, -ranked[cand]))[:k]
        return [
            Neighbour(self.vocab.tokens[int(self.ids[p])], int(self.ids[p]), float(scores[p]))
            for p in cand[order]
        ]


@dataclass(frozen=True, eq=False)
class Query:
    """A query word outside the vocabulary, with its vector composed from character n-grams; or
    (``raw``) a vector given as the query, used as it is."""

    token: str
    vector: np.ndarray
    raw: bool = False


def _resolve(vocab: Vocab, word, subwords=None, dim: int | None = None):
    """The row of ``word``; with ``subwords`` an unknown word is a :class:`Query` of its n-gram
    vector; a vector (a 1-D array of ``dim`` numbers) is a raw :class:`Query`."""
    if isinstance(word, np.ndarray):
        if word.ndim != 1 or (dim is not None and word.shape[0] != dim) or not np.issubdtype(word.dtype, np.number):
            raise ParameterError("a query vector must be {dim} numbers, got an array of shape {shape} ({dtype})",
                                 dim=dim, shape=word.shape, dtype=word.dtype)
        if not np.isfinite(word).all():
            raise ParameterError("a query vector must be finite numbers (it holds NaN or infinity)")
        return Query("vector", np.asarray(word, dtype=np.float32), raw=True)
    if subwords is not None:
        token = word_token(vocab, word)
        if token not in vocab.index:
            return Query(token, subwords.vector(token))
    i = word_index(vocab, word)
    if i in set(vocab.special_ids()):
        raise EmbedcliError(f"{word!r} is a special token, not a word; it has no neighbours")
    return i


def similar(vocab: Vocab, table: np.ndarray, word: str, k: int = 10, *, index: VectorIndex | None = None,
            subwords=None) -> list[Neighbour]:
    """The ``k`` nearest words of ``word`` by cosine (gensim ``most_similar(positive=[word])``)."""
    return most_similar(vocab, table, [word], (), k, index=index, subwords=subwords)


def most_similar(
    vocab: Vocab,
    table: np.ndarray,
    positive: list[str],
    negative: list[str] = (),
    k: int = 10,
    *,
    index: VectorIndex | None = None,
    subwords=None,
    cosmul: bool = False,
) -> list[Neighbour]:
    """gensim's ``most_similar(positive, negative, topn=k)`` over the words of the vocabulary.

    ``cosmul``: gensim's ``most_similar_cosmul`` instead, Levy and Goldberg's multiplicative
    objective (3CosMul for an analogy): each candidate scored by the product of ``(1 + cos) / 2``
    with the positive words over that product with the negative ones (plus 1e-6), so that one
    large similarity cannot outweigh the others as it can in a sum."""
    index = index or VectorIndex(vocab, table)
    pos = [_resolve(vocab, w, subwords, table.shape[1]) for w in positive]
    neg = [_resolve(vocab, w, subwords, table.shape[1]) for w in negative]
    exclude = {i for i in pos + neg if not isinstance(i, Query)}
    if not cosmul:
        if not pos and not neg:
            raise EmbedcliError("give at least one word")
        return index.top(index.mean_vector(pos, neg), k, exclude)
    if not pos:
        raise EmbedcliError("give at least one positive word")
    shifted = lambda i: (1 + index.scores(index.query_term(i))) / 2  # noqa: E731 - cosines shifted into [0, 1]
    num = np.prod([shifted(i) for i in pos], axis=0)
    den = np.prod([shifted(i) for i in neg], axis=0) if neg else 1.0
    return index.best(num / (den + 0.000001), k, exclude)


ANALOGY_METHODS = ("3cosadd", "3cosmul")


def is_cosmul(method: str) -> bool:
    """Whether an analogy ``method`` (3cosadd or 3cosmul) is 3CosMul; a ParameterError for any other."""
    if method not in ANALOGY_METHODS:
        raise ParameterError("{method} must be one of 3cosadd, 3cosmul (got {value!r})", "method", value=method)
    return method == "3cosmul"


def analogy(vocab: Vocab, table: np.ndarray, a: str, b: str, c: str, k: int = 5, *, index: VectorIndex | None = None,
            subwords=None, method: str = "3cosadd") -> list[Neighbour]:
    """A is to B as C is to ? — 3CosAdd, gensim's ``most_similar(positive=[B, C], negative=[A])``;
    ``method="3cosmul"``: gensim's ``most_similar_cosmul(positive=[B, C], negative=[A])``."""
    return most_similar(vocab, table, [b, c], [a], k, index=index, subwords=subwords, cosmul=is_cosmul(method))
