"""The schedd's side of an autocluster query: one ad per group of jobs instead of one per job.

``Schedd.xquery(opts=QueryOpts.AutoCluster)`` asks the schedd to group its
jobs by their significant attributes (the ones the negotiator matches on)
and answer with one ad per group: the group's significant attributes with
their values, ``AutoClusterId`` and ``JobCount``.  ``QueryOpts.GroupBy``
groups by the query's projection instead and numbers the groups in ``Id``.

As in HTCondor, the query's constraint and limit apply to these aggregate
ads, not to the jobs: ``JobCount > 10`` selects the big groups.

>>> import classad
>>> jobs = [classad.ClassAd({"RequestCpus": 1, "Cmd": "a"}), classad.ClassAd({"RequestCpus": 1, "Cmd": "b"}),
...         classad.ClassAd({"RequestCpus": 2, "Cmd": "a"})]
>>> [(ad["AutoClusterId"], ad["RequestCpus"], ad["JobCount"]) for ad in autocluster_ads(jobs, ["RequestCpus"])]
[(1, 1, 2), (2, 2, 1)]
>>> [(ad["Id"], ad["Cmd"], ad["JobCount"]) for ad in autocluster_ads(jobs, group_by=["Cmd"])]
[(1, 'a', 2), (2, 'b', 1)]
"""

from __future__ import annotations

from collections.abc import Iterable

import classad

from ._autocluster import MINIMAL_SIGNIFICANT_ATTRIBUTES, AutoClusters

__all__ = ["autocluster_ads", "DEFAULT_SIGNIFICANT_ATTRIBUTES", "QUERY_AUTOCLUSTER", "QUERY_GROUP_BY"]

#: The ``opts`` bits of a job query that ask for aggregates (``QueryOpts.AutoCluster``, ``QueryOpts.GroupBy``).
QUERY_AUTOCLUSTER, QUERY_GROUP_BY = 1, 2

#: Used before any negotiation told the schedd which attributes the pool matches on: the
#: attributes HTCondor's default slot requirements refer to, plus the ones the schedd always adds.
DEFAULT_SIGNIFICANT_ATTRIBUTES = tuple(sorted(
    {*MINIMAL_SIGNIFICANT_ATTRIBUTES, "JobUniverse", "RequestCpus", "RequestDisk", "RequestGPUs", "RequestMemory"},
    key=str.lower))


def autocluster_ads(jobs: Iterable[classad.ClassAd], significant: Iterable[str] | None = None,
                    constraint=None, limit: int = -1, group_by: Iterable[str] | None = None) -> list[classad.ClassAd]:
    """Group *jobs* into autoclusters and return one ad per autocluster.

    :param jobs: the job ads (each job's ad as the queue holds it).
    :param significant: the significant attributes; ``None`` for
        :data:`DEFAULT_SIGNIFICANT_ATTRIBUTES`.  Attributes that their
        expressions refer to count too, as in the negotiator's grouping.
    :param constraint: an expression (text or :class:`classad.ExprTree`)
        evaluated against each aggregate ad; only those for which it is true
        are returned.
    :param limit: at most this many ads (negative: all).
    :param group_by: group by exactly these attributes (``QueryOpts.GroupBy``,
        the query's projection) instead; the ads then number groups in ``Id``.
    :returns: the aggregate ads, in the order their groups were first seen:
        the grouping attributes a job of the group has, then
        ``AutoClusterId`` (or ``Id``) and ``JobCount``.
    :raises classad.ClassAdParseError: for a constraint that does not parse.
    """
    if group_by is not None:
        names = list(group_by)
        clusters = None
        lowered = [n.lower() for n in names]
    else:
        names = list(DEFAULT_SIGNIFICANT_ATTRIBUTES if significant is None else significant)
        clusters = AutoClusters(names)
    if isinstance(constraint, str):
        constraint = classad.ExprTree(constraint) if constraint.strip() not in ("", "true") else None
    counts: dict = {}
    first: dict = {}
    if clusters is not None:
        _count_autoclusters(jobs, clusters, counts, first)
    else:
        for job in jobs:
            attrs = job._attrs
            key = tuple((None if (e := attrs.get(n)) is None else repr(e[1])) for n in lowered)
            count = counts.get(key)
            if count is None:
                counts[key] = 1
                first[key] = job
            else:
                counts[key] = count + 1
    result = []
    for number, (key, count) in enumerate(counts.items(), 1):
        if 0 <= limit <= len(result):
            break
        ad = _aggregate_ad(first[key], names, clusters)
        ad["Id" if clusters is None else "AutoClusterId"] = number
        ad["JobCount"] = count
        if constraint is not None and constraint.eval(ad) is not True:
            continue
        result.append(ad)
    return result


