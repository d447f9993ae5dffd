"""Reading the text of one job event: its header line and its body.

An event is a header line (``005 (042.000.000) 2024-03-05 10:11:24 Job terminated.``),
body lines, and a line ``...``.  :func:`parse_header` reads the header;
:func:`parse_body` turns the body into the keys and values the official
reader gives (HTCondor's ``readEvent`` followed by ``toClassAd``), or
returns None when HTCondor would refuse the event.  ``lines[0]`` is always
the text after the date on the header line; the others are the body lines
without their line ends.  A returned dict may hold :class:`Deferred` values,
which need the ClassAd library and are worked out when first read.

>>> parse_body(12, ["Job was held.", "\\tvia condor_hold", "\\tCode 1 Subcode 0"])
({'HoldReason': 'via condor_hold', 'HoldReasonCode': 1, 'HoldReasonSubCode': 0}, None)
"""

from __future__ import annotations

import re

from ._event_body_extra import PARSERS_EXTRA, Deferred, parse_toe_by, submit_notes
from ._event_header import int32, parse_header
from ._event_scan import iso8601_to_tm, scan, strtol, timegm
from ._event_terminated import (
    line_at,
    read_rusage,
    read_terminated,
    read_termination,
    rusage_text,
    termination_keys,
)

__all__ = ["parse_header", "parse_body", "Deferred", "rusage_text"]  # re-exported for the reader and the tests

_C_SPACE = " \t\n\v\f\r"

# -- the bodies --------------------------------------------------------------------------

def _prefix(lines: list, prefix: str) -> bool:
    return bool(lines) and lines[0].startswith(prefix)


def _submit(lines):
    first = lines[0] if lines else None
    if first is None or not first.startswith("Job submitted from host: "):
        return None
    d = {}
    host = first[25:]
    if host.startswith("..."):
        return d, None
    if host:
        d["SubmitHost"] = host
    notes = submit_notes(lines[1:], warnings=True)
    for key in ("LogNotes", "UserNotes", "Warnings"):
        if notes.get(key):
            d[key] = notes[key]
    if notes.get("StructuredNotes") is not None:
        d["StructuredNotes"] = notes["StructuredNotes"]
    return d, None


def _execute(lines):
    if not _prefix(lines, "Job executing on host: "):
        return None
    d = {}
    host = lines[0][23:]
    if host:
        d["ExecuteHost"] = host
    _slot_and_props(lines, 1, d)
    return d, None


def _slot_and_props(lines: list, i: int, d: dict) -> None:
    prop_lines = []
    if i < len(lines):
        if lines[i].startswith("\tSlotName:"):
            slot = lines[i][lines[i].index(":") + 1:].strip(_C_SPACE)
            if len(slot) >= 2:
                slot = slot[1:] if slot[0] == '"' else slot
                slot = slot[:-1] if slot[-1:] == '"' else slot
            if slot:
                d["SlotName"] = slot
        else:
            prop_lines.append(lines[i])
        prop_lines.extend(lines[i + 1:])
    if prop_lines:
        d["ExecuteProps"] = Deferred("props", prop_lines)


def _executable_error(lines):
    if not _prefix(lines, "("):
        return None
    r = strtol(lines[0], 1)
    if r is None or not lines[0].startswith(")", r[1]):
        return None
    err = int32(str(r[0]))
    return ({"ExecuteErrorType": err} if err >= 0 else {}), {"err": err}


def _checkpointed(lines):
    if not _prefix(lines, "Job was checkpointed."):
        return None
    remote, local = read_rusage(line_at(lines, 1)), read_rusage(line_at(lines, 2))
    if remote is None or local is None:
        return None
    sent = 0.0
    if len(lines) > 3:
        v = scan("\t%lf  -  Run Bytes Sent By Job For Checkpoint", lines[3])
        if v is None:
            return None
        sent = v[0]
    return {"RunLocalUsage": local, "RunRemoteUsage": remote, "SentBytes": sent}, None


