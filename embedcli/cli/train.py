"""``embedcli train``: train an embedding table (skip-gram, CBOW) or a classifier."""

from __future__ import annotations

import os
import shlex
from typing import Any

import click
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn
from rich.table import Table

from .. import config as cfg
from ..errors import EmbedcliError, UsageError
from ..io import input_size, resolve_inputs
from ..peer_names import flag
from . import cluster as cluster_cli
from . import main
from .cluster import dask_option
from .common import (
    continued_line,
    err_console,
    flags_for,
    escape,
    handle_errors,
    human_size,
    init_line,
    json_option,
    out_console,
    print_json,
    print_key_values,
    progress_bar,
    quiet_option,
    shown_path,
    subwords_line,
)

#: where `embedcli train` without arguments writes (relative to the current directory)
DEFAULT_OUTPUT = os.path.join("models", "default")

# flag name -> settings key (the keys of a config file)
FLAG_KEYS = ("objective", "dim", "window", "negative", "ns_exponent", "sample", "epochs", "lr", "min_lr", "min_count",
             "max_size", "seed", "workers", "batch_words", "round_batches", "checkpoint_every", "vocab", "word_ngrams", "buckets",
             "label_prefix",
             "encoding_errors", "init", "freeze", "continue_from", "subwords", "lower", "keep_punct", "order", "input_format", "text_column", "label_column")


class _PlainLog:
    """Training progress as plain lines on stderr, for logs: one line per epoch, and one every
    10% of an epoch expected to take more than :data:`LONG_EPOCH_SECONDS`; flushed at once."""

    LONG_EPOCH_SECONDS = 10.0

    def __init__(self, epochs: int):
        self.epochs = epochs
        self.next_tenth = 1
        self.epoch = None

    def __call__(self, event: dict) -> None:
        if "checkpoint" in event:
            self._write(f"checkpoint after epoch {event['epoch']} saved to {event['checkpoint']}")
            return
        if event["epoch"] != self.epoch:
            self.epoch, self.next_tenth = event["epoch"], 1
        total = max(1, event["words_total"])
        share = event["words"] / total
        stats = (f"loss {event['loss']:.4f}  lr {event['lr']:.5f}  "
                 f"{event['words_per_sec']:,.0f} words/s")
        if event.get("epoch_done"):
            self._write(f"epoch {event['epoch']}/{event['epochs']} done  {stats}")
            return
        wps = event["words_per_sec"]
        long_epoch = wps > 0 and total / wps > self.LONG_EPOCH_SECONDS
        if long_epoch and share * 10 >= self.next_tenth and share < 1:
            self.next_tenth = int(share * 10) + 1
            self._write(f"epoch {event['epoch']}/{event['epochs']} {int(share * 10) * 10}%  {stats}")

    @staticmethod
    def _write(line: str) -> None:
        click.echo(line, err=True)  # flushed at once (click.get_text_stream is deprecated in click 8.2)


