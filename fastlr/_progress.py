"""A minimal progress bar on stderr for the command line.

Redrawn in place with ``\\r`` when stderr is a terminal; otherwise one line
per tenth of the work, so that logs stay readable.
"""

from __future__ import annotations

import sys
from typing import TextIO

__all__ = ["Progress"]


class Progress:
    """``Progress(total, label)``; call ``advance(n, note)``, then ``close()``."""

    width = 30

    def __init__(self, total: int, label: str, stream: TextIO | None = None):
        self.total = max(int(total), 1)
        self.label = label
        self.done = 0
        self.stream = sys.stderr if stream is None else stream
        self.interactive = getattr(self.stream, "isatty", lambda: False)()
        self._last_tenth = -1

    def advance(self, steps: int = 1, note: str = "") -> None:
        self.done = min(self.done + steps, self.total)
        fraction = self.done / self.total
        if self.interactive:
            filled = int(self.width * fraction)
            bar = "#" * filled + "-" * (self.width - filled)
            self.stream.write(f"\r{self.label} [{bar}] {self.done}/{self.total} {note[:40]:<40}")
            self.stream.flush()
        elif int(fraction * 10) > self._last_tenth:
            self._last_tenth = int(fraction * 10)
            self.stream.write(f"{self.label}: {self.done}/{self.total} {note}\n")
            self.stream.flush()

    def close(self) -> None:
        if self.interactive:
            self.stream.write("\n")
            self.stream.flush()
