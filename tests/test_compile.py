"""Compiling the kernels: ``fastlr precompile``, what a call compiles, and a damaged cache.

- the variants it compiles cover every op the compiled kernels offer (a new
  op without a variant fails here);
- run in a fresh process with an empty cache, it compiles every variant of
  a kernel, and a new process then runs each of them, with and without
  sample weights, without compiling anything (numba's ``numba:compile``
  events, not timings);
- X's layout picks the loop when compiling: an F-ordered X never compiles
  the loop written for features contiguous, and the reverse;
- a damaged cache (truncated files) is compiled again, not an error, and
  then loads;
- its command line refuses kernels that are not compiled.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import fastlr
from fastlr import _registry
from fastlr._precompile import COMPILED_KERNELS, INNER_SOLVE, variants
from fastlr.cli import main

COMPILED = [name for name in COMPILED_KERNELS if name in fastlr.available_kernels()]
needs_numba = pytest.mark.skipif(not COMPILED, reason="numba is not installed")

#: The op behind each variant (dense or sparse X).
_VARIANT_OP = {("gradient", False): _registry.BINARY, ("multinomial", False): _registry.MULTINOMIAL,
               ("hessian", False): _registry.BINARY_HESSIAN,
               ("gram-product", False): _registry.GRAM_PRODUCT,
               ("gram-product", True): _registry.SPARSE_GRAM_PRODUCT,
               ("multinomial-product", False): _registry.MULTINOMIAL_PRODUCT,
               ("multinomial-product", True): _registry.SPARSE_MULTINOMIAL_PRODUCT,
               ("gradient", True): _registry.SPARSE_BINARY,
               ("multinomial", True): _registry.SPARSE_MULTINOMIAL}


def test_variants_cover_every_op_of_the_compiled_kernels():
    for kernel in COMPILED_KERNELS:
        row = _registry._ROWS[kernel]
        found = variants([kernel])
        covered = {_VARIANT_OP[v.op, v.index_dtype is not None] for v in found
                   if v.op not in ("gradient-descent", INNER_SOLVE)}
        assert sum(v.op == INNER_SOLVE for v in found) == 1  # the L1 solver's, kernel-free
        assert covered == set(row.ops), kernel
        assert any(v.op == "gradient-descent" for v in found)  # the compiled training loop
        assert len(found) == len(set(found))
        for dtype in ("float32", "float64"):
            for layout in ("C", "F", "strided", "csr", "csc"):
                assert any(v.dtype == dtype and v.layout == layout for v in found)


def _child_env(cache: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["NUMBA_CACHE_DIR"] = str(cache)
    env.pop("NUMBA_DISABLE_JIT", None)
    return env


#: The start of every child script here: ``compiled`` lists the qualified names of the fastlr
#: functions numba compiles from then on (numba's ``numba:compile`` events).
_RECORD_COMPILES = textwrap.dedent("""
    from numba.core import event

    compiled = []

    class Listener(event.Listener):
        def on_start(self, e):
            pass

        def on_end(self, e):
            function = e.data["dispatcher"].py_func
            if str(function.__module__).startswith("fastlr"):
                compiled.append(function.__qualname__)

    event.register("numba:compile", Listener())
""")

#: Runs every variant of the kernels named in argv; prints the fastlr functions numba compiled.
_RUN_EVERY_VARIANT = _RECORD_COMPILES + textwrap.dedent("""
    import json, sys, warnings
    from fastlr._precompile import compile_variant, variants

    warnings.simplefilter("ignore")
    done = 0
    for variant in variants(sys.argv[1:]):
        for weighted in (False, True):  # one compiled version serves both
            compile_variant(variant, weighted)
        done += 1
    print(json.dumps({"variants": done, "compiled": compiled}))
""")


@needs_numba
def test_precompile_leaves_nothing_to_compile(tmp_path):
    """After ``fastlr precompile --kernels numba``, a new process runs every variant from the cache,
    with sample weights and without."""
    kernel = "numba"
    cache = tmp_path / "cache"
    done = subprocess.run([sys.executable, "-m", "fastlr", "precompile", "--kernels", kernel],
                          env=_child_env(cache), capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stderr
    count = len(variants([kernel]))
    assert done.stdout.startswith(f"compiled {count} variants in "), done.stdout
    assert f"precompile: {count}/{count}" in done.stderr  # the progress reached the end
    assert any(cache.iterdir())

    after = subprocess.run([sys.executable, "-c", _RUN_EVERY_VARIANT, kernel],
                           env=_child_env(cache), capture_output=True, text=True, timeout=1200)
    assert after.returncode == 0, after.stderr
    report = json.loads(after.stdout.splitlines()[-1])
    assert report == {"variants": count, "compiled": []}


_ONE_GRADIENT = _RECORD_COMPILES + textwrap.dedent("""
    import json, sys
    import numpy as np
    import fastlr

    X = np.ones((6, 40))
    X = {"C": np.ascontiguousarray(X), "F": np.asfortranarray(X), "strided": np.ones((6, 80))[:, ::2]}[sys.argv[1]]
    fastlr.gradient(np.zeros(6), 0.0, X, np.ones(40), kernel="numba")
    fastlr.softmax_gradient(np.zeros((3, 6)), np.zeros(3), X, np.arange(40) % 3, kernel="numba")
    fastlr.get_kernel("numba").binary_hessian(np.zeros(6), 0.0, X, np.ones(40), None)
    print(json.dumps(compiled))
