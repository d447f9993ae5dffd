"""The operators of the ClassAd language, on values.

Pure functions from operand values to a result value, following the C++
library's ``operators.cpp``: numeric promotion (booleans count as
integers, an integer meeting a real becomes real), C integer division and
remainder, 64-bit wraparound, case-insensitive string comparison, time
arithmetic, and which type combinations are ``error``.  The evaluator
(:mod:`classad._evaluate`) handles undefined/error propagation and
short-circuiting around these.
"""

from __future__ import annotations

import math

from ._values import (
    ERROR,
    INT64_MAX,
    INT64_MIN,
    UNDEFINED,
    AbsTime,
    ListValue,
    RelTime,
    wrap64,
)

_ARITH = frozenset({"+", "-", "*", "/", "%"})
_COMPARE = frozenset({"<", "<=", ">", ">=", "==", "!="})


def bool_equiv(v):
    """``True``/``False`` for booleans and numbers, ``None`` for anything else."""
    t = type(v)
    if t is bool:
        return v
    if t is int or t is float:
        return v != 0
    return None


_NUMERIC = (int, float, bool)


def _coerce(a, b):
    """Numeric promotion: returns (a, b, kind) with kind int, float, or a marker."""
    ta, tb = type(a), type(b)
    if ta is bool:
        a, ta = int(a), int
    if tb is bool:
        b, tb = int(b), int
    if ta is int and tb is int:
        return a, b, int
    if ta is float and tb is float:
        return a, b, float
    if ta is int and tb is float:
        return float(a), b, float
    if ta is float and tb is int:
        return a, float(b), float
    return a, b, None


def _kind(v):
    """The C++ coerceToNumber classification for non-numeric operands."""
    t = type(v)
    if t is str:
        return "string"
    if t is ListValue:
        return "list"
    if t is AbsTime:
        return "abs"
    if t is RelTime:
        return "rel"
    if getattr(v, "_attrs", None) is not None:
        return "classad"
    return None


def _classify(a, b):
    ka, kb = _kind(a), _kind(b)
    for k in ("classad", "list", "string"):
        if ka == k or kb == k:
            return k
    for k in ("abs", "rel"):
        if ka == k or kb == k:
            return k
    return None


def arithmetic(op: str, a, b):
    """Binary ``+ - * / %`` on two non-exceptional values."""
    ta, tb = type(a), type(b)
    if ta is int and tb is int:
        if op == "+":
            return wrap64(a + b)
        if op == "-":
            return wrap64(a - b)
        if op == "*":
            return wrap64(a * b)
        return _int_divide(op, a, b)
    ok_types = (int, float, bool, AbsTime, RelTime)
    if ta not in ok_types or tb not in ok_types:
        return ERROR
    kind = _classify(a, b)
    if kind is not None:
        return _time_arithmetic(op, a, b)
    a, b, k = _coerce(a, b)
    if k is int:
        if op == "+":
            return wrap64(a + b)
        if op == "-":
            return wrap64(a - b)
        if op == "*":
            return wrap64(a * b)
        return _int_divide(op, a, b)
    return _real_arithmetic(op, a, b)


def _int_divide(op, a, b):
    if a == INT64_MIN and b == -1:
        return INT64_MAX if op == "/" else 0
    if b == 0:
        return ERROR
    q = abs(a) // abs(b)
    if (a < 0) != (b < 0):
        q = -q
    if op == "/":
        return wrap64(q)
    return a - b * q


def _real_arithmetic(op, a, b):
    if op == "%":
        return ERROR
    if op == "+":
        r = a + b
    elif op == "-":
        r = a - b
    elif op == "*":
        r = a * b
    else:
        if b == 0.0:
            if a == 0.0 or a != a:
                return math.nan
            r = math.copysign(math.inf, a) * math.copysign(1.0, b)
        else:
            r = a / b
    if r == math.inf:
        return ERROR  # the library treats +HUGE_VAL as a range error
    return r


def _time_arithmetic(op, a, b):
    ta, tb = type(a), type(b)
    if op == "+":
        if ta is AbsTime and tb is RelTime:
            return AbsTime(a.secs + _trunc32(b.secs), a.offset)
        if ta is RelTime and tb is AbsTime:
            return AbsTime(b.secs + _trunc32(a.secs), b.offset)
        if ta is RelTime and tb is RelTime:
            return RelTime(a.secs + b.secs)
    elif op == "-":
        if ta is AbsTime and tb is AbsTime:
            return RelTime(float(a.secs - b.secs))
        if ta is AbsTime and tb is RelTime:
            return AbsTime(a.secs - _trunc32(b.secs), a.offset)
        if ta is RelTime and tb is RelTime:
            return RelTime(a.secs - b.secs)
    elif op in ("*", "/"):
        if ta is RelTime and tb in (int, float):
            if op == "*":
                return RelTime(a.secs * b)
            if b == 0:
                return RelTime(math.copysign(math.inf, a.secs) if a.secs else math.nan)
            return RelTime(a.secs / b)
        if ta is int and tb is RelTime and op == "*":
            return RelTime(a * b.secs)
        if ta is float and tb is RelTime and op == "*":
            return RelTime(a * b.secs)
    return ERROR


def _trunc32(x: float) -> int:
    """C's ``(int)`` cast of a double: truncate, then wrap to 32 bits."""
    if x != x or x in (math.inf, -math.inf):
        return INT64_MIN  # undefined behaviour in C; pick something stable
    n = int(x) & 0xFFFFFFFF
    return n - (1 << 32) if n & (1 << 31) else n


