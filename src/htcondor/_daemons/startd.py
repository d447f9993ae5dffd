"""The startd: the machine's slots, their claims, and the jobs that run in them.

Run as ``python -m htcondor._daemons.startd`` (the master does).  It divides
the machine into slots (:mod:`htcondor._slots`), publishes one ad per slot
to the collector (``UPDATE_STARTD_AD``) and one private ad holding each
slot's claim id (``UPDATE_STARTD_AD_PRIVATE``, which only the negotiator
reads), every ``UPDATE_INTERVAL`` seconds and right after a slot changes.

A schedd that the negotiator matched with a slot works on one connection
for the whole claim, as a shadow does with its starter:

``REQUEST_CLAIM`` (claim id, job ad)
    The slot must still be free and the job must match it.  A
    partitionable slot is split: a dynamic slot takes the resources the
    match asked for and gets a claim id of its own.  Reply: the claimed
    slot's name, claim id and ad.  The slot is ``Claimed``/``Idle``.
``ACTIVATE_CLAIM`` (claim id, job ad)
    Runs the job with a :class:`~htcondor._starter.Starter`.  The slot is
    ``Claimed``/``Busy``; each user-log event of the job is sent as a
    message ``{"event": ...}`` as it happens, and the last message holds
    the result (how the job ended and the attributes to merge into its ad).
    If the schedd's connection closes meanwhile, the job is killed.
``RELEASE_CLAIM`` (claim id)
    A dynamic slot gives its resources back to its partitionable slot; a
    static slot becomes ``Unclaimed``.

Other connections may send ``DEACTIVATE_CLAIM`` (vacate the running job:
gracefully, or fast), ``SUSPEND_CLAIM`` and ``CONTINUE_CLAIM``, naming the
claim id and, optionally, the job id (``"12.0"``): a request for a job that
is no longer the one running on the claim is refused.  A claim whose
schedd went away is released within a second.

Every job that ends here is appended to ``STARTD_HISTORY`` (default
``$(LOG)/startd_history``), read back newest first with ``GET_HISTORY``
(:meth:`htcondor.Startd.history`).

``DRAIN_JOBS`` (:meth:`htcondor.Startd.drainJobs`) makes the slots take no
new job (their ``START`` becomes the drain's ``start_expr``) and empties
them: graceful (each job may run out its ``MaxJobRetirementTime``), quick
(vacated now) or fast (killed now).  Free slots are ``Drained``/``Retiring``
until no job is left, then ``Drained``/``Idle``, until ``CANCEL_DRAIN_JOBS``
or, with ``on_completion`` 1, at once.

Computing on demand (:class:`htcondor.Claim`): ``REQUEST_CLAIM`` with
``cod`` claims the first free slot the request's ``requirements`` accept
(from a partitionable slot, a dynamic slot of one CPU) for a lease of
``lease_duration`` seconds (-1: no end; ``RENEW_LEASE_FOR_CLAIM`` extends
it); no connection is held.  ``ACTIVATE_CLAIM`` on such a claim starts the
job and answers at once; ``SUSPEND_CLAIM``, ``CONTINUE_CLAIM``,
``DEACTIVATE_CLAIM`` and ``RELEASE_CLAIM`` (graceful or fast) work on it
as on any claim.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time
import traceback

import classad

from .._accountant import submitter_of
from .._adcodec import decode_ad, encode_ad
from .._daemon_core import Daemon, call_daemon, command, daemon_main
from .._errors import HTCondorIOError, HTCondorValueError
from .._history_file import HistoryWriter
from .._slots import RESOURCES, WITHIN_RESOURCE_LIMITS, Slot, new_claim_id, slot_layout
from .._starter import Starter, event_message, result_message
from ._request_args import HistoryQuery

__all__ = ["Startd"]

#: The job attributes that name a job in its slot's ad while it runs.
_JOB_IN_SLOT = {"JobUniverse": "JobUniverse"}


class Startd(Daemon):
    """The startd daemon; see the module documentation."""

    SUBSYS = "STARTD"

    def __init__(self, argv: list[str] | None = None):
        super().__init__(argv)
        local = str(self.param("LOCAL_DIR", "."))
        self.execute_dir = str(self.param("EXECUTE", os.path.join(local, "execute")))
        os.makedirs(self.execute_dir, exist_ok=True)
        self.slots: list[Slot] = []
        self.by_claim: dict[str, Slot] = {}
        self.claim_sequence = 0
        self.update_sequence = 0
        log = str(self.param("LOG", local))
        self.history = HistoryWriter(str(self.param("STARTD_HISTORY", "") or os.path.join(log, "startd_history")))
        #: The drain in progress (``DRAIN_JOBS``), or None.
        self.drain: dict | None = None
        self.drain_sequence = 0
        self._listening = False
        self._advertise_pending = False
        self.every(lambda: float(self.param("UPDATE_INTERVAL", 300) or 300), self.advertise)
        self.every(1.0, self.check_claims)

    # -- the slots ---------------------------------------------------------------------------------

    def detected(self) -> dict[str, int]:
        try:
            disk = shutil.disk_usage(self.execute_dir).free // 1024
        except OSError:
            disk = 0
        return {"Cpus": int(self.param("DETECTED_CPUS", os.cpu_count() or 1)),
                "Memory": int(self.param("DETECTED_MEMORY", 1024)),
                "Disk": int(disk), "GPUs": 0}

    def build_slots(self) -> None:
        host = self.hostname
        for spec in slot_layout(self.param, self.detected()):
            slot = Slot(f"{spec.name_prefix}@{host}", spec.slot_id, spec.type_id, dict(spec.resources),
                        kind="Partitionable" if spec.partitionable else "Static")
            slot.claim_id = self.new_claim_id()
            self.by_claim[slot.claim_id] = slot
            self.slots.append(slot)
        self.machine_total = {res: sum(s.resources.get(res, 0) for s in self.slots) for res in RESOURCES}
        self.log.write(f"{len(self.slots)} slot(s): " + ", ".join(
            f"{s.name} ({s.kind.lower()}, {s.resources['Cpus']} cpus, {s.resources['Memory']} MB)"
            for s in self.slots))

    def new_claim_id(self) -> str:
        self.claim_sequence += 1
        return new_claim_id(str(self.address), self.start_time, self.claim_sequence)

    def all_slots(self):
        for slot in self.slots:
            yield slot
            yield from slot.children

    def machine_attrs(self) -> dict:
        """The attributes every slot ad of this machine shares."""
        p = self.param
        now = int(time.time())
        local = time.localtime(now)
        try:
            load = round(os.getloadavg()[0], 2)
        except OSError:
            load = 0.0
        detected = self.detected()
        attrs = self.daemon_ad_base("Machine", "")
        del attrs["Name"]
        attrs.update({
            "TargetType": "Job",
            "StartdIpAddr": str(self.address),
            "Arch": str(p("ARCH", "X86_64")),
            "OpSys": str(p("OPSYS", "LINUX")),
            "OpSysAndVer": str(p("OPSYSANDVER", "")),
            "OpSysLegacy": str(p("OPSYSLEGACY", "LINUX")),
            "OpSysLongName": str(p("OPSYSLONGNAME", "")),
            "OpSysMajorVer": int(p("OPSYSMAJORVER", 0) or 0),
            "OpSysName": str(p("OPSYSNAME", "")),
            "OpSysShortName": str(p("OPSYSSHORTNAME", "")),
            "OpSysVer": int(p("OPSYSVER", 0) or 0),
            "UtsnameMachine": str(p("UTSNAME_MACHINE", "")),
            "UtsnameNodename": str(p("UTSNAME_NODENAME", "")),
            "UtsnameRelease": str(p("UTSNAME_RELEASE", "")),
            "UtsnameSysname": str(p("UTSNAME_SYSNAME", "")),
            "UtsnameVersion": str(p("UTSNAME_VERSION", "")),
            "UidDomain": str(p("UID_DOMAIN", self.hostname)),
            "FileSystemDomain": str(p("FILESYSTEM_DOMAIN", self.hostname)),
            "DetectedCpus": detected["Cpus"],
            "DetectedMemory": detected["Memory"],
            "DetectedDisk": detected["Disk"],
            "DetectedGPUs": 0,
            "TotalCpus": float(self.machine_total["Cpus"]),
            "TotalMemory": self.machine_total["Memory"],
            "TotalDisk": self.machine_total["Disk"],
            "TotalGPUs": self.machine_total["GPUs"],
            "TotalSlots": len(self.slots),
            "MachineResources": "Cpus Memory Disk Swap GPUs",
            "HasFileTransfer": True,
            "HasFileTransferPluginMethods": "file",
            "HasTransferInputRemaps": True,
            "HasJobDeferral": False,
            "HasReconnect": False,
            "HasVM": False,
            "HasJava": False,
            "StarterAbilityList": "HasFileTransfer,HasTransferInputRemaps,HasFileTransferPluginMethods",
            "LoadAvg": load,
            "TotalLoadAvg": load,
            "CondorLoadAvg": 0.0,
            "TotalCondorLoadAvg": 0.0,
            "KeyboardIdle": now - self.start_time + 1200,
            "ConsoleIdle": now - self.start_time + 1200,
            "ClockDay": (local.tm_wday + 1) % 7,
            "ClockMin": local.tm_hour * 60 + local.tm_min,
            "CurrentRank": 0.0,
            "IsLocalStartd": False,
            "CanHibernate": False,
            "CpuBusy": False,
            "UpdateSequenceNumber": self.update_sequence,
            "COLLECTOR_HOST_STRING": str(p("COLLECTOR_HOST", "")),
        })
        if self.drain is not None:
            attrs.update({"Draining": True, "DrainingRequestId": self.drain["request_id"],
                          "DrainReason": self.drain["reason"], "LastDrainStartTime": self.drain["start_time"]})
        elif self.drain_sequence:
            attrs["Draining"] = False
        return attrs

    def policy(self) -> dict[str, str]:
        """The slot's expressions, as text, from the configuration."""
        raw = self.config.expanded
        start = raw("START") or "true"
        if self.drain is not None:
            start = self.drain["start_expr"]  # while draining, the drain's START
        return {
            "Start": start,
            "Requirements": "START && WithinResourceLimits",
            "WithinResourceLimits": WITHIN_RESOURCE_LIMITS,
            "Rank": raw("RANK") or "0.0",
            "SlotWeight": raw("SLOT_WEIGHT") or "Cpus",
            "MachineMaxVacateTime": raw("MachineMaxVacateTime") or "10 * 60",
            "MaxJobRetirementTime": raw("MAXJOBRETIREMENTTIME") or "0",
        }

    def slot_ad(self, slot: Slot, machine: dict | None = None, policy: dict | None = None) -> classad.ClassAd:
        return slot.ad(machine or self.machine_attrs(), policy or self.policy(), int(time.time()))

    # -- advertising --------------------------------------------------------------------------------

    def _write_address_file(self) -> None:
        # The address file tells the master (and PersonalPool) this daemon is ready; the startd
        # is ready once its slots are in the collector, so it writes the file after the first update.
        if self._listening:
            super()._write_address_file()

    async def on_start(self) -> None:
        self.build_slots()
        await self.advertise()
        self._listening = True
        self._write_address_file()

    async def on_stop(self) -> None:
        for slot in list(self.all_slots()):
            if slot.starter is not None:
                slot.starter.kill()
        address = self.collector_address()
        if address:
            constraint = f"StartdIpAddr == {classad.quote(str(self.address))}"
            for cmd in ("INVALIDATE_STARTD_ADS", "INVALIDATE_STARTD_ADS_PRIVATE"):
                try:
                    await call_daemon(address, cmd, {"constraint": constraint}, timeout=2)
                except Exception:
                    pass

    async def advertise(self) -> None:
        """Send every slot's public and private ad to the collector (a failure is logged)."""
        address = self.collector_address()
        if address is None:
            return
        self.update_sequence += 1
        machine, policy = self.machine_attrs(), self.policy()
        public, private = [], []
        for slot in self.all_slots():
            public.append(encode_ad(self.slot_ad(slot, machine, policy)))
            private.append({"MyType": "Machine", "Name": slot.name, "MyAddress": str(self.address),
                            "StartdIpAddr": str(self.address), "Capability": slot.claim_id,
                            "ClaimId": slot.claim_id})
        try:
            await call_daemon(address, "UPDATE_STARTD_AD", {"ads": public}, timeout=5)
            await call_daemon(address, "UPDATE_STARTD_AD_PRIVATE", {"ads": private}, timeout=5)
        except Exception as e:
            self.log.write(f"failed to send slot ads to the collector at {address}: {e}")

    async def invalidate_slot(self, slot: Slot) -> None:
        address = self.collector_address()
        if address is None:
            return
        constraint = f"Name == {classad.quote(slot.name)}"
        for cmd in ("INVALIDATE_STARTD_ADS", "INVALIDATE_STARTD_ADS_PRIVATE"):
            try:
                await call_daemon(address, cmd, {"constraint": constraint}, timeout=2)
            except Exception as e:
                self.log.write(f"failed to invalidate {slot.name}: {e}")

    def soon_advertise(self) -> None:
        if not self._advertise_pending:
            self._advertise_pending = True
            self.spawn(self._advertise_soon())

    async def _advertise_soon(self) -> None:
        await asyncio.sleep(0.05)
        self._advertise_pending = False
        await self.advertise()

    # -- claims ------------------------------------------------------------------------------------

    def _slot_of(self, args: dict) -> Slot:
        claim_id = args.get("claim_id")
        if not isinstance(claim_id, str):
            raise HTCondorValueError("claim_id must be a string")
        slot = self.by_claim.get(claim_id)
        if slot is None:
            raise HTCondorIOError("the claim id names no claim of this startd (it may have been released)")
        return slot

    @staticmethod
    def _job_ad(args: dict) -> classad.ClassAd:
        data = args.get("job_ad")
        if not isinstance(data, dict):
            raise HTCondorValueError("job_ad must be an ad")
        return decode_ad(data)

    @command("REQUEST_CLAIM")
    async def request_claim(self, request) -> dict:
        args = request.args
        if args.get("cod"):
            return await self.request_cod(request)
        slot = self._slot_of(args)
        job = self._job_ad(args)
        if slot.kind == "Dynamic" or slot.state != "Unclaimed":
            raise HTCondorIOError(f"{slot.name} is {slot.state}, not available for a new claim")
        machine, policy = self.machine_attrs(), self.policy()
        if slot.partitionable:
            wanted = args.get("resources")
            if not isinstance(wanted, dict):
                raise HTCondorValueError("a claim of a partitionable slot needs the resources to carve")
            carve = {}
            for res in RESOURCES:
                amount = wanted.get(res, 0)
                if type(amount) not in (int, float) or amount < 0:
                    raise HTCondorValueError(f"bad amount of {res}: {amount!r}")
                if amount > slot.resources.get(res, 0):
                    raise HTCondorIOError(f"{slot.name} has not {amount} {res} left")
                carve[res] = int(amount)
            child = Slot(f"{slot.name.split('@')[0]}_{slot.next_child}@{self.hostname}", slot.slot_id,
                         slot.type_id, carve, kind="Dynamic", parent=slot, dslot_id=slot.next_child)
            if not job.symmetricMatch(self.slot_ad(child, machine, policy)):
                raise HTCondorIOError(f"the job does not match {child.name}")
            slot.next_child += 1
            for res, amount in carve.items():
                slot.resources[res] -= amount
            slot.children.append(child)
            claimed = child
            claimed.claim_id = self.new_claim_id()
            self.by_claim[claimed.claim_id] = claimed
        else:
            if not job.symmetricMatch(self.slot_ad(slot, machine, policy)):
                raise HTCondorIOError(f"the job does not match {slot.name}")
            claimed = slot
        owner = job.get("Owner") if isinstance(job.get("Owner"), str) else request.user
        user = job.get("User") if isinstance(job.get("User"), str) else f"{owner}@{machine['UidDomain']}"
        # A job with an accounting group is negotiated, and charged, as group.user@domain.
        submitter = submitter_of(job, user)
        claimed.claim = {"RemoteOwner": user, "RemoteUser": submitter,
                         "RemoteScheddName": str(args.get("schedd_name") or ""),
                         "ClientMachine": self.hostname}
        if submitter != user:
            claimed.claim["AccountingGroup"] = submitter
        claimed.connection = request.connection
        claimed.set_state("Claimed", "Idle")
        self.log.write(f"{claimed.name}: claimed by {user}")
        await self.advertise()  # at once, so the next negotiation cycle sees what is left
        return {"claim_id": claimed.claim_id, "slot_name": claimed.name,
                "slot_ad": encode_ad(self.slot_ad(claimed, machine, policy))}

    @command("RELEASE_CLAIM")
    async def release_claim(self, request) -> dict:
        slot = self._slot_of(request.args)
        if slot.state != "Claimed":
            raise HTCondorIOError(f"{slot.name} is not claimed")
        await self.release(slot, fast=request.args.get("vacate_type", 2) != 1)
        return {}

    async def release(self, slot: Slot, fast: bool = True) -> None:
        """End a claim: kill its job if one runs, give a dynamic slot's resources back."""
        if slot.starter is not None:
            if slot.cod is not None:
                slot.cod["release"] = True  # the COD job's end releases the claim
                if not fast:
                    slot.starter.vacate()
                    return
            slot.starter.kill()
            return  # the activation ends, then releases the slot itself
        slot.cod = None
        self.by_claim.pop(slot.claim_id, None)
        slot.connection = None
        slot.claim = {}
        slot.job = {}
        if slot.kind == "Dynamic" and slot.parent is not None:
            parent = slot.parent
            for res, amount in slot.resources.items():
                parent.resources[res] = parent.resources.get(res, 0) + amount
            if slot in parent.children:
                parent.children.remove(slot)
            self.log.write(f"{slot.name}: released; resources returned to {parent.name}")
            await self.invalidate_slot(slot)
        else:
            slot.claim_id = self.new_claim_id()
            self.by_claim[slot.claim_id] = slot
            if self.drain is not None:
                slot.set_state("Drained", "Retiring")
            else:
                slot.set_state("Unclaimed", "Idle")
            self.log.write(f"{slot.name}: released")
        if self.drain is not None:
            await self.check_drain()
        self.soon_advertise()

    async def check_claims(self) -> None:
        """Release the idle claims whose schedd has gone away, and the COD claims whose lease ran out."""
        now = time.time()
        for slot in list(self.all_slots()):
            if slot.cod is not None and slot.cod.get("expires") is not None and slot.cod["expires"] < now \
                    and not slot.cod.get("release"):
                self.log.write(f"{slot.name}: the lease of its COD claim expired")
                await self.release(slot)
                continue
            if slot.state == "Claimed" and slot.starter is None and slot.connection is not None \
                    and slot.connection.writer.is_closing():
                self.log.write(f"{slot.name}: the schedd holding the claim is gone")
                await self.release(slot)
        await self.check_drain()

    # -- running a job -----------------------------------------------------------------------------

    @command("ACTIVATE_CLAIM")
    async def activate_claim(self, request):
        slot = self._slot_of(request.args)
        job = self._job_ad(request.args)
        if slot.state != "Claimed" or slot.starter is not None:
            raise HTCondorIOError(f"{slot.name} is {slot.state}/{slot.activity}, it cannot start a job")
        if slot.partitionable:
            raise HTCondorIOError("a partitionable slot runs no job itself; claim a dynamic slot from it")
        if slot.cod is not None:
            return self.activate_cod(slot, job, request)
        if self.drain is not None:
            raise HTCondorIOError(f"{slot.name} is draining; it starts no new job")
        connection = request.connection
        events: asyncio.Queue = asyncio.Queue()
        machine_ad = self.slot_ad(slot)
        starter = Starter(
            job, slot_name=slot.name, execute_dir=self.execute_dir, machine_ad=machine_ad,
            execute_host=str(self.address), submit_host=str(request.args.get("submit_host") or "") or None,
            on_event=events.put_nowait,
            update_interval=float(self.param("STARTER_UPDATE_INTERVAL", 300) or 300),
            initial_update_interval=float(self.param("STARTER_INITIAL_UPDATE_INTERVAL", 8) or 8),
            vacate_grace=_number(machine_ad.eval("MachineMaxVacateTime"), 600.0),
            starter_environment=self.param("STARTER_JOB_ENVIRONMENT"),
            inherit_environment=bool(self.param("JOB_INHERITS_STARTER_ENVIRONMENT", False)))
        slot.starter = starter
        cluster, proc = job.get("ClusterId"), job.get("ProcId")
        slot.job = {"JobId": f"{cluster}.{proc}", "GlobalJobId": str(job.get("GlobalJobId", f"{cluster}.{proc}")),
                    "JobStart": int(time.time()), "JobUniverse": job.get("JobUniverse", 5)}
        slot.job_starts += 1
        slot.set_state("Claimed", "Busy")
        self.soon_advertise()
        self.log.write(f"{slot.name}: starting job {cluster}.{proc}")
        run = asyncio.ensure_future(starter.run())
        gone = asyncio.ensure_future(connection.reader.read(1))  # the schedd says nothing more until the end
        result = None
        try:
            while True:
                getter = asyncio.ensure_future(events.get())
                done, _ = await asyncio.wait({getter, run, gone}, return_when=asyncio.FIRST_COMPLETED)
                if getter in done:
                    event = getter.result()
                    await connection.send({"event": event_message(event)})
                    continue
                getter.cancel()
                if gone in done:
                    self.log.write(f"{slot.name}: the schedd of job {cluster}.{proc} is gone; killing the job")
                    starter.kill()
                    await run
                    raise ConnectionError("the schedd closed the claim's connection")
                break
            try:
                result = run.result()
            except Exception:
                self.log.write(f"{slot.name}: the starter failed: {traceback.format_exc()}")
                raise HTCondorIOError("the starter failed") from None
            while not events.empty():
                event = events.get_nowait()
                await connection.send({"event": event_message(event)})
        finally:
            gone.cancel()
            try:
                await gone  # the connection's reader must be free again before the next request
            except (asyncio.CancelledError, ConnectionError):
                pass
            slot.starter = None
            slot.job = {}
            if slot.state == "Claimed":
                slot.set_state("Claimed", "Idle")
            self.soon_advertise()
            if result is None:
                await self.release(slot)
        self.log.write(f"{slot.name}: job {cluster}.{proc} {result.outcome}")
        self.record_history(job, result, slot)
        if self.drain is not None:
            self.soon_check_drain()
        return {"end": True, "result": result_message(result)}

    def _running(self, request) -> Starter:
        slot = self._slot_of(request.args)
        job_id = request.args.get("job_id")
        if slot.starter is None or (job_id is not None and slot.job.get("JobId") != job_id):
            # a request meant for a job that has ended must not reach the claim's next job
            raise HTCondorIOError(f"{slot.name} runs no job" + (f" {job_id}" if job_id is not None else ""))
        return slot.starter

    @command("DEACTIVATE_CLAIM")
    async def deactivate_claim(self, request) -> dict:
        starter = self._running(request)
        if request.args.get("fast"):
            starter.vacate(grace=0)
        else:
            starter.vacate()
        return {}

    @command("SUSPEND_CLAIM")
    async def suspend_claim(self, request) -> dict:
        slot = self._slot_of(request.args)
        if not self._running(request).suspend():
            raise HTCondorIOError(f"the job in {slot.name} is not running")
        slot.set_state("Claimed", "Suspended")
        self.soon_advertise()
        return {}

    @command("CONTINUE_CLAIM")
    async def continue_claim(self, request) -> dict:
        slot = self._slot_of(request.args)
        if not self._running(request).resume():
            raise HTCondorIOError(f"the job in {slot.name} is not suspended")
        slot.set_state("Claimed", "Busy")
        self.soon_advertise()
        return {}


    # -- the startd's history ------------------------------------------------------------------------

    def record_history(self, job: classad.ClassAd, result, slot: Slot) -> None:
        """Append a job that ended here to ``STARTD_HISTORY`` (a failure is logged)."""
        ad = classad.ClassAd(job)
        try:
            ad.update(result.job_ad_updates())
        except Exception:
            pass
        ad["LastRemoteHost"] = slot.name
        ad["RemoteHost"] = slot.name
        ad["StartdName"] = self.hostname
        ad["JobEndOutcome"] = str(result.outcome)
        if "CompletionDate" not in ad:
            ad["CompletionDate"] = int(result.exit_time or time.time()) if result.outcome in ("exited", "signaled") \
                else 0
        try:
            self.history.append(ad)
        except OSError as e:
            self.log.write(f"ERROR: cannot append to {self.history.path}: {e}")

    @command("GET_HISTORY")
    async def get_history(self, request):
        """The jobs this startd ran, newest first (``Startd.history``): constraint, projection, match, since."""
        return HistoryQuery.from_args(request.args).stream(self.history.path)

    # -- draining (condor_drain; Startd.drainJobs) ------------------------------------------------------

    @command("DRAIN_JOBS")
    async def drain_jobs(self, request) -> dict:
        """Stop taking jobs and empty the slots; reply with the drain's request id.

        ``how_fast``: 0 graceful (a job may run out its ``MaxJobRetirementTime``,
        then is vacated gracefully), 10 quick (vacated gracefully now), 20 fast
        (killed now).  ``on_completion``: 0 stay ``Drained``, 1 resume taking jobs.
        ``check_expr`` must be true for every slot; ``start_expr`` is the slots'
        ``START`` while draining.
        """
        args = request.args
        how_fast, on_completion = args.get("how_fast", 0), args.get("on_completion", 0)
        if how_fast not in (0, 10, 20):
            raise HTCondorValueError(f"unknown drain type {how_fast!r}")
        if on_completion not in (0, 1):
            raise HTCondorValueError(
                "this pool's startd can only stay drained (0) or resume (1) when draining completes: it "
                "does not exit or restart on request (the master would restart it)")
        if self.drain is not None:
            raise HTCondorIOError(f"a drain is already in progress ({self.drain['request_id']})")
        check, start = args.get("check_expr") or "true", args.get("start_expr") or "false"
        reason = args.get("reason")
        try:
            check_tree, _ = classad.ExprTree(str(check)), classad.ExprTree(str(start))
        except Exception:
            raise HTCondorValueError("bad check_expr or start_expr") from None
        machine, policy = self.machine_attrs(), self.policy()
        for slot in self.all_slots():
            try:
                value = check_tree.eval(self.slot_ad(slot, machine, policy))
            except Exception:
                value = None
            if value is not True:
                raise HTCondorIOError(f"check_expr is not true for {slot.name}; not draining")
        self.drain_sequence += 1
        now = int(time.time())
        self.drain = {"request_id": f"{self.start_time}-{self.drain_sequence}", "how_fast": how_fast,
                      "on_completion": on_completion, "start_expr": str(start), "start_time": now,
                      "reason": str(reason) if isinstance(reason, str) else "by command",
                      "user": request.user}
        self.log.write(f"draining ({['graceful', 'quick', 'fast'][how_fast // 10]}), request "
                       f"{self.drain['request_id']} by {request.user}: {self.drain['reason']}")
        for slot in self.all_slots():
            if slot.state == "Unclaimed":
                slot.set_state("Drained", "Retiring")
            elif slot.state == "Claimed" and slot.cod is None:
                if slot.starter is not None:
                    if how_fast == 20:
                        slot.starter.vacate(grace=0)
                    elif how_fast == 10:
                        slot.starter.vacate()
                    else:
                        self.spawn(self._retire(slot, slot.starter, machine, policy))
                slot.set_state("Claimed", "Retiring")
        await self.check_drain()
        await self.advertise()  # before the reply: a query right after sees the drain
        return {"request_id": self.drain["request_id"] if self.drain else f"{self.start_time}-{self.drain_sequence}"}

    async def _retire(self, slot: Slot, starter, machine: dict, policy: dict) -> None:
        """A graceful drain: the job may run for its retirement time, then it is vacated."""
        try:
            retirement = _number(self.slot_ad(slot, machine, policy).eval("MaxJobRetirementTime"), 0.0)
        except Exception:
            retirement = 0.0
        started = slot.job.get("JobStart", time.time())
        await asyncio.sleep(max(started + retirement - time.time(), 0.0))
        if slot.starter is starter and self.drain is not None:
            starter.vacate()

    def soon_check_drain(self) -> None:
        self.spawn(self.check_drain())

    async def check_drain(self) -> None:
        """Once no slot runs a job any more: ``Drained``/``Idle``, or back to work (on_completion 1)."""
        drain = self.drain
        if drain is None:
            return
        busy = any(s.state == "Claimed" and s.cod is None and not s.partitionable for s in self.all_slots())
        if busy:
            return
        if drain["on_completion"] == 1:
            self.log.write(f"drain {drain['request_id']} complete; resuming")
            self._end_drain()
            return
        changed = False
        for slot in self.all_slots():
            if slot.state in ("Unclaimed", "Drained") and (slot.state, slot.activity) != ("Drained", "Idle"):
                slot.set_state("Drained", "Idle")
                changed = True
        if changed:
            self.log.write(f"drain {drain['request_id']} complete")
            self.soon_advertise()

    def _end_drain(self) -> None:
        self.drain = None
        for slot in self.all_slots():
            if slot.state == "Drained":
                slot.set_state("Unclaimed", "Idle")
            elif slot.activity == "Retiring":
                slot.set_state(slot.state, "Busy" if slot.starter is not None else "Idle")
        self.soon_advertise()

    @command("CANCEL_DRAIN_JOBS")
    async def cancel_drain_jobs(self, request) -> dict:
        """Stop draining (the request id, when given, must be the drain's); slots take jobs again."""
        wanted = request.args.get("request_id")
        if self.drain is None:
            raise HTCondorIOError("no drain is in progress")
        if wanted and wanted != self.drain["request_id"]:
            raise HTCondorIOError(f"no drain request {wanted!r} (the drain in progress is {self.drain['request_id']})")
        self.log.write(f"drain {self.drain['request_id']} cancelled by {request.user}")
        self._end_drain()
        await self.advertise()
        return {}

    # -- computing on demand (htcondor.Claim) ----------------------------------------------------------

    async def request_cod(self, request) -> dict:
        """A COD claim on the first slot the request's ``requirements`` accept (a partitionable slot gives a
        dynamic slot of one CPU and its share of memory and disk); reply ``ClaimId``."""
        args = request.args
        text = args.get("requirements")
        lease = args.get("lease_duration", -1)
        if type(lease) is not int:
            raise HTCondorValueError("lease_duration must be an integer")
        try:
            requirements = classad.ExprTree(text) if isinstance(text, str) and text.strip() else None
        except Exception:
            raise HTCondorValueError(f"bad requirements {text!r}") from None
        machine, policy = self.machine_attrs(), self.policy()
        request_ad = classad.ClassAd()
        if requirements is not None:
            request_ad["Requirements"] = requirements
        chosen = None
        for slot in self.slots:
            if slot.state != "Unclaimed" or (slot.partitionable and slot.resources.get("Cpus", 0) < 1):
                continue
            ad = self.slot_ad(slot, machine, policy)
            try:
                ok = requirements is None or ad.matches(request_ad)  # the request's Requirements, slot as TARGET
            except Exception:
                ok = False
            if ok:
                chosen = slot
                break
        if chosen is None:
            raise HTCondorIOError("no unclaimed slot of this startd satisfies the COD request")
        if chosen.partitionable:
            cpus = max(chosen.resources.get("Cpus", 1), 1)
            carve = {"Cpus": 1, "Memory": chosen.resources.get("Memory", 0) // cpus,
                     "Disk": chosen.resources.get("Disk", 0) // cpus, "GPUs": 0}
            child = Slot(f"{chosen.name.split('@')[0]}_{chosen.next_child}@{self.hostname}", chosen.slot_id,
                         chosen.type_id, carve, kind="Dynamic", parent=chosen, dslot_id=chosen.next_child)
            chosen.next_child += 1
            for res, amount in carve.items():
                chosen.resources[res] -= amount
            chosen.children.append(child)
            claimed = child
            claimed.claim_id = self.new_claim_id()
            self.by_claim[claimed.claim_id] = claimed
        else:
            claimed = chosen
        user = f"{request.user or 'nobody'}@{machine['UidDomain']}"
        claimed.claim = {"RemoteOwner": user, "RemoteUser": user, "ClientMachine": self.hostname,
                         "ClaimType": "COD"}
        claimed.cod = {"lease": lease, "expires": time.time() + lease if lease > 0 else None, "user": request.user}
        claimed.connection = None
        claimed.set_state("Claimed", "Idle")
        self.log.write(f"{claimed.name}: COD claim by {user}")
        await self.advertise()
        return {"ClaimId": claimed.claim_id, "claim_id": claimed.claim_id, "slot_name": claimed.name}

    @command("RENEW_LEASE_FOR_CLAIM")
    async def renew_lease(self, request) -> dict:
        """Extend a COD claim's lease by its duration from now."""
        slot = self._slot_of(request.args)
        if slot.cod is None:
            raise HTCondorIOError(f"{slot.name} holds no COD claim")
        if slot.cod["lease"] > 0:
            slot.cod["expires"] = time.time() + slot.cod["lease"]
        return {}

    def activate_cod(self, slot: Slot, job: classad.ClassAd, request) -> dict:
        """Start a COD job in the background; the claim stays when it ends."""
        defaults = {"ClusterId": 1, "ProcId": 0, "JobUniverse": 5, "RequestCpus": 1,
                    "Owner": slot.cod.get("user") or "nobody"}
        for key, value in defaults.items():
            if key not in job:
                job[key] = value
        if "Cmd" not in job:
            raise HTCondorValueError("the COD job ad has no Cmd")
        machine_ad = self.slot_ad(slot)
        starter = Starter(job, slot_name=slot.name, execute_dir=self.execute_dir, machine_ad=machine_ad,
                          execute_host=str(self.address), submit_host=None,
                          vacate_grace=_number(machine_ad.eval("MachineMaxVacateTime"), 600.0),
                          starter_environment=self.param("STARTER_JOB_ENVIRONMENT"),
                          inherit_environment=bool(self.param("JOB_INHERITS_STARTER_ENVIRONMENT", False)))
        slot.starter = starter
        slot.job = {"JobId": f"{job['ClusterId']}.{job['ProcId']}", "JobStart": int(time.time()),
                    "JobUniverse": job.get("JobUniverse", 5)}
        slot.job_starts += 1
        slot.set_state("Claimed", "Busy")
        self.soon_advertise()
        self.log.write(f"{slot.name}: starting COD job {job.get('Cmd')}")
        self.spawn(self._run_cod(slot, starter, job))
        return {}

    async def _run_cod(self, slot: Slot, starter, job: classad.ClassAd) -> None:
        result = None
        try:
            result = await starter.run()
        except Exception:
            self.log.write(f"{slot.name}: the COD starter failed: {traceback.format_exc()}")
        finally:
            slot.starter = None
            slot.job = {}
            if slot.state == "Claimed":
                slot.set_state("Claimed", "Idle")
            self.soon_advertise()
        if result is not None:
            self.log.write(f"{slot.name}: COD job {result.outcome}")
            self.record_history(job, result, slot)
        if slot.cod is not None and slot.cod.get("release"):
            await self.release(slot)


def _number(value, default: float) -> float:
    return float(value) if type(value) in (int, float) else default


if __name__ == "__main__":
    daemon_main(Startd)
