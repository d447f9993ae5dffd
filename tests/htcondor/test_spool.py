"""Spooled jobs: submit(spool=True), spool(), retrieve()."""

from __future__ import annotations

import os
import time

import pytest

import htcondor
from htcondor.personal import PersonalPool

TIMEOUT = 15


@pytest.fixture(scope="module")
def schedd(tmp_path_factory):
    pool = PersonalPool(local_dir=tmp_path_factory.mktemp("spool"), use_config=False)
    with pool:
        yield pool.schedd


def wait(predicate, what: str):
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_spooled_job_runs_from_its_copy_and_its_outputs_come_back(schedd, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    (work / "in.txt").write_text("input data\n")
    script = work / "job.sh"
    script.write_text("#!/bin/sh\ncat in.txt > result.txt; echo to-stdout; echo to-stderr >&2\n")
    script.chmod(0o755)
    sub = htcondor.Submit({"executable": str(script), "transfer_input_files": "in.txt", "initialdir": str(work),
                           "output": str(work / "job.out"), "error": str(work / "job.err"),
                           "should_transfer_files": "YES"})
    result = schedd.submit(sub, spool=True)
    (held,) = schedd.query(f"ClusterId == {result.cluster()}")
    assert (held["JobStatus"], held["HoldReasonCode"], held["HoldReason"]) == (5, 16, "Spooling input data files")
    assert held["Out"] == "_condor_stdout" and "_condor_stderr=" in held["TransferOutputRemaps"]
    # nothing runs until the input is spooled; then the job may change its inputs' originals freely
    schedd.spool(list(sub.jobs(clusterid=result.cluster())))
    (script.parent / "in.txt").write_text("changed after spooling\n")
    done = wait(lambda: schedd.query(f"ClusterId == {result.cluster()} && JobStatus == 4"), "completion")[0]
    assert done["SUBMIT_Iwd"] == str(work) and done["Iwd"] != str(work)  # it ran from the spool
    assert not (work / "result.txt").exists()
    schedd.retrieve(f"ClusterId == {result.cluster()}")
    assert (work / "result.txt").read_text() == "input data\n"
    assert (work / "job.out").read_text() == "to-stdout\n" and (work / "job.err").read_text() == "to-stderr\n"
    (after,) = schedd.query(f"ClusterId == {result.cluster()}", ["StageOutFinish", "JobStatus"])
    assert after["JobStatus"] == 4 and after["StageOutFinish"] > 0  # kept until removed (or ten days)
    schedd.act(htcondor.JobAction.Remove, f"ClusterId == {result.cluster()}")
    wait(lambda: not schedd.query(f"ClusterId == {result.cluster()}"), "the job to leave")
    assert not os.path.exists(done["Iwd"])  # its spool directory went with it


def test_spool_refuses_a_job_not_waiting_for_input(schedd, tmp_path):
    sub = htcondor.Submit({"executable": "/bin/true", "hold": "true"})
    result = schedd.submit(sub)
    with pytest.raises(htcondor.HTCondorIOError, match="not waiting for its input"):
        schedd.spool(list(sub.jobs(clusterid=result.cluster())))
    schedd.act(htcondor.JobAction.Remove, f"ClusterId == {result.cluster()}")


def test_spool_reports_an_unreadable_input(schedd, tmp_path):
    sub = htcondor.Submit({"executable": "/bin/true", "transfer_input_files": str(tmp_path / "missing"),
                           "should_transfer_files": "YES"})
    result = schedd.submit(sub, spool=True)
    with pytest.raises(htcondor.HTCondorIOError, match="missing"):
        schedd.spool(list(sub.jobs(clusterid=result.cluster())))
    (ad,) = schedd.query(f"ClusterId == {result.cluster()}", ["JobStatus"])
    assert ad["JobStatus"] == 5  # still waiting, nothing half-done was released
    schedd.act(htcondor.JobAction.Remove, f"ClusterId == {result.cluster()}")
