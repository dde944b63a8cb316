"""The loss of a problem, one object that the layers above the kernels pass along.

fastlr fits two losses: the binary problem's (the sigmoid's log-loss, ``w``
of ``n_x`` coefficients and one intercept) and the multinomial one's (the
softmax's over K classes, ``W (K, n_x)`` and K intercepts). A :class:`Loss`
holds everything that differs between them, so that what sits above it
(``fastlr.train``, the in-memory objective of ``fastlr._objective``, the
Dask chunks) is written once and takes either:

- :meth:`Loss.op`: the kernel op that computes each part of an evaluation,
  by role: ``"sums"`` (cost and gradient), ``"hessian"`` (with the Hessian,
  ``solver="newton-cholesky"``), ``"product"`` (Hessian-vector products,
  ``solver="newton-cg"``). The registry's ``resolve`` turns an op into the
  kernel that runs it (its sparse op for a sparse X), and
  ``Kernel.op(name)`` gives that kernel's function; which roles a solver
  needs is its row in ``fastlr._solvers``;
- :meth:`Loss.validate`: the input checked and normalised once (a problem
  of ``fastlr._validation``), with the start the loss takes by default;
- the layout of the coefficients: ``w`` flat for the solvers (``W`` flat
  by class for K classes), :meth:`Loss.start`, :meth:`Loss.classes`;
- the finish of each op's sums (the means and the L2 term: ``fastlr._finish``
  stays the one place that computes them), :meth:`Loss.evaluator` and
  :meth:`Loss.hessian`;
- the curvature: the loss's largest second derivative per unit of ``[x;
  1][x; 1]ᵀ`` (:attr:`Loss.hessian_factor`), its curvature weights at a point
  and the Hessian as an operator over them (:meth:`Loss.curvature_weights`,
  :meth:`Loss.operator`).

The two losses are :data:`BINARY_LOSS` and :data:`MULTINOMIAL_LOSS`;
:func:`loss_of` picks one from ``fastlr.train``'s ``n_classes``.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
from scipy.special import expit, softmax

from ._finish import binary_hessian_means, binary_means, multinomial_hessian_means, multinomial_means
from ._hessian_product import HessianOperator, binary_operator, multinomial_operator
from ._path_memo import remembering
from ._registry import (BINARY, BINARY_HESSIAN, GRAM_PRODUCT, MULTINOMIAL, MULTINOMIAL_HESSIAN,
                        MULTINOMIAL_PRODUCT, Kernel)
from ._sparse import is_sparse
from ._validation import multinomial_start, validate_multinomial, validate_problem

__all__ = ["BINARY_LOSS", "MULTINOMIAL_LOSS", "ROLES", "Loss", "bound_operator", "loss_of", "scores"]

#: The parts of an evaluation a kernel op computes, by role (see :meth:`Loss.op`).
ROLES = ("sums", "hessian", "product")


def scores(X: Any, w: np.ndarray, b: Any) -> np.ndarray:
    """``wᵀX + b`` in float64 (``W X + b`` for ``W (K, n_x)``), one product in X's dtype."""
    w = w.astype(X.dtype, copy=False)
    product = (X.T @ w.T).T if is_sparse(X) else w @ X
    z = np.asarray(product, dtype=np.float64)
    return z + (b if np.ndim(b) == 0 else np.asarray(b, dtype=np.float64)[:, None])


def _stored(X: Any) -> int:
    """X's stored entries: what one pass reads."""
    return int(X.nnz) if hasattr(X, "nnz") else int(X.size)


