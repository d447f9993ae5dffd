"""Bad requests thrown at a live schedd and a live collector.

Issue 4 asks that bad requests (garbage bytes, truncated messages, huge
messages, bad constraints, unknown commands) get an error reply or a closed
connection while the daemon stays up and keeps serving.  One test here throws
more than 5,000 of them at each daemon, in batches; after every batch the
daemon must still answer a good query, and at the end the schedd's queue (and
the collector's store) must hold exactly what was legitimately committed in
between -- no bad request may leave anything behind.

Requests that keep the connection open (well-formed messages with wrong
arguments) are pipelined on one connection so the test is fast; those that
close it (malformed frames) each get their own connection.
"""

from __future__ import annotations

import json
import random
import socket
import struct
import time

import pytest
from daemon_process import DaemonProcess, write_config

import classad
import htcondor
import htcondor._errors as errors
from htcondor._daemons.collector import Collector as CollectorDaemon
from htcondor._daemons.schedd import Schedd as ScheddDaemon
from htcondor._errors import HTCondorException
from htcondor._schedd import Schedd
from htcondor._sinful import Sinful
from htcondor._wire import MAX_MESSAGE, decode_payload

BATCHES = 12  # per daemon; each batch is a few hundred bad requests
MIN_BAD = 5000  # per daemon (issue 4: at least 10,000 in all)

# commands that would stop the daemon: not thrown even when they come to exist
_STOPPING = ("OFF", "SHUTDOWN", "RESTART")


def _commands(cls) -> list[str]:
    """Every command the daemon class registers a handler for."""
    found = set()
    for name in dir(cls):
        found.update(getattr(getattr(cls, name, None), "_commands", ()))
    return sorted(c for c in found if not any(word in c for word in _STOPPING))


# every argument name any handler of either daemon reads (a command gets all of them, one at a time)
ARG_NAMES = ["constraint", "projection", "limit", "opts", "server_time", "match", "since", "ids", "action",
             "reason", "reason_subcode", "attrs", "flags", "continue_txn", "cluster", "cluster_ad", "procs",
             "ad", "ads", "name"]

# values of every JSON type, chosen so that none means something valid for the argument it replaces
WRONG = [None, True, False, -1, 2 ** 70, -(2 ** 70), 1.5, float("1e300"), "", "(((", "x" * 3000, "\u0000\ud7ff",
         [], [1, "a", None], [[[[]]]], [{"$": "1 +"}], {}, {"$": "1 +"}, {"a": {"b": {"c": []}}},
         {"Name": 5}, {"Name": ""}, {"Name": {"$": "1 +"}}, [{"Name": {"$": "1 +"}}], ["999999.0", 7]]

# (the deep ones that parse are false: an INVALIDATE with a true one would legitimately remove every ad)
BAD_CONSTRAINTS = ["(((", "a ===", "1 +", '"unterminated', "[", "x[", "\u00e9\u00e8 ?? ::", "a" * 100000,
                   "(" * 5000 + "false" + ")" * 5000, "-" * 20000 + "0", "!" * 20000 + "false",
                   "1 " + "+ 1 " * 20000 + "+",
                   "strcat(" * 3000 + '"a"' + ")" * 3000, "{" * 5000, "\x00", "ifThenElse(", "a.b.c.d.e.f." * 500]
BAD_PROJECTIONS = ["Name", 5, [5], [None], [["Name"]], {"Name": 1}, [{}], ["Name", 1.5]]


def _frame(message) -> bytes:
    payload = json.dumps(message, separators=(",", ":")).encode()
    return struct.pack(">I", len(payload)) + payload


def _request(cmd, args=None, **fields) -> dict:
    message = {"cmd": cmd, "user": "nobody", "deadline": time.time() + 60, "args": {} if args is None else args}
    message.update(fields)
    return message


