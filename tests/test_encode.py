"""Tests of encode. The library; the command-line tests are in test_cli_encode.py."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from embedcli.encode import check_pad_args, pad_flat, pad_sequences, spool_lines
from embedcli.errors import UsageError

from support.encode import keras_pad_sequences

SEQS = [[1, 2, 3], [4], [], [5, 6, 7, 8, 9], [10, 11]]


@pytest.mark.parametrize("padding", ["pre", "post"])
@pytest.mark.parametrize("truncating", ["pre", "post"])
@pytest.mark.parametrize("maxlen", [None, 1, 2, 3, 5, 8])
def test_matches_keras_for_every_mode(padding, truncating, maxlen):
    ours = pad_sequences(SEQS, maxlen, padding, truncating, value=-1)
    ref = keras_pad_sequences(SEQS, maxlen, padding, truncating, value=-1)
    assert ours.dtype == np.int32
    np.testing.assert_array_equal(ours, ref)


def test_known_answers():
    np.testing.assert_array_equal(pad_sequences([[1, 2, 3], [4]], 2), [[2, 3], [0, 4]])
    np.testing.assert_array_equal(pad_sequences([[1, 2, 3], [4]], 2, "post", "post"), [[1, 2], [4, 0]])


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.lists(st.integers(0, 1000), max_size=12), min_size=1, max_size=15),
    st.one_of(st.none(), st.integers(1, 15)),
    st.sampled_from(["pre", "post"]),
    st.sampled_from(["pre", "post"]),
    st.integers(-3, 3),
)
def test_property_equals_keras_and_keeps_length_and_order(seqs, maxlen, padding, truncating, value):
    if maxlen is None and max(len(s) for s in seqs) == 0:
        maxlen = 1
    ours = pad_sequences(seqs, maxlen, padding, truncating, value)
    np.testing.assert_array_equal(ours, keras_pad_sequences(seqs, maxlen, padding, truncating, value))
    width = maxlen if maxlen is not None else max(len(s) for s in seqs)
    assert ours.shape == (len(seqs), width)
    for row, s in zip(ours, seqs):
        kept = s[-width:] if truncating == "pre" else s[:width]
        body = row[width - len(kept):] if padding == "pre" else row[: len(kept)]
        assert body.tolist() == kept  # order is kept


@pytest.mark.parametrize("bad", [dict(maxlen=-3), dict(padding="middle"), dict(truncating="x")])
def test_bad_pad_arguments(bad):
    args = dict(maxlen=3, padding="pre", truncating="pre") | bad
    with pytest.raises(UsageError):
        pad_flat(np.array([1, 2]), np.array([2]), **args)


def test_width_zero_is_found_never_asked_for():
    """Keras pads sequences that are all empty to rows of width 0, and so do we; a maxlen a user
    gives must still be at least 1."""
    assert pad_sequences([[], []]).shape == (2, 0) == keras_pad_sequences([[], []]).shape
    assert pad_flat(np.zeros(0, dtype=np.int32), np.array([0, 0]), 0).shape == (2, 0)
    with pytest.raises(UsageError, match=r"maxlen must be at least 1 \(got 0\)"):
        check_pad_args(0, "pre", "pre")


def test_large_input_streams_through_spool(tmp_path):
    from collections import Counter
    from embedcli.vocab import build_vocab

    v = build_vocab(Counter({"a": 3, "b": 2}), 5)
    lines = (("a b " * (i % 7)).strip() for i in range(20_000))
    with spool_lines(lines, v, batch_lines=1000) as spool:
        assert spool.n_rows == 20_000 and spool.longest == 12
        blocks = list(spool.padded_blocks(4, "post", "pre", 0, block_rows=3000))
        assert len(blocks) == 7
        rows = np.concatenate(blocks)
    assert rows.shape == (20_000, 4)
    assert rows[7].tolist() == [0, 0, 0, 0] and rows[6].tolist() == [2, 3, 2, 3]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(max_size=40), min_size=1, max_size=6))
def test_encode_never_fails_on_arbitrary_unicode(phrases):
    from collections import Counter
    from reference import encode_phrases
    from embedcli.vocab import build_vocab
    from embedcli.text import tokenize

    v = build_vocab(Counter(tokenize(" ".join(phrases[:3]))), 1)
    ids = encode_phrases(phrases, v)
    assert len(ids) == len(phrases)
    for phrase, row in zip(phrases, ids):
        tokens = tokenize(phrase, v.settings)
        # decoding gives back every in-vocabulary word, unknown ones are <unk>
        assert [v.tokens[i] for i in row] == [t if t in v.index else "<unk>" for t in tokens]
