"""The trainer's fast kernels give the same results as their plain NumPy definitions."""

import numpy as np
import pytest

from embedcli.sgd.sgns import _neg_log, _skew, _skew_t, _windows, _windows_t, cbow_loss_grad, pair_mask, skipgram_loss_grad, softplus
from embedcli.sgd.trainer import _distinct, _scatter_add, apply_plan, row_plan
from reference import apply_rows_simple


@pytest.mark.parametrize("size", [5, 50, 100_000])
def test_distinct_is_np_unique(size):
    rng = np.random.default_rng(size)
    ids = rng.integers(0, size, 400).astype(np.int32)
    rows, inverse = _distinct(ids, size)
    ref_rows, ref_inverse = np.unique(ids, return_inverse=True)
    np.testing.assert_array_equal(rows, ref_rows)
    np.testing.assert_array_equal(inverse, ref_inverse)


@pytest.mark.parametrize("rows", [6, 5000])  # 5000: more rows than the flat-index table first has
@pytest.mark.parametrize("d", [1, 7, 100])
def test_scatter_add_is_add_at_bytes(d, rows):
    # the same float32 additions in the same order as a plain np.add.at, repeated rows included
    rng = np.random.default_rng(d)
    ids = rng.integers(0, rows, 300)
    ids[-1] = rows - 1
    G = (rng.normal(size=(300, d)) * 1e3 ** rng.integers(-2, 3, (300, 1))).astype(np.float32)
    W = np.zeros((rows, d), np.float32)
    _scatter_add(W, ids, G)
    ref = np.zeros((rows, d), np.float32)
    np.add.at(ref, ids, G)
    assert W.tobytes() == ref.tobytes()
    strided = np.zeros((600, d), np.float32)[::2]  # a strided gradient takes the plain path's values too
    strided[:] = G[:300]
    W2 = np.zeros((rows, d), np.float32)
    _scatter_add(W2, ids, strided)
    assert W2.tobytes() == ref.tobytes()


@pytest.mark.parametrize("d", [1, 7, 100])
def test_row_sums_are_sequential_add_at_bytes(d):
    # each row's steps added one after another in entry order, as np.add.at into zeros adds them:
    # rows of 1 to 300 entries (every class of the plan, padding included), magnitudes 1e-6 to 1e6
    # (a pairwise or reordered sum gives other bytes), -0.0 steps
    rng = np.random.default_rng(d)
    n_rows = 50
    counts = np.concatenate([[300, 129, 128, 65, 17, 16, 3, 2], np.ones(42, dtype=np.int64)])
    ids = rng.permutation(np.repeat(np.arange(n_rows), counts)).astype(np.int32)
    G = (rng.normal(size=(len(ids), d)) * 1e3 ** rng.integers(-2, 3, (len(ids), 1))).astype(np.float32)
    G[ids == 40] = -0.0  # a row of one -0.0 step: its sum is 0.0
    G[rng.permutation(np.flatnonzero(ids == 7))[:1]] = -0.0
    plan = row_plan(ids, n_rows)
    assert sorted(plan.rows.tolist()) == list(range(n_rows))
    assert plan.classes.tolist() == [42, 1, 1, 0, 1, 1, 0, 2, 1, 1]  # rows of 1, 2, 3-4, .., 257-512 entries
    assert len(plan.src) < 2 * len(ids)
    ref = np.zeros((n_rows, d), np.float32)
    np.add.at(ref, ids, G)
    W = np.zeros((n_rows, d), np.float32)
    apply_plan(W, plan, G, np.full(len(ids), 1e-30, np.float32))  # partners too small for the bound to bind
    assert W.tobytes() == (ref + np.float32(0)).tobytes()
    seq = np.zeros((n_rows, d), np.float32)  # the same as a Python loop over the entries
    for i, g in zip(ids.tolist(), G):
        seq[i] += g
    assert W.tobytes() == (seq + np.float32(0)).tobytes()
    other = np.zeros((n_rows, d), np.float32)  # and not what another order gives (the test can fail)
    for i in range(n_rows):
        other[i] = G[ids == i][::-1].sum(axis=0) + np.float32(0)
    assert other.tobytes() != W.tobytes()


