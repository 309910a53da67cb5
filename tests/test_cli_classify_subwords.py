"""`embedcli train --objective classify --subwords 3-6`, then predict/test with words the training
text never had. The library tests are in test_classify_subwords.py."""

from __future__ import annotations

import json

from embedcli.cli import main

from support.classify_subwords import SUFFIXES

TRAIN = SUFFIXES * 20


def test_train_predict_test_with_subwords(runner, tmp_path):
    train = tmp_path / "train.txt"
    train.write_text("\n".join(TRAIN) + "\n", encoding="utf-8")
    out = tmp_path / "m"
    args = ["train", str(train), "--objective", "classify", "--subwords", "3-6", "--dim", "16", "--epochs", "20",
            "--lr", "0.5", "-o", str(out)]
    res = runner.invoke(main, [*args, "--dry-run", "--json"])
    assert res.exit_code == 0, res.output
    info = json.loads(res.output)
    assert info["subwords"]["minn"] == 3 and info["subwords"]["maxn"] == 6
    assert info["subwords"]["buckets"] == info["subwords"]["distinct_ngrams"] > 0
    res = runner.invoke(main, [*args, "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.output)
    assert summary["subwords"]["buckets"] == info["subwords"]["buckets"] and summary["ngram_rows"] > 0
    assert "subwords: 3-6" in (out / "config.yaml").read_text()
    # words the training text never had are classified by their character n-grams
    res = runner.invoke(main, ["predict", str(out), "dancing", "painting", "formation", "nomination"])
    assert res.exit_code == 0, res.output
    assert res.output.split() == ["__label__verb"] * 2 + ["__label__noun"] * 2
    test = tmp_path / "test.txt"
    test.write_text("__label__verb dancing\n__label__noun formation\n__label__verb smiling\n", encoding="utf-8")
    res = runner.invoke(main, ["test", str(out), str(test), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["precision"] == 1.0
    res = runner.invoke(main, ["train", str(train), "--objective", "classify", "--subwords", "x", "-o",
                               str(tmp_path / "e")])
    assert res.exit_code == 2 and "--subwords" in res.output and "Traceback" not in res.output
