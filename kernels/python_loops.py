"""Kernel ``python``: the course notes' "Original" version, two explicit loops.

An outer loop over the m examples and, inside it, explicit loops over the n_x
features, on Python floats (float64 arithmetic whatever X's dtype). No NumPy
call runs inside the loops: X, w and y become Python lists once, up front.

For a sparse X the loops run over each example's stored entries instead of
all n_x features: X becomes CSC ``(n_x, m)`` (a CSR X is converted, one
copy of its entries) and its three arrays Python lists.

This is the 1x baseline of the speed table. It is meant for small problems
and for measuring; its running time grows as m * n_x Python bytecodes.
"""

from __future__ import annotations

import numpy as np

from ._stable import sigmoid_and_loss, sigmoid_slope, softmax_and_loss

__all__ = ["binary_hessian_sums", "binary_sums", "gram_product", "multinomial_product",
           "multinomial_sums", "sparse_binary_sums", "sparse_gram_product",
           "sparse_multinomial_product", "sparse_multinomial_sums"]


def binary_sums(w, b, X, y, sample_weight):
    """Sums of the binary op with explicit loops over examples and features.

    See ``fastlr.kernels`` for the op's contract.
    """
    n_x, m = X.shape
    w_list = w.tolist()
    examples = X.T.tolist()  # one list of n_x floats per example
    labels = y.tolist()
    weights = None if sample_weight is None else sample_weight.tolist()

    dw = [0.0] * n_x
    db = 0.0
    cost = 0.0
    for i in range(m):
        x_i = examples[i]
        z = b
        for j in range(n_x):
            z += w_list[j] * x_i[j]
        a, loss = sigmoid_and_loss(z, labels[i])
        dz = a - labels[i]
        if weights is not None:
            dz *= weights[i]
            loss *= weights[i]
        for j in range(n_x):
            dw[j] += x_i[j] * dz
        db += dz
        cost += loss
    return np.array(dw, dtype=np.float64), db, cost


def binary_hessian_sums(w, b, X, y, sample_weight):
    """The binary op's sums and the Hessian's, explicit loops over examples and pairs of features.

    See ``fastlr.kernels`` for the op's contract: per example, ``h = s a (1 -
    a)`` and ``h x_j x_k`` added to the upper triangle of ``[X; 1]``'s
    weighted Gram matrix, mirrored at the end.
    """
    n_x, m = X.shape
    w_list = w.tolist()
    examples = X.T.tolist()
    labels = y.tolist()
    weights = None if sample_weight is None else sample_weight.tolist()

    H = [[0.0] * (n_x + 1) for _ in range(n_x + 1)]
    dw = [0.0] * n_x
    db = 0.0
    cost = 0.0
    for i in range(m):
        x_i = examples[i] + [1.0]  # the intercept's 1 last
        z = b
        for j in range(n_x):
            z += w_list[j] * x_i[j]
        a, loss = sigmoid_and_loss(z, labels[i])
        dz = a - labels[i]
        h = sigmoid_slope(z)
        if weights is not None:
            dz *= weights[i]
            loss *= weights[i]
            h *= weights[i]
        for j in range(n_x + 1):
            row = H[j]
            hx_j = h * x_i[j]
            for k in range(j, n_x + 1):
                row[k] += hx_j * x_i[k]
        for j in range(n_x):
            dw[j] += x_i[j] * dz
        db += dz
        cost += loss
    for j in range(n_x + 1):
        for k in range(j):
            H[j][k] = H[k][j]
    return np.array(H, dtype=np.float64), np.array(dw, dtype=np.float64), db, cost


def _targets(label_list, soft, n_classes, i):
    """Example ``i``'s K targets: one-hot of its label, or its row of probabilities."""
    if soft is None:
        y_i = [0.0] * n_classes
        y_i[label_list[i]] = 1.0
        return y_i
    return soft[i]


