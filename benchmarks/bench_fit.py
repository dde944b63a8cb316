"""Time to a converged model: fastlr's solvers against scikit-learn's.

Two standardised datasets (breast cancer 569 x 30; digits 1,797 x 64, 0-4
against 5-9) and one seeded, standardised synthetic problem with signal per
size, fit to the same optimum (C = 1) and the same tol by
``fastlr.LogisticRegression`` (``lbfgs``, ``newton-cholesky``, ``newton-cg``,
``gd``) and ``sklearn.linear_model.LogisticRegression`` (``lbfgs``,
``newton-cholesky``, ``newton-cg``, ``liblinear``, which also penalises the
intercept).
``track_fit_fraction_of_sklearn``: fastlr's solver's time over
scikit-learn's same solver, side by side (lower is better, so that asv flags
a rise). Skipped where scikit-learn, or this version of fastlr's solver, is
missing.

``TimeTextFit`` and ``TrackTextFitFractionOfSklearn``: the TF-IDF-like sparse
problem of ``fastlr compare --fit --sizes tfidf`` (50,000 x 100,000, about
3.8 million stored, nearly separable) at C = 1 and 10, where L-BFGS needs
many iterations and truncated Newton a few.

``TimeL1Fit`` and ``TrackL1FitFractionOfSaga``: L1 (``l1_ratio=1``) at an
L1 strength of a tenth of ``lambda_max`` (the smallest that zeroes every
coefficient), so each solution is sparse: fastlr's ``prox-newton`` against
scikit-learn's ``saga`` and ``liblinear`` (which penalises the intercept).
"""

from __future__ import annotations

import functools
import time
import warnings

import numpy as np

import fastlr

from .common import best_seconds

SIZES = ("breast-cancer", "digits", "20x20000", "200x200000")
METHODS = ("fastlr-lbfgs", "fastlr-newton-cholesky", "fastlr-newton-cg", "fastlr-gd",
           "sklearn-lbfgs", "sklearn-newton-cholesky", "sklearn-newton-cg", "sklearn-liblinear")
TOL = 1e-6


def _dataset(name):
    try:
        from sklearn.datasets import load_breast_cancer, load_digits
        from sklearn.preprocessing import StandardScaler
    except ImportError:
        raise NotImplementedError("scikit-learn is not installed") from None
    if name == "breast-cancer":
        X, y = load_breast_cancer(return_X_y=True)
    else:
        X, y = load_digits(return_X_y=True)
        y = (y >= 5).astype(int)
    return StandardScaler().fit_transform(X), y


def _problem(size):
    if "x" not in size:
        return _dataset(size)
    n_features, n_samples = (int(v) for v in size.split("x"))
    rng = np.random.default_rng(n_features)
    X = rng.standard_normal((n_samples, n_features))
    beta = 3.0 * rng.standard_normal(n_features) / np.sqrt(n_features)
    y = (rng.random(n_samples) < 1.0 / (1.0 + np.exp(-(X @ beta)))).astype(int)
    return X, y


def _model(method, n_samples, C=1.0):
    try:
        from sklearn.linear_model import LogisticRegression as Sklearn
    except ImportError:
        raise NotImplementedError("scikit-learn is not installed") from None
    if method.startswith("sklearn-"):
        return Sklearn(C=C, tol=TOL, solver=method.removeprefix("sklearn-"), max_iter=10_000)
    solver = method.removeprefix("fastlr-")
    if "C" in fastlr.LogisticRegression().get_params():  # scikit-learn's parameters
        model = fastlr.LogisticRegression(C=C, tol=TOL, max_iter=10_000)
    else:  # older fastlr: the penalty as alpha = 1 / (C n_samples)
        model = fastlr.LogisticRegression(alpha=1.0 / (C * n_samples), tol=TOL, max_iter=10_000)
    if "solver" not in model.get_params():
        raise NotImplementedError("this version of fastlr has no solver parameter")
    from fastlr import estimator

    if solver not in getattr(estimator, "SOLVERS", ("lbfgs", "gd")):
        raise NotImplementedError(f"this version of fastlr has no solver {solver!r}")
    return model.set_params(solver=solver)


