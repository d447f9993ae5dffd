"""The negotiator: matches idle jobs with free slots, in user-priority order.

Run as ``python -m htcondor._daemons.negotiator`` (the master does).  Every
``NEGOTIATOR_INTERVAL`` seconds, and soon after a schedd sends
``RESCHEDULE`` (but never within ``NEGOTIATOR_MIN_INTERVAL`` of the last
cycle), it runs one cycle:

1. from the collector: every slot ad, the private ads holding their claim
   ids, and the schedd ads;
2. from each schedd (``NEGOTIATE``): its submitters and their idle jobs —
   at most as many per autocluster as the pool has free CPUs, since no more
   could match;
3. the matchmaking of :func:`htcondor._matchmaker.negotiate`: submitters
   by effective priority, a spin of the pie at a time, each job's best slot
   by the negotiator's and the job's ranks, partitionable slots carved;
4. to each schedd, its matches (``PERMISSION_AND_AD``): job, slot, claim id
   and the resources to carve.  The schedd claims the slots before it
   answers, so the next cycle sees them taken.

A job with an ``AccountingGroup`` is negotiated as the submitter
``group.user@uid.domain`` (HTCondor's name for it), whatever name its
schedd filed it under.

The accountant's state (usage and priorities per user) is kept in
``$(SPOOL)/Accountantnew.log`` across restarts and published as
``Accounting`` ads; the negotiator's own ad goes to the collector too.
``condor_userprio``'s commands (:class:`htcondor.Negotiator`) read and change
it: ``GET_PRIORITY`` (and ``GET_PRIORITY_ROLLUP``), ``GET_RESLIST``,
``SET_PRIORITY``, ``SET_PRIORITYFACTOR``, ``SET_ACCUMUSAGE``,
``SET_BEGINTIME``, ``SET_LASTTIME``, ``SET_CEILING``, ``RESET_USAGE``,
``RESET_ALL_USAGE`` and ``DELETE_USER``, each with ``user`` and ``value``
arguments; a change is saved at once and counts from the next cycle.
"""

from __future__ import annotations

import asyncio
import json
import os
import time

import classad

from .._accountant import Accountant, submitter_of
from .._adcodec import decode_ad, encode_ad
from .._async_client import query_daemon
from .._autocluster import significant_attributes
from .._daemon_core import Daemon, call_daemon, command, daemon_main
from .._errors import HTCondorValueError
from .._matchmaker import MatchmakerConfig, negotiate

__all__ = ["Negotiator", "PRIORITY_ATTRIBUTES"]

#: The attributes of the ads ``GET_PRIORITY`` answers with (those the official client keeps).
PRIORITY_ATTRIBUTES = ("Name", "Priority", "ResourcesUsed", "Requested", "WeightedResourcesUsed", "PriorityFactor",
                       "BeginUsageTime", "LastUsageTime", "WeightedAccumulatedUsage", "AccountingGroup",
                       "IsAccountingGroup", "AccumulatedUsage", "Ceiling", "EffectiveQuota", "ConfigQuota",
                       "SubtreeQuota", "GroupSortKey", "SurplusPolicy", "HierWeightedResourcesUsed",
                       "SubmitterShare", "SubmitterLimit")


