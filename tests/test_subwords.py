"""Character n-grams and their buckets equal fastText's (the Debian `fasttext` 0.9.2 binary). The
library; the command-line tests are in test_cli_subwords.py."""

from __future__ import annotations

import numpy as np
import pytest

from embedcli.subwords import SubwordSpec, char_ngrams, fnv1a, ngram_buckets, oov_vector, parse_range, vocab_rows
from embedcli.errors import UsageError


def test_fnv1a_signed_char_quirk():
    # textbook FNV-1a 32 for ASCII ("a": 0xe40c292c, "foobar": 0xbf9cf968)
    assert list(fnv1a(["a", "foobar", ""])) == [0xE40C292C, 0xBF9CF968, 2166136261]
    # a byte >= 0x80 is XORed as 0xFFFFFF00 | byte (signed char), not as the byte
    h = 2166136261
    for c in "é".encode("utf-8"):
        h = ((h ^ (c | 0xFFFFFF00)) * 16777619) & 0xFFFFFFFF
    assert int(fnv1a(["é"])[0]) == h
    plain = 2166136261
    for c in "é".encode("utf-8"):
        plain = ((plain ^ c) * 16777619) & 0xFFFFFFFF
    assert h != plain


def test_char_ngrams_count_characters_not_bytes():
    assert char_ngrams("東京", 3, 3) == ["<東京", "東京>"]
    assert char_ngrams("ab", 1, 2) == ["<a", "a", "ab", "b", "b>"]  # no lone boundary mark
    assert char_ngrams("banana", 3, 3).count("ana") == 2  # duplicates kept, like fastText
    assert char_ngrams("a", 5, 6) == []


def test_parse_range():
    assert parse_range("3-6") == (3, 6)
    assert parse_range(" 2 - 5 ") == (2, 5)
    assert parse_range(0) is None and parse_range("0") is None and parse_range(None) is None
    assert parse_range(4) == (4, 4) and parse_range("4") == (4, 4)
    for bad in ("6-3", "0-3", "x", "3-", -1, True, 2.5):
        with pytest.raises(UsageError):
            parse_range(bad)


def test_vocab_rows_csr_and_default_buckets():
    tokens = ["<pad>", "<unk>", "where", "here", "her"]
    table, distinct = vocab_rows(tokens, 3, 6, skip=[0, 1])
    grams = set()
    for t in tokens[2:]:
        grams.update(char_ngrams(t, 3, 6))
    assert distinct == len(grams) and table.spec.buckets == len(grams)
    assert list(table.word_rows(0)) == [0] and list(table.word_rows(1)) == [1]
    for i, t in enumerate(tokens[2:], start=2):
        rows = table.word_rows(i)
        assert rows[0] == i
        assert list(rows[1:]) == list(len(tokens) + ngram_buckets(t, 3, 6, table.spec.buckets))
    capped, _ = vocab_rows(tokens, 3, 6, buckets=7, skip=[0, 1])
    assert capped.spec.buckets == 7 and capped.rows.max() < len(tokens) + 7


def test_compose_and_scatter_match_dense_reference():
    rng = np.random.default_rng(3)
    tokens = ["<pad>", "<unk>"] + ["".join(rng.choice(list("abcdeé"), rng.integers(1, 8))) for _ in range(40)]
    table, _ = vocab_rows(tokens, 2, 4, buckets=23, skip=[0, 1])
    W = rng.standard_normal((table.n_rows, 5)).astype(np.float32)
    ids = rng.integers(2, len(tokens), 60)
    ids[:10] = ids[10]  # repeated tokens
    H, ctx = table.compose(W, ids)
    A = np.zeros((len(ids), table.n_rows))  # dense reference: H = A @ W
    for k, i in enumerate(ids):
        for r in table.word_rows(i):
            A[k, r] += 1 / len(table.word_rows(i))
    np.testing.assert_allclose(H, A @ W, rtol=1e-5, atol=1e-6)
    dH = rng.standard_normal(H.shape).astype(np.float32)
    rows, G, occ, _ = table.scatter(ctx, dH)
    dense = A.T @ dH
    assert len(np.unique(rows)) == len(rows)
    np.testing.assert_allclose(G, dense[rows], rtol=1e-4, atol=1e-5)
    assert np.abs(np.delete(dense, rows, axis=0)).max(initial=0) == 0
    B = np.zeros_like(A)  # occurrences of each row in each token's rows
    for k, i in enumerate(ids):
        for r in table.word_rows(i):
            B[k, r] += 1
    np.testing.assert_array_equal(occ, B.sum(axis=0)[rows])
    partner = rng.random(len(ids)).astype(np.float32)
    rows2, G2, _, pmax = table.scatter(ctx, dH, exact=False, partner=partner)  # fastText's update: dH undivided
    np.testing.assert_array_equal(rows2, rows)
    np.testing.assert_allclose(G2, (B.T @ dH)[rows], rtol=1e-4, atol=1e-5)
    for r, g, p in zip(rows, G2, pmax):  # the documented sums: per token in batch order, then float64 in token order
        users = [k for k, i in enumerate(ids) if r in table.word_rows(i)]
        assert p == partner[users].max()
        acc = np.zeros(dH.shape[1])
        for i in sorted(set(ids[users])):
            per_token = np.add.reduceat(dH[ids == i], [0], axis=0)[0]
            for _ in range(list(table.word_rows(i)).count(r)):  # a token using the row twice adds twice
                acc += per_token
        assert np.array_equal(g, acc.astype(np.float32))


