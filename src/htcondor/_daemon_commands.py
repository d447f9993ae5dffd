"""Commands to the pool's daemons: :func:`send_command`, :class:`DaemonCommands`, and their kin.

HTCondor identifies each command a daemon accepts by a number and a name
(``DC_RECONFIG_FULL`` is 60012); this pool's daemons receive the names.
:func:`send_command` turns a :class:`DaemonCommands` member into its
command and sends it to the daemon a location ad names -- a master for
``DaemonOff``/``DaemonsOff``/``Restart``, any daemon for ``Reconfig`` and
the ``Off*`` commands.  :func:`send_alive` and :func:`set_ready_state` are
what a program run by the master (``DAEMON_LIST``) tells it: that it is
alive, that it is ready.  :func:`version` and :func:`platform` name this
package as HTCondor's strings name a build.

>>> import htcondor
>>> int(htcondor.DaemonCommands.Reconfig), str(htcondor.DaemonCommands.Reconfig)
(60012, 'Reconfig')
>>> command_name(60012)
'DC_RECONFIG_FULL'
"""

from __future__ import annotations

import os
import platform as _platform

import classad

from ._client import DaemonConnection
from ._enums import HTCondorEnum, add_tables
from ._errors import HTCondorEnumError, HTCondorException, HTCondorIOError, HTCondorReplyError, HTCondorValueError

__all__ = ["DaemonCommands", "send_command", "send_alive", "set_ready_state", "platform", "version",
           "enable_classad_extensions", "COMMAND_NAMES", "command_name", "command_number", "inherited_parent"]

