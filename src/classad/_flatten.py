"""Partial evaluation (``ClassAd.flatten``), as the C++ library does it.

Every sub-expression that can be computed in the ad is replaced by its
value; what depends on names the ad does not define stays an expression.
A reference to an attribute whose own value cannot be fully computed is
kept as the reference, not inlined.

Chains of the associative operators (``+ * && || & | ^``) are flattened as
the C++ library does: each side is reduced to *value op residue*, and the
constant parts are folded together, so ``x + a + 2`` with ``a = 1`` becomes
``3 + x``.  ``a && x`` with a true ``a`` becomes ``x``, and a false operand
decides an ``&&`` outright.
"""

from __future__ import annotations

from ._evaluate import EvalFailure, EvalState, _lookup, call_function, subscript
from ._nodes import (
    Attr,
    Binary,
    Call,
    Cond,
    ListExpr,
    Literal,
    Paren,
    RecordExpr,
    Unary,
    value_to_node,
)
from ._operators import (
    bool_equiv,
    logical_and,
    logical_or,
    meta_op,
    strict_binary,
    unary,
)
from ._values import UNDEFINED

# Operators flattened side by side (no reassociation).
_PAIRWISE = frozenset({"<", "<=", ">", ">=", "==", "!=", "is", "isnt", "-", "/", "%", "<<", ">>", ">>>"})
_LOGICAL = frozenset({"&&", "||"})


def flatten(node, scope):
    """Return ``(value, None)`` when *node* evaluates fully, else ``(None, tree)``."""
    st = EvalState(scope)
    value, tree, op = _flatten(node, scope, st)
    if op is not None:
        tree = Binary(op, value_to_node(value), tree)
    return (value, None) if tree is None else (None, tree)


def apply(op, a, b, st):
    """The value of the binary operator *op* on two values."""
    if op == "&&":
        return logical_and(a, b)
    if op == "||":
        return logical_or(a, b)
    if op == "?:":
        return b if a is UNDEFINED else a
    if op == "is" or op == "isnt":
        return meta_op(op, a, b)
    if op == "[]":
        return subscript(a, b, st)
    return strict_binary(op, a, b)


def _literal(value, tree):
    return tree if tree is not None else value_to_node(value)


def _pair(node, op, left, right):
    """Combine two (value, tree) sides of a non-reassociated operator."""
    (lv, lt), (rv, rt) = left, right
    if lt is None and rt is None:
        return None
    return Binary(op, _literal(lv, lt), _literal(rv, rt))


def _whole(node, scope, st):
    """Flatten to (value, tree) with no pending operator."""
    value, tree, op = _flatten(node, scope, st)
    if op is not None:
        return None, Binary(op, value_to_node(value), tree)
    return value, tree


def _flatten(node, scope, st):
    """``(value, tree, op)``: the node stands for ``value op tree`` (or one of them)."""
    t = type(node)
    if t is Literal:
        return node.value, None, None
    if t is Attr:
        return _flatten_attr(node, scope, st)
    if t is Paren:
        v, tree = _whole(node.inner, scope, st)
        return (v, None, None) if tree is None else (None, Paren(tree), None)
    if t is Unary:
        v, tree = _whole(node.operand, scope, st)
        return (unary(node.op, v), None, None) if tree is None else (None, Unary(node.op, tree), None)
    if t is Cond:
        return _flatten_cond(node, scope, st)
    if t is Binary:
        op = node.op
        if op in _PAIRWISE or op == "[]" or op == "?:":
            left = _whole(node.left, scope, st)
            right = _whole(node.right, scope, st)
            tree = _pair(node, op, left, right)
            if tree is None:
                return apply(op, left[0], right[0], st), None, None
            return None, tree, None
        return _combine(op, _flatten(node.left, scope, st), _flatten(node.right, scope, st), st)
    if t is Call:
        return _flatten_call(node, scope, st)
    if t is ListExpr:
        return None, ListExpr(_literal(*_whole(item, scope, st)) for item in node.items), None
    if t is RecordExpr:
        from ._classad import ClassAd

        inner = ClassAd._view(node.attrs, scope)
        attrs = {key: (name, _literal(*_whole(n, inner, st))) for key, (name, n) in node.attrs.items()}
        return None, RecordExpr(attrs), None
    return st.eval(node, scope), None, None


