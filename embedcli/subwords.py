"""Character n-grams of words, hashed into buckets exactly as fastText does (``-minn``/``-maxn``).

A word is represented by its own row and by the rows of its character n-grams: the n-grams of
length ``minn..maxn`` of ``"<" + word + ">"`` (the boundary marks are part of the n-grams, so
``<wh`` and ``ere>`` differ from the middle of a word), each hashed with 32-bit FNV-1a into one
of ``buckets`` rows. This transcribes fastText 0.9.2's ``Dictionary::computeSubwords`` and
``Dictionary::hash``:

* n-grams count *characters*, not bytes: fastText walks the UTF-8 bytes and keeps a character's
  continuation bytes (``10xxxxxx``) with its lead byte; a Python ``str`` is a sequence of code
  points, which is the same thing for valid UTF-8;
* the n-gram list is in fastText's order (by start position, then length) and keeps
  duplicates (``ana`` twice in ``<banana>``), so the mean counts a repeated n-gram twice;
* a single boundary mark is never an n-gram (only matters for ``minn`` 1);
* the hash XORs each byte as a *signed* char widened to 32 bits (``h ^= uint32(int8(c))``), so
  a byte >= 0x80 is XORed as ``0xFFFFFF00 | c``; that differs from textbook FNV-1a for every
  non-ASCII n-gram, and is what gives fastText's buckets;
* bucket = ``hash % buckets``.

For training, the rows of every vocabulary word are computed once (:func:`vocab_rows`) as flat
arrays with offsets (CSR): word ``i`` uses rows ``rows[offsets[i]:offsets[i+1]]``, its own row
``i`` first, then ``n_words + bucket`` per n-gram (the input matrix has the word rows, then
the bucket rows, like fastText's). :class:`SubwordRows` gathers the mean of those rows for a
batch of token ids (:meth:`SubwordRows.compose`) and sums a batch's gradient back onto the
rows (:meth:`SubwordRows.scatter`), vectorised, with no Python loop per word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable, NamedTuple, Sequence

import numpy as np

from .errors import ParameterError, UsageError

BOW = "<"
EOW = ">"
FNV_OFFSET = 2166136261
FNV_PRIME = 16777619
MAX_BUCKETS = 2_000_000  # the default bucket count is capped here (fastText's -bucket default)


# -- settings ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SubwordSpec:
    """n-gram lengths ``minn..maxn`` and the number of hash buckets."""

    minn: int
    maxn: int
    buckets: int

    def to_dict(self) -> dict[str, Any]:
        return {"minn": self.minn, "maxn": self.maxn, "buckets": self.buckets, "bow": BOW, "eow": EOW,
                "hash": "fnv1a32-signed-char"}

    @classmethod
    def from_dict(cls, data: Any, name: str = "subwords") -> "SubwordSpec":
        from .errors import FormatError

        ok = isinstance(data, dict) and all(isinstance(data.get(k), int) and not isinstance(data.get(k), bool)
                                            for k in ("minn", "maxn", "buckets"))
        if not ok or data.get("bow", BOW) != BOW or data.get("eow", EOW) != EOW:
            raise FormatError(f"{name}: expected minn, maxn and buckets (integers) with '<' '>' boundary marks")
        if not 1 <= data["minn"] <= data["maxn"] or data["buckets"] < 1:
            raise FormatError(f"{name}: invalid n-gram lengths {data['minn']}-{data['maxn']} "
                              f"or buckets {data['buckets']}")
        return cls(int(data["minn"]), int(data["maxn"]), int(data["buckets"]))


_SPEC = re.compile(r"^\s*(\d+)\s*-\s*(\d+)\s*$")


def parse_range(value: Any, source: str = "subwords") -> tuple[int, int] | None:
    """``"3-6"`` -> (3, 6); ``0`` / ``"0"`` / ``None`` -> None (no subwords). ``"4"`` = ``"4-4"``."""
    if value is None or isinstance(value, bool):
        if value is None:
            return None
        raise UsageError(f"{source}: expected MIN-MAX character lengths like 3-6, or 0 for none, got {value!r}")
    if isinstance(value, int):
        if value == 0:
            return None
        if value < 0:
            raise UsageError(f"{source}: expected MIN-MAX like 3-6, or 0 for none, got {value!r}")
        return value, value
    if isinstance(value, str):
        text = value.strip()
        if text == "0":
            return None
        if text.isdigit():
            n = int(text)
            return (n, n) if n else None
        m = _SPEC.match(text)
        if m:
            lo, hi = int(m.group(1)), int(m.group(2))
            if lo < 1:
                raise UsageError(f"{source}: the shortest n-gram must be at least 1 character, got {value!r}")
            if hi < lo:
                raise UsageError(f"{source}: MIN-MAX with MIN <= MAX, got {value!r}")
            return lo, hi
    raise UsageError(f"{source}: expected MIN-MAX character lengths like 3-6, or 0 for none, got {value!r}")


def format_range(r: tuple[int, int] | None) -> int | str:
    """The canonical setting: ``0`` (none) or ``"MIN-MAX"``."""
    return 0 if r is None else f"{r[0]}-{r[1]}"


# -- n-grams and hashing -------------------------------------------------------------------------
def char_ngrams(word: str, minn: int, maxn: int) -> list[str]:
    """fastText's ``computeSubwords`` on ``"<" + word + ">"``: n-grams in its order, duplicates kept."""
    w = BOW + word + EOW
    size = len(w)
    out = []
    for i in range(size):
        for n in range(minn, min(maxn, size - i) + 1):
            if n == 1 and (i == 0 or i + 1 == size):
                continue
            out.append(w[i : i + n])
    return out


