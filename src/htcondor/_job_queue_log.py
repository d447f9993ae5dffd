"""The schedd's durable job queue: HTCondor's ``job_queue.log`` transaction log.

The schedd keeps every job as a ClassAd in memory and makes each change
durable by appending it to ``$(SPOOL)/job_queue.log`` before it counts as
done.  The file is HTCondor's own text format, one record a line:

========  ===================  =========================================
op        record               rest of the line
========  ===================  =========================================
``101``   NewClassAd           ``key mytype targettype``
``102``   DestroyClassAd       ``key``
``103``   SetAttribute         ``key name expression`` (old ClassAd syntax)
``104``   DeleteAttribute      ``key name``
``105``   BeginTransaction     (nothing: the line is ``"105 "``)
``106``   EndTransaction       (nothing, or ``#comment``)
``107``   HistoricalSequence   ``seq CreationTimestamp epoch`` (first line)
========  ===================  =========================================

Keys name the ads: ``0.0`` is the queue's header ad, ``01.-1`` the ad of
cluster 1 (HTCondor writes cluster keys with a leading zero) and ``1.0`` the
ad of job 1.0; :func:`job_key` spells them.

A transaction is written with a single ``write()`` between its ``105`` and
``106`` lines and then ``fsync``-ed, so after a crash the file ends either
after the transaction's ``106`` line or somewhere inside it.  Replaying
ignores such an unterminated transaction and a torn last line; the first
writer to open the log afterwards cuts that tail off before it appends.
:meth:`JobQueueLog.compact` rewrites the current state into a new file and
renames it over the log, so a crash leaves either the old or the new file.

Where this differs from HTCondor's reader: values are kept as text and not
parsed while replaying (HTCondor rejects a value that does not parse, see
``CLASSAD_LOG_STRICT_PARSING``); a line with NUL bytes ends the replay
quietly, because it marks blocks a crash left unwritten; and compaction
keeps no ``job_queue.log.<seq>`` copies of earlier logs.

>>> import os, tempfile
>>> from htcondor._job_queue_log import JobQueueLog, job_key
>>> path = os.path.join(tempfile.mkdtemp(), "job_queue.log")
>>> log = JobQueueLog(path, fsync=False)
>>> with log.transaction():
...     log.new_ad(job_key(1, -1), "Job")
...     log.set_attr("01.-1", "ClusterId", "1")
...     log.new_ad("1.0", "Job")
...     log.set_attr("1.0", "Cmd", '"/bin/echo"')
>>> log.get("1.0")["cmd"]
'"/bin/echo"'
>>> print(open(path).read(), end="")  # doctest: +ELLIPSIS +NORMALIZE_WHITESPACE
107 1 CreationTimestamp ...
105
101 01.-1 Job Machine
103 01.-1 ClusterId 1
101 1.0 Job Machine
103 1.0 Cmd "/bin/echo"
106
>>> log.close()
>>> dict(JobQueueLog(path).get("01.-1"))
{'ClusterId': '1'}
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ._errors import HTCondorIOError

__all__ = [
    "HEADER_KEY",
    "JobQueueLog",
    "JobQueueLogCorrupt",
    "JobQueueLogError",
    "JobQueueLogLocked",
    "Replay",
    "StoredAd",
    "expr_text",
    "string_text",
    "job_key",
    "parse_job_key",
    "replay",
]

# Record op codes (HTCondor's CondorLogOp_* values).
NEW_CLASSAD = 101
DESTROY_CLASSAD = 102
SET_ATTRIBUTE = 103
DELETE_ATTRIBUTE = 104
BEGIN_TRANSACTION = 105
END_TRANSACTION = 106
HISTORICAL_SEQUENCE_NUMBER = 107

HEADER_KEY = "0.0"
"""The key of the job queue's header ad (it holds ``NextClusterNum``)."""

# HTCondor writes this placeholder for an empty MyType/TargetType so the
# record keeps its number of fields.
_EMPTY_TYPE = "(empty)"

# Slow-path parse of a SetAttribute line: each word may be preceded by any run
# of blanks and ends at one blank, and the value is the rest of the line.
_SET_RE = re.compile(r"\s*103\s+(\S+)\s+(\S+)\s(.*)\Z", re.S)
_WORD_RE = re.compile(r"\S+")


class JobQueueLogError(HTCondorIOError):
    """The job queue log could not be read or written."""


