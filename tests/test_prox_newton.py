"""L1 and elastic net (``solver="prox-newton"``, and ``"saga"`` in the estimator): the optimum's
conditions, an independent reference solve, scikit-learn's saga, dense == sparse, the support
of a planted problem, weights, float32, warm starts, and what is refused."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
import scipy.sparse
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize as scipy_minimize
from scipy.special import logsumexp

import fastlr
from fastlr._warnings import convergence_warning

sklearn = pytest.importorskip("sklearn")
from sklearn.datasets import load_breast_cancer, load_iris  # noqa: E402
from sklearn.linear_model import LogisticRegression as SklearnLR  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402


def _binary(rng, n_x=12, m=400, planted=4):
    X = rng.standard_normal((n_x, m))
    beta = np.zeros(n_x)
    beta[:planted] = rng.choice([-2.0, 2.0], planted)
    y = (rng.random(m) < 1 / (1 + np.exp(-(beta @ X + 0.4)))).astype(np.float64)
    return X, y


def _penalty(w, alpha, l1_ratio):
    w = np.asarray(w, dtype=np.float64).reshape(-1)
    return alpha * (l1_ratio * np.abs(w).sum() + 0.5 * (1 - l1_ratio) * w @ w)


def _binary_objective(X, y, s, w, b, alpha, l1_ratio):
    z = w @ X + b
    loss = np.logaddexp(0.0, z) - y * z
    s = np.ones_like(y) if s is None else s
    return float(s @ loss / s.sum()) + _penalty(w, alpha, l1_ratio)


def _multinomial_objective(X, labels, W, b, alpha, l1_ratio):
    Z = W @ X + b[:, None]
    loss = logsumexp(Z, axis=0) - Z[labels, np.arange(labels.size)]
    return float(loss.mean()) + _penalty(W, alpha, l1_ratio)


def _worst_violation(w, g, l1, db):
    """The largest violation of the optimality conditions, from the smooth gradient ``g``."""
    w, g = np.ravel(w).astype(np.float64), np.ravel(g)
    off = np.where(w != 0, np.abs(g + l1 * np.sign(w)), np.maximum(np.abs(g) - l1, 0.0))
    return max(float(off.max()), float(np.abs(db).max()))


def _reference(objective, n):
    """An independent solve: L-BFGS-B on ``w = u - v``, ``u, v >= 0`` (smooth), by finite differences
    of nothing: the gradient is given by ``objective`` itself (value and gradient of the split)."""
    result = scipy_minimize(objective, np.zeros(2 * n + 1), jac=True, method="L-BFGS-B",
                            bounds=[(0, None)] * (2 * n) + [(None, None)],
                            options={"maxiter": 20000, "ftol": 1e-15, "gtol": 1e-12})
    return result.fun


def _binary_reference(X, y, s, alpha, l1_ratio):
    n = X.shape[0]
    s = np.ones_like(y) if s is None else s
    total = s.sum()

    def split(theta):
        u, v, b = theta[:n], theta[n:2 * n], theta[-1]
        w = u - v
        z = w @ X + b
        a = 1 / (1 + np.exp(-z))
        value = float(s @ (np.logaddexp(0.0, z) - y * z) / total)
        value += alpha * (l1_ratio * (u.sum() + v.sum()) + 0.5 * (1 - l1_ratio) * w @ w)
        gw = X @ (s * (a - y)) / total + alpha * (1 - l1_ratio) * w
        gb = float(s @ (a - y) / total)
        return value, np.concatenate([gw + alpha * l1_ratio, -gw + alpha * l1_ratio, [gb]])

    return _reference(split, n)


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
@pytest.mark.parametrize("weighted", [False, True])
def test_binary_fit_reaches_the_optimum(kernel, rng, l1_ratio, weighted):
    X, y = _binary(rng)
    s = rng.random(y.size) * 2 if weighted else None
    alpha, tol = 0.05, 1e-9
    result = fastlr.train(X, y, kernel=kernel, solver="prox-newton", alpha=alpha, l1_ratio=l1_ratio,
                          sample_weight=s, tol=tol, max_iter=100)
    assert result.converged and result.solver == "prox-newton"
    dw, db, _ = fastlr.gradient(result.w, result.b, X, y, kernel="numpy",
                                alpha=alpha * (1 - l1_ratio), sample_weight=s)
    assert _worst_violation(result.w, dw, alpha * l1_ratio, db) <= 10 * tol
    value = _binary_objective(X, y, s, result.w, result.b, alpha, l1_ratio)
    assert value <= _binary_reference(X, y, s, alpha, l1_ratio) + 1e-12
    assert result.costs[-1] == pytest.approx(value, rel=1e-12)
    assert np.all(np.diff(result.costs) <= 1e-15 * abs(result.costs[0]))
    assert 0 < np.count_nonzero(result.w) < X.shape[0]  # the penalty made it sparse


def test_multinomial_fit_reaches_the_optimum(kernel, rng):
    K, n_x, m = 3, 8, 300
    X = rng.standard_normal((n_x, m))
    B = np.zeros((K, n_x))
    B[:, :3] = 2 * rng.standard_normal((K, 3))
    labels = np.argmax(B @ X + rng.gumbel(size=(K, m)), axis=0)
    alpha, l1_ratio, tol = 0.02, 0.8, 1e-9
    result = fastlr.train(X, labels, kernel=kernel, solver="prox-newton", alpha=alpha,
                          l1_ratio=l1_ratio, n_classes=K, tol=tol, max_iter=100)
    assert result.converged and result.w.shape == (K, n_x) and result.b.shape == (K,)
    dW, db, _ = fastlr.softmax_gradient(result.w, result.b, X, labels, kernel="numpy",
                                        alpha=alpha * (1 - l1_ratio))
    assert _worst_violation(result.w, dW, alpha * l1_ratio, db) <= 10 * tol
    assert result.costs[-1] == pytest.approx(
        _multinomial_objective(X, labels, result.w, result.b, alpha, l1_ratio), rel=1e-12)
    assert 0 < np.count_nonzero(result.w) < K * n_x


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("n_classes", [None, 3])
@pytest.mark.parametrize("gram", [False, True])
def test_dense_and_sparse_reach_the_same_coefficients(rng, fmt, n_classes, gram, monkeypatch):
    """Sparse X by either inner solve (the one on the rows, or on the model's Hessian formed)."""
    from fastlr import _prox_newton

    monkeypatch.setattr(_prox_newton, "_gram_pays", lambda *args: gram)
    X = rng.standard_normal((10, 250)) * (rng.random((10, 250)) < 0.3)
    y = rng.integers(0, n_classes or 2, 250)
    y = y if n_classes else y.astype(np.float64)
    kwargs = dict(solver="prox-newton", alpha=0.01, l1_ratio=0.7, tol=1e-11, max_iter=200,
                  n_classes=n_classes)
    dense = fastlr.train(X, y, **kwargs)
    sparse = fastlr.train(scipy.sparse.csr_matrix(X).asformat(fmt), y, **kwargs)
    np.testing.assert_allclose(sparse.w, dense.w, atol=1e-8)
    np.testing.assert_array_equal(sparse.w == 0, dense.w == 0)


def test_the_support_of_a_planted_problem_is_found(rng):
    n_x, m = 60, 4000
    X = rng.standard_normal((n_x, m))
    beta = np.zeros(n_x)
    support = np.sort(rng.choice(n_x, 5, replace=False))
    beta[support] = rng.choice([-3.0, 3.0], 5)
    y = (rng.random(m) < 1 / (1 + np.exp(-(beta @ X)))).astype(np.float64)
    result = fastlr.train(X, y, solver="prox-newton", alpha=0.03, l1_ratio=1.0, tol=1e-8)
    np.testing.assert_array_equal(np.flatnonzero(result.w), support)
    assert np.all(np.sign(result.w[support]) == np.sign(beta[support]))


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.mark.parametrize("params", [dict(l1_ratio=1.0, C=0.05), dict(l1_ratio=0.3, C=0.5)])
def test_saga_in_the_estimator_is_scikit_learns_optimum(cancer, params):
    X, y = cancer
    ours = fastlr.LogisticRegression(solver="saga", tol=1e-9, **params).fit(X, y)
    theirs = SklearnLR(solver="saga", tol=1e-10, max_iter=100000, **params).fit(X, y)
    np.testing.assert_array_equal(ours.coef_ == 0, theirs.coef_ == 0)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-5)
    alpha = 1 / (params["C"] * X.shape[0])
    ours_f = _binary_objective(X.T, y, None, ours.coef_[0], ours.intercept_[0], alpha,
                               params["l1_ratio"])
    theirs_f = _binary_objective(X.T, y, None, theirs.coef_[0], theirs.intercept_[0], alpha,
                                 params["l1_ratio"])
    assert ours_f <= theirs_f * (1 + 1e-8)


