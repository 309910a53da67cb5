"""``embedcli vectors``: the vectors of any words (fastText's ``print-word-vectors``)."""

from __future__ import annotations

import sys

import click
import numpy as np
from rich.markup import escape

from ..embeddings import Embeddings
from ..errors import EmbedcliError, UsageError
from ..export import WORD2VEC_SEPARATORS, fmt_value, json_vector
from ..io import atomic_write, iter_lines
from ..subwords import WORD_OOV
from . import main
from .common import args_or_stdin, counted, encoding_errors_option, err_console, handle_errors, json_option, print_json

FORMATS = ("word2vec", "json", "npy")


def _read_words(path: str, encoding_errors: str) -> list[str]:
    words = []
    for line in iter_lines(path, encoding_errors=encoding_errors):
        words.extend(line.split())
    return words


@main.command("vectors")
@click.argument("model", metavar="MODEL")
@click.argument("words", nargs=-1, metavar="[WORD...]")
@click.option("-i", "--input", "input_path", metavar="FILE",
              help="Read words from FILE (whitespace-separated, any number per line; - = stdin, as is a lone "
                   "WORD '-').")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="word2vec", show_default=True,
              help="word2vec text ('N DIM' header, then 'word v1 v2 ...'), json, or npy (float32, N x DIM).")
@click.option("-o", "--output", metavar="OUT", default="-", show_default=True,
              help="Write here (- = stdout; npy needs a file or a pipe).")
@click.option("--oov", type=click.Choice(WORD_OOV), default="error", show_default=True,
              help="A word without a vector (no subwords): stop with an error, skip it (named on stderr), or "
                   "give it zeros (fastText's print-word-vectors without n-grams).")
@encoding_errors_option
@json_option
@handle_errors
def vectors_command(model, words, input_path, fmt, output, oov, encoding_errors, as_json):
    """Print the vectors of WORDs, in the order given, like fastText's print-word-vectors.

    A word of the vocabulary gets its table row. With a model trained with --subwords, any
    other word gets the mean of its character n-gram rows (the word need not be in the
    corpus); without subwords an unknown word is an error, or with --oov skipped or zeros.
    Words are normalised like the vocabulary (lower-cased by default).

    \b
    Examples:
      embedcli vectors models/sub king kingliness
      embedcli vectors models/sub -i words.txt --format json -o vectors.json
      echo "unseenword" | embedcli vectors models/sub -i - --format npy -o vecs.npy
      cat words.txt | embedcli vectors models/default - --json --oov skip
    """
    if as_json:  # the same as --format json
        if fmt not in ("word2vec", "json"):  # word2vec: --format's default, i.e. not given
            raise UsageError(f"--json is --format json; it cannot go with --format {fmt}")
        fmt = "json"
    words, input_path = args_or_stdin(words, input_path, "words", "WORD")
    asked = list(words)
    if input_path is not None:
        asked += _read_words(input_path, encoding_errors)
    if not asked:
        raise UsageError("give words as arguments or with -i FILE")
    emb = Embeddings.load(model)
    result = emb.word_vectors(asked, oov=oov)
    if len(result) < len(asked):  # --oov skip
        if not result:
            some = "the word given has no" if len(asked) == 1 else f"none of the {len(asked):,} words given has a"
            raise EmbedcliError(f"{some} vector ({asked[0]!r} is not in the vocabulary)")
        given = {r.word for r in result}
        left = list(dict.fromkeys(w for w in asked if w not in given))
        shown = ", ".join(repr(w) for w in left[:10]) + (", ..." if len(left) > 10 else "")
        err_console.print(escape(f"left out {counted(len(left), 'unknown word')}: {shown}"), soft_wrap=True)
    if fmt == "json":
        doc = {"model": model, "dim": emb.dim, "subwords": emb.subwords is not None,
               "vectors": [{"word": r.word, "token": r.token, "index": r.index, "source": r.source,
                            "vector": json_vector(r.vector)} for r in result]}
        if output == "-":
            print_json(doc)
        else:
            import json

            with atomic_write(output, compress=True) as f:
                json.dump(doc, f, ensure_ascii=False)
                f.write("\n")
        return
    if fmt == "npy":
        matrix = np.stack([r.vector for r in result]).astype(np.float32)
        if output == "-":
            if sys.stdout.isatty():
                raise UsageError("--format npy writes binary data: give -o FILE or pipe the output")
            np.save(sys.stdout.buffer, matrix, allow_pickle=False)
            sys.stdout.buffer.flush()
        else:
            with atomic_write(output, "wb", compress=True) as f:
                np.save(f, matrix, allow_pickle=False)
        return
    for r in result:
        if not r.token or any(c in WORD2VEC_SEPARATORS for c in r.token):
            raise EmbedcliError(f"{r.token!r} cannot be written in word2vec format; use --format json or npy")
    lines = [f"{len(result)} {emb.dim}\n"]
    lines += [r.token + " " + " ".join(fmt_value(v) for v in r.vector) + "\n" for r in result]
    if output == "-":
        sys.stdout.write("".join(lines))
        sys.stdout.flush()
    else:
        with atomic_write(output, compress=True) as f:
            f.write("".join(lines))
