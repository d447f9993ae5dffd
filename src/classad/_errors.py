"""The exception hierarchy of the ``classad`` module.

Each class has the same built-in base classes as its counterpart in the
official bindings, so ``except ValueError`` (or ``SyntaxError``, ...) written
against HTCondor keeps working here.
"""

from __future__ import annotations


class ClassAdException(Exception):
    """Base class of every exception raised by the ``classad`` module.

    >>> import classad
    >>> issubclass(classad.ClassAdParseError, classad.ClassAdException)
    True
    """


class ClassAdEnumError(ClassAdException, TypeError):
    """An argument was not a member of the expected enumeration.

    >>> import classad
    >>> try:
    ...     classad.parseOne("[a = 1]", 7)
    ... except classad.ClassAdEnumError:
    ...     print("not a Parser")
    not a Parser
    """


class ClassAdEvaluationError(ClassAdException, TypeError, RuntimeError):
    """An expression could not be evaluated.

    That happens when an attribute refers to itself, or when an absolute
    reference (``.name``) has no ad to start from.

    >>> import classad
    >>> try:
    ...     classad.ClassAd("[a = b; b = a]").eval("a")
    ... except classad.ClassAdEvaluationError as e:
    ...     print(e)
    Unable to evaluate expression
    """


class ClassAdInternalError(ClassAdException, ValueError, RuntimeError):
    """An internal invariant of the library was broken; please report it.

    >>> import classad
    >>> issubclass(classad.ClassAdInternalError, ValueError)
    True
    """


class ClassAdOSError(ClassAdException, OSError, RuntimeError):
    """An operating-system level failure, such as loading a function library.

    >>> import classad
    >>> try:
    ...     classad.registerLibrary("libmyfunctions.so")
    ... except classad.ClassAdOSError:
    ...     print("native libraries are not supported")
    native libraries are not supported
    """


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
    """A Python value of the wrong type was given where a ClassAd value was expected.

    >>> import classad
    >>> try:
    ...     classad.parseAds(42, classad.Parser.Old)
    ... except classad.ClassAdTypeError as e:
    ...     print(e)
    Source object is not iterable
    """


class ClassAdValueError(ClassAdException, ValueError, RuntimeError, TypeError):
    """A ClassAd value could not be converted to the requested Python type.

    >>> import classad
    >>> try:
    ...     int(classad.ExprTree('"twelve"'))
    ... except classad.ClassAdValueError as e:
    ...     print(e)
    Unable to convert string to integer.
    """


class EvalFailure(Exception):
    """Internal: evaluation could not complete (the C++ ``Evaluate`` returned false).

    The public API turns it into :class:`ClassAdEvaluationError`.
    """


_last_error = ""


def set_last_error(message: str) -> None:
    """Remember *message* for :func:`classad.lastError`."""
    global _last_error
    _last_error = message


def last_error() -> str:
    """The message of the most recent parse or evaluation failure."""
    return _last_error
