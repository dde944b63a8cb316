"""The binary Hessian op of every kernel: a float64 reference, finite differences, same bits.

``binary_hessian_sums(w, b, X, y, s) -> (H, dw, db, cost)``: ``H`` the weighted
Gram matrix ``[X; 1] diag(s a (1-a)) [X; 1]ᵀ`` (intercept last), the other
three the binary op's sums; ``fastlr._finish.binary_hessian_means`` divides by
``sum(s)`` and adds ``alpha`` to the diagonal but the intercept's.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import scipy.sparse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.special import expit

import fastlr
from fastlr._auto import NUMPY_HESSIAN_MIN_FEATURES, choose_kernel_name
from fastlr._finish import binary_hessian_means, weight_total
from fastlr._registry import BINARY_HESSIAN, KernelUnavailableError, offering, resolve

from reference import make_softmax_problem, reference_gradient


def reference_hessian(w, b, X, y, sample_weight=None):
    """``(H, scale)`` sums in float64: ``H`` by exactly rounded sums, ``scale`` the same over |.|."""
    X = np.asarray(X, dtype=np.float64)
    n_x, m = X.shape
    s = np.ones(m) if sample_weight is None else np.asarray(sample_weight, np.float64)
    z = np.asarray(w, np.float64) @ X + b
    a = expit(z)
    h = s * a * expit(-z)  # 1 - a as expit(-z): no cancellation near a = 1
    X1 = np.vstack([X, np.ones(m)])
    H = np.array([[math.fsum(h * X1[j] * X1[k]) for k in range(n_x + 1)] for j in range(n_x + 1)])
    scale = (np.abs(X1) * h) @ np.abs(X1).T
    return H, scale


def hessian_sums(kernel, w, b, X, y, s=None):
    return resolve(kernel, BINARY_HESSIAN, X).binary_hessian(w, b, X, y, s)


def assert_matches(result, w, b, X, y, s, rtol):
    H, dw, db, cost = result
    n_x, m = X.shape
    assert H.shape == (n_x + 1, n_x + 1) and H.dtype == np.float64
    assert np.array_equal(H, H.T), "H is symmetric to the bit"
    ref_H, scale = reference_hessian(w, b, X, y, s)
    assert np.all(np.abs(H - ref_H) <= rtol * scale + 1e-300), np.abs(H - ref_H).max()
    total = weight_total(s, m)
    ref_dw, ref_db, ref_cost, scales = reference_gradient(w, b, X, y, sample_weight=s)
    np.testing.assert_array_less(np.abs(dw / total - ref_dw), rtol * scales[0] + 1e-300)
    assert abs(db / total - ref_db) <= rtol * scales[1] + 1e-300
    assert abs(cost / total - ref_cost) <= rtol * scales[2]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("shape", [(1, 1), (5, 9), (13, 301)])
def test_hessian_matches_float64_reference(kernel, rng, dtype, order, weighted, shape):
    n_x, m = shape
    X = np.asarray(rng.standard_normal(shape) * 1.5, dtype=dtype, order=order)
    y = (rng.random(m) < 0.5).astype(dtype)
    w = rng.standard_normal(n_x).astype(dtype)
    s = (rng.random(m) * 2).astype(dtype) if weighted else None
    rtol = 1e-12 if dtype == np.float64 else 2e-6
    assert_matches(hessian_sums(kernel, w, 0.3, X, y, s), w, 0.3, X, y, s, rtol)


def test_hessian_tiles_and_chunks(kernel, rng):
    """Shapes past one tile and one chunk of the compiled passes, and a last partial tile."""
    if kernel in ("python", "partial"):
        pytest.skip("the teaching tiers have no tiles; slow at this size")
    n_x, m = 37, 20_011
    X = np.asfortranarray(rng.standard_normal((n_x, m)))
    y = (rng.random(m) < 0.5).astype(np.float64)
    w = rng.standard_normal(n_x) * 0.2
    assert_matches(hessian_sums(kernel, w, -0.1, X, y), w, -0.1, X, y, None, 1e-12)


@pytest.mark.parametrize("alpha", [0.0, 0.3])
@pytest.mark.parametrize("fit_weights", [False, True])
def test_hessian_is_derivative_of_gradient(kernel, rng, alpha, fit_weights):
    n_x, m = 4, 25
    X = rng.standard_normal((n_x, m)) * 2.0
    y = (rng.random(m) < 0.5).astype(np.float64)
    w = rng.standard_normal(n_x)
    b = 0.4
    s = rng.random(m) * 3.0 if fit_weights else None

    def gradient(theta):
        dw, db, _ = fastlr.gradient(theta[:n_x], theta[n_x], X, y, kernel=kernel, alpha=alpha,
                                    sample_weight=s)
        return np.append(dw, db)

    H, dw, db, cost = binary_hessian_means(w, alpha, weight_total(s, m),
                                           *hessian_sums(kernel, w, b, X, y, s))
    theta = np.append(w, b)
    step = 1e-6
    numeric = np.array([(gradient(theta + step * e) - gradient(theta - step * e)) / (2 * step)
                        for e in np.eye(n_x + 1)])
    np.testing.assert_allclose(H, numeric, rtol=1e-6, atol=1e-8)
    expected = fastlr.gradient(w, b, X, y, kernel=kernel, alpha=alpha, sample_weight=s)
    np.testing.assert_allclose(dw, expected[0], rtol=1e-13, atol=1e-15)
    assert db == pytest.approx(expected[1], rel=1e-13, abs=1e-15)
    assert cost == pytest.approx(expected[2], rel=1e-13)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n_x=st.integers(1, 9), m=st.integers(1, 70), scale=st.sampled_from([1e-3, 1.0, 30.0]),
       order=st.sampled_from("CF"), seed=st.integers(0, 2**32 - 1))
def test_hessian_any_shape_and_scale(kernel, n_x, m, scale, order, seed):
    rng = np.random.default_rng(seed)
    X = np.asarray(rng.standard_normal((n_x, m)) * scale, order=order)
    y = rng.random(m)  # soft labels: the Hessian does not depend on them
    w = rng.standard_normal(n_x)
    assert_matches(hessian_sums(kernel, w, 0.1, X, y), w, 0.1, X, y, None, 1e-11)


def test_hessian_far_from_the_boundary_is_finite_and_positive(kernel):
    """Logits of +-800: a (1-a) underflows to 0 without NaN (e / (1 + e)^2 form)."""
    X = np.array([[800.0, -800.0, 1.0]])
    H, dw, db, cost = hessian_sums(kernel, np.array([1.0]), 0.0, X, np.array([1.0, 0.0, 1.0]))
    assert np.isfinite(H).all() and np.isfinite(dw).all() and math.isfinite(cost)
    assert H[1, 1] == pytest.approx(expit(1.0) * (1 - expit(1.0)), rel=1e-14)


@pytest.mark.parametrize("threads", [1, 2])
def test_parallel_hessian_same_bits_at_any_thread_count(rng, threads, default_threads):
    if "numba-parallel" not in fastlr.available_kernels():
        pytest.skip("numba unavailable")
    X = np.asfortranarray(rng.standard_normal((24, 30_000)))
    y = (rng.random(30_000) < 0.5).astype(np.float64)
    w = rng.standard_normal(24) * 0.3
    fastlr.set_num_threads(1)
    first = hessian_sums("numba-parallel", w, 0.2, X, y)
    fastlr.set_num_threads(threads)
    again = hessian_sums("numba-parallel", w, 0.2, X, y)
    for one, other in zip(first, again):
        assert np.array_equal(one, other)


def test_inputs_are_not_modified(kernel, rng):
    X = rng.standard_normal((3, 11))
    y = (rng.random(11) < 0.5).astype(np.float64)
    w = rng.standard_normal(3)
    s = rng.random(11)
    copies = [a.copy() for a in (X, y, w, s)]
    hessian_sums(kernel, w, 0.0, X, y, s)
    for original, copy in zip((X, y, w, s), copies):
        assert np.array_equal(original, copy)


@pytest.mark.parametrize("fmt", ["csc", "csr"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sparse_hessian_matches_dense(rng, fmt, dtype):
    X = scipy.sparse.random(15, 120, density=0.2, format=fmt, random_state=3, dtype=dtype)
    y = (rng.random(120) < 0.5).astype(dtype)
    w = rng.standard_normal(15).astype(dtype)
    s = rng.random(120).astype(dtype)
    result = hessian_sums("auto", w, 0.1, X, y, s)
    assert_matches(result, w, 0.1, X.toarray(), y, s, 1e-11 if dtype == np.float64 else 2e-6)


def test_sparse_hessian_only_numpy_offers_it():
    assert offering("sparse-binary-hessian") == ("numpy",)
    X = scipy.sparse.random(4, 10, density=0.5, format="csc", random_state=0)
    message = ("kernel 'numba' has no sparse-binary-hessian op; kernels that offer it: numpy, auto")
    with pytest.raises(KernelUnavailableError, match=re.escape(message)):
        resolve("numba", BINARY_HESSIAN, X)


def test_every_kernel_offers_the_dense_hessian():
    assert offering(BINARY_HESSIAN) == fastlr.KERNELS


def test_auto_hessian_choice():
    if "numba" not in fastlr.available_kernels():
        assert choose_kernel_name(np.ones((3, 10)), BINARY_HESSIAN) == "numpy"
        return
    assert choose_kernel_name(np.ones((30, 569)), BINARY_HESSIAN) == "numba"
    many = np.ones((NUMPY_HESSIAN_MIN_FEATURES, 10))
    assert choose_kernel_name(many, BINARY_HESSIAN) == "numpy"
    X = scipy.sparse.random(30, 100, density=0.1, format="csc", random_state=0)
    assert choose_kernel_name(X, "sparse-binary-hessian") == "numpy"


# -- the multinomial Hessian op (numpy) ------------------------------------------


def reference_multinomial_hessian(W, b, X, sample_weight=None):
    """The block Hessian's sums in float64, block by block from the definition."""
    X = np.asarray(X, dtype=np.float64)
    K, n_x = W.shape
    m = X.shape[1]
    s = np.ones(m) if sample_weight is None else np.asarray(sample_weight, np.float64)
    Z = np.asarray(W, np.float64) @ X + b[:, None]
    P = np.exp(Z - Z.max(axis=0))
    P /= P.sum(axis=0)
    X1 = np.vstack([X, np.ones(m)])
    n = K * n_x
    H = np.empty((n + K, n + K))
    index = [np.r_[k * n_x:(k + 1) * n_x, n + k] for k in range(K)]
    for k in range(K):
        for l in range(K):
            h = s * P[k] * ((k == l) - P[l])
            H[np.ix_(index[k], index[l])] = (X1 * h) @ X1.T
    return H


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("weighted", [False, True])
def test_multinomial_hessian_matches_reference(rng, dtype, order, weighted):
    W, b, X, labels = make_softmax_problem(rng, K=3, n_x=4, m=60, dtype=dtype, order=order)
    s = (rng.random(X.shape[1]) * 2).astype(dtype) if weighted else None
    kernel = resolve("auto", "multinomial-hessian", X, 3)
    H, dW, db, cost = kernel.multinomial_hessian(W, b, X, labels, None, s)
    assert np.array_equal(H, H.T)
    expected = reference_multinomial_hessian(W, b, X, s)
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(H, expected, rtol=rtol, atol=rtol * np.abs(expected).max())
    sums = kernel.multinomial(W, b, X, labels, None, s)
    np.testing.assert_allclose(dW, sums[0], rtol=rtol, atol=1e-12)
    np.testing.assert_allclose(db, sums[1], rtol=rtol, atol=1e-12)
    assert cost == pytest.approx(sums[2], rel=rtol)


