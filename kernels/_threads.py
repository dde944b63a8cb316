"""How many threads the multi-threaded kernels use: one process-wide setting.

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

__all__ = ["get_num_threads", "max_threads", "set_num_threads"]

_requested: int | None = None


def max_threads() -> int:
    """The size of numba's thread pool (the number of cores without numba)."""
    try:
        from numba import config
    except ImportError:
        return os.cpu_count() or 1
    return int(config.NUMBA_NUM_THREADS)


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
