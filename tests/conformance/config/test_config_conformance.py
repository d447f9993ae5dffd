"""``htcondor.param`` against the official module, one config file at a time.

Every file in ``configs/`` is read by the official ``htcondor`` module (in
``.venv-oracle``) and by ours, each in its own process with that file as
``CONDOR_CONFIG``.  Compared: the names ``param.keys()`` lists, in order, and
for each name the value with its Python type, ``name in param``, and the
errors.  Directives at the top of a file (``#! key: value``):

``probe``      names to look up besides those ``keys()`` lists;
``dump: no``   look up only the probes (for files whose values are bad on purpose);
``subsystem``  call ``set_subsystem`` first;
``env``        ``NAME=value`` pairs added to the environment;
``cwd``        the directory, relative to ``configs/``, to run in (relative includes);
``expect: error``  the file is invalid: both sides must refuse it at import,
               naming the same line.

The official module aborts the whole process on a knob whose value is not a
valid integer or boolean, and on every configuration error; we raise
``HTCondorValueError`` / ``ConfigError`` with the same text instead (see
``docs/differences.md``).  Values that depend on the process or on how
HTCondor was built are listed in ``known_differences.txt``.  A missing oracle
fails the suite.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
CONFIGS = os.path.join(HERE, "configs")
RUNNER = os.path.join(HERE, "runner.py")
ORACLE_PYTHON = os.path.join(ROOT, ".venv-oracle", "bin", "python")
OURS_PYTHON = sys.executable


def _known_differences() -> dict[str, str]:
    known = {}
    with open(os.path.join(HERE, "known_differences.txt"), encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                name, _, section = line.partition(" ")
                known[name.upper()] = section.strip()
    return known


KNOWN = _known_differences()


def _directives(path: str) -> dict[str, str]:
    found = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"#!\s*(\w+)\s*:\s*(.*)", line)
            if m is None:
                break
            found[m.group(1)] = m.group(2).strip()
    return found


def _environment(directives: dict, extra: dict) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.lower().startswith("_condor_")}
    env.pop("PYTHONPATH", None)
    env.update(extra)
    for pair in re.findall(r"(\S+?)=(.*?)(?=\s+\S+=|$)", directives.get("env", "")):
        env[pair[0]] = pair[1]
    return env


def run_side(python: str, path: str, oracle: bool) -> dict:
    """Everything one side says about one config file."""
    d = _directives(path)
    env = _environment(d, {"CONDOR_CONFIG": path})
    cwd = os.path.join(CONFIGS, d["cwd"]) if "cwd" in d else CONFIGS
    probes = d.get("probe", "").split()
    out: dict = {"values": {}}
    keys = None if d.get("dump", "yes") != "no" else probes
    start = 0
    while True:
        request = {"keys": keys, "start": start, "subsystem": d.get("subsystem")}
        proc = subprocess.run([python, RUNNER, json.dumps(request)], capture_output=True, text=True,
                              env=env, cwd=cwd, timeout=60)
        last = start - 1
        for line in proc.stdout.splitlines():
            msg = json.loads(line)
            if "import_error" in msg:
                out["import_error"] = msg["import_error"]
                return out
            if "keys" in msg:
                keys = msg["keys"]
                out["keys"] = keys
                continue
            out["values"][keys[msg["i"]]] = [msg["value"], msg["in"]]
            last = msg["i"]
        if keys is None:  # the import itself failed
            out["import_error"] = proc.stderr.strip()
            return out
        if last + 1 >= len(keys):
            break
        # The process stopped at key last+1: the official module aborted on its value.
        m = re.search(r'ERROR "(.*?)" at line', proc.stderr, re.S)
        out["values"][keys[last + 1]] = [["error", m.group(1) if m else proc.stderr.strip()], None]
        start = last + 2
    if probes and d.get("dump", "yes") != "no":
        request = {"keys": probes, "start": 0, "subsystem": d.get("subsystem")}
        proc = subprocess.run([python, RUNNER, json.dumps(request)], capture_output=True, text=True,
                              env=env, cwd=cwd, timeout=60)
        for line in proc.stdout.splitlines():
            msg = json.loads(line)
            out["values"]["probe:" + probes[msg["i"]]] = [msg["value"], msg["in"]]
    return out


def _config_files() -> list[str]:
    return sorted(f for f in os.listdir(CONFIGS) if f.endswith(".conf"))


@pytest.fixture(scope="module")
def results():
    if not os.path.exists(ORACLE_PYTHON):
        pytest.fail(f"the oracle is missing: {ORACLE_PYTHON} (run `make test`, which creates .venv-oracle)")
    jobs = [(name, side) for name in _config_files() for side in ("oracle", "ours")]
    with ThreadPoolExecutor(max_workers=4) as pool:
        outs = list(pool.map(lambda job: run_side(ORACLE_PYTHON if job[1] == "oracle" else OURS_PYTHON,
                                                  os.path.join(CONFIGS, job[0]), job[1] == "oracle"), jobs))
    table: dict = {}
    for (name, side), out in zip(jobs, outs):
        table.setdefault(name, {})[side] = out
    _write_report(table)
    return table


def _write_report(table: dict) -> None:
    """Counts for the closing notes: how many values were compared and how many agree."""
    compared = agree = known = 0
    for sides in table.values():
        for key, value in sides["oracle"].get("values", {}).items():
            compared += 1
            if sides["ours"].get("values", {}).get(key) == value:
                agree += 1
            elif key.removeprefix("probe:").upper() in KNOWN:
                known += 1
    with open(os.path.join(os.path.dirname(HERE), "last_report_config.txt"), "w", encoding="utf-8") as f:
        f.write(f"config conformance: {len(table)} config files, {compared} values compared, "
                f"{agree} agree, {known} known differences\n")


def _error_line(message: str) -> str | None:
    m = re.search(r"Configuration Error Line (\d+)", message)
    return m.group(1) if m else None


def test_corpus_size():
    assert len(_config_files()) >= 40


@pytest.mark.parametrize("name", _config_files())
def test_config(results, name):
    oracle, ours = results[name]["oracle"], results[name]["ours"]
    d = _directives(os.path.join(CONFIGS, name))
    if d.get("expect") == "error":
        assert "import_error" in oracle, "the official module accepted this file"
        assert "import_error" in ours, "we accepted a file the official module refuses"
        assert _error_line(ours["import_error"]) == _error_line(oracle["import_error"]), \
            f"official: {oracle['import_error']!r}\nours: {ours['import_error']!r}"
        return
    assert "import_error" not in oracle, oracle.get("import_error")
    assert "import_error" not in ours, ours.get("import_error")
    assert ours.get("keys") == oracle.get("keys")
    bad = []
    for key, value in oracle["values"].items():
        bare = key.removeprefix("probe:").upper()
        if bare in KNOWN:
            continue
        if ours["values"].get(key) != value:
            bad.append(f"{key}\n   official: {value}\n   ours:     {ours['values'].get(key)}")
    assert not bad, f"{len(bad)} differences:\n" + "\n".join(bad[:20])


def test_known_differences_still_differ(results):
    """Every listed difference shows up somewhere, and names a section of docs/differences.md."""
    with open(os.path.join(ROOT, "docs", "differences.md"), encoding="utf-8") as f:
        sections = {line[3:].strip() for line in f if line.startswith("## ")}
    differing = set()
    for sides in results.values():
        for key, value in sides["oracle"].get("values", {}).items():
            if sides["ours"].get("values", {}).get(key) != value:
                differing.add(key.removeprefix("probe:").upper())
    for name, section in KNOWN.items():
        assert section in sections, f"{name}: no section {section!r} in docs/differences.md"
        assert name in differing, f"{name} agrees now; remove it from known_differences.txt"
