"""The lookup table itself: display helpers, exports, phrase rows, one-hot, pretrained vectors.

An embedding layer is a lookup table of shape (vocab size, dim): row ``i`` is the vector of
token ``i``. A phrase is represented by its rows (``table[ids]``, exactly what a Keras
``Embedding`` layer returns for the encoded phrase), and multiplying a one-hot vector by the
table picks one row (``onehot(i) @ table == table[i]``).

Exports (all written atomically, ``-`` = standard output for the text formats):

* ``word2vec``        the original word2vec / gensim text format: a header ``V dim``, then one
                      line ``token v1 ... vdim`` per row (values: shortest float32 repr, as
                      gensim writes them, so they read back bit-exact).
* ``word2vec-binary`` header ``V dim\\n``, then per row ``token`` + space + ``dim`` float32
                      little-endian + ``\\n`` (the newline is what the original ``word2vec.c``
                      writes; gensim 4 writes none but reads both, and so do we).
* ``tsv``             the TensorBoard projector pair ``vectors.tsv`` (one row of tab-separated
                      values per token, no header) and ``metadata.tsv`` (one token per line, no
                      header, as the projector expects for a single column).
* ``csv``             header ``index,token,d0,...``, one row per token.
* ``json``            ``{"format": "embedcli-table", "version": 1, "vocab_size", "dim",
                      "rows": [{"index", "token", "vector"}, ...]}``; :func:`read_json_table`
                      reads it back.
* ``npy``             the float32 table as ``numpy.save`` writes it.

Pretrained vectors: :func:`iter_vectors` streams word2vec text, word2vec binary and GloVe text
(no header; detected) files; :func:`init_rows` copies the rows of a vocabulary's words from such a
file into an initial table.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from typing import IO, Callable, Iterator

import numpy as np

from .errors import EmbedcliError, FormatError, UsageError
from .io import STDIO, atomic_write, display_name, open_binary
from .text import normalize, tokenize
from .vocab import Vocab

EXPORT_FORMATS = ("word2vec", "word2vec-binary", "tsv", "csv", "json", "npy")
TEXT_FORMATS = ("word2vec", "csv", "json")
PRETRAINED_FORMATS = ("auto", "word2vec", "word2vec-binary", "glove")
JSON_FORMAT = "embedcli-table"
JSON_VERSION = 1


# -- small helpers ---------------------------------------------------------------------------
def fmt_value(v: float) -> str:
    """Shortest text that reads back as the same float32 (gensim's ``str(float32)``)."""
    return str(np.float32(v))


def json_value(v) -> float | None:
    """A float32 as a JSON-friendly Python float with the shortest exact decimal."""
    f = np.float32(v)
    if not np.isfinite(f):
        return None
    return float(str(f))


def json_vector(row: np.ndarray) -> list:
    return [json_value(v) for v in row]


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


def check_tokens_exportable(vocab: Vocab, fmt: str) -> None:
    """Tokens must not contain the separators of the format (our tokenizer never makes such
    tokens, but vocabularies can be edited by hand)."""
    if fmt in ("word2vec", "word2vec-binary"):
        bad_chars = (" ", "\t", "\n", "\r")
        why = "whitespace"
    elif fmt == "tsv":
        bad_chars = ("\t", "\n", "\r")
        why = "a tab or newline"
    else:
        return
    for i, tok in enumerate(vocab.tokens):
        if tok == "" or any(c in tok for c in bad_chars):
            raise EmbedcliError(
                f"token {i} ({tok!r}) contains {why} or is empty and cannot be written in {fmt} format; "
                "use --format json, csv or npy"
            )


# -- exports ---------------------------------------------------------------------------------
@dataclass
class ExportResult:
    format: str
    paths: list[str]
    rows: int
    dim: int


def _rows(table: np.ndarray, indices: np.ndarray, progress: Callable[[int], None] | None, block: int = 4096):
    for start in range(0, len(indices), block):
        sel = indices[start : start + block]
        yield sel, table[sel]
        if progress is not None:
            progress(len(sel))


def write_word2vec(
    path: str,
    vocab: Vocab,
    table: np.ndarray,
    *,
    binary: bool = False,
    indices: np.ndarray | None = None,
    progress: Callable[[int], None] | None = None,
) -> None:
    """word2vec text or binary format (rows in vocabulary order)."""
    fmt = "word2vec-binary" if binary else "word2vec"
    check_tokens_exportable(vocab, fmt)
    if indices is None:
        indices = np.arange(len(vocab))
    dim = table.shape[1]
    tokens = vocab.tokens
    with atomic_write(path, "wb") as f:
        f.write(f"{len(indices)} {dim}\n".encode("utf-8"))
        for sel, rows in _rows(table, indices, progress):
            if binary:
                le = np.ascontiguousarray(rows, dtype="<f4")
                parts = []
                for i, row in zip(sel.tolist(), le):
                    parts.append(tokens[i].encode("utf-8") + b" " + row.tobytes() + b"\n")
                f.write(b"".join(parts))
            else:
                lines = [
                    tokens[i] + " " + " ".join([str(v) for v in row]) + "\n" for i, row in zip(sel.tolist(), rows)
                ]
                f.write("".join(lines).encode("utf-8"))


def projector_paths(target: str) -> tuple[str, str]:
    """Where the projector pair goes: ``DIR/`` (an existing directory or a path ending in ``/``)
    gives ``DIR/vectors.tsv`` + ``DIR/metadata.tsv``; anything else is a prefix: ``out/emb`` gives
    ``out/emb.vectors.tsv`` + ``out/emb.metadata.tsv``."""
    if target == STDIO:
        raise UsageError("--format tsv writes two files (vectors.tsv and metadata.tsv): give -o DIRECTORY or -o PREFIX")
    if target.endswith(("/", os.sep)) and not os.path.isdir(target):
        parent = os.path.dirname(os.path.abspath(target.rstrip("/" + os.sep)))
        if not os.path.isdir(parent):
            raise UsageError(f"cannot write {target}: directory {parent} does not exist")
        os.mkdir(target)
    if os.path.isdir(target):
        return os.path.join(target, "vectors.tsv"), os.path.join(target, "metadata.tsv")
    return target + ".vectors.tsv", target + ".metadata.tsv"


def write_projector(
    target: str,
    vocab: Vocab,
    table: np.ndarray,
    *,
    indices: np.ndarray | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[str, str]:
    check_tokens_exportable(vocab, "tsv")
    vec_path, meta_path = projector_paths(target)
    if indices is None:
        indices = np.arange(len(vocab))
    tokens = vocab.tokens
    with atomic_write(vec_path) as fv, atomic_write(meta_path) as fm:
        for sel, rows in _rows(table, indices, progress):
            fv.write("".join("\t".join([str(v) for v in row]) + "\n" for row in rows))
            fm.write("".join(tokens[i] + "\n" for i in sel.tolist()))
    return vec_path, meta_path


def write_csv(
    path: str,
    vocab: Vocab,
    table: np.ndarray,
    *,
    indices: np.ndarray | None = None,
    progress: Callable[[int], None] | None = None,
) -> None:
    import csv

    if indices is None:
        indices = np.arange(len(vocab))
    dim = table.shape[1]
    with atomic_write(path) as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["index", "token"] + [f"d{j}" for j in range(dim)])
        for sel, rows in _rows(table, indices, progress):
            w.writerows([i, vocab.tokens[i]] + [str(v) for v in row] for i, row in zip(sel.tolist(), rows))


def table_json(vocab: Vocab, table: np.ndarray, indices: np.ndarray | None = None) -> dict:
    """The table (or the selected rows) as a JSON-ready object."""
    if indices is None:
        indices = np.arange(len(vocab))
    return {
        "format": JSON_FORMAT,
        "version": JSON_VERSION,
        "vocab_size": len(vocab),
        "dim": int(table.shape[1]),
        "rows": [
            {"index": int(i), "token": vocab.tokens[i], "vector": json_vector(table[i])} for i in indices.tolist()
        ],
    }


def write_json_table(
    path: str,
    vocab: Vocab,
    table: np.ndarray,
    *,
    indices: np.ndarray | None = None,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Stream :func:`table_json` to ``path`` (same content, without building it in memory)."""
    if indices is None:
        indices = np.arange(len(vocab))
    if not np.isfinite(table[indices]).all():
        raise EmbedcliError("the table contains NaN or infinite values, which JSON cannot hold; use --format npy")
    head = {"format": JSON_FORMAT, "version": JSON_VERSION, "vocab_size": len(vocab), "dim": int(table.shape[1])}
    with atomic_write(path) as f:
        f.write(json.dumps(head, ensure_ascii=False)[:-1] + ', "rows": [')
        first = True
        for sel, rows in _rows(table, indices, progress):
            parts = []
            for i, row in zip(sel.tolist(), rows):
                vec = "[" + ", ".join([str(v) for v in row]) + "]"
                parts.append(
                    ("" if first else ",") + "\n"
                    + f'{{"index": {i}, "token": {json.dumps(vocab.tokens[i], ensure_ascii=False)}, "vector": {vec}}}'
                )
                first = False
            f.write("".join(parts))
        f.write("\n]}\n")


def read_json_table(path: str) -> tuple[list[int], list[str], np.ndarray]:
    """Read a JSON table export back: (indices, tokens, float32 vectors)."""
    name = display_name(path)
    try:
        if path == STDIO:
            data = json.load(sys.stdin)
        else:
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
    except FileNotFoundError:
        raise EmbedcliError(f"{name}: no such file") from None
    except json.JSONDecodeError as exc:
        raise FormatError(f"{name}: line {exc.lineno}: not valid JSON ({exc.msg})") from None
    if not isinstance(data, dict) or data.get("format") != JSON_FORMAT:
        raise FormatError(f'{name}: not an embedcli table export (no "format": "{JSON_FORMAT}")')
    rows = data.get("rows", [])
    dim = int(data.get("dim", 0))
    vectors = np.zeros((len(rows), dim), dtype=np.float32)
    for k, r in enumerate(rows):
        vec = r.get("vector")
        if not isinstance(vec, list) or len(vec) != dim:
            raise FormatError(f"{name}: row {k} has a vector of the wrong length (expected {dim})")
        vectors[k] = vec
    return [int(r["index"]) for r in rows], [r["token"] for r in rows], vectors


def write_npy(path: str, table: np.ndarray, indices: np.ndarray | None = None) -> None:
    arr = table if indices is None else table[indices]
    with atomic_write(path, "wb") as f:
        np.save(f, np.ascontiguousarray(arr, dtype=np.float32), allow_pickle=False)


def export(
    fmt: str,
    target: str,
    vocab: Vocab,
    table: np.ndarray,
    *,
    indices: np.ndarray | None = None,
    progress: Callable[[int], None] | None = None,
) -> ExportResult:
    """Write the table (all rows, or ``indices``) in one of :data:`EXPORT_FORMATS`."""
    n = len(vocab) if indices is None else len(indices)
    if fmt == "word2vec":
        write_word2vec(target, vocab, table, binary=False, indices=indices, progress=progress)
        paths = [target]
    elif fmt == "word2vec-binary":
        if target == STDIO and sys.stdout.isatty():
            raise UsageError("refusing to write binary word2vec to a terminal: give -o FILE")
        write_word2vec(target, vocab, table, binary=True, indices=indices, progress=progress)
        paths = [target]
    elif fmt == "tsv":
        paths = list(write_projector(target, vocab, table, indices=indices, progress=progress))
    elif fmt == "csv":
        write_csv(target, vocab, table, indices=indices, progress=progress)
        paths = [target]
    elif fmt == "json":
        write_json_table(target, vocab, table, indices=indices, progress=progress)
        paths = [target]
    elif fmt == "npy":
        if target == STDIO and sys.stdout.isatty():
            raise UsageError("refusing to write .npy data to a terminal: give -o FILE")
        write_npy(target, table, indices)
        paths = [target]
    else:
        raise UsageError(f"unknown --format {fmt!r} (use one of: table, {', '.join(EXPORT_FORMATS)})")
    return ExportResult(fmt, paths, n, int(table.shape[1]))


# -- words, phrases and one-hot vectors ----------------------------------------------------------
def word_token(vocab: Vocab, word: str) -> str:
    """The vocabulary token for a word typed by the user (normalised with the vocab's settings)."""
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
    """Index of a word; an unknown word is a one-line error with close spellings."""
    token = word_token(vocab, word)
    i = vocab.index.get(token)
    if i is None:
        close = suggest(vocab, token)
        hint = f"; did you mean {', '.join(close)}?" if close else "; it is not in the vocabulary"
        raise EmbedcliError(f"unknown word {word!r}{hint}")
    return i


@dataclass
class PhraseRow:
    position: int
    token: str
    index: int
    input: str | None  # the word of the phrase (None for padding)
    vector: np.ndarray


def phrase_rows(
    vocab: Vocab,
    table: np.ndarray,
    phrase: str,
    *,
    maxlen: int | None = None,
    padding: str = "pre",
    truncating: str = "pre",
) -> list[PhraseRow]:
    """The rows of a phrase in order: ``table[ids]`` for the encoded (optionally padded) phrase.

    Unknown words map to ``<unk>`` (an error if the vocabulary has none). Padding only with
    ``maxlen``, exactly like Keras ``pad_sequences`` (``padding``/``truncating`` pre or post).
    """
    from .encode import check_pad_args, pad_sequences

    words = tokenize(phrase, vocab.settings)
    ids = vocab.lookup(words, vocab.default_oov())
    inputs: list[str | None] = list(words)
    if maxlen is not None:
        check_pad_args(maxlen, padding, truncating)
        value = vocab.pad_id if vocab.pad_id is not None else 0
        padded = pad_sequences([ids], maxlen=maxlen, padding=padding, truncating=truncating, value=value)[0]
        # the same cut applied to the words, to label the rows
        n = len(ids)
        keep = min(n, maxlen)
        kept = inputs[n - keep :] if truncating == "pre" else inputs[:keep]
        pads: list[str | None] = [None] * (maxlen - keep)
        inputs = pads + kept if padding == "pre" else kept + pads
        ids = [int(i) for i in padded]
    vectors = table[np.asarray(ids, dtype=np.int64)] if ids else np.zeros((0, table.shape[1]), table.dtype)
    return [
        PhraseRow(position=p, token=vocab.tokens[i], index=i, input=inputs[p], vector=vectors[p])
        for p, i in enumerate(ids)
    ]


@dataclass
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
    """Scatter plot of the ``limit`` most frequent words (specials excluded) in 2-D PCA."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise EmbedcliError("--plot needs matplotlib: pip install 'embedcli[plot]'") from None
    idx = row_order(vocab, limit, by="frequency", words_only=True)
    if len(idx) < 2:
        raise EmbedcliError("--plot needs at least 2 words besides <pad>/<unk> in the vocabulary")
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
                raise UsageError(f"--plot {path}: {exc}") from None
    finally:
        plt.close(fig)
    return {
        "path": path,
        "words": [vocab.tokens[i] for i in idx.tolist()],
        "coordinates": coords.tolist(),
        "explained_variance": share.tolist(),
    }


# -- pretrained vectors ------------------------------------------------------------------------------
@dataclass
class VectorFileInfo:
    path: str
    format: str  # word2vec, word2vec-binary or glove
    dim: int
    count: int | None  # from the header (None for GloVe)


def _parse_header(line: bytes) -> tuple[int, int] | None:
    parts = line.split()
    if len(parts) == 2 and all(p.isdigit() for p in parts):
        return int(parts[0]), int(parts[1])
    return None


def _looks_like_text_record(line: bytes, dim: int) -> bool:
    try:
        parts = line.decode("utf-8").rstrip().split(" ")
    except UnicodeDecodeError:
        return False
    if len(parts) < dim + 1:
        return False
    try:
        [float(x) for x in parts[-dim:]]
    except ValueError:
        return False
    return True


def open_vectors(path: str, fmt: str = "auto") -> tuple[VectorFileInfo, Iterator[tuple[str, np.ndarray, int]]]:
    """Open a pretrained vector file; returns its description and an iterator of
    ``(word, float32 vector, line or entry number)``, streaming (one record at a time).

    ``fmt="auto"`` detects: a first line of two integers is a word2vec header (text or binary,
    told apart by whether the first record parses as text), otherwise GloVe text (no header).
    """
    if fmt not in PRETRAINED_FORMATS:
        raise UsageError(f"unknown vector file format {fmt!r} (use {', '.join(PRETRAINED_FORMATS)})")
    name = display_name(path)
    if path == STDIO:
        raise UsageError("pretrained vectors must be a file, not standard input")
    f = open_binary(path, "a word vector file")
    try:
        first = f.readline(1 << 20)
        if first.startswith(b"\xef\xbb\xbf"):
            first = first[3:]
        if not first.strip():
            raise FormatError(f"{name}: line 1: empty; expected a word2vec header 'COUNT DIM' or a GloVe line")
        header = _parse_header(first)
        if fmt == "glove" or (fmt == "auto" and header is None):
            if fmt == "glove" and header is not None:
                raise FormatError(f"{name}: line 1 looks like a word2vec header ({first.strip().decode()}); "
                                  "use the word2vec format")
            parts = first.rstrip().split(b" ")
            if len(parts) < 2:
                raise FormatError(f"{name}: line 1: expected 'word v1 v2 ...' (GloVe) or 'COUNT DIM' (word2vec)")
            info = VectorFileInfo(name, "glove", len(parts) - 1, None)
            f.seek(0)
            return info, _iter_text(f, name, info, first_line=1)
        if header is None:
            raise FormatError(f"{name}: line 1: expected a word2vec header 'COUNT DIM', got {first[:60]!r}")
        count, dim = header
        if dim < 1:
            raise FormatError(f"{name}: line 1: dimension must be at least 1 (header says {dim})")
        if fmt == "auto":
            pos = f.tell()
            peek = f.readline(1 << 20)
            f.seek(pos)
            fmt = "word2vec" if (not peek or _looks_like_text_record(peek, dim)) else "word2vec-binary"
        info = VectorFileInfo(name, fmt, dim, count)
        if fmt == "word2vec":
            return info, _iter_text(f, name, info, first_line=2)
        return info, _iter_binary(f, name, info)
    except BaseException:
        f.close()
        raise


def _finish(records: Iterator) -> None:
    """Close a record iterator of :func:`open_vectors` and its file. A generator that never
    started skips its ``finally``, so read one record first (its format errors are ignored)."""
    try:
        next(records, None)
    except EmbedcliError:
        pass
    finally:
        records.close()


def vector_file_info(path: str, fmt: str = "auto") -> VectorFileInfo:
    """Format and dimension of a pretrained vector file, read from its start (the first vector
    must parse); the file is closed again. Cheap: for checks before a long run."""
    info, records = open_vectors(path, fmt)
    try:
        next(records, None)
    finally:
        records.close()
    return info


def _iter_text(f: IO[bytes], name: str, info: VectorFileInfo, first_line: int) -> Iterator[tuple[str, np.ndarray, int]]:
    dim = info.dim
    n = 0
    line_no = first_line - 1
    try:
        for raw in f:
            line_no += 1
            if line_no == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise FormatError(f"{name}: line {line_no}: invalid UTF-8 (byte 0x{raw[exc.start]:02x})") from None
            text = text.rstrip("\r\n").rstrip(" ")
            if not text.strip():
                if info.count is None:
                    continue  # GloVe: tolerate blank lines
                raise FormatError(f"{name}: line {line_no}: empty line in a word2vec file")
            parts = text.split(" ")
            if len(parts) < dim + 1:
                raise FormatError(
                    f"{name}: line {line_no}: expected a word and {dim} values, got {len(parts) - 1} value(s) "
                    f"(dimension mismatch or truncated line)"
                )
            word = " ".join(parts[:-dim])  # a word may contain spaces (some GloVe files)
            try:
                vec = np.array(parts[-dim:], dtype=np.float32)
            except ValueError:
                bad = next(p for p in parts[-dim:] if not _is_float(p))
                raise FormatError(f"{name}: line {line_no}: {bad[:30]!r} is not a number") from None
            if not np.isfinite(vec).all():
                raise FormatError(f"{name}: line {line_no}: NaN or infinite value for {word!r}")
            if info.count is not None and n >= info.count:
                raise FormatError(
                    f"{name}: line {line_no}: more vectors than the header's count ({info.count})"
                )
            n += 1
            yield word, vec, line_no
        if info.count is not None and n < info.count:
            raise FormatError(
                f"{name}: truncated: the header says {info.count} vectors, the file has {n}"
            )
    finally:
        f.close()


def _is_float(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


def _iter_binary(f: IO[bytes], name: str, info: VectorFileInfo, chunk: int = 1 << 20) -> Iterator[tuple[str, np.ndarray, int]]:
    dim, count = info.dim, info.count or 0
    nbytes = 4 * dim
    buf = b""
    pos = 0  # start of the next record in buf
    base = f.tell()  # file offset of buf[0]
    eof = False
    try:
        for n in range(1, count + 1):
            while True:
                sp = buf.find(b" ", pos)
                if sp != -1 and len(buf) - sp - 1 >= nbytes:
                    break
                if eof:
                    raise FormatError(
                        f"{name}: truncated at vector {n} (byte {base + pos}): the header says {count} vectors"
                    )
                if sp == -1 and len(buf) - pos > (1 << 16):
                    raise FormatError(
                        f"{name}: vector {n} (byte {base + pos}): no word found; not a word2vec binary file?"
                    )
                more = f.read(max(chunk, nbytes + 1024))
                if not more:
                    eof = True
                base += pos
                buf = buf[pos:] + more
                pos = 0
            raw_word = buf[pos:sp].lstrip(b"\n")
            try:
                word = raw_word.decode("utf-8")
            except UnicodeDecodeError:
                raise FormatError(f"{name}: vector {n} (byte {base + pos}): word is not valid UTF-8") from None
            if not word:
                raise FormatError(f"{name}: vector {n} (byte {base + pos}): empty word")
            vec = np.frombuffer(buf, dtype="<f4", count=dim, offset=sp + 1).astype(np.float32)
            if not np.isfinite(vec).all():
                raise FormatError(f"{name}: vector {n} ({word!r}, byte {base + pos}): NaN or infinite value")
            pos = sp + 1 + nbytes
            yield word, vec, n
        rest = buf[pos:] + f.read(2)
        if rest.strip(b"\n"):
            raise FormatError(
                f"{name}: byte {base + pos}: data after the {count} vectors announced by the header"
            )
    finally:
        f.close()


def init_rows(
    vocab: Vocab,
    path: str,
    dim: int,
    rng: np.random.Generator | None = None,
    table: np.ndarray | None = None,
    *,
    fmt: str = "auto",
    progress: Callable[[int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Initial table with the rows of the vocabulary's words taken from a pretrained vector file.

    ``table`` (shape (len(vocab), dim)) is the initialisation for rows not in the file; it is
    copied, not modified. Without it the rows are drawn from ``rng`` as word2vec does
    (uniform in ±0.5/dim). File words are matched exactly, or after normalising them with the
    vocabulary's settings (``Apple`` → ``apple`` in a lower-cased vocabulary); an exact match
    wins over a normalised one, otherwise the first occurrence in the file wins (files are
    usually sorted by frequency).

    Returns ``(table float32, found_mask bool (V,), n_found)``. A file of another dimension is a
    one-line error.
    """
    if table is None:
        if rng is None:
            raise ValueError("init_rows needs rng or table")
        table = ((rng.random((len(vocab), dim), dtype=np.float32) - 0.5) / dim).astype(np.float32)
    else:
        if table.shape != (len(vocab), dim):
            raise ValueError(f"table has shape {table.shape}, expected {(len(vocab), dim)}")
        table = np.array(table, dtype=np.float32, copy=True)
    info, records = open_vectors(path, fmt)
    if info.dim != dim:
        _finish(records)
        raise EmbedcliError(
            f"{info.path} has {info.dim}-dimensional vectors but the table has dim {dim}; use --dim {info.dim}"
        )
    found = np.zeros(len(vocab), dtype=bool)
    exact = np.zeros(len(vocab), dtype=bool)
    index, settings = vocab.index, vocab.settings
    for n, (word, vec, _) in enumerate(records, 1):
        i = index.get(word)
        if i is not None:
            if not exact[i]:
                table[i] = vec
                found[i] = exact[i] = True
        else:
            i = index.get(normalize(word, settings))
            if i is not None and not found[i]:
                table[i] = vec
                found[i] = True
        if progress is not None and n % 4096 == 0:
            progress(4096)
    return table, found, int(found.sum())
