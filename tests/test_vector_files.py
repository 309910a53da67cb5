"""Pretrained vector files (word2vec text or binary, GloVe) loaded as embeddings and queried, by the
library (``embedcli.load``) and the commands, checked against gensim's ``KeyedVectors``."""

from __future__ import annotations

import json

import numpy as np
import pytest

import embedcli
from embedcli.cli import main
from embedcli.errors import FormatError

from support.train_init import write_glove, write_word2vec_text

WORDS = ["the", ",", "king", "queen", "man", "woman", "prince", "princess", "boy", "girl", "car", "road", "."]


def vectors(words=WORDS, dim=12, seed=5):
    rng = np.random.default_rng(seed)
    return {w: rng.standard_normal(dim).astype(np.float32) for w in words}


def write_binary(path, vecs):
    dim = len(next(iter(vecs.values())))
    with open(path, "wb") as f:
        f.write(f"{len(vecs)} {dim}\n".encode())
        for w, v in vecs.items():
            f.write(w.encode() + b" " + np.asarray(v, dtype="<f4").tobytes() + b"\n")
    return path


@pytest.fixture(params=["glove", "word2vec", "word2vec-binary"])
def vector_file(request, tmp_path):
    vecs = vectors()
    writer = {"glove": write_glove, "word2vec": write_word2vec_text, "word2vec-binary": write_binary}[request.param]
    return request.param, writer(tmp_path / f"v.{request.param}", vecs), vecs


def test_a_vector_file_loads_and_answers_as_gensim_does(vector_file):
    from gensim.models import KeyedVectors

    fmt, path, vecs = vector_file
    emb = embedcli.load(path)
    assert isinstance(emb, embedcli.Embeddings) and emb.vocab.tokens == WORDS and emb.vocab.specials == {}
    assert np.array_equal(emb.table, np.stack([vecs[w] for w in WORDS]))
    kv = KeyedVectors.load_word2vec_format(str(path), binary=fmt == "word2vec-binary", no_header=fmt == "glove")
    for word in ("king", "woman", "car"):
        ours, theirs = emb.most_similar(word, topn=5), kv.most_similar(word, topn=5)
        assert [w for w, _ in ours] == [w for w, _ in theirs]
        assert np.allclose([s for _, s in ours], [s for _, s in theirs], atol=1e-6)
    ours = emb.analogy("man", "king", "woman", topn=3)
    theirs = kv.most_similar(positive=["king", "woman"], negative=["man"], topn=3)
    assert [w for w, _ in ours] == [w for w, _ in theirs]
    assert emb.similarity("king", "queen") == pytest.approx(float(kv.similarity("king", "queen")), abs=1e-6)
    # all lower-case: queries are lower-cased; punctuation has vectors: phrases keep it as tokens
    assert emb.vocab.settings.lower and emb.vocab.settings.keep_punct
    assert np.array_equal(emb["King"], vecs["king"])
    assert emb.embed_with_counts("The king, the queen.")[1][0] == 6


def test_commands_take_a_vector_file(runner, vector_file):
    fmt, path, vecs = vector_file
    emb = embedcli.load(path)
    r = runner.invoke(main, ["similar", str(path), "king", "-k", "3", "--json"])
    assert r.exit_code == 0, r.output
    assert [d["token"] for d in json.loads(r.stdout)] == [w for w, _ in emb.most_similar("king", topn=3)]
    r = runner.invoke(main, ["show-table", str(path), "--json", "-n", "2"])
    assert r.exit_code == 0 and [row["token"] for row in json.loads(r.stdout)["rows"]] == ["the", ","]
    r = runner.invoke(main, ["embed", str(path), "king queen", "--json"])
    assert np.allclose(json.loads(r.stdout)[0]["vector"], (vecs["king"] + vecs["queen"]) / 2, atol=1e-6)


