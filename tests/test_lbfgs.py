"""solver="lbfgs": scikit-learn's optimum, its stopping rule, warnings and errors."""

from __future__ import annotations

import re
import sys
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression as SklearnLogisticRegression
from sklearn.preprocessing import StandardScaler

import fastlr


def _breast_cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _ill_conditioned(rng, m=400, n=8):
    """Features on scales from 0.01 to 100: a condition number around 1e8."""
    X = rng.standard_normal((m, n)) * np.logspace(-2, 2, n)
    y = (X @ (1.0 / np.logspace(-2, 2, n)) + 0.5 * rng.standard_normal(m) > 0).astype(int)
    return X, y


def _sklearn(X, y, C, sample_weight=None, class_weight=None):
    return SklearnLogisticRegression(C=C, tol=1e-10, max_iter=100_000, class_weight=class_weight).fit(
        X, y, sample_weight=sample_weight)


def _assert_same_optimum(model, expected):
    scale = np.abs(expected.coef_).max()
    np.testing.assert_allclose(model.coef_, expected.coef_, rtol=0, atol=1e-5 * scale)
    np.testing.assert_allclose(model.intercept_, expected.intercept_, rtol=1e-5, atol=1e-5 * scale)


def test_breast_cancer_matches_sklearn(kernel):
    X, y = _breast_cancer()
    C = 1.0
    expected = _sklearn(X, y, C)
    model = fastlr.LogisticRegression(kernel=kernel, C=C, tol=1e-10,
                                      max_iter=100_000).fit(X, y)
    _assert_same_optimum(model, expected)
    assert model.n_iter_ == pytest.approx(expected.n_iter_[0], abs=2)  # the same method and rule


def _objective(X, y, coef, intercept, alpha, sample_weight=None):
    """The weighted mean log-loss plus ``alpha/2 ||coef||^2``, in float64, stably."""
    s = np.ones(X.shape[0]) if sample_weight is None else sample_weight
    z = X @ np.ravel(coef) + float(np.ravel(intercept)[0])
    loss = np.logaddexp(0.0, z) - y * z
    return float((s * loss).sum() / s.sum() + 0.5 * alpha * np.dot(np.ravel(coef), np.ravel(coef)))


def _assert_same_objective(model, expected, X, y, alpha, sample_weight=None):
    """What the optimum guarantees: the same objective value, to rounding of the stopping rule.

    On an ill-conditioned problem both optimisers may stop on L-BFGS-B's
    relative-reduction test before the gradient test, so their coefficients
    agree only as far as the objective's flatness allows; the objective
    values agree far more closely than that, whichever stops first.
    """
    ours = _objective(X, y, model.coef_, model.intercept_, alpha, sample_weight)
    theirs = _objective(X, y, expected.coef_, expected.intercept_, alpha, sample_weight)
    assert abs(ours - theirs) <= 1e-9 * abs(theirs)


def test_ill_conditioned_reaches_sklearns_objective(rng, kernel):
    X, y = _ill_conditioned(rng)
    C = 10.0
    alpha = 1 / (C * X.shape[0])
    expected = _sklearn(X, y, C)
    model = fastlr.LogisticRegression(kernel=kernel, C=C, tol=1e-10,
                                      max_iter=100_000).fit(X, y)
    _assert_same_objective(model, expected, X, y, alpha)


def test_sample_and_class_weights_reach_sklearns_objective(rng, kernel):
    X, y = _ill_conditioned(rng, m=300, n=5)
    weights = rng.random(X.shape[0]) * 2
    class_weight = {0: 1.0, 1: 3.0}
    C = 1.0
    expected = _sklearn(X, y, C, sample_weight=weights, class_weight=class_weight)
    combined = weights * np.where(y == 1, 3.0, 1.0)
    alpha = 1 / (C * float(combined.sum()))
    model = fastlr.LogisticRegression(kernel=kernel, C=C, tol=1e-10, max_iter=100_000,
                                      class_weight=class_weight).fit(X, y, sample_weight=weights)
    _assert_same_objective(model, expected, X, y, alpha, combined)


