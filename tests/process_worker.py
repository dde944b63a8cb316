"""What the process-safety tests run in a fresh interpreter: ``python process_worker.py OP...``.

Each OP is ``what:kernel:layout:dtype``:

- ``what``: ``gradient`` (one ``fastlr.gradient``), ``train`` (gradient
  descent, the compiled loop), ``estimator`` (``LogisticRegression(solver="gd")``),
  ``softmax`` (one ``fastlr.softmax_gradient`` of 4 classes); and the same
  three on a sparse X, ``sparse-gradient``, ``sparse-softmax``,
  ``sparse-train`` (L-BFGS), whose layout is ``csc`` or ``csr``;
- ``kernel``: a name from ``fastlr.KERNELS``;
- ``layout``: ``C``, ``F`` or ``strided`` (a column slice of a wider array);
- ``dtype``: ``float32`` or ``float64``.

Every gradient and every training run is checked against the ``numpy``
kernel's; the process exits 1 on a mismatch, and a crash shows as a
negative exit status (the signal).
"""

from __future__ import annotations

import faulthandler
import sys
import warnings

import numpy as np

faulthandler.enable()


def problem(layout: str, dtype: str, n_x: int = 7, m: int = 3001):
    rng = np.random.default_rng(7)
    if layout == "strided":
        X = rng.standard_normal((n_x, 3 * m)).astype(dtype)[:, ::3]
    else:
        X = np.asarray(rng.standard_normal((n_x, m)), order=layout).astype(dtype)
    y = (rng.random(m) < 0.4).astype(dtype)
    return X, y


def sparse_problem(layout: str, dtype: str, n_x: int = 40, m: int = 20001):
    import scipy.sparse as sp

    rng = np.random.default_rng(7)
    dense = rng.standard_normal((n_x, m)) * (rng.random((n_x, m)) < 0.1)
    y = (rng.random(m) < 0.4).astype(dtype)
    return sp.csc_matrix(dense.astype(dtype)).asformat(layout), y


def l1_fits(X, y, kernel: str) -> None:
    """Binary and 3-class L1 fits (the inner solves on the rows, dense or CSR): ``kernel`` as numpy."""
    import fastlr

    first = np.asarray(X[:1].todense() if hasattr(X, "todense") else X[:1], dtype=np.float64).ravel()
    labels = (first > 0).astype(np.int64) + (y > 0)  # three classes, with signal
    for Y, classes in ((y, None), (labels, 3)):
        kwargs = dict(solver="prox-newton", alpha=0.01, l1_ratio=1.0, max_iter=3, tol=0.0,
                      n_classes=classes)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            got = fastlr.train(X, Y, kernel=kernel, **kwargs)
            want = fastlr.train(X, Y, kernel="numpy", **kwargs)
        np.testing.assert_allclose(got.costs, want.costs, rtol=1e-8)
        np.testing.assert_allclose(got.w, want.w, rtol=1e-6, atol=1e-10)


def run(op: str) -> None:
    import fastlr

    what, kernel, layout, dtype = op.split(":")
    if what.startswith("sparse-"):
        what = what[len("sparse-"):]
        X, y = sparse_problem(layout, dtype)
        if what == "train":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                got = fastlr.train(X, y, kernel=kernel, solver="lbfgs", max_iter=5)
                want = fastlr.train(X.toarray(), y, kernel="numpy", solver="lbfgs", max_iter=5)
            rtol = 1e-8 if dtype == "float64" else 1e-3
            np.testing.assert_allclose(got.costs, want.costs, rtol=rtol)
            return
        if what == "l1":
            l1_fits(X, y, kernel)
            return
    else:
        X, y = problem(layout, dtype)
    rtol = 1e-10 if dtype == "float64" else 1e-4
    w = np.full(X.shape[0], 0.1, dtype=dtype)
    if what == "gradient":
        got = fastlr.gradient(w, 0.2, X, y, kernel=kernel)
        want = fastlr.gradient(w, 0.2, X, y, kernel="numpy")
        np.testing.assert_allclose(got[0], want[0], rtol=rtol, atol=rtol)
        np.testing.assert_allclose(got[1:], want[1:], rtol=rtol, atol=rtol)
    elif what == "softmax":
        W = np.linspace(-0.5, 0.5, 4 * X.shape[0]).reshape(4, -1).astype(dtype)
        labels = np.arange(X.shape[1]) % 4
        got = fastlr.softmax_gradient(W, [0.1, 0, -0.1, 0.2], X, labels, kernel=kernel)
        want = fastlr.softmax_gradient(W, [0.1, 0, -0.1, 0.2], X, labels, kernel="numpy")
        for g, e in zip(got, want):
            np.testing.assert_allclose(g, e, rtol=rtol, atol=rtol)
    elif what == "train":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            got = fastlr.train(X, y, kernel=kernel, max_iter=5, learning_rate=0.5)
            want = fastlr.train(X, y, kernel="numpy", max_iter=5, learning_rate=0.5)
        np.testing.assert_allclose(got.costs, want.costs, rtol=rtol)
    elif what == "newton":  # the Hessian pass, one thread or parallel by the kernel's name
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            got = fastlr.train(X, y, kernel=kernel, solver="newton-cholesky", max_iter=3, alpha=0.01)
            want = fastlr.train(X, y, kernel="numpy", solver="newton-cholesky", max_iter=3, alpha=0.01)
        np.testing.assert_allclose(got.costs, want.costs, rtol=rtol)
        np.testing.assert_allclose(got.w, want.w, rtol=1e-8 if dtype == "float64" else 1e-3)
    elif what == "l1":
        l1_fits(X, y, kernel)
    elif what == "estimator":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = fastlr.LogisticRegression(solver="gd", kernel=kernel, max_iter=5).fit(X.T, y)
        assert model.coef_.shape == (1, X.shape[0])
    else:
        raise SystemExit(f"unknown op {op!r}")


if __name__ == "__main__":
    for op in sys.argv[1:]:
        run(op)
    print("ok", flush=True)
