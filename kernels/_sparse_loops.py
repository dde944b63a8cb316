"""The compiled sparse passes of the ``numba`` and ``numba-parallel`` kernels.

X ``(n_x, m)`` arrives as the three arrays of a compressed matrix,
``data``, ``indices`` and ``indptr`` (int32 or int64 indices, any order,
duplicates and explicit zeros allowed: each stored entry is added as it
is, so duplicates add up and zeros add nothing, as in scipy's own
arithmetic), in one of two orientations:

- **by example** (CSC ``(n_x, m)``, what ``LogisticRegression`` passes for
  a CSR ``(n_samples, n_features)``): ``indptr`` runs over the m examples,
  ``indices`` are features. One fused pass per example: ``z`` from its
  stored entries, the stable loss and ``dz``, then ``dz`` times its entries
  into ``dw``, while they are in cache. X is read once.
- **by feature** (CSR ``(n_x, m)``): ``indptr`` runs over the features,
  ``indices`` are examples. ``z`` needs every feature of an example, so
  three passes: entries scattered into ``z`` row by row, the element-wise
  finish per example, then ``dw[i]`` gathered row by row. X is read twice.

Binary op: ``(w, b, data, indices, indptr, y, s)``; multinomial op: ``(WT,
b, data, indices, indptr, labels, Y, s)`` with ``WT`` the ``(n_x, K)``
transpose of ``W`` (a class's weights for one feature are then contiguous),
returning ``dWT (n_x, K)``. Sums in float64 whatever X's dtype.

Every function is compiled with ``cache=True``, ``nogil=True``,
``error_model="numpy"`` and no fastmath at all: the loops gather and
scatter through the index arrays, which LLVM does not vectorise with
profit, and in plain IEEE arithmetic no compiled version of a loop can
evaluate an expression differently from another (see
``kernels._softmax_loops._jit_exact``): the bits depend on the input alone.

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

import math

import numba
import numpy as np

from ._vector_math import exp_nonpositive, log1p_unit, sigmoid_and_loss

__all__ = [
    "binary_by_example",
    "binary_by_example_parallel",
    "binary_by_feature",
    "finish_binary_parallel",
    "finish_multinomial_parallel",
    "gradient_by_feature_parallel",
    "logits_by_feature_parallel",
    "multinomial_by_example",
    "multinomial_by_example_parallel",
    "multinomial_by_feature",
]

#: Positions per block when chunk rows are added, or examples finished, in parallel.
_BLOCK = 1 << 12


def _jit(function):
    return numba.njit(cache=True, nogil=True, error_model="numpy", fastmath=False)(function)


#: ``parallel=`` for the functions that hold a ``prange``: only the ``prange`` runs in parallel.
_PRANGE_ONLY = {"prange": True, "numpy": False, "reduction": False, "setitem": False,
                "comprehension": False, "stencil": False, "fusion": False}


def _jit_parallel(function):
    return numba.njit(cache=True, nogil=True, parallel=_PRANGE_ONLY, error_model="numpy",
                      fastmath=False)(function)


# --- per example ---------------------------------------------------------------------------

@_jit
def _sigmoid_example(z, y, s):
    """``(s dz, s loss)`` of one example with logit ``z``, label ``y`` and weight ``s``."""
    e = exp_nonpositive(-abs(z))
    a, loss = sigmoid_and_loss(z, y, e, log1p_unit(e))
    return (a - y) * s, loss * s


@_jit
def _softmax_example(z, labels, Y, s, j):
    """Turn example ``j``'s K logits ``z`` into ``s dz`` in place; return ``s loss``.

    The formulas of ``kernels._softmax_loops``: the first largest logit,
    ``r`` the other exponentials' sum, ``loss = sum_k y_k (zmax - z_k) +
    (sum_k y_k) log1p(r)``. ``labels`` (class indices) is empty when ``Y``
    (``(K, m)`` probabilities) is given, and ``Y`` is ``(0, 0)`` otherwise.
    """
    n_classes = z.shape[0]
    top = 0
    for c in range(1, n_classes):
        if z[c] > z[top]:
            top = c
    zmax = z[top]
    soft = Y.shape[0] > 0
    if soft:
        loss = 0.0
        mass = 0.0
        for c in range(n_classes):
            y_c = np.float64(Y[c, j])
            loss += y_c * (zmax - z[c])
            mass += y_c
    else:
        loss = zmax - z[labels[j]]
        mass = 1.0
    rest = 0.0
    for c in range(n_classes):
        e = 0.0 if c == top else exp_nonpositive(z[c] - zmax)
        rest += e
        z[c] = 1.0 if c == top else e
    weight = 1.0 if s is None else np.float64(s[j])
    scale = 1.0 / (1.0 + rest)
    if soft:
        for c in range(n_classes):
            z[c] = (z[c] * scale - np.float64(Y[c, j])) * weight
    else:
        label = labels[j]
        for c in range(n_classes):
            z[c] = (z[c] * scale - (1.0 if c == label else 0.0)) * weight
    return (loss + mass * math.log1p(rest)) * weight


# --- by example (CSC (n_x, m)) -------------------------------------------------------------

@_jit
def _binary_examples(w, b, data, indices, indptr, y, s, dw, start, stop):
    """Add examples ``start:stop``'s ``s dz x`` to ``dw``; return ``(sum(s dz), sum(s loss))``."""
    db = 0.0
    cost = 0.0
    for j in range(start, stop):
        first, last = indptr[j], indptr[j + 1]
        z = b
        for p in range(first, last):
            z += np.float64(w[indices[p]]) * np.float64(data[p])
        dz, loss = _sigmoid_example(z, np.float64(y[j]), 1.0 if s is None else np.float64(s[j]))
        for p in range(first, last):
            dw[indices[p]] += dz * np.float64(data[p])
        db += dz
        cost += loss
    return db, cost


