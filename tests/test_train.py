"""`embedcli train`: runs, determinism, resume, model files, quality on a tiny corpus, errors. The
library; the command-line tests are in test_cli_train.py."""

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