class JobQueueLogCorrupt(JobQueueLogError):
    """A record in the middle of the log cannot be read.

    A damaged record at the very end (a torn last line, or a transaction
    with no ``106``) is what a crash leaves behind and is ignored, and so is
    everything from a line with NUL bytes on (blocks the crash left
    unwritten); a bad record that a committed one follows means the file was
    damaged otherwise, and replaying stops with this error.

    :ivar path: the log file.
    :ivar line: the 1-based number of the bad line.
    :ivar text: the bad line (at most 200 characters of it).
    """

    def __init__(self, path: str, line: int, text: str, reason: str) -> None:
        self.path = path
        self.line = line
        self.text = text[:200]
        super().__init__(f"{path}, line {line}: {reason}: {self.text!r}")


class JobQueueLogLocked(JobQueueLogError):
    """Another process holds the log open for writing."""


def job_key(cluster: int, proc: int) -> str:
    """The log key of a job ad, a cluster ad (``proc == -1``) or the header ad (``0, 0``).

    >>> job_key(12, 3), job_key(12, -1), job_key(0, 0)
    ('12.3', '012.-1', '0.0')
    """
    if proc == -1:
        return "0%d.-1" % cluster
    return "%d.%d" % (cluster, proc)


def parse_job_key(key: str) -> tuple[int, int]:
    """The ``(cluster, proc)`` a log key names; the inverse of :func:`job_key`.

    :raises ValueError: *key* is not ``<int>.<int>``.

    >>> parse_job_key("012.-1"), parse_job_key("12.3")
    ((12, -1), (12, 3))
    """
    cluster, sep, proc = key.partition(".")
    if not sep:
        raise ValueError(f"not a job id: {key!r}")
    return int(cluster), int(proc)


def expr_text(value: Any) -> str:
    """The old-syntax text under which *value* is stored in the log.

    A ``str`` is taken to be expression text already (use :func:`string_text`
    for a string value); an :class:`classad.ExprTree` or a Python value is
    unparsed as ``printOld()`` would.

    >>> import classad
    >>> expr_text("RequestCpus * 2"), expr_text(1.0), expr_text(True), expr_text(classad.ExprTree("a =?= b"))
    ('RequestCpus * 2', '1.0', 'true', 'a =?= b')
    """
    if isinstance(value, str):
        return value
    return _print_old(value)


def string_text(value: str) -> str:
    r"""A string as an old-syntax literal: quoted, with only ``"`` escaped.

    >>> print(string_text('C:\\dir "x"'))
    "C:\dir \"x\""
    """
    return _print_old(value)


def _print_old(value: Any) -> str:
    import classad

    ad = classad.ClassAd()
    ad["x"] = value
    return ad.printOld()[len("x = "):].rstrip("\n")


class StoredAd(Mapping):
    """One ad of the queue: a read-only mapping of attribute name -> expression text.

    Names are looked up case-insensitively, as in a ClassAd, and keep the
    spelling they were first written with.  The object is the store's own
    and reflects later commits; ``dict(ad)`` takes a snapshot.

    :ivar mytype: the ad's MyType (``"Job"`` for job and cluster ads).
    :ivar targettype: the TargetType the record carried (obsolete, kept for the file).

    >>> ad = StoredAd("Job")
    >>> ad._set("Owner", '"alice"'); ad._set("OWNER", '"bob"')
    >>> dict(ad), ad["owner"], "oWnEr" in ad
    ({'Owner': '"bob"'}, '"bob"', True)
    """

    __slots__ = ("mytype", "targettype", "_attrs", "_names")

    def __init__(self, mytype: str = "", targettype: str = "") -> None:
        self.mytype = mytype
        self.targettype = targettype
        self._attrs: dict[str, str] = {}
        self._names: dict[str, str] = {}  # lower-case name -> name as stored

    def __getitem__(self, name: str) -> str:
        attrs = self._attrs
        if name in attrs:
            return attrs[name]
        real = self._names.get(name.lower())
        if real is None:
            raise KeyError(name)
        return attrs[real]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and (name in self._attrs or name.lower() in self._names)

    def __iter__(self) -> Iterator[str]:
        return iter(self._attrs)

    def __len__(self) -> int:
        return len(self._attrs)

    def __repr__(self) -> str:
        return f"StoredAd({self.mytype!r}, {self._attrs!r})"

    def _set(self, name: str, value: str) -> None:
        low = name.lower()
        real = self._names.get(low)
        if real is None:
            self._names[low] = name
            self._attrs[name] = value
        else:
            self._attrs[real] = value

    def _delete(self, name: str) -> bool:
        real = self._names.pop(name.lower(), None)
        if real is None:
            return False
        del self._attrs[real]
        return True

    def to_classad(self):
        """The ad as a :class:`classad.ClassAd`, its expressions parsed as old syntax.

        ``MyType`` is added from :attr:`mytype` unless the ad sets it.

        >>> ad = StoredAd("Job"); ad._set("Cmd", '"/bin/sleep"'); ad._set("Cpus", "RequestCpus + 1")
        >>> c = ad.to_classad()
        >>> c["Cmd"], c["MyType"], str(c.lookup("Cpus"))
        ('/bin/sleep', 'Job', 'RequestCpus + 1')
        """
        import classad

        lines = [f"{name} = {value}" for name, value in self._attrs.items()]
        if self.mytype and "mytype" not in self._names:
            lines.append(f"MyType = {classad.quote(self.mytype)}")
        return classad.parseOne("\n".join(lines), classad.Parser.Old)


