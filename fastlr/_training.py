"""``fastlr.train``: gradient descent over any kernel, validated once.

The loop the course notes cannot vectorise away::

    repeat: dw, db, cost = gradient(w, b);  w -= lr dw;  b -= lr db

- ``costs[k]`` is the cost before the k-th update; ``n_iter`` gradients are
  computed. Training stops, ``converged=True``, at the first iterate whose
  gradient has ``max(|dw|, |db|) <= tol``, and returns that iterate.
- ``learning_rate="auto"`` is ``1/L``, with ``L`` the Lipschitz constant of
  the gradient: the largest eigenvalue of ``[X; 1] diag(s) [X; 1]ᵀ``
  (found by power iteration) over ``4 sum(s)``, plus ``alpha``. The row of
  ones accounts for the bias, without which the bound does not hold.
  With ``1/L`` the cost never rises.
- Both solvers run on an :class:`~fastlr._objective.Objective`: the data in
  memory, or Dask chunks on a cluster (``fastlr._dask.objective``), one
  map-reduce per evaluation.
- A kernel with a compiled loop (``Kernel.train``) runs its iterations
  without Python, for data in memory, in slices of about 0.1 s so that
  Ctrl-C is seen between them; the others, Dask input, and any run with a
  ``callback``, loop here.
- Validation happens once, before the loop. A cost or gradient that stops
  being finite raises ``FloatingPointError`` naming the iteration (or
  ``ValueError`` naming X when X holds NaN or inf); NaN coefficients are
  never returned. Reaching ``max_iter`` warns with ``ConvergenceWarning``.
"""

from __future__ import annotations

import math
import numbers
import warnings
from dataclasses import dataclass
from functools import partial
from typing import Any, Callable

import numpy as np
from numpy.typing import ArrayLike

from ._dask.input import is_dask_array
from ._loss import loss_of
from ._objective import Objective, curvature_image, in_memory, weight_total
from ._registry import AUTO_KERNEL, Kernel, lookup_kernel, resolve
from ._solvers import Solver, get_solver, solver_names
from ._sparse import by_example, is_sparse
from .kernels import CONVERGED, MAX_ITER, NOT_FINITE
from ._validation import as_matrix, is_finite_result, real_scalar
from ._warnings import convergence_warning, not_converged_text

__all__ = ["SOLVERS", "TrainResult", "curvature_bound", "lipschitz_constant", "train"]

#: What ``solver=`` accepts (``fastlr._solvers``' table).
SOLVERS = solver_names()


@dataclass(frozen=True)
class TrainResult:
    """What :func:`fastlr.train` returns.

    Attributes
    ----------
    w : ndarray, shape (n_x,) or the shape of ``w0``, dtype of X
        For the multinomial problem (``n_classes=K``): ``W``, shape (K, n_x).
    b : float, or ndarray of float64, shape (K,) for the multinomial problem
    costs : ndarray of float64, shape (n_iter,)
        The cost before each update.
        For ``solver="lbfgs"``, ``"newton-cholesky"``, ``"newton-cg"`` and ``"prox-newton"``:
        the cost at the start and after each iteration (``n_iter + 1``
        values); with ``l1_ratio > 0`` it includes the L1 term.
    n_iter : int
        Gradient steps (``"gd"``), L-BFGS iterations (``"lbfgs"``),
        Newton steps (``"newton-cholesky"``, ``"newton-cg"``, plus L-BFGS's
        iterations when it finished the fit), or proximal Newton steps
        (``"prox-newton"``).
    converged : bool
        Whether ``max(|dw|, |db|) <= tol`` was reached (with an L1 term: the
        largest violation of the optimality conditions).
    learning_rate : float
        The step used (the computed one for ``"auto"``); NaN for the other
        solvers, which search their own steps.
    kernel : str
        The kernel that ran (for ``"newton-cholesky"``: the one whose
        Hessian op ran).
    solver : str
        ``"gd"``, ``"lbfgs"``, ``"newton-cholesky"`` or ``"prox-newton"``.
    """

    w: np.ndarray
    b: float | np.ndarray
    costs: np.ndarray
    n_iter: int
    converged: bool
    learning_rate: float
    kernel: str
    solver: str = "gd"


