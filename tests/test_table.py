"""show-table: exports (gensim as reference reader), phrase rows, one-hot explanation, plot,
pretrained vector files and init_rows."""

import csv
import json
import os
import struct
import sys

import numpy as np
import pytest
from gensim.models import KeyedVectors

from embedcli.cli import main
from embedcli.encode import pad_sequences
from reference import encode_phrases
from embedcli.errors import EmbedcliError
from embedcli.model import Model
from embedcli.export import read_json_table
from embedcli.inspect import abbreviate_onehot, explain, pca_2d, phrase_rows
from embedcli.vectors import init_rows, open_vectors
from embedcli.text import TextSettings
from embedcli.vocab import Vocab, build_vocab, count_tokens

SEED = "Hope to see you soon\nNice to see you again\n"


def make_model(tmp_path, text=SEED, dim=2, seed=0, name="model", settings=TextSettings()):
    corpus = tmp_path / f"{name}.txt"
    corpus.write_text(text, encoding="utf-8")
    counts, total = count_tokens([corpus], settings)
    vocab = build_vocab(counts, total, settings)
    rng = np.random.default_rng(seed)
    table = rng.standard_normal((len(vocab), dim)).astype(np.float32)
    path = tmp_path / name
    Model(vocab=vocab, table=table, config={"objective": "test"}).save(path)
    return str(path), vocab, table


# -- the table ------------------------------------------------------------------------------
def test_show_table_seed(tmp_path, runner):
    path, vocab, table = make_model(tmp_path)
    assert table.shape == (9, 2)  # <pad>, <unk> + 7 words: the seed's Embedding(7, 2) plus specials
    res = runner.invoke(main, ["show-table", path])
    assert res.exit_code == 0, res.output
    assert "Embedding(9, 2)" in res.output
    for i, tok in enumerate(vocab.tokens):
        assert tok in res.output
    assert f"{table[4, 1]:.4f}" in res.output
    res = runner.invoke(main, ["show-table", path, "--json", "--limit", "3"])
    data = json.loads(res.stdout)
    assert [r["token"] for r in data["rows"]] == vocab.tokens[:3]
    assert np.array_equal(np.array([r["vector"] for r in data["rows"]], dtype=np.float32), table[:3])


def test_show_table_precision_and_bad_flags(tmp_path, runner):
    path, _, table = make_model(tmp_path)
    res = runner.invoke(main, ["show-table", path, "--precision", "2", "--limit", "2"])
    assert f"{table[1, 0]:.2f}" in res.output
    res = runner.invoke(main, ["show-table", path, "--limit", "0"])
    assert res.exit_code == 2 and "--limit" in res.output
    res = runner.invoke(main, ["show-table", path, "--phrase", "see", "--explain", "see"])
    assert res.exit_code == 2 and "cannot be combined" in res.output
    res = runner.invoke(main, ["show-table", path, "--format", "csv"])
    assert res.exit_code == 2 and "-o" in res.output
    res = runner.invoke(main, ["show-table", str(tmp_path / "nope")])
    assert res.exit_code == 1 and "Traceback" not in res.output


# -- exports ------------------------------------------------------------------------------------
def test_word2vec_text_and_binary_load_in_gensim(tmp_path, runner):
    path, vocab, table = make_model(tmp_path, dim=7, text=SEED * 2 + "naïve café déjà-vu\n")
    txt, binf = tmp_path / "v.txt", tmp_path / "v.bin"
    # by default words only: no all-zero <pad> row and no <unk> pseudo-word for gensim users
    words_txt, words_bin = tmp_path / "w.txt", tmp_path / "w.bin"
    assert runner.invoke(main, ["show-table", path, "--format", "word2vec", "-o", str(words_txt)]).exit_code == 0
    assert runner.invoke(main, ["show-table", path, "--format", "word2vec-binary", "-o", str(words_bin)]).exit_code == 0
    for kv in (KeyedVectors.load_word2vec_format(str(words_txt)),
               KeyedVectors.load_word2vec_format(str(words_bin), binary=True)):
        assert kv.index_to_key == vocab.tokens[2:] and np.array_equal(kv.vectors, table[2:])
    assert words_txt.read_text(encoding="utf-8").splitlines()[0] == f"{len(vocab) - 2} 7"
    # --include-specials: every row, in vocabulary order
    for fmt, out in (("word2vec", txt), ("word2vec-binary", binf)):
        r = runner.invoke(main, ["show-table", path, "--format", fmt, "-o", str(out), "--include-specials"])
        assert r.exit_code == 0, r.output
    kv_t = KeyedVectors.load_word2vec_format(str(txt))
    kv_b = KeyedVectors.load_word2vec_format(str(binf), binary=True)
    for kv in (kv_t, kv_b):
        assert kv.index_to_key == vocab.tokens
    assert np.abs(kv_t.vectors - table).max() <= 1e-5
    assert np.array_equal(kv_t.vectors, table)  # shortest float32 repr reads back exactly
    assert np.array_equal(kv_b.vectors, table)
    # the binary layout: header, then word + space + float32 LE + newline
    raw = binf.read_bytes()
    header = f"{len(vocab)} 7\n".encode()
    assert raw.startswith(header)
    first = raw[len(header):]
    assert first.startswith(b"<pad> ")
    assert struct.unpack("<7f", first[6 : 6 + 28]) == tuple(float(v) for v in table[0])
    assert first[6 + 28 : 6 + 29] == b"\n"


