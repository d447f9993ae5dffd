"""The negotiator's accountant: per-user usage and user priorities.

HTCondor keeps, for every submitter ("customer"), the resources it holds
now and a *real priority* that follows its usage with an exponential
half-life.  Lower is better.  Each update that covers ``t`` seconds does::

    aging     = 0.5 ** (t / PRIORITY_HALFLIFE)
    recent    = WeightedResourcesUsed + WeightedUnchargedTime / t
    priority  = max(0.5, priority * aging + recent * (1 - aging))

so a user holding ``n`` slot weights drifts towards priority ``n`` and an idle
user decays towards the floor 0.5.  The *effective* priority (EUP), the one
``condor_userprio`` shows and the negotiator sorts by, is the real priority
times the user's priority factor (``DEFAULT_PRIO_FACTOR``, 1000 by default;
``NICE_USER_PRIO_FACTOR`` for ``nice-user.*`` names; ``REMOTE_PRIO_FACTOR``
for users outside ``ACCOUNTANT_LOCAL_DOMAIN`` when that is set).

Matches that start or end between two updates are charged exactly through
"uncharged time": a match added at ``T`` subtracts ``(T - last update)``
slot-seconds, one removed at ``T`` adds ``(T - start)``, and the next update
folds that into the recent usage and the accumulated usage.

Every user's usage is also added to the root accounting group ``<none>``,
as HTCondor does when no accounting groups are configured.

The whole state is a plain dict (:meth:`Accountant.to_dict`) so the negotiator
can persist it between runs.

>>> acct = Accountant(half_life=100.0, now=1000)
>>> acct.effective_priority("alice@example.org")
500.0
>>> acct.add_match("alice@example.org", "slot1@host", weight=1.0, now=1000)
>>> acct.update_priorities(now=1100)   # one half-life holding one slot
>>> round(acct.real_priority("alice@example.org"), 4)
0.75
>>> acct.accumulated_usage("alice@example.org")
100.0
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterable
from typing import Any

import classad

__all__ = ["Accountant", "ROOT_GROUP", "submitter_of"]

#: Name of the root accounting group (the group of every user when no groups are configured).
ROOT_GROUP = "<none>"
#: The floor of a real priority.
MIN_PRIORITY = 0.5
#: The smallest priority factor; smaller requests are raised to it.
MIN_PRIORITY_FACTOR = 1.0
NICE_USER_PREFIX = "nice-user"

_FORMAT = "htcondor-python accountant 1"


def _now(now: float | None) -> int:
    return int(time.time()) if now is None else int(now)


class Accountant:
    """Per-user usage and priorities, as the negotiator's accountant keeps them.

    :param half_life: ``PRIORITY_HALFLIFE`` in seconds.
    :param default_prio_factor: ``DEFAULT_PRIO_FACTOR``.
    :param nice_user_prio_factor: ``NICE_USER_PRIO_FACTOR``.
    :param remote_prio_factor: ``REMOTE_PRIO_FACTOR``, used only when *local_domain* is set.
    :param local_domain: ``ACCOUNTANT_LOCAL_DOMAIN``; ``None`` makes every user local.
    :param use_slot_weights: ``NEGOTIATOR_USE_SLOT_WEIGHTS``; when false every slot weighs 1.
    :param now: the current time (seconds since the epoch); the clock of the first update.

    >>> Accountant(now=0).priority_factor("nice-user.bob@x")
    10000000000.0
    """

    def __init__(self, *, half_life: float = 86400.0, default_prio_factor: float = 1000.0,
                 nice_user_prio_factor: float = 1e10, remote_prio_factor: float = 1e7,
                 local_domain: str | None = None, use_slot_weights: bool = True,
                 now: float | None = None) -> None:
        self.half_life = float(half_life)
        self.default_prio_factor = float(default_prio_factor)
        self.nice_user_prio_factor = float(nice_user_prio_factor)
        self.remote_prio_factor = float(remote_prio_factor)
        self.local_domain = local_domain or None
        self.use_slot_weights = bool(use_slot_weights)
        self.last_update_time = _now(now)
        #: Customer records, by name: HTCondor's ``Customer.<name>`` ads as dicts.
        self.customers: dict[str, dict[str, Any]] = {}
        #: Resource records, by slot name: who holds it, its weight, since when.
        self.resources: dict[str, dict[str, Any]] = {}

    @classmethod
    def from_config(cls, param: Callable[[str, Any], Any], *, now: float | None = None) -> "Accountant":
        """An accountant configured from the knobs HTCondor's reads.

        :param param: a function ``param(name, default)`` giving typed configuration
            values, such as :meth:`Daemon.param`.

        >>> Accountant.from_config(lambda name, default: {"PRIORITY_HALFLIFE": 60}.get(name, default)).half_life
        60.0
        """
        return cls(half_life=float(param("PRIORITY_HALFLIFE", 86400.0)),
                   default_prio_factor=float(param("DEFAULT_PRIO_FACTOR", 1000.0)),
                   nice_user_prio_factor=float(param("NICE_USER_PRIO_FACTOR", 1e10)),
                   remote_prio_factor=float(param("REMOTE_PRIO_FACTOR", 1e7)),
                   local_domain=param("ACCOUNTANT_LOCAL_DOMAIN", None),
                   use_slot_weights=bool(param("NEGOTIATOR_USE_SLOT_WEIGHTS", True)),
                   now=now)

    # -- records -----------------------------------------------------------------------------

    def _record(self, name: str) -> dict[str, Any]:
        rec = self.customers.get(name)
        if rec is None:
            # Reading a user's priority creates its record, as in HTCondor.
            rec = self.customers[name] = {"Priority": MIN_PRIORITY,
                                          "PriorityFactor": self._initial_factor(name)}
        return rec

    def _initial_factor(self, name: str) -> float:
        if name.startswith(NICE_USER_PREFIX):
            return self.nice_user_prio_factor
        if self.local_domain is not None and name.partition("@")[2] != self.local_domain:
            return self.remote_prio_factor
        return self.default_prio_factor

    def users(self) -> list[str]:
        """Names with a record (users and the root group), sorted."""
        return sorted(self.customers)

    # -- reading ------------------------------------------------------------------------------

    def real_priority(self, name: str) -> float:
        """The user's real priority (at least 0.5)."""
        rec = self._record(name)
        if rec["Priority"] < MIN_PRIORITY:
            rec["Priority"] = MIN_PRIORITY
        return rec["Priority"]

    def priority_factor(self, name: str) -> float:
        """The user's priority factor."""
        return self._record(name)["PriorityFactor"]

    def effective_priority(self, name: str) -> float:
        """Real priority times priority factor: what the negotiator sorts users by (lower first)."""
        return self.real_priority(name) * self.priority_factor(name)

    def resources_used(self, name: str) -> int:
        """How many slots the user holds."""
        return self.customers.get(name, {}).get("ResourcesUsed", 0)

    def weighted_resources_used(self, name: str) -> float:
        """The summed slot weights the user holds."""
        return self.customers.get(name, {}).get("WeightedResourcesUsed", 0.0)

    def accumulated_usage(self, name: str) -> float:
        """Slot-seconds used so far (unweighted), as of the last update."""
        return self.customers.get(name, {}).get("AccumulatedUsage", 0.0)

    # -- administration (condor_userprio -setprio, -setfactor, -resetusage, -delete) -------------

    def set_priority(self, name: str, priority: float) -> None:
        """Set the user's real priority."""
        self._record(name)["Priority"] = float(priority)

    def set_priority_factor(self, name: str, factor: float) -> None:
        """Set the user's priority factor (raised to at least 1.0)."""
        self._record(name)["PriorityFactor"] = max(float(factor), MIN_PRIORITY_FACTOR)

    def reset_usage(self, name: str, now: float | None = None) -> None:
        """Zero the user's accumulated usage and restart its usage clock."""
        rec = self._record(name)
        rec["AccumulatedUsage"] = 0.0
        rec["WeightedAccumulatedUsage"] = 0.0
        rec["BeginUsageTime"] = _now(now)

    def set_submitter_share(self, name: str, share: float, limit: float) -> None:
        """Remember the user's share of the pool in this cycle (published as ``SubmitterShare``/``SubmitterLimit``)."""
        rec = self._record(name)
        rec["SubmitterShare"] = float(share)
        rec["SubmitterLimit"] = float(limit)

    def delete_user(self, name: str) -> None:
        """Forget the user's record."""
        self.customers.pop(name, None)

    def reset_all_usage(self, now: float | None = None) -> None:
        """Zero every record's accumulated usage (``condor_userprio -allusers -resetusage``).

        >>> a = Accountant(now=0)
        >>> a.set_accumulated_usage("u@x", 50.0)
        >>> a.reset_all_usage(now=10); a.accumulated_usage("u@x")
        0.0
        """
        for name in list(self.customers):
            self.reset_usage(name, now)

    def set_accumulated_usage(self, name: str, usage: float) -> None:
        """Set the user's accumulated usage (``condor_userprio -setaccum``), weighted and unweighted."""
        rec = self._record(name)
        rec["AccumulatedUsage"] = float(usage)
        rec["WeightedAccumulatedUsage"] = float(usage)

    def set_begin_usage(self, name: str, when: int) -> None:
        """Set the time the user began using the pool (``condor_userprio -setbegin``)."""
        self._record(name)["BeginUsageTime"] = int(when)

    def set_last_usage(self, name: str, when: int) -> None:
        """Set the time the user last used the pool (``condor_userprio -setlast``)."""
        self._record(name)["LastUsageTime"] = int(when)

    def set_ceiling(self, name: str, ceiling: float) -> None:
        """Set the most slot weight the user may hold at once (-1: no ceiling; ``condor_userprio -setceil``)."""
        self._record(name)["Ceiling"] = float(ceiling)

    def ceiling(self, name: str) -> float:
        """The user's ceiling: the most slot weight it may hold (-1 for none)."""
        return float(self.customers.get(name, {}).get("Ceiling", -1))

    # -- matches -----------------------------------------------------------------------------

    def slot_weight(self, slot: classad.ClassAd) -> float:
        """The slot's ``SlotWeight`` (1.0 when missing, negative, or weights are off)."""
        if not self.use_slot_weights:
            return 1.0
        try:
            value = slot.eval("SlotWeight")
        except (KeyError, classad.ClassAdException):
            return 1.0
        if isinstance(value, (bool, classad.Value)) or not isinstance(value, (int, float)) or value < 0:
            return 1.0
        return float(value)

    def _charge(self, name: str, count: int, weight: float, uncharged: float, now: int) -> None:
        rec = self._record(name)
        rec["ResourcesUsed"] = max(rec.get("ResourcesUsed", 0) + count, 0)
        rec["WeightedResourcesUsed"] = max(rec.get("WeightedResourcesUsed", 0.0) + count * weight, 0.0)
        rec["UnchargedTime"] = rec.get("UnchargedTime", 0) + int(uncharged)
        rec["WeightedUnchargedTime"] = rec.get("WeightedUnchargedTime", 0.0) + uncharged * weight

    def add_match(self, name: str, resource: str, weight: float = 1.0, now: float | None = None) -> None:
        """Record that *name* now holds the slot *resource* of weight *weight*.

        A slot already held by someone else is first released from them;
        one already held by *name* is left alone.
        """
        now = _now(now)
        held = self.resources.get(resource)
        if held is not None:
            if held["RemoteUser"] == name:
                return
            self.remove_match(resource, now)
        uncharged = -(now - self.last_update_time)
        for who in (name, ROOT_GROUP) if name != ROOT_GROUP else (name,):
            self._charge(who, 1, weight, uncharged, now)
        self.resources[resource] = {"RemoteUser": name, "SlotWeight": float(weight), "StartTime": now}

    def remove_match(self, resource: str, now: float | None = None) -> None:
        """Record that the slot *resource* was released."""
        now = _now(now)
        held = self.resources.pop(resource, None)
        if held is None:
            return
        start = max(held["StartTime"], self.last_update_time)
        name = held["RemoteUser"]
        for who in (name, ROOT_GROUP) if name != ROOT_GROUP else (name,):
            self._charge(who, -1, held["SlotWeight"], now - start, now)

    def check_matches(self, slots: Iterable[classad.ClassAd], now: float | None = None) -> None:
        """Bring the resource records in line with the slot ads from the collector.

        A slot in state ``Claimed`` or ``Preempting`` is held by its
        ``AccountingGroup`` (else ``RemoteUser``); a ``Matched`` slot keeps its
        record; records of slots that vanished or went unclaimed are removed.
        """
        now = _now(now)
        by_name: dict[str, classad.ClassAd] = {}
        for ad in slots:
            name = ad.get("Name")
            if isinstance(name, str):
                by_name[name] = ad
        for resource in sorted(self.resources):
            ad = by_name.get(resource)
            holder = self.resources[resource]["RemoteUser"]
            if ad is None:
                self.remove_match(resource, now)
                continue
            state = ad.get("State")
            if state == "Matched":
                continue
            if state not in ("Claimed", "Preempting") or _claimant(ad) != holder:
                self.remove_match(resource, now)
        for name in sorted(by_name):
            ad = by_name[name]
            if ad.get("State") in ("Claimed", "Preempting"):
                user = _claimant(ad)
                if user:
                    self.add_match(user, name, self.slot_weight(ad), now)

    # -- aging ---------------------------------------------------------------------------------

    def update_priorities(self, now: float | None = None) -> None:
        """Age every priority by the time since the last update and charge the usage in it."""
        now = _now(now)
        passed = now - self.last_update_time
        if passed == 0:
            return
        if passed < 0:  # the clock went back: restart from here
            self.last_update_time = now
            return
        aging = 0.5 ** (passed / self.half_life)
        self.last_update_time = now
        for rec in self.customers.values():
            prio = max(rec.get("Priority", 0.0), MIN_PRIORITY)
            used = rec.get("ResourcesUsed", 0)
            wused = rec.get("WeightedResourcesUsed", 0.0)
            uncharged = rec.get("UnchargedTime", 0)
            wuncharged = rec.get("WeightedUnchargedTime", 0.0)
            recent = used + uncharged / passed
            wrecent = wused + wuncharged / passed
            rec["Priority"] = max(prio * aging + wrecent * (1 - aging), MIN_PRIORITY)
            acc = rec.get("AccumulatedUsage", 0.0) + used * passed + uncharged
            wacc = rec.get("WeightedAccumulatedUsage", rec.get("AccumulatedUsage", 0.0)) + wused * passed + wuncharged
            rec["AccumulatedUsage"] = float(acc)
            rec["WeightedAccumulatedUsage"] = float(wacc)
            if acc > 0 and not rec.get("BeginUsageTime"):
                rec["BeginUsageTime"] = now
            if recent > 0:
                rec["LastUsageTime"] = now
            rec["UnchargedTime"] = 0
            rec["WeightedUnchargedTime"] = 0.0
            # Per-cycle negotiation figures start over after an update.
            rec["SubmitterLimit"] = 0.0
            rec["SubmitterShare"] = 0.0

    # -- publishing ----------------------------------------------------------------------------

    def accounting_ads(self, negotiator_name: str = "") -> list[classad.ClassAd]:
        """One ``Accounting`` ad per record, as the negotiator sends to the collector.

        ``Priority`` is the effective priority; ``condor_userprio`` shows it.

        >>> acct = Accountant(now=0)
        >>> acct.add_match("alice@x", "slot1@h", now=0)
        >>> [(ad["Name"], ad["Priority"], ad["ResourcesUsed"]) for ad in acct.accounting_ads("nego")]
        [('<none>', 500.0, 1), ('alice@x', 500.0, 1)]
        """
        ads = []
        for name in self.users():
            rec = self.customers[name]
            ad = classad.ClassAd()
            ad["MyType"] = "Accounting"
            ad["Name"] = name
            ad["NegotiatorName"] = negotiator_name
            ad["Priority"] = self.effective_priority(name)
            ad["PriorityFactor"] = float(rec["PriorityFactor"])
            ad["ResourcesUsed"] = int(rec.get("ResourcesUsed", 0))
            ad["WeightedResourcesUsed"] = float(rec.get("WeightedResourcesUsed", 0.0))
            ad["AccumulatedUsage"] = float(rec.get("AccumulatedUsage", 0.0))
            ad["WeightedAccumulatedUsage"] = float(rec.get("WeightedAccumulatedUsage", 0.0))
            ad["BeginUsageTime"] = int(rec.get("BeginUsageTime", 0))
            ad["LastUsageTime"] = int(rec.get("LastUsageTime", 0))
            ceiling = rec.get("Ceiling", -1)
            ad["Ceiling"] = int(ceiling) if float(ceiling).is_integer() else float(ceiling)
            ad["Floor"] = 0
            ad["IsAccountingGroup"] = name == ROOT_GROUP
            ad["AccountingGroup"] = ROOT_GROUP
            ad["LastUpdate"] = self.last_update_time
            if name != ROOT_GROUP:
                ad["SubmitterLimit"] = float(rec.get("SubmitterLimit", 0.0))
                ad["SubmitterShare"] = float(rec.get("SubmitterShare", 0.0))
            ads.append(ad)
        return ads

    # -- persistence -------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The whole state as JSON-compatible data (see :meth:`from_dict`).

        >>> a = Accountant(now=5)
        >>> a.add_match("u@x", "slot1@h", now=5)
        >>> Accountant.from_dict(a.to_dict()).to_dict() == a.to_dict()
        True
        """
        return {
            "format": _FORMAT,
            "config": {"half_life": self.half_life, "default_prio_factor": self.default_prio_factor,
                       "nice_user_prio_factor": self.nice_user_prio_factor,
                       "remote_prio_factor": self.remote_prio_factor, "local_domain": self.local_domain,
                       "use_slot_weights": self.use_slot_weights},
            "last_update_time": self.last_update_time,
            "customers": copy.deepcopy(self.customers),
            "resources": copy.deepcopy(self.resources),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], **config: Any) -> "Accountant":
        """Rebuild an accountant from :meth:`to_dict` output.

        Keyword arguments override the saved configuration (a reconfigured
        negotiator keeps its users' usage but uses the new knobs).

        :raises ValueError: if *data* is not an accountant's state.
        """
        if not isinstance(data, dict) or data.get("format") != _FORMAT:
            raise ValueError("not a saved accountant state")
        settings = dict(data.get("config", {}))
        settings.update(config)
        acct = cls(now=data["last_update_time"], **settings)
        acct.customers = copy.deepcopy(data.get("customers", {}))
        acct.resources = copy.deepcopy(data.get("resources", {}))
        return acct


def submitter_of(job: classad.ClassAd, default: str) -> str:
    """The name a job is negotiated under: ``AccountingGroup@domain`` if it has a group, else *default*.

    :param job: the job ad.
    :param default: its user's submitter name (``user@uid.domain``), whose domain a group takes.
    :returns: the submitter name.

    >>> submitter_of(classad.ClassAd({"AccountingGroup": "physics.alice"}), "alice@example.org")
    'physics.alice@example.org'
    >>> submitter_of(classad.ClassAd(), "alice@example.org")
    'alice@example.org'
    """
    group = job.get("AccountingGroup")
    if not isinstance(group, str) or not group:
        return default
    if "@" in group:
        return group
    domain = default.partition("@")[2]
    return f"{group}@{domain}" if domain else group


def _claimant(ad: classad.ClassAd) -> str | None:
    for attr in ("AccountingGroup", "RemoteUser"):
        value = ad.get(attr)
        if isinstance(value, str) and value:
            return value
    return None
