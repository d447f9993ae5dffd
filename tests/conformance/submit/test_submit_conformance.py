"""``htcondor.Submit`` against the official module, description by description.

Every file in ``descriptions/`` is a realistic submit description.  Each is
run through ``runner.py`` twice -- in ``.venv-oracle`` with the official
``htcondor==24.0.24`` wheel, and here with ours -- in the same temporary
working directory (a copy of ``files/``: executables, input lists, data)
and with the same environment.  The runner records the parsed description
(``str()``, ``items()``, the queue arguments), ``expand()`` of every key,
the queue statement's items, every attribute of every job ad from
``jobs()``, the attribute names of ``procs()``, and the extra operations a
description lists in ``#@ {...}`` comment lines.  The observations must be
identical, except:

* the attributes ``CondorVersion`` and ``CondorPlatform`` (the build of
  HTCondor), never compared (``runner.EXCLUDED``);
* ``QDate`` and ``EnteredCurrentStatus`` are compared because every call
  passes a fixed ``qdate``; ``Iwd``, ``FileSystemDomain``, ``Arch`` and
  ``OpSys`` come from the shared working directory and host;
* cases listed in ``known_differences.txt`` (with the section of
  ``docs/differences.md`` that explains them), which must still differ.

If the oracle's virtual environment is missing the suite fails; it never skips.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import stat
import subprocess
import sys
import threading

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
RUNNER = os.path.join(HERE, "runner.py")
ORACLE_PYTHON = os.path.join(ROOT, ".venv-oracle", "bin", "python")
REPORT = os.path.join(os.path.dirname(HERE), "last_submit_report.txt")
FIELDS = ("ctor", "str", "items", "qargs", "expand", "itemdata", "jobs", "procs", "ops", "crash")


def load_cases() -> list[dict]:
    cases = []
    folder = os.path.join(HERE, "descriptions")
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".sub"):
            continue
        with open(os.path.join(folder, name), encoding="utf-8") as f:
            text = f.read()
        ops = [json.loads(line[2:]) for line in text.splitlines() if line.startswith("#@")]
        cases.append({"id": name, "text": text, "ops": ops})
    return cases


def make_workdir(tmp: str) -> str:
    work = os.path.join(tmp, "work")
    shutil.copytree(os.path.join(HERE, "files"), work, symlinks=True)
    for root, _dirs, files in os.walk(work):
        for name in files:
            if name.endswith((".sh", ".py", ".exe")) or name in ("analyze", "simulate"):
                path = os.path.join(root, name)
                os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    os.makedirs(os.path.join(work, "empty_dir"), exist_ok=True)
    return work


def environment(work: str) -> dict:
    """The same small environment for both sides (getenv = true copies it into job ads)."""
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": work,
        "LANG": "C.UTF-8",
        "TZ": "UTC",
        "CONDOR_CONFIG": "/dev/null",
        "PYTHONHASHSEED": "0",
        "ANALYSIS_TAG": "run42",
        "SCRATCH_SPACE": "/scratch/alice",
        "BEARER_TOKEN_FILE": os.path.join(work, "token.txt"),
    }


CASE_TIMEOUT = 60  # seconds one case may take before its process is taken for hung


def _run_batch(python: str, cases: list[dict], cwd: str, env: dict) -> tuple[list, str | None]:
    """Feed *cases* to one runner process; return its answers and, if it stopped early, why."""
    proc = subprocess.Popen([python, RUNNER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=cwd, env=env)
    lines: queue.Queue = queue.Queue()

    def feed():
        try:
            proc.stdin.write("".join(json.dumps(c) + "\n" for c in cases))
            proc.stdin.close()
        except BrokenPipeError:
            pass

    def read():
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=feed, daemon=True).start()
    threading.Thread(target=read, daemon=True).start()
    answers = []
    while True:
        try:
            line = lines.get(timeout=CASE_TIMEOUT)
        except queue.Empty:
            proc.kill()
            proc.wait()
            return answers, f"no answer within {CASE_TIMEOUT} s"
        if line is None:
            break
        if line.startswith("["):
            answers.append(json.loads(line))
    status = proc.wait()
    stderr = proc.stderr.read()
    if len(answers) == len(cases):
        return answers, None
    if status == 0:
        raise RuntimeError(f"runner stopped early: {stderr[-2000:]}")
    return answers, f"the process ended with status {status}"


def run_side(python: str, cases: list[dict], cwd: str, env: dict) -> dict:
    """Run *cases* through runner.py with *python*; a crash or hang costs only the case it hit."""
    results: dict = {}
    pending = list(cases)
    while pending:
        answers, failure = _run_batch(python, pending, cwd, env)
        for case_id, result in answers:
            results[case_id] = result
        done = len(answers)
        if failure:
            results[pending[done]["id"]] = {"crash": failure}
            done += 1
        pending = pending[done:]
    return results


def known_differences() -> dict:
    known = {}
    with open(os.path.join(HERE, "known_differences.txt"), encoding="utf-8") as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                case, field, reason, section = (part.strip() for part in line.rstrip("\n").split(" | "))
                known[(case, field)] = (reason, section)
    return known


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    if not os.path.exists(ORACLE_PYTHON):
        pytest.fail(f"the oracle is missing: {ORACLE_PYTHON} (run `make venv oracle`)")
    cases = load_cases()
    tmp = str(tmp_path_factory.mktemp("submit"))
    work = make_workdir(tmp)
    env = environment(work)
    oracle: dict = {}

    def run_oracle():
        oracle.update(run_side(ORACLE_PYTHON, cases, work, env))

    thread = threading.Thread(target=run_oracle)
    thread.start()
    ours = run_side(sys.executable, cases, work, env)
    thread.join()
    return cases, oracle, ours


def _diff(a, b, path="") -> str:
    if type(a) is not type(b):
        return f"{path}: {json.dumps(a)[:300]} != {json.dumps(b)[:300]}"
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if a.get(k) != b.get(k):
                return _diff(a.get(k), b.get(k), f"{path}.{k}")
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items != {len(b)} items"
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y:
                return _diff(x, y, f"{path}[{i}]")
    return f"{path}: {json.dumps(a)[:300]} != {json.dumps(b)[:300]}"


def test_descriptions_agree_with_the_official_module(results):
    cases, oracle, ours = results
    known = known_differences()
    agreed = deliberate = 0
    unexpected = []
    for case in cases:
        a, b = oracle[case["id"]], ours[case["id"]]
        for field in FIELDS:
            if a.get(field) == b.get(field):
                agreed += 1
            elif (case["id"], field) in known or (case["id"], "*") in known:
                deliberate += 1
            else:
                unexpected.append(f"{case['id']} {field}{_diff(a.get(field), b.get(field))}")
    jobs = sum(len(r.get("jobs", [])) for r in oracle.values())
    with open(REPORT, "w") as f:
        total = agreed + deliberate + len(unexpected)
        f.write(f"submit conformance: {len(cases)} descriptions, {jobs} job ads, {total} observations: "
                f"{agreed} agree, {deliberate} known differences, {len(unexpected)} unexpected\n")
    assert not unexpected, f"{len(unexpected)} disagreements:\n" + "\n".join(unexpected[:30])


def test_known_differences_still_differ(results):
    cases, oracle, ours = results
    ids = {c["id"] for c in cases}
    docs = open(os.path.join(ROOT, "docs", "differences.md"), encoding="utf-8").read()
    for (case, field), (reason, section) in known_differences().items():
        assert case in ids, f"known difference {case!r} is not a case any more"
        if field == "*":
            assert oracle[case] != ours[case], f"{case} agrees now; remove it"
        else:
            assert oracle[case].get(field) != ours[case].get(field), f"{case} {field} agrees now; remove it"
        assert f"### {section}" in docs, f"docs/differences.md has no section {section!r} ({reason})"


def test_enough_descriptions(results):
    cases, oracle, _ = results
    assert len(cases) >= 60
    refused = [c for c in cases
               if "ctor" in oracle[c["id"]] or any(isinstance(j, str) for j in oracle[c["id"]].get("jobs", []))]
    assert len(refused) >= 8
