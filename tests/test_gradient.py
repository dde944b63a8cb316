"""Every kernel agrees with the float64 reference on shapes and values it did not choose."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import fastlr

from reference import assert_matches_reference, make_problem

RTOL = {np.dtype(np.float64): 1e-10, np.dtype(np.float32): 1e-4}


@st.composite
def problems(draw):
    """``(w, b, X, y, alpha, sample_weight)`` with m = 1 and n_x = 1 included."""
    dtype = np.dtype(draw(st.sampled_from([np.float64, np.float32])))
    n_x = draw(st.integers(1, 7))
    m = draw(st.integers(1, 12))
    scale = draw(st.sampled_from([1e-3, 1.0, 30.0]))
    values = st.floats(-1.0, 1.0, width=32)
    X = draw(arrays(dtype, (n_x, m), elements=values)) * dtype.type(scale)
    w = draw(arrays(dtype, (n_x,), elements=st.floats(-3.0, 3.0, width=32)))
    b = draw(st.floats(-3.0, 3.0))
    if draw(st.booleans()):
        y = draw(arrays(dtype, (m,), elements=st.sampled_from([0.0, 1.0])))
    else:
        y = draw(arrays(dtype, (m,), elements=st.floats(0.0, 1.0, width=32)))
    alpha = draw(st.sampled_from([0.0, 0.0, 0.5, 3.0]))
    sample_weight = None
    if draw(st.booleans()):
        sample_weight = draw(arrays(np.float64, (m,), elements=st.sampled_from([0.0, 0.5, 1.0, 2.0, 7.25])))
        if not sample_weight.any():
            sample_weight[draw(st.integers(0, m - 1))] = 1.0
    order = draw(st.sampled_from(["C", "F", "strided"]))
    if order == "F":
        X = np.asfortranarray(X)
    elif order == "strided":
        padded = np.zeros((n_x, 2 * m), dtype=dtype)
        padded[:, ::2] = X
        X = padded[:, ::2]
    return w, b, X, y, alpha, sample_weight


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=problems())
def test_matches_reference(kernel, problem):
    w, b, X, y, alpha, sample_weight = problem
    result = fastlr.gradient(w, b, X, y, kernel=kernel, alpha=alpha, sample_weight=sample_weight)
    dw, db, cost = result
    assert dw.dtype == X.dtype
    assert dw.shape == w.shape
    assert isinstance(db, float) and isinstance(cost, float)
    assert_matches_reference(result, w, b, X, y, rtol=RTOL[X.dtype], alpha=alpha,
                             sample_weight=sample_weight)


@pytest.mark.parametrize("n_x", [31, 32, 100, 159, 160])
@pytest.mark.parametrize("order", ["C", "F", "strided"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_matches_reference_with_many_features(kernel, rng, n_x, order, dtype):
    """Long examples: the compiled pass over an F-ordered X updates ``dw`` one example at a
    time from 32 features to 159 (``kernels._loops``), four per step outside."""
    m = 301  # not a multiple of 4 nor of a tile
    X = rng.standard_normal((n_x, 2 * m)).astype(dtype)
    X = {"C": X[:, :m].copy(), "F": np.asfortranarray(X[:, :m]), "strided": X[:, ::2]}[order]
    w = (0.3 * rng.standard_normal(n_x)).astype(dtype)
    y = (rng.random(m) < 0.5).astype(dtype)
    s = rng.random(m) + 0.5
    result = fastlr.gradient(w, 0.2, X, y, kernel=kernel, alpha=0.1, sample_weight=s)
    assert_matches_reference(result, w, 0.2, X, y, rtol=RTOL[X.dtype], alpha=0.1, sample_weight=s)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_layouts_agree(kernel, rng, dtype):
    """C, F, strided and reversed views of the same X give the same result."""
    w, b, X, y = make_problem(rng, n_x=7, m=13, dtype=dtype)
    results = [
        fastlr.gradient(w, b, view, y, kernel=kernel)
        for view in (X, np.asfortranarray(X), np.repeat(X, 3, axis=1)[:, ::3],
                     X[::-1, ::-1][::-1, ::-1], np.ascontiguousarray(X.T).T)
    ]
    rtol = RTOL[np.dtype(dtype)]
    for dw, db, cost in results[1:]:
        np.testing.assert_allclose(dw, results[0][0], rtol=rtol * 10, atol=rtol)
        assert db == pytest.approx(results[0][1], rel=rtol * 10, abs=rtol)
        assert cost == pytest.approx(results[0][2], rel=rtol * 10)


def test_reversed_strides(kernel, rng):
    w, b, X, y = make_problem(rng, n_x=5, m=11)
    reversed_view = X[::-1, ::-1]
    result = fastlr.gradient(w[::-1], b, reversed_view, y[::-1], kernel=kernel)
    assert_matches_reference(result, w[::-1], b, reversed_view, y[::-1], rtol=1e-10)


def test_inputs_unchanged(kernel, rng):
    w, b, X, y = make_problem(rng)
    s = rng.random(X.shape[1]) + 0.1
    copies = [a.copy() for a in (w, X, y, s)]
    fastlr.gradient(w, b, X, y, kernel=kernel, alpha=0.3, sample_weight=s)
    for before, after in zip(copies, (w, X, y, s)):
        np.testing.assert_array_equal(before, after)


def test_column_w_and_row_y(kernel, rng):
    """The course notes' shapes: w (n_x, 1), Y (1, m); dw comes back as (n_x, 1)."""
    w, b, X, y = make_problem(rng)
    dw_col, db_col, cost_col = fastlr.gradient(w.reshape(-1, 1), b, X, y.reshape(1, -1), kernel=kernel)
    dw, db, cost = fastlr.gradient(w, b, X, y, kernel=kernel)
    assert dw_col.shape == (w.size, 1)
    np.testing.assert_array_equal(dw_col.ravel(), dw)
    assert (db_col, cost_col) == (db, cost)


