"""Negotiation and resources: Negotiator (user priorities), Startd (drain, history), Claim (COD), ScheddNegotiate.

One pool of one CPU serves most tests, so jobs run one at a time and the
order in which submitters are served shows.  Claim reuse is off, so every
job goes through the negotiator.  A second pool, without a negotiator,
serves the ScheddNegotiate test, where the test plays the negotiator.
"""

from __future__ import annotations

import os
import time

import pytest
from daemon_process import wait_for

import classad
import htcondor
from htcondor._schedd_negotiate import negotiate as schedd_negotiate
from htcondor.personal import PersonalPool

TIMEOUT = 15.0


def _restore_config(before):
    if before is None:
        os.environ.pop("CONDOR_CONFIG", None)
    else:
        os.environ["CONDOR_CONFIG"] = before
    htcondor.reload_config()


@pytest.fixture(scope="module")
def pool(tmp_path_factory):
    before = os.environ.get("CONDOR_CONFIG")
    p = PersonalPool(local_dir=tmp_path_factory.mktemp("negotiation") / "pool",
                     config={"NUM_CPUS": 1, "CLAIM_REUSE": "false", "MAXJOBRETIREMENTTIME": 60,
                             "NEGOTIATOR_INTERVAL": 1, "NEGOTIATOR_MIN_INTERVAL": 0})
    try:
        with p:
            yield p
    finally:
        _restore_config(before)


@pytest.fixture
def schedd(pool):
    s = pool.schedd
    yield s
    if s.query(projection=["ClusterId"]):
        s.act(htcondor.JobAction.Remove, "true", "test cleanup")
        wait_for(lambda: not s.query(projection=["ClusterId"]), TIMEOUT, "the queue to empty")
    wait_for(lambda: _slot_states(pool) == {"slot1": ("Unclaimed", "Idle")}, TIMEOUT, "the slot to be free")


def _slot_states(pool) -> dict:
    ads = pool.collector.query(htcondor.AdTypes.Startd, "true", ["Name", "State", "Activity"])
    return {ad["Name"].split("@")[0]: (ad["State"], ad["Activity"]) for ad in ads}


def _status(schedd, cluster) -> int | None:
    ads = schedd.query(f"ClusterId == {cluster}", ["JobStatus"])
    return ads[0]["JobStatus"] if ads else None


def _submit(schedd, seconds: float = 30, **extra) -> int:
    desc = {"executable": "/bin/sleep", "arguments": str(seconds), **extra}
    return schedd.submit(htcondor.Submit(desc)).cluster()


# -- Negotiator ---------------------------------------------------------------------------------------------


def test_negotiator_validates_like_the_official_module(pool):
    n = htcondor.Negotiator()
    for call in (lambda: n.setPriority("bob", 1), lambda: n.setFactor("bob", 2), lambda: n.setUsage("bob", 1),
                 lambda: n.setBeginUsage("bob", 1), lambda: n.setLastUsage("bob", 1),
                 lambda: n.setCeiling("bob", 1), lambda: n.resetUsage("bob"), lambda: n.deleteUser("bob"),
                 lambda: n.getResourceUsage("bob")):
        with pytest.raises(htcondor.HTCondorValueError, match=r"full name of the submittor"):
            call()
    for call, message in ((lambda: n.setPriority("bob", -1), "User priority must be non-negative"),
                          (lambda: n.setFactor("bob", 0.5), "Priority factors must be >= 1"),
                          (lambda: n.setUsage("bob", -1), "Usage must be non-negative."),
                          (lambda: n.setCeiling("bob", -2), "Ceiling must be greater than -1.")):
        with pytest.raises(htcondor.HTCondorValueError) as info:
            call()
        assert str(info.value) == message  # the value is checked before the name, as officially
    with pytest.raises(htcondor.HTCondorValueError, match="Unknown type"):
        htcondor.Negotiator(5)
    with pytest.raises(htcondor.HTCondorValueError, match="address not specified"):
        htcondor.Negotiator(classad.ClassAd())
    dead = htcondor.Negotiator(classad.ClassAd({"MyAddress": "<127.0.0.1:1>"}))
    with pytest.raises(htcondor.HTCondorIOError, match="Unable to connect to the negotiator"):
        dead.getPriorities()
    with pytest.raises(htcondor.HTCondorIOError, match="Failed to send RESET_ALL_USAGE command"):
        dead.resetAllUsage()
    assert n.location.daemon_type == htcondor.DaemonTypes.Negotiator