class Wire:
    """Raw exchanges with a daemon at ``address``."""

    def __init__(self, address: str):
        sinful = Sinful.parse(address)
        self.host, self.port = sinful.host, sinful.port
        self.internal_errors: list[str] = []

    def connect(self) -> socket.socket:
        sock = socket.create_connection((self.host, self.port), timeout=20)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    @staticmethod
    def _read_exactly(sock, size: int) -> bytes | None:
        data = bytearray()
        while len(data) < size:
            chunk = sock.recv(size - len(data))
            if not chunk:
                return None
            data += chunk
        return bytes(data)

    def read_reply(self, sock) -> dict | None:
        """The final message of one reply (streamed ads are read past), or None when the daemon hung up."""
        while True:
            header = self._read_exactly(sock, 4)
            if header is None:
                return None
            payload = self._read_exactly(sock, struct.unpack(">I", header)[0])
            assert payload is not None, "the daemon hung up inside a message"
            message = decode_payload(payload, from_daemon=True)
            if "ads" in message and "ok" not in message:
                continue
            self.check_reply(message)
            return message

    def check_reply(self, reply: dict) -> None:
        assert isinstance(reply.get("ok"), bool), reply
        if not reply["ok"]:
            cls = getattr(errors, str(reply.get("error")), None)
            assert isinstance(cls, type) and issubclass(cls, HTCondorException), reply
            if reply["error"] == "HTCondorInternalError":
                self.internal_errors.append(reply.get("message", ""))

    def closing(self, payload: bytes) -> None:
        """Send ``payload`` on a fresh connection, close our side, and check what comes back before EOF."""
        with self.connect() as sock:
            try:
                sock.sendall(payload)
                sock.shutdown(socket.SHUT_WR)
            except (BrokenPipeError, ConnectionResetError):
                return  # the daemon refused it early and hung up: a closed connection is an answer
            try:
                while self.read_reply(sock) is not None:
                    pass
            except ConnectionResetError:
                pass

    def pipeline(self, sock, messages: list[dict]) -> list[dict]:
        """Send ``messages`` in one go on an open connection; return one reply for each."""
        sock.sendall(b"".join(_frame(m) for m in messages))
        replies = []
        for message in messages:
            reply = self.read_reply(sock)
            assert reply is not None, f"the daemon hung up after {message['cmd']}"
            replies.append(reply)
        return replies


# -- bad frames: each closes its connection ----------------------------------------------------------------

def _nested(rng: random.Random) -> bytes:
    depth = rng.choice([65, 200, 5000, 200000])
    kind = rng.randrange(6)
    if kind == 0:
        return b"[" * depth + b"]" * depth
    if kind == 1:
        return b'{"a":' * depth + b"1" + b"}" * depth
    if kind == 2:
        return b'{"cmd":"QUERY_ANY_ADS","args":{"constraint":' + b"[" * depth + b"]" * depth + b"}}"
    if kind == 3:
        return b"[" * depth  # never closed
    if kind == 4:
        # escaped quotes with no closing one, after enough brackets to be checked
        return b"[" * 70 + b'"' + b'\\"' * rng.choice([10, 50000])
    return b'{"cmd":"X","args":' + b'{"a":[' * depth + b"]}" * depth + b"}"


def _malformed_request(rng: random.Random) -> dict:
    good = _request("QUERY_JOB_ADS")
    field = rng.choice(["cmd", "args", "deadline", "user", "missing cmd"])
    if field == "missing cmd":
        del good["cmd"]
        return good
    good[field] = rng.choice([v for v in WRONG + [10 ** 400] if not isinstance(v, str) or field != "user"])
    if field == "args" and isinstance(good["args"], dict):
        good["args"] = "not an object"
    if field == "deadline" and isinstance(good["deadline"], (int, float)) and not isinstance(good["deadline"], bool) \
            and good["deadline"] < 1e300:
        good["deadline"] = "tomorrow"
    return good


