"""The collector daemon and its client ``htcondor.Collector``.

Most tests run a collector alone, as a subprocess with a private
configuration; the last ones run it in a personal pool with a master.
"""

from __future__ import annotations

import getpass
import os
import socket
import struct
import time

import pytest
from daemon_process import DaemonProcess, wait_for, write_config

import classad
import htcondor
from htcondor._client import DaemonConnection, call
from htcondor._sinful import Sinful
from htcondor._wire import encode_message
from htcondor.personal import PersonalPool

HOST = htcondor.param["FULL_HOSTNAME"]




class RunningCollector(DaemonProcess):
    """A collector subprocess with its own configuration directory."""

    def __init__(self, root, **config):
        self.root = root
        self.log = root / "log"
        self.log.mkdir(parents=True)
        settings = {"LOG": str(self.log), "COLLECTOR_HOST": "127.0.0.1:0", "COLLECTOR_LOG": "$(LOG)/CollectorLog",
                    "COLLECTOR_NAME": "Test Pool", **config}
        write_config(root / "condor_config", settings)
        super().__init__("collector", root / "condor_config", self.log / ".collector_address")
        self.start()

    def client(self) -> htcondor.Collector:
        return htcondor.Collector(self.address)


@pytest.fixture(scope="module")
def collector(tmp_path_factory):
    c = RunningCollector(tmp_path_factory.mktemp("collector"), COLLECTOR_UPDATE_INTERVAL=1)
    try:
        yield c
    finally:
        c.stop()


@pytest.fixture
def clean(collector):
    """The module's collector, emptied of test ads afterwards."""
    yield collector
    for cmd in ("INVALIDATE_ADS_GENERIC", "INVALIDATE_STARTD_ADS", "INVALIDATE_SUBMITTOR_ADS",
                "INVALIDATE_SCHEDD_ADS", "INVALIDATE_MASTER_ADS"):
        call(collector.address, cmd, {"constraint": "true"})


@pytest.fixture
def use_config():
    """Point this process's configuration at a file for one test (``htcondor.Collector()``'s defaults)."""
    before = os.environ.get("CONDOR_CONFIG")

    def use(path):
        os.environ["CONDOR_CONFIG"] = str(path)
        htcondor.reload_config()

    yield use
    if before is None:
        os.environ.pop("CONDOR_CONFIG", None)
    else:
        os.environ["CONDOR_CONFIG"] = before
    htcondor.reload_config()


def generic(name: str, **attrs) -> classad.ClassAd:
    return classad.ClassAd({"MyType": "Generic", "Name": name, **attrs})


def names(ads) -> list[str]:
    return sorted(ad["Name"] for ad in ads)


# -- storing and querying ---------------------------------------------------------------------------


def test_the_collector_advertises_itself(collector):
    [ad] = collector.client().query(htcondor.AdTypes.Collector)
    assert ad["MyType"] == "Collector"
    assert ad["Name"] == f"Test Pool@{HOST}"  # COLLECTOR_NAME@host, as HTCondor names it
    assert ad["CollectorIpAddr"] == ad["MyAddress"] == collector.address
    assert ad["UpdateInterval"] == 24  # 24 x COLLECTOR_UPDATE_INTERVAL, as HTCondor publishes it
    assert {"HostsTotal", "HostsClaimed", "RunningJobs", "IdleJobs", "LastHeardFrom"} <= set(ad.keys())


def test_advertise_query_constraint_projection(clean):
    c = clean.client()
    c.advertise([generic(f"g{i}", Color="red" if i % 2 else "blue", Size=i) for i in range(10)])
    red = c.query(htcondor.AdTypes.Generic, 'Color == "red" && Size > 4', ["Name", "size"])
    assert names(red) == ["g5", "g7", "g9"]
    assert all(sorted(ad.keys()) == ["Name", "Size"] for ad in red)
    assert len(c.query(htcondor.AdTypes.Generic, classad.ExprTree('Color == "blue"'))) == 5
    assert len(c.query(htcondor.AdTypes.Generic, "Size")) == 9  # a number counts as true unless 0
    assert c.query(htcondor.AdTypes.Generic, "NoSuchAttr == 1") == []
    assert len(c.query(htcondor.AdTypes.Generic)) == 10
    # Any spans the kinds: the generic ads and the collector's own ad
    assert len(c.query(htcondor.AdTypes.Any, projection=["MyType"])) == 11


