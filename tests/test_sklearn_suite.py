"""scikit-learn's own ``LogisticRegression`` tests, run against ``fastlr.LogisticRegression``.

scikit-learn ships ``sklearn/linear_model/tests/test_logistic.py`` in its
wheel. This module imports it with ``sklearn.linear_model.LogisticRegression``
and ``LogisticRegressionCV`` replaced by fastlr's classes for the duration of
the import (one import line changed, as for a user), and collects its tests
here. Only the test module's names of the two estimators are fastlr's: the
private functions it imports stay scikit-learn's, and nothing outside this
module sees the swap.

What cannot apply is skipped, each with its reason, by the explicit lists
below: parameter values, single cases (a test name and a parameter value)
and whole tests. A skipped case reads
"fastlr: <reason>" in pytest's report (``-rs``).
"""

from __future__ import annotations

import importlib

import pytest

pytest.importorskip("sklearn")

import sklearn.linear_model  # noqa: E402

import fastlr  # noqa: E402

#: The names the suite imports from ``sklearn.linear_model`` that become fastlr's.
_SWAPPED = ("LogisticRegression", "LogisticRegressionCV")
_sklearn_classes = {name: getattr(sklearn.linear_model, name) for name in _SWAPPED}
for _name in _SWAPPED:
    setattr(sklearn.linear_model, _name, getattr(fastlr, _name))
try:
    _suite = importlib.import_module("sklearn.linear_model.tests.test_logistic")
finally:
    for _name, _class in _sklearn_classes.items():
        setattr(sklearn.linear_model, _name, _class)

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
#: (Empty: every solver name scikit-learn takes is taken; kept for the next such value.)
SKIPPED_VALUES: dict[str, str] = {}

_INT64_INDICES = ("asserts that scikit-learn's {} refuses sparse X with int64 indices (liblinear's "
                  "and sag's C code take int32 only); fastlr takes them")
#: Single cases, by test name and a parameter value, with the reason.
SKIPPED_CASES = {
    ("test_large_sparse_matrix", solver): _INT64_INDICES.format(solver)
    for solver in ("liblinear", "sag", "saga")
}

#: Whole tests that cannot apply, by name (parametrised ones: all their cases), with the reason.
SKIPPED_TESTS = {
    "test_logistic_cv_multinomial_score":
        "passes the estimator's get_params() (fastlr's kernel=, learning_rate=) to scikit-learn's "
        "private _log_reg_scoring_path",
    "test_liblinear_dual_random_state":
        "asserts that liblinear's dual coordinate descent gives different coefficients for "
        "another random_state at tol=1e-3; fastlr's solvers are deterministic (random_state is "
        "unused) and reach the same optimum",
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
