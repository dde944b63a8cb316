"""Dask input: recognise a Dask array without importing Dask, and validate its chunking.

``fastlr.gradient``, ``fastlr.train`` and ``fastlr.LogisticRegression`` take
a ``dask.array.Array`` X wherever they take a NumPy one. The rules are those
of in-memory input (``fastlr._validation``: shapes, dtypes, labels in [0, 1],
weights) plus the chunking that keeps every kernel call local to one chunk:

- X ``(n_x, m)`` is chunked along the examples only: one chunk spans all
  ``n_x`` features (``len(X.chunks[0]) == 1``), so each chunk is a set of
  whole examples, and every chunk size is known (no NaN chunks).
- X's chunks are dense: a Dask array of scipy.sparse chunks is refused with a
  ``TypeError`` that says how to pass it (the whole scipy.sparse matrix,
  which fastlr takes in memory without densifying, or dense chunks).
- Y ``(m,)`` or ``(1, m)`` and ``sample_weight`` ``(m,)`` are either NumPy
  (then cut into X's chunks) or Dask arrays chunked exactly as X along the
  examples.

Each rule broken is a ``ValueError`` that names the argument, shows the
chunks, and says how to rechunk. The label and weight checks are a few
reductions computed on the cluster: in the same ``dask.compute`` as the
gradient for ``fastlr.gradient`` (one round trip per call), once after the
persist for ``fastlr.train``. X itself is never scanned (a NaN in X shows
in the gradient, as for in-memory input).

Every graph fastlr sends (persist, compute) is sent unoptimised
(``optimize_graph=False``). Dask's optimisation fuses tasks and turns the
fused-away keys into aliases; a key then met once as an alias and once as
its own task (a persisted y, and the same lazy y in a later call) makes
the distributed scheduler warn of a different ``run_spec`` for that key
(dask/dask#9888). Unoptimised, every call names the same tasks.

Nothing here imports Dask until a Dask array is seen; without Dask
installed, fastlr is unchanged.
"""

from __future__ import annotations

import math
import sys
from typing import Any, NamedTuple

import numpy as np

from .._validation import (
    check_class_range,
    check_integer_labels,
    check_label_range,
    check_not_empty,
    check_real,
    check_two_dimensional,
    check_weight_summary,
    compute_dtype,
    multinomial_coefficients,
    real_scalar,
    validate_coefficients,
)

__all__ = ["DaskMultinomialProblem", "DaskProblem", "check_class_summaries", "check_dense_chunks",
           "check_summaries",
           "import_dask", "is_dask_array", "validate_dask_multinomial", "validate_dask_problem"]

INSTALL_HINT = "install it with `pip install 'fastlr-kernels[dask]'` (dask[array] and distributed)"


def is_dask_array(value: Any) -> bool:
    """Whether ``value`` is a ``dask.array.Array``; never imports Dask."""
    dask_array = sys.modules.get("dask.array")
    return dask_array is not None and isinstance(value, getattr(dask_array, "Array", ()))


def import_dask():
    """``(dask, dask.array)``, or an ImportError that says what to install."""
    try:
        import dask
        import dask.array as da
    except ImportError as exc:
        raise ImportError(f"fastlr's Dask support needs dask[array]; {INSTALL_HINT}") from exc
    return dask, da


class DaskProblem(NamedTuple):
    """Validated Dask input: X, y and sample_weight chunked alike along the examples.

    The label and weight checks are left to be computed (:meth:`summaries`),
    so that a caller can fold them into a computation it makes anyway, and
    checked by :func:`check_summaries`.
    """

    X: Any  # dask array (n_x, m), float32 or float64, one chunk along axis 0
    y: Any  # dask array (m,), X's dtype
    sample_weight: Any  # dask array (m,) in X's dtype, or None
    w: np.ndarray  # (n_x,), X's dtype
    b: float
    alpha: float
    w_shape: tuple[int, ...]
    check_finite: bool

    def summaries(self) -> list[Any]:
        """The lazy reductions :func:`check_summaries` needs, to compute in one go."""
        return [self.y.min(), self.y.max(), *_weight_summaries(self.sample_weight)]


def _weight_summaries(s: Any) -> list[Any]:
    if s is None:
        return []
    import dask.array as da

    return [da.isfinite(s).all(), s.min(), (s != 0).any(), s.sum(dtype=np.float64)]


