"""How the startd divides the machine into slots (htcondor._slots), and a pool of static slots."""

from __future__ import annotations

import re

import pytest
from daemon_process import private_pool, wait_for

import htcondor
from htcondor._slots import parse_slot_type, slot_layout

MACHINE = {"Cpus": 4, "Memory": 8192, "Disk": 1000000, "GPUs": 0}


def layout(**config):
    """The slots of ``MACHINE`` (as detected) under ``config``."""
    return slot_layout(lambda name, default=None: config.get(name, default), detected=dict(MACHINE))


def summary(specs):
    return [(s.name_prefix, s.slot_id, s.type_id, s.partitionable, s.resources["Cpus"], s.resources["Memory"],
             s.resources["Disk"]) for s in specs]


# -- parse_slot_type ------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("100%", MACHINE),
    ("50%", {"Cpus": 2, "Memory": 4096, "Disk": 500000, "GPUs": 0}),
    ("1/4", {"Cpus": 1, "Memory": 2048, "Disk": 250000, "GPUs": 0}),
    # named resources; a resource not named gets all the machine has of it
    ("cpus=2, memory=25%", {"Cpus": 2, "Memory": 2048, "Disk": 1000000, "GPUs": 0}),
    ("cpus=1, ram=512, disk=1/10", {"Cpus": 1, "Memory": 512, "Disk": 100000, "GPUs": 0}),
    ("c=3 m=1/2 d=10%", {"Cpus": 3, "Memory": 4096, "Disk": 100000, "GPUs": 0}),
    ("CPUS=1, MEM=50%", {"Cpus": 1, "Memory": 4096, "Disk": 1000000, "GPUs": 0}),
    ("cpus=1, swap=10%", {"Cpus": 1, "Memory": 8192, "Disk": 1000000, "GPUs": 0}),  # swap is not a slot resource
])
def test_parse_slot_type(text, expected):
    assert parse_slot_type(text, dict(MACHINE)) == expected


@pytest.mark.parametrize("text", ["cpus=1, bogus=3", "lots", "cpus=x", "memory=1/zero"])
def test_parse_slot_type_refuses_what_it_cannot_read(text):
    with pytest.raises(ValueError):
        parse_slot_type(text, dict(MACHINE))


# -- slot_layout ----------------------------------------------------------------------------------------


def test_by_default_one_static_slot_per_cpu():
    assert summary(layout()) == [(f"slot{n}", n, 0, False, 1, 2048, 250000) for n in (1, 2, 3, 4)]


def test_num_slots_divides_the_machine_equally():
    assert summary(layout(NUM_SLOTS=2)) == [("slot1", 1, 0, False, 2, 4096, 500000),
                                            ("slot2", 2, 0, False, 2, 4096, 500000)]


def test_num_cpus_and_memory_override_what_was_detected():
    assert summary(layout(NUM_CPUS=2, MEMORY=1000)) == [("slot1", 1, 0, False, 1, 500, 500000),
                                                        ("slot2", 2, 0, False, 1, 500, 500000)]


def test_a_slot_has_at_least_one_cpu():
    specs = layout(NUM_SLOTS=8)
    assert len(specs) == 8 and all(s.resources["Cpus"] == 1 for s in specs)


def test_typed_slots_are_numbered_in_type_order():
    specs = layout(NUM_SLOTS_TYPE_1=2, SLOT_TYPE_1="cpus=1, memory=25%",
                   NUM_SLOTS_TYPE_2=1, SLOT_TYPE_2="50%", NUM_SLOTS=3)  # NUM_SLOTS: ignored with types
    assert summary(specs) == [("slot1", 1, 1, False, 1, 2048, 1000000),
                              ("slot2", 2, 1, False, 1, 2048, 1000000),
                              ("slot3", 3, 2, False, 2, 4096, 500000)]


