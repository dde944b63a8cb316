"""The gradient over a Dask array: a fastlr kernel on every chunk, where it lives, and one tree reduction.

For X ``(n_x, m)`` chunked along the examples (``fastlr._dask.input``), one
evaluation at ``(w, b)`` is a small graph:

- one task per chunk, run by the Dask scheduler where the chunk is: the
  kernel's gradient of the chunk, unpenalised, scaled back to sums
  (:func:`chunk_sums`), ``n_x + 3`` numbers: ``sum(s dz x)``,
  ``sum(s dz)``, ``sum(s loss)``, ``sum(s)``;
- a tree of additions, :data:`SPLIT_EVERY` parts per node, in chunk order,
  so the total is the same to the last bit however the tasks were placed;
- on the client: the means and the L2 terms.

Only ``w`` travels to the chunks and only those vectors travel back; no
chunk of X moves. The same map-reduce applies the curvature matrix of
``learning_rate="auto"`` (:func:`chunk_curvature`) and, for
``solver="newton-cg"``, the Hessian to a vector and its diagonal
(:func:`chunk_hessian`: each chunk's weights recomputed from ``(w, b)``
on the chunk, so nothing but vectors travels).

``fastlr.train`` persists X, y and the weights once (``dask.persist``),
then evaluates on the persisted chunks every iteration; the data is
released when training returns. Whatever scheduler is active runs the
tasks: a ``dask.distributed`` Client when one exists (a worker lost
mid-fit has its chunks recomputed from the graph by the scheduler), the
local threaded scheduler otherwise.

``kernel="auto"`` is resolved on the client, for one thread per task as
Dask runs them: ``numba`` where numba imports, else ``numpy``. A named
kernel is looked up on each worker; a :class:`fastlr.Kernel` object is
shipped to the workers as it is.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

from .input import (
    DaskProblem,
    check_class_summaries,
    check_summaries,
    import_dask,
    validate_dask_multinomial,
    validate_dask_problem,
)
from .._auto import choose_task_kernel_name
from .._finish import multinomial_means, weight_total
from .._hessian_product import HessianOperator
from .._loss import loss_of
from .._objective import Objective, curvature_image, operator_sums
from .._registry import (
    AUTO_KERNEL,
    KERNELS,
    MULTINOMIAL,
    Kernel,
    lookup_kernel,
    resolve,
)
from .._validation import check_result_finite, multinomial_start, raise_for_non_finite

__all__ = ["SPLIT_EVERY", "chunk_curvature", "chunk_hessian", "chunk_multinomial_sums", "chunk_sums", "dask_gradient",
           "dask_objective", "dask_softmax_gradient"]

#: Parts summed per node of the reduction tree.
SPLIT_EVERY = 8


def _kernel_spec(kernel: Kernel) -> str | Kernel:
    """What the chunk tasks get: a name for fastlr's kernels (auto resolved here), else the object."""
    if kernel is AUTO_KERNEL:
        return choose_task_kernel_name()
    if kernel.name in KERNELS and lookup_kernel(kernel.name) is kernel:
        return kernel.name
    return kernel


def _chunk_kernel(kernel: str | Kernel, sample_weight: np.ndarray | None,
                  m: int) -> tuple[Kernel, float] | None:
    """``(the kernel, sum(s))`` for a chunk that adds something; ``None`` for one without examples or weight."""
    if m == 0:
        return None
    weight = weight_total(sample_weight, m)
    if weight == 0.0:
        return None
    return (lookup_kernel(kernel) if isinstance(kernel, str) else kernel), weight


def chunk_sums(X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None, w: np.ndarray,
               b: float, kernel: str | Kernel) -> np.ndarray:
    """``[sum(s dz x) (n_x), sum(s dz), sum(s loss), sum(s)]`` of one chunk, in float64.

    fastlr's kernels give the binary op's sums as they are; a kernel object
    with only a finished ``gradient`` gives means over the chunk (``alpha =
    0``), scaled back by the chunk's weight. A chunk without examples, or whose weights
    are all zero, contributes zeros (the kernel contract excludes both).
    """
    n_x, m = X.shape
    sums = np.zeros(n_x + 3)
    runnable = _chunk_kernel(kernel, sample_weight, m)
    if runnable is None:
        return sums
    kernel, weight = runnable
    if kernel.binary is not None:  # fastlr's kernels: the op's sums as they are
        dw, db, cost = kernel.binary(w, b, X, y, sample_weight)
        weight_back = 1.0
    else:  # a kernel of the user's own, with only the finished gradient
        dw, db, cost = kernel.gradient(w, b, X, y, 0.0, sample_weight)
        weight_back = weight
    sums[:n_x] = dw
    sums[n_x] = db
    sums[n_x + 1] = cost
    sums[: n_x + 2] *= weight_back
    sums[n_x + 2] = weight
    return sums


