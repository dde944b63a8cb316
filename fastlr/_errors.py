"""Exceptions raised by fastlr.

Both subclass the builtin a caller would naturally catch: an unknown kernel
name is a bad *value* (``ValueError``); a known kernel whose dependency is not
installed is a failed *import* (``ImportError``).
"""

from __future__ import annotations

__all__ = ["UnknownKernelError", "KernelUnavailableError"]


class UnknownKernelError(ValueError):
    """A kernel name that fastlr does not know.

    The message echoes the name and lists every valid one.
    """


class KernelUnavailableError(ImportError):
    """A kernel fastlr knows, whose optional dependency is missing here.

    The message names the kernel and what to install.
    """
