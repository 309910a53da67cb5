"""``embedcli vocab --dask``: byte ranges counted as Dask tasks, merged in corpus order.

Each task counts one range with :func:`embedcli.counting.count_range` (the single-machine
code) and returns its :class:`~embedcli.partial.PartialCounts`; the client merges them in
corpus order with :func:`~embedcli.partial.combine_partials`. Counting a corpus cut at
newlines and merging in order is exactly counting it at once (see :mod:`embedcli.partial`), so
the vocabulary file is byte-for-byte the one of ``embedcli vocab`` on one machine, whatever the
cluster, the number of workers or the order the tasks finish in.
"""

from __future__ import annotations

from typing import Callable, Sequence

from ..errors import EmbedcliError
from ..counting import count_range
from ..partial import PartialCounts, combine_partials
from ..text import TextSettings
from . import sources, worker_count


def _count_task(job: tuple, settings: TextSettings, encoding_errors: str, positions: bool):
    """On a worker: the partial counts of one range, or the EmbedcliError it raised."""
    source, start, end = job
    try:
        with sources.local_range(source, start, end) as (path, a, b):
            counter = count_range(path, settings, a, b, encoding_errors=encoding_errors, positions=positions)
            return counter.result({"path": source, "start": start, "end": end})
    except EmbedcliError as exc:
        return exc


def count_on_cluster(
    client,
    paths: Sequence[str],
    settings: TextSettings = TextSettings(),
    *,
    encoding_errors: str = "strict",
    positions: bool = False,
    progress: Callable[[int], None] | None = None,
) -> list[PartialCounts]:
    """Partial counts of every range of ``paths``, in corpus order, counted on ``client``'s cluster.

    ``progress(n)`` receives the bytes of each range as it finishes. The first error in corpus
    order is raised (as on one machine).
    """
    from distributed import as_completed

    jobs = sources.plan(paths, worker_count(client))
    futures = client.map(_count_task, jobs, settings=settings, encoding_errors=encoding_errors,
                         positions=positions, pure=False)
    where = {f.key: i for i, f in enumerate(futures)}
    results: list = [None] * len(jobs)
    try:
        for future in as_completed(futures):
            i = where[future.key]
            results[i] = future.result()
            if progress is not None:
                progress(sources.job_bytes(jobs[i]))
    finally:
        client.cancel(futures)
    for r in results:  # the first error in corpus order wins
        if isinstance(r, EmbedcliError):
            raise r
    return results


def count_tokens_on_cluster(client, paths, settings=TextSettings(), *, encoding_errors="strict", progress=None):
    """``(Counter in first-appearance order, token total)``: :func:`embedcli.vocab.count_tokens` on a cluster."""
    merged = combine_partials(count_on_cluster(client, paths, settings, encoding_errors=encoding_errors,
                                               progress=progress))
    return merged.counter(), merged.total


def count_partial_on_cluster(client, paths, settings=TextSettings(), *, encoding_errors="strict",
                             offset=None, progress=None) -> PartialCounts:
    """:func:`embedcli.pool.count_partial` on a cluster (first positions kept, for merging later)."""
    from ..io import display_name

    merged = combine_partials(count_on_cluster(client, paths, settings, encoding_errors=encoding_errors,
                                               positions=True, progress=progress))
    merged.source = {"paths": [display_name(p) for p in paths]}
    merged.offset = offset
    return merged
