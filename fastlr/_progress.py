"""A minimal progress bar on stderr for the command line.

Redrawn in place with ``\\r`` when stderr is a terminal; otherwise one line
per step (one per tenth of the work when there are more than
:attr:`Progress.lines` steps), so that logs stay readable and every count
shown is the one reached. Each update shows the time since the start and,
once a step is done, an estimate of the time left: the elapsed time scaled
by the work left over the work done, where a step's work is what the caller
says it weighs (its problem's size, say), or 1.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["Progress", "clock"]


def clock(seconds: float) -> str:
    """``seconds`` as ``M:SS`` (``H:MM:SS`` from an hour)."""
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class Progress:
    """``Progress(total, label, work=None)``; call ``advance(n, note, work)``, then ``close()``.

    ``work`` is the total weight of the steps (default: ``total``, every
    step weighing 1); each ``advance`` adds its own ``work`` (default: ``n``).
    ``estimate=False`` shows no time left (where ``total`` is only a bound,
    like an iteration limit).
    """

    width = 30
    #: At most this many steps are logged one line each when stderr is not a terminal.
    lines = 40

    def __init__(self, total: int, label: str, stream: TextIO | None = None,
                 work: float | None = None, estimate: bool = True):
        self.total = max(int(total), 1)
        self.label = label
        self.done = 0
        self.work = float(self.total if work is None else work)
        self.work_done = 0.0
        self.stream = sys.stderr if stream is None else stream
        self.interactive = getattr(self.stream, "isatty", lambda: False)()
        self.estimate = estimate
        self._last_tenth = -1
        self._start = time.perf_counter()

    def _times(self) -> str:
        elapsed = time.perf_counter() - self._start
        text = clock(elapsed)
        if self.estimate and 0 < self.work_done < self.work:
            left = elapsed * (self.work - self.work_done) / self.work_done
            text += f", about {clock(left)} left"
        return text

    def advance(self, steps: int = 1, note: str = "", work: float | None = None) -> None:
        self.done = min(self.done + steps, self.total)
        self.work_done = min(self.work_done + (steps if work is None else work), self.work)
        fraction = self.done / self.total
        if self.interactive:
            filled = int(self.width * fraction)
            bar = "#" * filled + "-" * (self.width - filled)
            self.stream.write(f"\r{self.label} [{bar}] {self.done}/{self.total} "
                              f"({self._times()}) {note[:40]:<40}")
            self.stream.flush()
        elif self.total <= self.lines or int(fraction * 10) > self._last_tenth:
            self._last_tenth = int(fraction * 10)
            self.stream.write(f"{self.label}: {self.done}/{self.total} ({self._times()}) {note}\n")
            self.stream.flush()

    def close(self) -> None:
        if self.interactive:
            self.stream.write("\n")
            self.stream.flush()