class _TrainProgress:
    """One rich progress display on stderr: reading the corpus (bytes), then training
    (fed by the trainer's callback: epoch, words/s, lr, running loss, ETA)."""

    def __init__(self, total_bytes: int | None, epochs: int, enabled: bool):
        self.enabled = enabled and err_console.is_terminal
        # not a terminal (a log file, a pipe): plain lines on stderr instead of the display
        self.log = _PlainLog(epochs) if enabled and not err_console.is_terminal else None
        self.total_bytes = total_bytes
        self.epochs = epochs
        self.progress: Progress | None = None
        self.read_task = None
        self.train_task = None
        self.first_epoch = 0
        self.bytes = 0
        self.init_task = None
        self.init_vectors = 0
        self.checkpoint: dict | None = None  # the last checkpoint event: what an interruption leaves behind

    def __enter__(self):
        if self.enabled:
            self.progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                TaskProgressColumn(),
                TextColumn("{task.fields[info]}"),
                TimeRemainingColumn(),
                console=err_console,
                transient=True,
            )
            self.progress.__enter__()
            self.read_task = self.progress.add_task("reading corpus", total=self.total_bytes, info="")
        return self

    def __exit__(self, *exc):
        if self.progress is not None:
            self.progress.__exit__(*exc)

    def read(self, n: int) -> None:
        if self.progress is not None and self.read_task is not None:
            self.bytes += n
            self.progress.update(self.read_task, advance=n, info=f"{self.bytes / 1e6:,.1f} MB")

    def init_read(self, n: int) -> None:
        """Vectors read from the --init file (after the corpus, before training)."""
        if self.progress is None:
            return
        if self.init_task is None:
            if self.read_task is not None:
                self.progress.remove_task(self.read_task)
                self.read_task = None
            self.init_task = self.progress.add_task("reading --init vectors", total=None, info="")
        self.init_vectors += n
        self.progress.update(self.init_task, advance=n, info=f"{self.init_vectors:,} vectors")

    def __call__(self, event: dict) -> None:
        if "checkpoint" in event:
            self.checkpoint = event
        if self.log is not None:
            self.log(event)
        if self.progress is None:
            return
        if "checkpoint" in event:
            self.progress.console.print(f"checkpoint after epoch {event['epoch']} saved to {escape(event['checkpoint'])}")
            return
        if self.train_task is None:
            for attr in ("read_task", "init_task"):
                if getattr(self, attr) is not None:
                    self.progress.remove_task(getattr(self, attr))
                    setattr(self, attr, None)
            self.first_epoch = event["epoch"] - 1
            total = event["words_total"] * (event["epochs"] - self.first_epoch)
            self.train_task = self.progress.add_task("training", total=total, info="")
        done = (event["epoch"] - 1 - self.first_epoch) * event["words_total"] + event["words"]
        self.progress.update(
            self.train_task,
            completed=done,
            description=f"epoch {event['epoch']}/{event['epochs']}",
            info=f"{event['words_per_sec']:,.0f} words/s  lr {event['lr']:.5f}  loss {event['loss']:.4f}",
        )


def _render_summary(summary: dict, console=out_console) -> None:
    console.print(
        f"trained [bold]{summary['objective']}[/] on {summary['corpus_tokens']:,} tokens "
        f"({summary['words_per_epoch']:,} in the vocabulary per epoch) in {summary['seconds']:.2f}s"
    )
    rows: list[tuple[str, str]] = []
    rows.append(("model", escape(summary["output"]) + f" ({human_size(summary['model_bytes'])})"
                 if summary.get("model_bytes") is not None else escape(summary["output"])))
    rows.append(("vocabulary", f"{summary['vocab_size']:,} tokens (<pad>=0, <unk>=1)"))
    rows.append(("table", f"{summary['table_shape'][0]:,} x {summary['table_shape'][1]} float32"))
    labels = summary.get("labels")
    if labels is not None:  # a classifier
        shown = ", ".join(f"{escape(l)} {n:,}" for l, n in list(labels.items())[:5])
        more = f", ... ({len(labels):,} labels)" if len(labels) > 5 else ""
        rows.append(("labels", shown + more))
        rows.append(("examples", f"{summary['examples']:,}" + _skipped(summary)))
        if summary.get("ngram_rows"):
            rows.append(("word n-grams", _ngrams_line(summary)))
    if summary.get("sample") is not None:
        rows.append(("subsampling", f"sample {summary['sample']:g}"))
    if summary.get("ns_exponent") is not None:
        rows.append(("negatives", f"from unigram^{summary['ns_exponent']:g}"))
    if summary.get("subwords"):
        rows.append(("subwords", subwords_line(summary["subwords"])))
    if summary.get("continued"):
        rows.append(("continued", escape(continued_line(summary["continued"]))))
    if summary.get("init"):
        rows.append(("init", escape(init_line(summary["init"]))))
    for entry in summary["history"]:
        wps = entry.get("words_per_sec")
        acc = entry.get("accuracy")
        rows.append((f"epoch {entry['epoch']}", f"loss {entry['loss']:.4f}  "
                     + (f"accuracy {acc:.3f}  " if acc is not None else "") + f"lr {entry['lr']:.5f}  "
                     + (f"{wps:,.0f} words/s  " if wps else "") + f"{entry['seconds']:.2f}s"))
    if summary.get("final_loss") is not None:
        rows.append(("final loss", f"{summary['final_loss']:.4f}"))
    for word, ns in summary.get("neighbours", {}).items():
        rows.append((f"near {escape(word)}", ", ".join(f"{escape(t)} {s:.2f}" for t, s in ns)))
    print_key_values(console, rows)
    out = escape(shown_path(summary["output"]))
    console.print("next:")
    if labels is not None:
        console.print(f'  embedcli predict {out} "some text"')
        console.print(f"  embedcli test {out} LABELLED_FILE")
    else:
        console.print(f"  embedcli show-table {out}")
        probe = next(iter(summary.get("neighbours") or {}), "WORD")
        console.print(f"  embedcli similar {out} {escape(probe)}")


