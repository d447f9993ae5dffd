"""Benchmark: scalable job tracking (issue 5, section 6), with our modules only (no official pool exists).

``python workload_tracking.py`` measures three things and prints, on its
last line, one JSON object:

* ``poll_first_s`` / ``poll_slowest_s`` -- 8 personal pools (one schedd
  each) hold 1,000, 2,000 ... 8,000 idle jobs; one ``QueryIterator`` per
  schedd asks for every job, and ``htcondor.poll`` hands them back as they
  have ads.  Target: the first ads arrive before the slowest schedd has
  answered (``poll_first_s < poll_slowest_s``).
* ``autocluster_s`` / ``projection_s`` -- 100,000 idle jobs in 5
  autoclusters; ``xquery(opts=QueryOpts.AutoCluster)`` against a plain
  query projecting 3 attributes.  Target: the autocluster query costs less.
  ``autocluster_groups`` is how many ads it returned (< 10).
* ``tracker_events_per_s`` -- a writer appends a 100,000-event log in
  chunks while a tracker follows it with ``JobEventLog`` and keeps the
  state of every job in a dict.  Target: >= 50,000 events/s.

``BENCH_SCALE=0.1`` does a tenth of the work.  Progress goes to stderr.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
import time
import warnings

import htcondor
from htcondor._query_iterator import start_query
from htcondor.personal import PersonalPool

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from workload_eventlog import write_log  # noqa: E402 - the same generated events as the event-log bench

SCALE = float(os.environ.get("BENCH_SCALE", "1"))
IDLE = {"NUM_CPUS": 1, "START": "false"}  # jobs stay idle: the queues do not change while we measure


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _submit(schedd, total: int, groups: int = 1) -> None:
    """`total` idle jobs in `groups` clusters, each cluster its own request_memory (its own autocluster)."""
    per = total // groups
    for g in range(groups):
        sub = htcondor.Submit({"executable": "/bin/true", "request_memory": str(64 * (g + 1))})
        for start in range(0, per, 10_000):
            schedd.submit(sub, count=min(10_000, per - start))


def bench_poll(tmp: str) -> dict:
    pools = []
    try:
        for i in range(8):
            pool = PersonalPool(local_dir=os.path.join(tmp, f"pool{i}"), config=IDLE).start()
            pools.append(pool)
            _submit(pool.schedd, int(1000 * (i + 1) * SCALE))
        _say("8 schedds ready")
        start = time.perf_counter()
        queries = [start_query(p.schedd._address, {"constraint": "true", "projection": ["ClusterId", "ProcId"],
                                                   "limit": -1, "opts": 0}, f"schedd{i}")
                   for i, p in enumerate(pools)]
        first = None
        done_at: dict = {}
        counts: dict = {}
        for query in htcondor.poll(queries, timeout_ms=60_000):
            ads = query.nextAdsNonBlocking()
            if ads and first is None:
                first = time.perf_counter() - start
            counts[query.tag()] = counts.get(query.tag(), 0) + len(ads)
            if query.done():
                done_at[query.tag()] = time.perf_counter() - start
        expected = {f"schedd{i}": int(1000 * (i + 1) * SCALE) for i in range(8)}
        if counts != expected:
            raise SystemExit(f"poll read {counts}, expected {expected}")
        return {"poll_first_s": first, "poll_slowest_s": max(done_at.values())}
    finally:
        for pool in pools:
            pool.stop()


def bench_autocluster(tmp: str) -> dict:
    n = int(100_000 * SCALE)
    with PersonalPool(local_dir=os.path.join(tmp, "acpool"), config=IDLE) as pool:
        schedd = pool.schedd
        _submit(schedd, n, groups=5)
        _say(f"{n} jobs in 5 groups submitted")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            best_ac = best_proj = float("inf")
            for _ in range(2):
                start = time.perf_counter()
                groups = list(schedd.xquery(opts=htcondor.QueryOpts.AutoCluster))
                best_ac = min(best_ac, time.perf_counter() - start)
                start = time.perf_counter()
                jobs = schedd.query(projection=["ClusterId", "ProcId", "RequestMemory"])
                best_proj = min(best_proj, time.perf_counter() - start)
        if len(jobs) != n:
            raise SystemExit(f"the projection query returned {len(jobs)} of {n} jobs")
        result = {"autocluster_s": best_ac, "projection_s": best_proj, "autocluster_groups": len(groups)}
        if len(groups) >= n:  # the schedd answered with job ads: it does not aggregate yet
            result["autocluster_note"] = "the schedd returned job ads, not autoclusters (hook missing)"
        return result


def bench_tracker(tmp: str) -> dict:
    n = int(100_000 * SCALE)
    source = os.path.join(tmp, "source.log")
    write_log(source, n, 13)
    with open(source, "rb") as f:
        data = f.read()
    path = os.path.join(tmp, "followed.log")
    open(path, "wb").close()
    chunks = 50
    step = len(data) // chunks + 1

    def writer():
        with open(path, "ab") as out:
            for i in range(0, len(data), step):
                out.write(data[i:i + step])
                out.flush()

    jobs: dict = {}
    seen = 0
    log = htcondor.JobEventLog(path)
    thread = threading.Thread(target=writer)
    start = time.perf_counter()
    thread.start()
    while seen < n:
        for event in log.events(stop_after=1):
            seen += 1
            jobs[(event.cluster, event.proc)] = event.type
            if seen >= n:
                break
        if time.perf_counter() - start > 120:
            raise SystemExit(f"the tracker saw {seen} of {n} events in 120 s")
    elapsed = time.perf_counter() - start
    thread.join()
    log.close()
    return {"tracker_events_per_s": n / elapsed, "tracker_jobs": len(jobs)}


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="bench-tracking") as tmp:
        before = os.environ.get("CONDOR_CONFIG")
        result = {}
        try:
            result.update(bench_tracker(tmp))
            _say(f"tracker: {result['tracker_events_per_s']:.0f} events/s")
            result.update(bench_poll(tmp))
            _say(f"poll: first ads after {result['poll_first_s']:.3f} s, slowest done after "
                 f"{result['poll_slowest_s']:.3f} s")
            result.update(bench_autocluster(tmp))
            _say(f"autocluster {result['autocluster_s']:.3f} s ({result['autocluster_groups']} ads), "
                 f"projection {result['projection_s']:.3f} s")
        finally:
            if before is None:
                os.environ.pop("CONDOR_CONFIG", None)
            else:
                os.environ["CONDOR_CONFIG"] = before
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
