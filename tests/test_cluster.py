"""--dask against the real engine: a distributed.LocalCluster of worker processes (127.0.0.1). The
library; the command-line tests are in test_cli_cluster.py."""

import os

import numpy as np
import pytest

from embedcli.cluster import parse_address
from embedcli.cluster import sources
from embedcli.cluster.count import count_on_cluster, count_partial_on_cluster, count_tokens_on_cluster
from embedcli.cluster.encode import encode_on_cluster
from embedcli.cluster.parts import load_parts, read_index
from embedcli.encode import encode_file_to_npy, encode_to
from embedcli.errors import EmbedcliError, UsageError
from embedcli.pool import count_partial
from embedcli.sources import Files
from embedcli.text import TextSettings
from embedcli.vocab import build_vocab, count_tokens

from support.cluster import _corpus, client


@pytest.fixture
def small_ranges(monkeypatch):
    """Cut inputs into ranges of a few hundred bytes, so that even small files make many tasks."""
    monkeypatch.setattr(sources, "MIN_RANGE_BYTES", 200)
    monkeypatch.setattr(sources, "MAX_RANGE_BYTES", 700)


def test_address_forms():
    assert parse_address("local") == ("local", None)
    assert parse_address("local:3") == ("local", 3)
    assert parse_address("local[4]") == ("local", 4)
    assert parse_address("tcp://127.0.0.1:8786") == ("remote", None)
    with pytest.raises(UsageError):
        parse_address("local:zero")
    with pytest.raises(UsageError):
        parse_address("local:0")


def test_plan_cuts_at_newlines(tmp_path, small_ranges):
    paths = _corpus(tmp_path)
    jobs = sources.plan(paths, 2)
    assert len(jobs) > 10
    for p in paths:
        data = open(p, "rb").read()
        ranges = [(a, b) for s, a, b in jobs if s == os.path.abspath(p)]
        assert ranges[0][0] == 0 and ranges[-1][1] == len(data)
        assert all(b == c for (_, b), (c, _) in zip(ranges, ranges[1:]))
        assert all(data[b - 1:b] == b"\n" for _, b in ranges[:-1])


@pytest.mark.parametrize("keep_punct", [False, True])
def test_counts_identical_to_one_machine(client, tmp_path, small_ranges, keep_punct):
    paths = _corpus(tmp_path)
    settings = TextSettings(keep_punct=keep_punct)
    counts, total = count_tokens(paths, settings)
    parts = count_on_cluster(client, paths, settings)
    assert len(parts) > 10  # really split into many tasks
    got, got_total = count_tokens_on_cluster(client, paths, settings)
    assert got_total == total
    assert list(got.items()) == list(counts.items())  # same counts, same first-appearance order
    a = build_vocab(counts, total, settings, min_count=2)
    b = build_vocab(got, got_total, settings, min_count=2)
    a.save(tmp_path / "a.json")
    b.save(tmp_path / "b.json")
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()


def test_partial_counts_identical(client, tmp_path, small_ranges):
    paths = _corpus(tmp_path)
    one = count_partial(paths, offset=7)
    many = count_partial_on_cluster(client, paths, offset=7)
    assert many.to_dict() == one.to_dict()  # first positions included


def test_file_urls_and_line_numbers_in_errors(client, tmp_path, small_ranges):
    paths = _corpus(tmp_path)
    urls = ["file://" + os.path.abspath(p) for p in paths]
    counts, total = count_tokens(paths)
    got, got_total = count_tokens_on_cluster(client, urls)
    assert (list(got.items()), got_total) == (list(counts.items()), total)
    bad = tmp_path / "bad.txt"
    lines = [f"line number {i} with some words\n".encode() for i in range(200)]
    lines[150] = b"broken \xff byte here\n"
    bad.write_bytes(b"".join(lines))
    with pytest.raises(EmbedcliError) as one:
        count_tokens([str(bad)])
    with pytest.raises(EmbedcliError) as local:
        count_tokens_on_cluster(client, [str(bad)])
    with pytest.raises(EmbedcliError) as url:
        count_tokens_on_cluster(client, ["file://" + str(bad)])
    assert "line 151" in one.value.message
    assert local.value.message == one.value.message
    assert url.value.message == one.value.message.replace(str(bad), "file://" + str(bad))
    with pytest.raises(EmbedcliError, match="no such file"):
        count_tokens_on_cluster(client, ["file://" + str(tmp_path / "missing.txt")])


