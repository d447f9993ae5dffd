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

from ._evaluate import EvalFailure, EvalState, bool_equiv
from ._nodes import Node
from ._parser import parse_expression, parse_record

_MATCH_ATTRS, _ = parse_record(
    "[symmetricMatch = RIGHT.requirements && LEFT.requirements;"
    " leftMatchesRight = RIGHT.requirements; rightMatchesLeft = LEFT.requirements;"
    " leftRankValue = LEFT.rank; rightRankValue = RIGHT.rank]"
)
_SYMMETRIC = parse_expression("RIGHT.requirements && LEFT.requirements")
_LEFT_MATCHES_RIGHT = parse_expression("RIGHT.requirements")


class _AdRef(Node):
    """A node that evaluates to one particular ad (the LEFT/RIGHT slots)."""

    __slots__ = ("ad",)

    def __init__(self, ad):
        self.ad = ad
        self.fn = lambda scope, st: ad


class _Match:
    """Context manager binding two ads into a match structure."""

    __slots__ = ("left", "right", "match", "saved")

    def __init__(self, left, right):
        from ._classad import ClassAd

        self.left = left
        self.right = right
        attrs = dict(_MATCH_ATTRS)
        attrs["left"] = ("LEFT", _AdRef(left))
        attrs["right"] = ("RIGHT", _AdRef(right))
        self.match = ClassAd._view(attrs, None)
        self.saved = None

    def __enter__(self):
        from ._classad import ClassAd

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


def _compile(node):
    from ._evaluate import compile_node

    return compile_node(node)


def _truth(value) -> bool:
    b = bool_equiv(value)
    return bool(b)


def _match_expr(left, right, node) -> bool:
    with _Match(left, right) as m:
        try:
            return _truth(m.evaluate(node, m.match))
        except (EvalFailure, RecursionError):
            return False


def symmetric_match(left, right) -> bool:
    """Both ads' Requirements hold, each with the other as TARGET."""
    return _match_expr(left, right, _SYMMETRIC)


def left_matches_right(left, right) -> bool:
    """The right ad's Requirements hold with the left ad as its TARGET."""
    return _match_expr(left, right, _LEFT_MATCHES_RIGHT)


def evaluate_in_match(node, my, target):
    """Evaluate *node* in *my* while *my* is matched against *target*."""
    with _Match(my, target) as m:
        return m.evaluate(node, my)
