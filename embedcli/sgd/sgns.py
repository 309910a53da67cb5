"""Skip-gram and CBOW with negative sampling: loss and gradient of one batch, vectorised.

These are pure functions of gathered rows (no parameter updates, no randomness), so they can
be checked against finite differences. A batch is a run of ``L`` consecutive (already
subsampled) corpus tokens; ``H = W_in[ids]`` and ``U = W_out[ids]`` are their input and output
rows. Pairs are described by a boolean mask of shape ``(L, 2*window+1)`` (:func:`pair_mask`):
``mask[i, k]`` trains the pair (centre ``i``, context ``i + k - window``). The sums over pairs
are batched matrix products over sliding-window *views* of ``H`` and ``U`` (no copies, no
Python loop per offset).

As in word2vec/gensim skip-gram, the *context* word's input vector predicts the *centre*
word's output vector. Negatives are shared inside groups of ``G`` consecutive tokens: group
``g`` has ``N`` negative output rows ``V[g]`` (drawn from unigram^0.75), and every positive
pair scores against all of them with weight ``negative / N``, so the expected loss equals
word2vec's (``negative`` independent draws per pair) while the scores are one batched matrix
product. Per positive pair the loss is::

    -log σ(h·u) - (negative/N) Σ_n log σ(-h·v_n)

summed here (float64); the trainer divides by the number of pairs for the mean.
"""

from __future__ import annotations

import threading

import numpy as np


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function, numerically stable, keeps the dtype."""
    out = np.multiply(x, 0.5, dtype=x.dtype)
    np.tanh(out, out=out)
    out += 1
    out *= 0.5
    return out


def softplus(x: np.ndarray) -> np.ndarray:
    """log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)), stable for large |x|, keeps the dtype."""
    out = np.abs(x)
    np.negative(out, out=out)
    np.exp(out, out=out)
    np.log1p(out, out=out)
    out += np.maximum(x, 0)
    return out


def _rowdot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->i", a, b)


def dot_norms(a: np.ndarray) -> np.ndarray:
    """``sqrt`` of each row's dot product with itself, by :func:`_rowdot`: the partner norms the
    CBOW kernel takes (and the trainer keeps per output row, so they must be these bytes)."""
    return np.sqrt(_rowdot(a, a))


def _row_norms(a: np.ndarray) -> np.ndarray:
    """The Euclidean norm of each row of ``a`` (a dot product per row: twice as fast as einsum)."""
    vecdot = getattr(np, "vecdot", None)  # NumPy >= 2.0
    return np.sqrt(vecdot(a, a) if vecdot is not None else _rowdot(a, a))


def n_groups_for(L: int, group: int) -> int:
    return max(1, -(-L // group))


def _windows(x: np.ndarray, window: int) -> np.ndarray:
    """(L, 2w+1, ...) view: ``out[i, k] = x[i + k - w]`` (zero rows outside ``x``).

    The view's buffer (``out.base``) holds ``x`` between ``window`` zero rows on each side."""
    L = x.shape[0]
    padded = np.zeros((L + 2 * window,) + x.shape[1:], dtype=x.dtype)
    padded[window : window + L] = x
    return _window_view(padded, L, window)


def _window_view(padded: np.ndarray, L: int, window: int) -> np.ndarray:
    """The (L, 2w+1, ...) windows of ``padded[window : window + L]`` (``padded`` its zero margins)."""
    # what sliding_window_view + moveaxis give, built directly (those cost tens of µs a call)
    return np.ndarray((L, 2 * window + 1) + padded.shape[1:], dtype=padded.dtype, buffer=padded,
                      strides=(padded.strides[0],) + padded.strides)


WINDOW_BLOCK = 8  # centres per block of :func:`_window_products` (measured: 4-8 best, 1 = a product per centre)


