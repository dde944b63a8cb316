"""The command line's progress bar: every count shown, the time so far and an estimate of the rest."""

from __future__ import annotations

import io
import re

import pytest

from fastlr._progress import Progress, clock


def lines_of(progress_steps, total, **options):
    stream = io.StringIO()
    progress = Progress(total, "work", stream, **options)
    for note, work in progress_steps:
        progress.advance(1, note, work)
    progress.close()
    return stream.getvalue().splitlines()


def test_every_step_is_a_line_with_its_count():
    lines = lines_of([(f"step {i}", None) for i in range(12)], 12)
    assert [re.match(r"work: (\d+)/12 ", line).group(1) for line in lines] == [str(i) for i in range(1, 13)]
    assert all(line.endswith(f"step {i}") for i, line in enumerate(lines))


def test_many_steps_are_logged_by_tenths():
    lines = lines_of([("", None)] * 1000, 1000)
    counts = [int(re.match(r"work: (\d+)/1000", line).group(1)) for line in lines]
    assert counts == [1, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]


def test_the_estimate_weighs_the_work_left():
    """Work done 1 of 10 after the first step: about nine times the elapsed time left."""
    stream = io.StringIO()
    progress = Progress(2, "fits", stream, work=10.0)
    progress._start -= 60.0  # a minute in
    progress.advance(1, "small", 1.0)
    first = stream.getvalue()
    assert re.search(r"fits: 1/2 \(1:00, about (8:5\d|9:0\d) left\) small", first), first
    progress.advance(1, "big", 9.0)
    assert "left" not in stream.getvalue().splitlines()[-1]  # done: nothing left to estimate


def test_no_estimate_for_a_bound():
    lines = lines_of([("", None)] * 3, 30, estimate=False)
    assert lines and not any("left" in line for line in lines)


@pytest.mark.parametrize(("seconds", "shown"), [(0, "0:00"), (59.6, "1:00"), (61, "1:01"), (3725, "1:02:05")])
def test_clock(seconds, shown):
    assert clock(seconds) == shown
