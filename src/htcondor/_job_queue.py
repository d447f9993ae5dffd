"""The schedd's job queue in memory, made durable by the job queue log.

The queue holds a *cluster ad* per cluster (key ``C.-1``) and a *proc ad*
per job (``C.P``) with only what differs from its cluster; clients see each
job as its proc ad merged over its cluster ad, as HTCondor's chained ads
look.  The merged ads are kept ready (:attr:`JobQueue.jobs`), so a query
evaluates its constraint without building anything.

Every change goes through a :class:`QueueTransaction`: it is staged there,
invisible to queries, until :meth:`JobQueue.commit` writes it to the store
in one durable transaction and applies it in memory.  A transaction that
is dropped (aborted, or its client connection gone) leaves no trace.

The store is reached through :class:`QueueStore`, a small adapter over
:class:`htcondor._job_queue_log.JobQueueLog` (HTCondor's ``job_queue.log``
format), so a change of the log's API costs one class.

>>> import os, tempfile, classad
>>> queue = JobQueue(os.path.join(tempfile.mkdtemp(), "job_queue.log"), fsync=False)
>>> txn = queue.begin("alice")
>>> cluster = queue.new_cluster(txn)
>>> queue.submit_procs(txn, cluster, classad.ClassAd({"Cmd": "/bin/true"}), [classad.ClassAd()] * 2, now=1)
(0, 2)
>>> len(queue.jobs)
0
>>> _ = queue.commit(txn)
>>> sorted(queue.jobs), queue.jobs[(1, 1)]["Owner"], queue.jobs[(1, 1)]["Cmd"]
([(1, 0), (1, 1)], 'alice', '/bin/true')
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import classad
from classad._classad import ClassAd as _ClassAd
from classad._nodes import Literal as _Literal
from classad._unparse import unparse_expr as _unparse_expr

from ._errors import HTCondorIOError, HTCondorValueError
from ._job_queue_log import HEADER_KEY, JobQueueLog, job_key, parse_job_key

__all__ = ["JobQueue", "QueueTransaction", "QueueStore", "IDLE", "RUNNING", "REMOVED", "COMPLETED", "HELD",
           "TRANSFERRING_OUTPUT", "SUSPENDED", "IMMUTABLE_ATTRS", "SECURE_ATTRS", "node_text", "is_true"]

IDLE, RUNNING, REMOVED, COMPLETED, HELD, TRANSFERRING_OUTPUT, SUSPENDED = 1, 2, 3, 4, 5, 6, 7

# What HTCondor's schedd refuses to let clients change once a job is committed
# (SYSTEM_IMMUTABLE_JOB_ATTRS) and at all (SYSTEM_SECURE_JOB_ATTRS).
IMMUTABLE_ATTRS = frozenset(a.lower() for a in "Owner ClusterId JobUniverse ProcId MyType TargetType User".split())
SECURE_ATTRS = frozenset(a.lower() for a in (
    "x509userProxySubject x509UserProxyEmail x509UserProxyVOName x509UserProxyFirstFQAN x509UserProxyFQAN "
    "TotalSubmitProcs AuthTokenSubject AuthTokenIssuer AuthTokenGroups AuthTokenId AuthTokenScopes").split())


def node_text(node) -> str:
    """The old-syntax text of an expression node, as the job queue log stores it."""
    if type(node) is _Literal:
        value = node.value
        t = type(value)
        if t is int:
            return str(value)
        if t is bool:
            return "true" if value else "false"
        if t is str and '"' not in value and "\\" not in value and "\n" not in value:
            return f'"{value}"'
    return _unparse_expr(node, old=True)


def is_true(tree: classad.ExprTree, ad: classad.ClassAd) -> bool:
    """Whether a constraint holds for an ad, as HTCondor's EvalBool sees it (non-zero numbers are true)."""
    try:
        value = tree.eval(ad)
    except Exception:
        return False
    if value is True:
        return True
    return type(value) in (int, float) and value != 0


def _literal(value) -> _Literal:
    return _Literal(value)