# HTCondor's command table: number -> name, as the official SecMan.getCommandString gives them.
COMMAND_NAMES: dict[int, str] = {
    0: "UPDATE_STARTD_AD", 1: "UPDATE_SCHEDD_AD", 2: "UPDATE_MASTER_AD", 4: "UPDATE_CKPT_SRVR_AD", 5:
    "QUERY_STARTD_ADS", 6: "QUERY_SCHEDD_ADS", 7: "QUERY_MASTER_ADS", 9: "QUERY_CKPT_SRVR_ADS", 10:
    "QUERY_STARTD_PVT_ADS", 11: "UPDATE_SUBMITTOR_AD", 12: "QUERY_SUBMITTOR_ADS", 13: "INVALIDATE_STARTD_ADS",
    14: "INVALIDATE_SCHEDD_ADS", 15: "INVALIDATE_MASTER_ADS", 17: "INVALIDATE_CKPT_SRVR_ADS", 18:
    "INVALIDATE_SUBMITTOR_ADS", 19: "UPDATE_COLLECTOR_AD", 20: "QUERY_COLLECTOR_ADS", 21:
    "INVALIDATE_COLLECTOR_ADS", 22: "QUERY_HIST_STARTD", 23: "QUERY_HIST_STARTD_LIST", 24:
    "QUERY_HIST_SUBMITTOR", 25: "QUERY_HIST_SUBMITTOR_LIST", 26: "QUERY_HIST_GROUPS", 27:
    "QUERY_HIST_GROUPS_LIST", 28: "QUERY_HIST_SUBMITTORGROUPS", 29: "QUERY_HIST_SUBMITTORGROUPS_LIST", 30:
    "QUERY_HIST_CKPTSRVR", 31: "QUERY_HIST_CKPTSRVR_LIST", 42: "UPDATE_LICENSE_AD", 43: "QUERY_LICENSE_ADS", 44:
    "INVALIDATE_LICENSE_ADS", 45: "UPDATE_STORAGE_AD", 46: "QUERY_STORAGE_ADS", 47: "INVALIDATE_STORAGE_ADS",
    48: "QUERY_ANY_ADS", 49: "UPDATE_NEGOTIATOR_AD", 50: "QUERY_NEGOTIATOR_ADS", 51:
    "INVALIDATE_NEGOTIATOR_ADS", 53: "QUERY_MULTIPLE_ADS", 54: "QUERY_MULTIPLE_PVT_ADS", 55: "UPDATE_HAD_AD",
    56: "QUERY_HAD_ADS", 57: "INVALIDATE_HAD_ADS", 58: "UPDATE_AD_GENERIC", 59: "INVALIDATE_ADS_GENERIC", 60:
    "UPDATE_STARTD_AD_WITH_ACK", 67: "CCB_REGISTER", 68: "CCB_REQUEST", 69: "CCB_REVERSE_CONNECT", 70:
    "UPDATE_GRID_AD", 71: "QUERY_GRID_ADS", 72: "INVALIDATE_GRID_ADS", 73: "MERGE_STARTD_AD", 74:
    "QUERY_GENERIC_ADS", 75: "SHARED_PORT_CONNECT", 76: "SHARED_PORT_PASS_SOCK", 77: "UPDATE_ACCOUNTING_AD", 78:
    "QUERY_ACCOUNTING_ADS", 79: "INVALIDATE_ACCOUNTING_ADS", 80: "UPDATE_OWN_SUBMITTOR_AD", 81:
    "IMPERSONATION_TOKEN_REQUEST", 401: "CONTINUE_CLAIM", 402: "SUSPEND_CLAIM", 403: "DEACTIVATE_CLAIM", 404:
    "DEACTIVATE_CLAIM_FORCIBLY", 405: "LOCAL_STATUS", 407: "PERMISSION", 416: "NEGOTIATE", 417: "SEND_JOB_INFO",
    418: "NO_MORE_JOBS", 419: "JOB_INFO", 421: "RESCHEDULE", 425: "END_NEGOTIATE", 426: "REJECTED", 427:
    "X_EVENT_NOTIFICATION", 429: "GET_HISTORY", 435: "REQ_NEW_PROC", 436: "PCKPT_FRGN_JOB", 440: "MATCH_INFO",
    441: "ALIVE", 442: "REQUEST_CLAIM", 443: "RELEASE_CLAIM", 444: "ACTIVATE_CLAIM", 446: "PCKPT_ALL_JOBS", 447:
    "VACATE_ALL_CLAIMS", 448: "GIVE_STATE", 449: "SET_PRIORITY", 451: "GET_PRIORITY", 452: "DAEMONS_OFF_FLEX",
    453: "RESTART", 454: "DAEMONS_OFF", 455: "DAEMONS_ON", 456: "MASTER_OFF", 457: "CONFIG_VAL", 458:
    "RESET_USAGE", 459: "SET_PRIORITYFACTOR", 460: "RESET_ALL_USAGE", 461: "DAEMONS_OFF_FAST", 462:
    "MASTER_OFF_FAST", 463: "GET_RESLIST", 464: "ATTEMPT_ACCESS", 465: "VACATE_CLAIM", 466: "PCKPT_JOB", 467:
    "DAEMON_OFF", 468: "DAEMON_OFF_FAST", 469: "DAEMON_ON", 470: "GIVE_TOTALS_CLASSAD", 472:
    "PERMISSION_AND_AD", 474: "VACATE_ALL_FAST", 475: "VACATE_CLAIM_FAST", 476: "REJECTED_WITH_REASON", 477:
    "START_AGENT", 478: "ACT_ON_JOBS", 479: "STORE_CRED", 480: "SPOOL_JOB_FILES", 482: "DELETE_USER", 483:
    "DAEMON_OFF_PEACEFUL", 484: "DAEMONS_OFF_PEACEFUL", 485: "RESTART_PEACEFUL", 486: "TRANSFER_DATA", 487:
    "UPDATE_GSI_CRED", 488: "SPOOL_JOB_FILES_WITH_PERMS", 489: "TRANSFER_DATA_WITH_PERMS", 490: "CHILD_ON", 491:
    "CHILD_OFF", 492: "CHILD_OFF_FAST", 494: "SET_ACCUMUSAGE", 495: "SET_BEGINTIME", 496: "SET_LASTTIME", 497:
    "STORE_POOL_CRED", 499: "DELEGATE_GSI_CRED_SCHEDD", 500: "DELEGATE_GSI_CRED_STARTER", 501:
    "DELEGATE_GSI_CRED_STARTD", 502: "REQUEST_SANDBOX_LOCATION", 503: "VM_UNIV_GAHP_ERROR", 504:
    "VM_UNIV_VMPID", 505: "VM_UNIV_GUEST_IP", 506: "VM_UNIV_GUEST_MAC", 507: "TRANSFER_QUEUE_REQUEST", 508:
    "SET_SHUTDOWN_PROGRAM", 509: "GET_JOB_CONNECT_INFO", 510: "RECYCLE_SHADOW", 511: "CLEAR_DIRTY_JOB_ATTRS",
    512: "DRAIN_JOBS", 513: "CANCEL_DRAIN_JOBS", 514: "GET_PRIORITY_ROLLUP", 515: "QUERY_SCHEDD_HISTORY", 516:
    "QUERY_JOB_ADS", 518: "SEND_RESOURCE_REQUEST_LIST", 519: "QUERY_JOB_ADS_WITH_AUTH", 520:
    "FETCH_PROXY_DELEGATION", 521: "REASSIGN_SLOT", 522: "COALESCE_SLOTS", 523: "COLLECTOR_TOKEN_REQUEST", 524:
    "GET_CEILING", 525: "SET_CEILING", 526: "EXPORT_JOBS", 527: "IMPORT_EXPORTED_JOB_RESULTS", 528:
    "UNEXPORT_JOBS", 529: "GET_FLOOR", 530: "SET_FLOOR", 531: "DIRECT_ATTACH", 540: "QUERY_USERREC_ADS", 541:
    "ENABLE_USERREC", 542: "DISABLE_USERREC", 543: "EDIT_USERREC", 544: "RESET_USERREC", 549: "DELETE_USERREC",
    700: "HAD_ALIVE_CMD", 701: "HAD_SEND_ID_CMD", 703: "HAD_BEFORE_PASSIVE_STATE", 704:
    "HAD_AFTER_ELECTION_STATE", 705: "HAD_AFTER_LEADER_STATE", 706: "HAD_IN_LEADER_STATE", 800:
    "REPLICATION_TRANSFER_FILE", 801: "REPLICATION_LEADER_VERSION", 802: "REPLICATION_NEWLY_JOINED_VERSION",
    803: "REPLICATION_GIVING_UP_VERSION", 804: "REPLICATION_SOLICIT_VERSION", 805:
    "REPLICATION_SOLICIT_VERSION_REPLY", 806: "REPLICATION_TRANSFER_FILE_NEW", 1000: "CA_AUTH_CMD", 1001:
    "CA_REQUEST_CLAIM", 1002: "CA_RELEASE_CLAIM", 1003: "CA_ACTIVATE_CLAIM", 1004: "CA_DEACTIVATE_CLAIM", 1005:
    "CA_SUSPEND_CLAIM", 1006: "CA_RESUME_CLAIM", 1007: "CA_RENEW_LEASE_FOR_CLAIM", 1009: "CA_UPDATE_MACHINE_AD",
    1010: "CA_BULK_REQUEST", 1111: "QMGMT_READ_CMD", 1112: "QMGMT_WRITE_CMD", 1200: "CA_CMD", 1201:
    "CA_LOCATE_STARTER", 1202: "CA_RECONNECT_JOB", 1500: "STARTER_HOLD_JOB", 1501:
    "CREATE_JOB_OWNER_SEC_SESSION", 1502: "START_SSHD", 1503: "STARTER_PEEK", 60000: "DC_RAISESIGNAL", 60002:
    "DC_CONFIG_PERSIST", 60003: "DC_CONFIG_RUNTIME", 60004: "DC_RECONFIG", 60005: "DC_OFF_GRACEFUL", 60006:
    "DC_OFF_FAST", 60007: "DC_CONFIG_VAL", 60008: "DC_CHILDALIVE", 60009: "DC_SERVICEWAITPIDS", 60010:
    "DC_AUTHENTICATE", 60011: "DC_NOP", 60012: "DC_RECONFIG_FULL", 60013: "DC_FETCH_LOG", 60014:
    "DC_INVALIDATE_KEY", 60015: "DC_OFF_PEACEFUL", 60016: "DC_SET_PEACEFUL_SHUTDOWN", 60017: "DC_TIME_OFFSET",
    60018: "DC_PURGE_LOG", 60020: "DC_NOP_READ", 60021: "DC_NOP_WRITE", 60022: "DC_NOP_NEGOTIATOR", 60023:
    "DC_NOP_ADMINISTRATOR", 60024: "DC_NOP_OWNER", 60025: "DC_NOP_CONFIG", 60026: "DC_NOP_DAEMON", 60027:
    "DC_NOP_ADVERTISE_STARTD", 60028: "DC_NOP_ADVERTISE_SCHEDD", 60029: "DC_NOP_ADVERTISE_MASTER", 60040:
    "DC_SEC_QUERY", 60041: "DC_SET_FORCE_SHUTDOWN", 60042: "DC_OFF_FORCE", 60043: "DC_SET_READY", 60044:
    "DC_QUERY_READY", 60045: "DC_QUERY_INSTANCE", 60046: "DC_GET_SESSION_TOKEN", 60047:
    "DC_START_TOKEN_REQUEST", 60048: "DC_FINISH_TOKEN_REQUEST", 60049: "DC_LIST_TOKEN_REQUEST", 60050:
    "DC_APPROVE_TOKEN_REQUEST", 60051: "DC_AUTO_APPROVE_TOKEN_REQUEST", 60052: "DC_EXCHANGE_SCITOKEN"
}
_COMMAND_NUMBERS = {name: number for number, name in COMMAND_NAMES.items()}


