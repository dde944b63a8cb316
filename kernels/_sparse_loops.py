"""The compiled sparse passes of the ``numba`` and ``numba-parallel`` kernels.

X ``(n_x, m)`` arrives as the three arrays of a compressed matrix,
``data``, ``indices`` and ``indptr`` (int32 or int64 indices, any order,
duplicates and explicit zeros allowed: each stored entry is added as it
is, so duplicates add up and zeros add nothing, as in scipy's own
arithmetic), in one of two orientations:

- **by example** (CSC ``(n_x, m)``, what ``LogisticRegression`` passes for
  a CSR ``(n_samples, n_features)``): ``indptr`` runs over the m examples,
  ``indices`` are features. One fused pass, in tiles of examples: ``z`` of
  each example of the tile from its stored entries (a gather from ``w``),
  the element-wise finish of the whole tile (the vectorised one of the
  dense kernels: ``_loops._finish_tile``, ``_softmax_loops._softmax_tile``),
  then ``dz`` times the tile's entries into ``dw`` (a scatter), the entries
  still in cache. X is read from memory once.
- **by feature** (CSR ``(n_x, m)``): ``indptr`` runs over the features,
  ``indices`` are examples. ``z`` needs every feature of an example, so
  three passes: entries scattered into ``z`` row by row, the same
  element-wise finish in tiles, then ``dw[i]`` gathered row by row. X is
  read twice.

Binary op: ``(w, b, data, indices, indptr, y, s)``; multinomial op: ``(WT,
b, data, indices, indptr, labels, Y, s)`` with ``WT`` the ``(n_x, K)``
transpose of ``W`` (a class's weights for one feature are then contiguous),
returning ``dWT (n_x, K)``. Sums in float64 whatever X's dtype.

The gathers and scatters are compiled with ``cache=True``, ``nogil=True``,
``error_model="numpy"`` and no fastmath at all: LLVM does not vectorise
loops through index arrays with profit, and in plain IEEE arithmetic no
compiled version of a loop can evaluate an expression differently from
another (see ``kernels._softmax_loops._jit_exact``); the finishes keep the
dense kernels' flags and their address-independent sums. The bits depend
on the input alone.

No index is trusted: each is read as unsigned and compared with the
length it indexes before it is used (by example, the gather checks an
example's entries and the scatter runs only over checked ones), and each
``indptr`` span is clamped to the stored entries. A malformed matrix gives
NaN (``fastlr`` then names it), never an access outside the arrays.

The ``*_parallel`` functions hold a ``prange`` and are called from Python
only (``kernels._loops`` explains why: numba issue #8578). They cut the
outer axis into the chunks ``bounds`` gives (planned from ``indptr`` alone
by ``numba_parallel.sparse_bounds``, never from the number of threads);
each chunk scatters into its own row of partial sums (``dw`` by example,
``z`` by feature), and the rows are added in chunk order, in parallel over
the positions: the result is the same to the last bit with any number of
threads.
"""

from __future__ import annotations

import numba
import numpy as np

from ._compile import entry, helper, inline, parallel_entry
from ._loops import _finish_tile, padded_row
from ._softmax_loops import _softmax_tile

__all__ = [
    "binary_by_example",
    "binary_by_example_parallel",
    "binary_by_feature",
    "binary_by_feature_parallel",
    "multinomial_by_example",
    "multinomial_by_example_parallel",
    "multinomial_by_feature",
    "multinomial_by_feature_parallel",
]

#: Positions per block when chunk rows are added, or examples finished, in parallel.
_BLOCK = 1 << 12
#: Examples per tile of the finish (a multiple of the vector width).
_TILE = 256
#: Most float64 logits a multinomial tile holds (``K x tile``), as in ``_softmax_loops``.
_MAX_TILE_LOGITS = 1 << 16


#: The sparse loops run in plain IEEE arithmetic (their bits must not depend on addresses).
_helper = helper(fastmath=False)


# --- shared -------------------------------------------------------------------------------

