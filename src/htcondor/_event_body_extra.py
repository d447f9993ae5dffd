"""Bodies of the less common job events, and the parts of bodies that need ClassAds.

The common events are read in :mod:`htcondor._event_parse`; this module
reads the rest (remote errors, reconnections, grid events, attribute updates,
cluster and factory events, file transfers and the reuse-directory events),
the notes of submit events, ToE ("termination of execution") tags, and the
ClassAd-valued parts (``ExecuteProps``, job ad information events, events
newer than this reader), which are parsed with the :mod:`classad` module.

>>> parse_toe_by("the startd at 2024-03-05T10:11:24Z (using method 1: DEACTIVATE_CLAIM).")["How"]
'DEACTIVATE_CLAIM'
"""

from __future__ import annotations

import classad

from ._event_scan import atoi, iso8601_to_tm, scanf, strtol, timegm

__all__ = ["Deferred", "PARSERS_EXTRA", "parse_props", "submit_notes", "parse_toe_by", "parse_old_line",
           "ad_to_dict"]

_C_SPACE = " \t\n\v\f\r"


class Deferred:
    """A value worked out with the ClassAd library when first read (``kind`` says how)."""

    __slots__ = ("kind", "data")

    def __init__(self, kind: str, data) -> None:
        self.kind = kind
        self.data = data

    def resolve(self):
        """The Python value, or :data:`ABSENT` when the key turns out not to exist."""
        if self.kind == "props":
            return parse_props(self.data)
        if self.kind == "notes":
            return ad_to_dict(self.data) if len(self.data) else ABSENT
        if self.kind == "expr":
            try:
                return classad.ExprTree(self.data.strip(_C_SPACE)).eval()
            except Exception:  # noqa: BLE001 - a cell that is not an expression is left out
                return ABSENT
        raise AssertionError(self.kind)


ABSENT = object()


def parse_old_line(line: str):
    """``(name, ExprTree)`` of one ``Name = expression`` line in old ClassAd syntax, or None."""
    p = 0
    while p < len(line) and line[p] in _C_SPACE:
        p += 1
    eq = line.find("=", p)
    if eq < 0 or line[p:p + 1] == "'":
        return None
    name = line[p:eq].rstrip(" ")
    if not name:
        return None
    rhs = line[eq + 1:].lstrip(" ")
    try:
        ad = classad.parseOne("x = " + rhs, classad.Parser.Old)
        tree = ad.lookup("x")
    except Exception:  # noqa: BLE001 - HTCondor skips or refuses a line it cannot parse
        return None
    return name, tree


def ad_to_dict(ad: classad.ClassAd) -> dict:
    """A nested ad as the official module converts it: literals as values, other expressions as ExprTree."""
    holder = classad.ClassAd()
    holder["v"] = ad
    return holder.eval("v")


def parse_props(lines: list):
    """The ``ExecuteProps`` dict of an execute event's ``Attr = value`` lines (unparsable lines skipped)."""
    ad = classad.ClassAd()
    for line in lines:
        parsed = parse_old_line(line)
        if parsed is not None:
            ad[parsed[0]] = parsed[1]
    return ad_to_dict(ad) if len(ad) else ABSENT


def submit_notes(lines: list, warnings: bool) -> dict:
    """LogNotes, UserNotes, Warnings and StructuredNotes of the note lines of a (cluster) submit event."""
    out: dict = {}
    notes = None
    for lineno, raw in enumerate(lines, 1):
        line = raw.strip(_C_SPACE)
        if line.startswith("["):
            if notes is None:
                out["LogNotes"] = line
                try:
                    notes = classad.ClassAd(line)
                except Exception:  # noqa: BLE001 - an unparsable note gives no structured notes
                    notes = None
        elif line.startswith("DAG Node: "):
            out["LogNotes"] = line
            if notes is None:
                notes = {}
            notes["DAGNodeName"] = line[10:].strip(_C_SPACE)
        elif warnings and line.startswith("WARNING: "):
            out["Warnings"] = line
        elif lineno == 1:
            out["LogNotes"] = line
        elif lineno == 2:
            out["UserNotes"] = line
    if notes is not None and len(notes):
        out["StructuredNotes"] = dict(notes) if isinstance(notes, dict) else Deferred("notes", notes)
    return out


