"""The partial-counts format: token counts of one shard of a corpus, mergeable with the others.

A :class:`PartialCounts` holds, for one shard (a file, or a byte range of a file that starts
and ends on a line boundary), every token's count, the tokens in order of first appearance
within the shard, optionally each token's first position (0-based token index within the
shard), and the shard's token total. :func:`merge_partials` adds the counts of shards given in
corpus order (or sorted by an explicit ``offset``); the result is exactly what counting the
whole corpus in one pass gives, first-appearance order included: a token's first appearance in
the corpus is in the first shard that has it, at its first position there.

Counting a shard is :mod:`embedcli.counting`; cutting files into shards and reading them is
:mod:`embedcli.shards`; counting shards in several processes is :mod:`embedcli.pool`.

The file format is JSON, versioned (:data:`FORMAT`, :data:`VERSION`)::

    {"format": "embedcli-partial-counts", "version": 1, "normalization": {...},
     "source": {"path": "...", "start": 0, "end": 1234}, "offset": null,
     "total": 5678, "tokens": [...], "counts": [...], "first": [...]}

Shards merged in a step (``vocab merge --partial``) with offsets also have ``"last_offset"``, the
offset of their last shard: a later merge refuses a shard that falls between them.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Sequence

from . import __version__
from .errors import EmbedcliError, FormatError, UsageError
from .io import atomic_write, check_format_header, display_name, read_json_document
from .text import TextSettings

FORMAT = "embedcli-partial-counts"
VERSION = 1


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
    last_offset: int | None = None  # shards merged in a step: the offset of the last one (None: ``offset``)

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
            **({} if self.last_offset is None else {"last_offset": self.last_offset}),
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
        if type(total) is not int or total < sum(counts):  # not JSON's true, Python's 1
            raise FormatError(f"{name}: \"total\" must be an integer at least the sum of the counts")
        if len(set(tokens)) != len(tokens):
            dup = next(t for t, c in Counter(tokens).items() if c > 1)
            raise FormatError(f"{name}: token {dup!r} appears more than once")
        if first is not None and any(a >= b for a, b in zip(first, first[1:])):
            raise FormatError(f"{name}: \"first\" positions must increase along \"tokens\"")
        offset = data.get("offset")
        if offset is not None and (not isinstance(offset, int) or isinstance(offset, bool)):
            raise FormatError(f"{name}: \"offset\" must be null or an integer")
        last_offset = data.get("last_offset")
        if last_offset is not None and (offset is None or type(last_offset) is not int or last_offset < offset):
            raise FormatError(f"{name}: \"last_offset\" must be null or an integer at least \"offset\"")
        try:
            settings = TextSettings.from_dict(data.get("normalization", {}))
        except (TypeError, ValueError) as exc:
            raise FormatError(f"{name}: bad \"normalization\": {exc}") from None
        source = data.get("source") or {}
        if not isinstance(source, dict):
            raise FormatError(f"{name}: \"source\" must be an object")
        paths = source.get("paths")
        if paths is not None and not (isinstance(paths, list) and all(isinstance(p, str) for p in paths)):
            raise FormatError(f"{name}: \"source\": \"paths\" must be a list of file names")
        if source.get("path") is not None and not isinstance(source["path"], str):
            raise FormatError(f"{name}: \"source\": \"path\" must be a file name")
        return cls(tokens, counts, total, settings, first, source, offset, last_offset)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "PartialCounts":
        name = display_name(path)
        data = read_json_document(path, "partial counts")
        return cls.from_dict(data, name)


def _check_same_settings(parts: Sequence[PartialCounts], names: Sequence[str]) -> TextSettings:
    settings = parts[0].settings
    for part, name in zip(parts, names):
        if part.settings != settings:
            ours, theirs = settings.to_dict(), part.settings.to_dict()
            differ = [k for k in ours if ours[k] != theirs[k]]
            if "lower" in differ or "keep_punct" in differ:
                advice = "count every shard with the same {lower}/{keep_punct} settings"
            elif differ == ["join_marks"]:  # no flag sets it: a part written before the setting
                old = name if ours["join_marks"] else names[0]
                advice = (f"{old} was counted by an embedcli from before join_marks (a combining mark ended a word); "
                          "count it again")
            else:
                advice = "count every shard the same way"
            raise EmbedcliError(
                "{name}: normalisation differs from {first}'s ({differ}); " + advice, "lower", "keep_punct", name=name,
                first=names[0],
                differ=", ".join(f"{k} {json.dumps(theirs[k])}, not {json.dumps(ours[k])}" for k in differ),
            )
    return settings


def check_distinct_files(names: Sequence[str], files: Sequence[bool]) -> None:
    """Each partial counts file once (checked before reading them: ``-`` given twice would read
    standard input twice, the second time empty)."""
    seen_files: dict[str, str] = {}
    for name, is_file in zip(names, files):
        if is_file:
            key = name if name == "-" else os.path.realpath(name)
            if key in seen_files:
                also = "" if seen_files[key] == name else f" (as {seen_files[key]} too)"
                raise UsageError(f"{name}: given twice{also}; merge each shard once")
            seen_files[key] = name


def check_distinct(parts: Sequence[PartialCounts], names: Sequence[str]) -> None:
    """Each shard once: two parts from the same source (its path, and byte range when it has one)
    with the same counts (a copy of a partial counts file; the same file given twice is
    :func:`check_distinct_files`) would count a shard twice. (Equal counts from different sources
    are two texts that happen to be the same: they are merged.)"""
    seen: dict[tuple, str] = {}
    for part, name in zip(parts, names):
        if not part.source:
            continue
        key = (json.dumps(part.source, sort_keys=True), part.total, tuple(part.tokens), tuple(part.counts))
        if key in seen:
            raise UsageError(f"{name}: the same shard as {seen[key]} (the same source and the same counts); "
                             "merging both would count it twice")
        seen[key] = name


def corpus_order(parts: Sequence[PartialCounts], names: Sequence[str]) -> list[int]:
    """Indices of ``parts`` in corpus order: as given, or by offset when every part has one."""
    with_offset = [p.offset is not None for p in parts]
    order = list(range(len(parts)))
    if all(with_offset) and len(parts) > 1:
        order.sort(key=lambda i: parts[i].offset)
        for a, b in zip(order, order[1:]):
            if parts[a].offset == parts[b].offset:
                raise EmbedcliError(f"{names[a]} and {names[b]} have the same offset {parts[a].offset}")
            if _last_offset(parts[a]) >= parts[b].offset:
                raise UsageError(
                    f"{names[b]} (offset {parts[b].offset}) is within the shards merged in {names[a]} (offsets "
                    f"{parts[a].offset} to {_last_offset(parts[a])}): merge only neighbouring shards in a step"
                )
    elif any(with_offset) and not all(with_offset):
        missing = names[with_offset.index(False)]
        raise UsageError(
            f"{missing} has no offset while others do: give every shard an offset, or none "
            "(then the shards are merged in the order given)"
        )
    return order


def _last_offset(part: PartialCounts) -> int | None:
    """The offset of the last shard in ``part`` (its own for one shard)."""
    return part.offset if part.last_offset is None else part.last_offset


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
    last = _last_offset(ordered[-1]) if all(o is not None for o in offsets) else None
    return PartialCounts(
        tokens=list(counts),
        counts=list(counts.values()),
        total=total,
        settings=settings,
        first=list(first.values()) if keep_first else None,
        source={"merged": [p.source for p in ordered]},
        offset=offsets[0] if all(o is not None for o in offsets) else None,
        last_offset=None if last == offsets[0] else last,
    )


def merge_partials(parts: Sequence[PartialCounts], names: Sequence[str] | None = None) -> tuple[Counter, int]:
    """Merge shard counts into one Counter (iteration order = first appearance) and a total."""
    merged = combine_partials(parts, names)
    return Counter(dict(zip(merged.tokens, merged.counts))), merged.total


def __getattr__(name: str):
    # counting, sharding and the process pool moved to their own modules; still importable here
    if name.startswith("__"):  # __path__ etc., asked by the import system: importing pool here would be circular
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    for module in ("counting", "shards", "pool"):
        import importlib

        mod = importlib.import_module(f"{__package__}.{module}")
        if hasattr(mod, name) and not name.startswith("__"):
            return getattr(mod, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
