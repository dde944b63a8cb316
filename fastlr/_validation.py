"""The one validation layer: every public entry point normalises its input here.

After :func:`validate_problem` a kernel receives clean arrays and never checks
again (see ``fastlr.kernels``):

- ``X``: ``(n_x, m)`` with ``n_x, m >= 1``, float32 or float64, the caller's
  array itself whenever it already has such a dtype (any layout, no copy);
  integer and bool become float64; any other dtype is a ``TypeError``.
  A scipy.sparse X stays sparse: CSC or CSR (``fastlr._sparse``).
- ``w`` ``(n_x,)`` or ``(n_x, 1)`` and ``Y`` ``(m,)`` or ``(1, m)`` become
  flat arrays in X's dtype; ``b`` and ``alpha`` become Python floats.
- ``Y`` lies in [0, 1]; ``sample_weight`` is non-negative, finite, not all
  zero; ``alpha >= 0``.

Finiteness (``check_finite=True``): ``w``, ``b`` and ``Y`` are small and are
checked directly. ``X`` is not scanned, since a pass over X costs as much as
a fast gradient: a NaN or inf in X always reaches ``dw`` (``nan * 0`` and
``inf * 0`` are NaN), so :func:`check_result_finite` inspects the kernel's
output and only then looks at X to name it.

Every error names the argument, says what was wrong, echoing the value or
shape, and what is allowed.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Callable, NamedTuple, NoReturn

import numpy as np

from ._sparse import as_sparse_matrix, is_sparse, stored_values

__all__ = [
    "Problem",
    "all_finite",
    "as_matrix",
    "check_label_range",
    "check_not_empty",
    "check_real",
    "check_result_finite",
    "check_two_dimensional",
    "check_weight_summary",
    "compute_dtype",
    "is_finite_result",
    "raise_for_non_finite",
    "real_scalar",
    "validate_coefficients",
    "check_class_range",
    "check_integer_labels",
    "multinomial_coefficients",
    "multinomial_start",
    "validate_multinomial",
    "validate_problem",
]

_FLOAT_DTYPES = (np.dtype(np.float64), np.dtype(np.float32))
_ALLOWED_DTYPES = "float32 or float64 (integer and bool input becomes float64)"


class MultinomialProblem(NamedTuple):
    """Validated input of one multinomial (K-class) evaluation or training run."""

    W: np.ndarray  # (K, n_x), X's dtype, C order
    b: np.ndarray  # (K,), float64
    X: np.ndarray  # (n_x, m), float32 or float64
    labels: np.ndarray | None  # (m,) int64 in [0, K), or None with Y
    Y: np.ndarray | None  # (K, m) probabilities in X's dtype, or None with labels
    sample_weight: np.ndarray | None  # (m,), X's dtype
    alpha: float

    @property
    def n_classes(self) -> int:
        return self.W.shape[0]


class Problem(NamedTuple):
    """Validated input of one gradient evaluation or one training run."""

    w: np.ndarray  # (n_x,), X's dtype
    b: float
    X: np.ndarray  # (n_x, m), float32 or float64
    y: np.ndarray  # (m,), X's dtype
    sample_weight: np.ndarray | None  # (m,), X's dtype
    alpha: float
    w_shape: tuple[int, ...]  # the shape w came in, for returning dw


def compute_dtype(name: str, array: np.ndarray) -> np.dtype:
    """The float dtype an argument is computed in, or a TypeError.

    float32 and float64 in the other byte order (big-endian data from a
    file) are computed in the native one: a copy, once.
    """
    dtype = array.dtype
    if dtype in _FLOAT_DTYPES:
        return dtype
    if dtype.kind in "biu":
        return np.dtype(np.float64)
    native = dtype.newbyteorder("=")
    if native in _FLOAT_DTYPES:
        return native
    raise TypeError(f"{name} has dtype {dtype}; fastlr accepts {_ALLOWED_DTYPES}")


def check_real(name: str, array: Any) -> None:
    """Refuse complex, object, string and other non-real dtypes."""
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} has dtype {array.dtype}; fastlr accepts {_ALLOWED_DTYPES}")


def as_matrix(X: Any, name: str = "X") -> Any:
    """``X`` as a non-empty 2-D float32/float64 array, without copying when possible.

    A scipy.sparse X becomes CSC or CSR ``(n_x, m)`` (``fastlr._sparse``).
    """
    if is_sparse(X):
        return as_sparse_matrix(X, name)
    X = np.asarray(X)
    check_real(name, X)
    check_two_dimensional(name, X)
    check_not_empty(name, X)
    dtype = compute_dtype(name, X)
    return X if X.dtype == dtype else X.astype(dtype)


def check_two_dimensional(name: str, X: Any) -> None:
    """Raise unless X (any array with ``ndim`` and ``shape``) is 2-D."""
    if X.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D with shape (n_x, m), one example per column; "
            f"got a {X.ndim}-D array of shape {X.shape}"
        )


def check_not_empty(name: str, X: Any) -> None:
    """Raise unless the 2-D X has at least one feature and one example."""
    if 0 in X.shape:
        raise ValueError(
            f"{name} must have at least one feature and one example; got shape {X.shape} "
            f"(n_x={X.shape[0]}, m={X.shape[1]})"
        )


def real_scalar(name: str, value: Any, *, low: float = -math.inf, low_inclusive: bool = True) -> float:
    """A finite real number above a bound, as a Python float."""
    if type(value) is float and value - value == 0.0 and (value >= low if low_inclusive else value > low):
        return value  # the common case, in a fraction of the general path's time
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {type(value).__name__} {value!r}")
    number = float(value)
    bad_side = number < low if low_inclusive else number <= low
    if not math.isfinite(number) or bad_side:
        bound = f">= {low:g}" if low_inclusive else f"> {low:g}"
        raise ValueError(f"{name} must be a finite number {bound}; got {value!r}")
    return number


def _bias(b: Any, check_finite: bool) -> float:
    if type(b) is not float:
        array = np.asarray(b)
        if array.size != 1:
            raise ValueError(f"b must be a scalar (one number); got an array of shape {array.shape}")
        check_real("b", array)
        b = float(array.reshape(()))
    if check_finite and not math.isfinite(b):
        raise ValueError(f"b must be finite; got {b!r}")
    return b


def _vector(name: str, value: Any, length: int, shapes: tuple[tuple[int, ...], ...],
            what: Callable[[], str]) -> np.ndarray:
    """``value`` as a flat array of ``length``; ``what`` says what it must match (for the error)."""
    array = np.asarray(value)
    if array.shape not in shapes:
        allowed = " or ".join(str(shape) for shape in shapes)
        raise ValueError(f"{name} must have shape {allowed} to match {what()}; got shape {array.shape}")
    check_real(name, array)
    return array.reshape(length)


def _labels(Y: Any, X: np.ndarray, check_finite: bool) -> np.ndarray:
    m = X.shape[1]
    y = _vector("Y", Y, m, ((m,), (1, m)), lambda: f"X of shape {X.shape} (m={m})")
    y = y.astype(X.dtype, copy=False)
    check_label_range(float(y.min()), float(y.max()), check_finite)
    return y


def check_label_range(low: float, high: float, check_finite: bool) -> None:
    """Raise unless the labels, whose smallest and largest are given, lie in [0, 1]."""
    if check_finite and not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError("Y contains NaN or infinity; labels must be finite numbers in [0, 1]")
    if low < 0.0 or high > 1.0:
        raise ValueError(
            f"Y must hold labels in [0, 1]; got values from {low:g} to {high:g}. "
            "Hint: labels must be 0/1 (or probabilities); map your two classes to 0 and 1, "
            "or use fastlr.LogisticRegression, which maps any two class labels"
        )


def _weights(sample_weight: Any, X: np.ndarray) -> np.ndarray | None:
    if sample_weight is None:
        return None
    m = X.shape[1]
    s = _vector("sample_weight", sample_weight, m, ((m,), (1, m)),
                lambda: f"X of shape {X.shape} (one weight per example, m={m})")
    check_weight_summary(bool(np.isfinite(s).all()), float(s.min()), bool(s.any()))
    return s.astype(X.dtype, copy=False)


def check_weight_summary(finite: bool, low: float, any_nonzero: bool) -> None:
    """Raise unless the weights (all finite?, smallest, any non-zero?) are valid."""
    if not finite:
        raise ValueError("sample_weight contains NaN or infinity; weights must be finite and >= 0")
    if low < 0:
        raise ValueError(f"sample_weight must be non-negative; got a weight of {low:g}")
    if not any_nonzero:
        raise ValueError("sample_weight must not be all zero; at least one example needs a positive weight")


def validate_problem(w: Any, b: Any, X: Any, Y: Any, *, alpha: Any = 0.0,
                     sample_weight: Any = None, check_finite: bool = True) -> Problem:
    """Validate and normalise the arguments of ``fastlr.gradient`` / ``fastlr.train``.

    Raises
    ------
    TypeError
        For object, string, complex (or other non-real, non-integer) dtypes,
        or a non-numeric ``alpha``.
    ValueError
        For wrong shapes, empty ``X``, labels outside [0, 1], bad
        ``sample_weight``, negative ``alpha``, and NaN or inf in ``w``, ``b``
        or ``Y`` (when ``check_finite``).
    """
    X = as_matrix(X)
    w_flat, b, w_shape = validate_coefficients(w, b, X.shape, X.dtype, check_finite)
    return Problem(
        w=w_flat,
        b=b,
        X=X,
        y=_labels(Y, X, check_finite),
        sample_weight=_weights(sample_weight, X),
        alpha=real_scalar("alpha", alpha, low=0.0),
        w_shape=w_shape,
    )


def validate_coefficients(w: Any, b: Any, shape: tuple[int, int], dtype: np.dtype,
                          check_finite: bool) -> tuple[np.ndarray, float, tuple[int, ...]]:
    """``(w flat in dtype, b as a float, the shape w came in)`` for X of ``shape``."""
    n_x = shape[0]
    w_array = np.asarray(w)
    w_flat = _vector("w", w_array, n_x, ((n_x,), (n_x, 1)), lambda: f"X of shape {shape} (n_x={n_x})")
    w_flat = w_flat.astype(dtype, copy=False)
    if check_finite and not all_finite(w_flat):
        raise ValueError("w contains NaN or infinity")
    return w_flat, _bias(b, check_finite), w_array.shape


def all_finite(vector: np.ndarray) -> bool:
    """Whether every element is finite."""
    return bool(np.isfinite(vector).all())


def is_finite_result(dw: np.ndarray, db: float | np.ndarray, cost: float) -> bool:
    """Whether a kernel's output (``db`` a float, or K of them) is finite everywhere."""
    db_finite = math.isfinite(db) if isinstance(db, float) else all_finite(db)
    return math.isfinite(cost) and db_finite and all_finite(dw)


