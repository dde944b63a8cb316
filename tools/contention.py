"""numba-parallel against numba on a busy machine: how gracefully the parallel kernel degrades.

    python tools/contention.py [--sizes 10x1000,100x10000,1000x100000] [--busy N] [--repeat 5]

Times ``fastlr.gradient`` with ``numba``, ``numba-parallel`` and ``auto`` at
each size (float64, X examples-contiguous), first on an idle machine, then
with ``--busy`` processes (default: one per core) spinning on the cores,
all in one run, and prints each time with the ratio numba-parallel / numba.
Spinning thread pools collapse under such load (a thread that waits for a
descheduled one burns the core that one needs); a pool that sleeps when
idle, with work handed out in small chunks, stays close to one thread's
speed. The busy processes are plain Python loops that stop when this script
ends (they also stop by themselves after ``--limit`` seconds).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

import numpy as np

import fastlr
from fastlr._compare import parse_sizes, text_table, time_per_call
from fastlr.kernels import _threading_layer

KERNELS = ("numba", "numba-parallel", "auto")


def _spinners(count: int, limit: float) -> list[subprocess.Popen]:
    code = f"import time\nend = time.monotonic() + {limit}\nwhile time.monotonic() < end: pass"
    return [subprocess.Popen([sys.executable, "-c", code]) for _ in range(count)]


def _times(sizes, repeat):
    rows = {}
    for n_x, m in sizes:
        rng = np.random.default_rng(0)
        X = np.asfortranarray(rng.standard_normal((n_x, m)))
        y = (rng.random(m) < 0.5).astype(float)
        w = rng.standard_normal(n_x) / np.sqrt(n_x)
        for name in KERNELS:
            fastlr.gradient(w, 0.1, X, y, kernel=name)  # compile or load
            time.sleep(0.1)
            rows[(n_x, m, name)] = time_per_call(lambda: fastlr.gradient(w, 0.1, X, y, kernel=name),
                                                 repeat, min_run_seconds=0.05)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10x1000,100x10000,1000x100000")
    parser.add_argument("--busy", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--limit", type=float, default=600.0)
    args = parser.parse_args()
    sizes = parse_sizes(args.sizes)
    idle = _times(sizes, args.repeat)
    spinners = _spinners(args.busy, args.limit)
    try:
        time.sleep(0.5)
        busy = _times(sizes, args.repeat)
    finally:
        for spinner in spinners:
            spinner.kill()
    print(f"threading layer: {_threading_layer.layer()}; numba threads: {fastlr.get_num_threads()}; "
          f"busy processes: {args.busy} on {os.cpu_count()} cores")
    header = ("n_x", "m", "load", *KERNELS, "parallel / numba")
    rows = [header]
    for n_x, m in sizes:
        for load, times in (("idle", idle), ("busy", busy)):
            cells = [f"{times[(n_x, m, k)] * 1e6:.0f} us" for k in KERNELS]
            ratio = times[(n_x, m, "numba-parallel")] / times[(n_x, m, "numba")]
            rows.append((str(n_x), str(m), load, *cells, f"{ratio:.2f}"))
    print(text_table(rows))


if __name__ == "__main__":
    main()
