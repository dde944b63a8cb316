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
