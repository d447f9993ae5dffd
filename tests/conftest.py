"""Shared test configuration.

The conformance suites compare this project with the official HTCondor
wheel installed in ``.venv-oracle`` (``make test`` creates it).
"""

from __future__ import annotations

import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ORACLE_PYTHON = os.path.join(ROOT, ".venv-oracle", "bin", "python")
