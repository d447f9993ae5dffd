"""The scheduler and local universes: jobs the schedd runs itself, without the negotiator."""

from __future__ import annotations

import os
import time

import pytest

import htcondor
from htcondor import JobEventType as ET
from htcondor.personal import PersonalPool

TIMEOUT = 15


@pytest.fixture(scope="module")
def pool(tmp_path_factory):
    # no negotiator and no startd: only the schedd can run these jobs
    p = PersonalPool(local_dir=tmp_path_factory.mktemp("local"), use_config=False,
                     config={"DAEMON_LIST": "MASTER COLLECTOR SCHEDD"})
    with p:
        yield p


def wait(predicate, what: str):
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.parametrize("universe, number", [("scheduler", 7), ("local", 12)])
def test_the_schedd_runs_the_job_itself(pool, tmp_path, universe, number):
    out, log = tmp_path / "out", tmp_path / "log"
    cluster = pool.schedd.submit(htcondor.Submit({
        "universe": universe, "executable": "/bin/sh", "arguments": '"-c \'echo ran; exit 4\'"',
        "output": str(out), "log": str(log)})).cluster()
    (ad,) = wait(lambda: list(pool.schedd.history(f"ClusterId == {cluster}", [], match=1)), "the job's history")
    assert ad["JobUniverse"] == number and ad["JobStatus"] == 4 and ad["ExitCode"] == 4
    assert ad["NumJobStarts"] == 1 and "RemoteHost" not in ad
    assert out.read_text() == "ran\n"
    types = [e.type for e in htcondor.JobEventLog(str(log)).events(stop_after=0)]
    assert types[0] == ET.SUBMIT and ET.EXECUTE in types and types[-1] == ET.JOB_TERMINATED


def test_a_running_local_job_can_be_held_and_removed(pool, tmp_path):
    pidfile, log = tmp_path / "pid", tmp_path / "log"
    cluster = pool.schedd.submit(htcondor.Submit({
        "universe": "local", "executable": "/bin/sh", "arguments": f'"-c \'echo $$ > {pidfile}; exec sleep 60\'"',
        "log": str(log)})).cluster()
    wait(lambda: pool.schedd.query(f"ClusterId == {cluster} && JobStatus == 2", ["JobStatus"]), "running")
    pid = int(wait(lambda: pidfile.exists() and pidfile.read_text().strip(), "the job's pid"))
    pool.schedd.act(htcondor.JobAction.Hold, f"{cluster}.0", "stop for now")
    wait(lambda: pool.schedd.query(f"ClusterId == {cluster} && JobStatus == 5", ["JobStatus"]), "held")

    def gone() -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] == "Z"

    wait(gone, "the held job's process to end")
    pool.schedd.act(htcondor.JobAction.Remove, f"{cluster}.0")
    (ad,) = wait(lambda: list(pool.schedd.history(f"ClusterId == {cluster}", ["JobStatus"], match=1)), "history")
    assert ad["JobStatus"] == 3
    types = [e.type for e in htcondor.JobEventLog(str(log)).events(stop_after=0)]
    assert types[-2:] == [ET.JOB_HELD, ET.JOB_ABORTED]


def test_each_run_of_a_job_is_in_the_epoch_history(pool, tmp_path):
    # max_retries makes three runs of one job: three EPOCH records, newest first
    cluster = pool.schedd.submit(htcondor.Submit({
        "universe": "local", "executable": "/bin/sh", "arguments": '"-c \'exit 1\'"', "max_retries": "2"})).cluster()
    wait(lambda: list(pool.schedd.history(f"ClusterId == {cluster}", ["JobStatus"], match=1)), "the job to finish")
    epochs = list(pool.schedd.jobEpochHistory(f"ClusterId == {cluster}", ["NumShadowStarts", "JobEpochWriteDate"]))
    assert [ad["NumShadowStarts"] for ad in epochs] == [3, 2, 1]
    assert all(ad["JobEpochWriteDate"] > 0 for ad in epochs)
    assert len(list(pool.schedd.jobEpochHistory(f"ClusterId == {cluster}", [], match=1))) == 1
    assert list(pool.schedd.jobEpochHistory(f"ClusterId == {cluster}", [], ad_type="INPUT")) == []
