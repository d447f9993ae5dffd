"""Tests of the schedd's job queue log (``htcondor._job_queue_log``)."""

from __future__ import annotations

import os
import random
import selectors
import signal
import subprocess
import sys
import time

import pytest

import classad
from htcondor._job_queue_log import (
    HEADER_KEY,
    JobQueueLog,
    JobQueueLogCorrupt,
    JobQueueLogError,
    JobQueueLogLocked,
    StoredAd,
    job_key,
    parse_job_key,
    replay,
    string_text,
)

WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "jobqueue_crash_worker.py")


def state(ads) -> dict:
    """A plain snapshot of a key -> StoredAd mapping, MyType included."""
    return {key: (ad.mytype, dict(ad)) for key, ad in ads.items()}


def read(path) -> str:
    with open(path, encoding="utf-8") as f:
        return f.read()


def append(path, text: str) -> None:
    with open(path, "a", encoding="utf-8") as f:
        f.write(text)


@pytest.fixture
def path(tmp_path):
    return str(tmp_path / "job_queue.log")


def submit(log: JobQueueLog, cluster: int, procs: int) -> None:
    """A submit-like transaction: a cluster ad and its proc ads."""
    with log.transaction():
        log.new_ad(job_key(cluster, -1))
        log.set_attrs(job_key(cluster, -1), {"ClusterId": cluster, "Cmd": classad.quote("/bin/sleep")})
        for p in range(procs):
            log.new_ad(job_key(cluster, p))
            log.set_attrs(job_key(cluster, p), {"ProcId": p, "JobStatus": 1})


# -- format -------------------------------------------------------------------------

def test_new_log_has_sequence_header(path):
    before = int(time.time())
    log = JobQueueLog(path)
    line = read(path)
    assert line.endswith("\n") and line.count("\n") == 1
    op, seq, label, stamp = line.split()
    assert (op, seq, label) == ("107", "1", "CreationTimestamp")
    assert before <= int(stamp) <= time.time()
    assert (log.sequence_number, log.creation_timestamp) == (1, int(stamp))
    assert len(log) == 0


def test_transaction_text_is_htcondors_format(path):
    log = JobQueueLog(path, fsync=False)
    head = read(path)
    with log.transaction(comment="submit 1"):
        log.new_ad("0.0", "Job")
        log.set_attr("0.0", "NextClusterNum", 2)
        log.new_ad("01.-1", "Job")
        log.new_ad("x", "")
        log.set_attr("01.-1", "Cmd", '"/bin/echo"')
        log.delete_attr("01.-1", "Cmd")
        log.destroy_ad("x")
    assert read(path) == head + (
        "105 \n"
        "101 0.0 Job Machine\n"
        "103 0.0 NextClusterNum 2\n"
        "101 01.-1 Job Machine\n"
        "101 x (empty) (empty)\n"
        '103 01.-1 Cmd "/bin/echo"\n'
        "104 01.-1 Cmd\n"
        "102 x\n"
        "106 #submit 1\n")


def test_change_outside_transaction_is_one_bare_record(path):
    log = JobQueueLog(path, fsync=False)
    head = read(path)
    log.new_ad("1.0")
    log.set_attr("1.0", "JobStatus", "2")
    assert read(path) == head + "101 1.0 Job Machine\n103 1.0 JobStatus 2\n"
    assert log.lookup("1.0", "JobStatus") == "2"


def test_job_keys():
    assert [job_key(0, 0), job_key(7, -1), job_key(7, 12)] == ["0.0", "07.-1", "7.12"]
    assert [parse_job_key(job_key(7, -1)), parse_job_key("7.12")] == [(7, -1), (7, 12)]
    with pytest.raises(ValueError):
        parse_job_key("header")


def test_values_are_stored_as_old_syntax_text(path):
    log = JobQueueLog(path, fsync=False)
    log.new_ad("1.0")
    log.set_attrs("1.0", {"I": 5, "R": 1e16, "B": False, "S": string_text('C:\\dir\t"hi"'),
                          "E": classad.ExprTree("a =?= b"), "T": "RequestCpus * 2"})
    assert dict(log.get("1.0")) == {"I": "5", "R": "1E+16", "B": "false", "S": '"C:\\dir\t\\"hi\\""',
                                    "E": "a =?= b", "T": "RequestCpus * 2"}
    ad = log.get("1.0").to_classad()
    assert (ad["S"], ad["I"], ad["R"], ad["MyType"]) == ('C:\\dir\t"hi"', 5, 1e16, "Job")
    assert str(ad.lookup("T")) == "RequestCpus * 2"


