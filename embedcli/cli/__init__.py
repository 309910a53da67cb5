"""The ``embedcli`` command line (click + rich). Each command module only parses options,
calls the library and renders the result."""

from __future__ import annotations

import click

from .. import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
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


from . import vocab as _vocab  # noqa: E402,F401  (registers commands)
from . import encode as _encode  # noqa: E402,F401
from . import table as _table  # noqa: E402,F401
from . import predict as _predict  # noqa: E402,F401
from . import train as _train  # noqa: E402,F401
