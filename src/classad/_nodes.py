"""Expression tree nodes.

Nodes are passive, immutable after construction, and shared freely: the
parser caches trees by their source text, so one node may sit in thousands
of ads.  That is why a node never points at the ClassAd it lives in; the
evaluator passes the scope alongside.  The one mutable slot, ``fn``, caches
the Python closure the evaluator compiles the node into (see
:mod:`classad._evaluate`).

Operator spellings used in ``op`` fields are the new-syntax ones: ``is`` and
``isnt`` for ``=?=`` and ``=!=``, ``[]`` for subscript, ``?:`` for elvis.
"""

from __future__ import annotations

from ._values import AbsTime, ListValue, RelTime


class Node:
    """Base class of expression nodes."""

    __slots__ = ("fn",)
    FIELDS: tuple[str, ...] = ()

    def children(self) -> tuple["Node", ...]:
        return ()

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in self.FIELDS)

    def __hash__(self) -> int:
        return hash((type(self).__name__,) + tuple(_hashable(getattr(self, f)) for f in self.FIELDS))

    def __repr__(self) -> str:
        fields = ", ".join(repr(getattr(self, f)) for f in self.FIELDS)
        return f"{type(self).__name__}({fields})"


def _hashable(v):
    if isinstance(v, (list, tuple)):
        return tuple(_hashable(x) for x in v)
    if isinstance(v, dict):
        return tuple(sorted((k, _hashable(x)) for k, x in v.items()))
    if type(v) is float and v != v:
        return "nan"
    return (type(v).__name__, v)


class Literal(Node):
    """A constant: int, float, str, bool, undefined, error, AbsTime or RelTime."""

    __slots__ = ("value",)
    FIELDS = ("value",)

    def __init__(self, value):
        self.fn = None
        self.value = value

    def __eq__(self, other: object) -> bool:
        # 1 and true and 1.0 are different literals
        if type(other) is not Literal:
            return NotImplemented
        a, b = self.value, other.value
        if type(a) is not type(b):
            return False
        if type(a) is float and a != a:
            return b != b
        return a == b

    def __hash__(self) -> int:
        return hash(_hashable(self.value))


class RelTimeLiteral(Node):
    """A ``relTime("...")`` literal written in the source.

    It prints as the relative time it was written as, but -- as in HTCondor
    24.0 -- it evaluates to its number of seconds as a *real*, unlike a
    relative time computed at run time (``relTime(60)``).
    """

    __slots__ = ("value",)
    FIELDS = ("value",)

    def __init__(self, value):
        self.fn = None
        self.value = value


class Attr(Node):
    """An attribute reference: ``name``, ``.name`` (absolute) or ``base.name``."""

    __slots__ = ("name", "base", "absolute", "key")
    FIELDS = ("key", "base", "absolute")

    def __init__(self, name: str, base: Node | None = None, absolute: bool = False):
        self.fn = None
        self.name = name
        self.key = name.lower()
        self.base = base
        self.absolute = absolute

    def children(self):
        return (self.base,) if self.base is not None else ()


class Unary(Node):
    """A prefix operator: ``-``, ``+``, ``~`` or ``!``."""

    __slots__ = ("op", "operand")
    FIELDS = ("op", "operand")

    def __init__(self, op: str, operand: Node):
        self.fn = None
        self.op = op
        self.operand = operand

    def children(self):
        return (self.operand,)


class Binary(Node):
    """An infix operator, subscript (``[]``) or elvis (``?:``)."""

    __slots__ = ("op", "left", "right")
    FIELDS = ("op", "left", "right")

    def __init__(self, op: str, left: Node, right: Node):
        self.fn = None
        self.op = op
        self.left = left
        self.right = right

    def children(self):
        return (self.left, self.right)


class Cond(Node):
    """The conditional ``cond ? then : otherwise``."""

    __slots__ = ("cond", "then", "otherwise")
    FIELDS = ("cond", "then", "otherwise")

    def __init__(self, cond: Node, then: Node, otherwise: Node):
        self.fn = None
        self.cond = cond
        self.then = then
        self.otherwise = otherwise

    def children(self):
        return (self.cond, self.then, self.otherwise)


class Paren(Node):
    """Parentheses the author wrote; kept so that unparsing reproduces them."""

    __slots__ = ("inner",)
    FIELDS = ("inner",)

    def __init__(self, inner: Node):
        self.fn = None
        self.inner = inner

    def children(self):
        return (self.inner,)


class Call(Node):
    """A function call; ``name`` keeps the spelling the author used."""

    __slots__ = ("name", "args")
    FIELDS = ("key", "args")

    def __init__(self, name: str, args: tuple):
        self.fn = None
        self.name = name
        self.args = tuple(args)

    @property
    def key(self) -> str:
        return self.name.lower()

    def children(self):
        return self.args


class ListExpr(Node):
    """A list literal ``{ a, b, ... }``."""

    __slots__ = ("items",)
    FIELDS = ("items",)

    def __init__(self, items):
        self.fn = None
        self.items = tuple(items)

    def children(self):
        return self.items


class RecordExpr(Node):
    """A nested ClassAd literal ``[ a = 1; b = 2 ]``.

    ``attrs`` maps the lower-cased name to ``(name as written, node)``.
    """

    __slots__ = ("attrs",)
    FIELDS = ("attrs",)

    def __init__(self, attrs: dict):
        self.fn = None
        self.attrs = attrs

    def children(self):
        return tuple(node for _, node in self.attrs.values())

    def __eq__(self, other: object) -> bool:
        if type(other) is not RecordExpr:
            return NotImplemented
        if self.attrs.keys() != other.attrs.keys():
            return False
        return all(self.attrs[k][1] == other.attrs[k][1] for k in self.attrs)

    def __hash__(self) -> int:
        return hash(("record", tuple(sorted(self.attrs))))


_SCALAR_TYPES = (bool, int, float, str, AbsTime, RelTime)


def value_to_node(v) -> Node:
    """The node whose evaluation yields the runtime value *v*."""
    if type(v) in _SCALAR_TYPES:
        return Literal(v)
    if type(v) is ListValue:
        return ListExpr(v.exprs)
    attrs = getattr(v, "_attrs", None)
    if attrs is not None:  # a ClassAd
        return RecordExpr(attrs)
    return Literal(v)  # undefined / error
