"""Kernel ``partial``: the course notes' "After Step 1", one loop left.

An explicit Python loop over the m examples; inside it, NumPy vector
operations over the n_x features (``w @ x_i`` and ``dw += dz * x_i``). ``dw``
accumulates in float64 whatever X's dtype.
"""

from __future__ import annotations

import numpy as np

from ._ieee import ieee_quiet
from ._stable import sigmoid_and_loss

__all__ = ["gradient"]


@ieee_quiet
def gradient(w, b, X, y, alpha, sample_weight):
    """Gradient and cost with a loop over examples, NumPy over features.

    See ``fastlr.kernels`` for the shared signature and contract.
    """
    n_x, m = X.shape
    labels = y.tolist()
    weights = [1.0] * m if sample_weight is None else sample_weight.tolist()

    dw = np.zeros(n_x, dtype=np.float64)
    step = np.empty(n_x, dtype=np.float64)  # dz * x_i, reused
    db = 0.0
    cost = 0.0
    for x_i, y_i, s_i in zip(X.T, labels, weights):
        z = float(np.dot(w, x_i)) + b
        a, loss = sigmoid_and_loss(z, y_i)
        dz = (a - y_i) * s_i
        np.multiply(x_i, dz, out=step)
        dw += step
        db += dz
        cost += loss * s_i

    total = float(m) if sample_weight is None else sum(weights)
    w64 = w.astype(np.float64)
    dw = dw / total + alpha * w64
    cost = cost / total + 0.5 * alpha * float(w64 @ w64)
    return dw.astype(X.dtype, copy=False), db / total, cost
