"""Run embedcli on a Dask cluster: count, encode and train with ``--dask ADDRESS``.

This package is the only part of embedcli that imports ``dask`` / ``distributed`` (the optional
``embedcli[dask]`` extra), and only when a cluster is asked for: ``import embedcli`` and every
command without ``--dask`` never load them.

``ADDRESS`` is a scheduler address (``tcp://10.0.0.5:8786``) or ``local[:N]``: a
``distributed.LocalCluster`` of ``N`` worker processes (one thread each) started on 127.0.0.1
for the duration of the command (``N`` defaults to the number of cores). The environment
variable ``EMBEDCLI_DASK`` gives the default address.

What runs where (see ``docs/scaling.md``):

* :mod:`.count` — ``vocab``: files and byte ranges counted as tasks, merged on the client in
  corpus order: the same vocabulary file as one machine.
* :mod:`.encode` — ``encode``: byte ranges encoded on the workers and assembled into the same
  ``.npy`` as one machine, or written by the workers as a directory of parts plus an index.
* :mod:`.train` — ``train``: the single-machine rounds of skip-gram/CBOW computed on the cluster (the same bytes).

Inputs (:mod:`.sources`) are local paths that the workers can read (a shared file system; a
``local`` cluster shares this machine's) or fsspec URLs (``s3://``, ``gs://``, ``hdfs://``,
``file://``) for which the workers have the fsspec backend installed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from typing import Iterator

from ..errors import EmbedcliError, ParameterError, UsageError
from ..pool import spawned_workers_skip_main_script

ENV = "EMBEDCLI_DASK"
INSTALL_HINT = "pip install 'embedcli[dask]'"
CONNECT_TIMEOUT = 30  # seconds to reach a scheduler before giving up


def require_dask() -> None:
    """Import dask and distributed, or fail with one line saying how to install them."""
    try:
        import dask  # noqa: F401
        import distributed  # noqa: F401
    except ImportError as exc:
        raise UsageError(f"running on Dask needs the optional dask extra ({exc.name} is not installed): "
                         f"{INSTALL_HINT}") from None


def parse_address(address: str) -> tuple[str, int | None]:
    """``("local", N)`` for ``local`` / ``local:N`` / ``local[N]``, else ``("remote", None)``.

    A remote address must name a protocol and a host (``tcp://HOST:PORT``); a bare
    ``HOST:PORT`` is taken as ``tcp://HOST:PORT``.
    """
    a = address.strip()
    if a == "local" or a.startswith("local:") or a.startswith("local["):
        rest = a[len("local"):].strip(":[]")
        if not rest:
            return "local", None
        try:
            n = int(rest)
        except ValueError:
            raise ParameterError("{address} {value}: expected local or local:N with N a number of worker processes",
                                 "address", value=address) from None
        if n < 1:
            raise ParameterError("{address} {value}: the number of worker processes must be at least 1", "address",
                                 value=address)
        return "local", n
    if not a or " " in a:
        raise ParameterError("{address} {value!r}: expected a scheduler address like tcp://127.0.0.1:8786 or local:N",
                             "address", value=address)
    return "remote", None


def normalize_address(address: str) -> str:
    return address if "://" in address else f"tcp://{address}"


def _cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


@contextlib.contextmanager
def connect(address: str | None) -> Iterator["distributed.Client"]:  # noqa: F821
    """A ``distributed.Client`` for ``address`` (or ``$EMBEDCLI_DASK``), closed on exit.

    ``local[:N]`` starts a LocalCluster of N single-threaded worker processes on 127.0.0.1
    (stopped on exit); any other address connects to a running scheduler.
    """
    address = address or os.environ.get(ENV)
    if not address:
        raise ParameterError("no Dask scheduler given: pass {address} or set {env}", "address", env=ENV)
    kind, n = parse_address(address)
    require_dask()
    import logging

    from distributed import Client, LocalCluster

    logging.getLogger("distributed").setLevel(logging.ERROR)
    # the client's own connection errors ("Failed to reconnect to scheduler") end the command,
    # which says so in its one error line
    logging.getLogger("distributed.client").setLevel(logging.CRITICAL)
    if kind == "local":
        import dask

        # Ctrl-C reaches the whole foreground process group, the local workers too: they ignore
        # it (the command handles it and stops them), inherited while they start, and set again
        # by the preload (dask_setup below) in a worker that the nanny restarts later
        preload = [*dask.config.get("distributed.worker.preload", []), __name__]
        with spawned_workers_skip_main_script(), _sigint_ignored():
            cluster = LocalCluster(n_workers=n or _cores(), threads_per_worker=1, processes=True,
                                   host="127.0.0.1", dashboard_address="127.0.0.1:0",
                                   silence_logs=logging.ERROR, preload=preload)
        try:
            with Client(cluster) as client:
                yield client
        finally:
            cluster.close()
        return
    target = normalize_address(address)
    try:
        client = Client(target, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError) as exc:
        raise EmbedcliError("{address} {value}: cannot reach the scheduler ({exc})", "address", value=address,
                            exc=str(exc)) from None
    except ValueError as exc:  # distributed's parse of the address: no port, a port not a number, http://...
        raise ParameterError("{address} {value}: not a scheduler address ({exc}); expected tcp://HOST:PORT or local:N",
                             "address", value=address, exc=str(exc)) from None
    try:
        if not client.nthreads():
            client.wait_for_workers(1, timeout=CONNECT_TIMEOUT)
        yield client
    except TimeoutError:
        raise EmbedcliError("{address} {value}: the scheduler has no workers (waited {wait}s)", "address",
                            value=address, wait=CONNECT_TIMEOUT) from None
    finally:
        client.close()


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    """SIGINT ignored in this process meanwhile (only the main thread may change it)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)


def dask_setup(worker) -> None:
    """Worker preload of a ``local`` cluster: Ctrl-C is the command's to handle, not the worker's."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def worker_count(client) -> int:
    """Threads across the cluster's workers (the parallelism a job can use)."""
    return max(1, sum(client.nthreads().values()))
