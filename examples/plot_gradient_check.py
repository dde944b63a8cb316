"""
Checking the gradient by finite differences
===========================================

The gradient ``dw = X dZᵀ / m``, ``db = ΣdZ / m`` with ``dZ = sigmoid(w·X +
b) − Y`` is the derivative of the mean log-loss. A central difference of the
cost along each coordinate agrees with it to about 1e-9 here, for every
kernel; the same check runs in fastlr's test suite.
"""

import numpy as np

import fastlr

rng = np.random.default_rng(1)
n_x, m = 8, 500
X = rng.standard_normal((n_x, m))
Y = (rng.random(m) < 0.5).astype(float)
w, b = 0.3 * rng.standard_normal(n_x), 0.1


def cost(w, b):
    return fastlr.gradient(w, b, X, Y, kernel="numpy")[2]


h = 1e-6
numeric = np.array([(cost(w + h * e, b) - cost(w - h * e, b)) / (2 * h) for e in np.eye(n_x)])
numeric_db = (cost(w, b + h) - cost(w, b - h)) / (2 * h)
for kernel in fastlr.available_kernels():
    dw, db, _ = fastlr.gradient(w, b, X, Y, kernel=kernel)
    error = max(np.abs(dw - numeric).max(), abs(db - numeric_db))
    print(f"{kernel:>15}: largest difference from the finite differences {error:.1e}")
