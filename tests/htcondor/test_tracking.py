"""Scalable job tracking: QueryIterator and poll, autocluster queries, LogReader, read_events, event trackers.

One personal pool serves the module.  Queries go through
``htcondor._query_iterator.start_query`` (what ``Schedd.xquery`` uses) so
the iterator is tested whatever the client wiring; the tests of the wiring
itself (``xquery`` returning a QueryIterator, ``history`` a HistoryIterator,
the schedd answering AutoCluster queries) skip until the hooks are in.
"""

from __future__ import annotations

import inspect
import json
import os
import select
import shutil
import socket
import subprocess
import threading
import time
import warnings

import pytest
from daemon_process import private_pool, wait_for

import classad
import htcondor
from htcondor._autocluster_query import aggregate_reply, autocluster_ads
from htcondor._client import DaemonConnection
from htcondor._query_iterator import start_query

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ORACLE_PYTHON = os.path.join(ROOT, ".venv-oracle", "bin", "python")
LOGS = os.path.join(ROOT, "tests", "conformance", "eventlog", "logs")
TIMEOUT = 20.0


def _hooked(obj, text: str) -> bool:
    try:
        return text in inspect.getsource(obj)
    except (OSError, TypeError):
        return False


def _xquery_hooked() -> bool:
    return _hooked(htcondor.Schedd.xquery, "xquery_iterator")


def _autocluster_hooked() -> bool:
    from htcondor._daemons import schedd as daemon

    return _hooked(daemon, "aggregate_reply")


@pytest.fixture(scope="module")
def pool(tmp_path_factory):
    with private_pool(tmp_path_factory.mktemp("tracking") / "pool", {"NUM_CPUS": 8}) as p:
        yield p


@pytest.fixture(scope="module")
def held_jobs(pool):
    """30 held jobs in 3 groups of request_memory (held: they stay in the queue)."""
    sub = htcondor.Submit({"executable": "/bin/true", "request_memory": "$(mem)", "hold": "true"})
    result = pool.schedd.submit(sub, itemdata=iter([{"mem": str(m)} for m in [64, 128, 256] * 10]))
    yield result.cluster()
    pool.schedd.act(htcondor.JobAction.Remove, f"ClusterId == {result.cluster()}")


def _query(pool, constraint="true", projection=(), opts=0, tag="q", limit=-1):
    args = {"constraint": constraint, "projection": list(projection), "limit": limit, "opts": opts}
    return start_query(pool.schedd._address, args, tag)


# -- enums and classes against the oracle ----------------------------------------------------------

PROBE = """
import json, htcondor
out = {}
for name in ("BlockingMode", "EntryType"):
    cls = getattr(htcondor, name)
    out[name] = [[key, int(m), str(m), repr(m)] for key, m in cls.names.items()]
print(json.dumps(out))
"""


def test_enums_match_the_oracle():
    if not os.path.exists(ORACLE_PYTHON):
        pytest.fail(f"the oracle is missing: {ORACLE_PYTHON}")
    env = dict(os.environ, CONDOR_CONFIG="/dev/null", PYTHONPATH="")
    done = subprocess.run([ORACLE_PYTHON, "-c", PROBE], capture_output=True, text=True, env=env, check=True)
    oracle = json.loads(done.stdout)
    ours = {name: [[key, int(m), str(m), repr(m)] for key, m in getattr(htcondor, name).names.items()]
            for name in ("BlockingMode", "EntryType")}
    assert ours == oracle
    assert htcondor.EntryType.values[103] is htcondor.EntryType.SetAttribute


@pytest.mark.parametrize("name", ["QueryIterator", "BulkQueryIterator", "HistoryIterator", "EventIterator"])
def test_iterator_classes_cannot_be_built(name):
    with pytest.raises(RuntimeError, match="cannot be instantiated from Python"):
        getattr(htcondor, name)()


def test_poll_validates_its_argument():
    for bad in (None, 5):
        with pytest.raises(htcondor.HTCondorTypeError, match="Unable to iterate over query object."):
            htcondor.poll(bad)
    with pytest.raises(TypeError):
        htcondor.poll([1])
    with pytest.raises(StopIteration, match="All ads are processed"):
        next(htcondor.poll([]))


# -- QueryIterator and poll ------------------------------------------------------------------------

