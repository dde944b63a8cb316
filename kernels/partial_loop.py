"""Kernel ``partial``: the course notes' "After Step 1", one loop left.

An explicit Python loop over the m examples; inside it, NumPy vector
operations over the n_x features (``w · x_i`` and ``dw += dz * x_i``). ``dw``
accumulates in float64 whatever X's dtype.

The loop walks X example by example, so it reads each example's features as
one contiguous vector: ``X.T`` is used as it is when X is F-ordered, and
copied once to C order otherwise (one pass over X, a small cost next to m
iterations of the loop). The per-example NumPy calls are bound to local
names once, since at n_x ~ 100 their call overhead, not the arithmetic, is
what this kernel's time is made of.

For a sparse X the loop runs over examples of a CSC ``(n_x, m)`` copy of X
with duplicate entries summed (one copy of its entries per call), NumPy
over each example's stored entries: ``w[features] @ values`` and
``dw[features] += dz * values``.
"""

from __future__ import annotations

import math

import numpy as np

from ._ieee import ieee_quiet
from ._stable import sigmoid_and_loss, sigmoid_slope

__all__ = ["binary_hessian_sums", "binary_sums", "gram_product", "multinomial_product",
           "multinomial_sums", "sparse_binary_sums", "sparse_gram_product",
           "sparse_multinomial_product", "sparse_multinomial_sums"]


@ieee_quiet
def binary_sums(w, b, X, y, sample_weight):
    """Sums of the binary op with a loop over examples, NumPy over features.

    See ``fastlr.kernels`` for the op's contract.
    """
    n_x, m = X.shape
    examples = np.ascontiguousarray(X.T)  # row i: the features of example i
    labels = y.tolist()
    weights = [1.0] * m if sample_weight is None else sample_weight.tolist()

    dw = np.zeros(n_x, dtype=np.float64)
    step = np.empty(n_x, dtype=np.float64)  # dz * x_i, reused
    dz_cell = np.empty((), dtype=np.float64)  # dz as a 0-d array: a cheaper operand than a float
    w_dot = w.dot
    multiply = np.multiply
    accumulate = dw.__iadd__
    db = 0.0
    cost = 0.0
    for x_i, y_i, s_i in zip(examples, labels, weights):
        z = float(w_dot(x_i)) + b
        a, loss = sigmoid_and_loss(z, y_i)
        dz = (a - y_i) * s_i
        dz_cell[()] = dz
        multiply(x_i, dz_cell, step)
        accumulate(step)
        db += dz
        cost += loss * s_i
    return dw, db, cost


@ieee_quiet
def binary_hessian_sums(w, b, X, y, sample_weight):
    """The binary op's sums and the Hessian's, a loop over examples, NumPy over features.

    See ``fastlr.kernels`` for the op's contract: per example, ``h = s a (1 -
    a)`` and the outer product ``h [x_i; 1][x_i; 1]ᵀ`` added to ``H``.
    """
    n_x, m = X.shape
    examples = np.ones((m, n_x + 1), dtype=np.float64)  # row i: [x_i; 1]
    examples[:, :n_x] = X.T
    labels = y.tolist()
    weights = [1.0] * m if sample_weight is None else sample_weight.tolist()

    H = np.zeros((n_x + 1, n_x + 1), dtype=np.float64)
    dw = np.zeros(n_x + 1, dtype=np.float64)  # the last entry is db, summed apart below
    w1 = np.append(w.astype(np.float64), b)
    outer = np.empty_like(H)
    db = 0.0
    cost = 0.0
    for x_i, y_i, s_i in zip(examples, labels, weights):
        z = float(w1 @ x_i)
        a, loss = sigmoid_and_loss(z, y_i)
        dz = (a - y_i) * s_i
        np.multiply.outer(x_i * (sigmoid_slope(z) * s_i), x_i, out=outer)
        H += outer
        dw += dz * x_i
        db += dz
        cost += loss * s_i
    upper = np.triu(H)  # h x xᵀ rounds unevenly across the diagonal: one triangle, mirrored
    return upper + np.triu(upper, 1).T, dw[:n_x].copy(), db, cost


