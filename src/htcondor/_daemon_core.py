"""What every daemon of the pool shares: listening, commands, timers, logging, signals.

A daemon is a subclass of :class:`Daemon` that registers command handlers
with :func:`command` and periodic work with :meth:`Daemon.every`, and keeps
its state in its own attributes.  :meth:`Daemon.run` then:

1. reads the configuration for its subsystem (``SCHEDD``, ``STARTD``...);
2. listens on ``127.0.0.1`` (the address of ``NETWORK_INTERFACE``), on the
   port given by ``-p PORT`` on the command line or else any free port, and
   writes its sinful address to ``<SUBSYS>_ADDRESS_FILE`` (default
   ``$(LOG)/.<subsys>_address``) so clients and the other daemons find it;
3. serves requests until SIGTERM (graceful), SIGQUIT (fast) or a
   ``DAEMON_OFF`` command; SIGHUP re-reads the configuration.

Each connection carries requests in turn (:mod:`htcondor._wire`).  A handler
receives the :class:`Request` and returns a reply dict, or an async iterator
of ClassAds which is streamed in batches; it may also use the
:class:`Connection` directly for a conversation.  An exception derived from
:class:`~htcondor.HTCondorException` becomes an error reply naming it; any
other exception is logged with its traceback and answered with an
``HTCondorInternalError`` -- the daemon keeps serving either way.  A
malformed message gets an error reply and the connection is closed.

Every daemon answers HTCondor's DaemonCore commands: ``CONFIG_VAL`` and
``DC_CONFIG_VAL`` (a value as the daemon sees it; ``?names`` lists the
names), ``DC_CONFIG_RUNTIME`` (a setting kept for the next
reconfiguration, when ``ENABLE_RUNTIME_CONFIG`` and
``SETTABLE_ATTRS_<LEVEL>`` allow it), ``DC_RECONFIG_FULL``, ``DC_OFF_*``,
``DC_SET_PEACEFUL_SHUTDOWN``/``DC_SET_FORCE_SHUTDOWN``, ``DC_NOP*`` and
``DC_SEC_QUERY`` (:meth:`htcondor.SecMan.ping`).  ``-local-name NAME`` on
the command line makes ``NAME.<KNOB>`` win over ``<SUBSYS>.<KNOB>`` and
``<KNOB>``, and names the default address file ``$(LOG)/.<name>_address``.
"""

from __future__ import annotations

import asyncio
import getpass
import os
import re
import signal
import socket
import sys
import time
import traceback
from collections.abc import AsyncIterator, Callable

from . import _wire
from ._adcodec import encode_ad
from ._config import Configuration
from ._daemon_log import DaemonLog, parse_size
from ._detected import full_hostname
from ._errors import HTCondorException
from ._peer import peer_user
from ._sinful import Sinful, read_address_file

__all__ = ["Daemon", "Request", "Connection", "StreamSummary", "command", "daemon_main", "call_daemon", "STREAM_BATCH",
           "local_name"]

STREAM_BATCH = 256  # ads per streamed message


def command(*names: str) -> Callable:
    """Mark a method of a :class:`Daemon` subclass as the handler of the named commands."""
    def mark(fn):
        fn._commands = names
        return fn
    return mark


class StreamSummary(dict):
    """Yielded by a streaming handler: fields for the stream's final reply, not an ad."""


class Request:
    """One request as a handler sees it."""

    __slots__ = ("cmd", "args", "user", "claimed_user", "deadline", "connection")

    def __init__(self, cmd: str, args: dict, user: str, claimed_user: str, deadline: float, connection):
        self.cmd = cmd
        self.args = args
        self.user = user
        self.claimed_user = claimed_user
        self.deadline = deadline
        self.connection = connection