def chunk_multinomial_sums(X: np.ndarray, labels: np.ndarray, sample_weight: np.ndarray | None,
                           W: np.ndarray, b: np.ndarray, kernel: str | Kernel) -> np.ndarray:
    """``[sum(s dZ xᵀ) (K n_x), sum(s dZ) (K), sum(s loss), sum(s)]`` of one chunk, in float64.

    The kernel's multinomial op returns these sums as they are. A chunk
    without examples, or whose weights are all zero, contributes zeros; one
    whose labels are outside ``[0, K)`` (which the client's checks then
    reject) contributes NaN, without indexing with them.
    """
    n_classes, n_x = W.shape
    size = n_classes * n_x
    sums = np.zeros(size + n_classes + 2)
    m = X.shape[1]
    if m and (labels.min() < 0 or labels.max() >= n_classes):
        sums[:] = np.nan
        return sums
    runnable = _chunk_kernel(kernel, sample_weight, m)
    if runnable is None:
        return sums
    kernel, weight = runnable
    dW, db, cost = kernel.multinomial(W, b, X, labels, None, sample_weight)
    sums[:size] = dW.reshape(-1)
    sums[size:size + n_classes] = db
    sums[size + n_classes] = cost
    sums[size + n_classes + 1] = weight
    return sums


def chunk_curvature(X: np.ndarray, sample_weight: np.ndarray | None, v: np.ndarray) -> np.ndarray:
    """One chunk's part of ``[X; 1] diag(s) [X; 1]ᵀ v``."""
    if X.shape[1] == 0:
        return np.zeros(v.shape[0])
    return curvature_image(X, sample_weight, v)


def chunk_hessian(X: np.ndarray, sample_weight: np.ndarray | None, w: np.ndarray, b: Any,
                  v: np.ndarray | None, shape: tuple[int, int] | None, size: int,
                  kernel: str | Kernel) -> np.ndarray:
    """One chunk's part of the Hessian's sums at ``(w, b)``: ``H v``, or for ``v=None`` the
    diagonal (``size`` numbers: ``w`` flat and every intercept)."""
    if X.shape[1] == 0:
        return np.zeros(size)
    kernel = lookup_kernel(kernel) if isinstance(kernel, str) else kernel
    loss = loss_of(None if shape is None else shape[0])
    op = loss.op("product")
    product = resolve(kernel, op, X, 1 if shape is None else shape[0]).op(op)
    operator = operator_sums(X, sample_weight, w.shape if shape is None else shape, loss, product,
                             w, b)
    return operator.diagonal if v is None else operator.product(v)


def _add(*parts: np.ndarray) -> np.ndarray:
    """The sum of the parts, left to right."""
    total = parts[0].copy()
    for part in parts[1:]:
        total += part
    return total