# -- replay ---------------------------------------------------------------------------

def test_replay_round_trip(path):
    log = JobQueueLog(path, fsync=False)
    submit(log, 1, 3)
    submit(log, 2, 2)
    with log.transaction():
        log.set_attr("1.1", "JobStatus", 2)
        log.delete_attr("1.2", "jobstatus")      # names are case-insensitive
        log.set_attr("1.0", "JOBSTATUS", 4)      # ... and keep their first spelling
        log.destroy_ad("2.1")
    log.new_ad("3.0", "Job")                     # a bare record
    log.set_attr("3.0", "Owner", '"alice"')
    expected = state(log.ads)
    assert expected["1.0"] == ("Job", {"ProcId": "0", "JobStatus": "4"})
    assert expected["1.2"] == ("Job", {"ProcId": "2"})
    assert "2.1" not in expected
    log.close()
    assert state(replay(path).ads) == expected
    again = JobQueueLog(path)
    assert state(again.ads) == expected
    assert again.warnings == []


def test_memory_and_replay_agree_on_random_changes(path):
    """The in-memory state after each commit is what replaying the file gives."""
    rng = random.Random(4)
    log = JobQueueLog(path, fsync=False)
    names = ["A", "a", "B", "b", "Cc", "cC"]
    keys = ["1.0", "1.1", "2.0", "01.-1"]
    for round_ in range(300):
        log.begin()
        for _ in range(rng.randint(1, 8)):
            key = rng.choice(keys)
            if not log.exists_in_transaction(key):
                log.new_ad(key, rng.choice(["Job", ""]))
                continue
            r = rng.random()
            if r < 0.5:
                log.set_attr(key, rng.choice(names), str(rng.randint(0, 9)))
            elif r < 0.8:
                log.delete_attr(key, rng.choice(names))
            else:
                log.destroy_ad(key)
        if rng.random() < 0.2:
            log.abort()
        else:
            log.commit()
        if round_ % 25 == 0:
            assert state(replay(path).ads) == state(log.ads)
        if round_ % 100 == 99:
            log.compact()
    assert state(replay(path).ads) == state(log.ads)


def test_transaction_reads(path):
    log = JobQueueLog(path, fsync=False)
    submit(log, 1, 1)
    log.begin()
    log.set_attr("1.0", "JobStatus", 3)
    log.new_ad("1.1")
    log.set_attr("1.1", "JobStatus", 1)
    log.delete_attr("01.-1", "Cmd")
    assert log.lookup("1.0", "JobStatus") == "1"                 # committed state
    assert log.lookup_in_transaction("1.0", "jobstatus") == "3"   # the transaction's own writes
    assert log.lookup_in_transaction("1.0", "ProcId") == "0"      # ... over the committed state
    assert log.lookup_in_transaction("01.-1", "Cmd") is None
    assert (log.get("1.1"), log.exists_in_transaction("1.1")) == (None, True)
    log.commit()
    assert log.lookup("1.0", "JobStatus") == "3"
    assert "Cmd" not in log.get("01.-1")


def test_abort_discards(path):
    log = JobQueueLog(path, fsync=False)
    submit(log, 1, 2)
    before, text = state(log.ads), read(path)
    log.begin()
    log.set_attr("1.0", "JobStatus", 5)
    log.destroy_ad("1.1")
    log.new_ad("2.0")
    log.abort()
    assert not log.in_transaction
    assert state(log.ads) == before and read(path) == text
    with pytest.raises(RuntimeError), log.transaction():
        log.destroy_ad("1.0")
        raise RuntimeError("oops")
    assert state(log.ads) == before and read(path) == text
    log.close()
    assert state(replay(path).ads) == before


