"""The negotiator's client: :class:`Negotiator`, the pool's fair-share accounting.

The negotiator keeps, for each submitter (``user@uid.domain``, or
``group.user@uid.domain`` for a job with an accounting group), its usage
and its *user priority*: the lower the effective priority (real priority
times priority factor), the earlier the submitter is served in the next
negotiation cycle and the bigger its share of the pool.  This class reads
and changes those records, as ``condor_userprio`` does.
"""

from __future__ import annotations

import classad

from ._client import DaemonConnection
from ._enums import DaemonTypes
from ._errors import HTCondorException, HTCondorIOError, HTCondorLocateError, HTCondorValueError
from ._schedd import DaemonLocation
from ._sinful import Sinful

__all__ = ["Negotiator", "locate_daemon"]

_FULL_NAME = "You must specify the full name of the submittor you wish (user@uid.domain)"


def locate_daemon(location_ad, subsys: str, what: str) -> tuple[str, str]:
    """The address and version of a daemon from a client class's ``location_ad`` argument.

    :param location_ad: None (the local daemon, from its address file), a
        :class:`~classad.ClassAd` with ``MyAddress``, or a :class:`DaemonLocation`.
    :param subsys: the daemon's subsystem (``"NEGOTIATOR"``) for the local lookup.
    :param what: the daemon's name in messages.
    :returns: ``(address, version)``.
    :raises HTCondorLocateError: when no local daemon runs.
    :raises HTCondorValueError: for an ad without an address, or an argument of another type.

    >>> locate_daemon(DaemonLocation(DaemonTypes.Startd, "<127.0.0.1:9618>", ""), "STARTD", "startd")
    ('<127.0.0.1:9618>', '')
    """
    if location_ad is None:
        from ._collector import local_daemon_address

        address = local_daemon_address(subsys)
        if address is None:
            raise HTCondorLocateError(f"Unable to locate local daemon: no {what} runs here")
        return address, "$CondorVersion: 24.0.24 (htcondor-python) $"
    if isinstance(location_ad, DaemonLocation):
        return str(location_ad.address), str(location_ad.version or "")
    if isinstance(location_ad, classad.ClassAd):
        address = location_ad.get("MyAddress")
        if not isinstance(address, str) or not address:
            raise HTCondorValueError("address not specified.")
        version = location_ad.get("CondorVersion")
        try:
            Sinful.parse(address)
        except Exception:
            raise HTCondorValueError(f"bad {what} address {address!r}") from None
        return address, version if isinstance(version, str) else ""
    raise HTCondorValueError("Unknown type")


def _check_user(user) -> str:
    if not isinstance(user, str):
        raise TypeError("user must be a string")
    if "@" not in user:
        raise HTCondorValueError(_FULL_NAME)
    return user


