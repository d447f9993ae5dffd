"""``make bench``: run the workloads with our module and the official one, print ratios.

Both sides run :mod:`workloads` in their own interpreter (ours from
``.venv``, the official wheel from ``.venv-oracle``), alternately and
``BENCH_ROUNDS`` times (default 2) on the same machine; each side's best
time per workload counts, which keeps a burst of load on a shared machine
from deciding the ratio.  The ratio is ours divided by official: below 1
means we are faster.  ``BENCH_SCALE=0.1`` runs a tenth of the work for a
quick look.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

TARGETS = {"parse_ads": 2.0, "expressions": 3.0, "match": 1.0}
LABELS = {
    "parse_ads": "(a) parseAds, 10,000 old-format job ads   [s]",
    "expressions": "(b) parse + eval one small expression   [us]",
    "match": "(c) symmetricMatch, one job/slot pair   [us]",
}


def _run(python: str, extra_env: dict) -> dict:
    env = dict(os.environ, **extra_env)
    out = subprocess.run([python, os.path.join(HERE, "workloads.py")], env=env, check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    ours_py = os.path.join(ROOT, ".venv", "bin", "python")
    oracle_py = os.path.join(ROOT, ".venv-oracle", "bin", "python")
    rounds = int(os.environ.get("BENCH_ROUNDS", "2"))
    ours_runs, official_runs = [], []
    for _ in range(rounds):
        ours_runs.append(_run(ours_py, {"PYTHONPATH": os.path.join(ROOT, "src")}))
        official_runs.append(_run(oracle_py, {"CONDOR_CONFIG": "/dev/null", "PYTHONPATH": ""}))
    ours = {k: min(r[k] for r in ours_runs) for k in ours_runs[0]}
    official = {k: min(r[k] for r in official_runs) for k in official_runs[0]}
    if ours["matched_pairs"] != official["matched_pairs"]:
        print(f"MISMATCH: ours matched {ours['matched_pairs']} pairs, "
              f"official {official['matched_pairs']}", file=sys.stderr)
        return 1
    print(f"{'workload':48} {'ours':>10} {'official':>10} {'ratio':>7} {'target':>7}")
    worst = True
    for key, label in LABELS.items():
        scale = 1 if key == "parse_ads" else 1e6
        ratio = ours[key] / official[key]
        ok = ratio <= TARGETS[key]
        worst = worst and ok
        print(f"{label:48} {ours[key] * scale:10.3f} {official[key] * scale:10.3f} "
              f"{ratio:7.2f} {'<=' + str(TARGETS[key]):>7} {'ok' if ok else 'MISSED'}")
    print(f"matched pairs: {ours['matched_pairs']} (same on both sides)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
