"""Making the job ads of one cluster: the base ad, the queue loop and :class:`SubmitJobsIterator`.

The first job of a cluster is made from the *base ad* (the attributes every
job starts with: MyType, QDate, the zero counters ...) and becomes the
*cluster ad*.  Every later job starts from the cluster ad.  The jobs are
numbered ``clusterid.procid`` onwards; for each item of the queue statement
(or of the ``itemdata`` iterator) ``count`` jobs are made, with ``$(Step)``
counting within the item and ``$(ItemIndex)``/``$(Row)`` numbering the item.
"""

from __future__ import annotations

import copy
import os
import time

import classad

from ._errors import HTCondorInternalError, HTCondorValueError
from ._submit_ads import PARALLEL, set_universe
from ._submit_builder import Builder, SubmitError, to_classad_value
from ._submit_hash import MacroContext, SubmitTable
from ._submit_queue import ForeachArgs, QueueError, load_items, parse_queue_args, split_item
from ._submit_reqs import STEPS

__all__ = ["SubmitJobsIterator", "CONDOR_VERSION", "CONDOR_PLATFORM", "make_foreach"]

CONDOR_VERSION = "$CondorVersion: 24.0.24 2025-01-01 BuildID: htcondor-python $"
CONDOR_PLATFORM = "$CondorPlatform: X86_64-Python $"
_BASE_COUNTERS = ("ExitStatus", "NumCkpts", "NumJobStarts", "NumJobCompletions", "NumRestarts", "NumSystemHolds",
                  "CommittedTime", "CommittedSlotTime", "CumulativeSlotTime", "TotalSuspensions",
                  "LastSuspensionTime", "CumulativeSuspensionTime", "CommittedSuspensionTime")
_BASE_TIMES = ("RemoteWallClockTime", "RemoteUserCpu", "RemoteSysCpu", "CumulativeRemoteUserCpu",
               "CumulativeRemoteSysCpu")


def make_foreach(ctx: MacroContext, qargs: str, inline_text: str | None, *, cwd: str | None = None) -> ForeachArgs:
    """Parse (after macro expansion) and load the items of a queue statement.

    Raises
    ------
    QueueError
        For a bad statement or items that cannot be loaded.
    """
    try:
        expanded = ctx.expand_text(qargs)
    except Exception as e:
        raise QueueError(str(e)) from None
    fea = parse_queue_args(expanded)

    def option(name: str) -> str | None:
        try:
            return ctx.expand(name)
        except Exception:
            return None

    try:
        load_items(fea, inline_text, cwd=cwd, options=option)
    except QueueError as e:
        if e.stage == "load" and "closing brace" in str(e):
            # Name the statement: the description may hold only this one, but the message
            # is read far from it (while iterating over jobs).
            raise QueueError(f"{e}: queue {qargs.strip()}", e.stage) from None
        raise
    return fea


class _Rows:
    """The item rows of a queue statement or of a Python iterator, and the live values each row sets."""

    def __init__(self, fea: ForeachArgs | None, py_items, count: int):
        self.fea = fea
        self.py_items = py_items
        self.vars: list[str] = list(fea.vars) if fea is not None else []
        self.step = max(count, 1)
        self.live: dict[str, str] = {}
        self._index = 0
        self.has_rows = py_items is not None or (fea is not None and bool(fea.items))

    def next_row(self) -> bool:
        """Load the next row's values into :attr:`live`; False when there are no more rows."""
        if self.py_items is not None:
            return self._next_python()
        fea = self.fea
        if fea is None or not fea.items:
            return False
        row = fea.slice.translate(self._index, len(fea.items))
        if row is None:
            return False
        self.row_number = row
        self._index += 1
        values = split_item(fea.items[row], len(self.vars), fea.table)
        for name, value in zip(self.vars, values):
            self.live[name] = value
        return True

    def _next_python(self) -> bool:
        try:
            obj = next(self.py_items)
        except StopIteration:
            return False
        self.row_number = self._index
        self._index += 1
        no_vars = not self.vars
        if isinstance(obj, dict):
            for key, value in obj.items():
                key = str(key)
                if key.startswith("+"):
                    key = "MY." + key[1:]
                if not isinstance(value, str):
                    raise HTCondorInternalError("'from' data must be an iterator of strings or of dicts")
                self.live[key] = value
                if no_vars:
                    self.vars.append(key)
        elif isinstance(obj, list):
            if no_vars:
                if len(obj) > 10:
                    raise HTCondorValueError("Too many items in Queue itemdata element")
                self.vars.append("Item")
                self.vars.extend(f"Item{i}" for i in range(1, len(obj)))
            for key, value in zip(self.vars, obj):
                self.live[key] = str(value)
        elif isinstance(obj, str):
            if no_vars:
                self.vars.append("Item")
                self.live["Item"] = obj
            else:
                for name, value in zip(self.vars, split_item(obj, len(self.vars), None)):
                    self.live[name] = value
        else:
            raise HTCondorInternalError("'from' data must be an iterator of strings or of dicts")
        return True


