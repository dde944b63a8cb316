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

import contextlib
import json
import math
import numbers
import os
import secrets
import stat
from typing import Any

import numpy as np

FORMAT = "fastlr.LogisticRegression"
VERSION = 1

__all__ = ["FORMAT", "SEARCH_OUTCOME", "VERSION", "check_model", "model_dict", "model_params", "read_model",
           "search_outcome", "write_model"]


#: How an infinite parameter (``C=np.inf``: no penalty) is written: JSON has no infinity.
_INFINITY = "inf"


def model_dict(*, params: dict, classes: list, coef: list, intercept: float | list, dtype: str,
               n_iter: int, loss_curve: list, feature_names: list | None = None) -> dict[str, Any]:
    """The model as JSON-ready data, or a ``TypeError`` naming what a file cannot hold.

    NumPy scalars become the Python numbers they hold; an infinite parameter
    is written as ``"inf"``; a dict whose keys are not all strings
    (``class_weight={0: 2.0}``) as ``{"__items__": [[key, value], ...]}``,
    so that its keys come back as they were; a 1-D array of numbers
    (``Cs=np.logspace(...)``) as a list. Anything else that JSON cannot
    hold (a ``RandomState``, a kernel of the user's own, datetime labels) is
    refused before anything is written.
    """
    data: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "params": {key: _saved(value, f"parameter {key}={value!r:.60}", infinity=_INFINITY)
                   for key, value in params.items()},
        "classes": _saved(classes, "classes"),
        "coef": coef,
        "intercept": intercept,
        "dtype": dtype,
        "n_iter": int(n_iter),
        "loss_curve": _saved(loss_curve, "loss_curve"),
    }
    if feature_names is not None:
        data["feature_names"] = _saved(feature_names, "feature_names")
    return data


#: How a dict with keys other than strings is written (JSON object keys are strings).
_ITEMS = "__items__"


