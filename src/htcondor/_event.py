"""The :class:`JobEvent` class: one event of a job event log, read-only and dict-like."""

from __future__ import annotations

import time

import classad

from ._errors import HTCondorInternalError
from ._event_body_extra import ABSENT, Deferred
from ._event_types import MY_TYPES, JobEventType

__all__ = ["JobEvent", "event_time_text"]

_MISSING = object()
_TYPES = {int(member): member for member in JobEventType}
_TIME_TEXT: dict = {}


def event_time_text(clock: int, usec: int) -> str:
    """The ``EventTime`` of an event: local ISO 8601 time, with milliseconds when there is a fraction."""
    text = _TIME_TEXT.get(clock)
    if text is None:
        t = time.localtime(clock)
        text = "%04d-%02d-%02dT%02d:%02d:%02d" % (min(max(t.tm_year, 0), 9999), t.tm_mon, t.tm_mday,
                                                  t.tm_hour, t.tm_min, t.tm_sec)
        if len(_TIME_TEXT) > 4096:
            _TIME_TEXT.clear()
        _TIME_TEXT[clock] = text
    if usec:
        text += ".%03d" % (usec // 1000)
    return text


def _ordered(d: dict) -> dict:
    """A copy of a nested ad's dict in ClassAd order (by length of name, then name)."""
    return {k: (_ordered(v) if type(v) is dict else v)
            for k, v in sorted(d.items(), key=lambda item: (len(item[0]), item[0].lower()))}


class _Failure:
    """A value the official module cannot produce: reading it raises HTCondorInternalError."""

    __slots__ = ()


_FAILED = _Failure()


class JobEvent:
    """One event of a job event log; get them from :class:`JobEventLog`.

    ``type``, ``cluster``, ``proc`` and ``timestamp`` are attributes; the
    rest of the event is read like a read-only :class:`dict` whose keys are
    the attributes of the event's ClassAd (case-insensitive, as in a
    ClassAd): ``event["ReturnValue"]``, ``event.get("HoldReason")``,
    ``"Reason" in event``, ``keys()``, ``values()``, ``items()``, ``len()``.
    Values are Python values as the :mod:`classad` module converts them.
    ``str(event)`` is the event in the log's text format; ``repr`` names
    its type, job and time.

    >>> import htcondor, os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "job.log")
    >>> with open(path, "w") as f:
    ...     _ = f.write("012 (042.000.000) 2024-03-05 10:11:12 Job was held.\\n"
    ...                 "\\tvia condor_hold (by user alice)\\n\\tCode 1 Subcode 0\\n...\\n")
    >>> event = next(htcondor.JobEventLog(path).events(stop_after=0))
    >>> event.type, event.cluster, event.proc
    (htcondor.htcondor.JobEventType.JOB_HELD, 42, 0)
    >>> event["HoldReason"], event["holdreasoncode"]
    ('via condor_hold (by user alice)', 1)
    >>> sorted(event.keys())[:4]
    ['Cluster', 'EventTime', 'EventTypeNumber', 'HoldReason']
    >>> str(event).splitlines()[1]
    '\\tvia condor_hold (by user alice)'

    """

    __slots__ = ("_type", "_cluster", "_proc", "_subproc", "_clock", "_usec", "_body", "_extra", "_index",
                 "_slow", "__weakref__")

    def __init__(self, *args, **kwargs) -> None:
        raise RuntimeError("This class cannot be instantiated from Python")

    @classmethod
    def _make(cls, etype: int, cluster: int, proc: int, subproc: int, clock: int, usec: int,
              body: dict, extra) -> "JobEvent":
        ev = object.__new__(cls)
        ev._type = etype
        ev._cluster = cluster
        ev._proc = proc
        ev._subproc = subproc
        ev._clock = clock
        ev._usec = usec
        ev._body = body
        ev._extra = extra
        ev._index = None
        ev._slow = extra is not None and ("ad" in extra or bool(extra.get("broken")))
        return ev

    # -- attributes ------------------------------------------------------------------
    @property
    def type(self) -> JobEventType:
        """The event type, a :class:`JobEventType`."""
        t = _TYPES.get(self._type)
        return t if t is not None else JobEventType(self._type)

    @property
    def cluster(self) -> int:
        """The ``ClusterId`` of the job the event is about."""
        return self._cluster

    @property
    def proc(self) -> int:
        """The ``ProcId`` of the job the event is about."""
        return self._proc

    @property
    def timestamp(self) -> int:
        """When the event happened, in seconds since the epoch (the log's local time, converted)."""
        return self._clock

    # -- the ClassAd ---------------------------------------------------------------------
    def _base(self) -> list:
        items = [("EventTypeNumber", self._type), ("MyType", MY_TYPES.get(self._type, "FutureEvent")),
                 ("EventTime", event_time_text(self._clock, self._usec))]
        if self._cluster >= 0:
            items.append(("Cluster", self._cluster))
        if self._proc >= 0:
            items.append(("Proc", self._proc))
        if self._subproc >= 0:
            items.append(("Subproc", self._subproc))
        return items

    def _build_index(self) -> dict:
        """lower-case name -> (name, value) for every attribute, built on first need."""
        extra = self._extra
        if extra is not None and extra.get("broken"):
            raise HTCondorInternalError("Failed to convert event to class ad")
        index = {}
        for name, value in self._base():
            index[name.lower()] = (name, value)
        if extra is not None and "ad" in extra:
            self._index = index = self._ad_index(index, extra)
            return index
        for name, value in self._body.items():
            if type(value) is Deferred:
                value = value.resolve()
                if value is ABSENT:
                    continue
            index[name.lower()] = (name, value)
        self._index = index
        return index

    def _unevaluated_ad(self) -> classad.ClassAd:
        """The ClassAd of an event that carries one (job ad information, unknown events), expressions kept."""
        extra = self._extra
        ad = classad.ClassAd()
        for name, value in self._base():
            ad[name] = value
        for name, value in self._body.items():
            ad[name] = value
        for name, tree in extra["ad"]:
            if extra["merge"] and name in ad:
                continue
            ad[name] = tree
        if extra["merge"]:
            ad["MyType"] = "JobAdInformationEvent"
        return ad

    def _ad_index(self, index: dict, extra: dict) -> dict:
        """Attributes evaluated in the event's ClassAd (job ad information and unknown events)."""
        ad = self._unevaluated_ad()
        result = {}
        for name in ad.keys():
            try:
                value = ad.eval(name)
            except Exception:  # noqa: BLE001 - as the official module, refuse at read time
                value = _FAILED
            result[name.lower()] = (name, value)
        return result

    def _entry(self, key: str):
        value = self._body.get(key, _MISSING)
        if value is not _MISSING and type(value) is not Deferred and not self._slow:
            return key, value
        index = self._index
        if index is None:
            index = self._build_index()
        entry = index.get(key.lower()) if isinstance(key, str) else None
        return entry

    @staticmethod
    def _value(value):
        if value is _FAILED:
            raise HTCondorInternalError("Unable to evaluate expression")
        if type(value) is dict:
            return _ordered(value)
        return value

    def __getitem__(self, key: str):
        if not isinstance(key, str):
            raise TypeError(f"JobEvent keys are strings, not {type(key).__name__}")
        entry = self._entry(key)
        if entry is None:
            raise KeyError(key)
        return self._value(entry[1])

    def get(self, key: str, default=None):
        """As :meth:`dict.get`."""
        if not isinstance(key, str):
            raise TypeError(f"JobEvent keys are strings, not {type(key).__name__}")
        entry = self._entry(key)
        if entry is None:
            return default
        return self._value(entry[1])

    def __contains__(self, key) -> bool:
        if not isinstance(key, str):
            raise TypeError(f"JobEvent keys are strings, not {type(key).__name__}")
        return self._entry(key) is not None

    has_key = __contains__

    def _sorted(self) -> list:
        index = self._index if self._index is not None else self._build_index()
        return sorted(index.values(), key=lambda item: (len(item[0]), item[0].lower()))

    def keys(self) -> list:
        """As :meth:`dict.keys` (a list, in the order of the official module)."""
        return [name for name, _ in self._sorted()]

    def values(self) -> list:
        """As :meth:`dict.values`."""
        return [self._value(value) for _, value in self._sorted()]

    def items(self) -> list:
        """As :meth:`dict.items`."""
        return [(name, self._value(value)) for name, value in self._sorted()]

    def iterkeys(self):
        """An iterator over :meth:`keys`."""
        return iter(self.keys())

    def itervalues(self):
        """An iterator over :meth:`values`."""
        return iter(self.values())

    def iteritems(self):
        """An iterator over :meth:`items`."""
        return iter(self.items())

    __iter__ = iterkeys

    def __len__(self) -> int:
        index = self._index if self._index is not None else self._build_index()
        return len(index)

    # -- printing ------------------------------------------------------------------------
    def __repr__(self) -> str:
        return f"JobEvent(type={self._type}, cluster={self._cluster}, proc={self._proc}, timestamp={self._clock})"

    def __str__(self) -> str:
        from ._event_format import format_event_of

        text = format_event_of(self)
        return text if text is not None else repr(self)

    def __reduce__(self):
        raise RuntimeError('Pickling of "htcondor.JobEvent" instances is not enabled')


JobEvent.__module__ = "htcondor"
