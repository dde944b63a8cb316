"""How many threads the multi-threaded kernels use, and how they share the work.

numba's own ``set_num_threads`` is per calling thread; fastlr's is per
process, so that a setting made once holds in every thread that calls a
kernel (the kernel applies it on each call). By default every thread of
numba's pool is used, which is the number of cores unless the
``NUMBA_NUM_THREADS`` environment variable says otherwise.

Pure Python: importing it imports numba only when a limit is checked.
"""

from __future__ import annotations

import operator
import os

__all__ = [
    "MIN_CHUNK_ELEMENTS",
    "MIN_CHUNK_EXAMPLES",
    "get_num_threads",
    "hessian_chunk_count",
    "MIN_CHUNK_ENTRIES",
    "max_threads",
    "set_num_threads",
    "sparse_chunk_count",
]

#: ``numba-parallel`` gives each chunk at least this many elements of X
#: (256 KB of float64), so a chunk's work (~10 us) dwarfs handing it to a thread...
MIN_CHUNK_ELEMENTS = 1 << 15
#: ...and at least this many examples, so its ``(chunks, n_x)`` partial rows
#: stay under 1/64 of X.
MIN_CHUNK_EXAMPLES = 64

#: ``numba-parallel`` gives each chunk of a sparse X at least this many
#: stored entries (~20 us of work each)...
MIN_CHUNK_ENTRIES = 1 << 13
#: ...and at least this many entries per position of its partial-sum row
#: (``dw`` by example, ``z`` by feature), so that zeroing and adding the rows
#: costs a fraction of the pass.
_ENTRIES_PER_PARTIAL = 8
#: Most chunks a pass is cut into (``numba_parallel.MAX_CHUNKS``).
_MAX_CHUNKS = 64


def sparse_chunk_count(entries: int, outer: int, partial_length: int) -> int:
    """How many chunks ``numba-parallel`` cuts a sparse pass into, from the matrix alone.

    ``entries`` stored values, ``outer`` compressed positions (examples by
    example, features by feature), ``partial_length`` positions in each
    chunk's row of partial sums. Never depends on the threads.
    """
    by_work = entries // MIN_CHUNK_ENTRIES
    by_partials = entries // (_ENTRIES_PER_PARTIAL * max(1, partial_length))
    return max(1, min(_MAX_CHUNKS, by_work, by_partials, outer))


#: ``numba-parallel``'s Hessian pass gives each chunk at least this many
#: multiply-adds (half a million): from about a million in all (two chunks),
#: two threads were 1.35-1.8x faster than one (30 x 5,000, 64 x 1,000,
#: 64 x 1,797, 100 x 500, 10 x 30,000, 20 x 5,000); with chunks of a quarter
#: million, 64 x 500 (four chunks) gained nothing...
MIN_HESSIAN_CHUNK_WORK = 1 << 19
#: ...and its chunks' partial Hessians hold at most this many numbers (8 MB).
#: Each chunk's ``(n_x + 1)^2`` partial is zeroed, accumulated into tile by
#: tile, and added to the others on one thread; once they outgrow the caches
#: that costs more than the chunks gain. With 32 MB, the pass on two threads
#: was 1.2-2.2x slower wherever that allowed more chunks (best of 3
#: alternated runs, F order: 250 x 4,000 62 -> 16 chunks 10.1 -> 4.5 ms,
#: 300 x 3,000 46 -> 11 11.7 -> 5.5 ms, 400 x 5,000 26 -> 6 19.5 -> 13.9 ms,
#: 200 x 10,000 64 -> 25 9.8 -> 7.1 ms, 150 x 5,000 64 -> 45 3.6 -> 3.0 ms);
#: every shape below 128 features keeps its chunks. 4 MB left 400 x 5,000
#: three chunks, 17.8 ms.
HESSIAN_PARTIAL_BUDGET = 1 << 20


def hessian_chunk_count(n_x: int, m: int) -> int:
    """How many chunks of examples ``numba-parallel``'s Hessian pass cuts ``(n_x, m)`` into.

    From the shape alone: each chunk holds at least :data:`MIN_CHUNK_EXAMPLES`
    examples and :data:`MIN_HESSIAN_CHUNK_WORK` multiply-adds of the
    ``(n_x + 1)^2 / 2`` per example; the partial Hessians hold at most
    :data:`HESSIAN_PARTIAL_BUDGET` numbers. Never depends on the threads.
    """
    work = (n_x + 1) * (n_x + 2) // 2  # multiply-adds per example, upper triangle
    min_chunk = max(MIN_CHUNK_EXAMPLES, -(-MIN_HESSIAN_CHUNK_WORK // work))
    by_memory = HESSIAN_PARTIAL_BUDGET // ((n_x + 1) * (n_x + 1))
    return max(1, min(m // min_chunk, _MAX_CHUNKS, by_memory))


_requested: int | None = None
_pool_size: int | None = None  # numba fixes its pool size at import; so do we


def max_threads() -> int:
    """The size of numba's thread pool (the number of cores without numba)."""
    global _pool_size
    if _pool_size is None:
        try:
            from numba import config
        except ImportError:
            _pool_size = os.cpu_count() or 1
        else:
            _pool_size = int(config.NUMBA_NUM_THREADS)
    return _pool_size


def set_num_threads(n: int | None) -> None:
    """Limit the threads of the multi-threaded kernels (``numba-parallel``).

    Parameters
    ----------
    n : int or None
        Between 1 and the number of threads available (numba's pool size,
        by default the number of cores); ``None`` goes back to all of them.
        Process-wide: it holds for every Python thread. Results are the
        same to the last bit whatever the number of threads.

    Raises
    ------
    TypeError
        If ``n`` is not an integer.
    ValueError
        If ``n`` is out of range.
    """
    global _requested
    if n is None:
        _requested = None
        return
    if isinstance(n, bool):
        raise TypeError(f"number of threads must be an integer; got bool {n!r}")
    try:
        count = operator.index(n)
    except TypeError:
        raise TypeError(
            f"number of threads must be an integer; got {type(n).__name__} {n!r}"
        ) from None
    limit = max_threads()
    if not 1 <= count <= limit:
        raise ValueError(
            f"number of threads must be between 1 and {limit} (the threads available "
            f"here); got {count}"
        )
    _requested = count


def get_num_threads() -> int:
    """The number of threads the multi-threaded kernels use now."""
    return max_threads() if _requested is None else _requested
