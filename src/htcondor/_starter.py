"""The starter: runs one claimed job as a local process, as HTCondor's ``condor_starter`` does.

The startd creates a :class:`Starter` for a job ad it has been given and
awaits :meth:`Starter.run`; the job's life is then:

1. the job's ``Iwd`` is checked (a missing one holds the job, code 14);
2. a sandbox ``dir_<pid>`` is made under the execute directory, with the
   ``.job.ad`` and ``.machine.ad`` files the job can read;
3. with ``ShouldTransferFiles = "YES"`` the executable and the input files
   are copied into the sandbox and the job runs there; otherwise it runs in
   ``Iwd`` (see :mod:`htcondor._job_sandbox`);
4. standard input, output and error are opened (``In``/``Out``/``Err``,
   ``/dev/null`` when unset), the arguments and environment are built from
   the ad (:mod:`htcondor._job_environment`) and the program is started in
   its own session, so signals reach its whole process tree;
5. while it runs its memory is sampled from ``/proc``; :meth:`Starter.suspend`,
   :meth:`Starter.resume`, :meth:`Starter.vacate`, :meth:`Starter.hold` and
   :meth:`Starter.kill` control it;
6. when it exits, its resource usage comes from ``wait4``; output is
   transferred back; the sandbox is removed.

Nothing the job does raises: :meth:`Starter.run` returns a :class:`JobResult`
whose :attr:`~JobResult.outcome` is ``"exited"``, ``"signaled"``, ``"held"``
(with HTCondor's ``HoldReason``, ``HoldReasonCode`` and
``HoldReasonSubCode``) or ``"vacated"``.  The result also carries the
attributes to merge into the job ad (:meth:`JobResult.job_ad_updates`) and
the user-log events in order (:attr:`JobResult.events`: execute, image
size, suspended/unsuspended, terminated, evicted or held), ready for
:class:`~htcondor._eventlog_writer.EventLogWriter` via :func:`write_events`.

>>> import asyncio, classad, tempfile
>>> ad = classad.ClassAd({"Cmd": "/bin/sh", "Arguments": "-c 'exit 3'", "Iwd": tempfile.mkdtemp(),
...                       "RequestCpus": 1, "ClusterId": 1, "ProcId": 0})
>>> result = asyncio.run(Starter(ad, slot_name="slot1_1@host", execute_dir=tempfile.mkdtemp()).run())
>>> result.outcome, result.exit_code, result.job_ad_updates()["ExitCode"]
('exited', 3, 3)
"""

from __future__ import annotations

import asyncio
import errno as errno_mod
import inspect
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import classad

from ._event_types import JobEventType
from ._job_environment import (
    JOB_AD_FILENAME,
    MACHINE_AD_FILENAME,
    ArgsError,
    arguments_for_display,
    job_arguments,
    job_environment,
)
from ._job_sandbox import (
    STDERR_NAME,
    STDOUT_NAME,
    TransferFailure,
    TransferStats,
    copy_back,
    parse_remaps,
    snapshot,
    split_file_list,
    transfer_input,
    transfer_output,
    tree_size_kb,
)

__all__ = ["Starter", "JobResult", "StarterEvent", "HoldCode", "write_events", "result_message", "event_message",
           "EXITED", "SIGNALED", "HELD", "VACATED"]

EXITED = "exited"
SIGNALED = "signaled"
HELD = "held"
VACATED = "vacated"

NULL_FILE = "/dev/null"
MEMORY_USAGE_EXPR = "((ResidentSetSize + 1023) / 1024)"  # MEMORY_USAGE_METRIC's default


class HoldCode:
    """The ``HoldReasonCode`` values the starter produces (HTCondor's ``CONDOR_HOLD_CODE``)."""

    UserRequest = 1
    JobPolicy = 3
    FailedToCreateProcess = 6
    UnableToOpenOutput = 7
    UnableToOpenInput = 8
    TransferOutputError = 12
    TransferInputError = 13
    IwdError = 14
    StartdHeldJob = 21


class StarterEvent(NamedTuple):
    """A user-log event: its type, when it happened and the keys :func:`~htcondor._eventlog_writer.format_event`
    takes."""

    type: JobEventType
    timestamp: float
    fields: dict


