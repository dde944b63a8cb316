"""``fastlr.LogisticRegression`` on Dask arrays: classes, class weights and lazy predictions.

X is ``(n_samples, n_features)`` chunked along the samples only; ``fit``
trains on ``X.T`` (each chunk a view) through ``fastlr.train``, which
persists it on the cluster (``fastlr._dask.objective``). The labels are
mapped to 0/1 (or, for K > 2, to class indices) and the class weights applied lazily, chunk by chunk; the
classes themselves come from one ``dask.compute`` of ``unique``. The
prediction methods return Dask arrays, chunked as X's samples.

The in-memory checks of scikit-learn (at least two classes, weights
non-negative and not all zero) hold here too, with the same messages. More
than two classes become class indices (``searchsorted`` in ``classes_``,
chunk by chunk) for the multinomial fit.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.utils.multiclass import check_classification_targets

from .input import check_dense_chunks, import_dask, is_dask_array

__all__ = ["check_classes", "dask_fit_input", "is_dask_array", "lazy_take"]


def check_classes(classes: np.ndarray) -> None:
    """Raise unless the target has at least two classes."""
    if classes.size < 2:
        raise ValueError(
            f"fastlr.LogisticRegression needs samples of 2 classes; the data contains "
            f"only one class: {classes[0]!r}"
        )


def _on_samples(name: str, value: Any, chunks: tuple[int, ...], da: Any) -> Any:
    """A NumPy vector cut into X's sample chunks; a Dask one checked to be chunked so."""
    if not is_dask_array(value):
        value = np.asarray(value)
        if value.ndim != 1 or value.shape[0] != sum(chunks):
            raise ValueError(f"{name} must have shape ({sum(chunks)},), one value per sample of X; "
                             f"got shape {value.shape}")
        return da.from_array(value, chunks=(chunks,))
    if value.ndim != 1 or value.chunks[0] != chunks:
        raise ValueError(
            f"{name} must be 1-D and chunked as X's samples {chunks}; got shape {value.shape} with "
            f"chunks {value.chunks}: rechunk it with {name}.rechunk(X.chunks[0])"
        )
    return value


def dask_fit_input(X: Any, y: Any, sample_weight: Any, class_weight: Any):
    """``(X.T, y as 0/1, weights or None, classes)`` of Dask input to ``fit``."""
    dask, da = import_dask()
    check_dense_chunks(X)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_features); got a {X.ndim}-D array of shape {X.shape}")
    if len(X.chunks[1]) != 1:
        raise ValueError(
            f"X is chunked along its features (axis 1 has chunks {X.chunks[1]}); each chunk must "
            "hold whole samples (rows of X): rechunk it with X.rechunk({1: -1}), keeping the "
            "chunks along the samples"
        )
    chunks = X.chunks[0]
    y = _on_samples("y", y, chunks, da)
    classes, counts = dask.compute(*da.unique(y, return_counts=True), optimize_graph=False)
    check_classification_targets(classes)
    check_classes(classes)
    if classes.size > 2:
        return _multiclass_fit_input(X, y, sample_weight, class_weight, classes, counts)
    dtype = np.float32 if X.dtype == np.float32 else np.float64
    positive = y == classes[1]
    weights = None
    if sample_weight is not None:
        weights = _on_samples("sample_weight", sample_weight, chunks, da).astype(np.float64)
    if class_weight is not None:
        if class_weight == "balanced":
            if weights is not None:  # scikit-learn 1.9: the sample-weighted class totals
                counts = np.array(dask.compute(weights[~positive].sum(), weights[positive].sum(),
                                               optimize_graph=False))
            per_class = counts.sum() / (classes.size * counts)
        else:
            per_class = np.array([class_weight.get(label, 1.0) for label in classes.tolist()])
        sample_class_weight = da.where(positive, per_class[1], per_class[0])
        weights = sample_class_weight if weights is None else weights * sample_class_weight
    return X.T, positive.astype(dtype), weights, classes


def _multiclass_fit_input(X: Any, y: Any, sample_weight: Any, class_weight: Any,
                          classes: np.ndarray, counts: np.ndarray):
    """``(X.T, class indices, weights or None, classes)`` of Dask input with K > 2 classes."""
    dask, da = import_dask()
    index = y.map_blocks(lambda block: np.searchsorted(classes, block), dtype=np.int64)
    weights = None
    if sample_weight is not None:
        weights = _on_samples("sample_weight", sample_weight, X.chunks[0], da).astype(np.float64)
    if class_weight is not None:
        if class_weight == "balanced":
            if weights is not None:  # scikit-learn 1.9: the sample-weighted class totals
                counts = dask.compute(da.bincount(index, weights=weights, minlength=classes.size),
                                      optimize_graph=False)[0]
            per_class = counts.sum() / (classes.size * counts)
        else:
            per_class = np.array([class_weight.get(label, 1.0) for label in classes.tolist()])
        sample_class_weight = lazy_take(per_class, index)
        weights = sample_class_weight if weights is None else weights * sample_class_weight
    return X.T, index, weights, classes


def lazy_take(values: np.ndarray, index: Any) -> Any:
    """``values[index]`` chunk by chunk, for a Dask ``index`` of integers."""
    return index.map_blocks(lambda block: values[block], dtype=values.dtype)
