"""Negotiating with a schedd by hand: :class:`ScheddNegotiate` and its :class:`ResourceRequestIterator`.

``Schedd.negotiate(accounting_name)`` lets a program play the negotiator
for one submitter: it reads the submitter's *resource requests* (one per
autocluster of idle jobs: a representative job ad plus
``ResourceRequestCount``, how many jobs want the same thing) and hands the
schedd claims on slots (``sendClaim``); the schedd claims each slot from its
startd and runs a matching job on it, exactly as after a match made by the
pool's negotiator.

The schedd daemon's ``NEGOTIATE`` command gives the idle jobs and its
``PERMISSION_AND_AD`` command takes the claims (see
:mod:`htcondor._daemons.schedd`); the session itself lives in this client.

A job is negotiated under its submitter name, ``AccountingGroup@domain``
when it has a group (:func:`htcondor._accountant.submitter_of`).
"""

from __future__ import annotations

import warnings

import classad

from ._accountant import submitter_of
from ._adcodec import decode_ad, encode_ad
from ._autocluster import MINIMAL_SIGNIFICANT_ATTRIBUTES, AutoClusters
from ._client import DaemonConnection
from ._errors import HTCondorException, HTCondorIOError, HTCondorValueError

__all__ = ["ScheddNegotiate", "ResourceRequestIterator", "negotiate"]

#: Job attributes that tell resource requests apart, beside the schedd's minimal set.
_REQUEST_ATTRIBUTES = ("RequestCpus", "RequestMemory", "RequestDisk", "RequestGPUs", "AccountingGroup")


def _same_submitter(name: str, wanted: str) -> bool:
    # The official client sends the name as the schedd's Owner: a bare user name or a full submitter name.
    return name == wanted or ("@" not in wanted and name.partition("@")[0] == wanted)


class ResourceRequestIterator:
    """The resource requests of a negotiation session, one ad per autocluster of idle jobs.

    Each ad is a representative job of the autocluster with
    ``ResourceRequestCount`` (how many idle jobs it stands for) and
    ``AutoClusterId``.  Get one by iterating over a :class:`ScheddNegotiate`.
    """

    def __init__(self, session: ScheddNegotiate) -> None:
        self._session = session
        self._requests: list[classad.ClassAd] | None = None

    def __iter__(self) -> ResourceRequestIterator:
        return self

    def __next__(self) -> classad.ClassAd:
        if self._requests is None:
            if not self._session._negotiating:
                raise HTCondorIOError("Tried to continue negotiation after disconnect.")
            self._requests = self._session._fetch_requests()
        if not self._requests:
            raise StopIteration
        return self._requests.pop(0)