def test_bad_changes_raise_and_leave_the_transaction_alone(path):
    log = JobQueueLog(path, fsync=False)
    submit(log, 1, 1)
    text = read(path)
    with pytest.raises(KeyError):
        log.set_attr("9.9", "A", "1")
    with pytest.raises(KeyError):
        log.destroy_ad("9.9")
    with pytest.raises(ValueError):
        log.new_ad("1.0")
    with pytest.raises(ValueError):
        log.set_attr("1.0", "A", "1\n103 1.0 B 2")
    with pytest.raises(ValueError):
        log.set_attr("1.0", "A", " ")
    with pytest.raises(ValueError):
        log.set_attr("1.0", "Bad Name", "1")
    with pytest.raises(ValueError):
        log.new_ad("1 .0")
    assert read(path) == text and not log.in_transaction
    log.begin()
    log.set_attr("1.0", "A", "1")
    with pytest.raises(ValueError):
        log.set_attrs("1.0", {"B": "2", "C": "x\ny"})   # all or nothing
    with pytest.raises(JobQueueLogError):
        log.begin()
    with pytest.raises(JobQueueLogError):
        log.compact()
    log.commit()
    assert dict(log.get("1.0")) == {"ProcId": "0", "JobStatus": "1", "A": "1"}
    with pytest.raises(JobQueueLogError):
        log.commit()


def test_incomplete_trailing_transaction_is_ignored_and_cut_off(path):
    log = JobQueueLog(path, fsync=False)
    submit(log, 1, 1)
    expected = state(log.ads)
    log.close()
    committed = read(path)
    append(path, "105 \n103 1.0 JobStatus 5\n101 1.1 Job Machine\n")
    r = replay(path)
    assert state(r.ads) == expected
    assert r.damaged and r.committed_size == len(committed.encode())
    assert any("inside a transaction" in w for w in r.warnings)
    log = JobQueueLog(path, fsync=False)
    assert state(log.ads) == expected
    assert read(path) == committed          # the tail is gone, so the next records start clean
    with log.transaction():
        log.set_attr("1.0", "JobStatus", 2)
    log.close()
    assert replay(path).ads["1.0"]["JobStatus"] == "2"


@pytest.mark.parametrize("tail", [
    "103 1.0 JobStatus 1",           # a record torn before its newline (the value would read "1")
    "105 \n103 1.0 JobStatus 4\n106",
    "101 2.0 Job Mach",
    "\0\0\0\0\0\0",                 # a block the file system zero-filled
    "10",
])
def test_torn_last_line_is_ignored(path, tail):
    log = JobQueueLog(path, fsync=False)
    submit(log, 1, 1)
    log.set_attr("1.0", "JobStatus", 2)
    expected = state(log.ads)
    log.close()
    committed = read(path)
    append(path, tail)
    assert state(replay(path).ads) == expected
    log = JobQueueLog(path, fsync=False)
    assert state(log.ads) == expected and read(path) == committed
    log.set_attr("1.0", "JobStatus", 3)
    assert replay(path).ads["1.0"]["JobStatus"] == "3"


def test_corrupt_record_in_unterminated_tail_is_ignored(path):
    log = JobQueueLog(path, fsync=False)
    submit(log, 1, 1)
    expected = state(log.ads)
    log.close()
    append(path, "105 \n103 1.0 A 1\ngarbage here\n103 1.0 B 2\n")
    assert state(replay(path).ads) == expected


@pytest.mark.parametrize("bad", [
    "garbage here",
    "103 1.0 JobStatus",          # no value
    "103 1.0 JobStatus ",         # empty value
    "999 1.0",                    # unknown op
    "102",                        # no key
    "104 1.0",                    # no attribute name
    "101 1.0 Job Machine extra",
    "105 again",
    "107 x CreationTimestamp y",
])
def test_corrupt_middle_line_names_its_line(path, bad):
    log = JobQueueLog(path, fsync=False)
    submit(log, 1, 1)
    log.close()
    bad_line = read(path).count("\n") + 2
    append(path, f"105 \n{bad}\n106 \n")   # inside a transaction that did end
    with pytest.raises(JobQueueLogCorrupt) as info:
        replay(path)
    assert info.value.line == bad_line
    assert f"line {bad_line}" in str(info.value) and info.value.path == path
    with pytest.raises(JobQueueLogCorrupt):
        JobQueueLog(path)
    # Outside a transaction, any committed record after it makes it fatal too.
    with open(path, "w") as f:
        f.write(f"107 1 CreationTimestamp 0\n101 1.0 Job Machine\n{bad}\n103 1.0 A 1\n")
    with pytest.raises(JobQueueLogCorrupt) as info:
        replay(path)
    assert info.value.line == 3


