"""Evaluation: expression trees compiled to Python closures.

A node is first evaluated by walking the tree (:func:`interpret`); if it is
evaluated again it is compiled into a closure ``fn(scope, state) -> value``
cached on the node (trees are shared, so the work is shared too).  One-shot
expressions thus cost no compilation, and the expressions of ads that are
evaluated over and over (matchmaking) run as closures.  ``scope`` is the ClassAd the expression is
evaluated in (the C++ ``curAd``; ``None`` for a free-standing expression)
and ``state`` an :class:`EvalState`.

Semantics follow the C++ library (``operators.cpp``, ``attrrefs.cpp``):

* every operator is strict -- ``error`` beats ``undefined`` beats a value --
  except ``&&``, ``||``, ``?:`` (both forms), ``is`` and ``isnt``;
* an unscoped name is looked up in the current ad, then its lexical
  parents; the special names ``self``/``my``, ``parent``, ``toplevel``/``root``
  and ``CurrentTime`` are resolved at the first level that does not define
  them; while two ads are being matched, a name found nowhere is looked up
  in the other ad too (HTCondor's old-ClassAd compatibility);
* following attribute references more than :data:`MAX_DEPTH` deep (a
  self-referencing ad) makes the whole evaluation fail, which the Python
  API reports as :class:`classad.ClassAdEvaluationError`.
"""

from __future__ import annotations

import sys
import time

from ._errors import EvalFailure
from ._functions import BUILTINS
from ._nodes import (
    Attr,
    Binary,
    Call,
    Cond,
    ListExpr,
    Literal,
    Paren,
    RecordExpr,
    RelTimeLiteral,
    Unary,
)
from ._operators import (
    _ARITH,
    _CMP_RESULT,
    _COMPARE,
    arithmetic,
    bool_equiv,
    compare,
    logical_and,
    logical_or,
    meta_op,
    strict_binary,
    unary,
)
from ._values import ERROR, UNDEFINED, ListValue

MAX_DEPTH = 400

# Deep trees (a sum of 20,000 terms) evaluate by recursion, as in C++.
# Python-to-Python calls do not use the C stack, so a high limit is safe.
if sys.getrecursionlimit() < 100_000:
    sys.setrecursionlimit(100_000)


class EvalState:
    """Per-evaluation state: the root scope and the remaining reference depth."""

    __slots__ = ("root", "depth")

    def __init__(self, scope=None):
        self.depth = MAX_DEPTH
        root = scope
        if root is not None:
            seen = 0
            while root._parent is not None and seen < 10_000:
                root = root._parent
                seen += 1
        self.root = root

    def eval(self, node, scope):
        """Evaluate *node* in *scope* within this state."""
        fn = node.fn
        return fn(scope, self) if fn else run(node, scope, self)

    def list_items(self, lv: ListValue) -> list:
        """The evaluated elements of a list value."""
        scope = lv.scope
        return [n.fn(scope, self) if n.fn else run(n, scope, self) for n in lv.exprs]


def run(node, scope, st):
    """Evaluate *node*: interpret it the first time, compile it the second."""
    if node.fn is None:
        node.fn = False
        return interpret(node, scope, st)
    return compile_node(node)(scope, st)


def evaluate(node, scope=None):
    """Evaluate *node* in *scope* with a fresh state; raises EvalFailure."""
    st = EvalState(scope)
    fn = node.fn
    try:
        return fn(scope, st) if fn else run(node, scope, st)
    except RecursionError:
        raise EvalFailure("expression too deeply nested") from None


# -- attribute lookup --------------------------------------------------------

_SPECIAL = frozenset({"toplevel", "root", "self", "my", "parent", "currenttime"})


def _lookup(key: str, start, st):
    """Find *key* from *start* upwards.

    Returns ``(node, scope)`` for an attribute, ``(None, value)`` for a
    special name resolved to a value, or ``None`` if not found.
    """
    current = start
    while current is not None:
        entry = current._attrs.get(key)
        if entry is not None:
            return entry[1], current
        superscope = None if current is st.root else current._parent
        if key in _SPECIAL:
            if key == "self" or key == "my":
                return None, current
            if key == "parent":
                return None, superscope if superscope is not None else UNDEFINED
            if key == "currenttime":
                return None, int(time.time())
            if st.root is None:
                raise EvalFailure("no root scope")
            return None, st.root
        current = superscope
        if current is start:
            return None
    return None