def test_a_partitionable_slot_holds_its_share():
    (spec,) = layout(NUM_SLOTS_TYPE_1=1, SLOT_TYPE_1="100%", SLOT_TYPE_1_PARTITIONABLE=True)
    assert spec.partitionable and spec.name_prefix == "slot1" and spec.type_id == 1
    assert spec.resources == MACHINE
    specs = layout(NUM_SLOTS_TYPE_1=1, SLOT_TYPE_1_PARTITIONABLE=True, SLOT_TYPE_1="cpus=3, memory=75%",
                   NUM_SLOTS_TYPE_2=1, SLOT_TYPE_2="cpus=1, memory=25%")
    assert summary(specs) == [("slot1", 1, 1, True, 3, 6144, 1000000), ("slot2", 2, 2, False, 1, 2048, 1000000)]


def test_zero_slots_of_a_type_fall_back_to_num_slots():
    # how a configuration that uses FEATURE : PartitionableSlot (as the default one does) asks for static slots
    specs = layout(NUM_SLOTS_TYPE_1=0, SLOT_TYPE_1="100%", SLOT_TYPE_1_PARTITIONABLE=True, NUM_SLOTS=2)
    assert summary(specs) == [("slot1", 1, 0, False, 2, 4096, 500000), ("slot2", 2, 0, False, 2, 4096, 500000)]


def test_a_bad_slot_type_raises():
    with pytest.raises(ValueError, match="bogus"):
        layout(NUM_SLOTS_TYPE_1=1, SLOT_TYPE_1="bogus=1")


# -- a pool with two static slots -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def static_pool(tmp_path_factory):
    static = {"NUM_SLOTS_TYPE_1": 0, "NUM_SLOTS": 2, "NUM_CPUS": 2}
    with private_pool(tmp_path_factory.mktemp("static") / "pool", static) as p:
        yield p


def slots(pool, constraint="true"):
    ads = pool.collector.query(htcondor.AdTypes.Startd, constraint)
    return sorted(ads, key=lambda ad: ad["Name"])


def test_two_static_slots_run_two_jobs(static_pool, tmp_path):
    ads = slots(static_pool)
    assert [re.sub("@.*", "", ad["Name"]) for ad in ads] == ["slot1", "slot2"]
    assert all(ad["SlotType"] == "Static" and ad["Cpus"] == 1 and ad["State"] == "Unclaimed" for ad in ads)
    host = ads[0]["Name"].split("@", 1)[1]

    schedd = static_pool.schedd
    sub = htcondor.Submit({"executable": "/bin/sleep", "arguments": "60", "log": str(tmp_path / "s.log")})
    cluster = schedd.submit(sub, count=3).cluster()
    running = wait_for(lambda: (lambda ads: ads if len(ads) == 2 else None)(
        schedd.query(f"ClusterId == {cluster} && JobStatus == 2", ["ProcId", "RemoteHost"])),
        what="two jobs to run")
    assert sorted(ad["RemoteHost"] for ad in running) == [f"slot1@{host}", f"slot2@{host}"]
    busy = wait_for(lambda: (lambda ads: ads if len(ads) == 2 else None)(
        slots(static_pool, 'State == "Claimed" && Activity == "Busy"')), what="both slots to be Busy")
    jobs = {f"{cluster}.{ad['ProcId']}": ad["RemoteHost"] for ad in running}
    assert {ad["JobId"]: ad["Name"] for ad in busy} == jobs
    assert len(slots(static_pool)) == 2  # a static slot is never split
    # the third job has no slot: it waits
    assert schedd.query(f"ClusterId == {cluster} && JobStatus == 1", ["ProcId"])[0]["ProcId"] == 2

    first = min(jobs)
    schedd.act(htcondor.JobAction.Remove, first)
    wait_for(lambda: schedd.query(f"ClusterId == {cluster} && ProcId == 2 && JobStatus == 2"),
             what="the third job to take the free slot")
    schedd.act(htcondor.JobAction.Remove, f"ClusterId == {cluster}")
    wait_for(lambda: (lambda ads: ads if len(ads) == 2 else None)(slots(static_pool, 'State == "Unclaimed"')),
             what="both slots to be Unclaimed again")
    assert all("JobId" not in ad and "RemoteOwner" not in ad for ad in slots(static_pool))
