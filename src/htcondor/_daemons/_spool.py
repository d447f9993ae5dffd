"""Spooled jobs: input files kept by the schedd, outputs fetched back by the client.

A job submitted with ``spool=True`` waits on hold (code 16, "Spooling input
data files") until its client sends the input files (``Schedd.spool``).
The schedd keeps them in the job's *spool directory*, as HTCondor lays it
out::

    $(SPOOL)/<cluster % 10000>/<proc % 10000>/cluster<cluster>.proc<proc>.subproc0

then rewrites the job to run from there — the original ``Iwd``, ``Cmd``,
``In``, ``TransferInput`` and ``TransferOutputRemaps`` are kept as
``SUBMIT_<name>`` — and releases it.  The job's outputs land in the same
directory; ``Schedd.retrieve`` copies them back to the client's ``Iwd``,
applying the original remaps.  This is how a client that does not share a
file system with the schedd submits work; here it also lets a job run from
a copy of its inputs that the user may then change or delete.
"""

from __future__ import annotations

import base64
import os
import re
import shutil

import classad
from classad._nodes import Literal as _Literal

from .._errors import HTCondorIOError, HTCondorValueError

__all__ = ["spool_directory", "safe_name", "rewrite_for_spool", "output_files", "remove_spool", "CHUNK"]

#: Bytes of a file per message (before base64): well under the wire's 64 MiB limit.
CHUNK = 8 * 1024 * 1024

_SPOOLED_ATTRS = ("Iwd", "Cmd", "In", "TransferInput", "TransferOutputRemaps")


def spool_directory(spool: str, cluster: int, proc: int) -> str:
    """The job's spool directory, as HTCondor names it."""
    return os.path.join(spool, str(cluster % 10000), str(proc % 10000), f"cluster{cluster}.proc{proc}.subproc0")


def safe_name(name) -> str:
    """A spooled file's name: a plain file name, never a path.

    :raises HTCondorValueError: for anything else (``..``, a slash, an empty name).
    """
    if not isinstance(name, str) or not name or name in (".", "..") or "/" in name or "\0" in name:
        raise HTCondorValueError(f"bad spooled file name {name!r}")
    return name


def write_chunk(directory: str, name: str, data_b64, offset) -> int:
    """Write one chunk of a spooled file at ``offset``; return the bytes written."""
    if type(offset) is not int or offset < 0 or not isinstance(data_b64, str):
        raise HTCondorValueError("a spooled chunk needs an offset and base64 data")
    try:
        data = base64.b64decode(data_b64, validate=True)
    except ValueError:
        raise HTCondorValueError("the spooled data is not base64") from None
    if len(data) > CHUNK:
        raise HTCondorValueError(f"a spooled chunk holds at most {CHUNK} bytes")
    path = os.path.join(directory, safe_name(name))
    os.makedirs(directory, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if offset == 0 else 0), 0o755)
        try:
            os.pwrite(fd, data, offset)
        finally:
            os.close(fd)
    except OSError as e:
        raise HTCondorIOError(f"cannot write {name} into the spool: {e.strerror}") from None
    return len(data)


def rewrite_for_spool(queue, txn, key: tuple[int, int], ad: classad.ClassAd, directory: str) -> list[str]:
    """Stage the changes that make a job run from its spool directory; return the spooled input names.

    The originals are kept as ``SUBMIT_<attr>``; the job's input names become plain names in
    the spool directory, and its output remaps wait for :func:`output_files`'s caller.
    """
    spooled = sorted(os.listdir(directory)) if os.path.isdir(directory) else []
    for attr in _SPOOLED_ATTRS:
        value = ad.get(attr)
        if isinstance(value, str):
            queue.stage_set(txn, key, f"SUBMIT_{attr}", _Literal(value))
    queue.stage_set(txn, key, "Iwd", _Literal(directory))
    cmd = ad.get("Cmd")
    if isinstance(cmd, str) and ad.get("TransferExecutable", True) is not False \
            and os.path.basename(cmd) in spooled:
        queue.stage_set(txn, key, "Cmd", _Literal(os.path.join(directory, os.path.basename(cmd))))
    stdin = ad.get("In")
    if isinstance(stdin, str) and stdin != "/dev/null":
        queue.stage_set(txn, key, "In", _Literal(os.path.basename(stdin)))
    inputs = ad.get("TransferInput")
    if isinstance(inputs, str) and inputs.strip():
        names = [os.path.basename(p.strip().rstrip("/")) for p in inputs.split(",") if p.strip()]
        queue.stage_set(txn, key, "TransferInput", _Literal(",".join(names)))
    # outputs stay in the spool directory until the client retrieves them; remaps apply then
    queue.stage_delete(txn, key, "TransferOutputRemaps")
    queue.stage_set(txn, key, "SpooledInputFiles", _Literal(",".join(spooled)))
    return spooled


def output_files(ad: classad.ClassAd) -> list[tuple[str, str]]:
    """(name in the spool directory, where it goes relative to the client's Iwd) for a spooled job's outputs.

    Everything in the directory that was not spooled in, or was changed since; each renamed
    by the original ``TransferOutputRemaps``.
    """
    directory = ad.get("Iwd")
    if not isinstance(directory, str) or not os.path.isdir(directory):
        return []
    spooled_in = set(filter(None, str(ad.get("SpooledInputFiles") or "").split(",")))
    stage_in = ad.get("StageInFinish")
    remaps: dict[str, str] = {}
    for part in re.split(r"(?<!\\);", str(ad.get("SUBMIT_TransferOutputRemaps") or "")):
        source, sep, target = part.partition("=")
        if sep and source.strip():
            remaps[source.strip()] = target.strip()
    out = []
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        if not os.path.isfile(path) or name.startswith(".") or name.startswith("_condor_creds"):
            continue
        if name in spooled_in and not (type(stage_in) is int and os.path.getmtime(path) > stage_in + 1):
            continue
        out.append((name, remaps.get(name, name)))
    return out


def read_chunks(path: str):
    """The file's contents, base64 text per :data:`CHUNK` (one empty chunk for an empty file)."""
    with open(path, "rb") as f:
        first = True
        while True:
            data = f.read(CHUNK)
            if not data and not first:
                return
            first = False
            yield base64.b64encode(data).decode("ascii")
            if len(data) < CHUNK:
                return


def remove_spool(spool: str, cluster: int, proc: int) -> None:
    """Remove a job's spool directory when the job leaves the queue."""
    directory = spool_directory(spool, cluster, proc)
    if os.path.isdir(directory):
        shutil.rmtree(directory, ignore_errors=True)
