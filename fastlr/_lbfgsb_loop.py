"""scipy's L-BFGS-B driven directly: ``minimize(method="L-BFGS-B")``'s loop without its wrappers.

``scipy.optimize.minimize(fun, x0, method="L-BFGS-B", jac=True)`` runs a
short Python loop around one compiled step (``setulb``): the step asks for
the cost and gradient at a point, or reports a new iterate, or stops. Around
each evaluation scipy adds its general-purpose wrappers (a ``ScalarFunction``
that copies the point, checks and counts; a ``MemoizeJac``; an
``OptimizeResult`` and a callback wrapper per iteration). On a small
problem they are most of an iteration: at breast cancer's size (569 x 30)
scipy's loop cost about 30 us per evaluation against 24 us for a NumPy
gradient, the loop here about 10 us.

:func:`lbfgsb` is that loop with the same step, in the same order, with the
same stopping rules (``maxiter``, ``maxfun`` = 15,000 evaluations, a
callback raising ``StopIteration``) and the same memo (a point equal to
the last one evaluated is not evaluated again): it returns the iterates,
``nit``, ``message`` and ``success`` scipy's ``minimize`` returns, to the
last bit. The step is scipy's private ``scipy.optimize._lbfgsb.setulb``, so
that is checked once per process (:func:`direct_loop_available`): scipy at
least 1.15 (where the step took its present arguments), and a small problem
solved both ways giving the same iterates, iterations and message. Anything
else (an older or a changed scipy) makes :func:`lbfgsb` call
``scipy.optimize.minimize`` itself: slower, never different.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

__all__ = ["LbfgsbResult", "direct_loop_available", "lbfgsb"]

#: L-BFGS-B's memory (scipy's ``maxcor`` default) and its evaluation budget (``maxfun``).
_MEMORY = 10
_MAX_EVALUATIONS = 15_000
#: The step's task codes (scipy's ``_lbfgsb_py``): evaluate, new iterate, stop; the stop reasons.
_EVALUATE, _NEW_ITERATE, _CONVERGED, _STOP = 3, 1, 4, 5
_STOPPED_BY_CALLBACK, _STOPPED_AT_MAXITER, _STOPPED_AT_MAXFUN = 505, 504, 502


@dataclass
class LbfgsbResult:
    """The fields of scipy's ``OptimizeResult`` that fastlr reads."""

    x: np.ndarray
    fun: float
    jac: np.ndarray
    nit: int
    success: bool
    message: str
    nfev: int  # evaluations of the function (scipy's count: a repeated point is not one)


def _scipy(fun: Callable, x0: np.ndarray, max_iter: int, gtol: float, ftol: float, max_ls: int,
           on_iteration: Callable[[np.ndarray, float], None] | None) -> LbfgsbResult:
    from scipy.optimize import minimize

    callback = None if on_iteration is None else (
        lambda intermediate_result: on_iteration(intermediate_result.x, intermediate_result.fun))
    result = minimize(fun, x0, method="L-BFGS-B", jac=True, callback=callback,
                      options={"maxiter": max_iter, "gtol": gtol, "ftol": ftol, "maxls": max_ls})
    message = result.message if isinstance(result.message, str) else str(result.message)
    return LbfgsbResult(result.x, result.fun, result.jac, int(result.nit), bool(result.success),
                        message, int(result.nfev))


def _direct(fun: Callable, x0: np.ndarray, max_iter: int, gtol: float, ftol: float, max_ls: int,
            on_iteration: Callable[[np.ndarray, float], None] | None) -> LbfgsbResult:
    from scipy.optimize import _lbfgsb
    from scipy.optimize._lbfgsb_py import status_messages, task_messages

    x = np.array(x0, dtype=np.float64).ravel()
    n = x.size
    f, g = fun(x.copy())  # scipy evaluates the start before the first step
    last_x, last = x.copy(), (f, g)
    n_evaluations = 1
    unbounded = np.zeros(n, dtype=np.int32)
    low, high = np.zeros(n, dtype=np.float64), np.zeros(n, dtype=np.float64)
    wa = np.zeros(2 * _MEMORY * n + 5 * n + 11 * _MEMORY * _MEMORY + 8 * _MEMORY, np.float64)
    iwa = np.zeros(3 * n, dtype=np.int32)
    task, ln_task = np.zeros(2, dtype=np.int32), np.zeros(2, dtype=np.int32)
    lsave, isave, dsave = np.zeros(4, np.int32), np.zeros(44, np.int32), np.zeros(29, np.float64)
    factr = ftol / np.finfo(float).eps
    f = np.array(0.0, dtype=np.float64)  # as scipy: the first step only asks for an evaluation
    g = np.zeros(n, dtype=np.float64)
    n_iter = 0
    stopped_by_callback = False
    while True:
        g = g.astype(np.float64)  # as scipy: the step gets its own copy of the gradient
        _lbfgsb.setulb(_MEMORY, x, low, high, unbounded, f, g, factr, gtol, wa, iwa, task, lsave,
                       isave, dsave, max_ls, ln_task)
        if task[0] == _EVALUATE:
            if not (x == last_x).all():  # np.array_equal's test, without its checks (same shape)
                last_x = x.copy()
                last = fun(x.copy())
                n_evaluations += 1
            f, g = last
        elif task[0] == _NEW_ITERATE:
            n_iter += 1
            if on_iteration is not None:
                try:
                    on_iteration(x, f)
                except StopIteration:
                    stopped_by_callback = True
                    task[0], task[1] = _STOP, _STOPPED_BY_CALLBACK
            if n_iter >= max_iter:
                task[0], task[1] = _STOP, _STOPPED_AT_MAXITER
            elif n_evaluations > _MAX_EVALUATIONS:
                task[0], task[1] = _STOP, _STOPPED_AT_MAXFUN
        else:
            break
    if stopped_by_callback:  # minimize's own words for it
        return LbfgsbResult(x, float(f), g, n_iter, False, "`callback` raised `StopIteration`.",
                            n_evaluations)
    message = status_messages[task[0]] + ": " + task_messages[task[1]]
    return LbfgsbResult(x, float(f), g, n_iter, bool(task[0] == _CONVERGED), message, n_evaluations)


