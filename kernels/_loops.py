"""The compiled loops the ``numba`` and ``numba-parallel`` kernels are made of.

Every function here is compiled by the decorators of ``kernels._compile``
(``cache=True``, ``nogil=True``, the NaN/inf-preserving fastmath flags of
``docs/design.md``, ``error_model="numpy"`` so that no zero-division check
blocks vectorisation) and accumulates in float64 for float32 and float64
input alike. The tile pass written for X's layout is chosen when compiling
(``kernels._compile.by_layout``), and "no sample weights" is an empty
``s`` (``kernels._arguments.weights``), so that one compiled version serves
both. Each works on a range of examples ``start:stop`` of the whole X,
never on a slice of X: a column slice of an F-ordered array loses its
layout in numba's types, and with it the vectorised inner loops (measured
2x slower).

- :func:`range_sums`: examples ``start:stop`` in tiles of
  :func:`tile_length` examples, each tile in three passes: ``z``, then a
  vectorised pass for ``a``, the loss and ``dz``, then ``dw``, the last
  reading the tile from cache. The loops follow X's layout: four examples
  per step when examples are contiguous (F order; each ``w[j]`` load serves
  four dot products), eight feature rows per step when features are (C
  order; each ``z[i]`` load serves eight rows).
- :func:`_parallel_sums`: ``prange`` over a fixed partition of the examples
  into chunks, each chunk's ``dw`` in its own row of a ``(chunks, n_x)``
  buffer (a ``prange`` reduction into an array slice races), rows summed in
  order afterwards. The partition depends on the shape only, so the result
  is the same to the last bit whatever the number of threads.
- :func:`sums_one_thread`, :func:`sums_parallel`: the binary op's sums
  ``(dw, db, cost)`` from either (``fastlr`` turns them into means);
- :func:`descend_one_thread`, :func:`descend_parallel`: a slice of
  gradient-descent iterations, compiled, from either; the kernels run the
  slices from Python (``kernels._interruptible``) so that Ctrl-C is seen
  between them.

One rule keeps numba's on-disk cache safe: a function that runs a
``prange`` is compiled with ``parallel=True`` and called from Python only.
The parallel pass is inlined into its two callers at numba's IR level rather
than called: a cached non-parallel function calling a parallel one crashes
when it is loaded from the cache in a new process (numba issue #8578), even
on a path that never runs the parallel code. The one-thread entry points
therefore never reference the parallel pass.

The parallel functions run on as many threads as ``numba.set_num_threads``
was given in the calling thread: the caller sets it, and restores it.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from . import CONTINUE, CONVERGED, NOT_FINITE
from ._compile import FASTMATH, by_layout, entry, examples_contiguous, helper, inline, parallel_entry
from ._vector_math import exp_nonpositive, log1p_unit, sigmoid_and_loss

__all__ = [
    "FASTMATH",
    "descend_one_thread",
    "descend_parallel",
    "range_sums",
    "sums_one_thread",
    "sums_parallel",
    "tile_buffer",
    "weigh",
]


#: Features from which a pass over an X with contiguous examples takes one example at a time
#: where it took four per step (below it, the loop over an example's features is too short to
#: vectorise well). Each pass sets its own upper end; the shape alone decides, so the bits do
#: not move between calls.
ONE_EXAMPLE_FROM = 32
#: Below this many features the binary pass's update of ``dw`` takes one example at a time.
_ONE_EXAMPLE_UPDATE_BELOW = 160


@helper
def _finish_tile(zt, lt, y, s, start):
    """Turn ``zt = z[start:start+k]`` into ``s dz`` in place; return ``(sum(s dz), sum(s loss))``.

    ``s`` is the sample weights, or an empty array for none (see
    :func:`weigh`). Two loops that LLVM vectorises. The first,
    element by element, writes
    ``s dz`` to ``zt`` and ``s loss`` to ``lt``: the math of
    ``kernels._vector_math`` is called piece by piece right in the loop,
    where LLVM inlines each piece (keeping its own flags); wrapped in a
    helper function it is too big to inline, and a call left in the loop
    stops vectorisation. The second sums the two buffers and stores
    nothing. Summed in the first loop, the sums depended on addresses: a
    loop that stores to ``zt`` and reads ``y`` gets a run-time overlap check
    from LLVM, and where the check could not rule out overlap the scalar
    fallback summed in another order (``db`` and the cost one ulp apart
    from one call to the next). A loop that only reads has no such check:
    its order depends on the tile length alone.
    """
    for i in range(zt.shape[0]):
        z = zt[i]
        y_i = np.float64(y[start + i])
        e = exp_nonpositive(-abs(z))
        a, loss = sigmoid_and_loss(z, y_i, e, log1p_unit(e))
        zt[i] = a - y_i
        lt[i] = loss
    weigh(zt, s, start)
    weigh(lt, s, start)
    db = 0.0
    cost = 0.0
    for i in range(zt.shape[0]):
        db += zt[i]
        cost += lt[i]
    return db, cost


@helper
def weigh(values, s, start):
    """Multiply ``values[i]`` by the weight ``s[start + i]``; nothing when ``s`` is empty.

    "No weights" is an empty ``s`` of X's dtype, not ``None``, so that one
    compiled version serves fits with and without weights (numba compiles
    a function once per argument type, and ``None`` is a type of its own).
    The weights are applied in a pass of their own after the element-wise
    math, so that the loop without them is the same loop as ever, and with
    them every product is the one it was: ``(a - y) s``, ``loss s``,
    ``a (1 - a) s``. Every compiled pass weighs through this function.
    """
    if s.shape[0] == 0:
        return
    for i in range(values.shape[0]):
        values[i] *= np.float64(s[start + i])


def _tile_example_major(w, b, X, y, s, dw, zt, lt, start):
    """Add the tile ``X[:, start:start+k] (s dz)`` to ``dw``, examples contiguous.

    Three passes over the tile: ``z`` one example at a time (a dot product
    over the example's contiguous features, which LLVM vectorises and
    interleaves itself), the vectorised finish, and the update of ``dw``,
    reading the tile from cache: one example at a time from
    :data:`ONE_EXAMPLE_FROM` features up to :data:`_ONE_EXAMPLE_UPDATE_BELOW`,
    else four per step (each ``dw[j]`` update taking four examples).
    Measured on one thread over 800 MB of X, against four examples per step
    in both passes: the dot products one at a time 1.1-1.7x faster from 16
    features up and within 3% below; the update one at a time 1.1-1.5x
    faster at 32-100 features, 2-5% slower at 200 and 1,000 and 10% slower
    at 16 and fewer. 100 x 1,000,000: 83-91 ms before, 50-55 after (one read
    of X: 27 ms).
    """
    n_x = X.shape[0]
    k = zt.shape[0]
    for i in range(k):
        x = X[:, start + i]
        z = 0.0
        for j in range(n_x):
            z += np.float64(w[j]) * x[j]
        zt[i] = z + b
    db, cost = _finish_tile(zt, lt, y, s, start)
    if ONE_EXAMPLE_FROM <= n_x < _ONE_EXAMPLE_UPDATE_BELOW:
        for i in range(k):
            x = X[:, start + i]
            d = zt[i]
            for j in range(n_x):
                dw[j] += d * x[j]
        return db, cost
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


def _tile_feature_major(w, b, X, y, s, dw, zt, lt, start):
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
    db, cost = _finish_tile(zt, lt, y, s, start)
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


#: The tile pass for X's layout, chosen when compiling (``kernels._compile.by_layout``).
_tile = by_layout(_tile_example_major, _tile_feature_major)


@inline
def padded_row(tile):
    """A tile buffer's row length for ``tile`` examples: at least ``tile`` float64, an odd
    number of 64-byte cache lines.

    Rows a multiple of 2 KB apart (a 256-example tile) map to the same few L1
    sets, and a pass that goes example by example and writes one entry to
    each row in turn (the Hessian op's copy of an X whose examples are
    contiguous, the sparse softmax's logits) then missed on every write once
    there were more rows than the cache has ways: the binary Hessian op at 30 x
    569 70 -> 44 us, the sparse 10-class op on CSR 10,000 x 200,000 1.6x faster.
    """
    return ((tile + 7) // 8 | 1) * 8


@inline
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


@helper
def range_sums(w, b, X, y, s, dw, z, start, stop):
    """Add ``X[:, start:stop] (s dz)`` to ``dw`` tile by tile; return ``(sum(s dz), sum(s loss))``.

    ``z`` is a ``(2, tile_length(X))`` float64 buffer, overwritten.
    """
    tile = z.shape[1]
    db = 0.0
    cost = 0.0
    for t in range(start, stop, tile):
        k = min(tile, stop - t)
        db_t, cost_t = _tile(w, b, X, y, s, dw, z[0, :k], z[1, :k], t)
        db += db_t
        cost += cost_t
    return db, cost


@inline
def tile_buffer(X):
    """The work buffer of :func:`range_sums`: ``(2, tile_length(X))`` float64."""
    return np.empty((2, tile_length(X)), dtype=np.float64)


@numba.njit(inline="always")
def _parallel_sums(w, b, X, y, s, dw, rows, db_parts, cost_parts, chunk):
    """Fill ``dw`` with ``X (s dz)`` on the threads numba's ``set_num_threads`` allows.

    Inlined into its callers at numba's IR level (``inline="always"``), so
    that the ``prange`` belongs to a ``parallel=True`` function called from
    Python. It is never a dispatcher of its own: a cached function that
    calls a parallel one segfaults when loaded from numba's cache in a
    fresh process (the threading layer is never started for it; numba
    issue #8578).

    The examples are cut into ``rows.shape[0]`` chunks of ``chunk`` examples
    (the last one shorter), each walked by :func:`range_sums` into its own
    row of ``rows``, a ``(chunks, n_x)`` float64 buffer, overwritten; the
    rows and the parts are then summed in chunk order.
    """
    m = X.shape[1]
    for c in numba.prange(rows.shape[0]):
        start = c * chunk
        row = rows[c]
        row[:] = 0.0
        z = tile_buffer(X)
        db_parts[c], cost_parts[c] = range_sums(w, b, X, y, s, row, z, start, min(m, start + chunk))
    return _sum_rows(rows, dw, db_parts, cost_parts)


@helper
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


@inline
def total_weight(s, m):
    """``sum(s)``, or ``m`` without weights (``s`` empty)."""
    if s.shape[0] == 0:
        return np.float64(m)
    total = 0.0
    for i in range(s.shape[0]):
        total += s[i]
    return total


@helper
def _squared_norm(w):
    total = 0.0
    for j in range(w.shape[0]):
        total += np.float64(w[j]) * w[j]
    return total


@helper
def _to_means(w, alpha, total, dw, db, cost):
    """Turn the sums into ``(dw, db, cost)`` means, plus the L2 terms; ``dw`` in place."""
    for j in range(dw.shape[0]):
        dw[j] = dw[j] / total + alpha * w[j]
    return db / total, cost / total + 0.5 * alpha * _squared_norm(w)


@inline
def _chunk_buffers(X, chunk):
    """The work buffers of :func:`_parallel_sums` for chunks of ``chunk`` examples."""
    n_x, m = X.shape
    n_chunks = (m + chunk - 1) // chunk
    rows = np.empty((n_chunks, n_x), dtype=np.float64)
    return rows, np.empty(n_chunks, dtype=np.float64), np.empty(n_chunks, dtype=np.float64)


@entry
def sums_one_thread(w, b, X, y, s):
    """The binary op's sums ``(X (s dz), sum(s dz), sum(s loss))`` on one thread, float64."""
    n_x, m = X.shape
    dw = np.zeros(n_x, dtype=np.float64)
    db, cost = range_sums(w, b, X, y, s, dw, tile_buffer(X), np.int64(0), m)
    return dw, db, cost


@parallel_entry
def sums_parallel(w, b, X, y, s, chunk):
    """The binary op's sums by :func:`_parallel_sums`, float64."""
    n_x, m = X.shape
    dw = np.empty(n_x, dtype=np.float64)
    rows, db_parts, cost_parts = _chunk_buffers(X, chunk)
    db, cost = _parallel_sums(w, b, X, y, s, dw, rows, db_parts, cost_parts, chunk)
    return dw, db, cost


@helper(fastmath=False)  # IEEE tests: fastmath may fold them
def _step_status(cost, db, dw, tol):
    """Whether training stops here: not finite, converged, or continue."""
    if not (math.isfinite(cost) and math.isfinite(db)):
        return NOT_FINITE
    largest = abs(db)
    for j in range(dw.shape[0]):
        if not math.isfinite(dw[j]):
            return NOT_FINITE
        largest = max(largest, abs(dw[j]))
    return CONVERGED if largest <= tol else CONTINUE


@helper
def _to_dtype(w_k, w):
    """Copy the float64 master ``w`` into ``w_k``, in X's dtype."""
    for j in range(w.shape[0]):
        w_k[j] = w[j]


@helper
def _step(w, b, dw, db, cost, costs, iteration, learning_rate, tol, fit_intercept):
    """Record the cost, decide, and take the step ``w -= lr dw`` unless stopping: ``(b, status)``.

    Without ``fit_intercept``, ``b`` stays as it is and ``db`` takes no part
    in the convergence test (it is not a coordinate of the problem).
    """
    costs[iteration] = cost
    if not fit_intercept:
        db = 0.0 if math.isfinite(db) else db
    status = _step_status(cost, db, dw, tol)
    if status == CONTINUE:
        for j in range(w.shape[0]):
            w[j] -= learning_rate * dw[j]
        b -= learning_rate * db
    return b, status


@entry
def descend_one_thread(w, b, X, y, s, alpha, learning_rate, tol, fit_intercept, costs, first, last):
    """Gradient-descent iterations ``first`` to ``last - 1`` on one thread.

    ``w`` is the float64 master copy, updated in place (the gradient sees it
    in X's dtype); ``costs[k]`` receives the cost before the k-th update.
    Returns ``(b, n_iter, status)``: ``n_iter`` gradients computed in all,
    ``status`` :data:`CONTINUE` when the slice ended with training going on,
    else ``CONVERGED`` (``max(|dw|, |db|) <= tol``) or ``NOT_FINITE``.
    Without ``fit_intercept``, ``b`` is held where it is.
    The caller runs the slices (``kernels._interruptible``), so that Python
    sees Ctrl-C between them.
    """
    n_x, m = X.shape
    w_k = np.empty(n_x, dtype=X.dtype)
    dw = np.empty(n_x, dtype=np.float64)
    z = tile_buffer(X)
    total = total_weight(s, m)
    for iteration in range(first, last):
        _to_dtype(w_k, w)
        dw[:] = 0.0
        db, cost = range_sums(w_k, b, X, y, s, dw, z, np.int64(0), m)
        db, cost = _to_means(w_k, alpha, total, dw, db, cost)
        b, status = _step(w, b, dw, db, cost, costs, iteration, learning_rate, tol,
                          fit_intercept)
        if status != CONTINUE:
            return b, iteration + 1, status
    return b, last, CONTINUE


@parallel_entry
def descend_parallel(w, b, X, y, s, alpha, learning_rate, tol, fit_intercept, costs, first, last,
                     chunk):
    """:func:`descend_one_thread` with each gradient by :func:`_parallel_sums`."""
    n_x, m = X.shape
    w_k = np.empty(n_x, dtype=X.dtype)
    dw = np.empty(n_x, dtype=np.float64)
    rows, db_parts, cost_parts = _chunk_buffers(X, chunk)
    total = total_weight(s, m)
    for iteration in range(first, last):
        _to_dtype(w_k, w)
        db, cost = _parallel_sums(w_k, b, X, y, s, dw, rows, db_parts, cost_parts, chunk)
        db, cost = _to_means(w_k, alpha, total, dw, db, cost)
        b, status = _step(w, b, dw, db, cost, costs, iteration, learning_rate, tol,
                          fit_intercept)
        if status != CONTINUE:
            return b, iteration + 1, status
    return b, last, CONTINUE
