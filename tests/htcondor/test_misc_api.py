"""File locks, credentials, tokens and the Chirp client (issue 5, section 4)."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import textwrap
import threading
import warnings
from pathlib import Path

import pytest

import classad
import htcondor
from htcondor._lock import lock_file_path
from htcondor.htchirp import HTChirp, condor_chirp
from htcondor.personal import PersonalPool

ORACLE = str(Path(__file__).resolve().parents[2] / ".venv-oracle" / "bin" / "python")


@pytest.fixture
def lockdir(tmp_path):
    htcondor.param["LOCAL_DISK_LOCK_DIR"] = str(tmp_path / "locks")
    yield tmp_path / "locks"
    htcondor.reload_config()


def _held_elsewhere(path: str, exclusive: bool = True) -> bool:
    """Whether another process holds a conflicting lock on ``path`` (asked from a fresh process)."""
    code = textwrap.dedent(f"""
        import fcntl, os, sys
        fd = os.open({path!r}, os.O_RDWR)
        try:
            fcntl.lockf(fd, {'fcntl.LOCK_EX' if exclusive else 'fcntl.LOCK_SH'} | fcntl.LOCK_NB)
        except OSError:
            sys.exit(1)
        sys.exit(0)
    """)
    return subprocess.run([sys.executable, "-c", code], check=False).returncode == 1


# -- htcondor.lock ----------------------------------------------------------------------------

def test_a_write_lock_excludes_other_processes_until_released(lockdir, tmp_path):
    target = tmp_path / "shared.log"
    target.write_text("")
    with open(target, "a") as f, pytest.warns(FutureWarning, match="deprecated since v8.9.8"):
        held = htcondor.lock(f, htcondor.LockType.WriteLock)
    companion = lock_file_path(str(target))
    assert companion.startswith(str(lockdir)) and companion.endswith(".lockc")
    assert not _held_elsewhere(companion)
    with held as entered:
        assert entered is held and type(entered) is htcondor.FileLock
        assert _held_elsewhere(companion) and _held_elsewhere(companion, exclusive=False)
    assert not _held_elsewhere(companion)
    del held, entered
    assert not os.path.exists(companion) and not os.path.exists(os.path.dirname(companion))


def test_read_locks_are_shared_and_a_second_process_waits(lockdir, tmp_path):
    target = tmp_path / "shared.log"
    target.write_text("")
    companion = lock_file_path(str(target))
    warnings.simplefilter("ignore", FutureWarning)
    with open(target) as f, htcondor.lock(f, htcondor.LockType.ReadLock):
        assert not _held_elsewhere(companion, exclusive=False)
        assert _held_elsewhere(companion, exclusive=True)
    # a second process of ours takes the write lock while we hold nothing, and blocks us meanwhile
    child = subprocess.Popen([sys.executable, "-W", "ignore", "-c", textwrap.dedent(f"""
        import htcondor, sys
        htcondor.param["LOCAL_DISK_LOCK_DIR"] = {str(lockdir)!r}
        with open({str(target)!r}) as f, htcondor.lock(f, htcondor.LockType.WriteLock):
            print("locked", flush=True)
            sys.stdin.readline()
    """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline() == "locked\n"
        entered = threading.Event()

        def take():
            with open(target) as f, htcondor.lock(f, htcondor.LockType.ReadLock):
                entered.set()

        thread = threading.Thread(target=take)
        thread.start()
        assert not entered.wait(0.3)
        child.stdin.write("\n")
        child.stdin.flush()
        assert entered.wait(10)
        thread.join()
    finally:
        child.kill()
        child.wait()


@pytest.mark.skipif(not os.path.exists(ORACLE), reason="the official module is not installed")
def test_the_official_module_and_ours_lock_the_same_companion_file(lockdir, tmp_path):
    target = tmp_path / "shared.log"
    target.write_text("")
    env = dict(os.environ, CONDOR_CONFIG="/dev/null", _CONDOR_LOCAL_DISK_LOCK_DIR=str(lockdir))
    child = subprocess.Popen([ORACLE, "-W", "ignore", "-c", textwrap.dedent(f"""
        import htcondor, sys
        with open({str(target)!r}) as f, htcondor.lock(f, htcondor.LockType.WriteLock):
            print("locked", flush=True)
            sys.stdin.readline()
    """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert child.stdout.readline() == "locked\n"
        assert _held_elsewhere(lock_file_path(str(target)))
    finally:
        child.kill()
        child.wait()


def test_lock_arguments_are_checked_as_the_official_module_does(tmp_path):
    warnings.simplefilter("ignore", FutureWarning)
    with pytest.raises(htcondor.HTCondorTypeError, match="LockFile must be used with a file object."):
        htcondor.lock(str(tmp_path), htcondor.LockType.ReadLock)
    with pytest.raises(htcondor.HTCondorTypeError):
        htcondor.lock(3, htcondor.LockType.ReadLock)
    with open(tmp_path / "f", "w") as f, pytest.raises(TypeError):
        htcondor.lock(f, 1)
    with pytest.raises(RuntimeError, match="cannot be instantiated"):
        htcondor.FileLock()


def test_without_local_disk_locks_the_file_itself_is_locked(tmp_path):
    warnings.simplefilter("ignore", FutureWarning)
    htcondor.param["CREATE_LOCKS_ON_LOCAL_DISK"] = "false"
    try:
        target = tmp_path / "own"
        with open(target, "w") as f, htcondor.lock(f, htcondor.LockType.WriteLock):
            assert _held_elsewhere(str(target))
    finally:
        htcondor.reload_config()


# -- Credd ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def pool(tmp_path_factory):
    p = PersonalPool(local_dir=tmp_path_factory.mktemp("misc"), use_config=False,
                     config={"DAEMON_LIST": "MASTER COLLECTOR"})
    with p:
        yield p


@pytest.mark.parametrize("call, message", [
    (lambda c: c.add_password(""), "password may not be empty"),
    (lambda c: c.add_user_cred(htcondor.CredTypes.Kerberos, b""), "credential may not be empty"),
    (lambda c: c.add_user_cred(htcondor.CredTypes.Kerberos, None), "credential may not be empty"),
    (lambda c: c.add_user_cred(htcondor.CredTypes.Kerberos, "text"), "credential not in usable format"),
    (lambda c: c.add_user_cred(htcondor.CredTypes.Kerberos, b"x", "u"), "invalid user argument"),
    (lambda c: c.add_user_service_cred(htcondor.CredTypes.OAuth, b"t", "", "handle"), "invalid service arg"),
    (lambda c: c.delete_user_service_cred(htcondor.CredTypes.OAuth, ""), "invalid service arg"),
    (lambda c: c.check_user_service_creds(htcondor.CredTypes.OAuth, ["x"]), "must be of type classad.ClassAd"),
    (lambda c: c.check_user_service_creds(htcondor.CredTypes.OAuth, [classad.ClassAd()]), "no 'Service'"),
])
def test_credd_checks_arguments_before_it_needs_the_daemon(call, message):
    with pytest.raises(htcondor.HTCondorValueError, match=message):
        call(htcondor.Credd())


@pytest.mark.parametrize("call", [
    lambda c: c.add_user_cred(htcondor.CredTypes.OAuth, b"x"),
    lambda c: c.add_user_service_cred(htcondor.CredTypes.Kerberos, b"x", "svc"),
    lambda c: c.query_user_cred(5),
    lambda c: c.check_user_service_creds(htcondor.CredTypes.Password, []),
])
def test_credd_rejects_credential_types_a_call_does_not_take(call):
    with pytest.raises(htcondor.HTCondorEnumError, match="invalid credtype"):
        call(htcondor.Credd())


@pytest.mark.parametrize("call", [
    lambda c: c.add_password("secret"), lambda c: c.query_password(), lambda c: c.delete_password(),
    lambda c: c.add_user_cred(htcondor.CredTypes.Kerberos, b"ticket"),
    lambda c: c.query_user_cred(htcondor.CredTypes.OAuth), lambda c: c.delete_user_cred(htcondor.CredTypes.Password),
    lambda c: c.add_user_service_cred(htcondor.CredTypes.OAuth, b"token", "scitokens"),
    lambda c: c.query_user_service_cred(htcondor.CredTypes.OAuth, "scitokens"),
])
def test_a_pool_without_a_credd_refuses_clearly(pool, call):
    with pytest.raises(htcondor.HTCondorIOError, match=r"Communication error \(no condor_credd runs in this pool\)"):
        call(htcondor.Credd())


def test_a_daemon_that_is_not_a_credd_refuses_too(pool):
    collector_ad = pool.collector.locate(htcondor.DaemonTypes.Collector)
    credd = htcondor.Credd(collector_ad)
    assert credd.location.address == collector_ad["MyAddress"]
    with pytest.raises(htcondor.HTCondorIOError, match="Communication error"):
        credd.add_user_cred(htcondor.CredTypes.Kerberos, b"ticket")
    with pytest.raises(htcondor.HTCondorIOError, match="could not locate CredD|communication failure"):
        htcondor.Credd().check_user_service_creds(htcondor.CredTypes.OAuth, [classad.ClassAd({"Service": "x"})])


def test_checking_no_services_needs_no_daemon():
    check = htcondor.Credd().check_user_service_creds(htcondor.CredTypes.OAuth, [])
    assert check.present and bool(check) and check.services == "" and str(check) == ""
    assert check.url is None and check.error is None
    with pytest.raises(RuntimeError):
        htcondor.CredCheck()
    with pytest.raises(htcondor.HTCondorValueError, match="Unknown type"):
        htcondor.Credd(5)


# -- Token, TokenRequest ----------------------------------------------------------------------

def test_a_token_is_written_privately_into_the_token_directory(tmp_path):
    directory = tmp_path / "tokens.d"
    htcondor.param["SEC_TOKEN_DIRECTORY"] = str(directory)
    try:
        htcondor.Token("aaa.bbb.ccc").write("mine")
        htcondor.Token("ddd.eee.fff").write()
        assert (directory / "mine").read_text() == "aaa.bbb.ccc\n"
        assert (directory / "python_generated_tokens").read_text() == "ddd.eee.fff\n"
        assert stat.S_IMODE(os.stat(directory / "mine").st_mode) == 0o600
        assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700
        with pytest.raises(htcondor.HTCondorValueError, match="plain filename"):
            htcondor.Token("x").write("../escape")
        assert not (tmp_path / "escape").exists()
    finally:
        htcondor.reload_config()


def test_token_requests_are_refused_by_this_pool(pool):
    request = htcondor.TokenRequest("alice", ["READ"], 60)
    with pytest.raises(htcondor.HTCondorIOError, match="prior to submitting"):
        _ = request.request_id
    with pytest.raises(htcondor.HTCondorIOError, match="not been submitted"):
        request.result(1)
    with pytest.raises(htcondor.HTCondorIOError, match="issue no tokens"):
        request.submit(pool.collector.locate(htcondor.DaemonTypes.Collector))
    with pytest.raises(htcondor.HTCondorValueError, match="Daemon type"):
        request.submit(classad.ClassAd())
    with pytest.raises(htcondor.HTCondorEnumError):
        request.submit(classad.ClassAd({"MyType": "Job"}))
    with pytest.raises(AttributeError, match="__iter__"):
        htcondor.TokenRequest("", 5)
    with pytest.raises(TypeError):
        htcondor.TokenRequest("", None, "forever")


# -- htchirp ----------------------------------------------------------------------------------

class FakeChirpServer:
    """A Chirp server for one client: a cookie, two job attributes, and files in a directory."""

    def __init__(self, root, cookie="sesame"):
        self.root, self.cookie = root, cookie
        self.attrs = {"Owner": '"alice"', "ClusterId": "7"}
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.conn = conn
            with conn, conn.makefile("rb") as r:
                for raw in r:
                    words = [w.replace("\\ ", " ") for w in raw.decode().rstrip("\n").split(" ")]
                    reply = self.answer(words, r)
                    conn.sendall(reply if isinstance(reply, bytes) else f"{reply}\n".encode())

    def answer(self, words, reader):
        cmd, args = words[0], words[1:]
        if cmd == "cookie":
            return 0 if args == [self.cookie] else -1
        if cmd == "get_job_attr":
            value = self.attrs.get(args[0])
            return -3 if value is None else f"{len(value)}\n{value}".encode()
        if cmd == "set_job_attr":
            self.attrs[args[0]] = args[1]
            return 0
        if cmd == "putfile":
            self.conn.sendall(b"0\n")  # ready: the data follows
            data = reader.read(int(args[2]))
            (self.root / args[0]).write_bytes(data)
            return len(data)
        if cmd == "getfile":
            path = self.root / args[0]
            return -3 if not path.exists() else f"{path.stat().st_size}\n".encode() + path.read_bytes()
        return -8

    def close(self):
        self.listener.close()


def test_htchirp_needs_a_config_file_or_an_address(tmp_path, monkeypatch):
    monkeypatch.setenv("_CONDOR_CHIRP_CONFIG", str(tmp_path / ".chirp.config"))
    with pytest.raises(ValueError, match=".chirp.config must be present"):
        HTChirp()
    assert condor_chirp(["get_job_attr", "Owner"], return_exit_code=True) == 1


def test_htchirp_talks_to_a_chirp_server(tmp_path, monkeypatch):
    server = FakeChirpServer(tmp_path)
    try:
        with pytest.raises(HTChirp.NotAuthenticated):
            HTChirp("127.0.0.1", server.port, cookie="wrong")
        (tmp_path / ".chirp.config").write_text(f"127.0.0.1 {server.port} sesame\n")
        monkeypatch.setenv("_CONDOR_CHIRP_CONFIG", str(tmp_path / ".chirp.config"))
        chirp = HTChirp()
        assert repr(chirp) == f"HTChirp(127.0.0.1, {server.port}) using cookie authentication"
        with chirp:
            assert chirp.get_job_attr("Owner") == '"alice"'
            chirp.set_job_attr("Answer", "42")
            assert chirp.get_job_attr("Answer") == "42"
            with pytest.raises(HTChirp.DoesntExist, match="no object by that name"):
                chirp.get_job_attr("Missing")
            with pytest.raises(HTChirp.InvalidRequest):
                chirp.whoami()
            (tmp_path / "local").write_bytes(b"payload")
            assert chirp.put(str(tmp_path / "local"), "remote") == 7
            assert chirp.fetch("remote", str(tmp_path / "back")) == 7
        assert (tmp_path / "back").read_bytes() == b"payload"
        assert not chirp.is_connected()
        with pytest.raises(RuntimeError, match="not connected"):
            chirp.get_job_attr("Owner")
        assert condor_chirp("get_job_attr ClusterId") == "7"
    finally:
        server.close()
