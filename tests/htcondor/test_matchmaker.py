"""The negotiator's matchmaking core: autoclusters, the accountant, one negotiation cycle."""

from __future__ import annotations

import json

import pytest

import classad
import htcondor  # noqa: F401  (MY./TARGET. semantics as the daemons use them)
from htcondor._accountant import ROOT_GROUP, Accountant
from htcondor._autocluster import AutoClusters, significant_attributes
from htcondor._matchmaker import MatchmakerConfig, negotiate

WITHIN_LIMITS = ("TARGET.RequestCpus <= MY.Cpus && TARGET.RequestMemory <= MY.Memory"
                 " && (TARGET.RequestDisk ?: 0) <= MY.Disk")


def slot(n: int, host: str = "host", **attrs) -> classad.ClassAd:
    ad = classad.ClassAd({"Name": f"slot{n}@{host}", "State": "Unclaimed", "Activity": "Idle", "SlotID": n,
                          "Cpus": 1, "Memory": 1024, "Disk": 100000, "Rank": 0.0, "Start": True})
    ad["SlotWeight"] = classad.ExprTree("Cpus")
    ad["Requirements"] = classad.ExprTree(f"Start && {WITHIN_LIMITS}")
    for key, value in attrs.items():
        expression = isinstance(value, str) and key in ("Requirements", "Start", "Rank")
        ad[key] = classad.ExprTree(value) if expression else value
    return ad


def pslot(n: int = 1, cpus: int = 4, memory: int = 1024, disk: int = 100000, **attrs) -> classad.ClassAd:
    ad = slot(n, Cpus=cpus, Memory=memory, Disk=disk, **attrs)
    ad["PartitionableSlot"] = True
    ad["SlotType"] = "Partitionable"
    return ad


def job(cluster: int, proc: int = 0, *, requirements: str = "TARGET.Memory >= RequestMemory", **attrs):
    ad = classad.ClassAd({"ClusterId": cluster, "ProcId": proc, "JobStatus": 1, "RequestCpus": 1,
                          "RequestMemory": 100, "RequestDisk": 1000, "Cmd": "/bin/true"})
    if requirements is not None:
        ad["Requirements"] = classad.ExprTree(requirements)
    for key, value in attrs.items():
        ad[key] = classad.ExprTree(value) if key in ("Rank", "Requirements") else value
    return ad


def run(jobs, slots, acct=None, **kw):
    acct = acct or Accountant(now=1000)
    return negotiate(jobs, slots, acct, now=kw.pop("now", 1000), **kw), acct


def pairs(result):
    return [(m.job_id, m.submitter, m.slot_name) for m in result.matches]


# -- requirements and ranks -----------------------------------------------------------------------


def test_job_requirements_must_hold():
    result, _ = run({"a@x": [job(1, requirements="TARGET.Memory >= 2048")]}, [slot(1)])
    assert result.matches == []
    assert result.submitters["a@x"].rejections == [("1.0", "no match found")]


def test_slot_requirements_must_hold():
    owner_only = slot(1, Requirements='Start && TARGET.Owner == "alice"')
    result, _ = run({"b@x": [job(1, Owner="bob")], "a@x": [job(2, Owner="alice")]}, [owner_only])
    assert pairs(result) == [("2.0", "a@x", "slot1@host")]


def test_undefined_requirements_do_not_match():
    # The job's Requirements refer to an attribute no slot has; a slot without Requirements.
    result, _ = run({"a@x": [job(1, requirements="TARGET.NoSuchThing > 3")]}, [slot(1)])
    assert result.matches == []
    bare = slot(2)
    del bare["Requirements"]
    result, _ = run({"a@x": [job(1)]}, [bare])
    assert result.matches == []


def test_job_rank_picks_the_preferred_slot():
    slots = [slot(1, Fast=False), slot(2, Fast=True)]
    result, _ = run({"a@x": [job(1, Rank="TARGET.Fast =?= true ? 10 : 0")]}, slots)
    assert pairs(result) == [("1.0", "a@x", "slot2@host")]
    # Without a job rank the post-job rank prefers the lower SlotID.
    result, _ = run({"a@x": [job(1)]}, slots)
    assert pairs(result) == [("1.0", "a@x", "slot1@host")]


