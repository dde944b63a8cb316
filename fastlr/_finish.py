"""Where the kernels' weighted sums become the objective: divided by ``sum(s)``, plus the L2 penalty.

Every op of every kernel returns sums over the examples (``fastlr.kernels``
states them); this module is the one place that finishes them, as
scikit-learn's ``_linear_loss`` does for its losses::

    dw   = sum(s dz x) / sum(s) + alpha w
    db   = sum(s dz) / sum(s)                 (the intercept is not penalised)
    cost = sum(s loss) / sum(s) + alpha/2 ||w||^2

for the binary op (``w (n_x,)``) and the multinomial one (``W (K, n_x)``,
``db (K,)``). The binary Hessian op's ``H`` (``[X; 1] diag(s a (1-a))
[X; 1]ᵀ``) becomes ``H / sum(s) + alpha I``, the intercept's diagonal
entry left unpenalised; so does the multinomial one's (``W`` flat, class by
class, then the K intercepts). The compiled gradient-descent loops of the ``numba`` kernels
finish their own iterations in compiled code (``kernels._loops``): they run
without returning to Python between iterations.
"""

from __future__ import annotations

import numpy as np

__all__ = ["binary_hessian_means", "binary_means", "multinomial_hessian_means", "multinomial_means",
           "weight_total"]


def weight_total(sample_weight: np.ndarray | None, m: int) -> float:
    """``sum(sample_weight)`` in float64, or ``m`` without weights: what the means divide by."""
    return float(m) if sample_weight is None else float(sample_weight.sum(dtype=np.float64))


def binary_means(w: np.ndarray, alpha: float, total: float, dw: np.ndarray, db: float,
                 cost: float) -> tuple[np.ndarray, float, float]:
    """The binary op's sums as ``(dw, db, cost)``: ``dw`` float64, divided in place."""
    dw /= total
    if alpha:
        w64 = w.astype(np.float64, copy=False)
        dw += alpha * w64
        return dw, db / total, cost / total + 0.5 * alpha * float(w64 @ w64)
    return dw, db / total, cost / total


def binary_hessian_means(w: np.ndarray, alpha: float, total: float, H: np.ndarray, dw: np.ndarray,
                         db: float, cost: float) -> tuple[np.ndarray, np.ndarray, float, float]:
    """The Hessian op's sums as ``(H, dw, db, cost)``: ``H`` and ``dw`` float64, divided in place."""
    H /= total
    if alpha:
        n_x = H.shape[0] - 1
        H.flat[:n_x * (n_x + 2):n_x + 2] += alpha  # the diagonal but the intercept's
    return (H, *binary_means(w, alpha, total, dw, db, cost))


def multinomial_means(W: np.ndarray, alpha: float, total: float, dW: np.ndarray, db: np.ndarray,
                      cost: float) -> tuple[np.ndarray, np.ndarray, float]:
    """The multinomial op's sums as ``(dW, db, cost)``, all float64; ``dW`` is divided in place."""
    dW /= total
    W64 = W.astype(np.float64, copy=False)
    penalty = 0.0
    if alpha:
        dW += alpha * W64
        penalty = 0.5 * alpha * float(np.vdot(W64, W64))
    return dW, db / total, cost / total + penalty


def multinomial_hessian_means(W: np.ndarray, alpha: float, total: float, H: np.ndarray,
                              dW: np.ndarray, db: np.ndarray, cost: float):
    """The multinomial Hessian op's sums as ``(H, dW, db, cost)``, all float64; ``H`` divided in place."""
    H /= total
    if alpha:
        n = W.size
        H.flat[:n * (H.shape[0] + 1):H.shape[0] + 1] += alpha  # W's diagonal, not the intercepts'
    return (H, *multinomial_means(W, alpha, total, dW, db, cost))