def test_negotiator_records(pool):
    n = htcondor.Negotiator(pool.collector.locate(htcondor.DaemonTypes.Negotiator))
    user = "someone@example.org"
    n.setPriority(user, 3.0)
    n.setFactor(user, 10.0)
    n.setUsage(user, 7200.0)
    n.setBeginUsage(user, 1000)
    n.setLastUsage(user, 2000)
    n.setCeiling(user, 4)
    rec = {ad["Name"]: ad for ad in n.getPriorities()}[user]
    assert rec["PriorityFactor"] == 10.0
    assert rec["Priority"] == pytest.approx(30.0, rel=1e-3)  # effective: real priority times factor
    assert rec["AccumulatedUsage"] == 7200.0
    assert (rec["BeginUsageTime"], rec["LastUsageTime"], rec["Ceiling"]) == (1000, 2000, 4)
    assert set(rec.keys()) <= {"Name", "Priority", "ResourcesUsed", "WeightedResourcesUsed", "PriorityFactor",
                               "BeginUsageTime", "LastUsageTime", "WeightedAccumulatedUsage", "AccountingGroup",
                               "IsAccountingGroup", "AccumulatedUsage", "Ceiling", "SubmitterShare",
                               "SubmitterLimit"}
    assert [ad["Name"] for ad in n.getPriorities(True)] == [ad["Name"] for ad in n.getPriorities()]
    n.resetUsage(user)
    assert {ad["Name"]: ad for ad in n.getPriorities()}[user]["AccumulatedUsage"] == 0.0
    n.setUsage(user, 5.0)
    n.resetAllUsage()
    assert all(ad["AccumulatedUsage"] == 0.0 for ad in n.getPriorities())
    assert n.getResourceUsage(user) == []
    n.deleteUser(user)
    assert user not in {ad["Name"] for ad in n.getPriorities()}


def _first_to_run(schedd, clusters) -> int:
    def running():
        ads = schedd.query(f"JobStatus == 2 && ({' || '.join(f'ClusterId == {c}' for c in clusters)})",
                           ["ClusterId"])
        return ads[0]["ClusterId"] if ads else None
    return wait_for(running, TIMEOUT, "a job to run")


@pytest.mark.parametrize("favoured", ["grpa", "grpb"])
def test_priority_factors_decide_who_runs_first(pool, schedd, favoured):
    """Two submitters (accounting groups of the same user), one CPU: the lower effective priority goes first."""
    n = htcondor.Negotiator()
    held = {group: _submit(schedd, accounting_group=group, hold=True) for group in ("grpa", "grpb")}
    user = schedd.query(f"ClusterId == {held['grpa']}", ["User"])[0]["User"]
    owner, domain = user.split("@")
    names = {group: f"{group}.{owner}@{domain}" for group in held}
    for group, name in names.items():
        n.setFactor(name, 1.0 if group == favoured else 1e6)
    schedd.act(htcondor.JobAction.Release, list(f"{c}.0" for c in held.values()))
    first = _first_to_run(schedd, list(held.values()))
    assert first == held[favoured]
    slot = wait_for(lambda: n.getResourceUsage(names[favoured]), TIMEOUT, "the accountant to see the match")
    assert slot[0]["Name"].startswith("slot1_") and isinstance(slot[0]["StartTime"], int)
    ad = pool.collector.query(htcondor.AdTypes.Startd, "DynamicSlot =?= true", ["AccountingGroup", "RemoteUser"])[0]
    assert ad["AccountingGroup"] == names[favoured] == ad["RemoteUser"]
    for name in names.values():
        n.deleteUser(name)


