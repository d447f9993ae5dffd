"""The client of a collector: :class:`Collector`.

It finds the collector as HTCondor's tools do -- from ``COLLECTOR_HOST``,
and, when that names no port (or port 0, "any free port", as a personal
pool's does), from the address the collector wrote to
``COLLECTOR_ADDRESS_FILE`` (default ``$(LOG)/.collector_address``) -- and
talks to it with the commands of :mod:`htcondor._daemons.collector`.
"""

from __future__ import annotations

from collections.abc import Mapping

import classad

from ._adcodec import encode_ad
from ._client import DaemonConnection
from ._enums import AdTypes, DaemonTypes
from ._errors import (
    HTCondorEnumError,
    HTCondorIOError,
    HTCondorLocateError,
    HTCondorReplyError,
    HTCondorValueError,
)
from ._sinful import Sinful, read_address_file

__all__ = ["Collector", "collector_addresses", "local_daemon_address"]

_TIMEOUT = 20.0  # seconds, as the official client gives a collector command

_QUERY_COMMAND = {
    AdTypes.Startd: "QUERY_STARTD_ADS", AdTypes.Slot: "QUERY_STARTD_ADS",
    AdTypes.StartdPrivate: "QUERY_STARTD_PVT_ADS", AdTypes.StartDaemon: "QUERY_STARTD_DAEMON_ADS",
    AdTypes.Schedd: "QUERY_SCHEDD_ADS", AdTypes.Master: "QUERY_MASTER_ADS",
    AdTypes.Collector: "QUERY_COLLECTOR_ADS", AdTypes.Negotiator: "QUERY_NEGOTIATOR_ADS",
    AdTypes.Submitter: "QUERY_SUBMITTOR_ADS", AdTypes.Generic: "QUERY_GENERIC_ADS",
    AdTypes.Accounting: "QUERY_ACCOUNTING_ADS", AdTypes.Grid: "QUERY_GRID_ADS", AdTypes.HAD: "QUERY_HAD_ADS",
    AdTypes.License: "QUERY_LICENSE_ADS", AdTypes.Credd: "QUERY_CREDD_ADS", AdTypes.Defrag: "QUERY_DEFRAG_ADS",
    AdTypes.Any: "QUERY_ANY_ADS",
}
# DaemonTypes -> (AdTypes, the MyType HTCondor gives that kind of ad, the daemon's subsystem)
_DAEMON = {
    DaemonTypes.Master: (AdTypes.Master, "DaemonMaster", "MASTER"),
    DaemonTypes.Startd: (AdTypes.Startd, "Machine", "STARTD"),
    DaemonTypes.Schedd: (AdTypes.Schedd, "Scheduler", "SCHEDD"),
    DaemonTypes.Negotiator: (AdTypes.Negotiator, "Negotiator", "NEGOTIATOR"),
    DaemonTypes.Collector: (AdTypes.Collector, "Collector", "COLLECTOR"),
    DaemonTypes.Generic: (AdTypes.Generic, "Generic", None),
    DaemonTypes.HAD: (AdTypes.HAD, "HAD", "HAD"),
    DaemonTypes.Credd: (AdTypes.Credd, "CredD", "CREDD"),
}
# What locate() and locateAll() ask for, as the official client does (HTCondor's collector adds MyType to
# every projection; send_command needs it).
_LOCATION_ATTRS = ["MyAddress", "AddressV1", "CondorVersion", "CondorPlatform", "Name", "Machine", "MyType"]
_CONDOR_VERSION = "$CondorVersion: 24.0.24 2025-01-01 BuildID: htcondor-python $"
_CONDOR_PLATFORM = "$CondorPlatform: htcondor-python $"

