"""The :class:`ExprTree` class: a ClassAd expression as a Python object."""

from __future__ import annotations

import math
import re

from ._convert import node_to_python, python_to_node, value_to_python
from ._errors import (
    ClassAdEvaluationError,
    ClassAdParseError,
    ClassAdValueError,
    set_last_error,
)
from ._evaluate import EvalFailure, evaluate
from ._nodes import (
    Attr,
    Binary,
    Call,
    ListExpr,
    Literal,
    Node,
    Paren,
    RecordExpr,
    Unary,
)
from ._parser import parse_expression
from ._unparse import pretty_expr, unparse_expr
from ._values import ERROR, INT64_MAX, INT64_MIN, UNDEFINED, ListValue

_INT_TEXT = re.compile(r"[ \t\n\r\f\v]*[+-]?[0-9]+\Z")
_FLOAT_TEXT = re.compile(
    r"[ \t\n\r\f\v]*[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf(?:inity)?|nan)\Z",
    re.IGNORECASE)


def _string_to_int(s: str) -> int:
    """``int()`` of a string value, with the rules of C's ``strtoll``."""
    if not _INT_TEXT.match(s):
        raise ClassAdValueError("Unable to convert string to integer.")
    n = int(s)
    if n > INT64_MAX:
        raise ClassAdValueError("Overflow when converting to integer.")
    if n < INT64_MIN:
        raise ClassAdValueError("Underflow when converting to integer.")
    return n


def _string_to_float(s: str) -> float:
    """``float()`` of a string value, with the rules of C's ``strtod``."""
    if not _FLOAT_TEXT.match(s):
        raise ClassAdValueError("Unable to convert string to integer.")
    x = float(s)
    body = s.strip().lower()
    if x in (math.inf, -math.inf) and "inf" not in body:
        raise ClassAdValueError("Overflow when converting to integer.")
    if x == 0.0 and any(c in "123456789" for c in body.split("e")[0]):
        raise ClassAdValueError("Underflow when converting to integer.")
    return x


def _printed(printer, node) -> str:
    try:
        return printer(node)
    except RecursionError:
        raise ClassAdValueError("expression too deeply nested to print") from None


def _eval_node(node: Node, scope, target=None):
    """Evaluate with HTCondor's rules for a loose expression; raise on failure."""
    try:
        if target is not None and target is not scope and scope is not None:
            from ._matching import evaluate_in_match

            return evaluate_in_match(node, scope, target)
        return evaluate(node, scope)
    except EvalFailure:
        set_last_error("Unable to evaluate expression")
        raise ClassAdEvaluationError("Unable to evaluate expression") from None


