"""Looking at the table: a word's row, a phrase's rows, the one-hot explanation, the PCA plot.

An embedding layer is a lookup table of shape (vocab size, dim): row ``i`` is the vector of
token ``i``. A phrase is represented by its rows (``table[ids]``, exactly what a Keras
``Embedding`` layer returns for the encoded phrase), and multiplying a one-hot vector by the
table picks one row (``onehot(i) @ table == table[i]``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from .errors import EmbedcliError, ParameterError, UnknownWordError, UsageError
from .io import atomic_write
from .tokenizer import tokenize
from .vocab import Vocab


def row_order(vocab: Vocab, limit: int | None = None, *, by: str = "index", words_only: bool = False) -> np.ndarray:
    """Row indices to show: in index order or by descending count (ties by index)."""
    n = len(vocab)
    idx = np.arange(n)
    if words_only:
        specials = set(vocab.special_ids())
        idx = np.array([i for i in idx if i not in specials], dtype=np.int64)
    if by == "frequency":
        counts = np.asarray(vocab.counts, dtype=np.int64)[idx]
        idx = idx[np.lexsort((idx, -counts))]
    if limit is not None:
        idx = idx[:limit]
    return idx


# -- words, phrases and one-hot vectors ----------------------------------------------------------
def word_token(vocab: Vocab, word: str) -> str:
    """The vocabulary token for a word typed by the user (normalised with the vocab's settings)."""
    if not isinstance(word, str):
        raise ParameterError("a word must be a string, got {kind} ({value!r})", kind=type(word).__name__, value=word)
    if word in vocab:
        return word
    toks = tokenize(word, vocab.settings)
    if len(toks) == 1:
        return toks[0]
    if not toks:
        raise UsageError(f"{word!r} contains no token (after normalisation)")
    raise UsageError(f"{word!r} is several tokens ({' '.join(toks)}); give one word")


def suggest(vocab: Vocab, token: str, n: int = 3) -> list[str]:
    import difflib

    specials = set(vocab.specials.values())
    words = [t for t in vocab.tokens if t not in specials]
    return difflib.get_close_matches(token, words, n=n, cutoff=0.6)


def word_index(vocab: Vocab, word: str) -> int:
    """Index of a word (normalised with the vocabulary's settings); an unknown word raises
    :class:`~embedcli.errors.UnknownWordError` (a ``KeyError``, one line with close spellings)."""
    token = word_token(vocab, word)
    i = vocab.index.get(token)
    if i is None:
        raise UnknownWordError(word, lambda: suggest(vocab, token))
    return i


def compact_repr(obj) -> str:
    """A dataclass on one line, arrays as ``dtype[shape]`` (``vector=float32[50]``): what a
    notebook shows for the results of :class:`embedcli.Embeddings`' methods."""
    import dataclasses

    def show(v):
        if isinstance(v, np.ndarray):
            return f"{v.dtype}[{', '.join(map(str, v.shape))}]"
        if isinstance(v, list) and len(v) > 6:
            return "[" + ", ".join(map(repr, v[:5])) + f", ... ({len(v)} items)]"
        return repr(v)

    fields = ", ".join(f"{f.name}={show(getattr(obj, f.name))}" for f in dataclasses.fields(obj) if f.repr)
    return f"{type(obj).__name__}({fields})"


@dataclass(repr=False)
class PhraseRow:
    position: int
    token: str
    index: int | None  # None: a word outside a vocabulary without <unk>, composed from subwords
    input: str | None  # the word of the phrase (None for padding)
    vector: np.ndarray
    # with subwords, a word outside the vocabulary: its vector is the mean of this many n-gram rows
    # (0: a word too short for any, a zero vector as in fastText); None for every other row
    subword_ngrams: int | None = None

    __repr__ = compact_repr


def phrase_rows(
    vocab: Vocab,
    table: np.ndarray,
    phrase: str,
    *,
    maxlen: int | None = None,
    padding: str = "pre",
    truncating: str = "pre",
    subwords=None,
) -> list[PhraseRow]:
    """The rows of a phrase in order: ``table[ids]`` for the encoded (optionally padded) phrase.

    Unknown words map to ``<unk>`` (an :class:`~embedcli.errors.UnknownWordError` if the vocabulary
    has none); with ``subwords`` their vector is their n-gram vector (with no index when there is no
    ``<unk>``). Padding only with ``maxlen``, exactly like Keras ``pad_sequences``
    (``padding``/``truncating`` pre or post).
    """
    from .encode import check_pad_args, pad_sequences

    words = tokenize(phrase, vocab.settings)
    unk = vocab.unk_id
    if unk is None and subwords is None:  # no row for an unknown word: the error of emb[word]
        for word in words:
            if word not in vocab.index:
                raise UnknownWordError(word, lambda: suggest(vocab, word))
    ids = vocab.ids_or(words, -1 if unk is None else unk)  # -1: no id, its vector composed below
    inputs: list[str | None] = list(words)
    if maxlen is not None:
        check_pad_args(maxlen, padding, truncating)
        value = vocab.default_pad_value()
        padded = pad_sequences([ids], maxlen=maxlen, padding=padding, truncating=truncating, value=value)[0]
        # the same cut applied to the words, to label the rows
        n = len(ids)
        keep = min(n, maxlen)
        kept = inputs[n - keep :] if truncating == "pre" else inputs[:keep]
        pads: list[str | None] = [None] * (maxlen - keep)
        inputs = pads + kept if padding == "pre" else kept + pads
        ids = [int(i) for i in padded]
    vectors = table[np.asarray(ids, dtype=np.int64)] if ids else np.zeros((0, table.shape[1]), table.dtype)
    rows = [
        PhraseRow(position=p, token=vocab.tokens[i], index=i, input=inputs[p], vector=vectors[p]) if i >= 0 else
        PhraseRow(position=p, token=inputs[p], index=None, input=inputs[p], vector=vectors[p])
        for p, i in enumerate(ids)
    ]
    if subwords is not None:  # a word outside the vocabulary: its n-gram vector instead of <unk>'s row
        for r in rows:
            if r.input is not None and r.input not in vocab.index:
                r.vector = subwords.vector(r.input)
                r.subword_ngrams = len(subwords.ngrams(r.input))
    return rows


@dataclass(repr=False)
class Explanation:
    word: str
    token: str
    index: int
    vocab_size: int
    one_hot: np.ndarray
    row: np.ndarray
    product: np.ndarray
    equal: bool
    max_abs_difference: float
    ngram_rows: int = 0  # a model with subwords: the row is the mean of the word's own row and this many n-gram rows

    __repr__ = compact_repr


def explain(vocab: Vocab, table: np.ndarray, word: str) -> Explanation:
    """One-hot vector of ``word`` times the table, computed and compared with the row."""
    i = word_index(vocab, word)
    onehot = np.zeros(len(vocab), dtype=table.dtype)
    onehot[i] = 1
    product = onehot @ table
    row = table[i]
    with np.errstate(invalid="ignore"):
        diff = float(np.max(np.abs(product.astype(np.float64) - row))) if row.size else 0.0
    return Explanation(
        word=word,
        token=vocab.tokens[i],
        index=i,
        vocab_size=len(vocab),
        one_hot=onehot,
        row=row,
        product=product,
        equal=bool(np.array_equal(product, row)),
        max_abs_difference=diff,
    )


def abbreviate_onehot(index: int, size: int, width: int = 15) -> str:
    """``[0 0 0 1 0 0 0]``; a long vector shows its start, the 1 in context and its end:
    ``[0 0 0 … 0 0 1 0 0 … 0]``."""
    if size <= width:
        return "[" + " ".join("1" if j == index else "0" for j in range(size)) + "]"
    shown = sorted({0, 1, 2, size - 1} | set(range(max(0, index - 2), min(size, index + 3))))
    parts: list[str] = []
    prev = -1
    for j in shown:
        if j > prev + 1:
            parts.append("…")
        parts.append("1" if j == index else "0")
        prev = j
    return "[" + " ".join(parts) + "]"


# -- PCA for the plot ------------------------------------------------------------------------------
def pca_2d(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Project rows onto their first two principal components (NumPy SVD).

    Returns the (n, 2) coordinates and the share of variance of each component. Signs are
    fixed so the largest loading of each component is positive (deterministic output).
    """
    x = np.asarray(vectors, dtype=np.float64)
    x = x - x.mean(axis=0)
    _, s, vt = np.linalg.svd(x, full_matrices=False)
    k = min(2, vt.shape[0])
    comps = vt[:k]
    signs = np.sign(comps[np.arange(k), np.argmax(np.abs(comps), axis=1)])
    signs[signs == 0] = 1
    comps = comps * signs[:, None]
    coords = x @ comps.T
    if k < 2:
        coords = np.hstack([coords, np.zeros((len(x), 2 - k))])
    var = s**2
    share = var[:2] / var.sum() if var.sum() > 0 else np.zeros(2)
    return coords, np.pad(share, (0, 2 - len(share)))


def plot_pca(path: str, vocab: Vocab, table: np.ndarray, limit: int) -> dict:
    """Scatter plot of the ``limit`` most frequent words (specials excluded) in 2-D PCA, written
    to ``path`` (its extension gives the image format: .png, .pdf, .svg ...). Needs matplotlib
    (``pip install 'embedcli[plot]'``). Returns the words, their coordinates and the share of
    variance of each component."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise EmbedcliError("plotting needs matplotlib: pip install 'embedcli[plot]'") from None
    idx = row_order(vocab, limit, by="frequency", words_only=True)
    if len(idx) < 2:
        raise EmbedcliError("a plot needs at least 2 words besides <pad>/<unk> in the vocabulary")
    coords, share = pca_2d(table[idx])
    ext = os.path.splitext(path)[1].lstrip(".").lower() or "png"
    fig, ax = plt.subplots(figsize=(8, 8), dpi=100)
    try:
        ax.scatter(coords[:, 0], coords[:, 1], s=12)
        for (x, y), i in zip(coords, idx.tolist()):
            ax.annotate(vocab.tokens[i], (x, y), fontsize=8, xytext=(3, 3), textcoords="offset points")
        ax.set_xlabel(f"PC1 ({share[0]:.1%} of variance)")
        ax.set_ylabel(f"PC2 ({share[1]:.1%} of variance)")
        ax.set_title(f"{len(idx)} most frequent words, PCA of the {table.shape[1]}-d table")
        with atomic_write(path, "wb") as f:
            try:
                fig.savefig(f, format=ext)
            except ValueError as exc:
                raise ParameterError("{path} {file}: {problem}", "path", file=path, problem=str(exc)) from None
    finally:
        plt.close(fig)
    return {
        "path": path,
        "words": [vocab.tokens[i] for i in idx.tolist()],
        "coordinates": coords.tolist(),
        "explained_variance": share.tolist(),
    }
