"""Numeric functions: ``floor``, ``ceil``/``ceiling``, ``round``, ``pow``, ``quantize``, ``random``.

Results that must be integers go through C's ``(long long)`` cast, so a
value out of range (or NaN) becomes the smallest 64-bit integer, as it
does in HTCondor on x86.

>>> import classad
>>> classad.ExprTree('round(2.5)').eval(), classad.ExprTree('quantize(9, {1, 2, 4, 8})').eval()
(2, 16)
"""

from __future__ import annotations

import math
import random as _random

from .._values import ERROR, ListValue, wrap64
from . import builtin
from ._common import c_int32, c_trunc64, eval_failure, iter_items, to_real


def _rounding(name: str, fn):
    @builtin(name, 1)
    def impl(state, args):
        v = args[0]
        if type(v) is int:
            return v
        r = to_real(v)
        if type(r) is not float:
            return ERROR
        return c_trunc64(fn(r)) if math.isfinite(r) else c_trunc64(r)

    impl.__name__ = name
    return impl


_rounding("floor", lambda r: float(math.floor(r)))
_rounding("ceil", lambda r: float(math.ceil(r)))
_rounding("ceiling", lambda r: float(math.ceil(r)))
# C's rint rounds halves to even, as Python's round does
_rounding("round", lambda r: float(round(r)))


def c_pow(x: float, y: float) -> float:
    """C ``pow``: infinities and NaN instead of Python's exceptions."""
    try:
        return math.pow(x, y)
    except OverflowError:
        odd = y == math.floor(y) and math.fmod(y, 2.0) != 0.0
        return -math.inf if x < 0 and odd else math.inf
    except ValueError:
        if x == 0.0 and y < 0:
            odd = y == math.floor(y) and math.fmod(y, 2.0) != 0.0
            return math.copysign(math.inf, x) if odd else math.inf
        return math.nan


@builtin("pow", 2)
def pow_(state, args):
    base, exp = args
    if type(base) is int and type(exp) is int and exp >= 0:
        return c_trunc64(c_pow(float(base), float(exp)) + 0.5)
    rb, re_ = to_real(base), to_real(exp)
    if type(rb) is not float or type(re_) is not float:
        return ERROR
    return c_pow(rb, re_)


def _ceil(x: float) -> float:
    """C ``ceil``: infinities and NaN pass through, and -0.5 gives -0.0."""
    if not math.isfinite(x):
        return x
    return math.copysign(float(math.ceil(x)), x)


def _cdiv(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return -q if (a < 0) != (b < 0) else q


@builtin("quantize", 2)
def quantize(state, args):
    value, step = args
    rval = to_real(value)
    if type(rval) is not float:
        return ERROR
    if type(step) is ListValue:
        # the first element at least as large as the value, else multiples of the last
        last = 0.0
        for element in iter_items(state, step):
            rstep = to_real(element)
            if type(rstep) is not float:
                return ERROR
            if rstep >= rval:
                return element
            last = element
        step = last
        rstep = to_real(step)
    else:
        rstep = to_real(step)
        if type(rstep) is not float:
            return ERROR
    if type(step) is int:
        if step == 0:
            return value
        if type(value) is int:
            return wrap64(_cdiv(wrap64(value + step - 1), step) * step)
        return _ceil(rval / step) * step
    if -1e-8 <= rstep <= 1e-8:
        return value
    return _ceil(rval / rstep) * rstep


_INT_MAX = 0x7FFFFFFF


@builtin("random", 0, 1)
def random(state, args):
    limit = args[0] if args else 1.0
    if type(limit) is int:
        top = c_int32(limit)
        if top <= 0:
            raise eval_failure("random() needs a positive limit")
        return _random.getrandbits(31) % top
    if type(limit) is float:
        if limit <= 0:
            raise eval_failure("random() needs a positive limit")
        return limit * (_random.getrandbits(31) / _INT_MAX)
    return ERROR
