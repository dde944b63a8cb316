"""The multinomial (softmax) op: every kernel against the float64 reference, and its training.

``fastlr.softmax_gradient`` and ``fastlr.train(..., n_classes=K)`` on the
shapes, layouts, dtypes, weights and labels (class indices or probabilities)
a user passes; finite differences; bits that do not depend on threads or
addresses; the error table.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import fastlr
from fastlr import Kernel, KernelUnavailableError

from reference import (assert_matches_softmax_reference, layout, make_softmax_problem,
                       reference_softmax_gradient)

RTOL = {np.dtype(np.float64): 1e-10, np.dtype(np.float32): 1e-4}


@st.composite
def problems(draw):
    """``(W, b, X, Y, alpha, sample_weight)`` with K, n_x, m down to 2, 1, 1."""
    dtype = np.dtype(draw(st.sampled_from([np.float64, np.float32])))
    K = draw(st.integers(2, 5))
    n_x = draw(st.integers(1, 6))
    m = draw(st.integers(1, 11))
    scale = draw(st.sampled_from([1e-3, 1.0, 30.0]))
    X = draw(arrays(dtype, (n_x, m), elements=st.floats(-1.0, 1.0, width=32))) * dtype.type(scale)
    W = draw(arrays(dtype, (K, n_x), elements=st.floats(-3.0, 3.0, width=32)))
    b = draw(arrays(np.float64, (K,), elements=st.floats(-3.0, 3.0)))
    if draw(st.booleans()):
        Y = draw(arrays(np.int64, (m,), elements=st.integers(0, K - 1)))
    else:
        raw = draw(arrays(np.float64, (K, m), elements=st.floats(0.0, 1.0)))
        raw[0] += 1e-3  # no all-zero column
        Y = (raw / raw.sum(axis=0)).astype(dtype)
        Y = Y / Y.sum(axis=0, dtype=np.float64).astype(dtype)  # columns within rounding of 1
    alpha = draw(st.sampled_from([0.0, 0.0, 0.5, 3.0]))
    sample_weight = None
    if draw(st.booleans()):
        sample_weight = draw(arrays(np.float64, (m,), elements=st.sampled_from([0.0, 0.5, 1.0, 7.25])))
        if not sample_weight.any():
            sample_weight[draw(st.integers(0, m - 1))] = 1.0
    X = layout(X, draw(st.sampled_from(["C", "F", "strided"])))
    return W, b, X, Y, alpha, sample_weight


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=problems())
def test_matches_reference(kernel, problem):
    W, b, X, Y, alpha, sample_weight = problem
    result = fastlr.softmax_gradient(W, b, X, Y, kernel=kernel, alpha=alpha,
                                     sample_weight=sample_weight)
    dW, db, cost = result
    assert dW.dtype == X.dtype and dW.shape == W.shape
    assert db.dtype == np.float64 and db.shape == (W.shape[0],)
    assert isinstance(cost, float)
    assert_matches_softmax_reference(result, W, b, X, Y, rtol=RTOL[X.dtype], alpha=alpha,
                                     sample_weight=sample_weight)


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_larger_than_a_tile(kernel, rng, order, dtype):
    """Several tiles and chunks (numba-parallel: more than one), both layouts, weights, soft labels."""
    m = 150 if kernel in ("python", "partial") else 5_000
    W, b, X, Y = make_softmax_problem(rng, K=5, n_x=9, m=m, dtype=dtype, order=order, soft=True)
    s = rng.random(m)
    result = fastlr.softmax_gradient(W, b, X, Y, kernel=kernel, alpha=0.1, sample_weight=s)
    assert_matches_softmax_reference(result, W, b, X, Y, rtol=RTOL[np.dtype(dtype)], alpha=0.1,
                                     sample_weight=s)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("size", [1e2, 1e4, 1e6])
def test_extreme_logits_stay_finite_and_right(kernel, rng, dtype, size):
    """Logits up to +-1e4 (and beyond): finite, and the reference's answer."""
    W, b, X, Y = make_softmax_problem(rng, K=3, n_x=4, m=40, dtype=dtype)
    W = (W * dtype(size)).astype(dtype)
    dW, db, cost = fastlr.softmax_gradient(W, b, X, Y, kernel=kernel)
    assert np.isfinite(dW).all() and np.isfinite(db).all() and np.isfinite(cost)
    assert_matches_softmax_reference((dW, db, cost), W, b, X, Y, rtol=RTOL[np.dtype(dtype)])


