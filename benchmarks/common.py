"""What every fastlr benchmark shares: the kernel list, seeded problems, skips.

- ``KERNELS`` is ``fastlr.KERNELS`` plus ``"auto"``: a new kernel is
  benchmarked by existing. A kernel whose dependency is missing is skipped
  (``NotImplementedError`` in ``setup``), never failed.
- ``problem`` builds a seeded problem once per process (asv runs ``setup``
  before every timed sample) and hands out the same arrays after that.
- ``skip_if_pointless`` skips the combinations nobody needs timed: the
  ``python`` kernel past ``PYTHON_MAX_STEPS`` element-steps (a second and
  more per call), and any X over ``MAX_BYTES``.
- ``warm_up`` makes the first call (numba's compile or cache load) before
  anything is timed; compile time has its own benchmarks.

These suites also run against older commits (``asv continuous`` and the
gate install each commit and run the *current* suites on it), so they use
fastlr's public API only, and skip, never fail, where an older version
lacks something.
"""

from __future__ import annotations

import functools
import time

import numpy as np

import fastlr

KERNELS = (*fastlr.KERNELS, "auto")
#: The kernels that compile: they are also timed in float32 and F order.
COMPILED = ("numba", "numba-parallel", "auto")
M_GRID = (1_000, 10_000, 100_000, 1_000_000)
N_X_GRID = (10, 100, 1_000)
PYTHON_MAX_STEPS = 1_000_000
MAX_BYTES = 1 << 30


def available(kernel: str) -> bool:
    return kernel == "auto" or kernel in fastlr.available_kernels()


def skip_if_pointless(kernel: str, n_x: int, m: int, itemsize: int = 8) -> None:
    """Raise ``NotImplementedError`` (asv: skipped) for combinations not worth timing."""
    if not available(kernel):
        raise NotImplementedError(f"kernel {kernel!r} is unavailable here")
    if kernel in ("python", "partial") and n_x * m > PYTHON_MAX_STEPS:
        raise NotImplementedError(f"{kernel} at {n_x} x {m}: too slow to be worth timing")
    if n_x * m * itemsize > MAX_BYTES:
        raise NotImplementedError(f"X of {n_x} x {m} is over {MAX_BYTES >> 30} GB")


@functools.lru_cache(maxsize=4)
def problem(n_x: int, m: int, dtype: str = "float64", order: str = "C"):
    """``(w, b, X, y)``: seeded, X ``(n_x, m)`` in ``dtype`` and ``order``, labels with signal."""
    rng = np.random.default_rng(n_x * 1_000_003 + m)
    # Drawn straight into its dtype and layout (the transpose of a C array is
    # F-ordered), so that building X never holds two copies of it: the
    # peak-memory benchmarks see X once. Uniform: quicker to draw than normal.
    shape = (n_x, m) if order == "C" else (m, n_x)
    X = rng.random(shape, dtype=np.dtype(dtype).type)
    X -= 0.5
    if order == "F":
        X = X.T
    w = (rng.standard_normal(n_x) / np.sqrt(n_x)).astype(dtype)
    y = (rng.random(m) < 1 / (1 + np.exp(-(w @ X)))).astype(dtype)
    return w, 0.1, X, y


def warm_up(kernel: str, w, b, X, y) -> None:
    """One call before timing: numba compiles (or loads its cache) here, not in the timings."""
    fastlr.gradient(w, b, X, y, kernel=kernel)


def best_seconds(call, repeat: int = 3, min_seconds: float = 0.01) -> float:
    """The best mean time per call over ``repeat`` runs, each at least ``min_seconds`` long.

    ``fastlr compare``'s timer, written again here: the suites must not
    import fastlr's internals (see the module docstring).
    """
    start = time.perf_counter()
    call()
    one = time.perf_counter() - start
    number = max(1, int(min_seconds / max(one, 1e-9)))
    best = one
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            call()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def require(name: str):
    """``fastlr.<name>``, or a skip where this version of fastlr lacks it."""
    found = getattr(fastlr, name, None)
    if found is None:
        raise NotImplementedError(f"this version of fastlr has no {name}")
    return found