def test_pre_job_rank_comes_before_job_rank():
    # The default NEGOTIATOR_PRE_JOB_RANK prefers the slot's own Rank, then the smallest slot.
    small, big = slot(1, Memory=1024), slot(2, Memory=4096)
    result, _ = run({"a@x": [job(1, Rank="TARGET.Memory")]}, [small, big])
    assert pairs(result)[0][2] == "slot1@host"
    liking = slot(2, Memory=4096, Rank='TARGET.Owner == "a" ? 1 : 0')
    result, _ = run({"a@x": [job(1, Owner="a")]}, [small, liking])
    assert pairs(result)[0][2] == "slot2@host"
    # With the negotiator ranks switched off, the job's Rank decides.
    cfg = MatchmakerConfig(pre_job_rank=None, post_job_rank=None)
    result, _ = run({"a@x": [job(1, Rank="TARGET.Memory")]}, [small, big], config=cfg)
    assert pairs(result)[0][2] == "slot2@host"


def test_jobs_go_in_schedd_order_and_only_idle_ones():
    jobs = [job(1, 0), job(1, 1, JobPrio=5), job(2, 0, JobStatus=2), job(0, 7)]
    result, _ = run({"a@x": jobs}, [slot(1), slot(2), slot(3)])
    assert [m.job_id for m in result.matches] == ["1.1", "0.7", "1.0"]


def test_a_request_larger_than_every_slot_never_matches():
    big = job(1, RequestMemory=10**6, requirements="true")
    result, _ = run({"a@x": [big]}, [slot(1), pslot(2)])
    assert result.matches == []
    # A partitionable slot must have room even if its Requirements would not check.
    loose = pslot(3, Requirements="true")
    result, _ = run({"a@x": [big]}, [loose])
    assert result.matches == []


# -- autoclusters ---------------------------------------------------------------------------------


def test_significant_attributes_come_from_slot_references():
    slots = [slot(1), slot(2, Requirements='Start && TARGET.Owner == "me"')]
    attrs = significant_attributes(slots, minimal=())
    assert attrs == ["Owner", "RequestCpus", "RequestDisk", "RequestMemory"]
    # CurrentTime is never significant; the schedd's minimal set always is.
    attrs = significant_attributes([slot(1, Requirements="CurrentTime > 0")])
    assert attrs == ["ConcurrencyLimits", "FlockTo", "Rank", "Requirements"]


def test_jobs_differing_only_in_insignificant_attributes_share_an_autocluster():
    sig = significant_attributes([slot(1)])
    ac = AutoClusters(sig)
    a, b = job(1, Cmd="/bin/a", Args="1"), job(2, Cmd="/bin/b", Args="2")
    c = job(3, RequestMemory=200)
    # RequestDisk is pulled in by the job's Requirements even if no slot named it.
    d = job(4, requirements="TARGET.Disk >= MyDiskNeed", MyDiskNeed=5)
    e = job(5, requirements="TARGET.Disk >= MyDiskNeed", MyDiskNeed=6)
    ids = [ac.cluster_id(x) for x in (a, b, c, d, e)]
    assert ids[0] == ids[1]
    assert len(set(ids)) == 4
    result, _ = run({"u@x": [a, b, c]}, [slot(1), slot(2), slot(3)])
    assert result.autoclusters == 2
    assert sorted(m.autocluster for m in result.matches) == [1, 1, 2]


def test_a_rejected_autocluster_skips_its_other_jobs():
    jobs = [job(1, p, requirements="TARGET.Memory > 5000") for p in range(50)] + [job(2)]
    result, _ = run({"u@x": jobs}, [slot(1)])
    assert pairs(result) == [("2.0", "u@x", "slot1@host")]
    assert result.submitters["u@x"].rejections == [("1.0", "no match found")]