def bad_frame(rng: random.Random, commands: list[str]) -> bytes:
    """One malformed frame (or a frame cut short, or one announcing more than the limit)."""
    kind = rng.randrange(9)
    if kind == 0:
        return rng.randbytes(rng.randint(1, 300))
    if kind == 1:  # a good message cut short, possibly inside its header
        frame = _frame(_request(rng.choice(commands), {"constraint": "true"}))
        return frame[:rng.randrange(1, len(frame))]
    if kind == 2:  # a length prefix over the limit
        return struct.pack(">I", rng.randint(MAX_MESSAGE + 1, 2 ** 32 - 1)) + rng.randbytes(rng.randint(0, 64))
    if kind == 3:  # a length prefix promising more than ever comes
        body = _frame(_request(rng.choice(commands)))[4:]
        return struct.pack(">I", len(body) + rng.randint(1, 1 << 20)) + body
    if kind == 4:  # JSON, but not an object
        payload = rng.choice([b"[]", b"[1,2]", b"1", b'"QUERY_JOB_ADS"', b"null", b"true", b"1.5", b"NaN",
                              b"-Infinity", b"", b" ", b"{", b"}", b'{"cmd":}', b"9" * 5000])
        return struct.pack(">I", len(payload)) + payload
    if kind == 5:
        payload = _nested(rng)
        return struct.pack(">I", len(payload)) + payload
    if kind == 6:  # not UTF-8
        payload = b'{"cmd":"' + rng.randbytes(8).replace(b'"', b"x") + b'\xff\xfe"}'
        return struct.pack(">I", len(payload)) + payload
    if kind == 7:
        return _frame(_malformed_request(rng))
    # good messages, then garbage on the same connection
    return _frame(_request(rng.choice(commands), {"limit": 1})) + rng.randbytes(rng.randint(5, 50))


# -- bad arguments: the connection stays open --------------------------------------------------------------

def _bases(daemon: str) -> dict[str, dict]:
    """Arguments that make a command harmless (it finds no job), to vary one at a time."""
    if daemon == "schedd":
        return {"ACT_ON_JOBS": {"action": 1, "ids": ["999999.0"]},
                "EDIT_JOBS": {"attrs": {"FuzzEdit": "1"}, "ids": ["999999.0"]},
                "QUERY_JOB_ADS": {"constraint": "false"}, "QUERY_HISTORY": {"constraint": "false"}}
    return {cmd: {"constraint": "false"} for cmd in _commands(CollectorDaemon) if cmd.startswith("QUERY_")}


def bad_requests(rng: random.Random, commands: list[str], bases: dict[str, dict], n: int) -> list[dict]:
    """``n`` well-formed requests, each wrong in one way."""
    out = []
    while len(out) < n:
        kind = rng.randrange(6)
        cmd = rng.choice(commands)
        if kind == 0:  # a wrong value for one argument, over the harmless base
            args = dict(bases.get(cmd, {}))
            args[rng.choice(ARG_NAMES)] = rng.choice(WRONG)
            out.append(_request(cmd, args))
        elif kind == 1:  # arguments entirely of the wrong kind
            out.append(_request(cmd, {rng.choice(ARG_NAMES + ["x", ""]): rng.choice(WRONG) for _ in range(3)}))
        elif kind == 2:
            args = dict(bases.get(cmd, {}))
            args["constraint"] = rng.choice(BAD_CONSTRAINTS)
            out.append(_request(cmd, args))
        elif kind == 3:
            args = dict(bases.get(cmd, {}))
            args["projection"] = rng.choice(BAD_PROJECTIONS)
            out.append(_request(cmd, args))
        elif kind == 4:
            name = rng.choice(["", "NO_SUCH_COMMAND", "query_job_ads", cmd + " ", "\u2603", "X" * 5000,
                               cmd.lower(), "DAEMON_OFF_NOT", "__init__", "handlers", "0"])
            out.append(_request(name, {"constraint": "true"}))
        else:  # a deadline already past, for a real command with good arguments
            out.append(_request(cmd, dict(bases.get(cmd, {})), deadline=time.time() - rng.uniform(0.001, 1e6)))
    return out


