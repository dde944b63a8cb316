"""``fastlr.LogisticRegressionCV`` against scikit-learn's, and against its own definition.

scikit-learn's own tests of ``LogisticRegressionCV`` run against fastlr's
class in ``tests/test_sklearn_suite.py``. Here: the same choice, scores and
paths as scikit-learn's at a tight tolerance (binary and K classes, dense
and sparse, sample and class weights, refit or not), every path point the
optimum of its fold's problem (the fit ``LogisticRegression`` makes
there), the path warm-started, the fast accuracy equal to the scorer's,
processes equal to one process, and the errors.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")

import scipy.sparse  # noqa: E402
import sklearn.linear_model  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_iris, make_classification  # noqa: E402
from sklearn.metrics import accuracy_score, make_scorer  # noqa: E402
from sklearn.model_selection import StratifiedKFold  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import fastlr  # noqa: E402
from fastlr import LogisticRegression, LogisticRegressionCV  # noqa: E402

#: Tight enough that both libraries' fits sit within 1e-7 of the optimum.
TIGHT = dict(tol=1e-10, max_iter=10_000)
#: Where the fold problems are well conditioned (the penalty's curvature at least 1/(C m)), so
#: that coefficients 1e-6 apart is what the optimum's uniqueness promises; at larger C, L-BFGS
#: stops on the cost's rounding with gradients of 1e-8 and coefficients 1e-2 apart.
WELL_CONDITIONED = np.logspace(-3, 0, 5)
#: scikit-learn 1.9's future defaults, given so that no FutureWarning is raised.
NEW = dict(l1_ratios=(0,), use_legacy_attributes=False)


def _cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _both(X, y, sample_weight=None, **params):
    ours = LogisticRegressionCV(**params).fit(X, y, sample_weight=sample_weight)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn's own ConvergenceWarnings, if any
        theirs = sklearn.linear_model.LogisticRegressionCV(**params).fit(
            X, y, sample_weight=sample_weight)
    return ours, theirs


def _assert_same_search(ours, theirs, atol=1e-6):
    assert ours.C_ == theirs.C_ and ours.l1_ratio_ == theirs.l1_ratio_
    np.testing.assert_array_equal(ours.Cs_, theirs.Cs_)
    assert ours.coefs_paths_.shape == theirs.coefs_paths_.shape
    assert ours.scores_.shape == theirs.scores_.shape == ours.n_iter_.shape
    np.testing.assert_allclose(ours.scores_, theirs.scores_, atol=1e-6)
    np.testing.assert_allclose(ours.coefs_paths_, theirs.coefs_paths_, atol=atol)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=atol)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, atol=atol)


@pytest.mark.parametrize("scoring", ["accuracy", "neg_log_loss"])
@pytest.mark.parametrize("data", ["cancer", "iris"])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
def test_matches_scikit_learn(data, sparse, scoring):
    X, y = _cancer() if data == "cancer" else _iris()
    if sparse:
        X = scipy.sparse.csr_array(X)
    ours, theirs = _both(X, y, Cs=WELL_CONDITIONED, scoring=scoring, **NEW, **TIGHT)
    _assert_same_search(ours, theirs)
    assert ours.score(X, y) == pytest.approx(theirs.score(X, y), abs=1e-9)


@pytest.mark.parametrize("refit", [True, False])
def test_weights_and_refit_match_scikit_learn(refit):
    X, y = _iris()
    sample_weight = np.random.default_rng(0).uniform(0.2, 3.0, size=y.size)
    ours, theirs = _both(X, y, sample_weight, Cs=WELL_CONDITIONED, class_weight="balanced", refit=refit,
                         scoring="neg_log_loss", **NEW, **TIGHT)
    _assert_same_search(ours, theirs)


def test_legacy_attributes_match_scikit_learn():
    X, y = _iris()
    params = dict(Cs=[0.01, 0.1, 1.0], scoring="accuracy", l1_ratios=None, **TIGHT)
    with pytest.warns(FutureWarning):
        ours, theirs = _both(X, y, **params)
    assert set(ours.coefs_paths_) == set(theirs.coefs_paths_) == {0, 1, 2}
    for key in theirs.coefs_paths_:
        np.testing.assert_allclose(ours.coefs_paths_[key], theirs.coefs_paths_[key], atol=1e-6)
        np.testing.assert_allclose(ours.scores_[key], theirs.scores_[key], atol=1e-6)
    assert ours.n_iter_.shape == theirs.n_iter_.shape == (1, 5, 3)
    np.testing.assert_array_equal(ours.C_, theirs.C_)
    np.testing.assert_array_equal(ours.l1_ratios_, theirs.l1_ratios_)


@pytest.mark.parametrize("l1_ratios", [(1.0,), (0.0, 0.5, 1.0)])
def test_every_path_point_is_its_folds_optimum(l1_ratios):
    """Each path point is the fit LogisticRegression makes on the fold's training rows."""
    X, y = make_classification(n_samples=120, n_features=8, n_informative=4, random_state=0)
    folds = list(StratifiedKFold(3).split(X, y))
    Cs = [0.05, 0.5, 5.0]
    search = LogisticRegressionCV(Cs=Cs, cv=folds, l1_ratios=l1_ratios, solver="saga",
                                  scoring="accuracy", use_legacy_attributes=False,
                                  tol=1e-9, max_iter=1000).fit(X, y)
    for f, (train, _) in enumerate(folds):
        for r, l1_ratio in enumerate(l1_ratios):
            for c, C in enumerate(Cs):
                alone = LogisticRegression(C=C, l1_ratio=l1_ratio, solver="saga", tol=1e-9,
                                           max_iter=1000).fit(X[train], y[train])
                point = search.coefs_paths_[f, r, c, 0]
                np.testing.assert_allclose(point[:-1], alone.coef_[0], atol=1e-6)
                assert point[-1] == pytest.approx(alone.intercept_[0], abs=1e-6)


