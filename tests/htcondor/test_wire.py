"""The pool's wire layer: sinful strings, ads as JSON, framing, and a daemon that survives bad requests."""

from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
import sys
import textwrap
import time

import pytest

import classad
import htcondor
from htcondor._adcodec import decode_ad, encode_ad
from htcondor._client import DaemonConnection, call
from htcondor._sinful import Sinful, read_address_file
from htcondor._wire import MAX_MESSAGE, WireError, decode_payload, encode_message

# -- sinful strings ---------------------------------------------------------------------------

def test_sinful_round_trip_and_parameter_order():
    text = "<127.0.0.1:9618?addrs=127.0.0.1-9618&alias=vm&noUDP&sock=schedd_1_2>"
    s = Sinful.parse(text)
    assert (s.host, s.port, s.params["sock"], s.params["noUDP"]) == ("127.0.0.1", 9618, "schedd_1_2", "")
    assert str(s) == "<127.0.0.1:9618?addrs=127.0.0.1-9618&alias=vm&noUDP&sock=schedd_1_2>"
    assert str(Sinful.parse("<127.0.0.1:1?b=1&A=2>")) == "<127.0.0.1:1?A=2&b=1>"  # capitals sort first


@pytest.mark.parametrize("bad", ["", "<>", "<127.0.0.1>", "<127.0.0.1:notaport>", "<127.0.0.1:70000>", "nohost:"])
def test_bad_sinful_strings_raise_value_errors(bad):
    with pytest.raises(htcondor.HTCondorValueError):
        Sinful.parse(bad)


def test_address_files(tmp_path):
    path = tmp_path / ".schedd_address"
    assert read_address_file(str(path)) is None
    path.write_text("<127.0.0.1:5?addrs=127.0.0.1-5>\n$CondorVersion: 24.0.24 $\n")
    assert read_address_file(str(path)) == "<127.0.0.1:5?addrs=127.0.0.1-5>"
    path.write_text("half-writ")
    assert read_address_file(str(path)) is None


# -- ads as JSON ------------------------------------------------------------------------------

AD_TEXT = """[ I = 7; Big = 9223372036854775807; R = 2.5; Inf = real("INF"); NegZero = -0.0; S = "a\\"b";
              T = true; U = undefined; E = error; L = { 1, "x", { } }; N = [ a = 1 ];
              X = MY.I * 2 + TARGET.Cpus; At = absTime("2024-03-05T09:00:00Z") ]"""


def test_every_kind_of_value_survives_encoding():
    ad = classad.ClassAd(AD_TEXT)
    data = json.loads(json.dumps(encode_ad(ad)))  # through real JSON text
    back = decode_ad(data)
    assert back.keys() == ad.keys()
    for key in ad.keys():
        assert repr(back.lookup(key)) == repr(ad.lookup(key)), key
    assert data["I"] == 7 and data["S"] == 'a"b' and data["T"] is True
    assert data["Inf"] == {"$": 'real("INF")'}


def test_projection_keeps_only_the_named_attributes_with_their_case():
    ad = classad.ClassAd("[ Owner = \"a\"; ClusterId = 3; ProcId = 0 ]")
    assert encode_ad(ad, ["clusterid", "nosuch"]) == {"ClusterId": 3}


@pytest.mark.parametrize("bad", [[], {"A": [1]}, {"A": {"$": "1 +"}}, {"A": {"x": 1}}, {"A": 2**70}, {"A": None}])
def test_malformed_encoded_ads_raise_value_errors(bad):
    with pytest.raises(ValueError):
        decode_ad(bad)


# -- framing ----------------------------------------------------------------------------------

def test_messages_are_length_prefixed_json():
    frame = encode_message({"cmd": "X", "args": {"n": 1}})
    assert struct.unpack(">I", frame[:4])[0] == len(frame) - 4
    assert decode_payload(frame[4:]) == {"cmd": "X", "args": {"n": 1}}


@pytest.mark.parametrize("payload", [b"\xff\xfe", b"not json", b"[1, 2]", b"[" * 100000])
def test_malformed_payloads_raise_wire_errors(payload):
    with pytest.raises(WireError):
        decode_payload(payload)


