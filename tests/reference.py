"""An independent float64 reference for the gradient, its error bounds, and test problems.

Written differently from every kernel on purpose: ``np.logaddexp`` for the
loss, ``scipy.special.expit`` for the sigmoid, ``math.fsum`` (exactly rounded)
for every sum, and inputs promoted to float64 before anything is computed.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import expit


def reference_gradient(w, b, X, y, alpha=0.0, sample_weight=None):
    """``(dw, db, cost, scale)`` in float64.

    ``scale`` bounds what rounding can do to each output: the same sums taken
    over absolute values. An error is "relative" to it, which stays
    meaningful when a component of ``dw`` cancels to nearly zero.
    """
    X = np.asarray(X, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64).reshape(-1)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    n_x, m = X.shape
    s = np.ones(m) if sample_weight is None else np.asarray(sample_weight, np.float64).reshape(-1)
    total = math.fsum(s)

    z = np.array([math.fsum(w * X[:, i]) + b for i in range(m)])
    a = expit(z)
    loss = np.logaddexp(0.0, z) - y * z
    dz = s * (a - y)

    dw = np.array([math.fsum(X[j] * dz) for j in range(n_x)]) / total + alpha * w
    db = math.fsum(dz) / total
    penalty = 0.5 * alpha * math.fsum(w * w)
    cost = math.fsum(s * loss) / total + penalty

    z_scale = np.abs(X).T @ np.abs(w) + abs(b)  # what rounding in z is relative to
    dw_scale = (np.abs(X) @ (np.abs(dz) + s * z_scale * 0.25)) / total + alpha * np.abs(w)
    db_scale = math.fsum(np.abs(dz) + s * z_scale * 0.25) / total
    cost_scale = math.fsum(s * (np.abs(loss) + z_scale)) / total + penalty
    return dw, db, cost, (dw_scale, db_scale, cost_scale)


def assert_matches_reference(result, w, b, X, y, *, rtol, alpha=0.0, sample_weight=None):
    """Assert a kernel's ``(dw, db, cost)`` agree with the reference within ``rtol``.

    The tolerance is relative to the scale of each sum (see
    ``reference_gradient``), the honest measure of agreement for sums.
    """
    dw, db, cost = result
    ref_dw, ref_db, ref_cost, (dw_scale, db_scale, cost_scale) = reference_gradient(
        w, b, X, y, alpha=alpha, sample_weight=sample_weight
    )
    # Below this, rounding the output to its own dtype is the whole error.
    tiny = float(np.finfo(dw.dtype).smallest_subnormal)
    dw = np.asarray(dw, dtype=np.float64).reshape(-1)
    assert np.all(np.abs(dw - ref_dw) <= rtol * dw_scale + tiny), (dw, ref_dw, dw_scale)
    assert abs(db - ref_db) <= rtol * db_scale + tiny, (db, ref_db, db_scale)
    assert abs(cost - ref_cost) <= rtol * cost_scale + tiny, (cost, ref_cost, cost_scale)


def make_problem(rng, n_x=6, m=9, dtype=np.float64, order="C"):
    """A small seeded problem ``(w, b, X, y)`` with X in the given layout."""
    X = np.asarray(rng.standard_normal((n_x, m)), dtype=dtype, order=order)
    w = rng.standard_normal(n_x).astype(dtype)
    y = (rng.random(m) < 0.5).astype(dtype)
    return w, 0.25, X, y


def layout(X, order):
    """X in C or F order, or a strided view (every other column of a wider array)."""
    if order == "F":
        return np.asfortranarray(X)
    if order == "strided":
        padded = np.zeros((X.shape[0], 2 * X.shape[1]), dtype=X.dtype)
        padded[:, ::2] = X
        return padded[:, ::2]
    return np.ascontiguousarray(X)


def make_softmax_problem(rng, K=4, n_x=7, m=53, dtype=np.float64, order="C", soft=False):
    """A seeded multinomial problem ``(W, b, X, Y)``: class labels, or ``(K, m)`` probabilities with ``soft``."""
    X = layout(rng.standard_normal((n_x, m)).astype(dtype), order)
    W = rng.standard_normal((K, n_x)).astype(dtype)
    b = rng.standard_normal(K)
    if soft:
        Y = rng.random((K, m))
        Y = (Y / Y.sum(axis=0)).astype(dtype)
    else:
        Y = rng.integers(0, K, m)
    return W, b, X, Y


def reference_softmax_gradient(W, b, X, Y, alpha=0.0, sample_weight=None):
    """``(dW, db, cost, scale)`` of the multinomial problem in float64.

    ``Y`` is ``(m,)`` class labels or ``(K, m)`` probabilities. Written with
    ``scipy.special.logsumexp`` and ``softmax`` and ``math.fsum``, unlike any
    kernel; ``scale`` plays the part it does in :func:`reference_gradient`.
    """
    from scipy.special import logsumexp, softmax

    X = np.asarray(X, dtype=np.float64)
    W = np.asarray(W, dtype=np.float64)
    K, n_x = W.shape
    m = X.shape[1]
    b = np.broadcast_to(np.asarray(b, dtype=np.float64), (K,))
    Y = np.asarray(Y)
    T = np.eye(K)[:, Y.astype(np.int64)] if Y.ndim == 1 else Y.astype(np.float64)
    s = np.ones(m) if sample_weight is None else np.asarray(sample_weight, np.float64)
    total = math.fsum(s)

    Z = np.array([[math.fsum(W[k] * X[:, i]) + b[k] for i in range(m)] for k in range(K)])
    A = softmax(Z, axis=0)
    loss = logsumexp(Z, axis=0) * T.sum(axis=0) - (T * Z).sum(axis=0)
    dZ = s * (A - T)
    dW = np.array([[math.fsum(dZ[k] * X[j]) for j in range(n_x)] for k in range(K)]) / total
    dW += alpha * W
    db = np.array([math.fsum(dZ[k]) for k in range(K)]) / total
    penalty = 0.5 * alpha * math.fsum((W * W).ravel())
    cost = math.fsum(s * loss) / total + penalty

    z_scale = np.abs(W) @ np.abs(X) + np.abs(b)[:, None]  # (K, m)
    spread = s * z_scale.max(axis=0)  # what rounding in the logits moves dz by, at most ~1/2 of
    dW_scale = ((np.abs(dZ) + 0.5 * spread) @ np.abs(X).T) / total + alpha * np.abs(W)
    db_scale = (np.abs(dZ) + 0.5 * spread).sum(axis=1) / total
    cost_scale = math.fsum(s * (np.abs(loss) + 2 * z_scale.max(axis=0))) / total + penalty
    return dW, db, cost, (dW_scale, db_scale, cost_scale)


def assert_matches_softmax_reference(result, W, b, X, Y, *, rtol, alpha=0.0, sample_weight=None):
    """Assert a multinomial ``(dW, db, cost)`` agree with the reference within ``rtol`` of each sum's scale."""
    dW, db, cost = result
    ref_dW, ref_db, ref_cost, (dW_scale, db_scale, cost_scale) = reference_softmax_gradient(
        W, b, X, Y, alpha=alpha, sample_weight=sample_weight)
    tiny = float(np.finfo(dW.dtype).smallest_subnormal)
    dW = np.asarray(dW, dtype=np.float64)
    assert np.all(np.abs(dW - ref_dW) <= rtol * dW_scale + tiny), (dW, ref_dW, dW_scale)
    assert np.all(np.abs(db - ref_db) <= rtol * db_scale + tiny), (db, ref_db, db_scale)
    assert abs(cost - ref_cost) <= rtol * cost_scale + tiny, (cost, ref_cost, cost_scale)
