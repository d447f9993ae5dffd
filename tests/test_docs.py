"""Every tutorial and how-to notebook runs from top to bottom without an error.

They are MyST-NB notebooks (``docs/tutorials/*.md``, ``docs/howto/*.md``);
the docs build executes them too, but a broken one must also fail ``make test``.
"""

from __future__ import annotations

import glob
import os

import nbformat
import pytest
from myst_nb.core.read import read_myst_markdown_notebook
from nbclient import NotebookClient

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TUTORIALS = sorted(glob.glob(os.path.join(ROOT, "docs", "tutorials", "*.md")))
HOWTOS = sorted(glob.glob(os.path.join(ROOT, "docs", "howto", "*.md")))


def test_there_are_tutorials():
    assert len(TUTORIALS) >= 2


@pytest.mark.parametrize("path", TUTORIALS + HOWTOS, ids=os.path.basename)
def test_tutorial_executes(path, tmp_path):
    with open(path, encoding="utf-8") as f:
        notebook = read_myst_markdown_notebook(f.read())
    notebook = nbformat.from_dict(notebook)
    client = NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