class _Chunks:
    """The problem's chunks as Delayed blocks, in chunk order, and the two map-reduces over them."""

    def __init__(self, problem: DaskProblem, kernel: Kernel):
        dask, _ = import_dask()
        self._dask = dask
        self.kernel = _kernel_spec(kernel)
        # Held for as long as the chunks are used: on a distributed cluster the
        # persisted collections' futures are what keeps their data there (the
        # Delayed blocks below name the keys, but do not hold them).
        self._collections = (problem.X, problem.y, problem.sample_weight)
        # Unoptimised, as every graph fastlr sends (see fastlr._dask_input).
        X = list(problem.X.to_delayed(optimize_graph=False).ravel())
        y = list(problem.y.to_delayed(optimize_graph=False).ravel())
        s = problem.sample_weight
        s = [None] * len(X) if s is None else list(s.to_delayed(optimize_graph=False).ravel())
        self._labelled = list(zip(X, y, s))  # the arguments of chunk_sums
        self._unlabelled = list(zip(X, s))  # the arguments of chunk_curvature

    def sums(self, w: np.ndarray, b: float | np.ndarray, computed_with=(), function=chunk_sums):
        """The reduced ``function`` (:func:`chunk_sums`, or :func:`chunk_multinomial_sums` with ``W``) at ``(w, b)``.

        With ``computed_with`` (lazy values): ``(sums, [their values])``, from the same compute.
        """
        return self._map_sum(function, self._labelled, (w, b, self.kernel), computed_with)

    def curvature(self, v: np.ndarray) -> np.ndarray:
        """``[X; 1] diag(s) [X; 1]ᵀ v``, reduced from :func:`chunk_curvature`."""
        return self._map_sum(chunk_curvature, self._unlabelled, (v,), ())

    def hessian_operator(self, total: float, alpha: float, shape: tuple[int, int] | None,
                         w: np.ndarray, b: Any) -> HessianOperator:
        """``Objective.hessian_operator`` at ``(w, b)``: the diagonal now (one map-reduce), each
        product later (one map-reduce each), divided by ``sum(s)``, plus the L2 term on ``w``."""
        w = w.copy()  # the solver reuses its buffer; the products need this point
        b = b.copy() if isinstance(b, np.ndarray) else b
        n = w.shape[0]
        size = n + (1 if shape is None else shape[0])
        fixed = (w, b)

        def reduced(v):
            return self._map_sum(chunk_hessian, self._unlabelled, (*fixed, v, shape, size,
                                                                   self.kernel), ()) / total

        diagonal = reduced(None)
        diagonal[:n] += alpha

        def product(v: np.ndarray) -> np.ndarray:
            out = reduced(v)
            out[:n] += alpha * v[:n]
            return out

        return HessianOperator(product, diagonal)

    def _map_sum(self, function, blocks, arguments, computed_with):
        """The sum over chunks of ``function(*block, *arguments)``: one graph, one compute."""
        delayed = self._dask.delayed
        task = delayed(function, pure=False)
        parts = [task(*block, *arguments) for block in blocks]
        add = delayed(_add, pure=False)
        while len(parts) > 1:
            parts = [add(*parts[i:i + SPLIT_EVERY]) for i in range(0, len(parts), SPLIT_EVERY)]
        total, *values = self._dask.compute(parts[0], *computed_with, optimize_graph=False)
        return (total, values) if computed_with else total


def _means(alpha: float, dtype: np.dtype, sums: np.ndarray, w: np.ndarray):
    """The kernel contract's ``(dw, db, cost)`` from the reduced sums."""
    n_x = w.shape[0]
    total = sums[n_x + 2]
    w64 = w.astype(np.float64)
    dw = sums[:n_x] / total
    if alpha:
        dw += alpha * w64
    cost = float(sums[n_x + 1] / total) + 0.5 * alpha * float(w64 @ w64)
    return dw.astype(dtype, copy=False), float(sums[n_x] / total), cost


def dask_objective(kernel: Kernel, X: Any, Y: Any, *, alpha: Any, sample_weight: Any,
                   w0: Any, b0: Any, n_classes: int | None = None) -> Objective:
    """The training objective of Dask input, persisted once on the cluster."""
    if n_classes is not None:
        return _dask_multinomial_objective(kernel, X, Y, alpha=alpha, sample_weight=sample_weight,
                                           W0=w0, b0=b0, n_classes=n_classes)
    if w0 is None:
        w0 = np.zeros(X.shape[0] if X.ndim == 2 else 0)
    problem = validate_dask_problem(w0, b0, X, Y, alpha=alpha, sample_weight=sample_weight,
                                    persist=True)
    dask, _ = import_dask()
    total_weight = check_summaries(problem, dask.compute(*problem.summaries(), optimize_graph=False))
    chunks = _Chunks(problem, kernel)
    alpha, dtype = problem.alpha, problem.X.dtype

    def evaluate(w: np.ndarray, b: float):
        return _means(alpha, dtype, chunks.sums(w, b), w)

    return Objective(
        evaluate=evaluate, curvature=chunks.curvature,
        explain_non_finite=partial(raise_for_non_finite, problem.X), compiled_train=None,
        w=problem.w, b=problem.b, w_shape=problem.w_shape, dtype=problem.X.dtype,
        alpha=problem.alpha, total_weight=total_weight,
        kernel=chunks.kernel if isinstance(chunks.kernel, str) else chunks.kernel.name,
        hessian_operator=partial(chunks.hessian_operator, total_weight, alpha, None),
    )


