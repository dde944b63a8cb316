"""The proximal Newton solver's inner problem, by cyclic coordinate descent, compiled.

``fastlr._prox_newton`` reduces each outer step to a small dense problem
over the working set's coordinates::

    minimise over d:  gᵀd + ½ dᵀ Q d + sum_j lam_j |x0_j + d_j|

``Q`` (symmetric, positive semi-definite, float64, C order) is the Hessian
of the smooth part restricted to those coordinates, ``g`` its gradient,
``x0`` the current coefficients and ``lam`` the L1 strength of each
coordinate (0 for an intercept). :func:`solve_quadratic_l1` updates ``d``
in place, one coordinate at a time in index order, each to the exact
minimiser of the problem along it (a soft-threshold)::

    v = soft(x0_j + d_j - r_j / Q_jj, lam_j / Q_jj),   r = g + Q d

and keeps ``r`` up to date with one row of ``Q`` per change. It stops after
the first sweep whose largest violation of the optimality conditions
(``|r_j + lam_j sign(x0_j + d_j)|`` off zero, ``max(|r_j| - lam_j, 0)``
at zero) is ``<= tol``, or after ``max_sweeps`` sweeps, and returns the
number of sweeps. A coordinate with ``Q_jj <= 0`` (a feature that is zero on
every example with weight) is left where it is.

The loop is sequential: the same input gives the same bits on every call
and thread. It depends on nothing but float64 arrays, so it is compiled once
(one signature), whatever X's dtype, layout or format.
"""

from __future__ import annotations

import numpy as np

from ._compile import entry

__all__ = ["solve_multinomial_on_rows", "solve_on_rows", "solve_quadratic_l1", "warm_up"]


@entry(fastmath=False)
def solve_quadratic_l1(Q, g, x0, lam, d, max_sweeps, tol):
    n = g.shape[0]
    r = g.copy()
    for j in range(n):
        if d[j] != 0.0:
            for i in range(n):
                r[i] += Q[j, i] * d[j]
    sweeps = 0
    while sweeps < max_sweeps:
        sweeps += 1
        for j in range(n):
            q = Q[j, j]
            if q <= 0.0:
                continue
            old = x0[j] + d[j]
            moved = old - r[j] / q
            threshold = lam[j] / q
            if moved > threshold:
                new = moved - threshold
            elif moved < -threshold:
                new = moved + threshold
            else:
                new = 0.0
            delta = new - old
            if delta != 0.0:
                d[j] += delta
                for i in range(n):
                    r[i] += Q[j, i] * delta
        worst = 0.0
        for j in range(n):
            if Q[j, j] <= 0.0:
                continue
            value = x0[j] + d[j]
            if value > 0.0:
                violation = abs(r[j] + lam[j])
            elif value < 0.0:
                violation = abs(r[j] - lam[j])
            else:
                violation = max(abs(r[j]) - lam[j], 0.0)
            worst = max(worst, violation)
        if worst <= tol:
            break
    return sweeps


def warm_up() -> None:
    """Compile (or load) the one signature; used by ``fastlr precompile``."""
    Q = np.eye(2)
    solve_quadratic_l1(Q, np.ones(2), np.zeros(2), np.full(2, 0.5), np.zeros(2), 10, 1e-12)
    solve_on_rows(Q, np.ones(2), np.ones(3), np.zeros(3), np.array([0.5, 0.5, 0.0]), 0.1,
                  np.zeros(3), 10, 1e-12)
    A = np.full((2, 2), 0.5)
    solve_multinomial_on_rows(Q, A, np.ones(2), np.ones(6), np.zeros(6), np.full(6, 0.5), 0.1,
                              np.zeros(6), 10, 1e-12)