class Connection:
    """A client connection: send and receive messages within a handler's conversation."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, user: str | None,
                 trust_claims: bool = False):
        self.reader = reader
        self.writer = writer
        self.user = user
        self.trust_claims = trust_claims

    async def send(self, message: dict) -> None:
        await _wire.write_message(self.writer, message)

    async def receive(self) -> dict | None:
        return await _wire.read_message(self.reader)


class Daemon:
    """The base of every daemon; see the module documentation."""

    SUBSYS = "DAEMON"

    def __init__(self, argv: list[str] | None = None):
        self.argv = list(argv or [])
        # ``-local-name NAME`` (from ``<DAEMON>_ARGS``): a second daemon of the same kind reads
        # ``NAME.KNOB`` first, so it can have its own name, spool, log and address file.
        self.localname = local_name(self.argv)
        self.config = Configuration(subsys=self.SUBSYS, localname=self.localname)
        self.user = getpass.getuser()
        # Settings received with DC_CONFIG_RUNTIME, applied at each reconfiguration until exit.
        self.runtime_config: dict[str, str] = {}
        self.peaceful = False  # DC_SET_PEACEFUL_SHUTDOWN received
        self.log = self._open_log()
        self.start_time = int(time.time())
        self.hostname = full_hostname()
        self.address: Sinful | None = None
        self.handlers: dict[str, Callable] = {}
        for name in dir(type(self)):
            fn = getattr(self, name, None)
            for cmd in getattr(fn, "_commands", ()):
                self.handlers[cmd] = fn
        self._timers: list[tuple[float, Callable]] = []
        self._tasks: set[asyncio.Task] = set()
        self._stopping: asyncio.Event | None = None
        self.stop_mode = "graceful"

    # -- configuration and logging ------------------------------------------------------------

    def param(self, name: str, default=None):
        """A configuration value, typed; ``default`` when undefined or empty."""
        try:
            value = self.config.typed(name)
        except KeyError:
            return default
        return default if value == "" else value

    def _open_log(self) -> DaemonLog:
        path = self.param(f"{self.SUBSYS}_LOG")
        debug = f"{self.param(f'{self.SUBSYS}_DEBUG', '')} {self.param('ALL_DEBUG', '')}"
        size = parse_size(str(self.param(f"MAX_{self.SUBSYS}_LOG", "10 Mb")))
        return DaemonLog(path if isinstance(path, str) and "$(" not in path else None, "D_PID" in debug, size)

    def reconfig(self) -> None:
        """Re-read the configuration (SIGHUP, or the reconfig command), then apply the run-time settings."""
        self.config.reload()
        for name, value in self.runtime_config.items():
            self.config.set(name, value)
        self.log.write("Reconfiguring: re-read the configuration"
                       + (f" (with run-time settings of {', '.join(self.runtime_config)})" if self.runtime_config
                          else ""))

    # -- timers and tasks ---------------------------------------------------------------------

    def every(self, seconds: float | Callable[[], float], fn: Callable) -> None:
        """Run the coroutine function ``fn`` every ``seconds`` (a number, or a function giving one)."""
        self._timers.append((seconds, fn))

    def spawn(self, coro) -> asyncio.Task:
        """Run a coroutine in the background; its failure is logged, not fatal."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            self.log.write("ERROR in background task: " + "".join(traceback.format_exception(exc)))

    async def _timer_loop(self, seconds, fn) -> None:
        while True:
            interval = seconds() if callable(seconds) else seconds
            await asyncio.sleep(max(float(interval), 0.05))
            try:
                await fn()
            except Exception:
                self.log.write("ERROR in periodic work: " + traceback.format_exc())

    # -- serving -------------------------------------------------------------------------------

    def listen_port(self) -> int:
        """The port to listen on: ``-p PORT`` from the command line, else any free port."""
        if "-p" in self.argv:
            return int(self.argv[self.argv.index("-p") + 1])
        return 0

    def address_file(self) -> str | None:
        path = self.param(f"{self.SUBSYS}_ADDRESS_FILE")
        if path:
            return path
        log = self.param("LOG")
        return os.path.join(log, f".{(self.localname or self.SUBSYS).lower()}_address") if log else None

    def collector_address(self) -> str | None:
        """The pool's collector, from ``COLLECTOR_ADDRESS_FILE`` (default ``$(LOG)/.collector_address``)."""
        path = self.param("COLLECTOR_ADDRESS_FILE")
        if not path:
            log = self.param("LOG")
            path = os.path.join(str(log), ".collector_address") if log else None
        return read_address_file(str(path)) if path else None

    def bind_host(self) -> str:
        interface = str(self.param("NETWORK_INTERFACE", "127.0.0.1"))
        return interface if interface[:1].isdigit() else "127.0.0.1"

    async def on_start(self) -> None:
        """Called once listening; subclasses advertise themselves and start their work here."""

    async def on_stop(self) -> None:
        """Called when stopping; subclasses release what they hold here."""

    async def main(self) -> None:
        self._stopping = asyncio.Event()
        host = self.bind_host()
        server = await asyncio.start_server(self._serve_connection, host, self.listen_port(),
                                            reuse_address=True, limit=_wire.MAX_MESSAGE)
        port = server.sockets[0].getsockname()[1]
        self.address = Sinful.for_daemon(host, port, alias=self.hostname)
        self.log.write("******************************************************")
        self.log.write(f"** condor_{self.SUBSYS.lower()} (htcondor-python) STARTING UP")
        self.log.write(f"** PID = {os.getpid()}")
        self.log.write("******************************************************")
        self.log.write(f"Using config source: {', '.join(self.config.sources) or '(none)'}")
        self._write_address_file()
        loop = asyncio.get_running_loop()
        for signum, mode in ((signal.SIGTERM, "graceful"), (signal.SIGQUIT, "fast"), (signal.SIGINT, "fast")):
            loop.add_signal_handler(signum, self.stop, mode)
        loop.add_signal_handler(signal.SIGHUP, self.reconfig)
        await self.on_start()
        for seconds, fn in self._timers:
            self.spawn(self._timer_loop(seconds, fn))
        parent = os.environ.get("CONDOR_PARENT_PID", "")
        if parent.isdigit():
            self.spawn(self._watch_parent(int(parent)))
        self.log.write(f"Listening on {self.address}")
        async with server:
            await self._stopping.wait()
            server.close()
            await self.on_stop()
        for task in list(self._tasks):
            task.cancel()
        self.log.write(f"**** condor_{self.SUBSYS.lower()} pid {os.getpid()} EXITING WITH STATUS 0")

    async def _watch_parent(self, parent: int) -> None:
        """Stop when the master that started this daemon is gone (killed, not stopped), leaving no orphan."""
        while os.getppid() == parent:
            await asyncio.sleep(0.5)
        self.log.write(f"the master (pid {parent}) is gone; exiting")
        self.stop("fast")

    def _write_address_file(self) -> None:
        path = self.address_file()
        if not path:
            return
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(f"{self.address}\n$CondorVersion: 24.0.24 (htcondor-python) $\n")
        os.replace(tmp, path)

    def stop(self, mode: str = "graceful") -> None:
        """Ask the daemon to shut down ("graceful" or "fast")."""
        self.stop_mode = mode
        if self._stopping is not None:
            self._stopping.set()

    def run(self) -> int:
        try:
            asyncio.run(self.main())
        except Exception:
            self.log.write("ERROR: " + traceback.format_exc())
            raise
        finally:
            path = self.address_file()
            if path and os.path.exists(path):
                try:
                    with open(path, encoding="utf-8") as f:
                        if f.readline().strip() == str(self.address):
                            os.unlink(path)
                except OSError:
                    pass
            self.log.close()
        return 0

    async def _serve_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        user = peer_user(sock) if sock is not None else None
        # On Linux the kernel names the owner of every live loopback client: one it cannot name has
        # closed its end already (the kernel then reports uid 0), and its claim -- root, say -- is not
        # to be believed.  Elsewhere the claim is all there is.
        trust_claims = user is None and not (sys.platform.startswith("linux") and sock is not None
                                             and sock.family in (socket.AF_INET, socket.AF_INET6))
        connection = Connection(reader, writer, user, trust_claims)
        try:
            while True:
                try:
                    message = await _wire.read_message(reader)
                except _wire.WireError as e:
                    await self._send_error(writer, "HTCondorIOError", str(e))
                    return
                if message is None:
                    return
                if not await self._dispatch(connection, message):
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        except Exception:
            self.log.write("ERROR serving a connection: " + traceback.format_exc())
        finally:
            try:
                writer.close()
            except Exception:
                pass

    async def _send_error(self, writer, error: str, message: str) -> None:
        try:
            await _wire.write_message(writer, {"ok": False, "error": error, "message": message})
        except (ConnectionError, RuntimeError):
            pass

    async def _dispatch(self, connection: Connection, message: dict) -> bool:
        """Answer one request; False when the connection should be closed."""
        writer = connection.writer
        cmd = message.get("cmd")
        args = message.get("args", {})
        deadline = message.get("deadline", 0)
        claimed = message.get("user")
        try:
            # (an integer too large for a float, e.g. 1e400 written out, is as malformed as a string)
            deadline = float(deadline) if isinstance(deadline, (int, float)) else None
        except OverflowError:
            deadline = None
        if type(cmd) is not str or type(args) is not dict or deadline is None \
                or (claimed is not None and type(claimed) is not str):
            await self._send_error(writer, "HTCondorReplyError", "malformed request")
            return False
        handler = self.handlers.get(cmd)
        if handler is None:
            await self._send_error(writer, "HTCondorReplyError", f"unknown command {cmd!r}")
            return True
        if deadline and time.time() > deadline:
            await self._send_error(writer, "HTCondorIOError", f"{cmd}: the request's deadline has passed")
            return True
        user = connection.user or (claimed if connection.trust_claims else None) or "unknown"
        request = Request(cmd, args, user, claimed or user, deadline, connection)
        try:
            result = await handler(request)
        except HTCondorException as e:
            await self._send_error(writer, type(e).__name__, str(e))
            return True
        except (ValueError, TypeError, KeyError) as e:
            await self._send_error(writer, "HTCondorValueError", f"{cmd}: {e}")
            return True
        except (ConnectionError, asyncio.IncompleteReadError):
            return False
        except Exception:
            self.log.write(f"ERROR handling {cmd}: " + traceback.format_exc())
            await self._send_error(writer, "HTCondorInternalError", f"{cmd}: internal error in the daemon")
            return True
        if result is None:
            return True
        if isinstance(result, dict):
            result.setdefault("ok", True)
            await _wire.write_message(writer, result)
            return True
        await self._stream(writer, result)
        return True

    async def _stream(self, writer, ads: AsyncIterator) -> None:
        batch: list = []
        summary: dict = {}
        async for item in ads:
            if isinstance(item, StreamSummary):
                summary = dict(item)
                continue
            batch.append(item if isinstance(item, dict) else encode_ad(item))
            if len(batch) >= STREAM_BATCH:
                await _wire.write_message(writer, {"ads": batch})
                batch = []
        if batch:
            await _wire.write_message(writer, {"ads": batch})
        await _wire.write_message(writer, {"ok": True, "end": True, **summary})

    # -- the commands every daemon answers (HTCondor's DaemonCore commands) ---------------------

    @command("CONFIG_VAL", "DC_CONFIG_VAL")
    async def dc_config_val(self, request: Request) -> dict:
        """One configuration value, expanded ("Not defined" when unset); ``?names`` lists the names."""
        name = request.args.get("name")
        if not isinstance(name, str) or not name:
            raise ValueError("the request names no configuration knob")
        if request.cmd == "DC_CONFIG_VAL" and name.startswith("?"):
            what, _, pattern = name[1:].partition(":")
            if what.lower() != "names":
                return {"names": [], "error": f"!error:unsup:1: '{name}' is not supported"}
            try:
                regex = re.compile(pattern or ".*", re.I)
            except re.error as e:
                return {"names": [], "error": f"!error:regex:{e.pos or 0}: {e.msg}"}
            # A name set for this daemon alone (SCHEDD2.SPOOL, SCHEDD.SPOOL) is listed as it is defined and
            # also plainly, since that is how the daemon and its clients look it up.
            names = dict.fromkeys(self.config.names())
            for prefix in (self.localname, self.SUBSYS):
                if prefix:
                    p = prefix.upper() + "."
                    names.update(dict.fromkeys(n[len(p):] for n in list(names) if n.upper().startswith(p)))
            return {"names": [n for n in names if regex.match(n)]}
        value = self.config.expanded(name)
        reply: dict = {"value": "Not defined" if value is None else value}
        if request.cmd == "DC_CONFIG_VAL":
            raw = self.config.raw(name)
            used = self.config.macros.lookup_entry_name(name, self.SUBSYS, self.localname)
            reply["raw"] = f"{(used or name).upper()} = {raw}" if raw is not None else ""
            reply["default"] = self.config.macros.table.default(name)
        return reply

    @command("DC_CONFIG_RUNTIME", "DC_CONFIG_PERSIST")
    async def dc_config_runtime(self, request: Request) -> dict:
        """Keep ``NAME = value`` for the next reconfiguration, when the configuration allows it ({"rval": 0|-1}).

        ``DC_CONFIG_PERSIST`` (HTCondor's settings kept in files across restarts) is always refused.
        """
        from ._secman import settable

        name = request.args.get("name")
        assignment = request.args.get("config", "")
        if not isinstance(name, str) or not isinstance(assignment, str):
            raise ValueError("DC_CONFIG_RUNTIME takes a name and an assignment")
        who = f"{request.user}@{self.param('UID_DOMAIN', self.hostname)}"
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", name):
            self.log.write(f"Rejecting attempt to set param with invalid name ({name})")
            return {"rval": -1}
        if not settable(self.config, name, who):
            self.log.write(f'WARNING: Someone at 127.0.0.1 ({who}) is trying to modify "{name}"')
            self.log.write("WARNING: Potential security problem, request refused")
            return {"rval": -1}
        if request.cmd == "DC_CONFIG_PERSIST":
            # HTCondor writes persistent settings to files under PERSISTENT_CONFIG_DIR; this pool does not.
            self.log.write(f"Refusing to set {name} persistently: this pool keeps no persistent configuration")
            return {"rval": -1}
        if not self.param("ENABLE_RUNTIME_CONFIG", False):
            self.log.write(f"Refusing to set {name} at run time: ENABLE_RUNTIME_CONFIG is false")
            return {"rval": -1}
        _, _, value = assignment.partition("=")
        if assignment.strip():
            self.runtime_config[name] = value.strip()
        else:
            self.runtime_config.pop(name, None)
        self.log.write(f"Run-time configuration from {who}: {name} = {value.strip()} (in effect after reconfig)")
        return {"rval": 0}

    @command("DC_RECONFIG", "DC_RECONFIG_FULL")
    async def dc_reconfig(self, request: Request) -> dict:
        self.log.write(f"Got {request.cmd} from {request.user}")
        self.reconfig()
        return {}

    @command("DC_OFF_GRACEFUL", "DC_OFF_FAST", "DC_OFF_PEACEFUL", "DC_OFF_FORCE")
    async def dc_off(self, request: Request) -> dict:
        mode = "fast" if request.cmd in ("DC_OFF_FAST", "DC_OFF_FORCE") else "graceful"
        self.log.write(f"Got {request.cmd} from {request.user}: shutting down ({mode})")
        asyncio.get_running_loop().call_soon(self.stop, mode)
        return {}

    @command("DC_SET_PEACEFUL_SHUTDOWN", "DC_SET_FORCE_SHUTDOWN")
    async def dc_set_shutdown(self, request: Request) -> dict:
        self.peaceful = request.cmd == "DC_SET_PEACEFUL_SHUTDOWN"
        self.log.write(f"Got {request.cmd}: the next shutdown will be {'peaceful' if self.peaceful else 'forced'}")
        return {}

    @command("DC_NOP", "DC_NOP_READ", "DC_NOP_WRITE", "DC_NOP_NEGOTIATOR", "DC_NOP_ADMINISTRATOR", "DC_NOP_OWNER",
             "DC_NOP_CONFIG", "DC_NOP_DAEMON", "DC_NOP_ADVERTISE_STARTD", "DC_NOP_ADVERTISE_SCHEDD",
             "DC_NOP_ADVERTISE_MASTER")
    async def dc_nop(self, request: Request) -> dict:
        return {}

    @command("DC_SEC_QUERY")
    async def dc_sec_query(self, request: Request) -> dict:
        """What a session for the named command would be (HTCondor's ping); see :mod:`htcondor._secman`."""
        from ._secman import sec_query_ad

        name = request.args.get("command", "DC_NOP")
        if not isinstance(name, str):
            raise ValueError("DC_SEC_QUERY names the command to try")
        return {"ad": sec_query_ad(self, request, name)}

    # -- the ad every daemon publishes ---------------------------------------------------------

    def daemon_ad_base(self, mytype: str, name: str) -> dict:
        """The attributes every daemon ad carries (MyType, Name, Machine, MyAddress...)."""
        return {
            "MyType": mytype,
            "Name": name,
            "Machine": self.hostname,
            "MyAddress": str(self.address),
            "AddressV1": self.address.address_v1() if self.address else "",
            "MyCurrentTime": int(time.time()),
            "DaemonStartTime": self.start_time,
            "CondorVersion": "$CondorVersion: 24.0.24 2025-01-01 BuildID: htcondor-python $",
            "CondorPlatform": "$CondorPlatform: htcondor-python $",
            "MyPid": os.getpid(),
            "RealUid": os.getuid(),
            "DaemonUser": getpass.getuser(),
        }


