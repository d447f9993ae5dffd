"""Type tests (``isString`` ...) and conversions (``int``, ``real``, ``string``, ``bool``).

A relative-time *literal* such as ``relTime("1:00")`` evaluates to a real
in the C++ library, so ``isReal`` is true of it and ``isRelTime`` false;
a relative time computed by ``relTime(60)`` is a relative time.
"""

from __future__ import annotations

from .._values import ERROR, UNDEFINED, AbsTime, ListValue, RelTime
from . import builtin
from ._common import c_trunc32, is_classad, to_int, to_real, to_string


def _type_test(name: str, test):
    @builtin(name, 1)
    def impl(state, args):
        return test(args[0])

    impl.__name__ = name
    return impl


_type_test("isUndefined", lambda v: v is UNDEFINED)
_type_test("isError", lambda v: v is ERROR)
_type_test("isString", lambda v: type(v) is str)
_type_test("isInteger", lambda v: type(v) is int)
_type_test("isReal", lambda v: type(v) is float)
_type_test("isList", lambda v: type(v) is ListValue)
_type_test("isClassAd", is_classad)
_type_test("isBoolean", lambda v: type(v) is bool)
_type_test("isAbsTime", lambda v: type(v) is AbsTime)
_type_test("isRelTime", lambda v: type(v) is RelTime)


@builtin("int", 1)
def int_(state, args):
    return to_int(args[0])


@builtin("real", 1)
def real(state, args):
    return to_real(args[0])


@builtin("string", 1)
def string(state, args):
    return to_string(args[0])


@builtin("bool", 1)
def bool_(state, args):
    v = args[0]
    t = type(v)
    if t is bool:
        return v
    if t is int or t is float:
        return v != 0
    if t is str:
        word = v.lower() if v.isascii() else None
        if word == "true":
            return True
        if word == "false":
            return False
        return UNDEFINED
    if t is RelTime:
        return c_trunc32(v.secs) != 0
    if v is UNDEFINED:
        return UNDEFINED
    return ERROR
