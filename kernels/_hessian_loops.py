"""The compiled pass of the binary Hessian op, for ``numba`` and ``numba-parallel``.

One pass over X returns the binary op's sums and the Hessian's together::

    H = [X; 1] diag(s a (1 - a)) [X; 1]ᵀ       (n_x + 1, n_x + 1), intercept last

The examples are walked in tiles (:func:`tile_length`). Each tile is copied
once into a ``(n_x + 1, k)`` float64 buffer ``G`` (its last row ones), the
copy computing ``z`` as it reads (by example or by feature row, following X's
layout, as ``kernels._loops`` does). A vectorised pass gives ``h = s a (1 -
a)``, computed as ``s e / (1 + e)^2`` with ``e = e^-|z|`` (no cancellation
where ``a`` is near 1), then the binary op's own finish
(``kernels._loops._finish_tile``) ``s dz`` and ``s loss``. ``dw`` is ``G (s
dz)``; the Hessian's upper triangle takes ``(h G) Gᵀ`` in blocks of four rows
by four columns, sixteen dot products over the tile's examples in one loop
(contiguous, which LLVM vectorises), each step loading eight numbers for
sixteen multiply-adds. The tile is sized so that ``G`` and ``h G`` stay in L2.

``numba-parallel`` cuts the examples into a fixed number of chunks, from the
shape alone (``kernels._threads.hessian_chunk_count``), each chunk's ``dw``
and upper triangle in its own partial buffers, summed in chunk order
afterwards: the same bits with any number of threads. The partial Hessians
are bounded in size, so a large ``n_x`` gets fewer chunks.

Same compilation rules as ``kernels._loops`` (cache, fastmath flags that keep
NaN and inf, a ``prange`` only in a function called from Python, the chunk
loop inlined into it).
"""

from __future__ import annotations

import numba
import numpy as np

from ._compile import by_layout, entry, helper, inline, parallel_entry
from ._loops import _finish_tile as finish_tile
from ._loops import padded_row, weigh
from ._vector_math import exp_nonpositive

__all__ = ["hessian_one_thread", "hessian_parallel", "tile_length"]


