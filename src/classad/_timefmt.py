"""Text forms of absolute and relative times, and the local-time rules behind them.

The C++ library reads ``absTime("...")`` and ``relTime("...")`` literals
with hand-written scanners, and its output goes through C ``int``
arithmetic and ``printf``.  The functions here reproduce those rules,
quirks included (a relative time of 10**11 seconds prints with negative
fields, as 32-bit overflow makes it do in C).

Local time is the process's (``TZ``), as in the C library: a time written
without a zone is local, and ``absTime(0)`` prints in the local offset.

>>> from classad._timefmt import parse_reltime_string, reltime_to_string
>>> reltime_to_string(parse_reltime_string("1d2h3m4s").secs)
'1+02:03:04'
>>> reltime_to_string(90.25)
'01:30.25'
"""

from __future__ import annotations

import math
import time

from ._values import AbsTime, RelTime

__all__ = [
    "abstime_to_string",
    "c_int32",
    "c_trunc32",
    "local_offset",
    "parse_abstime_string",
    "parse_reltime_string",
    "reltime_to_string",
]

_INT32_MIN = -(1 << 31)
_SPACE = b" \t\n\v\f\r"
_DIGITS = b"0123456789"


def c_int32(n: int) -> int:
    """An integer narrowed to a C ``int`` (two's complement wrap-around)."""
    n &= 0xFFFFFFFF
    return n - (1 << 32) if n & (1 << 31) else n


def c_trunc32(x: float) -> int:
    """C's ``(int)`` cast of a double: truncation; out of range gives INT_MIN as on x86."""
    if math.isnan(x) or not -2147483649.0 < x < 2147483648.0:
        return _INT32_MIN
    return int(x)