def _sample_line(info: dict) -> str:
    """``sample 0.0004 (the default with subwords): ~432,710 words kept per epoch (53.5%)``."""
    how = _how_set(info, "sample")
    share = info["kept_words_per_epoch"] / max(1, info["words_per_epoch"])
    return (f"sample {info['sample']:g} ({how}): ~{info['kept_words_per_epoch']:,} words kept per epoch "
            f"({100 * share:.1f}%)")


def _negatives_line(info: dict) -> str:
    """``5 per pair from unigram^0.5 (the default with subwords)``."""
    return f"{info['negative']} per pair from unigram^{info['ns_exponent']:g} ({_how_set(info, 'ns_exponent')})"


def _how_set(info: dict, key: str) -> str:
    """Where a setting whose default depends on the run (config.RUN_DEFAULTS) came from."""
    if info[f"{key}_set"]:
        return "set"
    plain = info[key] == cfg.run_default(key, "skipgram", 0)
    return "the default" + ("" if plain or not info.get("subwords") else " with subwords")


def _ngrams_line(info: dict) -> str:
    """``2,058 distinct (up to 2 words), 2,058 buckets, 1,303 rows``: what the n-gram rows cost
    (with subwords, the character n-grams share the buckets: ``+ 9,870 character n-grams``)."""
    sub = info.get("subwords")
    words = (f"{info['distinct_ngrams']:,} distinct (up to {info['word_ngrams']} words)"
             if info.get("word_ngrams", 1) > 1 else "none (word n-grams 1)")
    chars = f" + {sub['distinct_ngrams']:,} character n-grams" if sub and sub.get("distinct_ngrams") else ""
    return f"{words}{chars}, {info['buckets']:,} buckets, {info['ngram_rows']:,} rows"


def _skipped(summary: dict) -> str:
    parts = [f"{n:,} {why}" for n, why in ((summary.get("skipped_unlabeled"), "unlabelled"),
                                            (summary.get("skipped_no_known_word"), "without a known word")) if n]
    return f" ({', '.join(parts)} lines skipped)" if parts else ""


def _render_dry_run(info: dict, console=out_console) -> None:
    table = Table(show_header=False, box=None, pad_edge=False, title="dry run (nothing trained or written)",
                  title_justify="left")
    table.add_row("objective", f"{info['objective']}, lr {info['lr']:g} down to {info['min_lr']:g}")
    table.add_row("vocabulary", f"{info['vocab_size']:,} tokens")
    if "labels" in info:  # a classifier: word (+ n-gram) rows in, one output row per label
        rows = info["vocab_size"] + info["ngram_rows"]
        table.add_row("labels", f"{info['labels']:,} ({info['examples']:,} examples)")
        if info["ngram_rows"]:
            table.add_row("word n-grams", _ngrams_line(info))
        table.add_row("tables", f"{rows:,} x {info['dim']} + {info['labels']:,} x {info['dim']} float32 = "
                      f"{human_size(info['table_bytes'])} (input + output)")
    elif info.get("subwords"):
        n_in = info["vocab_size"] + info["subwords"]["buckets"]
        table.add_row("tables", f"{n_in:,} x {info['dim']} + {info['vocab_size']:,} x {info['dim']} float32 = "
                      f"{info['table_bytes'] / 2**20:,.1f} MiB (input: words and n-gram buckets; output)")
    else:
        table.add_row("tables", f"2 x {info['vocab_size']:,} x {info['dim']} float32 = "
                      f"{info['table_bytes'] / 2**20:,.1f} MiB (input + output)")
    if info.get("working_bytes") is not None:
        table.add_row("working memory", f"about {info['working_bytes'] / 2**20:,.1f} MiB beside the tables (a round's "
                      "batches)")
    table.add_row("corpus", f"{info['corpus_tokens']:,} tokens, {info['words_per_epoch']:,} in the vocabulary")
    table.add_row("training words", f"{info['words_per_epoch']:,} per epoch x {info['epochs']} epochs")
    if info.get("sample") is not None:
        table.add_row("subsampling", _sample_line(info))
    if info.get("ns_exponent") is not None:
        table.add_row("negatives", _negatives_line(info))
    if info["estimated_seconds"] is not None:
        table.add_row("speed", f"{info['calibration_words_per_sec']:,.0f} words/s with {info['workers']} worker(s) "
                      "(short calibration run)")
        table.add_row("estimated time", f"{info['estimated_seconds']:,.1f}s")
    if info.get("subwords"):
        table.add_row("subwords", subwords_line(info["subwords"]))
    if info.get("continued"):
        table.add_row("continued", escape(continued_line(info["continued"])))
    if info.get("init"):
        i = info["init"]
        table.add_row("init", escape(f"{shown_path(i['file'])}: {i['format']}, dim {i['dim']}"
                                     + (", found rows frozen" if i["frozen"] else "")))
    console.print(table)


