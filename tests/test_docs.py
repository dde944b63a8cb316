"""The documentation's promises that can be checked without building it.

The build itself (Sphinx, warnings as errors, the gallery executed) and the
README's and guide's code blocks run in ``.ci/run``; here: the API reference
names every public name, and the block runner reads blocks and marks, and
judges a block, as its docstring says.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

import fastlr

ROOT = Path(__file__).resolve().parent.parent
needs_source_tree = pytest.mark.skipif(not (ROOT / "tools" / "run_readme.py").exists(),
                                       reason="needs the source tree")


def _run_readme():
    spec = importlib.util.spec_from_file_location("run_readme", ROOT / "tools" / "run_readme.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@needs_source_tree
def test_the_api_reference_documents_every_public_name():
    text = (ROOT / "docs" / "api.rst").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\.\. auto\w+:: fastlr\.(\w+)", text, re.M))
    assert documented == set(fastlr.__all__)


@needs_source_tree
def test_the_block_runner_reads_languages_and_marks():
    module = _run_readme()
    text = "\n".join([
        "# title",
        "```python",
        "print(1)",
        "```",
        "```",
        "a table, not code",
        "```",
        "<!-- ci:test-command -->",
        "```bash",
        "pytest",
        "```",
        "<!-- run-readme: warns ConvergenceWarning -->",
        "```python",
        "fit()",
        "```",
        "<!-- run-readme: skip serves until stopped -->",
        "```bash",
        "asv preview",
        "```",
        "```dockerfile",
        "RUN fastlr precompile",
        "```",
    ])
    blocks = module.blocks(text, "page.md")
    assert [(b.line, b.language, b.code) for b in blocks] == [
        (2, "python", "print(1)\n"), (9, "bash", "pytest\n"), (13, "python", "fit()\n"),
        (17, "bash", "asv preview\n")]
    assert blocks[0].skip is None and blocks[0].warns is None
    assert blocks[1].skip == ".ci/run reads it from the README and runs it"
    assert blocks[2].warns == "ConvergenceWarning" and blocks[2].skip is None
    assert blocks[3].skip == "serves until stopped"


@needs_source_tree
@pytest.mark.parametrize(("code", "warns", "passed", "why"), [
    ("print('fine')\n", None, True, ""),
    ("raise SystemExit(3)\n", None, False, "exit status 3"),
    ("import warnings; warnings.warn('careful')\n", None, False, "a warning the text does not explain"),
    ("import warnings; warnings.warn('careful')\n", "careful", True, ""),
    ("print('no warning')\n", "careful", False, "('careful') was not printed"),
])
def test_the_block_runner_fails_on_errors_and_unexplained_warnings(tmp_path, code, warns, passed, why):
    module = _run_readme()
    block = module.Block("page.md", 1, "python", code, warns=warns)
    ok, message = module.run(block, tmp_path, tmp_path)
    assert ok is passed and why in message


@needs_source_tree
def test_the_block_runner_works_in_a_copy(tmp_path):
    """Blocks run in a copy of the working tree: what they write never lands in the repository."""
    module = _run_readme()
    copy = module.copy_of_the_repository(tmp_path / "copy")
    assert (copy / "README.md").read_text() == (ROOT / "README.md").read_text()
    assert (copy / ".git").is_dir() and (copy / "tests" / "test_docs.py").is_file()
    block = module.Block("page.md", 1, "bash", "git rev-parse HEAD > written.txt\n")
    assert module.run(block, tmp_path, copy) == (True, "")
    assert (copy / "written.txt").is_file() and not (ROOT / "written.txt").exists()
