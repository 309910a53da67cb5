"""``embedcli encode``: phrases → padded integer sequences (Keras ``pad_sequences``)."""

from __future__ import annotations

import csv
import io as _io
import json
import os
import sys

import click
import numpy as np
from numpy.lib.format import open_memmap
from rich.table import Table

from ..encode import PADDINGS, check_pad_args, encode_file_to_npy, spool_file, spool_lines
from ..errors import UsageError
from ..io import STDIO, atomic_path, atomic_write, check_writable, iter_lines, resolve_inputs
from ..vocab import Vocab
from . import cluster as cluster_cli
from . import main
from .cluster import dask_option
from .common import (encoding_errors_option, err_console, escape, handle_errors, json_option, out_console,
                     progress_bar, quiet_option, tabular_options)

FORMATS = ("auto", "print", "npy", "csv", "jsonl", "json")


def _format_for(output: str | None, fmt: str) -> str:
    if fmt != "auto":
        return fmt
    if output is None or output == STDIO:
        return "print"
    ext = os.path.splitext(output)[1].lower()
    mapping = {".npy": "npy", ".csv": "csv", ".jsonl": "jsonl", ".json": "json", ".txt": "print"}
    if ext not in mapping:
        raise UsageError(f"-o {output}: cannot tell the format from '{ext or 'no extension'}'; "
                         "use .npy, .csv, .jsonl, .json or --format")
    return mapping[ext]


def _write_text_rows(f, blocks, fmt: str) -> None:
    if fmt == "csv":
        writer = None
        for block in blocks:
            if writer is None:
                writer = csv.writer(f, lineterminator="\n")
            writer.writerows(block.tolist())
    elif fmt == "jsonl":
        for block in blocks:
            for row in block.tolist():
                f.write(json.dumps(row))
                f.write("\n")
    else:  # print / json: one list of lists, like Keras' output
        f.write("[")
        first = True
        for block in blocks:
            for row in block.tolist():
                if not first:
                    f.write(", ")
                f.write(json.dumps(row))
                first = False
        f.write("]\n")


@main.command("encode")
@click.argument("phrases", nargs=-1, metavar="[PHRASE...]")
@click.option("-v", "--vocab", "vocab_path", required=True, metavar="VOCAB",
              help="A vocabulary file, or a model directory (its vocab.json).")
@click.option("-i", "--input", "input_paths", metavar="FILE", multiple=True,
              help="Read phrases from FILE, one per line ('-' for stdin; the default without PHRASE). gzip, bzip2 "
                   "and xz files are read as they are; a directory means every file in it; repeat -i for more.")
@click.option("-o", "--output", metavar="FILE",
              help="Write to FILE: .npy (int32), .csv, .jsonl or .json ('-' for stdout).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="auto", show_default=True,
              help="Output format (auto: from the -o extension; print for stdout).")
@click.option("--maxlen", type=int, default=None, help="Length of every row (default: the longest phrase).")
@click.option("--padding", type=click.Choice(PADDINGS), default="pre", show_default=True,
              help="Pad before (pre, Keras' default) or after (post) the ids.")
@click.option("--truncating", type=click.Choice(PADDINGS), default="pre", show_default=True,
              help="Cut long phrases at the start (pre, Keras' default) or the end (post).")
@click.option("--pad-value", type=int, default=None, help="Padding id (default: the <pad> index, else 0).")
@click.option("--oov", type=click.Choice(["unk", "skip", "error"]), default=None,
              help="Unknown words: <unk> index (default when the vocabulary has one), skip, or error.")
@click.option("--show-tokens", is_flag=True, help="Show a table of position, token and index per phrase.")
@tabular_options()
@click.option("--tmp-dir", type=click.Path(file_okay=False), metavar="DIR",
              help="Where encoded phrases wait before padding [default: $TMPDIR, else /tmp]; the file has no "
                   "name and is freed even if the run is killed.")
@encoding_errors_option
@dask_option
@click.option("--parts", is_flag=True,
              help="With --dask: -o is a directory (or URL) of .npy parts written by the workers, plus index.json "
                   "(for arrays larger than one disk; read with embedcli.cluster.parts.load_parts).")
