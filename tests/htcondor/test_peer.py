"""Who is on the other end of a local connection (htcondor._peer)."""

from __future__ import annotations

import os
import socket

import pytest
from daemon_process import wait_for

from htcondor import _peer
from htcondor._peer import current_user, peer_uid, peer_user


@pytest.fixture
def loopback():
    server = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(server.getsockname())
    conn, _ = server.accept()
    try:
        yield client, conn
    finally:
        for s in (conn, client, server):
            s.close()


@pytest.fixture
def netlink_state():
    """Restore what the module learnt about netlink, whatever a test makes it learn."""
    before = _peer._netlink_works
    yield
    _peer._netlink_works = before


def test_a_loopback_peer_is_this_process_user(loopback):
    client, conn = loopback
    assert peer_uid(conn) == os.getuid()
    assert peer_uid(client) == os.getuid()  # either end
    assert peer_user(conn) == current_user()


def test_the_netlink_query_finds_the_exact_socket(loopback):
    client, conn = loopback
    found = _peer._diag(conn.getsockname(), conn.getpeername(), socket.AF_INET)
    assert found is not None
    uid, inode, state = found
    assert (uid, inode, state) == (os.getuid(), os.fstat(client.fileno()).st_ino, 1)  # 1: ESTABLISHED
    # no socket has this 4-tuple
    assert _peer._diag(conn.getsockname(), ("127.0.0.1", 1), socket.AF_INET) is None


def test_the_proc_scan_agrees_with_netlink(loopback):
    client, conn = loopback
    local, remote = conn.getsockname(), conn.getpeername()
    assert _peer._scan_proc(local, remote, socket.AF_INET) == _peer._diag(local, remote, socket.AF_INET)


def test_without_netlink_the_proc_scan_is_used(loopback, netlink_state, monkeypatch):
    client, conn = loopback

    def refused(*args):
        raise PermissionError(1, "netlink is forbidden here")
    monkeypatch.setattr(_peer, "_diag", refused)
    _peer._netlink_works = None
    assert peer_uid(conn) == os.getuid()
    assert _peer._netlink_works is False  # learnt once, then the scan is used directly
    assert peer_uid(conn) == os.getuid()


def test_a_failed_query_where_netlink_works_is_unknown_not_a_scan(loopback, netlink_state, monkeypatch):
    client, conn = loopback
    _peer._netlink_works = True
    monkeypatch.setattr(_peer, "_diag", lambda *a: (_ for _ in ()).throw(OSError("busy")))
    monkeypatch.setattr(_peer, "_scan_proc", lambda *a: pytest.fail("scanned /proc"))
    assert peer_uid(conn) is None


def test_a_unix_socket_peer_from_its_credentials():
    a, b = socket.socketpair(socket.AF_UNIX)
    with a, b:
        assert peer_uid(a) == os.getuid() and peer_user(b) == current_user()


def test_a_client_that_already_closed_is_unknown_not_root():
    # The kernel keeps a closed client's end as a lightweight socket that it reports as owned by
    # uid 0; taken at its word, any user who hangs up before the daemon accepts would be root.
    server = socket.create_server(("127.0.0.1", 0))
    with server:
        client = socket.create_connection(server.getsockname())
        client.sendall(b"request")
        client_end = client.getsockname()
        client.close()
        conn, _ = server.accept()
        with conn:
            local = conn.getsockname()
            wait_for(lambda: (_peer._diag(local, client_end, socket.AF_INET) or (0, 0, 0))[2] in (5, 6),
                     what="the client's end to be closed")
            assert peer_uid(conn) is None


def test_a_socket_that_is_not_connected_is_unknown():
    with socket.socket() as s:
        assert peer_uid(s) is None and peer_user(s) is None