def test_ceiling_zero_keeps_a_submitter_out(pool, schedd):
    n = htcondor.Negotiator()
    cluster = _submit(schedd, accounting_group="capped", hold=True)
    owner, domain = schedd.query(f"ClusterId == {cluster}", ["User"])[0]["User"].split("@")
    name = f"capped.{owner}@{domain}"
    n.setCeiling(name, 0)
    schedd.act(htcondor.JobAction.Release, [f"{cluster}.0"])
    other = _submit(schedd)
    assert _first_to_run(schedd, [cluster, other]) == other
    schedd.act(htcondor.JobAction.Remove, [f"{other}.0"])
    n.setCeiling(name, -1)
    assert _first_to_run(schedd, [cluster]) == cluster
    n.deleteUser(name)


# -- Startd: drain and history ----------------------------------------------------------------------------


def test_startd_validation(pool):
    startd = htcondor.Startd()
    assert startd.location.daemon_type == htcondor.DaemonTypes.Startd
    with pytest.raises(htcondor.HTCondorValueError, match="Invalid check expression"):
        startd.drainJobs(check_expr="Cpus >")
    with pytest.raises(htcondor.HTCondorReplyError, match="Startd failed to cancel draining jobs"):
        startd.cancelDrainJobs()
    with pytest.raises(htcondor.HTCondorReplyError, match="Startd failed to begin draining jobs"):
        startd.drainJobs(check_expr="Cpus > 1000")
    with pytest.raises(htcondor.HTCondorReplyError, match="does not exit or restart"):
        startd.drainJobs(on_completion=2)
    with pytest.raises(htcondor.HTCondorValueError, match="Unknown type"):
        htcondor.Startd("somewhere")
    with pytest.raises(htcondor.HTCondorIOError, match="Failed to connect"):
        htcondor.Startd(classad.ClassAd({"MyAddress": "<127.0.0.1:1>"})).history(None, [])
    assert _slot_states(pool) == {"slot1": ("Unclaimed", "Idle")}


def test_graceful_drain_lets_the_job_finish_then_cancel(pool, schedd):
    startd = htcondor.Startd()
    cluster = _submit(schedd, 1)
    wait_for(lambda: _status(schedd, cluster) == 2, TIMEOUT, "the job to run")
    request_id = startd.drainJobs(htcondor.DrainTypes.Graceful, reason="maintenance")
    assert isinstance(request_id, str) and request_id
    ad = pool.collector.query(htcondor.AdTypes.Startd, "PartitionableSlot =?= true",
                              ["Draining", "DrainReason", "DrainingRequestId"])[0]
    assert (ad["Draining"], ad["DrainReason"], ad["DrainingRequestId"]) == (True, "maintenance", request_id)
    with pytest.raises(htcondor.HTCondorReplyError):
        startd.drainJobs()  # one drain at a time
    # the job ran to completion (MAXJOBRETIREMENTTIME = 60), then the machine is drained
    wait_for(lambda: _status(schedd, cluster) is None, TIMEOUT, "the job to complete")
    wait_for(lambda: _slot_states(pool) == {"slot1": ("Drained", "Idle")}, TIMEOUT, "the slot to be drained")
    assert list(schedd.history(f"ClusterId == {cluster}", ["ExitCode"]))[0]["ExitCode"] == 0
    waiting = _submit(schedd, 30)
    time.sleep(1.5)  # more than a negotiation cycle: nothing starts on a drained machine
    assert _status(schedd, waiting) == 1
    with pytest.raises(htcondor.HTCondorReplyError):
        startd.cancelDrainJobs("no-such-request")
    startd.cancelDrainJobs(request_id)
    wait_for(lambda: _status(schedd, waiting) == 2, TIMEOUT, "the job to start after the drain")


