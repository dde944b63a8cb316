"""``fastlr compare``: the course notes' speed table, measured on this machine.

For each size ``(n_x, m)`` every chosen kernel computes the gradient of the
same seeded problem through ``fastlr.gradient`` (validation included, as a
user pays it). Per kernel and size:

- ``first_call``: the first call's time, which for numba includes compiling
  or loading the compiled code from its cache; reported apart, never mixed
  into the timing;
- ``seconds``: the best over ``repeat`` runs of the mean time per call, each
  run long enough (>= 20 ms, or one call) to be above the clock's noise;
- a kernel whose estimated total time for a size exceeds ``budget`` seconds
  is marked skipped, and the table says why under it. The estimate only
  decides what to skip; nothing shown is extrapolated. It is a straight line
  through the best of three calls on the first 64 and the first 512
  examples, so that a fixed cost per call (waking a thread pool on a busy
  machine) is not multiplied by m / 64; a kernel is skipped only if a
  real call on all of X (the second: the first compiles for X's own layout,
  and is reported as ``first_call``) confirms it is over the budget, or, for
  the loops of ``python`` and ``partial``, if the line alone says so;
- ``auto`` is timed as a kernel of its own, and records which kernel it ran.

With ``classes=K`` the multinomial gradient of K classes
(``fastlr.softmax_gradient``, integer labels) is timed instead, the same way.

With ``density=d`` X is sparse: ``max(1, round(d n_x))`` stored entries per
example at random features, CSC ``(n_x, m)`` (each example's entries
together: what ``LogisticRegression`` passes for a CSR X) or CSR with
``sparse_format="csr"``, float values and int32 indices. Its bytes are those
of the values and indices, and the read baseline reads both.

Per size, the memory-read baseline (``fastlr._memory_read``) is timed the
same way, so that each kernel's GB/s (bytes of X / time per gradient) can
be set against the fastest read of X measured in the same run. Every kernel
reads X at least once, so the baseline is the fastest pass over X seen for
that size: the parallel read, a one-thread ``X.sum()``, or a kernel, if one
was faster (a read slowed down by a busy machine). No kernel can then show
more than 100% "of read".

Kernels are timed one after another with a pause between them: OpenBLAS's
and OpenMP's threads spin for a while after a call, and a multi-threaded
kernel timed in that window shares the cores with them (measured: up to 10x
slower, either way round). Speed-ups are ratios of times measured side by
side in the same run.
"""

from __future__ import annotations

import math
import os
import platform
import time
from dataclasses import asdict, dataclass
from typing import Any, Callable, Iterable

import numpy as np

from ._auto import choose_kernel_name
from ._gradient import gradient
from ._memory_read import read_once
from ._registry import AUTO, BINARY, MULTINOMIAL, available_kernels
from ._softmax_gradient import softmax_gradient

__all__ = [
    "Measurement",
    "as_records",
    "environment",
    "measure",
    "parse_sizes",
    "sparse_problem",
    "speedup_table",
    "text_table",
    "time_per_call",
]

DEFAULT_SIZES = ((10, 1_000), (100, 1_000), (100, 10_000), (1_000, 10_000),
                 (10, 100_000), (100, 100_000), (1_000, 100_000))
QUICK_SIZES = ((10, 1_000), (100, 10_000))
_PROBE_EXAMPLES = (64, 512)
#: Kernels whose time grows with m from the first example: the probe's line alone may skip them.
_LOOPS = ("python", "partial")
_MIN_RUN_SECONDS = 0.02
_SETTLE_SECONDS = 0.1  # lets the previous kernel's thread pool go idle (see above)
#: The name the memory-read baseline has in the results.
READ = "read X once"


@dataclass(frozen=True)
class Measurement:
    n_x: int
    m: int
    kernel: str
    seconds: float | None  # per gradient; None when skipped
    first_call: float | None
    skipped: str | None = None  # the reason, when skipped
    bytes_read: int = 0  # X's size in bytes
    ran: str | None = None  # for auto: the kernel it chose

    @property
    def gb_per_s(self) -> float | None:
        """Bytes of X over time per gradient, in GB/s."""
        return None if self.seconds is None else self.bytes_read / self.seconds / 1e9