def test_same_name_replaces(clean):
    c = clean.client()
    c.advertise([generic("g0", Color="blue", Old=1)])
    c.advertise([generic("g0", Color="green")])
    [ad] = c.query(htcondor.AdTypes.Generic)
    assert ad["Color"] == "green" and "Old" not in ad
    c.advertise([generic("G0", Color="red")])  # names are compared exactly
    assert len(c.query(htcondor.AdTypes.Generic)) == 2


def test_ads_are_kept_by_kind(clean):
    c = clean.client()
    c.advertise([classad.ClassAd({"MyType": "Scheduler", "Name": "same"})], "UPDATE_SCHEDD_AD")
    c.advertise([classad.ClassAd({"MyType": "DaemonMaster", "Name": "same"})], "UPDATE_MASTER_AD")
    assert [ad["MyType"] for ad in c.query(htcondor.AdTypes.Schedd)] == ["Scheduler"]
    assert [ad["MyType"] for ad in c.query(htcondor.AdTypes.Master)] == ["DaemonMaster"]
    assert c.query(htcondor.AdTypes.Startd) == []


def test_submitter_ads_are_kept_per_schedd(clean):
    c = clean.client()
    ads = [classad.ClassAd({"MyType": "Submitter", "Name": "alice@example", "ScheddName": schedd,
                            "RunningJobs": n, "IdleJobs": 1}) for schedd, n in (("s1", 2), ("s2", 3))]
    c.advertise(ads, "UPDATE_SUBMITTOR_AD")
    assert sorted(ad["ScheddName"] for ad in c.query(htcondor.AdTypes.Submitter)) == ["s1", "s2"]
    # the collector's own ad sums the submitters' jobs (it is refreshed every second here)
    wait_for(lambda: c.query(htcondor.AdTypes.Collector, "RunningJobs == 5 && IdleJobs == 2"),
             what="the collector ad to count the submitters' jobs")


def test_the_collector_stamps_what_it_stores(clean):
    c = clean.client()
    before = int(time.time())
    c.advertise([generic("seq", UpdateSequenceNumber=1)])
    [ad] = c.query(htcondor.AdTypes.Generic)
    assert before <= ad["LastHeardFrom"] <= time.time()
    assert ad["AuthenticatedIdentity"] == f"{getpass.getuser()}@family"
    assert ad["AuthenticationMethod"] == "FAMILY"
    assert (ad["UpdatesTotal"], ad["UpdatesSequenced"], ad["UpdatesLost"]) == (1, 0, 0)
    assert ad["UpdatesHistory"] == "0" * 32
    c.advertise([generic("seq", UpdateSequenceNumber=4)])  # updates 2 and 3 never came
    [ad] = c.query(htcondor.AdTypes.Generic)
    assert (ad["UpdatesTotal"], ad["UpdatesSequenced"], ad["UpdatesLost"]) == (4, 1, 2)
    assert ad["UpdatesHistory"] == "0" * 31 + "6"  # the two lost ones, then the one received
    c.advertise([generic("unnumbered")])
    c.advertise([generic("unnumbered")])
    assert c.query(htcondor.AdTypes.Generic, 'Name == "unnumbered"')[0]["UpdateSequenceNumber"] == 2


def test_slots_the_collector_ad_counts_and_merge(clean):
    c = clean.client()
    slots = [classad.ClassAd({"MyType": "Machine", "Name": f"slot{i}@host", "Machine": "host", "State": state})
             for i, state in enumerate(["Unclaimed", "Claimed", "Claimed", "Owner"], 1)]
    c.advertise(slots, "UPDATE_STARTD_AD")
    assert names(c.query(htcondor.AdTypes.Slot)) == ["slot1@host", "slot2@host", "slot3@host", "slot4@host"]
    wait_for(lambda: c.query(htcondor.AdTypes.Collector,
                             "HostsTotal == 4 && HostsClaimed == 2 && HostsUnclaimed == 1 && HostsOwner == 1"),
             what="the collector ad to count the slots")
    c.advertise([classad.ClassAd({"Name": "slot1@host", "Extra": 7})], "MERGE_STARTD_AD")
    [merged] = c.query(htcondor.AdTypes.Startd, 'Name == "slot1@host"')
    assert merged["Extra"] == 7 and merged["State"] == "Unclaimed"