@dataclass
class JobResult:
    """How a job's run ended, and what it used.

    Times are seconds since the epoch (``None`` when the job never started);
    sizes are KiB; CPU times are seconds.
    """

    outcome: str
    exit_code: int | None = None
    exit_signal: int | None = None
    core_dumped: bool = False
    hold_reason: str | None = None
    hold_reason_code: int = 0
    hold_reason_subcode: int = 0
    message: str | None = None  # why a job was vacated without running, for the startd's log
    activation_time: float = 0.0
    start_time: float | None = None
    exit_time: float | None = None
    finish_time: float = 0.0
    wall_clock_time: float = 0.0
    user_cpu: float = 0.0
    sys_cpu: float = 0.0
    suspension_time: float = 0.0
    total_suspensions: int = 0
    image_size: int = 0
    resident_set_size: int = 0
    disk_usage: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0
    files_sent: int = 0
    files_received: int = 0
    transfer_input_start: float | None = None
    transfer_input_end: float | None = None
    transfer_output_start: float | None = None
    transfer_output_end: float | None = None
    sandbox: str = ""
    events: list[StarterEvent] = field(default_factory=list)
    _prior: dict = field(default_factory=dict, repr=False)

    def job_ad_updates(self) -> dict[str, Any]:
        """The attributes the schedd merges into the job ad for this run.

        Cumulative attributes (``RemoteWallClockTime``, ``CumulativeRemoteUserCpu``,
        ``BytesSent``, ``CumulativeSuspensionTime``, ``TotalSuspensions``...) add
        this run to the values the job ad had when the run began; ``RemoteUserCpu``
        and ``RemoteSysCpu`` are this run's, as the starter reports them.
        ``MemoryUsage`` is an expression of ``ResidentSetSize``.

        :returns: attribute name -> value (Python values, or a :class:`classad.ExprTree`).
        """
        prior = self._prior
        out: dict[str, Any] = {}
        if self.start_time is not None:
            out.update({
                "JobCurrentStartExecutingDate": int(self.start_time),
                "RemoteWallClockTime": float(prior.get("RemoteWallClockTime", 0.0)) + float(int(self.wall_clock_time)),
                "LastRemoteWallClockTime": float(int(self.wall_clock_time)),
                "RemoteUserCpu": float(int(self.user_cpu)),
                "RemoteSysCpu": float(int(self.sys_cpu)),
                "CumulativeRemoteUserCpu": float(prior.get("CumulativeRemoteUserCpu", 0.0)) + float(int(self.user_cpu)),
                "CumulativeRemoteSysCpu": float(prior.get("CumulativeRemoteSysCpu", 0.0)) + float(int(self.sys_cpu)),
                "ImageSize": self.image_size,
                "ResidentSetSize": self.resident_set_size,
                "MemoryUsage": classad.ExprTree(MEMORY_USAGE_EXPR),
                "DiskUsage": self.disk_usage,
                "TotalSuspensions": int(prior.get("TotalSuspensions", 0)) + self.total_suspensions,
                "CumulativeSuspensionTime": int(prior.get("CumulativeSuspensionTime", 0)) + int(self.suspension_time),
                "LastSuspensionTime": 0,
            })
        out["BytesSent"] = float(prior.get("BytesSent", 0.0)) + float(self.bytes_sent)
        out["BytesRecvd"] = float(prior.get("BytesRecvd", 0.0)) + float(self.bytes_received)
        if self.transfer_input_start is not None:
            out["JobCurrentStartTransferInputDate"] = int(self.transfer_input_start)
            out["JobCurrentFinishTransferInputDate"] = int(self.transfer_input_end or self.transfer_input_start)
        if self.transfer_output_start is not None:
            out["JobCurrentStartTransferOutputDate"] = int(self.transfer_output_start)
            out["JobCurrentFinishTransferOutputDate"] = int(self.transfer_output_end or self.transfer_output_start)
        setup_end = self.start_time if self.start_time is not None else self.finish_time
        execute_end = self.exit_time if self.exit_time is not None else self.finish_time
        out["ActivationSetupDuration"] = int(setup_end - self.activation_time)
        if self.start_time is not None:
            out["ActivationExecutionDuration"] = int(execute_end - self.start_time)
            out["ActivationTeardownDuration"] = int(self.finish_time - execute_end)
        out["ActivationDuration"] = int(self.finish_time - self.activation_time)
        if self.exit_code is not None or self.exit_signal is not None:
            out["ExitBySignal"] = self.exit_signal is not None
            if self.exit_signal is not None:
                out["ExitSignal"] = self.exit_signal
                out["JobCoreDumped"] = self.core_dumped
            else:
                out["ExitCode"] = self.exit_code
        if self.outcome in (EXITED, SIGNALED):
            out["CompletionDate"] = int(self.finish_time)
        if self.outcome == HELD:
            out["HoldReason"] = self.hold_reason
            out["HoldReasonCode"] = self.hold_reason_code
            out["HoldReasonSubCode"] = self.hold_reason_subcode
        return out


def result_message(result: JobResult) -> dict[str, Any]:
    """A :class:`JobResult` as the startd reports it to the schedd: how the job ended, and the job ad updates.

    >>> result_message(JobResult("exited", exit_code=0, start_time=1.0, exit_time=2.0, finish_time=2.0))["outcome"]
    'exited'
    """
    from ._adcodec import encode_ad

    fields = ("outcome", "exit_code", "exit_signal", "core_dumped", "hold_reason", "hold_reason_code",
              "hold_reason_subcode", "message", "start_time", "exit_time", "finish_time", "wall_clock_time")
    out: dict[str, Any] = {name: getattr(result, name) for name in fields}
    out["updates"] = encode_ad(classad.ClassAd(result.job_ad_updates()))
    return out


def event_message(event: StarterEvent) -> dict[str, Any]:
    """A :class:`StarterEvent` as the startd sends it to the schedd."""
    return {"type": int(event.type), "timestamp": event.timestamp, "fields": event.fields}


def write_events(writer, events, cluster: int, proc: int, subproc: int = 0) -> None:
    """Append :class:`StarterEvent` items to a user log with an :class:`~htcondor._eventlog_writer.EventLogWriter`.

    :param writer: the writer.
    :param events: a :class:`JobResult` (its :attr:`~JobResult.events`) or an iterable of events.
    :param cluster: the job's cluster id.
    :param proc: the job's proc id.
    """
    items = events.events if isinstance(events, JobResult) else events
    for ev in items:
        writer.write(ev.type, cluster, proc, subproc, timestamp=ev.timestamp, **ev.fields)


