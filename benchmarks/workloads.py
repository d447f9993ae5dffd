"""The benchmark workloads, run unchanged by our module and by the official one.

``python workloads.py`` imports whichever ``classad`` is on the path (with
``htcondor`` first when it exists, to get HTCondor's semantics), runs each
workload and prints one JSON object of timings in seconds.  The inputs are
generated from a fixed seed and from real ads published by HTCondor
(``data/job_ad.txt``, ``data/slot_ad.txt``), so both sides do the same work.

Workloads (issue 2, section 5):

* ``parse_ads``: ``parseAds`` over 10,000 old-format job ads of ~70 attributes;
* ``expressions``: parse and evaluate 100,000 small distinct expressions
  (time per expression);
* ``match``: ``symmetricMatch`` of 1,000 job ads against 1,000 slot ads
  (time per pair).
"""

from __future__ import annotations

import json
import os
import random
import sys
import time

try:
    import htcondor  # noqa: F401  (switches the official module to HTCondor semantics)
except ImportError:
    pass
import classad

HERE = os.path.dirname(os.path.abspath(__file__))
SCALE = float(os.environ.get("BENCH_SCALE", "1"))


def _read(name: str) -> str:
    with open(os.path.join(HERE, "data", name)) as f:
        return f.read()


def job_ads_text(count: int, rng: random.Random) -> str:
    """*count* old-format job ads derived from a real one, with per-job values varied."""
    template = [line for line in _read("job_ad.txt").splitlines() if line.strip()]
    blocks = []
    for i in range(count):
        cluster, proc = 100 + i // 10, i % 10
        qdate = 1795551316 + i
        lines = []
        for line in template:
            name = line.split(" = ", 1)[0]
            if name == "ClusterId":
                line = f"ClusterId = {cluster}"
            elif name == "ProcId":
                line = f"ProcId = {proc}"
            elif name in ("QDate", "EnteredCurrentStatus"):
                line = f"{name} = {qdate}"
            elif name == "GlobalJobId":
                line = f'GlobalJobId = "vm#{cluster}.{proc}#{qdate}"'
            elif name == "Args":
                line = f'Args = "input_{i}.dat {rng.randint(1, 10**6)}"'
            elif name == "RequestMemory":
                line = f"RequestMemory = {rng.choice([128, 512, 1024, 2048, 4096])}"
            lines.append(line)
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def expressions(count: int, rng: random.Random) -> list[str]:
    """Small expressions of the kinds found in job and slot policies, all distinct."""
    shapes = [
        "{a} + {b} * {c}",
        "({a} - {b}) / {c} > {d}",
        'x == "{s}" && y >= {a}',
        "ifThenElse(x > {a}, {b}, {c})",
        "{a} < {b} || {c} >= {d}",
        'strcat("{s}", "-", {a})',
        "size({{ {a}, {b}, {c} }}) == 3",
        "{r} * 2.5 - {a}",
        "(x ?: {a}) + {b}",
        "!({a} == {b}) && true",
    ]
    out = []
    for i in range(count):
        shape = shapes[i % len(shapes)]
        out.append(shape.format(
            a=rng.randint(0, 10**6), b=rng.randint(1, 10**6), c=rng.randint(1, 1000),
            d=rng.randint(0, 100), r=round(rng.random() * 100, 3), s=f"user{rng.randint(0, 10**6)}"))
    return out


def match_ads(count: int, rng: random.Random):
    """*count* job ads and *count* slot ads built from the real ones, with varied resources."""
    job = classad.parseOne(_read("job_ad.txt"), classad.Parser.Old)
    slot = classad.parseOne(_read("slot_ad.txt"), classad.Parser.Old)
    jobs, slots = [], []
    for _ in range(count):
        j = classad.ClassAd(repr(job))
        j["RequestMemory"] = rng.choice([128, 1024, 4096, 32768])
        j["RequestCpus"] = rng.choice([1, 1, 2, 4])
        j["RequestDisk"] = rng.choice([100, 10_000, 10**9])
        jobs.append(j)
        s = classad.ClassAd(repr(slot))
        s["Memory"] = rng.choice([2048, 8192, 24105])
        s["Cpus"] = rng.choice([1, 2, 4, 8])
        slots.append(s)
    return jobs, slots


def run() -> dict:
    rng = random.Random(2017)
    results = {}

    n_ads = int(10_000 * SCALE)
    text = job_ads_text(n_ads, rng)
    t0 = time.perf_counter()
    ads = list(classad.parseAds(text, classad.Parser.Old))
    results["parse_ads"] = time.perf_counter() - t0
    assert len(ads) == n_ads, len(ads)

    n_expr = int(100_000 * SCALE)
    exprs = expressions(n_expr, rng)
    scope = classad.ClassAd({"x": 5, "y": 7})
    t0 = time.perf_counter()
    for text in exprs:
        classad.ExprTree(text).eval(scope)
    results["expressions"] = (time.perf_counter() - t0) / n_expr

    n_match = int(1_000 * SCALE ** 0.5)
    jobs, slots = match_ads(n_match, rng)
    matched = 0
    t0 = time.perf_counter()
    for j in jobs:
        for s in slots:
            if j.symmetricMatch(s):
                matched += 1
    results["match"] = (time.perf_counter() - t0) / (n_match * n_match)
    results["matched_pairs"] = matched
    return results


if __name__ == "__main__":
    json.dump(run(), sys.stdout)
    print()
