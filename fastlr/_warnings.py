"""The warning class for training that stops before converging.

scikit-learn's ``ConvergenceWarning`` when scikit-learn is installed (so one
filter silences both libraries), else fastlr's own subclass of
``UserWarning``. scikit-learn is imported only when a warning is due, never
at ``import fastlr``.
"""

from __future__ import annotations

import functools

__all__ = ["FastlrConvergenceWarning", "convergence_warning"]


class FastlrConvergenceWarning(UserWarning):
    """Training reached ``max_iter`` before ``tol`` (used without scikit-learn)."""


@functools.cache
def convergence_warning() -> type[Warning]:
    """The ``ConvergenceWarning`` class fastlr warns with."""
    try:
        from sklearn.exceptions import ConvergenceWarning
    except ImportError:
        return FastlrConvergenceWarning
    return ConvergenceWarning