def test_query_iterator_reads_blocking_and_non_blocking(pool, held_jobs):
    it = _query(pool, f"ClusterId == {held_jobs}", ["ProcId"], tag="mine")
    assert it.tag() == "mine" and isinstance(it.watch(), int) and it.watch() >= 0
    first = next(it)
    rest = []
    while not it.done():
        ad = it.__next__(htcondor.BlockingMode.NonBlocking)
        if ad is not None:
            rest.append(ad)
        elif not it.done():
            select.select([it.watch()], [], [], 0.1)
    assert sorted(ad["ProcId"] for ad in [first, *rest]) == list(range(30))
    assert it.nextAdsNonBlocking() == [] and it.watch() == -1
    with pytest.raises(StopIteration):
        next(it)


def test_poll_returns_each_query_as_it_has_results(pool, held_jobs):
    queries = [_query(pool, f"ClusterId == {held_jobs} && RequestMemory == {m}", ["ProcId"], tag=str(m))
               for m in (64, 128, 256)]
    counts: dict = {}
    for query in htcondor.poll(queries, timeout_ms=int(TIMEOUT * 1000)):
        counts[query.tag()] = counts.get(query.tag(), 0) + len(query.nextAdsNonBlocking())
    assert counts == {"64": 10, "128": 10, "256": 10}
    assert all(q.done() for q in queries)


def test_a_refused_query_raises_when_read(pool):
    it = _query(pool, "[[[")
    with pytest.raises(htcondor.HTCondorIOError, match="Parse error"):
        list(it)
    assert it.done()


def test_poll_times_out_on_a_silent_daemon():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    try:
        conn = DaemonConnection(f"<127.0.0.1:{server.getsockname()[1]}>", timeout=5)
        conn.send("QUERY_JOB_ADS", {})
        it = htcondor.QueryIterator._start(conn, "silent")
        assert it.nextAdsNonBlocking() == [] and not it.done()
        with pytest.raises(htcondor.HTCondorIOError, match="Timeout when waiting for remote host"):
            next(htcondor.poll([it], timeout_ms=50))
        conn.close()
    finally:
        server.close()


