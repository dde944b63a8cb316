"""Time per gradient, every kernel, across m and n_x (the course notes' table, tracked).

``TimeGradient``: every kernel, float64, X C-ordered (features contiguous),
m from 1e3 to 1e6, n_x from 10 to 1,000. ``TimeGradientCompiled``: the
compiled kernels and ``numpy`` in float32 and float64, both layouts of X, at
a few sizes. ``TimeGradientThreads``: ``numba-parallel`` on one thread and on
all of them.
"""

from __future__ import annotations

import fastlr

from .common import (
    COMPILED,
    KERNELS,
    M_GRID,
    N_X_GRID,
    problem,
    require,
    skip_if_pointless,
    warm_up,
)


class TimeGradient:
    params = (KERNELS, M_GRID, N_X_GRID)
    param_names = ("kernel", "m", "n_x")

    def setup(self, kernel, m, n_x):
        skip_if_pointless(kernel, n_x, m)
        self.args = problem(n_x, m)
        warm_up(kernel, *self.args)

    def time_gradient(self, kernel, m, n_x):
        fastlr.gradient(*self.args, kernel=kernel)


class TimeGradientCompiled:
    params = (("numpy", *COMPILED), ("10x100000", "100x100000", "1000x100000"),
              ("float64", "float32"), ("C", "F"))
    param_names = ("kernel", "size", "dtype", "order")

    def setup(self, kernel, size, dtype, order):
        n_x, m = (int(v) for v in size.split("x"))
        skip_if_pointless(kernel, n_x, m)
        self.args = problem(n_x, m, dtype, order)
        warm_up(kernel, *self.args)

    def time_gradient(self, kernel, size, dtype, order):
        fastlr.gradient(*self.args, kernel=kernel)


class TimeGradientThreads:
    params = ((1, 0), ("C", "F"))
    param_names = ("threads", "order")  # 0: every thread

    def setup(self, threads, order):
        skip_if_pointless("numba-parallel", 1_000, 100_000)
        require("set_num_threads")(threads or None)
        self.args = problem(1_000, 100_000, "float64", order)
        warm_up("numba-parallel", *self.args)

    def teardown(self, threads, order):
        require("set_num_threads")(None)

    def time_gradient(self, threads, order):
        fastlr.gradient(*self.args, kernel="numba-parallel")


class TimeGradientGate:
    """The regression gate's subset (``.ci/asv-gate``): a medium and a large size.

    ``numpy``, ``numba`` and the fastest kernel, float64, X F-ordered (what
    ``LogisticRegression`` passes). Kept small so that the gate, which
    times it twice in full mode, stays within a few minutes. No call-overhead
    size: at 10 x 1,000 (60-180 us a call) a shared machine moved numpy's
    time by 1.42x and 1.65x in two comparisons of the same package code,
    which the gate's confirmation cannot tell from a regression;
    ``TimeGradient`` tracks that size on the dashboard.
    """

    params = (("numpy", "numba", "numba-parallel"), ("100x10000", "1000x100000"))
    param_names = ("kernel", "size")

    def setup(self, kernel, size):
        n_x, m = (int(v) for v in size.split("x"))
        skip_if_pointless(kernel, n_x, m)
        self.args = problem(n_x, m, "float64", "F")
        warm_up(kernel, *self.args)

    def time_gradient(self, kernel, size):
        fastlr.gradient(*self.args, kernel=kernel)
