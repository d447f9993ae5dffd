"""The negotiator's matchmaking core: one negotiation cycle, without networking.

:func:`negotiate` takes what the negotiator fetched from the collector and the
schedds (submitter ads, idle job ads, slot ads) plus the :class:`Accountant`,
and returns the matches to hand out.  It follows HTCondor's negotiator:

1. The pool's size is the sum of all slots' ``SlotWeight`` (``Cpus`` for
   partitionable slots).  The accountant ages priorities and re-reads who
   holds which claimed slot.
2. The *pie is spun*: each submitter's share is inversely proportional to
   its effective user priority (EUP), ``share = max_eup / (eup * sum(max_eup / eup_i))``;
   its limit is ``share * pool - weight it already holds``.  Submitters are served
   in order of EUP, lowest (best) first; ties go to the less starved one
   (``usage / (usage + limit)``).  Each one gets matches until its limit is
   used up; a submitter that has used nothing may round up once.  The pie is
   spun again while it handed out something, so slots that a satisfied user
   left over are shared among the others.  A leftover smaller than the
   smallest slot weight waits for the next cycle.
3. A submitter's jobs are considered in the schedd's order (``PreJobPrio1``,
   ``PreJobPrio2``, ``JobPrio``, ``PostJobPrio1``, ``PostJobPrio2``, highest first,
   then ``ClusterId``, ``ProcId``).  Jobs are grouped into autoclusters
   (:mod:`._autocluster`); the candidate slots of an autocluster are found and
   sorted once and reused for its next jobs, and once a job of an autocluster
   finds nothing, its other jobs are skipped for the rest of that submitter's turn.
4. A candidate is a slot in state ``Unclaimed`` whose and the job's
   ``Requirements`` both hold (``MY``/``TARGET`` as in :meth:`classad.ClassAd.symmetricMatch`).
   Candidates are ordered by ``NEGOTIATOR_PRE_JOB_RANK`` (with its default the
   slot's own ``Rank`` dominates, then unclaimed slots, then the smallest slot), then
   the job's ``Rank``, then ``NEGOTIATOR_POST_JOB_RANK`` (the default prefers
   lower ``SlotID``); the negotiator ranks are rounded to single precision as
   HTCondor does; remaining ties keep the order of the slots sorted by ``Name``.
5. A partitionable slot is split: the job's ``RequestCpus``/``RequestMemory``/
   ``RequestDisk`` rounded up by ``MODIFY_REQUEST_EXPR_*`` (1 core, 128 MB,
   1024 KB by default) and its ``RequestGPUs`` are carved off, and what remains
   stays on offer, so one partitionable slot can take several jobs in one cycle
   (what HTCondor achieves with claimed leftovers).  The cost of such a match is
   the drop of the slot's ``SlotWeight``.

Not modelled: preemption (claimed slots are never offered; HTCondor's default
``PREEMPTION_REQUIREMENTS = False`` forbids priority preemption anyway),
accounting groups and quotas, concurrency limits, floors, flocking, and
the time limits per submitter and cycle.  A submitter's ceiling
(``Negotiator.setCeiling``) caps the slot weight it may hold.

>>> import classad
>>> from htcondor._accountant import Accountant
>>> slot = classad.ClassAd('[Name = "slot1@host"; State = "Unclaimed"; Cpus = 1; Memory = 1024; '
...                        'Rank = 0.0; SlotID = 1; SlotWeight = Cpus; '
...                        'Requirements = TARGET.RequestMemory <= MY.Memory]')
>>> job = classad.ClassAd('[ClusterId = 1; ProcId = 0; JobStatus = 1; RequestCpus = 1; RequestMemory = 512; '
...                       'Requirements = TARGET.Memory >= RequestMemory]')
>>> result = negotiate({"alice@host": [job]}, [slot], Accountant(now=0), now=0)
>>> [(m.job_id, m.submitter, m.slot_name) for m in result.matches]
[('1.0', 'alice@host', 'slot1@host')]
"""

from __future__ import annotations

import bisect
import struct
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import classad
from classad._matching import evaluate_in_match
from classad._nodes import Literal
from classad._values import Value

from ._accountant import Accountant
from ._autocluster import AutoClusters, significant_attributes

__all__ = ["Match", "MatchmakerConfig", "NegotiationResult", "SubmitterResult", "negotiate",
           "DEFAULT_PRE_JOB_RANK", "DEFAULT_POST_JOB_RANK"]