# -- partitionable slots --------------------------------------------------------------------------


def test_partitionable_slot_is_carved_until_memory_runs_out():
    # 300 MB is rounded up to 384 MB; 1024 MB holds two of those.
    jobs = [job(1, p, RequestMemory=300) for p in range(4)]
    result, acct = run({"u@x": jobs}, [pslot(1, cpus=4, memory=1024)])
    assert [(m.job_id, m.dynamic_name, m.dynamic) for m in result.matches] == [
        ("1.0", "slot1_1@host", {"Cpus": 1, "Memory": 384, "Disk": 1024}),
        ("1.1", "slot1_2@host", {"Cpus": 1, "Memory": 384, "Disk": 1024}),
    ]
    assert all(m.slot_name == "slot1@host" and m.cost == 1.0 for m in result.matches)
    assert acct.resources_used("u@x") == 2


def test_partitionable_slot_is_carved_until_cores_run_out():
    jobs = [job(1, p, RequestCpus=2) for p in range(5)]
    p = pslot(1, cpus=5, memory=8192)
    p["ChildDSlotId"] = [3, 7]
    result, acct = run({"u@x": jobs}, [p])
    assert [(m.dynamic_name, m.dynamic["Cpus"], m.cost) for m in result.matches] == [
        ("slot1_8@host", 2, 2.0), ("slot1_9@host", 2, 2.0)]
    assert acct.weighted_resources_used("u@x") == 4.0
    assert p["Cpus"] == 5  # the caller's ad is left alone


# -- users and priorities -------------------------------------------------------------------------


def test_the_user_with_less_usage_goes_first():
    acct = Accountant(now=1000)
    acct.set_priority("busy@x", 40.0)
    jobs = {"busy@x": [job(1)], "idle@x": [job(2)]}
    result, _ = run(jobs, [slot(1)], acct)
    assert pairs(result) == [("2.0", "idle@x", "slot1@host")]
    assert list(result.submitters) == ["idle@x", "busy@x"]
    assert result.submitters["busy@x"].priority == 40000.0


def test_priority_factor_scales_the_effective_priority():
    acct = Accountant(now=1000)
    acct.set_priority_factor("cheap@x", 10.0)
    assert acct.effective_priority("cheap@x") == 5.0
    assert acct.effective_priority("other@x") == 500.0
    result, _ = run({"other@x": [job(1)], "cheap@x": [job(2)]}, [slot(1)], acct)
    assert pairs(result) == [("2.0", "cheap@x", "slot1@host")]
    # Shares are inversely proportional to the effective priority.
    shares = {name: round(s.share, 6) for name, s in result.submitters.items()}
    assert shares == {"cheap@x": round(100 / 101, 6), "other@x": round(1 / 101, 6)}


def test_two_equal_users_split_the_pool():
    jobs = {"a@x": [job(1, p) for p in range(10)], "b@x": [job(2, p) for p in range(10)]}
    result, _ = run(jobs, [slot(n) for n in range(1, 5)])
    assert result.counts() == {"a@x": 2, "b@x": 2}


def test_a_leftover_smaller_than_a_slot_waits_for_the_next_cycle():
    # Three slots, two equal users: each may have 1.5; the third slot waits (as in HTCondor).
    jobs = {"a@x": [job(1, p) for p in range(10)], "b@x": [job(2, p) for p in range(10)]}
    slots = [slot(n) for n in range(1, 4)]
    result, acct = run(jobs, slots)
    assert result.counts() == {"a@x": 1, "b@x": 1}
    # Next cycle: the matched slots are claimed; whoever is served first rounds up.
    for m in result.matches:
        m.slot["State"] = "Claimed"
        m.slot["RemoteUser"] = m.submitter
    jobs = {"a@x": [job(1, p) for p in range(1, 10)], "b@x": [job(2, p) for p in range(1, 10)]}
    result2, _ = run(jobs, slots, acct, now=1010)
    assert len(result2.matches) == 1 and result2.matches[0].slot_name == "slot3@host"


