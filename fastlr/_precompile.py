"""``fastlr precompile``: compile every variant of the compiled kernels into numba's cache, ahead of time.

numba compiles each compiled function once per type signature, the first
time a process needs it, and keeps the machine code in its on-disk cache
(``NUMBA_CACHE_DIR``, else the package's ``__pycache__`` folders, else a
folder of the user's cache when those are read-only). A fresh container, CI
job or cluster node starts with that cache empty, and its first fit of each
kind of input waits for the compiler. :func:`precompile` pays that once, for
every variant the package offers, so that a Docker image, a CI cache or a
shared folder can carry the result.

A *variant* is what numba compiles separately: the op (the binary gradient,
the multinomial one, the binary Hessian, the two Hessian-vector products of
``solver="newton-cg"``, the compiled gradient-descent loop), the kernel
(``numba``, ``numba-parallel``), X's dtype (float32,
float64) and layout (C or F order, a strided view; CSR or CSC with int32
or int64 indices for a sparse X); and, once, the proximal Newton solver's
inner coordinate descent (``kernels._coordinate_descent``: float64 arrays
only, whatever the kernel, so one variant). Sample weights are not a variant: the
loops take "no weights" as an empty array, so one compiled version serves
both. Each variant is compiled by running it once, through the public
functions, on a tiny problem of exactly those types, so that what lands in
the cache is what a real call looks up. Variants already in the cache load in
milliseconds, so running the command again is cheap.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Iterable, Sequence, TextIO

import numpy as np

from ._progress import Progress
from ._registry import available_kernels, compiled_kernels

__all__ = ["COMPILED_KERNELS", "INNER_SOLVE", "Variant", "cache_folder", "precompile", "variants"]

#: The kernels whose code numba compiles.
COMPILED_KERNELS = compiled_kernels()

_DTYPES = ("float64", "float32")
_DENSE_LAYOUTS = ("C", "F", "strided")
_SPARSE_LAYOUTS = ("csr", "csc")
_INDEX_DTYPES = ("int32", "int64")
#: The ops run on a dense X, and those run on a sparse one.
_DENSE_OPS = ("gradient", "multinomial", "hessian", "gram-product", "multinomial-product",
              "gradient-descent")
_SPARSE_OPS = ("gradient", "multinomial", "gram-product", "multinomial-product")
_N_X, _M, _CLASSES = 5, 40, 3
#: The one variant compiled for every kernel alike: the L1 solver's inner solve.
INNER_SOLVE = "prox-newton inner solve"


@dataclass(frozen=True)
class Variant:
    """One separately compiled variant: op, kernel, dtype, layout, indices (sparse X)."""

    op: str
    kernel: str
    dtype: str
    layout: str
    index_dtype: str | None = None

    def __str__(self) -> str:
        layout = self.layout if self.index_dtype is None else f"{self.layout} {self.index_dtype}"
        return f"{self.kernel} {self.op} {self.dtype} {layout}"


def variants(kernels: Iterable[str] | None = None) -> list[Variant]:
    """Every variant of ``kernels`` (default: the compiled kernels available here), in compile order."""
    names = [k for k in COMPILED_KERNELS if k in available_kernels()] if kernels is None else list(kernels)
    found = []
    for kernel in names:
        for op in _DENSE_OPS:
            for dtype in _DTYPES:
                for layout in _DENSE_LAYOUTS:
                    found.append(Variant(op, kernel, dtype, layout))
        for op in _SPARSE_OPS:
            for dtype in _DTYPES:
                for layout in _SPARSE_LAYOUTS:
                    for index_dtype in _INDEX_DTYPES:
                        found.append(Variant(op, kernel, dtype, layout, index_dtype))
    if names:
        found.append(Variant(INNER_SOLVE, "every kernel", "float64", "dense"))
    return found


def _problem(variant: Variant, weighted: bool):
    """``(X, y, labels, weights)`` of the variant's types: X ``(n_x, m)``, tiny."""
    rng = np.random.default_rng(0)
    dtype = np.dtype(variant.dtype)
    dense = rng.standard_normal((_N_X, _M))
    if variant.layout in _SPARSE_LAYOUTS:
        import scipy.sparse

        dense[rng.random(dense.shape) < 0.5] = 0.0
        X = scipy.sparse.csr_matrix(dense.astype(dtype)).asformat(variant.layout)
        index = np.dtype(variant.index_dtype)
        X.indices, X.indptr = X.indices.astype(index), X.indptr.astype(index)
    elif variant.layout == "strided":
        X = np.asarray(rng.standard_normal((_N_X, 2 * _M)), dtype=dtype)[:, ::2]
    else:
        X = np.asarray(dense, dtype=dtype, order=variant.layout)
    labels = np.arange(_M) % _CLASSES
    y = (labels == 0).astype(dtype)
    weights = rng.random(_M).astype(dtype) + 0.5 if weighted else None
    return X, y, labels, weights