class SubmitJobsIterator:
    """An iterator over the job ClassAds of a :class:`Submit` description (from :meth:`Submit.jobs`).

    Every ad is a complete job ad; with ``procs=True`` (:meth:`Submit.procs`)
    the first ad is the cluster ad plus ``ProcId`` and the others hold only
    what differs from it (``ProcId``, ``JobStatus`` and the attributes that
    changed).
    """

    def __init__(self, table: SubmitTable, *, procs: bool, cluster: int, proc: int, count: int,
                 py_items=None, qargs: str = "", inline_text: str | None = None, qdate: int = 0,
                 owner: str = "", submit_method: int = 2, environ=None):
        self._procs = procs
        self._cluster = cluster
        self._first_proc = proc
        self._next_proc = proc
        cwd = os.getcwd()
        self._ctx = MacroContext(table.copy(), environ, cwd)
        submit_time = qdate or int(time.time())
        self._ctx.set_submit_time(submit_time)
        self._builder = Builder(self._ctx, submit_time=submit_time, username=owner,
                                submit_method=submit_method, cwd=cwd)
        if py_items is not None:
            self._rows = _Rows(None, py_items, count)
        else:
            fea = None
            if qargs:
                try:
                    fea = make_foreach(self._ctx, qargs, inline_text)
                except QueueError as e:
                    raise HTCondorValueError(str(e)) from None
                count = fea.count
            self._rows = _Rows(fea, None, count)
            for name in self._rows.vars:
                self._ctx.set_live(name, "")
            if not self._rows.vars:
                self._ctx.set_live("Item", "")
        self._cluster_state: dict | None = None
        self._cluster_ad: classad.ClassAd | None = None
        self._records: list | None = None
        self._done = False
        self._row = 0

    def __iter__(self) -> "SubmitJobsIterator":
        return self

    def clusterad(self) -> classad.ClassAd:
        """The cluster ad: the attributes shared by the jobs made so far (after the first job).

        Returns
        -------
        classad.ClassAd
            A copy of the cluster ad: every job attribute that does not
            change from job to job; no ``ProcId``.

        Raises
        ------
        HTCondorValueError
            Before the first job has been made.

        Examples
        --------
        >>> import htcondor
        >>> jobs = htcondor.Submit("executable = /bin/echo\\narguments = $(Process)\\nqueue 2").jobs(clusterid=8)
        >>> first = next(jobs)
        >>> cluster = jobs.clusterad()
        >>> cluster["ClusterId"], cluster["Cmd"], "ProcId" in cluster
        (8, '/bin/echo', False)
        """
        if self._cluster_ad is None:
            raise HTCondorValueError("No cluster ad")
        ad = copy.copy(self._cluster_ad)
        del ad["ProcId"]
        return ad

    def __next__(self) -> classad.ClassAd:
        if self._done:
            raise StopIteration
        proc = self._next_proc
        index = proc - self._first_proc
        rows = self._rows
        row, step = divmod(index, rows.step)
        if step == 0:
            if rows.next_row():
                row = rows.row_number
                for name in rows.vars:
                    value = rows.live.get(name)
                    if value is not None:
                        self._ctx.set_live(name, value)
            elif index == 0 and rows.py_items is None:
                # Without items, a queue statement (or none) still makes its jobs; an empty
                # Python iterator makes none.
                self._ctx.set_live("Item", "")
                row = 0
            else:
                self._done = True
                raise StopIteration
        else:
            row = self._row
        self._row = row
        self._next_proc += 1
        try:
            if self._cluster_state is None:
                ad = self._make_cluster(proc, row, step)
                if proc == 0:
                    return ad
                return self._make_proc(proc, row, step, full=True)
            return self._make_proc(proc, row, step, full=not self._procs)
        except SubmitError:
            self._done = True
            raise

    # -- the cluster ad -------------------------------------------------------------------------------

    def _base_state(self, b: Builder) -> None:
        b.state = {}
        b.assign("MyType", "Job")
        b.assign("TargetType", "Machine")
        b.assign("QDate", b.submit_time)
        if b.submit_method >= 0:
            b.assign("JobSubmitMethod", b.submit_method)
        b.assign_expr("Owner", "Undefined")
        for name in _BASE_TIMES:
            b.assign(name, 0.0)
        for name in _BASE_COUNTERS:
            b.assign(name, 0)
        b.assign("ExitBySignal", False)
        b.assign("CondorVersion", CONDOR_VERSION)
        b.assign("CondorPlatform", CONDOR_PLATFORM)

    def _make_cluster(self, proc: int, row: int, step: int) -> classad.ClassAd:
        b = self._builder
        self._base_state(b)
        b.cluster = self._cluster
        b.new_job()
        self._ctx.live_ids(self._cluster, 0, row, step)
        set_universe(b)
        self._ctx.defaults["node"] = "#pArAlLeLnOdE#" if b.universe == PARALLEL else ""
        b.assign("\x00proc", 0)
        b.run(STEPS)
        state = b.state
        state.pop("procid", None)
        b.assign("ClusterId", self._cluster)
        self._cluster_state = dict(state)
        full = dict(state)
        full["procid"] = ("ProcId", 0)
        self._cluster_ad = b.to_classad(full)
        return copy.copy(self._cluster_ad)

    # -- the other jobs ---------------------------------------------------------------------------------

    def _make_proc(self, proc: int, row: int, step: int, full: bool) -> classad.ClassAd:
        b = self._builder
        base = self._cluster_state
        b.state = dict(base)
        b.new_job()
        self._ctx.live_ids(self._cluster, proc, row, step, self._ctx.defaults["node"])
        b.state["\x00proc"] = ("\x00proc", proc)
        if self._records is None:
            self._records = []
            b.run(STEPS, self._records)
        else:
            b.replay(STEPS, self._records)
        state = b.state
        changed = []
        for low, entry in state.items():
            old = base.get(low)
            if old is entry or low[:1] == "\x00":
                continue
            if old is None or not _same_value(old[1], entry[1]):
                changed.append(low)
        if not full:
            ad = classad.ClassAd()
            for low in changed:
                name, value = state[low]
                ad[name] = to_classad_value(value)
            if "JobStatus" not in ad:
                ad["JobStatus"] = to_classad_value(state["jobstatus"][1])
            return ad
        ad = copy.copy(self._cluster_ad)
        for low in changed:
            name, value = state[low]
            ad[name] = to_classad_value(value)
        return ad


def _same_value(a, b) -> bool:
    return type(a) is type(b) and a == b