def _int32(n: int) -> int:
    n &= 0xFFFFFFFF
    return n - (1 << 32) if n >= 1 << 31 else n


def parse_toe_by(text: str, with_when_text: bool = False):
    """The ToE dict of ``<who> at <when> (using method <code>: <how>).``, or None if malformed.

    With *with_when_text*, return ``(toe, when_text)``: HTCondor keeps the
    time as text (seconds since the epoch) and prints that text back.
    """
    at = text.find(" at ")
    if at < 0:
        return None
    who, start = text[:at], at + 4
    end = text.find(" (using method ", start)
    if end < 0:
        return None
    when_text = "%d" % timegm(iso8601_to_tm(text[start:end])[0])
    start = end + 15
    end = text.find(": ", start)
    if end < 0:
        return None
    code_text = text[start:end]
    r = strtol(code_text)
    if r is None:
        if code_text.strip(_C_SPACE):
            return None
        code = 0
    elif r[1] != len(code_text):
        return None
    else:
        code = _int32(r[0])
    start = end + 2
    end = text.find(").", start)
    if end < 0 or end + 2 < len(text):
        return None
    toe = {"Who": who, "How": text[start:end], "HowCode": code, "When": timegm(iso8601_to_tm(when_text)[0])}
    if code == 0:
        toe["ExitBySignal"], toe["ExitSignal"] = True, 0
    return (toe, when_text) if with_when_text else toe


# -- bodies ------------------------------------------------------------------------

def _remote_error(lines):
    if not lines:
        return None
    line = lines[0].strip(_C_SPACE)
    ok = True
    error_type = "Error"
    ix = line.find(" from ")
    if ix >= 0:
        error_type = line[:ix].strip(_C_SPACE)
        line = line[ix + 6:].strip(_C_SPACE)
    else:
        ok = False
    d: dict = {}
    ix = line.find(" on ")
    if ix > 0:
        daemon = line[:ix].strip(_C_SPACE)
        if daemon:
            d["Daemon"] = daemon
        line = line[ix + 4:].strip(_C_SPACE)
    if line.endswith(":"):
        line = line[:-1]
    if not ok:
        return None
    if line:
        d["ExecuteHost"] = line
    critical = error_type != "Warning"
    message = []
    code = subcode = 0
    for raw in lines[1:]:
        text = raw[1:] if raw.startswith("\t") else raw
        v = scanf("Code %d Subcode %d", text)
        if len(v) == 2:
            code, subcode = v
            break
        message.append(text)
    if message and "\n".join(message):
        d["ErrorMsg"] = "\n".join(message)
    if not critical:
        d["CriticalError"] = 0
    if code:
        d["HoldReasonCode"], d["HoldReasonSubCode"] = code, subcode
    return d, {"critical": critical}


def _four_spaces(line: str | None) -> str | None:
    if line is None or not line.startswith("    ") or len(line) < 5:
        return None
    return line[4:]


def _disconnected(lines):
    if len(lines) < 3:
        return None
    reason = _four_spaces(lines[1])
    if reason is None or "    Trying to reconnect to " not in lines[2]:
        return None
    rest = lines[2].replace("    Trying to reconnect to ", "")
    sp = rest.find(" ")
    if sp < 0:
        return None
    d = {"StartdAddr": rest[sp + 1:], "StartdName": rest[:sp], "DisconnectReason": reason,
         "EventDescription": "Job disconnected, attempting to reconnect"}
    return d, {"broken": not (reason and d["StartdAddr"] and d["StartdName"])}


def _reconnected(lines):
    if len(lines) < 3:
        return None
    values = []
    for line, prefix in zip(lines, ("Job reconnected to ", "    startd address: ", "    starter address: ")):
        if prefix not in line:
            return None
        values.append(line.replace(prefix, ""))
    d = {"StartdAddr": values[1], "StartdName": values[0], "StarterAddr": values[2],
         "EventDescription": "Job reconnected"}
    return d, {"broken": not all(values)}


def _reconnect_failed(lines):
    if len(lines) < 3:
        return None
    reason = _four_spaces(lines[1])
    if reason is None or "    Can not reconnect to " not in lines[2]:
        return None
    rest = lines[2].replace("    Can not reconnect to ", "")
    comma = rest.find(",")
    if comma < 0:
        return None
    d = {"StartdName": rest[:comma], "Reason": reason,
         "EventDescription": "Job reconnect impossible: rescheduling job"}
    return d, {"broken": not (reason and rest[:comma])}


