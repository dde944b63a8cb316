"""Every ``solver=`` name scikit-learn takes: each reaches the optimum of the problem its name solves.

``newton-cg`` and ``sag`` solve lbfgs's problem, ``saga`` adds L1 and
elastic net, ``liblinear`` penalises the intercept as the coefficient of a
constant feature (``fastlr._solvers.SKLEARN_NAMES``). Checked against the
math (the objective at fastlr's point is no worse than at scikit-learn's,
and the gradient or optimality violation is small) and against scikit-learn's
solver of the same name at a tight tolerance.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse
from scipy.special import expit

sklearn = pytest.importorskip("sklearn")
from sklearn.datasets import load_breast_cancer, load_iris  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import LogisticRegression as SklearnLogisticRegression  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from fastlr import LogisticRegression  # noqa: E402
from fastlr._solvers import NEWTON_SIDE_LIMIT, SKLEARN_NAMES  # noqa: E402

NAMES = [name.name for name in SKLEARN_NAMES]
SKLEARN_ONLY = ["newton-cg", "sag", "saga", "liblinear"]


@pytest.fixture(scope="module")
def binary():
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X)[::2], y[::2]


def _liblinear_objective(coef, intercept, X, y, C, scaling, l1):
    """liblinear's objective: C sum(loss) + penalty over [coef, intercept / scaling]."""
    w = np.append(coef.ravel(), intercept[0] / scaling)
    z = X @ coef.ravel() + intercept[0]
    loss = np.logaddexp(0, -np.where(y == 1, 1, -1) * z).sum()
    return C * loss + (np.abs(w).sum() if l1 else 0.5 * w @ w)


def _objective(coef, intercept, X, y, C, l1_ratio):
    """scikit-learn's lbfgs/saga objective of a binary fit, times C: C sum(loss) + penalty."""
    z = X @ coef.ravel() + intercept[0]
    loss = np.logaddexp(0, -np.where(y == 1, 1, -1) * z).sum()
    w = coef.ravel()
    return C * loss + l1_ratio * np.abs(w).sum() + (1 - l1_ratio) / 2 * w @ w


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("l1_ratio", [0.0, 1.0])
@pytest.mark.parametrize("name", SKLEARN_ONLY)
def test_each_name_reaches_its_own_solvers_optimum(binary, name, l1_ratio, sparse):
    X, y = binary
    if l1_ratio and name in ("newton-cg", "sag"):
        pytest.skip("refused, as scikit-learn refuses it (tested below)")
    params = dict(solver=name, l1_ratio=l1_ratio, C=0.5, tol=1e-10, max_iter=100_000)
    if name == "liblinear":
        params["intercept_scaling"] = 2.0
    Xf = scipy.sparse.csr_array(X) if sparse else X
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # sag/saga's slow tails
        ours = LogisticRegression(**params).fit(Xf, y)
        theirs = SklearnLogisticRegression(**params).fit(X, y)
    if name == "liblinear":
        f = _liblinear_objective(ours.coef_, ours.intercept_, X, y, 0.5, 2.0, l1_ratio)
        reference = _liblinear_objective(theirs.coef_, theirs.intercept_, X, y, 0.5, 2.0, l1_ratio)
    else:
        f = _objective(ours.coef_, ours.intercept_, X, y, 0.5, l1_ratio)
        reference = _objective(theirs.coef_, theirs.intercept_, X, y, 0.5, l1_ratio)
    assert f <= reference * (1 + 1e-9)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=2e-4 if name in ("sag", "saga") else 1e-5)
    if l1_ratio:  # the same support
        np.testing.assert_array_equal(ours.coef_ != 0, np.abs(theirs.coef_) > 1e-8)


