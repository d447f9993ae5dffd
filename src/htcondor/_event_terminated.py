"""Pieces of event bodies shared by several events: usage lines, terminations, resource tables.

The terminated events (005 and 015) and the evicted event (004) report CPU
usage (``Usr 0 00:01:02, Sys 0 00:00:03``), how the job ended, bytes moved
and a ``Partitionable Resources`` table; this module reads those lines as
HTCondor's ``TerminatedEvent::readEventBody`` does.

>>> rusage_text(90061, 3)
'Usr 1 01:01:01, Sys 0 00:00:03'
"""

from __future__ import annotations

import re

import classad

from ._event_body_extra import Deferred
from ._event_scan import scan

__all__ = ["rusage_text", "read_rusage", "read_termination", "read_terminated", "termination_keys", "line_at"]

_C_SPACE = " \t\n\v\f\r"


_RUSAGE_FAST = re.compile(r"\t\t?(Usr (?:0|[1-9]\d{0,4}) (?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d, "
                          r"Sys (?:0|[1-9]\d{0,4}) (?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d)")
_RUSAGE_FMT = "\tUsr %d %d:%d:%d, Sys %d %d:%d:%d"


def _cdivmod(a: int, b: int) -> tuple[int, int]:
    q = abs(a) // b * (1 if a >= 0 else -1)
    return q, a - q * b


def rusage_text(usr: int, sys: int) -> str:
    """``Usr D HH:MM:SS, Sys D HH:MM:SS`` for seconds of user and system time (C arithmetic)."""
    parts = []
    for secs in (usr, sys):
        d, secs = _cdivmod(secs, 86400)
        h, secs = _cdivmod(secs, 3600)
        m, secs = _cdivmod(secs, 60)
        parts.append("%d %02d:%02d:%02d" % (d, h, m, secs))
    return "Usr %s, Sys %s" % tuple(parts)


def read_rusage(line: str | None) -> str | None:
    """The normalized usage string of a ``\\tUsr ...`` line, or None if it is not one."""
    if line is None:
        return None
    m = _RUSAGE_FAST.match(line)
    if m is not None:
        return m.group(1)
    v = scan(_RUSAGE_FMT, line)
    if v is None:
        return None
    return rusage_text(v[0] * 86400 + v[1] * 3600 + v[2] * 60 + v[3], v[4] * 86400 + v[5] * 3600 + v[6] * 60 + v[7])


def line_at(lines: list, i: int) -> str | None:
    return lines[i] if i < len(lines) else None


_NORMAL_FAST = re.compile(r"\t\(1\) Normal termination \(return value (-?\d{1,9})\)")


def read_termination(lines: list, i: int, d: dict):
    """Read ``(1) Normal termination (return value N)`` or the signal form (+ core line); next index or None."""
    line = line_at(lines, i) or ""
    m = _NORMAL_FAST.match(line)
    if m is not None and len(line) - m.end() < 100:
        d["_normal"], d["_ret"] = True, int(m.group(1))
        return i + 1
    v = scan("\t(%d) %127[^\r\n]", line)
    if v is None:
        return None
    i += 1
    if v[0]:
        r = scan("Normal termination (return value %d)", v[1])
        if r is None:
            return None
        d["_normal"], d["_ret"] = True, r[0]
    else:
        r = scan("Abnormal termination (signal %d)", v[1])
        if r is None:
            return None
        d["_normal"], d["_sig"] = False, r[0]
        core = line_at(lines, i)
        if core is None:
            return None
        core = core.strip(_C_SPACE)
        i += 1
        if core.startswith("(1) Corefile in: "):
            d["_core"] = core[17:]
        elif not core.startswith("(0)"):
            return None
    return i


_BYTES_FAST = re.compile(r"\t(\d{1,7})  -  (Run|Total) Bytes (Sent|Received) By (\w+)\Z")
_BYTES_KEYS = {("Run", "Sent"): "SentBytes", ("Run", "Received"): "ReceivedBytes",
               ("Total", "Sent"): "TotalSentBytes", ("Total", "Received"): "TotalReceivedBytes"}


