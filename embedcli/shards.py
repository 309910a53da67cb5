"""Reading corpus files as raw chunks, and cutting them into shards at line boundaries.

:class:`CheckedChunks` iterates over the raw bytes of a byte range of an input with the checks
of :func:`embedcli.io.iter_chunks` (BOM, NUL bytes, invalid UTF-8 reported with the line);
:func:`shard_ranges` cuts one file into about equal byte ranges that end after a newline;
:func:`plan_jobs` spreads a number of workers over several files.
"""

from __future__ import annotations

import os
import sys
from typing import Callable, Iterator, Sequence

from . import io as eio
from .errors import EmbedcliError
from .io import display_name

MIN_SHARD_BYTES = 1 << 20  # do not cut a file into shards smaller than this


def newlines_before(f, offset: int) -> int:
    """How many ``\n`` the binary file ``f`` holds before byte ``offset`` (read from where it is)."""
    n = 0
    left = offset
    while left > 0:
        block = f.read(min(left, 1 << 22))
        if not block:
            break
        n += block.count(b"\n")
        left -= len(block)
    return n


def _line_at(path: str, offset: int) -> int:
    """1-based line number of the byte at ``offset`` (only computed when reporting an error)."""
    with open(path, "rb") as f:
        return 1 + newlines_before(f, offset)


class CheckedChunks:
    """Iterate over the raw chunks of ``[start, end)`` of a file (or stdin) with the checks of
    :func:`embedcli.io.iter_chunks`: a BOM at the start dropped, NUL bytes (binary files)
    reported with the line; :meth:`fail_decode` reports invalid UTF-8 in the current chunk with
    its line number (counted lazily: only an error needs the lines before ``start``)."""

    def __init__(
        self,
        path: str | os.PathLike,
        start: int = 0,
        end: int | None = None,
        *,
        progress: Callable[[int], None] | None = None,
        split_long_lines: bool = True,
        chunk_bytes: int | None = None,
    ):
        self.path, self.start, self.end = path, start, end
        self.chunk_bytes = chunk_bytes  # None: io.CHUNK_BYTES
        self.name = display_name(path)
        self.progress = progress
        self.split_long_lines = split_long_lines
        self.lines = 0  # newlines before the current chunk, counted from ``start``
        self.offset = start  # file offset of the current chunk

    def line_at(self, at: int, raw: bytes) -> int:
        before = 0 if self.start == 0 else _line_at(os.fspath(self.path), self.start) - 1
        return before + self.lines + 1 + raw.count(b"\n", 0, at - self.offset)

    def fail_decode(self, raw: bytes) -> None:
        eio._decode(raw, self.name, self.line_at(self.offset, raw), "strict")  # raises, naming the line
        raise EmbedcliError(f"{self.name}: invalid UTF-8")  # pragma: no cover - _decode raised

    def __iter__(self) -> Iterator[bytes]:
        f = eio.open_binary(self.path)
        try:
            if self.start:
                f.seek(self.start)
            for raw, offset in eio.iter_raw_chunks(f, self.start, self.end, self.progress, self.split_long_lines,
                                                     self.chunk_bytes):
                self.offset = offset
                if offset == 0:  # the file's start (as in iter_chunks: a first chunk may be empty)
                    if raw.startswith(b"\xef\xbb\xbf"):
                        raw = raw[3:]
                        self.offset += 3
                    if b"\x00" in raw[:8192]:
                        raise EmbedcliError(
                            f"{self.name}: looks like a binary file (NUL byte near the start), expected UTF-8 text"
                        )
                if b"\x00" in raw:
                    line = self.line_at(self.offset + raw.index(b"\x00"), raw)
                    raise EmbedcliError(f"{self.name}: line {line}: NUL byte, this looks like a binary file")
                yield raw
                self.lines += raw.count(b"\n")
        finally:
            if f is not sys.stdin.buffer:
                f.close()


def shard_ranges(path: str | os.PathLike, n: int, min_bytes: int | None = None, *, size: int | None = None,
                 opener=None) -> list[tuple[int, int]]:
    """Cut a file into at most ``n`` byte ranges of about equal size, each ending after a newline
    (none smaller than ``min_bytes``, :data:`MIN_SHARD_BYTES` by default). ``size`` and ``opener``
    (a function returning a seekable binary file) serve other storage (fsspec URLs, embedcli.cluster)."""
    if min_bytes is None:
        min_bytes = MIN_SHARD_BYTES
    if size is None:
        size = os.path.getsize(path)
    n = max(1, min(n, size // max(min_bytes, 1)))
    bounds = [0]
    if n > 1:
        with (opener or (lambda p: open(p, "rb")))(path) as f:
            for k in range(1, n):
                target = size * k // n
                if target <= bounds[-1]:
                    continue
                f.seek(target - 1)
                pos = target - 1
                while True:  # the first line start at or after target
                    block = f.read(1 << 16)
                    if not block:
                        pos = size
                        break
                    nl = block.find(b"\n")
                    if nl != -1:
                        pos += nl + 1
                        break
                    pos += len(block)
                if pos >= size:
                    break
                if pos > bounds[-1]:
                    bounds.append(pos)
    bounds.append(size)
    return [(a, b) for a, b in zip(bounds, bounds[1:]) if b > a] or [(0, size)]


def plan_jobs(paths: Sequence[str | os.PathLike], workers: int) -> list[tuple[str, int, int | None]]:
    """Byte ranges to count: files cut into about ``workers`` equal shards overall, in corpus order.
    Streams (stdin, compressed files) cannot be cut: each is one job ``(path, 0, None)``."""
    sizes = []
    for p in paths:
        if eio.is_stream(p):  # stdin, a named pipe: read once, by the job itself
            sizes.append(None)
            continue
        eio.open_binary(p).close()  # the usual one-line errors for missing files, directories...
        sizes.append(os.path.getsize(p) if eio.is_plain(p) else None)
    known = sum(s for s in sizes if s)
    jobs: list[tuple[str, int, int | None]] = []
    for p, size in zip(paths, sizes):
        if size is None:
            jobs.append((os.fspath(p), 0, None))
            continue
        n = max(1, round(workers * size / known)) if known else 1
        ranges = shard_ranges(p, n) if n > 1 else [(0, size)]
        jobs.extend((os.fspath(p), a, b) for a, b in ranges)
    return jobs
