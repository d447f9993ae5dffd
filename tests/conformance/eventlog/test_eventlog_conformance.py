"""Job event logs read by the official module and by ours, event by event.

Every log runs through ``runner.py`` twice: in ``.venv-oracle`` with the
official ``htcondor==24.0.24`` wheel, and here with ours; each records,
round after round of ``events(stop_after=0)``, every event's type, job,
timestamp, ``repr``, ``str``, ``len``, keys and type-tagged values (and the
exceptions and stops between them).  The observations must be identical.
Sources of logs:

* ``logs/*.log``: hand-written in HTCondor's format, covering every event
  type, legacy and ISO dates, sub-seconds, ``Z``, CRLF line ends, DAG and
  structured notes, ToE trailers, signal terminations, requeue evictions,
  resource tables, and damaged or incomplete events;
* logs written by this project's writer (``writer_cases.py``) in four
  header styles; for these the official reader must also give back every
  field with the value written;
* API cases (``CODE_CASES``): errors, pickling, closing, enumerations.

Each side runs with ``TZ=UTC``, and again with ``TZ=Europe/Berlin`` for the
logs whose times matter.  A deliberate difference is listed in
``known_differences.txt`` with the section of ``docs/differences.md`` that
explains it.  If the oracle's virtual environment is missing the suite
fails: it never skips.
"""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
import tempfile
import threading

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
RUNNER = os.path.join(HERE, "runner.py")
ORACLE_PYTHON = os.path.join(ROOT, ".venv-oracle", "bin", "python")
LOGS = sorted(glob.glob(os.path.join(HERE, "logs", "*.log")))
TIME_SENSITIVE = {"basic.log", "dates.log", "terminations.log", "crlf.log"}

sys.path.insert(0, HERE)
import writer_cases  # noqa: E402  (a helper module next to this one)

CODE_CASES = {
    "missing file": "htcondor.JobEventLog('/nonexistent/dir/job.log')",
    "directory": "result = list(htcondor.JobEventLog(TMP).events(0))",
    "stop_after float": "htcondor.JobEventLog(LOG).events(1.5)",
    "stop_after str": "htcondor.JobEventLog(LOG).events('1')",
    "events returns self": "j = htcondor.JobEventLog(LOG)\nresult = j.events(0) is j and iter(j) is j",
    "repr fresh": "result = repr(htcondor.JobEventLog(LOG)).replace(LOG, 'LOG')",
    "first event repr": "result = repr(next(htcondor.JobEventLog(LOG).events(0)))",
    "count": "result = len(list(htcondor.JobEventLog(LOG).events(0)))",
    "pickle resumes": ("import pickle\nj = htcondor.JobEventLog(LOG)\nit = j.events(0)\nfirst = [next(it), next(it)]\n"
                       "k = pickle.loads(pickle.dumps(j))\n"
                       "result = [repr(e) for e in k.events(0)], repr(k).split('offset=')[1]"),
    "pickle state": ("j = htcondor.JobEventLog(LOG)\nnext(j.events(0))\nf, args, state = j.__reduce__()[:3]\n"
                     "result = [args[0] == LOG, state[0], state[2]]"),
    "close stops": "j = htcondor.JobEventLog(LOG)\nj.close()\nresult = list(j.events(0))",
    "close twice": "j = htcondor.JobEventLog(LOG)\nj.close()\nj.close()\nresult = 'ok'",
    "context manager": ("j = htcondor.JobEventLog(LOG)\nwith j as k:\n    same = k is j\n"
                        "    n = len(list(k.events(0)))\nresult = same, n, list(j.events(0))"),
    "enter resets deadline": ("j = htcondor.JobEventLog(LOG)\nj.events(5)\nj.__enter__()\n"
                              "result = repr(j).split('deadline=')[1].split(',')[0]"),
    "exit returns false": "j = htcondor.JobEventLog(LOG)\nresult = j.__exit__(None, None, None)",
    "JobEvent()": "htcondor.JobEvent()",
    "event key int": "e = next(htcondor.JobEventLog(LOG).events(0))\nresult = e[1]",
    "event missing key": "e = next(htcondor.JobEventLog(LOG).events(0))\nresult = e['NoSuchKey']",
    "event get default": ("e = next(htcondor.JobEventLog(LOG).events(0))\n"
                          "result = e.get('NoSuchKey', 7), e.get('x')"),
    "event iter": "e = next(htcondor.JobEventLog(LOG).events(0))\nresult = list(iter(e)) == e.keys()",
    "event iterators": ("e = next(htcondor.JobEventLog(LOG).events(0))\n"
                        "result = list(e.iterkeys()), list(e.itervalues()), list(e.iteritems())"),
    "event has_key": ("e = next(htcondor.JobEventLog(LOG).events(0))\n"
                      "result = e.has_key('cluster'), e.has_key('x')"),
    "event pickle": "import pickle\npickle.dumps(next(htcondor.JobEventLog(LOG).events(0)))",
    "JobEventType names": "result = [(k, int(v)) for k, v in htcondor.JobEventType.names.items()]",
    "JobEventType values": "result = [(k, str(v)) for k, v in htcondor.JobEventType.values.items()]",
    "FileTransferEventType": "result = [(k, int(v)) for k, v in htcondor.FileTransferEventType.names.items()]",
    "enum compare": ("T = htcondor.JobEventType\n"
                     "result = T.SUBMIT == 0, T.JOB_HELD < 13, T.EXECUTE + 1, str(T.JOB_HELD)"),
    "enum format": "T = htcondor.JobEventType\nresult = f'{T.EXECUTE}', '%d' % T.EXECUTE, '%s' % T.EXECUTE",
    "type is enum": "e = next(htcondor.JobEventLog(LOG).events(0))\nresult = isinstance(e.type, htcondor.JobEventType)",
    "empty file": ("open(TMP + '/empty.log', 'w').close()\n"
                   "result = list(htcondor.JobEventLog(TMP + '/empty.log').events(0))"),
    "growing file": ("p = TMP + '/grow.log'\nf = open(p, 'w')\nj = htcondor.JobEventLog(p)\nseen = []\n"
                     "f.write('000 (001.000.000) 2024-03-05 10:11:12 Job submitted from host: <h>\\n'); f.flush()\n"
                     "seen.append(len(list(j.events(0))))\nf.write('...\\n'); f.flush()\n"
                     "seen.append(len(list(j.events(0))))\nf.write('001 (001.000.000) 2024-03-05 10:11:13 Job'); "
                     "f.flush()\nseen.append(len(list(j.events(0))))\n"
                     "f.write(' executing on host: <h>\\n...\\n'); f.flush()\n"
                     "seen.append([repr(e) for e in j.events(0)])\nresult = seen"),
    "stop_after 1 at end": "j = htcondor.JobEventLog(LOG)\nlist(j.events(0))\nresult = list(j.events(1))",
    "negative stop_after": "j = htcondor.JobEventLog(LOG)\nresult = len(list(j.events(-5)))",
}


