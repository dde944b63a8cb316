"""Shared test fixtures: the one list of kernels every test is parametrised over.

A new kernel is tested by adding its name to ``fastlr.KERNELS``; a kernel
whose dependency is missing here is skipped, not failed.
"""

from __future__ import annotations

import numpy as np
import pytest

import fastlr
from fastlr._precompile import COMPILED_KERNELS

AVAILABLE = fastlr.available_kernels()


def _params(names):
    """``names`` as test parameters, each skipped where its kernel is unavailable."""
    return [
        pytest.param(
            name,
            marks=pytest.mark.skipif(name not in AVAILABLE, reason=f"kernel {name!r} unavailable here"),
        )
        for name in names
    ]


KERNEL_PARAMS = _params(fastlr.KERNELS)


@pytest.fixture(params=KERNEL_PARAMS, scope="session")
def kernel(request):
    """Every kernel fastlr ships, by name."""
    return request.param


@pytest.fixture(params=_params(COMPILED_KERNELS), scope="session")
def compiled_kernel(request):
    """Every compiled kernel fastlr ships (the ones whose loops index arrays unchecked), by name."""
    return request.param


@pytest.fixture
def rng():
    return np.random.default_rng(20261127)


@pytest.fixture
def default_threads():
    """The default thread setting before and after the test, whatever the test sets."""
    fastlr.set_num_threads(None)
    yield
    fastlr.set_num_threads(None)
