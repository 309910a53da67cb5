"""Inputs of cluster jobs: local paths and fsspec URLs, cut into byte ranges at newlines.

A job is ``(source, start, end)``. A local path is made absolute on the client (a worker's
working directory is not ours) and read directly by the worker; it must be visible there (a
shared file system, or a ``local`` cluster). A URL (``scheme://...``, ``file://`` included) is
read through fsspec: the worker copies its byte range to a local temporary file in 1 MiB
blocks (memory stays bounded) and counts or encodes that file with the very same code as one
machine; errors name the URL and the line in the whole file.

The inputs are read as on one machine (:mod:`embedcli.io`): directories stand for their files,
compressed files (gzip, bzip2, xz, recognised by their first bytes) are decompressed, and tables
(:class:`embedcli.io.Source`: csv, tsv, jsonl) are read as their text column. A compressed file
or a table cannot be cut at byte offsets: it is one job ``(source, 0, None)``, the whole file.

Nothing here imports dask; fsspec is imported only for URLs.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from typing import Iterator

from .. import io as eio
from ..errors import EmbedcliError, UsageError
from ..io import STDIO, is_url, open_binary, open_url, url_filesystem
from ..shards import newlines_before, shard_ranges

COPY_BLOCK = 1 << 20
MIN_RANGE_BYTES = 1 << 20  # ranges are never cut smaller than this
MAX_RANGE_BYTES = 64 << 20  # nor larger than this (more tasks than workers balance the load)


def resolve(source: str) -> str:
    """The form of ``source`` a worker can open: an absolute path, or the URL unchanged."""
    s = os.fspath(source)
    if s == STDIO:
        raise UsageError("standard input ('-') cannot be read by Dask workers; give a file or URL")
    if is_url(s):
        return source
    open_binary(s).close()  # the usual one-line errors: missing file, directory, permission
    return eio._like(source, os.path.abspath(s))  # a table keeps its reading options


def size_of(source: str) -> int:
    if not is_url(source):
        return os.path.getsize(source)
    fs, path = url_filesystem(source)
    try:
        info = fs.info(path)
    except FileNotFoundError:
        raise EmbedcliError(f"{source}: no such file") from None
    except OSError as exc:
        raise EmbedcliError(f"{source}: cannot read ({exc})") from None
    if info.get("type") == "directory":
        raise EmbedcliError(f"{source}: is a directory, expected a text file")
    return int(info["size"])


def open_source(source: str):
    if not is_url(source):
        return open_binary(source)
    return open_url(source)


def line_ranges(source: str, size: int, n: int) -> list[tuple[int, int]]:
    """Cut ``[0, size)`` into at most ``n`` ranges of about equal size, each ending after a newline."""
    return shard_ranges(source, n, 1, size=size, opener=open_source)


def expand(sources, directories: bool = True) -> list[str]:
    """Sources with URL wildcards (``s3://bucket/books/*.txt``) expanded and sorted, and local
    directories replaced by their files (:func:`embedcli.io.expand_inputs`; kept as they are
    without ``directories``), in place."""
    out = []
    for source in sources:
        s = os.fspath(source)
        if is_url(s) and any(c in s for c in "*?["):
            fs, path = url_filesystem(s)
            protocol = s.split("://", 1)[0]
            found = sorted(fs.glob(path))
            if not found:
                raise EmbedcliError(f"{s}: no file matches")
            out.extend(eio._like(source, p if "://" in p else f"{protocol}://{p}") for p in found)
        elif is_url(s):
            out.append(source if isinstance(source, str) else s)
        elif directories:
            out.extend(eio.expand_inputs([source if isinstance(source, str) else s]))
        else:
            out.append(source)
    return out


def splittable(source: str) -> bool:
    """Whether ``source`` may be cut into byte ranges: plain text, not compressed, not a table."""
    if isinstance(source, eio.Source) and source.format in eio.TABULAR:
        return False
    if not is_url(source):
        return eio.is_plain(source)
    with open_source(source) as f:
        return eio._compression(f.read(8)) is None


def plan(sources, parallelism: int) -> list[tuple[str, int, int | None]]:
    """Jobs ``(source, start, end)`` in corpus order: each file cut into ranges at newlines
    (``end`` None: a compressed file or a table, read whole).

    About ``4 * parallelism`` ranges overall (so that a slow or lost worker holds up a small
    part), none smaller than 1 MiB nor larger than 64 MiB. The ranges depend on the sizes and
    ``parallelism`` only; the results assembled from them do not depend on either.
    """
    resolved = [resolve(s) for s in expand(sources)]
    sizes = [size_of(s) for s in resolved]
    total = sum(sizes)
    target = min(MAX_RANGE_BYTES, max(MIN_RANGE_BYTES, -(-total // max(1, 4 * parallelism))))
    jobs: list = []
    for source, size in zip(resolved, sizes):
        if size and not splittable(source):
            jobs.append((source, 0, None))
            continue
        n = max(1, -(-size // target))
        for a, b in line_ranges(source, size, n) if size else [(0, 0)]:
            jobs.append((source, a, b))
    return jobs


def _lines_before(source: str, offset: int) -> int:
    with open_source(source) as f:
        return newlines_before(f, offset)


def job_bytes(job: tuple) -> int:
    """The bytes of a job's range (of the whole file for ``end`` None), for progress bars."""
    source, start, end = job
    return (end if end is not None else size_of(source)) - start


@contextlib.contextmanager
def local_range(source: str, start: int, end: int | None) -> Iterator[tuple[str, int, int | None]]:
    """On a worker: ``(path, start, end)`` to read with the single-machine code.

    A local path is used as it is. A URL's range (the whole file for ``end`` None) is copied to
    a temporary file first (then ``(tmp, 0, end - start)``, keeping a table's reading options);
    an :class:`EmbedcliError` raised inside names the URL instead of the temporary file, and its
    line number counts from the start of the whole file.
    """
    if not is_url(source):
        yield source, start, end
        return
    directory = tempfile.mkdtemp(prefix="embedcli-range-")
    tmp = eio._like(source, os.path.join(directory, "range"))
    try:
        with open_source(source) as src, open(tmp, "wb") as dst:
            if start:
                src.seek(start)
            left = end - start if end is not None else float("inf")
            while left > 0:
                block = src.read(min(COPY_BLOCK, left))
                if not block:
                    break
                dst.write(block)
                left -= len(block)
        try:
            yield tmp, 0, (end - start if end is not None else None)
        except EmbedcliError as exc:
            raise type(exc)(_rename(exc.message, tmp, source, start)) from None
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _rename(message: str, tmp: str, source: str, start: int) -> str:
    match = re.match(re.escape(tmp) + r": line (\d+)(.*)", message, re.S)
    if match:
        line = int(match.group(1)) + (_lines_before(source, start) if start else 0)
        return f"{source}: line {line}{match.group(2)}"
    return message.replace(tmp, source)