def raise_for_non_finite(X: Any) -> NoReturn:
    """Explain a non-finite output of finite ``w``, ``b``, ``Y``: NaN/inf in X, or overflow."""
    if not np.isfinite(stored_values(X)).all():
        raise ValueError(
            "X contains NaN or infinity; remove or impute those values "
            "(check_finite=False skips this check and returns non-finite results)"
        )
    raise FloatingPointError(
        "the gradient overflowed although every input is finite; "
        "rescale X (for example, standardise its features) or start from a smaller w"
    )


def check_result_finite(X: np.ndarray, dw: np.ndarray, db: float, cost: float) -> None:
    """Raise if a kernel's output is not finite, naming the cause.

    Called only when ``check_finite`` is on, after ``w``, ``b`` and ``Y`` were
    checked. A non-finite output then comes from NaN or inf in X (which always
    reaches ``dw``), or from overflow of finite but huge values.
    """
    if not is_finite_result(dw, db, cost):
        raise_for_non_finite(X)


def validate_multinomial(W: Any, b: Any, X: Any, Y: Any, *, alpha: Any = 0.0,
                         sample_weight: Any = None, check_finite: bool = True) -> MultinomialProblem:
    """Validate and normalise the arguments of ``fastlr.softmax_gradient`` and multinomial training.

    ``W`` is ``(K, n_x)`` with ``K >= 2``, ``b`` a ``(K,)`` vector (or a
    number, for every class), ``Y`` either ``(m,)`` integer class labels in
    ``[0, K)`` or ``(K, m)`` probabilities whose columns sum to 1.

    Raises
    ------
    TypeError, ValueError
        As :func:`validate_problem`, with the multinomial shapes and labels.
    """
    X = as_matrix(X)
    W_array, b_array = multinomial_coefficients(W, b, X.shape, X.dtype, check_finite)
    labels, soft = _class_labels(Y, X, W_array.shape[0], check_finite)
    return MultinomialProblem(
        W=W_array, b=b_array, X=X, labels=labels, Y=soft,
        sample_weight=_weights(sample_weight, X), alpha=real_scalar("alpha", alpha, low=0.0),
    )


