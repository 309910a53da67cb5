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


def test_min_count_removing_everything_is_one_line(tmp_path):
    p = tmp_path / "c.txt"
    p.write_text("a b c\n", encoding="utf-8")
    with pytest.raises(EmbedcliError) as exc:
        encode_corpus([p], min_count=5)
    assert str(exc.value).startswith("min_count 5 removes every word") and "\n" not in str(exc.value)
    assert exc.value.cli_message().startswith("--min-count 5 removes every word") and exc.value.exit_code == 1


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
