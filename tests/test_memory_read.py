"""The memory-read baseline reads every element of X exactly once, in any layout."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fastlr._memory_read import read_once


@pytest.mark.parametrize("shape", [(1, 1), (3, 70_001), (1_000, 37)])
@pytest.mark.parametrize("layout", ["C", "F", "strided"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sums_every_element(rng, shape, layout, dtype):
    X = rng.random(shape).astype(dtype)
    if layout == "F":
        X = np.asfortranarray(X)
    elif layout == "strided":
        X = np.repeat(X, 2, axis=1)[:, ::2]
    assert read_once(X) == pytest.approx(math.fsum(X.astype(np.float64).ravel()), rel=1e-6)