def _cdiv(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return -q if (a < 0) != (b < 0) else q


def _cmod(a: int, b: int) -> int:
    return a - b * _cdiv(a, b)


def local_offset(secs: int, no_dst: bool = False) -> int:
    """Seconds east of UTC of local time at *secs*; less an hour of DST if *no_dst*."""
    try:
        tm = time.localtime(secs)
    except (OverflowError, OSError, ValueError):
        return 0
    offset = tm.tm_gmtoff
    if no_dst and tm.tm_isdst > 0:
        offset -= 3600
    return offset


def _gmtime(secs: int) -> time.struct_time:
    try:
        return time.gmtime(secs)
    except (OverflowError, OSError, ValueError):
        return time.gmtime(0)


def abstime_to_string(t: AbsTime) -> str:
    """The text inside ``absTime("...")``: ``YYYY-MM-DDThh:mm:ss±hh:mm`` in the time's own offset.

    A zero offset is written ``-00:00``.

    >>> abstime_to_string(AbsTime(1577934245, 5400))
    '2020-01-02T04:34:05+01:30'
    >>> abstime_to_string(AbsTime(0, 0))
    '1970-01-01T00:00:00-00:00'
    """
    tzsecs = t.offset
    tm = _gmtime(t.secs + t.offset)
    if tzsecs > 0:
        sign = "+"
    else:
        sign = "-"
        tzsecs = -tzsecs
    return (f"{tm.tm_year}-{tm.tm_mon:02d}-{tm.tm_mday:02d}T{tm.tm_hour:02d}:{tm.tm_min:02d}:"
            f"{tm.tm_sec:02d}{sign}{tzsecs // 3600:02d}:{(tzsecs // 60) % 60:02d}")


def reltime_to_string(secs: float) -> str:
    """The text inside ``relTime("...")``: ``[-][D+]HH:MM:SS`` with leading zero fields dropped.

    >>> reltime_to_string(90), reltime_to_string(-3600), reltime_to_string(86400.5)
    ('01:30', '-01:00:00', '1+00:00:0.5')
    """
    sign = ""
    if secs < 0:
        sign = "-"
        secs = -secs
    frac = secs - math.floor(secs) if math.isfinite(secs) else math.nan
    days = c_trunc32(secs)
    hrs = _cmod(days, 86400)
    mins = _cmod(hrs, 3600)
    rest = _cmod(mins, 60) + frac
    days = _cdiv(days, 86400)
    hrs = _cdiv(hrs, 3600)
    mins = _cdiv(mins, 60)
    whole = frac == 0
    last = f"{int(rest):02d}" if whole else f"{rest:02g}"
    if days:
        text = f"{days}+{hrs:02d}:{mins:02d}:{last}"
    elif hrs:
        text = f"{hrs:02d}:{mins:02d}:{last}"
    elif mins:
        text = f"{mins:02d}:{last}"
    else:
        text = last
    return sign + text


def _atoi(b: bytes) -> int:
    """C ``atoi``: optional blanks and sign, then as many digits as there are."""
    i, n = 0, len(b)
    while i < n and b[i] in _SPACE:
        i += 1
    neg = False
    if i < n and b[i] in b"+-":
        neg = b[i] == 0x2D
        i += 1
    start = i
    while i < n and b[i] in _DIGITS:
        i += 1
    value = int(b[start:i]) if i > start else 0
    return -value if neg else value


def _take_zone(b: bytearray):
    """Remove a trailing ``±hhmm`` from *b*; return (hours, minutes) or None."""
    zone = bytes(b[len(b) - 5:])
    if len(zone) == 5 and zone[0] in b"+-" and all(c in _DIGITS for c in zone[1:]):
        del b[len(b) - 5:]
        hrs, mins = int(zone[1:3]), int(zone[3:5])
        return (hrs, mins) if zone[0] == 0x2B else (-hrs, -mins)
    return None


def parse_abstime_string(s: str) -> AbsTime | None:
    """Read the text of an ``absTime("...")`` literal; None if it is not valid.

    Any non-digits may separate the fields ``YYYY MM DD hh mm ss``, which
    may be cut short; a trailing ``Z``, ``±hhmm`` or ``±hh:mm`` gives the
    zone, else the time is local.  Out-of-range fields roll over as C's
    ``mktime`` makes them (``2020-02-30`` is March 1st).

    >>> parse_abstime_string("2020-01-02T03:04:05+01:30")
    AbsTime(1577928845, 5400)
    >>> parse_abstime_string("no digits") is None
    True
    """
    b = bytearray(s.encode("utf-8", "surrogateescape"))
    n = len(b)
    i = n - 1
    while i >= 0 and b[i] in _SPACE:
        i -= 1
    zone = None
    if i > 0 and b[i] in b"zZ":
        del b[i]
        zone = (0, 0)
    elif n > 5 and b[n - 5] in b"+-":
        zone = _take_zone(b)
    elif n > 6 and b[n - 6] in b"+-" and b[n - 3] == 0x3A:
        del b[n - 3]
        zone = _take_zone(b)

    n = len(b)
    fields = [0, 0, 0, 0, 0, 0]  # year, month-1, day, hour, minute, second
    i = _next_digit(b, 0)
    if i > n - 4:
        return None
    fields[0] = _atoi(b[i:i + 4])
    i += 4
    for k in range(1, 6):
        i = _next_digit(b, i)
        if i <= n - 2:
            fields[k] = _atoi(b[i:i + 2]) - (1 if k == 1 else 0)
            i += 2
    i = _next_digit(b, i)
    if i <= n - 1 and b[i] in _DIGITS:
        return None

    year, mon, mday, hour, minute, sec = fields
    try:
        made = int(time.mktime((year, mon + 1, mday, hour, minute, sec, 0, 0, 0)))
    except (OverflowError, OSError, ValueError):
        return None
    if made == -1:
        return None
    offset = zone[0] * 3600 + zone[1] * 60 if zone is not None else local_offset(made)
    # mktime took the fields as local standard time; shift to the fields
    # read as UTC, then by the zone the text gave.
    secs = made + local_offset(made, no_dst=True) - offset
    if offset == -1:
        return None
    return AbsTime(secs, offset)


def _next_digit(b: bytes, i: int) -> int:
    n = len(b)
    while i < n and b[i] not in _DIGITS:
        i += 1
    return i


def _int_field(text: bytes) -> int:
    if not text:
        return 0
    value = int(text)
    # std::from_chars leaves its target untouched when the number overflows
    return value if value <= 0x7FFFFFFF else 0


def parse_reltime_string(s: str) -> RelTime | None:
    """Read the text of a ``relTime("...")`` literal; None if it is not valid.

    The forms are ``[-][D+][HH:][MM:]SS[.fff]`` and ``[-][Nd][Nh][Nm][N[.f]s]``,
    read from the right; blanks between the parts are allowed.

    >>> parse_reltime_string("-1+00:00:30"), parse_reltime_string("2h"), parse_reltime_string("1:2:3:4")
    (RelTime(-86430.0), RelTime(7200.0), None)
    """
    b = s.encode("utf-8", "surrogateescape")
    i = len(b) - 1

    def skip_space(i: int) -> int:
        while i >= 0 and b[i] in _SPACE:
            i -= 1
        return i

    def digits_back(i: int) -> tuple[int, bytes]:
        start = i
        while i >= 0 and b[i] in _DIGITS:
            i -= 1
        return i, b[i + 1:start + 1]

    secs = 0.0
    mins = hrs = days = 0
    i = skip_space(i)
    if i >= 0 and (b[i] in b"sS" or b[i] in _DIGITS):
        if b[i] in b"sS":
            i -= 1
        i = skip_space(i)
        i, text = digits_back(i)
        if i >= 0 and b[i] == 0x2E:
            i, whole = digits_back(i - 1)
            text = whole + b"." + text
        secs = _strtod_prefix(text)
    for units, field in ((b"mM:", "m"), (b"hH:", "h"), (b"dD+", "d")):
        i = skip_space(i)
        if i >= 0 and b[i] in units:
            i = skip_space(i - 1)
            i, text = digits_back(i)
            value = _int_field(text)
            if field == "m":
                mins = value
            elif field == "h":
                hrs = value
            else:
                days = value
    i = skip_space(i)
    negative = False
    if i >= 0 and b[i] == 0x2D:
        negative = True
        i -= 1
    i = skip_space(i)
    if i >= 0 and b[i] not in _SPACE:
        return None
    whole_secs = c_int32(c_int32(c_int32(days * 86400) + c_int32(hrs * 3600)) + c_int32(mins * 60))
    total = whole_secs + secs
    return RelTime(-total if negative else total)


def _strtod_prefix(text: bytes) -> float:
    """``strtod`` of digits with at most one point (all the seconds field can hold)."""
    if not text or text == b".":
        return 0.0
    return float(text)
