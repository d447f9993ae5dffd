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
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time
import traceback

import classad

from .._adcodec import decode_ad, encode_ad
from .._daemon_core import Daemon, call_daemon, command, daemon_main
from .._errors import HTCondorIOError, HTCondorValueError
from .._sinful import read_address_file
from .._slots import RESOURCES, WITHIN_RESOURCE_LIMITS, Slot, new_claim_id, slot_layout
from .._starter import Starter

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
        return attrs

    def policy(self) -> dict[str, str]:
        """The slot's expressions, as text, from the configuration."""
        raw = self.config.expanded
        return {
            "Start": raw("START") or "true",
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

    def collector_address(self) -> str | None:
        path = self.param("COLLECTOR_ADDRESS_FILE")
        if not path:
            log = self.param("LOG")
            path = os.path.join(str(log), ".collector_address") if log else None
        return read_address_file(str(path)) if path else None

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
        claimed.claim = {"RemoteOwner": user, "RemoteUser": user,
                         "RemoteScheddName": str(args.get("schedd_name") or ""),
                         "ClientMachine": self.hostname}
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
        await self.release(slot)
        return {}

    async def release(self, slot: Slot) -> None:
        """End a claim: kill its job if one runs, give a dynamic slot's resources back."""
        if slot.starter is not None:
            slot.starter.kill()
            return  # the activation ends, then releases the slot itself
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
            slot.set_state("Unclaimed", "Idle")
            self.log.write(f"{slot.name}: released")
        self.soon_advertise()

    async def check_claims(self) -> None:
        """Release the idle claims whose schedd has gone away."""
        for slot in list(self.all_slots()):
            if slot.state == "Claimed" and slot.starter is None and slot.connection is not None \
                    and slot.connection.writer.is_closing():
                self.log.write(f"{slot.name}: the schedd holding the claim is gone")
                await self.release(slot)

    # -- running a job -----------------------------------------------------------------------------

    @command("ACTIVATE_CLAIM")
    async def activate_claim(self, request):
        slot = self._slot_of(request.args)
        job = self._job_ad(request.args)
        if slot.state != "Claimed" or slot.starter is not None:
            raise HTCondorIOError(f"{slot.name} is {slot.state}/{slot.activity}, it cannot start a job")
        if slot.partitionable:
            raise HTCondorIOError("a partitionable slot runs no job itself; claim a dynamic slot from it")
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
                    await connection.send({"event": {"type": int(event.type), "timestamp": event.timestamp,
                                                     "fields": event.fields}})
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
                await connection.send({"event": {"type": int(event.type), "timestamp": event.timestamp,
                                                 "fields": event.fields}})
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
        return {"end": True, "result": _result_message(result)}

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


def _number(value, default: float) -> float:
    return float(value) if type(value) in (int, float) else default


def _result_message(result) -> dict:
    """A :class:`~htcondor._starter.JobResult` as a message: how it ended, and the job ad updates."""
    fields = ("outcome", "exit_code", "exit_signal", "core_dumped", "hold_reason", "hold_reason_code",
              "hold_reason_subcode", "message", "start_time", "exit_time", "finish_time", "wall_clock_time")
    out = {name: getattr(result, name) for name in fields}
    out["updates"] = encode_ad(classad.ClassAd(result.job_ad_updates()))
    return out


if __name__ == "__main__":
    daemon_main(Startd)