def test_multinomial_l1_agrees_with_saga():
    X, y = load_iris(return_X_y=True)
    ours = fastlr.LogisticRegression(solver="saga", l1_ratio=1.0, C=1.0, tol=1e-9).fit(X, y)
    theirs = SklearnLR(solver="saga", l1_ratio=1.0, C=1.0, tol=1e-10, max_iter=100000).fit(X, y)
    np.testing.assert_array_equal(ours.coef_ == 0, theirs.coef_ == 0)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-6)


def test_the_deprecated_penalty_names_fit_l1(cancer):
    X, y = cancer
    with pytest.warns(FutureWarning, match="'penalty' was deprecated"):
        by_name = fastlr.LogisticRegression(penalty="l1", l1_ratio=1.0, solver="prox-newton", C=0.1).fit(X, y)
    by_ratio = fastlr.LogisticRegression(l1_ratio=1.0, solver="prox-newton", C=0.1).fit(X, y)
    np.testing.assert_array_equal(by_name.coef_, by_ratio.coef_)


def test_integer_weights_are_repeated_rows(rng):
    X, y = _binary(rng, m=200)
    counts = rng.integers(0, 3, y.size)
    kwargs = dict(solver="prox-newton", alpha=0.03, l1_ratio=1.0, tol=1e-11)
    weighted = fastlr.train(X, y, sample_weight=counts.astype(np.float64), **kwargs)
    repeated = fastlr.train(np.repeat(X, counts, axis=1), np.repeat(y, counts), **kwargs)
    np.testing.assert_allclose(weighted.w, repeated.w, atol=1e-8)
    np.testing.assert_allclose(weighted.b, repeated.b, atol=1e-8)


