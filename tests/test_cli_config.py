"""Config files for `embedcli train`: keys, types, paths, errors, precedence. Through the command
line; the library tests are in test_config.py."""

import pytest

from embedcli.cli import main

from support.config import write


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
