"""Paths, train's text options and flag names from gensim/fastText (issue #13.5, .7, .9)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from embedcli.cli import main

from support import REPO

CORPUS = os.path.join(REPO, "sample_data", "corpus.txt")


def test_output_creates_missing_parent_directories(runner, tmp_path):
    out = tmp_path / "runs" / "lee" / "v.json"
    r = runner.invoke(main, ["vocab", CORPUS, "-o", str(out), "-q"])
    assert r.exit_code == 0, r.output and out.is_file()
    r = runner.invoke(main, ["encode", "-v", str(out), "Nice to see you", "-o", str(tmp_path / "a" / "b" / "ids.npy"), "-q"])
    assert r.exit_code == 0, r.output and (tmp_path / "a" / "b" / "ids.npy").is_file()
    r = runner.invoke(main, ["train", CORPUS, "-o", str(tmp_path / "runs" / "x" / "model"), "--dim", "8", "--epochs", "1", "-q"])
    assert r.exit_code == 0, r.output
    assert sorted(os.listdir(tmp_path / "runs" / "x")) == ["model"]  # the model directory only, no leftovers
    (tmp_path / "file").write_text("x")
    r = runner.invoke(main, ["vocab", CORPUS, "-o", str(tmp_path / "file" / "v.json")])
    assert r.exit_code != 0 and r.output.strip() == f"Error: cannot write {tmp_path / 'file' / 'v.json'}: {tmp_path / 'file'} is a file, not a directory"
    assert not (tmp_path / "file" / "v.json").exists()


def test_train_without_arguments_writes_under_the_current_directory(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([REPO, os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-m", "embedcli", "train", "--epochs", "1", "--dim", "8"], cwd=tmp_path,
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "models" / "default" / "table.npy").is_file()
    assert proc.stderr.splitlines()[0] == (f"no CORPUS given: training on the sample data "
                                           f"({os.path.join(REPO, 'configs', 'default.yaml')}), "
                                           f"writing {tmp_path / 'models' / 'default'}")


def test_train_takes_the_vocabulary_text_options(runner, tmp_path):
    r = runner.invoke(main, ["train", CORPUS, "-o", str(tmp_path / "m"), "--dim", "8", "--epochs", "1", "-q",
                             "--no-lower", "--keep-punct", "--order", "frequency", "--min-count", "3"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(main, ["vocab", CORPUS, "-o", str(tmp_path / "v.json"), "-q", "--no-lower", "--keep-punct",
                             "--order", "frequency", "--min-count", "3"])
    assert r.exit_code == 0, r.output
    trained = json.loads((tmp_path / "m" / "vocab.json").read_text())
    built = json.loads((tmp_path / "v.json").read_text())
    assert trained["tokens"] == built["tokens"] and trained["normalization"] == built["normalization"]
    assert trained["order"] == "frequency" and trained["normalization"]["lower"] is False
    assert "The" in trained["tokens"] and "." in trained["tokens"]
    # the config repeats the run, text options included
    r = runner.invoke(main, ["train", "--config", str(tmp_path / "m" / "config.yaml"), "-o", str(tmp_path / "m2"), "-q"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "m" / "table.npy").read_bytes() == (tmp_path / "m2" / "table.npy").read_bytes()
    r = runner.invoke(main, ["train", CORPUS, "-o", str(tmp_path / "c"), "--objective", "classify", "--order", "frequency"])
    assert r.exit_code == 2 and "--order frequency is not available with --objective classify" in r.output


@pytest.mark.parametrize("flag, ours", [
    ("--size", "--dim"), ("--vector-size", "--dim"), ("-dim", "--dim"), ("--iter", "--epochs"),
    ("-epoch", "--epochs"), ("--alpha", "--lr"), ("-minCount", "--min-count"), ("-ws", "--window"),
    ("--size=50", "--dim"), ("-minn", "--subwords"), ("-t", "--sample"), ("--vector_size", "--dim"),
    ("--min-n", "--subwords"), ("--max_n", "--subwords"), ("-pretrainedVectors", "--init"),
])
def test_peer_flag_names_suggest_embedclis(runner, flag, ours):
    r = runner.invoke(main, ["train", CORPUS, flag, *([] if "=" in flag else ["50"])])
    assert r.exit_code == 2
    name = flag.split("=")[0]
    assert r.output.strip() == f"Error: No such option: {name} (embedcli calls it {ours}) (see 'embedcli train --help')"
    assert "--max-size" not in r.output


@pytest.mark.parametrize("flag", ["-input", "--input"])
def test_fasttext_input_flag_says_the_corpus_is_an_argument(runner, flag):
    """`fasttext supervised -input train.txt -output model` typed as `embedcli train -input ...` was
    'No such option '-i'' (click read -input as -i nput), naming a flag nobody typed."""
    r = runner.invoke(main, ["train", flag, CORPUS, "--objective", "classify"])
    assert r.exit_code == 2
    assert r.output.strip() == (f"Error: No such option: {flag} (give CORPUS as an argument: embedcli train FILE) "
                                "(see 'embedcli train --help')")


def _commands(group, path=()):
    import click

    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if isinstance(command, click.Group):
            yield path + (name,), command
            yield from _commands(command, path + (name,))
        else:
            yield path + (name,), command


def test_every_command_has_help_with_an_example_and_json(runner):
    names = []
    for path, _ in _commands(main):
        r = runner.invoke(main, [*path, "--help"])
        assert r.exit_code == 0, (path, r.output)
        assert "Example" in r.stdout, path
        assert "--json" in r.stdout, path
        names.append(" ".join(path))
    assert {"vocab", "vocab merge", "encode", "train", "show-table", "similar", "embed", "predict", "test",
            "vectors", "evaluate", "explore", "info"} <= set(names)


@pytest.mark.parametrize("name, hint", [
    ("supervised", "'embedcli train --objective classify'"), ("predict-prob", "'embedcli predict --prob'"),
    ("test-label", "'embedcli test --per-label'"), ("nn", "'embedcli similar'"),
    ("print-word-vectors", "'embedcli vectors'"),
    ("print-sentence-vectors", "'embedcli embed --normalize' ('embedcli embed' for a classifier)"),
    ("analogies", "'embedcli analogy MODEL B A C' for its query A B C (A - B + C)"),
])
def test_fasttext_commands_name_what_does_their_job(runner, name, hint):
    """fastText's commands typed to embedcli ('embedcli predict-prob model.bin test.txt') got click's
    'No such command' (for predict-prob 'Did you mean predict?', which has no probabilities
    without --prob); they say which embedcli command does the job."""
    r = runner.invoke(main, [name, "model", "file.txt"])
    assert r.exit_code == 2
    assert r.output.strip() == f"Error: No such command '{name}' (fastText's {name} is {hint}) (see 'embedcli --help')"


def test_fasttext_test_with_a_positional_k_says_where_k_goes(runner, tmp_path):
    """'embedcli test MODEL FILE 2' (fastText's 'test model.bin test.txt 2') said only 'Got unexpected
    extra argument (2)'."""
    r = runner.invoke(main, ["test", str(tmp_path), "file.txt", "2"])
    assert r.exit_code == 2
    assert r.output.strip() == ("Error: Got unexpected extra argument (2) (fastText's 'test MODEL FILE k' is "
                                "'embedcli test MODEL FILE -k K') (see 'embedcli test --help')")


def test_each_command_imports_only_its_own_module():
    """A command imports its own CLI module, not every command's (startup time: `train` paid ~0.1 s
    for the query, table and predict modules before); the name -> module map covers every command."""
    import click

    from embedcli.cli import _COMMAND_MODULES

    ctx = click.Context(main)
    names = main.list_commands(ctx)
    assert sorted(_COMMAND_MODULES) == sorted(names)
    for name in names:
        command = main.get_command(ctx, name)
        callback = command.callback if command.callback is not None else next(iter(command.commands.values())).callback
        assert callback.__module__ == f"embedcli.cli.{_COMMAND_MODULES[name]}", name
    code = ("import sys\nfrom embedcli.cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.startswith('embedcli.cli.') and m not in "
            "('embedcli.cli.common', 'embedcli.cli.cluster')))\n")
    for args, module in ((["train", "--help"], "train"), (["similar", "--help"], "query"),
                         (["show-table", "--help"], "table"), (["test", "--help"], "predict")):
        res = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                             env=dict(os.environ, PYTHONPATH=REPO), timeout=120)
        assert res.returncode == 0, res.stderr
        assert res.stdout.strip().splitlines()[-1] == repr([f"embedcli.cli.{module}"]), args