def test_limit(clean):
    c = clean.client()
    c.advertise([generic(f"g{i}") for i in range(20)])
    with DaemonConnection(clean.address) as conn:
        assert len(list(conn.stream("QUERY_GENERIC_ADS", {"limit": 3}))) == 3
        assert len(list(conn.stream("QUERY_GENERIC_ADS", {"limit": 0}))) == 20  # 0: no limit
        assert len(list(conn.stream("QUERY_ANY_ADS", {"limit": 5, "projection": ["Name"]}))) == 5


def test_queries_stream_in_batches(clean):
    c = clean.client()
    c.advertise([generic(f"g{i:04d}", Payload="x" * 100) for i in range(1200)])
    assert len(c.query(htcondor.AdTypes.Generic, projection=["Name"])) == 1200


# -- invalidation and expiry -----------------------------------------------------------------------


def test_invalidate_by_name_and_by_requirements(clean):
    c = clean.client()
    c.advertise([generic(f"g{i}", Size=i) for i in range(6)])
    c.advertise([classad.ClassAd({"Name": "g1"})], "INVALIDATE_ADS_GENERIC")
    c.advertise([classad.ClassAd({"Requirements": classad.ExprTree("Size >= 4")})], "INVALIDATE_ADS_GENERIC")
    assert names(c.query(htcondor.AdTypes.Generic)) == ["g0", "g2", "g3"]
    c.advertise([classad.ClassAd({"Other": 1})], "INVALIDATE_ADS_GENERIC")  # neither: ignored, as HTCondor does
    assert len(c.query(htcondor.AdTypes.Generic)) == 3
    c.advertise([{"Requirements": classad.ExprTree("true")}], "invalidate_ads_generic")  # dicts; any case
    assert c.query(htcondor.AdTypes.Generic) == []


def test_invalidating_slots_drops_their_private_ads(clean):
    ad = {"MyType": "Machine", "Name": "slot1@host"}
    call(clean.address, "UPDATE_STARTD_AD", {"ad": ad})
    call(clean.address, "UPDATE_STARTD_AD_PRIVATE", {"ad": {**ad, "Capability": "secret"}})
    c = clean.client()
    assert [a["Capability"] for a in c.query(htcondor.AdTypes.StartdPrivate)] == ["secret"]
    assert all("Capability" not in a for a in c.query(htcondor.AdTypes.Any))  # private ads are not "any" ads
    c.advertise([classad.ClassAd({"Name": "slot1@host"})], "INVALIDATE_STARTD_ADS")
    assert c.query(htcondor.AdTypes.Startd) == [] and c.query(htcondor.AdTypes.StartdPrivate) == []


def test_an_ad_expires_after_its_lifetime(clean):
    c = clean.client()
    c.advertise([generic("short-lived", ClassAdLifetime=1), generic("long-lived")])
    assert names(c.query(htcondor.AdTypes.Generic)) == ["long-lived", "short-lived"]
    wait_for(lambda: names(c.query(htcondor.AdTypes.Generic)) == ["long-lived"], what="the ad to expire")


def test_classad_lifetime_from_the_configuration(tmp_path):
    short = RunningCollector(tmp_path, CLASSAD_LIFETIME=1)
    try:
        c = short.client()
        c.advertise([generic("g")])
        assert len(c.query(htcondor.AdTypes.Generic)) == 1
        wait_for(lambda: c.query(htcondor.AdTypes.Generic) == [], what="the ad to expire")
        wait_for(lambda: "Expired the Generic ad of g" in (short.log / "CollectorLog").read_text(),
                 what="the expiry to be logged")
        assert len(c.query(htcondor.AdTypes.Collector)) == 1  # the collector's own ad does not expire
        c.advertise([generic("g")])  # a refresh brings it back
        assert len(c.query(htcondor.AdTypes.Generic)) == 1
    finally:
        short.stop()


# -- locating ---------------------------------------------------------------------------------------


def test_locate_and_locate_all(clean):
    c = clean.client()
    c.advertise([classad.ClassAd({"MyType": "Scheduler", "Name": f"schedd{i}@host", "Machine": "host",
                                  "MyAddress": f"<127.0.0.1:{4000 + i}>", "TotalIdleJobs": 0})
                 for i in range(3)], "UPDATE_SCHEDD_AD")
    located = c.locateAll(htcondor.DaemonTypes.Schedd)
    assert names(located) == ["schedd0@host", "schedd1@host", "schedd2@host"]
    assert set(located[0].keys()) == {"MyAddress", "Name", "Machine", "MyType"}  # of the attributes locate asks for
    one = c.locate(htcondor.DaemonTypes.Schedd, "SCHEDD1@HOST")  # names compare without regard to case
    assert one["MyAddress"] == "<127.0.0.1:4001>" and "TotalIdleJobs" not in one
    with pytest.raises(htcondor.HTCondorLocateError, match="Unable to find daemon"):
        c.locate(htcondor.DaemonTypes.Schedd, "nobody@nowhere")
    # with no name, a Collector made for a given pool returns the first such daemon's whole ad
    assert "TotalIdleJobs" in c.locate(htcondor.DaemonTypes.Schedd)
    with pytest.raises(htcondor.HTCondorLocateError):
        c.locate(htcondor.DaemonTypes.Negotiator)


