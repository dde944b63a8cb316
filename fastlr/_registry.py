"""The one table of kernels, and the one place that resolves a kernel choice.

Every kernel fastlr ships is a row of ``_TABLE``: its public name, the module
under ``fastlr.kernels`` that implements it, what it needs installed, and a
line for humans. Names are normalised once (case, ``_`` for ``-``,
surrounding blanks) and resolved to a :class:`Kernel` whose module is
imported on first use, so ``import fastlr`` never pays for numba.

``"auto"`` is not a kernel but a choice: :data:`AUTO_KERNEL` stands for it
until X is known, and :func:`kernel_for` then turns it into the fastest
kernel available here for that X (``fastlr._auto``).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable, NamedTuple

from ._errors import KernelUnavailableError, UnknownKernelError

__all__ = [
    "AUTO",
    "AUTO_KERNEL",
    "KERNELS",
    "Kernel",
    "available_kernels",
    "get_kernel",
    "kernel_for",
    "lookup_kernel",
]

AUTO = "auto"


class _Row(NamedTuple):
    name: str
    module: str
    requires: str | None  # the distribution to install, None when only numpy
    description: str


_TABLE: tuple[_Row, ...] = (
    _Row("python", "python_loops", None,
         "two explicit pure-Python loops, over examples and over features"),
    _Row("partial", "partial_loop", None,
         "a Python loop over examples, NumPy over features"),
    _Row("numpy", "vectorized", None,
         "fully vectorized: w @ X and X @ dz through BLAS"),
    _Row("numba", "numba_loops", "numba",
         "explicit loops JIT-compiled by numba, one thread, loop order following X's layout"),
    _Row("numba-parallel", "numba_parallel", "numba",
         "one fused pass over X on every core (numba prange), per-thread partial sums"),
)
_ROWS = {row.name: row for row in _TABLE}

#: The kernels fastlr ships, slowest first, as in the course notes' table.
KERNELS: tuple[str, ...] = tuple(row.name for row in _TABLE)


@dataclass(frozen=True)
class Kernel:
    """A gradient kernel: a name and the functions that implement it.

    Parameters
    ----------
    name : str
        The kernel's name, as in :data:`fastlr.KERNELS` for those fastlr ships.
    gradient : callable
        ``gradient(w, b, X, y, alpha, sample_weight) -> (dw, db, cost)`` on
        clean input, as documented in :mod:`fastlr.kernels`.
    train : callable or None
        A compiled gradient-descent loop, when the kernel has one:
        ``train(w, b, X, y, alpha, sample_weight, learning_rate, max_iter,
        tol, fit_intercept=True)``, as documented in :mod:`fastlr.kernels`
        (``fit_intercept`` is passed only when ``False``).
    description : str
        One line for humans.
    """

    name: str
    gradient: Callable[..., tuple[Any, float, float]] = field(repr=False)
    train: Callable[..., Any] | None = field(default=None, repr=False)
    description: str = ""


_loaded: dict[str, Kernel] = {}
_unavailable: dict[str, KernelUnavailableError] = {}


def _normalise(name: str) -> str:
    return name.strip().lower().replace("_", "-")


def _valid_names() -> str:
    return ", ".join((*KERNELS, AUTO))


def _load(row: _Row) -> Kernel:
    kernel = _loaded.get(row.name)
    if kernel is None:
        if row.name in _unavailable:
            raise _unavailable[row.name]
        try:
            module = importlib.import_module(f"fastlr.kernels.{row.module}")
        except ImportError as exc:
            error = KernelUnavailableError(
                f"kernel {row.name!r} needs {row.requires}, which cannot be "
                f"imported here ({exc}); install it with `pip install {row.requires}`"
            )
            error.__cause__ = exc
            _unavailable[row.name] = error
            raise error from exc
        kernel = Kernel(
            name=row.name,
            gradient=module.gradient,
            train=getattr(module, "train", None),
            description=row.description,
        )
        _loaded[row.name] = kernel
    return kernel


def _row(name: str) -> _Row:
    if not isinstance(name, str):
        raise TypeError(
            f"kernel must be a name (str) or a fastlr.Kernel; got {type(name).__name__} "
            f"{name!r}; valid names: {_valid_names()}"
        )
    row = _ROWS.get(_normalise(name))
    if row is None:
        raise UnknownKernelError(f"unknown kernel {name!r}; available: {_valid_names()}")
    return row


def _importable(row: _Row) -> bool:
    try:
        _load(row)
    except KernelUnavailableError:
        return False
    return True


def available_kernels() -> tuple[str, ...]:
    """The names of the kernels usable here, in the order of :data:`KERNELS`.

    A kernel whose optional dependency (numba) does not import is left out.
    The first call imports each kernel's module.
    """
    return tuple(row.name for row in _TABLE if _importable(row))


def get_kernel(name: str) -> Kernel:
    """The :class:`Kernel` behind a name.

    Parameters
    ----------
    name : str
        A name from :data:`KERNELS` (case-insensitive, ``_`` for ``-``
        accepted), or ``"auto"``: a kernel that picks, on each call, the
        fastest kernel available here for that X (see ``fastlr._auto``).

    Raises
    ------
    UnknownKernelError
        If fastlr has no kernel of that name (a ``ValueError``).
    KernelUnavailableError
        If the kernel needs a package that does not import (an ``ImportError``).
    """
    if isinstance(name, str) and _normalise(name) == AUTO:
        return AUTO_KERNEL
    return _load(_row(name))


def _auto_gradient(w, b, X, y, alpha, sample_weight):
    return kernel_for(AUTO_KERNEL, X).gradient(w, b, X, y, alpha, sample_weight)


#: What ``get_kernel("auto")`` returns: it chooses per call, from X.
AUTO_KERNEL = Kernel(
    name=AUTO,
    gradient=_auto_gradient,
    description="the fastest kernel available here for the shape, dtype and layout of X",
)

_looked_up: dict[str, Kernel] = {}


def lookup_kernel(kernel: str | Kernel) -> Kernel:
    """The ``kernel=`` argument of the public API as a :class:`Kernel` (maybe ``AUTO_KERNEL``).

    Names are resolved once and remembered, so that the public API pays a
    dictionary lookup per call.
    """
    if type(kernel) is str:
        found = _looked_up.get(kernel)
        if found is None:
            found = _looked_up[kernel] = get_kernel(kernel)
        return found
    if isinstance(kernel, Kernel):
        return kernel
    return get_kernel(kernel)  # raises the TypeError that names the valid choices


_choose: Callable[[Any], Kernel] | None = None  # fastlr._auto.choose_kernel, once imported


def kernel_for(kernel: Kernel, X: Any) -> Kernel:
    """The kernel that runs on a validated ``X``: ``kernel`` itself, or auto's choice."""
    global _choose
    if kernel is not AUTO_KERNEL:
        return kernel
    if _choose is None:
        from ._auto import choose_kernel  # imports this module: not at the top

        _choose = choose_kernel
    return _choose(X)
