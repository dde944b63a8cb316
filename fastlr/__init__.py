"""fastlr: logistic regression by gradient descent, with interchangeable kernels.

The gradient and cost of logistic regression (``X`` is ``(n_x, m)``, one
example per column) computed by kernels that run the same math at very
different speeds, from the textbook's two Python loops to compiled code:

>>> import fastlr
>>> fastlr.KERNELS
('python', 'partial', 'numpy', 'numba')

Public API: :func:`gradient`, :data:`KERNELS`, :func:`available_kernels`,
:func:`get_kernel`, :class:`Kernel`, :class:`UnknownKernelError`,
:class:`KernelUnavailableError`.
"""

from __future__ import annotations

from ._errors import KernelUnavailableError, UnknownKernelError
from ._gradient import gradient
from ._registry import KERNELS, Kernel, available_kernels, get_kernel

__version__ = "0.1.0"

__all__ = [
    "KERNELS",
    "Kernel",
    "KernelUnavailableError",
    "UnknownKernelError",
    "available_kernels",
    "get_kernel",
    "gradient",
]
