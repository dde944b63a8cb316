"""fastlr.LogisticRegression takes scikit-learn 1.9's parameters, with their defaults and meaning.

Each test sets the same parameters on both classes and checks that fastlr
reaches scikit-learn's optimum (coefficients to 1e-6 relative: the same
L-BFGS run on the same objective), or refuses what it cannot honour with
a message naming what it supports.
"""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.datasets import load_breast_cancer  # noqa: E402
from sklearn.linear_model import LogisticRegression as Sklearn  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import fastlr  # noqa: E402
from fastlr import LogisticRegression  # noqa: E402


@pytest.fixture(scope="module")
def data():
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def test_constructor_is_sklearns_plus_kernel():
    ours = inspect.signature(LogisticRegression).parameters
    theirs = inspect.signature(Sklearn).parameters
    for name, parameter in theirs.items():
        assert name in ours, name
        assert ours[name].default == parameter.default, name
        assert ours[name].kind == parameter.kind, name
    assert set(ours) - set(theirs) == {"kernel", "learning_rate"}


@pytest.mark.parametrize("params", [
    {},
    {"C": 0.05},
    {"C": 20.0, "tol": 1e-8, "max_iter": 1000},
    {"fit_intercept": False},
    {"class_weight": "balanced"},
    {"class_weight": {0: 2.0, 1: 0.5}},
], ids=repr)
def test_same_optimum_as_sklearn(data, params, kernel):
    X, y = data
    if kernel == "python":
        X, y = X[::8], y[::8]
    expected = Sklearn(**params).fit(X, y)
    model = LogisticRegression(kernel=kernel, **params).fit(X, y)
    weights = np.ones(y.size)
    if params.get("class_weight") is not None:
        weights = _class_weights(params["class_weight"], y)
    C = params.get("C", 1.0)
    assert _objective(model, X, y, weights, C) == pytest.approx(_objective(expected, X, y, weights, C),
                                                               rel=1e-9)
    # both stop at a gradient <= tol; the coefficients then agree to what conditioning allows
    np.testing.assert_allclose(model.coef_, expected.coef_, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(model.intercept_, expected.intercept_, rtol=1e-4, atol=1e-5)
    assert model.n_iter_.shape == (1,) and model.n_iter_.dtype == np.int32
    assert abs(int(model.n_iter_[0]) - int(expected.n_iter_[0])) <= 2


def _class_weights(class_weight, y):
    from sklearn.utils.class_weight import compute_sample_weight

    return compute_sample_weight(class_weight, y)


def _objective(model, X, y, weights, C):
    """scikit-learn's lbfgs objective: weighted mean log-loss + ||coef||^2 / (2 C sum(weights))."""
    z = X @ model.coef_[0] + model.intercept_[0]
    loss = np.logaddexp(0.0, z) - y * z
    return float(weights @ loss / weights.sum() + model.coef_[0] @ model.coef_[0] / (2 * C * weights.sum()))


def test_balanced_with_sample_weight_uses_weighted_class_totals(data, rng):
    X, y = data
    weights = rng.random(y.size) * np.where(y == 1, 3.0, 1.0)
    expected = Sklearn(class_weight="balanced").fit(X, y, sample_weight=weights)
    model = LogisticRegression(class_weight="balanced").fit(X, y, sample_weight=weights)
    np.testing.assert_allclose(model.coef_, expected.coef_, rtol=1e-6)


def test_unpenalised_fit_reaches_a_zero_gradient(rng):
    """``C=np.inf`` fits no penalty: Newton's steps reach a zero gradient of the plain loss
    (any penalty would leave ``alpha w`` there). L-BFGS-B may stop earlier, where the cost no
    longer changes in float64 (its ftol stop, which scikit-learn also counts as converged):
    with the cost ~0.44 and the Hessian's eigenvalues below 1 that allows a gradient of about
    ``sqrt(2 * 0.44 * 64 eps)`` ~ 1e-7 (seen: 1e-12 to 4e-9 by seed), so lbfgs is checked
    against that bound and against Newton's coefficients."""
    X = rng.standard_normal((300, 3))
    y = (X @ [1.0, -2.0, 0.5] + rng.logistic(size=300) > 0).astype(int)

    def largest_gradient(model):
        dw, db, _ = fastlr.gradient(model.coef_[0], model.intercept_[0], X.T, y.astype(float),
                                    kernel="numpy")
        return max(np.abs(dw).max(), abs(db))

    newton = LogisticRegression(C=np.inf, solver="newton-cholesky", tol=1e-12).fit(X, y)
    assert largest_gradient(newton) <= 1e-11
    lbfgs = LogisticRegression(C=np.inf, tol=1e-10).fit(X, y)
    assert largest_gradient(lbfgs) <= 1e-7
    np.testing.assert_allclose(lbfgs.coef_, newton.coef_, rtol=1e-6)
    np.testing.assert_allclose(lbfgs.intercept_, newton.intercept_, rtol=1e-6, atol=1e-9)


def test_penalty_is_deprecated_as_in_sklearn(data):
    X, y = data
    with pytest.warns(FutureWarning, match="'penalty' was deprecated in version 1.8"):
        with_penalty = LogisticRegression(penalty=None).fit(X[:100], y[:100])
    unpenalised = LogisticRegression(C=np.inf).fit(X[:100], y[:100])
    np.testing.assert_array_equal(with_penalty.coef_, unpenalised.coef_)


@pytest.mark.parametrize(("params", "error", "message"), [
    ({"solver": "sag", "l1_ratio": 1.0}, ValueError, "Solver sag supports only 'l2' or None "
                                                     "penalties, got l1 penalty"),
    ({"solver": "newton-cg", "dual": True}, ValueError, "Solver newton-cg supports only dual=False"),
    ({"solver": "liblinear", "l1_ratio": 0.5}, ValueError,
     "Only 'saga' solver supports elasticnet penalty, got solver=liblinear."),
    ({"solver": "liblinear", "C": np.inf}, ValueError,
     "C=np.inf as well as penalty=None is not supported for the liblinear solver"),
    ({"solver": "liblinear", "dual": True, "l1_ratio": 1.0}, ValueError,
     "Unsupported set of arguments: The combination of penalty='l1' and "
     "loss='logistic_regression' are not supported when dual=True"),
    ({"solver": "adam"}, ValueError, "The 'solver' parameter of LogisticRegression must be"),
    ({"l1_ratio": 0.5}, ValueError, "Solver lbfgs supports only 'l2' or None penalties, got "
                                    "elasticnet penalty. fastlr's solver='prox-newton' (or 'saga') "
                                    "fits L1 and elastic net"),
    ({"l1_ratio": 1.0}, ValueError, "got l1 penalty"),
    ({"dual": True}, ValueError, "Solver lbfgs supports only dual=False, got dual=True"),
    ({"C": 0.0}, ValueError, "The 'C' parameter of LogisticRegression must be a float in the range (0.0, inf]"),
    ({"max_iter": -1}, ValueError, "The 'max_iter' parameter"),
    ({"learning_rate": 0.0}, ValueError, "The 'learning_rate' parameter"),
    ({"kernel": "fortran"}, ValueError, "unknown kernel 'fortran'"),
])
def test_what_fastlr_cannot_honour_is_refused(data, params, error, message):
    X, y = data
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")
                       .replace("]", r"\]")):
        LogisticRegression(**params).fit(X, y)