def test_each_kernel_finds_the_same_search(kernel):
    X, y = make_classification(n_samples=60, n_features=4, random_state=1)
    params = dict(Cs=3, cv=3, scoring="neg_log_loss", **NEW, **TIGHT)
    ours = LogisticRegressionCV(kernel=kernel, **params).fit(X, y)
    reference = LogisticRegressionCV(kernel="numpy", **params).fit(X, y)
    assert ours.C_ == reference.C_
    np.testing.assert_allclose(ours.coefs_paths_, reference.coefs_paths_, atol=1e-7)
    np.testing.assert_allclose(ours.scores_, reference.scores_, atol=1e-9)


def test_the_path_is_warm_started(monkeypatch):
    """Each C's fit starts from the previous C's coefficients; the first from zero."""
    starts, ends = [], []
    solve = LogisticRegression._solve

    def recording(self, problem, C, l1_ratio, w0, b0, callback=None):
        starts.append((np.array(w0, copy=True), b0))
        result = solve(self, problem, C, l1_ratio, w0, b0, callback)
        ends.append((result.w.copy(), result.b))
        return result

    monkeypatch.setattr(LogisticRegression, "_solve", recording)
    X, y = _cancer()
    LogisticRegressionCV(Cs=4, cv=2, refit=False, scoring="accuracy", **NEW).fit(X, y)
    assert len(starts) == 8
    for fold in range(2):
        path = range(4 * fold, 4 * fold + 4)
        assert not starts[path[0]][0].any() and starts[path[0]][1] == 0
        for before, after in zip(path, path[1:]):
            np.testing.assert_array_equal(starts[after][0], ends[before][0])
            assert starts[after][1] == ends[before][1]


@pytest.mark.parametrize("weighted", [False, True])
def test_fast_accuracy_equals_the_scorers(weighted):
    """scoring=None / "accuracy" (computed for every C at once) equal a scorer called per C."""
    X, y = _iris()
    sample_weight = np.random.default_rng(2).uniform(0.1, 2.0, size=y.size) if weighted else None
    slow = make_scorer(accuracy_score)  # a callable: scored per C on a LogisticRegression
    scores = [
        LogisticRegressionCV(Cs=5, scoring=scoring, **NEW).fit(X, y, sample_weight).scores_
        for scoring in (None, "accuracy", slow)
    ]
    np.testing.assert_array_equal(scores[0], scores[2])
    np.testing.assert_array_equal(scores[1], scores[2])


