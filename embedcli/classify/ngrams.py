"""Word n-grams of the classifier: hashes and buckets as fastText computes them, stored compactly.

The n-gram of the words at positions ``i..i+n-1`` has the 64-bit hash ``h = hash(w_i)``, then
``h = h * 116049371 + hash(w_j)`` for each next word (unsigned 64-bit arithmetic), fastText's
``Dictionary::addWordNgrams``; its bucket is ``h mod buckets``. ``hash`` is fastText's 32-bit
FNV-1a of the token's UTF-8 bytes (:func:`embedcli.subwords.fnv1a`, the one implementation), so
the bucket depends only on the words, never on Python's salted ``hash()`` nor on the vocabulary
order, and n-grams around out-of-vocabulary words still get a bucket, as in fastText.

fastText stores all ``buckets`` rows (2,000,000 × dim floats by default, 800 MB at dim 100,
whatever the data). embedcli stores only the rows of the buckets that some training n-gram
fell in (:class:`NgramRows`: the sorted used bucket ids, row ``r`` = bucket ``used[r]``). An
n-gram met only at prediction time whose bucket no training n-gram used has no row and is left
out of the phrase's mean, like an unknown word (fastText would average in that bucket's
untrained random row, which carries no information).
"""

from __future__ import annotations

import numpy as np

from ..subwords import MAX_BUCKETS, default_buckets, fnv1a  # noqa: F401  (re-exported)

NGRAM_MULTIPLIER = 116049371  # fastText's Dictionary::addWordNgrams


