"""fastlr: logistic regression by gradient descent, with interchangeable kernels.

The gradient and cost of logistic regression (``X`` is ``(n_x, m)``, one
example per column) computed by kernels that run the same math at very
different speeds, from the textbook's two Python loops to compiled code:

>>> import fastlr
>>> fastlr.KERNELS
('python', 'partial', 'numpy', 'numba', 'numba-parallel')

Public API: :func:`gradient`, :func:`softmax_gradient` (K classes), :func:`train` (:class:`TrainResult`),
:class:`LogisticRegression` and :class:`LogisticRegressionCV` (need scikit-learn), :data:`KERNELS`,
:func:`available_kernels`, :func:`get_kernel`, :class:`Kernel`,
:func:`set_num_threads`, :func:`get_num_threads`,
:class:`UnknownKernelError`, :class:`KernelUnavailableError`,
:class:`ConvergenceWarning`.

The estimators and ``ConvergenceWarning`` are imported on first use,
so that ``import fastlr`` never pays for scikit-learn. ``gradient``,
``train`` and ``LogisticRegression`` also take Dask arrays chunked along the
examples (the ``dask`` extra: ``pip install 'fastlr-kernels[dask]'``); Dask
is imported only when one is passed.
"""

from __future__ import annotations

import importlib as _importlib
import os as _os

# In a source checkout the kernels live in ``kernels/`` beside this folder
# (installed as ``fastlr.kernels`` through setuptools' ``package-dir``). Run
# from the checkout's root, this folder shadows the installed package, so
# ``fastlr.kernels`` is looked for beside it too.
if not _os.path.isdir(_os.path.join(__path__[0], "kernels")):
    _checkout = _os.path.dirname(_os.path.abspath(__path__[0]))
    if _os.path.isfile(_os.path.join(_checkout, "kernels", "_loops.py")):
        __path__.append(_checkout)

from .kernels import _threading_layer

_threading_layer.preload_early()  # TBB findable before any numba code chooses a layer

from ._errors import KernelUnavailableError, UnknownKernelError
from ._gradient import gradient
from ._registry import KERNELS, Kernel, available_kernels, get_kernel
from ._softmax_gradient import softmax_gradient
from ._training import TrainResult, train
from .kernels._threads import get_num_threads, set_num_threads

__version__ = "0.1.0"

__all__ = [
    "KERNELS",
    "ConvergenceWarning",
    "LogisticRegression",
    "LogisticRegressionCV",
    "TrainResult",
    "Kernel",
    "KernelUnavailableError",
    "UnknownKernelError",
    "available_kernels",
    "get_kernel",
    "get_num_threads",
    "gradient",
    "set_num_threads",
    "softmax_gradient",
    "train",
]


#: The scikit-learn estimators, by name: the module each is imported from on first use.
_ESTIMATORS = {"LogisticRegression": ".estimator", "LogisticRegressionCV": ".estimator_cv"}


def __getattr__(name: str):
    if name in _ESTIMATORS:
        try:
            module = _importlib.import_module(_ESTIMATORS[name], __name__)
        except ImportError as exc:
            raise ImportError(
                f"fastlr.{name} needs scikit-learn, a dependency of fastlr-kernels "
                "that cannot be imported here; install it with `pip install scikit-learn`"
            ) from exc
        return getattr(module, name)
    if name == "ConvergenceWarning":
        from ._warnings import convergence_warning

        return convergence_warning()
    raise AttributeError(f"module 'fastlr' has no attribute {name!r}")
