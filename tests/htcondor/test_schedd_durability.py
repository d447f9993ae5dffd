"""The job queue survives ``kill -9`` of a schedd under load.

Issue 4: a committed transaction survives ``kill -9`` of the schedd and a
restart, and an uncommitted one never appears -- tested by killing the schedd
at random points under load, at least 200 kill points, zero committed jobs
lost, zero half-transactions visible.

Each round starts the schedd on the same spool (a series of 20 rounds per
spool, so that restarts stay quick), lets several client threads
run transactions against it, and kills it with SIGKILL at a random moment.
A submit transaction makes one cluster of several procs, all carrying the
transaction's marker and size; an edit transaction now and then sets one
value on every proc of two clusters at once.  After each restart:

* every transaction whose commit a client saw acknowledged is there, whole;
* every cluster in the queue is whole (as many procs as its transaction made);
* every edit is all-or-nothing across both of its clusters, and present when
  it was acknowledged.

(The transaction log itself has its own 300-kill-point crash test, which
kills a writer process inside its writes: tests/htcondor/jobqueue_crash_worker.py.)
"""

from __future__ import annotations

import json
import random
import socket
import struct
import threading
import time

from daemon_process import DaemonProcess, write_config

from htcondor._sinful import Sinful
from htcondor._wire import decode_payload

KILL_POINTS = 200
CLIENTS = 3


def _frame(cmd: str, args: dict | None = None) -> bytes:
    payload = json.dumps({"cmd": cmd, "user": "", "deadline": time.time() + 30, "args": args or {}}).encode()
    return struct.pack(">I", len(payload)) + payload


