"""Advisory file locks that HTCondor's own programs honour: :func:`htcondor.lock`.

HTCondor does not lock a shared file (an event log, say) itself: it locks a
small companion file on local disk, named by a hash of the file's real path,
under ``$(LOCAL_DISK_LOCK_DIR)`` (by default ``$(TMP_DIR)/condorLocks``, or
``/tmp/condorLocks``), with a POSIX ``fcntl`` lock over the whole file.  Two
processes that lock the same file therefore meet on the same companion file,
even when the file itself is on a network file system.  With
``CREATE_LOCKS_ON_LOCAL_DISK = false`` the file itself is locked instead.

The companion file exists while its :class:`FileLock` does and is removed,
with the two directory levels above it when they become empty, once the
object is garbage-collected, as in HTCondor.

>>> import htcondor, tempfile, warnings
>>> warnings.simplefilter("ignore", FutureWarning)
>>> with tempfile.NamedTemporaryFile("w") as f:
...     with htcondor.lock(f, htcondor.LockType.WriteLock) as held:
...         type(held).__name__
'FileLock'
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import warnings

from ._enums import HTCondorEnum, add_tables
from ._errors import HTCondorInternalError, HTCondorIOError, HTCondorTypeError

__all__ = ["LockType", "FileLock", "lock", "lock_file_path", "ProvisionerState"]


@add_tables
class LockType(HTCondorEnum):
    """The kind of lock :func:`htcondor.lock` takes: shared (``ReadLock``) or exclusive (``WriteLock``).

    >>> import htcondor
    >>> int(htcondor.LockType.WriteLock), str(htcondor.LockType.ReadLock)
    (1, 'ReadLock')
    """

    ReadLock = 0
    WriteLock = 1


# It has no better home here: the provisioner nodes of DAGMan it describes are not built.
@add_tables
class ProvisionerState(HTCondorEnum):
    """The states of a DAGMan provisioner job (HTCondor's ``ProvisionerState`` job attribute).

    >>> import htcondor
    >>> htcondor.ProvisionerState(2)
    htcondor.htcondor.ProvisionerState.ProvisioningComplete
    """

    New = 0
    ProvisioningStarted = 1
    ProvisioningComplete = 2
    DeprovisioningStarted = 3
    DeprovisioningComplete = 4


_FCNTL_MODE = {LockType.ReadLock: fcntl.LOCK_SH, LockType.WriteLock: fcntl.LOCK_EX}


def _param(name: str, default: object = None) -> object:
    import htcondor

    value = htcondor.param.get(name)
    return default if value in (None, "") else value


def _as_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "1", "yes", "t")


def lock_file_path(path: str, use_default: bool = False) -> str:
    """The companion lock file HTCondor uses for ``path`` (a hash of its real path under the lock directory).

    Parameters
    ----------
    path:
        The file to be locked; symbolic links are resolved first, as HTCondor does.
    use_default:
        Use ``/tmp/condorLocks`` rather than the configured directory (HTCondor's
        fallback when the configured one cannot be written).

    Returns
    -------
    str
        ``<dir>/<2 digits>/<2 digits>/<rest>.lockc``.

    >>> lock_file_path("/tmp/h9/lockfile", use_default=True)
    '/tmp/condorLocks/96/20/067308942067390.lockc'
    """
    real = os.path.realpath(path) if os.path.exists(path) else path
    value = 0
    for byte in os.fsencode(real):
        # C's ``char`` is signed: bytes above 127 count as negative numbers
        signed = byte - 256 if byte > 127 else byte
        value = (signed + (value << 6) + (value << 16) - value) % (1 << 64)
    digits = str(value)
    while len(digits) < 5:
        digits += str(value)
    if use_default:
        base = "/tmp/condorLocks"
    else:
        configured = _param("LOCAL_DISK_LOCK_DIR")
        if configured:
            base = str(configured)
        else:
            tmp = _param("TMP_DIR") or _param("TEMP_DIR") or "/tmp"
            base = os.path.join(str(tmp), "condorLocks")
    return os.path.join(base, digits[0:2], digits[2:4], digits[4:] + ".lockc")


def _touch(path: str) -> int | None:
    """Create ``path`` and its directories world-writable, as HTCondor does; its descriptor, or None."""
    old = os.umask(0)
    try:
        os.makedirs(os.path.dirname(path), mode=0o777, exist_ok=True)
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError:
        return None
    finally:
        os.umask(old)


class FileLock:
    """An advisory lock on a file, made by :func:`htcondor.lock`; a context manager.

    Entering takes the lock (waiting for other processes to release a
    conflicting one); leaving releases it.  Like POSIX locks, it excludes
    other processes, not other locks of the same process.  Objects cannot be
    made directly.

    Raises
    ------
    RuntimeError
        When called directly (``htcondor.FileLock()``), as the official class does.
    """

    def __init__(self, *args: object, **kwargs: object) -> None:
        raise RuntimeError("This class cannot be instantiated from Python")

    @classmethod
    def _create(cls, file: object, lock_type: LockType) -> FileLock:
        self = object.__new__(cls)
        self._lock_type = lock_type
        self._fd: int | None = None
        self._own_fd = False
        self._companion: str | None = None
        name = getattr(file, "name", None)
        if not hasattr(file, "fileno"):
            raise HTCondorTypeError("LockFile must be used with a file object.")
        file_fd = int(file.fileno())
        if isinstance(name, bytes):
            name = os.fsdecode(name)
        if not isinstance(name, str):
            name = None
        if name and _as_bool(_param("CREATE_LOCKS_ON_LOCAL_DISK", True)):
            for use_default in (False, True):
                companion = lock_file_path(name, use_default)
                fd = _touch(companion)
                if fd is not None:
                    self._fd, self._own_fd, self._companion = fd, True, companion
                    break
        if self._fd is None:
            # no companion file could be made: lock the file itself
            self._fd = file_fd
        return self

    def _obtain(self, mode: int) -> None:
        if self._fd is None:
            raise HTCondorInternalError("Trying to obtain a lock on an invalid LockFile object")
        for _ in range(6):
            try:
                fcntl.lockf(self._fd, mode)
            except OSError as e:
                raise HTCondorIOError("Unable to obtain a file lock.") from e
            # the companion file may have been removed while we waited: make it again
            if not self._own_fd or mode == fcntl.LOCK_UN or os.fstat(self._fd).st_nlink > 0:
                return
            os.close(self._fd)
            self._fd = _touch(self._companion or "")
            if self._fd is None:
                break
        raise HTCondorIOError("Unable to obtain a file lock.")

    def __enter__(self) -> FileLock:
        """Take the lock, waiting while another process holds a conflicting one."""
        self._obtain(_FCNTL_MODE[self._lock_type])
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> bool:
        """Release the lock; returns whether the block ended without an exception."""
        if self._fd is None:
            raise HTCondorInternalError("Trying to release a lock on an invalid LockFile object")
        fcntl.lockf(self._fd, fcntl.LOCK_UN)
        return exc_type is None

    def __del__(self) -> None:
        fd, companion = getattr(self, "_fd", None), getattr(self, "_companion", None)
        if fd is None or not getattr(self, "_own_fd", False):
            return
        # (at interpreter exit the modules used here may already be gone: never complain)
        with contextlib.suppress(Exception):
            # remove the companion file only when no other process holds it
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if companion:
                os.unlink(companion)
                directory = os.path.dirname(companion)
                for _ in range(2):
                    os.rmdir(directory)
                    directory = os.path.dirname(directory)
        with contextlib.suppress(Exception):
            os.close(fd)


def lock(file: object, lock_type: LockType) -> FileLock:
    """Make an advisory lock on an open file that HTCondor's programs recognize; enter it to take the lock.

    Deprecated in HTCondor since 8.9.8 (it warns with :class:`FutureWarning`), but still part of the API.

    Parameters
    ----------
    file:
        An open file object (anything with ``fileno()``; its ``name`` selects the
        companion lock file).
    lock_type:
        :class:`LockType.ReadLock` (shared) or :class:`LockType.WriteLock` (exclusive).

    Returns
    -------
    FileLock
        A context manager: ``with htcondor.lock(f, htcondor.LockType.WriteLock): ...``.

    Raises
    ------
    HTCondorTypeError
        When ``file`` is not a file object (a path or a bare descriptor).
    TypeError
        When ``lock_type`` is not a :class:`LockType`.
    HTCondorIOError
        When entering fails to take the lock.

    >>> import htcondor, warnings
    >>> warnings.simplefilter("ignore", FutureWarning)
    >>> try:
    ...     htcondor.lock("/etc/hosts", htcondor.LockType.ReadLock)
    ... except htcondor.HTCondorTypeError as e:
    ...     print(e)
    LockFile must be used with a file object.
    """
    warnings.warn("lock() is deprecated since v8.9.8 and will be removed in a future release.",
                  FutureWarning, stacklevel=2)
    if not isinstance(lock_type, LockType):
        raise TypeError(f"lock() argument 2 must be htcondor.LockType, not {type(lock_type).__name__}")
    return FileLock._create(file, lock_type)
