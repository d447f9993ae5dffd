"""List functions: membership, size, sums and bounds, and element-wise comparison.

>>> import classad
>>> classad.ExprTree('member("A", {"a", "b"})').eval(), classad.ExprTree('avg({1, 2})').eval()
(True, 1.5)
"""

from __future__ import annotations

from .._values import ERROR, UNDEFINED, ListValue
from . import builtin
from ._common import is_classad, is_number, iter_items, operate, to_bytes


def _member(state, args, op: str):
    item, lv = args
    if lv is UNDEFINED or (op == "==" and item is UNDEFINED):
        return UNDEFINED
    if type(lv) is not ListValue or type(item) is ListValue or is_classad(item):
        return ERROR
    if op == "==" and item is ERROR:
        return ERROR
    for element in iter_items(state, lv):
        if operate(op, element, item) is True:
            return True
    return False


@builtin("member", 2)
def member(state, args):
    return _member(state, args, "==")


@builtin("identicalMember", 2)
def identical_member(state, args):
    return _member(state, args, "is")


@builtin("size", 1)
def size(state, args):
    v = args[0]
    t = type(v)
    if t is str:
        return len(to_bytes(v))
    if t is ListValue:
        return len(v.exprs)
    if v is UNDEFINED:
        return UNDEFINED
    if is_classad(v):
        return len(v)
    return ERROR


def _sum(state, lv):
    """(sum, count) of the defined elements, or (ERROR, 0) if one is not a number."""
    total = 0
    count = 0
    first = True
    for element in iter_items(state, lv):
        if element is UNDEFINED:
            continue
        if not is_number(element):
            return ERROR, 0
        count += 1
        if first:
            total = element
            first = False
        else:
            total = operate("+", total, element)
    return total, count


def _list_arg(v):
    if v is UNDEFINED:
        return UNDEFINED
    if type(v) is not ListValue:
        return ERROR
    return None


@builtin("sum", 1)
def sum_(state, args):
    bad = _list_arg(args[0])
    if bad is not None:
        return bad
    return _sum(state, args[0])[0]


@builtin("avg", 1)
def avg(state, args):
    bad = _list_arg(args[0])
    if bad is not None:
        return bad
    total, count = _sum(state, args[0])
    if total is ERROR or count == 0:
        return total
    return operate("/", total, float(count))


def _promote(a, b):
    """C++ coerceToNumber, which converts both operands in place before comparing."""
    if type(a) is bool:
        a = int(a)
    if type(b) is bool:
        b = int(b)
    if type(a) is float and type(b) is int:
        b = float(b)
    elif type(a) is int and type(b) is float:
        a = float(a)
    return a, b


def _bound(state, args, smaller: bool):
    bad = _list_arg(args[0])
    if bad is not None:
        return bad
    result = UNDEFINED
    first = True
    for element in iter_items(state, args[0]):
        if element is UNDEFINED:
            continue
        if not is_number(element):
            return ERROR
        if first:
            result = element
            first = False
            continue
        element, result = _promote(element, result)
        if (element < result) if smaller else (element > result):
            result = element
    return result


@builtin("min", 1)
def min_(state, args):
    return _bound(state, args, True)


@builtin("max", 1)
def max_(state, args):
    return _bound(state, args, False)


_COMPARISONS = frozenset({"<", "<=", "!=", "==", ">", ">=", "is", "isnt"})


def _list_compare(state, args, need_all: bool):
    op, lv, value = args
    if op is UNDEFINED:
        return UNDEFINED
    if type(op) is not str or op not in _COMPARISONS:
        return ERROR
    bad = _list_arg(lv)
    if bad is not None:
        return bad
    for element in iter_items(state, lv):
        r = operate(op, element, value)
        if r is UNDEFINED:
            return False
        if type(r) is not bool:
            return ERROR
        if r != need_all:
            return r
    return need_all


@builtin("anyCompare", 3)
def any_compare(state, args):
    return _list_compare(state, args, False)


@builtin("allCompare", 3)
def all_compare(state, args):
    return _list_compare(state, args, True)
