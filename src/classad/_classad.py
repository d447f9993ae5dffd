"""The :class:`ClassAd` class: a set of named expressions that behaves like a dict."""

from __future__ import annotations

from collections.abc import MutableMapping

from ._convert import node_to_python, python_to_node, value_to_python
from ._errors import (
    ClassAdEvaluationError,
    ClassAdParseError,
    ClassAdTypeError,
    ClassAdValueError,
)
from ._evaluate import EvalFailure, evaluate
from ._exprtree import ExprTree, _same
from ._flatten import flatten
from ._matching import left_matches_right, symmetric_match
from ._nodes import Node
from ._parser import Parser, parse_record
from ._refs import references
from ._unparse import sorted_attrs, unparse_json, unparse_record


class ClassAd(MutableMapping):
    """A ClassAd: attribute names mapped to expressions.

    Names are case-insensitive (the spelling first used is kept).  Reading
    an attribute gives a Python value when the expression is a literal, a
    list or a nested ad, and an :class:`ExprTree` otherwise; :meth:`eval`
    always evaluates.  Assigning a Python value stores it as a literal
    (a ``str`` becomes a string literal; assign an ``ExprTree`` to store an
    expression).

    :param input: the text of a ClassAd in new syntax (``[a = 1; b = a]``),
        or a ``dict`` whose values are converted as by assignment.
    :raises ClassAdParseError: if the text is not a valid ClassAd.

    >>> import classad
    >>> ad = classad.ClassAd({"Cpus": 4, "Memory": 8192})
    >>> ad["Requirements"] = classad.ExprTree("Memory >= 1024 * Cpus")
    >>> ad["memory"]
    8192
    >>> ad.eval("Requirements")
    True
    >>> print(ad.printOld(), end="")
    Cpus = 4
    Memory = 8192
    Requirements = Memory >= 1024 * Cpus
    """

    # _parent and _alternate link the ad into scopes while it is evaluated
    # (nested ads, matchmaking).
    __slots__ = ("_attrs", "_parent", "_alternate", "__weakref__")

    def __init__(self, input=None):
        self._parent = None
        self._alternate = None
        if input is None:
            self._attrs = {}
        elif isinstance(input, str):
            try:
                self._attrs, _ = parse_record(input)
            except ClassAdParseError:
                raise ClassAdParseError("Unable to parse string into a ClassAd.") from None
        elif isinstance(input, dict) or hasattr(input, "items"):
            self._attrs = {}
            for key, value in input.items():
                if not isinstance(key, str):
                    raise TypeError(f"ClassAd attribute names must be strings, not {type(key).__name__}")
                self[key] = value
        else:
            raise TypeError(f"ClassAd() takes a string or a dict, not {type(input).__name__}")

    @classmethod
    def _view(cls, attrs: dict, parent) -> "ClassAd":
        """An ad sharing *attrs*, nested in *parent* (how nested ad literals evaluate)."""
        ad = cls.__new__(cls)
        ad._attrs = attrs
        ad._parent = parent
        ad._alternate = None
        return ad

    @classmethod
    def _from_attrs(cls, attrs: dict) -> "ClassAd":
        return cls._view(attrs, None)

    # -- the mapping protocol ------------------------------------------------------
    def __getitem__(self, key: str):
        entry = self._attrs.get(key.lower()) if isinstance(key, str) else None
        if entry is None:
            raise KeyError(key)
        return node_to_python(entry[1], self)

    def __setitem__(self, key: str, value) -> None:
        if not isinstance(key, str):
            raise ClassAdTypeError("ClassAd attribute names must be strings")
        if not key:
            raise AttributeError(key)
        node = python_to_node(value)
        lower = key.lower()
        old = self._attrs.get(lower)
        self._attrs[lower] = (old[0] if old else key, node)

    def __delitem__(self, key: str) -> None:
        # As in HTCondor's bindings, deleting a missing attribute is not an error.
        if isinstance(key, str):
            self._attrs.pop(key.lower(), None)

    def __contains__(self, key) -> bool:
        return isinstance(key, str) and key.lower() in self._attrs

    def __iter__(self):
        return iter([name for name, _ in sorted_attrs(self._attrs)])

    def __len__(self) -> int:
        return len(self._attrs)

    def get(self, key: str, default=None):
        """As :meth:`dict.get`.

        >>> import classad
        >>> ad = classad.ClassAd("[Cpus = 4]")
        >>> ad.get("cpus"), ad.get("Memory", 1024)
        (4, 1024)
        """
        entry = self._attrs.get(key.lower())
        if entry is None:
            return default
        return node_to_python(entry[1], self)

    def update(self, other=(), /, **kwargs) -> None:
        """As :meth:`dict.update`; from another ClassAd the expressions are copied as they are.

        >>> import classad
        >>> ad = classad.ClassAd("[a = 1]")
        >>> ad.update(classad.ClassAd("[b = a + 1]"))
        >>> ad.update({"c": "x"})
        >>> ad
        [ a = 1; b = a + 1; c = "x" ]
        """
        if isinstance(other, ClassAd):
            for key, (name, node) in other._attrs.items():
                old = self._attrs.get(key)
                self._attrs[key] = (old[0] if old else name, node)
        else:
            super().update(other, **kwargs)

    def setdefault(self, key: str, default=None):
        """As :meth:`dict.setdefault`.

        >>> import classad
        >>> ad = classad.ClassAd("[a = 1]")
        >>> ad.setdefault("a", 5), ad.setdefault("b", 5), ad
        (1, 5, [ a = 1; b = 5 ])
        """
        if key in self:
            return self[key]
        self[key] = default
        return default

    def __eq__(self, other) -> bool:
        if not isinstance(other, ClassAd):
            return False
        if self._attrs.keys() != other._attrs.keys():
            return False
        return all(_same(self._attrs[k][1], other._attrs[k][1]) for k in self._attrs)

    def __ne__(self, other) -> bool:
        return not self.__eq__(other)

    __hash__ = object.__hash__

    def __reduce__(self):
        from .classad import ClassAd as PickledClassAd  # the official module's name

        return (PickledClassAd, (repr(self),))

    def __copy__(self) -> "ClassAd":
        return ClassAd._from_attrs(dict(self._attrs))

    # -- text ------------------------------------------------------------------------
    def __repr__(self) -> str:
        return unparse_record(self._attrs)

    def __str__(self) -> str:
        return unparse_record(self._attrs, "pretty")

    def printOld(self) -> str:
        """The ad in the old ClassAd format: one ``name = expression`` line per attribute.

        >>> import classad
        >>> print(classad.ClassAd('[a = 1.0; b = "x"]').printOld(), end="")
        a = 1.0
        b = "x"
        """
        return unparse_record(self._attrs, "old")

    def printJson(self) -> str:
        """The ad as JSON; expressions that are not literals become ``"\\/Expr(...)\\/"`` strings.

        >>> import classad
        >>> print(classad.ClassAd('[a = 1; b = a + 1]').printJson())
        {
          "a": 1,
          "b": "\\/Expr(a + 1)\\/"
        }
        """
        return unparse_json(self._attrs)

    # -- evaluation ------------------------------------------------------------------
    def eval(self, attr: str):
        """Evaluate the attribute *attr* in this ad and return a Python value.

        :raises KeyError: if the ad has no such attribute.
        :raises ClassAdEvaluationError: if evaluation fails.

        >>> import classad
        >>> classad.ClassAd("[a = 2; b = a * 21]").eval("b")
        42
        """
        entry = self._attrs.get(attr.lower())
        if entry is None:
            raise KeyError(attr)
        try:
            return value_to_python(evaluate(entry[1], self))
        except EvalFailure:
            raise ClassAdEvaluationError("Unable to evaluate expression") from None

    def lookup(self, attr: str):
        """The expression stored under *attr*, as an :class:`ExprTree`.

        :raises KeyError: if the ad has no such attribute.

        >>> import classad
        >>> classad.ClassAd("[a = 2; b = a * 21]").lookup("b")
        a * 21
        """
        entry = self._attrs.get(attr.lower())
        if entry is None:
            raise KeyError(attr)
        return ExprTree._wrap(entry[1], self)

    def flatten(self, expr):
        """Partially evaluate *expr* in this ad.

        References to attributes of this ad are replaced by their values;
        what cannot be computed is left as an expression.  Returns a Python
        value if everything could be computed, else an :class:`ExprTree`.

        >>> import classad
        >>> classad.ClassAd({"a": 1}).flatten(classad.ExprTree("a + b"))
        1 + b
        """
        node = _as_node(expr)
        try:
            value, tree = flatten(node, self)
        except EvalFailure:
            raise ClassAdValueError("Unable to flatten expression.") from None
        if tree is None:
            return value_to_python(value)
        return ExprTree._wrap(tree)

    def externalRefs(self, expr) -> list:
        """Names in *expr* that this ad does not define (``TARGET.x`` keeps its prefix).

        >>> import classad
        >>> classad.ClassAd({"a": 1}).externalRefs(classad.ExprTree("a + b + TARGET.c"))
        ['b', 'TARGET.c']
        """
        return references(_as_node(expr), self, external=True)

    def internalRefs(self, expr) -> list:
        """Names in *expr* that refer to attributes of this ad.

        >>> import classad
        >>> classad.ClassAd({"a": 1}).internalRefs(classad.ExprTree("a + b"))
        ['a']
        """
        return references(_as_node(expr), self, external=False)

    def matches(self, ad: "ClassAd") -> bool:
        """True if *ad*'s ``Requirements`` are met with this ad as its ``TARGET``.

        >>> import classad
        >>> job = classad.ClassAd("[Requirements = TARGET.Memory > 1024]")
        >>> slot = classad.ClassAd("[Memory = 2048]")
        >>> slot.matches(job)
        True
        """
        return left_matches_right(self, _require_ad(ad))

    def symmetricMatch(self, ad: "ClassAd") -> bool:
        """True if each ad's ``Requirements`` are met by the other.

        >>> import classad
        >>> job = classad.ClassAd("[Requirements = TARGET.Memory > 1024; Owner = \\"me\\"]")
        >>> slot = classad.ClassAd('[Memory = 2048; Requirements = TARGET.Owner == "me"]')
        >>> job.symmetricMatch(slot)
        True
        """
        return symmetric_match(self, _require_ad(ad))


def _require_ad(ad) -> ClassAd:
    if not isinstance(ad, ClassAd):
        raise TypeError("expected a ClassAd")
    return ad


def _as_node(expr) -> Node:
    if isinstance(expr, str):
        return ExprTree(expr)._node
    return python_to_node(expr) if not isinstance(expr, ExprTree) else expr._node


# Parser is re-exported for the parsing helpers that build ads from a stream.
__all__ = ["ClassAd", "Parser"]
