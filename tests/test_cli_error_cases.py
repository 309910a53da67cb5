"""Every user mistake listed in the reliability issue, through the real command line.

Each case must exit non-zero (2 for usage errors, 1 for data errors) with exactly one line on
stderr that names the file, line or flag, and no traceback.
"""

import json
import os
import re
from collections import Counter

import numpy as np
import pytest

from embedcli.cli import main
from embedcli.model import Model
from embedcli.text import tokenize
from embedcli.vocab import build_vocab

CORPUS = "the cat sat on the mat\nthe dog sat on the log\n" * 20


@pytest.fixture
def work(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "corpus.txt").write_text(CORPUS)
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "binary.bin").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (tmp_path / "latin1.txt").write_bytes("first line\nsecond line\ncaf\xe9 au lait\n".encode("latin-1"))
    (tmp_path / "truncated.json").write_text('{"format": "embedcli-vocab", "version": 1, "tokens": ["a", "b"')
    (tmp_path / "foreign.json").write_text('{"word_index": {"a": 1}}')
    (tmp_path / "notyaml.yaml").write_text("epochs: [1, 2\n")
    (tmp_path / "unknown-key.yaml").write_text("epochs: 2\nlearning_rate: 0.1\n")
    (tmp_path / "nolabels.txt").write_text("just some text\nmore text\n")
    (tmp_path / "plain-dir").mkdir()
    vocab = build_vocab(Counter(tokenize(CORPUS)), len(tokenize(CORPUS)))
    table = np.random.default_rng(0).standard_normal((len(vocab), 4)).astype(np.float32)
    Model(vocab, table, {"objective": "skipgram"}).save(tmp_path / "model")
    Model(vocab, table, {"objective": "skipgram"}).save(tmp_path / "mismatch")
    np.save(tmp_path / "mismatch" / "table.npy", table[:-1])
    Model(vocab, table, {"objective": "skipgram"}).save(tmp_path / "future")
    cfg = re.sub(r"(?m)^version: \d+$", "version: 7", (tmp_path / "future" / "config.yaml").read_text(), count=1)
    (tmp_path / "future" / "config.yaml").write_text(cfg)
    Model(vocab, table, {"objective": "skipgram"}).save(tmp_path / "badlists")
    with open(tmp_path / "badlists" / "config.yaml", "a") as f:
        f.write("objects: 5\n")  # the list of the model's JSON objects, damaged
    return tmp_path


READ_ONLY = "/sys/embedcli-out.json" if os.geteuid() == 0 else "/proc/embedcli-out.json"


