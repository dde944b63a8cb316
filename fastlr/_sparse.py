"""Sparse X: what a scipy.sparse matrix or array becomes before a kernel sees it.

In fastlr's ``(n_x, m)`` convention (one example per column) a CSC matrix
stores each example's non-zeros together, and the estimator's CSR
``(n_samples, n_features)`` is exactly that after ``.T``, a view. The
kernels take CSC and CSR ``(n_x, m)`` as they are (their sparse ops state
how each is walked); every other format (COO, DOK, LIL, BSR, DIA) is
converted to CSC once, a copy of its stored entries, never a dense array.

After :func:`as_sparse_matrix`:

- ``X.format`` is ``"csc"`` or ``"csr"``, 2-D, ``n_x, m >= 1``;
- ``X.dtype`` is float32 or float64 (integer and bool values become
  float64, a copy of the values only); the index arrays are int32 or int64
  as scipy made them;
- the entries are what they were: unsorted indices, duplicates (which add
  up) and explicit zeros (which add nothing) give scipy's own arithmetic.

Finiteness of the stored values is judged from the kernel's output, as for
dense X (``fastlr._validation``). scipy is imported only for sparse input.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["KERNEL_FORMATS", "as_sparse_matrix", "is_sparse", "stored_values"]

#: The formats the kernels walk as they are; others are converted to the first.
KERNEL_FORMATS = ("csc", "csr")


def is_sparse(X: Any) -> bool:
    """Whether ``X`` is a scipy.sparse matrix or array (without importing scipy)."""
    return type(X).__module__.startswith("scipy.sparse")


def stored_values(X: Any) -> Any:
    """The values a NaN or inf would be in: a sparse X's stored entries, or X itself."""
    return X.data if is_sparse(X) else X


def as_sparse_matrix(X: Any, name: str = "X") -> Any:
    """A scipy.sparse ``X`` as CSC or CSR ``(n_x, m)``, float32 or float64, never densified.

    Raises
    ------
    TypeError
        For values that are not real numbers (complex, object).
    ValueError
        For a sparse array that is not 2-D, or no feature or no example.
    """
    from ._validation import check_not_empty, check_real, check_two_dimensional, compute_dtype

    check_two_dimensional(name, X)
    check_real(name, X)
    check_not_empty(name, X)
    if X.format not in KERNEL_FORMATS:
        X = X.tocsc()
    dtype = compute_dtype(name, X)
    if X.dtype != dtype:
        X = X.astype(dtype)
    return X
