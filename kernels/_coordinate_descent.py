"""The proximal Newton solver's inner problem, by cyclic coordinate descent, compiled.

``fastlr._prox_newton`` reduces each outer step to a problem over the
working set's coordinates::

    minimise over d:  gᵀd + ½ dᵀ Q d + sum_c lam_c |x0_c + d_c|

``Q`` is the Hessian of the smooth part (the mean loss and the L2 term)
restricted to those coordinates, ``g`` its gradient, ``x0`` the current
coefficients and ``lam`` each coordinate's L1 strength (0 for an
intercept). ``Q`` is ``[R; 1] S [R; 1]ᵀ`` plus ``l2`` on the weights, with
``R`` the working set's rows of X (``(n, m)``, float64: dense and C-ordered,
or CSR as ``indptr, indices, data``) and ``S`` the curvature of the loss per
example; the solves on rows never form it:

- binary: ``S = diag(weights)``, ``weights = s a (1-a) / sum(s)``;
  coordinates ``w[ws]``, then the intercept;
- multinomial: per example ``weights_i (diag(a_i) - a_i a_iᵀ)`` over the K
  classes (``A`` is ``(K, m)``); coordinates ``W[k, ws]`` class by class
  (``k n + j``), then the K intercepts.

Each coordinate moves in turn, in index order, to the exact minimiser of the
problem along it (a soft-threshold, :func:`_coordinate`)::

    new = soft(x0_c + d_c - r_c / Q_cc, lam_c / Q_cc),   r = g + Q d

with ``r_c`` computed from the change in the scores the step makes so far
(``u = Rᵀ d`` for the binary problem; ``U`` per class and ``v = sum_k a_k
U_k`` for the multinomial one), which each move updates: a coordinate reads
its row of R two or three times, so a sweep costs a few multiply-adds per
stored entry of the working set's rows. A sweep ends by comparing the largest
violation of the optimality conditions it met (``|r_c + lam_c sign(x0_c +
d_c)|`` off zero, ``max(|r_c| - lam_c, 0)`` at zero, each when visited) with
``tol``; the solve stops after the first sweep at or under it, or after
``max_sweeps``, and returns the sweeps made. A coordinate with ``Q_cc <= 0``
(a feature that is zero on every example with weight) stays where it is.

:func:`solve_gram` takes ``Q`` formed instead (for sparse rows, where
forming it once can cost less than the sweeps read; the caller decides).

The loops are sequential: the same input gives the same bits on every call
and thread. They take float64 arrays only (the rows are converted by the
caller), so each is compiled once per index dtype for CSR rows, whatever X's
dtype or layout.
"""

from __future__ import annotations

import numpy as np

from ._compile import entry, helper

__all__ = ["solve_binary", "solve_binary_sparse", "solve_gram", "solve_multinomial",
           "solve_multinomial_sparse", "warm_up"]


@helper(fastmath=False)
def _coordinate(old, gradient, q, lam):
    """``(new value, violation at old)`` of one coordinate: the soft-threshold step along it."""
    if old > 0.0:
        violation = abs(gradient + lam)
    elif old < 0.0:
        violation = abs(gradient - lam)
    else:
        violation = max(abs(gradient) - lam, 0.0)
    moved = old - gradient / q
    threshold = lam / q
    if moved > threshold:
        return moved - threshold, violation
    if moved < -threshold:
        return moved + threshold, violation
    return 0.0, violation


