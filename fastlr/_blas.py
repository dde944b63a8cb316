"""BLAS held at one thread while fits run: one process-wide limit, shared by every thread that fits.

The second-order solvers (``lbfgs``, ``newton-cholesky``, ``newton-cg``,
``prox-newton``) call BLAS on tiny matrices between passes over X;
OpenBLAS then keeps its threads spinning for a while, on the same cores
the multi-threaded kernels want (measured: 20 x 20,000, 10 L-BFGS
iterations, 57 ms instead of 1.6 ms). So a fit runs inside
:func:`one_blas_thread`, with BLAS limited to one thread (threadpoolctl,
when installed: scikit-learn brings it), which is all such small products
need.

BLAS's thread count is one setting of the whole process, so fits running at
once in several Python threads (a thread pool, joblib's threading backend)
share one limit: the first fit to start sets it and remembers what was
there; the last one to end puts that back, whichever threads they ran on.
Before, each fit limited and restored on its own, and a fit that started
while another held the limit remembered the limit as the setting: after
four threads had fitted at once, BLAS stayed at one thread for the rest of
the process.

threadpoolctl 3.8 lets one Python thread at a time change OpenBLAS's
threads (the "controlling thread"; the others' changes are ignored until it
lets go). Here each change is followed by letting go, so no thread keeps
that control after a fit, and a limit set by the caller's own thread is
left alone. A child process forked during a fit keeps the fits of the
thread that forked it (the only thread it has); with none, it gets the
setting back.

threadpoolctl's controller (which finds the loaded BLAS libraries) is built
once per process, on the first fit, after scipy's own BLAS is loaded:
building it per fit cost 2.6 ms here, more than a whole small fit's kernel
time; limiting through it costs 0.02 ms.
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
from typing import Any, Iterator

__all__ = ["blas_controller", "one_blas_thread"]


@functools.lru_cache(maxsize=1)
def blas_controller() -> Any:
    """threadpoolctl's controller of numpy's and scipy's BLAS, or ``None`` without threadpoolctl.

    Made once; a controller sees only the libraries loaded when it is made,
    so scipy's own BLAS is loaded first.
    """
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return None
    import scipy.linalg  # noqa: F401 - loads scipy's BLAS (numpy's is loaded with numpy)
    return ThreadpoolController()


def _let_go() -> None:
    """Give up threadpoolctl's control of OpenBLAS if this thread holds it (threadpoolctl >= 3.8)."""
    import threadpoolctl

    clear = getattr(getattr(threadpoolctl, "OpenBLASController", None), "clear_controlling_thread",
                    None)
    if clear is not None:
        clear()


class _SharedLimit:
    """The one limit: who holds it (thread id -> depth) and what to put back."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.holders: dict[int, int] = {}
        self.limiter: Any = None  # threadpoolctl's limiter, from the first holder's start

    def enter(self, controller: Any) -> None:
        with self.lock:
            if not self.holders:
                self.limiter = controller.limit(limits=1, user_api="blas")
                _let_go()
            me = threading.get_ident()
            self.holders[me] = self.holders.get(me, 0) + 1

    def leave(self) -> None:
        with self.lock:
            me = threading.get_ident()
            depth = self.holders.pop(me) - 1
            if depth:
                self.holders[me] = depth
            elif not self.holders:
                self._restore()

    def _restore(self) -> None:
        limiter, self.limiter = self.limiter, None
        limiter.restore_original_limits()
        _let_go()

    def after_fork_in_child(self) -> None:
        """Only the thread that forked lives on in the child: keep its holds, drop the others'."""
        self.lock = threading.Lock()
        me = threading.get_ident()
        depth = self.holders.get(me, 0)
        self.holders = {me: depth} if depth else {}
        if not depth and self.limiter is not None:
            self._restore()


_shared = _SharedLimit()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_shared.after_fork_in_child)


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """BLAS at one thread inside (see the module docstring); nothing without threadpoolctl."""
    controller = blas_controller()
    if controller is None:
        yield
        return
    _shared.enter(controller)
    try:
        yield
    finally:
        _shared.leave()
