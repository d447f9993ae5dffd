"""The master: starts the pool's daemons, keeps them running, and stops them.

``python -m htcondor._daemons.master`` runs the master in the foreground;
``condor_master`` (:func:`console_main`) starts it in the background and
returns once it listens, as HTCondor's own does.

What it does, as HTCondor's ``condor_master``:

* reads ``DAEMON_LIST`` and starts every daemon named there (the collector
  first, the others once the collector has written its address);
* a daemon ``NAME`` runs the program the configuration names in ``NAME``
  when that is a real program, and otherwise this package's own
  implementation (``python -m htcondor._daemons.<name>``, or the one the
  program's name says: ``SCHEDD2 = $(SCHEDD)`` runs the schedd), so the
  default ``SCHEDD = $(SBIN)/condor_schedd`` needs no HTCondor
  installation; ``<NAME>_ARGS`` is appended (``-local-name schedd2`` gives
  a second schedd its own ``SCHEDD2.*`` settings);
* restarts a daemon that exits, after ``MASTER_BACKOFF_CONSTANT +
  ceil(MASTER_BACKOFF_FACTOR ** restarts)`` seconds (at most
  ``MASTER_BACKOFF_CEILING``); a daemon that stays up for
  ``MASTER_RECOVER_FACTOR`` seconds counts as recovered;
* advertises a ``Master`` ad to the collector every
  ``MASTER_UPDATE_INTERVAL`` seconds;
* on SIGTERM (or the ``MASTER_OFF`` command) stops every daemon gracefully
  -- SIGTERM, then SIGKILL after ``SHUTDOWN_GRACEFUL_TIMEOUT`` -- and exits;
  SIGQUIT is the fast version (SIGQUIT, then SIGKILL after
  ``SHUTDOWN_FAST_TIMEOUT``).

Commands: ``QUERY_READY`` (the ``condor_who`` view: every daemon's state and
pid, ``IsReady``), ``DAEMON_OFF``/``DAEMON_ON`` (one daemon, ``{"daemon":
"SCHEDD"}``), ``DAEMONS_OFF``/``DAEMONS_ON`` (all but the master),
``RESTART`` (one daemon, or all), ``RECONFIG``/``DC_RECONFIG_FULL`` (SIGHUP
to every daemon, each logged, and daemons added to or removed from
``DAEMON_LIST`` started or stopped), ``DC_OFF_*`` and ``MASTER_OFF`` (the
whole pool), ``DC_CHILDALIVE`` (a keep-alive: a daemon whose next one is
late is killed as hung, then restarted) and ``DC_SET_READY``; the
``*_PEACEFUL`` forms act as the graceful ones.  Every daemon it starts gets
``CONDOR_PARENT_PID`` and ``CONDOR_INHERIT`` (the master's pid and address)
in its environment and exits by itself when the master is gone, so killing
the master with SIGKILL never leaves orphans behind.
"""

from __future__ import annotations

import asyncio
import importlib.util
import math
import os
import re
import shlex
import signal
import subprocess
import sys
import time

from .._daemon_core import Daemon, call_daemon, command, daemon_main, local_name
from .._errors import HTCondorIOError, HTCondorValueError
from .._sinful import read_address_file

__all__ = ["Master", "console_main"]

# Daemons the master waits for before starting the others: they need its address.
_FIRST = ("COLLECTOR",)


class ChildDaemon:
    """One daemon of ``DAEMON_LIST`` as the master sees it."""

    def __init__(self, name: str, argv: list[str], subsys: str | None = None, address_file: str | None = None):
        self.name = name
        self.argv = argv
        self.subsys = subsys or name  # the kind of daemon (SCHEDD for SCHEDD2 = $(SCHEDD))
        self.localname = local_name(argv)
        self.address_file = address_file
        self.ready_state: str | None = None  # from DC_SET_READY
        self.alive_deadline: float | None = None  # from DC_CHILDALIVE
        self.process: asyncio.subprocess.Process | None = None
        self.state = "Off"  # Off, Starting, Alive, Exited, Stopping
        self.restarts = 0
        self.started_at = 0.0
        self.wanted = True  # False once turned off: an exit is then not restarted
        self.last_status: int | None = None
        self.watcher: asyncio.Task | None = None
        self.restart_timer: asyncio.Task | None = None

    @property
    def pid(self) -> int:
        return self.process.pid if self.process is not None and self.process.returncode is None else 0


