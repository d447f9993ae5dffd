"""The collector daemon and ``htcondor.Collector``, in a pool of a master and a collector."""

from __future__ import annotations

import os
import socket
import struct
import time

import pytest

import classad
import htcondor
from htcondor._client import call
from htcondor._sinful import Sinful
from htcondor._wire import encode_message
from htcondor.personal import PersonalPool


@pytest.fixture(scope="module")
def pool(tmp_path_factory):
    before = os.environ.get("CONDOR_CONFIG")
    p = PersonalPool(local_dir=tmp_path_factory.mktemp("collector") / "pool",
                     config={"DAEMON_LIST": "MASTER COLLECTOR"})
    try:
        with p:
            # the master's first ad reaches the collector right after start-up
            deadline = time.monotonic() + 10
            while not htcondor.Collector().query(htcondor.AdTypes.Master) and time.monotonic() < deadline:
                time.sleep(0.02)
            yield p
    finally:
        if before is None:
            os.environ.pop("CONDOR_CONFIG", None)
        else:
            os.environ["CONDOR_CONFIG"] = before
        htcondor.reload_config()


def generic(name: str, **attrs) -> classad.ClassAd:
    return classad.ClassAd({"MyType": "Generic", "Name": name, **attrs})


def test_the_pool_daemons_are_in_the_collector(pool):
    c = htcondor.Collector()
    kinds = sorted(ad["MyType"] for ad in c.query(htcondor.AdTypes.Any, projection=["MyType"]))
    assert kinds == ["Collector", "Master"]
    master = c.query(htcondor.AdTypes.Master)[0]
    assert master["MyAddress"].startswith("<127.0.0.1:")
    assert master["LastHeardFrom"] <= time.time() and master["UpdateSequenceNumber"] >= 1
    assert "COLLECTOR" in master["DaemonList"]


def test_advertise_query_with_constraint_projection_and_invalidate(pool):
    c = htcondor.Collector()
    c.advertise([generic(f"g{i}", Color="red" if i % 2 else "blue", Size=i) for i in range(10)])
    red = c.query(htcondor.AdTypes.Generic, 'Color == "red" && Size > 4', ["Name", "Size"])
    assert sorted(ad["Name"] for ad in red) == ["g5", "g7", "g9"]
    assert all(sorted(ad.keys()) == ["Name", "Size"] for ad in red)
    expr = classad.ExprTree('Color == "blue"')
    assert len(c.query(htcondor.AdTypes.Generic, expr)) == 5
    c.advertise([generic("g0", Color="green", Size=0)])  # same name: replaces
    assert [ad["Color"] for ad in c.query(htcondor.AdTypes.Generic, 'Name == "g0"')] == ["green"]
    c.advertise([classad.ClassAd({"Name": "g1"})], "INVALIDATE_ADS_GENERIC")
    c.advertise([classad.ClassAd({"Requirements": classad.ExprTree("Size >= 5")})], "INVALIDATE_ADS_GENERIC")
    assert sorted(ad["Name"] for ad in c.query(htcondor.AdTypes.Generic)) == ["g0", "g2", "g3", "g4"]
    c.advertise([classad.ClassAd({"Requirements": classad.ExprTree("true")})], "INVALIDATE_ADS_GENERIC")
    assert c.query(htcondor.AdTypes.Generic) == []


def test_ads_expire_when_not_refreshed(pool):
    c = htcondor.Collector()
    c.advertise([generic("short-lived", ClassAdLifetime=1), generic("long-lived")])
    assert len(c.query(htcondor.AdTypes.Generic, 'Name == "short-lived"')) == 1
    time.sleep(1.2)
    assert [ad["Name"] for ad in c.query(htcondor.AdTypes.Generic)] == ["long-lived"]
    c.advertise([classad.ClassAd({"Name": "long-lived"})], "INVALIDATE_ADS_GENERIC")


def test_locate_and_locate_all(pool):
    c = htcondor.Collector()
    local = c.locate(htcondor.DaemonTypes.Collector)
    assert local["MyType"] == "Collector" and local["MyAddress"].startswith("<127.0.0.1:")
    master = c.locateAll(htcondor.DaemonTypes.Master)[0]
    assert set(master.keys()) <= {"MyAddress", "AddressV1", "CondorVersion", "CondorPlatform", "Name", "Machine"}
    by_name = c.locate(htcondor.DaemonTypes.Master, master["Name"].upper())  # names compare caselessly
    assert by_name["MyAddress"] == master["MyAddress"]
    with pytest.raises(htcondor.HTCondorLocateError):
        c.locate(htcondor.DaemonTypes.Schedd, "nobody@nowhere")
    located = htcondor.Collector(local)  # a Collector made from a location ad
    assert located.query(htcondor.AdTypes.Collector)
    assert pool.collector.directQuery(htcondor.DaemonTypes.Master)["MyType"] == "Master"


def test_argument_errors(pool):
    c = htcondor.Collector()
    with pytest.raises(htcondor.HTCondorValueError, match="Invalid constraint"):
        c.query(htcondor.AdTypes.Generic, "Name ==")
    with pytest.raises(TypeError):
        c.query("Generic")
    with pytest.raises(TypeError):
        c.locate("Schedd")
    with pytest.raises(htcondor.HTCondorEnumError):
        c.advertise([generic("x")], "NOT_A_COMMAND")
    with pytest.raises(TypeError):
        htcondor.Collector(5)


def test_no_collector_says_how_to_start_one():
    with pytest.raises(htcondor.HTCondorIOError, match="condor_master"):
        htcondor.Collector("127.0.0.1:1").query()


def test_the_collector_survives_bad_requests(pool):
    address = pool.collector.locate(htcondor.DaemonTypes.Collector)["MyAddress"]
    with pytest.raises(htcondor.HTCondorValueError):
        call(address, "QUERY_GENERIC_ADS", {"constraint": "a ==="})
    with pytest.raises(htcondor.HTCondorValueError):
        call(address, "UPDATE_AD_GENERIC", {"ad": {"NoName": 1}})
    with pytest.raises(htcondor.HTCondorValueError):
        call(address, "UPDATE_AD_GENERIC", {"ads": [{"Name": {"$": "1 +"}}]})
    s = Sinful.parse(address)
    bad = [b"\x00\x00\x00", struct.pack(">I", 1 << 30), os.urandom(40), encode_message({"cmd": ["x"]}),
           encode_message({"cmd": "QUERY_ANY_ADS", "args": {"projection": "Name"}}),
           encode_message({"cmd": "QUERY_ANY_ADS", "args": {"limit": "many"}}),
           encode_message({"cmd": "INVALIDATE_ADS_GENERIC", "args": {}})]
    for i in range(2000):
        with socket.create_connection((s.host, s.port), timeout=10) as sock:
            sock.sendall(bad[i % len(bad)])
            sock.shutdown(socket.SHUT_WR)
            while sock.recv(65536):
                pass
    assert htcondor.Collector().query(htcondor.AdTypes.Master)