def test_n_jobs_warns_as_in_sklearn_and_random_state_is_ignored(data):
    X, y = data
    with pytest.warns(FutureWarning, match="'n_jobs' has no effect"):
        with_jobs = LogisticRegression(n_jobs=2).fit(X, y)
    seeded = LogisticRegression(random_state=0).fit(X, y)
    np.testing.assert_array_equal(with_jobs.coef_, seeded.coef_)


def test_max_iter_zero_returns_the_start(data):
    X, y = data
    with pytest.warns(fastlr.ConvergenceWarning, match="lbfgs failed to converge after 0 iteration"):
        model = LogisticRegression(max_iter=0).fit(X, y)
    assert not model.coef_.any() and model.intercept_.tolist() == [0.0] and model.n_iter_.tolist() == [0]


def test_convergence_warning_text(data):
    X, y = data
    with pytest.warns(fastlr.ConvergenceWarning, match="lbfgs failed to converge after 2 iteration"):
        LogisticRegression(max_iter=2).fit(X, y)


def test_float32_input_gives_float32_coefficients(data):
    X, y = data
    model = LogisticRegression(tol=1e-6).fit(X.astype(np.float32), y)
    assert model.coef_.dtype == np.float32 and model.intercept_.dtype == np.float32
    reference = LogisticRegression(tol=1e-6).fit(X, y)
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=1e-3, atol=1e-3)


def test_inputs_are_not_modified(data, rng):
    X, y = data
    X, y = X.copy(), y.copy()
    weights = rng.random(y.size)
    copies = X.copy(), y.copy(), weights.copy()
    LogisticRegression(class_weight="balanced").fit(X, y, sample_weight=weights)
    for before, after in zip(copies, (X, y, weights)):
        np.testing.assert_array_equal(before, after)


def test_grid_search_over_C(data):
    X, y = data
    search = GridSearchCV(LogisticRegression(), {"C": [0.01, 1.0, 100.0]}, cv=3).fit(X, y)
    expected = GridSearchCV(Sklearn(), {"C": [0.01, 1.0, 100.0]}, cv=3).fit(X, y)
    assert search.best_params_ == expected.best_params_
    np.testing.assert_allclose(search.cv_results_["mean_test_score"],
                               expected.cv_results_["mean_test_score"])


def test_sparsify_and_densify(data):
    X, y = data
    model = LogisticRegression(C=0.001).fit(X, y)
    dense = model.decision_function(X)
    model.sparsify()
    assert hasattr(model.coef_, "toarray")
    np.testing.assert_allclose(model.decision_function(X), dense)
    np.testing.assert_allclose(model.predict_proba(X)[:, 1], 1 / (1 + np.exp(-dense)))
    model.densify()
    assert isinstance(model.coef_, np.ndarray)


def test_warm_start_without_intercept_keeps_it_at_zero(data):
    X, y = data
    model = LogisticRegression(warm_start=True, fit_intercept=False, max_iter=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fastlr.ConvergenceWarning)
        model.fit(X, y)
        model.fit(X, y)
    assert model.intercept_.tolist() == [0.0]
    expected = Sklearn(fit_intercept=False, tol=1e-10, max_iter=1000).fit(X, y)
    model.set_params(tol=1e-10, max_iter=1000).fit(X, y)
    np.testing.assert_allclose(model.coef_, expected.coef_, rtol=1e-5, atol=1e-6)
