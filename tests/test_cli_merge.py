"""`embedcli vocab --partial`, `embedcli vocab merge` and `embedcli vocab --workers` (command line)."""

from __future__ import annotations

import json

import pytest

import embedcli.pool as pool_mod
import embedcli.shards as shards_mod
from embedcli.cli import main

LINES = [
    "Hope to see you soon",
    "Nice to see you again",
    "The well-known café don't",
    "CAFÉ, again; and again!",
]


@pytest.fixture
def shards(tmp_path):
    paths = []
    for i, line in enumerate(LINES):
        p = tmp_path / f"s{i}.txt"
        p.write_text(line + "\n", encoding="utf-8")
        paths.append(p)
    whole = tmp_path / "whole.txt"
    whole.write_text("".join(line + "\n" for line in LINES), encoding="utf-8")
    return paths, whole


def run(runner, *args, **kw):
    r = runner.invoke(main, [str(a) for a in args], **kw)
    return r


@pytest.mark.parametrize("flags", [[], ["--no-specials", "--order", "frequency"], ["--min-count", "2"],
                                   ["--max-size", "3", "--order", "frequency"]])
def test_partial_then_merge_equals_direct_build(runner, shards, tmp_path, flags):
    paths, whole = shards
    parts = []
    for i, p in enumerate(paths):
        out = tmp_path / f"p{i}.json"
        r = run(runner, "vocab", p, "--partial", "-o", out, "-q")
        assert r.exit_code == 0, r.output
        parts.append(out)
    r = run(runner, "vocab", "merge", *parts, "-o", tmp_path / "merged.json", "-q", *flags)
    assert r.exit_code == 0, r.output
    r = run(runner, "vocab", whole, "-o", tmp_path / "direct.json", "-q", *flags)
    assert r.exit_code == 0, r.output
    merged = json.loads((tmp_path / "merged.json").read_text())
    direct = json.loads((tmp_path / "direct.json").read_text())
    assert merged == direct
    if not flags:
        assert merged["tokens"][2:6] == ["hope", "to", "see", "you"] and "café" in merged["tokens"]


def test_partial_file_contents_and_json_summary(runner, shards, tmp_path):
    paths, _ = shards
    r = run(runner, "vocab", paths[2], "--partial", "-o", tmp_path / "p.json", "--json", "--offset", "2")
    assert r.exit_code == 0, r.output
    summary = json.loads(r.output)
    assert summary["distinct_words"] == 4 and summary["total"] == 4 and summary["offset"] == 2
    data = json.loads((tmp_path / "p.json").read_text())
    assert data["format"] == "embedcli-partial-counts" and data["version"] == 1
    assert data["tokens"] == ["the", "well-known", "café", "don't"]
    assert data["counts"] == [1, 1, 1, 1] and data["first"] == [0, 1, 2, 3] and data["total"] == 4


def test_merge_sorts_by_offset_and_keeps_given_order_otherwise(runner, shards, tmp_path):
    paths, whole = shards
    for i, p in enumerate(paths):
        assert run(runner, "vocab", p, "--partial", "--offset", 100 * i, "-o", tmp_path / f"o{i}.json", "-q").exit_code == 0
        assert run(runner, "vocab", p, "--partial", "-o", tmp_path / f"n{i}.json", "-q").exit_code == 0
    shuffled = [tmp_path / f"o{i}.json" for i in (2, 0, 3, 1)]
    r = run(runner, "vocab", "merge", *shuffled, "-o", tmp_path / "a.json", "-q")
    assert r.exit_code == 0, r.output
    run(runner, "vocab", whole, "-o", tmp_path / "d.json", "-q")
    assert (tmp_path / "a.json").read_text() == (tmp_path / "d.json").read_text()
    # without offsets the command-line order is the corpus order
    r = run(runner, "vocab", "merge", tmp_path / "n1.json", tmp_path / "n0.json", "-o", tmp_path / "b.json",
            "--no-specials", "-q")
    assert json.loads((tmp_path / "b.json").read_text())["tokens"][:3] == ["nice", "to", "see"]
    r = run(runner, "vocab", "merge", tmp_path / "n1.json", tmp_path / "o0.json", "-o", tmp_path / "c.json")
    assert r.exit_code == 2 and "has no offset" in r.output


