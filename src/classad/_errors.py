"""The exception hierarchy of the ``classad`` module.

Each class has the same built-in base classes as its counterpart in the
official bindings, so ``except ValueError`` (or ``SyntaxError``, ...) written
against HTCondor keeps working here.
"""

from __future__ import annotations


class ClassAdException(Exception):
    """Base class of every exception raised by the ``classad`` module."""


class ClassAdEnumError(ClassAdException, TypeError):
    """An argument was not a member of the expected enumeration."""


class ClassAdEvaluationError(ClassAdException, TypeError, RuntimeError):
    """An expression could not be evaluated (for example, no scope to evaluate it in)."""


class ClassAdInternalError(ClassAdException, ValueError, RuntimeError):
    """An internal invariant of the library was broken."""


class ClassAdOSError(ClassAdException, OSError, RuntimeError):
    """Reading ClassAds from a file failed."""


class ClassAdParseError(ClassAdException, ValueError, SyntaxError, RuntimeError):
    """Text could not be parsed as a ClassAd or an expression.

    ``position`` is the offset in the input where the parser stopped, when
    known; ``lineno``, ``offset`` and ``text`` locate it the way Python's own
    ``SyntaxError`` does, so tracebacks show the line with a caret.

    >>> import classad
    >>> try:
    ...     classad.ExprTree("1 +")
    ... except classad.ClassAdParseError as e:
    ...     print("refused:", isinstance(e, SyntaxError))
    refused: True
    """

    def __init__(self, message: str = "", position: int | None = None, source: str | None = None):
        super().__init__(message)
        self.msg = message
        self.position = position
        if source is not None and position is not None:
            line_start = source.rfind("\n", 0, position) + 1
            line_end = source.find("\n", position)
            self.filename = "<classad>"
            self.lineno = source.count("\n", 0, position) + 1
            self.offset = position - line_start + 1
            self.text = source[line_start: line_end if line_end >= 0 else len(source)]

    def __str__(self) -> str:
        return self.args[0] if self.args else ""


class ClassAdTypeError(ClassAdException, TypeError, ValueError):
    """A Python value of the wrong type was given where a ClassAd value was expected."""


class ClassAdValueError(ClassAdException, ValueError, RuntimeError, TypeError):
    """A ClassAd value could not be converted to the requested Python type."""


_last_error = ""


def set_last_error(message: str) -> None:
    """Remember *message* for :func:`classad.lastError`."""
    global _last_error
    _last_error = message


def last_error() -> str:
    """The message of the most recent parse or evaluation failure."""
    return _last_error
