"""``embedcli vocab``: build a vocabulary from a corpus."""

from __future__ import annotations

import os
import time

import click
from rich.markup import escape
from rich.table import Table

from ..errors import UsageError
from ..io import STDIO, check_writable, input_size, resolve_inputs
from ..sources import Files
from ..vocab import ORDERS, Vocab
from . import main
from .cluster import address_for, dask_option
from .common import (
    DefaultGroup,
    tabular_options,
    encoding_errors_option,
    err_console,
    handle_errors,
    json_option,
    out_console,
    positive_int,
    print_json,
    progress_bar,
    quiet_option,
)


def vocab_summary(vocab, seconds: float, output: str, first: int = 10) -> dict:
    return {
        "output": output,
        "size": len(vocab),
        "specials": vocab.specials,
        "corpus_tokens": vocab.corpus_tokens,
        "distinct_words": vocab.distinct_words,
        "coverage": round(vocab.coverage(), 6),
        "order": vocab.order,
        "min_count": vocab.min_count,
        "max_size": vocab.max_size,
        "normalization": vocab.settings.to_dict(),
        "seconds": round(seconds, 3),
        "first": _entries(vocab, 0, first),
    }


def _entries(vocab, start: int, stop: int) -> list[dict]:
    """The vocabulary's entries ``[start, stop)`` as ``{"index", "token", "count"}`` rows."""
    return [{"index": i, "token": vocab.tokens[i], "count": vocab.counts[i]}
            for i in range(start, min(stop, len(vocab)))]


def render_vocab_summary(summary: dict, console=out_console) -> None:
    ext = summary.get("extended")
    if ext is not None:  # vocab --extend: what was added to what
        console.print(
            f"[bold]{summary['size']:,}[/] entries written to [cyan]{escape(summary['output'])}[/]: the "
            f"{ext['size_before']:,} of {escape(ext['vocab'])} at their ids, and {ext['words_added']:,} words "
            f"added after them; {summary['corpus_tokens']:,} tokens counted in all, coverage "
            f"{summary['coverage']:.2%}, in {summary['seconds']:.2f}s"
        )
    else:
        console.print(
            f"[bold]{summary['size']:,}[/] entries written to [cyan]{summary['output']}[/] "
            f"from {summary['corpus_tokens']:,} tokens ({summary['distinct_words']:,} distinct words), "
            f"coverage {summary['coverage']:.2%}, order {summary['order']}, "
            f"in {summary['seconds']:.2f}s"
        )
    rows = summary["added"] if ext is not None else summary["first"]
    if not rows:
        return
    table = Table("index", "token", "count", title="words added" if ext is not None else "first entries",
                  title_justify="left")
    for row in rows:
        table.add_row(str(row["index"]), escape(row["token"]), f"{row['count']:,}")
    console.print(table)


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def vocab_shape_options(fn):
    """--specials, --order, --min-count, --max-size: what goes into a vocabulary, in which order."""
    for decorator in reversed([
        click.option("--specials/--no-specials", default=True, show_default=True,
                     help="Reserve <pad>=0 and <unk>=1; --no-specials indexes words from 0."),
        click.option("--order", type=click.Choice(ORDERS), default="appearance", show_default=True,
                     help="appearance: order of first appearance; frequency: highest count first "
                          "(Keras Tokenizer)."),
        click.option("--min-count", type=int, default=1, show_default=True, help="Drop words seen fewer times."),
        click.option("--max-size", type=int, default=None,
                     help="Keep exactly the N most frequent words (besides the specials)."),
    ]):
        fn = decorator(fn)
    return fn


@click.command("vocab")
@click.argument("corpus", nargs=-1, required=True, metavar="CORPUS...")
@click.option("-o", "--output", required=True, metavar="VOCAB.json", help="Where to write the vocabulary ('-' for stdout).")
@click.option("--lower/--no-lower", default=True, show_default=True, help="Lower-case the text.")
@click.option("--keep-punct/--no-keep-punct", default=False, help="Keep punctuation marks as tokens (default: dropped).")
@vocab_shape_options
@click.option("-j", "--workers", type=int, default=None,
              help="Processes counting byte ranges of the corpus in parallel [default: all cores]; "
                   "the result is the same for any number.")
@click.option("--partial", is_flag=True,
              help="Write mergeable counts of this shard (counts, first positions, token total) "
                   "instead of a vocabulary; combine shards with `embedcli vocab merge`.")
@click.option("--offset", type=int, default=None,
              help="With --partial: where this shard sits in the corpus (any number growing along the "
                   "corpus: file number, byte offset...); merge sorts shards by it.")
