"""``kernel="auto"``: the rules of ``fastlr._auto``, and that auto runs what it chose."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import fastlr
from fastlr._auto import choose_kernel_name

needs_numba = pytest.mark.skipif(
    "numba-parallel" not in fastlr.available_kernels(), reason="numba unavailable here"
)


pytestmark = pytest.mark.usefixtures("default_threads")


def _X(n_x, m, dtype=np.float64, order="C"):
    return np.zeros((n_x, m), dtype=dtype, order=order)


@needs_numba
@pytest.mark.parametrize(
    "n_x, m, dtype, order, expected",
    [
        (10, 1_000, np.float64, "C", "numba"),  # one chunk's worth of work
        (1_000, 100, np.float64, "F", "numba"),
        (10, 10_000, np.float64, "F", "numba-parallel"),
        (100, 10_000, np.float32, "C", "numba-parallel"),
        (1_000, 100_000, np.float64, "C", "numba-parallel"),
        (3_000, 200, np.float32, "C", "numpy"),  # float32, features contiguous, n_x >= 1500
        (1_000, 20_000, np.float32, "C", "numba-parallel"),
        (3_000, 200, np.float32, "F", "numba-parallel"),
        (3_000, 200, np.float64, "C", "numba-parallel"),
    ],
)
def test_rules(n_x, m, dtype, order, expected):
    assert choose_kernel_name(_X(n_x, m, dtype, order)) == expected


def _sparse(n_x, m, per_example, fmt="csc"):
    """A sparse ``(n_x, m)`` X of ``per_example`` stored entries per example, made directly
    (``scipy.sparse.random`` is slow)."""
    import scipy.sparse

    indices = np.tile(np.arange(per_example), m)
    indptr = np.arange(m + 1) * per_example
    X = scipy.sparse.csc_matrix((np.ones(indices.size), indices, indptr), shape=(n_x, m))
    return X if fmt == "csc" else scipy.sparse.csr_matrix(X)


@needs_numba
@pytest.mark.parametrize("op, X, chunks", [
    ("binary", _X(10, 10_000, order="F"), 3),  # 3,277 examples per chunk at most 10 features
    ("binary", _X(10, 14_000, order="F"), 4),
    ("binary", _X(100, 1_000, order="F"), 3),
    ("multinomial", _X(10, 3_300, order="F"), 3),  # K n_x = 30 numbers per example
    ("binary-hessian", _X(64, 500, order="F"), 2),  # 245 examples per Hessian chunk at 64 features
    ("binary-hessian", _X(30, 5_000, order="F"), 4),
    ("binary", _sparse(1_000, 3_000, 10), 3),  # 8,192 stored entries per chunk
    ("binary", _sparse(1_000, 4_000, 10), 4),
])
def test_a_solver_loop_wants_four_chunks(op, X, chunks):
    """Alone, two chunks choose ``numba-parallel``; called from a solver's loop, four (the pool
    sleeps between the calls)."""
    from fastlr._auto import MIN_CHUNKS, SOLVER_LOOP_MIN_CHUNKS

    assert (MIN_CHUNKS, SOLVER_LOOP_MIN_CHUNKS) == (2, 4)
    K = 3 if op == "multinomial" else 1
    assert choose_kernel_name(X, op, K) == "numba-parallel"
    in_loop = choose_kernel_name(X, op, K, solver_loop=True)
    assert in_loop == ("numba-parallel" if chunks >= 4 else "numba")


@needs_numba
@pytest.mark.parametrize("solver, shape, expected", [
    ("gd", (10, 10_000), "numba-parallel"),  # three chunks of the binary op
    ("lbfgs", (10, 10_000), "numba"),
    ("newton-cg", (10, 10_000), "numba"),
    ("newton-cholesky", (64, 500), "numba"),  # two chunks of the Hessian op, the kernel reported
])
def test_training_chooses_for_its_loop(rng, solver, shape, expected):
    """gd's loop is compiled (no Python between the passes); the second-order solvers' is not."""
    X = rng.standard_normal(shape)
    y = (X[0] + rng.standard_normal(shape[1]) > 0).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = fastlr.train(X, y, solver=solver, max_iter=3)
    assert result.kernel == expected


@needs_numba
@pytest.mark.parametrize("n_x, m, K, fmt, expected", [
    (64, 1_437, 10, None, "numpy"),  # X in cache: BLAS's two GEMMs compute faster
    (1_000, 2_000, 3, None, "numpy"),
    (50, 100_000, 10, None, "numba-parallel"),  # X read once
    (1_024, 2_048, 3, None, "numba-parallel"),  # exactly FUSED_MULTINOMIAL_PRODUCT_MIN_ELEMENTS
    (1_000, 100_000, 3, "csc", "numba-parallel"),
    (100_000, 20_000, 20, "csc", "numba"),  # one chunk: K n_x partial sums per chunk
    (1_000, 100_000, 3, "csr", "numba"),  # the CSR product runs on one thread
    (10, 50, 3, "csc", "numba"),  # one chunk
])
def test_multinomial_product_rules(n_x, m, K, fmt, expected):
    from fastlr._auto import FUSED_MULTINOMIAL_PRODUCT_MIN_ELEMENTS
    from fastlr._registry import MULTINOMIAL_PRODUCT, SPARSE_MULTINOMIAL_PRODUCT

    assert FUSED_MULTINOMIAL_PRODUCT_MIN_ELEMENTS == 1_024 * 2_048
    if fmt is None:
        assert choose_kernel_name(_X(n_x, m, order="F"), MULTINOMIAL_PRODUCT, K) == expected
    else:
        X = _sparse(n_x, m, min(n_x, 20), fmt)
        assert choose_kernel_name(X, SPARSE_MULTINOMIAL_PRODUCT, K) == expected


@needs_numba
@pytest.mark.parametrize("shape", [(1_000, 100_000), (10, 10_000), (10, 1_000)])
def test_the_choice_does_not_depend_on_the_thread_setting(shape):
    chosen = choose_kernel_name(_X(*shape))
    fastlr.set_num_threads(1)
    assert choose_kernel_name(_X(*shape)) == chosen


@needs_numba
@pytest.mark.parametrize("sparse", [False, True])
def test_auto_gives_the_same_bits_at_any_thread_count(rng, sparse):
    """The README's promise: one thread or all of them, auto's answer to the bit."""
    X = rng.standard_normal((30, 40_000))
    if sparse:
        import scipy.sparse

        X = scipy.sparse.csc_matrix(X * (rng.random(X.shape) < 0.3))
    y = (rng.random(40_000) < 0.5).astype(float)
    w = rng.standard_normal(30) * 0.1
    fastlr.set_num_threads(1)
    one = fastlr.gradient(w, 0.1, X, y)
    fastlr.set_num_threads(None)
    every = fastlr.gradient(w, 0.1, X, y)
    assert np.array_equal(one[0], every[0]) and one[1:] == every[1:]


@needs_numba
def test_strided_views_follow_their_smaller_stride():
    X = np.zeros((3_000, 400), dtype=np.float32)  # C order: features contiguous
    assert choose_kernel_name(X[:, ::2]) == "numpy"
    assert choose_kernel_name(np.asfortranarray(X)[:, ::2]) != "numpy"


@pytest.mark.parametrize("shape", [(3, 50), (20, 9_000), (2_100, 40)])
@pytest.mark.parametrize("order", ["C", "F"])
def test_auto_returns_exactly_what_the_chosen_kernel_returns(rng, shape, order):
    X = np.asarray(rng.standard_normal(shape), order=order).astype(np.float32)
    y = (rng.random(shape[1]) < 0.5).astype(np.float32)
    w = rng.standard_normal(shape[0]).astype(np.float32) * 0.1
    chosen = choose_kernel_name(X)
    auto = fastlr.gradient(w, 0.1, X, y)
    direct = fastlr.gradient(w, 0.1, X, y, kernel=chosen)
    assert np.array_equal(auto[0], direct[0]) and auto[1:] == direct[1:]


def test_training_reports_the_chosen_kernel(rng):
    X = rng.standard_normal((4, 200))
    y = (X[0] > 0).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = fastlr.train(X, y, max_iter=3)
    assert result.kernel == choose_kernel_name(X)
    assert result.kernel in fastlr.available_kernels()
