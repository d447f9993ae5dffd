"""Computing on demand: :class:`Claim`, a slot claimed directly from a startd.

A COD claim bypasses the negotiator: :meth:`Claim.requestCOD` asks a startd
for one of its free slots, :meth:`Claim.activate` runs a program there
described by a job ad, and the claim stays the caller's — for more
activations — until :meth:`Claim.release` or the end of its lease.
"""

from __future__ import annotations

from collections.abc import Mapping

import classad

from ._client import DaemonConnection
from ._enums import VacateTypes
from ._errors import HTCondorException, HTCondorIOError, HTCondorValueError

__all__ = ["Claim"]

_NO_CLAIM = "No claim set for object."


class Claim:
    """A claim on a startd's slot, for computing on demand.

    Parameters
    ----------
    ad:
        An ad with the startd's ``MyAddress`` (from
        :meth:`Collector.locate` or a slot ad) and, for an existing claim,
        its ``ClaimId`` (or ``Capability``).  Nothing is contacted until
        :meth:`requestCOD`.

    Raises
    ------
    HTCondorValueError
        For an ad without ``MyAddress``.

    Example
    -------
    >>> import htcondor
    >>> claim = htcondor.Claim({"MyAddress": "<127.0.0.1:1>"})
    >>> str(claim)
    'Unclaimed startd at <127.0.0.1:1>'
    >>> try:
    ...     claim.activate({"Cmd": "/bin/true"})
    ... except htcondor.HTCondorValueError as e:
    ...     print(e)
    No claim set for object.
    """

    def __init__(self, ad=None):
        self._claim = ""
        self._address = ""
        if ad is None:
            return
        if not isinstance(ad, Mapping):
            raise TypeError("ad must be a ClassAd")
        ad = ad if isinstance(ad, classad.ClassAd) else classad.ClassAd(dict(ad))
        for attr in ("ClaimId", "Capability"):
            value = ad.get(attr)
            if isinstance(value, str) and value:
                self._claim = value
                break
        address = ad.get("MyAddress")
        if not isinstance(address, str):
            raise HTCondorValueError("No contact string in ClassAd")
        self._address = address

    def __str__(self) -> str:
        return f"Claim {self._claim}" if self._claim else f"Unclaimed startd at {self._address}"

    __repr__ = __str__

    def _call(self, cmd: str, args: dict, failure: str) -> dict:
        try:
            with DaemonConnection(self._address, timeout=20) as conn:
                return conn.request(cmd, args)
        except HTCondorException as e:
            raise HTCondorIOError(f"{failure} ({e})") from None
        except (OSError, ValueError) as e:
            raise HTCondorIOError(f"{failure} ({e})") from None

    def _claimed(self) -> str:
        if not self._claim:
            raise HTCondorValueError(_NO_CLAIM)
        return self._claim

    def requestCOD(self, constraint=None, lease_duration: int = -1) -> None:
        """Claim a free slot of the startd.

        Parameters
        ----------
        constraint:
            An expression a slot must satisfy (the slot is ``TARGET``); None: the first free slot.
            A partitionable slot gives a dynamic slot of one CPU and that CPU's share of memory and disk.
        lease_duration:
            Seconds the claim lasts unless :meth:`renew` is called; -1 (the default): until released.

        Raises
        ------
        HTCondorIOError
            When the startd has no free slot that satisfies the constraint, or cannot be reached.
        classad.ClassAdParseError
            For a constraint that does not parse.
        """
        text = None
        if isinstance(constraint, classad.ExprTree):
            text = repr(constraint)
        elif isinstance(constraint, str):
            try:
                classad.ExprTree(constraint)
            except Exception:
                raise classad.ClassAdParseError("Failed to parse request requirements expression") from None
            text = constraint
        elif isinstance(constraint, bool):
            text = "true" if constraint else "false"
        elif constraint is not None:
            raise TypeError("constraint must be an expression (a string or an ExprTree)")
        if isinstance(lease_duration, bool) or not isinstance(lease_duration, int):
            raise TypeError("lease_duration must be an integer")
        reply = self._call("REQUEST_CLAIM", {"cod": True, "requirements": text, "lease_duration": lease_duration},
                           "Failed to request claim from startd.")
        claim_id = reply.get("ClaimId")
        if not isinstance(claim_id, str):
            raise HTCondorIOError("Startd did not return a ClaimId.")
        self._claim = claim_id

    def activate(self, ad) -> None:
        """Run a job on the claim; returns once it has started.

        Parameters
        ----------
        ad:
            The job: ``Cmd``, and optionally ``Arguments``/``Args``, ``Iwd``,
            ``Environment``, ``In``/``Out``/``Err``, ``JobUniverse``...  The
            job runs in the claimed slot; its end leaves the claim idle.

        Raises
        ------
        HTCondorValueError
            Without a claim.
        HTCondorIOError
            When the startd refuses (a job runs already, no ``Cmd``...).
        """
        claim = self._claimed()
        if not isinstance(ad, Mapping):
            raise TypeError("ad must be a ClassAd")
        job = ad if isinstance(ad, classad.ClassAd) else classad.ClassAd(dict(ad))
        from ._adcodec import encode_ad

        if "JobKeyword" not in job:
            job = classad.ClassAd(job)
            job["HasJobAd"] = True
        self._call("ACTIVATE_CLAIM", {"claim_id": claim, "job_ad": encode_ad(job)}, "Startd failed to activate claim.")

    def deactivate(self, vacate_type: VacateTypes = VacateTypes.Graceful) -> None:
        """Stop the running job (gracefully: its kill signal, then SIGKILL later; fast: SIGKILL); keep the claim.

        Raises
        ------
        HTCondorValueError
            Without a claim.
        HTCondorIOError
            When no job runs on the claim, or the startd cannot be reached.
        """
        claim = self._claimed()
        self._call("DEACTIVATE_CLAIM", {"claim_id": claim, "fast": int(vacate_type) == int(VacateTypes.Fast)},
                   "Startd failed to deactivate claim.")

    def release(self, vacate_type: VacateTypes = VacateTypes.Graceful) -> None:
        """Give the slot back to the startd, stopping any running job first.

        Raises
        ------
        HTCondorValueError
            Without a claim.
        HTCondorIOError
            When the startd refuses or cannot be reached.
        """
        claim = self._claimed()
        self._call("RELEASE_CLAIM", {"claim_id": claim, "vacate_type": int(vacate_type)},
                   "Startd failed to release claim.")
        self._claim = ""

    def suspend(self) -> None:
        """Pause the running job (SIGSTOP).

        Raises
        ------
        HTCondorValueError
            Without a claim.
        HTCondorIOError
            When no job runs on the claim.
        """
        self._call("SUSPEND_CLAIM", {"claim_id": self._claimed()}, "Startd failed to suspend claim.")

    def resume(self) -> None:
        """Continue a suspended job (SIGCONT).

        Raises
        ------
        HTCondorValueError
            Without a claim.
        HTCondorIOError
            When the job is not suspended.
        """
        self._call("CONTINUE_CLAIM", {"claim_id": self._claimed()}, "Startd failed to resume claim.")

    def renew(self) -> None:
        """Extend the claim's lease by its duration, from now.

        Raises
        ------
        HTCondorValueError
            Without a claim.
        HTCondorIOError
            When the claim is gone (released, or its lease ran out).
        """
        self._call("RENEW_LEASE_FOR_CLAIM", {"claim_id": self._claimed()}, "Startd failed to renew claim.")

    def delegateGSIProxy(self, filename: str | None = None) -> None:
        """Not supported: this pool has no GSI; always raises.

        Raises
        ------
        HTCondorValueError
            Without a claim.
        HTCondorIOError
            Always otherwise: no X.509 proxy can be delegated in this pool.
        """
        self._claimed()
        raise HTCondorIOError("Startd failed to delegate GSI proxy. (this pool has no GSI authentication: "
                              "X.509 proxy delegation is not supported)")
