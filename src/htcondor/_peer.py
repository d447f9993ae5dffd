"""Who is on the other end of a loopback TCP connection.

The pool's daemons listen on 127.0.0.1 only, so every client runs on this
host.  Linux lists every TCP socket, with the uid that owns it, in
``/proc/net/tcp`` (and ``tcp6``): the client's end of a connection is the
socket whose local address is our remote one and whose remote address is our
local one.  That uid, not what the client claims, is the caller's identity.

>>> import socket, threading, getpass
>>> server = socket.create_server(("127.0.0.1", 0))
>>> client = socket.create_connection(server.getsockname())
>>> conn, _ = server.accept()
>>> peer_user(conn) == getpass.getuser()
True
>>> for s in (conn, client, server): s.close()
"""

from __future__ import annotations

import os
import socket

__all__ = ["peer_uid", "peer_user"]


def _hex_address(host: str, port: int, family: int) -> str:
    packed = socket.inet_pton(family, host)
    if family == socket.AF_INET:
        return f"{int.from_bytes(packed, 'little'):08X}:{port:04X}"
    # IPv6: four 32-bit words, each in host (little-endian) order
    words = [int.from_bytes(packed[i:i + 4], "little") for i in range(0, 16, 4)]
    return "".join(f"{w:08X}" for w in words) + f":{port:04X}"


def peer_uid(sock: socket.socket) -> int | None:
    """The uid owning the other end of a loopback TCP connection, or None when it cannot be told."""
    try:
        local = sock.getsockname()[:2]
        remote = sock.getpeername()[:2]
    except OSError:
        return None
    family = sock.family
    table = "/proc/net/tcp" if family == socket.AF_INET else "/proc/net/tcp6"
    try:
        want_local = _hex_address(remote[0], remote[1], family)
        want_remote = _hex_address(local[0], local[1], family)
        with open(table, encoding="ascii") as f:
            next(f)
            for line in f:
                fields = line.split()
                if fields[1] == want_local and fields[2] == want_remote:
                    return int(fields[7])
    except (OSError, ValueError, IndexError):
        return None
    return None


def peer_user(sock: socket.socket) -> str | None:
    """The user name of :func:`peer_uid`, or None."""
    uid = peer_uid(sock)
    if uid is None:
        return None
    try:
        import pwd
        return pwd.getpwuid(uid).pw_name
    except (ImportError, KeyError):
        return str(uid)


def current_user() -> str:
    """The user this process runs as."""
    try:
        import pwd
        return pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError):
        return os.environ.get("USER", str(os.getuid()))