class Session:
    """One connection to the schedd, speaking the job-queue protocol; any failure raises OSError."""

    def __init__(self, address: str):
        s = Sinful.parse(address)
        self.sock = socket.create_connection((s.host, s.port), timeout=10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def close(self) -> None:
        self.sock.close()

    def _read(self, size: int) -> bytes:
        data = bytearray()
        while len(data) < size:
            chunk = self.sock.recv(size - len(data))
            if not chunk:
                raise ConnectionResetError("the schedd closed the connection")
            data += chunk
        return bytes(data)

    def replies(self, frames: list[bytes]) -> list[dict]:
        """Send the frames at once; one reply each (an error reply raises)."""
        self.sock.sendall(b"".join(frames))
        out = []
        for _ in frames:
            reply = decode_payload(self._read(struct.unpack(">I", self._read(4))[0]), from_daemon=True)
            if not reply.get("ok"):
                raise OSError(f"error reply: {reply}")
            out.append(reply)
        return out

    def submit(self, marker: str, procs: int) -> int:
        """Submit one cluster in one transaction; return its id once the commit is acknowledged."""
        _, new = self.replies([_frame("QMGMT_BEGIN"), _frame("NEW_CLUSTER")])
        cluster = new["cluster"]
        self.replies([_frame("SUBMIT_PROCS", {"cluster": cluster,
                                              "cluster_ad": {"Cmd": "/bin/true", "Marker": marker, "TxnProcs": procs},
                                              "procs": [{"Args": str(i)} for i in range(procs)]}),
                      _frame("QMGMT_COMMIT")])
        return cluster

    def edit(self, clusters: list[tuple[int, int]], value: str) -> None:
        """Set ``EditMark`` on every proc of the ``(cluster, procs)`` given, in one transaction."""
        frames = [_frame("QMGMT_BEGIN")]
        for cluster, procs in clusters:
            frames.append(_frame("SET_ATTRIBUTES", {"ids": [f"{cluster}.{p}" for p in range(procs)],
                                                    "attrs": {"EditMark": json.dumps(value)}}))
        self.replies(frames + [_frame("QMGMT_COMMIT")])

    def query(self) -> list[dict]:
        self.sock.sendall(_frame("QUERY_JOB_ADS", {"projection": ["ClusterId", "ProcId", "Marker", "TxnProcs",
                                                                  "EditMark"]}))
        ads = []
        while True:
            message = decode_payload(self._read(struct.unpack(">I", self._read(4))[0]), from_daemon=True)
            if "ads" in message:
                ads.extend(message["ads"])
                continue
            assert message.get("ok"), message
            return ads


class Ledger:
    """What the clients were told, shared by their threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.submitted: dict[str, tuple[int, int]] = {}  # acknowledged marker -> (cluster, procs)
        self.edited: dict[str, list[int]] = {}  # acknowledged edit value -> its clusters
        self.tried_edits: dict[str, list[int]] = {}  # every edit sent, acknowledged or not
        self.editable: list[tuple[int, int]] = []  # acknowledged clusters no edit has touched yet
        self.counter = 0

    def next_id(self) -> int:
        with self.lock:
            self.counter += 1
            return self.counter


def _client(address: str, ledger: Ledger, rng: random.Random, stop: threading.Event) -> None:
    try:
        session = Session(address)
    except OSError:
        return
    try:
        while not stop.is_set():
            n = ledger.next_id()
            pair = None
            if n % 5 == 0:
                with ledger.lock:
                    if len(ledger.editable) >= 2:
                        pair = [ledger.editable.pop(rng.randrange(len(ledger.editable))) for _ in range(2)]
            if pair is not None:
                value = f"edit-{n}"
                with ledger.lock:
                    ledger.tried_edits[value] = [c for c, _ in pair]
                session.edit(pair, value)
                with ledger.lock:
                    ledger.edited[value] = [c for c, _ in pair]
                continue
            marker, procs = f"txn-{n}", rng.randint(2, 4)
            cluster = session.submit(marker, procs)
            with ledger.lock:
                ledger.submitted[marker] = (cluster, procs)
                ledger.editable.append((cluster, procs))
    except (OSError, ValueError, struct.error):
        return  # the schedd died under us: this transaction may or may not have committed
    finally:
        session.close()


def _check(ads: list[dict], ledger: Ledger) -> int:
    """Assert the invariants on the queue's jobs; return how many transactions are in the queue."""
    clusters: dict[int, list[dict]] = {}
    for ad in ads:
        clusters.setdefault(ad["ClusterId"], []).append(ad)
    by_marker = {}
    for cluster, procs in clusters.items():
        markers = {ad.get("Marker") for ad in procs}
        assert len(markers) == 1, f"cluster {cluster} mixes transactions: {markers}"
        declared = procs[0]["TxnProcs"]
        assert sorted(ad["ProcId"] for ad in procs) == list(range(declared)), \
            f"half a transaction is visible: cluster {cluster} has {len(procs)} of {declared} procs"
        by_marker[markers.pop()] = cluster
    with ledger.lock:
        submitted = dict(ledger.submitted)
        edited = dict(ledger.edited)
        tried = dict(ledger.tried_edits)
    lost = {m: c for m, (c, _) in submitted.items() if by_marker.get(m) != c}
    assert not lost, f"committed transactions lost: {sorted(lost)[:10]} (of {len(lost)})"
    marks = {}
    for cluster, procs in clusters.items():
        values = {ad.get("EditMark") for ad in procs}
        assert len(values) == 1, f"an edit is half visible in cluster {cluster}: {values}"
        marks[cluster] = values.pop()
    for value, pair in tried.items():
        seen = [marks.get(c) == value for c in pair]
        assert all(seen) or not any(seen), f"edit {value} is visible in one of its clusters only: {pair}"
        if value in edited:
            assert all(seen), f"the committed edit {value} was lost"
    return len(clusters)


def _series(root, rounds: int, rng: random.Random, startup: list[float]) -> Ledger:
    """``rounds`` kill points against a schedd restarted each time on the same spool under ``root``."""
    root.mkdir()
    write_config(root / "condor_config", {
        "LOCAL_DIR": str(root), "LOG": "$(LOCAL_DIR)/log", "SPOOL": "$(LOCAL_DIR)/spool",
        "SCHEDD_LOG": "$(LOG)/SchedLog", "SCHEDD_ADDRESS_FILE": "$(LOG)/.schedd_address",
        "COLLECTOR_ADDRESS_FILE": "$(LOG)/.collector_address", "PERIODIC_EXPR_INTERVAL": "600",
        "SCHEDD_INTERVAL": "600"})
    daemon = DaemonProcess("schedd", root / "condor_config", root / "log" / ".schedd_address")
    ledger = Ledger()
    try:
        for round_ in range(rounds + 1):
            t = time.monotonic()
            daemon.start()
            startup.append(time.monotonic() - t)
            if round_ % 5 == 0 or round_ == rounds:
                # (a lost or half transaction stays so: nothing else touches its clusters, so checking
                # every fifth restart finds whatever an earlier one did)
                session = Session(daemon.address)
                try:
                    _check(session.query(), ledger)
                finally:
                    session.close()
            if round_ == rounds:
                break
            stop = threading.Event()
            threads = [threading.Thread(target=_client,
                                        args=(daemon.address, ledger, random.Random(rng.random()), stop))
                       for _ in range(CLIENTS)]
            for thread in threads:
                thread.start()
            time.sleep(rng.uniform(0.0, 0.08))
            daemon.kill()
            daemon.proc.stderr.close()
            stop.set()
            for thread in threads:
                thread.join(10)
                assert not thread.is_alive()
    finally:
        daemon.stop()
    return ledger


def test_kill_9_under_load_loses_no_committed_transaction_and_shows_no_half_one(tmp_path, capsys):
    # Restarting reads the whole queue, so its time grows with the queue: the kill points come in
    # series of 20, each on a spool of its own, to keep every restart quick.
    rng = random.Random(7)
    started = time.monotonic()
    startup: list[float] = []
    ledgers = [_series(tmp_path / f"series{k}", KILL_POINTS // 10, rng, startup) for k in range(10)]
    submitted = sum(len(ledger.submitted) for ledger in ledgers)
    edited = sum(len(ledger.edited) for ledger in ledgers)
    assert submitted > KILL_POINTS and edited > KILL_POINTS // 10
    with capsys.disabled():
        print(f"\n[schedd durability] {KILL_POINTS} kill -9 points in {time.monotonic() - started:.1f} s; "
              f"restart to ready {1000 * sum(startup) / len(startup):.0f} ms on average "
              f"(max {1000 * max(startup):.0f} ms); {submitted} submit and {edited} "
              f"edit transactions acknowledged")
