"""Kernel names, lookup, and the package without numba."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

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