def _window_products(C: np.ndarray, padded: np.ndarray, L: int, window: int, out: np.ndarray) -> np.ndarray:
    """``out[i] = sum_k C[i, k] * x[i + k - window]`` for ``i < L`` (``C`` (L, 2w+1)), where ``padded``
    (C-contiguous) holds ``x`` after ``window`` zero rows and before ``window`` more (``out`` (L, d)).

    What ``np.matmul(C[:, None, :], _window_view(padded, L, window))`` computes, by blocks of
    ``WINDOW_BLOCK`` centres: block ``b``'s centres read the rows ``[bB, bB + B + 2w)`` of
    ``padded``, so one (B x (B+2w)) band of coefficients times a view of those rows is one small
    matrix product instead of B (NumPy's per-product overhead dominates these)."""
    K = C.shape[1]
    B = WINDOW_BLOCK
    nb = L // B
    if nb:
        band = np.zeros((nb, B, B + 2 * window), dtype=C.dtype)
        s = band.strides  # band[b, r, r + k] = C[bB + r, k]
        np.ndarray((nb, B, K), dtype=C.dtype, buffer=band, strides=(s[0], s[1] + s[2], s[2]))[...] = \
            C[: nb * B].reshape(nb, B, K)
        r0, r1 = padded.strides
        rows = np.ndarray((nb, B + 2 * window, padded.shape[1]), dtype=padded.dtype, buffer=padded,
                          strides=(B * r0, r0, r1))
        np.matmul(band, rows, out=out[: nb * B].reshape(nb, B, -1))
    if nb * B < L:  # the last centres, one product each
        a = nb * B
        np.matmul(C[a:L, None, :], _window_view(padded[a:], L - a, window), out=out[a:L, None, :])
    return out


def gather_padded(W: np.ndarray, ids: np.ndarray, window: int) -> np.ndarray:
    """``W[ids]`` between ``window`` zero rows on each side: the buffer whose windows
    :func:`_window_view` gives, gathered in place (``ids`` valid rows of ``W``)."""
    out = np.empty((len(ids) + 2 * window,) + W.shape[1:], dtype=W.dtype)
    _fill_padded(out, W, ids, window)
    return out


def _fill_padded(out: np.ndarray, W: np.ndarray | None, ids: np.ndarray, window: int) -> None:
    """``out`` = ``window`` zero rows, ``W[ids]``, then zero rows to its end (``W`` None: the
    margins only, the rows are the caller's to fill)."""
    out[:window] = 0
    out[window + len(ids) :] = 0
    if W is not None:
        np.take(W, ids, axis=0, out=out[window : window + len(ids)], mode="clip")  # "raise" buffers: 2x slower


SG_BLOCK = 8  # centres per block of the skip-gram kernel's dense products (see skipgram_loss_grad)