def test_a_collector_from_a_location_ad_and_direct_query(collector):
    located = collector.client().locate(htcondor.DaemonTypes.Collector, f"Test Pool@{HOST}")
    again = htcondor.Collector(located)
    assert again.query(htcondor.AdTypes.Collector)[0]["Name"] == f"Test Pool@{HOST}"
    direct = again.directQuery(htcondor.DaemonTypes.Collector, projection=["Name", "HostsTotal"])
    assert sorted(direct.keys()) == ["HostsTotal", "Name"]


def test_the_default_collector_comes_from_the_configuration(collector, use_config):
    use_config(collector.config_file)
    c = htcondor.Collector()
    assert c.query(htcondor.AdTypes.Collector)[0]["MyAddress"] == collector.address
    local = c.locate(htcondor.DaemonTypes.Collector)  # the local daemon, from its address file
    assert local["MyAddress"] == collector.address
    assert local["MyType"] == "Collector" and local["Machine"] == HOST
    assert local["Name"] == f"Test Pool@{HOST}"
    assert set(local.keys()) == {"MyAddress", "Name", "Machine", "MyType", "CondorVersion", "CondorPlatform"}
    with pytest.raises(htcondor.HTCondorLocateError, match="Unable to locate local daemon"):
        c.locate(htcondor.DaemonTypes.Schedd)


def test_a_list_of_collectors_is_tried_in_turn(collector):
    c = htcondor.Collector(["127.0.0.1:1", collector.address])
    assert c.query(htcondor.AdTypes.Collector)


def test_a_collector_host_without_port_uses_the_address_file(collector, tmp_path, use_config):
    config = tmp_path / "condor_config"
    config.write_text(f"LOG = {collector.log}\nCOLLECTOR_HOST = 127.0.0.1\n")
    use_config(config)
    assert htcondor.Collector().query(htcondor.AdTypes.Collector)


# -- errors ----------------------------------------------------------------------------------------


def test_argument_errors(collector):
    c = collector.client()
    with pytest.raises(htcondor.HTCondorValueError, match="Invalid constraint"):
        c.query(htcondor.AdTypes.Generic, "Name ==")
    with pytest.raises(htcondor.HTCondorValueError, match="Invalid constraint"):
        c.query(htcondor.AdTypes.Generic, ["Name"])
    with pytest.raises(TypeError):
        c.query("Generic")
    with pytest.raises(TypeError):
        c.query(htcondor.AdTypes.Generic, "true", "Name")
    with pytest.raises(TypeError):
        c.locate("Schedd")
    with pytest.raises(htcondor.HTCondorEnumError, match="Unknown daemon type"):
        c.locateAll(htcondor.DaemonTypes.Any)
    with pytest.raises(htcondor.HTCondorEnumError, match="Invalid command NOT_A_COMMAND"):
        c.advertise([generic("x")], "NOT_A_COMMAND")
    with pytest.raises(NotImplementedError):
        c.advertise([generic("x")], "UPDATE_STARTD_AD_WITH_ACK")
    with pytest.raises(TypeError):
        c.advertise([5])
    with pytest.raises(htcondor.HTCondorValueError, match="needs a Name"):
        c.advertise([classad.ClassAd({"MyType": "Generic"})])
    with pytest.raises(TypeError):
        htcondor.Collector(5)
    assert c.advertise([]) is None


def test_no_collector_says_how_to_start_one(use_config, tmp_path):
    with pytest.raises(htcondor.HTCondorIOError, match="no collector answers at 127.0.0.1:1.*condor_master"):
        htcondor.Collector("127.0.0.1:1").query()
    with pytest.raises(htcondor.HTCondorIOError, match="PersonalPool"):
        htcondor.Collector("127.0.0.1:1").advertise([generic("x")])
    empty = tmp_path / "empty_config"
    empty.write_text("")
    use_config(empty)
    with pytest.raises(htcondor.HTCondorLocateError, match="Unable to determine collector host"):
        htcondor.Collector().query()


