"""The process heap between phases: hand freed memory back to the system, and fork without copies.

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
import sys
from contextlib import contextmanager
from typing import Iterator


def trim() -> bool:
    """Return the heap's free memory to the system (glibc ``malloc_trim(0)``); False when not glibc."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        return bool(ctypes.CDLL("libc.so.6").malloc_trim(0))
    except (OSError, AttributeError):
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
