"""Pretrained vectors: reading word2vec text, word2vec binary and GloVe files, and ``--init``.

:func:`open_vectors` streams word2vec text, word2vec binary and GloVe text (no header; detected)
files, and the word rows of an embedcli model directory; :func:`init_rows` copies the rows of a
vocabulary's words from such a source into an initial table.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from typing import IO, Callable, Iterator

import numpy as np

from .errors import EmbedcliError, FormatError, ParameterError, UsageError
from .io import STDIO, _Prefixed, display_name, is_plain, open_binary
from .text import normalize
from .vocab import Vocab

PRETRAINED_FORMATS = ("auto", "word2vec", "word2vec-binary", "glove")
#: the first bytes of a fastText .bin model (its magic number 793712314, little-endian int32)
FASTTEXT_MAGIC = b"\xba\x16\x4f\x2f"


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


#: bytes read of a line to tell what a file holds (a binary record may have no newline for long)
_PEEK = 1 << 20


def _cut(line: bytes) -> bool:
    """Whether a line read with the limit :data:`_PEEK` stopped at the limit (a text record of a
    very large dimension is longer)."""
    return len(line) >= _PEEK and not line.endswith(b"\n")


def _looks_like_text_record(line: bytes, dim: int) -> bool:
    """Whether ``line`` reads as ``word v1 ... vdim``; a line cut at :data:`_PEEK` bytes as the
    start of one: its last complete parts (up to ``dim``) are numbers."""
    try:
        parts = line.decode("utf-8").rstrip().split(" ")
    except UnicodeDecodeError:
        return False
    if _cut(line):
        parts = parts[:-1]  # perhaps a number cut short
        dim = min(dim, len(parts) - 1)
        if dim < 1:
            return False
    if len(parts) < dim + 1:
        return False
    try:
        [float(x) for x in parts[-dim:]]
    except ValueError:
        return False
    return True


def _values_of_text_line(line: bytes) -> int | None:
    """How many numbers follow the word of ``line``, a whole UTF-8 line ``word v1 ... vn`` (else None)."""
    if not line.endswith(b"\n"):
        return None
    try:
        parts = line.decode("utf-8").rstrip().split(" ")
    except UnicodeDecodeError:
        return None
    if len(parts) < 2 or not all(_is_float(p) for p in parts[1:]):
        return None
    return len(parts) - 1


def _is_text_line(line: bytes, dim: int) -> bool:
    """Whether ``line`` is a whole UTF-8 line of text (no control character but tab and CR) of a
    word and ``dim`` fields with a digit each, split at whitespace: a text record with a bad value
    (``1,5``, two spaces, tabs), which a word2vec binary record of 2 or more dimensions is not (its
    raw float bytes make invalid UTF-8, NUL bytes, or other fields; the 4 bytes of one dimension
    can pass for a field)."""
    if dim < 2 or not line.endswith(b"\n"):
        return False
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    if any((c < " " and c not in "\t\r\n") or c == "\x7f" for c in text):
        return False
    fields = text.split()
    return len(fields) == dim + 1 and all(any("0" <= c <= "9" for c in f) for f in fields[1:])


def open_vectors(path: str, fmt: str = "auto") -> tuple[VectorFileInfo, Iterator[tuple[str, np.ndarray, int]]]:
    """Open a pretrained vector file; returns its description and an iterator of
    ``(word, float32 vector, line or entry number)``, streaming (one record at a time).

    ``fmt="auto"`` detects: a first line of two integers is a word2vec header (text or binary,
    told apart by whether the first record parses as text), otherwise GloVe text (no header);
    a directory is an embedcli model (:func:`_model_vectors`: its word rows).
    """
    if fmt not in PRETRAINED_FORMATS:
        raise UsageError(f"unknown vector file format {fmt!r} (use {', '.join(PRETRAINED_FORMATS)})")
    name = display_name(path)
    if path == STDIO:
        raise UsageError("pretrained vectors must be a file, not standard input")
    if fmt == "auto" and (os.path.isdir(path) or (path.endswith(".npy") and os.path.isfile(path))):
        return _model_vectors(path)  # a model's table.npy (vocab.json beside it) is the model, as elsewhere
    f = open_binary(path, "a word vector file")
    try:
        raw_first = first = f.readline(_PEEK)
        if first.startswith(FASTTEXT_MAGIC):
            raise FormatError(f"{name}: a fastText .bin model, which embedcli does not read; give the "
                              f"{_vec_name(name)} file fastText writes beside it (word2vec text)")
        if first.startswith(b"\xef\xbb\xbf"):
            first = first[3:]
        if _cut(first) and _looks_like_text_record(first, 1):  # a GloVe line of more than 1 MB
            rest = f.readline()
            raw_first, first = raw_first + rest, first + rest
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
            values = 0  # the numbers at the end: the first word may have spaces too ('. . .', as later ones)
            while values < len(parts) - 1 and _is_float(parts[-1 - values].decode("utf-8", "replace")):
                values += 1
            info = VectorFileInfo(name, "glove", values or len(parts) - 1, None)
            f = _rewind(f, raw_first, 0)
            return info, _iter_text(f, name, info, first_line=1)
        if header is None:
            raise FormatError(f"{name}: line 1: expected a word2vec header 'COUNT DIM', got {first[:60]!r}")
        count, dim = header
        if dim < 1:
            raise FormatError(f"{name}: line 1: dimension must be at least 1 (header says {dim})")
        if fmt == "auto":
            peek = f.readline(_PEEK)
            consumed = peek
            text = not peek or _looks_like_text_record(peek, dim)
            n = _values_of_text_line(peek) if not text else None
            if not text and n is None:  # a text line with a bad value: its error, not a binary file's
                text = _is_text_line(peek, dim)
            if n is not None and n < dim:  # text lines shorter than the header's dim: a wrong header, if
                more = f.readline(_PEEK)   # the next line is alike (a binary record is not, by chance, twice)
                consumed += more
                text = not more or _values_of_text_line(more) == n
            f = _rewind(f, consumed, len(raw_first))
            fmt = "word2vec" if text else "word2vec-binary"
        info = VectorFileInfo(name, fmt, dim, count)
        if fmt == "word2vec":
            return info, _iter_text(f, name, info, first_line=2)
        return info, _iter_binary(f, name, info, start=len(raw_first))
    except BaseException:
        f.close()
        raise


def _vec_name(name: str) -> str:
    """The .vec file beside a fastText .bin model (``model.bin`` -> ``model.vec``)."""
    base, ext = os.path.splitext(name)
    return base + ".vec" if ext == ".bin" else ".vec"


def _rewind(f: IO[bytes], consumed: bytes, pos: int) -> IO[bytes]:
    """``f`` read again from byte ``pos``, where ``consumed`` (the bytes read since) starts: sought
    back when it can be, else (a compressed file, decompressed as it is read) ``consumed`` put
    back in front of the rest of it."""
    if f.seekable():
        f.seek(pos)
        return f
    return io.BufferedReader(_Prefixed(consumed, f, close_source=True), 1 << 16)


def _model_vectors(path: str) -> tuple[VectorFileInfo, Iterator[tuple[str, np.ndarray, int]]]:
    """The word rows of an embedcli model directory, as :func:`open_vectors` gives a file's
    records: ``(token, row, index)`` for every token but ``<pad>``/``<unk>`` (a model trained with
    subwords: its word rows, not the n-gram rows after them). What starts a new run from a
    trained model (``--init MODEL_DIR``: on a new corpus, or for a classifier)."""
    from .model import Model

    model = Model.load(path)  # a directory that is not a model: a one-line error naming it
    specials = set(model.vocab.special_ids())
    info = VectorFileInfo(display_name(path), "embedcli-model", model.dim, len(model.vocab) - len(specials))

    def records() -> Iterator[tuple[str, np.ndarray, int]]:
        for i, token in enumerate(model.vocab.tokens):
            if i not in specials:
                yield token, np.asarray(model.table[i], dtype=np.float32), i

    return info, records()


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
                if info.count is None or n == info.count:
                    continue  # GloVe: tolerate blank lines; word2vec: blank lines after the last vector
                raise FormatError(f"{name}: line {line_no}: empty line in a word2vec file")
            parts = text.split(" ")
            if len(parts) < dim + 1:
                why = ("values separated by tabs; word2vec and GloVe files separate them by spaces"
                       if len(text.split()) >= dim + 1 else "dimension mismatch or truncated line")
                raise FormatError(
                    f"{name}: line {line_no}: expected a word and {dim} values, got {len(parts) - 1} value(s) ({why})"
                )
            if len(parts) > dim + 1 and all(_is_float(p) for p in parts[1:-dim]):  # not a word 'w 0.5'
                why = "two spaces in a row" if "" in parts[1:] else "dimension mismatch"
                raise FormatError(
                    f"{name}: line {line_no}: expected a word and {dim} values, got {len(parts) - 1} value(s) ({why})"
                )
            word = " ".join(parts[:-dim])  # a word may contain spaces (some GloVe files: ". . .")
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


#: the most a binary record read asks for at once (a record of more is read in several)
_MAX_READ = 1 << 26


def _iter_binary(f: IO[bytes], name: str, info: VectorFileInfo, chunk: int = 1 << 20, *,
                 start: int) -> Iterator[tuple[str, np.ndarray, int]]:
    dim, count = info.dim, info.count or 0
    nbytes = 4 * dim
    buf = b""
    pos = 0  # start of the next record in buf
    base = start  # (uncompressed) file offset of buf[0]
    eof = False
    try:
        for n in range(1, count + 1):
            while True:
                sp = buf.find(b" ", pos)
                if sp != -1 and len(buf) - sp - 1 >= nbytes:
                    break
                if eof:
                    raise FormatError(
                        f"{name}: truncated at vector {n} (byte {base + pos}): the header says {count} vectors "
                        f"of {dim} values"
                    )
                if sp == -1 and len(buf) - pos > (1 << 16):
                    raise FormatError(
                        f"{name}: vector {n} (byte {base + pos}): no word found; not a word2vec binary file?"
                    )
                more = f.read(min(max(chunk, nbytes + 1024), _MAX_READ))  # a header's dim may be wrong
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


def read_vectors(path: str, fmt: str = "auto", progress: Callable[[int], None] | None = None
                 ) -> tuple[VectorFileInfo, list[str], np.ndarray]:
    """A whole pretrained vector file in memory: its description, its words in file order (a word
    seen again is left out: the first vector wins, as gensim's ``load_word2vec_format``) and the
    float32 table, row ``i`` = word ``i``. ``progress(n)`` gets the vectors read."""
    info, records = open_vectors(path, fmt)
    words: list[str] = []
    seen: set[str] = set()
    block = 1 << 14 if info.count is None else max(1, info.count)
    sized = info.count is not None and info.format != "embedcli-model" and is_plain(path)
    if sized:
        # a record takes at least 2 * dim + 1 bytes (text 'w 0 0\n'; binary 4 * dim + 2): a header
        # counting more than the file holds is wrong, and the reader says so once it ends
        block = max(1, min(block, os.path.getsize(path) // (2 * info.dim + 1)))
    blocks: list[np.ndarray] = []
    rows = np.empty((0, info.dim), dtype=np.float32)  # allocated at the first vector: a file whose
    n = 0                                             # first line is wrong (the dimension) says so first
    for word, vec, _ in records:
        if word in seen:
            continue
        seen.add(word)
        if n == len(rows):
            if len(rows):
                blocks.append(rows)
            try:
                rows = np.empty((block, info.dim), dtype=np.float32)
            except MemoryError:
                if info.count is None or sized:  # not the header's doing: "not enough memory"
                    raise
                records.close()  # a compressed file, whose size says nothing of its records
                raise FormatError(f"{info.path}: line 1: the header says {info.count:,} vectors of {info.dim} "
                                  f"values ({info.count * info.dim * 4 / 2**30:,.1f} GiB), more than memory "
                                  "holds; is the count right?") from None
            n = 0
        rows[n] = vec
        n += 1
        words.append(word)
        if progress is not None and len(words) % 4096 == 0:
            progress(4096)
    if not words:
        raise FormatError(f"{info.path}: no vectors in the file")
    blocks.append(rows[:n])
    table = blocks[0] if len(blocks) == 1 else np.concatenate(blocks)
    return info, words, table


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
        raise ParameterError("{name} has {n}-dimensional vectors but the table has dim {d}; use {dim} {n}", "dim",
                             name=info.path, n=info.dim, d=dim, exit_code=1)
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
