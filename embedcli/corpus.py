"""Corpus → integer ids, once, on disk.

Training reads the corpus many times (once per epoch). :func:`encode_corpus` tokenises it
once, streaming, into a flat ``int32`` array in an :class:`embedcli.idstore.IdStore` (a
temporary file without a name, freed even when the process is killed): one vocabulary id per
in-vocabulary word and :data:`SENTENCE_BREAK` (``-1``) at the end of every line. Lines longer
than :data:`MAX_SENTENCE` tokens are cut into pieces of that length, like gensim's
``LineSentence``. Words below ``min_count`` are dropped (as word2vec does), so a window spans
over them. Memory grows with the vocabulary, never with the corpus: the text is read in
chunks and the ids are appended to a file, then remapped block by block.

Counting and encoding share one tokenisation pass: tokens get provisional ids in order of
first appearance while the counts are collected; once the vocabulary is known (min_count,
max_size), the provisional ids are remapped to vocabulary ids.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from typing import Callable, Iterator, Sequence

import numpy as np

from .errors import EmbedcliError
from .heap import trim
from .idstore import IdStore
from .io import display_name, expand_inputs, iter_chunks
from .text import TextSettings, normalize
from .tokenizer import line_token_pattern
from .vocab import Vocab, build_vocab

SENTENCE_BREAK = -1
MAX_SENTENCE = 10_000
BLOCK = 1 << 18  # ids per block when remapping / reading
SCAN_CHUNK = 1 << 18  # bytes of text tokenised at a time (a chunk's token strings: ~14x its bytes)


@dataclass
class EncodedCorpus:
    """A corpus encoded as vocabulary ids, in an :class:`~embedcli.idstore.IdStore`."""

    store: IdStore
    n_entries: int  # ids + sentence breaks
    n_words: int  # in-vocabulary words (the words of one epoch before subsampling)
    n_sentences: int
    corpus_tokens: int  # all tokens read, in the vocabulary or not

    def ids(self) -> np.ndarray:
        """The whole id array in memory (for inspection and tests; training uses :meth:`blocks`)."""
        return self.store.array()

    def blocks(self, size: int = BLOCK) -> Iterator[np.ndarray]:
        """The ids in blocks of ``size``, read with plain file reads (bounded memory)."""
        return self.store.blocks(size)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> "EncodedCorpus":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class _Index(dict):
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


def _cut_long_lines(arr: np.ndarray, run: int) -> tuple[np.ndarray, int]:
    """Insert line ends (0) so that no line has more than MAX_SENTENCE tokens.

    ``run`` is the number of tokens of the current line already written (the line started
    in an earlier chunk). Returns the array and the run length at its end.
    """
    seps = np.flatnonzero(arr == 0)
    bounds = np.concatenate([[-1], seps, [len(arr)]])
    lengths = np.diff(bounds) - 1
    lengths[0] += run
    if lengths.max() <= MAX_SENTENCE:
        return arr, int(lengths[-1])
    out: list[int] = []
    for value in arr.tolist():
        if value == 0:
            out.append(0)
            run = 0
            continue
        if run == MAX_SENTENCE:
            out.append(0)
            run = 0
        out.append(value)
        run += 1
    return np.asarray(out, dtype=np.int32), run


def _scan(
    paths: Sequence[str],
    settings: TextSettings,
    out: IdStore,
    *,
    encoding_errors: str,
    progress: Callable[[int], None] | None,
    index: dict[str, int] | None = None,
) -> tuple[list[str], np.ndarray, int, int]:
    """Tokenise ``paths``; append ``provisional id + 1`` per token and 0 per line end to ``out``.

    One regular-expression pass per chunk finds the words and the line ends together. With a
    fixed ``index`` (token -> id), unknown tokens are written as ``len(index) + 1`` and no new
    ids are made. Returns the tokens by provisional id, their counts, tokens read, entries.
    """
    ids_of = _Index(index)
    pattern = line_token_pattern(settings)
    n_tokens = 0
    n_entries = 0
    counts = np.zeros(0, dtype=np.int64)
    for path in paths:
        run = 0
        last = 0
        for chunk in iter_chunks(path, encoding_errors=encoding_errors, progress=progress, chunk_bytes=SCAN_CHUNK):
            found = pattern.findall(normalize(chunk, settings))
            if not found:
                continue
            arr = np.array([ids_of[t] for t in found], dtype=np.int32)
            arr += 1
            is_end = arr == 0
            repeated = np.empty_like(is_end)  # empty lines: a line end right after another
            repeated[0] = is_end[0] and last == 0
            np.logical_and(is_end[1:], is_end[:-1], out=repeated[1:])
            if repeated.any():
                arr = arr[~repeated]
                if not len(arr):
                    continue
            arr, run = _cut_long_lines(arr, run)
            words = arr[arr > 0]
            n_tokens += len(words)
            out.append(arr)
            n_entries += len(arr)
            last = int(arr[-1])
            chunk_counts = np.bincount(words, minlength=len(counts) + 1)[1:]
            if len(counts) < len(chunk_counts):
                counts = np.concatenate([counts, np.zeros(len(chunk_counts) - len(counts), np.int64)])
            counts[: len(chunk_counts)] += chunk_counts
        if last != 0:  # the file does not end with a newline: end its last line
            out.append(np.zeros(1, dtype=np.int32))
            n_entries += 1
    # fresh copies of the distinct tokens: the originals were made among each chunk's transient
    # strings and would keep most of those strings' memory pages from being freed
    tokens = [t.encode().decode() for t in ids_of.tokens()] if ids_of.growing else []
    size = len(tokens) if ids_of.growing else len(index or {}) + 1
    if len(counts) < size:
        counts = np.concatenate([counts, np.zeros(size - len(counts), np.int64)])
    return tokens, counts, n_tokens, n_entries


def encode_corpus(
    paths: Sequence[str | os.PathLike],
    settings: TextSettings = TextSettings(),
    *,
    min_count: int = 5,
    max_size: int | None = None,
    vocab: Vocab | None = None,
    encoding_errors: str = "strict",
    progress: Callable[[int], None] | None = None,
    tmp_dir: str | None = None,
    order: str = "appearance",
) -> tuple[Vocab, EncodedCorpus]:
    """Build the vocabulary (unless ``vocab`` is given) and encode the corpus, in one pass.

    Returns the vocabulary and an :class:`EncodedCorpus` whose store the caller closes with
    ``close()`` (or a ``with`` block). ``tmp_dir`` is where the id store lives (default:
    ``TMPDIR`` or the system's temporary directory).
    """
    paths = expand_inputs([os.fspath(p) for p in paths])
    if not paths:
        raise EmbedcliError("no corpus given: pass CORPUS files or set 'corpus' in the config file")
    if vocab is not None:
        settings = vocab.settings
    raw = IdStore(np.int32, tmp_dir)
    ids = None
    try:
        fixed = dict(vocab.index) if vocab is not None else None
        tokens, counts, n_tokens, n_raw = _scan(
            paths, settings, raw, encoding_errors=encoding_errors, progress=progress, index=fixed
        )
        names = ", ".join(display_name(p) for p in paths)
        if n_tokens == 0:
            raise EmbedcliError(f"{names}: no words found (empty corpus?)")
        if vocab is None:
            counter = Counter(dict(zip(tokens, counts.tolist())))
            vocab = build_vocab(counter, n_tokens, settings, min_count=min_count, max_size=max_size,
                                source=names, order=order)
            del counter
        specials = set(vocab.specials.values())
        # remap[raw] -> final id; raw 0 = sentence break -> -1; dropped words -> -2
        vindex = vocab.index
        if fixed is None:
            remap = np.full(len(tokens) + 1, -2, dtype=np.int32)
            for p, tok in enumerate(tokens):
                v = vindex.get(tok)
                if v is not None and tok not in specials:
                    remap[p + 1] = v
        else:
            remap = np.full(len(vocab) + 2, -2, dtype=np.int32)
            for tok, v in vindex.items():
                if tok not in specials:
                    remap[v + 1] = v
        remap[0] = SENTENCE_BREAK
        # plain reads and writes, block by block (no memory map: touched pages of a map count
        # in the resident size, which would then grow with the corpus)
        ids = IdStore(np.int32, tmp_dir)
        kept_words = n_sentences = 0
        for block in raw.blocks(BLOCK):
            block = remap[block]
            block = block[block != -2]
            ids.append(block)
            n_sentences += int(np.count_nonzero(block == SENTENCE_BREAK))
            kept_words += int(np.count_nonzero(block >= 0))
        raw.close()
        if kept_words == 0:
            raise EmbedcliError(f"{names}: no word of the corpus is in the vocabulary; nothing to train on")
        del tokens, counts, remap
        trim()  # the scan's freed chunks go back to the system before training allocates
        return vocab, EncodedCorpus(ids, ids.count, kept_words, n_sentences, n_tokens)
    except BaseException:
        raw.close()
        if ids is not None:
            ids.close()
        raise