def test_word2vec_to_stdout(tmp_path, runner):
    path, vocab, table = make_model(tmp_path)
    res = runner.invoke(main, ["show-table", path, "--format", "word2vec", "-o", "-"])
    assert res.exit_code == 0
    lines = res.stdout.splitlines()
    assert lines[0] == f"{len(vocab) - 2} 2"  # words only: <pad> and <unk> left out
    assert lines[1].split(" ")[0] == "hope"
    assert np.float32(lines[1].split(" ")[2]) == table[2, 1]
    res = runner.invoke(main, ["show-table", path, "--format", "word2vec", "-o", "-", "--include-specials"])
    lines = res.stdout.splitlines()
    assert lines[0] == f"{len(vocab)} 2" and lines[1].startswith("<pad> ") and lines[3].startswith("hope ")


def test_projector_tsv_directory_and_prefix(tmp_path, runner):
    path, vocab, table = make_model(tmp_path, dim=3)
    out = tmp_path / "proj"
    res = runner.invoke(main, ["show-table", path, "--format", "tsv", "-o", str(out) + "/"])
    assert res.exit_code == 0, res.output
    vec = np.loadtxt(out / "vectors.tsv", delimiter="\t", dtype=np.float32)
    meta = (out / "metadata.tsv").read_text(encoding="utf-8").splitlines()
    assert vec.shape == table[2:].shape and np.array_equal(vec, table[2:])  # no <pad>/<unk> by default
    assert meta == vocab.tokens[2:]
    res = runner.invoke(main, ["show-table", path, "--format", "tsv", "-o", str(tmp_path / "all") + "/",
                               "--include-specials"])
    assert res.exit_code == 0, res.output
    assert np.array_equal(np.loadtxt(tmp_path / "all" / "vectors.tsv", delimiter="\t", dtype=np.float32), table)
    assert (tmp_path / "all" / "metadata.tsv").read_text(encoding="utf-8").splitlines() == vocab.tokens
    res = runner.invoke(main, ["show-table", path, "--format", "tsv", "-o", str(tmp_path / "emb")])
    assert res.exit_code == 0
    assert (tmp_path / "emb.vectors.tsv").read_text() == (out / "vectors.tsv").read_text()
    assert (tmp_path / "emb.metadata.tsv").read_text() == (out / "metadata.tsv").read_text()
    res = runner.invoke(main, ["show-table", path, "--format", "tsv", "-o", "-"])
    assert res.exit_code == 2


