"""Kernel ``numba``: the explicit loops, JIT-compiled, on one thread.

The loops of the ``python`` kernel compiled by numba (``cache=True``, the
NaN/inf-preserving fastmath flags of ``DESIGN.md``), accumulating in float64
for float32 and float64 input alike. The loop order follows X's memory
layout so that memory is walked contiguously:

- examples contiguous (F order, ``|X.strides[0]| <= |X.strides[1]|``): one fused
  pass, per example ``z``, ``a``, the loss and the ``dw`` update, reading the
  example's features once from cache;
- features contiguous (C order): a sweep over feature rows building ``z`` for
  all examples, an element-wise pass for ``a``, the loss and ``dz``, and a
  sweep over feature rows accumulating ``dw``.

Looping against the layout is 3-5x slower, so the choice is made per call
from the strides; any other layout (a strided view) takes the branch its
smaller stride favours, and is never copied.

Besides ``gradient``, the module exposes ``train``: the whole gradient-descent
loop compiled, so that no Python runs per iteration.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from . import CONVERGED, MAX_ITER, NOT_FINITE
from ._stable import sigmoid_and_loss

__all__ = ["gradient", "train", "FASTMATH"]

#: Reassociation and contraction let LLVM vectorise the sums; no ``nnan`` /
#: ``ninf``, so NaN and inf propagate exactly as in IEEE arithmetic.
FASTMATH = frozenset({"reassoc", "contract", "nsz", "arcp"})


def _jit(function):
    return numba.njit(cache=True, nogil=True, fastmath=set(FASTMATH))(function)


#: The per-example math, compiled exactly as written (see ``kernels._stable``).
_sigmoid_and_loss = numba.njit(cache=True, nogil=True, fastmath=False)(sigmoid_and_loss)


@_jit
def _finish_example(z, y, s, i):
    """``(s_i dz_i, s_i loss_i)`` of example i from its ``z``."""
    y_i = np.float64(y[i])
    a, loss = _sigmoid_and_loss(z, y_i)
    dz = a - y_i
    if s is not None:
        return dz * s[i], loss * s[i]
    return dz, loss


@_jit
def _sums_example_major(w, b, X, y, s, dw):
    """Add ``X (s dz)`` to ``dw``; return ``(sum(s dz), sum(s loss))``.

    One fused pass for X whose columns (examples) are contiguous, four
    examples per step: each ``w[j]`` load serves four dot products and each
    ``dw[j]`` update takes four examples' contributions, which keeps the loop
    streaming X instead of waiting on loads and stores of ``w`` and ``dw``.
    """
    n_x, m = X.shape
    db = 0.0
    cost = 0.0
    i = 0
    while i + 4 <= m:
        z0 = z1 = z2 = z3 = b
        for j in range(n_x):
            w_j = np.float64(w[j])
            z0 += w_j * X[j, i]
            z1 += w_j * X[j, i + 1]
            z2 += w_j * X[j, i + 2]
            z3 += w_j * X[j, i + 3]
        d0, l0 = _finish_example(z0, y, s, i)
        d1, l1 = _finish_example(z1, y, s, i + 1)
        d2, l2 = _finish_example(z2, y, s, i + 2)
        d3, l3 = _finish_example(z3, y, s, i + 3)
        for j in range(n_x):
            dw[j] += d0 * X[j, i] + d1 * X[j, i + 1] + d2 * X[j, i + 2] + d3 * X[j, i + 3]
        db += (d0 + d1) + (d2 + d3)
        cost += (l0 + l1) + (l2 + l3)
        i += 4
    for i in range(i, m):
        z0 = b
        for j in range(n_x):
            z0 += np.float64(w[j]) * X[j, i]
        d0, l0 = _finish_example(z0, y, s, i)
        for j in range(n_x):
            dw[j] += d0 * X[j, i]
        db += d0
        cost += l0
    return db, cost


@_jit
def _sums_feature_major(w, b, X, y, s, dw, z):
    """Same contract as ``_sums_example_major``, for X whose rows are contiguous.

    Two sweeps over the rows of X, four rows per step (so that each load and
    store of ``z[i]`` serves four rows), with an element-wise pass between
    them. ``z`` is an ``(m,)`` float64 work buffer, overwritten.
    """
    n_x, m = X.shape
    z[:] = b
    j = 0
    while j + 4 <= n_x:
        w0 = np.float64(w[j])
        w1 = np.float64(w[j + 1])
        w2 = np.float64(w[j + 2])
        w3 = np.float64(w[j + 3])
        for i in range(m):
            z[i] += w0 * X[j, i] + w1 * X[j + 1, i] + w2 * X[j + 2, i] + w3 * X[j + 3, i]
        j += 4
    for j in range(j, n_x):
        w0 = np.float64(w[j])
        for i in range(m):
            z[i] += w0 * X[j, i]
    db = 0.0
    cost = 0.0
    for i in range(m):
        dz, loss = _finish_example(z[i], y, s, i)
        z[i] = dz
        db += dz
        cost += loss
    j = 0
    while j + 4 <= n_x:
        a0 = a1 = a2 = a3 = 0.0
        for i in range(m):
            dz = z[i]
            a0 += X[j, i] * dz
            a1 += X[j + 1, i] * dz
            a2 += X[j + 2, i] * dz
            a3 += X[j + 3, i] * dz
        dw[j] += a0
        dw[j + 1] += a1
        dw[j + 2] += a2
        dw[j + 3] += a3
        j += 4
    for j in range(j, n_x):
        a0 = 0.0
        for i in range(m):
            a0 += X[j, i] * z[i]
        dw[j] += a0
    return db, cost


@_jit
def _sums(w, b, X, y, s, dw, z):
    """Zero ``dw`` and fill it with ``X (s dz)`` in the layout's loop order."""
    dw[:] = 0.0
    if abs(X.strides[0]) <= abs(X.strides[1]):
        return _sums_example_major(w, b, X, y, s, dw)
    return _sums_feature_major(w, b, X, y, s, dw, z)


