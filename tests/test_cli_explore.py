"""embedcli explore: the page's data (selection, vectors, PCA/t-SNE, classifier labels), the self-
contained HTML and the command line. The page in a real browser: test_explore_browser.py.
Through the command line; the library tests are in test_explore.py."""

import json
import os

import numpy as np
import pytest

from embedcli.cli import main

from support.explore import make_model, page_data


# -- command line --------------------------------------------------------------------------------------
@pytest.fixture
def model_dir(tmp_path):
    path = tmp_path / "m"
    make_model(40, 12, seed=5).save(path)
    return str(path)


def test_cli_writes_the_page(runner, model_dir, tmp_path):
    out = tmp_path / "map.html"
    r = runner.invoke(main, ["explore", model_dir, "-o", str(out), "--limit", "30"])
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("wrote ") and "30 words x 12 dims" in r.stdout and r.stderr == ""
    data = page_data(out.read_text(encoding="utf-8"))
    assert len(data["tokens"]) == 30 and data["name"] == "m"
    r = runner.invoke(main, ["explore", model_dir, "-o", str(out), "--json", "--method", "tsne", "--seed", "2"])
    assert r.exit_code == 0, r.output
    summary = json.loads(r.stdout)
    assert summary == {"path": str(out), "words": 40, "dim": 12, "method": "tsne", "bytes": out.stat().st_size}


def test_cli_stdout_and_quiet(runner, model_dir, tmp_path):
    r = runner.invoke(main, ["explore", model_dir, "-o", "-"])
    assert r.exit_code == 0
    assert r.stdout.startswith("<!DOCTYPE html>") and r.stdout.rstrip().endswith("</html>")
    assert r.stderr.startswith("wrote stdout: 40 words x 12 dims")  # the summary moves to stderr
    assert len(page_data(r.stdout)["tokens"]) == 40
    r = runner.invoke(main, ["explore", model_dir, "-o", "-", "-q"])
    assert r.exit_code == 0 and r.stderr == "" and r.stdout.startswith("<!DOCTYPE html>")
    r = runner.invoke(main, ["explore", model_dir, "-o", str(tmp_path / "q.html"), "--quiet"])
    assert r.exit_code == 0 and r.output == "" and (tmp_path / "q.html").stat().st_size > 1000


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["--limit", "0"], 2, "--limit must be at least 2"),
        (["--method", "tsne", "--limit", "2500"], 2, "at most 2000 words"),
        (["--method", "umap"], 2, "'umap' is not one of"),
        (["--json", "-o", "-"], 2, "--json prints a summary"),
        (["--seed", "-1"], 2, "--seed must be at least 0"),
    ],
)
def test_cli_usage_errors(runner, model_dir, tmp_path, args, code, message):
    base = ["explore", model_dir] + ([] if "-o" in args else ["-o", str(tmp_path / "x.html")])
    r = runner.invoke(main, base + args)
    assert r.exit_code == code
    assert message in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "Traceback" not in r.output
    assert not (tmp_path / "x.html").exists()


def test_cli_data_errors_are_one_line(runner, tmp_path, model_dir):
    r = runner.invoke(main, ["explore", str(tmp_path / "nope"), "-o", str(tmp_path / "x.html")])
    assert r.exit_code == 1 and "no such model directory" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    r = runner.invoke(main, ["explore", model_dir, "-o", str(tmp_path)])
    assert r.exit_code != 0 and "is a directory" in r.stderr
    r = runner.invoke(main, ["explore", model_dir])
    assert r.exit_code == 2 and "-o" in r.stderr


def test_cli_refuses_a_nan_table_and_keeps_the_old_page(runner, tmp_path):
    m = make_model(20, 4)
    m.table[3, 0] = np.inf
    m.save(tmp_path / "bad")
    out = tmp_path / "map.html"
    out.write_text("old page", encoding="utf-8")
    r = runner.invoke(main, ["explore", str(tmp_path / "bad"), "-o", str(out)])
    assert r.exit_code == 1 and "NaN or infinite" in r.stderr
    assert out.read_text(encoding="utf-8") == "old page"
    assert not [f for f in os.listdir(tmp_path) if f.endswith(".tmp")]


