"""``embedcli encode``: phrases → padded integer sequences (Keras ``pad_sequences``)."""

from __future__ import annotations

import json
import os

import click
from rich.table import Table

from ..encode import PADDINGS, check_pad_args
from ..errors import UsageError
from ..io import STDIO, check_writable, display_name, iter_lines, resolve_inputs
from ..sources import Files
from ..vocab import Vocab
from . import cluster as cluster_cli
from . import main
from .cluster import dask_option
from .common import (args_or_stdin, counted, encoding_errors_option, err_console, escape, handle_errors,
                     json_option, out_console, progress_bar, quiet_option, tabular_options)

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


@main.command("encode")
@click.argument("phrases", nargs=-1, metavar="[PHRASE...]")
@click.option("-v", "--vocab", "vocab_path", required=True, metavar="VOCAB",
              help="A vocabulary file, or a model directory (its vocab.json).")
@click.option("-i", "--input", "input_paths", metavar="FILE", multiple=True,
              help="Read phrases from FILE, one per line ('-' for stdin, as is a lone PHRASE '-'; the default "
                   "without PHRASE). gzip, bzip2 and xz files are read as they are; a directory means every file "
                   "in it; repeat -i for more.")
@click.option("-o", "--output", metavar="FILE",
              help="Write to FILE: .npy (int32), .csv, .jsonl or .json ('-' for stdout).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="auto", show_default=True,
              help="Output format (auto: from the -o extension; print for stdout: one list of lists, a row on "
                   "each line, as NumPy prints an array).")
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
      echo "Hope to see you soon" | embedcli encode -v vocab.json -

    \b
    On a Dask cluster (same .npy as one machine, or a directory of parts):
      embedcli encode -v vocab.json -i big.txt --maxlen 64 -o ids.npy --dask local:4
      embedcli encode -v vocab.json -i s3://b/big.txt --maxlen 64 --parts -o s3://b/ids/ --dask tcp://10.0.0.5:8786
    """
    check_pad_args(maxlen, padding, truncating)
    phrases, _ = args_or_stdin(phrases, input_paths)  # a lone '-': stdin, the default without PHRASE
    if vocab_path == STDIO and not phrases and (not input_paths or STDIO in input_paths):
        raise UsageError("-v - reads the vocabulary from standard input; give the phrases as arguments or with -i FILE")
    if input_paths:  # tables (csv, tsv, jsonl) are read as their text column
        input_paths = tuple(resolve_inputs(input_paths, input_format, text_column))
    input_path = list(input_paths) if len(input_paths) > 1 else (input_paths[0] if input_paths else None)
    dask_address = cluster_cli.address_for(
        dask_address, cluster_cli.encode_on_cluster(phrases, input_path, output, fmt, show_tokens, parts))
    if parts and not dask_address:
        raise UsageError("--parts applies with --dask (parts are written by the Dask workers)")
    if dask_address:
        return cluster_cli.encode(dask_address, phrases, vocab_path, input_path, output, fmt, maxlen, padding,
                                  truncating, pad_value, oov, show_tokens, encoding_errors, parts, as_json, quiet)
    if phrases and input_path:
        raise UsageError("give phrases as arguments or with -i/--input, not both")
    if output is not None:
        check_writable(output)
    fmt = _format_for(output, fmt)
    if fmt == "npy" and output is None:
        raise UsageError("--format npy writes binary data: give -o FILE.npy, or -o - into a pipe")
    vocab = Vocab.load(vocab_path)
    oov = oov or vocab.default_oov()
    texts = phrases if phrases else Files(input_paths or (STDIO,))
    if show_tokens:  # shown phrase by phrase, so read once
        texts = list(phrases) if phrases else list(iter_lines(input_path or STDIO, encoding_errors=encoding_errors))
        # beside data on stdout (--json, -o -), the tables go to stderr so the data stays parseable
        _show_tokens(texts, vocab, oov, err_console if as_json or output == STDIO else out_console)
        if not output and not as_json:
            return
    pad_note = pad_value is None and vocab.pad_id is None and not quiet  # padding would read as the first word
    pad_value = vocab.default_pad_value() if pad_value is None else pad_value
    to_file = bool(output) and output != STDIO
    fast = isinstance(texts, Files) and fmt == "npy" and maxlen is not None and STDIO not in texts
    with progress_bar("encoding", None, quiet=quiet or not (to_file or fast), unit="lines") as adv:
        summary = vocab.encode_to(output if output else (None if as_json else STDIO), texts,
                                  format="print" if fmt == "print" else fmt, maxlen=maxlen, padding=padding,
                                  truncating=truncating, pad_value=pad_value, oov=oov,
                                  encoding_errors=encoding_errors, tmp_dir=tmp_dir, progress=adv)
    if pad_note:
        _pad_note(vocab_path, vocab, pad_value, summary)
    if not output and as_json:
        click.echo(json.dumps({
            "sequences": summary["sequences"], "maxlen": summary["maxlen"], "padding": padding,
            "truncating": truncating, "pad_value": pad_value, "rows": summary["rows"],
            "unknown_tokens": summary["unknown_tokens"], "truncated": summary["truncated"],
            "padded": summary["padded"], "longest": summary["longest"],
        }))
        return
    if to_file and not quiet:
        _report({"output": output, "rows": summary["rows"], "maxlen": summary["maxlen"], "format": fmt,
                 "unknown_tokens": summary["unknown_tokens"], "truncated": summary["truncated"],
                 "padded": summary["padded"], "longest": summary["longest"]}, as_json, oov)
    elif summary["truncated"] and not quiet:  # rows went to stdout: the note goes to stderr
        err_console.print(_cut_note(summary["truncated"], summary["rows"], summary["maxlen"], summary["longest"],
                                    truncating))


def _pad_note(vocab_path, vocab, pad_value: int, summary: dict) -> None:
    """The note that rows were padded with a word's id (the vocabulary has no ``<pad>``)."""
    if summary.get("padded"):
        err_console.print(escape(f"note: {display_name(vocab_path)} has no <pad>: {counted(summary['padded'], 'row')} "
                                 f"padded with {pad_value}, the id of {vocab.tokens[pad_value]!r} (--pad-value to "
                                 "choose another)"), soft_wrap=True)


