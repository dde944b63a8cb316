"""Sparse X (scipy.sparse): every kernel's sparse ops against the dense result, training, errors.

A sparse X must give what its dense twin gives (``X.toarray()``, through the
float64 reference), whatever its format (CSC and CSR as they are, COO
converted), index dtype (int32, int64), entry order (unsorted indices),
duplicates (which add up) and explicit zeros, with empty rows and columns;
binary and multinomial; and it must never be densified.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastlr
from fastlr import Kernel, KernelUnavailableError

from reference import assert_matches_reference, assert_matches_softmax_reference

sparse = pytest.importorskip("scipy.sparse")

RTOL = {np.dtype(np.float64): 1e-10, np.dtype(np.float32): 1e-4}
#: How a user may hold X: scipy's two compressed formats (matrix and array) and one that is converted.
FORMATS = ["csc_matrix", "csr_matrix", "csc_array", "csr_array", "coo_matrix"]


def _sparse(rng, n_x, m, density, fmt="csc_matrix", dtype=np.float64, index_dtype=np.int32):
    """A random ``(n_x, m)`` sparse X in ``fmt`` with ``index_dtype`` indices."""
    dense = rng.standard_normal((n_x, m)) * (rng.random((n_x, m)) < density)
    X = getattr(sparse, fmt)(dense.astype(dtype))
    if X.format in ("csc", "csr"):
        X.indices = X.indices.astype(index_dtype)
        X.indptr = X.indptr.astype(index_dtype)
    return X


def _binary(rng, m, dtype=np.float64):
    return (rng.random(m) < 0.5).astype(dtype)


def _non_canonical(rng, n_x=9, m=40, fmt="csc"):
    """A compressed X with unsorted indices, duplicate entries and explicit zeros."""
    outer, inner = (m, n_x) if fmt == "csc" else (n_x, m)
    indptr = [0]
    indices, data = [], []
    for _ in range(outer):
        count = int(rng.integers(0, 6))
        chosen = list(rng.integers(0, inner, count))
        if count:
            chosen.append(chosen[0])  # a duplicate
        values = list(rng.standard_normal(len(chosen)))
        if len(values) > 2:
            values[1] = 0.0  # an explicit zero
        order = rng.permutation(len(chosen))  # unsorted
        indices += [chosen[k] for k in order]
        data += [values[k] for k in order]
        indptr.append(len(indices))
    make = sparse.csc_matrix if fmt == "csc" else sparse.csr_matrix
    X = make((np.array(data), np.array(indices, dtype=np.int32), np.array(indptr, dtype=np.int32)),
             shape=(n_x, m))
    assert not X.has_canonical_format
    return X


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
def test_gradient_matches_dense(kernel, rng, fmt, dtype, index_dtype):
    X = _sparse(rng, 23, 301, 0.2, fmt, dtype, index_dtype)
    w = rng.standard_normal(23).astype(dtype)
    y = _binary(rng, 301, dtype)
    s = rng.random(301).astype(dtype)
    result = fastlr.gradient(w, 0.3, X, y, kernel=kernel, alpha=0.1, sample_weight=s)
    assert result[0].dtype == dtype and result[0].shape == (23,)
    assert_matches_reference(result, w, 0.3, X.toarray(), y, rtol=RTOL[np.dtype(dtype)], alpha=0.1,
                             sample_weight=s)


@pytest.mark.parametrize("fmt", ["csc", "csr"])
def test_unsorted_duplicates_and_explicit_zeros_as_scipy_adds_them(kernel, rng, fmt):
    X = _non_canonical(rng, fmt=fmt)
    w = rng.standard_normal(9)
    y = _binary(rng, 40)
    assert_matches_reference(fastlr.gradient(w, -0.2, X, y, kernel=kernel), w, -0.2, X.toarray(), y,
                             rtol=1e-12)
    W = rng.standard_normal((3, 9))
    labels = rng.integers(0, 3, 40)
    assert_matches_softmax_reference(fastlr.softmax_gradient(W, 0.1, X, labels, kernel=kernel),
                                     W, np.full(3, 0.1), X.toarray(), labels, rtol=1e-12)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("soft", [False, True], ids=["labels", "probabilities"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_softmax_gradient_matches_dense(kernel, rng, fmt, soft, dtype):
    K, n_x, m = 4, 17, 211
    X = _sparse(rng, n_x, m, 0.25, fmt, dtype)
    W = rng.standard_normal((K, n_x)).astype(dtype)
    b = rng.standard_normal(K)
    if soft:
        Y = rng.random((K, m))
        Y = (Y / Y.sum(axis=0)).astype(dtype)
    else:
        Y = rng.integers(0, K, m)
    s = rng.random(m).astype(dtype)
    result = fastlr.softmax_gradient(W, b, X, Y, kernel=kernel, alpha=0.05, sample_weight=s)
    assert result[0].dtype == dtype and result[0].shape == (K, n_x)
    assert_matches_softmax_reference(result, W, b, X.toarray(), Y, rtol=RTOL[np.dtype(dtype)],
                                     alpha=0.05, sample_weight=s)


@st.composite
def sparse_problems(draw):
    """``(X, w, b, y, s)``: shapes down to 1 x 1, densities from empty to full, any format."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n_x = draw(st.integers(1, 12))
    m = draw(st.integers(1, 40))
    density = draw(st.sampled_from([0.0, 0.05, 0.3, 1.0]))
    fmt = draw(st.sampled_from(FORMATS))
    dtype = np.dtype(draw(st.sampled_from([np.float64, np.float32])))
    index_dtype = draw(st.sampled_from([np.int32, np.int64]))
    scale = draw(st.sampled_from([1e-3, 1.0, 30.0]))
    X = _sparse(rng, n_x, m, density, fmt, dtype, index_dtype) * dtype.type(scale)
    w = rng.standard_normal(n_x).astype(dtype)
    b = float(rng.standard_normal())
    y = _binary(rng, m, dtype)
    s = None if draw(st.booleans()) else rng.random(m).astype(dtype) + dtype.type(0.01)
    return X, w, b, y, s


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(problem=sparse_problems())
def test_every_kernel_matches_dense_on_any_sparse_x(problem):
    X, w, b, y, s = problem
    for kernel in fastlr.available_kernels():
        result = fastlr.gradient(w, b, X, y, kernel=kernel, sample_weight=s)
        assert_matches_reference(result, w, b, X.toarray(), y, rtol=RTOL[X.dtype], sample_weight=s)


