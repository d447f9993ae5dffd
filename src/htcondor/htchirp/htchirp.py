"""The Chirp client proper: :class:`HTChirp` and the ``condor_chirp``-style front end :func:`condor_chirp`.

The protocol: one request per line (arguments separated by spaces, with
``\\``, space, tab, CR and LF escaped by a backslash), answered by a line
holding a number -- a result, a length of data that follows, or a negative
error code, which the client raises as a :class:`HTChirp.ChirpError` subclass.

>>> quote("a file\\tname")
'a\\\\ file\\\\\\tname'
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import socket
import stat as _stat
import sys

__all__ = ["HTChirp", "condor_chirp", "quote"]

_ESCAPE = re.compile(r"([\\ \n\t\r])")

_STAT_FIELDS = ["device", "inode", "mode", "nlink", "uid", "gid", "rdevice", "size", "blksize", "blocks",
                "atime", "mtime", "ctime"]
_STATFS_FIELDS = ["f_type", "f_bsize", "f_blocks", "f_bfree", "f_bavail", "f_files", "f_free"]


def quote(chirp_string: str) -> str:
    """Escape ``chirp_string`` for a Chirp request line: a backslash before each backslash, space, tab, CR and LF.

    >>> quote("two words")
    'two\\\\ words'
    """
    return _ESCAPE.sub(r"\\\1", chirp_string)


class HTChirp:
    """A client of a Chirp server, such as the proxy HTCondor's starter runs for a job that wants one.

    Parameters
    ----------
    host, port:
        The server; when either is missing, the file ``$_CONDOR_CHIRP_CONFIG``
        (default ``.chirp.config`` in the current directory) supplies host,
        port and cookie.
    auth:
        Authentication methods to try in order; only ``"cookie"`` exists.
    cookie:
        The shared secret for cookie authentication.
    timeout:
        Socket timeout in seconds.

    Raises
    ------
    ValueError
        When there is neither a host and port nor a config file, or for an unknown method.
    HTChirp.NotAuthenticated
        When no method is accepted.
    OSError
        When the server cannot be reached.

    Use it as a context manager to hold one connection for several calls;
    otherwise each call needs :meth:`connect` first.
    """

    CHIRP_LINE_MAX = 5120
    CHIRP_VERSION = 2
    CHIRP_AUTH_METHODS = ["cookie"]
    DEFAULT_MODE = 0o777

    class ChirpError(Exception):
        """The base of the errors a Chirp server reports."""

    class NotAuthenticated(ChirpError):
        """-1: the client has not authenticated."""

    class NotAuthorized(ChirpError):
        """-2: the client may not do that."""

    class DoesntExist(ChirpError):
        """-3: no such object."""

    class AlreadyExists(ChirpError):
        """-4: the object exists already."""

    class TooBig(ChirpError):
        """-5: the request is too big."""

    class NoSpace(ChirpError):
        """-6: no space left."""

    class NoMemory(ChirpError):
        """-7: the server is out of memory."""

    class InvalidRequest(ChirpError):
        """-8: a malformed request."""

    class TooManyOpen(ChirpError):
        """-9: too many resources in use."""

    class Busy(ChirpError):
        """-10: the object is in use."""

    class TryAgain(ChirpError):
        """-11: a temporary condition; try again."""

    class BadFD(ChirpError):
        """-12: an invalid file descriptor."""

    class IsDir(ChirpError):
        """-13: a file operation on a directory."""

    class NotDir(ChirpError):
        """-14: a directory operation on a file."""

    class NotEmpty(ChirpError):
        """-15: the directory is not empty."""

    class CrossDeviceLink(ChirpError):
        """-16: a hard link across devices."""

    class Offline(ChirpError):
        """-17: the resource is temporarily unavailable."""

    class UnknownError(ChirpError):
        """object other negative code."""

    _ERRORS: dict[int, tuple[str, str]] = {
        -1: ("NotAuthenticated", "The client has not authenticated its identity."),
        -2: ("NotAuthorized", "The client is not authorized to perform that action."),
        -3: ("DoesntExist", "There is no object by that name."),
        -4: ("AlreadyExists", "There is already an object by that name."),
        -5: ("TooBig", "That request is too big to execute."),
        -6: ("NoSpace", "There is not enough space to store that."),
        -7: ("NoMemory", "The server is out of memory."),
        -8: ("InvalidRequest", "The form of the request is invalid."),
        -9: ("TooManyOpen", "There are too many resources in use."),
        -10: ("Busy", "That object is in use by someone else."),
        -11: ("TryAgain", "A temporary condition prevented the request."),
        -12: ("BadFD", "The file descriptor requested is invalid."),
        -13: ("IsDir", "A file-only operation was attempted on a directory."),
        -14: ("NotDir", "A directory operation was attempted on a file."),
        -15: ("NotEmpty", "A directory cannot be removed because it is not empty."),
        -16: ("CrossDeviceLink", "A hard link was attempted across devices."),
        -17: ("Offline", "The requested resource is temporarily not available."),
    }

    def __init__(self, host: str | None = None, port: int | str | None = None, auth: list[str] | None = None,
                 cookie: str | None = None, timeout: float = 10) -> None:
        auth = ["cookie"] if auth is None else list(auth)
        self.fds: dict[int, tuple[str, str, int]] = {}
        self.socket: socket.socket | None = None
        self._reader: object = None
        config = os.environ.get("_CONDOR_CHIRP_CONFIG", ".chirp.config")
        if not (host and port):
            if "cookie" in auth and not cookie and os.path.isfile(config):
                with open(config) as f:
                    host, port, cookie = f.read().split()
            else:
                raise ValueError(".chirp.config must be present or you must provide a host and port")
        self.host, self.port, self.cookie, self.timeout = host, int(port), cookie, timeout
        self.authentication: str | None = None
        for method in auth:
            try:
                self.connect(method)
            except self.NotAuthenticated:
                continue
            finally:
                self.disconnect()
            self.authentication = method
            break
        if self.authentication is None:
            raise self.NotAuthenticated(f"Could not authenticate with methods {auth}")

    def __enter__(self) -> HTChirp:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.disconnect()

    def __del__(self) -> None:
        self.disconnect()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.host}, {self.port}) using {self.authentication} authentication"

    # -- connection -------------------------------------------------------------------------

    def is_connected(self) -> bool:
        """Whether the client holds an open connection."""
        return self.socket is not None and self.socket.fileno() >= 0

    def connect(self, auth_method: str | None = None) -> None:
        """Open a connection and authenticate (by default with the method that worked at construction).

        Raises
        ------
        HTChirp.NotAuthenticated
            When the server refuses the cookie.
        ValueError
            For an unknown method.
        """
        method = auth_method or self.authentication
        self.disconnect()
        self.socket = socket.create_connection((self.host, self.port), timeout=self.timeout)
        self._reader = self.socket.makefile("rb")
        if method == "cookie":
            if self._command(f"cookie {self.cookie}\n", check=False) != "0":
                raise self.NotAuthenticated(f"Could not authenticate using {method}")
        elif method in self.CHIRP_AUTH_METHODS:
            raise NotImplementedError(f"Auth method '{method}' not implemented in this client")
        else:
            raise ValueError(f"Unknown authentication method '{method}'")
        self.fds = {}

    def disconnect(self) -> None:
        """Close the connection, if any."""
        for stream in (getattr(self, "_reader", None), getattr(self, "socket", None)):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass
        self._reader, self.socket = None, None
        self.fds = {}

    # -- the wire ---------------------------------------------------------------------------

    def _raise_for(self, code: int) -> None:
        if code >= 0:
            return
        name, message = self._ERRORS.get(code, ("UnknownError", f"An unknown error ({code}) occured."))
        raise getattr(self, name)(message)

    def _line(self) -> str:
        if self._reader is None:
            raise RuntimeError("The Chirp client is not connected to a Chirp server.")
        line = self._reader.readline(self.CHIRP_LINE_MAX + 1)
        if not line:
            raise RuntimeError("Connection to the Chirp server is broken.")
        if len(line) > self.CHIRP_LINE_MAX:
            raise OSError("The server responded with too much data.")
        return line.decode().rstrip()

    def _response(self, check: bool = True) -> str:
        text = self._line()
        if check:
            try:
                code = int(text)
            except ValueError:
                return text
            self._raise_for(code)
        return text

    def _command(self, line: str, check: bool = True, respond: bool = True) -> str | None:
        if not self.is_connected():
            raise RuntimeError("The Chirp client is not connected to a Chirp server.")
        data = line.encode()
        if len(data) > self.CHIRP_LINE_MAX:
            raise self.TooBig("That request is too big to execute.")
        assert self.socket is not None
        self.socket.sendall(data)
        return self._response(check) if respond else None

    def _data(self, length: int | str) -> bytes:
        assert self._reader is not None
        wanted = int(length)
        data = self._reader.read(wanted)
        if len(data) < wanted:
            raise RuntimeError("Connection to the Chirp server is broken.")
        return data

    def _numbers(self, count: int) -> list[int]:
        values: list[int] = []
        while len(values) < count:
            values += [int(x) for x in self._line().split()]
        return values

    def _length_then_text(self, line: str) -> str:
        return self._data(self._command(line) or 0).decode()

    # -- job attributes and the event log ---------------------------------------------------

    def get_job_attr(self, job_attribute: str) -> str:
        """The value of a job-ad attribute, as ClassAd expression text (a string comes with its quotes)."""
        return self._length_then_text(f"get_job_attr {quote(job_attribute)}\n")

    def get_job_attr_delayed(self, job_attribute: str) -> str:
        """The value of a job-ad attribute as the starter has it (it may be newer than the schedd's)."""
        return self._length_then_text(f"get_job_attr_delayed {quote(job_attribute)}\n")

    def set_job_attr(self, job_attribute: str, attribute_value: str) -> None:
        """Set a job-ad attribute to the expression ``attribute_value`` (quote strings yourself) in the schedd."""
        self._command(f"set_job_attr {quote(job_attribute)} {quote(attribute_value)}\n")

    def set_job_attr_delayed(self, job_attribute: str, attribute_value: str) -> None:
        """Set a job-ad attribute at the starter's next update to the schedd (not durable)."""
        self._command(f"set_job_attr_delayed {quote(job_attribute)} {quote(attribute_value)}\n")

    def ulog(self, text: str) -> None:
        """Write a generic event with ``text`` to the job's event log."""
        self._command(f"ulog {quote(text)}\n")

    # -- files on the submit side -----------------------------------------------------------

    def _open(self, name: str, flags: object, mode: int | None = None) -> int:
        flags = "".join(sorted(set(flags), key="rwatcx".find))
        if not set(flags) <= set("rwatcx"):
            raise ValueError("Flags must be one or more of 'rwatcx'")
        mode = self.DEFAULT_MODE if mode is None else int(mode)
        fd = int(self._command(f"open {quote(name)} {flags} {mode}\n") or 0)
        self.fds[fd] = (quote(name), flags, mode)
        self._line()  # the open file's stat line
        return fd

    def _close(self, fd: int) -> None:
        self._command(f"close {int(fd)}\n")
        self.fds.pop(int(fd), None)

    @staticmethod
    def _placement(verb: str, fd: int, length: int, offset: int | None, stride_length: int | None,
                   stride_skip: int | None) -> str:
        if stride_length is None and stride_skip is None:
            if offset is None:
                return f"{verb} {int(fd)} {int(length)}\n"
            return f"p{verb} {int(fd)} {int(length)} {int(offset)}\n"
        if stride_length is None or stride_skip is None:
            raise HTChirp.InvalidRequest("Both stride_length and stride_skip must be specified")
        return f"s{verb} {int(fd)} {int(length)} {int(offset or 0)} {int(stride_length)} {int(stride_skip)}\n"

    def read(self, remote_path: str, length: int, offset: int | None = None, stride_length: int | None = None,
             stride_skip: int | None = None) -> bytes:
        """Read up to ``length`` bytes of a remote file, optionally from ``offset`` and in strides."""
        fd = self._open(remote_path, "r")
        data = self._data(self._command(self._placement("read", fd, length, offset, stride_length, stride_skip))
                          or 0)
        self._close(fd)
        return data

    def write(self, data: bytes | str, remote_path: str, flags: str = "w", mode: int | None = None,
              length: int | None = None, offset: int | None = None, stride_length: int | None = None,
              stride_skip: int | None = None) -> int:
        """Write ``data`` (or its first ``length`` bytes) to a remote file; returns the number of bytes written.

        Raises
        ------
        ValueError
            When ``flags`` lacks ``w``.
        """
        flags = flags or "w"
        if "w" not in flags:
            raise ValueError(f"'w' is not included in flags '{flags}'")
        payload = data.encode() if isinstance(data, str) else bytes(data)
        if length is not None:
            payload = payload[:length]
        fd = self._open(remote_path, flags, mode)
        self._command(self._placement("write", fd, len(payload), offset, stride_length, stride_skip), respond=False)
        assert self.socket is not None
        self.socket.sendall(payload)
        written = int(self._response())
        self._command(f"fsync {int(fd)}\n")
        self._close(fd)
        return written

    def getfile(self, remote_file: str, local_file: str) -> int:
        """Copy a whole remote file to ``local_file``; returns the number of bytes."""
        data = self._data(self._command(f"getfile {quote(remote_file)}\n") or 0)
        with open(local_file, "wb") as f:
            f.write(data)
        return len(data)

    def putfile(self, local_file: str, remote_file: str, mode: int | None = None) -> int:
        """Copy ``local_file`` over a remote file (created or truncated); returns the bytes the server stored.

        Raises
        ------
        RuntimeWarning
            When the server stored another number of bytes than the file holds.
        """
        with open(local_file, "rb") as f:
            payload = f.read()
        mode = self.DEFAULT_MODE if mode is None else int(mode)
        # the server answers the request, then (for a non-empty file) the data
        stored = int(self._command(f"putfile {quote(remote_file)} {mode} {len(payload)}\n") or 0)
        if payload:
            assert self.socket is not None
            self.socket.sendall(payload)
            stored = int(self._response())
        if stored != len(payload):
            raise RuntimeWarning(f"File on disk is {len(payload)} B, chirp client sent {len(payload)} B, "
                                 f"chirp server received {stored} B")
        return stored

    def fetch(self, remote_file: str, local_file: str) -> int:
        """Copy a file from the submit machine to the job's machine (:meth:`getfile`)."""
        return self.getfile(remote_file, local_file)

    def put(self, local_file: str, remote_file: str, flags: str = "wct", mode: int | None = None) -> int:
        """Copy a file from the job's machine to the submit machine; flags other than ``wct`` go through :meth:`write`.

        Raises
        ------
        UserWarning
            When fewer bytes were written than the file holds.
        """
        flags = flags or "wct"
        if set(flags) == set("wct"):
            return self.putfile(local_file, remote_file, mode)
        with open(local_file, "rb") as f:
            payload = f.read()
        written = self.write(payload, remote_file, flags, mode)
        if written < len(payload):
            raise UserWarning(f"Only {written} bytes of {len(payload)} bytes in {local_file} were written")
        return written

    def remove(self, remote_file: str) -> None:
        """Remove a file on the submit machine (:meth:`unlink`)."""
        self.unlink(remote_file)

    def rename(self, old_path: str, new_path: str) -> None:
        """Rename a remote file."""
        self._command(f"rename {quote(old_path)} {quote(new_path)}\n")

    def unlink(self, remote_file: str) -> None:
        """Delete a remote file."""
        self._command(f"unlink {quote(remote_file)}\n")

    def rmdir(self, remote_path: str, recursive: bool = False) -> None:
        """Delete a remote directory (which must be empty unless ``recursive``)."""
        if recursive:
            self.rmall(remote_path)
        else:
            self._command(f"rmdir {quote(remote_path)}\n")

    def rmall(self, remote_path: str) -> None:
        """Delete a remote directory and everything in it."""
        self._command(f"rmall {quote(remote_path)}\n")

    def mkdir(self, remote_path: str, mode: int | None = None) -> None:
        """Make a remote directory."""
        self._command(f"mkdir {quote(remote_path)} {self.DEFAULT_MODE if mode is None else int(mode)}\n")

    def getdir(self, remote_path: str, stat_dict: bool = False) -> list[str] | dict[str, dict[str, int]]:
        """The names in a remote directory, or with ``stat_dict`` a dict of name to :meth:`stat`-like dicts."""
        if stat_dict:
            return self.getlongdir(remote_path)
        return self._length_then_text(f"getdir {quote(remote_path)}\n").rstrip().split("\n")

    def getlongdir(self, remote_path: str) -> dict[str, dict[str, int]]:
        """A remote directory's names, each with its metadata (as :meth:`stat` gives it)."""
        lines = self._length_then_text(f"getlongdir {quote(remote_path)}\n").rstrip().split("\n")
        return {name: dict(zip(_STAT_FIELDS, (int(x) for x in fields.split())))
                for name, fields in zip(lines[::2], lines[1::2])}

    def whoami(self) -> str:
        """The identity the server gives this client."""
        return self._length_then_text(f"whoami {self.CHIRP_LINE_MAX}\n")

    def whoareyou(self, remote_host: str) -> str:
        """The server's identity as ``remote_host`` knows it."""
        return self._length_then_text(f"whoareyou {quote(remote_host)} {self.CHIRP_LINE_MAX}\n")

    def link(self, old_path: str, new_path: str, symbolic: bool = False) -> None:
        """Make a remote hard link (or a symbolic one)."""
        if symbolic:
            self.symlink(old_path, new_path)
        else:
            self._command(f"link {quote(old_path)} {quote(new_path)}\n")

    def symlink(self, old_path: str, new_path: str) -> None:
        """Make a remote symbolic link ``new_path`` pointing to ``old_path``."""
        self._command(f"symlink {quote(old_path)} {quote(new_path)}\n")

    def readlink(self, remote_path: str) -> bytes:
        """The target of a remote symbolic link."""
        return self._data(self._command(f"readlink {quote(remote_path)} {self.CHIRP_LINE_MAX}\n") or 0)

    def stat(self, remote_path: str) -> dict[str, int]:
        """A remote file's metadata (following links): ``device``, ``inode``, ``mode``, ... ``ctime``."""
        self._command(f"stat {quote(remote_path)}\n")
        return dict(zip(_STAT_FIELDS, self._numbers(len(_STAT_FIELDS))))

    def lstat(self, remote_path: str) -> dict[str, int]:
        """A remote file's metadata, of the link itself for a symbolic link."""
        self._command(f"lstat {quote(remote_path)}\n")
        return dict(zip(_STAT_FIELDS, self._numbers(len(_STAT_FIELDS))))

    def statfs(self, remote_path: str) -> dict[str, int]:
        """The metadata of the remote file system holding ``remote_path`` (``f_type``, ``f_bsize``, ...)."""
        self._command(f"statfs {quote(remote_path)}\n")
        return dict(zip(_STATFS_FIELDS, self._numbers(len(_STATFS_FIELDS))))

    def access(self, remote_path: str, mode_str: str) -> None:
        """Check access to a remote path: ``mode_str`` of ``f`` (exists), ``r``, ``w``, ``x``.

        Raises
        ------
        HTChirp.NotAuthorized
            When an access is not allowed.
        ValueError
            For another letter.
        """
        bits = {"f": 0, "r": _stat.S_IROTH, "w": _stat.S_IWOTH, "x": _stat.S_IXOTH}
        mode = 0
        for letter in mode_str:
            if letter not in bits:
                raise ValueError(f"mode '{letter}' not in (fxwr)")
            mode |= bits[letter]
        self._command(f"access {quote(remote_path)} {mode}\n")

    def chmod(self, remote_path: str, mode: int) -> None:
        """Change a remote path's permission bits."""
        self._command(f"chmod {quote(remote_path)} {int(mode)}\n")

    def chown(self, remote_path: str, uid: int, gid: int) -> None:
        """Change a remote path's owner and group (following links)."""
        self._command(f"chown {quote(remote_path)} {int(uid)} {int(gid)}\n")

    def lchown(self, remote_path: str, uid: int, gid: int) -> None:
        """Change a remote path's owner and group (of a link itself)."""
        self._command(f"lchown {quote(remote_path)} {int(uid)} {int(gid)}\n")

    def truncate(self, remote_path: str, length: int) -> None:
        """Cut a remote file to ``length`` bytes."""
        self._command(f"truncate {quote(remote_path)} {int(length)}\n")

    def utime(self, remote_path: str, actime: int, mtime: int) -> None:
        """Set a remote file's access and modification times."""
        self._command(f"utime {quote(remote_path)} {int(actime)} {int(mtime)}\n")


_COMMANDS = ["access", "chmod", "chown", "fetch", "get_job_attr", "get_job_attr_delayed", "getdir", "link",
             "lstat", "put", "read", "readlink", "remove", "rmdir", "set_job_attr", "set_job_attr_delayed",
             "stat", "statfs", "truncate", "ulog", "utime", "whoami", "whoareyou", "write"]


def _print(value: object, indent: int = 0) -> None:
    pad = " " * indent
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, (dict, list)):
                print(f"{pad}{key}:")
                _print(item, indent + 4)
            else:
                print(f"{pad}{key}: {item}")
    elif isinstance(value, list):
        for item in value:
            _print(item, indent)
    elif isinstance(value, bytes):
        print(pad + value.decode(errors="replace"))
    elif value is not None:
        print(f"{pad}{value}")


