"""Kernel names, lookup, and the package without numba."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest
import scipy.sparse

import fastlr


def test_kernel_names_in_table_order():
    assert fastlr.KERNELS == ("python", "partial", "numpy", "numba", "numba-parallel")
    assert "auto" not in fastlr.KERNELS


def test_available_kernels_are_a_subset_in_order():
    available = fastlr.available_kernels()
    assert {"python", "partial", "numpy"} <= set(available)
    assert list(available) == [name for name in fastlr.KERNELS if name in available]


@pytest.mark.parametrize("name", fastlr.KERNELS)
def test_get_kernel(name):
    if name not in fastlr.available_kernels():
        pytest.skip(f"{name} unavailable")
    kernel = fastlr.get_kernel(name)
    assert isinstance(kernel, fastlr.Kernel)
    assert kernel.name == name
    assert callable(kernel.gradient)
    assert fastlr.get_kernel(name.upper().replace("-", "_")) is kernel


def test_auto_is_a_kernel_that_chooses_per_call():
    auto = fastlr.get_kernel("auto")
    assert auto.name == "auto" and fastlr.get_kernel(" AUTO ") is auto
    X = np.arange(6.0).reshape(2, 3)
    assert auto.gradient(np.zeros(2), 0.0, X, np.array([0.0, 1.0, 1.0]), 0.0, None)[2] > 0


@pytest.mark.parametrize("name", fastlr.KERNELS)
def test_each_op_of_the_table_is_the_kernel_modules_function(name):
    """The op table fixes each op's Kernel field and module function; the sparse face holds the
    sparse ops under the dense ops' fields."""
    import dataclasses
    import importlib

    from fastlr._registry import _OP_FIELDS, _OP_FUNCTIONS, _OPS, _ROWS

    if name not in fastlr.available_kernels():
        pytest.skip(f"{name} unavailable")
    assert set(_OP_FIELDS.values()) <= {field.name for field in dataclasses.fields(fastlr.Kernel)}
    kernel, row = fastlr.get_kernel(name), _ROWS[name]
    module = importlib.import_module(f"fastlr.kernels.{row.module}")
    for op, field in _OP_FIELDS.items():
        function = getattr(kernel, field)
        assert kernel.offers(op) == (op in row.ops)
        assert function is (getattr(module, _OP_FUNCTIONS[op]) if op in row.ops else None)
    face = kernel.sparse_face()
    for op in _OPS:
        assert getattr(face, op.field) is getattr(kernel, "sparse_" + op.field)
        assert getattr(face, "sparse_" + op.field) is None


def test_auto_offers_every_op_and_runs_the_chosen_kernels():
    from fastlr._registry import _OP_FIELDS

    auto = fastlr.get_kernel("auto")
    assert all(auto.offers(op) for op in _OP_FIELDS)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3, 40))
    y, labels = (rng.random(40) < 0.5).astype(np.float64), rng.integers(0, 3, 40)
    c, v = rng.random(40), rng.normal(size=4)
    W, b = rng.normal(size=(3, 3)), rng.normal(size=3)
    w = W[0]
    numpy = fastlr.get_kernel("numpy")
    for dense in (True, False):
        data = X if dense else scipy.sparse.csc_matrix(X)
        prefix = "" if dense else "sparse_"
        for field, args in (("binary", (w, 0.3, data, y, None)),
                            ("multinomial", (W, b, data, labels, None, None)),
                            ("binary_hessian", (w, 0.3, data, y, None)),
                            ("gram_product", (data, c, v))):
            ours = getattr(auto, prefix + field)(*args)
            reference = getattr(numpy, prefix + field)(*args)
            if field == "gram_product":  # one array; the other ops give a tuple of results
                ours, reference = (ours,), (reference,)
            for got, expected in zip(ours, reference, strict=True):
                np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


def test_package_works_without_numba(tmp_path):
    """Simulate a machine without numba: the numba kernel is unavailable, the rest work."""
    script = textwrap.dedent(
        """
        import sys
        sys.modules["numba"] = None  # makes `import numba` raise ImportError
        import numpy as np
        import fastlr

        assert fastlr.KERNELS == ("python", "partial", "numpy", "numba", "numba-parallel"), fastlr.KERNELS
        assert fastlr.available_kernels() == ("python", "partial", "numpy"), fastlr.available_kernels()
        from fastlr._auto import choose_kernel_name
        assert choose_kernel_name(np.eye(2)) == "numpy"
        assert fastlr.train(np.eye(2), np.array([0.0, 1.0]), max_iter=5).kernel == "numpy"
        dw, db, cost = fastlr.gradient(np.zeros(2), 0.0, np.eye(2), np.array([0.0, 1.0]))
        assert cost > 0
        for name in ("numba", "numba-parallel"):
            try:
                fastlr.gradient(np.zeros(2), 0.0, np.eye(2), np.array([0.0, 1.0]), kernel=name)
            except fastlr.KernelUnavailableError as exc:
                assert isinstance(exc, ImportError)
                assert f"kernel {name!r} needs numba" in str(exc), exc
                assert "pip install numba" in str(exc), exc
            else:
                raise AssertionError("no KernelUnavailableError")
        fastlr.set_num_threads(1)  # still accepted: it only records the limit
        assert fastlr.get_num_threads() == 1
        print("ok")
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600,
                          cwd=tmp_path)  # the installed package, not the source folder
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_import_does_not_load_numba(tmp_path):
    script = "import sys, fastlr; print('numba' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600,
                          cwd=tmp_path)
    assert done.stdout.strip() == "False", done.stderr


def test_docstring_examples():
    import doctest

    import fastlr._gradient

    failures, tried = doctest.testmod(fastlr._gradient)
    assert tried > 0 and failures == 0