# -- the daemons -------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def live_schedd(tmp_path_factory):
    root = tmp_path_factory.mktemp("schedd")
    write_config(root / "condor_config", {
        "LOCAL_DIR": str(root), "LOG": "$(LOCAL_DIR)/log", "SPOOL": "$(LOCAL_DIR)/spool",
        "SCHEDD_LOG": "$(LOG)/SchedLog", "SCHEDD_ADDRESS_FILE": "$(LOG)/.schedd_address",
        "COLLECTOR_ADDRESS_FILE": "$(LOG)/.collector_address", "PERIODIC_EXPR_INTERVAL": "60",
        "SCHEDD_INTERVAL": "60", "SCHEDD_FSYNC": "false"})
    daemon = DaemonProcess("schedd", root / "condor_config", root / "log" / ".schedd_address")
    daemon.start()
    try:
        yield daemon
    finally:
        daemon.stop()


@pytest.fixture(scope="module")
def live_collector(tmp_path_factory):
    root = tmp_path_factory.mktemp("collector")
    (root / "log").mkdir()
    write_config(root / "condor_config", {"LOG": str(root / "log"), "COLLECTOR_HOST": "127.0.0.1:0",
                                          "COLLECTOR_LOG": "$(LOG)/CollectorLog"})
    daemon = DaemonProcess("collector", root / "condor_config", root / "log" / ".collector_address")
    daemon.start()
    try:
        yield daemon
    finally:
        daemon.stop()


def _half_open_transaction(wire: Wire, rng: random.Random, marker: str) -> int:
    """Stage jobs (and wrong arguments) in a transaction, then leave without committing; return requests sent."""
    sock = wire.connect()
    try:
        begin, new = wire.pipeline(sock, [_request("QMGMT_BEGIN"), _request("NEW_CLUSTER")])
        assert begin["ok"] and new["ok"], (begin, new)
        cluster = new["cluster"]
        staged = [_request("SUBMIT_PROCS", {"cluster": cluster, "cluster_ad": {"Cmd": "/bin/true", "Marker": marker},
                                            "procs": [{"Args": str(i)} for i in range(3)]}),
                  _request("SET_ATTRIBUTES", {"attrs": {"Marker": json.dumps(marker + "-edited")},
                                              "ids": [f"{cluster}.0"]})]
        wrong = []
        for _ in range(rng.randint(2, 8)):
            cmd = rng.choice(["SUBMIT_PROCS", "SET_ATTRIBUTES", "EDIT_JOBS", "NEW_CLUSTER", "QMGMT_BEGIN"])
            args = {"cluster": cluster} if cmd == "SUBMIT_PROCS" else {}
            args[rng.choice(ARG_NAMES)] = rng.choice(WRONG)
            wrong.append(_request(cmd, args))
        wire.pipeline(sock, staged + wrong)
        ending = rng.randrange(3)
        if ending == 1:
            sock.sendall(rng.randbytes(20))  # garbage instead of the commit
        elif ending == 2:
            sock.sendall(_frame(_request("QMGMT_COMMIT"))[:7])  # the commit, cut short
        return 1 + len(wrong)
    finally:
        sock.close()


def _good_schedd_query(wire: Wire) -> set[tuple[int, int]]:
    with wire.connect() as sock:
        sock.sendall(_frame(_request("QUERY_JOB_ADS", {"projection": ["ClusterId", "ProcId"]})))
        jobs = set()
        while True:
            header = Wire._read_exactly(sock, 4)
            message = decode_payload(Wire._read_exactly(sock, struct.unpack(">I", header)[0]), from_daemon=True)
            if "ads" in message:
                jobs.update((ad["ClusterId"], ad["ProcId"]) for ad in message["ads"])
                continue
            assert message["ok"], message
            return jobs