def command_name(number: int) -> str:
    """HTCondor's name of command ``number``.

    Raises
    ------
    HTCondorValueError
        When HTCondor has no command of that number.

    >>> command_name(453)
    'RESTART'
    """
    try:
        return COMMAND_NAMES[int(number)]
    except KeyError:
        raise HTCondorValueError(f"HTCondor has no command numbered {number}") from None


def command_number(command: int | str) -> int:
    """The number of a command given by number or by (case-insensitive) name.

    Raises
    ------
    HTCondorEnumError
        When the name is not one of HTCondor's commands.

    >>> command_number("dc_nop"), command_number(60012)
    (60011, 60012)
    """
    if isinstance(command, int):
        return int(command)
    number = _COMMAND_NUMBERS.get(str(command).upper())
    if number is None:
        raise HTCondorEnumError("Unable to determine DaemonCore command value")
    return number


@add_tables
class DaemonCommands(HTCondorEnum):
    """The state-changing commands :func:`send_command` sends (HTCondor's command numbers).

    ``DaemonOn``/``DaemonOff*`` (with a target) and ``DaemonsOn``/``DaemonsOff*``
    and ``Restart*`` go to a master; ``Reconfig``, ``Off*`` and
    ``Set*Shutdown`` to any daemon (``Off*`` to a master stops the whole pool).

    >>> DaemonCommands.DaemonOff == 467, repr(DaemonCommands.OffFast)
    (True, 'htcondor.htcondor.DaemonCommands.OffFast')
    """

    # declared in the official module's order (its ``names`` table keeps it)
    DaemonsOn = 455
    DaemonsOff = 454
    DaemonsOffFast = 461
    DaemonsOffPeaceful = 484
    DaemonOn = 469
    DaemonOff = 467
    DaemonOffFast = 468
    DaemonOffPeaceful = 483
    OffGraceful = 60005
    OffPeaceful = 60015
    OffFast = 60006
    OffForce = 60042
    SetPeacefulShutdown = 60016
    SetForceShutdown = 60041
    Reconfig = 60012
    Restart = 453
    RestartPeacful = 485  # (sic: the official spelling)


