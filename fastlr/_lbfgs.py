"""``solver="lbfgs"``: scipy's L-BFGS-B over one fused fastlr gradient per evaluation.

Each function evaluation is one evaluation of the objective
(``fastlr._objective``), which returns the cost and the gradient together
(``jac=True``): one kernel call on the validated data in memory, or one map
over the chunks and one tree reduction for Dask arrays. The optimiser's
state is float64 (scipy's); ``w`` is cast to X's dtype for the kernel, so
float32 X is read as float32, never copied.

The stopping rule is scikit-learn's: ``gtol = tol`` (L-BFGS-B stops once
the largest gradient component is ``<= tol``; nothing is bounded here, so
its projected gradient is the gradient), ``ftol = 64 eps`` (so that it
practically never stops on the cost alone), ``maxls = 50``. ``converged``
means the gradient test held at the returned point, or L-BFGS-B stopped
because the cost no longer changes at machine precision (scikit-learn counts
both as converged; a ``tol`` below what float64 can resolve ends that way).

scipy's L-BFGS-B step is driven by ``fastlr._lbfgsb_loop``: the loop of
``scipy.optimize.minimize(method="L-BFGS-B")`` without its per-evaluation
wrappers, the same iterates to the last bit (checked once per process;
otherwise ``minimize`` itself runs). On breast cancer (569 x 30) the wrappers
were a third of a fit's time.

``costs`` holds the cost at the start and after each iteration
(``n_iter + 1`` values); ``n_iter`` counts L-BFGS iterations, which may each
take more than one gradient.

L-BFGS-B's own linear algebra calls BLAS on tiny matrices between gradient
evaluations: the fit runs with BLAS at one thread (``fastlr._blas``).

Without ``fit_intercept`` the optimiser's vector is ``w`` alone and ``b``
stays where it started. For the multinomial problem the vector is ``W``
flattened and the K intercepts.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ._blas import one_blas_thread
from ._lbfgsb_loop import lbfgsb
from ._objective import Coordinates, Objective
from ._validation import is_finite_result
from .kernels import CONVERGED, MAX_ITER, NOT_FINITE

__all__ = ["minimize"]

_FTOL = 64 * np.finfo(np.float64).eps
_MAX_LINE_SEARCH = 50


def _scipy_minimize():
    try:
        from scipy.optimize import minimize as scipy_minimize
    except ImportError as exc:
        raise ImportError(
            "solver='lbfgs' needs scipy; install it with `pip install scipy` "
            "(a dependency of fastlr-kernels that cannot be imported here), or use solver='gd'"
        ) from exc
    return scipy_minimize


def minimize(objective: Objective, max_iter: int, tol: float, fit_intercept: bool,
             callback: Callable[..., Any] | None):
    """Fit by L-BFGS-B; returns ``(w float64, b, costs, status, n_iter, message)``."""
    _scipy_minimize()  # a clear ImportError without scipy
    n_x, dtype, evaluate = objective.n_x, objective.dtype, objective.evaluate
    coordinates = Coordinates.of(objective, fit_intercept)
    intercept = coordinates.intercept
    w_k = np.empty(n_x, dtype=dtype)
    start: list[tuple[np.ndarray, Any]] = []  # theta0 and its (cost, gradient), once computed

    def cost_and_gradient(theta):
        if start:  # L-BFGS-B's first evaluation is the start, already computed; no other is
            known_theta, known_value = start.pop()
            if np.array_equal(theta, known_theta):
                return known_value
        w_k[:] = theta[:n_x]
        dw, db, cost = evaluate(w_k, intercept(theta))
        if not is_finite_result(dw, db, cost):
            return np.inf, np.full(coordinates.size, np.nan)
        return cost, coordinates.gradient(dw, db)  # new each time: scipy keeps a reference

    theta0 = coordinates.vector(objective.w, objective.b)
    start_value = cost_and_gradient(theta0)
    if start_value[0] == np.inf:  # cost_and_gradient's mark of a non-finite result
        objective.explain_non_finite()
    start.append((theta0.copy(), start_value))
    costs = [start_value[0]]

    def record(theta, cost):
        costs.append(float(cost))
        if callback is not None:
            callback(len(costs) - 1, theta[:n_x].astype(dtype), intercept(theta), float(cost))

    with one_blas_thread():
        result = lbfgsb(cost_and_gradient, theta0, max_iter=max_iter, gtol=tol, ftol=_FTOL,
                        max_ls=_MAX_LINE_SEARCH, on_iteration=record)
    theta = result.x
    if not np.isfinite(result.fun):
        status = NOT_FINITE
    else:  # result.jac is the gradient at result.x; success includes the ftol stop
        gradient_test = float(np.abs(result.jac).max(initial=0.0)) <= tol
        status = CONVERGED if gradient_test or result.success else MAX_ITER
    return theta[:n_x].copy(), intercept(theta), np.asarray(costs), status, result.nit, result.message
