"""Phrases → padded integer sequences, with exactly Keras ``pad_sequences`` semantics.

``truncating="pre"`` drops tokens from the start of a too-long sequence, ``"post"`` from the end;
``padding="pre"`` puts the padding before the ids, ``"post"`` after. Keras' defaults are
``pre``/``pre`` and so are ours. ``maxlen=None`` means the longest sequence. An empty sequence
is a row of padding.

Large inputs are spooled once to an :class:`embedcli.idstore.IdStore` (plus the lengths), then padded
in blocks of rows straight into the output (``.npy`` through a memory map), so memory does not
grow with the input.
"""

from __future__ import annotations

import os
import sys
from itertools import islice
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, Sequence

import numpy as np

from .errors import EmbedcliError, ParameterError, check_callback, check_integer
from .idstore import IdStore
from .io import expand_inputs, open_binary
from .tokenizer import PieceIds, PieceTokenizer, token_pattern
from .text import normalize
from .vocab import Vocab

PADDINGS = ("pre", "post")
BLOCK_ROWS = 1 << 16


def check_pad_args(maxlen: int | None, padding: str, truncating: str) -> None:
    if maxlen is not None:
        check_integer(maxlen, "maxlen", 1)
    if padding not in PADDINGS:
        raise ParameterError("{padding} must be 'pre' or 'post' (got {value!r})", "padding", value=padding)
    if truncating not in PADDINGS:
        raise ParameterError("{truncating} must be 'pre' or 'post' (got {value!r})", "truncating", value=truncating)