def _grid(banner: str, with_job_id: bool):
    def parse(lines):
        if not lines or not lines[0].startswith(banner):
            return None
        if len(lines) < 2 or not lines[1].startswith("    GridResource: "):
            return None
        d = {}
        if lines[1][18:]:
            d["GridResource"] = lines[1][18:]
        if with_job_id:
            if len(lines) < 3 or not lines[2].startswith("    GridJobId: "):
                return None
            if lines[2][15:]:
                d["GridJobId"] = lines[2][15:]
        return d, None
    return parse


def _job_ad_information(lines):
    if not lines or not lines[0].startswith("Job ad information event triggered."):
        return None
    attrs = []
    for line in lines[1:]:
        parsed = parse_old_line(line)
        if parsed is None:
            return None
        attrs.append(parsed)
    if not attrs:
        return None
    return {}, {"ad": attrs, "merge": True}


def _future(lines):
    head = lines[0] if lines else ""
    attrs = []
    for line in lines[1:]:
        for piece in line.split("\r"):
            parsed = parse_old_line(piece) if piece else None
            if parsed is not None:
                attrs.append(parsed)
    return {"EventHead": head}, {"ad": attrs, "merge": False, "payload": lines[1:]}


def _banner_only(banner: str):
    return lambda lines: ({}, None) if lines and lines[0].startswith(banner) else None


def _input_ends_in(text: str, literal: str) -> bool:
    """True when ``sscanf`` runs out of *text* while still matching the leading *literal* (it returns EOF)."""
    collapsed = " ".join(text.split()) + (" " if text[-1:].isspace() else "")
    return literal.startswith(collapsed.lstrip(" ") if not literal.startswith(" ") else collapsed)


def _attribute_update(lines):
    if not lines:
        return None
    line = lines[0]
    v = scanf("Changing job attribute %s from %s to %s", line)
    if not v and _input_ends_in(line, "Changing job attribute "):
        v = scanf("Setting job attribute %s to %s", line)
        if not v and _input_ends_in(line, "Setting job attribute "):
            return None
        name, old, value = (v[0] if v else ""), "", (v[1] if len(v) > 1 else "")
    else:
        name, old, value = (v + ["", "", ""])[:3]
    return {"Attribute": name, "Value": value}, {"old": old or None}


def _preskip(lines):
    if len(lines) < 2:
        return None
    notes = lines[1].strip(_C_SPACE)
    return ({"SkipEventLogNotes": notes}, None) if notes else None


def _cluster_submit(lines):
    if not lines or not lines[0].startswith("Cluster submitted from host: "):
        return None
    d = {}
    if lines[0][29:]:
        d["SubmitHost"] = lines[0][29:]
    notes = submit_notes(lines[1:], warnings=False)
    if notes.get("StructuredNotes") is not None:
        d["StructuredNotes"] = notes["StructuredNotes"]
    return d, {"LogNotes": notes.get("LogNotes", ""), "UserNotes": notes.get("UserNotes", "")}


def _cluster_remove(lines):
    d = {"NextProcId": 0, "NextRow": 0, "Completion": 0}
    if not lines:
        return d, None
    i = 0
    if "remove" in lines[0] or "Remove" in lines[0]:
        i = 1
        if len(lines) < 2:
            return d, None
    p = lines[i].lstrip(_C_SPACE)
    v = scanf("Materialized %d jobs from %d items.", p)
    if len(v) == 2:
        d["NextProcId"], d["NextRow"] = v
        p = p[p.find("items.") + 6:].lstrip(_C_SPACE)
    low = p.lower()
    if low.startswith("error"):
        code = atoi(p[5:])
        d["Completion"] = code if code < 0 else -1
    elif low.startswith("complete"):
        d["Completion"] = 1
    elif low.startswith("paused"):
        d["Completion"] = 2
    if len(lines) > i + 1:
        notes = lines[i + 1].lstrip(_C_SPACE)
        if notes:
            d = {"Notes": notes, **d}
    return d, None


