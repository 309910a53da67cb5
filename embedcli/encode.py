"""Phrases → padded integer sequences, with exactly Keras ``pad_sequences`` semantics.

``truncating="pre"`` drops tokens from the start of a too-long sequence, ``"post"`` from the end;
``padding="pre"`` puts the padding before the ids, ``"post"`` after. Keras' defaults are
``pre``/``pre`` and so are ours. ``maxlen=None`` means the longest sequence. An empty sequence
is a row of padding.

Large inputs are spooled once to a temporary flat ``int32`` file (plus the lengths), then padded
in blocks of rows straight into the output (``.npy`` through a memory map), so memory does not
grow with the input.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, Sequence

import numpy as np

from .errors import UsageError
from .text import token_pattern, normalize
from .vocab import Vocab

PADDINGS = ("pre", "post")


def check_pad_args(maxlen: int | None, padding: str, truncating: str) -> None:
    if maxlen is not None and maxlen < 1:
        raise UsageError(f"--maxlen must be a positive number (got {maxlen})")
    if padding not in PADDINGS:
        raise UsageError(f"--padding must be 'pre' or 'post' (got {padding!r})")
    if truncating not in PADDINGS:
        raise UsageError(f"--truncating must be 'pre' or 'post' (got {truncating!r})")


def pad_flat(
    flat: np.ndarray,
    lengths: np.ndarray,
    maxlen: int,
    padding: str = "pre",
    truncating: str = "pre",
    value: int = 0,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Pad/truncate sequences stored back to back in ``flat`` (``lengths[i]`` ids each)."""
    check_pad_args(maxlen, padding, truncating)
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
    lines: Iterable[str], vocab: Vocab, oov: str = "unk"
) -> Iterator[list[int]]:
    """Id lists for phrases (one per line), normalised and tokenised with the vocab's settings."""
    settings = vocab.settings
    pattern = token_pattern(settings)
    for line in lines:
        yield vocab.lookup(pattern.findall(normalize(line, settings)), oov)


def encode_phrases(phrases: Iterable[str], vocab: Vocab, oov: str = "unk") -> list[list[int]]:
    return list(encode_tokens_lines(phrases, vocab, oov))


@dataclass
class Spool:
    """Encoded phrases kept on disk: flat int32 ids and int64 lengths."""

    directory: str
    n_rows: int
    n_ids: int
    longest: int
    n_unknown: int

    @property
    def ids_path(self) -> str:
        return os.path.join(self.directory, "ids.bin")

    @property
    def lengths_path(self) -> str:
        return os.path.join(self.directory, "lengths.bin")

    def lengths(self) -> np.ndarray:
        if self.n_rows == 0:
            return np.zeros(0, dtype=np.int64)
        return np.memmap(self.lengths_path, dtype=np.int64, mode="r", shape=(self.n_rows,))

    def ids(self) -> np.ndarray:
        if self.n_ids == 0:
            return np.zeros(0, dtype=np.int32)
        return np.memmap(self.ids_path, dtype=np.int32, mode="r", shape=(self.n_ids,))

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
        shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> "Spool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


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
    directory = tempfile.mkdtemp(prefix="embedcli-encode-", dir=tmp_dir)
    unk = vocab.unk_id
    n_rows = n_ids = longest = n_unknown = 0
    try:
        with open(os.path.join(directory, "ids.bin"), "wb") as f_ids, open(
            os.path.join(directory, "lengths.bin"), "wb"
        ) as f_len:
            batch: list[list[int]] = []

            def flush() -> None:
                nonlocal n_rows, n_ids, longest, n_unknown
                if not batch:
                    return
                lens = np.fromiter((len(s) for s in batch), dtype=np.int64, count=len(batch))
                flat = np.fromiter((i for s in batch for i in s), dtype=np.int32, count=int(lens.sum()))
                flat.tofile(f_ids)
                lens.tofile(f_len)
                n_rows += len(batch)
                n_ids += len(flat)
                longest = max(longest, int(lens.max()))
                if unk is not None and oov == "unk":
                    n_unknown += int(np.count_nonzero(flat == unk))
                if progress is not None:
                    progress(len(batch))
                batch.clear()

            for ids in encode_tokens_lines(lines, vocab, oov):
                batch.append(ids)
                if len(batch) >= batch_lines:
                    flush()
            flush()
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    return Spool(directory, n_rows, n_ids, longest, n_unknown)
