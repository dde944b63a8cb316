"""``fastlr.LogisticRegression`` on more than two classes: scikit-learn's multinomial fit, same optimum.

scikit-learn 1.9's ``lbfgs`` fits K > 2 classes with the multinomial loss,
``coef_`` of shape (K, n_features); fastlr does the same, over its kernels'
multinomial op. The optimum is compared as the math defines it: the same
objective (scikit-learn's own loss object evaluates both), and coefficients
equal where the problem is well conditioned.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")

from sklearn.datasets import load_digits, load_iris  # noqa: E402
from sklearn.linear_model import LogisticRegression as SklearnLogisticRegression  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import fastlr  # noqa: E402
from fastlr import LogisticRegression  # noqa: E402

FITTING_KERNELS = [k for k in fastlr.available_kernels() if k not in ("python", "partial")]


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _objective(model, X, y, C, sample_weight=None):
    """scikit-learn's multinomial objective at a model's coefficients, as its lbfgs scales it."""
    s = np.ones(len(y)) if sample_weight is None else sample_weight
    Z = X @ model.coef_.T + model.intercept_
    Z = Z - Z.max(axis=1, keepdims=True)
    log_p = Z - np.log(np.exp(Z).sum(axis=1, keepdims=True))
    index = np.searchsorted(model.classes_, y)
    loss = -log_p[np.arange(len(y)), index]
    return float(s @ loss) / s.sum() + float((model.coef_ ** 2).sum()) / (2 * C * s.sum())


@pytest.mark.parametrize("kernel", FITTING_KERNELS)
@pytest.mark.parametrize("C", [1.0, 0.1])
def test_iris_matches_scikit_learn(iris, kernel, C):
    X, y = iris
    ours = LogisticRegression(C=C, tol=1e-10, max_iter=1000, kernel=kernel).fit(X, y)
    theirs = SklearnLogisticRegression(C=C, tol=1e-10, max_iter=1000).fit(X, y)
    assert ours.coef_.shape == (3, 4) and ours.intercept_.shape == (3,)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-8)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, atol=1e-8)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-8)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))


@pytest.mark.parametrize("kernel", FITTING_KERNELS)
def test_digits_reaches_scikit_learns_optimum(digits, kernel):
    X, y = digits
    C = 0.1
    ours = LogisticRegression(C=C, tol=1e-8, max_iter=2000, kernel=kernel).fit(X, y)
    theirs = SklearnLogisticRegression(C=C, tol=1e-8, max_iter=2000).fit(X, y)
    assert ours.coef_.shape == (10, 64)
    assert _objective(ours, X, y, C) == pytest.approx(_objective(theirs, X, y, C), rel=1e-10)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-6)
    assert (ours.predict(X) == theirs.predict(X)).mean() == 1.0


def test_probabilities_sum_to_one_and_logs_agree(iris):
    X, y = iris
    model = LogisticRegression(C=1e4, max_iter=1000).fit(X, y)
    proba = model.predict_proba(X)
    assert proba.shape == (len(y), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-14)
    np.testing.assert_allclose(np.log(proba), model.predict_log_proba(X), atol=1e-10)
    np.testing.assert_array_equal(model.predict(X), model.classes_[proba.argmax(axis=1)])
    assert model.decision_function(X).shape == (len(y), 3)


def test_string_labels_and_weights(iris):
    X, y = iris
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    rng = np.random.default_rng(0)
    s = rng.random(len(y)) * 2
    ours = LogisticRegression(class_weight="balanced", tol=1e-10).fit(X, names, sample_weight=s)
    theirs = SklearnLogisticRegression(class_weight="balanced", tol=1e-10).fit(X, names,
                                                                                sample_weight=s)
    assert ours.classes_.tolist() == ["setosa", "versicolor", "virginica"]
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-8)
    assert set(ours.predict(X)) <= set(names)


def test_without_intercept(iris):
    X, y = iris
    ours = LogisticRegression(fit_intercept=False, tol=1e-10).fit(X, y)
    theirs = SklearnLogisticRegression(fit_intercept=False, tol=1e-10).fit(X, y)
    np.testing.assert_array_equal(ours.intercept_, np.zeros(3))
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-8)


def test_warm_start_starts_from_the_last_fit(iris):
    X, y = iris
    model = LogisticRegression(warm_start=True, tol=1e-8).fit(X, y)
    again = model.fit(X, y)
    assert again.n_iter_[0] <= 2


def test_float32_stays_float32(iris):
    X, y = iris
    model = LogisticRegression().fit(X.astype(np.float32), y)
    assert model.coef_.dtype == np.float32 and model.intercept_.dtype == np.float32


def test_gradient_descent_solver(iris):
    X, y = iris
    ours = LogisticRegression(solver="gd", tol=1e-7, max_iter=50_000).fit(X, y)
    theirs = SklearnLogisticRegression(tol=1e-10).fit(X, y)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-4)


def test_save_and_load(iris, tmp_path):
    X, y = iris
    model = LogisticRegression().fit(X, y)
    path = tmp_path / "iris.json"
    model.save(path)
    loaded = LogisticRegression.load(path)
    np.testing.assert_array_equal(loaded.coef_, model.coef_)
    np.testing.assert_array_equal(loaded.intercept_, model.intercept_)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_a_malformed_multiclass_file_is_named(iris):
    X, y = iris
    data = LogisticRegression().fit(X, y).to_dict()
    data["intercept"] = data["intercept"][:2]
    with pytest.raises(ValueError, match=re.escape("'intercept' must be a list of 3 numbers, one per class")):
        LogisticRegression.from_dict(data)