def test_transposed_windows_and_skew():
    rng = np.random.default_rng(3)
    x = rng.normal(size=9)
    np.testing.assert_array_equal(_windows_t(x, 2), _windows(x, 2).T)
    c = rng.normal(size=(9, 5))
    np.testing.assert_array_equal(_skew_t(c), _skew(c).T)
    m = rng.random((9, 5)) < 0.5
    np.testing.assert_array_equal(_skew_t(m), _skew(m).T)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_loss_from_sigmoid_is_exact_for_extreme_scores(dtype):
    x = np.array([-1e4, -90, -30, -12, -7, -1, 0, 1, 7, 12, 30, 90, 1e4], dtype=dtype)
    for sign in (1.0, -1.0):
        with np.errstate(over="ignore"):
            p = 1 / (1 + np.exp(-sign * x.astype(np.float64)))
        got = _neg_log(p.astype(dtype), x, sign)
        want = softplus(-sign * x.astype(np.float64))
        assert np.all(np.isfinite(got))
        np.testing.assert_allclose(got, want, rtol=1e-3 if dtype == np.float32 else 1e-9, atol=1e-6)


@pytest.mark.parametrize("objective", ["skipgram", "cbow"])
def test_loss_of_saturated_scores_is_finite_and_right(objective):
    # huge float32 vectors: sigmoid is exactly 0 or 1 for most scores; the loss must stay the softplus sum
    rng = np.random.default_rng(11)
    L, d, window, group = 40, 8, 3, 8
    H = rng.normal(0, 30, (L, d)).astype(np.float32)
    U = rng.normal(0, 30, (L, d)).astype(np.float32)
    V = rng.normal(0, 30, (L // group, 4, d)).astype(np.float32)
    mask = pair_mask(np.zeros(L, int), rng.integers(1, window + 1, L), np.ones(L, bool), window)
    fn = skipgram_loss_grad if objective == "skipgram" else cbow_loss_grad
    loss32 = fn(H, U, V, mask, 5, group)[0]
    loss64 = fn(H.astype(np.float64), U.astype(np.float64), V.astype(np.float64), mask, 5, group)[0]
    assert np.isfinite(loss32) and loss32 > 1000
    assert loss32 == pytest.approx(loss64, rel=1e-4)


@pytest.mark.parametrize("workers", [1, 2, 3, 4, 7, 16, 64])
def test_apply_shares_cover_every_row_once(workers):
    from embedcli.sgd.workers import apply_shares

    shares = apply_shares(workers, 522, 794)
    assert len(shares) == workers
    owners = {}
    for rank, items in enumerate(shares):
        assert items, f"process {rank} applies nothing"
        for name, side, _, (r, parts) in items:
            for row in range(200):
                if row % parts == r:
                    assert (name, row) not in owners
                    owners[name, row] = rank
    assert len(owners) == 400  # both matrices, every row, exactly one writer
    if workers == 2:  # one matrix each: no process picks its rows out of the slots
        assert [items[0][3][1] for items in shares] == [1, 1]


@pytest.mark.parametrize("workers", [2, 3, 4, 7, 16, 64])
def test_apply_shares_split_many_input_entries_over_every_process(workers):
    # subwords: a token brings its word and n-gram rows, far more input entries than output
    # ones; the busiest process's entries decide the layout, and every row keeps one writer
    from embedcli.sgd.workers import apply_shares

    shares = apply_shares(workers, 266 * 9, 794)
    owners = {}
    for rank, items in enumerate(shares):
        for name, side, _, (r, parts) in items:
            for row in range(200):
                if row % parts == r:
                    assert (name, row) not in owners
                    owners[name, row] = rank
    assert len(owners) == 400
    load = [sum(266 * 9 / parts if side == "in" else 794 / parts for _, side, _, (_, parts) in items)
            for items in shares]
    if workers == 2:  # both share the input rows (1197 entries each), one adds the output matrix
        assert [[it[1] for it in items] for items in shares] == [["in"], ["in", "out"]]
        assert max(load) < 266 * 9  # instead of one process applying all 2,394 input entries
    else:  # enough processes: the sides apart, and no process far above an even share
        assert all(len(items) == 1 for items in shares)
        assert max(load) <= 1.5 * (266 * 9 + 794) / workers


@pytest.mark.parametrize("window", [1, 3, 5])
def test_cbow_on_rows_gathered_with_margins_is_the_same(window):
    # the trainer gathers CBOW's input rows into a buffer with their windows' zero margins
    # (gather_padded, padded=True): the same bytes as the kernel padding a copy of them
    from embedcli.sgd.sgns import gather_padded

    rng = np.random.default_rng(window)
    L, d, group, V_rows = 70, 12, 8, 30
    W = rng.normal(size=(V_rows, d)).astype(np.float32)
    ids = rng.integers(0, V_rows, L)
    U = rng.normal(size=(L, d)).astype(np.float32)
    V = rng.normal(size=(-(-L // group), 6, d)).astype(np.float32)
    mask = pair_mask(rng.integers(0, 3, L).cumsum() // 20, rng.integers(1, window + 1, L), rng.random(L) < 0.9, window)
    padded = gather_padded(W, ids, window)
    assert padded.shape == (L + 2 * window, d) and not padded[:window].any() and not padded[L + window :].any()
    for w2v in (False, True):
        want = cbow_loss_grad(W[ids], U, V, mask, 5, group, word2vec_update=w2v, curvature=True)
        got = cbow_loss_grad(padded, U, V, mask, 5, group, word2vec_update=w2v, curvature=True, padded=True)
        assert got[:2] == want[:2]
        for a, b in zip(got[2:5] + tuple(got[5]), want[2:5] + tuple(want[5])):
            assert a.dtype == b.dtype and a.tobytes() == b.tobytes()


def _skipgram_pairs(H, U, V, mask, negative, group):
    """Skip-gram pair by pair from the definition (float64): every (centre i, context i + k - w)
    with mask[i, k], scored against U[i] and the context's group's negatives. Also the largest
    partner norms: of a centre, its contexts' H rows; of a context, its centres' U rows and its
    group's negatives; of a negative, the contexts of its group that trained."""
    H, U, V = (np.asarray(x, dtype=np.float64) for x in (H, U, V))
    L, K = mask.shape
    window = (K - 1) // 2
    N = V.shape[1]
    c = negative / N
    loss, pairs = 0.0, 0
    dH, dU, dV = np.zeros_like(H), np.zeros_like(U), np.zeros_like(V)
    pH, pU, pV = np.zeros(L), np.zeros(L), np.zeros(V.shape[:2])
    norm = np.linalg.norm
    for i, k in zip(*np.nonzero(mask)):
        j = i + k - window
        h, u, negs = H[j], U[i], V[j // group]
        s = h @ u
        loss += np.logaddexp(0, -s)
        gp = 1 / (1 + np.exp(-s)) - 1
        dH[j] += gp * u
        dU[i] += gp * h
        sn = negs @ h
        loss += c * np.logaddexp(0, sn).sum()
        gn = c / (1 + np.exp(-sn))
        dH[j] += gn @ negs
        dV[j // group] += gn[:, None] * h
        pairs += 1
        pU[i] = max(pU[i], norm(h))
        pH[j] = max(pH[j], norm(u), norm(negs, axis=1).max())
        pV[j // group] = np.maximum(pV[j // group], norm(h))
    return loss, pairs, dH, dU, dV, (pH, pU, pV)


def _skipgram_case(seed, L, window, d=6, group=8, N=5, dtype=np.float64):
    rng = np.random.default_rng(seed)
    H, U = rng.normal(0, 0.6, (L, d)).astype(dtype), rng.normal(0, 0.6, (L, d)).astype(dtype)
    V = rng.normal(0, 0.6, (-(-L // group), N, d)).astype(dtype)
    sent = np.cumsum(rng.random(L) < 0.08)  # sentences of ~12 tokens
    mask = pair_mask(sent, rng.integers(1, window + 1, L), rng.random(L) < 0.85, window)
    return H, U, V, mask, group


@pytest.mark.parametrize("window", range(1, 11))
@pytest.mark.parametrize("L", [1, 7, 45, 267])
def test_skipgram_kernel_is_the_pair_loop(window, L):
    # the blocked kernel (blocks of SG_BLOCK centres, band buffers) against the pair loop: sentence
    # bounds, reduced windows, non-centres, batches shorter than a block and not whole blocks
    from embedcli.sgd.sgns import SG_BLOCK

    assert L % SG_BLOCK or L < SG_BLOCK
    H, U, V, mask, group = _skipgram_case(L * 11 + window, L, window)
    want = _skipgram_pairs(H, U, V, mask, 4, group)
    got = skipgram_loss_grad(H, U, V, mask, 4, group, curvature=True)
    assert got[1] == want[1] == int(mask.sum())
    assert got[0] == pytest.approx(want[0], rel=1e-12, abs=1e-12)
    for a, b in zip(got[2:5] + tuple(got[5]), want[2:5] + tuple(want[5])):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)
    H32, U32, V32 = H.astype(np.float32), U.astype(np.float32), V.astype(np.float32)  # float32 within rounding
    got = skipgram_loss_grad(H32, U32, V32, mask, 4, group, curvature=True)
    assert got[0] == pytest.approx(want[0], rel=1e-5, abs=1e-5)
    for a, b in zip(got[2:5] + tuple(got[5]), want[2:5] + tuple(want[5])):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("window,L", [(1, 9), (3, 70), (5, 266), (10, 263)])
def test_skipgram_on_rows_gathered_in_one_buffer_is_the_same(window, L):
    # the trainer gathers a skip-gram batch's rows into one buffer with the zero margins of the
    # windows, blocks and groups (gather_skipgram, padded=True, rows=): the bytes of the kernel
    # padding copies of the rows itself (and of too short padded buffers, copied again)
    from embedcli.sgd.sgns import gather_padded, gather_skipgram

    rng = np.random.default_rng(L)
    d, group, N, V_rows = 100, 32, 16, 50
    w_in = rng.normal(0, 0.4, (V_rows, d)).astype(np.float32)
    w_out = rng.normal(0, 0.4, (V_rows, d)).astype(np.float32)
    ids = rng.integers(0, V_rows, L)
    neg = rng.integers(0, V_rows, (-(-L // group), N))
    mask = pair_mask(rng.integers(0, 3, L).cumsum() // 20, rng.integers(1, window + 1, L), rng.random(L) < 0.9, window)
    rows, H, U, V = gather_skipgram(w_in, w_out, ids, neg, window, group)
    assert H[window : window + L].tobytes() == w_in[ids].tobytes() and not H[:window].any() and not H[window + L :].any()
    assert U[window : window + L].tobytes() == w_out[ids].tobytes() and not U[:window].any() and not U[window + L :].any()
    assert V.tobytes() == w_out[neg].tobytes() and rows.shape[0] == len(H) + len(U) + V.shape[0] * N
    want = skipgram_loss_grad(w_in[ids], w_out[ids], w_out[neg], mask, 5, group, curvature=True)
    short = (gather_padded(w_in, ids, window), gather_padded(w_out, ids, window))
    for got in (skipgram_loss_grad(H, U, V, mask, 5, group, curvature=True, padded=True, rows=rows),
                skipgram_loss_grad(*short, w_out[neg], mask, 5, group, curvature=True, padded=True)):
        assert got[:2] == want[:2] and got[1] == int(mask.sum())
        for a, b in zip(got[2:5] + tuple(got[5]), want[2:5] + tuple(want[5])):
            assert a.dtype == b.dtype and a.tobytes() == b.tobytes()
    pairs = _skipgram_pairs(w_in[ids], w_out[ids], w_out[neg], mask, 5, group)
    for a, b in zip(want[2:5] + tuple(want[5]), pairs[2:5] + tuple(pairs[5])):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("parts", [1, 2, 3])
@pytest.mark.parametrize("adjacent", [True, False])
@pytest.mark.parametrize("plan", [False, True])
def test_apply_rows_is_the_plain_apply_bytes(parts, adjacent, plan, monkeypatch):
    # each row's first step + np.add.at of the rest, or (a round of PLAN_MIN entries or more) the
    # row plan's sums by classes; the factor only where it binds, steps read as one array when the
    # batches' buffers are adjacent: the same bytes as the plain apply, -0.0 steps and -0.0
    # weights (an --init file) included
    import embedcli.sgd.trainer as trainer_mod
    from embedcli.sgd.trainer import STEP_BOUND, apply_rows

    monkeypatch.setattr(trainer_mod, "PLAN_MIN", 0 if plan else 10**9)

    rng = np.random.default_rng(parts + 10 * adjacent)
    n_rows, d, sizes = 40, 100, [60, 60, 60, 37]
    ids = [rng.integers(0, n_rows, n) ** 2 % n_rows for n in sizes]  # repeated rows, some rows never
    buf = (rng.normal(size=(len(sizes), 60, d)) * 10.0 ** rng.integers(-3, 2, (len(sizes), 60, 1))).astype(np.float32)
    buf[0, :5] = -0.0
    steps = [buf[k, :n] for k, n in enumerate(sizes)] if adjacent else [buf[k, :n].copy() for k, n in enumerate(sizes)]
    partner = [rng.random(n).astype(np.float32) * 3 for n in sizes]
    W0 = rng.normal(size=(n_rows, d)).astype(np.float32)
    W0[ids[0][:5]] = -0.0
    for rank in range(parts):
        W, ref = W0.copy(), W0.copy()
        apply_rows(W, ids, steps, partner, part=(rank, parts))
        apply_rows_simple(ref, ids, steps, partner, (rank, parts), STEP_BOUND)
        assert W.tobytes() == ref.tobytes()
        joined = W0.copy()  # the round's entries given as one array each (full slots of a round buffer)
        apply_rows(joined, np.concatenate(ids), np.concatenate(steps), np.concatenate(partner), part=(rank, parts))
        assert joined.tobytes() == ref.tobytes()


@pytest.mark.parametrize("window", [1, 2, 5, 10])
@pytest.mark.parametrize("L", [1, 7, 8, 9, 64, 131])
def test_window_products_are_the_products_per_centre(window, L):
    # blocks of WINDOW_BLOCK centres as one banded product each, the last centres one product each
    from embedcli.sgd.sgns import _window_products, _window_view, gather_padded

    rng = np.random.default_rng(L * 100 + window)
    for dtype in (np.float32, np.float64):
        W = rng.normal(size=(50, 6)).astype(dtype)
        padded = gather_padded(W, rng.integers(0, 50, L), window)
        C = (rng.normal(size=(L, 2 * window + 1)) * (rng.random((L, 2 * window + 1)) < 0.6)).astype(dtype)
        want = np.matmul(C[:, None, :], _window_view(padded, L, window))[:, 0, :]
        got = _window_products(C, padded, L, window, np.full((L, 6), np.nan, dtype=dtype))
        np.testing.assert_allclose(got, want, rtol=1e-6 if dtype == np.float32 else 1e-13, atol=1e-6 if dtype == np.float32 else 1e-13)


@pytest.mark.parametrize("objective", ["skipgram", "cbow"])
def test_kernels_without_the_loss_give_the_same_steps(objective):
    # loss=False (the batches whose loss the trainer does not take, trainer.LOSS_EVERY): 0.0 for
    # the loss, the same bytes for everything else
    H, U, V, mask, group = _skipgram_case(7, 70, 3, d=12, dtype=np.float32)
    V = V[:, :4] * 30  # large scores too: the loss's exact paths would run
    kernel = skipgram_loss_grad if objective == "skipgram" else cbow_loss_grad
    want = kernel(H, U, V, mask, 5, group, curvature=True, scale=-0.05)
    got = kernel(H, U, V, mask, 5, group, curvature=True, scale=-0.05, loss=False)
    assert got[0] == 0.0 and want[0] > 0 and got[1] == want[1]
    for a, b in zip(got[2:5] + tuple(got[5]), want[2:5] + tuple(want[5])):
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes()