def compile_variant(variant: Variant, weighted: bool = False) -> None:
    """Run the variant once on a tiny problem, which compiles it (or loads it from the cache).

    ``weighted``: with sample weights (the same compiled code; the tests check so).
    """
    import fastlr

    if variant.op == INNER_SOLVE:
        from .kernels import _coordinate_descent

        _coordinate_descent.warm_up()
        return
    X, y, labels, weights = _problem(variant, weighted)
    n_x = X.shape[0]
    kernel = variant.kernel
    if variant.op == "gradient":
        fastlr.gradient(np.zeros(n_x, X.dtype), 0.0, X, y, kernel=kernel, sample_weight=weights)
    elif variant.op == "multinomial":
        fastlr.softmax_gradient(np.zeros((_CLASSES, n_x), X.dtype), np.zeros(_CLASSES), X, labels,
                                kernel=kernel, sample_weight=weights)
    elif variant.op == "hessian":
        fastlr.get_kernel(kernel).binary_hessian(np.zeros(n_x, X.dtype), 0.0, X, y, weights)
    elif variant.op == "gram-product":
        found = fastlr.get_kernel(kernel)
        product = found.gram_product if variant.index_dtype is None else found.sparse_gram_product
        product(X, np.ones(X.shape[1]), np.zeros(n_x + 1))
    elif variant.op == "multinomial-product":
        found = fastlr.get_kernel(kernel)
        product = (found.multinomial_product if variant.index_dtype is None
                   else found.sparse_multinomial_product)
        m = X.shape[1]
        product(np.zeros((_CLASSES, n_x)), np.zeros(_CLASSES), X, np.full((_CLASSES, m), 1 / _CLASSES),
                np.ones(m))
    elif variant.op == "gradient-descent":
        fastlr.train(X, y, kernel=kernel, solver="gd", learning_rate=0.1, max_iter=2, tol=0.0,
                     sample_weight=weights, alpha=1.0)
    else:
        raise ValueError(f"unknown op {variant.op!r}")


def cache_folder() -> str:
    """The folder numba writes fastlr's compiled code to, here and now."""
    from .kernels import _loops

    return _loops.sums_one_thread._cache._cache_path


@dataclass
class Report:
    """What :func:`precompile` did: the variants and the seconds each took."""

    seconds: list[tuple[Variant, float]]
    total: float
    folder: str


def precompile(kernels: Sequence[str] | None = None, stream: TextIO | None = None) -> Report:
    """Compile every variant of ``kernels`` into numba's cache, with a progress bar on ``stream``.

    Parameters
    ----------
    kernels : sequence of str, optional
        Which compiled kernels (default: those of :data:`COMPILED_KERNELS`
        available here).
    stream : text stream, optional
        Where the progress bar goes (default: stderr); ``None`` there too.

    Returns
    -------
    Report
        Every variant's seconds, the total, and the cache folder.
    """
    import warnings

    todo = variants(kernels)
    progress = Progress(len(todo), "precompile", stream)
    seconds = []
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # two gradient-descent steps do not converge, by design
        for variant in todo:
            began = time.perf_counter()
            compile_variant(variant)
            took = time.perf_counter() - began
            seconds.append((variant, took))
            progress.advance(1, str(variant))
    progress.close()
    return Report(seconds, time.perf_counter() - start, cache_folder())
