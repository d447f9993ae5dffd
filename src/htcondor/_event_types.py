"""The enumerations of job events: :class:`JobEventType` and :class:`FileTransferEventType`.

The numbers are the ones HTCondor writes at the start of each event in a job
event log (``005 (42.000.000) ...`` is a ``JOB_TERMINATED`` event) and the
codes of the file-transfer event.  Like the official enumerations they are
integers, so ``event.type == 5`` and ``event.type == JobEventType.JOB_TERMINATED``
are both true, and both offer the ``names`` and ``values`` lookup tables.

>>> import htcondor
>>> htcondor.JobEventType.JOB_HELD
htcondor.htcondor.JobEventType.JOB_HELD
>>> int(htcondor.JobEventType.JOB_HELD), htcondor.JobEventType.values[12]
(12, htcondor.htcondor.JobEventType.JOB_HELD)
>>> htcondor.FileTransferEventType.names["OUT_FINISHED"] == 6
True
"""

from __future__ import annotations

import enum

__all__ = ["JobEventType", "FileTransferEventType", "MY_TYPES"]


class _CodeEnum(enum.IntEnum):
    """An IntEnum that, like the official ones, also holds numbers it has no name for."""

    @classmethod
    def _missing_(cls, value):
        if not isinstance(value, int) or isinstance(value, bool):
            return None
        pseudo = int.__new__(cls, value)
        pseudo._name_ = None
        pseudo._value_ = value
        return pseudo

    def __repr__(self) -> str:
        if self._name_ is None:
            return f"htcondor.htcondor.{type(self).__name__}({int(self)})"
        return f"htcondor.htcondor.{type(self).__name__}.{self._name_}"

    def __str__(self) -> str:
        return self._name_ if self._name_ is not None else repr(self)

    __format__ = int.__format__

    def __reduce_ex__(self, protocol):
        return type(self), (int(self),)


class JobEventType(_CodeEnum):
    """The type of a job event, as numbered in the event log (``ULogEventNumber`` in HTCondor).

    A number HTCondor does not name here (a newer event, such as 46, or a
    number read from a damaged log) is still a ``JobEventType``; its ``repr``
    shows the number.

    >>> import htcondor
    >>> htcondor.JobEventType(5) is htcondor.JobEventType.JOB_TERMINATED
    True
    >>> htcondor.JobEventType(46)
    htcondor.htcondor.JobEventType(46)
    """

    SUBMIT = 0
    EXECUTE = 1
    EXECUTABLE_ERROR = 2
    CHECKPOINTED = 3
    JOB_EVICTED = 4
    JOB_TERMINATED = 5
    IMAGE_SIZE = 6
    SHADOW_EXCEPTION = 7
    GENERIC = 8
    JOB_ABORTED = 9
    JOB_SUSPENDED = 10
    JOB_UNSUSPENDED = 11
    JOB_HELD = 12
    JOB_RELEASED = 13
    NODE_EXECUTE = 14
    NODE_TERMINATED = 15
    POST_SCRIPT_TERMINATED = 16
    GLOBUS_SUBMIT = 17
    GLOBUS_SUBMIT_FAILED = 18
    GLOBUS_RESOURCE_UP = 19
    GLOBUS_RESOURCE_DOWN = 20
    REMOTE_ERROR = 21
    JOB_DISCONNECTED = 22
    JOB_RECONNECTED = 23
    JOB_RECONNECT_FAILED = 24
    GRID_RESOURCE_UP = 25
    GRID_RESOURCE_DOWN = 26
    GRID_SUBMIT = 27
    JOB_AD_INFORMATION = 28
    JOB_STATUS_UNKNOWN = 29
    JOB_STATUS_KNOWN = 30
    JOB_STAGE_IN = 31
    JOB_STAGE_OUT = 32
    ATTRIBUTE_UPDATE = 33
    PRESKIP = 34
    CLUSTER_SUBMIT = 35
    CLUSTER_REMOVE = 36
    FACTORY_PAUSED = 37
    FACTORY_RESUMED = 38
    NONE = 39
    FILE_TRANSFER = 40
    RESERVE_SPACE = 41
    RELEASE_SPACE = 42
    FILE_COMPLETE = 43
    FILE_USED = 44
    FILE_REMOVED = 45


class FileTransferEventType(_CodeEnum):
    """The stage a ``FILE_TRANSFER`` event reports (its ``Type`` key).

    >>> import htcondor
    >>> htcondor.FileTransferEventType(3)
    htcondor.htcondor.FileTransferEventType.IN_FINISHED
    """

    IN_QUEUED = 1
    IN_STARTED = 2
    IN_FINISHED = 3
    OUT_QUEUED = 4
    OUT_STARTED = 5
    OUT_FINISHED = 6


for _enum in (JobEventType, FileTransferEventType):
    _enum.__module__ = "htcondor"
    # The official enumerations (Boost.Python) offer these two lookup tables.
    _enum.names = {member.name: member for member in _enum}
    _enum.values = {int(member): member for member in _enum}
del _enum

# ``MyType`` of the event ClassAd, by event number; other numbers are "FutureEvent".
MY_TYPES = {
    0: "SubmitEvent", 1: "ExecuteEvent", 2: "ExecutableErrorEvent", 3: "CheckpointedEvent",
    4: "JobEvictedEvent", 5: "JobTerminatedEvent", 6: "JobImageSizeEvent", 7: "ShadowExceptionEvent",
    8: "GenericEvent", 9: "JobAbortedEvent", 10: "JobSuspendedEvent", 11: "JobUnsuspendedEvent",
    12: "JobHeldEvent", 13: "JobReleaseEvent", 14: "NodeExecuteEvent", 15: "NodeTerminatedEvent",
    16: "PostScriptTerminatedEvent", 21: "RemoteErrorEvent", 22: "JobDisconnectedEvent",
    23: "JobReconnectedEvent", 24: "JobReconnectFailedEvent", 25: "GridResourceUpEvent",
    26: "GridResourceDownEvent", 27: "GridSubmitEvent", 28: "JobAdInformationEvent",
    33: "AttributeUpdateEvent", 35: "ClusterSubmitEvent", 36: "ClusterRemoveEvent",
    37: "FactoryPausedEvent", 38: "FactoryResumedEvent", 40: "FileTransferEvent",
    41: "ReserveSpaceEvent", 42: "ReleaseSpaceEvent", 43: "FileCompleteEvent", 44: "FileUsedEvent",
    45: "FileRemovedEvent", 46: "DataflowJobSkippedEvent",
}
