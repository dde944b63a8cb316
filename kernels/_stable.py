"""Numerically stable sigmoid and cross-entropy of one example.

Plain ``math`` on Python floats, so that the pure-Python kernels call it as it
is and the numba kernels compile the very same function.

With ``e = exp(-|z|)`` (never overflows):

- ``sigmoid(z)`` is ``1 / (1 + e)`` for ``z >= 0`` and ``e / (1 + e)``
  otherwise: exactly 0 or 1 only where the float result rounds there, NaN
  only for NaN input.
- the loss ``-(y log a + (1 - y) log(1 - a))`` equals
  ``log(1 + e^z) - y z``, computed as ``(1 - y) z + log1p(e)`` for ``z > 0``
  and ``log1p(e) - y z`` otherwise: no ``log(0)``, no cancellation when the
  prediction is confidently right, finite for every finite z (the textbook
  formula is NaN once ``|z| > ~37``).
"""

from __future__ import annotations

import math

__all__ = ["sigmoid_and_loss"]


def sigmoid_and_loss(z: float, y: float) -> tuple[float, float]:
    """Return ``(sigmoid(z), log(1 + e^z) - y z)`` with one exponential."""
    e = math.exp(-abs(z))
    if z > 0.0:
        return 1.0 / (1.0 + e), (1.0 - y) * z + math.log1p(e)
    return e / (1.0 + e), math.log1p(e) - y * z
