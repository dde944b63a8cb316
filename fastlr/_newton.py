"""``solver="newton-cholesky"``: Newton steps on the fused Hessian op, solved by Cholesky.

scikit-learn's ``NewtonCholeskySolver`` (``sklearn/linear_model/_glm/
_newton_solver.py``), iteration for iteration, on fastlr's objective
(``fastlr._objective``; the binary or multinomial problem held in memory):

1. ``H, g`` at the current point, one pass over X (the kernel's Hessian op:
   cost, gradient and ``[X; 1] diag(s a (1-a)) [X; 1]ᵀ / sum(s) + alpha I``
   together). Without ``fit_intercept`` the intercept's row and column are
   left out.
2. The Newton step ``d = -H⁻¹ g`` by Cholesky (LAPACK ``potrf``/``potrs``).
   A Hessian that is not positive definite, or whose reciprocal condition
   number (``pocon``) is below machine epsilon, makes the solver warn
   (``scipy.linalg.LinAlgWarning``) and finish with L-BFGS, as
   scikit-learn's does; so does a step that is not a descent direction.
3. Backtracking line search from ``t = 1``, halving, at most 21 trials:
   Armijo's ``f(x + t d) - f(x) <= t sigma gᵀd`` with ``sigma = 2^-11``, or,
   once the change in ``f`` is within ``16 eps |f|`` (eps of X's dtype), a
   smaller ``||g||_1``. Each trial is one evaluation (cost and gradient). A
   search that fails warns (``ConvergenceWarning``) and finishes with L-BFGS.
4. Converged when ``max |g| <= tol`` at the new point and the Newton
   decrement ``dᵀ H d / 2 <= tol``.

With K classes (the multinomial problem) the Hessian is the block one,
``K (n_x + 1)`` square (the ``numpy`` kernel's multinomial Hessian op), and,
as scikit-learn does, the coordinates along which the softmax does not
change are held at 0 during the fit: the last class's intercept, and without
a penalty (``alpha = 0``) its weights too; the result is then moved to the
symmetric parametrisation (each feature's weights, and the intercepts,
summing to 0 over the classes), which predicts the same.

``n_iter`` counts Newton steps; when L-BFGS finishes the fit it gets the
iterations left (``max_iter`` minus the Newton steps begun) and its
iterations are added, as scikit-learn counts them. ``costs`` holds the
objective at the start and after each step.

The Newton system is ``n_x + 1`` square: its Cholesky costs ``(n_x + 1)^3 /
3`` flops per step, and the Hessian ``(n_x + 1)^2 / 2`` multiply-adds per
example. With few features a fit takes 5-10 passes where L-BFGS takes
10-100; with many, L-BFGS wins (the user guide's solvers page: the measured crossover).

BLAS runs on one thread during the fit (as for ``lbfgs``, see
``fastlr._blas``), also when the Hessian is BLAS's own (the ``numpy``
kernel): with every thread for its products, OpenBLAS's threads kept
spinning afterwards, against the factorisation and the evaluations that
follow (scipy's LAPACK, numba's pool). One thread was faster in every case
measured: 3 classes x 100 features x 20,000 samples 0.67 s against 0.93 s,
digits' 10 classes 0.23 s against 0.53 s, binary 600 x 20,000 1.11 s
against 1.19 s, binary 200 x 20,000 0.14 s against 0.17 s.
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any, Callable

import numpy as np

from . import _lbfgs
from ._blas import one_blas_thread
from ._objective import Coordinates, Objective, evaluators
from ._validation import is_finite_result
from ._warnings import convergence_warning
from .kernels import CONVERGED, MAX_ITER, NOT_FINITE

__all__ = ["Fallback", "finish_with_lbfgs", "line_search", "minimize"]

#: Armijo's constant and the backtracking factor (scikit-learn's).
_SIGMA = 2.0 ** -11
_BETA = 0.5
_LINE_SEARCH_TRIALS = 21  # t = 1 down to 2^-20


class Fallback(Exception):
    """The Newton step cannot be taken here: L-BFGS finishes the fit."""


def _scipy_linalg():
    """scipy's ``LinAlgWarning`` and LAPACK module, or the ImportError that says what to install."""
    try:
        from scipy.linalg import LinAlgWarning, lapack
    except ImportError as exc:
        raise ImportError(
            "solver='newton-cholesky' needs scipy; install it with `pip install scipy` "
            "(a dependency of fastlr-kernels that cannot be imported here), or use solver='gd'"
        ) from exc
    return LinAlgWarning, lapack


