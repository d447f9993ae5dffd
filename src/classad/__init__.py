"""The ClassAd language: values, expressions, ads and matchmaking.

A pure-Python implementation of the ``classad`` module of the HTCondor
Python bindings, behaving as the official module does once ``htcondor`` is
imported (HTCondor's ClassAd semantics: ``MY.``, ``CurrentTime`` and the
extra functions are always on here).

>>> import classad
>>> job = classad.ClassAd({"RequestMemory": 2048, "Owner": "alice"})
>>> job["Requirements"] = classad.ExprTree("TARGET.Memory >= MY.RequestMemory")
>>> slot = classad.ClassAd({"Memory": 4096, "Requirements": classad.ExprTree("true")})
>>> job.symmetricMatch(slot)
True
"""

from __future__ import annotations

from ._classad import ClassAd
from ._errors import (
    ClassAdEnumError,
    ClassAdEvaluationError,
    ClassAdException,
    ClassAdInternalError,
    ClassAdOSError,
    ClassAdParseError,
    ClassAdTypeError,
    ClassAdValueError,
)
from ._exprtree import ExprTree
from ._python_api import (
    Attribute,
    Function,
    Literal,
    lastError,
    quote,
    register,
    registerLibrary,
    unquote,
    version,
)
from ._readers import (
    ClassAdFileIterator,
    ClassAdStringIterator,
    OldClassAdIterator,
    Parser,
    parse,
    parseAds,
    parseNext,
    parseOld,
    parseOldAds,
    parseOne,
)
from ._values import Value

__version__ = "0.1.0"

from . import classad  # noqa: E402,F401  (the names pickles refer to)

__all__ = [
    "Attribute",
    "ClassAd",
    "ClassAdEnumError",
    "ClassAdEvaluationError",
    "ClassAdException",
    "ClassAdFileIterator",
    "ClassAdInternalError",
    "ClassAdOSError",
    "ClassAdParseError",
    "ClassAdStringIterator",
    "ClassAdTypeError",
    "ClassAdValueError",
    "ExprTree",
    "Function",
    "Literal",
    "OldClassAdIterator",
    "Parser",
    "Value",
    "lastError",
    "parse",
    "parseAds",
    "parseNext",
    "parseOld",
    "parseOldAds",
    "parseOne",
    "quote",
    "register",
    "registerLibrary",
    "unquote",
    "version",
]
