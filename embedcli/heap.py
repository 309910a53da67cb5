"""The process heap (glibc's allocator): tuned for training, handed back between phases, forked without copies.

:func:`tune_malloc` keeps the trainer's freed temporaries in the heap (opt-in: process-wide).

Encoding a corpus allocates and frees many short-lived objects (a chunk's tokens, its id
arrays); glibc keeps the freed blocks in its heap, counted in the resident size, until they are
reused. :func:`trim` returns them (glibc's ``malloc_trim``; a no-op elsewhere), so the next phase
starts from what is really in use.

Forked worker processes share the parent's pages until one of them writes a page; then the
writer gets a private copy and the other keeps the original, so every page of the parent's heap
that either side touches after the fork is there twice. :func:`before_fork` makes that small:
free heap pages go back to the system (nothing there to be copied), and the objects alive at the
fork are frozen (:func:`gc.freeze`) so that the children's garbage collector never walks them
(its bookkeeping writes into every object it visits, which would copy all the pages holding
Python objects into each child).
"""

from __future__ import annotations

import ctypes
import gc
import os
import sys
from contextlib import contextmanager
from typing import Iterator


def glibc():
    """glibc (``libc.so.6``) on Linux, else None: the one place embedcli loads the C library."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:
        return None


def trim() -> bool:
    """Return the heap's free memory to the system (glibc ``malloc_trim(0)``); False when not glibc."""
    libc = glibc()
    try:
        return libc is not None and bool(libc.malloc_trim(0))
    except AttributeError:
        return False


def tune_malloc() -> bool:
    """Keep freed NumPy temporaries in the heap instead of returning them to the system.

    Each batch allocates and frees the same few-MB temporaries; glibc's default gives large
    blocks back with ``munmap``/trim and the next batch page-faults them in again, which
    measured at ~40% of the batch time here. Process-wide, glibc (Linux) only, no-op elsewhere.
    Not a library side effect: ``embedcli train`` calls it, and library users opt in by calling
    it or by setting ``EMBEDCLI_TUNE_MALLOC=1`` (see :func:`tune_malloc_if_asked`).
    """
    libc = glibc()
    if libc is None:
        return False
    try:
        ok = libc.mallopt(-3, 1 << 25)  # M_MMAP_THRESHOLD: 32 MiB (the maximum)
        ok &= libc.mallopt(-1, 1 << 30)  # M_TRIM_THRESHOLD
        ok &= libc.mallopt(-2, 1 << 26)  # M_TOP_PAD
        return bool(ok)
    except AttributeError:
        return False


def tune_malloc_if_asked() -> bool:
    """:func:`tune_malloc` when the environment variable ``EMBEDCLI_TUNE_MALLOC`` is set (not 0)."""
    if os.environ.get("EMBEDCLI_TUNE_MALLOC", "0") not in ("", "0"):
        return tune_malloc()
    return False


@contextmanager
def before_fork() -> Iterator[None]:
    """Around forking worker processes: collect and trim, freeze the objects alive now (in the
    children they stay frozen: never walked by their collector), unfreeze them in the parent after."""
    gc.collect()
    trim()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
