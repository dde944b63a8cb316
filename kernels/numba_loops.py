"""Kernel ``numba``: the explicit loops, JIT-compiled, on one thread.

The loops of the ``python`` kernel compiled by numba (``cache=True``, the
NaN/inf-preserving fastmath flags of ``DESIGN.md``), accumulating in float64
for float32 and float64 input alike. The loop order follows X's memory
layout so that memory is walked contiguously:

- examples contiguous (F order, ``|X.strides[0]| <= |X.strides[1]|``): per
  example, a dot product over its contiguous features, then its ``dw``
  update, four examples per step;
- features contiguous (C order): a sweep over feature rows building ``z``,
  then a sweep over feature rows accumulating ``dw``.

Either way X is walked in tiles of a few hundred examples, with an
element-wise pass for ``a``, the loss and ``dz`` between the two touches of
a tile, so that the second finds it in cache and the element-wise pass
vectorises.

Looping against the layout is 3-5x slower, so the choice is made per call
from the strides; any other layout (a strided view) takes the branch its
smaller stride favours, and is never copied. The loops themselves live in
``kernels._loops``, shared with ``numba-parallel``.

The multinomial op (``multinomial_sums``) runs the same way, K logits per
example, from ``kernels._softmax_loops``.

Besides ``gradient``, the module exposes ``train``: the gradient-descent loop
compiled, run in slices of about 0.1 s so that Ctrl-C stops it promptly
(``kernels._interruptible``); no Python runs within a slice.
"""

from __future__ import annotations

import numpy as np

from . import (_hessian_loops, _loops, _product_loops, _softmax_loops, _softmax_product_loops,
               _sparse_loops)
from ._arguments import (binary_arguments, multinomial_arguments, multinomial_product_arguments,
                         product_arguments)
from ._interruptible import call, run_in_slices

__all__ = ["binary_hessian_sums", "binary_sums", "gram_product", "multinomial_product",
           "multinomial_sums", "sparse_binary_sums", "sparse_gram_product",
           "sparse_multinomial_product", "sparse_multinomial_sums", "train"]


def binary_sums(w, b, X, y, sample_weight):
    """Compiled sums of the binary op, loop order chosen from X's strides.

    See ``fastlr.kernels`` for the op's contract.
    """
    return call(_loops.sums_one_thread, w, float(b), X, y, binary_arguments(w, X, y, sample_weight))


def binary_hessian_sums(w, b, X, y, sample_weight):
    """Compiled sums of the binary op and the Hessian's, one pass over X (``kernels._hessian_loops``).

    See ``fastlr.kernels`` for the op's contract.
    """
    return call(_hessian_loops.hessian_one_thread, w, float(b), X, y,
                binary_arguments(w, X, y, sample_weight))


def train(w, b, X, y, alpha, sample_weight, learning_rate, max_iter, tol, fit_intercept=True):
    """Compiled training loop; see ``fastlr._training`` for the contract.

    Returns ``(w, b, costs, status)`` with ``w`` float64 and ``costs`` the
    ``n_iter`` recorded costs.
    """
    s = binary_arguments(w, X, y, sample_weight)

    def descend(w_master, b_now, costs, first, last):
        return call(_loops.descend_one_thread, w_master, b_now, X, y, s, float(alpha),
                    float(learning_rate), float(tol), bool(fit_intercept), costs, first, last)

    return run_in_slices(descend, w, float(b), int(max_iter))


def multinomial_sums(W, b, X, labels, Y, sample_weight):
    """Compiled multinomial sums, loop order chosen from X's strides.

    See ``fastlr.kernels`` for the op's contract.
    """
    labels, Y, s = multinomial_arguments(W, b, X, labels, Y, sample_weight)
    return call(_softmax_loops.sums_one_thread, W, b, X, labels, Y, s)


def sparse_binary_sums(w, b, X, y, sample_weight):
    """Compiled sums of the binary op on a sparse X (CSC or CSR ``(n_x, m)``), one thread.

    See ``fastlr.kernels`` for the op's contract. CSC: one fused pass over
    the stored entries, example by example; CSR: ``z`` scattered row by row,
    then ``dw`` gathered row by row (``kernels._sparse_loops``).
    """
    s = binary_arguments(w, X, y, sample_weight)
    if X.format == "csc":
        return call(_sparse_loops.binary_by_example, w, float(b), X.data, X.indices, X.indptr, y, s)
    return call(_sparse_loops.binary_by_feature, w, float(b), X.data, X.indices, X.indptr, y, s,
                X.shape[1])


def sparse_multinomial_sums(W, b, X, labels, Y, sample_weight):
    """Compiled multinomial sums on a sparse X, one thread, as :func:`sparse_binary_sums` with K logits.

    See ``fastlr.kernels`` for the op's contract.
    """
    labels, Y, s = multinomial_arguments(W, b, X, labels, Y, sample_weight)
    WT = np.ascontiguousarray(W.T)
    if X.format == "csc":
        dWT, db, cost = call(_sparse_loops.multinomial_by_example, WT, b, X.data, X.indices,
                             X.indptr, labels, Y, s)
    else:
        dWT, db, cost = call(_sparse_loops.multinomial_by_feature, WT, b, X.data, X.indices,
                             X.indptr, labels, Y, s, X.shape[1])
    return np.ascontiguousarray(dWT.T), db, cost


def gram_product(X, c, v):
    """The weighted Gram product ``[X; 1] diag(c) [X; 1]ᵀ v``, one compiled pass over X
    (``kernels._product_loops``).

    See ``fastlr.kernels`` for the op's contract.
    """
    product_arguments(X, c, v)
    return call(_product_loops.dense_one_thread, X, c, v)


def sparse_gram_product(X, c, v):
    """The weighted Gram product on a sparse X: one pass by example (CSC), two by feature (CSR).

    See ``fastlr.kernels`` for the op's contract.
    """
    product_arguments(X, c, v)
    if X.format == "csc":
        return call(_product_loops.sparse_by_example, X.data, X.indices, X.indptr, c, v)
    return call(_product_loops.sparse_by_feature, X.data, X.indices, X.indptr, c, v, X.shape[1])


def multinomial_product(V, v_b, X, A, c):
    """The multinomial Hessian-vector product's sums, one compiled pass over X
    (``kernels._softmax_product_loops``).

    See ``fastlr.kernels`` for the op's contract.
    """
    A = multinomial_product_arguments(V, v_b, X, A, c)
    return call(_softmax_product_loops.dense_one_thread, V, v_b, X, A, c)


def sparse_multinomial_product(V, v_b, X, A, c):
    """The multinomial Hessian-vector product's sums on a sparse X: one pass by example (CSC),
    two by feature (CSR).

    See ``fastlr.kernels`` for the op's contract.
    """
    A = multinomial_product_arguments(V, v_b, X, A, c)
    VT = np.ascontiguousarray(V.T)
    if X.format == "csc":
        HVT, hb = call(_softmax_product_loops.sparse_by_example, VT, v_b, X.data, X.indices,
                       X.indptr, A, c)
    else:
        HVT, hb = call(_softmax_product_loops.sparse_by_feature, VT, v_b, X.data, X.indices,
                       X.indptr, A, c, X.shape[1])
    return np.ascontiguousarray(HVT.T), hb