def _newton_step(H: np.ndarray, g: np.ndarray, iteration: int) -> np.ndarray:
    """``-H⁻¹ g`` by Cholesky; :class:`Fallback` (after scikit-learn's warning) when ``H`` is
    not positive definite or too ill-conditioned to trust."""
    LinAlgWarning, lapack = _scipy_linalg()
    dpocon, dpotrf, dpotrs = lapack.dpocon, lapack.dpotrf, lapack.dpotrs
    factor, info = dpotrf(H, lower=True, clean=False)
    if info == 0:
        rcond, info = dpocon(factor, np.abs(H).sum(axis=0).max(), uplo="L")
        if info == 0 and rcond >= np.finfo(np.float64).eps:
            step, info = dpotrs(factor, -g, lower=True)
            if info == 0:
                return step
            problem = f"potrs returned info={info}"
        else:
            problem = f"ill-conditioned matrix (rcond={rcond:.6g})"
    else:
        problem = f"the leading minor of order {info} is not positive definite"
    warnings.warn(
        "The inner solver of NewtonCholeskySolver stumbled upon a singular or very "
        f"ill-conditioned Hessian matrix at iteration {iteration}. It will now resort to lbfgs "
        "instead.\nFurther options are to use another solver or to avoid such situation in the "
        "first place. Possible remedies are removing collinear features of X or increasing the "
        f"penalization strengths.\nThe original Linear Algebra message was:\n{problem}",
        LinAlgWarning, stacklevel=5)
    raise Fallback


def _fixed_coordinates(objective: Objective, fit_intercept: bool) -> np.ndarray | None:
    """The coordinates held at 0 for the multinomial problem (scikit-learn's choice), or ``None``.

    The softmax is unchanged when every class's coefficients of one feature
    move together, so the Hessian is singular along each unpenalised
    feature: with ``alpha = 0`` the last class's weights and intercept are
    held at 0, with a penalty only its intercept.
    """
    K = objective.n_classes
    if not K:
        return None
    n_x, n = objective.features, objective.n_x
    fixed = [n + K - 1] if fit_intercept else []
    if objective.alpha == 0:
        fixed = [*range((K - 1) * n_x, n), *fixed]
    return np.array(fixed, dtype=np.intp) if fixed else None


