"""Benchmark: the personal pool (issue 4, section 7) -- submit, query, start-up, latency, throughput.

``python workload_pool.py`` runs only with our ``htcondor`` (the official
wheel has no pool of its own to compare with, so the figures are absolute
and ``run.py`` sets them against the targets).  Every pool lives in a
temporary directory and is stopped in a ``finally``.  Progress goes to
stderr; the last line printed is one JSON object::

    {"pool_submit": seconds for Schedd().submit(Submit, count=10000), one transaction,
     "pool_query": seconds for Schedd().query() of those 10,000 jobs, 3 attributes,
     "xquery_kb_10k", "xquery_kb_100k": the client's peak memory growth (KiB)
         iterating xquery() over 10,000 and over 100,000 jobs, whole ads,
     "xquery_jobs_10k", "xquery_jobs_100k": how many ads each xquery saw,
     "pool_start": median seconds of 3 PersonalPool(...).start() calls (or null),
     "first_job_latency": seconds from submit to the first job running (or null),
     "raw_fork_rate": /bin/true per second run by a Popen/wait loop with one worker per CPU,
     "pool_job_rate": /bin/true jobs per second through the pool (or null),
     "pool_jobs_done", "pool_jobs": how many of the throughput jobs finished in time,
     "pool_cpus": CPUs of the pool's slots (the raw rate's worker count),
     "notes": {measurement: why it was not measured}}

The submit, query and xquery measurements use a pool without negotiator or
startd (``DAEMON_LIST = MASTER COLLECTOR SCHEDD``): 100,000 idle
``/bin/true`` jobs must stay in the queue while they are counted, not run.
Start-up, latency and throughput use a pool with the default daemons.

The memory figures come from a fresh interpreter per measurement
(``python workload_pool.py --xquery-child``): the highest resident memory
seen while iterating (a look every 500 ads) less the resident memory just
before the query.  That covers the whole client -- socket buffers, the
decoder, the ads alive at once -- and each run starts from the same state.
(The growth of ``ru_maxrss`` would read 0: importing the modules sets a
higher mark than the query reaches; ``tracemalloc`` makes 100,000 whole
ads take 25 s.)  Streaming means 100,000 jobs should cost no more than
10,000.

When jobs do not start within ``GIVE_UP`` seconds (a pool without a
negotiator or startd), latency and throughput are reported as not measured
and the run still completes; so too when a pool is not ready within
``START_LIMIT`` seconds (a daemon that exits at start-up), which names the
daemons that were down.  ``BENCH_SCALE=0.1`` submits a tenth of the
jobs.
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings

import htcondor
from htcondor.personal import PersonalPool

SCALE = float(os.environ.get("BENCH_SCALE", "1"))
SMALL = max(1, int(10_000 * SCALE))  # jobs submitted and queried in one go
LARGE = max(SMALL + 1, int(100_000 * SCALE))  # jobs in the queue for the second xquery
THROUGHPUT_JOBS = max(10, int(200 * min(SCALE, 1)))
POLL = 0.005  # seconds between looks at the schedd and the user log
GIVE_UP = 10.0  # seconds without a job starting: jobs do not run in this pool
START_LIMIT = 10.0  # seconds a pool may take to become ready before the run gives up on it
THROUGHPUT_CAP = 25.0  # seconds the throughput run may take in all
RAW_SECONDS = 2.0
PROJECTION = ["ClusterId", "ProcId", "JobStatus"]
RSS_EVERY = 500  # ads between two looks at the xquery client's resident memory
QUEUE_ONLY = {"DAEMON_LIST": "MASTER COLLECTOR SCHEDD"}


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


class PoolDidNotStart(Exception):
    """A pool was not ready within START_LIMIT seconds (a daemon that exits at start-up, say)."""


def _start(pool: PersonalPool) -> None:
    """``pool.start()``, given up after START_LIMIT seconds rather than PersonalPool's two minutes.

    On time-out the master gets SIGTERM (it stops its daemons and exits);
    ``start()`` then fails, stops the pool and this raises
    :class:`PoolDidNotStart` naming the daemons that were not alive.
    """
    seen: dict = {}

    def give_up() -> None:
        seen["who"] = pool.who()
        if pool.condor_master is not None:
            pool.condor_master.send_signal(signal.SIGTERM)

    timer = threading.Timer(START_LIMIT, give_up)
    timer.start()
    try:
        pool.start()
    except (RuntimeError, TimeoutError) as e:
        who = seen.get("who")
        if who is None:
            raise
        down = [f"{k} {who[k]}" for k in sorted(who.keys()) if who[k] not in ("Alive",) and not k.endswith("_PID")
                and k != "IsReady"]
        raise PoolDidNotStart(f"pool not ready in {START_LIMIT:.0f} s ({', '.join(down) or 'no daemon down'})") from e
    finally:
        timer.cancel()


def _submit_description(tmp: str) -> htcondor.Submit:
    """A modest, realistic description: the jobs of the submit and query measurements."""
    return htcondor.Submit({
        "executable": "/bin/true",
        "arguments": "$(ProcId)",
        "initialdir": tmp,
        "output": "out/$(ProcId).out",
        "error": "out/$(ProcId).err",
        "log": os.path.join(tmp, "sweep.log"),
        "request_cpus": "1",
        "request_memory": "128M",
        "+ProjectName": '"bench"',
    })


def _true_jobs(tmp: str, log: str) -> htcondor.Submit:
    """``/bin/true`` with a user log: the jobs of the latency and throughput measurements."""
    return htcondor.Submit({"executable": "/bin/true", "initialdir": tmp, "log": log,
                            "request_cpus": "1", "request_memory": "16M"})


# -- submit, query, xquery memory -------------------------------------------------------------


def _xquery_memory(config_file: str) -> tuple[int, int]:
    """Peak memory growth (KiB) and ad count of one xquery over the whole queue, in a fresh interpreter."""
    env = dict(os.environ, CONDOR_CONFIG=config_file)
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--xquery-child"], env=env, check=True,
                         capture_output=True, text=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    _say(f"xquery over {result['jobs']} jobs: {result['seconds']:.2f} s, peak {result['kb']} KiB")
    return result["kb"], result["jobs"]


def _rss_kb() -> int:
    """This process's resident memory now, in KiB (the high-water mark where /proc is missing)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
    except OSError:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def xquery_child() -> None:
    """In a fresh interpreter: iterate xquery over every job (whole ads), print the peak RSS growth."""
    schedd = htcondor.Schedd()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # xquery is deprecated since 10.7, as in HTCondor
        # one small query first, so what is measured is the query's, not the first connection's or imports'
        for _ in schedd.xquery("true", PROJECTION, limit=1):
            pass
        base = peak = _rss_kb()
        start = time.perf_counter()
        jobs = 0
        for ad in schedd.xquery("true"):
            if ad.get("JobStatus") is not None:
                jobs += 1
            if jobs % RSS_EVERY == 0:
                peak = max(peak, _rss_kb())
        seconds = time.perf_counter() - start
    peak = max(peak, _rss_kb())
    print(json.dumps({"kb": peak - base, "jobs": jobs, "seconds": seconds}))