# The commands the official ``advertise`` accepts (HTCondor's collector
# command table; compared without regard to case), and what this pool's
# collector does with them.
_ADVERTISE_COMMANDS = {
    "UPDATE_STARTD_AD", "UPDATE_SCHEDD_AD", "UPDATE_MASTER_AD", "UPDATE_CKPT_SRVR_AD", "QUERY_STARTD_ADS",
    "QUERY_SCHEDD_ADS", "QUERY_MASTER_ADS", "QUERY_CKPT_SRVR_ADS", "QUERY_STARTD_PVT_ADS",
    "UPDATE_SUBMITTOR_AD", "QUERY_SUBMITTOR_ADS", "INVALIDATE_STARTD_ADS", "INVALIDATE_SCHEDD_ADS",
    "INVALIDATE_MASTER_ADS", "INVALIDATE_CKPT_SRVR_ADS", "INVALIDATE_SUBMITTOR_ADS", "UPDATE_COLLECTOR_AD",
    "QUERY_COLLECTOR_ADS", "INVALIDATE_COLLECTOR_ADS", "QUERY_HIST_STARTD", "QUERY_HIST_STARTD_LIST",
    "QUERY_HIST_SUBMITTOR", "QUERY_HIST_SUBMITTOR_LIST", "QUERY_HIST_GROUPS", "QUERY_HIST_GROUPS_LIST",
    "QUERY_HIST_SUBMITTORGROUPS", "QUERY_HIST_SUBMITTORGROUPS_LIST", "QUERY_HIST_CKPTSRVR",
    "QUERY_HIST_CKPTSRVR_LIST", "UPDATE_LICENSE_AD", "QUERY_LICENSE_ADS", "INVALIDATE_LICENSE_ADS",
    "UPDATE_STORAGE_AD", "QUERY_STORAGE_ADS", "INVALIDATE_STORAGE_ADS", "QUERY_ANY_ADS", "UPDATE_NEGOTIATOR_AD",
    "QUERY_NEGOTIATOR_ADS", "INVALIDATE_NEGOTIATOR_ADS", "QUERY_MULTIPLE_ADS", "QUERY_MULTIPLE_PVT_ADS",
    "UPDATE_HAD_AD", "QUERY_HAD_ADS", "INVALIDATE_HAD_ADS", "UPDATE_AD_GENERIC", "INVALIDATE_ADS_GENERIC",
    "UPDATE_STARTD_AD_WITH_ACK", "CCB_REGISTER", "CCB_REQUEST", "CCB_REVERSE_CONNECT", "UPDATE_GRID_AD",
    "QUERY_GRID_ADS", "INVALIDATE_GRID_ADS", "MERGE_STARTD_AD", "QUERY_GENERIC_ADS", "SHARED_PORT_CONNECT",
    "SHARED_PORT_PASS_SOCK", "UPDATE_ACCOUNTING_AD", "QUERY_ACCOUNTING_ADS", "INVALIDATE_ACCOUNTING_ADS",
    "UPDATE_OWN_SUBMITTOR_AD", "IMPERSONATION_TOKEN_REQUEST", "COLLECTOR_COMMAND_LAST",
}
_STORING_COMMANDS = {c for c in _ADVERTISE_COMMANDS if c.startswith("UPDATE_")} - {"UPDATE_CKPT_SRVR_AD",
                                                                                  "UPDATE_STORAGE_AD"}
_STORING_COMMANDS.add("MERGE_STARTD_AD")
_INVALIDATING_COMMANDS = {c for c in _ADVERTISE_COMMANDS if c.startswith("INVALIDATE_")} - {
    "INVALIDATE_CKPT_SRVR_ADS", "INVALIDATE_STORAGE_ADS"}

_HOW_TO_START = ("Start a pool first: `condor_master` in a shell, or htcondor.personal.PersonalPool in Python.")


def _config(name: str) -> str | None:
    """The macro-expanded configuration value ``name``, or None when it is undefined or expands to nothing."""
    import htcondor

    return htcondor._configuration.expanded(name)


def local_daemon_address(subsys: str) -> str | None:
    """The address a local daemon wrote to its address file, or None when there is none.

    The file is ``<SUBSYS>_ADDRESS_FILE``, by default ``$(LOG)/.<subsys>_address``,
    where every daemon of this project writes its sinful string once it listens.

    >>> local_daemon_address("NO_SUCH_DAEMON") is None
    True
    """
    path = _config(f"{subsys}_ADDRESS_FILE")
    if path is None:
        log = _config("LOG")
        if log is None:
            return None
        path = f"{log}/.{subsys.lower()}_address"
    return read_address_file(path)


def _resolve(host: str) -> str:
    """One collector's address from a ``COLLECTOR_HOST``-style entry."""
    if host.startswith("<"):
        return host
    name, sep, port = host.rpartition(":")
    if not sep:
        name, port = host, ""
    if not port or port == "0":
        # no fixed port: the collector tells where it listens in its address file
        address = local_daemon_address("COLLECTOR")
        if address:
            return address
        if port == "0":
            return f"{name}:0"
        port = _config("COLLECTOR_PORT") or "9618"
    return f"{name}:{port}"


