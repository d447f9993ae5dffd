"""Small text-scanning helpers that read numbers and words the way HTCondor's C code does.

HTCondor reads event logs with ``sscanf``, ``strtol``, ``atoi`` and its own
ISO 8601 date parser.  Reproducing their leniency (leading blanks, trailing
text, partial matches) is what makes this reader accept exactly the logs the
official one accepts, and read the same values from them.

>>> scanf("\\tCode %d Subcode %d", "\\tCode 1 Subcode 0")
[1, 0]
>>> scanf("(%d) %127[^\\r\\n]", "(1) Normal termination (return value 3)")
[1, 'Normal termination (return value 3)']
>>> atoi("  42abc"), atoi("x")
(42, 0)
"""

from __future__ import annotations

import re
import struct
import time

__all__ = ["scan", "scanf", "atoi", "strtol", "to_float32", "iso8601_to_tm", "timegm", "mktime"]

_WS = "[ \t\n\v\f\r]"
_INT = _WS + r"*+([+-]?[0-9]++)"
_FLOAT = (_WS + r"*+([+-]?+(?:(?:[0-9]++\.?+[0-9]*+|\.[0-9]++)(?:[eE][+-]?[0-9]+)?+"
          r"|[iI][nN][fF](?:[iI][nN][iI][tT][yY])?+|[nN][aA][nN]))")
_SPEC = re.compile(r"%(\d*)(l?)([dfsn]|\[\^?\]?[^\]]*\])|%%|\s+|[^%\s]+")
_FORMATS: dict = {}


def _compile(fmt: str) -> tuple:
    """A scanf format as (one regex for a full match, the conversion kinds, the per-step regexes)."""
    kinds, parts, steps = [], [], []
    for m in _SPEC.finditer(fmt):
        text = m.group(0)
        if text[0] == "%" and text != "%%":
            width, is_long, conv = m.group(1), m.group(2), m.group(3)
            n = f"{{1,{width}}}+" if width else "++"
            if conv == "d":
                part, kind = _INT, "d"
            elif conv == "f":
                part, kind = _FLOAT, ("f" if is_long else "f32")
            elif conv == "s":
                part, kind = _WS + "*+([^ \t\n\v\f\r]" + n + ")", "s"
            elif conv == "n":
                part, kind = "()", "n"
            else:
                body = conv[1:-1].replace("\\", "\\\\")
                part, kind = "([" + body + "]" + n + ")", "s"
            kinds.append(kind)
        elif text.isspace():
            part, kind = _WS + "*+", "ws"
        else:
            part, kind = re.escape(text.replace("%%", "%")), "lit"
        parts.append(part)
        steps.append((kind, re.compile(part)))
    return re.compile("".join(parts)), kinds, steps


def _convert(kind: str, value: str, m, index: int):
    if kind == "d":
        return _wrap32(int(value))
    if kind == "f":
        return float(value)
    if kind == "f32":
        return to_float32(float(value))
    if kind == "n":
        return m.start(index)
    return value


def scan(fmt: str, text: str) -> list | None:
    """All the values of ``sscanf(text, fmt, ...)``, or None if any conversion fails.

    Supports ``%d``, ``%f`` (single precision, as in C), ``%lf``, ``%Ns``,
    ``%N[set]``, ``%N[^set]`` and ``%n`` (which yields the offset reached).
    """
    compiled = _FORMATS.get(fmt)
    if compiled is None:
        compiled = _FORMATS[fmt] = _compile(fmt)
    m = compiled[0].match(text)
    if m is None:
        return None
    return [_convert(kind, m.group(i + 1), m, i + 1) for i, kind in enumerate(compiled[1])]


def scanf(fmt: str, text: str) -> list:
    """The values ``sscanf(text, fmt, ...)`` converts, up to the first failure (see :func:`scan`)."""
    full = scan(fmt, text)
    if full is not None:
        return full
    values: list = []
    pos = 0
    for kind, pattern in _FORMATS[fmt][2]:
        m = pattern.match(text, pos)
        if m is None:
            return values
        if kind not in ("ws", "lit"):
            values.append(_convert(kind, m.group(1), m, 1))
        pos = m.end()
    return values


def _wrap32(n: int) -> int:
    """A C ``int`` from a long decimal string: glibc saturates through ``long`` and truncates."""
    if n > (1 << 63) - 1:
        n = (1 << 63) - 1
    elif n < -(1 << 63):
        n = -(1 << 63)
    n &= 0xFFFFFFFF
    return n - (1 << 32) if n >= 1 << 31 else n


