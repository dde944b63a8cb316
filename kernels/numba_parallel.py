"""Kernel ``numba-parallel``: one fused pass over X, on every core.

The examples are cut into chunks; a ``prange`` runs the chunks on the
threads of numba's pool, each chunk computing ``z``, the stable cost, ``dz``
and its contribution to ``dw`` and ``db`` while its examples are in cache,
into its own row of a ``(chunks, n_x)`` buffer; the rows are summed in order
afterwards (see ``kernels._loops``). X is read from memory once, and never
copied: each chunk is walked in tiles whose second touch finds them in
cache, in the loop order of X's layout (F order, examples contiguous, is what
``LogisticRegression`` passes; C order works as well).

The partition depends only on the shape, never on the number of threads in
use or available, so the result is the same to the last bit with 1 thread
or all of them, on any machine. Threads: ``fastlr.set_num_threads`` (process-wide).
numba's own thread count (``numba.set_num_threads``, per calling thread) is
set for the call and restored before it returns.

Threading layer: TBB where it is installed (``kernels._threading_layer``
makes the ``tbb`` package loadable before numba chooses), which is safe in
``fork``ed children and with several Python threads at once. Under a layer
that cannot take concurrent calls (``workqueue``) calls are serialised by a
lock. The training loop runs in slices of about 0.1 s, so that Ctrl-C stops
it promptly (``kernels._interruptible``).
"""

from __future__ import annotations

import threading

import numba
import numpy as np

from . import (_hessian_loops, _loops, _product_loops, _softmax_loops, _softmax_product_loops,
               _sparse_loops, _threading_layer)
from ._arguments import (binary_arguments, multinomial_arguments, multinomial_product_arguments,
                         product_arguments)
from ._interruptible import call, run_in_slices
from ._threads import (MIN_CHUNK_ELEMENTS, MIN_CHUNK_EXAMPLES, get_num_threads, hessian_chunk_count,
                       sparse_chunk_count)

__all__ = ["binary_hessian_sums", "binary_sums", "gram_product", "multinomial_product",
           "multinomial_sums", "plan", "sparse_binary_sums", "sparse_bounds", "sparse_gram_product",
           "sparse_multinomial_product", "sparse_multinomial_sums", "train"]

_threading_layer.prepare()

#: Most chunks a pass is cut into. A constant, not a multiple of the pool
#: size: the partition, and so every bit of the result, must not depend on
#: the machine or on ``NUMBA_NUM_THREADS`` (which loky, for one, sets to 1 in
#: its workers). 64 chunks keep 16 threads evened out at 4 chunks each.
MAX_CHUNKS = 64