def _check_weights(s: Any, m: int, values: Any) -> float:
    """Raise for bad weights, from their computed summaries; return ``sum(s)`` (or m)."""
    if s is None:
        return float(m)
    check_weight_summary(bool(values[0]), float(values[1]), bool(values[2]))
    return float(values[3])


def check_summaries(problem: DaskProblem, values: Any) -> float:
    """Raise for bad labels or weights, from the computed :meth:`DaskProblem.summaries`; return ``sum(s)`` (or m)."""
    check_label_range(float(values[0]), float(values[1]), problem.check_finite)
    return _check_weights(problem.sample_weight, problem.y.shape[0], values[2:])


class DaskMultinomialProblem(NamedTuple):
    """Validated Dask input of the multinomial problem: class labels and weights chunked as X's examples.

    ``y`` holds the labels as int64 for the kernels; ``raw`` as given, for
    the checks (:meth:`summaries`): integer-valued, in ``[0, K)``. A chunk
    task never indexes with a label out of range (``fastlr._dask.objective``
    returns NaN for such a chunk), so the checks may run with the gradient.
    """

    X: Any
    y: Any  # dask int64 (m,)
    raw: Any  # the labels as given (dask (m,))
    sample_weight: Any
    W: np.ndarray  # (K, n_x), X's dtype
    b: np.ndarray  # (K,), float64
    alpha: float
    check_finite: bool

    @property
    def n_classes(self) -> int:
        return self.W.shape[0]

    def summaries(self) -> list[Any]:
        """The lazy reductions :func:`check_class_summaries` needs."""
        import dask.array as da

        raw = self.raw
        integers = (raw == da.round(raw)).all() if raw.dtype.kind == "f" else True
        finite = da.isfinite(raw).all() if raw.dtype.kind == "f" else True
        return [raw.min(), raw.max(), integers, finite, *_weight_summaries(self.sample_weight)]


def check_class_summaries(problem: DaskMultinomialProblem, values: Any) -> float:
    """Raise for bad labels or weights, from :meth:`DaskMultinomialProblem.summaries`; return ``sum(s)`` (or m)."""
    n_classes, m = problem.n_classes, problem.y.shape[0]
    if not bool(values[3]):
        raise ValueError(f"Y contains NaN or infinity; class labels must be integers in [0, {n_classes})")
    check_integer_labels(bool(values[2]), n_classes, m)
    check_class_range(values[0], values[1], n_classes)
    return _check_weights(problem.sample_weight, m, values[4:])


def validate_dask_multinomial(W: Any, b: Any, X: Any, Y: Any, *, alpha: Any = 0.0,
                              sample_weight: Any = None, check_finite: bool = True,
                              persist: bool = False) -> DaskMultinomialProblem:
    """Validate Dask input of the multinomial problem, all but its :meth:`~DaskMultinomialProblem.summaries`.

    ``Y`` must be ``(m,)`` class labels (NumPy, or Dask chunked as X's
    examples); ``(K, m)`` probabilities are taken in memory only.
    """
    _, da = import_dask()
    check_real("X", X)
    dtype = compute_dtype("X", X)
    chunks = _examples_chunking(X)
    alpha = real_scalar("alpha", alpha, low=0.0)
    W, b = multinomial_coefficients(W, b, X.shape, dtype, check_finite)
    if X.dtype != dtype:
        X = X.astype(dtype)
    m = sum(chunks)
    if len(getattr(Y, "shape", np.shape(Y))) == 2 and tuple(np.shape(Y)) != (1, m):
        raise ValueError(
            f"Y of shape {tuple(np.shape(Y))}: on Dask arrays the multinomial problem takes class "
            f"labels of shape (m,) = ({m},); pass probabilities (K, m) with X in memory"
        )
    raw = _along_examples("Y", Y, chunks, None, da)
    X, labels, s = _with_weights(X, raw.astype(np.int64), sample_weight, chunks, dtype, persist)
    return DaskMultinomialProblem(X=X, y=labels, raw=raw, sample_weight=s, W=W, b=b, alpha=alpha,
                                  check_finite=check_finite)


