"""numba-parallel against numba on a busy machine: how gracefully the parallel kernel degrades.

    python tools/contention.py [--sizes 100x10000,300x30000,1000x100000] [--busy N] [--rounds 5]
    NUMBA_THREADING_LAYER=omp python tools/contention.py     # the same under GNU OpenMP

Per size and round, the mean time per call of ``fastlr.gradient`` over
about 0.3 s of calls with ``numba``, then with ``numba-parallel`` (float64,
X examples-contiguous), and their ratio; first on an idle machine, then with
``--busy`` processes (default: one per core) spinning on the cores, all in
one run. Prints the median and the largest ratio over the rounds. Means over
many calls, not best times: under load, a best time hides the calls that
waited for a descheduled thread. Spinning thread pools collapse under such
load (a thread that waits for a descheduled one burns the core that one
needs). The busy processes are plain Python loops that stop when this
script ends (and by themselves after ``--limit`` seconds).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

import numpy as np

import fastlr
from fastlr._compare import parse_sizes, text_table
from fastlr.kernels import _threading_layer


def _spinners(count: int, limit: float) -> list[subprocess.Popen]:
    code = f"import time\nend = time.monotonic() + {limit}\nwhile time.monotonic() < end: pass"
    return [subprocess.Popen([sys.executable, "-c", code]) for _ in range(count)]


def _mean_time(kernel, w, X, y, calls):
    fastlr.gradient(w, 0.1, X, y, kernel=kernel)
    start = time.perf_counter()
    for _ in range(calls):
        fastlr.gradient(w, 0.1, X, y, kernel=kernel)
    return (time.perf_counter() - start) / calls


def _ratios(problems, rounds):
    """``{size: [numba-parallel / numba per round]}``."""
    ratios = {}
    for _ in range(rounds):
        for size, (w, X, y) in problems.items():
            one = _mean_time("numba", w, X, y, 3)
            calls = max(3, int(0.3 / one))
            serial = _mean_time("numba", w, X, y, calls)
            parallel = _mean_time("numba-parallel", w, X, y, calls)
            ratios.setdefault(size, []).append(parallel / serial)
    return ratios


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100x10000,300x30000,1000x100000")
    parser.add_argument("--busy", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--limit", type=float, default=900.0)
    args = parser.parse_args()
    problems = {}
    for n_x, m in parse_sizes(args.sizes):
        rng = np.random.default_rng(0)
        X = np.asfortranarray(rng.standard_normal((n_x, m)))
        problems[(n_x, m)] = (rng.standard_normal(n_x) / np.sqrt(n_x), X,
                              (rng.random(m) < 0.5).astype(float))
    idle = _ratios(problems, args.rounds)
    spinners = _spinners(args.busy, args.limit)
    try:
        time.sleep(0.5)
        busy = _ratios(problems, args.rounds)
    finally:
        for spinner in spinners:
            spinner.kill()
    print(f"threading layer: {_threading_layer.layer()}; numba threads: {fastlr.get_num_threads()}; "
          f"busy: {args.busy} spinning processes on {os.cpu_count()} cores; {args.rounds} rounds")
    rows = [("n_x", "m", "load", "median parallel/numba", "largest", "every round")]
    for (n_x, m) in problems:
        for load, ratios in (("idle", idle), ("busy", busy)):
            values = ratios[(n_x, m)]
            rows.append((str(n_x), str(m), load, f"{statistics.median(values):.2f}",
                         f"{max(values):.2f}", " ".join(f"{v:.2f}" for v in values)))
    print(text_table(rows))


if __name__ == "__main__":
    main()
