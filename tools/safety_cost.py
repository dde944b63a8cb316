"""What the process-safety work costs in speed: this tree against an older commit, side by side.

    python tools/safety_cost.py [--before REV] [--sizes 10x1000,100x10000,1000x100000] [--rounds 3]

Extracts ``REV`` (default: the commit before the safety changes) into a
temporary folder and times, in child processes that alternate round by
round, ``fastlr.gradient`` (``numba``, ``numba-parallel``) and 20 compiled
training iterations (``numba-parallel``) on float64 X, examples contiguous:

- ``before``: the older tree, under the threading layer numba chose there
  (GNU OpenMP where TBB was not loadable);
- ``after``: this tree (TBB where the ``tbb`` package is installed);
- ``after, omp``: this tree with ``NUMBA_THREADING_LAYER=omp``, to separate
  the layer's cost from the rest.

Each figure is the best over the rounds of each round's best time per call.
The trees keep separate numba caches; the first round includes their
compilation outside the timed calls.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_CHILD = textwrap.dedent("""
    import importlib.util, json, sys, time, warnings
    from pathlib import Path
    import numpy as np

    root = Path(sys.argv[1])
    spec = importlib.util.spec_from_file_location(
        "fastlr", root / "fastlr" / "__init__.py",
        submodule_search_locations=[str(root / "fastlr"), str(root)])
    fastlr = importlib.util.module_from_spec(spec)
    sys.modules["fastlr"] = fastlr
    spec.loader.exec_module(fastlr)
    import numba
    warnings.simplefilter("ignore")

    def best(call, repeat=5):
        call()
        one = time.perf_counter(); call(); one = time.perf_counter() - one
        number = max(1, int(0.05 / max(one, 1e-9)))
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            for _ in range(number):
                call()
            times.append((time.perf_counter() - start) / number)
        return min(times)

    out = {}
    for size in sys.argv[2].split(","):
        n_x, m = (int(float(p)) for p in size.split("x"))
        rng = np.random.default_rng(0)
        X = np.asfortranarray(rng.standard_normal((n_x, m)))
        y = (rng.random(m) < 0.5).astype(float)
        w = rng.standard_normal(n_x) / np.sqrt(n_x)
        for kernel in ("numba", "numba-parallel"):
            time.sleep(0.1)
            out[f"{size} gradient {kernel}"] = best(lambda: fastlr.gradient(w, 0.1, X, y, kernel=kernel))
        time.sleep(0.1)
        out[f"{size} train x20 numba-parallel"] = best(
            lambda: fastlr.train(X, y, kernel="numba-parallel", max_iter=20, tol=0.0, learning_rate=0.1),
            repeat=3)
    out["layer"] = numba.threading_layer()
    print(json.dumps(out))
""")


def _extract(rev: str, into: Path) -> Path:
    archive = into / "tree.tar"
    with open(archive, "wb") as file:
        subprocess.run(["git", "-C", str(ROOT), "archive", rev], stdout=file, check=True)
    tree = into / "tree"
    with tarfile.open(archive) as tar:
        tar.extractall(tree, filter="data")
    return tree


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="d069964")
    parser.add_argument("--sizes", default="10x1000,100x10000,1000x100000")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        old = _extract(args.before, Path(folder))
        configs = {"before": (old, {}), "after": (ROOT, {}),
                   "after, omp": (ROOT, {"NUMBA_THREADING_LAYER": "omp"})}
        best: dict[str, dict[str, float]] = {name: {} for name in configs}
        layers = {}
        for _ in range(args.rounds):
            for name, (tree, extra) in configs.items():
                env = {**os.environ, **extra}
                done = subprocess.run([sys.executable, "-c", _CHILD, str(tree), args.sizes], env=env,
                                      capture_output=True, text=True, check=True)
                result = json.loads(done.stdout)
                layers[name] = result.pop("layer")
                for key, seconds in result.items():
                    best[name][key] = min(seconds, best[name].get(key, seconds))
    names = list(configs)
    print("  ".join(f"{name}: {layers[name]}" for name in names))
    keys = list(best["before"])
    width = max(map(len, keys))
    print(f"{'':{width}}  " + "  ".join(f"{name:>12}" for name in names) + "  after/before")
    for key in keys:
        cells = "  ".join(f"{best[name][key] * 1e6:10.0f}us" for name in names)
        print(f"{key:{width}}  {cells}  {best['after'][key] / best['before'][key]:12.2f}")


if __name__ == "__main__":
    main()
