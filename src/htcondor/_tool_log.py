"""A Python program's own HTCondor log: :func:`enable_debug`, :func:`enable_log`, :func:`log`, :class:`LogLevel`.

HTCondor's tools write their debugging output with the same machinery as
its daemons: every message has a category (``D_ALWAYS``, ``D_JOB``...) and
a verbosity, and the configuration says which are written --
``<SUBSYS>_DEBUG`` (``TOOL_DEBUG`` for a Python program, whose subsystem is
``TOOL`` unless :func:`htcondor.set_subsystem` says otherwise) -- and where:
standard error after :func:`enable_debug`, the file ``<SUBSYS>_LOG`` after
:func:`enable_log`.  Before either, :func:`log` writes nothing.

``D_ALWAYS``, ``D_ERROR`` and ``D_STATUS`` are always written; other
categories when ``<SUBSYS>_DEBUG`` names them (``D_JOB D_SECURITY``, or
``D_ALL``); verbose messages (``LogLevel.FullDebug`` or ``Verbose`` added to
the category) when it says ``D_FULLDEBUG`` (for ``D_ALWAYS``) or
``D_<CAT>:2``.  Each line is ``MM/DD/YY HH:MM:SS message``, as in the
daemons' logs (:mod:`htcondor._daemon_log`); ``D_PID`` in the
configuration or ``LogLevel.PID`` in the level adds ``(pid:N)``,
``SubSecond`` adds milliseconds, ``Timestamp`` gives the Unix time instead
of the date, and ``NoHeader`` leaves the header out.

>>> import htcondor
>>> htcondor.log(htcondor.LogLevel.Always, "nobody sees this: logging is not enabled")
>>> format_line(htcondor.LogLevel.Always | htcondor.LogLevel.NoHeader, "plain", set(), 0.0)
'plain\\n'
"""

from __future__ import annotations

import os
import sys
import threading
import time

from ._enums import HTCondorEnum, add_tables

__all__ = ["LogLevel", "enable_debug", "enable_log", "log", "format_line", "debug_settings"]


class LogLevel(HTCondorEnum):
    """Categories and header options of :func:`log` (HTCondor's ``D_*`` flags; combine them with ``|``).

    A category (``Always``, ``Error``, ``Job``...) may be combined with
    ``Verbose``/``FullDebug`` (written only at full verbosity) and with the
    header options ``PID``, ``SubSecond``, ``Timestamp``, ``NoHeader``.
    ``Terse`` is 0, as ``Always``.

    >>> import htcondor
    >>> int(htcondor.LogLevel.FullDebug), int(htcondor.LogLevel.NoHeader)
    (1024, -2147483648)
    >>> str(htcondor.LogLevel.Terse), htcondor.LogLevel.Terse == htcondor.LogLevel.Always
    ('Terse', True)
    """

    # declared in the official module's order (its ``names`` table keeps it)
    Always = 0
    Error = 1
    Status = 2
    Job = 4
    Machine = 5
    Config = 6
    Protocol = 7
    Priv = 8
    DaemonCore = 9
    Security = 11
    Network = 14
    Hostname = 22
    Audit = 27
    Verbose = 256
    FullDebug = 1024
    SubSecond = 1 << 26
    Timestamp = 1 << 27
    PID = 1 << 28
    NoHeader = -(1 << 31)

    @classmethod
    def _missing_(cls, value):
        # The official enum accepts any combination of flags (LogLevel(1025)); so does this one.
        if not isinstance(value, int):
            return None
        member = int.__new__(cls, value)
        member._name_ = None
        member._value_ = value
        return member

    def __str__(self) -> str:
        return self._name_ if self._name_ else repr(self)

    def __repr__(self) -> str:
        if self._name_:
            return f"htcondor.htcondor.LogLevel.{self._name_}"
        return f"htcondor.htcondor.LogLevel({int(self)})"


