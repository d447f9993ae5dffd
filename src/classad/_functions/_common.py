"""Helpers shared by the function families: C number rules and value conversions.

The conversions mirror the C++ library's ``convertValueTo...Value``
helpers, which several functions use to accept arguments of any scalar
type: each returns the converted value, or ``UNDEFINED``/``ERROR`` when the
argument cannot be converted.  The library's integers are C ``long long``
and its casts from ``double`` truncate; where a function reads an argument
into a C ``int`` the narrowing is explicit here too.
"""

from __future__ import annotations

import math
import re

from .._errors import EvalFailure
from .._operators import meta_op, strict_binary
from .._timefmt import abstime_to_string, c_int32, c_trunc32, reltime_to_string
from .._values import ERROR, INT64_MIN, UNDEFINED, AbsTime, ListValue, RelTime

__all__ = [
    "c_int32",
    "c_trunc32",
    "c_trunc64",
    "eval_failure",
    "from_bytes",
    "is_classad",
    "is_number",
    "iter_items",
    "make_classad",
    "operate",
    "strtod",
    "to_bytes",
    "to_int",
    "to_real",
    "to_string",
]


def c_trunc64(x: float) -> int:
    """C's ``(long long)`` cast of a double; out of range (or NaN) gives INT64_MIN as on x86."""
    if math.isnan(x) or not -9.3e18 < x < 9.3e18:
        return INT64_MIN
    n = int(x)
    return n if -(1 << 63) <= n < (1 << 63) else INT64_MIN


def to_bytes(s: str) -> bytes:
    """A string value as the UTF-8 bytes the C++ library works on."""
    return s.encode("utf-8", "surrogateescape")


def from_bytes(b: bytes) -> str:
    """Bytes back to a string value (invalid UTF-8 survives as surrogates)."""
    return b.decode("utf-8", "surrogateescape")


def is_classad(v) -> bool:
    """True if *v* is a ClassAd value."""
    return getattr(v, "_attrs", None) is not None and type(v) is not ListValue


def make_classad(pairs):
    """A new ClassAd value holding the (name, value) *pairs*."""
    from .._classad import ClassAd

    ad = ClassAd()
    for name, value in pairs:
        ad[name] = value
    return ad


def eval_failure(message: str = "function failed"):
    """The exception that makes the whole evaluation fail (the C++ ``return false``)."""
    return EvalFailure(message)


def operate(op: str, a, b):
    """A binary operator as the evaluator applies it (strict, or ``is``/``isnt``)."""
    if op == "is" or op == "isnt":
        return meta_op(op, a, b)
    return strict_binary(op, a, b)


# strtod: blanks, then a decimal or hexadecimal number, inf/infinity or nan
_STRTOD = re.compile(
    r"[ \t\n\v\f\r]*([+-]?)(?:"
    r"0[xX]((?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?)"
    r"|((?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
    r"|(inf(?:inity)?|nan(?:\([0-9A-Za-z_]*\))?))",
    re.IGNORECASE)


def strtod(s: str) -> tuple[float, bool]:
    """C ``strtod`` on *s*: (value, whether any characters were used)."""
    m = _STRTOD.match(s)
    if m is None:
        return 0.0, False
    sign, hexpart, dec, word = m.groups()
    if hexpart is not None:
        text = hexpart if "p" in hexpart.lower() else hexpart + "p0"
        value = float.fromhex(text)
    elif dec is not None:
        value = float(dec)
    else:
        value = float("nan") if word[0] in "nN" else float("inf")
    return (-value if sign == "-" else value), True


def to_real(v):
    """``real(v)``: a float, or UNDEFINED/ERROR if *v* cannot be converted."""
    t = type(v)
    if t is float:
        return v
    if t is int or t is bool:
        return float(v)
    if t is str:
        value, used = strtod(v)
        if not used and value == 0.0:
            return ERROR
        return value
    if t is AbsTime:
        return float(v.secs)
    if t is RelTime:
        return float(c_trunc32(v.secs))
    if v is UNDEFINED:
        return UNDEFINED
    return ERROR


def to_int(v):
    """``int(v)``: an int, or UNDEFINED/ERROR if *v* cannot be converted."""
    t = type(v)
    if t is int:
        return v
    if t is bool:
        return int(v)
    if t is float:
        return c_trunc64(v)
    if t is str:
        value, used = strtod(v)
        n = c_trunc64(value)
        if not used and n == 0:
            return ERROR
        return n
    if t is AbsTime:
        return v.secs
    if t is RelTime:
        return c_trunc32(v.secs)
    if v is UNDEFINED:
        return UNDEFINED
    return ERROR


def to_string(v):
    """``string(v)``: the text of *v*, or UNDEFINED/ERROR for those values.

    Strings are themselves; lists, ads, numbers and booleans are unparsed
    (a list shows its element expressions, unevaluated); times use the text
    of their literals, relative times cut to whole seconds.
    """
    t = type(v)
    if t is str:
        return v
    if v is UNDEFINED:
        return UNDEFINED
    if v is ERROR:
        return ERROR
    if t is AbsTime:
        return abstime_to_string(v)
    if t is RelTime:
        return reltime_to_string(c_trunc32(v.secs))
    from .._unparse import unparse_value

    return unparse_value(v)


def iter_items(state, lv: ListValue):
    """The elements of a list value, evaluated one at a time (for early exits)."""
    scope = lv.scope
    for node in lv.exprs:
        yield state.eval(node, scope)


def is_number(v) -> bool:
    """True for booleans, integers and reals."""
    t = type(v)
    return t is int or t is float or t is bool