def _sg_rows(L: int, window: int, n_groups: int, group: int) -> tuple[int, int]:
    """Rows of a skip-gram batch's ``H`` and ``U`` buffers: each row ``window`` zero rows, the
    ``L`` rows, then zero rows up to whole blocks of ``SG_BLOCK`` centres (and, for ``H``, whole
    negative groups) plus the last block's ``window`` rows of context."""
    blocks = -(-L // SG_BLOCK) * SG_BLOCK
    return max(n_groups * group, blocks) + 2 * window, blocks + 2 * window


def gather_skipgram(w_in: np.ndarray, w_out: np.ndarray, ids: np.ndarray, neg: np.ndarray, window: int,
                    group: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A skip-gram batch's rows in one buffer: ``(rows, H, U, V)``, ``H`` and ``U`` the padded
    buffers :func:`skipgram_loss_grad` takes (``window`` zero rows, ``W[ids]``, zero rows up to
    the sizes of :func:`_sg_rows`), ``V = w_out[neg]``, all three consecutive parts of ``rows``
    (so that their norms are one pass over it). ``w_in`` None: ``H``'s rows are left for the
    caller to fill (composed subword vectors)."""
    L, (n_groups, N), d = len(ids), neg.shape, w_out.shape[1]
    n_h, n_u = _sg_rows(L, window, n_groups, group)
    rows = np.empty((n_h + n_u + n_groups * N, d), dtype=w_out.dtype)
    H, U, V = rows[:n_h], rows[n_h : n_h + n_u], rows[n_h + n_u :]
    _fill_padded(H, w_in, ids, window)
    _fill_padded(U, w_out, ids, window)
    np.take(w_out, neg.reshape(-1), axis=0, out=V, mode="clip")
    return rows, H, U, V.reshape(n_groups, N, d)


def _skew(c: np.ndarray) -> np.ndarray:
    """``out[j, m] = c[j + m - w, 2w - m]``: the coefficient of the pair whose context is ``j``
    and whose centre is ``j + m - w`` (zero outside), so sums over centres become window sums."""
    L, K = c.shape
    window = (K - 1) // 2
    padded = np.zeros((L + 2 * window, K), dtype=c.dtype)
    padded[window : window + L] = c
    s0, s1 = padded.strides  # out[j, m] = padded[j + m, K - 1 - m]
    view = np.ndarray((L, K), dtype=c.dtype, buffer=padded, offset=(K - 1) * s1, strides=(s0, s0 - s1))
    return view.copy()


def _windows_t(x: np.ndarray, window: int) -> np.ndarray:
    """(2w+1, L) view of a 1-D ``x``: ``out[k, i] = x[i + k - w]`` (zero outside ``x``).

    The transposed layout of :func:`_windows`: a reduction over the window is then over
    axis 0, an element-wise pass per offset, instead of a slow reduction along a short last axis."""
    L = x.shape[0]
    padded = np.zeros(L + 2 * window, dtype=x.dtype)
    padded[window : window + L] = x
    s = padded.strides[0]
    return np.ndarray((2 * window + 1, L), dtype=x.dtype, buffer=padded, strides=(s, s))


def _skew_t(c: np.ndarray) -> np.ndarray:
    """``_skew(c).T`` as a view of a padded copy: ``out[m, j] = c[j + m - w, 2w - m]``."""
    L, K = c.shape
    window = (K - 1) // 2
    padded = np.zeros((L + 2 * window, K), dtype=c.dtype)
    padded[window : window + L] = c
    s0, s1 = padded.strides
    return np.ndarray((K, L), dtype=c.dtype, buffer=padded, offset=(K - 1) * s1, strides=(s0 - s1, s0))


EXACT_BELOW = 1e-3  # below this probability the loss term is recomputed exactly (see _neg_log)


def _neg_log(p: np.ndarray, x: np.ndarray, sign: float, where=None) -> np.ndarray:
    """``-log(p)``, flat, where ``p = sigmoid(sign * x)`` has already been computed (the gradient needs it).

    One ``log`` instead of a softplus pass; a sigmoid is computed to absolute precision, so where
    ``p`` is tiny (below ``EXACT_BELOW``: a badly wrong score, rare) the term is recomputed
    exactly as ``softplus(-sign * x)``. ``where`` (flat indices of ``x``) when ``p`` was taken
    from ``sigmoid(sign * x).ravel()[where]``. The loss is only reported; the gradients never
    use it."""
    p = p.reshape(-1)
    with np.errstate(divide="ignore"):
        out = np.log(p)
    np.negative(out, out=out)
    small = np.flatnonzero(p < EXACT_BELOW)
    if len(small):
        at = small if where is None else where[small]
        out[small] = softplus(x.reshape(-1)[at] * (-sign))
    return out


def pair_mask(sent: np.ndarray, reduced: np.ndarray, centre: np.ndarray | None, window: int) -> np.ndarray:
    """(L, 2w+1) bool: ``mask[i, k]`` = train the pair (centre ``i``, context ``i + k - w``).

    A pair is trained when the context is within the centre's reduced window, in the same
    sentence (``sent`` ids are >= 0), is not the centre itself, and ``centre[i]`` is set
    (``centre`` None: every token is a centre).

    When the sentence ids never decrease (a corpus's running sentence count, as the trainer
    gives them) a sentence is a run of equal ids, and the mask comes from how far each token's
    reduced window reaches inside its run on each side: two small comparisons instead of
    comparing every token's id with those of its whole window (the same mask).
    """
    K = 2 * window + 1
    sent = np.asarray(sent)
    L = len(sent)
    if L > 1 and window <= 64 and bool((sent[1:] >= sent[:-1]).all()):
        first = np.empty(L, dtype=bool)  # a sentence starts here
        first[0] = True
        np.not_equal(sent[1:], sent[:-1], out=first[1:])
        last = np.empty(L, dtype=bool)  # ... ends here
        last[:-1] = first[1:]
        last[-1] = True
        # how many contexts each token's window reaches before it and after it (0..window): capped
        # by its reduced window and by its sentence's first and last token
        left = np.full(L, window, dtype=np.int16)
        right = np.full(L, window, dtype=np.int16)
        for j in range(min(window, L) - 1, -1, -1):  # a start j tokens back, an end j tokens on: at most j
            np.copyto(left[j:], j, where=first[: L - j])
            np.copyto(right[: L - j], j, where=last[j:])
        r = np.clip(np.asarray(reduced), 0, window).astype(np.int16)
        np.minimum(left, r, out=left)
        np.minimum(right, r, out=right)
        code = left
        code *= window + 1
        code += right  # a row of the mask is one of (window + 1)^2
        mask = np.take(_mask_rows(window), code, axis=0)
    else:
        if sent.dtype != np.int32:  # int32 ids (the trainer's, a block's sentence count) stay int32
            sent = sent.astype(np.int64)
        sent1 = sent + 1  # 0 outside the batch
        sw = _windows(sent1, window)
        dist = np.abs(np.arange(K, dtype=np.int32) - window)
        mask = sw == sent1[:, None]
        mask &= np.asarray(reduced)[:, None] >= dist[None, :]
        mask[:, window] = False
    if centre is not None:
        mask &= np.asarray(centre, dtype=bool)[:, None]
    return mask


_MASK_ROWS: dict[int, np.ndarray] = {}


def _mask_rows(window: int) -> np.ndarray:
    """Row ``left * (window + 1) + right`` of the table: a centre's pairs when its window reaches
    ``left`` contexts before it and ``right`` after it."""
    rows = _MASK_ROWS.get(window)
    if rows is None:
        reach = np.arange(window + 1)
        left, right = np.repeat(reach, window + 1), np.tile(reach, window + 1)
        offset = np.arange(-window, window + 1)
        rows = ((offset < 0) & (-offset <= left[:, None])) | ((offset > 0) & (offset <= right[:, None]))
        rows.flags.writeable = False
        _MASK_ROWS[window] = rows
    return rows


_scratch = threading.local()  # each thread's skip-gram scratch buffers (see _sg_scratch)


def _sg_scratch(dtype: np.dtype, L: int, K: int):
    """The skip-gram kernel's scratch buffers for batches of ``L`` tokens and windows of ``K``, kept
    per thread (made once: their zero parts stay zero, and their strided views cost more to make
    than the arithmetic on them). ``(SG, blocks, ctx, mask_pad, mask_c, mask_t)``:

    * ``SG`` (2, n, P): the band buffers, the scores and then their coefficients; row
      ``i + window`` is centre ``i``'s: its scores by window offset (``K``), then ``B`` entries
      (``P = K + B``) that take the block's scores outside the window; ``window`` zero rows
      before and after the ``L`` rows and up to whole blocks.
    * ``blocks[x][b, c, r]``: ``SG[x]``, band row ``bB + c`` at offset ``r - c``: the pair (centre
      ``bB + c``, context ``bB + r - w``): block ``b``'s ``(B, B + 2w)`` dense matrix, row stride ``P - 1``.
    * ``ctx[b, c, r]``: the coefficient of the pair (centre ``bB + r - w``, context ``bB + c``)
      (the same band entries by context; a transposed strided matrix).
    * ``mask_pad`` (K, L + 2w): the pair mask by offset and centre with zero columns around;
      ``mask_c`` its middle (``mask.T``), ``mask_t[m, j]``: token ``j`` is the context of centre
      ``j + m - w`` (a view of it, ``_skew_t(mask)``).
    """
    key = (np.dtype(dtype), L, K)
    cache = getattr(_scratch, "sg", None)
    if cache is None:
        cache = _scratch.sg = {}
    got = cache.get(key)
    if got is not None:
        return got
    if len(cache) > 8:
        cache.clear()
    window = (K - 1) // 2
    B = SG_BLOCK
    nb = -(-L // B)
    Lb = nb * B
    E = B + 2 * window
    P = K + B
    n = Lb + 2 * window + 1
    it = np.dtype(dtype).itemsize
    SG = np.zeros((2, n, P), dtype=dtype)  # (zero: the products never write the last row of a block's extra entries)
    blocks = np.ndarray((2, nb, B, E), dtype, SG, window * P * it, (n * P * it, B * P * it, (P - 1) * it, it))
    ctx = np.ndarray((nb, B, E), dtype, SG, (n * P + 2 * window) * it, (B * P * it, it, (P - 1) * it))
    mask_pad = np.zeros((K, L + 2 * window), dtype=dtype)
    mask_c = mask_pad[:, window : window + L]
    mask_t = np.ndarray((K, L), dtype, mask_pad, 2 * window * (L + 2 * window) * it, ((1 - (L + 2 * window)) * it, it))
    got = cache[key] = (SG, blocks, ctx, mask_pad, mask_c, mask_t)
    return got


def skipgram_loss_grad(
    H: np.ndarray,
    U: np.ndarray,
    V: np.ndarray,
    mask: np.ndarray,
    negative: int,
    group: int,
    *,
    curvature: bool = False,
    padded: bool = False,
    rows: np.ndarray | None = None,
    scale: float = 1.0,
    out: tuple[np.ndarray, np.ndarray] | None = None,
    loss: bool = True,
):
    """Loss (sum over pairs, float64), number of pairs, and gradients dH, dU, dV.

    ``H``, ``U``: (L, d); ``V``: (n_groups, N, d) with ``n_groups = ceil(L / group)``;
    ``mask``: (L, 2*window+1) bool from :func:`pair_mask`. With ``curvature`` a sixth item
    ``(cH, cU, cV)`` follows: for each row, the largest norm of the vectors its scores were
    taken against (see :meth:`embedcli.sgd.trainer.Trainer.apply_rows`). With ``padded``, ``H``
    and ``U`` are the buffers of :func:`gather_skipgram` (``window`` zero rows, the ``L`` rows,
    zero rows up to the sizes of :func:`_sg_rows`), so that the windows and the groups are views
    of them instead of padded copies (the same values either way). ``rows``: the buffer of
    :func:`gather_skipgram` whose consecutive parts ``H``, ``U`` and ``V`` are.

    ``scale`` multiplies the gradients (the trainer's ``-lr``: they come back as steps; the
    loss is not scaled). ``out = (dH_buf, dOut_buf)``: buffers the gradients are written into
    and returned as views of, ``dH`` into the first ``L`` rows of ``dH_buf``, ``dU`` then ``dV``
    into ``dOut_buf`` (``L + n_groups * N`` rows) when they fit, instead of new arrays.
    ``loss`` False: the loss is not computed (0.0 is returned in its place; the gradients are the same).

    The pairs' sums are dense products over blocks of ``B = SG_BLOCK`` consecutive centres:
    block ``b``'s centres ``U[bB : bB + B]`` against the ``B + 2*window`` rows of ``H`` their
    windows reach (an overlapping view of ``H``'s buffer, no copy), one matrix product per
    block instead of one matrix-vector product per centre. The scores land in a band buffer of
    row pitch ``P = 2*window + 1 + B``: row ``i`` holds the scores of centre ``i`` by window
    offset, then ``B`` entries that take the block's scores outside the window (zeroed in the
    coefficients). In that layout block ``b``'s coefficient matrix is a plain strided view (row
    stride ``P - 1``), for the centres (``dU``) and, transposed, for the contexts (``dH``).
    """
    K = mask.shape[1]
    window = (K - 1) // 2
    n_groups, N, d = V.shape
    L = len(mask)
    n_h, n_u = _sg_rows(L, window, n_groups, group)
    if padded and len(H) >= n_h and len(U) >= n_u and H.flags.c_contiguous and U.flags.c_contiguous:
        Hbuf, Ubuf = H, U
    else:  # the buffers gather_skipgram gives
        Hbuf, Ubuf = np.zeros((n_h, d), dtype=H.dtype), np.zeros((n_u, d), dtype=U.dtype)
        Hbuf[window : window + L] = H[window : window + L] if padded else H
        Ubuf[window : window + L] = U[window : window + L] if padded else U
        rows = None
    dtype = Hbuf.dtype
    it = dtype.itemsize
    B = SG_BLOCK
    nb = -(-L // B)
    Lb = nb * B
    E = B + 2 * window  # the contexts a block's centres reach
    P = K + B  # row pitch of the band buffers (see _sg_scratch)
    sh, su = Hbuf.strides[0], Ubuf.strides[0]
    Hs = np.ndarray((nb, E, d), dtype, Hbuf, 0, (B * sh, sh, it))  # Hs[b, r] = H[bB + r - w]
    Us = np.ndarray((nb, E, d), dtype, Ubuf, 0, (B * su, su, it))  # Us[b, r] = U[bB + r - w]
    SG, blocks, ctx, mask_pad, mask_c, mask_t = _sg_scratch(dtype, L, K)
    np.matmul(Ubuf[window : window + Lb].reshape(nb, B, d), Hs.transpose(0, 2, 1), out=blocks[0])
    S = SG[0, window : window + L]  # (L, P): [:, :K] the scores by window offset
    g = SG[1, window : window + L]
    mf = mask.astype(dtype)  # (floats: products with bools take a slow casting loop)
    np.multiply(S, 0.5, out=g)
    np.tanh(g, out=g)
    g -= 1
    g *= 0.5
    g[:, K:] = 0
    g[:, :K] *= mf  # (sigmoid(S) - 1) * mask = (tanh(S / 2) - 1) / 2 * mask
    n_pos = L * P
    if loss:
        z = np.empty(n_pos + n_groups * group * N, dtype=dtype)  # the loss terms' probabilities (_skipgram_loss)
        np.add(g, 1, out=z[:n_pos].reshape(L, P))  # sigmoid(S) on the mask, 1 off it
    if scale != 1:
        g *= dtype.type(scale)
    mask_c[...] = mf.T
    n_ctx = np.zeros(n_groups * group, dtype=dtype)  # pairs in which token j is the context (0 past L)
    mask_t.sum(axis=0, out=n_ctx[:L])
    n_pairs = int(n_ctx.sum())
    Hg = Hbuf[window : window + n_groups * group].reshape(n_groups, group, d)  # (ng, G, d)
    weight = (n_ctx * dtype.type(negative / N)).reshape(n_groups, group, 1)
    Sn = np.matmul(Hg, V.transpose(0, 2, 1))  # (ng, G, N)
    Gm = np.multiply(Sn, 0.5)
    np.tanh(Gm, out=Gm)  # sigmoid(Sn) = (1 + tanh(Sn / 2)) / 2
    if loss:
        zn = np.subtract(1, Gm, out=z[n_pos:].reshape(Gm.shape))
        zn *= 0.5  # 1 - sigmoid(Sn)
        total = _skipgram_loss(z, n_pos, S, Sn, weight)
    else:
        total = 0.0
    Gm += 1
    Gm *= weight * dtype.type(0.5 * scale)  # sigmoid(Sn) * weight * scale
    if curvature:  # the largest partner norm of each row's scores
        if rows is None:
            rows = np.concatenate([Hbuf, Ubuf, V.reshape(-1, d)])
        norms = _row_norms(rows)  # zero rows' zero norms too: windows and groups are views
        hn = norms[: len(Hbuf)]
        vn = norms[len(Hbuf) + len(Ubuf) :].reshape(n_groups, N)
        # the windows of the input and output norms, by offset: win[0][k, i] = hn[i + k - w], win[1] of un
        win = np.ndarray((2, K, L), norms.dtype, norms, 0, (len(Hbuf) * it, it, it))
        pU = (win[0] * mask_c).max(axis=0)
        pH = (win[1] * mask_t).max(axis=0)
        active = np.minimum(n_ctx, 1).reshape(n_groups, group)  # 1 where token j is a context, else 0
        vmax = active * vn.max(axis=1)[:, None]  # a context's negatives' largest norm
        np.maximum(pH, vmax.reshape(-1)[:L], out=pH)
        hg = hn[window : window + n_groups * group].reshape(n_groups, group) * active
        pV = np.empty((n_groups, N), dtype=dtype)
        pV[...] = hg.max(axis=1)[:, None]
    dH_buf, dOut = (None, None) if out is None else out
    if dOut is None or len(dOut) < max(Lb, L + n_groups * N):
        dOut = np.empty((max(Lb, L + n_groups * N), d), dtype=dtype)
    # dU then dV: dU's rows past L (whole blocks) are overwritten by dV
    np.matmul(blocks[1], Hs, out=dOut[:Lb].reshape(nb, B, d))
    dU = dOut[:L]
    dV = np.matmul(Gm.transpose(0, 2, 1), Hg, out=dOut[L : L + n_groups * N].reshape(n_groups, N, d))
    if dH_buf is None or len(dH_buf) < L:
        dH_buf = None
    dH = np.add(np.matmul(ctx, Us).reshape(Lb, d)[:L], np.matmul(Gm, V).reshape(-1, d)[:L],
                out=None if dH_buf is None else dH_buf[:L])
    if curvature:
        return total, n_pairs, dH, dU, dV, (pH, pU, pV)
    return total, n_pairs, dH, dU, dV


def _skipgram_loss(z: np.ndarray, n_pos: int, S: np.ndarray, Sn: np.ndarray, weight: np.ndarray) -> float:
    """The skip-gram batch's loss from ``z`` (overwritten), the probabilities of its terms: first
    ``n_pos`` entries ``sigmoid(S)`` of the positive pairs in ``S``'s layout (1 off the mask), then
    ``1 - sigmoid(Sn)`` of the negatives' scores ``Sn`` (ng, G, N) in its layout, weighted by ``weight`` (ng, G, 1). Sum of ``-log z`` (``softplus(-S)``, ``weight *
    softplus(Sn)``): one ``log`` for both, float32 sums (the loss is only reported). Where ``z`` is
    tiny (below ``EXACT_BELOW``: a badly wrong score, rare) the term is computed exactly from the
    score instead."""
    N = Sn.shape[-1]
    w = weight.reshape(-1)
    R = len(w)
    if z.min() < EXACT_BELOW:
        at = np.flatnonzero(z < EXACT_BELOW)
        with np.errstate(divide="ignore"):
            np.log(z, out=z)
        pos = at[at < n_pos]
        z[pos] = -softplus(-S.reshape(-1)[pos])
        neg = at[at >= n_pos]
        z[neg] = -softplus(Sn.reshape(-1)[neg - n_pos])
    else:  # no zeros: no divide warnings to silence (the errstate context costs more than the log)
        np.log(z, out=z)
    pos_sum = np.dot(z[:n_pos], _ones(n_pos, z.dtype))
    neg_sum = np.dot(w, z[n_pos:].reshape(R, N)).sum()
    return -(float(pos_sum) + float(neg_sum))


def _ones(n: int, dtype: np.dtype) -> np.ndarray:
    """A read-only vector of ``n`` ones (kept per thread: sums as dot products)."""
    cache = getattr(_scratch, "ones", None)
    if cache is None or len(cache) < n or cache.dtype != dtype:
        cache = _scratch.ones = np.ones(max(n, 4096), dtype=dtype)
        cache.flags.writeable = False
    return cache[:n]


def _pos_loss_m1(gm1: np.ndarray, s: np.ndarray) -> float:
    """Sum of ``softplus(-s)`` where ``gm1 = (sigmoid(s) - 1) * mask`` (0 off the mask): ``-log1p(gm1)``.

    One pass, no masked gather; where ``sigmoid(s)`` is tiny the term is recomputed exactly."""
    if gm1.min() < EXACT_BELOW - 1:
        terms = np.zeros(gm1.shape, dtype=gm1.dtype)
        ok = gm1 >= EXACT_BELOW - 1
        np.log1p(gm1, out=terms, where=ok)
        at = np.flatnonzero(~ok)
        terms.reshape(-1)[at] = -softplus(-s.reshape(-1)[at])
    else:
        terms = np.log1p(gm1)
    return -float(terms.sum(dtype=np.float64))


def _neg_loss(Gm: np.ndarray, S: np.ndarray, weight: np.ndarray) -> float:
    """Sum of ``weight * softplus(S)`` (negatives), from ``Gm = sigmoid(S)``: ``-log(1 - Gm)``."""
    n = S.shape[-1]
    if Gm.max() > 1 - 2 * EXACT_BELOW:  # some 1 - Gm may be tiny: those terms recomputed exactly
        terms = _neg_log(1 - Gm, S, -1.0).reshape(-1, n)  # (ng * G, N)
        return float(np.dot(weight.reshape(-1), terms).sum(dtype=np.float64))
    terms = np.subtract(1, Gm)  # >= 2 * EXACT_BELOW everywhere: the plain logs, negated once at the end
    np.log(terms, out=terms)
    return -float(np.dot(weight.reshape(-1), terms.reshape(-1, n)).sum(dtype=np.float64))


def cbow_loss_grad(
    H: np.ndarray,
    U: np.ndarray,
    V: np.ndarray,
    mask: np.ndarray,
    negative: int,
    group: int,
    *,
    word2vec_update: bool = False,
    curvature: bool = False,
    padded: bool = False,
    scale: float = 1.0,
    out: tuple[np.ndarray | None, np.ndarray | None] | None = None,
    loss: bool = True,
    out_norms: tuple[np.ndarray, np.ndarray] | None = None,
):
    """CBOW (mean of the context input vectors predicts the centre), like gensim's cbow_mean=1.

    Returns loss (sum over centres, float64), number of centres trained, dH, dU, dV. With
    ``word2vec_update`` the gradient of the mean is passed to each context row undivided
    (what word2vec and gensim do); without it, dH is the exact gradient of the loss. With
    ``curvature`` a sixth item ``(cH, cU, cV)`` follows, as for :func:`skipgram_loss_grad`
    (for the context rows, the curvature that matches the update convention). With ``padded``,
    ``H`` is (L + 2*window, d): the rows after ``window`` zero rows and before ``window`` more
    (:func:`gather_padded`), so the windows are a view of it instead of a padded copy.

    ``scale``: dH, dU and dV come multiplied by it (the trainer's ``-lr``: its steps), folded
    into the per-centre coefficients before the products instead of a pass over each result.
    ``out = (dH, dUV)``: buffers to write into (either may be None): ``dH`` (L, d), ``dUV``
    (L + n_groups * N, d) holding dU then dV (the trainer's step slots, the output rows' steps
    in the order of its ``out_ids``); dU and dV are then views of it. ``loss`` False: the loss is
    not computed (0.0 is returned in its place; the gradients are the same). ``out_norms``: the
    norms of ``U``'s and ``V``'s rows (``np.sqrt`` of their row dot products, as computed here;
    the trainer keeps them per output row), for ``curvature``.
    """
    K = mask.shape[1]
    window = (K - 1) // 2
    if padded:
        Hbuf = H
        H = H[window : len(H) - window]
    L, d = H.shape
    dtype = H.dtype
    n_groups, N, _ = V.shape
    if not padded:
        Hbuf = _windows(H, window).base
    m = mask.astype(dtype)
    cnt = m @ np.ones(K, dtype=dtype)  # contexts per centre (exact small integers)
    has = cnt > 0
    n_centres = int(np.count_nonzero(has))
    inv = np.zeros(L, dtype=dtype)
    np.divide(1, cnt, out=inv, where=has)
    hg = np.empty((n_groups * group, d), dtype=dtype)  # h, then zero rows up to whole groups
    hg[L:] = 0
    h = hg[:L]
    _window_products(m * inv[:, None], Hbuf, L, window, h)  # mean of contexts
    hg = hg.reshape(n_groups, group, d)
    s = _rowdot(h, U)
    g = sigmoid(s)
    g -= 1
    g *= has
    total = _pos_loss_m1(g, s) if loss else 0.0
    if scale != 1:
        g *= dtype.type(scale)
    dh_padded = np.empty((L + 2 * window, d), dtype=dtype)  # dh with the zero margins of its windows
    dh_padded[:window] = 0
    dh_padded[window + L :] = 0
    dh = dh_padded[window : window + L]
    np.einsum("ij,i->ij", U, g, out=dh)  # the row scalings: einsum is faster than a broadcast multiply
    dUV = None if out is None else out[1]
    if dUV is None:
        dUV = np.empty((L + n_groups * N, d), dtype=dtype)
    dU = np.einsum("ij,i->ij", h, g, out=dUV[:L])
    weight = np.zeros((n_groups * group, 1), dtype=dtype)
    np.multiply(has, dtype.type(negative / N), out=weight[:L, 0])
    S = np.matmul(hg, V.transpose(0, 2, 1))
    Gm = sigmoid(S)
    if loss:
        total += _neg_loss(Gm, S, weight.reshape(n_groups, group, 1))
    if curvature:  # the largest partner norm of each row's scores
        hn = np.zeros(n_groups * group, dtype=dtype)  # zero past L: the group maxima below
        np.sqrt(_rowdot(h, h), out=hn[:L])  # 0 where no context: h is 0 there
        if out_norms is None:
            un = dot_norms(U)
            vn = np.sqrt(np.einsum("gnd,gnd->gn", V, V))
        else:
            un, vn = out_norms
        pU = hn[:L]
        pV = np.repeat(hn.reshape(n_groups, group).max(axis=1), N).reshape(n_groups, N)
        c_h = np.maximum(un, np.repeat(vn.max(axis=1), group)[:L]) * has
    if scale != 1:
        weight *= dtype.type(scale)
    Gm *= weight.reshape(n_groups, group, 1)
    dh += np.matmul(Gm, V).reshape(-1, d)[:L]
    dV = np.matmul(Gm.transpose(0, 2, 1), hg, out=dUV[L:].reshape(n_groups, N, d))
    coef = m if word2vec_update else m * inv[:, None]
    dH = None if out is None else out[0]
    if dH is None:
        dH = np.empty((L, d), dtype=dtype)
    _window_products(_skew(coef), dh_padded, L, window, dH)
    if curvature:
        pH = (np.ascontiguousarray(_skew_t(mask)) * _windows_t(c_h, window)).max(axis=0)
        return total, n_centres, dH, dU, dV, (pH, pU, pV)
    return total, n_centres, dH, dU, dV


def keep_probabilities(counts: np.ndarray, sample: float) -> np.ndarray:
    """word2vec/gensim frequent-word subsampling: probability of keeping each word."""
    counts = np.asarray(counts, dtype=np.float64)
    total = counts.sum()
    if sample <= 0 or total == 0:
        return np.ones_like(counts)
    if sample < 1.0:
        threshold = sample * total
    else:  # gensim: an integer-like sample >= 1 is an absolute count
        threshold = sample
    with np.errstate(divide="ignore", invalid="ignore"):
        prob = (np.sqrt(counts / threshold) + 1) * (threshold / counts)
    prob[~np.isfinite(prob)] = 1.0
    return np.minimum(prob, 1.0)


def negative_cdf(counts: np.ndarray, power: float = 0.75) -> np.ndarray:
    """Cumulative distribution of unigram^power (for ``np.searchsorted`` sampling). A word of count
    0 (``<pad>``, ``<unk>``, frozen rows) is never drawn, whatever the power (0 gives uniform over the
    others, below 0 rarer words first)."""
    counts = np.asarray(counts, dtype=np.float64)
    drawn = counts > 0
    weights = np.zeros_like(counts)
    with np.errstate(over="ignore"):
        np.power(counts, power, out=weights, where=drawn)
    if not np.isfinite(weights.sum()) and drawn.any():
        # an extreme power overflows: the same distribution from counts relative to the largest
        # (power > 0) or the smallest (power < 0) count, so that the biggest weight is 1
        ref = counts[drawn].max() if power > 0 else counts[drawn].min()
        weights[:] = 0
        np.power(counts / ref, power, out=weights, where=drawn)
    cdf = np.cumsum(weights)
    cdf /= cdf[-1]
    return cdf
