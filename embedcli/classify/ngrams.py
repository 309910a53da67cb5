"""Token hashes and word n-gram buckets, computed as fastText computes them.

The bucket of a word n-gram depends only on its words (32-bit FNV-1a of the UTF-8 bytes, then
fastText's ``addWordNgrams`` recurrence), never on Python's salted ``hash()`` nor on the
vocabulary order.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

NGRAM_MULTIPLIER = 116049371  # fastText's Dictionary::addWordNgrams
FNV_OFFSET = 2166136261
FNV_PRIME = 16777619


def fnv1a(tokens: Sequence[str]) -> np.ndarray:
    """32-bit FNV-1a hashes of the UTF-8 bytes of ``tokens`` (uint32), vectorised by length."""
    out = np.empty(len(tokens), dtype=np.uint32)
    if not len(tokens):
        return out
    data = [t.encode("utf-8") for t in tokens]
    lengths = np.fromiter(map(len, data), dtype=np.int64, count=len(data))
    prime = np.uint32(FNV_PRIME)
    for length in np.unique(lengths):
        sel = np.flatnonzero(lengths == length)
        h = np.full(len(sel), FNV_OFFSET, dtype=np.uint32)
        if length:
            mat = np.frombuffer(b"".join([data[i] for i in sel]), dtype=np.uint8).reshape(len(sel), int(length))
            for j in range(int(length)):
                h ^= mat[:, j]
                h *= prime  # wraps modulo 2**32
        out[sel] = h
    return out


def ngram_buckets(
    hashes: np.ndarray, lengths: np.ndarray, n: int, buckets: int
) -> tuple[np.ndarray, np.ndarray]:
    """Bucket of every word n-gram (sizes 2..n) of the lines, and the line each belongs to.

    ``hashes`` are the token hashes of all lines concatenated, ``lengths`` the number of tokens of
    each line. Returns ``(bucket ids int64, line index int64)``, sorted by line.
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    total = int(lengths.sum())
    if n < 2 or total == 0 or buckets <= 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    line_of = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
    starts = np.cumsum(lengths) - lengths
    remaining = lengths[line_of] - (np.arange(total, dtype=np.int64) - starts[line_of])  # incl. self
    h64 = np.asarray(hashes, dtype=np.uint32).astype(np.uint64)
    acc = h64.copy()
    mult = np.uint64(NGRAM_MULTIPLIER)
    out_b, out_line, out_pos = [], [], []
    for k in range(1, n):
        if total - k <= 0:
            break
        acc = acc[: total - k] * mult + h64[k:]  # wraps modulo 2**64 like fastText's uint64_t
        valid = remaining[: total - k] > k
        if not valid.any():
            break
        out_b.append((acc[valid] % np.uint64(buckets)).astype(np.int64))
        out_line.append(line_of[: total - k][valid])
        out_pos.append(np.flatnonzero(valid) * n + k)
    b = np.concatenate(out_b) if out_b else np.zeros(0, np.int64)
    lines = np.concatenate(out_line) if out_line else np.zeros(0, np.int64)
    if out_b:
        order = np.argsort(np.concatenate(out_pos), kind="stable")  # position order = line order
        b, lines = b[order], lines[order]
    return b, lines
