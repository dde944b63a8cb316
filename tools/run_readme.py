"""Run every code block of the README and the user guide in order, as a reader would paste them.

    python tools/run_readme.py [FILE.md ...] [--list]

Without files: ``README.md``, then every page of ``docs/guide/`` by name.

Each fenced block marked ``python`` runs as a script of its own
(``python block.py``), each block marked ``bash`` as ``bash -euo pipefail``;
blocks without a language (printed tables, output, a Dockerfile) are not
run. Every block runs in the root folder of a copy of the repository (its
tracked files, the untracked ones git does not ignore, and ``.git``), so that
what the blocks write (``data.csv``, asv's results) goes away with the copy,
with ``FASTLR_QUICK=1`` in its environment (every ``fastlr compare`` then
runs its small sizes, as with ``--quick``), in the order of the files; a
block fails the check when it exits non-zero or prints a warning on stderr.
The blocks install the package (``pip install .``) into the environment
that runs this script: run it in a virtual environment of its own, as
``.ci/run`` does.

An HTML comment on the line before a block says how it is checked:

``<!-- ci:test-command -->``, ``<!-- ci:docs-command -->``
    the test command and the documentation's build, which ``.ci/run``
    itself reads from the README and runs: not run again here.
``<!-- run-readme: by .ci/run -->``
    a command ``.ci/run`` runs as written (the benchmark gate): not run
    again here.
``<!-- run-readme: warns TEXT -->``
    the block prints a warning containing TEXT, which the prose explains.
``<!-- run-readme: skip REASON -->``
    a block that cannot run unattended (a server that runs until stopped);
    REASON is printed, and the count of such blocks.

Prints one line per block (its first line, seconds, the result) and
exits 1 if any failed. ``--list`` prints the blocks and what would be done
with each, and runs nothing.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = {"python", "bash"}
#: How long one block may run.
BLOCK_SECONDS = 900
_MARK = re.compile(r"<!--\s*(ci:(?:test|docs)-command|run-readme:\s*(by \.ci/run|warns (.+?)|skip (.+?)))\s*-->")
_WARNING = re.compile(r"\b\w*(Warning|warning):")


@dataclass
class Block:
    path: str  # the Markdown file, relative to the repository's root
    line: int  # where its fence opens, 1-based
    language: str
    code: str
    skip: str | None = None  # why it is not run here
    warns: str | None = None  # the warning the prose explains

    @property
    def title(self) -> str:
        first = next((text for text in self.code.splitlines() if text.strip()), "")
        return f"{self.path}:{self.line} ({self.language}): {first.strip()[:50]}"


def blocks(text: str, path: str = "README.md") -> list[Block]:
    """The fenced code blocks of ``text`` (the file ``path``) in a language that runs, with their marks."""
    found = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        opening = lines[index].strip()
        if not opening.startswith("```"):
            index += 1
            continue
        language = opening[3:].strip()
        end = index + 1
        while end < len(lines) and lines[end].strip() != "```":
            end += 1
        if language in LANGUAGES:
            block = Block(path, index + 1, language, "\n".join(lines[index + 1:end]) + "\n")
            mark = _MARK.search(lines[index - 1]) if index > 0 else None
            if mark and mark.group(1).startswith("ci:"):
                block.skip = ".ci/run reads it from the README and runs it"
            elif mark and mark.group(2) == "by .ci/run":
                block.skip = ".ci/run runs it as written"
            elif mark and mark.group(3):
                block.warns = mark.group(3).strip()
            elif mark and mark.group(4):
                block.skip = mark.group(4).strip()
            found.append(block)
        index = end + 1
    return found


def copy_of_the_repository(target: Path) -> Path:
    """Copy the working tree (tracked and untracked, not ignored, files) and ``.git`` into ``target``."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, check=True)
    for name in filter(None, listed.stdout.decode().split("\0")):
        source = ROOT / name
        if source.is_file():  # a file deleted but not yet staged is listed too
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    shutil.copytree(ROOT / ".git", target / ".git", symlinks=True)
    return target


def run(block: Block, folder: Path, root: Path = ROOT) -> tuple[bool, str]:
    """Run one block in ``root``, its script (if Python) in ``folder``; ``(passed, why it failed)``."""
    env = dict(os.environ, FASTLR_QUICK="1")
    if block.language == "python":
        script = folder / f"{Path(block.path).stem}_{block.line}.py"
        script.write_text(block.code, encoding="utf-8")
        command = [sys.executable, str(script)]
    else:
        command = ["bash", "-euo", "pipefail", "-c", block.code]
    try:
        done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True,
                              timeout=BLOCK_SECONDS, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return False, f"still running after {BLOCK_SECONDS} s"
    if done.returncode != 0:
        return False, f"exit status {done.returncode}\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
    warnings = [text for text in done.stderr.splitlines() if _WARNING.search(text)]
    if block.warns is not None:
        if not any(block.warns in text for text in warnings):
            return False, f"the warning the prose explains ({block.warns!r}) was not printed"
        warnings = [text for text in warnings if block.warns not in text]
    if warnings:
        return False, "a warning the text does not explain:\n" + "\n".join(warnings)
    return True, ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("paths", nargs="*", help="Markdown files (default: the README and the guide)")
    parser.add_argument("--list", action="store_true", help="print the blocks; run nothing")
    args = parser.parse_args(argv)
    paths = [Path(p).resolve() for p in args.paths] or [
        ROOT / "README.md", *sorted((ROOT / "docs" / "guide").glob("*.md"))]
    found = []
    for path in paths:
        shown = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
        found.extend(blocks(path.read_text(encoding="utf-8"), shown))
    if args.list:
        for block in found:
            print(f"{block.title}: {block.skip or 'run'}")
        return 0
    failed = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        root = copy_of_the_repository(Path(folder) / "repository")
        scripts = Path(folder) / "scripts"
        scripts.mkdir()
        for block in found:
            if block.skip:
                print(f"{block.title}: not run here, {block.skip}", flush=True)
                continue
            began = time.perf_counter()
            passed, why = run(block, scripts, root)
            print(f"{block.title}: {'passed' if passed else 'FAILED'} "
                  f"in {time.perf_counter() - began:.1f} s", flush=True)
            if not passed:
                print("    " + why.replace("\n", "\n    "), flush=True)
                failed.append(block)
    ran = sum(1 for block in found if not block.skip)
    print(f"run_readme: {ran - len(failed)} of {ran} blocks passed, {len(found) - ran} not run here, "
          f"in {time.perf_counter() - started:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