def test_float32_stays_float32(cancer):
    X, y = cancer
    model = fastlr.LogisticRegression(solver="saga", l1_ratio=1.0, C=0.1).fit(X.astype(np.float32), y)
    assert model.coef_.dtype == np.float32 and model.intercept_.dtype == np.float32
    reference = fastlr.LogisticRegression(solver="saga", l1_ratio=1.0, C=0.1).fit(X, y)
    np.testing.assert_allclose(model.coef_, reference.coef_, atol=1e-3)


def test_warm_start_from_the_optimum_takes_no_step(cancer):
    X, y = cancer
    model = fastlr.LogisticRegression(solver="saga", l1_ratio=1.0, C=0.1, warm_start=True)
    first = model.fit(X, y).coef_.copy()
    model.fit(X, y)
    assert model.n_iter_[0] == 0
    np.testing.assert_array_equal(model.coef_, first)


def test_max_iter_warns(cancer):
    X, y = cancer
    with pytest.warns(convergence_warning(), match="The max_iter was reached which means the coef_ did not converge: prox-newton stopped after 1 iteration"):
        fastlr.LogisticRegression(solver="prox-newton", l1_ratio=1.0, C=1.0, max_iter=1,
                                  tol=1e-12).fit(X, y)


def test_what_is_refused(cancer):
    X, y = cancer
    with pytest.raises(ValueError, match=re.escape(
            "Solver lbfgs supports only 'l2' or None penalties, got l1 penalty.")):
        fastlr.LogisticRegression(l1_ratio=1.0).fit(X, y)
    with pytest.raises(ValueError, match=re.escape(
            "Solver newton-cholesky supports only 'l2' or None penalties, got elasticnet penalty.")):
        fastlr.LogisticRegression(l1_ratio=0.5, solver="newton-cholesky").fit(X, y)
    with pytest.raises(ValueError, match=r"The 'l1_ratio' parameter of LogisticRegression must be"):
        fastlr.LogisticRegression(l1_ratio=1.5, solver="saga").fit(X, y)
    with pytest.raises(ValueError, match=re.escape("l1_ratio must be a number in [0, 1]; got 2.0")):
        fastlr.train(X.T, y, solver="prox-newton", l1_ratio=2.0)
    with pytest.raises(ValueError, match=re.escape(
            "l1_ratio=0.5 (an L1 term) needs solver='prox-newton'; solver='lbfgs' fits an L2 "
            "penalty only")):
        fastlr.train(X.T, y, solver="lbfgs", l1_ratio=0.5)


