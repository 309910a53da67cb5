"""Mergeable counts (embedcli.partial): the fast counter against the reference regex loop,
first positions, byte-range shards, several processes, the partial file format."""

from __future__ import annotations

import json
import os
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

import embedcli.io as eio
import embedcli.pool as pool_mod
import embedcli.shards as shards_mod
from embedcli.errors import EmbedcliError, FormatError, UsageError
from embedcli.counting import ShardCounter, count_range
from embedcli.partial import PartialCounts, combine_partials, merge_partials
from embedcli.pool import count_partial
from embedcli.shards import shard_ranges
from embedcli.text import TextSettings
from embedcli.tokenizer import tokenize
from embedcli.vocab import build_vocab, count_tokens

from reference import count_tokens_simple
from support.partial import ATOMS

SETTINGS = [
    TextSettings(),
    TextSettings(lower=False),
    TextSettings(keep_punct=True),
    TextSettings(unicode="none"),
]


WS = [" ", " ", " ", "\t", "\n", "\r\n", "  ", "\n\n"]


def text_strategy():
    return st.lists(
        st.tuples(st.sampled_from(ATOMS) | st.text(min_size=1, max_size=4), st.sampled_from(WS)),
        max_size=60,
    ).map(lambda pairs: "".join(a + w for a, w in pairs))


def naive(text: str, settings: TextSettings):
    tokens = tokenize(text, settings)
    counts = Counter(tokens)
    first: dict[str, int] = {}
    for i, t in enumerate(tokens):
        first.setdefault(t, i)
    return counts, len(tokens), first


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    return path


@hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=text_strategy(), which=st.integers(0, len(SETTINGS) - 1))
def test_fast_counter_matches_reference_tokenizer(tmp_path, text, which):
    text = text.replace("\x00", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates cannot be in a UTF-8 file
        return
    settings = SETTINGS[which]
    path = write(tmp_path, "c.txt", text)
    counter = count_range(path, settings, positions=True)
    expected, total, first = naive(text.lstrip("\ufeff") if text.startswith("\ufeff") else text, settings)
    got = counter.result()
    assert got.total == total
    assert list(zip(got.tokens, got.counts)) == list(expected.items())  # order of first appearance too
    assert got.first == [first[t] for t in got.tokens]
    ref, ref_total = count_tokens_simple([path], settings)
    assert list(ref.items()) == list(expected.items()) and ref_total == total


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lines=st.lists(text_strategy().map(lambda t: t.replace("\n", " ")), min_size=1, max_size=12),
    cuts=st.lists(st.integers(0, 12), max_size=4),
    which=st.integers(0, len(SETTINGS) - 1),
    min_count=st.integers(1, 3),
    max_size=st.none() | st.integers(1, 8),
    order=st.sampled_from(["appearance", "frequency"]),
    chunk=st.sampled_from([None, 7, 64]),
)
def test_merging_shards_gives_the_vocabulary_of_the_whole_corpus(
    tmp_path, lines, cuts, which, min_count, max_size, order, chunk
):
    """Random corpora, random split points at line boundaries: merge == direct build."""
    # a shard file starting with U+FEFF reads it as a byte order mark, not as text: keep it
    # out of line starts (a BOM inside a file is text, and stays so in byte-range shards)
    lines = [ln.replace("\x00", "").replace("\r", "").lstrip("\ufeff") for ln in lines]
    try:
        "".join(lines).encode("utf-8")
    except UnicodeEncodeError:
        return
    settings = SETTINGS[which]
    corpus = write(tmp_path, "corpus.txt", "".join(ln + "\n" for ln in lines))
    bounds = sorted({min(c, len(lines)) for c in cuts} | {0, len(lines)})
    shard_paths = []
    for k, (a, b) in enumerate(zip(bounds, bounds[1:])):
        shard_paths.append(write(tmp_path, f"shard{k}.txt", "".join(ln + "\n" for ln in lines[a:b])))
    old = eio.CHUNK_BYTES, eio.LONG_LINE_BYTES
    try:
        if chunk:  # many chunks per shard, long lines cut at whitespace (no word here is 48 bytes long)
            eio.CHUNK_BYTES, eio.LONG_LINE_BYTES = chunk, 48
        parts = [count_partial([p], settings) for p in shard_paths]
        whole, whole_total = count_tokens_simple([corpus], settings)
    finally:
        eio.CHUNK_BYTES, eio.LONG_LINE_BYTES = old
    # through the file format, like separate machines would
    for k, p in enumerate(parts):
        p.save(tmp_path / f"p{k}.json")
    loaded = [PartialCounts.load(tmp_path / f"p{k}.json") for k in range(len(parts))]
    counts, total = merge_partials(loaded)
    assert total == whole_total
    assert list(counts.items()) == list(whole.items())
    if whole_total:
        merged_vocab = build_vocab(counts, total, settings, order=order, min_count=min_count, max_size=max_size)
        direct = build_vocab(whole, whole_total, settings, order=order, min_count=min_count, max_size=max_size)
        assert merged_vocab.to_dict() == direct.to_dict()
    # first positions of the merge are the positions in the whole corpus
    combined = combine_partials(loaded)
    _, _, first = naive("".join(ln + "\n" for ln in lines), settings)
    assert combined.first == [first[t] for t in combined.tokens]
    # offsets: shuffled parts with offsets merge in offset order
    for k, p in enumerate(loaded):
        p.offset = 10 * k
    assert list(merge_partials(loaded[::-1])[0].items()) == list(whole.items())


