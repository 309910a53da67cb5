"""Tests of vocab. The library; the command-line tests are in test_cli_vocab.py."""

import json
import re
from collections import Counter

import numpy as np
import pytest

from embedcli.errors import FormatError, UsageError
from embedcli.text import tokenize
from embedcli.vocab import PAD, UNK, Vocab, build_vocab, count_tokens


def build(text, **kw):
    counts = Counter(tokenize(text))
    return build_vocab(counts, sum(counts.values()), **kw)


def test_seed_example_without_specials():
    v = build("Hope to see you soon\nNice to see you again", specials=False)
    assert v.tokens == ["hope", "to", "see", "you", "soon", "nice", "again"]
    assert v.lookup(tokenize("Nice to see you again"), "error") == [5, 1, 2, 3, 6]


def test_seed_example_with_specials():
    v = build("Hope to see you soon\nNice to see you again")
    assert v.tokens[:2] == [PAD, UNK] and v.pad_id == 0 and v.unk_id == 1
    assert v.lookup(tokenize("Nice to see you again")) == [7, 3, 4, 5, 8]
    assert v.lookup(["zebra"]) == [1]


def test_ids_or_marks_unknown_words_in_place():
    v = build("Hope to see you soon\nNice to see you again", specials=False)
    assert v.ids_or(["see", "zebra", "you"], -7) == [2, -7, 3]
    assert v.lookup(["see", "zebra", "you"], "skip") == [2, 3]  # skip drops it, ids_or keeps its place


def test_frequency_order_ties_by_first_appearance():
    v = build("b a c a b d c c", specials=False, order="frequency")
    # counts: b=2 a=2 c=3 d=1 ; ties (a, b) by first appearance: b before a
    assert v.tokens == ["c", "b", "a", "d"]
    assert v.counts == [3, 2, 2, 1]


def test_min_count_and_unk_count():
    v = build("a b a c a b", min_count=2)
    assert v.tokens == [PAD, UNK, "a", "b"]
    assert v.counts == [0, 1, 3, 2]  # <unk> counts the one dropped token (c)
    assert v.coverage() == pytest.approx(5 / 6)


def test_max_size_is_exact_and_keeps_chosen_order():
    text = "x y z y z z w"
    v = build(text, max_size=2)
    assert v.tokens == [PAD, UNK, "y", "z"]  # the 2 most frequent, in order of appearance
    v = build(text, max_size=2, order="frequency", specials=False)
    assert v.tokens == ["z", "y"]


def test_bad_arguments():
    with pytest.raises(UsageError):
        build("a", order="alphabetical")
    with pytest.raises(UsageError):
        build("a", min_count=0)


@pytest.mark.parametrize("kw", [{"max_size": "2"}, {"max_size": 2.5}, {"min_count": "2"}, {"min_count": 1.5},
                                {"max_size": True}])
def test_counts_that_are_not_integers_are_named(kw):
    """Vocab.build(max_size="2") raised TypeError ''<' not supported between instances of 'str' and
    'int''; min_count=1.5 was taken as 2. Both are counts: integers (numpy's too)."""
    (name, value), = kw.items()
    message = rf"^{name} must be an integer, at least 1 \(got {re.escape(repr(value))}\)$"
    for call in (lambda: Vocab.build(["a b a"], **kw), lambda: Vocab.merge([Vocab.count_shard(["a b a"])], **kw),
                 lambda: Vocab.build(["a b"]).extend(["a c"], **kw)):
        with pytest.raises(UsageError, match=message):
            call()
    v = Vocab.build(["a b a"], min_count=np.int64(2), max_size=np.int64(5))  # numpy integers: plain ints
    assert v.tokens == [PAD, UNK, "a"] and type(v.min_count) is int and type(v.max_size) is int
    assert json.loads(json.dumps(v.to_dict()))["max_size"] == 5  # save() raised 'int64 is not JSON serializable'
    grown = v.extend(["c c"], min_count=np.int64(1), max_size=np.int64(3))
    assert type(grown.min_count) is int and type(grown.max_size) is int


