"""Kernel ``numpy``: the course notes' "Final" version, no explicit loop.

Two matrix-vector products through BLAS, ``z = w @ X + b`` and
``dw = X @ dz / m``, and element-wise NumPy in between. The products run in
X's dtype (BLAS accumulates there); the cost and ``db`` sums accumulate in
float64. X is read twice, once per product, and never copied.

``dw`` sums over the examples, and BLAS sums float32 in float32: with
examples contiguous (F order) OpenBLAS adds the examples one after another
into ``dw``, whose rounding error then grows with m (4.7e-4 of the sum's
scale at 20 x 500,000 on data built to show it, 1.7e-2 at 20 x 1.1e8). So
for float32 X the product is taken over blocks of :data:`FLOAT32_BLOCK`
examples (each a float32 BLAS call on a view of X) and the blocks are added
in float64: the error stays that of one block, within the documented 1e-4
at any m, and the time is unchanged (measured at 20 x 3e6 and 1,000 x 1e5,
both layouts). float64 X needs no blocks.

The multinomial op is the same with matrices: ``Z = W @ X + b`` and
``dW = dZ @ Xᵀ``, two GEMMs, a stable softmax between them.

A sparse X (CSC or CSR ``(n_x, m)``) takes the same two products through
scipy.sparse (one thread, X read twice), the element-wise math unchanged.
"""

from __future__ import annotations

import math

import numpy as np

from ._ieee import ieee_quiet

__all__ = ["FLOAT32_BLOCK", "GRAM_BLOCK_ELEMENTS", "binary_hessian_sums", "binary_sums",
           "gram_product", "multinomial_hessian_sums", "multinomial_product", "multinomial_sums",
           "sparse_binary_hessian_sums", "sparse_binary_sums", "sparse_gram_product",
           "sparse_multinomial_hessian_sums", "sparse_multinomial_product",
           "sparse_multinomial_sums"]

#: Examples per float32 BLAS product in ``dw`` (the blocks are summed in float64).
FLOAT32_BLOCK = 1 << 12
#: Elements of X per block of the Hessian's ``Y Yᵀ`` products (a scaled copy of the block: 8 MB).
GRAM_BLOCK_ELEMENTS = 1 << 20


def _examples_product(X, dz):
    """``X @ dz`` (a sum over the examples) in float64, float32 in blocks summed in float64."""
    m = X.shape[1]
    if X.dtype != np.float32 or m <= FLOAT32_BLOCK:
        return (X @ dz).astype(np.float64, copy=False)
    total = np.zeros(X.shape[0], dtype=np.float64)
    for start in range(0, m, FLOAT32_BLOCK):
        stop = min(m, start + FLOAT32_BLOCK)
        total += X[:, start:stop] @ dz[start:stop]
    return total


def _below_two(sample_weight):
    """``(s / 2^k, 2^k)``: weights above 2 scaled below it by a power of two, else ``(s, 1.0)``.

    Dividing by a power of two is exact, and so is multiplying the sums back
    in float64: the sums are those of the weights as given, without the
    overflow of float32 BLAS products (``s dz x`` near ``3e38``).
    """
    if sample_weight is None:
        return None, 1.0
    top = float(sample_weight.max())
    if top <= 2.0:
        return sample_weight, 1.0
    scale = math.ldexp(1.0, math.frexp(top)[1] - 1)
    return sample_weight * sample_weight.dtype.type(1.0 / scale), scale


def _sigmoid_slope(z, sample_weight):
    """``s a (1 - a)`` from the logits, as ``s e / (1 + e)^2`` with ``e = e^-|z|`` (no cancellation)."""
    e = np.exp(-np.abs(z))
    h = e / np.square(1.0 + e)
    if sample_weight is not None:
        h *= sample_weight
    return h


