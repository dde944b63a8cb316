"""The compiled multinomial Hessian-vector products of the ``numba`` and ``numba-parallel`` kernels.

The multinomial-product op (``fastlr.kernels``): for a direction ``(V (K,
n_x), v_b (K,))``, the softmax probabilities ``A (K, m)`` at the point and
weights ``c (m,)``, per example

    u = V x + v_b,   p = a ⊙ u,   r = c (p - a (1ᵀp))

and the sums ``HV = Σ r xᵀ`` ``(K, n_x)`` and ``h_b = Σ r`` ``(K,)``, float64:
the multinomial Hessian times ``(V, v_b)`` for ``c = s / sum(s)``, without the
L2 term. One pass over X per product: X is walked in tiles of examples, each
tile touched twice, once for ``U`` (the softmax pass's logits loops, from
``kernels._softmax_loops``, with ``V`` for ``W``), once for the tile's share of
``HV`` (its gradient loops), the second time from cache; in between, the
element-wise step above. The loops follow X's layout as the softmax pass's do.

- dense X: :func:`dense_one_thread`, and :func:`dense_parallel` over chunks
  of examples fixed by the shape (``numba_parallel.plan`` with ``K n_x``
  numbers per example), each chunk's sums in its own slot, added in chunk
  order;
- sparse X by example (CSC ``(n_x, m)``): the sparse softmax pass's tile
  gather and scatter (``kernels._sparse_loops``, indices bounded: an example
  with an index outside X's shape makes the output NaN), one thread or over
  the chunks ``numba_parallel.sparse_bounds`` gives;
- sparse X by feature (CSR): ``U`` scattered row by row, the element-wise
  step, ``HV`` gathered row by row (X read twice), one thread.

The element-wise step is compiled without fastmath (``kernels._softmax_loops``
says why: its bits must not depend on addresses); the sums are taken in
loops that only read, their order fixed by the tile. The same bits on any
number of threads.
"""

from __future__ import annotations

import numba
import numpy as np

from ._compile import entry, helper, inline, parallel_entry
from ._softmax_loops import _gradient, _logits, _sum_parts, add_row_sums, softmax_tile_length
from ._sparse_loops import (_BLOCK, _add_rows, _gather_gradient, _multinomial_buffers,
                            _scatter_logits, tile_logits, tile_scatter)

__all__ = ["dense_one_thread", "dense_parallel", "sparse_by_example", "sparse_by_example_parallel",
           "sparse_by_feature"]

_exact = helper(fastmath=False)


@_exact
def _curvature_tile(ut, dot, A, c, start, k):
    """``ut[:, :k]`` (``U`` of examples ``start:start+k``) -> ``R`` in place; ``dot`` a buffer."""
    n_classes = ut.shape[0]
    for i in range(k):
        dot[i] = 0.0
    for cl in range(n_classes):
        for i in range(k):
            p = A[cl, start + i] * ut[cl, i]
            ut[cl, i] = p
            dot[i] += p
    for cl in range(n_classes):
        for i in range(k):
            ut[cl, i] = c[start + i] * (ut[cl, i] - A[cl, start + i] * dot[i])


@helper
def _dense_range(V, v_b, X, A, c, HV, hb, ut, dot, start, stop):
    """Add examples ``start:stop``'s ``r xᵀ`` to ``HV`` and ``r`` to ``hb``, tile by tile."""
    tile = dot.shape[0]
    for t in range(start, stop, tile):
        k = min(tile, stop - t)
        _logits(V, v_b, X, ut, t, k)
        _curvature_tile(ut, dot, A, c, t, k)
        add_row_sums(ut, hb, k)
        _gradient(X, HV, ut, t, k)


@inline
def _dense_buffers(X, n_classes):
    tile = softmax_tile_length(X, n_classes)
    return np.empty((n_classes, tile), dtype=np.float64), np.empty(tile, dtype=np.float64)


@entry
def dense_one_thread(V, v_b, X, A, c):
    """``(HV, h_b)`` for a dense X on one thread."""
    n_classes, n_x = V.shape
    HV = np.zeros((n_classes, n_x), dtype=np.float64)
    hb = np.zeros(n_classes, dtype=np.float64)
    ut, dot = _dense_buffers(X, n_classes)
    _dense_range(V, v_b, X, A, c, HV, hb, ut, dot, np.int64(0), X.shape[1])
    return HV, hb


