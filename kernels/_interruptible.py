"""Compiled calls that Ctrl-C can stop: the training loop in slices, and a clean ``KeyboardInterrupt``.

Python handles a signal only between bytecodes, so while compiled code runs
Ctrl-C waits. Two things make it prompt and clean:

- :func:`run_in_slices` runs a compiled gradient-descent loop as slices of
  iterations, each about :data:`SLICE_SECONDS` long, and returns to Python
  between them. The state (``w`` in float64, ``b``) passes from slice to
  slice exactly, so the result is the same to the last bit as one compiled
  loop; the overhead is one call per slice (microseconds against 0.1 s).
- :func:`call` turns what numba makes of a Ctrl-C that arrives during a
  compiled call back into a ``KeyboardInterrupt``. Boxing the result runs a
  little Python, which raises the pending ``KeyboardInterrupt``; numba then
  reports ``SystemError: ... returned a result with an exception set``, and
  ``except KeyboardInterrupt`` would not catch it.
"""

from __future__ import annotations

import time
from typing import Any, Callable

import numpy as np

from . import CONTINUE, MAX_ITER

__all__ = ["SLICE_SECONDS", "call", "run_in_slices"]

#: How long a slice of compiled iterations runs before Python looks for signals.
SLICE_SECONDS = 0.1
#: A slice is at most this many times longer (in iterations) than the one before.
_GROWTH = 8


def call(function: Callable[..., Any], *args: Any) -> Any:
    """``function(*args)``, with a Ctrl-C during the call raised as ``KeyboardInterrupt``."""
    try:
        return function(*args)
    except SystemError as error:
        cause = error.__cause__ or error.__context__
        if isinstance(cause, KeyboardInterrupt):
            raise cause.with_traceback(None) from None
        raise


def run_in_slices(descend: Callable[..., tuple[float, int, int]], w0: np.ndarray, b: float,
                  max_iter: int):
    """Run ``descend(w, b, costs, first, last) -> (b, n_iter, status)`` slice by slice.

    ``descend`` runs iterations ``first`` to ``last - 1`` on the float64
    ``w`` in place, writing ``costs[k]``, and returns ``CONTINUE`` while
    training goes on; it makes its compiled call through :func:`call`. The first slice is one iteration; each next one
    is sized from the last one's time to take about :data:`SLICE_SECONDS`.

    Returns ``(w, b, costs, status)`` as a kernel's ``train`` does, with
    ``status`` ``MAX_ITER``, ``CONVERGED`` or ``NOT_FINITE``.
    """
    w = np.array(w0, dtype=np.float64)  # a copy: the caller's start is never changed
    costs = np.empty(max_iter, dtype=np.float64)
    done = 0
    length = 1
    status = CONTINUE
    while done < max_iter:
        first, last = done, min(max_iter, done + length)
        started = time.perf_counter()
        b, done, status = descend(w, b, costs, first, last)
        if status != CONTINUE:
            break
        per_iteration = (time.perf_counter() - started) / (last - first)
        length = max(1, min(length * _GROWTH, int(SLICE_SECONDS / max(per_iteration, 1e-9))))
    if status == CONTINUE:
        status = MAX_ITER
    return w, b, costs[:done], status
