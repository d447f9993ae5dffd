"""Events written with this project's writer, for the official reader to read back.

Each case is ``(event_type, cluster, proc, fields)``; :func:`write_logs` writes
them (with several header styles) into logs that the conformance test reads
with both modules.  The fields are the keys a ``JobEvent`` has, so after
reading, every field must come back with the value written (see
:func:`expected_value`).
"""

from __future__ import annotations

import os
import random

from htcondor import JobEventType as T
from htcondor._eventlog_writer import EventLogWriter

USAGE = "Usr 0 00:01:02, Sys 0 00:00:03"


def cases() -> list[tuple]:
    rng = random.Random(4242)
    out = [
        (T.SUBMIT, 1, 0, {"SubmitHost": "<127.0.0.1:9618?addrs=127.0.0.1-9618&noUDP&sock=schedd_1_2>"}),
        (T.SUBMIT, 1, 1, {"SubmitHost": "<10.0.0.1:9618>", "LogNotes": "DAG Node: A"}),
        (T.SUBMIT, 1, 2, {"SubmitHost": "<10.0.0.1:9618>", "LogNotes": "DAG Node: B", "UserNotes": "retry 2"}),
        (T.SUBMIT, 1, 3, {"SubmitHost": "<10.0.0.1:9618>", "LogNotes": "plain notes"}),
        (T.EXECUTE, 1, 0, {"ExecuteHost": "<10.0.0.7:9618?addrs=10.0.0.7-9618>"}),
        (T.EXECUTE, 1, 1, {"ExecuteHost": "<10.0.0.7:9618>", "SlotName": "slot1_3@worker.example.org",
                           "ExecuteProps": {"Cpus": 2, "Memory": 2048, "Disk": 1048576,
                                            "CondorScratchDir": "/var/lib/condor/execute/dir_7",
                                            "LoadAvg": 0.25, "HasDocker": True}}),
        (T.EXECUTABLE_ERROR, 1, 0, {"ExecuteErrorType": 0}),
        (T.EXECUTABLE_ERROR, 1, 1, {"ExecuteErrorType": 1}),
        (T.CHECKPOINTED, 1, 0, {"RunRemoteUsage": USAGE, "RunLocalUsage": (5, 1), "SentBytes": 12345.0}),
        (T.JOB_EVICTED, 1, 0, {"Checkpointed": False, "RunRemoteUsage": (3600, 60), "RunLocalUsage": (0, 0),
                               "SentBytes": 100.0, "ReceivedBytes": 200.0}),
        (T.JOB_EVICTED, 1, 1, {"Checkpointed": True, "RunRemoteUsage": USAGE, "RunLocalUsage": USAGE,
                               "SentBytes": 0.0, "ReceivedBytes": 0.0}),
        (T.JOB_EVICTED, 1, 2, {"TerminatedAndRequeued": True, "TerminatedNormally": True, "ReturnValue": 3,
                               "RunRemoteUsage": USAGE, "RunLocalUsage": USAGE, "SentBytes": 1.0,
                               "ReceivedBytes": 2.0, "Reason": "OnExitRemove evaluated to FALSE"}),
        (T.JOB_EVICTED, 1, 3, {"TerminatedAndRequeued": True, "TerminatedNormally": False, "TerminatedBySignal": 9,
                               "CoreFile": "/tmp/core.1", "RunRemoteUsage": USAGE, "RunLocalUsage": USAGE,
                               "SentBytes": 1.0, "ReceivedBytes": 2.0}),
        (T.JOB_TERMINATED, 1, 0, {"TerminatedNormally": True, "ReturnValue": 0, "RunRemoteUsage": USAGE,
                                  "RunLocalUsage": (0, 0), "TotalRemoteUsage": USAGE, "TotalLocalUsage": (0, 0),
                                  "SentBytes": 10.0, "ReceivedBytes": 20.0, "TotalSentBytes": 30.0,
                                  "TotalReceivedBytes": 40.0}),
        (T.JOB_TERMINATED, 1, 1, {"TerminatedNormally": True, "ReturnValue": 42, "RunRemoteUsage": (90061, 7),
                                  "RunLocalUsage": (0, 0), "TotalRemoteUsage": (90061, 7),
                                  "TotalLocalUsage": (1, 2), "SentBytes": 1e6, "ReceivedBytes": 2e6,
                                  "TotalSentBytes": 1e6, "TotalReceivedBytes": 2e6,
                                  "Cpus": 1, "RequestCpus": 1, "Disk": 2048, "DiskUsage": 25, "RequestDisk": 1024,
                                  "Memory": 256, "MemoryUsage": 3, "RequestMemory": 128,
                                  "ToE": {"Who": "itself", "How": "OF_ITS_OWN_ACCORD", "HowCode": 0,
                                          "When": 1709633484, "ExitBySignal": False, "ExitCode": 42}}),
        (T.JOB_TERMINATED, 1, 2, {"TerminatedNormally": False, "TerminatedBySignal": 11,
                                  "CoreFile": "/var/lib/condor/execute/dir_1/core.99",
                                  "RunRemoteUsage": USAGE, "RunLocalUsage": USAGE, "TotalRemoteUsage": USAGE,
                                  "TotalLocalUsage": USAGE, "SentBytes": 0.0, "ReceivedBytes": 0.0,
                                  "TotalSentBytes": 0.0, "TotalReceivedBytes": 0.0,
                                  "Cpus": 2, "RequestCpus": 2, "CpusUsage": 0.5, "Gpus": 1, "RequestGpus": 1,
                                  "GpusUsage": 0.75, "Memory": 1024, "RequestMemory": 1024, "MemoryUsage": 700,
                                  "ToE": {"Who": "itself", "How": "OF_ITS_OWN_ACCORD", "HowCode": 0,
                                          "When": 1709633485, "ExitBySignal": True, "ExitSignal": 11}}),
        (T.JOB_TERMINATED, 1, 3, {"TerminatedNormally": False, "TerminatedBySignal": 9,
                                  "RunRemoteUsage": USAGE, "RunLocalUsage": USAGE, "TotalRemoteUsage": USAGE,
                                  "TotalLocalUsage": USAGE, "SentBytes": 5.0, "ReceivedBytes": 6.0,
                                  "TotalSentBytes": 7.0, "TotalReceivedBytes": 8.0}),
        (T.IMAGE_SIZE, 1, 0, {"Size": 2500, "MemoryUsage": 3, "ResidentSetSize": 2500}),
        (T.IMAGE_SIZE, 1, 1, {"Size": 98765, "MemoryUsage": 97, "ResidentSetSize": 98765,
                              "ProportionalSetSize": 4321}),
        (T.SHADOW_EXCEPTION, 1, 0, {"Message": "Error from starter: could not open stdin", "SentBytes": 0.0,
                                    "ReceivedBytes": 0.0}),
        (T.GENERIC, 1, 0, {"Info": "something generic"}),
        (T.JOB_ABORTED, 1, 0, {"Reason": "via condor_rm (by user alice)"}),
        (T.JOB_ABORTED, 1, 1, {}),
        (T.JOB_SUSPENDED, 1, 0, {"NumberOfPIDs": 3}),
        (T.JOB_UNSUSPENDED, 1, 0, {}),
        (T.JOB_HELD, 1, 0, {"HoldReason": "via condor_hold (by user alice)", "HoldReasonCode": 1,
                            "HoldReasonSubCode": 0}),
        (T.JOB_HELD, 1, 1, {"HoldReason": "Error from slot1@worker: memory usage exceeded request_memory",
                            "HoldReasonCode": 34, "HoldReasonSubCode": 102}),
        (T.JOB_HELD, 1, 2, {"HoldReasonCode": 0, "HoldReasonSubCode": 0}),
        (T.JOB_RELEASED, 1, 0, {"Reason": "via condor_release (by user alice)"}),
        (T.JOB_RELEASED, 1, 1, {}),
        (T.NODE_EXECUTE, 1, 0, {"Node": 3, "ExecuteHost": "<10.0.0.9:9618>", "SlotName": "slot2@worker"}),
        (T.NODE_TERMINATED, 1, 0, {"Node": 3, "TerminatedNormally": True, "ReturnValue": 0,
                                   "RunRemoteUsage": USAGE, "RunLocalUsage": USAGE, "TotalRemoteUsage": USAGE,
                                   "TotalLocalUsage": USAGE, "SentBytes": 1.0, "ReceivedBytes": 2.0,
                                   "TotalSentBytes": 3.0, "TotalReceivedBytes": 4.0}),
        (T.POST_SCRIPT_TERMINATED, 1, 0, {"TerminatedNormally": True, "ReturnValue": 0, "DAGNodeName": "A"}),
        (T.POST_SCRIPT_TERMINATED, 1, 1, {"TerminatedNormally": False, "TerminatedBySignal": 6}),
        (T.REMOTE_ERROR, 1, 0, {"Daemon": "starter", "ExecuteHost": "slot1@worker",
                                "ErrorMsg": "Failed to execute '/bin/x'", "HoldReasonCode": 6,
                                "HoldReasonSubCode": 2}),
        (T.REMOTE_ERROR, 1, 1, {"Daemon": "shadow", "ExecuteHost": "submit", "ErrorMsg": "line one\nline two"}),
        (T.JOB_DISCONNECTED, 1, 0, {"DisconnectReason": "Socket closed", "StartdName": "slot1@worker",
                                    "StartdAddr": "<10.0.0.7:9618>"}),
        (T.JOB_RECONNECTED, 1, 0, {"StartdName": "slot1@worker", "StartdAddr": "<10.0.0.7:9618>",
                                   "StarterAddr": "<10.0.0.7:9618?sock=starter_1>"}),
        (T.JOB_RECONNECT_FAILED, 1, 0, {"Reason": "Job lease expired", "StartdName": "slot1@worker"}),
        (T.GRID_RESOURCE_UP, 1, 0, {"GridResource": "batch slurm"}),
        (T.GRID_RESOURCE_DOWN, 1, 0, {"GridResource": "batch slurm"}),
        (T.GRID_SUBMIT, 1, 0, {"GridResource": "batch slurm", "GridJobId": "batch slurm 12345"}),
        (T.JOB_AD_INFORMATION, 1, 0, {"TriggerEventTypeName": "ULOG_EXECUTE", "TriggerEventTypeNumber": 1,
                                      "JobStatus": 2, "Owner": "alice", "RemoteWallClockTime": 12.5,
                                      "WantDocker": False}),
        (T.JOB_STATUS_UNKNOWN, 1, 0, {}),
        (T.JOB_STATUS_KNOWN, 1, 0, {}),
        (T.ATTRIBUTE_UPDATE, 1, 0, {"Attribute": "JobPrio", "Value": "10", "OldValue": "0"}),
        (T.PRESKIP, 1, 0, {"SkipEventLogNotes": "DAG Node: F"}),
        (T.CLUSTER_SUBMIT, 2, -1, {"SubmitHost": "<10.0.0.1:9618>", "LogNotes": "DAG Node: G"}),
        (T.CLUSTER_REMOVE, 2, -1, {"NextProcId": 10, "NextRow": 10, "Completion": 1}),
        (T.CLUSTER_REMOVE, 3, -1, {"NextProcId": 3, "NextRow": 5, "Completion": -3, "Notes": "factory failed"}),
        (T.CLUSTER_REMOVE, 4, -1, {"NextProcId": 0, "NextRow": 0, "Completion": 2}),
        (T.FACTORY_PAUSED, 5, -1, {"Reason": "cluster held", "PauseCode": 1, "HoldCode": 3}),
        (T.FACTORY_RESUMED, 5, -1, {"Reason": "by user request"}),
        (T.DATAFLOW_JOB_SKIPPED if hasattr(T, "DATAFLOW_JOB_SKIPPED") else 46, 1, 0, {"Reason": "outputs newer"}),
    ]
    for kind in range(1, 7):
        fields = {"Type": kind}
        if kind in (2, 5):
            fields["Host"] = "<10.0.0.7:9618>"
        if kind == 5:
            fields["QueueingDelay"] = 7
        out.append((T.FILE_TRANSFER, 1, kind, fields))
    for i in range(20):  # random terminations and holds with varied numbers
        if rng.random() < 0.5:
            out.append((T.JOB_HELD, 10 + i, i, {"HoldReason": f"reason {rng.randint(0, 10**6)}",
                                                "HoldReasonCode": rng.randint(1, 48),
                                                "HoldReasonSubCode": rng.randint(0, 300)}))
        else:
            out.append((T.JOB_TERMINATED, 10 + i, i, {
                "TerminatedNormally": True, "ReturnValue": rng.randint(0, 255),
                "RunRemoteUsage": (rng.randint(0, 10**6), rng.randint(0, 10**5)), "RunLocalUsage": (0, 0),
                "TotalRemoteUsage": (rng.randint(0, 10**6), rng.randint(0, 10**5)), "TotalLocalUsage": (0, 0),
                "SentBytes": float(rng.randint(0, 10**6)), "ReceivedBytes": float(rng.randint(0, 10**6)),
                "TotalSentBytes": float(rng.randint(0, 10**6)), "TotalReceivedBytes": float(rng.randint(0, 10**6)),
                "Cpus": rng.randint(1, 8), "RequestCpus": rng.randint(1, 8), "Memory": rng.randint(1, 9000),
                "RequestMemory": rng.randint(1, 9000), "MemoryUsage": rng.randint(0, 9000)}))
    return out


STYLES = {"local": {}, "utc": {"utc": True}, "subsecond": {"sub_second": True}, "legacy": {"iso_dates": False}}


def write_logs(directory: str) -> dict:
    """One log per header style, all cases in each; returns ``{style: path}``."""
    paths = {}
    for style, options in STYLES.items():
        path = os.path.join(directory, f"writer-{style}.log")
        writer = EventLogWriter(path, **options)
        clock = 1709633472.25
        for event_type, cluster, proc, fields in cases():
            writer.write(event_type, cluster, proc, timestamp=clock, **dict(fields))
            clock += 61.5
        paths[style] = path
    return paths


def expected_value(key: str, value):
    """The value the reader gives back for a field as written (usage pairs become their text)."""
    if isinstance(value, tuple) and key.endswith("Usage"):
        from htcondor._event_parse import rusage_text

        return rusage_text(*value)
    return value
