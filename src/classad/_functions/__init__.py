"""The table of built-in ClassAd functions.

Every function the language knows is a :class:`Builtin` in :data:`BUILTINS`,
keyed by its lower-cased name: HTCondor looks function names up without
regard to case.  The evaluator checks the argument count against
``min_args``/``max_args`` (a wrong count gives ``error``) and then calls the
implementation in one of two ways:

* eager (the default): ``impl(state, args)`` where ``args`` is a list of
  already-evaluated runtime values (see :mod:`classad._values`);
* lazy: ``impl(state, scope, nodes)`` where ``nodes`` are the unevaluated
  argument expressions and ``scope`` the ClassAd they are evaluated in; the
  implementation calls ``state.eval(node, scope)`` itself.  Functions that
  must not evaluate every argument (``ifThenElse``) or that look at the
  expression rather than its value (``unparse``) are lazy.

``state`` is the evaluator's :class:`classad._evaluate.EvalState`.  The
methods an implementation may use are ``state.eval(node, scope)`` and
``state.list_items(list_value)`` (the evaluated elements of a list value).

The modules in this package register their functions when imported; this
module imports them all at the bottom.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["BUILTINS", "Builtin", "builtin"]


class Builtin:
    """One entry of the function table."""

    __slots__ = ("exact_case", "impl", "lazy", "max_args", "min_args", "name")

    def __init__(self, name: str, impl: Callable, min_args: int, max_args: int | None, lazy: bool):
        self.name = name
        # A few functions answer only to their name spelled exactly (the
        # C++ library registers them outside its case-insensitive table).
        self.exact_case = False
        self.impl = impl
        self.min_args = min_args
        self.max_args = max_args  # None: no upper bound
        self.lazy = lazy

    def accepts(self, count: int) -> bool:
        return count >= self.min_args and (self.max_args is None or count <= self.max_args)

    def __repr__(self) -> str:
        return f"Builtin({self.name!r}, {self.min_args}, {self.max_args}, lazy={self.lazy})"


BUILTINS: dict[str, Builtin] = {}


def builtin(name: str, min_args: int, max_args: int | None = -1, *, lazy: bool = False):
    """Register the decorated function as the ClassAd function *name*.

    ``max_args`` defaults to ``min_args``; pass ``None`` for "any number".
    """
    if max_args == -1:
        max_args = min_args

    def register(impl: Callable) -> Callable:
        BUILTINS[name.lower()] = Builtin(name, impl, min_args, max_args, lazy)
        return impl

    return register


# The function families register themselves on import.
from . import condor, lists, mathfns, meta, regex, strings, timefns, types  # noqa: E402,F401

for _name in strings.EXACT_CASE_NAMES:
    BUILTINS[_name.lower()].exact_case = True
del _name
