"""Run ClassAd conformance cases with whichever ``classad`` module is importable.

This script runs unchanged under the official bindings (the oracle, in
``.venv-oracle``) and under ours, and prints one JSON line per case, flushed
as it goes, so that a crash of the official module loses one case only.
It imports ``htcondor`` first when it can: that switches the official
``classad`` module to HTCondor's semantics, which ours always has.

Input: JSON lines ``{"id": ..., "kind": ..., "text": ...}``.  Kinds:

``e``  an expression: ``repr``, ``str``, and three evaluations (the first
       evaluation and later ones take different paths in our evaluator);
``t``  like ``e`` but the value depends on the clock or on chance, so only
       its type is compared;
``a``  a new-syntax ad: keys, ``repr``, ``str``, ``printOld``, ``printJson``,
       ``eval``/``lookup`` of every attribute, twice;
``o``  old-syntax text (``\\n`` for newlines) read with ``parseAds``;
``m``  two ads separated by ``|||``: ``matches`` both ways and
       ``symmetricMatch``;
``c``  Python code using the public API; the value of ``result`` is compared.

Output: JSON lines ``[id, result]``, where ``result`` is the case's
observations encoded with :func:`encode` (type-tagged, so ``1``, ``1.0``
and ``true`` stay different).
"""

from __future__ import annotations

import datetime
import json
import sys

try:
    import htcondor  # noqa: F401
except ImportError:
    pass
import classad


def encode(v):
    """A JSON-friendly, type-tagged rendering of a Python value from the API."""
    if isinstance(v, classad.ExprTree):
        return "E:" + repr(v)
    if isinstance(v, classad.ClassAd):
        return "A:" + repr(v)
    if isinstance(v, classad.Value):
        # str(), not int(): the official enum refuses int() conversion
        return "V:" + str(v).rsplit(".", 1)[-1]
    if isinstance(v, bool):
        return "b:" + repr(v)
    if isinstance(v, int):
        return "i:" + repr(v)
    if isinstance(v, float):
        return "f:" + repr(v)
    if isinstance(v, str):
        return "s:" + v
    if isinstance(v, datetime.datetime):
        return "d:" + v.isoformat()
    if isinstance(v, list):
        return [encode(x) for x in v]
    if isinstance(v, tuple):
        return ["tuple"] + [encode(x) for x in v]
    if isinstance(v, dict):
        return {str(k): encode(x) for k, x in v.items()}
    if v is None:
        return None
    return "?:" + type(v).__name__


def failure(e: BaseException):
    bases = [b.__name__ for b in (ValueError, TypeError, SyntaxError, RuntimeError, KeyError, OSError)
             if isinstance(e, b)]
    return {"raised": type(e).__name__, "bases": bases}


def attempt(fn):
    try:
        return encode(fn())
    except Exception as e:  # noqa: BLE001 - every failure is an observation
        return failure(e)


def type_only(encoded):
    if isinstance(encoded, str):
        return encoded.split(":", 1)[0]
    return encoded if isinstance(encoded, dict) else type(encoded).__name__


def run_case(kind: str, text: str):
    if kind in ("e", "t"):
        try:
            tree = classad.ExprTree(text)
        except Exception as e:  # noqa: BLE001
            return failure(e)
        evals = [attempt(tree.eval) for _ in range(3)]
        if kind == "t":
            evals = [type_only(v) for v in evals]
        return {"repr": attempt(lambda: repr(tree)), "str": attempt(lambda: str(tree)), "eval": evals}
    if kind == "a":
        try:
            ad = classad.ClassAd(text)
        except Exception as e:  # noqa: BLE001
            return failure(e)
        out = {"keys": list(ad.keys()), "repr": repr(ad), "str": str(ad),
               "old": attempt(ad.printOld), "json": attempt(ad.printJson)}
        for key in list(ad.keys()):
            out["eval " + key] = [attempt(lambda k=key: ad.eval(k)) for _ in range(2)]
            out["lookup " + key] = attempt(lambda k=key: str(ad.lookup(k)))
            out["item " + key] = attempt(lambda k=key: ad[k])
        return out
    if kind == "o":
        source = text.replace("\\n", "\n")
        try:
            ads = list(classad.parseAds(source, classad.Parser.Old))
        except Exception as e:  # noqa: BLE001
            return failure(e)
        return [{"repr": repr(ad), "old": ad.printOld()} for ad in ads]
    if kind == "m":
        left_text, right_text = text.split("|||")
        try:
            left, right = classad.ClassAd(left_text), classad.ClassAd(right_text)
        except Exception as e:  # noqa: BLE001
            return failure(e)
        return [attempt(lambda: left.matches(right)), attempt(lambda: right.matches(left)),
                attempt(lambda: left.symmetricMatch(right)), attempt(lambda: right.symmetricMatch(left))]
    if kind == "c":
        namespace = {"classad": classad}
        try:
            exec(text.replace("\\n", "\n"), namespace)  # noqa: S102
        except Exception as e:  # noqa: BLE001
            return failure(e)
        return encode(namespace.get("result"))
    return {"raised": "unknown case kind " + kind}


def main() -> None:
    for line in sys.stdin:
        if not line.strip():
            continue
        case = json.loads(line)
        try:
            result = run_case(case["kind"], case["text"])
        except Exception as e:  # noqa: BLE001 - an observation like any other
            result = failure(e)
        sys.stdout.write(json.dumps([case["id"], result]) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