def _probe_function(theta: np.ndarray) -> tuple[float, np.ndarray]:
    """A small ill-conditioned logistic cost with an L2 term, and its gradient."""
    A = np.array([[1.0, -2.0, 0.5, 3.0], [0.3, 1.5, -1.0, 2.0], [2.0, 0.1, 0.2, -0.7],
                  [-1.2, 0.4, 2.5, 0.9], [0.8, -0.6, -1.5, 1.1]])
    z = A @ theta
    labels = np.array([1.0, 0.0, 1.0, 1.0, 0.0])
    cost = float(np.sum(np.logaddexp(0.0, z) - labels * z)) + 0.05 * float(theta @ theta)
    return cost, A.T @ (1.0 / (1.0 + np.exp(-z)) - labels) + 0.1 * theta


_lock = threading.Lock()
_available: bool | None = None


def direct_loop_available() -> bool:
    """Whether this scipy's L-BFGS-B step can be driven directly (checked once per process)."""
    global _available
    if _available is None:
        with _lock:
            if _available is None:
                _available = _check_direct_loop()
    return _available


def _check_direct_loop() -> bool:
    try:
        import scipy
        from numpy.lib import NumpyVersion

        if NumpyVersion(scipy.__version__) < "1.15.0":
            return False
        start = np.array([0.5, -0.3, 0.8, 0.1])
        for max_iter, gtol in ((100, 1e-10), (3, 1e-10)):  # converged; stopped at max_iter
            seen: dict[str, list] = {"direct": [], "scipy": []}
            ours = _direct(_probe_function, start, max_iter, gtol, 1e-12, 20,
                           lambda x, f: seen["direct"].append((x.tobytes(), float(f))))
            theirs = _scipy(_probe_function, start, max_iter, gtol, 1e-12, 20,
                            lambda x, f: seen["scipy"].append((x.tobytes(), float(f))))
            if (ours.x.tobytes() != theirs.x.tobytes() or ours.nit != theirs.nit
                    or ours.nfev != theirs.nfev
                    or ours.message != theirs.message or ours.success != theirs.success
                    or ours.jac.tobytes() != np.asarray(theirs.jac, np.float64).tobytes()
                    or seen["direct"] != seen["scipy"]):
                return False
        return True
    except Exception:  # noqa: BLE001 - any other scipy: use its public minimize
        return False


def lbfgsb(fun: Callable[[np.ndarray], tuple[Any, np.ndarray]], x0: np.ndarray, *, max_iter: int,
           gtol: float, ftol: float, max_ls: int,
           on_iteration: Callable[[np.ndarray, float], None] | None = None) -> LbfgsbResult:
    """Minimise ``fun`` (cost and gradient at a float64 point) from ``x0`` by L-BFGS-B, unbounded.

    What ``scipy.optimize.minimize(fun, x0, method="L-BFGS-B", jac=True,
    options={"maxiter": max_iter, "gtol": gtol, "ftol": ftol, "maxls": max_ls})``
    returns, through the direct loop where this scipy allows it (see the
    module docstring). ``on_iteration(x, f)`` is called after each iteration
    with the iterate (scipy's own array: copy what you keep) and its cost;
    raising ``StopIteration`` there stops the fit, as in scipy.
    """
    run = _direct if direct_loop_available() else _scipy
    return run(fun, x0, max_iter, gtol, ftol, max_ls, on_iteration)