def test_liblinear_penalises_the_intercept(binary):
    """A small intercept_scaling makes the intercept expensive: it shrinks towards 0, as in liblinear."""
    X, y = binary
    y = np.where(np.arange(y.size) % 7 == 0, 1, y)  # an intercept worth having
    free = LogisticRegression(solver="lbfgs", tol=1e-10).fit(X, y).intercept_[0]
    small = LogisticRegression(solver="liblinear", intercept_scaling=0.1, tol=1e-10).fit(X, y)
    large = LogisticRegression(solver="liblinear", intercept_scaling=100.0, tol=1e-10).fit(X, y)
    assert abs(small.intercept_[0]) < abs(large.intercept_[0])
    assert large.intercept_[0] == pytest.approx(free, rel=1e-3)
    # the gradient of liblinear's objective at the fit is ~0 (with the constant feature)
    Xa = np.hstack([X, np.full((X.shape[0], 1), 0.1)])
    w = np.append(small.coef_.ravel(), small.intercept_[0] / 0.1)
    gradient = w + Xa.T @ (expit(Xa @ w) - y)
    assert np.abs(gradient).max() < 1e-6 * np.abs(Xa.T @ (0.5 - y)).max()


def test_liblinear_as_scikit_learn_refuses_and_casts(binary):
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match="The 'liblinear' solver does not support multiclass"):
        LogisticRegression(solver="liblinear").fit(X, y)
    Xb, yb = binary
    big = Xb.copy()
    big[0, 0] = 1e31
    with pytest.raises(ValueError, match="maximum value > 1e30 results in a frozen fit"):
        LogisticRegression(solver="liblinear").fit(big, yb)
    model = LogisticRegression(solver="liblinear").fit(Xb.astype(np.float32), yb)
    assert model.coef_.dtype == np.float64  # liblinear computes in float64, as scikit-learn's
    unfitted = LogisticRegression(solver="liblinear", fit_intercept=False).fit(Xb, yb)
    assert unfitted.intercept_[0] == 0 and unfitted.coef_.shape == (1, Xb.shape[1])


@pytest.mark.parametrize(("name", "words"), [
    ("newton-cg", "newton-cg failed to converge.* Increase the number of iterations"),
    ("liblinear", "Liblinear failed to converge, increase the number of iterations"),
    ("sag", "The max_iter was reached which means the coef_ did not converge"),
    ("saga", "The max_iter was reached which means the coef_ did not converge"),
    ("lbfgs", "lbfgs failed to converge"),
])
def test_convergence_warnings_in_the_words_of_the_name_given(binary, name, words):
    X, y = binary
    with pytest.warns(ConvergenceWarning, match=words):
        model = LogisticRegression(solver=name, max_iter=2, tol=1e-15).fit(X, y)
    assert model.n_iter_[0] == 2


