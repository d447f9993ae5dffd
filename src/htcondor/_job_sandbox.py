"""File transfer between a job's initial working directory and its sandbox, as HTCondor does it.

With ``ShouldTransferFiles = "YES"`` the starter runs the job in a scratch
directory (the sandbox) and moves files in and out of it:

Input
    The executable (unless ``TransferExecutable`` is false), standard input
    (``In``, unless ``TransferIn`` is false) and each entry of the
    comma-separated ``TransferInput``.  Relative names are found in the
    job's ``Iwd``.  A file lands at the top of the sandbox under its base
    name; a directory ``d`` is copied whole as ``d``; ``d/`` (trailing
    slash) copies the directory's *contents* to the top of the sandbox.
Output
    The entries of ``TransferOutput`` (same trailing-slash rule; a path
    ``a/b`` comes back as ``b`` unless ``PreserveRelativePaths``) or, when
    the job names none, every plain file at the top of the sandbox that the
    job created or changed (subdirectories are not searched).  Each goes to
    ``Iwd`` under its name, or where ``TransferOutputRemaps``
    (``name=newname;...``) sends it.

Failures are :class:`TransferFailure` exceptions carrying the errno and the
detail text the way HTCondor's file transfer words them (``reading from
file /path: (errno 2) No such file or directory``); the starter turns them
into holds with codes 13 (input) and 12 (output).

>>> import os, tempfile
>>> iwd, box = tempfile.mkdtemp(), tempfile.mkdtemp()
>>> _ = open(os.path.join(iwd, "in.txt"), "w").write("data")
>>> stats = transfer_input(["in.txt"], iwd, box)
>>> sorted(os.listdir(box)), stats.bytes, stats.files
(['in.txt'], 4, 1)
"""

from __future__ import annotations

import errno as errno_mod
import os
import shutil
from dataclasses import dataclass

__all__ = ["TransferFailure", "TransferStats", "split_file_list", "parse_remaps", "transfer_input",
           "snapshot", "changed_files", "transfer_output", "copy_back", "tree_size_kb", "SANDBOX_INTERNAL",
           "STDOUT_NAME", "STDERR_NAME"]

STDOUT_NAME = "_condor_stdout"
STDERR_NAME = "_condor_stderr"
# Files the starter itself keeps in the sandbox: never output.
SANDBOX_INTERNAL = frozenset({STDOUT_NAME, STDERR_NAME, ".job.ad", ".machine.ad", ".chirp.config", ".update.ad",
                              ".job.ad.out", "condor_exec.exe"})


class TransferFailure(Exception):
    """A file could not be transferred.

    :ivar direction: ``"input"`` or ``"output"``.
    :ivar at_execution_point: True when the failure happened on the sandbox side (reading an output
        file, writing an input file), False on the submit side.
    :ivar errno: the error number (HTCondor's hold subcode).
    :ivar detail: HTCondor's wording of what failed.
    :ivar protocol: the URL scheme, for a URL that could not be fetched.
    """

    def __init__(self, direction: str, at_execution_point: bool, detail: str, errno: int = 0,
                 protocol: str | None = None) -> None:
        super().__init__(detail)
        self.direction = direction
        self.at_execution_point = at_execution_point
        self.detail = detail
        self.errno = errno
        self.protocol = protocol


@dataclass
class TransferStats:
    """What one direction of a transfer moved: bytes and files."""

    bytes: int = 0
    files: int = 0

    def add(self, other: "TransferStats") -> None:
        self.bytes += other.bytes
        self.files += other.files


def split_file_list(text: str | None) -> list[str]:
    """The entries of a comma-separated file list (blanks around entries dropped).

    >>> split_file_list(" a, b/ ,,c ")
    ['a', 'b/', 'c']
    """
    if not text:
        return []
    return [item.strip() for item in text.split(",") if item.strip()]


def parse_remaps(text: str | None) -> dict[str, str]:
    """``TransferOutputRemaps`` as a dict: ``name=newname`` entries separated by ``;``.

    A backslash escapes ``=``, ``;`` or itself inside a name.

    >>> parse_remaps("out.txt = results/out.txt; a\\\\=b=c")
    {'out.txt': 'results/out.txt', 'a=b': 'c'}
    """
    remaps: dict[str, str] = {}
    if not text:
        return remaps
    entries: list[list[str]] = [[""]]
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            entries[-1][-1] += text[i + 1]
            i += 2
            continue
        if c == ";":
            entries.append([""])
        elif c == "=" and len(entries[-1]) == 1:
            entries[-1].append("")
        else:
            entries[-1][-1] += c
        i += 1
    for entry in entries:
        if len(entry) == 2 and entry[0].strip():
            remaps[entry[0].strip()] = entry[1].strip()
    return remaps