def test_stable_sort_is_numpys_stable_argsort():
    from embedcli.subwords import stable_sort

    rng = np.random.default_rng(5)
    for x in (rng.integers(-3, 40, 2000).astype(np.int32), rng.integers(0, 2**31 - 1, 500).astype(np.int32),
              np.zeros(0, np.int32), np.array([7], np.int32), rng.integers(0, 9, 300)):  # int64: argsort itself
        order, s = stable_sort(x)
        want = np.argsort(x, kind="stable")
        assert np.array_equal(order, want) and s.dtype == x.dtype and np.array_equal(s, x[want])


def test_occurrence_sums_are_reduceats_bytes():
    """scatter's sums of a repeated token's occurrences, rank by rank for segments of at most 8
    rows: byte for byte np.add.reduceat (its first row + the pairwise sum of the rest), with
    -0.0 rows, tiny and large values, and segments long enough for the pairwise blocks (> 8)
    and its recursion (> 129)."""
    from embedcli.subwords import _occurrence_sums, _ranges, _segments

    rng = np.random.default_rng(3)
    for trial in range(300):
        n = int(rng.integers(1, 400))
        X = (rng.standard_normal((n, 5)) * 10.0 ** rng.integers(-8, 4, (n, 1))).astype(np.float32)
        X[rng.random(n) < 0.1] = -0.0
        positions = rng.permutation(n)
        counts = rng.integers(1, [3, 10, 12, 200][trial % 4], 60)
        counts = counts[: np.searchsorted(np.cumsum(counts), n, side="right")]
        if not len(counts):
            continue
        starts = _segments(counts)
        want = np.add.reduceat(X.take(positions[_ranges(starts, counts)], axis=0), _segments(counts), axis=0)
        assert _occurrence_sums(X, positions, starts, counts).tobytes() == want.tobytes()


def test_group_sums_are_float64_sums_bytes():
    """_group_sums: each group's rows summed in float64 from 0.0 in order, rounded to float32;
    groups of 2 are summed in float32 as (a + 0) + b, which must give the same bytes: -0.0,
    zeros, subnormals, exponents 0 to 60 apart, sums that cancel, round to a tie or overflow."""
    from embedcli.subwords import _group_sums

    rng = np.random.default_rng(11)
    tiny = np.float32(1e-45)  # the smallest subnormal
    special = np.array([0.0, -0.0, tiny, -tiny, 3e38, -3e38, 3.4e38, 1.0, 1 + 2**-23, 2**-24, 2**-25, -1.0,
                        1e-38, 2**-60, 2**30], dtype=np.float32)
    for trial in range(200):
        n = 400
        D = (rng.standard_normal((n, 6)) * 2.0 ** rng.integers(-70, 70, (n, 6))).astype(np.float32)
        D[rng.random((n, 6)) < 0.1] = rng.choice(special, int((rng.random((n, 6)) < 0.1).sum()) or 1)[0]
        pick = rng.random((n, 6)) < 0.2
        D[pick] = rng.choice(special, int(pick.sum()))
        counts = rng.integers(2, [3, 3, 5, 40][trial % 4], 50)
        total = int(counts.sum())
        tok = rng.integers(0, n, total)
        starts = np.zeros(len(counts), dtype=np.int64)
        np.cumsum(counts[:-1], out=starts[1:])
        want = np.empty((len(counts), 6), dtype=np.float32)
        with np.errstate(over="ignore", invalid="ignore"):
            for g, (s_, c) in enumerate(zip(starts, counts)):
                acc = np.zeros(6, dtype=np.float64)
                for k in range(s_, s_ + c):
                    acc = acc + D[tok[k]].astype(np.float64)
                want[g] = acc.astype(np.float32)
            got = _group_sums(D, tok, starts, counts)
        assert got.tobytes() == want.tobytes()


