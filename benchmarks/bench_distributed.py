"""The gradient of Dask arrays on a dask.distributed LocalCluster: fastlr's kernels against dask-glm.

Each benchmark starts a LocalCluster of 2 single-threaded worker processes
in ``setup``, draws X ``(m, n_x)`` float64 on the workers in 8 chunks along
the samples (labels from a noisy linear rule) and persists it, then times one
evaluation of cost and gradient, everything included: the graph, the
scheduler's round trip, the kernels where the chunks live, the reduction.

- ``fastlr-<kernel>``: ``fastlr.gradient`` on ``X.T`` (fastlr's
  ``(n_x, m)``; each chunk a view);
- ``dask-glm``: what dask-glm's ``lbfgs`` computes per evaluation,
  ``compute(pointwise_loss, pointwise_gradient)`` of its ``Logistic``
  family: the lazy ``X.T @ (sigmoid(X @ beta) - y)`` graph, built anew.

The first evaluation (numba's compile or cache load on each worker) happens
in ``setup``. Skipped where dask.distributed or dask-glm is missing, and at
commits before fastlr's Dask support (``_supports_dask``: such a fastlr
turned the whole Dask array into one NumPy array in the client, and results
recorded for those commits before this check timed that, not the cluster).
"""

from __future__ import annotations

import numpy as np

import fastlr

from .common import available

METHODS = ("fastlr-numpy", "fastlr-numba", "dask-glm")
SIZES = ("100x400000",)
CHUNKS = 8


def _import(name: str):
    try:
        return __import__(name, fromlist=["_"])
    except ImportError:
        raise NotImplementedError(f"{name} is not installed") from None


def _supports_dask(da) -> None:
    """Skip unless this fastlr computes on the chunks where they live.

    A version before Dask support either refuses a Dask array or, worse,
    turns it into one NumPy array here (``np.asarray``) and times that. The
    version with support refuses an X chunked along its features (n_x), which
    the first kind accepts: that tells them apart.
    """
    y = da.zeros(4, chunks=2)
    try:
        fastlr.gradient(np.zeros(2), 0.0, da.ones((2, 4), chunks=(2, 2)), y, kernel="numpy")
    except (TypeError, ValueError) as exc:
        raise NotImplementedError(f"this version of fastlr does not take Dask arrays ({exc})") from None
    try:
        fastlr.gradient(np.zeros(2), 0.0, da.ones((2, 4), chunks=(1, 2)), y, kernel="numpy")
    except ValueError:
        return
    raise NotImplementedError("this version of fastlr converts Dask arrays to NumPy in the client")


class TimeDistributedGradient:
    params = (METHODS, SIZES)
    param_names = ("method", "size")
    number = 1
    repeat = (3, 10, 20.0)
    timeout = 300

    def setup(self, method, size):
        dask = _import("dask")
        da = _import("dask.array")
        distributed = _import("distributed")
        if method == "dask-glm":
            self.family = _import("dask_glm.families").Logistic
        else:
            self.kernel = method.removeprefix("fastlr-")
            if not available(self.kernel):
                raise NotImplementedError(f"{method} is unavailable here")
        _supports_dask(da)
        n_x, m = (int(part) for part in size.split("x"))
        self.cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                                dashboard_address=":0")
        self.client = distributed.Client(self.cluster)
        rng = da.random.default_rng(0)
        samples = rng.standard_normal((m, n_x), chunks=(-(-m // CHUNKS), n_x))
        beta = np.random.default_rng(1).standard_normal(n_x) / np.sqrt(n_x)
        labels = ((samples @ beta + rng.standard_normal(m, chunks=samples.chunks[0])) > 0).astype(float)
        self.samples, self.labels = dask.persist(samples, labels)
        self.compute = dask.compute
        self.w = np.full(n_x, 0.01)
        self.evaluate()  # compile or load numba's cache on the workers

    def teardown(self, method, size):
        self.client.close()
        self.cluster.close()

    def evaluate(self):
        if hasattr(self, "family"):
            family = self.family
            return self.compute(family.pointwise_loss(self.w, self.samples, self.labels),
                                family.pointwise_gradient(self.w, self.samples, self.labels))
        return fastlr.gradient(self.w, 0.0, self.samples.T, self.labels, kernel=self.kernel)

    def time_gradient(self, method, size):
        self.evaluate()