def _usage_columns(header: str) -> tuple:
    """Column edges of a ``Partitionable Resources :    Usage  Request Allocated`` header."""
    colon = header.find(":")
    table = header[colon + 1:] if colon >= 0 else header[1:]
    n = len(table)
    p = 0
    while p < n and table[p] == " ":
        p += 1
    while p < n and table[p] != " ":
        p += 1
    use = p + 1
    while p < n and table[p] == " ":
        p += 1
    while p < n and table[p] != " ":
        p += 1
    req = p + 1
    while p < n and table[p] == " ":
        p += 1
    alloc = assigned = -1
    if p < n:
        a = table.find("Allocated", p)
        if a >= 0:
            alloc = a + 9
            b = table.find("Assigned", a)
            if b >= 0:
                assigned = b
    return use, req, alloc, assigned


_ROW_TAG = re.compile(r"[\t ]*([^ :]*)")


def _usage_row(row: str, cols: tuple, usage: dict, lower: dict) -> None:
    """Add the values of one table row (``Cpus : 1 1 1``) to *usage* (*lower*: its names by lower case)."""
    m = _ROW_TAG.match(row)
    tag = m.group(1)
    colon = row.find(":", m.end())
    if colon < 0:
        return
    table = row[colon + 1:]
    use, req, alloc, assigned = cols
    cells = [(tag + "Usage", table[:use]), ("Request" + tag, table[use:req])]
    if alloc > 0:
        cells.append((tag, table[req:alloc]))
    if assigned > 0:
        cells.append(("Assigned" + tag, table[assigned:]))
    for name, text in cells:
        value = _cell_value(text)
        if value is not _NO_VALUE:
            key = name.lower()
            old = lower.get(key)
            if old is not None and old != name:
                del usage[old]
            lower[key] = name
            usage[name] = value


_NO_VALUE = object()
_CELL_INT = re.compile(r" *(-?\d{1,18}) *\Z")
_CELL_REAL = re.compile(r" *(-?\d+\.\d*) *\Z")


def _cell_value(text: str):
    """The value of a table cell, parsed as a ClassAd expression (a literal, nearly always)."""
    stripped = text.strip(" ")
    if stripped.isdigit() and len(stripped) < 19:
        return int(stripped)
    if not stripped:
        return _NO_VALUE
    m = _CELL_INT.match(text)
    if m is not None:
        return int(m.group(1))
    m = _CELL_REAL.match(text)
    if m is not None:
        return float(m.group(1))
    text = text.strip(_C_SPACE)
    if not text:
        return _NO_VALUE
    try:
        classad.ExprTree(text)
    except Exception:  # noqa: BLE001 - HTCondor leaves out a cell it cannot parse
        return _NO_VALUE
    return Deferred("expr", text)


def read_terminated(lines: list, start: int, who: str):
    """The common body of the terminated events (005 and 015): ``(d, usage)`` or None."""
    d: dict = {}
    i = read_termination(lines, start, d)
    if i is None:
        return None
    usages = []
    for _ in range(4):
        u = read_rusage(line_at(lines, i))
        if u is None:
            return None
        usages.append(u)
        i += 1
    d["_usages"] = usages
    usage: dict | None = None
    lower: dict = {}
    cols = None
    n = len(lines)
    while i < n:
        line = lines[i]
        i += 1
        if cols is not None:
            if ":" not in line:
                break
            _usage_row(line, cols, usage, lower)
            continue
        m = _BYTES_FAST.match(line)
        if m is not None:
            if m.group(4) == who:
                d[_BYTES_KEYS[m.group(2), m.group(3)]] = float(m.group(1))
            continue
        v = scan("\t%f  -  %5s Bytes %8s By %21s", line)
        if v is not None:
            key = _BYTES_KEYS.get((v[1], v[2]))
            if key is not None and v[3] == who:
                d[key] = v[0]
            continue
        if line.startswith("\tPartitionable ") or line.startswith("\tResources"):
            usage, lower = {}, {}
            cols = _usage_columns(line)
            continue
        break
    d["_next"] = i
    return d, usage


def termination_keys(out: dict, d: dict, always_codes: bool) -> None:
    out["TerminatedNormally"] = d["_normal"]
    ret, sig = d.get("_ret", -1), d.get("_sig", -1)
    if always_codes or ret >= 0:
        out["ReturnValue"] = ret
    if always_codes or sig >= 0:
        out["TerminatedBySignal"] = sig
    if d.get("_core"):
        out["CoreFile"] = d["_core"]
    u = d["_usages"]
    out["RunLocalUsage"], out["RunRemoteUsage"] = u[1], u[0]
    out["TotalLocalUsage"], out["TotalRemoteUsage"] = u[3], u[2]
    for key in ("SentBytes", "ReceivedBytes", "TotalSentBytes", "TotalReceivedBytes"):
        out[key] = d.get(key, 0.0)
