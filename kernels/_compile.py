"""How fastlr's compiled loops are compiled: the one place that sets numba's options.

Every compiled function of the ``numba`` and ``numba-parallel`` kernels is
made by one of the decorators here, so that the options that decide both
run-time speed and compile time are stated once:

- :func:`inline`: a small shape or buffer function, typed and compiled as
  part of each caller.
- :func:`helper`: a function called from compiled code only. No CPython
  wrapper and no C wrapper are generated for it (each took about 0.05 s to
  build and compile, for every helper and every type signature, and
  nothing calls them from Python).
- :func:`entry`: a function called from Python (with those wrappers).
- :func:`parallel_entry`: an entry that holds a ``prange``. Only the
  ``prange`` runs in parallel; such a function is called from Python only,
  never from another compiled function (a cached function that calls a
  parallel one crashes when loaded from the cache: numba issue #8578).

All are cached on disk (``cache=True``; a damaged cache file is compiled
again, not an error: :func:`_survive_a_damaged_cache`), release the GIL (``nogil``), use
``error_model="numpy"`` (no zero-division checks to block vectorisation)
and, unless told otherwise, :data:`FASTMATH`: reassociation and contraction
let LLVM vectorise the sums, and no ``nnan``/``ninf``, so NaN and inf
propagate exactly as in IEEE arithmetic.

:func:`by_layout` picks, when a function is compiled rather than on every
call, between a loop written for X's examples contiguous (F order) and one
written for its features contiguous (C order): numba's type of X says which
it is, so only the loop that runs is compiled. A strided view (numba's
layout ``A``) gets both, chosen from the strides on each call.

Why compile time matters here: numba compiles each function once per type
signature (dtype and layout of X, weights or none) in every fresh process
whose cache is empty, and a caller's compile re-optimises every helper it
calls, so each nested level and each unused branch is paid again. The
measured breakdown is in the user guide's "The first call" page
(``docs/guide/first-call.md``).

One rule keeps the one-thread and the parallel kernel on the same compiled
loops: a loop is called with the same argument types from both. numba
types a constant argument as a literal (``range_sums(..., 0, m)`` compiles
a version for ``Literal[int](0)``) and a ``prange`` index as unsigned, each
a separate compile of the loop and of everything it calls; so a loop's
first example is passed as ``np.int64(0)``, and a ``prange`` index as
``np.int64(c)`` (``tests/test_compile.py`` checks that no loop is compiled
twice for one X).
"""

from __future__ import annotations

import inspect
import os
from typing import Any, Callable

import numba
from numba.extending import overload

__all__ = ["FASTMATH", "PRANGE_ONLY", "by_layout", "entry", "examples_contiguous", "helper",
           "inline", "parallel_entry"]

#: Reassociation and contraction let LLVM vectorise the sums; no ``nnan`` /
#: ``ninf``, so NaN and inf propagate exactly as in IEEE arithmetic.
FASTMATH = frozenset({"reassoc", "contract", "nsz", "arcp"})

#: ``parallel=`` for the functions that hold a ``prange``: only the
#: ``prange`` runs in parallel; whole-array expressions stay serial.
PRANGE_ONLY = {"prange": True, "numpy": False, "reduction": False, "setitem": False,
               "comprehension": False, "stencil": False, "fusion": False}


def _math_options(fastmath: frozenset[str] | bool) -> dict[str, Any]:
    """The options every compiled function shares: numpy's error model, the fastmath flags."""
    return {"error_model": "numpy", "fastmath": set(fastmath) if fastmath else False}


def _options(fastmath: frozenset[str] | bool) -> dict[str, Any]:
    return {"cache": True, "nogil": True, **_math_options(fastmath)}


def inline(function: Callable) -> Callable:
    """Compile ``function`` into each compiled caller at numba's IR level, not on its own.

    For the small shape and buffer functions (tile lengths, work buffers,
    layout tests): no compile, no machine code and no re-optimisation of
    their own, about 0.05 s each saved per type signature. They compute no
    floating-point sums: inlined code takes its caller's fastmath flags,
    so arithmetic whose flags matter (``kernels._vector_math``) stays a
    :func:`helper`, inlined by LLVM with its own flags.
    """
    return numba.njit(inline="always", error_model="numpy")(function)


