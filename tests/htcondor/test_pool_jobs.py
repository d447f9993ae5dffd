"""Jobs running in a personal pool, end to end: submit, run, events, outputs, history, policies.

One pool serves the whole module (jobs are told apart by their cluster id
and each test has its own user log).  Tests run one after the other and
leave no job behind, so every test starts with an empty queue and free
slots.  The pool claims 8 CPUs, so jobs that sleep never wait for a slot.
"""

from __future__ import annotations

import os
import re
import signal
import time
import warnings

import pytest
from daemon_process import private_pool, wait_for

import htcondor
from htcondor import JobEventType as ET
from htcondor.personal import PersonalPool

CPUS = 8
TIMEOUT = 15.0


@pytest.fixture(scope="module")
def pool(tmp_path_factory):
    with private_pool(tmp_path_factory.mktemp("jobs") / "pool", {"NUM_CPUS": CPUS, "PERIODIC_EXPR_INTERVAL": 1}) as p:
        yield p


@pytest.fixture
def schedd(pool):
    s = pool.schedd
    yield s
    # Leave the pool as the next test expects it: no job in the queue, every slot free.
    if s.query(projection=["ClusterId"]):
        s.act(htcondor.JobAction.Remove, "true", "test cleanup")
        wait_for(lambda: not s.query(projection=["ClusterId"]), TIMEOUT, "the queue to empty")
    wait_for(lambda: _free_cpus(pool) == CPUS, TIMEOUT, "every slot to be free")


def _free_cpus(pool) -> int:
    ads = pool.collector.query(htcondor.AdTypes.Startd, "PartitionableSlot =?= true", ["Cpus"])
    return sum(ad["Cpus"] for ad in ads)


# -- helpers ------------------------------------------------------------------------------------------


