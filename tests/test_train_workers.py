"""`--workers N`: worker processes (Linux, fork) give the bytes of the thread-pool apply order. The
library; the command-line tests are in test_cli_train_workers.py."""

import numpy as np
import pytest

from embedcli.sgd import trainer as trainer_mod


@pytest.mark.parametrize("vocab", [1, 2, 50, 5000, 70000])
def test_negative_sampler_equals_searchsorted(vocab):
    from embedcli.sgd.sgns import negative_cdf

    rng = np.random.default_rng(vocab)
    counts = rng.zipf(1.3, vocab).astype(np.float64)
    counts[rng.random(vocab) < 0.1] = 0  # rows never sampled (<pad>, <unk>, frozen)
    if not counts.any():
        counts[-1] = 1
    cdf = negative_cdf(counts)
    sampler = trainer_mod._CdfSampler(cdf)
    u = rng.random(200_000)
    # bucket edges, the values just below them, and the cdf values themselves
    edges = np.arange(sampler.M, dtype=np.float64) / sampler.M
    u = np.concatenate([u, edges, np.nextafter(edges[1:], 0), cdf[cdf < 1], [0.0, np.nextafter(1.0, 0)]])
    assert np.array_equal(sampler(u), np.searchsorted(cdf, u))
