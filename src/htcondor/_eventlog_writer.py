"""Writing job event logs: the events the schedd, shadow and starter of this project's pool record.

:class:`EventLogWriter` appends events to a log in HTCondor's text format,
so that ``condor_wait``, DAGMan, the official ``htcondor.JobEventLog`` and
this module's reader all read them.  An event is given by its type and the
same keys a :class:`~htcondor.JobEvent` has when read back::

    writer.write(JobEventType.JOB_HELD, 42, 0, HoldReason="via condor_hold",
                 HoldReasonCode=1, HoldReasonSubCode=0)

Each event is written with one ``write()`` call on a file opened with
``O_APPEND``, so events from several processes writing the same log never
interleave.

>>> import htcondor, os, tempfile
>>> from htcondor._eventlog_writer import EventLogWriter
>>> path = os.path.join(tempfile.mkdtemp(), "job.log")
>>> writer = EventLogWriter(path)
>>> text = writer.write(htcondor.JobEventType.SUBMIT, 42, 0, timestamp=0, utc=True,
...                     SubmitHost="<127.0.0.1:9618>")
>>> print(text, end="")
000 (042.000.000) 1970-01-01 00:00:00Z Job submitted from host: <127.0.0.1:9618>
...
>>> event = next(htcondor.JobEventLog(path).events(stop_after=0))
>>> event["SubmitHost"], event.timestamp
('<127.0.0.1:9618>', 0)
"""

from __future__ import annotations

import os
import time

from ._event_format import format_body, format_header

__all__ = ["EventLogWriter", "format_event"]

# Which keys each event type takes, for checking what callers pass (None: any key).
_KNOWN_KEYS = {
    0: {"SubmitHost", "LogNotes", "UserNotes", "Warnings"},
    1: {"ExecuteHost", "SlotName", "ExecuteProps"},
    2: {"ExecuteErrorType"},
    3: {"RunLocalUsage", "RunRemoteUsage", "SentBytes"},
    4: None, 5: None, 15: None,  # the resource table takes any resource name
    6: {"Size", "MemoryUsage", "ResidentSetSize", "ProportionalSetSize"},
    7: {"Message", "SentBytes", "ReceivedBytes"},
    8: {"Info"},
    9: {"Reason", "ToE"},
    10: {"NumberOfPIDs"},
    11: set(),
    12: {"HoldReason", "HoldReasonCode", "HoldReasonSubCode"},
    13: {"Reason"},
    14: {"Node", "ExecuteHost", "SlotName", "ExecuteProps"},
    16: {"TerminatedNormally", "ReturnValue", "TerminatedBySignal", "DAGNodeName"},
    21: {"Daemon", "ExecuteHost", "ErrorMsg", "CriticalError", "HoldReasonCode", "HoldReasonSubCode"},
    22: {"DisconnectReason", "StartdAddr", "StartdName"},
    23: {"StartdAddr", "StartdName", "StarterAddr"},
    24: {"Reason", "StartdName"},
    25: {"GridResource"}, 26: {"GridResource"}, 27: {"GridResource", "GridJobId"},
    28: None,
    29: set(), 30: set(),
    33: {"Attribute", "Value", "OldValue"},
    34: {"SkipEventLogNotes"},
    35: {"SubmitHost", "LogNotes", "UserNotes"},
    36: {"NextProcId", "NextRow", "Completion", "Notes"},
    37: {"Reason", "PauseCode", "HoldCode"},
    38: {"Reason"},
    40: {"Type", "QueueingDelay", "Host"},
    46: {"Reason", "ToE"},
}


