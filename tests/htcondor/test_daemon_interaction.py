"""Interacting with the daemons: several schedds, RemoteParam, send_command, SecMan, keep-alives, tool logging."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys

import pytest
from daemon_process import wait_for

import classad
import htcondor
from htcondor._sinful import read_address_file
from htcondor.personal import PersonalPool

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ORACLE_PYTHON = os.path.join(ROOT, ".venv-oracle", "bin", "python")

# Two more schedds, configured as HTCondor's manual does it: a DAEMON_LIST entry naming the schedd
# program, a local name in its arguments, and its own name, spool, log and address file.
EXTRA_SCHEDDS = "".join(f"""
SCHEDD{n} = $(SCHEDD)
SCHEDD{n}_ARGS = -local-name schedd{n}
SCHEDD{n}.SCHEDD_NAME = schedd{n}
SCHEDD{n}.SPOOL = $(LOCAL_DIR)/spool{n}
SCHEDD{n}.SCHEDD_LOG = $(LOG)/SchedLog.schedd{n}
SCHEDD{n}.SCHEDD_ADDRESS_FILE = $(LOG)/.schedd{n}_address
DAEMON_LIST = $(DAEMON_LIST), SCHEDD{n}
""" for n in (2, 3))

RAW_CONFIG = EXTRA_SCHEDDS + """
ENABLE_RUNTIME_CONFIG = true
SETTABLE_ATTRS_ADMINISTRATOR = MY_*, SCHEDD_INTERVAL
NEGOTIATOR.ENABLE_RUNTIME_CONFIG = false
"""


def kill_pool(pool: PersonalPool) -> None:
    """Stop the pool; whatever survives a stop is killed (a test must never leave daemons behind)."""
    try:
        who = pool.who()
    except Exception:
        who = {}
    try:
        pool.stop()
    except Exception:
        pass
    for key in list(getattr(who, "keys", lambda: [])()):
        if key.endswith("_PID"):
            try:
                os.kill(int(who[key]), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass


@pytest.fixture(scope="module")
def pool(tmp_path_factory):
    before = os.environ.get("CONDOR_CONFIG")
    p = PersonalPool(local_dir=tmp_path_factory.mktemp("daemons") / "pool", config={"NUM_CPUS": "1"},
                     raw_config=RAW_CONFIG)
    try:
        yield p.start()
    finally:
        kill_pool(p)
        if before is None:
            os.environ.pop("CONDOR_CONFIG", None)
        else:
            os.environ["CONDOR_CONFIG"] = before
        htcondor.reload_config()


def master_log(pool) -> str:
    return (pool.log_dir / "MasterLog").read_text()


def child_pid(pool, name: str) -> int:
    return int(pool.who().get(f"{name}_PID", 0))


# -- enums against the official module ------------------------------------------------------------

PROBE = """
import json, htcondor
out = {}
for name in ("DaemonCommands", "LogLevel"):
    cls = getattr(htcondor, name)
    out[name] = [[key, int(m), str(m), repr(m)] for key, m in cls.names.items()]
    out[name + ".values"] = [[k, repr(m)] for k, m in cls.values.items()]
