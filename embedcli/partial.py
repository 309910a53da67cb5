"""Mergeable token counts: count shards of a corpus anywhere, merge them into one vocabulary.

A :class:`PartialCounts` holds, for one shard (a file, or a byte range of a file that starts
and ends on a line boundary), every token's count, the tokens in order of first appearance
within the shard, optionally each token's first position (0-based token index within the
shard), and the shard's token total. :func:`merge_partials` adds the counts of shards given in
corpus order (or sorted by an explicit ``offset``); the result is exactly what counting the
whole corpus in one pass gives, first-appearance order included: a token's first appearance in
the corpus is in the first shard that has it, at its first position there.

``embedcli vocab --workers N`` uses the same mechanism on one machine: the file is cut into N
byte ranges at newlines, each range is counted in its own process (``spawn`` start method)
and the partial counts are merged in order.

Counting is fast because most of it happens in C: each chunk of bytes has its ASCII
punctuation turned into spaces (``bytes.translate``), is split at ASCII whitespace
(``bytes.split``) and counted with ``collections.Counter``; only the *distinct* pieces go
through Python, each once: a pure ASCII letter/digit piece is a token as it is (lower-cased),
anything else (non-ASCII, apostrophes, hyphens, ...) is decoded, normalised and tokenised with
:mod:`embedcli.text` exactly like the whole text would be. This is exact because a token never
contains whitespace, and NFKC, lower-casing (final sigma included) and the token pattern never
look across an ASCII space or line break.

The file format is JSON, versioned (:data:`FORMAT`, :data:`VERSION`)::

    {"format": "embedcli-partial-counts", "version": 1, "normalization": {...},
     "source": {"path": "...", "start": 0, "end": 1234}, "offset": null,
     "total": 5678, "tokens": [...], "counts": [...], "first": [...]}
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections import Counter
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Callable, Iterator, Sequence

from . import __version__
from . import io as eio
from .errors import EmbedcliError, FormatError, UsageError
from .io import STDIO, atomic_write, check_format_header, display_name, read_json_document
from .text import TextSettings, normalize, token_pattern

FORMAT = "embedcli-partial-counts"
VERSION = 1

MIN_SHARD_BYTES = 1 << 20  # do not cut a file into shards smaller than this
PARALLEL_MIN_BYTES = 8 << 20  # below this much input one process is faster than starting workers

try:
    from _collections import _count_elements
except ImportError:  # pragma: no cover - other Pythons
    def _count_elements(mapping, iterable):
        get = mapping.get
        for elem in iterable:
            mapping[elem] = get(elem, 0) + 1


def _translate_tables() -> tuple[bytes, bytes]:
    """ASCII punctuation → space (it is never part of a word and splits words like a space).

    ``<``, ``=`` and ``>`` are the only ASCII non-alphanumerics that NFKC composes with a
    following character (U+0338 COMBINING LONG SOLIDUS OVERLAY: ``<`` + U+0338 → ``≮``), so the
    second table leaves them alone for chunks that contain U+0338.
    """
    full = bytearray(range(256))
    for c in range(128):
        ch = chr(c)
        if not ch.isalnum() and ch not in "'-":
            full[c] = 0x20
    safe = bytearray(full)
    for ch in "<=>":
        safe[ord(ch)] = ord(ch)
    return bytes(full), bytes(safe)


_TABLE_FULL, _TABLE_SAFE = _translate_tables()
_U0338 = "\u0338".encode()


@dataclass
class PartialCounts:
    """Token counts of one shard of a corpus, mergeable with the other shards'."""

    tokens: list[str]  # order of first appearance within the shard
    counts: list[int]
    total: int  # tokens in the shard
    settings: TextSettings = TextSettings()
    first: list[int] | None = None  # first position (token index within the shard) of each token
    source: dict[str, Any] = field(default_factory=dict)  # path, start, end (bytes)
    offset: int | None = None  # explicit place of the shard in the corpus (sort key for merging)

    def counter(self) -> Counter:
        return Counter(dict(zip(self.tokens, self.counts)))

    # -- persistence -----------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {
            "format": FORMAT,
            "version": VERSION,
            "embedcli_version": __version__,
            "normalization": self.settings.to_dict(),
            "source": dict(self.source),
            "offset": self.offset,
            "total": self.total,
            "size": len(self.tokens),
            "tokens": list(self.tokens),
            "counts": list(self.counts),
            "first": None if self.first is None else list(self.first),
        }

    def save(self, path: str | os.PathLike) -> None:
        with atomic_write(path) as f:
            json.dump(self.to_dict(), f, ensure_ascii=False, separators=(",", ":"))
            f.write("\n")

    @classmethod
    def from_dict(cls, data: object, name: str = "partial counts") -> "PartialCounts":
        check_format_header(
            data, name, fmt=FORMAT, supported=VERSION, what="partial counts",
            missing=f"not embedcli partial counts (no \"format\": \"{FORMAT}\"); "
                    "write them with `embedcli vocab CORPUS --partial -o PART.json`",
        )
        tokens, counts, first = data.get("tokens"), data.get("counts"), data.get("first")
        total = data.get("total")
        if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
            raise FormatError(f"{name}: \"tokens\" must be a list of strings")
        if not isinstance(counts, list) or len(counts) != len(tokens):
            raise FormatError(f"{name}: \"counts\" must be a list as long as \"tokens\" ({len(tokens)})")
        if not all(isinstance(c, int) and not isinstance(c, bool) and c > 0 for c in counts):
            raise FormatError(f"{name}: \"counts\" must be positive integers")
        if first is not None and (
            not isinstance(first, list)
            or len(first) != len(tokens)
            or not all(isinstance(p, int) and not isinstance(p, bool) and p >= 0 for p in first)
        ):
            raise FormatError(f"{name}: \"first\" must be null or a list of positions as long as \"tokens\"")
        if not isinstance(total, int) or total < sum(counts):
            raise FormatError(f"{name}: \"total\" must be an integer at least the sum of the counts")
        if len(set(tokens)) != len(tokens):
            dup = next(t for t, c in Counter(tokens).items() if c > 1)
            raise FormatError(f"{name}: token {dup!r} appears more than once")
        if first is not None and any(a >= b for a, b in zip(first, first[1:])):
            raise FormatError(f"{name}: \"first\" positions must increase along \"tokens\"")
        offset = data.get("offset")
        if offset is not None and (not isinstance(offset, int) or isinstance(offset, bool)):
            raise FormatError(f"{name}: \"offset\" must be null or an integer")
        try:
            settings = TextSettings.from_dict(data.get("normalization", {}))
        except (TypeError, ValueError) as exc:
            raise FormatError(f"{name}: bad \"normalization\": {exc}") from None
        source = data.get("source") or {}
        if not isinstance(source, dict):
            raise FormatError(f"{name}: \"source\" must be an object")
        return cls(tokens, counts, total, settings, first, source, offset)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "PartialCounts":
        name = display_name(path)
        data = read_json_document(path, "partial counts")
        return cls.from_dict(data, name)


