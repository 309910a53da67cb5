"""``embedcli vocab``: build a vocabulary from a corpus."""

from __future__ import annotations

import time

import click
from rich.table import Table

from ..io import check_writable, input_size
from ..text import TextSettings
from ..vocab import ORDERS, build_vocab, count_tokens
from ..errors import EmbedcliError
from . import main
from .common import (
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
        "distinct_words": None,
        "coverage": round(vocab.coverage(), 6),
        "order": vocab.order,
        "min_count": vocab.min_count,
        "max_size": vocab.max_size,
        "normalization": vocab.settings.to_dict(),
        "seconds": round(seconds, 3),
        "first": [
            {"index": i, "token": t, "count": c}
            for i, (t, c) in enumerate(zip(vocab.tokens[:first], vocab.counts[:first]))
        ],
    }


def render_vocab_summary(summary: dict, console=out_console) -> None:
    console.print(
        f"[bold]{summary['size']:,}[/] entries written to [cyan]{summary['output']}[/] "
        f"from {summary['corpus_tokens']:,} tokens ({summary['distinct_words']:,} distinct words), "
        f"coverage {summary['coverage']:.2%}, order {summary['order']}, "
        f"in {summary['seconds']:.2f}s"
    )
    table = Table("index", "token", "count", title="first entries", title_justify="left")
    for row in summary["first"]:
        table.add_row(str(row["index"]), row["token"], f"{row['count']:,}")
    console.print(table)


@main.command("vocab")
@click.argument("corpus", nargs=-1, required=True, metavar="CORPUS...")
@click.option("-o", "--output", required=True, metavar="VOCAB.json", help="Where to write the vocabulary ('-' for stdout).")
@click.option("--lower/--no-lower", default=True, show_default=True, help="Lower-case the text.")
@click.option("--keep-punct", is_flag=True, help="Keep punctuation marks as tokens (default: dropped).")
@click.option("--specials/--no-specials", default=True, show_default=True,
              help="Reserve <pad>=0 and <unk>=1; --no-specials indexes words from 0.")
@click.option("--order", type=click.Choice(ORDERS), default="appearance", show_default=True,
              help="appearance: order of first appearance; frequency: highest count first (Keras Tokenizer).")
@click.option("--min-count", type=int, default=1, show_default=True, help="Drop words seen fewer times.")
@click.option("--max-size", type=int, default=None,
              help="Keep exactly the N most frequent words (besides the specials).")
@encoding_errors_option
@json_option
@quiet_option
@handle_errors
def vocab_command(corpus, output, lower, keep_punct, specials, order, min_count, max_size,
                  encoding_errors, as_json, quiet):
    """Build a vocabulary from CORPUS files ('-' for stdin), indexing words by first appearance.

    Text is normalised (Unicode NFKC, lower case) and split into words; the file records
    these settings so that `encode` and `train` split phrases the same way.

    \b
    Examples:
      embedcli vocab sample_data/corpus.txt -o vocab.json
      embedcli vocab --no-specials --order frequency --min-count 2 a.txt b.txt -o vocab.json
      printf 'Hope to see you soon\\nNice to see you again\\n' | embedcli vocab - --no-specials -o -
    """
    positive_int("--min-count", min_count)
    positive_int("--max-size", max_size)
    check_writable(output)
    settings = TextSettings(lower=lower, keep_punct=keep_punct)
    sizes = [input_size(p) for p in corpus]
    total = sum(sizes) if all(s is not None for s in sizes) else None
    start = time.perf_counter()
    with progress_bar("counting words", total, quiet=quiet or as_json) as advance:
        counts, n_tokens = count_tokens(corpus, settings, encoding_errors=encoding_errors, progress=advance)
    if n_tokens == 0:
        raise EmbedcliError(f"{', '.join(corpus)}: no words found (empty corpus?)")
    vocab = build_vocab(counts, n_tokens, settings, specials=specials, order=order,
                        min_count=min_count, max_size=max_size)
    if len(vocab) == vocab.n_specials:
        raise EmbedcliError(
            f"--min-count {min_count} removes every word (the most frequent word occurs "
            f"{max(counts.values())} times)"
        )
    vocab.save(output)
    summary = vocab_summary(vocab, time.perf_counter() - start, output)
    summary["distinct_words"] = len(counts)
    if as_json:
        if output != "-":
            print_json(summary)
    elif not quiet:
        render_vocab_summary(summary, out_console if output != "-" else err_console)
