"""Benchmark: ``Submit.jobs()`` making 10,000 job ads from item data, ours and official.

``python workload_submit.py`` imports whichever ``htcondor`` is on the path
and turns one realistic description -- a parameter sweep with arguments,
per-item output files, requests with units, a policy and custom attributes
-- into 10,000 job ads, the item data given as a list of dicts.  Every ad
is touched (``Args`` is read), as a caller submitting them would.  The last
line printed is one JSON object::

    {"submit_jobs": best seconds for 10,000 procs,
     "submit_procs": ads made, "submit_checksum": total length of every Args}

The two sides must agree on ``submit_procs`` and ``submit_checksum``
(``run.py`` checks).  ``BENCH_SCALE=0.1`` makes a tenth of the jobs.
"""

from __future__ import annotations

import json
import os
import time

import htcondor

SCALE = float(os.environ.get("BENCH_SCALE", "1"))
PROCS = max(1, int(10000 * SCALE))

DESCRIPTION = """
universe = vanilla
executable = /bin/sh
arguments = "-c 'simulate --seed $(seed) --alpha $(alpha) --out out_$(ProcId).dat'"
output = logs/$(Cluster).$(Process).out
error = logs/$(Cluster).$(Process).err
log = logs/sweep.log
request_cpus = 1
request_memory = 512M
request_disk = 2G
should_transfer_files = YES
when_to_transfer_output = ON_EXIT
transfer_input_files = params/$(alpha).json
periodic_release = (NumJobStarts < 3) && (HoldReasonCode == 34)
+ProjectName = "sweep"
+SeedValue = $(seed)
batch_name = sweep
"""


def main() -> None:
    items = [{"seed": str(1000 + i), "alpha": "%.2f" % (i % 97 / 10)} for i in range(PROCS)]
    sub = htcondor.Submit(DESCRIPTION)
    best = float("inf")
    procs = checksum = 0
    for _ in range(3):
        start = time.perf_counter()
        procs = checksum = 0
        for ad in sub.jobs(itemdata=iter(items), clusterid=42, qdate=1700000000, owner="alice"):
            checksum += len(ad["Args"] if "Args" in ad else ad["Arguments"])
            procs += 1
        best = min(best, time.perf_counter() - start)
    print(json.dumps({"submit_jobs": best, "submit_procs": procs, "submit_checksum": checksum}))


if __name__ == "__main__":
    main()