def test_confident_examples_keep_their_small_loss(kernel):
    """A right answer by a margin of 50 costs e^-50, not 0 (log1p, not log of a rounded sum)."""
    X = np.array([[1.0, 1.0]])
    W = np.array([[50.0], [0.0], [0.0]])
    cost = fastlr.softmax_gradient(W, np.zeros(3), X, np.array([0, 0]), kernel=kernel)[2]
    assert cost == pytest.approx(2 * np.exp(-50.0), rel=1e-12)


def test_finite_differences(kernel, rng):
    W, b, X, Y = make_softmax_problem(rng, K=3, n_x=4, m=25)
    s = rng.random(25)
    alpha = 0.3
    dW, db, _ = fastlr.softmax_gradient(W, b, X, Y, kernel=kernel, alpha=alpha, sample_weight=s)
    step = 1e-6

    def cost(W_, b_):
        return fastlr.softmax_gradient(W_, b_, X, Y, kernel="numpy", alpha=alpha, sample_weight=s)[2]

    for k in range(3):
        for j in range(4):
            up, down = W.copy(), W.copy()
            up[k, j] += step
            down[k, j] -= step
            assert dW[k, j] == pytest.approx((cost(up, b) - cost(down, b)) / (2 * step), abs=1e-8)
        up, down = b.copy(), b.copy()
        up[k] += step
        down[k] -= step
        assert db[k] == pytest.approx((cost(W, up) - cost(W, down)) / (2 * step), abs=1e-8)


