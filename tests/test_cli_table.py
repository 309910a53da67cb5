"""show-table: exports (gensim as reference reader), phrase rows, one-hot explanation, plot,
pretrained vector files and init_rows. Through the command line; the library tests are in
test_table.py."""

import csv
import json
import os
import struct
import sys

import numpy as np
from gensim.models import KeyedVectors

from embedcli.cli import main
from embedcli.model import Model
from embedcli.export import read_json_table
from embedcli.inspect import explain
from embedcli.vocab import Vocab

from support.table import SEED, make_model


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


def test_export_to_stdout_with_json_is_the_data_alone(tmp_path, runner):
    # --json's summary went to stdout after the exported data, so a piped word2vec file had a
    # JSON line after its last vector (and an .npy file trailing bytes)
    path, vocab, table = make_model(tmp_path)
    for fmt in ("word2vec", "word2vec-binary", "csv", "json", "npy"):
        plain = runner.invoke(main, ["show-table", path, "--format", fmt, "-o", "-"])
        res = runner.invoke(main, ["show-table", path, "--format", fmt, "-o", "-", "--json"])
        assert res.exit_code == 0 and res.stdout_bytes == plain.stdout_bytes, fmt
    out = tmp_path / "w.txt"
    res = runner.invoke(main, ["show-table", path, "--format", "word2vec", "-o", str(out), "--json"])
    assert json.loads(res.stdout) == {"format": "word2vec", "files": [str(out)], "rows": len(vocab) - 2, "dim": 2}


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


def test_projector_directory_creates_missing_parents(tmp_path, runner):
    """-o creates missing parent directories, for the projector's DIR/ as for its PREFIX and other formats."""
    path, vocab, table = make_model(tmp_path, dim=3)
    res = runner.invoke(main, ["show-table", path, "--format", "tsv", "-o", str(tmp_path / "new" / "proj") + "/"])
    assert res.exit_code == 0, res.output
    assert np.array_equal(np.loadtxt(tmp_path / "new" / "proj" / "vectors.tsv", delimiter="\t", dtype=np.float32),
                          table[2:])
    assert (tmp_path / "new" / "proj" / "metadata.tsv").read_text(encoding="utf-8").splitlines() == vocab.tokens[2:]


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
    # ... and counts the rows written: the first N words where <pad>/<unk> are left out (gensim's limit)
    for extra, first in (([], 2), (["--include-specials"], 0)):
        res = runner.invoke(main, ["show-table", path, "--format", "csv", "-n", "2", "-o", "-", *extra])
        rows = list(csv.reader(res.stdout.splitlines()))[1:]
        assert res.exit_code == 0 and [r[1] for r in rows] == vocab.tokens[first : first + 2], res.output
    res = runner.invoke(main, ["show-table", path, "--format", "word2vec", "-n", "1", "-o", "-"])
    assert res.stdout.splitlines()[0] == "1 4" and res.stdout.splitlines()[1].startswith(vocab.tokens[2] + " ")


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


def test_phrase_with_an_unknown_word_and_no_unk_row(tmp_path, runner):
    """A vocabulary without <unk> (a word2vec file, vocab --no-specials) has no row for an unknown
    word: show-table --phrase said '--oov skip drops unknown words', a flag show-table does not have;
    it is the unknown word error of --explain, with close spellings."""
    vectors = tmp_path / "w.txt"
    vectors.write_text("3 2\nking 0.1 0.2\nqueen 0.3 0.4\nman 0.5 0.6\n")
    res = runner.invoke(main, ["show-table", str(vectors), "--phrase", "king quen", "--maxlen", "3"])
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert res.stderr.strip() == "Error: unknown word 'quen'; did you mean queen?"
    res = runner.invoke(main, ["show-table", str(vectors), "--phrase", "king queen", "--json"])
    assert [d["index"] for d in json.loads(res.stdout)] == [0, 1]


def test_padding_rows_of_a_vocabulary_without_pad_say_so(tmp_path, runner):
    """Without <pad> (a word2vec file) padding is id 0, the first word's row: the table labels those
    rows 'king (padding)', not as the word 'king'."""
    vectors = tmp_path / "w.txt"
    vectors.write_text("3 2\nking 0.1 0.2\nqueen 0.3 0.4\nman 0.5 0.6\n")
    res = runner.invoke(main, ["show-table", str(vectors), "--phrase", "queen man king", "--maxlen", "5"])
    assert res.exit_code == 0, res.output
    labels = [line.split("│")[2].strip() for line in res.stdout.splitlines() if line.startswith("│")]
    assert labels == ["king (padding)", "king (padding)", "queen", "man", "king"]


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
