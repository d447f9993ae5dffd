"""Security: the client's :class:`SecMan`, and the daemons' side of it (authorization levels, ``DC_SEC_QUERY``).

This pool's daemons listen on 127.0.0.1 only and learn who a client is
from the kernel -- the owner of the client's end of the socket -- as
HTCondor's ``FS`` method checks a local user, so a tool is always
identified as ``user@$(UID_DOMAIN)`` by ``FS``.  There is no negotiation of keys:
a *session* here is the record a client keeps of the daemons it has asked
about, which :meth:`SecMan.ping` reports and
:meth:`SecMan.invalidateAllSessions` forgets.

Authorization follows HTCondor's levels: a command belongs to a level
(``READ``, ``WRITE``, ``ADMINISTRATOR``, ``CONFIG``, ``DAEMON``...), and
``ALLOW_<LEVEL>``/``DENY_<LEVEL>`` (also ``<SUBSYS>.ALLOW_<LEVEL>``) say who
holds it, as ``user@domain/host`` patterns; ``ADMINISTRATOR`` and ``DAEMON``
imply ``WRITE``, which implies ``READ``.  An undefined ``ALLOW_<LEVEL>``
allows everyone, except for ``CONFIG``, which nobody holds unless
``ALLOW_CONFIG`` says so.

>>> import htcondor
>>> htcondor.SecMan().getCommandString(60011)
'DC_NOP'
"""

from __future__ import annotations

import fnmatch
import itertools
import os
import socket
import threading
import time

import classad

from ._client import DaemonConnection
from ._daemon_commands import COMMAND_NAMES, command_name, command_number
from ._errors import HTCondorException, HTCondorIOError, HTCondorValueError

__all__ = ["SecMan", "command_level", "is_authorized", "settable", "sec_query_ad", "LEVELS"]

LEVELS = ("READ", "WRITE", "ADMINISTRATOR", "CONFIG", "OWNER", "DAEMON", "NEGOTIATOR",
          "ADVERTISE_MASTER", "ADVERTISE_STARTD", "ADVERTISE_SCHEDD")