def _factory_paused(lines):
    d = {"PauseCode": 0, "HoldCode": 0}
    if not lines:
        return d, None
    i = 0
    if "pause" in lines[0] or "Pause" in lines[0]:
        i = 1
        if len(lines) < 2:
            return d, None
    reason = lines[i].lstrip(_C_SPACE)
    for line in lines[i + 1:]:
        p = line.find("PauseCode ")
        q = 0
        if p >= 0:
            r = strtol(line, p + 10)
            end = r[1] if r else p + 10
            d["PauseCode"] = _int32(r[0]) if r else 0
            if "HoldCode" not in line[end:]:
                continue
            q = end
        h = line.find("HoldCode ", q)
        if h >= 0:
            r = strtol(line, h + 9)
            d["HoldCode"] = _int32(r[0]) if r else 0
            continue
        break
    return ({"Reason": reason, **d} if reason else d), None


def _factory_resumed(lines):
    if not lines:
        return {}, None
    i = 0
    if "resume" in lines[0] or "Resume" in lines[0]:
        i = 1
        if len(lines) < 2:
            return {}, None
    reason = lines[i].lstrip(_C_SPACE)
    return ({"Reason": reason} if reason else {}), None


_TRANSFER_TEXTS = ["Entered queue to transfer input files", "Started transferring input files",
                   "Finished transferring input files", "Entered queue to transfer output files",
                   "Started transferring output files", "Finished transferring output files"]


def _file_transfer(lines):
    if not lines or lines[0] not in _TRANSFER_TEXTS:
        return None
    d = {"Type": _TRANSFER_TEXTS.index(lines[0]) + 1}
    i = 1
    if i < len(lines) and lines[i].startswith("\tSeconds spent in queue: "):
        text = lines[i][25:]
        r = strtol(text)
        if text and (r is None or r[1] != len(text)):
            return None
        d["QueueingDelay"] = r[0] if r else 0
        i += 1
    if i < len(lines) and lines[i].startswith("\tTransferring to host: ") and lines[i][23:]:
        d["Host"] = lines[i][23:]
    return d, None


def _fields(spec: list):
    """A parser for the reuse-directory events: each line a ``prefix: value`` in a fixed order."""
    def parse(lines):
        d = {}
        for i, (prefix, key, numeric) in enumerate(spec):
            if i >= len(lines) or not lines[i].startswith(prefix):
                return None
            text = lines[i][len(prefix):]
            if numeric:
                r = strtol(text)
                if r is None:
                    return None
                d[key] = r[0]
            else:
                d[key] = text
        return d, None
    return parse


PARSERS_EXTRA = {
    21: _remote_error, 22: _disconnected, 23: _reconnected, 24: _reconnect_failed,
    25: _grid("Grid Resource Back Up", False), 26: _grid("Detected Down Grid Resource", False),
    27: _grid("Job submitted to grid resource", True), 28: _job_ad_information,
    29: _banner_only("The job's remote status is unknown"), 30: _banner_only("The job's remote status is known again"),
    33: _attribute_update, 34: _preskip, 35: _cluster_submit, 36: _cluster_remove, 37: _factory_paused,
    38: _factory_resumed, 40: _file_transfer,
    41: _fields([("Bytes reserved:", "ReservedSpace", True), ("\tReservation Expiration:", "ExpirationTime", True),
                 ("\tReservation UUID: ", "UUID", False), ("\tTag: ", "Tag", False)]),
    42: _fields([("Reservation UUID: ", "UUID", False)]),
    43: _fields([("Bytes:", "Size", True), ("\tChecksum Value: ", "Checksum", False),
                 ("\tChecksum Type: ", "ChecksumType", False), ("\tUUID: ", "UUID", False)]),
    44: _fields([("Checksum Value: ", "Checksum", False), ("\tChecksum Type: ", "ChecksumType", False),
                 ("\tTag: ", "Tag", False)]),
    45: _fields([("Bytes:", "Size", True), ("\tChecksum Value: ", "Checksum", False),
                 ("\tChecksum Type: ", "ChecksumType", False), ("\tTag: ", "Tag", False)]),
    "future": _future,
}
for _n in (17, 18, 19, 20, 31, 32, 39):  # HTCondor reads these as events it does not know
    PARSERS_EXTRA[_n] = _future
