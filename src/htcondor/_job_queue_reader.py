"""Following a ClassAd log such as the schedd's ``job_queue.log``: :class:`LogReader` and :class:`EntryType`.

The schedd records every change to its queue as one line of
``$(SPOOL)/job_queue.log`` (see :mod:`htcondor._job_queue_log`).  A
:class:`LogReader` reads those lines as dictionaries, one per change, and
can wait for the next change, so a program can keep its own copy of the
queue up to date without querying the schedd.

Each entry is a :class:`dict` with ``"event"`` (an :class:`EntryType`) and,
as the entry has them, ``"key"`` (``"1.0"`` for job 1.0, ``"01.-1"`` for
cluster 1), ``"type"`` and ``"target"`` (of a new ad), ``"name"`` (an
attribute) and ``"value"`` (a :class:`classad.ExprTree`).  Transaction
markers are not entries.  When the file is replaced (the schedd compacts
its log by writing a new one), the reader gives a ``Reset`` entry and reads
the new file from its start: throw away what you built and rebuild.

>>> import htcondor, os, tempfile, warnings
>>> path = os.path.join(tempfile.mkdtemp(), "job_queue.log")
>>> with open(path, "w") as f:
...     _ = f.write('107 1 CreationTimestamp 1700000000\\n105\\n101 1.0 Job Machine\\n'
...                 '103 1.0 JobStatus 1\\n106\\n')
>>> with warnings.catch_warnings():
...     warnings.simplefilter("ignore")
...     reader = htcondor.LogReader(path)
>>> [(str(e["event"]), e["key"]) for e in reader]
[('NewClassAd', '1.0'), ('SetAttribute', '1.0')]
>>> reader.poll(0) is None  # nothing new
True
>>> with open(path, "a") as f:
...     _ = f.write("105\\n103 1.0 JobStatus 2\\n106\\n")
>>> entry = reader.poll(1000)
>>> entry["name"], entry["value"]
('JobStatus', 2)
"""

from __future__ import annotations

import collections
import ctypes
import ctypes.util
import os
import select
import time
import warnings

import classad

from ._enums import HTCondorEnum, add_tables

__all__ = ["EntryType", "LogReader", "Inotify"]

_POLL = 0.05  # seconds between looks at a file when inotify is not available


@add_tables
class EntryType(HTCondorEnum):
    """The kind of a :class:`LogReader` entry.

    ``Init``, ``Error``, ``NoChange`` and ``Reset`` describe the reader's
    state; the others are the log's own records.

    >>> import htcondor
    >>> int(htcondor.EntryType.SetAttribute), str(htcondor.EntryType.Reset)
    (103, 'Reset')
    """

    Init = 0
    Error = 1
    NoChange = 2
    Reset = 3
    NewClassAd = 101
    DestroyClassAd = 102
    SetAttribute = 103
    DeleteAttribute = 104


# -- inotify, through the C library (Linux); None where it is not available ----------------------
_IN_NONBLOCK = 0o4000
_IN_CLOEXEC = 0o2000000
_IN_EVENTS = 0x2 | 0x4 | 0x8 | 0x400 | 0x800  # MODIFY, ATTRIB, CLOSE_WRITE, DELETE_SELF, MOVE_SELF


def _libc():
    try:
        lib = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        lib.inotify_init1  # noqa: B018 - raises AttributeError where there is no inotify
        lib.inotify_add_watch.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32]
        return lib
    except (OSError, AttributeError):
        return None


_LIBC = _libc()


class Inotify:
    """A descriptor that becomes readable when a file changes (inotify), or ``fd == -1`` without inotify."""

    available = _LIBC is not None

    def __init__(self, path: str) -> None:
        self.fd = -1
        if _LIBC is None:
            return
        fd = _LIBC.inotify_init1(_IN_NONBLOCK | _IN_CLOEXEC)
        if fd < 0:
            return
        if _LIBC.inotify_add_watch(fd, os.fsencode(path), _IN_EVENTS) < 0:
            os.close(fd)
            return
        self.fd = fd

    def clear(self) -> None:
        """Drain the pending notifications."""
        if self.fd < 0:
            return
        try:
            while os.read(self.fd, 65536):
                pass
        except OSError:
            pass

    def wait(self, timeout: float | None) -> None:
        """Wait until the file changes or *timeout* seconds pass (short sleeps without inotify)."""
        if self.fd < 0:
            time.sleep(_POLL if timeout is None else min(_POLL, max(timeout, 0)))
            return
        select.select([self.fd], [], [], timeout)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __del__(self) -> None:
        self.close()