def test_no_warning_on_a_plain_fit(cancer):
    X, y = cancer
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fastlr.LogisticRegression(solver="saga", l1_ratio=0.5, C=0.3).fit(X, y)


def _inner_violation(Q, g, x0, lam, d):
    r = g + Q @ d
    v = x0 + d
    return float(np.where(v != 0, np.abs(r + lam * np.sign(v)), np.maximum(np.abs(r) - lam, 0)).max())


def _rows(R, sparse):
    """``R`` as the inner solves take it: dense, or CSR parts (about half its entries stored)."""
    if not sparse:
        return (R,)
    csr = scipy.sparse.csr_array(R)
    return csr.indptr, csr.indices, csr.data


@given(n=st.integers(0, 12), extra=st.integers(2, 50), intercept=st.booleans(),
       l2=st.sampled_from([0.0, 0.1]), sparse=st.booleans(), seed=st.integers(0, 2**32 - 1))
@settings(max_examples=80, deadline=None)
def test_the_binary_inner_solve_reaches_the_models_minimum(n, extra, intercept, l2, sparse, seed):
    """``gᵀd + ½ dᵀQd + sum lam |x0 + d|`` with ``Q = [R; 1] diag(weights) [R; 1]ᵀ + l2``, formed
    here: the optimality conditions hold at the solve's ``d`` (m > n + 1 examples with positive
    weights, so Q is positive definite and the minimum exists)."""
    from fastlr.kernels._coordinate_descent import solve_binary, solve_binary_sparse

    if n == 0 and not intercept:
        return
    rng = np.random.default_rng(seed)
    m = n + extra
    R = rng.standard_normal((n, m)) * (rng.random((n, m)) < (0.5 if sparse else 1.0))
    weights = rng.random(m) * 0.25 + 0.01
    size = n + intercept
    g = rng.standard_normal(size)
    x0 = np.where(rng.random(size) < 0.5, 0.0, rng.standard_normal(size))
    lam = np.full(size, 0.3)
    lam[n:] = 0.0
    rows = np.vstack([R, np.ones(m)]) if intercept else R
    Q = (rows * weights) @ rows.T
    Q[np.arange(n), np.arange(n)] += l2
    spectrum = np.linalg.eigvalsh(Q[np.ix_(np.diag(Q) > 0, np.diag(Q) > 0)])
    # well-conditioned problems only (sparse rows can be dependent): there the minimum exists and
    # coordinate descent reaches it in the sweeps allowed
    assume(spectrum.size == 0 or spectrum[0] > 1e-3 * spectrum[-1])
    d = np.zeros(size)
    if sparse:
        solve_binary_sparse(*_rows(R, True), m, weights, g, x0, lam, l2, d, 100_000, 1e-12)
    else:
        solve_binary(R, weights, g, x0, lam, l2, d, 100_000, 1e-12)
    live = np.diag(Q) > 0  # an all-zero row has no curvature: it stays
    assert np.all(d[~live] == 0)
    keep = np.flatnonzero(live)
    if keep.size:
        rest = g[keep] + Q[np.ix_(keep, ~live)] @ d[~live]
        assert _inner_violation(Q[np.ix_(keep, keep)], rest, x0[keep], lam[keep], d[keep]) <= 1e-9


