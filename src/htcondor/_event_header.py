"""The header line of a job event: its number, job id and time.

``005 (042.000.000) 2024-03-05 10:11:24 Job terminated.`` -- the time is local
unless it ends in ``Z``; HTCondor also writes ``MM/DD`` dates (read as the
current year), ``T`` between date and time, and milliseconds.  The common
form is read with one regular expression and a per-day cache of the local
midnight; anything else follows HTCondor's ``readHeader`` step by step.

>>> parse_header("012 (7.0.0) 1970-01-01 00:01:00Z Job was held.")
(12, 7, 0, 0, 60, 0, 'Job was held.')
"""

from __future__ import annotations

import re
import time

from ._event_scan import atoi, iso8601_to_tm, mktime, strtol, timegm

__all__ = ["parse_header", "int32"]


_HEADER = re.compile(r"(\d{3}) \((\d+)\.(\d+)\.(\d+)\) (\d{4}-\d\d-\d\d) ([01]\d|2[0-3]):([0-5]\d):([0-5]\d)"
                     r"(?:\.(\d{1,6}))?(Z?) ")
_MINUTES: dict = {}
_DAYS: dict = {}


def _day_clock(date: str, utc: bool):
    """Epoch seconds at local (or UTC) midnight of ``YYYY-MM-DD``, if no clock change happens that day."""
    key = (date, utc)
    clock = _DAYS.get(key, _MISSING)
    if clock is _MISSING:
        tm = [int(date[0:4]) - 1900, int(date[5:7]) - 1, int(date[8:10]), 0, 0, 0]
        clock = None
        if tm[0] >= 0 and 0 <= tm[1] <= 11 and tm[2] <= 32:
            if utc:
                clock = timegm(tm)
            else:
                clock = mktime(tm)
                tm[2] += 1
                if mktime(tm) - clock != 86400:
                    clock = None  # a daylight-saving change: work minute by minute
        if len(_DAYS) > 4096:
            _DAYS.clear()
        _DAYS[key] = clock
    return clock


_MISSING = object()


def _minute_clock(text: str, utc: bool) -> int:
    """Epoch seconds at the start of the minute ``YYYY-MM-DD HH:MM`` (local time unless *utc*)."""
    key = (text, utc)
    clock = _MINUTES.get(key)
    if clock is None:
        tm = [int(text[0:4]) - 1900, int(text[5:7]) - 1, int(text[8:10]), int(text[11:13]), int(text[14:16]), 0]
        if tm[0] < 0 or not (0 <= tm[1] <= 11 and tm[2] <= 32 and tm[3] <= 24):
            return None
        clock = timegm(tm) if utc else mktime(tm)
        if len(_MINUTES) > 4096:
            _MINUTES.clear()
        _MINUTES[key] = clock
    return clock


def parse_header(line: str):
    """``(type, cluster, proc, subproc, clock, usec, rest)`` of a header line, or None.

    *rest* is the text after the date (the first line of the body).  The
    date is local time unless it ends in ``Z``; a date without a year
    (``MM/DD``) is in the current year, as HTCondor reads it.

    >>> parse_header("000 (042.000.000) 1970-01-02 00:00:05Z Job submitted from host: <h>")
    (0, 42, 0, 0, 86405, 0, 'Job submitted from host: <h>')
    """
    m = _HEADER.match(line)
    if m is not None:
        g = m.groups()
        utc = bool(g[9])
        base = _day_clock(g[4], utc)
        if base is not None:
            clock = base + int(g[5]) * 3600 + int(g[6]) * 60 + int(g[7])
        else:
            base = _minute_clock(g[4] + " " + g[5] + ":" + g[6], utc)
            clock = None if base is None else base + int(g[7])
        if clock is not None:
            frac = g[8]
            usec = int(frac) * 10 ** (6 - len(frac)) if frac else 0
            return (int(g[0]), int32(g[1]), int32(g[2]), int32(g[3]), clock, usec, line[m.end():])
    return _parse_header_slow(line)


def int32(text: str) -> int:
    n = int(text)
    if n < 2147483648:
        return n
    n &= 0xFFFFFFFF
    return n - (1 << 32) if n >= 1 << 31 else n


def _parse_header_slow(line: str):
    """The general form of :func:`parse_header`, following HTCondor's ``readHeader`` step by step."""
    if len(line) < 4 or not line[:3].isdigit() or not line[:3].isascii() or line[3] != " ":
        return None
    etype = int(line[:3])
    if line[3:5] != " (":
        return None
    pos = 5
    ids = []
    for closer in "..)":
        r = strtol(line, pos)
        value, pos = (r if r is not None else (0, pos))
        if pos >= len(line) or line[pos] != closer:
            return None
        ids.append(int32(str(value)))
        pos += 1
    if line[pos:pos + 1] != " ":
        return None
    p = pos + 1
    datend = line.find(" ", p)
    if datend < 0:
        return None
    usec = None
    if line[p:p + 2].isdigit() and line[p:p + 2].isascii() and line[p + 2:p + 3] == "/":
        if datend != p + 5:
            return None
        tm, usec, is_utc = iso8601_to_tm(line[datend + 1:])
        tm[1] = atoi(line[p:])
        if tm[1] <= 0:
            return None
        tm[1] -= 1
        tm[2] = atoi(line[p + 3:])
        datend = line.find(" ", datend + 1)
    elif datend == p + 10:
        datebuf = line[p:p + 43]
        datebuf = datebuf[:10] + "T" + datebuf[11:]
        tm, usec, is_utc = iso8601_to_tm(datebuf)
        datend = line.find(" ", datend + 1)
    else:
        tm, usec, is_utc = iso8601_to_tm(line[p:])
    if not (0 <= tm[1] <= 11 and 0 <= tm[2] <= 32 and 0 <= tm[3] <= 24):
        return None
    now = time.time()
    if tm[0] < 0:
        tm[0] = time.localtime(now).tm_year - 1900
    tm = [0 if v < 0 else v for v in tm[:3]] + [v for v in tm[3:]]
    tm = [v if v >= 0 else -1 for v in tm]
    clock = timegm(tm) if is_utc else mktime(tm)
    if usec is None:  # HTCondor keeps the sub-second part of the moment it started reading
        usec = int((now % 1) * 1e6)
    if datend < 0:
        return None
    return (etype, ids[0], ids[1], ids[2], clock, usec, line[datend + 1:])
