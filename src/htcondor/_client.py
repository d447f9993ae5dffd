"""Talking to a daemon of the pool: one blocking connection, requests and streamed replies.

The client API (``Collector``, ``Schedd``...) uses :class:`DaemonConnection`
for every exchange; an error reply raises the exception the daemon named.

>>> try:
...     DaemonConnection("<127.0.0.1:1>", timeout=1)
... except HTCondorIOError as e:
...     print("refused:", "127.0.0.1:1" in str(e))
refused: True
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import classad

from . import _errors, _wire
from ._adcodec import decode_ad
from ._errors import HTCondorIOError, HTCondorReplyError
from ._peer import current_user
from ._sinful import Sinful

__all__ = ["DaemonConnection", "call", "raise_reply_error"]

DEFAULT_TIMEOUT = 30.0


def raise_reply_error(reply: dict) -> None:
    """Raise the exception an error reply names (HTCondorReplyError for names we do not know)."""
    name = reply.get("error") or "HTCondorReplyError"
    cls = getattr(_errors, name, None)
    if not (isinstance(cls, type) and issubclass(cls, _errors.HTCondorException)):
        cls = HTCondorReplyError
    raise cls(reply.get("message") or "the daemon refused the request")


class DaemonConnection:
    """A connection to the daemon at a sinful address.

    Parameters
    ----------
    address:
        The daemon's sinful string (``<127.0.0.1:PORT?...>``) or ``host:port``.
    timeout:
        Seconds to wait for the connection and for each reply.

    Raises
    ------
    HTCondorIOError
        When the daemon cannot be reached.
    """

    def __init__(self, address: str | Sinful, timeout: float = DEFAULT_TIMEOUT):
        self.address = address if isinstance(address, Sinful) else Sinful.parse(str(address))
        self.timeout = timeout
        self.user = current_user()
        try:
            self._sock = socket.create_connection((self.address.host, self.address.port), timeout=timeout)
        except OSError as e:
            raise HTCondorIOError(f"Failed to connect to the daemon at {self.address}: {e.strerror or e}") from None
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def __enter__(self) -> DaemonConnection:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        try:
            self._sock.close()
        except OSError:
            pass

    def send(self, cmd: str, args: dict | None = None) -> None:
        _wire.send_message(self._sock, {"cmd": cmd, "user": self.user, "deadline": time.time() + self.timeout,
                                        "args": args or {}})

    def receive(self) -> dict:
        return _wire.recv_message(self._sock)

    def request(self, cmd: str, args: dict | None = None) -> dict:
        """Send one request and return its reply; an error reply raises."""
        self.send(cmd, args)
        reply = self.receive()
        if not reply.get("ok"):
            raise_reply_error(reply)
        return reply

    def stream(self, cmd: str, args: dict | None = None, summary: dict | None = None) -> Iterator[classad.ClassAd]:
        """Send a request whose reply is a stream of ads, and yield them as they arrive.

        The final message's other fields are stored in ``summary`` when given.
        """
        self.send(cmd, args)
        while True:
            message = self.receive()
            ads = message.get("ads")
            if ads is not None:
                for data in ads:
                    yield decode_ad(data)
                continue
            if not message.get("ok"):
                raise_reply_error(message)
            if summary is not None:
                summary.update(message)
            return


def call(address: str | Sinful, cmd: str, args: dict | None = None, timeout: float = DEFAULT_TIMEOUT) -> dict:
    """One request on a fresh connection."""
    with DaemonConnection(address, timeout) as conn:
        return conn.request(cmd, args)

