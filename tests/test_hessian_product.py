"""Hessian-vector products: every kernel's two product ops, the objective's Hessian operator.

``gram_product(X, c, v) -> [X; 1] diag(c) [X; 1]ᵀ v`` (float64, intercept
last) and ``multinomial_product(V, v_b, X, A, c) -> (HV, h_b)`` against
exactly rounded float64 sums, in every layout, dtype and sparse format, the
same bits on any number of threads; the objective's operator
(binary: the op with ``c = s a (1-a) / sum(s)`` plus the L2 term;
multinomial: the softmax's block Hessian) against the explicit Hessian of the
``numpy`` kernel and against finite differences of the gradient, and its
diagonal against the explicit Hessian's.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastlr
from fastlr._loss import BINARY_LOSS, MULTINOMIAL_LOSS
from fastlr._objective import in_memory
from fastlr._registry import GRAM_PRODUCT, MULTINOMIAL_PRODUCT, get_kernel, resolve
from fastlr._validation import validate_multinomial, validate_problem
from fastlr.kernels._threads import max_threads

from reference import layout


def reference_product(X, c, v):
    """``(product, scale)``: exactly rounded float64 sums, and the same over absolute values."""
    X1 = np.vstack([np.asarray(X.toarray() if scipy.sparse.issparse(X) else X, dtype=np.float64),
                    np.ones(X.shape[1])])
    t = np.array([math.fsum(X1[:, i] * v) for i in range(X1.shape[1])]) * c
    product = np.array([math.fsum(row * t) for row in X1])
    scale = np.abs(X1) @ (np.abs(c) * (np.abs(X1).T @ np.abs(v)))
    return product, scale


def gram_product(kernel, X, c, v):
    return resolve(kernel, GRAM_PRODUCT, X).gram_product(X, c, v)


def _tolerance(kernel, dtype):
    # numpy's BLAS sums float32 in float32; every other kernel sums in float64
    return 1e-5 if (kernel == "numpy" and dtype == np.float32) else 1e-12


@pytest.mark.parametrize("order", ["C", "F", "strided"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(1, 1), (3, 5), (13, 301), (130, 1030), (960, 45)])
def test_every_kernel_gives_the_weighted_gram_product(kernel, order, dtype, shape, rng):
    if kernel == "python" and shape[0] * shape[1] > 20_000:
        pytest.skip("the pure-Python loops: a smaller problem says the same")
    X = layout(rng.standard_normal(shape).astype(dtype), order)
    c = rng.random(shape[1])
    v = rng.standard_normal(shape[0] + 1)
    out = gram_product(kernel, X, c, v)
    assert out.shape == (shape[0] + 1,) and out.dtype == np.float64
    expected, scale = reference_product(X, c, v)
    assert np.all(np.abs(out - expected) <= _tolerance(kernel, dtype) * scale + 1e-300)


@pytest.mark.parametrize("fmt", ["csc", "csr"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
def test_every_kernel_gives_the_product_on_a_sparse_x(kernel, fmt, dtype, index_dtype, rng):
    X = scipy.sparse.random(40, 700, density=0.1, format=fmt, dtype=dtype, random_state=7)
    X.indices = X.indices.astype(index_dtype)
    X.indptr = X.indptr.astype(index_dtype)
    c = rng.random(700)
    v = rng.standard_normal(41)
    expected, scale = reference_product(X, c, v)
    out = gram_product(kernel, X, c, v)
    assert np.all(np.abs(out - expected) <= _tolerance(kernel, dtype) * scale + 1e-300)


def test_duplicates_and_explicit_zeros_count_as_stored(kernel, rng):
    """Each stored entry adds as it is (scipy's arithmetic): duplicates add up, zeros add nothing."""
    X = scipy.sparse.csc_array((np.array([1.0, 2.0, 0.0, 3.0]), np.array([0, 0, 1, 2]),
                                np.array([0, 3, 4])), shape=(3, 2))
    c = np.array([0.5, 2.0])
    v = rng.standard_normal(4)
    dense = np.array([[3.0, 0.0], [0.0, 0.0], [0.0, 3.0]])
    expected, scale = reference_product(dense, c, v)
    np.testing.assert_allclose(gram_product(kernel, X, c, v), expected, rtol=1e-13, atol=1e-15)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n_x=st.integers(1, 12), m=st.integers(1, 40), order=st.sampled_from(["C", "F"]),
       seed=st.integers(0, 2**32 - 1))
