"""The compiled loops the ``numba`` and ``numba-parallel`` kernels are made of.

Every function here is compiled by numba (``cache=True``, ``nogil=True``, the
NaN/inf-preserving fastmath flags of ``DESIGN.md``, ``error_model="numpy"``
so that no zero-division check blocks vectorisation) and accumulates in float64
for float32 and float64 input alike. Each works on a range of examples
``start:stop`` of the whole X, never on a slice of X: a column slice of an
F-ordered array loses its layout in numba's types, and with it the
vectorised inner loops (measured 2x slower).

- :func:`range_sums`: examples ``start:stop`` in tiles of
  :func:`tile_length` examples, each tile in three passes: ``z``, then a
  vectorised pass for ``a``, the loss and ``dz``, then ``dw``, the last
  reading the tile from cache. The loops follow X's layout: four examples
  per step when examples are contiguous (F order; each ``w[j]`` load serves
  four dot products), eight feature rows per step when features are (C
  order; each ``z[i]`` load serves eight rows).
- :func:`parallel_sums`: ``prange`` over a fixed partition of the examples
  into chunks, each chunk's ``dw`` in its own row of a ``(chunks, n_x)``
  buffer (a ``prange`` reduction into an array slice races), rows summed in
  order afterwards. The partition depends on the shape only, so the result
  is the same to the last bit whatever the number of threads.
- :func:`gradient_one_thread`, :func:`gradient_parallel`: the kernel
  contract's ``(dw, db, cost)`` from either (two functions, so that the
  ``numba`` kernel's gradient never compiles the parallel pass);
- :func:`descend`: the whole gradient-descent loop, compiled, over either:
  ``parallel`` selects the one-thread loops or the parallel pass.

The parallel pass runs on as many threads as ``numba.set_num_threads`` was
given in the calling thread: the caller sets it (numba cannot cache a
function that calls ``set_num_threads`` itself).
"""

from __future__ import annotations

import math

import numba
import numpy as np

from . import CONVERGED, MAX_ITER, NOT_FINITE
from ._vector_math import exp_nonpositive, log1p_unit, sigmoid_and_loss

__all__ = [
    "FASTMATH",
    "descend",
    "gradient_one_thread",
    "gradient_parallel",
    "parallel_sums",
    "range_sums",
]

#: Reassociation and contraction let LLVM vectorise the sums; no ``nnan`` /
#: ``ninf``, so NaN and inf propagate exactly as in IEEE arithmetic.
FASTMATH = frozenset({"reassoc", "contract", "nsz", "arcp"})


def _jit(function, **options):
    return numba.njit(cache=True, nogil=True, error_model="numpy", fastmath=set(FASTMATH),
                      **options)(function)


@_jit
def _finish_tile(zt, y, s, start):
    """Turn ``zt = z[start:start+k]`` into ``s dz`` in place; return ``(sum(s dz), sum(s loss))``.

    One loop over the tile's examples that LLVM vectorises: the math of
    ``kernels._vector_math`` is called piece by piece right in the loop,
    where LLVM inlines each piece (keeping its own flags); wrapped in a
    helper function it is too big to inline, and a call left in the loop
    stops vectorisation.
    """
    db = 0.0
    cost = 0.0
    for i in range(zt.shape[0]):
        z = zt[i]
        y_i = np.float64(y[start + i])
        s_i = 1.0 if s is None else np.float64(s[start + i])  # resolved at compile time
        e = exp_nonpositive(-abs(z))
        a, loss = sigmoid_and_loss(z, y_i, e, log1p_unit(e))
        zt[i] = (a - y_i) * s_i
        db += zt[i]
        cost += loss * s_i
    return db, cost


