"""Draw the speed-up chart from ``fastlr compare --json`` output.

    fastlr compare --sizes 10x1e3,10x1e4,10x1e5,10x1e6,100x1e3,100x1e4,100x1e5,100x1e6,1000x1e3,1000x1e4,1000x1e5 \\
        --order F --json compare.json
    python tools/plot_speedups.py compare.json docs/speedups.png

Two rows of panels: speed-up over ``python`` (top; only where the python
loops ran within the budget) and over ``numpy`` (bottom), against m, one
panel per n_x, one line per kernel, log axes; one legend for all panels.
``auto`` is drawn dashed with open markers, so that where it picks
``numba-parallel`` (most sizes) both lines stay visible. A panel whose
largest m is missing says why (the python loops over the time budget, or
an X too large to measure). The title states X's layout: the chart of the
user guide's speed page is F-ordered (what ``LogisticRegression`` passes), the asv grid
C-ordered. Needs matplotlib.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict


def main(source: str, target: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with open(source, encoding="utf-8") as file:
        data = json.load(file)
    seconds = {(r["kernel"], r["n_x"], r["m"]): r["seconds"] for r in data["results"]
               if r["seconds"] is not None}
    kernels = [k for k in dict.fromkeys(r["kernel"] for r in data["results"])
               if k not in ("read X once", "python")]
    n_xs = sorted({r["n_x"] for r in data["results"]})
    colours = {kernel: f"C{index}" for index, kernel in enumerate(kernels)}  # one per kernel, both rows

    figure, axes = plt.subplots(2, len(n_xs), figsize=(4.2 * len(n_xs), 7.5), sharex=True,
                                squeeze=False)
    for row, reference in enumerate(("python", "numpy")):
        for column, n_x in enumerate(n_xs):
            ax = axes[row][column]
            lines = defaultdict(list)
            for kernel in kernels:
                if kernel == reference:
                    continue
                for (name, nx, m), value in sorted(seconds.items(), key=lambda item: item[0][2]):
                    base = seconds.get((reference, nx, m))
                    if name == kernel and nx == n_x and base is not None:
                        lines[kernel].append((m, base / value))
            for kernel, points in lines.items():
                ms, ratios = zip(*points)
                style = (dict(linestyle="--", marker="o", markerfacecolor="none", linewidth=1.2,
                              markersize=8, zorder=3) if kernel == "auto"
                         else dict(linestyle="-", marker="o", linewidth=1.8, markersize=5))
                ax.plot(ms, ratios, label=kernel, color=colours[kernel], **style)
            notes = _missing_notes(data, seconds, reference, n_x)
            ax.axhline(1.0, color="grey", linewidth=0.8)
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.grid(True, which="both", alpha=0.3)
            ax.set_title("\n".join([f"n_x = {n_x}", *notes]), fontsize="medium" if not notes else "small")
            if row == 1:
                ax.set_xlabel("m (examples)")
            if column == 0:
                ax.set_ylabel(f"speed-up over {reference}")
    layout = "examples contiguous (F)" if data.get("order") == "F" else "features contiguous (C)"
    env = data.get("environment", {})
    figure.suptitle(f"fastlr: speed-up per gradient, {data.get('dtype', 'float64')}, X (n_x, m) {layout}; "
                    f"numpy {env.get('numpy', '?')}, numba {env.get('numba', '?')}")
    handles = {}
    for ax in figure.axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(label, handle)
    figure.legend(handles.values(), handles.keys(), loc="upper center", ncol=len(handles),
                  bbox_to_anchor=(0.5, 0.955), frameon=False)
    figure.tight_layout(rect=(0, 0, 1, 0.93))
    figure.savefig(target, dpi=110)
    print(f"wrote {target}")


def _missing_notes(data: dict, seconds: dict, reference: str, n_x: int) -> list[str]:
    """Why the panel for ``n_x`` has no point at some m measured elsewhere: one line per reason."""
    all_ms = sorted({r["m"] for r in data["results"]})
    asked = sorted({r["m"] for r in data["results"] if r["n_x"] == n_x})
    here = sorted({m for (kernel, nx, m) in seconds if nx == n_x and kernel == reference})
    notes = []
    if here and here[-1] < asked[-1]:
        reason = "the python loops over the time budget" if reference == "python" else "not measured"
        notes.append(f"m > {here[-1]:.0e}: {reason}")
    if asked[-1] < all_ms[-1]:
        gigabytes = n_x * all_ms[-1] * 8 / 1e9
        notes.append(f"m = {all_ms[-1]:.0e} not run: X would be {gigabytes:.0f} GB")
    return notes


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python tools/plot_speedups.py COMPARE.json OUTPUT.png")
    main(sys.argv[1], sys.argv[2])