def multinomial_coefficients(W: Any, b: Any, shape: tuple[int, int], dtype: np.dtype,
                             check_finite: bool) -> tuple[np.ndarray, np.ndarray]:
    """``(W (K, n_x) C-ordered in dtype, b (K,) float64)`` for X of ``shape``, or the error naming which."""
    n_x = shape[0]
    W_array = np.asarray(W)
    check_real("W", W_array)
    if W_array.ndim != 2 or W_array.shape[1] != n_x or W_array.shape[0] < 2:
        raise ValueError(
            f"W must have shape (K, n_x) = (K, {n_x}) with K >= 2 classes, to match X of shape "
            f"{shape}; got shape {W_array.shape}"
        )
    n_classes = W_array.shape[0]
    W_array = np.ascontiguousarray(W_array, dtype=dtype)
    if check_finite and not all_finite(W_array):
        raise ValueError("W contains NaN or infinity")
    b_array = np.asarray(b)
    check_real("b", b_array)
    if b_array.ndim == 0:
        b_array = np.full(n_classes, b_array, dtype=np.float64)
    if b_array.shape not in ((n_classes,), (n_classes, 1)):
        raise ValueError(f"b must have shape ({n_classes},), one bias per class of W of shape "
                         f"{W_array.shape}, or be one number; got shape {b_array.shape}")
    b_array = b_array.reshape(n_classes).astype(np.float64)
    if check_finite and not all_finite(b_array):
        raise ValueError("b contains NaN or infinity")
    return W_array, b_array


