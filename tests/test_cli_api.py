"""The Python API (embedcli.load / train / Embeddings / Vocab / Classifier), checked against the
command line (same bytes) and gensim (same neighbours and scores). Through the command line; the
library tests are in test_api.py."""

import json
import os
import pathlib

import numpy as np
import pytest

import embedcli
from embedcli.cli import main
from embedcli.errors import ParameterError

from support import REPO
from support.api import CORPUS, FAST, emb, lines

LABELED = pathlib.Path(REPO, "sample_data", "labeled.txt")


FAST_FLAGS = ["--dim", "16", "--epochs", "2", "--min-count", "2"]


def cli_train(runner, corpus, out, *flags):
    res = runner.invoke(main, ["train", str(corpus), "-o", str(out), "-q", *flags])
    assert res.exit_code == 0, res.output
    return out


# -- train: the same bytes as the command line ----------------------------------------------------
@pytest.mark.parametrize("objective,workers", [("skipgram", 1), ("skipgram", 2), ("cbow", 2)])
def test_train_on_strings_equals_cli_train_file(runner, tmp_path, objective, workers):
    out = cli_train(runner, CORPUS, tmp_path / "cli", "--objective", objective, "--workers", str(workers),
                    *FAST_FLAGS)
    emb = embedcli.train(lines(CORPUS), objective, workers=workers, **FAST)
    assert isinstance(emb, embedcli.Embeddings)
    assert emb.table.tobytes() == np.load(out / "table.npy").tobytes()
    assert emb.vocab.tokens == json.loads((out / "vocab.json").read_text())["tokens"]


def test_train_ns_exponent_equals_the_flag_and_names_the_parameter(runner, tmp_path):
    """``embedcli.train(ns_exponent=)`` is ``--ns-exponent``: the same bytes, and a bad value names the
    parameter as the flag names itself."""
    out = cli_train(runner, CORPUS, tmp_path / "cli", "--ns-exponent", "0.25", "--workers", "1", *FAST_FLAGS)
    emb = embedcli.train(lines(CORPUS), ns_exponent=0.25, workers=1, **FAST)
    assert emb.table.tobytes() == np.load(out / "table.npy").tobytes()
    assert emb.table.tobytes() != embedcli.train(lines(CORPUS), workers=1, **FAST).table.tobytes()
    with pytest.raises(ParameterError, match="ns_exponent"):
        embedcli.train(lines(CORPUS), ns_exponent=float("nan"), **FAST)


def test_train_classifier_equals_cli_and_loads_as_classifier(runner, tmp_path):
    out = cli_train(runner, LABELED, tmp_path / "cli", "--objective", "classify", "--epochs", "2", "--dim", "8")
    clf = embedcli.train(lines(LABELED), "classify", dim=8, epochs=2)
    assert isinstance(clf, embedcli.Classifier)
    assert clf.model.table.tobytes() == np.load(out / "table.npy").tobytes()
    assert clf.output.tobytes() == np.load(out / "output.npy").tobytes()
    loaded = embedcli.load(out)
    assert isinstance(loaded, embedcli.Classifier)
    text = "__label__x " + lines(LABELED)[0]
    assert loaded.predict([text], k=2) == clf.predict([text], k=2)


# -- load and the Embeddings object ---------------------------------------------------------------
def test_load_returns_embeddings_with_the_saved_table(runner, tmp_path):
    out = cli_train(runner, CORPUS, tmp_path / "m", *FAST_FLAGS, "--workers", "1")
    emb = embedcli.load(out)
    assert isinstance(emb, embedcli.Embeddings)
    assert repr(emb) == f"Embeddings(vocab={len(emb.vocab)}, dim=16, objective='skipgram')"
    assert len(emb) == len(emb.vocab) == emb.table.shape[0] and emb.dim == 16
    assert emb.table.dtype == np.float32
    assert np.array_equal(emb.table, np.load(out / "table.npy"))


def test_phrase_rows_and_encode(emb, runner):
    rows = emb.phrase_rows("The president of Sweden")
    ids = [emb.vocab[w] for w in ("the", "president", "of", "sweden")]
    assert rows.shape == (4, emb.dim) and np.array_equal(rows, emb.table[ids])
    assert emb.encode("The president of Sweden") == ids
    padded = emb.encode(["The president of Sweden", "Sweden"], maxlen=3)
    assert padded.dtype == np.int32 and padded.tolist() == [ids[1:], [0, 0, ids[3]]]
    assert emb.encode(["Sweden"], maxlen=3, padding="post").tolist() == [[ids[3], 0, 0]]


def test_evaluate_equals_the_cli(runner, tmp_path):
    out = cli_train(runner, CORPUS, tmp_path / "m", *FAST_FLAGS, "--workers", "1")
    sim, ana = os.path.join(REPO, "sample_data", "similarity.tsv"), os.path.join(REPO, "sample_data", "analogies.txt")
    res = runner.invoke(main, ["evaluate", str(out), "--similarity", sim, "--analogies", ana, "--json"])
    assert res.exit_code == 0, res.output
    cli = json.loads(res.stdout)
    mine = embedcli.load(out).evaluate(similarity=sim, analogies=[ana])
    assert [r.to_dict() for r in mine["similarity"]] == cli["similarity"]
    assert [r.to_dict() for r in mine["analogies"]] == cli["analogies"]
    either = embedcli.load(out).evaluate(files=[ana, sim])  # each file read as what it holds
    assert {k: [r.to_dict() for r in v] for k, v in either.items()} == cli
    with pytest.raises(ParameterError, match="give similarity and/or analogies files"):
        embedcli.load(out).evaluate()


# -- Vocab -----------------------------------------------------------------------------------------
def test_vocab_build_equals_cli_vocab(runner, tmp_path):
    out = tmp_path / "v.json"
    res = runner.invoke(main, ["vocab", str(CORPUS), "-o", str(out), "-q", "--min-count", "2", "--order", "frequency"])
    assert res.exit_code == 0, res.output
    cli = json.loads(out.read_text())
    for texts in (str(CORPUS), lines(CORPUS)):
        v = embedcli.Vocab.build(texts, min_count=2, order="frequency")
        assert v.tokens == cli["tokens"] and v.counts == cli["counts"]
    v.save(tmp_path / "again.json")
    assert embedcli.Vocab.load(tmp_path / "again.json").tokens == cli["tokens"]