def format_event(event_type: int, cluster: int, proc: int, subproc: int = 0, *, timestamp: float | None = None,
                 utc: bool = False, sub_second: bool = False, iso_dates: bool = True, **fields) -> str:
    """The text of one event, ending with its ``...`` line.

    :param event_type: a :class:`~htcondor.JobEventType` (or its number).
    :param cluster: the job's cluster id (-1 for none).
    :param proc: the job's proc id (-1 for none, as in cluster events).
    :param subproc: the sub-process id, normally 0.
    :param timestamp: when the event happened, in seconds since the epoch (default: now).
    :param utc: write the time in UTC with a ``Z``, instead of local time.
    :param sub_second: write milliseconds after the seconds.
    :param iso_dates: ``YYYY-MM-DD`` dates (the default); False writes the legacy ``MM/DD``.
    :param fields: the event's keys and values, named as a :class:`~htcondor.JobEvent` names them:
        ``SubmitHost`` for a submit event, ``ReturnValue``, ``RunRemoteUsage`` (a
        ``"Usr D HH:MM:SS, Sys D HH:MM:SS"`` string or a ``(user, system)`` pair of
        seconds), ``Cpus``/``RequestCpus``/``CpusUsage`` (the resource table) for a
        terminated event, ``HoldReason`` and its codes for a hold, and so on.
    :returns: the text.
    :raises TypeError: if *event_type* is not an integer, or a key does not belong to the event.
    :raises ValueError: if the event cannot be written in HTCondor's format (a file-transfer
        event of an unknown ``Type``, a disconnection without its addresses...).

    >>> from htcondor._eventlog_writer import format_event
    >>> format_event(12, 7, 0, timestamp=0, utc=True, HoldReason="via condor_hold",
    ...              HoldReasonCode=1, HoldReasonSubCode=0).splitlines()
    ['012 (007.000.000) 1970-01-01 00:00:00Z Job was held.', '\\tvia condor_hold', '\\tCode 1 Subcode 0', '...']
    """
    if isinstance(event_type, bool) or not isinstance(event_type, int):
        raise TypeError(f"event_type must be a JobEventType or an int, not {type(event_type).__name__}")
    if not 0 <= event_type <= 999:
        raise ValueError(f"event_type {event_type} is not an event number (0-999)")
    known = _KNOWN_KEYS.get(int(event_type), None)
    if known is not None:
        unknown = sorted(set(fields) - known)
        if unknown:
            raise TypeError(f"{', '.join(unknown)}: not a key of event type {int(event_type)} "
                            f"(its keys: {', '.join(sorted(known)) or 'none'})")
    now = time.time() if timestamp is None else float(timestamp)
    clock = int(now // 1)
    usec = int(round((now - clock) * 1e6))
    extra = _extra_for(int(event_type), fields)
    body = format_body(int(event_type), fields, extra)
    if body is None:
        raise ValueError(f"event type {int(event_type)} cannot be written with these fields: {sorted(fields)}")
    header = format_header(int(event_type), int(cluster), int(proc), int(subproc), clock, usec, utc=utc,
                           sub_second=sub_second, iso=iso_dates)
    return header + body + "...\n"


def _extra_for(event_type: int, fields: dict):
    """What the formatter needs beyond the keys, for events given by their keys."""
    if event_type == 28:
        attrs = {k: v for k, v in fields.items()}
        return {"ad": attrs} if attrs else {"ad": {}}
    if event_type == 33:
        return {"old": fields.get("OldValue")}
    if event_type in (4, 5, 15):
        from ._event_format import TERMINATION_KEYS

        return {"usage": {k: v for k, v in fields.items() if k not in TERMINATION_KEYS}}
    return None


class EventLogWriter:
    """Appends job events to a log file in HTCondor's text format.

    :param path: the log; it is created if needed and always appended to.
    :param utc: write times in UTC (with a ``Z``) rather than local time.
    :param sub_second: write milliseconds in the times.
    :param iso_dates: ``YYYY-MM-DD`` dates (the default) or the legacy ``MM/DD``.

    The file is opened for each event, with ``O_APPEND``, and the event is
    written with a single ``write()``: concurrent writers (a schedd and a
    shadow, say) never interleave their events.  See :func:`format_event`
    for the keys of each event.
    """

    def __init__(self, path: str, *, utc: bool = False, sub_second: bool = False, iso_dates: bool = True) -> None:
        self.path = os.fspath(path)
        self.utc = utc
        self.sub_second = sub_second
        self.iso_dates = iso_dates

    def write(self, event_type: int, cluster: int, proc: int, subproc: int = 0, *,
              timestamp: float | None = None, **fields) -> str:
        """Append one event; return its text.  Arguments as for :func:`format_event`.

        :raises OSError: if the log cannot be opened or written.
        """
        options = {"utc": self.utc, "sub_second": self.sub_second, "iso_dates": self.iso_dates}
        for name in ("utc", "sub_second", "iso_dates"):
            if name in fields:
                options[name] = fields.pop(name)
        text = format_event(event_type, cluster, proc, subproc, timestamp=timestamp, **options, **fields)
        data = text.encode("utf-8", "surrogateescape")
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            written = os.write(fd, data)
            while written < len(data):  # only on a full disk or a signal: finish the event
                written += os.write(fd, data[written:])
        finally:
            os.close(fd)
        return text

    def __repr__(self) -> str:
        return f"EventLogWriter({self.path!r})"