CASES = [
    # (case, argv, exit code, fragments the one line must contain)
    ("missing file", ["vocab", "nope.txt", "-o", "v.json"], 1, ["nope.txt", "no such file"]),
    ("empty corpus", ["vocab", "empty.txt", "-o", "v.json"], 1, ["empty.txt", "no words"]),
    ("empty corpus, train", ["train", "empty.txt", "-o", "m", "-q"], 1, ["empty.txt"]),
    ("binary file", ["vocab", "binary.bin", "-o", "v.json"], 1, ["binary.bin", "binary"]),
    ("invalid UTF-8", ["vocab", "latin1.txt", "-o", "v.json"], 1, ["latin1.txt", "line 3", "--encoding-errors"]),
    ("truncated vocab", ["encode", "-v", "truncated.json", "hi"], 1, ["truncated.json", "JSON"]),
    ("foreign JSON vocab", ["encode", "-v", "foreign.json", "hi"], 1, ["foreign.json", "not an embedcli vocabulary"]),
    ("non-model directory", ["similar", "plain-dir", "cat"], 1, ["plain-dir", "not an embedcli model"]),
    ("file given as model", ["show-table", "corpus.txt"], 1, ["corpus.txt"]),
    ("table/vocab size mismatch", ["show-table", "mismatch"], 1, ["rows", "tokens"]),
    ("newer model format", ["show-table", "future"], 1, ["version 7", "upgrade"]),
    ("config objects not a list", ["similar", "badlists", "cat"], 1, ["config.yaml", "objects"]),
    ("config objects not a list, info", ["info", "badlists"], 1, ["config.yaml", "objects"]),
    ("maxlen 0", ["encode", "-v", "model", "--maxlen", "0", "hi"], 2, ["--maxlen"]),
    ("maxlen negative", ["encode", "-v", "model", "--maxlen", "-4", "hi"], 2, ["--maxlen"]),
    ("unknown padding", ["encode", "-v", "model", "--padding", "middle", "hi"], 2, ["--padding"]),
    ("dim 0", ["train", "corpus.txt", "-o", "m", "--dim", "0", "-q"], 2, ["--dim"]),
    ("negative epochs", ["train", "corpus.txt", "-o", "m", "--epochs", "-1", "-q"], 2, ["--epochs"]),
    ("lr NaN", ["train", "corpus.txt", "-o", "m", "--lr", "nan", "-q"], 2, ["--lr"]),
    ("lr 0", ["train", "corpus.txt", "-o", "m", "--lr", "0", "-q"], 2, ["--lr"]),
    ("lr negative", ["train", "corpus.txt", "-o", "m", "--lr", "-0.1", "-q"], 2, ["--lr"]),
    ("min-count removes every word", ["train", "corpus.txt", "-o", "m", "--min-count", "1000", "-q"], 1,
     ["--min-count"]),
    ("config not YAML", ["train", "--config", "notyaml.yaml", "-q"], 1, ["notyaml.yaml"]),
    ("config unknown key", ["train", "--config", "unknown-key.yaml", "-q"], 2, ["unknown-key.yaml", "learning_rate"]),
    ("unknown word for similar", ["similar", "model", "cta"], 1, ["cta", "did you mean", "cat"]),
    ("output under a file", ["vocab", "corpus.txt", "-o", "corpus.txt/dir/v.json"], 2,
     ["corpus.txt", "is a file, not a directory"]),
    ("output under a file, train", ["train", "corpus.txt", "-o", "corpus.txt/m", "-q"], 2,
     ["-o", "is a file, not a directory"]),
    ("read-only location", ["vocab", "corpus.txt", "-o", READ_ONLY], 1, [READ_ONLY, "cannot write"]),
    # an empty name (-o "$OUT" with OUT unset) was a FileNotFoundError traceback after the counting
    ("empty output name", ["vocab", "corpus.txt", "-o", ""], 2, ["-o", "empty"]),
    ("empty output name, export", ["show-table", "model", "--format", "csv", "-o", ""], 2, ["-o", "empty"]),
    ("empty output name, encode", ["encode", "-v", "model", "hi", "--format", "json", "-o", ""], 2, ["-o", "empty"]),
    ("empty output name, encode auto", ["encode", "-v", "model", "hi", "-o", ""], 2, ["-o", "empty"]),
    ("empty plot name", ["show-table", "model", "--plot", ""], 2, ["--plot", "empty"]),
    # train -o '' trained the sample data into models/default; --continue-from '' was a KeyError traceback
    ("empty output name, train", ["train", "corpus.txt", "-o", "", "-q"], 2, ["-o is an empty file name"]),
    ("empty output name, sample run", ["train", "-o", "", "-q"], 2, ["-o is an empty file name"]),
    ("empty continue-from", ["train", "corpus.txt", "--continue-from", "", "-q"], 2,
     ["--continue-from is an empty file name"]),
    ("empty config name", ["train", "--config", "", "-q"], 2, ["--config is an empty file name"]),
    ("empty corpus name", ["train", "", "-o", "m", "-q"], 2, ["CORPUS is an empty file name"]),
    ("empty resume name", ["train", "--resume", "", "-q"], 2, ["--resume is an empty file name"]),
    ("empty model name", ["similar", "", "cat"], 1, ["'': no such model directory"]),
    # a vector file piped in was '<stdin>: no such model directory'
    ("model from stdin", ["similar", "-", "cat"], 2, ["standard input", "vector file"]),
    ("model from stdin, export", ["show-table", "-", "--format", "word2vec", "-o", "v.txt"], 2, ["standard input"]),
    ("empty vocabulary name", ["encode", "-v", "", "hi"], 1, ["'': no such file"]),
    ("classify without labels", ["train", "nolabels.txt", "--objective", "classify", "-o", "m", "-q"], 1,
     ["nolabels.txt", "__label__"]),
    ("projector directory in a read-only location",
     ["show-table", "model", "--format", "tsv", "-o", os.path.dirname(READ_ONLY) + "/embedcli-projector/"], 1,
     ["embedcli-projector", "cannot write"]),
    ("dim too large for memory", ["train", "corpus.txt", "-o", "m", "--dim", "100000000000", "--dry-run", "-q"], 1,
     ["memory", "100000000000"]),
    ("dim too large for memory, training", ["train", "corpus.txt", "-o", "m", "--dim", "100000000000", "-q"], 1,
     ["memory", "100000000000"]),
    # settings whose working memory is beyond the machine's fail before anything is allocated (a
    # tiny corpus with --negative 3000000000 used to fill 24 GB with draws and be killed)
    ("negatives too many for memory", ["train", "corpus.txt", "-o", "m", "--negative", "3000000000", "--workers", "2",
                                       "-q"], 1, ["--negative 3000000000", "GB of working memory"]),
    ("window too wide for memory", ["train", "corpus.txt", "-o", "m", "--window", "3000000000", "-q"], 1,
     ["--window 3000000000", "GB of working memory"]),
    ("round too large for memory", ["train", "corpus.txt", "-o", "m", "--round-batches", "3000000000", "--dry-run",
                                    "-q"], 1, ["--round-batches 3000000000", "GB of working memory"]),
]


