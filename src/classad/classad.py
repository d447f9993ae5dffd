"""``classad.classad``: the name under which the official bindings define their classes.

Pickles made by the official module refer to ``classad.classad.ClassAd``
and ``classad.classad.ExprTree``.  This module defines classes under those
names (thin subclasses of :class:`classad.ClassAd` and
:class:`classad.ExprTree`), and this package pickles to them, so pickled
ads move freely between the two implementations in both directions.

>>> import pickle, classad
>>> pickle.loads(pickle.dumps(classad.ClassAd("[a = 1]")))
[ a = 1 ]
"""

from __future__ import annotations

from . import (  # noqa: F401  (re-exports)
    Attribute,
    ClassAdEnumError,
    ClassAdEvaluationError,
    ClassAdException,
    ClassAdInternalError,
    ClassAdOSError,
    ClassAdParseError,
    ClassAdTypeError,
    ClassAdValueError,
    Function,
    Literal,
    Parser,
    Value,
    lastError,
    parseAds,
    parseNext,
    parseOne,
    quote,
    register,
    unquote,
    version,
)
from . import ClassAd as _ClassAd
from . import ExprTree as _ExprTree


class ClassAd(_ClassAd):
    """A :class:`classad.ClassAd`, under the name pickles use."""

    __slots__ = ()


class ExprTree(_ExprTree):
    """A :class:`classad.ExprTree`, under the name pickles use."""

    __slots__ = ()
