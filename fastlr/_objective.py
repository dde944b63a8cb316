"""What the training loops optimise: one validated problem's cost and gradient as a function of ``(w, b)``.

An :class:`Objective` hides where the data lives. In memory (this module's
:func:`in_memory`) an evaluation is one kernel call; for Dask arrays
(``fastlr._dask.objective``) it is one map over the chunks and one tree
reduction. The gradient-descent loop of ``fastlr._training`` and the L-BFGS
driver of ``fastlr._lbfgs`` see only this:

- ``evaluate(w, b) -> (dw, db, cost)``: the kernel contract's output, with
  ``w`` flat in ``dtype`` and ``dw`` returned in ``dtype``; for the
  multinomial problem (``n_classes = K``) ``w`` is ``W`` flattened (C order),
  ``b`` and ``db`` are ``(K,)`` float64 arrays;
- ``curvature(v) -> [X; 1] diag(s) [X; 1]ᵀ v``: the matrix whose largest
  eigenvalue bounds the Hessian (``learning_rate="auto"``), for ``v`` of
  length ``n_x + 1``;
- ``explain_non_finite()``: raise the error that names why an evaluation at
  a finite point was not finite (NaN or inf in X, or overflow);
- ``compiled_train(learning_rate, max_iter, tol, fit_intercept)``: the
  kernel's compiled gradient-descent loop bound to the data, or ``None``
  where the loop runs in Python;
- ``hessian(w, b) -> (H, dw, db, cost)``: the binary problem's Hessian
  ``[X; 1] diag(s a (1-a)) [X; 1]ᵀ / sum(s) + alpha I`` (intercept last,
  unpenalised) with the evaluation, in one pass (``solver="newton-cholesky"``);
  for the multinomial problem the block Hessian over ``W`` flat and the K
  intercepts; ``None`` where no Hessian kernel was asked for;
- ``l1``: the L1 strength (``alpha l1_ratio``), 0 without one; ``alpha`` is
  then the L2 strength alone. ``evaluate`` leaves the L1 term out (it is not
  differentiable): the proximal Newton solver (``fastlr._prox_newton``),
  the one solver that takes ``l1 > 0``, adds it;
- ``curvature_weights(w, b)``: what the Hessian of the mean loss is made of,
  float64, for data in memory (``None`` for Dask): the binary problem's
  ``s a (1-a) / sum(s)`` (``(m,)``); the multinomial one's ``(A, s /
  sum(s))``, the softmax probabilities ``(K, m)`` and the weights;
- ``feature_rows(index)``: the rows of X for those features, ``(len(index),
  m)``: a float64 array, or a CSR matrix for sparse X (its rows come from a
  CSR copy made on the first call, once per fit);
- ``hessian_operator(w, b)``: the Hessian at ``(w, b)`` as products ``H v``
  and its diagonal (``fastlr._hessian_product``), over ``w`` flat and every
  intercept (``solver="newton-cg"``); for Dask, each product one map over
  the chunks (:func:`operator_sums` on each) and one tree reduction.
  ``None`` for the binary problem unless a kernel for the Gram product op
  was given.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from typing import Any, Callable, NoReturn

import numpy as np
import scipy.sparse
from scipy.special import expit, softmax

from ._hessian_product import HessianOperator, binary_operator, multinomial_operator, squared_entries
from ._finish import (binary_hessian_means, multinomial_hessian_means, multinomial_means,
                      weight_total)
from ._path_memo import remembering
from ._registry import Kernel, finished
from ._sparse import is_sparse
from ._validation import MultinomialProblem, Problem, is_finite_result, raise_for_non_finite

__all__ = ["Coordinates", "Objective", "alpha_from_C", "curvature_image", "evaluators", "in_memory", "in_memory_multinomial",
           "multinomial_means", "operator_sums", "weight_total"]


@dataclass(frozen=True)
class Objective:
    """The cost and gradient of one validated problem, wherever its data lives."""

    evaluate: Callable[[np.ndarray, float], tuple[np.ndarray, float, float]]
    curvature: Callable[[np.ndarray], np.ndarray]
    explain_non_finite: Callable[[], NoReturn]
    compiled_train: Callable[..., Any] | None
    w: np.ndarray  # the start, flat, in dtype
    b: float
    w_shape: tuple[int, ...]
    dtype: np.dtype
    alpha: float
    total_weight: float  # sum(sample_weight), or m
    kernel: str  # the kernel that runs (auto's choice, for data in memory)
    n_classes: int = 0  # K for the multinomial problem (w is W flat, b a (K,) array); 0: binary
    hessian: Callable[[np.ndarray, float], tuple[np.ndarray, np.ndarray, float, float]] | None = None
    l1: float = 0.0
    curvature_weights: Callable[[np.ndarray, Any], Any] | None = None
    feature_rows: Callable[[np.ndarray], Any] | None = None
    hessian_operator: Callable[[np.ndarray, Any], HessianOperator] | None = None

    @property
    def n_x(self) -> int:
        """The length of the flat ``w`` (``K n_x`` for the multinomial problem)."""
        return self.w.shape[0]

    @property
    def features(self) -> int:
        """``n_x``, the features of the data."""
        return self.n_x // max(1, self.n_classes)

    @property
    def hessian_factor(self) -> float:
        """The loss's largest second derivative per unit of ``[x; 1][x; 1]ᵀ``.

        1/4 for the sigmoid's; 1/2 for the softmax's: ``diag(a) - a aᵀ`` has
        no eigenvalue above 1/2.
        """
        return 0.5 if self.n_classes else 0.25

    def symmetric(self, w: np.ndarray, b: Any, fit_intercept: bool) -> None:
        """Move a K-class solution, in place, to scikit-learn's symmetric one (classes summing to 0).

        The softmax is unchanged when every class's intercept moves by the
        same amount, and so is the objective without any penalty when every
        class's coefficient of one feature does: the objective does not fix
        that shift, and a solver leaves it where its steps happen to (a
        fixed class, coordinate-wise steps). ``w`` is ``W`` flat (float64),
        ``b`` the ``(K,)`` intercepts. An L2 penalty already makes ``W``'s
        columns sum to 0 at the optimum and an L1 term is not shift-invariant:
        then only the intercepts move.
        """
        if self.alpha == 0 and self.l1 == 0:
            W = w.reshape(self.n_classes, -1)
            W -= W.mean(axis=0)
        if fit_intercept:
            b -= b.mean()


@dataclass(frozen=True)
class Coordinates:
    """The one float64 vector the second-order solvers move: ``w`` flat, then the intercept.

    The intercept is one number, or K for the multinomial problem, and is
    left out of the vector when it is not fitted (it then stays ``b_fixed``).
    Used by ``fastlr._lbfgs`` and ``fastlr._newton``.
    """

    n_x: int
    n_b: int  # the intercept's coordinates in the vector: 0 when it is not fitted
    multinomial: bool
    b_fixed: Any  # the intercept held when it is not fitted

    @classmethod
    def of(cls, objective: Objective, fit_intercept: bool) -> Coordinates:
        multinomial = objective.n_classes > 0
        n_b = (objective.n_classes if multinomial else 1) if fit_intercept else 0
        b_fixed = np.array(objective.b, dtype=np.float64) if multinomial else float(objective.b)
        return cls(objective.n_x, n_b, multinomial, b_fixed)

    @property
    def size(self) -> int:
        return self.n_x + self.n_b

    def vector(self, w: np.ndarray, b: Any) -> np.ndarray:
        """``theta`` for ``(w, b)``, a new float64 array."""
        theta = np.empty(self.size)
        theta[:self.n_x] = w
        if self.n_b:
            theta[self.n_x:] = b
        return theta

    def intercept(self, theta: np.ndarray) -> Any:
        """``b`` at ``theta``: a float, a new ``(K,)`` array, or the held intercept."""
        if not self.n_b:
            return self.b_fixed
        return theta[self.n_x:].copy() if self.multinomial else float(theta[self.n_x])

    def gradient(self, dw: np.ndarray, db: Any) -> np.ndarray:
        """The gradient in ``theta``'s coordinates, a new float64 array (``db`` left out when held)."""
        g = np.empty(self.size)
        g[:self.n_x] = dw
        if self.n_b:
            g[self.n_x:] = db
        return g