def fnv1a(strings: Sequence[str]) -> np.ndarray:
    """fastText's ``Dictionary::hash`` of the UTF-8 bytes of each string (uint32), vectorised.

    32-bit FNV-1a where each byte is XORed as a signed char widened to 32 bits
    (``h ^= uint32(int8(c))``): bytes >= 0x80 XOR ``0xFFFFFF00 | c``. Strings are grouped by byte
    length and hashed one byte column at a time.
    """
    out = np.empty(len(strings), dtype=np.uint32)
    if not len(strings):
        return out
    data = [s.encode("utf-8") for s in strings]
    lengths = np.fromiter(map(len, data), dtype=np.int64, count=len(data))
    prime = np.uint32(FNV_PRIME)
    order = np.argsort(lengths, kind="stable")
    sorted_lengths = lengths[order]
    bounds = np.flatnonzero(np.diff(sorted_lengths)) + 1
    for sel in np.split(order, bounds):
        length = int(lengths[sel[0]])
        h = np.full(len(sel), FNV_OFFSET, dtype=np.uint32)
        if length:
            mat = np.frombuffer(b"".join([data[i] for i in sel]), dtype=np.int8).reshape(len(sel), length)
            signed = mat.astype(np.int32).view(np.uint32)  # sign extension: int8 -> int32 -> uint32
            for j in range(length):
                h ^= signed[:, j]
                h *= prime  # wraps modulo 2**32
        out[sel] = h
    return out


def ngram_buckets(word: str, minn: int, maxn: int, buckets: int) -> np.ndarray:
    """The bucket (``hash % buckets``) of each n-gram of ``word``, in fastText's order (int64)."""
    return (fnv1a(char_ngrams(word, minn, maxn)) % np.uint32(buckets)).astype(np.int64)


# -- the vocabulary's rows (CSR) -----------------------------------------------------------------
def vocab_ngrams(tokens: Sequence[str], minn: int, maxn: int, skip: Iterable[int] = ()) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The n-grams of every token: ``(distinct n-grams, offsets (V+1,), flat index into them)``.

    Token ``i``'s n-grams are ``distinct[flat[offsets[i]:offsets[i+1]]]``; tokens in ``skip``
    (the specials) have none. One pass over the vocabulary, once per training run.
    """
    skip = set(skip)
    index: dict[str, int] = {}
    flat: list[int] = []
    counts = np.zeros(len(tokens), dtype=np.int64)
    setdefault = index.setdefault
    for i, tok in enumerate(tokens):
        if i in skip:
            continue
        grams = char_ngrams(tok, minn, maxn)
        counts[i] = len(grams)
        flat.extend([setdefault(g, len(index)) for g in grams])
    offsets = np.zeros(len(tokens) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return list(index), offsets, np.asarray(flat, dtype=np.int64)


def default_buckets(distinct: int) -> int:
    """What the data needs: one bucket per distinct n-gram, capped at :data:`MAX_BUCKETS`."""
    return int(max(1, min(distinct, MAX_BUCKETS)))


def vocab_rows(tokens: Sequence[str], minn: int, maxn: int, buckets: int | None = None,
               skip: Iterable[int] = ()) -> tuple["SubwordRows", int]:
    """The :class:`SubwordRows` of a vocabulary, and the number of distinct n-grams it has.

    ``buckets`` None: :func:`default_buckets` of the distinct n-grams.
    """
    distinct, offsets, flat = vocab_ngrams(tokens, minn, maxn, skip)
    if buckets is None:
        buckets = default_buckets(len(distinct))
    bucket_of = (fnv1a(distinct) % np.uint32(buckets)).astype(np.int64)
    n_words = len(tokens)
    lens = np.diff(offsets) + 1  # the word's own row first
    row_offsets = np.zeros(n_words + 1, dtype=np.int64)
    np.cumsum(lens, out=row_offsets[1:])
    rows = np.empty(int(row_offsets[-1]), dtype=np.int64)
    rows[row_offsets[:-1]] = np.arange(n_words)
    is_gram = np.ones(len(rows), dtype=bool)
    is_gram[row_offsets[:-1]] = False
    rows[is_gram] = n_words + bucket_of[flat]
    spec = SubwordSpec(minn, maxn, int(buckets))
    table = SubwordRows(spec, n_words, row_offsets, rows.astype(np.int32 if n_words + buckets < 2**31 else np.int64))
    table.distinct = len(distinct)
    return table, len(distinct)


def _ranges(starts: np.ndarray, lens: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(s, s + n)`` for each (s, n), vectorised."""
    total = int(lens.sum())
    seg = np.zeros(len(lens), dtype=np.int64)
    if len(lens) > 1:
        np.cumsum(lens[:-1], out=seg[1:])
    return np.arange(total, dtype=np.int64) + np.repeat(starts - seg, lens)


