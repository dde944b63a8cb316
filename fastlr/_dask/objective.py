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
from typing import Any, Callable, NamedTuple

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
from .._finish import weight_total
from .._hessian_product import HessianOperator
from .._loss import BINARY_LOSS, MULTINOMIAL_LOSS, Loss, loss_of
from .._objective import Objective, curvature_image, operator_sums
from .._registry import (
    AUTO_KERNEL,
    KERNELS,
    Kernel,
    lookup_kernel,
    resolve,
)
from .._validation import check_result_finite, raise_for_non_finite

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


class _DaskLoss(NamedTuple):
    """What the Dask layer does for one loss: its validation (``fastlr._dask.input``), the check
    of the computed summaries of its labels and weights, and its chunks' sums."""

    validate: Callable[..., Any]
    check: Callable[[Any, Any], float]
    chunk_sums: Callable[..., np.ndarray]


_DASK = {
    BINARY_LOSS.name: _DaskLoss(validate_dask_problem, check_summaries, chunk_sums),
    MULTINOMIAL_LOSS.name: _DaskLoss(validate_dask_multinomial, check_class_summaries,
                                     chunk_multinomial_sums),
}


def _reduced_means(loss: Loss, sums: np.ndarray, w: np.ndarray, alpha: float):
    """``(d, db, cost)``, ``d`` float64 shaped as ``w``, from the reduced chunk sums: ``d`` (``w``'s
    size), ``db`` (one, or K), the cost and ``sum(s)``, finished by the loss."""
    size = w.size
    n_b = w.shape[0] if loss.multinomial else 1
    d = sums[:size].reshape(w.shape).copy()
    db = sums[size:size + n_b].copy() if loss.multinomial else float(sums[size])
    return loss.means(w, alpha, float(sums[-1]), d, db, float(sums[size + n_b]))


def _checked_kernel(loss: Loss, kernel: Kernel) -> Kernel:
    """The kernel, after checking that it offers the loss's sums op (auto's choices do); a
    kernel of your own may give the binary problem's finished gradient alone."""
    if kernel is AUTO_KERNEL or not loss.multinomial:
        return kernel
    return resolve(kernel, loss.op("sums"), None)


def dask_objective(kernel: Kernel, X: Any, Y: Any, *, alpha: Any, sample_weight: Any,
                   w0: Any, b0: Any, n_classes: int | None = None) -> Objective:
    """The training objective of Dask input, persisted once on the cluster."""
    loss = loss_of(n_classes)
    parts = _DASK[loss.name]
    kernel = _checked_kernel(loss, kernel)
    w0 = loss.initial(w0, n_classes, X.shape[0] if X.ndim == 2 else 0)
    problem = parts.validate(w0, b0, X, Y, alpha=alpha, sample_weight=sample_weight, persist=True)
    dask, _ = import_dask()
    total_weight = parts.check(problem, dask.compute(*problem.summaries(), optimize_graph=False))
    chunks = _Chunks(problem, kernel)
    w, b, shape = loss.start(problem)
    alpha, dtype = problem.alpha, problem.X.dtype

    def evaluate(w: np.ndarray, b: Any):
        coefficients = loss.unflatten(w, shape)
        sums = chunks.sums(coefficients, b, function=parts.chunk_sums)
        d, db, cost = _reduced_means(loss, sums, coefficients, alpha)
        return d.reshape(-1).astype(dtype, copy=False), db, cost

    return Objective(
        evaluate=evaluate, curvature=chunks.curvature,
        explain_non_finite=partial(raise_for_non_finite, problem.X), compiled_train=None,
        w=w, b=b, w_shape=shape, dtype=dtype, alpha=alpha, total_weight=total_weight,
        n_classes=shape[0] if loss.multinomial else 0,
        kernel=chunks.kernel if isinstance(chunks.kernel, str) else chunks.kernel.name,
        hessian_operator=partial(chunks.hessian_operator, total_weight, alpha,
                                 shape if loss.multinomial else None),
    )


def _evaluation(loss: Loss, kernel: Kernel, w: Any, b: Any, X: Any, Y: Any, alpha: Any,
                sample_weight: Any, check_finite: bool):
    """``(problem, d, db, cost)`` at the given point, ``d`` float64: one map-reduce, the label and
    weight checks computed with it (one round trip)."""
    parts = _DASK[loss.name]
    problem = parts.validate(w, b, X, Y, alpha=alpha, sample_weight=sample_weight,
                             check_finite=check_finite)
    w_flat, b, shape = loss.start(problem)
    coefficients = loss.unflatten(w_flat, shape)
    sums, summaries = _Chunks(problem, _checked_kernel(loss, kernel)).sums(
        coefficients, b, computed_with=problem.summaries(), function=parts.chunk_sums)
    parts.check(problem, summaries)
    d, db, cost = _reduced_means(loss, sums, coefficients, problem.alpha)
    if check_finite:
        check_result_finite(problem.X, d, db, cost)
    return problem, d, db, cost


def dask_gradient(w: Any, b: Any, X: Any, Y: Any, kernel: Kernel, alpha: Any,
                  sample_weight: Any, check_finite: bool):
    """``fastlr.gradient`` of Dask input: ``(dw, db, cost)`` in memory, ``dw`` in X's dtype."""
    problem, dw, db, cost = _evaluation(BINARY_LOSS, kernel, w, b, X, Y, alpha, sample_weight,
                                        check_finite)
    return dw.astype(problem.X.dtype, copy=False).reshape(problem.w_shape), db, cost


def dask_softmax_gradient(W: Any, b: Any, X: Any, Y: Any, kernel: Any, alpha: Any,
                          sample_weight: Any, check_finite: bool):
    """``fastlr.softmax_gradient`` of Dask input (class labels): one map-reduce, checks in the same compute."""
    problem, dW, db, cost = _evaluation(MULTINOMIAL_LOSS, lookup_kernel(kernel), W, b, X, Y, alpha,
                                        sample_weight, check_finite)
    return dW.astype(problem.X.dtype, copy=False), db, float(cost)