def multinomial_sums(W, b, X, labels, Y, sample_weight):
    """Multinomial sums with explicit loops over examples, classes and features.

    See ``fastlr.kernels`` for the op's contract. Per example: the K logits,
    the largest, the other exponentials' sum ``r``, ``loss = sum_k y_k (zmax
    - z_k) + (sum_k y_k) log1p(r)`` and ``dz_k = a_k - y_k``.
    """
    n_classes, n_x = W.shape
    m = X.shape[1]
    W_rows = W.tolist()
    b_list = b.tolist()
    examples = X.T.tolist()
    label_list = None if labels is None else labels.tolist()
    soft = None if Y is None else Y.T.tolist()  # one list of K probabilities per example
    weights = None if sample_weight is None else sample_weight.tolist()

    dW = [[0.0] * n_x for _ in range(n_classes)]
    db = [0.0] * n_classes
    cost = 0.0
    for i in range(m):
        x_i = examples[i]
        z = []
        for c in range(n_classes):
            z_c = 0.0
            w_c = W_rows[c]
            for j in range(n_x):
                z_c += w_c[j] * x_i[j]
            z.append(z_c + b_list[c])
        y_i = _targets(label_list, soft, n_classes, i)
        a, loss = softmax_and_loss(z, y_i)
        s_i = 1.0 if weights is None else weights[i]
        for c in range(n_classes):
            dz = (a[c] - y_i[c]) * s_i
            row = dW[c]
            for j in range(n_x):
                row[j] += x_i[j] * dz
            db[c] += dz
        cost += loss * s_i
    return np.array(dW, dtype=np.float64).reshape(n_classes, n_x), np.array(db), cost


def _stored_entries(X):
    """A sparse X's ``(values, features, starts)`` lists, example by example (CSC ``(n_x, m)``)."""
    columns = X.tocsc()
    return columns.data.tolist(), columns.indices.tolist(), columns.indptr.tolist()


def sparse_binary_sums(w, b, X, y, sample_weight):
    """Sums of the binary op over a sparse X's stored entries, one explicit loop per example.

    See ``fastlr.kernels`` for the op's contract.
    """
    values, features, starts = _stored_entries(X)
    w_list = w.tolist()
    labels = y.tolist()
    weights = None if sample_weight is None else sample_weight.tolist()
    dw = [0.0] * X.shape[0]
    db = 0.0
    cost = 0.0
    for i in range(X.shape[1]):
        first, last = starts[i], starts[i + 1]
        z = b
        for p in range(first, last):
            z += w_list[features[p]] * values[p]
        a, loss = sigmoid_and_loss(z, labels[i])
        dz = a - labels[i]
        if weights is not None:
            dz *= weights[i]
            loss *= weights[i]
        for p in range(first, last):
            dw[features[p]] += values[p] * dz
        db += dz
        cost += loss
    return np.array(dw, dtype=np.float64), db, cost


def sparse_multinomial_sums(W, b, X, labels, Y, sample_weight):
    """Multinomial sums over a sparse X's stored entries, explicit loops over examples, classes, entries.

    See ``fastlr.kernels`` for the op's contract.
    """
    values, features, starts = _stored_entries(X)
    n_classes, n_x = W.shape
    W_rows = W.tolist()
    b_list = b.tolist()
    label_list = None if labels is None else labels.tolist()
    soft = None if Y is None else Y.T.tolist()
    weights = None if sample_weight is None else sample_weight.tolist()
    dW = [[0.0] * n_x for _ in range(n_classes)]
    db = [0.0] * n_classes
    cost = 0.0
    for i in range(X.shape[1]):
        first, last = starts[i], starts[i + 1]
        z = []
        for c in range(n_classes):
            z_c = 0.0
            w_c = W_rows[c]
            for p in range(first, last):
                z_c += w_c[features[p]] * values[p]
            z.append(z_c + b_list[c])
        y_i = _targets(label_list, soft, n_classes, i)
        a, loss = softmax_and_loss(z, y_i)
        s_i = 1.0 if weights is None else weights[i]
        for c in range(n_classes):
            dz = (a[c] - y_i[c]) * s_i
            row = dW[c]
            for p in range(first, last):
                row[features[p]] += values[p] * dz
            db[c] += dz
        cost += loss * s_i
    return np.array(dW, dtype=np.float64).reshape(n_classes, n_x), np.array(db), cost