def ngram_hashes(hashes: np.ndarray, lengths: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """64-bit hash of every word n-gram (sizes 2..n) of the lines, and the line each belongs to.

    ``hashes`` are the token hashes of all lines concatenated, ``lengths`` the number of tokens of
    each line. Returns ``(hashes uint64, line index int64)`` in fastText's order: by start
    position (so sorted by line), then by size.
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    total = int(lengths.sum())
    if n < 2 or total == 0:
        return np.zeros(0, np.uint64), np.zeros(0, np.int64)
    line_of = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
    starts = np.cumsum(lengths) - lengths
    remaining = lengths[line_of] - (np.arange(total, dtype=np.int64) - starts[line_of])  # incl. self
    h64 = np.asarray(hashes, dtype=np.uint32).astype(np.uint64)
    acc = h64.copy()
    mult = np.uint64(NGRAM_MULTIPLIER)
    out_h, out_line, out_pos = [], [], []
    for k in range(1, n):
        if total - k <= 0:
            break
        acc = acc[: total - k] * mult + h64[k:]  # wraps modulo 2**64 like fastText's uint64_t
        valid = remaining[: total - k] > k
        if not valid.any():
            break
        out_h.append(acc[valid])
        out_line.append(line_of[: total - k][valid])
        out_pos.append(np.flatnonzero(valid) * n + k)
    if not out_h:
        return np.zeros(0, np.uint64), np.zeros(0, np.int64)
    order = np.argsort(np.concatenate(out_pos), kind="stable")  # position order = line order
    return np.concatenate(out_h)[order], np.concatenate(out_line)[order]


def ngram_buckets(
    hashes: np.ndarray, lengths: np.ndarray, n: int, buckets: int
) -> tuple[np.ndarray, np.ndarray]:
    """fastText's bucket (``hash mod buckets``, int64) of every word n-gram, and its line."""
    h, lines = ngram_hashes(hashes, lengths, n)
    if buckets <= 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return (h % np.uint64(buckets)).astype(np.int64), lines


class NgramRows:
    """Which stored row a word n-gram uses: bucket ``hash mod buckets``, then its compact row.

    ``used``: the sorted bucket ids that have a row (row ``r`` holds bucket ``used[r]``).
    """

    def __init__(self, buckets: int, used: np.ndarray):
        self.buckets = int(buckets)
        self.used = np.asarray(used, dtype=np.int64)

    @classmethod
    def from_hashes(cls, distinct_hashes: np.ndarray, buckets: int) -> "NgramRows":
        """The rows for the training n-grams (their distinct 64-bit hashes)."""
        return cls(buckets, np.unique(np.asarray(distinct_hashes, dtype=np.uint64) % np.uint64(buckets)))

    def __len__(self) -> int:
        return len(self.used)

    def rows(self, hashes: np.ndarray) -> np.ndarray:
        """Row of each n-gram hash (int64), -1 where its bucket has no row."""
        b = (np.asarray(hashes, dtype=np.uint64) % np.uint64(self.buckets)).astype(np.int64)
        if not len(self.used):
            return np.full(len(b), -1, dtype=np.int64)
        r = np.minimum(np.searchsorted(self.used, b), len(self.used) - 1)
        return np.where(self.used[r] == b, r, -1)


class DistinctHashes:
    """The distinct n-gram hashes of a stream of blocks (memory grows with the distinct n-grams)."""

    def __init__(self, merge_every: int = 1 << 22):
        self.merged = np.zeros(0, dtype=np.uint64)
        self.pending: list[np.ndarray] = []
        self.pending_size = 0
        self.merge_every = merge_every

    def add(self, hashes: np.ndarray) -> None:
        if len(hashes):
            block = np.unique(hashes)
            self.pending.append(block)
            self.pending_size += len(block)
            if self.pending_size >= self.merge_every:
                self._merge()

    def _merge(self) -> None:
        if self.pending:
            self.merged = np.unique(np.concatenate([self.merged, *self.pending]))
            self.pending, self.pending_size = [], 0

    def result(self) -> np.ndarray:
        self._merge()
        return self.merged


# -- character n-grams (fastText's -minn/-maxn in supervised mode) ------------------------------
def char_ngram_hashes(tokens, minn: int, maxn: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The character n-grams of ``tokens`` (:func:`embedcli.subwords.char_ngrams`, fastText's
    ``computeSubwords``): ``(hash of each distinct n-gram uint32, offsets (T+1,), flat index)``;
    token ``i``'s n-grams are ``hashes[flat[offsets[i]:offsets[i+1]]]``, in fastText's order."""
    from ..subwords import vocab_ngrams

    grams, offsets, flat = vocab_ngrams(list(tokens), minn, maxn)
    return fnv1a(grams), offsets, flat


def token_rows(word_ids: np.ndarray, gram_hashes: np.ndarray, offsets: np.ndarray, flat: np.ndarray,
               ngrams: NgramRows, n_words: int) -> tuple[np.ndarray, np.ndarray]:
    """The input rows of each token with character n-grams, as CSR ``(offsets (T+1,), rows)``.

    Token ``i`` (from :func:`char_ngram_hashes`) has its word row ``word_ids[i]`` first when it
    has one (>= 0), then ``n_words + row`` of each of its n-grams whose bucket has a row in
    ``ngrams`` (all of them at training; at prediction an n-gram of a bucket no training n-gram
    used is left out, like a word n-gram). This is fastText's ``Dictionary::addSubwords``.
    """
    word_ids = np.asarray(word_ids, dtype=np.int64)
    n = len(word_ids)
    grow = ngrams.rows(np.asarray(gram_hashes, dtype=np.uint64))[flat] if len(flat) else np.zeros(0, np.int64)
    token_of = np.repeat(np.arange(n, dtype=np.int64), np.diff(offsets))
    keep = grow >= 0
    kept_tok = token_of[keep]
    kept = np.bincount(kept_tok, minlength=n)
    has_word = (word_ids >= 0).astype(np.int64)
    out_off = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(has_word + kept, out=out_off[1:])
    rows = np.empty(int(out_off[-1]), dtype=np.int64)
    rows[out_off[:-1][has_word > 0]] = word_ids[has_word > 0]
    rank = np.arange(len(kept_tok), dtype=np.int64) - (np.cumsum(kept) - kept)[kept_tok]
    rows[out_off[kept_tok] + has_word[kept_tok] + rank] = n_words + grow[keep]
    return out_off, rows
