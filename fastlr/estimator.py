"""``fastlr.LogisticRegression``: a scikit-learn classifier over fastlr's kernels.

X is ``(n_samples, n_features)``, as scikit-learn expects; the kernels get
``X.T``, a view (a C-ordered X becomes the examples-contiguous layout the
numba kernels stream in one fused pass), never a copy. Binary only: any two
class labels (strings too) map to 0/1 in the order of ``classes_``.

The objective is fastlr's: ``mean(s * loss) + alpha/2 ||w||^2`` with weights
``s = sample_weight * class_weight`` (a weighted mean). It equals
scikit-learn's ``LogisticRegression(C=C)`` objective divided by
``C * sum(s)`` when ``alpha = 1 / (C * sum(s))``.

A fitted model saves to JSON with :meth:`LogisticRegression.save` and comes
back with :meth:`LogisticRegression.load` (what ``fastlr train --output``
writes).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from ._dask_estimator import check_binary, dask_fit_input, is_dask_array, lazy_take
from ._model_file import check_model, model_dict, read_model, write_model
from ._training import train

__all__ = ["LogisticRegression"]


def _columns(first, second):
    """Two vectors side by side, shape (n, 2); Dask arrays stay Dask arrays."""
    if is_dask_array(first):
        import dask.array as da

        return da.stack([first, second], axis=1)
    return np.column_stack([first, second])


class LogisticRegression(ClassifierMixin, BaseEstimator):
    """Binary logistic regression trained on a fastlr kernel, by L-BFGS or gradient descent.

    Parameters
    ----------
    kernel : str, default "auto"
        A name from :data:`fastlr.KERNELS`, or ``"auto"`` (the fastest here
        for the data's shape; ``numba-parallel`` on all cores for all but
        small data). Threads: :func:`fastlr.set_num_threads`.
    alpha : float, default 0.0
        L2 penalty strength on the weights (not the intercept), ``>= 0``.
    solver : {"lbfgs", "gd"}, default "lbfgs"
        ``"lbfgs"``: scipy's L-BFGS-B with one fused kernel call (cost and
        gradient) per evaluation, stopping as scikit-learn's ``lbfgs``
        does. ``"gd"``: the course notes' gradient descent. ``"lbfgs"`` is
        the default because it reaches the same optimum in one to two orders
        of magnitude fewer gradients (breast cancer, standardised, C = 1,
        tol = 1e-6: 33 L-BFGS iterations against 10,541 gradient steps).
    learning_rate : float or "auto", default "auto"
        Gradient-descent step (``solver="gd"`` only); ``"auto"`` never lets
        the cost rise.
    max_iter : int, default 1000
        Most iterations per ``fit``.
    tol : float, default 1e-6
        Stop once ``max(|dw|, |db|) <= tol``.
    class_weight : dict, "balanced" or None, default None
        Weights per class, multiplied into ``sample_weight``, as in
        scikit-learn.
    warm_start : bool, default False
        Start ``fit`` from the previous ``coef_`` and ``intercept_``.
    verbose : int, default 0
        1 prints a summary per fit; 2 also prints the cost every iteration
        (which runs the training loop in Python).

    Attributes
    ----------
    coef_ : ndarray of shape (1, n_features)
    intercept_ : ndarray of shape (1,)
    classes_ : ndarray of shape (2,)
    n_iter_ : int
        Iterations of the last ``fit``.
    loss_curve_ : ndarray
        The costs of the last ``fit`` (see :class:`fastlr.TrainResult`).
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Only when X had string column names.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> import fastlr
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> model = make_pipeline(StandardScaler(), fastlr.LogisticRegression(alpha=0.01))
    >>> round(model.fit(X, y).score(X, y), 3)
    0.984
    """

    def __init__(self, kernel: str = "auto", alpha: float = 0.0, solver: str = "lbfgs",
                 learning_rate: float | str = "auto", max_iter: int = 1000, tol: float = 1e-6,
                 class_weight: Any = None, warm_start: bool = False, verbose: int = 0):
        self.kernel = kernel
        self.alpha = alpha
        self.solver = solver
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.tol = tol
        self.class_weight = class_weight
        self.warm_start = warm_start
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        tags.input_tags.sparse = False
        return tags

    def fit(self, X, y, sample_weight=None) -> LogisticRegression:
        """Fit the model.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
        y : array_like of shape (n_samples,)
            Exactly two classes, of any label type.
        sample_weight : array_like of shape (n_samples,), optional

        Returns
        -------
        self
        """
        if is_dask_array(X):
            X_t, y01, weights, classes = dask_fit_input(X, y, sample_weight, self.class_weight)
            self.n_features_in_ = X.shape[1]
            if hasattr(self, "feature_names_in_"):
                del self.feature_names_in_
        else:
            X_t, y01, weights, classes = self._in_memory_fit_input(X, y, sample_weight)
        self.classes_ = classes

        w0, b0 = None, 0.0
        n_features = X_t.shape[0]
        if self.warm_start and hasattr(self, "coef_") and self.coef_.shape == (1, n_features):
            w0, b0 = self.coef_.ravel(), float(self.intercept_[0])
        callback = self._print_cost if self.verbose >= 2 else None
        result = train(
            X_t, y01, kernel=self.kernel, alpha=self.alpha,
            learning_rate=self.learning_rate, max_iter=self.max_iter, tol=self.tol,
            sample_weight=weights, w0=w0, b0=b0, callback=callback, solver=self.solver,
        )
        self.coef_ = result.w.reshape(1, -1)
        self.intercept_ = np.array([result.b], dtype=result.w.dtype)
        self.n_iter_ = result.n_iter
        self.loss_curve_ = result.costs
        if self.verbose:
            print(f"fastlr: {result.n_iter} {result.solver} iterations with kernel {result.kernel!r}, "
                  f"final cost {result.costs[-1]:.6g}, converged={result.converged}")
        return self

    def _in_memory_fit_input(self, X, y, sample_weight):
        """``(X.T, y as 0/1, weights or None, classes)`` of NumPy-like input, validated by scikit-learn."""
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32], order=None)
        check_classification_targets(y)
        y_type = type_of_target(y, input_name="y")
        classes, y_index = np.unique(y, return_inverse=True)
        check_binary(classes, y_type)
        weights = None  # the kernels' unweighted path, unless weights are given
        if sample_weight is not None:
            weights = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
        if self.class_weight is not None:
            per_class = compute_sample_weight(self.class_weight, y)
            weights = per_class if weights is None else weights * per_class
        if weights is not None and not weights.any():
            raise ValueError("sample_weight (times class_weight) is zero for every sample; "
                             "at least one sample needs a positive weight")
        return X.T, y_index.astype(X.dtype), weights, classes

    @staticmethod
    def _print_cost(iteration, w, b, cost):
        print(f"iteration {iteration}: cost {cost:.10g}")

    def decision_function(self, X) -> np.ndarray:
        """``X @ coef_.T + intercept_``, shape (n_samples,); positive means ``classes_[1]``.

        A Dask X gives a Dask array, chunked as X's samples (so do the other
        prediction methods).
        """
        check_is_fitted(self)
        if is_dask_array(X):
            X = self._dask_prediction_input(X)
        else:
            X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        return X @ self.coef_[0].astype(X.dtype, copy=False) + self.intercept_[0]

    def _dask_prediction_input(self, X):
        """A Dask X checked as scikit-learn checks NumPy input here: 2-D, ``n_features_in_`` columns, real."""
        if X.ndim != 2:
            raise ValueError(f"Expected a 2-D array (n_samples, n_features); got a {X.ndim}-D "
                             f"array of shape {X.shape}")
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features, but {type(self).__name__} is "
                             f"expecting {self.n_features_in_} features as input.")
        if X.dtype.kind not in "biuf":
            raise TypeError(f"X has dtype {X.dtype}; expected real numbers")
        return X if X.dtype.kind == "f" else X.astype(np.float64)

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, shape (n_samples, 2), in the order of ``classes_``."""
        p = expit(self.decision_function(X))  # a ufunc: lazy on Dask arrays, never overflows
        return _columns(1.0 - p, p)

    def predict_log_proba(self, X) -> np.ndarray:
        """Log of :meth:`predict_proba`, computed stably."""
        z = self.decision_function(X)
        return -_columns(np.logaddexp(0.0, z), np.logaddexp(0.0, -z))

    def predict(self, X) -> np.ndarray:
        """The more probable class of each sample."""
        positive = (self.decision_function(X) > 0).astype(np.intp)
        if is_dask_array(positive):
            return lazy_take(self.classes_, positive)
        return self.classes_[positive]

    # -- persistence (format: fastlr._model_file) ------------------------------

    def to_dict(self) -> dict:
        """The fitted model as JSON-ready data."""
        check_is_fitted(self)
        return model_dict(
            params=self.get_params(),
            classes=self.classes_.tolist(),
            coef=self.coef_[0].tolist(),
            intercept=float(self.intercept_[0]),
            dtype=self.coef_.dtype.name,
            n_iter=int(self.n_iter_),
            loss_curve=self.loss_curve_.tolist(),
            feature_names=self.feature_names_in_.tolist() if hasattr(self, "feature_names_in_") else None,
        )

    @classmethod
    def from_dict(cls, data: dict) -> LogisticRegression:
        """A fitted model back from :meth:`to_dict` (checked: ``ValueError`` names a bad key)."""
        check_model(data)
        return cls._from_checked(data)

    @classmethod
    def _from_checked(cls, data: dict) -> LogisticRegression:
        """A fitted model from data that passed ``check_model``."""
        model = cls(**data["params"])
        dtype = np.dtype(data["dtype"])
        model.coef_ = np.asarray(data["coef"], dtype=dtype).reshape(1, -1)
        model.intercept_ = np.array([data["intercept"]], dtype=dtype)
        model.classes_ = np.asarray(data["classes"])
        model.n_iter_ = int(data["n_iter"])
        model.loss_curve_ = np.asarray(data["loss_curve"], dtype=np.float64)
        model.n_features_in_ = model.coef_.shape[1]
        if "feature_names" in data:
            model.feature_names_in_ = np.asarray(data["feature_names"], dtype=object)
        return model

    def save(self, path: str | os.PathLike) -> None:
        """Write the fitted model to a JSON file."""
        write_model(self.to_dict(), path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> LogisticRegression:
        """Read a model written by :meth:`save` or by ``fastlr train --output``."""
        return cls._from_checked(read_model(path))  # read_model checks, naming the file