def _add_terse(cls):
    # ``Terse`` has the value of ``Always`` but is its own member in the official enum (its ``values``
    # table gives Terse for 0); an enum class body would make it an alias printing as ``Always``.
    terse = int.__new__(cls, 0)
    terse._name_ = "Terse"
    terse._value_ = 0
    cls._member_map_["Terse"] = terse
    type.__setattr__(cls, "Terse", terse)
    add_tables(cls)
    order = ["Always", "Error", "Status", "Job", "Machine", "Config", "Protocol", "Priv", "DaemonCore", "Security",
             "Network", "Hostname", "Audit", "Terse", "Verbose", "FullDebug", "SubSecond", "Timestamp", "PID",
             "NoHeader"]
    cls.names = {name: cls._member_map_[name] for name in order}
    cls.values = {int(member): member for member in cls.names.values()}
    return cls


_add_terse(LogLevel)

_CATEGORIES = {
    "ALWAYS": 0, "ERROR": 1, "STATUS": 2, "GENERAL": 3, "JOB": 4, "MACHINE": 5, "CONFIG": 6, "PROTOCOL": 7,
    "PRIV": 8, "DAEMONCORE": 9, "SECURITY": 11, "COMMAND": 12, "MATCH": 13, "NETWORK": 14, "KEYBOARD": 15,
    "PROCFAMILY": 16, "IDLE": 17, "THREADS": 18, "ACCOUNTANT": 19, "SYSCALLS": 20, "CRON": 21, "HOSTNAME": 22,
    "PERF_TRACE": 23, "LOAD": 24, "PROC": 25, "NFS": 26, "AUDIT": 27, "TEST": 28, "STATS": 29, "MATERIALIZE": 30,
    "BUG": 31,
}
_VERBOSE_BITS = 256 | 512 | 1024
_ALWAYS_ON = {0, 1, 2}  # D_ALWAYS, D_ERROR and D_STATUS are written at any setting

_lock = threading.Lock()
_sink = None            # None: logging not enabled; else a writable text stream
_sink_path: str | None = None
_settings: tuple[dict[int, bool], set[str]] = ({}, set())


def debug_settings(text: str) -> tuple[dict[int, bool], set[str]]:
    """Parse a ``<SUBSYS>_DEBUG`` value: ({category: verbose?}, {header options such as "PID"}).

    >>> cats, opts = debug_settings("D_FULLDEBUG D_JOB D_SECURITY:2 D_PID")
    >>> cats[0], cats[4], cats[11], sorted(opts)
    (True, False, True, ['PID'])
    """
    categories: dict[int, bool] = {c: False for c in _ALWAYS_ON}
    options: set[str] = set()
    for token in text.replace(",", " ").split():
        name, _, level = token.upper().partition(":")
        name = name.removeprefix("D_")
        verbose = level.strip() in ("2", "VERBOSE", "3")
        if name in ("FULLDEBUG", "VERBOSE"):
            categories[0] = True
        elif name == "ALL":
            categories.update({c: categories.get(c, False) or verbose or level == "" for c in _CATEGORIES.values()})
            categories[0] = True
        elif name in _CATEGORIES:
            categories[_CATEGORIES[name]] = categories.get(_CATEGORIES[name], False) or verbose
        elif name in ("PID", "SUB_SECOND", "SUBSECOND", "TIMESTAMP", "NOHEADER", "FDS", "CAT", "CATEGORY"):
            options.add({"SUB_SECOND": "SUBSECOND", "CATEGORY": "CAT"}.get(name, name))
    return categories, options


