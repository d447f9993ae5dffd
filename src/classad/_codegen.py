"""Compiling expression trees to Python functions through generated source.

The closures of :mod:`classad._evaluate` cost a Python call per node.  For
an expression evaluated over and over (a job's ``Requirements`` during
matchmaking) this module writes one Python function for the whole tree:
attribute lookups, integer and string comparisons, ``&&``/``||`` and the
conditional are inlined, and every other case calls the same helper the
closures use, so the semantics cannot drift apart.  Trees too deep for
Python's block nesting fall back to closures.

The generated code for ``TARGET.Memory >= RequestMemory`` reads like::

    def _expr(scope, st):
        v1 = <TARGET looked up from scope>
        v2 = <Memory looked up in v1 when v1 is an ad>
        v3 = <RequestMemory looked up from scope>
        if v2.__class__ is int and v3.__class__ is int:
            v4 = v2 >= v3
        else:
            v4 = strict_binary(">=", v2, v3)
        return v4
"""

from __future__ import annotations

from . import _evaluate as ev
from . import _operators as ops
from ._nodes import Attr, Binary, Call, Cond, Literal, Paren, Unary
from ._values import ERROR, INT64_MAX, INT64_MIN, UNDEFINED, wrap64

MAX_BLOCK_DEPTH = 15  # Python allows 20 nested blocks; keep a margin
MIN_NODES = 3  # smaller trees gain nothing over a closure

_INLINE_ARITH = {"+", "-", "*"}
_COMPARE = {"<", "<=", ">", ">=", "==", "!="}


class _TooDeep(Exception):
    pass


# Names whose lookup is cached within one evaluation of a generated function.
_MEMOIZED = frozenset({"target", "other"})
_UNSET = object()



