"""Sparse X (scipy.sparse): every kernel's gradient over density and shape, the fused pass's
speed-up over ``numpy``'s two scipy.sparse products, and a fit on CSR input.

``TimeSparseGradient``: every kernel, float64, X CSC ``(n_x, m)`` (what
``LogisticRegression`` passes for a CSR X), three shapes at 10 stored entries
per example (densities 1e-2, 1e-3, 1e-4), and the middle shape at density
1e-2 (100 per example); the loops at the smallest only.
``TrackSparseSpeedup``: ``numba-parallel`` over ``numpy`` at 100,000
features x 1,000,000 examples, 10 entries per example, timed side by side
(the ratio the sparse issue set a floor for, >= 1.5). ``TimeSparseFit``:
``LogisticRegression(C=1).fit`` on CSR 200,000 x 10,000 at density 0.001,
fastlr and scikit-learn's lbfgs. All skip on versions of fastlr that refuse
sparse X.
"""

from __future__ import annotations

import functools

import numpy as np

import fastlr

from .common import KERNELS, PYTHON_MAX_STEPS, available, best_seconds

#: ``n_x x m @ density``: 10 stored entries per example, then 100.
SHAPES = ("1000x10000@0.01", "10000x200000@0.001", "100000x1000000@0.0001", "10000x200000@0.01")


@functools.lru_cache(maxsize=2)
def sparse_problem(shape: str, sparse_format: str = "csc"):
    """``(w, b, X, y)``: X with ``density n_x`` entries per example at seeded random features."""
    import scipy.sparse

    size, density = shape.split("@")
    n_x, m = (int(v) for v in size.split("x"))
    per_example = max(1, round(float(density) * n_x))
    rng = np.random.default_rng(0)
    X = scipy.sparse.csc_matrix(
        (rng.standard_normal(m * per_example), rng.integers(0, n_x, m * per_example).astype(np.int32),
         (np.arange(m + 1) * per_example).astype(np.int32)), shape=(n_x, m))
    if sparse_format == "csr":
        X = X.tocsr()
    w = rng.standard_normal(n_x) / np.sqrt(per_example)
    y = (rng.random(m) < 0.5).astype(np.float64)
    return w, 0.1, X, y


def require_sparse() -> None:
    """Skip on a version of fastlr that refuses sparse X."""
    import scipy.sparse

    try:
        fastlr.gradient(np.zeros(2), 0.0, scipy.sparse.csc_matrix(np.eye(2)), np.ones(2), kernel="numpy")
    except TypeError as exc:
        raise NotImplementedError(f"this version of fastlr has no sparse X ({exc})") from None


class TimeSparseGradient:
    params = (KERNELS, SHAPES)
    param_names = ("kernel", "shape")

    def setup(self, kernel, shape):
        require_sparse()
        if not available(kernel):
            raise NotImplementedError(f"kernel {kernel!r} is unavailable here")
        self.args = sparse_problem(shape)
        if kernel in ("python", "partial") and self.args[2].nnz > PYTHON_MAX_STEPS // 10:
            raise NotImplementedError(f"{kernel} at {shape}: too slow to be worth timing")
        fastlr.gradient(*self.args, kernel=kernel)  # compile or load, untimed

    def time_sparse_gradient(self, kernel, shape):
        fastlr.gradient(*self.args, kernel=kernel)


class TrackSparseSpeedup:
    """``numpy``'s time over ``numba-parallel``'s on the same CSC or CSR X, timed here in turn."""

    params = (("csc", "csr"),)
    param_names = ("format",)
    unit = "times faster than numpy"

    def setup(self, sparse_format):
        require_sparse()
        if not available("numba-parallel"):
            raise NotImplementedError("numba-parallel is unavailable here")
        self.args = sparse_problem("100000x1000000@0.0001", sparse_format)
        for kernel in ("numpy", "numba-parallel"):
            fastlr.gradient(*self.args, kernel=kernel)

    def track_numba_parallel_over_numpy(self, sparse_format):
        numpy = best_seconds(lambda: fastlr.gradient(*self.args, kernel="numpy"))
        fused = best_seconds(lambda: fastlr.gradient(*self.args, kernel="numba-parallel"))
        return numpy / fused


class TimeSparseFit:
    """``LogisticRegression(C=1).fit`` on CSR 200,000 samples x 10,000 features, density 0.001."""

    params = (("fastlr", "scikit-learn"),)
    param_names = ("library",)

    def setup(self, library):
        require_sparse()
        from sklearn.linear_model import LogisticRegression as SklearnLogisticRegression

        _, _, X, _ = sparse_problem("10000x200000@0.001")
        self.X = X.T.tocsr()  # (n_samples, n_features)
        rng = np.random.default_rng(1)
        self.y = (self.X @ rng.standard_normal(10_000) > 0).astype(np.int64)
        make = fastlr.LogisticRegression if library == "fastlr" else SklearnLogisticRegression
        self.model = make(C=1.0, max_iter=1000)
        self.model.fit(self.X[:1000], self.y[:1000])  # compile or load, untimed

    def time_fit(self, library):
        self.model.fit(self.X, self.y)
