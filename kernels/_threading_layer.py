"""Make numba's TBB threading layer loadable, before numba starts its threads.

numba runs ``prange`` loops on one of three threading layers, chosen once
per process when the first parallel function runs, in the order of
``NUMBA_THREADING_LAYER_PRIORITY`` (``tbb omp workqueue`` by default):

=========  ===========  =========  ==============================================
layer      thread-safe  fork-safe  notes
=========  ===========  =========  ==============================================
tbb        yes          yes        threads sleep when idle
omp (GNU)  yes          no         a fork()ed child that uses it is terminated
workqueue  no           yes        concurrent calls abort the process; 5x slower
                                   to start a small call
=========  ===========  =========  ==============================================

fastlr wants ``tbb``: safe with ``fork``, ``spawn`` and loky pools and with
several Python threads at once. It depends on the ``tbb`` package from PyPI
on the platforms that have its wheels, but that package puts ``libtbb`` in
the environment's ``lib/`` folder, where the dynamic linker does not look
(outside conda), so numba's ``tbbpool`` extension fails to load and numba
silently falls back to GNU OpenMP. :func:`prepare` loads ``libtbb`` from the
``tbb`` distribution's own files first (``RTLD_GLOBAL``), so that numba's
default choice finds it. It changes nothing numba has not yet chosen:

- a layer named by the user (``NUMBA_THREADING_LAYER``) that is not a TBB
  one is left alone;
- once numba has started its threads (the user's own parallel code ran
  first), the layer is fixed for the process and left alone.

``import fastlr`` calls :func:`preload_early`, which loads the library
without importing numba when it lies where pip puts it (``sys.prefix/lib``,
one file check and one ``dlopen``), so that TBB is chosen even when the
user's own ``parallel=True`` code runs before fastlr's first parallel call.
The kernels call :func:`prepare`, which also finds the library through the
``tbb`` distribution's metadata.

:func:`layer` tells which layer runs, once it is known. Pure Python; numba
is imported only by :func:`prepare` and :func:`layer`.
"""

from __future__ import annotations

import ctypes
import os
import sys

__all__ = ["FORK_SAFE", "THREAD_SAFE", "layer", "preload_early", "prepare"]

#: Layers whose pool survives ``fork()`` (GNU OpenMP's does not).
FORK_SAFE = frozenset({"tbb", "workqueue"})
#: Layers that take parallel calls from several Python threads at once.
THREAD_SAFE = frozenset({"tbb", "omp"})

_LIBRARY = {"linux": "libtbb.so.12", "darwin": "libtbb.12.dylib", "win32": "tbb12.dll"}
#: What ``NUMBA_THREADING_LAYER`` may say for TBB to be numba's choice.
_TBB_CHOICES = ("default", "tbb", "safe", "threadsafe", "forksafe")
_prepared = False
_loaded: ctypes.CDLL | None = None  # kept alive for the life of the process


def _load(path: str) -> None:
    global _loaded
    if _loaded is None:
        try:
            _loaded = ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
        except OSError:
            _loaded = None


def preload_early() -> None:
    """Load the ``tbb`` package's library from ``sys.prefix/lib``, if numba has not started yet.

    Imports nothing; costs a file check when the library is not there.
    """
    name = _LIBRARY.get(sys.platform)
    if name is None or sys.platform == "win32" or _loaded is not None:
        return
    if "numba" in sys.modules:  # numba may have chosen already: prepare() looks
        return
    if os.environ.get("NUMBA_THREADING_LAYER", "default").lower() not in _TBB_CHOICES:
        return
    path = os.path.join(sys.prefix, "lib", name)
    if os.path.isfile(path):
        _load(path)


def _tbb_library_path() -> str | None:
    """Where the ``tbb`` distribution put its shared library, if it is installed."""
    name = _LIBRARY.get(sys.platform)
    if name is None:
        return None
    try:
        from importlib import metadata

        files = metadata.files("tbb") or ()
        distribution = metadata.distribution("tbb")
    except Exception:  # not installed, or unreadable metadata
        return None
    for file in files:
        if file.name == name:
            return str(distribution.locate_file(file))
    return None


def prepare() -> None:
    """Let numba find the ``tbb`` package's library; call before the first parallel call.

    Idempotent and cheap after the first call. Never raises: without a
    loadable TBB numba chooses as it always would.
    """
    global _prepared
    if _prepared:
        return
    _prepared = True
    from numba import config
    from numba.np.ufunc import parallel

    if parallel._is_initialized:  # the layer is already fixed for this process
        return
    if str(config.THREADING_LAYER).lower() not in _TBB_CHOICES or _loaded is not None:
        return
    try:
        from numba.np.ufunc import tbbpool  # noqa: F401  (loads: TBB is already findable)
    except ImportError:
        path = _tbb_library_path()
        if path is not None:
            _load(path)


def layer() -> str | None:
    """The threading layer numba runs ``prange`` loops on, or ``None`` before it has chosen."""
    from numba.np.ufunc import parallel

    if not parallel._is_initialized:
        return None
    import numba

    return numba.threading_layer()
