"""The compiled kernels' raw ops, called past the validation layer with arrays of the wrong shape:
a ``ValueError`` naming the argument, never a read outside the arrays (``kernels._arguments``)."""

from __future__ import annotations

import re

import numpy as np
import pytest
import scipy.sparse

import fastlr

N_X, M = 2, 4  # X's shape in every case
_WRONG_WEIGHTS = ("sample_weight", np.ones(2), "sample_weight has shape (2,); expected (4,) for X's examples")


def _X(sparse):
    X = np.ones((N_X, M))
    return scipy.sparse.csc_matrix(X) if sparse else X


BINARY_CASES = [
    ("w", np.zeros(3), "w has shape (3,); expected (2,) for X's features"),
    ("y", np.zeros(3), "y has shape (3,); expected (4,) for X's examples"),
    ("y", np.zeros((1, 4)), "y has shape (1, 4); expected (4,) for X's examples"),
    _WRONG_WEIGHTS,
]


def _binary_call(op, X, **wrong):
    args = {"w": np.zeros(N_X), "y": np.zeros(M), "sample_weight": None, **wrong}
    return lambda: op(args["w"], 0.0, X, args["y"], args["sample_weight"])


def _train_call(op, X, **wrong):
    args = {"w": np.zeros(N_X), "y": np.zeros(M), "sample_weight": None, **wrong}
    return lambda: op(args["w"], 0.0, X, args["y"], 0.1, args["sample_weight"], 0.1, 5, 1e-4)


@pytest.mark.parametrize("op", ["binary", "sparse_binary", "binary_hessian", "train"])
@pytest.mark.parametrize("name, value, message", BINARY_CASES)
def test_binary_ops_refuse_arrays_they_would_read_outside(compiled_kernel, op, name, value, message):
    kernel = fastlr.get_kernel(compiled_kernel)
    make = _train_call if op == "train" else _binary_call
    call = make(getattr(kernel, op), _X(op == "sparse_binary"), **{name: value})
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        call()


LABEL_CASES = [
    ({"labels": np.array([0, 1, 2, 0]), "Y": np.empty((0, 0))},
     "give the labels either as `labels` or as `Y`, the other None"),
    ({"labels": None, "Y": None}, "give the labels either as `labels` or as `Y`, the other None"),
    ({"labels": np.array([0, 1])}, "labels has shape (2,); X has 4 examples"),
    ({"labels": None, "Y": np.full((2, 4), 0.5)},
     "Y has shape (2, 4); expected (3, 4) for W's classes and X's examples"),
    ({"labels": None, "Y": np.full((3, 2), 1 / 3)},
     "Y has shape (3, 2); expected (3, 4) for W's classes and X's examples"),
    ({"W": np.zeros((3, 3))}, "W has shape (3, 3); expected (K, 2) for X's features"),
    ({"W": np.zeros(2)}, "W has shape (2,); expected (K, 2) for X's features"),
    ({"b": np.zeros(2)}, "b has shape (2,); expected (3,) for W's classes"),
    ({_WRONG_WEIGHTS[0]: _WRONG_WEIGHTS[1]}, _WRONG_WEIGHTS[2]),
]


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("wrong, message", LABEL_CASES)
def test_multinomial_ops_refuse_arrays_they_would_read_outside(compiled_kernel, sparse, wrong, message):
    kernel = fastlr.get_kernel(compiled_kernel)
    op = kernel.sparse_multinomial if sparse else kernel.multinomial
    args = {"W": np.zeros((3, N_X)), "b": np.zeros(3), "labels": np.array([0, 1, 2, 0]), "Y": None,
            "sample_weight": None, **wrong}
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        op(args["W"], args["b"], _X(sparse), args["labels"], args["Y"], args["sample_weight"])


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("c, v, message", [
    (np.ones(3), np.ones(3), "c has shape (3,); expected (4,) for X's examples"),
    (np.ones(4), np.ones(2), "v has shape (2,); expected (3,) for X's features and the intercept"),
])
def test_gram_products_refuse_arrays_they_would_read_outside(compiled_kernel, sparse, c, v, message):
    kernel = fastlr.get_kernel(compiled_kernel)
    op = kernel.sparse_gram_product if sparse else kernel.gram_product
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        op(_X(sparse), c, v)


@pytest.mark.parametrize("sparse", [False, True])
def test_right_shapes_pass(compiled_kernel, sparse):
    """The checks let every right call through (with weights, both label forms)."""
    kernel = fastlr.get_kernel(compiled_kernel)
    X = _X(sparse)
    binary = kernel.sparse_binary if sparse else kernel.binary
    multinomial = kernel.sparse_multinomial if sparse else kernel.multinomial
    product = kernel.sparse_gram_product if sparse else kernel.gram_product
    s = np.ones(M)
    dw, db, cost = binary(np.zeros(N_X), 0.0, X, np.array([0.0, 1.0, 1.0, 0.0]), s)
    assert np.isclose(cost, M * np.log(2.0)) and db == 0.0 and dw.shape == (N_X,)
    for labels, Y in ((np.array([0, 1, 2, 0]), None), (None, np.full((3, M), 1 / 3))):
        dW, db, cost = multinomial(np.zeros((3, N_X)), np.zeros(3), X, labels, Y, s)
        assert np.isclose(cost, M * np.log(3.0)) and dW.shape == (3, N_X)
    assert np.array_equal(product(X, np.ones(M), np.ones(N_X + 1)), np.full(N_X + 1, 3.0 * M))