def evaluators(objective: Objective, coordinates: Coordinates):
    """``(w_k, point, value_and_gradient)`` over ``theta``, for the solvers that move it themselves.

    ``point(theta)`` writes ``theta``'s ``w`` into ``w_k``, one buffer in X's
    dtype (what the kernels read: float32 X is never copied), and returns the
    intercept; ``value_and_gradient(theta)`` is ``objective.evaluate`` there:
    ``(cost, gradient in theta's coordinates)``, or ``(inf, None)`` when the
    result is not finite.
    """
    n_x, evaluate = objective.n_x, objective.evaluate
    w_k = np.empty(n_x, dtype=objective.dtype)

    def point(theta: np.ndarray) -> Any:
        w_k[:] = theta[:n_x]
        return coordinates.intercept(theta)

    def value_and_gradient(theta: np.ndarray):
        dw, db, cost = evaluate(w_k, point(theta))
        if not is_finite_result(dw, db, cost):
            return np.inf, None
        return cost, coordinates.gradient(dw, db)

    return w_k, point, value_and_gradient


def alpha_from_C(C: float, total: float) -> float:
    """fastlr's ``alpha`` for scikit-learn's ``C``: ``1 / (C sum(s))``, and 0 for ``C = inf``.

    With it, ``mean(s loss) + alpha/2 ||w||^2`` is scikit-learn's lbfgs
    objective ``sum(s loss)/sum(s) + ||w||^2 / (2 C sum(s))``.
    """
    return 0.0 if math.isinf(C) else 1.0 / (C * total)


