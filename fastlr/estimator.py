"""``fastlr.LogisticRegression``: scikit-learn's classifier, same parameters, over fastlr's kernels.

The constructor is scikit-learn 1.9's ``LogisticRegression`` (same names,
defaults and meaning), plus ``kernel`` and, for ``solver="gd"``,
``learning_rate``; changing the import is meant to be the only change a
scikit-learn user makes. ``solver=`` takes every name scikit-learn takes;
a name selects the problem scikit-learn's solver of that name solves, not
the algorithm (``fastlr._solvers.SKLEARN_NAMES``): ``"newton-cg"`` is
lbfgs's objective by Newton steps, solved by Cholesky while the binary
problem's Hessian is small (at most 79 features, in memory), else by
fastlr's truncated Newton (``fastlr._newton_cg``), ``"sag"`` lbfgs's
objective by L-BFGS, ``"saga"`` also L1 and elastic net (proximal Newton:
``fastlr._prox_newton``), ``"liblinear"`` its own objective, the intercept
a penalised coefficient of a constant feature ``intercept_scaling`` (a copy
of X with that column), binary only, L2 (Newton-Cholesky while the Hessian
is small, else truncated Newton) or L1, stopped by liblinear's rule.
Penalties a name refuses raise scikit-learn's messages.
Two classes (of any label type, mapped to 0/1 in the order of ``classes_``)
are fitted with the binomial loss, more with the multinomial (softmax) loss,
as scikit-learn 1.9's ``lbfgs`` does: ``coef_`` is then ``(K,
n_features)``, ``intercept_`` ``(K,)``, ``decision_function`` ``(n_samples,
K)``, and ``predict_proba`` its softmax. X is NumPy-like, scipy.sparse
(CSR or CSC as it is, other formats converted to CSR once; never
densified), or a Dask array.

X is ``(n_samples, n_features)``, as scikit-learn expects; the kernels get
``X.T``, a view (a C-ordered X becomes the examples-contiguous layout the
numba kernels stream in one fused pass), never a copy.

The objective is scikit-learn's, scaled as its ``lbfgs`` solver scales it::

    sum(s * loss) / sum(s) + (l1_ratio ||w||_1 + (1 - l1_ratio)/2 ||w||^2) / (C sum(s)),
    s = sample_weight * class_weight

which is fastlr's ``mean(s * loss) + alpha (l1_ratio ||w||_1 + (1 -
l1_ratio)/2 ||w||^2)`` (``fastlr.train``) with ``alpha = 1 / (C sum(s))``;
``C=np.inf`` is no penalty. The intercept
is not penalised. The ``lbfgs`` stopping rule (largest gradient component
``<= tol``) is scikit-learn's on the same scale, so both stop at the same
point to within the solvers' rounding.

A fitted model saves to JSON with :meth:`LogisticRegression.save` and comes
back with :meth:`LogisticRegression.load` (what ``fastlr train --output``
writes).
"""

from __future__ import annotations

import math
import os
import warnings
from numbers import Integral, Real
from typing import Any, NamedTuple

import numpy as np
import scipy.sparse
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.linear_model._base import SparseCoefMixin
from sklearn.utils._param_validation import Hidden, Interval, StrOptions
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from ._callbacks import CALLBACK_SOLVER, CallbackSupportMixin, FitTasks
from ._dask.estimator import check_classes, dask_fit_input, is_dask_array, lazy_take
from ._model_file import check_model, model_dict, model_params, read_model, write_model
from ._objective import alpha_from_C, weight_total
from ._solvers import SKLEARN_NAMES, SklearnName, sklearn_solver
from ._sparse import checked_kernel_format, is_sparse
from ._training import TrainResult, train
from ._warnings import convergence_warning, solver_words

__all__ = ["LogisticRegression"]

#: scipy.sparse formats taken as they are (``X.T`` is then CSC or CSR ``(n_x, m)``, a view); others become CSR.
_SPARSE_FORMATS = ["csr", "csc"]

#: The names ``solver=`` takes: fastlr's solvers, then scikit-learn's others (``fastlr._solvers``).
SOLVERS = tuple(name.name for name in SKLEARN_NAMES)