def alive(pid: int) -> bool:
    """Whether the process exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def proc_state(pid: int) -> str:
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(") ", 1)[1][0]


def read_pid(path) -> int:
    """The pid a job wrote to ``path`` (waits for the job to write it)."""
    text = wait_for(lambda: path.exists() and path.read_text().strip(), TIMEOUT, f"{path.name} to be written")
    return int(text)


def sleeper(tmp_path, name="job", seconds=60, **extra) -> htcondor.Submit:
    """A job that writes its pid to ``<name>.pid`` and sleeps (the pid is the sleep's: the shell execs it)."""
    pidfile = tmp_path / f"{name}.pid"
    return htcondor.Submit({
        "executable": "/bin/sh",
        "arguments": f"\"-c 'echo $$ > {pidfile}; exec sleep {seconds}'\"",
        "log": str(tmp_path / f"{name}.log"),
        **extra,
    })


def job_ad(schedd, cluster: int, proc: int = 0, constraint: str = "true", projection=()):
    ads = schedd.query(f"ClusterId == {cluster} && ProcId == {proc} && ({constraint})", list(projection))
    return ads[0] if ads else None


def wait_job(schedd, cluster: int, constraint: str, proc: int = 0, what: str | None = None):
    """The job's ad once it satisfies ``constraint``."""
    return wait_for(lambda: job_ad(schedd, cluster, proc, constraint), TIMEOUT,
                    what or f"job {cluster}.{proc} to satisfy {constraint}")


def wait_history(schedd, cluster: int, count: int = 1, projection=()):
    """The history ads of ``cluster``, once ``count`` of its jobs are there."""
    def ready():
        ads = list(schedd.history(f"ClusterId == {cluster}", list(projection) + ["ProcId"] if projection else []))
        return sorted(ads, key=lambda ad: ad["ProcId"]) if len(ads) >= count else None
    return wait_for(ready, TIMEOUT, f"{count} job(s) of cluster {cluster} in the history")


def read_events(log, until, timeout: float = TIMEOUT) -> list:
    """The events of ``log`` (a JobEventLog followed with ``events(stop_after=...)``) until ``until(events)``."""
    jel = htcondor.JobEventLog(str(log))
    events: list = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            for event in jel.events(stop_after=1):
                events.append(event)
                if until(events):
                    return events
        raise AssertionError(f"timed out waiting for events in {log}; got {[(e.type, e.proc) for e in events]}")
    finally:
        jel.close()


def count_of(etype, n: int = 1, proc: int | None = None):
    """An ``until`` for :func:`read_events`: ``n`` events of ``etype`` (of one proc, or any)."""
    return lambda events: sum(1 for e in events if e.type == etype and (proc is None or e.proc == proc)) >= n


def types_of(events, proc: int = 0) -> list:
    """The event types of one proc, image-size updates left out (how many there are depends on timing)."""
    return [e.type for e in events if e.proc == proc and e.type != ET.IMAGE_SIZE]


def slot_ads(pool, constraint="true"):
    return pool.collector.query(htcondor.AdTypes.Startd, constraint)


# -- 1. submitting, running, outputs, history ---------------------------------------------------------


def test_modern_submit_runs_jobs_to_completion(schedd, tmp_path):
    log = tmp_path / "job.log"
    sub = htcondor.Submit({
        "executable": "/bin/sh",
        "arguments": "\"-c 'echo hello from $0 $1; echo to stderr >&2' proc $(Process)\"",
        "output": str(tmp_path / "out.$(Process)"),
        "error": str(tmp_path / "err.$(Process)"),
        "log": str(log),
    })
    result = schedd.submit(sub, count=2)
    assert isinstance(result, htcondor.SubmitResult)
    assert (result.first_proc(), result.num_procs()) == (0, 2)
    cluster = result.cluster()
    assert result.clusterad()["ClusterId"] == cluster

    events = read_events(log, count_of(ET.JOB_TERMINATED, 2))
    for proc in (0, 1):
        assert types_of(events, proc) == [ET.SUBMIT, ET.EXECUTE, ET.JOB_TERMINATED]
        term = next(e for e in events if e.proc == proc and e.type == ET.JOB_TERMINATED)
        assert term.cluster == cluster
        assert term["TerminatedNormally"] is True and term["ReturnValue"] == 0
        execute = next(e for e in events if e.proc == proc and e.type == ET.EXECUTE)
        assert re.fullmatch(r"slot1_\d+@.+", execute["SlotName"])
        assert (tmp_path / f"out.{proc}").read_text() == f"hello from proc {proc}\n"
        assert (tmp_path / f"err.{proc}").read_text() == "to stderr\n"

    history = wait_history(schedd, cluster, 2)
    assert [ad["ProcId"] for ad in history] == [0, 1]
    for ad in history:
        assert ad["JobStatus"] == 4 and ad["LastJobStatus"] == 2
        assert ad["ExitCode"] == 0 and ad["ExitBySignal"] is False
        assert ad["NumJobStarts"] == 1 and ad["NumJobCompletions"] == 1
        assert ad["QDate"] <= ad["JobStartDate"] <= ad["JobCurrentStartDate"] <= ad["CompletionDate"]
        assert ad["CompletionDate"] <= time.time() + 1
        assert ad["EnteredCurrentStatus"] == ad["CompletionDate"]
        assert re.fullmatch(r"slot1_\d+@.+", ad["LastRemoteHost"])
        assert "RemoteHost" not in ad
        assert isinstance(ad["RemoteWallClockTime"], float) and 0 <= ad["RemoteWallClockTime"] < 10
    assert schedd.query(f"ClusterId == {cluster}") == []


def test_seed_transaction_api_runs_jobs(schedd, tmp_path):
    log = tmp_path / "txn.log"
    sub = htcondor.Submit({"executable": "/bin/echo", "arguments": "seed $(Process)",
                           "output": str(tmp_path / "seed.$(Process)"), "log": str(log)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # Submit.queue is deprecated, as in HTCondor
        with schedd.transaction() as txn:
            cluster = sub.queue(txn, count=2)
    assert isinstance(cluster, int)
    read_events(log, count_of(ET.JOB_TERMINATED, 2))
    assert [(tmp_path / f"seed.{p}").read_text() for p in (0, 1)] == ["seed 0\n", "seed 1\n"]
    history = wait_history(schedd, cluster, 2, ["ProcId", "JobStatus", "ExitCode"])
    assert [(ad["ProcId"], ad["JobStatus"], ad["ExitCode"]) for ad in history] == [(0, 4, 0), (1, 4, 0)]


def test_seed_raw_ad_submit_runs_the_job(schedd, tmp_path):
    log = tmp_path / "raw.log"
    out = tmp_path / "raw.out"
    cluster = schedd.submit({"Cmd": "/bin/echo", "Arguments": "raw ad", "Iwd": str(tmp_path), "Out": str(out),
                             "UserLog": str(log)})
    assert type(cluster) is int
    events = read_events(log, count_of(ET.JOB_TERMINATED))
    assert types_of(events) == [ET.SUBMIT, ET.EXECUTE, ET.JOB_TERMINATED]
    assert out.read_text() == "raw ad\n"
    (ad,) = wait_history(schedd, cluster)
    assert ad["JobStatus"] == 4 and ad["ExitCode"] == 0 and ad["Cmd"] == "/bin/echo"


def test_hold_release_and_remove_of_a_running_job(schedd, tmp_path):
    pidfile = tmp_path / "job.pid"
    cluster = schedd.submit(sleeper(tmp_path)).cluster()
    wait_job(schedd, cluster, "JobStatus == 2 && NumJobStarts == 1")
    pid = read_pid(pidfile)
    assert alive(pid)

    result = schedd.act(htcondor.JobAction.Hold, f"{cluster}.0", "testing hold")
    assert result["TotalSuccess"] == 1
    ad = wait_job(schedd, cluster, "JobStatus == 5")
    assert ad["HoldReasonCode"] == 1 and ad["HoldReason"].startswith("testing hold")
    wait_for(lambda: not alive(pid), TIMEOUT, "the held job's process to be killed")

    pidfile.unlink()
    schedd.act(htcondor.JobAction.Release, f"{cluster}.0")
    ad = wait_job(schedd, cluster, "JobStatus == 2 && NumJobStarts == 2")
    assert "HoldReason" not in ad and ad["LastHoldReasonCode"] == 1
    pid2 = read_pid(pidfile)
    assert pid2 != pid and alive(pid2)

    result = schedd.act(htcondor.JobAction.Remove, f"{cluster}.0", "testing remove")
    assert result["TotalSuccess"] == 1
    wait_for(lambda: not alive(pid2), TIMEOUT, "the removed job's process to be killed")
    (ad,) = wait_history(schedd, cluster)
    assert ad["JobStatus"] == 3 and ad["RemoveReason"].startswith("testing remove")
    assert ad["NumJobStarts"] == 2 and ad["LastJobStatus"] == 2
    assert schedd.query(f"ClusterId == {cluster}") == []

    events = read_events(tmp_path / "job.log", count_of(ET.JOB_ABORTED))
    assert types_of(events) == [ET.SUBMIT, ET.EXECUTE, ET.JOB_HELD, ET.JOB_RELEASED, ET.EXECUTE, ET.JOB_ABORTED]
    held = next(e for e in events if e.type == ET.JOB_HELD)
    assert held["HoldReasonCode"] == 1 and held["HoldReason"].startswith("testing hold")


# -- 2. a running job, and its slot -----------------------------------------------------------------


def test_a_running_job_and_its_slot(pool, schedd, tmp_path):
    before = int(time.time())
    cluster = schedd.submit(sleeper(tmp_path)).cluster()
    ad = wait_job(schedd, cluster, "JobStatus == 2")
    host = ad["RemoteHost"]
    assert re.fullmatch(r"slot1_\d+@.+", host)
    assert before <= ad["JobCurrentStartDate"] <= time.time() and ad["JobStartDate"] == ad["JobCurrentStartDate"]
    user = job_ad(schedd, cluster, projection=["User"])["User"]

    dslot = wait_for(lambda: slot_ads(pool, f'Name == "{host}" && Activity == "Busy"'), TIMEOUT,
                     "the dynamic slot to be Busy")[0]
    assert dslot["State"] == "Claimed" and dslot["SlotType"] == "Dynamic"
    assert dslot["JobId"] == f"{cluster}.0"
    assert dslot["RemoteOwner"] == user and dslot["RemoteUser"] == user
    assert dslot["Cpus"] == 1
    (pslot,) = slot_ads(pool, "PartitionableSlot =?= true")
    assert pslot["Name"] == "slot1@" + host.split("@", 1)[1]
    assert pslot["State"] == "Unclaimed" and pslot["SlotType"] == "Partitionable"
    assert host in pslot["ChildName"]
    assert pslot["Cpus"] == CPUS - 1 and pslot["TotalSlotCpus"] == CPUS

    schedd.act(htcondor.JobAction.Remove, f"{cluster}.0")
    wait_for(lambda: not slot_ads(pool, f'Name == "{host}"'), TIMEOUT, "the dynamic slot to go away")
    (pslot,) = wait_for(lambda: slot_ads(pool, f"PartitionableSlot =?= true && Cpus == {CPUS}"), TIMEOUT,
                        "the resources to return to the partitionable slot")
    assert pslot["State"] == "Unclaimed" and host not in pslot["ChildName"]


# -- 3. policies --------------------------------------------------------------------------------------


def test_on_exit_hold(schedd, tmp_path):
    log = tmp_path / "hold.log"
    cluster = schedd.submit(htcondor.Submit({"executable": "/bin/sh", "arguments": "\"-c 'exit 3'\"",
                                             "log": str(log), "on_exit_hold": "ExitCode == 3"})).cluster()
    ad = wait_job(schedd, cluster, "JobStatus == 5")
    assert ad["HoldReasonCode"] == 3 and ad["HoldReasonSubCode"] == 0
    assert ad["HoldReason"] == "The job attribute OnExitHold expression 'ExitCode == 3' evaluated to TRUE"
    assert ad["ExitCode"] == 3 and ad["NumJobCompletions"] == 1
    events = read_events(log, count_of(ET.JOB_HELD))
    # as HTCondor's shadow does (holdJobAndExit): held, without a terminated event
    assert types_of(events) == [ET.SUBMIT, ET.EXECUTE, ET.JOB_HELD]
    assert events[-1]["HoldReasonCode"] == 3


def test_max_retries_requeues_until_the_retries_are_used(schedd, tmp_path):
    log = tmp_path / "retry.log"
    cluster = schedd.submit(htcondor.Submit({"executable": "/bin/sh", "arguments": "\"-c 'exit 3'\"",
                                             "log": str(log), "max_retries": "2"})).cluster()
    (ad,) = wait_history(schedd, cluster)
    assert ad["JobStatus"] == 4 and ad["ExitCode"] == 3
    assert ad["NumJobCompletions"] == 3 and ad["NumJobStarts"] == 3
    events = read_events(log, count_of(ET.JOB_TERMINATED))
    assert types_of(events) == [ET.SUBMIT] + [ET.EXECUTE, ET.JOB_EVICTED] * 2 + [ET.EXECUTE, ET.JOB_TERMINATED]
    evicted = [e for e in events if e.type == ET.JOB_EVICTED]
    assert all(e["TerminatedAndRequeued"] is True and e["ReturnValue"] == 3 for e in evicted)
    assert log.read_text().count("Job terminated and was requeued") == 2


def test_on_exit_remove_false_requeues(schedd, tmp_path):
    log = tmp_path / "requeue.log"
    cluster = schedd.submit(htcondor.Submit({
        "executable": "/bin/true", "log": str(log), "on_exit_remove": "NumJobCompletions >= 2"})).cluster()
    (ad,) = wait_history(schedd, cluster)
    assert ad["JobStatus"] == 4 and ad["NumJobCompletions"] == 2 and ad["NumJobStarts"] == 2
    events = read_events(log, count_of(ET.JOB_TERMINATED))
    assert types_of(events) == [ET.SUBMIT, ET.EXECUTE, ET.JOB_EVICTED, ET.EXECUTE, ET.JOB_TERMINATED]


def test_leave_in_queue_keeps_the_completed_job(schedd, tmp_path):
    cluster = schedd.submit(htcondor.Submit({"executable": "/bin/true", "log": str(tmp_path / "l.log"),
                                             "leave_in_queue": "true"})).cluster()
    ad = wait_job(schedd, cluster, "JobStatus == 4")
    assert ad["ExitCode"] == 0 and ad["CompletionDate"] > 0
    time.sleep(0.2)  # it stays, it is not just on its way out
    assert job_ad(schedd, cluster, constraint="JobStatus == 4") is not None
    assert list(schedd.history(f"ClusterId == {cluster}", [])) == []


def test_periodic_hold_of_a_running_job(schedd, tmp_path):
    cluster = schedd.submit(sleeper(tmp_path, periodic_hold="NumJobStarts >= 1")).cluster()
    pid = read_pid(tmp_path / "job.pid")
    ad = wait_job(schedd, cluster, "JobStatus == 5")
    assert ad["HoldReasonCode"] == 3
    assert ad["HoldReason"] == "The job attribute PeriodicHold expression 'NumJobStarts >= 1' evaluated to TRUE"
    wait_for(lambda: not alive(pid), TIMEOUT, "the held job's process to be killed")


def test_periodic_remove_of_a_running_job(schedd, tmp_path):
    cluster = schedd.submit(sleeper(tmp_path, periodic_remove="NumJobStarts >= 1")).cluster()
    pid = read_pid(tmp_path / "job.pid")
    (ad,) = wait_history(schedd, cluster)
    assert ad["JobStatus"] == 3
    assert ad["RemoveReason"] == "The job attribute PeriodicRemove expression 'NumJobStarts >= 1' evaluated to TRUE"
    wait_for(lambda: not alive(pid), TIMEOUT, "the removed job's process to be killed")


def test_suspend_and_continue(pool, schedd, tmp_path):
    cluster = schedd.submit(sleeper(tmp_path)).cluster()
    wait_job(schedd, cluster, "JobStatus == 2 && NumJobStarts == 1")
    pid = read_pid(tmp_path / "job.pid")
    host = job_ad(schedd, cluster, projection=["RemoteHost"])["RemoteHost"]

    assert schedd.act(htcondor.JobAction.Suspend, f"{cluster}.0")["TotalSuccess"] == 1
    wait_job(schedd, cluster, "JobStatus == 7")
    wait_for(lambda: proc_state(pid) == "T", TIMEOUT, "the process to be stopped")
    wait_for(lambda: slot_ads(pool, f'Name == "{host}" && Activity == "Suspended"'), TIMEOUT,
             "the slot to be Suspended")

    assert schedd.act(htcondor.JobAction.Continue, f"{cluster}.0")["TotalSuccess"] == 1
    wait_job(schedd, cluster, "JobStatus == 2")
    wait_for(lambda: proc_state(pid) != "T", TIMEOUT, "the process to run again")
    wait_for(lambda: slot_ads(pool, f'Name == "{host}" && Activity == "Busy"'), TIMEOUT, "the slot to be Busy")
    ad = job_ad(schedd, cluster, projection=["TotalSuspensions"])
    assert ad["TotalSuspensions"] == 1

    events = read_events(tmp_path / "job.log", count_of(ET.JOB_UNSUSPENDED))
    assert types_of(events) == [ET.SUBMIT, ET.EXECUTE, ET.JOB_SUSPENDED, ET.JOB_UNSUSPENDED]
    # suspend/continue of a job that is not running/suspended is refused
    assert schedd.act(htcondor.JobAction.Continue, f"{cluster}.0")["TotalBadStatus"] == 1


def test_vacate_puts_the_job_back_to_idle_and_it_runs_again(schedd, tmp_path):
    pidfile = tmp_path / "job.pid"
    cluster = schedd.submit(sleeper(tmp_path)).cluster()
    wait_job(schedd, cluster, "JobStatus == 2 && NumJobStarts == 1")
    pid = read_pid(pidfile)
    pidfile.unlink()
    assert schedd.act(htcondor.JobAction.Vacate, f"{cluster}.0")["TotalSuccess"] == 1
    wait_for(lambda: not alive(pid), TIMEOUT, "the vacated job's process to end")
    ad = wait_job(schedd, cluster, "JobStatus == 2 && NumJobStarts == 2")
    assert re.fullmatch(r"slot1_\d+@.+", ad["LastRemoteHost"])
    pid2 = read_pid(pidfile)
    assert pid2 != pid and alive(pid2)
    events = read_events(tmp_path / "job.log", count_of(ET.EXECUTE, 2))
    assert types_of(events) == [ET.SUBMIT, ET.EXECUTE, ET.JOB_EVICTED, ET.EXECUTE]
    evicted = next(e for e in events if e.type == ET.JOB_EVICTED)
    assert evicted.get("TerminatedAndRequeued") is not True


# -- 4. jobs that cannot start ------------------------------------------------------------------------


def test_a_missing_executable_holds_the_job(schedd, tmp_path):
    log = tmp_path / "missing.log"
    cluster = schedd.submit(htcondor.Submit({"executable": "/nonexistent/program", "transfer_executable": "false",
                                             "log": str(log)})).cluster()
    ad = wait_job(schedd, cluster, "JobStatus == 5")
    assert ad["HoldReasonCode"] == 6 and ad["HoldReasonSubCode"] == 2  # FailedToCreateProcess, ENOENT
    assert re.fullmatch(r"Error from slot1_\d+@\S+: Failed to execute '/nonexistent/program': "
                        r"\(errno=2: 'No such file or directory'\)", ad["HoldReason"]), ad["HoldReason"]
    events = read_events(log, count_of(ET.JOB_HELD))
    assert types_of(events) == [ET.SUBMIT, ET.JOB_HELD]
    assert events[-1]["HoldReasonCode"] == 6


def test_a_missing_initial_directory_holds_the_job(schedd, tmp_path):
    missing = tmp_path / "no" / "such" / "dir"
    with pytest.raises(htcondor.HTCondorException, match="No such directory"):
        schedd.submit(htcondor.Submit({"executable": "/bin/true", "initialdir": str(missing)}))
    # condor_submit refuses such a job; an ad made by hand gets to a startd, which holds it
    log = tmp_path / "iwd.log"
    cluster = schedd.submit({"Cmd": "/bin/true", "Iwd": str(missing), "UserLog": str(log)})
    ad = wait_job(schedd, cluster, "JobStatus == 5")
    assert ad["HoldReasonCode"] == 14 and ad["HoldReasonSubCode"] == 2  # IwdError, ENOENT
    assert ad["HoldReason"] == f"Cannot access initial working directory {missing}: No such file or directory"
    assert ad["NumJobStarts"] == 0
    events = read_events(log, count_of(ET.JOB_HELD))
    assert types_of(events) == [ET.SUBMIT, ET.JOB_HELD]


# -- 5. file transfer ---------------------------------------------------------------------------------


def test_file_transfer_runs_in_a_scratch_directory(pool, schedd, tmp_path):
    (tmp_path / "input.txt").write_text("some input\n")
    script = tmp_path / "job.sh"
    script.write_text("#!/bin/sh\npwd > where.txt\ncat input.txt > copied.txt\necho $_CONDOR_SCRATCH_DIR\n")
    script.chmod(0o755)
    log = tmp_path / "xfer.log"
    cluster = schedd.submit(htcondor.Submit({
        "executable": str(script), "initialdir": str(tmp_path), "should_transfer_files": "YES",
        "when_to_transfer_output": "ON_EXIT", "transfer_input_files": "input.txt",
        "output": "out.txt", "error": "err.txt", "log": str(log)})).cluster()
    read_events(log, count_of(ET.JOB_TERMINATED))
    (ad,) = wait_history(schedd, cluster)
    assert ad["JobStatus"] == 4 and ad["ExitCode"] == 0
    where = (tmp_path / "where.txt").read_text().strip()
    execute = os.path.realpath(pool.execute_dir)
    assert os.path.dirname(os.path.realpath(where)) == execute
    assert (tmp_path / "copied.txt").read_text() == "some input\n"
    assert (tmp_path / "out.txt").read_text().strip() == where
    assert not os.path.exists(where)  # the scratch directory is cleaned up


# -- 6. environment, standard input, arguments ----------------------------------------------------------


def test_environment_getenv_input_and_arguments(schedd, tmp_path, monkeypatch):
    monkeypatch.setenv("H4_FROM_SUBMITTER", "inherited value")
    (tmp_path / "stdin.txt").write_text("line from stdin\n")
    out = tmp_path / "env.out"
    sub = htcondor.Submit({
        "executable": "/bin/sh",
        # new-style arguments: single quotes group, a doubled double quote is one
        "arguments": "\"-c 'printf \"\"[%s]\"\" \"\"$@\"\"; echo; echo $FOO/$BAR/$H4_FROM_SUBMITTER; cat' "
                     "zero 'one two' three\"",
        "environment": "\"FOO=foo BAR='b a r'\"",
        "getenv": "H4_FROM_SUBMITTER",
        "input": str(tmp_path / "stdin.txt"),
        "output": str(out),
        "log": str(tmp_path / "env.log"),
    })
    cluster = schedd.submit(sub).cluster()
    read_events(tmp_path / "env.log", count_of(ET.JOB_TERMINATED))
    assert out.read_text() == "[one two][three]\nfoo/b a r/inherited value\nline from stdin\n"
    (ad,) = wait_history(schedd, cluster)
    assert ad["ExitCode"] == 0


# -- 8. the negotiator's ads ----------------------------------------------------------------------------


def test_the_negotiator_publishes_its_ad_and_the_accounting_ads(pool, schedd, tmp_path):
    log = tmp_path / "acct.log"
    # the accountant counts whole seconds, as HTCondor's does: the job must hold its slot for one
    cluster = schedd.submit(htcondor.Submit({"executable": "/bin/sleep", "arguments": "1.2",
                                             "log": str(log)})).cluster()
    read_events(log, count_of(ET.JOB_TERMINATED))
    (ad,) = wait_history(schedd, cluster, projection=["User"])
    user = ad["User"]
    # usage is charged at the negotiator's next cycle after the job ends: wait for that ad
    accounting = wait_for(lambda: pool.collector.query(htcondor.AdTypes.Accounting,
                                                       f'Name == "{user}" && AccumulatedUsage > 0'),
                          TIMEOUT, "the submitter's Accounting ad with its usage")[0]
    assert accounting["MyType"] == "Accounting" and accounting["IsAccountingGroup"] is False
    assert accounting["AccumulatedUsage"] > 0 and accounting["Priority"] > 0
    assert accounting["BeginUsageTime"] <= accounting["LastUsageTime"] <= time.time()
    (negotiator,) = pool.collector.query(htcondor.AdTypes.Negotiator)
    assert negotiator["MyType"] == "Negotiator" and negotiator["MyAddress"].startswith("<127.0.0.1:")
    assert negotiator["LastNegotiationCycleTime0"] <= time.time()
    assert negotiator["NegotiatorInterval"] == int(pool.get_config_val("NEGOTIATOR_INTERVAL"))
    assert accounting["NegotiatorName"] == negotiator["Name"]
    located = pool.collector.locate(htcondor.DaemonTypes.Negotiator)
    assert located["MyAddress"] == negotiator["MyAddress"]


def test_process_of_a_stopped_pool_is_killed(tmp_path):
    """A job still running when the pool stops is killed with it."""
    p = PersonalPool(local_dir=tmp_path / "pool", config={"NUM_CPUS": 2}, use_config=False)
    before = os.environ.get("CONDOR_CONFIG")
    try:
        with p:
            cluster = p.schedd.submit(sleeper(tmp_path)).cluster()
            wait_job(p.schedd, cluster, "JobStatus == 2")
            pid = read_pid(tmp_path / "job.pid")
            assert alive(pid)
    finally:
        if before is not None:
            os.environ["CONDOR_CONFIG"] = before
    wait_for(lambda: not alive(pid), TIMEOUT, "the job to be killed with the pool")
    if alive(pid):  # pragma: no cover - never leave a sleeper behind
        os.kill(pid, signal.SIGKILL)
