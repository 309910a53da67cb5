"""Tables as input: .csv, .tsv, .jsonl with --text-column / --label-column (issue #13.2)."""

from __future__ import annotations

import bz2
import json
import os

import numpy as np
import pytest

from embedcli.cli import main

ROWS = [("spam", "buy cheap pills, now please buy"), ("ham", "see you at noon"),
        ("spam", "win a prize\ntoday click here now"), ("ham", "ok"), ("ham", "lunch tomorrow")]
PLAIN = "".join(" ".join(text.split("\n")) + "\n" for _, text in ROWS)


def ok(runner, *args):
    r = runner.invoke(main, [str(a) for a in args])
    assert r.exit_code == 0, r.output
    return r


def write_tables(tmp_path):
    import csv

    with open(tmp_path / "data.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["label", "text"])
        w.writerows(ROWS)  # quoted commas and a newline inside a field, as the csv module writes them
    with open(tmp_path / "data.tsv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, delimiter="\t")
        w.writerow(["id", "label", "body"])
        w.writerows([(i, l, t) for i, (l, t) in enumerate(ROWS)])
    (tmp_path / "data.jsonl").write_text("".join(json.dumps({"label": l, "text": t}) + "\n" for l, t in ROWS))
    (tmp_path / "plain.txt").write_text(PLAIN)
    (tmp_path / "labeled.txt").write_text("".join(f"__label__{l} {' '.join(t.split())}\n" for l, t in ROWS))


def test_vocab_and_encode_read_the_text_column(runner, tmp_path):
    write_tables(tmp_path)
    ok(runner, "vocab", tmp_path / "plain.txt", "-o", tmp_path / "plain.json", "-q")
    for name, extra in (("data.csv", []), ("data.jsonl", []), ("data.tsv", ["--text-column", "body"]),
                        ("data.tsv", ["--text-column", "2"])):
        ok(runner, "vocab", tmp_path / name, *extra, "-o", tmp_path / "t.json", "-q")
        assert (tmp_path / "t.json").read_bytes() == (tmp_path / "plain.json").read_bytes(), name
        ok(runner, "encode", "-v", tmp_path / "plain.json", "-i", tmp_path / name, *extra, "--maxlen", "6",
           "-o", tmp_path / "t.npy", "-q")
        ok(runner, "encode", "-v", tmp_path / "plain.json", "-i", tmp_path / "plain.txt", "--maxlen", "6",
           "-o", tmp_path / "p.npy", "-q")
        rows = np.load(tmp_path / "t.npy")
        assert rows.shape == (5, 6) and np.array_equal(rows, np.load(tmp_path / "p.npy"))  # the header is no phrase
    # compressed tables, and --input-format for an unusual name
    (tmp_path / "data.csv.bz2").write_bytes(bz2.compress((tmp_path / "data.csv").read_bytes()))
    (tmp_path / "export.dat").write_bytes((tmp_path / "data.csv").read_bytes())
    for args in ([tmp_path / "data.csv.bz2"], [tmp_path / "export.dat", "--input-format", "csv"]):
        ok(runner, "vocab", *args, "-o", tmp_path / "t.json", "-q")
        assert (tmp_path / "t.json").read_bytes() == (tmp_path / "plain.json").read_bytes()


def test_missing_column_is_one_line_naming_the_columns(runner, tmp_path):
    write_tables(tmp_path)
    r = runner.invoke(main, ["vocab", str(tmp_path / "data.csv"), "--text-column", "txt", "-o", str(tmp_path / "v.json")])
    assert r.exit_code == 1 and r.output.strip() == f"Error: {tmp_path / 'data.csv'}: no text column 'txt' (columns: label, text)"
    r = runner.invoke(main, ["vocab", str(tmp_path / "data.tsv"), "-o", str(tmp_path / "v.json")])
    assert r.exit_code == 1 and r.output.strip() == (f"Error: {tmp_path / 'data.tsv'}: which column is the text? give "
                                                     "--text-column NAME|INDEX (columns: id, label, body)")
    r = runner.invoke(main, ["vocab", str(tmp_path / "plain.txt"), "--text-column", "text", "-o", str(tmp_path / "v.json")])
    assert r.exit_code == 2 and "need a .csv, .tsv or .jsonl input" in r.output
    assert not (tmp_path / "v.json").exists()


def test_a_row_with_more_fields_than_the_header_is_an_error_not_a_cut_text(runner, tmp_path):
    """An unquoted comma in the text (a hand-written CSV) used to leave the text after it out,
    silently; it is one line naming the row, as pandas' read_csv refuses it. Empty fields past the
    header (a trailing delimiter on every row, as some exports write) are nothing lost."""
    (tmp_path / "bad.csv").write_text("label,text\nham,see you at noon\nspam,buy now, cheap pills\n")
    r = runner.invoke(main, ["vocab", str(tmp_path / "bad.csv"), "-o", str(tmp_path / "v.json")])
    assert r.exit_code == 1 and r.output.strip() == (
        f"Error: {tmp_path / 'bad.csv'}: line 3: 3 fields, the header has 2 (label, text); a field with a comma in "
        "it needs double quotes")
    assert not (tmp_path / "v.json").exists()
    (tmp_path / "trailing.csv").write_text("label,text,\nham,see you at noon,\nspam,\"buy now, cheap pills\",\n")
    (tmp_path / "plain.txt").write_text("see you at noon\nbuy now, cheap pills\n")
    ok(runner, "vocab", tmp_path / "trailing.csv", "--text-column", "text", "-o", tmp_path / "t.json", "-q")
    ok(runner, "vocab", tmp_path / "plain.txt", "-o", tmp_path / "p.json", "-q")
    assert (tmp_path / "t.json").read_bytes() == (tmp_path / "p.json").read_bytes()
    (tmp_path / "ragged.csv").write_text("label,text\nham,see you at noon,\n")  # one empty field too many
    ok(runner, "vocab", tmp_path / "ragged.csv", "-o", tmp_path / "r.json", "-q")


def test_classifier_trains_and_tests_from_a_label_column(runner, tmp_path):
    write_tables(tmp_path)
    ok(runner, "train", tmp_path / "labeled.txt", "--objective", "classify", "-o", tmp_path / "a", "--epochs", "3", "-q")
    for name in ("data.csv", "data.jsonl"):
        ok(runner, "train", tmp_path / name, "--objective", "classify", "--label-column", "label", "-o", tmp_path / "b",
           "--epochs", "3", "-q")
        assert (tmp_path / "a" / "table.npy").read_bytes() == (tmp_path / "b" / "table.npy").read_bytes()
        assert ok(runner, "test", tmp_path / "a", tmp_path / name, "--label-column", "label").output \
            == ok(runner, "test", tmp_path / "a", tmp_path / "labeled.txt").output
    ok(runner, "train", tmp_path / "data.tsv", "--objective", "classify", "--label-column", "1", "--text-column", "body",
       "-o", tmp_path / "c", "--epochs", "3", "-q")
    assert (tmp_path / "a" / "table.npy").read_bytes() == (tmp_path / "c" / "table.npy").read_bytes()
    predicted = ok(runner, "predict", tmp_path / "a", "-i", tmp_path / "data.csv").stdout.splitlines()
    assert predicted == ok(runner, "predict", tmp_path / "a", "-i", tmp_path / "plain.txt").stdout.splitlines()
    assert len(predicted) == 5
    r = runner.invoke(main, ["train", str(tmp_path / "data.csv"), "--label-column", "label", "-o", str(tmp_path / "x")])
    assert r.exit_code == 2 and "--label-column is for --objective classify" in r.output


def test_train_reads_the_text_column(runner, tmp_path):
    write_tables(tmp_path)
    for src, out in ((tmp_path / "plain.txt", "p"), (tmp_path / "data.csv", "t")):
        ok(runner, "train", src, "-o", tmp_path / out, "--min-count", "1", "--dim", "4", "--epochs", "1", "--workers", "1", "-q")
    assert (tmp_path / "p" / "table.npy").read_bytes() == (tmp_path / "t" / "table.npy").read_bytes()


def test_train_reads_a_table_from_stdin(runner, tmp_path):
    """'-' with --input-format csv: the same model as the named table, and a config.yaml that saves '-'."""
    write_tables(tmp_path)
    table = (tmp_path / "data.csv").read_text(encoding="utf-8")
    args = ["--min-count", "1", "--dim", "4", "--epochs", "1", "--workers", "1", "-q"]
    ok(runner, "train", tmp_path / "data.csv", "-o", tmp_path / "f", *args)
    r = runner.invoke(main, ["train", "-", "--input-format", "csv", "-o", str(tmp_path / "s"), *args], input=table)
    assert r.exit_code == 0, r.output
    assert (tmp_path / "s" / "table.npy").read_bytes() == (tmp_path / "f" / "table.npy").read_bytes()
    assert "- '-'" in (tmp_path / "s" / "config.yaml").read_text()
    for name in ("fc", "sc"):
        r = runner.invoke(main, ["train", "-" if name == "sc" else str(tmp_path / "data.csv"), "--input-format", "csv",
                                 "--objective", "classify", "--label-column", "label", "-o", str(tmp_path / name),
                                 "--epochs", "3", "-q"], input=table)
        assert r.exit_code == 0, r.output
    assert (tmp_path / "sc" / "table.npy").read_bytes() == (tmp_path / "fc" / "table.npy").read_bytes()


def test_label_column_of_a_jsonl_list_is_several_labels(runner, tmp_path):
    """A JSON array in the label column ({"labels": ["news", "weather"]}, the usual multi-label record)
    is one label per item, as '__label__news __label__weather' lines are; it used to be one label
    "__label__['news',_'weather']". A label already written with the prefix is not prefixed again."""
    records = [{"text": "storm floods the coast", "labels": ["news", "weather"]},
               {"text": "you will not believe this trick", "labels": ["clickbait"]},
               {"text": "parliament passes the budget", "labels": "__label__news"},
               {"text": "an unlabelled line", "labels": []}]
    (tmp_path / "multi.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    (tmp_path / "multi.txt").write_text("__label__news __label__weather storm floods the coast\n"
                                        "__label__clickbait you will not believe this trick\n"
                                        "__label__news parliament passes the budget\nan unlabelled line\n")
    ok(runner, "train", tmp_path / "multi.txt", "--objective", "classify", "-o", tmp_path / "a", "--epochs", "2", "-q")
    ok(runner, "train", tmp_path / "multi.jsonl", "--objective", "classify", "--label-column", "labels",
       "-o", tmp_path / "b", "--epochs", "2", "-q")
    assert json.loads((tmp_path / "b" / "labels.json").read_text()) == [
        "__label__news", "__label__weather", "__label__clickbait"]
    for name in ("table.npy", "output.npy", "labels.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert ok(runner, "test", tmp_path / "a", tmp_path / "multi.jsonl", "--label-column", "labels", "-k", "2").output \
        == ok(runner, "test", tmp_path / "a", tmp_path / "multi.txt", "-k", "2").output