def test_byte_range_shards_of_one_file(tmp_path):
    lines = [f"Line {i} w{i % 7} caf\u00e9 don't \u03a3\u039f\u03a3 {'x' * (i % 13)}" for i in range(3000)]
    path = write(tmp_path, "c.txt", "\n".join(lines) + "\n")
    ranges = shard_ranges(path, 5, min_bytes=1)
    assert len(ranges) == 5 and ranges[0][0] == 0 and ranges[-1][1] == os.path.getsize(path)
    data = path.read_bytes()
    for a, b in ranges:
        assert a == 0 or data[a - 1 : a] == b"\n"
    parts = [count_range(path, TextSettings(), a, b, positions=True).result() for a, b in ranges]
    counts, total = merge_partials(parts)
    ref, ref_total = count_tokens_simple([path])
    assert list(counts.items()) == list(ref.items()) and total == ref_total
    _, _, first = naive(path.read_text(), TextSettings())
    merged = combine_partials(parts)
    assert merged.first == [first[t] for t in merged.tokens]


def test_shard_ranges_small_and_newline_free_files(tmp_path):
    small = write(tmp_path, "s.txt", "a b\n")
    assert shard_ranges(small, 4) == [(0, 4)]
    blob = write(tmp_path, "b.txt", "x " * 5000)  # no newline at all: one shard
    assert shard_ranges(blob, 3, min_bytes=1) == [(0, 10000)]
    empty = write(tmp_path, "e.txt", "")
    assert shard_ranges(empty, 3) == [(0, 0)]


def test_several_processes_give_the_same_counts(tmp_path, monkeypatch):
    monkeypatch.setattr(shards_mod, "MIN_SHARD_BYTES", 1024)
    monkeypatch.setattr(pool_mod, "PARALLEL_MIN_BYTES", 0)
    text = "".join(f"Word{i % 211} and w\u00f6rd{i % 97}, {i}\n" for i in range(4000))
    a = write(tmp_path, "a.txt", "\ufeff" + text)
    b = write(tmp_path, "b.txt", text[::-1])
    ref, ref_total = count_tokens_simple([a, b])
    seen = []
    counts, total = count_tokens([a, b], workers=2, progress=seen.append)
    assert list(counts.items()) == list(ref.items()) and total == ref_total
    assert sum(seen) == os.path.getsize(a) + os.path.getsize(b)
    assert len(shards_mod.plan_jobs([a, b], 2)) >= 2


def test_errors_name_the_line_in_any_shard(tmp_path, monkeypatch):
    monkeypatch.setattr(shards_mod, "MIN_SHARD_BYTES", 1024)
    monkeypatch.setattr(pool_mod, "PARALLEL_MIN_BYTES", 0)
    good = b"".join(b"line %d fine\n" % i for i in range(2000))
    path = tmp_path / "bad.txt"
    path.write_bytes(good + b"bad \xff here\n" + good + b"worse \xfe\n")
    for workers in (1, 2):
        with pytest.raises(EmbedcliError, match="line 2001: invalid UTF-8"):
            count_tokens([path], workers=workers)
    counts, total = count_tokens([path], workers=2, encoding_errors="replace")
    ref, ref_total = count_tokens_simple([path], encoding_errors="replace")
    assert list(counts.items()) == list(ref.items()) and total == ref_total and counts["worse"] == 1
    nul = tmp_path / "nul.txt"
    nul.write_bytes(good + b"a\x00b\n")
    with pytest.raises(EmbedcliError, match="line 2001: NUL byte"):
        count_tokens([nul], workers=2)
    with pytest.raises(EmbedcliError, match="missing.txt: no such file"):
        count_tokens([tmp_path / "missing.txt"], workers=2)


