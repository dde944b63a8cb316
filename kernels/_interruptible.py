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
  ``except KeyboardInterrupt`` would not catch it. A Ctrl-C during numba's
  compile (or its cache write) would be dropped inside an LLVM callback and
  turn into a ``RuntimeError``: :func:`call` holds SIGINT while numba
  compiles and raises it when the call ends.
"""

from __future__ import annotations

import signal
import threading
import time
from typing import Any, Callable

import numpy as np

from . import CONTINUE, MAX_ITER

__all__ = ["SLICE_SECONDS", "call", "interrupt_within", "run_in_slices"]

#: How long a slice of compiled iterations runs before Python looks for signals.
SLICE_SECONDS = 0.1
#: A slice is at most this many times longer (in iterations) than the one before.
_GROWTH = 8


_MAIN = threading.main_thread()
_calls_in_main = 0  # depth of call() in the main thread
_listening = False  # the compile listener is registered with numba
_deferred_from = None  # SIGINT's handler while a compile in call() defers it
_interrupted = False  # a SIGINT arrived while deferred


def _note_interrupt(signum, frame):
    global _interrupted
    _interrupted = True


def _listen() -> None:
    """Register, once, the numba compile listener that defers SIGINT (see :func:`call`)."""
    global _listening
    from numba.core import event

    class DeferInterrupts(event.Listener):
        def on_start(self, _event):
            global _deferred_from
            if (_calls_in_main and _deferred_from is None
                    and threading.current_thread() is _MAIN
                    and signal.getsignal(signal.SIGINT) is signal.default_int_handler):
                _deferred_from = signal.signal(signal.SIGINT, _note_interrupt)

        def on_end(self, _event):
            pass  # numba saves to its cache after this: SIGINT stays deferred until call() ends

    event.register("numba:compile", DeferInterrupts())
    _listening = True


def _resume_interrupts() -> None:
    """Put SIGINT's handler back; raise the ``KeyboardInterrupt`` that was held."""
    global _deferred_from, _interrupted
    signal.signal(signal.SIGINT, _deferred_from)
    _deferred_from = None
    if _interrupted:
        _interrupted = False
        raise KeyboardInterrupt


def call(function: Callable[..., Any], *args: Any) -> Any:
    """``function(*args)``, with a Ctrl-C during the call raised as ``KeyboardInterrupt``.

    Two ways numba loses a Ctrl-C are undone here. During a compiled run it
    surfaces as a ``SystemError`` (see the module docstring). During a
    compile, or the cache write after it, LLVM calls back into Python, the
    ``KeyboardInterrupt`` raised in that callback is printed and dropped, and
    numba fails with ``RuntimeError: no compiled object yet``. So while
    numba compiles in a call from the main thread, SIGINT is only noted
    (where Python's default handler was in place), and raised when the call
    ends: a Ctrl-C during a compile stops at the end of that compile.
    """
    global _calls_in_main
    if not _listening:
        _listen()
    main = threading.current_thread() is _MAIN
    if main:
        _calls_in_main += 1
    try:
        return function(*args)
    except SystemError as error:
        interrupt = interrupt_within(error)
        if interrupt is not None:
            raise interrupt.with_traceback(None) from None
        raise
    finally:
        if main:
            _calls_in_main -= 1
            if not _calls_in_main and _deferred_from is not None:
                _resume_interrupts()


def interrupt_within(error: BaseException) -> KeyboardInterrupt | None:
    """The ``KeyboardInterrupt`` at the root of ``error``'s chain of causes, however deep, or None.

    Boxing a compiled function's result can fail at several levels (a tuple,
    then the array in it), each wrapping the one below in a
    ``SystemError``: the interrupt may sit two or more links down.
    """
    seen = set()
    link: BaseException | None = error
    while link is not None and id(link) not in seen:
        if isinstance(link, KeyboardInterrupt):
            return link
        seen.add(id(link))
        link = link.__cause__ or link.__context__
    return None


def run_in_slices(descend: Callable[..., tuple[float, int, int]], w0: np.ndarray, b: float,
                  max_iter: int):
    """Run ``descend(w, b, costs, first, last) -> (b, n_iter, status)`` slice by slice.

    ``descend`` runs iterations ``first`` to ``last - 1`` on the float64
    ``w`` in place, writing ``costs[k]``, and returns ``CONTINUE`` while
    training goes on; it makes its compiled call through :func:`call`. The
    first slice is one iteration; each next one is sized from the last one's
    time to take about :data:`SLICE_SECONDS`.

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
