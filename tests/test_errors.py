"""Library errors name parameters, never command-line flags (the CLI maps them to its flags)."""

import ast
import io
import pathlib
import re
import sys

import numpy as np
import pytest

from embedcli import config as cfg
from embedcli.errors import EmbedcliError, ParameterError, UsageError
from embedcli.export import export, projector_paths
from embedcli.explore import resolve_limit
from embedcli.inspect import plot_pca
from embedcli.io import iter_lines, resolve_inputs
from embedcli.partial import PartialCounts, combine_partials
from embedcli.pool import count_partial
from embedcli.text import TextSettings
from support import REPO as _REPO
from support.table import make_model

REPO = pathlib.Path(_REPO)
FLAG = re.compile(r"(?<![\w-])(--[a-z][a-z-]*|-[a-z]\b)")


def library_raise_strings():
    """(file:line, text) of every string in a ``raise`` of the library (embedcli/cli/ left out)."""
    for path in sorted((REPO / "embedcli").rglob("*.py")):
        if "cli" in path.relative_to(REPO / "embedcli").parts[:1]:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Raise) and node.exc is not None:
                for sub in ast.walk(node.exc):
                    if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                        yield f"{path.relative_to(REPO)}:{node.lineno}", sub.value


def test_no_library_error_names_a_flag():
    found = [(where, text) for where, text in library_raise_strings() if FLAG.search(text)]
    assert found == []


def test_the_scan_sees_the_library_errors():
    texts = [text for _, text in library_raise_strings()]
    assert len(texts) > 100 and any("no such file" in t for t in texts)
    assert FLAG.search("use --encoding-errors replace") and FLAG.search("give -o FILE")
    assert not FLAG.search("a float32 well-known x-y value") and not FLAG.search("pre-trained 3-6 n-grams")


def check(exc, library: str, cli: str, flags: dict | None = None):
    """The library text names the parameter, the command line's the flag."""
    assert str(exc) == library and not FLAG.search(str(exc))
    assert exc.cli_message(flags) == cli


def test_config_file_errors_name_the_path_parameter(tmp_path):
    with pytest.raises(ParameterError) as exc:
        cfg.load_config_file(tmp_path / "missing.yaml")
    missing = str(tmp_path / "missing.yaml")
    check(exc.value, f"path {missing}: no such file", f"--config {missing}: no such file", {"path": "--config"})
    assert exc.value.exit_code == 2
    with pytest.raises(ParameterError, match=r"^path .*: is a directory \(did you mean .*config.yaml\?\)$"):
        cfg.load_config_file(tmp_path)


def test_plot_errors_name_the_path_parameter(tmp_path):
    _, vocab, table = make_model(tmp_path)
    with pytest.raises(ParameterError) as exc:
        plot_pca(str(tmp_path / "words.xyz"), vocab, table, 5)
    assert exc.value.params == ("path",) and str(exc.value).startswith(f"path {tmp_path / 'words.xyz'}: ")
    assert exc.value.cli_message({"path": "--plot"}).startswith(f"--plot {tmp_path / 'words.xyz'}: ")
    assert not (tmp_path / "words.xyz").exists()
    one = make_model(tmp_path, text="word word\n", name="one")
    with pytest.raises(EmbedcliError, match=r"^a plot needs at least 2 words besides <pad>/<unk>"):
        plot_pca(str(tmp_path / "w.png"), one[1], one[2], 5)


class _Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize("fmt,what", [("word2vec-binary", "binary word2vec"), ("npy", ".npy data")])
def test_export_refuses_a_terminal_naming_the_path_parameter(tmp_path, monkeypatch, fmt, what):
    _, vocab, table = make_model(tmp_path)
    monkeypatch.setattr(sys, "stdout", _Terminal())
    with pytest.raises(ParameterError) as exc:
        export(fmt, "-", vocab, table)
    check(exc.value, f"refusing to write {what} to a terminal: give path a FILE",
          f"refusing to write {what} to a terminal: give -o a FILE", {"path": "-o"})


def test_projector_to_stdout_names_format_and_path():
    with pytest.raises(ParameterError) as exc:
        projector_paths("-")
    check(exc.value, "format tsv writes two files (vectors.tsv and metadata.tsv): give path a DIRECTORY or a "
                     "PREFIX, not stdout",
          "--format tsv writes two files (vectors.tsv and metadata.tsv): give -o a DIRECTORY or a PREFIX, not stdout",
          {"path": "-o"})