def test_shapes_and_values(kernel, n_x, m, order, seed):
    rng = np.random.default_rng(seed)
    X = layout(rng.standard_normal((n_x, m)) * 10.0 ** rng.integers(-3, 4), order)
    c = rng.random(m) * 10.0 ** rng.integers(-6, 1)
    v = rng.standard_normal(n_x + 1)
    expected, scale = reference_product(X, c, v)
    out = gram_product(kernel, X, c, v)
    assert np.all(np.abs(out - expected) <= 1e-12 * scale + 1e-300)


@pytest.mark.parametrize("sparse", [False, True])
def test_the_same_bits_on_any_number_of_threads(sparse, rng, default_threads):
    if "numba-parallel" not in fastlr.available_kernels():
        pytest.skip("numba is not installed")
    if sparse:
        X = scipy.sparse.random(300, 60_000, density=0.01, format="csc", random_state=3)
    else:
        X = np.asfortranarray(rng.standard_normal((50, 40_000)))
    c = rng.random(X.shape[1])
    v = rng.standard_normal(X.shape[0] + 1)
    results = []
    for threads in (1, max_threads(), 1):
        fastlr.set_num_threads(threads)
        results.append(gram_product("numba-parallel", X, c, v))
    for result in results[1:]:
        assert np.array_equal(result, results[0])


def test_an_index_outside_x_gives_nan_never_a_read_outside(compiled_kernel):
    """The compiled passes bound every index (fastlr refuses such a matrix before any kernel runs)."""
    for fmt, indices in (("csc", [0, 9, 1]), ("csr", [0, 9, 1])):
        cls = scipy.sparse.csc_matrix if fmt == "csc" else scipy.sparse.csr_matrix
        X = cls((2, 3) if fmt == "csc" else (2, 3))
        X.data, X.indices, X.indptr = (np.array([1.0, 2.0, 3.0]), np.array(indices),
                                       np.array([0, 1, 2, 3]) if fmt == "csc" else
                                       np.array([0, 2, 3]))
        out = get_kernel(compiled_kernel).sparse_face().gram_product(X, np.ones(3), np.ones(3))
        assert np.isnan(out).any()


# --- the multinomial product op ----------------------------------------------------------------

def reference_multinomial_product(V, v_b, X, A, c):
    """``((HV, h_b), (HV's scale, h_b's scale))``: exactly rounded float64 sums per step, and the
    same over absolute values (what rounding in any order is bounded by)."""
    X = np.asarray(X.toarray() if scipy.sparse.issparse(X) else X, dtype=np.float64)
    K, m = A.shape
    U = np.array([[math.fsum(V[k] * X[:, i]) + v_b[k] for i in range(m)] for k in range(K)])
    P = A * U
    dot = np.array([math.fsum(P[:, i]) for i in range(m)])
    R = c * (P - A * dot)
    HV = np.array([[math.fsum(R[k] * X[j]) for j in range(X.shape[0])] for k in range(K)])
    hb = np.array([math.fsum(R[k]) for k in range(K)])
    U_abs = np.abs(V) @ np.abs(X) + np.abs(v_b)[:, None]
    R_abs = np.abs(c) * (A * U_abs + A * (A * U_abs).sum(axis=0))
    return (HV, hb), (R_abs @ np.abs(X).T, R_abs.sum(axis=1))


def multinomial_product(kernel, V, v_b, X, A, c):
    return resolve(kernel, MULTINOMIAL_PRODUCT, X, V.shape[0]).multinomial_product(V, v_b, X, A, c)


def _product_inputs(rng, n_x, m, K):
    V = rng.standard_normal((K, n_x))
    v_b = rng.standard_normal(K)
    Z = rng.standard_normal((K, m)) * 3.0
    A = np.exp(Z - Z.max(axis=0))
    A /= A.sum(axis=0)
    return V, v_b, A, rng.random(m)


