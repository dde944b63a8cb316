"""``solver="prox-newton"``: L1 and elastic net by proximal Newton steps on a working set.

The objective is the mean loss plus scikit-learn's elastic-net penalty,
scaled as scikit-learn scales it (``alpha = 1 / (C sum(s))``)::

    F(w, b) = sum(s loss) / sum(s) + alpha (l1_ratio ||w||_1 + (1 - l1_ratio)/2 ||w||^2)

that is ``f + l1 ||w||_1`` with the smooth part ``f`` (the mean loss and the
L2 term: :attr:`Objective.evaluate <fastlr._objective.Objective>`) and
``l1 = alpha l1_ratio``. The intercept is not penalised. Each outer step
(newGLMNET's, Yuan, Ho and Lin 2012, on a working set as skglm and celer
restrict theirs):

1. The optimality violation of every coordinate at the current point, from
   the gradient ``g`` of ``f`` (one fused kernel call): ``|g_j + l1
   sign(w_j)|`` where ``w_j != 0``, ``max(|g_j| - l1, 0)`` where ``w_j = 0``,
   ``|g_j|`` for an intercept. Converged when the largest is ``<= tol``
   (scikit-learn's ``lbfgs`` rule on the same scale, with the subgradient)
   and the last step moved no coefficient by more than ``tol`` times the
   largest (scikit-learn's ``saga`` rule): on the mean-scaled objective a
   gradient of ``tol`` alone can leave the coefficients far from the
   optimum when ``C`` is large, and a Newton step costs one or two more
   passes to close that. A start that already meets the first rule (a warm
   start at the optimum) takes no step.
2. The working set: the features with a non-zero coefficient (any class) and
   those that violate most, ``max(10, 2 |support|)`` features in all (the
   set grows as the support is found); every feature when ``l1 = 0``. With K
   classes a feature brings its K coefficients.
3. The quadratic model of ``f`` on the working set and the intercepts: its
   Hessian ``Q`` comes from the curvature weights (``s a (1-a)``, or the
   softmax's ``diag(a) - a aᵀ`` per example: one product ``wᵀX``) and the
   working set's rows of X (a CSR copy for sparse X, made once per fit),
   plus the L2 term. The step ``d`` minimises ``gᵀd + ½ dᵀQd + l1 ||w +
   d||_1`` by compiled coordinate descent (``kernels._coordinate_descent``)
   to a violation of a tenth of the outer one (but not below ``tol / 10``),
   reading the rows themselves (``Q`` is formed only for sparse rows, where
   that costs less than the sweeps would read).
4. A backtracking line search from ``t = 1``, halving, at most 30 trials:
   ``F(x + t d) - F(x) <= t sigma Delta`` with ``Delta = gᵀd + l1 (||w + d||_1
   - ||w||_1) < 0`` and ``sigma = 10^-4`` (or, once the change in ``F`` is
   within ``16 eps |F|``, a smaller largest violation). Each trial is one
   evaluation, whose gradient the next step reuses.

BLAS runs on one thread during the fit, as for ``lbfgs`` and
``newton-cholesky`` (``fastlr._blas`` says why). ``n_iter`` counts outer
steps; ``costs`` holds ``F`` at the start and after each step. A line search
that fails stops the fit there with a ``ConvergenceWarning`` (the point is
the best found).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import scipy.sparse

from ._blas import one_blas_thread
from ._objective import Coordinates, Objective, evaluators
from .kernels import CONVERGED, MAX_ITER, NOT_FINITE
from .kernels._coordinate_descent import (solve_binary, solve_binary_sparse, solve_gram,
                                          solve_multinomial, solve_multinomial_sparse)
from .kernels._interruptible import call

__all__ = ["minimize", "violations"]

_SIGMA = 1e-4
_LINE_SEARCH_TRIALS = 30
_MIN_WORKING_SET = 10
_INNER_SWEEPS = 1000
_SWEEPS_GUESS = 50


def violations(theta: np.ndarray, g: np.ndarray, l1: float, n_w: int) -> np.ndarray:
    """Each coordinate's violation of the optimality conditions (the module docstring, step 1).

    ``theta`` and ``g`` are the coefficients and the smooth gradient, ``w``
    first (``n_w`` of them, penalised), then the intercepts.
    """
    v = np.abs(g)
    w, gw = theta[:n_w], g[:n_w]
    nonzero = w != 0
    v[:n_w] = np.where(nonzero, np.abs(gw + l1 * np.sign(w)), np.maximum(np.abs(gw) - l1, 0.0))
    return v


def _working_set(theta: np.ndarray, violation: np.ndarray, n_features: int, n_rows: int,
                 l1: float) -> np.ndarray:
    """The features of the next step (the module docstring, step 2), sorted; every feature
    without an L1 term (no coefficient stays at zero then: the set would only grow)."""
    if l1 == 0:
        return np.arange(n_features)
    W = theta[:n_rows * n_features].reshape(n_rows, n_features)
    score = violation[:n_rows * n_features].reshape(n_rows, n_features).max(axis=0)
    support = (W != 0).any(axis=0)
    score[support] = np.inf
    size = min(n_features, max(_MIN_WORKING_SET, 2 * int(support.sum())))
    candidates = np.flatnonzero(support | (score > 0))
    if candidates.size > size:
        order = np.argsort(-score[candidates], kind="stable")[:size]
        candidates = candidates[order]
    return np.sort(candidates)


def _csr_parts(R: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(indptr, indices, data)`` of CSR rows, both index arrays of one dtype (one compiled version)."""
    return R.indptr.astype(R.indices.dtype, copy=False), R.indices, R.data