class _Generator:
    def __init__(self):
        self.lines: list[str] = []
        self.names: dict[str, object] = {
            "Literal": Literal, "UNDEFINED": UNDEFINED, "ERROR": ERROR,
            "EvalFailure": ev.EvalFailure, "run": ev.run, "attr_select": ev.attr_select,
            "strict_binary": ops.strict_binary, "meta_op": ops.meta_op, "subscript": ev.subscript,
            "logical_and": ops.logical_and, "logical_or": ops.logical_or, "bool_equiv": ops.bool_equiv,
            "unary": ops.unary, "conditional": ev.conditional, "wrap64": wrap64,
            "INT64_MIN": INT64_MIN, "INT64_MAX": INT64_MAX,
        }
        self.count = 0
        self.memo: dict[str, str] = {}  # unscoped name -> variable caching its value

    def tmp(self) -> str:
        self.count += 1
        return f"v{self.count}"

    def const(self, value) -> str:
        name = f"k{len(self.names)}"
        self.names[name] = value
        return name

    def emit(self, depth: int, line: str) -> None:
        if depth > MAX_BLOCK_DEPTH:
            raise _TooDeep()
        self.lines.append("    " * depth + line)

    # -- nodes ---------------------------------------------------------------
    def gen(self, node, depth: int) -> str:
        """Emit statements computing *node*; return the name holding its value."""
        t = type(node)
        if t is Literal:
            return self.const(node.value)
        if t is Paren:
            return self.gen(node.inner, depth)
        if t is Attr:
            return self.attr(node, depth)
        if t is Binary:
            return self.binary(node, depth)
        if t is Unary:
            return self.unary_op(node, depth)
        if t is Cond:
            return self.cond(node, depth)
        if t is Call and node.name.lower() == "ifthenelse" and len(node.args) == 3 and _is_builtin_if(node):
            return self.if_then_else(node, depth)
        # calls, lists, nested ads, ...: their closure
        fn = self.const(node.fn or ev.compile_node(node))
        v = self.tmp()
        self.emit(depth, f"{v} = {fn}(scope, st)")
        return v

    def lookup_in(self, ad: str, key: str, v: str, fallback: str, depth: int) -> None:
        """Emit ``v = <value of key in ad>``, the common case inline, else ``fallback``."""
        e = self.tmp()
        self.emit(depth, f"{e} = {ad}._attrs.get({key!r})")
        self.emit(depth, f"if {e} is not None and st.depth > 0:")
        self.emit(depth + 1, f"{e} = {e}[1]")
        self.emit(depth + 1, f"if {e}.__class__ is Literal:")
        self.emit(depth + 2, f"{v} = {e}.value")
        self.emit(depth + 1, "else:")
        self.emit(depth + 2, "st.depth -= 1")
        self.emit(depth + 2, f"{v} = {e}.fn({ad}, st) if {e}.fn else run({e}, {ad}, st)")
        self.emit(depth + 2, "st.depth += 1")
        self.emit(depth, "else:")
        self.emit(depth + 1, f"{v} = {fallback}")

    def attr(self, node: Attr, depth: int, memoize: bool = True) -> str:
        v = self.tmp()
        if node.absolute or (node.base is None and node.key in ev._SPECIAL):
            fn = self.const(node.fn or ev.compile_node(node))
            self.emit(depth, f"{v} = {fn}(scope, st)")
            return v
        if memoize and node.base is None and node.key in _MEMOIZED:
            # an ad reference used several times (TARGET.x, TARGET.y, ...):
            # looked up once per evaluation, on first use
            var = self.memo.get(node.key)
            if var is None:
                var = self.memo[node.key] = f"m_{node.key}"
            self.emit(depth, f"if {var} is _UNSET:")
            inner = self.attr(node, depth + 1, memoize=False)
            self.emit(depth + 1, f"{var} = {inner}")
            return var
        if node.base is None:
            # found in the ad itself, or one scope up (a match context, an
            # enclosing ad): both inline; anything else via the closure
            fn = self.const(node.fn or ev.compile_node(node))
            p = self.tmp()
            self.emit(depth, "if scope is not None:")
            self.emit(depth + 1, f"{p} = scope if {node.key!r} in scope._attrs else scope._parent")
            self.emit(depth + 1, f"if {p} is None or ({p} is not scope and scope is st.root):")
            self.emit(depth + 2, f"{v} = {fn}(scope, st)")
            self.emit(depth + 1, "else:")
            self.lookup_in(p, node.key, v, f"{fn}(scope, st)", depth + 2)
            self.emit(depth, "else:")
            self.emit(depth + 1, f"{v} = UNDEFINED")
            return v
        base = node.base
        if type(base) is Attr and base.base is None and not base.absolute and base.key in ("my", "self"):
            ad = "scope"
            self.emit(depth, f"if scope is not None and {base.key!r} not in scope._attrs:")
            self.lookup_in("scope", node.key, v, f"attr_select(scope, {node.key!r}, scope, st)", depth + 1)
            self.emit(depth, "else:")
            b = self.gen(base, depth + 1)
            self.emit(depth + 1, f"{v} = attr_select({b}, {node.key!r}, scope, st)")
            return v
        ad = self.gen(base, depth)
        self.emit(depth, f"if {ad}.__class__ is ClassAd:")
        self.lookup_in(ad, node.key, v, f"attr_select({ad}, {node.key!r}, scope, st)", depth + 1)
        self.emit(depth, "else:")
        self.emit(depth + 1, f"{v} = attr_select({ad}, {node.key!r}, scope, st)")
        return v

    def binary(self, node: Binary, depth: int) -> str:
        op = node.op
        a = self.gen(node.left, depth)
        v = self.tmp()
        if op == "&&" or op == "||":
            short, other = ("False", "True") if op == "&&" else ("True", "False")
            self.emit(depth, f"if {a} is {short} or ({a}.__class__ is not bool and bool_equiv({a}) is {short}):")
            self.emit(depth + 1, f"{v} = {short}")
            self.emit(depth, "else:")
            b = self.gen(node.right, depth + 1)
            self.emit(depth + 1, f"if {a} is {other} and {b}.__class__ is bool:")
            self.emit(depth + 2, f"{v} = {b}")
            self.emit(depth + 1, "else:")
            combine = "logical_and" if op == "&&" else "logical_or"
            self.emit(depth + 2, f"{v} = {combine}({a}, {b})")
            return v
        if op == "?:":
            self.emit(depth, f"if {a} is UNDEFINED:")
            b = self.gen(node.right, depth + 1)
            self.emit(depth + 1, f"{v} = {b}")
            self.emit(depth, "else:")
            self.emit(depth + 1, f"{v} = {a}")
            return v
        b = self.gen(node.right, depth)
        if (op == "is" or op == "isnt") and type(node.right) is Literal and \
                (node.right.value is UNDEFINED or node.right.value is ERROR):
            # "x is undefined": true exactly when x is that value
            self.emit(depth, f"{v} = {a} {'is' if op == 'is' else 'is not'} {b}")
        elif op == "is" or op == "isnt":
            self.emit(depth, f"{v} = meta_op({op!r}, {a}, {b})")
        elif op == "[]":
            self.emit(depth, f"{v} = subscript({a}, {b}, st)")
        elif op in _COMPARE and type(node.right) is Literal and type(node.right.value) in (int, str) \
                and (type(node.right.value) is int or node.right.value.isascii()):
            lit = node.right.value
            if type(lit) is int:
                self.emit(depth, f"if {a}.__class__ is int:")
                self.emit(depth + 1, f"{v} = {a} {op} {lit!r}")
            else:
                self.emit(depth, f"if {a}.__class__ is str and {a}.isascii():")
                self.emit(depth + 1, f"{v} = {a}.lower() {op} {lit.lower()!r}")
            self.emit(depth, "else:")
            self.emit(depth + 1, f"{v} = strict_binary({op!r}, {a}, {b})")
        elif op in _COMPARE:
            self.emit(depth, f"if {a}.__class__ is int and {b}.__class__ is int:")
            self.emit(depth + 1, f"{v} = {a} {op} {b}")
            self.emit(depth, f"elif {a}.__class__ is str and {b}.__class__ is str and {a}.isascii() and {b}.isascii():")
            self.emit(depth + 1, f"{v} = {a}.lower() {op} {b}.lower()")
            self.emit(depth, "else:")
            self.emit(depth + 1, f"{v} = strict_binary({op!r}, {a}, {b})")
        elif op in _INLINE_ARITH:
            self.emit(depth, f"if {a}.__class__ is int and {b}.__class__ is int:")
            self.emit(depth + 1, f"{v} = {a} {op} {b}")
            self.emit(depth + 1, f"if not INT64_MIN <= {v} <= INT64_MAX:")
            self.emit(depth + 2, f"{v} = wrap64({v})")
            self.emit(depth, "else:")
            self.emit(depth + 1, f"{v} = strict_binary({op!r}, {a}, {b})")
        else:
            self.emit(depth, f"{v} = strict_binary({op!r}, {a}, {b})")
        return v

    def unary_op(self, node: Unary, depth: int) -> str:
        a = self.gen(node.operand, depth)
        v = self.tmp()
        if node.op == "!":
            self.emit(depth, f"{v} = (not {a}) if {a}.__class__ is bool else unary('!', {a})")
        else:
            self.emit(depth, f"{v} = unary({node.op!r}, {a})")
        return v

    def if_then_else(self, node, depth: int) -> str:
        """``ifThenElse(c, a, b)`` inline: only the chosen branch is evaluated."""
        cond, then, otherwise = node.args
        c = self.gen(cond, depth)
        v = self.tmp()
        self.emit(depth, f"if {c} is True:")
        t = self.gen(then, depth + 1)
        self.emit(depth + 1, f"{v} = {t}")
        self.emit(depth, f"elif {c} is False:")
        o = self.gen(otherwise, depth + 1)
        self.emit(depth + 1, f"{v} = {o}")
        then_fn = self.const(then.fn or ev.compile_node(then))
        other_fn = self.const(otherwise.fn or ev.compile_node(otherwise))
        self.emit(depth, f"elif {c}.__class__ is int or {c}.__class__ is float:")
        self.emit(depth + 1, f"{v} = ({then_fn} if {c} != 0 else {other_fn})(scope, st)")
        self.emit(depth, f"elif {c} is UNDEFINED:")
        self.emit(depth + 1, f"{v} = UNDEFINED")
        self.emit(depth, "else:")
        self.emit(depth + 1, f"{v} = ERROR")
        return v

    def cond(self, node: Cond, depth: int) -> str:
        c = self.gen(node.cond, depth)
        v = self.tmp()
        self.emit(depth, f"if {c} is True:")
        t = self.gen(node.then, depth + 1)
        self.emit(depth + 1, f"{v} = {t}")
        self.emit(depth, f"elif {c} is False:")
        o = self.gen(node.otherwise, depth + 1)
        self.emit(depth + 1, f"{v} = {o}")
        self.emit(depth, "else:")
        then_fn = self.const(node.then.fn or ev.compile_node(node.then))
        other_fn = self.const(node.otherwise.fn or ev.compile_node(node.otherwise))
        self.emit(depth + 1, f"{v} = conditional({c}, lambda: {then_fn}(scope, st), "
                             f"lambda: {other_fn}(scope, st))")
        return v


def _is_builtin_if(node) -> bool:
    """True unless someone registered their own ``ifThenElse``."""
    from ._functions import BUILTINS
    from ._functions.meta import if_then_else

    entry = BUILTINS.get("ifthenelse")
    return entry is not None and entry.impl is if_then_else


def _size(node, limit: int) -> int:
    count, stack = 0, [node]
    while stack and count <= limit:
        n = stack.pop()
        count += 1
        stack.extend(n.children())
    return count


def generate(node):
    """A Python function evaluating *node*, or ``None`` to use closures instead."""
    size = _size(node, 400)
    if size < MIN_NODES or size > 400:
        return None
    from ._classad import ClassAd

    g = _Generator()
    g.names["ClassAd"] = ClassAd
    g.names["_UNSET"] = _UNSET
    try:
        result = g.gen(node, 1)
    except (_TooDeep, RecursionError):
        return None
    prologue = "".join(f"    {var} = _UNSET\n" for var in g.memo.values())
    source = "def _expr(scope, st):\n" + prologue + "\n".join(g.lines) + f"\n    return {result}\n"
    namespace = dict(g.names)
    exec(compile(source, "<classad expression>", "exec"), namespace)  # noqa: S102
    fn = namespace["_expr"]
    fn.source = source
    return fn
