"""The cost stays finite and right where the textbook formula breaks (|z| > ~37)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import fastlr

from reference import assert_matches_reference


@pytest.mark.parametrize("z_scale", [40.0, 300.0, 1e3, 1e4])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_large_margins(kernel, z_scale, dtype):
    """|z| in the tens to ten-thousands, right and wrong, for every label."""
    z = np.array([-1.0, -0.5, -0.01, 0.0, 0.01, 0.5, 1.0, 1.0]) * z_scale
    X = z.reshape(1, -1).astype(dtype)
    y = np.array([0, 1, 0, 1, 1, 0, 1, 0.5], dtype=dtype)
    dw, db, cost = fastlr.gradient(np.ones(1, dtype), 0.0, X, y, kernel=kernel)
    assert np.isfinite(dw).all() and math.isfinite(db) and math.isfinite(cost)
    rtol = 1e-12 if dtype == np.float64 else 1e-6
    assert_matches_reference((dw, db, cost), np.ones(1), 0.0, X, y, rtol=rtol)


@pytest.mark.parametrize("z", [-1e4, -800.0, -40.0, 40.0, 800.0, 1e4])
def test_confidently_right_costs_almost_nothing(kernel, z):
    """Loss log(1 + e^-|z|) ~ e^-|z|, exact down to the smallest float, never 0 - 0."""
    y = 1.0 if z > 0 else 0.0
    dw, db, cost = fastlr.gradient(np.ones(1), 0.0, np.array([[z]]), np.array([y]), kernel=kernel)
    expected = math.log1p(math.exp(-abs(z)))
    assert cost == pytest.approx(expected, rel=1e-15, abs=0.0)
    assert db == pytest.approx(-y + (1.0 - math.exp(-abs(z)) if z > 0 else math.exp(-abs(z))), abs=1e-300)


@pytest.mark.parametrize("z", [-1e4, -800.0, 800.0, 1e4])
def test_confidently_wrong_costs_the_margin(kernel, z):
    y = 0.0 if z > 0 else 1.0
    dw, db, cost = fastlr.gradient(np.ones(1), 0.0, np.array([[z]]), np.array([y]), kernel=kernel)
    assert cost == pytest.approx(abs(z), rel=1e-15)
    assert db == (1.0 if z > 0 else -1.0)  # sigmoid is exactly 0 or 1 here, never NaN
    assert dw[0] == pytest.approx(z * db)


def test_sigmoid_at_moderate_margin_is_not_rounded_to_one(kernel):
    """At z = -30 the prediction is e^-30, not 0: a - y keeps it."""
    dw, db, cost = fastlr.gradient(np.ones(1), 0.0, np.array([[-30.0]]), np.array([0.0]), kernel=kernel)
    assert db == pytest.approx(1.0 / (1.0 + math.exp(30.0)), rel=1e-14)


@pytest.mark.parametrize("top", [3e38, 1e30, 2.5])
def test_float32_weights_near_the_top_of_the_range(kernel, rng, top):
    """Weights up to float32's largest: every kernel gives the weighted means, as with small weights.

    The means divide by ``sum(s)``, so scaling every weight by one number
    changes nothing; ``s dz x`` summed in float32 would overflow at 3e38.
    """
    X = rng.standard_normal((3, 50)).astype(np.float32)
    y = (rng.random(50) < 0.5).astype(np.float32)
    shape = rng.random(50).astype(np.float32) + 0.5
    w = np.array([0.1, -0.2, 0.3], dtype=np.float32)
    big = fastlr.gradient(w, 0.1, X, y, sample_weight=(shape / shape.max() * top).astype(np.float32),
                          kernel=kernel)
    small = fastlr.gradient(w, 0.1, X, y, sample_weight=shape / shape.max(), kernel=kernel)
    np.testing.assert_allclose(big[0], small[0], rtol=1e-5, atol=1e-7)
    assert big[1] == pytest.approx(small[1], rel=1e-5, abs=1e-7)
    assert big[2] == pytest.approx(small[2], rel=1e-5)
    labels = np.arange(50) % 3
    W = np.outer([1.0, -1.0, 0.5], w).astype(np.float32)
    big = fastlr.softmax_gradient(W, 0.0, X, labels, sample_weight=(shape / shape.max() * top).astype(np.float32),
                                  kernel=kernel)
    small = fastlr.softmax_gradient(W, 0.0, X, labels, sample_weight=shape / shape.max(), kernel=kernel)
    np.testing.assert_allclose(big[0], small[0], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(big[1], small[1], rtol=1e-5, atol=1e-7)
    assert big[2] == pytest.approx(small[2], rel=1e-5)