def _saved(value: Any, what: str, infinity: str | None = None) -> Any:
    """``value`` as JSON can hold it (see :func:`model_dict`), or a ``TypeError`` naming ``what``.

    ``math.inf`` is written as ``infinity`` where given (parameters), else refused.
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.generic) and value.dtype.kind in "biufU":
        value = value.item()
    if isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        number = float(value)
        if number == math.inf and infinity is not None:
            return infinity
        if math.isfinite(number):
            return number
    elif isinstance(value, (list, tuple)):
        return [_saved(item, what, infinity) for item in value]
    elif isinstance(value, np.ndarray) and value.ndim == 1 and value.dtype.kind in "biuf":
        return [_saved(item, what, infinity) for item in value.tolist()]  # as a list (Cs, l1_ratios)
    elif isinstance(value, dict):
        if all(isinstance(key, str) for key in value):
            return {key: _saved(item, what, infinity) for key, item in value.items()}
        return {_ITEMS: [[_saved(key, what, infinity), _saved(item, what, infinity)]
                         for key, item in value.items()]}
    else:
        from ._registry import KERNELS, lookup_kernel

        name = getattr(value, "name", None)
        if name in KERNELS and lookup_kernel(name) is value:  # one of fastlr's kernels: by name
            return name
    raise TypeError(f"cannot save the model: {what} is not a finite number, string, bool, None, "
                    f"or a list or dict of them (got {type(value).__name__}); set it to one "
                    "before saving")


def _restored(value: Any) -> Any:
    """A parameter as :func:`_saved` wrote it, back: ``"inf"`` and dicts of any keys."""
    if value == _INFINITY:
        return math.inf
    if isinstance(value, dict):
        if set(value) == {_ITEMS}:
            return {_hashable(key): _restored(item) for key, item in value[_ITEMS]}
        return {key: _restored(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_restored(item) for item in value]
    return value


def _hashable(key: Any) -> Any:
    return tuple(key) if isinstance(key, list) else key


def model_params(data: dict) -> dict[str, Any]:
    """The estimator parameters of checked model data, as they were before :func:`model_dict`."""
    return {key: _restored(value) for key, value in data["params"].items()}


def write_model(data: dict, path: str | os.PathLike) -> None:
    """Write model data to ``path`` atomically: the old file survives any failure.

    The text is made first (a value JSON cannot hold raises before anything
    is written), then written to a temporary file in the same folder,
    flushed and synced to disk, and renamed over ``path`` (``os.replace``).
    A symbolic link is followed (the file it names is replaced); a target
    that is not a regular file (``/dev/stdout``, a pipe) is written
    directly, as there is nothing to replace.
    """
    text = json.dumps(data, indent=1, allow_nan=False) + "\n"
    target = os.path.realpath(path)
    if os.path.exists(target) and not os.path.isfile(target):
        with open(target, "w", encoding="utf-8") as file:
            file.write(text)
        return
    descriptor, temporary = _temporary_beside(target)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        with contextlib.suppress(FileNotFoundError):  # the old file's permissions, if there was one
            os.chmod(temporary, stat.S_IMODE(os.stat(target).st_mode))
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _temporary_beside(target: str) -> tuple[int, str]:
    """A new file next to ``target`` (same file system, so the rename is atomic), opened for
    writing with the permissions ``open`` would give a new file (0o666 less the umask)."""
    folder, name = os.path.split(target)
    for _ in range(100):
        temporary = os.path.join(folder, f".{name}.{secrets.token_hex(6)}.tmp")
        try:
            return os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), temporary
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {target!r}")


_KEYS = ("params", "classes", "coef", "intercept", "dtype", "n_iter", "loss_curve")
_DTYPES = ("float32", "float64")


def _real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _finite(value: Any) -> bool:
    """Whether a real number is finite as a float (an integer too large for one is not)."""
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


#: The largest ``n_iter`` a file may hold (``n_iter_`` is int32, as scikit-learn's).
_MAX_N_ITER = 2**31 - 1


def _finite_numbers(name: str, values: Any, dtype: np.dtype) -> None:
    if not isinstance(values, list) or not all(_real(v) for v in values):
        raise ValueError(f"{name!r} must be a list of numbers; got {values!r:.80}")
    for value in values:
        if not _finite(value):
            raise ValueError(f"{name!r} must hold finite numbers; got {value!r:.80}")
        if float(dtype.type(value)) != float(value):
            raise ValueError(f"{name!r} holds {value!r}, which {dtype.name} cannot store exactly; "
                             "the file was not written for this dtype")


#: The fitted attributes a saved ``LogisticRegressionCV`` keeps besides its model (``"search"``).
SEARCH_OUTCOME = ("C_", "l1_ratio_")


def search_outcome(search: Any) -> dict[str, Any]:
    """A file's ``"search"`` back as attributes: numbers (scikit-learn's new layout) or
    arrays (the legacy one, ``None`` where ``l1_ratio_`` has no value); ``ValueError``
    naming a bad entry."""
    if not isinstance(search, dict) or set(search) != set(SEARCH_OUTCOME):
        raise ValueError(f"'search' must be an object with the keys {', '.join(map(repr, SEARCH_OUTCOME))}; "
                         f"got {search!r:.80}")
    outcome = {}
    for name, value in search.items():
        items = value if isinstance(value, list) else [value]
        allowed = (None,) if name == "l1_ratio_" else ()
        if not items or not all(item in allowed or (_real(item) and _finite(item) and item >= 0)
                                for item in items):
            raise ValueError(f"'search' {name!r} must hold finite numbers >= 0"
                             f"{' or null' if allowed else ''}; got {value!r:.80}")
        outcome[name] = np.asarray(value) if isinstance(value, list) else value
    return outcome


def check_model(data: Any) -> None:
    """Raise ``ValueError`` naming the first key of ``data`` that is missing or wrong."""
    if not isinstance(data, dict):
        raise ValueError(f"a model is a JSON object; got {type(data).__name__}")
    missing = [key for key in _KEYS if key not in data]
    if missing:
        raise ValueError(f"missing key{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))}")
    if "search" in data:  # a LogisticRegressionCV's
        search_outcome(data["search"])
    if not isinstance(data["params"], dict):
        raise ValueError(f"'params' must be an object; got {data['params']!r:.80}")
    try:
        model_params(data)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"'params' cannot be read back: {exc}") from None
    if data["dtype"] not in _DTYPES:
        raise ValueError(f"'dtype' must be one of {', '.join(map(repr, _DTYPES))}; got {data['dtype']!r}")
    dtype = np.dtype(data["dtype"])
    classes = data["classes"]
    if (not isinstance(classes, list) or len(classes) < 2
            or not all(isinstance(c, str) or (_real(c) and _finite(c)) for c in classes)
            or len(set(classes)) != len(classes)):
        raise ValueError(f"'classes' must be a list of two or more distinct labels (strings or "
                         f"finite numbers); got {classes!r:.80}")
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
    if not isinstance(n_iter, int) or isinstance(n_iter, bool) or not 0 <= n_iter <= _MAX_N_ITER:
        raise ValueError(f"'n_iter' must be an integer from 0 to {_MAX_N_ITER}; got {n_iter!r:.80}")
    curve = data["loss_curve"]
    if not isinstance(curve, list) or not all(_real(v) and _finite(v) for v in curve):
        raise ValueError(f"'loss_curve' must be a list of finite numbers; got {curve!r:.80}")
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
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
            raise ValueError(f"{shown!r} is not a fastlr model file: not JSON text ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("version") != VERSION:
        found = (data.get("format"), data.get("version")) if isinstance(data, dict) else type(data).__name__
        raise ValueError(f"{shown!r} is not a fastlr model file (found {found!r}); "
                         f"expected format {FORMAT!r}, version {VERSION}")
    try:
        check_model(data)
    except ValueError as exc:
        raise ValueError(f"{shown!r} is not a valid fastlr model file: {exc}") from None
    return data