def _cut_note(truncated: int, rows: int, maxlen: int, longest: int, truncating: str) -> str:
    side = "first" if truncating == "pre" else "last"
    one = truncated == 1
    return (f"{truncated:,} of {counted(rows, 'phrase')} {'was' if one else 'were'} longer than --maxlen {maxlen} and "
            f"lost {'its' if one else 'their'} {side} words (longest: {longest} ids)")


def _report(summary: dict, as_json: bool, oov: str, what: str | None = None) -> None:
    """The summary of a written output: JSON on stdout, or one line on stdout (and the cut note);
    ``what`` is said of the output instead of its format."""
    if as_json:
        click.echo(json.dumps(summary))
        return
    unknown = counted(summary["unknown_tokens"], "unknown token") + (" left out (--oov skip)" if oov == "skip" else "")
    line = (f"{counted(summary['rows'], 'row')} × {summary['maxlen']} ids written to "
            f"[cyan]{escape(summary['output'])}[/] ({what or summary['format']}); {unknown}")
    if summary["truncated"]:
        line += (f"; {counted(summary['truncated'], 'phrase')} cut to {summary['maxlen']} ids "
                 f"(longest: {summary['longest']})")
    else:
        line += f"; none cut (longest: {summary['longest']})"
    out_console.print(line)


def _show_tokens(source, vocab, oov, console) -> None:
    for n, phrase in enumerate(source, 1):
        tokens = vocab.tokenize(phrase)
        table = Table("position", "token", "index", title=f"phrase {n}: {phrase}", title_justify="left")
        for pos, tok in enumerate(tokens):
            idx = vocab.index.get(tok)
            if idx is None:
                shown = {"unk": str(vocab.unk_id) + " (<unk>)", "skip": "skipped", "error": "unknown"}[oov]
            else:
                shown = str(idx)
            table.add_row(str(pos), tok, shown)
        console.print(table)
