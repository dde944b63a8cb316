"""Sphinx configuration of fastlr's documentation.

Build it from the repository's root (what the README and ``.ci/run`` say)::

    pip install '.[docs]' && sphinx-build -W --keep-going -b html docs docs/_build/html

The user guide is Markdown (MyST), the API reference autodoc over the
numpydoc docstrings, and ``examples/`` a gallery that sphinx-gallery runs
while building, so that an example that stops working fails the build.
Warnings are errors (``-W``).
"""

from __future__ import annotations

import os

import fastlr

# The examples run with the small sizes the README's commands get in CI.
os.environ.setdefault("FASTLR_QUICK", "1")

project = "fastlr"
author = "the fastlr developers"
copyright = "the fastlr developers"
release = version = fastlr.__version__

extensions = [
    "myst_parser",
    "numpydoc",
    "sphinx.ext.autodoc",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py",
                    "auto_examples/*.zip", "auto_examples/*.json", "auto_examples/*.md5"]

# MyST: "## Heading" gets an anchor, so pages can link to sections.
myst_heading_anchors = 3
myst_enable_extensions = ["dollarmath"]

# autodoc and numpydoc: the API reference lists what each public name documents.
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "none"  # the numpydoc "Parameters" sections say the types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/",  # run every example, not only plot_*.py
    "abort_on_example_error": True,
    "download_all_examples": False,
    "plot_gallery": "True",
    "remove_config_comments": True,
    "show_memory": False,
    "min_reported_time": 1e9,  # no run times in the pages: they differ from machine to machine
}

html_theme = "pydata_sphinx_theme"
html_title = f"fastlr {release}"
html_theme_options = {"navigation_with_keys": False, "show_toc_level": 2}
html_static_path: list[str] = []