def test_merge_in_several_steps(runner, shards, tmp_path):
    paths, whole = shards
    for i, p in enumerate(paths):
        run(runner, "vocab", p, "--partial", "-o", tmp_path / f"p{i}.json", "-q")
    r = run(runner, "vocab", "merge", tmp_path / "p0.json", tmp_path / "p1.json", "--partial", "-o", tmp_path / "a.json")
    assert r.exit_code == 0, r.output and "2 parts merged" in r.output
    r = run(runner, "vocab", "merge", tmp_path / "p2.json", tmp_path / "p3.json", "--partial", "-o", tmp_path / "b.json", "-q")
    r = run(runner, "vocab", "merge", tmp_path / "a.json", tmp_path / "b.json", "-o", tmp_path / "v.json", "-q")
    assert r.exit_code == 0, r.output
    run(runner, "vocab", whole, "-o", tmp_path / "d.json", "-q")
    assert (tmp_path / "v.json").read_text() == (tmp_path / "d.json").read_text()
    whole_partial = run(runner, "vocab", whole, "--partial", "-o", "-", "-q")
    tree = json.loads(run(runner, "vocab", "merge", tmp_path / "a.json", tmp_path / "b.json", "--partial",
                          "-o", "-", "-q").stdout)
    direct = json.loads(whole_partial.stdout)
    for key in ("tokens", "counts", "first", "total"):
        assert tree[key] == direct[key]


