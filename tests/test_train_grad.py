"""Finite-difference checks of the batch loss/gradient functions (float64, tiny cases)."""

import numpy as np
import pytest

from embedcli.sgd.sgns import cbow_loss_grad, keep_probabilities, negative_cdf, pair_mask, sigmoid, skipgram_loss_grad, softplus


def _case(seed, L=9, d=4, window=3, group=4, N=5):
    rng = np.random.default_rng(seed)
    H = rng.normal(0, 0.7, (L, d))
    U = rng.normal(0, 0.7, (L, d))
    ng = -(-L // group)
    V = rng.normal(0, 0.7, (ng, N, d))
    sent = np.sort(rng.integers(0, 2, L))  # two sentences
    reduced = rng.integers(1, window + 1, L)
    centre = rng.random(L) < 0.8
    mask = pair_mask(sent, reduced, centre, window)
    return H, U, V, mask, group


def _numeric(f, x, eps=1e-6):
    g = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + eps
        up = f()
        x[i] = old - eps
        down = f()
        x[i] = old
        g[i] = (up - down) / (2 * eps)
    return g


@pytest.mark.parametrize("objective", ["skipgram", "cbow"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gradient_matches_finite_differences(objective, seed):
    H, U, V, mask, group = _case(seed)
    negative = 3
    fn = skipgram_loss_grad if objective == "skipgram" else cbow_loss_grad

    def loss():
        return fn(H, U, V, mask, negative, group)[0]

    _, _, dH, dU, dV = fn(H, U, V, mask, negative, group)
    for analytic, x in ((dH, H), (dU, U), (dV, V)):
        numeric = _numeric(loss, x)
        np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-7)
    if objective == "cbow":  # the trainer's call: the steps (-lr times the gradient), written into its buffers
        L, d = H.shape
        n_neg = V.shape[0] * V.shape[1]
        dH_out, dUV_out = np.full((L, d), np.nan), np.full((L + n_neg, d), np.nan)
        _, _, sH, sU, sV = fn(H, U, V, mask, negative, group, scale=-0.05, out=(dH_out, dUV_out))
        assert np.shares_memory(sH, dH_out) and np.shares_memory(sU, dUV_out) and np.shares_memory(sV, dUV_out)
        np.testing.assert_array_equal(dUV_out, np.concatenate([sU, sV.reshape(-1, d)]))
        for analytic, x in ((sH, H), (sU, U), (sV, V)):
            np.testing.assert_allclose(analytic, -0.05 * _numeric(loss, x), rtol=1e-5, atol=1e-9)


def _reference_skipgram(H, U, V, sent, reduced, centre, window, negative, group):
    """Pair-by-pair loops: the definitions the vectorised code must match."""
    L = H.shape[0]
    N = V.shape[1]
    loss, pairs = 0.0, 0
    dH, dU = np.zeros_like(H), np.zeros_like(U)
    for i in range(L):
        if not centre[i]:
            continue
        for j in range(max(0, i - reduced[i]), min(L, i + reduced[i] + 1)):
            if j == i or sent[j] != sent[i]:
                continue
            h = H[j]
            loss += np.log1p(np.exp(-h @ U[i]))
            g = 1 / (1 + np.exp(-h @ U[i])) - 1
            dH[j] += g * U[i]
            dU[i] += g * h
            for v in V[j // group]:
                loss += negative / N * np.log1p(np.exp(h @ v))
                dH[j] += negative / N / (1 + np.exp(-h @ v)) * v
            pairs += 1
    return loss, pairs, dH, dU


def test_skipgram_matches_pair_loop():
    rng = np.random.default_rng(5)
    L, d, window, group = 13, 3, 3, 4
    H, U = rng.normal(0, 0.5, (L, d)), rng.normal(0, 0.5, (L, d))
    V = rng.normal(0, 0.5, (-(-L // group), 6, d))
    sent = np.array([0] * 5 + [1] * 6 + [2] * 2)
    reduced = rng.integers(1, window + 1, L)
    centre = np.ones(L, bool)
    centre[[0, 7]] = False
    mask = pair_mask(sent, reduced, centre, window)
    loss, pairs, dH, dU, _ = skipgram_loss_grad(H, U, V, mask, 5, group)
    ref, ref_pairs, rdH, rdU = _reference_skipgram(H, U, V, sent, reduced, centre, window, 5, group)
    assert pairs == ref_pairs > 0
    assert loss == pytest.approx(ref, rel=1e-10)
    np.testing.assert_allclose(dH, rdH, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(dU, rdU, rtol=1e-9, atol=1e-12)


def _reference_cbow(H, U, V, sent, reduced, centre, window, negative, group, word2vec_update):
    """Centre-by-centre, context-by-context loops: what the vectorised CBOW kernel must match.

    Returns loss, centres, dH, dU, dV and the partner norms (pH, pU, pV) of the trust region:
    a centre's output row and negatives met the context mean ``h``; a context row met, through
    its centres, their output rows and their group's negatives."""
    L, d = H.shape
    n_groups, N, _ = V.shape
    loss, centres = 0.0, 0
    dH, dU, dV = np.zeros_like(H), np.zeros_like(U), np.zeros_like(V)
    pH, pU, pV = np.zeros(L), np.zeros(L), np.zeros((n_groups, N))
    for i in range(L):
        ctx = [j for j in range(max(0, i - reduced[i]), min(L, i + reduced[i] + 1)) if j != i and sent[j] == sent[i]]
        if not centre[i] or not ctx:
            continue
        centres += 1
        h = sum(H[j] for j in ctx) / len(ctx)
        v = V[i // group]
        loss += np.log1p(np.exp(-h @ U[i])) + negative / N * np.log1p(np.exp(v @ h)).sum()
        g = 1 / (1 + np.exp(-h @ U[i])) - 1
        gn = negative / N / (1 + np.exp(-v @ h))
        dh = g * U[i] + gn @ v
        dU[i] += g * h
        dV[i // group] += gn[:, None] * h
        partner = max(np.linalg.norm(U[i]), np.linalg.norm(v, axis=1).max())
        for j in ctx:
            dH[j] += dh if word2vec_update else dh / len(ctx)
            pH[j] = max(pH[j], partner)
        pU[i] = np.linalg.norm(h)
        pV[i // group] = np.maximum(pV[i // group], np.linalg.norm(h))
    return loss, centres, dH, dU, dV, (pH, pU, pV)


@pytest.mark.parametrize("window", range(1, 11))
def test_cbow_matches_centre_loop(window):
    # random sentences (some of one token), reduced windows, untrained centres, a ragged last group
    rng = np.random.default_rng(window)
    L, d, group, N = 47, 5, 8, 6
    H, U = rng.normal(0, 0.5, (L, d)), rng.normal(0, 0.5, (L, d))
    V = rng.normal(0, 0.5, (-(-L // group), N, d))
    sent = np.cumsum(rng.random(L) < 0.15)
    sent[20] = sent[19] + 1  # a one-token sentence: its centre has no context
    sent[21:] += 2
    reduced = rng.integers(1, window + 1, L)
    centre = rng.random(L) < 0.85
    mask = pair_mask(sent, reduced, centre, window)
    for w2v in (False, True):
        want = _reference_cbow(H, U, V, sent, reduced, centre, window, 5, group, w2v)
        for scale in (1.0, -0.025):
            got = cbow_loss_grad(H, U, V, mask, 5, group, word2vec_update=w2v, curvature=True, scale=scale)
            assert got[1] == want[1] > 0
            assert got[0] == pytest.approx(want[0], rel=1e-10)
            for a, b in zip(got[2:5], want[2:5]):
                np.testing.assert_allclose(a, scale * b, rtol=1e-9, atol=1e-12)
            for a, b in zip(got[5], want[5]):
                np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_pair_mask():
    sent = np.array([0, 0, 0, 1, 1])
    reduced = np.array([2, 1, 2, 2, 1])
    m = pair_mask(sent, reduced, np.array([1, 1, 1, 1, 0], bool), 2)
    # columns are offsets -2..2
    assert m.tolist() == [
        [False, False, False, True, True],
        [False, True, False, True, False],
        [True, True, False, False, False],
        [False, False, False, True, False],
        [False, False, False, False, False],
    ]


def test_pair_mask_is_the_window_comparison():
    # sentence ids that never decrease (the trainer's: a run of equal ids is a sentence) take the
    # per-side reach path, others the comparison over every window: both the plain comparison's
    # mask, for windows 1-12, reduced windows out of range (below 1, above the window), sentences
    # of one token, batches shorter than the window, with and without centres
    from reference import pair_mask_simple

    rng = np.random.default_rng(7)
    for _ in range(2000):
        L, window = int(rng.integers(1, 50)), int(rng.integers(1, 13))
        sent = np.cumsum(rng.random(L) < rng.random()).astype(rng.choice([np.int32, np.int64]))
        if rng.random() < 0.2:
            sent = rng.integers(0, 3, L)
        reduced = rng.integers(-1, window + 3, L).astype(rng.choice([np.int8, np.int32, np.int64]))
        centre = rng.random(L) < 0.8 if rng.random() < 0.5 else None
        got = pair_mask(sent, reduced, centre, window)
        want = pair_mask_simple(sent, reduced, centre, window)
        assert got.dtype == bool and got.shape == want.shape and (got == want).all()


def test_untrained_loss_is_log2_times_one_plus_negatives():
    # all-zero vectors: every score is 0, so each pair costs (1 + negative) * log 2
    L, d = 20, 3
    H, U, V = np.zeros((L, d), np.float32), np.zeros((L, d), np.float32), np.zeros((1, 64, d), np.float32)
    mask = pair_mask(np.zeros(L, int), np.full(L, 2), np.ones(L, bool), 2)
    loss, pairs, *_ = skipgram_loss_grad(H, U, V, mask, 5, 64)
    assert pairs == 2 * (L - 1) + 2 * (L - 2)
    assert loss / pairs == pytest.approx(6 * np.log(2), rel=1e-6)


def test_softplus_and_sigmoid_are_stable():
    x = np.array([-1000, -30, 0, 30, 1000], dtype=np.float32)
    sp = softplus(x)
    assert np.all(np.isfinite(sp))
    np.testing.assert_allclose(sp, [0, np.log1p(np.exp(-30.0)), np.log(2), 30, 1000], rtol=1e-6)
    s = sigmoid(x)
    assert s.dtype == np.float32 and s[0] == 0 and s[-1] == 1 and s[2] == 0.5


def test_subsampling_matches_word2vec_formula():
    counts = np.array([0, 0, 1000, 10, 1])
    keep = keep_probabilities(counts, 1e-2)
    t = 1e-2 * counts.sum()
    assert keep[2] == pytest.approx((np.sqrt(1000 / t) + 1) * t / 1000)
    assert keep[3] == 1.0 and keep[4] == 1.0
    assert np.all(keep_probabilities(counts, 0) == 1)
    cdf = negative_cdf(counts)
    assert cdf[-1] == 1.0 and cdf[0] == 0.0 and cdf[1] == 0.0


@pytest.mark.parametrize("power, weights", [
    (0.75, [0, 0, 1, 8, 64]), (0.5, [0, 0, 1, 4, 16]), (1.0, [0, 0, 1, 16, 256]), (0.0, [0, 0, 1, 1, 1]),
    (-0.5, [0, 0, 1, 1 / 4, 1 / 16]),
])
def test_negatives_follow_the_power_and_never_draw_a_word_of_count_zero(power, weights):
    """unigram^power, known answers; the words of count 0 (specials, frozen rows) get no share at any
    power (0 ** 0 is 1, 0 ** -0.5 is inf: both would draw them)."""
    counts = np.array([0, 0, 1, 16, 256])
    cdf = negative_cdf(counts, power)
    want = np.cumsum(weights) / np.sum(weights)
    assert np.allclose(cdf, want, rtol=1e-15, atol=0) and cdf[-1] == 1.0
    assert np.all(np.searchsorted(cdf, np.random.default_rng(0).random(10_000)) >= 2)


def test_negatives_at_an_extreme_power_are_still_a_distribution():
    """counts ** 50 overflows float64 for a count of 1e7: the weights are then taken relative to the
    largest count, the same distribution, finite (a negative power cannot overflow on counts of 1 or
    more; it underflows, harmlessly)."""
    counts = np.array([0, 1, 3, 1e7])
    high = negative_cdf(counts, 50)
    assert np.isfinite(high).all() and high[-1] == 1.0 and high[2] < 1e-300  # all but surely the most frequent
    low = negative_cdf(counts, -50)
    assert np.isfinite(low).all() and low[0] == 0.0 and low[1] == 1.0  # all but surely the rarest (count 1)
    assert np.array_equal(negative_cdf(counts[:3], 50), np.cumsum([0, 1, 3.0**50]) / (1 + 3.0**50))