# The MyType of a location ad -> the kind of daemon (HTCondor's table; compared without regard to case).
_DAEMON_OF_MYTYPE = {
    "any": "Any", "machine": "Startd", "startdaemon": "Startd", "machine_private": "Startd", "startd": "Startd",
    "scheduler": "Schedd", "submitter": "Schedd", "daemonmaster": "Master", "collector": "Collector",
    "negotiator": "Negotiator", "accounting": "Negotiator", "had": "HAD", "replication": "Generic",
    "generic": "Generic", "credd": "Credd", "defrag": "Generic", "job_router": "Generic",
}
_SENDABLE = {"Master", "Startd", "Schedd", "Collector", "Negotiator", "Credd", "Generic", "HAD"}


def _address_of(ad, message: str = "Address not available in location ClassAd.") -> str:
    address = ad.get("MyAddress")
    if not isinstance(address, str) or not address:
        raise HTCondorValueError(message)
    return address


def _request(address: str, cmd: str, args: dict, timeout: float = 20.0,
             connect_error: str = "Unable to connect to the remote daemon") -> dict:
    """One request; a connection failure raises ``HTCondorIOError(connect_error)``, a refusal HTCondorReplyError."""
    try:
        connection = DaemonConnection(address, timeout=timeout)
    except HTCondorException:
        raise HTCondorIOError(connect_error) from None
    with connection:
        try:
            return connection.request(cmd, args)
        except HTCondorIOError:
            raise
        except HTCondorException as e:
            raise HTCondorReplyError(f"{cmd} refused by the daemon at {address}: {e}") from None


