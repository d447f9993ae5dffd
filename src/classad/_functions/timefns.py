"""Time functions: the clock, conversions to and from times, fields, and formatting.

Absolute times are seconds since the epoch with the zone offset they are
shown in; relative times are (possibly fractional) seconds.  "Local" is
the process's time zone.  Many arguments pass through C ``int`` on the way,
so values beyond 32 bits wrap as they do in HTCondor.

>>> import classad
>>> classad.ExprTree('interval(90061)').eval(), classad.ExprTree('getHours(relTime(7200))').eval()
('1+01:01:01', 2)
"""

from __future__ import annotations

import math
import time

from .._timefmt import local_offset
from .._values import ERROR, UNDEFINED, AbsTime, RelTime
from . import builtin
from ._common import c_int32, c_trunc32, eval_failure, is_classad, make_classad, to_int
from ._strftime import CTime, c_strftime


def _cdiv(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return -q if (a < 0) != (b < 0) else q


def _cmod(a: int, b: int) -> int:
    return a - b * _cdiv(a, b)


def _now_abstime() -> AbsTime:
    now = int(time.time())
    return AbsTime(now, local_offset(now))


@builtin("time", 0)
def time_(state, args):
    return int(time.time())


@builtin("currentTime", 0)
def current_time(state, args):
    return _now_abstime()


@builtin("timeZoneOffset", 0)
def time_zone_offset(state, args):
    return RelTime(float(local_offset(int(time.time()))))


@builtin("dayTime", 0)
def day_time(state, args):
    tm = time.localtime()
    return RelTime(float(tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec))


# -- absTime() and relTime() -----------------------------------------------------

def _offset_arg(v):
    """The zone offset given as absTime's second argument, or None if unusable."""
    t = type(v)
    if t is int:
        return c_int32(v)
    if t is float:
        return c_trunc32(v)
    if t is RelTime:
        return c_trunc32(v.secs)
    return None


def _to_time(args, relative: bool):
    v = args[0]
    offset = None
    if len(args) == 2:
        offset = _offset_arg(args[1])
        if offset is None:
            return ERROR
    t = type(v)
    if v is UNDEFINED:
        return UNDEFINED
    if t is int or t is float:
        secs = c_int32(v) if t is int else c_trunc32(v)
        if relative:
            return RelTime(float(secs) if t is int else v)
        if offset is None:
            offset = local_offset(secs)
            if offset == -1 and t is int:
                raise eval_failure("no zone offset for the time")
        return AbsTime(secs, offset)
    if t is str or t is AbsTime:
        # a string reaches here only when it was computed (a literal string
        # is read at parse time); the library then returns it unchanged
        if relative:
            return RelTime(float(v.secs) if t is AbsTime else 0.0)
        return v
    if t is RelTime:
        if relative:
            return v
        secs = c_trunc32(v.secs)
        return AbsTime(secs, local_offset(secs) if offset is None else offset)
    return ERROR


@builtin("absTime", 0, 2)
def abs_time(state, args):
    if not args:
        return _now_abstime()
    return _to_time(args, False)


@builtin("relTime", 1)
def rel_time(state, args):
    return _to_time(args, True)


# -- fields of a time --------------------------------------------------------------

def _field_getter(name: str, abs_field, rel_field):
    @builtin(name, 1)
    def impl(state, args):
        v = args[0]
        if type(v) is AbsTime:
            if abs_field is None:
                return ERROR
            try:
                tm = time.localtime(v.secs)
            except (OverflowError, OSError, ValueError):
                return ERROR
            return abs_field(tm)
        if type(v) is RelTime:
            if rel_field is None:
                return ERROR
            return rel_field(c_trunc32(v.secs))
        return ERROR

    impl.__name__ = name
    return impl


_field_getter("getYear", lambda tm: tm.tm_year, None)
_field_getter("getMonth", lambda tm: tm.tm_mon, None)
_field_getter("getDayOfYear", lambda tm: tm.tm_yday - 1, None)
_field_getter("getDayOfMonth", lambda tm: tm.tm_mday, None)
_field_getter("getDayOfWeek", lambda tm: (tm.tm_wday + 1) % 7, None)
_field_getter("getDays", None, lambda s: _cdiv(s, 86400))
_field_getter("getHours", lambda tm: tm.tm_hour, lambda s: _cdiv(_cmod(s, 86400), 3600))
_field_getter("getMinutes", lambda tm: tm.tm_min, lambda s: _cdiv(_cmod(s, 3600), 60))
_field_getter("getSeconds", lambda tm: tm.tm_sec, lambda s: _cmod(s, 60))


# -- splitTime() and formatTime() ----------------------------------------------------

def _abs_fields(secs: int, offset: int) -> list:
    """(name, value) pairs of the split of an absolute time, in its own offset."""
    try:
        tm = time.gmtime(secs + offset)
    except (OverflowError, OSError, ValueError):
        tm = time.gmtime(0)
    return [
        ("Type", "AbsoluteTime"), ("Year", tm.tm_year), ("Month", tm.tm_mon),
        ("Day", tm.tm_mday), ("Hours", tm.tm_hour), ("Minutes", tm.tm_min),
        ("Seconds", tm.tm_sec), ("Offset", offset),
    ]


def _instant(v):
    """(secs, offset) for the values splitTime reads as absolute times, else None."""
    t = type(v)
    if t is int or t is float:
        secs = c_int32(v) if t is int else c_trunc32(v)
        return secs, local_offset(secs)
    if t is AbsTime:
        return v.secs, v.offset
    return None


def _split_rel(rsecs: float):
    negative = rsecs < 0
    if negative:
        rsecs = -rsecs
    whole = c_trunc32(rsecs)
    frac = rsecs - math.floor(rsecs) if math.isfinite(rsecs) else math.nan
    days, hrs, mins = _cdiv(whole, 86400), _cdiv(_cmod(whole, 86400), 3600), _cdiv(_cmod(whole, 3600), 60)
    secs = _cmod(whole, 60) + frac
    if negative:
        # only the leading non-zero field carries the sign
        if days > 0:
            days = -days
        elif hrs > 0:
            hrs = -hrs
        elif mins > 0:
            mins = -mins
        else:
            secs = -secs
    return make_classad([
        ("Type", "RelativeTime"), ("Days", days), ("Hours", hrs), ("Minutes", mins),
        ("Seconds", secs),
    ])


def _split(v):
    """The ClassAd splitTime makes of *v*, or None if *v* is not a time."""
    if type(v) is RelTime:
        return _split_rel(v.secs)
    instant = _instant(v)
    return None if instant is None else make_classad(_abs_fields(*instant))


@builtin("splitTime", 1)
def split_time(state, args):
    v = args[0]
    if v is UNDEFINED:
        return UNDEFINED
    if is_classad(v):
        return ERROR
    ad = _split(v)
    return ERROR if ad is None else ad


def _fixed_from_gregorian(year: int, month: int, day: int) -> int:
    """Days since the proleptic Gregorian epoch (C int arithmetic, as HTCondor computes it)."""
    if month <= 2:
        adjust = 0
    elif year % 4 == 0 and year % 400 not in (100, 200, 300):
        adjust = -1
    else:
        adjust = -2
    y = year - 1
    return (365 * y + _cdiv(y, 4) - _cdiv(y, 100) + _cdiv(y, 400)
            + _cdiv(367 * month - 362, 12) + adjust + day)


def _ad_int(state, ad, name: str):
    entry = ad._attrs.get(name.lower())
    if entry is None:
        return None
    v = state.eval(entry[1], ad)
    return c_int32(v) if type(v) is int else None


def _fields_of(get) -> CTime:
    """The struct tm that formatTime builds from a split time (missing fields are 0).

    *get* gives a field's value by name, or None.
    """
    def field(name: str, adjust: int = 0) -> int:
        v = get(name)
        return 0 if v is None else v + adjust

    year = get("Year")
    tm = CTime(year=1900 if year is None else year,
               mon=field("Month", -1), mday=field("Day"), hour=field("Hours"),
               min=field("Minutes"), sec=field("Seconds"))
    fixed = _fixed_from_gregorian(tm.year, tm.mon + 1, tm.mday)
    tm.wday = _cmod(fixed, 7)
    tm.yday = fixed - _fixed_from_gregorian(tm.year, 1, 1)
    return tm


@builtin("formatTime", 0, 2)
def format_time(state, args):
    if not args:
        now = time.localtime()
        tm = CTime(year=now.tm_year, mon=now.tm_mon - 1, mday=now.tm_mday, hour=now.tm_hour,
                   min=now.tm_min, sec=now.tm_sec, wday=(now.tm_wday + 1) % 7,
                   yday=now.tm_yday - 1, isdst=now.tm_isdst, gmtoff=now.tm_gmtoff,
                   zone=now.tm_zone)
        return c_strftime("%c", tm)
    v = args[0]
    if is_classad(v):
        tm = _fields_of(lambda name: _ad_int(state, v, name))
    else:
        instant = _instant(v)
        if instant is None:
            return ERROR
        tm = _fields_of(dict(_abs_fields(*instant)).get)
    if len(args) == 1:
        return c_strftime("%c", tm)
    if type(args[1]) is not str:
        return ERROR
    return c_strftime(args[1], tm)


@builtin("interval", 1)
def interval(state, args):
    n = to_int(args[0])
    if type(n) is not int:
        return ERROR
    total = c_int32(n)
    days = _cdiv(total, 86400)
    total = _cmod(total, 86400)
    hours = _cdiv(total, 3600)
    total = _cmod(total, 3600)
    mins = _cdiv(total, 60)
    secs = _cmod(total, 60)
    if days:
        return f"{days}+{abs(hours):02d}:{abs(mins):02d}:{abs(secs):02d}"
    if hours:
        return f"{hours}:{abs(mins):02d}:{abs(secs):02d}"
    if mins:
        return f"{mins}:{abs(secs):02d}"
    return str(secs)

