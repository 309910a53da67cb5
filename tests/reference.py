"""Reference implementations the tests compare the library's fast paths with (not part of the
library: plain, obviously correct, slow)."""

from __future__ import annotations

import os
from collections import Counter
from typing import Iterable, Sequence

import numpy as np

from embedcli.encode import encode_tokens_lines
from embedcli.io import iter_chunks
from embedcli.text import TextSettings
from embedcli.tokenizer import iter_tokens
from embedcli.vocab import Vocab


def count_tokens_simple(
    paths: Sequence[str | os.PathLike],
    settings: TextSettings = TextSettings(),
    *,
    encoding_errors: str = "strict",
) -> tuple[Counter, int]:
    """What :func:`embedcli.vocab.count_tokens` computes, one regex pass per chunk: counts in order
    of first appearance and the number of tokens."""
    counts: Counter = Counter()
    total = 0
    for path in paths:
        chunks = iter_chunks(path, encoding_errors=encoding_errors)
        for tokens in iter_tokens(chunks, settings):
            counts.update(tokens)
            total += len(tokens)
    return counts, total


def encode_phrases(phrases: Iterable[str], vocab: Vocab, oov: str = "unk") -> list[list[int]]:
    """Id lists of phrases, one regex tokenisation per phrase (what the fast file path must give)."""
    return list(encode_tokens_lines(phrases, vocab, oov))


class _RegexIndex(dict):
    """token -> provisional id (order of first appearance); ``"\n"`` -> -1 (line end)."""

    def __init__(self, fixed: dict[str, int] | None = None):
        super().__init__()
        self.growing = fixed is None
        self.unknown = 0
        if fixed is not None:
            self.update(fixed)
            self.unknown = len(fixed)  # fixed vocabulary: unknown tokens get len(fixed)
        self["\n"] = -1

    def __missing__(self, token: str) -> int:
        if not self.growing:
            return self.unknown
        value = self[token] = len(self) - 1
        return value

    def tokens(self) -> list[str]:
        return [t for t in self if t != "\n"]


def scan_regex(paths, settings, out, *, encoding_errors, progress, index=None):
    """What :func:`embedcli.corpus._scan` computes (the same arguments and result), through the
    reference regex path: each chunk of :func:`~embedcli.io.iter_chunks` decoded, normalised and
    matched with :func:`~embedcli.tokenizer.line_token_pattern` (tokens and line ends in one pass).
    This was the library's scan until the byte-level one replaced it."""
    import numpy as np

    from embedcli import corpus
    from embedcli.text import normalize
    from embedcli.tokenizer import line_token_pattern

    ids_of = _RegexIndex(index)
    pattern = line_token_pattern(settings)
    entries = corpus.ScanEntries(out)  # what the scan stores of the ids (empty lines, long lines, counts)
    for path in paths:
        entries.start_file()
        for chunk in iter_chunks(path, encoding_errors=encoding_errors, progress=progress,
                                 chunk_bytes=corpus.SCAN_CHUNK):
            found = pattern.findall(normalize(chunk, settings))
            if found:
                entries.add(np.array([ids_of[t] for t in found], dtype=np.int32) + 1)
        entries.end_file()
    tokens = ids_of.tokens() if ids_of.growing else []
    size = len(tokens) if ids_of.growing else len(index or {}) + 1
    return tokens, entries.counts_of(size), entries.n_tokens, entries.n_entries


def pair_mask_simple(sent, reduced, centre, window: int):
    """What :func:`embedcli.sgd.sgns.pair_mask` computes, for any sentence ids: each token's id
    compared with those of its whole window (0 outside the tokens), the reduced window, not the
    centre itself, ``centre`` (None: all)."""
    K = 2 * window + 1
    sent1 = np.asarray(sent).astype(np.int64) + 1
    padded = np.concatenate([np.zeros(window, np.int64), sent1, np.zeros(window, np.int64)])
    around = np.stack([padded[k : k + len(sent1)] for k in range(K)], axis=1)
    mask = around == sent1[:, None]
    mask &= np.asarray(reduced)[:, None] >= np.abs(np.arange(K) - window)[None, :]
    mask[:, window] = False
    if centre is not None:
        mask &= np.asarray(centre, dtype=bool)[:, None]
    return mask


def apply_rows_simple(W, ids, steps, partner, part, bound):
    """Trainer.apply_rows as first written: zeros, np.add.at of every step in batch and entry
    order, the per-row factor on every row, W[rows] += S."""
    rank, n_parts = part
    sel = [(i % n_parts) == rank for i in ids]
    all_ids = np.concatenate([i[s] for i, s in zip(ids, sel)])
    if len(all_ids) == 0:
        return
    G = np.concatenate([g[s] for g, s in zip(steps, sel)])
    rows, inverse = np.unique(all_ids, return_inverse=True)
    S = np.zeros((len(rows), W.shape[1]), dtype=np.float32)
    np.add.at(S, inverse, G)
    pmax = np.zeros(len(rows), dtype=np.float32)
    np.maximum.at(pmax, inverse, np.concatenate([c[s] for c, s in zip(partner, sel)]).astype(np.float32))
    norm = np.sqrt(np.einsum("ij,ij->i", S, S)) * pmax
    S *= (np.float32(bound) / np.maximum(norm, np.float32(bound)))[:, None]
    W[rows] += S