class QueueStore:
    """The durable store of the queue: an adapter over the job queue log.

    :param path: the log file (``$(JOB_QUEUE_LOG)``, by default ``$(SPOOL)/job_queue.log``).
    :param fsync: whether each commit waits for the disk.
    """

    def __init__(self, path: str, fsync: bool = True) -> None:
        self._log = JobQueueLog(path, fsync=fsync)

    def items(self) -> Iterator[tuple[str, classad.ClassAd]]:
        """``(key, ad)`` for every committed ad, the ads parsed."""
        for key, stored in list(self._log.items()):
            yield key, stored.to_classad()

    def write(self, records: list[tuple], durable: bool = True, comment: str | None = None) -> None:
        """Write a list of changes as one transaction.

        Records are ``("new", key)``, ``("set", key, {name: text})``,
        ``("delete", key, name)`` and ``("destroy", key)``.
        """
        log = self._log
        log.begin()
        try:
            for record in records:
                op = record[0]
                if op == "set":
                    log.set_attrs(record[1], record[2])
                elif op == "new":
                    log.new_ad(record[1], "Job")
                elif op == "destroy":
                    log.destroy_ad(record[1])
                elif op == "delete":
                    log.delete_attr(record[1], record[2])
                elif op == "header":
                    if not log.exists_in_transaction(HEADER_KEY):
                        log.new_ad(HEADER_KEY, "", "")
                    log.set_attrs(HEADER_KEY, record[1])
        except BaseException:
            log.abort()
            raise
        log.commit(comment, durable=durable)

    def header(self) -> dict:
        ad = self._log.get(HEADER_KEY)
        return dict(ad) if ad is not None else {}

    @property
    def size(self) -> int:
        return self._log.size

    def compact(self) -> None:
        self._log.compact()

    def close(self) -> None:
        self._log.close()


class QueueTransaction:
    """Changes staged by one client (or by the schedd itself) until commit.

    :ivar user: who makes the changes (the authenticated user).
    :ivar events: ``(event type, cluster, proc, fields)`` to write to the user logs after commit.
    :ivar removed: job ids that left the queue with this transaction (their final ads are in :attr:`final_ads`).
    """

    def __init__(self, user: str, flags: int = 0) -> None:
        self.user = user
        self.flags = flags
        self.clusters: dict[int, classad.ClassAd] = {}
        self.procs: dict[tuple[int, int], classad.ClassAd] = {}
        self.next_proc: dict[int, int] = {}
        self.edits: dict[tuple[int, int], dict[str, tuple[str, object]]] = {}
        self.destroyed: list[tuple[int, int]] = []
        self.events: list[tuple] = []
        self.final_ads: list[classad.ClassAd] = []

    def empty(self) -> bool:
        return not (self.clusters or self.procs or self.edits or self.destroyed)