def curvature_image(X: np.ndarray, sample_weight: np.ndarray | None, v: np.ndarray) -> np.ndarray:
    """``[X; 1] diag(s) [X; 1]ᵀ v`` in float64; X is read twice, in its own dtype."""
    u = v[:-1].astype(X.dtype) @ X + v[-1]  # [X; 1]ᵀ v, shape (m,)
    if sample_weight is not None:
        u *= sample_weight
    image = np.empty(v.shape[0])
    image[:-1] = X @ u.astype(X.dtype, copy=False)
    image[-1] = u.sum(dtype=np.float64)
    return image


def _scores(X: Any, w: np.ndarray, b: Any) -> np.ndarray:
    """``wᵀX + b`` in float64 (``W X + b`` for ``W (K, n_x)``), one product in X's dtype."""
    w = w.astype(X.dtype, copy=False)
    product = (X.T @ w.T).T if is_sparse(X) else w @ X
    z = np.asarray(product, dtype=np.float64)
    return z + (b if np.ndim(b) == 0 else np.asarray(b, dtype=np.float64)[:, None])


def _binary_curvature_weights(X, s, total, w, b) -> np.ndarray:
    """``s a (1-a) / sum(s)`` at ``(w, b)``, float64 ``(m,)``."""
    a = expit(_scores(X, w, b))
    weights = a * (1.0 - a)
    if s is not None:
        weights *= s
    return weights / total


def _multinomial_curvature_weights(X, s, total, shape, w, b):
    """``(A, s / sum(s))`` at ``(W flat, b)``: the softmax probabilities ``(K, m)`` and the weights."""
    A = softmax(_scores(X, w.reshape(shape), b), axis=0)
    weights = np.full(X.shape[1], 1.0 / total) if s is None else s.astype(np.float64) / total
    return A, weights


def _binary_operator(X, s, total, alpha, squared, gram_product, w, b) -> HessianOperator:
    """``Objective.hessian_operator`` of the binary problem at ``(w, b)``."""
    return binary_operator(X, squared(), _binary_curvature_weights(X, s, total, w, b), alpha,
                           gram_product)


def _multinomial_operator(X, s, total, shape, alpha, squared, multinomial_product, w,
                          b) -> HessianOperator:
    """``Objective.hessian_operator`` of the multinomial problem at ``(W flat, b)``."""
    A, weights = _multinomial_curvature_weights(X, s, total, shape, w, b)
    return multinomial_operator(X, squared(), A, weights, alpha, multinomial_product)


def operator_sums(X: Any, s: np.ndarray | None, shape: tuple[int, int] | None,
                  product: Callable[..., Any], w: np.ndarray, b: Any) -> HessianOperator:
    """The Hessian over X's examples at ``(w, b)`` as sums: not divided by ``sum(s)``, no penalty.

    One chunk's part of a Dask objective's ``hessian_operator``; ``shape``
    is ``W``'s for the multinomial problem, ``None`` for the binary one;
    ``product`` the kernel's Gram product op, or for K classes its
    multinomial product op.
    """
    squared = squared_entries(X)()
    if shape is None:
        return binary_operator(X, squared, _binary_curvature_weights(X, s, 1.0, w, b), 0.0,
                               product)
    A, weights = _multinomial_curvature_weights(X, s, 1.0, shape, w, b)
    return multinomial_operator(X, squared, A, weights, 0.0, product)


def _row_reader(X: Any) -> Callable[[np.ndarray], Any]:
    """``feature_rows`` for X (see the module docstring): float64 rows, or CSR rows of a copy made once."""
    if not is_sparse(X):
        return lambda index: np.asarray(X[index], dtype=np.float64)
    by_feature: list[Any] = []

    def rows(index: np.ndarray) -> Any:
        if not by_feature:
            by_feature.append(scipy.sparse.csr_array(X, dtype=np.float64))
        return by_feature[0][index]

    return rows


def _finished_hessian(hessian_sums, X, y, s, alpha, total, w, b):
    """The Hessian op's sums at ``(w, b)``, finished: ``(H, dw, db, cost)`` as ``Objective.hessian``."""
    return binary_hessian_means(w, alpha, total, *hessian_sums(w, b, X, y, s))


def _stored(X) -> int:
    """X's stored entries: what one pass reads."""
    return int(X.nnz) if hasattr(X, "nnz") else int(X.size)