def test_nul_bytes_end_the_log(path):
    """NULs are blocks a crash left unwritten: nothing after them was ever durable."""
    log = JobQueueLog(path, fsync=False)
    submit(log, 1, 1)
    expected = state(log.ads)
    log.close()
    committed = read(path)
    append(path, "105 \n103 1.0 A 1\n103 1.0 B \0\0\0\0\n106 \n103 1.0 C 3\n")
    r = replay(path)
    assert state(r.ads) == expected and r.damaged
    assert any("NUL" in w for w in r.warnings)
    log = JobQueueLog(path, fsync=False)
    assert read(path) == committed
    with pytest.raises(ValueError):
        log.set_attr("1.0", "A", '"a\0b"')


def test_reads_leniently_what_htcondor_reads(path):
    with open(path, "w") as f:
        f.write("107 4 CreationTimestamp 1700000000\n"
                "105 \n"
                "101  0.0   Job  Machine\n"
                "103 0.0 NextClusterNum 2\n"
                "103  0.0\tA    x  +  1\n"
                "101 1.0 Job\n"
                "103 1.0 Args \"caf\xe9 \\\"q\\\"\"\n"
                "106 #condor_submit\n"
                "106 \n"
                "102 9.9\n")
    r = replay(path)
    assert state(r.ads) == {"0.0": ("Job", {"NextClusterNum": "2", "A": "   x  +  1"}),
                            "1.0": ("Job", {"Args": '"caf\xe9 \\"q\\""'})}
    assert (r.sequence_number, r.creation_timestamp, r.damaged) == (4, 1700000000, False)
    assert any("EndTransaction without" in w for w in r.warnings)
    assert any("does not exist" in w for w in r.warnings)


def test_undecodable_bytes_survive(path):
    with open(path, "wb") as f:
        f.write(b"107 1 CreationTimestamp 0\n101 1.0 Job Machine\n103 1.0 S \"\xff\xfe\"\n")
    log = JobQueueLog(path, fsync=False)
    log.compact()
    log.close()
    with open(path, "rb") as f:
        assert b'103 1.0 S "\xff\xfe"\n' in f.read()


# -- compaction -----------------------------------------------------------------------

def test_compaction_preserves_state(path):
    log = JobQueueLog(path, fsync=False)
    stamp = log.creation_timestamp
    for c in range(1, 6):
        submit(log, c, 3)
    for _ in range(20):
        log.set_attr("2.1", "JobStatus", 2)
    log.destroy_ad("3.0")
    expected, size = state(log.ads), os.path.getsize(path)
    log.compact()
    assert os.path.getsize(path) < size and log.size == os.path.getsize(path)
    assert not os.path.exists(path + ".tmp")
    assert state(log.ads) == expected
    first = read(path).splitlines()[0]
    assert first == f"107 2 CreationTimestamp {stamp}"
    assert "105" not in read(path)
    submit(log, 9, 1)                      # appends go to the new file
    log.compact()
    expected = state(log.ads)
    log.close()
    r = replay(path)
    assert state(r.ads) == expected and (r.sequence_number, r.creation_timestamp) == (3, stamp)


def test_leftover_tmp_from_a_crashed_compaction(path):
    log = JobQueueLog(path, fsync=False)
    submit(log, 1, 2)
    expected = state(log.ads)
    log.close()
    # A crash while the new file was being written: the log itself is untouched.
    with open(path + ".tmp", "w") as f:
        f.write("107 2 CreationTimestamp 0\n101 01.-1 Job Mac")
    assert state(replay(path).ads) == expected
    log = JobQueueLog(path, fsync=False)
    assert not os.path.exists(path + ".tmp")
    assert state(log.ads) == expected and log.sequence_number == 1


def test_failed_rename_leaves_the_old_log_in_use(path, monkeypatch):
    log = JobQueueLog(path, fsync=False)
    submit(log, 1, 2)
    expected, text = state(log.ads), read(path)

    def crash(src, dst):
        raise OSError(5, "simulated crash before the rename")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        log.compact()
    monkeypatch.undo()
    assert read(path) == text and not os.path.exists(path + ".tmp")
    assert log.sequence_number == 1
    log.set_attr("1.0", "JobStatus", 2)     # still writing to the (old) log
    expected["1.0"][1]["JobStatus"] = "2"
    assert state(replay(path).ads) == expected


