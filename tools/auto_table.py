"""Print the table ``kernel="auto"`` was tuned from: every candidate, side by side.

For each shape, dtype and layout, each candidate kernel is timed through
``fastlr.gradient`` (best of 5 runs of enough calls for ~1 s of work per
shape), one kernel after another, with a pause between kernels so that the
previous one's thread pool has gone idle (OpenBLAS and OpenMP threads spin
for a while after a call and slow whatever runs next on the same cores).
The last column is what ``auto`` chooses and how far it is from the best.

    python tools/auto_table.py                   # the default grid
    python tools/auto_table.py 1000x100000 10x1000   # chosen shapes (n_x x m)
"""

from __future__ import annotations

import sys
import time

import numpy as np

import fastlr
from fastlr._auto import choose_kernel_name

CANDIDATES = [name for name in ("numpy", "numba", "numba-parallel") if name in fastlr.available_kernels()]
DEFAULT_SHAPES = [
    (10, 1_000), (10, 10_000), (10, 100_000), (10, 1_000_000),
    (100, 300), (100, 1_000), (100, 10_000), (100, 100_000),
    (1_000, 100), (1_000, 1_000), (1_000, 10_000), (1_000, 100_000),
    (3_000, 3_000), (10_000, 1_000), (10_000, 10_000),
]
PAUSE_S = 0.15


def best_time(kernel, w, X, y, number):
    fastlr.gradient(w, 0.1, X, y, kernel=kernel)  # compile or load the cache
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(number):
            fastlr.gradient(w, 0.1, X, y, kernel=kernel)
        best = min(best, (time.perf_counter() - start) / number)
    return best


def main(argv):
    shapes = [tuple(int(v) for v in arg.split("x")) for arg in argv] or DEFAULT_SHAPES
    rng = np.random.default_rng(0)
    print(f"{'n_x':>6} {'m':>9} {'dtype':8} order " + " ".join(f"{k:>15}" for k in CANDIDATES)
          + "   auto picks")
    for n_x, m in shapes:
        base = rng.standard_normal((n_x, m))
        y64 = (rng.random(m) < 0.5).astype(np.float64)
        w64 = rng.standard_normal(n_x) * 0.03
        number = max(1, int(3e6 / (n_x * m)))
        for dtype in (np.float64, np.float32):
            for order in "CF":
                X = np.asarray(base, dtype=dtype, order=order)
                y, w = y64.astype(dtype), w64.astype(dtype)
                times = {}
                for kernel in CANDIDATES:
                    time.sleep(PAUSE_S)
                    times[kernel] = best_time(kernel, w, X, y, number)
                best = min(times.values())
                picked = choose_kernel_name(X)
                cells = " ".join(f"{times[k] * 1e6:11.1f} us" for k in CANDIDATES)
                print(f"{n_x:>6} {m:>9} {np.dtype(dtype).name:8} {order:>5} {cells}   "
                      f"{picked} ({times[picked] / best:.2f}x the best)", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
