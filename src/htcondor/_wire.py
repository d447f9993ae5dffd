"""The pool's wire format: length-prefixed JSON messages over TCP on 127.0.0.1.

Every message is a 4-byte big-endian length followed by that many bytes of
UTF-8 JSON, one object.  ClassAds inside messages use
:mod:`htcondor._adcodec`.

A request names a command after HTCondor's own (``QUERY_STARTD_ADS``,
``QMGMT_WRITE_CMD``, ``ACT_ON_JOBS``...), the user making it and a deadline
(seconds since the epoch; the daemon drops requests it cannot answer in
time), plus the command's arguments::

    {"cmd": "QUERY_SCHEDD_ADS", "user": "alice", "deadline": 1764052800.0,
     "args": {"constraint": "true", "projection": ["Name"]}}

A reply is ``{"ok": true, ...}`` or ``{"ok": false, "error": "HTCondorReplyError",
"message": "..."}``, where ``error`` names the exception the client raises.
A command that returns many ads streams them: any number of
``{"ads": [ad, ad, ...]}`` messages, then a final reply.  A connection may
carry several requests in turn (the job-queue session of a transaction does).

>>> frame = encode_message({"cmd": "PING", "user": "alice", "deadline": 0})
>>> int.from_bytes(frame[:4], "big") == len(frame) - 4, decode_payload(frame[4:])["cmd"]
(True, 'PING')
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import struct

from ._errors import HTCondorIOError

__all__ = ["MAX_MESSAGE", "WireError", "encode_message", "decode_payload", "read_message", "write_message",
           "send_message", "recv_message"]

MAX_MESSAGE = 64 * 1024 * 1024
_HEADER = struct.Struct(">I")


class WireError(HTCondorIOError):
    """A message that is malformed, too large, or cut short."""


def encode_message(message: dict) -> bytes:
    """The bytes of one message, length prefix included."""
    payload = json.dumps(message, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()
    if len(payload) > MAX_MESSAGE:
        raise WireError(f"message of {len(payload)} bytes is larger than the limit of {MAX_MESSAGE}")
    return _HEADER.pack(len(payload)) + payload


# No message of the pool nests deeper than a few levels (expressions travel as
# strings).  Deeper input is refused before json.loads sees it: the classad
# package raises Python's recursion limit for deep expression trees, and the C
# JSON decoder would then recurse until the process crashes.
MAX_NESTING = 64
# A string runs to its closing quote, or to the end of the payload when it has
# none: matching the unterminated ones too keeps this linear (a payload of
# escaped quotes with no closing one would otherwise be rescanned from each of
# them, quadratic time during which the daemon answers nobody).
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?\Z)', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_OPENERS_AS_ONE = bytes.maketrans(b"{", b"[")
_TOO_DEEP = b"[" * (MAX_NESTING + 1)


def _check_nesting(payload: bytes) -> None:
    if payload.count(b"[") + payload.count(b"{") < MAX_NESTING:
        return
    brackets = _STRING.sub(b"", payload).translate(None, _NOT_BRACKETS)
    # the usual deep input is a run of openers, found in one pass; the loop below
    # takes a pass per level
    if _TOO_DEEP in brackets.translate(_OPENERS_AS_ONE):
        raise WireError(f"malformed message: nested deeper than {MAX_NESTING} levels")
    for _ in range(MAX_NESTING):
        if not brackets:
            return
        shorter = brackets.replace(b"[]", b"").replace(b"{}", b"")
        if len(shorter) == len(brackets):
            break
        brackets = shorter
    if brackets:
        raise WireError(f"malformed message: brackets unbalanced or nested deeper than {MAX_NESTING} levels")


def decode_payload(payload: bytes, *, from_daemon: bool = False) -> dict:
    """The message in ``payload`` (the bytes after the length prefix).

    Requests are checked for deep nesting (see :data:`MAX_NESTING`); replies
    (``from_daemon``) come from the pool's own daemons and skip that check,
    which would cost more than the decoding on large streams.
    """
    if not from_daemon:
        _check_nesting(payload)
    try:
        message = json.loads(payload)
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise WireError(f"malformed message: {type(e).__name__}: {e}"[:300]) from None
    if type(message) is not dict:
        raise WireError("malformed message: not a JSON object")
    return message


# -- asyncio side (the daemons) --------------------------------------------------------------

async def read_message(reader: asyncio.StreamReader) -> dict | None:
    """The next message, or None at a clean end of the stream."""
    try:
        header = await reader.readexactly(4)
    except asyncio.IncompleteReadError as e:
        if e.partial:
            raise WireError("connection closed inside a message header") from None
        return None
    (size,) = _HEADER.unpack(header)
    if size > MAX_MESSAGE:
        raise WireError(f"message of {size} bytes is larger than the limit of {MAX_MESSAGE}")
    try:
        payload = await reader.readexactly(size)
    except asyncio.IncompleteReadError:
        raise WireError("connection closed inside a message") from None
    return decode_payload(payload)


async def write_message(writer: asyncio.StreamWriter, message: dict) -> None:
    writer.write(encode_message(message))
    await writer.drain()


# -- blocking side (the client API) ----------------------------------------------------------

def send_message(sock: socket.socket, message: dict) -> None:
    try:
        sock.sendall(encode_message(message))
    except OSError as e:
        raise WireError(f"failed to send to the daemon: {e}") from None


def _recv_exactly(sock: socket.socket, size: int) -> bytes:
    chunks = []
    while size:
        try:
            chunk = sock.recv(min(size, 1 << 20))
        except TimeoutError:
            raise WireError("timed out waiting for the daemon's reply") from None
        except OSError as e:
            raise WireError(f"failed to read the daemon's reply: {e}") from None
        if not chunk:
            raise WireError("the daemon closed the connection")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def recv_message(sock: socket.socket) -> dict:
    (size,) = _HEADER.unpack(_recv_exactly(sock, 4))
    if size > MAX_MESSAGE:
        raise WireError(f"message of {size} bytes is larger than the limit of {MAX_MESSAGE}")
    return decode_payload(_recv_exactly(sock, size), from_daemon=True)