#: HTCondor 24's default ``NEGOTIATOR_PRE_JOB_RANK``.
DEFAULT_PRE_JOB_RANK = ("(10000000 * My.Rank) + (1000000 * (RemoteOwner =?= UNDEFINED))"
                        " - (100000 * Cpus) - Memory")
#: HTCondor 24's default ``NEGOTIATOR_POST_JOB_RANK``.
DEFAULT_POST_JOB_RANK = ("(RemoteOwner =?= UNDEFINED) * (ifthenElse(isUndefined(KFlops), 1000, Kflops)"
                         " - SlotID - 1.0e10*(Offline=?=True))")
#: The startd's defaults for rounding up a request when it splits a partitionable slot.
DEFAULT_MODIFY_REQUEST = {
    "Cpus": "quantize(RequestCpus,{1})",
    "Memory": "quantize(RequestMemory,{128})",
    "Disk": "quantize(RequestDisk,{1024})",
}
# Resource -> the job attribute requesting it (and what a job that says nothing gets).
_REQUEST_ATTRS = {"Cpus": ("requestcpus", 1), "Memory": ("requestmemory", 0),
                  "Disk": ("requestdisk", 0), "GPUs": ("requestgpus", 0)}
_NO_RANK = -sys.float_info.max
_FLT_MAX = 3.4028234663852886e38


@dataclass
class MatchmakerConfig:
    """The negotiator knobs the matchmaking core uses.

    :param pre_job_rank: ``NEGOTIATOR_PRE_JOB_RANK`` (``None``: no such rank).
    :param post_job_rank: ``NEGOTIATOR_POST_JOB_RANK``.
    :param modify_request: per slot resource, the ``MODIFY_REQUEST_EXPR_REQUEST*``
        expression (evaluated in the job, the slot as ``TARGET``) giving the amount to carve.
    :param ignore_user_priorities: ``NEGOTIATOR_IGNORE_USER_PRIORITIES``: no submitter limits.
    :param consider_preemption: ``NEGOTIATOR_CONSIDER_PREEMPTION``; when false, submitters
        without idle jobs are dropped up front and a cycle with no pie left stops early.
    """

    pre_job_rank: str | None = DEFAULT_PRE_JOB_RANK
    post_job_rank: str | None = DEFAULT_POST_JOB_RANK
    modify_request: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_MODIFY_REQUEST))
    ignore_user_priorities: bool = False
    consider_preemption: bool = True

    @classmethod
    def from_config(cls, param: Callable[[str, Any], Any]) -> "MatchmakerConfig":
        """Read the knobs through ``param(name, default)`` (such as :meth:`Daemon.param`).

        >>> MatchmakerConfig.from_config(lambda name, default: default).post_job_rank == DEFAULT_POST_JOB_RANK
        True
        """
        modify = {res: str(param(f"MODIFY_REQUEST_EXPR_REQUEST{res.upper()}", expr))
                  for res, expr in DEFAULT_MODIFY_REQUEST.items()}
        return cls(pre_job_rank=param("NEGOTIATOR_PRE_JOB_RANK", DEFAULT_PRE_JOB_RANK) or None,
                   post_job_rank=param("NEGOTIATOR_POST_JOB_RANK", DEFAULT_POST_JOB_RANK) or None,
                   modify_request=modify,
                   ignore_user_priorities=bool(param("NEGOTIATOR_IGNORE_USER_PRIORITIES", False)),
                   consider_preemption=bool(param("NEGOTIATOR_CONSIDER_PREEMPTION", True)))


@dataclass(frozen=True)
class Match:
    """One job matched to one slot.

    :ivar submitter: the submitter (user) name, as in its submitter ad.
    :ivar cluster: the job's ``ClusterId``.
    :ivar proc: the job's ``ProcId``.
    :ivar autocluster: the job's autocluster id in this cycle.
    :ivar slot_name: the ``Name`` of the slot matched (the partitionable slot's name
        when one was split).
    :ivar slot: the slot ad as given to :func:`negotiate`.
    :ivar job: the job ad as given to :func:`negotiate`.
    :ivar cost: what the match charges against the submitter's share (the slot weight).
    :ivar dynamic: for a partitionable slot, the resources of the dynamic slot to
        create (``{"Cpus": 1, "Memory": 128, "Disk": 1024, ...}``), else ``None``.
    :ivar dynamic_name: for a partitionable slot, the name the dynamic slot would
        get (``slot1_1@host``: next after the slot's ``ChildDSlotId``); the startd
        has the final word.
    """

    submitter: str
    cluster: int
    proc: int
    autocluster: int
    slot_name: str
    slot: classad.ClassAd = field(repr=False, compare=False)
    job: classad.ClassAd = field(repr=False, compare=False)
    cost: float = 1.0
    dynamic: dict[str, int | float] | None = None
    dynamic_name: str | None = None

    @property
    def job_id(self) -> str:
        """``"cluster.proc"``."""
        return f"{self.cluster}.{self.proc}"


