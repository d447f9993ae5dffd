"""C ``strftime`` in the "C" locale, as glibc implements it, for ``formatTime``.

Python's :func:`time.strftime` follows the platform and validates its
fields, while ``formatTime`` must print whatever fields a ClassAd holds
(day 0, month 14 ...) the way glibc does.  Supported: every conversion of
C99 and POSIX plus the GNU ones (``%k %l %P %s``), the flags ``_ - 0 ^ #``,
a field width, and the ``E``/``O`` modifiers (no effect in this locale).
A conversion glibc does not know is copied as written.

>>> c_strftime("%Y-%m-%d %a", CTime(year=2020, mon=0, mday=2, wday=4, yday=1))
'2020-01-02 Thu'
"""

from __future__ import annotations

import time
from dataclasses import dataclass

__all__ = ["CTime", "c_strftime"]

_DAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


@dataclass
class CTime:
    """The fields of a C ``struct tm`` (year is the full year, mon 0-11, yday 0-365)."""

    year: int = 1900
    mon: int = 0
    mday: int = 0
    hour: int = 0
    min: int = 0
    sec: int = 0
    wday: int = 0
    yday: int = 0
    isdst: int = 0
    gmtoff: int = 0
    zone: str | None = None


def _cdiv(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return -q if (a < 0) != (b < 0) else q


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _iso_week_days(yday: int, wday: int) -> int:
    """Days since the Monday that starts the ISO week-based year holding *yday*."""
    return yday - (yday - wday + 382) % 7 + 3


def _iso_year_week(tm: CTime) -> tuple[int, int]:
    year = tm.year
    days = _iso_week_days(tm.yday, tm.wday)
    if days < 0:
        year -= 1
        days = _iso_week_days(tm.yday + 365 + _leap(year), tm.wday)
    else:
        later = _iso_week_days(tm.yday - (365 + _leap(year)), tm.wday)
        if later >= 0:
            year += 1
            days = later
    return year, _cdiv(days, 7) + 1


def _name(names, index: int, length: int | None) -> str:
    if not 0 <= index < len(names):
        return "?"
    return names[index][:length] if length else names[index]


def _mktime(tm: CTime) -> int:
    try:
        return int(time.mktime((tm.year, tm.mon + 1, tm.mday, tm.hour, tm.min, tm.sec,
                                0, 0, tm.isdst)))
    except (OverflowError, OSError, ValueError):
        return -1


def _convert(c: str, tm: CTime):
    """(text, default width, default pad, is a number) for conversion *c*, or None."""
    hour12 = tm.hour - 12 if tm.hour > 12 else (tm.hour or 12)
    if c == "a":
        return _name(_DAYS, tm.wday, 3), 0, " ", False
    if c == "A":
        return _name(_DAYS, tm.wday, None), 0, " ", False
    if c in "bh":
        return _name(_MONTHS, tm.mon, 3), 0, " ", False
    if c == "B":
        return _name(_MONTHS, tm.mon, None), 0, " ", False
    if c == "c":
        return c_strftime("%a %b %e %H:%M:%S %Y", tm), 0, " ", False
    if c == "C":
        return tm.year // 100, 2, "0", True
    if c == "d":
        return tm.mday, 2, "0", True
    if c == "D":
        return c_strftime("%m/%d/%y", tm), 0, " ", False
    if c == "e":
        return tm.mday, 2, " ", True
    if c == "F":
        return c_strftime("%Y-%m-%d", tm), 0, " ", False
    if c in "gGV":
        year, week = _iso_year_week(tm)
        if c == "g":
            return (year % 100 + 100) % 100, 2, "0", True
        return (year, 1, "0", True) if c == "G" else (week, 2, "0", True)
    if c == "H":
        return tm.hour, 2, "0", True
    if c == "I":
        return hour12, 2, "0", True
    if c == "j":
        return tm.yday + 1, 3, "0", True
    if c == "k":
        return tm.hour, 2, " ", True
    if c == "l":
        return hour12, 2, " ", True
    if c == "m":
        return tm.mon + 1, 2, "0", True
    if c == "M":
        return tm.min, 2, "0", True
    if c == "n":
        return "\n", 0, " ", False
    if c in "pP":
        text = "PM" if tm.hour > 11 else "AM"
        return (text.lower() if c == "P" else text), 0, " ", False
    if c == "r":
        return c_strftime("%I:%M:%S %p", tm), 0, " ", False
    if c == "R":
        return c_strftime("%H:%M", tm), 0, " ", False
    if c == "s":
        return _mktime(tm), 1, "0", True
    if c == "S":
        return tm.sec, 2, "0", True
    if c == "t":
        return "\t", 0, " ", False
    if c == "T":
        return c_strftime("%H:%M:%S", tm), 0, " ", False
    if c == "u":
        return (tm.wday - 1 + 7) % 7 + 1, 1, "0", True
    if c == "U":
        return _cdiv(tm.yday - tm.wday + 7, 7), 2, "0", True
    if c == "w":
        return tm.wday, 1, "0", True
    if c == "W":
        return _cdiv(tm.yday - (tm.wday - 1 + 7) % 7 + 7, 7), 2, "0", True
    if c == "x":
        return c_strftime("%m/%d/%y", tm), 0, " ", False
    if c == "X":
        return c_strftime("%H:%M:%S", tm), 0, " ", False
    if c == "y":
        return tm.year % 100, 2, "0", True
    if c == "Y":
        return tm.year, 1, "0", True
    if c == "z":
        off = tm.gmtoff
        sign = "-" if off < 0 else "+"
        off = abs(off) // 60
        return f"{sign}{off // 60:02d}{off % 60:02d}", 0, " ", False
    if c == "Z":
        zone = tm.zone if tm.zone is not None else time.tzname[1 if tm.isdst > 0 else 0]
        return zone, 0, " ", False
    if c == "%":
        return "%", 0, " ", False
    return None


def c_strftime(fmt: str, tm: CTime) -> str:
    """*fmt* with its conversions replaced by fields of *tm*."""
    out: list[str] = []
    i, n = 0, len(fmt)
    while i < n:
        pct = fmt.find("%", i)
        if pct < 0:
            out.append(fmt[i:])
            break
        out.append(fmt[i:pct])
        j = pct + 1
        pad_flag = ""  # the last of _ - 0 wins
        case_flags = ""
        while j < n and fmt[j] in "_-0^#":
            if fmt[j] in "_-0":
                pad_flag = fmt[j]
            else:
                case_flags += fmt[j]
            j += 1
        width_start = j
        while j < n and fmt[j].isascii() and fmt[j].isdigit():
            j += 1
        width = int(fmt[width_start:j]) if j > width_start else None
        if j < n and fmt[j] in "EO":
            j += 1
        if j >= n:
            out.append(fmt[pct:])
            break
        conv = _convert(fmt[j], tm)
        if conv is None:
            out.append(fmt[pct:j + 1])
            i = j + 1
            continue
        value, digits, pad, numeric = conv
        text = str(value)
        if "^" in case_flags or ("#" in case_flags and fmt[j] in "aAbBh"):
            text = text.upper()
        elif "#" in case_flags and fmt[j] in "pZ":
            text = text.lower()
        if pad_flag == "-":
            width = 0
        elif width is None:
            width = digits if numeric else 0
        if pad_flag == "_":
            pad = " "
        elif pad_flag == "0":
            pad = "0"
        if len(text) < width:
            if pad == "0" and text.startswith("-"):
                text = "-" + text[1:].rjust(width - 1, "0")
            else:
                text = text.rjust(width, pad)
        out.append(text)
        i = j + 1
    return "".join(out)
