"""The speed table as tracked ratios, and the share of the memory-read limit.

Each ``track_`` times the kernel and its reference side by side in the same
process, and reports kernel time / reference time: a *fraction of* the
reference's time, so that asv's "higher is worse" flags a kernel getting
slower. 0.002 of python's time is a 500x speed-up.

- ``track_fraction_of_numpy``: every kernel against ``numpy``;
- ``track_fraction_of_python``: against the ``python`` loops, at the sizes
  where those run (the notes' ~300x is a fraction of about 0.003);
- ``track_speedup``: the same ratios the other way up, ``reference time /
  kernel time`` ("times faster"), over ``python`` and over ``numpy``, with
  ``n_x`` and ``m`` as named parameters: the course notes' table, read
  directly on the dashboard (choose ``over``, then ``n_x`` and ``m``). asv
  takes a higher value as worse, so its regression marks read this one
  upside down; the gate (``.ci/asv-gate``) times gradients, not these;
- ``track_multiple_of_read``: time per gradient over the time to read X once
  (``fastlr._memory_read``): 1.0 would be at the memory-read limit, NumPy's
  two matrix-vector products are at about 2 and more; ``TrackReadLimitTall``
  the same at 800 MB of X with 10 to 100 features, where the compiled pass's
  arithmetic per example keeps it furthest from the limit.
"""

from __future__ import annotations

import time

import fastlr

from .common import KERNELS, M_GRID, N_X_GRID, best_seconds, problem, skip_if_pointless, warm_up

SIZES = ("10x1000", "100x10000", "1000x10000", "100x100000", "1000x100000")
#: Where the python loops run (at most PYTHON_MAX_STEPS element-steps).
PYTHON_SIZES = ("10x1000", "10x10000", "100x1000", "100x10000", "1000x1000")
SETTLE_SECONDS = 0.1  # lets the other kernel's thread pool go idle before timing


def _shape(size):
    return tuple(int(v) for v in size.split("x"))


def _seconds(kernel, args):
    time.sleep(SETTLE_SECONDS)
    return best_seconds(lambda: fastlr.gradient(*args, kernel=kernel))


def _side_by_side(kernel, reference, n_x, m):
    """The problem both are timed on, each warmed up on it (``kernel`` skipped where pointless)."""
    skip_if_pointless(kernel, n_x, m)
    args = problem(n_x, m)
    warm_up(kernel, *args)
    warm_up(reference, *args)
    return args


class _FractionOf:
    """A kernel's time over the ``reference`` kernel's, at each size of ``params``."""

    reference = ""
    number = 1
    repeat = 1

    def setup(self, kernel, size):
        self.args = _side_by_side(kernel, self.reference, *_shape(size))

    def _fraction(self, kernel):
        return _seconds(kernel, self.args) / _seconds(self.reference, self.args)


class TrackFractionOfNumpy(_FractionOf):
    params = (KERNELS, SIZES)
    param_names = ("kernel", "size")
    unit = "fraction of numpy's time"
    reference = "numpy"

    def track_fraction_of_numpy(self, kernel, size):
        return self._fraction(kernel)


class TrackFractionOfPython(_FractionOf):
    params = (KERNELS, PYTHON_SIZES)
    param_names = ("kernel", "size")
    unit = "fraction of python's time"
    reference = "python"

    def track_fraction_of_python(self, kernel, size):
        return self._fraction(kernel)


class TrackSpeedup:
    """Speed-up of each kernel over ``python`` and over ``numpy``, across n_x and m (float64, C order).

    ``python`` runs where its loops take at most PYTHON_MAX_STEPS steps (the
    others are skipped: n/a), the other kernels everywhere up to 1 GB of X.
    """

    params = (KERNELS[1:], ("python", "numpy"), N_X_GRID, M_GRID[:3])
    param_names = ("kernel", "over", "n_x", "m")
    unit = "times faster than the 'over' kernel"
    number = 1
    repeat = 1

    def setup(self, kernel, over, n_x, m):
        if kernel == over:
            raise NotImplementedError(f"{kernel} over itself")
        skip_if_pointless(over, n_x, m)
        self.args = _side_by_side(kernel, over, n_x, m)

    def track_speedup(self, kernel, over, n_x, m):
        return _seconds(over, self.args) / _seconds(kernel, self.args)


class TrackReadLimit:
    params = (("numpy", "numba", "numba-parallel", "auto"), ("100x100000", "1000x100000"), ("C", "F"))
    param_names = ("kernel", "size", "order")
    unit = "multiples of the time to read X once"
    number = 1
    repeat = 1

    def setup(self, kernel, size, order):
        n_x, m = _shape(size)
        skip_if_pointless(kernel, n_x, m)
        try:  # fastlr compare's read baseline; versions before it had none
            from fastlr._memory_read import read_once
        except ImportError:
            raise NotImplementedError("this version of fastlr has no memory-read baseline") from None
        self.read_once = read_once
        self.args = problem(n_x, m, "float64", order)
        warm_up(kernel, *self.args)
        read_once(self.args[2])

    def track_multiple_of_read(self, kernel, size, order):
        X = self.args[2]
        time.sleep(SETTLE_SECONDS)
        read = best_seconds(lambda: self.read_once(X))
        return _seconds(kernel, self.args) / read


class TrackReadLimitTall(TrackReadLimit):
    """``track_multiple_of_read`` at the tall shapes: 800 MB of float64 X, 10 to 100 features.

    Most data sets are tall (many examples, tens to hundreds of features),
    and there the compiled pass's time per example, not the read of X,
    decides: the one-thread ``numba`` and the all-threads
    ``numba-parallel``, in both layouts.
    """

    params = (("numba", "numba-parallel"), ("100x1000000", "20x5000000", "10x10000000"), ("C", "F"))
