"""The schedd's side of running jobs: claims, and a shadow for each running job.

When the negotiator matches an idle job with a slot (``PERMISSION_AND_AD``),
the schedd claims the slot from its startd, on a connection it keeps for
the claim's whole life (:mod:`htcondor._daemons.startd` describes the
conversation).  On that claim it runs the job, as HTCondor's
``condor_shadow`` does:

* the job becomes ``Running`` (``RemoteHost``, ``JobCurrentStartDate``,
  ``JobStartDate``, ``NumShadowStarts``, ``JobRunCount``...);
* each event from the starter is written to the job's user log, and
  updates the job (``NumJobStarts`` at execute, sizes, suspension);
* when the job ends, its usage is merged into the job ad and the job's
  exit policy decides: ``OnExitHold`` holds it, ``OnExitRemove`` false
  puts it back in the queue (``max_retries`` works this way), otherwise it
  completes and — unless ``LeaveJobInQueue`` — moves to the history;
* then the claim runs the next idle job of the same owner that matches
  the slot, without waiting for the negotiator, or is released.

A hold, removal or vacate of a running job stops it through the startd
(``DEACTIVATE_CLAIM``); what the job becomes is decided here when the
starter reports the end.  If the startd or its connection goes away the
job goes back to ``Idle``.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import classad
from classad._nodes import Literal as _Literal

from .._accountant import submitter_of
from .._adcodec import decode_ad, encode_ad
from .._async_client import AsyncDaemonConnection
from .._daemon_core import call_daemon
from .._errors import HTCondorException
from .._history_file import append_epoch
from .._job_queue import COMPLETED, HELD, IDLE, REMOVED, RUNNING, SUSPENDED

__all__ = ["Shadows", "ClaimRecord"]

# user-log event numbers
EV_EXECUTE, EV_EVICTED, EV_TERMINATED, EV_IMAGE_SIZE, EV_HELD, EV_SUSPENDED, EV_UNSUSPENDED = 1, 4, 5, 6, 12, 10, 11
_FINAL_EVENTS = (EV_EVICTED, EV_TERMINATED, EV_HELD)
HOLD_JOB_POLICY = 3
NON_DURABLE = 1  # TransactionFlags.NonDurable: the shadow's frequent updates need no fsync
LOCAL_JOB_GRACE = 30.0  # seconds a local- or scheduler-universe job has between its kill signal and SIGKILL


@dataclass
class ClaimRecord:
    """A claimed slot, and the job running on it."""

    connection: AsyncDaemonConnection
    claim_id: str
    slot_name: str
    slot_ad: classad.ClassAd
    startd: str
    submitter: str
    owner: str
    job: tuple[int, int] | None = None
    stop: str | None = None  # why the schedd stopped the job: "hold", "remove", "vacate"
    starter: Any = None  # a local- or scheduler-universe job's Starter, run by the schedd itself
    final_events: list = field(default_factory=list)


def _true(value) -> bool:
    return value is True or (type(value) in (int, float) and value != 0)


class Shadows:
    """The claims a schedd holds and the jobs running on them.

    :param schedd: the :class:`~htcondor._daemons.schedd.Schedd` (its queue, its
        commit, its log).
    """

    def __init__(self, schedd) -> None:
        self.schedd = schedd
        self.queue = schedd.queue
        self.claims: dict[str, ClaimRecord] = {}
        self.running: dict[tuple[int, int], ClaimRecord] = {}
        self.matched: set[tuple[int, int]] = set()
        self.closing = False
        self.deferred: dict[tuple[int, int], list] = {}  # events of jobs being stopped, see defer_events

    def busy(self, key: tuple[int, int]) -> bool:
        """Whether a job is claimed or running already (not to be offered to the negotiator)."""
        return key in self.running or key in self.matched

    # -- claiming ------------------------------------------------------------------------------

    async def claim_matches(self, matches: list[dict]) -> int:
        """Claim the slots the negotiator matched; return how many were claimed."""
        results = await asyncio.gather(*(self._claim(m) for m in matches if isinstance(m, dict)))
        return sum(results)

    async def _claim(self, match: dict) -> bool:
        cluster, proc = match.get("cluster"), match.get("proc")
        if type(cluster) is not int or type(proc) is not int:
            return False
        key = (cluster, proc)
        ad = self.queue.jobs.get(key)
        if ad is None or ad.get("JobStatus") != IDLE or self.busy(key):
            return False
        self.matched.add(key)
        connection = None
        try:
            connection = await AsyncDaemonConnection.open(str(match.get("startd")), timeout=5)
            reply = await connection.request("REQUEST_CLAIM", {
                "claim_id": match.get("claim_id"), "job_ad": encode_ad(ad),
                "resources": match.get("resources"), "schedd_name": self.schedd.name}, timeout=10)
        except (HTCondorException, OSError) as e:
            self.matched.discard(key)
            if connection is not None:
                connection.close()
            self.schedd.log.write(f"claiming {match.get('slot_name')} for job {cluster}.{proc} failed: {e}")
            return False
        owner = ad.get("Owner") if isinstance(ad.get("Owner"), str) else ""
        claim = ClaimRecord(connection, str(reply["claim_id"]), str(reply["slot_name"]),
                            decode_ad(reply["slot_ad"]), str(match.get("startd")),
                            str(match.get("submitter") or ""), owner)
        self.claims[claim.claim_id] = claim
        self.schedd.spawn(self._serve_claim(claim, key))
        return True

    async def _serve_claim(self, claim: ClaimRecord, key: tuple[int, int] | None) -> None:
        released = False
        try:
            while key is not None:
                await self._run_job(claim, key)
                key = self._next_job(claim)
            await claim.connection.request("RELEASE_CLAIM", {"claim_id": claim.claim_id}, timeout=5)
            released = True
        except HTCondorException as e:
            self.schedd.log.write(f"claim on {claim.slot_name} ended: {e}")
        finally:
            claim.connection.close()
            self.claims.pop(claim.claim_id, None)
            if claim.job is not None:
                self.matched.discard(claim.job)
                if self.running.pop(claim.job, None) is not None:
                    self._lost(claim.job)
            if released or self._has_idle():
                self.schedd.reschedule()

    def _has_idle(self) -> bool:
        return any(ad.get("JobStatus") == IDLE for ad in self.queue.jobs.values())

    def _next_job(self, claim: ClaimRecord) -> tuple[int, int] | None:
        """An idle job of the claim's owner that the claimed slot can run (claim reuse)."""
        if not self.schedd.param("CLAIM_REUSE", True):  # htcondor-python knob: off = one job per claim
            return None
        for key, ad in self.queue.jobs.items():
            if ad.get("JobStatus") != IDLE or self.busy(key) or ad.get("Owner") != claim.owner:
                continue
            if ad.get("JobUniverse", 5) in (7, 12):
                continue
            # a claim is the submitter's (its accounting group's): another group's job waits its turn
            if claim.submitter and submitter_of(ad, _user_of(ad, self.queue.uid_domain)) != claim.submitter:
                continue
            if ad.symmetricMatch(claim.slot_ad):
                return key
        return None

    # -- running one job -------------------------------------------------------------------------

    def _commit(self, txn) -> None:
        self.schedd.commit(txn, from_shadow=True)

    def defer_events(self, events: list) -> list:
        """Keep back the events of jobs being stopped; return the others, to be written now.

        A hold or removal of a running job is recorded at once, but HTCondor writes its event
        when the job has stopped, so it follows everything the job did until then; the
        events kept here are written after the job's last one (:meth:`on_result`).
        """
        out = []
        for event in events:
            key = (event[1], event[2])
            claim = self.running.get(key)
            if claim is not None and (claim.stop is not None or key in self.deferred):
                self.deferred.setdefault(key, []).append(event)
            else:
                out.append(event)
        return out

    async def _run_job(self, claim: ClaimRecord, key: tuple[int, int]) -> None:
        self.matched.discard(key)
        job_ad = self.mark_running(claim, key)
        if job_ad is None:
            return
        connection = claim.connection
        await connection.send("ACTIVATE_CLAIM", {"claim_id": claim.claim_id, "job_ad": encode_ad(job_ad),
                                                 "submit_host": self.schedd.hostname})
        while True:
            message = await connection.receive(timeout=None)
            event = message.get("event")
            if isinstance(event, dict):
                self.on_event(claim, key, event)
                continue
            if not message.get("ok"):
                self.schedd.log.write(f"the startd refused to run job {key[0]}.{key[1]} on {claim.slot_name}: "
                                      f"{message.get('message')}")
                self.running.pop(key, None)
                claim.job = None
                self._lost(key)
                raise HTCondorException(str(message.get("message")))
            self.on_result(claim, key, message.get("result") or {})
            return

    def mark_running(self, claim: ClaimRecord, key: tuple[int, int], remote_host: str | None = "") -> \
            classad.ClassAd | None:
        """Record that an idle job starts on this claim; its ad as it now is (None: not idle any more).

        ``remote_host``: the job's ``RemoteHost`` (default: the claimed slot's name; None: none).
        """
        ad = self.queue.jobs.get(key)
        if ad is None or ad.get("JobStatus") != IDLE:
            return None
        claim.job, claim.stop, claim.final_events = key, None, []
        self.running[key] = claim
        queue = self.queue
        now = int(time.time())
        txn = queue.begin("condor", NON_DURABLE)
        queue.set_status(txn, key, RUNNING, now)

        def bump(name: str) -> None:
            old = queue.lookup(txn, key, name)
            queue.stage_set(txn, key, name, _Literal((old if type(old) is int else 0) + 1))

        previous_start = queue.lookup(txn, key, "JobCurrentStartDate")
        if type(previous_start) is int:
            queue.stage_set(txn, key, "JobLastStartDate", _Literal(previous_start))
        if remote_host == "":
            remote_host = claim.slot_name
        for name, value in (("RemoteHost", remote_host), ("JobCurrentStartDate", now), ("ShadowBday", now),
                            ("LastMatchTime", now), ("PublicClaimId", claim.claim_id.rsplit("#", 1)[0] + "#..."),
                            ("MachineAttrCpus0", claim.slot_ad.get("Cpus", 1)),
                            ("MachineAttrSlotWeight0", claim.slot_ad.eval("SlotWeight")
                             if "SlotWeight" in claim.slot_ad else 1),
                            ("StartdPrincipal", f"execute-side@matchsession/{claim.startd.strip('<>').split(':')[0]}"),
                            ("JobCurrentReconnectAttempt", 0)):
            if isinstance(value, (str, int, float)):
                queue.stage_set(txn, key, name, _Literal(value))
        if queue.lookup(txn, key, "JobStartDate") is None:
            queue.stage_set(txn, key, "JobStartDate", _Literal(now))
        if queue.lookup(txn, key, "FirstJobMatchDate") is None:
            queue.stage_set(txn, key, "FirstJobMatchDate", _Literal(now))
        for name in ("NumJobMatches", "NumShadowStarts", "JobRunCount"):
            bump(name)
        self._commit(txn)
        self.schedd.log.write(f"Started job {key[0]}.{key[1]} on {claim.slot_name} {claim.startd} "
                              f"for {claim.submitter or claim.owner}")
        return queue.jobs.get(key)

    def on_event(self, claim: ClaimRecord, key: tuple[int, int], event: dict) -> None:
        etype = event.get("type")
        stamp = event.get("timestamp")
        fields = event.get("fields") if isinstance(event.get("fields"), dict) else {}
        if etype in _FINAL_EVENTS:
            claim.final_events.append((etype, key[0], key[1], fields, stamp))
            return
        queue = self.queue
        if key not in queue.jobs:
            return
        txn = queue.begin("condor", NON_DURABLE)
        now = int(time.time())
        if etype == EV_EXECUTE:
            num = queue.lookup(txn, key, "NumJobStarts")
            queue.stage_set(txn, key, "NumJobStarts", _Literal((num if type(num) is int else 0) + 1))
            queue.stage_set(txn, key, "JobCurrentStartExecutingDate", _Literal(int(stamp or now)))
        elif etype == EV_IMAGE_SIZE:
            for attr, name in (("ImageSize", "Size"), ("ResidentSetSize", "ResidentSetSize")):
                if type(fields.get(name)) is int:
                    queue.stage_set(txn, key, attr, _Literal(fields[name]))
        elif etype == EV_SUSPENDED:
            # as the shadow does (RemoteResource::recordSuspendEvent); the starter's final
            # update recomputes them from the ad the run started with, so nothing is counted twice
            queue.set_status(txn, key, SUSPENDED, now)
            total = queue.lookup(txn, key, "TotalSuspensions")
            queue.stage_set(txn, key, "TotalSuspensions", _Literal((total if type(total) is int else 0) + 1))
            queue.stage_set(txn, key, "LastSuspensionTime", _Literal(now))
        elif etype == EV_UNSUSPENDED:
            queue.set_status(txn, key, RUNNING, now)
            since = queue.lookup(txn, key, "LastSuspensionTime")
            if type(since) is int and since > 0:
                for name in ("CumulativeSuspensionTime", "UncommittedSuspensionTime"):
                    old = queue.lookup(txn, key, name)
                    queue.stage_set(txn, key, name, _Literal((old if type(old) is int else 0) + now - since))
            queue.stage_set(txn, key, "LastSuspensionTime", _Literal(0))
        txn.events.append((etype, key[0], key[1], fields, stamp))
        self._commit(txn)

    def on_result(self, claim: ClaimRecord, key: tuple[int, int], result: dict) -> None:
        self.running.pop(key, None)
        claim.job = None
        queue = self.queue
        ad = queue.jobs.get(key)
        if ad is None:
            self.deferred.pop(key, None)
            return
        now = int(time.time())
        # Not fsync'ed: the write survives the schedd's death; only a crash of the machine could lose
        # it, and then the job runs again, as HTCondor's "termination pending" jobs may.
        txn = queue.begin("condor", NON_DURABLE)
        updates = decode_ad(result["updates"]) if isinstance(result.get("updates"), dict) else classad.ClassAd()
        for name in updates.keys():
            queue.stage_set(txn, key, name, updates.lookup(name)._node)
        remote = queue.lookup(txn, key, "RemoteHost")
        if isinstance(remote, str):
            queue.stage_set(txn, key, "LastRemoteHost", _Literal(remote))
        public = queue.lookup(txn, key, "PublicClaimId")
        if isinstance(public, str):
            queue.stage_set(txn, key, "LastPublicClaimId", _Literal(public))
        for name in ("RemoteHost", "PublicClaimId", "ShadowBday"):
            queue.stage_delete(txn, key, name)
        status = ad.get("JobStatus")
        outcome = result.get("outcome")
        schedd = self.schedd
        how = {"exited": f"exited with status {result.get('exit_code')}",
               "signaled": f"was killed by signal {result.get('exit_signal')}",
               "held": f"was held: {result.get('hold_reason')}"}.get(str(outcome), "was vacated")
        schedd.log.write(f"Job {key[0]}.{key[1]} {how} on {claim.slot_name}")
        if status == REMOVED:
            queue.destroy(txn, key)  # removed while it ran: now it can leave
        elif status == HELD:
            pass  # held while it ran: the hold and its event are already recorded
        elif claim.stop in ("hold", "remove"):
            pass  # stopped for a hold, then released before the job was gone: idle already, and not evicted
        elif outcome == "held":
            schedd.hold(txn, key, str(result.get("hold_reason") or ""), int(result.get("hold_reason_code") or 0),
                        int(result.get("hold_reason_subcode") or 0), now, event=False)
            txn.events.extend(claim.final_events)
        elif outcome in ("exited", "signaled"):
            self._exited(txn, key, ad, updates, claim, now)
        else:  # vacated: back to idle, and the evicted event
            queue.set_status(txn, key, IDLE, now)
            txn.events.extend(claim.final_events)
        txn.events.extend(self.deferred.pop(key, ()))
        self._record_epoch(txn, key, updates)
        self._commit(txn)

    def _record_epoch(self, txn, key: tuple[int, int], updates: classad.ClassAd) -> None:
        """Append this run of the job to the epoch history (``Schedd.jobEpochHistory``)."""
        path = self.schedd.epoch_history_path
        if not path:
            return
        job = self.queue.jobs.get(key)  # as the run found it: the transaction is not applied yet
        if job is None:
            return
        ad = classad.ClassAd(job)
        ad.update(updates)
        try:
            append_epoch(path, ad)
        except OSError as e:
            self.schedd.log.write(f"ERROR: cannot write the epoch history {path}: {e}")

    def _exited(self, txn, key, ad: classad.ClassAd, updates: classad.ClassAd, claim: ClaimRecord, now: int) -> None:
        """Apply the job's exit policy, HTCondor's order: OnExitHold, then OnExitRemove."""
        queue = self.queue
        num = queue.lookup(txn, key, "NumJobCompletions")
        queue.stage_set(txn, key, "NumJobCompletions", _Literal((num if type(num) is int else 0) + 1))
        code = updates.get("ExitCode")
        if type(code) is int:
            queue.stage_set(txn, key, "ExitStatus", _Literal(code))
        after = classad.ClassAd(ad)
        after.update(updates)
        after["NumJobCompletions"] = (num if type(num) is int else 0) + 1
        hold_expr = after.lookup("OnExitHold") if "OnExitHold" in after else None
        if hold_expr is not None and _true(_eval(hold_expr, after)):
            reason = after.get("OnExitHoldReason")
            sub = after.get("OnExitHoldSubCode")
            if not (isinstance(reason, str) and reason):
                reason = f"The job attribute OnExitHold expression '{_text(hold_expr)}' evaluated to TRUE"
            self.schedd.hold(txn, key, reason, HOLD_JOB_POLICY, sub if type(sub) is int else 0, now)
            return
        remove_expr = after.lookup("OnExitRemove") if "OnExitRemove" in after else None
        if remove_expr is not None:
            value = _eval(remove_expr, after)
            if type(value) in (bool, int, float) and not value:
                queue.set_status(txn, key, IDLE, now)
                fields = {}
                for ev in claim.final_events:
                    if ev[0] == EV_TERMINATED:
                        fields = dict(ev[3])
                fields = {k: v for k, v in fields.items()
                          if k in ("TerminatedNormally", "ReturnValue", "TerminatedBySignal", "CoreFile",
                                   "RunRemoteUsage", "RunLocalUsage", "SentBytes", "ReceivedBytes")}
                fields["TerminatedAndRequeued"] = True
                fields["Reason"] = (f"The job attribute OnExitRemove expression '{_text(remove_expr)}'"
                                    " evaluated to FALSE")
                txn.events.append((EV_EVICTED, key[0], key[1], fields, time.time()))
                return
        queue.set_status(txn, key, COMPLETED, now)
        queue.stage_set(txn, key, "TerminationPending", _Literal(True))
        queue.stage_set(txn, key, "JobFinishedHookDone", _Literal(now))
        txn.events.extend(claim.final_events)
        after["JobStatus"] = COMPLETED  # LeaveJobInQueue is asked about the completed job
        leave = after.lookup("LeaveJobInQueue") if "LeaveJobInQueue" in after else None
        if leave is None or not _true(_eval(leave, after)):
            queue.destroy(txn, key)

    def _lost(self, key: tuple[int, int]) -> None:
        """The claim broke while the job ran: back to Idle (a held or removed job stays so)."""
        if self.closing:
            return  # the schedd is stopping: its next start requeues the job (Schedd.requeue_orphans)
        ad = self.queue.jobs.get(key)
        deferred = self.deferred.pop(key, [])
        if ad is None:
            return
        txn = self.queue.begin("condor")
        txn.events.extend(deferred)
        status = ad.get("JobStatus")
        if status == REMOVED:
            self.queue.destroy(txn, key)
        elif status in (RUNNING, SUSPENDED):
            self.queue.set_status(txn, key, IDLE, int(time.time()))
            remote = ad.get("RemoteHost")
            if isinstance(remote, str):
                self.queue.stage_set(txn, key, "LastRemoteHost", _Literal(remote))
            self.queue.stage_delete(txn, key, "RemoteHost")
        elif not deferred:
            return
        self.schedd.log.write(f"job {key[0]}.{key[1]}: lost its claim; back to idle" if status != REMOVED
                              else f"job {key[0]}.{key[1]}: removed")
        self._commit(txn)

    # -- the schedd stops a running job -----------------------------------------------------------

    def stop(self, key: tuple[int, int], why: str, fast: bool = False) -> bool:
        """Ask the startd to stop a running job (``why``: hold, remove or vacate); False if none runs."""
        claim = self.running.get(key)
        if claim is None:
            return False
        # A job being stopped already (held, then released before it was gone) is not stopped
        # twice: a second request could reach the claim's next job.  Only a faster stop is sent.
        first = claim.stop is None
        if first or why != "vacate":
            claim.stop = why
        if claim.starter is not None:
            # A job the schedd runs itself (DAGMan is one) gets its RemoveKillSig on removal and
            # time to clean up before SIGKILL, as HTCondor's schedd gives a scheduler-universe job.
            ad = self.queue.jobs.get(key)
            signal_name = ad.get("RemoveKillSig") if ad is not None and why == "remove" else None
            grace = ad.get("JobMaxVacateTime") if ad is not None else None
            claim.starter.vacate(grace=float(grace) if type(grace) in (int, float) else LOCAL_JOB_GRACE,
                                 kill_signal=signal_name if isinstance(signal_name, (str, int)) else None)
        elif first or fast:
            self.schedd.spawn(self._send(claim, key, "DEACTIVATE_CLAIM", {"fast": fast}))
        return True

    def signal(self, key: tuple[int, int], command: str) -> bool:
        """SUSPEND_CLAIM or CONTINUE_CLAIM for a running job; False if none runs."""
        claim = self.running.get(key)
        if claim is None:
            return False
        if claim.starter is not None:
            return claim.starter.suspend() if command == "SUSPEND_CLAIM" else claim.starter.resume()
        self.schedd.spawn(self._send(claim, key, command, {}))
        return True

    async def _send(self, claim: ClaimRecord, key: tuple[int, int], command: str, args: dict) -> None:
        # The job id goes with the claim id: with claim reuse the claim may run another job by the
        # time this arrives, and the startd must not stop that one.
        try:
            await call_daemon(claim.startd, command, {"claim_id": claim.claim_id, "job_id": f"{key[0]}.{key[1]}",
                                                      **args}, timeout=10)
        except HTCondorException as e:
            self.schedd.log.write(f"{command} to {claim.slot_name} failed: {e}")

    async def release_all(self) -> None:
        """On shutdown: end every claim (the startd kills what runs on them)."""
        self.closing = True
        for claim in list(self.claims.values()):
            claim.connection.close()
        for claim in list(self.running.values()):
            if claim.starter is not None:
                claim.starter.kill()


def _user_of(ad: classad.ClassAd, uid_domain: str) -> str:
    user = ad.get("User")
    return user if isinstance(user, str) and user else f"{ad.get('Owner')}@{uid_domain}"


def _eval(expr, ad: classad.ClassAd):
    try:
        return expr.eval(ad)
    except Exception:
        return None


def _text(expr) -> str:
    from classad._unparse import unparse_expr

    node = getattr(expr, "_node", None)
    return unparse_expr(node) if node is not None else str(expr)