@_helper
def _add_rows(rows, total, block):
    """``total[i] = sum of rows[:, i]`` in row order, for the positions of one block."""
    first = block * _BLOCK
    last = min(total.shape[0], first + _BLOCK)
    for i in range(first, last):
        t = 0.0
        for r in range(rows.shape[0]):
            t += rows[r, i]
        total[i] = t


@_helper
def _sum_parts(parts):
    total = 0.0
    for part in parts:
        total += part
    return total


@inline
def _binary_buffer():
    """``(3, tile)`` float64: ``z``, the loss and whether the indices are inside, of one tile."""
    return np.empty((3, _TILE), dtype=np.float64)


@inline
def _multinomial_buffers(n_classes):
    """``(K, >= tile)`` logits (rows padded, ``kernels._loops.padded_row``), ``(5, tile)`` work,
    ``(tile,)`` int64: ``_softmax_tile``'s buffers."""
    tile = _TILE
    while tile > 4 and n_classes * tile > _MAX_TILE_LOGITS:
        tile //= 2
    return (np.empty((n_classes, padded_row(tile)), dtype=np.float64),
            np.empty((5, tile), dtype=np.float64), np.empty(tile, dtype=np.int64))


# --- by example (CSC (n_x, m)) -------------------------------------------------------------

@inline
def _span(indptr, j, stored):
    """The entries of compressed position ``j``, ``indptr[j]:indptr[j + 1]``, kept within the
    ``stored`` entries: a malformed ``indptr`` never reads outside them."""
    first = max(indptr[j], 0)
    last = min(indptr[j + 1], stored)
    return first, last


@inline
def _stored(data, indices):
    return min(data.shape[0], indices.shape[0])


@_helper
def _gather_dot(w, data, indices, first, last):
    """``(sum(w[indices[p]] data[p] for p in first:last), whether every index is inside w)``.

    Four running sums, added in a fixed order at the end: a single sum
    waits on each add (4 cycles), which bounds the pass when ``w`` is in
    cache (measured 1.1-1.4x faster at 10,000 features); the order depends
    on ``last - first`` alone. Indices are read as unsigned: one compare
    bounds them on both sides (a negative one wraps to a huge one), and
    numba then adds no negative-index fix-up to the load (15% faster).
    """
    n = np.uint64(w.shape[0])
    s0 = 0.0
    s1 = 0.0
    s2 = 0.0
    s3 = 0.0
    p = first
    while p + 4 <= last:
        f0 = np.uint64(indices[p])
        f1 = np.uint64(indices[p + 1])
        f2 = np.uint64(indices[p + 2])
        f3 = np.uint64(indices[p + 3])
        if f0 >= n or f1 >= n or f2 >= n or f3 >= n:
            return np.nan, False
        s0 += np.float64(w[f0]) * np.float64(data[p])
        s1 += np.float64(w[f1]) * np.float64(data[p + 1])
        s2 += np.float64(w[f2]) * np.float64(data[p + 2])
        s3 += np.float64(w[f3]) * np.float64(data[p + 3])
        p += 4
    while p < last:
        f0 = np.uint64(indices[p])
        if f0 >= n:
            return np.nan, False
        s0 += np.float64(w[f0]) * np.float64(data[p])
        p += 1
    return (s0 + s1) + (s2 + s3), True


@_helper
def _indices_inside(indices, first, last, n):
    """Whether ``indices[first:last]`` all lie in ``[0, n)``."""
    limit = np.uint64(n)
    for p in range(first, last):
        if np.uint64(indices[p]) >= limit:
            return False
    return True


@_helper
def _scatter_checked(target, data, indices, first, last, factor):
    """``target[indices[p]] += factor data[p]`` for ``p`` in ``first:last``, indices unchecked:
    the caller has checked them (by a gather over the same entries)."""
    for p in range(first, last):
        target[np.uint64(indices[p])] += factor * np.float64(data[p])


