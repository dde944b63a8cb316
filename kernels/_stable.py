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

For K classes (:func:`softmax_and_loss`), with ``zmax`` the largest logit
and ``r`` the sum of ``e^(z_k - zmax)`` over the other classes (every
exponent ``<= 0``, so nothing overflows):

- ``softmax(z)_k = e^(z_k - zmax) / (1 + r)``;
- the loss ``logsumexp(z) - sum_k y_k z_k`` equals
  ``sum_k y_k (zmax - z_k) + (sum_k y_k) log1p(r)``: each bracket is
  ``>= 0`` and ``log1p`` keeps the small loss of a confidently right
  example, which ``log(1 + r)`` would round to 0.
"""

from __future__ import annotations

from math import exp, log, log1p

__all__ = ["sigmoid_and_loss", "sigmoid_slope", "softmax_and_loss"]


def sigmoid_and_loss(z: float, y: float) -> tuple[float, float]:
    """Return ``(sigmoid(z), log(1 + e^z) - y z)`` with one ``exp`` and one ``log``."""
    e = exp(-abs(z))
    u = 1.0 + e
    a = (1.0 if z > 0.0 else e) / u
    log1p_e = log(u) - ((u - 1.0) - e) / u
    return a, ((z if z > 0.0 else 0.0) - y * z) + log1p_e


def sigmoid_slope(z: float) -> float:
    """``sigmoid'(z) = a (1 - a)``, as ``e / (1 + e)^2`` with ``e = e^-|z|``: no cancellation near ``a = 1``."""
    e = exp(-abs(z))
    u = 1.0 + e
    return e / (u * u)


def softmax_and_loss(z: list[float], y: list[float]) -> tuple[list[float], float]:
    """Return ``(softmax(z), logsumexp(z) - sum_k y_k z_k)`` for one example's K logits and labels."""
    top = max(range(len(z)), key=z.__getitem__)  # the first largest
    zmax = z[top]
    e = [exp(z_k - zmax) for z_k in z]
    e[top] = 1.0
    rest = sum(e_k for k, e_k in enumerate(e) if k != top)
    scale = 1.0 / (1.0 + rest)
    loss = sum(y_k * (zmax - z_k) for y_k, z_k in zip(y, z)) + sum(y) * log1p(rest)
    return [e_k * scale for e_k in e], loss
