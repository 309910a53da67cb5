"""embedcli embed: one vector per phrase (mean of the known words' rows; --normalize as fastText's
sentence vectors), to a .npy array, JSON lines or the screen."""

import json

import numpy as np
import pytest

from embedcli.cli import main
from embedcli.model import Model
from embedcli.vocab import Vocab

TOKENS = ["<pad>", "<unk>", "cat", "sat", "mat", "zero"]


TABLE = np.array([[0, 0, 0], [9, 9, 9], [3, 4, 0], [1, 0, 0], [0, 2, 0], [0, 0, 0]], dtype=np.float32)


@pytest.fixture
def model(tmp_path):
    vocab = Vocab(tokens=TOKENS, counts=[0, 1, 5, 4, 3, 2])
    path = tmp_path / "m"
    Model(vocab=vocab, table=TABLE).save(path)
    return str(path)


def fasttext_sentence_vector(words):
    """fastText's getSentenceVector (unsupervised): each known word's vector over its norm, rows of
    norm 0 left out, averaged over the rest."""
    rows = [TABLE[TOKENS.index(w)] for w in words if w in TOKENS[2:]]
    rows = [r / np.linalg.norm(r) for r in rows if np.linalg.norm(r) > 0]
    return np.mean(rows, axis=0) if rows else np.zeros(3)


def test_embed_json_is_the_mean_of_the_known_rows(model, runner):
    res = runner.invoke(main, ["embed", model, "The cat sat", "qqq", "", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert [d["text"] for d in data] == ["The cat sat", "qqq", ""]
    assert [d["known"] for d in data] == [2, 0, 0]
    assert np.allclose(data[0]["vector"], (TABLE[2] + TABLE[3]) / 2) and data[0]["vector"] == [2.0, 2.0, 0.0]
    assert data[1]["vector"] == [0.0, 0.0, 0.0] and data[2]["vector"] == [0.0, 0.0, 0.0]


def test_embed_normalize_is_fasttexts_sentence_vector(model, runner, tmp_path):
    phrases = ["cat sat mat", "cat zero", "zero", "mat mat cat"]
    src = tmp_path / "p.txt"
    src.write_text("\n".join(phrases) + "\n", encoding="utf-8")
    out = tmp_path / "v.npy"
    res = runner.invoke(main, ["embed", model, "-i", str(src), "-o", str(out), "--normalize"])
    assert res.exit_code == 0, res.output
    arr = np.load(out)
    assert arr.dtype == np.float32 and arr.shape == (4, 3)
    for row, phrase in zip(arr, phrases):
        assert np.allclose(row, fasttext_sentence_vector(phrase.split()), atol=1e-7), phrase
    assert "embedded 4 phrase(s)" in res.stderr and "1 without any known word" in res.stderr


def test_embed_npy_and_jsonl_agree_and_count_empty_phrases(model, runner, tmp_path):
    src = tmp_path / "p.txt"
    src.write_text("cat\n\nqqq www\nsat mat\n", encoding="utf-8")
    res = runner.invoke(main, ["embed", model, "-i", str(src), "-o", str(tmp_path / "v.npy")])
    assert res.exit_code == 0, res.output
    assert res.stderr.strip() == (f"embedded 4 phrase(s) to {tmp_path / 'v.npy'}: 3-d mean of rows; "
                                  "2 without any known word (zero vectors)")
    res = runner.invoke(main, ["embed", model, "-i", str(src), "-o", str(tmp_path / "v.jsonl"), "-q"])
    assert res.exit_code == 0 and res.stderr == ""
    rows = [json.loads(line) for line in (tmp_path / "v.jsonl").read_text().splitlines()]
    assert [r["text"] for r in rows] == ["cat", "", "qqq www", "sat mat"]
    assert np.array_equal(np.array([r["vector"] for r in rows], dtype=np.float32), np.load(tmp_path / "v.npy"))


def test_embed_reads_stdin_and_writes_jsonl_to_stdout(model, runner):
    res = runner.invoke(main, ["embed", model, "-i", "-", "-o", "-", "-q"], input="cat\nmat\n")
    assert res.exit_code == 0, res.output
    assert [json.loads(line)["vector"] for line in res.stdout.splitlines()] == [[3.0, 4.0, 0.0], [0.0, 2.0, 0.0]]


def test_embed_prints_a_table_by_default(model, runner):
    res = runner.invoke(main, ["embed", model, "cat sat"])
    assert res.exit_code == 0, res.output
    assert "cat sat" in res.stdout and "[2.0000, 2.0000, 0.0000]" in res.stdout


@pytest.mark.parametrize("args,fragment", [
    (["x", "-i", "f.txt"], "not both"),
    ([], "give PHRASE arguments or -i FILE"),
    (["x", "-o", "out.csv"], ".npy"),
    (["x", "-o", "out.npy", "--json"], "--json"),
])
def test_embed_usage_errors(model, runner, args, fragment):
    res = runner.invoke(main, ["embed", model, *args])
    assert res.exit_code == 2 and fragment in res.stderr and len(res.stderr.strip().splitlines()) == 1


def test_embed_lone_dash_reads_stdin(model, runner):
    dash = runner.invoke(main, ["embed", model, "-", "--json"], input="The cat sat\nqqq\n")
    assert dash.exit_code == 0, dash.output
    assert dash.stdout == runner.invoke(main, ["embed", model, "-i", "-", "--json"], input="The cat sat\nqqq\n").stdout
    assert [d["text"] for d in json.loads(dash.stdout)] == ["The cat sat", "qqq"]
    r = runner.invoke(main, ["embed", model, "-", "cat"])
    assert r.exit_code == 2 and "cannot be mixed with PHRASE arguments" in r.stderr


def test_embed_phrase_arguments_of_invalid_utf8_follow_encoding_errors(model, runner, tmp_path):
    """A PHRASE argument holding invalid UTF-8 (Python's argv holds the byte as a lone surrogate,
    'caf\\udce9' for b'caf\\xe9') is what the same line of a file is: an error naming it, or read
    with --encoding-errors replace/ignore; it was echoed into the output, where -o x.jsonl failed
    with a UnicodeEncodeError traceback (and --json or the table on a strict UTF-8 stdout)."""
    bad = b"cat caf\xe9".decode("utf-8", "surrogateescape")
    for args in (["--json"], ["-o", str(tmp_path / "v.jsonl")], []):
        res = runner.invoke(main, ["embed", model, "sat", bad, *args])
        assert res.exit_code == 1, res.output
        assert res.stderr == ("Error: PHRASE 2: invalid UTF-8 (byte 0xe9); use --encoding-errors replace "
                              "to go on\n")
    res = runner.invoke(main, ["embed", model, bad, "-o", str(tmp_path / "v.jsonl"), "--encoding-errors",
                               "replace", "-q"])
    assert res.exit_code == 0, res.output
    row = json.loads((tmp_path / "v.jsonl").read_text(encoding="utf-8"))
    assert row["text"] == "cat caf\ufffd" and row["vector"] == [3.0, 4.0, 0.0]
    res = runner.invoke(main, ["embed", model, bad, "--encoding-errors", "ignore", "--json"])
    assert res.exit_code == 0 and json.loads(res.stdout)[0]["text"] == "cat caf"