def multinomial_start(w0: Any, n_classes: int, n_x: int) -> Any:
    """Training's starting ``W``: zeros ``(K, n_x)`` for ``None``, else ``w0`` once it has K rows."""
    if w0 is None:
        return np.zeros((n_classes, n_x))
    if np.shape(w0)[:1] != (n_classes,):
        raise ValueError(f"w0 must have shape (n_classes, n_x) = ({n_classes}, {n_x}); "
                         f"got shape {np.shape(w0)}")
    return w0


def check_integer_labels(integers: bool, n_classes: int, m: int) -> None:
    """Raise unless the ``(m,)`` labels (all integer-valued?) are class indices."""
    if not integers:
        raise ValueError(f"Y of shape (m,) = ({m},) holds class labels, which must be "
                         f"integers in [0, {n_classes}); got non-integer values (pass "
                         f"probabilities as an array of shape (K, m) = ({n_classes}, {m}))")


def check_class_range(low: Any, high: Any, n_classes: int) -> None:
    """Raise unless class labels from ``low`` to ``high`` lie in ``[0, n_classes)``."""
    if low < 0 or high >= n_classes:
        raise ValueError(f"Y must hold class labels in [0, {n_classes}) for W with K = "
                         f"{n_classes} rows; got values from {low:g} to {high:g}")


def _class_labels(Y: Any, X: np.ndarray, n_classes: int,
                  check_finite: bool) -> tuple[np.ndarray | None, np.ndarray | None]:
    """``(labels, None)`` for ``(m,)`` class indices, ``(None, Y)`` for ``(K, m)`` probabilities."""
    m = X.shape[1]
    array = np.asarray(Y)
    check_real("Y", array)
    if array.shape == (m,):
        if array.dtype.kind == "f":
            if not np.isfinite(array).all():
                raise ValueError("Y contains NaN or infinity; class labels must be integers "
                                 f"in [0, {n_classes})")
            check_integer_labels(bool((array == np.round(array)).all()), n_classes, m)
        check_class_range(array.min(), array.max(), n_classes)
        return array.astype(np.int64), None
    if array.shape != (n_classes, m):
        raise ValueError(
            f"Y must have shape (m,) = ({m},) (class labels) or (K, m) = ({n_classes}, {m}) "
            f"(probabilities per class) to match W and X of shape {X.shape}; got shape {array.shape}"
        )
    soft = array.astype(X.dtype, copy=False)
    low, high = float(soft.min()), float(soft.max())
    if check_finite and not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError("Y contains NaN or infinity; probabilities must be finite numbers in [0, 1]")
    if low < 0.0 or high > 1.0:
        raise ValueError(f"Y must hold probabilities in [0, 1]; got values from {low:g} to {high:g}")
    sums = soft.sum(axis=0, dtype=np.float64)
    tolerance = 4 * n_classes * float(np.finfo(X.dtype).eps)
    worst = int(np.abs(sums - 1.0).argmax())
    if abs(sums[worst] - 1.0) > tolerance:
        raise ValueError(f"Y's columns must each sum to 1 (one distribution over the {n_classes} "
                         f"classes per example); column {worst} sums to {sums[worst]:.9g}")
    return None, soft