def _with_weights(X: Any, y: Any, sample_weight: Any, chunks: tuple[int, ...], dtype: np.dtype,
                  persist: bool) -> tuple[Any, Any, Any]:
    """``(X, y, weights or None)``, the weights chunked as X's examples, all persisted if asked."""
    dask, da = import_dask()
    s = None if sample_weight is None else _along_examples("sample_weight", sample_weight, chunks,
                                                             dtype, da)
    if persist:
        X, y, s = dask.persist(X, y, s, optimize_graph=False)
    return X, y, s


def check_dense_chunks(X: Any) -> None:
    """Refuse a Dask array whose chunks are sparse matrices, saying how to pass it instead."""
    meta = getattr(X, "_meta", None)
    module = type(meta).__module__
    if module.startswith("scipy.sparse") or module.split(".")[0] == "sparse":
        raise TypeError(
            f"X is a Dask array of sparse chunks ({type(meta).__module__}.{type(meta).__name__}); "
            "fastlr's Dask support takes dense chunks only. Pass the matrix itself, "
            "X.compute() as one scipy.sparse matrix (taken without densifying), or densify "
            "each chunk with X.map_blocks(lambda block: block.toarray()) if the chunks fit "
            "in memory dense")


def _examples_chunking(X: Any) -> tuple[int, ...]:
    """X's chunk sizes along the examples, after checking its dimensions and chunking."""
    check_dense_chunks(X)
    check_two_dimensional("X", X)
    if any(math.isnan(size) for sizes in X.chunks for size in sizes):
        raise ValueError(
            f"X has unknown chunk sizes {X.chunks} (as after boolean indexing); "
            "call X.compute_chunk_sizes() first"
        )
    check_not_empty("X", X)
    if len(X.chunks[0]) != 1:
        raise ValueError(
            f"X is chunked along its features (axis 0 has chunks {X.chunks[0]}); each chunk must "
            "hold whole examples (columns of X): rechunk it with X.rechunk({0: -1}), "
            "keeping the chunks along the examples"
        )
    return X.chunks[1]


def _along_examples(name: str, value: Any, chunks: tuple[int, ...], dtype: np.dtype | None,
                    da: Any) -> Any:
    """``Y`` or ``sample_weight`` as a flat Dask array in ``dtype`` (``None``: as given), chunked as X's examples."""
    m = sum(chunks)
    shapes = ((m,), (1, m))
    if not is_dask_array(value):
        value = np.asarray(value)
    if value.shape not in shapes:
        allowed = " or ".join(str(shape) for shape in shapes)
        raise ValueError(f"{name} must have shape {allowed} to match X's m={m} examples; "
                         f"got shape {value.shape}")
    check_real(name, value)
    if is_dask_array(value):
        flat = value[0] if value.ndim == 2 else value
        if flat.chunks[0] != chunks:
            raise ValueError(
                f"{name} is chunked as {flat.chunks[0]} but X's examples as {chunks}; chunk them "
                f"alike, for example with {name}.rechunk(X.chunks[1])"
            )
    else:
        flat = da.from_array(value.reshape(m), chunks=(chunks,))
    return flat.astype(dtype) if dtype is not None and flat.dtype != dtype else flat


def validate_dask_problem(w: Any, b: Any, X: Any, Y: Any, *, alpha: Any = 0.0,
                          sample_weight: Any = None, check_finite: bool = True,
                          persist: bool = False) -> DaskProblem:
    """Validate Dask input (see the module docstring), all but its :meth:`~DaskProblem.summaries`.

    With ``persist``, X, y and the weights are persisted on the cluster
    (``dask.persist``), to be read by every later computation.
    """
    _, da = import_dask()
    check_real("X", X)
    dtype = compute_dtype("X", X)
    chunks = _examples_chunking(X)
    alpha = real_scalar("alpha", alpha, low=0.0)
    w_flat, b, w_shape = validate_coefficients(w, b, X.shape, dtype, check_finite)
    if X.dtype != dtype:
        X = X.astype(dtype)
    X, y, s = _with_weights(X, _along_examples("Y", Y, chunks, dtype, da), sample_weight, chunks,
                            dtype, persist)
    return DaskProblem(X=X, y=y, sample_weight=s, w=w_flat, b=b, alpha=alpha, w_shape=w_shape,
                       check_finite=check_finite)
