"""Personal pools: a whole HTCondor pool in a directory, started and stopped from Python.

:class:`PersonalPool` has the official ``htcondor.personal.PersonalPool``'s
interface.  It writes a configuration file into ``local_dir`` (this
package's personal-pool defaults, the pool's directories, short update
intervals, then your ``config`` and ``raw_config``), starts a master on it,
and waits until every daemon of ``DAEMON_LIST`` listens.  All of the pool's
state lives under ``local_dir``; nothing needs root or an HTCondor
installation.

>>> import tempfile
>>> from htcondor.personal import PersonalPool, PersonalPoolState
>>> pool = PersonalPool(local_dir=tempfile.mkdtemp(), use_config=False)
>>> pool.state
<PersonalPoolState.UNINITIALIZED: 'UNINITIALIZED'>
>>> pool.initialize().state
<PersonalPoolState.INITIALIZED: 'INITIALIZED'>
>>> pool.get_config_val("SPOOL") == str(pool.spool_dir)
True
"""

from __future__ import annotations

import atexit
import enum
import functools
import logging
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Mapping
from pathlib import Path

import classad

from ._client import call
from ._config import default_config_path
from ._errors import HTCondorIOError
from ._sinful import read_address_file

__all__ = ["PersonalPool", "PersonalPoolState", "SetCondorConfig"]

logger = logging.getLogger(__name__)

# What a personal pool changes from the packaged defaults: quick cycles, so a
# test or a notebook sees its jobs move at once, and the address files where
# the clients look for the daemons.
_POOL_DEFAULTS = {
    "MASTER_ADDRESS_FILE": "$(LOG)/.master_address",
    "COLLECTOR_ADDRESS_FILE": "$(LOG)/.collector_address",
    "SCHEDD_ADDRESS_FILE": "$(LOG)/.schedd_address",
    "JOB_QUEUE_LOG": "$(SPOOL)/job_queue.log",
    "UPDATE_INTERVAL": "2",
    "POLLING_INTERVAL": "2",
    "NEGOTIATOR_INTERVAL": "2",
    "STARTER_UPDATE_INTERVAL": "2",
    "STARTER_INITIAL_UPDATE_INTERVAL": "2",
    "NEGOTIATOR_CYCLE_DELAY": "2",
    "MASTER_UPDATE_INTERVAL": "2",
    "MASTER_BACKOFF_CONSTANT": "1",
    "MAIL": "/bin/true",
    "SENDMAIL": "/bin/true",
}


def _htcondor():
    """The ``htcondor`` package (imported late: this module is one of its submodules)."""
    import htcondor

    return htcondor


class PersonalPoolState(str, enum.Enum):  # noqa: UP042 -- str() and repr() as the official class gives them
    """Where a :class:`PersonalPool` is in its life."""

    UNINITIALIZED = "UNINITIALIZED"
    INITIALIZED = "INITIALIZED"
    STARTING = "STARTING"
    READY = "READY"
    STOPPING = "STOPPING"
    STOPPED = "STOPPED"


def _unless(*states: PersonalPoolState):
    """Make a method that returns ``self`` do nothing while the pool is in one of ``states``."""
    def decorate(method):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            if self.state in states:
                return self
            return method(self, *args, **kwargs)
        return wrapper
    return decorate


