"""``embedcli show-table``: look at the table (rows, a phrase's rows, one-hot explanation, plot, exports).

The queries (``similar``, ``similarity``, ``analogy``, ``embed``, ``evaluate``) are in :mod:`embedcli.cli.query`."""

from __future__ import annotations

import click
import numpy as np
from rich.table import Table

from ..embeddings import Embeddings
from ..encode import PADDINGS
from ..errors import UsageError
from ..export import EXPORT_FORMATS, json_vector
from ..inspect import Explanation, abbreviate_onehot
from ..io import STDIO, check_writable
from . import main
from .common import err_console, escape, flags_for, handle_errors, json_option, out_console, print_json, progress_bar, quiet_option

SHOW_FORMATS = ("table",) + EXPORT_FORMATS
MAX_COLUMNS = 10  # vectors longer than this are shown as first 6 … last 3 values


def _value_columns(dim: int, precision: int, reserved: int) -> list[int | None]:
    """Which dimensions get a column (None = the "…" column), so the table fits the console."""
    width = out_console.width or 80
    per = precision + 6  # "-12.1234" plus padding and border
    fit = max(3, (width - reserved) // per)
    if dim <= fit:
        return list(range(dim))
    head = max(1, fit - 3)
    return list(range(head)) + [None] + list(range(dim - 2, dim))


def _add_value_columns(t: Table, dim: int, precision: int = 4, reserved: int = 24) -> list[int | None]:
    cols = _value_columns(dim, precision, reserved)
    for j in cols:
        t.add_column("…" if j is None else str(j), justify="right" if j is not None else "center",
                     style="cyan" if j is not None else "dim", no_wrap=True)
    return cols


def _cells(vec: np.ndarray, cols: list[int | None], precision: int) -> list[str]:
    return ["…" if j is None else f"{vec[j]:.{precision}f}" for j in cols]


def _vec_text(vec: np.ndarray, precision: int, max_values: int = 8) -> str:
    vals = [f"{v:.{precision}f}" for v in vec[:max_values]]
    if len(vec) > max_values:
        vals.append(f"… ({len(vec) - max_values} more)")
    return "[" + ", ".join(vals) + "]"


def _phrase_label(row, pad_id: int | None) -> str:
    """A phrase row's token column: the token, the word it stands for when they differ, a
    subword-composed word, or padding that is a word's row (a vocabulary without ``<pad>``)."""
    if row.subword_ngrams is not None:
        return f"{row.input} (subwords)"
    if row.input is None:
        return row.token if row.index == pad_id else f"{row.token} (padding)"
    return row.token if row.input == row.token else f"{row.token} ({row.input})"


@main.command("show-table")
@click.argument("model", metavar="MODEL")
@click.option("-n", "--limit", type=int, default=None,
              help="Rows to show (default 20), words to plot (default 20), rows to export (default: all).")
@click.option("--precision", type=int, default=4, show_default=True, help="Decimals shown per value.")
@click.option("--format", "fmt", type=click.Choice(SHOW_FORMATS), default="table", show_default=True,
              help="table: print a rich table; the others export the table (with -o).")
@click.option("-o", "--output", metavar="FILE",
              help="Where to export ('-' = stdout for word2vec, csv, json). For tsv: a DIRECTORY "
                   "(existing, or ending in '/') gets vectors.tsv + metadata.tsv, anything else is a "
                   "PREFIX: PREFIX.vectors.tsv + PREFIX.metadata.tsv.")
@click.option("--include-specials", is_flag=True,
              help="word2vec, tsv, csv: keep the <pad> and <unk> rows (left out by default; npy and json "
                   "always keep every row).")
@click.option("--phrase", metavar="TEXT", help="Show the rows of a phrase, in order (unknown words → <unk>).")
@click.option("--maxlen", type=int, default=None, help="With --phrase: pad/truncate to this length (Keras pad_sequences).")
@click.option("--padding", type=click.Choice(PADDINGS), default="pre", show_default=True,
              help="With --phrase --maxlen: pad before (pre) or after (post).")
@click.option("--truncating", type=click.Choice(PADDINGS), default="pre", show_default=True,
              help="With --phrase --maxlen: cut at the start (pre) or the end (post).")
@click.option("--explain", "explain_word", metavar="WORD",
              help="Show WORD's one-hot vector and check that one-hot × table equals its row.")
@click.option("--plot", "plot_path", metavar="FILE.png",
              help="2-D PCA scatter of the --limit most frequent words (needs: pip install 'embedcli[plot]').")
@json_option
@quiet_option
@handle_errors
def show_table_command(model, limit, precision, fmt, output, include_specials, phrase, maxlen, padding, truncating,
                       explain_word, plot_path, as_json, quiet):
    """Show the embedding table: one row of `dim` numbers per vocabulary index.

    An embedding layer is a lookup table of shape (vocab size, dim): a phrase is its rows,
    and a one-hot vector times the table picks one row. MODEL is a model directory (or a
    table.npy with vocab.json beside it).

    \b
    Examples:
      embedcli show-table models/default                        # first 20 rows
      embedcli show-table models/default --phrase "Nice to see you again" --maxlen 8
      embedcli show-table models/default --explain see          # one-hot × table = row
      embedcli show-table models/default --format word2vec -o vectors.txt
      embedcli show-table models/default --format tsv -o projector/   # TensorBoard projector
      embedcli show-table models/default --plot words.png --limit 50
    """
    modes = [name for name, on in (("--phrase", phrase is not None), ("--explain", explain_word is not None),
                                   ("--plot", plot_path is not None), ("--format", fmt != "table")) if on]
    if len(modes) > 1:
        raise UsageError(f"{' and '.join(modes)} cannot be combined; use one at a time")
    if limit is not None and limit < 1:
        raise UsageError(f"--limit must be at least 1 (got {limit})")
    if not 0 <= precision <= 12:
        raise UsageError(f"--precision must be between 0 and 12 (got {precision})")
    if maxlen is not None and phrase is None:
        raise UsageError("--maxlen only applies to --phrase")
    if output is not None and fmt == "table":
        raise UsageError("-o needs an export format: --format word2vec, word2vec-binary, tsv, csv, json or npy")
    if fmt != "table":
        if output is None:
            raise UsageError(f"--format {fmt} needs -o FILE ('-' for stdout)")
        if fmt != "tsv":
            check_writable(output)
    if plot_path is not None:
        check_writable(plot_path, "plot_path")

    emb = Embeddings.load(model)
    vocab, table = emb.vocab, emb.table
    title = f"Embedding({len(vocab)}, {emb.dim})"

    if phrase is not None:
        rows = emb.phrase_lookup(phrase, maxlen=maxlen, padding=padding, truncating=truncating)
        if as_json:
            print_json([{"position": r.position, "token": r.token, "index": r.index, "input": r.input,
                         **({"source": "subwords", "ngrams": r.subword_ngrams} if r.subword_ngrams is not None else {}),
                         "vector": json_vector(r.vector)} for r in rows])
            return
        t = Table(title=f"{title}: rows of {escape(repr(phrase))}" + (f", maxlen {maxlen}" if maxlen else ""),
                  title_style="bold")
        t.add_column("pos", justify="right", no_wrap=True)
        t.add_column("token", no_wrap=True)
        t.add_column("index", justify="right", style="bold", no_wrap=True)
        labels = [_phrase_label(r, vocab.pad_id) for r in rows]
        cols = _add_value_columns(t, emb.dim, precision, reserved=max([len(x) for x in labels] + [5]) + 20)
        for r, label in zip(rows, labels):
            t.add_row(str(r.position), escape(label), "-" if r.index is None else str(r.index),
                      *_cells(r.vector, cols, precision))
        out_console.print(t)
        if not rows:
            err_console.print("the phrase has no tokens")
        composed = [r for r in rows if r.subword_ngrams is not None]
        if composed and not quiet:
            err_console.print(escape("not in the vocabulary, composed from character n-grams (mean of their rows): "
                                     + ", ".join(f"{r.input} ({r.subword_ngrams} n-grams)" if r.subword_ngrams else
                                                 f"{r.input} (no n-gram: zeros)" for r in composed)))
        return

    if explain_word is not None:
        e = emb.explain(explain_word)
        if not isinstance(e, Explanation):  # a word outside the vocabulary of a model with subwords
            _explain_subwords(e, emb.dim, precision, as_json)
            return
        # with subwords the row itself is composed: the mean of the word's own row and its n-gram rows
        composed = e.ngram_rows
        if as_json:
            print_json({
                "word": e.word, "token": e.token, "index": e.index, "vocab_size": e.vocab_size,
                "one_hot": e.one_hot.astype(int).tolist(), "row": json_vector(e.row),
                "product": json_vector(e.product), "equal": e.equal,
                "max_abs_difference": e.max_abs_difference,
                **({"composed_from": {"word_row": 1, "ngram_rows": composed}} if composed else {}),
            })
            return
        out_console.print(f"[bold]{escape(e.token)}[/] has index [bold]{e.index}[/] in a vocabulary of {e.vocab_size}.")
        out_console.print(f"one-hot (length {e.vocab_size}, 1 at position {e.index}): "
                          f"{abbreviate_onehot(e.index, e.vocab_size)}", markup=False)
        t = Table(title=f"one-hot × table ({e.vocab_size} × {emb.dim}) vs row {e.index}", title_style="bold")
        t.add_column("", no_wrap=True)
        cols = _add_value_columns(t, emb.dim, precision, reserved=20)
        t.add_row(f"table[{e.index}]", *_cells(e.row, cols, precision))
        t.add_row("one-hot @ table", *_cells(e.product, cols, precision))
        out_console.print(t)
        verdict = "[green]equal[/] (bit for bit)" if e.equal else \
            f"[red]NOT equal[/] (max |difference| {e.max_abs_difference:g})"
        out_console.print(f"computed one-hot @ table and compared with table[{e.index}]: {verdict}")
        if composed:
            out_console.print(f"table[{e.index}] is composed from subwords: the mean of the word's own row and its "
                              f"{composed} character n-gram rows (input_rows.npy)")
        return

    if plot_path is not None:
        with flags_for(path="--plot"):
            info = emb.plot(plot_path, limit or 20)
        if as_json:
            print_json(info)
        elif not quiet:
            share = info["explained_variance"]
            err_console.print(f"wrote {escape(plot_path)}: {len(info['words'])} words, PC1 {share[0]:.1%} + PC2 "
                              f"{share[1]:.1%} of variance")
        return

    if fmt != "table":
        n = len(vocab) if limit is None else min(limit, len(vocab))
        with progress_bar(f"writing {fmt}", n, quiet=quiet or output == STDIO, unit="rows") as adv:
            with flags_for(path="-o"):
                res = emb.export(output, format=fmt, include_specials=include_specials, limit=limit, progress=adv)
        if output == STDIO:  # the data is stdout: no summary after it (as vocab -o - --json)
            return
        if as_json:
            print_json({"format": res.format, "files": res.paths, "rows": res.rows, "dim": res.dim})
        elif not quiet:
            err_console.print(f"wrote {res.rows} × {res.dim} ({fmt}) to {escape(', '.join(res.paths))}")
        return

    if as_json:
        print_json(emb.to_dict(limit or 20))
        return
    indices = np.arange(min(limit or 20, len(vocab)))
    shown = f"rows {indices[0]}–{indices[-1]} of {len(vocab)}" if len(indices) else "no rows"
    t = Table(title=f"{title}: {shown}, float32", title_style="bold")
    t.add_column("index", justify="right", style="bold", no_wrap=True)
    t.add_column("token", no_wrap=True)
    width = max([len(vocab.tokens[i]) for i in indices.tolist()] + [5])
    cols = _add_value_columns(t, emb.dim, precision, reserved=width + len(str(len(vocab))) + 10)
    for i in indices.tolist():
        t.add_row(str(i), escape(vocab.tokens[i]), *_cells(table[i], cols, precision))
    out_console.print(t)
    if len(indices) < len(vocab) and not quiet:
        err_console.print(f"showing {len(indices)} of {len(vocab)} rows; use --limit N for more")


def _explain_subwords(e, dim: int, precision: int, as_json: bool) -> None:
    """--explain for a word outside the vocabulary of a model with subwords."""
    if as_json:
        print_json({"word": e.word, "token": e.token, "index": None, "source": "subwords",
                    "ngrams": [{"ngram": g, "bucket": b} for g, b in e.ngrams], "buckets": len(e.counts),
                    "vector": json_vector(e.vector), "product": json_vector(e.product), "equal": e.equal,
                    "max_abs_difference": e.max_abs_difference})
        return
    n = len(e.ngrams)
    if not n:  # shorter than the shortest n-gram, boundary marks included
        out_console.print(f"[bold]{escape(e.token)}[/] is not in the vocabulary and has no character n-gram "
                          f"({escape(repr('<' + e.token + '>'))} is too short): its vector is zeros, as in fastText.")
        return
    out_console.print(f"[bold]{escape(e.token)}[/] is not in the vocabulary: its vector is composed from its "
                      f"{n} character n-grams (mean of their rows among {len(e.counts):,} hash buckets).")
    out_console.print(escape("n-grams (bucket): " + ", ".join(f"{g} ({b})" for g, b in e.ngrams)), markup=False)
    t = Table(title=f"n-gram counts × n-gram rows ({len(e.counts):,} × {dim}) / {n}", title_style="bold")
    t.add_column("", no_wrap=True)
    cols = _add_value_columns(t, dim, precision, reserved=24)
    t.add_row("vector (subwords)", *_cells(e.vector, cols, precision))
    t.add_row("counts @ rows / n", *_cells(e.product, cols, precision))
    out_console.print(t)
    verdict = "[green]equal[/]" if e.equal else f"[red]NOT equal[/] (max |difference| {e.max_abs_difference:g})"
    out_console.print(f"computed the multi-hot n-gram counts @ n-gram rows / {n} and compared with the vector: {verdict}")