@inline
def tile_length(n_x):
    """Examples per tile: ``G`` and ``h G`` (``2 (n_x + 1) k`` float64) within 256 KB, 8 to 256."""
    return max(8, min(256, (1 << 14) // (n_x + 1)) // 8 * 8)


def _load_tile_example_major(w, b, X, G, zt, start, k):
    """Copy examples ``start:start+k`` into ``G[:n_x, :k]`` (ones below) and their logits into ``zt``.

    Examples contiguous: example by example, each a dot product as it is copied.
    """
    n_x = X.shape[0]
    for t in range(k):
        e = start + t
        z = b
        for j in range(n_x):
            x = np.float64(X[j, e])
            G[j, t] = x
            z += np.float64(w[j]) * x
        zt[t] = z
    for t in range(k):
        G[n_x, t] = 1.0


def _load_tile_feature_major(w, b, X, G, zt, start, k):
    """:func:`_load_tile_example_major` for features contiguous: feature row by feature row."""
    n_x = X.shape[0]
    for t in range(k):
        zt[t] = b
    for j in range(n_x):
        w_j = np.float64(w[j])
        row = X[j, start:start + k]
        for t in range(k):
            x = np.float64(row[t])
            G[j, t] = x
            zt[t] += w_j * x
    for t in range(k):
        G[n_x, t] = 1.0


#: The tile copy for X's layout, chosen when compiling (``kernels._compile.by_layout``).
_load_tile = by_layout(_load_tile_example_major, _load_tile_feature_major)


@helper
def _slopes(zt, ht, s, start):
    """``ht = s a (1 - a)`` from the logits ``zt``, as ``s e / (1 + e)^2`` with ``e = e^-|z|``.

    ``s`` empty: no weights (``kernels._loops.weigh``).
    """
    for i in range(zt.shape[0]):
        e = exp_nonpositive(-abs(zt[i]))
        one_plus = 1.0 + e
        ht[i] = e / (one_plus * one_plus)
    weigh(ht, s, start)


@helper
def _accumulate(G, HG, zt, ht, dw, H, k):
    """``dw += G[:n_x] (s dz)``; upper triangle of ``H += (h G) Gᵀ`` in blocks of four rows by four
    columns, the columns left over four rows by one.

    A block is sixteen dot products in one loop: each step loads eight
    numbers for sixteen multiply-adds, where four rows against one column
    load five for four (the loop is bound by its loads). Written out here:
    as a helper function of its own, the pass ran 10-17% slower at 200-400
    features than with no blocks at all, and 1.2-1.7x slower than this. A
    block on the diagonal also fills entries below it: the mirror
    overwrites them.
    """
    rows = G.shape[0]
    n_x = rows - 1
    for j in range(n_x):
        g = G[j]
        acc = 0.0
        for t in range(k):
            acc += g[t] * zt[t]
        dw[j] += acc
    for j in range(rows):
        g = G[j]
        hg = HG[j]
        for t in range(k):
            hg[t] = ht[t] * g[t]
    j = 0
    while j + 4 <= rows:
        h0 = HG[j]
        h1 = HG[j + 1]
        h2 = HG[j + 2]
        h3 = HG[j + 3]
        col = j
        while col + 4 <= rows:
            g0 = G[col]
            g1 = G[col + 1]
            g2 = G[col + 2]
            g3 = G[col + 3]
            a00 = a01 = a02 = a03 = a10 = a11 = a12 = a13 = 0.0
            a20 = a21 = a22 = a23 = a30 = a31 = a32 = a33 = 0.0
            for t in range(k):
                x0 = g0[t]
                x1 = g1[t]
                x2 = g2[t]
                x3 = g3[t]
                y0 = h0[t]
                y1 = h1[t]
                y2 = h2[t]
                y3 = h3[t]
                a00 += y0 * x0
                a01 += y0 * x1
                a02 += y0 * x2
                a03 += y0 * x3
                a10 += y1 * x0
                a11 += y1 * x1
                a12 += y1 * x2
                a13 += y1 * x3
                a20 += y2 * x0
                a21 += y2 * x1
                a22 += y2 * x2
                a23 += y2 * x3
                a30 += y3 * x0
                a31 += y3 * x1
                a32 += y3 * x2
                a33 += y3 * x3
            H[j, col] += a00
            H[j, col + 1] += a01
            H[j, col + 2] += a02
            H[j, col + 3] += a03
            H[j + 1, col] += a10
            H[j + 1, col + 1] += a11
            H[j + 1, col + 2] += a12
            H[j + 1, col + 3] += a13
            H[j + 2, col] += a20
            H[j + 2, col + 1] += a21
            H[j + 2, col + 2] += a22
            H[j + 2, col + 3] += a23
            H[j + 3, col] += a30
            H[j + 3, col + 1] += a31
            H[j + 3, col + 2] += a32
            H[j + 3, col + 3] += a33
            col += 4
        for col in range(col, rows):
            g = G[col]
            a0 = a1 = a2 = a3 = 0.0
            for t in range(k):
                g_t = g[t]
                a0 += h0[t] * g_t
                a1 += h1[t] * g_t
                a2 += h2[t] * g_t
                a3 += h3[t] * g_t
            H[j, col] += a0
            H[j + 1, col] += a1
            H[j + 2, col] += a2
            H[j + 3, col] += a3
        j += 4
    for j in range(j, rows):
        hg = HG[j]
        for col in range(j, rows):
            g = G[col]
            acc = 0.0
            for t in range(k):
                acc += hg[t] * g[t]
            H[j, col] += acc


@helper
def range_hessian(w, b, X, y, s, dw, H, G, HG, buf, start, stop):
    """Add examples ``start:stop`` to ``dw`` and ``H``'s upper triangle; return ``(sum(s dz), sum(s loss))``.

    ``G``, ``HG``: ``(n_x + 1, >= tile)`` float64 buffers (rows padded, :func:`kernels._loops.padded_row`);
    ``buf``: ``(3, tile)``; all overwritten.
    """
    tile = buf.shape[1]
    db = 0.0
    cost = 0.0
    for first in range(start, stop, tile):
        k = min(tile, stop - first)
        zt = buf[0, :k]
        _load_tile(w, b, X, G, zt, first, k)
        _slopes(zt, buf[2, :k], s, first)
        db_t, cost_t = finish_tile(zt, buf[1, :k], y, s, first)  # zt becomes s dz
        _accumulate(G, HG, zt, buf[2], dw, H, k)
        db += db_t
        cost += cost_t
    return db, cost


@helper
def _mirror(H):
    """Copy the upper triangle below the diagonal."""
    for j in range(H.shape[0]):
        for col in range(j):
            H[j, col] = H[col, j]


@inline
def _buffers(n_x):
    tile = tile_length(n_x)
    row = padded_row(tile)
    return (np.empty((n_x + 1, row), dtype=np.float64), np.empty((n_x + 1, row), dtype=np.float64),
            np.empty((3, tile), dtype=np.float64))


@entry
def hessian_one_thread(w, b, X, y, s):
    """``(H, dw, db, cost)`` sums of the binary Hessian op on one thread, float64."""
    n_x, m = X.shape
    dw = np.zeros(n_x, dtype=np.float64)
    H = np.zeros((n_x + 1, n_x + 1), dtype=np.float64)
    G, HG, buf = _buffers(n_x)
    db, cost = range_hessian(w, b, X, y, s, dw, H, G, HG, buf, np.int64(0), m)
    _mirror(H)
    return H, dw, db, cost


@helper
def _sum_parts(H_parts, dw_parts, db_parts, cost_parts, H, dw):
    """``H``, ``dw`` and the two sums from the chunks' parts, always in chunk order."""
    db = 0.0
    cost = 0.0
    rows = H.shape[0]
    for c in range(H_parts.shape[0]):
        part = H_parts[c]
        for j in range(rows):
            for col in range(j, rows):
                H[j, col] += part[j, col]
        row = dw_parts[c]
        for j in range(dw.shape[0]):
            dw[j] += row[j]
        db += db_parts[c]
        cost += cost_parts[c]
    return db, cost


@parallel_entry
def hessian_parallel(w, b, X, y, s, n_chunks):
    """:func:`hessian_one_thread` by ``n_chunks`` chunks of examples on numba's threads.

    Called from Python only (it holds the ``prange``).
    """
    n_x, m = X.shape
    chunk = -(-m // n_chunks)
    H_parts = np.zeros((n_chunks, n_x + 1, n_x + 1), dtype=np.float64)
    dw_parts = np.zeros((n_chunks, n_x), dtype=np.float64)
    db_parts = np.empty(n_chunks, dtype=np.float64)
    cost_parts = np.empty(n_chunks, dtype=np.float64)
    for c in numba.prange(n_chunks):
        start = c * chunk
        G, HG, buf = _buffers(n_x)
        db_parts[c], cost_parts[c] = range_hessian(w, b, X, y, s, dw_parts[c], H_parts[c], G, HG,
                                                   buf, start, min(m, start + chunk))
    H = np.zeros((n_x + 1, n_x + 1), dtype=np.float64)
    dw = np.zeros(n_x, dtype=np.float64)
    db, cost = _sum_parts(H_parts, dw_parts, db_parts, cost_parts, H, dw)
    _mirror(H)
    return H, dw, db, cost