def test_round_trip(tmp_path):
    v = build("Hope to see you soon", order="frequency", min_count=1)
    path = tmp_path / "v.json"
    v.save(path)
    data = json.loads(path.read_text())
    assert data["format"] == "embedcli-vocab" and data["version"] == 1
    assert data["tokens"] == v.tokens and data["counts"] == v.counts
    assert data["normalization"] == {"lower": True, "keep_punct": False, "unicode": "NFKC", "join_marks": True}
    w = Vocab.load(path)
    assert w.tokens == v.tokens and w.counts == v.counts and w.settings == v.settings
    assert w.order == "frequency" and w.corpus_tokens == 5


def test_a_vocabulary_written_before_join_marks_splits_as_it_was_built(tmp_path):
    """A file without "join_marks" in its normalisation (written before the setting) reads as
    join_marks False: its phrases are cut at combining marks, as its corpus was."""
    corpus = "नमस्ते दुनिया İstanbul"
    new = build(corpus, min_count=1)
    assert new.settings.join_marks and "नमस्ते" in new.tokens and "i\u0307stanbul" in new.tokens
    path = tmp_path / "v.json"
    new.save(path)
    data = json.loads(path.read_text())
    del data["normalization"]["join_marks"]
    old = tmp_path / "old.json"
    old.write_text(json.dumps(data))
    loaded = Vocab.load(old)
    assert loaded.settings.join_marks is False
    assert loaded.tokenize("नमस्ते") == ["नमस", "त"] and Vocab.load(path).tokenize("नमस्ते") == ["नमस्ते"]


@pytest.mark.parametrize(
    "content, message",
    [
        ('{"format": "embedcli-vocab", "version": 1, "tokens": ["a"', "not valid JSON .*; is the file truncated"),
        ('{"format": "embedcli-vocab", "version": 1,, "tokens": []}', r"line 1: not valid JSON \(Expecting .*\)$"),
        ('Hope to see you soon\nNice to see you again\n',
         r"v.json: not a vocabulary file: it is not JSON \(it starts with 'Hope to see you soon'\)$"),
        (' \n', "v.json: not a vocabulary file: the file is empty$"),
        ('{"hello": 1}', "not an embedcli vocabulary"),
        ('[1, 2]', "not an embedcli vocabulary"),
        ('{"format": "embedcli-vocab", "version": 99, "tokens": [], "counts": []}', "newer"),
        # JSON's true is Python's 1, and 0 is no version: both were taken as version 1
        ('{"format": "embedcli-vocab", "version": true, "tokens": [], "counts": []}',
         r"v.json: vocabulary has a bad format version true \(expected 1 to 1\)$"),
        ('{"format": "embedcli-vocab", "version": 0, "tokens": [], "counts": []}', "bad format version 0"),
        ('{"format": "embedcli-vocab", "version": "1", "tokens": [], "counts": []}', r'bad format version "1"'),
        ('{"format": "embedcli-vocab", "tokens": [], "counts": []}', "vocabulary has no format version$"),
        ('{"format": "embedcli-vocab", "version": 1, "tokens": ["a", "b"], "counts": [1]}', "as long as"),
        ('{"format": "embedcli-vocab", "version": 1, "tokens": ["a", "a"], "counts": [1, 1]}', "more than once"),
        ('{"format": "embedcli-vocab", "version": 1, "tokens": ["a", "b"], "counts": [1, -1]}', "non-negative"),
        ('{"format": "embedcli-vocab", "version": 1, "tokens": ["a", "b"], "counts": [1, 2.5]}', "non-negative"),
        ('{"format": "embedcli-vocab", "version": 1, "tokens": ["a", 7], "counts": [1, 1]}', "list of strings"),
        ('{"format": "embedcli-vocab", "version": 1, "tokens": ["a"], "counts": [1], "min_count": "x"}',
         r"v.json: \"min_count\" must be an integer, at least 1 \(got 'x'\)$"),
        ('{"format": "embedcli-vocab", "version": 1, "tokens": ["a"], "counts": [1], "max_size": "big"}',
         r"v.json: \"max_size\" must be null or an integer, at least 1 \(got 'big'\)$"),
        ('{"format": "embedcli-vocab", "version": 1, "tokens": ["a"], "counts": [1], "corpus_tokens": -5}',
         r"v.json: \"corpus_tokens\" must be an integer, at least 0 \(got -5\)$"),
        ('{"format": "embedcli-vocab", "version": 1, "tokens": ["a"], "counts": [1], "order": "random"}',
         r"v.json: \"order\" must be appearance or frequency \(got 'random'\)$"),
        ('{"format": "embedcli-vocab", "version": 1, "tokens": ["a"], "counts": [1], "normalization": null}',
         r"v.json: bad \"normalization\": it must be an object of settings \(got null\)$"),
    ],
)
def test_load_rejects_bad_files(tmp_path, content, message):
    path = tmp_path / "v.json"
    path.write_text(content)
    with pytest.raises(FormatError, match=message):
        Vocab.load(path)