def _flag_overrides(values: dict[str, Any]) -> dict[str, Any]:
    return {k: values[k] for k in FLAG_KEYS if values.get(k) is not None}


@main.command("train")
@click.argument("corpus", nargs=-1, metavar="[CORPUS...]")
@click.option("-o", "--output", metavar="MODEL_DIR", help="Model directory to write [default: models/default].")
@click.option("--config", "config_path", metavar="FILE",
              help="YAML file of settings (keys = flag names in snake_case); flags override it.")
@click.option("--objective", type=click.Choice(cfg.OBJECTIVES), help="skipgram (default), cbow or classify.")
@click.option("--dim", type=int, help="Vector size [default: 100].")
@click.option("--window", type=int, help="Largest context window; each centre word uses U[1, window] [default: 5].")
@click.option("--negative", type=int, help="Negative samples per pair, from unigram^--ns-exponent [default: 5].")
@click.option("--ns-exponent", type=float,
              help="Exponent of the word counts the negatives are drawn by: 1 = by frequency, 0 = uniform, "
                   "below 0 rare words first [default: 0.75 as word2vec; skip-gram with --subwords 0.5 as fastText].")
@click.option("--sample", type=float,
              help="Frequent-word subsampling threshold, 0 = off [default: 1e-3; skip-gram with --subwords 4e-4].")
@click.option("--epochs", type=int, help="Passes over the corpus [default: 5].")
@click.option("--lr", type=float, help="Start learning rate [default: 0.05; classify 0.1].")
@click.option("--min-lr", type=float, help="Learning rate at the end (linear decay) [default: 0.0001; classify 0].")
@click.option("--min-count", type=int, help="Ignore words seen fewer times [default: 5; 1 for classify].")
@click.option("--max-size", type=int, help="Keep only the N most frequent words.")
@click.option("--seed", type=int, help="Random seed: same seed + settings = same bytes, on any number of cores [default: 1].")
@click.option("--workers", type=int, help="Worker processes (threads where fork is missing) that share each round's batches [default: all cores, at most --round-batches]; the table does not depend on it.")
@click.option("--batch-words", type=int, help="Centre words per vectorised SGD step [default: 256; cbow 1024].")
@click.option("--round-batches", type=int, help="Batches computed against the same parameters, then applied together; workers share them out [default: 4, fewer for a small corpus; more lets more cores work, at some cost in quality].")
@click.option("--word-ngrams", type=int, help="classify only: word n-grams [default: 1].")
@click.option("--subwords", metavar="MIN-MAX",
              help="Character n-grams of MIN..MAX characters (fastText's -minn/-maxn, e.g. 3-6): a word's vector "
                   "is the mean of its row and its n-gram rows, and any word gets a vector [default: 0 = none].")
@click.option("--buckets", type=int, metavar="N",
              help="Hash buckets of the n-grams (--subwords; classify's word n-grams) [default: one per distinct "
                   "n-gram of the data, at most 2,000,000]; classify stores only the rows of used buckets.")
@click.option("--label-prefix", metavar="PREFIX",
              help="classify: words starting with PREFIX are labels (fastText's -label) [default: __label__].")
@click.option("--checkpoint-every", type=int, metavar="N",
              help="Save a resumable model to -o every N epochs (continue with --resume).")
@click.option("--resume", "resume_dir", metavar="MODEL_DIR",
              help="Continue a checkpointed model with its saved settings (same bytes as an uninterrupted run).")
@click.option("--vocab", metavar="FILE", help="Use this vocabulary (from `embedcli vocab`) instead of counting.")
@click.option("--init", metavar="FILE",
              help="Start the rows of the words found in this pretrained vector file (word2vec text or binary, "
                   "GloVe; same dimension as --dim) or embedcli model directory from its vectors; the other rows "
                   "keep the seeded start.")
