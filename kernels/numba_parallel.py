"""Kernel ``numba-parallel``: one fused pass over X, on every core.

The examples are cut into chunks; a ``prange`` runs the chunks on the
threads of numba's pool, each chunk computing ``z``, the stable cost, ``dz``
and its contribution to ``dw`` and ``db`` while its examples are in cache,
into its own row of a ``(chunks, n_x)`` buffer; the rows are summed in order
afterwards (see ``kernels._loops``). X is read from memory once, and never
copied: each chunk is walked in tiles whose second touch finds them in
cache, in the loop order of X's layout (F order, examples contiguous, is what
``LogisticRegression`` passes; C order works as well).

The partition depends only on the shape and numba's pool size, never on the
number of threads in use, so the result is the same to the last bit with 1
thread or all of them. Threads: ``fastlr.set_num_threads`` (process-wide).

Calls from several Python threads at once are safe: numba's ``omp`` and
``tbb`` threading layers run them concurrently; its ``workqueue`` layer
cannot, so there they are serialised by a lock.
"""

from __future__ import annotations

import threading

import numba
import numpy as np

from . import _loops
from ._threads import MIN_CHUNK_ELEMENTS, MIN_CHUNK_EXAMPLES, get_num_threads, max_threads

__all__ = ["gradient", "plan", "train"]

#: Chunks per thread of the pool: enough to even out threads that run slow.
CHUNKS_PER_THREAD = 4


def plan(n_x: int, m: int) -> int:
    """Examples per chunk, a multiple of 4, from the shape and numba's pool size only."""
    pool = max_threads()
    min_chunk = max(MIN_CHUNK_EXAMPLES, -(-MIN_CHUNK_ELEMENTS // n_x))
    n_chunks = max(1, min(m // min_chunk, CHUNKS_PER_THREAD * pool))
    chunk = -(-m // n_chunks)
    return chunk + -chunk % 4


_lock = threading.Lock()
_serialise: bool | None = None  # None until the threading layer is known


def _run(function, *args):
    """Call a parallel function on ``get_num_threads()`` threads.

    numba's thread count is per calling thread, so it is set on each call
    (cheap when unchanged). Calls are serialised where the threading layer
    cannot take concurrent ones (``workqueue``), and until it is known.
    """
    global _serialise
    threads = get_num_threads()
    if numba.get_num_threads() != threads:
        numba.set_num_threads(threads)
    if _serialise is False:
        return function(*args)
    with _lock:
        result = function(*args)
        if _serialise is None:
            _serialise = numba.threading_layer() == "workqueue"
        return result


def gradient(w, b, X, y, alpha, sample_weight):
    """Fused multi-threaded gradient and cost.

    See ``fastlr.kernels`` for the shared signature and contract.
    """
    dw, db, cost = _run(
        _loops.gradient_parallel, w, float(b), X, y, sample_weight, float(alpha), plan(*X.shape)
    )
    return dw.astype(X.dtype, copy=False), db, cost


def train(w, b, X, y, alpha, sample_weight, learning_rate, max_iter, tol):
    """Compiled training loop on the fused pass; see ``fastlr._training``.

    Returns ``(w, b, costs, status)`` with ``w`` float64 and ``costs`` the
    ``n_iter`` recorded costs.
    """
    costs = np.empty(max_iter, dtype=np.float64)
    w_out, b_out, n_iter, status = _run(
        _loops.descend, w, float(b), X, y, sample_weight, float(alpha),
        float(learning_rate), int(max_iter), float(tol), costs, True, plan(*X.shape),
    )
    return w_out, b_out, costs[:n_iter], status
