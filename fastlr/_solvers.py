"""The solvers, in one table: every layer that names a solver reads it here.

A row is a solver's name, what it is (one line, for help texts), whether it
needs the Hessian op (and so X in memory), whether it takes a Dask X, whether
it takes an L1 term (``l1_ratio > 0``), and how
it minimises an :class:`~fastlr._objective.Objective`: a second-order or
quasi-Newton ``minimize(objective, max_iter, tol, fit_intercept, callback)``
(``fastlr._lbfgs``, ``fastlr._newton``), or ``None`` for gradient descent,
whose loop lives in ``fastlr._training`` (and compiled, in the kernels). A new
solver is one row here and its ``minimize``; ``fastlr.train``, the estimator
and the command line take it from the table.

The rows are in the order the estimator and the command line list them, its
default (``lbfgs``) first.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Callable

__all__ = ["SOLVERS", "Solver", "get_solver", "solver_names"]


@dataclass(frozen=True)
class Solver:
    """One solver: its name, what it is, what it needs, and its ``minimize``."""

    name: str
    description: str
    hessian: bool  # needs the Hessian op, so X in memory
    dask: bool  # takes a Dask X
    minimizer: str | None  # "module:function" in this package; None: gradient descent
    l1: bool = False  # takes an L1 term (l1_ratio > 0)

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
