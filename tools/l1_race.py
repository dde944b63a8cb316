"""L1 / elastic-net fits on planted-sparse problems: fastlr's prox-newton against its peers.

    python tools/l1_race.py PROBLEM [L1_RATIO]

PROBLEM is ``dense10000x1000``, ``dense100000x100`` (``denseMxN``: M samples,
N features, 20 informative ones) or ``tfidf`` (20,000 x 100,000 CSR, about
100 stored entries per row, Zipf-distributed columns, rows of unit norm, 50
informative columns). The L1 strength is a tenth of ``lambda_max`` (the
smallest that zeroes every coefficient), every method stops at tol 1e-6, and
each line gives the time of a warm fit (best of 2), its objective's excess
over fastlr's at tol 1e-10, and its non-zero coefficients. The peers run when
installed (skglm, celer; not dependencies of fastlr); scikit-learn's
liblinear (L1 only) penalises the intercept and celer fits none, so their
optimum differs. ``fastlr compare --fit --l1-ratio`` is the packaged
comparison; this script adds the planted and tf-idf-like problems.
"""

from __future__ import annotations

import sys
import time
import warnings

import numpy as np
import scipy.sparse

import fastlr


def problem(name: str, seed: int = 0):
    rng = np.random.default_rng(seed)
    if name.startswith("dense"):
        n, p = (int(v) for v in name.removeprefix("dense").split("x"))
        X = rng.standard_normal((n, p))
        beta = np.zeros(p)
        beta[:20] = rng.standard_normal(20)
    elif name == "tfidf":
        n, p, per_row = 20_000, 100_000, 100
        frequency = 1.0 / np.arange(1, p + 1) ** 1.1
        columns = rng.choice(p, size=n * per_row, p=frequency / frequency.sum())
        rows = np.repeat(np.arange(n), per_row)
        X = scipy.sparse.csr_array((rng.random(n * per_row), (rows, columns)), shape=(n, p))
        X.sum_duplicates()
        norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
        X = scipy.sparse.csr_array(scipy.sparse.diags_array(1 / norms) @ X)
        X.indices, X.indptr = X.indices.astype(np.int32), X.indptr.astype(np.int32)  # as peers require
        beta = np.zeros(p)
        beta[rng.choice(2000, 50, replace=False)] = 5 * rng.standard_normal(50)
    else:
        raise SystemExit(f"unknown problem {name!r}: denseMxN or tfidf")
    y = (rng.random(n) < 1 / (1 + np.exp(-(X @ beta)))).astype(float)
    return X, y


def objective(X, y, w, b, lam, l1_ratio):
    z = X @ w + b
    penalty = l1_ratio * np.abs(w).sum() + (1 - l1_ratio) / 2 * w @ w
    return float(np.mean(np.logaddexp(0, z) - y * z) + lam * penalty)


def main() -> None:
    name = sys.argv[1]
    l1_ratio = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
    warnings.simplefilter("ignore")
    X, y = problem(name)
    n = X.shape[0]
    lam = float(np.abs(X.T @ (y - y.mean())).max()) / n / 10 / l1_ratio
    C = 1 / (lam * n)

    def coefficients(model):
        return np.ravel(model.coef_), float(np.ravel(getattr(model, "intercept_", [0.0]))[0])

    def ours(tol):
        return fastlr.LogisticRegression(solver="prox-newton", C=C, l1_ratio=l1_ratio, tol=tol,
                                         max_iter=1000)

    methods = {"fastlr prox-newton": lambda: ours(1e-6)}
    try:
        from skglm import SparseLogisticRegression

        methods["skglm"] = lambda: SparseLogisticRegression(alpha=lam, l1_ratio=l1_ratio, tol=1e-6,
                                                            max_iter=1000, fit_intercept=True)
    except ImportError:
        pass
    if l1_ratio == 1:
        try:
            from celer import LogisticRegression as Celer

            methods["celer (no intercept)"] = lambda: Celer(C=C, tol=1e-6, fit_intercept=False)
        except ImportError:
            pass
        from sklearn.linear_model import LogisticRegression as Sklearn

        methods["sklearn liblinear (penalised intercept)"] = lambda: Sklearn(
            solver="liblinear", l1_ratio=1.0, C=C, tol=1e-6, max_iter=1000)
    best = objective(X, y, *coefficients(ours(1e-10).fit(X, y)), lam, l1_ratio)
    print(f"{name} {X.shape} l1_ratio={l1_ratio:g} C={C:.3g}: optimum {best:.12g}")
    for label, make in methods.items():
        make().fit(X[:200], y[:200])  # compile (numba) before timing
        seconds = []
        for _ in range(2):
            start = time.perf_counter()
            model = make().fit(X, y)
            seconds.append(time.perf_counter() - start)
        w, b = coefficients(model)
        excess = (objective(X, y, w, b, lam, l1_ratio) - best) / best
        print(f"  {label:40s} {min(seconds) * 1e3:9.1f} ms  excess {excess:9.1e}  "
              f"non-zero {np.count_nonzero(w)}")


if __name__ == "__main__":
    main()