def collector_addresses(pool=None) -> list[str]:
    """The collector addresses to try, in order, for a :class:`Collector` made with ``pool``.

    ``None`` means the configuration's: each entry of ``COLLECTOR_HOST``;
    an entry without a port, or with port 0, is completed from the address
    file of the local collector (``COLLECTOR_ADDRESS_FILE``), else gets
    ``COLLECTOR_PORT``.

    Raises
    ------
    HTCondorLocateError
        When ``pool`` is None and ``COLLECTOR_HOST`` is not set.

    >>> collector_addresses("cm.example.org:9618, <127.0.0.1:9700>")
    ['cm.example.org:9618', '<127.0.0.1:9700>']
    """
    if pool is None:
        text = _config("COLLECTOR_HOST") or ""
        hosts = [h for h in text.replace(",", " ").split() if h]
        if not hosts:
            raise HTCondorLocateError("Unable to determine collector host: COLLECTOR_HOST is not set. "
                                      + _HOW_TO_START)
    elif isinstance(pool, classad.ClassAd):
        address = pool.get("MyAddress")
        if not isinstance(address, str):
            raise HTCondorValueError("the location ad has no MyAddress")
        return [address]
    elif isinstance(pool, str):
        hosts = [h for h in pool.replace(",", " ").split() if h]
    elif isinstance(pool, (list, tuple)):
        hosts = []
        for item in pool:
            if not isinstance(item, str):
                raise TypeError(f"a collector address must be a string, not {type(item).__name__}")
            hosts.extend(h for h in item.replace(",", " ").split() if h)
    else:
        raise TypeError(f"Collector() takes an address, a list of addresses or a location ad, "
                        f"not {type(pool).__name__}")
    return [_resolve(h) for h in hosts]


def _constraint_text(constraint) -> str:
    """The constraint as expression text, as the official client accepts it ("" for no constraint)."""
    if isinstance(constraint, classad.ExprTree):
        return str(constraint)
    if constraint is None:
        return ""
    if isinstance(constraint, bool):
        return "true" if constraint else "false"
    if isinstance(constraint, (int, float)):
        return str(classad.ExprTree(repr(constraint)))
    if not isinstance(constraint, str):
        raise HTCondorValueError("Invalid constraint.")
    if constraint.strip() == "":
        return ""
    try:
        classad.ExprTree(constraint)
    except classad.ClassAdParseError:
        raise HTCondorValueError("Invalid constraint.") from None
    return constraint


def _projection(projection) -> list[str]:
    if projection is None:
        return []
    if not isinstance(projection, (list, tuple)):
        raise TypeError(f"projection must be a list of attribute names, not {type(projection).__name__}")
    for attr in projection:
        if not isinstance(attr, str):
            raise TypeError(f"projection must be a list of attribute names, not of {type(attr).__name__}")
    return list(projection)


def _daemon(daemon_type) -> tuple[AdTypes, str, str | None]:
    if not isinstance(daemon_type, DaemonTypes):
        raise TypeError(f"daemon_type must be an htcondor.DaemonTypes, not {type(daemon_type).__name__}")
    if daemon_type not in _DAEMON:
        raise HTCondorEnumError("Unknown daemon type.")
    return _DAEMON[daemon_type]


