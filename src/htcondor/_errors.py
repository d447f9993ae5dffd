"""The exceptions of the ``htcondor`` module, with the official bases.

Each class derives from the same built-in exceptions as the official one, so
``except ValueError`` or ``except RuntimeError`` code written for the
official bindings catches ours too.

>>> import htcondor
>>> issubclass(htcondor.HTCondorValueError, ValueError)
True
>>> try:
...     raise htcondor.HTCondorIOError("no such file")
... except OSError as e:
...     print(type(e).__name__, e)
HTCondorIOError no such file
"""

from __future__ import annotations

__all__ = ["HTCondorException", "HTCondorEnumError", "HTCondorIOError", "HTCondorInternalError",
           "HTCondorLocateError", "HTCondorReplyError", "HTCondorTypeError", "HTCondorValueError"]


class HTCondorException(Exception):
    """The base of every exception the ``htcondor`` module raises on purpose.

    >>> import htcondor
    >>> all(issubclass(cls, htcondor.HTCondorException)
    ...     for cls in (htcondor.HTCondorIOError, htcondor.HTCondorValueError, htcondor.HTCondorLocateError))
    True
    """


class HTCondorEnumError(HTCondorException, ValueError, NotImplementedError):
    """A value that is not a member of the enumeration it should belong to.

    >>> import htcondor
    >>> issubclass(htcondor.HTCondorEnumError, (ValueError, NotImplementedError))
    True
    """


class HTCondorIOError(HTCondorException, OSError, RuntimeError, ValueError):
    """A file or a daemon could not be read or written.

    >>> import htcondor
    >>> try:
    ...     htcondor.JobEventLog("/no/such/event.log")
    ... except OSError as e:
    ...     print(type(e).__name__)
    HTCondorIOError
    """


class HTCondorInternalError(HTCondorException, RuntimeError, TypeError, ValueError):
    """Something that should not happen did (daemons report an unexpected failure with it).

    >>> import htcondor
    >>> issubclass(htcondor.HTCondorInternalError, RuntimeError)
    True
    """


class HTCondorLocateError(HTCondorException, OSError, RuntimeError, ValueError):
    """A daemon could not be located.

    >>> import htcondor
    >>> issubclass(htcondor.HTCondorLocateError, OSError)
    True
    """


class HTCondorReplyError(HTCondorException, RuntimeError, ValueError):
    """A daemon replied with an error or an unexpected message.

    >>> import htcondor
    >>> issubclass(htcondor.HTCondorReplyError, RuntimeError)
    True
    """


class HTCondorTypeError(HTCondorException, TypeError, RuntimeError, ValueError):
    """An argument of the wrong type.

    >>> import htcondor
    >>> issubclass(htcondor.HTCondorTypeError, TypeError)
    True
    """


class HTCondorValueError(HTCondorException, ValueError, RuntimeError):
    """An argument with a bad value.

    >>> import htcondor
    >>> issubclass(htcondor.HTCondorValueError, ValueError)
    True
    """