def _assert_multinomial_product(kernel, V, v_b, X, A, c, dtype=np.float64):
    HV, hb = multinomial_product(kernel, V, v_b, X, A, c)
    K, n_x = V.shape
    assert HV.shape == (K, n_x) and hb.shape == (K,)
    assert HV.dtype == np.float64 and hb.dtype == np.float64
    (expected_HV, expected_hb), (scale_HV, scale_hb) = reference_multinomial_product(V, v_b, X, A, c)
    tolerance = _tolerance(kernel, dtype)
    assert np.all(np.abs(HV - expected_HV) <= tolerance * scale_HV + 1e-300)
    assert np.all(np.abs(hb - expected_hb) <= tolerance * scale_hb + 1e-300)


@pytest.mark.parametrize("order", ["C", "F", "strided"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(1, 1, 2), (3, 5, 3), (13, 301, 4), (70, 1030, 10)])
def test_every_kernel_gives_the_multinomial_product(kernel, order, dtype, shape, rng):
    n_x, m, K = shape
    if kernel == "python" and n_x * m * K > 20_000:
        pytest.skip("the pure-Python loops: a smaller problem says the same")
    X = layout(rng.standard_normal((n_x, m)).astype(dtype), order)
    V, v_b, A, c = _product_inputs(rng, n_x, m, K)
    _assert_multinomial_product(kernel, V, v_b, X, A, c, dtype)


