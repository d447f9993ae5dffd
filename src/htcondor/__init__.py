"""The ``htcondor`` module: the client API of HTCondor and a pool of its own.

It provides the parts that work without a pool -- the configuration
(``param``, ``reload_config``, ``set_subsystem``), the submit language
(``Submit``) and job event logs (``JobEventLog``) -- and the clients of a
pool's daemons (``Collector``, ``Schedd``...), with a pool of its own to
talk to: personal pools (:mod:`htcondor.personal`), whose daemons run jobs
as local processes.  Each part is checked against the official module.

Importing it reads the HTCondor configuration, as the official module does.
In the official bindings the import also switches the ``classad`` module to
HTCondor's ClassAd semantics; this project's ``classad`` always uses them.

>>> import htcondor
>>> htcondor.__version__
'0.1.0'
"""

from __future__ import annotations

import classad  # noqa: F401  (HTCondor's ClassAd semantics; always on here)

from ._claim import Claim
from ._collector import Collector
from ._config import Configuration as _Configuration
from ._credd import CredCheck, Credd, CredStatus, CredTypes
from ._daemon_commands import (
    DaemonCommands,
    enable_classad_extensions,
    platform,
    send_alive,
    send_command,
    set_ready_state,
    version,
)
from ._enums import (
    AdTypes,
    DaemonTypes,
    DrainTypes,
    JobAction,
    JobStatus,
    QueryOpts,
    SubsystemType,
    TransactionFlags,
    VacateTypes,
)
from ._errors import (
    HTCondorEnumError,
    HTCondorException,
    HTCondorInternalError,
    HTCondorIOError,
    HTCondorLocateError,
    HTCondorReplyError,
    HTCondorTypeError,
    HTCondorValueError,
)
from ._event import JobEvent
from ._event_iterator import EventIterator, read_events
from ._event_types import FileTransferEventType, JobEventType
from ._eventlog_reader import JobEventLog
from ._job_queue_reader import EntryType, LogReader
from ._lock import FileLock, LockType, ProvisionerState, lock
from ._negotiator_client import Negotiator
from ._param import _Param
from ._param import reload_config as _reload_config
from ._param import set_subsystem as _set_subsystem
from ._query_iterator import BlockingMode, BulkQueryIterator, HistoryIterator, QueryIterator, poll
from ._remote_param import RemoteParam
from ._schedd import EditResult, Schedd, SubmitResult, Transaction
from ._schedd_negotiate import ResourceRequestIterator, ScheddNegotiate
from ._secman import SecMan
from ._startd_client import Startd
from ._submit import QueueItemsIterator, Submit, SubmitJobsIterator
from ._token import Token, TokenRequest
from ._tool_log import LogLevel, enable_debug, enable_log, log

__all__ = [
    "AdTypes", "Collector", "DaemonTypes", "DrainTypes", "FileTransferEventType", "HTCondorEnumError",
    "HTCondorException", "HTCondorIOError", "HTCondorInternalError", "HTCondorLocateError", "HTCondorReplyError",
    "HTCondorTypeError", "HTCondorValueError", "JobAction", "JobEvent", "JobEventLog", "JobEventType", "JobStatus",
    "QueryOpts", "QueueItemsIterator", "Submit", "SubmitJobsIterator", "SubsystemType", "TransactionFlags",
    "VacateTypes", "param", "reload_config", "set_subsystem", "Schedd", "SubmitResult", "Transaction",
    "EditResult",
    "BlockingMode", "BulkQueryIterator", "EntryType", "EventIterator", "HistoryIterator", "LogReader",
    "QueryIterator", "poll", "read_events",
    "Negotiator", "Startd", "Claim", "ScheddNegotiate", "ResourceRequestIterator",
    "CredCheck", "CredStatus", "CredTypes", "Credd", "FileLock", "LockType", "ProvisionerState", "Token",
    "TokenRequest", "lock",
    "DaemonCommands", "LogLevel", "RemoteParam", "SecMan", "enable_classad_extensions", "enable_debug",
    "enable_log", "log", "platform", "send_alive", "send_command", "set_ready_state", "version",
]

__version__ = "0.1.0"

# The process's configuration, read at import as HTCondor's own tools do.
_configuration = _Configuration()
param = _Param(_configuration)


def reload_config() -> None:
    """Read the HTCondor configuration again from its files; in-memory assignments to ``param`` are dropped.

    >>> import htcondor
    >>> htcondor.param["EXAMPLE_KNOB"] = "1"
    >>> htcondor.reload_config()
    >>> htcondor.param.get("EXAMPLE_KNOB") is None
    True
    """
    _reload_config(_configuration)


def set_subsystem(subsystem: str, type: SubsystemType | None = None) -> None:
    """Set the process's subsystem name: ``SUBSYS.NAME`` definitions of that subsystem win from now on.

    Parameters
    ----------
    subsystem:
        The name, such as ``"SCHEDD"`` or ``"TOOL"`` (the default of a Python process).
    type:
        The :class:`SubsystemType`; inferred from the name when omitted.

    >>> import htcondor
    >>> htcondor.param["SCHEDD.EXAMPLE"] = "for the schedd"
    >>> htcondor.param["EXAMPLE"] = "for everyone"
    >>> htcondor.set_subsystem("SCHEDD"); htcondor.param["EXAMPLE"]
    'for the schedd'
    >>> htcondor.set_subsystem("TOOL"); htcondor.param["EXAMPLE"]
    'for everyone'
    """
    _set_subsystem(_configuration, subsystem, type)