def _targets(labels, Y, n_classes):
    """The ``(m, K)`` float64 rows of one-hot labels, or of the probabilities ``Y``."""
    if Y is None:
        return np.eye(n_classes)[labels]
    return np.ascontiguousarray(Y.T, dtype=np.float64)


def _softmax_dz(z, y_i, s_i):
    """``(s dz, loss)`` of one example's K logits ``z``, stably (``kernels._stable``'s formulas)."""
    top = int(z.argmax())
    zmax = z[top]
    e = np.exp(z - zmax)
    e[top] = 0.0
    rest = float(e.sum())
    e[top] = 1.0
    loss = float(y_i @ (zmax - z)) + float(y_i.sum()) * math.log1p(rest)
    return (e / (1.0 + rest) - y_i) * s_i, loss


@ieee_quiet
def multinomial_sums(W, b, X, labels, Y, sample_weight):
    """Multinomial sums with a loop over examples, NumPy over classes and features.

    See ``fastlr.kernels`` for the op's contract. Per example: ``z = W x_i +
    b`` (one matrix-vector product), a stable softmax on the K logits, and
    ``dW += outer(s dz, x_i)``, accumulated in float64.
    """
    n_classes, n_x = W.shape
    m = X.shape[1]
    examples = np.ascontiguousarray(X.T)
    W64 = W.astype(np.float64)
    weights = [1.0] * m if sample_weight is None else sample_weight.tolist()
    targets = _targets(labels, Y, n_classes)

    dW = np.zeros((n_classes, n_x), dtype=np.float64)
    step = np.empty((n_classes, n_x), dtype=np.float64)  # outer(s dz, x_i), reused
    db = np.zeros(n_classes, dtype=np.float64)
    outer = np.multiply.outer
    cost = 0.0
    for x_i, y_i, s_i in zip(examples, targets, weights):
        z = W64 @ x_i + b
        dz, loss = _softmax_dz(z, y_i, s_i)
        outer(dz, x_i, out=step)
        dW += step
        db += dz
        cost += loss * s_i
    return dW, db, cost


def _entries_by_example(X):
    """``(values float64, features, starts list)`` of a CSC copy of X, duplicates summed, so that
    ``dw[features] += ...`` adds each feature once (fancy-index assignment would drop a duplicate)."""
    columns = X.tocsc(copy=True)
    columns.sum_duplicates()
    return columns.data.astype(np.float64), columns.indices, columns.indptr.tolist()


@ieee_quiet
def sparse_binary_sums(w, b, X, y, sample_weight):
    """Sums of the binary op on a sparse X, a loop over examples, NumPy over their stored entries.

    See ``fastlr.kernels`` for the op's contract.
    """
    values, features, starts = _entries_by_example(X)
    w64 = w.astype(np.float64)
    labels = y.tolist()
    weights = [1.0] * X.shape[1] if sample_weight is None else sample_weight.tolist()
    dw = np.zeros(X.shape[0], dtype=np.float64)
    db = 0.0
    cost = 0.0
    for i, (y_i, s_i) in enumerate(zip(labels, weights)):
        at = features[starts[i]:starts[i + 1]]
        x_i = values[starts[i]:starts[i + 1]]
        z = float(w64[at] @ x_i) + b
        a, loss = sigmoid_and_loss(z, y_i)
        dz = (a - y_i) * s_i
        dw[at] += dz * x_i
        db += dz
        cost += loss * s_i
    return dw, db, cost