def _count_autoclusters(jobs: Iterable[classad.ClassAd], clusters: AutoClusters, counts: dict, first: dict) -> None:
    """Count the jobs of each autocluster signature into *counts* (and its first job into *first*).

    Computing a signature unparses expressions and hashes them; the jobs of
    one cluster share most expression objects (their cluster ad's), so jobs
    are first keyed by the identity of the expressions involved, and a
    signature is computed once per distinct key.
    """
    significant = clusters.significant
    closures: dict = {}  # identities of the significant expressions -> the names they refer to
    by_identity: dict = {}  # identities of every expression involved -> [signature, count]
    keep = []  # a job per identity key, so the expressions (and their ids) stay alive
    for job in jobs:
        attrs = job._attrs
        entries = [attrs.get(name) for name in significant]
        sig_ids = tuple(0 if e is None else id(e[1]) for e in entries)
        closure = closures.get(sig_ids)
        if closure is None:
            closure = closures[sig_ids] = _closure(attrs, entries, clusters)
        key = sig_ids + tuple(0 if (e := attrs.get(name)) is None else id(e[1]) for name in closure) \
            if closure else sig_ids
        slot = by_identity.get(key)
        if slot is None:
            signature = clusters.signature(job)
            by_identity[key] = [signature, 1]
            keep.append(job)
            first.setdefault(signature, job)
        else:
            slot[1] += 1
    for signature, count in by_identity.values():
        counts[signature] = counts.get(signature, 0) + count


def _closure(attrs: dict, entries: list, clusters: AutoClusters) -> tuple:
    """The names of the job attributes the significant expressions refer to, directly or not."""
    pending = []
    for entry in entries:
        if entry is not None:
            pending.extend(clusters._info(entry[1])[2])
    seen = set(clusters.significant)
    found = []
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        found.append(name)
        entry = attrs.get(name)
        if entry is not None:
            pending.extend(clusters._info(entry[1])[2])
    return tuple(sorted(found))


def _aggregate_ad(job: classad.ClassAd, names: list[str], clusters: AutoClusters | None) -> classad.ClassAd:
    """The grouping attributes of *job* (a representative of its group) as a new ad."""
    ad = classad.ClassAd()
    attrs = job._attrs
    wanted = [n.lower() for n in names]
    if clusters is not None:
        # the attributes the significant expressions refer to are part of the group's identity too
        pending = []
        for name in wanted:
            entry = attrs.get(name)
            if entry is not None:
                pending.extend(clusters._info(entry[1])[2])
        seen = set(wanted)
        while pending:
            name = pending.pop()
            if name in seen or name not in attrs:
                continue
            seen.add(name)
            wanted.append(name)
            pending.extend(clusters._info(attrs[name][1])[2])
    for name in wanted:
        entry = attrs.get(name)
        if entry is not None:
            ad[entry[0]] = job.lookup(entry[0])
    return ad


def aggregate_reply(jobs: Iterable[classad.ClassAd], constraint, projection: list[str] | None, limit: int,
                    opts: int, significant: Iterable[str] | None = None) -> list[dict]:
    """The schedd's answer to an aggregate job query, as encoded ads ready to stream.

    Called by the schedd's ``QUERY_JOB_ADS`` handler when *opts* has the
    ``AutoCluster`` bit (group by the significant attributes) or the
    ``GroupBy`` bit (group by *projection*).

    :param jobs: the queue's job ads.
    :param constraint: the query's constraint (ExprTree, text, or None), applied to the aggregate ads.
    :param projection: the query's projection (the grouping attributes of ``GroupBy``; ignored otherwise).
    :param limit: at most this many ads (negative: all).
    :param opts: the query's ``QueryOpts`` bits.
    :param significant: the significant attributes the negotiator last sent (None: a default set).
    :returns: the ads, encoded by :func:`htcondor._adcodec.encode_ad`.

    >>> import classad
    >>> jobs = [classad.ClassAd({"RequestCpus": 1}), classad.ClassAd({"RequestCpus": 1})]
    >>> aggregate_reply(jobs, None, None, -1, QUERY_AUTOCLUSTER, ["RequestCpus"])
    [{'RequestCpus': 1, 'AutoClusterId': 1, 'JobCount': 2}]
    """
    from ._adcodec import encode_ad

    if opts & QUERY_AUTOCLUSTER or not projection:
        ads = autocluster_ads(jobs, significant, constraint, limit)
    else:
        ads = autocluster_ads(jobs, constraint=constraint, limit=limit, group_by=projection)
    return [encode_ad(ad) for ad in ads]
