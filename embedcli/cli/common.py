"""Shared pieces of the command line: option decorators, error handling, rendering.

Commands stay thin: parse options, call the library, render with rich. Library errors
(:class:`embedcli.errors.EmbedcliError`) become one line on stderr and a non-zero exit
(2 for usage errors, 1 for data errors, 130 for Ctrl-C); a traceback only with ``--debug``
or ``EMBEDCLI_DEBUG=1``.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import signal
import sys
from typing import Any, Callable, Iterator

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from ..errors import EmbedcliError, UsageError
from ..io import STDIO


class _Console(Console):
    """A rich console that, when its stream is not a terminal (a log file, a pipe), writes plain
    lines: no wrapping at 80 columns, no trailing spaces (tables pad their cells), no ANSI codes
    (rich leaves colours out without a terminal)."""

    @property
    def soft_wrap(self) -> bool:
        return not self.is_terminal

    @soft_wrap.setter
    def soft_wrap(self, value: bool) -> None:  # set by Console.__init__; decided per stream instead
        pass

    def _render_buffer(self, buffer) -> str:
        text = super()._render_buffer(buffer)
        if self.is_terminal:
            return text
        return "\n".join(line.rstrip() for line in text.split("\n"))


# emoji=False: ":smile:" in a file name or a word is printed as it is, not as an emoji
err_console = _Console(stderr=True, highlight=False, emoji=False)

#: library parameter -> the command line's name for it on every command, where that is not the
#: command's own option of that name (see :func:`command_flags`)
FLAGS = {"output": "-o", "address": "--dask"}  # address: of a Dask scheduler (embedcli.cluster)
out_console = _Console(highlight=False, emoji=False)


def debug_enabled() -> bool:
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        root = ctx.find_root()
        if root.obj and root.obj.get("debug"):
            return True
    return os.environ.get("EMBEDCLI_DEBUG", "") not in ("", "0")


def fail(message: str, code: int = 1) -> None:
    """Print one error line and exit with ``code``."""
    err_console.print(f"[bold red]Error:[/] {message}", markup=True, highlight=False, soft_wrap=True)
    sys.exit(code)


def _sigterm_to_interrupt(signum, frame):  # pragma: no cover - exercised by the SIGTERM test
    raise KeyboardInterrupt


def command_flags(ctx: click.Context | None) -> dict[str, str]:
    """How the command being run names the library's parameters: each option's destination
    (``plot_path`` -> ``--plot``, ``k`` -> ``-k``) and each long flag's own name (``--topn`` ->
    ``topn``) give the flag, then :data:`FLAGS`. A parameter not listed shows as ``--`` + its name
    with ``-`` for ``_`` (:meth:`embedcli.errors.EmbedcliError.cli_message`)."""
    flags: dict[str, str] = {}
    command = ctx.command if ctx is not None else None
    command = getattr(command, "default", command)  # DefaultGroup: the default command's options
    for param in getattr(command, "params", ()):
        if not isinstance(param, click.Option) or not param.name:
            continue
        own = "--" + param.name.replace("_", "-")
        flags[param.name] = own if own in param.opts else param.opts[0]
        for opt in param.opts:
            if opt.startswith("--"):
                flags.setdefault(opt[2:].replace("-", "_"), opt)
    flags.update(FLAGS)
    return flags


@contextlib.contextmanager
def flags_for(**names: str) -> Iterator[None]:
    """Name parameters for the library call in the block, where the command's options do not:
    ``with flags_for(path="--plot"): emb.plot(plot_path)`` shows ``path`` as ``--plot``."""
    try:
        yield
    except EmbedcliError as exc:
        exc.flags = {**names, **getattr(exc, "flags", {})}
        raise


def handle_errors(fn: Callable) -> Callable:
    """Turn library errors into one clear line and an exit code; Ctrl-C/SIGTERM into 130."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        old = None
        with contextlib.suppress(ValueError):  # not in the main thread (e.g. some test runners)
            old = signal.signal(signal.SIGTERM, _sigterm_to_interrupt)
        try:
            return fn(*args, **kwargs)
        except EmbedcliError as exc:
            if debug_enabled():
                raise
            flags = {**command_flags(click.get_current_context(silent=True)), **getattr(exc, "flags", {})}
            fail(escape(exc.cli_message(flags)), exc.exit_code)
        except KeyboardInterrupt:
            if debug_enabled():
                raise
            fail("interrupted; nothing was written (existing outputs are unchanged)", 130)
        except MemoryError as exc:  # e.g. --dim or --buckets far beyond this machine: numpy names the shape
            if debug_enabled():
                raise
            fail(escape(f"not enough memory: {exc or 'an allocation failed'}; nothing was written"), 1)
        except BrokenPipeError:
            with contextlib.suppress(Exception):
                sys.stdout = open(os.devnull, "w")
            sys.exit(1)
        finally:
            if old is not None:
                with contextlib.suppress(ValueError):
                    signal.signal(signal.SIGTERM, old)

    return wrapper