def _throw(wire: Wire, rng: random.Random, daemon: str, commands: list[str], n_open: int, n_closing: int) -> int:
    """One batch of bad requests at one daemon; returns how many were thrown."""
    bases = _bases(daemon)
    with wire.connect() as sock:
        wire.pipeline(sock, bad_requests(rng, commands, bases, n_open))
    for _ in range(n_closing):
        wire.closing(bad_frame(rng, commands))
    return n_open + n_closing


def test_bad_requests_get_an_error_or_a_closed_connection_and_the_daemons_keep_serving(live_schedd, live_collector):
    rng = random.Random(20240611)
    schedd_wire, collector_wire = Wire(live_schedd.address), Wire(live_collector.address)
    schedd_cmds = _commands(ScheddDaemon)
    collector_cmds = _commands(CollectorDaemon)
    # the QMGMT session commands are thrown on connections with no transaction open (see the half-open
    # transactions below for wrong arguments inside one); QMGMT_BEGIN would open one, so it is left out here
    schedd_open_cmds = [c for c in schedd_cmds if c != "QMGMT_BEGIN"]
    schedd = Schedd(classad.ClassAd({"MyAddress": live_schedd.address, "Name": "test"}))
    collector = htcondor.Collector(live_collector.address)
    committed: dict[tuple[int, int], str] = {}
    advertised: set[str] = set()
    thrown = {"schedd": 0, "collector": 0}
    for batch in range(BATCHES):
        # something legitimate in between, which must survive untouched
        marker = f"good-{batch}"
        cluster = schedd.submit(classad.ClassAd({"Cmd": "/bin/true", "Marker": marker, "Iwd": "/tmp"}), count=2)
        committed.update({(cluster, 0): marker, (cluster, 1): marker})
        collector.advertise([classad.ClassAd({"MyType": "Generic", "Name": marker})], "UPDATE_AD_GENERIC")
        advertised.add(marker)

        thrown["schedd"] += _throw(schedd_wire, rng, "schedd", schedd_open_cmds, 260, 150)
        for i in range(6):
            thrown["schedd"] += _half_open_transaction(schedd_wire, rng, f"half-{batch}-{i}")
        thrown["collector"] += _throw(collector_wire, rng, "collector", collector_cmds, 280, 150)

        assert live_schedd.proc.poll() is None and live_collector.proc.poll() is None
        assert _good_schedd_query(schedd_wire) == set(committed)
        assert collector.query(htcondor.AdTypes.Collector, projection=["Name"])

    # a few huge messages (under and over the limit) at each
    for wire in (schedd_wire, collector_wire):
        with wire.connect() as sock:
            big = _request("QUERY_ANY_ADS", {"constraint": "true", "projection": ["x" * 1000] * 8000})
            wire.pipeline(sock, [big, _request("NO_SUCH", {"pad": "y" * (8 << 20)})])
        wire.closing(struct.pack(">I", MAX_MESSAGE) + b"[" * (4 << 20))
        wire.closing(struct.pack(">I", MAX_MESSAGE + 1) + b"{" * (1 << 20))
    thrown["schedd"] += 4
    thrown["collector"] += 4

    assert thrown["schedd"] >= MIN_BAD and thrown["collector"] >= MIN_BAD, thrown
    assert not schedd_wire.internal_errors and not collector_wire.internal_errors, \
        (schedd_wire.internal_errors[:5], collector_wire.internal_errors[:5])
    assert live_schedd.proc.poll() is None and live_collector.proc.poll() is None
    # the queue holds exactly the committed jobs, as committed
    ads = schedd.query("true", ["ClusterId", "ProcId", "Marker", "JobStatus", "FuzzEdit"])
    assert {(ad["ClusterId"], ad["ProcId"]): ad.get("Marker") for ad in ads} == committed
    assert all(ad["JobStatus"] == 1 and "FuzzEdit" not in ad for ad in ads)
    generic = collector.query(htcondor.AdTypes.Generic, projection=["Name"])
    assert {ad["Name"] for ad in generic} == advertised
