"""Shared test fixtures: the one list of kernels every test is parametrised over.

A new kernel is tested by adding its name to ``fastlr.KERNELS``; a kernel
whose dependency is missing here is skipped, not failed.
"""

from __future__ import annotations

import numpy as np
import pytest

import fastlr

AVAILABLE = fastlr.available_kernels()
KERNEL_PARAMS = [
    pytest.param(
        name,
        marks=pytest.mark.skipif(name not in AVAILABLE, reason=f"kernel {name!r} unavailable here"),
    )
    for name in fastlr.KERNELS
]


@pytest.fixture(params=KERNEL_PARAMS, scope="session")
def kernel(request):
    """Every kernel fastlr ships, by name."""
    return request.param


@pytest.fixture
def rng():
    return np.random.default_rng(20261127)


def make_problem(rng, n_x=6, m=9, dtype=np.float64, order="C"):
    """A small seeded problem ``(w, b, X, y)`` with X in the given layout."""
    X = np.asarray(rng.standard_normal((n_x, m)), dtype=dtype, order=order)
    w = rng.standard_normal(n_x).astype(dtype)
    y = (rng.random(m) < 0.5).astype(dtype)
    return w, 0.25, X, y
