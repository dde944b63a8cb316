"""The compiled weighted Gram products of the ``numba`` and ``numba-parallel`` kernels.

The gram-product op (``fastlr.kernels``): ``[X; 1] diag(c) [X; 1]ᵀ v`` for
weights ``c (m,)`` and ``v (n_x + 1,)`` (the intercept's coordinate last),
float64, in one pass over X: per example, ``t = c (vᵀx + v_b)``, then ``t x``
added to the result, the example still in cache. The Hessian-vector product
of ``solver="newton-cg"`` is this with ``c = s a (1-a) / sum(s)``.

- dense X, examples contiguous (F order): example by example, a dot product
  over its contiguous features and an update of the result (both loops
  vectorised by LLVM);
- dense X, features contiguous (C order): in tiles of examples, the tile's
  ``vᵀx`` row by row, the weights, then the result row by row, the tile
  read again from cache;
- sparse X by example (CSC ``(n_x, m)``): each example's stored entries
  gathered against ``v`` (indices checked, as in ``kernels._sparse_loops``),
  then scattered; by feature (CSR): ``Xᵀv`` scattered row by row, weighted,
  gathered back row by row (X read twice).

The dense loops are the gradient pass's tiles (``kernels._loops``) with the
element-wise finish replaced by the weights: written again rather than
shared, because numba specialises on a function passed as an argument only
by recompiling every caller, and a closure over one is not cached on disk
(numba issues #2065, #6264).

Sums in float64 whatever X's dtype. The ``*_parallel`` functions cut the
examples into chunks fixed by the shape alone (``numba_parallel.plan``,
``sparse_bounds``), each chunk into its own row of partial results, the
rows added in chunk order: the same bits on any number of threads. The
dense loops take the fastmath flags of the other dense passes (their sums
vectorised, their order fixed by the shape); the sparse ones none
(``kernels._sparse_loops`` says why).
"""

from __future__ import annotations

import numba
import numpy as np

from ._compile import by_layout, entry, helper, inline, parallel_entry
from ._loops import ONE_EXAMPLE_FROM, tile_length
from ._sparse_loops import (_BLOCK, _add_rows, _gather_dot, _scatter_add, _scatter_checked, _span,
                            _stored)

__all__ = ["dense_one_thread", "dense_parallel", "sparse_by_example", "sparse_by_example_parallel",
           "sparse_by_feature"]

_sparse_helper = helper(fastmath=False)


#: Below this many features the Gram product over contiguous examples takes one at a time.
_ONE_EXAMPLE_BELOW = 960


def _dense_example_major(X, c, v, out, zt, start, stop):
    """Add ``sum over examples start:stop of t x`` to ``out[:n_x]``; return ``sum(t)``.

    From ``ONE_EXAMPLE_FROM`` features up to :data:`_ONE_EXAMPLE_BELOW`, one
    example at a time: its dot product and its update, each a loop over the
    contiguous features that LLVM vectorises, the example still in L1 for
    the second. Else four examples per step: each ``v[j]`` load serves four
    dot products and each ``out[j]`` update takes four examples; the one to
    three left over go one at a time, through the same loop. Measured
    on one thread, one at a time against four per step: 100 x 1,000,000
    97-102 -> 30-38 ms, 200 x 500,000 87-89 -> 28-31, 700 x 30,000 11.3 ->
    7.6-8.1; 1,000 x 20,000 5-10% and 2,000 x 10,000 15-35% slower.
    """
    n_x = X.shape[0]
    v_b = v[n_x]
    total = 0.0
    i = start
    if not ONE_EXAMPLE_FROM <= n_x < _ONE_EXAMPLE_BELOW:
        while i + 4 <= stop:
            z0 = z1 = z2 = z3 = v_b
            for j in range(n_x):
                v_j = v[j]
                z0 += v_j * X[j, i]
                z1 += v_j * X[j, i + 1]
                z2 += v_j * X[j, i + 2]
                z3 += v_j * X[j, i + 3]
            t0 = c[i] * z0
            t1 = c[i + 1] * z1
            t2 = c[i + 2] * z2
            t3 = c[i + 3] * z3
            for j in range(n_x):
                out[j] += (t0 * X[j, i] + t1 * X[j, i + 1]) + (t2 * X[j, i + 2] + t3 * X[j, i + 3])
            total += (t0 + t1) + (t2 + t3)
            i += 4
    # One example at a time: every example, or what four per step left; one
    # loop for both, so that it compiles once.
    for i in range(i, stop):
        x = X[:, i]
        z = 0.0
        for j in range(n_x):
            z += v[j] * x[j]
        t = c[i] * (z + v_b)
        for j in range(n_x):
            out[j] += t * x[j]
        total += t
    return total


