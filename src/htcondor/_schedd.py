"""The client of the schedd: :class:`Schedd`, :class:`Transaction`, :class:`SubmitResult`.

A :class:`Schedd` talks to the pool's schedd daemon (see
:mod:`htcondor._daemons.schedd`): it submits jobs, queries and edits the
queue, acts on jobs (hold, release, remove...) and reads the history, with
the signatures and behaviour of the official ``htcondor.Schedd``.

Jobs are submitted in a transaction on one connection: the schedd makes
nothing visible until the commit, and forgets everything if the connection
closes first.  :meth:`Schedd.submit` makes its own transaction;
:meth:`Schedd.transaction` (deprecated in HTCondor 10.7, as here) lets
several submits and edits commit together.
"""

from __future__ import annotations

import collections
import os
import time
import warnings
from collections.abc import Iterator

import classad

from ._adcodec import encode_ad
from ._client import DaemonConnection
from ._enums import DaemonTypes, JobAction, QueryOpts
from ._errors import (
    HTCondorEnumError,
    HTCondorIOError,
    HTCondorLocateError,
    HTCondorReplyError,
    HTCondorValueError,
)
from ._peer import current_user
from ._query_iterator import HistoryIterator, xquery_iterator
from ._sinful import Sinful

__all__ = ["Schedd", "Transaction", "SubmitResult", "EditResult", "DaemonLocation"]

DaemonLocation = collections.namedtuple("DaemonLocation", ["daemon_type", "address", "version"])
DaemonLocation.__doc__ = "Where a daemon is: its type, sinful address and version string."

_VERSION = "$CondorVersion: 24.0.24 (htcondor-python) $"
_BATCH = 2000  # proc ads per SUBMIT_PROCS message
_HOW_TO_START = "Start a pool first: `condor_master` in a shell, or htcondor.personal.PersonalPool in Python."


class _Omitted:
    """The default of an argument whose absence differs from ``None``; shown as ``None`` in signatures."""

    def __repr__(self) -> str:
        return "None"


_REASON_OMITTED = _Omitted()


def _deprecated(message: str) -> None:
    warnings.warn(message, FutureWarning, stacklevel=3)


def _constraint_text(constraint, error: type[Exception] = HTCondorValueError, message: str = "Invalid constraint.",
                     allow_job_id: bool = False) -> tuple[str, bool]:
    """The constraint as expression text ("" for none), and whether it is a bare job id."""
    if constraint is None:
        return "", False
    if isinstance(constraint, classad.ExprTree):
        return repr(constraint), False
    if isinstance(constraint, bool):
        return ("true" if constraint else "false"), False
    if isinstance(constraint, (int, float)):
        return str(constraint), True
    if not isinstance(constraint, str):
        raise error(message)
    text = constraint.strip()
    if not text:
        return "", False
    try:
        tree = classad.ExprTree(text)
    except Exception:
        raise error(message) from None
    is_number = type(tree.eval()) in (int, float) and text.replace(".", "", 1).isdigit()
    return text, is_number


def _value_text(value) -> str:
    """The expression text of an edit's value: a string is expression text; an ExprTree or Python value is unparsed."""
    if isinstance(value, str):
        return value
    if isinstance(value, classad.ExprTree):
        return repr(value)
    ad = classad.ClassAd()
    try:
        ad["x"] = value
    except Exception:
        raise HTCondorValueError(f"cannot convert {type(value).__name__} to a ClassAd value") from None
    return repr(ad.lookup("x"))


class SubmitResult:
    """What a submit made: the cluster id, the first proc id, the number of jobs, and the cluster ad.

    :meth:`Schedd.submit` returns one.

    >>> import classad
    >>> result = SubmitResult(42, 0, 3, classad.ClassAd({"Cmd": "/bin/true"}))
    >>> result.cluster(), result.first_proc(), result.num_procs(), result.clusterad()["Cmd"]
    (42, 0, 3, '/bin/true')
    >>> print(result)
    Submitted 3 jobs into cluster 42,0 :
    Cmd = "/bin/true"
    <BLANKLINE>
    """

    def __init__(self, cluster: int, first_proc: int, num_procs: int, clusterad: classad.ClassAd | None):
        self._cluster = cluster
        self._first_proc = first_proc
        self._num_procs = num_procs
        self._clusterad = clusterad if clusterad is not None else classad.ClassAd()

    def cluster(self) -> int:
        """The ``ClusterId`` of the submitted jobs."""
        return self._cluster

    def first_proc(self) -> int:
        """The ``ProcId`` of the first submitted job."""
        return self._first_proc

    def num_procs(self) -> int:
        """How many jobs were submitted."""
        return self._num_procs

    def clusterad(self) -> classad.ClassAd:
        """A copy of the cluster ad: the attributes the jobs share."""
        ad = classad.ClassAd()
        ad.update(self._clusterad)
        return ad

    def __str__(self) -> str:
        lines = [f"Submitted {self._num_procs} jobs into cluster {self._cluster},{self._first_proc} :"]
        text = self._clusterad.printOld()
        return "\n".join(lines) + "\n" + text

    def __repr__(self) -> str:
        return f"<SubmitResult cluster={self._cluster} first_proc={self._first_proc} num_procs={self._num_procs}>"


