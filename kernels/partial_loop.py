"""Kernel ``partial``: the course notes' "After Step 1", one loop left.

An explicit Python loop over the m examples; inside it, NumPy vector
operations over the n_x features (``w @ x_i`` and ``dw += dz * x_i``). ``dw``
accumulates in float64 whatever X's dtype.
"""

from __future__ import annotations

import numpy as np

from ._stable import sigmoid_and_loss

__all__ = ["gradient"]


def gradient(w, b, X, y, alpha, sample_weight):
    """Gradient and cost with a loop over examples, NumPy over features.

    See ``fastlr.kernels`` for the shared signature and contract.
    """
    n_x, m = X.shape
    labels = y.tolist()
    weights = None if sample_weight is None else sample_weight.tolist()

    dw = np.zeros(n_x, dtype=np.float64)
    db = 0.0
    cost = 0.0
    for i in range(m):
        x_i = X[:, i]
        z = float(w @ x_i) + b
        a, loss = sigmoid_and_loss(z, labels[i])
        dz = a - labels[i]
        if weights is not None:
            dz *= weights[i]
            loss *= weights[i]
        dw += dz * x_i
        db += dz
        cost += loss

    total = float(m) if weights is None else sum(weights)
    w64 = w.astype(np.float64)
    dw = dw / total + alpha * w64
    cost = cost / total + 0.5 * alpha * float(w64 @ w64)
    return dw.astype(X.dtype, copy=False), db / total, cost