# A level and the levels whose holders hold it too (HTCondor's hierarchy).
_IMPLIED_BY = {
    "READ": ("READ", "WRITE", "ADMINISTRATOR", "DAEMON", "NEGOTIATOR"),
    "WRITE": ("WRITE", "ADMINISTRATOR", "DAEMON"),
}
# The level of the commands whose level is not READ (the default): HTCondor's registrations.
_COMMAND_LEVEL = {
    "DC_NOP_WRITE": "WRITE", "DC_NOP_NEGOTIATOR": "NEGOTIATOR", "DC_NOP_ADMINISTRATOR": "ADMINISTRATOR",
    "DC_NOP_OWNER": "OWNER", "DC_NOP_CONFIG": "CONFIG", "DC_NOP_DAEMON": "DAEMON",
    "DC_NOP_ADVERTISE_STARTD": "ADVERTISE_STARTD", "DC_NOP_ADVERTISE_SCHEDD": "ADVERTISE_SCHEDD",
    "DC_NOP_ADVERTISE_MASTER": "ADVERTISE_MASTER",
    "DC_RECONFIG": "ADMINISTRATOR", "DC_RECONFIG_FULL": "ADMINISTRATOR", "DC_OFF_GRACEFUL": "ADMINISTRATOR",
    "DC_OFF_FAST": "ADMINISTRATOR", "DC_OFF_PEACEFUL": "ADMINISTRATOR", "DC_OFF_FORCE": "ADMINISTRATOR",
    "DC_SET_PEACEFUL_SHUTDOWN": "ADMINISTRATOR", "DC_SET_FORCE_SHUTDOWN": "ADMINISTRATOR",
    "DC_CONFIG_PERSIST": "DAEMON", "DC_CONFIG_RUNTIME": "DAEMON", "DC_CHILDALIVE": "DAEMON",
    "DC_SET_READY": "DAEMON",
    "DAEMONS_ON": "ADMINISTRATOR", "DAEMONS_OFF": "ADMINISTRATOR", "DAEMONS_OFF_FAST": "ADMINISTRATOR",
    "DAEMONS_OFF_PEACEFUL": "ADMINISTRATOR", "DAEMON_ON": "ADMINISTRATOR", "DAEMON_OFF": "ADMINISTRATOR",
    "DAEMON_OFF_FAST": "ADMINISTRATOR", "DAEMON_OFF_PEACEFUL": "ADMINISTRATOR", "RESTART": "ADMINISTRATOR",
    "RESTART_PEACEFUL": "ADMINISTRATOR", "MASTER_OFF": "ADMINISTRATOR", "MASTER_OFF_FAST": "ADMINISTRATOR",
    "RECONFIG": "ADMINISTRATOR", "QUEUE_SUPER_USERS": "ADMINISTRATOR",
    "UPDATE_STARTD_AD": "ADVERTISE_STARTD", "UPDATE_SCHEDD_AD": "ADVERTISE_SCHEDD",
    "UPDATE_MASTER_AD": "ADVERTISE_MASTER", "UPDATE_SUBMITTOR_AD": "ADVERTISE_SCHEDD",
    "UPDATE_NEGOTIATOR_AD": "DAEMON", "UPDATE_COLLECTOR_AD": "DAEMON", "UPDATE_AD_GENERIC": "DAEMON",
    "RESCHEDULE": "WRITE", "ACT_ON_JOBS": "WRITE", "QMGMT_WRITE_CMD": "WRITE", "SPOOL_JOB_FILES": "WRITE",
    "SPOOL_JOB_FILES_WITH_PERMS": "WRITE", "TRANSFER_DATA": "WRITE", "TRANSFER_DATA_WITH_PERMS": "WRITE",
    "NEGOTIATE": "NEGOTIATOR", "PERMISSION_AND_AD": "NEGOTIATOR",
    "SET_PRIORITY": "ADMINISTRATOR", "SET_PRIORITYFACTOR": "ADMINISTRATOR", "RESET_USAGE": "ADMINISTRATOR",
    "RESET_ALL_USAGE": "ADMINISTRATOR", "DELETE_USER": "ADMINISTRATOR", "SET_ACCUMUSAGE": "ADMINISTRATOR",
    "SET_BEGINTIME": "ADMINISTRATOR", "SET_LASTTIME": "ADMINISTRATOR", "SET_CEILING": "ADMINISTRATOR",
    "DRAIN_JOBS": "ADMINISTRATOR", "CANCEL_DRAIN_JOBS": "ADMINISTRATOR",
    "REQUEST_CLAIM": "DAEMON", "ACTIVATE_CLAIM": "DAEMON", "DEACTIVATE_CLAIM": "DAEMON",
    "DEACTIVATE_CLAIM_FORCIBLY": "DAEMON", "RELEASE_CLAIM": "DAEMON", "SUSPEND_CLAIM": "DAEMON",
    "CONTINUE_CLAIM": "DAEMON", "CA_CMD": "WRITE",
}


def command_level(command: str) -> str:
    """The authorization level a command needs (``READ`` unless HTCondor registers it higher).

    >>> command_level("DC_NOP"), command_level("DC_OFF_FAST"), command_level("DC_NOP_CONFIG")
    ('READ', 'ADMINISTRATOR', 'CONFIG')
    """
    return _COMMAND_LEVEL.get(command.upper(), "READ")


def _lookup(config, name: str) -> str | None:
    """A list-valued knob, expanded; None when undefined."""
    raw = config.raw(name)
    if raw is None:
        return None
    return config.expand(raw)


def _entries(text: str) -> list[str]:
    return [e for e in text.replace(",", " ").split() if e]


def _host_names() -> set[str]:
    names = {"127.0.0.1", "localhost", "::1"}
    try:
        names.add(socket.gethostname())
        names.add(socket.getfqdn())
    except OSError:
        pass
    return {n.lower() for n in names}


def _entry_matches(entry: str, user: str, hosts: set[str]) -> bool:
    if "/" in entry:
        user_part, host_part = entry.split("/", 1)
    elif "@" in entry:
        user_part, host_part = entry, "*"
    else:
        user_part, host_part = "*", entry
    if user_part != "*":
        candidates = {user.lower(), user.split("@")[0].lower()}
        pattern = user_part.lower()
        if "@" not in pattern:
            pattern += "@*"
        if not any(fnmatch.fnmatchcase(c if "@" in c else c + "@", pattern) for c in candidates):
            return False
    if host_part == "*":
        return True
    host_part = host_part.lower()
    if "/" in host_part or host_part.endswith(".*") or "*" in host_part:
        return any(fnmatch.fnmatchcase(h, host_part.replace("/", "")) for h in hosts)
    return host_part in hosts


