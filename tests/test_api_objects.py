"""The methods the commands call on the public objects (Vocab, Embeddings): counting in shards,
encoding to files, a phrase's rows, the one-hot explanation, exports, plots, word vectors, and
one-line reprs of what they return."""

import io
import json
import re
import sys

import numpy as np
import pytest

import embedcli
from embedcli.errors import EmbedcliError, ParameterError
from embedcli.sources import Files
from support.api import CORPUS, FAST, emb  # noqa: F401  (fixture)

PHRASES = ["Hope to see you soon, zzyzx", "Nice to see you again", "", "see you see you see you again and again"]


@pytest.fixture
def phrases_file(tmp_path):
    path = tmp_path / "phrases.txt"
    path.write_text("\n".join(PHRASES) + "\n", encoding="utf-8")
    return path


def test_shards_counted_apart_merge_into_the_vocabulary_of_the_whole(tmp_path):
    lines = CORPUS.read_text(encoding="utf-8").splitlines(keepends=True)
    half = len(lines) // 2
    (tmp_path / "a.txt").write_text("".join(lines[:half]), encoding="utf-8")
    (tmp_path / "b.txt").write_text("".join(lines[half:]), encoding="utf-8")
    whole = embedcli.Vocab.build(CORPUS, min_count=2, order="frequency")
    a = embedcli.Vocab.count_shard(tmp_path / "a.txt")
    b = embedcli.Vocab.count_shard(lines[half:])  # strings count the same as their file
    merged = embedcli.Vocab.merge([a, b], min_count=2, order="frequency")
    assert merged == whole and merged.to_dict() == whole.to_dict()
    assert merged.distinct_words == whole.distinct_words == len(embedcli.Vocab.build(CORPUS, specials=False))
    a.save(tmp_path / "a.json")
    b.save(tmp_path / "b.json")
    assert embedcli.Vocab.merge([tmp_path / "a.json", str(tmp_path / "b.json")], min_count=2,
                                order="frequency") == whole
    both = embedcli.Vocab.merge_counts([a, b])
    assert both.total == whole.corpus_tokens and len(both.tokens) == whole.distinct_words


def test_build_and_merge_check_their_arguments_before_reading(tmp_path):
    missing = Files([str(tmp_path / "missing.txt")])
    with pytest.raises(ParameterError, match=r"^min_count must be at least 1 \(got 0\)$"):
        embedcli.Vocab.build(missing, min_count=0)
    with pytest.raises(ParameterError, match=r"^unknown order 'alphabetical'"):
        embedcli.Vocab.merge([tmp_path / "missing.json"], order="alphabetical")


def test_build_refuses_text_without_words(tmp_path):
    with pytest.raises(EmbedcliError, match=r"^the texts: no words found"):
        embedcli.Vocab.build(["...", "!!"])
    (tmp_path / "empty.txt").write_text("")
    with pytest.raises(EmbedcliError, match=r"empty.txt: no words found"):
        embedcli.Vocab.build(Files([str(tmp_path / "empty.txt")]))


def test_encode_to_files_equals_encode_in_memory(tmp_path, phrases_file):
    vocab = embedcli.Vocab.build(CORPUS)
    want = vocab.encode(PHRASES, maxlen=6, padding="post", truncating="post")
    assert want.dtype == np.int32 and want.shape == (4, 6)
    kw = dict(maxlen=6, padding="post", truncating="post")
    fast = vocab.encode_to(tmp_path / "fast.npy", phrases_file, **kw)  # a file: straight into the .npy
    spooled = vocab.encode_to(tmp_path / "spooled.npy", PHRASES, **kw)  # phrases: spooled first
    assert np.array_equal(np.load(tmp_path / "fast.npy"), want) and np.array_equal(np.load(tmp_path / "spooled.npy"), want)
    longest = max(len(vocab.encode(p)) for p in PHRASES)
    padded = sum(len(vocab.encode(p)) < 6 for p in PHRASES)
    assert fast == spooled == {"rows": 4, "maxlen": 6, "unknown_tokens": fast["unknown_tokens"], "truncated": 1,
                               "padded": padded, "longest": longest}
    assert padded == 2
    assert fast["unknown_tokens"] == sum(ids.count(vocab.unk_id) for ids in vocab.encode(PHRASES)) > 0
    vocab.encode_to(tmp_path / "ids.csv", Files([str(phrases_file)]), format="csv", **kw)
    assert np.array_equal(np.loadtxt(tmp_path / "ids.csv", delimiter=",", dtype=np.int32), want)
    vocab.encode_to(tmp_path / "ids.jsonl", PHRASES, format="jsonl", **kw)
    assert [json.loads(line) for line in open(tmp_path / "ids.jsonl")] == want.tolist()
    kept = vocab.encode_to(None, PHRASES)  # no maxlen: the longest phrase, Keras' pre/pre
    assert kept["maxlen"] == longest and kept["sequences"] == vocab.encode(PHRASES, maxlen=longest).tolist()