@pytest.mark.parametrize("alpha", [0.0, 0.2])
def test_multinomial_hessian_is_derivative_of_gradient(rng, alpha):
    from fastlr._finish import multinomial_hessian_means

    W, b, X, labels = make_softmax_problem(rng, K=3, n_x=4, m=40)
    K, n_x = W.shape
    s = rng.random(40)
    kernel = resolve("numpy", "multinomial-hessian", X, K)
    H, *_ = multinomial_hessian_means(W, alpha, s.sum(),
                                      *kernel.multinomial_hessian(W, b, X, labels, None, s))

    def gradient(theta):
        dW, db, _ = fastlr.softmax_gradient(theta[:K * n_x].reshape(K, n_x), theta[K * n_x:], X,
                                            labels, alpha=alpha, sample_weight=s)
        return np.concatenate([dW.ravel(), db])

    theta = np.concatenate([W.ravel(), b])
    step = 1e-6
    numeric = np.array([(gradient(theta + step * e) - gradient(theta - step * e)) / (2 * step)
                        for e in np.eye(theta.size)])
    np.testing.assert_allclose(H, numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("fmt", ["csc", "csr"])
def test_sparse_multinomial_hessian_matches_dense(rng, fmt):
    W, b, X, labels = make_softmax_problem(rng, K=3, n_x=6, m=80)
    X[np.abs(X) < 0.7] = 0.0
    sparse = scipy.sparse.csc_matrix(X).asformat(fmt)
    got = resolve("auto", "multinomial-hessian", sparse, 3).multinomial_hessian(
        W, b, sparse, labels, None, None)
    want = resolve("numpy", "multinomial-hessian", X, 3).multinomial_hessian(W, b, X, labels, None, None)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-13)


def test_only_numpy_offers_the_multinomial_hessian():
    assert offering("multinomial-hessian") == ("numpy",)
    assert offering("sparse-multinomial-hessian") == ("numpy",)
    assert choose_kernel_name(np.ones((3, 10)), "multinomial-hessian", 3) == "numpy"