@click.option("--freeze/--no-freeze", default=None,
              help="With --init: never update the rows found in the file (the output layer still trains).")
@click.option("--continue-from", metavar="MODEL_DIR",
              help="Train a trained model further (as gensim's train on a loaded model): its settings, words, ids "
                   "and both matrices are the start, CORPUS's new words are added after its own, and --epochs more "
                   "epochs run from --lr down [default CORPUS: its corpus; -o: MODEL_DIR itself, replaced when done, and "
                   "by each checkpoint with --checkpoint-every].")
@click.option("--lower/--no-lower", default=None, help="Lower-case the text, as `embedcli vocab` [default: lower].")
@click.option("--keep-punct/--no-keep-punct", default=None,
              help="Keep punctuation marks as tokens, as `embedcli vocab` [default: dropped].")
@click.option("--input-format", type=click.Choice(["auto", "text", "csv", "tsv", "jsonl"]),
              help="auto: .csv, .tsv and .jsonl files (compressed too) are tables, anything else text [default: auto].")
@click.option("--text-column", metavar="NAME|INDEX",
              help="Tables: the column holding the text (header name or 0-based index) [default: 'text', or the only column].")
@click.option("--label-column", metavar="NAME|INDEX",
              help="Tables, classify: the column holding the label (instead of __label__ words in the text).")
@click.option("--order", type=click.Choice(["appearance", "frequency"]),
              help="Vocabulary order: first appearance, or highest count first [default: appearance].")
@click.option("--encoding-errors", type=click.Choice(["strict", "replace", "ignore"]),
              help="What to do with invalid UTF-8 [default: strict].")
@click.option("--dry-run", is_flag=True, help="Count the vocabulary, estimate memory and time, train nothing.")
@click.option("--tmp-dir", type=click.Path(file_okay=False), metavar="DIR",
              help="Where the corpus ids are kept during training [default: $TMPDIR, else /tmp]; "
                   "the file has no name and is freed even if the run is killed.")