@_helper
def _scatter_add(target, data, indices, first, last, factor):
    """``target[indices[p]] += factor data[p]`` for ``p`` in ``first:last``, indices bounded.

    An index outside ``target`` adds NaN to its last position instead (the
    output then says X is broken; nothing is written outside).
    """
    n = np.uint64(target.shape[0])
    last_position = n - np.uint64(1)
    for p in range(first, last):
        position = np.uint64(indices[p])
        inside = position < n
        value = np.float64(data[p]) if inside else np.nan
        target[position if inside else last_position] += factor * value


@_helper
def _binary_examples(w, b, data, indices, indptr, y, s, dw, buffer, start, stop):
    """Add examples ``start:stop``'s ``s dz x`` to ``dw``; return ``(sum(s dz), sum(s loss))``."""
    stored = _stored(data, indices)
    db = 0.0
    cost = 0.0
    for t in range(start, stop, _TILE):
        k = min(_TILE, stop - t)
        zt = buffer[0, :k]
        inside = buffer[2, :k]
        for i in range(k):
            first, last = _span(indptr, t + i, stored)
            total, ok = _gather_dot(w, data, indices, first, last)
            zt[i] = b + total  # NaN for an example with an index outside w: the output shows it
            inside[i] = 1.0 if ok else 0.0
        db_t, cost_t = _finish_tile(zt, buffer[1, :k], y, s, t)
        db += db_t
        cost += cost_t
        for i in range(k):
            if inside[i] != 0.0:
                first, last = _span(indptr, t + i, stored)
                _scatter_checked(dw, data, indices, first, last, zt[i])
    return db, cost


@entry(fastmath=False)
def binary_by_example(w, b, data, indices, indptr, y, s):
    """The binary op's ``(dw, db, cost)`` sums, X by example, on one thread."""
    dw = np.zeros(w.shape[0], dtype=np.float64)
    db, cost = _binary_examples(w, b, data, indices, indptr, y, s, dw, _binary_buffer(), np.int64(0),
                                indptr.shape[0] - 1)
    return dw, db, cost


