"""Streaming (the brief): memory grows with the vocabulary, never with the corpus.

The peak of the allocations traced by ``tracemalloc`` (NumPy arrays and Python objects of this
process) while encoding a corpus and while training one epoch on it, for a corpus and for the
same text four times over: the same vocabulary and the same word frequencies (so the same
subsampling), four times the tokens. The read sizes (text chunks, id blocks, the trainer's
blocks and chunks) are made small so that both corpora span many of them. Not timed.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from embedcli import corpus as corpus_mod
from embedcli import io
from embedcli.config import merge
from embedcli.corpus import encode_corpus
from embedcli.sgd import trainer as trainer_mod
from embedcli.sgd.run import trainable_rows
from embedcli.sgd.trainer import Trainer, init_state


def _write(path, times: int) -> str:
    rng = np.random.default_rng(0)
    words = np.array([f"w{i}" for i in range(1500)])
    ids = rng.zipf(1.3, 24_000) % len(words)
    text = "\n".join(" ".join(words[ids[i : i + 15]]) for i in range(0, len(ids), 15)) + "\n"
    path.write_text(text * times, encoding="utf-8")
    return str(path)


@pytest.fixture
def small_reads(monkeypatch):
    monkeypatch.setattr(io, "CHUNK_BYTES", 1 << 14)
    monkeypatch.setattr(corpus_mod, "BLOCK", 1 << 12)
    monkeypatch.setattr(trainer_mod, "READ_BLOCK", 1 << 11)
    monkeypatch.setattr(trainer_mod, "READ_CHUNK", 1 << 9)


def _peaks(path: str, workers: int = 1) -> tuple[int, int, int]:
    """(encoding peak, training peak, words per epoch): traced bytes above what was live before."""
    settings = merge({}, dict(corpus=[path], epochs=1, dim=32, window=5, negative=5, min_count=1,
                              round_batches=4, batch_words=256, seed=3))
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        vocab, corpus = encode_corpus([path], min_count=1)
        encoding = tracemalloc.get_traced_memory()[1] - base
        with corpus:
            trainable = trainable_rows(vocab)
            trainer = Trainer(corpus, np.array(vocab.counts), trainable, settings, workers)
            state = init_state(len(vocab), 32, 3, trainable)
            base = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
            trainer.run(state)
            training = tracemalloc.get_traced_memory()[1] - base
            words = corpus.n_words
    finally:
        tracemalloc.stop()
    return encoding, training, words


def test_memory_does_not_grow_with_the_corpus(tmp_path, small_reads):
    enc1, train1, words1 = _peaks(_write(tmp_path / "x1.txt", 1))
    enc4, train4, words4 = _peaks(_write(tmp_path / "x4.txt", 4))
    assert words4 == 4 * words1 and words1 > 10 * trainer_mod.READ_BLOCK
    # min count 1: the same vocabulary, the same frequencies; the peaks are the same but for allocator noise
    assert train4 <= train1 * 1.1 + (64 << 10), (train1, train4)
    assert enc4 <= enc1 * 1.1 + (64 << 10), (enc1, enc4)


def test_a_block_is_read_and_subsampled_in_chunks(tmp_path, monkeypatch):
    """The trainer never holds a block's arrays of draws, masks and negatives (about 70 bytes per
    entry before it streamed them): the kept tokens' ids, sentence numbers and window sizes
    (9 bytes each, briefly twice while joined) and one chunk's and one span's arrays."""
    monkeypatch.setattr(trainer_mod, "READ_BLOCK", 1 << 18)
    monkeypatch.setattr(trainer_mod, "READ_CHUNK", 1 << 12)
    path = _write(tmp_path / "x4.txt", 4)
    vocab, corpus = encode_corpus([path], min_count=5)
    settings = merge({}, dict(corpus=[path], epochs=1, window=5, negative=5, sample=0.0, round_batches=4))
    with corpus:
        trainer = Trainer(corpus, np.array(vocab.counts), trainable_rows(vocab), settings, 1)
        assert 100_000 < corpus.n_entries < trainer_mod.READ_BLOCK  # one block, all of it kept (sample 0)
        tracemalloc.start()
        try:
            base = tracemalloc.get_traced_memory()[0]
            n = sum(1 for _ in trainer._batches(0))
            peak = tracemalloc.get_traced_memory()[1] - base
        finally:
            tracemalloc.stop()
    assert n > 100
    assert peak < 36 * corpus.n_entries, peak / corpus.n_entries
