"""The JSON file a fitted model is saved in, without scikit-learn.

Written by ``LogisticRegression.save`` and ``fastlr train --output``, read by
``LogisticRegression.load``::

    {"format": "fastlr.LogisticRegression", "version": 1,
     "params": {...estimator parameters...}, "classes": [c0, c1],
     "coef": [...n_features...], "intercept": b, "dtype": "float64",
     "n_iter": N, "loss_curve": [...], "feature_names": [...] (optional)}

``classes[1]`` is the class a positive decision value predicts. A model of
K > 2 classes (multinomial) stores ``coef`` as K lists of ``n_features``
numbers and ``intercept`` as a list of K, one per class in the order of
``classes``. JSON has no
infinity: an infinite parameter (``C=np.inf``, no penalty) is written as
``"inf"`` and :func:`model_params` reads it back.

:func:`check_model` is what a reader may rely on: every key present, two
or more distinct classes, coefficients shaped for them, finite coefficients and intercept stored exactly in the
named dtype (``float32`` or ``float64``), and one feature name per
coefficient. Anything else is a ``ValueError`` that names the key.
"""

from __future__ import annotations

import json
import math
import numbers
import os
from typing import Any

import numpy as np

FORMAT = "fastlr.LogisticRegression"
VERSION = 1

__all__ = ["FORMAT", "VERSION", "check_model", "model_dict", "model_params", "read_model", "write_model"]


#: How an infinite parameter (``C=np.inf``: no penalty) is written: JSON has no infinity.
_INFINITY = "inf"


def model_dict(*, params: dict, classes: list, coef: list, intercept: float | list, dtype: str,
               n_iter: int, loss_curve: list, feature_names: list | None = None) -> dict[str, Any]:
    """The model as JSON-ready data (an infinite parameter written as ``"inf"``)."""
    data: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "params": {key: _INFINITY if _real(value) and value == math.inf else value
                   for key, value in params.items()},
        "classes": classes,
        "coef": coef,
        "intercept": intercept,
        "dtype": dtype,
        "n_iter": n_iter,
        "loss_curve": loss_curve,
    }
    if feature_names is not None:
        data["feature_names"] = feature_names
    return data


def model_params(data: dict) -> dict[str, Any]:
    """The estimator parameters of checked model data, ``"inf"`` read back as ``math.inf``."""
    return {key: math.inf if value == _INFINITY else value for key, value in data["params"].items()}


def write_model(data: dict, path: str | os.PathLike) -> None:
    with open(path, "w", encoding="utf-8") as file:
        json.dump(data, file, indent=1)
        file.write("\n")


_KEYS = ("params", "classes", "coef", "intercept", "dtype", "n_iter", "loss_curve")
_DTYPES = ("float32", "float64")


def _real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _finite_numbers(name: str, values: Any, dtype: np.dtype) -> None:
    if not isinstance(values, list) or not all(_real(v) for v in values):
        raise ValueError(f"{name!r} must be a list of numbers; got {values!r:.80}")
    for value in values:
        if not math.isfinite(value):
            raise ValueError(f"{name!r} must hold finite numbers; got {value!r}")
        if float(dtype.type(value)) != float(value):
            raise ValueError(f"{name!r} holds {value!r}, which {dtype.name} cannot store exactly; "
                             "the file was not written for this dtype")


def check_model(data: Any) -> None:
    """Raise ``ValueError`` naming the first key of ``data`` that is missing or wrong."""
    if not isinstance(data, dict):
        raise ValueError(f"a model is a JSON object; got {type(data).__name__}")
    missing = [key for key in _KEYS if key not in data]
    if missing:
        raise ValueError(f"missing key{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))}")
    if not isinstance(data["params"], dict):
        raise ValueError(f"'params' must be an object; got {data['params']!r:.80}")
    if data["dtype"] not in _DTYPES:
        raise ValueError(f"'dtype' must be one of {', '.join(map(repr, _DTYPES))}; got {data['dtype']!r}")
    dtype = np.dtype(data["dtype"])
    classes = data["classes"]
    if (not isinstance(classes, list) or len(classes) < 2
            or not all(isinstance(c, (str, numbers.Real)) for c in classes)
            or len(set(classes)) != len(classes)):
        raise ValueError(f"'classes' must be a list of two or more distinct labels; got {classes!r:.80}")
    coef = data["coef"]
    if len(classes) == 2:
        _finite_numbers("coef", coef, dtype)
        if not coef:
            raise ValueError("'coef' is empty; a model has at least one feature")
        if not _real(data["intercept"]):
            raise ValueError(f"'intercept' must be a number; got {data['intercept']!r:.80}")
        _finite_numbers("intercept", [data["intercept"]], dtype)
    else:
        n_classes = len(classes)
        if (not isinstance(coef, list) or len(coef) != n_classes or not coef[0]
                or not all(isinstance(row, list) and len(row) == len(coef[0]) for row in coef)):
            raise ValueError(f"'coef' must be {n_classes} lists of the same non-zero length, one "
                             f"per class; got {coef!r:.80}")
        for row in coef:
            _finite_numbers("coef", row, dtype)
        intercept = data["intercept"]
        if not isinstance(intercept, list) or len(intercept) != n_classes:
            raise ValueError(f"'intercept' must be a list of {n_classes} numbers, one per class; "
                             f"got {intercept!r:.80}")
        _finite_numbers("intercept", intercept, dtype)
        coef = coef[0]  # the features, for the names below
    n_iter = data["n_iter"]
    if not isinstance(n_iter, int) or isinstance(n_iter, bool) or n_iter < 0:
        raise ValueError(f"'n_iter' must be a non-negative integer; got {n_iter!r}")
    curve = data["loss_curve"]
    if not isinstance(curve, list) or not all(_real(v) for v in curve):
        raise ValueError(f"'loss_curve' must be a list of numbers; got {curve!r:.80}")
    names = data.get("feature_names")
    if names is not None and (not isinstance(names, list) or len(names) != len(coef)
                              or not all(isinstance(n, str) for n in names)):
        raise ValueError(f"'feature_names' must be {len(coef)} strings, one per coefficient; "
                         f"got {names!r:.80}")


def read_model(path: str | os.PathLike) -> dict[str, Any]:
    """The data of a model file, after checking its format, version and contents."""
    shown = os.fspath(path)
    with open(path, encoding="utf-8") as file:
        try:
            data = json.load(file)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{shown!r} is not a fastlr model file: not JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("version") != VERSION:
        found = (data.get("format"), data.get("version")) if isinstance(data, dict) else type(data).__name__
        raise ValueError(f"{shown!r} is not a fastlr model file (found {found!r}); "
                         f"expected format {FORMAT!r}, version {VERSION}")
    try:
        check_model(data)
    except ValueError as exc:
        raise ValueError(f"{shown!r} is not a valid fastlr model file: {exc}") from None
    return data
