"""A fork server whose children commit job-queue transactions until they are killed.

Used by ``test_job_queue_log.py::test_sigkill_durability``.  Importing this
file does nothing; run it as ``python jobqueue_crash_worker.py LOGPATH``.
It reads commands from stdin, one a line:

``run FSYNC SEED``
    fork a worker that opens the log (replaying it and cutting off any
    damaged tail) and commits transactions forever, writing ``<txn id>``
    on stdout after each :meth:`commit` returns.  The server writes
    ``pid <pid>``, waits for the worker to die (the test kills it with
    SIGKILL), then writes ``dead <pid> <wait status>``.
``quit``
    exit.

Forking from a process that has imported everything already makes a
restart cost a millisecond instead of the interpreter's start-up, so the
test can afford hundreds of kill points.

Each transaction *n* creates group *n*: the cluster ad ``0n.-1`` and 1-5
proc ads ``n.0`` ..., all with ``TxnId = n``.  It may also edit one older
group (``Edit``, ``Counter`` and ``Optional`` change on every ad of the
group), destroys the oldest groups to keep at most 30, and sets
``LastTxn = n`` and ``DestroyedBelow`` in the header ad ``0.0``.  So in a
log where every transaction is all-or-nothing, the groups
``DestroyedBelow .. LastTxn`` exist, whole and uniform, and nothing else.
"""

from __future__ import annotations

import os
import random
import sys
import traceback

MAX_GROUPS = 30


def _say(text: str) -> None:
    # Unbuffered, so nothing is left in a Python buffer when the process dies.
    os.write(1, (text + "\n").encode())


def run_worker(path: str, fsync: bool, seed: int) -> None:
    """Commit transactions on *path* until killed."""
    from htcondor._job_queue_log import HEADER_KEY, JobQueueLog, job_key

    rng = random.Random(seed)
    log = JobQueueLog(path, fsync=fsync)
    header = log.get(HEADER_KEY)
    if header is None:
        with log.transaction():
            log.new_ad(HEADER_KEY, "Job")
            log.set_attrs(HEADER_KEY, {"LastTxn": "0", "DestroyedBelow": "1"})
        header = log.get(HEADER_KEY)
    last = int(header["LastTxn"])
    below = int(header["DestroyedBelow"])
    while True:
        n = last + 1
        log.begin()
        procs = rng.randint(1, 5)
        blob = '"' + rng.choice("abcdefgh") * rng.randint(0, 4000) + '"'
        common = {"TxnId": str(n), "Edit": str(n), "Counter": "0", "Optional": "1", "Blob": blob}
        log.new_ad(job_key(n, -1), "Job")
        log.set_attrs(job_key(n, -1), {**common, "Procs": str(procs)})
        for p in range(procs):
            log.new_ad(job_key(n, p), "Job")
            log.set_attrs(job_key(n, p), {**common, "ProcId": str(p)})
        if last >= below and rng.random() < 0.6:
            m = rng.randint(below, last)
            cluster = log.get(job_key(m, -1))
            keys = [job_key(m, -1)] + [job_key(m, p) for p in range(int(cluster["Procs"]))]
            counter = str(int(cluster["Counter"]) + 1)
            what = rng.random()
            for key in keys:
                log.set_attrs(key, {"Edit": str(n), "Counter": counter})
                if what < 0.3:
                    log.delete_attr(key, "optional")
                elif what < 0.6:
                    log.set_attr(key, "OPTIONAL", str(n))
        live = last - below + 1
        while live > 0 and (live >= MAX_GROUPS or rng.random() < 0.15):
            cluster = log.get(job_key(below, -1))
            for p in range(int(cluster["Procs"])):
                log.destroy_ad(job_key(below, p))
            log.destroy_ad(job_key(below, -1))
            below += 1
            live -= 1
        log.set_attrs(HEADER_KEY, {"LastTxn": str(n), "DestroyedBelow": str(below)})
        log.commit(comment=f"txn {n}" if rng.random() < 0.2 else None)
        _say(f"{n} {log.size} {log.sequence_number}")
        last = n
        r = rng.random()
        if r < 0.04:
            log.compact()
        elif r < 0.12:
            log.set_attr(HEADER_KEY, "Heartbeat", str(n))  # a bare, single-record commit


def main(path: str) -> None:
    import htcondor._job_queue_log  # noqa: F401  -- imported once, before the forks

    for line in sys.stdin:
        words = line.split()
        if not words or words[0] == "quit":
            break
        fsync, seed = words[1] == "1", int(words[2])
        pid = os.fork()
        if pid == 0:
            try:
                run_worker(path, fsync, seed)
            except BaseException:
                _say("error " + traceback.format_exc().replace("\n", " | "))
            finally:
                os._exit(1)
        _say(f"pid {pid}")
        _, status = os.waitpid(pid, 0)
        _say(f"dead {pid} {status}")


if __name__ == "__main__":
    main(sys.argv[1])
