"""Sphinx configuration for the htcondor-python site.

Tutorials are MyST-NB notebooks executed on every build (an error in any
cell fails the build); reference pages come from the docstrings.  The build
needs no network: the inventory used to link to Python's documentation is
shipped in ``_intersphinx/`` (regenerate it with ``_tools/make_python_inventory.py``).
"""

from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "src"))

project = "htcondor-python"
author = "The htcondor-python developers"
copyright = "2026, the htcondor-python developers"  # noqa: A001
release = version = "0.1.0"

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.intersphinx",
    "sphinx.ext.viewcode",
]

source_suffix = {".md": "myst-nb", ".rst": "restructuredtext"}
exclude_patterns = ["_build", "jupyter_execute", "_tools", "Thumbs.db", ".DS_Store"]

# Notebooks: always executed, and a failing cell fails the build.
nb_execution_mode = "force"
nb_execution_raise_on_error = True
nb_execution_timeout = 300
nb_execution_show_tb = True
myst_enable_extensions = ["colon_fence", "deflist"]

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "undoc-members": False, "show-inheritance": True}

intersphinx_mapping = {
    "python": ("https://docs.python.org/3", os.path.join(HERE, "_intersphinx", "python.inv")),
}

html_theme = "sphinx_rtd_theme"
html_title = "htcondor-python"
html_static_path = ["_static"]
