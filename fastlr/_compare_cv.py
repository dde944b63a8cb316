"""``fastlr compare --fit --cv``: a cross-validated search over ``C``, against scikit-learn.

Each problem (``breast-cancer``, 569 x 30; ``digits``, 1,797 x 64, 0-4
against 5-9; ``digits-10``, the same with its ten classes; all standardised;
``tfidf``, :func:`fastlr._compare_fit.tfidf_problem`; or a synthetic size ``(n_features, n_samples)``, dense, or sparse CSR with a
density: :func:`fastlr._compare_fit._problem`) is searched over one grid of
``C`` (``Cs = logspace(-4, 4, 10)``) with the same folds (``StratifiedKFold(5)``,
not shuffled), accuracy as the score and the same ``tol`` and ``max_iter``, for
each scikit-learn solver name ``S`` asked for (default ``lbfgs``), by:

- ``sklearn LogisticRegressionCV S``: scikit-learn's, the base of the ratios;
- ``fastlr LogisticRegressionCV S``: fastlr's, each fold's path over ``Cs``
  warm-started from the previous ``C``'s solution;
- ``GridSearchCV(fastlr S)``: ``GridSearchCV`` over ``fastlr.LogisticRegression(
  solver=S)`` (each fit from zero): the search users write without a CV
  estimator.

Every method refits at the chosen ``C``. The methods are timed in ``repeat``
interleaved rounds (each round runs every method once, with a pause between
them), best kept; fastlr's compiled code is loaded or compiled before (a
search with ``max_iter=2``). Each row reports the ``C`` chosen, whether it
is scikit-learn's, the largest difference of its per-fold, per-``C`` scores
from scikit-learn's (the issue's "scores equal to 1e-6"), the iterations of
all its fits (``GridSearchCV`` does not keep them) and whether every fit
converged. Needs scikit-learn.
"""

from __future__ import annotations

import inspect
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Iterable

import numpy as np

from ._compare import text_table
from ._compare_fit import _DATASET_SHAPES, _DATASET_STORED, _duration, interleaved_best, step_work

__all__ = ["CV_PROBLEMS", "QUICK_CV_PROBLEMS", "CvMeasurement", "cv_steps", "cv_table",
           "measure_searches"]

#: The default problems: ``(n_features, n_samples, density)`` for synthetic ones.
CV_PROBLEMS = ("breast-cancer", "digits-10", (100, 50_000, None), (100, 200_000, None),
               (10_000, 200_000, 0.001))
#: ``--quick``: two small problems, a few seconds.
QUICK_CV_PROBLEMS = ("breast-cancer", "digits-10")
#: The grid of ``C`` and the folds.
CS = np.logspace(-4, 4, 10)
N_FOLDS = 5
_SHAPES = {**_DATASET_SHAPES, "digits-10": (1797, 64)}
_CLASSES = {"digits-10": 10}
#: A search's cost that does not grow with X (its ~500 fits' own overheads), in stored entries
#: of X: measured on 2 cores, a search took about 0.5 s plus 0.2 s per million entries.
_SEARCH_OVERHEAD = 2_500_000


@dataclass(frozen=True)
class CvMeasurement:
    problem: str
    n_features: int
    n_samples: int
    n_classes: int
    method: str
    seconds: float
    C: float  # the C chosen
    same_C: bool  # as scikit-learn's LogisticRegressionCV of the same solver
    score_difference: float  # largest |score - scikit-learn's| over folds and Cs
    n_iter: int  # all fits' iterations; -1: not kept
    converged: bool


def _problem_data(problem) -> tuple[str, Any, np.ndarray]:
    """``(label, X, y)`` of a named dataset or a ``(n_features, n_samples, density)`` size."""
    from ._compare_fit import _dataset, _problem

    if isinstance(problem, str):
        if problem == "digits-10":
            from sklearn.datasets import load_digits
            from sklearn.preprocessing import StandardScaler

            X, y = load_digits(return_X_y=True)
            return problem, StandardScaler().fit_transform(X), y
        X, y = _dataset(problem)
        return problem, X, y
    n_features, n_samples, density = problem
    X, y = _problem(n_features, n_samples, density=density)
    return ("synthetic" if density is None else f"sparse, density {density:g}"), X, y


def _with_supported(cls, **params) -> dict:
    """``params`` less those ``cls`` does not take (scikit-learn before 1.8 has no
    ``l1_ratios`` default to silence, nor ``use_legacy_attributes``)."""
    names = inspect.signature(cls).parameters
    return {key: value for key, value in params.items() if key in names}


def _methods(solvers: Iterable[str], tol: float, max_iter: int, folds) -> dict[str, Callable[[], Any]]:
    from sklearn.linear_model import LogisticRegressionCV as SklearnCV
    from sklearn.model_selection import GridSearchCV

    from .estimator import LogisticRegression
    from .estimator_cv import LogisticRegressionCV

    methods: dict[str, Callable[[], Any]] = {}
    for solver in solvers:
        common = dict(Cs=CS, cv=folds, scoring="accuracy", solver=solver, tol=tol, max_iter=max_iter,
                      l1_ratios=(0.0,), use_legacy_attributes=False)
        methods[f"sklearn LogisticRegressionCV {solver}"] = (
            lambda common=common: SklearnCV(**_with_supported(SklearnCV, **common)))
        methods[f"fastlr LogisticRegressionCV {solver}"] = lambda common=common: LogisticRegressionCV(**common)
        methods[f"GridSearchCV(fastlr {solver})"] = (
            lambda solver=solver: GridSearchCV(LogisticRegression(solver=solver, tol=tol, max_iter=max_iter),
                                               {"C": list(CS)}, cv=folds, scoring="accuracy"))
    return methods


