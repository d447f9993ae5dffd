"""Which attributes an expression refers to (``externalRefs``/``internalRefs``).

An *external* reference names an attribute the ad does not define (so it
must come from elsewhere, typically ``TARGET``); an *internal* one names an
attribute of the ad itself.  References are followed through the ad's own
attributes, so ``b = a + x`` makes ``a`` internal and ``x`` external.
"""

from __future__ import annotations

from ._errors import ClassAdValueError
from ._evaluate import EvalFailure, EvalState, _lookup
from ._nodes import Attr, Literal
from ._unparse import unparse_expr
from ._values import UNDEFINED


class _Failed(Exception):
    pass


def references(node, ad, external: bool) -> list:
    """Sorted (case-insensitively) list of external or internal references."""
    st = EvalState(ad)
    st.root = ad
    found: dict[str, str] = {}
    try:
        _walk(node, ad, st, found, external)
    except (_Failed, EvalFailure):
        which = "external" if external else "external"
        raise ClassAdValueError(f"Unable to determine {which} references.") from None
    return sorted(found.values(), key=str.lower)


def _add(found, name):
    found.setdefault(name.lower(), name)


def _walk(node, scope, st, found, external):
    t = type(node)
    if t is Literal:
        return
    if t is Attr:
        _attr(node, scope, st, found, external)
        return
    for child in node.children():
        if st.depth <= 0:
            raise _Failed()
        st.depth -= 1
        _walk(child, scope, st, found, external)
        st.depth += 1


def _attr(node, scope, st, found, external):
    if node.base is None:
        start = st.root if node.absolute else scope
        if start is None:
            if node.absolute:
                raise _Failed()
            if external:
                _add(found, node.name)
            return
    else:
        if not external:
            _walk(node.base, scope, st, found, external)
        base = st.eval(node.base, scope)
        if base is UNDEFINED:
            if external:
                _add(found, unparse_expr(node.base) + "." + node.name)
            return
        if getattr(base, "_attrs", None) is None:
            raise _Failed()
        start = base
    hit = _lookup(node.key, start, st)
    if hit is None:
        if external:
            _add(found, node.name)
        return
    target, where = hit
    if target is None:
        return
    if not external and where is st.root and node.key in where._attrs:
        _add(found, node.name)
    if st.depth <= 0:
        raise _Failed()
    st.depth -= 1
    _walk(target, where, st, found, external)
    st.depth += 1