""")

#: The loops written for one layout, by module.
_EXAMPLE_MAJOR = {"_tile_example_major", "_logits_example_major", "_gradient_example_major",
                  "_load_tile_example_major"}
_FEATURE_MAJOR = {name.replace("example", "feature") for name in _EXAMPLE_MAJOR}


@needs_numba
@pytest.mark.parametrize("layout", ["C", "F", "strided"])
def test_only_the_loops_for_xs_layout_are_compiled(tmp_path, layout):
    done = subprocess.run([sys.executable, "-c", _ONE_GRADIENT, layout], env=_child_env(tmp_path),
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    compiled = set(json.loads(done.stdout.splitlines()[-1]))
    by_example, by_feature = compiled & _EXAMPLE_MAJOR, compiled & _FEATURE_MAJOR
    if layout == "F":  # examples contiguous
        assert by_example == _EXAMPLE_MAJOR and not by_feature
    elif layout == "C":
        assert by_feature == _FEATURE_MAJOR and not by_example
    else:  # a strided view: both, chosen from the strides on each call
        assert by_example == _EXAMPLE_MAJOR and by_feature == _FEATURE_MAJOR


@pytest.mark.parametrize("kernels, message", [
    ("numpy", "'numpy' is not a compiled kernel; choose from numba, numba-parallel"),
    ("numba,nmuba", "unknown kernel 'nmuba'"),
])
def test_precompile_refuses_what_is_not_a_compiled_kernel(capsys, kernels, message):
    assert main(["precompile", "--kernels", kernels]) == 2
    assert message in capsys.readouterr().err


_GRADIENTS = _RECORD_COMPILES + textwrap.dedent("""
    import json
    import numpy as np
    import fastlr

    X = np.asfortranarray(np.linspace(-1.0, 1.0, 6 * 300).reshape(6, 300))
    y = (X[0] > 0).astype(float)
    results = [fastlr.gradient(np.full(6, 0.1), 0.2, X, y, kernel=kernel)[2]
               for kernel in fastlr.available_kernels() if kernel.startswith("numba")]
    print(json.dumps({"costs": results, "compiled": len(compiled)}))
""")


def _gradients(cache: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", _GRADIENTS], env=_child_env(cache),
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


@needs_numba
def test_a_damaged_cache_is_compiled_again(tmp_path):
    """Every cache file cut to a few bytes: the next process compiles and answers, the one after loads."""
    first = _gradients(tmp_path)
    assert first["compiled"] > 0
    files = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert files
    for path in files:
        path.write_bytes(path.read_bytes()[:7])
    again = _gradients(tmp_path)
    assert again["costs"] == first["costs"]
    assert again["compiled"] > 0
    loaded = _gradients(tmp_path)
    assert loaded == {"costs": first["costs"], "compiled": 0}


_BOTH_KERNELS = textwrap.dedent("""
    import json
    from numba.core import event
    import numpy as np
    import scipy.sparse
    import fastlr

    compiled = []

    class Listener(event.Listener):
        def on_start(self, e):
            pass

        def on_end(self, e):
            function = e.data["dispatcher"].py_func
            if str(function.__module__).startswith("fastlr"):
                compiled.append([f"{function.__module__}.{function.__qualname__}", str(e.data["args"])])

    event.register("numba:compile", Listener())
    X = np.asfortranarray(np.linspace(-1.0, 1.0, 6 * 300).reshape(6, 300))
    y = (X[0] > 0).astype(float)
    sparse = scipy.sparse.csc_matrix(X)
    sparse.indices, sparse.indptr = sparse.indices.astype(np.int64), sparse.indptr.astype(np.int64)
    for kernel in ("numba", "numba-parallel"):
        fastlr.gradient(np.zeros(6), 0.0, X, y, kernel=kernel)
        fastlr.softmax_gradient(np.zeros((3, 6)), np.zeros(3), X, np.arange(300) % 3, kernel=kernel)
        fastlr.get_kernel(kernel).binary_hessian(np.zeros(6), 0.0, X, y, None)
        fastlr.gradient(np.zeros(6), 0.0, sparse, y, kernel=kernel)
        fastlr.softmax_gradient(np.zeros((3, 6)), np.zeros(3), sparse, np.arange(300) % 3, kernel=kernel)
    print(json.dumps(compiled))
""")


@needs_numba
def test_each_loop_compiles_once_for_both_kernels(tmp_path):
    """A loop the one-thread and the parallel kernel share compiles once for one X: no
    specialisation on a constant argument (numba types a literal ``0`` as ``Literal[int](0)``)
    or on ``prange``'s unsigned index."""
    if "numba-parallel" not in fastlr.available_kernels():
        pytest.skip("numba-parallel is not available")
    done = subprocess.run([sys.executable, "-c", _BOTH_KERNELS], env=_child_env(tmp_path),
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    compiled = json.loads(done.stdout.splitlines()[-1])
    assert compiled  # an empty cache: everything compiled here
    assert not [(name, args) for name, args in compiled if "Literal" in args or "uint" in args]
    names = [name for name, _ in compiled]
    assert not {name for name in names if names.count(name) > 1}