def test_cli_help_has_an_example(runner):
    r = runner.invoke(main, ["explore", "--help"])
    assert r.exit_code == 0
    assert "embedcli explore models/default -o map.html" in r.output
    assert "--method" in r.output and "--limit" in r.output and "--seed" in r.output


def test_cli_tsne_on_too_few_words_names_the_flag_or_the_model(runner, tmp_path, model_dir):
    """t-SNE needs 4 words: --limit 3 --method tsne was accepted, then, after every neighbour list
    was computed, failed with exit 1 and 't-SNE needs at least 4 words (got 3)', naming neither
    the flag nor the model. --limit below 4 is now a usage error (exit 2) before the model is
    read; a model of fewer words is named, and refused before the neighbour lists."""
    r = runner.invoke(main, ["explore", model_dir, "-o", str(tmp_path / "x.html"), "--method", "tsne", "--limit", "3"])
    assert r.exit_code == 2, r.output
    assert r.stderr.strip() == "Error: --method tsne needs at least 4 words (got --limit 3)"
    vec = tmp_path / "two.vec"
    vec.write_text("2 3\nfoo 1 0 0\nbar 0 1 0\n", encoding="utf-8")
    r = runner.invoke(main, ["explore", str(vec), "-o", str(tmp_path / "x.html"), "--method", "tsne"])
    assert r.exit_code == 1, r.output
    assert r.stderr.strip() == "Error: two.vec: --method tsne needs at least 4 words (the model has 2); use --method pca"
    assert not (tmp_path / "x.html").exists()


def test_cli_names_the_page_after_the_model_given_as_dot(runner, tmp_path, model_dir, monkeypatch):
    """`cd models/default && embedcli explore . -o map.html` titled the page '.' (the base name of
    '.'); it is now named after the directory, as `explore models/default` is."""
    monkeypatch.chdir(model_dir)
    for given in (".", "./", os.path.join("..", "m")):
        out = tmp_path / "map.html"
        r = runner.invoke(main, ["explore", given, "-o", str(out), "--quiet"])
        assert r.exit_code == 0, r.output
        page = out.read_text(encoding="utf-8")
        assert page_data(page)["name"] == "m" and "<title>m: embedcli explore</title>" in page, given


def test_cli_summary_gives_a_small_page_its_size(runner, tmp_path):
    """The summary gave the size in MB with one decimal: a 40 kB page of a small model was
    'pca, 0.0 MB'. It now uses the size units of train and info (kB, MB)."""
    make_model(5, 3, seed=1).save(tmp_path / "small")
    out = tmp_path / "map.html"
    r = runner.invoke(main, ["explore", str(tmp_path / "small"), "-o", str(out)])
    assert r.exit_code == 0, r.output
    size = out.stat().st_size
    assert 1_000 < size < 1_000_000
    assert f"pca, {size / 1e3:,.1f} kB; open it in a browser" in r.stdout, r.stdout


@pytest.mark.parametrize("method", ["pca", "tsne"])
def test_cli_progress_bar_reaches_its_total(runner, tmp_path, monkeypatch, method):
    """The bar's total counted the vocabulary's <pad> and <unk> as neighbour lists to compute
    when the model has fewer words than --limit: it stopped at 40/42 (790/792 with t-SNE)."""
    import contextlib

    import embedcli.cli.explore as cli_explore
    from embedcli.explore import TSNE_ITERATIONS

    seen = {}

    @contextlib.contextmanager
    def recording_bar(description, total, *, quiet=False, unit="bytes"):
        seen["total"], seen["done"] = total, 0

        def advance(n):
            seen["done"] += n
        yield advance

    monkeypatch.setattr(cli_explore, "progress_bar", recording_bar)
    make_model(40, 6, seed=2).save(tmp_path / "m40")
    r = runner.invoke(main, ["explore", str(tmp_path / "m40"), "-o", str(tmp_path / "x.html"), "--method", method])
    assert r.exit_code == 0, r.output
    assert seen["done"] == seen["total"] == 40 + (TSNE_ITERATIONS if method == "tsne" else 0), seen
