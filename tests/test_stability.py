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