def test_csv_json_npy(tmp_path, runner):
    path, vocab, table = make_model(tmp_path, dim=4)
    for fmt in ("csv", "json", "npy"):
        res = runner.invoke(main, ["show-table", path, "--format", fmt, "-o", str(tmp_path / f"t.{fmt}")])
        assert res.exit_code == 0, res.output
    with open(tmp_path / "t.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["index", "token", "d0", "d1", "d2", "d3"]
    assert [r[1] for r in rows[1:]] == vocab.tokens[2:] and rows[1][0] == "2"  # words only, indices kept
    assert np.array_equal(np.array([r[2:] for r in rows[1:]], dtype=np.float32), table[2:])
    res = runner.invoke(main, ["show-table", path, "--format", "csv", "-o", str(tmp_path / "all.csv"), "--include-specials"])
    with open(tmp_path / "all.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert [r[1] for r in rows[1:]] == vocab.tokens
    assert np.array_equal(np.array([r[2:] for r in rows[1:]], dtype=np.float32), table)
    idx, toks, vecs = read_json_table(str(tmp_path / "t.json"))
    assert idx == list(range(len(vocab))) and toks == vocab.tokens and np.array_equal(vecs, table)
    json.loads((tmp_path / "t.json").read_text())  # plain JSON
    npy = np.load(tmp_path / "t.npy")
    assert npy.dtype == np.float32 and np.array_equal(npy, table)
    # --limit selects rows for an export
    res = runner.invoke(main, ["show-table", path, "--format", "npy", "--limit", "3", "-o", str(tmp_path / "3.npy")])
    assert np.array_equal(np.load(tmp_path / "3.npy"), table[:3])


def test_export_guards_tokens_with_spaces(tmp_path, runner):
    vocab = Vocab(tokens=["<pad>", "<unk>", "new york", "a"], counts=[0, 0, 1, 1])
    table = np.ones((4, 2), np.float32)
    Model(vocab=vocab, table=table).save(tmp_path / "m")
    res = runner.invoke(main, ["show-table", str(tmp_path / "m"), "--format", "word2vec", "-o", str(tmp_path / "x")])
    assert res.exit_code == 1 and "new york" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "x").exists()
    res = runner.invoke(main, ["show-table", str(tmp_path / "m"), "--format", "csv", "-o", str(tmp_path / "x.csv")])
    assert res.exit_code == 0


def test_export_is_atomic(tmp_path, runner):
    path, _, _ = make_model(tmp_path)
    target = tmp_path / "keep.txt"
    target.write_text("old")
    vocab = Vocab(tokens=["<pad>", "<unk>", "bad\ttoken"], counts=[0, 0, 1])
    Model(vocab=vocab, table=np.zeros((3, 2), np.float32)).save(tmp_path / "bad")
    res = runner.invoke(main, ["show-table", str(tmp_path / "bad"), "--format", "word2vec", "-o", str(target)])
    assert res.exit_code == 1
    assert target.read_text() == "old"
    assert [p for p in os.listdir(tmp_path) if p.endswith(".tmp")] == []


# -- phrases ------------------------------------------------------------------------------------
@pytest.mark.parametrize("maxlen,padding,truncating", [
    (None, "pre", "pre"), (8, "pre", "pre"), (8, "post", "pre"), (3, "pre", "pre"), (3, "pre", "post"),
    (3, "post", "post"), (5, "post", "pre"),
])
def test_phrase_rows_equal_embedding_lookup(tmp_path, maxlen, padding, truncating):
    _, vocab, table = make_model(tmp_path, dim=3)
    phrase = "Nice to see YOU again, stranger"
    rows = phrase_rows(vocab, table, phrase, maxlen=maxlen, padding=padding, truncating=truncating)
    ids = encode_phrases([phrase], vocab)
    if maxlen is not None:
        ids = pad_sequences(ids, maxlen=maxlen, padding=padding, truncating=truncating, value=vocab.pad_id)
    ids = np.asarray(ids[0])
    # a Keras Embedding layer with table.npy as weights returns take(table, ids, axis=0)
    expected = np.take(table, ids, axis=0)
    assert np.array_equal(np.stack([r.vector for r in rows]), expected)
    assert [r.index for r in rows] == ids.tolist()
    assert [r.position for r in rows] == list(range(len(ids)))
    assert "<unk>" in [r.token for r in rows] or maxlen == 3


def test_phrase_cli_json(tmp_path, runner):
    path, vocab, table = make_model(tmp_path, dim=2)
    res = runner.invoke(main, ["show-table", path, "--phrase", "Nice to see you again", "--json"])
    data = json.loads(res.stdout)
    assert [d["token"] for d in data] == ["nice", "to", "see", "you", "again"]
    assert [d["position"] for d in data] == [0, 1, 2, 3, 4]
    for d in data:
        assert np.array_equal(np.float32(d["vector"]), table[d["index"]])
    res = runner.invoke(main, ["show-table", path, "--phrase", "Nice to see you zorg", "--maxlen", "7",
                               "--padding", "post", "--json"])
    data = json.loads(res.stdout)
    assert [d["index"] for d in data] == [7, 3, 4, 5, 1, 0, 0]
    assert data[4]["token"] == "<unk>" and data[4]["input"] == "zorg"
    assert data[5]["input"] is None and data[5]["token"] == "<pad>"
    res = runner.invoke(main, ["show-table", path, "--phrase", "Nice to see you zorg", "--maxlen", "3"])
    assert res.exit_code == 0 and "zorg" in res.output and "nice" not in res.output
    res = runner.invoke(main, ["show-table", path, "--maxlen", "3"])
    assert res.exit_code == 2


# -- one-hot ------------------------------------------------------------------------------------
def test_explain_computes_onehot_product(tmp_path, runner):
    path, vocab, table = make_model(tmp_path, dim=2)
    e = explain(vocab, table, "See")
    assert e.index == vocab.index["see"] and e.one_hot.sum() == 1 and e.one_hot[e.index] == 1
    assert e.equal and np.array_equal(e.product, table[e.index])
    res = runner.invoke(main, ["show-table", path, "--explain", "see", "--json"])
    data = json.loads(res.stdout)
    assert len(data["one_hot"]) == len(vocab) and data["one_hot"][data["index"]] == 1
    assert data["equal"] is True and data["max_abs_difference"] == 0.0
    assert np.array_equal(np.float32(data["product"]), table[data["index"]])
    res = runner.invoke(main, ["show-table", path, "--explain", "see"])
    assert "[0 0 0 0 1 0 0 0 0]" in res.output and "equal" in res.output
    res = runner.invoke(main, ["show-table", path, "--explain", "sea"])
    assert res.exit_code == 1 and "see" in res.output  # suggestion


def test_explain_detects_a_mismatch(tmp_path):
    _, vocab, table = make_model(tmp_path, dim=2)
    table = table.copy()
    table[3, 0] = np.nan  # NaN * 0 poisons the product: the comparison must notice
    e = explain(vocab, table, "to")
    assert e.index == 3 and not e.equal
    e = explain(vocab, table, "see")
    assert not e.equal and np.isnan(e.product[0])


def test_abbreviate_onehot():
    assert abbreviate_onehot(2, 5) == "[0 0 1 0 0]"
    assert abbreviate_onehot(500, 1000) == "[0 0 0 … 0 0 1 0 0 … 0]"
    assert abbreviate_onehot(0, 1000) == "[1 0 0 … 0]"
    assert abbreviate_onehot(999, 1000) == "[0 0 0 … 0 0 1]"


# -- plot ---------------------------------------------------------------------------------------
def test_pca_matches_covariance_eigenvectors():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((40, 5)) @ np.diag([5, 3, 1, 0.5, 0.1])
    coords, share = pca_2d(x)
    xc = x - x.mean(0)
    w, v = np.linalg.eigh(np.cov(xc.T))
    top = v[:, ::-1][:, :2]
    assert np.allclose(np.abs(coords), np.abs(xc @ top), atol=1e-8)
    assert np.allclose(share, w[::-1][:2] / w.sum())


def test_plot_writes_png(tmp_path, runner):
    # matplotlib is in the `test` extra, so this runs wherever the tests run
    path, _, _ = make_model(tmp_path, dim=4)
    out = tmp_path / "w.png"
    res = runner.invoke(main, ["show-table", path, "--plot", str(out), "--limit", "5", "--json"])
    assert res.exit_code == 0, res.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(json.loads(res.stdout)["words"]) == 5


def test_plot_without_matplotlib(tmp_path, runner, monkeypatch):
    path, _, _ = make_model(tmp_path)
    for mod in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, mod)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import fails
    res = runner.invoke(main, ["show-table", path, "--plot", str(tmp_path / "w.png")])
    assert res.exit_code == 1
    assert "pip install 'embedcli[plot]'" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "w.png").exists()


