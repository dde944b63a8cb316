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
  ``None`` unless a kernel for the loss's product op was given.

What differs between the binary and the multinomial problem (the ops, the
finish of their sums, the curvature weights, the layout of ``w``) is the
problem's :class:`~fastlr._loss.Loss`: :func:`in_memory` is written once
and takes either, with the kernel that runs each role the solver needs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from typing import Any, Callable, Mapping, NoReturn

import numpy as np
import scipy.sparse

from ._finish import weight_total
from ._hessian_product import HessianOperator, squared_entries
from ._loss import Loss, bound_operator, loss_of
from ._registry import Kernel
from ._sparse import is_sparse
from ._validation import is_finite_result, raise_for_non_finite

__all__ = ["Coordinates", "Objective", "alpha_from_C", "curvature_image", "evaluators", "in_memory",
           "operator_sums", "weight_total"]


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
    def loss(self) -> Loss:
        """The problem's :class:`~fastlr._loss.Loss` (multinomial when ``n_classes``)."""
        return loss_of(self.n_classes or None)

    @property
    def hessian_factor(self) -> float:
        """The loss's largest second derivative per unit of ``[x; 1][x; 1]ᵀ`` (:attr:`Loss.hessian_factor`)."""
        return self.loss.hessian_factor

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


def operator_sums(X: Any, s: np.ndarray | None, shape: tuple[int, ...], loss: Loss,
                  product: Callable[..., Any], w: np.ndarray, b: Any) -> HessianOperator:
    """The Hessian over X's examples at ``(w, b)`` as sums: not divided by ``sum(s)``, no penalty.

    One chunk's part of a Dask objective's ``hessian_operator``; ``shape``
    is the coefficients' (``W``'s for the multinomial problem), ``product``
    the kernel's op for ``loss``'s ``"product"`` role.
    """
    return bound_operator(loss, X, s, 1.0, shape, 0.0, squared_entries(X), product)(w, b)


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


def in_memory(loss: Loss, problem: Any, kernels: Mapping[str, Kernel], l1: float = 0.0) -> Objective:
    """The objective of a problem held in memory, its parts computed by ``kernels`` (not ``auto``).

    ``problem`` is ``loss.validate``'s; ``kernels`` maps the roles of
    :data:`fastlr._loss.ROLES` the solver needs to the kernel that runs the
    loss's op for each (``resolve``'s choice): ``"sums"`` always; with
    ``"hessian"`` the objective has a ``hessian`` and its ``kernel`` is that
    kernel's name; with ``"product"`` it has a ``hessian_operator``.
    """
    X, s, alpha = problem.X, problem.sample_weight, problem.alpha
    w, b, shape = loss.start(problem)
    total = weight_total(s, X.shape[1])
    kernel, hessian_kernel, product_kernel = (kernels["sums"], kernels.get("hessian"),
                                              kernels.get("product"))

    compiled_train = None
    if kernel.train is not None and not loss.multinomial:
        train = kernel.train

        def compiled_train(learning_rate: float, max_iter: int, tol: float, fit_intercept: bool):
            args = (problem.w, problem.b, X, problem.y, alpha, s, learning_rate, max_iter, tol)
            # fit_intercept only when it is not the default: a loop written before it existed still runs
            return train(*args) if fit_intercept else train(*args, fit_intercept=False)

    return Objective(
        evaluate=loss.evaluator(kernel, problem, total), curvature=partial(curvature_image, X, s),
        explain_non_finite=partial(raise_for_non_finite, X), compiled_train=compiled_train,
        w=w, b=b, w_shape=shape, dtype=X.dtype, alpha=alpha, total_weight=total,
        kernel=(kernel if hessian_kernel is None else hessian_kernel).name,
        n_classes=shape[0] if loss.multinomial else 0,
        hessian=None if hessian_kernel is None else loss.hessian(hessian_kernel, problem, total),
        l1=l1, curvature_weights=partial(loss.curvature_weights, X, s, total, shape),
        feature_rows=_row_reader(X),
        hessian_operator=None if product_kernel is None else bound_operator(
            loss, X, s, total, shape, alpha, squared_entries(X),
            product_kernel.op(loss.op("product"))),
    )