def _solve_step(objective: Objective, w: np.ndarray, b: Any, ws: np.ndarray, g: np.ndarray,
                x0: np.ndarray, lam: np.ndarray, inner_tol: float) -> np.ndarray:
    """The step on the working set's coordinates (the module docstring, step 3), a new array.

    The model's Hessian comes from the curvature weights at ``(w, b)`` and the
    working set's rows of X (float64: dense rows, or CSR rows of the copy
    made once per fit). On dense rows the solve reads them and never forms
    it (faster at every working-set size measured); on sparse rows it is
    formed when that costs less than the sweeps would read (:func:`_gram_pays`).
    """
    curvature = objective.curvature_weights(w, b)
    R = objective.feature_rows(ws)
    d = np.zeros(g.size)
    tail = (d, _INNER_SWEEPS, inner_tol)
    l2 = objective.alpha
    K = objective.n_classes
    if scipy.sparse.issparse(R) and _gram_pays(R, K, g.size):
        call(solve_gram, _gram(R, curvature, K, l2, g.size), g, x0, lam, *tail)
    elif K:
        A, weights = curvature
        if scipy.sparse.issparse(R):
            call(solve_multinomial_sparse, *_csr_parts(R), A, weights, g, x0, lam, l2, *tail)
        else:
            call(solve_multinomial, np.ascontiguousarray(R), A, weights, g, x0, lam, l2, *tail)
    elif scipy.sparse.issparse(R):
        call(solve_binary_sparse, *_csr_parts(R), R.shape[1], curvature, g, x0, lam, l2, *tail)
    else:
        call(solve_binary, np.ascontiguousarray(R), curvature, g, x0, lam, l2, *tail)
    return d


def _gram_pays(R: Any, K: int, size: int) -> bool:
    """Whether forming the model's Hessian from sparse rows costs less than the solve on the rows.

    Forming it costs about ``sum_i nnz_i²`` multiply-adds per block (``nnz_i``
    the example's stored entries among the rows; ``K (K + 1) / 2`` blocks
    with K classes), then ``size²`` per sweep; the solve on the rows costs
    about twice the stored entries (and an intercept's ``m``) per class and
    sweep. Sweeps are guessed at :data:`_SWEEPS_GUESS` (tf-idf-like rows,
    positive and correlated with the intercept, took 100-175; dense ones 10-30).
    """
    m = R.shape[1]
    per_example = np.bincount(R.indices, minlength=m).astype(np.float64)
    blocks = K * (K + 1) / 2 if K else 1
    classes = max(K, 1)
    intercept = size > classes * R.shape[0]
    form = float(per_example @ per_example) * blocks
    on_rows = 2.0 * classes * (R.nnz + (m if intercept else 0))
    return form + _SWEEPS_GUESS * size * size < _SWEEPS_GUESS * on_rows


def _weighted_gram(R: Any, weights: np.ndarray) -> np.ndarray:
    """``R diag(weights) Rᵀ`` of sparse rows, dense float64."""
    return np.asarray((R @ scipy.sparse.diags_array(weights) @ R.T).toarray(), dtype=np.float64)


def _gram(R: Any, curvature: Any, K: int, l2: float, size: int) -> np.ndarray:
    """The model's Hessian on the step's coordinates (``kernels._coordinate_descent``'s order)."""
    n = R.shape[0]
    if not K:
        Q = np.empty((size, size))
        Q[:n, :n] = _weighted_gram(R, curvature)
        if size > n:
            Q[:n, n] = Q[n, :n] = R @ curvature
            Q[n, n] = curvature.sum()
        Q[np.arange(n), np.arange(n)] += l2
        return Q
    A, weights = curvature
    intercept = size > K * n
    Q = np.zeros((size, size))
    for k in range(K):
        for l in range(k, K):
            s = -weights * A[k] * A[l]
            if k == l:
                s += weights * A[k]
            block = _weighted_gram(R, s)
            Q[k * n:(k + 1) * n, l * n:(l + 1) * n] = block
            Q[l * n:(l + 1) * n, k * n:(k + 1) * n] = block.T
            if intercept:
                column = R @ s
                Q[k * n:(k + 1) * n, K * n + l] = Q[K * n + l, k * n:(k + 1) * n] = column
                Q[l * n:(l + 1) * n, K * n + k] = Q[K * n + k, l * n:(l + 1) * n] = column
                Q[K * n + k, K * n + l] = Q[K * n + l, K * n + k] = s.sum()
    Q[np.arange(K * n), np.arange(K * n)] += l2
    return Q