def _columns(first, second):
    """Two vectors side by side, shape (n, 2); Dask arrays stay Dask arrays."""
    if is_dask_array(first):
        import dask.array as da

        return da.stack([first, second], axis=1)
    return np.column_stack([first, second])


def _with_constant_row(X_t, value: float):
    """``X.T`` (``(n_x, m)``: NumPy, scipy.sparse or Dask) with a last row of ``value``, as a
    float64 copy, in the layout the kernels read fastest (X's rows contiguous, as ``X.T`` of a
    C-ordered or CSR X). The float64 row promotes a float32 X in the same copy."""
    m = X_t.shape[1]
    if is_dask_array(X_t):
        import dask.array as da

        constant = da.full((1, m), value, chunks=(1, X_t.chunks[1]), dtype=np.float64)
        return da.concatenate([X_t, constant], axis=0)
    if is_sparse(X_t):
        constant = scipy.sparse.csr_array(np.full((m, 1), value, dtype=np.float64))
        return scipy.sparse.hstack([X_t.T, constant], format="csr").T
    return np.hstack([X_t.T, np.full((m, 1), value, dtype=np.float64)]).T


def _liblinear_start(X_t, y01, weights) -> tuple[float, np.ndarray]:
    """What liblinear's stopping rule scales by: ``max(min(n_pos, n_neg), 1) / m`` and
    the absolute gradient of the mean loss at ``w = 0`` (one product with X; neither
    depends on ``C``, so a path over ``C`` computes them once)."""
    m = X_t.shape[1]
    n_pos = float((y01 > 0.5).sum())
    residual = 0.5 - y01 if weights is None else (0.5 - y01) * weights
    start = X_t @ residual / (m if weights is None else weights.sum())
    if is_dask_array(start):
        start = start.compute()
    return max(min(n_pos, m - n_pos), 1.0) / m, np.abs(np.asarray(start, dtype=np.float64))


def _liblinear_tol(start: tuple[float, np.ndarray], tol: float, l1: float) -> float:
    """fastlr's ``tol`` for liblinear's stopping rule at scikit-learn's ``tol``.

    liblinear's primal solvers stop when the norm of the (minimum-norm sub)gradient
    is at most ``tol max(min(n_pos, n_neg), 1) / m`` times its norm at the start
    (``w = 0``): the 2-norm for L2 (trust-region Newton), the 1-norm for L1
    (newGLMNET). fastlr's solvers stop on the largest entry; it is bounded
    here so that the norm meets liblinear's bound (the norms of ``n`` entries
    are at most ``sqrt(n)``, ``n`` times the largest). ``start`` is
    :func:`_liblinear_start`'s ``(share, |gradient at 0|)``.
    """
    share, gradient = start
    if l1 > 0:  # the minimum-norm subgradient at 0: soft-thresholded by the L1 strength
        return tol * share * float(np.maximum(gradient - l1, 0.0).sum()) / gradient.size
    return tol * share * float(np.sqrt((gradient ** 2).sum())) / math.sqrt(gradient.size)


class _Problem(NamedTuple):
    """What one fit solves: ``X.T`` (liblinear's: with its constant feature), the labels
    (0/1 in X's dtype, or class indices), the weights (sample times class; ``None``: all 1),
    the classes, whether a separate intercept is fitted, the ``solver=`` name's row, and
    liblinear's :func:`_liblinear_start` (``None`` for the other names)."""

    X_t: Any
    labels: Any
    weights: Any
    classes: np.ndarray
    fit_intercept: bool
    name: SklearnName
    liblinear_start: tuple[float, np.ndarray] | None = None

    def zero_start(self) -> tuple[Any, Any]:
        """``(w0, b0)`` at zero: ``(n_dof,)`` and a float for two classes, ``(K, n_dof)`` and
        ``(K,)`` for K."""
        n_dof = self.X_t.shape[0]
        if self.classes.size > 2:
            return np.zeros((self.classes.size, n_dof)), np.zeros(self.classes.size)
        return np.zeros(n_dof), 0.0


