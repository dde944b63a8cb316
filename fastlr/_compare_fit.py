"""``fastlr compare --fit``: time to a converged model, against scikit-learn.

For each size ``(n_features, n_samples)``, one seeded, standardised
synthetic problem with signal (labels drawn from a logistic model) is fit to
the same optimum and the same ``tol`` by:

- ``fastlr lbfgs``: ``fastlr.LogisticRegression(solver="lbfgs")``, ``auto`` kernel;
- ``fastlr gd``: the same with ``solver="gd"`` (the course notes' method),
  only where it converges within the budget's iterations;
- ``sklearn lbfgs`` and ``sklearn newton-cholesky``:
  ``sklearn.linear_model.LogisticRegression(C=1, solver=...)``;

fastlr's estimator takes scikit-learn's ``C``, so all four fit one objective.
With ``classes=K > 2`` the labels come from a softmax model of K classes and
every method fits the multinomial loss. With ``density=d`` X is a sparse CSR
``(n_samples, n_features)`` matrix with ``d n_features`` entries per sample
(``fastlr._compare.sparse_problem``, transposed), standard normal values;
``sklearn newton-cholesky``, whose dense Hessian is ``n_features^2``, runs
only up to :data:`NEWTON_MAX_FEATURES` features then.
Each method is timed ``repeat`` times, best kept, one after another with a
pause between them (thread pools spinning after a call would slow the next
method). Every row reports the iterations and how far its coefficients are
from scikit-learn's ``lbfgs`` ones (largest difference over the largest
coefficient). Needs scikit-learn.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from typing import Callable, Iterable

import numpy as np

from ._compare import text_table

__all__ = ["FIT_SIZES", "NEWTON_MAX_FEATURES", "FitMeasurement", "fit_table", "measure_fits"]

#: ``(n_features, n_samples)``.
FIT_SIZES = ((20, 20_000), (200, 200_000))
#: With a sparse X, scikit-learn's newton-cholesky is left out above this many features.
NEWTON_MAX_FEATURES = 2_000
_C = 1.0
_SETTLE_SECONDS = 0.2
_GD_MAX_ITER = 2_000


@dataclass(frozen=True)
class FitMeasurement:
    n_features: int
    n_samples: int
    method: str
    seconds: float
    n_iter: int
    converged: bool
    coef_difference: float  # against sklearn lbfgs, relative to its largest coefficient


def _problem(n_features: int, n_samples: int, seed: int = 0, classes: int = 2,
             density: float | None = None):
    rng = np.random.default_rng(seed)
    if density is not None:
        from ._compare import sparse_problem

        X = sparse_problem(n_features, n_samples, density, np.dtype(np.float64), seed=seed).T.tocsr()
        scale = np.sqrt(max(1.0, density * n_features))
    else:
        X = rng.standard_normal((n_samples, n_features))
        scale = np.sqrt(n_features)
    if classes > 2:  # argmax of logits plus Gumbel noise: a draw from the softmax model
        beta = 3.0 * rng.standard_normal((classes, n_features)) / scale
        y = (X @ beta.T + rng.gumbel(size=(n_samples, classes))).argmax(axis=1)
        return X, y
    beta = 3.0 * rng.standard_normal(n_features) / scale
    y = (rng.random(n_samples) < 1.0 / (1.0 + np.exp(-(X @ beta)))).astype(int)
    return X, y


def _methods(n_samples: int, tol: float) -> dict[str, Callable[[], object]]:
    from sklearn.linear_model import LogisticRegression as Sklearn

    from .estimator import LogisticRegression

    return {
        "fastlr lbfgs": lambda: LogisticRegression(C=_C, tol=tol, max_iter=10_000),
        "fastlr gd": lambda: LogisticRegression(C=_C, tol=tol, solver="gd", max_iter=_GD_MAX_ITER),
        "sklearn lbfgs": lambda: Sklearn(C=_C, tol=tol, max_iter=10_000),
        "sklearn newton-cholesky": lambda: Sklearn(C=_C, tol=tol, solver="newton-cholesky", max_iter=10_000),
    }


def _fit(make, X, y):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = make().fit(X, y)
    converged = not any("converge" in str(w.message).lower() or "max_iter" in str(w.message)
                        for w in caught)
    n_iter = int(np.max(model.n_iter_))
    return model, n_iter, converged


def measure_fits(sizes: Iterable[tuple[int, int]] = FIT_SIZES, tol: float = 1e-6, repeat: int = 3,
                 on_step: Callable[[str], None] | None = None,
                 classes: int | None = None, density: float | None = None) -> list[FitMeasurement]:
    """Fit every method on every size (K = ``classes``, default 2; sparse X with ``density``);
    see the module docstring."""
    results = []
    for n_features, n_samples in sizes:
        X, y = _problem(n_features, n_samples, classes=classes or 2, density=density)
        methods = _methods(n_samples, tol)
        if density is not None and n_features > NEWTON_MAX_FEATURES:
            del methods["sklearn newton-cholesky"]
        _fit(lambda: methods["fastlr lbfgs"]().set_params(max_iter=2), X, y)  # compile or load numba's cache
        fitted = {}
        for name, make in methods.items():
            best = float("inf")
            for _ in range(repeat):
                time.sleep(_SETTLE_SECONDS)
                start = time.perf_counter()
                model, n_iter, converged = _fit(make, X, y)
                best = min(best, time.perf_counter() - start)
            fitted[name] = (model, n_iter, converged, best)
            if on_step is not None:
                on_step(f"{name} {n_features}x{n_samples}")
        reference = fitted["sklearn lbfgs"][0].coef_
        scale = float(np.abs(reference).max())
        for name, (model, n_iter, converged, seconds) in fitted.items():
            difference = float(np.abs(model.coef_ - reference).max()) / scale
            results.append(FitMeasurement(n_features, n_samples, name, seconds, n_iter, converged, difference))
    return results


def fit_table(results: list[FitMeasurement]) -> str:
    """The fits as a text table, with the speed-up over scikit-learn's lbfgs."""
    header = ("features", "samples", "method", "time to fit", "vs sklearn lbfgs", "iterations",
              "converged", "coef vs sklearn")
    rows = [header]
    by_size: dict[tuple[int, int], dict[str, FitMeasurement]] = {}
    for result in results:
        by_size.setdefault((result.n_features, result.n_samples), {})[result.method] = result
    for (n_features, n_samples), row in by_size.items():
        base = row["sklearn lbfgs"].seconds
        for name, result in row.items():
            rows.append((str(n_features), str(n_samples), name, f"{result.seconds:.3g} s",
                         f"{base / result.seconds:.2f}x", str(result.n_iter),
                         "yes" if result.converged else "no", f"{result.coef_difference:.1e}"))
    return text_table(rows)