def test_sparse_float32_and_csc_inputs():
    X, y = _cancer()
    dense = LogisticRegressionCV(Cs=WELL_CONDITIONED, scoring="neg_log_loss", **NEW, **TIGHT).fit(X, y)
    csc = LogisticRegressionCV(Cs=WELL_CONDITIONED, scoring="neg_log_loss", **NEW, **TIGHT).fit(
        scipy.sparse.csc_array(X), y)
    np.testing.assert_allclose(csc.coefs_paths_, dense.coefs_paths_, atol=1e-7)
    single = LogisticRegressionCV(Cs=WELL_CONDITIONED, scoring="neg_log_loss", **NEW, tol=1e-4).fit(
        X.astype(np.float32), y)
    assert single.coef_.dtype == np.float32
    assert single.C_ == dense.C_


def test_liblinear_search_matches_scikit_learn():
    X, y = _cancer()
    ours, theirs = _both(X, y, Cs=WELL_CONDITIONED, solver="liblinear", scoring="neg_log_loss", **NEW,
                         tol=1e-10, max_iter=10_000)
    _assert_same_search(ours, theirs, atol=1e-4)  # liblinear's own stopping rule, both sides


def test_processes_give_the_same_bits():
    X, y = _cancer()
    params = dict(Cs=4, cv=2, scoring="neg_log_loss", **NEW)
    here = LogisticRegressionCV(kernel="numba", **params).fit(X, y)
    pool = LogisticRegressionCV(kernel="numba", n_jobs=2, **params).fit(X, y)
    for attribute in ("coefs_paths_", "scores_", "n_iter_", "coef_", "intercept_"):
        np.testing.assert_array_equal(getattr(pool, attribute), getattr(here, attribute))


def test_fits_in_a_grid_search_and_a_pipeline():
    from sklearn.pipeline import make_pipeline

    X, y = _cancer()
    model = make_pipeline(StandardScaler(), LogisticRegressionCV(Cs=[0.1, 1.0], scoring="accuracy", **NEW))
    assert model.fit(X, y).score(X, y) > 0.95


def test_errors_match_scikit_learn():
    X, y = _iris()
    with pytest.raises(ValueError, match="l1_ratios must be an array-like of numbers between 0 and 1"):
        LogisticRegressionCV(l1_ratios=(0.5, 2.0), solver="saga", use_legacy_attributes=False,
                             scoring="accuracy").fit(X, y)
    with pytest.raises(ValueError, match="'liblinear' solver does not support multiclass"):
        LogisticRegressionCV(solver="liblinear", **NEW, scoring="accuracy").fit(X, y)
    with pytest.raises(ValueError, match="Solver lbfgs supports only 'l2' or None penalties, got elasticnet"):
        LogisticRegressionCV(l1_ratios=(0.5,), solver="lbfgs", use_legacy_attributes=False,
                             scoring="accuracy").fit(X, y)


def test_a_dask_array_is_refused_with_what_to_do():
    da = pytest.importorskip("dask.array")
    X, y = _cancer()
    with pytest.raises(TypeError, match="search over fastlr.LogisticRegression"):
        LogisticRegressionCV(**NEW, scoring="accuracy").fit(da.from_array(X, chunks=100), y)


def test_defaults_warn_as_scikit_learn_warns():
    X, y = _cancer()
    with pytest.warns(FutureWarning) as record:
        LogisticRegressionCV(Cs=[0.1, 1.0]).fit(X, y)
    messages = " ".join(str(w.message) for w in record)
    for words in ("l1_ratios will change", "'scoring' will change", "use_legacy_attributes"):
        assert words in messages


def test_is_exported_and_documented():
    assert "LogisticRegressionCV" in fastlr.__all__
    assert fastlr.LogisticRegressionCV is LogisticRegressionCV
    assert "kernel" in LogisticRegressionCV().get_params()
