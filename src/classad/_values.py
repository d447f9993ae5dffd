"""Runtime values of the ClassAd language.

The evaluator works on plain Python objects wherever one fits, because that
is what makes evaluation fast and conversion to Python free:

=================  =============================================
ClassAd type        Python representation
=================  =============================================
undefined           ``Value.Undefined`` (the singleton ``UNDEFINED``)
error               ``Value.Error`` (the singleton ``ERROR``)
boolean             ``bool``
integer             ``int`` (kept within 64 bits by :func:`wrap64`)
real                ``float``
string              ``str``
absolute time       :class:`AbsTime`
relative time       :class:`RelTime`
list                :class:`ListValue` (unevaluated element expressions)
classad             :class:`classad.ClassAd`
=================  =============================================

``bool`` is a subclass of ``int`` and ``Value`` is an ``IntEnum``, so code
that dispatches on a value's type must compare ``type(v) is int`` rather than
use ``isinstance``.
"""

from __future__ import annotations

import enum

INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1


class Value(enum.IntEnum):
    """The two non-data values of the ClassAd language.

    ``Value.Undefined`` is what a reference to a missing attribute evaluates
    to; ``Value.Error`` is the result of an ill-typed operation.  They compare
    by identity and are falsy-ambiguous, so test them with ``is``.

    >>> import classad
    >>> classad.ExprTree("nosuchattr").eval() is classad.Value.Undefined
    True
    >>> classad.ExprTree('1 + "a"').eval() is classad.Value.Error
    True
    """

    Error = 1
    Undefined = 2

    def __repr__(self) -> str:
        return f"classad.Value.{self.name}"

    def __str__(self) -> str:
        return self.name


# The official enums (Boost.Python) also offer these two lookup tables.
Value.names = {member.name: member for member in Value}
Value.values = {int(member): member for member in Value}

UNDEFINED = Value.Undefined
ERROR = Value.Error


def wrap64(n: int) -> int:
    """Wrap a Python int to signed 64-bit, as C++ ``long long`` overflow does."""
    if INT64_MIN <= n <= INT64_MAX:
        return n
    n &= 0xFFFFFFFFFFFFFFFF
    return n - (1 << 64) if n & (1 << 63) else n


class AbsTime:
    """An absolute time: seconds since the epoch plus the zone offset it was written in.

    ``secs`` is an int (UTC seconds), ``offset`` the zone offset in seconds
    east of UTC used when the value is printed.
    """

    __slots__ = ("secs", "offset")

    def __init__(self, secs: int, offset: int = 0):
        self.secs = secs
        self.offset = offset

    def __eq__(self, other: object) -> bool:
        return type(other) is AbsTime and other.secs == self.secs

    def __hash__(self) -> int:
        return hash(("abs", self.secs))

    def __repr__(self) -> str:
        return f"AbsTime({self.secs!r}, {self.offset!r})"


class RelTime:
    """A relative time (a duration) in seconds, possibly fractional."""

    __slots__ = ("secs",)

    def __init__(self, secs: float):
        self.secs = secs

    def __eq__(self, other: object) -> bool:
        return type(other) is RelTime and other.secs == self.secs

    def __hash__(self) -> int:
        return hash(("rel", self.secs))

    def __repr__(self) -> str:
        return f"RelTime({self.secs!r})"


class ListValue:
    """The value of a list expression.

    Like the C++ library, a list value holds its elements as *expressions*,
    evaluated only when an operation needs them, in the scope (a ClassAd, or
    ``None``) where the list was written.  ``exprs`` is a tuple of nodes from
    :mod:`classad._nodes`.  Use :meth:`from_values` to build one from
    already-computed values.
    """

    __slots__ = ("exprs", "scope")

    def __init__(self, exprs: tuple, scope=None):
        self.exprs = exprs
        self.scope = scope

    @classmethod
    def from_values(cls, values) -> "ListValue":
        """Wrap evaluated values (ints, strings, ClassAds, ...) as a list value."""
        to_node = _value_to_node or _bind_value_to_node()
        return cls(tuple(to_node(v) for v in values), None)

    def __len__(self) -> int:
        return len(self.exprs)

    def __repr__(self) -> str:
        return f"ListValue({self.exprs!r})"


_value_to_node = None


def _bind_value_to_node():
    # _nodes imports this module, so the converter is looked up on first use
    global _value_to_node
    from ._nodes import value_to_node

    _value_to_node = value_to_node
    return value_to_node


# Type names as the C++ library spells them in messages and in the
# conformance output ("undefined", "error", "boolean", ...).
def type_name(v) -> str:
    """The ClassAd type name of a runtime value."""
    t = type(v)
    if t is bool:
        return "boolean"
    if t is int:
        return "integer"
    if t is float:
        return "real"
    if t is str:
        return "string"
    if v is UNDEFINED:
        return "undefined"
    if v is ERROR:
        return "error"
    if t is AbsTime:
        return "absolutetime"
    if t is RelTime:
        return "relativetime"
    if t is ListValue:
        return "list"
    return "classad"


def is_number(v) -> bool:
    """True for booleans, integers and reals (the C++ ``IsNumber``)."""
    t = type(v)
    return t is int or t is float or t is bool