def test_shard_counter_keeps_counting_across_chunks():
    counter = ShardCounter(positions=True)
    counter.add(b"a b a -- c\n")
    counter.add(b"'d' a--b e\n")
    res = counter.result()
    assert res.tokens == ["a", "b", "c", "d", "e"]
    assert res.counts == [3, 2, 1, 1, 1]
    assert res.first == [0, 1, 3, 4, 7] and res.total == 8


def test_partial_file_round_trip_and_errors(tmp_path):
    p = PartialCounts(["x", "y"], [2, 1], 4, TextSettings(lower=False), [0, 2], {"path": "c.txt"}, 7)
    p.save(tmp_path / "p.json")
    q = PartialCounts.load(tmp_path / "p.json")
    assert q == p
    data = json.loads((tmp_path / "p.json").read_text())
    bad_cases = [
        ({"format": "embedcli-vocab"}, "not embedcli partial counts"),
        ({**data, "version": 99}, "newer than this embedcli"),
        ({**data, "counts": [2]}, "as long as"),
        ({**data, "counts": [2, 0]}, "positive integers"),
        ({**data, "tokens": ["x", "x"]}, "appears more than once"),
        ({**data, "total": 1}, "at least the sum"),
        ({**data, "tokens": ["x"], "counts": [1], "first": [0], "total": True}, "\"total\" must be an integer"),
        ({**data, "first": [3, 1]}, "must increase"),
        ({**data, "normalization": {"lower": True, "stem": True}}, "bad \"normalization\""),
        ({**data, "normalization": {"lower": "false"}}, "bad \"normalization\": lower must be true or false, got 'false'"),
        ({**data, "normalization": {"lower": True, "keep_punct": 1}}, "keep_punct must be true or false, got 1"),
        ({**data, "normalization": None}, "bad \"normalization\": it must be an object of settings \\(got null\\)"),
        ({**data, "normalization": ["lower"]}, "bad \"normalization\": it must be an object of settings"),
        ({**data, "source": {"paths": 5}}, "\"source\": \"paths\" must be a list of file names"),
        ({**data, "source": {"paths": [1]}}, "\"source\": \"paths\" must be a list of file names"),
        ({**data, "source": {"path": 7}}, "\"source\": \"path\" must be a file name"),
        ({**data, "last_offset": 6}, "\"last_offset\" must be null or an integer at least \"offset\""),
        ({**data, "offset": None, "last_offset": 8}, "\"last_offset\" must be null or an integer at least"),
    ]
    for content, message in bad_cases:
        (tmp_path / "b.json").write_text(json.dumps(content))
        with pytest.raises(FormatError, match=message):
            PartialCounts.load(tmp_path / "b.json")
    (tmp_path / "t.json").write_text((tmp_path / "p.json").read_text()[:40])
    with pytest.raises(FormatError, match="truncated"):
        PartialCounts.load(tmp_path / "t.json")
    with pytest.raises(EmbedcliError, match="no such file"):
        PartialCounts.load(tmp_path / "nope.json")


def test_merge_refuses_mixed_settings_and_offsets():
    a = PartialCounts(["x"], [1], 1, TextSettings())
    b = PartialCounts(["x"], [1], 1, TextSettings(keep_punct=True))
    with pytest.raises(EmbedcliError, match="b.json: normalisation"):
        merge_partials([a, b], ["a.json", "b.json"])
    c = PartialCounts(["y"], [1], 1, TextSettings(), offset=3)
    with pytest.raises(UsageError, match="a.json has no offset"):
        merge_partials([a, c], ["a.json", "c.json"])
    d = PartialCounts(["z"], [1], 1, TextSettings(), offset=3)
    with pytest.raises(EmbedcliError, match="same offset 3"):
        merge_partials([c, d], ["c.json", "d.json"])
    with pytest.raises(UsageError, match="nothing to merge"):
        merge_partials([])
    # without positions in one part, the merge still counts (positions dropped)
    merged = combine_partials([PartialCounts(["x"], [1], 1, first=[0]), PartialCounts(["y"], [1], 1)])
    assert merged.tokens == ["x", "y"] and merged.first is None


