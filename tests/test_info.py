"""`embedcli info` / embedcli.describe: what a model, a vocabulary or a vector file holds, read
from its files' headers and JSON without loading the matrices."""

import json

import numpy as np
import pytest

import embedcli
from embedcli.cli import main
from embedcli.errors import FormatError

from support.train import synthetic_corpus

FAST = ["--dim", "16", "--min-count", "1", "--workers", "1", "--quiet"]


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    from click.testing import CliRunner

    runner = CliRunner()
    d = tmp_path_factory.mktemp("info")
    corpus = synthetic_corpus(d / "c.txt")
    more = d / "more.txt"
    more.write_text("the zebra eats grass near the barn\n" * 40)
    for args in (["train", str(corpus), "-o", str(d / "m"), *FAST, "--epochs", "2", "--subwords", "3-4"],
                 ["train", str(more), "--continue-from", str(d / "m"), "-o", str(d / "m2"), "--epochs", "1",
                  "--quiet"],
                 ["train", "--objective", "classify", str(d / "l.txt"), "-o", str(d / "clf"), "--quiet"]):
        if "classify" in args:
            (d / "l.txt").write_text("__label__a good film\n__label__b bad film\n" * 10)
        res = runner.invoke(main, args)
        assert res.exit_code == 0, res.output
    return d


def test_describe_a_model_from_its_files(models):
    d = embedcli.describe(models / "m2")
    m = embedcli.load(models / "m2").model
    assert d["kind"] == "model" and d["objective"] == "skipgram" and d["dim"] == 16
    assert d["vocab_size"] == len(m.vocab) and d["arrays"]["table"] == {"shape": [len(m.vocab), 16], "dtype": "float32"}
    assert d["arrays"]["input_rows"]["shape"][0] == len(m.vocab) + d["subwords"]["buckets"]
    assert d["history"] == m.history and [h["epoch"] for h in d["history"]] == [1, 2, 3]
    assert d["training"]["epochs_done"] == 3 and d["training"]["first_epoch"] == 2
    assert d["continued"]["model"] == str(models / "m") and d["continued"]["words_added"] == 1  # zebra
    assert d["settings"]["subwords"] == "3-4" and d["settings"]["continue_from"] == str(models / "m")
    assert d["files"]["table.npy"] == (models / "m2" / "table.npy").stat().st_size
    assert d["bytes"] == sum(d["files"].values()) and d["final_loss"] == m.history[-1]["loss"]
    assert embedcli.describe(models / "m2" / "table.npy") == d  # its table.npy names the model too


def test_info_command_renders_each_kind(runner, models, tmp_path):
    r = runner.invoke(main, ["info", str(models / "m2")])
    assert r.exit_code == 0, r.output
    out = " ".join(r.output.split())
    for said in ("skipgram model", "3 of 3 epochs, final loss", "after 2 epochs; 1 words added",
                 "character 3-4-grams", "input_rows", "float32", "history"):
        assert said in out, said
    r = runner.invoke(main, ["info", str(models / "clf")])
    out = " ".join(r.output.split())
    assert r.exit_code == 0 and "classifier" in out and "labels 2: __label__a, __label__b" in out
    assert "accuracy" in out and "window" not in out  # a classifier's settings, not skip-gram's
    r = runner.invoke(main, ["info", str(models / "m" / "vocab.json"), "--json"])
    v = json.loads(r.stdout)
    assert v["kind"] == "vocabulary" and v["first"][:2] == ["<pad>", "<unk>"] and v["normalization"]["lower"]
    runner.invoke(main, ["show-table", str(models / "m"), "--format", "word2vec", "-o", str(tmp_path / "v.txt")])
    r = runner.invoke(main, ["info", str(tmp_path / "v.txt"), "--json"])
    assert json.loads(r.stdout) == {"kind": "vectors", "path": str(tmp_path / "v.txt"), "format": "word2vec",
                                    "dim": 16, "words": len(embedcli.load(models / "m").vocab) - 2,
                                    "bytes": (tmp_path / "v.txt").stat().st_size}


def test_info_errors_are_one_line(runner, models, tmp_path):
    (tmp_path / "text.txt").write_text("Hope to see you soon\n")
    for path, said in ((tmp_path / "nope", "no such file or directory"),
                       (tmp_path / "text.txt", "not a model, a vocabulary or a vector file (line 1:")):
        r = runner.invoke(main, ["info", str(path)])
        assert r.exit_code == 1 and said in r.output and len(r.output.strip().splitlines()) == 1
    broken = tmp_path / "broken"
    broken.mkdir()
    for name in ("vocab.json", "config.yaml"):
        (broken / name).write_bytes((models / "m" / name).read_bytes())
    np.save(broken / "table.npy", np.zeros((3, 16), dtype=np.float32))
    with pytest.raises(FormatError, match="table.npy has 3 rows but vocab.json has"):
        embedcli.describe(broken)
    r = runner.invoke(main, ["info", str(tmp_path)])
    assert r.exit_code == 1 and "not an embedcli model (missing vocab.json and table.npy)" in r.output


