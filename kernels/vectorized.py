"""Kernel ``numpy``: the course notes' "Final" version, no explicit loop.

Two matrix-vector products through BLAS, ``z = w @ X + b`` and
``dw = X @ dz / m``, and element-wise NumPy in between. The products run in
X's dtype (BLAS accumulates there); the cost and ``db`` sums accumulate in
float64. X is read twice, once per product, and never copied.
"""

from __future__ import annotations

import numpy as np

from ._ieee import ieee_quiet

__all__ = ["gradient"]


@ieee_quiet
def gradient(w, b, X, y, alpha, sample_weight):
    """Fully vectorized gradient and cost.

    See ``fastlr.kernels`` for the shared signature and contract.
    """
    z = w @ X
    z += b
    # Stable sigmoid and loss sharing one exp (see kernels._stable):
    # a = 1/(1+e) for z > 0, e/(1+e) otherwise; with e = exp(-|z|).
    e = np.exp(-np.abs(z))
    positive = z > 0
    a = np.where(positive, 1.0, e)
    a /= 1.0 + e
    loss = np.where(positive, z, 0.0)  # max(z, 0) - y z first: exact 0 when right
    loss -= y * z
    loss += np.log1p(e)
    dz = a - y
    if sample_weight is None:
        total = float(z.shape[0])
    else:
        total = float(sample_weight.sum(dtype=np.float64))
        dz *= sample_weight
        loss *= sample_weight
    dw = X @ dz
    dw /= total
    if alpha:
        dw += alpha * w
    w64 = w.astype(np.float64)
    cost = float(loss.sum(dtype=np.float64)) / total + 0.5 * alpha * float(w64 @ w64)
    db = float(dz.sum(dtype=np.float64)) / total
    return dw, db, cost
