"""dw and db are the derivatives of the cost: central finite differences agree."""

from __future__ import annotations

import numpy as np
import pytest

import fastlr


@pytest.mark.parametrize("alpha", [0.0, 0.7])
@pytest.mark.parametrize("weighted", [False, True])
def test_gradient_is_derivative_of_cost(kernel, rng, alpha, weighted):
    n_x, m = 4, 15
    X = rng.standard_normal((n_x, m)) * 2.0
    y = rng.random(m)  # soft labels exercise the general loss
    w = rng.standard_normal(n_x)
    b = -0.3
    s = rng.random(m) * 3.0 if weighted else None

    def cost(w_, b_):
        return fastlr.gradient(w_, b_, X, y, kernel=kernel, alpha=alpha, sample_weight=s)[2]

    dw, db, _ = fastlr.gradient(w, b, X, y, kernel=kernel, alpha=alpha, sample_weight=s)
    h = 1e-6
    numeric_dw = np.array([
        (cost(w + h * e, b) - cost(w - h * e, b)) / (2 * h) for e in np.eye(n_x)
    ])
    numeric_db = (cost(w, b + h) - cost(w, b - h)) / (2 * h)
    np.testing.assert_allclose(dw, numeric_dw, rtol=1e-6, atol=1e-8)
    assert db == pytest.approx(numeric_db, rel=1e-6, abs=1e-8)