def test_invalid_utf8_names_encoding_errors(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"fine\nbad \xff byte\n")
    with pytest.raises(EmbedcliError) as exc:
        list(iter_lines(str(bad)))
    check(exc.value, f"{bad}: line 2: invalid UTF-8 (byte 0xff); use encoding_errors replace to go on",
          f"{bad}: line 2: invalid UTF-8 (byte 0xff); use --encoding-errors replace to go on")
    assert exc.value.exit_code == 1 and not isinstance(exc.value, UsageError)


def test_table_input_errors_name_parameters(tmp_path):
    with pytest.raises(ParameterError) as exc:
        resolve_inputs(["x.txt"], "xml")
    check(exc.value, "input_format must be auto, text, csv, tsv or jsonl (got 'xml')",
          "--input-format must be auto, text, csv, tsv or jsonl (got 'xml')")
    plain = tmp_path / "plain.txt"
    plain.write_text("a b\n")
    with pytest.raises(ParameterError) as exc:
        resolve_inputs([str(plain)], "auto", "text")
    check(exc.value, "text_column and label_column need a .csv, .tsv or .jsonl input (or input_format)",
          "--text-column and --label-column need a .csv, .tsv or .jsonl input (or --input-format)")
    table = tmp_path / "t.csv"
    table.write_text("id,body,label\n1,a b,x\n")
    with pytest.raises(EmbedcliError) as exc:
        list(iter_lines(resolve_inputs([str(table)])[0]))
    assert "give text_column NAME|INDEX (columns: id, body, label)" in str(exc.value)
    assert "give --text-column NAME|INDEX" in exc.value.cli_message()


def test_explore_limits_name_parameters():
    with pytest.raises(ParameterError) as exc:
        resolve_limit(3000, "tsne")
    check(exc.value, "method tsne is exact (memory and time grow with the square of the words): at most 2000 "
                     "words (got limit 3000); use method pca for more",
          "--method tsne is exact (memory and time grow with the square of the words): at most 2000 words "
          "(got --limit 3000); use --method pca for more")
    with pytest.raises(ParameterError, match=r"^limit must be at least 2 \(got 1\)$"):
        resolve_limit(1, "pca")


def test_merging_parts_of_other_settings_names_them(tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("Hope to see you\n")
    b.write_text("Nice to see you\n")
    parts = [count_partial([str(a)], TextSettings()), count_partial([str(b)], TextSettings(lower=False))]
    with pytest.raises(EmbedcliError) as exc:
        combine_partials(parts, ["a.json", "b.json"])
    assert str(exc.value).endswith("count every shard with the same lower/keep_punct settings")
    assert exc.value.cli_message().endswith("count every shard with the same --lower/--keep-punct settings")
    assert isinstance(parts[0], PartialCounts)


def test_a_message_without_parameters_is_kept_as_it_is():
    exc = EmbedcliError("a {brace} that is not a field")
    assert str(exc) == exc.cli_message() == "a {brace} that is not a field"
    renamed = EmbedcliError("{path}: bad {thing} in /tmp/x", "path", thing="/tmp/x").with_values(
        lambda t: t.replace("/tmp/x", "the texts"))
    assert str(renamed) == "path: bad the texts in the texts" and renamed.cli_message() == "--path: bad the texts in the texts"


def test_check_integer_is_the_one_count_check():
    """Python and numpy integers pass as plain ints; a bool, a float or a string is 'must be an
    integer', a value below the minimum 'must be at least' (the flag on the command line)."""
    from embedcli.errors import check_integer

    assert check_integer(np.int64(3), "maxlen", 1) == 3 and type(check_integer(np.int64(3), "maxlen", 1)) is int
    assert check_integer(-7, "pad_value") == -7
    for bad in (True, 2.0, "3", None):
        with pytest.raises(ParameterError) as info:
            check_integer(bad, "max_size", 1)
        assert str(info.value) == f"max_size must be an integer, at least 1 (got {bad!r})"
    with pytest.raises(ParameterError) as info:
        check_integer(0, "min_count", 1)
    assert str(info.value) == "min_count must be at least 1 (got 0)"
    assert info.value.cli_message() == "--min-count must be at least 1 (got 0)"
    with pytest.raises(ParameterError, match=r"^pad_value must be an integer \(got 1\.5\)$"):
        check_integer(1.5, "pad_value")