# -- counting -------------------------------------------------------------------------------
def _line_at(path: str, offset: int) -> int:
    """1-based line number of the byte at ``offset`` (only computed when reporting an error)."""
    line = 1
    with open(path, "rb") as f:
        left = offset
        while left > 0:
            block = f.read(min(left, 1 << 22))
            if not block:
                break
            line += block.count(b"\n")
            left -= len(block)
    return line


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
        self._pattern = token_pattern(settings)
        self._translate = not settings.keep_punct

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

    def _tokens_of(self, piece: bytes):
        if piece.isalnum():  # ASCII letters and digits only: the piece is one token
            s = piece.decode("ascii")
            return s.lower() if self.settings.lower else s
        text = piece.decode("utf-8", self.encoding_errors)  # UnicodeDecodeError: reported by caller
        tokens = self._pattern.findall(normalize(text, self.settings))
        return tokens[0] if len(tokens) == 1 else tokens

    def add(self, raw: bytes) -> None:
        """Count one chunk of UTF-8 bytes (ending on a line boundary or at whitespace)."""
        if self._translate:
            raw = raw.translate(_TABLE_SAFE if _U0338 in raw else _TABLE_FULL)
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
    ):
        self.path, self.start, self.end = path, start, end
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
            first_chunk = self.start == 0
            for raw, offset in eio.iter_raw_chunks(f, self.start, self.end, self.progress, self.split_long_lines):
                self.offset = offset
                if first_chunk:
                    first_chunk = False
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