def _weighted_gram(X, h):
    """``[X; 1] diag(h) [X; 1]ᵀ`` in float64, ``(n_x + 1, n_x + 1)``, the intercept last.

    Block by block of examples: ``Y = X_block sqrt(h)`` (a copy of the block
    in X's dtype), ``Y Yᵀ`` through BLAS (NumPy takes the symmetric product,
    SYRK, for ``Y @ Y.T``), the blocks added in float64; the intercept's row
    is ``X h`` and ``sum(h)``.
    """
    n_x, m = X.shape
    H = np.zeros((n_x + 1, n_x + 1))
    root = np.sqrt(h)
    block = max(1, GRAM_BLOCK_ELEMENTS // max(1, n_x))
    for start in range(0, m, block):
        stop = min(m, start + block)
        Y = X[:, start:stop] * root[start:stop].astype(X.dtype, copy=False)
        H[:n_x, :n_x] += Y @ Y.T
    H[:n_x, n_x] = _examples_product(X, h.astype(X.dtype, copy=False))
    H[n_x, :n_x] = H[:n_x, n_x]
    H[n_x, n_x] = h.sum(dtype=np.float64)
    return H


def _sigmoid_dz(z, y, sample_weight):
    """``(s dz, s loss)`` from the logits ``z`` (overwritten), stably: ``s dz`` in z's dtype, ``s loss``
    in float64 when weighted (float32's range ends near 3e38)."""
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
    if sample_weight is not None:
        dz *= sample_weight
        loss = loss * sample_weight.astype(np.float64)  # float64: s loss may pass float32's range
    return dz, loss


@ieee_quiet
def binary_sums(w, b, X, y, sample_weight):
    """Fully vectorized sums of the binary op.

    See ``fastlr.kernels`` for the op's contract.
    """
    z = w @ X
    z += b
    sample_weight, scale = _below_two(sample_weight)
    dz, loss = _sigmoid_dz(z, y, sample_weight)
    return (_examples_product(X, dz) * scale, float(dz.sum(dtype=np.float64)) * scale,
            float(loss.sum(dtype=np.float64)) * scale)


@ieee_quiet
def binary_hessian_sums(w, b, X, y, sample_weight):
    """The binary op's sums and the weighted Gram matrix of ``[X; 1]``: the Hessian op.

    See ``fastlr.kernels`` for the op's contract. ``z`` as for
    :func:`binary_sums`; the Hessian by BLAS's symmetric product, block by
    block of examples (``_weighted_gram``).
    """
    z = w @ X
    z += b
    sample_weight, scale = _below_two(sample_weight)
    h = _sigmoid_slope(z, sample_weight)
    dz, loss = _sigmoid_dz(z, y, sample_weight)
    return (_weighted_gram(X, h) * scale, _examples_product(X, dz) * scale,
            float(dz.sum(dtype=np.float64)) * scale, float(loss.sum(dtype=np.float64)) * scale)


@ieee_quiet
def sparse_binary_hessian_sums(w, b, X, y, sample_weight):
    """The Hessian op on a sparse X: ``Y Yᵀ`` of the sparse ``Y = X diag(sqrt(h))`` by scipy.sparse.

    See ``fastlr.kernels`` for the op's contract. The Hessian is dense,
    ``(n_x + 1)^2`` float64 (as scikit-learn's newton-cholesky's); X is
    never densified, ``Y`` is a scaled copy of its entries.
    """
    n_x = X.shape[0]
    z = X.T @ w
    z += b
    h = _sigmoid_slope(z, sample_weight).astype(np.float64, copy=False)
    dz, loss = _sigmoid_dz(z, y, sample_weight)
    dz = dz.astype(np.float64, copy=False)
    Y = X.multiply(np.sqrt(h)[None, :]).tocsr()
    H = np.empty((n_x + 1, n_x + 1))
    H[:n_x, :n_x] = (Y @ Y.T).toarray()
    H[:n_x, n_x] = X @ h
    H[n_x, :n_x] = H[:n_x, n_x]
    H[n_x, n_x] = h.sum()
    return H, X @ dz, float(dz.sum()), float(loss.sum(dtype=np.float64))


@ieee_quiet
def sparse_binary_sums(w, b, X, y, sample_weight):
    """The binary op on a sparse X: two scipy.sparse products, element-wise NumPy between.

    See ``fastlr.kernels`` for the op's contract. ``z = Xᵀw`` in X's dtype;
    ``dw = X dz`` from ``dz`` in float64, so that the sum over the examples
    is taken in float64 (scipy computes a float32 X's product in float64).
    """
    z = X.T @ w
    z += b
    dz, loss = _sigmoid_dz(z, y, sample_weight)
    dz = dz.astype(np.float64, copy=False)
    return X @ dz, float(dz.sum()), float(loss.sum(dtype=np.float64))


def _classes_product(dZ, X):
    """``dZ @ X.T`` in float64 (a sum over the examples), float32 in blocks summed in float64."""
    m = X.shape[1]
    if X.dtype != np.float32 or m <= FLOAT32_BLOCK:
        return (dZ @ X.T).astype(np.float64, copy=False)
    total = np.zeros((dZ.shape[0], X.shape[0]), dtype=np.float64)
    for start in range(0, m, FLOAT32_BLOCK):
        stop = min(m, start + FLOAT32_BLOCK)
        total += dZ[:, start:stop] @ X[:, start:stop].T
    return total


def _softmax_dz(Z, labels, Y, sample_weight):
    """``(s dZ, s loss)`` from the logits ``Z (K, m)`` (overwritten, becomes ``s dZ``), stably."""
    m = Z.shape[1]
    examples = np.arange(m)
    top = Z.argmax(axis=0)
    zmax = Z[top, examples]
    if Y is None:
        loss = (zmax - Z[labels, examples]).astype(np.float64)
        mass = 1.0
    else:
        loss = np.einsum("km,km->m", Y, zmax - Z, dtype=np.float64)
        mass = Y.sum(axis=0, dtype=np.float64)
    E = Z
    E -= zmax
    np.exp(E, out=E)
    E[top, examples] = 0.0
    rest = E.sum(axis=0, dtype=np.float64)
    loss += mass * np.log1p(rest)
    E[top, examples] = 1.0
    E /= (1.0 + rest).astype(Z.dtype)
    dZ = E
    if Y is None:
        dZ[labels, examples] -= 1.0
    else:
        dZ -= Y
    if sample_weight is not None:
        dZ *= sample_weight
        loss *= sample_weight
    return dZ, loss


@ieee_quiet
def multinomial_sums(W, b, X, labels, Y, sample_weight):
    """Fully vectorized multinomial sums: two matrix products, element-wise NumPy between.

    See ``fastlr.kernels`` for the op's contract. The logits and the softmax
    are computed in X's dtype, the sums over examples in float64 (BLAS sums
    the products in X's dtype, float32 in blocks).
    """
    Z = W @ X
    Z += b.astype(X.dtype)[:, None]
    sample_weight, scale = _below_two(sample_weight)
    dZ, loss = _softmax_dz(Z, labels, Y, sample_weight)
    dW = _classes_product(dZ, X)
    return dW * scale, dZ.sum(axis=1, dtype=np.float64) * scale, float(loss.sum()) * scale


@ieee_quiet
def sparse_multinomial_sums(W, b, X, labels, Y, sample_weight):
    """Multinomial sums on a sparse X: ``Z = (Xᵀ Wᵀ)ᵀ`` and ``dW = (X dZᵀ)ᵀ`` by scipy.sparse.

    See ``fastlr.kernels`` for the op's contract. The logits in X's dtype,
    ``dZ`` in float64 for the sum over the examples.
    """
    Z = np.ascontiguousarray((X.T @ W.T).T)
    Z += b.astype(Z.dtype)[:, None]
    dZ, loss = _softmax_dz(Z, labels, Y, sample_weight)
    dZ = dZ.astype(np.float64, copy=False)
    dW = np.ascontiguousarray((X @ dZ.T).T)
    return dW, dZ.sum(axis=1), float(loss.sum())


def _softmax(Z):
    """The softmax of each column of the logits ``Z (K, m)``, float64, stably."""
    E = np.exp(Z - Z.max(axis=0), dtype=np.float64)
    E /= E.sum(axis=0)
    return E


def _with_ones(X):
    """``[X; 1]`` in float64, ``(n_x + 1, m)``: dense, or scipy.sparse CSR."""
    if getattr(X, "format", None) is not None:
        import scipy.sparse

        ones = scipy.sparse.csr_matrix(np.ones((1, X.shape[1])))
        return scipy.sparse.vstack([X.astype(np.float64), ones], format="csr")
    X1 = np.empty((X.shape[0] + 1, X.shape[1]))
    X1[:-1] = X
    X1[-1] = 1.0
    return X1


def _block_hessian_part(X1, P, s):
    """The block Hessian's sums over some examples, class-major ``(K d, K d)``, ``d = n_x + 1``.

    ``sum_i s_i (diag(p_i) - p_i p_iᵀ) ⊗ x_i x_iᵀ``: the blocks off the
    diagonal from one symmetric product, ``-V Vᵀ`` with ``V = [sqrt(s) p_k
    x_j]`` (rows class by class; BLAS's SYRK), the K diagonal blocks then
    replaced by Gram matrices weighted by ``s p_k (1 - p_k)``, ``1 - p_k``
    summed from the other classes' probabilities: no cancellation where
    ``p_k`` is near 1 (a separable problem's).
    """
    K = P.shape[0]
    d = X1.shape[0]
    sparse = getattr(X1, "format", None) is not None
    root = np.sqrt(s) * P  # (K, m)
    weighted = np.empty_like(P)  # s p_k (1 - p_k)
    for k in range(K):
        weighted[k] = s * P[k] * (P[:k].sum(axis=0) + P[k + 1:].sum(axis=0))
    if sparse:
        rows = [X1.multiply(root[k][None, :]) for k in range(K)]
        import scipy.sparse

        V = scipy.sparse.vstack(rows, format="csr")
        H = -(V @ V.T).toarray()
        for k in range(K):
            H[k * d:(k + 1) * d, k * d:(k + 1) * d] = (X1.multiply(weighted[k][None, :]) @ X1.T).toarray()
        return H
    V = (root[:, None, :] * X1[None, :, :]).reshape(K * d, -1)
    H = -(V @ V.T)
    for k in range(K):
        Y = X1 * np.sqrt(weighted[k])
        H[k * d:(k + 1) * d, k * d:(k + 1) * d] = Y @ Y.T  # SYRK: half a GEMM's work
    return H


def _block_hessian(X, P, sample_weight):
    """The multinomial Hessian's sums: ``[W flat (class-major); b]`` square, ``K (n_x + 1)``.

    Block ``(k, l)`` is ``[X; 1] diag(s p_k (δ_kl - p_l)) [X; 1]ᵀ``, taken in
    blocks of examples for a dense X (``_block_hessian_part``), then ordered
    as the solver's vector: each class's weights, then the K intercepts.
    """
    K, m = P.shape
    n_x = X.shape[0]
    d = n_x + 1
    s = np.ones(m) if sample_weight is None else sample_weight.astype(np.float64, copy=False)
    if getattr(X, "format", None) is not None:
        H = _block_hessian_part(_with_ones(X), P, s)
    else:
        H = np.zeros((K * d, K * d))
        block = max(1, GRAM_BLOCK_ELEMENTS // (K * d))
        for start in range(0, m, block):
            stop = min(m, start + block)
            H += _block_hessian_part(_with_ones(X[:, start:stop]), P[:, start:stop], s[start:stop])
    order = np.concatenate([np.arange(K * d).reshape(K, d)[:, :n_x].ravel(), np.arange(K) * d + n_x])
    H = H[np.ix_(order, order)]
    upper = np.triu(H)  # the products round unevenly across the diagonal: one triangle, mirrored
    upper += np.triu(upper, 1).T
    return upper


@ieee_quiet
def multinomial_hessian_sums(W, b, X, labels, Y, sample_weight):
    """The multinomial op's sums and its block Hessian's (``newton-cholesky`` with K classes).

    See ``fastlr.kernels`` for the op's contract. ``K (K + 1) / 2`` weighted
    Gram matrices of ``[X; 1]`` (one GEMM each, blocks of examples), so the
    cost grows as ``K^2 n_x^2 m``.
    """
    Z = W @ X
    Z += b.astype(X.dtype)[:, None]
    P = _softmax(Z)
    scaled, scale = _below_two(sample_weight)  # the block Hessian weighs in float64 already
    dZ, loss = _softmax_dz(Z, labels, Y, scaled)
    return (_block_hessian(X, P, sample_weight), _classes_product(dZ, X) * scale,
            dZ.sum(axis=1, dtype=np.float64) * scale, float(loss.sum()) * scale)


@ieee_quiet
def sparse_multinomial_hessian_sums(W, b, X, labels, Y, sample_weight):
    """:func:`multinomial_hessian_sums` on a sparse X (scipy.sparse products, a dense Hessian)."""
    Z = np.ascontiguousarray((X.T @ W.T).T)
    Z += b.astype(Z.dtype)[:, None]
    P = _softmax(Z)
    dZ, loss = _softmax_dz(Z, labels, Y, sample_weight)
    dZ = dZ.astype(np.float64, copy=False)
    dW = np.ascontiguousarray((X @ dZ.T).T)
    return _block_hessian(X, P, sample_weight), dW, dZ.sum(axis=1), float(loss.sum())


def gram_product(X, c, v):
    """The weighted Gram product ``[X; 1] diag(c) [X; 1]ᵀ v``: two BLAS products, X read twice.

    See ``fastlr.kernels`` for the op's contract.
    """
    n_x = X.shape[0]
    t = (v[:n_x].astype(X.dtype) @ X).astype(np.float64)
    t += v[n_x]
    t *= c
    out = np.empty(n_x + 1)
    out[:n_x] = _examples_product(X, t.astype(X.dtype, copy=False))
    out[n_x] = t.sum()
    return out


def sparse_gram_product(X, c, v):
    """The weighted Gram product on a sparse X: two scipy.sparse products, X read twice.

    See ``fastlr.kernels`` for the op's contract.
    """
    n_x = X.shape[0]
    t = np.asarray(X.T @ v[:n_x].astype(X.dtype), dtype=np.float64)
    t += v[n_x]
    t *= c
    out = np.empty(n_x + 1)
    out[:n_x] = X @ t.astype(X.dtype, copy=False)
    out[n_x] = t.sum()
    return out


def _curvature_step(U, v_b, A, c):
    """``U = V X`` (float64 ``(K, m)``) -> ``R = c (p - a (1ᵀp))``, ``p = a ⊙ (U + v_b)``, in place."""
    U += v_b[:, None]
    U *= A
    U -= A * U.sum(axis=0)
    U *= c
    return U


def multinomial_product(V, v_b, X, A, c):
    """The multinomial Hessian-vector product's sums: two BLAS products (GEMMs), X read twice.

    See ``fastlr.kernels`` for the op's contract. The products run in X's
    dtype; the element-wise step in float64.
    """
    R = _curvature_step((V.astype(X.dtype, copy=False) @ X).astype(np.float64), v_b, A, c)
    HV = (R.astype(X.dtype, copy=False) @ X.T).astype(np.float64, copy=False)
    return HV, R.sum(axis=1)


def sparse_multinomial_product(V, v_b, X, A, c):
    """The multinomial Hessian-vector product's sums on a sparse X: two scipy.sparse products.

    See ``fastlr.kernels`` for the op's contract.
    """
    U = np.asarray((X.T @ V.T.astype(X.dtype)).T, dtype=np.float64)
    R = _curvature_step(U, v_b, A, c)
    HV = np.asarray((X @ R.T.astype(X.dtype)).T, dtype=np.float64)
    return HV, R.sum(axis=1)