def test_vocab_of_a_file_named_merge_and_help(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "merge").write_text("merge me\n")
    r = run(runner, "vocab", "./merge", "-o", "v.json", "--no-specials", "-q")
    assert r.exit_code == 0, r.output
    assert json.loads((tmp_path / "v.json").read_text())["tokens"] == ["merge", "me"]
    r = run(runner, "vocab", "--help")
    assert r.exit_code == 0 and "--workers" in r.output
    assert r.output.startswith("Usage: main vocab [OPTIONS] CORPUS...")
    assert r.output.split("Commands:\n")[1].split()[0] == "merge"  # a real click subcommand, listed
    r = run(runner, "vocab", "merge", "--help")
    assert r.exit_code == 0 and r.output.startswith("Usage: main vocab merge [OPTIONS] PARTS...")
    assert "--workers" not in r.output


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["vocab", "merge", "-o", "v.json"], 2, "Missing argument"),
        (["vocab", "merge", "missing.json", "-o", "v.json"], 1, "missing.json: no such file"),
        (["vocab", "merge", "bad.json", "-o", "v.json"], 1, "not valid JSON"),
        (["vocab", "merge", "vocab.json", "-o", "v.json"], 1, "not embedcli partial counts"),
        (["vocab", "c.txt", "--partial", "--min-count", "2", "-o", "v.json"], 2, "--min-count applies when merging"),
        (["vocab", "c.txt", "--offset", "3", "-o", "v.json"], 2, "--offset only applies with --partial"),
        (["vocab", "c.txt", "--workers", "0", "-o", "v.json"], 2, "--workers must be at least 1"),
        (["vocab", "merge", "p.json", "--partial", "--order", "frequency", "-o", "v.json"], 2, "does not apply"),
        (["vocab", "merge", "p.json", "--min-count", "9", "-o", "v.json"], 1, "removes every word"),
    ],
)
def test_errors_are_one_line(runner, tmp_path, monkeypatch, args, code, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.txt").write_text("a b a\n")
    (tmp_path / "bad.json").write_text("{\"format\": ")
    assert run(runner, "vocab", "c.txt", "-o", "vocab.json", "-q").exit_code == 0
    assert run(runner, "vocab", "c.txt", "--partial", "-o", "p.json", "-q").exit_code == 0
    r = run(runner, *args)
    assert r.exit_code == code, r.output
    assert message in r.output
    assert "Traceback" not in r.output
    assert not (tmp_path / "v.json").exists()


def test_merge_refuses_parts_with_different_settings(runner, tmp_path):
    (tmp_path / "c.txt").write_text("A b\n")
    run(runner, "vocab", tmp_path / "c.txt", "--partial", "-o", tmp_path / "p1.json", "-q")
    run(runner, "vocab", tmp_path / "c.txt", "--partial", "--no-lower", "-o", tmp_path / "p2.json", "-q")
    r = run(runner, "vocab", "merge", tmp_path / "p1.json", tmp_path / "p2.json", "-o", tmp_path / "v.json")
    assert r.exit_code == 1 and "p2.json: normalisation" in r.output


def test_workers_give_the_same_vocabulary(runner, tmp_path, monkeypatch):
    monkeypatch.setattr(shards_mod, "MIN_SHARD_BYTES", 512)
    monkeypatch.setattr(pool_mod, "PARALLEL_MIN_BYTES", 0)
    corpus = tmp_path / "c.txt"
    corpus.write_text("".join(f"Line {i} says w{i % 37} and Wörd{i % 11}, don't-stop\n" for i in range(2000)),
                      encoding="utf-8")
    outs = []
    for workers in ("1", "2", "3"):
        out = tmp_path / f"v{workers}.json"
        r = run(runner, "vocab", corpus, "-o", out, "-j", workers, "-q")
        assert r.exit_code == 0, r.output
        outs.append(out.read_text())
    assert outs[0] == outs[1] == outs[2]
    r = run(runner, "vocab", corpus, "--partial", "-o", tmp_path / "p2.json", "-j", "2", "-q")
    r1 = run(runner, "vocab", corpus, "--partial", "-o", tmp_path / "p1.json", "-j", "1", "-q")
    assert r.exit_code == 0 and r1.exit_code == 0
    a = json.loads((tmp_path / "p1.json").read_text())
    b = json.loads((tmp_path / "p2.json").read_text())
    assert a == b and a["first"][:3] == [0, 1, 2]


def test_a_shard_given_twice_is_an_error(runner, shards, tmp_path):
    """The same partial file twice, or a copy of it (same source, same counts), would count a shard
    twice; a shard of another file with the same text is another shard, and is merged."""
    paths, _ = shards
    for i, p in enumerate(paths[:2]):
        run(runner, "vocab", p, "--partial", "-o", tmp_path / f"p{i}.json", "-q")
    (tmp_path / "copy.json").write_bytes((tmp_path / "p0.json").read_bytes())
    r = run(runner, "vocab", "merge", tmp_path / "p0.json", tmp_path / "p1.json", tmp_path / "p0.json", "-o",
            tmp_path / "v.json")
    assert r.exit_code == 2 and r.output.strip() == f"Error: {tmp_path / 'p0.json'}: given twice; merge each shard once"
    r = run(runner, "vocab", "merge", tmp_path / "p0.json", tmp_path / "p1.json", tmp_path / "copy.json", "--partial",
            "-o", tmp_path / "v.json")
    assert r.exit_code == 2 and "copy.json: the same shard as" in r.output and "p0.json" in r.output
    assert not (tmp_path / "v.json").exists()
    same_text = tmp_path / "again.txt"
    same_text.write_text(paths[0].read_text(encoding="utf-8"), encoding="utf-8")
    run(runner, "vocab", same_text, "--partial", "-o", tmp_path / "again.json", "-q")
    r = run(runner, "vocab", "merge", tmp_path / "p0.json", tmp_path / "again.json", "-o", tmp_path / "v.json", "--json")
    assert r.exit_code == 0, r.output
    hope = json.loads((tmp_path / "v.json").read_text())
    assert hope["counts"][hope["tokens"].index("hope")] == 2  # two files with the same line: counted twice


def test_shards_with_offsets_merged_in_steps_must_be_neighbours(runner, shards, tmp_path):
    """With offsets the command-line order does not matter, so a step that merged shards 0 and 2 (not
    neighbours) is kept as such: merging shard 1 with it is refused, not sorted after it, which put
    shard 2's new words before shard 1's without a word."""
    paths, whole = shards
    for i, p in enumerate(paths):
        run(runner, "vocab", p, "--partial", "--offset", 10 * i, "-o", tmp_path / f"o{i}.json", "-q")
    r = run(runner, "vocab", "merge", tmp_path / "o0.json", tmp_path / "o2.json", "--partial", "-o", tmp_path / "a.json",
            "-q")
    assert r.exit_code == 0, r.output
    assert json.loads((tmp_path / "a.json").read_text())["last_offset"] == 20
    r = run(runner, "vocab", "merge", tmp_path / "o1.json", tmp_path / "a.json", tmp_path / "o3.json", "-o",
            tmp_path / "v.json")
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert r.output.strip() == (f"Error: {tmp_path / 'o1.json'} (offset 10) is within the shards merged in "
                                f"{tmp_path / 'a.json'} (offsets 0 to 20): merge only neighbouring shards in a step")
    assert not (tmp_path / "v.json").exists()
    # neighbours merged in steps, given in any order: the vocabulary of the whole corpus
    run(runner, "vocab", "merge", tmp_path / "o3.json", tmp_path / "o2.json", "--partial", "-o", tmp_path / "b.json", "-q")
    run(runner, "vocab", "merge", tmp_path / "o1.json", tmp_path / "o0.json", "--partial", "-o", tmp_path / "c.json", "-q")
    r = run(runner, "vocab", "merge", tmp_path / "b.json", tmp_path / "c.json", "-o", tmp_path / "v.json", "-q")
    assert r.exit_code == 0, r.output
    run(runner, "vocab", whole, "-o", tmp_path / "d.json", "-q")
    assert (tmp_path / "v.json").read_text() == (tmp_path / "d.json").read_text()


def test_standard_input_given_twice_is_refused_before_reading_it(runner, shards, tmp_path):
    """`vocab merge - -`: the second '-' found standard input used up and said 'not partial counts: the file is
    empty'; it is a part given twice, said before anything is read."""
    paths, _ = shards
    part = run(runner, "vocab", paths[0], "--partial", "-o", "-", "-q").stdout
    r = run(runner, "vocab", "merge", "-", "-", "-o", tmp_path / "v.json", input=part)
    assert r.exit_code == 2 and r.output.strip() == "Error: -: given twice; merge each shard once"
    r = run(runner, "vocab", "merge", "-", "-o", "-", "-q", input=part)
    assert r.exit_code == 0 and json.loads(r.stdout)["tokens"][2] == "hope"


def test_a_part_counted_before_join_marks_is_named_with_what_to_do(runner, shards, tmp_path):
    """A part written by an embedcli from before join_marks (its normalisation without the key) differs from
    today's in join_marks only; merge refused it with 'count every shard with the same --lower/--keep-punct
    settings', flags that were the same and cannot change it. It now names the setting and the part to count
    again; a flag that differs is still named as such."""
    paths, _ = shards
    for i, p in enumerate(paths[:2]):
        run(runner, "vocab", p, "--partial", "-o", tmp_path / f"p{i}.json", "-q")
    old = json.loads((tmp_path / "p1.json").read_text())
    del old["normalization"]["join_marks"]
    (tmp_path / "old.json").write_text(json.dumps(old))
    r = run(runner, "vocab", "merge", tmp_path / "p0.json", tmp_path / "old.json", "-o", tmp_path / "v.json")
    old_name = tmp_path / "old.json"
    assert r.exit_code == 1 and r.output.strip() == (
        f"Error: {old_name}: normalisation differs from {tmp_path / 'p0.json'}'s (join_marks false, not true); "
        f"{old_name} was counted by an embedcli from before join_marks (a combining mark ended a word); count it again")
    run(runner, "vocab", paths[1], "--partial", "--keep-punct", "-o", tmp_path / "k.json", "-q")
    r = run(runner, "vocab", "merge", tmp_path / "p0.json", tmp_path / "k.json", "-o", tmp_path / "v.json")
    assert r.exit_code == 1 and r.output.strip().endswith(
        "k.json: normalisation differs from " f"{tmp_path / 'p0.json'}'s (keep_punct true, not false); "
        "count every shard with the same --lower/--keep-punct settings")
    assert not (tmp_path / "v.json").exists()


def test_info_shows_the_offsets_of_a_merged_part(runner, shards, tmp_path):
    paths, _ = shards
    for i, p in enumerate(paths[:2]):
        run(runner, "vocab", p, "--partial", "--offset", 5 * i, "-o", tmp_path / f"o{i}.json", "-q")
    run(runner, "vocab", "merge", tmp_path / "o0.json", tmp_path / "o1.json", "--partial", "-o", tmp_path / "a.json", "-q")
    r = run(runner, "info", tmp_path / "a.json")
    assert r.exit_code == 0 and "offset        0 to 5 (its shards')" in r.output
    r = run(runner, "info", tmp_path / "o1.json", "--json")
    assert json.loads(r.output)["offset"] == 5 and json.loads(r.output)["last_offset"] is None
