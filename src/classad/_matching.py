"""Matchmaking: evaluating two ads against each other.

Like the C++ ``MatchClassAd``, matching builds a small scope structure
around the two ads for the duration of one evaluation::

    match ad  [ symmetricMatch = RIGHT.requirements && LEFT.requirements; ...
                LEFT = <left ad>; RIGHT = <right ad> ]
      left context   [ my = .LEFT;  target = .RIGHT; other = .RIGHT; ad = .LEFT ]
        left ad
      right context  [ my = .RIGHT; target = .LEFT;  other = .LEFT;  ad = .RIGHT ]
        right ad

so ``TARGET.x`` in either ad reaches the other one, and (HTCondor's
old-ClassAd compatibility) an unscoped name found nowhere in an ad's own
scopes is looked up in the other ad.  The ads' parent links are restored
afterwards.
"""

from __future__ import annotations

from ._evaluate import EvalFailure, EvalState, bool_equiv, compile_hot
from ._nodes import Attr, Literal, Node
from ._parser import parse_expression, parse_record

_MATCH_ATTRS, _ = parse_record(
    "[symmetricMatch = RIGHT.requirements && LEFT.requirements;"
    " leftMatchesRight = RIGHT.requirements; rightMatchesLeft = LEFT.requirements;"
    " leftRankValue = LEFT.rank; rightRankValue = RIGHT.rank]"
)
_SYMMETRIC = parse_expression("RIGHT.requirements && LEFT.requirements")
_LEFT_MATCHES_RIGHT = parse_expression("RIGHT.requirements")


class _AdRef(Node):
    """A node that evaluates to one particular ad (the LEFT/RIGHT slots).

    ``entries`` holds the ``(name, node)`` attribute entries that refer to
    the ad in a match's scopes, made once per ad rather than once per match.
    """

    __slots__ = ("ad", "entries")

    def __init__(self, ad):
        self.ad = ad
        self.fn = lambda scope, st: ad
        self.entries = {name: (name, self) for name in ("other", "target", "my", "ad", "LEFT", "RIGHT")}


def _ref(ad) -> _AdRef:
    ref = ad._matchref
    if ref is None:
        ref = ad._matchref = _AdRef(ad)
    return ref


class _Match:
    """Context manager binding two ads into a match structure."""

    __slots__ = ("left", "right", "match", "saved")

    def __init__(self, left, right):
        self.left = left
        self.right = right
        attrs = dict(_MATCH_ATTRS)
        attrs["left"] = ("LEFT", _AdRef(left))
        attrs["right"] = ("RIGHT", _AdRef(right))
        self.match = ClassAd._view(attrs, None)
        self.saved = None

    def __enter__(self):
        left, right = self.left, self.right
        self.saved = (left._parent, right._parent, left._alternate, right._alternate)
        # The contexts' names refer to the ads through .LEFT and .RIGHT;
        # binding them to the ads directly gives the same values faster.
        to_left, to_right = self.match._attrs["left"], self.match._attrs["right"]
        left._parent = ClassAd._view({"other": ("other", to_right[1]), "target": ("target", to_right[1]),
                                      "my": ("my", to_left[1]), "ad": ("ad", to_left[1])}, self.match)
        right._parent = ClassAd._view({"other": ("other", to_left[1]), "target": ("target", to_left[1]),
                                       "my": ("my", to_right[1]), "ad": ("ad", to_right[1])}, self.match)
        left._alternate = right
        right._alternate = left
        return self

    def __exit__(self, *exc):
        left, right = self.left, self.right
        left._parent, right._parent, left._alternate, right._alternate = self.saved
        return False

    def evaluate(self, node, scope):
        st = EvalState.__new__(EvalState)
        st.root = self.match
        st.depth = 400
        return (node.fn or _compile(node))(scope, st)


def _bind_classad():
    global ClassAd
    from ._classad import ClassAd


ClassAd = None  # bound on first use: _classad imports this module's users


def _compile(node):
    from ._evaluate import compile_node

    return compile_node(node)


def _truth(value) -> bool:
    b = bool_equiv(value)
    return bool(b)


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


def _match_expr(left, right, node) -> bool:
    """Evaluate *node* in the match ad built around *left* and *right*; True if it holds.

    This is :class:`_Match` unrolled: it runs once per pair in matchmaking.
    """
    if ClassAd is None:
        _bind_classad()
    fn = node.fn
    if not fn or getattr(fn, "source", None) is None:
        fn = compile_hot(node)
    for ad in (left, right):
        entry = ad._attrs.get("requirements")
        if entry is not None:
            req = entry[1].fn
            if not req or getattr(req, "source", None) is None:
                _prepare(ad)
    lref, rref = _ref(left), _ref(right)
    lent, rent = lref.entries, rref.entries
    attrs = _MATCH_ATTRS.copy()
    attrs["left"] = lent["LEFT"]
    attrs["right"] = rent["RIGHT"]
    view = ClassAd._view
    match = view(attrs, None)
    saved = (left._parent, right._parent, left._alternate, right._alternate)
    left._parent = view({"other": rent["other"], "target": rent["target"],
                         "my": lent["my"], "ad": lent["ad"]}, match)
    right._parent = view({"other": lent["other"], "target": lent["target"],
                          "my": rent["my"], "ad": rent["ad"]}, match)
    left._alternate = right
    right._alternate = left
    st = EvalState.__new__(EvalState)
    st.root = match
    st.depth = 400
    try:
        value = fn(match, st)
    except (EvalFailure, RecursionError):
        return False
    finally:
        left._parent, right._parent, left._alternate, right._alternate = saved
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
    if ClassAd is None:
        _bind_classad()
    with _Match(my, target) as m:
        return m.evaluate(node, my)