def test_quick_drain_vacates_and_resumes_on_completion(pool, schedd):
    startd = htcondor.Startd()
    cluster = _submit(schedd, 30)
    wait_for(lambda: _status(schedd, cluster) == 2, TIMEOUT, "the job to run")
    startd.drainJobs(htcondor.DrainTypes.Quick, on_completion=1, start_expr="false")
    wait_for(lambda: _status(schedd, cluster) == 1, TIMEOUT, "the job to be vacated")
    # resume on completion: the drain ends by itself and the job runs again
    wait_for(lambda: _status(schedd, cluster) == 2, TIMEOUT, "the job to run again")
    assert schedd.query(f"ClusterId == {cluster}", ["NumShadowStarts"])[0]["NumShadowStarts"] >= 2


def test_startd_history(pool, schedd):
    cluster = _submit(schedd, 0)
    wait_for(lambda: _status(schedd, cluster) is None, TIMEOUT, "the job to complete")
    startd = htcondor.Startd()

    def ran():
        return [ad for ad in startd.history(f"ClusterId == {cluster}", ["ClusterId", "ProcId", "JobEndOutcome"])]
    ads = wait_for(ran, TIMEOUT, "the startd's history")
    assert [dict(ad) for ad in ads] == [{"ClusterId": cluster, "ProcId": 0, "JobEndOutcome": "exited"}]
    everything = list(startd.history("true", [], match=1))
    assert len(everything) == 1 and everything[0]["ClusterId"] == cluster and "Cmd" in everything[0]
    assert list(startd.history(None, ["ClusterId"], since=cluster)) == []


# -- Claim: computing on demand ---------------------------------------------------------------------------


def test_claim_without_a_claim(pool):
    claim = htcondor.Claim(pool.collector.locate(htcondor.DaemonTypes.Startd))
    assert str(claim).startswith("Unclaimed startd at <")
    for call in (claim.activate, claim.suspend, claim.resume, claim.renew, claim.release, claim.deactivate,
                 claim.delegateGSIProxy):
        with pytest.raises(htcondor.HTCondorValueError, match="No claim set for object."):
            call(*([{"Cmd": "/bin/true"}] if call == claim.activate else []))
    with pytest.raises(htcondor.HTCondorValueError, match="No contact string"):
        htcondor.Claim(classad.ClassAd({"Name": "x"}))
    with pytest.raises(htcondor.HTCondorIOError, match="Failed to request claim"):
        claim.requestCOD("false")


def test_cod_claim_runs_jobs(pool, tmp_path):
    claim = htcondor.Claim(pool.collector.locate(htcondor.DaemonTypes.Startd))
    claim.requestCOD("TARGET.Cpus >= 1")
    assert str(claim).startswith("Claim <")
    dslot = wait_for(lambda: {k: v for k, v in _slot_states(pool).items() if k != "slot1"}, TIMEOUT, "the COD slot")
    assert list(dslot.values()) == [("Claimed", "Idle")]
    out = tmp_path / "cod.out"
    claim.activate({"Cmd": "/bin/sh", "Arguments": f"-c 'echo hello > {out}; sleep 30'", "Iwd": str(tmp_path)})
    wait_for(lambda: out.exists() and out.read_text() == "hello\n", TIMEOUT, "the COD job's output")
    name = next(iter(dslot))
    wait_for(lambda: _slot_states(pool)[name] == ("Claimed", "Busy"), TIMEOUT, "the slot to be busy")
    with pytest.raises(htcondor.HTCondorIOError, match="Startd failed to activate claim"):
        claim.activate({"Cmd": "/bin/true"})  # one job at a time
    claim.suspend()
    wait_for(lambda: _slot_states(pool)[name] == ("Claimed", "Suspended"), TIMEOUT, "the slot to be suspended")
    claim.resume()
    claim.renew()
    with pytest.raises(htcondor.HTCondorIOError, match="delegate GSI proxy"):
        claim.delegateGSIProxy()
    claim.deactivate(htcondor.VacateTypes.Fast)
    wait_for(lambda: _slot_states(pool)[name] == ("Claimed", "Idle"), TIMEOUT, "the job to stop")
    claim.activate({"Cmd": "/bin/true"})  # the claim stays for another job
    claim.release()
    assert str(claim).startswith("Unclaimed startd")
    wait_for(lambda: _slot_states(pool) == {"slot1": ("Unclaimed", "Idle")}, TIMEOUT, "the claim to be released")
    ran = [ad["Cmd"] for ad in htcondor.Startd().history("JobEndOutcome =!= undefined", ["Cmd"], match=2)]
    assert ran == ["/bin/true", "/bin/sh"]