class ExprTree:
    """A ClassAd expression.

    Build one by parsing text, or combine existing ones with Python
    operators (``+``, ``==``, ``&``...), which build new expressions rather
    than computing anything.  Evaluation happens only in :meth:`eval` (or
    ``int()``, ``float()``, ``bool()``).

    :param expr: the expression's text, or another ``ExprTree`` to copy.
    :raises ClassAdParseError: if the text is not a valid expression.

    >>> import classad
    >>> e = classad.ExprTree("2 + 3 * 4")
    >>> e
    2 + 3 * 4
    >>> e.eval()
    14
    >>> classad.ExprTree("RequestMemory") > 1024
    RequestMemory > 1024
    """

    __slots__ = ("_node", "_scope", "__weakref__")

    def __init__(self, expr="undefined"):
        if isinstance(expr, ExprTree):
            self._node = expr._node
            self._scope = expr._scope
            return
        if not isinstance(expr, str):
            raise ClassAdParseError("Unable to parse string into a ClassAd.")
        try:
            self._node = parse_expression(expr)
        except ClassAdParseError:
            raise
        self._scope = None

    @classmethod
    def _wrap(cls, node: Node, scope=None) -> "ExprTree":
        tree = cls.__new__(cls)
        tree._node = node
        tree._scope = scope
        return tree

    # -- text ----------------------------------------------------------------
    def __repr__(self) -> str:
        return _printed(unparse_expr, self._node)

    def __str__(self) -> str:
        return _printed(pretty_expr, self._node)

    def __reduce__(self):
        from .classad import ExprTree as PickledExprTree  # the official module's name

        return (PickledExprTree, (repr(self),))

    # -- evaluation ------------------------------------------------------------
    def eval(self, scope=None):
        """Evaluate the expression and return the result as a Python value.

        :param scope: a :class:`ClassAd` to resolve attribute references in;
            by default the ad the expression came from, if any.
        :return: ``int``, ``float``, ``str``, ``bool``, ``list``, ``dict``,
            ``datetime`` or a :class:`Value` member.
        :raises ClassAdEvaluationError: if evaluation fails (for example an
            attribute that refers to itself).

        >>> import classad
        >>> classad.ExprTree("x * 2").eval(classad.ClassAd({"x": 21}))
        42
        """
        return value_to_python(self._evaluate(scope))

    def _evaluate(self, scope=None, target=None):
        # As in HTCondor's bindings, a scope that is not a ClassAd is ignored.
        if getattr(scope, "_attrs", None) is None:
            scope = None
        if getattr(target, "_attrs", None) is None:
            target = None
        return _eval_node(self._node, scope if scope is not None else self._scope, target)

    def simplify(self, scope=None, target=None) -> "ExprTree":
        """Evaluate the expression and return the result as a literal ``ExprTree``.

        :param scope: the ClassAd to evaluate in (``MY``).
        :param target: a second ClassAd to match against (``TARGET``).

        >>> import classad
        >>> classad.ExprTree("a + 1").simplify(classad.ClassAd({"a": 1}))
        2
        """
        from ._nodes import value_to_node

        return ExprTree._wrap(value_to_node(self._evaluate(scope, target)))

    def sameAs(self, other: "ExprTree") -> bool:
        """True if *other* is the same expression, written the same way.

        >>> import classad
        >>> classad.ExprTree("a + 1").sameAs(classad.ExprTree("a+1"))
        True
        """
        if not isinstance(other, ExprTree):
            raise TypeError(f"sameAs() takes an ExprTree, not {type(other).__name__}")
        return _same(self._node, other._node)

    def __int__(self) -> int:
        v = self._evaluate()
        t = type(v)
        if t is int or t is bool:
            return int(v)
        if t is float:
            return int(v)
        if t is str:
            return _string_to_int(v)
        raise ClassAdValueError("Unable to convert expression to numeric type.")

    def __float__(self) -> float:
        v = self._evaluate()
        t = type(v)
        if t is int or t is bool or t is float:
            return float(v)
        if t is str:
            return _string_to_float(v)
        raise ClassAdValueError("Unable to convert expression to numeric type.")

    def __bool__(self) -> bool:
        v = self._evaluate()
        if v is ERROR:
            raise ClassAdEvaluationError("Unable to evaluate expression.")
        if v is UNDEFINED:
            return False
        return bool(value_to_python(v))

    def __getitem__(self, index):
        node = self._node
        if type(node) is ListExpr:
            items = node.items
            if not isinstance(index, int):
                raise TypeError("list indices must be integers")
            if index >= len(items) or index < -len(items):
                raise IndexError("list index out of range")
            return node_to_python(items[index], None)
        if type(node) is Literal:
            return value_to_python(node.value)[index]
        v = self._evaluate()
        if type(v) is str:
            return v[index]
        if type(v) is ListValue:
            return ExprTree._wrap(ListExpr(v.exprs))[index]
        raise ClassAdValueError("ClassAd expression is unsubscriptable.")

    # -- building expressions ------------------------------------------------------
    def _binary(self, op: str, other, reflected: bool = False) -> "ExprTree":
        try:
            right = python_to_node(other)
        except (TypeError, ClassAdValueError):
            if op in ("==", "is"):
                return ExprTree._wrap(Literal(False))
            if op in ("!=", "isnt"):
                return ExprTree._wrap(Literal(True))
            raise
        if reflected:
            return ExprTree._wrap(Binary(op, right, self._node))
        return ExprTree._wrap(Binary(op, self._node, right))

    def and_(self, expr) -> "ExprTree":
        """The expression ``self && expr``.

        >>> import classad
        >>> classad.ExprTree("a").and_(classad.ExprTree("b"))
        a && b
        """
        return self._binary("&&", expr)

    def or_(self, expr) -> "ExprTree":
        """The expression ``self || expr``.

        >>> import classad
        >>> classad.ExprTree("a").or_(True)
        a || true
        """
        return self._binary("||", expr)

    def is_(self, expr) -> "ExprTree":
        """The expression ``self is expr`` (``=?=``: same type and value).

        >>> import classad
        >>> classad.ExprTree("a").is_(classad.Value.Undefined).eval()
        True
        """
        return self._binary("is", expr)

    def isnt_(self, expr) -> "ExprTree":
        """The expression ``self isnt expr`` (``=!=``).

        >>> import classad
        >>> classad.ExprTree("a").isnt_(1)
        a isnt 1
        """
        return self._binary("isnt", expr)

    def _get(self, index) -> "ExprTree":
        return ExprTree._wrap(Binary("[]", self._node, python_to_node(index)))

    __hash__ = object.__hash__


def _make_operator(op: str, reflected: bool = False):
    def method(self, other):
        return self._binary(op, other, reflected)
    method.__name__ = f"__{'r' if reflected else ''}{op}__"
    return method


for _name, _op in [
    ("add", "+"), ("sub", "-"), ("mul", "*"), ("truediv", "/"), ("mod", "%"),
    ("and", "&"), ("or", "|"), ("xor", "^"), ("lshift", "<<"), ("rshift", ">>"),
    ("eq", "=="), ("ne", "!="), ("lt", "<"), ("le", "<="), ("gt", ">"), ("ge", ">="),
]:
    setattr(ExprTree, f"__{_name}__", _make_operator(_op))
for _name, _op in [("radd", "+"), ("rsub", "-"), ("rmul", "*"), ("rand", "&"), ("ror", "|")]:
    setattr(ExprTree, f"__{_name}__", _make_operator(_op, reflected=True))
del _name, _op


def _same(a: Node, b: Node) -> bool:
    if type(a) is not type(b):
        return False
    t = type(a)
    if t is Literal:
        return a == b
    if t is Attr:
        return a.name == b.name and a.absolute == b.absolute and (
            (a.base is None and b.base is None)
            or (a.base is not None and b.base is not None and _same(a.base, b.base)))
    if t is Binary:
        return a.op == b.op and _same(a.left, b.left) and _same(a.right, b.right)
    if t is Unary:
        return a.op == b.op and _same(a.operand, b.operand)
    if t is Paren:
        return _same(a.inner, b.inner)
    if t is Call:
        return a.name == b.name and len(a.args) == len(b.args) and all(
            _same(x, y) for x, y in zip(a.args, b.args))
    if t is ListExpr:
        return len(a.items) == len(b.items) and all(_same(x, y) for x, y in zip(a.items, b.items))
    if t is RecordExpr:
        return a.attrs.keys() == b.attrs.keys() and all(
            _same(a.attrs[k][1], b.attrs[k][1]) for k in a.attrs)
    return a == b