def test_finite_differences_of_the_sparse_cost(kernel, rng):
    X = _sparse(rng, 6, 50, 0.3)
    y = _binary(rng, 50)
    w = rng.standard_normal(6)
    dw, db, _ = fastlr.gradient(w, 0.1, X, y, kernel=kernel, alpha=0.2)
    h = 1e-6
    for j in range(6):
        step = np.zeros(6)
        step[j] = h
        up = fastlr.gradient(w + step, 0.1, X, y, kernel=kernel, alpha=0.2)[2]
        down = fastlr.gradient(w - step, 0.1, X, y, kernel=kernel, alpha=0.2)[2]
        assert abs((up - down) / (2 * h) - dw[j]) < 1e-7
    up = fastlr.gradient(w, 0.1 + h, X, y, kernel=kernel, alpha=0.2)[2]
    down = fastlr.gradient(w, 0.1 - h, X, y, kernel=kernel, alpha=0.2)[2]
    assert abs((up - down) / (2 * h) - db) < 1e-7


@pytest.mark.parametrize("fmt", ["csc", "csr"])
def test_compiled_passes_larger_than_a_tile_and_a_chunk(rng, fmt):
    """Many chunks of numba-parallel (several partial rows), tiles of both ops, both layouts."""
    names = [name for name in ("numba", "numba-parallel") if name in fastlr.available_kernels()]
    if not names:
        pytest.skip("needs numba")
    X = _sparse(rng, 40, 20000, 0.15).asformat(fmt)
    w = rng.standard_normal(40) * 0.3
    y = _binary(rng, 20000)
    W = rng.standard_normal((3, 40)) * 0.3
    labels = rng.integers(0, 3, 20000)
    for name in names:
        assert_matches_reference(fastlr.gradient(w, 0.1, X, y, kernel=name), w, 0.1, X.toarray(), y,
                                 rtol=1e-10)
        assert_matches_softmax_reference(fastlr.softmax_gradient(W, 0.0, X, labels, kernel=name),
                                         W, np.zeros(3), X.toarray(), labels, rtol=1e-10)


