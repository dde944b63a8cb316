"""The solvers, in one table: every layer that names a solver reads it here.

A row is a solver's name, what it is (one line, for help texts), whether it
needs the Hessian op (and so X in memory), whether it takes a Dask X, whether
it takes an L1 term (``l1_ratio > 0``), whether it needs the Gram product op
(Hessian-vector products), and how
it minimises an :class:`~fastlr._objective.Objective`: a second-order or
quasi-Newton ``minimize(objective, max_iter, tol, fit_intercept, callback)``
(``fastlr._lbfgs``, ``fastlr._newton``), or ``None`` for gradient descent,
whose loop lives in ``fastlr._training`` (and compiled, in the kernels). A new
solver is one row here and its ``minimize``; ``fastlr.train``, the estimator
and the command line take it from the table.

The rows are in the order the estimator and the command line list them, its
default (``lbfgs``) first.

scikit-learn's ``solver=`` names a problem as much as an algorithm: the
estimator takes every name scikit-learn 1.9 takes, and :data:`SKLEARN_NAMES`
says, in one more table, what each selects here: the fastlr solver that
reaches the optimum of the problem scikit-learn's solver of that name solves,
the penalties that name allows (scikit-learn's errors for the others, from
:func:`sklearn_solver`), and whether the problem is liblinear's (the
intercept a penalised coefficient of a constant feature).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Callable

__all__ = ["NEWTON", "NEWTON_SIDE_LIMIT", "SKLEARN_NAMES", "SOLVERS", "SklearnName", "Solver", "get_solver", "sklearn_solver",
           "solver_names"]


@dataclass(frozen=True)
class Solver:
    """One solver: its name, what it is, what it needs, and its ``minimize``."""

    name: str
    description: str
    hessian: bool  # needs the Hessian op, so X in memory
    dask: bool  # takes a Dask X
    minimizer: str | None  # "module:function" in this package; None: gradient descent
    l1: bool = False  # takes an L1 term (l1_ratio > 0)
    products: bool = False  # needs the Gram product op (Hessian-vector products), so X in memory

    @property
    def roles(self) -> tuple[str, ...]:
        """The parts of an evaluation it needs a kernel op for (``fastlr._loss.ROLES``): the
        sums always, the Hessian and the Hessian-vector product as its columns say."""
        return ("sums", *(("hessian",) if self.hessian else ()), *(("product",) if self.products else ()))

    def minimize(self) -> Callable:
        """The minimiser (imported on first use: scipy is imported only by a fit that needs it)."""
        if self.minimizer is None:
            raise ValueError(f"solver {self.name!r} is fastlr._training's gradient-descent loop")
        module, function = self.minimizer.split(":")
        return getattr(importlib.import_module(module, __package__), function)


SOLVERS: tuple[Solver, ...] = (
    Solver("lbfgs", "scipy's L-BFGS-B, one fused kernel call per evaluation, run as scikit-learn "
           "runs it", hessian=False, dask=True, minimizer="._lbfgs:minimize"),
    Solver("newton-cholesky", "Newton steps on the Hessian of one fused pass, solved by Cholesky "
           "(few features, X in memory)", hessian=True, dask=False, minimizer="._newton:minimize"),
    Solver("newton-cg", "truncated Newton: conjugate gradients on Hessian-vector products, never "
           "forming the Hessian (many features; Dask: one map-reduce per product)",
           hessian=False, dask=True, minimizer="._newton_cg:minimize", products=True),
    Solver("gd", "the course notes' gradient descent (learning_rate applies)", hessian=False,
           dask=True, minimizer=None),
    Solver("prox-newton", "proximal Newton steps on a working set, for L1 and elastic net "
           "(l1_ratio > 0; X in memory)", hessian=False, dask=False,
           minimizer="._prox_newton:minimize", l1=True),
)
_BY_NAME = {solver.name: solver for solver in SOLVERS}


def solver_names() -> tuple[str, ...]:
    """The names ``solver=`` accepts, in the table's order."""
    return tuple(_BY_NAME)


def get_solver(name: object) -> Solver:
    """The row of ``name``, or a ``ValueError`` listing the names there are."""
    try:
        return _BY_NAME[name]  # type: ignore[index]
    except (KeyError, TypeError):
        raise ValueError(f"solver must be one of {', '.join(map(repr, _BY_NAME))}; "
                         f"got {name!r}") from None