def test_info_of_partial_counts_and_of_a_models_files(runner, models, tmp_path):
    part = tmp_path / "p.json"
    text = tmp_path / "t.txt"
    text.write_text("Hope to see you soon\nNice to see you again\n")
    assert runner.invoke(main, ["vocab", str(text), "--partial", "-o", str(part), "-q"]).exit_code == 0
    d = embedcli.describe(part)
    assert d["kind"] == "partial-counts" and d["distinct_words"] == 7 and d["total"] == 10
    assert d["first"][:3] == ["hope", "to", "see"]
    r = runner.invoke(main, ["info", str(part)])
    assert r.exit_code == 0 and "partial counts of 7 distinct words, 10 tokens" in r.output
    for name in ("history.json", "config.yaml"):
        r = runner.invoke(main, ["info", str(models / "m" / name)])
        assert r.exit_code == 1 and f"a file of the model {models / 'm'}; give the model directory" in r.output
    (tmp_path / "x.json").write_text('{"a": 1}')
    r = runner.invoke(main, ["info", str(tmp_path / "x.json")])
    assert r.exit_code == 1 and "a JSON file, but not a vocabulary or partial counts" in r.output


@pytest.mark.parametrize("table, said", [
    (np.float32(3), "table must be 2-D (vocab size, dim), got shape ()"),
    (np.zeros(5, dtype=np.float32), "table must be 2-D (vocab size, dim), got shape (5,)"),
    (np.zeros((5, 4, 4), dtype=np.float32), "table must be 2-D (vocab size, dim), got shape (5, 4, 4)"),
    ("int64", "table.npy must be float32, got int64"),
])
def test_info_of_a_table_of_the_wrong_shape_or_type_is_one_line(runner, models, tmp_path, table, said):
    # what loading the model would refuse, info says, in one line (not a traceback, nor a model of 4 dims)
    broken = tmp_path / "broken"
    broken.mkdir()
    for name in ("vocab.json", "config.yaml"):
        (broken / name).write_bytes((models / "m" / name).read_bytes())
    if isinstance(table, str):  # "int64": of the right shape
        table = np.zeros((len(embedcli.load(models / "m").vocab), 16), dtype=np.int64)
    np.save(broken / "table.npy", table)
    r = runner.invoke(main, ["info", str(broken)])
    assert r.exit_code == 1 and said in r.output and len(r.output.strip().splitlines()) == 1, r.output


def test_info_reads_a_vocabulary_or_partial_counts_from_stdin(runner, models, tmp_path):
    # '-' is stdin, as for `encode -v -` and `vocab merge -`: `vocab ... -o - | info -`
    text = tmp_path / "t.txt"
    text.write_text("Hope to see you soon\nNice to see you again\n")
    vocab = runner.invoke(main, ["vocab", str(text), "-o", "-", "-q"]).stdout
    r = runner.invoke(main, ["info", "-", "--json"], input=vocab)
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["kind"] == "vocabulary" and d["path"] == "<stdin>" and d["size"] == 9 and d["first"][2] == "hope"
    part = runner.invoke(main, ["vocab", str(text), "--partial", "-o", "-", "-q"]).stdout
    r = runner.invoke(main, ["info", "-"], input=part)
    assert r.exit_code == 0 and "<stdin>: partial counts of 7 distinct words, 10 tokens" in r.output, r.output
    r = runner.invoke(main, ["info", "-"], input="3 2\na 1 0\n")
    assert r.exit_code == 1 and "<stdin>: not a vocabulary or partial counts" in r.output
    assert len(r.output.strip().splitlines()) == 1, r.output


@pytest.mark.parametrize("name, text, said", [
    ("history.json", '{"epoch": 1}', "history.json: not a training history (a list of epochs"),
    ("history.json", '[{"epoch": 1}]', "history.json: not a training history (a list of epochs"),
    ("history.json", '[1, 2]', "history.json: not a training history (a list of epochs"),
    ("train_state.json", '[1]', "train_state.json: not a training state (an object with epochs_done and epochs)"),
])
def test_info_of_a_damaged_history_or_training_state_is_one_line(runner, models, tmp_path, name, text, said):
    broken = tmp_path / "broken"
    broken.mkdir()
    for f in (models / "m").iterdir():
        (broken / f.name).write_bytes(f.read_bytes())
    (broken / name).write_text(text)
    r = runner.invoke(main, ["info", str(broken)])
    assert r.exit_code == 1 and said in r.output and len(r.output.strip().splitlines()) == 1, r.output


