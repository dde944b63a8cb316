"""Every row of DESIGN.md's error table, with the message it promises."""

from __future__ import annotations

import re

import numpy as np
import pytest

import fastlr

from reference import make_problem



@pytest.fixture
def problem(rng):
    return make_problem(rng, n_x=3, m=5)


def test_unknown_kernel_lists_valid_names(problem):
    w, b, X, y = problem
    message = "unknown kernel 'nmupy'; available: python, partial, numpy, numba, numba-parallel, auto"
    with pytest.raises(fastlr.UnknownKernelError, match=re.escape(message)):
        fastlr.gradient(w, b, X, y, kernel="nmupy")
    assert issubclass(fastlr.UnknownKernelError, ValueError)
    with pytest.raises(ValueError, match="unknown kernel 'nmupy'"):
        fastlr.get_kernel("nmupy")


def test_kernel_of_wrong_type(problem):
    w, b, X, y = problem
    with pytest.raises(TypeError, match=re.escape("kernel must be a name (str) or a fastlr.Kernel; got int 3")):
        fastlr.gradient(w, b, X, y, kernel=3)


@pytest.mark.parametrize(
    ("bad_X", "message"),
    [
        (np.ones(5), "X must be 2-D with shape (n_x, m), one example per column; got a 1-D array of shape (5,)"),
        (np.ones((3, 5, 1)), "X must be 2-D with shape (n_x, m), one example per column; got a 3-D array of shape (3, 5, 1)"),
        (np.ones((3, 0)), "X must have at least one feature and one example; got shape (3, 0) (n_x=3, m=0)"),
        (np.ones((0, 5)), "X must have at least one feature and one example; got shape (0, 5) (n_x=0, m=5)"),
    ],
)
def test_bad_X_shape(kernel, bad_X, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        fastlr.gradient(np.zeros(3), 0.0, bad_X, np.zeros(5), kernel=kernel)


def test_w_length(kernel, problem):
    w, b, X, y = problem
    message = "w must have shape (3,) or (3, 1) to match X of shape (3, 5) (n_x=3); got shape (4,)"
    with pytest.raises(ValueError, match=re.escape(message)):
        fastlr.gradient(np.zeros(4), b, X, y, kernel=kernel)
    with pytest.raises(ValueError, match=re.escape("got shape (1, 3)")):
        fastlr.gradient(w.reshape(1, 3), b, X, y, kernel=kernel)


def test_Y_length(kernel, problem):
    w, b, X, y = problem
    message = "Y must have shape (5,) or (1, 5) to match X of shape (3, 5) (m=5); got shape (4,)"
    with pytest.raises(ValueError, match=re.escape(message)):
        fastlr.gradient(w, b, X, y[:4], kernel=kernel)
    with pytest.raises(ValueError, match=re.escape("got shape (5, 1)")):
        fastlr.gradient(w, b, X, y.reshape(5, 1), kernel=kernel)


def test_b_not_scalar(problem):
    w, b, X, y = problem
    with pytest.raises(ValueError, match=re.escape("b must be a scalar (one number); got an array of shape (2,)")):
        fastlr.gradient(w, np.zeros(2), X, y)


@pytest.mark.parametrize("argument", ["X", "w", "Y", "b"])
@pytest.mark.parametrize("dtype", [object, str, np.complex128])
def test_non_real_dtypes(kernel, problem, argument, dtype):
    w, b, X, y = problem
    args = {"w": w, "b": b, "X": X, "Y": y}
    args[argument] = np.asarray(args[argument]).astype(dtype)
    with pytest.raises(TypeError, match=rf"^{argument} has dtype .*; fastlr accepts float32 or float64 \(integer and bool input becomes float64\)$"):
        fastlr.gradient(args["w"], args["b"], args["X"], args["Y"], kernel=kernel)


def test_float16_is_refused(problem):
    w, b, X, y = problem
    with pytest.raises(TypeError, match=re.escape("X has dtype float16; fastlr accepts float32 or float64")):
        fastlr.gradient(w, b, X.astype(np.float16), y)


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("argument", ["X", "w", "Y", "b"])
def test_non_finite_input_names_the_argument(kernel, problem, argument, value):
    w, b, X, y = (a.copy() if isinstance(a, np.ndarray) else a for a in problem)
    if argument == "b":
        b = value
    else:
        {"X": X, "w": w, "Y": y}[argument].flat[1] = value
    with pytest.raises(ValueError, match=rf"^{argument} (contains NaN or infinity|must be finite)"):
        fastlr.gradient(w, b, X, y, kernel=kernel)


@pytest.mark.parametrize("position", [0, 7, 14])
def test_non_finite_X_is_found_wherever_it_is(kernel, rng, position):
    """X is not scanned up front; a NaN/inf anywhere still shows in the output."""
    w, b, X, y = make_problem(rng, n_x=3, m=5)
    for value in (np.nan, np.inf, -np.inf):
        bad = X.copy()
        bad.flat[position] = value
        for labels in (y, np.ones(5), np.zeros(5)):
            with pytest.raises(ValueError, match="^X contains NaN or infinity"):
                fastlr.gradient(w, b, bad, labels, kernel=kernel)
            with pytest.raises(ValueError, match="^X contains NaN or infinity"):
                fastlr.gradient(np.zeros(3), 0.0, bad, labels, kernel=kernel)


def test_check_finite_false_skips_checks(kernel, problem):
    w, b, X, y = problem
    X = X.copy()
    X[0, 0] = np.nan
    with np.errstate(invalid="ignore"):
        dw, db, cost = fastlr.gradient(w, b, X, y, kernel=kernel, check_finite=False)
    assert np.isnan(dw[0]) and np.isnan(cost)


def test_overflow_of_finite_input_is_not_blamed_on_X(kernel):
    X = np.array([[1e308, 1e308]])
    with pytest.raises(FloatingPointError, match="overflowed although every input is finite"):
        fastlr.gradient(np.array([10.0]), 0.0, X, np.array([0.0, 1.0]), kernel=kernel)


@pytest.mark.parametrize("bad", [[0, 2, 1, 0, 1], [-0.5, 0, 1, 0, 1]])
def test_labels_outside_unit_interval(kernel, problem, bad):
    w, b, X, _ = problem
    low, high = min(bad), max(bad)
    message = f"Y must hold labels in [0, 1]; got values from {low:g} to {high:g}. Hint: labels must be 0/1"
    with pytest.raises(ValueError, match=re.escape(message)):
        fastlr.gradient(w, b, X, np.array(bad), kernel=kernel)


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ([1, 1, -1, 1, 1], "sample_weight must be non-negative; got a weight of -1"),
        ([1, np.nan, 1, 1, 1], "sample_weight contains NaN or infinity"),
        ([1, np.inf, 1, 1, 1], "sample_weight contains NaN or infinity"),
        ([0, 0, 0, 0, 0], "sample_weight must not be all zero"),
        ([1, 1, 1, 1], "sample_weight must have shape (5,) or (1, 5) to match X of shape (3, 5) (one weight per example, m=5); got shape (4,)"),
    ],
)
def test_bad_sample_weight(kernel, problem, weights, message):
    w, b, X, y = problem
    with pytest.raises(ValueError, match=re.escape(message)):
        fastlr.gradient(w, b, X, y, kernel=kernel, sample_weight=np.array(weights, dtype=float))