def gram_product(X, c, v):
    """The weighted Gram product ``[X; 1] diag(c) [X; 1]ᵀ v``, two explicit loops per example.

    See ``fastlr.kernels`` for the op's contract.
    """
    n_x, m = X.shape
    rows = X.tolist()
    v_list = v.tolist()
    weights = c.tolist()
    out = [0.0] * (n_x + 1)
    for i in range(m):
        z = v_list[n_x]
        for j in range(n_x):
            z += v_list[j] * rows[j][i]
        t = weights[i] * z
        for j in range(n_x):
            out[j] += t * rows[j][i]
        out[n_x] += t
    return np.array(out, dtype=np.float64)


def sparse_gram_product(X, c, v):
    """The weighted Gram product over a sparse X's stored entries, one explicit loop per example.

    See ``fastlr.kernels`` for the op's contract.
    """
    values, features, starts = _stored_entries(X)
    n_x = X.shape[0]
    v_list = v.tolist()
    weights = c.tolist()
    out = [0.0] * (n_x + 1)
    for i in range(X.shape[1]):
        first, last = starts[i], starts[i + 1]
        z = v_list[n_x]
        for p in range(first, last):
            z += v_list[features[p]] * values[p]
        t = weights[i] * z
        for p in range(first, last):
            out[features[p]] += t * values[p]
        out[n_x] += t
    return np.array(out, dtype=np.float64)


def _curvature_step(u, a, c_i):
    """One example's ``r = c (p - a (1ᵀp))``, ``p = a ⊙ u``, as a list."""
    p = [a_k * u_k for a_k, u_k in zip(a, u)]
    dot = 0.0
    for p_k in p:
        dot += p_k
    return [c_i * (p_k - a_k * dot) for p_k, a_k in zip(p, a)]


def multinomial_product(V, v_b, X, A, c):
    """The multinomial Hessian-vector product's sums, explicit loops over examples, classes and
    features.

    See ``fastlr.kernels`` for the op's contract.
    """
    n_classes, n_x = V.shape
    V_rows = V.tolist()
    v_b_list = v_b.tolist()
    examples = X.T.tolist()
    probabilities = A.T.tolist()
    weights = c.tolist()
    HV = [[0.0] * n_x for _ in range(n_classes)]
    hb = [0.0] * n_classes
    for x_i, a, c_i in zip(examples, probabilities, weights):
        u = []
        for k in range(n_classes):
            u_k = v_b_list[k]
            v_k = V_rows[k]
            for j in range(n_x):
                u_k += v_k[j] * x_i[j]
            u.append(u_k)
        r = _curvature_step(u, a, c_i)
        for k in range(n_classes):
            row = HV[k]
            for j in range(n_x):
                row[j] += r[k] * x_i[j]
            hb[k] += r[k]
    return np.array(HV, dtype=np.float64).reshape(n_classes, n_x), np.array(hb, dtype=np.float64)


def sparse_multinomial_product(V, v_b, X, A, c):
    """The multinomial Hessian-vector product's sums over a sparse X's stored entries, one
    explicit loop per example.

    See ``fastlr.kernels`` for the op's contract.
    """
    n_classes, n_x = V.shape
    values, features, starts = _stored_entries(X)
    V_rows = V.tolist()
    v_b_list = v_b.tolist()
    probabilities = A.T.tolist()
    weights = c.tolist()
    HV = [[0.0] * n_x for _ in range(n_classes)]
    hb = [0.0] * n_classes
    for i, (a, c_i) in enumerate(zip(probabilities, weights)):
        first, last = starts[i], starts[i + 1]
        u = []
        for k in range(n_classes):
            u_k = v_b_list[k]
            v_k = V_rows[k]
            for p in range(first, last):
                u_k += v_k[features[p]] * values[p]
            u.append(u_k)
        r = _curvature_step(u, a, c_i)
        for k in range(n_classes):
            row = HV[k]
            for p in range(first, last):
                row[features[p]] += r[k] * values[p]
            hb[k] += r[k]
    return np.array(HV, dtype=np.float64).reshape(n_classes, n_x), np.array(hb, dtype=np.float64)
