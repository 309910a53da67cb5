"""`--workers N`: worker processes (Linux, fork) give the bytes of the thread-pool apply order. The
library; the command-line tests are in test_cli_train_workers.py."""

import itertools

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


@pytest.mark.parametrize("faster", ["group", "alone"])
def test_pacer_keeps_the_faster_way_and_tries_the_other_now_and_then(faster):
    from embedcli.sgd.workers import Pacer

    pacer = Pacer()
    cost = {False: 0.004 if faster == "group" else 0.010, True: 0.010 if faster == "group" else 0.004}
    now, modes = 0.0, []
    for _ in range(Pacer.WINDOW * Pacer.PROBE_EVERY * 4):
        mode = pacer.solo(now)
        modes.append(mode)
        now += cost[mode]
        if len(modes) % 500 == 0:
            now += 5.0  # an epoch's end (a checkpoint): not a round, not counted
    want = faster == "alone"
    share = sum(m == want for m in modes) / len(modes)
    assert 0.95 < share < 0.995  # the faster way, but the other one is timed again now and then
    assert modes[: Pacer.WINDOW] == [False] * Pacer.WINDOW  # the group first
    # ... for short probes: PROBE rounds each time (the first one, after the first window, too)
    runs = [(m, len(list(g))) for m, g in itertools.groupby(modes)]
    probes = [n for m, n in runs if m != want]
    assert probes and all(n == Pacer.PROBE for n in probes[1 if faster == "alone" else 0 :])
    assert pacer.seconds[want] == pytest.approx(0.004) and pacer.seconds[not want] == pytest.approx(0.010)


def test_pacer_is_not_swayed_by_a_few_slow_rounds():
    """A few slow rounds a window (a new block of the corpus, the group's first rounds) do not
    decide: the group's usual 4 ms rounds beat 6 ms alone although three 40 ms rounds a window
    bring its plain mean to 7.4 ms."""
    from embedcli.sgd.workers import Pacer

    pacer = Pacer()
    now, modes = 0.0, []
    for i in range(Pacer.WINDOW * Pacer.PROBE_EVERY * 2):
        mode = pacer.solo(now)
        modes.append(mode)
        now += 0.006 if mode else (0.040 if i % Pacer.WINDOW < 3 else 0.004)
    assert pacer.seconds[False] == pytest.approx(0.004) and pacer.seconds[True] == pytest.approx(0.006)
    assert sum(modes) / len(modes) < 0.1  # the group, but for the probes