@_jit
def _tile_example_major(w, b, X, y, s, dw, zt, start):
    """Add the tile ``X[:, start:start+k] (s dz)`` to ``dw``, examples contiguous.

    Three passes over the tile: ``z`` four examples per step (each ``w[j]``
    load serves four dot products), the vectorised finish, and ``dw`` four
    examples per step (each ``dw[j]`` update takes four examples), the last
    pass reading the tile from cache.
    """
    n_x = X.shape[0]
    k = zt.shape[0]
    i = 0
    while i + 4 <= k:
        e = start + i
        z0 = z1 = z2 = z3 = b
        for j in range(n_x):
            w_j = np.float64(w[j])
            z0 += w_j * X[j, e]
            z1 += w_j * X[j, e + 1]
            z2 += w_j * X[j, e + 2]
            z3 += w_j * X[j, e + 3]
        zt[i] = z0
        zt[i + 1] = z1
        zt[i + 2] = z2
        zt[i + 3] = z3
        i += 4
    for i in range(i, k):
        z0 = b
        for j in range(n_x):
            z0 += np.float64(w[j]) * X[j, start + i]
        zt[i] = z0
    db, cost = _finish_tile(zt, y, s, start)
    i = 0
    while i + 4 <= k:
        e = start + i
        d0 = zt[i]
        d1 = zt[i + 1]
        d2 = zt[i + 2]
        d3 = zt[i + 3]
        for j in range(n_x):
            dw[j] += d0 * X[j, e] + d1 * X[j, e + 1] + d2 * X[j, e + 2] + d3 * X[j, e + 3]
        i += 4
    for i in range(i, k):
        d0 = zt[i]
        for j in range(n_x):
            dw[j] += d0 * X[j, start + i]
    return db, cost


@_jit
def _tile_feature_major(w, b, X, y, s, dw, zt, start):
    """Add the tile ``X[:, start:start+k] (s dz)`` to ``dw``, features contiguous.

    A sweep over the tile's rows building ``z`` (eight rows per step, so each
    ``z[i]`` load and store serves eight rows: float32 1.2x faster than with
    four), the vectorised finish, and a sweep over the rows accumulating
    ``dw``, eight at a time, from cache. Rows are taken as
    views ``X[j, start:stop]``, which keep their contiguity in numba's types
    (indexing ``X[j, i]`` from ``start`` does not vectorise: measured 5x
    slower).
    """
    n_x = X.shape[0]
    k = zt.shape[0]
    stop = start + k
    zt[:] = b
    j = 0
    while j + 8 <= n_x:
        w0 = np.float64(w[j])
        w1 = np.float64(w[j + 1])
        w2 = np.float64(w[j + 2])
        w3 = np.float64(w[j + 3])
        w4 = np.float64(w[j + 4])
        w5 = np.float64(w[j + 5])
        w6 = np.float64(w[j + 6])
        w7 = np.float64(w[j + 7])
        r0 = X[j, start:stop]
        r1 = X[j + 1, start:stop]
        r2 = X[j + 2, start:stop]
        r3 = X[j + 3, start:stop]
        r4 = X[j + 4, start:stop]
        r5 = X[j + 5, start:stop]
        r6 = X[j + 6, start:stop]
        r7 = X[j + 7, start:stop]
        for i in range(k):
            zt[i] += ((w0 * r0[i] + w1 * r1[i]) + (w2 * r2[i] + w3 * r3[i])) + ((w4 * r4[i] + w5 * r5[i]) + (w6 * r6[i] + w7 * r7[i]))
        j += 8
    for j in range(j, n_x):
        w0 = np.float64(w[j])
        r0 = X[j, start:stop]
        for i in range(k):
            zt[i] += w0 * r0[i]
    db, cost = _finish_tile(zt, y, s, start)
    j = 0
    while j + 8 <= n_x:
        r0 = X[j, start:stop]
        r1 = X[j + 1, start:stop]
        r2 = X[j + 2, start:stop]
        r3 = X[j + 3, start:stop]
        r4 = X[j + 4, start:stop]
        r5 = X[j + 5, start:stop]
        r6 = X[j + 6, start:stop]
        r7 = X[j + 7, start:stop]
        a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = 0.0
        for i in range(k):
            dz = zt[i]
            a0 += r0[i] * dz
            a1 += r1[i] * dz
            a2 += r2[i] * dz
            a3 += r3[i] * dz
            a4 += r4[i] * dz
            a5 += r5[i] * dz
            a6 += r6[i] * dz
            a7 += r7[i] * dz
        dw[j] += a0
        dw[j + 1] += a1
        dw[j + 2] += a2
        dw[j + 3] += a3
        dw[j + 4] += a4
        dw[j + 5] += a5
        dw[j + 6] += a6
        dw[j + 7] += a7
        j += 8
    for j in range(j, n_x):
        r0 = X[j, start:stop]
        a0 = 0.0
        for i in range(k):
            a0 += r0[i] * zt[i]
        dw[j] += a0
    return db, cost


