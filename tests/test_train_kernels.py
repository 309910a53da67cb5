"""The trainer's fast kernels give the same results as their plain NumPy definitions."""

import numpy as np
import pytest

from embedcli.sgd.sgns import _neg_log, _skew, _skew_t, _windows, _windows_t, cbow_loss_grad, pair_mask, skipgram_loss_grad, softplus
from embedcli.sgd.trainer import _distinct, _scatter_add


@pytest.mark.parametrize("size", [5, 50, 100_000])
def test_distinct_is_np_unique(size):
    rng = np.random.default_rng(size)
    ids = rng.integers(0, size, 400).astype(np.int32)
    rows, inverse = _distinct(ids, size)
    ref_rows, ref_inverse = np.unique(ids, return_inverse=True)
    np.testing.assert_array_equal(rows, ref_rows)
    np.testing.assert_array_equal(inverse, ref_inverse)


@pytest.mark.parametrize("d", [1, 7, 100])
def test_scatter_add_is_add_at_bytes(d):
    # the same float32 additions in the same order as a plain np.add.at, repeated rows included
    rng = np.random.default_rng(d)
    ids = rng.integers(0, 6, 300)
    G = (rng.normal(size=(300, d)) * 1e3 ** rng.integers(-2, 3, (300, 1))).astype(np.float32)
    W = np.zeros((6, d), np.float32)
    _scatter_add(W, ids, G)
    ref = np.zeros((6, d), np.float32)
    np.add.at(ref, ids, G)
    assert W.tobytes() == ref.tobytes()
    strided = np.zeros((600, d), np.float32)[::2]  # a strided gradient takes the plain path's values too
    strided[:] = G[:300]
    W2 = np.zeros((6, d), np.float32)
    _scatter_add(W2, ids, strided)
    assert W2.tobytes() == ref.tobytes()


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


def _skipgram_reference(H, U, V, mask, negative, group):
    """The skip-gram kernel as written before the padded buffers: every window and group a padded copy."""
    from embedcli.sgd.sgns import _group, _padded_groups, sigmoid

    L, d = H.shape
    window = (mask.shape[1] - 1) // 2
    n_groups, N, _ = V.shape
    Hw = _windows(H, window, n_groups * group - L)
    S = np.matmul(Hw, U[:, :, None])[:, :, 0]
    g = sigmoid(S) - 1
    g *= mask
    dU = np.matmul(g[:, None, :], Hw)[:, 0, :]
    dH = np.matmul(_skew(g)[:, None, :], _windows(U, window))[:, 0, :]
    mask_t = np.ascontiguousarray(_skew_t(mask))
    n_ctx = mask_t.sum(axis=0, dtype=H.dtype)
    Hg = _padded_groups(Hw, window, n_groups, group)
    weight = _group(n_ctx * H.dtype.type(negative / N), n_groups, group)[:, :, None]
    Gm = sigmoid(np.matmul(Hg, V.transpose(0, 2, 1))) * weight
    dH += np.matmul(Gm, V).reshape(-1, d)[:L]
    dV = np.matmul(Gm.transpose(0, 2, 1), Hg)
    hn = np.sqrt(np.einsum("ij,ij->i", H, H))
    un = np.sqrt(np.einsum("ij,ij->i", U, U))
    vn = np.sqrt(np.einsum("gnd,gnd->gn", V, V))
    pU = (_windows_t(hn, window) * mask.T).max(axis=0)
    pH = (mask_t * _windows_t(un, window)).max(axis=0)
    active = n_ctx > 0
    pH = np.maximum(pH, np.where(active, np.repeat(vn.max(axis=1), group)[:L], 0))
    pV = np.repeat(_group(hn * active, n_groups, group).max(axis=1)[:, None], N, axis=1)
    return dH, dU, dV, pH, pU, pV