def _default_targettype(mytype: str) -> str:
    # HTCondor still writes "Job Machine" (and "* *") so that schedds older
    # than 23.0 can read the file; readers ignore the field.
    if mytype.lower() == "job":
        return "Machine"
    if mytype.startswith("*"):
        return mytype
    return ""


def _new_ad_line(key: str, mytype: str, targettype: str) -> str:
    return f"101 {key} {mytype or _EMPTY_TYPE} {targettype or _EMPTY_TYPE}\n"


@dataclass
class Replay:
    """What replaying a log found; see :func:`replay`.

    :ivar ads: key -> :class:`StoredAd`, the committed state.
    :ivar sequence_number: the ``107`` record's sequence number (1 if there is none);
        each compaction adds one.
    :ivar creation_timestamp: when the first log of the series was created (epoch seconds).
    :ivar committed_size: bytes up to the end of the last record that counts.
    :ivar size: bytes in the file.
    :ivar warnings: oddities that did not stop the replay, one sentence each.
    """

    ads: dict[str, StoredAd]
    sequence_number: int = 1
    creation_timestamp: int = 0
    committed_size: int = 0
    size: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def damaged(self) -> bool:
        """Whether the file ends with a torn line or an unterminated transaction."""
        return self.committed_size != self.size


def replay(path: str | os.PathLike) -> Replay:
    """Read a job queue log without changing it: the committed state and the file's header.

    :param path: the log file.
    :raises JobQueueLogCorrupt: a record that a committed one follows cannot be read.
    :raises OSError: the file cannot be read.

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "q.log")
    >>> with open(path, "w") as f:
    ...     _ = f.write("107 3 CreationTimestamp 1700000000\\n101 1.0 Job Machine\\n103 1.0 A 1\\n"
    ...                 "105 \\n103 1.0 A 2\\n")    # a transaction that never ended
    >>> r = replay(path)
    >>> dict(r.ads["1.0"]), r.sequence_number, r.damaged
    ({'A': '1'}, 3, True)
    """
    path = os.fspath(path)
    with open(path, "rb") as f:
        data = f.read()
    return _replay_bytes(data, path)


