"""The master: starts the pool's daemons, keeps them running, and stops them.

``python -m htcondor._daemons.master`` runs the master in the foreground;
``condor_master`` (:func:`console_main`) starts it in the background and
returns once it listens, as HTCondor's own does.

What it does, as HTCondor's ``condor_master``:

* reads ``DAEMON_LIST`` and starts every daemon named there (the collector
  first, the others once the collector has written its address);
* a daemon ``NAME`` runs the program the configuration names in ``NAME``
  when that is a real program, and otherwise this package's own
  implementation (``python -m htcondor._daemons.<name>``), so the default
  ``SCHEDD = $(SBIN)/condor_schedd`` needs no HTCondor installation;
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
``RESTART`` (one daemon, or all), ``RECONFIG`` (SIGHUP to every daemon) and
``MASTER_OFF``.  Every daemon it starts gets ``CONDOR_PARENT_PID`` in its
environment and exits by itself when the master is gone, so killing the
master with SIGKILL never leaves orphans behind.
"""

from __future__ import annotations

import asyncio
import importlib.util
import math
import os
import re
import signal
import subprocess
import sys
import time

from .._daemon_core import Daemon, call_daemon, command, daemon_main
from .._errors import HTCondorIOError, HTCondorValueError
from .._sinful import read_address_file

__all__ = ["Master", "console_main"]

# Daemons the master waits for before starting the others: they need its address.
_FIRST = ("COLLECTOR",)


class ChildDaemon:
    """One daemon of ``DAEMON_LIST`` as the master sees it."""

    def __init__(self, name: str, argv: list[str]):
        self.name = name
        self.argv = argv
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
        """The command line that runs daemon ``name``, or None when there is no program for it."""
        program = self.param(name)
        if isinstance(program, str) and program and os.access(program, os.X_OK) and not os.path.isdir(program):
            return [program]
        module = f"htcondor._daemons.{name.lower()}"
        if importlib.util.find_spec(module) is not None:
            return [sys.executable, "-m", module]
        return None

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
            argv = self.daemon_argv(name)
            if argv is None:
                self.log.write(f"ERROR: no program to run for {name} (DAEMON_LIST names it); not starting it")
                continue
            self.children[name] = ChildDaemon(name, argv)
        first = [c for c in self.children.values() if c.name in _FIRST]
        for child in first:
            await self.start_child(child)
        for child in first:
            await self.wait_for_address(child, 10.0)
        for child in self.children.values():
            if child.name not in _FIRST:
                await self.start_child(child)
        self.spawn(self.advertise_soon())

    def address_file_of(self, name: str) -> str | None:
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
        env = dict(os.environ, CONDOR_PARENT_PID=str(os.getpid()))
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
            path = self.address_file_of(child.name)
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

    @command("DAEMON_OFF", "DAEMON_OFF_FAST")
    async def daemon_off(self, request) -> dict:
        await self.stop_child(self._child(request), fast=request.cmd.endswith("FAST"))
        return {}

    @command("DAEMON_ON")
    async def daemon_on(self, request) -> dict:
        await self.start_child(self._child(request))
        return {}

    @command("DAEMONS_OFF", "DAEMONS_OFF_FAST")
    async def daemons_off(self, request) -> dict:
        fast = request.cmd.endswith("FAST")
        await asyncio.gather(*(self.stop_child(c, fast) for c in self.children.values()))
        return {}

    @command("DAEMONS_ON")
    async def daemons_on(self, request) -> dict:
        for child in self.children.values():
            await self.start_child(child)
        return {}

    @command("RESTART")
    async def restart(self, request) -> dict:
        targets = [self._child(request)] if request.args.get("daemon") else list(self.children.values())
        for child in targets:
            await self.stop_child(child)
            child.restarts = 0
            await self.start_child(child)
        return {}

    @command("RECONFIG")
    async def reconfig_all(self, request) -> dict:
        self.reconfig()
        for child in self.children.values():
            if child.pid:
                child.process.send_signal(signal.SIGHUP)
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
