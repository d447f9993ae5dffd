"""A daemon's long-lived connection to another daemon (asyncio).

:func:`~htcondor._daemon_core.call_daemon` opens a connection per request,
which is right for updates to the collector.  A claim is different: the
schedd keeps one connection to the startd for the claim's whole life —
it claims the slot, activates it with a job, reads the job's events as
the startd sends them, activates it again with the next job, releases it.
When that connection breaks, each side knows the other is gone, which is
how the startd learns that a schedd died and the schedd that a startd did.

Messages are those of :mod:`htcondor._wire`: a request
``{"cmd", "user", "deadline", "args"}``; replies ``{"ok": true, ...}`` or an
error naming an :mod:`htcondor._errors` class, which :meth:`request` raises.
"""

from __future__ import annotations

import asyncio
import getpass
import time

from . import _wire
from ._errors import HTCondorIOError
from ._sinful import Sinful

__all__ = ["AsyncDaemonConnection", "query_daemon"]


class AsyncDaemonConnection:
    """One connection from a daemon to another daemon.

    :param reader: the stream to read replies from.
    :param writer: the stream to write requests to.
    :param address: the peer's address, for messages.

    Use :meth:`open` to make one.
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, address: Sinful) -> None:
        self.reader = reader
        self.writer = writer
        self.address = address
        self.user = getpass.getuser()

    @classmethod
    async def open(cls, address: str | Sinful, timeout: float = 10.0) -> AsyncDaemonConnection:
        """Connect to the daemon at ``address``.

        :raises HTCondorIOError: when it cannot be reached within ``timeout`` seconds.
        """
        sinful = address if isinstance(address, Sinful) else Sinful.parse(str(address))
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(sinful.host, sinful.port, limit=_wire.MAX_MESSAGE)
        except (OSError, TimeoutError) as e:
            raise HTCondorIOError(f"cannot connect to {sinful}: {e or 'timed out'}") from None
        return cls(reader, writer, sinful)

    async def send(self, cmd: str, args: dict | None = None, timeout: float = 10.0) -> None:
        """Send a request without waiting for its reply."""
        message = {"cmd": cmd, "user": self.user, "deadline": time.time() + timeout, "args": args or {}}
        try:
            await _wire.write_message(self.writer, message)
        except (OSError, RuntimeError) as e:
            raise HTCondorIOError(f"{cmd} to {self.address}: {e}") from None

    async def receive(self, timeout: float | None = None) -> dict:
        """The next message from the peer (``timeout=None``: wait as long as it takes).

        :raises HTCondorIOError: when the connection closes or breaks, or on timeout.
        """
        try:
            async with asyncio.timeout(timeout):
                message = await _wire.read_message(self.reader)
        except (OSError, TimeoutError, asyncio.IncompleteReadError, _wire.WireError) as e:
            raise HTCondorIOError(f"connection to {self.address} lost: {e or 'timed out'}") from None
        if message is None:
            raise HTCondorIOError(f"{self.address} closed the connection")
        return message

    async def request(self, cmd: str, args: dict | None = None, timeout: float = 10.0) -> dict:
        """Send a request and return its reply; an error reply raises its exception."""
        from ._client import raise_reply_error

        await self.send(cmd, args, timeout)
        reply = await self.receive(timeout)
        if not reply.get("ok"):
            raise_reply_error(reply)
        return reply

    async def query(self, cmd: str, args: dict | None = None, timeout: float = 10.0) -> list[dict]:
        """Send a request whose reply is a stream of ads; return them all (as encoded ads)."""
        from ._client import raise_reply_error

        await self.send(cmd, args, timeout)
        ads: list[dict] = []
        while True:
            message = await self.receive(timeout)
            batch = message.get("ads")
            if batch is not None:
                ads.extend(batch)
                continue
            if not message.get("ok"):
                raise_reply_error(message)
            return ads

    def close(self) -> None:
        try:
            self.writer.close()
        except Exception:
            pass

    @property
    def closed(self) -> bool:
        return self.writer.is_closing()


async def query_daemon(address: str | Sinful, cmd: str, args: dict | None = None, timeout: float = 10.0) -> list[dict]:
    """One streamed query on a fresh connection (the collector's ``QUERY_*_ADS``); the ads, encoded."""
    conn = await AsyncDaemonConnection.open(address, timeout)
    try:
        return await conn.query(cmd, args, timeout)
    finally:
        conn.close()