class EditResult:
    """What :meth:`Schedd.edit` changed: :meth:`changes` is the number of jobs edited.

    >>> result = EditResult(2)
    >>> result.changes(), str(result)
    (2, 'edited 2 jobs')
    """

    def __init__(self, count: int = 0):
        self._count = count

    def changes(self) -> int:
        return self._count

    def __str__(self) -> str:
        return f"edited {self._count} jobs"

    def __int__(self) -> int:
        return self._count


class Transaction:
    """A job-queue transaction with the schedd: everything inside commits together.

    Use it as a context manager (from :meth:`Schedd.transaction`): leaving
    the block normally commits, an exception aborts and nothing of it is
    kept.  Submits and edits made on the same :class:`Schedd` inside the
    block belong to it.
    """

    def __init__(self, schedd: Schedd, flags: int = 0):
        self._schedd = schedd
        self._flags = int(flags)
        self._conn: DaemonConnection | None = DaemonConnection(schedd._address)
        try:
            self.owner = self._conn.request("QMGMT_BEGIN", {"flags": self._flags}).get("owner") or current_user()
        except BaseException:
            self._conn.close()
            raise
        self._cluster = 0
        self._next_proc = 0

    def __enter__(self) -> Transaction:
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is None:
            self._commit()
        else:
            self._abort()
        return False

    def __del__(self):
        if getattr(self, "_conn", None) is not None:
            self._abort()

    @property
    def active(self) -> bool:
        return self._conn is not None

    def _request(self, cmd: str, args: dict | None = None) -> dict:
        if self._conn is None:
            raise HTCondorIOError("Job queue attempt without active transaction")
        return self._conn.request(cmd, args)

    def _commit(self) -> None:
        conn, self._conn = self._conn, None
        if self._schedd._txn is self:
            self._schedd._txn = None
        if conn is None:
            return
        try:
            conn.request("QMGMT_COMMIT")
        except HTCondorIOError as e:
            raise HTCondorIOError(f"Failed to commit ongoing transaction. {e}") from None
        finally:
            conn.close()

    def _abort(self) -> None:
        conn, self._conn = self._conn, None
        schedd = getattr(self, "_schedd", None)
        if schedd is not None and schedd._txn is self:
            schedd._txn = None
        if conn is None:
            return
        try:
            conn.request("QMGMT_ABORT")
        except Exception:
            pass  # closing the connection aborts too
        finally:
            conn.close()

    # -- submitting -------------------------------------------------------------------------------

    def _new_cluster(self) -> int:
        self._cluster = self._request("NEW_CLUSTER")["cluster"]
        self._next_proc = 0
        return self._cluster

    def _send(self, cluster: int, cluster_ad: classad.ClassAd | None, procs: list[dict]) -> int:
        args = {"cluster": cluster, "procs": procs}
        if cluster_ad is not None:
            args["cluster_ad"] = encode_ad(cluster_ad)
        reply = self._request("SUBMIT_PROCS", args)
        self._next_proc = reply["first_proc"] + reply["num_procs"]
        return reply["first_proc"]

    def _submit_iterator(self, jobs, cluster: int, ad_results=None, spool: bool = False
                         ) -> tuple[int, classad.ClassAd | None]:
        """Send the ads of a :class:`SubmitJobsIterator` made with ``procs=True``; return (count, cluster ad)."""
        from ._spool_client import make_spool

        cluster_ad = None
        batch: list[dict] = []
        count = 0
        first_sent = False
        for ad in jobs:
            if cluster_ad is None:
                cluster_ad = jobs.clusterad()
                if spool:
                    make_spool(cluster_ad)
                own = {"ProcId": ad["ProcId"]}
            else:
                if spool:
                    make_spool(ad)
                own = encode_ad(ad)
            batch.append(own)
            if ad_results is not None:
                full = classad.ClassAd()
                full.update(cluster_ad)
                full.update(ad)
                ad_results.append(full)
            count += 1
            if len(batch) >= _BATCH:
                self._send(cluster, None if first_sent else cluster_ad, batch)
                first_sent = True
                batch = []
        if batch:
            self._send(cluster, None if first_sent else cluster_ad, batch)
        return count, cluster_ad