def lipschitz_constant(X: np.ndarray, sample_weight: np.ndarray | None, alpha: float) -> float:
    """Bound on the curvature of the cost of an in-memory problem (see :func:`curvature_bound`)."""
    return curvature_bound(partial(curvature_image, X, sample_weight), X.shape[0],
                           weight_total(sample_weight, X.shape[1]), alpha)


def curvature_bound(curvature: Callable[[np.ndarray], np.ndarray], n_x: int, total: float,
                    alpha: float, max_power_iter: int = 50, rtol: float = 1e-4,
                    hessian_factor: float = 0.25) -> float:
    """Bound on the curvature of the cost: ``lambda_max([X; 1] S [X; 1]ᵀ) / (4 sum(s)) + alpha``.

    ``curvature(v)`` applies that matrix (it reads X twice). ``sigmoid' <= 1/4``
    bounds the Hessian by it (``hessian_factor``; the softmax's is 1/2, see
    :attr:`~fastlr._objective.Objective.hessian_factor`). Power iteration from a positive vector converges
    to its largest eigenvalue from below; with the 1/4 bound (rarely tight), a
    step of ``1/L`` stays well under the ``2/L`` at which descent could fail.
    """
    v = np.full(n_x + 1, 1.0 / math.sqrt(n_x + 1))
    estimate = 0.0
    for _ in range(max_power_iter):
        image = curvature(v)
        previous, estimate = estimate, float(np.linalg.norm(image))
        if estimate == 0.0 or not math.isfinite(estimate):
            break
        v = image / estimate
        if abs(estimate - previous) <= rtol * estimate:
            break
    return estimate * hessian_factor / total + alpha


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer; got {type(value).__name__} {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be >= 1; got {value!r}")
    return int(value)


def _learning_rate(value: Any, objective: Objective) -> float:
    if isinstance(value, str):
        if value != "auto":
            raise ValueError(f"learning_rate must be 'auto' or a number > 0; got {value!r}")
        return 1.0 / curvature_bound(objective.curvature, objective.features,
                                     objective.total_weight, objective.alpha,
                                     hessian_factor=objective.hessian_factor)
    return real_scalar("learning_rate", value, low=0.0, low_inclusive=False)


def _python_loop(objective: Objective, learning_rate: float, max_iter: int, tol: float,
                 fit_intercept: bool, callback: Callable[..., Any] | None):
    """The same iteration as the compiled loops, one evaluation per step."""
    evaluate, dtype = objective.evaluate, objective.dtype
    w = objective.w.astype(np.float64)
    b = objective.b
    costs = np.empty(max_iter)
    status = MAX_ITER
    n_iter = 0
    for iteration in range(max_iter):
        w_k = w.astype(dtype, copy=False)
        dw, db, cost = evaluate(w_k, b)
        costs[iteration] = cost
        n_iter = iteration + 1
        if not is_finite_result(dw, db, cost):
            status = NOT_FINITE
            break
        if callback is not None:
            callback(n_iter, w_k, b, cost)
        largest_db = float(np.max(np.abs(db))) if fit_intercept else 0.0
        if max(largest_db, float(np.abs(dw).max(initial=0.0))) <= tol:
            status = CONVERGED
            break
        with np.errstate(over="ignore", invalid="ignore"):  # a divergence shows next iteration
            w -= learning_rate * dw
            if fit_intercept:
                b = b - learning_rate * db  # a new array for K intercepts: the start is not modified
    return w, b, costs[:n_iter], status


def train(
    X: ArrayLike,
    Y: ArrayLike,
    kernel: str | Kernel = "auto",
    alpha: float = 0.0,
    learning_rate: float | str = "auto",
    max_iter: int = 1000,
    tol: float = 1e-6,
    sample_weight: ArrayLike | None = None,
    w0: ArrayLike | None = None,
    b0: float = 0.0,
    callback: Callable[[int, np.ndarray, float, float], Any] | None = None,
    solver: str = "gd",
    fit_intercept: bool = True,
    n_classes: int | None = None,
    l1_ratio: float = 0.0,
) -> TrainResult:
    """Fit logistic regression by gradient descent, or by L-BFGS; binary, or multinomial with ``n_classes``.

    Parameters
    ----------
    X : array_like or scipy.sparse matrix, shape (n_x, m)
        Features, one example per column, as for :func:`fastlr.gradient`.
        A sparse X is walked by example: CSC as it is, CSR converted to CSC
        once (a copy of its entries, never a dense array). A
        ``dask.array.Array`` (chunked along the examples) is persisted once on
        the cluster; each iteration then sends ``w`` to the chunks and gets
        back ``n_x + 3`` numbers per chunk (the loop runs here, in Python).
    Y : array_like, shape (m,) or (1, m); or (m,) or (K, m) with ``n_classes``
        Labels in [0, 1]. With ``n_classes=K``: class labels, integers in
        ``[0, K)``, or ``(K, m)`` probabilities whose columns sum to 1, as
        for :func:`fastlr.softmax_gradient`.
    kernel : str or Kernel, default "auto"
        The gradient kernel; ``"auto"`` picks from X as :func:`fastlr.gradient`
        does (the kernel that ran is ``TrainResult.kernel``). ``numba`` and
        ``numba-parallel`` run the loop compiled (in slices of about 0.1 s,
        between which Ctrl-C raises ``KeyboardInterrupt``).
    alpha : float, default 0.0
        Penalty strength, ``>= 0``: the L2 term ``alpha/2 ||w||^2``, or with
        ``l1_ratio`` scikit-learn's elastic net ``alpha (l1_ratio ||w||_1 +
        (1 - l1_ratio)/2 ||w||^2)``.
    learning_rate : float or "auto", default "auto"
        The step; ``"auto"`` is ``1/L`` (see the module docstring), with
        which the cost never rises.
    max_iter : int, default 1000
        Most gradients to compute, ``>= 1``.
    tol : float, default 1e-6
        Stop once ``max(|dw|, |db|) <= tol``.
    sample_weight : array_like of shape (m,), optional
        Non-negative per-example weights.
    w0, b0 : initial weights (default zeros, shape (n_x,) or (n_x, 1)) and bias.
        With ``n_classes=K``: ``W0`` of shape (K, n_x) and ``b0`` of shape
        (K,) or one number for every class.
    callback : callable, optional
        ``callback(iteration, w, b, cost)`` after each gradient (1-based
        iteration, the weights that gradient was taken at). Runs the loop in
        Python, for every kernel. With ``"lbfgs"``: after each iteration.
    solver : {"gd", "lbfgs", "newton-cholesky", "newton-cg", "prox-newton"}, default "gd"
        ``"gd"``: the notes' gradient descent (``learning_rate`` applies).
        ``"lbfgs"``: scipy's L-BFGS-B, one fused kernel call (cost and
        gradient) per evaluation, stopping as scikit-learn's ``lbfgs`` does
        (largest gradient component ``<= tol``); far fewer iterations to
        the same optimum. Needs scipy.
        ``"newton-cholesky"``: scikit-learn's Newton solver of that name
        (``fastlr._newton``): one pass per step for the cost, gradient and
        Hessian together (the kernel's Hessian op), the step by Cholesky,
        a backtracking line search; stops when the largest gradient
        component and half the Newton decrement are ``<= tol``. Fewest
        passes with few features (up to a few hundred); X in memory (NumPy
        or scipy.sparse). With ``n_classes``: the block Hessian, ``K (n_x +
        1)`` square (``numpy`` only), as scikit-learn's multinomial
        newton-cholesky (the last class's intercept, and without penalty
        its weights, held at 0 during the fit; classes summing to 0 in the
        result). Needs scipy.
        ``"newton-cg"``: scikit-learn's truncated Newton of that name
        (``fastlr._newton_cg``): per step, conjugate gradients on
        Hessian-vector products (the kernel's Gram product op: one pass
        over X per product for the compiled kernels), preconditioned by the
        Hessian's diagonal, never forming the Hessian; a backtracking line
        search; stops when the largest gradient component is ``<= tol``.
        Few passes on ill-conditioned problems with many features (sparse
        text), where L-BFGS needs hundreds; binary or ``n_classes``, X in
        memory or Dask (each product one map-reduce).
        ``"prox-newton"``: the one solver for ``l1_ratio > 0`` (L1 and
        elastic net; ``fastlr._prox_newton``): proximal Newton steps on a
        working set of features, each a coordinate-descent solve of the
        quadratic model and a line search; stops when the largest violation
        of the optimality conditions (the gradient with the L1 term's
        subgradient) is ``<= tol``. X in memory, binary or ``n_classes``.
    fit_intercept : bool, default True
        Whether ``b`` is fitted. ``False``: ``b`` stays at ``b0`` (0 unless
        given) and only ``w`` is optimised (``db`` takes no part in the
        stopping test), with every kernel and both solvers.
    n_classes : int, optional
        ``None`` (the default): the binary problem of the course notes.
        An integer ``K >= 2``: the multinomial (softmax) problem of
        :func:`fastlr.softmax_gradient` over K classes; ``w`` and ``b`` of the
        result are then ``W (K, n_x)`` and ``b (K,)``, the stopping test
        takes the largest component of ``dW`` and ``db``, and
        ``learning_rate="auto"`` uses the softmax's curvature bound (1/2
        where the sigmoid's is 1/4). Every kernel's multinomial op runs it,
        the loop in Python (no compiled loop for K classes).
    l1_ratio : float in [0, 1], default 0.0
        The L1 share of the penalty (scikit-learn's elastic-net mixing):
        0 is L2 alone, 1 is L1 alone. ``> 0`` needs ``solver="prox-newton"``.
        ``costs`` then include the L1 term.

    Returns
    -------
    TrainResult

    Raises
    ------
    ValueError, TypeError
        For bad input, as :func:`fastlr.gradient`; and for ``learning_rate <= 0``,
        ``max_iter < 1``, ``tol < 0``.
    FloatingPointError
        When the cost becomes NaN or inf (a learning rate too large).

    Warns
    -----
    ConvergenceWarning
        When ``max_iter`` is reached before ``tol``.
    """
    named = lookup_kernel(kernel)
    row = get_solver(solver)
    max_iter = _positive_int("max_iter", max_iter)
    tol = real_scalar("tol", tol, low=0.0)
    if not isinstance(fit_intercept, (bool, np.bool_)):
        raise TypeError(f"fit_intercept must be True or False; got {type(fit_intercept).__name__} "
                        f"{fit_intercept!r}")
    fit_intercept = bool(fit_intercept)
    if n_classes is not None:
        n_classes = _positive_int("n_classes", n_classes)
        if n_classes < 2:
            raise ValueError(f"n_classes must be >= 2 (or None for the binary problem); got {n_classes!r}")
    l1_ratio = real_scalar("l1_ratio", l1_ratio, low=0.0)
    if l1_ratio > 1:
        raise ValueError(f"l1_ratio must be a number in [0, 1]; got {l1_ratio!r}")
    if l1_ratio > 0 and not row.l1:
        l1_solvers = [name for name in SOLVERS if get_solver(name).l1]
        raise ValueError(f"l1_ratio={l1_ratio!r} (an L1 term) needs solver="
                         f"{' or '.join(map(repr, l1_solvers))}; solver={solver!r} fits an L2 "
                         "penalty only")
    alpha = real_scalar("alpha", alpha, low=0.0)
    l1, alpha = alpha * l1_ratio, alpha * (1.0 - l1_ratio)
    if not row.dask and is_dask_array(X):
        raise ValueError(f"solver={solver!r} fits X in memory (NumPy or scipy.sparse); "
                         "for a Dask array use solver='lbfgs'")
    loss = loss_of(n_classes)
    if is_dask_array(X):
        from ._dask.objective import dask_objective

        if row.products and named is not AUTO_KERNEL:
            resolve(named, loss.op("product"), None)  # the error that names the kernels offering the op
        objective = dask_objective(named, X, Y, alpha=alpha, sample_weight=sample_weight,
                                   w0=w0, b0=b0, n_classes=n_classes)
    else:
        X = _for_training(as_matrix(X))
        problem = loss.validate(X, Y, w0, b0, alpha=alpha, sample_weight=sample_weight,
                                n_classes=n_classes)
        classes = loss.classes(problem)
        loop = row.minimizer is not None  # a second-order solver: Python between the calls
        kernels = {role: resolve(named, loss.op(role), problem.X, classes, solver_loop=loop)
                   for role in row.roles}
        objective = in_memory(loss, problem, kernels, l1=l1)
    if row.minimizer is not None:
        return _train_second_order(objective, row, max_iter, tol, fit_intercept, callback)
    step = _learning_rate(learning_rate, objective)

    if objective.compiled_train is not None and callback is None:
        w, b, costs, status = objective.compiled_train(step, max_iter, tol, fit_intercept)
    else:
        w, b, costs, status = _python_loop(objective, step, max_iter, tol, fit_intercept, callback)

    if status == NOT_FINITE:
        if costs.size == 1:  # the starting point: the input itself is at fault
            objective.explain_non_finite()
        raise FloatingPointError(
            f"training diverged: the cost became {costs[-1]} at iteration {costs.size} "
            f"(learning_rate={step:g}); use a smaller learning rate, or learning_rate='auto'"
        )
    converged = status == CONVERGED
    if not converged:
        warnings.warn(
            f"gradient descent stopped at max_iter={max_iter} before reaching tol={tol:g}; "
            "increase max_iter, or scale the features",
            convergence_warning(),
            stacklevel=2,
        )
    return TrainResult(
        w=w.astype(objective.dtype).reshape(objective.w_shape),
        b=_intercept(b, objective),
        costs=costs,
        n_iter=int(costs.size),
        converged=converged,
        learning_rate=step,
        kernel=objective.kernel,
    )


def _for_training(X: Any) -> Any:
    """The validated X as training walks it: a sparse X by example (CSC), see ``fastlr._sparse.by_example``."""
    return by_example(X) if is_sparse(X) else X


def _intercept(b: Any, objective: Objective) -> float | np.ndarray:
    """The fitted intercept: a float, or a new (K,) float64 array for the multinomial problem."""
    return np.array(b, dtype=np.float64) if objective.n_classes else float(b)


def _train_second_order(objective: Objective, row: Solver, max_iter: int, tol: float,
                        fit_intercept: bool, callback: Callable[..., Any] | None) -> TrainResult:
    """``solver="lbfgs"`` or ``"newton-cholesky"`` (which may hand over to L-BFGS: its message says so)."""
    solver = row.name
    w, b, costs, status, n_iter, message = row.minimize()(objective, max_iter, tol, fit_intercept,
                                                          callback)
    if status == NOT_FINITE:
        raise FloatingPointError(
            f"{'L-BFGS' if solver == 'lbfgs' else 'Newton'} diverged: the cost became infinite or "
            "NaN although the start was finite; rescale X (for example, standardise its features)"
        )
    converged = status == CONVERGED
    if not converged:
        text = not_converged_text(solver, status == MAX_ITER and n_iter == max_iter, n_iter,
                                  max_iter, tol, message)
        warnings.warn(text, convergence_warning(), stacklevel=3)
    return TrainResult(
        w=w.astype(objective.dtype).reshape(objective.w_shape),
        b=_intercept(b, objective),
        costs=costs,
        n_iter=n_iter,
        converged=converged,
        learning_rate=math.nan,
        kernel=objective.kernel,
        solver=solver,
    )
