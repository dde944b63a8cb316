"""Run scikit-learn's gallery examples with fastlr's estimators in place of scikit-learn's; compare.

    python tools/gallery.py EXAMPLES                      # every example that names LogisticRegression
    python tools/gallery.py EXAMPLES linear_model/plot_logistic_path.py ...

``EXAMPLES`` is the ``examples`` folder of a scikit-learn source release (the
sdist of the installed version has it). Each example runs twice, each time in
a fresh interpreter, in its own folder, with matplotlib's ``Agg`` backend:
once as written, once with ``sklearn.linear_model.LogisticRegression`` and
``LogisticRegressionCV`` replaced by fastlr's before it starts, which is
what swapping the import does (``from sklearn.linear_model import
LogisticRegression`` and ``linear_model.LogisticRegression`` both find
fastlr's). Every figure open at ``plt.show()`` or at the end is saved at 72
dpi. Per example the table gives the outcome of both runs, their times
and, figure by figure, the share of pixels that differ (any channel by more
than 8 of 255) and the largest difference; a figure is "same" when no pixel
differs by more than that, "missing" or "extra" when only one side drew
it. Timing lines and anything else the
examples print are not compared. An example that fails on both sides (a
dataset it cannot download) is reported as such.

``--replace OLD NEW`` edits the examples' text before they run, the same on
both sides: ``--replace tol=0.01 tol=1e-8`` compares the figures of two
solvers at their optimum where an example stops them early (scikit-learn's
saga at ``tol=0.01`` stops far from it, and two solvers stopped early draw
two figures). Exits 1 when an example that ran with scikit-learn's
estimator failed with fastlr's.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import subprocess
import sys
import tempfile
import time

import numpy as np

RUNNER = r"""
import json, pathlib, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

side, script, out = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3])
source = pathlib.Path(script).read_text()
for old, new in json.loads(sys.argv[4]):
    if old not in source:
        sys.exit(f"--replace: {old!r} is not in {script}")
    source = source.replace(old, new)
if side == "fastlr":
    import sklearn.linear_model
    import fastlr
    sklearn.linear_model.LogisticRegression = fastlr.LogisticRegression
    sklearn.linear_model.LogisticRegressionCV = fastlr.LogisticRegressionCV
saved = 0

def save_open_figures(*args, **kwargs):
    global saved
    for number in plt.get_fignums():
        plt.figure(number).savefig(out / f"figure{saved:02d}.png", dpi=72)
        saved += 1
    plt.close("all")

plt.show = save_open_figures
sys.argv = [script]
exec(compile(source, script, "exec"), {"__name__": "__main__", "__file__": script})
save_open_figures()
"""


def run(side: str, script: pathlib.Path, out: pathlib.Path, replace: list, timeout: float):
    """Run ``script`` on one side; return (status, seconds, last error line)."""
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob("*.png"):
        stale.unlink()
    start = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, "-c", RUNNER, side, str(script), str(out), json.dumps(replace)],
            cwd=script.parent, capture_output=True, text=True, timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return "timeout", time.perf_counter() - start, ""
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        return "failed", seconds, lines[-1] if lines else f"exit {done.returncode}"
    return "ran", seconds, ""


def compare(first: pathlib.Path, second: pathlib.Path) -> list[str]:
    """Figure by figure: "same", the share of differing pixels and the largest difference, or
    "missing" / "extra" for a figure only ``first`` / only ``second`` drew."""
    import matplotlib.image

    results = []
    for theirs_path in sorted(first.glob("*.png")):
        ours_path = second / theirs_path.name
        if not ours_path.exists():
            results.append(f"{theirs_path.stem}: missing")
            continue
        a = matplotlib.image.imread(theirs_path)
        b = matplotlib.image.imread(ours_path)
        if a.shape != b.shape:
            results.append(f"{theirs_path.stem}: size {a.shape[:2]} vs {b.shape[:2]}")
            continue
        difference = np.abs(a.astype(np.float64) - b.astype(np.float64)).max(axis=-1)
        share = np.mean(difference > 8 / 255)
        results.append("same" if share == 0 else f"{100 * share:.2f}% (max {difference.max() * 255:.0f})")
    results += [f"{path.stem}: extra" for path in sorted(second.glob("*.png"))
                if not (first / path.name).exists()]
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("examples", type=pathlib.Path)
    parser.add_argument("names", nargs="*", help="paths below EXAMPLES (default: all that name it)")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per run")
    parser.add_argument("--replace", action="append", default=[], nargs=2, metavar=("OLD", "NEW"),
                        help="edit the examples' text the same way on both sides (repeatable)")
    parser.add_argument("--figures", type=pathlib.Path,
                        help="keep the figures here (NAME/sklearn, NAME/fastlr); default: discarded")
    args = parser.parse_args(argv)
    root = args.examples.resolve()
    if args.names:
        scripts = [root / name for name in args.names]
    else:
        scripts = sorted(p for p in root.rglob("*.py") if "LogisticRegression" in p.read_text())
    print("| example | scikit-learn | fastlr | figures |")
    print("|---|---|---|---|")
    failures = 0
    with tempfile.TemporaryDirectory() as scratch:
        scratch = args.figures.resolve() if args.figures else scratch
        for script in scripts:
            name = str(script.relative_to(root))
            folders = {side: pathlib.Path(scratch, name, side) for side in ("sklearn", "fastlr")}
            outcome = {side: run(side, script, folders[side], args.replace, args.timeout)
                       for side in folders}
            cells = [f"{status} {seconds:.1f} s" + (f": {error[:120]}" if error else "")
                     for status, seconds, error in outcome.values()]
            both_ran = all(status == "ran" for status, _, _ in outcome.values())
            figures = ", ".join(compare(folders["sklearn"], folders["fastlr"])) if both_ran else ""
            failures += outcome["sklearn"][0] == "ran" and outcome["fastlr"][0] != "ran"
            print(f"| {name} | {cells[0]} | {cells[1]} | {figures or '-'} |", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
