"""Which BLAS computes numpy's matrix products in this process, for the known-answer digests of
trained tables (test_cli_same_bytes.py).

A table's bytes depend on the seed, the settings and the order in which the float32 products
are summed. embedcli fixes everything but the last: numpy hands the products to its BLAS, and
OpenBLAS (numpy's wheels) picks a kernel per CPU family (``SkylakeX`` on an AVX-512 server,
``Haswell`` on an AVX2 laptop or a Zen), each summing in its own order. So the recorded digests
are per kernel, and ``OPENBLAS_CORETYPE`` (read when numpy loads OpenBLAS) makes a CPU run
another family's kernel: the same bytes on every x86-64 machine that can run it.
"""

from __future__ import annotations

import ctypes
import re

import numpy as np

#: the CPU feature (numpy's names) each OpenBLAS kernel needs
KERNEL_NEEDS = {"SkylakeX": "AVX512F", "Haswell": "AVX2", "Sandybridge": "AVX", "Nehalem": "SSE42"}


def openblas() -> tuple[str, str] | None:
    """``(version, kernel)`` of the OpenBLAS numpy loaded (``("0.3.31", "SkylakeX")``), or None
    for another BLAS (Accelerate, MKL) or where the library cannot be found (not Linux)."""
    np.ones((2, 2)) @ np.ones((2, 2))  # numpy loads its BLAS on import; this makes sure
    try:
        with open("/proc/self/maps", encoding="utf-8") as f:
            maps = f.read()
    except OSError:
        return None
    for path in sorted(set(re.findall(r"(/\S*openblas\S*\.so\S*)", maps))):
        lib = ctypes.CDLL(path)
        found = []
        for stem in ("get_config", "get_corename"):
            for name in (f"scipy_openblas_{stem}64_", f"scipy_openblas_{stem}", f"openblas_{stem}64_",
                         f"openblas_{stem}"):
                fn = getattr(lib, name, None)
                if fn is not None:
                    fn.restype = ctypes.c_char_p
                    found.append(fn().decode())
                    break
        if len(found) == 2:
            version = re.match(r"OpenBLAS (\d+\.\d+\.\d+)", found[0])
            if version:
                return version.group(1), found[1]
    return None


def runnable_kernels() -> list[str]:
    """The kernels of :data:`KERNEL_NEEDS` this CPU can run (``OPENBLAS_CORETYPE``)."""
    core = getattr(np, "_core", None) or np.core  # numpy 2 / numpy 1
    features = core._multiarray_umath.__cpu_features__
    return [kernel for kernel, need in KERNEL_NEEDS.items() if features.get(need)]
