"""The compiled kernels' exp and log1p agree with the C library to a few ulp."""

from __future__ import annotations

import math

import numpy as np
import pytest

numba = pytest.importorskip("numba")

from fastlr.kernels._stable import sigmoid_and_loss as python_sigmoid_and_loss  # noqa: E402
from fastlr.kernels._vector_math import (  # noqa: E402
    exp_nonpositive,
    log1p_unit,
    sigmoid_and_loss,
)


@numba.njit(error_model="numpy")
def _exp_all(x, out):
    for i in range(x.size):
        out[i] = exp_nonpositive(x[i])


@numba.njit(error_model="numpy")
def _log1p_all(e, out):
    for i in range(e.size):
        out[i] = log1p_unit(e[i])


@numba.njit(error_model="numpy")
def _terms_all(z, y, a, loss):
    for i in range(z.size):
        e = exp_nonpositive(-abs(z[i]))
        a[i], loss[i] = sigmoid_and_loss(z[i], y[i], e, log1p_unit(e))


def _ulps(got, expected):
    """|got - expected| in units of the last place of expected (of the smallest subnormal at 0)."""
    scale = np.spacing(np.abs(expected))
    return np.abs(got - expected) / np.where(expected == 0, 5e-324, scale)


def test_exp_within_one_ulp_over_its_whole_domain():
    rng = np.random.default_rng(0)
    x = np.concatenate([
        -rng.random(100_000) * 760.0,  # through the subnormals to 0
        -rng.random(50_000) * 2.0,
        -np.logspace(-300, 2.87, 5_000),
        [0.0, -0.0, -708.39, -708.4, -744.44, -745.13, -745.14, -800.0, -1e300],
    ])
    got = np.empty_like(x)
    _exp_all(x, got)
    expected = np.array([math.exp(v) for v in x])
    assert _ulps(got, expected).max() <= 1.0


def test_exp_special_values():
    x = np.array([-np.inf, np.nan, 0.0])
    got = np.empty_like(x)
    _exp_all(x, got)
    assert got[0] == 0.0 and math.isnan(got[1]) and got[2] == 1.0


def test_log1p_within_two_ulp_on_the_unit_interval():
    rng = np.random.default_rng(1)
    e = np.concatenate([
        rng.random(100_000),
        np.logspace(-323, 0, 5_000),
        [0.0, 5e-324, 1e-300, 0.41421356237309503, 0.414213562373095, 0.5, 1.0],
    ])
    got = np.empty_like(e)
    _log1p_all(e, got)
    expected = np.array([math.log1p(v) for v in e])
    assert _ulps(got, expected).max() <= 2.0
    nan = np.empty(1)
    _log1p_all(np.array([np.nan]), nan)
    assert math.isnan(nan[0])


def test_sigmoid_and_loss_match_the_python_kernels_formula():
    rng = np.random.default_rng(2)
    z = np.concatenate([rng.standard_normal(20_000) * 5, rng.standard_normal(2_000) * 800,
                        [0.0, -0.0, 1e4, -1e4, 36.9, -36.9]])
    y = rng.random(z.size)
    a = np.empty_like(z)
    loss = np.empty_like(z)
    _terms_all(z, y, a, loss)
    for i in range(z.size):
        a_ref, loss_ref = python_sigmoid_and_loss(float(z[i]), float(y[i]))
        assert a[i] == pytest.approx(a_ref, rel=4e-16, abs=1e-300)
        # the loss is a difference of terms as large as |z|: rounding is relative to those
        assert loss[i] == pytest.approx(loss_ref, rel=1e-15, abs=1e-15 * abs(float(z[i])))
