"""The on-disk id store: a flat array of integers (``int32`` ids by default) in a temporary file
that has no name.

Training encodes its corpus once into ids, ``encode`` spools phrases before padding them and the
classifier keeps its examples on disk: all of them append blocks of ids to an :class:`IdStore`
and read them back in blocks (bounded memory) or through a memory map.

The file is created with :func:`tempfile.TemporaryFile`: on Linux it is opened with
``O_TMPFILE`` (or unlinked right after it is opened elsewhere), so it never has a name in the
temporary directory and the kernel frees its space when the last descriptor closes, even when
the process is killed (SIGKILL, the OOM killer) and no cleanup code runs. The directory is
``tmp_dir`` when given (``--tmp-dir``), else ``TMPDIR``, else the system's (``/tmp``).
"""

from __future__ import annotations

import os
import tempfile
from typing import Iterator

import numpy as np

from .errors import EmbedcliError

BLOCK = 1 << 20  # values per block read by default


def _open_anonymous(tmp_dir: str | os.PathLike | None):
    try:
        return tempfile.TemporaryFile(prefix="embedcli-", dir=tmp_dir)
    except OSError as exc:
        raise temp_dir_error(tmp_dir, exc) from None


def temp_dir_error(tmp_dir: str | os.PathLike | None, exc: OSError) -> EmbedcliError:
    """The one-line error for a temporary file or directory that could not be made in ``tmp_dir``
    (``None``: the system's temporary directory)."""
    where = f"temporary directory {os.fspath(tmp_dir) if tmp_dir else tempfile.gettempdir()}"
    if isinstance(exc, FileNotFoundError):
        return EmbedcliError(f"{where}: no such directory")
    if isinstance(exc, PermissionError):
        return EmbedcliError(f"{where}: not writable")
    return EmbedcliError(f"{where}: cannot create a file ({exc.strerror or exc})")


class IdStore:
    """An append-only flat array of ``dtype`` in an anonymous temporary file.

    ``append`` writes blocks (buffered); ``blocks``/``read`` read them back with positional
    reads (several readers may iterate at once); ``view`` maps the whole array (read-only).
    ``close`` (or leaving a ``with`` block) frees the disk space at once.
    """

    def __init__(self, dtype=np.int32, tmp_dir: str | os.PathLike | None = None):
        self.dtype = np.dtype(dtype)
        self.file = _open_anonymous(tmp_dir)
        self.directory = os.fspath(tmp_dir) if tmp_dir is not None else tempfile.gettempdir()
        self.count = 0

    def append(self, values) -> None:
        arr = np.ascontiguousarray(values, dtype=self.dtype)
        if arr.size:
            try:
                self.file.write(arr.data.cast("B"))
            except OSError as exc:
                raise self._write_error(exc) from None
            self.count += arr.size

    def flush(self) -> None:
        try:
            self.file.flush()
        except OSError as exc:
            raise self._write_error(exc) from None

    def _write_error(self, exc: OSError) -> EmbedcliError:
        """A write that failed (a full disk): one line naming the temporary directory."""
        return EmbedcliError("temporary directory {path}: cannot write the ids ({why}); free space there or "
                             "choose another with {tmp_dir}", "tmp_dir", path=self.directory,
                             why=exc.strerror or exc)

    def _flushed(self) -> int:
        self.flush()
        return self.file.fileno()

    def read(self, start: int, count: int) -> np.ndarray:
        """Values ``[start, start + count)`` (fewer at the end) as a new writable array."""
        fd = self._flushed()
        count = max(0, min(count, self.count - start))
        out = np.empty(count, dtype=self.dtype)
        if count:
            want = count * self.dtype.itemsize
            got = os.preadv(fd, [out], start * self.dtype.itemsize)
            if got != want:  # pragma: no cover - a regular file gives all it has
                raise EmbedcliError(f"temporary id store: short read ({got} of {want} bytes)")
        return out

    def blocks(self, size: int = BLOCK) -> Iterator[np.ndarray]:
        """The values in blocks of ``size``, read with plain file reads (bounded memory)."""
        for start in range(0, self.count, size):
            yield self.read(start, size)

    def array(self) -> np.ndarray:
        """The whole array in memory."""
        return self.read(0, self.count)

    def view(self) -> np.ndarray:
        """A read-only memory map of the whole array."""
        if self.count == 0:
            return np.zeros(0, dtype=self.dtype)
        self._flushed()
        return np.memmap(self.file, dtype=self.dtype, mode="r", shape=(self.count,))

    def close(self) -> None:
        self.file.close()

    @property
    def closed(self) -> bool:
        return self.file.closed

    def __len__(self) -> int:
        return self.count

    def __enter__(self) -> "IdStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def scratch_array(shape, dtype, tmp_dir: str | os.PathLike | None = None) -> np.ndarray:
    """A writable zero-filled memory-mapped array of ``shape`` in an anonymous temporary file
    (the file is freed when the array and its last view are gone)."""
    f = _open_anonymous(tmp_dir)
    try:
        if int(np.prod(shape)) == 0:
            return np.zeros(shape, dtype=dtype)
        return np.memmap(f, dtype=dtype, mode="w+", shape=shape)
    finally:
        f.close()  # the map keeps its own reference to the open file description
