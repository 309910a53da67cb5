"""Streaming (the brief): memory grows with the vocabulary, never with the corpus.

The peak of the allocations traced by ``tracemalloc`` (NumPy arrays and Python objects) while
encoding a corpus and while training one epoch on it, for a corpus and for the same text four
times over: the same vocabulary and the same word frequencies (so the same subsampling), four
times the tokens. The read sizes are made small so that both corpora span many reads. And the
peak resident size of the whole run (the trainer process, the encoding and worker processes) for
a corpus and six times as much. Each measurement runs in a fresh interpreter
(``support.train_memory``). Not timed.
"""

from __future__ import annotations

import os

import pytest

from support.train_memory import measure, write_corpus


def test_memory_does_not_grow_with_the_corpus(tmp_path):
    one = measure("peaks", write_corpus(tmp_path / "x1.txt", 1))
    four = measure("peaks", write_corpus(tmp_path / "x4.txt", 4))
    assert four["words"] == 4 * one["words"] and one["words"] > 10 * one["read_block"]
    # the same vocabulary and frequencies: the same peaks but for allocator noise
    assert four["training"] <= one["training"] * 1.1 + (64 << 10), (one, four)
    assert four["encoding"] <= one["encoding"] * 1.1 + (64 << 10), (one, four)


def test_a_block_holds_its_window_sizes_not_its_tokens(tmp_path):
    """Batches of a block are made from a second read of the block (the same draws), so the
    trainer holds one byte per kept token (its window size) and a span's arrays, never the
    block's ids and sentence numbers (9 bytes per entry and twice that while joined before)."""
    two = measure("block", write_corpus(tmp_path / "x2.txt", 2))
    eight = measure("block", write_corpus(tmp_path / "x8.txt", 8))
    assert 200_000 < eight["entries"] < eight["read_block"]  # one block, all of it kept (sample 0)
    assert two["batches"] > 2 * 64  # both have several spans of batches
    per_entry = (eight["peak"] - two["peak"]) / (eight["entries"] - two["entries"])
    assert per_entry < 3, (two, eight)  # 1.0 measured; 9-18 before


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads VmHWM from /proc")
def test_resident_size_does_not_grow_with_the_corpus(tmp_path):
    """The whole run through the library as the command runs it (malloc tuned, two worker
    processes, the corpus encoded in a child process), on a corpus and on the same text 6 times
    over (0.6M more entries: 2.6 MB of ids if they were held or mapped): the peak resident size
    of the trainer process and of the largest child process (``getrusage``) stay the same."""
    small = measure("rss", write_corpus(tmp_path / "x5.txt", 5), 2)
    big = measure("rss", write_corpus(tmp_path / "x30.txt", 30), 2)
    assert big["words"] == 6 * small["words"]
    assert big["self"] - small["self"] < 1024, (small, big)  # KiB: 0.1-0.4 MB of allocator noise seen
    assert big["children"] - small["children"] < 1024, (small, big)