class Collector:
    """A client of the pool's collector.

    Parameters
    ----------
    pool:
        ``None`` for the collector the configuration names (``COLLECTOR_HOST``;
        with no port or port 0 there, the local collector's address file
        says where it listens); a ``"host:port"`` or sinful string, or
        several of them (a list, or one string separated by commas) tried in
        turn; or a location ad from :meth:`locate`.

    Nothing is sent until a method is called.  When no collector answers,
    the methods raise :class:`~htcondor.HTCondorIOError` saying where they
    looked and how to start a pool.

    >>> import htcondor
    >>> c = htcondor.Collector("127.0.0.1:1")
    >>> c
    <htcondor.Collector 127.0.0.1:1>
    >>> try:
    ...     c.query(htcondor.AdTypes.Startd)
    ... except htcondor.HTCondorIOError as e:
    ...     print(str(e).split(":")[0])
    Failed communication with collector

    With a pool running (:class:`htcondor.personal.PersonalPool`):

    >>> htcondor.Collector().query(htcondor.AdTypes.Collector, projection=["Name"])  # doctest: +SKIP
    [[ Name = "My Pool - 127.0.0.1@host.example.org" ]]
    """

    def __init__(self, pool=None):
        self._default = pool is None
        self._hosts = None if pool is None else collector_addresses(pool)

    def __repr__(self) -> str:
        where = ", ".join(self._hosts) if self._hosts is not None else "COLLECTOR_HOST"
        return f"<htcondor.Collector {where}>"

    @property
    def location(self) -> None:
        """Always ``None``, as in the official module (which keeps this for a future "where is it").

        The official ``Collector.location`` returns ``None`` whatever the
        collector was made for -- the default pool, an address, or a
        location ad -- so this one does too; :meth:`locate` with
        ``DaemonTypes.Collector`` gives the collector's address.

        >>> import htcondor
        >>> htcondor.Collector("127.0.0.1:9618").location is None
        True
        """
        return None

    def _addresses(self) -> list[str]:
        return self._hosts if self._hosts is not None else collector_addresses(None)

    def _query(self, command: str, args: dict, addresses: list[str] | None = None) -> list[classad.ClassAd]:
        """Send a query to the first collector that answers; its reply is the result."""
        addresses = self._addresses() if addresses is None else addresses
        failures = []
        for address in addresses:
            try:
                conn = DaemonConnection(address, timeout=_TIMEOUT)
            except (HTCondorIOError, HTCondorValueError) as e:
                failures.append(str(e))
                continue
            with conn:
                try:
                    return list(conn.stream(command, args))
                except HTCondorIOError as e:  # the connection broke: try the next collector
                    failures.append(str(e))
        raise HTCondorIOError(f"Failed communication with collector: no collector answers at "
                              f"{', '.join(addresses)}. {_HOW_TO_START}"
                              + (f" ({'; '.join(failures)})" if failures else ""))

    def query(self, ad_type: AdTypes = AdTypes.Any, constraint="", projection: list | None = None,
              statistics: str = "") -> list[classad.ClassAd]:
        """The ads of one type that match ``constraint``.

        Parameters
        ----------
        ad_type:
            The type of ad (:class:`~htcondor.AdTypes`); ``AdTypes.Any`` for
            every public ad.
        constraint:
            An expression (string or :class:`~classad.ExprTree`) evaluated
            with each ad as ``MY``; the ads for which it is true are
            returned.  Empty for every ad.
        projection:
            The attributes to return (names, any case); empty for all.
        statistics:
            Accepted for compatibility; this pool's daemons publish no
            statistics levels beyond their ads.

        Returns
        -------
        list[classad.ClassAd]

        Raises
        ------
        HTCondorValueError
            For a constraint that does not parse.
        HTCondorLocateError
            When ``COLLECTOR_HOST`` is not set.
        HTCondorIOError
            When no collector answers.

        >>> import htcondor
        >>> try:
        ...     htcondor.Collector("127.0.0.1:1").query(htcondor.AdTypes.Schedd, "Name ==")
        ... except htcondor.HTCondorValueError as e:
        ...     print(e)
        Invalid constraint.
        >>> htcondor.Collector().query(htcondor.AdTypes.Schedd, 'Name == "submit"', ["Name"])  # doctest: +SKIP
        [[ Name = "submit" ]]
        """
        if not isinstance(ad_type, AdTypes):
            raise TypeError(f"ad_type must be an htcondor.AdTypes, not {type(ad_type).__name__}")
        command = _QUERY_COMMAND.get(ad_type)
        if command is None:
            raise HTCondorEnumError(f"cannot query ads of type {ad_type.name}")
        args = {"constraint": _constraint_text(constraint), "projection": _projection(projection)}
        if not isinstance(statistics, str):
            raise TypeError("statistics must be a string")
        return self._query(command, args)

    def locateAll(self, daemon_type: DaemonTypes) -> list[classad.ClassAd]:
        """The location ads of every daemon of one type the collector knows.

        A location ad holds ``MyAddress``, ``AddressV1``, ``CondorVersion``,
        ``CondorPlatform``, ``Name``, ``Machine`` and ``MyType``.

        Raises
        ------
        HTCondorEnumError
            For a daemon type that has no ads (``DaemonTypes.Any``).
        HTCondorIOError
            When no collector answers.

        >>> import htcondor
        >>> try:
        ...     htcondor.Collector("127.0.0.1:1").locateAll(htcondor.DaemonTypes.Any)
        ... except htcondor.HTCondorEnumError as e:
        ...     print(e)
        Unknown daemon type.
        >>> [ad["Name"] for ad in htcondor.Collector().locateAll(htcondor.DaemonTypes.Schedd)]  # doctest: +SKIP
        ['host.example.org']
        """
        ad_type, _, _ = _daemon(daemon_type)
        return self.query(ad_type, "", _LOCATION_ATTRS)

    def locate(self, daemon_type: DaemonTypes, name: str | None = None) -> classad.ClassAd:
        """The location ad of one daemon, for :class:`~htcondor.Schedd` and the like.

        Parameters
        ----------
        daemon_type:
            The :class:`~htcondor.DaemonTypes` of the daemon.
        name:
            Its ``Name`` (compared without regard to case).  Without a name,
            a ``Collector()`` made without arguments finds the daemon of the
            local host from its address file, as HTCondor does, and returns
            ``MyAddress``, ``Name``, ``Machine``, ``MyType``,
            ``CondorVersion`` and ``CondorPlatform``; a ``Collector`` made
            for a given pool returns the first such daemon that collector
            knows (its whole ad).

        Raises
        ------
        HTCondorLocateError
            When there is no such daemon.
        HTCondorIOError
            When no collector answers (a named or remote daemon).

        >>> import htcondor
        >>> try:
        ...     htcondor.Collector("127.0.0.1:1").locate("Schedd")
        ... except TypeError as e:
        ...     print(e)
        daemon_type must be an htcondor.DaemonTypes, not str
        >>> htcondor.Collector().locate(htcondor.DaemonTypes.Schedd)["MyAddress"]  # doctest: +SKIP
        '<127.0.0.1:40203?addrs=127.0.0.1-40203&alias=host.example.org>'
        """
        ad_type, _, _ = _daemon(daemon_type)
        if name is not None and not isinstance(name, str):
            raise TypeError(f"name must be a string, not {type(name).__name__}")
        if name:
            found = self.query(ad_type, f"stricmp(Name, {classad.quote(name)}) == 0", _LOCATION_ATTRS)
            if found:
                return found[0]
            raise HTCondorLocateError("Unable to find daemon.")
        if not self._default:
            found = self.query(ad_type, "true")
            if found:
                return found[0]
            raise HTCondorLocateError("Unable to find daemon.")
        return self._locate_local(daemon_type)

    def _locate_local(self, daemon_type: DaemonTypes) -> classad.ClassAd:
        _, my_type, subsys = _daemon(daemon_type)
        address = local_daemon_address(subsys) if subsys else None
        if subsys == "COLLECTOR" and address is None:
            try:
                hosts = self._addresses()
            except HTCondorLocateError:
                hosts = []
            address = hosts[0] if hosts and not hosts[0].endswith(":0") else None
        if address is None:
            raise HTCondorLocateError("Unable to locate local daemon")
        sinful = Sinful.parse(address) if address.startswith("<") else None
        if sinful is None:
            address = str(Sinful.parse(address))
        host = _config("FULL_HOSTNAME") or (sinful.params.get("alias") if sinful else None) \
            or Sinful.parse(address).host
        # the name the daemon advertised; else its configured name, completed as HTCondor does
        name = self._name_from_collector(daemon_type, address)
        if name is None:
            name = (_config(f"{subsys}_NAME") if subsys else None) or host
            if "@" not in name and name != host:
                name = f"{name}@{host}"
        return classad.ClassAd({
            "MyAddress": address, "Name": name, "Machine": host, "CondorVersion": _CONDOR_VERSION,
            "MyType": my_type, "CondorPlatform": _CONDOR_PLATFORM,
        })

    def _name_from_collector(self, daemon_type: DaemonTypes, address: str) -> str | None:
        """The Name the collector has for the daemon at ``address``; None when it cannot tell."""
        ad_type, _, _ = _daemon(daemon_type)
        try:
            found = self.query(ad_type, f"MyAddress == {classad.quote(address)}", ["Name"])
        except (HTCondorIOError, HTCondorLocateError):
            return None
        names = [ad.get("Name") for ad in found]
        return names[0] if names and isinstance(names[0], str) else None

    def directQuery(self, daemon_type: DaemonTypes, name: str = "", projection: list | None = None,
                    statistics: str = "") -> classad.ClassAd:
        """The ad a daemon publishes, asked of the daemon itself.

        The daemon is found with :meth:`locate` and sent the collector's
        query for its type of ad.  The daemons of this pool that do not
        answer queries themselves (the collector does) are looked up in the
        collector instead, which holds the ad they last sent.

        Raises
        ------
        HTCondorLocateError
            When there is no such daemon.
        HTCondorIOError
            When it cannot be reached.

        >>> import htcondor
        >>> try:
        ...     htcondor.Collector("127.0.0.1:1").directQuery(htcondor.DaemonTypes.Any)
        ... except htcondor.HTCondorEnumError as e:
        ...     print(e)
        Unknown daemon type.
        >>> htcondor.Collector().directQuery(htcondor.DaemonTypes.Schedd, projection=["TotalJobAds"])  # doctest: +SKIP
        [ TotalJobAds = 0 ]
        """
        ad_type, _, _ = _daemon(daemon_type)
        location = self.locate(daemon_type, name)
        attrs = _projection(projection)
        command = _QUERY_COMMAND[ad_type]
        try:
            found = self._query(command, {"constraint": "", "projection": attrs}, [location["MyAddress"]])
        except HTCondorReplyError:
            # the daemon has no query command of its own: ask the collector for its ad
            where = Collector(self._hosts) if self._hosts is not None else Collector()
            located_name = location.get("Name")
            constraint = f"Name == {classad.quote(located_name)}" if isinstance(located_name, str) else ""
            found = where.query(ad_type, constraint, attrs)
        if not found:
            raise HTCondorLocateError("Unable to find daemon.")
        return found[0]

    def advertise(self, ad_list: list, command: str = "UPDATE_AD_GENERIC", use_tcp: bool = True) -> None:
        """Send ads to the collector: updates (``UPDATE_*``) or invalidations (``INVALIDATE_*``).

        Parameters
        ----------
        ad_list:
            The ClassAds (or dicts) to send.  An update stores each ad under
            its ``Name``; an invalidation removes the ads named by each ad's
            ``Name`` or, without one, those matching its ``Requirements``.
        command:
            The collector command, by name (any case).
        use_tcp:
            Accepted for compatibility; this pool always uses TCP.

        Raises
        ------
        HTCondorEnumError
            For a name that is not a collector command.
        NotImplementedError
            For ``UPDATE_STARTD_AD_WITH_ACK``, as in the official client.
        HTCondorIOError
            When no collector takes the ads, or for a collector command
            this pool's collector does not implement (queries, CCB...).

        >>> import htcondor, classad
        >>> try:
        ...     htcondor.Collector("127.0.0.1:1").advertise([classad.ClassAd()], "NOT_A_COMMAND")
        ... except htcondor.HTCondorEnumError as e:
        ...     print(e)
        Invalid command NOT_A_COMMAND
        >>> ad = classad.ClassAd({"MyType": "Generic", "Name": "example"})
        >>> htcondor.Collector().advertise([ad])  # doctest: +SKIP
        """
        if not isinstance(command, str):
            raise TypeError("command must be a string")
        upper = command.upper()
        if upper not in _ADVERTISE_COMMANDS:
            raise HTCondorEnumError(f"Invalid command {command}")
        if upper == "UPDATE_STARTD_AD_WITH_ACK":
            raise NotImplementedError("Startd-with-ack protocol is not implemented at this time.")
        ads = []
        for ad in ad_list:
            if isinstance(ad, Mapping) and not isinstance(ad, classad.ClassAd):
                ad = classad.ClassAd(dict(ad))
            if not isinstance(ad, classad.ClassAd):
                raise TypeError(f"ad_list must hold ClassAds, not {type(ad).__name__}")
            ads.append(ad)
        if not ads:
            return
        if upper in _STORING_COMMANDS:
            requests = [(upper, {"ads": [encode_ad(ad) for ad in ads]})]
        elif upper in _INVALIDATING_COMMANDS:
            requests = []
            for ad in ads:
                name = ad.get("Name")
                if isinstance(name, str):
                    requests.append((upper, {"name": name}))
                elif "Requirements" in ad:
                    requests.append((upper, {"constraint": str(ad.lookup("Requirements"))}))
                # HTCondor's collector ignores an invalidation with neither
        else:
            raise HTCondorIOError(f"Failed to advertise to collector: this pool's collector does not take {upper}")
        for address in self._addresses():
            try:
                conn = DaemonConnection(address, timeout=_TIMEOUT)
            except (HTCondorIOError, HTCondorValueError) as e:
                raise HTCondorIOError(f"Failed to advertise to collector: no collector answers at {address}. "
                                      f"{_HOW_TO_START} ({e})") from None
            with conn:
                for cmd, args in requests:
                    try:
                        conn.request(cmd, args)
                    except HTCondorIOError as e:
                        raise HTCondorIOError(f"Failed to advertise to collector: {e}") from None