def queue_workloads(results: dict) -> None:
    """Submit SMALL jobs in one transaction, query them, and measure xquery's memory at SMALL and LARGE jobs."""
    with tempfile.TemporaryDirectory(prefix="bench-pool-") as tmp:
        pool = PersonalPool(local_dir=os.path.join(tmp, "pool"), config=QUEUE_ONLY, use_config=False)
        try:
            _start(pool)
            schedd = pool.schedd
            sub = _submit_description(tmp)
            start = time.perf_counter()
            result = schedd.submit(sub, count=SMALL)
            results["pool_submit"] = time.perf_counter() - start
            if result.num_procs() != SMALL:
                raise RuntimeError(f"submitted {result.num_procs()} jobs, not {SMALL}")
            _say(f"submit {SMALL} jobs: {results['pool_submit']:.3f} s")

            best = float("inf")
            for _ in range(3):
                start = time.perf_counter()
                ads = schedd.query("true", PROJECTION)
                best = min(best, time.perf_counter() - start)
                if len(ads) != SMALL:
                    raise RuntimeError(f"query returned {len(ads)} jobs, not {SMALL}")
            results["pool_query"] = best
            _say(f"query {SMALL} jobs, {len(PROJECTION)} attributes: {best:.3f} s (best of 3)")

            results["xquery_kb_10k"], results["xquery_jobs_10k"] = _xquery_memory(str(pool.config_file))
            start = time.perf_counter()
            schedd.submit(sub, count=LARGE - SMALL)
            _say(f"submit {LARGE - SMALL} more jobs (setup): {time.perf_counter() - start:.1f} s")
            results["xquery_kb_100k"], results["xquery_jobs_100k"] = _xquery_memory(str(pool.config_file))
            _say(f"xquery peak memory growth: {results['xquery_kb_10k']} KiB over {results['xquery_jobs_10k']} "
                 f"jobs, {results['xquery_kb_100k']} KiB over {results['xquery_jobs_100k']}")
        finally:
            pool.stop()