class Loss:
    """One loss: its kernel ops and everything above them that depends on it (see the module).

    A problem is what :meth:`validate` returns for this loss; ``total`` is
    ``sum(sample_weight)`` (or ``m``), by which the sums are divided.
    """

    name: str
    multinomial: bool
    hessian_factor: float
    _ops: dict[str, str]

    def op(self, role: str) -> str:
        """The registry's op (on a dense X) that computes ``role`` (one of :data:`ROLES`)."""
        return self._ops[role]

    def __repr__(self) -> str:
        return f"<{self.name} loss>"

    # what differs, written once per loss below
    def validate(self, X: Any, Y: Any, w0: Any, b0: Any, *, alpha: float, sample_weight: Any,
                 n_classes: int) -> Any:
        """The validated problem; ``w0=None`` starts at zeros."""
        raise NotImplementedError

    def initial(self, w0: Any, n_classes: int | None, n_x: int) -> Any:
        """The start as given, or zeros for ``w0=None`` (``(n_x,)``, or ``(K, n_x)``)."""
        raise NotImplementedError

    def unflatten(self, w: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        """The coefficients as the kernels' ops take them from ``w`` flat: ``w`` itself, or ``W``."""
        raise NotImplementedError

    def means(self, w: np.ndarray, alpha: float, total: float, d: np.ndarray, db: Any,
              cost: float) -> tuple[np.ndarray, Any, float]:
        """The sums op's sums at ``w`` (as :meth:`unflatten` gives it) finished: ``fastlr._finish``."""
        raise NotImplementedError

    def classes(self, problem: Any) -> int:
        """K for the kernels' choice (``resolve``'s ``n_classes``): 1 for the binary loss."""
        raise NotImplementedError

    def start(self, problem: Any) -> tuple[np.ndarray, Any, tuple[int, ...]]:
        """``(w flat in X's dtype, b, the shape of the coefficients the fit returns)``."""
        raise NotImplementedError

    def evaluator(self, kernel: Kernel, problem: Any, total: float) -> Callable[..., tuple]:
        """``evaluate(w flat, b) -> (dw flat in X's dtype, db, cost)``: means plus the L2 term,
        by ``kernel``'s sums op (a path's fits share its last evaluation, ``fastlr._path_memo``)."""
        raise NotImplementedError

    def hessian(self, kernel: Kernel, problem: Any, total: float) -> Callable[..., tuple]:
        """``hessian(w flat, b) -> (H, dw flat, db, cost)``, finished, by ``kernel``'s Hessian op."""
        raise NotImplementedError

    def curvature_weights(self, X: Any, sample_weight: np.ndarray | None, total: float,
                          shape: tuple[int, ...], w: np.ndarray, b: Any) -> Any:
        """What the Hessian of the mean loss at ``(w flat, b)`` is made of, float64."""
        raise NotImplementedError

    def operator(self, X: Any, squared: Any, weights: Any, alpha: float,
                 product: Callable[..., Any]) -> HessianOperator:
        """The Hessian over ``w`` flat and every intercept for :meth:`curvature_weights`'
        ``weights``, by ``product``, a kernel's op for the ``"product"`` role."""
        raise NotImplementedError


class _Binary(Loss):
    name = "binary"
    multinomial = False
    hessian_factor = 0.25  # the sigmoid's largest derivative
    _ops = {"sums": BINARY, "hessian": BINARY_HESSIAN, "product": GRAM_PRODUCT}

    def validate(self, X, Y, w0, b0, *, alpha, sample_weight, n_classes):
        return validate_problem(self.initial(w0, n_classes, X.shape[0]), b0, X, Y, alpha=alpha,
                                sample_weight=sample_weight)

    def initial(self, w0, n_classes, n_x):
        return np.zeros(n_x) if w0 is None else w0

    def unflatten(self, w, shape):
        return w

    def means(self, w, alpha, total, d, db, cost):
        return binary_means(w, alpha, total, d, db, cost)

    def classes(self, problem):
        return 1

    def start(self, problem):
        return problem.w, problem.b, problem.w_shape

    def evaluator(self, kernel, problem, total):
        X, y, s, alpha = problem.X, problem.y, problem.sample_weight, problem.alpha
        if kernel.binary is None:  # a kernel of your own may give the finished gradient alone
            gradient = kernel.gradient
            return lambda w, b: gradient(w, b, X, y, alpha, s)
        sums = remembering(kernel.binary, _stored(X))

        def evaluate(w, b):
            dw, db, cost = binary_means(w, alpha, total, *sums(w, b, X, y, s))
            return dw.astype(X.dtype, copy=False), db, cost

        return evaluate

    def hessian(self, kernel, problem, total):
        X, y, s, alpha = problem.X, problem.y, problem.sample_weight, problem.alpha
        sums = kernel.binary_hessian

        def hessian(w, b):
            return binary_hessian_means(w, alpha, total, *sums(w, b, X, y, s))

        return hessian

    def curvature_weights(self, X, sample_weight, total, shape, w, b):
        """``s a (1-a) / sum(s)``, ``(m,)``."""
        a = expit(scores(X, w, b))
        weights = a * (1.0 - a)
        if sample_weight is not None:
            weights *= sample_weight
        return weights / total

    def operator(self, X, squared, weights, alpha, product):
        return binary_operator(X, squared, weights, alpha, product)


class _Multinomial(Loss):
    name = "multinomial"
    multinomial = True
    hessian_factor = 0.5  # diag(a) - a aᵀ has no eigenvalue above 1/2
    _ops = {"sums": MULTINOMIAL, "hessian": MULTINOMIAL_HESSIAN, "product": MULTINOMIAL_PRODUCT}

    def validate(self, X, Y, w0, b0, *, alpha, sample_weight, n_classes):
        return validate_multinomial(self.initial(w0, n_classes, X.shape[0]), b0, X, Y, alpha=alpha,
                                    sample_weight=sample_weight)

    def initial(self, w0, n_classes, n_x):
        return multinomial_start(w0, n_classes, n_x)

    def unflatten(self, w, shape):
        return w.reshape(shape)

    def means(self, w, alpha, total, d, db, cost):
        return multinomial_means(w, alpha, total, d, db, cost)

    def classes(self, problem):
        return problem.n_classes

    def start(self, problem):
        return problem.W.reshape(-1), problem.b, problem.W.shape

    def evaluator(self, kernel, problem, total):
        X, labels, Y, s, alpha = problem.X, problem.labels, problem.Y, problem.sample_weight, problem.alpha
        shape = problem.W.shape
        sums = remembering(kernel.multinomial, _stored(X) * shape[0])

        def evaluate(w, b):
            W = w.reshape(shape)
            dW, db, cost = multinomial_means(W, alpha, total, *sums(W, b, X, labels, Y, s))
            return dW.reshape(-1).astype(X.dtype, copy=False), db, cost

        return evaluate

    def hessian(self, kernel, problem, total):
        X, labels, Y, s, alpha = problem.X, problem.labels, problem.Y, problem.sample_weight, problem.alpha
        shape, sums = problem.W.shape, kernel.multinomial_hessian

        def hessian(w, b):
            W = w.reshape(shape)
            H, dW, db, cost = multinomial_hessian_means(W, alpha, total, *sums(W, b, X, labels, Y, s))
            return H, dW.reshape(-1), db, cost

        return hessian

    def curvature_weights(self, X, sample_weight, total, shape, w, b):
        """``(A, s / sum(s))``: the softmax probabilities ``(K, m)`` and the weights."""
        A = softmax(scores(X, w.reshape(shape), b), axis=0)
        weights = (np.full(X.shape[1], 1.0 / total) if sample_weight is None
                   else sample_weight.astype(np.float64) / total)
        return A, weights

    def operator(self, X, squared, weights, alpha, product):
        A, example_weights = weights
        return multinomial_operator(X, squared, A, example_weights, alpha, product)


BINARY_LOSS: Loss = _Binary()
MULTINOMIAL_LOSS: Loss = _Multinomial()


def loss_of(n_classes: int | None) -> Loss:
    """The loss of ``fastlr.train``'s ``n_classes``: ``None`` binary, an integer K multinomial."""
    return BINARY_LOSS if n_classes is None else MULTINOMIAL_LOSS


def bound_operator(loss: Loss, X: Any, sample_weight: np.ndarray | None, total: float,
                   shape: tuple[int, ...], alpha: float, squared: Callable[[], Any],
                   product: Callable[..., Any]) -> Callable[..., HessianOperator]:
    """``hessian_operator(w flat, b)`` of a problem's data: the operator at each point."""

    def hessian_operator(w: np.ndarray, b: Any) -> HessianOperator:
        weights = loss.curvature_weights(X, sample_weight, total, shape, w, b)
        return loss.operator(X, squared(), weights, alpha, product)

    return hessian_operator