def count_partial(
    paths: Sequence[str | os.PathLike],
    settings: TextSettings = TextSettings(),
    *,
    encoding_errors: str = "strict",
    positions: bool = True,
    workers: int = 1,
    offset: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> PartialCounts:
    """Partial counts of the files ``paths`` read one after the other (one shard of a corpus)."""
    parts = count_parallel(
        paths, settings, workers=workers, encoding_errors=encoding_errors, positions=positions, progress=progress
    )
    merged = combine_partials(parts)
    merged.source = {"paths": [display_name(p) for p in paths]}
    merged.offset = offset
    return merged


def shard_ranges(path: str | os.PathLike, n: int, min_bytes: int = MIN_SHARD_BYTES) -> list[tuple[int, int]]:
    """Cut a file into at most ``n`` byte ranges of about equal size, each ending after a newline."""
    size = os.path.getsize(path)
    n = max(1, min(n, size // max(min_bytes, 1)))
    bounds = [0]
    if n > 1:
        with open(path, "rb") as f:
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


def _check_same_settings(parts: Sequence[PartialCounts], names: Sequence[str]) -> TextSettings:
    settings = parts[0].settings
    for part, name in zip(parts, names):
        if part.settings != settings:
            raise EmbedcliError(
                f"{name}: normalisation {part.settings.to_dict()} differs from {names[0]}'s "
                f"{settings.to_dict()}; count every shard with the same --lower/--keep-punct flags"
            )
    return settings


def corpus_order(parts: Sequence[PartialCounts], names: Sequence[str]) -> list[int]:
    """Indices of ``parts`` in corpus order: as given, or by offset when every part has one."""
    with_offset = [p.offset is not None for p in parts]
    order = list(range(len(parts)))
    if all(with_offset) and len(parts) > 1:
        order.sort(key=lambda i: parts[i].offset)
        for a, b in zip(order, order[1:]):
            if parts[a].offset == parts[b].offset:
                raise EmbedcliError(f"{names[a]} and {names[b]} have the same offset {parts[a].offset}")
    elif any(with_offset) and not all(with_offset):
        missing = names[with_offset.index(False)]
        raise UsageError(
            f"{missing} has no offset while others do: give every shard an offset, or none "
            "(then the shards are merged in the order given)"
        )
    return order


def combine_partials(parts: Sequence[PartialCounts], names: Sequence[str] | None = None) -> PartialCounts:
    """One :class:`PartialCounts` for consecutive shards (a tree of merges gives the same result).

    Shards are taken in the given order (corpus order), unless every one has an ``offset``:
    then they are sorted by it. All shards must share the same normalisation settings. First
    positions are kept (shifted by the totals of the shards before) when every shard has them.
    """
    names = list(names) if names is not None else [f"part {i + 1}" for i in range(len(parts))]
    if not parts:
        raise UsageError("nothing to merge: give at least one partial counts file")
    settings = _check_same_settings(parts, names)
    order = corpus_order(parts, names)
    keep_first = all(p.first is not None for p in parts)
    counts: dict[str, int] = {}
    first: dict[str, int] = {}
    get = counts.get
    total = 0
    for i in order:
        part = parts[i]
        if keep_first:
            for t, c, at in zip(part.tokens, part.counts, part.first):
                if t not in counts:
                    first[t] = total + at
                counts[t] = get(t, 0) + c
        else:
            for t, c in zip(part.tokens, part.counts):
                counts[t] = get(t, 0) + c
        total += part.total
    ordered = [parts[i] for i in order]
    offsets = [p.offset for p in ordered]
    return PartialCounts(
        tokens=list(counts),
        counts=list(counts.values()),
        total=total,
        settings=settings,
        first=list(first.values()) if keep_first else None,
        source={"merged": [p.source for p in ordered]},
        offset=offsets[0] if all(o is not None for o in offsets) else None,
    )


def merge_partials(parts: Sequence[PartialCounts], names: Sequence[str] | None = None) -> tuple[Counter, int]:
    """Merge shard counts into one Counter (iteration order = first appearance) and a total."""
    merged = combine_partials(parts, names)
    return Counter(dict(zip(merged.tokens, merged.counts))), merged.total


# -- several processes ------------------------------------------------------------------------
_shared_progress = None


def _init_worker(progress_value) -> None:
    global _shared_progress
    _shared_progress = progress_value


def _advance_shared(n: int) -> None:
    with _shared_progress.get_lock():
        _shared_progress.value += n


def _count_job(job: tuple) -> PartialCounts | EmbedcliError:
    path, start, end, settings, encoding_errors, positions = job
    try:
        counter = count_range(
            path, settings, start, end, encoding_errors=encoding_errors, positions=positions,
            progress=_advance_shared if _shared_progress is not None else None,
        )
    except EmbedcliError as exc:
        return exc
    return counter.result({"path": os.fspath(path), "start": start, "end": end})


@contextlib.contextmanager
def _workers_skip_main_script():
    """Keep spawned workers from re-running the parent's ``__main__`` script.

    The ``spawn`` start method imports the parent's main script in every worker (for the
    ``embedcli`` command that is the whole command line: click, rich, numpy...). The workers
    only need :mod:`embedcli.partial`, so the script path is hidden while they start.
    """
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    path = getattr(main, "__file__", None)
    if main is None or spec is not None or path is None:
        yield
        return
    del main.__file__
    try:
        yield
    finally:
        main.__file__ = path


def plan_jobs(paths: Sequence[str | os.PathLike], workers: int) -> list[tuple[str, int, int | None]]:
    """Byte ranges to count: files cut into about ``workers`` equal shards overall, in corpus order."""
    sizes = []
    for p in paths:
        if str(p) == STDIO:
            sizes.append(None)
            continue
        eio.open_binary(p).close()  # the usual one-line errors for missing files, directories...
        sizes.append(os.path.getsize(p))
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


def count_parallel(
    paths: Sequence[str | os.PathLike],
    settings: TextSettings = TextSettings(),
    *,
    workers: int = 1,
    encoding_errors: str = "strict",
    positions: bool = False,
    progress: Callable[[int], None] | None = None,
) -> list[PartialCounts]:
    """Count shards of ``paths`` in up to ``workers`` processes; partial counts in corpus order.

    The first shard is counted in this process while ``workers - 1`` spawned processes count
    the others; standard input is always counted here.
    """
    sizes = [eio.input_size(p) for p in paths]
    if all(size is not None for size in sizes) and sum(sizes) < PARALLEL_MIN_BYTES:
        workers = 1
    jobs = [(p, a, b, settings, encoding_errors, positions) for p, a, b in plan_jobs(paths, workers)]
    if workers <= 1 or len(jobs) == 1 or any(p == STDIO for p, *_ in jobs):
        results: list = []
        for job in jobs:
            p, a, b = job[:3]
            try:
                counter = count_range(p, settings, a, b, encoding_errors=encoding_errors, positions=positions,
                                      progress=progress)
            except EmbedcliError as exc:
                results.append(exc)
                break
            results.append(counter.result({"path": p, "start": a, "end": b}))
    else:
        import multiprocessing as mp
        import time

        ctx = mp.get_context("spawn")
        shared = ctx.Value("q", 0)
        with _workers_skip_main_script():
            pool = ctx.Pool(min(workers - 1, len(jobs) - 1), initializer=_init_worker, initargs=(shared,))
        try:
            pending = pool.map_async(_count_job, jobs[1:], chunksize=1)
            seen = 0

            def report(n: int) -> None:  # own progress plus what the workers counted meanwhile
                nonlocal seen
                if progress is not None:
                    now = shared.value
                    progress(n + now - seen)
                    seen = now

            p, a, b = jobs[0][:3]
            try:
                counter = count_range(p, settings, a, b, encoding_errors=encoding_errors, positions=positions,
                                      progress=report)
                head = counter.result({"path": p, "start": a, "end": b})
            except EmbedcliError as exc:
                head = exc
            while not pending.ready():
                pending.wait(0.1)
                report(0)
            results = [head] + pending.get()
            report(0)
            time.sleep(0)
        finally:
            pool.terminate()
            pool.join()
    for r in results:  # the first error in corpus order wins
        if isinstance(r, EmbedcliError):
            raise r
    return results


def count_tokens_fast(
    paths: Sequence[str | os.PathLike],
    settings: TextSettings = TextSettings(),
    *,
    workers: int = 1,
    encoding_errors: str = "strict",
    progress: Callable[[int], None] | None = None,
) -> tuple[Counter, int]:
    """Counts (first-appearance order) and token total of the corpus, in ``workers`` processes."""
    parts = count_parallel(paths, settings, workers=workers, encoding_errors=encoding_errors, progress=progress)
    return merge_partials(parts)
