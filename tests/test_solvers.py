"""The solver table (fastlr._solvers): every layer takes its solvers from it."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import fastlr
from fastlr._solvers import SOLVERS, get_solver, solver_names
from fastlr.cli import _parser


def _problem():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3, 60))
    y = (X[0] + 0.5 * rng.standard_normal(60) > 0).astype(float)
    return X, y


@pytest.mark.parametrize("name", solver_names())
def test_every_solver_in_the_table_runs_everywhere(name, tmp_path):
    """fastlr.train, the estimator and the command line take every row's name, and fit with it."""
    X, y = _problem()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fastlr.ConvergenceWarning)  # gd stops at max_iter here
        result = fastlr.train(X, y, solver=name, alpha=0.1, max_iter=50)
        model = fastlr.LogisticRegression(solver=name, max_iter=50).fit(X.T, y)
    assert result.solver == name and np.all(np.isfinite(result.w))
    assert model.coef_.shape == (1, 3)
    if get_solver(name).l1:  # and with an L1 term, which the others refuse
        assert fastlr.train(X, y, solver=name, alpha=0.1, l1_ratio=0.5).converged
        model = fastlr.LogisticRegression(solver=name, l1_ratio=0.5).fit(X.T, y)
        assert model.coef_.shape == (1, 3)
    else:
        with pytest.raises(ValueError, match="an L1 term"):
            fastlr.train(X, y, solver=name, alpha=0.1, l1_ratio=0.5)
    args = _parser().parse_args(["train", "data.csv", "--target", "y", "--solver", name])
    assert args.solver == name


def test_the_table_is_the_estimators_and_the_command_lines_list():
    from fastlr import estimator

    assert estimator.SOLVERS[:len(SOLVERS)] == solver_names() == tuple(s.name for s in SOLVERS)
    # and every name scikit-learn's estimator takes, after fastlr's own
    sklearn_names = {"lbfgs", "liblinear", "newton-cg", "newton-cholesky", "sag", "saga"}
    assert set(estimator.SOLVERS) == set(solver_names()) | sklearn_names
    choices = next(a for a in _parser()._subparsers._group_actions[0].choices["train"]._actions
                   if a.dest == "solver").choices
    assert tuple(choices) == solver_names()
    assert solver_names()[0] == fastlr.LogisticRegression().solver  # the default leads


def test_a_solver_that_needs_x_in_memory_refuses_dask():
    da = pytest.importorskip("dask.array")
    X, y = _problem()
    for row in SOLVERS:
        if not row.dask:
            with pytest.raises(ValueError, match=f"solver={row.name!r} fits X in memory"):
                fastlr.train(da.from_array(X, chunks=(3, 30)), y, solver=row.name)


@pytest.mark.parametrize("name", ["sgd", None, ["lbfgs"], 3])
def test_an_unknown_solver_lists_the_table(name):
    with pytest.raises(ValueError, match="solver must be one of 'lbfgs', 'newton-cholesky', 'newton-cg', 'gd', 'prox-newton'; got"):
        get_solver(name)
    with pytest.raises(ValueError, match="solver must be one of"):
        fastlr.train(np.eye(2), np.array([0.0, 1.0]), solver=name)


def test_gradient_descent_has_no_minimizer():
    with pytest.raises(ValueError, match="gradient-descent loop"):
        get_solver("gd").minimize()
    assert all(callable(get_solver(name).minimize()) for name in solver_names() if name != "gd")