def to_float32(x: float) -> float:
    """*x* rounded to single precision, as a C ``float`` holds it."""
    try:
        return struct.unpack("f", struct.pack("f", x))[0]
    except OverflowError:
        return float("inf") if x > 0 else float("-inf")


_LEADING_INT = re.compile(r"[ \t\n\v\f\r]*([+-]?[0-9]+)")


def strtol(text: str, pos: int = 0) -> tuple[int, int] | None:
    """``(value, end)`` of the integer at *pos* (blanks skipped), or None when there is none."""
    m = _LEADING_INT.match(text, pos)
    if m is None:
        return None
    n = int(m.group(1))
    n = max(min(n, (1 << 63) - 1), -(1 << 63))
    return n, m.end()


def atoi(text: str) -> int:
    """C ``atoi``: the leading integer of *text*, or 0."""
    r = strtol(text)
    return _wrap32(r[0]) if r else 0


# -- dates -------------------------------------------------------------------------

def _next_bit(text: str, pos: int, count: int) -> tuple[str | None, int]:
    """HTCondor's ISO 8601 field reader: skip ``:-T``, then take *count* characters."""
    n = len(text)
    while pos < n and text[pos] in ":-T":
        pos += 1
    chunk = text[pos:pos + count]
    return (chunk if len(chunk) == count else None), pos + len(chunk)


def iso8601_to_tm(text: str) -> tuple[list, int | None, bool]:
    """Parse a date and/or time as HTCondor's ``iso8601_to_time`` does.

    Returns ``([year-1900, month-1, mday, hour, min, sec], usec, is_utc)``
    with -1 for the fields that were not found; ``usec`` is None when no
    seconds field was read.

    >>> iso8601_to_tm("2024-03-05T10:11:12.5Z")
    ([124, 2, 5, 10, 11, 12], 500000, True)
    """
    tm = [-1, -1, -1, -1, -1, -1]
    usec = None
    is_utc = False
    if len(text) <= 2:
        return tm, usec, is_utc
    pos = 0
    if not (text[0] == "T" or text[2] == ":"):
        bit, pos = _next_bit(text, pos, 4)
        if bit is not None:
            tm[0] = atoi(bit) - 1900
        bit, pos = _next_bit(text, pos, 2)
        if bit is not None:
            tm[1] = atoi(bit) - 1
        bit, pos = _next_bit(text, pos, 2)
        if bit is not None:
            tm[2] = atoi(bit)
    bit, pos = _next_bit(text, pos, 2)
    if bit is not None:
        tm[3] = atoi(bit)
    bit, pos = _next_bit(text, pos, 2)
    if bit is not None:
        tm[4] = atoi(bit)
    bit, pos = _next_bit(text, pos, 2)
    if bit is not None:
        tm[5] = atoi(bit)
        usec = 0
        if pos < len(text) and text[pos] == ".":
            pos += 1
            start = pos
            while pos < len(text) and text[pos].isdigit() and text[pos].isascii():
                pos += 1
            digits = pos - start
            if digits:
                usec = int(text[start:pos])
            if digits < 6:
                usec *= 10 ** (6 - digits)
            elif digits > 6:
                usec = 0
    is_utc = pos < len(text) and text[pos] in "Zz"
    return tm, usec, is_utc


def _days_from_civil(y: int, m: int, d: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (any month/day overflow allowed)."""
    y += (m - 1) // 12
    m = (m - 1) % 12 + 1
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468 + d - 1


def timegm(tm: list) -> int:
    """C ``timegm`` of ``[year-1900, month-1, mday, hour, min, sec]``, normalizing overflow."""
    year, mon, mday, hour, minute, sec = tm
    days = _days_from_civil(year + 1900, mon + 1, 1) + mday - 1
    return days * 86400 + hour * 3600 + minute * 60 + sec


def mktime(tm: list) -> int:
    """C ``mktime`` of a local ``[year-1900, month-1, mday, hour, min, sec]`` (DST decided by the zone)."""
    year, mon, mday, hour, minute, sec = tm
    try:
        return int(time.mktime((year + 1900, mon + 1, mday, hour, minute, sec, 0, 0, -1)))
    except (OverflowError, ValueError):
        # out of the C library's range: fall back to the zone's current offset
        return timegm(tm) + time.timezone
