"""The master and PersonalPool: starting, watching, restarting and stopping the pool's daemons."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from daemon_process import wait_for

import htcondor
from htcondor._client import call
from htcondor._sinful import read_address_file
from htcondor.personal import PersonalPool, PersonalPoolState

# Pools in these tests run the master and the collector: enough to test the
# master's work without depending on the other daemons.
SMALL = {"DAEMON_LIST": "MASTER COLLECTOR"}




def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie child of this process counts as gone
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[1][0] != "Z"
    except OSError:
        return False


@pytest.fixture(autouse=True)
def restore_condor_config():
    """PersonalPool points CONDOR_CONFIG at its pool (as the official one does); undo that after each test."""
    before = os.environ.get("CONDOR_CONFIG")
    yield
    if before is None:
        os.environ.pop("CONDOR_CONFIG", None)
    else:
        os.environ["CONDOR_CONFIG"] = before
    htcondor.reload_config()


@pytest.fixture
def pool(tmp_path):
    p = PersonalPool(local_dir=tmp_path / "pool", config=SMALL)
    try:
        yield p.start()
    finally:
        p.stop()


def test_a_pool_starts_ready_and_stops_clean(tmp_path):
    p = PersonalPool(local_dir=tmp_path / "pool", config=SMALL, use_config=False)
    assert p.state is PersonalPoolState.UNINITIALIZED
    with p:
        assert p.state is PersonalPoolState.READY
        who = p.who()
        assert who["MASTER"] == "Alive" and who["COLLECTOR"] == "Alive" and who["IsReady"] is True
        pids = [who["MASTER_PID"], who["COLLECTOR_PID"]]
        assert all(alive(pid) for pid in pids)
        assert os.environ["CONDOR_CONFIG"] == str(p.config_file)
        assert htcondor.param["LOG"] == str(p.log_dir)
    assert p.state is PersonalPoolState.STOPPED
    wait_for(lambda: not any(alive(pid) for pid in pids), what="the daemons to exit")
    assert read_address_file(str(p.log_dir / ".master_address")) is None
    assert read_address_file(str(p.log_dir / ".collector_address")) is None
    log = (p.log_dir / "MasterLog").read_text()
    assert "condor_master" in log and "EXITING WITH STATUS 0" in log


def test_the_configuration_file_holds_the_pool_and_the_user_settings(tmp_path):
    p = PersonalPool(local_dir=tmp_path / "p", config={"MY_KNOB": "42"}, raw_config="OTHER = $(MY_KNOB)0\n",
                     use_config=False).initialize()
    assert p.get_config_val("OTHER") == "420"
    assert p.get_config_val("SPOOL") == str(tmp_path / "p" / "spool")
    assert p.get_config_val("NO_SUCH_KNOB", "dflt") == "dflt"
    with pytest.raises(KeyError):
        p.get_config_val("NO_SUCH_KNOB")
    with pytest.raises(FileExistsError):
        PersonalPool(local_dir=tmp_path / "p", use_config=False).initialize(overwrite_config=False)


def test_the_master_restarts_a_daemon_that_dies(pool):
    first = pool.who()["COLLECTOR_PID"]
    os.kill(first, signal.SIGKILL)
    second = wait_for(lambda: pool.who().get("COLLECTOR_PID") not in (None, first) and pool.who()["IsReady"]
                      and pool.who()["COLLECTOR_PID"], what="the collector to come back")
    assert alive(second)
    assert f"The COLLECTOR (pid {first}) died on signal 9" in (pool.log_dir / "MasterLog").read_text()


def test_daemons_go_off_and_on_by_command(pool):
    master = read_address_file(str(pool.log_dir / ".master_address"))
    pid = pool.who()["COLLECTOR_PID"]
    call(master, "DAEMON_OFF", {"daemon": "COLLECTOR"})
    wait_for(lambda: not alive(pid), what="the collector to stop")
    who = pool.who()
    assert who["COLLECTOR"] == "Off" and who["IsReady"] is False
    time.sleep(1.5)  # longer than the restart back-off: a daemon turned off stays off
    assert pool.who()["COLLECTOR"] == "Off"
    call(master, "DAEMON_ON", {"daemon": "COLLECTOR"})
    wait_for(lambda: pool.who()["IsReady"], what="the collector to start again")
    with pytest.raises(htcondor.HTCondorValueError, match="NOPE"):
        call(master, "DAEMON_OFF", {"daemon": "NOPE"})


def test_killing_the_master_leaves_no_orphans(tmp_path):
    p = PersonalPool(local_dir=tmp_path / "pool", config=SMALL, use_config=False)
    try:
        p.start()
        who = p.who()
        os.kill(who["MASTER_PID"], signal.SIGKILL)
        wait_for(lambda: not alive(who["COLLECTOR_PID"]), what="the collector to notice its master is gone")
    finally:
        p.stop()


def test_a_daemon_without_a_program_is_reported_not_fatal(tmp_path):
    p = PersonalPool(local_dir=tmp_path / "pool", config={"DAEMON_LIST": "MASTER COLLECTOR NOSUCHD"},
                     use_config=False)
    with p:
        assert "NOSUCHD" not in p.who()
    assert "no program to run for NOSUCHD" in (p.log_dir / "MasterLog").read_text()


def test_condor_master_starts_the_pool_in_the_background(tmp_path):
    p = PersonalPool(local_dir=tmp_path / "pool", config=SMALL, use_config=False).initialize()
    env = dict(os.environ, CONDOR_CONFIG=str(p.config_file))
    script = os.path.join(os.path.dirname(sys.executable), "condor_master")
    done = subprocess.run([script], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    try:
        wait_for(lambda: p.who().get("IsReady"), what="the pool")
        again = subprocess.run([script], env=env, capture_output=True, text=True, timeout=60)
        assert again.returncode == 1 and "already running" in again.stderr
        attached = PersonalPool.attach(p.local_dir)
        assert attached.state is PersonalPoolState.READY
        attached.detach()
    finally:
        pids = [v for k, v in p.who().items() if k.endswith("_PID")]
        call(read_address_file(str(p.log_dir / ".master_address")), "MASTER_OFF")
        wait_for(lambda: not any(alive(pid) for pid in pids), what="the pool to stop")


def test_attach_refuses_a_directory_with_no_pool(tmp_path):
    with pytest.raises(RuntimeError, match="no pool is running"):
        PersonalPool.attach(tmp_path / "nothing")


pytest_plugins = ["pytester"]


def test_the_pytest_plugin_gives_a_session_a_private_pool(pytester):
    pytester.makepyfile(test_inner="""
        import htcondor

        def test_uses_the_pool(condor_pool):
            assert condor_pool.who()["IsReady"]
            assert htcondor.param["LOCAL_DIR"] == str(condor_pool.local_dir)
            assert htcondor.Collector().query(htcondor.AdTypes.Collector)
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=1)