def _evicted(lines):
    if not _prefix(lines, "Job was evicted."):
        return None
    v = scan("\t(%d) %127[a-zA-z ]", line_at(lines, 1) or "")
    if v is None:
        return None
    requeued = v[1].startswith("Job terminated and was requeued")
    remote, local = read_rusage(line_at(lines, 2)), read_rusage(line_at(lines, 3))
    if remote is None or local is None:
        return None
    d = {"Checkpointed": bool(v[0]), "RunLocalUsage": local, "RunRemoteUsage": remote,
         "SentBytes": 0.0, "ReceivedBytes": 0.0, "TerminatedAndRequeued": requeued, "TerminatedNormally": False}
    sent = scan("\t%lf  -  Run Bytes Sent By Job", line_at(lines, 4) or "")
    if sent is not None:
        d["SentBytes"] = sent[0]
    received = scan("\t%lf  -  Run Bytes Received By Job", line_at(lines, 5) or "") if sent is not None else None
    if received is not None:
        d["ReceivedBytes"] = received[0]
    if received is None or not requeued:
        return d, None
    t: dict = {}
    i = read_termination(lines, 6, t)
    if i is None:
        return None
    d["TerminatedNormally"] = t["_normal"]
    if t.get("_ret", -1) >= 0:
        d["ReturnValue"] = t["_ret"]
    if t.get("_sig", -1) >= 0:
        d["TerminatedBySignal"] = t["_sig"]
    reason = line_at(lines, i)
    if reason is not None and reason.strip(_C_SPACE):
        d["Reason"] = reason.strip(_C_SPACE)
    if t.get("_core"):
        d["CoreFile"] = t["_core"]
    return d, None


def _job_terminated(lines):
    if not _prefix(lines, "Job terminated."):
        return None
    r = read_terminated(lines, 1, "Job")
    if r is None:
        return None
    t, usage = r
    out = dict(usage) if usage else {}
    termination_keys(out, t, False)
    i = t["_next"]
    if i < len(lines):
        line = lines[i]
        if not line:
            if i + 1 < len(lines):
                return None
            return None
        toe = _toe_trailer(line)
        if toe is None:
            return None
        out["ToE"] = toe
    return out, ({"usage": usage} if usage else None)


_ISO_UTC = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)Z")


def _toe_trailer(line: str):
    """The ToE dict of a terminated event's trailer line, or None if the line is not one."""
    if "\tJob terminated of its own accord at " in line:
        rest = line.replace("\tJob terminated of its own accord at ", "")
        m = _ISO_UTC.match(rest)
        tm = [int(m.group(1)) - 1900, int(m.group(2)) - 1] + [int(x) for x in m.groups()[2:]] if m else None
        if tm is None:
            tm = iso8601_to_tm(rest)[0]
        toe = {"Who": "itself", "How": "OF_ITS_OWN_ACCORD", "HowCode": 0, "When": timegm(tm)}
        at = rest.find(" with ")
        if at >= 0:
            v = scan(" with %15s %d", rest[at:])
            if v is not None and v[0] == "signal":
                toe["ExitBySignal"], toe["ExitSignal"] = True, v[1]
            elif v is not None and v[0] == "exit-code":
                toe["ExitBySignal"], toe["ExitCode"] = False, v[1]
        return toe
    if "\tJob terminated by " in line:
        return parse_toe_by(line.replace("\tJob terminated by ", ""))
    return None


_IMAGE_LABELS = {"memoryusage": "MemoryUsage", "residentsetsize": "ResidentSetSize",
                 "proportionalsetsize": "ProportionalSetSize"}
_IMAGE_LINE = re.compile(r"[ \t\n\v\f\r]*([+-]?\d+)[ \t\n\v\f\r]+-[ \t\n\v\f\r]*([^ \t\n\v\f\r]*)")


def _image_size(lines):
    if not _prefix(lines, "Image size of job updated: "):
        return None
    r = strtol(lines[0], 27)
    if r is None:
        return None
    values = {"Size": r[0], "MemoryUsage": -1, "ResidentSetSize": 0, "ProportionalSetSize": -1}
    for line in lines[1:]:
        m = _IMAGE_LINE.match(line)
        if m is None:
            break
        key = _IMAGE_LABELS.get(m.group(2).lower())
        if key is None:
            break
        values[key] = max(min(int(m.group(1)), (1 << 63) - 1), -(1 << 63))
    return {k: v for k, v in values.items() if v >= 0}, None


def _shadow_exception(lines):
    if not _prefix(lines, "Shadow exception!"):
        return None
    d = {"Message": "", "SentBytes": 0.0, "ReceivedBytes": 0.0}
    if len(lines) > 1:
        d["Message"] = lines[1].strip(_C_SPACE)
        sent = scan("\t%lf  -  Run Bytes Sent By Job", line_at(lines, 2) or "")
        if sent is not None:
            d["SentBytes"] = sent[0]
            received = scan("\t%lf  -  Run Bytes Received By Job", line_at(lines, 3) or "")
            if received is not None:
                d["ReceivedBytes"] = received[0]
    return d, None


