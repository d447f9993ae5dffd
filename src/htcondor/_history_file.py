"""The schedd's history file: the ads of jobs that left the queue, in HTCondor's format.

Each record is the job ad in the old ClassAd syntax, one ``Name = value``
line per attribute, followed by a banner line::

    *** Offset = 0 ClusterId = 1 ProcId = 0 Owner = "alice" CompletionDate = 0 CurrentTime = 1700000000

``Offset`` is where the record starts in the file (a byte offset), and
``CurrentTime`` when it was appended; readers such as ``condor_history``
scan the file backwards, newest record first, and so does
:func:`read_history`.

>>> import classad, os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "history")
>>> writer = HistoryWriter(path)
>>> for proc in range(3):
...     writer.append(classad.ClassAd({"ClusterId": 1, "ProcId": proc, "Owner": "alice"}))
>>> [ad["ProcId"] for ad in read_history(path)]
[2, 1, 0]
>>> open(path).read().splitlines()[3].split(" CurrentTime")[0]
'*** Offset = 0 ClusterId = 1 ProcId = 0 Owner = "alice" CompletionDate = -1'
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import classad
from classad._unparse import unparse_record

__all__ = ["HistoryWriter", "read_history", "history_records", "append_epoch"]

_BANNER = "*** "
_CHUNK = 1 << 16


def _int_attr(ad: classad.ClassAd, name: str, default: int) -> int:
    value = ad.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return default
    return int(value)


class HistoryWriter:
    """Appends job ads to a history file (created when needed).

    :param path: the file, ``$(HISTORY)`` for the schedd.

    Each record goes out with one ``write()`` on a file opened with
    ``O_APPEND``, so a reader never sees half a record followed by another.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = os.fspath(path)

    def append(self, ad: classad.ClassAd, now: float | None = None) -> None:
        """Append one job ad and its banner line.

        :raises OSError: the file cannot be opened or written.
        """
        self.append_many([ad], now)

    def append_many(self, ads: list[classad.ClassAd], now: float | None = None) -> None:
        """Append several job ads, in order (the last one is the newest)."""
        if not ads:
            return
        now = int(time.time() if now is None else now)
        directory = os.path.dirname(self.path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            offset = os.fstat(fd).st_size
            parts = []
            for ad in ads:
                body = unparse_record(ad._attrs, "old")
                if body and not body.endswith("\n"):
                    body += "\n"
                owner = ad.get("Owner")
                owner = owner if isinstance(owner, str) else "?"
                banner = (f"*** Offset = {offset} ClusterId = {_int_attr(ad, 'ClusterId', -1)} "
                          f"ProcId = {_int_attr(ad, 'ProcId', -1)} Owner = \"{owner}\" "
                          f"CompletionDate = {_int_attr(ad, 'CompletionDate', -1)} CurrentTime = {now}\n")
                record = (body + banner).encode("utf-8", "surrogateescape")
                parts.append(record)
                offset += len(record)
            data = b"".join(parts)
            written = os.write(fd, data)
            while written < len(data):
                written += os.write(fd, data[written:])
        finally:
            os.close(fd)


def append_epoch(path: str | os.PathLike, ad: classad.ClassAd, now: float | None = None) -> None:
    """Append one run ("epoch") of a job to ``$(JOB_EPOCH_HISTORY)``, as HTCondor's shadow records it.

    The record is the job ad as the run left it, ``JobEpochWriteDate``, and the banner
    ``*** EPOCH ClusterId=1 ProcId=0 RunInstanceId=0 Owner="alice" CurrentTime=...``, where
    ``RunInstanceId`` counts the job's runs from 0.

    :raises OSError: the file cannot be opened or written.
    """
    now = int(time.time() if now is None else now)
    body = unparse_record(ad._attrs, "old")
    if body and not body.endswith("\n"):
        body += "\n"
    owner = ad.get("Owner")
    banner = (f"*** EPOCH ClusterId={_int_attr(ad, 'ClusterId', -1)} ProcId={_int_attr(ad, 'ProcId', -1)} "
              f"RunInstanceId={max(_int_attr(ad, 'NumShadowStarts', 1) - 1, 0)} "
              f"Owner=\"{owner if isinstance(owner, str) else '?'}\" CurrentTime={now}\n")
    data = (body + f"JobEpochWriteDate = {now}\n" + banner).encode("utf-8", "surrogateescape")
    directory = os.path.dirname(os.fspath(path))
    if directory:
        os.makedirs(directory, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        written = os.write(fd, data)
        while written < len(data):
            written += os.write(fd, data[written:])
    finally:
        os.close(fd)


def history_records(path: str | os.PathLike) -> Iterator[str]:
    """The text of each record of a history file (its ad lines, without the banner), newest first.

    The file is read backwards in blocks, so the newest records come without
    reading the whole file.  A missing file has no records.
    """
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        return
    with f:
        position = f.seek(0, os.SEEK_END)
        tail = b""
        lines: list[bytes] = []
        in_record = False  # lines after the last banner are a record still being written: skipped
        while position > 0:
            start = max(0, position - _CHUNK)
            f.seek(start)
            block = f.read(position - start) + tail
            position = start
            pieces = block.split(b"\n")
            if position > 0:
                # the first piece may be the end of a line that starts in the previous block
                tail = pieces.pop(0)
            for line in reversed(pieces):
                if line.startswith(b"***"):
                    if in_record and lines:
                        yield _record_text(lines)
                    lines = []
                    in_record = True
                elif in_record and line.strip():
                    lines.append(line)
        if in_record and lines:
            yield _record_text(lines)


def _record_text(reversed_lines: list[bytes]) -> str:
    return b"\n".join(reversed(reversed_lines)).decode("utf-8", "surrogateescape")


def read_history(path: str | os.PathLike) -> Iterator[classad.ClassAd]:
    """The job ads of a history file, newest first (unreadable records are skipped)."""
    for text in history_records(path):
        try:
            yield classad.parseOne(text, classad.Parser.Old)
        except Exception:
            continue