def _signal_number(value, default: int) -> int:
    """A signal given as ``"SIGTERM"``, ``"TERM"`` or a number; ``default`` if it is none of these."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    if isinstance(value, str) and value.strip():
        name = value.strip().upper()
        if name.isdigit():
            return int(name)
        if not name.startswith("SIG"):
            name = "SIG" + name
        try:
            return int(signal.Signals[name])
        except KeyError:
            return default
    return default


def _eval(ad, attr: str, default=None):
    if ad is None or attr not in ad:
        return default
    try:
        value = ad.eval(attr)
    except Exception:  # an expression that fails to evaluate counts as absent
        return default
    if isinstance(value, (classad.Value, type(None))):
        return default
    return value


def _number(ad, attr: str, default=None):
    value = _eval(ad, attr, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return default
    return value


def _bool(ad, attr: str, default: bool) -> bool:
    value = _eval(ad, attr, default)
    return value if isinstance(value, bool) else default


def _string(ad, attr: str, default: str | None = None) -> str | None:
    value = _eval(ad, attr, default)
    return value if isinstance(value, str) else default


_CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_PAGE_KB = (os.sysconf("SC_PAGE_SIZE") // 1024) if hasattr(os, "sysconf") else 4


def _read_stat(pid: int) -> list[bytes] | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return None
    # The command name may hold blanks and parentheses: fields start after the last ')'.
    return data[data.rfind(b")") + 2:].split()


def _descendants(leader: int) -> list[int] | None:
    """The leader and every process below it, from ``/proc/<pid>/task/<tid>/children``; None if unsupported."""
    found: list[int] = []
    todo = [leader]
    while todo:
        pid = todo.pop()
        found.append(pid)
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tids:
            try:
                with open(f"/proc/{pid}/task/{tid}/children", "rb") as f:
                    todo.extend(int(child) for child in f.read().split())
            except FileNotFoundError:
                if pid == leader and tid == str(leader) and os.path.exists(f"/proc/{pid}"):
                    return None  # a kernel without the children files
            except (OSError, ValueError):
                continue
    return found


def _family_usage(session: int) -> tuple[int, int, int, float, float]:
    """(VmSize KiB, RSS KiB, processes, user s, system s) summed over the processes of ``session``.

    The family is found by walking down from the session's leader (cheap); only a
    kernel without ``/proc/<pid>/task/<tid>/children`` makes it scan all of ``/proc``.
    """
    vsize = rss = count = 0
    utime = stime = 0.0
    pids = _descendants(session)
    if pids is None:
        try:
            pids = [int(name) for name in os.listdir("/proc") if name.isdigit()]
        except OSError:
            return 0, 0, 0, 0.0, 0.0
    for pid in pids:
        fields = _read_stat(pid)
        if fields is None:
            continue
        try:
            if int(fields[3]) != session or fields[0] == b"Z":
                continue
            utime += int(fields[11]) / _CLK_TCK
            stime += int(fields[12]) / _CLK_TCK
            vsize += int(fields[20]) // 1024
            rss += int(fields[21]) * _PAGE_KB
            count += 1
        except (IndexError, ValueError):
            continue
    return vsize, rss, count, utime, stime


class _Hold(Exception):
    """Ends the set-up of a job with a hold."""

    def __init__(self, reason: str, code: int, subcode: int = 0) -> None:
        super().__init__(reason)
        self.reason, self.code, self.subcode = reason, code, subcode


class Starter:
    """Runs one job ad on this machine.

    :param job_ad: the job's ClassAd as the schedd holds it (``Cmd``, ``Arguments``/``Args``,
        ``Environment``/``Env``, ``Iwd``, ``In``/``Out``/``Err``, ``ShouldTransferFiles``,
        ``TransferInput``, ``TransferOutput``, ``TransferOutputRemaps``, ``KillSig``...).
    :param slot_name: the slot running it, ``slot1_1@host`` (hold reasons say ``Error from <slot>``).
    :param execute_dir: where the sandbox directory is made (``EXECUTE``).
    :param machine_ad: the slot's ad: written to ``.machine.ad``; its ``Cpus``, ``Memory``, ``Disk``,
        ``GPUs`` are the allocation reported in events.
    :param execute_host: the startd's address, for the execute event.
    :param submit_host: the access point's host name, for transfer hold reasons (default: this host).
    :param on_event: called as ``on_event(event)`` with each :class:`StarterEvent` as it happens;
        it may return an awaitable: those are awaited one after the other, and :meth:`run`
        waits for the last; an exception from one is raised by :meth:`run` once the job is over
        (the result is still available from :meth:`wait`).
    :param sample_interval: seconds between memory samples of the running job.
    :param update_interval: seconds between image-size events (the starter's periodic update);
        the first comes after ``initial_update_interval``.
    :param vacate_grace: seconds between the soft kill signal and SIGKILL on :meth:`vacate`
        (``MachineMaxVacateTime``); a smaller ``JobMaxVacateTime`` in the job ad wins.
    :param starter_environment: ``STARTER_JOB_ENVIRONMENT``.
    :param inherit_environment: give the job this process's environment under its own
        (``JOB_INHERITS_STARTER_ENVIRONMENT``).
    :param keep_sandbox: leave the sandbox in place (for debugging).
    """

    def __init__(self, job_ad: classad.ClassAd, *, slot_name: str, execute_dir: str,
                 machine_ad: classad.ClassAd | None = None, execute_host: str = "", submit_host: str | None = None,
                 on_event: Callable[[StarterEvent], Any] | None = None, sample_interval: float = 1.0,
                 update_interval: float = 300.0, initial_update_interval: float = 8.0, vacate_grace: float = 10.0,
                 starter_environment: str | None = None, inherit_environment: bool = False,
                 keep_sandbox: bool = False) -> None:
        self.job_ad = job_ad
        self.slot_name = slot_name
        self.execute_dir = os.fspath(execute_dir)
        self.machine_ad = machine_ad
        self.execute_host = execute_host
        self.submit_host = submit_host or socket.gethostname().split(".")[0]
        self.on_event = on_event
        self.sample_interval = sample_interval
        self.update_interval = update_interval
        self.initial_update_interval = initial_update_interval
        self.vacate_grace = vacate_grace
        self.starter_environment = starter_environment
        self.inherit_environment = inherit_environment
        self.keep_sandbox = keep_sandbox
        self.sandbox: str | None = None
        self.pid: int | None = None
        self.state = "idle"  # idle, setup, running, suspended, exited, done
        self._events: list[StarterEvent] = []
        self._request: tuple | None = None  # ("vacate"|"hold"|"kill", reason, code, subcode)
        self._kill_timer: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._reaped = False
        self._suspended_at: float | None = None
        self._suspension_time = 0.0
        self._suspensions = 0
        self._peak_vsize = 0
        self._peak_rss = 0
        self._reported_size = 0
        self._reported_rss = 0
        self._live = (0, 0, 0, 0.0, 0.0)
        self._start_time: float | None = None
        self._done = asyncio.Event()
        self._result: JobResult | None = None
        self._last_callback: asyncio.Task | None = None
        self._callback_errors: list[BaseException] = []

    # ---------------------------------------------------------------- control

    def suspend(self) -> bool:
        """Stop the job's processes (SIGSTOP); True if it was running."""
        if self.state != "running" or self._reaped:
            return False
        self._signal(signal.SIGSTOP)
        self._suspended_at = time.time()
        self._suspensions += 1
        self.state = "suspended"
        self._emit(JobEventType.JOB_SUSPENDED, NumberOfPIDs=max(1, self._live[2]))
        return True

    def resume(self) -> bool:
        """Continue a suspended job (SIGCONT); True if it was suspended."""
        if self.state != "suspended" or self._reaped:
            return False
        self._signal(signal.SIGCONT)
        self._end_suspension()
        self.state = "running"
        self._emit(JobEventType.JOB_UNSUSPENDED)
        return True

    def vacate(self, grace: float | None = None, *, kill_signal: int | str | None = None) -> None:
        """Ask the job to leave: its ``KillSig`` (default SIGTERM), then SIGKILL after ``grace`` seconds.

        The result's outcome is ``"vacated"``; a job not yet started never starts.
        """
        self._stop(("vacate", None, 0, 0), grace, kill_signal or _eval(self.job_ad, "KillSig"))

    def hold(self, reason: str, code: int = HoldCode.StartdHeldJob, subcode: int = 0, grace: float | None = None
             ) -> None:
        """Stop the job as :meth:`vacate` does (with ``HoldKillSig`` if set) and end it with a hold."""
        sig = _eval(self.job_ad, "HoldKillSig") or _eval(self.job_ad, "KillSig")
        self._stop(("hold", reason, code, subcode), grace, sig)

    def kill(self) -> None:
        """Kill the job's processes at once (SIGKILL); the outcome is ``"vacated"``."""
        if self._request is None or self._request[0] != "hold":
            self._request = ("kill", None, 0, 0)
        self._hard_kill()

    def _stop(self, request: tuple, grace: float | None, sig) -> None:
        if self._request is None or self._request[0] == "vacate":
            self._request = request
        if self.pid is None or self._reaped:
            return
        if self.state == "suspended":
            self._signal(signal.SIGCONT)
            self._end_suspension()
            self.state = "running"
        self._signal(_signal_number(sig, signal.SIGTERM))
        if grace is None:
            grace = self.vacate_grace
            job_max = _number(self.job_ad, "JobMaxVacateTime")
            if job_max is not None and job_max < grace:
                grace = job_max
        if self._kill_timer is None and self._loop is not None:
            self._kill_timer = self._loop.call_later(max(0.0, float(grace)), self._hard_kill)

    def _hard_kill(self) -> None:
        if self.pid is None or self._reaped:
            return
        if self.state == "suspended":
            self._end_suspension()
            self.state = "running"
        self._signal(signal.SIGCONT)
        self._signal(signal.SIGKILL)

    def _signal(self, sig: int) -> None:
        if self.pid is None or self._reaped:
            return
        try:
            os.killpg(self.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def _end_suspension(self) -> None:
        if self._suspended_at is not None:
            self._suspension_time += time.time() - self._suspended_at
            self._suspended_at = None

    # ---------------------------------------------------------------- status

    def usage(self) -> dict[str, Any]:
        """What the job uses now, as the starter's periodic update reports it to the schedd."""
        vsize, rss, npids, utime, stime = self._live
        state = {"idle": "Idle", "setup": "Setup", "running": "Running", "suspended": "Suspended"}.get(
            self.state, "Exited")
        out: dict[str, Any] = {"JobState": state, "NumPids": npids,
                               "ImageSize": max(self._peak_vsize, self._peak_rss),
                               "ResidentSetSize": self._peak_rss, "MemoryUsage": classad.ExprTree(MEMORY_USAGE_EXPR),
                               "RemoteUserCpu": float(int(utime)), "RemoteSysCpu": float(int(stime)),
                               "TotalSuspensions": self._suspensions}
        if self._start_time is not None:
            out["JobCurrentStartExecutingDate"] = int(self._start_time)
        return out

    async def wait(self) -> JobResult:
        """The result, once :meth:`run` (started elsewhere) has finished."""
        await self._done.wait()
        return self._result

    # ---------------------------------------------------------------- events

    def _emit(self, etype: JobEventType, timestamp: float | None = None, **fields) -> None:
        ev = StarterEvent(JobEventType(etype), time.time() if timestamp is None else timestamp, fields)
        self._events.append(ev)
        if self.on_event is not None:
            ret = self.on_event(ev)
            if inspect.isawaitable(ret):
                # Awaited in order, each after the one before, whatever task emitted it.
                loop = self._loop or asyncio.get_running_loop()
                self._last_callback = loop.create_task(self._after(self._last_callback, ret))

    async def _after(self, previous: asyncio.Task | None, awaitable) -> None:
        if previous is not None:
            await previous
        try:
            await awaitable
        except Exception as e:  # raised from run() once the job is over
            self._callback_errors.append(e)

    async def _flush(self) -> None:
        if self._last_callback is not None:
            await self._last_callback

    def _allocation(self) -> dict[str, Any]:
        """The slot's Cpus, Disk, GPUs and Memory (from the machine ad, else the job's requests)."""
        out = {}
        for res in ("Cpus", "Disk", "GPUs", "Memory"):
            value = _number(self.machine_ad, res)
            if value is None:
                value = _number(self.job_ad, "Request" + res, 0 if res == "GPUs" else None)
            if value is not None:
                out[res] = int(value)
        return out

    def _resource_table(self, result: JobResult) -> dict[str, Any]:
        """The ``Partitionable Resources`` keys of a terminated or evicted event."""
        alloc = self._allocation()
        table: dict[str, Any] = {}
        if "Cpus" in alloc:
            table["Cpus"] = alloc["Cpus"]
        req = _number(self.job_ad, "RequestCpus")
        if req is not None:
            table["RequestCpus"] = int(req)
        table["DiskUsage"] = result.disk_usage
        req = _number(self.job_ad, "RequestDisk")
        if req is not None:
            table["RequestDisk"] = int(req)
        if "Disk" in alloc:
            table["Disk"] = alloc["Disk"]
        if "GPUs" in alloc:
            table["GPUs"] = alloc["GPUs"]
        table["MemoryUsage"] = (result.resident_set_size + 1023) // 1024
        req = _number(self.job_ad, "RequestMemory")
        if req is not None:
            table["RequestMemory"] = int(req)
        if "Memory" in alloc:
            table["Memory"] = alloc["Memory"]
        table["TimeExecuteUsage"] = int(result.wall_clock_time)
        table["TimeSlotBusyUsage"] = int(result.finish_time - result.activation_time)
        return table

    # ---------------------------------------------------------------- running

    async def run(self) -> JobResult:
        """Run the job to its end; return how it ended (never raises for the job's own failures).

        If the sandbox cannot be made (a problem of this machine, not of the job) the
        outcome is ``"vacated"``, without a start, and :attr:`JobResult.message` says why.
        If the task running this is cancelled, the job is killed and its sandbox removed.

        :raises RuntimeError: if called twice.
        """
        if self.state != "idle":
            raise RuntimeError("this starter has already run its job")
        self._loop = asyncio.get_running_loop()
        self.state = "setup"
        result = JobResult(outcome=VACATED, activation_time=time.time())
        for attr in ("RemoteWallClockTime", "CumulativeRemoteUserCpu", "CumulativeRemoteSysCpu", "BytesSent",
                     "BytesRecvd", "TotalSuspensions", "CumulativeSuspensionTime"):
            value = _number(self.job_ad, attr)
            if value is not None:
                result._prior[attr] = value
        try:
            try:
                await self._run(result)
            except _Hold as hold:
                result.outcome = HELD
                result.hold_reason, result.hold_reason_code, result.hold_reason_subcode = (
                    hold.reason, hold.code, hold.subcode)
        finally:
            if self.pid is not None and not self._reaped:  # cancelled: leave nothing running
                self._hard_kill()
                try:
                    os.waitpid(self.pid, 0)
                except ChildProcessError:
                    pass
                self._reaped = True
            self._kill_family()
            if self._kill_timer is not None:
                self._kill_timer.cancel()
            if self.sandbox and not self.keep_sandbox:
                await asyncio.to_thread(shutil.rmtree, self.sandbox, True)
            self.state = "done"
        result.finish_time = time.time()
        if result.outcome == HELD:
            self._emit(JobEventType.JOB_HELD, HoldReason=result.hold_reason, HoldReasonCode=result.hold_reason_code,
                       HoldReasonSubCode=result.hold_reason_subcode)
        elif result.outcome in (EXITED, SIGNALED):
            self._emit(JobEventType.JOB_TERMINATED, **self._terminated_fields(result))
        elif result.start_time is not None:
            self._emit(JobEventType.JOB_EVICTED, **self._evicted_fields(result))
        result.events = list(self._events)
        await self._flush()
        self._result = result
        self._done.set()
        if self._callback_errors:
            raise self._callback_errors[0]
        return result

    def _error_from(self, text: str) -> str:
        return f"Error from {self.slot_name}: {text}"

    def _transfer_hold(self, failure: TransferFailure) -> _Hold:
        """HTCondor's wording of a transfer failure (the shadow's ``improveReasonAttributes``)."""
        ep = f"execution point {self.slot_name}" if self.slot_name else "the execution point"
        ap = self.submit_host
        text = f"Transfer {failure.direction} files failure at "
        if failure.at_execution_point:
            text += ep
            if not failure.protocol:
                if failure.direction == "input":
                    text += f" while receiving files from access point {ap}"
                else:
                    text += f" while sending files to access point {ap}"
        elif failure.direction == "input":
            text += f"access point {ap} while sending files to {ep}"
        else:
            text += f"access point {ap} while receiving files from {ep}"
        if failure.protocol:
            text += f" using protocol {failure.protocol}"
        detail = failure.detail.split("|Error: ", 1)[-1]
        text += f". Details: {detail}"
        code = HoldCode.TransferInputError if failure.direction == "input" else HoldCode.TransferOutputError
        subcode = failure.errno << 8 if failure.protocol else failure.errno
        return _Hold(text, code, subcode)

    def _make_sandbox(self) -> str:
        base = f"dir_{os.getpid()}"
        n = 0
        while True:
            path = os.path.join(self.execute_dir, base if n == 0 else f"{base}_{n}")
            try:
                os.mkdir(path, 0o700)
                return path
            except FileExistsError:
                n += 1

    def _write_ads(self, sandbox: str) -> None:
        with open(os.path.join(sandbox, JOB_AD_FILENAME), "w") as f:
            f.write(self.job_ad.printOld())
        with open(os.path.join(sandbox, MACHINE_AD_FILENAME), "w") as f:
            if self.machine_ad is not None:
                f.write(self.machine_ad.printOld())

    def _open_std(self, path: str, output: bool, phrase: str) -> int:
        try:
            if output:
                return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
            return os.open(path, os.O_RDONLY)
        except OSError as e:
            code = HoldCode.UnableToOpenOutput if output else HoldCode.UnableToOpenInput
            raise _Hold(self._error_from(f"Failed to open '{path}' as {phrase}: {os.strerror(e.errno)} "
                                         f"(errno {e.errno})"), code, e.errno) from e

    async def _run(self, result: JobResult) -> None:
        ad = self.job_ad
        iwd = _string(ad, "Iwd") or os.getcwd()
        try:  # the shadow's chdir() to Iwd, before anything else
            os.stat(iwd)
            if not os.path.isdir(iwd):
                raise OSError(errno_mod.ENOTDIR, os.strerror(errno_mod.ENOTDIR))
            if not os.access(iwd, os.X_OK):
                raise OSError(errno_mod.EACCES, os.strerror(errno_mod.EACCES))
        except OSError as e:
            raise _Hold(f"Cannot access initial working directory {iwd}: {os.strerror(e.errno)}",
                        HoldCode.IwdError, e.errno) from e

        try:
            sandbox = self._make_sandbox()
        except OSError as e:
            result.message = f"cannot create the job's sandbox under {self.execute_dir}: {e.strerror}"
            return
        self.sandbox = result.sandbox = sandbox
        self._write_ads(sandbox)

        stf = (_string(ad, "ShouldTransferFiles") or "NO").upper()
        transfer = stf == "YES" or (stf == "IF_NEEDED" and self.machine_ad is not None
                                    and _string(self.machine_ad, "FileSystemDomain")
                                    != _string(ad, "FileSystemDomain", _string(self.machine_ad, "FileSystemDomain")))
        job_iwd = sandbox if transfer else iwd
        cmd = _string(ad, "Cmd") or ""
        transfer_exe = transfer and _bool(ad, "TransferExecutable", True) and bool(cmd)
        std_in = _string(ad, "In") or NULL_FILE
        std_out = _string(ad, "Out") or NULL_FILE
        std_err = _string(ad, "Err") or NULL_FILE

        # ---- input
        if transfer:
            entries = split_file_list(_string(ad, "TransferInput"))
            if std_in != NULL_FILE and _bool(ad, "TransferIn", True):
                entries.insert(0, std_in)
                std_in = os.path.basename(std_in)
            result.transfer_input_start = time.time()
            try:
                stats = await asyncio.to_thread(transfer_input, entries, iwd, sandbox,
                                                executable=cmd if transfer_exe else None)
            except TransferFailure as failure:
                raise self._transfer_hold(failure) from failure
            result.transfer_input_end = time.time()
            result.bytes_received, result.files_received = stats.bytes, stats.files
        exe = os.path.join(sandbox, os.path.basename(cmd)) if transfer_exe else (
            cmd if os.path.isabs(cmd) else os.path.join(job_iwd, cmd))
        if self._request is not None:
            self._finish_request(result)
            return

        # ---- command line and environment
        try:
            args = job_arguments(ad)
            env = job_environment(ad, scratch_dir=sandbox, slot_name=self.slot_name, job_iwd=job_iwd,
                                  starter_environment=self.starter_environment, machine_ad=self.machine_ad,
                                  inherit=dict(os.environ) if self.inherit_environment else None)
        except ArgsError as e:
            raise _Hold(self._error_from(f"Failed to read the job's arguments or environment: {e}"),
                        HoldCode.FailedToCreateProcess, 0) from e

        # ---- standard files
        def place(name: str, attr: str, stream_attr: str) -> tuple[str, str | None]:
            """(path the job writes, path to copy back to or None)."""
            if name == NULL_FILE:
                return NULL_FILE, None
            if transfer and _bool(ad, attr, True) and not _bool(ad, stream_attr, False):
                dest = name if os.path.isabs(name) else os.path.join(iwd, name)
                return os.path.join(sandbox, STDOUT_NAME if attr == "TransferOut" else STDERR_NAME), dest
            base = iwd if _bool(ad, stream_attr, False) else job_iwd
            return (name if os.path.isabs(name) else os.path.join(base, name)), None

        out_path, out_dest = place(std_out, "TransferOut", "StreamOut")
        err_path, err_dest = place(std_err, "TransferErr", "StreamErr")
        if out_dest is not None and err_dest == out_dest:
            err_path, err_dest = out_path, None  # one file for both, copied back once
        in_path = std_in if os.path.isabs(std_in) else os.path.join(job_iwd, std_in)
        fds: list[int] = []
        try:
            fds.append(self._open_std(in_path, False, "standard input"))
            fds.append(self._open_std(out_path, True, "standard output"))
            if err_path == out_path and out_path != NULL_FILE:
                fds.append(os.dup(fds[1]))
            else:
                fds.append(self._open_std(err_path, True, "standard error"))
            before = snapshot(sandbox) if transfer else {}

            # ---- start
            argv = [exe] + args
            try:
                proc = subprocess.Popen(argv, executable=exe, cwd=job_iwd, env=env, stdin=fds[0], stdout=fds[1],
                                        stderr=fds[2], start_new_session=True, close_fds=True)
            except OSError as e:
                err = e.errno or 0
                detail = f"(errno={err}: '{os.strerror(err)}')"
                if e.filename == job_iwd and job_iwd != exe:
                    detail = f"Cannot access initial working directory \"{job_iwd}\" {detail}"
                text = f"Failed to execute '{exe}'"
                if args:
                    text += " with arguments " + arguments_for_display(args)
                raise _Hold(self._error_from(f"{text}: {detail}"), HoldCode.FailedToCreateProcess, err) from e
        finally:
            for fd in fds:
                os.close(fd)

        self.pid = proc.pid
        self._start_time = result.start_time = time.time()
        self.state = "running"
        self._take_sample(_family_usage(proc.pid))  # at once: a short job may be gone at the next
        props = {"CondorScratchDir": sandbox, **self._allocation()}
        self._emit(JobEventType.EXECUTE, ExecuteHost=self.execute_host, SlotName=self.slot_name, ExecuteProps=props)
        if self._request is not None:  # a vacate that came while starting
            request, self._request = self._request, None
            if request[0] == "kill":
                self.kill()
            else:
                self._stop(request, None, _eval(ad, "KillSig"))
        sampler = asyncio.create_task(self._sample())
        try:
            status, rusage = await self._wait_exit(proc)
        finally:
            sampler.cancel()
            try:
                await sampler
            except asyncio.CancelledError:
                pass
        result.exit_time = time.time()
        self.state = "exited"
        self._end_suspension()
        if self._kill_timer is not None:
            self._kill_timer.cancel()
            self._kill_timer = None
        self._kill_family()

        result.wall_clock_time = result.exit_time - result.start_time
        result.user_cpu, result.sys_cpu = rusage.ru_utime, rusage.ru_stime
        result.suspension_time = self._suspension_time
        result.total_suspensions = self._suspensions
        # rusage's ru_maxrss is no help: it keeps the high-water mark of this (forked) process
        # from before the exec, so only the samples count.
        result.resident_set_size = self._peak_rss
        result.image_size = max(self._peak_vsize, self._peak_rss)
        if self._grew(result.image_size, result.resident_set_size):
            self._image_size_event(result.image_size, result.resident_set_size)
        if os.WIFSIGNALED(status):
            result.exit_signal = os.WTERMSIG(status)
            result.core_dumped = bool(os.WCOREDUMP(status))
            result.outcome = SIGNALED
        else:
            result.exit_code = os.WEXITSTATUS(status)
            result.outcome = EXITED
        result.disk_usage = await asyncio.to_thread(tree_size_kb, sandbox)

        if self._request is not None:
            self._finish_request(result)
            return

        # ---- output
        if transfer:
            when = (_string(ad, "WhenToTransferOutput") or "ON_EXIT").upper()
            # ON_SUCCESS: output only when the exit code is JobSuccessExitCode (success_exit_code).
            success = result.exit_code is not None and result.exit_code == _number(ad, "JobSuccessExitCode", 0)
            send_files = when != "ON_SUCCESS" or success
            listed = _string(ad, "TransferOutput")
            entries = split_file_list(listed) if listed is not None else None
            result.transfer_output_start = time.time()
            stats = TransferStats()
            try:
                if send_files:
                    stats.add(await asyncio.to_thread(
                        transfer_output, entries, iwd, sandbox, before=before,
                        remaps=parse_remaps(_string(ad, "TransferOutputRemaps")),
                        preserve_relative=_bool(ad, "PreserveRelativePaths", False),
                        exclude=(os.path.basename(cmd),) if transfer_exe else ()))
                for src, dest in ((out_path, out_dest), (err_path, err_dest)):
                    if dest is not None:
                        stats.add(await asyncio.to_thread(copy_back, src, dest))
            except TransferFailure as failure:
                result.bytes_sent, result.files_sent = stats.bytes, stats.files
                raise self._transfer_hold(failure) from failure
            result.transfer_output_end = time.time()
            result.bytes_sent, result.files_sent = stats.bytes, stats.files

    def _finish_request(self, result: JobResult) -> None:
        kind, reason, code, subcode = self._request
        if kind == "hold":
            raise _Hold(reason, code, subcode)
        result.outcome = VACATED

    async def _wait_exit(self, proc: subprocess.Popen):
        """Wait for the job's process without blocking the loop; (wait status, rusage)."""
        pid = proc.pid
        try:
            pidfd = os.pidfd_open(pid)
        except (AttributeError, OSError):
            pidfd = None
        if pidfd is not None:
            loop = asyncio.get_running_loop()
            ready = loop.create_future()

            def readable() -> None:
                if not ready.done():
                    ready.set_result(None)

            loop.add_reader(pidfd, readable)
            try:
                await ready
            finally:
                loop.remove_reader(pidfd)
                os.close(pidfd)
            _, status, rusage = os.wait4(pid, 0)
        else:
            while True:
                got, status, rusage = os.wait4(pid, os.WNOHANG)
                if got:
                    break
                await asyncio.sleep(0.02)
        self._reaped = True
        # Popen must not wait for (or warn about) a child reaped here.
        proc.returncode = os.waitstatus_to_exitcode(status)
        return status, rusage

    def _kill_family(self) -> None:
        """Kill what the job left running in its session (HTCondor cleans up the whole family)."""
        if self.pid is None:
            return
        try:
            # While any process of the job's group lives, its id cannot be reused, and an empty
            # group's id is only reused after the whole pid space wraps: this names no stranger.
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def _grew(self, size: int, rss: int) -> bool:
        """Whether memory use has grown since the last image-size event."""
        return size > self._reported_size or rss > self._reported_rss

    def _image_size_event(self, size: int, rss: int) -> None:
        self._reported_size, self._reported_rss = size, rss
        self._emit(JobEventType.IMAGE_SIZE, Size=size, MemoryUsage=(rss + 1023) // 1024, ResidentSetSize=rss)

    def _take_sample(self, live: tuple) -> None:
        if live[2]:
            self._live = live
            self._peak_vsize = max(self._peak_vsize, live[0])
            self._peak_rss = max(self._peak_rss, live[1])

    async def _sample(self) -> None:
        """Sample the job's memory now and then; emit image-size events at update times."""
        next_update = time.monotonic() + self.initial_update_interval
        while True:
            if self.pid is not None and not self._reaped:
                live = await asyncio.to_thread(_family_usage, self.pid)
                if not self._reaped:
                    self._take_sample(live)
            if time.monotonic() >= next_update:
                size = max(self._peak_vsize, self._peak_rss)
                if self._grew(size, self._peak_rss):
                    self._image_size_event(size, self._peak_rss)
                next_update = time.monotonic() + self.update_interval
            await asyncio.sleep(min(self.sample_interval, max(0.0, next_update - time.monotonic())) or 0.001)

    # ---------------------------------------------------------------- event bodies

    def _usage_common(self, result: JobResult) -> dict[str, Any]:
        run = (int(result.user_cpu), int(result.sys_cpu))
        prior = result._prior
        total = (int(prior.get("CumulativeRemoteUserCpu", 0)) + run[0],
                 int(prior.get("CumulativeRemoteSysCpu", 0)) + run[1])
        return {"RunRemoteUsage": run, "RunLocalUsage": (0, 0), "TotalRemoteUsage": total,
                "TotalLocalUsage": (0, 0), "SentBytes": float(result.bytes_sent),
                "ReceivedBytes": float(result.bytes_received),
                "TotalSentBytes": float(prior.get("BytesSent", 0.0)) + result.bytes_sent,
                "TotalReceivedBytes": float(prior.get("BytesRecvd", 0.0)) + result.bytes_received}

    def _terminated_fields(self, result: JobResult) -> dict[str, Any]:
        fields: dict[str, Any] = {"TerminatedNormally": result.outcome == EXITED}
        if result.outcome == EXITED:
            fields["ReturnValue"] = result.exit_code
        else:
            fields["TerminatedBySignal"] = result.exit_signal
        fields.update(self._usage_common(result))
        fields.update(self._resource_table(result))
        return fields

    def _evicted_fields(self, result: JobResult) -> dict[str, Any]:
        common = self._usage_common(result)
        fields: dict[str, Any] = {"Checkpointed": False, "TerminatedAndRequeued": False,
                                  "RunRemoteUsage": common["RunRemoteUsage"],
                                  "RunLocalUsage": common["RunLocalUsage"],
                                  "SentBytes": common["SentBytes"], "ReceivedBytes": common["ReceivedBytes"]}
        fields.update(self._resource_table(result))
        return fields