@pytest.mark.parametrize("fmt", ["csc", "csr"])
def test_same_bits_whatever_the_thread_count(rng, fmt, default_threads):
    if "numba-parallel" not in fastlr.available_kernels():
        pytest.skip("needs numba-parallel")
    X = _sparse(rng, 30, 30000, 0.2).asformat(fmt)
    w = rng.standard_normal(30) * 0.3
    y = _binary(rng, 30000)
    W = rng.standard_normal((3, 30))
    labels = rng.integers(0, 3, 30000)
    results = []
    for threads in sorted({1, fastlr.kernels._threads.max_threads()}) * 2:
        fastlr.set_num_threads(threads)
        dw, db, cost = fastlr.gradient(w, 0.1, X, y, kernel="numba-parallel")
        dW, dbk, cost_k = fastlr.softmax_gradient(W, 0.0, X, labels, kernel="numba-parallel")
        results.append((dw.tobytes(), db, cost, dW.tobytes(), dbk.tobytes(), cost_k))
    assert all(result == results[0] for result in results)


def test_inputs_are_not_modified(kernel, rng):
    X = _non_canonical(rng)
    before = (X.data.copy(), X.indices.copy(), X.indptr.copy())
    w = rng.standard_normal(9)
    y = _binary(rng, 40)
    fastlr.gradient(w, 0.0, X, y, kernel=kernel)
    fastlr.softmax_gradient(np.ones((3, 9)), 0.0, X, np.arange(40) % 3, kernel=kernel)
    for kept, now in zip(before, (X.data, X.indices, X.indptr)):
        np.testing.assert_array_equal(kept, now)
    assert not X.has_canonical_format


# --- training and the estimator -------------------------------------------------------------

@pytest.mark.parametrize("solver", ["lbfgs", "gd"])
@pytest.mark.parametrize("fmt", ["csc", "csr"])
def test_training_on_sparse_x_reaches_the_dense_optimum(kernel, rng, solver, fmt):
    if kernel == "python" and solver == "gd":
        pytest.skip("hundreds of pure-Python gradients")
    X = _sparse(rng, 8, 300, 0.3).asformat(fmt)
    y = _binary(rng, 300)
    tol = 1e-6
    sparse_fit = fastlr.train(X, y, kernel=kernel, solver=solver, alpha=0.05, tol=tol, max_iter=20000)
    dense_fit = fastlr.train(X.toarray(), y, kernel="numpy", solver=solver, alpha=0.05, tol=tol,
                             max_iter=20000)
    assert sparse_fit.converged and sparse_fit.kernel == kernel
    # alpha-strongly convex: |w - w*| <= |gradient| / alpha, for each fit
    np.testing.assert_allclose(sparse_fit.w, dense_fit.w, atol=2 * 3 * tol / 0.05)
    dw, db, _ = fastlr.gradient(sparse_fit.w, sparse_fit.b, X, y, alpha=0.05)
    assert max(np.abs(dw).max(), abs(db)) <= tol


@pytest.mark.parametrize("solver", ["lbfgs", "gd"])
def test_multinomial_training_on_sparse_x(rng, solver):
    X = _sparse(rng, 6, 400, 0.4, "csr_matrix")
    labels = rng.integers(0, 3, 400)
    fit = fastlr.train(X, labels, n_classes=3, solver=solver, alpha=0.1, tol=1e-8, max_iter=20000)
    dW, db, _ = fastlr.softmax_gradient(fit.w, fit.b, X, labels, alpha=0.1)
    assert fit.converged and max(np.abs(dW).max(), np.abs(db).max()) <= 1e-8