@pytest.mark.parametrize("case, argv, code, fragments", CASES, ids=[c[0] for c in CASES])
def test_user_mistake_gives_one_clear_line(runner, work, case, argv, code, fragments):
    before = sorted(os.listdir(work))
    r = runner.invoke(main, argv)
    assert r.exit_code == code, f"{case}: exit {r.exit_code}\n{r.output}"
    assert "Traceback" not in r.output
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"{case}: expected one line on stderr, got {lines}"
    for fragment in fragments:
        assert fragment in lines[0], f"{case}: {fragment!r} not in {lines[0]!r}"
    assert sorted(os.listdir(work)) == before, f"{case}: something was written"


def test_invalid_utf8_can_go_on_with_replace(runner, work):
    r = runner.invoke(main, ["vocab", "latin1.txt", "-o", "v.json", "--encoding-errors", "replace", "-q"])
    assert r.exit_code == 0, r.output
    assert "caf" in json.loads((work / "v.json").read_text())["tokens"][-3]


def test_loading_never_unpickles(runner, work, tmp_path):
    """A table.npy holding a pickled object array is refused, and the pickle never runs."""
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    model = work / "model"
    np.save(model / "table.npy", np.array([Evil()], dtype=object), allow_pickle=True)
    r = runner.invoke(main, ["show-table", str(model)])
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert "table.npy" in r.stderr
    assert not marker.exists()


def test_names_with_colons_are_printed_as_given(runner, work):
    """A file name such as ``a:smile:b.txt`` is printed as it is: rich would replace ``:smile:``
    with an emoji, so the error line and the summary named a file that does not exist."""
    r = runner.invoke(main, ["vocab", "a:smile:b.txt", "-o", "v.json"])
    assert r.exit_code == 1
    assert r.stderr.strip() == "Error: a:smile:b.txt: no such file"
    r = runner.invoke(main, ["vocab", "corpus.txt", "-o", "v:thumbsup:.json"])
    assert r.exit_code == 0, r.output
    assert (work / "v:thumbsup:.json").exists()
    assert "written to v:thumbsup:.json" in r.stdout
