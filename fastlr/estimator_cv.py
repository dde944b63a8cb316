"""``fastlr.LogisticRegressionCV``: scikit-learn's cross-validated classifier over fastlr's solvers.

The constructor, the fitted attributes and their shapes (with and without
``use_legacy_attributes``), the warnings, the scoring and the metadata
routing are scikit-learn 1.9's ``LogisticRegressionCV``, plus ``kernel``;
changing the import is meant to be the only change.

How a fit runs (the same problem, folds and choice as scikit-learn's, solved
by fastlr's solvers):

- X, y and the weights are validated once (``LogisticRegression``'s
  validation: CSR or CSC kept as they are, float32 kept); ``class_weight``
  ``"balanced"`` is computed once, on all of y, as scikit-learn does.
- For each fold and each ``l1_ratio``, the training rows are copied once
  (``X[train]``: its transpose is the layout the kernels stream) and the
  path runs over ``Cs`` in the order given (``Cs=10``: ``logspace(-4, 4,
  10)``, strong to weak penalty), each fit warm-started from the previous
  one's coefficients; each fit is the one ``LogisticRegression(C=...)``
  with the same ``solver=`` name makes (``liblinear``'s problem gains its
  constant feature once per fold). Each fit's first evaluation is the
  previous fit's last (``fastlr._path_memo``: the kernels' sums do not
  depend on ``C``), not a new pass over X. The test rows are scored at each
  ``C`` by the ``scoring`` scorer on a ``LogisticRegression`` holding those
  coefficients (accuracy: for every ``C`` from one product).
- The fold paths run in this process one after another (the parallel
  kernels use the cores within each fit), or with ``n_jobs`` in joblib's
  processes, as scikit-learn's do.
- ``refit=True``: the best ``(C, l1_ratio)`` by the scores summed over the
  folds (the first of equal sums), refitted on all the data from the mean
  of the folds' coefficients there; ``refit=False``: the mean of each
  fold's best coefficients, and the mean of their ``C``.

``n_iter_`` counts fastlr's iterations, as ``LogisticRegression.n_iter_``.
"""

from __future__ import annotations

import inspect
import numbers
import warnings
from numbers import Integral
from typing import Any

import numpy as np
from sklearn.base import _fit_context
from sklearn.metrics import get_scorer, get_scorer_names, make_scorer
from sklearn.model_selection import check_cv
from sklearn.utils._param_validation import Hidden, Interval, StrOptions
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    UNUSED,
    MethodMapping,
    _raise_for_params,
    _routing_enabled,
    process_routing,
)
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import _check_method_params, _check_sample_weight

from ._dask.estimator import is_dask_array
from ._model_file import SEARCH_OUTCOME, search_outcome
from ._path_memo import shared_evaluations
from ._solvers import SklearnName, sklearn_solver
from .estimator import LogisticRegression, _Problem, warn_max_iter_zero

__all__ = ["LogisticRegressionCV"]


