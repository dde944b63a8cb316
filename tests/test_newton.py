"""``solver="newton-cholesky"``: the optimum (gradient and objective), scikit-learn's coefficients,
its warnings and fallback, and what is refused."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
import scipy.sparse

import fastlr
from fastlr._warnings import convergence_warning

sklearn = pytest.importorskip("sklearn")
from scipy.linalg import LinAlgWarning  # noqa: E402
from sklearn.datasets import load_breast_cancer, make_classification  # noqa: E402
from sklearn.linear_model import LogisticRegression as SklearnLR  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402


def _problem(rng, n_x=6, m=300):
    X = rng.standard_normal((n_x, m))
    beta = rng.standard_normal(n_x)
    y = (rng.random(m) < 1 / (1 + np.exp(-(beta @ X - 0.3)))).astype(np.float64)
    return X, y


def _objective_gradient(X, y, w, b, alpha, s=None):
    dw, db, cost = fastlr.gradient(w, b, X, y, kernel="numpy", alpha=alpha, sample_weight=s)
    return np.append(dw, db), cost


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_newton_reaches_the_optimum(kernel, rng, fit_intercept, weighted):
    X, y = _problem(rng)
    s = rng.random(X.shape[1]) * 2 if weighted else None
    tol = 1e-10
    result = fastlr.train(X, y, kernel=kernel, alpha=0.01, solver="newton-cholesky", tol=tol,
                          max_iter=50, sample_weight=s, fit_intercept=fit_intercept)
    assert result.converged and result.solver == "newton-cholesky"
    assert result.n_iter <= 10  # Newton: a handful of steps
    assert np.isnan(result.learning_rate)
    gradient, cost = _objective_gradient(X, y, result.w, result.b, 0.01, s)
    if not fit_intercept:
        assert result.b == 0.0
        gradient = gradient[:-1]
    assert np.abs(gradient).max() <= tol
    lbfgs = fastlr.train(X, y, kernel=kernel, alpha=0.01, solver="lbfgs", tol=1e-12, max_iter=500,
                         sample_weight=s, fit_intercept=fit_intercept)
    assert cost <= lbfgs.costs[-1] * (1 + 1e-13)  # no lower objective is to be found
    # alpha-strongly convex: the optimum lies within |gradient| / alpha of the result
    bound = np.linalg.norm(_objective_gradient(X, y, lbfgs.w, lbfgs.b, 0.01, s)[0]) / 0.01
    assert np.linalg.norm(result.w - lbfgs.w) <= bound + np.linalg.norm(gradient) / 0.01
    assert result.costs[0] == pytest.approx(np.log(2.0))  # from zero: every a = 1/2
    assert np.all(np.diff(result.costs) <= 1e-15)  # the line search never lets the cost rise


def test_newton_float32_and_sparse(rng):
    X, y = _problem(rng, n_x=8, m=400)
    X[np.abs(X) < 0.8] = 0.0
    dense = fastlr.train(X, y, alpha=0.01, solver="newton-cholesky", tol=1e-10)
    for Xs in (scipy.sparse.csc_matrix(X), scipy.sparse.csr_matrix(X)):
        sparse = fastlr.train(Xs, y, alpha=0.01, solver="newton-cholesky", tol=1e-10)
        assert sparse.kernel == "numpy"
        np.testing.assert_allclose(sparse.w, dense.w, rtol=1e-9, atol=1e-12)
    single = fastlr.train(X.astype(np.float32), y.astype(np.float32), alpha=0.01,
                          solver="newton-cholesky", tol=1e-5)
    assert single.w.dtype == np.float32 and single.converged
    np.testing.assert_allclose(single.w, dense.w, rtol=1e-4, atol=1e-5)


def test_newton_callback_and_max_iter(rng):
    X, y = _problem(rng)
    seen = []
    with pytest.warns(convergence_warning(), match=r"Newton solver did not converge after 2 iterations"):
        result = fastlr.train(X, y, solver="newton-cholesky", tol=1e-14, max_iter=2,
                              callback=lambda *args: seen.append(args))
    assert result.n_iter == 2 and not result.converged
    assert [args[0] for args in seen] == [1, 2]
    assert seen[-1][3] == result.costs[-1]


def test_newton_refuses_dask_and_unknown_solvers(rng):
    X, y = _problem(rng)
    da = pytest.importorskip("dask.array")
    message = ("solver='newton-cholesky' fits X in memory (NumPy or scipy.sparse); for a Dask "
               "array use solver='lbfgs'")
    with pytest.raises(ValueError, match=re.escape(message)):
        fastlr.train(da.from_array(X, chunks=(6, 100)), y, solver="newton-cholesky")
    with pytest.raises(ValueError, match="solver must be one of 'lbfgs', 'newton-cholesky', 'newton-cg', 'gd'"):
        fastlr.train(X, y, solver="newton")


@pytest.mark.parametrize("alpha", [0.0, 0.05])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_multinomial_newton_reaches_the_optimum(rng, alpha, fit_intercept):
    X = rng.standard_normal((5, 400))
    labels = (rng.standard_normal((3, 5)) @ X + rng.gumbel(size=(3, 400))).argmax(axis=0)
    result = fastlr.train(X, labels, n_classes=3, alpha=alpha, solver="newton-cholesky", tol=1e-10,
                          fit_intercept=fit_intercept)
    assert result.converged and result.n_iter <= 15 and result.kernel == "numpy"
    dW, db, cost = fastlr.softmax_gradient(result.w, result.b, X, labels, alpha=alpha)
    assert np.abs(dW).max() <= 1e-10
    if fit_intercept:
        assert np.abs(db).max() <= 1e-10
        assert abs(result.b.sum()) < 1e-12  # scikit-learn's symmetric parametrisation
    else:
        assert np.array_equal(result.b, np.zeros(3))
    if alpha == 0:
        np.testing.assert_allclose(result.w.sum(axis=0), 0.0, atol=1e-12)
    lbfgs = fastlr.train(X, labels, n_classes=3, alpha=alpha, solver="lbfgs", tol=1e-10,
                         fit_intercept=fit_intercept, max_iter=1000)
    assert cost <= lbfgs.costs[-1] * (1 + 1e-12)


def test_multinomial_newton_needs_a_kernel_with_its_hessian(rng):
    X = rng.standard_normal((3, 50))
    message = ("kernel 'numba' has no multinomial-hessian op; kernels that offer it: numpy, auto")
    with pytest.raises(fastlr.KernelUnavailableError, match=re.escape(message)):
        fastlr.train(X, np.arange(50) % 3, n_classes=3, kernel="numba", solver="newton-cholesky")


def _breast_cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.mark.parametrize("case", ["plain", "sample_weight", "class_weight", "no_intercept", "C"])
def test_estimator_matches_scikit_learn_newton_cholesky(case):
    X, y = _breast_cancer()
    params = {"solver": "newton-cholesky", "tol": 1e-10, "max_iter": 100}
    fit = {}
    if case == "sample_weight":
        fit["sample_weight"] = np.random.default_rng(0).random(y.size) * 3
    elif case == "class_weight":
        params["class_weight"] = {0: 3.0, 1: 0.5}
    elif case == "no_intercept":
        params["fit_intercept"] = False
    elif case == "C":
        params["C"] = 0.05
    ours = fastlr.LogisticRegression(**params).fit(X, y, **fit)
    theirs = SklearnLR(**params).fit(X, y, **fit)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, rtol=1e-6, atol=1e-8)
    assert ours.n_iter_[0] == theirs.n_iter_[0]


def test_estimator_newton_on_sparse_matches_dense():
    X, y = _breast_cancer()
    X[np.abs(X) < 0.5] = 0.0
    dense = fastlr.LogisticRegression(solver="newton-cholesky", tol=1e-10).fit(X, y)
    sparse = fastlr.LogisticRegression(solver="newton-cholesky", tol=1e-10).fit(
        scipy.sparse.csr_matrix(X), y)
    np.testing.assert_allclose(sparse.coef_, dense.coef_, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("C", [1.0, np.inf])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("sparse", [False, True])
def test_estimator_multinomial_matches_scikit_learn_newton_cholesky(C, fit_intercept, sparse):
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    if sparse:
        X = scipy.sparse.csr_matrix(np.where(np.abs(X) < 0.3, 0.0, X))
    params = {"solver": "newton-cholesky", "tol": 1e-10, "C": C, "fit_intercept": fit_intercept}
    ours = fastlr.LogisticRegression(**params).fit(X, y)
    theirs = SklearnLR(**params, max_iter=100).fit(X, y)
    # Without a penalty iris is nearly separable and the optimum flat: the gradient test at
    # 1e-10 pins the coefficients to about 1e-8 of their scale, not each to 1e-6 of itself.
    atol = 1e-8 if np.isfinite(C) else 1e-6 * np.abs(theirs.coef_).max()
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-6, atol=atol)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, rtol=1e-6, atol=atol)
    assert ours.n_iter_[0] == theirs.n_iter_[0]


def test_singular_hessian_falls_back_to_lbfgs():
    """scikit-learn's own case: more features than samples, no penalty to speak of."""
    X, y = make_classification(n_samples=10, n_features=20, random_state=42)
    lbfgs = fastlr.LogisticRegression(C=1e30).fit(X, y)
    with pytest.warns(LinAlgWarning, match="singular or very ill-conditioned Hessian"):
        newton = fastlr.LogisticRegression(solver="newton-cholesky", C=1e30).fit(X, y)
    assert newton.n_iter_[0] == lbfgs.n_iter_[0]
    np.testing.assert_allclose(newton.coef_, lbfgs.coef_)
    limited = fastlr.LogisticRegression(solver="newton-cholesky", C=1e30,
                                        max_iter=lbfgs.n_iter_[0] - 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LinAlgWarning)
        with pytest.warns(convergence_warning(), match="lbfgs failed to converge"):
            limited.fit(X, y)
    assert limited.n_iter_[0] == limited.max_iter - 1


def test_newton_input_errors_are_the_gradients(rng):
    X, y = _problem(rng)
    X[2, 5] = np.nan
    with pytest.raises(ValueError, match="X contains NaN"):
        fastlr.train(X, y, solver="newton-cholesky")


def test_multinomial_fallback_is_symmetric_too():
    """A singular block Hessian (more features than samples, hardly a penalty): L-BFGS finishes,
    and the result is still in scikit-learn's symmetric parametrisation."""
    X, y = make_classification(n_samples=12, n_features=20, n_informative=5, n_classes=3,
                               random_state=0)
    with pytest.warns(LinAlgWarning, match="singular or very ill-conditioned Hessian"):
        model = fastlr.LogisticRegression(solver="newton-cholesky", C=1e30).fit(X, y)
    assert abs(model.intercept_.sum()) < 1e-10
    assert model.predict(X).tolist() == y.tolist()
