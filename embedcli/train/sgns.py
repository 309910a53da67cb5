"""Skip-gram and CBOW with negative sampling: loss and gradient of one batch, vectorised.

These are pure functions of gathered rows (no parameter updates, no randomness), so they can
be checked against finite differences. A batch is a run of ``L`` consecutive (already
subsampled) corpus tokens; ``H = W_in[ids]`` and ``U = W_out[ids]`` are their input and output
rows. Pairs are described per offset ``o = 1..window`` by two boolean masks:

* ``fwd[o-1, i]``: the pair (centre ``i``, context ``i+o``) is trained,
* ``bwd[o-1, i]``: the pair (centre ``i``, context ``i-o``) is trained.

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


def _group(x: np.ndarray, n_groups: int, group: int) -> np.ndarray:
    """Pad ``x`` (L, ...) with zeros to ``n_groups * group`` rows and reshape to groups."""
    L = x.shape[0]
    total = n_groups * group
    if total != L:
        pad = np.zeros((total - L,) + x.shape[1:], dtype=x.dtype)
        x = np.concatenate([x, pad])
    return x.reshape((n_groups, group) + x.shape[1:])


def n_groups_for(L: int, group: int) -> int:
    return max(1, -(-L // group))


def skipgram_loss_grad(
    H: np.ndarray,
    U: np.ndarray,
    V: np.ndarray,
    fwd: np.ndarray,
    bwd: np.ndarray,
    negative: int,
    group: int,
) -> tuple[float, int, np.ndarray, np.ndarray, np.ndarray]:
    """Loss (sum over pairs, float64), number of pairs, and gradients dH, dU, dV.

    ``H``, ``U``: (L, d); ``V``: (n_groups, N, d) with ``n_groups = ceil(L / group)``;
    ``fwd``, ``bwd``: (window, L) bool.
    """
    L, d = H.shape
    window = fwd.shape[0]
    dtype = H.dtype
    dH = np.zeros_like(H)
    dU = np.zeros_like(U)
    n_ctx = np.zeros(L, dtype=dtype)  # positive pairs in which token j is the context
    loss = 0.0
    for o in range(1, min(window, L - 1) + 1):
        # centre i, context i+o
        m = fwd[o - 1, : L - o]
        if m.any():
            h, u = H[o:], U[: L - o]
            s = _rowdot(h, u)
            g = sigmoid(s)
            g -= 1
            g *= m
            loss += float(np.sum(softplus(-s[m]), dtype=np.float64))
            dH[o:] += g[:, None] * u
            dU[: L - o] += g[:, None] * h
            n_ctx[o:] += m
        # centre i, context i-o
        m = bwd[o - 1, o:]
        if m.any():
            h, u = H[: L - o], U[o:]
            s = _rowdot(h, u)
            g = sigmoid(s)
            g -= 1
            g *= m
            loss += float(np.sum(softplus(-s[m]), dtype=np.float64))
            dH[: L - o] += g[:, None] * u
            dU[o:] += g[:, None] * h
            n_ctx[: L - o] += m
    n_pairs = int(n_ctx.sum(dtype=np.float64))
    n_groups, N, _ = V.shape
    Hg = _group(H, n_groups, group)  # (ng, G, d)
    weight = _group(n_ctx * dtype.type(negative / N), n_groups, group)[:, :, None]  # (ng, G, 1)
    S = np.matmul(Hg, V.transpose(0, 2, 1))  # (ng, G, N)
    loss += float(np.dot(softplus(S).sum(axis=2, dtype=np.float64).ravel(), weight.ravel()))
    Gm = sigmoid(S)
    Gm *= weight
    dH += np.matmul(Gm, V).reshape(-1, d)[:L]
    dV = np.matmul(Gm.transpose(0, 2, 1), Hg)  # (ng, N, d)
    return loss, n_pairs, dH, dU, dV


def cbow_loss_grad(
    H: np.ndarray,
    U: np.ndarray,
    V: np.ndarray,
    fwd: np.ndarray,
    bwd: np.ndarray,
    negative: int,
    group: int,
    *,
    word2vec_update: bool = False,
) -> tuple[float, int, np.ndarray, np.ndarray, np.ndarray]:
    """CBOW (mean of the context input vectors predicts the centre), like gensim's cbow_mean=1.

    Returns loss (sum over centres, float64), number of centres trained, dH, dU, dV. With
    ``word2vec_update`` the gradient of the mean is passed to each context row undivided
    (what word2vec and gensim do); without it, dH is the exact gradient of the loss.
    """
    L, d = H.shape
    window = fwd.shape[0]
    dtype = H.dtype
    hsum = np.zeros_like(H)
    cnt = np.zeros(L, dtype=dtype)
    top = min(window, L - 1)
    for o in range(1, top + 1):
        m = fwd[o - 1, : L - o]
        if m.any():
            hsum[: L - o] += H[o:] * m[:, None]
            cnt[: L - o] += m
        m = bwd[o - 1, o:]
        if m.any():
            hsum[o:] += H[: L - o] * m[:, None]
            cnt[o:] += m
    has = cnt > 0
    n_centres = int(np.count_nonzero(has))
    inv = np.where(has, 1 / np.maximum(cnt, 1), 0).astype(dtype)
    h = hsum * inv[:, None]
    s = _rowdot(h, U)
    g = sigmoid(s)
    g -= 1
    g *= has
    loss = float(np.sum(softplus(-s[has]), dtype=np.float64))
    dh = g[:, None] * U
    dU = g[:, None] * h
    n_groups, N, _ = V.shape
    hg = _group(h, n_groups, group)
    weight = _group(has.astype(dtype) * dtype.type(negative / N), n_groups, group)[:, :, None]
    S = np.matmul(hg, V.transpose(0, 2, 1))
    loss += float(np.dot(softplus(S).sum(axis=2, dtype=np.float64).ravel(), weight.ravel()))
    Gm = sigmoid(S)
    Gm *= weight
    dh += np.matmul(Gm, V).reshape(-1, d)[:L]
    dV = np.matmul(Gm.transpose(0, 2, 1), hg)
    if not word2vec_update:
        dh *= inv[:, None]
    dH = np.zeros_like(H)
    for o in range(1, top + 1):
        m = fwd[o - 1, : L - o]  # centre i, context i+o
        if m.any():
            dH[o:] += dh[: L - o] * m[:, None]
        m = bwd[o - 1, o:]  # centre i, context i-o
        if m.any():
            dH[: L - o] += dh[o:] * m[:, None]
    return loss, n_centres, dH, dU, dV


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
    """Cumulative distribution of unigram^power (for ``np.searchsorted`` sampling)."""
    weights = np.asarray(counts, dtype=np.float64) ** power
    cdf = np.cumsum(weights)
    cdf /= cdf[-1]
    return cdf