def escape(text: str) -> str:
    from rich.markup import escape as _escape

    return _escape(text)


class DefaultGroup(click.Group):
    """A group whose arguments go to a ``default`` command unless they start with the name of one
    of its subcommands (sqlite-utils' ``DefaultGroup`` pattern): ``embedcli vocab CORPUS...`` and
    ``embedcli vocab merge PARTS...``. Help, usage and errors of the default command read
    ``embedcli vocab ...``; its help ends with the list of subcommands."""

    def __init__(self, name: str, *, default: click.Command, **attrs):
        attrs.setdefault("no_args_is_help", False)
        super().__init__(name, help=default.help, short_help=default.short_help, **attrs)
        self.default = default

    def _use_default(self, ctx: click.Context, args: list[str]) -> bool:
        return not args or args[0] not in self.commands

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if self._use_default(ctx, args):
            ctx.meta[("embedcli.default", id(ctx))] = True
            # options may follow arguments, as for a command (a group's context stops at the first one)
            ctx.allow_interspersed_args = self.default.allow_interspersed_args
            return self.default.parse_args(ctx, args)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context):
        if ctx.meta.get(("embedcli.default", id(ctx))):
            return ctx.invoke(self.default.callback, **ctx.params)
        return super().invoke(ctx)

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self.default.format_help(ctx, formatter)
        self.format_commands(ctx, formatter)


# -- option decorators ---------------------------------------------------------------------
def json_option(fn: Callable) -> Callable:
    return click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON on stdout.")(fn)


def quiet_option(fn: Callable) -> Callable:
    return click.option("-q", "--quiet", is_flag=True,
                        help="No progress and no summary, only data and errors. (Progress goes to stderr; the "
                             "summary to stdout, or to stderr when the data itself goes to stdout.)")(fn)


def encoding_errors_option(fn: Callable) -> Callable:
    return click.option(
        "--encoding-errors",
        type=click.Choice(["strict", "replace", "ignore"]),
        default="strict",
        show_default=True,
        help="What to do with invalid UTF-8: stop naming the line, replace it with U+FFFD, or drop it.",
    )(fn)


def tabular_options(labels: bool = False) -> Callable:
    """--input-format, --text-column (and --label-column for a classifier's inputs)."""

    def decorate(fn: Callable) -> Callable:
        options = [
            click.option("--input-format", type=click.Choice(["auto", "text", "csv", "tsv", "jsonl"]), default="auto",
                         show_default=True,
                         help="auto: .csv, .tsv and .jsonl files (compressed too) are tables, anything else text."),
            click.option("--text-column", metavar="NAME|INDEX",
                         help="Tables: the column holding the text (a header name, or a 0-based index) "
                              "[default: 'text', or the only column]."),
        ]
        if labels:
            options.append(click.option(
                "--label-column", metavar="NAME|INDEX",
                help="Tables: the column holding the label (instead of __label__ words in the text)."))
        for option in reversed(options):
            fn = option(fn)
        return fn

    return decorate


def args_or_stdin(args: tuple[str, ...], input_path, what: str = "phrases",
                  metavar: str = "PHRASE") -> tuple[tuple[str, ...], object]:
    """``(args, input_path)``, where a lone ``-`` argument means ``-i -``: like ``cat -``, read
    ``what`` from stdin (a phrase or word ``-`` would have no word anyway). ``-`` among other
    arguments, or with ``-i``, is a usage error. ``input_path``: the ``-i`` value(s) given, if any."""
    if STDIO not in args:
        return args, input_path
    if len(args) > 1:
        raise UsageError(f"'-' (the {what} from stdin) cannot be mixed with {metavar} arguments")
    if input_path:
        raise UsageError(f"give {what} as arguments ('-' for stdin) or with -i/--input, not both")
    return (), STDIO


