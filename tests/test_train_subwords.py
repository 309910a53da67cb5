"""Training with character n-grams (`embedcli train --subwords 3-6`): gradients, model files,
vectors of unseen words, determinism, resume, and the older model format. The library; the
command-line tests are in test_cli_train_subwords.py."""

from __future__ import annotations

import numpy as np
import pytest

from embedcli.subwords import vocab_rows, word_vectors
from embedcli.sgd.sgns import cbow_loss_grad, pair_mask, skipgram_loss_grad

from support.train_subwords import corpus
from reference import apply_rows_simple


# -- gradients ---------------------------------------------------------------------------------
def _numeric(f, x, entries, eps=1e-6):
    out = []
    for i in entries:
        old = x[i]
        x[i] = old + eps
        up = f()
        x[i] = old - eps
        down = f()
        x[i] = old
        out.append((up - down) / (2 * eps))
    return np.array(out)


@pytest.mark.parametrize("objective", ["skipgram", "cbow"])
@pytest.mark.parametrize("seed", [0, 1])
def test_subword_gradient_matches_finite_differences(objective, seed):
    """d loss / d (word and n-gram rows), through the mean of the rows, in float64."""
    rng = np.random.default_rng(seed)
    tokens = ["<pad>", "<unk>", "walk", "walked", "walking", "talk", "talked", "naïve", "東京"]
    table, _ = vocab_rows(tokens, 3, 5, buckets=11, skip=[0, 1])  # few buckets: shared rows
    d, window, group, N, negative = 3, 2, 4, 3, 2
    W = rng.normal(0, 0.5, (table.n_rows, d))
    L = 10
    ids = rng.integers(2, len(tokens), L)
    ids[3] = ids[0]  # a repeated token
    U = rng.normal(0, 0.5, (L, d))
    V = rng.normal(0, 0.5, (-(-L // group), N, d))
    mask = pair_mask(np.zeros(L, np.int64), rng.integers(1, window + 1, L), rng.random(L) < 0.9, window)
    fn = skipgram_loss_grad if objective == "skipgram" else cbow_loss_grad

    def loss():
        H, _ = table.compose(W, ids)
        return fn(H, U, V, mask, negative, group)[0]

    H, ctx = table.compose(W, ids)
    _, _, dH, _, _ = fn(H, U, V, mask, negative, group)
    rows, G, _, _ = table.scatter(ctx, dH, exact=True)
    entries = [(int(r), c) for r in rows for c in range(d)]
    numeric = _numeric(loss, W, entries)
    np.testing.assert_allclose(G.reshape(-1), numeric, rtol=1e-5, atol=1e-8)
    untouched = np.setdiff1d(np.arange(table.n_rows), rows)[:5]  # rows of no batch token: no gradient
    assert np.all(_numeric(loss, W, [(int(r), 0) for r in untouched]) == 0)


def test_embeddings_api_answers_unseen_words(tmp_path, corpus):
    import embedcli

    lines = corpus.read_text(encoding="utf-8").splitlines()
    emb = embedcli.train(lines, dim=8, epochs=2, min_count=1, workers=1, subwords="3-6", buckets=500)
    assert emb.model.objects["subwords"]["buckets"] == 500
    (v,) = word_vectors(emb.model, ["cats"])
    assert np.array_equal(emb["cats"], v.vector) and np.array_equal(emb["Cat"], emb.table[emb.vocab["cat"]])
    assert "cats" not in emb  # membership is the vocabulary's
    near = emb.most_similar("cats", topn=3)
    assert len(near) == 3 and "cats" not in [w for w, _ in near]
    assert -1 <= emb.similarity("cats", "dog") <= 1
    res = emb.evaluate(similarity=[str(_pairs(tmp_path))])["similarity"][0]
    assert res.oov_pairs == 0 and res.subword_pairs == 1


def _pairs(tmp_path):
    p = tmp_path / "p.tsv"
    p.write_text("cats\tdog\t1\ncat\tdog\t2\nbus\tcar\t3\n", encoding="utf-8")
    return p



def _subword_trainer(rng, tokens, objective, *, buckets, round_batches):
    """A subword Trainer over ``tokens`` (random counts; dim 10, window 3, batches of 40 words)
    and its initial state with random output rows: ``(table, counts, settings, trainer, state)``."""
    from embedcli import config as cfg
    from embedcli.sgd.trainer import Trainer, init_state

    table, _ = vocab_rows(tokens, 3, 6, buckets=buckets, skip=[0, 1])
    counts = np.array([0, 0] + list(rng.integers(5, 100, len(tokens) - 2)))
    s = cfg.merge({}, {"objective": objective, "dim": 10, "window": 3, "round_batches": round_batches,
                       "batch_words": 40, "subwords": "3-6", "buckets": buckets})
    trainer = Trainer(type("C", (), {"n_words": 1000})(), counts, counts > 0, s, 1, table)
    state = init_state(len(tokens), 10, 1, counts > 0, table.n_rows)
    state.w_out[:] = rng.normal(0, 0.1, state.w_out.shape)
    return table, counts, s, trainer, state

@pytest.mark.parametrize("objective", ["skipgram", "cbow"])
def test_trainer_composes_into_the_kernels_padded_buffers_bytes(objective):
    """Trainer.compute with subwords composes each token's vector straight into the kernel's
    padded buffer (padded=True): the same bytes as composing into a new array and letting the
    kernel make padded copies (padded=False); its input steps are per distinct token
    (SubwordRows.token_steps)."""
    from embedcli.sgd.trainer import _Batch

    rng = np.random.default_rng(7)
    tokens = ["<pad>", "<unk>"] + ["".join(rng.choice(list("abcdeé"), rng.integers(1, 9))) for _ in range(30)]
    table, counts, s, trainer, state = _subword_trainer(rng, tokens, objective, buckets=40, round_batches=1)
    L = 46
    ids = rng.integers(2, len(tokens), L).astype(np.int32)
    ids[5:9] = ids[20]  # repeated tokens
    mask = pair_mask(rng.integers(0, 3, L).astype(np.int32), rng.integers(1, 4, L).astype(np.int32),
                     rng.random(L) < 0.9, 3)
    neg = rng.integers(2, len(tokens), (2, trainer.n_neg)).astype(np.int32)
    got = trainer.compute(state, _Batch(ids, mask, neg, 0.05, 0))

    H, ctx = table.compose(state.w_in, ids)  # the reference: a new array, the kernel's padded copies
    U, V = state.w_out[ids], state.w_out[neg]
    lr = np.float32(0.05)
    if objective == "skipgram":  # the kernels fold -lr in themselves
        loss, pairs, dH, dU, dV, (cH, cU, cV) = skipgram_loss_grad(H, U, V, mask, s.negative, trainer.group,
                                                                   curvature=True, scale=-lr)
    else:
        loss, pairs, dH, dU, dV, (cH, cU, cV) = cbow_loss_grad(H, U, V, mask, s.negative, trainer.group,
                                                               word2vec_update=True, curvature=True, scale=-lr)
    steps = table.token_steps(ctx, dH, exact=False, partner=cH)  # per distinct token: the apply sums them per row
    assert np.array_equal(steps.ids, np.unique(ids))
    dOut = np.concatenate([dU, dV.reshape(-1, 10)])
    want = (loss, pairs, steps.steps, np.concatenate([ids, neg.reshape(-1)]), dOut, steps.ids, steps.partner,
            np.concatenate([cU, cV.reshape(-1)]))
    assert got[:2] == want[:2]
    for a, b in zip(got[2:], want[2:]):
        assert a.tobytes() == b.tobytes()
    out = np.full((L, 10), np.nan, dtype=np.float32)  # compose(out=) writes H there and returns it
    H2, _ = table.compose(state.w_in, ids, out=out)
    assert H2 is out and out.tobytes() == H.tobytes()


@pytest.mark.parametrize("objective", ["skipgram", "cbow"])
def test_round_vectors_compose_each_token_once_same_bytes(objective):
    """Trainer.round_vectors composes a round's distinct tokens once (SubwordRows.compose_many);
    compute(vectors=) takes each batch's vectors from there: the same bytes as composing batch by
    batch (compose, scatter, kernels), and a round trained with them equals one trained without."""
    from embedcli.sgd.trainer import _Batch, init_state

    rng = np.random.default_rng(9)
    tokens = ["<pad>", "<unk>"] + ["".join(rng.choice(list("abcdeé"), rng.integers(1, 12))) for _ in range(40)]
    tokens[5] = "x" * 40  # more than 128 rows: reduceat's recursive pairwise sum
    table, counts, s, trainer, state = _subword_trainer(rng, tokens, objective, buckets=50, round_batches=3)
    state.w_in[3, :2] = -0.0
    batches = []
    for L in (46, 30, 46):
        ids = rng.integers(2, len(tokens), L).astype(np.int32)
        ids[5:9] = ids[20 % L]
        mask = pair_mask(rng.integers(0, 3, L).astype(np.int32), rng.integers(1, 4, L).astype(np.int32),
                         rng.random(L) < 0.9, 3)
        batches.append(_Batch(ids, mask, rng.integers(2, len(tokens), (2, trainer.n_neg)).astype(np.int32), 0.05, 0))
    vectors = trainer.round_vectors(state, batches)
    assert np.array_equal(vectors.ids, np.unique(np.concatenate([b.ids for b in batches])))
    assert trainer.round_vectors(state, batches[:1]) is None  # one batch: composed on its own
    for b in batches:
        H, ctx = table.compose(state.w_in, b.ids)
        H2, ctx2 = table.compose(state.w_in, b.ids, vectors=vectors)
        assert H2.tobytes() == H.tobytes()
        assert all(np.array_equal(getattr(ctx, f), getattr(ctx2, f)) for f in ("n_tokens", "lens", "flat", "by_token"))
        got, want = trainer.compute(state, b, vectors=vectors), trainer.compute(state, b)
        assert got[:2] == want[:2]
        for x, y in zip(got[2:], want[2:]):
            assert x.tobytes() == y.tobytes()
    plain = init_state(len(tokens), 10, 1, counts > 0, table.n_rows)
    plain.w_in[:], plain.w_out[:] = state.w_in, state.w_out
    trainer.round_here(state, batches)
    trainer.round_vectors = lambda st, bs: None
    trainer.round_here(plain, batches)
    assert state.w_in.tobytes() == plain.w_in.tobytes() and state.w_out.tobytes() == plain.w_out.tobytes()


@pytest.mark.parametrize("objective", ["skipgram", "cbow"])
@pytest.mark.parametrize("parts", [1, 2, 3])
def test_round_apply_of_token_steps_is_batch_scatters_then_plain_apply_bytes(objective, parts):
    """The input side's apply with subwords (Trainer.apply_side -> SubwordRows.round_steps: the
    round's (token, row) entries sorted by row once, summed within a batch in float64 and across
    batches in float32) gives the bytes of scattering each batch onto its rows
    (SubwordRows.scatter) and then the plain apply of those rows (np.add.at from zeros in batch
    order, the per-row bound), for each share of the rows; frozen word rows are left as they
    were. Rows shared within a batch by 2 and by many tokens, in 1 to 4 batches, repeated
    tokens, -0.0 steps, steps that hit the bound, a round buffer passed as one array."""
    from embedcli.sgd import trainer as T

    rng = np.random.default_rng(parts + (10 if objective == "cbow" else 0))
    tokens = ["<pad>", "<unk>"] + ["".join(rng.choice(list("abcé"), rng.integers(1, 8))) for _ in range(40)]
    table, counts, s, trainer, state = _subword_trainer(rng, tokens, objective, buckets=30, round_batches=4)
    W0 = rng.normal(0, 0.1, state.w_in.shape).astype(np.float32)
    W0[3, :3] = -0.0
    batches = []
    for L in (46, 20, 46, 33):
        ids = rng.integers(2, len(tokens), L).astype(np.int32)
        ids[4:9] = ids[11]  # a repeated token
        H, ctx = table.compose(W0, ids)
        dH = (rng.standard_normal((L, 10)) * 10.0 ** rng.integers(-3, 2, (L, 1))).astype(np.float32)
        dH[:3] = -0.0
        batches.append((ctx, dH, (rng.random(L) * 4).astype(np.float32)))
    frozen = np.zeros(len(tokens), dtype=bool)
    frozen[rng.integers(2, len(tokens), 6)] = True
    for rank in range(parts):
        for freeze in (None, frozen):
            sc = [table.scatter(ctx, dH, exact=False, partner=p) for ctx, dH, p in batches]
            if freeze is not None:
                sc = [(r[keep], G[keep], p[keep]) for r, G, _, p in sc
                      for keep in [~freeze[np.minimum(r, len(freeze) - 1)] | (r >= len(freeze))]]
            else:
                sc = [(r, G, p) for r, G, _, p in sc]
            want = W0.copy()
            apply_rows_simple(want, [x[0] for x in sc], [x[1] for x in sc], [x[2] for x in sc], (rank, parts), T.STEP_BOUND)
            ts = [table.token_steps(ctx, dH, exact=False, partner=p) for ctx, dH, p in batches]
            got = W0.copy()
            trainer.apply_side("in", got, [t.ids for t in ts], [t.steps for t in ts], [t.partner for t in ts],
                               part=(rank, parts), frozen=freeze)
            assert got.tobytes() == want.tobytes()
            if freeze is not None:
                assert got[:len(tokens)][freeze].tobytes() == W0[:len(tokens)][freeze].tobytes()
            got = W0.copy()  # the round's steps as one array (compute wrote them into the round buffer)
            trainer.apply_side("in", got, [t.ids for t in ts], np.concatenate([t.steps for t in ts]),
                               [t.partner for t in ts], part=(rank, parts), frozen=freeze)
            assert got.tobytes() == want.tobytes()