def test_failed_write_is_taken_back(path, monkeypatch):
    import htcondor._job_queue_log as jql

    log = JobQueueLog(path, fsync=False)
    submit(log, 1, 1)
    expected, text = state(log.ads), read(path)
    real_write = os.write

    def half_write(fd, data):
        real_write(fd, bytes(data[: len(data) // 2]))
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(jql.os, "write", half_write)
    with pytest.raises(JobQueueLogError), log.transaction():
        log.set_attr("1.0", "JobStatus", 2)
        log.new_ad("1.1")
    monkeypatch.undo()
    assert read(path) == text and state(log.ads) == expected and not log.in_transaction
    log.set_attr("1.0", "JobStatus", 3)
    assert replay(path).ads["1.0"]["JobStatus"] == "3"


# -- durability knobs and locking -----------------------------------------------------

def test_fsync_setting(path, monkeypatch):
    import htcondor._job_queue_log as jql

    calls = []
    real_fsync = os.fsync
    monkeypatch.setattr(jql.os, "fsync", lambda fd: (calls.append(fd), real_fsync(fd))[1])
    log = JobQueueLog(path)
    calls.clear()
    submit(log, 1, 1)
    assert len(calls) == 1
    log.fsync = False
    submit(log, 2, 1)
    log.set_attr("1.0", "A", "1")
    assert len(calls) == 1
    with log.transaction(durable=True):
        log.set_attr("1.0", "A", "2")
    assert len(calls) == 2


def test_one_writer_at_a_time(path):
    log = JobQueueLog(path, fsync=False)
    with pytest.raises(JobQueueLogLocked):
        JobQueueLog(path)
    log.compact()                            # the new file is locked too
    with pytest.raises(JobQueueLogLocked):
        JobQueueLog(path)
    log.close()
    log.close()
    with JobQueueLog(path) as again:
        assert again.sequence_number == 2
    with pytest.raises(JobQueueLogError):
        log.set_attr("1.0", "A", "1")


def test_stored_ad_is_a_case_insensitive_mapping():
    ad = StoredAd("Job")
    ad._set("Owner", '"alice"')
    assert ad == {"Owner": '"alice"'}
    assert ad["OWNER"] == '"alice"' and ad.get("nope") is None and "owner" in ad and 1 not in ad
    assert ad._delete("oWnEr") and len(ad) == 0 and not ad._delete("Owner")


# -- the durability test --------------------------------------------------------------

class _Lines:
    """Lines from a pipe, with a deadline so a stuck child fails the test instead of hanging it."""

    def __init__(self, stream) -> None:
        self.fd = stream.fileno()
        self.buffer = b""
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.fd, selectors.EVENT_READ)

    def next(self, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not self.selector.select(left):
                raise AssertionError("the crash worker stopped answering")
            chunk = os.read(self.fd, 65536)
            if not chunk:
                raise AssertionError("the crash worker exited")
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line.decode()


def check_invariants(path, reported: set[int], seen: dict) -> bool:
    """Check the log after a kill; return whether the file had a damaged tail."""
    if not os.path.exists(path):
        assert not reported, "the log vanished"
        return False
    r = replay(path)
    ads = r.ads
    header = ads.get(HEADER_KEY)
    if header is None:
        assert not reported and not ads, "transactions were reported but the header ad is missing"
        return r.damaged
    last, below = int(header["LastTxn"]), int(header["DestroyedBelow"])
    assert max(reported, default=0) <= last, f"committed transaction {max(reported)} lost (LastTxn={last})"
    assert last >= seen.get("last", 0) and below >= seen.get("below", 1), "the log went back in time"
    seen["last"], seen["below"] = last, below
    groups: dict[int, dict[int, StoredAd]] = {}
    for key, ad in ads.items():
        if key != HEADER_KEY:
            cluster, proc = parse_job_key(key)
            groups.setdefault(cluster, {})[proc] = ad
    assert sorted(groups) == list(range(below, last + 1)), "a transaction is half-present (groups)"
    for n, group in groups.items():
        cluster = group.get(-1)
        assert cluster is not None, f"group {n} has no cluster ad"
        procs = int(cluster["Procs"])
        assert sorted(group) == list(range(-1, procs)), f"group {n} is partial: {sorted(group)}"
        values = {(ad["TxnId"], ad["Edit"], ad["Counter"], ad.get("Optional")) for ad in group.values()}
        assert len(values) == 1, f"group {n} was half-edited: {values}"
        txn, edit, counter, _ = values.pop()
        assert int(txn) == n and n <= int(edit) <= last
        assert int(counter) >= seen.get(n, 0), f"group {n} lost an edit"
        seen[n] = int(counter)
    return r.damaged


# What a crash may leave at a line boundary after the last durable record: the
# start of a transaction, a torn record.  Each would break an invariant if it
# were replayed.
_TAILS = [
    "103 0.0 LastTxn 99999",
    "105 \n101 99999.0 Job Machine\n103 99999.0 TxnId 99999\n",
    "105 \n102 0.0\n106",
    "10",
]


def simulate_power_loss(path, rng, last_commit) -> None:
    """Lose what was written after the last reported commit, and leave a damaged tail.

    The cut may fall inside a record; then only zero-filled blocks can follow
    it (a writer never appends after a torn record).  This may also drop
    commits that were fsync-ed but not yet reported, which a real power loss
    would keep; the caller forgets what it saw of those.
    """
    with open(path, "rb") as f:
        data = f.read()
    cut = len(data)
    if last_commit:
        end, seq = last_commit
        if data.split(b" ", 2)[1:2] == [str(seq).encode()] and len(data) > end:  # not compacted since
            cut = rng.randint(end, len(data))
            if rng.random() < 0.5:
                cut = max(end, data.rfind(b"\n", 0, cut) + 1)
    at_boundary = cut == 0 or data[cut - 1:cut] == b"\n"
    tail = rng.choice(_TAILS) if at_boundary else ""
    if rng.random() < 0.3:
        tail += "\0" * rng.randint(1, 4096)
    with open(path, "r+b") as f:
        f.truncate(cut)
        f.seek(cut)
        f.write(tail.encode())


def test_sigkill_durability(tmp_path):
    """Kill a committing process at random moments: committed means present, and all or nothing."""
    path = str(tmp_path / "job_queue.log")
    rng = random.Random(20240601)
    server = subprocess.Popen([sys.executable, WORKER, path], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              env={**os.environ, "CONDOR_CONFIG": "/dev/null"})
    lines = _Lines(server.stdout)
    reported: set[int] = set()
    seen: dict = {}
    kills = damaged = power_losses = 0
    last_commit = None  # (file size, sequence number) after the last reported commit
    try:
        while kills < 300:
            fsync = kills % 2 == 0  # the power-loss case below follows only runs with fsync
            server.stdin.write(f"run {int(fsync)} {rng.randrange(1 << 30)}\n".encode())
            server.stdin.flush()
            while True:
                # The worker may report commits before the server has said its pid.
                line = lines.next()
                if line.startswith("pid "):
                    time.sleep(rng.choice([0.0, rng.uniform(0.0, 0.005), rng.uniform(0.0, 0.04)]))
                    try:
                        os.kill(int(line.split()[1]), signal.SIGKILL)
                    except ProcessLookupError:
                        pass  # it died on its own; its last words say why
                    continue
                if line.startswith("dead "):
                    break
                assert not line.startswith("error"), line.replace(" | ", "\n")
                n, size, seq = map(int, line.split())
                reported.add(n)
                last_commit = (size, seq)
            status = int(line.split()[2])
            assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, line
            kills += 1
            if kills % 2 == 1 and rng.random() < 0.4 and os.path.exists(path):
                # The worker ran with fsync on: what it reported is on the disk.
                simulate_power_loss(path, rng, last_commit)
                power_losses += 1
                seen.clear()
            damaged += check_invariants(path, reported, seen)
        server.stdin.write(b"quit\n")
        server.stdin.flush()
    finally:
        server.kill()
        server.wait()
    print(f"kills={kills} reported={len(reported)} damaged={damaged} power_losses={power_losses}")
    assert len(reported) > 100          # the kills did not all land before the first commit
    assert damaged >= power_losses > 0  # and the damaged tails were all seen and survived
