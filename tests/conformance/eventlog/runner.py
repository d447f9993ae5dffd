"""Read job event logs with whichever ``htcondor`` module is importable; print what was seen.

This script runs unchanged under the official bindings (the oracle, in
``.venv-oracle``) and under ours.  Input: JSON lines, one case each:

``{"id": ..., "kind": "log", "path": ..., "rounds": N}``
    read the log with ``events(stop_after=0)`` again and again (a round
    ends at StopIteration or an exception), at most N times or until three
    rounds in a row find nothing, and record every event: its
    attributes, ``repr``, ``str``, ``len``, ``keys()`` and every value with
    its type, looked up by ``[]``, ``get`` and ``items()``.
``{"id": ..., "kind": "code", "text": ...}``
    run Python code using the public API; the value of ``result`` is
    recorded.

Output: JSON lines ``[id, observations]``, values type-tagged (so ``1``,
``1.0`` and ``True`` stay different).  The caller sets ``TZ`` so that times
compare.
"""

from __future__ import annotations

import json
import sys

import classad
import htcondor


def encode(v):
    """A JSON-friendly, type-tagged rendering of a value from the API."""
    if isinstance(v, classad.ExprTree):
        return "E:" + repr(v)
    if isinstance(v, classad.Value):
        return "V:" + str(v).rsplit(".", 1)[-1]
    if isinstance(v, (htcondor.JobEventType, htcondor.FileTransferEventType)):
        return "T:" + type(v).__name__ + ":" + str(int(v)) + ":" + str(v).rsplit(".", 1)[-1]
    if isinstance(v, bool):
        return "b:" + repr(v)
    if isinstance(v, int):
        return "i:" + repr(v)
    if isinstance(v, float):
        return "f:" + repr(v)
    if isinstance(v, str):
        return "s:" + v
    if isinstance(v, list):
        return [encode(x) for x in v]
    if isinstance(v, tuple):
        return ["tuple"] + [encode(x) for x in v]
    if isinstance(v, dict):
        return {"dict": [[str(k), encode(x)] for k, x in v.items()]}
    if v is None:
        return None
    return "?:" + type(v).__name__


def failure(e: BaseException):
    names = [b.__name__ for b in type(e).__mro__ if b.__module__ == "builtins" and b is not object]
    out = {"raised": type(e).__name__, "bases": names}
    if type(e).__name__.startswith("HTCondor") or isinstance(e, (KeyError, StopIteration)):
        out["message"] = str(e)  # the messages of HTCondor's own errors are part of the API
    return out


def attempt(fn):
    try:
        return encode(fn())
    except Exception as e:  # noqa: BLE001 - every failure is an observation
        return failure(e)


def describe(event) -> dict:
    out = {
        "repr": repr(event),
        "type": encode(event.type),
        "cluster": encode(event.cluster),
        "proc": encode(event.proc),
        "timestamp": encode(event.timestamp),
        "str": attempt(lambda: str(event)),
        "len": attempt(lambda: len(event)),
        "keys": attempt(lambda: list(event.keys())),
        "items": attempt(lambda: list(event.items())),
    }
    try:
        keys = list(event.keys())
    except Exception:  # noqa: BLE001
        keys = []
    for key in keys:
        out["[" + key + "]"] = attempt(lambda k=key: event[k])
        out["get " + key.lower()] = attempt(lambda k=key: event.get(k.lower()))
        out["in " + key.upper()] = attempt(lambda k=key: k.upper() in event)
    out["missing"] = attempt(lambda: event.get("NoSuchKey", "dflt"))
    return out


def read_log(path: str, rounds: int) -> list:
    seen = []
    try:
        jel = htcondor.JobEventLog(path)
    except Exception as e:  # noqa: BLE001
        return [failure(e)]
    idle = 0
    for _ in range(rounds):
        events = []
        try:
            for event in jel.events(stop_after=0):
                events.append(describe(event))
            events.append("stop")
        except Exception as e:  # noqa: BLE001
            events.append(failure(e))
        seen.append(events)
        idle = idle + 1 if events == ["stop"] else 0
        if idle == 3:  # three empty rounds in a row: the end of the log
            break
    jel.close()
    return seen


def run_case(case: dict):
    if case["kind"] == "log":
        return read_log(case["path"], case.get("rounds", 100))
    if case["kind"] == "code":
        namespace = {"htcondor": htcondor, "classad": classad}
        try:
            exec(case["text"], namespace)  # noqa: S102
        except Exception as e:  # noqa: BLE001
            return failure(e)
        return encode(namespace.get("result"))
    return {"raised": "unknown case kind " + case["kind"]}


def main() -> None:
    for line in sys.stdin:
        if not line.strip():
            continue
        case = json.loads(line)
        try:
            result = run_case(case)
        except Exception as e:  # noqa: BLE001 - an observation like any other
            result = failure(e)
        sys.stdout.write(json.dumps([case["id"], result]) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