@json_option
@quiet_option
@handle_errors
def encode_command(phrases, vocab_path, input_paths, output, fmt, maxlen, padding, truncating, pad_value,
                   oov, show_tokens, input_format, text_column, tmp_dir, encoding_errors, dask_address, parts, as_json,
                   quiet):
    """Turn phrases into padded integer sequences with a vocabulary.

    Padding and truncation follow Keras `pad_sequences` exactly (defaults pre/pre).

    \b
    Examples:
      embedcli encode -v vocab.json "Hope to see you soon" "Nice to see you again"
      embedcli encode -v vocab.json --maxlen 8 --padding post -i sample_data/phrases.txt -o ids.npy
      cat phrases.txt | embedcli encode -v models/default --maxlen 64 -o - --format csv

    \b
    On a Dask cluster (same .npy as one machine, or a directory of parts):
      embedcli encode -v vocab.json -i big.txt --maxlen 64 -o ids.npy --dask local:4
      embedcli encode -v vocab.json -i s3://b/big.txt --maxlen 64 --parts -o s3://b/ids/ --dask tcp://10.0.0.5:8786
    """
    check_pad_args(maxlen, padding, truncating)
    if input_paths:  # tables (csv, tsv, jsonl) are read as their text column
        input_paths = tuple(resolve_inputs(input_paths, input_format, text_column))
    input_path = list(input_paths) if len(input_paths) > 1 else (input_paths[0] if input_paths else None)
    if parts and not dask_address:
        raise UsageError("--parts applies with --dask (parts are written by the Dask workers)")
    if dask_address:
        return cluster_cli.encode(dask_address, phrases, vocab_path, input_path, output, fmt, maxlen, padding,
                                  truncating, pad_value, oov, show_tokens, encoding_errors, parts, as_json, quiet)
    if phrases and input_path:
        raise UsageError("give phrases as arguments or with -i/--input, not both")
    fmt = _format_for(output, fmt)
    if fmt == "npy" and (output is None or output == STDIO):
        raise UsageError("--format npy needs -o FILE.npy (binary output is not printed)")
    if output:
        check_writable(output)
    vocab = Vocab.load(vocab_path)
    oov = oov or vocab.default_oov()
    if pad_value is None:
        pad_value = vocab.pad_id if vocab.pad_id is not None else 0
    source = phrases if phrases else iter_lines(input_path or STDIO, encoding_errors=encoding_errors)
    if show_tokens:
        source = list(source)  # shown phrase by phrase below, so read once

    from_file = not phrases and not show_tokens
    if from_file and fmt == "npy" and maxlen is not None and STDIO not in (input_paths or (STDIO,)):
        # the fast path: blocks of lines padded straight into a memory-mapped .npy
        with progress_bar("encoding", None, quiet=quiet, unit="lines") as adv:
            summary = encode_file_to_npy(input_path, output, vocab, maxlen, padding, truncating, pad_value, oov,
                                         encoding_errors=encoding_errors, progress=adv)
        if not quiet:
            summary = {"output": output, **summary, "format": fmt}
            summary = {k: summary[k] for k in ("output", "rows", "maxlen", "format", "unknown_tokens",
                                               "truncated", "longest")}
            _report(summary, as_json)
        return
    with progress_bar("encoding", None, quiet=quiet or not output or output == STDIO, unit="lines") as adv:
        if from_file:
            spool = spool_file(input_path or STDIO, vocab, oov, encoding_errors=encoding_errors, progress=adv,
                               tmp_dir=tmp_dir)
        else:
            spool = spool_lines(source, vocab, oov, progress=adv, tmp_dir=tmp_dir)
    with spool:
        width = maxlen if maxlen is not None else spool.longest
        if show_tokens:
            _show_tokens(source, vocab, oov)
        if as_json and not output:
            rows = [r for b in spool.padded_blocks(width, padding, truncating, pad_value) for r in b.tolist()]
            click.echo(json.dumps({
                "sequences": rows, "maxlen": width, "padding": padding, "truncating": truncating,
                "pad_value": pad_value, "rows": spool.n_rows, "unknown_tokens": spool.n_unknown,
                "truncated": spool.truncated(width), "longest": spool.longest,
            }))
            return
        blocks = spool.padded_blocks(width, padding, truncating, pad_value)
        if fmt == "npy":
            _write_npy(output, spool.n_rows, width, blocks)
        elif output and output != STDIO:
            with atomic_write(output) as f:
                _write_text_rows(f, blocks, fmt)
        else:
            if show_tokens:
                return
            out = _io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="\n", write_through=True) \
                if hasattr(sys.stdout, "buffer") else sys.stdout
            _write_text_rows(out, blocks, fmt)
            out.flush()
            if out is not sys.stdout:
                out.detach()
        truncated = spool.truncated(width)
        if output and output != STDIO and not quiet:
            _report({"output": output, "rows": spool.n_rows, "maxlen": width, "format": fmt,
                     "unknown_tokens": spool.n_unknown, "truncated": truncated, "longest": spool.longest}, as_json)
        elif truncated and not quiet:  # rows went to stdout: the note goes to stderr
            err_console.print(_cut_note(truncated, spool.n_rows, width, spool.longest, truncating))


def _cut_note(truncated: int, rows: int, maxlen: int, longest: int, truncating: str) -> str:
    side = "first" if truncating == "pre" else "last"
    return (f"{truncated:,} of {rows:,} phrases were longer than --maxlen {maxlen} and lost their {side} words "
            f"(longest: {longest} ids)")


def _report(summary: dict, as_json: bool) -> None:
    """The summary of a written output: JSON on stdout, or one line on stdout (and the cut note)."""
    if as_json:
        click.echo(json.dumps(summary))
        return
    line = (f"{summary['rows']:,} rows × {summary['maxlen']} ids written to [cyan]{escape(summary['output'])}[/] "
            f"({summary['format']}); {summary['unknown_tokens']:,} unknown tokens")
    if summary["truncated"]:
        line += f"; {summary['truncated']:,} phrases cut to {summary['maxlen']} ids (longest: {summary['longest']})"
    else:
        line += f"; none cut (longest: {summary['longest']})"
    out_console.print(line)


def _write_npy(output: str, n_rows: int, width: int, blocks) -> None:
    """Write the rows through a memory map into a temporary file renamed into place."""
    with atomic_path(output) as tmp:
        arr = open_memmap(tmp, mode="w+", dtype=np.int32, shape=(n_rows, width))
        row = 0
        for block in blocks:
            arr[row : row + len(block)] = block
            row += len(block)
        arr.flush()
        del arr


def _show_tokens(source, vocab, oov) -> None:
    from ..tokenizer import tokenize

    for n, phrase in enumerate(source, 1):
        tokens = tokenize(phrase, vocab.settings)
        table = Table("position", "token", "index", title=f"phrase {n}: {phrase}", title_justify="left")
        for pos, tok in enumerate(tokens):
            idx = vocab.index.get(tok)
            if idx is None:
                shown = {"unk": str(vocab.unk_id) + " (<unk>)", "skip": "skipped", "error": "unknown"}[oov]
            else:
                shown = str(idx)
            table.add_row(str(pos), tok, shown)
        out_console.print(table)
