"""scikit-learn's own ``LogisticRegression`` tests, run against ``fastlr.LogisticRegression``.

scikit-learn ships ``sklearn/linear_model/tests/test_logistic.py`` in its
wheel. This module imports it with ``sklearn.linear_model.LogisticRegression``
replaced by fastlr's class for the duration of the import (one import line
changed, as for a user), and collects its tests here. Only the test module's
name ``LogisticRegression`` is fastlr's: ``LogisticRegressionCV`` and the
private functions it imports stay scikit-learn's, and nothing outside this
module sees the swap.

What cannot apply is skipped, each with its reason, by two explicit lists
below: parameter values (solvers fastlr does not offer), single cases
(a test name and a parameter value) and whole tests. A skipped case reads
"fastlr: <reason>" in pytest's report (``-rs``).
"""

from __future__ import annotations

import importlib

import pytest

pytest.importorskip("sklearn")

import sklearn.linear_model  # noqa: E402

import fastlr  # noqa: E402

_sklearn_class = sklearn.linear_model.LogisticRegression
sklearn.linear_model.LogisticRegression = fastlr.LogisticRegression
try:
    _suite = importlib.import_module("sklearn.linear_model.tests.test_logistic")
finally:
    sklearn.linear_model.LogisticRegression = _sklearn_class

globals().update({name: value for name, value in vars(_suite).items() if name.startswith("test_")})


# Warnings as scikit-learn's tests meet them: shown, not raised (this project
# turns every warning into an error). Its tests that care about a warning
# assert it with pytest.warns or their own filters, which still apply.
pytestmark = pytest.mark.filterwarnings("default")


@pytest.fixture
def global_random_seed():
    """scikit-learn's default seed (its conftest parametrises this from an environment variable)."""
    return 42


#: Parameter values fastlr cannot take, with the reason; a case with any of them is skipped.
SKIPPED_VALUES = {
    "liblinear": "scikit-learn's liblinear solver (fastlr has lbfgs, newton-cholesky, gd and "
                 "prox-newton, also named saga)",
    "newton-cg": "scikit-learn's newton-cg solver (fastlr has lbfgs, newton-cholesky, gd and "
                 "prox-newton, also named saga)",
    "sag": "scikit-learn's sag solver (fastlr has lbfgs, newton-cholesky, gd and prox-newton, "
           "also named saga)",
}

#: Single cases, by test name and a parameter value, with the reason.
SKIPPED_CASES = {
    ("test_large_sparse_matrix", "saga"):
        "asserts that scikit-learn's saga refuses int64 sparse indices; fastlr's saga "
        "(prox-newton) takes them",
}

#: Whole tests that cannot apply, by name (parametrised ones: all their cases), with the reason.
_SOLVERS_INSIDE = "runs scikit-learn solvers fastlr does not have ({}) within the test"
SKIPPED_TESTS = {
    # scikit-learn's experimental callbacks API (sklearn.callback): not adopted
    "test_logistic_regression_callback_fitted_estimator": "scikit-learn's experimental callbacks",
    "test_logistic_regression_callback_support": "scikit-learn's experimental callbacks",
    "test_logistic_regression_callback_support_warning": "scikit-learn's experimental callbacks",
    # multiclass tests that cannot apply for another reason
    "test_logistic_cv_multinomial_score":
        "passes the estimator's get_params() (fastlr's kernel=, learning_rate=) to scikit-learn's "
        "private _log_reg_scoring_path",
    "test_logreg_l1": _SOLVERS_INSIDE.format("liblinear"),
    "test_saga_vs_liblinear": _SOLVERS_INSIDE.format("liblinear"),
    "test_logistic_regression_class_weights": _SOLVERS_INSIDE.format("newton-cg, sag"),
    # other solvers used inside the test body
    "test_check_solver_option": _SOLVERS_INSIDE.format("liblinear, newton-cg, sag"),
    "test_consistency_path": _SOLVERS_INSIDE.format("sag, newton-cg, liblinear"),
    "test_scores_attribute_layout_elasticnet":
        "compares scikit-learn's own LogisticRegressionCV (its saga, stopped at tol=1e-3 and "
        "max_iter=250) with LogisticRegression's scores to rel 1e-3: a comparison of two solvers' "
        "stopping points (at tol=1e-8 both give the same scores)",
    "test_logistic_regression_solvers_multiclass": _SOLVERS_INSIDE.format("all of them") + "; multiclass",
    "test_logistic_regression_solvers_multiclass_unpenalized":
        _SOLVERS_INSIDE.format("all of them") + "; multiclass",
    "test_warm_start_converge_LR": _SOLVERS_INSIDE.format("sag"),
    "test_single_feature_newton_cg": _SOLVERS_INSIDE.format("newton-cg"),
    "test_logistic_cv": _SOLVERS_INSIDE.format("liblinear"),
    "test_logistic_regression_solvers": _SOLVERS_INSIDE.format("liblinear, newton-cg, sag"),
    "test_logisticregression_liblinear_sample_weight": _SOLVERS_INSIDE.format("liblinear"),
    "test_sample_and_class_weight_equivalence_liblinear": _SOLVERS_INSIDE.format("liblinear"),
    "test_liblinear_decision_function_zero": _SOLVERS_INSIDE.format("liblinear"),
    "test_liblinear_dual_random_state": _SOLVERS_INSIDE.format("liblinear"),
    "test_liblinear_multiclass_raises": _SOLVERS_INSIDE.format("liblinear"),
    "test_liblinear_not_stuck": _SOLVERS_INSIDE.format("liblinear"),
    "test_liblinear_with_large_values": _SOLVERS_INSIDE.format("liblinear"),
}

def _skip_reason(item) -> str | None:
    name = item.originalname if hasattr(item, "originalname") else item.name
    if name in SKIPPED_TESTS:
        return SKIPPED_TESTS[name]
    params = getattr(getattr(item, "callspec", None), "params", {})
    for value in params.values():
        if isinstance(value, str) and value in SKIPPED_VALUES:
            return SKIPPED_VALUES[value]
        if isinstance(value, str) and (name, value) in SKIPPED_CASES:
            return SKIPPED_CASES[name, value]
    return None


@pytest.fixture(autouse=True)
def _only_what_fastlr_offers(request):
    reason = _skip_reason(request.node)
    if reason is not None:
        pytest.skip(f"fastlr: {reason}")
