"""List the asv benchmark cases that failed at a commit; exit 1 when there are any.

    python tools/asv_failures.py            # HEAD, every machine and environment in .asv/results
    python tools/asv_failures.py 1a2b3c4d   # another commit (a prefix of its hash)

asv's dashboard draws a failed case as a missing point, which looks like a
skipped one, and its list view then shows an older commit's value as
current. This reads the stored results instead: asv records a failed case
as ``null`` and a skipped one as ``NaN``. ``asv show COMMIT`` prints the
same cells as "failed" inside each benchmark's table.
"""

from __future__ import annotations

import itertools
import json
import pathlib
import subprocess
import sys


def _commit(argument: str | None) -> str:
    reference = argument or "HEAD"
    return subprocess.run(["git", "rev-parse", reference], capture_output=True, text=True,
                          check=True).stdout.strip()


def failures(results_dir: pathlib.Path, commit: str) -> list[str]:
    """``"machine/environment: benchmark(params)"`` for each failed case at ``commit``."""
    found = []
    for path in sorted(results_dir.glob(f"*/{commit[:8]}-*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if not data.get("commit_hash", "").startswith(commit[:8]):
            continue
        column = data["result_columns"].index("result")
        params_column = data["result_columns"].index("params")
        where = f"{path.parent.name}/{data.get('env_name', '?')}"
        for name, row in sorted(data["results"].items()):
            values = row[column]
            params = row[params_column] if len(row) > params_column else []
            cases = list(itertools.product(*params)) if params else [()]
            values = values if isinstance(values, list) else [values]
            for case, value in zip(cases, values):
                if value is None:
                    found.append(f"{where}: {name}({', '.join(case)})")
    return found


def main(argv: list[str]) -> int:
    commit = _commit(argv[1] if len(argv) > 1 else None)
    results_dir = pathlib.Path(".asv/results")
    if not any(results_dir.glob(f"*/{commit[:8]}-*.json")):
        print(f"no asv results for {commit[:8]} in {results_dir}/ (asv run ... --set-commit-hash "
              f"{commit[:8]} stores them for an existing environment)", file=sys.stderr)
        return 2
    failed = failures(results_dir, commit)
    for line in failed:
        print(line)
    print(f"{len(failed)} failed benchmark case{'s' if len(failed) != 1 else ''} at {commit[:8]}",
          file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