class Negotiator(Daemon):
    """The negotiator daemon; see the module documentation."""

    SUBSYS = "NEGOTIATOR"

    def __init__(self, argv: list[str] | None = None):
        super().__init__(argv)
        spool = str(self.param("SPOOL", os.path.join(str(self.param("LOCAL_DIR", ".")), "spool")))
        os.makedirs(spool, exist_ok=True)
        self.accountant_file = os.path.join(spool, "Accountantnew.log")
        self.accountant = self._load_accountant()
        self.name = str(self.param("NEGOTIATOR_NAME", "") or self.hostname)
        self.last_cycle = 0.0
        self.cycles = 0
        self.last_stats: dict = {}
        self._wanted = asyncio.Event()
        self._lock: asyncio.Lock | None = None
        self.every(lambda: float(self.param("NEGOTIATOR_INTERVAL", 60) or 60), self.scheduled_cycle)
        self.every(lambda: float(self.param("UPDATE_INTERVAL", 300) or 300), self.advertise)

    def _load_accountant(self) -> Accountant:
        try:
            with open(self.accountant_file, encoding="utf-8") as f:
                data = json.load(f)
            acct = Accountant.from_config(self.param)
            return Accountant.from_dict(data, half_life=acct.half_life,
                                        default_prio_factor=acct.default_prio_factor)
        except FileNotFoundError:
            return Accountant.from_config(self.param)
        except (OSError, ValueError, TypeError, KeyError) as e:
            self.log.write(f"ERROR: cannot read {self.accountant_file} ({e}); starting with empty usage")
            return Accountant.from_config(self.param)

    def _save_accountant(self) -> None:
        tmp = f"{self.accountant_file}.tmp"
        try:
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(self.accountant.to_dict(), f)
            os.replace(tmp, self.accountant_file)
        except OSError as e:
            self.log.write(f"ERROR: cannot write {self.accountant_file}: {e}")

    async def on_start(self) -> None:
        self._lock = asyncio.Lock()
        self.spawn(self.advertise())
        self.spawn(self._wake_loop())

    # -- the accountant's administration (condor_userprio; htcondor.Negotiator) --------------------

    @staticmethod
    def _user(args: dict) -> str:
        user = args.get("user")
        if not isinstance(user, str) or "@" not in user:
            raise HTCondorValueError("You must specify the full name of the submittor you wish (user@uid.domain)")
        return user

    @staticmethod
    def _value(args: dict, kind: type) -> float:
        value = args.get("value")
        if type(value) not in (int, float) or (kind is int and float(value) != int(value)):
            raise HTCondorValueError(f"value must be {'an integer' if kind is int else 'a number'}")
        return kind(value)

    def _changed(self, what: str, request) -> dict:
        self.log.write(f"{what} (by {request.user or 'unknown'})")
        self._save_accountant()
        self.spawn(self.advertise())
        return {}

    @command("GET_PRIORITY")
    async def get_priority(self, request) -> dict:
        """Every accountant record as an ad (``condor_userprio -all``); rollup changes nothing without groups."""
        self.accountant.update_priorities()
        ads = self.accountant.accounting_ads(self.name)
        return {"ads": [encode_ad(ad, [a.lower() for a in PRIORITY_ATTRIBUTES]) for ad in ads]}

    @command("GET_PRIORITY_ROLLUP")
    async def get_priority_rollup(self, request) -> dict:
        return await self.get_priority(request)

    @command("GET_RESLIST")
    async def get_reslist(self, request) -> dict:
        """The slots a user holds, with the time each match began."""
        user = self._user(request.args)
        held = sorted((name, rec) for name, rec in self.accountant.resources.items() if rec["RemoteUser"] == user)
        return {"ads": [{"Name": name, "StartTime": int(rec["StartTime"])} for name, rec in held]}

    @command("SET_PRIORITY")
    async def set_priority(self, request) -> dict:
        user, value = self._user(request.args), self._value(request.args, float)
        if value < 0:
            raise HTCondorValueError("User priority must be non-negative")
        self.accountant.set_priority(user, value)
        return self._changed(f"priority of {user} set to {value}", request)

    @command("SET_PRIORITYFACTOR")
    async def set_priority_factor(self, request) -> dict:
        user, value = self._user(request.args), self._value(request.args, float)
        if value < 1:
            raise HTCondorValueError("Priority factors must be >= 1")
        self.accountant.set_priority_factor(user, value)
        return self._changed(f"priority factor of {user} set to {value}", request)

    @command("SET_ACCUMUSAGE")
    async def set_accumulated_usage(self, request) -> dict:
        user, value = self._user(request.args), self._value(request.args, float)
        if value < 0:
            raise HTCondorValueError("Usage must be non-negative.")
        self.accountant.set_accumulated_usage(user, value)
        return self._changed(f"accumulated usage of {user} set to {value}", request)

    @command("SET_BEGINTIME")
    async def set_begin_time(self, request) -> dict:
        user, value = self._user(request.args), self._value(request.args, int)
        self.accountant.set_begin_usage(user, int(value))
        return self._changed(f"begin usage time of {user} set to {value}", request)

    @command("SET_LASTTIME")
    async def set_last_time(self, request) -> dict:
        user, value = self._user(request.args), self._value(request.args, int)
        self.accountant.set_last_usage(user, int(value))
        return self._changed(f"last usage time of {user} set to {value}", request)

    @command("SET_CEILING")
    async def set_ceiling(self, request) -> dict:
        user, value = self._user(request.args), self._value(request.args, float)
        if value < -1:
            raise HTCondorValueError("Ceiling must be greater than -1.")
        self.accountant.set_ceiling(user, value)
        return self._changed(f"ceiling of {user} set to {value}", request)

    @command("RESET_USAGE")
    async def reset_usage(self, request) -> dict:
        user = self._user(request.args)
        self.accountant.reset_usage(user)
        return self._changed(f"usage of {user} reset", request)

    @command("RESET_ALL_USAGE")
    async def reset_all_usage(self, request) -> dict:
        self.accountant.reset_all_usage()
        return self._changed("usage of every user reset", request)

    @command("DELETE_USER")
    async def delete_user(self, request) -> dict:
        user = self._user(request.args)
        self.accountant.delete_user(user)
        if self.collector_address() is not None:
            self.spawn(self._invalidate_accounting(user))
        return self._changed(f"record of {user} deleted", request)

    async def _invalidate_accounting(self, user: str) -> None:
        address = self.collector_address()
        try:
            await call_daemon(address, "INVALIDATE_ACCOUNTING_ADS", {
                "constraint": f"Name == {classad.quote(user)}"}, timeout=5)
        except Exception as e:
            self.log.write(f"failed to withdraw the Accounting ad of {user}: {e}")

    # -- when to negotiate --------------------------------------------------------------------

    @command("RESCHEDULE")
    async def reschedule(self, request) -> dict:
        self._wanted.set()
        return {}

    async def _wake_loop(self) -> None:
        while True:
            await self._wanted.wait()
            wait = self.last_cycle + float(self.param("NEGOTIATOR_MIN_INTERVAL", 5) or 0) - time.time()
            if wait > 0:
                await asyncio.sleep(wait)
            self._wanted.clear()
            await self.cycle()

    async def scheduled_cycle(self) -> None:
        if time.time() - self.last_cycle >= float(self.param("NEGOTIATOR_INTERVAL", 60) or 60) * 0.5:
            await self.cycle()

    # -- one cycle --------------------------------------------------------------------------------

    async def cycle(self) -> None:
        assert self._lock is not None
        async with self._lock:
            self.last_cycle = time.time()
            try:
                await self._cycle()
            except Exception as e:
                self.log.write(f"ERROR: negotiation cycle failed: {type(e).__name__}: {e}")

    async def _cycle(self) -> None:
        collector = self.collector_address()
        if collector is None:
            return
        started = time.time()
        slot_data = await query_daemon(collector, "QUERY_STARTD_ADS", {})
        private_data = await query_daemon(collector, "QUERY_STARTD_PVT_ADS", {})
        schedd_data = await query_daemon(collector, "QUERY_SCHEDD_ADS", {})
        slots = [decode_ad(d) for d in slot_data]
        claim_ids = {d.get("Name"): d.get("Capability") for d in private_data}
        config = MatchmakerConfig.from_config(self.param)
        significant = significant_attributes(slots, [e for e in (config.pre_job_rank, config.post_job_rank) if e])
        if "AccountingGroup" not in significant:
            # jobs of two accounting groups are two submitters: never one autocluster
            significant.append("AccountingGroup")
        free_cpus = 0
        for slot in slots:
            if slot.get("State") == "Unclaimed":
                cpus = slot.get("Cpus")
                free_cpus += max(int(cpus), 1) if type(cpus) in (int, float) else 1
        jobs: dict[str, list[classad.ClassAd]] = {}
        schedd_of: dict[str, str] = {}
        submitter_ads = []
        if free_cpus:
            for schedd in schedd_data:
                address = schedd.get("ScheddIpAddr") or schedd.get("MyAddress")
                if not isinstance(address, str):
                    continue
                try:
                    reply = await call_daemon(address, "NEGOTIATE", {
                        "significant": list(significant), "max_per_autocluster": free_cpus,
                        "negotiator": self.name}, timeout=10)
                except Exception as e:
                    self.log.write(f"failed to negotiate with the schedd at {address}: {e}")
                    continue
                mine: dict[str, list[classad.ClassAd]] = {}
                for sub in reply.get("submitters", []):
                    name = sub.get("name")
                    if not isinstance(name, str):
                        continue
                    for data in sub.get("jobs", []):
                        ad = decode_ad(data)
                        mine.setdefault(submitter_of(ad, name), []).append(ad)
                for name, ads in mine.items():
                    if name in schedd_of:  # the same submitter at two schedds: the first one's jobs only
                        continue
                    schedd_of[name] = address
                    jobs[name] = ads
                    submitter_ads.append(classad.ClassAd({"Name": name, "IdleJobs": len(ads)}))
        result = negotiate(jobs, slots, self.accountant, submitters=submitter_ads, config=config,
                           now=started)
        per_schedd: dict[str, list[dict]] = {}
        for match in result.matches:
            claim_id = claim_ids.get(match.slot_name)
            if not isinstance(claim_id, str):
                self.log.write(f"no claim id for {match.slot_name}; skipping its match with job {match.job_id}")
                continue
            per_schedd.setdefault(schedd_of[match.submitter], []).append({
                "cluster": match.cluster, "proc": match.proc, "submitter": match.submitter,
                "slot_name": match.slot_name, "claim_id": claim_id,
                "startd": str(match.slot.get("StartdIpAddr") or match.slot.get("MyAddress")),
                "resources": match.dynamic, "slot_ad": encode_ad(match.slot)})
        claimed = 0
        for address, matches in per_schedd.items():
            try:
                reply = await call_daemon(address, "PERMISSION_AND_AD", {"matches": matches}, timeout=30)
                claimed += int(reply.get("claimed", 0))
            except Exception as e:
                self.log.write(f"failed to send {len(matches)} matches to the schedd at {address}: {e}")
        self.cycles += 1
        took = time.time() - started
        self.last_stats = {"LastNegotiationCycleTime0": int(started),
                           "LastNegotiationCycleDuration0": round(took, 3),
                           "LastNegotiationCycleMatches0": len(result.matches),
                           "LastNegotiationCycleNumSchedulers0": len(schedd_data),
                           "LastNegotiationCycleNumIdleJobs0": sum(len(v) for v in jobs.values()),
                           "LastNegotiationCycleCandidateSlots0": sum(
                               1 for s in slots if s.get("State") == "Unclaimed"),
                           "LastNegotiationCycleSubmittersShareLimit0": 0}
        if result.matches or self.cycles == 1:
            self.log.write(f"---------- Finished Negotiation Cycle {self.cycles}: {len(result.matches)} matches, "
                           f"{claimed} claimed, {took * 1000:.0f} ms")
        self._save_accountant()
        if result.matches:
            self.spawn(self.advertise())

    # -- ads ------------------------------------------------------------------------------------

    async def advertise(self) -> None:
        address = self.collector_address()
        if address is None:
            return
        ad = self.daemon_ad_base("Negotiator", self.name)
        ad.update({"UpdateInterval": int(float(self.param("UPDATE_INTERVAL", 300) or 300)),
                   "NegotiatorInterval": int(float(self.param("NEGOTIATOR_INTERVAL", 60) or 60)),
                   **self.last_stats})
        try:
            await call_daemon(address, "UPDATE_NEGOTIATOR_AD", {"ad": ad}, timeout=5)
            ads = [encode_ad(a) for a in self.accountant.accounting_ads(self.name)]
            if ads:
                await call_daemon(address, "UPDATE_ACCOUNTING_AD", {"ads": ads}, timeout=5)
        except Exception as e:
            self.log.write(f"failed to send ads to the collector at {address}: {e}")


if __name__ == "__main__":
    daemon_main(Negotiator)