@_jit
def _total_weight(s, m):
    if s is None:
        return np.float64(m)
    total = 0.0
    for i in range(s.shape[0]):
        total += s[i]
    return total


@_jit
def _squared_norm(w):
    total = 0.0
    for j in range(w.shape[0]):
        total += np.float64(w[j]) * w[j]
    return total


@_jit
def _work_buffer(X):
    """The ``(m,)`` float64 ``z`` buffer of the feature-major loop (empty for the other)."""
    m = X.shape[1]
    return np.empty(m if abs(X.strides[0]) > abs(X.strides[1]) else 0, dtype=np.float64)


@_jit
def _mean_gradient(w, b, X, y, s, alpha, total, dw, z):
    """Fill ``dw`` (float64) and return ``(db, cost)``: the sums over ``total``, plus the L2 terms."""
    db, cost = _sums(w, b, X, y, s, dw, z)
    for j in range(dw.shape[0]):
        dw[j] = dw[j] / total + alpha * w[j]
    return db / total, cost / total + 0.5 * alpha * _squared_norm(w)


@_jit
def _gradient(w, b, X, y, s, alpha):
    n_x, m = X.shape
    dw = np.empty(n_x, dtype=np.float64)
    db, cost = _mean_gradient(w, b, X, y, s, alpha, _total_weight(s, m), dw, _work_buffer(X))
    out = np.empty(n_x, dtype=X.dtype)
    out[:] = dw
    return out, db, cost


def gradient(w, b, X, y, alpha, sample_weight):
    """Compiled gradient and cost, loop order chosen from X's strides.

    See ``fastlr.kernels`` for the shared signature and contract.
    """
    return _gradient(w, float(b), X, y, sample_weight, float(alpha))


_CONTINUE = -1  # internal to the loop below; never returned


@numba.njit(cache=True, nogil=True, fastmath=False)  # IEEE tests: fastmath may fold them
def _step_status(cost, db, dw, tol):
    """Whether training stops here: not finite, converged, or continue."""
    if not (math.isfinite(cost) and math.isfinite(db)):
        return NOT_FINITE
    largest = abs(db)
    for j in range(dw.shape[0]):
        if not math.isfinite(dw[j]):
            return NOT_FINITE
        largest = max(largest, abs(dw[j]))
    return CONVERGED if largest <= tol else _CONTINUE


@_jit
def _train(w0, b, X, y, s, alpha, learning_rate, max_iter, tol, costs):
    """Gradient descent, every iteration compiled.

    Iterates ``w -= lr dw, b -= lr db`` from ``(w0, b)`` on a float64 master
    copy of ``w`` (the gradient sees it in X's dtype), recording the cost
    before each update in ``costs``. Stops when ``max(|dw|, |db|) <= tol``
    (``CONVERGED``), after ``max_iter`` gradients (``MAX_ITER``), or when the
    cost or gradient is not finite (``NOT_FINITE``, that iteration's cost
    recorded).

    Returns ``(w, b, n_iter, status)``; ``n_iter`` gradients were computed.
    """
    n_x, m = X.shape
    w = w0.astype(np.float64)
    w_k = np.empty(n_x, dtype=X.dtype)
    dw = np.empty(n_x, dtype=np.float64)
    z = _work_buffer(X)
    total = _total_weight(s, m)
    n_iter = 0
    status = MAX_ITER
    for iteration in range(max_iter):
        for j in range(n_x):
            w_k[j] = w[j]
        db, cost = _mean_gradient(w_k, b, X, y, s, alpha, total, dw, z)
        costs[iteration] = cost
        n_iter = iteration + 1
        status = _step_status(cost, db, dw, tol)
        if status != _CONTINUE:
            break
        for j in range(n_x):
            w[j] -= learning_rate * dw[j]
        b -= learning_rate * db
    if status == _CONTINUE:
        status = MAX_ITER
    return w, b, n_iter, status


def train(w, b, X, y, alpha, sample_weight, learning_rate, max_iter, tol):
    """Compiled training loop; see ``fastlr._training`` for the contract.

    Returns ``(w, b, costs, status)`` with ``w`` float64 and ``costs`` the
    ``n_iter`` recorded costs.
    """
    costs = np.empty(max_iter, dtype=np.float64)
    w_out, b_out, n_iter, status = _train(
        w, float(b), X, y, sample_weight, float(alpha), float(learning_rate),
        int(max_iter), float(tol), costs,
    )
    return w_out, b_out, costs[:n_iter], status
