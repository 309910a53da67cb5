"""Config files for `embedcli train`: keys, types, paths, errors, precedence. Through the command
line; the library tests are in test_config.py."""

import os

import pytest

from embedcli.cli import main

from support.config import write

SAMPLE = os.path.join(os.path.dirname(__file__), os.pardir, "sample_data")


@pytest.mark.parametrize("args,fragment", [
    (["--dim", "0"], "--dim"), (["--epochs", "-2"], "--epochs"), (["--lr", "nan"], "--lr"),
    (["--lr", "0"], "--lr"), (["--lr", "-1"], "--lr"), (["--window", "0"], "--window"),
])
def test_cli_bad_flags_are_one_line_usage_errors(runner, seed_corpus, tmp_path, args, fragment):
    res = runner.invoke(main, ["train", str(seed_corpus), "-o", str(tmp_path / "m")] + args)
    assert res.exit_code == 2, res.output
    lines = [l for l in res.output.strip().splitlines() if l]
    assert len(lines) == 1 and fragment in lines[0] and "Traceback" not in res.output
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize("text, flags, fragments", [
    ("dim: 0\n", [], ["dim (in ", "range.yaml)", "must be at least 1 (got 0)"]),
    ("epochs: -2\n", [], ["epochs (in ", "range.yaml)"]),
    ("min_lr: 0.5\n", ["--lr", "0.1"], ["min_lr (in ", "range.yaml) must not exceed --lr 0.1"]),
    ("dim: 0\n", ["--dim", "-1"], ["--dim must be at least 1 (got -1)"]),  # the flag's value, over the file's
])
def test_cli_config_value_out_of_range_names_the_file(runner, tmp_path, seed_corpus, text, flags, fragments):
    """A value from the config file that is out of range is named as that file's key, not as a flag
    the user never typed."""
    cfg = write(tmp_path / "range.yaml", f"corpus: {seed_corpus}\n" + text)
    res = runner.invoke(main, ["train", "--config", str(cfg), "-o", str(tmp_path / "m"), *flags])
    assert res.exit_code == 2, res.output
    lines = [l for l in res.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and "Traceback" not in res.output
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    assert not (tmp_path / "m").exists()


def test_cli_config_errors(runner, tmp_path, seed_corpus):
    bad = write(tmp_path / "bad.yaml", "dimension: 3\n")
    res = runner.invoke(main, ["train", "--config", str(bad)])
    assert res.exit_code == 2 and "dimension" in res.output and str(bad) in res.output
    wrong = write(tmp_path / "wrong.yaml", "epochs: many\n")
    res = runner.invoke(main, ["train", "--config", str(wrong)])
    assert res.exit_code == 2 and "'epochs'" in res.output
    notyaml = write(tmp_path / "x.yaml", "a: [\n")
    res = runner.invoke(main, ["train", "--config", str(notyaml)])
    assert res.exit_code == 1 and "not valid YAML" in res.output
    res = runner.invoke(main, ["train", "--config", str(tmp_path / "missing.yaml")])
    assert res.exit_code == 2 and "missing.yaml" in res.output
    for r in (res,):
        assert "Traceback" not in r.output


@pytest.mark.parametrize("objective, corpus, flags, fragment", [
    ("skipgram", "corpus.txt", ["--word-ngrams", "2"], "--word-ngrams is for --objective classify (got 2)"),
    ("cbow", "corpus.txt", ["--label-prefix", "__l__"], "--label-prefix is for --objective classify (got '__l__')"),
    ("skipgram", "corpus.txt", ["--buckets", "1000"], "--buckets are the hash buckets of the n-grams of --subwords;"),
    ("classify", "labeled.txt", ["--window", "2"], "--window is not used by --objective classify"),
    ("classify", "labeled.txt", ["--sample", "1e-5"], "--sample is not used by --objective classify"),
    ("classify", "labeled.txt", ["--negative", "20"], "--negative is not used by --objective classify"),
    ("classify", "labeled.txt", ["--ns-exponent", "0.5"], "--ns-exponent is not used by --objective classify"),
    ("classify", "labeled.txt", ["--batch-words", "64"], "--batch-words is not used by --objective classify"),
    ("classify", "labeled.txt", ["--round-batches", "2"], "--round-batches is not used by --objective classify"),
    ("classify", "labeled.txt", ["--buckets", "100"], "--buckets are the hash buckets of the n-grams of --subwords or "
                                                      "--word-ngrams; this run has none (got 100)"),
])
def test_cli_a_setting_the_objective_does_not_use_is_refused(runner, tmp_path, objective, corpus, flags, fragment):
    # each trained the same bytes as without the flag, without a word (--word-ngrams 2 with skip-gram,
    # --window or --sample with classify, --buckets with nothing to hash), as gensim or fastText users type them
    res = runner.invoke(main, ["train", os.path.join(SAMPLE, corpus), "--objective", objective,
                               "-o", str(tmp_path / "m"), *flags])
    assert res.exit_code == 2, res.output
    lines = [l for l in res.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and fragment in lines[0], res.output
    assert not (tmp_path / "m").exists()


def test_cli_a_models_config_with_the_defaults_of_unused_settings_still_repeats(runner, tmp_path):
    # config.yaml lists every key (a classifier's window, sample...; skip-gram's word_ngrams, label_prefix)
    # at its default: those are not refused, so --config MODEL/config.yaml repeats each kind of run
    for objective, corpus in (("classify", "labeled.txt"), ("skipgram", "corpus.txt")):
        model = tmp_path / objective
        args = ["--objective", objective, "--dim", "8", "--epochs", "1", "-q"]
        res = runner.invoke(main, ["train", os.path.join(SAMPLE, corpus), "-o", str(model), *args])
        assert res.exit_code == 0, res.output
        res = runner.invoke(main, ["train", "--config", str(model / "config.yaml"), "-o", str(tmp_path / "again"), "-q"])
        assert res.exit_code == 0, res.output
        assert (tmp_path / "again" / "table.npy").read_bytes() == (model / "table.npy").read_bytes()
    file = write(tmp_path / "c.yaml", "objective: classify\nbatch_words: 64\n")
    res = runner.invoke(main, ["train", os.path.join(SAMPLE, "labeled.txt"), "--config", str(file), "-o",
                               str(tmp_path / "m")])
    assert res.exit_code == 2 and "batch_words (in " in res.stderr and "is not used by" in res.stderr, res.output
