"""``make bench``: run the workloads with our modules and the official ones, print ratios.

Each workload script runs unchanged in both interpreters (ours from
``.venv``, the official wheel from ``.venv-oracle``) and prints one JSON
object of measurements on its last line.  The sides alternate,
``BENCH_ROUNDS`` times (default 2), on the same machine; each side's best
time per measurement counts, which keeps a burst of load on a shared machine
from deciding the ratio.  The ratio is ours divided by official: below 1
means we are faster.  ``BENCH_SCALE=0.1`` runs a tenth of the work for a
quick look.

Scripts and what they measure:

* ``workloads.py`` -- the ClassAd language (issue 2): parsing old-format ads,
  parsing and evaluating expressions, matching;
* ``workload_submit.py`` -- ``Submit.jobs()`` for 10,000 procs with itemdata;
* ``workload_eventlog.py`` -- reading a 100,000-event job event log, and the
  memory that takes (which must not grow with the log: events are streamed).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# measurement -> (label, unit scale for printing, target ratio)
MEASUREMENTS = {
    "parse_ads": ("(a) parseAds, 10,000 old-format job ads   [s]", 1, 2.0),
    "expressions": ("(b) parse + eval one small expression   [us]", 1e6, 3.0),
    "match": ("(c) symmetricMatch, one job/slot pair   [us]", 1e6, 1.0),
    "submit_jobs": ("(d) Submit.jobs(), 10,000 procs         [s]", 1, 1.5),
    "read_eventlog": ("(e) JobEventLog, 100,000 events         [s]", 1, 2.0),
}
SCRIPTS = ["workloads.py", "workload_submit.py", "workload_eventlog.py"]


def _run(python: str, script: str, extra_env: dict) -> dict:
    env = dict(os.environ, **extra_env)
    out = subprocess.run([python, os.path.join(HERE, script)], env=env, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _best(runs: list[dict]) -> dict:
    return {key: min(r[key] for r in runs) for key in runs[0]}


def main() -> int:
    ours_py = os.path.join(ROOT, ".venv", "bin", "python")
    oracle_py = os.path.join(ROOT, ".venv-oracle", "bin", "python")
    rounds = int(os.environ.get("BENCH_ROUNDS", "2"))
    ours: dict = {}
    official: dict = {}
    for script in SCRIPTS:
        ours_runs, official_runs = [], []
        for _ in range(rounds):
            ours_runs.append(_run(ours_py, script, {"PYTHONPATH": os.path.join(ROOT, "src"),
                                                    "CONDOR_CONFIG": "/dev/null"}))
            official_runs.append(_run(oracle_py, script, {"CONDOR_CONFIG": "/dev/null", "PYTHONPATH": ""}))
        ours.update(_best(ours_runs))
        official.update(_best(official_runs))
    for key in ("matched_pairs", "submit_procs", "submit_checksum", "eventlog_events"):
        if key in ours and ours[key] != official.get(key):
            print(f"MISMATCH: {key}: ours {ours[key]}, official {official.get(key)}", file=sys.stderr)
            return 1
    print(f"{'workload':48} {'ours':>10} {'official':>10} {'ratio':>7} {'target':>7}")
    for key, (label, scale, target) in MEASUREMENTS.items():
        ratio = ours[key] / official[key]
        verdict = "ok" if ratio <= target else "MISSED"
        print(f"{label:48} {ours[key] * scale:10.3f} {official[key] * scale:10.3f} "
              f"{ratio:7.2f} {'<=' + str(target):>7} {verdict}")
    print(f"matched pairs: {ours['matched_pairs']} (same on both sides)")
    for side, numbers in (("ours", ours), ("official", official)):
        if "eventlog_rss_kb_10k" in numbers:
            print(f"event log peak memory growth, {side}: {numbers['eventlog_rss_kb_10k']} KiB reading 10,000 "
                  f"events, {numbers['eventlog_rss_kb_100k']} KiB reading 100,000")
    return 0


if __name__ == "__main__":
    sys.exit(main())