@given(n=st.integers(0, 6), K=st.integers(2, 4), extra=st.integers(2, 40), intercept=st.booleans(),
       l2=st.sampled_from([0.0, 0.1]), sparse=st.booleans(), seed=st.integers(0, 2**32 - 1))
@settings(max_examples=60, deadline=None)
def test_the_multinomial_inner_solve_reaches_the_models_minimum(n, K, extra, intercept, l2, sparse,
                                                                seed):
    """The same with the block Hessian ``sum_i weights_i (x_i x_iᵀ) ⊗ (diag(a_i) - a_i a_iᵀ)``."""
    from fastlr.kernels._coordinate_descent import solve_multinomial, solve_multinomial_sparse

    if n == 0 and not intercept:
        return
    rng = np.random.default_rng(seed)
    m = K * (n + 1) + extra
    R = rng.standard_normal((n, m)) * (rng.random((n, m)) < (0.5 if sparse else 1.0))
    A = rng.dirichlet(np.ones(K), size=m).T.copy()
    weights = rng.random(m) + 0.01
    rows = np.vstack([R, np.ones(m)]) if intercept else R
    p = rows.shape[0]
    Q = np.zeros((K * p, K * p))  # (class, row) order; the intercepts are moved last below
    for k in range(K):
        for l in range(K):
            Q[k * p:(k + 1) * p, l * p:(l + 1) * p] = (rows * (weights * A[k] * ((k == l) - A[l]))) @ rows.T
    order = np.array([k * p + j for k in range(K) for j in range(n)]
                     + ([k * p + n for k in range(K)] if intercept else []), dtype=np.intp)
    Q = Q[np.ix_(order, order)]
    Q[np.arange(K * n), np.arange(K * n)] += l2
    size = K * (n + intercept)
    # Q is singular along the scores all moving together (each feature's K weights without l2, the
    # K intercepts): that many zero eigenvalues by construction; well-conditioned otherwise only
    live = np.diag(Q) > 0
    spectrum = np.linalg.eigvalsh(Q[np.ix_(live, live)])
    null = (np.count_nonzero(np.diag(Q)[:K * n].reshape(K, n).any(axis=0)) if l2 == 0 else 0) + intercept
    assume(spectrum.size <= null or spectrum[null] > 1e-3 * spectrum[-1])
    g = rng.standard_normal(size)
    # a real gradient sums to 0 over the classes (of each feature, and of the intercepts): the
    # scores all moving together change nothing, the direction along which Q is singular
    G = g[:K * n].reshape(K, n)
    G -= G.mean(axis=0)
    if intercept:
        g[K * n:] -= g[K * n:].mean()
    x0 = np.where(rng.random(size) < 0.5, 0.0, rng.standard_normal(size))
    lam = np.full(size, 0.2)
    lam[K * n:] = 0.0
    d = np.zeros(size)
    if sparse:
        solve_multinomial_sparse(*_rows(R, True), A, weights, g, x0, lam, l2, d, 200_000, 1e-11)
    else:
        solve_multinomial(R, A, weights, g, x0, lam, l2, d, 200_000, 1e-11)
    live = np.diag(Q) > 0
    assert np.all(d[~live] == 0)
    keep = np.flatnonzero(live)
    if keep.size:
        rest = g[keep] + Q[np.ix_(keep, ~live)] @ d[~live]
        assert _inner_violation(Q[np.ix_(keep, keep)], rest, x0[keep], lam[keep], d[keep]) <= 1e-8


