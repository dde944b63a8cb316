"""fastlr.train: the loop, its stopping rules, its errors, compiled and Python loops alike."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import fastlr

from reference import make_problem


def _separable_enough(rng, n_x=4, m=200):
    X = rng.standard_normal((n_x, m))
    y = (X[0] - 0.5 * X[1] + 0.3 * rng.standard_normal(m) > 0).astype(float)
    return X, y


def test_converges_and_cost_never_rises(kernel, rng):
    X, y = _separable_enough(rng, m=60 if kernel == "python" else 200)
    result = fastlr.train(X, y, kernel=kernel, alpha=0.05, max_iter=5000, tol=1e-7)
    assert result.converged and result.kernel == kernel
    assert result.costs.shape == (result.n_iter,)
    assert np.all(np.diff(result.costs) <= 1e-15)
    dw, db, _ = fastlr.gradient(result.w, result.b, X, y, kernel="numpy", alpha=0.05)
    assert max(np.abs(dw).max(), abs(db)) <= 1e-7


@pytest.mark.parametrize("solver", ["gd", "lbfgs"])
def test_without_intercept_b_stays_and_w_is_optimal(kernel, rng, solver):
    """fit_intercept=False: b is held at b0 and w is optimal for that b, whatever db is."""
    X, y = _separable_enough(rng, m=60 if kernel == "python" else 200)
    y = np.where(rng.random(y.size) < 0.8, 1.0, y)  # mostly ones: the best intercept is far from 0
    for b0 in (0.0, -0.5):
        result = fastlr.train(X, y, kernel=kernel, alpha=0.05, max_iter=5000, tol=1e-7, solver=solver,
                              fit_intercept=False, b0=b0)
        assert result.converged and result.b == b0
        dw, db, _ = fastlr.gradient(result.w, b0, X, y, kernel="numpy", alpha=0.05)
        assert np.abs(dw).max() <= 1e-7 and abs(db) > 0.05


def test_without_intercept_compiled_and_python_loops_agree(rng):
    if "numba" not in fastlr.available_kernels():
        pytest.skip("numba unavailable")
    X, y = _separable_enough(rng)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fastlr.ConvergenceWarning)
        runs = [fastlr.train(X, y, kernel=kernel, alpha=0.1, max_iter=200, tol=0.0, fit_intercept=False)
                for kernel in ("numba", "numba-parallel", "numpy")]
    for run in runs[:2]:
        assert run.b == 0.0
        np.testing.assert_allclose(run.w, runs[2].w, rtol=1e-10)
        np.testing.assert_allclose(run.costs, runs[2].costs, rtol=1e-12)


def test_fit_intercept_must_be_a_bool(rng):
    X, y = _separable_enough(rng, m=20)
    with pytest.raises(TypeError, match="fit_intercept must be True or False; got str 'no'"):
        fastlr.train(X, y, fit_intercept="no")


def test_compiled_and_python_loops_agree(rng):
    if "numba" not in fastlr.available_kernels():
        pytest.skip("numba unavailable")
    X, y = _separable_enough(rng)
    s = rng.random(X.shape[1]) + 0.5
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fastlr.ConvergenceWarning)
        compiled = fastlr.train(X, y, kernel="numba", alpha=0.1, max_iter=300, tol=0.0, sample_weight=s)
        looped = fastlr.train(X, y, kernel="numpy", alpha=0.1, max_iter=300, tol=0.0, sample_weight=s)
    np.testing.assert_allclose(compiled.w, looped.w, rtol=1e-10)
    np.testing.assert_allclose(compiled.costs, looped.costs, rtol=1e-12)
    assert compiled.b == pytest.approx(looped.b, rel=1e-10)


def test_max_iter_warns_and_counts(kernel, rng):
    w, b, X, y = make_problem(rng, m=20)
    with pytest.warns(fastlr.ConvergenceWarning, match=re.escape("stopped at max_iter=3 before reaching tol=1e-06")):
        result = fastlr.train(X, y, kernel=kernel, max_iter=3)
    assert result.n_iter == 3 and not result.converged


def test_float32_stays_float32(kernel, rng):
    w, b, X, y = make_problem(rng, m=20, dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fastlr.ConvergenceWarning)
        result = fastlr.train(X, y, kernel=kernel, max_iter=5)
    assert result.w.dtype == np.float32


def test_w0_shape_is_kept(rng):
    w, b, X, y = make_problem(rng, m=20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fastlr.ConvergenceWarning)
        result = fastlr.train(X, y, w0=w.reshape(-1, 1), b0=1.0, max_iter=2)
    assert result.w.shape == (w.size, 1)


def test_callback_sees_every_iteration(kernel, rng):
    w, b, X, y = make_problem(rng, m=20)
    seen = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fastlr.ConvergenceWarning)
        result = fastlr.train(X, y, kernel=kernel, max_iter=4, callback=lambda i, w_, b_, c: seen.append((i, c)))
    assert [i for i, _ in seen] == [1, 2, 3, 4]
    np.testing.assert_array_equal([c for _, c in seen], result.costs)


def test_divergence_names_the_iteration(kernel):
    X = np.array([[1e150, -1e150, 1e150, -1e150]])
    y = np.array([1.0, 0.0, 1.0, 0.0])
    with pytest.raises(FloatingPointError, match=r"cost became (nan|inf) at iteration \d+ \(learning_rate=1e\+300\); use a smaller learning rate"):
        fastlr.train(X, y, kernel=kernel, learning_rate=1e300, max_iter=50)


def test_nan_in_X_is_named_before_training(kernel, rng):
    w, b, X, y = make_problem(rng, m=8)
    X[1, 3] = np.nan
    with pytest.raises(ValueError, match="^X contains NaN or infinity"):
        fastlr.train(X, y, kernel=kernel)


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ({"learning_rate": 0.0}, ValueError, "learning_rate must be a finite number > 0; got 0.0"),
        ({"learning_rate": -1}, ValueError, "learning_rate must be a finite number > 0; got -1"),
        ({"learning_rate": "fast"}, ValueError, "learning_rate must be 'auto' or a number > 0; got 'fast'"),
        ({"max_iter": 0}, ValueError, "max_iter must be >= 1; got 0"),
        ({"max_iter": 2.5}, TypeError, "max_iter must be an integer; got float 2.5"),
        ({"tol": -1e-3}, ValueError, "tol must be a finite number >= 0; got -0.001"),
        ({"alpha": -1.0}, ValueError, "alpha must be a finite number >= 0; got -1.0"),
    ],
)
def test_bad_training_arguments(rng, arguments, error, message):
    w, b, X, y = make_problem(rng)
    with pytest.raises(error, match=re.escape(message)):
        fastlr.train(X, y, **arguments)


def test_auto_step_accounts_for_the_bias():
    """A constant feature far from zero: without the bias row the 1/L step overshoots."""
    rng = np.random.default_rng(3)
    X = 5.0 + 0.01 * rng.standard_normal((1, 100))
    y = (rng.random(100) < 0.3).astype(float)
    L = fastlr._training.lipschitz_constant(X, None, 0.0)
    augmented = np.vstack([X, np.ones((1, 100))])
    exact = np.linalg.eigvalsh(augmented @ augmented.T).max() / (4 * 100)
    assert L == pytest.approx(exact, rel=1e-3)
