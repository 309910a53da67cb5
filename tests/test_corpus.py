"""Corpus encoding for training: ids, sentence breaks, dropped words, long lines."""

import numpy as np
import pytest

from embedcli import corpus as corpus_mod
from embedcli.corpus import SENTENCE_BREAK, encode_corpus
from embedcli.errors import EmbedcliError
from embedcli.vocab import Vocab


def test_ids_and_sentence_breaks(tmp_path):
    p = tmp_path / "c.txt"
    p.write_text("a b c a\n\nb rare a\nc\n", encoding="utf-8")
    vocab, enc = encode_corpus([p], min_count=2)
    with enc:
        assert vocab.tokens == ["<pad>", "<unk>", "a", "b", "c"]
        assert vocab.counts[1] == 1  # "rare" is counted as unknown
        ids = enc.ids().tolist()
        a, b, c = 2, 3, 4
        assert ids == [a, b, c, a, -1, b, a, -1, c, -1]  # rare word dropped, empty line skipped
        assert enc.n_words == 7 and enc.corpus_tokens == 8 and enc.n_sentences == 3
        blocks = list(enc.blocks(4))
        assert np.concatenate(blocks).tolist() == ids
    assert enc.store.closed  # the id store (an unnamed temporary file) is freed


def test_long_lines_are_cut(tmp_path, monkeypatch):
    monkeypatch.setattr(corpus_mod, "MAX_SENTENCE", 3)
    p = tmp_path / "c.txt"
    p.write_text("x " * 7 + "\n", encoding="utf-8")
    vocab, enc = encode_corpus([p], min_count=1)
    with enc:
        assert enc.ids().tolist() == [2, 2, 2, -1, 2, 2, 2, -1, 2, -1]


def test_fixed_vocabulary(tmp_path):
    p = tmp_path / "c.txt"
    p.write_text("Hope to see you soon\nNice to see you again\n", encoding="utf-8")
    vocab = Vocab(tokens=["<pad>", "<unk>", "see", "you"], counts=[0, 6, 2, 2])
    v2, enc = encode_corpus([p], vocab=vocab)
    with enc:
        assert v2 is vocab
        assert enc.ids().tolist() == [2, 3, -1, 2, 3, -1]
        assert enc.n_words == 4 and enc.corpus_tokens == 10


@pytest.mark.parametrize("in_child", [True, False])
def test_min_count_removing_everything_is_one_line(tmp_path, in_child):
    p = tmp_path / "c.txt"
    p.write_text("a b c\n", encoding="utf-8")
    with pytest.raises(EmbedcliError) as exc:  # raised in the encoding process, raised again here
        encode_corpus([p], min_count=5, in_child=in_child)
    assert str(exc.value).startswith("min_count 5 removes every word") and "\n" not in str(exc.value)
    assert exc.value.cli_message().startswith("--min-count 5 removes every word") and exc.value.exit_code == 1
    assert "(the most frequent word occurs once)" in str(exc.value)


def test_min_count_message_counts_the_most_frequent_word(tmp_path):
    p = tmp_path / "c.txt"
    p.write_text("a a a b\n", encoding="utf-8")
    with pytest.raises(EmbedcliError, match=r"\(the most frequent word occurs 3 times\); lower min_count$"):
        encode_corpus([p], min_count=5, in_child=False)


def test_empty_corpus(tmp_path):
    p = tmp_path / "c.txt"
    p.write_text("\n ,,, \n", encoding="utf-8")
    with pytest.raises(EmbedcliError, match="no words"):
        encode_corpus([p])


def test_sentence_breaks_mark_line_ends_and_are_never_token_ids(tmp_path):
    p = tmp_path / "c.txt"
    p.write_text("a b\n\nb c a\nc\n", encoding="utf-8")
    vocab, enc = encode_corpus([p], min_count=1)
    with enc:
        ids = enc.ids().tolist()
    breaks = [i for i, x in enumerate(ids) if x == SENTENCE_BREAK]
    assert breaks == [2, 6, 8]  # after each non-empty line; the empty line adds none
    assert all(0 <= x < len(vocab) for x in ids if x != SENTENCE_BREAK)
    assert not 0 <= SENTENCE_BREAK < len(vocab)


