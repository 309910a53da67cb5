"""Counting the tokens of one shard of a corpus, fast.

:class:`ShardCounter` counts chunks of raw UTF-8 bytes through the byte-level path of
:class:`embedcli.tokenizer.PieceTokenizer`: each chunk is turned into pieces in C and counted
with ``collections.Counter``; only the *distinct* pieces go through Python, each once.
:func:`count_range` counts a byte range of a file (or a whole input) into a counter whose
:meth:`~ShardCounter.result` is a :class:`embedcli.partial.PartialCounts`.
"""

from __future__ import annotations

import os
from collections import Counter
from itertools import islice
from typing import Any, Callable

from .partial import PartialCounts
from .shards import CheckedChunks
from .text import TextSettings
from .tokenizer import PieceTokenizer

try:
    from _collections import _count_elements
except ImportError:  # pragma: no cover - other Pythons
    def _count_elements(mapping, iterable):
        get = mapping.get
        for elem in iterable:
            mapping[elem] = get(elem, 0) + 1


class ShardCounter:
    """Accumulates the counts of one shard, chunk by chunk (see the module docstring)."""

    def __init__(
        self,
        settings: TextSettings = TextSettings(),
        *,
        encoding_errors: str = "strict",
        positions: bool = False,
    ):
        self.settings = settings
        self.encoding_errors = encoding_errors
        self._counts: dict[str, int] = {}
        self.first: dict[str, int] | None = {} if positions else None
        self._total = 0
        self._pieces: dict[bytes, Any] = {}  # distinct piece → token (str) or list of tokens
        self._piece_counts: Counter = Counter()  # without positions: pieces counted over all chunks
        self._tokenizer = PieceTokenizer(settings, encoding_errors)
        self._tokens_of = self._tokenizer.token_or_tokens  # UnicodeDecodeError: reported by caller

    @property
    def counts(self) -> dict[str, int]:
        """Token → count, in order of first appearance."""
        self._settle()
        return self._counts

    @property
    def total(self) -> int:
        self._settle()
        return self._total

    def _settle(self) -> None:
        """Turn the piece counts gathered so far into token counts (pieces in order of first
        appearance, so the tokens are too)."""
        if not self._piece_counts:
            return
        cache = self._pieces
        counts = self._counts
        get = counts.get
        total = 0
        for piece, n in self._piece_counts.items():
            tok = cache[piece]
            if tok.__class__ is str:
                counts[tok] = get(tok, 0) + n
                total += n
            else:
                for t in tok:
                    counts[t] = get(t, 0) + n
                total += n * len(tok)
        self._total += total
        self._piece_counts = Counter()

    def add(self, raw: bytes) -> None:
        """Count one chunk of UTF-8 bytes (ending on a line boundary or at whitespace)."""
        raw = self._tokenizer.prepare(raw)
        if self.first is None:
            # all in C: count the pieces of every chunk in one Counter; only the pieces new in
            # this chunk (the last keys of the Counter) are tokenised here, which also checks
            # their UTF-8 while the chunk is known; tokens are summed once at the end
            piece_counts = self._piece_counts
            before = len(piece_counts)
            _count_elements(piece_counts, raw.split())
            new = len(piece_counts) - before
            if new:
                cache = self._pieces
                tokens_of = self._tokens_of
                for piece in islice(reversed(piece_counts), new):
                    if piece not in cache:
                        cache[piece] = tokens_of(piece)
            return
        pieces = raw.split()
        chunk = Counter(pieces)
        cache = self._pieces
        tokens_of = self._tokens_of
        counts = self._counts
        get = counts.get
        base = self._total
        total = 0
        irregular = False
        for piece, n in chunk.items():
            tok = cache.get(piece)
            if tok is None:
                tok = cache[piece] = tokens_of(piece)
            if tok.__class__ is str:
                counts[tok] = get(tok, 0) + n
                total += n
            else:
                irregular = True
                for t in tok:
                    counts[t] = get(t, 0) + n
                total += n * len(tok)
        self._total = base + total
        self._positions(pieces, chunk, base, irregular)

    def _positions(self, pieces: list, chunk: Counter, base: int, irregular: bool) -> None:
        first = self.first
        cache = self._pieces
        need = []
        for piece in chunk:
            tok = cache[piece]
            if tok.__class__ is str:
                if tok not in first:
                    need.append(piece)
            elif any(t not in first for t in tok):
                need.append(piece)
        if not need:
            return
        index = dict(zip(reversed(pieces), range(len(pieces) - 1, -1, -1)))  # first index of each piece
        if irregular:  # pieces giving 0 or several tokens shift the positions after them
            import numpy as np

            sizes = {p: (1 if cache[p].__class__ is str else len(cache[p])) for p in chunk}
            ntok = np.fromiter(map(sizes.__getitem__, pieces), dtype=np.int64, count=len(pieces))
            starts = (np.cumsum(ntok) - ntok).tolist()
        else:
            starts = None
        for piece in need:  # first-appearance order of the pieces
            i = index[piece]
            at = base + (starts[i] if starts is not None else i)
            tok = cache[piece]
            if tok.__class__ is str:
                if tok not in first:
                    first[tok] = at
            else:
                for j, t in enumerate(tok):
                    if t not in first:
                        first[t] = at + j

    def result(self, source: dict | None = None) -> PartialCounts:
        counts = self.counts
        tokens = list(counts)
        first = None if self.first is None else [self.first[t] for t in tokens]
        return PartialCounts(tokens, list(counts.values()), self.total, self.settings, first, dict(source or {}))


def count_range(
    path: str | os.PathLike,
    settings: TextSettings = TextSettings(),
    start: int = 0,
    end: int | None = None,
    *,
    encoding_errors: str = "strict",
    positions: bool = False,
    progress: Callable[[int], None] | None = None,
    counter: ShardCounter | None = None,
) -> ShardCounter:
    """Count the tokens of bytes ``[start, end)`` of ``path`` (a whole file by default).

    ``start`` and ``end`` must be line boundaries (see :func:`shard_ranges`). Passing a
    ``counter`` continues it (several files counted as one stream).
    """
    counter = counter or ShardCounter(settings, encoding_errors=encoding_errors, positions=positions)
    chunks = CheckedChunks(path, start, end, progress=progress)
    for raw in chunks:
        try:
            counter.add(raw)
        except UnicodeDecodeError:
            chunks.fail_decode(raw)
    return counter