def _run_side(python: str, cases: list[dict], env: dict) -> dict:
    payload = "".join(json.dumps(c) + "\n" for c in cases)
    proc = subprocess.run([python, RUNNER], input=payload, capture_output=True, text=True,
                          env=dict(os.environ, **env), timeout=600)
    results = {}
    for line in proc.stdout.splitlines():
        case_id, result = json.loads(line)
        results[case_id] = result
    missing = [c["id"] for c in cases if c["id"] not in results]
    if missing:
        raise RuntimeError(f"{python}: no result for {missing[:5]}: {proc.stderr[-2000:]}")
    return results


def compare(cases: list[dict], tz: str) -> tuple[dict, dict]:
    if not os.path.exists(ORACLE_PYTHON):
        pytest.fail(f"the oracle is missing: {ORACLE_PYTHON} (run `make test`, which creates .venv-oracle)")
    common = {"TZ": tz, "PYTHONHASHSEED": "0", "CONDOR_CONFIG": "/dev/null"}
    oracle: dict = {}

    def run_oracle():
        oracle.update(_run_side(ORACLE_PYTHON, cases, dict(common, PYTHONPATH="")))

    thread = threading.Thread(target=run_oracle)
    thread.start()
    ours = _run_side(sys.executable, cases, dict(common, PYTHONPATH=os.path.join(ROOT, "src")))
    thread.join()
    return oracle, ours


def known_differences() -> dict:
    known = {}
    with open(os.path.join(HERE, "known_differences.txt"), encoding="utf-8") as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                case, reason, section = (part.strip() for part in line.rstrip("\n").split(" | "))
                known[case] = (reason, section)
    return known


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    tmp = str(tmp_path_factory.mktemp("eventlog"))
    writer_paths = writer_cases.write_logs(tmp)
    log_cases = [{"id": "logs/" + os.path.basename(p), "kind": "log", "path": p} for p in LOGS]
    log_cases += [{"id": "writer/" + style, "kind": "log", "path": p} for style, p in writer_paths.items()]
    code_cases = []
    for name, text in CODE_CASES.items():
        prelude = f"LOG = {os.path.join(HERE, 'logs', 'basic.log')!r}\nTMP = {tmp!r}\n"
        os.makedirs(os.path.join(tmp, name.replace(" ", "_")), exist_ok=True)
        prelude = prelude.replace(repr(tmp), repr(os.path.join(tmp, name.replace(" ", "_"))))
        code_cases.append({"id": "code/" + name, "kind": "code", "text": prelude + text})
    utc = compare(log_cases + code_cases, "UTC")
    berlin_cases = [c for c in log_cases if c["id"].startswith("writer/")
                    or os.path.basename(c["path"]) in TIME_SENSITIVE]
    berlin = compare(berlin_cases, "Europe/Berlin")
    return {"utc": (log_cases + code_cases, *utc), "berlin": (berlin_cases, *berlin), "writer": writer_paths}