# -- start-up --------------------------------------------------------------------------------


def start_workload(results: dict, notes: dict) -> None:
    """Median of 3: from PersonalPool(...) to start() returning with every daemon ready (default daemons)."""
    times = []
    for _ in range(3):
        with tempfile.TemporaryDirectory(prefix="bench-pool-") as tmp:
            pool = None
            try:
                start = time.perf_counter()
                pool = PersonalPool(local_dir=tmp, use_config=False)
                _start(pool)
                times.append(time.perf_counter() - start)
            except PoolDidNotStart as e:
                notes["pool_start"] = str(e)
                _say(f"PersonalPool start-to-ready: not measured: {e}")
                results["pool_start"] = None
                return
            finally:
                if pool is not None:
                    pool.stop()
    results["pool_start"] = statistics.median(times)
    _say("PersonalPool start-to-ready: " + ", ".join(f"{t:.3f}" for t in times) + " s")


# -- latency and throughput --------------------------------------------------------------------


class _LogWatch:
    """Counts the events of a user log as they are written (the log appears with the first event)."""

    def __init__(self, path: str):
        self.path = path
        self.log: htcondor.JobEventLog | None = None
        self.counts: dict = {}

    def poll(self) -> dict:
        if self.log is None:
            if not os.path.exists(self.path):
                return self.counts
            self.log = htcondor.JobEventLog(self.path)
        for event in self.log.events(stop_after=0):
            self.counts[event.type] = self.counts.get(event.type, 0) + 1
        return self.counts


def _wait_for_start(schedd: htcondor.Schedd, cluster: int, watch: _LogWatch, started_at: float) -> float | None:
    """Seconds from ``started_at`` until the cluster's first job runs (None after GIVE_UP seconds)."""
    while time.perf_counter() - started_at < GIVE_UP:
        if watch.poll().get(htcondor.JobEventType.EXECUTE):
            return time.perf_counter() - started_at
        statuses = [ad.get("JobStatus") for ad in schedd.query(f"ClusterId == {cluster}", ["JobStatus"])]
        # a running job, or one already done (a /bin/true may finish between two looks)
        if 2 in statuses or 4 in statuses or not statuses:
            return time.perf_counter() - started_at
        time.sleep(POLL)
    return None


def raw_fork_rate(workers: int, seconds: float = RAW_SECONDS) -> float:
    """How many ``/bin/true`` per second ``workers`` threads running Popen/wait in a loop manage."""
    counts = [0] * workers
    deadline = time.perf_counter() + seconds

    def work(i: int) -> None:
        while time.perf_counter() < deadline:
            subprocess.Popen(["/bin/true"]).wait()
            counts[i] += 1

    start = time.perf_counter()
    threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / (time.perf_counter() - start)


