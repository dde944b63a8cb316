"""The JSON file a fitted model is saved in, without scikit-learn.

Written by ``LogisticRegression.save`` and ``fastlr train --output``, read by
``LogisticRegression.load``::

    {"format": "fastlr.LogisticRegression", "version": 1,
     "params": {...estimator parameters...}, "classes": [c0, c1],
     "coef": [...n_features...], "intercept": b, "dtype": "float64",
     "n_iter": N, "loss_curve": [...], "feature_names": [...] (optional)}

``classes[1]`` is the class a positive decision value predicts.
"""

from __future__ import annotations

import json
import os
from typing import Any

FORMAT = "fastlr.LogisticRegression"
VERSION = 1

__all__ = ["FORMAT", "VERSION", "model_dict", "read_model", "write_model"]


def model_dict(*, params: dict, classes: list, coef: list, intercept: float, dtype: str,
               n_iter: int, loss_curve: list, feature_names: list | None = None) -> dict[str, Any]:
    """The model as JSON-ready data."""
    data: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "params": params,
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


def write_model(data: dict, path: str | os.PathLike) -> None:
    with open(path, "w", encoding="utf-8") as file:
        json.dump(data, file, indent=1)
        file.write("\n")


def read_model(path: str | os.PathLike) -> dict[str, Any]:
    """The data of a model file, after checking its format and version."""
    with open(path, encoding="utf-8") as file:
        data = json.load(file)
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("version") != VERSION:
        found = (data.get("format"), data.get("version")) if isinstance(data, dict) else type(data).__name__
        raise ValueError(f"{os.fspath(path)!r} is not a fastlr model file (found {found!r}); "
                         f"expected format {FORMAT!r}, version {VERSION}")
    return data
