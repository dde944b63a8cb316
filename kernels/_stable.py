"""Numerically stable sigmoid and cross-entropy of one example.

Plain ``math`` on Python floats, for the pure-Python kernels. The numba
kernels evaluate the same formulas with the vectorisable ``exp`` and
``log1p`` of ``kernels._vector_math``; the ``numpy`` kernel with ufuncs.

With ``e = exp(-|z|)`` (never overflows) and ``u = 1 + e``:

- ``sigmoid(z)`` is ``1 / u`` for ``z > 0`` and ``e / u`` otherwise: exactly
  0 or 1 only where the float result rounds there, NaN only for NaN input.
- the loss ``-(y log a + (1 - y) log(1 - a))`` equals
  ``log(1 + e^z) - y z = (max(z, 0) - y z) + log1p(e)``: no ``log(0)``, and
  the bracket is exactly 0 when the prediction is confidently right, so the
  tiny ``log1p(e)`` survives; finite for every finite z (the textbook
  formula is NaN once ``|z| > ~37``).
- ``log1p(e)`` is ``log(u)`` corrected by the rounding error of ``u``,
  ``(u - 1) - e`` (exact, by Sterbenz's lemma): about one ulp, exact where
  ``u`` rounds to 1.

``max(z, 0)`` is written as a conditional expression and ``exp``/``log`` are
imported by name: a builtin call or attribute lookup less per example.
Any compiled version must evaluate these as written: reassociation folds
``(u - 1) - e`` to 0 and ``(z - y z) + t`` to ``z + t - z``.
"""

from __future__ import annotations

from math import exp, log

__all__ = ["sigmoid_and_loss"]


def sigmoid_and_loss(z: float, y: float) -> tuple[float, float]:
    """Return ``(sigmoid(z), log(1 + e^z) - y z)`` with one ``exp`` and one ``log``."""
    e = exp(-abs(z))
    u = 1.0 + e
    a = (1.0 if z > 0.0 else e) / u
    log1p_e = log(u) - ((u - 1.0) - e) / u
    return a, ((z if z > 0.0 else 0.0) - y * z) + log1p_e