def is_authorized(config, level: str, user: str) -> bool:
    """Whether ``user`` (as ``name@domain``) connecting from this host holds ``level``.

    ``config`` is a :class:`htcondor._config.Configuration`; ``DENY_<LEVEL>``
    wins over ``ALLOW_<LEVEL>``.

    >>> from htcondor._config import Configuration
    >>> config = Configuration(environ={"CONDOR_CONFIG": "/dev/null"})
    >>> is_authorized(config, "READ", "alice@family"), is_authorized(config, "CONFIG", "alice@family")
    (True, False)
    >>> config.set("ALLOW_CONFIG", "alice@*")
    >>> is_authorized(config, "CONFIG", "alice@family"), is_authorized(config, "CONFIG", "bob@family")
    (True, False)
    """
    hosts = _host_names()
    for granting in _IMPLIED_BY.get(level, (level,)):
        deny = _lookup(config, f"DENY_{granting}")
        if deny and any(_entry_matches(e, user, hosts) for e in _entries(deny)):
            continue
        allow = _lookup(config, f"ALLOW_{granting}")
        if allow is None:
            if granting == level and level != "CONFIG":
                return True
            continue
        if any(_entry_matches(e, user, hosts) for e in _entries(allow)):
            return True
    return False


def settable(config, name: str, user: str) -> bool:
    """Whether ``user`` may set configuration ``name`` at run time (HTCondor's ``SETTABLE_ATTRS_<LEVEL>``).

    True when, for some level, ``SETTABLE_ATTRS_<LEVEL>`` lists ``name``
    (``*`` wildcards allowed) and the user holds that level.

    >>> from htcondor._config import Configuration
    >>> config = Configuration(environ={"CONDOR_CONFIG": "/dev/null"})
    >>> config.set("SETTABLE_ATTRS_ADMINISTRATOR", "SCHEDD_INTERVAL, MY_*")
    >>> config.set("ALLOW_ADMINISTRATOR", "*")
    >>> settable(config, "my_knob", "alice@family"), settable(config, "START", "alice@family")
    (True, False)
    """
    for level in LEVELS:
        listed = _lookup(config, f"SETTABLE_ATTRS_{level}")
        if not listed:
            continue
        if any(fnmatch.fnmatchcase(name.upper(), p.upper()) for p in _entries(listed)) \
                and is_authorized(config, level, user):
            return True
    return False


def _methods(text: str) -> list[str]:
    return [m.upper() for m in _entries(text)]


def sec_query_ad(daemon, request, command: str) -> dict:
    """The daemon's answer to ``DC_SEC_QUERY``: what a session for ``command`` from this client would be.

    ``daemon`` is the :class:`htcondor._daemon_core.Daemon` answering; the
    request's ``methods`` argument lists the client's authentication
    methods.  Raises :class:`HTCondorIOError` when none of them is one this
    daemon can use (``FS``).
    """
    # A client that pings is a tool, not one of the pool's daemons: it is identified with FS (the
    # kernel's word on who owns the socket), whatever user it runs as.
    client = _methods(request.args.get("methods") or "FS")
    server = _methods(str(daemon.param("SEC_DEFAULT_AUTHENTICATION_METHODS", "FS,TOKEN")))
    if not ("FS" in client and "FS" in server):
        raise HTCondorIOError(f"no authentication method in common: the client offers {','.join(client)}, and this "
                              f"pool's daemons authenticate a local user with FS only")
    method = "FS"
    user = f"{request.user}@{daemon.param('UID_DOMAIN', daemon.hostname)}"
    level = command_level(command)
    authorized = is_authorized(daemon.config, level, user)
    valid = sorted({number for name in daemon.handlers for number in [_number_or_none(name)]
                    if number is not None and is_authorized(daemon.config, command_level(name), user)})
    now = int(time.time())
    duration = int(daemon.param("SEC_DEFAULT_SESSION_DURATION", 86400) or 86400)
    return {
        "AuthCommand": command_number(command),
        "AuthMethods": method,
        "AuthMethodsList": ",".join(dict.fromkeys(server)),
        "Authentication": "YES",
        "AuthorizationSucceeded": authorized,
        "CryptoMethods": "",
        "Encryption": "NO",
        "Integrity": "NO",
        "MyRemoteUserName": user,
        "RemoteVersion": "$CondorVersion: 24.0.24 2025-01-01 BuildID: htcondor-python $",
        "ServerPid": os.getpid(),
        "SessionDuration": str(duration),
        "SessionExpires": now + duration,
        "SessionLease": 3600,
        "TriedAuthentication": True,
        "User": user,
        "ValidCommands": ",".join(str(n) for n in valid),
    }


