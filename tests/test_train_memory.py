"""Streaming (the brief): memory grows with the vocabulary, never with the corpus.

The peak of the allocations traced by ``tracemalloc`` (NumPy arrays and Python objects) while
encoding a corpus and while training one epoch on it, for a corpus and for the same text four
times over: the same vocabulary and the same word frequencies (so the same subsampling), four
times the tokens. The read sizes are made small so that both corpora span many reads. Each
measurement runs in a fresh interpreter (``support.train_memory``). Not timed.
"""

from __future__ import annotations

from support.train_memory import measure, write_corpus


def test_memory_does_not_grow_with_the_corpus(tmp_path):
    one = measure("peaks", write_corpus(tmp_path / "x1.txt", 1))
    four = measure("peaks", write_corpus(tmp_path / "x4.txt", 4))
    assert four["words"] == 4 * one["words"] and one["words"] > 10 * one["read_block"]
    # the same vocabulary and frequencies: the same peaks but for allocator noise
    assert four["training"] <= one["training"] * 1.1 + (64 << 10), (one, four)
    assert four["encoding"] <= one["encoding"] * 1.1 + (64 << 10), (one, four)


def test_a_block_is_read_and_subsampled_in_chunks(tmp_path):
    """The trainer never holds a block's arrays of draws, masks and negatives (about 75 bytes per
    entry before it streamed them): the kept tokens' ids, sentence numbers and window sizes
    (9 bytes each, briefly twice while joined) and one chunk's and one span's arrays."""
    r = measure("block", write_corpus(tmp_path / "x4.txt", 4))
    assert 100_000 < r["entries"] < r["read_block"]  # one block, all of it kept (sample 0)
    assert r["batches"] > 100
    assert r["peak"] < 45 * r["entries"], r["peak"] / r["entries"]  # 31 measured, 75 before