@entry
def solve_binary(R, weights, g, x0, lam, l2, d, max_sweeps, tol):
    """The binary problem on a dense ``R``; ``g`` has ``n`` entries, or ``n + 1`` with the intercept."""
    n, m = R.shape
    size = g.shape[0]
    u = np.zeros(m)
    for j in range(size):
        if d[j] != 0.0:
            for i in range(m):
                u[i] += d[j] * (R[j, i] if j < n else 1.0)
    h = np.empty(size)
    for j in range(size):
        total = 0.0
        for i in range(m):
            r = R[j, i] if j < n else 1.0
            total += weights[i] * r * r
        h[j] = total + (l2 if j < n else 0.0)
    sweeps = 0
    while sweeps < max_sweeps:
        sweeps += 1
        worst = 0.0
        for j in range(size):
            if h[j] <= 0.0:
                continue
            gradient = g[j]
            if j < n:
                total = 0.0
                for i in range(m):
                    total += weights[i] * R[j, i] * u[i]
                gradient += total + l2 * d[j]
            else:
                total = 0.0
                for i in range(m):
                    total += weights[i] * u[i]
                gradient += total
            old = x0[j] + d[j]
            new, violation = _coordinate(old, gradient, h[j], lam[j])
            worst = max(worst, violation)
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
def solve_binary_sparse(indptr, indices, data, m, weights, g, x0, lam, l2, d, max_sweeps, tol):
    """:func:`solve_binary` on CSR rows (``n = len(indptr) - 1``, ``m`` columns)."""
    n = indptr.shape[0] - 1
    size = g.shape[0]
    u = np.zeros(m)
    h = np.empty(size)
    for j in range(n):
        total = 0.0
        for p in range(indptr[j], indptr[j + 1]):
            i = indices[p]
            u[i] += d[j] * data[p]
            total += weights[i] * data[p] * data[p]
        h[j] = total + l2
    if size > n:
        total = 0.0
        for i in range(m):
            u[i] += d[n]
            total += weights[i]
        h[n] = total
    sweeps = 0
    while sweeps < max_sweeps:
        sweeps += 1
        worst = 0.0
        for j in range(size):
            if h[j] <= 0.0:
                continue
            gradient = g[j]
            total = 0.0
            if j < n:
                for p in range(indptr[j], indptr[j + 1]):
                    i = indices[p]
                    total += weights[i] * data[p] * u[i]
                gradient += total + l2 * d[j]
            else:
                for i in range(m):
                    total += weights[i] * u[i]
                gradient += total
            old = x0[j] + d[j]
            new, violation = _coordinate(old, gradient, h[j], lam[j])
            worst = max(worst, violation)
            delta = new - old
            if delta != 0.0:
                d[j] += delta
                if j < n:
                    for p in range(indptr[j], indptr[j + 1]):
                        u[indices[p]] += delta * data[p]
                else:
                    for i in range(m):
                        u[i] += delta
        if worst <= tol:
            break
    return sweeps