def _scatter_reference(table, ids, dH, exact):
    """SubwordRows.scatter's documented sums, one row at a time: each distinct token's
    occurrences summed by np.add.reduceat (batch order), divided by its rows when ``exact``,
    then the tokens using a row summed in float64 from 0.0 in token order (a token using the row
    twice counts twice)."""
    uniq = np.unique(ids)
    per_token = {}
    for t in uniq:
        at = np.flatnonzero(ids == t)
        g = np.add.reduceat(dH[at], [0], axis=0)[0]
        per_token[int(t)] = g / np.float32(len(table.word_rows(t))) if exact else g
    users: dict[int, list[int]] = {}
    for t in uniq:
        for r in table.word_rows(t):
            users.setdefault(int(r), []).append(int(t))
    rows = np.array(sorted(users), dtype=np.int64)
    G = np.empty((len(rows), dH.shape[1]), dtype=dH.dtype)
    for k, r in enumerate(rows):
        ts = users[int(r)]
        if len(ts) == 1:
            G[k] = per_token[ts[0]]
        else:
            acc = np.zeros(dH.shape[1], dtype=np.float64)
            for t in ts:
                acc += per_token[t]
            G[k] = acc
    return rows, G


@pytest.mark.parametrize("exact", [False, True])
def test_scatter_is_its_documented_sums_bytes(exact):
    # many repeated tokens and few buckets (rows shared by several tokens), tiny and -0.0 steps
    rng = np.random.default_rng(11 + exact)
    tokens = ["<pad>", "<unk>"] + ["".join(rng.choice(list("abcé"), rng.integers(1, 9))) for _ in range(60)]
    table, _ = vocab_rows(tokens, 2, 5, buckets=17, skip=[0, 1])
    W = rng.standard_normal((table.n_rows, 6)).astype(np.float32)
    for _ in range(5):
        ids = rng.integers(2, len(tokens), 200).astype(np.int32)
        ids[:40] = ids[40]
        _, ctx = table.compose(W, ids)
        dH = (rng.standard_normal((len(ids), 6)) * 10.0 ** rng.integers(-9, 1, (len(ids), 1))).astype(np.float32)
        dH[:3] = -0.0
        rows, G, _, _ = table.scatter(ctx, dH, exact=exact)
        want_rows, want = _scatter_reference(table, ids, dH, exact)
        assert np.array_equal(rows, want_rows) and G.tobytes() == want.tobytes()
        slot = np.full((len(rows) + 3, 6), np.nan, dtype=np.float32)  # out=: written there when it fits
        _, G2, _, _ = table.scatter(ctx, dH, exact=exact, out=slot)
        assert G2.base is slot and G2.tobytes() == want.tobytes()
        _, G3, _, _ = table.scatter(ctx, dH, exact=exact, out=slot[: len(rows) - 1])  # too short: a new array
        assert G3.base is None and G3.tobytes() == want.tobytes()


def test_oov_vector_is_the_exact_mean_of_its_ngram_rows():
    spec = SubwordSpec(3, 6, 101)
    rows = np.random.default_rng(5).standard_normal((101, 7)).astype(np.float32)
    for word in ["unseen", "naïveté", "東京タワー", "x"]:
        b = ngram_buckets(word, 3, 6, 101)
        assert len(b) > 0
        acc = np.zeros(7, dtype=np.float64)
        for r in b:  # in n-gram order, float64, then one rounding to float32
            acc += rows[r]
        assert np.array_equal(oov_vector(word, spec, rows), (acc / len(b)).astype(np.float32))
    assert not oov_vector("", SubwordSpec(5, 6, 101), rows).any()  # "<>": no n-gram of 5-6 characters