def _make_jobs(sub, cluster: int, count: int, itemdata, use_qargs: bool, owner: str, qdate: int):
    """The proc ads of a Submit for ``cluster``, as the official schedd submit makes them."""
    from ._submit_jobs import SubmitJobsIterator

    py_items = itemdata if isinstance(itemdata, collections.abc.Iterator) else None
    qargs = sub._qargs if use_qargs and py_items is None else ""
    if not use_qargs and py_items is None:
        # Schedd.submit() ignores the queue statement: `count` jobs (0 means 1)
        count = max(count, 1)
    return SubmitJobsIterator(sub._table, procs=True, cluster=cluster, proc=0, count=count, py_items=py_items,
                              qargs=qargs, inline_text=getattr(sub, "_remainder", None), qdate=qdate, owner=owner,
                              submit_method=sub._submit_method if sub._submit_method >= 0 else -1)


def submit_in_transaction(sub, txn: Transaction, count: int, itemdata, use_qargs: bool, ad_results=None,
                          spool: bool = False):
    """Queue the jobs of a :class:`~htcondor.Submit` in ``txn``; return ``(cluster, count, cluster ad)``."""
    if not isinstance(txn, Transaction) or not txn.active:
        raise HTCondorValueError("Job queue attempt without active transaction")
    cluster = txn._new_cluster()
    jobs = _make_jobs(sub, cluster, count, itemdata, use_qargs, txn.owner, int(time.time()))
    if use_qargs and sub._qargs and count and getattr(jobs._rows, "step", count) != count:
        raise HTCondorValueError("count argument supplied to queue method conflicts with count in submit "
                                 "QUEUE statement")
    num, cluster_ad = txn._submit_iterator(jobs, cluster, ad_results, spool)
    return cluster, num, cluster_ad