def _dense_feature_major(X, c, v, out, zt, start, stop):
    """As :func:`_dense_example_major`, features contiguous: tiles of ``zt.shape[0]`` examples,
    four feature rows per step (each ``t[i]`` load serves four rows)."""
    n_x = X.shape[0]
    tile = zt.shape[0]
    total = 0.0
    for first in range(start, stop, tile):
        k = min(tile, stop - first)
        last = first + k
        t = zt[:k]
        t[:] = v[n_x]
        j = 0
        while j + 4 <= n_x:
            v0 = v[j]
            v1 = v[j + 1]
            v2 = v[j + 2]
            v3 = v[j + 3]
            r0 = X[j, first:last]
            r1 = X[j + 1, first:last]
            r2 = X[j + 2, first:last]
            r3 = X[j + 3, first:last]
            for i in range(k):
                t[i] += (v0 * r0[i] + v1 * r1[i]) + (v2 * r2[i] + v3 * r3[i])
            j += 4
        for j in range(j, n_x):
            v0 = v[j]
            r0 = X[j, first:last]
            for i in range(k):
                t[i] += v0 * r0[i]
        for i in range(k):
            t[i] *= c[first + i]
        for i in range(k):  # a loop that only reads: its order is the tile length's alone
            total += t[i]
        j = 0
        while j + 4 <= n_x:
            r0 = X[j, first:last]
            r1 = X[j + 1, first:last]
            r2 = X[j + 2, first:last]
            r3 = X[j + 3, first:last]
            a0 = a1 = a2 = a3 = 0.0
            for i in range(k):
                t_i = t[i]
                a0 += r0[i] * t_i
                a1 += r1[i] * t_i
                a2 += r2[i] * t_i
                a3 += r3[i] * t_i
            out[j] += a0
            out[j + 1] += a1
            out[j + 2] += a2
            out[j + 3] += a3
            j += 4
        for j in range(j, n_x):
            r0 = X[j, first:last]
            a0 = 0.0
            for i in range(k):
                a0 += r0[i] * t[i]
            out[j] += a0
    return total


_dense = by_layout(_dense_example_major, _dense_feature_major)


@inline
def _tile(X):
    return np.empty(tile_length(X), dtype=np.float64)


@helper
def _range(X, c, v, out, start, stop):
    """:data:`_dense` over examples ``start:stop`` with a tile buffer of its own.

    The ``prange`` body calls this, not :data:`_dense`: a body that calls the
    layout overload itself compiles the chosen loop twice (once as the
    function is typed, once as its parallel body is lowered; 0.3-0.45 s of a
    cold newton-cg fit), where a call inside a helper compiles it once. The
    one-thread entry calls :data:`_dense` itself: through this helper it ran
    6-9% slower below 32 features (13 x 100,000, 20 x 20,000), its start no
    longer the constant 0.
    """
    return _dense(X, c, v, out, _tile(X), start, stop)


@entry
def dense_one_thread(X, c, v):
    """The gram product of a dense X on one thread."""
    n_x, m = X.shape
    out = np.zeros(n_x + 1, dtype=np.float64)
    out[n_x] = _dense(X, c, v, out, _tile(X), np.int64(0), m)
    return out


@parallel_entry
def dense_parallel(X, c, v, chunk):
    """The gram product of a dense X, chunks of ``chunk`` examples on numba's threads."""
    n_x, m = X.shape
    n_chunks = (m + chunk - 1) // chunk
    rows = np.empty((n_chunks, n_x + 1), dtype=np.float64)
    for p in numba.prange(n_chunks):
        row = rows[p]
        row[:] = 0.0
        start = p * chunk
        row[n_x] = _range(X, c, v, row, start, min(m, start + chunk))
    return _rows_in_order(rows)


@helper
def _rows_in_order(rows):
    out = np.zeros(rows.shape[1], dtype=np.float64)
    for p in range(rows.shape[0]):
        for j in range(rows.shape[1]):
            out[j] += rows[p, j]
    return out


@_sparse_helper
def _sparse_examples(data, indices, indptr, c, v, out, start, stop):
    """Add examples ``start:stop``'s ``t x`` to ``out[:n_x]``; return ``sum(t)``."""
    n_x = out.shape[0] - 1
    stored = _stored(data, indices)
    v_w = v[:n_x]
    v_b = v[n_x]
    total = 0.0
    for i in range(start, stop):
        first, last = _span(indptr, i, stored)
        z, inside = _gather_dot(v_w, data, indices, first, last)
        t = c[i] * (z + v_b)  # NaN for an example with an index outside: the output shows it
        total += t
        if inside:
            _scatter_checked(out, data, indices, first, last, t)
    return total


@entry(fastmath=False)
def sparse_by_example(data, indices, indptr, c, v):
    """The gram product of a sparse X by example (CSC ``(n_x, m)``), on one thread."""
    out = np.zeros(v.shape[0], dtype=np.float64)
    out[-1] = _sparse_examples(data, indices, indptr, c, v, out, np.int64(0), indptr.shape[0] - 1)
    return out


@parallel_entry(fastmath=False)
def sparse_by_example_parallel(data, indices, indptr, c, v, bounds):
    """:func:`sparse_by_example` over the chunks of examples ``bounds`` gives, on numba's threads."""
    size = v.shape[0]
    n_chunks = bounds.shape[0] - 1
    rows = np.empty((n_chunks, size), dtype=np.float64)
    for p in numba.prange(n_chunks):
        row = rows[p]
        row[:] = 0.0
        row[size - 1] = _sparse_examples(data, indices, indptr, c, v, row, bounds[p],
                                         bounds[p + 1])
    out = np.empty(size, dtype=np.float64)
    for block in numba.prange((size + _BLOCK - 1) // _BLOCK):
        _add_rows(rows, out, np.int64(block))
    return out


@entry(fastmath=False)
def sparse_by_feature(data, indices, indptr, c, v, m):
    """The gram product of a sparse X by feature (CSR ``(n_x, m)``), on one thread: ``Xᵀv``
    scattered row by row, weighted, then gathered back row by row."""
    n_x = v.shape[0] - 1
    stored = _stored(data, indices)
    t = np.zeros(m, dtype=np.float64)
    for j in range(n_x):
        first, last = _span(indptr, j, stored)
        _scatter_add(t, data, indices, first, last, v[j])
    total = 0.0
    for i in range(m):
        t[i] = c[i] * (t[i] + v[n_x])
        total += t[i]
    out = np.empty(n_x + 1, dtype=np.float64)
    for j in range(n_x):
        first, last = _span(indptr, j, stored)
        out[j] = _gather_dot(t, data, indices, first, last)[0]
    out[n_x] = total
    return out