class JobQueue:
    """The job queue: committed ads in memory, changes through transactions.

    :param path: the job queue log.
    :param fsync: whether commits wait for the disk.
    :param super_users: users who may change every job (``QUEUE_SUPER_USERS``).
    :param uid_domain: for the ``User`` attribute (``owner@UID_DOMAIN``).
    """

    def __init__(self, path: str, fsync: bool = True, super_users=("root", "condor"),
                 uid_domain: str = "localhost", schedd_name: str = "localhost") -> None:
        self.store = QueueStore(path, fsync=fsync)
        self.super_users = set(super_users)
        self.uid_domain = uid_domain
        self.schedd_name = schedd_name
        self.clusters: dict[int, classad.ClassAd] = {}
        self.procs: dict[tuple[int, int], classad.ClassAd] = {}
        self.jobs: dict[tuple[int, int], classad.ClassAd] = {}
        self.cluster_procs: dict[int, set[int]] = {}
        self.next_cluster = 1
        self._load()

    # -- loading ---------------------------------------------------------------------------------

    def _load(self) -> None:
        header = self.store.header()
        try:
            self.next_cluster = max(1, int(header.get("NextClusterNum", "1")))
        except ValueError:
            self.next_cluster = 1
        for key, ad in self.store.items():
            if key == HEADER_KEY:
                continue
            try:
                cluster, proc = parse_job_key(key)
            except ValueError:
                continue
            if proc < 0:
                self.clusters[cluster] = ad
            else:
                self.procs[(cluster, proc)] = ad
            self.next_cluster = max(self.next_cluster, cluster + 1)
        for (cluster, proc), ad in self.procs.items():
            self.cluster_procs.setdefault(cluster, set()).add(proc)
            self.jobs[(cluster, proc)] = self._merge(cluster, ad)

    def _merge(self, cluster: int, proc_ad: classad.ClassAd) -> classad.ClassAd:
        base = self.clusters.get(cluster)
        if base is None:
            return _ClassAd._from_attrs(dict(proc_ad._attrs))
        attrs = dict(base._attrs)
        attrs.update(proc_ad._attrs)
        return _ClassAd._from_attrs(attrs)

    # -- authorization -----------------------------------------------------------------------------

    def is_super_user(self, user: str) -> bool:
        return user in self.super_users

    def may_modify(self, user: str, ad: classad.ClassAd) -> bool:
        """Whether ``user`` may act on or edit the job ``ad`` (its owner, or a queue super user)."""
        return user in self.super_users or ad.get("Owner") == user

    # -- transactions ------------------------------------------------------------------------------

    def begin(self, user: str, flags: int = 0) -> QueueTransaction:
        return QueueTransaction(user, flags)

    def new_cluster(self, txn: QueueTransaction) -> int:
        """A new cluster id for the transaction (used up even if the transaction aborts)."""
        cluster = self.next_cluster
        self.next_cluster += 1
        txn.next_proc[cluster] = 0
        return cluster

    def submit_procs(self, txn: QueueTransaction, cluster: int, cluster_ad: classad.ClassAd | None,
                     proc_ads: list[classad.ClassAd], now: float | None = None) -> tuple[int, int]:
        """Stage a cluster ad (first call for a cluster) and proc ads; return ``(first proc id, count)``.

        The schedd sets what a client may not choose: ``ClusterId``,
        ``ProcId``, ``Owner`` (the transaction's user), ``User``, and
        ``QDate``/``EnteredCurrentStatus`` when missing.

        :raises HTCondorValueError: the cluster was not made by this transaction, or has no cluster ad.
        """
        if cluster not in txn.next_proc:
            raise HTCondorValueError(f"cluster {cluster} was not created in this transaction")
        now = int(time.time() if now is None else now)
        user = txn.user
        if cluster_ad is not None:
            ad = _ClassAd._from_attrs(dict(cluster_ad._attrs))
            ad._attrs.pop("procid", None)
            attrs = ad._attrs
            attrs["clusterid"] = ("ClusterId", _literal(cluster))
            attrs["owner"] = ("Owner", _literal(user))
            attrs["user"] = ("User", _literal(f"{user}@{self.uid_domain}"))
            qdate = attrs.get("qdate")
            if qdate is None or (type(qdate[1]) is _Literal and qdate[1].value in (0, 0.0)):
                attrs["qdate"] = ("QDate", _literal(now))
            if "jobstatus" not in attrs:
                attrs["jobstatus"] = ("JobStatus", _literal(IDLE))
            if "enteredcurrentstatus" not in attrs:
                attrs["enteredcurrentstatus"] = ("EnteredCurrentStatus", attrs["qdate"][1])
            txn.clusters[cluster] = ad
        elif cluster not in txn.clusters:
            raise HTCondorValueError(f"cluster {cluster} has no cluster ad")
        first = txn.next_proc[cluster]
        proc = first
        procs = txn.procs
        for source in proc_ads:
            attrs = dict(source._attrs)
            attrs["clusterid"] = ("ClusterId", _literal(cluster))
            attrs["procid"] = ("ProcId", _literal(proc))
            for name in ("owner", "user"):
                attrs.pop(name, None)
            attrs["globaljobid"] = ("GlobalJobId", _literal(f"{self.schedd_name}#{cluster}.{proc}#{now}"))
            procs[(cluster, proc)] = _ClassAd._from_attrs(attrs)
            proc += 1
        txn.next_proc[cluster] = proc
        return first, proc - first

    # -- reading as a transaction sees ---------------------------------------------------------------

    def lookup(self, txn: QueueTransaction | None, key: tuple[int, int], name: str):
        """Attribute ``name`` of job (or cluster, proc -1) ``key`` as ``txn`` sees it; None when absent."""
        low = name.lower()
        if txn is not None:
            edits = txn.edits.get(key)
            if edits and low in edits:
                return _value_of(edits[low][1]) if edits[low][1] is not None else None
            cluster, proc = key
            if proc >= 0 and key in txn.procs:
                entry = txn.procs[key]._attrs.get(low)
                if entry is not None:
                    return _value_of(entry[1])
                cedits = txn.edits.get((cluster, -1))
                if cedits and low in cedits:
                    return _value_of(cedits[low][1]) if cedits[low][1] is not None else None
                cad = txn.clusters.get(cluster) or self.clusters.get(cluster)
                entry = cad._attrs.get(low) if cad is not None else None
                return _value_of(entry[1]) if entry is not None else None
            if proc >= 0:
                cedits = txn.edits.get((cluster, -1))
                own = self.procs.get(key)
                if cedits and low in cedits and (own is None or low not in own._attrs):
                    return _value_of(cedits[low][1]) if cedits[low][1] is not None else None
        ad = self._committed(key, txn)
        if ad is None:
            return None
        entry = ad._attrs.get(low)
        return _value_of(entry[1]) if entry is not None else None

    def _committed(self, key: tuple[int, int], txn: QueueTransaction | None = None):
        cluster, proc = key
        if proc < 0:
            if txn is not None and cluster in txn.clusters:
                return txn.clusters[cluster]
            return self.clusters.get(cluster)
        return self.jobs.get(key)

    def exists(self, txn: QueueTransaction | None, key: tuple[int, int]) -> bool:
        if txn is not None:
            if key in txn.destroyed:
                return False
            if key in txn.procs or (key[1] < 0 and key[0] in txn.clusters):
                return True
        return self._committed(key) is not None

    # -- edits -----------------------------------------------------------------------------------

    def check_edit(self, txn: QueueTransaction, key: tuple[int, int], name: str) -> str | None:
        """Why ``txn.user`` may not set ``name`` of ``key``, or None when allowed (HTCondor's rules)."""
        low = name.lower()
        cluster, proc = key
        if low in SECURE_ATTRS:
            return f"Attempt to edit secure attribute {name} in job {cluster}.{proc}. Failing!"
        committed = self._committed(key)
        if committed is None:
            if key in txn.procs or (proc < 0 and cluster in txn.clusters):
                return None  # made by this transaction: the submitter fills it in
            return f"Job {cluster}.{proc} does not exist"
        if not self.may_modify(txn.user, committed):
            return f"User {txn.user} may not change attributes for jobs they do not own (job {cluster}.{proc})"
        if low in IMMUTABLE_ATTRS:
            return f"Attempt to edit immutable attribute {name} in job {cluster}.{proc}"
        return None

    def stage_set(self, txn: QueueTransaction, key: tuple[int, int], name: str, node) -> None:
        """Stage ``name = node`` on job (or cluster) ``key`` without checks (the schedd's own changes)."""
        new = txn.procs.get(key) if key[1] >= 0 else txn.clusters.get(key[0])
        if new is not None:
            new._attrs[name.lower()] = (name, node)
            return
        txn.edits.setdefault(key, {})[name.lower()] = (name, node)

    def stage_delete(self, txn: QueueTransaction, key: tuple[int, int], name: str) -> None:
        """Stage the deletion of attribute ``name`` of job (or cluster) ``key``."""
        new = txn.procs.get(key) if key[1] >= 0 else txn.clusters.get(key[0])
        if new is not None:
            new._attrs.pop(name.lower(), None)
            return
        txn.edits.setdefault(key, {})[name.lower()] = (name, None)

    def set_status(self, txn: QueueTransaction, key: tuple[int, int], status: int, now: int) -> None:
        """Stage a change of ``JobStatus``, with ``LastJobStatus`` and ``EnteredCurrentStatus``."""
        old = self.lookup(txn, key, "JobStatus")
        self.stage_set(txn, key, "JobStatus", _literal(status))
        if isinstance(old, int) and old != status:
            self.stage_set(txn, key, "LastJobStatus", _literal(old))
        self.stage_set(txn, key, "EnteredCurrentStatus", _literal(now))

    def destroy(self, txn: QueueTransaction, key: tuple[int, int]) -> None:
        """Stage the removal of a job from the queue (its cluster goes with its last job)."""
        if key not in txn.destroyed:
            txn.destroyed.append(key)

    # -- commit ----------------------------------------------------------------------------------

    def commit(self, txn: QueueTransaction, durable: bool = True) -> QueueTransaction:
        """Write the transaction to the store and apply it; return it (its events and final ads filled).

        :raises HTCondorIOError: the store could not be written (nothing is applied).
        """
        records: list[tuple] = []
        for cluster, ad in txn.clusters.items():
            # the schedd counts the procs of a new cluster (a secure attribute: clients cannot set it)
            ad._attrs["totalsubmitprocs"] = ("TotalSubmitProcs", _literal(txn.next_proc.get(cluster, 0)))
            key = job_key(cluster, -1)
            records.append(("new", key))
            records.append(("set", key, {name: node_text(node) for name, node in ad._attrs.values()}))
        for (cluster, proc), ad in txn.procs.items():
            key = job_key(cluster, proc)
            records.append(("new", key))
            records.append(("set", key, {name: node_text(node) for name, node in ad._attrs.values()}))
        for (cluster, proc), changes in txn.edits.items():
            if (cluster, proc) in txn.destroyed:
                continue
            if not self.exists(None, (cluster, proc)):
                continue
            sets = {name: node_text(node) for name, node in changes.values() if node is not None}
            if sets:
                records.append(("set", job_key(cluster, proc), sets))
            for name, node in changes.values():
                if node is None:
                    records.append(("delete", job_key(cluster, proc), name))
        # jobs leaving the queue, and clusters whose last job leaves
        gone_clusters = []
        final_ads = []
        leaving: dict[int, int] = {}
        for cluster, proc in txn.destroyed:
            if (cluster, proc) in self.jobs:
                final_ads.append(self._final_ad(txn, (cluster, proc)))
                records.append(("destroy", job_key(cluster, proc)))
                leaving[cluster] = leaving.get(cluster, 0) + 1
        for cluster, count in leaving.items():
            if count >= len(self.cluster_procs.get(cluster, ())) and cluster in self.clusters:
                records.append(("destroy", job_key(cluster, -1)))
                gone_clusters.append(cluster)
        if txn.clusters:
            records.append(("header", {"NextClusterNum": str(self.next_cluster)}))
        if records:
            try:
                self.store.write(records, durable=durable and not (txn.flags & 1))
            except (OSError, ValueError, KeyError) as e:
                raise HTCondorIOError(f"Failed to commit the transaction: {e}") from None
        self._apply(txn, gone_clusters)
        txn.final_ads = final_ads
        return txn

    def _final_ad(self, txn: QueueTransaction, key: tuple[int, int]) -> classad.ClassAd:
        ad = _ClassAd._from_attrs(dict(self.jobs[key]._attrs))
        for cedits in (txn.edits.get((key[0], -1)), txn.edits.get(key)):
            if cedits:
                for low, entry in cedits.items():
                    if entry[1] is None:
                        ad._attrs.pop(low, None)
                    else:
                        ad._attrs[low] = entry
        return ad

    def _apply(self, txn: QueueTransaction, gone_clusters: list[int]) -> None:
        for cluster, ad in txn.clusters.items():
            self.clusters[cluster] = ad
        for key, ad in txn.procs.items():
            cluster, proc = key
            self.procs[key] = ad
            self.cluster_procs.setdefault(cluster, set()).add(proc)
            self.jobs[key] = self._merge(cluster, ad)
        for key, changes in txn.edits.items():
            cluster, proc = key
            if proc < 0:
                base = self.clusters.get(cluster)
                if base is None:
                    continue
                _update(base._attrs, changes)
                for p in self.cluster_procs.get(cluster, ()):
                    own = self.procs[(cluster, p)]._attrs
                    merged = self.jobs[(cluster, p)]._attrs
                    for low, entry in changes.items():
                        if low not in own:
                            if entry[1] is None:
                                merged.pop(low, None)
                            else:
                                merged[low] = entry
            else:
                own = self.procs.get(key)
                if own is None:
                    continue
                _update(own._attrs, changes)
                merged = self.jobs[key]._attrs
                base = self.clusters.get(cluster)
                for low, entry in changes.items():
                    if entry[1] is not None:
                        merged[low] = entry
                    elif base is not None and low in base._attrs:
                        merged[low] = base._attrs[low]
                    else:
                        merged.pop(low, None)
        for key in txn.destroyed:
            if key in self.jobs:
                del self.jobs[key]
                del self.procs[key]
                procs = self.cluster_procs.get(key[0])
                if procs is not None:
                    procs.discard(key[1])
        for cluster in gone_clusters:
            self.clusters.pop(cluster, None)
            self.cluster_procs.pop(cluster, None)

    # -- maintenance -------------------------------------------------------------------------------

    def maybe_compact(self, max_size: int) -> bool:
        """Compact the log when it has grown past ``max_size`` bytes and much past the live state."""
        if self.store.size > max_size:
            self.store.compact()
            return True
        return False

    def close(self) -> None:
        self.store.close()


def _update(attrs: dict, changes: dict) -> None:
    for low, entry in changes.items():
        if entry[1] is None:
            attrs.pop(low, None)
        else:
            attrs[low] = entry


def _value_of(node):
    if type(node) is _Literal:
        return node.value
    try:
        return classad.ExprTree._wrap(node).eval()
    except Exception:
        return None


def user_log_path(ad: classad.ClassAd) -> str | None:
    """The job's user event log (``UserLog``, relative to ``Iwd``), or None."""
    log = ad.get("UserLog")
    if not isinstance(log, str) or not log:
        return None
    if not os.path.isabs(log):
        iwd = ad.get("Iwd")
        if isinstance(iwd, str) and iwd:
            log = os.path.join(iwd, log)
    return log
