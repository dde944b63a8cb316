"""The multinomial (softmax) gradient of K classes, every kernel, and its speed-up over ``numpy``.

``TimeSoftmaxGradient``: every kernel, float64, X F-ordered (what
``LogisticRegression`` passes), K in (3, 10), three sizes (the loops at the smallest). ``TrackSoftmaxSpeedup``:
``numba-parallel`` over ``numpy``'s two GEMMs, timed side by side in one
process (the ratio the multinomial issue set a floor for, >= 1.3 at K = 10,
100 x 300,000). ``TimeMultinomialFit``: ``LogisticRegression.fit`` on five
classes. All skip on versions of fastlr without ``softmax_gradient``.
"""

from __future__ import annotations

import functools

import numpy as np

import fastlr

from .common import KERNELS, PYTHON_MAX_STEPS, available, best_seconds, problem, require

CLASSES = (3, 10)


@functools.lru_cache(maxsize=4)
def softmax_problem(n_classes: int, n_x: int, m: int, order: str = "F"):
    """``(W, b, X, labels)``: X from :func:`common.problem`, seeded weights, labels with signal."""
    _, _, X, _ = problem(n_x, m, "float64", order)
    rng = np.random.default_rng(n_classes)
    W = rng.standard_normal((n_classes, n_x)) / np.sqrt(n_x)
    b = 0.1 * rng.standard_normal(n_classes)
    labels = (W @ X).argmax(axis=0)
    return W, b, X, labels


def _skip(kernel: str, n_classes: int, n_x: int, m: int) -> None:
    require("softmax_gradient")
    if not available(kernel):
        raise NotImplementedError(f"kernel {kernel!r} is unavailable here")
    if kernel in ("python", "partial") and n_classes * n_x * m > PYTHON_MAX_STEPS:
        raise NotImplementedError(f"{kernel} at K={n_classes}, {n_x} x {m}: too slow to be worth timing")


class TimeSoftmaxGradient:
    params = (KERNELS, CLASSES, ("10x1000", "100x10000", "100x300000"))
    param_names = ("kernel", "classes", "size")

    def setup(self, kernel, classes, size):
        n_x, m = (int(v) for v in size.split("x"))
        _skip(kernel, classes, n_x, m)
        self.args = softmax_problem(classes, n_x, m)
        fastlr.softmax_gradient(*self.args, kernel=kernel)  # compile or load, untimed

    def time_softmax_gradient(self, kernel, classes, size):
        fastlr.softmax_gradient(*self.args, kernel=kernel)


class TrackSoftmaxSpeedup:
    """``numpy``'s time over ``numba-parallel``'s, both timed here, one after the other."""

    params = (CLASSES,)
    param_names = ("classes",)
    unit = "times faster than numpy"

    def setup(self, classes):
        _skip("numba-parallel", classes, 100, 300_000)
        self.args = softmax_problem(classes, 100, 300_000)
        for kernel in ("numpy", "numba-parallel"):
            fastlr.softmax_gradient(*self.args, kernel=kernel)

    def track_numba_parallel_over_numpy(self, classes):
        numpy = best_seconds(lambda: fastlr.softmax_gradient(*self.args, kernel="numpy"))
        fused = best_seconds(lambda: fastlr.softmax_gradient(*self.args, kernel="numba-parallel"))
        return numpy / fused


class TimeMultinomialFit:
    """``LogisticRegression(C=1).fit`` on 5 classes, 20,000 samples x 100 features."""

    params = (("numpy", "auto"),)
    param_names = ("kernel",)

    def setup(self, kernel):
        require("softmax_gradient")
        estimator = require("LogisticRegression")
        W, b, X, labels = softmax_problem(5, 100, 20_000)
        self.X, self.y = X.T, labels
        self.model = estimator(kernel=kernel, max_iter=1000)
        self.model.fit(self.X[:100], self.y[:100])  # compile or load, untimed

    def time_fit(self, kernel):
        self.model.fit(self.X, self.y)
