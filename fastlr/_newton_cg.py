"""``solver="newton-cg"``: truncated Newton, the Newton systems solved by conjugate gradients on
Hessian-vector products (``fastlr._hessian_product``), never forming the Hessian.

scikit-learn's ``newton-cg`` (``sklearn/utils/optimize.py``: ``_newton_cg``,
``_cg``), on fastlr's objective (``fastlr._objective``, the binary or
multinomial problem, dense or sparse X in memory, or a Dask X whose every
product is one map-reduce), with two changes (the user guide's solvers page
has the measurements):

1. At the current point: the gradient (from the last line-search trial, one
   fused kernel pass) and the Hessian operator (the curvature weights, one
   product with X, and its diagonal, one more pass). Converged, and
   stopped, when ``max |g| <= tol``, scikit-learn's test.
2. The step solves ``H d = -g`` by conjugate gradients from ``d = 0``, each
   iteration one product ``H p`` (two products with X), until the residual
   ``||H d + g||_1 <= eta ||g||_1`` with scikit-learn's forcing term ``eta =
   min(1/2, sqrt(||g||_1))``, at most 200 iterations, or until the
   curvature ``pᵀHp`` is at most ``16 eps ||p||^2`` (scikit-learn's capped
   CG). **Preconditioned** by the Hessian's diagonal (Jacobi): features of
   very different scales (counts, TF-IDF) then take a fraction of the CG
   iterations, and standardised ones about as many.
3. The step length by backtracking from 1, Armijo's rule, as
   ``newton-cholesky`` does (``fastlr._newton.line_search``; scikit-learn
   uses Wolfe line searches, which take the full step too in almost every
   Newton iteration). A search that fails warns and finishes with L-BFGS.

``n_iter`` counts Newton steps (outer iterations), as scikit-learn's
``n_iter_`` does; the CG iterations inside are not counted. ``costs`` holds
the objective at the start and after each step.

For the multinomial problem the Hessian is singular along the directions
that move every class's intercepts (and, without a penalty, every class's
coefficients of one feature) together; the gradient has no component along
them, CG does not move along them, and the result is moved to the symmetric
parametrisation at the end (``Objective.symmetric``), as the other solvers'.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ._blas import one_blas_thread
from ._newton import Fallback, finish_with_lbfgs, line_search
from ._objective import Coordinates, Objective, evaluators
from .kernels import CONVERGED, MAX_ITER, NOT_FINITE

__all__ = ["MAX_INNER", "conjugate_gradients", "minimize"]

#: Most CG iterations per Newton step (scikit-learn's ``maxinner``).
MAX_INNER = 200
_EPS = 16 * np.finfo(np.float64).eps


def conjugate_gradients(product: Callable[[np.ndarray], np.ndarray], diagonal: np.ndarray,
                        g: np.ndarray, tol: float, max_inner: int = MAX_INNER) -> tuple[np.ndarray, int]:
    """Solve ``H d = -g`` approximately: ``(d, iterations)``, preconditioned by ``diag(H)``.

    Stops once ``||H d + g||_1 <= tol``, after ``max_inner`` products, or on
    a direction of curvature at most ``16 eps ||p||^2`` (then ``d`` is the
    solution so far; at the first iteration, ``-g / diag(H)``).
    """
    scale = 1.0 / np.where(diagonal > 0, diagonal, 1.0)
    d = np.zeros_like(g)
    r = g.copy()  # H d + g
    z = r * scale
    p = -z
    rz = float(r @ z)
    for i in range(max_inner):
        if float(np.abs(r).sum()) <= tol:
            return d, i
        Hp = product(p)
        curvature = float(p @ Hp)
        if curvature <= _EPS * float(p @ p):
            if i == 0:
                d = -g * scale
            return d, i
        step = rz / curvature
        d += step * p
        r += step * Hp
        z = r * scale
        rz, rz_old = float(r @ z), rz
        p *= rz / rz_old
        p -= z
    return d, max_inner


def minimize(objective: Objective, max_iter: int, tol: float, fit_intercept: bool,
             callback: Callable[..., Any] | None):
    """Fit by truncated Newton; returns ``(w float64, b, costs, status, n_iter, message)``."""
    n_x, dtype = objective.n_x, objective.dtype
    operator_at = objective.hessian_operator
    if operator_at is None:
        raise ValueError("solver='newton-cg' needs an objective with a Hessian operator "
                         "(a kernel offering the gram-product op, or for K classes the "
                         "multinomial-product op)")
    coordinates = Coordinates.of(objective, fit_intercept)
    size = coordinates.size
    full = n_x + max(1, objective.n_classes)  # the operator's coordinates: every intercept
    w_k, point, value_and_gradient = evaluators(objective, coordinates)
    tiny = 16 * np.finfo(dtype).eps

    def newton_system(theta):
        """The product and the diagonal over ``theta``'s coordinates (held intercepts left out)."""
        operator = operator_at(w_k, point(theta))
        if size == full:
            return operator.product, operator.diagonal
        padded = np.zeros(full)

        def product(v):
            padded[:size] = v
            return operator.product(padded)[:size]

        return product, operator.diagonal[:size]

    theta = coordinates.vector(objective.w, objective.b)
    cost, g = value_and_gradient(theta)
    if g is None:
        objective.explain_non_finite()
    costs = [cost]
    status, message, iteration = MAX_ITER, "", 0
    with one_blas_thread():
        try:
            while True:
                g_abs = np.abs(g)
                if float(g_abs.max(initial=0.0)) <= tol:
                    status, message = CONVERGED, "converged"
                    break
                if iteration >= max_iter:
                    message = f"newton-cg did not converge after {max_iter} iterations."
                    break
                iteration += 1
                g_norm1 = float(g_abs.sum())
                product, diagonal = newton_system(theta)
                step, _ = conjugate_gradients(product, diagonal, g,
                                              min(0.5, np.sqrt(g_norm1)) * g_norm1)
                slope = float(g @ step)
                if not slope < 0:  # rounding on a near-singular Hessian
                    raise Fallback
                theta, cost, g = line_search(value_and_gradient, theta, cost, g, step, slope,
                                             tiny, iteration, solver="newton-cg")
                costs.append(cost)
                if callback is not None:
                    callback(iteration, theta[:n_x].astype(dtype), point(theta), cost)
        except Fallback:
            w, b, costs, status, iteration, message = finish_with_lbfgs(
                objective, coordinates, theta, fit_intercept, max_iter, iteration, tol, callback,
                costs)
        else:
            w, b, costs = theta[:n_x].copy(), point(theta), np.asarray(costs)
    if status == NOT_FINITE:
        return w, b, costs, status, iteration, message
    if objective.n_classes:
        objective.symmetric(w, b, fit_intercept)
    return w, b, costs, status, iteration, message