def test_a_satisfied_user_leaves_slots_to_others():
    jobs = {"a@x": [job(1)], "b@x": [job(2, p) for p in range(10)]}
    result, _ = run(jobs, [slot(n) for n in range(1, 5)])
    assert result.counts() == {"a@x": 1, "b@x": 3}
    assert result.spins >= 2


def test_submitter_ads_select_who_negotiates():
    subs = [classad.ClassAd({"Name": "a@x", "IdleJobs": 0}), classad.ClassAd({"Name": "b@x", "IdleJobs": 1})]
    result, _ = run({"a@x": [job(1)], "b@x": [job(2)], "c@x": [job(3)]}, [slot(1), slot(2)], submitters=subs)
    assert pairs(result) == [("2.0", "b@x", "slot1@host")]


def test_flat_job_list_is_grouped_by_user():
    jobs = [job(1, User="a@x"), job(2, User="b@x")]
    result, _ = run(jobs, [slot(1), slot(2)])
    assert sorted(m.submitter for m in result.matches) == ["a@x", "b@x"]


def test_claimed_slots_are_not_offered_but_count_in_the_pool():
    busy = slot(1, State="Claimed", RemoteUser="a@x")
    result, acct = run({"a@x": [job(1, p) for p in range(3)]}, [busy, slot(2)])
    assert pairs(result) == [("1.0", "a@x", "slot2@host")]
    assert result.pool_weight == 2.0
    assert acct.resources_used("a@x") == 2  # check_matches saw the claimed slot


def test_same_input_same_result():
    def make():
        jobs = {u: [job(c, p, RequestMemory=100 * (1 + p % 3)) for p in range(6)] for c, u in ((1, "a@x"), (2, "b@x"))}
        return jobs, [slot(n, Memory=512 * n) for n in range(1, 6)] + [pslot(9, cpus=3)]
    first = [(m.job_id, m.slot_name, m.dynamic_name) for m in run(*make())[0].matches]
    second = [(m.job_id, m.slot_name, m.dynamic_name) for m in run(*make())[0].matches]
    assert first == second and len(first) == 8


# -- the accountant -------------------------------------------------------------------------------


def test_new_users_start_at_the_floor_times_the_default_factor():
    acct = Accountant(now=0)
    assert acct.real_priority("u@x") == 0.5
    assert acct.effective_priority("u@x") == 500.0
    assert Accountant(now=0, default_prio_factor=100).effective_priority("u@x") == 50.0
    assert Accountant(now=0).priority_factor("nice-user.u@x") == 1e10
    assert Accountant(now=0, local_domain="here").priority_factor("u@there") == 1e7
    assert Accountant(now=0, local_domain="here").priority_factor("u@here") == 1000.0


def test_half_life_decay_arithmetic():
    acct = Accountant(half_life=100.0, now=0)
    acct.set_priority("idle@x", 10.0)
    acct.update_priorities(now=100)
    assert acct.real_priority("idle@x") == pytest.approx(5.0)
    acct.update_priorities(now=300)  # two more half-lives: 5 * 0.25 = 1.25
    assert acct.real_priority("idle@x") == pytest.approx(1.25)

    acct = Accountant(half_life=100.0, now=0)
    acct.add_match("u@x", "slot1@h", weight=2.0, now=0)
    acct.update_priorities(now=200)  # 0.5 * 0.25 + 2 * 0.75
    assert acct.real_priority("u@x") == pytest.approx(1.625)
    assert acct.accumulated_usage("u@x") == 200.0
    assert acct.customers["u@x"]["WeightedAccumulatedUsage"] == 400.0


