"""``fastlr compare --fit``: time to a converged model, against scikit-learn.

Each problem is a dataset (``breast-cancer``: 569 x 30; ``digits``: 1,797 x
64, digits 0-4 against 5-9; both standardised) or a size ``(n_features,
n_samples)``: one seeded, standardised synthetic problem with signal (labels
drawn from a logistic model). It is fit to the same optimum and the same
``tol`` by:

- ``fastlr lbfgs`` and ``fastlr newton-cholesky``:
  ``fastlr.LogisticRegression(solver=...)``, ``auto`` kernel;
- ``fastlr gd``: the same with ``solver="gd"`` (the course notes' method),
  only where it converges within the budget's iterations;
- ``sklearn lbfgs``, ``sklearn newton-cholesky`` and ``sklearn liblinear``:
  ``sklearn.linear_model.LogisticRegression(C=1, solver=...)``;

fastlr's estimator takes scikit-learn's ``C``, so these fit one objective,
but for liblinear, which penalises the intercept too (its optimum differs).
With ``classes=K > 2`` the labels come from a softmax model of K classes and
every method fits the multinomial loss. With ``density=d`` X is a sparse CSR
``(n_samples, n_features)`` matrix with ``d n_features`` entries per sample
(``fastlr._compare.sparse_problem``, transposed), standard normal values;
``sklearn newton-cholesky``, whose dense Hessian is ``n_features^2``, runs
only up to :data:`NEWTON_MAX_FEATURES` features then.
The methods are timed in ``repeat`` interleaved rounds (each round fits every
method once, in turn, with a pause between them: thread pools spinning after
a call would slow the next method), best kept. Every row reports the
iterations, how far its coefficients are from scikit-learn's ``lbfgs`` ones
(largest difference over the largest coefficient), and how far its
objective is above the optimum (scikit-learn's lbfgs at ``tol=1e-10``,
fitted once, untimed), relative. The two fastlr second-order and
scikit-learn's ``liblinear`` are binary: left out for ``classes > 2``.
Needs scikit-learn.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from typing import Callable, Iterable

import numpy as np

from ._compare import text_table

__all__ = ["DATASETS", "FIT_PROBLEMS", "FIT_SIZES", "NEWTON_MAX_FEATURES", "QUICK_FIT_PROBLEMS",
           "QUICK_FIT_SIZES", "FitMeasurement", "fit_steps", "fit_table", "measure_fits",
           "parse_problems"]

#: ``(n_features, n_samples)``: the synthetic problems (the default with classes or density).
FIT_SIZES = ((20, 20_000), (200, 200_000))
#: The named datasets (binary, dense).
DATASETS = ("breast-cancer", "digits")
#: The default problems of a binary, dense comparison.
FIT_PROBLEMS = (*DATASETS, *FIT_SIZES)
#: ``--quick``: the default problems cut to a few seconds (binary dense; K classes or sparse).
QUICK_FIT_PROBLEMS = ("breast-cancer", (20, 20_000))
QUICK_FIT_SIZES = ((200, 20_000),)
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
    problem: str = "synthetic"
    objective_excess: float = float("nan")  # (objective - optimum) / optimum


_DATASET_SHAPES = {"breast-cancer": (569, 30), "digits": (1797, 64)}


def _dataset(name: str):
    """A named dataset, standardised: ``(X, y)``."""
    from sklearn.datasets import load_breast_cancer, load_digits
    from sklearn.preprocessing import StandardScaler

    if name == "breast-cancer":
        X, y = load_breast_cancer(return_X_y=True)
    else:
        X, y = load_digits(return_X_y=True)
        y = (y >= 5).astype(int)
    return StandardScaler().fit_transform(X), y


def parse_problems(text: str) -> list:
    """``--sizes`` with --fit: ``N_FEATURESxN_SAMPLES`` sizes and dataset names, comma-separated."""
    from ._compare import parse_sizes

    problems: list = []
    for token in (part.strip() for part in text.split(",")):
        if token in DATASETS:
            problems.append(token)
            continue
        try:
            problems.extend(parse_sizes(token))
        except ValueError:
            raise ValueError(f"{token!r} is neither N_FEATURESxN_SAMPLES (for example 20x20000) nor "
                             f"a dataset ({', '.join(DATASETS)})") from None
    return problems


def _objective(model, X, y) -> float:
    """scikit-learn's objective at a fitted model: mean log-loss + ||coef||^2 / (2 C n)."""
    index = np.searchsorted(model.classes_, y)
    log_p = model.predict_log_proba(X)[np.arange(len(y)), index]
    coef = model.coef_.toarray() if hasattr(model.coef_, "toarray") else model.coef_
    return float(-log_p.mean() + 0.5 * np.sum(coef ** 2) / (_C * len(y)))


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


def _methods(tol: float, binary: bool, newton_sklearn: bool = True) -> dict[str, Callable[[], object]]:
    from sklearn.linear_model import LogisticRegression as Sklearn

    from .estimator import LogisticRegression

    methods = {
        "fastlr lbfgs": lambda: LogisticRegression(C=_C, tol=tol, max_iter=10_000),
        "fastlr newton-cholesky": lambda: LogisticRegression(C=_C, tol=tol, solver="newton-cholesky",
                                                             max_iter=10_000),
        "fastlr gd": lambda: LogisticRegression(C=_C, tol=tol, solver="gd", max_iter=_GD_MAX_ITER),
        "sklearn lbfgs": lambda: Sklearn(C=_C, tol=tol, max_iter=10_000),
        "sklearn newton-cholesky": lambda: Sklearn(C=_C, tol=tol, solver="newton-cholesky", max_iter=10_000),
        "sklearn liblinear": lambda: Sklearn(C=_C, tol=tol, solver="liblinear", max_iter=10_000),
    }
    if not binary:
        del methods["fastlr newton-cholesky"], methods["sklearn liblinear"]
    if not newton_sklearn:
        del methods["sklearn newton-cholesky"]
    return methods


