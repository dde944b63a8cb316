"""``fastlr.gradient``: validate once, run the chosen kernel, check its output."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ._dask.input import is_dask_array
from ._registry import BINARY, Kernel, lookup_kernel, resolve
from ._validation import check_result_finite, validate_problem

__all__ = ["gradient"]


def gradient(
    w: ArrayLike,
    b: float,
    X: ArrayLike,
    Y: ArrayLike,
    kernel: str | Kernel = "auto",
    alpha: float = 0.0,
    sample_weight: ArrayLike | None = None,
    check_finite: bool = True,
) -> tuple[np.ndarray, float, float]:
    """Gradient and cost of L2-regularised logistic regression.

    With ``X`` of shape ``(n_x, m)``, one example per column::

        Z  = w·X + b,   A = sigmoid(Z),   dZ = A - Y
        J  = mean(-(Y log A + (1 - Y) log(1 - A))) + alpha/2 ||w||^2
        dw = X dZᵀ / m + alpha w
        db = sum(dZ) / m

    With ``sample_weight`` every mean becomes a weighted mean (divided by
    ``sum(sample_weight)`` instead of ``m``). The cost is computed stably, as
    ``log(1 + e^z) - y z``: finite for any finite ``z``.

    Parameters
    ----------
    w : array_like, shape (n_x,) or (n_x, 1)
        Weights. ``dw`` is returned in the same shape.
    b : float
        Bias.
    X : array_like, shape (n_x, m)
        Features, one example per column. float32 and float64 are computed in
        their own dtype; integer and bool input becomes float64. Any memory
        layout is accepted and never copied. A scipy.sparse matrix or array
        is never densified: CSC (each example's entries together, the
        fastest) and CSR are taken as they are, other formats converted to
        CSC once. A ``dask.array.Array`` chunked
        along the examples only is computed chunk by chunk where it lives
        (each chunk by ``kernel``, ``auto`` meaning one thread per task), the
        partial sums reduced in a tree; Y and ``sample_weight`` are then
        NumPy or Dask arrays chunked as X's examples. Needs the ``dask``
        extra (``pip install 'fastlr-kernels[dask]'``).
    Y : array_like, shape (m,) or (1, m)
        Labels in [0, 1]: 0/1 classes or probabilities.
    kernel : str or Kernel, default "auto"
        A name from :data:`fastlr.KERNELS`, ``"auto"`` for the fastest
        available here for this X (chosen per call from its shape, dtype and
        layout), or a :class:`fastlr.Kernel`.
    alpha : float, default 0.0
        L2 penalty strength, ``>= 0``.
    sample_weight : array_like of shape (m,), optional
        Non-negative per-example weights, not all zero.
    check_finite : bool, default True
        Raise ``ValueError`` when an input holds NaN or inf. X is not scanned
        up front: a non-finite X shows in the output, which is checked.

    Returns
    -------
    dw : ndarray, shape of ``w``, dtype of ``X``
    db : float
    cost : float

    Raises
    ------
    UnknownKernelError, KernelUnavailableError
        For a kernel name fastlr does not know, or whose dependency is missing.
    ValueError
        For shapes that do not match, labels outside [0, 1], bad
        ``sample_weight``, ``alpha < 0``, or NaN/inf (when ``check_finite``).
    TypeError
        For complex, object or string input.

    Examples
    --------
    >>> import numpy as np, fastlr
    >>> X = np.array([[0.0, 1.0, 2.0, 3.0]])      # n_x = 1 feature, m = 4 examples
    >>> Y = np.array([0, 0, 1, 1])
    >>> dw, db, cost = fastlr.gradient(np.zeros(1), 0.0, X, Y, kernel="numpy")
    >>> dw, db, round(cost, 6)
    (array([-0.5]), 0.0, 0.693147)
    """
    named = lookup_kernel(kernel)
    if is_dask_array(X):
        from ._dask.objective import dask_gradient

        return dask_gradient(w, b, X, Y, named, alpha, sample_weight, check_finite)
    problem = validate_problem(
        w, b, X, Y, alpha=alpha, sample_weight=sample_weight, check_finite=check_finite
    )
    dw, db, cost = resolve(named, BINARY, problem.X).gradient(
        problem.w, problem.b, problem.X, problem.y, problem.alpha, problem.sample_weight
    )
    if check_finite:
        check_result_finite(problem.X, dw, db, cost)
    return dw.reshape(problem.w_shape), db, cost