def _bytes_cmp(a: str, b: str, fold: bool) -> int:
    if fold:
        a = a.lower() if a.isascii() else _ascii_lower(a)
        b = b.lower() if b.isascii() else _ascii_lower(b)
    if a == b:
        return 0
    ab, bb = a.encode("utf-8", "surrogateescape"), b.encode("utf-8", "surrogateescape")
    return -1 if ab < bb else (1 if ab > bb else 0)


def _ascii_lower(s: str) -> str:
    return "".join(c.lower() if c.isascii() else c for c in s)


_CMP_RESULT = {
    "<": lambda c: c < 0, "<=": lambda c: c <= 0, ">": lambda c: c > 0, ">=": lambda c: c >= 0,
    "==": lambda c: c == 0, "!=": lambda c: c != 0, "is": lambda c: c == 0, "isnt": lambda c: c != 0,
}


def compare(op: str, a, b):
    """A comparison (``< <= > >= == !=``) on two non-exceptional values."""
    ta, tb = type(a), type(b)
    if ta is tb and (ta is int or ta is float):
        c = (a > b) - (a < b)
        if ta is float and (a != a or b != b):
            return op == "!="
        return _CMP_RESULT[op](c)
    kind = _classify(a, b)
    if kind is None:
        a, b, k = _coerce(a, b)
        if k is float and (a != a or b != b):
            return op == "!="
        return _CMP_RESULT[op]((a > b) - (a < b))
    if kind == "string":
        if ta is not str or tb is not str:
            return ERROR
        return _CMP_RESULT[op](_bytes_cmp(a, b, True))
    if kind in ("list", "classad"):
        return ERROR
    if kind == "abs":
        if ta is not AbsTime or tb is not AbsTime:
            return ERROR
        return _CMP_RESULT[op]((a.secs > b.secs) - (a.secs < b.secs))
    if ta is not RelTime or tb is not RelTime:
        return ERROR
    return _CMP_RESULT[op]((a.secs > b.secs) - (a.secs < b.secs))


def meta_equal(a, b) -> bool:
    """``a is b``: same type and same value, strings compared with case."""
    ta, tb = type(a), type(b)
    if ta is not tb:
        if _kind(a) == "classad" and _kind(b) == "classad":
            return ERROR
        return False
    if a is UNDEFINED or a is ERROR or b is UNDEFINED or b is ERROR:
        return a is b
    if ta is str:
        return a == b
    if ta is float:
        return a == b
    if ta is AbsTime:
        return a.secs == b.secs and a.offset == b.offset
    if ta is RelTime:
        return a.secs == b.secs
    if ta is ListValue or _kind(a) == "classad":
        return ERROR
    return a == b


def bitwise(op: str, a, b):
    if type(a) is not int or type(b) is not int:
        return ERROR
    if op == "&":
        return a & b
    if op == "|":
        return a | b
    if op == "^":
        return a ^ b
    if op == "<<":
        if b < 0 or b >= 64:
            b &= 63  # x86 masks the shift count
        return wrap64(a << b)
    if op == ">>":
        if a >= 0:
            return a >> (b & 63) if not 0 <= b < 64 else a >> b
        return a >> min(max(b, 0), 64) if b >= 0 else a
    # >>> : logical shift
    if a >= 0:
        return a >> (b & 63) if not 0 <= b < 64 else a >> b
    val = (a >> 1) & INT64_MAX
    shift = b - 1
    if shift < 0 or shift >= 64:
        shift &= 63
    return val >> shift


def _logical_operand(v):
    t = type(v)
    if t is bool or v is UNDEFINED or v is ERROR:
        return v
    if t is int or t is float:
        return v != 0
    return None  # not usable in a logical operation


def logical_and(a, b):
    a, b = _logical_operand(a), _logical_operand(b)
    if a is None or b is None:
        return ERROR
    if a is False:
        return False
    if a is ERROR:
        return ERROR
    if a is True:
        return b
    if type(b) is not bool:
        return b
    return False if b is False else UNDEFINED


def logical_or(a, b):
    a, b = _logical_operand(a), _logical_operand(b)
    if a is None or b is None:
        return ERROR
    if a is True:
        return True
    if a is ERROR:
        return ERROR
    if a is False:
        return b
    if type(b) is not bool:
        return b
    return True if b else UNDEFINED


def unary(op: str, v):
    t = type(v)
    if op == "+":
        if t is bool or t is str or t is ListValue or t is AbsTime or _kind(v) == "classad":
            return ERROR
        return v
    if v is ERROR:
        return ERROR
    if v is UNDEFINED:
        return UNDEFINED
    if op == "-":
        if t is int:
            return wrap64(-v)
        if t is float:
            return -v
        if t is RelTime:
            return RelTime(-v.secs)
        return ERROR
    if op == "~":
        return ~v if t is int else ERROR
    # '!'
    b = _logical_operand(v)
    if b is None:
        return ERROR
    return not b


def strict_binary(op: str, a, b):
    """A strict binary operator (arithmetic, comparison, bitwise) on two values."""
    if a is ERROR or b is ERROR:
        return ERROR
    if a is UNDEFINED or b is UNDEFINED:
        return UNDEFINED
    if op in _ARITH:
        return arithmetic(op, a, b)
    if op in _COMPARE:
        return compare(op, a, b)
    return bitwise(op, a, b)


def meta_op(op: str, a, b):
    r = meta_equal(a, b)
    if r is ERROR:
        return ERROR
    return r if op == "is" else not r
