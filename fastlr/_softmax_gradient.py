"""``fastlr.softmax_gradient``: the multinomial (K-class) gradient, validated once, by any kernel.

The kernel's multinomial op returns weighted sums;
:func:`fastlr._finish.multinomial_means` turns them into means plus the
penalty. The binary :func:`fastlr.gradient` keeps the course notes' shapes.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ._dask.input import is_dask_array
from ._finish import multinomial_means, weight_total
from ._registry import MULTINOMIAL, Kernel, resolve
from ._validation import check_result_finite, validate_multinomial

__all__ = ["softmax_gradient"]


def softmax_gradient(
    W: ArrayLike,
    b: ArrayLike,
    X: ArrayLike,
    Y: ArrayLike,
    kernel: str | Kernel = "auto",
    alpha: float = 0.0,
    sample_weight: ArrayLike | None = None,
    check_finite: bool = True,
) -> tuple[np.ndarray, np.ndarray, float]:
    """Gradient and cost of L2-regularised multinomial (softmax) logistic regression.

    With ``X`` of shape ``(n_x, m)``, one example per column, and K classes::

        Z  = W X + b,   A = softmax(Z) per column,   dZ = A - Y
        J  = mean(logsumexp(Z) - sum_k Y_k Z_k) + alpha/2 ||W||^2
        dW = dZ Xᵀ / m + alpha W
        db = dZ summed over the examples / m

    ``Y`` is one-hot for class labels. With ``sample_weight`` every mean is
    a weighted mean (divided by ``sum(sample_weight)``). The softmax and the
    cost are computed stably: finite for logits of any finite size.

    Parameters
    ----------
    W : array_like, shape (K, n_x)
        Weights, one row per class, ``K >= 2``.
    b : array_like, shape (K,), or a number
        Biases, one per class (a number is used for every class).
    X : array_like, shape (n_x, m)
        Features, one example per column, as for :func:`fastlr.gradient`:
        float32 and float64 computed in their own dtype (sums in float64),
        any memory layout, never copied; or scipy.sparse, never densified.
    Y : array_like, shape (m,) or (K, m)
        Class labels, integers in ``[0, K)``; or probabilities, one column
        per example, each column summing to 1 (soft labels).
    kernel : str or Kernel, default "auto"
        A name from :data:`fastlr.KERNELS`, ``"auto"`` (the fastest here for
        this X and K), or a :class:`fastlr.Kernel` that offers the
        multinomial op.
    alpha : float, default 0.0
        L2 penalty strength on ``W``, ``>= 0`` (``b`` is not penalised).
    sample_weight : array_like of shape (m,), optional
        Non-negative per-example weights, not all zero.
    check_finite : bool, default True
        Raise ``ValueError`` when an input holds NaN or inf (X is judged
        from the output, as in :func:`fastlr.gradient`).

    Returns
    -------
    dW : ndarray, shape (K, n_x), dtype of ``X``
    db : ndarray, shape (K,), float64
    cost : float

    Raises
    ------
    UnknownKernelError, KernelUnavailableError
        For a kernel name fastlr does not know, one whose dependency is
        missing, or a kernel object without the multinomial op.
    ValueError
        For shapes that do not match, labels outside ``[0, K)``,
        probabilities outside [0, 1] or columns not summing to 1, bad
        ``sample_weight``, ``alpha < 0``, or NaN/inf (when ``check_finite``).
    TypeError
        For complex, object or string input.

    Examples
    --------
    >>> import numpy as np, fastlr
    >>> X = np.array([[0.0, 1.0, 2.0]])            # n_x = 1 feature, m = 3 examples
    >>> dW, db, cost = fastlr.softmax_gradient(np.zeros((3, 1)), np.zeros(3), X,
    ...                                        np.array([0, 1, 2]), kernel="numpy")
    >>> dW.round(6) + 0.0, db.round(6) + 0.0, round(cost, 6)
    (array([[ 0.333333],
           [ 0.      ],
           [-0.333333]]), array([0., 0., 0.]), 1.098612)
    """
    if is_dask_array(X):
        from ._dask.objective import dask_softmax_gradient

        return dask_softmax_gradient(W, b, X, Y, kernel, alpha, sample_weight, check_finite)
    problem = validate_multinomial(W, b, X, Y, alpha=alpha, sample_weight=sample_weight,
                                   check_finite=check_finite)
    chosen = resolve(kernel, MULTINOMIAL, problem.X, problem.n_classes)
    dW, db, cost = multinomial_means(
        problem.W, problem.alpha, weight_total(problem.sample_weight, problem.X.shape[1]),
        *chosen.multinomial(problem.W, problem.b, problem.X, problem.labels, problem.Y,
                            problem.sample_weight),
    )
    if check_finite:
        check_result_finite(problem.X, dW, db, cost)
    return dW.astype(problem.X.dtype, copy=False), db, float(cost)
