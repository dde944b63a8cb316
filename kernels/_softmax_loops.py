"""The compiled multinomial (softmax) passes of the ``numba`` and ``numba-parallel`` kernels.

The multinomial op's contract is in ``fastlr.kernels``: weighted *sums*
(``dW``, ``db``, cost), float64, from ``W (K, n_x)``, ``b (K,)``, X and either
integer ``labels (m,)`` or soft labels ``Y (K, m)``; ``s`` is the weights, or
empty for none (one compiled version for both; see ``kernels._loops.weigh``).

Every function is compiled as in ``kernels._loops`` (``cache=True``,
``nogil=True``, the NaN/inf-preserving fastmath flags, ``error_model="numpy"``)
and sums in float64. The labels reach these functions as both arrays, the
unused one empty (``labels`` of length 0 with soft labels, ``Y`` of shape
``(0, 0)`` with class labels): one compiled version per dtype, and a branch
per tile. X is walked once per gradient, in tiles of examples,
each tile touched twice: once for the ``K`` logits of its examples, once for
their share of ``dW``, the second time from cache. In between, a pass over
the tile's logits (classes outer, examples inner, so that it vectorises)
computes a stable softmax, the loss and ``dZ``:

    zmax  = max_k z_k,   e_k = exp(z_k - zmax)  (1 for the first maximum),
    r     = sum of the other e_k,   a_k = e_k / (1 + r),
    loss  = sum_k y_k (zmax - z_k) + (sum_k y_k) log1p(r),
    dz_k  = s (a_k - y_k)

``log1p(r)`` instead of ``log(sum e)`` keeps the small loss of a confidently
right example (``r`` tiny); logits of any finite size (``+-1e4`` and beyond)
give finite results, since every exponent is ``<= 0``.

The loops follow X's layout, as the binary passes do: examples contiguous (F
order) two examples per step (each ``W[k, j]`` load serves two dot
products, each ``dW[k, j]`` update takes two examples); features contiguous
(C order) two feature rows per step over the tile's examples.

:func:`sums_parallel` cuts the examples into a fixed number of chunks that
depends on the shape only, each chunk's sums into its own slot
(``(chunks, K, n_x)`` rows), then adds the slots in chunk order: the result
is the same to the last bit whatever the number of threads. It holds the
``prange`` itself and is called from Python only (see ``kernels._loops`` on
numba issue #8578).
"""

from __future__ import annotations

import math

import numba
import numpy as np

from ._compile import by_layout, entry, helper, inline, parallel_entry
from ._loops import tile_length, weigh
from ._vector_math import exp_nonpositive

__all__ = ["add_row_sums", "range_sums", "softmax_tile_length", "sums_one_thread", "sums_parallel"]


#: No fastmath at all: for element-wise loops whose bits must not depend on how LLVM compiles them.
#: A loop that stores and reads gets a run-time overlap check from LLVM and
#: two versions, vectorised and scalar, chosen by the addresses. With
#: ``contract`` and ``reassoc`` the two versions may fuse and reorder the
#: same expression differently (measured: the softmax pass gave ``dW`` one
#: ulp apart from one call to the next as numba's buffers moved); in plain
#: IEEE arithmetic both give the same bits.
_jit_exact = helper(fastmath=False)


#: Most float64 logits a tile buffer holds (``K x tile``): 512 KB.
_MAX_TILE_LOGITS = 1 << 16