def condor_chirp(chirp_args: list[str] | str, return_exit_code: bool = False) -> object:
    """Run one ``condor_chirp`` command (``["get_job_attr", "Owner"]``) with :class:`HTChirp` from the job's config.

    Parameters
    ----------
    chirp_args:
        The command line, as a list or a string.
    return_exit_code:
        Print the result as ``condor_chirp`` does and return 0, or 1 after
        printing an error, instead of returning the result and raising.

    Raises
    ------
    TypeError
        For a command ``condor_chirp`` does not have.

    >>> try:
    ...     condor_chirp(["fly"])
    ... except TypeError as e:
    ...     print(str(e)[:40])
    Command must be one of: access, chmod, c
    """
    words = shlex.split(chirp_args) if isinstance(chirp_args, str) else list(chirp_args)
    if not words or words[0] not in _COMMANDS:
        if return_exit_code:
            sys.stderr.write(f"Command {words[0] if words else ''} not supported\n")
            return 1
        raise TypeError("Command must be one of: " + ", ".join(_COMMANDS))
    command = words[0]
    parser = argparse.ArgumentParser(prog=f"condor_chirp {command}", add_help=False)
    parser.add_argument("-mode", dest="mode", default="wct")
    parser.add_argument("-perm", dest="perm")
    parser.add_argument("-offset", dest="offset", type=int)
    parser.add_argument("-stride", dest="stride", type=int, nargs=2)
    parser.add_argument("-r", dest="recursive", action="store_true")
    parser.add_argument("-l", dest="long", action="store_true")
    parser.add_argument("-s", dest="symbolic", action="store_true")
    parser.add_argument("args", nargs="*")
    options = parser.parse_args(words[1:])
    args: list[object] = list(options.args)
    kwargs: dict[str, object] = {}
    stride = {"stride_length": options.stride[0], "stride_skip": options.stride[1]} if options.stride else {}
    if command == "put":
        kwargs["flags"] = options.mode
        if options.perm is not None:
            kwargs["mode"] = int(options.perm, 8)
    elif command == "read":
        if len(args) >= 2:
            args[1] = int(args[1])
        kwargs = {"offset": options.offset, **stride}
    elif command == "write":
        # condor_chirp takes "remote local [length]"; HTChirp.write takes data first
        if len(args) >= 2:
            with open(os.path.realpath(args[1]), "rb") as f:
                args[0], args[1] = f.read(), args[0]
        kwargs = {"offset": options.offset, **stride}
        if len(args) >= 3:
            kwargs["length"] = int(args.pop(2))
    elif command == "rmdir":
        kwargs["recursive"] = options.recursive
    elif command == "getdir":
        kwargs["stat_dict"] = options.long
    elif command == "link":
        kwargs["symbolic"] = options.symbolic
    elif command == "chmod" and len(args) >= 2:
        args[1] = int(args[1], 8)
    elif command == "truncate" and len(args) >= 2:
        args[1] = int(args[1])
    elif command == "utime" and len(args) >= 3:
        args[1], args[2] = int(args[1]), int(args[2])
    try:
        with HTChirp() as chirp:
            result = getattr(chirp, command)(*args, **kwargs)
    except Exception as e:
        if return_exit_code:
            sys.stderr.write(f"{e}\n")
            return 1
        raise
    if not return_exit_code:
        return result
    if command not in ("fetch", "put", "write"):
        _print(result)
    return 0


if __name__ == "__main__":
    sys.exit(condor_chirp(sys.argv[1:], True))