def _eval_found(found, st):
    node, where = found
    if node is None:
        return where
    if st.depth <= 0:
        raise EvalFailure("attribute references nested too deeply (self-reference?)")
    st.depth -= 1
    fn = node.fn
    v = fn(where, st) if fn else run(node, where, st)
    st.depth += 1
    return v


def attr_lookup(key: str, scope, st):
    """The value of the unscoped name *key* seen from *scope*."""
    if scope is None:
        return UNDEFINED
    entry = scope._attrs.get(key)
    if entry is not None and st.depth > 0:
        node = entry[1]
        if type(node) is Literal:  # the common case: a literal in the ad itself
            return node.value
        found = (node, scope)
    else:
        found = _lookup(key, scope, st)
    if found is None:
        alt = scope._alternate
        if alt is None:
            return UNDEFINED
        found = _lookup(key, alt, st)
        if found is None:
            return UNDEFINED
    return _eval_found(found, st)


def attr_absolute(key: str, st):
    """The value of ``.key``: *key* looked up from the root scope."""
    if st.root is None:
        raise EvalFailure("no root scope for an absolute reference")
    found = _lookup(key, st.root, st)
    return UNDEFINED if found is None else _eval_found(found, st)


def attr_select(target, key: str, scope, st):
    """The value of ``base.key`` where *target* is the value of ``base``."""
    attrs = getattr(target, "_attrs", None)
    if attrs is not None:
        entry = attrs.get(key)
        if entry is not None:  # the common case, kept inline
            if st.depth <= 0:
                raise EvalFailure("attribute references nested too deeply (self-reference?)")
            n = entry[1]
            st.depth -= 1
            fn = n.fn
            v = fn(target, st) if fn else run(n, target, st)
            st.depth += 1
            return v
    if target is UNDEFINED:
        return UNDEFINED
    if type(target) is ListValue:
        return _select_each(target, key, scope, st)
    if getattr(target, "_attrs", None) is None:
        return ERROR
    found = _lookup(key, target, st)
    return UNDEFINED if found is None else _eval_found(found, st)


def _compile_attr(node: Attr):
    key = node.key
    if node.base is None and not node.absolute:
        special = key in _SPECIAL

        def attr(scope, st):
            if scope is None:
                return UNDEFINED
            entry = scope._attrs.get(key)
            if entry is not None:  # defined right here: the common case, kept inline
                where = scope
            else:
                # one level up (a match context, an enclosing ad), also inline
                parent = scope._parent
                if special or parent is None or scope is st.root:
                    return attr_lookup(key, scope, st)
                entry = parent._attrs.get(key)
                if entry is None:
                    return attr_lookup(key, scope, st)
                where = parent
            if st.depth <= 0:
                raise EvalFailure("attribute references nested too deeply (self-reference?)")
            n = entry[1]
            st.depth -= 1
            fn = n.fn
            v = fn(where, st) if fn else run(n, where, st)
            st.depth += 1
            return v
        return attr
    if node.absolute:
        return lambda scope, st: attr_absolute(key, st)
    base = node.base
    if type(base) is Attr and base.base is None and not base.absolute and base.key in ("my", "self"):
        # MY.x: "my" names the current ad unless the ad defines it
        base_key = base.key
        base_fn = base.fn or compile_node(base)

        def my_select(scope, st):
            if scope is not None and base_key not in scope._attrs:
                return attr_select(scope, key, scope, st)
            return attr_select(base_fn(scope, st), key, scope, st)
        return my_select
    base_fn = base.fn or compile_node(base)
    return lambda scope, st: attr_select(base_fn(scope, st), key, scope, st)


def _select_each(lv: ListValue, key: str, scope, st):
    """``{a, b}.x``: the list of each element's ``x`` (errors as the C++ intends)."""
    results = []
    for item in st.list_items(lv):
        if getattr(item, "_attrs", None) is None:
            results.append(ERROR if item is not UNDEFINED else UNDEFINED)
            continue
        found = _lookup(key, item, st)
        results.append(UNDEFINED if found is None else _eval_found(found, st))
    return ListValue.from_values(results)