#: The largest Hessian side (``n_x + 1``) for which a name that means Newton steps runs
#: ``newton-cholesky`` on the binary problem; above it ``newton-cg`` is faster (forming the
#: Hessian costs ``m`` times its size per step, a product with it two passes over X):
#: measured, Newton-Cholesky was faster at sides 31 (breast cancer, 1.3 ms against 1.7 ms) and
#: 65 (digits, 4.3 against 5.1 ms), slower at 101 (20,000 x 100, 38 against 20 ms). With K
#: classes ``newton-cg`` stays: the multinomial Hessian (``numpy``'s alone) made Newton-Cholesky
#: slower even at side 63 (3 classes, 5,000 x 20: 26 ms against 5.1 ms; iris: 2.1 against 1.95).
NEWTON_SIDE_LIMIT = 80
NEWTON = "newton"  # in SklearnName.l2: newton-cholesky for a small binary Hessian, else newton-cg


@dataclass(frozen=True)
class SklearnName:
    """A name the estimator's ``solver=`` takes, and what fastlr runs for it.

    ``l2`` is the fastlr solver for an L2 penalty or none (:data:`NEWTON`:
    ``newton-cholesky`` while the binary problem's Hessian is small, else ``newton-cg``), ``l1``
    the one for a problem with an L1 term (``None``: the name refuses L1, as
    scikit-learn's solver of that name does). ``elastic_net``: takes ``0 <
    l1_ratio < 1``; ``unpenalised``: takes ``C=np.inf`` / ``penalty=None``;
    ``dual``: takes ``dual=True`` (with L2; the dual's optimum is the
    primal's); ``penalised_intercept``: liblinear's problem, the intercept
    the coefficient of a constant feature of value ``intercept_scaling``,
    penalised with the others.
    """

    name: str
    l2: str
    l1: str | None = None
    elastic_net: bool = False
    unpenalised: bool = True
    dual: bool = False
    penalised_intercept: bool = False

    def solver(self, l1_term: bool, n_x: int, n_classes: int, in_memory: bool) -> str:
        """The fastlr solver for this name on a problem of ``n_x`` features (after
        liblinear's constant one) and ``n_classes`` classes."""
        if l1_term:
            return self.l1  # type: ignore[return-value]  # sklearn_solver refused L1 otherwise
        if self.l2 != NEWTON:
            return self.l2
        binary_and_small = n_classes <= 2 and n_x + 1 <= NEWTON_SIDE_LIMIT
        return "newton-cholesky" if in_memory and binary_and_small else "newton-cg"


#: Every name the estimator takes: fastlr's own solvers, then scikit-learn's others.
SKLEARN_NAMES: tuple[SklearnName, ...] = (
    # newton-cg, scikit-learn's name too: lbfgs's problem, by Newton steps, solved by Cholesky
    # while the binary problem's Hessian is small (forming it is cheaper there than the
    # products), else by CG
    *(SklearnName(solver.name, NEWTON if solver.name == "newton-cg" else solver.name,
                  solver.name if solver.l1 else None, elastic_net=solver.l1) for solver in SOLVERS),
    # lbfgs's objective; scikit-learn's stochastic average gradient has no edge in memory
    SklearnName("sag", "lbfgs"),
    SklearnName("saga", "prox-newton", "prox-newton", elastic_net=True),
    # the intercept penalised; liblinear's trust-region Newton (L2) or newGLMNET (L1)
    SklearnName("liblinear", NEWTON, "prox-newton", unpenalised=False, dual=True,
                penalised_intercept=True),
)
_SKLEARN_BY_NAME = {name.name: name for name in SKLEARN_NAMES}


def sklearn_solver(name: str, penalty: str | None, dual: bool) -> SklearnName:
    """The row of the estimator's ``solver=name``, once the penalty is one that name takes.

    ``penalty`` is scikit-learn's derived penalty (``"l2"``, ``"l1"``,
    ``"elasticnet"`` or ``None``). Raises scikit-learn's ``ValueError`` for a
    combination its solver of that name refuses (checked in its order).
    """
    row = _SKLEARN_BY_NAME[name]
    if penalty not in ("l2", None) and row.l1 is None:
        raise ValueError(f"Solver {name} supports only 'l2' or None penalties, got {penalty} "
                         "penalty. fastlr's solver='prox-newton' (or 'saga') fits L1 and "
                         "elastic net")
    if dual and not row.dual:
        raise ValueError(f"Solver {name} supports only dual=False, got dual={dual}")
    if penalty == "elasticnet" and not row.elastic_net:
        raise ValueError(f"Only 'saga' solver supports elasticnet penalty, got solver={name}.")
    if penalty is None and not row.unpenalised:
        raise ValueError(f"C=np.inf as well as penalty=None is not supported for the {name} "
                         "solver")
    if dual and penalty != "l2":
        raise ValueError("Unsupported set of arguments: The combination of penalty='l1' and "
                         "loss='logistic_regression' are not supported when dual=True, "
                         f"Parameters: penalty='l1', loss='logistic_regression', dual={dual}")
    return row