def test_newton_cg_takes_memoryless_newton_steps(binary):
    """Two truncated Newton steps at once are one and one warm-started (no memory, unlike
    L-BFGS: each step's conjugate gradients start from 0 at the new point)."""
    X, y = binary
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        two = LogisticRegression(solver="newton-cg", max_iter=2).fit(X, y)
        warm = LogisticRegression(solver="newton-cg", max_iter=1, warm_start=True)
        warm.fit(X, y).fit(X, y)
    np.testing.assert_allclose(warm.coef_, two.coef_, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("solver", ["saga", "prox-newton"])
@pytest.mark.parametrize("C", [1.0, np.inf])
def test_k_classes_by_coordinate_steps_report_the_symmetric_solution(solver, C):
    """The softmax does not fix a shift common to the classes: the intercepts (and, without a
    penalty, each feature's coefficients) sum to 0 over the classes, as scikit-learn reports."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 4))
    y = np.argmax(X[:, :3] + rng.gumbel(size=(300, 3)), axis=1)  # overlapping: an optimum exists
    model = LogisticRegression(solver=solver, C=C, tol=1e-8, max_iter=1000).fit(X, y)
    assert abs(model.intercept_.sum()) < 1e-10
    if C == np.inf:
        np.testing.assert_allclose(model.coef_.sum(axis=0), 0, atol=1e-10)
    reference = LogisticRegression(solver="newton-cholesky", C=C, tol=1e-10).fit(X, y)
    np.testing.assert_allclose(model.intercept_, reference.intercept_, atol=1e-4)


def test_a_grid_search_over_solvers_and_penalties_picks_scikit_learns_best(binary):
    from sklearn.model_selection import GridSearchCV

    X, y = binary
    # (scikit-learn's sag and saga need far more than 5,000 epochs here to reach tol)
    grid = [{"solver": ["liblinear"], "l1_ratio": [0.0, 1.0], "C": [0.05, 1.0]},
            {"solver": ["lbfgs", "newton-cg"], "C": [0.05, 1.0]}]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = GridSearchCV(LogisticRegression(max_iter=5000, tol=1e-8), grid, cv=3,
                            error_score="raise").fit(X, y)
        theirs = GridSearchCV(SklearnLogisticRegression(max_iter=5000, tol=1e-8), grid, cv=3,
                              error_score="raise").fit(X, y)
    np.testing.assert_allclose(ours.cv_results_["mean_test_score"],
                               theirs.cv_results_["mean_test_score"], atol=1e-12)
    assert ours.best_params_ == theirs.best_params_


@pytest.mark.skipif(not hasattr(SklearnLogisticRegression, "set_callbacks"),
                    reason="scikit-learn < 1.9 has no callbacks")
def test_callbacks_see_every_lbfgs_iteration_and_others_warn(binary):
    X, y = binary

    class Record:
        def __init__(self):
            self.hooks = []

        def setup(self, estimator, context):
            self.hooks.append("setup")

        def on_fit_task_begin(self, estimator, context, **kwargs):
            self.hooks.append(("begin", context.task_name))

        def on_fit_task_end(self, estimator, context, **kwargs):
            self.hooks.append(("end", context.task_name))

        def teardown(self, estimator, context):
            self.hooks.append("teardown")

    record = Record()
    model = LogisticRegression(max_iter=5).set_callbacks(record)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    iterations = [hook for hook in record.hooks if hook == ("begin", "lbfgs-iter")]
    assert len(iterations) == model.n_iter_[0] + 1  # and the empty task after the last
    assert record.hooks[0] == "setup" and record.hooks[-1] == "teardown"
    with pytest.warns(UserWarning, match="Callbacks are only supported in LogisticRegression "
                                         "for solver='lbfgs'"):
        LogisticRegression(solver="saga").set_callbacks(Record())
    plain = LogisticRegression(max_iter=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        plain.fit(X, y)
    np.testing.assert_array_equal(plain.coef_, model.coef_)  # callbacks change nothing


def test_newton_cg_takes_cholesky_steps_on_a_small_binary_problem(binary):
    """The name gives lbfgs's problem; where the binary Hessian is small, by Newton-Cholesky's
    steps (the same fit, bit for bit)."""
    X, y = binary
    cg = LogisticRegression(solver="newton-cg", tol=1e-10).fit(X, y)
    cholesky = LogisticRegression(solver="newton-cholesky", tol=1e-10).fit(X, y)
    np.testing.assert_array_equal(cg.coef_, cholesky.coef_)
    np.testing.assert_array_equal(cg.intercept_, cholesky.intercept_)
    np.testing.assert_array_equal(cg.n_iter_, cholesky.n_iter_)


@pytest.mark.parametrize("n_x, n_classes, in_memory, expected", [
    (NEWTON_SIDE_LIMIT - 1, 2, True, "newton-cholesky"),
    (NEWTON_SIDE_LIMIT, 2, True, "newton-cg"),  # the Hessian's side n_x + 1 over the limit
    (4, 3, True, "newton-cg"),  # K classes: the multinomial Hessian does not pay
    (4, 2, False, "newton-cg"),  # a Dask X: no Hessian op
])
def test_which_newton_the_names_run(n_x, n_classes, in_memory, expected):
    for name in ("newton-cg", "liblinear"):
        row = next(row for row in SKLEARN_NAMES if row.name == name)
        assert row.solver(False, n_x, n_classes, in_memory) == expected
