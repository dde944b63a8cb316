"""One Newton step of every kernel: the fused Hessian pass, and the Hessian-vector product,
tracked across sizes.

``TimeNewtonStep``: ``fastlr.train(..., solver="newton-cholesky",
max_iter=1)`` on a seeded problem, X ``(n_x, m)`` F-ordered (examples
contiguous, as ``LogisticRegression`` passes it), float64: one pass of the
kernel's Hessian op (cost, gradient and ``(n_x + 1)^2`` Hessian), one
Cholesky, and the line search's evaluations (usually one). The sizes are
breast cancer's and digits' shapes and two synthetic ones. The teaching
tiers are skipped past a million Hessian multiply-adds; versions of fastlr
without the solver are skipped.

``TimeGramProduct``: one product of every kernel's Gram product op,
``[X; 1] diag(c) [X; 1]ᵀ v`` (``solver="newton-cg"``'s Hessian-vector
product), on the same problems in both layouts; versions of fastlr without
the op are skipped.

``TimeMultinomialProduct``: one product of every kernel's multinomial
product op (the K-class Hessian times a direction, ``solver="newton-cg"``
with K classes), 10 classes, at digits' shape and two tall ones, both
layouts; the teaching tiers past a million multiply-adds, and versions of
fastlr without the op, are skipped.
"""

from __future__ import annotations

import warnings

import numpy as np

import fastlr

from .common import KERNELS, PYTHON_MAX_STEPS, problem, skip_if_pointless

SIZES = ("30x569", "64x1797", "20x20000", "200x20000")


def _newton_step(kernel, w, b, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # max_iter=1: a ConvergenceWarning, by design
        return fastlr.train(X, y, kernel=kernel, solver="newton-cholesky", max_iter=1, alpha=1e-3)


class TimeNewtonStep:
    params = (KERNELS, SIZES)
    param_names = ("kernel", "size")

    def setup(self, kernel, size):
        n_x, m = (int(v) for v in size.split("x"))
        skip_if_pointless(kernel, n_x, m)
        if kernel in ("python", "partial") and n_x * n_x * m > PYTHON_MAX_STEPS:
            raise NotImplementedError(f"{kernel}'s Hessian at {n_x} x {m}: too slow to be worth timing")
        self.args = problem(n_x, m, "float64", "F")
        try:
            _newton_step(kernel, *self.args)  # numba compiles (or loads its cache) here
        except ValueError as exc:  # a version of fastlr without the solver
            raise NotImplementedError(str(exc)) from None

    def time_newton_step(self, kernel, size):
        _newton_step(kernel, *self.args)


class TimeGramProduct:
    params = (KERNELS, SIZES, ("C", "F"))
    param_names = ("kernel", "size", "order")

    def setup(self, kernel, size, order):
        n_x, m = (int(v) for v in size.split("x"))
        skip_if_pointless(kernel, n_x, m)
        product = getattr(fastlr.get_kernel(kernel), "gram_product", None)
        if product is None:
            raise NotImplementedError("this version of fastlr has no Gram product op")
        _, _, self.X, _ = problem(n_x, m, "float64", order)
        rng = np.random.default_rng(0)
        self.c, self.v = rng.random(m), rng.standard_normal(n_x + 1)
        self.product = product
        product(self.X, self.c, self.v)  # numba compiles (or loads its cache) here

    def time_gram_product(self, kernel, size, order):
        self.product(self.X, self.c, self.v)


PRODUCT_CLASSES = 10
PRODUCT_SIZES = ("64x1437", "50x50000", "200x20000")


class TimeMultinomialProduct:
    params = (KERNELS, PRODUCT_SIZES, ("C", "F"))
    param_names = ("kernel", "size", "order")

    def setup(self, kernel, size, order):
        n_x, m = (int(v) for v in size.split("x"))
        skip_if_pointless(kernel, n_x * PRODUCT_CLASSES, m)
        product = getattr(fastlr.get_kernel(kernel), "multinomial_product", None)
        if product is None:
            raise NotImplementedError("this version of fastlr has no multinomial product op")
        _, _, self.X, _ = problem(n_x, m, "float64", order)
        self.args = product_direction(n_x, m, PRODUCT_CLASSES)
        self.product = product
        self.time_multinomial_product(kernel, size, order)  # numba compiles (or loads its cache)

    def time_multinomial_product(self, kernel, size, order):
        V, v_b, A, c = self.args
        self.product(V, v_b, self.X, A, c)


def product_direction(n_x, m, n_classes):
    """``(V, v_b, A, c)`` of a multinomial product, seeded: a direction, softmax probabilities,
    weights ``1 / m``."""
    rng = np.random.default_rng(n_classes)
    Z = rng.standard_normal((n_classes, m))
    A = np.exp(Z - Z.max(axis=0))
    A /= A.sum(axis=0)
    return (rng.standard_normal((n_classes, n_x)), rng.standard_normal(n_classes), A,
            np.full(m, 1.0 / m))