@pytest.mark.parametrize("compress", ["gzip", "bz2", "lzma"])
def test_a_compressed_vector_file_reads_as_the_plain_one(runner, vector_file, tmp_path, compress):
    """A .gz/.bz2/.xz vector file (as fastText's cc.*.vec.gz, which gensim reads as it is) gives the
    plain file's words and rows, to the library, the query commands and info."""
    import importlib

    fmt, path, vecs = vector_file
    packed = tmp_path / f"{path.name}.{compress}"
    packed.write_bytes(importlib.import_module(compress).compress(path.read_bytes()))
    plain, emb = embedcli.load(path), embedcli.load(packed)
    assert emb.vocab.tokens == plain.vocab.tokens and np.array_equal(emb.table, plain.table)
    r = runner.invoke(main, ["similar", str(packed), "king", "-k", "3", "--json"])
    assert r.exit_code == 0, r.output
    assert [d["token"] for d in json.loads(r.stdout)] == [w for w, _ in plain.most_similar("king", topn=3)]
    r = runner.invoke(main, ["info", str(packed), "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["format"] == fmt


def test_cased_files_duplicates_and_bad_files(tmp_path, runner):
    vecs = vectors(["Paris", "paris", "France", "Paris"])  # a cased file (GoogleNews-like), "Paris" twice
    lines = [w + " " + " ".join(repr(float(x)) for x in v) for w, v in vecs.items()]
    lines.append("Paris " + " ".join(["9.0"] * 12))  # a later duplicate: the first vector wins, as in gensim
    (tmp_path / "cased.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    emb = embedcli.load(tmp_path / "cased.txt")
    assert emb.vocab.tokens == ["Paris", "paris", "France"] and not emb.vocab.settings.lower
    assert np.array_equal(emb["Paris"], vecs["Paris"]) and np.array_equal(emb["paris"], vecs["paris"])
    with pytest.raises(KeyError, match="did you mean France"):
        emb["france"]
    (tmp_path / "notes.txt").write_text("just some words\nand more\n", encoding="utf-8")
    with pytest.raises(FormatError, match=r"notes.txt: line 1: 'some' is not a number \(expected an embedcli model "
                                          r"directory or a word2vec/GloVe vector file\)$"):
        embedcli.load(tmp_path / "notes.txt")
    r = runner.invoke(main, ["similar", str(tmp_path / "notes.txt"), "words"])
    assert r.exit_code == 1 and r.stderr.startswith("Error: ") and len(r.stderr.strip().splitlines()) == 1
    # a JSON file given as MODEL (a vocabulary, a model's history.json) is named as such
    for name, text in (("v.json", '{"format": "embedcli-vocab"}'), ("history.json", '[\n  {"epoch": 1}]'),
                       ("list.json", '["a", "b"]')):
        (tmp_path / name).write_text(text, encoding="utf-8")
        with pytest.raises(FormatError, match=rf"{name}: a JSON file, not a model \(expected an embedcli model"):
            embedcli.load(tmp_path / name)
    (tmp_path / "bracket.txt").write_text("[ 0.5 0.5\nab 0.3 0.1\n", encoding="utf-8")  # GloVe, the word "["
    assert embedcli.load(tmp_path / "bracket.txt").vocab.tokens == ["[", "ab"]


def test_a_file_of_a_model_directory_names_the_directory(tmp_path, runner):
    """model/config.yaml given as MODEL was read as a GloVe file ("line 1: 'embedcli-model' is not
    a number"), model/vocab.json called 'a JSON file'; both are files of a model, which is its
    directory. A vector file exported into the directory still loads."""
    emb = embedcli.Embeddings(embedcli.Vocab.build(["hope to see you soon"]), np.ones((7, 4), np.float32))
    emb.save(tmp_path / "m")
    for name in ("config.yaml", "vocab.json", "history.json"):
        path = tmp_path / "m" / name
        if not path.exists():
            path.write_text("[]\n", encoding="utf-8")
        with pytest.raises(FormatError, match=r"^%s: a file of the model directory %s; give the directory itself$"
                                              % (path, tmp_path / "m")):
            embedcli.load(path)
        r = runner.invoke(main, ["similar", str(path), "hope"])
        assert r.exit_code == 1 and r.stderr == f"Error: {path}: a file of the model directory {tmp_path / 'm'}; " \
                                                "give the directory itself\n"
    emb.export(tmp_path / "m" / "vectors.txt")
    assert embedcli.load(tmp_path / "m" / "vectors.txt").vocab.tokens == emb.vocab.tokens[2:]


def test_a_fasttext_bin_model_is_named_with_the_file_to_use(tmp_path, runner):
    """fastText's .bin (what `fasttext skipgram` and gensim's save_facebook_model write beside the
    .vec) is not a vector file; embedcli.load, the query commands, info and train --init said
    'line 1: invalid UTF-8 (byte 0xba)', the first byte of its magic number. They now say what the
    file is and which one to give."""
    import struct

    path = tmp_path / "model.bin"
    path.write_bytes(struct.pack("<ii", 793712314, 12) + bytes(range(256)))  # fastText's magic and version
    with pytest.raises(FormatError, match=r"model.bin: a fastText \.bin model.*\.vec"):
        embedcli.load(path)
    corpus = tmp_path / "c.txt"
    corpus.write_text("the king and the queen\n" * 20, encoding="utf-8")
    for args in (["similar", str(path), "king"], ["info", str(path)], ["vectors", str(path), "king"],
                 ["train", str(corpus), "-o", str(tmp_path / "m"), "--init", str(path), "--quiet"]):
        r = runner.invoke(main, args)
        assert r.exit_code != 0 and "Traceback" not in r.output, args
        assert len(r.stderr.strip().splitlines()) == 1 and "fastText .bin model" in r.stderr, (args, r.stderr)
        assert "invalid UTF-8" not in r.stderr and "model.vec" in r.stderr, r.stderr


def test_vectors_writes_words_with_other_unicode_spaces_as_show_table_and_gensim_do(tmp_path, runner):
    # gensim writes and reads back a word with a no-break or thin space (it splits lines at " "),
    # and show-table exports one; vectors refused it ('cannot be written in word2vec format')
    words = ["new\u00a0york", "a\u2009b"]
    vecs = np.array([[0.5, -1.25], [2.0, 0.125]], dtype=np.float32)
    src = tmp_path / "nbsp.txt"
    src.write_text("2 2\n" + "".join(f"{w} {v[0]} {v[1]}\n" for w, v in zip(words, vecs)), encoding="utf-8")
    out = tmp_path / "out.txt"
    res = runner.invoke(main, ["vectors", str(src), *words, "-o", str(out)])
    assert res.exit_code == 0, res.output
    from gensim.models import KeyedVectors

    kv = KeyedVectors.load_word2vec_format(str(out))
    assert kv.index_to_key == words and np.array_equal(kv.vectors, vecs)