def _problem_methods(problem, tol: float, classes: int | None, density: float | None):
    """The methods fitted on ``problem``, and the problem's ``(n_samples, n_features)``."""
    if isinstance(problem, str):
        shape, binary = _DATASET_SHAPES[problem], True
    else:
        shape, binary = (problem[1], problem[0]), (classes or 2) == 2
    newton_sklearn = density is None or shape[1] <= NEWTON_MAX_FEATURES
    return _methods(tol, binary, newton_sklearn), shape


def fit_steps(sizes: Iterable, repeat: int = 3, classes: int | None = None,
              density: float | None = None) -> tuple[int, float]:
    """How many times :func:`measure_fits` calls ``on_step`` for these arguments, and the
    work they add up to (each step weighs its problem's stored entries)."""
    steps, work = 0, 0.0
    for problem in sizes:
        methods, (n_samples, n_features) = _problem_methods(problem, 1.0, classes, density)
        count = 1 + repeat * len(methods)
        steps += count
        work += count * n_samples * n_features * (1.0 if density is None else density)
    return steps, work


def _fit(make, X, y):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = make().fit(X, y)
    converged = not any("converge" in str(w.message).lower() or "max_iter" in str(w.message)
                        for w in caught)
    n_iter = int(np.max(model.n_iter_))
    return model, n_iter, converged


def measure_fits(sizes: Iterable = FIT_SIZES, tol: float = 1e-6, repeat: int = 3,
                 on_step: Callable[[str, float], None] | None = None,
                 classes: int | None = None, density: float | None = None) -> list[FitMeasurement]:
    """Fit every method on every problem (a size or a name in :data:`DATASETS`; K =
    ``classes``, default 2; sparse X with ``density``); see the module docstring.

    ``on_step(note, work)`` is called once the reference optimum of a problem
    is found and after every timed fit (:func:`fit_steps` counts them), with
    the problem's stored entries as ``work``.
    """
    from sklearn.linear_model import LogisticRegression as Sklearn

    results = []
    for problem in sizes:
        if isinstance(problem, str):
            X, y = _dataset(problem)
        else:
            X, y = _problem(*problem, classes=classes or 2, density=density)
        n_samples, n_features = X.shape
        label = problem if isinstance(problem, str) else "synthetic"
        methods, _ = _problem_methods(problem, tol, classes, density)
        work = n_samples * n_features * (1.0 if density is None else density)

        def step(note: str) -> None:
            if on_step is not None:
                on_step(f"{label} {n_features}x{n_samples}: {note}", work)
        for warm_up in ("fastlr lbfgs", "fastlr newton-cholesky"):  # compile or load numba's cache
            if warm_up in methods:
                _fit(lambda: methods[warm_up]().set_params(max_iter=2), X, y)
        optimum = _objective(_fit(lambda: Sklearn(C=_C, tol=1e-10, max_iter=100_000), X, y)[0], X, y)
        step("the optimum")
        best = dict.fromkeys(methods, float("inf"))
        fitted = {}
        for _ in range(repeat):
            for name, make in methods.items():
                time.sleep(_SETTLE_SECONDS)
                start = time.perf_counter()
                fitted[name] = _fit(make, X, y)
                best[name] = min(best[name], time.perf_counter() - start)
                step(name)
        reference = fitted["sklearn lbfgs"][0].coef_
        scale = float(np.abs(reference).max())
        for name, (model, n_iter, converged) in fitted.items():
            difference = float(np.abs(model.coef_ - reference).max()) / scale
            excess = (_objective(model, X, y) - optimum) / optimum
            results.append(FitMeasurement(n_features, n_samples, name, best[name], n_iter, converged,
                                          difference, label, excess))
    return results


def fit_table(results: list[FitMeasurement]) -> str:
    """The fits as a text table, with the speed-up over scikit-learn's lbfgs."""
    header = ("problem", "features", "samples", "method", "time to fit", "vs sklearn lbfgs",
              "iterations", "converged", "coef vs sklearn", "objective excess")
    rows = [header]
    by_size: dict[tuple[str, int, int], dict[str, FitMeasurement]] = {}
    for result in results:
        key = (result.problem, result.n_features, result.n_samples)
        by_size.setdefault(key, {})[result.method] = result
    for (problem, n_features, n_samples), row in by_size.items():
        base = row["sklearn lbfgs"].seconds
        for name, result in row.items():
            rows.append((problem, str(n_features), str(n_samples), name, _duration(result.seconds),
                         f"{base / result.seconds:.2f}x", str(result.n_iter),
                         "yes" if result.converged else "no", f"{result.coef_difference:.1e}",
                         f"{result.objective_excess:.1e}"))
    return text_table(rows)


def _duration(seconds: float) -> str:
    return f"{seconds * 1e3:.3g} ms" if seconds < 1 else f"{seconds:.3g} s"