class _Terminal(io.TextIOWrapper):
    def isatty(self):
        return True


def _encode_npy_to_stdout(vocab, stdout, phrases=("a b",), **kw):
    saved, sys.stdout = sys.stdout, stdout
    try:
        return vocab.encode_to("-", list(phrases), **kw)  # format npy, the default
    finally:
        sys.stdout = saved


def test_encode_to_writes_npy_into_a_pipe(tmp_path):
    """``-`` with npy: the same bytes as the file, into a pipe (numpy.load reads them from stdin)."""
    vocab = embedcli.Vocab.build(CORPUS)
    pipe = io.TextIOWrapper(io.BytesIO())
    for kw in ({"maxlen": 5}, {}, {"maxlen": 3, "padding": "post", "truncating": "post"}):
        pipe.buffer.seek(0)
        pipe.buffer.truncate()
        _encode_npy_to_stdout(vocab, pipe, PHRASES, **kw)
        vocab.encode_to(tmp_path / "f.npy", PHRASES, **kw)
        assert pipe.buffer.getvalue() == (tmp_path / "f.npy").read_bytes(), kw


def test_encode_to_errors_name_parameters(tmp_path):
    vocab = embedcli.Vocab.build(CORPUS)
    for stdout in (io.StringIO(), _Terminal(io.BytesIO())):  # a notebook's text stream; a terminal
        with pytest.raises(ParameterError, match=r"^format npy writes binary data: give output FILE.npy"):
            _encode_npy_to_stdout(vocab, stdout)
    with pytest.raises(ParameterError, match=r"^unknown format 'xml'"):
        vocab.encode_to(tmp_path / "x.xml", ["a b"], format="xml")
    with pytest.raises(ParameterError, match=r"^maxlen"):
        vocab.encode_to(tmp_path / "x.npy", ["a b"], maxlen=-1)


@pytest.mark.parametrize("maxlen", ["8", 8.0, 2.5, True])
def test_a_maxlen_that_is_not_an_integer_is_named(tmp_path, emb, maxlen):  # noqa: F811
    """maxlen="8" (from a config or argv) or 8.0 raised TypeError from inside ('<' not supported
    between instances of 'str' and 'int', 'float' object cannot be interpreted as an integer)."""
    vocab = emb.vocab
    message = rf"^maxlen must be an integer, at least 1 \(got {re.escape(repr(maxlen))}\)$"
    for call in (lambda: vocab.encode(["a b"], maxlen=maxlen), lambda: emb.encode("a b", maxlen=maxlen),
                 lambda: vocab.encode_to(tmp_path / "x.npy", ["a b"], maxlen=maxlen),
                 lambda: emb.phrase_lookup("a b", maxlen=maxlen)):
        with pytest.raises(ParameterError, match=message):
            call()
    assert vocab.encode(["a b"], maxlen=np.int64(3)).shape == (1, 3)  # numpy integers are counts
    with pytest.raises(ParameterError, match=r"^pad_value must be an integer \(got '0'\)$"):
        vocab.encode_to(None, ["a b"], pad_value="0")


def test_tokenize_splits_as_the_vocabulary(tmp_path):
    vocab = embedcli.Vocab.build(["Hope to see you soon"])
    assert vocab.tokenize("Nice to see you, AGAIN!") == ["nice", "to", "see", "you", "again"]
    cased = embedcli.Vocab.build(["Hope to see you soon"], lower=False, keep_punct=True)
    assert cased.tokenize("Nice to see you, AGAIN!") == ["Nice", "to", "see", "you", ",", "AGAIN", "!"]


def test_phrase_lookup_and_rows(emb):  # noqa: F811
    rows = emb.phrase_lookup("the zebra cat", maxlen=5)
    assert [(r.token, r.input) for r in rows] == [("<pad>", None), ("<pad>", None), ("the", "the"),
                                                    ("<unk>", "zebra"), ("cat", "cat")]
    ids = emb.encode("the zebra cat", maxlen=5)
    assert [r.index for r in rows] == ids.tolist()
    assert np.array_equal(emb.phrase_rows("the zebra cat", maxlen=5), emb.table[ids])
    assert "\n" not in repr(rows[0]) and "vector=float32[16]" in repr(rows[0])


def test_explain_is_one_hot_times_the_table(emb):  # noqa: F811
    e = emb.explain("Cat")
    assert (e.token, e.index) == ("cat", emb.vocab["cat"]) and e.equal and e.max_abs_difference == 0.0
    assert int(e.one_hot.sum()) == 1 and e.one_hot[e.index] == 1 and np.array_equal(e.product, emb["cat"])
    assert e.ngram_rows == 0 and "\n" not in repr(e) and f"one_hot=float32[{len(emb)}]" in repr(e)
    with pytest.raises(KeyError, match="zebra"):
        emb.explain("zebra")


