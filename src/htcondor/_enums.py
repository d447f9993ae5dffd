"""Enumerations of the ``htcondor`` module shared by several parts of it.

Each is an :class:`enum.IntEnum` with the official members and numbers, and,
like the official enums, ``names`` and ``values`` dictionaries.  ``str()``
gives the member name, as the official ones do.

>>> import htcondor
>>> htcondor.SubsystemType.Schedd == 4, str(htcondor.SubsystemType.Tool)
(True, 'Tool')
>>> htcondor.SubsystemType.names["Master"] is htcondor.SubsystemType.Master
True
"""

from __future__ import annotations

import enum

__all__ = ["HTCondorEnum", "SubsystemType", "JobAction", "QueryOpts", "TransactionFlags", "DrainTypes", "VacateTypes",
           "JobStatus", "AdTypes", "DaemonTypes", "add_tables"]


class HTCondorEnum(enum.IntEnum):
    """An integer enumeration that prints like the official ones."""

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"htcondor.htcondor.{type(self).__name__}.{self.name}"


def add_tables(cls: type[HTCondorEnum]) -> type[HTCondorEnum]:
    """Give an enum the official ``names`` and ``values`` dictionaries."""
    cls.names = {member.name: member for member in cls}
    cls.values = {int(member): member for member in cls}
    return cls


@add_tables
class SubsystemType(HTCondorEnum):
    """The kind of HTCondor program a process is, for :func:`htcondor.set_subsystem`.

    >>> import htcondor
    >>> htcondor.SubsystemType.Schedd, int(htcondor.SubsystemType.Tool)
    (htcondor.htcondor.SubsystemType.Schedd, 12)
    """

    Master = 1
    Collector = 2
    Negotiator = 3
    Schedd = 4
    Shadow = 5
    Startd = 6
    Starter = 7
    GAHP = 8
    Dagman = 9
    SharedPort = 10
    Daemon = 11
    Tool = 12
    Submit = 13
    Job = 14


@add_tables
class JobAction(HTCondorEnum):
    """What :meth:`htcondor.Schedd.act` does to the jobs it selects.

    >>> import htcondor
    >>> str(htcondor.JobAction.Hold), int(htcondor.JobAction.Release)
    ('Hold', 2)
    """

    Hold = 1
    Release = 2
    Remove = 3
    RemoveX = 4
    Vacate = 5
    VacateFast = 6
    Suspend = 8
    Continue = 9


@add_tables
class QueryOpts(HTCondorEnum):
    """Options of a job query (bits; combine them with ``|``).

    >>> import htcondor
    >>> int(htcondor.QueryOpts.AutoCluster), int(htcondor.QueryOpts.SummaryOnly)
    (1, 8)
    """

    Default = 0
    AutoCluster = 1
    GroupBy = 2
    DefaultMyJobsOnly = 4
    SummaryOnly = 8
    IncludeClusterAd = 16
    IncludeJobsetAds = 32
    ClusterAds = 80
    JobsetAds = 96


# The official enum has a member named ``None``, which no class body can
# declare; the functional API can.
TransactionFlags = add_tables(HTCondorEnum(
    "TransactionFlags", [("None", 0), ("NonDurable", 1), ("SetDirty", 4), ("ShouldLog", 8)],
    module=__name__, qualname="TransactionFlags"))
TransactionFlags.__doc__ = "How a job-queue transaction commits (bits; combine them with ``|``)."


@add_tables
class DrainTypes(HTCondorEnum):
    """How a startd drains: wait for jobs to finish, or not (:meth:`htcondor.Startd.drainJobs`).

    >>> import htcondor
    >>> [str(t) for t in htcondor.DrainTypes]
    ['Fast', 'Graceful', 'Quick']
    """

    # declared in the official module's order (its ``names`` table keeps it)
    Fast = 20
    Graceful = 0
    Quick = 10


@add_tables
class VacateTypes(HTCondorEnum):
    """How jobs leave a machine that is vacated.

    >>> import htcondor
    >>> int(htcondor.VacateTypes.Fast)
    2
    """

    Fast = 2
    Graceful = 1


class JobStatus(enum.IntEnum):
    """The values of a job's ``JobStatus`` attribute (a plain :class:`enum.IntEnum`, as in the official module).

    >>> JobStatus(5), JobStatus.RUNNING == 2
    (<JobStatus.HELD: 5>, True)
    """

    IDLE = 1
    RUNNING = 2
    REMOVED = 3
    COMPLETED = 4
    HELD = 5
    TRANSFERRING_OUTPUT = 6
    SUSPENDED = 7


@add_tables
class AdTypes(HTCondorEnum):
    """The kinds of ClassAd a collector holds (:meth:`htcondor.Collector.query`).

    >>> import htcondor
    >>> htcondor.AdTypes.Startd, htcondor.AdTypes["Schedd"]
    (htcondor.htcondor.AdTypes.Startd, htcondor.htcondor.AdTypes.Schedd)
    """

    # declared in the official module's order (its ``names`` table keeps it);
    # ``None`` is added below: no class body can declare it
    Any = 10
    Generic = 15
    Slot = 24
    StartDaemon = 25
    Startd = 0
    StartdPrivate = 5
    Schedd = 1
    Master = 2
    Collector = 7
    Negotiator = 13
    Submitter = 6
    Grid = 19
    HAD = 14
    License = 8
    Credd = 16
    Defrag = 22
    Accounting = 23


@add_tables
class DaemonTypes(HTCondorEnum):
    """The kinds of daemon :meth:`htcondor.Collector.locate` finds.

    >>> import htcondor
    >>> str(htcondor.DaemonTypes.Negotiator)
    'Negotiator'
    """

    Any = 1
    Master = 2
    Schedd = 3
    Startd = 4
    Collector = 5
    Negotiator = 6
    HAD = 17
    Generic = 18
    Credd = 13


def _with_none(cls: type[HTCondorEnum], value: int) -> type[HTCondorEnum]:
    """Rebuild ``cls`` with a first member named ``None`` (the functional API allows that name)."""
    members = [("None", value)] + [(m.name, int(m)) for m in cls]
    new = HTCondorEnum(cls.__name__, members, module=__name__, qualname=cls.__name__)
    new.__doc__ = cls.__doc__
    return add_tables(new)


AdTypes = _with_none(AdTypes, -1)
DaemonTypes = _with_none(DaemonTypes, 0)
