"""Writing the lookup table out: word2vec text/binary, TensorBoard projector TSV, CSV, JSON, npy.

Exports (all written atomically, ``-`` = standard output for the text formats; a file name ending
in ``.gz``, ``.bz2`` or ``.xz`` gets compressed data, as gensim writes and reads such names):

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

``word2vec``, ``word2vec-binary``, ``tsv`` and ``csv`` leave out the special rows (``<pad>``,
all zeros, and ``<unk>``) unless ``include_specials``: a gensim or projector user gets words
only. ``npy`` and ``json`` keep every row (the table is index-aligned with the vocabulary).
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .errors import EmbedcliError, FormatError, ParameterError
from .io import STDIO, atomic_write, display_name, open_binary
from .vocab import Vocab

EXPORT_FORMATS = ("word2vec", "word2vec-binary", "tsv", "csv", "json", "npy")
TEXT_FORMATS = ("word2vec", "csv", "json")
#: formats that leave out <pad> and <unk> unless asked to keep them
WORDS_ONLY_FORMATS = ("word2vec", "word2vec-binary", "tsv", "csv")
#: what ends a word in word2vec files (word2vec.c splits at space, tab and newline; gensim at space
#: and newline, and strips a line's trailing whitespace): other Unicode spaces stay in the word
WORD2VEC_SEPARATORS = (" ", "\t", "\n", "\r")
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


def check_tokens_exportable(vocab: Vocab, fmt: str) -> None:
    """Tokens must not contain the separators of the format (our tokenizer never makes such
    tokens, but vocabularies can be edited by hand)."""
    if fmt in ("word2vec", "word2vec-binary"):
        bad_chars = WORD2VEC_SEPARATORS
        why = "whitespace"
    elif fmt == "tsv":
        bad_chars = ("\t", "\n", "\r")
        why = "a tab or newline"
    else:
        return
    for i, tok in enumerate(vocab.tokens):
        if tok == "" or any(c in tok for c in bad_chars):
            raise ParameterError(
                "token {i} ({tok!r}) contains {why} or is empty and cannot be written in {fmt} format; "
                "use {format} json, csv or npy", "format", i=i, tok=tok, why=why, fmt=fmt, exit_code=1
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
    with atomic_write(path, "wb", compress=True) as f:
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
        raise ParameterError("{format} tsv writes two files (vectors.tsv and metadata.tsv): give {path} a DIRECTORY "
                             "or a PREFIX, not stdout", "format", "path")
    if target.endswith(("/", os.sep)) or os.path.isdir(target):  # DIR/ (and missing parents) made as files are written
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
    with atomic_write(path, compress=True) as f:
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
        raise ParameterError("the table contains NaN or infinite values, which JSON cannot hold; use {format} npy",
                             "format", exit_code=1)
    head = {"format": JSON_FORMAT, "version": JSON_VERSION, "vocab_size": len(vocab), "dim": int(table.shape[1])}
    with atomic_write(path, compress=True) as f:
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
            with open_binary(path, "a JSON table export") as f:  # gzip/bzip2/xz too
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
    with atomic_write(path, "wb", compress=True) as f:
        np.save(f, np.ascontiguousarray(arr, dtype=np.float32), allow_pickle=False)


def export(
    fmt: str,
    target: str,
    vocab: Vocab,
    table: np.ndarray,
    *,
    indices: np.ndarray | None = None,
    progress: Callable[[int], None] | None = None,
    include_specials: bool = False,
) -> ExportResult:
    """Write the table (all rows, or ``indices``) in one of :data:`EXPORT_FORMATS`; the formats of
    :data:`WORDS_ONLY_FORMATS` leave out ``<pad>``/``<unk>`` unless ``include_specials``."""
    special_ids = [i for i in (vocab.pad_id, vocab.unk_id) if i is not None]
    if fmt in WORDS_ONLY_FORMATS and not include_specials and special_ids:
        rows = np.arange(len(vocab)) if indices is None else np.asarray(indices)
        indices = rows[~np.isin(rows, special_ids)]
    n = len(vocab) if indices is None else len(indices)
    if fmt == "word2vec":
        write_word2vec(target, vocab, table, binary=False, indices=indices, progress=progress)
        paths = [target]
    elif fmt == "word2vec-binary":
        if target == STDIO and sys.stdout.isatty():
            raise ParameterError("refusing to write binary word2vec to a terminal: give {path} a FILE", "path")
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
            raise ParameterError("refusing to write .npy data to a terminal: give {path} a FILE", "path")
        write_npy(target, table, indices)
        paths = [target]
    else:
        raise ParameterError("unknown {format} {value!r} (use one of: {formats})", "format", value=fmt,
                             formats=", ".join(EXPORT_FORMATS))
    return ExportResult(fmt, paths, n, int(table.shape[1]))