def send_command(ad: classad.ClassAd, dc: DaemonCommands, target: str | None = None) -> None:
    """Send a state-changing command to the daemon a location ad names.

    Parameters
    ----------
    ad:
        The daemon's location ad (:meth:`Collector.locate`), with ``MyAddress`` and ``MyType``.
    dc:
        The :class:`DaemonCommands` member to send.
    target:
        The daemon a master is to act on, for ``DaemonOn``/``DaemonOff*``
        (and ``Restart`` of one daemon): its ``DAEMON_LIST`` name, such as ``"SCHEDD"``.

    Returns
    -------
    None
        Once the daemon has accepted the command; the stop of a daemon or of
        the pool is then under way.

    Raises
    ------
    HTCondorValueError
        When the ad has no ``MyAddress`` or no ``MyType``.
    HTCondorEnumError
        When ``MyType`` is not a daemon's ad type (``Unknown daemon type.``).
    HTCondorIOError
        When the daemon does not answer.
    HTCondorReplyError
        When the daemon refuses the command (a master asked about a daemon it does not run, say).
        The official module does not wait for an answer and so never raises this.

    >>> import classad, htcondor
    >>> try:
    ...     htcondor.send_command(classad.ClassAd({"MyAddress": "<127.0.0.1:1>"}), htcondor.DaemonCommands.Reconfig)
    ... except htcondor.HTCondorValueError as e:
    ...     print(e)
    Daemon type not available in location ClassAd.
    """
    if not isinstance(ad, classad.ClassAd):
        raise TypeError(f"send_command() takes a location ClassAd, not {type(ad).__name__}")
    if not isinstance(dc, DaemonCommands):
        raise TypeError(f"send_command() takes a DaemonCommands member, not {type(dc).__name__}")
    if target is not None and not isinstance(target, str):
        raise TypeError(f"the target of send_command() is a string, not {type(target).__name__}")
    address = _address_of(ad)
    mytype = ad.get("MyType")
    if not isinstance(mytype, str):
        raise HTCondorValueError("Daemon type not available in location ClassAd.")
    if _DAEMON_OF_MYTYPE.get(mytype.lower()) not in _SENDABLE:
        raise HTCondorEnumError("Unknown daemon type.")
    args = {"daemon": target} if target else {}
    _request(address, COMMAND_NAMES[int(dc)], args)


def inherited_parent() -> tuple[int, str]:
    """(pid, address) of the master that started this process, from ``CONDOR_INHERIT``.

    Raises
    ------
    HTCondorValueError
        When ``CONDOR_INHERIT`` is not set, or names no address.

    >>> import os
    >>> os.environ["CONDOR_INHERIT"] = "4242 <127.0.0.1:9618> 0 0"
    >>> inherited_parent()
    (4242, '<127.0.0.1:9618>')
    >>> del os.environ["CONDOR_INHERIT"]
    """
    inherit = os.environ.get("CONDOR_INHERIT")
    if inherit is None:
        raise HTCondorValueError("CONDOR_INHERIT not in environment.")
    fields = inherit.split()
    if len(fields) < 2 or not fields[0].lstrip("-").isdigit():
        raise HTCondorValueError("CONDOR_INHERIT environment variable malformed.")
    return int(fields[0]), fields[1]