class LogisticRegressionCV(LogisticRegression):
    """Logistic regression with ``C`` (and ``l1_ratio``) chosen by cross-validation, on fastlr's solvers.

    scikit-learn 1.9's ``LogisticRegressionCV``: the same parameters,
    defaults (and their deprecation warnings), attributes and choice of the
    best parameters; each fit is fastlr's (:class:`fastlr.LogisticRegression`
    with the same ``solver=`` name), warm-started along each fold's path.

    Parameters
    ----------
    Cs : int or array_like of float, default 10
        The ``C`` values, in the order the path visits them; an int ``n``
        is ``np.logspace(-4, 4, n)``. ``np.inf`` is no penalty.
    l1_ratios : array_like of float in [0, 1] or None, default "warn"
        The elastic-net mixings to try (``> 0`` needs ``solver="saga"`` or
        ``"prox-newton"``); ``"warn"`` is ``None`` with scikit-learn's
        FutureWarning. ``None`` drops the ``l1_ratio`` axis of the legacy
        attributes.
    fit_intercept : bool, default True
    cv : int, cross-validation generator or iterable, default None
        As scikit-learn's ``check_cv`` for a classifier: ``None`` is
        ``StratifiedKFold(5)``.
    dual : bool, default False
        ``True`` only with ``solver="liblinear"`` and L2 (fastlr solves
        the primal; the optimum is the same).
    penalty : {"l1", "l2", "elasticnet"}, default "deprecated"
        Deprecated in scikit-learn 1.8 (warns, as there): use ``l1_ratios``.
    scoring : str, callable or None, default "warn"
        A scorer name or callable (``scorer(estimator, X, y)``); ``None`` or
        ``"warn"`` (with scikit-learn's FutureWarning) is accuracy.
    solver : str, default "lbfgs"
        Any name :class:`fastlr.LogisticRegression` takes.
    tol : float, default 1e-4
    max_iter : int, default 100
        Per fit along the path.
    class_weight : dict, "balanced" or None, default None
        ``"balanced"`` is computed on all of y (with ``sample_weight``).
    n_jobs : int or None, default None
        Fold paths run in joblib's processes when given; ``None`` runs them
        here one after another, each fit using the kernel's threads.
    verbose : int, default 0
        joblib's verbosity for ``n_jobs``.
    refit : bool, default True
    intercept_scaling : float, default 1.0
        ``solver="liblinear"`` only.
    random_state : int, RandomState or None, default None
        Unused by fastlr's solvers; a ``cv`` given as an int or None does
        not shuffle.
    use_legacy_attributes : bool, default "warn"
        scikit-learn 1.9's switch between the legacy attribute shapes
        (dicts per class) and the new ones (arrays); ``"warn"`` is ``True``
        with its FutureWarning.
    kernel : str, default "auto"
        As :class:`fastlr.LogisticRegression`.

    Attributes
    ----------
    Cs_ : ndarray of shape (n_Cs,)
    l1_ratios_ : ndarray of shape (n_l1_ratios,)
    C_ : ndarray of shape (1,) or (K,); float without legacy attributes
    l1_ratio_ : ndarray of shape (1,) or (K,); float without legacy attributes
    coef_, intercept_, classes_, n_features_in_
        As :class:`fastlr.LogisticRegression` (the refitted model, or the
        fold average without ``refit``).
    coefs_paths_ : dict or ndarray
        Legacy: per class (binary: the positive class), shape (n_folds, n_Cs,
        [n_l1_ratios,] n_features + fit_intercept). New: shape (n_folds,
        n_l1_ratios, n_Cs, 1 or K, n_features + fit_intercept).
    scores_ : dict or ndarray
        Legacy: per class (the same array), shape (n_folds, n_Cs,
        [n_l1_ratios]). New: shape (n_folds, n_l1_ratios, n_Cs).
    n_iter_ : ndarray of int
        Legacy: shape (1, n_folds, n_Cs[, n_l1_ratios]). New: (n_folds,
        n_l1_ratios, n_Cs).

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> import fastlr
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> search = fastlr.LogisticRegressionCV(Cs=10, l1_ratios=(0,), scoring="accuracy",
    ...                                      use_legacy_attributes=False)
    >>> model = make_pipeline(StandardScaler(), search).fit(X, y)
    >>> float(search.C_)
    0.3593813663804626
    """

    _parameter_constraints: dict = {
        **{key: value for key, value in LogisticRegression._parameter_constraints.items()
           if key not in ("C", "warm_start", "l1_ratio", "learning_rate")},
        "Cs": [Interval(Integral, 1, None, closed="left"), "array-like"],
        "l1_ratios": ["array-like", None, Hidden(StrOptions({"warn"}))],
        "cv": ["cv_object"],
        "scoring": [StrOptions(set(get_scorer_names())), callable, None, Hidden(StrOptions({"warn"}))],
        "refit": ["boolean"],
        "penalty": [StrOptions({"l1", "l2", "elasticnet"}), Hidden(StrOptions({"deprecated"}))],
        "use_legacy_attributes": ["boolean", Hidden(StrOptions({"warn"}))],
    }

    def __init__(self, *, Cs: Any = 10, l1_ratios: Any = "warn", fit_intercept: bool = True,
                 cv: Any = None, dual: bool = False, penalty: Any = "deprecated",
                 scoring: Any = "warn", solver: str = "lbfgs", tol: float = 1e-4,
                 max_iter: int = 100, class_weight: Any = None, n_jobs: int | None = None,
                 verbose: int = 0, refit: bool = True, intercept_scaling: float = 1.0,
                 random_state: Any = None, use_legacy_attributes: Any = "warn",
                 kernel: Any = "auto"):
        self.Cs = Cs
        self.l1_ratios = l1_ratios
        self.fit_intercept = fit_intercept
        self.cv = cv
        self.dual = dual
        self.penalty = penalty
        self.scoring = scoring
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.class_weight = class_weight
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.refit = refit
        self.intercept_scaling = intercept_scaling
        self.random_state = random_state
        self.use_legacy_attributes = use_legacy_attributes
        self.kernel = kernel

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, **params) -> LogisticRegressionCV:
        """Fit the path of every fold, choose the best parameters, and refit.

        Parameters
        ----------
        X : {array_like, sparse matrix} of shape (n_samples, n_features)
        y : array_like of shape (n_samples,)
        sample_weight : array_like of shape (n_samples,), optional
            Weights of the training samples; also the test samples' weights
            in the default (accuracy) score.
        **params : dict
            Passed to the splitter and the scorer (scikit-learn's metadata
            routing).

        Returns
        -------
        self
        """
        _raise_for_params(params, self, "fit")
        l1_ratios, penalty, scoring, legacy = self._settings()
        name = sklearn_solver(self.solver, penalty, self.dual)
        l1_ratios_ = self._l1_ratios(l1_ratios, penalty)
        if is_dask_array(X):
            raise TypeError("LogisticRegressionCV takes X in memory (NumPy-like or scipy.sparse); "
                            "for a Dask array, search over fastlr.LogisticRegression(C=...) instead")
        X_t, labels, weights, classes = self._in_memory_fit_input(X, y, sample_weight)
        X = X_t.T
        y = classes[labels.astype(np.intp)]  # the validated labels, as np.unique gives the classes
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64)
        self.classes_ = classes
        splitter_params, score_params = self._routed(sample_weight, params)
        folds = list(check_cv(self.cv, y, classifier=True).split(X, y, **splitter_params))
        Cs = np.logspace(-4, 4, self.Cs) if isinstance(self.Cs, numbers.Integral) else np.array(self.Cs)

        paths = Parallel(n_jobs=self.n_jobs, verbose=self.verbose, prefer="processes")(
            delayed(_fold_path)(self, X, y, labels, weights, sample_weight, classes, name, train,
                                test, Cs, _fit_l1_ratio(penalty, l1_ratio), scoring, score_params)
            for train, test in folds for l1_ratio in l1_ratios_)
        rows = classes.size if classes.size > 2 else 1
        shape = (len(folds), len(l1_ratios_), Cs.size)
        coefs = np.reshape([path[0] for path in paths], (*shape, rows, -1))
        scores = np.reshape([path[1] for path in paths], shape)
        n_iter = np.reshape([path[2] for path in paths], shape).astype(np.int32)

        self.Cs_ = Cs
        self.l1_ratios_ = np.asarray(l1_ratios_)
        if self.refit:
            C, l1_ratio = self._refit(X_t, labels, weights, classes, name, coefs, scores, Cs,
                                      penalty, l1_ratios_)
        else:
            C, l1_ratio = self._fold_average(coefs, scores, Cs, penalty, l1_ratios_, X_t.dtype)
        self._set_search_attributes(coefs, scores, n_iter, C, l1_ratio, l1_ratios is None, legacy)
        return self

    def _settings(self) -> tuple[Any, str, Any, bool]:
        """``(l1_ratios, penalty, scoring, legacy attributes)`` from the parameters, with
        scikit-learn 1.9's FutureWarnings for the defaults that will change."""
        l1_ratios = self.l1_ratios
        if isinstance(l1_ratios, str) and l1_ratios == "warn":
            l1_ratios = None
            warnings.warn("The default value for l1_ratios will change from None to (0.0,) in "
                          "version 1.10. From version 1.10 onwards, only array-like with values "
                          "in [0, 1] will be allowed, None will be forbidden. To avoid this "
                          "warning, explicitly set a value, e.g. l1_ratios=(0,).", FutureWarning,
                          stacklevel=3)
        if self.penalty == "deprecated":
            if self.l1_ratios is None:
                warnings.warn("'l1_ratios=None' was deprecated in version 1.8 and will trigger an "
                              "error in 1.10. Use an array-like with valuesin [0, 1] instead.",
                              FutureWarning, stacklevel=3)
            if l1_ratios is None or np.all(np.asarray(l1_ratios) == 0):
                penalty = "l2"
            elif np.all(np.asarray(l1_ratios) == 1):
                penalty = "l1"
            else:
                penalty = "elasticnet"
        else:
            penalty = self.penalty
            warnings.warn("'penalty' was deprecated in version 1.8 and will be removed in 1.10. "
                          "To avoid this warning, leave 'penalty' set to its default value and "
                          "use 'l1_ratios' and 'Cs' instead. Use l1_ratios=(0,) instead of "
                          "penalty='l2', l1_ratios=(1,) instead of penalty='l1', l1_ratios set to "
                          "floats between 0 and 1 instead of penalty='elasticnet', and "
                          "Cs=(np.inf,) instead of penalty=None.", FutureWarning, stacklevel=3)
        scoring = self.scoring
        if scoring == "warn":
            scoring = None
            warnings.warn("The default value of the parameter 'scoring' will change from None, "
                          "i.e. accuracy, to 'neg_log_loss' in version 1.11. To silence this "
                          "warning, explicitly set the scoring parameter: scoring='neg_log_loss' "
                          "for the new, scoring='accuracy' or scoring=None for the old default.",
                          FutureWarning, stacklevel=3)
        legacy = self.use_legacy_attributes
        if legacy == "warn":
            legacy = True
            warnings.warn(f"The fitted attributes of {type(self).__name__} will be simplified in "
                          "scikit-learn 1.10 to remove redundancy. Set`use_legacy_attributes="
                          "False` to enable the new behavior now, or set it to `True` to silence "
                          "this warning during the transition period while keeping the deprecated "
                          "behavior for the time being. The default value of "
                          "use_legacy_attributes will change from True to False in scikit-learn "
                          f"1.10. See the docstring of {type(self).__name__} for more details.",
                          FutureWarning, stacklevel=3)
        return l1_ratios, penalty, scoring, bool(legacy)

    def _l1_ratios(self, l1_ratios, penalty: str) -> list:
        """The ``l1_ratio`` values the search runs (``[None]``: the penalty's own)."""
        if penalty == "elasticnet":
            if (l1_ratios is None or len(l1_ratios) == 0 or any(
                    not isinstance(value, numbers.Number) or value < 0 or value > 1
                    for value in l1_ratios)):
                raise ValueError("l1_ratios must be an array-like of numbers between 0 and 1; "
                                 f"got (l1_ratios={l1_ratios!r})")
            return list(l1_ratios)
        if l1_ratios is not None and self.penalty != "deprecated":
            warnings.warn(f"l1_ratios parameter is only used when penalty is 'elasticnet'. Got "
                          f"(penalty={penalty})", stacklevel=3)
        return [None] if l1_ratios is None else list(l1_ratios)

    def _routed(self, sample_weight, params: dict) -> tuple[dict, dict]:
        """``(splitter's split parameters, scorer's score parameters)``, routed as
        scikit-learn's ``LogisticRegressionCV`` routes them."""
        if _routing_enabled():
            routed = process_routing(self, "fit", sample_weight=sample_weight, **params)
            return routed.splitter.split, routed.scorer.score
        score_params = dict(params)
        if sample_weight is not None:
            score_params["sample_weight"] = sample_weight
        return {}, score_params

    def _refit(self, X_t, labels, weights, classes, name, coefs, scores, Cs, penalty,
               l1_ratios_) -> tuple[float, Any]:
        """Refit on all the data at the best ``(C, l1_ratio)`` by the folds' summed scores,
        from the mean of the folds' coefficients there; returns that pair."""
        summed = scores.sum(axis=0).T  # (n_Cs, n_l1_ratios): the first of equal sums wins, C first
        c_index, l1_index = np.unravel_index(np.argmax(summed), summed.shape)
        C, l1_ratio = Cs[c_index], l1_ratios_[l1_index]
        problem = self._problem(X_t, labels, weights, classes, name)
        w0, b0 = _start(self, problem, coefs[:, l1_index, c_index].mean(axis=0))
        w, b, n_iter, costs = _fit(self, problem, float(C), _fit_l1_ratio(penalty, l1_ratio), w0, b0)
        self._set_fitted(w, b, w.dtype, n_iter, costs, name)
        return C, l1_ratio

    def _fold_average(self, coefs, scores, Cs, penalty, l1_ratios_, dtype) -> tuple[float, Any]:
        """Without refit: the mean of each fold's best coefficients, of their ``C`` and (elastic
        net) of their ``l1_ratio``."""
        n_folds = scores.shape[0]
        best = [np.unravel_index(np.argmax(scores[fold].T), scores[fold].T.shape)
                for fold in range(n_folds)]  # (C index, l1_ratio index) per fold
        w = np.mean([coefs[fold, l1, c] for fold, (c, l1) in enumerate(best)], axis=0)
        n_features = self.n_features_in_
        self.coef_ = w[:, :n_features].astype(dtype)
        self.intercept_ = (w[:, n_features] if self.fit_intercept else np.zeros(w.shape[0])).astype(dtype)
        self.loss_curve_ = np.array([])
        C = np.mean(Cs[[c for c, _ in best]])
        if penalty == "elasticnet":
            return C, np.mean(np.asarray(l1_ratios_)[[l1 for _, l1 in best]])
        return C, 0.0

    def _set_search_attributes(self, coefs, scores, n_iter, C, l1_ratio, no_l1_axis: bool,
                               legacy: bool) -> None:
        """``coefs_paths_``, ``scores_``, ``n_iter_``, ``C_`` and ``l1_ratio_`` in scikit-learn
        1.9's shapes, from the arrays (n_folds, n_l1_ratios, n_Cs[, 1 or K, n_dof])."""
        n_classes = coefs.shape[3]
        if not legacy:
            self.coefs_paths_, self.scores_, self.n_iter_ = coefs, scores, n_iter
            self.C_ = float(C)
            if no_l1_axis:
                self.l1_ratio_ = 1.0 if self.penalty == "l1" else 0.0
            else:
                self.l1_ratio_ = float(l1_ratio)
            return
        by_C = (0, 2, 1)  # (n_folds, n_Cs, n_l1_ratios): the legacy order
        paths = [coefs[:, :, :, k].transpose(*by_C, 3) for k in range(n_classes)]
        scores, n_iter = scores.transpose(by_C), n_iter.transpose(by_C)[None]
        if no_l1_axis:
            paths = [path[:, :, 0] for path in paths]
            scores, n_iter = scores[:, :, 0], n_iter[:, :, :, 0]
        keys = self.classes_[1:] if n_classes == 1 else self.classes_
        self.coefs_paths_ = dict(zip(keys, paths))
        self.scores_ = {key: scores.copy() for key in keys}
        self.n_iter_ = n_iter
        self.C_ = np.repeat(np.asarray([C]), n_classes)
        self.l1_ratio_ = np.repeat(np.asarray([l1_ratio]), n_classes)

    def to_dict(self) -> dict:
        """The fitted model as JSON-ready data: the chosen model (what :meth:`predict` uses)
        and the search's outcome, ``C_`` and ``l1_ratio_``. The folds' paths, scores and
        iterations are not saved. Array parameters (``Cs``, ``l1_ratios``) are saved as
        lists; a splitter or a scorer object as ``cv`` or ``scoring`` cannot be: set them
        to a number or a name before saving."""
        data = super().to_dict()
        data["search"] = {name: np.asarray(getattr(self, name)).tolist() for name in SEARCH_OUTCOME}
        return data

    @classmethod
    def _from_checked(cls, data: dict) -> LogisticRegressionCV:
        """The saved model with its ``C_`` and ``l1_ratio_`` (a file without them, as
        ``LogisticRegression.save`` writes, loads without them)."""
        model = super()._from_checked(data)
        search = data.get("search")
        if search is not None:
            for name, value in search_outcome(search).items():
                setattr(model, name, value)
        return model

    def score(self, X, y, sample_weight=None, **score_params) -> float:
        """The ``scoring`` score (accuracy when ``None``) of the fitted model on ``(X, y)``.

        Parameters
        ----------
        X : {array_like, sparse matrix} of shape (n_samples, n_features)
        y : array_like of shape (n_samples,)
        sample_weight : array_like of shape (n_samples,), optional
        **score_params : dict
            Passed to the scorer (scikit-learn's metadata routing).

        Returns
        -------
        float
        """
        _raise_for_params(score_params, self, "score")
        if sample_weight is not None:
            score_params["sample_weight"] = sample_weight
        if _routing_enabled():
            score_params = process_routing(self, "score", **score_params).scorer.score
        else:
            weights = score_params.get("sample_weight")
            score_params = {} if weights is None else {"sample_weight": weights}
        return self._get_scorer()(self, X, y, **score_params)

    def get_metadata_routing(self) -> MetadataRouter:
        """The metadata routing of this object: ``fit`` routes to the splitter and the scorer,
        ``score`` to the scorer (scikit-learn's).

        Returns
        -------
        sklearn.utils.metadata_routing.MetadataRouter
        """
        return (
            MetadataRouter(owner=self)
            .add_self_request(self)
            .add(splitter=self.cv, method_mapping=MethodMapping().add(caller="fit", callee="split"))
            .add(scorer=self._get_scorer(), method_mapping=MethodMapping()
                 .add(caller="score", callee="score").add(caller="fit", callee="score"))
        )

    def _get_scorer(self):
        """The scorer of ``scoring`` (accuracy for ``None`` and the default)."""
        return get_scorer("accuracy" if self.scoring in (None, "warn") else self.scoring)

    # scikit-learn 1.9's: score's sample_weight is a parameter of its own, not routed metadata
    __metadata_request__score = {"sample_weight": UNUSED}


