"""The built-in ClassAd functions against results recorded from HTCondor's own bindings.

``data/functions.txt`` holds one case per line, ``expression ==> expected``
(its header describes the notation).  Each expression is evaluated as the
value of an attribute of an otherwise empty ad, and its value written in
a canonical form that both implementations can produce.

To record the expected values again, run this file with the reference
bindings (never in the same process as this package)::

    CONDOR_CONFIG=/dev/null .venv-oracle/bin/python tests/classad/test_functions.py --regenerate

That reads the expressions from the data file and rewrites their results.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

DATA = Path(__file__).parent / "data" / "functions.txt"
ARROW = " ==> "
TZ_DIRECTIVE = "# TZ="


def read_cases(path: Path = DATA):
    """(line number, time zone, expression, expected) for every case in *path*."""
    tz = "UTC"
    cases = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if raw.startswith(TZ_DIRECTIVE):
            tz = raw[len(TZ_DIRECTIVE):].strip()
            continue
        if not raw.strip() or raw.startswith("#"):
            continue
        expr, expected = raw.rsplit(ARROW, 1)
        cases.append((number, tz, expr, expected))
    return cases


def set_tz(zone: str) -> None:
    os.environ["TZ"] = zone
    time.tzset()


# -- the reference side ------------------------------------------------------------------

def regenerate(path: Path = DATA) -> None:  # pragma: no cover - runs under the reference bindings
    import datetime

    import classad
    import htcondor  # noqa: F401  (switches on HTCondor's ClassAd functions and semantics)

    def value(text):
        # inside an ad: a value built by a function (splitTime) comes out
        # empty when an expression is evaluated on its own
        ad = classad.ClassAd()
        ad["zzresult"] = classad.ExprTree(text)
        return ad.eval("zzresult")

    def canon(e):
        v = value(e)
        if isinstance(v, classad.Value):
            return "error" if repr(v).endswith("Error") else "undefined"
        if type(v) is bool:
            return "true" if v else "false"
        if type(v) is int:
            return str(v)
        if type(v) is float:
            return f"relTime({v!r})" if value(f"isRelTime({e})") is True else repr(v)
        if type(v) is str:
            return json.dumps(v)
        if isinstance(v, datetime.datetime):
            return f"absTime({json.dumps(value(f'string({e})'))})"
        if isinstance(v, list):
            return "[" + ", ".join(canon(f"({e})[{i}]") for i in range(len(v))) + "]"
        if isinstance(v, dict):
            names = sorted(v, key=str.lower)
            return "{" + ", ".join(f"{k}: {canon(f'({e})[{json.dumps(k)}]')}" for k in names) + "}"
        raise TypeError(type(v))

    def result(e):
        try:
            classad.ExprTree(e)
        except classad.ClassAdParseError:
            return "PARSEERROR"
        try:
            return canon(e)
        except classad.ClassAdException:
            return "EXCEPTION"

    out = []
    set_tz("UTC")
    for raw in path.read_text(encoding="utf-8").splitlines():
        if raw.startswith(TZ_DIRECTIVE):
            set_tz(raw[len(TZ_DIRECTIVE):].strip())
        if not raw.strip() or raw.startswith("#"):
            out.append(raw)
            continue
        expr = raw.rsplit(ARROW, 1)[0]
        out.append(expr + ARROW + result(expr))
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


# -- this package ------------------------------------------------------------------------

def ours(expr: str) -> str:
    """The canonical result of *expr* evaluated by this package."""
    import classad
    from classad._evaluate import EvalFailure, EvalState, evaluate
    from classad._timefmt import abstime_to_string
    from classad._values import ERROR, UNDEFINED, AbsTime, ListValue, RelTime

    def canon(v, state):
        if v is UNDEFINED:
            return "undefined"
        if v is ERROR:
            return "error"
        t = type(v)
        if t is bool:
            return "true" if v else "false"
        if t is int:
            return str(v)
        if t is float:
            return repr(v)
        if t is str:
            return json.dumps(v)
        if t is AbsTime:
            return f"absTime({json.dumps(abstime_to_string(v))})"
        if t is RelTime:
            return f"relTime({float(v.secs)!r})"
        if t is ListValue:
            return "[" + ", ".join(canon(x, state) for x in state.list_items(v)) + "]"
        attrs = v._attrs
        entries = sorted(attrs.values(), key=lambda entry: entry[0].lower())
        return "{" + ", ".join(f"{name}: {canon(evaluate(node, v), state)}" for name, node in entries) + "}"

    try:
        ad = classad.ClassAd()
        ad["zzresult"] = classad.ExprTree(expr)
    except classad.ClassAdParseError:
        return "PARSEERROR"
    node = ad._attrs["zzresult"][1]
    try:
        return canon(evaluate(node, ad), EvalState(ad))
    except EvalFailure:
        return "EXCEPTION"


# Cases this package does not reproduce, with the reason.
_PCRE_ONLY = "PCRE2 feature with no Python re equivalent"
KNOWN = {
    # Documented in docs/differences.md ("Regular expressions"): PCRE2 features
    # that Python's re module cannot express; such patterns count as invalid.
    'regexp("(?|(a)|(b))\\\\1", "bb")': _PCRE_ONLY + " (branch reset)",
    'regexp("a\\\\Kb", "ab")': _PCRE_ONLY + " (\\K)",
    'regexps("a\\\\Kb", "ab", "X")': _PCRE_ONLY + " (\\K)",
    'regexp("\\\\G", "a")': _PCRE_ONLY + " (\\G)",
    'regexp("(*UTF)a", "a")': _PCRE_ONLY + " (verbs)",
    'regexp("(?J)(?<n>a)|(?<n>b)", "b")': _PCRE_ONLY + " (duplicate group names)",
}


if __name__ == "__main__":  # pragma: no cover
    if sys.argv[1:] != ["--regenerate"]:
        sys.exit(__doc__)
    regenerate()
else:
    import pytest

    CASES = read_cases()

    @pytest.fixture(scope="module", autouse=True)
    def _restore_tz():
        saved = os.environ.get("TZ")
        yield
        if saved is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = saved
        time.tzset()

    def _params():
        for number, tz, expr, expected in CASES:
            marks = [pytest.mark.xfail(reason=KNOWN[expr], strict=True)] if expr in KNOWN else []
            yield pytest.param(tz, expr, expected, id=f"L{number}", marks=marks)

    @pytest.mark.parametrize("tz, expr, expected", list(_params()))
    def test_function_case(tz, expr, expected):
        set_tz(tz)
        assert ours(expr) == expected, expr

    def test_data_file_covers_every_function():
        """Each function of the value-level families appears in some case."""
        from classad._functions import BUILTINS

        text = " ".join(expr.lower() for _, _, expr, _ in CASES)
        ours = [name for name, fn in BUILTINS.items()
                if fn.impl.__module__.startswith("classad._functions.")
                and fn.impl.__module__ != "classad._functions.meta"]
        assert len(ours) == 87
        missing = [name for name in ours if name + "(" not in text]
        assert not missing
        assert len(CASES) >= 600