def minimize(objective: Objective, max_iter: int, tol: float, fit_intercept: bool,
             callback: Callable[..., Any] | None):
    """Fit by Newton-Cholesky; returns ``(w float64, b, costs, status, n_iter, message)``."""
    _scipy_linalg()  # before any pass over X: the error that says what to install
    n_x, dtype, hessian = objective.n_x, objective.dtype, objective.hessian
    multinomial = objective.n_classes > 0
    coordinates = Coordinates.of(objective, fit_intercept)
    size = coordinates.size
    w_k, point, value_and_gradient = evaluators(objective, coordinates)
    tiny = 16 * np.finfo(dtype).eps
    fixed = _fixed_coordinates(objective, fit_intercept)
    free = None if fixed is None else np.setdiff1d(np.arange(size), fixed)

    def with_hessian(theta):
        H, dw, db, cost = hessian(w_k, point(theta))
        if not is_finite_result(dw, db, cost) or not np.isfinite(H).all():
            return np.inf, None, None
        return cost, coordinates.gradient(dw, db), H[:size, :size]

    theta = coordinates.vector(objective.w, objective.b)
    if multinomial:  # move the fixed coordinates to 0; the objective does not change
        K = objective.n_classes
        if objective.alpha == 0:
            W = theta[:n_x].reshape(K, -1)
            W -= W[-1].copy()
        if fit_intercept:
            theta[n_x:] -= theta[-1]
    cost, g, H = with_hessian(theta)
    if g is None:
        objective.explain_non_finite()
    costs = [cost]
    status, message = MAX_ITER, ""
    iteration = 1
    blas = one_blas_thread()
    with blas:
        try:
            while iteration <= max_iter:
                if iteration > 1:
                    _, g, H = with_hessian(theta)
                    if g is None:
                        return _not_finite(theta, n_x, point, costs, iteration)
                if free is None:
                    step = _newton_step(H, g, iteration)
                else:
                    g[fixed] = 0.0
                    step = np.zeros(size)
                    step[free] = _newton_step(H[np.ix_(free, free)], g[free], iteration)
                slope = float(g @ step)
                if slope > 0:  # not a descent direction (rounding, on a near-singular H)
                    raise Fallback
                theta, cost, g = line_search(value_and_gradient, theta, cost, g, step, slope,
                                              tiny, iteration)
                costs.append(cost)
                if callback is not None:
                    callback(iteration, theta[:n_x].astype(dtype), point(theta), cost)
                if float(np.abs(g).max()) <= tol and 0.5 * float(step @ H @ step) <= tol:
                    status, message = CONVERGED, "converged"
                    break
                iteration += 1
            else:
                iteration = max_iter
                message = f"Newton solver did not converge after {max_iter} iterations."
        except Fallback:
            w, b, costs, status, iteration, message = finish_with_lbfgs(
                objective, coordinates, theta, fit_intercept, max_iter, iteration, tol, callback,
                costs)
        else:
            w, b, costs = theta[:n_x].copy(), point(theta), np.asarray(costs)
    if multinomial:
        objective.symmetric(w, b, fit_intercept)  # the fixed class moved back
    return w, b, costs, status, iteration, message


def _not_finite(theta, n_x, point, costs, iteration):
    return theta[:n_x].copy(), point(theta), np.asarray(costs), NOT_FINITE, iteration, "not finite"


def line_search(value_and_gradient, theta, cost, g, step, slope, tiny, iteration,
                solver="Newton solver NewtonCholeskySolver"):
    """Backtracking from ``t = 1`` (module docstring, point 3): the accepted ``(theta, cost, g)``."""
    armijo = _SIGMA * slope
    g_norm1 = -1.0
    t = 1.0
    for _ in range(_LINE_SEARCH_TRIALS):
        trial = theta + t * step
        trial_cost, trial_g = value_and_gradient(trial)
        if trial_g is not None:
            change = trial_cost - cost
            if change <= t * armijo:
                return trial, trial_cost, trial_g
            if abs(change) <= abs(cost) * tiny:
                if g_norm1 < 0:
                    g_norm1 = float(np.abs(g).sum())
                if float(np.abs(trial_g).sum()) < g_norm1:
                    return trial, trial_cost, trial_g
        t *= _BETA
    warnings.warn(
        f"Line search of {solver} at iteration #{iteration} did not "
        f"converge after {_LINE_SEARCH_TRIALS} line search refinement iterations. It will now "
        "resort to lbfgs instead.", convergence_warning(), stacklevel=5)
    raise Fallback


def finish_with_lbfgs(objective: Objective, coordinates: Coordinates, theta, fit_intercept,
                       max_iter, iteration, tol, callback, costs):
    """L-BFGS from ``theta`` with the iterations left; its iterations add to the Newton steps."""
    start = dataclasses.replace(objective, w=theta[:objective.n_x].astype(objective.dtype),
                                b=coordinates.intercept(theta))
    w, b, lbfgs_costs, status, n_iter, message = _lbfgs.minimize(
        start, max(1, max_iter - iteration), tol, fit_intercept, callback)
    costs = np.concatenate([costs, lbfgs_costs[1:]])
    return w, b, costs, status, iteration - 1 + n_iter, f"lbfgs: {message}"