class PersonalPool:
    """A personal HTCondor pool living in ``local_dir``.

    Parameters
    ----------
    local_dir:
        The pool's directory: configuration, logs, spool, execute.
        Default: ``~/.condor/personal``.
    config:
        Configuration settings to add, ``{name: value}``.
    raw_config:
        Configuration text to add after ``config``.
    detach:
        Leave the pool running when this object goes away (and at exit).
    use_config:
        Set ``CONDOR_CONFIG`` to the pool's configuration file for this
        process now (and initialize the pool), so ``htcondor.Schedd()`` and
        ``htcondor.Collector()`` find it without arguments.

    Examples
    --------
    The usual form, a context manager::

        with PersonalPool(local_dir=path) as pool:
            print(pool.collector.query(htcondor.AdTypes.Master))
    """

    def __init__(self, local_dir: Path | str | None = None, config: Mapping[str, str] | None = None,
                 raw_config: str | None = None, detach: bool = False, use_config: bool = True):
        self._state = PersonalPoolState.UNINITIALIZED
        atexit.register(self._atexit)
        if local_dir is None:
            local_dir = Path.home() / ".condor" / "personal"
        self.local_dir = Path(local_dir).absolute()
        self._detach = detach
        self.execute_dir = self.local_dir / "execute"
        self.lock_dir = self.local_dir / "lock"
        self.log_dir = self.local_dir / "log"
        self.run_dir = self.local_dir / "run"
        self.spool_dir = self.local_dir / "spool"
        self.config_file = self.local_dir / "condor_config"
        self._config = {k: "" if v is None else str(v) for k, v in (config or {}).items()}
        self._raw_config = raw_config or ""
        self.condor_master: subprocess.Popen | None = None
        if use_config:
            self.initialize()
            self.use_config().set()

    # -- state --------------------------------------------------------------------------------

    @property
    def state(self) -> PersonalPoolState:
        """The pool's :class:`PersonalPoolState`."""
        return self._state

    @state.setter
    def state(self, state: PersonalPoolState) -> None:
        logger.debug("%s: %s -> %s", self, self._state, state)
        self._state = state

    def __repr__(self) -> str:
        return f"{type(self).__name__}(local_dir={self.local_dir}, state={self.state.value})"

    def use_config(self) -> SetCondorConfig:
        """A :class:`SetCondorConfig` for this pool's configuration file."""
        return SetCondorConfig(self.config_file)

    @property
    def collector(self):
        """The :class:`htcondor.Collector` of this pool (located once, so it stays this pool's)."""
        import htcondor

        with self.use_config():
            return htcondor.Collector(htcondor.Collector().locate(htcondor.DaemonTypes.Collector))

    @property
    def schedd(self):
        """The :class:`htcondor.Schedd` of this pool."""
        with self.use_config():
            return _htcondor().Schedd()

    # -- life cycle -----------------------------------------------------------------------------

    def __enter__(self) -> PersonalPool:
        self.initialize()  # the configuration file must exist before CONDOR_CONFIG names it
        self.use_config().set()
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
        self.use_config().unset()

    def __del__(self):
        try:
            self.stop()
        except Exception:
            pass

    def _atexit(self) -> None:
        self.stop()

    @_unless(PersonalPoolState.READY)
    def start(self) -> PersonalPool:
        """Initialize if needed, start the master, and wait until the pool is ready.

        Returns
        -------
        PersonalPool
            ``self``.

        Raises
        ------
        TimeoutError
            When the daemons are not all up within two minutes.
        RuntimeError
            When another pool already runs in ``local_dir``, or the master
            exits during start-up.
        """
        try:
            self.initialize()
            self._start_master()
            self._wait_for_ready()
        except BaseException:
            self.stop()
            raise
        return self

    @_unless(PersonalPoolState.INITIALIZED, PersonalPoolState.STARTING, PersonalPoolState.READY)
    def initialize(self, overwrite_config: bool = True) -> PersonalPool:
        """Create the pool's directories and write its configuration file.

        Parameters
        ----------
        overwrite_config:
            Replace an existing configuration file; if False and one
            exists, raise :class:`FileExistsError`.

        Returns
        -------
        PersonalPool
            ``self``.
        """
        for path in (self.local_dir, self.execute_dir, self.lock_dir, self.log_dir, self.run_dir, self.spool_dir):
            path.mkdir(parents=True, exist_ok=True)
        self._write_config(overwrite_config)
        self.state = PersonalPoolState.INITIALIZED
        return self

    def _write_config(self, overwrite: bool) -> None:
        if not overwrite and self.config_file.exists():
            raise FileExistsError(f"{self.config_file} exists and overwrite_config is False")
        lines = [
            "# Written by htcondor.personal.PersonalPool: this pool's whole configuration.",
            f"include : {default_config_path()}",
            "# THE POOL'S DIRECTORIES",
            f"LOCAL_DIR = {self.local_dir.as_posix()}",
            f"EXECUTE = {self.execute_dir.as_posix()}",
            f"LOCK = {self.lock_dir.as_posix()}",
            f"LOG = {self.log_dir.as_posix()}",
            f"RUN = {self.run_dir.as_posix()}",
            f"SPOOL = {self.spool_dir.as_posix()}",
            "# PERSONAL POOL DEFAULTS",
            *(f"{k} = {v}" for k, v in _POOL_DEFAULTS.items()),
            "# CUSTOM PARAMS",
            *(f"{k} = {v}" for k, v in self._config.items()),
            "# RAW PARAMS",
            *textwrap.dedent(self._raw_config).splitlines(),
            "",
        ]
        self.config_file.write_text("\n".join(lines), encoding="utf-8")

    def _master_address_file(self) -> str:
        return self.get_config_val("MASTER_ADDRESS_FILE", str(self.log_dir / ".master_address"))

    @_unless(PersonalPoolState.STARTING, PersonalPoolState.READY)
    def _start_master(self) -> PersonalPool:
        if self._is_ready():
            raise RuntimeError(f"a pool is already running in {self.local_dir}")
        stale = self._master_address_file()
        if os.path.exists(stale):
            os.unlink(stale)  # left by a master that was killed
        env = dict(os.environ, CONDOR_CONFIG=str(self.config_file))
        with open(self.log_dir / ".master.stderr", "ab") as stderr:
            self.condor_master = subprocess.Popen(
                [sys.executable, "-m", "htcondor._daemons.master"], env=env, stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True)
        self.state = PersonalPoolState.STARTING
        return self

    @_unless(PersonalPoolState.READY)
    def _wait_for_ready(self, timeout: float = 120) -> PersonalPool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.condor_master is not None and self.condor_master.poll() is not None:
                err = (self.log_dir / ".master.stderr").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"the master of {self} exited with status {self.condor_master.returncode}"
                                   f" during start-up:\n{err}")
            if self._is_ready():
                self.state = PersonalPoolState.READY
                return self
            time.sleep(0.01)
        raise TimeoutError(f"{self} did not become ready within {timeout} seconds")

    def who(self) -> classad.ClassAd:
        """What the master says of the pool's daemons, as ``condor_who -quick`` would.

        Returns
        -------
        classad.ClassAd
            ``MASTER = "Alive"``, one attribute per daemon with its state and
            one ``<DAEMON>_PID``, and ``IsReady``; empty when no master answers.
        """
        address = read_address_file(self._master_address_file())
        if address is None:
            return classad.ClassAd()
        try:
            return classad.ClassAd(call(address, "QUERY_READY", timeout=5)["who"])
        except HTCondorIOError:
            return classad.ClassAd()

    def _is_ready(self) -> bool:
        return bool(self.who().get("IsReady", False))

    def _master_alive(self) -> bool:
        if self.condor_master is not None:
            return self.condor_master.poll() is None
        return bool(self.who())

    @_unless(PersonalPoolState.UNINITIALIZED, PersonalPoolState.INITIALIZED, PersonalPoolState.STOPPING,
             PersonalPoolState.STOPPED)
    def stop(self) -> PersonalPool:
        """Stop every daemon and the master (unless the pool is detached).

        Returns
        -------
        PersonalPool
            ``self``.
        """
        if self._detach:
            return self
        self.state = PersonalPoolState.STOPPING
        who = self.who()
        address = read_address_file(self._master_address_file())
        if address is not None:
            try:
                call(address, "MASTER_OFF", timeout=10)
            except HTCondorIOError:
                pass
        self._wait_for_master_exit(who)
        self.state = PersonalPoolState.STOPPED
        return self

    def _wait_for_master_exit(self, who: classad.ClassAd, kill_after: float = 60) -> None:
        deadline = time.monotonic() + kill_after
        while self._master_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        if self._master_alive():
            for key in list(who.keys()):
                if key.endswith("_PID"):
                    try:
                        os.kill(int(who[key]), signal.SIGKILL)
                    except (ProcessLookupError, ValueError):
                        pass
        if self.condor_master is not None:
            self.condor_master.wait()

    def run_command(self, args: list[str], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                    universal_newlines: bool = True, **kwargs) -> subprocess.CompletedProcess:
        """Run a command with this pool's configuration (``CONDOR_CONFIG`` set).

        Parameters
        ----------
        args:
            The command and its arguments.
        kwargs:
            Passed to :func:`subprocess.run`.

        Returns
        -------
        subprocess.CompletedProcess
            With ``stdout`` and ``stderr`` stripped of trailing white space.

        >>> import tempfile
        >>> pool = PersonalPool(local_dir=tempfile.mkdtemp(), use_config=False).initialize()
        >>> pool.run_command(["sh", "-c", "echo $CONDOR_CONFIG"]).stdout == str(pool.config_file)
        True
        """
        with self.use_config():
            done = subprocess.run([str(a) for a in args], stdout=stdout, stderr=stderr,
                                  text=universal_newlines, **kwargs)
        if isinstance(done.stdout, str):
            done.stdout = done.stdout.rstrip()
        if isinstance(done.stderr, str):
            done.stderr = done.stderr.rstrip()
        return done

    def get_config_val(self, macro: str, default: str | None = None) -> str:
        """The expanded value of a configuration macro in this pool's configuration.

        Parameters
        ----------
        macro:
            The name to look up.
        default:
            Returned when the macro has no value; when None, that raises.

        Raises
        ------
        KeyError
            When the macro is undefined and no ``default`` is given.
        """
        with self.use_config():
            try:
                return str(_htcondor().param[macro])
            except KeyError:
                if default is not None:
                    return default
                raise

    @classmethod
    def attach(cls, local_dir: Path | str | None = None) -> PersonalPool:
        """A :class:`PersonalPool` for the pool already running in ``local_dir``.

        Raises
        ------
        RuntimeError
            When no pool runs there.
        """
        pool = cls(local_dir=local_dir)
        if not pool._is_ready():
            raise RuntimeError(f"no pool is running in {pool.local_dir}")
        pool.state = PersonalPoolState.READY
        return pool

    def detach(self) -> PersonalPool:
        """Leave the pool running when this object goes away; returns ``self``."""
        self._detach = True
        return self


class SetCondorConfig:
    """A context manager that points ``CONDOR_CONFIG`` at ``config_file`` and reloads the configuration.

    Leaving the block restores the previous ``CONDOR_CONFIG``.
    """

    def __init__(self, config_file: Path | str):
        self.config_file = Path(config_file)
        self.previous_value: str | None = None

    def set(self) -> None:
        """Set ``CONDOR_CONFIG`` and reload the configuration."""
        self.previous_value = os.environ.get("CONDOR_CONFIG")
        os.environ["CONDOR_CONFIG"] = str(self.config_file)
        _htcondor().reload_config()

    def unset(self) -> None:
        """Restore the previous ``CONDOR_CONFIG`` and reload the configuration."""
        if self.previous_value is not None:
            os.environ["CONDOR_CONFIG"] = self.previous_value
        else:
            os.environ.pop("CONDOR_CONFIG", None)
        _htcondor().reload_config()

    def __enter__(self) -> SetCondorConfig:
        self.set()
        return self

    def __exit__(self, *exc) -> None:
        self.unset()