@click.option("--extend", "extend_path", metavar="VOCAB",
              help="Grow this vocabulary (a vocabulary file or a model directory) with CORPUS's words instead of "
                   "building one: its tokens keep their ids and add their counts, the words it lacks are added after "
                   "them (--min-count, --max-size, --order apply to those); the text is split as it was.")
@encoding_errors_option
@tabular_options()
@dask_option
@json_option
@quiet_option
@handle_errors
def vocab_command(corpus, output, lower, keep_punct, specials, order, min_count, max_size, workers, partial, offset,
                  extend_path, encoding_errors, input_format, text_column, dask_address, as_json, quiet):
    """Build a vocabulary from CORPUS files ('-' for stdin), indexing words by first appearance.

    CORPUS may be gzip, bzip2 or xz compressed (recognised by its first bytes) or a directory
    (every file inside, recursively, in sorted path order); several are read one after the other.

    Text is normalised (Unicode NFKC, lower case) and split into words; the file records
    these settings so that `encode` and `train` split phrases the same way.

    \b
    Examples:
      embedcli vocab sample_data/corpus.txt -o vocab.json
      embedcli vocab --no-specials --order frequency --min-count 2 a.txt b.txt -o vocab.json
      printf 'Hope to see you soon\\nNice to see you again\\n' | embedcli vocab - --no-specials -o -

    \b
    Growing a vocabulary with new text (the ids it had stay; new words come after them):
      embedcli vocab new_texts.txt --extend vocab.json -o vocab2.json --min-count 2

    \b
    Counting in shards (on several machines), then merging in corpus order:
      embedcli vocab part1.txt --partial -o p1.json
      embedcli vocab part2.txt --partial -o p2.json
      embedcli vocab merge p1.json p2.json -o vocab.json --min-count 2

    \b
    On a Dask cluster (same vocabulary file as one machine):
      embedcli vocab s3://corpus/books/*.txt --dask tcp://10.0.0.5:8786 -o vocab.json
      embedcli vocab big.txt --dask local:4 -o vocab.json
    """
    positive_int("--workers", workers)
    workers = workers or default_workers()
    if offset is not None and not partial:
        raise UsageError("--offset only applies with --partial")
    if partial:
        ctx = click.get_current_context()
        for name in ("specials", "order", "min_count", "max_size"):
            if ctx.get_parameter_source(name) not in (None, click.core.ParameterSource.DEFAULT):
                flag = "--" + name.replace("_", "-")
                raise UsageError(f"{flag} applies when merging (`embedcli vocab merge ... {flag}`), not with --partial")
    base = None
    if extend_path is not None:
        ctx = click.get_current_context()
        given = {n for n in ("lower", "keep_punct", "specials", "partial")
                 if ctx.get_parameter_source(n) not in (None, click.core.ParameterSource.DEFAULT)}
        if "partial" in given:
            raise UsageError("--extend writes a vocabulary; --partial writes counts to merge (use one)")
        if extend_path == STDIO and STDIO in corpus:
            raise UsageError("--extend - reads the vocabulary from standard input; give CORPUS as files")
        base = Vocab.load(extend_path)
        if "specials" in given and specials != bool(base.specials):
            raise UsageError(f"--{'' if specials else 'no-'}specials: --extend keeps the specials of {extend_path}")
        for name, asked, theirs in (("lower", lower, base.settings.lower),
                                    ("keep_punct", keep_punct, base.settings.keep_punct)):
            if name in given and asked != theirs:
                flag = "--" + ("" if theirs else "no-") + name.replace("_", "-")
                raise UsageError(f"{extend_path} splits text with {flag}, and --extend splits CORPUS as it does; "
                                 f"drop the flag")
    check_writable(output)
    corpus = resolve_inputs(corpus, input_format, text_column)  # tables are read as their text column
    sizes = [input_size(p) for p in corpus]
    total = sum(sizes) if all(s is not None for s in sizes) else None
    start = time.perf_counter()
    dask_address = address_for(dask_address, STDIO not in [str(p) for p in corpus])
    counting = dict(lower=lower, keep_punct=keep_punct, encoding_errors=encoding_errors, workers=workers,
                    dask=dask_address)
    if partial:
        with progress_bar("counting words", total, quiet=quiet or as_json) as advance:
            part = Vocab.count_shard(Files(corpus), offset=offset, progress=advance, **counting)
        _save_partial_report(part, output, start, as_json, quiet, lambda s: (
            f"partial counts of [bold]{s['distinct_words']:,}[/] distinct words "
            f"({s['total']:,} tokens) written to [cyan]{output}[/] in {s['seconds']:.2f}s; "
            "merge them with `embedcli vocab merge`"))
        return
    with progress_bar("counting words", total, quiet=quiet or as_json) as advance:
        if base is not None:
            counting.pop("lower"), counting.pop("keep_punct")
            vocab = base.extend(Files(corpus), order=order, min_count=min_count, max_size=max_size, progress=advance,
                                **counting)
        else:
            vocab = Vocab.build(Files(corpus), specials=specials, order=order, min_count=min_count,
                                max_size=max_size, progress=advance, **counting)
    extra = None if base is None else {
        "extended": {"vocab": extend_path, "size_before": len(base), "words_added": len(vocab) - len(base)},
        "added": _entries(vocab, len(base), len(base) + 10)}
    _save_report(vocab, output, start, as_json, quiet, extra=extra)


