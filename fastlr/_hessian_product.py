"""The objective's Hessian as an operator: products ``H v`` at one point, without forming ``H``.

What ``solver="newton-cg"`` (``fastlr._newton_cg``) solves its Newton
systems with. At a point ``(w, b)`` the Hessian of the mean loss plus the L2
term is

- binary: ``[X; 1] diag(c) [X; 1]ᵀ + alpha I`` with ``c = s a (1-a) / sum(s)``
  (the curvature weights of ``fastlr._objective``), the intercept's row
  last and unpenalised;
- multinomial: for each example the softmax's ``diag(a) - a aᵀ`` (``K x K``)
  times ``[x; 1][x; 1]ᵀ``, weighted ``s / sum(s)``, plus ``alpha I`` on
  ``W``; coordinates ``W`` flat by class, then the K intercepts.

A :class:`HessianOperator` holds what the point fixes (the weights, and for
K classes the probabilities) and applies ``H`` to a vector of the full
coordinates, intercepts included. The binary product is a kernel's
weighted Gram product op (``gram_product(X, c, v)``), the multinomial one
its multinomial product op (``multinomial_product(V, v_b, X, A, c)``): one
fused pass over X for the compiled kernels, two BLAS or scipy.sparse
products for ``numpy``. The L2 term is added here. The ``diagonal``
(``diag(H)``, averaged over the classes for K of them
(:class:`HessianOperator` says why), one pass over X,
chunked so that no copy of X is made for a dense X; a sparse X's squared
entries are computed once per fit) is the Jacobi preconditioner of the
conjugate gradients.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from ._sparse import is_sparse

__all__ = ["HessianOperator", "binary_operator", "multinomial_operator", "squared_entries"]

#: Examples per chunk of the dense diagonal: the squared chunk stays in cache-sized pieces.
_CHUNK = 2048


@dataclass(frozen=True)
class HessianOperator:
    """``H`` at one point: ``product(v) -> H v`` and ``diagonal``, float64, the full coordinates.

    ``diagonal`` is ``diag(H)``; for K classes, each feature's K entries (and
    the K intercepts') are replaced by their mean over the classes. The
    softmax does not change when every class moves alike, so ``H`` keeps the
    classes' sum of a vector; a preconditioner equal across the classes keeps
    it too, and conjugate gradients from 0 then never move the sum (the L2
    optimum's is 0, and scikit-learn's tests check it at ``tol``).
    """

    product: Callable[[np.ndarray], np.ndarray]
    diagonal: np.ndarray


def squared_entries(X: Any) -> Callable[[], Any]:
    """A function giving X with each entry squared for a sparse X (made on the first call, once
    per fit), ``None`` for a dense X (whose diagonal squares chunks as it goes)."""
    made: list[Any] = []

    def squared() -> Any:
        if not is_sparse(X):
            return None
        if not made:
            X2 = X.copy()
            X2.data = np.square(X2.data, dtype=np.float64)
            made.append(X2)
        return made[0]

    return squared


def _weighted_squares(X: Any, squared: Any, C: np.ndarray) -> np.ndarray:
    """``sum_i C[k, i] x_ij^2`` as ``(K, n_x)`` float64 for ``C (K, m)``: the Hessian's diagonal on ``W``."""
    if squared is not None:
        return np.asarray((squared @ C.T).T, dtype=np.float64)
    n_x, m = X.shape
    out = np.zeros((C.shape[0], n_x))
    for start in range(0, m, _CHUNK):
        chunk = np.asarray(X[:, start:start + _CHUNK], dtype=np.float64)
        out += C[:, start:start + _CHUNK] @ np.square(chunk).T
    return out


def binary_operator(X: Any, squared: Any, c: np.ndarray, alpha: float,
                    gram_product: Callable[..., np.ndarray]) -> HessianOperator:
    """The binary problem's Hessian for the curvature weights ``c`` (``s a (1-a) / sum(s)``, ``(m,)``).

    ``squared`` is :func:`squared_entries`' result (``None`` for a dense X),
    ``gram_product`` a kernel's op. The coordinates are ``w`` then ``b``
    (``n_x + 1``).
    """
    n_x = X.shape[0]

    def product(v: np.ndarray) -> np.ndarray:
        out = gram_product(X, c, v)
        if alpha:
            out[:n_x] += alpha * v[:n_x]
        return out

    diagonal = np.empty(n_x + 1)
    diagonal[:n_x] = _weighted_squares(X, squared, c[None, :])[0] + alpha
    diagonal[n_x] = c.sum()
    return HessianOperator(product, diagonal)


def multinomial_operator(X: Any, squared: Any, A: np.ndarray, weights: np.ndarray,
                         alpha: float,
                         multinomial_product: Callable[..., tuple[np.ndarray, np.ndarray]]
                         ) -> HessianOperator:
    """The multinomial problem's Hessian for the softmax probabilities ``A (K, m)`` and the
    weights ``s / sum(s)`` (``(m,)``); coordinates ``W`` flat by class, then the K intercepts.

    ``multinomial_product`` is a kernel's op (dense or sparse, as X is).
    """
    K, n_x = A.shape[0], X.shape[0]
    size = K * n_x
    A = np.ascontiguousarray(A)  # the compiled products read it along the examples

    def product(v: np.ndarray) -> np.ndarray:
        V = v[:size].reshape(K, n_x)
        HV, hb = multinomial_product(V, v[size:], X, A, weights)
        if alpha:
            HV += alpha * V
        out = np.empty(size + K)
        out[:size] = HV.reshape(-1)
        out[size:] = hb
        return out

    C = A * (1.0 - A)
    C *= weights
    diagonal = np.empty(size + K)
    # averaged over the classes: each feature's (and the intercepts') entries equal, so that a
    # preconditioned step keeps the classes' sum, as H does (the L2 optimum's sum is 0)
    diagonal[:size] = np.tile(_weighted_squares(X, squared, C).mean(axis=0) + alpha, K)
    diagonal[size:] = C.sum(axis=1).mean()
    return HessianOperator(product, diagonal)
