"""Conversion between Python objects and ClassAd values and trees.

Python to ClassAd (what ``ad[key] = value`` and ``classad.Literal`` do):
``None`` is undefined, ``bool``/``int``/``float``/``str`` the matching
literal, ``datetime`` an absolute time, a mapping a nested ClassAd, any
other iterable a list, and an :class:`~classad.ExprTree` its own tree.

ClassAd to Python (what ``eval`` and ``ad[key]`` return): scalars become
the Python scalar, undefined and error the :class:`~classad.Value` members,
absolute times a naive local ``datetime``, relative times seconds as a
``float``, lists a ``list`` and ads a ``dict``.  Inside lists and dicts an
element that is not a literal stays an unevaluated ``ExprTree``.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Mapping

from ._errors import ClassAdInternalError, ClassAdValueError
from ._nodes import ListExpr, Literal, Node, RecordExpr, RelTimeLiteral
from ._values import ERROR, UNDEFINED, AbsTime, ListValue, RelTime, Value, wrap64


def python_to_node(value) -> Node:
    """The expression tree for a Python object (see the module docstring)."""
    from ._exprtree import ExprTree

    if value is None:
        return Literal(UNDEFINED)
    t = type(value)
    if t is ExprTree:
        return value._node
    if t is Value or isinstance(value, Value):
        if value is ERROR:
            return Literal(ERROR)
        if value is UNDEFINED:
            return Literal(UNDEFINED)
        raise ClassAdInternalError("Unknown ClassAd Value type.")
    if t is bool:
        return Literal(value)
    if t is str:
        return Literal(value)
    if t is bytes:
        return Literal(value.decode("utf-8", "surrogateescape"))
    if t is int:
        if not -(1 << 63) <= value < (1 << 63):
            raise OverflowError("Python int too large to convert to C long")
        return Literal(value)
    if t is float:
        return Literal(value)
    if isinstance(value, ExprTree):
        return value._node
    if isinstance(value, bool):
        return Literal(bool(value))
    if isinstance(value, int):
        return Literal(wrap64(int(value)))
    if isinstance(value, float):
        return Literal(float(value))
    if isinstance(value, str):
        return Literal(str(value))
    if isinstance(value, datetime.datetime):
        secs = calendar.timegm(value.timetuple())
        secs -= _local_offset(secs)
        return Literal(AbsTime(secs, 0))
    attrs = getattr(value, "_attrs", None)
    if attrs is not None:  # a ClassAd: copy its attributes
        return RecordExpr(dict(attrs))
    if isinstance(value, Mapping) or (hasattr(value, "keys") and hasattr(value, "__getitem__")):
        record = {}
        for key in value.keys():
            k = str(key)
            old = record.get(k.lower())
            record[k.lower()] = (old[0] if old else k, python_to_node(value[key]))
        return RecordExpr(record)
    try:
        iterator = iter(value)
    except TypeError:
        raise ClassAdValueError("Unable to convert Python object to a ClassAd expression.") from None
    return ListExpr(tuple(python_to_node(v) for v in iterator))


def _local_offset(secs: int) -> int:
    """The local zone's offset from UTC, in seconds, at *secs*."""
    local = datetime.datetime.fromtimestamp(secs)
    utc = datetime.datetime.fromtimestamp(secs, datetime.UTC).replace(tzinfo=None)
    return int((local - utc).total_seconds())


def value_to_python(v):
    """The Python object for a runtime value (the result of ``eval``)."""
    t = type(v)
    if t is int or t is float or t is str or t is bool:
        return v
    if v is UNDEFINED or v is ERROR:
        return v
    if t is AbsTime:
        return datetime.datetime.fromtimestamp(v.secs)
    if t is RelTime:
        return float(v.secs)
    if t is ListValue:
        return [node_to_python(n, None) for n in v.exprs]
    attrs = getattr(v, "_attrs", None)
    if attrs is not None:
        return {name: node_to_python(node, None) for name, node in _ordered(attrs)}
    raise ClassAdValueError(f"cannot convert {v!r} to Python")


def _ordered(attrs: dict):
    from ._unparse import sorted_attrs

    return sorted_attrs(attrs)


def node_to_python(node: Node, scope):
    """What the API hands out for a stored expression.

    Literals, lists and nested ads are evaluated and converted; anything
    else comes back as an ``ExprTree`` (bound to *scope*).
    """
    t = type(node)
    if t is Literal:
        return value_to_python(node.value)
    if t is RelTimeLiteral:
        return float(node.value.secs)
    if t is ListExpr:
        return [node_to_python(n, None) for n in node.items]
    if t is RecordExpr:
        return {name: node_to_python(n, None) for name, n in _ordered(node.attrs)}
    from ._exprtree import ExprTree

    return ExprTree._wrap(node, scope)