def _survive_a_damaged_cache(dispatcher: Any) -> Any:
    """Make numba's on-disk cache of ``dispatcher`` rebuild a damaged entry instead of failing.

    numba unpickles its index and data files as they are: one truncated or
    overwritten file (a disk that filled up, a cache folder copied in part
    between machines or CI runs) made every call of the function raise
    ``UnpicklingError``, in every process, until someone deleted the
    folder. Here a file that cannot be read counts as a miss: the
    function's index is removed, the code is compiled again and saved over
    it. A save that fails the same way is retried once on a fresh index,
    then given up (the code still runs; only the cache is missing).
    """
    cache = getattr(dispatcher, "_cache", None)
    load, save = getattr(cache, "load_overload", None), getattr(cache, "save_overload", None)
    index = getattr(getattr(cache, "_cache_file", None), "_index_path", None)
    if load is None or save is None or index is None:
        return dispatcher  # not numba's file cache: nothing to guard

    def forget_index() -> None:
        try:
            os.remove(index)
        except OSError:
            pass

    def load_overload(sig, target_context):
        try:
            return load(sig, target_context)
        except Exception:  # noqa: BLE001 - whatever a damaged file raises
            forget_index()
            return None

    def save_overload(sig, data):
        try:
            save(sig, data)
        except Exception:  # noqa: BLE001
            forget_index()
            try:
                save(sig, data)
            except Exception:  # noqa: BLE001
                pass

    cache.load_overload = load_overload
    cache.save_overload = save_overload
    return dispatcher


def helper(function: Callable | None = None, *, fastmath: frozenset[str] | bool = FASTMATH):
    """Compile ``function`` for compiled callers only (no CPython or C wrapper).

    ``fastmath=False`` for element-wise loops whose bits must not depend on
    how LLVM compiles them (see ``kernels._softmax_loops``).
    """

    def decorate(function: Callable) -> Callable:
        return _survive_a_damaged_cache(numba.njit(no_cpython_wrapper=True, no_cfunc_wrapper=True,
                                                   **_options(fastmath))(function))

    return decorate if function is None else decorate(function)


def entry(function: Callable | None = None, *, fastmath: frozenset[str] | bool = FASTMATH):
    """Compile ``function`` to be called from Python."""

    def decorate(function: Callable) -> Callable:
        return _survive_a_damaged_cache(numba.njit(**_options(fastmath))(function))

    return decorate if function is None else decorate(function)


def parallel_entry(function: Callable | None = None, *,
                   fastmath: frozenset[str] | bool = FASTMATH):
    """Compile a function that holds a ``prange``, to be called from Python only."""

    def decorate(function: Callable) -> Callable:
        return _survive_a_damaged_cache(
            numba.njit(parallel=PRANGE_ONLY, **_options(fastmath))(function))

    return decorate if function is None else decorate(function)


@inline
def examples_contiguous(X):
    """Whether X's examples (columns) are its contiguous axis."""
    return abs(X.strides[0]) <= abs(X.strides[1])


def by_layout(example_major: Callable, feature_major: Callable, *,
              fastmath: frozenset[str] | bool = FASTMATH) -> Callable:
    """A function for compiled code that runs ``example_major`` or ``feature_major`` by X's layout.

    Both are plain Python functions with the same parameters, one of them
    named ``X``. For an F-ordered X (examples contiguous) the result compiles
    ``example_major`` alone, for a C-ordered one ``feature_major`` alone (a
    2-D array both C and F contiguous is typed C by numba; either loop is
    right for it); for any other layout both, chosen on each call from the
    strides as :func:`examples_contiguous` says.
    """
    parameters = list(inspect.signature(example_major).parameters)
    if parameters != list(inspect.signature(feature_major).parameters):
        raise TypeError(f"{example_major.__name__} and {feature_major.__name__} must take the "
                        f"same parameters")
    if "X" not in parameters:
        raise TypeError(f"{example_major.__name__} has no parameter named X")
    by_example = helper(example_major, fastmath=fastmath)
    by_feature = helper(feature_major, fastmath=fastmath)

    # For any other layout, a function of the same parameters that chooses on
    # each call (numba takes an overload's implementations with the typing
    # function's parameters, so it is written out with their names).
    names = ", ".join(parameters)
    namespace = {"__name__": __name__, "examples_contiguous": examples_contiguous,
                 "by_example": by_example, "by_feature": by_feature}
    exec(f"def either({names}):\n"
         f"    if examples_contiguous(X):\n"
         f"        return by_example({names})\n"
         f"    return by_feature({names})\n", namespace)
    either = namespace["either"]

    def stub(*args):
        raise NotImplementedError(f"{example_major.__name__} runs in compiled code only")

    x_at = parameters.index("X")

    def choose(*args):
        layout = args[x_at].layout
        if layout == "F":
            return example_major  # compiled right here: no call through another level
        if layout == "C":
            return feature_major
        return either

    # The typing function takes the loops' own parameters, so that numba
    # accepts the loops themselves as its implementations.
    stub.__signature__ = choose.__signature__ = inspect.signature(example_major)
    stub.__name__ = stub.__qualname__ = f"{example_major.__name__}_by_layout"
    overload(stub, jit_options=_math_options(fastmath))(choose)
    return stub