# -- pretrained vectors -------------------------------------------------------------------------
def _kv(tokens, vectors):
    kv = KeyedVectors(vectors.shape[1])
    kv.add_vectors(tokens, vectors)
    return kv


@pytest.fixture
def pretrained(tmp_path):
    rng = np.random.default_rng(3)
    words = ["see", "You", "hope", "zebra", "to", "soon", "you"]
    vecs = rng.standard_normal((len(words), 2)).astype(np.float32)
    kv = _kv(words, vecs)
    paths = {
        "w2v": tmp_path / "p.txt", "bin": tmp_path / "p.bin", "glove": tmp_path / "p.glove",
    }
    kv.save_word2vec_format(str(paths["w2v"]))
    kv.save_word2vec_format(str(paths["bin"]), binary=True)
    kv.save_word2vec_format(str(paths["glove"]), write_header=False)
    return words, vecs, paths


def test_open_vectors_detects_formats(pretrained):
    words, vecs, paths = pretrained
    for key, fmt in (("w2v", "word2vec"), ("bin", "word2vec-binary"), ("glove", "glove")):
        info, it = open_vectors(str(paths[key]))
        assert info.format == fmt and info.dim == 2
        got = list(it)
        assert [g[0] for g in got] == words
        assert np.array_equal(np.stack([g[1] for g in got]), vecs)


