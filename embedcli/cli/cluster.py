"""``--dask ADDRESS`` for vocab, encode and train: the option and the calls into :mod:`embedcli.cluster`
(``vocab --dask`` passes the address to :meth:`embedcli.Vocab.build` / :meth:`~embedcli.Vocab.count_shard`).

Importing this module does not import dask; :func:`embedcli.cluster.connect` does, when a
command is actually given an address (or ``EMBEDCLI_DASK`` is set).
"""

from __future__ import annotations

import click
from click.core import ParameterSource

from ..cluster import ENV


def dask_option(fn):
    return click.option(
        "--dask", "dask_address", metavar="ADDRESS", envvar=ENV, default=None,
        help="Run on a Dask cluster: a scheduler address (tcp://HOST:8786) or local[:N] for N local worker "
             f"processes [default: ${ENV}]. Inputs may be URLs the workers can read (s3://, gs://, file://...). "
             "Needs pip install 'embedcli[dask]'.",
    )(fn)


def address_for(dask_address: str | None, cluster_job: bool) -> str | None:
    """The address to run on: ``dask_address``, or None when it came from ``$EMBEDCLI_DASK`` (not
    typed) and the job is one a cluster does not run (phrases, stdin, a .csv, a classifier...): the
    environment gives a default for cluster jobs and leaves the others to this machine. A typed
    ``--dask`` is kept, and such a job is then refused by name."""
    if dask_address and not cluster_job:
        ctx = click.get_current_context(silent=True)
        if ctx is not None and ctx.get_parameter_source("dask_address") is ParameterSource.ENVIRONMENT:
            return None
    return dask_address


def encode_on_cluster(phrases, input_path, output, fmt, show_tokens, parts) -> bool:
    """Whether :func:`encode` can run this ``encode`` (a file or URL into a .npy, or into parts)."""
    from ..io import STDIO

    inputs = input_path if isinstance(input_path, list) else [input_path]
    return bool(not phrases and not show_tokens and input_path and STDIO not in inputs and output
                and output != STDIO and (parts or fmt == "npy" or (fmt == "auto" and output.lower().endswith(".npy"))))


def encode(dask_address, phrases, vocab_path, input_path, output, fmt, maxlen, padding, truncating, pad_value,
           oov, show_tokens, encoding_errors, parts, as_json, quiet) -> None:
    """``embedcli encode --dask``: a file or URL into one .npy, or (``--parts``) a directory of parts."""

    from ..errors import UsageError
    from ..io import STDIO, check_writable
    from ..sources import Files
    from ..vocab import Vocab
    from .common import progress_bar
    from .encode import _pad_note, _report

    if phrases or show_tokens or not input_path or input_path == STDIO:
        raise UsageError("--dask encodes a file or URL given with -i FILE (not phrases, --show-tokens or stdin)")
    if not output or output == STDIO:
        raise UsageError("--dask writes -o FILE.npy (or -o DIR with --parts)")
    if parts:
        if fmt not in ("auto", "npy"):
            raise UsageError("--parts writes .npy parts; drop --format")
    elif fmt != "npy" and not (fmt == "auto" and output.lower().endswith(".npy")):
        raise UsageError("--dask writes a .npy file (-o FILE.npy), or a directory of parts with --parts")
    if not parts:
        check_writable(output)
    vocab = Vocab.load(vocab_path)
    with progress_bar("encoding", None, quiet=quiet, unit="lines") as advance:
        summary = vocab.encode_to(output, Files(input_path if isinstance(input_path, list) else [input_path]), format="npy", maxlen=maxlen, padding=padding,
                                  truncating=truncating, pad_value=pad_value, oov=oov,
                                  encoding_errors=encoding_errors, progress=advance, dask=dask_address, parts=parts)
    if quiet:
        return
    if pad_value is None and vocab.pad_id is None:  # padded with a word's id
        _pad_note(vocab_path, vocab, vocab.default_pad_value(), summary)
    # the keys of one machine's summary, in its order, then the cluster's
    summary = {"output": output, "rows": summary["rows"], "maxlen": summary["maxlen"],
               "format": "npy-parts" if parts else "npy", **summary}
    _report(summary, as_json, oov or vocab.default_oov(),
            what=f"{summary['parts']} parts + index.json" if parts else None)


def train(dask_address, settings, resume_dir, bar, make_parent: bool):
    """``embedcli train --dask``: skip-gram/CBOW trained data-parallel on the cluster."""
    from ..cluster import connect
    from ..cluster.train import train_on_cluster

    with connect(dask_address) as client:
        if resume_dir is not None:
            return train_on_cluster(client, settings, resume_dir=resume_dir, callback=bar, corpus_progress=bar.read)
        return train_on_cluster(client, settings, callback=bar, corpus_progress=bar.read, make_parent=make_parent,
                                init_progress=bar.init_read)