def _fit(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(X, y)


def _fraction(ours, theirs, X, y):
    """Our fit's time over theirs, side by side, each best of 2 after a pause."""
    time.sleep(0.2)
    ours_seconds = best_seconds(lambda: _fit(ours, X, y), repeat=2)
    time.sleep(0.2)
    return ours_seconds / best_seconds(lambda: _fit(theirs, X, y), repeat=2)


class TimeFit:
    params = (METHODS, SIZES)
    param_names = ("method", "size")
    timeout = 300

    def setup(self, method, size):
        self.X, self.y = _problem(size)
        self.model = _model(method, self.X.shape[0])
        _fit(_model(method, self.X.shape[0]).set_params(max_iter=2), self.X, self.y)  # compile

    def time_fit(self, method, size):
        _fit(self.model, self.X, self.y)


class TrackFitFractionOfSklearn:
    params = (("lbfgs", "newton-cholesky", "newton-cg"), SIZES)
    param_names = ("solver", "size")
    unit = "fraction of scikit-learn's time (same solver)"
    number = 1
    repeat = 1
    timeout = 300

    def setup(self, solver, size):
        self.X, self.y = _problem(size)
        n_samples = self.X.shape[0]
        self.ours = _model(f"fastlr-{solver}", n_samples)
        self.theirs = _model(f"sklearn-{solver}", n_samples)
        _fit(_model(f"fastlr-{solver}", n_samples).set_params(max_iter=2), self.X, self.y)

    def track_fit_fraction_of_sklearn(self, solver, size):
        return _fraction(self.ours, self.theirs, self.X, self.y)


TEXT_METHODS = ("fastlr-lbfgs", "fastlr-newton-cg", "sklearn-lbfgs", "sklearn-newton-cg")
TEXT_CS = (1.0, 10.0)


@functools.lru_cache(maxsize=1)
def _text_problem():
    try:
        from fastlr._compare_fit import tfidf_problem
    except ImportError:
        raise NotImplementedError("this version of fastlr has no TF-IDF-like problem") from None
    return tfidf_problem()


class TimeTextFit:
    params = (TEXT_METHODS, TEXT_CS)
    param_names = ("method", "C")
    timeout = 300

    def setup(self, method, C):
        self.X, self.y = _text_problem()
        self.model = _model(method, self.X.shape[0], C)
        _fit(_model(method, self.X.shape[0], C).set_params(max_iter=1), self.X, self.y)

    def time_fit(self, method, C):
        _fit(self.model, self.X, self.y)


class TrackTextFitFractionOfSklearn:
    params = (("lbfgs", "newton-cg"), TEXT_CS)
    param_names = ("solver", "C")
    unit = "fraction of scikit-learn's time (same solver)"
    number = 1
    repeat = 1
    timeout = 300

    def setup(self, solver, C):
        self.X, self.y = _text_problem()
        n_samples = self.X.shape[0]
        self.ours = _model(f"fastlr-{solver}", n_samples, C)
        self.theirs = _model(f"sklearn-{solver}", n_samples, C)
        _fit(_model(f"fastlr-{solver}", n_samples, C).set_params(max_iter=1), self.X, self.y)

    def track_fit_fraction_of_sklearn(self, solver, C):
        return _fraction(self.ours, self.theirs, self.X, self.y)


L1_SIZES = ("breast-cancer", "digits", "100x100000")
L1_METHODS = ("fastlr-prox-newton", "sklearn-saga", "sklearn-liblinear")


def _l1_C(X, y):
    """scikit-learn's ``C`` whose L1 strength is ``lambda_max / 10``."""
    n = X.shape[0]
    lambda_max = float(np.abs(X.T @ (y - y.mean())).max()) / n
    return 10.0 / (lambda_max * n)


def _l1_model(method, C):
    try:
        from sklearn.linear_model import LogisticRegression as Sklearn
    except ImportError:
        raise NotImplementedError("scikit-learn is not installed") from None
    if method.startswith("sklearn-"):
        return Sklearn(C=C, l1_ratio=1.0, tol=TOL, solver=method.removeprefix("sklearn-"),
                       max_iter=1_000)
    from fastlr import estimator

    if "prox-newton" not in getattr(estimator, "SOLVERS", ()):
        raise NotImplementedError("this version of fastlr has no L1 solver")
    return fastlr.LogisticRegression(C=C, l1_ratio=1.0, tol=TOL, solver="prox-newton",
                                     max_iter=1_000)


class TimeL1Fit:
    params = (L1_METHODS, L1_SIZES)
    param_names = ("method", "size")
    timeout = 300

    def setup(self, method, size):
        self.X, self.y = _problem(size)
        C = _l1_C(self.X, self.y)
        self.model = _l1_model(method, C)
        _fit(_l1_model(method, C).set_params(max_iter=2), self.X, self.y)  # compile

    def time_fit(self, method, size):
        _fit(self.model, self.X, self.y)


class TrackL1FitFractionOfSaga:
    params = (L1_SIZES,)
    param_names = ("size",)
    unit = "fraction of scikit-learn saga's time"
    number = 1
    repeat = 1
    timeout = 300

    def setup(self, size):
        self.X, self.y = _problem(size)
        C = _l1_C(self.X, self.y)
        self.ours = _l1_model("fastlr-prox-newton", C)
        self.theirs = _l1_model("sklearn-saga", C)
        _fit(_l1_model("fastlr-prox-newton", C).set_params(max_iter=2), self.X, self.y)

    def track_l1_fit_fraction_of_saga(self, size):
        return _fraction(self.ours, self.theirs, self.X, self.y)