def test_open_vectors_reads_original_word2vec_c_layout(tmp_path):
    # word2vec.c: text lines end with "value \n"; binary records end with "\n"
    vecs = np.array([[0.5, -1.25], [2.0, 3.5]], dtype=np.float32)
    (tmp_path / "c.txt").write_text("2 2\nalpha 0.500000 -1.250000 \nbeta 2.000000 3.500000 \n")
    with open(tmp_path / "c.bin", "wb") as f:
        f.write(b"2 2\n")
        for w, v in zip(["alpha", "beta"], vecs):
            f.write(w.encode() + b" " + v.astype("<f4").tobytes() + b"\n")
    for name in ("c.txt", "c.bin"):
        info, it = open_vectors(str(tmp_path / name))
        got = list(it)
        assert [g[0] for g in got] == ["alpha", "beta"]
        assert np.array_equal(np.stack([g[1] for g in got]), vecs)


@pytest.mark.parametrize("content,message", [
    ("3 2\na 1 2\nb 1 x\nc 1 2\n", "line 3: 'x' is not a number"),
    ("3 2\na 1 2\nb 1\nc 1 2\n", "line 3: expected a word and 2 values, got 1"),
    ("3 2\na 1 2\nb 1 2\n", "truncated: the header says 3 vectors, the file has 2"),
    ("1 2\na 1 2\nb 1 2\n", "line 3: more vectors than the header's count"),
    ("a 1 2 3\nb 1 2\n", "line 2: expected a word and 3 values, got 2"),
    ("a 1 nan\n", "line 1: NaN"),
])
def test_malformed_vector_files(tmp_path, content, message):
    p = tmp_path / "bad.txt"
    p.write_text(content)
    info, it = open_vectors(str(p))
    with pytest.raises(EmbedcliError) as exc:
        list(it)
    assert message in str(exc.value) and str(p) in str(exc.value)
    assert "\n" not in str(exc.value)


def test_truncated_binary(tmp_path, pretrained):
    _, _, paths = pretrained
    raw = paths["bin"].read_bytes()
    p = tmp_path / "cut.bin"
    p.write_bytes(raw[:-5])
    info, it = open_vectors(str(p))
    with pytest.raises(EmbedcliError, match="truncated at vector 7"):
        list(it)


def test_init_rows(tmp_path, pretrained):
    words, vecs, paths = pretrained
    _, vocab, _ = make_model(tmp_path, dim=2)
    base = np.full((len(vocab), 2), 9.0, np.float32)
    for key in paths:
        table, found, n = init_rows(vocab, str(paths[key]), 2, table=base)
        assert n == 5 == found.sum()  # see, hope, to, soon, you
        assert np.array_equal(table[vocab.index["see"]], vecs[0])
        # "You" comes first but "you" matches exactly: the exact match wins
        assert np.array_equal(table[vocab.index["you"]], vecs[6])
        assert np.array_equal(table[~found], base[~found])
        assert not found[vocab.index["nice"]]
    assert np.all(base == 9.0)  # not modified
    t1, f1, _ = init_rows(vocab, str(paths["w2v"]), 2, rng=np.random.default_rng(5))
    t2, f2, _ = init_rows(vocab, str(paths["w2v"]), 2, rng=np.random.default_rng(5))
    assert np.array_equal(t1, t2) and t1.dtype == np.float32
    assert np.all(np.abs(t1[~f1]) <= 0.25)
    with pytest.raises(EmbedcliError, match="2-dimensional vectors but the table has dim 3; use dim 2"):
        init_rows(vocab, str(paths["glove"]), 3, rng=np.random.default_rng(0))


def test_init_rows_first_case_variant_wins(tmp_path):
    p = tmp_path / "g.txt"
    p.write_text("Nice 1 1\nNICE 2 2\nagain 3 3\n")
    _, vocab, _ = make_model(tmp_path, dim=2)
    table, found, n = init_rows(vocab, str(p), 2, rng=np.random.default_rng(0))
    assert n == 2 and table[vocab.index["nice"]].tolist() == [1, 1]