class Schedd:
    """A client of a schedd.

    Parameters
    ----------
    location_ad:
        The schedd's ad (from :meth:`htcondor.Collector.locate`, anything
        with ``MyAddress``) or a :class:`DaemonLocation`; None (the
        default) for the local schedd, found through ``SCHEDD_ADDRESS_FILE``
        (default ``$(LOG)/.schedd_address``).

    Raises
    ------
    HTCondorLocateError
        When no local schedd runs.
    HTCondorValueError
        For a location of an unknown type, or one without an address.
    """

    def __init__(self, location_ad=None):
        self._txn: Transaction | None = None
        self._name = "Unknown"
        self._version = ""
        if location_ad is None:
            from ._collector import local_daemon_address

            address = local_daemon_address("SCHEDD")
            if address is None:
                raise HTCondorLocateError(f"Unable to locate local daemon: no schedd runs here. {_HOW_TO_START}")
            self._version = _VERSION
        elif isinstance(location_ad, DaemonLocation):
            address = location_ad.address
            self._version = location_ad.version or ""
        elif isinstance(location_ad, classad.ClassAd):
            address = location_ad.get("MyAddress")
            if not isinstance(address, str) or not address:
                raise HTCondorValueError("address not specified.")
            name = location_ad.get("Name")
            self._name = name if isinstance(name, str) else "Unknown"
            version = location_ad.get("CondorVersion")
            self._version = version if isinstance(version, str) else ""
        else:
            raise HTCondorValueError("Unknown type")
        try:
            Sinful.parse(address)
        except Exception:
            raise HTCondorValueError(f"bad schedd address {address!r}") from None
        self._address = address

    def __repr__(self) -> str:
        return f"<htcondor.Schedd {self._address}>"

    @property
    def location(self) -> DaemonLocation:
        """Where the schedd is, as a :class:`DaemonLocation`."""
        return DaemonLocation(DaemonTypes.Schedd, self._address, self._version)

    def _connect(self) -> DaemonConnection:
        try:
            return DaemonConnection(self._address)
        except HTCondorIOError as e:
            raise HTCondorIOError(f"Failed to connect to schedd at {self._address}: {e}. {_HOW_TO_START}") from None

    # -- queries ------------------------------------------------------------------------------------

    def query(self, constraint="true", projection: list | None = None, callback=None, limit: int = -1,
              opts: QueryOpts = QueryOpts.Default) -> list:
        """Query the schedd for job ads.

        Parameters
        ----------
        constraint:
            A constraint (string or ExprTree); only jobs for which it is true are returned.
        projection:
            Attributes to return (all when empty).  ``ServerTime`` is added to every ad.
        callback:
            Called with each ad; its result, when not None, goes into the list instead of the ad.
        limit:
            At most this many ads (-1: all).
        opts:
            :class:`QueryOpts` flags.

        Returns
        -------
        list
            The job ads (each job's ad merged with its cluster's).

        Raises
        ------
        HTCondorValueError
            For a constraint that is not an expression.
        HTCondorIOError
            When the schedd cannot be reached or refuses the query.
        """
        text, _ = _constraint_text(constraint)
        result = []
        for ad in self._stream_query(text, projection, limit, opts, server_time=True):
            if callback is not None:
                value = callback(ad)
                if value is not None:
                    result.append(value)
            else:
                result.append(ad)
        return result

    def xquery(self, constraint="true", projection: list | None = None, limit: int = -1,
               opts: QueryOpts = QueryOpts.Default, name=None, **kwargs) -> Iterator[classad.ClassAd]:
        """Query the schedd for job ads, as an iterator that yields ads as they arrive (deprecated in 10.7).

        ``requirements`` is accepted for ``constraint``, and ``attr_list`` for
        ``projection``, as the official module does.

        Raises
        ------
        classad.ClassAdParseError
            For a constraint that is not an expression.
        """
        _deprecated("Schedd.xquery() was deprecated in version 10.7.0 and will be removed in a future release.")
        if "requirements" in kwargs:
            constraint = kwargs.pop("requirements")
        if "attr_list" in kwargs:
            projection = kwargs.pop("attr_list")
        if kwargs:
            raise TypeError(f"xquery() got unexpected keyword arguments {sorted(kwargs)}")
        text, _ = _constraint_text(constraint, classad.ClassAdParseError, "Parse error in constraint.")
        return xquery_iterator(self, text, projection, limit, opts, name)

    def _stream_query(self, text: str, projection, limit: int, opts, server_time: bool) -> Iterator[classad.ClassAd]:
        projection = list(projection or [])
        if not all(isinstance(p, str) for p in projection):
            raise HTCondorValueError("projection must be a list of attribute names")
        args = {"constraint": text or "true", "projection": projection, "limit": int(limit), "opts": int(opts),
                "server_time": server_time}
        conn = self._connect()

        def generate():
            try:
                yield from conn.stream("QUERY_JOB_ADS", args)
            except HTCondorValueError as e:
                raise HTCondorIOError(f"Failed to fetch ads from schedd, errmsg={e}") from None
            finally:
                conn.close()
        return generate()

    def history(self, constraint, projection: list, match: int = -1, since=None) -> Iterator[classad.ClassAd]:
        """The ads of jobs that left the queue, newest first.

        Parameters
        ----------
        constraint:
            Only jobs matching it (None: all).
        projection:
            Attributes to return (all when empty).
        match:
            At most this many ads (-1: all).
        since:
            A cluster id (int), a job id (``"C.P"``) or an expression: stop
            at that job (not returned) or at the first job for which the
            expression is true.

        Raises
        ------
        classad.ClassAdParseError
            For a constraint that is not an expression.
        """
        return HistoryIterator._wrap(self._history_query(constraint, projection, match, since, {}))

    def _history_query(self, constraint, projection, match, since, extra: dict) -> Iterator[classad.ClassAd]:
        text, _ = _constraint_text(constraint, classad.ClassAdParseError, "Parse error in constraint.")
        if since is not None and not isinstance(since, (int, str, classad.ExprTree)) or isinstance(since, bool):
            raise HTCondorValueError("invalid since argument")
        if isinstance(since, classad.ExprTree):
            since = repr(since)
        args = {"constraint": text or "true", "projection": list(projection or []), "match": int(match),
                "since": since, **extra}
        conn = self._connect()

        def generate():
            try:
                yield from conn.stream("QUERY_HISTORY", args)
            finally:
                conn.close()
        return generate()

    def negotiate(self, owner: str, ad=None):
        """Negotiate for one submitter by hand: a :class:`ScheddNegotiate` (deprecated since HTCondor 8.9.8).

        See :mod:`htcondor._schedd_negotiate`: iterate the resource requests, and
        ``sendClaim`` a slot's claim id for one of them.
        """
        from ._schedd_negotiate import negotiate

        return negotiate(self, owner, ad)

    # -- user records ---------------------------------------------------------------------------------

    def query_users(self, constraint="true", projection: list | None = None, limit: int = -1) -> list:
        """The schedd's user records (``User``, ``Owner``, ``Enabled``, ``NumIdle``, ``NumRunning``...).

        A record is made when a user first submits.

        Raises
        ------
        classad.ClassAdParseError
            For a constraint that is not an expression.

        >>> import htcondor, tempfile
        >>> with htcondor.personal.PersonalPool(local_dir=tempfile.mkdtemp()) as pool:  # doctest: +SKIP
        ...     pool.schedd.submit(htcondor.Submit({"executable": "/bin/true", "hold": "true"}))
        ...     [ad["Enabled"] for ad in pool.schedd.query_users()]
        [1]
        """
        from ._schedd_users import query_users

        text, _ = _constraint_text(constraint, classad.ClassAdParseError, "Parse error in constraint.")
        with self._connect() as conn:
            return query_users(conn, text, projection or [], limit)

    def enable_users(self, users: list, add: bool = False) -> classad.ClassAd:
        """Enable user records (with ``add``, make the missing ones); the result ad (``NumAds``, ``Result``).

        ``Result`` is 2 (and nothing changes) when a user has no record and ``add`` is false.

        Raises
        ------
        HTCondorValueError
            For users that are neither names nor ads with a ``User``.
        HTCondorIOError
            When the caller may not manage users (only administrators may).
        """
        from ._schedd_users import act_on_users, user_names

        with self._connect() as conn:
            return act_on_users(conn, "ENABLE_USERS", {"users": user_names(users), "add": bool(add)})

    def disable_users(self, users: list, reason: str | None = None) -> classad.ClassAd:
        """Disable user records: those users cannot submit, their queued jobs go on; the result ad."""
        from ._schedd_users import act_on_users, user_names

        with self._connect() as conn:
            return act_on_users(conn, "DISABLE_USERS", {"users": user_names(users), "reason": reason})

    def enable_users_matching(self, constraint) -> classad.ClassAd:
        """Enable the user records matching a constraint; the result ad."""
        from ._schedd_users import act_on_users

        text, _ = _constraint_text(constraint, classad.ClassAdParseError, "Parse error in constraint.")
        with self._connect() as conn:
            return act_on_users(conn, "ENABLE_USERS", {"constraint": text or "true"})

    def disable_users_matching(self, constraint, reason: str | None = None) -> classad.ClassAd:
        """Disable the user records matching a constraint; the result ad."""
        from ._schedd_users import act_on_users

        text, _ = _constraint_text(constraint, classad.ClassAdParseError, "Parse error in constraint.")
        with self._connect() as conn:
            return act_on_users(conn, "DISABLE_USERS", {"constraint": text or "true", "reason": reason})

    # -- what the official module does not do either, and what this pool cannot -------------------------

    def edit_multiple(self, edits, flags: int = 0):
        """Several edits in one transaction: not implemented by the official module 24.0 either.

        Raises
        ------
        HTCondorValueError
            When ``edits`` is not a list.
        NotImplementedError
            Always otherwise, as the official module does; use :meth:`transaction` and :meth:`edit`.
        """
        if not isinstance(edits, list):
            raise HTCondorValueError("invalid edit list")
        raise NotImplementedError("edit_multiple is not implemented at this time.")

    def insert_jobs(self, ads):
        """Insert complete job ads: not implemented by the official module 24.0 either.

        Raises
        ------
        NotImplementedError
            Always, as the official module does; use :meth:`submit` or :meth:`submitMany`.
        """
        raise NotImplementedError("insertRaw not yet written")

    def refreshGSIProxy(self, cluster: int, proc: int, proxy_filename: str, lifetime: int = -1) -> int:
        """Replace a job's GSI proxy: refused, this pool has no GSI (HTCondor 24 no longer supports it).

        Raises
        ------
        HTCondorIOError
            Always.
        """
        raise HTCondorIOError(f"Failed to refresh the GSI proxy of job {cluster}.{proc}: this pool does not "
                              "support GSI credentials (see 'Differences from HTCondor')")

    def export_jobs(self, job_spec, export_dir: str, new_spool_dir: str) -> classad.ClassAd:
        """Put jobs into the externally managed state: refused by this pool's schedd (see the differences page).

        Raises
        ------
        HTCondorIOError
            Always.
        """
        raise HTCondorIOError("Failed to export jobs: this pool's schedd does not export jobs to external "
                              "management (see 'Differences from HTCondor')")

    def import_exported_job_results(self, import_dir: str) -> classad.ClassAd:
        """Import the results of exported jobs: refused, as :meth:`export_jobs` is.

        Raises
        ------
        HTCondorIOError
            Always.
        """
        raise HTCondorIOError("Failed to import exported job results: this pool's schedd does not export jobs "
                              "(see 'Differences from HTCondor')")

    def unexport_jobs(self, job_spec) -> classad.ClassAd:
        """Take exported jobs back: refused, as :meth:`export_jobs` is.

        Raises
        ------
        HTCondorIOError
            Always.
        """
        raise HTCondorIOError("Failed to unexport jobs: this pool's schedd does not export jobs "
                              "(see 'Differences from HTCondor')")

    def jobEpochHistory(self, constraint, projection: list, match: int = -1, since=None, ad_type=None
                        ) -> Iterator[classad.ClassAd]:
        """The ads of each run ("epoch") of jobs, newest first, as the job ad stood when that run ended.

        Parameters are those of :meth:`history`; ``ad_type`` picks a kind of record
        (``"EPOCH"``, the only kind this schedd writes). Every record carries
        ``JobEpochWriteDate``, and its run number counts from 0 in ``NumShadowStarts - 1``.

        Raises
        ------
        classad.ClassAdParseError
            For a constraint that is not an expression.
        """
        if ad_type is not None and not isinstance(ad_type, str):
            raise HTCondorValueError("ad_type must be a string")
        return self._history_query(constraint, projection, match, since, {"epochs": True, "ad_type": ad_type})

    # -- actions and edits ------------------------------------------------------------------------------

    def act(self, action: JobAction, job_spec, reason=_REASON_OMITTED) -> classad.ClassAd:
        """Hold, release, remove, vacate, suspend or continue jobs.

        Parameters
        ----------
        action:
            A :class:`JobAction`.
        job_spec:
            A list of job ids (``"C.P"``), a constraint (string or ExprTree), or one job id string.
        reason:
            Why; for a hold, a ``(reason, code)`` tuple sets ``HoldReasonSubCode`` too.
            Omitted, it is ``"Python-initiated action."``; ``None`` gives
            ``"Python-initiated action"`` (the official module's two spellings).

        Returns
        -------
        classad.ClassAd
            ``TotalSuccess``, ``TotalNotFound``, ``TotalBadStatus``,
            ``TotalAlreadyDone``, ``TotalPermissionDenied``, ``TotalError``,
            ``TotalJobAds`` and ``TotalChangedAds``.

        Raises
        ------
        HTCondorValueError
            For a job_spec that is neither ids nor a constraint.
        HTCondorReplyError
            When the schedd cannot perform the action.
        """
        if not isinstance(action, JobAction):
            if isinstance(action, int) and not isinstance(action, bool) and action in JobAction.values:
                action = JobAction(action)
            else:
                raise HTCondorEnumError("Job action not implemented.")
        if reason is _REASON_OMITTED:
            reason = "Python-initiated action."
        elif reason is None:
            reason = "Python-initiated action"
        args: dict = {"action": int(action)}
        if isinstance(job_spec, list):
            if not all(isinstance(i, str) for i in job_spec):
                raise HTCondorValueError("job ids must be strings")
            args["ids"] = job_spec
        else:
            text, is_number = _constraint_text(job_spec, HTCondorValueError,
                                               "job_spec is not a valid constraint expression.")
            if is_number and isinstance(job_spec, str):
                args["ids"] = [job_spec.strip()]
            else:
                args["constraint"] = text or "true"
        if action == JobAction.Hold and isinstance(reason, tuple):
            if len(reason) != 2:
                raise HTCondorValueError("Hold action requires (hold string, hold code) tuple as the reason.")
            reason, code = reason
            args["reason_subcode"] = str(code)
        if not isinstance(reason, str):
            raise HTCondorValueError("reason must be a string")
        args["reason"] = reason
        try:
            with self._connect() as conn:
                reply = conn.request("ACT_ON_JOBS", args)
        except (HTCondorIOError, HTCondorValueError) as e:
            raise HTCondorReplyError(f"Error when performing action on the schedd. {e}") from None
        totals = reply.get("result_totals") or [0] * 6
        result = classad.ClassAd()
        for index, name in enumerate(("TotalError", "TotalSuccess", "TotalNotFound", "TotalBadStatus",
                                      "TotalAlreadyDone", "TotalPermissionDenied")):
            result[name] = int(totals[index])
        result["TotalJobAds"] = int(reply.get("TotalJobAds", 0))
        result["TotalChangedAds"] = int(reply.get("ActionResult", 0))
        return result

    def edit(self, job_spec, attr, value=None, flags: int = 0) -> EditResult:
        """Set attributes of jobs in the queue.

        Parameters
        ----------
        job_spec:
            A list of job ids (``"C.P"``), a constraint, or one job id string.
        attr:
            The attribute's name; or a ClassAd (or dict) of attribute -> value to set several.
        value:
            The new value: expression text (``'"foo"'`` for the string foo), an ExprTree, or a Python value.
        flags:
            :class:`TransactionFlags`.

        Returns
        -------
        EditResult
            How many jobs were edited.

        Raises
        ------
        HTCondorValueError
            For a bad job id or constraint.
        HTCondorIOError
            When a job cannot be edited (not yours, an immutable attribute, no job matches...).
        """
        if isinstance(attr, (classad.ClassAd, dict)):
            attrs = {name: _value_text(attr.lookup(name) if isinstance(attr, classad.ClassAd) else attr[name])
                     for name in attr}
        elif isinstance(attr, str):
            if value is None:
                raise TypeError("edit() needs a value for the attribute")
            attrs = {attr: _value_text(value)}
        else:
            raise HTCondorValueError("attr must be an attribute name or a ClassAd")
        args: dict = {"attrs": attrs, "flags": int(flags)}
        if isinstance(job_spec, list):
            ids = []
            for item in job_spec:
                parts = str(item).split(".")
                if len(parts) != 2 or not all(p.strip().lstrip("-").isdigit() for p in parts):
                    raise HTCondorValueError("Invalid ID")
                ids.append(f"{int(parts[0])}.{int(parts[1])}")
            args["ids"] = ids
        else:
            text, is_number = _constraint_text(job_spec, HTCondorValueError,
                                               "job_spec is not a valid constraint expression.")
            if is_number and isinstance(job_spec, str):
                args["ids"] = [job_spec.strip()]  # "C.P" is a job; "C" is the cluster ad, as in HTCondor
            else:
                args["constraint"] = text or "true"
        txn = self._txn
        if txn is not None and txn.active:
            reply = txn._request("EDIT_JOBS", args)
        else:
            with self._connect() as conn:
                reply = conn.request("EDIT_JOBS", args)
        return EditResult(int(reply.get("count", 0)))

    def reschedule(self) -> None:
        """Ask the schedd to look for matches for its idle jobs now (a failure is ignored, as HTCondor does)."""
        try:
            with DaemonConnection(self._address, timeout=5) as conn:
                conn.request("RESCHEDULE")
        except Exception:
            pass

    # -- submitting ------------------------------------------------------------------------------------

    def transaction(self, flags: int = 0, continue_txn: bool = False) -> Transaction:
        """Start a transaction (deprecated in 10.7: use :meth:`submit`); use it as a context manager.

        Raises
        ------
        HTCondorIOError
            When a transaction is already open on this object and ``continue_txn`` is False.
        """
        _deprecated("Schedd.transaction() was deprecated in version 10.7.0 and will be removed in a future "
                    "release.  Use Schedd.submit() instead.")
        if self._txn is not None and self._txn.active:
            if not continue_txn:
                raise HTCondorIOError("Transaction already in progress for schedd.")
            return self._txn
        try:
            self._txn = Transaction(self, flags)
        except HTCondorIOError as e:
            raise HTCondorIOError(f"Failed to connect to schedd. {e}") from None
        return self._txn

    def _run_in_transaction(self, fn):
        """Run ``fn(txn)`` in the open transaction, or in a new one committed afterwards."""
        if self._txn is not None and self._txn.active:
            return fn(self._txn)
        try:
            txn = Transaction(self)
        except HTCondorIOError as e:
            raise HTCondorIOError(f"Failed to connect to schedd. {e} {_HOW_TO_START}") from None
        self._txn = txn
        with txn:
            return fn(txn)

    def submit(self, description, count: int = 1, spool: bool = False, ad_results=None, itemdata=None):
        """Submit jobs.

        Parameters
        ----------
        description:
            A :class:`~htcondor.Submit`; or (the old form) a ClassAd or dict
            holding one job's attributes.
        count:
            Jobs to make (per item of ``itemdata``); the Submit's own queue statement is not used.
        spool:
            Hold the jobs until their input files are sent with :meth:`spool`, and keep
            them in the queue after they complete until their output is fetched with
            :meth:`retrieve` (for ten days at most).
        ad_results:
            Old form only: a list that receives the submitted job ads.
        itemdata:
            An iterator of items (strings or dicts), one set of ``count`` jobs per item.

        Returns
        -------
        SubmitResult or int
            A :class:`SubmitResult` for a Submit; the cluster id for the old form.

        Raises
        ------
        HTCondorValueError
            For a description of another type, or itemdata with a ClassAd.
        HTCondorIOError
            When the schedd cannot be reached or refuses the jobs.
        """
        from ._submit import Submit

        if isinstance(description, (classad.ClassAd, dict)):
            if itemdata is not None:
                raise HTCondorValueError("itemdata cannot be used when submitting raw ClassAds")
            ad = description if isinstance(description, classad.ClassAd) else classad.ClassAd(description)
            return self.submitMany(ad, [(classad.ClassAd(), count or 1)], spool, ad_results)
        if not isinstance(description, Submit):
            raise HTCondorValueError("Not a Submit object")
        def run(txn: Transaction) -> SubmitResult:
            cluster, num, cluster_ad = submit_in_transaction(description, txn, count, itemdata, use_qargs=False,
                                                             spool=spool)
            return SubmitResult(cluster, 0, num, cluster_ad)
        result = self._run_in_transaction(run)
        return result

    def submitMany(self, cluster_ad: classad.ClassAd, proc_ads, spool: bool = False, ad_results=None) -> int:
        """Submit one cluster from a cluster ad and ``(proc ad, count)`` pairs; return the cluster id.

        Raises
        ------
        HTCondorValueError
            When ``proc_ads`` is not an iterable of 2-tuples.
        """
        try:
            pairs = iter(proc_ads)
        except TypeError:
            raise HTCondorValueError("Proc ads must be iterator of 2-tuples.") from None
        def run(txn: Transaction) -> int:
            from ._spool_client import make_spool

            cluster = txn._new_cluster()
            base = _base_job_ad()
            base.update(cluster_ad)
            if spool:
                make_spool(base)
            sent_cluster = False
            for pair in pairs:
                try:
                    proc_ad, n = pair
                except (TypeError, ValueError):
                    raise HTCondorValueError("Proc ads must be iterator of 2-tuples.") from None
                own = encode_ad(proc_ad)
                txn._send(cluster, None if sent_cluster else base, [own] * int(n))
                sent_cluster = True
                if isinstance(ad_results, list):
                    for proc in range(txn._next_proc - int(n), txn._next_proc):
                        full = classad.ClassAd()
                        full.update(base)
                        full.update(proc_ad)
                        full["ClusterId"] = cluster
                        full["ProcId"] = proc
                        ad_results.append(full)
            if not sent_cluster:
                txn._send(cluster, base, [])
            return cluster
        return self._run_in_transaction(run)


    def spool(self, ads) -> None:
        """Send the input files of jobs submitted with ``spool=True``, and let them run.

        Parameters
        ----------
        ads:
            The jobs' ads, such as ``list(sub.jobs(clusterid=result.cluster()))``: their
            ``Cmd``, ``In`` and ``TransferInput`` (relative to ``Iwd``) are sent.

        Raises
        ------
        HTCondorIOError
            When a file cannot be read, or a job is not held waiting for its input.

        >>> import htcondor, tempfile
        >>> pool = htcondor.personal.PersonalPool(local_dir=tempfile.mkdtemp()).start()  # doctest: +SKIP
        >>> sub = htcondor.Submit({"executable": "/bin/echo", "arguments": "hi", "output": "out.txt"})
        >>> result = pool.schedd.submit(sub, spool=True)  # doctest: +SKIP
        >>> pool.schedd.spool(list(sub.jobs(clusterid=result.cluster())))  # doctest: +SKIP
        """
        from ._spool_client import spool_jobs

        if isinstance(ads, classad.ClassAd):
            ads = [ads]
        try:
            ads = list(ads)
        except TypeError:
            raise HTCondorValueError("spool() takes a list of job ClassAds") from None
        with self._connect() as conn:
            spool_jobs(conn, ads)

    def retrieve(self, job_spec) -> None:
        """Fetch the outputs of spooled jobs into the directories they were submitted from.

        Parameters
        ----------
        job_spec:
            A constraint, a job id (``"12.0"``) or a list of job ids.

        Raises
        ------
        HTCondorIOError
            When an output file cannot be written.
        """
        from ._spool_client import retrieve_jobs

        with self._connect() as conn:
            retrieve_jobs(conn, job_spec)


