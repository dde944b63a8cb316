"""The compiled ops' arguments, checked in O(1) before a compiled loop indexes them.

Kernels do not validate values (``fastlr._validation`` does, once, before any
op runs), but the compiled loops of ``numba`` and ``numba-parallel`` index
their arrays by feature and by example without bounds checks: an op called
past the validation layer with an array of the wrong length would read or
write outside it (a crash, or worse, a wrong answer). So every compiled op
passes its arguments through one of these functions first, which compare
shapes only (never values) and raise ``ValueError`` naming the argument:

- :func:`binary_arguments`: ``w (n_x,)``, ``y (m,)``, the weights;
- :func:`multinomial_arguments`: ``W (K, n_x)``, ``b (K,)``, the labels
  (``labels (m,)`` or ``Y (K, m)``, exactly one of them), the weights;
- :func:`product_arguments`: the Gram product's ``c (m,)`` and ``v (n_x + 1,)``;
- :func:`multinomial_product_arguments`: the multinomial product's ``V (K,
  n_x)``, ``v_b (K,)``, ``A (K, m)`` and ``c (m,)``.

Each returns what the loops take: the weights as an array (empty for none,
see ``kernels._loops.weigh``) and, for the multinomial op, both label arrays
(the unused one empty).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["binary_arguments", "multinomial_arguments", "multinomial_product_arguments",
           "product_arguments", "weights"]


def _check(name: str, array: Any, shape: tuple[int, ...], what: str) -> None:
    if np.shape(array) != shape:
        raise ValueError(f"{name} has shape {np.shape(array)}; expected {shape} for {what}")


def weights(sample_weight: Any, X: Any) -> np.ndarray:
    """The compiled loops' ``s``: ``sample_weight`` (checked: ``(m,)``), or for ``None`` an empty
    array of X's dtype."""
    if sample_weight is None:
        return np.empty(0, dtype=X.dtype)
    _check("sample_weight", sample_weight, (X.shape[1],), "X's examples")
    return sample_weight


def binary_arguments(w: Any, X: Any, y: Any, sample_weight: Any) -> np.ndarray:
    """Check the binary op's ``w`` and ``y`` against X's shape; return the loops' weights."""
    n_x, m = X.shape
    _check("w", w, (n_x,), "X's features")
    _check("y", y, (m,), "X's examples")
    return weights(sample_weight, X)


def multinomial_arguments(W: Any, b: Any, X: Any, labels: Any, Y: Any,
                          sample_weight: Any) -> tuple[Any, Any, np.ndarray]:
    """Check the multinomial op's arguments; return ``(labels, Y, s)`` as the loops take them.

    The loops choose between the two label arrays by the empty one's size
    and index the other by example: a call giving both, neither, or one of
    the wrong length raises instead.
    """
    n_x, m = X.shape
    if np.ndim(W) != 2 or W.shape[1] != n_x:
        raise ValueError(f"W has shape {np.shape(W)}; expected (K, {n_x}) for X's features")
    n_classes = W.shape[0]
    _check("b", b, (n_classes,), "W's classes")
    if (labels is None) == (Y is None):
        raise ValueError("give the labels either as `labels` or as `Y`, the other None")
    if Y is None:
        if np.shape(labels) != (m,):
            raise ValueError(f"labels has shape {np.shape(labels)}; X has {m} examples")
        labels, Y = labels, np.empty((0, 0), dtype=X.dtype)
    else:
        _check("Y", Y, (n_classes, m), "W's classes and X's examples")
        labels = np.empty(0, dtype=np.int64)
    return labels, Y, weights(sample_weight, X)


def product_arguments(X: Any, c: Any, v: Any) -> None:
    """Check the Gram product's weights ``c`` and vector ``v`` against X's shape."""
    n_x, m = X.shape
    _check("c", c, (m,), "X's examples")
    _check("v", v, (n_x + 1,), "X's features and the intercept")


def multinomial_product_arguments(V: Any, v_b: Any, X: Any, A: Any, c: Any) -> np.ndarray:
    """Check the multinomial product's arguments against X's shape; return ``A`` C-contiguous
    (the loops read it along the examples: an F-ordered ``A``, which a softmax of ``(X.T @
    W.T).T`` is, made the product 2.3x slower)."""
    n_x, m = X.shape
    if np.ndim(V) != 2 or V.shape[1] != n_x:
        raise ValueError(f"V has shape {np.shape(V)}; expected (K, {n_x}) for X's features")
    n_classes = V.shape[0]
    _check("v_b", v_b, (n_classes,), "V's classes")
    _check("A", A, (n_classes, m), "V's classes and X's examples")
    _check("c", c, (m,), "X's examples")
    return np.ascontiguousarray(A)
