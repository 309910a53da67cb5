"""The command line shows a library error about a parameter with the command's flag for it:
one line on stderr, a non-zero exit, no traceback (the library texts are in test_errors.py)."""

import pytest

from embedcli.cli import main
from support.table import make_model


@pytest.fixture
def files(tmp_path):
    model, _, _ = make_model(tmp_path)
    (tmp_path / "bad.txt").write_bytes(b"fine\nbad \xff byte\n")
    (tmp_path / "upper.txt").write_text("Hope to see you\n")
    return tmp_path, model


def one_error_line(r, code=None):
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert r.exit_code != 0 and "Traceback" not in r.output and "Traceback" not in r.stderr
    assert len(lines) == 1, lines
    if code is not None:
        assert r.exit_code == code
    return lines[0]


def test_each_library_parameter_is_shown_as_the_commands_flag(runner, files):
    tmp, model = files
    cases = [
        (["train", "--config", str(tmp / "missing.yaml")], 2, f"Error: --config {tmp / 'missing.yaml'}: no such file"),
        (["show-table", model, "--plot", str(tmp / "words.xyz")], 2, f"Error: --plot {tmp / 'words.xyz'}: "),
        (["show-table", model, "--format", "tsv", "-o", "-"], 2,
         "Error: --format tsv writes two files (vectors.tsv and metadata.tsv): give -o a DIRECTORY or a PREFIX"),
        (["vocab", str(tmp / "bad.txt"), "-o", str(tmp / "v.json")], 1,
         f"Error: {tmp / 'bad.txt'}: line 2: invalid UTF-8 (byte 0xff); use --encoding-errors replace to go on"),
        (["encode", "-v", model, "-i", str(tmp / "bad.txt")], 1, "use --encoding-errors replace to go on"),
        (["vocab", str(tmp / "upper.txt"), "--input-format", "text", "--text-column", "x", "-o", str(tmp / "v.json")],
         2, "Error: --text-column and --label-column are for csv, tsv and jsonl inputs"),
        (["explore", model, "-o", str(tmp / "m.html"), "--method", "tsne", "--limit", "3000"], 2,
         "(got --limit 3000); use --method pca for more"),
        (["vocab", str(tmp / "upper.txt"), "-o", str(tmp / "v.json"), "--min-count", "0"], 2,
         "Error: --min-count must be at least 1 (got 0)"),
        (["vocab", str(tmp / "upper.txt"), "-o", str(tmp / "v.json"), "--dask", "local:none"], 2,
         "Error: --dask local:none: expected local or local:N"),
    ]
    for args, code, text in cases:
        r = runner.invoke(main, args)
        line = one_error_line(r, code)
        assert text in line, (args, line)
        assert " path " not in line and "encoding_errors" not in line and "_column" not in line


def test_merge_of_parts_counted_differently_names_the_vocab_flags(runner, files):
    tmp, _ = files
    assert runner.invoke(main, ["vocab", str(tmp / "upper.txt"), "--partial", "-o", str(tmp / "a.json")]).exit_code == 0
    assert runner.invoke(main, ["vocab", str(tmp / "upper.txt"), "--no-lower", "--partial",
                                "-o", str(tmp / "b.json")]).exit_code == 0
    r = runner.invoke(main, ["vocab", "merge", str(tmp / "a.json"), str(tmp / "b.json"), "-o", str(tmp / "v.json")])
    assert one_error_line(r, 1).endswith("count every shard with the same --lower/--keep-punct settings")


def test_a_non_classifier_model_names_the_objective_flag(runner, files):
    _, model = files
    r = runner.invoke(main, ["predict", model, "some text"])
    assert one_error_line(r, 1).endswith("not a classifier model (objective: test); train one with --objective classify")


def test_command_flags_maps_destinations_and_long_names():
    import click

    from embedcli.cli import common

    main_ctx = click.Context(main)
    for name, want in (("show-table", {"plot_path": "--plot", "fmt": "--format", "format": "--format",
                                       "limit": "--limit", "output": "-o", "address": "--dask"}),
                       ("similar", {"k": "-k", "topn": "--topn", "negative": "--negative"}),
                       ("vocab", {"min_count": "--min-count", "dask_address": "--dask", "dask": "--dask"}),
                       ("train", {"config_path": "--config", "config": "--config", "min_lr": "--min-lr"})):
        cmd = main.get_command(main_ctx, name)
        flags = common.command_flags(click.Context(cmd, info_name=name, parent=main_ctx))
        assert {k: flags.get(k) for k in want} == want, name