def _flatten_attr(node, scope, st):
    if node.base is None and not node.absolute:
        found = _lookup(node.key, scope, st) if scope is not None else None
    elif node.base is None:
        if st.root is None:
            raise EvalFailure("no root scope")
        found = _lookup(node.key, st.root, st)
    else:
        base = st.eval(node.base, scope)
        if base is UNDEFINED:
            return None, node, None
        if getattr(base, "_attrs", None) is None:
            from ._values import ERROR

            return ERROR, None, None
        found = _lookup(node.key, base, st)
    if found is None:
        return None, node, None
    target, where = found
    if target is None:  # a special name resolved to a value
        return where, None, None
    if type(target) is RecordExpr:
        return None, node, None
    if st.depth <= 0:
        raise EvalFailure("attribute references nested too deeply")
    st.depth -= 1
    value, tree = _whole(target, where, st)
    st.depth += 1
    if tree is not None:
        return None, node, None
    return value, None, None


def _flatten_cond(node, scope, st):
    cv, ct = _whole(node.cond, scope, st)
    if ct is None and cv is not UNDEFINED:
        b = bool_equiv(cv)
        if b is None:
            from ._values import ERROR

            return ERROR, None, None
        value, tree = _whole(node.then if b else node.otherwise, scope, st)
        return value, tree, None
    then = _literal(*_whole(node.then, scope, st))
    otherwise = _literal(*_whole(node.otherwise, scope, st))
    return None, Cond(ct if ct is not None else node.cond, then, otherwise), None


def _flatten_call(node, scope, st):
    from ._functions import BUILTINS
    from ._values import ERROR

    if node.name.lower() not in BUILTINS:
        return ERROR, None, None
    args, fold = [], True
    for arg in node.args:
        value, tree = _whole(arg, scope, st)
        if tree is not None:
            fold = False
        args.append(_literal(value, tree))
    if fold:
        return call_function(node.name, node.args, scope, st), None, None
    return None, Call(node.name, tuple(args)), None


def _combine(op, left, right, st):
    """Merge two ``value op tree`` sides of the associative operator *op*."""
    val1, tree1, op1 = left
    val2, tree2, op2 = right
    if op in _LOGICAL and (tree1 is None) != (tree2 is None):
        # the C++ library converts a numeric side to a boolean in place here
        if tree1 is None and type(val1) in (int, float):
            val1 = bool_equiv(val1)
        if tree2 is None and type(val2) in (int, float):
            val2 = bool_equiv(val2)
        decided = apply(op, val1 if tree1 is None else UNDEFINED, val2 if tree2 is None else UNDEFINED, st)
        if type(decided) is bool:
            return decided, None, None
        if op == "&&" and tree1 is None and val1 is True:
            return None, tree2, None
        if op == "&&" and tree2 is None and val2 is True:
            return None, tree1, None
    if tree1 is None and tree2 is None:
        return apply(op, val1, val2, st), None, None
    if tree1 is None and op2 is None:
        return val1, tree2, op
    if tree2 is None and op1 is None:
        return val2, tree1, op
    if op1 is None and op2 is None:
        return None, Binary(op, tree1, tree2), None
    if op != op1 and op != op2:
        side1 = Binary(op1, value_to_node(val1), tree1) if op1 is not None else _literal(val1, tree1)
        side2 = Binary(op2, value_to_node(val2), tree2) if op2 is not None else _literal(val2, tree2)
        return None, Binary(op, side1, side2), None
    if op == op1 and op == op2:
        return apply(op, val1, val2, st), Binary(op, tree1, tree2), op
    if op == op1:
        if tree2 is None:
            return apply(op, val1, val2, st), tree1, op
        return val1, Binary(op, tree1, tree2), op
    if tree1 is None:
        return apply(op, val1, val2, st), tree2, op
    return val2, Binary(op, tree1, tree2), op