@ieee_quiet
def sparse_multinomial_sums(W, b, X, labels, Y, sample_weight):
    """Multinomial sums on a sparse X, a loop over examples, NumPy over classes and stored entries.

    See ``fastlr.kernels`` for the op's contract.
    """
    n_classes, n_x = W.shape
    values, features, starts = _entries_by_example(X)
    WT = np.ascontiguousarray(W.T, dtype=np.float64)  # (n_x, K): one feature's K weights together
    weights = [1.0] * X.shape[1] if sample_weight is None else sample_weight.tolist()
    targets = _targets(labels, Y, n_classes)
    dWT = np.zeros((n_x, n_classes), dtype=np.float64)
    db = np.zeros(n_classes, dtype=np.float64)
    cost = 0.0
    for i, (y_i, s_i) in enumerate(zip(targets, weights)):
        at = features[starts[i]:starts[i + 1]]
        x_i = values[starts[i]:starts[i + 1]]
        z = x_i @ WT[at] + b
        dz, loss = _softmax_dz(z, y_i, s_i)
        dWT[at] += np.multiply.outer(x_i, dz)
        db += dz
        cost += loss * s_i
    return np.ascontiguousarray(dWT.T), db, cost


def gram_product(X, c, v):
    """The weighted Gram product ``[X; 1] diag(c) [X; 1]ᵀ v``, a loop over examples, NumPy over
    their features.

    See ``fastlr.kernels`` for the op's contract.
    """
    n_x, m = X.shape
    v_w = v[:n_x]
    out = np.zeros(n_x + 1, dtype=np.float64)
    for i in range(m):
        x_i = X[:, i].astype(np.float64)
        t = float(c[i]) * (float(v_w @ x_i) + float(v[n_x]))
        out[:n_x] += t * x_i
        out[n_x] += t
    return out


def sparse_gram_product(X, c, v):
    """The weighted Gram product on a sparse X, a loop over examples, NumPy over their stored entries.

    See ``fastlr.kernels`` for the op's contract.
    """
    values, features, starts = _entries_by_example(X)
    n_x = X.shape[0]
    v_w = v[:n_x]
    out = np.zeros(n_x + 1, dtype=np.float64)
    for i in range(X.shape[1]):
        at = features[starts[i]:starts[i + 1]]
        x_i = values[starts[i]:starts[i + 1]]
        t = float(c[i]) * (float(v_w[at] @ x_i) + float(v[n_x]))
        out[:n_x][at] += t * x_i
        out[n_x] += t
    return out


def _curvature_step(u, a, c_i):
    """One example's ``r = c (p - a (1ᵀp))``, ``p = a ⊙ u``."""
    p = a * u
    return c_i * (p - a * p.sum())


def multinomial_product(V, v_b, X, A, c):
    """The multinomial Hessian-vector product's sums, a loop over examples, NumPy over classes and
    features.

    See ``fastlr.kernels`` for the op's contract.
    """
    examples = np.ascontiguousarray(X.T)
    V64 = V.astype(np.float64)
    HV = np.zeros(V.shape, dtype=np.float64)
    step = np.empty(V.shape, dtype=np.float64)  # outer(r, x_i), reused
    hb = np.zeros(V.shape[0], dtype=np.float64)
    for x_i, a, c_i in zip(examples, A.T, c.tolist()):
        r = _curvature_step(V64 @ x_i + v_b, a, c_i)
        np.multiply.outer(r, x_i, out=step)
        HV += step
        hb += r
    return HV, hb


def sparse_multinomial_product(V, v_b, X, A, c):
    """The multinomial Hessian-vector product's sums on a sparse X, a loop over examples, NumPy
    over classes and stored entries.

    See ``fastlr.kernels`` for the op's contract.
    """
    values, features, starts = _entries_by_example(X)
    VT = np.ascontiguousarray(V.T, dtype=np.float64)  # (n_x, K): one feature's K entries together
    HVT = np.zeros(VT.shape, dtype=np.float64)
    hb = np.zeros(V.shape[0], dtype=np.float64)
    for i, (a, c_i) in enumerate(zip(A.T, c.tolist())):
        at = features[starts[i]:starts[i + 1]]
        x_i = values[starts[i]:starts[i + 1]]
        r = _curvature_step(x_i @ VT[at] + v_b, a, c_i)
        HVT[at] += np.multiply.outer(x_i, r)
        hb += r
    return np.ascontiguousarray(HVT.T), hb