def format_line(level: int, message: str, options: set[str], now: float) -> str:
    """The text :func:`log` writes for ``message`` at ``level`` (a header, the message, a newline).

    >>> format_line(int(LogLevel.Always | LogLevel.PID), "hi", set(), 0.0)[17:].startswith(" (pid:")
    True
    """
    level = int(level)
    if level & int(LogLevel.NoHeader):
        return f"{message}\n"
    if level & int(LogLevel.Timestamp) or "TIMESTAMP" in options:
        stamp = f"({int(now)})" if not (level & int(LogLevel.SubSecond) or "SUBSECOND" in options) else f"({now:.3f})"
    else:
        stamp = time.strftime("%m/%d/%y %H:%M:%S", time.localtime(now))
        if level & int(LogLevel.SubSecond) or "SUBSECOND" in options:
            stamp += f".{int((now % 1) * 1000):03d}"
    header = stamp + " "
    if level & int(LogLevel.PID) or "PID" in options:
        header += f"(pid:{os.getpid()}) "
    return f"{header}{message}\n"


def _configured(suffix: str) -> str:
    import htcondor
    subsys = htcondor._configuration.subsys
    value = htcondor._configuration.expanded(f"{subsys}_{suffix}")
    return value or ""


def enable_debug() -> None:
    """Send :func:`log` messages to standard error.

    What is written is chosen by ``<SUBSYS>_DEBUG`` (``TOOL_DEBUG`` by
    default), read now.

    >>> import htcondor
    >>> htcondor.enable_debug()
    >>> htcondor.log(htcondor.LogLevel.Always | htcondor.LogLevel.NoHeader, "to stderr")
    """
    global _sink, _sink_path, _settings
    with _lock:
        _close_file()
        _settings = debug_settings(_configured("DEBUG"))
        _sink, _sink_path = sys.stderr, None


def enable_log() -> None:
    """Send :func:`log` messages to the file ``<SUBSYS>_LOG`` (``TOOL_LOG``), appending.

    What is written is chosen by ``<SUBSYS>_DEBUG``; when no log file is
    configured the messages go to standard error, as with :func:`enable_debug`.

    >>> import os, tempfile, htcondor
    >>> path = os.path.join(tempfile.mkdtemp(), "ToolLog")
    >>> htcondor.param["TOOL_LOG"] = path
    >>> htcondor.enable_log()
    >>> htcondor.log(htcondor.LogLevel.Always, "into the file")
    >>> open(path).read().endswith(" into the file\\n")
    True
    >>> htcondor.reload_config()
    """
    global _sink, _sink_path, _settings
    with _lock:
        _close_file()
        _settings = debug_settings(_configured("DEBUG"))
        path = _configured("LOG")
        if path:
            os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
            _sink, _sink_path = open(path, "a", encoding="utf-8", buffering=1), path
        else:
            _sink, _sink_path = sys.stderr, None


def _close_file() -> None:
    global _sink, _sink_path
    if _sink_path is not None and _sink is not None:
        _sink.close()
    _sink, _sink_path = None, None


def log(level: int, msg: str) -> None:
    """Write ``msg`` to the log :func:`enable_debug` or :func:`enable_log` set up, if ``level`` is enabled.

    Parameters
    ----------
    level:
        A :class:`LogLevel` category, optionally ``|`` verbosity and header options.
    msg:
        The message; a newline is added.

    Raises
    ------
    TypeError
        When ``level`` is not an integer or ``msg`` not a string (as the official module).

    >>> import htcondor
    >>> htcondor.log(htcondor.LogLevel.Job, "not written unless TOOL_DEBUG names D_JOB")
    """
    if not isinstance(level, int) or isinstance(level, bool):
        raise TypeError(f"log() takes an integer level, not {type(level).__name__}")
    if not isinstance(msg, str):
        raise TypeError(f"log() takes a string message, not {type(msg).__name__}")
    with _lock:
        if _sink is None:
            return
        categories, options = _settings
        category = int(level) & 0x1F
        verbose = bool(int(level) & _VERBOSE_BITS)
        if category not in categories or (verbose and not categories[category]):
            return
        try:
            _sink.write(format_line(level, msg, options, time.time()))
            _sink.flush()
        except (OSError, ValueError):
            pass  # a closed stderr or a full disk: logging never fails the program