def _fit_l1_ratio(penalty: str, l1_ratio) -> float:
    """The ``l1_ratio`` a fit runs at: the penalty's own, or the elastic net's value."""
    return {"l1": 1.0, "l2": 0.0}.get(penalty, 0.0 if l1_ratio is None else float(l1_ratio))


def _start(model: LogisticRegression, problem: _Problem, row: np.ndarray):
    """A fit's ``(w0, b0)`` from a path row ``[coef | intercept]`` of shape (1 or K, n_dof)."""
    n_features = model.n_features_in_
    coef = np.asarray(row[:, :n_features], dtype=np.float64)
    intercept = row[:, n_features] if model.fit_intercept else np.zeros(row.shape[0])
    if problem.name.penalised_intercept and model.fit_intercept:  # the constant feature's coefficient
        coef = np.hstack([coef, intercept[:, None] / model.intercept_scaling])
        intercept = np.zeros(row.shape[0])
    if row.shape[0] == 1:
        return coef[0], float(intercept[0])
    return coef, np.asarray(intercept, dtype=np.float64)


def _fit(model: LogisticRegression, problem: _Problem, C: float, l1_ratio: float, w0, b0):
    """``(w, b, n_iter, costs)`` of one fit; ``max_iter=0`` returns the start, with the
    estimator's warning."""
    if model.max_iter == 0:
        warn_max_iter_zero(model.solver, stacklevel=3)
        return np.asarray(w0, dtype=problem.X_t.dtype), b0, 0, np.array([])
    result = model._solve(problem, C, l1_ratio, w0, b0)
    return result.w, result.b, result.n_iter, result.costs


