"""
The course notes' table, measured here
======================================

The same gradient computed by every kernel, from the textbook's two Python
loops to the fused compiled pass, timed side by side on one X. The notes
claim the vectorised version is ~300x faster than the loops and the partial
one ~10x; this page measures it on the machine that built it (the ratios, not
the times, are what carries over to yours).
"""

import time

import matplotlib.pyplot as plt
import numpy as np

import fastlr

rng = np.random.default_rng(0)
n_x, m = 100, 5_000
X = rng.standard_normal((n_x, m))  # one example per column, as in the notes
Y = (X[0] + X[1] > 0).astype(float)
w, b = np.zeros(n_x), 0.0


def best_time(kernel, repeat=3):
    fastlr.gradient(w, b, X, Y, kernel=kernel)  # numba compiles on the first call: not timed
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fastlr.gradient(w, b, X, Y, kernel=kernel)
        times.append(time.perf_counter() - start)
    return min(times)


kernels = fastlr.available_kernels()
seconds = {kernel: best_time(kernel) for kernel in kernels}
for kernel in kernels:
    print(f"{kernel:>15}: {seconds[kernel] * 1e3:8.3f} ms, "
          f"{seconds['python'] / seconds[kernel]:7.1f}x the loops")

# %%
# Every kernel computes the same numbers (to rounding):
reference = fastlr.gradient(w, b, X, Y, kernel="python")
for kernel in kernels:
    dw, db, cost = fastlr.gradient(w, b, X, Y, kernel=kernel)
    assert np.allclose(dw, reference[0], rtol=1e-10, atol=1e-12)

# %%
# Times faster than the two Python loops, on a log scale:
fig, ax = plt.subplots(figsize=(6, 3))
ax.barh(kernels, [seconds["python"] / seconds[kernel] for kernel in kernels])
ax.set_xscale("log")
ax.set_xlabel("times faster than the python loops")
ax.set_title(f"one gradient, n_x = {n_x}, m = {m:,}")
fig.tight_layout()