def _events_of(observation) -> list:
    return [e for round_ in observation if isinstance(round_, list) for e in round_ if isinstance(e, dict)
            and "repr" in e]


_TALLY: dict = {}


def _check(cases, oracle, ours, label):
    known = known_differences()
    unexpected, events, agreed_events = [], 0, 0
    for case in cases:
        a, b = oracle[case["id"]], ours[case["id"]]
        n = len(_events_of(a)) if case["kind"] == "log" else 1
        events += n
        if a == b:
            agreed_events += n
            continue
        if case["id"] in known:
            continue
        unexpected.append(f"{case['id']}\n   official: {json.dumps(a)[:1500]}\n   ours:     {json.dumps(b)[:1500]}")
    _TALLY[label] = (len(cases), events, agreed_events)
    assert not unexpected, f"{len(unexpected)} disagreements:\n" + "\n".join(unexpected[:10])


def test_handwritten_logs_agree(results):
    cases, oracle, ours = results["utc"]
    _check([c for c in cases if c["id"].startswith("logs/")], oracle, ours, "hand-written logs (TZ=UTC)")


def test_writer_logs_agree(results):
    cases, oracle, ours = results["utc"]
    _check([c for c in cases if c["id"].startswith("writer/")], oracle, ours, "writer logs (TZ=UTC)")


def test_api_cases_agree(results):
    cases, oracle, ours = results["utc"]
    _check([c for c in cases if c["id"].startswith("code/")], oracle, ours, "API cases")


def test_logs_agree_in_another_time_zone(results):
    cases, oracle, ours = results["berlin"]
    _check(cases, oracle, ours, "logs (TZ=Europe/Berlin)")


def test_official_reader_gets_back_what_the_writer_wrote(results):
    """Every field given to the writer comes back, with its value and type, from the official reader."""
    cases, oracle, _ = results["utc"]
    written = writer_cases.cases()
    for style in writer_cases.STYLES:
        events = _events_of(oracle["writer/" + style])
        assert len(events) == len(written), f"{style}: the official reader read {len(events)} of {len(written)}"
        assert all(r[-1] == "stop" for r in oracle["writer/" + style]), f"{style}: the official reader failed"
        for (event_type, cluster, proc, fields), seen in zip(written, events):
            assert seen["type"].split(":")[2] == str(int(event_type))
            assert seen["cluster"] == f"i:{cluster}" and seen["proc"] == f"i:{proc}"
            for key, value in fields.items():
                if key in _PRINTED_ONLY.get(int(event_type), ()):  # written, but not a key of the event
                    continue
                expected = _sorted(json.loads(json.dumps(_encode(writer_cases.expected_value(key, value)))))
                got = _sorted(seen.get("[" + key + "]"))
                assert got == expected, (style, int(event_type), key, got)


_PRINTED_ONLY = {33: {"OldValue"}, 35: {"LogNotes", "UserNotes"}}


def _sorted(encoded):
    """An encoded value with the entries of its dicts sorted (the written order is not the read order)."""
    if isinstance(encoded, dict) and "dict" in encoded:
        return sorted(encoded["dict"])
    return encoded


def _encode(v):
    import importlib.util

    spec = importlib.util.spec_from_file_location("eventlog_conformance_runner", RUNNER)
    runner = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(runner)
    return runner.encode(v)


def test_every_event_type_is_covered(results):
    cases, oracle, _ = results["utc"]
    seen = set()
    for case in cases:
        if case["kind"] == "log":
            seen.update(int(e["type"].split(":")[2]) for e in _events_of(oracle[case["id"]]))
    missing = sorted(set(range(0, 41)) - {31, 32, 39} - seen)  # 31/32/39 are read as unknown events, covered too
    assert not missing, f"event types never read: {missing}"


def test_known_differences_still_differ(results):
    cases, oracle, ours = results["utc"]
    ids = {c["id"] for c in cases}
    docs = open(os.path.join(ROOT, "docs", "differences.md"), encoding="utf-8").read()
    for case_id, (reason, section) in known_differences().items():
        assert case_id in ids, f"known difference {case_id!r} is not a case any more"
        assert oracle[case_id] != ours[case_id], f"{case_id!r} agrees now; remove it from known_differences.txt"
        assert f"### {section}" in docs, f"docs/differences.md has no section {section!r} ({reason})"


def test_report(results):
    """Print the agreement counts (``pytest -s`` shows them)."""
    lines = [f"eventlog conformance: {label}: {n} cases, {events} events, {agreed} events agree"
             for label, (n, events, agreed) in sorted(_TALLY.items())]
    report = os.path.join(tempfile.gettempdir(), "eventlog_conformance_report.txt")
    with open(report, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
