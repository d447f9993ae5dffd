"""Autoclusters: grouping jobs that the matchmaker cannot tell apart.

Two jobs whose *significant attributes* have the same values will match the
same slots with the same ranks, so the negotiator matches them as one group
(an autocluster) and reuses the sorted list of candidate slots.

Which attributes are significant, as HTCondor computes them:

* the negotiator takes every attribute that the slot ads refer to but do not
  define (``TARGET.RequestMemory`` gives ``RequestMemory``), over all their
  attributes except list-valued ones, plus the references of
  ``NEGOTIATOR_PRE_JOB_RANK`` / ``NEGOTIATOR_POST_JOB_RANK`` and the like,
  minus ``CurrentTime`` and the submitter-priority attributes it inserts itself;
* the schedd always adds ``Requirements``, ``Rank``, ``ConcurrencyLimits`` and
  ``FlockTo``;
* a job's signature is the unparsed value of each significant attribute, then
  of every attribute of the job that those expressions refer to (so
  ``Requirements = TARGET.Memory >= RequestMemory`` pulls in ``RequestMemory``).

>>> import classad
>>> slot = classad.ClassAd('[Memory = 2048; Requirements = TARGET.RequestCpus <= 4]')
>>> attrs = significant_attributes([slot])
>>> attrs
['ConcurrencyLimits', 'FlockTo', 'Rank', 'RequestCpus', 'Requirements']
>>> ac = AutoClusters(attrs)
>>> req = "RequestCpus = 1; Requirements = TARGET.Memory > RequestMemory"
>>> a = classad.ClassAd(f'[{req}; RequestMemory = 100; Cmd = "a"]')
>>> b = classad.ClassAd(f'[{req}; RequestMemory = 100; Cmd = "b"]')
>>> c = classad.ClassAd(f'[{req}; RequestMemory = 200; Cmd = "a"]')
>>> ac.cluster_id(a), ac.cluster_id(b), ac.cluster_id(c)
(1, 1, 2)
"""

from __future__ import annotations

from collections.abc import Iterable

import classad
from classad._matching import _local_names
from classad._nodes import ListExpr, Literal
from classad._refs import references
from classad._unparse import unparse_expr

__all__ = ["AutoClusters", "significant_attributes", "MINIMAL_SIGNIFICANT_ATTRIBUTES"]

#: Attributes the schedd always treats as significant.
MINIMAL_SIGNIFICANT_ATTRIBUTES = ("Requirements", "Rank", "ConcurrencyLimits", "FlockTo")

# The negotiator inserts these into job ads itself, so they never tell jobs apart.
_NEVER_SIGNIFICANT = frozenset(a.lower() for a in (
    "CurrentTime", "RemoteUserPrio", "RemoteUserResourcesInUse", "RemoteGroupResourcesInUse",
    "SubmittorPrio", "SubmitterUserPrio", "SubmitterUserResourcesInUse", "SubmitterGroupResourcesInUse"))

_SCOPES = ("target.", "my.", "other.")


def _trim(ref: str) -> str | None:
    """``TARGET.x`` -> ``x``; names reached through other scopes do not name a job attribute."""
    low = ref.lower()
    for scope in _SCOPES:
        if low.startswith(scope):
            ref, low = ref[len(scope):], low[len(scope):]
            break
    if "." in ref:
        return None
    return ref


def significant_attributes(slots: Iterable[classad.ClassAd], extra_exprs: Iterable[str] = (),
                           minimal: Iterable[str] = MINIMAL_SIGNIFICANT_ATTRIBUTES) -> list[str]:
    """The job attributes that matter for matching against *slots*, sorted case-insensitively.

    :param slots: the slot ads of this negotiation cycle.
    :param extra_exprs: negotiator expressions evaluated with the slot as ``MY`` and
        the job as ``TARGET`` (``NEGOTIATOR_PRE_JOB_RANK``, ``NEGOTIATOR_POST_JOB_RANK``,
        ``PREEMPTION_REQUIREMENTS``...); their references are added as if a slot held them.
    :param minimal: attributes always included (the schedd's minimal set).

    >>> import classad
    >>> significant_attributes([classad.ClassAd('[Start = TARGET.Owner == "me"; Rank = TARGET.Prio]')], minimal=())
    ['Owner', 'Prio']
    """
    found: dict[str, str] = {}
    sample = None
    seen: set[int] = set()
    for slot in slots:
        if sample is None:
            sample = slot
        for _key, (_name, node) in slot._attrs.items():
            if type(node) is Literal or type(node) is ListExpr or id(node) in seen:
                continue
            seen.add(id(node))
            for ref in _external(node, slot):
                found.setdefault(ref.lower(), ref)
    if sample is not None:
        for text in extra_exprs:
            if text:
                for ref in _external(classad.ExprTree(str(text))._node, sample):
                    found.setdefault(ref.lower(), ref)
    for name in minimal:
        found.setdefault(name.lower(), name)
    return sorted((v for k, v in found.items() if k not in _NEVER_SIGNIFICANT), key=str.lower)


def _external(node, ad) -> list[str]:
    try:
        refs = references(node, ad, external=True)
    except classad.ClassAdException:
        return []
    return [t for t in (_trim(r) for r in refs) if t]


class AutoClusters:
    """Assigns autocluster ids to job ads by their significant attributes.

    Ids start at 1 and are given in the order signatures are first seen.

    :param significant: the significant attribute names (see :func:`significant_attributes`).
    """

    def __init__(self, significant: Iterable[str]) -> None:
        self.significant = [a.lower() for a in significant]
        self._ids: dict[tuple, int] = {}
        # id(node) -> (node, text, local names); the node is held so its id stays unique.
        self._nodes: dict[int, tuple] = {}

    def _info(self, node) -> tuple:
        if type(node) is Literal:
            # Literals are rarely shared between ads; they compare and hash by type and value.
            return (node, node, ())
        info = self._nodes.get(id(node))
        if info is None:
            info = self._nodes[id(node)] = (node, unparse_expr(node), tuple(_local_names(node)))
        return info

    def signature(self, job: classad.ClassAd) -> tuple:
        """The tuple of (attribute, unparsed value) pairs that identifies *job*'s autocluster."""
        attrs = job._attrs
        sig = []
        pending = []
        for key in self.significant:
            entry = attrs.get(key)
            if entry is None:
                sig.append(None)
                continue
            _node, text, names = self._info(entry[1])
            sig.append(text)
            pending.extend(names)
        if pending:
            expanded: dict[str, str] = {}
            sigset = set(self.significant)
            while pending:
                name = pending.pop()
                if name in expanded or name in sigset:
                    continue
                entry = attrs.get(name)
                if entry is None:
                    continue
                _node, text, names = self._info(entry[1])
                expanded[name] = text
                pending.extend(names)
            sig.extend(sorted(expanded.items()))
        return tuple(sig)

    def cluster_id(self, job: classad.ClassAd) -> int:
        """The autocluster id of *job* (a new one for a signature not seen before)."""
        sig = self.signature(job)
        cid = self._ids.get(sig)
        if cid is None:
            cid = self._ids[sig] = len(self._ids) + 1
        return cid

    def __len__(self) -> int:
        return len(self._ids)