def warn_max_iter_zero(solver: str, stacklevel: int) -> None:
    """The ConvergenceWarning of a fit asked for no iterations (it returns its start)."""
    warnings.warn(f"{solver} failed to converge after 0 iteration(s): max_iter=0 returns the starting "
                  "point", convergence_warning(), stacklevel=stacklevel + 1)


def _penalty(penalty: Any, l1_ratio: Any, C: float) -> str | None:
    """The penalty scikit-learn 1.9 derives from ``penalty``, ``l1_ratio`` and ``C``, with its warnings."""
    if penalty == "deprecated":
        if l1_ratio is None:
            warnings.warn("'l1_ratio=None' was deprecated in version 1.8 and will trigger an error "
                          "in 1.10. Use 0<=l1_ratio<=1 instead.", FutureWarning, stacklevel=3)
        if l1_ratio == 0 or l1_ratio is None:
            derived = "l2"
        elif l1_ratio == 1:
            derived = "l1"
        else:
            derived = "elasticnet"
        return None if C == np.inf else derived
    warnings.warn(
        "'penalty' was deprecated in version 1.8 and will be removed in 1.10. To avoid this "
        "warning, leave 'penalty' set to its default value and use 'l1_ratio' or 'C' instead. "
        "Use l1_ratio=0 instead of penalty='l2', l1_ratio=1 instead of penalty='l1', l1_ratio "
        "set to a float between 0 and 1 instead of penalty='elasticnet', and C=np.inf instead "
        "of penalty=None.", FutureWarning, stacklevel=3)
    if penalty != "elasticnet" and l1_ratio is not None and 0 < l1_ratio < 1:
        warnings.warn(f"l1_ratio parameter is only used when penalty is 'elasticnet'. Got "
                      f"(penalty={penalty})", stacklevel=3)
    if (penalty == "l2" and l1_ratio != 0) or (penalty == "l1" and l1_ratio != 1):
        warnings.warn(f"Inconsistent values: penalty={penalty} with l1_ratio={l1_ratio}. penalty "
                      "is deprecated. Please use l1_ratio only.", stacklevel=3)
    if penalty == "elasticnet" and l1_ratio is None:
        raise ValueError("l1_ratio must be specified when penalty is elasticnet.")
    if penalty is None and C != 1.0:
        warnings.warn("Setting penalty=None will ignore the C and l1_ratio parameters", stacklevel=3)
    return penalty


