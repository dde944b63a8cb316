"""Training: time for a fixed number of iterations, and peak memory on a large X.

``tol=0`` and a fixed learning rate, so every kernel runs exactly
``ITERATIONS`` gradients and nothing else (no power iteration for the
automatic step). ``peakmem_train`` trains on an 800 MB X: the process's peak
includes X itself once; a hidden copy of X would add its size again.
"""

from __future__ import annotations

import warnings

import fastlr

from .common import KERNELS, problem, skip_if_pointless

ITERATIONS = 50
#: The pure-Python kernels train only where 50 iterations stay under a second or so.
PYTHON_MAX_TRAIN_STEPS = 5_000_000


def _train(kernel, X, y, iterations):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning: max_iter is reached on purpose
        return fastlr.train(X, y, kernel=kernel, learning_rate=0.5, max_iter=iterations, tol=0.0)


class TimeTrain:
    params = (KERNELS, ("10x10000", "100x100000"), ("C", "F"))
    param_names = ("kernel", "size", "order")

    def setup(self, kernel, size, order):
        n_x, m = (int(v) for v in size.split("x"))
        skip_if_pointless(kernel, n_x, m)
        if kernel in ("python", "partial") and n_x * m * ITERATIONS > PYTHON_MAX_TRAIN_STEPS:
            raise NotImplementedError(f"{kernel} training at {size}: too slow to be worth timing")
        _, _, self.X, self.y = problem(n_x, m, "float64", order)
        _train(kernel, self.X, self.y, 2)  # compiles the training loop

    def time_train(self, kernel, size, order):
        _train(kernel, self.X, self.y, ITERATIONS)


class PeakMemTrain:
    params = (("numpy", "numba", "numba-parallel"),)
    param_names = ("kernel",)

    def setup(self, kernel):
        skip_if_pointless(kernel, 100, 1_000_000)
        _, _, self.X, self.y = problem(100, 1_000_000, "float64", "F")
        _train(kernel, self.X[:, :1000], self.y[:1000], 2)

    def peakmem_train(self, kernel):
        _train(kernel, self.X, self.y, 3)
