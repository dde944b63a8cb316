"""The direct L-BFGS-B loop (``fastlr._lbfgsb_loop``) returns what ``scipy.optimize.minimize`` returns.

Every path of the loop, each against scipy's own ``minimize(method="L-BFGS-B")``
on the same function, to the last bit: the iterates seen by the callback, the
solution, its gradient, the iterations and the message. Converged, stopped at
``max_iter``, stopped on the cost (``ftol``), a callback raising
``StopIteration``, a non-finite cost met in the line search, a start that is
already optimal; and the same fit through ``fastlr.LogisticRegression`` with the
loop on and off. Where the check fails (an older or a changed scipy) the
public ``minimize`` runs instead.
"""

from __future__ import annotations

import numpy as np
import pytest

import fastlr
from fastlr import _lbfgsb_loop
from fastlr._lbfgsb_loop import _direct, _scipy, direct_loop_available, lbfgsb

needs_direct = pytest.mark.skipif(not direct_loop_available(),
                                  reason="this scipy's L-BFGS-B step is not driven directly")


def _logistic(seed: int, m: int = 60, n: int = 7):
    """A seeded logistic cost with an L2 term on features of very different scales."""
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, n)) * np.logspace(-1, 1, n)
    labels = (rng.random(m) < 0.5).astype(float)

    def fun(theta):
        z = A @ theta
        cost = float(np.sum(np.logaddexp(0.0, z) - labels * z)) / m + 1e-3 * float(theta @ theta)
        return cost, A.T @ (1.0 / (1.0 + np.exp(-z)) - labels) / m + 2e-3 * theta

    return fun, rng.standard_normal(n)


def _overflowing(theta):
    """Finite near 0, +inf beyond |theta| > 3: the line search meets a non-finite cost."""
    if np.abs(theta).max() > 3.0:
        return np.inf, np.full(theta.shape, np.nan)
    return float(np.sum((theta - 5.0) ** 2)), 2.0 * (theta - 5.0)


def _both(fun, x0, **options):
    """Each run's result and the ``(x bytes, f)`` its callback saw, direct and scipy."""
    seen = {"direct": [], "scipy": []}
    results = {}
    for name, run in (("direct", _direct), ("scipy", _scipy)):
        stop_after = options.get("stop_after")

        def on_iteration(x, f, name=name):
            seen[name].append((x.tobytes(), float(f)))
            if stop_after is not None and len(seen[name]) == stop_after:
                raise StopIteration

        results[name] = run(fun, x0, options.get("max_iter", 1000), options.get("gtol", 1e-10),
                            options.get("ftol", 64 * np.finfo(float).eps), options.get("max_ls", 50),
                            on_iteration)
    return results["direct"], results["scipy"], seen


@needs_direct
@pytest.mark.parametrize("case", ["converged", "max_iter", "ftol", "callback stops", "not finite",
                                  "optimal start", "no callback"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_direct_loop_is_scipys_minimize_to_the_last_bit(case, seed):
    fun, x0 = _logistic(seed)
    options = {"converged": {}, "max_iter": {"max_iter": 4}, "ftol": {"ftol": 1e-3, "gtol": 0.0},
               "callback stops": {"stop_after": 3}, "not finite": {},
               "optimal start": {}, "no callback": {}}[case]
    if case == "not finite":
        fun, x0 = _overflowing, np.full(4, 0.5)
    if case == "optimal start":
        x0 = _direct(fun, x0, 1000, 1e-10, 64 * np.finfo(float).eps, 50, None).x
    if case == "no callback":
        ours = _direct(fun, x0, 1000, 1e-10, 64 * np.finfo(float).eps, 50, None)
        theirs = _scipy(fun, x0, 1000, 1e-10, 64 * np.finfo(float).eps, 50, None)
        seen = {"direct": [], "scipy": []}
    else:
        ours, theirs, seen = _both(fun, x0, **options)
    assert ours.x.tobytes() == theirs.x.tobytes()
    assert ours.jac.tobytes() == np.asarray(theirs.jac, dtype=np.float64).tobytes()
    assert ours.fun == theirs.fun or (np.isnan(ours.fun) and np.isnan(theirs.fun))
    assert ((ours.nit, ours.nfev, ours.success, ours.message)
            == (theirs.nit, theirs.nfev, theirs.success, theirs.message))
    assert seen["direct"] == seen["scipy"]
    expected_nit = {"max_iter": 4, "callback stops": 3}
    if case in expected_nit:
        assert ours.nit == expected_nit[case]
    if case in ("converged", "optimal start"):
        assert ours.success
    if case == "optimal start":
        assert ours.nit <= 1


@needs_direct
def test_the_loop_evaluates_no_point_twice_in_a_row():
    """scipy's memo: the start is evaluated once, though the step asks for it."""
    fun, x0 = _logistic(0)
    points = []

    def counting(theta):
        points.append(theta.tobytes())
        return fun(theta)

    lbfgsb(counting, x0, max_iter=1000, gtol=1e-10, ftol=1e-15, max_ls=50)
    assert all(a != b for a, b in zip(points, points[1:]))
    assert points[0] == np.asarray(x0, dtype=np.float64).tobytes()


def test_without_the_direct_loop_scipys_minimize_runs(monkeypatch):
    """An older or a changed scipy: the check fails and the public minimize gives the fit."""
    X, y = _breast_cancer_like()
    direct = fastlr.LogisticRegression(tol=1e-8, max_iter=1000).fit(X, y)
    monkeypatch.setattr(_lbfgsb_loop, "_available", False)
    called = []
    original = _lbfgsb_loop._scipy
    monkeypatch.setattr(_lbfgsb_loop, "_scipy", lambda *a: called.append(1) or original(*a))
    public = fastlr.LogisticRegression(tol=1e-8, max_iter=1000).fit(X, y)
    assert called
    assert public.coef_.tobytes() == direct.coef_.tobytes()
    assert public.intercept_.tobytes() == direct.intercept_.tobytes()
    assert public.n_iter_ == direct.n_iter_


@pytest.mark.parametrize("broken", ["raises", "other iterations"])
def test_a_failing_check_means_no_direct_loop(monkeypatch, broken):
    real = _lbfgsb_loop._direct

    def changed(*args):
        if broken == "raises":
            raise TypeError("setulb() takes other arguments")
        result = real(*args)
        result.nit += 1
        return result

    monkeypatch.setattr(_lbfgsb_loop, "_direct", changed)
    assert _lbfgsb_loop._check_direct_loop() is False


def _breast_cancer_like():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((300, 12)) * np.logspace(-1, 1, 12)
    return X, (X @ rng.standard_normal(12) + rng.standard_normal(300) > 0).astype(int)