@pytest.mark.parametrize("fmt", ["csc", "csr"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
def test_every_kernel_gives_the_multinomial_product_on_a_sparse_x(kernel, fmt, dtype, index_dtype,
                                                                   rng):
    X = scipy.sparse.random(40, 300, density=0.1, format=fmt, dtype=dtype, random_state=7)
    X.indices = X.indices.astype(index_dtype)
    X.indptr = X.indptr.astype(index_dtype)
    V, v_b, A, c = _product_inputs(rng, 40, 300, 5)
    _assert_multinomial_product(kernel, V, v_b, X, A, c, dtype)


def test_the_multinomial_product_counts_duplicates_and_zeros_as_stored(kernel, rng):
    X = scipy.sparse.csc_array((np.array([1.0, 2.0, 0.0, 3.0]), np.array([0, 0, 1, 2]),
                                np.array([0, 3, 4])), shape=(3, 2))
    dense = np.array([[3.0, 0.0], [0.0, 0.0], [0.0, 3.0]])
    V, v_b, A, c = _product_inputs(rng, 3, 2, 3)
    HV, hb = multinomial_product(kernel, V, v_b, X, A, c)
    (expected_HV, expected_hb), _ = reference_multinomial_product(V, v_b, dense, A, c)
    np.testing.assert_allclose(HV, expected_HV, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(hb, expected_hb, rtol=1e-13, atol=1e-15)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n_x=st.integers(1, 10), m=st.integers(1, 30), K=st.integers(2, 6),
       order=st.sampled_from(["C", "F"]), seed=st.integers(0, 2**32 - 1))
def test_multinomial_product_shapes_and_values(kernel, n_x, m, K, order, seed):
    rng = np.random.default_rng(seed)
    X = layout(rng.standard_normal((n_x, m)) * 10.0 ** rng.integers(-3, 4), order)
    V, v_b, A, c = _product_inputs(rng, n_x, m, K)
    _assert_multinomial_product(kernel, V, v_b, X, A, c * 10.0 ** rng.integers(-6, 1))


@pytest.mark.parametrize("sparse", [False, True])
def test_the_multinomial_product_has_the_same_bits_on_any_number_of_threads(sparse, rng,
                                                                            default_threads):
    if "numba-parallel" not in fastlr.available_kernels():
        pytest.skip("numba is not installed")
    if sparse:
        X = scipy.sparse.random(300, 30_000, density=0.01, format="csc", random_state=3)
    else:
        X = np.asfortranarray(rng.standard_normal((20, 30_000)))
    V, v_b, A, c = _product_inputs(rng, X.shape[0], X.shape[1], 4)
    results = []
    for threads in (1, max_threads(), 1):
        fastlr.set_num_threads(threads)
        results.append(multinomial_product("numba-parallel", V, v_b, X, A, c))
    for HV, hb in results[1:]:
        assert np.array_equal(HV, results[0][0]) and np.array_equal(hb, results[0][1])


def test_the_multinomial_product_gives_nan_for_an_index_outside_x(compiled_kernel, rng):
    """The compiled passes bound every index (fastlr refuses such a matrix before any kernel runs)."""
    V, v_b, A, c = _product_inputs(rng, 2, 3, 3)
    for cls, indptr in ((scipy.sparse.csc_matrix, [0, 1, 2, 3]), (scipy.sparse.csr_matrix, [0, 2, 3])):
        X = cls((2, 3))
        X.data, X.indices, X.indptr = np.array([1.0, 2.0, 3.0]), np.array([0, 9, 1]), np.array(indptr)
        HV, hb = get_kernel(compiled_kernel).sparse_face().multinomial_product(V, v_b, X, A, c)
        assert np.isnan(HV).any() or np.isnan(hb).any()


# --- the objective's Hessian operator ----------------------------------------------------------

def _binary_objective(rng, sparse, kernel="numpy", alpha=0.1):
    n_x, m = 6, 80
    X = rng.standard_normal((n_x, m))
    if sparse:
        X[rng.random((n_x, m)) < 0.5] = 0.0
        X = scipy.sparse.csc_array(X)
    y = (rng.random(m) < 0.5).astype(float)
    s = rng.random(m) + 0.5
    problem = validate_problem(rng.standard_normal(n_x) * 0.5, 0.3, X, y, alpha=alpha,
                               sample_weight=s)
    numpy = get_kernel("numpy")
    numpy = numpy.sparse_face() if sparse else numpy
    product = resolve(kernel, GRAM_PRODUCT, problem.X)
    kernels = {"sums": numpy, "hessian": numpy, "product": product}
    return in_memory(BINARY_LOSS, problem, kernels), problem.w, problem.b


def _multinomial_objective(rng, sparse, kernel="numpy", alpha=0.1):
    n_x, m, K = 5, 90, 3
    X = rng.standard_normal((n_x, m))
    if sparse:
        X[rng.random((n_x, m)) < 0.5] = 0.0
        X = scipy.sparse.csc_array(X)
    problem = validate_multinomial(rng.standard_normal((K, n_x)) * 0.5, rng.standard_normal(K), X,
                                   rng.integers(0, K, m), alpha=alpha,
                                   sample_weight=rng.random(m) + 0.5)
    numpy = get_kernel("numpy")
    numpy = numpy.sparse_face() if sparse else numpy
    product = resolve(kernel, MULTINOMIAL_PRODUCT, problem.X, K)
    kernels = {"sums": numpy, "hessian": numpy, "product": product}
    return in_memory(MULTINOMIAL_LOSS, problem, kernels), problem.W.reshape(-1), problem.b


def _objective(rng, multinomial, sparse, kernel="numpy"):
    if multinomial:
        return _multinomial_objective(rng, sparse, kernel)
    return _binary_objective(rng, sparse, kernel)


@pytest.mark.parametrize("multinomial", [False, True])
@pytest.mark.parametrize("sparse", [False, True])
def test_the_operator_is_the_explicit_hessian(kernel, multinomial, sparse, rng):
    objective, w, b = _objective(rng, multinomial, sparse, kernel)
    H = objective.hessian(w, b)[0]
    operator = objective.hessian_operator(w, b)
    columns = np.column_stack([operator.product(e) for e in np.eye(H.shape[0])])
    np.testing.assert_allclose(columns, H, rtol=1e-12, atol=1e-14)
    diagonal = np.diag(H).copy()
    if multinomial:  # each feature's entries, and the intercepts', averaged over the classes
        K, n = objective.n_classes, objective.n_x
        diagonal[:n] = np.tile(diagonal[:n].reshape(K, -1).mean(axis=0), K)
        diagonal[n:] = diagonal[n:].mean()
    np.testing.assert_allclose(operator.diagonal, diagonal, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("multinomial", [False, True])
@pytest.mark.parametrize("sparse", [False, True])
def test_the_operator_matches_finite_differences_of_the_gradient(multinomial, sparse, rng):
    objective, w, b = _objective(rng, multinomial, sparse)
    n = w.shape[0]

    def gradient(theta):
        dw, db, _ = objective.evaluate(theta[:n].copy(), theta[n:].copy() if multinomial
                                       else float(theta[n]))
        return np.concatenate([dw, np.atleast_1d(db)])

    theta = np.concatenate([w, np.atleast_1d(b)])
    v = rng.standard_normal(theta.shape[0])
    eps = 1e-6
    difference = (gradient(theta + eps * v) - gradient(theta - eps * v)) / (2 * eps)
    np.testing.assert_allclose(objective.hessian_operator(w, b).product(v), difference,
                               rtol=1e-6, atol=1e-8)
