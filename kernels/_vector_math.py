"""The stable sigmoid and loss of ``_stable``, from arithmetic alone, for compiled loops.

``math.exp`` and ``math.log`` compile to calls into the C library, one
example at a time: at n_x ~ 10 they are most of a compiled gradient's time.
The same two functions written as range reduction plus polynomials (no call,
no branch but selects) let LLVM inline them and vectorise the loop over
examples, like NumPy's SIMD ufuncs.

- :func:`exp_nonpositive` ``(x <= 0)``: ``x = k ln2 + r`` (Cody-Waite, the
  fdlibm split of ``ln2``), ``|r| <= ln2/2``, ``e^r`` by its Taylor series to
  ``r^13`` (truncation below 2e-16 relative), then two exact power-of-two
  scalings ``2^(k//2) 2^(k - k//2)`` built from their bits, so that
  subnormal results round once and ``x < -745.2`` gives 0.
- :func:`log1p_unit` ``(0 <= e <= 1)``: ``log1p(e) = 2 atanh(t)`` with
  ``t = e/(2 + e)`` for ``e <= sqrt(2) - 1``, else ``ln2 + 2 atanh(t)`` with
  ``t = (e - 1)/(e + 3)``; ``|t| <= 0.172`` and the odd series to ``t^21``
  (truncation below 3e-17). ``e`` itself is exact, so tiny ``log1p(e)``
  keeps its full precision.

Both are within a few ulp of the C library (the tests check 4 ulp over the
whole range), propagate NaN, and are compiled with exactly ``{"contract"}``
(fused multiply-adds, nothing reassociated), set explicitly so that a
caller's flags never leak in, and numba's ``error_model="numpy"`` (IEEE
division: a Python-style zero-division check is a branch that stops LLVM
from vectorising the loop).
"""

from __future__ import annotations

import math

import numpy as np

from ._compile import helper

__all__ = ["exp_nonpositive", "log1p_unit", "sigmoid_and_loss"]

_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01  # 0x3fe62e42fee00000: k * _LN2_HI is exact
_LN2_LO = 1.90821492927058770002e-10
_LN2 = 0.6931471805599453
_SQRT2_MINUS_1 = 0.41421356237309503
_UNDERFLOW = -746.0  # e^x rounds to 0 below -745.14; clamping keeps k in range

_FLAGS = {"contract"}


_jit = helper(fastmath=frozenset(_FLAGS))


@_jit
def _power_of_two(k):
    """``2.0 ** k`` for an integer ``-1022 <= k <= 1023``, from its bits."""
    return np.int64((k + 1023) << 52).view(np.float64)


@_jit
def exp_nonpositive(x):
    """``e^x`` for ``x <= 0`` (or NaN), vectorisable."""
    x = _UNDERFLOW if x < _UNDERFLOW else x  # NaN stays NaN
    k = math.floor(x * _LOG2E + 0.5)
    r = (x - k * _LN2_HI) - k * _LN2_LO
    p = 1.0 / 6227020800.0
    p = p * r + 1.0 / 479001600.0
    p = p * r + 1.0 / 39916800.0
    p = p * r + 1.0 / 3628800.0
    p = p * r + 1.0 / 362880.0
    p = p * r + 1.0 / 40320.0
    p = p * r + 1.0 / 5040.0
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r + 1.0
    p = p * r + 1.0
    k_int = np.int64(k if k > -1100.0 else -1100.0)  # a NaN x leaves k NaN: keep the cast defined
    half = k_int >> 1
    return p * _power_of_two(half) * _power_of_two(k_int - half)


@_jit
def log1p_unit(e):
    """``log(1 + e)`` for ``0 <= e <= 1`` (or NaN), vectorisable."""
    small = e <= _SQRT2_MINUS_1
    numerator = 2.0 * e if small else 2.0 * (e - 1.0)  # selects, no branch
    denominator = 2.0 + e if small else e + 3.0
    offset = 0.0 if small else _LN2
    u = numerator / denominator  # 2t: exact down to the smallest subnormal e
    s = 0.25 * u * u  # t^2
    q = 1.0 / 21.0
    q = q * s + 1.0 / 19.0
    q = q * s + 1.0 / 17.0
    q = q * s + 1.0 / 15.0
    q = q * s + 1.0 / 13.0
    q = q * s + 1.0 / 11.0
    q = q * s + 1.0 / 9.0
    q = q * s + 1.0 / 7.0
    q = q * s + 1.0 / 5.0
    q = q * s + 1.0 / 3.0
    return offset + (u + (u * s) * q)


@_jit
def sigmoid_and_loss(z, y, e, log1p_e):
    """``(sigmoid(z), log(1 + e^z) - y z)`` from ``e = e^-|z|`` and ``log1p(e)``.

    ``kernels._stable``'s formulas. The three pieces are separate functions
    for the caller to call in turn: each is small enough for LLVM to inline
    (keeping its own flags), a function holding all three is not, and an
    call left in a loop stops it from vectorising::

        e = exp_nonpositive(-abs(z))
        a, loss = sigmoid_and_loss(z, y, e, log1p_unit(e))
    """
    a = (1.0 if z > 0.0 else e) / (1.0 + e)
    return a, ((z if z > 0.0 else 0.0) - y * z) + log1p_e
