"""Who is on the other end of a local connection.

The pool's daemons listen on 127.0.0.1 only, so every client runs on this
host, and the kernel knows which user owns the client's socket.  That uid,
not what the client claims, is the caller's identity:

* on a Unix socket, the peer's credentials (``SO_PEERCRED``);
* on loopback TCP, Linux answers a ``NETLINK_SOCK_DIAG`` (``inet_diag``)
  query for the one socket whose local address is our remote one and whose
  remote address is our local one -- a few microseconds, whatever the number
  of sockets on the host;
* where netlink is unavailable (a sandbox that forbids it), the same socket is
  looked up in ``/proc/net/tcp`` (``tcp6``), a scan of every TCP socket of the
  host (milliseconds when there are thousands).

A client socket that is already closed (``TIME_WAIT``, or the kernel's
lightweight ``FIN_WAIT2``) no longer has an owner: the kernel reports uid 0
for it, which must not be taken for root, so it counts as unknown.

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
import struct

__all__ = ["peer_uid", "peer_user", "current_user"]

# <linux/sock_diag.h>, <linux/inet_diag.h>, <linux/netlink.h>
_NETLINK_SOCK_DIAG = 4
_SOCK_DIAG_BY_FAMILY = 20
_NLM_F_REQUEST = 1
_NLMSG_ERROR = 2
_NLMSG = struct.Struct("=IHHII")                 # nlmsghdr: len, type, flags, seq, pid
_REQUEST = struct.Struct("=BBBxI")               # inet_diag_req_v2 up to its inet_diag_sockid
_PORTS = struct.Struct(">HH")                    # idiag_sport, idiag_dport (network order)
_TAIL = struct.Struct("=III")                    # idiag_if, idiag_cookie[2]
_NO_COOKIE = 0xFFFFFFFF                          # INET_DIAG_NOCOOKIE: any socket with this 4-tuple
_ALL_STATES = 0xFFFFFFFF
_UID_AND_INODE = struct.Struct("=II")            # idiag_uid, idiag_inode in inet_diag_msg
_UID_OFFSET = _NLMSG.size + 4 + 48 + 12          # family..retrans, sockid, expires/rqueue/wqueue
_TIME_WAIT, _SYN_RECV = 6, 3                     # TCP states whose sockets have no owner

# None until the first query tells whether this host answers netlink queries
_netlink_works: bool | None = None


def _diag(local: tuple, remote: tuple, family: int) -> tuple[int, int, int] | None:
    """(uid, inode, TCP state) of the TCP socket bound to ``remote`` and connected to ``local``.

    None when no such socket exists; OSError when netlink cannot be used.
    """
    nl = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, _NETLINK_SOCK_DIAG)
    try:
        request = (_REQUEST.pack(family, socket.IPPROTO_TCP, 0, _ALL_STATES)
                   + _PORTS.pack(remote[1], local[1])
                   + socket.inet_pton(family, remote[0]).ljust(16, b"\0")
                   + socket.inet_pton(family, local[0]).ljust(16, b"\0")
                   + _TAIL.pack(0, _NO_COOKIE, _NO_COOKIE))
        nl.sendto(_NLMSG.pack(_NLMSG.size + len(request), _SOCK_DIAG_BY_FAMILY, _NLM_F_REQUEST, 1, 0) + request,
                  (0, 0))
        reply = nl.recv(4096)
    finally:
        nl.close()
    length, kind = struct.unpack_from("=IH", reply)
    if kind == _NLMSG_ERROR:
        (errno,) = struct.unpack_from("=i", reply, _NLMSG.size)
        if errno in (0, -2):  # ENOENT: no such socket
            return None
        raise OSError(-errno, os.strerror(-errno))
    if kind != _SOCK_DIAG_BY_FAMILY or len(reply) < _UID_OFFSET + _UID_AND_INODE.size:
        raise OSError("unexpected sock_diag reply")
    state = reply[_NLMSG.size + 1]
    uid, inode = _UID_AND_INODE.unpack_from(reply, _UID_OFFSET)
    return uid, inode, state


def _hex_address(host: str, port: int, family: int) -> str:
    packed = socket.inet_pton(family, host)
    if family == socket.AF_INET:
        return f"{int.from_bytes(packed, 'little'):08X}:{port:04X}"
    # IPv6: four 32-bit words, each in host (little-endian) order
    words = [int.from_bytes(packed[i:i + 4], "little") for i in range(0, 16, 4)]
    return "".join(f"{w:08X}" for w in words) + f":{port:04X}"


def _scan_proc(local: tuple, remote: tuple, family: int) -> tuple[int, int, int] | None:
    """What :func:`_diag` tells, from ``/proc/net/tcp`` (or ``tcp6``); OSError when it cannot be read."""
    table = "/proc/net/tcp" if family == socket.AF_INET else "/proc/net/tcp6"
    want_local = _hex_address(remote[0], remote[1], family)
    want_remote = _hex_address(local[0], local[1], family)
    with open(table, encoding="ascii") as f:
        next(f)
        for line in f:
            fields = line.split()
            if fields[1] == want_local and fields[2] == want_remote:
                return int(fields[7]), int(fields[9]), int(fields[3], 16)
    return None


def peer_uid(sock: socket.socket) -> int | None:
    """The uid owning the other end of a local connection, or None when it cannot be told.

    Parameters
    ----------
    sock:
        A connected socket: TCP over loopback, or a Unix socket.

    Returns
    -------
    int | None
        The peer's uid; None for a remote peer, a peer already gone, or a
        platform that cannot tell.
    """
    global _netlink_works
    family = sock.family
    if family == getattr(socket, "AF_UNIX", None):
        try:
            creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        except (OSError, AttributeError):
            return None
        return struct.unpack("3i", creds)[1]
    if family not in (socket.AF_INET, socket.AF_INET6):
        return None
    try:
        local = sock.getsockname()[:2]
        remote = sock.getpeername()[:2]
    except OSError:
        return None
    found = None
    try:
        if _netlink_works is not False and hasattr(socket, "AF_NETLINK"):
            try:
                found = _diag(local, remote, family)
                _netlink_works = True
            except (OSError, ValueError, struct.error):
                if _netlink_works:
                    return None  # netlink works here, this one query failed
                _netlink_works = False
                found = _scan_proc(local, remote, family)
        else:
            found = _scan_proc(local, remote, family)
    except (OSError, ValueError, IndexError):
        return None
    if found is None:
        return None
    uid, inode, state = found
    if state in (_TIME_WAIT, _SYN_RECV) or (uid == 0 and inode == 0):
        return None  # a socket the kernel keeps for a closed connection: it has no owner any more
    return uid


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