class Master(Daemon):
    """The master daemon; see the module documentation."""

    SUBSYS = "MASTER"

    def __init__(self, argv: list[str] | None = None):
        super().__init__(argv)
        self.children: dict[str, ChildDaemon] = {}
        self.every(lambda: self.param("MASTER_UPDATE_INTERVAL", 300), self.advertise)

    # -- which daemons, and how to run them ---------------------------------------------------

    def daemon_names(self) -> list[str]:
        names = re.split(r"[\s,]+", str(self.param("DAEMON_LIST", "MASTER")).strip())
        seen: list[str] = []
        for name in names:
            if name and name.upper() != "MASTER" and name.upper() not in seen:
                seen.append(name.upper())
        return seen

    def daemon_argv(self, name: str) -> list[str] | None:
        """The command line that runs daemon ``name``, or None when there is no program for it.

        The program is the one the configuration names (``SCHEDD2 = $(SCHEDD)``)
        when that is a real executable, else this package's implementation of
        the daemon of that name or of the program's name (``condor_schedd``);
        ``<NAME>_ARGS`` is appended (``-local-name schedd2``).
        """
        return self._program(name)[0]

    def _program(self, name: str) -> tuple[list[str] | None, str]:
        """(command line, subsystem) of daemon ``name``."""
        program = self.param(name)
        program = program if isinstance(program, str) else ""
        base = os.path.basename(program).removeprefix("condor_").upper() if program else ""
        args = shlex.split(str(self.param(f"{name}_ARGS", "") or ""))
        if program and os.access(program, os.X_OK) and not os.path.isdir(program):
            return [program, *args], base or name
        for kind in (name, base):
            if not kind or not re.fullmatch(r"[A-Z_]+", kind):
                continue
            module = f"htcondor._daemons.{kind.lower()}"
            if importlib.util.find_spec(module) is not None:
                return [sys.executable, "-m", module, *args], kind
        return None, name

    def child_address_file(self, subsys: str, localname: str | None) -> str | None:
        """Where a daemon of kind ``subsys`` (and local name) writes its address, as it computes it."""
        macros = self.config.macros
        raw = macros.lookup(f"{subsys}_ADDRESS_FILE", subsys, localname)
        path = macros.expand(raw, subsys, localname) if raw else ""
        if path:
            return path
        log = self.param("LOG")
        return os.path.join(str(log), f".{(localname or subsys).lower()}_address") if log else None

    def make_child(self, name: str) -> ChildDaemon | None:
        argv, subsys = self._program(name)
        if argv is None:
            self.log.write(f"ERROR: no program to run for {name} (DAEMON_LIST names it); not starting it")
            return None
        return ChildDaemon(name, argv, subsys, self.child_address_file(subsys, local_name(argv)))

    def backoff(self, child: ChildDaemon) -> float:
        constant = self.param(f"MASTER_{child.name}_BACKOFF_CONSTANT", self.param("MASTER_BACKOFF_CONSTANT", 9))
        factor = self.param(f"MASTER_{child.name}_BACKOFF_FACTOR", self.param("MASTER_BACKOFF_FACTOR", 2.0))
        ceiling = self.param(f"MASTER_{child.name}_BACKOFF_CEILING", self.param("MASTER_BACKOFF_CEILING", 3600))
        if float(factor) <= 0:
            factor = 2.0
        seconds = int(constant) + math.ceil(float(factor) ** child.restarts)
        return float(min(seconds, int(ceiling)))

    # -- starting and watching ----------------------------------------------------------------

    async def on_start(self) -> None:
        for name in self.daemon_names():
            child = self.make_child(name)
            if child is not None:
                self.children[name] = child
        first = [c for c in self.children.values() if c.name in _FIRST]
        for child in first:
            await self.start_child(child)
        for child in first:
            await self.wait_for_address(child, 10.0)
        for child in self.children.values():
            if child.name not in _FIRST:
                await self.start_child(child)
        self.spawn(self.advertise_soon())
        self.every(1.0, self.check_alive)

    def address_file_of(self, name: str) -> str | None:
        child = self.children.get(name)
        if child is not None:
            return child.address_file
        path = self.param(f"{name}_ADDRESS_FILE")
        if path:
            return str(path)
        log = self.param("LOG")
        return os.path.join(str(log), f".{name.lower()}_address") if log else None

    async def wait_for_address(self, child: ChildDaemon, timeout: float) -> bool:
        path = self.address_file_of(child.name)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and child.pid:
            if path and read_address_file(path):
                return True
            await asyncio.sleep(0.02)
        return False

    async def start_child(self, child: ChildDaemon) -> None:
        if child.pid:
            return
        # CONDOR_INHERIT: how a child finds its master, as HTCondor's daemons (send_alive, set_ready_state)
        env = dict(os.environ, CONDOR_PARENT_PID=str(os.getpid()), CONDOR_INHERIT=f"{os.getpid()} {self.address} 0 0")
        log_dir = str(self.param("LOG", "") or "")
        stderr = subprocess.DEVNULL
        if log_dir and os.path.isdir(log_dir):
            stderr = open(os.path.join(log_dir, f".{child.name.lower()}.stderr"), "ab")
        try:
            child.process = await asyncio.create_subprocess_exec(
                *child.argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr, env=env,
                start_new_session=True)
        except OSError as e:
            self.log.write(f"ERROR: failed to start {child.name} ({' '.join(child.argv)}): {e}")
            child.state = "Exited"
            return
        finally:
            if stderr is not subprocess.DEVNULL:
                stderr.close()
        child.state = "Alive"
        child.started_at = time.monotonic()
        child.wanted = True
        child.alive_deadline = None
        child.ready_state = None
        self.log.write(f"Started DaemonCore process \"{' '.join(child.argv)}\", pid and pgroup = {child.process.pid}")
        child.watcher = self.spawn(self.watch(child, child.process))

    async def watch(self, child: ChildDaemon, process: asyncio.subprocess.Process) -> None:
        status = await process.wait()
        if child.process is not process:
            return
        child.last_status = status
        how = f"exited with status {status}" if status >= 0 else f"died on signal {-status}"
        self.log.write(f"The {child.name} (pid {process.pid}) {how}")
        if not child.wanted or self._stopping is None or self._stopping.is_set():
            child.state = "Off"
            return
        child.state = "Exited"
        if time.monotonic() - child.started_at >= float(self.param("MASTER_RECOVER_FACTOR", 300)):
            child.restarts = 0
        delay = self.backoff(child)
        child.restarts += 1
        self.log.write(f"restarting {child.name} in {delay:g} seconds")
        child.restart_timer = self.spawn(self.restart_later(child, delay))

    async def restart_later(self, child: ChildDaemon, delay: float) -> None:
        await asyncio.sleep(delay)
        if child.wanted and child.state == "Exited":
            await self.start_child(child)

    async def stop_child(self, child: ChildDaemon, fast: bool = False) -> None:
        child.wanted = False
        if child.restart_timer is not None:
            child.restart_timer.cancel()
        process = child.process
        if process is None or process.returncode is not None:
            child.state = "Off"
            return
        child.state = "Stopping"
        timeout = float(self.param("SHUTDOWN_FAST_TIMEOUT" if fast else "SHUTDOWN_GRACEFUL_TIMEOUT",
                                   5 if fast else 30))
        try:
            process.send_signal(signal.SIGQUIT if fast else signal.SIGTERM)
            await asyncio.wait_for(process.wait(), timeout)
        except ProcessLookupError:
            pass
        except TimeoutError:
            self.log.write(f"{child.name} (pid {process.pid}) did not exit in {timeout:g} s; killing it")
            try:
                process.kill()
            except ProcessLookupError:
                pass
            await process.wait()
        child.state = "Off"

    async def on_stop(self) -> None:
        fast = self.stop_mode == "fast"
        self.log.write(f"Stopping all daemons ({'fast' if fast else 'graceful'})")
        await asyncio.gather(*(self.stop_child(c, fast) for c in reversed(list(self.children.values()))))
        await self.invalidate()

    # -- the Master ad ------------------------------------------------------------------------

    def master_ad(self) -> dict:
        ad = self.daemon_ad_base("DaemonMaster", self.hostname)
        ad.update({
            "DaemonList": ", ".join(["MASTER", *self.children]),
            "MasterIpAddr": str(self.address),
            "UpdateInterval": int(self.param("MASTER_UPDATE_INTERVAL", 300)),
        })
        for child in self.children.values():
            if child.pid:
                ad[f"{child.name.capitalize()}Pid"] = child.pid
        return ad

    def collector_address(self) -> str | None:
        path = self.address_file_of("COLLECTOR")
        return read_address_file(path) if path else None

    async def advertise(self) -> None:
        address = self.collector_address()
        if address is None:
            return
        try:
            await call_daemon(address, "UPDATE_MASTER_AD", {"ad": self.master_ad()}, timeout=5)
        except HTCondorIOError as e:
            self.log.write(f"failed to send the Master ad to the collector: {e}")
        except Exception as e:  # the collector refused the ad; keep running
            self.log.write(f"the collector refused the Master ad: {e}")

    async def advertise_soon(self) -> None:
        collector = self.children.get("COLLECTOR")
        if collector is not None:
            await self.wait_for_address(collector, 10.0)
        await self.advertise()

    async def invalidate(self) -> None:
        address = self.collector_address()
        if address is None:
            return
        try:
            await call_daemon(address, "INVALIDATE_MASTER_ADS", {"name": self.hostname}, timeout=2)
        except Exception:
            pass  # the collector may already be gone; its ads expire anyway

    # -- commands -----------------------------------------------------------------------------

    def who(self) -> dict:
        """The ``condor_who`` view of the pool: every daemon's state and pid, and whether all are up."""
        reply: dict = {"MASTER": "Alive", "MASTER_PID": os.getpid()}
        ready = True
        for child in self.children.values():
            alive = child.state == "Alive" and bool(child.pid)
            path = child.address_file
            if alive and path and not read_address_file(path):
                alive = False  # started, not listening yet
            reply[child.name] = "Alive" if alive else child.state
            if child.pid:
                reply[f"{child.name}_PID"] = child.pid
            ready = ready and alive
        reply["IsReady"] = ready
        return reply

    def _child(self, request) -> ChildDaemon:
        name = str(request.args.get("daemon", "")).upper()
        child = self.children.get(name)
        if child is None:
            raise HTCondorValueError(f"the master runs no daemon named {name!r}")
        return child

    @command("QUERY_READY")
    async def query_ready(self, request) -> dict:
        return {"who": self.who()}

    @command("DAEMON_OFF", "DAEMON_OFF_FAST", "DAEMON_OFF_PEACEFUL")
    async def daemon_off(self, request) -> dict:
        child = self._child(request)
        self.log.write(f"Got {request.cmd} from {request.user}: turning off {child.name}")
        await self.stop_child(child, fast=request.cmd.endswith("FAST"))
        self.log.write(f"{child.name} is off (it stays off until DAEMON_ON or a restart of the master)")
        return {}

    @command("DAEMON_ON")
    async def daemon_on(self, request) -> dict:
        child = self._child(request)
        self.log.write(f"Got DAEMON_ON from {request.user}: starting {child.name}")
        child.restarts = 0
        await self.start_child(child)
        return {}

    @command("DAEMONS_OFF", "DAEMONS_OFF_FAST", "DAEMONS_OFF_PEACEFUL")
    async def daemons_off(self, request) -> dict:
        fast = request.cmd.endswith("FAST")
        self.log.write(f"Got {request.cmd} from {request.user}: turning off every daemon but the master")
        await asyncio.gather(*(self.stop_child(c, fast) for c in self.children.values()))
        self.log.write("All daemons are off; the master keeps running")
        return {}

    @command("DAEMONS_ON")
    async def daemons_on(self, request) -> dict:
        self.log.write(f"Got DAEMONS_ON from {request.user}: starting every daemon")
        for child in self.children.values():
            child.restarts = 0
            await self.start_child(child)
        return {}

    @command("RESTART", "RESTART_PEACEFUL")
    async def restart(self, request) -> dict:
        targets = [self._child(request)] if request.args.get("daemon") else list(self.children.values())
        self.log.write(f"Got {request.cmd} from {request.user}: restarting {', '.join(c.name for c in targets)}")
        for child in targets:
            await self.stop_child(child)
            child.restarts = 0
        collector = [c for c in targets if c.name in _FIRST]
        for child in collector:
            await self.start_child(child)
            await self.wait_for_address(child, 10.0)
        for child in targets:
            if child not in collector:
                await self.start_child(child)
        return {}

    @command("RECONFIG", "DC_RECONFIG", "DC_RECONFIG_FULL")
    async def dc_reconfig(self, request) -> dict:
        """Re-read the configuration, signal every daemon to do the same, and follow changes of ``DAEMON_LIST``."""
        self.log.write(f"Got {request.cmd} from {request.user}: reconfiguring")
        self.reconfig()
        for child in self.children.values():
            if child.pid:
                child.process.send_signal(signal.SIGHUP)
                self.log.write(f"Sent SIGHUP to {child.name} (pid {child.pid})")
        wanted = self.daemon_names()
        for name in [n for n in self.children if n not in wanted]:
            self.log.write(f"{name} is no longer in DAEMON_LIST: stopping it")
            await self.stop_child(self.children.pop(name))
        for name in [n for n in wanted if n not in self.children]:
            child = self.make_child(name)
            if child is not None:
                self.log.write(f"{name} is new in DAEMON_LIST: starting it")
                self.children[name] = child
                await self.start_child(child)
        return {}

    @command("DC_OFF_GRACEFUL", "DC_OFF_FAST", "DC_OFF_PEACEFUL", "DC_OFF_FORCE")
    async def dc_off(self, request) -> dict:
        """The master told to go off takes the whole pool down with it, as ``condor_off -master``."""
        mode = "fast" if request.cmd in ("DC_OFF_FAST", "DC_OFF_FORCE") else "graceful"
        self.log.write(f"Got {request.cmd} from {request.user}: shutting down the pool ({mode})")
        asyncio.get_running_loop().call_soon(self.stop, mode)
        return {}

    @command("DC_CHILDALIVE")
    async def dc_childalive(self, request) -> dict:
        """A keep-alive: the daemon with that pid is killed as hung if the next one is late."""
        pid, timeout = int(request.args.get("pid", 0)), max(int(request.args.get("timeout", 3600)), 1)
        child = next((c for c in self.children.values() if c.pid and c.pid == pid), None)
        if child is None:
            raise HTCondorValueError(f"DC_CHILDALIVE: pid {pid} is not a daemon of this master")
        child.alive_deadline = time.monotonic() + timeout
        return {}

    async def check_alive(self) -> None:
        now = time.monotonic()
        for child in self.children.values():
            if child.alive_deadline is not None and now > child.alive_deadline and child.pid:
                self.log.write(f"ERROR: Child pid {child.pid} ({child.name}) appears hung! Killing it hard.")
                child.alive_deadline = None
                try:
                    child.process.kill()
                except ProcessLookupError:
                    pass

    @command("DC_SET_READY")
    async def dc_set_ready(self, request) -> dict:
        pid = int(request.args.get("pid", 0))
        state = str(request.args.get("state", "Ready") or "Ready")
        child = next((c for c in self.children.values() if c.pid and c.pid == pid), None)
        if child is None:
            raise HTCondorValueError(f"DC_SET_READY: pid {pid} is not a daemon of this master")
        child.ready_state = state
        self.log.write(f"Daemon {child.name} (pid {pid}) reports that it is {state}")
        return {}

    @command("MASTER_OFF", "MASTER_OFF_FAST")
    async def master_off(self, request) -> dict:
        asyncio.get_running_loop().call_soon(self.stop, "fast" if request.cmd.endswith("FAST") else "graceful")
        return {}