def _fold_path(model: LogisticRegressionCV, X, y, labels, weights, sample_weight, classes,
               name: SklearnName, train, test, Cs, l1_ratio: float, scoring, score_params):
    """One fold's path: ``(coefs (n_Cs, 1 or K, n_dof), scores (n_Cs,), n_iter (n_Cs,))``.

    The fits run over ``Cs`` in order, each from the previous one's
    coefficients; the test rows are scored at each.
    """
    problem = model._problem(X[train].T, labels[train], None if weights is None else weights[train],
                             classes, name)
    w, b = problem.zero_start()
    coefs, n_iter = [], []
    with shared_evaluations():  # each fit's first evaluation is the previous one's last
        for C in Cs:
            w, b, iterations, _ = _fit(model, problem, float(C), l1_ratio, w, b)
            coef, intercept = model._coefficients(w, b, np.float64, name)
            coefs.append(np.hstack([coef, intercept[:, None]]) if model.fit_intercept else coef)
            n_iter.append(iterations)
    coefs = np.asarray(coefs)
    return coefs, _fold_scores(X, y, labels, sample_weight, classes, test, scoring, score_params,
                               model, Cs, coefs), np.asarray(n_iter)


def _fold_scores(X, y, labels, sample_weight, classes, test, scoring, score_params, model, Cs,
                 coefs) -> np.ndarray:
    """The scores of the path's models (``coefs``: (n_Cs, 1 or K, n_dof)) on the fold's test rows.

    Accuracy (``scoring`` None or ``"accuracy"``, no metadata but the
    weights) is computed here for every ``C`` from one product of the test
    rows with all the coefficients: the predictions ``LogisticRegression``
    makes, their weighted share of the test labels, as scikit-learn's
    ``accuracy_score`` averages them (its checks cost more than a path's fits
    on small data). Any other scorer scores a ``LogisticRegression`` holding
    each ``C``'s coefficients.
    """
    n_features, rows = X.shape[1], coefs.shape[1]
    weights = None if sample_weight is None else sample_weight[test]
    if scoring in (None, "accuracy") and set(score_params or {}) <= {"sample_weight"}:
        if scoring == "accuracy":  # the scorer's weights: those routed to it, if any
            weights = _check_method_params(X, params=score_params or {}, indices=test).get(
                "sample_weight")
        z = X[test] @ coefs[:, :, :n_features].reshape(-1, n_features).T  # (n_test, n_Cs * rows)
        if model.fit_intercept:
            z += coefs[:, :, n_features].reshape(-1)
        z = z.reshape(z.shape[0], coefs.shape[0], rows)
        predicted = z.argmax(axis=2) if rows > 1 else (z[:, :, 0] > 0).astype(np.intp)
        correct = predicted == labels[test].astype(np.intp)[:, None]
        return np.array([np.average(correct[:, c], weights=weights) for c in range(coefs.shape[0])])
    score = _fold_scorer(X, y, weights, classes, test, scoring, score_params)
    scorer_model = LogisticRegression(solver=model.solver)
    scorer_model.classes_, scorer_model.n_features_in_ = classes, n_features
    scores = []
    for C, coef in zip(Cs, coefs):
        scorer_model.C = C
        scorer_model.coef_ = coef[:, :n_features]
        scorer_model.intercept_ = coef[:, n_features] if model.fit_intercept else np.zeros(rows)
        scores.append(score(scorer_model))
    return np.asarray(scores, dtype=np.float64)


def _fold_scorer(X, y, weights, classes, test, scoring, score_params):
    """The function scoring a model on the fold's test rows, as scikit-learn's path scores it:
    accuracy with the test rows' ``weights`` for ``scoring=None``; otherwise the scorer,
    told every class (``labels=``) where its metric takes them, since a fold may miss one."""
    X_test, y_test = X[test], y[test]
    if scoring is None:
        return lambda model: model.score(X_test, y_test, sample_weight=weights)
    scorer = get_scorer(scoring)
    params = _check_method_params(X, params=score_params or {}, indices=test)
    metric = getattr(scorer, "_score_func", None)
    if metric is not None and "labels" in inspect.signature(metric).parameters:
        keywords = dict(getattr(scorer, "_kwargs", {}))
        if classes.size <= 2 and "pos_label" in inspect.signature(metric).parameters:
            keywords["pos_label"] = classes[-1]
        scorer = make_scorer(metric, greater_is_better=scorer._sign == 1,
                             response_method=scorer._response_method, labels=classes, **keywords)
    return lambda model: scorer(model, X_test, y_test, **params)

