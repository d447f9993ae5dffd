"""Module-level helpers of the public API: building expressions, quoting, registering functions."""

from __future__ import annotations

import inspect

from ._convert import node_to_python, python_to_node
from ._errors import ClassAdOSError, ClassAdParseError, ClassAdValueError, last_error
from ._evaluate import EvalFailure, evaluate
from ._exprtree import ExprTree
from ._functions import BUILTINS, Builtin
from ._nodes import Attr, Call, ListExpr, RecordExpr, value_to_node
from ._nodes import Literal as _LiteralNode
from ._parser import parse_expression
from ._unparse import quote_string

# The version of HTCondor whose ClassAd behaviour this module reproduces.
CLASSAD_VERSION = "24.0.24"


def version() -> str:
    """The HTCondor ClassAd library version whose behaviour this module reproduces.

    >>> import classad
    >>> classad.version()
    '24.0.24'
    """
    return CLASSAD_VERSION


def lastError() -> str:
    """The message of the most recent ClassAd parse or evaluation error ('' if none).

    >>> import classad
    >>> try:
    ...     classad.ExprTree("1 +")
    ... except classad.ClassAdParseError:
    ...     print(classad.lastError())
    unexpected end of input
    """
    return last_error()


def quote(input: str) -> str:
    """Turn a Python string into a ClassAd string literal.

    >>> import classad
    >>> print(classad.quote('say "hi"\\n'))
    "say \\"hi\\"\\n"
    """
    if not isinstance(input, str):
        raise TypeError(f"quote() takes a string, not {type(input).__name__}")
    return quote_string(input)


def unquote(input: str) -> str:
    """Turn a ClassAd string literal back into a Python string.

    :raises ClassAdParseError: if *input* is not a string literal.

    >>> import classad
    >>> classad.unquote('"a\\\\tb"')
    'a\\tb'
    """
    try:
        node = parse_expression(input)
    except ClassAdParseError:
        raise ClassAdParseError("Invalid string literal.") from None
    if type(node) is not _LiteralNode or type(node.value) is not str:
        raise ClassAdParseError("Invalid string literal.")
    return node.value


def Attribute(name: str) -> ExprTree:
    """An expression that refers to the attribute *name*.

    >>> import classad
    >>> classad.Attribute("Memory") * 2
    Memory * 2
    """
    return ExprTree._wrap(Attr(name))


def Function(name: str, *args) -> ExprTree:
    """An expression that calls the function *name* with *args* (not evaluated).

    >>> import classad
    >>> f = classad.Function("strcat", "a", classad.Attribute("b"))
    >>> f, f.eval(classad.ClassAd({"b": "c"}))
    (strcat("a",b), 'ac')
    """
    return ExprTree._wrap(Call(name, tuple(python_to_node(a) for a in args)))


def Literal(obj) -> ExprTree:
    """A literal expression for a Python value; an ``ExprTree`` is evaluated first.

    >>> import classad
    >>> classad.Literal(3.5), classad.Literal(classad.ExprTree("2 + 3"))
    (3.500000000000000E+00, 5)
    """
    node = python_to_node(obj)
    if type(node) is _LiteralNode:
        return ExprTree._wrap(node)
    scope = obj._scope if isinstance(obj, ExprTree) else None
    try:
        value = evaluate(node, scope)
    except EvalFailure:
        raise ClassAdValueError("Unable to convert expression to literal") from None
    result = value_to_node(value)
    if type(result) in (ListExpr, RecordExpr):
        raise ClassAdValueError("Unable to convert expression to literal")
    return ExprTree._wrap(result)


def _accepts_state(function) -> bool:
    try:
        params = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.name == "state" or p.kind is p.VAR_KEYWORD for p in params)


def register(function, name: str | None = None) -> None:
    """Make the Python callable *function* available as a ClassAd function.

    Arguments arrive as Python values (literals, lists and ads) or as
    ``ExprTree`` objects (anything else); the result is converted back.
    A function with a parameter named ``state`` also receives the ad the
    call is evaluated in.

    >>> import classad
    >>> classad.register(lambda n: n * n, "square")
    >>> classad.ExprTree("square(7)").eval()
    49
    """
    if name is None:
        name = function.__name__
    wants_state = _accepts_state(function)

    def call(state, scope, nodes):
        args = [node_to_python(n, scope) for n in nodes]
        kwargs = {}
        if wants_state and scope is not None:
            from ._classad import ClassAd

            kwargs["state"] = ClassAd._from_attrs(dict(scope._attrs))
        result = function(*args, **kwargs)
        return state.eval(python_to_node(result), scope)

    BUILTINS[name.lower()] = Builtin(name, call, 0, None, True)


def registerLibrary(path: str) -> None:
    """Not supported: native ClassAd function plugins need the C++ library.

    :raises ClassAdOSError: always; use :func:`register` with a Python function.

    >>> import classad
    >>> try:
    ...     classad.registerLibrary("/usr/lib/libclassad_functions.so")
    ... except classad.ClassAdOSError as e:
    ...     print("refused")
    refused
    """
    raise ClassAdOSError(
        f"cannot load {path!r}: this pure-Python classad module does not load native "
        "ClassAd function libraries; register Python functions with classad.register()")
