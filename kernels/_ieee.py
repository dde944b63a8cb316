"""``ieee_quiet``: run a NumPy-based kernel with floating-point warnings off.

NaN and inf in the input propagate through a kernel by IEEE rules, and the
validation layer in ``fastlr`` reports them by name (or returns them, with
``check_finite=False``). NumPy's "invalid value" and "overflow" warnings on
the way would only repeat that, so NumPy-based kernels run inside
``np.errstate``, entered once per call, never per example.
"""

from __future__ import annotations

import functools

import numpy as np

__all__ = ["ieee_quiet"]


def ieee_quiet(kernel_op):
    """Wrap a kernel's op so that it raises no floating-point warnings."""

    @functools.wraps(kernel_op)
    def quiet(*args):
        with np.errstate(invalid="ignore", over="ignore"):
            return kernel_op(*args)

    return quiet