def send_alive(ad: classad.ClassAd | None = None, pid: int | None = None, timeout: int | None = None) -> None:
    """Tell a master that a process it runs is alive (a keep-alive), as HTCondor's daemons do.

    A master that hears nothing more from the process within ``timeout``
    seconds kills it, as a hung daemon (and restarts it, if it is one of
    ``DAEMON_LIST``).

    Parameters
    ----------
    ad:
        The master's location ad; by default the master that started this
        process (from the ``CONDOR_INHERIT`` environment variable).
    pid:
        The process the message is about (default: this one).
    timeout:
        Seconds the message holds (default ``NOT_RESPONDING_TIMEOUT``); at least 1.

    Raises
    ------
    HTCondorValueError
        When no ad is given and ``CONDOR_INHERIT`` is not set, or the ad has no ``MyAddress``.
    HTCondorIOError
        When the message cannot be delivered.

    >>> import os, htcondor
    >>> "CONDOR_INHERIT" in os.environ
    False
    >>> try:
    ...     htcondor.send_alive()
    ... except htcondor.HTCondorValueError as e:
    ...     print(e)
    No location specified and CONDOR_INHERIT not in environment.
    """
    if ad is None:
        if "CONDOR_INHERIT" not in os.environ:
            raise HTCondorValueError("No location specified and CONDOR_INHERIT not in environment.")
        address = inherited_parent()[1]
    else:
        if not isinstance(ad, classad.ClassAd):
            raise TypeError(f"send_alive() takes a location ClassAd, not {type(ad).__name__}")
        address = _address_of(ad)
    pid = os.getpid() if pid is None else int(pid)
    if timeout is None:
        import htcondor
        timeout = int(htcondor.param.get("NOT_RESPONDING_TIMEOUT", 3600))
    timeout = max(int(timeout), 1)
    _request(address, "DC_CHILDALIVE", {"pid": pid, "timeout": timeout},
             connect_error="Failed to deliver keepalive message.")


def set_ready_state(state: str = "Ready") -> None:
    """Tell the master that started this process that it has reached ``state`` (default ``"Ready"``).

    The master records it (its ``QUERY_READY`` answer and ``condor_who``
    show it) and writes it to its log.

    Raises
    ------
    HTCondorValueError
        When ``CONDOR_INHERIT`` is not set (the process was not started by a master).
    HTCondorIOError
        When the message cannot be delivered.

    >>> import htcondor
    >>> try:
    ...     htcondor.set_ready_state()
    ... except htcondor.HTCondorValueError as e:
    ...     print(e)
    CONDOR_INHERIT not in environment.
    """
    if not isinstance(state, str):
        raise TypeError(f"set_ready_state() takes a string, not {type(state).__name__}")
    _, address = inherited_parent()
    import htcondor
    subsys = htcondor._configuration.subsys
    _request(address, "DC_SET_READY", {"pid": os.getpid(), "name": subsys, "state": state or "Ready"},
             connect_error="Failed to deliver ready message.")


def version() -> str:
    """The HTCondor version string this module stands for, in HTCondor's ``$CondorVersion$`` form.

    >>> import htcondor
    >>> htcondor.version().split()[:2]
    ['$CondorVersion:', '24.0.24']
    """
    return "$CondorVersion: 24.0.24 2025-01-01 BuildID: htcondor-python $"


def platform() -> str:
    """The platform string, in HTCondor's ``$CondorPlatform$`` form (machine and operating system).

    >>> import htcondor
    >>> htcondor.platform().startswith("$CondorPlatform: ") and htcondor.platform().endswith(" $")
    True
    """
    return f"$CondorPlatform: {_platform.machine().upper() or 'UNKNOWN'}-{_platform.system() or 'Unknown'} $"


def enable_classad_extensions() -> None:
    """Register HTCondor's ClassAd functions with the ``classad`` module; they are always registered here.

    In the official module this adds HTCondor's own functions (``userMap``,
    ``splitUserName``...) to the ClassAd library; this project's ``classad``
    module has them from the start, so the call only confirms it.

    >>> import htcondor
    >>> htcondor.enable_classad_extensions()
    """
    return None