@entry
def solve_multinomial(R, A, weights, g, x0, lam, l2, d, max_sweeps, tol):
    """The multinomial problem on a dense ``R``; ``g`` has ``K n`` entries, or ``K (n + 1)``."""
    n, m = R.shape
    K = A.shape[0]
    size = g.shape[0]
    n_w = K * n
    U = np.zeros((K, m))
    h = np.empty(size)
    for c in range(size):
        k, j = (c // n, c % n) if c < n_w else (c - n_w, -1)
        total = 0.0
        for i in range(m):
            r = R[j, i] if j >= 0 else 1.0
            U[k, i] += d[c] * r
            total += weights[i] * A[k, i] * (1.0 - A[k, i]) * r * r
        h[c] = total + (l2 if j >= 0 else 0.0)
    v = np.zeros(m)
    for k in range(K):
        for i in range(m):
            v[i] += A[k, i] * U[k, i]
    sweeps = 0
    while sweeps < max_sweeps:
        sweeps += 1
        worst = 0.0
        for c in range(size):
            if h[c] <= 0.0:
                continue
            k, j = (c // n, c % n) if c < n_w else (c - n_w, -1)
            total = 0.0
            if j >= 0:
                for i in range(m):
                    total += weights[i] * A[k, i] * (U[k, i] - v[i]) * R[j, i]
                gradient = g[c] + total + l2 * d[c]
            else:
                for i in range(m):
                    total += weights[i] * A[k, i] * (U[k, i] - v[i])
                gradient = g[c] + total
            old = x0[c] + d[c]
            new, violation = _coordinate(old, gradient, h[c], lam[c])
            worst = max(worst, violation)
            delta = new - old
            if delta != 0.0:
                d[c] += delta
                for i in range(m):
                    change = delta * (R[j, i] if j >= 0 else 1.0)
                    U[k, i] += change
                    v[i] += A[k, i] * change
        if worst <= tol:
            break
    return sweeps


@entry
def solve_multinomial_sparse(indptr, indices, data, A, weights, g, x0, lam, l2, d, max_sweeps, tol):
    """:func:`solve_multinomial` on CSR rows (``n = len(indptr) - 1``)."""
    n = indptr.shape[0] - 1
    K, m = A.shape
    size = g.shape[0]
    n_w = K * n
    U = np.zeros((K, m))
    h = np.empty(size)
    for c in range(size):
        k, j = (c // n, c % n) if c < n_w else (c - n_w, -1)
        total = 0.0
        if j >= 0:
            for p in range(indptr[j], indptr[j + 1]):
                i = indices[p]
                U[k, i] += d[c] * data[p]
                total += weights[i] * A[k, i] * (1.0 - A[k, i]) * data[p] * data[p]
            h[c] = total + l2
        else:
            for i in range(m):
                U[k, i] += d[c]
                total += weights[i] * A[k, i] * (1.0 - A[k, i])
            h[c] = total
    v = np.zeros(m)
    for k in range(K):
        for i in range(m):
            v[i] += A[k, i] * U[k, i]
    sweeps = 0
    while sweeps < max_sweeps:
        sweeps += 1
        worst = 0.0
        for c in range(size):
            if h[c] <= 0.0:
                continue
            k, j = (c // n, c % n) if c < n_w else (c - n_w, -1)
            total = 0.0
            if j >= 0:
                for p in range(indptr[j], indptr[j + 1]):
                    i = indices[p]
                    total += weights[i] * A[k, i] * (U[k, i] - v[i]) * data[p]
                gradient = g[c] + total + l2 * d[c]
            else:
                for i in range(m):
                    total += weights[i] * A[k, i] * (U[k, i] - v[i])
                gradient = g[c] + total
            old = x0[c] + d[c]
            new, violation = _coordinate(old, gradient, h[c], lam[c])
            worst = max(worst, violation)
            delta = new - old
            if delta != 0.0:
                d[c] += delta
                if j >= 0:
                    for p in range(indptr[j], indptr[j + 1]):
                        i = indices[p]
                        change = delta * data[p]
                        U[k, i] += change
                        v[i] += A[k, i] * change
                else:
                    for i in range(m):
                        U[k, i] += delta
                        v[i] += A[k, i] * delta
        if worst <= tol:
            break
    return sweeps


@entry(fastmath=False)
def solve_gram(Q, g, x0, lam, d, max_sweeps, tol):
    """The same problem with ``Q`` formed (``(size, size)``, C order): ``r = g + Q d`` is kept, one
    row of ``Q`` per move. For sparse rows whose ``Q`` costs less to form than the sweeps it saves
    (``fastlr._prox_newton`` decides)."""
    size = g.shape[0]
    r = g.copy()
    for j in range(size):
        if d[j] != 0.0:
            for i in range(size):
                r[i] += Q[j, i] * d[j]
    sweeps = 0
    while sweeps < max_sweeps:
        sweeps += 1
        worst = 0.0
        for j in range(size):
            if Q[j, j] <= 0.0:
                continue
            old = x0[j] + d[j]
            new, violation = _coordinate(old, r[j], Q[j, j], lam[j])
            worst = max(worst, violation)
            delta = new - old
            if delta != 0.0:
                d[j] += delta
                for i in range(size):
                    r[i] += Q[j, i] * delta
        if worst <= tol:
            break
    return sweeps


def warm_up() -> None:
    """Compile (or load) every signature the solver uses; for ``fastlr precompile``."""
    R = np.eye(2)
    A = np.full((2, 2), 0.5)
    solve_gram(R, np.ones(2), np.zeros(2), np.full(2, 0.5), np.zeros(2), 10, 1e-12)
    ones = np.ones(2)
    solve_binary(R, ones, np.ones(3), np.zeros(3), np.array([0.5, 0.5, 0.0]), 0.1, np.zeros(3),
                 10, 1e-12)
    solve_multinomial(R, A, ones, np.ones(6), np.zeros(6), np.full(6, 0.5), 0.1, np.zeros(6), 10,
                      1e-12)
    for index in (np.int32, np.int64):  # scipy's CSR indices: int32, or int64 for large matrices
        indptr, indices = np.arange(3, dtype=index), np.arange(2, dtype=index)
        solve_binary_sparse(indptr, indices, ones, 2, ones, np.ones(3), np.zeros(3),
                            np.array([0.5, 0.5, 0.0]), 0.1, np.zeros(3), 10, 1e-12)
        solve_multinomial_sparse(indptr, indices, ones, A, ones, np.ones(6), np.zeros(6),
                                 np.full(6, 0.5), 0.1, np.zeros(6), 10, 1e-12)