def _exchange(address: str, payload: bytes) -> bytes:
    """Send raw bytes, close the sending side, and read whatever the collector answers before it hangs up."""
    s = Sinful.parse(address)
    with socket.create_connection((s.host, s.port), timeout=10) as sock:
        sock.sendall(payload)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


BAD_REQUESTS = [
    os.urandom(40),                                   # garbage
    b"\x00\x00",                                      # a truncated length prefix
    struct.pack(">I", 100) + b'{"cmd": "QUE',        # a truncated message
    struct.pack(">I", 1 << 31),                       # a huge declared length
    struct.pack(">I", 5) + b"[1,2]",                  # JSON, but not an object
    encode_message({"cmd": ["x"]}),                   # a command that is not a string
    encode_message({"cmd": "NO_SUCH_COMMAND", "args": {}}),
    encode_message({"cmd": "QUERY_ANY_ADS", "args": {"constraint": "a ==="}}),
    encode_message({"cmd": "QUERY_ANY_ADS", "args": {"constraint": 5}}),
    encode_message({"cmd": "QUERY_ANY_ADS", "args": {"projection": "Name"}}),
    encode_message({"cmd": "QUERY_ANY_ADS", "args": {"limit": "many"}}),
    encode_message({"cmd": "INVALIDATE_ADS_GENERIC", "args": {}}),
    encode_message({"cmd": "UPDATE_AD_GENERIC", "args": {"ad": {"NoName": 1}}}),
    encode_message({"cmd": "UPDATE_AD_GENERIC", "args": {"ads": [{"Name": {"$": "1 +"}}]}}),
    encode_message({"cmd": "UPDATE_AD_GENERIC", "args": {"ads": "not a list"}}),
]


@pytest.mark.parametrize("payload", BAD_REQUESTS, ids=range(len(BAD_REQUESTS)))
def test_a_bad_request_gets_an_error_or_a_closed_connection(collector, payload):
    answer = _exchange(collector.address, payload)
    if answer:
        assert b'"ok": false' in answer.replace(b'"ok":false', b'"ok": false')
    assert collector.client().query(htcondor.AdTypes.Collector)


def test_bad_requests_name_the_error(collector):
    with pytest.raises(htcondor.HTCondorValueError, match="Invalid constraint"):
        call(collector.address, "QUERY_GENERIC_ADS", {"constraint": "a ==="})
    with pytest.raises(htcondor.HTCondorReplyError, match="unknown command"):
        call(collector.address, "NO_SUCH_COMMAND", {})
    with pytest.raises(htcondor.HTCondorValueError):
        call(collector.address, "UPDATE_AD_GENERIC", {"ads": [{"Name": "ok"}, {"NoName": 1}]})
    assert collector.client().query(htcondor.AdTypes.Generic, 'Name == "ok"') == []  # all or nothing


# (thousands more: tests/htcondor/test_daemon_robustness.py)


# -- in a pool ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pool(tmp_path_factory):
    before = os.environ.get("CONDOR_CONFIG")
    p = PersonalPool(local_dir=tmp_path_factory.mktemp("pool") / "pool", config={"DAEMON_LIST": "MASTER COLLECTOR"})
    try:
        with p:
            wait_for(lambda: htcondor.Collector().query(htcondor.AdTypes.Master), what="the master's ad")
            yield p
    finally:
        if before is None:
            os.environ.pop("CONDOR_CONFIG", None)
        else:
            os.environ["CONDOR_CONFIG"] = before
        htcondor.reload_config()


def test_the_pool_daemons_are_in_the_collector(pool):
    c = pool.collector
    kinds = sorted(ad["MyType"] for ad in c.query(htcondor.AdTypes.Any, projection=["MyType"]))
    assert kinds == ["Collector", "DaemonMaster"]
    master = c.query(htcondor.AdTypes.Master)[0]
    assert master["MyAddress"].startswith("<127.0.0.1:")
    assert master["UpdateSequenceNumber"] >= 1 and master["LastHeardFrom"] <= time.time()
    # the master answers no query itself: directQuery falls back on the collector's copy of its ad
    assert c.directQuery(htcondor.DaemonTypes.Master)["Name"] == master["Name"]
    assert c.locate(htcondor.DaemonTypes.Master, master["Name"])["MyAddress"] == master["MyAddress"]
