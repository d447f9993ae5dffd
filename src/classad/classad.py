"""``classad.classad``: the name under which the official bindings define their classes.

Pickles made by the official module refer to ``classad.classad.ClassAd``
and ``classad.classad.ExprTree``; this module makes those names resolve
here, and this package's own pickles use them too, so pickled ads move
freely between the two implementations.

>>> import pickle, classad
>>> pickle.loads(pickle.dumps(classad.ClassAd("[a = 1]")))
[ a = 1 ]
"""

from __future__ import annotations

from . import (  # noqa: F401  (re-exports)
    Attribute,
    ClassAd,
    ClassAdEnumError,
    ClassAdEvaluationError,
    ClassAdException,
    ClassAdInternalError,
    ClassAdOSError,
    ClassAdParseError,
    ClassAdTypeError,
    ClassAdValueError,
    ExprTree,
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