def test_one_hot_probabilities_equal_class_labels(kernel, rng):
    W, b, X, y = make_softmax_problem(rng, K=4, n_x=5, m=30)
    by_labels = fastlr.softmax_gradient(W, b, X, y, kernel=kernel)
    by_one_hot = fastlr.softmax_gradient(W, b, X, np.eye(4)[:, y], kernel=kernel)
    by_float_labels = fastlr.softmax_gradient(W, b, X, y.astype(np.float64), kernel=kernel)
    for other in (by_one_hot, by_float_labels):
        np.testing.assert_allclose(other[0], by_labels[0], rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(other[1], by_labels[1], rtol=1e-13, atol=1e-15)
        assert other[2] == pytest.approx(by_labels[2], rel=1e-13)


def test_two_classes_are_the_binary_problem(kernel, rng):
    """softmax over (0, z) is sigmoid(z): the binary gradient is row 1 of dW, its negative row 0."""
    n_x, m = 5, 40
    X = rng.standard_normal((n_x, m))
    w = rng.standard_normal(n_x)
    y = rng.integers(0, 2, m)
    dw, db, cost = fastlr.gradient(w, 0.3, X, y, kernel=kernel)
    dW, dbs, cost2 = fastlr.softmax_gradient(np.vstack([np.zeros(n_x), w]), [0.0, 0.3], X, y,
                                             kernel=kernel)
    assert cost2 == pytest.approx(cost, rel=1e-12)
    np.testing.assert_allclose(dW[1], dw, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(dW[0], -dw, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(dbs, [-db, db], rtol=1e-10, atol=1e-14)


def test_inputs_not_modified(kernel, rng):
    W, b, X, Y = make_softmax_problem(rng, K=3, n_x=4, m=20, soft=True)
    s = rng.random(20)
    copies = [a.copy() for a in (W, b, X, Y, s)]
    fastlr.softmax_gradient(W, b, X, Y, kernel=kernel, alpha=0.5, sample_weight=s)
    for before, after in zip(copies, (W, b, X, Y, s)):
        np.testing.assert_array_equal(before, after)


@pytest.mark.parametrize("order", ["C", "F"])
def test_bits_do_not_depend_on_threads_or_addresses(rng, order, default_threads):
    if "numba-parallel" not in fastlr.available_kernels():
        pytest.skip("numba unavailable")
    W, b, X, Y = make_softmax_problem(rng, K=6, n_x=11, m=40_000, order=order)
    results = []
    for threads in (1, 2, 1):
        fastlr.set_num_threads(threads)
        results.append(fastlr.softmax_gradient(W, b, X, Y, kernel="numba-parallel"))
    moved = np.asarray(X.copy(order=order))  # the same values at another address
    results.append(fastlr.softmax_gradient(W.copy(), b.copy(), moved, Y.copy(), kernel="numba-parallel"))
    for dW, db, cost in results[1:]:
        assert dW.tobytes() == results[0][0].tobytes()
        assert db.tobytes() == results[0][1].tobytes()
        assert cost == results[0][2]


def test_auto_runs_a_kernel_that_has_the_op(rng):
    W, b, X, Y = make_softmax_problem(rng)
    auto = fastlr.softmax_gradient(W, b, X, Y)
    numpy = fastlr.softmax_gradient(W, b, X, Y, kernel="numpy")
    np.testing.assert_allclose(auto[0], numpy[0], rtol=1e-12, atol=1e-15)


# -- errors -------------------------------------------------------------------------------

def test_kernel_without_the_op_is_named():
    binary_only = Kernel(name="mine", gradient=fastlr.get_kernel("numpy").gradient)
    X = np.ones((2, 3))
    message = ("kernel 'mine' has no multinomial op; kernels that offer it: python, partial, "
               "numpy, numba, numba-parallel, auto")
    with pytest.raises(KernelUnavailableError, match=re.escape(message)):
        fastlr.softmax_gradient(np.zeros((3, 2)), np.zeros(3), X, [0, 1, 2], kernel=binary_only)


@pytest.mark.parametrize("W, b, Y, message", [
    (np.zeros((3, 4)), np.zeros(3), [0, 1, 2],
     "W must have shape (K, n_x) = (K, 2) with K >= 2 classes, to match X of shape (2, 3); got shape (3, 4)"),
    (np.zeros((1, 2)), np.zeros(1), [0, 0, 0],
     "W must have shape (K, n_x) = (K, 2) with K >= 2 classes"),
    (np.zeros((3, 2)), np.zeros(2), [0, 1, 2],
     "b must have shape (3,), one bias per class of W of shape (3, 2), or be one number; got shape (2,)"),
    (np.zeros((3, 2)), np.zeros(3), [0, 1, 3],
     "Y must hold class labels in [0, 3) for W with K = 3 rows; got values from 0 to 3"),
    (np.zeros((3, 2)), np.zeros(3), [0, -1, 2],
     "Y must hold class labels in [0, 3) for W with K = 3 rows; got values from -1 to 2"),
    (np.zeros((3, 2)), np.zeros(3), [0, 1.5, 2],
     "Y of shape (m,) = (3,) holds class labels, which must be integers in [0, 3); got non-integer values"),
    (np.zeros((3, 2)), np.zeros(3), [0, 1],
     "Y must have shape (m,) = (3,) (class labels) or (K, m) = (3, 3) (probabilities per class)"),
    (np.zeros((3, 2)), np.zeros(3), np.full((3, 3), 0.5),
     "Y's columns must each sum to 1 (one distribution over the 3 classes per example); column 0 sums to 1.5"),
    (np.zeros((3, 2)), np.zeros(3), np.array([[2.0, 0, 0], [-1.0, 1, 0], [0, 0, 1]]),
     "Y must hold probabilities in [0, 1]; got values from -1 to 2"),
    (np.zeros((3, 2)), np.zeros(3), [0, np.nan, 2], "Y contains NaN or infinity"),
    (np.full((3, 2), np.nan), np.zeros(3), [0, 1, 2], "W contains NaN or infinity"),
    (np.zeros((3, 2)), [0.0, np.inf, 0.0], [0, 1, 2], "b contains NaN or infinity"),
])
def test_bad_input_is_named(W, b, Y, message):
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        fastlr.softmax_gradient(W, b, np.ones((2, 3)), Y, kernel="numpy")


def test_nan_in_X_is_named(kernel):
    X = np.ones((2, 3))
    X[1, 2] = np.nan
    with pytest.raises(ValueError, match="^X contains NaN or infinity"):
        fastlr.softmax_gradient(np.zeros((3, 2)), np.zeros(3), X, [0, 1, 2], kernel=kernel)


def test_complex_input_is_a_type_error():
    with pytest.raises(TypeError, match="W has dtype complex128"):
        fastlr.softmax_gradient(np.zeros((3, 2), complex), np.zeros(3), np.ones((2, 3)), [0, 1, 2])


# -- training -----------------------------------------------------------------------------

def _blobs(rng, K=4, n_x=5, m=400):
    centres = 2.0 * rng.standard_normal((K, n_x))
    y = rng.integers(0, K, m)
    X = (centres[y] + rng.standard_normal((m, n_x))).T
    return np.asfortranarray(X), y


@pytest.mark.parametrize("solver", ["lbfgs", "gd"])
def test_training_reaches_the_optimum(kernel, rng, solver):
    X, y = _blobs(rng, m=40 if kernel in ("python", "partial") else 400)
    alpha = 0.1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = fastlr.train(X, y, kernel=kernel, alpha=alpha, solver=solver, n_classes=4,
                              tol=1e-6, max_iter=20_000)
    assert result.converged and result.w.shape == (4, 5) and result.b.shape == (4,)
    dW, db, _ = fastlr.softmax_gradient(result.w, result.b, X, y, kernel="numpy", alpha=alpha)
    assert max(np.abs(dW).max(), np.abs(db).max()) <= 1e-6 * 1.001


def test_solvers_and_kernels_agree_at_the_optimum(rng):
    X, y = _blobs(rng)
    fits = [fastlr.train(X, y, kernel=kernel, alpha=1e-2, solver="lbfgs", n_classes=4, tol=1e-10)
            for kernel in fastlr.available_kernels() if kernel not in ("python", "partial")]
    for fit in fits[1:]:
        np.testing.assert_allclose(fit.w, fits[0].w, atol=1e-8)
        np.testing.assert_allclose(fit.b, fits[0].b, atol=1e-8)


def test_gradient_descent_auto_step_never_raises_the_cost(rng):
    X, y = _blobs(rng)
    with pytest.warns(fastlr.ConvergenceWarning):
        result = fastlr.train(X, y, kernel="numpy", n_classes=4, max_iter=300, tol=1e-12, alpha=1e-3)
    assert np.all(np.diff(result.costs) <= 1e-15)


def test_soft_labels_and_weights_train(rng):
    X, y = _blobs(rng)
    Y = np.eye(4)[:, y]
    s = rng.random(y.size)
    by_labels = fastlr.train(X, y, solver="lbfgs", n_classes=4, alpha=1e-2, sample_weight=s,
                             tol=1e-10)
    by_probabilities = fastlr.train(X, Y, solver="lbfgs", n_classes=4, alpha=1e-2,
                                    sample_weight=s, tol=1e-10)
    np.testing.assert_allclose(by_probabilities.w, by_labels.w, atol=1e-8)


def test_without_intercept_b_stays(rng):
    X, y = _blobs(rng)
    b0 = np.array([0.5, -0.5, 0.0, 1.0])
    for solver in ("lbfgs", "gd"):
        result = fastlr.train(X, y, solver=solver, n_classes=4, alpha=0.1, b0=b0,
                              fit_intercept=False, tol=1e-6, max_iter=20_000)
        np.testing.assert_array_equal(result.b, b0)
        dW = fastlr.softmax_gradient(result.w, b0, X, y, alpha=0.1)[0]
        assert np.abs(dW).max() <= 1e-6 * 1.001


@pytest.mark.parametrize("n_classes, message", [
    (1, "n_classes must be >= 2 (or None for the binary problem); got 1"),
    (0, "n_classes must be >= 1; got 0"),
])
def test_bad_n_classes(n_classes, message):
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        fastlr.train(np.ones((2, 3)), [0, 1, 0], n_classes=n_classes)


def test_w0_of_the_wrong_shape_is_named():
    with pytest.raises(ValueError, match=re.escape("w0 must have shape (n_classes, n_x) = (3, 2); got shape (2,)")):
        fastlr.train(np.ones((2, 3)), [0, 1, 2], n_classes=3, w0=np.zeros(2))


def test_reference_is_what_the_math_says():
    """The reference itself, on a case worked by hand: zero weights, uniform softmax."""
    X = np.array([[0.0, 1.0, 2.0]])
    dW, db, cost, _ = reference_softmax_gradient(np.zeros((3, 1)), np.zeros(3), X, np.array([0, 1, 2]))
    assert cost == pytest.approx(np.log(3.0))
    np.testing.assert_allclose(dW, [[1 / 3], [0.0], [-1 / 3]], atol=1e-15)
    np.testing.assert_allclose(db, 0.0, atol=1e-15)
