"""Each command renders what one method of the public objects returns: the files and the --json
output of the command equal the method's result (the command adds nothing of its own)."""

import gzip
import io
import json
import lzma

import numpy as np

import embedcli
from embedcli.cli import main
from support.api import CORPUS, FAST

PHRASES = ["Hope to see you soon, zzyzx", "Nice to see you again", "", "see you see you see you again and again"]


def ok(runner, *args):
    r = runner.invoke(main, [str(a) for a in args])
    assert r.exit_code == 0, r.output + (r.stderr or "")
    return r


def test_vocab_commands_equal_vocab_build_and_merge(runner, tmp_path):
    ok(runner, "vocab", CORPUS, "-o", tmp_path / "v.json", "--order", "frequency", "--min-count", "2", "-q")
    embedcli.Vocab.build(CORPUS, order="frequency", min_count=2).save(tmp_path / "api.json")
    assert (tmp_path / "v.json").read_bytes() == (tmp_path / "api.json").read_bytes()
    r = ok(runner, "vocab", CORPUS, "-o", tmp_path / "v.json", "--json")
    assert json.loads(r.stdout)["distinct_words"] == embedcli.Vocab.build(CORPUS).distinct_words
    lines = CORPUS.read_text(encoding="utf-8").splitlines(keepends=True)
    (tmp_path / "a.txt").write_text("".join(lines[:40]), encoding="utf-8")
    (tmp_path / "b.txt").write_text("".join(lines[40:]), encoding="utf-8")
    for name in ("a", "b"):
        ok(runner, "vocab", tmp_path / f"{name}.txt", "--partial", "-o", tmp_path / f"{name}.json", "-q")
        embedcli.Vocab.count_shard(tmp_path / f"{name}.txt").save(tmp_path / f"api-{name}.json")
        assert (tmp_path / f"{name}.json").read_bytes() == (tmp_path / f"api-{name}.json").read_bytes()
    ok(runner, "vocab", "merge", tmp_path / "a.json", tmp_path / "b.json", "-o", tmp_path / "m.json", "-q")
    embedcli.Vocab.merge([tmp_path / "a.json", tmp_path / "b.json"]).save(tmp_path / "api-m.json")
    assert (tmp_path / "m.json").read_bytes() == (tmp_path / "api-m.json").read_bytes()
    embedcli.Vocab.build(CORPUS).save(tmp_path / "whole.json")
    assert (tmp_path / "m.json").read_bytes() == (tmp_path / "whole.json").read_bytes()


def test_encode_equals_vocab_encode_to(runner, tmp_path):
    (tmp_path / "p.txt").write_text("\n".join(PHRASES) + "\n", encoding="utf-8")
    vocab = embedcli.Vocab.build(CORPUS)
    vocab.save(tmp_path / "v.json")
    for out, extra in (("ids.npy", ["--maxlen", "6"]), ("ids2.npy", []), ("ids.csv", ["--maxlen", "6", "--padding", "post"])):
        r = ok(runner, "encode", "-v", tmp_path / "v.json", "-i", tmp_path / "p.txt", "-o", tmp_path / out, "--json",
               *extra)
        kw = {"maxlen": 6} if extra else {}
        if "post" in extra:
            kw["padding"] = "post"
        summary = vocab.encode_to(tmp_path / f"api-{out}", tmp_path / "p.txt", format=out.split(".")[1], **kw)
        assert (tmp_path / out).read_bytes() == (tmp_path / f"api-{out}").read_bytes()
        assert json.loads(r.stdout) == {"output": str(tmp_path / out), **summary, "format": out.split(".")[1]}
    r = ok(runner, "encode", "-v", tmp_path / "v.json", *PHRASES, "--maxlen", "5", "--json")
    doc = json.loads(r.stdout)
    assert doc["sequences"] == vocab.encode(PHRASES, maxlen=5).tolist() == vocab.encode_to(None, PHRASES, maxlen=5)["sequences"]
    r = ok(runner, "encode", "-v", tmp_path / "v.json", *PHRASES[:2], "--maxlen", "5")
    assert json.loads(r.stdout) == vocab.encode(PHRASES[:2], maxlen=5).tolist()