def _save_report(vocab, output, start, as_json, quiet, *, extra=None) -> None:
    """Write the vocabulary, print the summary (shared by vocab and merge)."""
    vocab.save(output)
    summary = vocab_summary(vocab, time.perf_counter() - start, output)
    summary.update(extra or {})
    if as_json:
        if output != "-":
            print_json(summary)
    elif not quiet:
        render_vocab_summary(summary, out_console if output != "-" else err_console)


def _save_partial_report(part, output, start, as_json, quiet, message, extra=None) -> None:
    """Write partial counts and report them (``message`` renders the summary for people)."""
    part.save(output)
    summary = partial_summary(part, time.perf_counter() - start, output)
    summary.update(extra or {})
    if as_json:
        if output != "-":
            print_json(summary)
    elif not quiet:
        (out_console if output != "-" else err_console).print(message(summary))


def partial_summary(part, seconds: float, output: str) -> dict:
    return {
        "output": output,
        "distinct_words": len(part.tokens),
        "total": part.total,
        "offset": part.offset,
        "normalization": part.settings.to_dict(),
        "seconds": round(seconds, 3),
    }


@click.command("merge")
@click.argument("parts", nargs=-1, required=True, metavar="PARTS...")
@click.option("-o", "--output", required=True, metavar="VOCAB.json",
              help="Where to write the vocabulary ('-' for stdout).")
@vocab_shape_options
@click.option("--partial", is_flag=True,
              help="Write the merged counts as partial counts again (to merge in several steps).")
@json_option
@quiet_option
@handle_errors
def vocab_merge_command(parts, output, specials, order, min_count, max_size, partial, as_json, quiet):
    """Merge partial counts (from `embedcli vocab CORPUS --partial`) into one vocabulary.

    Give the parts in corpus order; if every part was written with --offset they are sorted
    by it instead. The result is exactly the vocabulary of the whole corpus counted at once
    (same counts, same order of first appearance).

    \b
    Examples:
      embedcli vocab books/01.txt --partial -o p01.json      # on any machine
      embedcli vocab books/02.txt --partial -o p02.json
      embedcli vocab merge p01.json p02.json -o vocab.json --min-count 5
      embedcli vocab merge p*.json --partial -o all.json      # merge in several steps
    """
    if partial:
        ctx = click.get_current_context()
        for name in ("specials", "order", "min_count", "max_size"):
            if ctx.get_parameter_source(name) not in (None, click.core.ParameterSource.DEFAULT):
                flag = "--" + name.replace("_", "-")
                raise UsageError(f"{flag} does not apply with --partial (it is used by the final merge)")
    check_writable(output)
    start = time.perf_counter()
    if partial:
        merged = Vocab.merge_counts(list(parts))
        _save_partial_report(merged, output, start, as_json, quiet, lambda s: (
            f"{len(parts)} parts merged: {s['distinct_words']:,} distinct words "
            f"({s['total']:,} tokens) written to [cyan]{output}[/]"), extra={"parts": len(parts)})
        return
    vocab = Vocab.merge(list(parts), specials=specials, order=order, min_count=min_count, max_size=max_size)
    _save_report(vocab, output, start, as_json, quiet, extra={"parts": len(parts)})


#: ``embedcli vocab CORPUS...`` counts (the default command); ``embedcli vocab merge PARTS...`` is a
#: subcommand (to count a corpus file named ``merge``, write it as ``./merge``)
vocab_group = DefaultGroup("vocab", default=vocab_command, commands=[vocab_merge_command])
main.add_command(vocab_group)
