"""``embedcli info``: what a model directory, a vocabulary file or a vector file holds."""

from __future__ import annotations

import click
from rich.markup import escape
from rich.table import Table

from ..info import describe
from . import main
from .common import (continued_line, handle_errors, human_size, init_line, json_option, out_console, print_json,
                     print_key_values, shown_path, subwords_line)

#: the settings shown on the settings line, in this order (all of them are in --json)
SHOWN_SETTINGS = ("window", "negative", "ns_exponent", "sample", "epochs", "lr", "min_lr", "min_count", "max_size",
                  "seed", "batch_words", "round_batches", "buckets", "subwords")
#: a classifier's (fastText supervised's settings)
SHOWN_CLASSIFY = ("epochs", "lr", "min_lr", "min_count", "word_ngrams", "buckets", "subwords", "label_prefix", "seed")


def _settings_line(settings: dict) -> str:
    shown = []
    for key in SHOWN_CLASSIFY if settings.get("objective") == "classify" else SHOWN_SETTINGS:
        value = settings.get(key)
        if value is None or (key == "subwords" and value in (0, "0")) or (key == "word_ngrams" and value == 1):
            continue
        shown.append(f"{key.replace('_', '-')} {value:g}" if isinstance(value, float) else
                     f"{key.replace('_', '-')} {value}")
    return ", ".join(shown)


def _text_line(norm: dict) -> str:
    return ", ".join(["lower-cased" if norm.get("lower") else "case kept",
                      "punctuation kept" if norm.get("keep_punct") else "punctuation dropped",
                      f"Unicode {norm.get('unicode', 'NFKC')}"])


def _vocabulary_rows(v: dict) -> list[tuple[str, str]]:
    specials = ", ".join(f"{t}={i}" for t, i in v["special_ids"].items()) or "none"
    rows = [("specials", escape(specials)),
            ("order", f"{v['order']}, min count {v['min_count']}"
             + (f", at most {v['max_size']:,} words" if v.get("max_size") else "")),
            ("counted", f"{v['corpus_tokens']:,} tokens, {v['coverage']:.2%} of them in the vocabulary"),
            ("text", _text_line(v["normalization"]))]
    return rows


def _render_model(d: dict) -> None:
    what = "classifier" if d["objective"] == "classify" else f"{d['objective']} model"
    out_console.print(f"[bold]{escape(shown_path(d['path']))}[/]: {what}, {d['vocab_size']:,} tokens x "
                      f"{d['dim']} dims ({human_size(d['bytes'])})")
    rows = [("format", f"embedcli model version {d['format_version']} (written by embedcli {d['embedcli_version']})")]
    if d.get("corpus"):
        rows.append(("corpus", escape(", ".join(shown_path(c) for c in d["corpus"]))))
    state = d.get("training")
    if state is not None:
        done = f"{state['epochs_done']} of {state['epochs']} epochs" + ("" if state.get("complete") else
                                                                       " (a checkpoint: --resume it)")
        rows.append(("training", done + (f", final loss {d['final_loss']:.4f}" if d["final_loss"] is not None else "")
                     + f", {d['seconds']:.2f}s"))
    elif d["history"]:
        last = d["history"][-1]
        acc = f", accuracy {last['accuracy']:.3f}" if last.get("accuracy") is not None else ""
        rows.append(("training", f"{len(d['history'])} epochs, final loss {d['final_loss']:.4f}{acc}, "
                                 f"{d['seconds']:.2f}s"))
    if d.get("labels"):
        lab = d["labels"]
        shown = ", ".join(escape(str(t)) for t in lab["first"][:5]) + (", ..." if lab["count"] > 5 else "")
        rows.append(("labels", f"{lab['count']:,}: {shown}"))
    if d.get("continued"):
        rows.append(("continued", escape(continued_line(d["continued"]))))
    if d.get("init"):
        rows.append(("init", escape(init_line(d["init"]))))
    if d.get("subwords"):
        rows.append(("subwords", subwords_line(d["subwords"])))
    settings = _settings_line(d["settings"])
    if settings:
        rows.append(("settings", settings))
    rows += _vocabulary_rows(d["vocabulary"])
    rows.append(("arrays", "; ".join(f"{name} {' x '.join(f'{n:,}' for n in a['shape'])} {a['dtype']}"
                                     for name, a in d["arrays"].items())))
    print_key_values(out_console, rows)
    if d["history"]:
        accuracy = any(h.get("accuracy") is not None for h in d["history"])  # a classifier's
        table = Table("epoch", "loss", *["accuracy"] * accuracy, "lr", "words/s", "seconds", title="history",
                      title_justify="left")
        for h in d["history"]:
            wps = h.get("words_per_sec")
            acc = [f"{h['accuracy']:.3f}" if h.get("accuracy") is not None else ""] * accuracy
            table.add_row(str(h["epoch"]), f"{h['loss']:.4f}", *acc, f"{h['lr']:.5f}", f"{wps:,.0f}" if wps else "",
                          f"{h['seconds']:.2f}")
        out_console.print(table)


@main.command("info")
@click.argument("path", metavar="MODEL|VOCAB|VECTORS|PARTIAL")
@json_option
@handle_errors
def info_command(path, as_json):
    """What a model directory, a vocabulary file, partial counts or a vector file holds, without
    loading its matrices: the objective, sizes and settings of a model, how it was trained (epochs, loss, a
    run it continued, --init and subword rows), its vocabulary and its arrays (shapes and types
    from the .npy headers).

    \b
    Examples:
      embedcli info models/default
      embedcli info vocab.json
      embedcli info glove.6B.100d.txt
      embedcli info part1.json                    # vocab --partial counts
      embedcli vocab sample_data/corpus.txt -o - -q | embedcli info -
      embedcli info models/default --json | jq .history
    """
    d = describe(path)
    if as_json:
        print_json(d)
        return
    if d["kind"] == "model":
        _render_model(d)
    elif d["kind"] == "partial-counts":
        src = d["source"]
        where = ", ".join(src.get("paths", [])) or src.get("path") or ("merged parts" if "merged" in src else "?")
        out_console.print(f"[bold]{escape(shown_path(d['path']))}[/]: partial counts of {d['distinct_words']:,} "
                          f"distinct words, {d['total']:,} tokens (merge with `embedcli vocab merge`)")
        rows = [("counted from", escape(where)), ("text", _text_line(d["normalization"]))]
        if d.get("offset") is not None:
            last = d.get("last_offset")
            rows.append(("offset", str(d["offset"]) if last is None else f"{d['offset']} to {last} (its shards')"))
        print_key_values(out_console, rows + [("first", ", ".join(escape(t) for t in d["first"]))])
    elif d["kind"] == "vocabulary":
        out_console.print(f"[bold]{escape(shown_path(d['path']))}[/]: vocabulary of {d['size']:,} tokens")
        first = ", ".join(escape(t) for t in d["first"]) + (", ..." if d["size"] > len(d["first"]) else "")
        print_key_values(out_console, _vocabulary_rows(d) + [("first", first)])
    else:
        words = f"{d['words']:,} words" if d["words"] is not None else "words not counted in a header (GloVe)"
        out_console.print(f"[bold]{escape(shown_path(d['path']))}[/]: {d['format']} vector file, {d['dim']} dims, "
                          f"{words} ({human_size(d['bytes'])})")