def subscript(base, index, st):
    if base is ERROR or index is ERROR:
        return ERROR
    if base is UNDEFINED or index is UNDEFINED:
        return UNDEFINED
    tb, ti = type(base), type(index)
    if ti is str and getattr(base, "_attrs", None) is not None:
        entry = base._attrs.get(index.lower())
        if entry is None:
            return UNDEFINED
        try:
            return evaluate(entry[1], base)
        except EvalFailure:
            return ERROR
    if tb is ListValue and ti is int:
        i = index & 0xFFFFFFFF
        if i & 0x80000000:
            i -= 1 << 32
        if i < 0 or i >= len(base.exprs):
            return ERROR
        return st.eval(base.exprs[i], base.scope)
    return ERROR


def call_function(name: str, args: tuple, scope, st):
    """Call the built-in *name* on the argument expressions *args*."""
    fn = BUILTINS.get(name.lower())
    if fn is None or not fn.accepts(len(args)) or (fn.exact_case and name != fn.name):
        return ERROR
    if fn.lazy:
        return fn.impl(st, scope, args)
    return fn.impl(st, [st.eval(a, scope) for a in args])


def conditional(c, then, otherwise):
    """``c ? then : otherwise`` once *then*/*otherwise* are zero-argument thunks."""
    b = bool_equiv(c)
    if b is True:
        return then()
    if b is False:
        return otherwise()
    # not a boolean: both branches are still evaluated, as in C++
    then()
    otherwise()
    return UNDEFINED if c is UNDEFINED else ERROR


def interpret(node, scope, st):
    """Evaluate *node* by walking the tree (its first evaluation).

    Children are interpreted too unless they have been compiled already;
    only the node at the top counts as "seen" for :func:`run`.
    """
    t = type(node)
    if t is Literal:
        return node.value
    if t is RelTimeLiteral:
        return float(node.value.secs)
    if t is Attr:
        if node.base is not None:
            return attr_select(_sub(node.base, scope, st), node.key, scope, st)
        if node.absolute:
            return attr_absolute(node.key, st)
        return attr_lookup(node.key, scope, st)
    if t is Binary:
        op = node.op
        a = _sub(node.left, scope, st)
        if op == "&&":
            if bool_equiv(a) is False:
                return False
            return logical_and(a, _sub(node.right, scope, st))
        if op == "||":
            if bool_equiv(a) is True:
                return True
            return logical_or(a, _sub(node.right, scope, st))
        if op == "?:":
            return a if a is not UNDEFINED else _sub(node.right, scope, st)
        b = _sub(node.right, scope, st)
        if op == "is" or op == "isnt":
            return meta_op(op, a, b)
        if op == "[]":
            return subscript(a, b, st)
        return strict_binary(op, a, b)
    if t is Unary:
        return unary(node.op, _sub(node.operand, scope, st))
    if t is Paren:
        return _sub(node.inner, scope, st)
    if t is Cond:
        return conditional(_sub(node.cond, scope, st), lambda: _sub(node.then, scope, st),
                           lambda: _sub(node.otherwise, scope, st))
    if t is Call:
        return call_function(node.name, node.args, scope, st)
    if t is ListExpr:
        return ListValue(node.items, scope)
    if t is RecordExpr:
        return record_view(node.attrs, scope)
    return node


def _sub(node, scope, st):
    fn = node.fn
    if fn:
        return fn(scope, st)
    if type(node) is Literal:
        return node.value
    return interpret(node, scope, st)


# -- compilation -------------------------------------------------------------



def compile_hot(node):
    """Compile *node* to generated Python source (for expressions evaluated very often).

    Generating and compiling source costs far more than building closures,
    so this is done only where an expression is known to be hot: the
    ``Requirements`` of ads being matched.
    """
    fn = node.fn
    if fn and getattr(fn, "source", None) is not None:
        return fn
    from ._codegen import generate

    fn = generate(node)
    if fn is None:
        return node.fn or compile_node(node)
    node.fn = fn
    return fn


def compile_node(node):
    """Compile *node* (and, lazily, its children) to a closure; cache it on the node."""
    t = type(node)
    if t is Literal or t is RelTimeLiteral:
        value = node.value if t is Literal else float(node.value.secs)
        fn = lambda scope, st: value  # noqa: E731
    elif t is Attr:
        fn = _compile_attr(node)
    elif t is Binary:
        fn = _compile_binary(node)
    elif t is Paren:
        fn = node.inner.fn or compile_node(node.inner)
    elif t is Unary:
        fn = _compile_unary(node)
    elif t is Cond:
        fn = _compile_cond(node)
    elif t is Call:
        fn = _compile_call(node)
    elif t is ListExpr:
        items = node.items
        fn = lambda scope, st: ListValue(items, scope)  # noqa: E731
    elif t is RecordExpr:
        fn = _compile_record(node)
    else:
        fn = _compile_other(node)
    node.fn = fn
    return fn