print(json.dumps(out))
"""


def describe(python: str) -> dict:
    ours = python == sys.executable
    env = dict(os.environ, CONDOR_CONFIG="/dev/null", PYTHONPATH=os.path.join(ROOT, "src") if ours else "")
    done = subprocess.run([python, "-c", PROBE], capture_output=True, text=True, env=env, check=True)
    return json.loads(done.stdout)


def test_daemon_commands_and_log_levels_agree_with_the_official_module():
    if not os.path.exists(ORACLE_PYTHON):
        pytest.fail(f"the oracle is missing: {ORACLE_PYTHON}")
    assert describe(sys.executable) == describe(ORACLE_PYTHON)


def test_log_level_terse_is_its_own_member_equal_to_always():
    assert htcondor.LogLevel.Terse == htcondor.LogLevel.Always
    assert str(htcondor.LogLevel.Terse) == "Terse" and str(htcondor.LogLevel.Always) == "Always"
    assert repr(htcondor.LogLevel(1025)) == "htcondor.htcondor.LogLevel(1025)"


# -- calls that need no pool --------------------------------------------------------------------

def test_send_command_checks_the_location_ad_as_the_official_module():
    reconfig = htcondor.DaemonCommands.Reconfig
    with pytest.raises(htcondor.HTCondorValueError, match="^Address not available in location ClassAd.$"):
        htcondor.send_command(classad.ClassAd(), reconfig)
    with pytest.raises(htcondor.HTCondorValueError, match="^Daemon type not available in location ClassAd.$"):
        htcondor.send_command(classad.ClassAd({"MyAddress": "<127.0.0.1:1>"}), reconfig)
    with pytest.raises(htcondor.HTCondorEnumError, match="^Unknown daemon type.$"):
        htcondor.send_command(classad.ClassAd({"MyAddress": "<127.0.0.1:1>", "MyType": "Master"}), reconfig)
    with pytest.raises(TypeError):
        htcondor.send_command(classad.ClassAd({"MyAddress": "<127.0.0.1:1>", "MyType": "DaemonMaster"}), 60012)
    with pytest.raises(htcondor.HTCondorIOError):
        htcondor.send_command(classad.ClassAd({"MyAddress": "<127.0.0.1:1>", "MyType": "DaemonMaster"}), reconfig)


def test_keep_alive_and_ready_state_need_a_master(monkeypatch):
    monkeypatch.delenv("CONDOR_INHERIT", raising=False)
    with pytest.raises(htcondor.HTCondorValueError, match="^No location specified and CONDOR_INHERIT not in"):
        htcondor.send_alive()
    with pytest.raises(htcondor.HTCondorValueError, match="^Address not available in location ClassAd.$"):
        htcondor.send_alive(classad.ClassAd())
    with pytest.raises(htcondor.HTCondorValueError, match="^CONDOR_INHERIT not in environment.$"):
        htcondor.set_ready_state("Ready")


def test_secman_offline_calls():
    secman = htcondor.SecMan()
    assert secman.getCommandString(60012) == "DC_RECONFIG_FULL"
    assert secman.getCommandString(453) == "RESTART"
    with pytest.raises(RuntimeError):
        secman.getCommandString(999999)
    with pytest.raises(htcondor.HTCondorEnumError, match="Unable to determine DaemonCore command value"):
        secman.ping("<127.0.0.1:1>", "NO_SUCH_COMMAND")
    with pytest.raises(htcondor.HTCondorValueError, match="^Daemon address not specified.$"):
        secman.ping(classad.ClassAd())
    with pytest.raises(htcondor.HTCondorIOError, match="^Unable to connect to daemon.$"):
        secman.ping("<127.0.0.1:1>")
    with pytest.raises(htcondor.HTCondorIOError, match="GSI"):
        secman.setGSICredential("/tmp/x509up")
    with pytest.raises(TypeError):
        secman.setToken("not a Token")


def test_remote_param_errors_before_any_daemon():
    with pytest.raises(TypeError):
        htcondor.RemoteParam("<127.0.0.1:1>")
    with pytest.raises(htcondor.HTCondorValueError, match="^Address not available in location ClassAd.$"):
        htcondor.RemoteParam(classad.ClassAd()).keys()
    with pytest.raises(htcondor.HTCondorIOError, match="^Failed to connect to daemon$"):
        htcondor.RemoteParam(classad.ClassAd({"MyAddress": "<127.0.0.1:1>"}))["SPOOL"]


def test_version_platform_and_extensions():
    assert re.fullmatch(r"\$CondorVersion: 24\.0\.24 \S+ BuildID: .+ \$", htcondor.version())
    assert re.fullmatch(r"\$CondorPlatform: \S+ \$", htcondor.platform())
    assert htcondor.enable_classad_extensions() is None
    assert htcondor.Collector("127.0.0.1:9618").location is None


# -- tool logging -------------------------------------------------------------------------------

def test_log_writes_nothing_until_enabled_then_honours_tool_debug(capsys, tmp_path):
    import htcondor._tool_log as tool_log

    monkey_state = (tool_log._sink, tool_log._sink_path, tool_log._settings)
    try:
        tool_log._sink = None
        htcondor.log(htcondor.LogLevel.Always, "silent")
        assert capsys.readouterr().err == ""
        htcondor.param["TOOL_DEBUG"] = ""
        htcondor.enable_debug()
        htcondor.log(htcondor.LogLevel.Always, "always")
        htcondor.log(htcondor.LogLevel.Status, "status")
        htcondor.log(htcondor.LogLevel.Job, "job")                  # category not enabled
        htcondor.log(htcondor.LogLevel.FullDebug, "verbose")         # verbosity not enabled
        htcondor.log(htcondor.LogLevel.Always | htcondor.LogLevel.NoHeader, "bare")
        htcondor.log(htcondor.LogLevel.Always | htcondor.LogLevel.PID, "with pid")
        err = capsys.readouterr().err.splitlines()
        stamp = r"\d\d/\d\d/\d\d \d\d:\d\d:\d\d"
        assert re.fullmatch(stamp + " always", err[0]) and re.fullmatch(stamp + " status", err[1])
        assert err[2] == "bare"
        assert re.fullmatch(stamp + rf" \(pid:{os.getpid()}\) with pid", err[3]) and len(err) == 4

        path = tmp_path / "ToolLog"
        htcondor.param["TOOL_LOG"] = str(path)
        htcondor.param["TOOL_DEBUG"] = "D_FULLDEBUG D_JOB D_PID"
        htcondor.enable_log()
        htcondor.log(htcondor.LogLevel.FullDebug, "verbose now")
        htcondor.log(htcondor.LogLevel.Job, "job now")
        htcondor.log(htcondor.LogLevel.Security, "still not security")
        assert capsys.readouterr().err == ""
        lines = path.read_text().splitlines()
        assert [line.split(") ", 1)[1] for line in lines] == ["verbose now", "job now"]
        assert all(f"(pid:{os.getpid()})" in line for line in lines)
    finally:
        tool_log._close_file()
        tool_log._sink, tool_log._sink_path, tool_log._settings = monkey_state
        htcondor.reload_config()
    with pytest.raises(TypeError):
        htcondor.log("Always", "x")


# -- several schedds ----------------------------------------------------------------------------

def full_name(local_name: str) -> str:
    """A daemon name without '@' is qualified with the host, as HTCondor names daemons."""
    return f"{local_name}@{htcondor.param['FULL_HOSTNAME']}"


def test_three_schedds_each_with_its_own_name_spool_log_and_queue(pool):
    collector = pool.collector
    names = wait_for(lambda: (lambda n: n if len(n) == 3 else None)(
        sorted(ad["Name"] for ad in collector.locateAll(htcondor.DaemonTypes.Schedd))), what="three schedd ads")
    # a SCHEDD_NAME without '@' is qualified with the host, as HTCondor names daemons
    assert [n.split("@")[0] for n in names if "@" in n] == ["schedd2", "schedd3"]
    submitted = {}
    for name in names:
        schedd = htcondor.Schedd(collector.locate(htcondor.DaemonTypes.Schedd, name))
        result = schedd.submit(htcondor.Submit({"executable": "/bin/true", "hold": "true",
                                                "+Which": classad.quote(name)}), count=2)
        submitted[name] = result.cluster()
    for name in names:
        schedd = htcondor.Schedd(collector.locate(htcondor.DaemonTypes.Schedd, name))
        jobs = schedd.query(projection=["ClusterId", "Which"])
        assert {j["Which"] for j in jobs} == {name} and len(jobs) == 2
    for n in (2, 3):
        assert (pool.local_dir / f"spool{n}" / "job_queue.log").exists()
        assert (pool.log_dir / f"SchedLog.schedd{n}").exists()
        assert read_address_file(str(pool.log_dir / f".schedd{n}_address"))
    assert "-local-name schedd3" in master_log(pool)


# -- RemoteParam --------------------------------------------------------------------------------

def test_remote_param_reads_the_daemons_own_configuration(pool):
    remote = htcondor.RemoteParam(pool.collector.locate(htcondor.DaemonTypes.Schedd, full_name("schedd2")))
    assert remote["SCHEDD_NAME"] == "schedd2"
    assert remote["SPOOL"] == str(pool.local_dir / "spool2")
    assert "SPOOL" in remote and "NO_SUCH_KNOB_HERE" not in remote
    assert remote.get("NO_SUCH_KNOB_HERE", "fallback") == "fallback"
    with pytest.raises(KeyError):
        remote["NO_SUCH_KNOB_HERE"]
    assert "LOCAL_DIR" in remote.keys() and len(remote) == len(remote.keys())
    assert dict(remote.items())["SCHEDD_NAME"] == "schedd2"
    assert isinstance(remote["UPDATE_INTERVAL"], str)


def test_remote_param_write_refused_unless_settable(pool):
    ad = pool.collector.locate(htcondor.DaemonTypes.Schedd, full_name("schedd2"))
    remote = htcondor.RemoteParam(ad)
    with pytest.raises(htcondor.HTCondorReplyError, match="^Failed to set remote daemon parameter.$"):
        remote["START_LOCAL_UNIVERSE"] = "False"
    assert 'trying to modify "START_LOCAL_UNIVERSE"' in (pool.log_dir / "SchedLog.schedd2").read_text()
    with pytest.raises(htcondor.HTCondorValueError, match="^Invalid parameter name.$"):
        remote["NOT A NAME"] = "1"
    # persistent settings are never kept
    from htcondor._client import call
    assert call(ad["MyAddress"], "DC_CONFIG_PERSIST", {"name": "MY_KNOB", "config": "MY_KNOB = 1"})["rval"] == -1
    # the negotiator's configuration says ENABLE_RUNTIME_CONFIG = false
    negotiator = htcondor.RemoteParam(pool.collector.locate(htcondor.DaemonTypes.Negotiator))
    with pytest.raises(htcondor.HTCondorReplyError):
        negotiator["MY_KNOB"] = "1"


def test_remote_param_write_takes_effect_after_reconfig_and_survives_the_next(pool):
    ad = pool.collector.locate(htcondor.DaemonTypes.Schedd, full_name("schedd2"))
    remote = htcondor.RemoteParam(ad)
    remote["MY_COLOUR"] = "blue"
    remote.refresh()
    assert "MY_COLOUR" not in remote                       # not before a reconfig
    htcondor.send_command(ad, htcondor.DaemonCommands.Reconfig)
    remote.refresh()
    assert remote["MY_COLOUR"] == "blue"
    htcondor.send_command(ad, htcondor.DaemonCommands.Reconfig)
    remote.refresh()
    assert remote["MY_COLOUR"] == "blue"
    assert remote.setdefault("MY_COLOUR", "red") == "blue"
    remote.update({"MY_SIZE": "7"})
    del remote["MY_COLOUR"]
    htcondor.send_command(ad, htcondor.DaemonCommands.Reconfig)
    remote.refresh()
    assert remote["MY_SIZE"] == "7" and "MY_COLOUR" not in remote
    # the other schedd never heard of it
    schedd3 = pool.collector.locate(htcondor.DaemonTypes.Schedd, full_name("schedd3"))
    assert "MY_SIZE" not in htcondor.RemoteParam(schedd3)


# -- send_command -------------------------------------------------------------------------------

def test_reconfig_of_the_master_signals_every_daemon_and_logs_it(pool):
    master = pool.collector.locate(htcondor.DaemonTypes.Master)
    htcondor.send_command(master, htcondor.DaemonCommands.Reconfig)
    log = master_log(pool)
    for name in ("COLLECTOR", "NEGOTIATOR", "STARTD", "SCHEDD", "SCHEDD2", "SCHEDD3"):
        assert re.search(rf"Sent SIGHUP to {name} \(pid {child_pid(pool, name)}\)", log), name


def test_daemon_off_and_on_one_daemon(pool):
    master = pool.collector.locate(htcondor.DaemonTypes.Master)
    old = child_pid(pool, "SCHEDD3")
    htcondor.send_command(master, htcondor.DaemonCommands.DaemonOff, "SCHEDD3")
    who = pool.who()
    assert who["SCHEDD3"] == "Off" and who["SCHEDD2"] == "Alive" and not who["IsReady"]
    assert "Got DAEMON_OFF from" in master_log(pool) and "turning off SCHEDD3" in master_log(pool)
    htcondor.send_command(master, htcondor.DaemonCommands.DaemonOn, "SCHEDD3")
    wait_for(lambda: pool.who()["IsReady"], what="the pool ready again")
    assert child_pid(pool, "SCHEDD3") not in (0, old)
    # the queue it had is still there
    schedd = htcondor.Schedd(pool.collector.locate(htcondor.DaemonTypes.Schedd, full_name("schedd3")))
    assert len(schedd.query(projection=["ClusterId"])) == 2
    with pytest.raises(htcondor.HTCondorReplyError, match="no daemon named"):
        htcondor.send_command(master, htcondor.DaemonCommands.DaemonOff, "NOSUCHDAEMON")


def test_off_sent_to_one_daemon_stops_it_and_the_master_restarts_it(pool):
    ad = pool.collector.locate(htcondor.DaemonTypes.Negotiator)
    old = child_pid(pool, "NEGOTIATOR")
    htcondor.send_command(ad, htcondor.DaemonCommands.OffFast)
    wait_for(lambda: child_pid(pool, "NEGOTIATOR") not in (0, old), what="a new negotiator")
    assert re.search(rf"The NEGOTIATOR \(pid {old}\) exited with status 0", master_log(pool))


def test_keep_alive_missed_kills_the_hung_daemon(pool):
    master = pool.collector.locate(htcondor.DaemonTypes.Master)
    old = child_pid(pool, "NEGOTIATOR")
    htcondor.send_alive(master, pid=old, timeout=1)
    wait_for(lambda: child_pid(pool, "NEGOTIATOR") not in (0, old), what="the hung negotiator replaced")
    assert f"Child pid {old} (NEGOTIATOR) appears hung! Killing it hard." in master_log(pool)
    with pytest.raises(htcondor.HTCondorReplyError):
        htcondor.send_alive(master, pid=1, timeout=5)


# -- SecMan.ping --------------------------------------------------------------------------------

def test_ping_describes_the_session(pool):
    import getpass

    ad = pool.collector.locate(htcondor.DaemonTypes.Schedd, full_name("schedd2"))
    secman = htcondor.SecMan()
    session = secman.ping(ad)
    assert session["AuthMethods"] == "FS" and session["AuthorizationSucceeded"] is True
    assert session["MyRemoteUserName"].split("@")[0] == getpass.getuser()
    valid = [int(n) for n in session["ValidCommands"].split(",")]
    assert 60011 in valid and 60007 in valid and 60025 not in valid   # DC_NOP_CONFIG needs ALLOW_CONFIG
    assert secman.ping(ad, "DC_NOP_CONFIG")["AuthorizationSucceeded"] is False
    assert secman.ping(ad, 60023)["AuthorizationSucceeded"] is True   # ADMINISTRATOR from 127.0.0.1
    assert secman.ping(ad["MyAddress"])["Sid"] == session["Sid"]
    secman.invalidateAllSessions()
    assert secman.ping(ad)["Sid"] != session["Sid"]
    with htcondor.SecMan() as tagged:
        tagged.setTag("other")
        assert tagged.ping(ad)["Sid"] != secman.ping(ad)["Sid"]
        tagged.setConfig("SEC_CLIENT_AUTHENTICATION_METHODS", "TOKEN")
        with pytest.raises(htcondor.HTCondorIOError, match="authentication method"):
            tagged.ping(ad)


# -- stopping and starting the pool again ---------------------------------------------------------

def test_pool_off_and_condor_master_starts_it_again_with_the_queue(tmp_path):
    before = os.environ.get("CONDOR_CONFIG")
    pool = PersonalPool(local_dir=tmp_path / "pool", config={"NUM_CPUS": "1"})
    try:
        pool.start()
        schedd = pool.schedd
        cluster = schedd.submit(htcondor.Submit({"executable": "/bin/true", "hold": "true"}), count=3).cluster()
        master = pool.collector.locate(htcondor.DaemonTypes.Master)
        htcondor.send_command(master, htcondor.DaemonCommands.DaemonsOff)
        who = pool.who()
        assert who["MASTER"] == "Alive" and who["SCHEDD"] == "Off" and who["COLLECTOR"] == "Off"
        master_pid = int(who["MASTER_PID"])
        htcondor.send_command(master, htcondor.DaemonCommands.OffGraceful)
        wait_for(lambda: not read_address_file(str(pool.log_dir / ".master_address")), what="the master gone")
        log = (pool.log_dir / "MasterLog").read_text()
        assert "Got DAEMONS_OFF" in log and "Got DC_OFF_GRACEFUL" in log and "EXITING WITH STATUS 0" in log

        env = dict(os.environ, CONDOR_CONFIG=str(pool.config_file))
        done = subprocess.run([os.path.join(os.path.dirname(sys.executable), "condor_master")], env=env,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        wait_for(lambda: pool.who()["IsReady"], what="the restarted pool ready")
        assert int(pool.who()["MASTER_PID"]) != master_pid
        jobs = htcondor.Schedd(pool.collector.locate(htcondor.DaemonTypes.Schedd)).query(
            f"ClusterId == {cluster}", ["ProcId", "JobStatus"])
        assert sorted(j["ProcId"] for j in jobs) == [0, 1, 2] and {j["JobStatus"] for j in jobs} == {5}
    finally:
        kill_pool(pool)
        if before is None:
            os.environ.pop("CONDOR_CONFIG", None)
        else:
            os.environ["CONDOR_CONFIG"] = before
        htcondor.reload_config()