@pytest.mark.parametrize("maxlen,padding,truncating,oov", [
    (12, "pre", "pre", "unk"), (7, "post", "post", "unk"), (None, "pre", "post", "skip"),
])
def test_encode_npy_identical(client, tmp_path, small_ranges, maxlen, padding, truncating, oov):
    path = _corpus(tmp_path)[1]
    counts, total = count_tokens([path])
    vocab = build_vocab(counts, total, TextSettings(), min_count=3)
    width = maxlen or max(len(vocab.lookup(line.split(), "skip")) for line in open(path)) or 1
    if maxlen is None:  # one machine: the longest row (spool); compare with the fast path at that width
        from embedcli.encode import spool_file

        with spool_file(path, vocab, oov) as spool:
            width = spool.longest
    one = encode_file_to_npy(path, tmp_path / "one.npy", vocab, width, padding, truncating, 0, oov)
    summary = encode_on_cluster(client, path, str(tmp_path / "many.npy"), vocab, maxlen, padding, truncating, 0, oov)
    assert summary["ranges"] > 5 and summary["maxlen"] == width
    assert summary["unknown_tokens"] == one["unknown_tokens"] > 0  # left out with skip, and counted
    assert (tmp_path / "many.npy").read_bytes() == (tmp_path / "one.npy").read_bytes()
    parts = encode_on_cluster(client, "file://" + path, str(tmp_path / "parts"), vocab, maxlen, padding, truncating,
                              0, oov, parts=True)
    assert parts["parts"] == summary["ranges"]
    index = read_index(str(tmp_path / "parts"))
    assert index["rows"] == summary["rows"] and index["maxlen"] == width
    assert np.array_equal(load_parts(str(tmp_path / "parts")), np.load(tmp_path / "one.npy"))


def test_encode_lines_without_ids_give_width_zero_everywhere(client, tmp_path, small_ranges):
    """Every line loses its words (--oov skip, none in the vocabulary): one machine, the cluster's
    .npy and its parts all give rows of width 0, as Keras pads empty sequences."""
    path = tmp_path / "unknown.txt"
    path.write_text("qqq zzz\n\nxxx\n" * 300)
    vocab = build_vocab(*count_tokens([_corpus(tmp_path)[1]]), TextSettings(), min_count=3)
    one = encode_to(vocab, tmp_path / "one.npy", Files([str(path)]), oov="skip")
    many = encode_on_cluster(client, str(path), str(tmp_path / "many.npy"), vocab, None, oov="skip")
    assert one["maxlen"] == many["maxlen"] == 0 and many["ranges"] > 1
    assert np.load(tmp_path / "one.npy").shape == np.load(tmp_path / "many.npy").shape == (900, 0)
    encode_on_cluster(client, str(path), str(tmp_path / "parts"), vocab, None, oov="skip", parts=True)
    assert load_parts(str(tmp_path / "parts")).shape == (900, 0)


def test_encode_parts_replace_directory_only_when_complete(client, tmp_path, small_ranges):
    path = _corpus(tmp_path)[2]
    vocab = build_vocab(*count_tokens([path]), TextSettings())
    out = tmp_path / "parts"
    encode_on_cluster(client, path, str(out), vocab, 10, parts=True)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    bad = tmp_path / "bad.txt"
    bad.write_bytes(open(path, "rb").read() + b"\xff\n")
    with pytest.raises(EmbedcliError, match="invalid UTF-8"):
        encode_on_cluster(client, str(bad), str(out), vocab, 10, parts=True)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".parts")]  # no temporary left


