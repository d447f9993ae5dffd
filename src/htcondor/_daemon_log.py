"""Daemon log files in HTCondor's line format.

Each line is ``MM/DD/YY HH:MM:SS message``, with ``(pid:N)`` after the time
when the daemon's ``<SUBSYS>_DEBUG`` (or ``ALL_DEBUG``) holds ``D_PID``, as
HTCondor writes it.  A log that grows past ``MAX_<SUBSYS>_LOG`` bytes is
renamed to ``<file>.old`` and started again.

>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "SchedLog")
>>> log = DaemonLog(path, show_pid=False)
>>> log.write("Hello")
>>> open(path).read()[17:]
' Hello\\n'
"""

from __future__ import annotations

import os
import re
import time

__all__ = ["DaemonLog", "parse_size"]


def parse_size(text: str, default: int = 10 * 1024 * 1024) -> int:
    """``"10 Mb"``, ``"1000000"``, ``"64 Kb"`` in bytes (HTCondor's MAX_*_LOG syntax)."""
    m = re.fullmatch(r"\s*(\d+)\s*([kmgt]?)b?\s*", text or "", re.I)
    if m is None:
        return default
    return int(m.group(1)) * 1024 ** "_kmgt".index(m.group(2).lower() or "_")


class DaemonLog:
    """An append-only log file; each :meth:`write` is one line, flushed at once."""

    def __init__(self, path: str | None, show_pid: bool = True, max_size: int = 10 * 1024 * 1024):
        self.path = path
        self.show_pid = show_pid
        self.max_size = max_size
        self._file = None
        if path:
            os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
            self._file = open(path, "a", encoding="utf-8", buffering=1)

    def write(self, message: str) -> None:
        if self._file is None:
            return
        stamp = time.strftime("%m/%d/%y %H:%M:%S")
        prefix = f"{stamp} (pid:{os.getpid()}) " if self.show_pid else f"{stamp} "
        for line in str(message).splitlines() or [""]:
            self._file.write(prefix + line + "\n")
        if self.max_size and self._file.tell() > self.max_size:
            self._rotate()

    def _rotate(self) -> None:
        self._file.close()
        os.replace(self.path, self.path + ".old")
        self._file = open(self.path, "a", encoding="utf-8", buffering=1)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