@pytest.mark.parametrize("kernel_name", ["numba-parallel", "numpy"])
def test_same_bits_whatever_the_threads(kernel_name, default_threads):
    """One thread or every core, for the kernel's pass and for BLAS: the same fit, bit for bit;
    and BLAS's thread limit is the caller's again afterwards."""
    if kernel_name not in fastlr.available_kernels():
        pytest.skip(f"{kernel_name} unavailable")
    from threadpoolctl import threadpool_info, threadpool_limits

    rng = np.random.default_rng(5)
    X, y = _binary(rng, n_x=40, m=3000)
    kwargs = dict(kernel=kernel_name, solver="prox-newton", alpha=0.02, l1_ratio=0.9, tol=1e-10)
    before = [pool["num_threads"] for pool in threadpool_info()]
    default = fastlr.train(X, y, **kwargs)
    assert [pool["num_threads"] for pool in threadpool_info()] == before
    fastlr.set_num_threads(1)
    with threadpool_limits(1):
        one = fastlr.train(X, y, **kwargs)
    assert default.w.tobytes() == one.w.tobytes() and default.b == one.b


def test_without_an_l1_term_it_is_the_l2_optimum(cancer):
    """``solver="saga"`` with an L2 penalty or none (``l1_ratio=0``, ``C=np.inf``): the L2 optimum
    (newton-cholesky's), its gradient zero."""
    X, y = cancer
    X = X[:, :8]
    for C in (0.5, np.inf):
        ours = fastlr.LogisticRegression(solver="saga", C=C, tol=1e-10, max_iter=200).fit(X, y)
        newton = fastlr.LogisticRegression(solver="newton-cholesky", C=C, tol=1e-10).fit(X, y)
        alpha = 0.0 if np.isinf(C) else 1 / (C * y.size)
        dw, db, cost = fastlr.gradient(ours.coef_[0], ours.intercept_[0], X.T, y.astype(float),
                                       kernel="numpy", alpha=alpha)
        assert max(np.abs(dw).max(), abs(db)) <= 1e-9
        optimum = fastlr.gradient(newton.coef_[0], newton.intercept_[0], X.T, y.astype(float),
                                  kernel="numpy", alpha=alpha)[2]
        assert cost == pytest.approx(optimum, rel=1e-13)  # (ill-conditioned: coefficients 1e-6 apart)
        assert ours.n_iter_[0] < 20  # Newton steps on every feature at once


def test_int64_sparse_indices_fit_as_int32(rng):
    """scikit-learn's saga refuses int64 indices; fastlr's takes them, to the same coefficients."""
    X = scipy.sparse.random_array((300, 20), density=0.2, format="csr", rng=rng)
    y = (rng.random(300) < 0.5).astype(int)
    wide = X.copy()
    wide.indices, wide.indptr = X.indices.astype(np.int64), X.indptr.astype(np.int64)
    narrow_fit = fastlr.LogisticRegression(solver="saga", l1_ratio=1.0, C=0.5).fit(X, y)
    wide_fit = fastlr.LogisticRegression(solver="saga", l1_ratio=1.0, C=0.5).fit(wide, y)
    np.testing.assert_array_equal(wide_fit.coef_, narrow_fit.coef_)


def test_without_intercept_it_is_liblinears_l1_optimum(cancer):
    """liblinear minimises ``||w||_1 + C sum(loss)``: without an intercept (which liblinear would
    penalise) that is fastlr's objective times ``C n``, so the same optimum."""
    X, y = cancer
    ours = fastlr.LogisticRegression(solver="saga", l1_ratio=1.0, C=0.1, fit_intercept=False,
                                     tol=1e-10).fit(X, y)
    theirs = SklearnLR(solver="liblinear", l1_ratio=1.0, C=0.1, fit_intercept=False, tol=1e-10,
                       max_iter=100_000).fit(X, y)
    np.testing.assert_array_equal(ours.coef_ == 0, theirs.coef_ == 0)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-5)
    alpha = 1 / (0.1 * y.size)
    assert (_binary_objective(X.T, y, None, ours.coef_[0], 0.0, alpha, 1.0)
            <= _binary_objective(X.T, y, None, theirs.coef_[0], 0.0, alpha, 1.0) * (1 + 1e-10))
