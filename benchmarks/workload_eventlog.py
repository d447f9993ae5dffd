"""Benchmark: reading a 100,000-event job event log, with our module and with the official one.

``python workload_eventlog.py`` imports whichever ``htcondor`` is on the
path, writes two logs into a temporary directory (10,000 and 100,000 events,
generated as plain text from a fixed seed, so both sides read identical
files), and reads each with ``JobEventLog(path).events(stop_after=0)``,
touching ``type``, ``cluster`` and one key of every event.  The last line
printed is one JSON object::

    {"read_eventlog": seconds for 100,000 events,
     "eventlog_rss_kb_10k": peak RSS growth while reading 10,000 events,
     "eventlog_rss_kb_100k": peak RSS growth while reading 100,000 events}

Events are streamed, so the growth for 100,000 events should be about the
same as for 10,000, not ten times more.  ``BENCH_SCALE=0.1`` reads a tenth.
"""

from __future__ import annotations

import json
import os
import random
import resource
import sys
import tempfile
import time

import htcondor

SCALE = float(os.environ.get("BENCH_SCALE", "1"))
START = 1709629200  # 2024-03-05 09:00:00 UTC


def _date(clock: int) -> str:
    t = time.localtime(clock)
    return "%04d-%02d-%02d %02d:%02d:%02d" % (t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec)


def _usage(rng: random.Random) -> str:
    u, s = rng.randint(0, 90000), rng.randint(0, 3000)
    return "Usr %d %02d:%02d:%02d, Sys %d %02d:%02d:%02d" % (
        u // 86400, u % 86400 // 3600, u % 3600 // 60, u % 60, s // 86400, s % 86400 // 3600, s % 3600 // 60, s % 60)


def job_events(rng: random.Random, cluster: int, proc: int, clock: int) -> list[str]:
    """The events of one job, as HTCondor writes them: submit, execute, image size(s), maybe a hold, the end."""
    job = "(%03d.%03d.000)" % (cluster, proc)
    host = "<10.0.%d.%d:9618?addrs=10.0.%d.%d-9618&noUDP&sock=startd_%d_%04x>" % (
        cluster % 250, proc % 250, cluster % 250, proc % 250, rng.randint(1000, 99999), rng.randint(0, 65535))
    events = ["000 %s %s Job submitted from host: <10.0.0.1:9618?addrs=10.0.0.1-9618&noUDP&sock=schedd_1_2>\n"
              "    DAG Node: node_%d_%d\n" % (job, _date(clock), cluster, proc)]
    clock += rng.randint(1, 30)
    events.append("001 %s %s Job executing on host: %s\n\tSlotName: slot1_%d@worker%d.example.org\n"
                  "\tCpus = 1\n\tDisk = %d\n\tMemory = %d\n" % (job, _date(clock), host, proc % 8 + 1, cluster % 97,
                                                                  rng.randint(10000, 99999), rng.choice((512, 1024))))
    for _ in range(rng.randint(1, 2)):
        clock += rng.randint(1, 300)
        mem = rng.randint(1, 900)
        events.append("006 %s %s Image size of job updated: %d\n\t%d  -  MemoryUsage of job (MB)\n"
                      "\t%d  -  ResidentSetSize of job (KB)\n" % (job, _date(clock), mem * 1024, mem, mem * 1000))
    clock += rng.randint(1, 600)
    if rng.random() < 0.1:
        events.append("012 %s %s Job was held.\n\tvia condor_hold (by user alice)\n\tCode 1 Subcode 0\n"
                      % (job, _date(clock)))
        clock += rng.randint(1, 60)
        events.append("013 %s %s Job was released.\n\tvia condor_release (by user alice)\n" % (job, _date(clock)))
        return events, clock
    ret = rng.choice((0, 0, 0, 1, 2))
    sent, received = rng.randint(0, 10**6), rng.randint(0, 10**6)
    events.append(
        "005 %s %s Job terminated.\n\t(1) Normal termination (return value %d)\n"
        "\t\t%s  -  Run Remote Usage\n\t\tUsr 0 00:00:00, Sys 0 00:00:00  -  Run Local Usage\n"
        "\t\t%s  -  Total Remote Usage\n\t\tUsr 0 00:00:00, Sys 0 00:00:00  -  Total Local Usage\n"
        "\t%d  -  Run Bytes Sent By Job\n\t%d  -  Run Bytes Received By Job\n"
        "\t%d  -  Total Bytes Sent By Job\n\t%d  -  Total Bytes Received By Job\n"
        "\tPartitionable Resources :    Usage  Request Allocated \n"
        "\t   Cpus                 :                 1         1 \n"
        "\t   Disk (KB)            : %8d %8d %9d \n"
        "\t   Memory (MB)          : %8d %8d %9d \n"
        "\n\tJob terminated of its own accord at 2024-03-05T10:00:00Z with exit-code %d.\n"
        % (job, _date(clock), ret, _usage(rng), _usage(rng), sent, received, sent, received,
           rng.randint(1, 5000), 10000, 20000, rng.randint(1, 900), 1024, 1024, ret))
    return events, clock


def write_log(path: str, count: int, seed: int) -> None:
    rng = random.Random(seed)
    written = 0
    clock = START
    cluster = 1
    with open(path, "w") as f:
        while written < count:
            for proc in range(10):
                events, clock = job_events(rng, cluster, proc, clock)
                for text in events[:count - written]:
                    f.write(text + "...\n")
                written += len(events)
                if written >= count:
                    break
            cluster += 1
            clock += rng.randint(0, 5)


def read_log(path: str) -> tuple[float, int, int]:
    """Seconds to read every event (touching type, cluster and one key), and the event count."""
    keys = {0: "SubmitHost", 1: "SlotName", 5: "ReturnValue", 6: "MemoryUsage", 12: "HoldReason", 13: "Reason"}
    start = time.perf_counter()
    count = touched = 0
    for event in htcondor.JobEventLog(path).events(stop_after=0):
        if event.type is not None and event.cluster >= 0:
            count += 1
        if event.get(keys.get(int(event.type), "EventTime")) is not None:
            touched += 1
    return time.perf_counter() - start, count, touched


def main() -> int:
    n_small, n_large = int(10_000 * SCALE), int(100_000 * SCALE)
    with tempfile.TemporaryDirectory() as tmp:
        small, large = os.path.join(tmp, "small.log"), os.path.join(tmp, "large.log")
        write_log(small, n_small, 11)
        write_log(large, n_large, 12)
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        _, count_small, _ = read_log(small)
        after_small = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        seconds, count_large, touched = read_log(large)
        after_large = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if count_small != n_small or count_large != n_large or touched != n_large:
        print(f"read {count_small}/{n_small} and {count_large}/{n_large} events ({touched} keys)", file=sys.stderr)
        return 1
    print(f"read {count_large} events in {seconds:.3f} s", file=sys.stderr)
    print(json.dumps({"read_eventlog": seconds, "eventlog_rss_kb_10k": after_small - base,
                      "eventlog_rss_kb_100k": after_large - base}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
