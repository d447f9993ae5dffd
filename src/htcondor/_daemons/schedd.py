"""The schedd: the job queue of the pool, its history, and its ads.

Run as ``python -m htcondor._daemons.schedd`` (the master does; tests may
too).  It keeps the jobs in a :class:`~htcondor._job_queue.JobQueue`,
durable in ``$(JOB_QUEUE_LOG)`` (default ``$(SPOOL)/job_queue.log``), and:

* serves job-queue sessions on a connection (``QMGMT_BEGIN``,
  ``NEW_CLUSTER``, ``SUBMIT_PROCS``, ``SET_ATTRIBUTES``, ``QMGMT_COMMIT``,
  ``QMGMT_ABORT``): changes are staged on the connection and become visible
  at commit, in one durable write; a connection that closes before its
  commit leaves nothing behind;
* answers ``QUERY_JOB_ADS`` (streamed), ``ACT_ON_JOBS`` (hold, release,
  remove, ... with HTCondor's status rules and result totals),
  ``EDIT_JOBS``, ``QUERY_HISTORY`` and ``RESCHEDULE``;
* lets a user change only their own jobs, unless listed in
  ``QUEUE_SUPER_USERS``; the user is the peer of the connection, not what
  the request claims;
* evaluates ``PeriodicHold``/``PeriodicRelease``/``PeriodicRemove`` every
  ``PERIODIC_EXPR_INTERVAL`` seconds and right after each commit;
* appends jobs that leave the queue to ``$(HISTORY)`` and writes the user
  event logs (submit, held, released, aborted);
* sends its ``Scheduler`` ad and one ``Submitter`` ad per owner to the
  collector every ``SCHEDD_INTERVAL`` seconds and soon after changes.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections.abc import AsyncIterator

import classad
from classad._nodes import Literal as _Literal

from .._accountant import submitter_of
from .._adcodec import decode_ad, encode_ad
from .._autocluster_query import aggregate_reply
from .._daemon_core import Daemon, StreamSummary, call_daemon, command, daemon_main
from .._errors import HTCondorIOError, HTCondorValueError
from .._eventlog_writer import format_event
from .._history_file import HistoryWriter
from .._job_queue import (
    COMPLETED,
    HELD,
    IDLE,
    REMOVED,
    RUNNING,
    SUSPENDED,
    TRANSFERRING_OUTPUT,
    JobQueue,
    QueueTransaction,
    is_true,
    user_log_path,
)
from .._sinful import read_address_file
from . import _spool
from ._local_jobs import LocalJobs
from ._request_args import HistoryQuery
from ._request_args import job_ids as _job_ids
from ._request_args import parse_constraint as _parse_constraint
from ._request_args import projection_of as _projection
from ._shadow import Shadows
from ._user_records import UserRecords

__all__ = ["Schedd"]

# JobAction numbers (htcondor.JobAction)
HOLD, RELEASE, REMOVE, REMOVE_X, VACATE, VACATE_FAST, SUSPEND, CONTINUE = 1, 2, 3, 4, 5, 6, 8, 9
_ACTION_NAMES = {HOLD: "hold", RELEASE: "release", REMOVE: "remove", REMOVE_X: "removex", VACATE: "vacate",
                 VACATE_FAST: "vacate_fast", SUSPEND: "suspend", CONTINUE: "continue"}
# Action results, numbered as HTCondor's result_total_N
AR_ERROR, AR_SUCCESS, AR_NOT_FOUND, AR_BAD_STATUS, AR_ALREADY_DONE, AR_PERMISSION_DENIED = range(6)
# Hold reason codes (condor_holdcodes.h)
HOLD_USER_REQUEST, HOLD_JOB_POLICY, HOLD_JOB_POLICY_UNDEFINED, HOLD_SPOOLING_INPUT = 1, 3, 5, 16
# Event numbers
EV_SUBMIT, EV_ABORTED, EV_HELD, EV_RELEASED = 0, 9, 12, 13

QUERY_SUMMARY_ONLY, QUERY_MY_JOBS, QUERY_INCLUDE_CLUSTER, QUERY_ONLY_CLUSTERS = 8, 4, 16, 64



class Schedd(Daemon):
    """The schedd daemon; see the module documentation."""

    SUBSYS = "SCHEDD"

    def __init__(self, argv: list[str] | None = None):
        super().__init__(argv)
        self._significant_attrs: list[str] | None = None  # from the last NEGOTIATE: what autocluster queries group by
        self._advertised_once = False
        spool = str(self.param("SPOOL", os.path.join(str(self.param("LOCAL_DIR", ".")), "spool")))
        os.makedirs(spool, exist_ok=True)
        queue_log = str(self.param("JOB_QUEUE_LOG", os.path.join(spool, "job_queue.log")))
        name = str(self.param("SCHEDD_NAME", "") or "")
        # as HTCondor builds a daemon name: a SCHEDD_NAME without '@' is qualified with the host
        self.name = (name if "@" in name else f"{name}@{self.hostname}") if name else self.hostname
        self.queue = JobQueue(queue_log, fsync=bool(self.param("SCHEDD_FSYNC", True)),
                              super_users=self.super_users(), uid_domain=str(self.param("UID_DOMAIN", self.hostname)),
                              schedd_name=self.name)
        self.spool = spool
        self.epoch_history_path = str(self.param("JOB_EPOCH_HISTORY", os.path.join(spool, "epoch_history")) or "")
        self.users = UserRecords(os.path.join(spool, "user_records.json"), str(self.param("UID_DOMAIN", self.hostname)))
        self.history = HistoryWriter(str(self.param("HISTORY", os.path.join(spool, "history"))))
        self.every(lambda: self.param("PERIODIC_EXPR_INTERVAL", 60), self.periodic)
        self.every(lambda: self._interval("SCHEDD_INTERVAL", 300), self.advertise)
        self.every(3600, self.compact)
        self._advertise_pending = False
        self._periodic_pending = False
        self._periodic_keys: set = set()
        self.reschedule_hooks: list = [self.poke_negotiator]  # called on RESCHEDULE and after submits
        self.shadows = Shadows(self)
        self.local_jobs = LocalJobs(self, self.shadows)
        self.reschedule_hooks.append(self.local_jobs.start_idle)
        self._negotiator_pending = False

    def _interval(self, name: str, default: float) -> float:
        try:
            return float(self.param(name, default))
        except (TypeError, ValueError):
            return default

    def super_users(self) -> list[str]:
        text = str(self.param("QUEUE_SUPER_USERS", "root, condor"))
        return [u for u in re.split(r"[\s,]+", text) if u]

    def reconfig(self) -> None:
        super().reconfig()
        self.queue.super_users = set(self.super_users())

    def _write_address_file(self) -> None:
        # The address file tells the master (and PersonalPool) this daemon is ready; a client that
        # then asks the collector for the schedd must find it, so the file follows the first update.
        if self._advertised_once:
            super()._write_address_file()

    async def on_start(self) -> None:
        self.log.write(f"job queue: {len(self.queue.jobs)} jobs in {len(self.queue.clusters)} clusters; "
                       f"next cluster {self.queue.next_cluster}")
        self.requeue_orphans()
        await self.advertise()
        self._advertised_once = True
        self._write_address_file()
        self.reschedule()
        self.spawn(self.periodic())

    async def on_stop(self) -> None:
        await self.shadows.release_all()
        await self.invalidate()
        self.queue.close()

    # -- job queue sessions -------------------------------------------------------------------------

    def _txn(self, request) -> QueueTransaction:
        txn = getattr(request.connection, "qmgmt_txn", None)
        if txn is None:
            raise HTCondorIOError(f"{request.cmd}: no transaction is open on this connection (send QMGMT_BEGIN)")
        return txn

    @command("QMGMT_BEGIN")
    async def qmgmt_begin(self, request) -> dict:
        flags = request.args.get("flags", 0)
        if type(flags) is not int:
            raise HTCondorValueError("flags must be an integer")
        existing = getattr(request.connection, "qmgmt_txn", None)
        if existing is not None and not request.args.get("continue_txn"):
            raise HTCondorIOError("Transaction already in progress for schedd.")
        if existing is None:
            request.connection.qmgmt_txn = self.queue.begin(request.user, flags)
        return {"owner": request.user}

    @command("QMGMT_ABORT")
    async def qmgmt_abort(self, request) -> dict:
        request.connection.qmgmt_txn = None
        return {}

    @command("NEW_CLUSTER")
    async def new_cluster(self, request) -> dict:
        txn = self._txn(request)
        self.users.check_may_submit(request.user)
        return {"cluster": self.queue.new_cluster(txn)}

    @command("SUBMIT_PROCS")
    async def submit_procs(self, request) -> dict:
        txn = self._txn(request)
        args = request.args
        cluster = args.get("cluster")
        if type(cluster) is not int:
            raise HTCondorValueError("cluster must be an integer")
        cluster_ad = args.get("cluster_ad")
        cluster_ad = decode_ad(cluster_ad) if cluster_ad is not None else None
        procs = args.get("procs", [])
        if not isinstance(procs, list):
            raise HTCondorValueError("procs must be a list of ads")
        first, count = self.queue.submit_procs(txn, cluster, cluster_ad, [decode_ad(p) for p in procs])
        return {"first_proc": first, "num_procs": count}

    @command("SET_ATTRIBUTES")
    async def set_attributes(self, request) -> dict:
        return {"count": self._edit(self._txn(request), request.args)}

    @command("QMGMT_COMMIT")
    async def qmgmt_commit(self, request) -> dict:
        txn = self._txn(request)
        request.connection.qmgmt_txn = None
        self.commit(txn)
        return {}

    @command("EDIT_JOBS")
    async def edit_jobs(self, request) -> dict:
        txn = getattr(request.connection, "qmgmt_txn", None)
        if txn is not None:
            return {"count": self._edit(txn, request.args)}
        flags = request.args.get("flags", 0) or 0
        if type(flags) is not int:
            raise HTCondorValueError("flags must be an integer")
        txn = self.queue.begin(request.user, flags)
        count = self._edit(txn, request.args)
        self.commit(txn)
        return {"count": count}

    def _edit(self, txn: QueueTransaction, args: dict) -> int:
        """Stage ``attrs`` on the jobs selected by ``ids`` or ``constraint``; return how many."""
        attrs = args.get("attrs")
        if not isinstance(attrs, dict) or not attrs:
            raise HTCondorValueError("attrs must be a non-empty object of attribute name -> expression text")
        nodes = {}
        for name, text in attrs.items():
            if not isinstance(text, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", name):
                raise HTCondorValueError(f"bad attribute {name!r}")
            try:
                nodes[name] = classad.ExprTree(text)._node
            except Exception:
                raise HTCondorValueError(f"Invalid expression for {name}: {text!r}") from None
        queue = self.queue
        if "ids" in args:
            keys = _job_ids(args["ids"])
            for key in keys:
                if not queue.exists(txn, key):
                    raise HTCondorIOError(f"Unable to edit job {key[0]}.{key[1]}: no such job")
                for name in nodes:
                    why = queue.check_edit(txn, key, name)
                    if why:
                        raise HTCondorIOError(f"Unable to edit job: {why}")
        else:
            tree = _parse_constraint(args.get("constraint", "true"))
            keys = []
            for key, ad in list(queue.jobs.items()):
                if key in txn.destroyed or not queue.may_modify(txn.user, ad):
                    continue  # only one's own jobs, as with SetAttribute_OnlyMyJobs
                if tree is None or is_true(tree, ad):
                    keys.append(key)
            if not keys:
                raise HTCondorIOError("Unable to edit jobs matching constraint: no job of yours matches")
            for key in keys:
                for name in nodes:
                    why = queue.check_edit(txn, key, name)
                    if why:
                        raise HTCondorIOError(f"Unable to edit jobs matching constraint: {why}")
        now = int(time.time())
        for key in keys:
            for name, node in nodes.items():
                if name.lower() == "jobstatus":
                    status = node.value if hasattr(node, "value") and type(node.value) is int else None
                    if status is not None:
                        queue.set_status(txn, key, status, now)
                        continue
                queue.stage_set(txn, key, name, node)
        return len(keys)

    # -- commit and what follows it -----------------------------------------------------------------

    def commit(self, txn: QueueTransaction, from_shadow: bool = False) -> None:
        """Commit a transaction, then write its events and history, and schedule the follow-up work.

        ``from_shadow``: the transaction records what a running job did; its events are
        written at once, while other events of a job being stopped wait for it to stop.
        """
        new_jobs = list(txn.procs)
        self.queue.commit(txn)
        if new_jobs:
            self.users.ensure(txn.user)
        self.stop_changed_jobs(txn)
        now = time.time()
        events = []
        submit_host = str(self.address)
        for key in new_jobs:
            events.append((EV_SUBMIT, key[0], key[1], {"SubmitHost": submit_host}))
        events.extend(txn.events if from_shadow else self.shadows.defer_events(txn.events))
        self.write_events(events, txn.final_ads, now)
        for ad in txn.final_ads:
            if "SpooledInputFiles" in ad:
                _spool.remove_spool(self.spool, ad.get("ClusterId"), ad.get("ProcId"))
        if txn.final_ads:
            try:
                self.history.append_many(txn.final_ads, now)
            except OSError as e:
                self.log.write(f"ERROR: failed to write the history file {self.history.path}: {e}")
        if (new_jobs or txn.edits) and txn.user != "condor":
            self.soon_periodic(set(new_jobs) | set(txn.edits))
        self.soon_advertise()
        if new_jobs:
            self.reschedule()

    def stop_changed_jobs(self, txn: QueueTransaction) -> None:
        """Stop the running jobs this transaction held or removed (their shadows decide the rest)."""
        running = self.shadows.running
        if not running:
            return
        for key in list(txn.edits) + list(txn.destroyed):
            if key not in running:
                continue
            ad = self.queue.jobs.get(key)
            status = ad.get("JobStatus") if ad is not None else REMOVED
            if status == HELD:
                self.shadows.stop(key, "hold", fast=True)
            elif status == REMOVED:
                self.shadows.stop(key, "remove", fast=True)
            elif status == IDLE:
                self.shadows.stop(key, "vacate")

    def requeue_orphans(self) -> None:
        """Jobs that were running when the schedd stopped have no shadow now: back to Idle."""
        txn = self.queue.begin("condor")
        now = int(time.time())
        for key, ad in list(self.queue.jobs.items()):
            status = ad.get("JobStatus")
            if status in (RUNNING, SUSPENDED, TRANSFERRING_OUTPUT):
                self.queue.set_status(txn, key, IDLE, now)
                remote = ad.get("RemoteHost")
                if isinstance(remote, str):
                    self.queue.stage_set(txn, key, "LastRemoteHost", _Literal(remote))
                self.queue.stage_delete(txn, key, "RemoteHost")
            elif status == REMOVED:
                self.queue.destroy(txn, key)  # removed while running: its job is gone with the old startd claim
        if not txn.empty():
            self.log.write("requeued the jobs that were running when the schedd stopped")
            self.commit(txn)

    def write_events(self, events: list[tuple], final_ads: list[classad.ClassAd], now: float) -> None:
        """Append events to the user logs of their jobs, one write per log."""
        if not events:
            return
        gone = {(ad.get("ClusterId"), ad.get("ProcId")): ad for ad in final_ads}
        texts: dict[str, list[str]] = {}
        for event in events:
            event_type, cluster, proc, fields = event[:4]
            stamp = event[4] if len(event) > 4 and isinstance(event[4], (int, float)) else now
            ad = self.queue.jobs.get((cluster, proc)) or gone.get((cluster, proc))
            path = user_log_path(ad) if ad is not None else None
            if path is None:
                continue
            try:
                texts.setdefault(path, []).append(format_event(event_type, cluster, proc, timestamp=stamp, **fields))
            except (TypeError, ValueError) as e:
                self.log.write(f"ERROR: cannot format event {event_type} of job {cluster}.{proc}: {e}")
        for path, parts in texts.items():
            data = "".join(parts).encode("utf-8", "surrogateescape")
            try:
                fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
                try:
                    written = os.write(fd, data)
                    while written < len(data):
                        written += os.write(fd, data[written:])
                finally:
                    os.close(fd)
            except OSError as e:
                self.log.write(f"ERROR: cannot write the user log {path}: {e}")

    def soon_periodic(self, keys: set) -> None:
        """Evaluate the periodic policy of these jobs soon (users' changes may have made it true)."""
        self._periodic_keys |= keys
        if not self._periodic_pending:
            self._periodic_pending = True
            self.spawn(self._periodic_soon())

    async def _periodic_soon(self) -> None:
        await asyncio.sleep(0)
        self._periodic_pending = False
        keys, self._periodic_keys = self._periodic_keys, set()
        await self.periodic(keys)

    def soon_advertise(self) -> None:
        if not self._advertise_pending:
            self._advertise_pending = True
            self.spawn(self._advertise_soon())

    async def _advertise_soon(self) -> None:
        await asyncio.sleep(0.2)
        self._advertise_pending = False
        await self.advertise()

    def reschedule(self) -> None:
        for hook in list(self.reschedule_hooks):
            try:
                hook()
            except Exception as e:
                self.log.write(f"ERROR in a reschedule hook: {e}")

    @command("RESCHEDULE")
    async def reschedule_command(self, request) -> dict:
        self.reschedule()
        return {}

    def poke_negotiator(self) -> None:
        """Ask the negotiator for a cycle soon (several requests in a moment make one)."""
        if not self._negotiator_pending:
            self._negotiator_pending = True
            self.spawn(self._poke_negotiator())

    async def _poke_negotiator(self) -> None:
        await asyncio.sleep(0)
        self._negotiator_pending = False
        path = self.param("NEGOTIATOR_ADDRESS_FILE")
        if not path:
            log = self.param("LOG")
            path = os.path.join(str(log), ".negotiator_address") if log else None
        address = read_address_file(str(path)) if path else None
        if address is None:
            return
        try:
            await call_daemon(address, "RESCHEDULE", {}, timeout=5)
        except Exception as e:
            self.log.write(f"failed to ask the negotiator at {address} for a cycle: {e}")

    # -- negotiation -------------------------------------------------------------------------------

    @command("NEGOTIATE")
    async def negotiate(self, request) -> dict:
        """The idle jobs of each submitter, at most ``max_per_autocluster`` per autocluster."""
        from .._autocluster import AutoClusters

        args = request.args
        significant = args.get("significant", [])
        cap = args.get("max_per_autocluster", 1000)
        if not isinstance(significant, list) or not all(isinstance(a, str) for a in significant):
            raise HTCondorValueError("significant must be a list of attribute names")
        if type(cap) is not int or cap < 1:
            raise HTCondorValueError("max_per_autocluster must be a positive integer")
        clusters = AutoClusters(significant)
        self._significant_attrs = significant
        per_submitter: dict[str, list] = {}
        taken: dict[tuple, int] = {}
        busy = self.shadows.busy
        for key, ad in self.queue.jobs.items():
            if ad.get("JobStatus") != IDLE or busy(key) or ad.get("JobUniverse", 5) in (7, 12):
                continue
            owner = ad.get("Owner")
            if not isinstance(owner, str):
                continue
            user = ad.get("User")
            name = submitter_of(ad, user if isinstance(user, str) and user else f"{owner}@{self.queue.uid_domain}")
            signature = (name, clusters.cluster_id(ad))
            if taken.get(signature, 0) >= cap:
                continue
            taken[signature] = taken.get(signature, 0) + 1
            per_submitter.setdefault(name, []).append(encode_ad(ad))
        return {"submitters": [{"name": name, "jobs": jobs} for name, jobs in sorted(per_submitter.items())]}

    @command("PERMISSION_AND_AD")
    async def permission_and_ad(self, request) -> dict:
        """Matches from the negotiator: claim each slot, then run its job on it."""
        matches = request.args.get("matches")
        if not isinstance(matches, list):
            raise HTCondorValueError("matches must be a list")
        return {"claimed": await self.shadows.claim_matches(matches)}

    # -- queries -------------------------------------------------------------------------------------

    @command("QUERY_JOB_ADS")
    async def query_job_ads(self, request) -> AsyncIterator:
        args = request.args
        tree = _parse_constraint(args.get("constraint", "true"))
        projection = _projection(args.get("projection"))
        limit = args.get("limit", -1)
        opts = args.get("opts", 0)
        if type(limit) is not int or type(opts) is not int:
            raise HTCondorValueError("limit and opts must be integers")
        server_time = bool(args.get("server_time"))
        return self._query(request.user, tree, projection, limit, opts, server_time)

    async def _query(self, user, tree, projection, limit, opts, server_time) -> AsyncIterator:
        queue = self.queue
        if opts & 3:  # QueryOpts.AutoCluster / GroupBy: one ad per group of jobs (htcondor._autocluster_query)
            for data in aggregate_reply(queue.jobs.values(), tree, projection, limit, opts, self._significant_attrs):
                yield data
            yield StreamSummary()
            return
        my_jobs_only = bool(opts & QUERY_MY_JOBS)
        counts = dict.fromkeys(("Idle", "Running", "Removed", "Completed", "Held", "Suspended",
                                "TransferringOutput"), 0)
        names = {IDLE: "Idle", RUNNING: "Running", REMOVED: "Removed", COMPLETED: "Completed", HELD: "Held",
                 SUSPENDED: "Suspended", TRANSFERRING_OUTPUT: "TransferringOutput"}
        summary_only = bool(opts & QUERY_SUMMARY_ONLY)
        if projection is not None and server_time and "servertime" not in projection:
            projection = projection + ["servertime"]
        now = int(time.time())
        sent = 0
        if opts & QUERY_INCLUDE_CLUSTER:
            for ad in list(queue.clusters.values()):
                if my_jobs_only and ad.get("Owner") != user:
                    continue
                if tree is None or is_true(tree, ad):
                    if 0 <= limit <= sent:
                        break
                    sent += 1
                    yield encode_ad(ad, projection)
            if (opts & QUERY_ONLY_CLUSTERS) == QUERY_ONLY_CLUSTERS:
                yield StreamSummary()
                return
        jobs = 0
        for _key, ad in list(queue.jobs.items()):
            if my_jobs_only and ad.get("Owner") != user:
                continue
            if tree is not None and not is_true(tree, ad):
                continue
            jobs += 1
            status = ad.get("JobStatus")
            if status in names:
                counts[names[status]] += 1
            if summary_only:
                continue
            if 0 <= limit <= sent:
                break
            sent += 1
            data = encode_ad(ad, projection)
            if server_time:
                data["ServerTime"] = now
            yield data
        if summary_only:
            summary = {"MyType": "Summary", "Jobs": jobs, **counts, "AllusersJobs": len(queue.jobs)}
            yield summary
        yield StreamSummary()

    @command("QUERY_HISTORY")
    async def query_history(self, request) -> AsyncIterator:
        """Ads of jobs that left the queue (``epochs``: of each run of a job), newest first."""
        args = request.args
        query = HistoryQuery.from_args(args)
        path = self.history.path
        if args.get("epochs"):
            # the epoch history holds EPOCH records only: another ad type finds nothing
            ad_type = args.get("ad_type")
            if ad_type is not None and not isinstance(ad_type, str):
                raise HTCondorValueError("ad_type must be a string")
            path = self.epoch_history_path if not ad_type or ad_type.upper() == "EPOCH" else ""
        return query.stream(path)

    # -- actions -------------------------------------------------------------------------------------

    @command("ACT_ON_JOBS")
    async def act_on_jobs(self, request) -> dict:
        args = request.args
        action = args.get("action")
        if type(action) is not int or action not in _ACTION_NAMES:
            raise HTCondorValueError(f"unknown job action {action!r}")
        user = request.user
        reason = args.get("reason")
        if reason is not None and not isinstance(reason, str):
            raise HTCondorValueError("reason must be a string")
        subcode = args.get("reason_subcode", 0)
        try:
            subcode = int(subcode or 0)
        except (TypeError, ValueError):
            raise HTCondorValueError(f"bad hold reason code {subcode!r}") from None
        queue = self.queue
        if "ids" in args:
            keys = [k for k in _job_ids(args["ids"]) if k[1] >= 0]
        else:
            tree = _parse_constraint(args.get("constraint", "true"))
            keys = [key for key, ad in list(queue.jobs.items()) if tree is None or is_true(tree, ad)]
        if reason:
            reason = f"{reason} (by user {user})"
        txn = queue.begin(user)
        totals = [0] * 6
        now = int(time.time())
        for key in keys:
            totals[self._act_one(txn, action, key, reason, subcode, now)] += 1
        if not txn.empty():
            self.commit(txn)
        success = totals[AR_SUCCESS]
        if action == RELEASE and success:
            self.reschedule()  # released jobs are idle again: match them now, not at the next cycle
        return {"result_totals": totals, "ActionResult": 1 if success else 0, "TotalJobAds": len(queue.jobs),
                "JobAction": action, "IsQueueSuperUser": queue.is_super_user(user)}

    def _act_one(self, txn: QueueTransaction, action: int, key: tuple[int, int], reason: str | None,
                 subcode: int, now: int) -> int:
        queue = self.queue
        ad = queue.jobs.get(key)
        if ad is None:
            return AR_NOT_FOUND
        if not queue.may_modify(txn.user, ad):
            return AR_PERMISSION_DENIED
        status = ad.get("JobStatus")
        if action == CONTINUE:
            if status != SUSPENDED:
                return AR_BAD_STATUS
            return AR_SUCCESS if self.shadows.signal(key, "CONTINUE_CLAIM") else AR_BAD_STATUS
        if action == SUSPEND:
            if status != RUNNING:
                return AR_BAD_STATUS
            return AR_SUCCESS if self.shadows.signal(key, "SUSPEND_CLAIM") else AR_BAD_STATUS
        if action in (VACATE, VACATE_FAST):
            if status not in (RUNNING, SUSPENDED, TRANSFERRING_OUTPUT):
                return AR_BAD_STATUS
            return AR_SUCCESS if self.shadows.stop(key, "vacate", fast=action == VACATE_FAST) else AR_BAD_STATUS
        if action == RELEASE:
            if status != HELD or ad.get("HoldReasonCode") == HOLD_SPOOLING_INPUT:
                return AR_BAD_STATUS
            self.release(txn, key, reason, now)
            return AR_SUCCESS
        if action == REMOVE:
            if status == REMOVED:
                return AR_ALREADY_DONE
            self.remove(txn, key, reason, now)
            return AR_SUCCESS
        if action == REMOVE_X:
            if status != REMOVED and not (status == HELD and ad.get("JobStatusOnRelease") == REMOVED):
                return AR_BAD_STATUS
            self.remove(txn, key, reason, now, force=True)
            return AR_SUCCESS
        # HOLD
        if status == HELD and ad.get("HoldReasonCode") in (HOLD_USER_REQUEST, HOLD_SPOOLING_INPUT):
            return AR_ALREADY_DONE
        if status in (REMOVED, COMPLETED):
            return AR_PERMISSION_DENIED
        self.hold(txn, key, reason or "", HOLD_USER_REQUEST, subcode, now)
        return AR_SUCCESS

    def hold(self, txn: QueueTransaction, key, reason: str, code: int, subcode: int, now: int,
             event: bool = True) -> None:
        """Stage putting a job on hold, and its JOB_HELD event (unless the starter wrote it: ``event=False``)."""
        queue = self.queue
        release_reason = queue.lookup(txn, key, "ReleaseReason")
        if isinstance(release_reason, str):
            queue.stage_set(txn, key, "LastReleaseReason", _Literal(release_reason))
            queue.stage_delete(txn, key, "ReleaseReason")
        queue.stage_set(txn, key, "HoldReason", _Literal(reason))
        queue.stage_set(txn, key, "HoldReasonCode", _Literal(code))
        queue.stage_set(txn, key, "HoldReasonSubCode", _Literal(subcode))
        queue.set_status(txn, key, HELD, now)
        queue.stage_set(txn, key, "LastSuspensionTime", _Literal(0))
        num_holds = queue.lookup(txn, key, "NumHolds")
        queue.stage_set(txn, key, "NumHolds", _Literal((num_holds if isinstance(num_holds, int) else 0) + 1))
        if event:
            txn.events.append((EV_HELD, key[0], key[1],
                           {"HoldReason": reason, "HoldReasonCode": code, "HoldReasonSubCode": subcode}))

    def release(self, txn: QueueTransaction, key, reason: str | None, now: int) -> None:
        """Stage releasing a held job (back to ``JobStatusOnRelease``, else idle), and its JOB_RELEASED event."""
        queue = self.queue
        on_release = queue.lookup(txn, key, "JobStatusOnRelease")
        queue.set_status(txn, key, on_release if isinstance(on_release, int) else IDLE, now)
        if reason:
            queue.stage_set(txn, key, "ReleaseReason", _Literal(reason))
        queue.stage_delete(txn, key, "JobStatusOnRelease")
        self._move_hold_attrs(txn, key)
        txn.events.append((EV_RELEASED, key[0], key[1], {"Reason": reason or ""}))

    def _move_hold_attrs(self, txn: QueueTransaction, key) -> None:
        queue = self.queue
        for old, new in (("HoldReason", "LastHoldReason"), ("HoldReasonCode", "LastHoldReasonCode"),
                         ("HoldReasonSubCode", "LastHoldReasonSubCode")):
            value = queue.lookup(txn, key, old)
            if value is None:
                continue
            queue.stage_set(txn, key, new, _Literal(value))
            queue.stage_delete(txn, key, old)

    def remove(self, txn: QueueTransaction, key, reason: str | None, now: int, force: bool = False) -> None:
        """Stage removing a job: ``JobStatus`` 3, then out of the queue into the history, and JOB_ABORTED."""
        queue = self.queue
        queue.set_status(txn, key, REMOVED, now)
        if reason:
            queue.stage_set(txn, key, "RemoveReason", _Literal(reason))
        self._move_hold_attrs(txn, key)
        queue.stage_delete(txn, key, "JobStatusOnRelease")
        if key not in self.shadows.running or force:
            queue.destroy(txn, key)  # else it leaves when its shadow reports the job stopped
        txn.events.append((EV_ABORTED, key[0], key[1], {"Reason": reason or ""}))
        others = queue.lookup(txn, key, "OtherJobRemoveRequirements")
        if isinstance(others, str) and others.strip():
            self._remove_others(txn, key, others, now)

    def _remove_others(self, txn: QueueTransaction, key, constraint: str, now: int) -> None:
        """Remove the jobs a removed job names in ``OtherJobRemoveRequirements`` (DAGMan's node jobs)."""
        try:
            tree = classad.ExprTree(constraint)
        except Exception:
            self.log.write(f"job {key[0]}.{key[1]}: bad OtherJobRemoveRequirements {constraint!r}")
            return
        reason = (f"removed because <OtherJobRemoveRequirements = {constraint}> fired when job "
                  f"({key[0]}.{key[1]}) was removed")
        for other, ad in list(self.queue.jobs.items()):
            if other == key or other in txn.destroyed or self.queue.lookup(txn, other, "JobStatus") == REMOVED:
                continue
            if is_true(tree, ad):
                self.remove(txn, other, reason, now)

    # -- spooled jobs (see _spool) -------------------------------------------------------------------

    def _spooling_job(self, request, job_id) -> tuple[tuple[int, int], classad.ClassAd]:
        (key,) = _job_ids([job_id]) if isinstance(job_id, str) else (None,)
        ad = self.queue.jobs.get(key) if key is not None else None
        if ad is None:
            raise HTCondorIOError(f"no job {job_id!r} in the queue")
        if not self.queue.may_modify(request.user, ad):
            raise HTCondorIOError(f"permission denied: job {job_id} belongs to {ad.get('Owner')}")
        if ad.get("JobStatus") != HELD or ad.get("HoldReasonCode") != HOLD_SPOOLING_INPUT:
            raise HTCondorIOError(f"job {job_id} is not waiting for its input files to be spooled")
        return key, ad

    @command("SPOOL_FILE")
    async def spool_file(self, request) -> dict:
        """One chunk of one input file of a job held for spooling."""
        args = request.args
        key, _ = self._spooling_job(request, args.get("id"))
        written = _spool.write_chunk(_spool.spool_directory(self.spool, *key), args.get("name"), args.get("data"),
                                     args.get("offset"))
        return {"written": written}

    @command("SPOOL_DONE")
    async def spool_done(self, request) -> dict:
        """The input of these jobs is spooled: make them run from the spool, and release them."""
        ids = request.args.get("ids")
        if not isinstance(ids, list):
            raise HTCondorValueError("ids must be a list of job ids")
        jobs = [self._spooling_job(request, job_id) for job_id in ids]
        txn = self.queue.begin(request.user)
        now = int(time.time())
        for key, ad in jobs:
            directory = _spool.spool_directory(self.spool, *key)
            os.makedirs(directory, exist_ok=True)
            _spool.rewrite_for_spool(self.queue, txn, key, ad, directory)
            self.queue.stage_set(txn, key, "StageInStart", _Literal(now))
            self.queue.stage_set(txn, key, "StageInFinish", _Literal(now))
            for name in ("HoldReason", "HoldReasonCode", "HoldReasonSubCode"):
                self.queue.stage_delete(txn, key, name)
            self.queue.set_status(txn, key, IDLE, now)
        if jobs:
            self.commit(txn)
            self.reschedule()
        return {"released": len(jobs)}

    @command("RETRIEVE_FILES")
    async def retrieve_files(self, request) -> dict:
        """Send the outputs of spooled jobs, chunk by chunk, each as a message; the reply counts them."""
        args = request.args
        if "ids" in args:
            keys = [k for k in _job_ids(args["ids"])]
            ads = [(k, self.queue.jobs[k]) for k in keys if k in self.queue.jobs]
        else:
            tree = _parse_constraint(args.get("constraint", "true"))
            ads = [(k, ad) for k, ad in list(self.queue.jobs.items()) if tree is None or is_true(tree, ad)]
        ads = [(k, ad) for k, ad in ads if "SpooledInputFiles" in ad and self.queue.may_modify(request.user, ad)]
        connection = request.connection
        files = 0
        now = int(time.time())
        for key, ad in ads:
            iwd = ad.get("SUBMIT_Iwd")
            for name, target in _spool.output_files(ad):
                offset = 0
                for chunk in _spool.read_chunks(os.path.join(str(ad.get("Iwd")), name)):
                    await connection.send({"file": {"id": f"{key[0]}.{key[1]}", "iwd": iwd, "name": target,
                                                    "offset": offset, "data": chunk}})
                    offset += len(chunk) * 3 // 4 - chunk.count("=")
                files += 1
        if ads:
            txn = self.queue.begin("condor")
            for key, _ad in ads:
                if key in self.queue.jobs:
                    self.queue.stage_set(txn, key, "StageOutStart", _Literal(now))
                    self.queue.stage_set(txn, key, "StageOutFinish", _Literal(int(time.time())))
            if not txn.empty():
                self.commit(txn)
        return {"end": True, "jobs": len(ads), "files": files}

    # -- user records (see _user_records) ------------------------------------------------------------

    def _check_admin(self, request) -> None:
        # managing user records takes HTCondor's ADMINISTRATOR level: here a queue super user,
        # or the user the schedd runs as (the owner of a personal pool)
        if not (self.queue.is_super_user(request.user) or request.user == self.daemon_user):
            raise HTCondorIOError("Permission denied: only an administrator may change user records")

    @property
    def daemon_user(self) -> str:
        import getpass

        return getpass.getuser()

    def _named_users(self, args) -> list[str]:
        if "constraint" in args:
            tree = _parse_constraint(args.get("constraint"))
            return [user for user in self.users.records
                    if tree is None or is_true(tree, self.users.ad(user, ()))]
        users = args.get("users")
        if not isinstance(users, list) or not all(isinstance(u, str) and u for u in users):
            raise HTCondorValueError("users must be a list of user names")
        return users

    @command("QUERY_USER_ADS")
    async def query_user_ads(self, request) -> AsyncIterator:
        args = request.args
        tree = _parse_constraint(args.get("constraint", "true"))
        projection = _projection(args.get("projection"))
        limit = args.get("limit", -1)
        if type(limit) is not int:
            raise HTCondorValueError("limit must be an integer")
        jobs = list(self.queue.jobs.values())

        async def ads():
            sent = 0
            for user in sorted(self.users.records):
                if 0 <= limit <= sent:
                    break
                ad = self.users.ad(user, jobs)
                if tree is None or is_true(tree, ad):
                    sent += 1
                    yield encode_ad(ad, projection)
        return ads()

    @command("ENABLE_USERS")
    async def enable_users(self, request) -> dict:
        self._check_admin(request)
        count, result = self.users.enable(self._named_users(request.args), bool(request.args.get("add")))
        return {"NumAds": count, "Result": result, **({"ErrorString": "No such user"} if result == 2 else {})}

    @command("DISABLE_USERS")
    async def disable_users(self, request) -> dict:
        self._check_admin(request)
        reason = request.args.get("reason")
        if reason is not None and not isinstance(reason, str):
            raise HTCondorValueError("reason must be a string")
        count, result = self.users.disable(self._named_users(request.args), reason)
        return {"NumAds": count, "Result": result, **({"ErrorString": "No such user"} if result == 2 else {})}

    # -- periodic policy -----------------------------------------------------------------------------

    async def periodic(self, keys: set | None = None) -> None:
        """Evaluate PeriodicHold / PeriodicRelease / PeriodicRemove of every job, or of ``keys`` (HTCondor's order)."""
        queue = self.queue
        txn = queue.begin("condor")
        now = int(time.time())
        if keys is None:
            items = list(queue.jobs.items())
        else:
            items = [(key, queue.jobs[key]) for key in keys if key in queue.jobs]
        for key, ad in items:
            status = ad.get("JobStatus")
            if status in (REMOVED, COMPLETED):
                continue
            checks = (("PeriodicRelease",),) if status == HELD else (("PeriodicHold",),)
            for (name,) in checks + (("PeriodicRemove",),):
                expr = ad.lookup(name) if name in ad else None
                if expr is None:
                    continue
                try:
                    value = expr.eval(ad)
                except Exception:
                    continue
                if not (value is True or (type(value) in (int, float) and value != 0)):
                    continue
                text = str(expr) if not hasattr(expr, "_node") else _unparsed(expr)
                if name == "PeriodicHold":
                    why = ad.get("PeriodicHoldReason")
                    sub = ad.get("PeriodicHoldSubCode")
                    reason = why if isinstance(why, str) and why else \
                        f"The job attribute PeriodicHold expression '{text}' evaluated to TRUE"
                    self.hold(txn, key, reason, HOLD_JOB_POLICY, sub if isinstance(sub, int) else 0, now)
                elif name == "PeriodicRelease":
                    self.release(txn, key, f"The job attribute PeriodicRelease expression '{text}' evaluated to TRUE",
                                 now)
                else:
                    self.remove(txn, key, f"The job attribute PeriodicRemove expression '{text}' evaluated to TRUE",
                                now)
                break
        if not txn.empty():
            self.commit(txn)

    async def compact(self) -> None:
        if self.queue.maybe_compact(64 * 1024 * 1024):
            self.log.write("compacted the job queue log")

    # -- ads -------------------------------------------------------------------------------------------

    def counts(self) -> tuple[dict, dict]:
        """Job counts for the schedd ad, and per owner."""
        total = dict.fromkeys((IDLE, RUNNING, REMOVED, COMPLETED, HELD, SUSPENDED, TRANSFERRING_OUTPUT), 0)
        owners: dict[str, dict] = {}
        for ad in self.queue.jobs.values():
            status = ad.get("JobStatus")
            if status in total:
                total[status] += 1
            owner = ad.get("Owner")
            if isinstance(owner, str):
                per = owners.setdefault(owner, dict.fromkeys((IDLE, RUNNING, HELD), 0))
                if status in per:
                    per[status] += 1
        return total, owners

    def schedd_ad(self, total: dict, owners: dict) -> dict:
        ad = self.daemon_ad_base("Scheduler", self.name)
        ad.update({
            "ScheddIpAddr": str(self.address),
            "TotalIdleJobs": total[IDLE],
            "TotalRunningJobs": total[RUNNING],
            "TotalHeldJobs": total[HELD],
            "TotalRemovedJobs": total[REMOVED],
            "TotalSuspendedJobs": total[SUSPENDED],
            "TotalJobAds": len(self.queue.jobs),
            "TotalLocalJobsIdle": 0,
            "TotalLocalJobsRunning": 0,
            "TotalSchedulerJobsIdle": 0,
            "TotalSchedulerJobsRunning": 0,
            "TotalFlockedJobs": 0,
            "NumUsers": len(owners),
            "MaxJobsRunning": int(self.param("MAX_JOBS_RUNNING", 10000) or 10000),
            "UpdateInterval": int(self._interval("SCHEDD_INTERVAL", 300)),
            "UidDomain": self.queue.uid_domain,
        })
        return ad

    def submitter_ads(self, owners: dict) -> list[dict]:
        ads = []
        for owner, per in sorted(owners.items()):
            name = f"{owner}@{self.queue.uid_domain}"
            ad = self.daemon_ad_base("Submitter", name)
            ad.update({"ScheddName": self.name, "Owner": owner, "SubmitterTag": "", "IdleJobs": per[IDLE],
                       "RunningJobs": per[RUNNING], "HeldJobs": per[HELD], "WeightedIdleJobs": per[IDLE],
                       "WeightedRunningJobs": per[RUNNING], "LocalJobsIdle": 0, "LocalJobsRunning": 0,
                       "SchedulerJobsIdle": 0, "SchedulerJobsRunning": 0})
            ads.append(ad)
        return ads

    async def advertise(self) -> None:
        """Send the Scheduler ad and the Submitter ads to the collector (a failure is logged)."""
        address = self.collector_address()
        if address is None:
            return
        total, owners = self.counts()
        try:
            await call_daemon(address, "UPDATE_SCHEDD_AD", {"ad": self.schedd_ad(total, owners)}, timeout=5)
            submitters = self.submitter_ads(owners)
            if submitters:
                await call_daemon(address, "UPDATE_SUBMITTOR_AD", {"ads": submitters}, timeout=5)
        except Exception as e:
            self.log.write(f"failed to send ads to the collector at {address}: {e}")

    async def invalidate(self) -> None:
        address = self.collector_address()
        if address is None:
            return
        try:
            await call_daemon(address, "INVALIDATE_SCHEDD_ADS", {"name": self.name}, timeout=2)
            await call_daemon(address, "INVALIDATE_SUBMITTOR_ADS",
                              {"constraint": f"ScheddName == {classad.quote(self.name)}"}, timeout=2)
        except Exception:
            pass  # the collector may be gone already; the ad expires anyway


def _unparsed(expr) -> str:
    from classad._unparse import unparse_expr

    return unparse_expr(expr._node)


if __name__ == "__main__":
    daemon_main(Schedd)