class LogReader:
    """Reads a ClassAd log (the schedd's ``job_queue.log``) as a stream of entries, and follows it.

    :param filename: the log to read.
    :raises TypeError: if *filename* is not a string.

    Iterating gives one :class:`dict` per record (see the module
    documentation).  By default iteration stops at the end of what has been
    written (a later loop goes on from there); :meth:`setBlocking` makes it
    wait for new records instead.  Deprecated in the official module since
    8.9.8: creating one warns with :class:`FutureWarning`, as there.
    """

    def __init__(self, filename: str) -> None:
        if not isinstance(filename, str):
            raise TypeError(f"LogReader() takes a file name (str), not {type(filename).__name__}")
        warnings.warn("LogReader is deprecated since v8.9.8 and will be removed in a future release.",
                      FutureWarning, stacklevel=2)
        self._filename = filename
        self._offset = 0
        self._identity: tuple | None = None  # (device, inode, first line) of the file being read
        self._pending: collections.deque = collections.deque()
        self._blocking = False
        self._error = False
        self._watch: Inotify | None = None

    # -- reading ---------------------------------------------------------------------------------
    def _read(self) -> None:
        """Queue the records written since the last read (a Reset first if the file was replaced)."""
        try:
            with open(self._filename, "rb") as f:
                st = os.fstat(f.fileno())
                first = f.readline(256)
                identity = (st.st_dev, st.st_ino, first if first.endswith(b"\n") else None)
                if self._identity is not None and (identity != self._identity or st.st_size < self._offset):
                    self._pending.append({"event": EntryType.Reset})
                    self._offset = 0
                self._identity = identity
                f.seek(self._offset)
                data = f.read()
        except OSError:
            self._error = True
            return
        self._error = False
        end = data.rfind(b"\n") + 1  # a line being written is read when it is complete
        if not end:
            return
        self._offset += end
        for line in data[:end].decode("utf-8", "surrogateescape").splitlines():
            entry = _entry(line)
            if entry is not None:
                self._pending.append(entry)

    def _get(self, timeout: float | None) -> dict | None:
        """The next entry, waiting up to *timeout* seconds (None: forever) for one."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if self._pending:
                return self._pending.popleft()
            if self._watch is not None:
                self._watch.clear()
            self._read()
            if self._pending:
                return self._pending.popleft()
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return None
            self._watcher().wait(remaining if remaining is not None else 1.0)

    def _watcher(self) -> Inotify:
        if self._watch is None or self._watch.fd < 0 and os.path.exists(self._filename):
            self._watch = Inotify(self._filename)
        return self._watch

    # -- the public interface ------------------------------------------------------------------
    def __iter__(self) -> LogReader:
        return self

    def __next__(self) -> dict:
        """The next entry; at the end, wait (see :meth:`setBlocking`) or stop.

        :raises StopIteration: at the end of the log, when not blocking.
        """
        entry = self._get(None if self._blocking else 0)
        if entry is None:
            raise StopIteration("All log events processed")
        return entry

    def poll(self, timeout: int = -1) -> dict | None:
        """The next entry, waiting up to *timeout* milliseconds for one.

        :param timeout: milliseconds; -1 (the default) waits forever, 0 never waits.
        :returns: the entry, ``None`` on timeout, or ``{"event": EntryType.Error}``
            when the file cannot be read.
        """
        entry = self._get(None if timeout < 0 else timeout / 1000.0)
        if entry is None and self._error:
            return {"event": EntryType.Error}
        return entry

    def wait(self) -> None:
        """Wait until a new entry is available (it stays unread)."""
        entry = self._get(None)
        if entry is not None:
            self._pending.appendleft(entry)

    def watch(self) -> int:
        """A file descriptor that ``select()`` reports readable when the log changes; -1 without inotify."""
        return self._watcher().fd

    def setBlocking(self, blocking: bool) -> bool:
        """Set whether iteration waits for new entries at the end of the log.

        :param blocking: True to wait.
        :returns: the previous setting.
        """
        previous, self._blocking = self._blocking, bool(blocking)
        return previous

    @property
    def use_inotify(self) -> bool:
        """Whether :meth:`watch` and the waits use inotify (Linux) rather than polling the file."""
        return Inotify.available


_OPS = {101: EntryType.NewClassAd, 102: EntryType.DestroyClassAd, 103: EntryType.SetAttribute,
        104: EntryType.DeleteAttribute}


def _value(text: str) -> classad.ExprTree:
    try:
        return classad.ExprTree(text)
    except Exception:
        return classad.ExprTree("error")


def _entry(line: str) -> dict | None:
    """The entry of one log line; None for transaction markers and blank lines."""
    parts = line.split(" ", 3)
    op = parts[0]
    if not op.isdigit():
        return None if not line.strip() else {"event": EntryType.Error}
    code = int(op)
    if code in (105, 106, 107):
        return None
    kind = _OPS.get(code)
    if kind is None:
        return {"event": EntryType.Error}
    entry = {"event": kind}
    if len(parts) > 1 and parts[1]:
        entry["key"] = parts[1]
    if code == 101:
        if len(parts) > 2 and parts[2]:
            entry["type"] = parts[2]
        if len(parts) > 3 and parts[3]:
            entry["target"] = parts[3]
    elif code in (103, 104):
        if len(parts) > 2 and parts[2]:
            entry["name"] = parts[2]
        if code == 103 and len(parts) > 3 and parts[3]:
            entry["value"] = _value(parts[3])
    return entry


LogReader.__module__ = "htcondor"