def _mixed_inputs(tmp_path):
    """The sample corpus as a plain file, gzip, bzip2 and xz files, a directory and a csv table
    (quoted commas and newlines in the text column): local paths, and the same with URLs."""
    import bz2
    import csv
    import gzip
    import lzma

    paths = _corpus(tmp_path)
    data = [open(p, "rb").read() for p in paths]
    (tmp_path / "a.txt.gz").write_bytes(gzip.compress(data[0]))
    (tmp_path / "b.txt.bz2").write_bytes(bz2.compress(data[1]))
    d = tmp_path / "dir"
    (d / "sub").mkdir(parents=True)
    (d / "c.txt.xz").write_bytes(lzma.compress(data[2]))
    (d / "sub" / "d.txt").write_bytes(data[0][:5000])
    with open(tmp_path / "t.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "text"])
        for i, line in enumerate(data[2].decode("utf-8").splitlines()[:300]):
            w.writerow([i, line + (", and more\nsecond line" if i % 7 == 0 else "")])
    local = [paths[0], str(tmp_path / "a.txt.gz"), str(tmp_path / "b.txt.bz2"), str(d), str(tmp_path / "t.csv")]
    urls = local[:2] + ["file://" + local[2], local[3], "file://" + local[4]]
    return local, urls


def test_compressed_directories_and_tables_as_on_one_machine(client, tmp_path, small_ranges):
    """vocab and encode --dask read their inputs with one machine's readers: compressed files,
    directories and tables (also as URLs) give the counts and the array of one machine."""
    from embedcli.io import resolve_inputs

    local, urls = _mixed_inputs(tmp_path)
    one = resolve_inputs(local, "auto", "text")
    many = resolve_inputs(urls, "auto", "text")
    counts, total = count_tokens(one)
    assert count_tokens_on_cluster(client, many) == (counts, total)
    assert list(count_tokens_on_cluster(client, many)[0]) == list(counts)  # first-appearance order too
    parts = count_on_cluster(client, many)
    assert sum(p.source["end"] is None for p in parts) == 4  # gz, bz2, xz, csv: read whole
    vocab = build_vocab(counts, total, TextSettings(), min_count=2)
    encode_file_to_npy(one, tmp_path / "one.npy", vocab, 9)
    summary = encode_on_cluster(client, many, str(tmp_path / "many.npy"), vocab, 9)
    assert summary["rows"] == len(np.load(tmp_path / "one.npy"))
    assert (tmp_path / "many.npy").read_bytes() == (tmp_path / "one.npy").read_bytes()


@pytest.mark.parametrize("maxlen", [5, None])
def test_encode_summary_has_one_machines_keys(client, tmp_path, small_ranges, maxlen):
    """encode_to(dask=...) documents one machine's summary keys: the rows cut (truncated), the rows
    padded and the longest row are counted over all ranges, as one machine counts them."""
    path = _corpus(tmp_path)[1]
    vocab = build_vocab(*count_tokens([path]), TextSettings(), min_count=3)
    one = encode_to(vocab, tmp_path / "one.npy", Files([path]), maxlen=maxlen)
    many = encode_to(vocab, tmp_path / "many.npy", Files([path]), maxlen=maxlen, dask=client.scheduler.address)
    assert many["ranges"] > 5 and one["padded"] > 0 and one["longest"] > 5
    assert {k: many[k] for k in one} == one


def test_vocab_build_takes_a_url_string_as_it_takes_a_path(client, tmp_path):
    """Vocab.build's docstring: with dask "files may be URLs". A URL given as the one string (a
    file path) was refused as "no such file" before any reader saw it; it is now read, on the
    cluster and on one machine, and a missing URL is still one error naming it."""
    from embedcli import Vocab

    path = _corpus(tmp_path)[1]
    one = Vocab.build(Files([path]))
    assert Vocab.build("file://" + path, dask=client.scheduler.address).tokens == one.tokens
    assert Vocab.build("file://" + path).tokens == one.tokens
    with pytest.raises(EmbedcliError, match="missing.txt: no such file"):
        Vocab.build("file://" + str(tmp_path / "missing.txt"), dask=client.scheduler.address)
