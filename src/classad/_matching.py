"""Matchmaking: evaluating two ads against each other.

Like the C++ ``MatchClassAd``, matching places the two ads in a small
structure of scopes for the duration of one evaluation::

    match ad  [ symmetricMatch = RIGHT.requirements && LEFT.requirements; ...
                LEFT = <left ad>; RIGHT = <right ad> ]
      left context   [ my = .LEFT;  target = .RIGHT; other = .RIGHT; ad = .LEFT ]
        left ad
      right context  [ my = .RIGHT; target = .LEFT;  other = .LEFT;  ad = .RIGHT ]
        right ad

so ``TARGET.x`` in either ad reaches the other one, and (HTCondor's
old-ClassAd compatibility) an unscoped name found nowhere in an ad's own
scopes is looked up in the other ad.

The structure is built once and reused: its ``LEFT``/``RIGHT`` entries
read the pair currently bound (:class:`_Pair`), so a match costs no
allocation but the evaluation state.  Binding is a stack, so a match
evaluated inside another one (from a Python function registered with
``classad.register``) restores the outer pair.  The ads' own parent links
are restored afterwards too.
"""

from __future__ import annotations

from ._errors import EvalFailure
from ._evaluate import EvalState, bool_equiv, compile_hot
from ._nodes import Attr, Literal, Node
from ._parser import parse_expression, parse_record

_MATCH_ATTRS, _ = parse_record(
    "[symmetricMatch = RIGHT.requirements && LEFT.requirements;"
    " leftMatchesRight = RIGHT.requirements; rightMatchesLeft = LEFT.requirements;"
    " leftRankValue = LEFT.rank; rightRankValue = RIGHT.rank]"
)
_SYMMETRIC = parse_expression("RIGHT.requirements && LEFT.requirements")
_LEFT_MATCHES_RIGHT = parse_expression("RIGHT.requirements")


class _Pair:
    """The two ads being matched right now (``None`` between matches)."""

    __slots__ = ("left", "right")

    def __init__(self):
        self.left = None
        self.right = None


class _Side(Node):
    """A node that evaluates to the left or the right ad of the bound pair."""

    __slots__ = ()

    def __init__(self, pair: _Pair, side: str):
        self.fn = (lambda scope, st: pair.left) if side == "left" else (lambda scope, st: pair.right)


class _Scaffold:
    """The match ad and the two context ads, built once (see the module docstring)."""

    def __init__(self):
        from ._classad import ClassAd

        self.pair = _Pair()
        left, right = _Side(self.pair, "left"), _Side(self.pair, "right")
        attrs = dict(_MATCH_ATTRS)
        attrs["left"] = ("LEFT", left)
        attrs["right"] = ("RIGHT", right)
        self.match = ClassAd._view(attrs, None)
        self.left_context = ClassAd._view(
            {"other": ("other", right), "target": ("target", right), "my": ("my", left), "ad": ("ad", left)},
            self.match)
        self.right_context = ClassAd._view(
            {"other": ("other", left), "target": ("target", left), "my": ("my", right), "ad": ("ad", right)},
            self.match)


_scaffold: _Scaffold | None = None


def _get_scaffold() -> _Scaffold:
    global _scaffold
    if _scaffold is None:  # built on first use: _classad imports this module
        _scaffold = _Scaffold()
    return _scaffold


def _is_hot(node) -> bool:
    fn = node.fn
    return bool(fn) and getattr(fn, "source", None) is not None


def _prepare(ad) -> None:
    """Compile the ad's Requirements, and what they refer to in the ad, for repeated use.

    Each expression is compiled once: trees are shared between ads that
    spell them the same way, and a compiled tree stays compiled.
    """
    entry = ad._attrs.get("requirements")
    if entry is None or _is_hot(entry[1]):
        return
    pending, seen = [entry[1]], set()
    while pending and len(seen) < 64:
        node = pending.pop()
        if id(node) in seen or type(node) is Literal:
            continue
        seen.add(id(node))
        compile_hot(node)
        for name in _local_names(node):
            target = ad._attrs.get(name)
            if target is not None:
                pending.append(target[1])


def _local_names(node) -> set:
    """Names an expression may look up in its own ad: ``x`` and ``MY.x``."""
    names, stack = set(), [node]
    while stack:
        n = stack.pop()
        if type(n) is Attr and not n.absolute:
            base = n.base
            if base is None:
                names.add(n.key)
            elif type(base) is Attr and base.base is None and base.key in ("my", "self"):
                names.add(n.key)
        stack.extend(n.children())
    return names


def _evaluate_bound(left, right, fn, scope_is_match: bool, scope=None):
    """Run the compiled *fn* with *left* and *right* bound as a match; restores everything."""
    sc = _scaffold or _get_scaffold()
    pair = sc.pair
    saved = (pair.left, pair.right, left._parent, right._parent, left._alternate, right._alternate)
    pair.left, pair.right = left, right
    left._parent = sc.left_context
    right._parent = sc.right_context
    left._alternate = right
    right._alternate = left
    st = EvalState.__new__(EvalState)
    st.root = sc.match
    st.depth = 400
    try:
        return fn(sc.match if scope_is_match else scope, st)
    finally:
        pair.left, pair.right, left._parent, right._parent, left._alternate, right._alternate = saved


def _match_expr(left, right, node) -> bool:
    """Evaluate *node* (written in the match ad) for *left* and *right*; True if it holds."""
    fn = node.fn
    if not fn or getattr(fn, "source", None) is None:
        fn = compile_hot(node)
    entry = left._attrs.get("requirements")
    if entry is not None and not _is_hot(entry[1]):
        _prepare(left)
    entry = right._attrs.get("requirements")
    if entry is not None and not _is_hot(entry[1]):
        _prepare(right)
    try:
        value = _evaluate_bound(left, right, fn, True)
    except (EvalFailure, RecursionError):
        return False
    if value is True:
        return True
    return bool(bool_equiv(value))


def symmetric_match(left, right) -> bool:
    """Both ads' Requirements hold, each with the other as TARGET."""
    return _match_expr(left, right, _SYMMETRIC)


def left_matches_right(left, right) -> bool:
    """The right ad's Requirements hold with the left ad as its TARGET."""
    return _match_expr(left, right, _LEFT_MATCHES_RIGHT)


def evaluate_in_match(node, my, target):
    """Evaluate *node* in *my* while *my* is matched against *target*."""
    from ._evaluate import compile_node

    fn = node.fn or compile_node(node)
    return _evaluate_bound(my, target, fn, False, my)
