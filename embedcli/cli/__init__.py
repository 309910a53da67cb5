"""The ``embedcli`` command line (click + rich). Each command module only parses options,
calls the library and renders the result."""

from __future__ import annotations

import sys

import click

from .. import __version__
from ..peer_names import PEER_COMMANDS, PEER_KEYS, flag

# Command modules register their commands on import. They are imported when needed, so that
# `embedcli vocab` does not pay ~0.2 s for numpy, the trainer and the query code, nor `embedcli
# train` ~0.1 s for the other commands' modules: a command imports only its module; any other
# name (and --help) imports every module. (tests/test_cli_help.py checks this map.)
_COMMAND_MODULES = {"vocab": "vocab", "encode": "encode", "explore": "explore", "vectors": "vectors", "info": "info",
                    "train": "train", "show-table": "table", "predict": "predict", "test": "predict",
                    "similar": "query", "similarity": "query", "analogy": "query", "evaluate": "query",
                    "embed": "query"}
_ALL_MODULES = ("vocab", "encode", "table", "query", "predict", "train", "explore", "vectors", "info")


#: flags of gensim (Word2Vec/FastText keyword arguments as flags) and fastText's command line,
#: and the embedcli flag that does the same job: an unknown flag from this list is answered with
#: embedcli's name instead of click's nearest spelling (``--size`` is not ``--max-size``). The
#: peers' names come from :data:`embedcli.peer_names.PEER_KEYS` (as ``--name``, ``--na-me`` and
#: fastText's ``-name``), then fastText's one-dash spelling of embedcli's own flags
PEER_FLAGS = {
    form: flag(ours)
    for peer, ours in PEER_KEYS.items()
    for form in ("--" + peer, "--" + peer.replace("_", "-"), "-" + peer)
}
PEER_FLAGS.update({"-dim": "--dim", "-lr": "--lr", "-window": "--window", "-negative": "--negative", "-seed": "--seed",
                   "-epochs": "--epochs", "--min_count": "--min-count", "--word_ngrams": "--word-ngrams",
                   "-output": "-o"})
#: fastText's flags for what embedcli takes as an argument (``fasttext supervised -input FILE``):
#: flag -> the command's argument
PEER_ARGUMENTS = {"-input": "corpus", "--input": "corpus"}
#: what fastText's positional arguments after the files are here: command -> the hint
PEER_EXTRA_ARGUMENTS = {"test": "fastText's 'test MODEL FILE k' is 'embedcli test MODEL FILE -k K'"}


class _Command(click.Command):
    def parse_args(self, ctx, args):
        known = {opt for param in self.get_params(ctx) for opt in getattr(param, "opts", [])
                 + getattr(param, "secondary_opts", [])}
        for arg in args:
            if arg == "--":
                break
            name = arg.split("=", 1)[0]
            ours = PEER_FLAGS.get(name)
            if ours is not None and name not in known and ours in known:
                raise click.NoSuchOption(name, message=f"No such option: {name} (embedcli calls it {ours})", ctx=ctx)
            argument = PEER_ARGUMENTS.get(name)
            if argument is not None and name not in known:
                for param in self.get_params(ctx):
                    if isinstance(param, click.Argument) and param.name == argument:
                        raise click.NoSuchOption(name, ctx=ctx, message=(
                            f"No such option: {name} (give {param.human_readable_name.strip('[].')} as an "
                            f"argument: embedcli {self.name} FILE)"))
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:  # fastText's positional k: 'test MODEL FILE 5'
            if PEER_EXTRA_ARGUMENTS.get(self.name) and "unexpected extra argument" in exc.message:
                raise click.UsageError(f"{exc.message} ({PEER_EXTRA_ARGUMENTS[self.name]})", ctx) from None
            raise


class _LazyGroup(click.Group):
    command_class = _Command

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        """Like click's, but a usage error is one line: ``Error: ... (see 'embedcli CMD --help')``."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as exc:
            command = exc.ctx.command_path if exc.ctx is not None else "embedcli"
            command = "embedcli" + command[len(exc.ctx.find_root().info_name):] if exc.ctx is not None else command
            click.echo(f"Error: {exc.format_message()} (see '{command} --help')", err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.exceptions.Abort:
            click.echo("Error: interrupted; nothing was written (existing outputs are unchanged)", err=True)
            sys.exit(130)
        sys.exit(rv if isinstance(rv, int) else 0)

    def _import(self, names) -> None:
        import importlib

        for name in names:
            importlib.import_module(f"{__name__}.{name}")

    def get_command(self, ctx, cmd_name):
        cmd = super().get_command(ctx, cmd_name)
        if cmd is None:
            module = _COMMAND_MODULES.get(cmd_name)
            self._import([module] if module else _ALL_MODULES)
            cmd = super().get_command(ctx, cmd_name)
            if cmd is None and module:
                self._import(_ALL_MODULES)
                cmd = super().get_command(ctx, cmd_name)
        return cmd

    def resolve_command(self, ctx, args):
        name = args[0] if args else None
        if name in PEER_COMMANDS and self.get_command(ctx, name) is None:
            raise click.UsageError(f"No such command '{name}' (fastText's {name} is {PEER_COMMANDS[name]})", ctx)
        return super().resolve_command(ctx, args)

    def list_commands(self, ctx):
        self._import(_ALL_MODULES)
        return super().list_commands(ctx)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "-V", "--version", prog_name="embedcli")
@click.option("--debug", is_flag=True, envvar="EMBEDCLI_DEBUG", help="Show tracebacks for errors.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """embedcli: see and own word embeddings, from the command line.

    \b
    A vocabulary turns phrases into integer ids, an embedding table maps each id to a row:
      embedcli vocab sample_data/corpus.txt -o vocab.json
      embedcli encode -v vocab.json "Nice to see you again"
      embedcli train                       # trains on the sample data (configs/default.yaml)
      embedcli show-table models/default --phrase "Nice to see you again"
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