def test_train_result():
    X, y = _breast_cancer()
    seen = []
    result = fastlr.train(X.T, y, alpha=0.01, solver="lbfgs", tol=1e-8,
                          callback=lambda k, w, b, cost: seen.append((k, w.dtype, cost)))
    assert result.solver == "lbfgs" and result.converged
    assert result.costs.shape == (result.n_iter + 1,)
    assert np.all(np.diff(result.costs) <= 1e-15)  # a line search never accepts a rise
    assert [k for k, _, _ in seen] == list(range(1, result.n_iter + 1))
    assert [cost for _, _, cost in seen] == list(result.costs[1:])
    dw, db, _ = fastlr.gradient(result.w, result.b, X.T, y, alpha=0.01)
    assert max(np.abs(dw).max(), abs(db)) <= 1e-8  # tol means the largest gradient component


def test_float32_runs_the_kernel_in_float32_without_a_copy(rng):
    X, y = _ill_conditioned(rng, m=300, n=4)
    X32 = np.ascontiguousarray(X, dtype=np.float32)
    seen = []

    def spy(w, b, X_kernel, y_kernel, alpha, sample_weight):
        seen.append((w.dtype, X_kernel.dtype, np.shares_memory(X_kernel, X32)))
        return fastlr.get_kernel("numpy").gradient(w, b, X_kernel, y_kernel, alpha, sample_weight)

    model = fastlr.LogisticRegression(kernel=fastlr.Kernel("spy", spy), C=0.3, tol=1e-4).fit(X32, y)
    float32 = np.dtype(np.float32)
    assert seen and set(seen) == {(float32, float32, True)}
    assert model.coef_.dtype == np.float32
    reference = fastlr.LogisticRegression(C=0.3, tol=1e-8).fit(X, y)
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=1e-3, atol=1e-3)


def test_max_iter_warns_and_reports_not_converged(rng):
    X, y = _ill_conditioned(rng)
    with pytest.warns(fastlr.ConvergenceWarning, match=r"lbfgs failed to converge after 2 iteration\(s\) \(max_iter=2,"):
        result = fastlr.train(X.T, y, solver="lbfgs", max_iter=2)
    assert not result.converged and result.n_iter == 2


def test_unknown_solver():
    with pytest.raises(ValueError, match=re.escape(
            "solver must be one of 'lbfgs', 'newton-cholesky', 'newton-cg', 'gd', 'prox-newton'; got 'sgd'")):
        fastlr.train(np.eye(2), np.array([0.0, 1.0]), solver="sgd")


def test_without_scipy_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "scipy.optimize", None)
    with pytest.raises(ImportError, match=re.escape("solver='lbfgs' needs scipy; install it with `pip install scipy`")):
        fastlr.train(np.eye(2), np.array([0.0, 1.0]), solver="lbfgs")
    monkeypatch.setitem(sys.modules, "scipy.linalg", None)
    with pytest.raises(ImportError, match=re.escape(
            "solver='newton-cholesky' needs scipy; install it with `pip install scipy`")):
        fastlr.train(np.eye(2), np.array([0.0, 1.0]), solver="newton-cholesky")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert fastlr.train(np.eye(2), np.array([0.0, 1.0]), max_iter=3).solver == "gd"


def test_non_finite_X_is_named(rng):
    X = rng.standard_normal((3, 20))
    X[1, 4] = np.nan
    with pytest.raises(ValueError, match="^X contains NaN or infinity"):
        fastlr.train(X, (rng.random(20) < 0.5).astype(float), solver="lbfgs")


def test_one_kernel_call_per_function_evaluation(monkeypatch):
    """Cost and gradient come from one call; the start is evaluated once, not twice."""
    from fastlr import _lbfgs

    X, y = _breast_cancer()
    calls = []
    evaluations = []
    original = _lbfgs.lbfgsb

    def counting(w, b, X_kernel, y_kernel, alpha, sample_weight):
        calls.append(1)
        return fastlr.get_kernel("numpy").gradient(w, b, X_kernel, y_kernel, alpha, sample_weight)

    def spy_lbfgsb(fun, x0, **options):
        result = original(fun, x0, **options)
        evaluations.append(result.nfev)
        return result

    monkeypatch.setattr(_lbfgs, "lbfgsb", spy_lbfgsb)
    fastlr.train(X.T, y, kernel=fastlr.Kernel("counting", counting), alpha=0.01, solver="lbfgs")
    assert evaluations and len(calls) == evaluations[0]