@dask_option
@json_option
@quiet_option
@handle_errors
def train_command(corpus, output, config_path, resume_dir, dry_run, tmp_dir, dask_address, as_json, quiet, **values):
    """Train an embedding table on CORPUS files (one sentence per line).

    CORPUS may be gzip, bzip2 or xz compressed or a directory (every file inside, sorted).

    With no arguments, trains on the sample data with configs/default.yaml and writes
    models/default under the current directory (-o to choose). -o creates missing parent
    directories; the model directory appears only when complete. Settings come from defaults < --config FILE < flags; the resolved
    settings are saved in MODEL_DIR/config.yaml, so --config MODEL_DIR/config.yaml repeats a run.

    \b
    Examples:
      embedcli train
      embedcli train corpus.txt -o models/mine --dim 50 --epochs 10
      embedcli train --config configs/default.yaml --objective cbow -o models/cbow
      embedcli train big.txt -o models/big --dry-run
      embedcli train big.txt -o models/big --checkpoint-every 1
      embedcli train --resume models/big
      embedcli train corpus.txt -o models/ft --init glove.6B.100d.txt --freeze
      embedcli train new_texts.txt -o models/more --init models/default --dim 50
      embedcli train new_texts.txt --continue-from models/default --epochs 3
      embedcli train --objective classify sample_data/labeled.txt -o models/classifier
      embedcli train --objective classify labeled.txt -o models/clf --word-ngrams 2 --dry-run
      embedcli train corpus.txt -o models/big --dask tcp://10.0.0.5:8786 --workers 8
    """
    for name, value in (("CORPUS", "" if "" in corpus else None), ("-o", output), ("--config", config_path),
                        ("--resume", resume_dir), ("--continue-from", values.get("continue_from")), ("--tmp-dir", tmp_dir)):
        if value == "":  # -o "$OUT" with OUT unset: not the default model, not the current directory
            raise UsageError(f"{name} is an empty file name")
    overrides = _flag_overrides(values)
    use_default = False
    if resume_dir is not None:
        if corpus or output or config_path or overrides or dry_run:
            given = ", ".join(["CORPUS"] * bool(corpus) + ["-o"] * bool(output) + ["--config"] * bool(config_path)
                              + [flag(k) for k in overrides] + ["--dry-run"] * dry_run)
            raise UsageError(f"--resume continues with the model's saved settings; do not also give {given}")
        config_file = os.path.join(resume_dir, "config.yaml")
        if not os.path.isdir(resume_dir):
            raise UsageError(f"--resume {resume_dir}: no such model directory")
        if not os.path.isfile(config_file):
            raise UsageError(f"--resume {resume_dir}: no config.yaml in it (not an embedcli model)")
        settings = cfg.merge(cfg.load_config_file(config_file), {}, continued=False)
    else:
        continuing = values.get("continue_from") is not None
        use_default = config_path is None and not corpus and not continuing
        if use_default:
            default = cfg.default_config_path()
            if default is None:
                raise UsageError("no CORPUS given and no configs/default.yaml found; pass CORPUS files or --config FILE")
            config_path = str(default)
        with flags_for(path="--config"):
            file_settings = cfg.load_config_file(config_path) if config_path else {}
        overrides["corpus"] = list(corpus)
        if output:
            overrides["output"] = output
        elif use_default:  # the sample run writes where the user is, not into the installed package
            overrides["output"] = DEFAULT_OUTPUT
        elif (continuing or file_settings.get("continue_from")) and "output" not in file_settings:
            overrides["output"] = values.get("continue_from") or file_settings["continue_from"]  # replaced when done
        settings = cfg.merge(file_settings, overrides)
    # a value out of range that came from the config file is named as its key there, not as a flag
    from_file = {} if resume_dir is not None else {
        key: f"{key} (in {config_path})" for key in file_settings if key not in settings.given}
    with flags_for(**from_file):
        cfg.validate(settings)
    settings = settings.replace(tmp_dir=tmp_dir)
    if settings.corpus:  # tables (csv, tsv, jsonl) are read as their text (and label) column
        settings = settings.replace(corpus=resolve_inputs(settings.corpus, settings.input_format, settings.text_column,
                                                          settings.label_column, settings.label_prefix))
    if not settings.corpus:
        raise UsageError("no corpus: pass CORPUS files or set 'corpus' in the config file")
    show = not (quiet or as_json)
    if use_default and not output and show:
        err_console.print(f"no CORPUS given: training on the sample data ({escape(shown_path(config_path))}), "
                          f"writing {escape(os.path.abspath(settings.output))}")
    sizes = [input_size(p) for p in settings.corpus]
    total_bytes = sum(sizes) if all(s is not None for s in sizes) else None

    dask_address = cluster_cli.address_for(dask_address, settings.objective != "classify" and not dry_run)
    if dask_address:  # before a cluster is started: what a cluster trains
        from ..cluster.train import check_settings

        check_settings(settings)

    from ..api import dry_run as do_dry_run, resume, run_training

    if dry_run and dask_address:
        raise UsageError("--dry-run estimates a run on this machine; drop --dask")
    if dry_run:
        with progress_bar("reading corpus", total_bytes, quiet=not show) as advance:
            info = do_dry_run(settings, corpus_progress=advance)
        if as_json:
            print_json(info)
        else:
            _render_dry_run(info, out_console if not quiet else err_console)
        return

    from ..heap import tune_malloc

    tune_malloc()  # process-wide allocator tuning: the command line's choice, not the library's
    with _TrainProgress(total_bytes, int(settings.epochs), show) as bar:
        try:
            if dask_address:
                result = cluster_cli.train(dask_address, settings, resume_dir, bar,
                                           make_parent=use_default and not output)
            elif resume_dir is not None:
                result = resume(resume_dir, settings, callback=bar, corpus_progress=bar.read)
            else:
                # the default config's models/default may not exist yet in a fresh checkout
                result = run_training(settings, callback=bar, corpus_progress=bar.read,
                                      make_parent=True, init_progress=bar.init_read)
        except KeyboardInterrupt:
            if bar.checkpoint is None:
                raise  # nothing was written: handle_errors says so
            # not 'nothing was written': the model directory holds this run's last checkpoint
            where = bar.checkpoint["checkpoint"]
            raise EmbedcliError(f"interrupted; {where} holds the checkpoint after epoch {bar.checkpoint['epoch']} "
                                f"(continue with: embedcli train --resume {shlex.quote(shown_path(where))})",
                                exit_code=130) from None
    if as_json:
        print_json(result.summary())
    elif not quiet:
        _render_summary(result.summary())

