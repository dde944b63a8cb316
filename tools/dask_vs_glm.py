"""Time per iteration of fastlr on a Dask cluster against dask-glm, side by side in one run.

Starts a ``dask.distributed`` LocalCluster (2 single-threaded worker
processes by default), draws X ``(m, n_x)`` float64 on the workers, chunked
along the samples, with labels from a noisy linear rule, and persists it.
Then, on the same cluster and data:

- fastlr ``train`` (gradient descent, fixed step) and ``solver="lbfgs"``,
  with X given as ``X.T`` (fastlr's ``(n_x, m)``; a view of each chunk),
  for each kernel asked for;
- dask-glm's ``gradient_descent`` and ``lbfgs`` (``family=Logistic``), the
  GLM solvers dask-ml uses;
- fastlr ``train`` on the same data gathered into this process (in memory),
  unless ``--no-in-memory``.

Each method runs once to warm up, then twice for ``a`` and twice for ``b``
iterations (``tol=0`` so that none stops early); the time per iteration is
the difference of the best times over ``b - a``, so that setup costs
(persisting, validation) cancel out.
Requires dask-glm (``pip install dask-glm``), which fastlr does not depend on.

    python tools/dask_vs_glm.py                         # 100 x 2,000,000, 16 chunks
    python tools/dask_vs_glm.py --m 400000 --chunks 8 --kernels numba
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np


def per_iteration(fit, a: int, b: int, repeats: int = 2) -> float:
    """Seconds per iteration of ``fit(n)``: best runs of ``a`` and ``b`` iterations, after a warm-up."""
    best = {a: float("inf"), b: float("inf")}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit(a)  # compiles, loads caches, starts pools
        for _ in range(repeats):
            for n in (a, b):
                start = time.perf_counter()
                fit(n)
                best[n] = min(best[n], time.perf_counter() - start)
    return (best[b] - best[a]) / (b - a)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--m", type=int, default=2_000_000, help="samples (default 2,000,000)")
    parser.add_argument("--n-x", type=int, default=100, help="features (default 100)")
    parser.add_argument("--chunks", type=int, default=16, help="chunks along the samples (default 16)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--kernels", default="numpy,numba", help="fastlr kernels (default numpy,numba)")
    parser.add_argument("--iterations", default="2,7", help="a,b iterations for the difference (default 2,7)")
    parser.add_argument("--no-in-memory", action="store_true", help="skip the in-memory fits")
    args = parser.parse_args()

    import dask
    import dask.array as da
    from dask_glm.algorithms import gradient_descent, lbfgs
    from dask_glm.families import Logistic
    from distributed import Client, LocalCluster, wait

    import fastlr

    a, b = (int(part) for part in args.iterations.split(","))
    m, n_x = args.m, args.n_x
    cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                           dashboard_address=":0")
    client = Client(cluster)
    rng = da.random.default_rng(0)
    samples = rng.standard_normal((m, n_x), chunks=(-(-m // args.chunks), n_x))
    beta = np.random.default_rng(1).standard_normal(n_x) / np.sqrt(n_x)
    labels = ((samples @ beta + rng.standard_normal(m, chunks=samples.chunks[0])) > 0).astype(np.float64)
    samples, labels = dask.persist(samples, labels)
    wait([samples, labels])
    X = samples.T  # fastlr's (n_x, m): each chunk a view, examples contiguous
    blas = {key: os.environ[key] for key in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if key in os.environ}
    print(f"{n_x} x {m:,} float64 ({samples.nbytes / 1e9:.1f} GB) in {len(samples.chunks[0])} chunks "
          f"on {args.workers} single-threaded workers; per iteration from {a} and {b} iterations; "
          f"OpenBLAS settings: {blas or 'none'}")

    rows = []
    step = 0.5
    for kernel in args.kernels.split(","):
        rows.append((f"fastlr gd ({kernel})", per_iteration(
            lambda n: fastlr.train(X, labels, kernel=kernel, learning_rate=step, max_iter=n, tol=0.0),
            a, b)))
        rows.append((f"fastlr lbfgs ({kernel})", per_iteration(
            lambda n: fastlr.train(X, labels, kernel=kernel, solver="lbfgs", max_iter=n, tol=0.0),
            a, b)))
    rows.append(("dask-glm gradient_descent", per_iteration(
        lambda n: gradient_descent(samples, labels, max_iter=n, tol=0.0, family=Logistic), a, b)))
    rows.append(("dask-glm lbfgs", per_iteration(
        lambda n: lbfgs(samples, labels, max_iter=n, tol=0.0, family=Logistic), a, b)))
    if not args.no_in_memory:
        X_local, y_local = dask.compute(X, labels)
        X_local = np.asfortranarray(X_local)
        for kernel in [*args.kernels.split(","), "numba-parallel"]:
            rows.append((f"in memory: fastlr gd ({kernel})", per_iteration(
                lambda n: fastlr.train(X_local, y_local, kernel=kernel, learning_rate=step,
                                       max_iter=n, tol=0.0), a, b)))
    client.close()
    cluster.close()

    reference = rows[0][1]
    width = max(len(name) for name, _ in rows)
    print(f"{'method':<{width}}  {'s/iteration':>11}  {'vs ' + rows[0][0]:>10}")
    for name, seconds in rows:
        print(f"{name:<{width}}  {seconds:11.4f}  {seconds / reference:10.2f}x")


if __name__ == "__main__":
    main()