def parse_sizes(text: str) -> tuple[tuple[int, int], ...]:
    """``"100x1000,10x1e5"`` -> ``((100, 1000), (10, 100000))``."""
    sizes = []
    for item in text.split(","):
        parts = item.strip().lower().split("x")
        try:
            n_x, m = (int(float(part)) for part in parts)
        except ValueError:
            raise ValueError(f"size {item.strip()!r} is not N_XxM (for example 100x10000)") from None
        if n_x < 1 or m < 1:
            raise ValueError(f"size {item.strip()!r} needs n_x >= 1 and m >= 1")
        sizes.append((n_x, m))
    return tuple(sizes)


def _problem(n_x: int, m: int, dtype: np.dtype, order: str, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = np.asarray(rng.standard_normal((n_x, m)), order=order).astype(dtype, copy=False)
    w = (rng.standard_normal(n_x) / math.sqrt(n_x)).astype(dtype)
    y = (rng.random(m) < 0.5).astype(dtype)
    return w, 0.1, X, y


def sparse_problem(n_x: int, m: int, density: float, dtype: np.dtype, sparse_format: str = "csc",
                   seed: int = 0):
    """A seeded sparse ``(n_x, m)`` X, ``max(1, round(density n_x))`` entries per example."""
    import scipy.sparse

    rng = np.random.default_rng(seed)
    per_example = max(1, min(n_x, round(density * n_x)))
    indptr = np.arange(m + 1, dtype=np.int64) * per_example
    index_dtype = np.int32 if indptr[-1] < 2**31 else np.int64
    X = scipy.sparse.csc_matrix(
        (rng.standard_normal(m * per_example).astype(dtype),
         rng.integers(0, n_x, m * per_example).astype(index_dtype), indptr.astype(index_dtype)),
        shape=(n_x, m))
    return X if sparse_format == "csc" else X.tocsr()


def _bytes(X) -> int:
    """What a gradient must read of X: its values, plus a sparse X's indices."""
    return X.data.nbytes + X.indices.nbytes if hasattr(X, "indices") else X.nbytes


def _read_once(X) -> None:
    """The memory-read baseline's pass over X (a sparse X's values and indices)."""
    if hasattr(X, "indices"):
        read_once(X.data.reshape(1, -1))
        read_once(X.indices.view(np.float32 if X.indices.itemsize == 4 else np.float64).reshape(1, -1))
    else:
        read_once(X)


def _evaluation(n_x: int, m: int, dtype: np.dtype, order: str, classes: int | None,
                density: float | None = None, sparse_format: str = "csc"):
    """``(X, y, evaluate)``: the seeded problem and ``evaluate(X, y, kernel)``, its gradient."""
    if density is None:
        w, b, X, y = _problem(n_x, m, dtype, order)
    else:
        X = sparse_problem(n_x, m, density, dtype, sparse_format)
        rng = np.random.default_rng(0)
        w = (rng.standard_normal(n_x) / math.sqrt(max(1.0, density * n_x))).astype(dtype)
        b, y = 0.1, (rng.random(m) < 0.5).astype(dtype)
    if classes is None:
        return X, y, lambda X_, y_, kernel: gradient(w, b, X_, y_, kernel=kernel)
    rng = np.random.default_rng(1)
    W = (rng.standard_normal((classes, n_x)) / math.sqrt(n_x)).astype(dtype)
    b_k = rng.standard_normal(classes) * 0.1
    labels = rng.integers(0, classes, m)
    return X, labels, lambda X_, y_, kernel: softmax_gradient(W, b_k, X_, y_, kernel=kernel)


def _seconds(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def time_per_call(call: Callable[[], object], repeat: int,
                  min_run_seconds: float = _MIN_RUN_SECONDS) -> float:
    """The best mean time per call over ``repeat`` runs, each at least ``min_run_seconds`` long."""
    one = _seconds(call)
    number = max(1, int(min_run_seconds / max(one, 1e-9)))
    best = one
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            call()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def measure(sizes: Iterable[tuple[int, int]], kernels: Iterable[str] | None = None, repeat: int = 5,
            budget: float = 10.0, on_step: Callable[[str], None] | None = None,
            dtype: type | np.dtype = np.float64, order: str = "C",
            read_baseline: bool = True, classes: int | None = None, density: float | None = None,
            sparse_format: str = "csc") -> list[Measurement]:
    """Time every kernel (and the read of X) on every size; see the module docstring.

    ``classes=K`` times the multinomial gradient of K classes instead of the binary one;
    ``density=d`` a sparse X (``sparse_format`` ``"csc"`` or ``"csr"``).
    """
    kernels = tuple(available_kernels() if kernels is None else kernels)
    results = []
    for n_x, m in sizes:
        X, y, evaluate = _evaluation(n_x, m, np.dtype(dtype), order, classes, density,
                                     sparse_format)
        if read_baseline:
            _read_once(X)  # compile or load the cache
            time.sleep(_SETTLE_SECONDS)
            read_seconds = time_per_call(lambda: _read_once(X), repeat)
            if density is None:
                read_seconds = min(read_seconds, time_per_call(X.sum, repeat))
        here = []
        for name in kernels:
            here.append(_measure_kernel(name, evaluate, X, y, repeat, budget, classes))
            if on_step is not None:
                on_step(f"{name} {n_x}x{m}")
        if read_baseline:  # the fastest pass over X seen at this size (see above)
            fastest = min([read_seconds, *(r.seconds for r in here if r.seconds is not None)])
            here.insert(0, Measurement(n_x, m, READ, fastest, None, bytes_read=_bytes(X)))
        results.extend(here)
        del X
    return results


def _measure_kernel(name: str, evaluate: Callable[..., object], X: Any, y: np.ndarray,
                    repeat: int, budget: float, classes: int | None = None) -> Measurement:
    """One kernel at one size: timed, or skipped with the reason (see the module docstring)."""
    n_x, m = X.shape
    op = BINARY if classes is None else MULTINOMIAL
    ran = choose_kernel_name(X, op, classes or 1) if name == AUTO else None

    def full() -> object:
        return evaluate(X, y, name)

    first = None
    estimate = _estimate(lambda k: evaluate(X[:, :k], y[:k], name), m)
    if estimate * (repeat + 2) > budget:
        if name in _LOOPS:
            per_call, how = estimate, "estimated"
        else:  # real calls decide: compiled kernels have fixed costs the line may inflate
            time.sleep(_SETTLE_SECONDS)
            first = _seconds(full)  # compiles, or loads, for X's own layout
            per_call, how = _seconds(full), "measured"
        if per_call * (repeat + 2) > budget:
            return Measurement(n_x, m, name, None, None,
                               f"{how} {per_call:.2g} s per gradient; {repeat + 2} calls exceed "
                               f"the {budget:g} s budget (--budget)",
                               bytes_read=_bytes(X), ran=ran)
    if first is None:
        time.sleep(_SETTLE_SECONDS)
        first = _seconds(full)
    return Measurement(n_x, m, name, time_per_call(full, repeat), first, bytes_read=_bytes(X),
                       ran=ran)


def _estimate(call_on: Callable[[int], object], m: int) -> float:
    """Seconds per gradient on m examples, from a line through two small calls (best of 3 each)."""
    small, large = (min(m, k) for k in _PROBE_EXAMPLES)
    call_on(small)  # compile, or load from the cache, for this layout
    t_small = min(_seconds(lambda: call_on(small)) for _ in range(3))
    if large == small:
        return t_small
    t_large = min(_seconds(lambda: call_on(large)) for _ in range(3))
    slope = max(t_large - t_small, 0.0) / (large - small)
    return t_large + slope * (m - large)


def _format_time(seconds: float | None) -> str:
    if seconds is None:
        return "skipped"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds * 1e9:.3g} ns"


def _ratio(base: float | None, seconds: float | None) -> str:
    if base is None or seconds is None:
        return "-"
    ratio = base / seconds
    return f"{ratio:,.1f}x" if ratio >= 0.95 else f"{ratio:.2g}x"


def speedup_table(results: list[Measurement]) -> str:
    """The measurements as a text table: speed-ups over python and numpy, GB/s, share of the read limit."""
    by_size: dict[tuple[int, int], dict[str, Measurement]] = {}
    for result in results:
        by_size.setdefault((result.n_x, result.m), {})[result.kernel] = result
    header = ("n_x", "m", "kernel", "time/gradient", "vs python", "vs numpy", "GB/s", "of read",
              "first call")
    rows = [header]
    for (n_x, m), row in by_size.items():
        python = row.get("python")
        numpy_ = row.get("numpy")
        read = row.get(READ)
        for name, result in row.items():
            label = f"{name} ({result.ran})" if result.ran else name
            is_kernel = name != READ
            rows.append((
                str(n_x), str(m), label, _format_time(result.seconds),
                _ratio(python.seconds if python and is_kernel else None, result.seconds),
                _ratio(numpy_.seconds if numpy_ and is_kernel else None, result.seconds),
                "-" if result.gb_per_s is None else f"{result.gb_per_s:.3g}",
                _share(read.seconds if read else None, result.seconds),
                _format_time(result.first_call) if result.first_call is not None else "-",
            ))
    notes = [f"{r.kernel} at {r.n_x} x {r.m} skipped: {r.skipped}" for r in results if r.skipped]
    return "\n".join([text_table(rows), *notes])


def text_table(rows: list[tuple[str, ...]], left: int = 2) -> str:
    """Rows of cells as aligned text: the first row a header, column ``left`` left-aligned."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for index, row in enumerate(rows):
        cells = [cell.ljust(width) if i == left else cell.rjust(width) for i, (cell, width) in enumerate(zip(row, widths))]
        lines.append("  ".join(cells))
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


def _share(read_seconds: float | None, seconds: float | None) -> str:
    """Read time over gradient time: the fraction of the read bandwidth a kernel reaches."""
    if read_seconds is None or seconds is None:
        return "-"
    return f"{read_seconds / seconds:.0%}"


#: OpenBLAS settings that change NumPy's speed; a comparison says when they are set.
_BLAS_SETTINGS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")


def blas_threads() -> str:
    """The BLAS libraries loaded now and their threads, e.g. ``"openblas 0.3.31: 2 threads"``
    (``"unknown"`` without threadpoolctl)."""
    from ._blas import blas_controller

    controller = blas_controller()
    if controller is None:  # pragma: no cover - a dependency
        return "unknown"
    found = sorted({f"{pool['internal_api']} {pool.get('version') or ''}".strip()
                    + f": {pool['num_threads']} thread{'s' if pool['num_threads'] != 1 else ''}"
                    for pool in controller.info() if pool["user_api"] == "blas"})
    return ", ".join(found) or "none loaded"


def environment() -> dict[str, str]:
    """What the numbers were measured on: versions, cores, the BLAS and its threads now, and
    the OpenBLAS settings of the environment that are set."""
    info = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "processor": platform.processor() or "unknown",
        "cpus": str(os.cpu_count()),
        "numpy": np.__version__,
        "blas": blas_threads(),
        "blas_settings": " ".join(f"{name}={os.environ[name]}" for name in _BLAS_SETTINGS
                                  if name in os.environ) or "none set",
    }
    try:
        import numba

        info["numba"] = numba.__version__
    except ImportError:
        info["numba"] = "not installed"
    return info


def as_records(results: list[Measurement]) -> list[dict]:
    return [asdict(result) for result in results]
