"""--dask against the real engine: a distributed.LocalCluster of worker processes (127.0.0.1).

Vocabulary and encoding must be byte-for-byte those of one machine. The separately started
scheduler/worker processes, training quality and a killed worker are in test_cluster_train.py.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from embedcli.cluster import connect, parse_address
from embedcli.cluster import sources
from embedcli.cluster.count import count_on_cluster, count_partial_on_cluster, count_tokens_on_cluster
from embedcli.cluster.encode import encode_on_cluster
from embedcli.cluster.parts import load_parts, read_index
from embedcli.encode import encode_file_to_npy
from embedcli.errors import EmbedcliError, UsageError
from embedcli.pool import count_partial
from embedcli.text import TextSettings
from embedcli.vocab import Vocab, build_vocab, count_tokens

from conftest import REPO

SAMPLE = os.path.join(REPO, "sample_data", "corpus.txt")
TEXT = (
    "Hope to see you soon\nNice to see you again\n\n"
    "Ünïcödé naïve café — ﬁne, well-known don’t\r\nΣΊΣΥΦΟΣ ὈΔΥΣΣΕΎΣ\n"
    "   \n<\u0338 ≠ a=b\nlast line without newline"
)


@pytest.fixture(scope="module")
def client():
    with connect("local:2") as c:
        yield c


@pytest.fixture
def small_ranges(monkeypatch):
    """Cut inputs into ranges of a few hundred bytes, so that even small files make many tasks."""
    monkeypatch.setattr(sources, "MIN_RANGE_BYTES", 200)
    monkeypatch.setattr(sources, "MAX_RANGE_BYTES", 700)


def _corpus(tmp_path, n_files=3):
    """Sample corpus cut into files (BOM on the first, awkward text in the middle)."""
    lines = open(SAMPLE, encoding="utf-8").read().splitlines(keepends=True)[:1500]
    cut = [0, 400, 900, len(lines)]
    paths = []
    for k in range(n_files):
        p = tmp_path / f"part{k}.txt"
        body = "".join(lines[cut[k]:cut[k + 1]])
        if k == 0:
            body = "\ufeff" + body
        if k == 1:
            body = body + TEXT + "\n"
        p.write_text(body, encoding="utf-8")
        paths.append(str(p))
    return paths


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
    encode_file_to_npy(path, tmp_path / "one.npy", vocab, width, padding, truncating, 0, oov)
    summary = encode_on_cluster(client, path, str(tmp_path / "many.npy"), vocab, maxlen, padding, truncating, 0, oov)
    assert summary["ranges"] > 5 and summary["maxlen"] == width
    assert (tmp_path / "many.npy").read_bytes() == (tmp_path / "one.npy").read_bytes()
    parts = encode_on_cluster(client, "file://" + path, str(tmp_path / "parts"), vocab, maxlen, padding, truncating,
                              0, oov, parts=True)
    assert parts["parts"] == summary["ranges"]
    index = read_index(str(tmp_path / "parts"))
    assert index["rows"] == summary["rows"] and index["maxlen"] == width
    assert np.array_equal(load_parts(str(tmp_path / "parts")), np.load(tmp_path / "one.npy"))


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


def _cli(*args, env=None):
    e = dict(os.environ)
    e["PYTHONPATH"] = REPO + os.pathsep + e.get("PYTHONPATH", "")
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "embedcli", *args], capture_output=True, text=True, env=e,
                          timeout=300)


def test_cli_vocab_and_encode_against_scheduler_address(client, tmp_path):
    """The command line with --dask tcp://127.0.0.1:PORT (and EMBEDCLI_DASK): same files as one machine."""
    address = client.scheduler.address
    assert address.startswith("tcp://127.0.0.1:")
    paths = _corpus(tmp_path)
    one = _cli("vocab", *paths, "-o", str(tmp_path / "one.json"), "-q", "--min-count", "2")
    assert one.returncode == 0, one.stderr
    many = _cli("vocab", *paths, "-o", str(tmp_path / "many.json"), "--min-count", "2", "--json", "--dask", address)
    assert many.returncode == 0, many.stderr
    assert json.loads(many.stdout)["size"] > 100
    assert (tmp_path / "many.json").read_bytes() == (tmp_path / "one.json").read_bytes()
    vocab_path = str(tmp_path / "one.json")
    enc1 = _cli("encode", "-v", vocab_path, "-i", paths[1], "--maxlen", "9", "-o", str(tmp_path / "one.npy"), "-q")
    assert enc1.returncode == 0, enc1.stderr
    enc2 = _cli("encode", "-v", vocab_path, "-i", paths[1], "--maxlen", "9", "-o", str(tmp_path / "many.npy"),
                "--json", env={"EMBEDCLI_DASK": address})
    assert enc2.returncode == 0, enc2.stderr
    assert json.loads(enc2.stdout)["rows"] == np.load(tmp_path / "one.npy").shape[0]
    assert (tmp_path / "many.npy").read_bytes() == (tmp_path / "one.npy").read_bytes()


def test_cli_errors_are_one_line(client, tmp_path):
    address = client.scheduler.address
    vocab = _cli("vocab", SAMPLE, "-o", str(tmp_path / "v.json"), "-q")
    assert vocab.returncode == 0
    cases = [
        (("vocab", "-", "-o", str(tmp_path / "x.json"), "--dask", address), "standard input"),
        (("vocab", str(tmp_path / "missing.txt"), "-o", str(tmp_path / "x.json"), "--dask", address), "no such file"),
        (("encode", "-v", str(tmp_path / "v.json"), "-i", SAMPLE, "-o", str(tmp_path / "x.csv"), "--dask", address),
         "writes a .npy"),
        (("encode", "-v", str(tmp_path / "v.json"), "-i", SAMPLE, "-o", str(tmp_path / "d"), "--parts"),
         "--parts applies with --dask"),
        (("vocab", SAMPLE, "-o", str(tmp_path / "x.json"), "--dask", "local:none"), "local:N"),
    ]
    for args, message in cases:
        res = _cli(*args)
        assert res.returncode != 0, args
        assert message in res.stderr, (args, res.stderr)
        assert "Traceback" not in res.stderr and len(res.stderr.strip().splitlines()) == 1, res.stderr


def test_without_the_extra_one_line_says_how_to_install(tmp_path):
    """dask missing: --dask fails with one line naming the extra; without --dask dask is never imported."""
    code = (
        "import sys\n"
        "sys.modules['distributed'] = None\n"
        "from embedcli.cli import main\n"
        "main(sys.argv[1:])\n"
    )
    e = dict(os.environ, PYTHONPATH=REPO)
    res = subprocess.run([sys.executable, "-c", code, "vocab", SAMPLE, "-o", str(tmp_path / "v.json"),
                          "--dask", "local:1"], capture_output=True, text=True, env=e, timeout=120)
    assert res.returncode == 2
    assert "pip install 'embedcli[dask]'" in res.stderr and len(res.stderr.strip().splitlines()) == 1
    code = (
        "import sys\n"
        "from embedcli.cli import main\n"
        "try:\n"
        "    main(sys.argv[1:])\n"
        "except SystemExit:\n"
        "    pass\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed', 'fsspec'))\n"
        "print(bad)\n"
    )
    res = subprocess.run([sys.executable, "-c", code, "vocab", SAMPLE, "-o", str(tmp_path / "v.json"), "-q"],
                         capture_output=True, text=True, env=e, timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "[]"