def _errno_text(err: int) -> str:
    return f"(errno {err}) {os.strerror(err)}"


def _copy_file(src: str, dst: str) -> int:
    """Copy one file's bytes and permission bits; return its size."""
    shutil.copyfile(src, dst)
    shutil.copymode(src, dst)
    return os.path.getsize(dst)


def _copy_tree(src: str, dst: str, stats: TransferStats, direction: str, dst_at_ep: bool) -> None:
    """Copy directory ``src`` to ``dst`` (merged into an existing one), counting bytes and files."""
    try:
        os.makedirs(dst, exist_ok=True)
    except OSError as e:
        raise TransferFailure(direction, dst_at_ep, f"failed to create directory {dst}: {_errno_text(e.errno)}",
                              e.errno) from e
    try:
        names = sorted(os.listdir(src))
    except OSError as e:
        raise TransferFailure(direction, not dst_at_ep, f"reading from file {src}: {_errno_text(e.errno)}",
                              e.errno) from e
    for name in names:
        s, d = os.path.join(src, name), os.path.join(dst, name)
        if os.path.isdir(s):
            _copy_tree(s, d, stats, direction, dst_at_ep)
        else:
            _copy_one(s, d, stats, direction, dst_at_ep)


def _copy_one(src: str, dst: str, stats: TransferStats, direction: str, dst_at_ep: bool) -> None:
    """Copy one file, turning errors into :class:`TransferFailure` on the side that failed."""
    try:
        fd = os.open(src, os.O_RDONLY)
        os.close(fd)
    except OSError as e:
        raise TransferFailure(direction, not dst_at_ep, f"reading from file {src}: {_errno_text(e.errno)}",
                              e.errno) from e
    try:
        stats.bytes += _copy_file(src, dst)
    except OSError as e:
        raise TransferFailure(direction, dst_at_ep, f"writing to file {dst}: {_errno_text(e.errno)}",
                              e.errno) from e
    stats.files += 1


def _copy_entry(src: str, dst_dir: str, dst_name: str | None, stats: TransferStats, direction: str,
                dst_at_ep: bool) -> None:
    """Copy file or directory ``src`` into ``dst_dir`` (trailing slash on ``src``: its contents)."""
    contents_only = src.endswith("/") and len(src) > 1
    path = src.rstrip("/") or "/"
    if contents_only and os.path.isdir(path):
        _copy_tree(path, dst_dir, stats, direction, dst_at_ep)
        return
    target = os.path.join(dst_dir, dst_name or os.path.basename(path))
    if os.path.isdir(path):
        _copy_tree(path, target, stats, direction, dst_at_ep)
    else:
        _copy_one(path, target, stats, direction, dst_at_ep)


def _local_path(entry: str, base: str, direction: str) -> str:
    """The local path of a list entry: relative to ``base``; ``file://`` URLs allowed."""
    if "://" in entry:
        scheme, _, rest = entry.partition("://")
        if scheme.lower() != "file":
            raise TransferFailure(direction, True, f"URL file = {entry}|Error: no plugin for the '{scheme}' "
                                  "protocol on this execution point", errno_mod.EPROTONOSUPPORT, scheme.lower())
        entry = rest
    return entry if os.path.isabs(entry) else os.path.join(base, entry)


def transfer_input(entries: list[str], iwd: str, sandbox: str, *, executable: str | None = None) -> TransferStats:
    """Copy the job's input into its sandbox.

    :param entries: the input files and directories (``TransferInput`` split, plus ``In``),
        relative to ``iwd`` or absolute; a trailing ``/`` on a directory copies its contents.
    :param iwd: the job's initial working directory.
    :param sandbox: the scratch directory to fill.
    :param executable: the program, copied first under its base name and made executable.
    :returns: bytes and files copied.
    :raises TransferFailure: for the first entry that cannot be read or written.
    """
    stats = TransferStats()
    if executable is not None:
        src = executable if os.path.isabs(executable) else os.path.join(iwd, executable)
        _copy_one(src, os.path.join(sandbox, os.path.basename(src)), stats, "input", True)
        try:
            os.chmod(os.path.join(sandbox, os.path.basename(src)), 0o755)
        except OSError:  # the exec then fails and reports it
            pass
    for entry in entries:
        _copy_entry(_local_path(entry, iwd, "input"), sandbox, None, stats, "input", True)
    return stats