def stable_sort(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``order = np.argsort(x, kind="stable")`` and ``x[order]`` for int32 ``x``: one sort of
    ``x << 32 | position`` (distinct keys, so any sort is stable; ~6x faster than a stable argsort
    of 2,000 ids)."""
    if x.dtype != np.int32 or len(x) >= 2**32:
        order = np.argsort(x, kind="stable")
        return order, x[order]
    keys = x.astype(np.int64)
    keys <<= 32
    keys |= np.arange(len(x), dtype=np.int64)
    keys.sort()
    return keys & 0xFFFFFFFF, (keys >> 32).astype(np.int32)


def _rank_major(starts: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For segments ``[s, s + c)`` sorted by ``counts`` descending: ``has[j]``, how many segments
    have more than ``j`` entries (so rank ``j``'s segments are a prefix), and the positions of
    all entries rank by rank (each segment's first entry, then each one's second, ...)."""
    has = np.searchsorted(-counts, -np.arange(1, int(counts[0]) + 1), side="right")
    return has, starts[_ranges(np.zeros(len(has), dtype=np.int64), has)] + np.repeat(np.arange(len(has)), has)


def _rank_sums(rows: np.ndarray, has: np.ndarray) -> np.ndarray:
    """Rows laid out rank by rank (:func:`_rank_major`: rank ``j`` is ``has[j]`` rows, a prefix
    of rank ``j - 1``'s segments), each segment's rows added one after another in rank order, in
    place into ``rows[:has[0]]``, which is returned."""
    acc = rows[: has[0]]
    o = has[0]
    for n in has[1:].tolist():
        acc[:n] += rows[o : o + n]
        o += n
    return acc


def _group_sums(D: np.ndarray, tok: np.ndarray, starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """For groups of at least 2 consecutive entries ``tok[s:s + c]`` (``starts``, ``counts``), the
    float32 rounding of the sum of their rows of ``D`` (float32) taken in float64 from 0.0, in
    entry order. A group of 2 is summed in float32 as ``(a + 0) + b``, the same bytes: ``0.0 + a``
    is ``a`` (``-0.0`` becomes ``0.0`` either way); the float64 sum of two float32 values is exact
    unless their exponents differ by more than 28, and then both roundings give the larger one;
    float32 addition is the exact sum rounded. Longer groups are summed in float64 rank by rank
    (:func:`_rank_sums`), most entries first."""
    out = np.empty((len(starts), D.shape[1]), dtype=D.dtype)
    two = np.flatnonzero(counts == 2)
    if len(two):
        s2 = starts[two]
        x = np.take(D, tok[s2], axis=0)
        x += D.dtype.type(0)
        x += np.take(D, tok[s2 + 1], axis=0)
        out[two] = x
    more = np.flatnonzero(counts > 2)
    if len(more):
        c = counts[more]
        by_count = more[np.argsort((c.max() - c).astype(np.uint16 if c.max() < 2**16 else np.int64), kind="stable")]
        has, at = _rank_major(starts[by_count], counts[by_count])
        X = np.take(D, tok[at], axis=0).astype(np.float64)  # every entry of these groups, rank by rank
        X[: has[0]] += 0.0  # a sum from 0.0 (-0.0 + 0.0 is 0.0)
        out[by_count] = _rank_sums(X, has)
    return out


def _training_means(W: np.ndarray, flat: np.ndarray, lens: np.ndarray) -> np.ndarray:
    """Training's composed vectors: the float32 mean of ``W[flat]`` over consecutive segments of
    ``lens`` rows (``reduceat``: each segment summed on its own, so a token's vector has the same
    bytes however many tokens are composed together). Models give out :func:`mean_rows`."""
    Hu = np.add.reduceat(W.take(flat, axis=0), _segments(lens), axis=0)
    Hu /= lens[:, None].astype(Hu.dtype)
    return Hu


def _occurrence_sums(X: np.ndarray, positions: np.ndarray, starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``np.add.reduceat(X[positions[ranges]], _segments(counts), axis=0)`` for the ranges
    ``positions[s:s + c]`` of each ``(s, c)``, the same bytes: numpy sums each segment as its
    first row plus the pairwise sum of the rest, and a rest of fewer than 8 rows is summed one
    row after another (from -0.0, which adds nothing). So segments of at most 8 rows (a repeated
    token's occurrences in a batch, nearly always) are summed rank by rank, most occurrences first
    (rank ``j`` of the segments with more than ``j`` rows is one vectorised addition, a prefix);
    the longer ones go through ``reduceat``."""
    d = X.shape[1]
    out = np.empty((len(counts), d), dtype=X.dtype)
    short = counts <= 8
    if not short.all():
        long_ = np.flatnonzero(~short)
        out[long_] = np.add.reduceat(X.take(positions[_ranges(starts[long_], counts[long_])], axis=0),
                                     _segments(counts[long_]), axis=0)
    s = np.flatnonzero(short)
    if len(s):
        by_count = s[np.argsort(-counts[s], kind="stable")]
        has, at = _rank_major(starts[by_count], counts[by_count])
        rows = X.take(positions[at], axis=0)
        x0 = rows[: has[0]]
        if len(has) > 1:  # the rest's sum from x1 (-0.0 + x1 is x1), then x0 + it: IEEE addition commutes
            x0[: has[1]] += _rank_sums(rows[has[0] :], has[1:])
        out[by_count] = x0
    return out


def _segments(lens: np.ndarray) -> np.ndarray:
    seg = np.zeros(len(lens), dtype=np.int64)
    if len(lens) > 1:
        np.cumsum(lens[:-1], out=seg[1:])
    return seg


@dataclass
class Composed:
    """What :meth:`SubwordRows.compose` keeps for :meth:`SubwordRows.token_steps` and :meth:`SubwordRows.scatter` (one batch)."""

    inverse: np.ndarray  # (L,) position of each batch token among the distinct tokens
    n_tokens: int  # distinct tokens
    lens: np.ndarray  # (U,) rows per distinct token
    flat: np.ndarray  # the rows of the distinct tokens, concatenated
    by_token: np.ndarray  # (L,) batch positions, stably sorted by token
    token_starts: np.ndarray  # (U,) where each distinct token starts in ``by_token``
    ids: np.ndarray  # (U,) the distinct tokens, ascending


class ComposedVectors(NamedTuple):
    """Composed vectors of several batches' tokens (:meth:`SubwordRows.compose_many`)."""

    ids: np.ndarray  # distinct token ids, ascending
    H: np.ndarray  # (len(ids), d) the mean of each token's rows


class TokenSteps(NamedTuple):
    """A batch's gradient per distinct token (:meth:`SubwordRows.token_steps`): each of the
    token's rows takes its step (:meth:`SubwordRows.round_steps` adds them up per row)."""

    ids: np.ndarray  # (U,) distinct tokens, ascending
    steps: np.ndarray  # (U, d) the sum of each token's occurrences' gradients
    partner: np.ndarray | None  # (U,) the largest ``partner`` value of each token's occurrences
    counts: np.ndarray  # (U,) occurrences of each token in the batch


class Scattered(NamedTuple):
    """A batch's gradient on the input rows (:meth:`SubwordRows.scatter`)."""

    rows: np.ndarray  # distinct rows, ascending
    steps: np.ndarray  # (rows, d) summed gradient of each row
    occurrences: np.ndarray  # batch tokens using each row (a token using it twice counts twice)
    partner: np.ndarray | None  # per row, the largest ``partner`` value of the tokens using it


class SubwordRows:
    """Input rows of every vocabulary word (its own row, then its n-gram buckets), as CSR.

    The input matrix has ``n_words + buckets`` rows: word ``i`` is row ``i``, bucket ``b`` is row
    ``n_words + b``. A word's input vector is the mean of its rows.
    """

    def __init__(self, spec: SubwordSpec, n_words: int, offsets: np.ndarray, rows: np.ndarray):
        self.spec = spec
        self.n_words = int(n_words)
        self.offsets = offsets
        self.rows = rows
        self.lengths = np.diff(offsets)
        self.distinct: int | None = None  # distinct n-grams of the vocabulary (when known)
        self._shares: dict[tuple[int, int], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}  # _share's

    @property
    def n_rows(self) -> int:
        """Rows of the input matrix: the words, then the buckets."""
        return self.n_words + self.spec.buckets

    @property
    def max_rows(self) -> int:
        """The most rows any word has."""
        return int(self.lengths.max()) if len(self.lengths) else 1

    def word_rows(self, i: int) -> np.ndarray:
        return self.rows[self.offsets[i] : self.offsets[i + 1]]

    def _share(self, part: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(offsets, lengths, rows)`` of every word's rows ``row % n == rank`` (``part = (rank,
        n)``), in their order: a worker process's share of the apply, made once per process."""
        rank, n = part
        if n <= 1:
            return self.offsets, self.lengths, self.rows
        cached = self._shares.get(part)
        if cached is None:
            mine = self.rows % n == rank
            lengths = np.add.reduceat(mine, self.offsets[:-1], dtype=np.int64) if len(self.lengths) else self.lengths
            offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
            np.cumsum(lengths, out=offsets[1:])
            cached = self._shares[part] = (offsets, lengths, self.rows[mine])
        return cached

    def rows_of(self, ids: np.ndarray) -> np.ndarray:
        """The rows of the tokens ``ids``, concatenated (token by token, each in its order)."""
        ids = np.asarray(ids)
        return self.rows[_ranges(self.offsets[ids], self.lengths[ids])]

    def compose_many(self, W: np.ndarray, batches: Sequence[np.ndarray]) -> "ComposedVectors":
        """The composed vectors of every distinct token of several batches at once (a round's
        batches, computed against the same ``W``), for :meth:`compose` ``(vectors=)``: each token
        is composed once for all of them. A token's vector is the same bytes however many tokens
        are composed together (``reduceat`` sums each token's rows on its own)."""
        uniq = np.unique(np.concatenate([np.asarray(b) for b in batches]))
        lens = self.lengths[uniq]
        return ComposedVectors(uniq, _training_means(W, self.rows[_ranges(self.offsets[uniq], lens)], lens))

    def compose(self, W: np.ndarray, ids: np.ndarray, out: np.ndarray | None = None,
                vectors: "ComposedVectors | None" = None) -> tuple[np.ndarray, Composed]:
        """``H[k]`` = mean of ``W``'s rows of token ``ids[k]``; and what :meth:`scatter` needs.

        Each distinct token of the batch is composed once (a frequent word occurs many times).
        ``out``: a (len(ids), d) array to write ``H`` into (the trainer's padded kernel buffer).
        ``vectors``: the tokens' vectors already composed from the same ``W``
        (:meth:`compose_many` over a round's batches, which share many tokens); taken from there.
        """
        ids = np.asarray(ids)
        by_token, s = stable_sort(ids)  # one sort gives the distinct tokens and their groups
        first = np.empty(len(s), dtype=bool)
        first[:1] = True
        np.not_equal(s[1:], s[:-1], out=first[1:])
        token_starts = np.flatnonzero(first)
        uniq = s[token_starts]
        inverse = np.empty(len(ids), dtype=np.intp)
        inverse[by_token] = np.cumsum(first) - 1
        lens = self.lengths[uniq]
        flat = self.rows[_ranges(self.offsets[uniq], lens)]
        if vectors is None:
            Hu = _training_means(W, flat, lens)
        else:  # the batch's tokens among the vectors' (sorted) tokens
            Hu = vectors.H
            inverse = np.searchsorted(vectors.ids, uniq)[inverse]
        H = Hu.take(inverse, axis=0, out=out, mode="clip")
        return H, Composed(inverse, len(uniq), lens, flat, by_token, token_starts, uniq)

    def token_steps(self, ctx: Composed, dH: np.ndarray, *, exact: bool = True,
                    partner: np.ndarray | None = None, out: np.ndarray | None = None) -> TokenSteps:
        """The batch's gradient per distinct token: the sum of its occurrences' rows of ``dH``
        (one occurrence, nearly all tokens: its row; a repeated token's: :func:`_occurrence_sums`,
        ``np.add.reduceat``'s bytes), divided by the token's number of rows when ``exact``.
        ``partner`` (one value per batch token): its maximum over each token's occurrences.
        ``out``: an array of at least ``U`` rows to write the steps into (a worker's shared slot).
        Each of the token's rows takes this step: :meth:`scatter` sums them per row for one
        batch, :meth:`round_steps` for a round's batches."""
        by_token, tstarts = ctx.by_token, ctx.token_starts
        mult = np.diff(np.append(tstarts, len(by_token)))  # occurrences of each distinct token
        U = ctx.n_tokens
        buf = None if out is None or len(out) < U else out[:U]
        dHu = np.take(dH, by_token[tstarts], axis=0, out=buf)  # one occurrence: its row
        rep = np.flatnonzero(mult > 1)
        if len(rep):  # the repeated tokens' sums, in np.add.reduceat's order (see _occurrence_sums)
            dHu[rep] = _occurrence_sums(dH, by_token, tstarts[rep], mult[rep])
        if exact:
            dHu /= ctx.lens[:, None].astype(dHu.dtype)
        pmax = None
        if partner is not None:
            pmax = np.maximum.reduceat(np.take(np.asarray(partner, dtype=np.float32), by_token), tstarts)
        return TokenSteps(ctx.ids, dHu, pmax, mult)

    def scatter(self, ctx: Composed, dH: np.ndarray, *, exact: bool = True,
                partner: np.ndarray | None = None, out: np.ndarray | None = None) -> Scattered:
        """One batch's gradient on the rows: distinct rows, their summed gradient, occurrences.

        ``exact``: row ``r`` gets ``dH[k] / len(rows of token k)`` for each batch token ``k``
        using it (the gradient of the mean). Without it the gradient of the mean is passed to
        each row undivided, which is what fastText's skip-gram and CBOW do (so a word's vector
        moves by the full step whatever its number of n-grams). ``occurrences`` counts, per row,
        the batch tokens using it. ``partner`` (one value per batch token, e.g. the trainer's
        largest partner norm): its maximum over the tokens using each row. ``out``: an array
        of at least as many rows as the batch has distinct rows that the steps are written
        into, when they fit (the same values, one copy less). The trainer sums a whole round's
        steps per row at once (:meth:`round_steps`, the same sums).

        Vectorised without ``np.add.at``, per-row ``reduceat`` or BLAS (all slow here): each
        distinct token's step (:meth:`token_steps`); the entries are grouped by row with one sort
        (:func:`stable_sort`); rows used by one distinct token (most n-grams) take its step
        directly; the rows shared by several (``<th``, ``ing>`` ...) are summed in float64, in
        token order (:func:`_group_sums`).
        """
        t = self.token_steps(ctx, dH, exact=exact, partner=partner)
        dHu = t.steps
        flat = ctx.flat
        N = len(flat)
        order, fs = stable_sort(flat)  # entries by row, in token order within a row
        first = np.empty(N, dtype=bool)
        first[:1] = True
        np.not_equal(fs[1:], fs[:-1], out=first[1:])
        starts = np.flatnonzero(first)
        rows = fs[starts]
        tok = np.repeat(np.arange(ctx.n_tokens), ctx.lens)[order]  # the token of each sorted entry
        cnt = np.diff(np.append(starts, N))
        occ = np.add.reduceat(t.counts[tok], starts) if N else np.zeros(0, dtype=np.int64)
        # each row's first token's gradient: the sum of a row of one token
        G = np.take(dHu, tok[starts], axis=0, out=None if out is None or len(out) < len(rows) else out[: len(rows)])
        multi = np.flatnonzero(cnt > 1)
        if len(multi):
            G[multi] = _group_sums(dHu, tok, starts[multi], cnt[multi])
        pmax = None
        if partner is not None:
            pmax = np.maximum.reduceat(t.partner[tok], starts) if N else np.zeros(0, dtype=np.float32)
        return Scattered(rows, G, occ, pmax)

    def round_steps(self, ids: Sequence[np.ndarray], steps: Sequence[np.ndarray], partner: Sequence[np.ndarray],
                    part: tuple[int, int] = (0, 1)) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """A round's summed step on each input row, from its batches' :meth:`token_steps`
        (``ids``, ``steps``, ``partner``: one array per batch, in batch order): ``(rows, S,
        pmax)``, the distinct rows (in no particular order), their summed steps and the largest
        partner of the tokens using each row (at least 0).

        The same sums as :meth:`scatter` batch by batch, then each row's steps added in batch
        order from its first one plus 0 (``Trainer.apply_rows``): within a batch, a row's tokens'
        steps in float64 in token order (:func:`_group_sums`); across batches, in float32 in
        batch order. Done for the whole round at once: one sort of the round's (token, row)
        entries by row, the batches' sums of each row rank by rank (a row is in at most as many
        batches as the round has), and no per-batch array of row steps. ``part = (rank, n)``:
        only the rows ``row % n == rank`` (a worker process's share of the apply)."""
        nb = len(ids)
        ub = np.array([len(i) for i in ids], dtype=np.int64)
        tokens = np.concatenate(ids) if nb > 1 else np.asarray(ids[0])
        D = np.concatenate(steps) if nb > 1 else steps[0]
        P = np.concatenate(partner) if nb > 1 else np.asarray(partner[0])
        offsets, lengths, share = self._share(part)
        lens = lengths[tokens]
        flat = share[_ranges(offsets[tokens], lens)]  # (batch, token, n-gram) order
        etok = np.repeat(np.arange(len(tokens), dtype=np.intp), lens)
        N = len(flat)
        if N == 0:
            return flat[:0], np.zeros((0, D.shape[1]), dtype=np.float32), np.zeros(0, dtype=np.float32)
        order, fs = stable_sort(flat)  # by row; within a row in batch order, then token order
        tok = etok[order]
        batch = np.repeat(np.arange(nb, dtype=np.int32), ub)[tok]
        new_row = np.empty(N, dtype=bool)
        new_row[0] = True
        np.not_equal(fs[1:], fs[:-1], out=new_row[1:])
        new_group = new_row.copy()  # a group: one row's entries from one batch
        np.not_equal(batch[1:], batch[:-1], out=new_group[1:])
        new_group |= new_row
        gstart = np.flatnonzero(new_group)
        gcount = np.diff(np.append(gstart, N))
        rstart = np.flatnonzero(new_row)
        rows = fs[rstart]
        first_group = (np.cumsum(new_group) - 1)[rstart]  # each row's first group
        groups = np.diff(np.append(first_group, len(gstart)))  # batches using each row
        # rank j (each row's j-th batch) is a prefix: rows by batches, most first (a radix sort)
        by_groups = np.argsort((nb - groups).astype(np.uint8 if nb < 256 else np.int64), kind="stable")
        has, at = _rank_major(first_group[by_groups], groups[by_groups])
        source = tok[gstart]  # each group's step: its token's, or (several tokens) their sum
        multi = np.flatnonzero(gcount > 1)
        sums = _group_sums(D, tok, gstart[multi], gcount[multi]) if len(multi) else D[:0]
        # the steps plus 0 (-0.0 becomes 0.0), so each row's first step is its first step plus 0;
        # the later ones add the same (a sum from x + 0 is never -0.0, and s + -0.0 is s + 0.0)
        D = np.concatenate([D, sums])
        D += np.float32(0)
        source[multi] = np.arange(len(D) - len(multi), len(D))  # the groups' sums after the tokens'
        X = D.take(source[at], axis=0)  # the groups' steps, rank by rank
        S = _rank_sums(X, has)
        pmax = np.maximum.reduceat(P[tok], rstart)
        np.maximum(np.float32(0), pmax, out=pmax)
        return rows[by_groups], S, pmax[by_groups]

    def vectors(self, W: np.ndarray, ids: np.ndarray | None = None) -> np.ndarray:
        """Composed vectors (mean of the rows) of ``ids`` (default: every word), in batches."""
        ids = np.arange(self.n_words) if ids is None else np.asarray(ids)
        out = np.empty((len(ids), W.shape[1]), dtype=W.dtype)
        step = 4096
        for s in range(0, len(ids), step):
            part = ids[s : s + step]
            lens = self.lengths[part]
            out[s : s + step] = mean_rows(W, self.rows[_ranges(self.offsets[part], lens)], lens)
        return out


def mean_rows(W: np.ndarray, flat: np.ndarray, lens: np.ndarray) -> np.ndarray:
    """Mean of ``W[flat]`` over consecutive segments of ``lens`` rows (all >= 1), summed in
    float64 in row order: the one rule for every composed vector a model gives out."""
    acc = np.add.reduceat(W[flat].astype(np.float64), _segments(lens), axis=0)
    return (acc / lens[:, None]).astype(W.dtype)


def oov_vector(word: str, spec: SubwordSpec, ngram_rows: np.ndarray) -> np.ndarray:
    """A word outside the vocabulary: the mean of its n-gram rows (zeros if it has none).

    ``ngram_rows`` is the (buckets, dim) bucket part of the input matrix. Summed in float64 in
    the n-gram order, like :meth:`SubwordRows.vectors`.
    """
    b = ngram_buckets(word, spec.minn, spec.maxn, spec.buckets)
    if not len(b):
        return np.zeros(ngram_rows.shape[1], dtype=ngram_rows.dtype)
    return mean_rows(ngram_rows, b, np.array([len(b)]))[0]


# -- a trained model's vectors of any word ---------------------------------------------------------
SUBWORDS_OBJECT = "subwords"  # the model's subwords.json: n-gram lengths and buckets
INPUT_ROWS_ARRAY = "input_rows"  # the model's input_rows.npy: word rows, then the bucket rows


class SubwordVectors:
    """The n-gram rows of a model trained with subwords: a vector for any word.

    A vocabulary word's vector is its table row (already the mean of its word row and its
    n-gram rows); any other word's is the mean of its n-gram rows (:func:`oov_vector`), as
    fastText's ``print-word-vectors`` does.
    """

    def __init__(self, spec: SubwordSpec, ngram_rows: np.ndarray):
        self.spec = spec
        self.ngram_rows = ngram_rows

    @classmethod
    def from_model(cls, model) -> "SubwordVectors | None":
        """The model's subword rows, or None for a model without subwords; checks the shapes."""
        from .errors import FormatError

        data = model.objects.get(SUBWORDS_OBJECT)
        if data is None:
            return None
        name = model.path or "model"
        spec = SubwordSpec.from_dict(data, f"{name}: {SUBWORDS_OBJECT}.json")
        rows = model.arrays.get(INPUT_ROWS_ARRAY)
        if rows is None:
            raise FormatError(f"{name}: has {SUBWORDS_OBJECT}.json but no {INPUT_ROWS_ARRAY}.npy")
        expected = (len(model.vocab) + spec.buckets, model.dim)
        if rows.shape != expected or rows.dtype != np.float32:
            raise FormatError(f"{name}: {INPUT_ROWS_ARRAY}.npy has shape {rows.shape} ({rows.dtype}), "
                              f"expected {expected} float32")
        return cls(spec, rows[len(model.vocab):])

    def vector(self, token: str) -> np.ndarray:
        """The mean of the token's n-gram rows (zeros when it has no n-gram)."""
        return oov_vector(token, self.spec, self.ngram_rows)

    def ngrams(self, token: str) -> list[tuple[str, int]]:
        """``(n-gram, bucket)`` pairs of a token, in fastText's order."""
        grams = char_ngrams(token, self.spec.minn, self.spec.maxn)
        buckets = (fnv1a(grams) % np.uint32(self.spec.buckets)).astype(np.int64)
        return list(zip(grams, buckets.tolist()))


@dataclass(repr=False)
class WordVector:
    word: str  # as asked
    token: str  # after the vocabulary's normalisation
    index: int | None  # the vocabulary row, None for a word composed from its n-grams (or unknown)
    vector: np.ndarray
    known: bool = field(default=True, repr=False)  # False: an unknown word given zeros (``oov="zero"``)

    @property
    def source(self) -> str:
        if self.index is not None:
            return "vocabulary"
        return "subwords" if self.known else "unknown"

    def __repr__(self) -> str:  # one line in a notebook: vector=float32[100]
        from .inspect import compact_repr

        return compact_repr(self)


WORD_OOV = ("error", "skip", "zero")


def word_vectors(model, words: Iterable[str], oov: str = "error") -> list[WordVector]:
    """The vector of each word: its table row, or (a model with subwords) the mean of its n-gram
    rows for a word outside the vocabulary. Without subwords an unknown word is, by ``oov``, an
    error naming it (``"error"``), left out (``"skip"``) or a zero vector (``"zero"``, what
    fastText's print-word-vectors gives without n-grams).

    Words are normalised with the vocabulary's settings first (``Apple`` -> ``apple`` in a
    lower-cased vocabulary); the specials (``<pad>``, ``<unk>``) are their rows. A word that is
    not one token once normalised (``e.g.``, ``--``) has no vector, with subwords too: with
    ``"skip"`` and ``"zero"`` it is an unknown word (its token the word as given).
    """
    from .inspect import word_index, word_token

    if oov not in WORD_OOV:
        raise ParameterError("{oov} must be one of error, skip, zero (got {value!r})", "oov", value=oov)
    sub = model.subwords
    out = []
    for word in words:
        try:
            token = word_token(model.vocab, word)
        except UsageError:  # several tokens or none
            if oov == "error":
                raise
            token = None
        i = None if token is None else model.vocab.index.get(token)
        if i is None:
            if sub is not None and token is not None:
                out.append(WordVector(word, token, None, sub.vector(token)))
            elif oov == "zero":
                out.append(WordVector(word, token or word, None, np.zeros(model.table.shape[1], np.float32),
                                      known=False))
            elif oov == "error":
                word_index(model.vocab, word)  # the unknown-word error, with close spellings
        else:
            out.append(WordVector(word, token, int(i), np.asarray(model.table[i])))
    return out


@dataclass(repr=False)
class SubwordExplanation:
    """How a word outside the vocabulary gets its vector: the multi-hot vector of its n-gram
    buckets times the n-gram rows, divided by the number of n-grams (``--explain``)."""

    word: str
    token: str
    ngrams: list[tuple[str, int]]  # (n-gram, bucket) in fastText's order
    counts: np.ndarray  # (buckets,) how often each bucket occurs (the multi-hot vector)
    vector: np.ndarray  # the composed vector (mean of the n-gram rows, as every command uses it)
    product: np.ndarray  # counts @ ngram_rows / n, computed here
    equal: bool
    max_abs_difference: float

    def __repr__(self) -> str:
        from .inspect import compact_repr

        return compact_repr(self)


def explain_subwords(model, word: str) -> SubwordExplanation:
    """The n-grams, buckets and composed vector of a word outside the vocabulary of ``model``."""
    from .inspect import word_token

    sub = model.subwords
    token = word_token(model.vocab, word)
    grams = sub.ngrams(token)
    counts = np.zeros(sub.spec.buckets, dtype=np.float32)
    for _, b in grams:
        counts[b] += 1
    vector = sub.vector(token)
    if grams:
        product = ((counts.astype(np.float64) @ sub.ngram_rows.astype(np.float64)) / len(grams)).astype(np.float32)
    else:
        product = np.zeros(model.dim, dtype=np.float32)
    diff = float(np.max(np.abs(product.astype(np.float64) - vector))) if vector.size else 0.0
    return SubwordExplanation(word, token, grams, counts, vector, product, diff <= 1e-6 * max(1.0, float(np.abs(vector).max(initial=0))), diff)