def test_cod_lease_expires(pool):
    claim = htcondor.Claim(pool.collector.locate(htcondor.DaemonTypes.Startd))
    claim.requestCOD(lease_duration=1)
    wait_for(lambda: _slot_states(pool) == {"slot1": ("Unclaimed", "Idle")}, TIMEOUT, "the lease to run out")
    with pytest.raises(htcondor.HTCondorIOError, match="Startd failed to renew claim"):
        claim.renew()


# -- ScheddNegotiate: the caller plays the negotiator ---------------------------------------------------------


@pytest.fixture(scope="module")
def quiet_pool(tmp_path_factory, pool):
    """A pool with no negotiator: nothing matches jobs but the test."""
    before = os.environ.get("CONDOR_CONFIG")
    p = PersonalPool(local_dir=tmp_path_factory.mktemp("negotiate") / "pool",
                     config={"NUM_CPUS": 2, "DAEMON_LIST": "MASTER, COLLECTOR, SCHEDD, STARTD"})
    try:
        with p:
            yield p
    finally:
        _restore_config(before)
        pool.use_config().set()


def test_schedd_negotiate(quiet_pool):
    schedd = quiet_pool.schedd
    cluster = schedd.submit(htcondor.Submit({"executable": "/bin/sleep", "arguments": "30",
                                             "request_memory": "1"}), count=2).cluster()
    user = schedd.query(f"ClusterId == {cluster}", ["User"])[0]["User"]
    with pytest.warns(FutureWarning, match="deprecated"):
        session = schedd_negotiate(schedd, user)
    with session:
        requests = list(session)
        assert len(requests) == 1
        request = requests[0]
        assert (request["ResourceRequestCount"], request["ClusterId"], request["ProcId"]) == (2, cluster, 0)
        with pytest.raises(htcondor.HTCondorValueError, match="Already started negotiation"):
            iter(session)
        private = quiet_pool.collector.query(htcondor.AdTypes.StartdPrivate, "true", ["Name", "Capability"])
        offer = quiet_pool.collector.query(htcondor.AdTypes.Startd, "PartitionableSlot =?= true")[0]
        capability = {ad["Name"]: ad["Capability"] for ad in private}[offer["Name"]]
        session.sendClaim(capability, offer, request)
    wait_for(lambda: _status(schedd, cluster) == 2 or None, TIMEOUT, "the job to run on the claim")
    statuses = {(ad["ProcId"], ad["JobStatus"]) for ad in schedd.query(f"ClusterId == {cluster}",
                                                                         ["ProcId", "JobStatus"])}
    assert statuses == {(0, 2), (1, 1)}  # the request's own job runs; nobody else matches the other
    with pytest.raises(htcondor.HTCondorIOError, match="Not currently negotiating"):
        session.sendClaim(capability, offer)
    with pytest.raises(htcondor.HTCondorIOError, match="Not currently negotiating"):
        iter(session)
    with pytest.warns(FutureWarning), schedd_negotiate(schedd, "nobody@nowhere") as other:
        assert list(other) == []
    schedd.act(htcondor.JobAction.Remove, f"ClusterId == {cluster}")
