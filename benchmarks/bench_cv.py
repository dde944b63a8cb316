"""A cross-validated search over C: fastlr's LogisticRegressionCV against scikit-learn's.

The search of ``fastlr compare --cv``: ``Cs = logspace(-4, 4, 10)``,
``StratifiedKFold(5)``, accuracy, lbfgs at scikit-learn's default ``tol``
(1e-4), on the standardised breast cancer (binary) and digits (ten classes)
datasets and a seeded 50,000 x 100 problem with signal, by:

- ``sklearn-LogisticRegressionCV``: ``sklearn.linear_model.LogisticRegressionCV``;
- ``fastlr-LogisticRegressionCV``: ``fastlr.LogisticRegressionCV`` (each
  fold's path over ``Cs`` warm-started);
- ``GridSearchCV-fastlr``: ``GridSearchCV`` over ``fastlr.LogisticRegression``.

``track_search_fraction_of_sklearn``: fastlr's ``LogisticRegressionCV`` time
over scikit-learn's, side by side (lower is better, so that asv flags a
rise). Skipped where scikit-learn, or this version of fastlr's
``LogisticRegressionCV``, is missing. The larger problems of the comparison
(200,000 x 100; sparse 200,000 x 10,000) are ``fastlr compare --cv``'s.
"""

from __future__ import annotations

import inspect

import numpy as np

import fastlr

from .bench_fit import _fit, _fraction, _problem

PROBLEMS = ("breast-cancer", "digits-10", "100x50000")
METHODS = ("sklearn-LogisticRegressionCV", "fastlr-LogisticRegressionCV", "GridSearchCV-fastlr")
CS = np.logspace(-4, 4, 10)
TOL = 1e-4
MAX_ITER = 1_000


def _search_problem(name):
    if name != "digits-10":
        return _problem(name)
    try:
        from sklearn.datasets import load_digits
        from sklearn.preprocessing import StandardScaler
    except ImportError:
        raise NotImplementedError("scikit-learn is not installed") from None
    X, y = load_digits(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _search(method):
    try:
        from sklearn.linear_model import LogisticRegressionCV as SklearnCV
        from sklearn.model_selection import GridSearchCV, StratifiedKFold
    except ImportError:
        raise NotImplementedError("scikit-learn is not installed") from None
    folds = StratifiedKFold(5)
    if method == "GridSearchCV-fastlr":
        return GridSearchCV(fastlr.LogisticRegression(tol=TOL, max_iter=MAX_ITER), {"C": list(CS)},
                            cv=folds, scoring="accuracy")
    if method.startswith("fastlr-"):
        if not hasattr(fastlr, "LogisticRegressionCV"):
            raise NotImplementedError("this version of fastlr has no LogisticRegressionCV")
        cls = fastlr.LogisticRegressionCV
    else:
        cls = SklearnCV
    params = dict(Cs=CS, cv=folds, scoring="accuracy", tol=TOL, max_iter=MAX_ITER, l1_ratios=(0.0,),
                  use_legacy_attributes=False)
    taken = inspect.signature(cls).parameters  # older scikit-learn: fewer parameters
    return cls(**{key: value for key, value in params.items() if key in taken})


class TimeSearch:
    params = (METHODS, PROBLEMS)
    param_names = ("method", "problem")
    timeout = 300

    def setup(self, method, problem):
        self.X, self.y = _search_problem(problem)
        self.search = _search(method)
        if method != METHODS[0]:  # compile or load numba's cache
            _fit(_search(method).set_params(**({"estimator__max_iter": 2} if method.startswith("Grid")
                                               else {"max_iter": 2})), self.X, self.y)

    def time_search(self, method, problem):
        _fit(self.search, self.X, self.y)


class TrackSearchFractionOfSklearn:
    params = (PROBLEMS,)
    param_names = ("problem",)
    unit = "fraction of scikit-learn's LogisticRegressionCV time"
    number = 1
    repeat = 1
    timeout = 300

    def setup(self, problem):
        self.X, self.y = _search_problem(problem)
        self.ours, self.theirs = _search(METHODS[1]), _search(METHODS[0])
        _fit(_search(METHODS[1]).set_params(max_iter=2), self.X, self.y)

    def track_search_fraction_of_sklearn(self, problem):
        return _fraction(self.ours, self.theirs, self.X, self.y)
