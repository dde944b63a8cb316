"""``kernel="auto"``: the kernel that is fastest here for this X, chosen per call.

The choice looks at what is installed and X's shape, dtype and layout, never
at the thread setting, and costs well under a microsecond. ``numba`` and
``numba-parallel`` sum in different orders, and ``numba-parallel``'s bits do
not depend on its thread count, so the same input gives the same bits at
any ``set_num_threads`` (with one thread, ``numba-parallel`` runs its
chunks in turn):

1. numba does not import: ``numpy``.
2. X float32 with its features contiguous (C order) and ``n_x >= 1500``:
   ``numpy``. OpenBLAS's float32 GEMV, summing in float32 on 16 lanes, beats
   the compiled kernels' float64 sums there (1.2x at 2,000 x 5,000, 1.2-1.8x
   at 3,000 x 3,000 and 10,000 x 1,000; at n_x = 1,000 ``numba-parallel``
   is as fast or faster).
3. Enough work for two chunks of ``numba-parallel``: ``numba-parallel``.
   It was the fastest, or within a few percent of it, at every other size
   measured from 100 x 1,000 up. Inside a solver's loop (``solver_loop``:
   the ops of ``lbfgs``, ``newton-cholesky``, ``newton-cg`` and
   ``prox-newton``), four chunks (:data:`SOLVER_LOOP_MIN_CHUNKS`): there the
   solver's own Python work runs between two calls, the pool's threads fall
   asleep in it, and waking them costs 20-80 us a call. A 20 x 4,000 pass on
   ``numba-parallel`` took 28 us back to back, 46 us (median) with 0.5 ms of
   Python between calls and 109 us with 2 ms, against 41-50 us on
   ``numba``. Whole ``lbfgs`` fits (the two kernels in turn, best of 60) at
   two or three chunks took as long on either (0.95-1.02x: 3,300-5,000 x
   20, 1,400-2,000 x 50, 1,797 x 64, 700-1,000 x 100), from four chunks
   ``numba-parallel`` was ahead (1.00-1.11x: 1,300 x 100, 6,600 x 20, 5,000
   x 50); and a first fit in a fresh environment compiles the parallel pass
   too (1.5 s at 2,000 x 50).
4. Otherwise ``numba``: one chunk's worth of work does not pay for waking
   the thread pool (``numba-parallel`` is 3-6 us slower there).

A sparse X (CSC or CSR ``(n_x, m)``) follows rules 1, 3 and 4, with the
chunks ``numba-parallel`` would cut its stored entries into
(``kernels._threads.sparse_chunk_count``): two or more choose it.

The multinomial op (K classes) follows rules 1, 3 and 4 with ``K n_x``
numbers per example in place of ``n_x`` (``numba-parallel`` plans its chunks
that way); rule 2 does not apply.

The binary Hessian op (``solver="newton-cholesky"``) does ``(n_x + 1)^2 / 2``
multiply-adds per example: from :data:`NUMPY_HESSIAN_MIN_FEATURES` features
on, BLAS's symmetric product (``numpy``) is faster than the compiled pass;
below, rules 1, 3 (on ``numba-parallel``'s Hessian chunks,
``kernels._threads.hessian_chunk_count``) and 4. On a sparse X only ``numpy``
offers it, and the multinomial Hessian (K classes) only ``numpy`` offers.

The multinomial Hessian-vector product (``solver="newton-cg"`` with K
classes) does ``2 K n_x`` multiply-adds per example, as two BLAS GEMMs
(``numpy``) or one fused pass: BLAS computes faster, the fused pass reads X
once. On a dense X of fewer than :data:`FUSED_MULTINOMIAL_PRODUCT_MIN_ELEMENTS`
entries (X in cache) ``numpy`` is as fast or up to 2.4x faster (1,000 x
2,000, K = 10); from there on the fused pass is as fast or faster (1.6-3x
at 50 x 100,000 and 200 x 20,000, K = 3 or 10), and rules 3 and 4 choose
between the compiled kernels, with ``K n_x`` numbers per example (measured
without ``OPENBLAS_CORETYPE`` / ``OPENBLAS_L2_SIZE`` set, float64 F order,
best of 9). On a sparse X the compiled passes were faster than scipy's two
products (1.3x CSC, 1.4x CSR at 100,000 x 20,000, density 0.001, K = 20):
rules 3 and 4, a CSR X on ``numba`` (its product runs on one thread).

Measured on the 2-core development machine (numpy 2.4 with OpenBLAS, numba
0.68, ``OPENBLAS_CORETYPE=Haswell`` and ``OPENBLAS_L2_SIZE`` set as that
machine has them), each kernel timed through ``fastlr.gradient`` in turn
after a pause, best of 5, both dtypes and both layouts, with::

    python tools/auto_table.py

which prints the table these rules were read from; rerun it on another
machine to check them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._registry import (BINARY, BINARY_HESSIAN, MULTINOMIAL, MULTINOMIAL_HESSIAN,
                        MULTINOMIAL_PRODUCT, SPARSE_BINARY_HESSIAN, SPARSE_MULTINOMIAL_HESSIAN,
                        SPARSE_MULTINOMIAL_PRODUCT, Kernel, available_kernels, lookup_kernel)

#: The ops only ``numpy`` offers.
_NUMPY_ONLY = (SPARSE_BINARY_HESSIAN, MULTINOMIAL_HESSIAN, SPARSE_MULTINOMIAL_HESSIAN)
from .kernels._threads import (MIN_CHUNK_ELEMENTS, MIN_CHUNK_EXAMPLES, hessian_chunk_count,
                               sparse_chunk_count)

__all__ = ["choose_kernel", "choose_kernel_name", "choose_task_kernel_name"]

#: From this many features, float32 C-ordered X goes to ``numpy`` (rule 2).
NUMPY_FLOAT32_C_MIN_FEATURES = 1500
#: From this many features, the Hessian op goes to ``numpy`` (BLAS's SYRK).
NUMPY_HESSIAN_MIN_FEATURES = 500
#: From this many entries of a dense X, the multinomial product goes to a compiled kernel.
FUSED_MULTINOMIAL_PRODUCT_MIN_ELEMENTS = 1 << 21
#: The fewest chunks for which ``numba-parallel`` runs an op: alone (rule 3)...
MIN_CHUNKS = 2
#: ...and inside a solver's loop, with Python between the calls (rule 3).
SOLVER_LOOP_MIN_CHUNKS = 4

_numba_importable: bool | None = None


def _have_numba() -> bool:
    global _numba_importable
    if _numba_importable is None:
        _numba_importable = "numba" in available_kernels()
    return _numba_importable


_FLOAT32 = np.dtype(np.float32)


def choose_kernel_name(X: Any, op: str = BINARY, n_classes: int = 1, *,
                       solver_loop: bool = False) -> str:
    """The name of the kernel ``auto`` runs for ``op`` on a validated ``X`` (K = ``n_classes``);
    ``solver_loop``: called from a solver's loop, with Python between the calls (rule 3)."""
    if not _have_numba() or op in _NUMPY_ONLY:
        return "numpy"
    n_x, m = X.shape
    min_chunks = SOLVER_LOOP_MIN_CHUNKS if solver_loop else MIN_CHUNKS
    if op == BINARY_HESSIAN:
        if n_x >= NUMPY_HESSIAN_MIN_FEATURES:
            return "numpy"
        chunks = hessian_chunk_count(n_x, m)
        return "numba-parallel" if chunks >= min_chunks else "numba"
    if getattr(X, "format", None) is not None:  # scipy.sparse, CSC or CSR (n_x, m)
        if op == SPARSE_MULTINOMIAL_PRODUCT:
            if X.format != "csc":
                return "numba"
            n_x *= n_classes  # the product's partial rows are K n_x long
        outer, partial = (m, n_x) if X.format == "csc" else (n_x, m)
        chunks = sparse_chunk_count(int(X.indptr[-1]), outer, partial)
        return "numba-parallel" if chunks >= min_chunks else "numba"
    if op == MULTINOMIAL_PRODUCT and n_x * m < FUSED_MULTINOMIAL_PRODUCT_MIN_ELEMENTS:
        return "numpy"
    if op in (MULTINOMIAL, MULTINOMIAL_PRODUCT):
        n_x *= n_classes
    elif n_x >= NUMPY_FLOAT32_C_MIN_FEATURES and X.dtype == _FLOAT32:
        row_stride, column_stride = X.strides
        if abs(row_stride) > abs(column_stride):  # features contiguous
            return "numpy"
    if _chunks_at_least(min_chunks, n_x, m):
        return "numba-parallel"
    return "numba"


def _chunks_at_least(count: int, n_x: int, m: int) -> bool:
    """Whether ``numba-parallel`` cuts ``(n_x, m)`` into ``count`` chunks or more (its ``plan``)."""
    min_chunk = max(MIN_CHUNK_EXAMPLES, -(-MIN_CHUNK_ELEMENTS // n_x))
    return m >= count * min_chunk


def choose_kernel(X: Any, op: str = BINARY, n_classes: int = 1, *,
                  solver_loop: bool = False) -> Kernel:
    """The :class:`~fastlr.Kernel` ``auto`` runs for ``op`` on a validated ``X``."""
    return lookup_kernel(choose_kernel_name(X, op, n_classes, solver_loop=solver_loop))


def choose_task_kernel_name() -> str:
    """What ``auto`` means for a chunk task that Dask runs on one thread: ``numba``, else ``numpy``.

    A task does not know the cores its worker gives the others, so the
    one-thread compiled kernel, which was as fast as any per core at every
    size measured, and which offers every op.
    """
    return "numba" if _have_numba() else "numpy"
