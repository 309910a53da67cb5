"""`embedcli train`: runs, determinism, resume, model files, quality on a tiny corpus, errors. The
library; the command-line tests are in test_cli_train.py."""

import itertools

import numpy as np
import pytest

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


def test_the_loss_is_taken_on_every_fourth_batch_at_every_place_in_a_round():
    from embedcli.sgd.trainer import LOSS_EVERY, _loss_taken

    taken = np.flatnonzero([_loss_taken(k) for k in range(64 * LOSS_EVERY)])
    assert len(taken) == 64 and (np.diff(taken // LOSS_EVERY) == 1).all()  # one in each run of LOSS_EVERY
    assert taken[0] == 0  # an epoch of one batch has its loss
    # not always the same place in a round: the first batch of a round follows (in the text) the
    # round just applied and has a lower loss than the others
    for round_batches in (2, 4):
        places = np.bincount(taken % round_batches, minlength=round_batches)
        assert places.min() == places.max()


def _trainer(corpus, objective, epochs, tmp_path):
    from embedcli import config as cfg
    from embedcli.sgd.run import _prepare, trainable_rows
    from embedcli.sgd.trainer import Trainer, init_state

    settings = cfg.merge({}, {"corpus": [str(corpus)], "objective": objective, "dim": 16, "epochs": epochs,
                              "min_count": 1, "output": str(tmp_path / "m")})
    vocab, enc = _prepare(settings, None, None)
    trainer = Trainer(enc, np.array(vocab.counts), trainable_rows(vocab), settings, 1)
    return trainer, init_state(len(vocab), 16, 1, trainable_rows(vocab)), enc


@pytest.mark.parametrize("objective", ["skipgram", "cbow"])
def test_the_epoch_loss_from_a_sample_of_batches(big_corpus, tmp_path, monkeypatch, objective):
    """The epoch's loss is the mean per pair over the batches whose loss is taken (one in
    LOSS_EVERY): within 1% of the mean over every batch, and the weights are the same bytes."""
    from embedcli.sgd import trainer as trainer_mod

    runs = {}
    for every in (1, trainer_mod.LOSS_EVERY):
        monkeypatch.setattr(trainer_mod, "LOSS_EVERY", every)
        trainer, state, enc = _trainer(big_corpus, objective, 2, tmp_path)
        with enc:
            trainer.run(state)
        runs[every] = state
    every_batch, sampled = runs[1], runs[trainer_mod.LOSS_EVERY]
    assert sampled.w_in.tobytes() == every_batch.w_in.tobytes()
    assert sampled.w_out.tobytes() == every_batch.w_out.tobytes()
    for a, b in zip(sampled.history, every_batch.history):
        assert a["pairs"] == b["pairs"] and a["loss"] == pytest.approx(b["loss"], rel=0.01)


def test_an_epoch_whose_sampled_batches_have_no_pairs_still_reports_its_loss(tmp_path, monkeypatch):
    """Batches are sampled for the loss until one with pairs has been: a first batch of one-word
    lines (no pairs) does not leave the epoch's loss at 0."""
    from embedcli import config as cfg
    from embedcli.sgd import trainer as trainer_mod
    from embedcli.sgd.run import _prepare, trainable_rows

    corpus = tmp_path / "c.txt"
    words = [f"w{i}" for i in range(12)]
    corpus.write_text("".join(f"{w}\n" for w in words * 4)  # 48 one-word lines: no pairs
                      + "".join(" ".join(words[i % 5 : i % 5 + 7]) + "\n" for i in range(60)))
    monkeypatch.setattr(trainer_mod, "_loss_taken", lambda k: k == 0)  # only the first batch
    settings = cfg.merge({}, {"corpus": [str(corpus)], "dim": 8, "epochs": 1, "min_count": 1, "sample": 0,
                              "batch_words": 16, "output": str(tmp_path / "m")})
    vocab, enc = _prepare(settings, None, None)
    trainer = trainer_mod.Trainer(enc, np.array(vocab.counts), trainable_rows(vocab), settings, 1)
    state = trainer_mod.init_state(len(vocab), 8, 1, trainable_rows(vocab))
    with enc:
        first = next(trainer._batches(0))
        assert not first.mask.any() and first.loss
        trainer.run(state)
    assert state.history[0]["pairs"] > 0 and state.history[0]["loss"] == pytest.approx(np.log(2) * 6, rel=0.05)


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


@pytest.mark.parametrize("engine", ["one", "processes", "threads"])
def test_cbow_keeps_every_output_rows_norm_as_the_kernel_computes_it(big_corpus, tmp_path, monkeypatch, engine):
    """CBOW keeps the norms of the output rows (Trainer.keep_out_norms) for the kernel's partner
    norms, and the apply updates the rows it writes: after training they are the bytes of the
    row norms computed afresh, whichever engine applied the rounds, and they were used (the
    kernel got them); the table is the one trained without them."""
    from embedcli.sgd import trainer as trainer_mod
    from embedcli.sgd import workers as workers_mod

    tables = []
    for keep in (True, False):
        trainer, state, enc = _trainer(big_corpus, "cbow", 2, tmp_path)
        trainer.workers = 1 if engine == "one" else 2
        if engine == "threads":
            monkeypatch.setattr(trainer_mod, "processes_available", lambda: False)
        monkeypatch.setattr(workers_mod.Pacer, "solo", lambda self, now: False)  # every round on the group
        if not keep:
            monkeypatch.setattr(trainer_mod.Trainer, "keep_out_norms", lambda self, state, norms=None: None)
        given = []
        real_kernel = trainer_mod.cbow_loss_grad

        def kernel(*args, **kwargs):
            given.append(kwargs.get("out_norms") is not None)
            return real_kernel(*args, **kwargs)

        monkeypatch.setattr(trainer_mod, "cbow_loss_grad", kernel)
        with enc:
            trainer.run(state)
        monkeypatch.undo()
        tables.append((state.w_in.tobytes(), state.w_out.tobytes()))
        if keep:
            kept = trainer.out_norms_of(state.w_out)
            fresh = np.sqrt(np.einsum("ij,ij->i", state.w_out, state.w_out))
            assert kept is not None and kept.tobytes() == fresh.tobytes()
            assert np.count_nonzero(kept) > len(kept) // 2  # rows trained
            # (the children's batches are not seen here)
            assert (all(given) and given) if engine != "processes" else all(given)
        else:
            assert given and not any(given)
    assert tables[0] == tables[1]


@pytest.mark.parametrize("window", [127, 128, 200, 300])
def test_every_reduced_window_up_to_a_wide_window_trains_its_pairs(tmp_path, window):
    """The reduced window ``b ~ U[1, window]`` of every centre gives it ``2b`` pairs inside a long
    sentence, for any window: windows above 127 did not fit the int8 they were kept in, so a centre
    whose draw was 128 or more (wrapped to a negative) trained no pair at all."""
    from embedcli import config as cfg
    from embedcli.sgd.run import _prepare, trainable_rows
    from embedcli.sgd.trainer import Trainer

    corpus = tmp_path / "c.txt"
    corpus.write_text(" ".join(f"w{i % 50}" for i in range(6000)) + "\n")  # one sentence of 6,000 tokens
    settings = cfg.merge({}, {"corpus": [str(corpus)], "dim": 8, "epochs": 1, "min_count": 1, "sample": 0,
                              "window": window, "batch_words": 1024, "output": str(tmp_path / "m")})
    vocab, enc = _prepare(settings, None, None)
    trainer = Trainer(enc, np.array(vocab.counts), trainable_rows(vocab), settings, 1)
    with enc:
        batches = list(trainer._batches(0))
    pairs = np.concatenate([b.mask.sum(axis=1)[window : len(b.mask) - window] for b in batches])
    centres = pairs[window:-window]  # (not the sentence's first and last `window` tokens: cut at its ends)
    assert len(centres) > 3000
    assert centres.min() >= 2 and (centres % 2 == 0).all()
    assert centres.max() > 2 * (window - window // 4)  # the wide draws are there (~1/4 of them above 3/4 of w)


def test_working_memory_of_real_settings_is_small_and_of_absurd_ones_is_refused(tmp_path):
    """The estimate behind the one-line refusal of settings beyond the machine: real settings, up to
    64 processes, stay far below any machine; a negative count in the billions is refused by the
    library too, naming the parameter, before anything is allocated."""
    import embedcli
    from embedcli import config as cfg
    from embedcli.errors import ParameterError
    from embedcli.sgd.run import _prepare, trainable_rows
    from embedcli.sgd.trainer import Trainer

    corpus = tmp_path / "c.txt"
    corpus.write_text("".join(" ".join(f"w{(i * 7 + j) % 40}" for j in range(12)) + "\n" for i in range(200)))
    for extra in ({"objective": "skipgram"}, {"objective": "cbow"}, {"subwords": "3-6"},
                  {"dim": 300, "window": 10, "negative": 20, "batch_words": 1024, "round_batches": 64}):
        settings = cfg.merge({}, {"corpus": [str(corpus)], "min_count": 1, "output": str(tmp_path / "m"), **extra})
        cfg.validate(settings)
        vocab, enc = _prepare(settings, None, None)
        trainer = Trainer(enc, np.array(vocab.counts), trainable_rows(vocab), settings, 64)
        # the defaults (at most 4 busy processes); 64 processes with large settings: ~30 MB each
        assert trainer.working_bytes(settings.dim) < (4e9 if "round_batches" in extra else 200e6), extra
    with pytest.raises(ParameterError, match="negative 3000000000, .*GB of working memory"):
        embedcli.train(corpus, negative=3_000_000_000, workers=1, min_count=1)