def _base_job_ad() -> classad.ClassAd:
    """What the official bindings start a raw-ClassAd submit from (a vanilla ``/bin/echo`` job in the cwd)."""
    now = int(time.time())
    ad = classad.ClassAd()
    ad.update({
        "MyType": "Job", "TargetType": "Machine", "JobUniverse": 5, "Cmd": "/bin/echo", "Iwd": os.getcwd(),
        "JobStatus": 1, "QDate": now, "EnteredCurrentStatus": now, "ImageSize": 100, "DiskUsage": 1,
        "RequestCpus": 1, "RequestDisk": classad.ExprTree("DiskUsage"),
        "RequestMemory": classad.ExprTree("ifthenelse(MemoryUsage =!= undefined,MemoryUsage,"
                                          "(ImageSize + 1023) / 1024)"),
        "Requirements": classad.ExprTree("true"), "NumJobStarts": 0, "NumRestarts": 0, "NumCkpts": 0,
        "JobPrio": 0, "ExitBySignal": False, "CompletionDate": 0, "CurrentHosts": 0, "MaxHosts": 1,
        "MinHosts": 1, "WantRemoteSyscalls": False, "WantCheckpoint": False, "ShouldTransferFiles": "IF_NEEDED",
        "WhenToTransferOutput": "ON_EXIT", "In": "/dev/null", "Out": "/dev/null", "Err": "/dev/null",
        "LeaveJobInQueue": False, "JobNotification": 0, "Args": "",
    })
    return ad