@_jit
def binary_by_example(w, b, data, indices, indptr, y, s):
    """The binary op's ``(dw, db, cost)`` sums, X by example, on one thread."""
    dw = np.zeros(w.shape[0], dtype=np.float64)
    db, cost = _binary_examples(w, b, data, indices, indptr, y, s, dw, 0, indptr.shape[0] - 1)
    return dw, db, cost


@_jit
def _add_rows(rows, total, block):
    """``total[block positions] = sum of rows[:, ...]`` in row order, for one block of positions."""
    first = block * _BLOCK
    last = min(total.shape[0], first + _BLOCK)
    for i in range(first, last):
        t = 0.0
        for r in range(rows.shape[0]):
            t += rows[r, i]
        total[i] = t


@_jit
def _sum_parts(parts):
    total = 0.0
    for part in parts:
        total += part
    return total


@_jit_parallel
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
                                                      bounds[c], bounds[c + 1])
    dw = np.empty(n_x, dtype=np.float64)
    for block in numba.prange((n_x + _BLOCK - 1) // _BLOCK):
        _add_rows(rows, dw, block)
    return dw, _sum_parts(db_parts), _sum_parts(cost_parts)


@_jit
def _multinomial_examples(WT, b, data, indices, indptr, labels, Y, s, dWT, db, z, start, stop):
    """Add examples ``start:stop``'s sums to ``dWT`` and ``db``; return ``sum(s loss)``. ``z`` is a (K,) buffer."""
    n_classes = WT.shape[1]
    cost = 0.0
    for j in range(start, stop):
        first, last = indptr[j], indptr[j + 1]
        for c in range(n_classes):
            z[c] = b[c]
        for p in range(first, last):
            feature = indices[p]
            value = np.float64(data[p])
            for c in range(n_classes):
                z[c] += np.float64(WT[feature, c]) * value
        cost += _softmax_example(z, labels, Y, s, j)
        for c in range(n_classes):
            db[c] += z[c]
        for p in range(first, last):
            feature = indices[p]
            value = np.float64(data[p])
            for c in range(n_classes):
                dWT[feature, c] += z[c] * value
    return cost


@_jit
def multinomial_by_example(WT, b, data, indices, indptr, labels, Y, s):
    """The multinomial op's ``(dWT, db, cost)`` sums, X by example, on one thread."""
    n_x, n_classes = WT.shape
    dWT = np.zeros((n_x, n_classes), dtype=np.float64)
    db = np.zeros(n_classes, dtype=np.float64)
    z = np.empty(n_classes, dtype=np.float64)
    cost = _multinomial_examples(WT, b, data, indices, indptr, labels, Y, s, dWT, db, z, 0,
                                 indptr.shape[0] - 1)
    return dWT, db, cost


@_jit_parallel
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
        z = np.empty(n_classes, dtype=np.float64)
        cost_parts[c] = _multinomial_examples(WT, b, data, indices, indptr, labels, Y, s,
                                              rows[c].reshape((n_x, n_classes)), db_rows[c], z,
                                              bounds[c], bounds[c + 1])
    total = np.empty(n_x * n_classes, dtype=np.float64)
    for block in numba.prange((total.shape[0] + _BLOCK - 1) // _BLOCK):
        _add_rows(rows, total, block)
    db = np.empty(n_classes, dtype=np.float64)
    _add_rows(db_rows, db, 0)
    return total.reshape((n_x, n_classes)), db, _sum_parts(cost_parts)


# --- by feature (CSR (n_x, m)) -------------------------------------------------------------

@_jit
def _scatter_logits(WT, data, indices, indptr, Z, start, stop):
    """``Z[example, :] += WT[i, :] x`` for the stored entries of feature rows ``start:stop``."""
    n_classes = WT.shape[1]
    for i in range(start, stop):
        for p in range(indptr[i], indptr[i + 1]):
            example = indices[p]
            value = np.float64(data[p])
            for c in range(n_classes):
                Z[example, c] += np.float64(WT[i, c]) * value


@_jit
def _gather_gradient(dZ, data, indices, indptr, dWT, start, stop):
    """``dWT[i, :] = sum over row i's entries of dZ[example, :] x``, rows ``start:stop``."""
    n_classes = dWT.shape[1]
    for i in range(start, stop):
        for c in range(n_classes):
            dWT[i, c] = 0.0
        for p in range(indptr[i], indptr[i + 1]):
            example = indices[p]
            value = np.float64(data[p])
            for c in range(n_classes):
                dWT[i, c] += dZ[example, c] * value


@_jit
def _finish_binary(Z, b, y, s, start, stop):
    """Logits ``Z[start:stop, 0] + b`` -> ``s dz`` in place; return ``(sum(s dz), sum(s loss))``."""
    db = 0.0
    cost = 0.0
    for j in range(start, stop):
        dz, loss = _sigmoid_example(Z[j, 0] + b, np.float64(y[j]),
                                    1.0 if s is None else np.float64(s[j]))
        Z[j, 0] = dz
        db += dz
        cost += loss
    return db, cost


@_jit
def _finish_multinomial(Z, b, labels, Y, s, db, start, stop):
    """Logits ``Z[start:stop] + b`` -> ``s dZ`` in place, added to ``db``; return ``sum(s loss)``."""
    n_classes = Z.shape[1]
    cost = 0.0
    for j in range(start, stop):
        z = Z[j]
        for c in range(n_classes):
            z[c] += b[c]
        cost += _softmax_example(z, labels, Y, s, j)
        for c in range(n_classes):
            db[c] += z[c]
    return cost


@_jit
def binary_by_feature(WT, b, data, indices, indptr, y, s, m):
    """The binary op's ``(dw (n_x, 1), db, cost)`` sums, X by feature, on one thread; ``WT`` is w as ``(n_x, 1)``."""
    n_x = WT.shape[0]
    Z = np.zeros((m, 1), dtype=np.float64)
    _scatter_logits(WT, data, indices, indptr, Z, 0, n_x)
    db, cost = _finish_binary(Z, b, y, s, 0, m)
    dWT = np.empty((n_x, 1), dtype=np.float64)
    _gather_gradient(Z, data, indices, indptr, dWT, 0, n_x)
    return dWT, db, cost


@_jit
def multinomial_by_feature(WT, b, data, indices, indptr, labels, Y, s, m):
    """The multinomial op's ``(dWT, db, cost)`` sums, X by feature, on one thread."""
    n_x, n_classes = WT.shape
    Z = np.zeros((m, n_classes), dtype=np.float64)
    _scatter_logits(WT, data, indices, indptr, Z, 0, n_x)
    db = np.zeros(n_classes, dtype=np.float64)
    cost = _finish_multinomial(Z, b, labels, Y, s, db, 0, m)
    dWT = np.empty((n_x, n_classes), dtype=np.float64)
    _gather_gradient(Z, data, indices, indptr, dWT, 0, n_x)
    return dWT, db, cost


@_jit_parallel
def logits_by_feature_parallel(WT, data, indices, indptr, m, bounds):
    """``Z (m, K) = XᵀWT`` (no intercept): each chunk of feature rows into its own partial ``Z``, added in chunk order."""
    n_classes = WT.shape[1]
    n_chunks = bounds.shape[0] - 1
    rows = np.empty((n_chunks, m * n_classes), dtype=np.float64)
    for c in numba.prange(n_chunks):
        rows[c] = 0.0
        _scatter_logits(WT, data, indices, indptr, rows[c].reshape((m, n_classes)), bounds[c],
                        bounds[c + 1])
    Z = np.empty(m * n_classes, dtype=np.float64)
    for block in numba.prange((Z.shape[0] + _BLOCK - 1) // _BLOCK):
        _add_rows(rows, Z, block)
    return Z.reshape((m, n_classes))


@_jit_parallel
def finish_binary_parallel(Z, b, y, s):
    """:func:`_finish_binary` over fixed blocks of examples on numba's threads; ``(db, cost)`` added in block order."""
    m = Z.shape[0]
    n_blocks = (m + _BLOCK - 1) // _BLOCK
    db_parts = np.empty(n_blocks, dtype=np.float64)
    cost_parts = np.empty(n_blocks, dtype=np.float64)
    for block in numba.prange(n_blocks):
        start = block * _BLOCK
        db_parts[block], cost_parts[block] = _finish_binary(Z, b, y, s, start,
                                                            min(m, start + _BLOCK))
    return _sum_parts(db_parts), _sum_parts(cost_parts)


@_jit_parallel
def finish_multinomial_parallel(Z, b, labels, Y, s):
    """:func:`_finish_multinomial` over fixed blocks of examples on numba's threads; ``(db, cost)``."""
    m, n_classes = Z.shape
    n_blocks = (m + _BLOCK - 1) // _BLOCK
    db_rows = np.zeros((n_blocks, n_classes), dtype=np.float64)
    cost_parts = np.empty(n_blocks, dtype=np.float64)
    for block in numba.prange(n_blocks):
        start = block * _BLOCK
        cost_parts[block] = _finish_multinomial(Z, b, labels, Y, s, db_rows[block], start,
                                                min(m, start + _BLOCK))
    db = np.empty(n_classes, dtype=np.float64)
    _add_rows(db_rows, db, 0)
    return db, _sum_parts(cost_parts)


@_jit_parallel
def gradient_by_feature_parallel(dZ, data, indices, indptr, n_x):
    """``dWT (n_x, K)``: each feature row gathers its own sum (no conflicts), fixed blocks of rows on numba's threads."""
    dWT = np.empty((n_x, dZ.shape[1]), dtype=np.float64)
    for block in numba.prange((n_x + _BLOCK - 1) // _BLOCK):
        _gather_gradient(dZ, data, indices, indptr, dWT, block * _BLOCK,
                         min(n_x, (block + 1) * _BLOCK))
    return dWT