@parallel_entry
def dense_parallel(V, v_b, X, A, c, chunk):
    """``(HV, h_b)`` for a dense X, chunks of ``chunk`` examples on numba's threads, added in
    chunk order."""
    n_classes, n_x = V.shape
    m = X.shape[1]
    n_chunks = (m + chunk - 1) // chunk
    rows = np.empty((n_chunks, n_classes, n_x), dtype=np.float64)
    hb_rows = np.empty((n_chunks, n_classes), dtype=np.float64)
    for part in numba.prange(n_chunks):
        first = part * chunk
        rows[part] = 0.0
        hb_rows[part] = 0.0
        ut, dot = _dense_buffers(X, n_classes)
        _dense_range(V, v_b, X, A, c, rows[part], hb_rows[part], ut, dot, first,
                     min(m, first + chunk))
    HV, hb, _ = _sum_parts(rows, hb_rows, np.zeros(n_chunks, dtype=np.float64))
    return HV, hb


@helper(fastmath=False)
def _sparse_examples(VT, v_b, data, indices, indptr, A, c, HVT, hb, start, stop):
    """Add examples ``start:stop``'s ``x rᵀ`` to ``HVT (n_x, K)`` and ``r`` to ``hb`` (CSC)."""
    ut, work, _ = _multinomial_buffers(VT.shape[1])
    dot = work[0]
    tile = dot.shape[0]
    for t in range(start, stop, tile):
        k = min(tile, stop - t)
        tile_logits(VT, v_b, data, indices, indptr, ut, t, k)
        _curvature_tile(ut, dot, A, c, t, k)
        add_row_sums(ut, hb, k)
        tile_scatter(ut, data, indices, indptr, HVT, t, k)


@entry(fastmath=False)
def sparse_by_example(VT, v_b, data, indices, indptr, A, c):
    """``(HVT (n_x, K), h_b)`` for a sparse X by example (CSC ``(n_x, m)``), on one thread."""
    n_x, n_classes = VT.shape
    HVT = np.zeros((n_x, n_classes), dtype=np.float64)
    hb = np.zeros(n_classes, dtype=np.float64)
    _sparse_examples(VT, v_b, data, indices, indptr, A, c, HVT, hb, np.int64(0),
                     indptr.shape[0] - 1)
    return HVT, hb


@parallel_entry(fastmath=False)
def sparse_by_example_parallel(VT, v_b, data, indices, indptr, A, c, bounds):
    """:func:`sparse_by_example` over the chunks of examples ``bounds`` gives, on numba's threads."""
    n_x, n_classes = VT.shape
    n_chunks = bounds.shape[0] - 1
    rows = np.empty((n_chunks, n_x * n_classes), dtype=np.float64)
    hb_rows = np.empty((n_chunks, n_classes), dtype=np.float64)
    for part in numba.prange(n_chunks):
        rows[part] = 0.0
        hb_rows[part] = 0.0
        _sparse_examples(VT, v_b, data, indices, indptr, A, c, rows[part].reshape((n_x, n_classes)),
                         hb_rows[part], bounds[part], bounds[part + 1])
    total = np.empty(n_x * n_classes, dtype=np.float64)
    for block in numba.prange((total.shape[0] + _BLOCK - 1) // _BLOCK):
        _add_rows(rows, total, np.int64(block))
    hb = np.empty(n_classes, dtype=np.float64)
    _add_rows(hb_rows, hb, np.int64(0))
    return total.reshape((n_x, n_classes)), hb


@helper(fastmath=False)
def _curvature_rows(U, v_b, A, c, hb):
    """``U (m, K)`` (``Vx`` by example, without ``v_b``) -> ``R`` in place; ``hb += Σ r``."""
    n_classes = U.shape[1]
    for i in range(U.shape[0]):
        dot = 0.0
        for cl in range(n_classes):
            p = A[cl, i] * (U[i, cl] + v_b[cl])
            U[i, cl] = p
            dot += p
        for cl in range(n_classes):
            r = c[i] * (U[i, cl] - A[cl, i] * dot)
            U[i, cl] = r
            hb[cl] += r


@entry(fastmath=False)
def sparse_by_feature(VT, v_b, data, indices, indptr, A, c, m):
    """``(HVT (n_x, K), h_b)`` for a sparse X by feature (CSR ``(n_x, m)``), on one thread: ``U``
    scattered row by row, the element-wise step, ``HV`` gathered back row by row."""
    n_x, n_classes = VT.shape
    U = np.zeros((m, n_classes), dtype=np.float64)
    _scatter_logits(VT, data, indices, indptr, U, np.int64(0), n_x)
    hb = np.zeros(n_classes, dtype=np.float64)
    _curvature_rows(U, v_b, A, c, hb)
    HVT = np.empty((n_x, n_classes), dtype=np.float64)
    _gather_gradient(U, data, indices, indptr, HVT, np.int64(0), n_x)
    return HVT, hb