@entry
def solve_on_rows(R, weights, g, x0, lam, l2, d, max_sweeps, tol):
    """The same problem with ``Q = [R; 1] diag(weights) [R; 1]ᵀ + l2`` (on R's rows), never formed.

    ``R`` is ``(n, m)`` float64, C order: the working set's rows of X.
    ``g``, ``x0``, ``lam`` and ``d`` have ``n`` entries, or ``n + 1`` with the
    intercept last (unpenalised, no ``l2``). Coordinate descent keeps
    ``u = Rᵀ d[:n] + d[n]`` (``(m,)``) and reads one row of R per
    coordinate twice (its gradient, then ``u``'s update), so a sweep costs
    ``2 n m`` multiply-adds where forming ``Q`` costs ``n² m / 2``. The
    stopping test takes each coordinate's violation when it is visited.
    """
    n, m = R.shape
    size = g.shape[0]
    intercept = size > n
    u = np.zeros(m)
    for j in range(n):
        if d[j] != 0.0:
            for i in range(m):
                u[i] += d[j] * R[j, i]
    if intercept:
        for i in range(m):
            u[i] += d[n]
    h = np.empty(size)
    for j in range(n):
        total = 0.0
        for i in range(m):
            total += weights[i] * R[j, i] * R[j, i]
        h[j] = total + l2
    if intercept:
        total = 0.0
        for i in range(m):
            total += weights[i]
        h[n] = total
    sweeps = 0
    while sweeps < max_sweeps:
        sweeps += 1
        worst = 0.0
        for j in range(size):
            q = h[j]
            if q <= 0.0:
                continue
            gradient = 0.0
            if j < n:
                for i in range(m):
                    gradient += weights[i] * R[j, i] * u[i]
                gradient += g[j] + l2 * d[j]
            else:
                for i in range(m):
                    gradient += weights[i] * u[i]
                gradient += g[j]
            old = x0[j] + d[j]
            if old > 0.0:
                violation = abs(gradient + lam[j])
            elif old < 0.0:
                violation = abs(gradient - lam[j])
            else:
                violation = max(abs(gradient) - lam[j], 0.0)
            worst = max(worst, violation)
            moved = old - gradient / q
            threshold = lam[j] / q
            if moved > threshold:
                new = moved - threshold
            elif moved < -threshold:
                new = moved + threshold
            else:
                new = 0.0
            delta = new - old
            if delta != 0.0:
                d[j] += delta
                if j < n:
                    for i in range(m):
                        u[i] += delta * R[j, i]
                else:
                    for i in range(m):
                        u[i] += delta
        if worst <= tol:
            break
    return sweeps


@entry
def solve_multinomial_on_rows(R, A, weights, g, x0, lam, l2, d, max_sweeps, tol):
    """The multinomial problem's step on R's rows, its block Hessian never formed.

    The coordinates are ``W[k, j]`` class by class (``k n + j`` for R's row
    ``j``), then, when ``g`` has ``K (n + 1)`` entries, the K intercepts
    (unpenalised, no ``l2``). The model's Hessian is ``sum_i weights_i
    (x_i x_iᵀ) ⊗ (diag(a_i) - a_i a_iᵀ)`` plus ``l2`` on the weights, with
    ``A`` the ``(K, m)`` softmax probabilities. Coordinate descent keeps
    ``U = W_d R + b_d`` (``(K, m)``, the step's change in the scores) and
    ``v = sum_k a_k U_k`` (``(m,)``); a coordinate reads one row of R
    three times (its gradient, then ``U``'s and ``v``'s update).
    """
    n, m = R.shape
    K = A.shape[0]
    size = g.shape[0]
    weighted = K * n
    U = np.zeros((K, m))
    for k in range(K):
        for j in range(n):
            step = d[k * n + j]
            if step != 0.0:
                for i in range(m):
                    U[k, i] += step * R[j, i]
        if size > weighted:
            for i in range(m):
                U[k, i] += d[weighted + k]
    v = np.zeros(m)
    for k in range(K):
        for i in range(m):
            v[i] += A[k, i] * U[k, i]
    h = np.empty(size)
    for k in range(K):
        for j in range(n):
            total = 0.0
            for i in range(m):
                total += weights[i] * A[k, i] * (1.0 - A[k, i]) * R[j, i] * R[j, i]
            h[k * n + j] = total + l2
        if size > weighted:
            total = 0.0
            for i in range(m):
                total += weights[i] * A[k, i] * (1.0 - A[k, i])
            h[weighted + k] = total
    sweeps = 0
    while sweeps < max_sweeps:
        sweeps += 1
        worst = 0.0
        for c in range(size):
            q = h[c]
            if q <= 0.0:
                continue
            if c < weighted:
                k, j = c // n, c % n
            else:
                k, j = c - weighted, -1
            gradient = 0.0
            if j >= 0:
                for i in range(m):
                    gradient += weights[i] * A[k, i] * (U[k, i] - v[i]) * R[j, i]
                gradient += g[c] + l2 * d[c]
            else:
                for i in range(m):
                    gradient += weights[i] * A[k, i] * (U[k, i] - v[i])
                gradient += g[c]
            old = x0[c] + d[c]
            if old > 0.0:
                violation = abs(gradient + lam[c])
            elif old < 0.0:
                violation = abs(gradient - lam[c])
            else:
                violation = max(abs(gradient) - lam[c], 0.0)
            worst = max(worst, violation)
            moved = old - gradient / q
            threshold = lam[c] / q
            if moved > threshold:
                new = moved - threshold
            elif moved < -threshold:
                new = moved + threshold
            else:
                new = 0.0
            delta = new - old
            if delta != 0.0:
                d[c] += delta
                if j >= 0:
                    for i in range(m):
                        change = delta * R[j, i]
                        U[k, i] += change
                        v[i] += A[k, i] * change
                else:
                    for i in range(m):
                        U[k, i] += delta
                        v[i] += A[k, i] * delta
        if worst <= tol:
            break
    return sweeps
