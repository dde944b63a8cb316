"""fastlr.LogisticRegression: scikit-learn's estimator checks, and scikit-learn's optimum."""

from __future__ import annotations

import json
import re
import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.datasets import load_breast_cancer  # noqa: E402
from sklearn.linear_model import LogisticRegression as SklearnLogisticRegression  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

import fastlr  # noqa: E402
from fastlr import LogisticRegression  # noqa: E402


def _estimators():
    return [LogisticRegression(kernel=name) for name in fastlr.available_kernels() if name != "python"] + [
        LogisticRegression(kernel="python", max_iter=50)
    ]


@pytest.fixture(autouse=True)
def _quiet_convergence():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fastlr.ConvergenceWarning)
        yield


@parametrize_with_checks(_estimators())
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def breast_cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.mark.parametrize("kernel", [k for k in ("numpy", "numba") if k in fastlr.available_kernels()])
def test_gradient_descent_matches_sklearn_on_breast_cancer(breast_cancer, kernel):
    X, y = breast_cancer
    C = 1.0 / (0.01 * X.shape[0])
    expected = SklearnLogisticRegression(C=C, tol=1e-12, max_iter=10_000).fit(X, y)
    model = LogisticRegression(kernel=kernel, C=C, solver="gd", max_iter=20_000, tol=1e-9).fit(X, y)
    np.testing.assert_allclose(model.coef_, expected.coef_, rtol=1e-4)
    np.testing.assert_allclose(model.intercept_, expected.intercept_, rtol=1e-4)
    assert model.n_iter_ < 20_000
    assert np.all(np.diff(model.loss_curve_) <= 1e-15)  # learning_rate="auto": the cost never rises


def test_string_labels_and_probabilities():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 3))
    y = np.where(X[:, 0] + 0.1 * rng.standard_normal(60) > 0, "spam", "ham")
    model = LogisticRegression(C=0.2).fit(X, y)
    assert model.classes_.tolist() == ["ham", "spam"]
    assert set(model.predict(X)) <= {"ham", "spam"}
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(np.log(proba), model.predict_log_proba(X), atol=1e-12)
    assert model.score(X, y) > 0.9


def test_class_weight_is_sample_weight(breast_cancer):
    X, y = breast_cancer
    weighted = LogisticRegression(C=0.2, class_weight={0: 3.0, 1: 1.0}, max_iter=200).fit(X, y)
    by_samples = LogisticRegression(C=0.2, max_iter=200).fit(X, y, sample_weight=np.where(y == 0, 3.0, 1.0))
    np.testing.assert_allclose(weighted.coef_, by_samples.coef_, rtol=1e-12)


def test_warm_start_continues(breast_cancer):
    X, y = breast_cancer
    once = LogisticRegression(C=0.2, solver="gd", max_iter=300, tol=0.0).fit(X, y)
    twice = LogisticRegression(C=0.2, solver="gd", max_iter=150, tol=0.0, warm_start=True)
    twice.fit(X, y).fit(X, y)
    np.testing.assert_allclose(twice.coef_, once.coef_, rtol=1e-10)


def test_lbfgs_warm_start_from_the_optimum_stops_at_once(breast_cancer):
    X, y = breast_cancer
    model = LogisticRegression(C=0.2, warm_start=True).fit(X, y)
    first = model.n_iter_
    model.fit(X, y)
    assert first > 5 and model.n_iter_ <= 1


def test_no_copy_of_X_for_the_kernels(breast_cancer):
    """The kernels get X.T as a view of the caller's array."""
    X, y = breast_cancer
    seen = []

    def spy(w, b, X_kernel, y_kernel, alpha, sample_weight):
        seen.append(X_kernel)
        return fastlr.get_kernel("numpy").gradient(w, b, X_kernel, y_kernel, alpha, sample_weight)

    LogisticRegression(kernel=fastlr.Kernel("spy", spy), max_iter=2).fit(X, y)
    assert seen and all(np.shares_memory(X_kernel, X) for X_kernel in seen)


def test_save_and_load_round_trip(tmp_path, breast_cancer):
    X, y = breast_cancer
    model = LogisticRegression(C=0.2, max_iter=100).fit(X, y)
    model.save(tmp_path / "model.json")
    loaded = LogisticRegression.load(tmp_path / "model.json")
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert loaded.get_params() == model.get_params()
    assert loaded.n_iter_ == model.n_iter_


def _saved(tmp_path, breast_cancer, dtype=np.float64):
    X, y = breast_cancer
    model = LogisticRegression(C=0.2, max_iter=100).fit(X.astype(dtype), y)
    path = tmp_path / "model.json"
    model.save(path)
    return path, json.loads(path.read_text())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["coef"].__setitem__(0, float("nan")), "'coef' must hold finite numbers; got nan"),
        (lambda d: d.__setitem__("intercept", None), "'intercept' must be a number; got None"),
        (lambda d: d.__setitem__("classes", [1, 1]), "'classes' must be a list of two or more distinct labels"),
        (lambda d: d.__setitem__("classes", [0, 1, 2]), "'coef' must be 3 lists of the same non-zero length, one per class"),
        (lambda d: d.__setitem__("dtype", "int8"), "'dtype' must be one of 'float32', 'float64'; got 'int8'"),
        (lambda d: d.__setitem__("dtype", "float32"), "which float32 cannot store exactly"),
        (lambda d: d.pop("coef"), "missing key 'coef'"),
        (lambda d: d.pop("params"), "missing key 'params'"),
        (lambda d: d.__setitem__("feature_names", ["a"]), "'feature_names' must be 30 strings"),
        (lambda d: d.__setitem__("n_iter", -1), "'n_iter' must be an integer from 0 to 2147483647; got -1"),
        (lambda d: d.__setitem__("n_iter", 2**40), "'n_iter' must be an integer from 0 to 2147483647"),
        (lambda d: d["coef"].__setitem__(0, 10**400), "'coef' must hold finite numbers; got 1000000"),
        (lambda d: d.__setitem__("intercept", 10**400), "'intercept' must hold finite numbers"),
        (lambda d: d.__setitem__("classes", [float("inf"), 1]), "'classes' must be a list of two or more "
                                                                "distinct labels (strings or finite numbers)"),
        (lambda d: d.__setitem__("loss_curve", [float("nan")]), "'loss_curve' must be a list of finite numbers"),
        (lambda d: d["params"].__setitem__("class_weight", {"__items__": [[[0], 1.0, 2]]}),
         "'params' cannot be read back"),
    ],
)
def test_load_refuses_a_damaged_file(tmp_path, breast_cancer, change, message):
    path, data = _saved(tmp_path, breast_cancer)
    change(data)
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match=re.escape(message)):
        LogisticRegression.load(path)
    with pytest.raises(ValueError, match=re.escape(message)):
        LogisticRegression.from_dict(data)


def test_load_keeps_float32_coefficients_exactly(tmp_path, breast_cancer):
    path, _ = _saved(tmp_path, breast_cancer, np.float32)
    loaded = LogisticRegression.load(path)
    assert loaded.coef_.dtype == np.float32
