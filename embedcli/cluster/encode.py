"""``embedcli encode --dask``: byte ranges encoded on the workers, assembled in order.

Each task encodes one range of the input (cut at newlines) with the single-machine
:class:`~embedcli.encode.PieceEncoder` and keeps ``(flat ids, lengths)`` in worker memory.
The client learns the row count of every range (and the longest row, for a default
``--maxlen``), then either

* writes one ``.npy``: the ranges are fetched one at a time, in order, and padded
  (:func:`~embedcli.encode.pad_flat`) into their rows of a memory-mapped temporary file renamed
  over the output when complete — the same bytes as ``embedcli encode`` on one machine; or
* with ``parts``: every worker pads its range and writes it as ``part-NNNNN.npy`` into the
  output directory (a path all workers see, or an fsspec URL), and the client writes
  ``index.json`` last (:mod:`embedcli.cluster.parts` reads it back). For arrays larger than one disk.
"""

from __future__ import annotations

import os
from typing import Callable, Sequence

import numpy as np

from ..encode import PieceEncoder, _encode_checked, check_pad_args, pad_flat
from ..errors import EmbedcliError, ParameterError
from ..io import atomic_path, display_name
from ..shards import CheckedChunks
from ..vocab import Vocab
from . import parts as parts_format
from . import sources, worker_count


def _encode_task(job: tuple, vocab: Vocab, oov: str, encoding_errors: str):
    """On a worker: (flat int32 ids, int64 lengths, unknown tokens) of the lines of one range, or
    the error."""
    source, start, end = job
    try:
        with sources.local_range(source, start, end) as (path, a, b):
            encoder = PieceEncoder(vocab, oov, encoding_errors)
            chunks = CheckedChunks(path, a, b, split_long_lines=False)
            flats, lens = [], []
            for raw in chunks:
                flat, lengths = _encode_checked(encoder, chunks, raw, None)
                flats.append(flat)
                lens.append(lengths)
    except EmbedcliError as exc:
        return exc
    flat = np.concatenate(flats) if flats else np.zeros(0, dtype=np.int32)
    lengths = np.concatenate(lens) if lens else np.zeros(0, dtype=np.int64)
    return flat.astype(np.int32, copy=False), lengths.astype(np.int64, copy=False), encoder.unknown


def _stats(result):
    """(rows, longest, unknown tokens, rows by length) of an encoded range, or the error it returned."""
    if isinstance(result, EmbedcliError):
        return result
    _, lengths, unknown = result
    return len(lengths), int(lengths.max()) if len(lengths) else 0, unknown, np.bincount(lengths)


def _write_part(result, directory: str, number: int, maxlen: int, padding: str, truncating: str,
                value: int) -> tuple[str, int]:
    flat, lengths, _ = result
    rows = pad_flat(flat, lengths, maxlen, padding, truncating, value)
    name = parts_format.part_name(number)
    parts_format.write_array(parts_format.join(directory, name), rows)
    return name, len(rows)


def encode_on_cluster(
    client,
    path: str | Sequence[str],
    output: str,
    vocab: Vocab,
    maxlen: int | None,
    padding: str = "pre",
    truncating: str = "pre",
    value: int = 0,
    oov: str = "unk",
    *,
    encoding_errors: str = "strict",
    parts: bool = False,
    progress: Callable[[int], None] | None = None,
) -> dict:
    """Encode the lines of ``path`` (a file or URL, or a list of them, one after the other; read
    as on one machine: directories, compressed files, tables) on the cluster into ``output``.

    ``output`` is an ``.npy`` file, or with ``parts`` a directory (path or URL) of part files
    plus ``index.json``. ``maxlen=None`` pads to the longest line. Returns a summary: the keys
    of :func:`embedcli.encode.encode_to` (rows, maxlen, unknown tokens, truncated, padded,
    longest), ``ranges``, and ``parts`` with ``parts``.
    """
    from distributed import as_completed

    if maxlen is not None:
        check_pad_args(maxlen, padding, truncating)
    vocab.lookup([], oov)  # the usual error for an unknown --oov or a missing <unk>, before any work
    paths = [path] if isinstance(path, (str, os.PathLike)) else list(path)
    jobs = sources.plan(paths, worker_count(client))
    vocab_f = client.scatter(vocab, broadcast=True, hash=False)
    encoded = client.map(_encode_task, jobs, vocab=vocab_f, oov=oov, encoding_errors=encoding_errors, pure=False)
    stats_f = client.map(_stats, encoded, pure=False)
    where = {f.key: i for i, f in enumerate(stats_f)}
    stats: list = [None] * len(jobs)
    try:
        for future in as_completed(stats_f):
            i = where[future.key]
            stats[i] = future.result()
            if progress is not None and not isinstance(stats[i], EmbedcliError):
                progress(stats[i][0])
        for s in stats:  # the first error in reading order wins
            if isinstance(s, EmbedcliError):
                raise s
        n_rows = sum(s[0] for s in stats)
        width = maxlen if maxlen is not None else max((s[1] for s in stats), default=0)  # 0: all lines empty
        unknown = sum(s[2] for s in stats)
        longest = max((s[1] for s in stats), default=0)
        by_length = np.zeros(longest + 1, dtype=np.int64)
        for s in stats:
            by_length[:len(s[3])] += s[3]
        summary = {"rows": n_rows, "maxlen": width, "unknown_tokens": unknown,
                   "truncated": int(by_length[width + 1:].sum()), "padded": int(by_length[:width].sum()),
                   "longest": longest, "ranges": len(jobs)}
        if parts:
            with parts_format.output_directory(output) as directory:
                written = client.gather(client.map(
                    _write_part, encoded, [directory] * len(jobs), list(range(len(jobs))), maxlen=width,
                    padding=padding, truncating=truncating, value=value, pure=False))
                parts_format.write_index(directory, written, width, {
                    "source": ", ".join(display_name(p) for p in paths), "padding": padding, "truncating": truncating,
                    "pad_value": value, "oov": oov, "unknown_tokens": unknown,
                })
            summary["parts"] = len(written)
            return summary
        _assemble_npy(output, encoded, [s[0] for s in stats], width, padding, truncating, value)
        return summary
    finally:
        client.cancel(encoded + stats_f)
        client.cancel([vocab_f])


def _assemble_npy(output: str, encoded, rows: list[int], width: int, padding: str, truncating: str,
                  value: int) -> None:
    """Fetch the ranges in order and pad them into their rows of ``output`` (written atomically)."""
    from numpy.lib.format import open_memmap

    if sources.is_url(output):
        raise ParameterError("{output} {url}: a single .npy is written by this machine; use a local path, or {parts} "
                             "for a directory URL the workers write", "output", "parts", url=output)
    n_rows = sum(rows)
    with atomic_path(output) as tmp:
        arr = open_memmap(tmp, mode="w+", dtype=np.int32, shape=(n_rows, width))
        offset = arr.offset
        del arr
        row = 0
        for future, n in zip(encoded, rows):
            flat, lengths, _ = future.result()
            if n and width:
                window = np.memmap(tmp, dtype=np.int32, mode="r+", offset=offset + row * width * 4, shape=(n, width))
                pad_flat(flat, lengths, width, padding, truncating, value, out=window)
                window.flush()
                del window
            row += n