def test_show_table_and_vectors_render_the_embeddings_methods(runner, tmp_path):
    emb = embedcli.train(CORPUS, workers=1, output=tmp_path / "m", **FAST)
    model = tmp_path / "m"
    r = ok(runner, "show-table", model, "--json", "-n", "5")
    assert json.loads(r.stdout) == json.loads(json.dumps(emb.to_dict(limit=5)))
    r = ok(runner, "show-table", model, "--phrase", "the zyzzx cat", "--maxlen", "4", "--json")
    assert [(d["token"], d["index"], d["input"]) for d in json.loads(r.stdout)] == \
        [(p.token, p.index, p.input) for p in emb.phrase_lookup("the zyzzx cat", maxlen=4)]
    assert np.array_equal(np.array([d["vector"] for d in json.loads(r.stdout)], dtype=np.float32),
                          emb.phrase_rows("the zyzzx cat", maxlen=4))
    r = ok(runner, "show-table", model, "--explain", "Cat", "--json")
    e = emb.explain("Cat")
    assert {k: json.loads(r.stdout)[k] for k in ("token", "index", "equal")} == {"token": "cat", "index": e.index,
                                                                                 "equal": True}
    ok(runner, "show-table", model, "--format", "word2vec", "-o", tmp_path / "cli.txt", "-n", "30", "-q")
    emb.export(tmp_path / "api.txt", limit=30)
    assert (tmp_path / "cli.txt").read_bytes() == (tmp_path / "api.txt").read_bytes()
    r = ok(runner, "vectors", model, "Cat", "dog", "--format", "json")
    assert [(v["token"], v["index"]) for v in json.loads(r.stdout)["vectors"]] == \
        [(v.token, v.index) for v in emb.word_vectors(["Cat", "dog"])]
    # --json is --format json; a lone '-' reads the words from stdin
    assert ok(runner, "vectors", model, "Cat", "dog", "--json").stdout == r.stdout
    piped = runner.invoke(main, ["vectors", str(model), "-", "--json"], input="Cat\ndog\n")
    assert piped.exit_code == 0 and piped.stdout == r.stdout, piped.output
    bad = runner.invoke(main, ["vectors", str(model), "cat", "--json", "--format", "npy"])
    assert bad.exit_code == 2 and "--json is --format json" in bad.stderr
    # unknown words: an error (default), left out and named (--oov skip), or zeros (--oov zero, as fastText)
    r = runner.invoke(main, ["vectors", str(model), "cat", "zyzzx", "dog"])
    assert r.exit_code == 1 and r.stdout == "" and "unknown word 'zyzzx'" in r.stderr
    r = runner.invoke(main, ["vectors", str(model), "cat", "zyzzx", "dog", "qqxq", "zyzzx", "--oov", "skip"])
    assert r.exit_code == 0 and r.stderr == "left out 2 unknown words: 'zyzzx', 'qqxq'\n"
    assert r.stdout == ok(runner, "vectors", model, "cat", "dog").stdout
    r = ok(runner, "vectors", model, "cat", "zyzzx", "--oov", "zero", "--json")
    got = json.loads(r.stdout)["vectors"]
    assert [(v["word"], v["index"], v["source"]) for v in got] == [("cat", emb.vocab["cat"], "vocabulary"),
                                                                    ("zyzzx", None, "unknown")]
    assert got[1]["vector"] == [0.0] * emb.dim
    assert [(v.word, v.source) for v in emb.word_vectors(["cat", "zyzzx"], oov="skip")] == [("cat", "vocabulary")]
    np.testing.assert_array_equal(np.load(io.BytesIO(runner.invoke(
        main, ["vectors", str(model), "zyzzx", "cat", "--oov", "zero", "--format", "npy", "-o", "-"]).stdout_bytes)),
        np.stack([np.zeros(emb.dim, np.float32), emb["cat"]]))
    r = runner.invoke(main, ["vectors", str(model), "zyzzx", "--oov", "skip"])
    assert r.exit_code == 1 and r.stderr == "Error: the word given has no vector ('zyzzx' is not in the vocabulary)\n"
    r = runner.invoke(main, ["vectors", str(model), "zyzzx", "qqxq", "--oov", "skip"])
    assert r.exit_code == 1 and "none of the 2 words given has a vector ('zyzzx' is" in r.stderr
    # a compressed output name gets compressed data (gensim reads it by its name), as the exports do
    ok(runner, "vectors", model, "cat", "dog", "-o", tmp_path / "v.txt.gz")
    assert gzip.decompress((tmp_path / "v.txt.gz").read_bytes()).decode() == ok(runner, "vectors", model, "cat", "dog").stdout
    ok(runner, "vectors", model, "cat", "dog", "--format", "npy", "-o", tmp_path / "v.npy.xz")
    np.testing.assert_array_equal(np.load(io.BytesIO(lzma.decompress((tmp_path / "v.npy.xz").read_bytes()))),
                                  np.stack([emb["cat"], emb["dog"]]))