def decoded_args(args: tuple[str, ...], encoding_errors: str, metavar: str = "PHRASE") -> tuple[str, ...]:
    """``args`` as text, read as a file's lines are with ``--encoding-errors``: an argument of
    invalid UTF-8 (Python holds each such byte of argv as a lone surrogate, which no UTF-8
    output can write) stops naming it (``PHRASE 2: invalid UTF-8 (byte 0xe9)``), or has the
    bytes replaced with U+FFFD or dropped."""
    from ..io import decode_utf8

    out = []
    for n, arg in enumerate(args, 1):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            arg = decode_utf8(arg.encode("utf-8", "surrogateescape"), encoding_errors, lambda _: f"{metavar} {n}")
        out.append(arg)
    return tuple(out)


def counted(n: int, noun: str) -> str:
    """``1 row``, ``2,000 rows``: a count and its noun (plural by an ``s``)."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def positive_int(name: str, value: int | None, minimum: int = 1) -> None:
    if value is not None and value < minimum:
        raise UsageError(f"{name} must be at least {minimum} (got {value})")


# -- output ----------------------------------------------------------------------------------
def print_key_values(console: Console, rows: list[tuple[str, str]]) -> None:
    """Two aligned columns (label, value; both rich markup): a rich table on a
    terminal, plain whole lines elsewhere (a log file must not get values wrapped at 80 columns)."""
    if console.is_terminal:
        from rich.table import Table

        table = Table(show_header=False, box=None, pad_edge=False)
        for key, value in rows:
            table.add_row(key, value)
        console.print(table)
        return
    from rich.text import Text

    shown = [Text.from_markup(key).cell_len for key, _ in rows]
    width = max(shown, default=0)
    for (key, value), n in zip(rows, shown):
        console.print(f"{key}{' ' * (width - n)}  {value}")


def print_json(obj: Any) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False))


@contextlib.contextmanager
def progress_bar(
    description: str, total: float | None, *, quiet: bool = False, unit: str = "bytes"
) -> Iterator[Callable[[float], None]]:
    """A rich progress bar on stderr; yields ``advance(n)``. Silent with ``quiet`` or no TTY."""
    if quiet or not err_console.is_terminal:
        yield lambda n: None
        return
    size_column = DownloadColumn() if unit == "bytes" else MofNCompleteColumn()
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        size_column,
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    ) as progress:
        task = progress.add_task(description, total=total)
        yield lambda n: progress.advance(task, n)


# -- lines shared by the summaries of train, train --dry-run and info ---------------------------
def human_size(n: int) -> str:
    """``812.3 kB``, ``4.2 MB``: decimal units, as ``ls -lh --si`` and file managers show."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:,.1f} {unit}"
    return f"{n} bytes"


def shown_path(path: str) -> str:
    """``path`` relative to the current directory when it is inside it (shorter to copy)."""
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


def subwords_line(sub: dict) -> str:
    """``character 3-6-grams in 151,234 buckets (151,234 distinct n-grams in the vocabulary)``."""
    line = f"character {sub['minn']}-{sub['maxn']}-grams in {sub['buckets']:,} hash buckets"
    if sub.get("distinct_ngrams") is not None:
        line += f" ({sub['distinct_ngrams']:,} distinct n-grams in the vocabulary)"
    return line


def init_line(init: dict) -> str:
    """``initialised 1,024 of 1,186 word rows from glove.txt (glove, frozen)``."""
    how = init["format"] + (", frozen" if init.get("frozen") else "")
    return (f"initialised {init['found']:,} of {init['rows']:,} word rows from "
            f"{shown_path(init['file'])} ({how})")


def continued_line(cont: dict) -> str:
    """``models/v1 after 5 epochs; 1,204 words added to its 5,277``."""
    return (f"{shown_path(cont['model'])} after {cont['epochs_before']} epochs; {cont['words_added']:,} words "
            f"added to its {cont['vocab_before']:,}")