@pytest.mark.parametrize("fmt", ["csr_matrix", "csc_matrix", "csr_array", "coo_matrix"])
@pytest.mark.parametrize("classes", [2, 3])
def test_estimator_on_sparse_x_equals_dense(rng, fmt, classes):
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    X, y = sklearn_datasets.make_classification(300, 12, n_informative=6, n_classes=classes,
                                                random_state=0)
    X[np.abs(X) < 0.7] = 0.0
    weights = rng.random(300)
    X_sparse = getattr(sparse, fmt)(X)
    dense = fastlr.LogisticRegression(C=0.5, tol=1e-10, max_iter=1000).fit(X, y, sample_weight=weights)
    fitted = fastlr.LogisticRegression(C=0.5, tol=1e-10, max_iter=1000).fit(
        X_sparse, y, sample_weight=weights)
    np.testing.assert_allclose(fitted.coef_, dense.coef_, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(fitted.intercept_, dense.intercept_, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(fitted.predict_proba(X_sparse), dense.predict_proba(X), atol=1e-9)
    np.testing.assert_array_equal(fitted.predict(X_sparse), dense.predict(X))


def test_estimator_keeps_float32_sparse(rng):
    X = _sparse(rng, 200, 10, 0.3, "csr_matrix", np.float32)
    y = np.arange(200) % 2
    model = fastlr.LogisticRegression().fit(X, y)
    assert model.coef_.dtype == np.float32
    assert model.decision_function(X).dtype == np.float32


def test_estimator_says_it_takes_sparse():
    assert fastlr.LogisticRegression().__sklearn_tags__().input_tags.sparse


# --- auto, memory, errors ---------------------------------------------------------------------

def test_auto_chooses_among_the_kernels_offering_the_sparse_op(rng, default_threads):
    from fastlr._auto import choose_kernel_name
    from fastlr._registry import SPARSE_BINARY

    if "numba" not in fastlr.available_kernels():
        assert choose_kernel_name(_sparse(rng, 5, 10, 0.5), SPARSE_BINARY) == "numpy"
        return
    small = _sparse(rng, 5, 10, 0.5)
    assert choose_kernel_name(small, SPARSE_BINARY) == "numba"
    big = _sparse(rng, 20, 40000, 0.2)
    assert choose_kernel_name(big, SPARSE_BINARY) == "numba-parallel"
    fastlr.set_num_threads(1)  # the same kernel, so the same bits, at any thread count
    assert choose_kernel_name(big, SPARSE_BINARY) == "numba-parallel"


def test_a_kernel_without_the_sparse_op_is_named(rng):
    mine = Kernel("mine", gradient=fastlr.get_kernel("numpy").gradient)
    X = _sparse(rng, 4, 10, 0.5)
    message = ("kernel 'mine' has no sparse-binary op; kernels that offer it: python, partial, "
               "numpy, numba, numba-parallel, auto")
    with pytest.raises(KernelUnavailableError, match=re.escape(message)):
        fastlr.gradient(np.zeros(4), 0.0, X, np.zeros(10), kernel=mine)


def test_sparse_x_is_never_densified():
    """20,000 x 100,000 at density 1e-4 (16 GB dense): gradients and fits in tens of MB.

    Peak memory in a fresh process, after one warm-up of every call (numba's
    compiles and scikit-learn's imports are not the calls' own memory). What
    the fits hold is L-BFGS's history, 2 x 10 x K n_x float64 (48 MB for the
    3-class fit), and X's entries (2.4 MB).
    """
    script = textwrap.dedent("""
        import resource, warnings
        import numpy as np, scipy.sparse as sp, fastlr
        rng = np.random.default_rng(0)
        indptr = np.arange(20001) * 10  # 10 entries per sample: density 1e-4
        X = sp.csr_matrix((rng.standard_normal(200000), rng.integers(0, 100000, 200000), indptr),
                          shape=(20000, 100000))
        y = rng.integers(0, 2, 20000)

        def every_call(max_iter):
            for kernel in fastlr.available_kernels()[2:]:  # numpy and the compiled ones
                fastlr.gradient(np.zeros(100000), 0.0, X.T, y, kernel=kernel)
                fastlr.softmax_gradient(np.zeros((3, 100000)), 0.0, X.T, y, kernel=kernel)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fastlr.LogisticRegression(max_iter=max_iter).fit(X, y)
                fastlr.LogisticRegression(max_iter=max_iter).fit(X, np.arange(20000) % 3)

        every_call(1)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        every_call(5)
        print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    grown_mb = float(done.stdout.split()[-1])
    assert grown_mb < 100, f"peak memory grew by {grown_mb:.0f} MB"


@pytest.mark.parametrize("kernel_name", ["numba", "numba-parallel"])
@pytest.mark.parametrize("fmt", ["csc", "csr"])
@pytest.mark.parametrize("bad", [-1, 10**6])
def test_an_index_outside_the_shape_is_an_error_not_a_crash(rng, kernel_name, fmt, bad):
    if kernel_name not in fastlr.available_kernels():
        pytest.skip(f"needs {kernel_name}")
    X = _sparse(rng, 6, 50, 0.5).asformat(fmt)
    at = X.indices.shape[0] // 2
    X.indices[at] = bad
    y = _binary(rng, 50)
    message = rf"X is a malformed scipy.sparse matrix: indices\[{at}\] is {bad}, outside \[0, "
    with pytest.raises(ValueError, match=message):
        fastlr.gradient(np.ones(6), 0.0, X, y, kernel=kernel_name)
    with pytest.raises(ValueError, match=message):
        fastlr.softmax_gradient(np.ones((3, 6)), 0.0, X, np.arange(50) % 3, kernel=kernel_name)
    with pytest.raises(ValueError, match=message):  # the structure is checked whatever check_finite
        fastlr.gradient(np.ones(6), 0.0, X, y, kernel=kernel_name, check_finite=False)
    # Behind the check, the compiled loops bound every index they read: NaN, no access outside
    op = fastlr.get_kernel(kernel_name).sparse_face().binary
    dw, db, cost = op(np.ones(6, dtype=X.dtype), 0.0, X, y, None)
    assert np.isnan(cost)


def test_error_table_for_sparse_x(rng):
    X = _sparse(rng, 4, 10, 0.5)
    y = _binary(rng, 10)
    with pytest.raises(ValueError, match=re.escape("w must have shape (4,) or (4, 1) to match X of shape (4, 10)")):
        fastlr.gradient(np.zeros(5), 0.0, X, y)
    with pytest.raises(ValueError, match=re.escape("Y must have shape (10,) or (1, 10)")):
        fastlr.gradient(np.zeros(4), 0.0, X, np.zeros(11))
    with pytest.raises(ValueError, match=re.escape("Y must hold labels in [0, 1]")):
        fastlr.gradient(np.zeros(4), 0.0, X, np.full(10, 2.0))
    with pytest.raises(TypeError, match=re.escape("X has dtype complex128")):
        fastlr.gradient(np.zeros(4), 0.0, X.astype(np.complex128), y)
    with pytest.raises(ValueError, match=re.escape("X must have at least one feature and one example")):
        fastlr.gradient(np.zeros(0), 0.0, sparse.csc_matrix((0, 10)), y)
    with pytest.raises(ValueError, match=re.escape("X must be 2-D with shape (n_x, m)")):
        fastlr.gradient(np.zeros(4), 0.0, sparse.coo_array(np.ones(4)), y)
    nan = X.copy()
    nan.data[0] = np.nan
    with pytest.raises(ValueError, match=re.escape("X contains NaN or infinity")):
        fastlr.gradient(np.zeros(4), 0.0, nan, y)
    with pytest.raises(ValueError, match=re.escape("Y must hold class labels in [0, 3)")):
        fastlr.softmax_gradient(np.zeros((3, 4)), 0.0, X, np.full(10, 3))


def test_integer_and_bool_values_become_float64(rng):
    X = sparse.csc_matrix((rng.random((4, 10)) < 0.5).astype(np.int64))
    y = _binary(rng, 10)
    dw, _, _ = fastlr.gradient(np.zeros(4), 0.0, X, y, kernel="numpy")
    assert dw.dtype == np.float64
    dw_bool, _, _ = fastlr.gradient(np.zeros(4), 0.0, X.astype(bool), y, kernel="numpy")
    np.testing.assert_array_equal(dw, dw_bool)


def test_dask_array_of_sparse_chunks_says_how_to_pass_it():
    da = pytest.importorskip("dask.array")
    X = sparse.random(40, 6, density=0.3, format="csr", random_state=0)
    chunked = da.from_array(X, chunks=(20, 6), asarray=False)
    y = np.arange(40) % 2
    message = "X is a Dask array of sparse chunks"
    with pytest.raises(TypeError, match=re.escape(message)):
        fastlr.LogisticRegression().fit(chunked, y)
    with pytest.raises(TypeError, match=re.escape(message)):
        fastlr.gradient(np.zeros(40), 0.0, chunked.T, np.arange(6) % 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = fastlr.LogisticRegression().fit(chunked.compute(), y)  # what the message says
    assert fitted.coef_.shape == (1, 6)


def test_a_kernel_of_your_own_with_sparse_ops(rng):
    """``Kernel(sparse_binary=...)``: resolve runs it through its sparse face, every call."""
    calls = []

    def sums(w, b, X, y, s):
        calls.append(X.format)
        return fastlr.get_kernel("numpy").sparse_binary(w, b, X, y, s)

    mine = Kernel("mine", gradient=fastlr.get_kernel("numpy").gradient, sparse_binary=sums)
    X = _sparse(rng, 4, 30, 0.5)
    y = _binary(rng, 30)
    w = rng.standard_normal(4)
    for _ in range(2):
        assert_matches_reference(fastlr.gradient(w, 0.0, X, y, kernel=mine), w, 0.0, X.toarray(), y,
                                 rtol=1e-12)
    assert calls == ["csc", "csc"]
