"""Unit tests of the job event log reader (``htcondor.JobEventLog``) and writer.

The conformance suite (tests/conformance/eventlog) compares the reader with
the official one; these tests pin down behaviour on their own: following a
growing file, incomplete events, pickling, errors, and a write-then-read
round trip of every event type.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import threading
import time

import pytest

import htcondor
from htcondor import JobEventType as T
from htcondor._event_format import format_body
from htcondor._event_parse import parse_body, parse_header
from htcondor._eventlog_writer import EventLogWriter, format_event

SUBMIT = "000 (001.000.000) 2024-03-05 10:11:12 Job submitted from host: <127.0.0.1:9618>\n...\n"
EXECUTE = "001 (001.000.000) 2024-03-05 10:11:13 Job executing on host: <127.0.0.1:9618>\n...\n"
USAGE = "Usr 0 00:01:02, Sys 0 00:00:03"

# One event of every kind the writer knows, with the fields a reader gives back.
EVENTS = [
    (T.SUBMIT, {"SubmitHost": "<127.0.0.1:9618>", "LogNotes": "DAG Node: A", "UserNotes": "two"}),
    (T.EXECUTE, {"ExecuteHost": "<10.0.0.7:9618>", "SlotName": "slot1@w", "ExecuteProps": {"Cpus": 2, "X": "y"}}),
    (T.EXECUTABLE_ERROR, {"ExecuteErrorType": 1}),
    (T.CHECKPOINTED, {"RunRemoteUsage": USAGE, "RunLocalUsage": USAGE, "SentBytes": 5.0}),
    (T.JOB_EVICTED, {"Checkpointed": False, "RunRemoteUsage": USAGE, "RunLocalUsage": USAGE, "SentBytes": 1.0,
                     "ReceivedBytes": 2.0, "TerminatedAndRequeued": False, "TerminatedNormally": False}),
    (T.JOB_EVICTED, {"Checkpointed": False, "RunRemoteUsage": USAGE, "RunLocalUsage": USAGE, "SentBytes": 1.0,
                     "ReceivedBytes": 2.0, "TerminatedAndRequeued": True, "TerminatedNormally": False,
                     "TerminatedBySignal": 9, "CoreFile": "/tmp/core", "Reason": "requeued"}),
    (T.JOB_TERMINATED, {"TerminatedNormally": True, "ReturnValue": 3, "RunRemoteUsage": USAGE,
                        "RunLocalUsage": USAGE, "TotalRemoteUsage": USAGE, "TotalLocalUsage": USAGE,
                        "SentBytes": 10.0, "ReceivedBytes": 20.0, "TotalSentBytes": 30.0, "TotalReceivedBytes": 40.0,
                        "Cpus": 1, "RequestCpus": 1, "CpusUsage": 0.5, "Memory": 256, "RequestMemory": 128,
                        "MemoryUsage": 3, "ToE": {"Who": "itself", "How": "OF_ITS_OWN_ACCORD", "HowCode": 0,
                                                  "When": 1709633484, "ExitBySignal": False, "ExitCode": 3}}),
    (T.JOB_TERMINATED, {"TerminatedNormally": False, "TerminatedBySignal": 11, "RunRemoteUsage": USAGE,
                        "RunLocalUsage": USAGE, "TotalRemoteUsage": USAGE, "TotalLocalUsage": USAGE,
                        "SentBytes": 0.0, "ReceivedBytes": 0.0, "TotalSentBytes": 0.0, "TotalReceivedBytes": 0.0}),
    (T.IMAGE_SIZE, {"Size": 2500, "MemoryUsage": 3, "ResidentSetSize": 2500, "ProportionalSetSize": 2000}),
    (T.SHADOW_EXCEPTION, {"Message": "it broke", "SentBytes": 0.0, "ReceivedBytes": 0.0}),
    (T.GENERIC, {"Info": "generic text"}),
    (T.JOB_ABORTED, {"Reason": "via condor_rm"}),
    (T.JOB_SUSPENDED, {"NumberOfPIDs": 2}),
    (T.JOB_UNSUSPENDED, {}),
    (T.JOB_HELD, {"HoldReason": "via condor_hold", "HoldReasonCode": 1, "HoldReasonSubCode": 0}),
    (T.JOB_RELEASED, {"Reason": "via condor_release"}),
    (T.NODE_EXECUTE, {"ExecuteHost": "<10.0.0.9:9618>", "Node": 2}),
    (T.POST_SCRIPT_TERMINATED, {"TerminatedNormally": True, "ReturnValue": 0, "DAGNodeName": "A"}),
    (T.REMOTE_ERROR, {"Daemon": "starter", "ExecuteHost": "slot1@w", "ErrorMsg": "a\nb", "HoldReasonCode": 6,
                      "HoldReasonSubCode": 2}),
    (T.JOB_DISCONNECTED, {"DisconnectReason": "lost", "StartdName": "slot1@w", "StartdAddr": "<10.0.0.1:9618>",
                          "EventDescription": "Job disconnected, attempting to reconnect"}),
    (T.JOB_RECONNECTED, {"StartdName": "slot1@w", "StartdAddr": "<a>", "StarterAddr": "<b>",
                         "EventDescription": "Job reconnected"}),
    (T.JOB_RECONNECT_FAILED, {"Reason": "lease expired", "StartdName": "slot1@w",
                              "EventDescription": "Job reconnect impossible: rescheduling job"}),
    (T.GRID_SUBMIT, {"GridResource": "batch slurm", "GridJobId": "batch slurm 7"}),
    (T.JOB_AD_INFORMATION, {"JobStatus": 2, "Owner": "alice"}),
    (T.ATTRIBUTE_UPDATE, {"Attribute": "JobPrio", "Value": "10", "OldValue": "0"}),
    (T.PRESKIP, {"SkipEventLogNotes": "DAG Node: F"}),
    (T.CLUSTER_SUBMIT, {"SubmitHost": "<10.0.0.1:9618>"}),
    (T.CLUSTER_REMOVE, {"NextProcId": 4, "NextRow": 4, "Completion": 1, "Notes": "done"}),
    (T.FACTORY_PAUSED, {"Reason": "held", "PauseCode": 1, "HoldCode": 3}),
    (T.FACTORY_RESUMED, {"Reason": "released"}),
    (T.FILE_TRANSFER, {"Type": 5, "QueueingDelay": 7, "Host": "<10.0.0.7:9618>"}),
]
_READ_ONLY = {"EventDescription"}  # keys the reader adds
_WRITE_ONLY = {"OldValue"}  # printed in the event, but not a key of it


@pytest.fixture
def log(tmp_path):
    return str(tmp_path / "job.log")


def _write(path: str, text: str, mode: str = "a") -> None:
    with open(path, mode, newline="") as f:
        f.write(text)


# -- reading --------------------------------------------------------------------------

def test_reads_events_in_order(log):
    _write(log, SUBMIT + EXECUTE)
    events = list(htcondor.JobEventLog(log).events(stop_after=0))
    assert [e.type for e in events] == [T.SUBMIT, T.EXECUTE]
    assert [(e.cluster, e.proc) for e in events] == [(1, 0), (1, 0)]
    assert events[0]["SubmitHost"] == "<127.0.0.1:9618>"


def test_event_is_a_read_only_mapping(log):
    _write(log, SUBMIT)
    event = next(htcondor.JobEventLog(log).events(0))
    assert "submithost" in event and "SubmitHost" in event and "Nope" not in event
    assert event.get("Nope") is None and event.get("Nope", 5) == 5
    with pytest.raises(KeyError):
        event["Nope"]
    assert len(event) == len(event.keys()) == len(event.values()) == len(event.items())
    assert dict(event.items())["MyType"] == "SubmitEvent"
    assert list(event) == event.keys()
    assert repr(event) == f"JobEvent(type=0, cluster=1, proc=0, timestamp={event.timestamp})"
    with pytest.raises(RuntimeError):
        htcondor.JobEvent()


def test_timestamps(log, monkeypatch):
    _write(log, "000 (001.000.000) 2024-03-05 10:11:12.250Z Job submitted from host: <h>\n...\n")
    event = next(htcondor.JobEventLog(log).events(0))
    assert event.timestamp == 1709633472
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        assert parse_header("000 (1.2.3) 2024-03-05 10:11:12 x")[1:5] == (1, 2, 3, 1709633472)
        assert parse_header("000 (1.2.3) 03/05 10:11:12 x")[4] % 86400 == 10 * 3600 + 11 * 60 + 12
        assert parse_header("000 (1.2.3) 2024-13-01 10:11:12 x") is None
    finally:
        monkeypatch.undo()
        time.tzset()


def test_crlf_and_dag_notes(log):
    _write(log, "000 (001.000.000) 2024-03-05 10:11:12 Job submitted from host: <h>\r\n    DAG Node: A\r\n...\r\n")
    event = next(htcondor.JobEventLog(log).events(0))
    assert event["LogNotes"] == "DAG Node: A"
    assert event["StructuredNotes"] == {"DAGNodeName": "A"}


def test_incomplete_event_waits_for_its_end(log):
    _write(log, SUBMIT + EXECUTE[:-4])
    jel = htcondor.JobEventLog(log)
    assert len(list(jel.events(0))) == 1
    assert list(jel.events(0)) == []
    _write(log, "...\n")
    assert [e.type for e in jel.events(0)] == [T.EXECUTE]


def test_follow_mode_waits_for_a_writer(log):
    _write(log, SUBMIT)
    jel = htcondor.JobEventLog(log)
    assert next(jel.events(None)).type == T.SUBMIT

    def writer():
        time.sleep(0.2)
        _write(log, EXECUTE[:30])
        time.sleep(0.2)
        _write(log, EXECUTE[30:])

    thread = threading.Thread(target=writer)
    thread.start()
    event = next(jel)  # blocks until the second event is complete
    thread.join()
    assert event.type == T.EXECUTE


def test_stop_after_gives_up(log):
    _write(log, SUBMIT)
    jel = htcondor.JobEventLog(log)
    assert len(list(jel.events(stop_after=1))) == 1  # then waits up to a second for more, and stops
    _write(log, EXECUTE)
    assert [e.type for e in jel.events(0)] == [T.EXECUTE]  # the iterator is still usable


def test_pickle_resumes_where_it_stopped(log):
    _write(log, SUBMIT + EXECUTE)
    jel = htcondor.JobEventLog(log)
    next(jel.events(0))
    resumed = pickle.loads(pickle.dumps(jel))
    assert [e.type for e in resumed.events(0)] == [T.EXECUTE]
    assert repr(resumed).endswith(f"offset={len(SUBMIT) + len(EXECUTE)})")


def test_close_and_context_manager(log):
    _write(log, SUBMIT)
    with htcondor.JobEventLog(log) as jel:
        assert len(list(jel.events(0))) == 1
    assert list(jel.events(0)) == []
    jel.close()


def test_errors(log, tmp_path):
    with pytest.raises(htcondor.HTCondorIOError, match="JobEventLog not initialized"):
        htcondor.JobEventLog(str(tmp_path / "missing.log"))
    damaged = "005 (001.000.000) 2024-03-05 10:11:12 Job terminated.\n\tgarbage\n...\n"
    _write(log, SUBMIT + damaged + EXECUTE)
    jel = htcondor.JobEventLog(log)
    for bad in (1.5, "3", [1]):
        with pytest.raises(htcondor.HTCondorTypeError):
            jel.events(bad)
    assert next(jel.events(0)).type == T.SUBMIT
    with pytest.raises(htcondor.HTCondorIOError, match=f"at offset {len(SUBMIT) + len(damaged)}"):
        next(jel)
    assert [e.type for e in jel.events(0)] == [T.EXECUTE]  # reading goes on after the damaged event


def test_stray_lines_and_foreign_files(log, tmp_path):
    _write(log, SUBMIT + "not an event\n" + EXECUTE)
    jel = htcondor.JobEventLog(log)
    assert len(list(jel.events(0))) == 1  # stops at the stray line, as HTCondor does
    assert [e.type for e in jel.events(0)] == [T.EXECUTE]
    other = str(tmp_path / "other.txt")
    _write(other, "hello\n" + SUBMIT)
    assert list(htcondor.JobEventLog(other).events(0)) == []


def test_large_log_is_streamed(log):
    with open(log, "w") as f:
        for i in range(3000):
            f.write(SUBMIT.replace("001.000", "%03d.%03d" % (i // 10, i % 10)))
    jel = htcondor.JobEventLog(log)
    count = sum(1 for _ in jel.events(0))
    assert count == 3000
    assert len(jel._buf) - jel._bufpos < 2 << 20  # one chunk in memory at most


# -- writing and reading back -----------------------------------------------------------

@pytest.mark.parametrize("event_type,fields", EVENTS, ids=[f"{int(t)}-{i}" for i, (t, _) in enumerate(EVENTS)])
def test_every_event_round_trips(log, event_type, fields):
    written = {k: v for k, v in fields.items() if k not in _READ_ONLY}
    text = EventLogWriter(log).write(event_type, 12, 3, timestamp=1709633472, **written)
    event = next(htcondor.JobEventLog(log).events(0))
    assert (event.type, event.cluster, event.proc, event.timestamp) == (event_type, 12, 3, 1709633472)
    for key, value in fields.items():
        if key in _WRITE_ONLY:
            continue
        assert event[key] == value, key
    assert str(event) == text[:-4]  # the same text, without the "..." line
    lines = text.splitlines()
    header = parse_header(lines[0])
    prefix = lines[0][:len(lines[0]) - len(header[-1])]
    parsed = parse_body(int(event_type), [header[-1]] + lines[1:-1])
    assert format_body(int(event_type), parsed[0], parsed[1]) == text[len(prefix):-4]


def test_writer_header_styles(log):
    text = format_event(T.JOB_RELEASED, 5, 1, timestamp=86400.5, utc=True, sub_second=True)
    assert text.startswith("013 (005.001.000) 1970-01-02 00:00:00.500Z Job was released.\n")
    legacy = format_event(T.JOB_RELEASED, 5, 1, timestamp=86400, iso_dates=False)
    assert legacy[18:20] in ("01", "12")  # MM/DD, in local time


def test_writer_refuses_bad_input():
    with pytest.raises(TypeError, match="HoldReason"):
        format_event(T.SUBMIT, 1, 0, HoldReason="x")
    with pytest.raises(TypeError):
        format_event("SUBMIT", 1, 0)
    with pytest.raises(ValueError, match="cannot be written"):
        format_event(T.FILE_TRANSFER, 1, 0, Type=9)
    with pytest.raises(ValueError, match="cannot be written"):
        format_event(T.JOB_DISCONNECTED, 1, 0, DisconnectReason="x")


def _append_many(path: str, worker: int) -> None:
    writer = EventLogWriter(path)
    for i in range(200):
        writer.write(T.JOB_HELD, worker, i, HoldReason="x" * (i * 37 % 3000), HoldReasonCode=worker,
                     HoldReasonSubCode=i)


def test_concurrent_writers_never_interleave(log):
    processes = [multiprocessing.get_context("fork").Process(target=_append_many, args=(log, w)) for w in range(4)]
    for p in processes:
        p.start()
    for p in processes:
        p.join()
    events = list(htcondor.JobEventLog(log).events(0))
    assert len(events) == 800
    assert all(e["HoldReasonCode"] == e.cluster and e["HoldReasonSubCode"] == e.proc for e in events)
    assert sorted((e.cluster, e.proc) for e in events) == [(w, i) for w in range(4) for i in range(200)]


def test_writer_creates_and_appends(tmp_path):
    path = tmp_path / "new.log"
    writer = EventLogWriter(str(path))
    writer.write(T.JOB_UNSUSPENDED, 1, 0)
    writer.write(T.JOB_UNSUSPENDED, 1, 1)
    assert path.read_text().count("Job was unsuspended.") == 2
    assert os.stat(path).st_size == len(path.read_text())


def _observe(path: str) -> list:
    seen = []
    jel = htcondor.JobEventLog(path)
    for _ in range(60):
        try:
            seen.append([(repr(e), sorted(e.keys()), str(e)) for e in jel.events(0)])
        except htcondor.HTCondorIOError as e:
            seen.append(str(e))
    return seen


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 64])
def test_chunk_boundaries_do_not_matter(monkeypatch, chunk):
    """Events cut anywhere by the read buffer are read as when the file is read whole."""
    import htcondor._eventlog_reader as reader

    logs = os.path.join(os.path.dirname(__file__), "..", "conformance", "eventlog", "logs")
    for name in ("basic.log", "crlf.log", "errors.log", "dag.log"):
        path = os.path.join(logs, name)
        whole = _observe(path)
        monkeypatch.setattr(reader, "_CHUNK", chunk)
        assert _observe(path) == whole, name
        monkeypatch.undo()
