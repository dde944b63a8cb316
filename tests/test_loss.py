"""The problem's loss (fastlr._loss): its ops by role, and the one in-memory objective built on it.

The objective ``in_memory(loss, problem, kernels)`` must give, for either
loss and every kernel, the very bits the public gradients give (the same
sums, finished in the same place), and the roles a solver needs must be ops
the registry knows.
"""

import numpy as np
import pytest
import scipy.sparse

import fastlr
from fastlr._loss import BINARY_LOSS, MULTINOMIAL_LOSS, ROLES, loss_of
from fastlr._objective import in_memory
from fastlr._registry import get_kernel, offering, resolve
from fastlr._solvers import SOLVERS

LOSSES = [BINARY_LOSS, MULTINOMIAL_LOSS]


def test_loss_of_n_classes():
    assert loss_of(None) is BINARY_LOSS
    assert loss_of(3) is MULTINOMIAL_LOSS


@pytest.mark.parametrize("loss", LOSSES, ids=repr)
@pytest.mark.parametrize("role", ROLES)
def test_every_role_is_an_op_numpy_offers(loss, role):
    op = loss.op(role)
    assert "numpy" in offering(op)
    assert get_kernel("numpy").op(op) is not None


@pytest.mark.parametrize("solver", SOLVERS, ids=lambda solver: solver.name)
def test_solver_roles(solver):
    assert solver.roles[0] == "sums"
    assert set(solver.roles) <= set(ROLES)
    assert ("hessian" in solver.roles) == solver.hessian
    assert ("product" in solver.roles) == solver.products


def _data(rng, sparse, dtype, n_x=7, m=60):
    X = rng.standard_normal((n_x, m)).astype(dtype)
    if sparse:
        X[rng.random((n_x, m)) < 0.6] = 0
        X = scipy.sparse.csc_array(X)
    return X


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_binary_objective_is_the_public_gradient(kernel, rng, sparse, dtype):
    X = _data(rng, sparse, dtype)
    y = (rng.random(X.shape[1]) < 0.5).astype(float)
    s = rng.random(X.shape[1]) + 0.5
    w, b, alpha = rng.standard_normal(X.shape[0]), 0.3, 0.05
    problem = BINARY_LOSS.validate(X, y, w, b, alpha=alpha, sample_weight=s, n_classes=None)
    sums = resolve(kernel, BINARY_LOSS.op("sums"), problem.X)
    objective = in_memory(BINARY_LOSS, problem, {"sums": sums})
    dw, db, cost = objective.evaluate(problem.w, problem.b)
    expected = fastlr.gradient(w, b, X, y, kernel=kernel, alpha=alpha, sample_weight=s)
    np.testing.assert_array_equal(dw, expected[0])
    assert dw.dtype == X.dtype
    assert (db, cost) == (expected[1], expected[2])
    assert objective.hessian_factor == 0.25 and objective.n_classes == 0


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_multinomial_objective_is_the_public_gradient(kernel, rng, sparse, dtype):
    K = 4
    X = _data(rng, sparse, dtype)
    labels = rng.integers(0, K, X.shape[1])
    s = rng.random(X.shape[1]) + 0.5
    W, b, alpha = rng.standard_normal((K, X.shape[0])), rng.standard_normal(K), 0.05
    problem = MULTINOMIAL_LOSS.validate(X, labels, W, b, alpha=alpha, sample_weight=s, n_classes=K)
    assert MULTINOMIAL_LOSS.classes(problem) == K
    sums = resolve(kernel, MULTINOMIAL_LOSS.op("sums"), problem.X, K)
    objective = in_memory(MULTINOMIAL_LOSS, problem, {"sums": sums})
    dw, db, cost = objective.evaluate(problem.W.reshape(-1), problem.b)
    dW, db_expected, cost_expected = fastlr.softmax_gradient(W, b, X, labels, kernel=kernel,
                                                             alpha=alpha, sample_weight=s)
    np.testing.assert_array_equal(dw.reshape(K, -1), dW)
    np.testing.assert_array_equal(db, db_expected)
    assert cost == cost_expected
    assert objective.w_shape == (K, X.shape[0]) and objective.n_classes == K
    assert objective.hessian_factor == 0.5


@pytest.mark.parametrize("loss", LOSSES, ids=repr)
def test_hessian_operator_is_the_formed_hessian(loss, rng):
    """The operator built from the loss's curvature weights against the Hessian op, column by column."""
    K = 3 if loss.multinomial else None
    X = _data(rng, False, np.float64, n_x=4, m=50)
    Y = rng.integers(0, K, 50) if K else (rng.random(50) < 0.5).astype(float)
    problem = loss.validate(X, Y, None, 0.2, alpha=0.1, sample_weight=rng.random(50) + 0.5,
                            n_classes=K)
    numpy = get_kernel("numpy")
    objective = in_memory(loss, problem, {"sums": numpy, "hessian": numpy, "product": numpy})
    w, b, _ = loss.start(problem)
    w = w + rng.standard_normal(w.shape) * 0.3
    H = objective.hessian(w, b)[0]
    operator = objective.hessian_operator(w, b)
    columns = np.column_stack([operator.product(e) for e in np.eye(H.shape[0])])
    np.testing.assert_allclose(columns, H, rtol=1e-12, atol=1e-14)