def test_info_describes_what_the_model_holds_not_other_files_beside_it(runner, models, tmp_path):
    # a JSON or .npy file of the user's in a model directory is not part of the model (Model.load reads
    # the arrays and objects config.yaml lists): it neither changes nor breaks what info says
    mine = tmp_path / "m"
    mine.mkdir()
    for f in (models / "m").iterdir():
        (mine / f.name).write_bytes(f.read_bytes())
    (mine / "notes.json").write_text('{"note": "mine"}')
    (mine / "kind.json").write_text('"vectors"')
    (mine / "scratch.npy").write_bytes(b"not an array")
    d, clean = embedcli.describe(mine), embedcli.describe(models / "m")
    for key in ("files", "bytes", "path"):
        del d[key], clean[key]
    assert d == clean
    r = runner.invoke(main, ["info", str(mine)])
    assert r.exit_code == 0 and "skipgram model" in r.output, r.output


@pytest.mark.parametrize("model, name, text, said", [
    ("clf", "labels.json", '{"a": 1}', "labels.json: expected a list of labels (strings)"),
    ("clf", "label_counts.json", '5', "label_counts.json: expected a count (integer) per label"),
    ("clf", "label_counts.json", '[1]', "label_counts.json: expected a count (integer) per label"),
    ("m2", "subwords.json", '[1]', "subwords.json: expected minn, maxn and buckets"),
    ("m2", "continued.json", '{"x": 1}', "continued.json: expected an object with model, epochs_before, "),
])
def test_info_of_damaged_objects_of_a_model_is_one_line(runner, models, tmp_path, model, name, text, said):
    broken = tmp_path / "broken"
    broken.mkdir()
    for f in (models / model).iterdir():
        (broken / f.name).write_bytes(f.read_bytes())
    (broken / name).write_text(text)
    r = runner.invoke(main, ["info", str(broken)])
    assert r.exit_code == 1 and said in r.output and len(r.output.strip().splitlines()) == 1, r.output


def test_info_of_partial_counts_with_a_damaged_source_is_one_line(runner, tmp_path):
    text = tmp_path / "t.txt"
    text.write_text("Hope to see you soon\n")
    assert runner.invoke(main, ["vocab", str(text), "--partial", "-o", str(tmp_path / "p.json"), "-q"]).exit_code == 0
    data = json.loads((tmp_path / "p.json").read_text())
    for source in ({"paths": 5}, {"paths": [1]}, {"path": 7}):
        (tmp_path / "b.json").write_text(json.dumps({**data, "source": source}))
        r = runner.invoke(main, ["info", str(tmp_path / "b.json")])
        assert r.exit_code == 1 and '"source"' in r.output and len(r.output.strip().splitlines()) == 1, r.output


def test_info_gives_the_ids_the_special_tokens_have(runner, tmp_path):
    # the ids of <pad> and <unk> are their positions in "tokens" (what encode uses), whatever the
    # order of "specials" or where in the vocabulary they are
    text = tmp_path / "t.txt"
    text.write_text("Hope to see you soon\n")
    assert runner.invoke(main, ["vocab", str(text), "-o", str(tmp_path / "v.json"), "-q"]).exit_code == 0
    data = json.loads((tmp_path / "v.json").read_text())
    reordered = {**data, "specials": {"unk": "<unk>", "pad": "<pad>"}}
    moved = {**data, "tokens": data["tokens"][2:4] + data["tokens"][:2] + data["tokens"][4:],
             "counts": data["counts"][2:4] + data["counts"][:2] + data["counts"][4:]}
    for content, said, ids in ((reordered, "<unk>=1, <pad>=0", {"<unk>": 1, "<pad>": 0}),
                               (moved, "<pad>=2, <unk>=3", {"<pad>": 2, "<unk>": 3})):
        (tmp_path / "b.json").write_text(json.dumps(content))
        assert embedcli.describe(tmp_path / "b.json")["special_ids"] == ids
        r = runner.invoke(main, ["info", str(tmp_path / "b.json")])
        assert r.exit_code == 0 and said in r.output, r.output


def test_a_npy_array_without_a_vocabulary_is_named_with_its_shape(tmp_path, runner):
    # an exported table or encode's ids: info said "<dir>: not an embedcli model (missing vocab.json
    # and table.npy)", naming the folder and a table.npy the user never gave
    np.save(tmp_path / "ids.npy", np.zeros((3, 8), dtype=np.int32))
    r = runner.invoke(main, ["info", str(tmp_path / "ids.npy")])
    assert r.exit_code == 1
    assert f"{tmp_path / 'ids.npy'}: a .npy array (3 x 8 int32) without a vocab.json beside it" in r.output
    assert "table.npy" not in r.output and "Traceback" not in r.output