def snapshot(sandbox: str) -> dict[str, tuple[int, int]]:
    """Name -> (mtime in ns, size) of the plain files at the top of ``sandbox``."""
    out = {}
    with os.scandir(sandbox) as it:
        for entry in it:
            try:
                if entry.is_file(follow_symlinks=False):
                    st = entry.stat(follow_symlinks=False)
                    out[entry.name] = (st.st_mtime_ns, st.st_size)
            except OSError:
                continue
    return out


def changed_files(sandbox: str, before: dict[str, tuple[int, int]], exclude=()) -> list[str]:
    """The plain files at the top of ``sandbox`` that are new or changed since ``before``, sorted."""
    now = snapshot(sandbox)
    skip = SANDBOX_INTERNAL | set(exclude)
    return sorted(name for name, sig in now.items() if name not in skip and before.get(name) != sig)


def _destination(name: str, iwd: str, remaps: dict[str, str], preserve_relative: bool) -> tuple[str, str | None]:
    """(directory, file name or None) where output entry ``name`` goes."""
    plain = name.rstrip("/")
    for key in (plain, os.path.basename(plain)):
        if key in remaps:
            target = remaps[key]
            if "://" in target:
                scheme = target.partition("://")[0].lower()
                raise TransferFailure("output", True, f"URL file = {target}|Error: no plugin for the '{scheme}' "
                                      "protocol on this execution point", errno_mod.EPROTONOSUPPORT, scheme)
            target = target if os.path.isabs(target) else os.path.join(iwd, target)
            if target.endswith("/"):
                return target, os.path.basename(plain)
            return os.path.dirname(target) or iwd, os.path.basename(target)
    if preserve_relative and "/" in plain and not os.path.isabs(plain):
        return os.path.join(iwd, os.path.dirname(plain)), os.path.basename(plain)
    return iwd, None


def transfer_output(entries: list[str] | None, iwd: str, sandbox: str, *, before: dict | None = None,
                    remaps: dict[str, str] | None = None, preserve_relative: bool = False,
                    exclude=()) -> TransferStats:
    """Copy the job's output from its sandbox to ``iwd``.

    :param entries: ``TransferOutput`` split, or None to send every new or changed top-level file.
    :param iwd: where output goes (relative remap targets too).
    :param sandbox: the job's scratch directory.
    :param before: the :func:`snapshot` taken when the job started (for ``entries=None``).
    :param remaps: ``TransferOutputRemaps`` parsed.
    :param preserve_relative: keep ``a/b`` as ``a/b`` under ``iwd`` instead of ``b``.
    :param exclude: names never sent back when detecting output (the executable).
    :returns: bytes and files copied.
    :raises TransferFailure: if a named output is missing or cannot be written.
    """
    remaps = remaps or {}
    stats = TransferStats()
    if entries is None:
        entries = changed_files(sandbox, before or {}, exclude)
    for entry in entries:
        src = entry if os.path.isabs(entry) else os.path.join(sandbox, entry)
        plain = src.rstrip("/") or "/"
        if not os.path.lexists(plain):
            raise TransferFailure("output", True, f"reading from file {plain}: {_errno_text(errno_mod.ENOENT)}",
                                  errno_mod.ENOENT)
        dst_dir, dst_name = _destination(entry, iwd, remaps, preserve_relative)
        if dst_dir != iwd and not os.path.isdir(dst_dir):
            try:
                os.makedirs(dst_dir, exist_ok=True)
            except OSError as e:
                raise TransferFailure("output", False, f"failed to create directory {dst_dir}: "
                                      f"{_errno_text(e.errno)}", e.errno) from e
        _copy_entry(src, dst_dir, dst_name, stats, "output", False)
    return stats


def copy_back(src: str, dst: str) -> TransferStats:
    """Copy one sandbox file (standard output or error) to ``dst`` on the submit side."""
    stats = TransferStats()
    _copy_one(src, dst, stats, "output", False)
    return stats


def tree_size_kb(path: str) -> int:
    """Disk used below ``path`` in KiB (allocated blocks, as ``du -k``)."""
    total = 0
    for root, dirs, files in os.walk(path):
        for name in files + dirs:
            try:
                st = os.lstat(os.path.join(root, name))
            except OSError:
                continue
            total += st.st_blocks * 512
    return (total + 1023) // 1024