def _search_result(model) -> tuple[float, np.ndarray, int]:
    """``(C chosen, scores (n_folds, n_Cs), iterations)`` of a fitted search."""
    if hasattr(model, "cv_results_"):  # GridSearchCV
        scores = np.array([model.cv_results_[f"split{k}_test_score"] for k in range(N_FOLDS)])
        return float(model.best_params_["C"]), scores, -1
    scores, n_iter = model.scores_, model.n_iter_
    if isinstance(scores, dict):  # the legacy layout: one entry per class, all equal
        scores = next(iter(scores.values()))
    return (float(np.ravel(model.C_)[0]), np.asarray(scores).reshape(N_FOLDS, -1),
            int(np.asarray(n_iter).sum()))


def cv_steps(problems: Iterable, solvers: Iterable[str], repeat: int = 3) -> tuple[int, float]:
    """How many times :func:`measure_searches` calls ``on_step``, and the work they add up to."""
    steps, work = 0, 0.0
    methods = 3 * len(list(solvers))
    for problem in problems:
        if isinstance(problem, str):
            n_samples, n_features = _SHAPES[problem]
            stored = _DATASET_STORED.get(problem, n_samples * n_features)
        else:
            n_features, n_samples, density = problem
            stored = n_samples * n_features * (1.0 if density is None else density)
        steps += repeat * methods
        work += repeat * methods * step_work(stored, _CLASSES.get(problem, 2), _SEARCH_OVERHEAD)
    return steps, work


def _search(make, X, y):
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = make().fit(X, y)
    converged = not any(issubclass(w.category, ConvergenceWarning) or "converge" in str(w.message).lower()
                        for w in caught)
    return model, converged


def measure_searches(problems: Iterable = CV_PROBLEMS, solvers: Iterable[str] = ("lbfgs",),
                     tol: float = 1e-4, max_iter: int = 1_000, repeat: int = 3,
                     on_step: Callable[[str, float], None] | None = None) -> list[CvMeasurement]:
    """Run every search on every problem; see the module docstring.

    ``on_step(note, work)`` is called after every timed search
    (:func:`cv_steps` counts them), with what the search weighs as ``work`` (X's entries
    times its classes, plus a fixed cost).
    """
    from sklearn.model_selection import StratifiedKFold

    solvers = tuple(solvers)
    folds = StratifiedKFold(N_FOLDS)
    results = []
    for problem in problems:
        label, X, y = _problem_data(problem)
        n_samples, n_features = X.shape
        n_classes = int(np.unique(y).size)
        work = step_work(X.nnz if hasattr(X, "nnz") else n_samples * n_features, n_classes,
                         _SEARCH_OVERHEAD)
        methods = _methods(solvers, tol, max_iter, folds)
        for name, make in methods.items():  # compile or load numba's cache
            if name.startswith("fastlr"):
                _search(lambda: make().set_params(max_iter=2), X, y)

        def step(name: str) -> None:
            if on_step is not None:
                on_step(f"{label} {n_features}x{n_samples}: {name}", work)
        best, fitted = interleaved_best(methods, lambda make: _search(make, X, y), repeat, step)
        for solver in solvers:
            base_C, base_scores, _ = _search_result(fitted[f"sklearn LogisticRegressionCV {solver}"][0])
            for name in (f"sklearn LogisticRegressionCV {solver}", f"fastlr LogisticRegressionCV {solver}",
                         f"GridSearchCV(fastlr {solver})"):
                model, converged = fitted[name]
                C, scores, n_iter = _search_result(model)
                results.append(CvMeasurement(label, n_features, n_samples, n_classes, name, best[name],
                                             C, bool(C == base_C),
                                             float(np.abs(scores - base_scores).max()), n_iter,
                                             converged))
    return results


def cv_table(results: list[CvMeasurement]) -> str:
    """The searches as a text table, with the speed-up over scikit-learn's
    ``LogisticRegressionCV`` of the same solver."""
    rows = [("problem", "features", "samples", "method", "classes", "time", "vs sklearn", "C_",
             "same C_", "max score diff", "iterations", "converged")]
    base: dict[tuple, float] = {}
    for result in results:
        if result.method.startswith("sklearn "):
            base[(result.problem, result.n_features, result.n_samples,
                  result.method.rsplit(" ", 1)[1])] = result.seconds
    for result in results:
        solver = result.method.rstrip(")").rsplit(" ", 1)[1]
        ratio = base[(result.problem, result.n_features, result.n_samples, solver)] / result.seconds
        rows.append((result.problem, str(result.n_features), str(result.n_samples), result.method,
                     str(result.n_classes), _duration(result.seconds), f"{ratio:.2f}x",
                     f"{result.C:.3g}", "yes" if result.same_C else "no",
                     f"{result.score_difference:.1e}",
                     "-" if result.n_iter < 0 else str(result.n_iter),
                     "yes" if result.converged else "no"))
    return text_table(rows, left=3)