@pytest.mark.parametrize("window,L", [(1, 9), (3, 70), (5, 266)])
def test_skipgram_on_rows_gathered_in_one_buffer_is_the_same(window, L):
    # the trainer gathers a skip-gram batch's rows into one buffer with the zero margins of the
    # windows and groups (gather_skipgram, padded=True, rows=): the bytes of padded copies
    from embedcli.sgd.sgns import gather_skipgram

    rng = np.random.default_rng(L)
    d, group, N, V_rows = 100, 32, 16, 50
    w_in = rng.normal(0, 0.4, (V_rows, d)).astype(np.float32)
    w_out = rng.normal(0, 0.4, (V_rows, d)).astype(np.float32)
    ids = rng.integers(0, V_rows, L)
    neg = rng.integers(0, V_rows, (-(-L // group), N))
    mask = pair_mask(rng.integers(0, 3, L).cumsum() // 20, rng.integers(1, window + 1, L), rng.random(L) < 0.9, window)
    rows, H, U, V = gather_skipgram(w_in, w_out, ids, neg, window, group)
    assert H.shape == (len(neg) * group + 2 * window, d) and U.shape == (L + 2 * window, d)
    assert H[window : window + L].tobytes() == w_in[ids].tobytes() and not H[:window].any() and not H[window + L :].any()
    assert U[window : window + L].tobytes() == w_out[ids].tobytes() and V.tobytes() == w_out[neg].tobytes()
    want = _skipgram_reference(w_in[ids], w_out[ids], w_out[neg], mask, 5, group)
    for got in (skipgram_loss_grad(H, U, V, mask, 5, group, curvature=True, padded=True, rows=rows),
                skipgram_loss_grad(w_in[ids], w_out[ids], w_out[neg], mask, 5, group, curvature=True)):
        for a, b in zip(got[2:5] + tuple(got[5]), want):
            assert a.dtype == b.dtype and a.tobytes() == b.tobytes()
        assert got[1] == int(mask.sum())


def _apply_reference(W, ids, steps, partner, part, bound):
    """Trainer.apply_rows as first written: zeros, np.add.at of every step in batch and entry
    order, the per-row factor on every row, W[rows] += S."""
    rank, n_parts = part
    sel = [(i % n_parts) == rank for i in ids]
    all_ids = np.concatenate([i[s] for i, s in zip(ids, sel)])
    if len(all_ids) == 0:
        return
    G = np.concatenate([g[s] for g, s in zip(steps, sel)])
    rows, inverse = np.unique(all_ids, return_inverse=True)
    S = np.zeros((len(rows), W.shape[1]), dtype=np.float32)
    np.add.at(S, inverse, G)
    pmax = np.zeros(len(rows), dtype=np.float32)
    np.maximum.at(pmax, inverse, np.concatenate([c[s] for c, s in zip(partner, sel)]).astype(np.float32))
    norm = np.sqrt(np.einsum("ij,ij->i", S, S)) * pmax
    S *= (np.float32(bound) / np.maximum(norm, np.float32(bound)))[:, None]
    W[rows] += S


@pytest.mark.parametrize("parts", [1, 2, 3])
@pytest.mark.parametrize("adjacent", [True, False])
def test_apply_rows_is_the_plain_apply_bytes(parts, adjacent):
    # first step of each row + np.add.at of the rest, the factor only where it binds, steps
    # read as one array when the batches' buffers are adjacent: the same bytes as the plain apply,
    # -0.0 steps and -0.0 weights (an --init file) included
    from embedcli.sgd.trainer import STEP_BOUND, Trainer

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
        Trainer.apply_rows(None, W, ids, steps, partner, part=(rank, parts))
        _apply_reference(ref, ids, steps, partner, (rank, parts), STEP_BOUND)
        assert W.tobytes() == ref.tobytes()
        joined = W0.copy()  # the round's entries given as one array each (full slots of a round buffer)
        Trainer.apply_rows(None, joined, np.concatenate(ids), np.concatenate(steps), np.concatenate(partner),
                           part=(rank, parts))
        assert joined.tobytes() == ref.tobytes()