def test_export_limit_to_dict_and_word_vectors(emb, tmp_path):  # noqa: F811
    res = emb.export(tmp_path / "v.txt", limit=10)
    lines = (tmp_path / "v.txt").read_text(encoding="utf-8").splitlines()
    # the first 10 words (<pad> and <unk> are left out, and limit counts the rows written, as gensim's)
    assert res.rows == 10 and lines[0] == f"10 {emb.dim}" and [l.split()[0] for l in lines[1:]] == emb.vocab.tokens[2:12]
    emb.export(tmp_path / "all.npy", format="npy", limit=4)
    assert np.array_equal(np.load(tmp_path / "all.npy"), emb.table[:4])
    doc = emb.to_dict(limit=3)
    assert doc["vocab_size"] == len(emb) and [r["token"] for r in doc["rows"]] == emb.vocab.tokens[:3]
    assert len(emb.to_dict()["rows"]) == len(emb)
    with pytest.raises(ParameterError, match=r"^limit must be at least 1"):
        emb.export(tmp_path / "x.txt", limit=0)
    vecs = emb.word_vectors(["Cat", "dog"])
    assert [(v.token, v.source) for v in vecs] == [("cat", "vocabulary"), ("dog", "vocabulary")]
    assert np.array_equal(vecs[0].vector, emb["cat"]) and "\n" not in repr(vecs[0])
    with pytest.raises(KeyError, match="zebra"):
        emb.word_vectors(["zebra"])


def test_an_unknown_export_format_lists_the_formats_export_takes(emb, tmp_path):  # noqa: F811
    """Every format the message offers is one ``export`` writes ('table' is the command line's
    on-screen view, not a file format)."""
    with pytest.raises(ParameterError, match=r"^unknown format 'table' \(use one of: ") as exc:
        emb.export(tmp_path / "t.txt", format="table")
    offered = str(exc.value).split("use one of: ")[1].rstrip(")").split(", ")
    assert "word2vec" in offered and "table" not in offered
    for fmt in offered:
        out = tmp_path / f"out-{fmt}"
        assert emb.export(out if fmt != "tsv" else tmp_path / "proj/", format=fmt, limit=3).rows == 3


def test_plot_writes_the_image(emb, tmp_path):  # noqa: F811
    pytest.importorskip("matplotlib")
    info = emb.plot(tmp_path / "w.png", limit=10)
    assert (tmp_path / "w.png").read_bytes()[:4] == b"\x89PNG" and len(info["words"]) == 10
    assert 0 < info["explained_variance"][1] <= info["explained_variance"][0] < 1


def test_subword_models_compose_unknown_words_everywhere(tmp_path):
    sub = embedcli.train(["the cat sat on the mat", "the cats sat on the mats"] * 50, dim=8, epochs=1, min_count=1,
                         subwords="3-4", workers=1)
    assert "mats" in sub and "catsy" not in sub.vocab.index
    rows = sub.phrase_lookup("the catsy")
    assert rows[1].subword_ngrams > 0 and np.array_equal(rows[1].vector, sub["catsy"])
    assert np.array_equal(sub.phrase_rows("the catsy")[1], sub["catsy"])  # as emb[word], not <unk>'s row
    e = sub.explain("catsy")
    assert e.token == "catsy" and e.equal and "\n" not in repr(e)
    assert sub.explain("cat").ngram_rows == len(sub.subwords.ngrams("cat")) > 0
    assert [v.source for v in sub.word_vectors(["cat", "catsy"])] == ["vocabulary", "subwords"]


def test_table_options_are_for_files_and_objective_checks_name_parameters():
    with pytest.raises(ParameterError, match=r"^input_format, text_column and label_column are for table files"):
        embedcli.Vocab.build(["a b"], text_column="body")
    with pytest.raises(ParameterError, match=r"^label_column is for objective classify$"):
        embedcli.train(["a b"], label_column="label")
    with pytest.raises(ParameterError, match=r"^order frequency is not available with objective classify"):
        embedcli.train(["__label__x a b"], objective="classify", order="frequency")
    from embedcli import api, config

    with pytest.raises(ParameterError, match=r"^resume is not available with objective classify") as exc:
        api.resume("nowhere", config.TrainSettings(objective="classify"))
    assert exc.value.cli_message({"resume": "--resume"}).startswith("--resume is not available with --objective")


def test_a_word_that_is_not_a_string_is_a_parameter_error(emb):  # noqa: F811
    """Not unicodedata's TypeError from deep inside: one ParameterError naming what was given."""
    for call in (lambda: emb[3], lambda: emb.similarity("cat", None), lambda: emb.most_similar(["cat", 3]),
                 lambda: emb.word_vectors([3]), lambda: emb.vocab[3]):
        with pytest.raises(ParameterError, match=r"^a word must be a string, got (int \(3\)|NoneType \(None\))$"):
            call()
    with pytest.raises(ParameterError, match=r"^words must be a string or a list of strings, got int \(3\)$"):
        emb.most_similar(3)