def in_memory(kernel: Kernel, problem: Problem, hessian_kernel: Kernel | None = None,
              l1: float = 0.0, product_kernel: Kernel | None = None) -> Objective:
    """The objective of a problem held in memory, evaluated by ``kernel`` (not ``auto``).

    With ``hessian_kernel`` (one that offers the Hessian op, not ``auto``),
    the objective has a ``hessian``, and its ``kernel`` is that kernel's name.
    With ``product_kernel`` (one that offers the Gram product op), it has a
    ``hessian_operator``.
    """
    X, y, s, alpha = problem.X, problem.y, problem.sample_weight, problem.alpha
    # the op's sums finished here, as kernel.gradient finishes them: a path's fits share the last
    gradient = (kernel.gradient if kernel.binary is None
                else finished(remembering(kernel.binary, _stored(X))))
    total = weight_total(s, X.shape[1])
    hessian = None if hessian_kernel is None else partial(
        _finished_hessian, hessian_kernel.binary_hessian, X, y, s, alpha, total)

    def evaluate(w: np.ndarray, b: float):
        return gradient(w, b, X, y, alpha, s)

    compiled_train = None
    if kernel.train is not None:
        train = kernel.train

        def compiled_train(learning_rate: float, max_iter: int, tol: float, fit_intercept: bool):
            args = (problem.w, problem.b, X, y, alpha, s, learning_rate, max_iter, tol)
            # fit_intercept only when it is not the default: a loop written before it existed still runs
            return train(*args) if fit_intercept else train(*args, fit_intercept=False)

    return Objective(
        evaluate=evaluate, curvature=partial(curvature_image, X, s),
        explain_non_finite=partial(raise_for_non_finite, X), compiled_train=compiled_train, w=problem.w, b=problem.b, w_shape=problem.w_shape,
        dtype=X.dtype, alpha=alpha, total_weight=total,
        kernel=kernel.name if hessian_kernel is None else hessian_kernel.name, hessian=hessian,
        l1=l1, curvature_weights=partial(_binary_curvature_weights, X, s, total),
        feature_rows=_row_reader(X),
        hessian_operator=None if product_kernel is None else partial(
            _binary_operator, X, s, total, alpha, squared_entries(X), product_kernel.gram_product),
    )


def _finished_multinomial_hessian(hessian_sums, X, labels, Y, s, alpha, total, shape, w, b):
    """The multinomial Hessian op at ``(w flat, b)``, finished: ``(H, dw flat, db, cost)``."""
    W = w.reshape(shape)
    H, dW, db, cost = multinomial_hessian_means(W, alpha, total, *hessian_sums(W, b, X, labels, Y, s))
    return H, dW.reshape(-1), db, cost


def in_memory_multinomial(kernel: Kernel, problem: MultinomialProblem,
                          hessian_kernel: Kernel | None = None, l1: float = 0.0,
                          product_kernel: Kernel | None = None) -> Objective:
    """The objective of a multinomial problem held in memory, by ``kernel``'s multinomial op (not ``auto``).

    With ``hessian_kernel`` (one that offers the multinomial Hessian op), the
    objective has a ``hessian``, and its ``kernel`` is that kernel's name.
    With ``product_kernel`` (one that offers the multinomial product op), it
    has a ``hessian_operator``.
    """
    X, labels, Y, s, alpha = problem.X, problem.labels, problem.Y, problem.sample_weight, problem.alpha
    shape = problem.W.shape
    total = weight_total(s, X.shape[1])
    sums = remembering(kernel.multinomial, _stored(X) * shape[0])
    hessian = None if hessian_kernel is None else partial(
        _finished_multinomial_hessian, hessian_kernel.multinomial_hessian, X, labels, Y, s, alpha,
        total, shape)

    def evaluate(w: np.ndarray, b: np.ndarray):
        W = w.reshape(shape)
        dW, db, cost = multinomial_means(W, alpha, total, *sums(W, b, X, labels, Y, s))
        return dW.reshape(-1).astype(X.dtype, copy=False), db, cost

    return Objective(
        evaluate=evaluate, curvature=partial(curvature_image, X, s),
        explain_non_finite=partial(raise_for_non_finite, X), compiled_train=None, w=problem.W.reshape(-1), b=problem.b, w_shape=shape, dtype=X.dtype,
        alpha=alpha, total_weight=total, n_classes=shape[0], hessian=hessian,
        kernel=kernel.name if hessian_kernel is None else hessian_kernel.name,
        l1=l1, curvature_weights=partial(_multinomial_curvature_weights, X, s, total, shape),
        feature_rows=_row_reader(X),
        hessian_operator=None if product_kernel is None else partial(
            _multinomial_operator, X, s, total, shape, alpha, squared_entries(X),
            product_kernel.multinomial_product),
    )
