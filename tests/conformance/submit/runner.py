"""Run submit-description conformance cases with whichever ``htcondor`` module is importable.

This script runs unchanged under the official bindings (in ``.venv-oracle``)
and under ours.  It reads JSON lines ``{"id": ..., "text": ..., "ops": [...]}``
from stdin and prints one JSON line ``[id, result]`` per case, flushed as it
goes.  Every case goes through the same battery:

* ``Submit(text)``: the exception type, or ``str()``, ``keys()``,
  ``items()`` and ``getQArgs()``;
* ``expand(key)`` for every key;
* ``list(itemdata())``;
* ``jobs(clusterid=1000, qdate=1700000000, owner="alice")``: every attribute
  of every ad, as the ``repr`` of its expression;
* ``procs(...)``: the attribute names of every ad;
* the extra operations listed in the case's ``ops`` (``jobs`` with other
  arguments, ``itemdata(qargs)``, dict operations ...).

Values are type-tagged (``s:`` str, ``E:`` expression, ``X:`` exception
type) so that equal-looking values of different types stay different.
"""

from __future__ import annotations

import json
import sys

import htcondor

QDATE = 1700000000
# Attributes that name the build of HTCondor, not the job: never compared.
EXCLUDED = {"condorversion", "condorplatform"}


def exc(e: BaseException) -> str:
    """The exception's type: the nearest class of the public API (HTCondor's own or a builtin)."""
    for cls in type(e).__mro__:
        if cls.__name__.startswith("HTCondor") or cls.__module__ == "builtins":
            return "X:" + cls.__name__
    return "X:" + type(e).__name__


def ad_dict(ad) -> dict:
    return {k: "E:" + repr(ad.lookup(k)) for k in ad.keys() if k.lower() not in EXCLUDED}


def run_jobs(sub, method: str, limit: int = 200, **kwargs):
    out = []
    try:
        for i, ad in enumerate(getattr(sub, method)(**kwargs)):
            if i >= limit:
                break
            out.append(ad_dict(ad) if method == "jobs" else sorted(k.lower() for k in ad.keys()))
    except Exception as e:
        out.append(exc(e))
    return out


def itemdata(sub, *args):
    try:
        return [it if isinstance(it, str) else {"d": sorted(it.items())} for it in sub.itemdata(*args)]
    except Exception as e:
        return exc(e)


def extra(sub, op: dict):
    kind = op["op"]
    if kind == "jobs":
        kwargs = dict(op.get("args", {}))
        kwargs.setdefault("qdate", QDATE)
        kwargs.setdefault("owner", "alice")
        if "itemdata" in kwargs:
            kwargs["itemdata"] = iter(kwargs["itemdata"])
        return run_jobs(sub, op.get("method", "jobs"), **kwargs)
    if kind == "itemdata":
        return itemdata(sub, op["qargs"])
    if kind == "setqargs":
        try:
            sub.setQArgs(op["qargs"])
            return [str(sub), sub.getQArgs(), itemdata(sub)]
        except Exception as e:
            return exc(e)
    if kind == "set":
        try:
            sub[op["key"]] = op["value"]
            return [str(sub), sub.keys()]
        except Exception as e:
            return exc(e)
    if kind == "expand":
        try:
            return "s:" + sub.expand(op["key"])
        except Exception as e:
            return exc(e)
    raise ValueError(kind)


def run_case(case: dict) -> dict:
    result: dict = {}
    try:
        sub = htcondor.Submit(case["text"])
    except Exception as e:
        result["ctor"] = exc(e)
        return result
    result["str"] = str(sub)
    result["items"] = [list(kv) for kv in sub.items()]
    result["qargs"] = sub.getQArgs()
    expanded = {}
    for key in sub.keys():
        try:
            expanded[key] = "s:" + sub.expand(key)
        except Exception as e:
            expanded[key] = exc(e)
    result["expand"] = expanded
    result["itemdata"] = itemdata(sub)
    result["jobs"] = run_jobs(sub, "jobs", clusterid=1000, qdate=QDATE, owner="alice")
    result["procs"] = run_jobs(sub, "procs", clusterid=1000, qdate=QDATE, owner="alice")
    result["ops"] = [extra(sub, op) for op in case.get("ops", [])]
    return result


def main() -> None:
    for line in sys.stdin:
        if not line.strip():
            continue
        case = json.loads(line)
        try:
            result = run_case(case)
        except BaseException as e:  # a crash of the module itself
            result = {"crash": exc(e)}
        print(json.dumps([case["id"], result], sort_keys=True), flush=True)


if __name__ == "__main__":
    main()
