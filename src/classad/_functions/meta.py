"""Functions that look at expressions rather than values.

``ifThenElse`` evaluates only the branch it takes; ``unparse`` and
``unresolved`` take an attribute reference, not its value; ``eval`` parses
a string at run time; ``evalInEachContext`` and ``countMatches`` evaluate an
expression inside each ad of a list; ``debug`` returns its argument.
"""

from __future__ import annotations

from .._nodes import Attr, ListExpr
from .._values import ERROR, UNDEFINED, ListValue
from . import builtin


def _evaluate():
    from .. import _evaluate

    return _evaluate


@builtin("ifThenElse", 3, lazy=True)
def if_then_else(state, scope, nodes):
    cond = state.eval(nodes[0], scope)
    t = type(cond)
    if t is bool:
        choice = cond
    elif t is int or t is float:
        choice = cond != 0
    elif cond is UNDEFINED:
        return UNDEFINED
    else:
        return ERROR
    return state.eval(nodes[1] if choice else nodes[2], scope)


@builtin("unparse", 1, lazy=True)
def unparse(state, scope, nodes):
    from .._unparse import pretty_expr

    ref = nodes[0]
    if type(ref) is not Attr:
        return ERROR
    name = pretty_expr(ref)
    if scope is not None:
        entry = scope._attrs.get(name.lower())
        if entry is not None:
            return pretty_expr(entry[1])
    return ""


@builtin("unresolved", 1, 2, lazy=True)
def unresolved(state, scope, nodes):
    import re

    from .._refs import _Failed, _walk

    ref = nodes[0]
    if type(ref) is not Attr:
        return ERROR
    pattern = None
    if len(nodes) == 2:
        p = state.eval(nodes[1], scope)
        if type(p) is not str:
            return ERROR
        try:
            pattern = re.compile(p, re.IGNORECASE)
        except re.error:
            return ERROR
    ev = _evaluate()
    hit = None
    if scope is not None or ref.absolute or ref.base is not None:
        try:
            if ref.base is None and not ref.absolute:
                hit = ev._lookup(ref.key, scope, state)
        except ev.EvalFailure:
            hit = None
    if hit is None or hit[0] is None:
        return UNDEFINED if pattern is None else False
    found: dict = {}
    try:
        _walk(hit[0], scope, state, found, True)
    except (_Failed, ev.EvalFailure):
        found = {}
    names = sorted(found.values(), key=str.lower)
    names = [n[7:] if n.lower().startswith("target.") else n for n in names]
    if pattern is not None:
        return any(pattern.search(n) for n in names)
    return ",".join(names)


@builtin("eval", 1, lazy=True)
def eval_(state, scope, nodes):
    from .._errors import ClassAdParseError
    from .._parser import parse_expression
    from .._unparse import unparse_value

    arg = state.eval(nodes[0], scope)
    if arg is ERROR or arg is UNDEFINED:
        return ERROR
    text = arg if type(arg) is str else unparse_value(arg)
    if state.depth <= 0:
        raise _evaluate().EvalFailure("eval() nested too deeply")
    try:
        tree = parse_expression(text)
    except ClassAdParseError:
        return ERROR
    state.depth -= 1
    try:
        return state.eval(tree, scope)
    except _evaluate().EvalFailure:
        return ERROR
    finally:
        state.depth += 1


def _ad_list(state, scope, node):
    """The list of (unevaluated) elements of the second argument, or a value to return."""
    if type(node) is ListExpr:
        return ListValue(node.items, scope)
    v = state.eval(node, scope)
    if type(v) is ListValue:
        return v
    return v


def _in_context(state, expr, element, list_scope):
    ev = _evaluate()
    try:
        nested = state.eval(element, list_scope)
    except ev.EvalFailure:
        return ERROR
    if getattr(nested, "_attrs", None) is None:
        return UNDEFINED if nested is UNDEFINED else ERROR
    fresh = ev.EvalState(nested)
    try:
        return fresh.eval(expr, nested)
    except ev.EvalFailure:
        return ERROR


def _target_expr(state, scope, node):
    if type(node) is Attr:
        ev = _evaluate()
        try:
            if node.base is None and not node.absolute and scope is not None:
                hit = ev._lookup(node.key, scope, state)
            elif node.base is None and node.absolute and state.root is not None:
                hit = ev._lookup(node.key, state.root, state)
            else:
                hit = None
        except ev.EvalFailure:
            hit = None
        if hit is not None and hit[0] is not None:
            return hit[0]
    return node


@builtin("evalInEachContext", 2, lazy=True)
def eval_in_each_context(state, scope, nodes):
    expr = _target_expr(state, scope, nodes[0])
    ads = _ad_list(state, scope, nodes[1])
    if ads is UNDEFINED:
        return UNDEFINED
    if type(ads) is not ListValue:
        return ERROR
    return ListValue.from_values([_in_context(state, expr, e, ads.scope) for e in ads.exprs])


@builtin("countMatches", 2, lazy=True)
def count_matches(state, scope, nodes):
    from .._evaluate import bool_equiv

    expr = _target_expr(state, scope, nodes[0])
    ads = _ad_list(state, scope, nodes[1])
    if ads is UNDEFINED:
        return 0
    if type(ads) is not ListValue:
        return ERROR
    return sum(1 for e in ads.exprs if bool_equiv(_in_context(state, expr, e, ads.scope)) is True)


@builtin("debug", 1, lazy=True)
def debug(state, scope, nodes):
    return state.eval(nodes[0], scope)