@dataclass
class SubmitterResult:
    """What one submitter got in the cycle.

    :ivar name: the submitter name.
    :ivar priority: its effective user priority at the start of the cycle.
    :ivar share: its share of the pool on the first spin of the pie (0..1).
    :ivar limit: its limit on the first spin (slot weight it could get).
    :ivar matches: how many jobs were matched.
    :ivar weight: the summed cost of those matches.
    :ivar rejections: ``(job id, reason)`` for each job that found no slot
        (``"no match found"`` or ``"submitter limit exceeded"``); the other jobs of
        its autocluster were then skipped.
    """

    name: str
    priority: float
    share: float = 0.0
    limit: float = 0.0
    matches: int = 0
    weight: float = 0.0
    rejections: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class NegotiationResult:
    """The outcome of :func:`negotiate`.

    :ivar matches: the matches, in the order they were made.
    :ivar submitters: per submitter name, a :class:`SubmitterResult`, in the order served.
    :ivar significant_attributes: the job attributes that defined autoclusters.
    :ivar autoclusters: how many autoclusters the idle jobs formed.
    :ivar spins: how many times the pie was spun.
    :ivar pool_weight: the pool's total slot weight.
    """

    matches: list[Match] = field(default_factory=list)
    submitters: dict[str, SubmitterResult] = field(default_factory=dict)
    significant_attributes: list[str] = field(default_factory=list)
    autoclusters: int = 0
    spins: int = 0
    pool_weight: float = 0.0

    def counts(self) -> dict[str, int]:
        """Matches per submitter."""
        return {name: sub.matches for name, sub in self.submitters.items()}


# -- helpers ------------------------------------------------------------------------------------


def _float32(value: float) -> float:
    # HTCondor stores the negotiator ranks in a float; ties depend on it.
    if value != value:
        return value
    if abs(value) > _FLT_MAX:
        return float("inf") if value > 0 else float("-inf")
    return struct.unpack("f", struct.pack("f", value))[0]


def _number(value) -> float | None:
    if isinstance(value, Value):
        return None
    if isinstance(value, (bool, int, float)):
        return float(value)
    return None


def _eval(node, my, target):
    try:
        return evaluate_in_match(node, my, target)
    except Exception:  # an evaluation that fails is an error value, like in HTCondor
        return Value.Error


def _int_attr(ad: classad.ClassAd, key: str, default: int = 0) -> int:
    entry = ad._attrs.get(key)
    if entry is None:
        return default
    node = entry[1]
    if type(node) is Literal:
        value = node.value
        if type(value) is int:
            return value
        if type(value) is float:
            return int(value)
    try:
        value = ad.eval(key)
    except Exception:
        return default
    if isinstance(value, (bool, Value)) or not isinstance(value, (int, float)):
        return default
    return int(value)


