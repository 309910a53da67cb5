"""``embedcli predict`` and ``embedcli test``: use a classifier model (``train --objective classify``)."""

from __future__ import annotations

import json
import math
import os

import click

from ..errors import UsageError
from ..io import STDIO, Source, atomic_write, check_writable, input_size, iter_line_batches, resolve_inputs
from ..classify import Classifier
from . import main
from .common import (
    args_or_stdin,
    encoding_errors_option,
    err_console,
    handle_errors,
    json_option,
    out_console,
    progress_bar,
    quiet_option,
    tabular_options,
)

BATCH_LINES = 4096


def _check_k_threshold(k: int, threshold: float) -> None:
    if k < 1 and k != -1:  # -1: every label (fastText's k = -1)
        raise UsageError(f"-k must be at least 1, or -1 for every label (got {k})")
    if not (0.0 <= threshold <= 1.0):
        raise UsageError(f"--threshold must be a probability between 0 and 1 (got {threshold})")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _format(pred: list[tuple[str, float]], prob: bool, as_json: bool) -> str:
    if as_json:  # the probabilities --prob prints (six significant digits, not six decimals)
        return json.dumps({"labels": [l for l, _ in pred], "probs": [float(f"{p:.6g}") for _, p in pred]},
                          ensure_ascii=False)
    if prob:
        return " ".join(f"{l} {p:.6g}" for l, p in pred)
    return " ".join(l for l, _ in pred)


@main.command("predict")
@click.argument("model_path", metavar="MODEL")
@click.argument("phrases", nargs=-1, metavar="[PHRASE...]")
@click.option("-i", "--input", "input_path", metavar="FILE",
              help="Read phrases from FILE, one per line ('-' for stdin, as is a lone PHRASE '-'; the default "
                   "without PHRASE); gzip/bzip2/xz or a directory of files are read as they are.")
@click.option("-o", "--output", default=STDIO, show_default=True, metavar="FILE",
              help="Write the predictions to FILE ('-' for stdout).")
@click.option("-k", "k", type=int, default=1, show_default=True, help="Number of labels per phrase (-1: every label, as fastText).")
@click.option("--prob", is_flag=True, help="Print each label's probability after it (fastText's predict-prob).")
@click.option("--threshold", type=float, default=0.0, show_default=True,
              help="Only labels with at least this probability.")
@encoding_errors_option
@tabular_options()
@json_option
@quiet_option
@handle_errors
def predict_command(model_path, phrases, input_path, output, k, prob, threshold, encoding_errors, input_format,
                    text_column, as_json, quiet):
    """Predict the labels of phrases with a classifier model, one output line per phrase.

    The output is fastText's: `__label__X` (with --prob `__label__X 0.98`; with -k 2 the two best
    labels on one line). Words starting with `__label__` in the input are ignored, so a labelled
    test file can be given as it is. A phrase without any known word gets the labels the model
    finds most likely a priori.

    \b
    Examples:
      embedcli predict models/clickbait "You won't believe what this cat did"
      embedcli predict models/clickbait -i sample_data/labeled_test.txt -k 2 --prob
      cat headlines.txt | embedcli predict models/clickbait --json -o predictions.jsonl
    """
    _check_k_threshold(k, threshold)
    phrases, _ = args_or_stdin(phrases, input_path)  # a lone '-': stdin, the default without PHRASE
    if phrases and input_path:
        raise UsageError("give phrases as arguments or with -i/--input, not both")
    if phrases and os.path.isfile(phrases[0]) and all(_is_number(p) for p in phrases[1:3]) and len(phrases) <= 3:
        # fastText's 'predict MODEL FILE [k] [threshold]': a file's name is no phrase to classify
        raise UsageError(f"{phrases[0]!r} is a file: predict its lines with -i {phrases[0]} (fastText's "
                         "'predict MODEL FILE k' is 'embedcli predict MODEL -i FILE -k K')")
    check_writable(output)
    classifier = Classifier.load(model_path)
    source_path = None if phrases else (input_path or STDIO)
    if source_path is not None and (input_format != "auto" or text_column is not None or source_path != STDIO):
        found = resolve_inputs([source_path], input_format, text_column)  # tables: their text column
        source_path = found[0] if len(found) == 1 else source_path
    show_bar = not quiet and source_path not in (None, STDIO) and output != STDIO
    with progress_bar("predicting", input_size(source_path) if source_path else None,
                      quiet=not show_bar) as advance:
        if phrases:
            batches = [list(phrases)]
        else:  # the lines at hand: from a pipe or a terminal each is answered as it comes
            batches = iter_line_batches(source_path, encoding_errors=encoding_errors, progress=advance,
                                        as_available=source_path == STDIO)
        n = 0
        with atomic_write(output) as f:
            for lines in batches:
                for start in range(0, len(lines), BATCH_LINES):
                    for pred in classifier.predict(lines[start:start + BATCH_LINES], k, threshold):
                        f.write(_format(pred, prob, as_json))
                        f.write("\n")
                n += len(lines)
                if output == STDIO:
                    f.flush()
    if output != STDIO and not quiet:
        out_console.print(f"{n:,} predictions written to [cyan]{output}[/]", highlight=False)