def _replay_bytes(data: bytes, path: str) -> Replay:
    # Undecodable bytes survive a round trip through surrogateescape, so a
    # value written by another program is never altered.
    text = data.decode("utf-8", "surrogateescape")
    lines = text.split("\n")
    # The piece after the last newline is a torn record (or "" when the file
    # ends cleanly); it never counts.
    torn = lines.pop()
    result = Replay(ads={}, creation_timestamp=int(time.time()), size=len(data))
    ads = result.ads
    warnings = result.warnings
    # Our writer never writes NUL, and a file system shows NULs where a crash
    # left blocks unwritten.  Nothing after such a hole was ever fsync-ed
    # (that would have written the hole too), so it is all discarded.
    has_nul = "\0" in text
    nul_line = None
    pending: list | None = None  # the records of the open transaction
    committed_lines = 0  # lines up to the last record that counts
    missing = 0

    def apply(rec: tuple) -> None:
        nonlocal missing
        op, key = rec[0], rec[1]
        if op == SET_ATTRIBUTE:
            ad = ads.get(key)
            if ad is None:
                missing += 1
            else:
                ad._set(rec[2], rec[3])
        elif op == NEW_CLASSAD:
            if key in ads:
                warnings.append(f"NewClassAd for {key}, which exists; the record was ignored")
            else:
                ads[key] = StoredAd(rec[2], rec[3])
        elif op == DESTROY_CLASSAD:
            if ads.pop(key, None) is None:
                missing += 1
        elif op == DELETE_ATTRIBUTE:
            ad = ads.get(key)
            if ad is None:
                missing += 1
            else:
                ad._delete(rec[2])

    def bad(index: int, reason: str) -> bool:
        # A bad record ends the replay quietly when it belongs to the
        # unterminated tail a crash leaves; otherwise the file is corrupt.
        if index == len(lines) - 1:
            return True
        if pending is not None:
            if not any(ln.split(None, 1)[:1] == ["106"] for ln in lines[index + 1:]):
                return True
        raise JobQueueLogCorrupt(path, index + 1, lines[index], reason)

    for index, line in enumerate(lines):
        if line[:4] == "103 ":
            parts = line.split(" ", 3)
            if len(parts) == 4 and parts[1] and parts[2] and parts[3] and not parts[3].isspace():
                rec = (SET_ATTRIBUTE, parts[1], parts[2], parts[3])
            else:
                m = _SET_RE.match(line)
                if m is None or not m.group(3).strip():
                    if bad(index, "malformed SetAttribute record"):
                        break
                    continue
                rec = (SET_ATTRIBUTE, m.group(1), m.group(2), m.group(3))
            if has_nul and "\0" in line:
                nul_line = index + 1
                break
            if pending is None:
                apply(rec)
                committed_lines = index + 1
            else:
                pending.append(rec)
            continue
        if has_nul and "\0" in line:
            nul_line = index + 1
            break
        words = line.split()
        opword = words[0] if words else ""
        if opword == "103":
            m = _SET_RE.match(line)
            if m is None or not m.group(3).strip():
                if bad(index, "malformed SetAttribute record"):
                    break
                continue
            rec = (SET_ATTRIBUTE, m.group(1), m.group(2), m.group(3))
        elif opword == "101" and len(words) in (3, 4):
            mytype = "" if words[2] == _EMPTY_TYPE else words[2]
            targettype = words[3] if len(words) == 4 and words[3] != _EMPTY_TYPE else ""
            rec = (NEW_CLASSAD, words[1], mytype, targettype)
        elif opword == "102" and len(words) == 2:
            rec = (DESTROY_CLASSAD, words[1])
        elif opword == "104" and len(words) == 3:
            rec = (DELETE_ATTRIBUTE, words[1], words[2])
        elif opword == "105" and len(words) == 1:
            if pending is not None:
                # Our writer never leaves an open transaction behind (it cuts
                # the tail off first); drop the unfinished one.
                warnings.append(f"line {index + 1}: BeginTransaction inside an open transaction; "
                                f"the earlier, unterminated one was dropped")
            pending = []
            continue
        elif opword == "106" and (len(words) == 1 or words[1].startswith("#")):
            if pending is None:
                warnings.append(f"line {index + 1}: EndTransaction without BeginTransaction")
            else:
                for rec in pending:
                    apply(rec)
                pending = None
            committed_lines = index + 1
            continue
        elif opword == "107" and len(words) == 4 and words[1].isdigit() and words[3].isdigit():
            if index != 0:
                warnings.append(f"line {index + 1}: sequence-number record after the first line")
            result.sequence_number = int(words[1])
            result.creation_timestamp = int(words[3])
            if pending is None:
                committed_lines = index + 1
            continue
        else:
            if bad(index, "unknown or malformed record"):
                break
            continue
        if pending is None:
            apply(rec)
            committed_lines = index + 1
        else:
            pending.append(rec)

    if nul_line is not None:
        warnings.append(f"line {nul_line}: NUL bytes (blocks a crash left unwritten); "
                        f"this line and all after it were ignored")
    if pending is not None:
        warnings.append("the log ends inside a transaction; it was ignored")
    if torn:
        warnings.append("the log ends with an unterminated line; it was ignored")
    if missing:
        warnings.append(f"{missing} record(s) named an ad that does not exist; they were ignored")
    if committed_lines == len(lines) and not torn:
        result.committed_size = len(data)
    elif committed_lines:
        kept = "\n".join(lines[:committed_lines]) + "\n"
        result.committed_size = len(kept.encode("utf-8", "surrogateescape"))
    return result


