"""Draw the speed-up chart from ``fastlr compare --json`` output.

    fastlr compare --sizes 10x1e3,10x1e4,10x1e5,10x1e6,100x1e3,100x1e4,100x1e5,100x1e6,1000x1e3,1000x1e4,1000x1e5 \\
        --order F --json compare.json
    python tools/plot_speedups.py compare.json docs/speedups.png

Two rows of panels: speed-up over ``python`` (top; only where the python
loops ran within the budget) and over ``numpy`` (bottom), against m, one
panel per n_x, one line per kernel, log axes. Needs matplotlib.
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
                ax.plot(ms, ratios, marker="o", label=kernel, color=colours[kernel])
            ax.axhline(1.0, color="grey", linewidth=0.8)
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.grid(True, which="both", alpha=0.3)
            ax.set_title(f"n_x = {n_x}")
            if row == 1:
                ax.set_xlabel("m (examples)")
            if column == 0:
                ax.set_ylabel(f"speed-up over {reference}")
            if row == 0 and column == len(n_xs) - 1:
                ax.legend(fontsize="small")
            if row == 1 and column == len(n_xs) - 1:
                ax.legend(fontsize="small")
    layout = "examples contiguous (F)" if data.get("order") == "F" else "features contiguous (C)"
    env = data.get("environment", {})
    figure.suptitle(f"fastlr: time per gradient, {data.get('dtype', 'float64')}, X {layout}; "
                    f"numpy {env.get('numpy', '?')}, numba {env.get('numba', '?')}")
    figure.tight_layout()
    figure.savefig(target, dpi=110)
    print(f"wrote {target}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python tools/plot_speedups.py COMPARE.json OUTPUT.png")
    main(sys.argv[1], sys.argv[2])