def _compile_other(node):
    # An object that evaluates to itself: a ClassAd placed in a tree.
    return lambda scope, st: node


def _compile_record(node):
    attrs = node.attrs
    return lambda scope, st: record_view(attrs, scope)


_ClassAd = None


def record_view(attrs: dict, scope):
    """The ClassAd value of a nested ad literal evaluated in *scope*."""
    global _ClassAd
    if _ClassAd is None:  # _classad imports this module, so bind late
        from ._classad import ClassAd

        _ClassAd = ClassAd
    return _ClassAd._view(attrs, scope)


def _compile_unary(node):
    op = node.op
    operand = node.operand.fn or compile_node(node.operand)
    if op == "!":
        def logical_not(scope, st):
            v = operand(scope, st)
            if v is True:
                return False
            if v is False:
                return True
            return unary("!", v)
        return logical_not
    return lambda scope, st: unary(op, operand(scope, st))


def _compile_cond(node):
    cond = node.cond.fn or compile_node(node.cond)
    then = node.then.fn or compile_node(node.then)
    otherwise = node.otherwise.fn or compile_node(node.otherwise)

    def conditional_(scope, st):
        c = cond(scope, st)
        if c is True:
            return then(scope, st)
        if c is False:
            return otherwise(scope, st)
        return conditional(c, lambda: then(scope, st), lambda: otherwise(scope, st))
    return conditional_


def _compile_binary(node):
    op = node.op
    left = node.left.fn or compile_node(node.left)
    right = node.right.fn or compile_node(node.right)
    if op == "&&":
        def and_(scope, st):
            a = left(scope, st)
            if a is False:
                return False
            b = bool_equiv(a)
            if b is False:
                return False
            v = right(scope, st)
            if a is True and v is True:
                return True
            return logical_and(a, v)
        return and_
    if op == "||":
        def or_(scope, st):
            a = left(scope, st)
            if a is True:
                return True
            b = bool_equiv(a)
            if b is True:
                return True
            v = right(scope, st)
            if a is False and type(v) is bool:
                return v
            return logical_or(a, v)
        return or_
    if op == "?:":
        def elvis(scope, st):
            a = left(scope, st)
            if a is not UNDEFINED:
                return a
            return right(scope, st)
        return elvis
    if op == "is" or op == "isnt":
        return lambda scope, st: meta_op(op, left(scope, st), right(scope, st))
    if op == "[]":
        return lambda scope, st: subscript(left(scope, st), right(scope, st), st)
    if op in _COMPARE:
        cmp_op = _CMP_RESULT[op]

        def comparison(scope, st):
            a = left(scope, st)
            b = right(scope, st)
            ta = type(a)
            if ta is type(b):
                if ta is int:
                    return cmp_op((a > b) - (a < b))
                if ta is str and a.isascii() and b.isascii():
                    a, b = a.lower(), b.lower()  # strcasecmp, for ASCII
                    return cmp_op((a > b) - (a < b))
            if a is ERROR or b is ERROR:
                return ERROR
            if a is UNDEFINED or b is UNDEFINED:
                return UNDEFINED
            return compare(op, a, b)
        return comparison
    if op in _ARITH:
        def arith(scope, st):
            a = left(scope, st)
            b = right(scope, st)
            if a is ERROR or b is ERROR:
                return ERROR
            if a is UNDEFINED or b is UNDEFINED:
                return UNDEFINED
            return arithmetic(op, a, b)
        return arith

    return lambda scope, st: strict_binary(op, left(scope, st), right(scope, st))


def _compile_call(node):
    name = node.name
    key = name.lower()
    args = node.args
    arg_fns = [a.fn or compile_node(a) for a in args]
    count = len(args)

    def call(scope, st):
        fn = BUILTINS.get(key)
        if fn is None or not fn.accepts(count) or (fn.exact_case and name != fn.name):
            return ERROR
        if fn.lazy:
            return fn.impl(st, scope, args)
        return fn.impl(st, [f(scope, st) for f in arg_fns])
    return call