@_jit
def examples_contiguous(X):
    """Whether X's examples (columns) are its contiguous axis."""
    return abs(X.strides[0]) <= abs(X.strides[1])


@_jit
def tile_length(X):
    """Examples per tile: the second pass over a tile must find it in cache.

    Examples contiguous: ``n_x x tile`` within 128 KB of float64 (L2, with
    room), 4 to 256 examples, a multiple of 4. Features contiguous: a power
    of two up to 1024 examples, the tile within 2 MB, but no row shorter
    than 1 KB, below which the hardware prefetcher loses the streams
    (measured: float32 at n_x = 10,000 twice as fast with 256-example tiles
    as with 64).
    """
    n_x = X.shape[0]
    if examples_contiguous(X):
        return max(4, min(256, (1 << 14) // n_x) // 4 * 4)
    tile = max(1024 // X.itemsize, min(1024, (1 << 21) // (n_x * X.itemsize)))
    power = 64
    while power * 2 <= tile:
        power *= 2
    return power


@_jit
def range_sums(w, b, X, y, s, dw, z, start, stop):
    """Add ``X[:, start:stop] (s dz)`` to ``dw`` tile by tile; return ``(sum(s dz), sum(s loss))``.

    ``z`` is a float64 buffer of :func:`tile_length` ``(X)``, overwritten.
    """
    tile = z.shape[0]
    by_example = examples_contiguous(X)
    db = 0.0
    cost = 0.0
    for t in range(start, stop, tile):
        zt = z[:min(tile, stop - t)]
        if by_example:
            db_t, cost_t = _tile_example_major(w, b, X, y, s, dw, zt, t)
        else:
            db_t, cost_t = _tile_feature_major(w, b, X, y, s, dw, zt, t)
        db += db_t
        cost += cost_t
    return db, cost


@numba.njit(cache=True, nogil=True, parallel=True, error_model="numpy", fastmath=set(FASTMATH))
def parallel_sums(w, b, X, y, s, dw, rows, chunk):
    """Fill ``dw`` with ``X (s dz)`` on the threads numba's ``set_num_threads`` allows.

    The examples are cut into ``rows.shape[0]`` chunks of ``chunk`` examples
    (the last one shorter), each walked by :func:`range_sums` into its own
    row of ``rows``, a ``(chunks, n_x)`` float64 buffer, overwritten.
    """
    m = X.shape[1]
    n_chunks = rows.shape[0]
    tile = tile_length(X)
    db_parts = np.empty(n_chunks, dtype=np.float64)
    cost_parts = np.empty(n_chunks, dtype=np.float64)
    for c in numba.prange(n_chunks):
        start = c * chunk
        row = rows[c]
        row[:] = 0.0
        z = np.empty(tile, dtype=np.float64)
        db_parts[c], cost_parts[c] = range_sums(w, b, X, y, s, row, z, start, min(m, start + chunk))
    return _sum_rows(rows, dw, db_parts, cost_parts)


@_jit
def _sum_rows(rows, dw, db_parts, cost_parts):
    """``dw = sum of rows``, and the sums of the parts, always in chunk order."""
    dw[:] = 0.0
    db = 0.0
    cost = 0.0
    for c in range(rows.shape[0]):
        row = rows[c]
        for j in range(dw.shape[0]):
            dw[j] += row[j]
        db += db_parts[c]
        cost += cost_parts[c]
    return db, cost


@_jit
def total_weight(s, m):
    """``sum(s)``, or ``m`` without weights."""
    if s is None:
        return np.float64(m)
    total = 0.0
    for i in range(s.shape[0]):
        total += s[i]
    return total


@_jit
def _squared_norm(w):
    total = 0.0
    for j in range(w.shape[0]):
        total += np.float64(w[j]) * w[j]
    return total


@_jit
def work_buffer(X, parallel, chunk):
    """The work buffer of the chosen loops.

    One thread: ``z``, ``(1, tile_length(X))``. Parallel: ``rows``,
    ``(chunks, n_x)`` for chunks of ``chunk`` examples.
    """
    n_x, m = X.shape
    if parallel:
        return np.empty(((m + chunk - 1) // chunk, n_x), dtype=np.float64)
    return np.empty((1, tile_length(X)), dtype=np.float64)


@_jit
def _to_means(w, alpha, total, dw, db, cost):
    """Turn the sums into ``(dw, db, cost)`` means, plus the L2 terms; ``dw`` in place."""
    for j in range(dw.shape[0]):
        dw[j] = dw[j] / total + alpha * w[j]
    return db / total, cost / total + 0.5 * alpha * _squared_norm(w)


@_jit
def gradient_one_thread(w, b, X, y, s, alpha):
    """The kernel contract's ``(dw, db, cost)`` on one thread, ``dw`` in float64.

    The caller casts ``dw`` to X's dtype: done here, that cast alone took
    numba 1.8 s to compile.
    """
    n_x, m = X.shape
    dw = np.zeros(n_x, dtype=np.float64)
    z = np.empty(tile_length(X), dtype=np.float64)
    db, cost = range_sums(w, b, X, y, s, dw, z, 0, m)
    db, cost = _to_means(w, alpha, total_weight(s, m), dw, db, cost)
    return dw, db, cost


@_jit
def gradient_parallel(w, b, X, y, s, alpha, chunk):
    """The kernel contract's ``(dw, db, cost)`` by :func:`parallel_sums`, ``dw`` in float64."""
    n_x, m = X.shape
    dw = np.empty(n_x, dtype=np.float64)
    rows = work_buffer(X, True, chunk)
    db, cost = parallel_sums(w, b, X, y, s, dw, rows, chunk)
    db, cost = _to_means(w, alpha, total_weight(s, m), dw, db, cost)
    return dw, db, cost


@_jit
def _mean_gradient(w, b, X, y, s, alpha, total, dw, work, parallel, chunk):
    """Fill ``dw`` (float64) with the mean gradient; return ``(db, cost)``."""
    if parallel:
        db, cost = parallel_sums(w, b, X, y, s, dw, work, chunk)
    else:
        dw[:] = 0.0
        db, cost = range_sums(w, b, X, y, s, dw, work[0], 0, X.shape[1])
    return _to_means(w, alpha, total, dw, db, cost)


_CONTINUE = -1  # internal to the loop below; never returned


@numba.njit(cache=True, nogil=True, fastmath=False)  # IEEE tests: fastmath may fold them
def _step_status(cost, db, dw, tol):
    """Whether training stops here: not finite, converged, or continue."""
    if not (math.isfinite(cost) and math.isfinite(db)):
        return NOT_FINITE
    largest = abs(db)
    for j in range(dw.shape[0]):
        if not math.isfinite(dw[j]):
            return NOT_FINITE
        largest = max(largest, abs(dw[j]))
    return CONVERGED if largest <= tol else _CONTINUE


@_jit
def descend(w0, b, X, y, s, alpha, learning_rate, max_iter, tol, costs, parallel, chunk):
    """Gradient descent, every iteration compiled.

    Iterates ``w -= lr dw, b -= lr db`` from ``(w0, b)`` on a float64 master
    copy of ``w`` (the gradient sees it in X's dtype), recording the cost
    before each update in ``costs``. Stops when ``max(|dw|, |db|) <= tol``
    (``CONVERGED``), after ``max_iter`` gradients (``MAX_ITER``), or when the
    cost or gradient is not finite (``NOT_FINITE``, that iteration's cost
    recorded).

    Returns ``(w, b, n_iter, status)``; ``n_iter`` gradients were computed.
    """
    n_x, m = X.shape
    w = w0.astype(np.float64)
    w_k = np.empty(n_x, dtype=X.dtype)
    dw = np.empty(n_x, dtype=np.float64)
    work = work_buffer(X, parallel, chunk)
    total = total_weight(s, m)
    n_iter = 0
    status = MAX_ITER
    for iteration in range(max_iter):
        for j in range(n_x):
            w_k[j] = w[j]
        db, cost = _mean_gradient(w_k, b, X, y, s, alpha, total, dw, work, parallel, chunk)
        costs[iteration] = cost
        n_iter = iteration + 1
        status = _step_status(cost, db, dw, tol)
        if status != _CONTINUE:
            break
        for j in range(n_x):
            w[j] -= learning_rate * dw[j]
        b -= learning_rate * db
    if status == _CONTINUE:
        status = MAX_ITER
    return w, b, n_iter, status