@inline
def softmax_tile_length(X, n_classes):
    """Examples per tile: the binary tile (see ``kernels._loops``), cut so that ``K x tile`` fits."""
    tile = tile_length(X)
    while tile > 4 and n_classes * tile > _MAX_TILE_LOGITS:
        tile //= 2
    return max(4, tile // 4 * 4)


def _logits_example_major(W, b, X, zt, start, k):
    """``zt[:, :k] = W X[:, start:start+k] + b``, examples contiguous: two examples per step."""
    n_classes, n_x = W.shape
    i = 0
    while i + 2 <= k:
        e = start + i
        for c in range(n_classes):
            z0 = 0.0
            z1 = 0.0
            for j in range(n_x):
                w_cj = np.float64(W[c, j])
                z0 += w_cj * X[j, e]
                z1 += w_cj * X[j, e + 1]
            zt[c, i] = z0 + b[c]
            zt[c, i + 1] = z1 + b[c]
        i += 2
    if i < k:
        e = start + i
        for c in range(n_classes):
            z0 = 0.0
            for j in range(n_x):
                z0 += np.float64(W[c, j]) * X[j, e]
            zt[c, i] = z0 + b[c]


def _gradient_example_major(X, dW, zt, start, k):
    """``dW += dZ[:, :k] X[:, start:start+k]ᵀ``, examples contiguous: two examples per step."""
    n_classes, n_x = dW.shape
    i = 0
    while i + 2 <= k:
        e = start + i
        for c in range(n_classes):
            d0 = zt[c, i]
            d1 = zt[c, i + 1]
            row = dW[c]
            for j in range(n_x):
                row[j] += d0 * X[j, e] + d1 * X[j, e + 1]
        i += 2
    if i < k:
        e = start + i
        for c in range(n_classes):
            d0 = zt[c, i]
            row = dW[c]
            for j in range(n_x):
                row[j] += d0 * X[j, e]


def _logits_feature_major(W, b, X, zt, start, k):
    """``zt[:, :k] = W X[:, start:start+k] + b``, features contiguous: two rows per step."""
    n_classes, n_x = W.shape
    stop = start + k
    for c in range(n_classes):
        b_c = b[c]
        for i in range(k):
            zt[c, i] = b_c
    j = 0
    while j + 2 <= n_x:
        r0 = X[j, start:stop]
        r1 = X[j + 1, start:stop]
        for c in range(n_classes):
            w0 = np.float64(W[c, j])
            w1 = np.float64(W[c, j + 1])
            zc = zt[c]
            for i in range(k):
                zc[i] += w0 * r0[i] + w1 * r1[i]
        j += 2
    if j < n_x:
        r0 = X[j, start:stop]
        for c in range(n_classes):
            w0 = np.float64(W[c, j])
            zc = zt[c]
            for i in range(k):
                zc[i] += w0 * r0[i]


def _gradient_feature_major(X, dW, zt, start, k):
    """``dW += dZ[:, :k] X[:, start:start+k]ᵀ``, features contiguous: two rows per step."""
    n_classes, n_x = dW.shape
    stop = start + k
    j = 0
    while j + 2 <= n_x:
        r0 = X[j, start:stop]
        r1 = X[j + 1, start:stop]
        for c in range(n_classes):
            dz = zt[c]
            a0 = 0.0
            a1 = 0.0
            for i in range(k):
                d = dz[i]
                a0 += r0[i] * d
                a1 += r1[i] * d
            dW[c, j] += a0
            dW[c, j + 1] += a1
        j += 2
    if j < n_x:
        r0 = X[j, start:stop]
        for c in range(n_classes):
            dz = zt[c]
            a0 = 0.0
            for i in range(k):
                a0 += r0[i] * dz[i]
            dW[c, j] += a0


#: The logits and gradient passes for X's layout, chosen when compiling (``kernels._compile``).
_logits = by_layout(_logits_example_major, _logits_feature_major)
_gradient = by_layout(_gradient_example_major, _gradient_feature_major)


@_jit_exact
def _softmax_tile(zt, work, top, labels, Y, s, db, start, k):
    """Turn the logits ``zt[:, :k]`` into ``s dZ`` in place, add ``s dz`` to ``db``; return ``sum(s loss)``.

    ``work`` is a ``(5, tile)`` float64 buffer, ``top`` an int64 buffer (the
    class of each example's largest logit). Element-wise loops store and
    sums are taken afterwards in loops that only read, so that their order
    depends on the tile alone, never on addresses (see ``kernels._loops``):
    the element-wise loops are compiled without fastmath (:func:`_jit_exact`),
    the sums by :func:`_tile_sums`, with it.
    """
    n_classes = zt.shape[0]
    zmax = work[0]
    rest = work[1]  # sum of the exponentials other than the largest one's (which is 1)
    loss = work[2]
    mass = work[3]  # sum_k y_k: 1 for integer labels
    scale = work[4]  # 1 / (1 + rest)
    for i in range(k):
        zmax[i] = zt[0, i]
        top[i] = 0
    for c in range(1, n_classes):
        for i in range(k):
            z = zt[c, i]
            bigger = z > zmax[i]
            top[i] = c if bigger else top[i]
            zmax[i] = z if bigger else zmax[i]
    soft = Y.shape[0] > 0
    if not soft:
        for i in range(k):
            loss[i] = zmax[i] - zt[labels[start + i], i]
            mass[i] = 1.0
    else:
        for i in range(k):
            loss[i] = 0.0
            mass[i] = 0.0
        for c in range(n_classes):
            for i in range(k):
                y_ci = np.float64(Y[c, start + i])
                loss[i] += y_ci * (zmax[i] - zt[c, i])
                mass[i] += y_ci
    for i in range(k):
        rest[i] = 0.0
    for c in range(n_classes):
        for i in range(k):
            # the exponential on every lane, then selects: a call under a condition stops
            # LLVM from vectorising the loop (1.7x slower); the largest's is discarded
            e = exp_nonpositive(zt[c, i] - zmax[i])
            is_top = top[i] == c
            rest[i] += 0.0 if is_top else e
            zt[c, i] = 1.0 if is_top else e
    for i in range(k):
        loss[i] = loss[i] + mass[i] * math.log1p(rest[i])
        scale[i] = 1.0 / (1.0 + rest[i])
    if soft:
        for c in range(n_classes):
            for i in range(k):
                zt[c, i] = zt[c, i] * scale[i] - np.float64(Y[c, start + i])
    else:
        for c in range(n_classes):
            for i in range(k):
                y_ci = 1.0 if labels[start + i] == c else 0.0
                zt[c, i] = zt[c, i] * scale[i] - y_ci
    weigh(loss[:k], s, start)
    for c in range(n_classes):
        weigh(zt[c, :k], s, start)
    return _tile_sums(zt, loss, db, k)


@helper
def add_row_sums(zt, db, k):
    """Add each row of ``zt[:, :k]`` to ``db``: a loop that only reads, its order the tile's."""
    for c in range(zt.shape[0]):
        row = zt[c]
        total = 0.0
        for i in range(k):
            total += row[i]
        db[c] += total


@helper
def _tile_sums(zt, loss, db, k):
    """Add each row of ``zt[:, :k]`` to ``db``; return ``sum(loss[:k])``. Loops that only read."""
    add_row_sums(zt, db, k)
    cost = 0.0
    for i in range(k):
        cost += loss[i]
    return cost


@helper
def range_sums(W, b, X, labels, Y, s, dW, db, zt, work, top, start, stop):
    """Add the sums of examples ``start:stop`` to ``dW`` and ``db``, tile by tile; return ``sum(s loss)``.

    ``zt`` is a ``(K, tile)``, ``work`` a ``(5, tile)`` float64 buffer and
    ``top`` a ``(tile,)`` int64 buffer, all overwritten.
    """
    tile = zt.shape[1]
    cost = 0.0
    for t in range(start, stop, tile):
        k = min(tile, stop - t)
        _logits(W, b, X, zt, t, k)
        cost += _softmax_tile(zt, work, top, labels, Y, s, db, t, k)
        _gradient(X, dW, zt, t, k)
    return cost


@inline
def _buffers(X, n_classes):
    tile = softmax_tile_length(X, n_classes)
    return (np.empty((n_classes, tile), dtype=np.float64), np.empty((5, tile), dtype=np.float64),
            np.empty(tile, dtype=np.int64))


@entry
def sums_one_thread(W, b, X, labels, Y, s):
    """The multinomial op's ``(dW, db, cost)`` sums, float64, on one thread."""
    n_classes, n_x = W.shape
    dW = np.zeros((n_classes, n_x), dtype=np.float64)
    db = np.zeros(n_classes, dtype=np.float64)
    zt, work, top = _buffers(X, n_classes)
    cost = range_sums(W, b, X, labels, Y, s, dW, db, zt, work, top, np.int64(0), X.shape[1])
    return dW, db, cost


@parallel_entry
def sums_parallel(W, b, X, labels, Y, s, chunk):
    """:func:`sums_one_thread` over chunks of ``chunk`` examples on numba's threads, summed in chunk order."""
    n_classes, n_x = W.shape
    m = X.shape[1]
    n_chunks = (m + chunk - 1) // chunk
    rows = np.empty((n_chunks, n_classes, n_x), dtype=np.float64)
    db_rows = np.empty((n_chunks, n_classes), dtype=np.float64)
    cost_parts = np.empty(n_chunks, dtype=np.float64)
    for part in numba.prange(n_chunks):
        first = part * chunk
        rows[part] = 0.0
        db_rows[part] = 0.0
        zt, work, top = _buffers(X, n_classes)
        cost_parts[part] = range_sums(W, b, X, labels, Y, s, rows[part], db_rows[part], zt, work,
                                      top, first, min(m, first + chunk))
    return _sum_parts(rows, db_rows, cost_parts)


@helper
def _sum_parts(rows, db_rows, cost_parts):
    """The chunks' sums added in chunk order."""
    n_chunks, n_classes, n_x = rows.shape
    dW = np.zeros((n_classes, n_x), dtype=np.float64)
    db = np.zeros(n_classes, dtype=np.float64)
    cost = 0.0
    for part in range(n_chunks):
        for c in range(n_classes):
            for j in range(n_x):
                dW[c, j] += rows[part, c, j]
            db[c] += db_rows[part, c]
        cost += cost_parts[part]
    return dW, db, cost