def plan(n_x: int, m: int) -> int:
    """Examples per chunk, a multiple of 4, from the shape alone."""
    min_chunk = max(MIN_CHUNK_EXAMPLES, -(-MIN_CHUNK_ELEMENTS // n_x))
    n_chunks = max(1, min(m // min_chunk, MAX_CHUNKS))
    chunk = -(-m // n_chunks)
    return chunk + -chunk % 4


_lock = threading.Lock()
_serialise: bool | None = None  # None until the threading layer is known


def _run(function, *args):
    """Call a parallel function on ``get_num_threads()`` threads, then restore numba's setting.

    numba's thread count is per calling thread: it is set for the call and
    put back as it was, so that a user's own ``numba.set_num_threads`` holds
    after fastlr returns. Calls are serialised where the threading layer
    cannot take concurrent ones (``workqueue``), and until it is known.
    """
    global _serialise
    threads = get_num_threads()
    before = numba.get_num_threads()
    if before != threads:
        numba.set_num_threads(threads)
    try:
        if _serialise is False:
            return call(function, *args)
        with _lock:
            result = call(function, *args)
            if _serialise is None:
                _serialise = _threading_layer.layer() not in _threading_layer.THREAD_SAFE
            return result
    finally:
        if before != threads:
            numba.set_num_threads(before)


def binary_sums(w, b, X, y, sample_weight):
    """Fused multi-threaded sums of the binary op.

    See ``fastlr.kernels`` for the op's contract.
    """
    return _run(_loops.sums_parallel, w, float(b), X, y, binary_arguments(w, X, y, sample_weight),
                plan(*X.shape))


def binary_hessian_sums(w, b, X, y, sample_weight):
    """Multi-threaded sums of the binary op and the Hessian's: one pass, per-chunk partial Hessians.

    See ``fastlr.kernels`` for the op's contract. The chunks come from the
    shape alone (``_threads.hessian_chunk_count``), their partial sums are
    added in chunk order: the same bits with any number of threads.
    """
    return _run(_hessian_loops.hessian_parallel, w, float(b), X, y,
                binary_arguments(w, X, y, sample_weight), hessian_chunk_count(*X.shape))


def train(w, b, X, y, alpha, sample_weight, learning_rate, max_iter, tol, fit_intercept=True):
    """Compiled training loop on the fused pass; see ``fastlr._training``.

    Returns ``(w, b, costs, status)`` with ``w`` float64 and ``costs`` the
    ``n_iter`` recorded costs.
    """
    s = binary_arguments(w, X, y, sample_weight)
    chunk = plan(*X.shape)

    def descend(w_master, b_now, costs, first, last):
        return _run(_loops.descend_parallel, w_master, b_now, X, y, s, float(alpha),
                    float(learning_rate), float(tol), bool(fit_intercept), costs, first, last,
                    chunk)

    return run_in_slices(descend, w, float(b), int(max_iter))


def multinomial_sums(W, b, X, labels, Y, sample_weight):
    """Fused multi-threaded multinomial sums: one pass over X, per-chunk partial rows.

    See ``fastlr.kernels`` for the op's contract. The chunks are planned as
    for the binary op with ``K n_x`` numbers per example, so that no more
    than :data:`MAX_CHUNKS` partial ``(K, n_x)`` rows exist, fewer for big
    ``K n_x``; they are summed in chunk order.
    """
    n_classes = W.shape[0]
    n_x, m = X.shape
    labels, Y, s = multinomial_arguments(W, b, X, labels, Y, sample_weight)
    return _run(_softmax_loops.sums_parallel, W, b, X, labels, Y, s, plan(n_classes * n_x, m))


def sparse_bounds(indptr: np.ndarray, partial_length: int) -> np.ndarray:
    """Chunk boundaries over a compressed axis, each chunk about as many stored entries as the next.

    From ``indptr`` alone (``_threads.sparse_chunk_count`` says how many
    chunks), so that the partition, and every bit of the result, does not
    depend on the threads.
    """
    outer = indptr.shape[0] - 1
    entries = int(indptr[-1])
    n_chunks = sparse_chunk_count(entries, outer, partial_length)
    targets = np.arange(n_chunks + 1, dtype=np.int64) * entries // n_chunks
    bounds = np.searchsorted(indptr, targets).astype(np.int64)
    bounds[0], bounds[-1] = 0, outer
    return bounds


def sparse_binary_sums(w, b, X, y, sample_weight):
    """Multi-threaded sums of the binary op on a sparse X (CSC or CSR ``(n_x, m)``).

    See ``fastlr.kernels`` for the op's contract. By example (CSC): one
    fused pass, each chunk of examples scattering into its own partial
    ``dw``. By feature (CSR): ``z`` by chunks of feature rows into partial
    ``z`` rows, the finish in blocks of examples, then ``dw`` row by row
    (``kernels._sparse_loops``).
    """
    n_x, m = X.shape
    s = binary_arguments(w, X, y, sample_weight)
    if X.format == "csc":
        return _run(_sparse_loops.binary_by_example_parallel, w, float(b), X.data, X.indices,
                    X.indptr, y, s, sparse_bounds(X.indptr, n_x))
    return _run(_sparse_loops.binary_by_feature_parallel, w, float(b), X.data, X.indices,
                X.indptr, y, s, m, sparse_bounds(X.indptr, m))


def sparse_multinomial_sums(W, b, X, labels, Y, sample_weight):
    """Multi-threaded multinomial sums on a sparse X, as :func:`sparse_binary_sums` with K logits.

    See ``fastlr.kernels`` for the op's contract.
    """
    n_x, m = X.shape
    labels, Y, s = multinomial_arguments(W, b, X, labels, Y, sample_weight)
    WT = np.ascontiguousarray(W.T)
    if X.format == "csc":
        dWT, db, cost = _run(_sparse_loops.multinomial_by_example_parallel, WT, b, X.data,
                             X.indices, X.indptr, labels, Y, s, sparse_bounds(X.indptr, n_x))
    else:
        dWT, db, cost = _run(_sparse_loops.multinomial_by_feature_parallel, WT, b, X.data,
                             X.indices, X.indptr, labels, Y, s, m, sparse_bounds(X.indptr, m))
    return np.ascontiguousarray(dWT.T), db, cost


def gram_product(X, c, v):
    """The weighted Gram product ``[X; 1] diag(c) [X; 1]ᵀ v``: one fused pass, chunks of examples
    on every core, the partial results added in chunk order (``kernels._product_loops``).

    See ``fastlr.kernels`` for the op's contract.
    """
    product_arguments(X, c, v)
    return _run(_product_loops.dense_parallel, X, c, v, plan(*X.shape))


def sparse_gram_product(X, c, v):
    """The weighted Gram product on a sparse X: by example (CSC) one pass in chunks of examples on
    every core; by feature (CSR) the one-thread passes of the ``numba`` kernel.

    See ``fastlr.kernels`` for the op's contract.
    """
    product_arguments(X, c, v)
    if X.format == "csc":
        return _run(_product_loops.sparse_by_example_parallel, X.data, X.indices, X.indptr, c, v,
                    sparse_bounds(X.indptr, v.shape[0]))
    return call(_product_loops.sparse_by_feature, X.data, X.indices, X.indptr, c, v, X.shape[1])


def multinomial_product(V, v_b, X, A, c):
    """The multinomial Hessian-vector product's sums: one fused pass, chunks of examples on
    every core (planned as the multinomial op's), added in chunk order
    (``kernels._softmax_product_loops``).

    See ``fastlr.kernels`` for the op's contract.
    """
    A = multinomial_product_arguments(V, v_b, X, A, c)
    return _run(_softmax_product_loops.dense_parallel, V, v_b, X, A, c,
                plan(V.shape[0] * X.shape[0], X.shape[1]))


def sparse_multinomial_product(V, v_b, X, A, c):
    """The multinomial Hessian-vector product's sums on a sparse X: by example (CSC) one pass in
    chunks of examples on every core; by feature (CSR) the one-thread passes of ``numba``.

    See ``fastlr.kernels`` for the op's contract.
    """
    A = multinomial_product_arguments(V, v_b, X, A, c)
    VT = np.ascontiguousarray(V.T)
    if X.format == "csc":
        HVT, hb = _run(_softmax_product_loops.sparse_by_example_parallel, VT, v_b, X.data,
                       X.indices, X.indptr, A, c, sparse_bounds(X.indptr, VT.size))
    else:
        HVT, hb = call(_softmax_product_loops.sparse_by_feature, VT, v_b, X.data, X.indices,
                       X.indptr, A, c, X.shape[1])
    return np.ascontiguousarray(HVT.T), hb