def test_matches_between_updates_are_charged_for_their_time():
    acct = Accountant(half_life=100.0, now=0)
    acct.add_match("u@x", "slot1@h", weight=1.0, now=50)
    acct.update_priorities(now=100)  # held half the interval: recent usage 0.5
    assert acct.real_priority("u@x") == pytest.approx(0.5 * 0.5 + 0.5 * 0.5)
    assert acct.accumulated_usage("u@x") == 50.0
    assert acct.customers["u@x"]["BeginUsageTime"] == 100
    assert acct.customers["u@x"]["LastUsageTime"] == 100
    acct.remove_match("slot1@h", now=150)
    assert acct.resources_used("u@x") == 0
    acct.update_priorities(now=200)
    assert acct.accumulated_usage("u@x") == 100.0
    assert acct.real_priority("u@x") == pytest.approx(0.5)  # 0.5*0.5 + 0.5*0.5
    # The root group carries everyone's usage.
    assert acct.accumulated_usage(ROOT_GROUP) == 100.0


def test_priority_never_drops_below_the_floor_and_clock_skew_is_ignored():
    acct = Accountant(half_life=1.0, now=100)
    acct.set_priority("u@x", 3.0)
    acct.update_priorities(now=50)  # the clock went back: nothing charged
    assert acct.real_priority("u@x") == 3.0
    acct.update_priorities(now=10050)
    assert acct.real_priority("u@x") == 0.5


def test_check_matches_follows_the_slot_ads():
    acct = Accountant(now=0)
    acct.add_match("a@x", "slot1@h", now=0)
    acct.add_match("a@x", "slot2@h", now=0)
    claimed_by_b = classad.ClassAd({"Name": "slot1@h", "State": "Claimed", "RemoteUser": "b@x", "SlotWeight": 2})
    gone_idle = classad.ClassAd({"Name": "slot2@h", "State": "Unclaimed"})
    acct.check_matches([claimed_by_b, gone_idle], now=10)
    assert (acct.resources_used("a@x"), acct.resources_used("b@x")) == (0, 1)
    assert acct.weighted_resources_used("b@x") == 2.0
    assert set(acct.resources) == {"slot1@h"}


def test_accounting_ads_carry_userprio_attributes():
    acct = Accountant(now=0)
    acct.add_match("u@x", "slot1@h", now=0)
    acct.update_priorities(now=60)
    ads = {ad["Name"]: ad for ad in acct.accounting_ads("nego@h")}
    ad = ads["u@x"]
    for attr in ("Priority", "PriorityFactor", "ResourcesUsed", "WeightedResourcesUsed", "AccumulatedUsage",
                 "WeightedAccumulatedUsage", "BeginUsageTime", "LastUsageTime", "LastUpdate", "NegotiatorName"):
        assert attr in ad
    assert ad["MyType"] == "Accounting"
    assert ad["Priority"] == pytest.approx(acct.real_priority("u@x") * 1000.0)
    assert (ad["ResourcesUsed"], ad["AccumulatedUsage"], ad["IsAccountingGroup"]) == (1, 60.0, False)
    assert ads[ROOT_GROUP]["IsAccountingGroup"] is True


def test_accountant_round_trip():
    acct = Accountant(half_life=300.0, now=5)
    acct.set_priority_factor("a@x", 7.0)
    acct.add_match("a@x", "slot1@h", weight=4.0, now=5)
    acct.update_priorities(now=65)
    data = json.loads(json.dumps(acct.to_dict()))
    back = Accountant.from_dict(data)
    assert back.to_dict() == acct.to_dict()
    assert back.effective_priority("a@x") == acct.effective_priority("a@x")
    back.update_priorities(now=125)
    acct.update_priorities(now=125)
    assert back.real_priority("a@x") == acct.real_priority("a@x")
    assert Accountant.from_dict(data, half_life=10.0).half_life == 10.0
    with pytest.raises(ValueError):
        Accountant.from_dict({"customers": {}})


def test_negotiation_publishes_shares():
    result, acct = run({"a@x": [job(1)], "b@x": [job(2)]}, [slot(1), slot(2)])
    ads = {ad["Name"]: ad for ad in acct.accounting_ads()}
    assert ads["a@x"]["SubmitterShare"] == 0.5
    assert ads["a@x"]["SubmitterLimit"] == 1.0