def test_keywise_reduce_like_spark_gives_the_whole_corpus_vocabulary(tmp_path):
    """A key-wise reduction as Spark would do it (the untested Spark recipe left docs/scaling.md): per token
    (count, (file number, first position)) reduced
    with sum and min in any order, sorted by the position: the whole corpus' counts and order."""
    import random

    texts = [f"Shard {k}: " + " ".join(f"w{(k * 7 + i) % 23} caf\u00e9-{i % 3}" for i in range(40)) + "\n"
             for k in range(6)]
    paths = [write(tmp_path, f"f{k}.txt", t) for k, t in enumerate(texts)]
    records = []
    for k, p in enumerate(paths):
        part = count_partial([p])
        records += [(t, (c, (k, f))) for t, c, f in zip(part.tokens, part.counts, part.first)]
    random.Random(3).shuffle(records)  # a cluster reduces in any order
    reduced: dict = {}
    for token, value in records:
        old = reduced.get(token)
        reduced[token] = value if old is None else (old[0] + value[0], min(old[1], value[1]))
    ordered = sorted(reduced.items(), key=lambda kv: kv[1][1])
    whole = write(tmp_path, "whole.txt", "".join(texts))
    ref, _ = count_tokens_simple([whole])
    assert [(t, v[0]) for t, v in ordered] == list(ref.items())


def test_long_line_after_an_empty_line_is_cut_at_whitespace(tmp_path):
    """A chunk whose only newline is its first byte, then a long line: cut at a space, never
    inside a word (io.iter_chunks had sent this case to the character-boundary cut)."""
    text = "\n" + " ".join(f"w{i}éé" for i in range(3000)) + "\n"
    path = write(tmp_path, "c.txt", text)
    expected, total, _ = naive(text, TextSettings())
    old = eio.CHUNK_BYTES, eio.LONG_LINE_BYTES
    try:
        for size in (97, 100, 101, 103):  # some of these sizes end the first read inside a word
            eio.CHUNK_BYTES, eio.LONG_LINE_BYTES = size, size
            ref, ref_total = count_tokens_simple([path])
            fast = count_range(path).result()
            assert ref_total == total == fast.total == 3000
            assert list(ref.items()) == list(expected.items()) == list(zip(fast.tokens, fast.counts))
    finally:
        eio.CHUNK_BYTES, eio.LONG_LINE_BYTES = old


def test_count_shard_checks_its_offset(tmp_path):
    """Vocab.count_shard(offset=) is written to the file: offset="3" or 2.5 were saved as they were and the file
    could not be merged ('"offset" must be null or an integer'), np.int64(3) failed in save() with 'Object of
    type int64 is not JSON serializable'."""
    import numpy as np

    from embedcli import Vocab
    from embedcli.errors import ParameterError

    part = Vocab.count_shard(["Hope to see you"], offset=np.int64(3))
    part.save(tmp_path / "p.json")
    assert PartialCounts.load(tmp_path / "p.json").offset == 3 and type(part.offset) is int
    for bad in ("3", 2.5, True):
        with pytest.raises(ParameterError, match=f"offset must be an integer \\(got {bad!r}\\)"):
            Vocab.count_shard(["Hope"], offset=bad)


def test_merge_takes_any_iterable_of_parts_and_names_a_wrong_one():
    """Vocab.merge(p for p in parts) said 'nothing to merge' (the generator was used up naming the parts);
    Vocab.merge("p1.json") (one path) read its characters: '/: is a directory'; a Vocab or None among the
    parts raised os.fspath's TypeError."""
    from embedcli import Vocab
    from embedcli.errors import ParameterError

    parts = [Vocab.count_shard(["Hope to see you soon"]), Vocab.count_shard(["Nice to see you again"])]
    assert Vocab.merge(p for p in parts) == Vocab.merge(parts)
    assert Vocab.merge_counts(iter(parts)).tokens == Vocab.merge_counts(parts).tokens
    with pytest.raises(ParameterError, match="^parts: expected a list of partial counts or of their paths "
                                             "\\(in corpus order\\), got str$"):
        Vocab.merge("p1.json")
    with pytest.raises(ParameterError, match="^parts: item 2 is Vocab, not partial counts"):
        Vocab.merge([parts[0], Vocab.build(["x"])])
    with pytest.raises(ParameterError, match="got NoneType"):
        Vocab.merge_counts(None)