def _number(value, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{what} must be a number")
    return float(value)


class Negotiator:
    """A client of the pool's negotiator: read and change users' priorities and usage.

    Parameters
    ----------
    ad:
        The negotiator's ad (from :meth:`Collector.locate`) or a
        :class:`DaemonLocation`; None (the default) for the local negotiator.

    Raises
    ------
    HTCondorLocateError
        When no local negotiator runs.
    HTCondorValueError
        For an ad without ``MyAddress``, or an argument of another type.

    Example
    -------
    >>> import classad, htcondor
    >>> negotiator = htcondor.Negotiator(classad.ClassAd({"MyAddress": "<127.0.0.1:1>"}))
    >>> try:
    ...     negotiator.setFactor("bob", 2)
    ... except htcondor.HTCondorValueError as e:
    ...     print(e)
    You must specify the full name of the submittor you wish (user@uid.domain)
    """

    def __init__(self, ad=None):
        self._address, self._version = locate_daemon(ad, "NEGOTIATOR", "negotiator")

    def __repr__(self) -> str:
        return f"<htcondor.Negotiator {self._address}>"

    @property
    def location(self) -> DaemonLocation:
        """Where the negotiator is, as a :class:`DaemonLocation`."""
        return DaemonLocation(DaemonTypes.Negotiator, self._address, self._version)

    def _request(self, cmd: str, args: dict | None = None, failure: str = "Unable to connect to the negotiator"):
        try:
            conn = DaemonConnection(self._address, timeout=20)
        except HTCondorException:
            raise HTCondorIOError(failure) from None
        with conn:
            return conn.request(cmd, args or {})

    # -- reading -----------------------------------------------------------------------------------

    def getPriorities(self, rollup: bool = False) -> list[classad.ClassAd]:
        """The accounting records: one ad per submitter and accounting group.

        Parameters
        ----------
        rollup:
            Sum the usage of hierarchical groups into their parents (with no
            group quotas configured, as in this pool, the same records).

        Returns
        -------
        list[classad.ClassAd]
            ``Name``, ``Priority`` (the effective priority), ``PriorityFactor``,
            ``ResourcesUsed``, ``WeightedResourcesUsed``, ``AccumulatedUsage``,
            ``WeightedAccumulatedUsage``, ``BeginUsageTime``, ``LastUsageTime``,
            ``Ceiling``, ``AccountingGroup``, ``IsAccountingGroup``...

        Raises
        ------
        HTCondorIOError
            When the negotiator cannot be reached.
        """
        reply = self._request("GET_PRIORITY_ROLLUP" if rollup else "GET_PRIORITY")
        return [classad.ClassAd(_decode(ad)) for ad in reply.get("ads", [])]

    def getResourceUsage(self, user: str) -> list[classad.ClassAd]:
        """The slots *user* holds: one ad per slot with ``Name`` and ``StartTime``.

        Parameters
        ----------
        user:
            The submitter, ``user@uid.domain``.

        Raises
        ------
        HTCondorValueError
            For a name without ``@``.
        HTCondorIOError
            When the negotiator cannot be reached.
        """
        _check_user(user)
        reply = self._request("GET_RESLIST", {"user": user})
        return [classad.ClassAd(_decode(ad)) for ad in reply.get("ads", [])]

    # -- changing ---------------------------------------------------------------------------------

    def _send(self, cmd: str, user: str, value=None) -> None:
        _check_user(user)
        args = {"user": user}
        if value is not None:
            args["value"] = value
        self._request(cmd, args)

    def setPriority(self, user: str, prio: float) -> None:
        """Set *user*'s real priority (the effective one is this times its priority factor).

        Raises
        ------
        HTCondorValueError
            For a negative priority or a name without ``@``.
        HTCondorIOError
            When the negotiator cannot be reached.
        """
        prio = _number(prio, "prio")
        if prio < 0:
            raise HTCondorValueError("User priority must be non-negative")
        self._send("SET_PRIORITY", user, prio)

    def setFactor(self, user: str, factor: float) -> None:
        """Set *user*'s priority factor (at least 1; the default is ``DEFAULT_PRIO_FACTOR``).

        Raises
        ------
        HTCondorValueError
            For a factor below 1 or a name without ``@``.
        HTCondorIOError
            When the negotiator cannot be reached.
        """
        factor = _number(factor, "factor")
        if factor < 1:
            raise HTCondorValueError("Priority factors must be >= 1")
        self._send("SET_PRIORITYFACTOR", user, factor)

    def setUsage(self, user: str, usage: float) -> None:
        """Set *user*'s accumulated usage (``AccumulatedUsage``).

        Raises
        ------
        HTCondorValueError
            For a negative usage or a name without ``@``.
        HTCondorIOError
            When the negotiator cannot be reached.
        """
        usage = _number(usage, "usage")
        if usage < 0:
            raise HTCondorValueError("Usage must be non-negative.")
        self._send("SET_ACCUMUSAGE", user, usage)

    def setBeginUsage(self, user: str, value: int) -> None:
        """Set when *user* began using the pool (``BeginUsageTime``, seconds since the epoch).

        Raises
        ------
        HTCondorValueError
            For a name without ``@``.
        HTCondorIOError
            When the negotiator cannot be reached.
        """
        self._send("SET_BEGINTIME", user, int(_number(value, "value")))

    def setLastUsage(self, user: str, value: int) -> None:
        """Set when *user* last used the pool (``LastUsageTime``, seconds since the epoch).

        Raises
        ------
        HTCondorValueError
            For a name without ``@``.
        HTCondorIOError
            When the negotiator cannot be reached.
        """
        self._send("SET_LASTTIME", user, int(_number(value, "value")))

    def setCeiling(self, user: str, ceiling: float) -> None:
        """Set the most slot weight *user* may hold at once (-1: no ceiling).

        Raises
        ------
        HTCondorValueError
            For a ceiling below -1 or a name without ``@``.
        HTCondorIOError
            When the negotiator cannot be reached.
        """
        ceiling = _number(ceiling, "ceiling")
        if ceiling < -1:
            raise HTCondorValueError("Ceiling must be greater than -1.")
        self._send("SET_CEILING", user, ceiling)

    def resetUsage(self, user: str) -> None:
        """Zero *user*'s accumulated usage and restart its usage clock.

        Raises
        ------
        HTCondorValueError
            For a name without ``@``.
        HTCondorIOError
            When the negotiator cannot be reached.
        """
        self._send("RESET_USAGE", user)

    def resetAllUsage(self) -> None:
        """Zero the accumulated usage of every user.

        Raises
        ------
        HTCondorIOError
            When the negotiator cannot be reached.
        """
        self._request("RESET_ALL_USAGE", failure="Failed to send RESET_ALL_USAGE command")

    def deleteUser(self, user: str) -> None:
        """Forget every record of *user* (its priority starts over at the next match).

        Raises
        ------
        HTCondorValueError
            For a name without ``@``.
        HTCondorIOError
            When the negotiator cannot be reached.
        """
        self._send("DELETE_USER", user)


def _decode(data: dict) -> classad.ClassAd:
    from ._adcodec import decode_ad

    return decode_ad(data)