@pytest.mark.parametrize("alpha", [-0.1, np.nan, np.inf])
def test_bad_alpha(kernel, problem, alpha):
    w, b, X, y = problem
    with pytest.raises(ValueError, match=re.escape(f"alpha must be a finite number >= 0; got {alpha!r}")):
        fastlr.gradient(w, b, X, y, kernel=kernel, alpha=alpha)


def test_alpha_of_wrong_type(problem):
    w, b, X, y = problem
    with pytest.raises(TypeError, match=re.escape("alpha must be a real number; got str '0.1'")):
        fastlr.gradient(w, b, X, y, alpha="0.1")


@pytest.mark.parametrize("dtype", [">f8", ">f4"])
def test_big_endian_X_is_converted(kernel, problem, dtype):
    """Data read from a big-endian file: computed in the native float of the same size."""
    w, b, X, y = problem
    swapped = X.astype(dtype)
    native = swapped.astype(np.dtype(dtype).newbyteorder("="))
    dw, db, cost = fastlr.gradient(w.astype(native.dtype), b, swapped, y, kernel=kernel)
    expected = fastlr.gradient(w.astype(native.dtype), b, native, y, kernel=kernel)
    assert dw.dtype == native.dtype
    np.testing.assert_array_equal(dw, expected[0])
    assert (db, cost) == expected[1:]


def _nested_system_errors(depth):
    """A SystemError wrapping another ``depth - 1`` times, a KeyboardInterrupt at the root (what
    numba raises when Ctrl-C lands while it boxes a tuple of arrays)."""
    def raise_at(level):
        if level == 0:
            raise KeyboardInterrupt
        try:
            raise_at(level - 1)
        except BaseException:
            raise SystemError(f"level {level}: returned a result with an exception set")

    return raise_at(depth)


@pytest.mark.parametrize("depth", [1, 2, 5])
def test_a_ctrl_c_wrapped_in_system_errors_is_a_keyboard_interrupt(depth):
    from fastlr.kernels._interruptible import call

    with pytest.raises(KeyboardInterrupt):
        call(_nested_system_errors, depth)


def test_a_system_error_without_an_interrupt_is_left_alone():
    from fastlr.kernels._interruptible import call

    def broken():
        try:
            raise ValueError("inner")
        except ValueError:
            raise SystemError("outer")

    with pytest.raises(SystemError, match="outer"):
        call(broken)