def _generic(lines):
    if not lines or len(lines[0].encode("utf-8", "surrogateescape")) >= 1024:
        return None
    return ({"Info": lines[0]} if lines[0] else {}), None


def _aborted_like(lines, banner):
    if not _prefix(lines, banner):
        return None
    d = {}
    if len(lines) > 1:
        reason = lines[1].strip(_C_SPACE)
        if reason:
            d["Reason"] = reason
    if len(lines) > 2:
        line = lines[2]
        if not line:
            if len(lines) <= 3:
                return None
            line = lines[3]
        if "\tJob terminated by " not in line:
            return None
        parsed = parse_toe_by(line.replace("\tJob terminated by ", ""), with_when_text=True)
        if parsed is None:
            return None
        d["ToE"] = parsed[0]
        return d, {"toe_when": parsed[1]}
    return d, None


def _suspended(lines):
    if not _prefix(lines, "Job was suspended."):
        return None
    v = scan("\tNumber of processes actually suspended: %d", line_at(lines, 1) or "")
    return ({"NumberOfPIDs": v[0]}, None) if v is not None else None


def _held(lines):
    if not _prefix(lines, "Job was held."):
        return None
    d = {}
    code = subcode = 0
    if len(lines) > 1:
        reason = lines[1].strip(_C_SPACE)
        if reason != "Reason unspecified" and reason:
            d["HoldReason"] = reason
        v = scan("\tCode %d Subcode %d", line_at(lines, 2) or "")
        if v is not None:
            code, subcode = v
    d["HoldReasonCode"], d["HoldReasonSubCode"] = code, subcode
    return d, None


def _released(lines):
    if not _prefix(lines, "Job was released."):
        return None
    reason = lines[1].strip(_C_SPACE) if len(lines) > 1 else ""
    return ({"Reason": reason} if reason else {}), None


def _node_execute(lines):
    if not lines:
        return None
    v = scan("Node %d executing on host: ", lines[0])
    if v is None:
        return None
    d = {}
    host = lines[0][lines[0].index(":") + 1:].strip(_C_SPACE)
    if host:
        d["ExecuteHost"] = host
    d["Node"] = v[0]
    _slot_and_props(lines, 1, d)
    return d, None


def _node_terminated(lines):
    v = scan("Node %d terminated.", lines[0]) if lines else None
    if v is None:
        return None
    r = read_terminated(lines, 1, "Node")
    if r is None:
        return None
    t, usage = r
    out = dict(usage) if usage else {}
    termination_keys(out, t, True)
    if v[0] >= 0:
        out["Node"] = v[0]
    return out, ({"usage": usage, "node": v[0]} if usage else {"node": v[0]})


def _post_script(lines):
    if not _prefix(lines, "POST Script terminated."):
        return None
    v = scan("\t(%d) %127[^\r\n]", line_at(lines, 1) or "")
    if v is None:
        return None
    d = {"TerminatedNormally": v[0] == 1}
    if v[0] == 1:
        r = scan("Normal termination (return value %d)", v[1])
        if r is None:
            return None
        if r[0] >= 0:
            d["ReturnValue"] = r[0]
    else:
        r = scan("Abnormal termination (signal %d)", v[1])
        if r is None:
            return None
        if r[0] >= 0:
            d["TerminatedBySignal"] = r[0]
    note = line_at(lines, 2)
    if note is not None:
        note = note.strip(_C_SPACE)
        if note.startswith("DAG Node: ") and note[10:]:
            d["DAGNodeName"] = note[10:]
    return d, None


PARSERS = {
    0: _submit, 1: _execute, 2: _executable_error, 3: _checkpointed, 4: _evicted, 5: _job_terminated,
    6: _image_size, 7: _shadow_exception, 8: _generic, 9: lambda lines: _aborted_like(lines, "Job was aborted"),
    10: _suspended, 11: lambda lines: ({}, None) if _prefix(lines, "Job was unsuspended.") else None,
    12: _held, 13: _released, 14: _node_execute, 15: _node_terminated, 16: _post_script,
    46: lambda lines: _aborted_like(lines, "Dataflow job was skipped."),
}
PARSERS.update(PARSERS_EXTRA)


def parse_body(etype: int, lines: list):
    """``(keys, extra)`` of an event body, or None when HTCondor would refuse it.

    *keys* maps the event's attribute names (besides the common ones) to
    values; *extra* holds what only the printed form of the event needs.
    """
    parser = PARSERS.get(etype)
    if parser is None:
        return PARSERS_EXTRA["future"](lines)
    return parser(lines)