def test_count_tokens_streams_several_files_in_order(tmp_path):
    a = tmp_path / "a.txt"
    b = tmp_path / "b.txt"
    a.write_bytes("\ufeffZeta alpha\r\n".encode())
    b.write_text("beta alpha\n")
    counts, total = count_tokens([a, b])
    assert list(counts) == ["zeta", "alpha", "beta"] and total == 4


def test_long_line_without_newline_is_counted_exactly(tmp_path):
    import embedcli.io as eio

    words = [f"w{i % 5000}é" for i in range(200_000)]
    path = tmp_path / "long.txt"
    path.write_text("first line\n" + " ".join(words))
    old = eio.LONG_LINE_BYTES, eio.CHUNK_BYTES
    try:
        eio.LONG_LINE_BYTES, eio.CHUNK_BYTES = 4096, 8192  # force many cuts inside the long line
        chunks = list(eio.iter_chunks(path))
        counts, total = count_tokens([path])
    finally:
        eio.LONG_LINE_BYTES, eio.CHUNK_BYTES = old
    assert len(chunks) > 100 and max(len(c) for c in chunks) <= 2 * (8192 + 4096)
    assert total == 200_002 and counts == Counter(["first", "line"] + words)


def test_long_token_without_whitespace_is_cut_at_a_character_boundary(tmp_path):
    import embedcli.io as eio

    path = tmp_path / "blob.txt"
    path.write_text("é" * 50_000)
    old = eio.LONG_LINE_BYTES, eio.CHUNK_BYTES
    try:
        eio.LONG_LINE_BYTES, eio.CHUNK_BYTES = 1001, 3001  # odd sizes: cuts fall inside characters
        text = "".join(eio.iter_chunks(path))
    finally:
        eio.LONG_LINE_BYTES, eio.CHUNK_BYTES = old
    assert text == "é" * 50_000


def test_a_lone_surrogate_in_texts_given_is_invalid_utf8_not_a_traceback():
    """A string holding a lone surrogate (text read with errors="surrogateescape": os.listdir,
    sys.argv, a file of invalid UTF-8) raised UnicodeEncodeError from writing the texts to their
    temporary file, whatever encoding_errors said. It is invalid UTF-8 in the texts given, as in a
    file: one error naming encoding_errors, and with "replace" the tokens Vocab.encode reads."""
    from embedcli.errors import EmbedcliError

    texts = ["hope to see", "ab\udcff cd", "\ud800x"]
    with pytest.raises(EmbedcliError, match=r"^the texts given: line 2: invalid UTF-8 .*; use encoding_errors replace"):
        Vocab.build(texts)
    v = Vocab.build(texts, encoding_errors="replace")
    assert v.tokens == [PAD, UNK, "hope", "to", "see", "ab", "cd", "x"]
    assert v.encode(texts) == [[2, 3, 4], [5, 6], [7]]
    assert Vocab.count_shard(texts, encoding_errors="ignore").tokens == ["hope", "to", "see", "ab", "cd", "x"]


@pytest.mark.parametrize("call", ["build", "count_shard"])
@pytest.mark.parametrize("kw", [{"lower": "no"}, {"lower": None}, {"keep_punct": 1}])
def test_text_settings_are_booleans(tmp_path, call, kw):
    """Vocab.build(lower="no") built a vocabulary (not lower-cased for None, lower-cased for "no") whose saved
    file could not be read back ('bad "normalization": lower must be true or false, got 'no''), and
    count_shard likewise wrote parts merge refused; they are checked as embedcli.train checks them."""
    from embedcli.errors import ParameterError

    (key, value), = kw.items()
    with pytest.raises(ParameterError, match=f"^{key}: expected true or false, got {value!r}$"):
        getattr(Vocab, call)(["Hope to see you"], **kw)
