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

__all__ = ["HTCondorEnum", "SubsystemType", "add_tables"]


class HTCondorEnum(enum.IntEnum):
    """An integer enumeration that prints like the official ones."""

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"htcondor.{type(self).__name__}.{self.name}"


def add_tables(cls: type[HTCondorEnum]) -> type[HTCondorEnum]:
    """Give an enum the official ``names`` and ``values`` dictionaries."""
    cls.names = {member.name: member for member in cls}
    cls.values = {int(member): member for member in cls}
    return cls


@add_tables
class SubsystemType(HTCondorEnum):
    """The kind of HTCondor program a process is, for :func:`htcondor.set_subsystem`."""

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