def dask_gradient(w: Any, b: Any, X: Any, Y: Any, kernel: Kernel, alpha: Any,
                  sample_weight: Any, check_finite: bool):
    """``fastlr.gradient`` of Dask input: ``(dw, db, cost)`` in memory, ``dw`` in X's dtype.

    The label and weight checks are computed with the gradient: one round trip.
    """
    problem = validate_dask_problem(w, b, X, Y, alpha=alpha, sample_weight=sample_weight,
                                    check_finite=check_finite)
    sums, summaries = _Chunks(problem, kernel).sums(problem.w, problem.b,
                                                    computed_with=problem.summaries())
    check_summaries(problem, summaries)
    dw, db, cost = _means(problem.alpha, problem.X.dtype, sums, problem.w)
    if check_finite:
        check_result_finite(problem.X, dw, db, cost)
    return dw.reshape(problem.w_shape), db, cost


def _multinomial_kernel(kernel: Kernel) -> Kernel:
    """The kernel, after checking that it offers the multinomial op (auto's choices do)."""
    return kernel if kernel is AUTO_KERNEL else resolve(kernel, MULTINOMIAL, None)


def _multinomial_result(sums: np.ndarray, W: np.ndarray, alpha: float):
    """``(dW float64, db, cost)`` from the reduced :func:`chunk_multinomial_sums`."""
    n_classes, n_x = W.shape
    size = n_classes * n_x
    return multinomial_means(W, alpha, sums[-1], sums[:size].reshape(n_classes, n_x).copy(),
                             sums[size:size + n_classes].copy(), float(sums[size + n_classes]))


def _dask_multinomial_objective(kernel: Kernel, X: Any, Y: Any, *, alpha: Any, sample_weight: Any,
                                W0: Any, b0: Any, n_classes: int) -> Objective:
    """The multinomial training objective of Dask input (class labels), persisted once."""
    kernel = _multinomial_kernel(kernel)
    W0 = multinomial_start(W0, n_classes, X.shape[0] if X.ndim == 2 else 0)
    problem = validate_dask_multinomial(W0, b0, X, Y, alpha=alpha, sample_weight=sample_weight,
                                        persist=True)
    dask, _ = import_dask()
    total_weight = check_class_summaries(problem, dask.compute(*problem.summaries(),
                                                               optimize_graph=False))
    chunks = _Chunks(problem, kernel)
    alpha, dtype, shape = problem.alpha, problem.X.dtype, problem.W.shape

    def evaluate(w: np.ndarray, b: np.ndarray):
        W = w.reshape(shape)
        sums = chunks.sums(W, b, function=chunk_multinomial_sums)
        dW, db, cost = _multinomial_result(sums, W, alpha)
        return dW.reshape(-1).astype(dtype, copy=False), db, cost

    return Objective(
        evaluate=evaluate, curvature=chunks.curvature,
        explain_non_finite=partial(raise_for_non_finite, problem.X), compiled_train=None,
        w=problem.W.reshape(-1), b=problem.b, w_shape=shape, dtype=dtype, alpha=alpha,
        total_weight=total_weight, n_classes=n_classes,
        kernel=chunks.kernel if isinstance(chunks.kernel, str) else chunks.kernel.name,
        hessian_operator=partial(chunks.hessian_operator, total_weight, alpha, shape),
    )


def dask_softmax_gradient(W: Any, b: Any, X: Any, Y: Any, kernel: Any, alpha: Any,
                          sample_weight: Any, check_finite: bool):
    """``fastlr.softmax_gradient`` of Dask input (class labels): one map-reduce, checks in the same compute."""
    kernel = _multinomial_kernel(lookup_kernel(kernel))
    problem = validate_dask_multinomial(W, b, X, Y, alpha=alpha, sample_weight=sample_weight,
                                        check_finite=check_finite)
    sums, summaries = _Chunks(problem, kernel).sums(problem.W, problem.b,
                                                    computed_with=problem.summaries(),
                                                    function=chunk_multinomial_sums)
    check_class_summaries(problem, summaries)
    dW, db, cost = _multinomial_result(sums, problem.W, problem.alpha)
    if check_finite:
        check_result_finite(problem.X, dW, db, cost)
    return dW.astype(problem.X.dtype, copy=False), db, float(cost)
