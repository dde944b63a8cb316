"""The memory-read baseline: how fast this machine reads X once.

No gradient can be faster than one read of X, so ``fastlr compare`` and the
asv suites report each kernel's GB/s (bytes of X / time per gradient)
against this, measured in the same run. The baseline is the fastest single
pass over X we know how to write: a numba ``prange`` sum over every thread
of X's memory as one flat vector, vectorised (``X.sum()`` is single-threaded
and at 1,000 x 100,000 float64 about half as fast here); a strided view is
summed row by row. Without numba it is ``X.sum()``.
"""

from __future__ import annotations

import numpy as np

from .kernels._interruptible import call  # Ctrl-C during a compiled call: a KeyboardInterrupt

__all__ = ["read_once"]

_compiled = None


_BLOCK = 1 << 14  # elements per task of the flat read


def _compile():
    import numba

    from .kernels import _threading_layer

    _threading_layer.prepare()  # before numba chooses its threading layer

    flags = {"reassoc", "contract", "nsz", "arcp"}

    @numba.njit(cache=True, parallel=True, fastmath=flags, error_model="numpy")
    def read_flat(values, block):  # X's memory as one contiguous vector
        n_blocks = (values.shape[0] + block - 1) // block
        totals = np.zeros(n_blocks)
        for k in numba.prange(n_blocks):
            part = values[k * block:(k + 1) * block]  # a contiguous view: the loop vectorises
            total = 0.0
            for i in range(part.shape[0]):
                total += part[i]
            totals[k] = total
        return totals.sum()

    @numba.njit(cache=True, parallel=True, fastmath=flags, error_model="numpy")
    def read_rows(X):  # any other layout: one row per task
        totals = np.zeros(X.shape[0])
        for j in numba.prange(X.shape[0]):
            total = 0.0
            for i in range(X.shape[1]):
                total += X[j, i]
            totals[j] = total
        return totals.sum()

    return read_flat, read_rows


def read_once(X: np.ndarray) -> float:
    """Read every element of X once (their sum); time it to get the read limit."""
    global _compiled
    try:
        if _compiled is None:
            _compiled = _compile()
    except ImportError:
        return float(X.sum())
    read_flat, read_rows = _compiled
    if X.flags.c_contiguous or X.flags.f_contiguous:
        return float(call(read_flat, X.ravel(order="K"), _BLOCK))
    return float(call(read_rows, X))
