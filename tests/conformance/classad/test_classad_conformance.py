"""The classad module against the official one, case by case.

Every case runs through ``runner.py`` twice: in ``.venv-oracle`` with the
official ``htcondor==24.0.24`` wheel, and here with ours.  The recorded
observations (values with their types, printed forms, exceptions) must be
identical.  Sources of cases:

* ``cases/*.txt`` -- curated, one case per line (``<kind> <text>``, see
  ``runner.py`` for the kinds);
* the expressions of ``tests/classad/data/functions.txt`` (every built-in
  function, with wrong types and arities);
* an operator matrix: every binary and unary operator over operands of
  every type;
* seeded random expressions from the grammar, and hypothesis-generated ones
  (derandomized, in batches so each batch is one process on each side).

A deliberate difference is listed in ``known_differences.txt`` with the
section of ``docs/differences.md`` that explains it; a listed case that no
longer differs fails the suite, so the list stays honest.  If the oracle's
virtual environment is missing the suite fails: it never skips.
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
RUNNER = os.path.join(HERE, "runner.py")
ORACLE_PYTHON = os.path.join(ROOT, ".venv-oracle", "bin", "python")
REPORT = os.path.join(os.path.dirname(HERE), "last_report.txt")

# -- case sources ---------------------------------------------------------------

# Results of these functions depend on the clock or on chance: compare types.
_NONDETERMINISTIC = re.compile(r"\b(time|currentTime|random|dayTime|CurrentTime)\b|absTime\(\s*\)", re.I)


def _case(source: str, kind: str, text: str) -> dict:
    if kind == "e" and _NONDETERMINISTIC.search(text):
        kind = "t"
    return {"id": f"{source}", "kind": kind, "text": text}


def curated_cases() -> list[dict]:
    cases = []
    for path in sorted(os.listdir(os.path.join(HERE, "cases"))):
        with open(os.path.join(HERE, "cases", path), encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                line = line.rstrip("\n")
                if not line.strip() or line.startswith("#"):
                    continue
                kind, _, text = line.partition(" ")
                cases.append(_case(f"{path}:{number}", kind, text))
    return cases


def function_cases() -> list[dict]:
    """The expressions of the function-library data file, in its UTC section."""
    path = os.path.join(ROOT, "tests", "classad", "data", "functions.txt")
    cases = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if line.startswith("# TZ=") and "UTC" not in line:
                break
            if " ==> " not in line or line.startswith("#"):
                continue
            expression = line.split(" ==> ", 1)[0]
            cases.append(_case(f"functions.txt:{number}", "e", expression))
    return cases


OPERANDS = ["0", "1", "-7", "2.5", "-0.5", "0.0", "true", "false", '"abc"', '"ABC"', "undefined",
            "error", "{1, 2}", "[a = 1]", 'absTime("2020-01-01T00:00:00Z")', "relTime(60)", "x",
            "9223372036854775807"]
BINARY = ["+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "=?=", "=!=", "is", "isnt",
          "&&", "||", "&", "|", "^", "<<", ">>", ">>>", "?:"]
UNARY = ["-", "+", "!", "~"]


def operator_cases() -> list[dict]:
    cases = []
    for op in BINARY:
        for a in OPERANDS:
            for b in OPERANDS:
                cases.append(_case(f"operators:{op}", "e", f"({a}) {op} ({b})"))
    for op in UNARY:
        for a in OPERANDS:
            cases.append(_case(f"operators:unary{op}", "e", f"{op}({a})"))
    for a in OPERANDS:
        for b in OPERANDS:
            cases.append(_case("operators:?", "e", f"({a}) ? ({b}) : 7"))
            cases.append(_case("operators:[]", "e", f"({a})[{b}]"))
    return cases


ATOMS = ["1", "0", "-3", "2.5", '"abc"', '"ABC"', "true", "false", "undefined", "error", "x", "y",
         "MY.x", "TARGET.x", "{1, 2, x}", "[a = 1; b = x]", 'relTime(60)', "s"]


def random_expression(rng: random.Random, depth: int = 0) -> str:
    if depth > 3 or rng.random() < 0.3:
        return rng.choice(ATOMS)
    kind = rng.random()
    a = random_expression(rng, depth + 1)
    if kind < 0.5:
        return f"({a} {rng.choice(BINARY)} {random_expression(rng, depth + 1)})"
    if kind < 0.6:
        return "(" + rng.choice(UNARY) + a + ")"
    if kind < 0.7:
        return f"({a} ? {random_expression(rng, depth + 1)} : {random_expression(rng, depth + 1)})"
    if kind < 0.8:
        return f"({a})[{rng.randint(0, 2)}]"
    if kind < 0.9:
        fn = rng.choice(["size", "isUndefined", "int", "real", "string", "toUpper", "sum", "member"])
        if fn == "member":
            return f"member({a}, {{1, 2, \"abc\"}})"
        return f"{fn}({a})"
    return f"({a}).a"


def random_cases(count: int = 1500) -> list[dict]:
    rng = random.Random(2017)
    cases = []
    for i in range(count):
        text = random_expression(rng)
        if i % 3 == 0:
            cases.append(_case(f"random:{i}", "a", f"[x = 7; y = x * 2; s = \"Abc\"; r = {text}]"))
        else:
            cases.append(_case(f"random:{i}", "e", text))
    return cases


MUTATION_SEEDS = [
    '[a = 1; b = "x\\"y"; c = {1, 2.5e3, [d = a]}; e = a ? b : c]',
    'TARGET.Memory >= MY.RequestMemory && (Arch == "X86_64" || OpSys =?= undefined)',
    'strcat("a", 1, 2.0) == "a12.0" ? relTime("1+01:00:00") : absTime("2020-01-01T00:00:00Z")',
    "x[1] ?: y.z << 3 >>> 2 | ~5 ^ !false",
    "-017 + 0x1F - .5e-3 * 1. / 08 % 'q r'",
]
_MUTATION_ALPHABET = 'abcxyzABC_019 .,;:?!~^&|<>=+-*/%()[]{}"\'\\\n\t#'


def mutation_cases(count: int = 1500) -> list[dict]:
    """Small random edits of valid inputs: which does each side refuse, and how does it print?"""
    rng = random.Random(99)
    cases = []
    for i in range(count):
        chars = list(rng.choice(MUTATION_SEEDS))
        for _ in range(rng.randint(1, 3)):
            pos = rng.randrange(len(chars) + 1)
            roll = rng.random()
            if roll < 0.4:
                chars.insert(pos, rng.choice(_MUTATION_ALPHABET))
            elif chars:
                pos = min(pos, len(chars) - 1)
                if roll < 0.7:
                    del chars[pos]
                else:
                    chars[pos] = rng.choice(_MUTATION_ALPHABET)
        text = "".join(chars).replace("\n", " ")
        kind = "a" if text.lstrip().startswith("[") and i % 2 else "e"
        cases.append(_case(f"mutation:{i}", kind, text))
    for i in range(count // 3):
        chars = list(rng.choice(OLD_SEEDS))
        for _ in range(rng.randint(1, 3)):
            pos = rng.randrange(len(chars) + 1)
            if rng.random() < 0.5:
                chars.insert(pos, rng.choice(_MUTATION_ALPHABET))
            elif chars:
                del chars[min(pos, len(chars) - 1)]
        text = "".join(chars).replace("\n", "\\n").replace("\t", " ")
        cases.append(_case(f"mutation-old:{i}", "o", text))
    return cases


OLD_SEEDS = [
    'MyType = "Job"\\nClusterId = 12\\nCmd = "/bin/echo"\\nArgs = "say \\"hi\\""\\nRank = 0.0',
    "a = 1\\nb = a + 1\\n\\n# comment\\nc = {1, 2}\\nd = [x = 1; y = \"z\"]",
    "Requirements = (TARGET.Arch == \"X86_64\") && (TARGET.Memory >= RequestMemory)\\nRequestMemory = 2048",
]


# -- running both sides -----------------------------------------------------------

def run_side(python: str, cases: list[dict], env: dict) -> dict:
    """Run *cases* through runner.py with *python*; a crash costs only the case it hit."""
    results: dict = {}
    pending = list(cases)
    full_env = dict(os.environ, **env)
    while pending:
        payload = "".join(json.dumps(c) + "\n" for c in pending)
        proc = subprocess.run([python, RUNNER], input=payload, capture_output=True, text=True,
                              env=full_env, timeout=600)
        done = 0
        for line in proc.stdout.splitlines():
            if line.startswith("["):
                case_id, result = json.loads(line)
                results[_key(pending[done])] = result
                done += 1
        if done < len(pending):
            if proc.returncode == 0:
                raise RuntimeError(f"runner stopped early: {proc.stderr[-2000:]}")
            results[_key(pending[done])] = {"crashed": proc.returncode}
            done += 1
        pending = pending[done:]
    return results


def _key(case: dict) -> str:
    return case["kind"] + " " + case["text"]


def compare(cases: list[dict]) -> tuple[dict, dict]:
    if not os.path.exists(ORACLE_PYTHON):
        pytest.fail(f"the oracle is missing: {ORACLE_PYTHON} (run `make test`, which creates .venv-oracle)")
    env_common = {"TZ": "UTC", "PYTHONHASHSEED": "0"}
    oracle: dict = {}
    ours: dict = {}

    def run_oracle():
        oracle.update(run_side(ORACLE_PYTHON, cases, dict(env_common, CONDOR_CONFIG="/dev/null",
                                                          PYTHONPATH="")))

    thread = threading.Thread(target=run_oracle)
    thread.start()
    ours.update(run_side(sys.executable, cases, dict(env_common, PYTHONPATH=os.path.join(ROOT, "src"))))
    thread.join()
    return oracle, ours


def known_differences() -> dict:
    known = {}
    with open(os.path.join(HERE, "known_differences.txt"), encoding="utf-8") as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                case, reason, section = (part.strip() for part in line.rstrip("\n").split(" | "))
                known[case] = (reason, section)
    return known


# -- the tests ----------------------------------------------------------------------

SOURCES = {
    "curated": curated_cases,
    "functions": function_cases,
    "operators": operator_cases,
    "random": random_cases,
    "mutations": mutation_cases,
}
_TALLY: dict = {}


@pytest.fixture(scope="module")
def all_results():
    cases = {name: make() for name, make in SOURCES.items()}
    flat = [c for group in cases.values() for c in group]
    oracle, ours = compare(flat)
    return cases, oracle, ours


def _check(cases, oracle, ours, label):
    known = known_differences()
    unexpected, agreed, deliberate = [], 0, 0
    for case in cases:
        key = _key(case)
        if oracle[key] == ours[key]:
            agreed += 1
            continue
        if key in known:
            deliberate += 1
            continue
        unexpected.append(f"{case['id']}: {key}\n   official: {json.dumps(oracle[key])[:400]}"
                          f"\n   ours:     {json.dumps(ours[key])[:400]}")
    _TALLY[label] = (len(cases), agreed, deliberate, len(unexpected))
    _write_report()
    assert not unexpected, f"{len(unexpected)} disagreements:\n" + "\n".join(unexpected[:40])


def _write_report():
    total = sum(t[0] for t in _TALLY.values())
    agreed = sum(t[1] for t in _TALLY.values())
    known = sum(t[2] for t in _TALLY.values())
    differ = sum(t[3] for t in _TALLY.values())
    lines = [f"classad conformance: {total} cases, {agreed} agree, {differ + known} differ ({known} known)"]
    lines += [f"  {name}: {n} cases, {a} agree, {k} known, {d} unexpected"
              for name, (n, a, k, d) in sorted(_TALLY.items())]
    with open(REPORT, "w") as f:
        f.write("\n".join(lines) + "\n")


@pytest.mark.parametrize("source", list(SOURCES))
def test_source_agrees_with_the_official_module(all_results, source):
    cases, oracle, ours = all_results
    _check(cases[source], oracle, ours, source)


def test_known_differences_still_differ(all_results):
    cases, oracle, ours = all_results
    flat = {_key(c) for group in cases.values() for c in group}
    docs = open(os.path.join(ROOT, "docs", "differences.md"), encoding="utf-8").read()
    for key, (reason, section) in known_differences().items():
        assert key in flat, f"known difference {key!r} is not a case any more"
        assert oracle[key] != ours[key], f"{key!r} agrees now; remove it from known_differences.txt"
        assert f"### {section}" in docs, f"docs/differences.md has no section {section!r} ({reason})"


def test_enough_cases(all_results):
    cases, _, _ = all_results
    assert sum(len(group) for group in cases.values()) >= 3000


_hyp_atoms = st.sampled_from(ATOMS)
_hyp_ops = st.sampled_from(BINARY)


@st.composite
def _hyp_expression(draw, depth=0):
    if depth > 3 or draw(st.integers(0, 9)) < 3:
        return draw(_hyp_atoms)
    choice = draw(st.integers(0, 4))
    a = draw(_hyp_expression(depth + 1))
    if choice <= 1:
        return f"({a} {draw(_hyp_ops)} {draw(_hyp_expression(depth + 1))})"
    if choice == 2:
        return "(" + draw(st.sampled_from(UNARY)) + a + ")"
    if choice == 3:
        return f"({a} ? {draw(_hyp_expression(depth + 1))} : {draw(_hyp_expression(depth + 1))})"
    return f"[q = {a}; r = q]"


_hyp_names = st.sampled_from(["a", "B", "x", "Memory", "Requirements", "TARGET_x", "z9", "'q r'"])


@st.composite
def _hyp_ad(draw):
    names = draw(st.lists(_hyp_names, min_size=1, max_size=5))
    return "[" + "; ".join(f"{n} = {draw(_hyp_expression())}" for n in names) + "]"


@settings(max_examples=4, deadline=None, derandomize=True, database=None)
@given(st.lists(_hyp_expression(), min_size=120, max_size=120), st.lists(_hyp_ad(), min_size=40, max_size=40))
def test_hypothesis_expressions_and_ads_agree(batch, ads):
    cases = [_case(f"hypothesis:{i}", "e", text) for i, text in enumerate(batch)]
    cases += [_case(f"hypothesis-ad:{i}", "a", text) for i, text in enumerate(ads)]
    cases += [_case(f"hypothesis-match:{i}", "m", f"{ads[i]} ||| {ads[-1 - i]}") for i in range(len(ads) // 2)]
    oracle, ours = compare(cases)
    known = known_differences()
    bad = [_key(c) for c in cases if oracle[_key(c)] != ours[_key(c)] and _key(c) not in known]
    prev = _TALLY.get("hypothesis", (0, 0, 0, 0))
    _TALLY["hypothesis"] = (prev[0] + len(cases), prev[1] + len(cases) - len(bad), prev[2], prev[3] + len(bad))
    _write_report()
    assert not bad, "\n".join(f"{k}\n   official: {oracle[k]}\n   ours:     {ours[k]}" for k in bad[:20])