def _number_or_none(name: str) -> int | None:
    try:
        return command_number(name)
    except HTCondorException:
        return None


# -- the client -------------------------------------------------------------------------------

_sessions_lock = threading.Lock()
_sessions: dict[tuple[str, str], str] = {}   # (tag, daemon address) -> session id
_session_counter = itertools.count(1)


class SecMan:
    """The client's security state: sessions with daemons, and settings that last while the object lives.

    A :class:`SecMan` is also a context manager: settings made with
    :meth:`setConfig`, :meth:`setTag` and the credential setters apply to
    the connections this object makes and are dropped at the end of the
    ``with`` block.

    >>> import htcondor
    >>> with htcondor.SecMan() as secman:
    ...     secman.setConfig("SEC_CLIENT_AUTHENTICATION_METHODS", "FS")
    ...     secman.getCommandString(453)
    'RESTART'
    """

    def __init__(self) -> None:
        self._config: dict[str, str] = {}
        self._tag: str | None = None
        self._token = None
        self._pool_password: str | None = None

    def __enter__(self) -> SecMan:
        return self

    def __exit__(self, *exc) -> None:
        self._config.clear()
        self._tag = None
        self._token = None
        self._pool_password = None

    def _client_methods(self) -> str:
        import htcondor

        for name in ("SEC_CLIENT_AUTHENTICATION_METHODS", "SEC_DEFAULT_AUTHENTICATION_METHODS"):
            if name in self._config:
                return self._config[name]
            value = htcondor.param.get(name)
            if value:
                return str(value)
        return "FS,TOKEN"

    def ping(self, ad, command="DC_NOP") -> classad.ClassAd:
        """Ask a daemon whether this client would be authorized for ``command``, and about the session.

        Parameters
        ----------
        ad:
            The daemon's location ad (with ``MyAddress``), or its address as a string.
        command:
            The command to try, by name (``"DC_NOP"``, ``"WRITE"``-level ``"DC_NOP_WRITE"``...) or number.

        Returns
        -------
        classad.ClassAd
            The session: ``AuthMethods`` (how this client was identified:
            always ``FS`` here), ``MyRemoteUserName``
            and ``User`` (who the daemon takes the client to be),
            ``AuthorizationSucceeded``, ``ValidCommands`` (the numbers of the
            daemon's commands this client may send), ``Sid``,
            ``RemoteVersion``, ``SessionExpires``...

        Raises
        ------
        HTCondorEnumError
            When ``command`` is not one of HTCondor's command names.
        HTCondorValueError
            When the ad has no ``MyAddress``.
        HTCondorIOError
            When the daemon cannot be reached, or no authentication method is in common.

        >>> import htcondor
        >>> try:
        ...     htcondor.SecMan().ping("<127.0.0.1:1>", "NO_SUCH_COMMAND")
        ... except htcondor.HTCondorEnumError as e:
        ...     print(e)
        Unable to determine DaemonCore command value
        """
        if isinstance(command, bool) or not isinstance(command, (int, str)):
            raise TypeError(f"the command is a name or a number, not {type(command).__name__}")
        number = command_number(command)
        if isinstance(ad, classad.ClassAd):
            address = ad.get("MyAddress")
            if not isinstance(address, str) or not address:
                raise HTCondorValueError("Daemon address not specified.")
        elif isinstance(ad, str):
            address = ad
        else:
            raise TypeError(f"ping() takes a location ClassAd or an address, not {type(ad).__name__}")
        name = COMMAND_NAMES.get(number, str(number))
        try:
            connection = DaemonConnection(address, timeout=20)
        except HTCondorException:
            raise HTCondorIOError("Unable to connect to daemon.") from None
        with connection:
            try:
                reply = connection.request("DC_SEC_QUERY", {"command": name, "methods": self._client_methods()})
            except HTCondorException as e:
                raise HTCondorIOError(f"Unable to send security query to daemon. ({e})") from None
        tag = self._tag or ""
        with _sessions_lock:
            sid = _sessions.get((tag, address))
            if sid is None:
                sid = f"{socket.gethostname()}:{os.getpid()}:{int(time.time())}:{next(_session_counter)}"
                _sessions[(tag, address)] = sid
        result = classad.ClassAd()
        for key, value in reply.get("ad", {}).items():
            result[key] = value
        result["Sid"] = sid
        if tag:
            result["Tag"] = tag
        return result

    def getCommandString(self, command_int: int) -> str:
        """HTCondor's name of the command numbered ``command_int``.

        Raises
        ------
        HTCondorValueError
            When HTCondor has no such command (the official module fails with a ``RuntimeError``; this
            exception is one).

        >>> import htcondor
        >>> htcondor.SecMan().getCommandString(60012)
        'DC_RECONFIG_FULL'
        """
        if isinstance(command_int, bool) or not isinstance(command_int, int):
            raise TypeError(f"getCommandString() takes an integer, not {type(command_int).__name__}")
        return command_name(command_int)

    def invalidateAllSessions(self) -> None:
        """Forget every session this process holds; the next :meth:`ping` of a daemon starts a new one.

        >>> import htcondor
        >>> htcondor.SecMan().invalidateAllSessions()
        """
        with _sessions_lock:
            _sessions.clear()

    def setConfig(self, key: str, value: str) -> None:
        """Set a security knob (``SEC_CLIENT_AUTHENTICATION_METHODS``...) for this object's connections.

        >>> import htcondor
        >>> htcondor.SecMan().setConfig("SEC_CLIENT_AUTHENTICATION_METHODS", "FS")
        """
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError("setConfig() takes a name and a value, both strings")
        self._config[key.upper()] = value

    def setTag(self, tag: str) -> None:
        """Keep this object's sessions apart from others': sessions made under a tag are used only under it.

        >>> import htcondor
        >>> htcondor.SecMan().setTag("batch-1")
        """
        if not isinstance(tag, str):
            raise TypeError(f"setTag() takes a string, not {type(tag).__name__}")
        self._tag = tag

    def setToken(self, token) -> None:
        """Use ``token`` (a :class:`htcondor.Token`) when a daemon asks for ``TOKEN`` authentication.

        This pool's daemons identify a local user with ``FS``, which comes
        first in HTCondor's default method list, so a token is kept but not
        needed; a client limited to ``TOKEN`` cannot reach them (:meth:`ping`
        raises).

        >>> import htcondor
        >>> htcondor.SecMan().setToken(htcondor.Token("eyJhbGciOiJIUzI1NiJ9.e30.c2ln"))
        """
        from ._token import Token

        if not isinstance(token, Token):
            raise TypeError(f"setToken() takes an htcondor.Token, not {type(token).__name__}")
        self._token = token

    def setPoolPassword(self, new_pass: str) -> None:
        """Use ``new_pass`` for ``PASSWORD`` authentication; kept, as this pool's daemons use ``FS``.

        >>> import htcondor
        >>> htcondor.SecMan().setPoolPassword("secret")
        """
        if not isinstance(new_pass, str):
            raise TypeError(f"setPoolPassword() takes a string, not {type(new_pass).__name__}")
        self._pool_password = new_pass

    def setGSICredential(self, filename: str) -> None:
        """Not supported: GSI authentication is gone from HTCondor 24 and from this pool; always raises.

        Raises
        ------
        HTCondorIOError
            Always.

        >>> import htcondor
        >>> try:
        ...     htcondor.SecMan().setGSICredential("/tmp/x509up_u1000")
        ... except htcondor.HTCondorIOError as e:
        ...     print(e)
        GSI credentials cannot be used: this pool has no GSI (removed in HTCondor 24)
        """
        if not isinstance(filename, str):
            raise TypeError(f"setGSICredential() takes a file name, not {type(filename).__name__}")
        raise HTCondorIOError("GSI credentials cannot be used: this pool has no GSI (removed in HTCondor 24)")
