"""The startd's client: :class:`Startd` — draining a machine, and the history of the jobs it ran.

Draining tells a startd to take no new job and to empty its slots: at once
(``DrainTypes.Fast`` kills the jobs, ``Quick`` vacates them gracefully) or
letting each job run out its retirement time (``Graceful``).  When no job
is left the slots are ``Drained``; they stay so until
:meth:`Startd.cancelDrainJobs`, or take jobs again by themselves when the
drain was asked with ``on_completion=1``.
"""

from __future__ import annotations

from collections.abc import Iterator

import classad

from ._client import DaemonConnection
from ._enums import DaemonTypes, DrainTypes
from ._errors import HTCondorException, HTCondorIOError, HTCondorReplyError, HTCondorValueError
from ._negotiator_client import locate_daemon
from ._schedd import DaemonLocation

__all__ = ["Startd"]


def _expr_text(value, what: str) -> str:
    if isinstance(value, classad.ExprTree):
        return repr(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if not isinstance(value, str):
        raise HTCondorValueError(f"Invalid {what} expression")
    try:
        classad.ExprTree(value)
    except Exception:
        raise HTCondorValueError(f"Invalid {what} expression") from None
    return value


class Startd:
    """A client of a startd: drain it, cancel a drain, read the history of the jobs it ran.

    Parameters
    ----------
    ad:
        The startd's ad (from :meth:`Collector.locate`) or a
        :class:`DaemonLocation`; None (the default) for the local startd.

    Raises
    ------
    HTCondorLocateError
        When no local startd runs.
    HTCondorValueError
        For an ad without ``MyAddress``, or an argument of another type.

    Example
    -------
    >>> import classad, htcondor
    >>> startd = htcondor.Startd(classad.ClassAd({"MyAddress": "<127.0.0.1:1>"}))
    >>> startd.location.address
    '<127.0.0.1:1>'
    >>> try:
    ...     startd.drainJobs(check_expr="Cpus >")
    ... except htcondor.HTCondorValueError as e:
    ...     print(e)
    Invalid check expression
    """

    def __init__(self, ad=None):
        self._address, self._version = locate_daemon(ad, "STARTD", "startd")

    def __repr__(self) -> str:
        return f"<htcondor.Startd {self._address}>"

    @property
    def location(self) -> DaemonLocation:
        """Where the startd is, as a :class:`DaemonLocation`."""
        return DaemonLocation(DaemonTypes.Startd, self._address, self._version)

    def _request(self, cmd: str, args: dict, failure: str) -> dict:
        try:
            with DaemonConnection(self._address, timeout=20) as conn:
                return conn.request(cmd, args)
        except HTCondorException as e:
            raise HTCondorReplyError(f"{failure} ({e})") from None

    def drainJobs(self, drain_type: DrainTypes = DrainTypes.Graceful, on_completion: int = 0,
                  check_expr="true", start_expr="false", reason: str = "by command") -> str:
        """Make the startd take no new job and empty its slots.

        Parameters
        ----------
        drain_type:
            A :class:`DrainTypes`: ``Graceful`` lets each job run out its
            ``MaxJobRetirementTime`` (then vacates it), ``Quick`` vacates the
            jobs now, ``Fast`` kills them now.
        on_completion:
            What to do once drained: 0 stay ``Drained``, 1 take jobs again.
            (2, exit, and 3, restart, are refused by this pool's startd.)
        check_expr:
            An expression that must be true for every slot, or nothing is drained.
        start_expr:
            The slots' ``START`` while draining (default ``false``: no job starts).
        reason:
            Why, published as the slots' ``DrainReason``.

        Returns
        -------
        str
            The drain's request id, for :meth:`cancelDrainJobs`.

        Raises
        ------
        HTCondorValueError
            For a check or start expression that does not parse.
        HTCondorReplyError
            When the startd refuses (a drain in progress, ``check_expr`` false for a slot...)
            or cannot be reached.
        """
        check = _expr_text(check_expr, "check")
        start = _expr_text(start_expr, "start")
        if reason is not None and not isinstance(reason, str):
            raise TypeError("reason must be a string")
        if isinstance(drain_type, bool) or not isinstance(drain_type, int):
            raise TypeError("drain_type must be a DrainTypes")
        if isinstance(on_completion, bool) or not isinstance(on_completion, int):
            raise TypeError("on_completion must be an integer")
        reply = self._request("DRAIN_JOBS", {"how_fast": int(drain_type), "on_completion": on_completion,
                                             "check_expr": check, "start_expr": start, "reason": reason},
                              "Startd failed to begin draining jobs.")
        return str(reply.get("request_id", ""))

    def cancelDrainJobs(self, request_id: str = "") -> None:
        """Stop draining: the slots take jobs again.

        Parameters
        ----------
        request_id:
            The id :meth:`drainJobs` returned; empty (the default) cancels whatever drain is in progress.

        Raises
        ------
        HTCondorReplyError
            When no such drain is in progress, or the startd cannot be reached.
        """
        if request_id is not None and not isinstance(request_id, str):
            raise TypeError("request_id must be a string")
        self._request("CANCEL_DRAIN_JOBS", {"request_id": request_id or ""}, "Startd failed to cancel draining jobs.")

    def history(self, requirements, projection: list, match: int = -1, since=None) -> Iterator[classad.ClassAd]:
        """The jobs this startd ran (its ``STARTD_HISTORY`` file), newest first.

        Parameters
        ----------
        requirements:
            Only jobs for which this expression is true (None or ``"true"``: all).
        projection:
            Attributes to return (all when empty).
        match:
            At most this many ads (-1: all).
        since:
            A cluster id (int), a job id (``"C.P"``) or an expression: stop at that job.

        Returns
        -------
        Iterator[classad.ClassAd]
            The job ads as they were when each job ended here.

        Raises
        ------
        HTCondorIOError
            When the startd cannot be reached.
        HTCondorValueError
            For a requirement that is not an expression.
        """
        if requirements is None:
            text = "true"
        elif isinstance(requirements, classad.ExprTree):
            text = repr(requirements)
        else:
            text = _expr_text(requirements, "requirements")
        if not isinstance(projection, list):
            raise TypeError("projection must be a list")
        if isinstance(since, classad.ExprTree):
            since = repr(since)
        elif since is not None and (isinstance(since, bool) or not isinstance(since, (int, str))):
            raise HTCondorValueError("invalid since argument")
        args = {"constraint": text, "projection": [str(a) for a in projection], "match": int(match), "since": since}
        try:
            conn = DaemonConnection(self._address, timeout=20)
        except HTCondorException:
            raise HTCondorIOError(f"Failed to connect to {self._address}") from None

        def generate():
            try:
                yield from conn.stream("GET_HISTORY", args)
            finally:
                conn.close()
        return generate()
