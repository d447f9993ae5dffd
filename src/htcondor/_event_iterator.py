"""The old event-log API: :func:`read_events` and the :class:`EventIterator` it returns.

Before :class:`htcondor.JobEventLog`, a job event log was read with
``read_events(file)``, which gives each event as a :class:`classad.ClassAd`
(``MyType``, ``EventTypeNumber``, ``Cluster``, ``Proc``, ``EventTime`` and
the event's own attributes).  It is deprecated; it warns as the official
module does (a :class:`FutureWarning` and two :class:`DeprecationWarning`).

>>> import htcondor, os, tempfile, warnings
>>> path = os.path.join(tempfile.mkdtemp(), "job.log")
>>> with open(path, "w") as f:
...     _ = f.write("000 (007.000.000) 2024-03-05 10:11:12 Job submitted from host: <127.0.0.1:9618>\\n...\\n")
>>> with warnings.catch_warnings():
...     warnings.simplefilter("ignore")
...     events = htcondor.read_events(path)
>>> [(ad["MyType"], ad["Cluster"]) for ad in events]
[('SubmitEvent', 7)]
>>> events.poll(0) is None
True
"""

from __future__ import annotations

import os
import time
import warnings

import classad

from ._errors import HTCondorIOError, HTCondorValueError
from ._eventlog_reader import JobEventLog
from ._job_queue_reader import Inotify

__all__ = ["EventIterator", "read_events"]

_NO_INIT = "This class cannot be instantiated from Python"


def event_ad(event) -> classad.ClassAd:
    """The ClassAd of a :class:`htcondor.JobEvent`, as the old API gives it."""
    extra = event._extra
    if extra is not None and "ad" in extra and not extra.get("broken"):
        return event._unevaluated_ad()  # the event carries a ClassAd: its expressions stay unevaluated
    ad = classad.ClassAd()
    for key, value in event.items():
        ad[key] = classad.ClassAd(value) if isinstance(value, dict) else value
    return ad


class EventIterator:
    """The events of a job event log as ClassAds; :func:`read_events` returns one.

    Iteration stops at the end of what has been written, unless
    :meth:`setBlocking` makes it wait for more.  It cannot be built directly.

    :raises RuntimeError: when called directly, as in the official module.
    """

    def __init__(self, *args, **kwargs) -> None:
        raise RuntimeError(_NO_INIT)

    @classmethod
    def _open(cls, path: str, offset: int, owned_file=None) -> EventIterator:
        warnings.warn("EventIterator is deprecated; use JobEventLog instead.", DeprecationWarning, stacklevel=3)
        self = object.__new__(cls)
        self._path = path
        self._log = JobEventLog(path)
        if offset:
            self._log._seek(offset)
        self._blocking = False
        self._watch: Inotify | None = None
        self._owned = owned_file
        return self

    def _next_event(self, timeout: float | None):
        """The next event's ad, waiting up to *timeout* seconds (None: forever); None when there is none."""
        log = self._log
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if self._watch is not None:
                self._watch.clear()
            before = log._offset
            try:
                event = log._read_event()
            except HTCondorIOError:
                raise HTCondorValueError("Unable to parse input stream into a HTCondor event.") from None
            if event is not None:
                return event_ad(event)
            if log._offset != before:
                continue  # a line that starts no event was skipped
            # an event cut short by the end of the file is read again once it is complete
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return None
            if log._wait(0):
                continue
            self._watcher().wait(1.0 if remaining is None else remaining)

    def _watcher(self) -> Inotify:
        if self._watch is None:
            self._watch = Inotify(self._path)
        return self._watch

    def __iter__(self) -> EventIterator:
        return self

    def __next__(self) -> classad.ClassAd:
        """The next event; at the end of the log, wait (see :meth:`setBlocking`) or stop.

        :raises StopIteration: at the end of the log, when not blocking.
        :raises HTCondorValueError: for an event that cannot be parsed.
        """
        ad = self._next_event(None if self._blocking else 0)
        if ad is None:
            raise StopIteration("All events processed")
        return ad

    def poll(self, timeout: int = -1) -> classad.ClassAd | None:
        """The next event, waiting up to *timeout* milliseconds (-1: forever, 0: not at all); None on timeout."""
        return self._next_event(None if timeout < 0 else timeout / 1000.0)

    def wait(self) -> None:
        """Wait until the log grows."""
        log = self._log
        log._wait(0)
        while not log._wait(0):
            self._watcher().wait(1.0)

    def watch(self) -> int:
        """A file descriptor that ``select()`` reports readable when the log changes; -1 without inotify."""
        return self._watcher().fd

    def setBlocking(self, blocking: bool) -> bool:
        """Set whether iteration waits for new events; returns the previous setting."""
        previous, self._blocking = self._blocking, bool(blocking)
        return previous

    @property
    def use_inotify(self) -> bool:
        """Whether :meth:`watch` uses inotify (Linux)."""
        return Inotify.available


def read_events(file_obj, is_xml: bool = False) -> EventIterator:
    """Read a job event log with the old API (deprecated: use :class:`htcondor.JobEventLog`).

    :param file_obj: an open file of the log (reading starts at its current
        position) or the log's file name.
    :param is_xml: True for a log in XML format, which this implementation does not read.
    :returns: an :class:`EventIterator`.
    :raises HTCondorIOError: if the named file cannot be opened.
    :raises HTCondorValueError: for ``is_xml=True`` (see docs/differences.md).
    """
    warnings.warn("read_events() is deprecated since v8.9.8 and will be removed in a future release; "
                  "use JobEventLog instead.", FutureWarning, stacklevel=2)
    warnings.warn("read_events is deprecated; use JobEventLog instead.", DeprecationWarning, stacklevel=2)
    if is_xml:
        raise HTCondorValueError("XML event logs are not supported by this implementation; "
                                 "write the log in the default format (EVENT_LOG_FORMAT_OPTIONS without XML)")
    if isinstance(file_obj, str):
        if not os.path.isfile(file_obj):
            raise HTCondorIOError(f"Unable to open event log {file_obj}")
        return EventIterator._open(file_obj, 0)
    fileno = getattr(file_obj, "fileno", None)
    if fileno is None:
        raise TypeError(f"read_events() takes a file or a file name, not {type(file_obj).__name__}")
    fd = fileno()
    name = getattr(file_obj, "name", None)
    path = name if isinstance(name, str) and os.path.exists(name) else f"/proc/self/fd/{fd}"
    try:
        offset = os.lseek(fd, 0, os.SEEK_CUR)
        if hasattr(file_obj, "tell"):
            offset = file_obj.tell()
    except OSError:
        offset = 0
    return EventIterator._open(path, offset, file_obj)


EventIterator.__module__ = "htcondor"
read_events.__module__ = "htcondor"