def pad_flat(
    flat: np.ndarray,
    lengths: np.ndarray,
    maxlen: int,
    padding: str = "pre",
    truncating: str = "pre",
    value: int = 0,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Pad/truncate sequences stored back to back in ``flat`` (``lengths[i]`` ids each).

    ``maxlen`` may be 0 here (rows of width 0, what Keras gives when every sequence is empty):
    it is then the longest of the sequences, found, not asked for; a user's ``maxlen`` is
    checked by :func:`check_pad_args` (at least 1)."""
    check_pad_args(maxlen or None, padding, truncating)  # 0: found, not asked for
    lengths = np.asarray(lengths, dtype=np.int64)
    n = len(lengths)
    if out is None:
        out = np.empty((n, maxlen), dtype=np.int32)
    out[...] = value
    if n == 0:
        return out
    starts = np.zeros(n, dtype=np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])
    keep = np.minimum(lengths, maxlen)
    src_start = starts + (lengths - keep if truncating == "pre" else 0)
    dst_start = (maxlen - keep) if padding == "pre" else np.zeros(n, dtype=np.int64)
    total = int(keep.sum())
    if total:
        rows = np.repeat(np.arange(n), keep)
        within = np.arange(total) - np.repeat(np.cumsum(keep) - keep, keep)
        out[rows, dst_start[rows] + within] = np.asarray(flat)[src_start[rows] + within]
    return out


def pad_sequences(
    sequences: Sequence[Sequence[int]],
    maxlen: int | None = None,
    padding: str = "pre",
    truncating: str = "pre",
    value: int = 0,
) -> np.ndarray:
    """Keras ``pad_sequences`` for integer sequences (int32 result)."""
    lengths = np.fromiter((len(s) for s in sequences), dtype=np.int64, count=len(sequences))
    if maxlen is None:
        maxlen = int(lengths.max()) if len(lengths) else 0
        if maxlen == 0:
            return np.full((len(sequences), 0), value, dtype=np.int32)
    flat = np.fromiter((i for s in sequences for i in s), dtype=np.int64, count=int(lengths.sum()))
    return pad_flat(flat, lengths, maxlen, padding, truncating, value)


def encode_tokens_lines(
    lines: Iterable[str], vocab: Vocab, oov: str = "unk", unknown: list[int] | None = None
) -> Iterator[list[int]]:
    """Id lists for phrases (one per line), normalised and tokenised with the vocab's settings.
    ``unknown``: a one-item list that counts the tokens not in the vocabulary (written as
    ``<unk>``, or left out with ``oov="skip"``)."""
    settings = vocab.settings
    pattern = token_pattern(settings)
    unk = vocab.unk_id if oov == "unk" else None
    for line in lines:
        tokens = pattern.findall(normalize(line, settings))
        ids = vocab.lookup(tokens, oov)
        if unknown is not None:
            unknown[0] += len(tokens) - len(ids) if oov == "skip" else (ids.count(unk) if unk is not None else 0)
        yield ids


@dataclass
class Spool:
    """Encoded phrases kept on disk: flat int32 ids and int64 lengths, in two
    :class:`~embedcli.idstore.IdStore` (unnamed temporary files)."""

    id_store: IdStore
    length_store: IdStore
    n_rows: int
    n_ids: int
    longest: int
    n_unknown: int

    def lengths(self) -> np.ndarray:
        return self.length_store.view()

    def ids(self) -> np.ndarray:
        return self.id_store.view()

    def truncated(self, maxlen: int) -> int:
        """How many phrases are longer than ``maxlen`` (cut when padded to it)."""
        if maxlen >= self.longest:
            return 0
        return self._count(lambda lengths: lengths > maxlen)

    def padded(self, maxlen: int) -> int:
        """How many phrases are shorter than ``maxlen`` (padded to it)."""
        return self._count(lambda lengths: lengths < maxlen)

    def _count(self, condition: Callable[[np.ndarray], np.ndarray]) -> int:
        lengths = self.lengths()
        return sum(int(np.count_nonzero(condition(np.asarray(lengths[i : i + BLOCK_ROWS]))))
                   for i in range(0, self.n_rows, BLOCK_ROWS))

    def padded_blocks(
        self, maxlen: int, padding: str, truncating: str, value: int, block_rows: int = 65536
    ) -> Iterator[np.ndarray]:
        lengths = self.lengths()
        ids = self.ids()
        offset = 0
        for start in range(0, self.n_rows, block_rows):
            block_len = np.asarray(lengths[start : start + block_rows])
            size = int(block_len.sum())
            yield pad_flat(ids[offset : offset + size], block_len, maxlen, padding, truncating, value)
            offset += size

    def close(self) -> None:
        self.id_store.close()
        self.length_store.close()

    def __enter__(self) -> "Spool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _spool_blocks(blocks: Iterable[tuple[np.ndarray, np.ndarray]], unknown: list[int],
                  tmp_dir: str | None) -> Spool:
    """Write blocks of (flat int32 ids, int64 lengths) into a temporary on-disk spool
    (``unknown``: the count of unknown tokens the blocks' encoder keeps, read at the end)."""
    n_rows = n_ids = longest = 0
    id_store = IdStore(np.int32, tmp_dir)
    length_store = None
    try:
        length_store = IdStore(np.int64, tmp_dir)
        for flat, lengths in blocks:
            id_store.append(flat)
            length_store.append(lengths)
            n_rows += len(lengths)
            n_ids += len(flat)
            if len(lengths):
                longest = max(longest, int(lengths.max()))
    except BaseException:
        id_store.close()
        if length_store is not None:
            length_store.close()
        raise
    return Spool(id_store, length_store, n_rows, n_ids, longest, unknown[0])


def spool_lines(
    lines: Iterable[str],
    vocab: Vocab,
    oov: str = "unk",
    *,
    batch_lines: int = 8192,
    tmp_dir: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> Spool:
    """Encode phrases into a temporary on-disk spool (bounded memory)."""

    unknown = [0]

    def blocks() -> Iterator[tuple[np.ndarray, np.ndarray]]:
        encoded = encode_tokens_lines(lines, vocab, oov, unknown)
        while True:
            batch = list(islice(encoded, batch_lines))
            if not batch:
                return
            lens = np.fromiter((len(s) for s in batch), dtype=np.int64, count=len(batch))
            yield np.fromiter((i for s in batch for i in s), dtype=np.int32, count=int(lens.sum())), lens
            if progress is not None:
                progress(len(batch))

    return _spool_blocks(blocks(), unknown, tmp_dir)


# -- fast path for files ---------------------------------------------------------------------
class PieceEncoder:
    """Ids of the lines of raw text, each distinct whitespace-separated piece tokenised once.

    The byte-level path (:class:`embedcli.tokenizer.PieceIds` over
    :class:`~embedcli.tokenizer.PieceTokenizer`): ASCII punctuation becomes spaces, line ends
    become a marker piece, ``bytes.split`` cuts the chunk and every distinct piece is normalised,
    tokenised and looked up once (``Vocab.lookup`` with ``oov``); the ids of the whole chunk are
    then gathered with NumPy. ``unknown`` counts the tokens not in the vocabulary so far (written
    as ``<unk>``, or left out with ``oov="skip"``).
    """

    def __init__(self, vocab: Vocab, oov: str = "unk", encoding_errors: str = "strict"):
        vocab.lookup([], oov)  # the usual error for an unknown --oov or a missing <unk>
        self.vocab, self.oov, self.encoding_errors = vocab, oov, encoding_errors
        self.settings = vocab.settings
        self.tokenizer = PieceTokenizer(self.settings, encoding_errors)
        self.unknown = 0
        # with skip, an unknown word is the id one past the vocabulary through the gather (a
        # regular id there, so it is counted), and is removed with the line ends
        self.marker = len(vocab) if oov == "skip" else (vocab.unk_id if oov == "unk" else None)
        if oov == "skip":
            ids_of = lambda tokens: vocab.ids_or(tokens, self.marker)  # noqa: E731
        else:
            ids_of = lambda tokens: vocab.lookup(tokens, oov)  # noqa: E731
        self.ids = PieceIds(self.tokenizer, ids_of, line=-1)

    def encode_chunk(self, raw: bytes) -> tuple[np.ndarray, np.ndarray]:
        """Flat int32 ids and int64 lengths of the lines of ``raw`` (whole lines; a last line
        without newline counts as a line). With ``oov="error"`` the first unknown word in reading
        order is the one reported."""
        arr = self.ids.chunk(raw, end_open_line=True)
        if self.marker is not None:
            self.unknown += int(np.count_nonzero(arr == self.marker))
        if self.oov == "skip":
            arr = arr[arr != self.marker]
        ends = np.flatnonzero(arr == -1)
        lengths = np.diff(np.concatenate([[-1], ends])) - 1
        return arr[arr != -1], lengths


def iter_encoded_file(
    path: str | os.PathLike | Sequence[str | os.PathLike],
    vocab: Vocab,
    oov: str = "unk",
    *,
    encoding_errors: str = "strict",
    progress: Callable[[int], None] | None = None,
    unknown: list[int] | None = None,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """``(flat ids, lengths)`` blocks for the lines of an input ('-' for stdin; compressed, a
    directory or a list of inputs: their files one after the other), streaming.

    The same ids as :func:`encode_tokens_lines` over :func:`embedcli.io.iter_lines` (one row
    per line, a final line without newline included, ``\\r\\n`` endings), many times faster.
    ``progress`` receives the number of lines of each block; ``unknown`` (a one-item list), the
    unknown tokens, as :func:`encode_tokens_lines` counts them.
    """
    from .shards import CheckedChunks

    encoder = PieceEncoder(vocab, oov, encoding_errors)
    for one in expand_inputs(_as_list(path)):
        chunks = CheckedChunks(one, split_long_lines=False)
        for raw in chunks:  # every chunk ends with a newline, but perhaps the last one
            block = _encode_checked(encoder, chunks, raw, progress)
            if unknown is not None:
                unknown[0] = encoder.unknown
            yield block


def _as_list(path) -> list:
    return [path] if isinstance(path, (str, os.PathLike)) else list(path)


def _names(path) -> str:
    from .io import display_name

    return ", ".join(display_name(p) for p in _as_list(path))


def _encode_checked(encoder, chunks, raw: bytes, progress):
    try:
        flat, lengths = encoder.encode_chunk(raw)
    except UnicodeDecodeError:
        chunks.fail_decode(raw)
    if progress is not None:
        progress(len(lengths))
    return flat, lengths


def spool_file(
    path: str | os.PathLike,
    vocab: Vocab,
    oov: str = "unk",
    *,
    encoding_errors: str = "strict",
    tmp_dir: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> Spool:
    """:func:`spool_lines` for the lines of a file, through the fast :class:`PieceEncoder`."""
    unknown = [0]
    blocks = iter_encoded_file(path, vocab, oov, encoding_errors=encoding_errors, progress=progress, unknown=unknown)
    return _spool_blocks(blocks, unknown, tmp_dir)


def count_lines(path: str | os.PathLike | Sequence[str | os.PathLike]) -> int:
    """Number of lines :func:`embedcli.io.iter_lines` gives for an input (a last line without
    newline counts; a BOM alone is no line); compressed data is decompressed to count."""
    n = 0
    for one in expand_inputs(_as_list(path)):
        last = b""
        size = 0
        f = open_binary(one)
        try:
            head = f.read(3)
            size = len(head) - (3 if head == b"\xef\xbb\xbf" else 0)
            n += head.count(b"\n")
            last = head[-1:]
            for block in iter(lambda: f.read(1 << 22), b""):
                n += block.count(b"\n")
                size += len(block)
                last = block[-1:]
        finally:
            f.close()
        if size > 0 and last != b"\n":
            n += 1
    return n


def encode_file_to_npy(
    path: str | os.PathLike | Sequence[str | os.PathLike],
    output: str | os.PathLike,
    vocab: Vocab,
    maxlen: int,
    padding: str = "pre",
    truncating: str = "pre",
    value: int = 0,
    oov: str = "unk",
    *,
    encoding_errors: str = "strict",
    progress: Callable[[int], None] | None = None,
) -> dict:
    """Encode the lines of an input (a file, compressed or not, a directory or a list of them)
    straight into an int32 ``.npy`` of shape (lines, maxlen).

    The rows are counted first (one fast pass over the bytes), then every block of encoded
    lines is padded into its rows of a memory map (``numpy.lib.format.open_memmap``) of a
    temporary file renamed over ``output`` when complete. Memory stays bounded by one chunk.
    """
    from numpy.lib.format import open_memmap

    from .io import atomic_path

    check_pad_args(maxlen, padding, truncating)
    n_rows = count_lines(path)
    unknown = [0]
    row = 0
    truncated = padded = longest = 0
    with atomic_path(output) as tmp:
        arr = open_memmap(tmp, mode="w+", dtype=np.int32, shape=(n_rows, maxlen))
        data_offset = arr.offset
        del arr
        for flat, lengths in iter_encoded_file(path, vocab, oov, encoding_errors=encoding_errors,
                                               progress=progress, unknown=unknown):
            n = len(lengths)
            if row + n > n_rows:
                raise EmbedcliError(f"{_names(path)}: the file grew while it was read; run again")
            if n and maxlen:
                # map only this block's rows: written pages leave the process with the window,
                # so resident memory does not grow with the output
                window = np.memmap(tmp, dtype=np.int32, mode="r+", offset=data_offset + row * maxlen * 4,
                                   shape=(n, maxlen))
                pad_flat(flat, lengths, maxlen, padding, truncating, value, out=window)
                window.flush()
                del window
            if n:
                longest = max(longest, int(lengths.max()))
                truncated += int(np.count_nonzero(lengths > maxlen))
                padded += int(np.count_nonzero(lengths < maxlen))
            row += n
        if row != n_rows:
            raise EmbedcliError(f"{_names(path)}: the file changed while it was read; run again")
    return {"rows": n_rows, "maxlen": maxlen, "unknown_tokens": unknown[0], "truncated": truncated,
            "padded": padded, "longest": longest}


#: what :func:`encode_to` writes: ``npy`` (int32), ``csv``, ``jsonl`` (a list of ids per line),
#: ``json``/``print`` (one list of lists, like Keras' output)
OUTPUT_FORMATS = ("npy", "csv", "jsonl", "json", "print")


def encode_to(
    vocab: Vocab,
    output: str | os.PathLike | None,
    texts,
    *,
    format: str = "npy",
    maxlen: int | None = None,
    padding: str = "pre",
    truncating: str = "pre",
    pad_value: int | None = None,
    oov: str | None = None,
    encoding_errors: str = "strict",
    input_format: str = "auto",
    text_column: str | None = None,
    tmp_dir: str | None = None,
    progress: Callable[[int], None] | None = None,
    dask: str | None = None,
    parts: bool = False,
) -> dict:
    """Encode ``texts`` (phrases, or :class:`embedcli.sources.Files` / a path: their lines,
    streamed) into padded rows written to ``output`` in ``format`` (see :data:`OUTPUT_FORMATS`;
    ``"-"`` = stdout for the text formats). ``output=None`` keeps the rows: the summary gets
    ``"sequences"`` (a list of lists). Returns ``{"rows", "maxlen", "unknown_tokens",
    "truncated", "padded", "longest"}`` (the rows cut and the rows padded; the width is the
    longest phrase without ``maxlen``). A file with ``maxlen`` goes straight into a memory-mapped ``.npy``; other inputs are spooled to an
    unnamed temporary file first (``tmp_dir``), so memory does not grow with the input. A .csv,
    .tsv or .jsonl path (any file with ``input_format``) is read as its ``text_column``.

    ``dask``: encode files or URLs on a Dask cluster (a scheduler address or ``local:N``) into
    the same ``.npy``, or with ``parts`` into a directory (or URL) of ``.npy`` parts plus
    ``index.json`` (:func:`embedcli.cluster.parts.load_parts`); the summary then has ``parts``."""
    from .io import STDIO, atomic_write
    from .sources import is_paths, resolve_tables

    check_pad_args(maxlen, padding, truncating)
    check_callback(progress)
    if format not in OUTPUT_FORMATS:
        raise ParameterError("unknown {format} {value!r} (use one of: {formats})", "format", value=format,
                             formats=", ".join(OUTPUT_FORMATS))
    if format == "npy" and output is not None and os.fspath(output) == STDIO:
        if not hasattr(sys.stdout, "buffer") or sys.stdout.isatty():  # a terminal, or a notebook's text stream
            raise ParameterError("{format} npy writes binary data: give {output} FILE.npy, or standard output "
                                 "into a pipe", "format", "output")
    oov = oov or vocab.default_oov()
    if pad_value is None:
        pad_value = vocab.default_pad_value()
    check_integer(pad_value, "pad_value")
    if not -2**31 <= pad_value < 2**31:
        raise ParameterError("{pad_value} must fit the int32 ids of the rows (got {value})", "pad_value",
                             value=pad_value)
    files = None
    if is_paths(texts):
        files = [os.fspath(texts)] if isinstance(texts, (str, os.PathLike)) else [os.fspath(t) for t in texts]
        files = resolve_tables(texts, files, input_format, text_column)
    if parts and dask is None:
        raise ParameterError("{parts} applies with {dask} (parts are written by the Dask workers)", "parts", "dask")
    if dask is not None:
        if not files or STDIO in files:
            raise ParameterError("{dask} encodes files or URLs (not phrases or stdin)", "dask")
        if output is None or format != "npy":
            raise ParameterError("{dask} writes {output} FILE.npy (or a directory of parts with {parts})", "dask",
                                 "output", "parts")
        from .cluster import connect
        from .cluster.encode import encode_on_cluster

        with connect(dask) as client:
            return encode_on_cluster(client, files if len(files) > 1 else files[0], os.fspath(output), vocab, maxlen,
                                     padding, truncating,
                                     pad_value, oov, encoding_errors=encoding_errors, parts=parts, progress=progress)
    if files and format == "npy" and maxlen is not None and STDIO not in files and os.fspath(output) != STDIO:
        path = files if len(files) > 1 else files[0]
        return encode_file_to_npy(path, output, vocab, maxlen, padding, truncating, pad_value, oov,
                                  encoding_errors=encoding_errors, progress=progress)
    if files:
        spool = spool_file(files if len(files) > 1 else files[0], vocab, oov, encoding_errors=encoding_errors,
                           progress=progress, tmp_dir=tmp_dir)
    else:
        spool = spool_lines([texts] if isinstance(texts, str) else texts, vocab, oov, progress=progress,
                            tmp_dir=tmp_dir)
    with spool:
        width = maxlen if maxlen is not None else spool.longest
        summary = {"rows": spool.n_rows, "maxlen": width, "unknown_tokens": spool.n_unknown,
                   "truncated": spool.truncated(width), "padded": spool.padded(width), "longest": spool.longest}
        blocks = spool.padded_blocks(width, padding, truncating, pad_value)
        if output is None:
            return {**summary, "sequences": [r for b in blocks for r in b.tolist()]}
        output = os.fspath(output)
        if format == "npy" and output == STDIO:  # a pipe: the header, then the rows as they come
            _stream_npy_rows(sys.stdout.buffer, spool.n_rows, width, blocks)
        elif format == "npy":
            _write_npy_rows(output, spool.n_rows, width, blocks)
        elif output != STDIO:
            with atomic_write(output) as f:
                write_text_rows(f, blocks, format)
        else:
            import io as _io

            out = _io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="\n", write_through=True) \
                if hasattr(sys.stdout, "buffer") else sys.stdout
            write_text_rows(out, blocks, format)
            out.flush()
            if out is not sys.stdout:
                out.detach()
    return summary


def write_text_rows(f, blocks, fmt: str) -> None:
    """Padded rows as text: ``csv``, ``jsonl``, or one JSON list of lists (``json``/``print``)."""
    import csv
    import json

    if fmt == "csv":
        writer = csv.writer(f, lineterminator="\n")
        for block in blocks:
            writer.writerows(block.tolist())
    elif fmt == "jsonl":
        for block in blocks:
            for row in block.tolist():
                f.write(json.dumps(row))
                f.write("\n")
    else:  # print / json: one list of lists, like Keras' output; print puts a row on each line, as
        # NumPy prints an array (still one JSON value), so that head, grep and a terminal can follow it
        f.write("[")
        sep = ",\n " if fmt == "print" else ", "
        first = True
        for block in blocks:
            for row in block.tolist():
                if not first:
                    f.write(sep)
                f.write(json.dumps(row))
                first = False
        f.write("]\n")


def _stream_npy_rows(f, n_rows: int, width: int, blocks) -> None:
    """The ``.npy`` bytes of the ``(n_rows, width)`` int32 rows, written to a stream block by block
    (the same bytes as :func:`_write_npy_rows` writes to a file)."""
    from numpy.lib import format as npy_format

    npy_format.write_array_header_1_0(f, {"descr": npy_format.dtype_to_descr(np.dtype(np.int32)),
                                          "fortran_order": False, "shape": (n_rows, width)})
    for block in blocks:
        f.write(np.ascontiguousarray(block, dtype=np.int32).tobytes())
    f.flush()


def _write_npy_rows(output: str, n_rows: int, width: int, blocks) -> None:
    """Write the rows through a memory map into a temporary file renamed into place."""
    from numpy.lib.format import open_memmap

    from .io import atomic_path

    with atomic_path(output) as tmp:
        arr = open_memmap(tmp, mode="w+", dtype=np.int32, shape=(n_rows, width))
        row = 0
        for block in blocks:
            arr[row : row + len(block)] = block
            row += len(block)
        arr.flush()
        del arr
