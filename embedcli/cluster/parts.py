"""A padded encoding stored as a directory of parts plus an index (``encode --dask --parts``).

::

    OUT/index.json        {"format": "embedcli-encoded-parts", "version": 1, "dtype": "int32",
                           "rows": N, "maxlen": M, "parts": [{"file": "part-00000.npy", "rows": n0}, ...],
                           "padding": ..., "truncating": ..., "pad_value": ..., "oov": ..., "source": ...}
    OUT/part-00000.npy    int32 (n0, M): the first rows, in input order
    ...

The parts in index order, stacked, are exactly the ``.npy`` that ``embedcli encode`` writes on
one machine. A local directory is written beside its final name and renamed into place when
complete (an existing one is replaced only then); a URL directory gets ``index.json`` last, so
a directory without it is incomplete. :func:`load_parts` reads one back (memory-mapped parts
for local paths). Nothing here imports dask.
"""

from __future__ import annotations

import contextlib
import io as _io
import json
import os
import posixpath
from typing import Iterator

import numpy as np

from .. import __version__
from ..errors import EmbedcliError, FormatError
from ..io import atomic_directory, atomic_write, check_format_header, read_json_document, url_filesystem
from . import sources

FORMAT = "embedcli-encoded-parts"
VERSION = 1
INDEX = "index.json"


def part_name(number: int) -> str:
    return f"part-{number:05d}.npy"


def join(directory: str, name: str) -> str:
    return posixpath.join(directory, name) if sources.is_url(directory) else os.path.join(directory, name)


def write_array(target: str, array: np.ndarray) -> None:
    """Save ``array`` as .npy at a local path (atomically) or a URL (through fsspec)."""
    if sources.is_url(target):
        fs, path = url_filesystem(target)
        buf = _io.BytesIO()
        np.save(buf, array, allow_pickle=False)
        with fs.open(path, "wb") as f:
            f.write(buf.getbuffer())
        return
    with atomic_write(target, "wb") as f:
        np.save(f, array, allow_pickle=False)


@contextlib.contextmanager
def output_directory(output: str) -> Iterator[str]:
    """The directory the workers write into: a temporary sibling swapped in on success (local
    path), or the URL itself (its ``index.json`` removed first, written again last)."""
    if sources.is_url(output):
        fs, path = url_filesystem(output)
        fs.makedirs(path, exist_ok=True)
        index = posixpath.join(path, INDEX)
        if fs.exists(index):
            fs.rm(index)
        yield output
        return
    with atomic_directory(output) as tmp:
        yield tmp


def write_index(directory: str, written: list[tuple[str, int]], maxlen: int, about: dict) -> dict:
    index = {
        "format": FORMAT,
        "version": VERSION,
        "embedcli_version": __version__,
        "dtype": "int32",
        "rows": sum(n for _, n in written),
        "maxlen": maxlen,
        "parts": [{"file": name, "rows": n} for name, n in written],
        **about,
    }
    text = json.dumps(index, ensure_ascii=False, indent=1) + "\n"
    target = join(directory, INDEX)
    if sources.is_url(target):
        fs, path = url_filesystem(target)
        with fs.open(path, "w") as f:
            f.write(text)
    else:
        with atomic_write(target) as f:
            f.write(text)
    return index


def read_index(directory: str) -> dict:
    target = join(directory, INDEX)
    name = target
    if sources.is_url(target):
        fs, path = url_filesystem(target)
        try:
            with fs.open(path, "r") as f:
                data = json.loads(f.read())
        except FileNotFoundError:
            raise EmbedcliError(f"{directory}: no {INDEX} (not encoded parts, or not complete)") from None
    else:
        if not os.path.exists(target):
            raise EmbedcliError(f"{directory}: no {INDEX} (not encoded parts, or not complete)")
        data = read_json_document(target, "encoded parts index")
    check_format_header(data, name, fmt=FORMAT, supported=VERSION, what="encoded parts index",
                        missing=f"not an embedcli encoded parts index (no \"format\": \"{FORMAT}\")")
    parts = data.get("parts")
    if not isinstance(parts, list) or not all(isinstance(p, dict) and isinstance(p.get("file"), str)
                                              and isinstance(p.get("rows"), int) for p in parts):
        raise FormatError(f"{name}: \"parts\" must be a list of {{\"file\", \"rows\"}} objects")
    if not isinstance(data.get("maxlen"), int) or sum(p["rows"] for p in parts) != data.get("rows"):
        raise FormatError(f"{name}: \"rows\" must be the sum of the parts' rows and \"maxlen\" an integer")
    return data


def load_parts(directory: str, mmap: bool = True) -> np.ndarray:
    """The whole padded encoding (rows, maxlen) int32, checked against the index."""
    index = read_index(directory)
    arrays = []
    for part in index["parts"]:
        target = join(directory, part["file"])
        if sources.is_url(target):
            fs, path = url_filesystem(target)
            with fs.open(path, "rb") as f:
                arr = np.load(_io.BytesIO(f.read()), allow_pickle=False)
        else:
            try:
                arr = np.load(target, mmap_mode="r" if mmap else None, allow_pickle=False)
            except FileNotFoundError:
                raise EmbedcliError(f"{target}: missing part of {directory}") from None
        if arr.dtype != np.int32 or arr.shape != (part["rows"], index["maxlen"]):
            raise FormatError(f"{target}: shape {arr.shape} {arr.dtype}, the index says "
                              f"({part['rows']}, {index['maxlen']}) int32")
        arrays.append(arr)
    if not arrays:
        return np.zeros((0, index["maxlen"]), dtype=np.int32)
    return np.concatenate(arrays)