@pytest.mark.skipif(not _xquery_hooked(), reason="Schedd.xquery does not return a QueryIterator yet")
def test_xquery_returns_a_tagged_query_iterator(pool, held_jobs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        it = pool.schedd.xquery(f"ClusterId == {held_jobs}", ["ProcId"], name="tagged")
    assert isinstance(it, htcondor.QueryIterator) and it.tag() == "tagged"
    assert len(list(it)) == 30


@pytest.mark.skipif(not _xquery_hooked(), reason="Schedd.history does not return a HistoryIterator yet")
def test_history_returns_a_history_iterator(pool):
    assert isinstance(pool.schedd.history(None, [], match=1), htcondor.HistoryIterator)


# -- autoclusters ----------------------------------------------------------------------------------

def _jobs(n: int = 12) -> list:
    return [classad.ClassAd({"RequestMemory": [64, 128, 256][i % 3], "RequestCpus": 1, "ProcId": i,
                             "Requirements": classad.ExprTree("TARGET.Memory >= RequestMemory")})
            for i in range(n)]


def test_autocluster_ads_group_by_significant_attributes():
    ads = autocluster_ads(_jobs(), ["Requirements", "RequestCpus"])
    assert [(ad["AutoClusterId"], ad["RequestMemory"], ad["JobCount"]) for ad in ads] == \
        [(1, 64, 4), (2, 128, 4), (3, 256, 4)]
    # the referenced RequestMemory tells the groups apart, and ProcId is not part of them
    assert "ProcId" not in ads[0] and "Requirements" in ads[0]


def test_autocluster_constraint_and_limit_apply_to_the_aggregates():
    jobs = _jobs() + [classad.ClassAd({"RequestMemory": 64, "RequestCpus": 1, "Requirements": True})]
    ads = autocluster_ads(jobs, ["Requirements", "RequestCpus", "RequestMemory"], constraint="JobCount > 1")
    assert [ad["JobCount"] for ad in ads] == [4, 4, 4]
    assert len(autocluster_ads(jobs, ["RequestMemory"], limit=1)) == 1


def test_group_by_uses_the_given_attributes_and_numbers_groups_in_id():
    ads = autocluster_ads(_jobs(), group_by=["RequestMemory"])
    assert [(ad["Id"], ad["RequestMemory"], ad["JobCount"]) for ad in ads] == [(1, 64, 4), (2, 128, 4), (3, 256, 4)]
    assert all("AutoClusterId" not in ad for ad in ads)
    reply = aggregate_reply(_jobs(), None, ["requestmemory"], -1, 2)
    assert [d["JobCount"] for d in reply] == [4, 4, 4]


@pytest.mark.skipif(not _autocluster_hooked(), reason="the schedd does not answer AutoCluster queries yet")
def test_the_schedd_answers_autocluster_queries(pool, held_jobs):
    it = _query(pool, "JobCount >= 10", opts=int(htcondor.QueryOpts.AutoCluster), tag="ac")
    ads = list(it)
    assert sorted((ad["RequestMemory"], ad["JobCount"]) for ad in ads) == [(64, 10), (128, 10), (256, 10)]
    assert all(isinstance(ad["AutoClusterId"], int) for ad in ads)


# -- LogReader ---------------------------------------------------------------------------------------

def _reader(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return htcondor.LogReader(str(path))


def test_log_reader_warns_and_reads_entries(tmp_path):
    path = tmp_path / "job_queue.log"
    path.write_text('107 1 CreationTimestamp 1700000000\n105\n101 0.0 Job Machine\n'
                    '103 0.0 NextClusterNum 2\n103 0.0 Bad [[[\n104 0.0 Bad\n102 0.0\n106\n')
    with pytest.warns(FutureWarning, match="LogReader is deprecated"):
        reader = htcondor.LogReader(str(path))
    entries = list(reader)
    assert [e["event"] for e in entries] == [htcondor.EntryType.NewClassAd, htcondor.EntryType.SetAttribute,
                                            htcondor.EntryType.SetAttribute, htcondor.EntryType.DeleteAttribute,
                                            htcondor.EntryType.DestroyClassAd]
    assert entries[0] == {"event": htcondor.EntryType.NewClassAd, "key": "0.0", "type": "Job", "target": "Machine"}
    assert isinstance(entries[1]["value"], classad.ExprTree) and entries[1]["value"].eval() == 2
    assert entries[2]["value"].eval() is classad.Value.Error
    assert entries[3] == {"event": htcondor.EntryType.DeleteAttribute, "key": "0.0", "name": "Bad"}
    assert reader.setBlocking(True) is False and reader.setBlocking(False) is True
    assert reader.use_inotify in (True, False)


def test_log_reader_follows_waits_and_resets(tmp_path):
    path = tmp_path / "job_queue.log"
    path.write_text("107 1 CreationTimestamp 1700000000\n")
    reader = _reader(path)
    assert list(reader) == [] and reader.poll(0) is None
    fd = reader.watch()
    with open(path, "a") as f:
        f.write("105\n103 0.0 NextClusterNum 3")  # the last line is incomplete: not read yet
    if fd >= 0:
        assert select.select([fd], [], [], 1.0)[0] == [fd]
    assert reader.poll(50) is None
    with open(path, "a") as f:
        f.write("\n106\n")
    assert reader.poll(1000)["name"] == "NextClusterNum"

    def append_later():
        time.sleep(0.1)
        with open(path, "a") as f:
            f.write("105\n102 1.0\n106\n")

    thread = threading.Thread(target=append_later)
    thread.start()
    reader.setBlocking(True)
    assert next(reader) == {"event": htcondor.EntryType.DestroyClassAd, "key": "1.0"}
    thread.join()
    # compaction writes a new file and renames it over the log: Reset, then the new file from its start
    new = tmp_path / "new.log"
    new.write_text("107 2 CreationTimestamp 1700000001\n105\n101 2.0 Job Machine\n106\n")
    os.replace(new, path)
    assert reader.poll(1000) == {"event": htcondor.EntryType.Reset}
    assert reader.poll(1000)["key"] == "2.0"


def test_log_reader_on_a_missing_file(tmp_path):
    reader = _reader(tmp_path / "absent.log")
    assert list(reader) == []
    assert reader.poll(0) == {"event": htcondor.EntryType.Error}


def test_log_reader_follows_the_schedds_queue(pool, held_jobs):
    reader = _reader(os.path.join(pool.get_config_val("SPOOL"), "job_queue.log"))
    keys = {e.get("key") for e in reader if e["event"] == htcondor.EntryType.NewClassAd}
    assert {f"{held_jobs}.{p}" for p in range(30)} <= keys
    result = pool.schedd.submit(htcondor.Submit({"executable": "/bin/true", "hold": "true"}))
    entry = wait_for(lambda: reader.poll(100), TIMEOUT, "the new job in the log")
    seen = [entry, *reader]
    assert any(e.get("key") == f"{result.cluster()}.0" for e in seen)
    pool.schedd.act(htcondor.JobAction.Remove, f"ClusterId == {result.cluster()}")


# -- read_events and EventIterator -------------------------------------------------------------------

def test_read_events_warns_and_gives_the_events_as_classads():
    path = os.path.join(LOGS, "basic.log")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        events = htcondor.read_events(open(path))  # noqa: SIM115 - the iterator reads it
    assert sorted((w.category.__name__, str(w.message)[:24]) for w in caught) == [
        ("DeprecationWarning", "EventIterator is depreca"), ("DeprecationWarning", "read_events is deprecate"),
        ("FutureWarning", "read_events() is depreca")]
    ads = list(events)
    expected = list(htcondor.JobEventLog(path).events(0))
    assert len(ads) == len(expected) > 3
    assert all(isinstance(ad, classad.ClassAd) for ad in ads)
    assert [(ad["MyType"], ad["Cluster"], ad["EventTypeNumber"]) for ad in ads] == \
        [(e["MyType"], e.cluster, int(e.type)) for e in expected]
    assert events.poll(0) is None
    assert events.setBlocking(True) is False


def test_read_events_starts_at_the_files_position_and_follows(tmp_path):
    path = tmp_path / "job.log"
    shutil.copy(os.path.join(LOGS, "basic.log"), path)
    with open(path) as f:
        f.readline()
        f.readline()  # past the first event
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            events = htcondor.read_events(f)
        total = len(list(htcondor.JobEventLog(str(path)).events(0)))
        assert len(list(events)) == total - 1
        with open(path, "a") as out:
            out.write("000 (099.000.000) 2024-03-05 10:11:12 Job submitted from host: <127.0.0.1:9618>\n...\n")
        assert events.poll(1000)["Cluster"] == 99


def test_read_events_refuses_xml_and_missing_files(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(htcondor.HTCondorValueError, match="XML"):
            htcondor.read_events(os.path.join(LOGS, "basic.log"), True)
        with pytest.raises(htcondor.HTCondorIOError):
            htcondor.read_events(str(tmp_path / "absent.log"))


# -- trackers: one shared log, and a log per job ------------------------------------------------------

def _track(logs, expected: int, timeout: float) -> dict:
    """Follow the logs until `expected` jobs have terminated; the state of every job seen."""
    readers = [htcondor.JobEventLog(str(p)) for p in logs]
    state: dict = {}
    finished = 0
    deadline = time.monotonic() + timeout
    while finished < expected and time.monotonic() < deadline:
        for reader in readers:
            for event in reader.events(stop_after=0):
                job = (event.cluster, event.proc)
                if event.type == htcondor.JobEventType.JOB_TERMINATED:
                    finished += state.get(job) != "done"
                    state[job] = "done"
                elif state.get(job) != "done":
                    state[job] = event.type.name
        time.sleep(0.02)
    for reader in readers:
        reader.close()
    return state


def test_tracking_1000_jobs_in_one_shared_log(pool, tmp_path):
    log = tmp_path / "shared.log"
    result = pool.schedd.submit(htcondor.Submit({"executable": "/bin/true", "log": str(log)}), count=1000)
    state = _track([log], 1000, 60)
    assert {job for job, s in state.items() if s == "done"} == {(result.cluster(), p) for p in range(1000)}


def test_tracking_jobs_with_a_log_each(pool, tmp_path):
    sub = htcondor.Submit({"executable": "/bin/true", "log": str(tmp_path / "job$(Process).log")})
    result = pool.schedd.submit(sub, count=100)
    state = _track([tmp_path / f"job{p}.log" for p in range(100)], 100, 60)
    assert sorted(state) == [(result.cluster(), p) for p in range(100)]
    assert set(state.values()) == {"done"}
