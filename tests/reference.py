"""Reference implementations the tests compare the library's fast paths with (not part of the
library: plain, obviously correct, slow)."""

from __future__ import annotations

import os
from collections import Counter
from typing import Iterable, Sequence

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
