"""The :class:`JobEventLog` class: reading a job event log as a stream of events.

The log is read in large binary chunks and cut into events at their ``...``
lines, so reading a long log takes one pass and memory for one chunk, not
for the whole file.  An event is parsed when it is cut out; an incomplete
event at the end of a file that is still being written stays unread until
its ``...`` line arrives.  Waiting for new events polls the file's size.
"""

from __future__ import annotations

import os
import time

from ._errors import HTCondorIOError, HTCondorTypeError
from ._event import JobEvent
from ._event_parse import parse_body, parse_header

__all__ = ["JobEventLog"]

_CHUNK = 1 << 20
_POLL = 0.05  # seconds between looks at the size of a file we wait on
_HEADER_MAX = 1023  # HTCondor reads the first line of an event into a 1024-byte buffer


class JobEventLog:
    """Reads the events of a job event log (the file a job's ``log`` submit command names).

    :param filename: the log to read.
    :raises HTCondorIOError: if the file cannot be opened.

    Iterating gives :class:`JobEvent` objects in the order they were
    written.  By default iteration waits for new events forever, as a
    tracker following a running job wants; :meth:`events` sets how long to
    wait.  The object is its own iterator, so a loop that stopped at the end
    of the file can be started again later to get the events written since.

    A pickled ``JobEventLog`` remembers where it stopped: unpickled, it goes
    on from there, provided the file has only grown in the meantime.

    Used as a context manager, it closes the file on leaving the block
    (and, like the official module, entering the block resets the wait to
    "forever").

    >>> import htcondor, os, pickle, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "job.log")
    >>> with open(path, "w") as f:
    ...     _ = f.write("000 (007.000.000) 2024-03-05 10:11:12 Job submitted from host: <127.0.0.1:9618>\\n...\\n"
    ...                 "001 (007.000.000) 2024-03-05 10:11:14 Job executing on host: <127.0.0.1:9618>\\n...\\n")
    >>> jel = htcondor.JobEventLog(path)
    >>> first = next(jel.events(stop_after=0))
    >>> first.type
    htcondor.htcondor.JobEventType.SUBMIT
    >>> saved = pickle.dumps(jel)
    >>> [event.type for event in pickle.loads(saved).events(stop_after=0)]
    [htcondor.htcondor.JobEventType.EXECUTE]
    >>> jel.close()
    """

    __slots__ = ("_filename", "_file", "_buf", "_bufpos", "_offset", "_deadline", "_last_size", "_kind",
                 "_closed", "__dict__", "__weakref__")

    def __init__(self, filename: str) -> None:
        if not isinstance(filename, str):
            raise TypeError(f"JobEventLog() takes a file name (str), not {type(filename).__name__}")
        self._filename = filename
        self._deadline = 0
        self._offset = 0
        self._last_size = 0
        self._kind = None
        self._closed = False
        self._buf = b""
        self._bufpos = 0
        try:
            self._file = open(filename, "rb")  # noqa: SIM115 - held open between reads, as HTCondor does
        except IsADirectoryError:  # HTCondor opens it, and finds no events in it
            self._file = None
            self._kind = "unknown"
        except OSError:
            raise HTCondorIOError(
                "JobEventLog not initialized.  Check the debug log, looking for ReadUserLog or "
                "FileModifiedTrigger.  (Or call htcondor.enable_debug() and try again.)") from None

    # -- the public interface -------------------------------------------------------------
    def events(self, stop_after: int | None) -> "JobEventLog":
        """Set how long iteration waits for new events, and return this object (an iterator).

        :param stop_after: ``None`` waits forever; ``0`` never waits (iteration
            stops at the end of what has been written); ``N`` waits until N
            seconds from now for each further event, then stops (a later
            loop may go on).
        :raises HTCondorTypeError: if *stop_after* is not an integer or None.
        """
        if stop_after is None:
            self._deadline = 0
        elif isinstance(stop_after, int) and -(1 << 31) <= stop_after < (1 << 31):
            self._deadline = int(time.time()) + int(stop_after)
        else:
            raise HTCondorTypeError("deadline must be an integer")
        return self

    def __iter__(self) -> "JobEventLog":
        return self

    def __next__(self) -> JobEvent:
        if self._closed:
            raise StopIteration("All events processed")
        deadline = self._deadline
        while True:
            event = self._read_event()
            if event is not None:
                return event
            if deadline:
                remaining = deadline - int(time.time())
                if remaining <= 0 or not self._wait(remaining):
                    raise StopIteration("All events processed")
            else:
                self._wait(None)

    def close(self) -> None:
        """Close the file; the object gives no more events."""
        self._closed = True
        if self._file is not None:
            self._file.close()
            self._file = None
        self._buf = b""
        self._bufpos = 0

    def __enter__(self) -> "JobEventLog":
        self._deadline = 0
        return self

    def __exit__(self, *exc) -> bool:
        self.close()
        return False

    def __repr__(self) -> str:
        return f"JobEventLog(filename={self._filename}, deadline={self._deadline}, offset={self._offset})"

    def __reduce__(self):
        return (JobEventLog, (self._filename,), (dict(self.__dict__), self._deadline, self._offset))

    def __setstate__(self, state: tuple) -> None:
        attrs, deadline, offset = state
        self.__dict__.update(attrs)
        self._deadline = deadline
        self._seek(offset)

    # -- reading ---------------------------------------------------------------------------
    def _seek(self, offset: int) -> None:
        self._offset = offset
        self._buf = b""
        self._bufpos = 0

    def _fill(self) -> bool:
        """Append the next chunk of the file to the buffer; False at the end of the file."""
        f = self._file
        if f is None:
            return False
        if self._bufpos:
            self._buf = self._buf[self._bufpos:]
            self._bufpos = 0
        f.seek(self._offset + len(self._buf))
        data = f.read(_CHUNK)
        if not data:
            return False
        self._buf += data
        return True

    def _log_kind(self) -> str | None:
        """'normal' when the file starts (after blanks) with an event number, else None or the other format."""
        f = self._file
        if f is None:
            return None
        f.seek(0)
        head = f.read(4096)
        stripped = head.lstrip(b" \t\n\v\f\r")
        while not stripped and len(head) == 4096:
            head = f.read(4096)
            stripped = head.lstrip(b" \t\n\v\f\r")
        if not stripped:
            return None
        return {48: "normal", 60: "xml", 123: "json"}.get(stripped[0], "unknown")

    def _read_event(self) -> JobEvent | None:
        """The next complete event, or None (the end of the file, an incomplete event, or a stray line)."""
        if self._kind is None:
            self._kind = self._log_kind()
        if self._kind != "normal":
            return None
        buf, pos = self._buf, self._bufpos
        while True:
            nl = buf.find(b"\n", pos)
            if nl >= 0:
                break
            if not self._fill():
                return None
            buf, pos = self._buf, self._bufpos
        head = buf[pos:pos + 4]
        if len(head) < 4 or head[3] != 32 or not head[:3].isdigit():
            # not the first line of an event: HTCondor skips the line (or its first 1023 bytes)
            skip = min(nl + 1 - pos, _HEADER_MAX)
            self._consume(skip)
            return None
        end = self._find_sync(nl)
        if end is None:
            return None
        buf, pos = self._buf, self._bufpos
        block = buf[pos:end]
        self._consume(end - pos)
        event, lines_read = self._parse(block)
        if event is not None:
            return event
        if lines_read is not None:
            self._skip_past_sync()
        raise HTCondorIOError(f"ULOG_RD_ERROR in file {self._filename} at offset {self._offset}\n")

    def _skip_past_sync(self) -> None:
        """After an event whose reading ran into its ``...`` line, skip through the next ``...`` line.

        HTCondor reads disconnection and reconnection events line by line
        without looking for the end of the event, so on a short one it takes
        the ``...`` line as data, and its recovery then skips the next event.
        """
        while True:
            buf, pos = self._buf, self._bufpos
            start = pos
            while True:
                p = buf.find(b"...", start)
                if p < 0:
                    break
                if p == pos or buf[p - 1] == 10:
                    if buf[p + 3:p + 4] == b"\n":
                        self._consume(p + 4 - pos)
                        return
                    if buf[p + 3:p + 5] == b"\r\n":
                        self._consume(p + 5 - pos)
                        return
                start = p + 1
            if not self._fill():
                self._consume(len(self._buf) - self._bufpos)
                return

    def _find_sync(self, nl: int) -> int | None:
        """The buffer index just after the ``...`` line ending the event whose header ends at *nl*."""
        start = nl
        while True:
            buf = self._buf
            n = len(buf)
            resume = None
            i = buf.find(b"\n...", start)
            while i >= 0:
                j = i + 4
                if j >= n or (buf[j] == 13 and j + 1 >= n):
                    resume = i  # the line is cut by the end of the buffer
                    break
                if buf[j] == 10:
                    return j + 1
                if buf[j] == 13 and buf[j + 1] == 10:
                    return j + 2
                i = buf.find(b"\n...", j)
            if resume is None:
                resume = max(n - 4, start)
            shift = self._bufpos
            if not self._fill():
                return None
            start = resume - shift

    def _consume(self, n: int) -> None:
        self._bufpos += n
        self._offset += n
        if self._bufpos > _CHUNK and self._bufpos * 2 > len(self._buf):
            self._buf = self._buf[self._bufpos:]
            self._bufpos = 0

    def _parse(self, block: bytes) -> tuple:
        """``(event, None)``, or ``(None, n)`` when the event is refused (n: lines HTCondor overran, or None)."""
        text = block.decode("utf-8", "surrogateescape")
        lines = text.split("\n")
        lines.pop()  # after the final newline
        lines.pop()  # the "..." line
        if "\r" in text:
            lines = [line[:-1] if line.endswith("\r") else line for line in lines]
        header = parse_header(lines[0])
        if header is not None:
            etype, cluster, proc, subproc, clock, usec, rest = header
            lines[0] = rest
            parsed = parse_body(etype, lines)
            if parsed is not None:
                return JobEvent._make(etype, cluster, proc, subproc, clock, usec, parsed[0], parsed[1]), None
            if etype in (22, 23, 24) and len(lines) < 3:
                return None, len(lines)
        return None, None

    def _wait(self, timeout: float | None) -> bool:
        """Wait until the file's size differs from the size last seen (True) or *timeout* passes (False)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                size = os.stat(self._filename).st_size if self._file is None else os.fstat(self._file.fileno()).st_size
            except OSError:
                size = self._last_size
            changed = size != self._last_size
            self._last_size = size
            if changed:
                return True
            if self._closed:
                return False
            if deadline is None:
                time.sleep(_POLL)
                continue
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            time.sleep(min(_POLL, remaining))


JobEventLog.__module__ = "htcondor"
