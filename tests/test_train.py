"""`embedcli train`: runs, determinism, resume, model files, quality on a tiny corpus, errors. The
library; the command-line tests are in test_cli_train.py."""

import itertools

import numpy as np

from embedcli.model import Model


def test_sample_neighbours_pick_settled_words():
    from collections import Counter

    from embedcli.sgd.run import sample_neighbours
    from embedcli.vocab import build_vocab

    # 'alpha'/'beta' point the same way, 'gamma'/'delta' are orthogonal noise; 'the' is too
    # frequent to be shown (subsampled) and 'xy' too short
    counts = Counter({"the": 1000, "alpha": 50, "beta": 40, "gamma": 30, "delta": 20, "xy": 60})
    vocab = build_vocab(counts, sum(counts.values()))
    table = np.zeros((len(vocab), 3), dtype=np.float32)
    rows = {"the": [1, 1, 1], "alpha": [1, 0, 0], "beta": [0.9, 0.1, 0], "gamma": [0, 1, 0],
            "delta": [0, 0, 1], "xy": [1, 0, 0.01]}
    for word, vec in rows.items():
        table[vocab.index[word]] = vec
    model = Model(vocab, table)
    shown = sample_neighbours(model, sample=0.1, n=2, k=1)
    assert list(shown) == ["alpha", "beta"]  # the two with the closest neighbour, in frequency order
    assert shown["alpha"][0][0] in {"beta", "xy"}


def _trainer(corpus, objective, epochs, tmp_path):
    from embedcli import config as cfg
    from embedcli.sgd.run import _prepare, trainable_rows
    from embedcli.sgd.trainer import Trainer, init_state

    settings = cfg.merge({}, {"corpus": [str(corpus)], "objective": objective, "dim": 16, "epochs": epochs,
                              "min_count": 1, "output": str(tmp_path / "m")})
    vocab, enc = _prepare(settings, None, None)
    trainer = Trainer(enc, np.array(vocab.counts), trainable_rows(vocab), settings, 1)
    return trainer, init_state(len(vocab), 16, 1, trainable_rows(vocab)), enc


def test_the_next_epochs_first_round_is_made_as_the_last_one_goes_out(big_corpus, tmp_path):
    """When an epoch's batches run out (the last round is being computed), the next epoch's first
    round is made: the worker processes do not wait for its pass over the corpus. The same batches
    as made at the epoch's start; none after the last epoch."""
    trainer, state, enc = _trainer(big_corpus, "skipgram", 2, tmp_path)
    with enc:
        rounds = trainer._rounds(0)
        while rounds.next():
            pass
        epoch, early = trainer._early
        fresh = list(itertools.islice(trainer._batches(1), trainer.round_batches))
        assert epoch == 1 and len(early.ahead) == len(fresh) == trainer.round_batches
        for a, b in zip(early.ahead, fresh):
            assert a.ids.tobytes() == b.ids.tobytes() and a.neg.tobytes() == b.neg.tobytes() and a.lr == b.lr
        assert trainer._rounds(1) is early and trainer._early is None
        while early.next():
            pass
        assert trainer._early is None  # epoch 2 is the last
