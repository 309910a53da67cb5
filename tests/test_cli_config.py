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