class LogisticRegression(CallbackSupportMixin, SparseCoefMixin, ClassifierMixin, BaseEstimator):
    """Binary logistic regression, scikit-learn's estimator trained on a fastlr kernel.

    The parameters are scikit-learn 1.9's ``LogisticRegression``'s, with the
    same defaults; those listed briefly are accepted for compatibility.

    Parameters
    ----------
    penalty : {"l1", "l2", "elasticnet", None}, default "deprecated"
        Deprecated in scikit-learn 1.8 (warns, as there): use ``l1_ratio``
        and ``C`` (``C=np.inf`` for no penalty).
    C : float, default 1.0
        Inverse of the penalty strength, ``> 0``; ``np.inf``: no penalty.
        The objective is ``sum(s loss)/sum(s) + (l1_ratio ||w||_1 + (1 -
        l1_ratio)/2 ||w||^2) / (C sum(s))``.
    l1_ratio : float in [0, 1], default 0.0
        The elastic-net mixing: 0 is L2, 1 is L1. ``> 0`` needs
        ``solver="prox-newton"`` (or ``"saga"``, its scikit-learn name).
    dual : bool, default False
        Only ``False`` (the primal) is supported.
    tol : float, default 1e-4
        Stop once the largest component of the objective's gradient is
        ``<= tol`` (both solvers).
    fit_intercept : bool, default True
        Whether to fit an (unpenalised) intercept; ``False`` keeps it at 0.
    intercept_scaling : float, default 1
        ``solver="liblinear"`` only: the value of the constant feature whose
        (penalised) coefficient times ``intercept_scaling`` is the intercept.
    class_weight : dict, "balanced" or None, default None
        Weights per class, multiplied into ``sample_weight``. ``"balanced"``
        weights classes inversely to their (sample-weighted) totals, as
        scikit-learn 1.9 does.
    random_state : int, RandomState or None, default None
        Unused (fastlr's solvers are deterministic), as for scikit-learn's lbfgs.
    solver : {"lbfgs", "newton-cholesky", "newton-cg", "gd", "prox-newton", "sag", "saga", \
"liblinear"}, default "lbfgs"
        ``"lbfgs"``: scipy's L-BFGS-B, one fused kernel call (cost and
        gradient) per evaluation, run as scikit-learn runs it.
        ``"newton-cholesky"``: scikit-learn's Newton solver of that name,
        each step one fused pass for the cost, gradient and Hessian
        (``n_features + 1`` square; ``K (n_features + 1)`` for K > 2
        classes), solved by Cholesky; the fastest with few features and
        many L-BFGS iterations (the user guide's solvers page: where it
        stops paying). ``"gd"``: the course notes' gradient descent
        (``learning_rate`` applies); one to two orders of magnitude more
        gradients to the same optimum. ``"prox-newton"``: proximal Newton
        steps on a working set of features (coordinate descent on the
        quadratic model, then a line search), the solver for L1 and elastic
        net, any penalty; ``"saga"`` names it too (scikit-learn's saga
        minimises the same objective). ``n_iter_`` then counts its outer
        steps, not saga's epochs. ``"newton-cg"``: scikit-learn's truncated
        Newton, each step conjugate gradients on Hessian-vector products
        (one fused pass over X per product, never the Hessian itself),
        preconditioned by the Hessian's diagonal; the fastest on
        ill-conditioned problems with many features (sparse text), where
        L-BFGS needs hundreds of iterations. On a binary problem of at
        most 79 features in memory, where forming the Hessian costs less
        than the products, its steps are ``"newton-cholesky"``'s (the same
        optimum; ``n_iter_`` counts Newton steps either way). ``"sag"``: L-BFGS (the same
        objective). ``"liblinear"``: liblinear's objective (see above).
    max_iter : int, default 100
        Most iterations, ``>= 0`` (0 returns the start, with a warning).
    verbose : int, default 0
        1 prints a summary per fit; 2 also prints the cost every iteration.
    warm_start : bool, default False
        Start ``fit`` from the previous ``coef_`` and ``intercept_``.
    n_jobs : int or None, default None
        No effect (deprecated in scikit-learn 1.8, which warns likewise).
        Threads: :func:`fastlr.set_num_threads`.
    kernel : str, default "auto"
        A name from :data:`fastlr.KERNELS`, or ``"auto"`` (the fastest here
        for the data's shape).
    learning_rate : float or "auto", default "auto"
        The gradient-descent step (``solver="gd"`` only); ``"auto"`` never
        lets the cost rise.

    Attributes
    ----------
    coef_ : ndarray of shape (1, n_features), or (K, n_features) for K > 2 classes
        In X's dtype (float32 stays float32).
    intercept_ : ndarray of shape (1,), or (K,)
    classes_ : ndarray of shape (K,)
    n_iter_ : ndarray of shape (1,), int32
        Iterations of the last ``fit``.
    loss_curve_ : ndarray
        The objective during the last ``fit`` (see :class:`fastlr.TrainResult`).
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Only when X had string column names.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> import fastlr
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> model = make_pipeline(StandardScaler(), fastlr.LogisticRegression())
    >>> round(model.fit(X, y).score(X, y), 3)
    0.988
    """

    _parameter_constraints: dict = {
        "penalty": [StrOptions({"l1", "l2", "elasticnet"}), None, Hidden(StrOptions({"deprecated"}))],
        "C": [Interval(Real, 0, None, closed="right")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both"), None],
        "dual": ["boolean"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "fit_intercept": ["boolean"],
        "intercept_scaling": [Interval(Real, 0, None, closed="neither")],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "random_state": ["random_state"],
        "solver": [StrOptions(set(SOLVERS))],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "n_jobs": [None, Integral],
        "kernel": "no_validation",  # a name or a fastlr.Kernel, checked by fastlr.train
        "learning_rate": [StrOptions({"auto"}), Interval(Real, 0, None, closed="neither")],
    }

    def __init__(self, penalty: Any = "deprecated", *, C: float = 1.0, l1_ratio: float | None = 0.0,
                 dual: bool = False, tol: float = 1e-4, fit_intercept: bool = True,
                 intercept_scaling: float = 1, class_weight: Any = None, random_state: Any = None,
                 solver: str = "lbfgs", max_iter: int = 100, verbose: int = 0,
                 warm_start: bool = False, n_jobs: int | None = None, kernel: Any = "auto",
                 learning_rate: float | str = "auto"):
        self.penalty = penalty
        self.C = C
        self.l1_ratio = l1_ratio
        self.dual = dual
        self.tol = tol
        self.fit_intercept = fit_intercept
        self.intercept_scaling = intercept_scaling
        self.class_weight = class_weight
        self.random_state = random_state
        self.solver = solver
        self.max_iter = max_iter
        self.verbose = verbose
        self.warm_start = warm_start
        self.n_jobs = n_jobs
        self.kernel = kernel
        self.learning_rate = learning_rate

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def _check_supported(self) -> tuple[float, float, SklearnName]:
        """Refuse what fastlr cannot honour; returns the effective ``C`` (``inf``: no penalty),
        ``l1_ratio`` and the row of this ``solver=`` name (``fastlr._solvers``)."""
        penalty = _penalty(self.penalty, self.l1_ratio, self.C)
        name = sklearn_solver(self.solver, penalty, self.dual)
        if self.n_jobs is not None:
            warnings.warn(f"'n_jobs' has no effect since 1.8 and will be removed in 1.10. You provided "
                          f"'n_jobs={self.n_jobs}', please leave it unspecified.", FutureWarning,
                          stacklevel=3)
        l1_ratio = {"l1": 1.0, "l2": 0.0, None: 0.0}.get(penalty, self.l1_ratio)
        return (math.inf if penalty is None else float(self.C)), float(l1_ratio), name

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None) -> LogisticRegression:
        """Fit the model.

        Parameters
        ----------
        X : {array_like, sparse matrix} of shape (n_samples, n_features)
            NumPy-like, scipy.sparse (CSR is the fastest: its ``X.T`` is the
            by-example layout of the fused sparse pass), or a
            ``dask.array.Array`` chunked along the samples.
        y : array_like of shape (n_samples,)
            Two or more classes, of any label type (more than two: the
            multinomial loss).
        sample_weight : array_like of shape (n_samples,), optional

        Returns
        -------
        self
        """
        C, l1_ratio, name = self._check_supported()
        if is_dask_array(X):
            X_t, y01, weights, classes = dask_fit_input(X, y, sample_weight, self.class_weight)
            self.n_features_in_ = X.shape[1]
            if hasattr(self, "feature_names_in_"):
                del self.feature_names_in_
        else:
            X_t, y01, weights, classes = self._in_memory_fit_input(X, y, sample_weight)
        self.classes_ = classes
        problem = self._problem(X_t, y01, weights, classes, name)
        w0, b0 = problem.zero_start()
        rows = classes.size if classes.size > 2 else 1
        if (self.warm_start and not name.penalised_intercept and hasattr(self, "coef_")
                and self.coef_.shape == (rows, problem.X_t.shape[0])):
            w0 = np.asarray(self._dense_coef(), dtype=np.float64)
            b0 = np.asarray(self.intercept_ if self.fit_intercept else np.zeros(rows), dtype=np.float64)
            if rows == 1:
                w0, b0 = w0[0], float(b0[0])
        tasks = FitTasks(self, X if is_dask_array(X) else X_t.T, y, sample_weight, self.max_iter)
        tasks.begin(w0, b0)
        if self.max_iter == 0:
            dtype = problem.X_t.dtype
            self._set_fitted(w0.astype(dtype), b0, dtype, 0, np.array([]), name)
            tasks.end(0, w0, b0)
            warn_max_iter_zero(self.solver, stacklevel=2)
            return self
        result = self._solve(problem, C, l1_ratio, w0, b0, self._iteration_callback(tasks))
        self._set_fitted(result.w, result.b, result.w.dtype, result.n_iter, result.costs, name)
        tasks.end(result.n_iter, result.w, result.b)
        if self.verbose:
            print(f"fastlr: {result.n_iter} {result.solver} iterations with kernel {result.kernel!r}, "
                  f"final cost {result.costs[-1]:.6g}, converged={result.converged}")
        return self

    def _problem(self, X_t, labels, weights, classes, name: SklearnName) -> _Problem:
        """The problem this ``solver=`` name solves on the validated ``(X.T, labels, weights)``:
        liblinear's gains its constant feature here (one copy of X), once for every ``C``."""
        fit_intercept = self.fit_intercept
        if name.penalised_intercept:
            X_t, labels, fit_intercept = self._liblinear_problem(X_t, labels, classes)
            return _Problem(X_t, labels, weights, classes, fit_intercept, name,
                            _liblinear_start(X_t, labels, weights))
        return _Problem(X_t, labels, weights, classes, fit_intercept, name)

    def _solve(self, problem: _Problem, C: float, l1_ratio: float, w0, b0,
               callback=None) -> TrainResult:
        """One fit of ``problem`` at ``C`` and ``l1_ratio`` from ``(w0, b0)``, by
        :func:`fastlr.train` (ConvergenceWarnings in the words of this ``solver=`` name)."""
        X_t, name = problem.X_t, problem.name
        alpha = alpha_from_C(C, weight_total(problem.weights, X_t.shape[1]))  # a Dask sum is computed here
        tol = self.tol
        if name.penalised_intercept:
            tol = _liblinear_tol(problem.liblinear_start, self.tol, l1_ratio * alpha)
        n_classes = problem.classes.size
        solver = name.solver(l1_ratio > 0, X_t.shape[0], n_classes, not is_dask_array(X_t))
        words = solver_words.set(self.solver)
        try:
            return train(
                X_t, problem.labels, kernel=self.kernel, alpha=alpha,
                learning_rate=getattr(self, "learning_rate", "auto"), max_iter=self.max_iter,
                tol=tol, sample_weight=problem.weights, w0=w0, b0=b0, callback=callback,
                solver=solver, fit_intercept=problem.fit_intercept,
                n_classes=n_classes if n_classes > 2 else None, l1_ratio=l1_ratio,
            )
        finally:
            solver_words.reset(words)

    def _liblinear_problem(self, X_t, y01, classes):
        """``(X.T, labels, fit_intercept)`` of liblinear's problem, as scikit-learn's ``solver="liblinear"``.

        Binary only (scikit-learn 1.9's error for more classes); float64; the
        intercept, when fitted, is the coefficient of a constant feature of
        value ``intercept_scaling``, penalised as the others: X gains that
        row (a copy of X), and the fit has no separate intercept.
        """
        if classes.size > 2:
            raise ValueError("The 'liblinear' solver does not support multiclass classification "
                             "(n_classes >= 3). Either use another solver or wrap the estimator in "
                             "a OneVsRestClassifier to keep applying a one-versus-rest scheme.")
        if X_t.max() > 1e30:
            raise ValueError("Using the 'liblinear' solver while X contains a maximum value > 1e30 "
                             "results in a frozen fit. Please choose another solver or rescale the "
                             "input X.")
        y01 = y01.astype(np.float64, copy=False)
        if not self.fit_intercept:
            return X_t.astype(np.float64, copy=False), y01, False
        return _with_constant_row(X_t, float(self.intercept_scaling)), y01, False  # one copy

    def _coefficients(self, w, b, dtype, name: SklearnName) -> tuple[np.ndarray, np.ndarray]:
        """``(coef, intercept)`` of shapes (1 or K, n_features) and (1 or K,) from a fit's
        ``(w, b)`` (liblinear's: the constant feature's coefficient is the intercept)."""
        w = np.asarray(w, dtype=dtype)
        if name.penalised_intercept and self.fit_intercept:  # the constant feature's coefficient
            w, b = w[:-1], self.intercept_scaling * float(w[-1])
        intercept = np.array(b, dtype=dtype).reshape(-1)
        coef = w.reshape(w.shape[0] if w.ndim == 2 else 1, -1)
        return coef, (intercept if self.fit_intercept else np.zeros_like(intercept))

    def _set_fitted(self, w, b, dtype, n_iter, costs, name: SklearnName) -> None:
        self.coef_, self.intercept_ = self._coefficients(w, b, dtype, name)
        self.n_iter_ = np.array([n_iter], dtype=np.int32)
        self.loss_curve_ = costs

    def _dense_coef(self) -> np.ndarray:
        """``coef_`` as an array, also after :meth:`sparsify`."""
        return self.coef_.toarray() if scipy.sparse.issparse(self.coef_) else self.coef_

    def _in_memory_fit_input(self, X, y, sample_weight):
        """``(X.T, labels, weights or None, classes)`` of NumPy-like input, validated by scikit-learn.

        The labels are 0/1 in X's dtype for two classes, int64 class indices for more.
        """
        if is_sparse(X):  # checked before scikit-learn converts it or anything reads by its indices
            X = checked_kernel_format(X, convert_to="csr")
        X, y = validate_data(self, X, y, accept_sparse=_SPARSE_FORMATS,
                             dtype=[np.float64, np.float32], order=None)
        if y.dtype.kind not in "biu":  # integer and bool labels are classes as they are (1-D here)
            check_classification_targets(y)  # 0.1 ms per fit: kept for floats, strings, objects
        classes, y_index = np.unique(y, return_inverse=True)
        check_classes(classes)
        weights = None  # the kernels' unweighted path, unless weights are given
        if sample_weight is not None:
            weights = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
        if self.class_weight is not None:
            # scikit-learn 1.9: "balanced" from the sample-weighted class totals
            per_class = compute_class_weight(self.class_weight, classes=classes, y=y,
                                             sample_weight=weights)
            weights = per_class[y_index] if weights is None else weights * per_class[y_index]
        if weights is not None and not weights.any():
            raise ValueError("sample_weight (times class_weight) is zero for every sample; "
                             "at least one sample needs a positive weight")
        labels = y_index.astype(X.dtype) if classes.size == 2 else y_index.astype(np.int64)
        return X.T, labels, weights, classes

    def _iteration_callback(self, tasks: FitTasks):
        """The callback ``fastlr.train`` calls after each iteration: the costs printed
        (``verbose >= 2``) and the callback tasks; ``None`` when neither is wanted."""
        verbose = self.verbose >= 2
        if not verbose and not tasks.active:
            return None

        def callback(iteration, w, b, cost):
            if verbose:
                print(f"iteration {iteration}: cost {cost:.10g}")
            tasks.iteration(w, b)

        return callback

    if hasattr(CallbackSupportMixin, "set_callbacks"):  # scikit-learn >= 1.9
        def set_callbacks(self, *callbacks):
            """Set callbacks (scikit-learn's experimental ``sklearn.callback`` protocol) for ``fit``.

            As scikit-learn 1.9, only ``solver="lbfgs"`` calls them (a task per
            L-BFGS iteration, with the iterate's ``coef_`` and ``intercept_``);
            other solvers warn here and ignore them.

            Parameters
            ----------
            *callbacks : callback instances
                The callbacks to set.

            Returns
            -------
            self
            """
            if self.solver != CALLBACK_SOLVER:
                warnings.warn(f"Callbacks are only supported in {type(self).__name__} for "
                              f"solver='{CALLBACK_SOLVER}'. This estimator has solver="
                              f"'{self.solver}', callbacks will be ignored during the solving of "
                              "the regression.", stacklevel=2)
            return super().set_callbacks(*callbacks)

    def decision_function(self, X) -> np.ndarray:
        """``X @ coef_.T + intercept_``: shape (n_samples,) for two classes (positive means
        ``classes_[1]``), (n_samples, K) for K > 2.

        A Dask X gives a Dask array, chunked as X's samples (so do the other
        prediction methods).
        """
        check_is_fitted(self)
        if is_dask_array(X):
            X = self._dask_prediction_input(X)
        else:
            if is_sparse(X):  # checked before the product reads by its indices
                X = checked_kernel_format(X, convert_to="csr")
            X = validate_data(self, X, reset=False, accept_sparse=_SPARSE_FORMATS,
                              dtype=[np.float64, np.float32])
        coef = self._dense_coef().astype(X.dtype, copy=False)
        if coef.shape[0] == 1:
            return X @ coef[0] + self.intercept_[0]
        return X @ coef.T + self.intercept_

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
        """Class probabilities, shape (n_samples, K), in the order of ``classes_``; rows sum to 1.

        Two classes: the sigmoid of the decision value; more: its softmax.
        """
        z = self.decision_function(X)
        if z.ndim == 2:
            e = np.exp(z - z.max(axis=1, keepdims=True))  # every exponent <= 0
            return e / e.sum(axis=1, keepdims=True)
        p = expit(z)  # a ufunc: lazy on Dask arrays, never overflows
        return _columns(1.0 - p, p)

    def _predict_proba_lr(self, X) -> np.ndarray:
        """One-vs-rest probabilities: each class's sigmoid, normalised (scikit-learn's linear classifiers' helper)."""
        p = expit(self.decision_function(X))
        if p.ndim == 1:
            return _columns(1.0 - p, p)
        return p / p.sum(axis=1, keepdims=True)

    def predict_log_proba(self, X) -> np.ndarray:
        """Log of :meth:`predict_proba`, computed stably."""
        z = self.decision_function(X)
        if z.ndim == 2:
            shifted = z - z.max(axis=1, keepdims=True)
            return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        return -_columns(np.logaddexp(0.0, z), np.logaddexp(0.0, -z))

    def predict(self, X) -> np.ndarray:
        """The most probable class of each sample."""
        z = self.decision_function(X)
        index = z.argmax(axis=1) if z.ndim == 2 else (z > 0).astype(np.intp)
        if is_dask_array(index):
            return lazy_take(self.classes_, index)
        return self.classes_[index]

    # -- persistence (format: fastlr._model_file) ------------------------------

    def to_dict(self) -> dict:
        """The fitted model as JSON-ready data."""
        check_is_fitted(self)
        if self.classes_.dtype.kind not in "biufUO":  # datetime64's tolist() may give plain integers
            raise TypeError(f"cannot save the model: its classes have dtype {self.classes_.dtype}; "
                            "a model file holds numbers and strings (map the labels to either "
                            "before fitting)")
        coef = self._dense_coef()
        binary = coef.shape[0] == 1
        return model_dict(
            params=self.get_params(),
            classes=self.classes_.tolist(),
            coef=coef[0].tolist() if binary else coef.tolist(),
            intercept=float(self.intercept_[0]) if binary else self.intercept_.tolist(),
            dtype=self.coef_.dtype.name,
            n_iter=int(np.ravel(self.n_iter_)[0]),
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
        """A fitted model from data that passed ``check_model``.

        Parameters this version does not have (``alpha``, from files written
        before the estimator took scikit-learn's ``C``) are dropped: they say
        how the model was trained, and the coefficients are read exactly.
        """
        known = cls().get_params()
        model = cls(**{key: value for key, value in model_params(data).items() if key in known})
        dtype = np.dtype(data["dtype"])
        coef = np.asarray(data["coef"], dtype=dtype)
        model.coef_ = coef.reshape(coef.shape[0] if coef.ndim == 2 else 1, -1)
        model.intercept_ = np.array(data["intercept"], dtype=dtype).reshape(-1)
        model.classes_ = np.asarray(data["classes"])
        model.n_iter_ = np.array([data["n_iter"]], dtype=np.int32)
        model.loss_curve_ = np.asarray(data["loss_curve"], dtype=np.float64)
        model.n_features_in_ = model.coef_.shape[1]
        if "feature_names" in data:
            model.feature_names_in_ = np.asarray(data["feature_names"], dtype=object)
        return model

    def save(self, path: str | os.PathLike) -> None:
        """Write the fitted model to a JSON file, atomically.

        The file is written beside ``path`` and renamed over it once complete
        and synced, so a failure (a full disk, a parameter JSON cannot hold:
        ``TypeError`` naming it, raised before anything is written) leaves an
        existing file as it was. NumPy scalars are saved as the numbers they
        hold, and dict parameters keep their keys' types.
        """
        write_model(self.to_dict(), path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> LogisticRegression:
        """Read a model written by :meth:`save` or by ``fastlr train --output``."""
        return cls._from_checked(read_model(path))  # read_model checks, naming the file