def _pool_cpus(pool: PersonalPool) -> int:
    """The CPUs of the pool's slots as the collector has them; NUM_CPUS before the startd advertises."""
    try:
        slots = pool.collector.query(htcondor.AdTypes.Startd, "", ["Cpus", "TotalSlotCpus", "SlotType"])
    except Exception:
        slots = []
    cpus = sum(int(ad.get("Cpus", 0)) for ad in slots if ad.get("SlotType") != "Dynamic")
    if cpus > 0:
        return cpus
    try:
        return int(pool.get_config_val("NUM_CPUS"))
    except (KeyError, ValueError):
        return os.cpu_count() or 1


def job_workloads(results: dict, notes: dict) -> None:
    """Submit-to-running latency of one job, then the job rate of a cluster of /bin/true against the raw rate."""
    with tempfile.TemporaryDirectory(prefix="bench-pool-") as tmp:
        pool = PersonalPool(local_dir=os.path.join(tmp, "pool"), use_config=False)
        try:
            try:
                _start(pool)
            except PoolDidNotStart as e:
                notes["first_job_latency"] = notes["pool_job_rate"] = str(e)
                _say(f"first job and throughput: not measured: {e}")
                cpus = results["pool_cpus"] = _pool_cpus(pool)
                results["raw_fork_rate"] = raw_fork_rate(cpus)
                results["first_job_latency"] = results["pool_job_rate"] = None
                return
            schedd = pool.schedd
            cpus = results["pool_cpus"] = _pool_cpus(pool)

            watch = _LogWatch(os.path.join(tmp, "latency.log"))
            start = time.perf_counter()
            cluster = schedd.submit(_true_jobs(tmp, watch.path), count=1).cluster()
            latency = _wait_for_start(schedd, cluster, watch, start)
            results["first_job_latency"] = latency
            if latency is None:
                notes["first_job_latency"] = notes["pool_job_rate"] = "jobs did not start"
                _say(f"first job: not measured (did not start within {GIVE_UP:.0f} s)")
                results["raw_fork_rate"] = raw_fork_rate(cpus)
                results["pool_job_rate"] = None
                return
            _say(f"first job running after {latency * 1000:.0f} ms")

            # the slots must be free before the throughput run: wait for the first job to leave the queue
            deadline = time.perf_counter() + GIVE_UP
            while schedd.query(f"ClusterId == {cluster}", ["JobStatus"]) and time.perf_counter() < deadline:
                time.sleep(POLL)

            results["raw_fork_rate"] = raw_fork_rate(cpus)
            _say(f"raw fork-exec rate, {cpus} workers: {results['raw_fork_rate']:.0f} /bin/true per s")

            watch = _LogWatch(os.path.join(tmp, "throughput.log"))
            n = results["pool_jobs"] = THROUGHPUT_JOBS
            start = time.perf_counter()
            cluster = schedd.submit(_true_jobs(tmp, watch.path), count=n).cluster()
            if _wait_for_start(schedd, cluster, watch, start) is None:
                notes["pool_job_rate"] = "jobs did not start"
                results["pool_job_rate"] = None
                return
            done = 0
            while time.perf_counter() - start < THROUGHPUT_CAP:
                counts = watch.poll()
                done = counts.get(htcondor.JobEventType.JOB_TERMINATED, 0)
                if done >= n:
                    break
                time.sleep(POLL)
            elapsed = time.perf_counter() - start
            results["pool_jobs_done"] = done
            results["pool_job_rate"] = done / elapsed
            if done < n:
                notes["pool_job_rate"] = f"only {done} of {n} jobs finished in {THROUGHPUT_CAP:.0f} s"
            _say(f"{done} of {n} jobs done in {elapsed:.2f} s: {done / elapsed:.1f} jobs per s")
        finally:
            pool.stop()


def main() -> int:
    if sys.argv[1:] == ["--xquery-child"]:
        xquery_child()
        return 0
    results: dict = {}
    notes: dict = {}
    queue_workloads(results)
    start_workload(results, notes)
    job_workloads(results, notes)
    results["notes"] = notes
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