def _as_resource(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


class _Slot:
    """A slot on offer in this cycle (a private copy for a partitionable slot)."""

    __slots__ = ("ad", "original", "name", "partitionable", "next_dslot", "available", "order")

    def __init__(self, ad: classad.ClassAd, order: int) -> None:
        self.original = ad
        self.name = str(ad.get("Name", ""))
        self.partitionable = ad.get("PartitionableSlot") is True
        # Splitting changes the resources, so a partitionable slot is worked on as a copy.
        self.ad = classad.ClassAd(ad) if self.partitionable else ad
        children = ad.get("ChildDSlotId")
        ids = [i for i in children if isinstance(i, int)] if isinstance(children, list) else []
        self.next_dslot = max(ids, default=0) + 1
        self.available = True
        self.order = order


class _Cycle:
    """State shared by the submitters of one negotiation cycle."""

    def __init__(self, config: MatchmakerConfig, accountant: Accountant, now: int) -> None:
        self.config = config
        self.accountant = accountant
        self.now = now
        self.pre = classad.ExprTree(config.pre_job_rank)._node if config.pre_job_rank else None
        self.post = classad.ExprTree(config.post_job_rank)._node if config.post_job_rank else None
        self.modify = {res: classad.ExprTree(expr)._node for res, expr in config.modify_request.items()}
        self.slots: list[_Slot] = []
        self.matches: list[Match] = []

    # -- ranking ------------------------------------------------------------------------------

    def ranks(self, job: classad.ClassAd, slot: _Slot) -> tuple[float, float, float]:
        pre = post = _NO_RANK
        if self.pre is not None:
            v = _number(_eval(self.pre, slot.ad, job))
            pre = _float32(v) if v is not None else _NO_RANK
        rank = 0.0
        entry = job._attrs.get("rank")
        if entry is not None:
            v = _number(_eval(entry[1], job, slot.ad))
            rank = v if v is not None else 0.0
        if self.post is not None:
            v = _number(_eval(self.post, slot.ad, job))
            post = _float32(v) if v is not None else _NO_RANK
        return pre, rank, post

    # -- partitionable slots ------------------------------------------------------------------

    def carve(self, job: classad.ClassAd, slot: _Slot) -> dict[str, int | float] | None:
        """The resources a dynamic slot for *job* takes from *slot*; ``None`` if they do not fit."""
        wanted: dict[str, int | float] = {}
        for res, (attr, default) in _REQUEST_ATTRS.items():
            node = self.modify.get(res)
            amount = _number(_eval(node, job, slot.ad)) if node is not None else None
            if amount is None:
                entry = job._attrs.get(attr)
                amount = _number(_eval(entry[1], job, slot.ad)) if entry is not None else None
            if amount is None:
                amount = default
            have = _number(slot.ad.get(res)) if res.lower() in slot.ad._attrs else None
            if have is None:
                if amount > 0:
                    return None
                continue
            if amount > have:
                return None
            wanted[res] = _as_resource(amount)
        return wanted

    def weight(self, ad: classad.ClassAd) -> float:
        if (self.accountant.use_slot_weights and "slotweight" not in ad._attrs
                and ad.get("PartitionableSlot") is True):
            # A startd always publishes SlotWeight = Cpus; assume it for a bare test ad.
            return _number(ad.get("Cpus")) or 0.0
        return self.accountant.slot_weight(ad)

    def candidate(self, job: classad.ClassAd, slot: _Slot):
        """``(ranks, carve)`` if *slot* can take *job*, else ``None``."""
        if not slot.available:
            return None
        carve = None
        if slot.partitionable:
            carve = self.carve(job, slot)
            if carve is None:
                return None
        if not job.symmetricMatch(slot.ad):
            return None
        return self.ranks(job, slot), carve


def _order_key(entry) -> tuple:
    (pre, rank, post), slot = entry[0], entry[1]
    return (-pre, -rank, -post, slot.order)


class _Submitter:
    def __init__(self, name: str, ad: classad.ClassAd | None, jobs: list, result: SubmitterResult) -> None:
        self.name = name
        self.ad = ad
        self.jobs = jobs  # [(autocluster, cluster, proc, ad)] in the schedd's order
        self.result = result
        self.idle = _int_attr(ad, "idlejobs", len(jobs)) if ad is not None else len(jobs)
        self.heard = _int_attr(ad, "lastheardfrom", 0) if ad is not None else 0


def _job_order(job: classad.ClassAd) -> tuple:
    return (-_int_attr(job, "prejobprio1"), -_int_attr(job, "prejobprio2"), -_int_attr(job, "jobprio"),
            -_int_attr(job, "postjobprio1"), -_int_attr(job, "postjobprio2"),
            _int_attr(job, "clusterid"), _int_attr(job, "procid"))


def _group_jobs(jobs) -> dict[str, list[classad.ClassAd]]:
    if isinstance(jobs, Mapping):
        return {str(name): list(ads) for name, ads in jobs.items()}
    grouped: dict[str, list[classad.ClassAd]] = {}
    for ad in jobs:
        user = ad.get("User")
        if not isinstance(user, str):
            owner = ad.get("Owner")
            user = owner if isinstance(owner, str) else ""
        grouped.setdefault(user, []).append(ad)
    return grouped


# -- the cycle ---------------------------------------------------------------------------------


def negotiate(jobs: Mapping[str, Iterable[classad.ClassAd]] | Iterable[classad.ClassAd],
              slots: Iterable[classad.ClassAd], accountant: Accountant, *,
              submitters: Iterable[classad.ClassAd] | None = None,
              config: MatchmakerConfig | None = None, now: float | None = None,
              update_accountant: bool = True) -> NegotiationResult:
    """Run one negotiation cycle and return the matches.

    :param jobs: idle job ads per submitter name (``{"alice@domain": [ad, ...]}``), or
        a flat iterable grouped by each ad's ``User`` (else ``Owner``).  Ads whose
        ``JobStatus`` is not 1 (idle) are ignored.
    :param slots: every slot ad of the pool: they all count in the pool's size; those
        in state ``Unclaimed`` (or without a ``State``) are offered.
    :param accountant: the negotiator's :class:`Accountant`; matches are recorded in it.
    :param submitters: the submitter ads (``Name``, ``IdleJobs``, ``LastHeardFrom``...);
        when given, only these submitters negotiate, and one whose ``IdleJobs`` is 0 is
        skipped.  When ``None``, every key of *jobs* is a submitter.
    :param config: negotiator knobs (:class:`MatchmakerConfig`); HTCondor's defaults if ``None``.
    :param now: the time of the cycle (seconds since the epoch; default: the clock).
    :param update_accountant: first age priorities and re-read claimed slots, as the
        negotiator does at the start of each cycle (:meth:`Accountant.update_priorities`,
        :meth:`Accountant.check_matches`).
    :returns: a :class:`NegotiationResult`; the same input gives the same result.
    """
    config = config or MatchmakerConfig()
    now = int(time.time()) if now is None else int(now)
    cycle = _Cycle(config, accountant, now)
    result = NegotiationResult()

    all_slots = list(slots)
    ordered = sorted(range(len(all_slots)), key=lambda i: (str(all_slots[i].get("Name", "")), i))
    all_slots = [all_slots[i] for i in ordered]
    weights = [cycle.weight(ad) for ad in all_slots]
    result.pool_weight = pool_weight = float(sum(weights))
    min_weight = min(weights, default=0.0)
    result.significant_attributes = sig = significant_attributes(
        all_slots, [e for e in (config.pre_job_rank, config.post_job_rank) if e])
    if update_accountant:
        accountant.update_priorities(now)
        accountant.check_matches(all_slots, now)
    for ad in all_slots:
        state = ad.get("State")
        if state is None or state == "Unclaimed":
            cycle.slots.append(_Slot(ad, len(cycle.slots)))

    # The schedd's side: idle jobs in order, each with its autocluster.
    clusters = AutoClusters(sig)
    grouped = _group_jobs(jobs)
    if submitters is None:
        submitter_ads: list[tuple[str, classad.ClassAd | None]] = [(name, None) for name in sorted(grouped)]
    else:
        submitter_ads = []
        seen: set[str] = set()
        for ad in submitters:
            name = ad.get("Name")
            if isinstance(name, str) and name not in seen:
                seen.add(name)
                submitter_ads.append((name, ad))
    subs: list[_Submitter] = []
    for name, ad in submitter_ads:
        idle = []
        for job in grouped.get(name, ()):
            status = job.get("JobStatus", 1)
            if status != 1:
                continue
            idle.append(job)
        idle.sort(key=_job_order)
        queue = [(clusters.cluster_id(job), _int_attr(job, "clusterid"), _int_attr(job, "procid"), job)
                 for job in idle]
        res = SubmitterResult(name, accountant.effective_priority(name))
        subs.append(_Submitter(name, ad, queue, res))
    result.autoclusters = len(clusters)
    if not config.consider_preemption:
        subs = [s for s in subs if s.idle > 0]

    # The pie.
    spin = 0
    while subs and any(s.available for s in cycle.slots):
        spin += 1
        eups = {s.name: accountant.effective_priority(s.name) for s in subs}
        max_prio = max(eups.values())
        normal = sum(max_prio / p for p in eups.values())

        def limit_of(name: str) -> tuple[float, float]:
            share = max_prio / (eups[name] * normal)
            used = accountant.weighted_resources_used(name)
            ceiling = accountant.ceiling(name)  # condor_userprio -setceil: a hard cap, -1 for none
            cap = max(ceiling - used, 0.0) if ceiling >= 0 else float("inf")
            if config.ignore_user_priorities:
                return share, cap
            return share, min(max(share * pool_weight - used, 0.0), cap)

        pie_left = 0.0
        starvation = {}
        for s in subs:
            _share, lim = limit_of(s.name)
            used = accountant.weighted_resources_used(s.name)
            starvation[s.name] = used / (used + lim) if used + lim > 0 else _FLT_MAX
            pie_left += lim
        if not config.consider_preemption and pie_left <= 0:
            break
        if spin == 1:
            subs.sort(key=lambda s: (eups[s.name], starvation[s.name], s.heard % 1009, s.name))
        pie_left_orig, count_orig = pie_left, len(subs)

        remaining = []
        for s in subs:
            share, limit = limit_of(s.name)
            if spin == 1:
                s.result.share, s.result.limit = share, limit
                accountant.set_submitter_share(s.name, share, share * pool_weight)
                result.submitters[s.name] = s.result
            limit = min(limit, pie_left)
            if s.idle <= 0:
                done = True
            elif spin > 1 and (limit < min_weight or pie_left < min_weight):
                done = False
            else:
                done, used = _negotiate_with(cycle, s, limit)
                pie_left -= used
            if not done:
                remaining.append(s)
        subs = remaining
        if not ((pie_left < pie_left_orig or len(subs) < count_orig) and subs):
            break
    result.spins = spin
    result.matches = cycle.matches
    return result


def _negotiate_with(cycle: _Cycle, sub: _Submitter, limit: float) -> tuple[bool, float]:
    """One submitter's turn; returns (got all it could, weight used)."""
    used = 0.0
    limited = False
    rejected: set[int] = set()
    cached_ac = None
    cache: list = []
    left = []
    jobs = sub.jobs
    for index, item in enumerate(jobs):
        ac, cluster, proc, job = item
        if used >= limit:
            left.extend(jobs[index:])
            sub.jobs = left
            return False, used
        if ac in rejected:
            left.append(item)
            continue
        if ac != cached_ac:
            cached_ac = ac
            cache = []
            for slot in cycle.slots:
                found = cycle.candidate(job, slot)
                if found is not None:
                    cache.append((found[0], slot, found[1]))
            cache.sort(key=_order_key)
        # Take the best candidate still on offer that the submitter's limit allows.
        chosen = None
        over_limit = False
        i = 0
        while i < len(cache):
            entry = cache[i]
            slot = entry[1]
            if not slot.available:
                del cache[i]
                continue
            cost = _cost(cycle, slot, entry[2])
            if used + cost <= limit or (used <= 0 and limit > 0):
                chosen = entry
                del cache[i]
                break
            over_limit = True
            i += 1
        if chosen is None:
            rejected.add(ac)
            reason = "submitter limit exceeded" if over_limit else "no match found"
            limited = limited or over_limit
            sub.result.rejections.append((f"{cluster}.{proc}", reason))
            left.append(item)
            continue
        used += _make_match(cycle, sub, item, chosen, cache)
    sub.jobs = left
    return not (used >= limit or limited), used


def _cost(cycle: _Cycle, slot: _Slot, carve) -> float:
    if not slot.partitionable:
        return cycle.weight(slot.ad)
    if not cycle.accountant.use_slot_weights:
        return 1.0
    before = cycle.weight(slot.ad)
    after_ad = classad.ClassAd(slot.ad)
    for res, amount in carve.items():
        after_ad[res] = _as_resource(after_ad.get(res) - amount)
    return before - cycle.weight(after_ad)


def _make_match(cycle: _Cycle, sub: _Submitter, item, chosen, cache: list) -> float:
    ac, cluster, proc, job = item
    ranks, slot, carve = chosen
    cost = _cost(cycle, slot, carve)
    dynamic = dynamic_name = None
    if slot.partitionable:
        dynamic = dict(carve)
        prefix, at, host = slot.name.partition("@")
        dynamic_name = f"{prefix}_{slot.next_dslot}{at}{host}"
        slot.next_dslot += 1
        for res, amount in carve.items():
            slot.ad[res] = _as_resource(slot.ad.get(res) - amount)
        if any((_number(slot.ad.get(res)) or 0) <= 0 for res in ("Cpus", "Memory") if res in carve):
            slot.available = False  # nothing left to split off
        resource = dynamic_name
    else:
        slot.available = False
        resource = slot.name
    cycle.matches.append(Match(sub.name, cluster, proc, ac, slot.name, slot.original, job, cost,
                               dynamic, dynamic_name))
    cycle.accountant.add_match(sub.name, resource, cost, cycle.now)
    sub.result.matches += 1
    sub.result.weight += cost
    if slot.partitionable:
        # What is left of the slot goes back on offer, ranked anew.
        found = cycle.candidate(job, slot)
        if found is not None:
            entry = (found[0], slot, found[1])
            keys = [_order_key(e) for e in cache]
            cache.insert(bisect.bisect_right(keys, _order_key(entry)), entry)
    return cost