async def call_daemon(address: str | Sinful, cmd: str, args: dict | None = None, timeout: float = 10.0) -> dict:
    """One request from a daemon to another, on a fresh connection; an error reply raises.

    The daemons' side of :func:`htcondor._client.call`: it never blocks the
    event loop, and gives up after ``timeout`` seconds with
    :class:`~htcondor.HTCondorIOError`.
    """
    from ._client import raise_reply_error
    from ._errors import HTCondorIOError

    sinful = address if isinstance(address, Sinful) else Sinful.parse(str(address))
    user = getpass.getuser()
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(sinful.host, sinful.port)
            try:
                await _wire.write_message(writer, {"cmd": cmd, "user": user, "deadline": time.time() + timeout,
                                                   "args": args or {}})
                reply = await _wire.read_message(reader)
            finally:
                writer.close()
    except (OSError, TimeoutError) as e:
        raise HTCondorIOError(f"{cmd} to {sinful}: {e or 'timed out'}") from None
    if reply is None:
        raise HTCondorIOError(f"{cmd} to {sinful}: the daemon closed the connection")
    if not reply.get("ok"):
        raise_reply_error(reply)
    return reply


def local_name(argv: list[str]) -> str | None:
    """The ``-local-name NAME`` of a daemon's command line (``-localname`` too), or None.

    >>> local_name(["-f", "-local-name", "schedd2"]), local_name([])
    ('schedd2', None)
    """
    for flag in ("-local-name", "-localname"):
        if flag in argv and argv.index(flag) + 1 < len(argv):
            return argv[argv.index(flag) + 1]
    return None


def daemon_main(cls: type[Daemon]) -> None:
    """The ``python -m`` entry of a daemon: run ``cls`` with the command-line arguments."""
    daemon = cls(sys.argv[1:])
    sys.exit(daemon.run())