class _Pending:
    """The net effect of the open transaction on one ad."""

    __slots__ = ("exists", "fresh", "mytype", "targettype", "changes", "names", "readded")

    def __init__(self, exists: bool, fresh: bool, mytype: str = "", targettype: str = "") -> None:
        self.exists = exists
        self.fresh = fresh  # created (or destroyed) in the transaction: the committed ad does not show through
        self.mytype = mytype
        self.targettype = targettype
        self.changes: dict[str, str | None] = {}  # name -> value, None = deleted
        self.names: dict[str, str] = {}  # lower-case name -> name in changes
        self.readded: set[str] = set()  # lower-case names deleted, then set again


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _fsync_dir(path: str) -> None:
    fd = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class JobQueueLog:
    """A job queue log opened for writing, with its committed state in memory.

    Opening replays the file (creating it if needed) and takes an exclusive
    ``flock`` on it, so two writers never share one log.  If the file ends
    with what a crash leaves (a torn line, an unterminated transaction), the
    tail is cut off before anything is appended.  A ``.tmp`` file left by an
    interrupted :meth:`compact` is removed.

    Changes go through a transaction: :meth:`begin`, the changes,
    :meth:`commit` (or :meth:`abort`), or ``with log.transaction():``.  A
    change made outside a transaction is committed on its own, as one
    record.  Reads (:meth:`get`, :meth:`lookup`) see the committed state;
    :meth:`lookup_in_transaction` sees the open transaction's changes too.

    :param path: the log file (the schedd uses ``$(JOB_QUEUE_LOG)``).
    :param fsync: whether :meth:`commit` waits for the data to reach the disk.
        Without it a commit survives the schedd being killed but not the machine crashing.
    :param lock: take the exclusive lock (turn off only for tools that know no schedd runs).
    :raises JobQueueLogLocked: another process has the log open.
    :raises JobQueueLogCorrupt: a record in the middle of the file cannot be read.

    >>> import os, tempfile
    >>> log = JobQueueLog(os.path.join(tempfile.mkdtemp(), "job_queue.log"), fsync=False)
    >>> log.begin()
    >>> log.new_ad("1.0", "Job")
    >>> log.set_attr("1.0", "JobStatus", 1)
    >>> log.get("1.0") is None, log.lookup_in_transaction("1.0", "jobstatus")
    (True, '1')
    >>> log.commit()
    >>> log.lookup("1.0", "JobStatus"), len(log)
    ('1', 1)
    """

    def __init__(self, path: str | os.PathLike, *, fsync: bool = True, lock: bool = True) -> None:
        self.path = os.fspath(path)
        self.fsync = fsync
        self._lock = lock
        self._fd: int | None = None
        self._broken: str | None = None
        self._ads: dict[str, StoredAd] = {}
        self._lines: list[str] | None = None  # the open transaction's records
        self._pending: dict[str, _Pending] = {}
        self.sequence_number = 1
        self.creation_timestamp = 0
        self.warnings: list[str] = []
        self._size = 0
        self._open()
        try:
            self.load()
        except BaseException:
            self.close()
            raise

    # -- opening and replay ----------------------------------------------------------
    def _open(self) -> None:
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
            if not self._lock:
                break
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise JobQueueLogLocked(f"{self.path} is in use by another process") from None
            # A compaction may have renamed a new file over the one we opened
            # between our open() and flock(); then lock the new one.
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(self.path))
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        self._fd = fd

    def load(self) -> Mapping[str, StoredAd]:
        """Replay the file into memory again, and return the committed state.

        The state is a read-only mapping of key -> :class:`StoredAd`, the
        same object :attr:`ads` returns.  Damage a crash leaves at the end of
        the file is cut off here, and :attr:`warnings` says what was found.

        :raises JobQueueLogError: a transaction is open, or the log is closed.
        :raises JobQueueLogCorrupt: a record in the middle of the file cannot be read.
        """
        fd = self._require_fd()
        if self._lines is not None:
            raise JobQueueLogError("cannot reload the job queue log inside a transaction")
        tmp = self.path + ".tmp"
        if self._lock and os.path.exists(tmp):
            os.unlink(tmp)  # an interrupted compaction; the log itself is intact
        size = os.fstat(fd).st_size
        chunks = []
        offset = 0
        while offset < size:
            chunk = os.pread(fd, size - offset, offset)
            if not chunk:
                break
            chunks.append(chunk)
            offset += len(chunk)
        result = _replay_bytes(b"".join(chunks), self.path)
        self._ads = result.ads
        self.sequence_number = result.sequence_number
        self.creation_timestamp = result.creation_timestamp
        self.warnings = result.warnings
        self._size = result.size
        if result.damaged:
            # Appending after a torn line or an open transaction would glue
            # our records onto the broken ones.
            os.ftruncate(fd, result.committed_size)
            os.fsync(fd)
            self._size = result.committed_size
            self.warnings.append(f"cut {result.size - result.committed_size} bytes of "
                                 f"uncommitted records off the end")
        if self._size == 0:
            header = f"107 {self.sequence_number} CreationTimestamp {self.creation_timestamp}\n".encode()
            _write_all(fd, header)
            os.fsync(fd)
            _fsync_dir(self.path)
            self._size = len(header)
        return self.ads

    def close(self) -> None:
        """Close the file (an open transaction is discarded).  Closing twice is harmless."""
        self._lines = None
        self._pending = {}
        if self._fd is not None:
            os.close(self._fd)  # also releases the flock
            self._fd = None

    def __enter__(self) -> JobQueueLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _require_fd(self) -> int:
        if self._fd is None:
            raise JobQueueLogError(f"{self.path} is closed")
        return self._fd

    # -- reading the committed state ------------------------------------------------
    @property
    def ads(self) -> Mapping[str, StoredAd]:
        """The committed state: a read-only, live mapping of key -> :class:`StoredAd`."""
        return MappingProxyType(self._ads)

    def get(self, key: str) -> StoredAd | None:
        """The committed ad under *key*, or None."""
        return self._ads.get(key)

    def lookup(self, key: str, name: str) -> str | None:
        """The committed expression text of attribute *name* of ad *key*, or None."""
        ad = self._ads.get(key)
        if ad is None:
            return None
        return ad.get(name)

    def __contains__(self, key: object) -> bool:
        return key in self._ads

    def __len__(self) -> int:
        return len(self._ads)

    def __iter__(self) -> Iterator[str]:
        return iter(self._ads)

    def keys(self):
        """The keys of the committed ads."""
        return self._ads.keys()

    def items(self):
        """``(key, StoredAd)`` pairs of the committed ads."""
        return self._ads.items()

    @property
    def size(self) -> int:
        """Bytes in the log file: the schedd compacts when this grows too large."""
        return self._size

    # -- transactions ----------------------------------------------------------------
    @property
    def in_transaction(self) -> bool:
        """Whether a transaction is open."""
        return self._lines is not None

    def begin(self) -> None:
        """Open a transaction.

        :raises JobQueueLogError: one is open already (transactions do not nest).
        """
        self._require_fd()
        if self._lines is not None:
            raise JobQueueLogError("a transaction is already open")
        self._lines = []
        self._pending = {}

    def abort(self) -> None:
        """Discard the open transaction (nothing is written).  Without one, do nothing."""
        self._lines = None
        self._pending = {}

    def commit(self, comment: str | None = None, *, durable: bool | None = None) -> None:
        """Write the open transaction to the file and apply it to the committed state.

        The records go out in one ``write()``, followed by ``fsync`` when
        *durable* (default: the log's :attr:`fsync`).  When this returns the
        transaction survives a crash of the process (and, if durable, of the
        machine).  An empty transaction writes nothing.

        :param comment: text for the ``106 #comment`` line (no newline).
        :raises JobQueueLogError: no transaction is open, or writing failed
            (the transaction is then discarded and the file left as before).
        """
        lines = self._lines
        if lines is None:
            raise JobQueueLogError("no transaction is open")
        if comment and "\n" in comment:
            raise ValueError("a transaction comment cannot contain a newline")
        end = f"106 #{comment}\n" if comment else "106 \n"
        pending = self._pending
        self._lines = None
        self._pending = {}
        if not lines:
            return
        self._write("".join(["105 \n", *lines, end]), durable)
        self._apply(pending)

    @contextlib.contextmanager
    def transaction(self, comment: str | None = None, *, durable: bool | None = None) -> Iterator[JobQueueLog]:
        """A context manager around :meth:`begin` and :meth:`commit`; an exception aborts.

        >>> import os, tempfile
        >>> log = JobQueueLog(os.path.join(tempfile.mkdtemp(), "q"), fsync=False)
        >>> try:
        ...     with log.transaction():
        ...         log.new_ad("1.0")
        ...         raise RuntimeError("submit failed")
        ... except RuntimeError:
        ...     pass
        >>> "1.0" in log
        False
        """
        self.begin()
        try:
            yield self
        except BaseException:
            self.abort()
            raise
        self.commit(comment, durable=durable)

    def _write(self, text: str, durable: bool | None) -> None:
        fd = self._require_fd()
        if self._broken:
            raise JobQueueLogError(f"{self.path} cannot be written: {self._broken}")
        data = text.encode("utf-8", "surrogateescape")
        try:
            _write_all(fd, data)
            if self.fsync if durable is None else durable:
                os.fsync(fd)
        except OSError as e:
            # Take the partial records back out, so that later appends do
            # not land after half a transaction.
            try:
                os.ftruncate(fd, self._size)
            except OSError as e2:
                self._broken = f"a failed write could not be undone ({e2})"
            raise JobQueueLogError(f"writing {self.path} failed: {e}") from e
        self._size += len(data)

    def _apply(self, pending: dict[str, _Pending]) -> None:
        ads = self._ads
        for key, p in pending.items():
            if p.fresh:
                if not p.exists:
                    ads.pop(key, None)
                    continue
                ad = ads[key] = StoredAd(p.mytype, p.targettype)
                changes = p.changes
                if None in changes.values():
                    ad._attrs = {name: value for name, value in changes.items() if value is not None}
                    ad._names = {name.lower(): name for name in ad._attrs}
                else:
                    # The transaction's dicts hold exactly the new ad: hand them over.
                    ad._attrs = changes
                    ad._names = p.names
                continue
            ad = ads[key]
            readded = p.readded
            for name, value in p.changes.items():
                if value is None:
                    ad._delete(name)
                else:
                    if readded and name.lower() in readded:
                        ad._delete(name)
                    ad._set(name, value)

    def _single(self, method, *args) -> None:
        """Run a change outside a transaction: it is committed on its own."""
        self.begin()
        try:
            method(*args)
        except BaseException:
            self.abort()
            raise
        self._finish_single()

    def _finish_single(self) -> None:
        # A change outside a transaction is one bare record, as HTCondor writes it.
        lines, pending = self._lines, self._pending
        self._lines = None
        self._pending = {}
        self._write("".join(lines), None)
        self._apply(pending)

    def _pending_for(self, key: str) -> _Pending:
        """The open transaction's record of ad *key*, made on first use."""
        p = self._pending.get(key)
        if p is None:
            exists = key in self._ads
            p = self._pending[key] = _Pending(exists, False)
        return p

    # -- changes ---------------------------------------------------------------------
    def new_ad(self, key: str, mytype: str = "Job", targettype: str | None = None) -> None:
        """Create an empty ad under *key*.

        :param key: the ad's key, see :func:`job_key` (no blanks).
        :param mytype: its MyType (no blanks).
        :param targettype: the obsolete TargetType field; by default ``Machine`` for jobs, as HTCondor writes.
        :raises ValueError: the key exists, or a field contains blanks.
        """
        _check_word(key, "key")
        if mytype:
            _check_word(mytype, "MyType")
        if targettype is None:
            targettype = _default_targettype(mytype)
        elif targettype:
            _check_word(targettype, "TargetType")
        if self._lines is None:
            self._single(self._new_ad, key, mytype, targettype)
        else:
            self._new_ad(key, mytype, targettype)

    def _new_ad(self, key: str, mytype: str, targettype: str) -> None:
        p = self._pending_for(key)
        if p.exists:
            raise ValueError(f"ad {key} exists already")
        p.exists = True
        p.fresh = True
        p.mytype = mytype
        p.targettype = targettype
        p.changes = {}
        p.names = {}
        p.readded = set()
        self._lines.append(_new_ad_line(key, mytype, targettype))

    def destroy_ad(self, key: str) -> None:
        """Remove the ad under *key*.

        :raises KeyError: there is no such ad.
        """
        if self._lines is None:
            self._single(self._destroy_ad, key)
        else:
            self._destroy_ad(key)

    def _destroy_ad(self, key: str) -> None:
        p = self._pending_for(key)
        if not p.exists:
            raise KeyError(key)
        p.exists = False
        p.fresh = True
        p.changes = {}
        p.names = {}
        p.readded = set()
        self._lines.append(f"102 {key}\n")

    def set_attr(self, key: str, name: str, value: Any) -> None:
        """Set attribute *name* of ad *key* to an expression.

        :param value: expression text in old ClassAd syntax (a ``str`` is used
            as is, so a string value must be quoted, see :func:`string_text`),
            or an ExprTree or Python value, converted by :func:`expr_text`.
        :raises KeyError: there is no such ad.
        :raises ValueError: the name has blanks, or the text is empty or has a newline.
        """
        self.set_attrs(key, {name: value})

    def set_attrs(self, key: str, attrs: Mapping[str, Any]) -> None:
        """Set several attributes of ad *key*; see :meth:`set_attr`.

        Nothing is changed if any name or value is bad.
        """
        items = []
        for name, value in attrs.items():
            if type(value) is not str:
                value = expr_text(value)
            if "\n" in value or "\0" in value or not value or value.isspace():
                raise ValueError(f"bad value for {name}: {value!r} (empty, or with a newline or NUL)")
            if not name or " " in name or not name.isprintable():
                _check_word(name, "attribute name")
            items.append((name, value))
        if self._lines is None:
            self._single(self._set_many, key, items)
        else:
            self._set_many(key, items)

    def _set_many(self, key: str, items: list[tuple[str, str]]) -> None:
        p = self._pending.get(key) or self._pending_for(key)
        if not p.exists:
            raise KeyError(key)
        names = p.names
        changes = p.changes
        lines = self._lines
        prefix = f"103 {key} "
        for name, value in items:
            low = name.lower()
            real = names.get(low)
            if real is None:
                names[low] = name
                changes[name] = value
            elif changes[real] is None:
                # Deleted earlier in this transaction: the attribute comes back
                # under this spelling, at the end, as replaying the records does.
                del changes[real]
                names[low] = name
                changes[name] = value
                p.readded.add(low)
            else:
                changes[real] = value
            lines.append(f"{prefix}{name} {value}\n")

    def delete_attr(self, key: str, name: str) -> None:
        """Remove attribute *name* from ad *key* (no error if it has no such attribute).

        :raises KeyError: there is no such ad.
        """
        _check_word(name, "attribute name")
        if self._lines is None:
            self._single(self._delete_attr, key, name)
        else:
            self._delete_attr(key, name)

    def _delete_attr(self, key: str, name: str) -> None:
        p = self._pending_for(key)
        if not p.exists:
            raise KeyError(key)
        low = name.lower()
        real = p.names.get(low)
        if real is None:
            committed = None if p.fresh else self._ads[key]._names.get(low)
            real = committed or name
            p.names[low] = real
        p.changes[real] = None
        self._lines.append(f"104 {key} {name}\n")

    def lookup_in_transaction(self, key: str, name: str) -> str | None:
        """Attribute *name* of ad *key* as the open transaction sees it (its own changes included)."""
        p = self._pending.get(key)
        if p is None:
            return self.lookup(key, name)
        if not p.exists:
            return None
        real = p.names.get(name.lower())
        if real is not None:
            return p.changes[real]
        if p.fresh:
            return None
        return self._ads[key].get(name)

    def exists_in_transaction(self, key: str) -> bool:
        """Whether ad *key* exists as the open transaction sees it."""
        p = self._pending.get(key)
        return key in self._ads if p is None else p.exists

    # -- compaction ------------------------------------------------------------------
    def compact(self) -> None:
        """Rewrite the log as just the current state, atomically.

        The state goes to ``<path>.tmp``, which is ``fsync``-ed and renamed
        over the log, and the directory is ``fsync``-ed: a crash at any point
        leaves the old log or the new one, each complete.  The new file's
        ``107`` line carries the next sequence number.

        :raises JobQueueLogError: a transaction is open.
        """
        fd = self._require_fd()
        if self._lines is not None:
            raise JobQueueLogError("cannot compact the job queue log inside a transaction")
        seq = self.sequence_number + 1
        parts = [f"107 {seq} CreationTimestamp {self.creation_timestamp}\n"]
        for key, ad in self._ads.items():
            parts.append(_new_ad_line(key, ad.mytype, ad.targettype))
            prefix = f"103 {key} "
            parts.extend([f"{prefix}{name} {value}\n" for name, value in ad._attrs.items()])
        data = "".join(parts).encode("utf-8", "surrogateescape")
        tmp = self.path + ".tmp"
        new_fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND | os.O_CLOEXEC, 0o600)
        try:
            if self._lock:
                # Locked before it appears under the log's name.
                fcntl.flock(new_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            _write_all(new_fd, data)
            os.fsync(new_fd)
            os.replace(tmp, self.path)
        except BaseException:
            os.close(new_fd)
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        self._fd = new_fd
        os.close(fd)
        self._size = len(data)
        self._broken = None
        self.sequence_number = seq
        _fsync_dir(self.path)


def _check_word(word: str, what: str) -> None:
    if not word or any(c.isspace() for c in word) or not word.isprintable():
        raise ValueError(f"bad {what} {word!r}: it must be non-empty, printable and without blanks")
