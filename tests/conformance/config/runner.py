"""Print ``htcondor.param`` as seen by whichever ``htcondor`` module is importable.

Runs unchanged under the official bindings (the oracle, in ``.venv-oracle``)
and under ours; ``CONDOR_CONFIG`` and the working directory are set by the
caller.  The request is one JSON argument::

    {"keys": [...] or null, "start": 0, "subsystem": "SCHEDD" or null}

With ``keys`` null the runner first prints ``{"keys": [...]}``, every name
``param.keys()`` lists, and then probes each of them.  Each probe prints one
flushed JSON line ``{"i": index, "value": [type name, value] | ["KeyError"] |
["error", message], "in": key in param}``, so that when the official module
aborts the process on a bad value (it does, for a knob that is not a valid
integer or boolean) the caller knows which key did it and resumes after it.
An import that fails prints ``{"import_error": message}``.
"""

from __future__ import annotations

import json
import sys


def main() -> None:
    request = json.loads(sys.argv[1])
    try:
        import htcondor
    except Exception as e:  # ours raises; the official module prints and exits instead
        print(json.dumps({"import_error": str(e)}), flush=True)
        return
    if request.get("subsystem"):
        htcondor.set_subsystem(request["subsystem"])
    param = htcondor.param
    keys = request.get("keys")
    if keys is None:
        keys = list(param.keys())
        print(json.dumps({"keys": keys}), flush=True)
    for i in range(request.get("start", 0), len(keys)):
        key = keys[i]
        try:
            value = param[key]
            result = [type(value).__name__, value]
        except KeyError:
            result = ["KeyError"]
        except Exception as e:
            result = ["error", str(e)]
        # After an error the official module would have ended the process: no "in".
        contained = None if result[0] == "error" else key in param
        print(json.dumps({"i": i, "value": result, "in": contained}), flush=True)


if __name__ == "__main__":
    main()
