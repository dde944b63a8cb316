"""``solver="newton-cg"``: truncated Newton on Hessian-vector products.

The optimum (the gradient at the result, and no lower objective to be found)
on well- and ill-conditioned, nearly separable, sparse, weighted and K-class
problems, with every kernel; scikit-learn's newton-cg coefficients; the
conjugate gradients on their own; the iteration count, warnings and callback;
Dask.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
import scipy.sparse

import fastlr
from fastlr._newton_cg import conjugate_gradients
from fastlr._warnings import convergence_warning

sklearn = pytest.importorskip("sklearn")
from sklearn.linear_model import LogisticRegression as SklearnLR  # noqa: E402


def _problem(rng, n_x=8, m=400, scales=None, separation=1.0):
    X = rng.standard_normal((n_x, m))
    beta = rng.standard_normal(n_x) * separation
    y = (rng.random(m) < 1 / (1 + np.exp(-(beta @ X - 0.3)))).astype(np.float64)
    if scales is not None:
        X *= scales[:, None]
    return X, y


def _gradient(X, y, w, b, alpha, s=None, n_classes=None):
    if n_classes is None:
        dw, db, cost = fastlr.gradient(w, b, X, y, kernel="numpy", alpha=alpha, sample_weight=s)
    else:
        dw, db, cost = fastlr.softmax_gradient(w, b, X, y, kernel="numpy", alpha=alpha,
                                               sample_weight=s)
    return np.append(np.ravel(dw), db), cost


@pytest.mark.parametrize("conditioning", ["standard", "scaled", "nearly-separable"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_newton_cg_reaches_the_optimum(kernel, rng, conditioning, fit_intercept):
    scales = 10.0 ** np.linspace(-3, 3, 8) if conditioning == "scaled" else None
    X, y = _problem(rng, scales=scales,
                    separation=20.0 if conditioning == "nearly-separable" else 1.0)
    s = rng.random(X.shape[1]) * 2
    alpha, tol = 1e-4, 1e-9
    result = fastlr.train(X, y, kernel=kernel, alpha=alpha, solver="newton-cg", tol=tol,
                          max_iter=200, sample_weight=s, fit_intercept=fit_intercept)
    assert result.converged and result.solver == "newton-cg"
    gradient, cost = _gradient(X, y, result.w, result.b, alpha, s)
    if not fit_intercept:
        assert result.b == 0.0
        gradient = gradient[:-1]
    assert np.abs(gradient).max() <= tol
    reference = fastlr.train(X, y, kernel="numpy", alpha=alpha, solver="newton-cholesky",
                             tol=1e-12, max_iter=200, sample_weight=s, fit_intercept=fit_intercept)
    assert cost <= reference.costs[-1] + 1e-12 * abs(reference.costs[-1])
    assert np.all(np.diff(result.costs) <= 1e-15)  # the line search never lets the cost rise


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_k_classes_reach_the_symmetric_optimum(rng, sparse, dtype):
    n_x, m, K = 6, 500, 4
    X = rng.standard_normal((n_x, m)).astype(dtype)
    labels = np.argmax(rng.standard_normal((K, n_x)) @ X + rng.gumbel(size=(K, m)), axis=0)
    if sparse:
        X[rng.random((n_x, m)) < 0.4] = 0
        X = scipy.sparse.csc_array(X)
    alpha, tol = 1e-3, 1e-8
    result = fastlr.train(X, labels, n_classes=K, alpha=alpha, solver="newton-cg", tol=tol,
                          max_iter=100)
    assert result.converged and result.w.dtype == dtype
    gradient, _ = _gradient(X, labels, result.w, result.b, alpha, n_classes=K)
    assert np.abs(gradient).max() <= (tol if dtype == np.float64 else 1e-5)
    np.testing.assert_allclose(result.w.sum(axis=0), 0, atol=1e-6)  # L2: the classes sum to 0
    assert abs(result.b.sum()) <= 1e-10


@pytest.mark.parametrize("classes", [2, 3])
@pytest.mark.parametrize("sparse", [False, True])
def test_the_estimator_matches_scikit_learns_newton_cg(rng, classes, sparse):
    X = rng.standard_normal((300, 7)) * 10.0 ** rng.integers(-1, 2, 7)
    y = np.argmax(X[:, :classes] + rng.gumbel(size=(300, classes)), axis=1)
    weights = rng.random(300) + 0.5
    if sparse:
        X[rng.random(X.shape) < 0.5] = 0
        X = scipy.sparse.csr_array(X)
    ours = fastlr.LogisticRegression(solver="newton-cg", C=0.7, tol=1e-10, max_iter=200).fit(
        X, y, sample_weight=weights)
    theirs = SklearnLR(solver="newton-cg", C=0.7, tol=1e-10, max_iter=200).fit(
        X, y, sample_weight=weights)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-8)


def test_max_iter_counts_newton_steps_and_warns_in_scikit_learns_words(rng):
    X, y = _problem(rng)
    with pytest.warns(convergence_warning(), match=re.escape("newton-cg failed to converge after "
                                                             "2 iteration(s)")):
        result = fastlr.train(X, y, alpha=1e-4, solver="newton-cg", tol=1e-15, max_iter=2)
    assert result.n_iter == 2 and not result.converged and result.costs.shape == (3,)


def test_the_callback_sees_every_newton_step(rng):
    X, y = _problem(rng)
    seen = []
    result = fastlr.train(X, y, alpha=1e-3, solver="newton-cg", tol=1e-10, max_iter=50,
                          callback=lambda i, w, b, cost: seen.append((i, cost)))
    assert [i for i, _ in seen] == list(range(1, result.n_iter + 1))
    np.testing.assert_array_equal([cost for _, cost in seen], result.costs[1:])


def test_a_start_at_the_optimum_takes_no_step(rng):
    X, y = _problem(rng)
    first = fastlr.train(X, y, alpha=1e-3, solver="newton-cg", tol=1e-8)
    again = fastlr.train(X, y, alpha=1e-3, solver="newton-cg", tol=1e-8, w0=first.w, b0=first.b)
    assert again.n_iter == 0 and again.converged
    np.testing.assert_array_equal(again.w, first.w)


def test_conjugate_gradients_solve_a_positive_definite_system(rng):
    A = rng.standard_normal((30, 30))
    H = A @ A.T + 0.1 * np.eye(30)
    H[:, 0] *= 1e3  # badly scaled: the preconditioner's case
    H[0, :] *= 1e3
    g = rng.standard_normal(30)
    d, iterations = conjugate_gradients(lambda v: H @ v, np.diag(H).copy(), g, tol=1e-10,
                                        max_inner=200)
    assert np.abs(H @ d + g).sum() <= 1e-10 and 0 < iterations <= 200
    zero, none = conjugate_gradients(lambda v: H @ v, np.diag(H).copy(), np.zeros(30), tol=0.0)
    assert none == 0 and not zero.any()


def test_conjugate_gradients_stop_on_a_flat_direction():
    """No curvature along the first direction: the scaled steepest descent step, as scikit-learn."""
    g = np.array([1.0, -2.0])
    d, iterations = conjugate_gradients(lambda v: np.zeros(2), np.array([2.0, 4.0]), g, tol=1e-12)
    assert iterations == 0
    np.testing.assert_array_equal(d, [-0.5, 0.5])


@pytest.mark.parametrize("classes", [None, 3])
def test_dask_gives_the_in_memory_result(rng, classes):
    da = pytest.importorskip("dask.array")
    X, y = _problem(rng, m=600, scales=10.0 ** np.linspace(-2, 2, 8))
    if classes:
        y = np.argmax(rng.standard_normal((classes, 8)) @ X / 10 + rng.gumbel(size=(classes, 600)),
                      axis=0)
    kwargs = dict(alpha=1e-3, solver="newton-cg", tol=1e-10, max_iter=100, n_classes=classes)
    local = fastlr.train(X, y, **kwargs)
    distributed = fastlr.train(da.from_array(X, chunks=(8, 150)), da.from_array(y, chunks=150),
                               **kwargs)
    assert distributed.converged and distributed.solver == "newton-cg"
    np.testing.assert_allclose(distributed.w, local.w, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(distributed.b, local.b, rtol=1e-7, atol=1e-9)


def test_a_kernel_without_the_product_is_named(rng):
    X, y = _problem(rng)
    own = fastlr.Kernel("mine", gradient=fastlr.get_kernel("numpy").gradient)
    with pytest.raises(fastlr.KernelUnavailableError,
                       match="kernel 'mine' has no gram-product op; kernels that offer it: python"):
        fastlr.train(X, y, kernel=own, solver="newton-cg")
    numpy = fastlr.get_kernel("numpy")
    own = fastlr.Kernel("mine", gradient=numpy.gradient, multinomial=numpy.multinomial)
    with pytest.raises(fastlr.KernelUnavailableError,
                       match="kernel 'mine' has no multinomial-product op; kernels that offer it: "
                             "python"):
        fastlr.train(X, (X[0] > 0).astype(int) + (X[1] > 0), kernel=own, solver="newton-cg",
                     n_classes=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fastlr.train(X, y, kernel=own, solver="lbfgs", alpha=1e-2)  # the others need no product
