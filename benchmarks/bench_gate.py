"""The regression gate's op subset (``.ci/asv-gate``): every op, one size each, and one fit.

``TimeOpGate``: each op a kernel offers, for ``numpy``, ``numba`` and
``numba-parallel``, float64, X F-ordered (examples contiguous: what
``LogisticRegression`` passes), at one size where the op's own pass over X
is most of the time (milliseconds: above the call's fixed costs, short
enough for the gate to time twice in a few minutes):

- ``binary``: ``fastlr.gradient``, 100 x 100,000;
- ``multinomial``: ``fastlr.softmax_gradient``, 10 classes, 50 x 50,000;
- ``sparse-binary`` and ``sparse-multinomial`` (10 classes): the same on a
  CSC 10,000 x 200,000 X of density 0.001 (2 million stored);
- ``binary-hessian``: the kernel's Hessian op (``solver="newton-cholesky"``'s
  pass: cost, gradient and the ``(n_x + 1)^2`` Hessian), 50 x 50,000;
- ``gram-product``: the kernel's Gram product op (``solver="newton-cg"``'s
  Hessian-vector product), 100 x 100,000;
- ``multinomial-product``: the kernel's multinomial product op (the same
  with K classes), 10 classes, 50 x 50,000.

``TimeFitGate``: ``fastlr.LogisticRegression().fit`` (lbfgs, ``auto``
kernel) of 50,000 x 100 for a fixed 30 iterations (``tol=0``), so that the
work is the same at every commit.

An op a kernel (or a version of fastlr) lacks is skipped, never failed.
``TimeGradientGate`` (``bench_gradient``) adds the binary op at three sizes,
the smallest where the call's fixed costs dominate.
"""

from __future__ import annotations

import warnings

import numpy as np

import fastlr

from .bench_newton import product_direction
from .bench_softmax import softmax_problem
from .bench_sparse import require_sparse, sparse_problem
from .common import available, problem, require

GATE_KERNELS = ("numpy", "numba", "numba-parallel")
OPS = ("binary", "multinomial", "sparse-binary", "sparse-multinomial", "binary-hessian", "gram-product",
       "multinomial-product")
_SPARSE = "10000x200000@0.001"
_CLASSES = 10


def _sparse_multinomial_problem():
    _, _, X, _ = sparse_problem(_SPARSE)
    rng = np.random.default_rng(_CLASSES)
    W = rng.standard_normal((_CLASSES, X.shape[0])) / np.sqrt(10.0)
    b = 0.1 * rng.standard_normal(_CLASSES)
    labels = rng.integers(0, _CLASSES, X.shape[1])
    return W, b, X, labels


def _kernel_op(kernel: str, field: str):
    op = getattr(fastlr.get_kernel(kernel), field, None)
    if op is None:
        raise NotImplementedError(f"kernel {kernel!r} has no {field} op in this version of fastlr")
    return op


def _call(op: str, kernel: str):
    """A call of ``op`` by ``kernel`` on its gate problem, without arguments."""
    if op == "binary":
        args = problem(100, 100_000, "float64", "F")
        return lambda: fastlr.gradient(*args, kernel=kernel)
    if op == "multinomial":
        require("softmax_gradient")
        args = softmax_problem(_CLASSES, 50, 50_000)
        return lambda: fastlr.softmax_gradient(*args, kernel=kernel)
    if op == "sparse-binary":
        require_sparse()
        args = sparse_problem(_SPARSE)
        return lambda: fastlr.gradient(*args, kernel=kernel)
    if op == "sparse-multinomial":
        require_sparse()
        require("softmax_gradient")
        args = _sparse_multinomial_problem()
        return lambda: fastlr.softmax_gradient(*args, kernel=kernel)
    if op == "binary-hessian":
        hessian = _kernel_op(kernel, "binary_hessian")
        w, b, X, y = problem(50, 50_000, "float64", "F")
        return lambda: hessian(w, b, X, y, None)
    if op == "multinomial-product":
        product = _kernel_op(kernel, "multinomial_product")
        _, _, X, _ = problem(50, 50_000, "float64", "F")
        V, v_b, A, c = product_direction(50, 50_000, _CLASSES)
        return lambda: product(V, v_b, X, A, c)
    product = _kernel_op(kernel, "gram_product")
    _, _, X, _ = problem(100, 100_000, "float64", "F")
    rng = np.random.default_rng(0)
    c, v = rng.random(X.shape[1]), rng.standard_normal(X.shape[0] + 1)
    return lambda: product(X, c, v)


class TimeOpGate:
    params = (OPS, GATE_KERNELS)
    param_names = ("op", "kernel")

    def setup(self, op, kernel):
        if not available(kernel):
            raise NotImplementedError(f"kernel {kernel!r} is unavailable here")
        self.call = _call(op, kernel)
        self.call()  # numba compiles (or loads its cache) here, untimed

    def time_op(self, op, kernel):
        self.call()


class TimeFitGate:
    def setup(self):
        X, y = problem(100, 50_000, "float64", "F")[2:]
        self.X, self.y = X.T, y  # (samples, features), C-ordered: the estimator's usual input
        self.model = fastlr.LogisticRegression(tol=0.0, max_iter=30)
        self.time_fit()  # compile or load numba's cache

    def time_fit(self):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # max_iter reached: by design
            self.model.fit(self.X, self.y)
