"""The schedd daemon and its client ``htcondor.Schedd``.

Each test runs a schedd alone, as a subprocess with a private configuration
(no master, no collector unless the test starts one).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import warnings

import pytest
from daemon_process import DaemonProcess, wait_for, write_config

import classad
import htcondor
from htcondor._client import DaemonConnection
from htcondor._job_queue_log import JobQueueLog, job_key
from htcondor._peer import current_user
from htcondor._schedd import Schedd, SubmitResult
from htcondor._sinful import read_address_file

USER = current_user()




class RunningSchedd(DaemonProcess):
    """A schedd subprocess with its own configuration and LOCAL_DIR."""

    def __init__(self, root, **config):
        self.root = root
        settings = {"LOCAL_DIR": str(root), "LOG": "$(LOCAL_DIR)/log", "SPOOL": "$(LOCAL_DIR)/spool",
                    "SCHEDD_LOG": "$(LOG)/SchedLog", "SCHEDD_ADDRESS_FILE": "$(LOG)/.schedd_address",
                    "COLLECTOR_ADDRESS_FILE": "$(LOG)/.collector_address", "PERIODIC_EXPR_INTERVAL": "60",
                    "SCHEDD_INTERVAL": "60", **config}
        write_config(root / "condor_config", settings)
        super().__init__("schedd", root / "condor_config", root / "log" / ".schedd_address")
        self.start()

    def schedd(self) -> Schedd:
        return Schedd(classad.ClassAd({"MyAddress": self.address, "Name": "test"}))


@pytest.fixture
def running(tmp_path):
    daemon = RunningSchedd(tmp_path)
    try:
        yield daemon
    finally:
        daemon.stop()


@pytest.fixture
def schedd(running):
    return running.schedd()


def sleep_job(tmp_path, extra: str = "") -> htcondor.Submit:
    return htcondor.Submit(f"executable = /bin/sleep\narguments = 100\niwd = {tmp_path}\nlog = job.log\n{extra}")


# -- submitting and querying -------------------------------------------------------------------------------

def test_submit_returns_a_submit_result_and_jobs_are_queued(schedd, tmp_path):
    before = int(time.time())
    result = schedd.submit(sleep_job(tmp_path), count=3)
    assert isinstance(result, SubmitResult)
    assert (result.first_proc(), result.num_procs()) == (0, 3)
    assert result.clusterad()["Cmd"] == "/bin/sleep"
    ads = schedd.query(f"ClusterId == {result.cluster()}", ["ClusterId", "ProcId", "Owner", "JobStatus", "QDate",
                                                             "EnteredCurrentStatus", "Args"])
    assert sorted(ad["ProcId"] for ad in ads) == [0, 1, 2]
    for ad in ads:
        assert ad["ClusterId"] == result.cluster()
        assert ad["Owner"] == USER
        assert ad["JobStatus"] == 1
        assert ad["QDate"] >= before and ad["EnteredCurrentStatus"] >= before
        assert ad["Args"] == "100"
        assert "ServerTime" in ad
    full = schedd.query(f"ClusterId == {result.cluster()} && ProcId == 2")[0]
    assert full["TotalSubmitProcs"] == 3
    assert full["GlobalJobId"].split("#")[1] == f"{result.cluster()}.2"


def test_submit_ignores_the_queue_statement_and_uses_count_and_itemdata(schedd, tmp_path):
    sub = htcondor.Submit(f"executable = /bin/echo\narguments = $(Item)\niwd = {tmp_path}\nqueue 5")
    assert schedd.submit(sub).num_procs() == 1
    result = schedd.submit(sub, count=2, itemdata=iter(["a", "b"]))
    ads = schedd.query(f"ClusterId == {result.cluster()}", ["ProcId", "Args"])
    assert result.num_procs() == 4
    assert sorted((ad["ProcId"], ad["Args"]) for ad in ads) == [(0, "a"), (1, "a"), (2, "b"), (3, "b")]


def test_cluster_ids_increase(schedd, tmp_path):
    first = schedd.submit(sleep_job(tmp_path)).cluster()
    assert schedd.submit(sleep_job(tmp_path)).cluster() == first + 1


def test_submit_of_a_classad_returns_the_cluster_id(schedd, tmp_path):
    results = []
    cluster = schedd.submit(classad.ClassAd({"Cmd": "/bin/true", "Iwd": str(tmp_path)}), count=2,
                            ad_results=results)
    assert isinstance(cluster, int)
    assert [ad["ProcId"] for ad in results] == [0, 1]
    ads = schedd.query(f"ClusterId == {cluster}", ["Cmd", "Owner", "JobUniverse"])
    assert [(ad["Cmd"], ad["Owner"], ad["JobUniverse"]) for ad in ads] == [("/bin/true", USER, 5)] * 2


def test_submit_many_submits_proc_ads_over_the_cluster_ad(schedd, tmp_path):
    cluster_ad = classad.ClassAd({"Cmd": "/bin/echo", "Iwd": str(tmp_path)})
    cluster = schedd.submitMany(cluster_ad, [(classad.ClassAd({"Args": "one"}), 1),
                                             (classad.ClassAd({"Args": "two"}), 2)])
    ads = schedd.query(f"ClusterId == {cluster}", ["ProcId", "Args", "Cmd"])
    assert sorted((ad["ProcId"], ad["Args"], ad["Cmd"]) for ad in ads) == [
        (0, "one", "/bin/echo"), (1, "two", "/bin/echo"), (2, "two", "/bin/echo")]
    with pytest.raises(htcondor.HTCondorValueError):
        schedd.submitMany(cluster_ad, 5)


def test_submit_refuses_other_descriptions(schedd):
    with pytest.raises(htcondor.HTCondorValueError, match="Not a Submit object"):
        schedd.submit("executable = /bin/true")
    with pytest.raises(htcondor.HTCondorValueError, match="itemdata"):
        schedd.submit(classad.ClassAd(), itemdata=iter([]))


def test_query_constraint_projection_limit(schedd, tmp_path):
    cluster = schedd.submit(sleep_job(tmp_path), count=5).cluster()
    ads = schedd.query(classad.ExprTree(f"ClusterId == {cluster} && ProcId >= 3"), ["ProcId"])
    assert sorted(ad["ProcId"] for ad in ads) == [3, 4]
    assert set(ads[0].keys()) == {"ProcId", "ServerTime"}
    assert len(schedd.query("true", ["ProcId"], limit=2)) == 2
    assert schedd.query("false") == []
    assert schedd.query(f"ClusterId == {cluster}", ["ProcId"], callback=lambda ad: ad["ProcId"] * 10,
                        limit=1) in ([0], [10], [20], [30], [40])
    full = schedd.query(f"ClusterId == {cluster} && ProcId == 0")[0]
    assert full["Cmd"] == "/bin/sleep" and full["MyType"] == "Job"


def test_query_summary_and_cluster_ads(schedd, tmp_path):
    cluster = schedd.submit(sleep_job(tmp_path), count=3).cluster()
    summary = schedd.query("true", [], opts=htcondor.QueryOpts.SummaryOnly)
    assert len(summary) == 1 and summary[0]["Jobs"] == 3 and summary[0]["Idle"] == 3
    clusters = schedd.query("true", ["ClusterId", "ProcId"], opts=htcondor.QueryOpts.ClusterAds)
    assert [(ad["ClusterId"], "ProcId" in ad) for ad in clusters] == [(cluster, False)]


def test_bad_constraints_raise(schedd):
    with pytest.raises(htcondor.HTCondorValueError, match="Invalid constraint"):
        schedd.query("foo ==")
    with pytest.warns(FutureWarning), pytest.raises(classad.ClassAdParseError):
        schedd.xquery("foo ==")
    with pytest.raises(classad.ClassAdParseError):
        schedd.history("(((", [])
    with DaemonConnection(schedd._address) as conn, pytest.raises(htcondor.HTCondorValueError, match="constraint"):
        list(conn.stream("QUERY_JOB_ADS", {"constraint": "foo =="}))


def test_xquery_streams(schedd, tmp_path):
    schedd.submit(sleep_job(tmp_path), count=600)
    with pytest.warns(FutureWarning, match="xquery"):
        it = schedd.xquery("true", ["ProcId"])
    first = next(it)
    assert "ProcId" in first
    assert 1 + sum(1 for _ in it) == 600
    with pytest.warns(FutureWarning):
        assert len(list(schedd.xquery(requirements="ProcId < 10", attr_list=["ProcId"]))) == 10


# -- actions --------------------------------------------------------------------------------------------------

def totals(result) -> dict:
    return {k: result[k] for k in ("TotalSuccess", "TotalNotFound", "TotalBadStatus", "TotalAlreadyDone",
                                   "TotalPermissionDenied", "TotalError") if result[k]}


def test_hold_release_by_ids_and_constraint(schedd, tmp_path):
    cluster = schedd.submit(sleep_job(tmp_path), count=3).cluster()
    result = schedd.act(htcondor.JobAction.Hold, [f"{cluster}.0", f"{cluster}.9"], "testing")
    assert totals(result) == {"TotalSuccess": 1, "TotalNotFound": 1}
    assert result["TotalJobAds"] == 3 and result["TotalChangedAds"] == 1
    held = schedd.query(f"ClusterId == {cluster} && ProcId == 0")[0]
    assert held["JobStatus"] == 5 and held["LastJobStatus"] == 1
    assert held["HoldReason"] == f"testing (by user {USER})"
    assert (held["HoldReasonCode"], held["HoldReasonSubCode"]) == (1, 0)
    assert totals(schedd.act(htcondor.JobAction.Hold, f"{cluster}.0")) == {"TotalAlreadyDone": 1}
    assert totals(schedd.act(htcondor.JobAction.Release, f"ClusterId == {cluster}")) == {
        "TotalSuccess": 1, "TotalBadStatus": 2}
    released = schedd.query(f"ClusterId == {cluster} && ProcId == 0")[0]
    assert released["JobStatus"] == 1 and released["LastJobStatus"] == 5
    assert released["LastHoldReason"] == f"testing (by user {USER})" and "HoldReason" not in released
    assert released["ReleaseReason"] == f"Python-initiated action. (by user {USER})"
    schedd.act(htcondor.JobAction.Hold, f"{cluster}.0", None)
    assert schedd.query(f"ClusterId == {cluster} && ProcId == 0")[0]["HoldReason"] == \
        f"Python-initiated action (by user {USER})"
    schedd.act(htcondor.JobAction.Release, f"{cluster}.0")
    result = schedd.act(htcondor.JobAction.Hold, f"ClusterId == {cluster}", ("with a code", 42))
    assert totals(result) == {"TotalSuccess": 3}
    assert {ad["HoldReasonSubCode"] for ad in schedd.query(f"ClusterId == {cluster}", ["HoldReasonSubCode"])} == {42}


def test_actions_that_need_a_running_job(schedd, tmp_path):
    cluster = schedd.submit(sleep_job(tmp_path)).cluster()
    for action in (htcondor.JobAction.Suspend, htcondor.JobAction.Continue, htcondor.JobAction.Vacate,
                   htcondor.JobAction.VacateFast, htcondor.JobAction.RemoveX):
        assert totals(schedd.act(action, [f"{cluster}.0"])) == {"TotalBadStatus": 1}, action
    assert totals(schedd.act(htcondor.JobAction.Hold, "false")) == {}


def test_remove_moves_jobs_to_the_history(schedd, tmp_path):
    cluster = schedd.submit(sleep_job(tmp_path), count=2).cluster()
    schedd.act(htcondor.JobAction.Hold, [f"{cluster}.1"])
    result = schedd.act(htcondor.JobAction.Remove, f"ClusterId == {cluster}", "cleanup")
    assert totals(result) == {"TotalSuccess": 2}
    assert schedd.query(f"ClusterId == {cluster}") == []
    history = list(schedd.history(f"ClusterId == {cluster}", ["ProcId", "JobStatus", "RemoveReason",
                                                               "LastHoldReasonCode", "Owner"]))
    assert [ad["ProcId"] for ad in history] == [1, 0]  # newest first
    assert all(ad["JobStatus"] == 3 and ad["RemoveReason"] == f"cleanup (by user {USER})" for ad in history)
    assert history[0]["LastHoldReasonCode"] == 1
    assert [ad["ProcId"] for ad in schedd.history(None, [], match=1)] == [1]
    assert list(schedd.history(None, ["ProcId"], since=f"{cluster}.1")) == []
    text = (tmp_path / "spool" / "history").read_text()
    assert f'*** Offset = 0 ClusterId = {cluster} ProcId = 0 Owner = "{USER}" CompletionDate = -1' in text


def test_act_argument_errors(schedd):
    with pytest.raises(htcondor.HTCondorValueError, match="valid constraint"):
        schedd.act(htcondor.JobAction.Hold, "foo ==")
    with pytest.raises(htcondor.HTCondorValueError, match="tuple"):
        schedd.act(htcondor.JobAction.Hold, "true", ("a", 1, 2))


# -- edits ----------------------------------------------------------------------------------------------

def test_edit_with_the_value_forms(schedd, tmp_path):
    cluster = schedd.submit(sleep_job(tmp_path), count=2).cluster()
    assert schedd.edit([f"{cluster}.0"], "Foo", '"bar"').changes() == 1
    assert schedd.edit(f"ClusterId == {cluster}", "Expr", classad.ExprTree("RequestCpus * 2")).changes() == 2
    assert schedd.edit(f"{cluster}.1", "Number", 2.5).changes() == 1
    assert schedd.edit([f"{cluster}.1"], classad.ClassAd({"A": 1, "B": "text"})).changes() == 1
    ads = {ad["ProcId"]: ad for ad in schedd.query(f"ClusterId == {cluster}", ["ProcId", "Foo", "Expr", "Number",
                                                                                "A", "B", "RequestCpus"])}
    assert ads[0]["Foo"] == "bar" and "Foo" not in ads[1]
    assert str(ads[1]["Expr"]) == "RequestCpus * 2" and ads[1].eval("Expr") == 2 * ads[1]["RequestCpus"]
    assert ads[1]["Number"] == 2.5 and (ads[1]["A"], ads[1]["B"]) == (1, "text")
    assert str(schedd.edit(f"ClusterId == {cluster}", "Foo", "1")) == "edited 2 jobs"


def test_edit_refusals(schedd, tmp_path):
    cluster = schedd.submit(sleep_job(tmp_path)).cluster()
    for attr in ("Owner", "ClusterId", "ProcId", "JobUniverse", "TotalSubmitProcs"):
        with pytest.raises(htcondor.HTCondorIOError, match="Unable to edit"):
            schedd.edit([f"{cluster}.0"], attr, "1")
    with pytest.raises(htcondor.HTCondorIOError):
        schedd.edit([f"{cluster}.7"], "Foo", "1")
    with pytest.raises(htcondor.HTCondorIOError, match="matching constraint"):
        schedd.edit("ClusterId == 999", "Foo", "1")
    with pytest.raises(htcondor.HTCondorValueError, match="Invalid ID"):
        schedd.edit(["1"], "Foo", "1")
    assert schedd.query(f"ClusterId == {cluster}", ["Owner"])[0]["Owner"] == USER


# -- authorization -----------------------------------------------------------------------------------------

@pytest.fixture
def foreign(tmp_path):
    """A schedd (not trusting this user as a super user) whose queue holds job 1.0 of another owner."""
    spool = tmp_path / "spool"
    spool.mkdir()
    with JobQueueLog(str(spool / "job_queue.log")) as log, log.transaction():
        log.new_ad("0.0", "", "")
        log.set_attr("0.0", "NextClusterNum", "2")
        log.new_ad(job_key(1, -1))
        log.set_attrs(job_key(1, -1), {"ClusterId": "1", "Owner": '"someoneelse"', "JobStatus": "1",
                                       "Cmd": '"/bin/true"', "QDate": "0"})
        log.new_ad(job_key(1, 0))
        log.set_attrs(job_key(1, 0), {"ProcId": "0"})
    daemon = RunningSchedd(tmp_path, QUEUE_SUPER_USERS="nobody_at_all")
    try:
        yield daemon
    finally:
        daemon.stop()


def test_only_the_owner_may_act_and_edit(foreign):
    schedd = foreign.schedd()
    assert schedd.query("true", ["Owner"])[0]["Owner"] == "someoneelse"
    result = schedd.act(htcondor.JobAction.Hold, ["1.0"])
    assert totals(result) == {"TotalPermissionDenied": 1}
    assert totals(schedd.act(htcondor.JobAction.Remove, "true")) == {"TotalPermissionDenied": 1}
    with pytest.raises(htcondor.HTCondorIOError, match="may not change"):
        schedd.edit(["1.0"], "Foo", "1")
    with pytest.raises(htcondor.HTCondorIOError, match="matching constraint"):
        schedd.edit("true", "Foo", "1")
    # claiming to be the owner changes nothing: the schedd believes the peer's uid
    with DaemonConnection(foreign.address) as conn:
        conn.user = "someoneelse"
        reply = conn.request("ACT_ON_JOBS", {"action": 1, "ids": ["1.0"], "reason": "x"})
        assert reply["result_totals"][5] == 1
        with pytest.raises(htcondor.HTCondorIOError):
            conn.request("EDIT_JOBS", {"ids": ["1.0"], "attrs": {"Foo": "1"}})
    ad = schedd.query("true")[0]
    assert ad["JobStatus"] == 1 and "Foo" not in ad
    # one's own new jobs are still one's own
    cluster = schedd.submit(classad.ClassAd({"Cmd": "/bin/true"}))
    assert cluster == 2
    assert totals(schedd.act(htcondor.JobAction.Hold, "true")) == {"TotalSuccess": 1, "TotalPermissionDenied": 1}


def test_a_submit_cannot_choose_its_owner(schedd):
    cluster = schedd.submit(classad.ClassAd({"Cmd": "/bin/true", "Owner": "root_or_not", "User": "x@y"}))
    ad = schedd.query(f"ClusterId == {cluster}", ["Owner", "User"])[0]
    assert ad["Owner"] == USER and ad["User"].startswith(USER + "@")


# -- transactions and durability -------------------------------------------------------------------------------

def test_transaction_commits_on_exit_and_aborts_on_exception(schedd, tmp_path):
    sub = sleep_job(tmp_path, "queue 2")
    with pytest.warns(FutureWarning):
        with schedd.transaction() as txn:
            with pytest.warns(FutureWarning):
                cluster = sub.queue(txn)
            with pytest.warns(FutureWarning):
                result = sub.queue_with_itemdata(txn, 1, iter(["x", "y", "z"]))
            assert schedd.query("true") == []  # nothing visible before the commit
            schedd.edit([f"{cluster}.0"], "InTxn", "1")
    assert result.num_procs() == 3
    assert len(schedd.query(f"ClusterId == {cluster}")) == 2
    assert schedd.query(f"ClusterId == {cluster} && ProcId == 0", ["InTxn"])[0]["InTxn"] == 1
    assert len(schedd.query(f"ClusterId == {result.cluster()}")) == 3
    before = len(schedd.query())
    with pytest.raises(RuntimeError), pytest.warns(FutureWarning):
        with schedd.transaction() as txn:
            sub.queue(txn)
            schedd.edit([f"{cluster}.0"], "InTxn", "2")
            raise RuntimeError("changed my mind")
    assert len(schedd.query()) == before
    assert schedd.query(f"ClusterId == {cluster} && ProcId == 0", ["InTxn"])[0]["InTxn"] == 1


def test_nested_transaction_needs_continue_txn(schedd):
    with pytest.warns(FutureWarning), schedd.transaction():
        with pytest.raises(htcondor.HTCondorIOError, match="already in progress"):
            schedd.transaction()
        assert schedd.transaction(continue_txn=True) is not None


def test_queue_count_must_agree_with_the_queue_statement(schedd, tmp_path):
    with pytest.warns(FutureWarning), schedd.transaction() as txn:
        with pytest.warns(FutureWarning), pytest.raises(htcondor.HTCondorValueError, match="conflicts"):
            sleep_job(tmp_path, "queue 2").queue(txn, 3)
        with pytest.warns(FutureWarning):
            cluster = sleep_job(tmp_path, "queue 2").queue(txn, 2)
    assert len(schedd.query(f"ClusterId == {cluster}")) == 2


def test_edit_of_a_cluster_id_edits_the_cluster_ad(schedd, tmp_path):
    cluster = schedd.submit(sleep_job(tmp_path), count=2).cluster()
    schedd.edit(str(cluster), "Shared", "7")
    assert [ad["Shared"] for ad in schedd.query(f"ClusterId == {cluster}", ["Shared"])] == [7, 7]


def test_queue_without_a_transaction(tmp_path):
    with pytest.raises(htcondor.HTCondorValueError), pytest.warns(FutureWarning):
        sleep_job(tmp_path).queue(None)


def test_a_connection_that_dies_mid_transaction_leaves_nothing(running, schedd):
    conn = DaemonConnection(running.address)
    conn.request("QMGMT_BEGIN")
    cluster = conn.request("NEW_CLUSTER")["cluster"]
    conn.request("SUBMIT_PROCS", {"cluster": cluster, "cluster_ad": {"Cmd": "/bin/true"}, "procs": [{}, {}]})
    conn.close()
    time.sleep(0.1)
    assert schedd.query("true") == []
    # and a transaction whose commit is never sent, on a live connection, is invisible too
    with DaemonConnection(running.address) as other:
        other.request("QMGMT_BEGIN")
        other_cluster = other.request("NEW_CLUSTER")["cluster"]
        other.request("SUBMIT_PROCS", {"cluster": other_cluster, "cluster_ad": {"Cmd": "/bin/true"}, "procs": [{}]})
        assert schedd.query("true") == []
        other.request("QMGMT_COMMIT")
    assert [ad["ClusterId"] for ad in schedd.query("true", ["ClusterId"])] == [other_cluster]


def test_restart_keeps_committed_jobs_and_the_next_cluster_id(running, tmp_path):
    schedd = running.schedd()
    cluster = schedd.submit(sleep_job(tmp_path), count=3).cluster()
    schedd.act(htcondor.JobAction.Hold, [f"{cluster}.1"])
    schedd.edit([f"{cluster}.2"], "Note", '"kept"')
    running.kill()  # kill -9: no chance to flush anything
    running.start()
    schedd = running.schedd()
    ads = {ad["ProcId"]: ad for ad in schedd.query(f"ClusterId == {cluster}", ["ProcId", "JobStatus", "Note",
                                                                                 "Owner", "Cmd"])}
    assert sorted(ads) == [0, 1, 2]
    assert ads[1]["JobStatus"] == 5 and ads[2]["Note"] == "kept" and ads[0]["Owner"] == USER
    assert ads[0]["Cmd"] == "/bin/sleep"
    assert schedd.submit(sleep_job(tmp_path)).cluster() == cluster + 1


# -- policy and event logs ----------------------------------------------------------------------------------------

def test_periodic_hold_and_remove(tmp_path):
    daemon = RunningSchedd(tmp_path, PERIODIC_EXPR_INTERVAL="1")
    try:
        schedd = daemon.schedd()
        hold = schedd.submit(sleep_job(tmp_path, "periodic_hold = NumJobStarts == 0")).cluster()
        remove = schedd.submit(sleep_job(tmp_path, "periodic_remove = JobStatus == 1")).cluster()
        ad = wait_for(lambda: [a for a in schedd.query(f"ClusterId == {hold} && JobStatus == 5")], what="hold")[0]
        assert ad["HoldReasonCode"] == 3
        assert ad["HoldReason"] == "The job attribute PeriodicHold expression 'NumJobStarts == 0' evaluated to TRUE"
        wait_for(lambda: not schedd.query(f"ClusterId == {remove}"), what="periodic remove")
        gone = list(schedd.history(f"ClusterId == {remove}", ["RemoveReason"]))
        assert gone[0]["RemoveReason"] == ("The job attribute PeriodicRemove expression 'JobStatus == 1' "
                                           "evaluated to TRUE")
        schedd.edit([f"{hold}.0"], "PeriodicRelease", "true")
        wait_for(lambda: schedd.query(f"ClusterId == {hold}", ["JobStatus"])[0]["JobStatus"] == 1, what="release")
    finally:
        daemon.stop()


def test_user_log_gets_the_events(schedd, tmp_path):
    cluster = schedd.submit(sleep_job(tmp_path)).cluster()
    schedd.act(htcondor.JobAction.Hold, [f"{cluster}.0"], "stop")
    schedd.act(htcondor.JobAction.Release, [f"{cluster}.0"], "go")
    schedd.act(htcondor.JobAction.Remove, [f"{cluster}.0"], "bye")
    events = list(htcondor.JobEventLog(str(tmp_path / "job.log")).events(0))
    assert [e.type for e in events] == [htcondor.JobEventType.SUBMIT, htcondor.JobEventType.JOB_HELD,
                                        htcondor.JobEventType.JOB_RELEASED, htcondor.JobEventType.JOB_ABORTED]
    assert all((e.cluster, e.proc) == (cluster, 0) for e in events)
    assert events[1]["HoldReason"] == f"stop (by user {USER})" and events[1]["HoldReasonCode"] == 1
    assert events[2]["Reason"] == f"go (by user {USER})"
    assert events[3]["Reason"] == f"bye (by user {USER})"


# -- robustness and location --------------------------------------------------------------------------------------

# (bad requests: tests/htcondor/test_daemon_robustness.py throws thousands at a live schedd)


def test_locating_the_local_schedd(running, monkeypatch):
    monkeypatch.setenv("CONDOR_CONFIG", str(running.config_file))
    htcondor.reload_config()
    try:
        local = Schedd()
        assert local.location.address == running.address
        assert local.query("true") == []
    finally:
        monkeypatch.undo()
        htcondor.reload_config()


def test_no_local_schedd_says_how_to_start_one(tmp_path, monkeypatch):
    config = tmp_path / "condor_config"
    config.write_text(f"LOG = {tmp_path}\nSCHEDD_ADDRESS_FILE = {tmp_path}/.schedd_address\n")
    monkeypatch.setenv("CONDOR_CONFIG", str(config))
    htcondor.reload_config()
    try:
        with pytest.raises(htcondor.HTCondorLocateError, match="condor_master"):
            Schedd()
    finally:
        monkeypatch.undo()
        htcondor.reload_config()
    with pytest.raises(htcondor.HTCondorValueError, match="address not specified"):
        Schedd(classad.ClassAd({"Name": "x"}))
    with pytest.raises(htcondor.HTCondorValueError, match="Unknown type"):
        Schedd(5)


def test_the_schedd_advertises_itself_to_the_collector(tmp_path, tmp_path_factory):
    collector_dir = tmp_path_factory.mktemp("collector")
    (collector_dir / "log").mkdir()
    config = collector_dir / "condor_config"
    config.write_text(f"LOG = {collector_dir}/log\nCOLLECTOR_HOST = 127.0.0.1:0\n")
    env = {**os.environ, "CONDOR_CONFIG": str(config)}
    env.pop("CONDOR_PARENT_PID", None)
    collector = subprocess.Popen([sys.executable, "-m", "htcondor._daemons.collector"], env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        collector_file = collector_dir / "log" / ".collector_address"
        collector_address = wait_for(lambda: read_address_file(str(collector_file)), what="the collector")
        daemon = RunningSchedd(tmp_path, COLLECTOR_ADDRESS_FILE=str(collector_file), SCHEDD_NAME="testschedd")
        try:
            daemon.schedd().submit(sleep_job(tmp_path), count=2)
            coll = htcondor.Collector(collector_address)

            def submitter():
                ads = coll.query(htcondor.AdTypes.Submitter, "true", ["Name", "IdleJobs", "ScheddName"])
                return ads if ads and ads[0].get("IdleJobs") == 2 else None
            ad = wait_for(submitter, what="the Submitter ad")[0]
            name = f"testschedd@{htcondor.param['FULL_HOSTNAME']}"  # a name without '@' gets the host
            assert ad["Name"].startswith(USER + "@") and ad["ScheddName"] == name
            schedd_ad = coll.query(htcondor.AdTypes.Schedd, "true", ["Name", "TotalIdleJobs", "MyAddress"])[0]
            assert schedd_ad["Name"] == name and schedd_ad["TotalIdleJobs"] == 2
            assert schedd_ad["MyAddress"] == daemon.address
            assert Schedd(coll.locate(htcondor.DaemonTypes.Schedd, name)).query("true", ["ProcId"])
        finally:
            daemon.stop()
    finally:
        collector.send_signal(signal.SIGTERM)
        collector.wait(10)


# -- measurements (reported, not asserted) ----------------------------------------------------------------------

def test_measure_submit_and_query_of_10000_jobs(schedd, tmp_path, capsys):
    sub = htcondor.Submit(f"executable = /bin/true\narguments = $(ProcId)\niwd = {tmp_path}")
    start = time.perf_counter()
    result = schedd.submit(sub, count=10000)
    submit_time = time.perf_counter() - start
    start = time.perf_counter()
    ads = schedd.query("true", ["ClusterId", "ProcId", "JobStatus"])
    query_time = time.perf_counter() - start
    assert result.num_procs() == 10000 and len(ads) == 10000
    assert sorted(ad["ProcId"] for ad in ads) == list(range(10000))
    with capsys.disabled(), warnings.catch_warnings():
        print(f"\n[schedd] submit 10,000 jobs in one transaction: {submit_time:.3f} s; "
              f"query 10,000 jobs, 3 attributes: {query_time:.3f} s")


def test_kill_during_submits_loses_no_committed_job_and_shows_no_half_transaction(running, tmp_path):
    import random
    import threading

    sub = htcondor.Submit(f"executable = /bin/true\niwd = {tmp_path}")
    acknowledged: list[int] = []
    rng = random.Random(4)
    for _round in range(6):
        stop = threading.Event()
        schedd = running.schedd()

        def submitter():
            while not stop.is_set():
                try:
                    acknowledged.append(schedd.submit(sub, count=50).cluster())
                except htcondor.HTCondorException:
                    return  # the schedd died under us: that submit may or may not have committed

        thread = threading.Thread(target=submitter)
        thread.start()
        time.sleep(rng.uniform(0.05, 0.3))
        running.kill()
        stop.set()
        thread.join(30)
        running.start()
        sizes: dict[int, int] = {}
        for ad in running.schedd().query("true", ["ClusterId"]):
            sizes[ad["ClusterId"]] = sizes.get(ad["ClusterId"], 0) + 1
        assert set(acknowledged) <= set(sizes), "a committed cluster was lost"
        assert set(sizes.values()) <= {50}, "a half-written transaction is visible"
    assert len(acknowledged) > 6
