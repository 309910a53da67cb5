"""``embedcli explore``: write an interactive, offline HTML map of a model."""

from __future__ import annotations

import os

import click

from ..errors import UsageError
from ..explore import METHODS, TSNE_ITERATIONS, resolve_limit, write_explorer
from ..api import load
from ..io import STDIO, check_writable
from . import main
from .common import (
    err_console,
    escape,
    handle_errors,
    human_size,
    json_option,
    out_console,
    print_json,
    progress_bar,
    quiet_option,
)


@main.command("explore")
@click.argument("model", metavar="MODEL")
@click.option("-o", "--output", metavar="FILE.html", required=True,
              help="The page to write ('-' = stdout). One self-contained file: it fetches nothing.")
@click.option("-n", "--limit", type=int, default=None,
              help="Keep the N most frequent words [default: 5000; 2000 with --method tsne, its maximum].")
@click.option("--method", type=click.Choice(METHODS), default="pca", show_default=True,
              help="2-D layout: pca (instant) or tsne (exact t-SNE in NumPy, seconds to a minute).")
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed of the t-SNE layout.")
@json_option
@quiet_option
@handle_errors
def explore_command(model, output, limit, method, seed, as_json, quiet):
    """Write an interactive map of MODEL's words to one offline HTML file.

    Open it in any browser (no server, no network): zoom and pan the 2-D map, point at a
    word, search a word to see its nearest neighbours (cosine in the full dimension, the
    list `embedcli similar` prints), solve analogies (like `embedcli analogy`, among the
    map's words). Points are coloured by frequency, or for a classifier by the label each
    word leans to. The words' float32 vectors and neighbour lists go into the page: 5,000
    words x 100 dims make a 3.2 MB file. Opening map.html#WORD shows WORD.

    \b
    Examples:
      embedcli explore models/default -o map.html
      embedcli explore models/default -o map.html --method tsne --limit 1000 --seed 2
      embedcli explore models/classifier -o labels.html
    """
    n_words = resolve_limit(limit, method)
    if seed < 0:
        raise UsageError(f"--seed must be at least 0 (got {seed})")
    if as_json and output == STDIO:
        raise UsageError("--json prints a summary on stdout, where -o - writes the page; use one")
    check_writable(output)
    m = load(model)  # Embeddings, or a Classifier (its words coloured by the label they lean to)
    name = os.path.basename(os.path.abspath(model)) or model  # "." named after its directory
    # progress: one step per word's neighbour list, then the t-SNE iterations
    words = len(m.vocab) - len(m.vocab.special_ids())  # <pad>/<unk> are not on the map
    total = min(n_words, words) + (TSNE_ITERATIONS if method == "tsne" else 0)
    with progress_bar("neighbours" + (" + t-SNE" if method == "tsne" else ""), total, quiet=quiet,
                      unit="steps") as advance:
        res = write_explorer(m, output, limit=n_words, method=method, seed=seed, progress=advance, name=name)
    if as_json:
        print_json(res.to_dict())
    elif not quiet:  # the summary goes to stdout, or to stderr when the page does
        console = err_console if output == STDIO else out_console
        where = "stdout" if output == STDIO else escape(output)
        console.print(f"wrote {where}: {res.words:,} words x {res.dim} dims, {method}, {human_size(res.bytes)}"
                      + ("" if output == STDIO else "; open it in a browser"), soft_wrap=True)