@main.command("test")
@click.argument("model_path", metavar="MODEL")
@click.argument("test_path", metavar="FILE")
@click.option("-k", "k", type=int, default=1, show_default=True, help="Precision and recall at k (-1: every label).")
@click.option("--threshold", type=float, default=0.0, show_default=True,
              help="Only count predicted labels with at least this probability.")
@click.option("--per-label", is_flag=True,
              help="Also each label's F1, precision and recall at k, like `fasttext test-label` (always in --json).")
@encoding_errors_option
@tabular_options(labels=True)
@json_option
@quiet_option
@handle_errors
def test_command(model_path, test_path, k, threshold, per_label, encoding_errors, input_format, text_column,
                 label_column, as_json, quiet):
    """Precision and recall at k of a classifier model on a labelled file, like `fasttext test`.

    FILE has fastText-format lines (`__label__X some text`, '-' for stdin; gzip/bzip2/xz or a
    directory of such files are read as they are). N is the number of
    lines with a label the model knows; P@k = correct labels / predicted labels, R@k = correct
    labels / true labels.

    \b
    Examples:
      embedcli test models/clickbait sample_data/labeled_test.txt
      embedcli test models/clickbait sample_data/labeled_test.txt -k 2 --json
      embedcli test models/clickbait sample_data/labeled_test.txt --per-label
    """
    _check_k_threshold(k, threshold)
    classifier = Classifier.load(model_path)
    # a table (csv, tsv, jsonl) is read as its text column, its label column as the labels
    found = resolve_inputs([test_path], input_format, text_column, label_column, classifier.label_prefix)
    if len(found) == 1:
        test_path = found[0]
    elif any(isinstance(p, Source) for p in found):
        raise UsageError(f"{test_path}: give one table file to test (a directory of tables is not supported)")
    with progress_bar("testing", input_size(test_path), quiet=quiet) as advance:
        result = classifier.evaluate(test_path, k=k, threshold=threshold,
                          encoding_errors=encoding_errors, progress=advance)
    if as_json:
        click.echo(json.dumps(_no_nan(result)))
        return

    def fmt(v: float) -> str:
        return "nan" if math.isnan(v) else f"{v:.3f}"

    if per_label:  # fastText's test-label lines (its order: the model's labels), then the totals
        for row in result["per_label"]:
            click.echo(f"F1-Score : {_six(row['f1'])}  Precision : {_six(row['precision'])}  "
                       f"Recall : {_six(row['recall'])}   {row['label']}")
    click.echo(f"N\t{result['n']}")
    click.echo(f"P@{k}\t{fmt(result['precision'])}")
    click.echo(f"R@{k}\t{fmt(result['recall'])}")
    if result["skipped"] and not quiet:
        err_console.print(f"{result['skipped']:,} lines skipped: none of their labels is known to the model",
                          highlight=False)


def _six(v: float) -> str:
    """A score as fastText's test-label prints it (six decimals; ``--------`` when undefined)."""
    return "--------" if math.isnan(v) else f"{v:.6f}"


def _no_nan(value):
    """``value`` with every NaN float as None (JSON has no NaN), in nested dicts and lists too."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _no_nan(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_no_nan(v) for v in value]
    return value
