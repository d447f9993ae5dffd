"""Every enumeration of ``htcondor`` against the official module: names, numbers, str() and repr()."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ORACLE_PYTHON = os.path.join(ROOT, ".venv-oracle", "bin", "python")

ENUMS = ["SubsystemType", "JobEventType", "FileTransferEventType", "JobAction", "QueryOpts", "TransactionFlags",
         "DrainTypes", "VacateTypes", "JobStatus", "AdTypes", "DaemonTypes"]

PROBE = """
import json, sys, htcondor
out = {}
for name in sys.argv[1:]:
    cls = getattr(htcondor, name)
    members = list(cls.names.items()) if hasattr(cls, "names") else [(m.name, m) for m in cls]
    out[name] = [[key, int(m), str(m), repr(m)] for key, m in members]
print(json.dumps(out))
"""


def describe(python: str) -> dict:
    ours = python == sys.executable
    env = dict(os.environ, CONDOR_CONFIG="/dev/null", PYTHONPATH=os.path.join(ROOT, "src") if ours else "")
    done = subprocess.run([python, "-c", PROBE, *ENUMS], capture_output=True, text=True, env=env, check=True)
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def both():
    if not os.path.exists(ORACLE_PYTHON):
        pytest.fail(f"the oracle is missing: {ORACLE_PYTHON} (run `make oracle`)")
    return describe(ORACLE_PYTHON), describe(sys.executable)


@pytest.mark.parametrize("name", ENUMS)
def test_enum_agrees_with_the_official_module(both, name):
    official, ours = both
    assert ours[name] == official[name]