@parallel_entry(fastmath=False)
def binary_by_example_parallel(w, b, data, indices, indptr, y, s, bounds):
    """:func:`binary_by_example` over the chunks of examples ``bounds`` gives, on numba's threads."""
    n_x = w.shape[0]
    n_chunks = bounds.shape[0] - 1
    rows = np.empty((n_chunks, n_x), dtype=np.float64)
    db_parts = np.empty(n_chunks, dtype=np.float64)
    cost_parts = np.empty(n_chunks, dtype=np.float64)
    for c in numba.prange(n_chunks):
        row = rows[c]
        row[:] = 0.0
        db_parts[c], cost_parts[c] = _binary_examples(w, b, data, indices, indptr, y, s, row,
                                                      _binary_buffer(), bounds[c], bounds[c + 1])
    dw = np.empty(n_x, dtype=np.float64)
    for block in numba.prange((n_x + _BLOCK - 1) // _BLOCK):
        _add_rows(rows, dw, np.int64(block))
    return dw, _sum_parts(db_parts), _sum_parts(cost_parts)


@_helper
def tile_logits(WT, b, data, indices, indptr, zt, start, k):
    """``zt[:, :k]`` = the logits ``Wᵀx + b`` of examples ``start:start+k`` (CSC ``(n_x, m)``),
    ``WT (n_x, K)``; an example with an index outside ``W`` gets NaN logits.

    Each example's K logits are summed in a contiguous vector, then stored
    in ``zt``'s column: a loop over the classes that adds ``WT``'s row to a
    column K rows apart did not vectorise (1.4x slower at 25 classes).
    """
    n_x, n_classes = WT.shape
    stored = _stored(data, indices)
    z = np.empty(n_classes, dtype=np.float64)
    for i in range(k):
        first, last = _span(indptr, start + i, stored)
        if not _indices_inside(indices, first, last, n_x):
            for c in range(n_classes):  # an index outside W: this example's logits are NaN
                zt[c, i] = np.nan
            continue
        for c in range(n_classes):
            z[c] = b[c]
        for p in range(first, last):
            row = WT[np.uint64(indices[p])]
            value = np.float64(data[p])
            for c in range(n_classes):
                z[c] += np.float64(row[c]) * value
        for c in range(n_classes):
            zt[c, i] = z[c]


@_helper
def tile_scatter(zt, data, indices, indptr, dWT, start, k):
    """``dWT += x zt[:, i]ᵀ`` for examples ``start + i``, ``i < k`` (CSC ``(n_x, m)``); an
    example with an index outside ``dWT`` adds nothing (its logits made the output NaN).
    ``zt``'s column is copied to a contiguous vector first, as in :func:`tile_logits`."""
    n_x, n_classes = dWT.shape
    stored = _stored(data, indices)
    d = np.empty(n_classes, dtype=np.float64)
    for i in range(k):
        first, last = _span(indptr, start + i, stored)
        if not _indices_inside(indices, first, last, n_x):
            continue
        for c in range(n_classes):
            d[c] = zt[c, i]
        for p in range(first, last):
            row = dWT[np.uint64(indices[p])]
            value = np.float64(data[p])
            for c in range(n_classes):
                row[c] += d[c] * value


@_helper
def _multinomial_examples(WT, b, data, indices, indptr, labels, Y, s, dWT, db, start, stop):
    """Add examples ``start:stop``'s sums to ``dWT`` and ``db``; return ``sum(s loss)``."""
    zt, work, top = _multinomial_buffers(WT.shape[1])
    tile = work.shape[1]
    cost = 0.0
    for t in range(start, stop, tile):
        k = min(tile, stop - t)
        tile_logits(WT, b, data, indices, indptr, zt, t, k)
        cost += _softmax_tile(zt, work, top, labels, Y, s, db, t, k)
        tile_scatter(zt, data, indices, indptr, dWT, t, k)
    return cost


@entry(fastmath=False)
def multinomial_by_example(WT, b, data, indices, indptr, labels, Y, s):
    """The multinomial op's ``(dWT, db, cost)`` sums, X by example, on one thread."""
    n_x, n_classes = WT.shape
    dWT = np.zeros((n_x, n_classes), dtype=np.float64)
    db = np.zeros(n_classes, dtype=np.float64)
    cost = _multinomial_examples(WT, b, data, indices, indptr, labels, Y, s, dWT, db, np.int64(0),
                                 indptr.shape[0] - 1)
    return dWT, db, cost


@parallel_entry(fastmath=False)
def multinomial_by_example_parallel(WT, b, data, indices, indptr, labels, Y, s, bounds):
    """:func:`multinomial_by_example` over the chunks ``bounds`` gives, on numba's threads."""
    n_x, n_classes = WT.shape
    n_chunks = bounds.shape[0] - 1
    rows = np.empty((n_chunks, n_x * n_classes), dtype=np.float64)
    db_rows = np.empty((n_chunks, n_classes), dtype=np.float64)
    cost_parts = np.empty(n_chunks, dtype=np.float64)
    for c in numba.prange(n_chunks):
        rows[c] = 0.0
        db_rows[c] = 0.0
        cost_parts[c] = _multinomial_examples(WT, b, data, indices, indptr, labels, Y, s,
                                              rows[c].reshape((n_x, n_classes)), db_rows[c],
                                              bounds[c], bounds[c + 1])
    total = np.empty(n_x * n_classes, dtype=np.float64)
    for block in numba.prange((total.shape[0] + _BLOCK - 1) // _BLOCK):
        _add_rows(rows, total, np.int64(block))
    db = np.empty(n_classes, dtype=np.float64)
    _add_rows(db_rows, db, np.int64(0))
    return total.reshape((n_x, n_classes)), db, _sum_parts(cost_parts)


# --- by feature (CSR (n_x, m)) -------------------------------------------------------------

@_helper
def _scatter_z(w, data, indices, indptr, z, start, stop):
    """``z[example] += w[i] x`` for the stored entries of feature rows ``start:stop``."""
    stored = _stored(data, indices)
    for i in range(start, stop):
        first, last = _span(indptr, i, stored)
        _scatter_add(z, data, indices, first, last, np.float64(w[i]))


@_helper
def _gather_dw(dz, data, indices, indptr, dw, start, stop):
    """``dw[i] = sum over row i's entries of dz[example] x``, rows ``start:stop``."""
    stored = _stored(data, indices)
    for i in range(start, stop):
        first, last = _span(indptr, i, stored)
        dw[i] = _gather_dot(dz, data, indices, first, last)[0]


@_helper
def _finish_z(z, b, y, s, start, stop):
    """Logits ``z[start:stop] + b`` -> ``s dz`` in place, in tiles; return ``(sum(s dz), sum(s loss))``."""
    buffer = _binary_buffer()
    db = 0.0
    cost = 0.0
    for t in range(start, stop, _TILE):
        k = min(_TILE, stop - t)
        zt = buffer[0, :k]
        for i in range(k):
            zt[i] = z[t + i] + b
        db_t, cost_t = _finish_tile(zt, buffer[1, :k], y, s, t)
        for i in range(k):
            z[t + i] = zt[i]
        db += db_t
        cost += cost_t
    return db, cost


@entry(fastmath=False)
def binary_by_feature(w, b, data, indices, indptr, y, s, m):
    """The binary op's ``(dw, db, cost)`` sums, X by feature, on one thread."""
    n_x = w.shape[0]
    z = np.zeros(m, dtype=np.float64)
    _scatter_z(w, data, indices, indptr, z, np.int64(0), n_x)
    db, cost = _finish_z(z, b, y, s, np.int64(0), m)
    dw = np.empty(n_x, dtype=np.float64)
    _gather_dw(z, data, indices, indptr, dw, np.int64(0), n_x)
    return dw, db, cost


@_helper
def _scatter_logits(WT, data, indices, indptr, Z, start, stop):
    """``Z[example, :] += WT[i, :] x`` for the stored entries of feature rows ``start:stop``."""
    n_classes = WT.shape[1]
    m = np.uint64(Z.shape[0])
    stored = _stored(data, indices)
    for i in range(start, stop):
        first, last = _span(indptr, i, stored)
        for p in range(first, last):
            example = np.uint64(indices[p])
            value = np.float64(data[p])
            if example >= m:  # outside the examples: the logits become NaN
                value = np.nan
                example = np.uint64(0)
            for c in range(n_classes):
                Z[example, c] += np.float64(WT[i, c]) * value


@_helper
def _gather_gradient(dZ, data, indices, indptr, dWT, start, stop):
    """``dWT[i, :] = sum over row i's entries of dZ[example, :] x``, rows ``start:stop``."""
    n_classes = dWT.shape[1]
    m = np.uint64(dZ.shape[0])
    stored = _stored(data, indices)
    for i in range(start, stop):
        for c in range(n_classes):
            dWT[i, c] = 0.0
        first, last = _span(indptr, i, stored)
        for p in range(first, last):
            example = np.uint64(indices[p])
            if example < m:
                value = np.float64(data[p])
                for c in range(n_classes):
                    dWT[i, c] += dZ[example, c] * value


@_helper
def _finish_logits(Z, b, labels, Y, s, db, start, stop):
    """Logits ``Z[start:stop] + b`` (``(m, K)``) -> ``s dZ`` in place, tile by tile through
    ``_softmax_tile``, added to ``db``; return ``sum(s loss)``."""
    n_classes = Z.shape[1]
    zt, work, top = _multinomial_buffers(n_classes)
    tile = work.shape[1]
    cost = 0.0
    for t in range(start, stop, tile):
        k = min(tile, stop - t)
        for i in range(k):
            for c in range(n_classes):
                zt[c, i] = Z[t + i, c] + b[c]
        cost += _softmax_tile(zt, work, top, labels, Y, s, db, t, k)
        for i in range(k):
            for c in range(n_classes):
                Z[t + i, c] = zt[c, i]
    return cost


@entry(fastmath=False)
def multinomial_by_feature(WT, b, data, indices, indptr, labels, Y, s, m):
    """The multinomial op's ``(dWT, db, cost)`` sums, X by feature, on one thread."""
    n_x, n_classes = WT.shape
    Z = np.zeros((m, n_classes), dtype=np.float64)
    _scatter_logits(WT, data, indices, indptr, Z, np.int64(0), n_x)
    db = np.zeros(n_classes, dtype=np.float64)
    cost = _finish_logits(Z, b, labels, Y, s, db, np.int64(0), m)
    dWT = np.empty((n_x, n_classes), dtype=np.float64)
    _gather_gradient(Z, data, indices, indptr, dWT, np.int64(0), n_x)
    return dWT, db, cost


@parallel_entry(fastmath=False)
def binary_by_feature_parallel(w, b, data, indices, indptr, y, s, m, bounds):
    """:func:`binary_by_feature` on numba's threads: ``z`` by the chunks of feature rows
    ``bounds`` gives, each into its own partial row, added in chunk order; the finish in
    fixed blocks of examples; ``dw`` by blocks of rows (each row its own sum)."""
    n_x = w.shape[0]
    n_chunks = bounds.shape[0] - 1
    rows = np.empty((n_chunks, m), dtype=np.float64)
    for c in numba.prange(n_chunks):
        row = rows[c]
        row[:] = 0.0
        _scatter_z(w, data, indices, indptr, row, bounds[c], bounds[c + 1])
    z = np.empty(m, dtype=np.float64)
    n_blocks = (m + _BLOCK - 1) // _BLOCK
    for block in numba.prange(n_blocks):
        _add_rows(rows, z, np.int64(block))
    db_parts = np.empty(n_blocks, dtype=np.float64)
    cost_parts = np.empty(n_blocks, dtype=np.float64)
    for block in numba.prange(n_blocks):
        start = block * _BLOCK
        db_parts[block], cost_parts[block] = _finish_z(z, b, y, s, start, min(m, start + _BLOCK))
    dw = np.empty(n_x, dtype=np.float64)
    for block in numba.prange((n_x + _BLOCK - 1) // _BLOCK):
        _gather_dw(z, data, indices, indptr, dw, block * _BLOCK, min(n_x, (block + 1) * _BLOCK))
    return dw, _sum_parts(db_parts), _sum_parts(cost_parts)


@parallel_entry(fastmath=False)
def multinomial_by_feature_parallel(WT, b, data, indices, indptr, labels, Y, s, m, bounds):
    """:func:`multinomial_by_feature` on numba's threads, as :func:`binary_by_feature_parallel`."""
    n_x, n_classes = WT.shape
    n_chunks = bounds.shape[0] - 1
    rows = np.empty((n_chunks, m * n_classes), dtype=np.float64)
    for c in numba.prange(n_chunks):
        rows[c] = 0.0
        _scatter_logits(WT, data, indices, indptr, rows[c].reshape((m, n_classes)), bounds[c],
                        bounds[c + 1])
    flat = np.empty(m * n_classes, dtype=np.float64)
    for block in numba.prange((flat.shape[0] + _BLOCK - 1) // _BLOCK):
        _add_rows(rows, flat, np.int64(block))
    Z = flat.reshape((m, n_classes))
    n_blocks = (m + _BLOCK - 1) // _BLOCK
    db_rows = np.zeros((n_blocks, n_classes), dtype=np.float64)
    cost_parts = np.empty(n_blocks, dtype=np.float64)
    for block in numba.prange(n_blocks):
        start = block * _BLOCK
        cost_parts[block] = _finish_logits(Z, b, labels, Y, s, db_rows[block], start,
                                           min(m, start + _BLOCK))
    db = np.empty(n_classes, dtype=np.float64)
    _add_rows(db_rows, db, np.int64(0))
    dWT = np.empty((n_x, n_classes), dtype=np.float64)
    for block in numba.prange((n_x + _BLOCK - 1) // _BLOCK):
        _gather_gradient(Z, data, indices, indptr, dWT, block * _BLOCK,
                         min(n_x, (block + 1) * _BLOCK))
    return dWT, db, _sum_parts(cost_parts)
