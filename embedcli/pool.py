"""Counting a corpus in several processes: shards counted in parallel, merged in corpus order.

``embedcli vocab --workers N`` cuts the input into N byte ranges at newlines
(:func:`embedcli.shards.plan_jobs`); the first is counted in this process while the others are
counted in spawned processes; the partial counts are merged in order
(:func:`embedcli.partial.combine_partials`), which gives exactly the counts and first-appearance
order of one pass.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections import Counter
from typing import Callable, Sequence

from . import io as eio
from .counting import count_range
from .errors import EmbedcliError
from .io import STDIO, display_name
from .partial import PartialCounts, combine_partials, merge_partials
from .shards import plan_jobs
from .text import TextSettings

PARALLEL_MIN_BYTES = 8 << 20  # below this much input one process is faster than starting workers

_shared_progress = None


def _init_worker(progress_value) -> None:
    global _shared_progress
    _shared_progress = progress_value


def _advance_shared(n: int) -> None:
    with _shared_progress.get_lock():
        _shared_progress.value += n


def _count_job(job: tuple) -> PartialCounts | EmbedcliError:
    path, start, end, settings, encoding_errors, positions = job
    try:
        counter = count_range(
            path, settings, start, end, encoding_errors=encoding_errors, positions=positions,
            progress=_advance_shared if _shared_progress is not None else None,
        )
    except EmbedcliError as exc:
        return exc
    return counter.result({"path": os.fspath(path), "start": start, "end": end})


@contextlib.contextmanager
def spawned_workers_skip_main_script():
    """Keep spawned workers (this pool's, a Dask LocalCluster's) from re-running ``__main__``.

    The ``spawn`` start method imports the parent's main script in every worker (for the
    ``embedcli`` command that is the whole command line: click, rich, numpy...). The workers
    only need embedcli's task functions, so the script path is hidden while they start.
    """
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    path = getattr(main, "__file__", None)
    if main is None or spec is not None or path is None:
        yield
        return
    del main.__file__
    try:
        yield
    finally:
        main.__file__ = path


def _text_bytes(path) -> int | None:
    """About how many bytes of text an input holds (a compressed file: 4x its size), None for stdin."""
    if path == STDIO:
        return None
    size = eio.input_size(path)
    if size is None and eio.compression_of(path) is not None:
        return 4 * os.path.getsize(path)
    return size


def count_parallel(
    paths: Sequence[str | os.PathLike],
    settings: TextSettings = TextSettings(),
    *,
    workers: int = 1,
    encoding_errors: str = "strict",
    positions: bool = False,
    progress: Callable[[int], None] | None = None,
) -> list[PartialCounts]:
    """Count shards of ``paths`` in up to ``workers`` processes; partial counts in corpus order.

    The first shard is counted in this process while ``workers - 1`` spawned processes count
    the others; standard input is always counted here. Directories stand for their files; a
    compressed file is one job (decompressed as it is counted).
    """
    paths = eio.expand_inputs(paths)
    sizes = [_text_bytes(p) for p in paths]
    if all(size is not None for size in sizes) and sum(sizes) < PARALLEL_MIN_BYTES:
        workers = 1
    jobs = [(p, a, b, settings, encoding_errors, positions) for p, a, b in plan_jobs(paths, workers)]
    if workers <= 1 or len(jobs) == 1 or any(p == STDIO for p, *_ in jobs):
        results: list = []
        for job in jobs:
            p, a, b = job[:3]
            try:
                counter = count_range(p, settings, a, b, encoding_errors=encoding_errors, positions=positions,
                                      progress=progress)
            except EmbedcliError as exc:
                results.append(exc)
                break
            results.append(counter.result({"path": p, "start": a, "end": b}))
    else:
        import multiprocessing as mp
        import time

        ctx = mp.get_context("spawn")
        shared = ctx.Value("q", 0)
        with spawned_workers_skip_main_script():
            pool = ctx.Pool(min(workers - 1, len(jobs) - 1), initializer=_init_worker, initargs=(shared,))
        try:
            pending = pool.map_async(_count_job, jobs[1:], chunksize=1)
            seen = 0

            def report(n: int) -> None:  # own progress plus what the workers counted meanwhile
                nonlocal seen
                if progress is not None:
                    now = shared.value
                    progress(n + now - seen)
                    seen = now

            p, a, b = jobs[0][:3]
            try:
                counter = count_range(p, settings, a, b, encoding_errors=encoding_errors, positions=positions,
                                      progress=report)
                head = counter.result({"path": p, "start": a, "end": b})
            except EmbedcliError as exc:
                head = exc
            while not pending.ready():
                pending.wait(0.1)
                report(0)
            results = [head] + pending.get()
            report(0)
            time.sleep(0)
        finally:
            pool.terminate()
            pool.join()
    for r in results:  # the first error in corpus order wins
        if isinstance(r, EmbedcliError):
            raise r
    return results


def count_partial(
    paths: Sequence[str | os.PathLike],
    settings: TextSettings = TextSettings(),
    *,
    encoding_errors: str = "strict",
    positions: bool = True,
    workers: int = 1,
    offset: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> PartialCounts:
    """Partial counts of the files ``paths`` read one after the other (one shard of a corpus)."""
    parts = count_parallel(
        paths, settings, workers=workers, encoding_errors=encoding_errors, positions=positions, progress=progress
    )
    merged = combine_partials(parts)
    merged.source = {"paths": [display_name(p) for p in paths]}
    merged.offset = offset
    return merged


def count_tokens_fast(
    paths: Sequence[str | os.PathLike],
    settings: TextSettings = TextSettings(),
    *,
    workers: int = 1,
    encoding_errors: str = "strict",
    progress: Callable[[int], None] | None = None,
) -> tuple[Counter, int]:
    """Counts (first-appearance order) and token total of the corpus, in ``workers`` processes."""
    parts = count_parallel(paths, settings, workers=workers, encoding_errors=encoding_errors, progress=progress)
    return merge_partials(parts)