def test_integer_and_bool_input_becomes_float64(kernel):
    X = np.array([[0, 1, 2, 3], [1, 0, 1, 0]], dtype=np.int32)
    y = np.array([False, False, True, True])
    dw, db, cost = fastlr.gradient(np.array([1, -1]), 0, X, y, kernel=kernel)
    assert dw.dtype == np.float64
    assert_matches_reference((dw, db, cost), [1, -1], 0.0, X, y, rtol=1e-10)


def test_float32_is_computed_in_float32(kernel, rng):
    w, b, X, y = make_problem(rng, dtype=np.float32)
    dw, _, _ = fastlr.gradient(w.astype(np.float64), b, X, y, kernel=kernel)
    assert dw.dtype == np.float32


def test_zero_weights_drop_examples(kernel, rng):
    """An example of weight 0 changes nothing; weights are a weighted mean."""
    w, b, X, y = make_problem(rng, m=10)
    s = np.ones(10)
    s[[2, 7]] = 0.0
    keep = s > 0
    weighted = fastlr.gradient(w, b, X, y, kernel=kernel, sample_weight=s)
    subset = fastlr.gradient(w, b, X[:, keep], y[keep], kernel=kernel)
    np.testing.assert_allclose(weighted[0], subset[0], rtol=1e-12)
    assert weighted[1] == pytest.approx(subset[1], rel=1e-12, abs=1e-15)
    assert weighted[2] == pytest.approx(subset[2], rel=1e-12)


def test_integer_weights_equal_repeated_examples(kernel, rng):
    w, b, X, y = make_problem(rng, m=6)
    s = np.array([1, 2, 3, 1, 1, 2])
    weighted = fastlr.gradient(w, b, X, y, kernel=kernel, sample_weight=s, alpha=0.2)
    repeated = fastlr.gradient(w, b, np.repeat(X, s, axis=1), np.repeat(y, s), kernel=kernel, alpha=0.2)
    np.testing.assert_allclose(weighted[0], repeated[0], rtol=1e-12, atol=1e-15)
    assert weighted[1] == pytest.approx(repeated[1], rel=1e-12, abs=1e-15)
    assert weighted[2] == pytest.approx(repeated[2], rel=1e-12)


def test_kernel_object_and_normalised_names(rng):
    w, b, X, y = make_problem(rng)
    by_name = fastlr.gradient(w, b, X, y, kernel="numpy")
    by_object = fastlr.gradient(w, b, X, y, kernel=fastlr.get_kernel("numpy"))
    by_loose_name = fastlr.gradient(w, b, X, y, kernel="  NumPy ")
    for other in (by_object, by_loose_name):
        np.testing.assert_array_equal(other[0], by_name[0])
        assert other[1:] == by_name[1:]


def test_custom_kernel_object(rng):
    """Any fastlr.Kernel runs behind the same validation."""
    calls = []

    def spy(w, b, X, y, alpha, sample_weight):
        calls.append((w.shape, type(b), X.shape, y.shape, alpha, sample_weight))
        return fastlr.get_kernel("numpy").gradient(w, b, X, y, alpha, sample_weight)

    w, b, X, y = make_problem(rng, n_x=3, m=4)
    fastlr.gradient(w.reshape(3, 1), np.float32(b), X, y.reshape(1, 4), kernel=fastlr.Kernel("spy", spy))
    assert calls == [((3,), float, (3, 4), (4,), 0.0, None)]


def test_course_notes_example():
    """The numbers the docstring example shows."""
    X = np.array([[0.0, 1.0, 2.0, 3.0]])
    dw, db, cost = fastlr.gradient(np.zeros(1), 0.0, X, np.array([0, 0, 1, 1]), kernel="numpy")
    np.testing.assert_allclose(dw, [-0.5])
    assert db == 0.0
    assert cost == pytest.approx(np.log(2.0))


def test_float32_sums_over_many_examples_stay_within_1e4(kernel):
    """float32 X with examples contiguous, built so that float32 running sums drift.

    Every example's ``dz`` is 0.5 and X alternates 1 and 1 + 2**-10, so the
    exact ``dw`` is known; BLAS summing 500,000 examples one by one in
    float32 was 4.7e-4 off. The loops of ``python`` and ``partial`` sum in
    float64 but would take minutes here.
    """
    if kernel in ("python", "partial"):
        pytest.skip("10 million Python-level steps")
    m = 500_000
    X = np.ones((20, m), dtype=np.float32, order="F")
    X[:, ::2] = 1.0009765625
    y = np.zeros(m, dtype=np.float32)
    dw, db, cost = fastlr.gradient(np.zeros(20, dtype=np.float32), 0.0, X, y, kernel=kernel)
    exact = 0.5 * (m // 2 * 1.0 + (m - m // 2) * 1.0009765625) / m
    assert np.max(np.abs(dw.astype(np.float64) - exact)) <= 1e-4 * exact
    assert db == pytest.approx(0.5, rel=1e-6)
