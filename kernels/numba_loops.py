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

import numba
import numpy as np

from ._stable import sigmoid_and_loss

__all__ = ["gradient", "FASTMATH"]

#: Reassociation and contraction let LLVM vectorise the sums; no ``nnan`` /
#: ``ninf``, so NaN and inf propagate exactly as in IEEE arithmetic.
FASTMATH = frozenset({"reassoc", "contract", "nsz", "arcp"})


def _jit(function):
    return numba.njit(cache=True, nogil=True, fastmath=set(FASTMATH))(function)


_sigmoid_and_loss = _jit(sigmoid_and_loss)


@_jit
def _sums_example_major(w, b, X, y, s, dw):
    """Add ``X (s dz)`` to ``dw``; return ``(sum(s dz), sum(s loss))``.

    One fused pass for X whose columns (examples) are contiguous.
    """
    n_x, m = X.shape
    db = 0.0
    cost = 0.0
    for i in range(m):
        z = b
        for j in range(n_x):
            z += np.float64(w[j]) * X[j, i]
        a, loss = _sigmoid_and_loss(z, np.float64(y[i]))
        dz = a - y[i]
        if s is not None:
            dz *= s[i]
            loss *= s[i]
        for j in range(n_x):
            dw[j] += dz * X[j, i]
        db += dz
        cost += loss
    return db, cost


@_jit
def _sums_feature_major(w, b, X, y, s, dw, z):
    """Same contract as ``_sums_example_major``, for X whose rows are contiguous.

    ``z`` is an ``(m,)`` float64 work buffer, overwritten.
    """
    n_x, m = X.shape
    z[:] = b
    for j in range(n_x):
        w_j = np.float64(w[j])
        for i in range(m):
            z[i] += w_j * X[j, i]
    db = 0.0
    cost = 0.0
    for i in range(m):
        a, loss = _sigmoid_and_loss(z[i], np.float64(y[i]))
        dz = a - y[i]
        if s is not None:
            dz *= s[i]
            loss *= s[i]
        z[i] = dz
        db += dz
        cost += loss
    for j in range(n_x):
        acc = 0.0
        for i in range(m):
            acc += X[j, i] * z[i]
        dw[j] += acc
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
def _gradient(w, b, X, y, s, alpha):
    n_x, m = X.shape
    dw = np.empty(n_x, dtype=np.float64)
    z = np.empty(m if abs(X.strides[0]) > abs(X.strides[1]) else 0, dtype=np.float64)
    db, cost = _sums(w, b, X, y, s, dw, z)
    total = _total_weight(s, m)
    out = np.empty(n_x, dtype=X.dtype)
    for j in range(n_x):
        out[j] = dw[j] / total + alpha * w[j]
    cost = cost / total + 0.5 * alpha * _squared_norm(w)
    return out, db / total, cost


def gradient(w, b, X, y, alpha, sample_weight):
    """Compiled gradient and cost, loop order chosen from X's strides.

    See ``fastlr.kernels`` for the shared signature and contract.
    """
    return _gradient(w, float(b), X, y, sample_weight, float(alpha))