def _corpus_text(path, lines=3000):
    rng = np.random.default_rng(1)
    words = [f"w{i}" for i in range(400)]
    with open(path, "w", encoding="utf-8") as f:
        for _ in range(lines):
            f.write(" ".join(words[j] for j in rng.zipf(1.4, rng.integers(1, 30)) % 400) + "\n")
    return path


@pytest.mark.skipif(not corpus_mod._fork_available(), reason="the encoding child process needs fork")
def test_encoding_in_a_child_process_is_the_same_as_in_this_one(tmp_path, monkeypatch):
    """The default on Linux encodes in a forked child (none of the scan's memory stays in this
    process): the same vocabulary, ids, counts and progress calls as encoding here."""
    monkeypatch.setattr(corpus_mod, "SCAN_CHUNK", 1 << 12)  # many chunks: many progress reports
    p = _corpus_text(tmp_path / "c.txt")
    out = {}
    for in_child in (True, False):
        seen = []
        vocab, enc = encode_corpus([p], min_count=2, progress=seen.append, in_child=in_child)
        with enc:
            out[in_child] = (vocab.tokens, vocab.counts, enc.ids().tolist(), list(enc.blocks(1000))[-1].tolist(),
                             enc.n_entries, enc.n_words, enc.n_sentences, enc.corpus_tokens, seen)
    assert len(out[True][-1]) > 10 and sum(out[True][-1]) == p.stat().st_size
    assert out[True] == out[False]
    fixed = Vocab(tokens=["<pad>", "<unk>", "w1", "w2"], counts=[0, 6, 2, 2])
    v2, enc = encode_corpus([p], vocab=fixed)
    with enc:
        assert v2 is fixed and set(enc.ids().tolist()) == {-1, 2, 3}


@pytest.mark.skipif(not corpus_mod._fork_available(), reason="the encoding child process needs fork")
def test_a_killed_encoding_process_is_one_clear_error(tmp_path, monkeypatch):
    import os
    import signal

    def die(*a, **k):
        os.kill(os.getpid(), signal.SIGKILL)

    monkeypatch.setattr(corpus_mod, "_encode", die)  # the forked child runs this
    with pytest.raises(EmbedcliError, match=r"encoding process ended without a result \(killed by SIGKILL"):
        encode_corpus([_corpus_text(tmp_path / "c.txt", 10)])


@pytest.mark.parametrize("in_child", [True, False])
def test_lines_of_one_word_are_one_clear_error(tmp_path, in_child):
    p = tmp_path / "words.txt"
    p.write_text("hope\nto\nsee\nyou\nsoon\n" * 20, encoding="utf-8")  # a word list, not sentences
    with pytest.raises(EmbedcliError, match=r"/words.txt: no line has two words in the vocabulary, so no word has a "
                                            r"context .* one word per line\? Put each sentence on a line$"):
        encode_corpus([p], min_count=1, in_child=in_child)
    # words left out by min_count do not separate their neighbours; a rare word between two is no context
    p.write_text("hope rare1 soon\nsee rare2\n" + "hope\nsee\nsoon\n" * 5, encoding="utf-8")
    _, enc = encode_corpus([p], min_count=2, in_child=in_child)
    with enc:
        assert enc.n_words == 2 + 1 + 15
    p.write_text("rare1 hope\nsee rare2\n" + "hope\nsee\n" * 5, encoding="utf-8")
    with pytest.raises(EmbedcliError, match="no line has two words in the vocabulary"):
        encode_corpus([p], min_count=2, in_child=in_child)


@pytest.mark.parametrize("block", [1, 2, 3, 4, 5, 6, 7])
def test_two_neighbours_found_across_blocks(tmp_path, monkeypatch, block):
    monkeypatch.setattr(corpus_mod, "BLOCK", block)
    p = tmp_path / "c.txt"
    p.write_text("a\nb\nc d\n\ne\n", encoding="utf-8")  # the only neighbours, c d, fall in any block
    _, enc = encode_corpus([p], min_count=1, in_child=False)
    with enc:
        assert enc.ids().tolist()[4:6] == [4, 5]
    p.write_text("a\nb\nc\n\nd\ne\n", encoding="utf-8")
    with pytest.raises(EmbedcliError, match="no line has two words"):
        encode_corpus([p], min_count=1, in_child=False)