# -- a live daemon --------------------------------------------------------------------------

DAEMON = textwrap.dedent('''
    import classad
    from htcondor._daemon_core import Daemon, command, daemon_main
    from htcondor._errors import HTCondorValueError

    class Toy(Daemon):
        SUBSYS = "TOY"

        @command("ECHO")
        async def echo(self, request):
            return {"args": request.args, "user": request.user}

        @command("COUNT")
        async def count(self, request):
            async def ads():
                for i in range(int(request.args["n"])):
                    yield classad.ClassAd({"I": i})
            return ads()

        @command("REFUSE")
        async def refuse(self, request):
            raise HTCondorValueError("no, thank you")

        @command("CRASH")
        async def crash(self, request):
            return 1 / 0

    daemon_main(Toy)
''')


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("toy")
    (tmp / "toy.py").write_text(DAEMON)
    (tmp / "condor_config").write_text(f"LOG = {tmp}\nTOY_LOG = $(LOG)/ToyLog\n")
    env = dict(os.environ, CONDOR_CONFIG=str(tmp / "condor_config"))
    proc = subprocess.Popen([sys.executable, str(tmp / "toy.py")], env=env)
    try:
        deadline = time.monotonic() + 20
        while (address := read_address_file(str(tmp / ".toy_address"))) is None:
            assert time.monotonic() < deadline and proc.poll() is None, "the toy daemon did not start"
            time.sleep(0.02)
        yield address, proc, tmp
    finally:
        proc.terminate()
        proc.wait(10)


def test_requests_replies_and_streams(toy):
    address, _, _ = toy
    with DaemonConnection(address) as conn:
        reply = conn.request("ECHO", {"x": [1, "two"]})
        assert reply["args"] == {"x": [1, "two"]} and reply["ok"] is True
        assert reply["user"] == conn.user  # the peer's uid, not what the client claimed
        ads = list(conn.stream("COUNT", {"n": 1000}))  # several batches on one connection
        assert [ad["I"] for ad in ads] == list(range(1000))
        assert conn.request("ECHO")["args"] == {}


def test_error_replies_raise_the_named_exception(toy):
    address, _, _ = toy
    with pytest.raises(htcondor.HTCondorValueError, match="no, thank you"):
        call(address, "REFUSE")
    with pytest.raises(htcondor.HTCondorInternalError, match="CRASH"):
        call(address, "CRASH")
    with pytest.raises(htcondor.HTCondorReplyError, match="unknown command"):
        call(address, "NO_SUCH_COMMAND")


def _raw(address: str, data: bytes, shutdown: bool = True) -> bytes:
    s = Sinful.parse(address)
    with socket.create_connection((s.host, s.port), timeout=10) as sock:
        sock.sendall(data)
        if shutdown:
            sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
        return b"".join(chunks)


def test_the_daemon_survives_garbage_and_keeps_serving(toy):
    address, proc, tmp = toy
    bad = [
        b"",                                              # connect and close
        b"\x00\x00",                                      # a torn header
        struct.pack(">I", 100) + b"{}",                   # a torn message
        struct.pack(">I", MAX_MESSAGE + 1),               # too large
        struct.pack(">I", 8) + b"notjson!",
        encode_message({"cmd": 5}),                       # not a request
        encode_message({"cmd": "ECHO", "args": "x"}),
        encode_message({"cmd": "ECHO", "deadline": 1}),   # expired
        encode_message({"cmd": "ECHO", "user": ["x"]}),
        os.urandom(64),
        struct.pack(">I", 200000) + b"[" * 200000,        # nested deep enough to crash a C JSON parser
    ]
    for i in range(300):
        _raw(address, bad[i % len(bad)])
    too_big = _raw(address, struct.pack(">I", MAX_MESSAGE + 1))
    assert b"larger than the limit" in too_big
    assert proc.poll() is None
    assert call(address, "ECHO", {"still": "here"})["args"] == {"still": "here"}
    assert "ERROR handling CRASH" in (tmp / "ToyLog").read_text()