def console_main(argv: list[str] | None = None) -> int:
    """``condor_master``: start the pool in the background and return once the master listens.

    ``-f`` keeps it in the foreground (as HTCondor's ``condor_master -f``).
    """
    from .._config import Configuration

    argv = list(sys.argv[1:] if argv is None else argv)
    if "-f" in argv:
        argv.remove("-f")
        return Master(argv).run()
    config = Configuration(subsys="MASTER")
    log_dir = config.expanded("LOG") or ""
    for name in ("LOG", "SPOOL", "EXECUTE", "LOCK", "RUN"):
        path = config.expanded(name)
        if path:
            os.makedirs(path, exist_ok=True)
    address_file = config.expanded("MASTER_ADDRESS_FILE") or (
        os.path.join(log_dir, ".master_address") if log_dir else None)
    if address_file is None:
        print("condor_master: the configuration sets neither LOG nor MASTER_ADDRESS_FILE", file=sys.stderr)
        return 1
    running = read_address_file(address_file)
    if running:
        try:
            from .._client import call
            call(running, "QUERY_READY", timeout=2)
            print(f"condor_master: a master is already running for this pool (see {address_file})", file=sys.stderr)
            return 1
        except HTCondorIOError:
            os.unlink(address_file)  # left behind by a master that was killed
    stderr_path = os.path.join(log_dir or os.path.dirname(address_file), ".master.stderr")
    with open(stderr_path, "ab") as stderr:
        process = subprocess.Popen([sys.executable, "-m", "htcondor._daemons.master", *argv],
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
                                   start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if read_address_file(address_file):
            return 0
        if process.poll() is not None:
            with open(stderr_path, encoding="utf-8", errors="replace") as f:
                tail = f.read()[-2000:]
            print(f"condor_master: the master exited with status {process.returncode}\n{tail}", file=sys.stderr)
            return 1
        time.sleep(0.02)
    print("condor_master: the master did not start listening within 30 seconds", file=sys.stderr)
    return 1


if __name__ == "__main__":
    daemon_main(Master)
