"""Partial evaluation (``ClassAd.flatten``).

Every sub-expression that can be computed in the ad is replaced by its
value; what depends on attributes the ad does not define is kept as an
expression.  A reference to an attribute whose own value cannot be fully
computed is kept as the reference (the C++ library inlines only values).
"""

from __future__ import annotations

from ._evaluate import EvalFailure, EvalState, _lookup, arithmetic, bitwise, compare
from ._evaluate import evaluate, logical_and, logical_or, meta_equal, unary
from ._nodes import Attr, Binary, Call, Cond, ListExpr, Literal, Paren, RecordExpr, Unary, value_to_node
from ._values import ERROR, UNDEFINED


def flatten(node, scope):
    """Return ``(value, None)`` when *node* evaluates fully, else ``(None, tree)``."""
    st = EvalState(scope)
    return _flatten(node, scope, st)


def _as_tree(value, tree):
    return tree if tree is not None else value_to_node(value)


def _flatten(node, scope, st):
    t = type(node)
    if t is Literal:
        return node.value, None
    if t is Attr:
        return _flatten_attr(node, scope, st)
    if t is Paren:
        v, tree = _flatten(node.inner, scope, st)
        return (v, None) if tree is None else (None, Paren(tree))
    if t is Unary:
        v, tree = _flatten(node.operand, scope, st)
        if tree is None:
            return unary(node.op, v), None
        return None, Unary(node.op, tree)
    if t is Binary:
        return _flatten_binary(node, scope, st)
    if t is Cond:
        v, tree = _flatten(node.cond, scope, st)
        if tree is None and v is not UNDEFINED:
            if type(v) in (bool, int, float):
                return _flatten(node.then if v else node.otherwise, scope, st)
            return ERROR, None
        then = _flatten(node.then, scope, st)
        other = _flatten(node.otherwise, scope, st)
        cond_tree = tree if tree is not None else node.cond
        return None, Cond(cond_tree, _as_tree(*then), _as_tree(*other))
    if t is Call or t is ListExpr or t is RecordExpr:
        try:
            return evaluate(node, scope), None
        except EvalFailure:
            raise
    return evaluate(node, scope), None


def _flatten_attr(node, scope, st):
    if node.base is None and not node.absolute:
        found = _lookup(node.key, scope, st) if scope is not None else None
    else:
        try:
            value = st.eval(node, scope)
        except EvalFailure:
            raise
        if value is UNDEFINED:
            return None, node
        return value, None
    if found is None:
        return None, node
    target, where = found
    if target is None:
        return where, None
    if type(target) is RecordExpr:
        return None, node
    if st.depth <= 0:
        raise EvalFailure("too deep")
    st.depth -= 1
    value, tree = _flatten(target, where, st)
    st.depth += 1
    if tree is not None:
        return None, node
    return value, None


def _flatten_binary(node, scope, st):
    op = node.op
    lv, lt = _flatten(node.left, scope, st)
    if op == "&&" and lt is None and lv is False:
        return False, None
    if op == "||" and lt is None and lv is True:
        return True, None
    if op == "?:" and lt is None and lv is not UNDEFINED:
        return lv, None
    rv, rt = _flatten(node.right, scope, st)
    if lt is None and rt is None:
        return _apply(op, lv, rv, st), None
    if op == "&&" and lt is None and lv is True:
        return None, rt
    if op == "||" and lt is None and lv is False:
        return None, rt
    return None, Binary(op, _as_tree(lv, lt), _as_tree(rv, rt))


def _apply(op, a, b, st):
    if op == "&&":
        return logical_and(a, b)
    if op == "||":
        return logical_or(a, b)
    if op == "?:":
        return b if a is UNDEFINED else a
    if op in ("is", "isnt"):
        r = meta_equal(a, b)
        return r if r is ERROR else (r if op == "is" else not r)
    if a is ERROR or b is ERROR:
        return ERROR
    if a is UNDEFINED or b is UNDEFINED:
        return UNDEFINED
    if op == "[]":
        from ._evaluate import subscript

        return subscript(a, b, st)
    if op in ("+", "-", "*", "/", "%"):
        return arithmetic(op, a, b)
    if op in ("<", "<=", ">", ">=", "==", "!="):
        return compare(op, a, b)
    return bitwise(op, a, b)