def test_vectors_oov_skip_and_zero_take_words_that_are_not_one_token(runner, tmp_path):
    # a word list cut from text holds 'e.g.' (two tokens after normalisation) or '--' (none): without a
    # vector of its own it is an unknown word for --oov skip and zero, as fastText's print-word-vectors
    # gives every whitespace-separated word a line; the default still names why it has no vector
    emb = embedcli.train(CORPUS, workers=1, output=tmp_path / "m", **FAST)
    model = tmp_path / "m"
    assert [(v.word, v.source) for v in emb.word_vectors(["cat", "e.g.", "--", "dog"], oov="skip")] == \
        [("cat", "vocabulary"), ("dog", "vocabulary")]
    got = emb.word_vectors(["e.g.", "cat"], oov="zero")
    assert [(v.word, v.token, v.index, v.source) for v in got] == [("e.g.", "e.g.", None, "unknown"),
                                                                   ("cat", "cat", emb.vocab["cat"], "vocabulary")]
    assert not got[0].vector.any() and got[0].vector.shape == (emb.dim,)
    r = runner.invoke(main, ["vectors", str(model), "-", "--oov", "skip"], input="cat e.g. -- dog\n")
    assert r.exit_code == 0 and r.stderr == "left out 2 unknown words: 'e.g.', '--'\n", r.output
    assert r.stdout == ok(runner, "vectors", model, "cat", "dog").stdout
    r = runner.invoke(main, ["vectors", str(model), "-", "--oov", "zero"], input="e.g. cat\n")
    assert r.exit_code == 0 and r.stdout.splitlines()[1] == "e.g. " + " ".join(["0.0"] * emb.dim), r.output
    r = runner.invoke(main, ["vectors", str(model), "-"], input="cat e.g.\n")
    assert r.exit_code == 2 and r.stderr == "Error: 'e.g.' is several tokens (e g); give one word\n"


def test_tables_are_read_as_their_text_column_by_the_library_too(runner, tmp_path):
    rows = [("1", "news", "Storm closes the railway line"), ("2", "clickbait", "You will not believe this cat"),
            ("3", "news", "The railway line opens again")] * 30
    (tmp_path / "d.tsv").write_text("id\tlabel\tbody\n" + "".join("\t".join(r) + "\n" for r in rows), encoding="utf-8")
    ok(runner, "vocab", tmp_path / "d.tsv", "--text-column", "body", "-o", tmp_path / "v.json", "-q")
    embedcli.Vocab.build(tmp_path / "d.tsv", text_column="body").save(tmp_path / "api.json")
    assert (tmp_path / "v.json").read_bytes() == (tmp_path / "api.json").read_bytes()
    assert "railway" in embedcli.Vocab.load(tmp_path / "v.json") and "body" not in embedcli.Vocab.load(tmp_path / "v.json")
    ok(runner, "train", tmp_path / "d.tsv", "--text-column", "body", "-o", tmp_path / "m", "--dim", "8", "--epochs", "1",
       "--min-count", "1", "--workers", "1", "-q")
    emb = embedcli.train(tmp_path / "d.tsv", text_column="body", dim=8, epochs=1, min_count=1, workers=1)
    assert np.load(tmp_path / "m" / "table.npy").tobytes() == emb.table.tobytes()
    ok(runner, "train", tmp_path / "d.tsv", "--objective", "classify", "--text-column", "body", "--label-column", "label",
       "-o", tmp_path / "c", "--epochs", "2", "--workers", "1", "-q")
    clf = embedcli.train(tmp_path / "d.tsv", objective="classify", text_column="body", label_column="label", epochs=2,
                         workers=1)
    assert np.load(tmp_path / "c" / "table.npy").tobytes() == clf.model.table.tobytes()
    assert sorted(clf.labels) == ["__label__clickbait", "__label__news"]


def test_encode_of_a_table_equals_encode_to_of_its_path(runner, tmp_path):
    (tmp_path / "d.csv").write_text("id,body\n1,Hope to see you soon\n2,zzyzx again\n", encoding="utf-8")
    vocab = embedcli.Vocab.build(CORPUS)
    vocab.save(tmp_path / "v.json")
    ok(runner, "encode", "-v", tmp_path / "v.json", "-i", tmp_path / "d.csv", "--text-column", "body", "--maxlen", "4",
       "-o", tmp_path / "cli.npy", "-q")
    vocab.encode_to(tmp_path / "api.npy", tmp_path / "d.csv", text_column="body", maxlen=4)
    assert (tmp_path / "cli.npy").read_bytes() == (tmp_path / "api.npy").read_bytes()
    assert np.array_equal(np.load(tmp_path / "api.npy"), vocab.encode(["Hope to see you soon", "zzyzx again"], maxlen=4))