def minimize(objective: Objective, max_iter: int, tol: float, fit_intercept: bool,
             callback: Callable[..., Any] | None):
    """Fit by proximal Newton; returns ``(w float64, b, costs, status, n_iter, message)``."""
    if objective.curvature_weights is None or objective.feature_rows is None:
        raise ValueError("solver='prox-newton' fits X in memory (NumPy or scipy.sparse)")
    n_w, dtype, l1 = objective.n_x, objective.dtype, objective.l1
    K = objective.n_classes
    rows, n_features = (K, objective.features) if K else (1, n_w)
    coordinates = Coordinates.of(objective, fit_intercept)
    n_b = coordinates.n_b
    tiny = 16 * np.finfo(dtype).eps
    w_k, point, smooth = evaluators(objective, coordinates)

    def value_and_gradient(theta):
        cost, g = smooth(theta)
        if g is None:
            return cost, g
        return cost + l1 * float(np.abs(theta[:n_w]).sum()), g

    theta = coordinates.vector(objective.w, objective.b)
    cost, g = value_and_gradient(theta)
    if g is None:
        objective.explain_non_finite()
    costs = [cost]
    status, message = MAX_ITER, f"proximal Newton did not converge after {max_iter} iterations"
    iteration = 0
    violation = violations(theta, g, l1, n_w)
    change = 0.0  # the last step's largest move over the largest coefficient; none yet
    with one_blas_thread():  # as for lbfgs and newton-cholesky (fastlr._blas)
        while True:
            worst = float(violation.max(initial=0.0))
            if worst <= tol and change <= tol:
                status, message = CONVERGED, "converged"
                break
            if iteration == max_iter:
                break
            iteration += 1
            ws = _working_set(theta, violation, n_features, rows, l1)
            index = (np.arange(rows)[:, None] * n_features + ws).reshape(-1)
            index = np.concatenate([index, np.arange(n_w, n_w + n_b)])
            lam = np.zeros(index.size)
            lam[:index.size - n_b] = l1
            inner_tol = max(0.1 * float(violation[index].max(initial=0.0)), 0.1 * tol)
            d_ws = _solve_step(objective, w_k, point(theta), ws, g[index], theta[index], lam, inner_tol)
            d = np.zeros_like(theta)
            d[index] = d_ws
            step = _line_search(value_and_gradient, theta, cost, g, d, l1, n_w, worst, tiny)
            if step is None:
                if not np.isfinite(cost):
                    status, message = NOT_FINITE, "not finite"
                else:
                    message = (f"the line search found no decrease at iteration {iteration}: the "
                               "point is the best found")
                break
            moved = np.abs(step[0] - theta).max(initial=0.0)
            theta, cost, g = step
            largest = np.abs(theta).max(initial=0.0)
            change = moved / largest if largest > 0 else 0.0
            costs.append(cost)
            violation = violations(theta, g, l1, n_w)
            if callback is not None:
                callback(iteration, theta[:n_w].astype(dtype), point(theta), cost)
    w, b = theta[:n_w].copy(), point(theta)
    if K:
        objective.symmetric(w, b, fit_intercept)  # coordinate steps leave the classes' shift free
    return w, b, np.asarray(costs), status, iteration, message


def _line_search(value_and_gradient, theta, cost, g, d, l1, n_w, worst, tiny):
    """Backtracking (the module docstring, step 4): the accepted ``(theta, cost, g)``, or ``None``."""
    w = theta[:n_w]
    norm = float(np.abs(w).sum())
    delta = float(g @ d) + l1 * (float(np.abs(w + d[:n_w]).sum()) - norm)
    t = 1.0
    for _ in range(_LINE_SEARCH_TRIALS):
        trial = theta + t * d
        trial_cost, trial_g = value_and_gradient(trial)
        if trial_g is not None:
            change = trial_cost - cost
            if delta < 0 and change <= _SIGMA * t * delta:
                return trial, trial_cost, trial_g
            if abs(change) <= abs(cost) * tiny and (
                    float(violations(trial, trial_g, l1, n_w).max(initial=0.0)) < worst):
                return trial, trial_cost, trial_g
        t *= 0.5
    return None