class ScheddNegotiate:
    """A negotiation session with a schedd for one submitter; returned by :meth:`Schedd.negotiate`.

    Iterate over it for the submitter's resource requests; answer them with
    :meth:`sendClaim`; end with :meth:`disconnect` (or by leaving the
    ``with`` block).  It cannot be made directly.

    Raises
    ------
    HTCondorIOError
        On use after :meth:`disconnect`.
    """

    def __init__(self, *args, **kwargs) -> None:
        raise RuntimeError("This class cannot be instantiated from Python")

    @classmethod
    def _open(cls, address: str, accounting_name: str, ad: classad.ClassAd) -> ScheddNegotiate:
        self = object.__new__(cls)
        self._address = address
        self._name = accounting_name
        self._ad = ad
        self._negotiating = True
        self._iterator: ResourceRequestIterator | None = None
        self._jobs: list[classad.ClassAd] = []
        self._sent: set[tuple[int, int]] = set()
        return self

    def __repr__(self) -> str:
        state = "negotiating" if self._negotiating else "disconnected"
        return f"<htcondor.ScheddNegotiate {self._name!r} with {self._address} ({state})>"

    def __enter__(self) -> ScheddNegotiate:
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        self.disconnect()
        return exc_type is None

    def __iter__(self) -> ResourceRequestIterator:
        """The submitter's resource requests (only once per session).

        Raises
        ------
        HTCondorIOError
            After :meth:`disconnect`.
        HTCondorValueError
            When the requests were iterated already.
        """
        if not self._negotiating:
            raise HTCondorIOError("Not currently negotiating with schedd")
        if self._iterator is not None:
            raise HTCondorValueError("Already started negotiation for this session.")
        self._iterator = ResourceRequestIterator(self)
        return self._iterator

    def _call(self, cmd: str, args: dict) -> dict:
        try:
            with DaemonConnection(self._address, timeout=30) as conn:
                return conn.request(cmd, args)
        except HTCondorException:
            raise
        except OSError as e:
            raise HTCondorIOError(f"Unable to connect to schedd for negotiation: {e}") from None

    def _idle_jobs(self) -> list[classad.ClassAd]:
        significant = list(MINIMAL_SIGNIFICANT_ATTRIBUTES) + list(_REQUEST_ATTRIBUTES)
        reply = self._call("NEGOTIATE", {"significant": significant, "max_per_autocluster": 100000,
                                         "negotiator": "python"})
        jobs = []
        for sub in reply.get("submitters", []):
            name = sub.get("name")
            if not isinstance(name, str):
                continue
            for data in sub.get("jobs", []):
                ad = decode_ad(data)
                if _same_submitter(submitter_of(ad, name), self._name):
                    jobs.append(ad)
        return jobs

    def _fetch_requests(self) -> list[classad.ClassAd]:
        self._jobs = self._idle_jobs()
        clusters = AutoClusters(list(MINIMAL_SIGNIFICANT_ATTRIBUTES) + list(_REQUEST_ATTRIBUTES))
        requests: dict[int, classad.ClassAd] = {}
        for job in self._jobs:
            acid = clusters.cluster_id(job)
            job["AutoClusterId"] = acid
            request = requests.get(acid)
            if request is None:
                request = requests[acid] = classad.ClassAd(job)
                request["AutoClusterId"] = acid
                request["ResourceRequestCount"] = 0
            request["ResourceRequestCount"] += 1
        return list(requests.values())

    def sendClaim(self, claim: str, offer: classad.ClassAd, request: classad.ClassAd | None = None) -> None:
        """Give the schedd a claim on a slot; it runs one of the submitter's jobs there.

        Parameters
        ----------
        claim:
            The slot's claim id: ``Capability`` of its ``StartdPrivate`` ad.
        offer:
            The slot's ad (from the collector).
        request:
            The resource request this claim answers; the schedd runs that
            job.  Omitted, the schedd picks an idle job of the submitter that
            matches the slot.

        Raises
        ------
        HTCondorIOError
            After :meth:`disconnect`, or when the schedd or the startd refuses the claim.
        HTCondorValueError
            When no idle job of the submitter matches the slot.
        """
        if not self._negotiating:
            raise HTCondorIOError("Not currently negotiating with schedd")
        if not isinstance(claim, str):
            raise HTCondorValueError("claim must be a claim id string")
        if not isinstance(offer, classad.ClassAd) or (request is not None and not isinstance(request, classad.ClassAd)):
            raise HTCondorValueError("offer and request must be ClassAds")
        job = self._pick_job(offer, request or classad.ClassAd())
        # a claim id starts with its startd's address (see htcondor._slots.new_claim_id)
        startd = claim.split("#", 1)[0] if claim.startswith("<") else (
            offer.get("StartdIpAddr") or offer.get("MyAddress"))
        if not isinstance(startd, str):
            raise HTCondorValueError("cannot tell the startd's address from the claim or the offer")
        resources = None
        if offer.get("PartitionableSlot") is True:
            # the dynamic slot's size, as the negotiator carves it (MODIFY_REQUEST_EXPR_* rounding)
            from ._accountant import Accountant
            from ._matchmaker import MatchmakerConfig, _Cycle, _Slot

            resources = _Cycle(MatchmakerConfig(), Accountant(now=0), 0).carve(job, _Slot(offer, 0))
            if resources is None:
                raise HTCondorValueError(f"job {job['ClusterId']}.{job['ProcId']} does not fit in "
                                         f"{offer.get('Name', 'the offer')}")
        key = (int(job["ClusterId"]), int(job["ProcId"]))
        match = {"cluster": key[0], "proc": key[1], "submitter": self._name,
                 "slot_name": str(offer.get("Name", "")), "claim_id": claim, "startd": startd,
                 "resources": resources, "slot_ad": encode_ad(offer)}
        reply = self._call("PERMISSION_AND_AD", {"matches": [match]})
        if int(reply.get("claimed", 0)) < 1:
            raise HTCondorIOError(f"the schedd could not claim {offer.get('Name', 'the slot')} for job "
                                  f"{key[0]}.{key[1]} (see its log)")
        self._sent.add(key)

    def _pick_job(self, offer: classad.ClassAd, request: classad.ClassAd) -> classad.ClassAd:
        if not self._jobs:
            self._jobs = self._idle_jobs()
        candidates = [j for j in self._jobs if (int(j["ClusterId"]), int(j["ProcId"])) not in self._sent]
        cluster, proc = request.get("ClusterId"), request.get("ProcId")
        if type(cluster) is int and type(proc) is int:
            # the request's own job first, then the others of its autocluster
            acid = request.get("AutoClusterId")
            candidates.sort(key=lambda j: (j.get("ClusterId") != cluster or j.get("ProcId") != proc,
                                           acid is not None and j.get("AutoClusterId", acid) != acid))
        for job in candidates:
            if job.symmetricMatch(offer):
                return job
        raise HTCondorValueError(f"no idle job of {self._name} matches {offer.get('Name', 'the offer')}")

    def disconnect(self) -> None:
        """End the session (also done by leaving the ``with`` block); later calls raise HTCondorIOError."""
        self._negotiating = False


def negotiate(schedd, accounting_name: str, ad: classad.ClassAd | dict | None = None) -> ScheddNegotiate:
    """Start a negotiation session with *schedd* for one submitter (``Schedd.negotiate``).

    Deprecated in HTCondor since 8.9.8, as here (a ``FutureWarning``).

    Parameters
    ----------
    schedd:
        The :class:`htcondor.Schedd`.
    accounting_name:
        The submitter: ``user@uid.domain``, ``group.user@uid.domain``, or a bare user name.
    ad:
        Extra attributes of the session (kept for compatibility; unused).

    Returns
    -------
    ScheddNegotiate
        The session, also a context manager.

    Raises
    ------
    HTCondorIOError
        When the schedd cannot be reached.
    TypeError
        When *ad* is not a ClassAd.
    """
    warnings.warn("Schedd.negotiate() is deprecated since v8.9.8 and will be removed in a future release.",
                  FutureWarning, stacklevel=3)
    if ad is None:
        ad = classad.ClassAd()
    elif isinstance(ad, dict) and not isinstance(ad, classad.ClassAd):
        ad = classad.ClassAd(ad)
    if not isinstance(ad, classad.ClassAd):
        raise TypeError(f"No registered converter was able to produce a C++ rvalue of type ClassAdWrapper from "
                        f"this Python object of type {type(ad).__name__}")
    if not isinstance(accounting_name, str):
        raise TypeError("accounting_name must be a string")
    address = schedd._address
    try:
        DaemonConnection(address, timeout=5).close()
    except HTCondorException:
        raise HTCondorIOError("Failed to create socket to remote schedd.") from None
    return ScheddNegotiate._open(address, accounting_name, ad)
