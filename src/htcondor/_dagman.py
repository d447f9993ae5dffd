"""A small DAGMan: runs the node jobs of a DAG file through the schedd, in dependency order.

:meth:`htcondor.Submit.from_dag` describes a scheduler-universe job whose
executable is this program (``condor_dagman``, or ``python -m
htcondor._dagman``); the schedd starts it with the DAGMan command line
HTCondor uses (``-Dag x.dag -Lockfile x.dag.lock -AutoRescue 1 ...``).  It
reads the DAG file, submits each node's job with this package's client API
once all the node's parents are done, follows the jobs through the nodes
log (``x.dag.nodes.log``), and writes its own diary to ``x.dag.dagman.out``
(``_CONDOR_DAGMAN_LOG``) in HTCondor's log line format.

What it understands: ``JOB`` (with ``DIR``, ``NOOP``, ``DONE``),
``PARENT ... CHILD ...``, ``RETRY`` (``UNLESS-EXIT``), ``VARS``, ``SCRIPT``
``PRE``/``POST`` (``DEFER``), ``PRE_SKIP``, ``ABORT-DAG-ON``, ``PRIORITY``,
``CATEGORY``/``MAXJOBS``, ``FINAL``, ``SET_JOB_ATTR``, ``INCLUDE``, ``CONFIG``
and ``ALL_NODES``.  A failed DAG leaves a rescue DAG (``x.dag.rescue001``,
then ``002``...) that the next run picks up by itself.  Exit status: 0 when
every node succeeded, 1 when one failed, 2 when DAGMan was removed, or the
``ABORT-DAG-ON`` return value.

``SUBDAG``, ``SPLICE`` and the other commands this emulation does not
implement stop it at parse time with a message in ``x.dag.dagman.out`` and
exit status 1; ``DOT``, ``NODE_STATUS_FILE`` and ``JOBSTATE_LOG`` are
reported there as ignored.

>>> parse_dag_text('JOB A a.sub\\nJOB B b.sub DIR sub\\nPARENT A CHILD B\\nRETRY B 2\\nVARS B x="1 2"\\n').nodes["B"]
Node(name='B', submit_file='b.sub', retries=2, vars={'x': '1 2'}, dir='sub')
"""

from __future__ import annotations

import dataclasses
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterable

__all__ = ["Node", "Script", "DagDescription", "DagParseError", "parse_dag_text", "parse_dag_file", "DAGMan",
           "dagman_submit_description", "main"]

#: DAGMan's exit statuses (HTCondor's ``EXIT_OKAY``, ``EXIT_ERROR``, ``EXIT_ABORT``).
EXIT_OKAY, EXIT_ERROR, EXIT_ABORT = 0, 1, 2

_UNSUPPORTED = {"SUBDAG", "SPLICE", "SUBMIT-DESCRIPTION", "PROVISIONER", "SERVICE", "CONNECT", "PIN_IN", "PIN_OUT",
                "REJECT", "SAVE_POINT_FILE", "ENV"}
_IGNORED = {"DOT", "NODE_STATUS_FILE", "JOBSTATE_LOG"}


class DagParseError(Exception):
    """A DAG file that cannot be read; the message names the file and line."""


@dataclasses.dataclass
class Script:
    """A PRE or POST script: program, arguments, and the ``DEFER`` status and delay (``None`` without)."""

    executable: str
    arguments: list[str]
    defer_status: int | None = None
    defer_time: int = 0


@dataclasses.dataclass
class Node:
    """One node of a DAG file, as parsed."""

    name: str
    submit_file: str
    retries: int = 0
    vars: dict[str, str] = dataclasses.field(default_factory=dict)
    dir: str | None = None
    noop: bool = False
    done: bool = False
    final: bool = False
    unless_exit: int | None = None
    pre: Script | None = None
    post: Script | None = None
    pre_skip: int | None = None
    priority: int = 0
    category: str | None = None
    abort_on: int | None = None
    abort_return: int | None = None
    parents: list[str] = dataclasses.field(default_factory=list)
    children: list[str] = dataclasses.field(default_factory=list)

    def __repr__(self) -> str:
        shown = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        defaults = {f.name: (f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default)
                    for f in dataclasses.fields(self) if f.name not in ("name", "submit_file")}
        extra = ", ".join(f"{k}={v!r}" for k, v in shown.items() if k in defaults and v != defaults[k]
                          and k not in ("parents", "children"))
        return f"Node(name={self.name!r}, submit_file={self.submit_file!r}" + (f", {extra})" if extra else ")")


@dataclasses.dataclass
class DagDescription:
    """A parsed DAG file: nodes in file order, the final node, and DAG-wide settings."""

    nodes: dict[str, Node] = dataclasses.field(default_factory=dict)
    final: Node | None = None
    category_limits: dict[str, int] = dataclasses.field(default_factory=dict)
    job_attrs: dict[str, str] = dataclasses.field(default_factory=dict)
    config_files: list[str] = dataclasses.field(default_factory=list)
    ignored: list[str] = dataclasses.field(default_factory=list)

    def all_nodes(self) -> list[Node]:
        return list(self.nodes.values()) + ([self.final] if self.final else [])


def _tokens(line: str) -> list[str]:
    lexer = shlex.shlex(line, posix=True, punctuation_chars=False)
    lexer.whitespace_split = True
    lexer.commenters = ""
    return list(lexer)


_VAR_RE = re.compile(r'\s*([A-Za-z_+][\w.+-]*)\s*=\s*"((?:[^"\\]|\\.)*)"')


def _parse_vars(text: str, where: str) -> dict[str, str]:
    found: dict[str, str] = {}
    pos = 0
    while pos < len(text.rstrip()):
        m = _VAR_RE.match(text, pos)
        if m is None:
            raise DagParseError(f"{where}: bad VARS entry near {text[pos:].strip()!r}")
        found[m.group(1)] = re.sub(r"\\(.)", r"\1", m.group(2))
        pos = m.end()
    return found


def parse_dag_text(text: str, filename: str = "<dag>", into: DagDescription | None = None,
                   base_dir: str = ".") -> DagDescription:
    """Parse the text of a DAG file.

    Parameters
    ----------
    text:
        The DAG file's contents.
    filename:
        Its name, for messages.
    into:
        A description to add to (``INCLUDE``); a new one by default.
    base_dir:
        Directory that ``INCLUDE`` paths are relative to.

    Returns
    -------
    DagDescription
        The nodes and settings.

    Raises
    ------
    DagParseError
        For a command this DAGMan does not implement, an unknown node, or bad syntax.
    """
    dag = into if into is not None else DagDescription()
    edges: list[tuple[list[str], list[str], str]] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{filename} (line {number})"
        words = _tokens(line) if not line.upper().startswith("VARS") else line.split()
        keyword = words[0].upper()

        def node(name: str) -> list[Node]:
            if name == "ALL_NODES":
                return list(dag.nodes.values())
            found = dag.nodes.get(name) or (dag.final if dag.final and dag.final.name == name else None)
            if found is None:
                raise DagParseError(f"{where}: unknown node {name}")
            return [found]

        try:
            if keyword in ("JOB", "FINAL"):
                name, submit_file, rest = words[1], words[2], [w.upper() for w in words[3:]]
                if name in dag.nodes or (dag.final and dag.final.name == name):
                    raise DagParseError(f"{where}: node name {name} already used")
                new = Node(name, submit_file, final=keyword == "FINAL")
                i = 0
                while i < len(rest):
                    if rest[i] == "DIR":
                        new.dir = words[3 + i + 1]
                        i += 2
                    elif rest[i] in ("NOOP", "DONE"):
                        setattr(new, rest[i].lower(), True)
                        i += 1
                    else:
                        raise DagParseError(f"{where}: unexpected {words[3 + i]!r}")
                if new.final:
                    dag.final = new
                else:
                    dag.nodes[name] = new
            elif keyword == "PARENT":
                upper = [w.upper() for w in words]
                if "CHILD" not in upper:
                    raise DagParseError(f"{where}: PARENT without CHILD")
                k = upper.index("CHILD")
                edges.append((words[1:k], words[k + 1:], where))
            elif keyword == "RETRY":
                count = int(words[2])
                unless = None
                if len(words) > 3:
                    if words[3].upper() != "UNLESS-EXIT":
                        raise DagParseError(f"{where}: unexpected {words[3]!r}")
                    unless = int(words[4])
                for n in node(words[1]):
                    n.retries, n.unless_exit = count, unless
            elif keyword == "VARS":
                rest = line.split(None, 2)
                body = rest[2] if len(rest) > 2 else ""
                if body.split(None, 1)[:1] and body.split(None, 1)[0].upper() in ("PREPEND", "APPEND"):
                    body = body.split(None, 1)[1] if len(body.split(None, 1)) > 1 else ""
                values = _parse_vars(body, where)
                for n in node(rest[1]):
                    n.vars.update(values)
            elif keyword == "SCRIPT":
                i, defer_status, defer_time = 1, None, 0
                while words[i].upper() in ("DEFER", "DEBUG"):
                    if words[i].upper() == "DEFER":
                        defer_status, defer_time = int(words[i + 1]), int(words[i + 2])
                        i += 3
                    else:
                        i += 3  # DEBUG <file> <type>: output capture is not emulated
                which = words[i].upper()
                if which not in ("PRE", "POST"):
                    raise DagParseError(f"{where}: SCRIPT {which} is not supported by this DAGMan")
                script = Script(words[i + 2], words[i + 3:], defer_status, defer_time)
                for n in node(words[i + 1]):
                    setattr(n, which.lower(), script)
            elif keyword == "PRE_SKIP":
                for n in node(words[1]):
                    n.pre_skip = int(words[2])
            elif keyword == "PRIORITY":
                for n in node(words[1]):
                    n.priority = int(words[2])
            elif keyword == "CATEGORY":
                if len(words) == 3 and (words[1] in dag.nodes or words[1] == "ALL_NODES"):
                    for n in node(words[1]):
                        n.category = words[2]
                else:
                    dag.category_limits[words[1]] = int(words[2])
            elif keyword == "MAXJOBS":
                dag.category_limits[words[1]] = int(words[2])
            elif keyword == "ABORT-DAG-ON":
                for n in node(words[1]):
                    n.abort_on = int(words[2])
                    if len(words) > 4 and words[3].upper() == "RETURN":
                        n.abort_return = int(words[4])
            elif keyword == "SET_JOB_ATTR":
                key, _, value = line.split(None, 1)[1].partition("=")
                dag.job_attrs[key.strip()] = value.strip()
            elif keyword == "CONFIG":
                dag.config_files.append(words[1])
            elif keyword == "INCLUDE":
                path = words[1] if os.path.isabs(words[1]) else os.path.join(base_dir, words[1])
                with open(path) as f:
                    parse_dag_text(f.read(), path, into=dag, base_dir=base_dir)
            elif keyword in _IGNORED:
                dag.ignored.append(f"{where}: {keyword} is not supported by this DAGMan; ignored")
            elif keyword in _UNSUPPORTED:
                raise DagParseError(f"{where}: {keyword} is not supported by this DAGMan emulation")
            else:
                raise DagParseError(f"{where}: unknown command {words[0]}")
        except (IndexError, ValueError) as e:
            raise DagParseError(f"{where}: cannot parse {line!r} ({e})") from None
    for parents, children, where in edges:
        for p in parents:
            for c in children:
                for name in (p, c):
                    if name not in dag.nodes:
                        raise DagParseError(f"{where}: unknown node {name}")
                if c not in dag.nodes[p].children:
                    dag.nodes[p].children.append(c)
                    dag.nodes[c].parents.append(p)
    return dag


def parse_dag_file(path: str) -> DagDescription:
    """Parse the DAG file at ``path`` (``INCLUDE`` paths are relative to the current directory).

    Raises
    ------
    DagParseError
        As :func:`parse_dag_text`.
    OSError
        When the file cannot be read.
    """
    with open(path) as f:
        return parse_dag_text(f.read(), path)


# ---------------------------------------------------------------------------------------------------------------
# running a DAG

WAITING, READY, PRERUN, SUBMITTED, POSTRUN, DONE, FAILED = range(7)


@dataclasses.dataclass
class _NodeRun:
    node: Node
    state: int = WAITING
    retry: int = 0
    cluster: int | None = None
    procs: int = 0
    finished_procs: int = 0
    return_value: int = 0
    failed_procs: int = 0
    pre_return: int | None = None


def _stamp(t: float | None = None) -> str:
    return time.strftime("%m/%d/%y %H:%M:%S", time.localtime(time.time() if t is None else t))


class DAGMan:
    """Runs one DAG file to its end; see the module documentation.

    Parameters
    ----------
    dag_file:
        The DAG file.
    lock_file:
        The lock file (default ``<dag_file>.lock``).
    out_file:
        The diary (default ``$_CONDOR_DAGMAN_LOG`` or ``<dag_file>.dagman.out``).
    max_jobs:
        The most node jobs in the queue at once (0: no limit).
    auto_rescue:
        Start from the newest rescue DAG, if there is one.
    rescue_from:
        Start from this rescue DAG number instead (0: the newest).
    poll_interval:
        Seconds between reads of the nodes log.
    """

    def __init__(self, dag_file: str, lock_file: str | None = None, out_file: str | None = None,
                 max_jobs: int = 0, auto_rescue: bool = True, rescue_from: int = 0, poll_interval: float = 0.05,
                 max_pre: int = 0, max_post: int = 0):
        self.dag_file = dag_file
        self.lock_file = lock_file or dag_file + ".lock"
        self.out_file = out_file or os.environ.get("_CONDOR_DAGMAN_LOG") or dag_file + ".dagman.out"
        self.nodes_log = os.path.abspath(dag_file + ".nodes.log")
        self.max_jobs = max_jobs
        self.auto_rescue = auto_rescue
        self.rescue_from = rescue_from
        self.poll_interval = poll_interval
        self.removed = False
        self._out = None
        self._schedd = None
        self.job_id = self._own_job_id()

    # -- the diary ------------------------------------------------------------------------------------------

    def log(self, text: str) -> None:
        for line in text.split("\n"):
            self._out.write(f"{_stamp()} {line}\n")
        self._out.flush()

    def _own_job_id(self) -> tuple[int, int] | None:
        """The DAGMan job's own id, from the job ad file the schedd's starter leaves (none when run by hand)."""
        self.job_ad = None
        path = os.environ.get("_CONDOR_JOB_AD")
        if not path:
            return None
        try:
            import classad

            with open(path) as f:
                self.job_ad = classad.parseOne(f.read())
            return int(self.job_ad["ClusterId"]), int(self.job_ad["ProcId"])
        except Exception:  # not run by a schedd after all: no job id to give the nodes
            return None

    @property
    def schedd(self):
        if self._schedd is None:
            import htcondor

            self._schedd = htcondor.Schedd()
        return self._schedd

    # -- the run ----------------------------------------------------------------------------------------------

    def run(self) -> int:
        """Run the DAG; return DAGMan's exit status."""
        self._out = open(self.out_file, "a")
        try:
            return self._run()
        finally:
            self._out.close()

    def _banner(self) -> None:
        who = f"condor_scheduniv_exec.{self.job_id[0]}.{self.job_id[1]}" if self.job_id else "condor_dagman"
        self._who = who
        for line in ("*" * 54, f"** {who} (CONDOR_DAGMAN) STARTING UP", f"** {sys.argv[0]}",
                     "** SubsystemInfo: name=DAGMAN type=DAGMAN(9) class=CLIENT(2)",
                     "** $CondorVersion: 24.0.24 (htcondor-python) $", f"** PID = {os.getpid()}", "*" * 54):
            self.log(line)

    def _run(self) -> int:
        self._banner()
        self.log(f"DAG Lockfile will be {self.lock_file}")
        self.log(f"DAG Input file is {self.dag_file}")
        if not self._lock():
            return EXIT_ERROR
        try:
            return self._run_locked()
        finally:
            try:
                os.unlink(self.lock_file)
            except OSError:
                pass

    def _lock(self) -> bool:
        try:
            fd = os.open(self.lock_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            try:
                with open(self.lock_file) as f:
                    pid = int(f.read().split()[0])
                os.kill(pid, 0)
            except (OSError, ValueError, IndexError):
                self.log(f"Lock file {self.lock_file} left by a DAGMan that is gone; taking it over")
                os.unlink(self.lock_file)
                return self._lock()
            self.log(f"ERROR: DAGMan pid {pid} is already running this DAG (lock file {self.lock_file})")
            self._exit_line(EXIT_ERROR)
            return False
        with os.fdopen(fd, "w") as f:
            f.write(f"{os.getpid()}\n")
        return True

    def _exit_line(self, status: int) -> None:
        self.log(f"**** {self._who} (condor_DAGMAN) pid {os.getpid()} EXITING WITH STATUS {status}")

    def _run_locked(self) -> int:
        self.log("Parsing 1 dagfiles")
        self.log(f"Parsing {self.dag_file} ...")
        try:
            dag = parse_dag_file(self.dag_file)
        except (DagParseError, OSError) as e:
            self.log(f"ERROR: {e}")
            self.log("Failed to parse DAG file")
            self._exit_line(EXIT_ERROR)
            return EXIT_ERROR
        for note in dag.ignored:
            self.log(f"WARNING: {note}")
        self.dag = dag
        self.log(f"Dag contains {len(dag.all_nodes())} total jobs")
        rescue = self._rescue_file_to_read()
        if rescue:
            self.log(f"Parsing {rescue} ...")
            with open(rescue) as f:
                for line in f:
                    words = line.split()
                    if len(words) == 2 and words[0].upper() == "DONE" and words[1] in dag.nodes:
                        dag.nodes[words[1]].done = True
        if dag.job_attrs and self.job_id:
            for key, value in dag.job_attrs.items():
                self.schedd.edit([f"{self.job_id[0]}.{self.job_id[1]}"], key, value)
        open(self.nodes_log, "a").close()
        import htcondor

        self.events = htcondor.JobEventLog(self.nodes_log)
        self.runs = {name: _NodeRun(n) for name, n in dag.nodes.items()}
        self.by_cluster: dict[int, _NodeRun] = {}
        premarked = 0
        for r in self.runs.values():
            if r.node.done:
                r.state = DONE
                premarked += 1
        self.premarked = premarked
        self.dag_status = 0
        self.log("Bootstrapping...")
        self.log(f"Number of pre-completed nodes: {premarked}")
        previous_handlers = {s: signal.signal(s, self._on_remove) for s in (signal.SIGUSR1, signal.SIGTERM)}
        try:
            status = self._loop(list(self.runs.values()))
            if status is None:
                status = EXIT_OKAY if all(r.state == DONE for r in self.runs.values()) else EXIT_ERROR
                self.dag_status = 0 if status == EXIT_OKAY else 2  # DAG_STATUS_OK, DAG_STATUS_NODE_FAILED
            else:
                self.dag_status = 4 if self.removed else 3  # DAG_STATUS_RM, DAG_STATUS_ABORT
            if dag.final is not None:  # the final node runs however the rest ended
                self.removed = False
                final = _NodeRun(dag.final)
                self.runs[dag.final.name] = final
                self.log(f"Running final node {dag.final.name}")
                self._loop([final])
                if final.state != DONE and status == EXIT_OKAY:
                    status = EXIT_ERROR
        finally:
            for s, h in previous_handlers.items():
                signal.signal(s, h)
        self._summary()
        if status == EXIT_OKAY:
            self.log("All jobs Completed!")
        else:
            self._write_rescue()
        self._exit_line(status)
        return status

    def _on_remove(self, signum, frame) -> None:
        self.removed = True

    # -- the main loop ----------------------------------------------------------------------------------------

    def _loop(self, runs: list[_NodeRun]) -> int | None:
        """Run ``runs`` until none can make progress; an ``ABORT-DAG-ON`` status ends it early."""
        while True:
            if self.removed:
                self.log("Received SIGUSR1: removing the DAG's jobs")
                self._remove_jobs(runs)
                return EXIT_ABORT
            aborted = self._read_events()
            if aborted is not None:
                self._remove_jobs(runs)
                return aborted
            ready = [r for r in runs if r.state == WAITING and
                     all(self.runs[p].state == DONE for p in r.node.parents)]
            ready.sort(key=lambda r: -r.node.priority)
            for r in ready:
                if self.max_jobs and self._in_queue(runs) >= self.max_jobs:
                    break
                limit = self.dag.category_limits.get(r.node.category or "")
                if limit is not None and sum(1 for o in runs if o.state == SUBMITTED
                                             and o.node.category == r.node.category) >= limit:
                    continue
                aborted = self._start(r)
                if aborted is not None:
                    self._remove_jobs(runs)
                    return aborted
            if not any(r.state == SUBMITTED for r in runs) and not any(
                    r.state == WAITING and all(self.runs[p].state == DONE for p in r.node.parents) for r in runs):
                return None
            time.sleep(self.poll_interval)

    @staticmethod
    def _in_queue(runs: Iterable[_NodeRun]) -> int:
        return sum(1 for r in runs if r.state == SUBMITTED)

    def _macros(self, r: _NodeRun) -> dict[str, str]:
        return {"JOB": r.node.name, "NODE": r.node.name, "RETRY": str(r.retry), "MAX_RETRIES": str(r.node.retries),
                "JOBID": f"{r.cluster}.0" if r.cluster is not None else "",
                "RETURN": str(r.return_value), "PRE_SCRIPT_RETURN": "" if r.pre_return is None else str(r.pre_return),
                "DAG_STATUS": str(self.dag_status),
                "FAILED_COUNT": str(sum(1 for o in self.runs.values() if o.state == FAILED))}

    def _run_script(self, r: _NodeRun, script: Script, which: str) -> int:
        macros = self._macros(r)

        def expand(word: str) -> str:
            return re.sub(r"\$(\w+)", lambda m: macros.get(m.group(1), m.group(0)), word)

        argv = [expand(w) for w in [script.executable] + script.arguments]
        cwd = r.node.dir or None
        while True:
            self.log(f"Running {which} script of Node {r.node.name}...")
            try:
                status = subprocess.run(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL).returncode
            except OSError as e:
                self.log(f"ERROR: cannot run {which} script of node {r.node.name}: {e}")
                status = 1
            if status < 0:
                status = 128 - status
            if script.defer_status is not None and status == script.defer_status:
                self.log(f"Deferring {which} script of Node {r.node.name} for {script.defer_time} seconds")
                time.sleep(script.defer_time)
                continue
            self.log(f"{which} Script of node {r.node.name} completed with status {status}")
            return status

    def _start(self, r: _NodeRun) -> int | None:
        node = r.node
        r.pre_return, r.return_value, r.failed_procs, r.finished_procs = None, 0, 0, 0
        if node.pre is not None:
            r.state = PRERUN
            r.pre_return = self._run_script(r, node.pre, "PRE")
            if node.pre_skip is not None and r.pre_return == node.pre_skip:
                self.log(f"Node {node.name} PRE_SKIP: skipping the job and the POST script")
                r.state = DONE
                return None
            if r.pre_return != 0:
                r.return_value = r.pre_return
                return self._node_failed(r, f"PRE script failed with status {r.pre_return}")
        if node.noop:
            self.log(f"Node {node.name} is a NOOP node: not submitting a job")
            return self._job_finished(r)
        self.log(f"Submitting HTCondor Node {node.name} job(s)...")
        try:
            cluster, procs = self._submit(r)
        except Exception as e:
            self.log(f"ERROR: submitting node {node.name} failed: {e}")
            r.return_value = 1
            return self._node_failed(r, "job submit failed")
        r.cluster, r.procs, r.state = cluster, procs, SUBMITTED
        self.by_cluster[cluster] = r
        self.log(f"Submitting node {node.name} from file {node.submit_file} using direct job submission")
        self.log(f"\tassigned HTCondor ID ({cluster}.0.0)")
        self.log("Just submitted 1 job this cycle...")
        return None

    def _submit(self, r: _NodeRun) -> tuple[int, int]:
        import htcondor

        from ._schedd import submit_in_transaction

        node = r.node
        here = os.getcwd()
        try:
            if node.dir:
                os.chdir(node.dir)
            with open(node.submit_file) as f:
                sub = htcondor.Submit(f.read())
            for key, value in node.vars.items():
                sub[key] = value
            # The node events must reach the log DAGMan reads; this schedd writes only the job's own log.
            sub["log"] = self.nodes_log
            sub["dagman_log"] = self.nodes_log
            sub["My.DAGNodeName"] = '"' + node.name + '"'
            sub["DAG_NODE_NAME"] = node.name
            sub["submit_event_notes"] = f"DAG Node: {node.name}"
            if node.parents:
                sub["My.DAGParentNodeNames"] = '"' + ",".join(node.parents) + '"'
            if self.job_id:
                sub["My.DAGManJobId"] = str(self.job_id[0])
                sub["DAGManJobId"] = str(self.job_id[0])
                # the nodes share the DAGMan job's batch name, by default "<dag file>+<cluster>"
                batch = self.job_ad.get("JobBatchName") if self.job_ad is not None else None
                if not isinstance(batch, str):
                    batch = f"{os.path.basename(self.dag_file)}+{self.job_id[0]}"
                sub.setdefault("batch_name", batch)
            if node.priority:
                sub.setdefault("priority", str(node.priority))
            cluster, num, _ = self.schedd._run_in_transaction(
                lambda txn: submit_in_transaction(sub, txn, 0, None, use_qargs=True))
            return cluster, num
        finally:
            os.chdir(here)

    def _read_events(self) -> int | None:
        import htcondor

        ET = htcondor.JobEventType
        for event in self.events.events(stop_after=0):
            r = self.by_cluster.get(event.cluster)
            if r is None or r.state != SUBMITTED:
                continue
            tag = f"HTCondor Node {r.node.name} ({event.cluster}.{event.proc}.0)"
            self.log(f"Event: ULOG_{event.type.name} for {tag} {{{_stamp(event.timestamp)}}}")
            if event.type == ET.JOB_TERMINATED:
                if event.get("TerminatedNormally", True):
                    value = int(event.get("ReturnValue", 0))
                else:
                    value = -int(event.get("TerminatedBySignal", 1))
                if value == 0:
                    self.log(f"Node {r.node.name} job proc ({event.cluster}.{event.proc}.0) completed successfully.")
                else:
                    self.log(f"Node {r.node.name} job proc ({event.cluster}.{event.proc}.0) failed with "
                             f"status {value}.")
                    r.failed_procs += 1
                    r.return_value = value
            elif event.type == ET.JOB_ABORTED:
                r.failed_procs += 1
                r.return_value = 1
                self.log(f"Node {r.node.name} job proc ({event.cluster}.{event.proc}.0) was removed.")
            elif event.type == ET.JOB_HELD:
                self.log(f"Node {r.node.name} job proc ({event.cluster}.{event.proc}.0) is held: "
                         f"{event.get('HoldReason', '')}")
                continue
            else:
                continue
            r.finished_procs += 1
            if r.finished_procs >= r.procs:
                self.by_cluster.pop(event.cluster, None)
                aborted = self._job_finished(r)
                if aborted is not None:
                    return aborted
        return None

    def _job_finished(self, r: _NodeRun) -> int | None:
        node = r.node
        if node.abort_on is not None and r.return_value == node.abort_on:
            self.log(f"Aborting DAG because we got the ABORT exit value from node {node.name}")
            r.state = FAILED
            return node.abort_return if node.abort_return is not None else r.return_value
        if node.post is not None:
            r.state = POSTRUN
            status = self._run_script(r, node.post, "POST")
            r.return_value = status
            ok = status == 0
        else:
            ok = r.failed_procs == 0
        if ok:
            self.log(f"Node {node.name} job completed")
            r.state = DONE
            return None
        return self._node_failed(r, f"job failed with status {r.return_value}")

    def _node_failed(self, r: _NodeRun, why: str) -> int | None:
        node = r.node
        if r.retry < node.retries and (node.unless_exit is None or r.return_value != node.unless_exit):
            r.retry += 1
            self.log(f"Node {node.name} failed ({why}); retrying (retry {r.retry} of {node.retries})")
            r.state, r.cluster = WAITING, None
            return None
        self.log(f"ERROR: Node {node.name} failed: {why}")
        r.state = FAILED
        return None

    def _remove_jobs(self, runs: Iterable[_NodeRun]) -> None:
        import htcondor

        for r in runs:
            if r.state == SUBMITTED and r.cluster is not None:
                try:
                    self.schedd.act(htcondor.JobAction.Remove, f"ClusterId == {r.cluster}",
                                    "Removed by DAGMan")
                except Exception as e:  # the DAG is ending anyway; say why the job may linger
                    self.log(f"WARNING: could not remove job cluster {r.cluster}: {e}")
                r.state = FAILED

    # -- the end ----------------------------------------------------------------------------------------------

    def _counts(self) -> dict[str, int]:
        runs = [r for name, r in self.runs.items() if not (self.dag.final and name == self.dag.final.name)]
        failed = {r.node.name for r in runs if r.state == FAILED}
        futile = set()
        for r in runs:
            if r.state == WAITING:
                stack = list(r.node.parents)
                while stack:
                    p = stack.pop()
                    if p in failed:
                        futile.add(r.node.name)
                        break
                    stack.extend(self.runs[p].node.parents)
        return {"Done": sum(r.state == DONE for r in runs), "Pre": sum(r.state == PRERUN for r in runs),
                "Queued": sum(r.state == SUBMITTED for r in runs), "Post": sum(r.state == POSTRUN for r in runs),
                "Ready": sum(r.state == WAITING and r.node.name not in futile and all(
                    self.runs[p].state == DONE for p in r.node.parents) for r in runs),
                "Un-Ready": sum(r.state == WAITING and r.node.name not in futile for r in runs),
                "Failed": len(failed), "Futile": len(futile)}

    def _summary(self) -> None:
        counts = self._counts()
        counts["Un-Ready"] -= counts["Ready"]
        self.log(f"Of {len(self.dag.nodes)} nodes total:")
        self.log(" Done     Pre   Queued    Post   Ready   Un-Ready   Failed   Futile")
        self.log("  ===     ===      ===     ===     ===        ===      ===      ===")
        self.log("".join(f"{v:>{w}}" for v, w in zip(counts.values(), (5, 8, 9, 8, 8, 11, 9, 9))))

    def _rescue_files(self) -> list[tuple[int, str]]:
        directory = os.path.dirname(os.path.abspath(self.dag_file))
        base = os.path.basename(self.dag_file)
        found = []
        for name in os.listdir(directory):
            m = re.fullmatch(re.escape(base) + r"\.rescue(\d{3})", name)
            if m:
                found.append((int(m.group(1)), os.path.join(directory, name)))
        return sorted(found)

    def _rescue_file_to_read(self) -> str | None:
        found = dict(self._rescue_files())
        if self.rescue_from:
            if self.rescue_from not in found:
                self.log(f"ERROR: rescue DAG number {self.rescue_from} does not exist")
                return None
            return found[self.rescue_from]
        if self.auto_rescue and found:
            number = max(found)
            self.log(f"Found rescue DAG number {number}; running {found[number]} in combination with "
                     f"normal DAG file")
            return found[number]
        return None

    def _write_rescue(self) -> None:
        found = self._rescue_files()
        number = (found[-1][0] if found else 0) + 1
        path = f"{self.dag_file}.rescue{number:03d}"
        failed = [r.node.name for r in self.runs.values() if r.state == FAILED]
        lines = ["# Rescue DAG file, created after running", f"#   the {self.dag_file} DAG file",
                 f"# Created {time.strftime('%m/%d/%Y %H:%M:%S UTC', time.gmtime())}",
                 "# Rescue DAG version: 2.0.1 (partial)", "#",
                 f"# Total number of Nodes: {len(self.dag.nodes)}",
                 f"# Nodes premarked DONE: {self.premarked}", f"# Nodes that failed: {len(failed)}",
                 "#   " + ",".join(failed + ["<ENDLIST>"]), ""]
        lines += [f"DONE {name}" for name, r in self.runs.items() if r.state == DONE and name in self.dag.nodes]
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.log(f"Writing Rescue DAG file {path}")


# ---------------------------------------------------------------------------------------------------------------
# the DAGMan job's submit description (condor_submit_dag's first half)

_VERSION = "$CondorVersion: 24.0.24 2025-01-01 BuildID: htcondor-python $"
_GETENV = ("CONDOR_CONFIG,_CONDOR_*,PATH,PYTHONPATH,PERL*,PEGASUS_*,TZ,HOME,USER,LANG,LC_ALL,BEARER_TOKEN,"
           "BEARER_TOKEN_FILE,XDG_RUNTIME_DIR")
_ON_EXIT_REMOVE = "(ExitSignal =?= 11 || (ExitCode =!= UNDEFINED && ExitCode >=0 && ExitCode <= 2))"
_BOOL_OPTIONS = ("force", "alwaysrunpost", "usedagdir", "allowversionmismatch", "do_recurse", "update_submit",
                 "import_env", "dumprescue", "valgrind", "suppress_notification", "dorecov")
_INT_OPTIONS = ("maxidle", "maxjobs", "maxpre", "maxpost", "debug", "dorescuefrom", "autorescue", "priority")
_STR_OPTIONS = ("dagman", "schedd-address-file", "outfile_dir", "config", "batch-name", "load_save",
                "include_env", "insert_env")


def _find_dagman() -> str | None:
    import shutil

    found = shutil.which("condor_dagman")
    if found:
        return os.path.abspath(found)
    beside = os.path.join(os.path.dirname(sys.executable), "condor_dagman")
    return beside if os.access(beside, os.X_OK) else None


def _dagman_options(options: dict) -> dict:
    """Check and normalise the ``from_dag`` options (keys case-insensitive), as the official module does."""
    from ._errors import HTCondorInternalError, HTCondorTypeError

    checked: dict = {}
    for key, value in options.items():
        name = str(key).lower()
        known = name in _BOOL_OPTIONS or name in _INT_OPTIONS or name in _STR_OPTIONS
        if not known:
            print(f"WARNING: DAGMan option '{key}' not recognized, skipping")  # stdout, as officially
            continue
        if value is None or isinstance(value, float):
            raise HTCondorInternalError(f"empty value provided for DAGMan option {key}")
        if name in _BOOL_OPTIONS:
            if not isinstance(value, (bool, int)):
                raise HTCondorTypeError(f"DAGMan option '{key}' needs to be a bool.")
            checked[name] = bool(value)
        elif name in _INT_OPTIONS:
            if isinstance(value, bool):
                raise HTCondorTypeError(f"DAGMan option '{key}' needs to be a integer.")
            try:
                checked[name] = int(value)
            except (TypeError, ValueError):
                raise HTCondorTypeError(f"DAGMan option '{key}' needs to be a integer.") from None
        else:
            checked[name] = str(value)
    return checked


def _quote_args(words: list[str]) -> str:
    """The new-syntax (double-quoted) form of an argument list; a space inside a word becomes ``' '``."""
    return '"' + " ".join("' '".join(w.split(" ")) for w in words) + '"'


def dagman_submit_description(filename: str, options: dict | None = None) -> tuple[list[tuple[str, str]], str]:
    """The DAGMan job's submit commands for the DAG file ``filename``, and the ``.condor.sub`` file's text.

    This is what :meth:`htcondor.Submit.from_dag` builds; it also checks
    the options and writes ``<filename>.condor.sub``.

    Raises
    ------
    HTCondorIOError
        When the DAG file cannot be read, condor_dagman cannot be found, a
        config file is missing, or the submit file exists and ``force`` is not set.
    HTCondorTypeError, HTCondorInternalError
        For an option of the wrong type or without a value.
    """
    from ._errors import HTCondorIOError

    opts = _dagman_options(dict(options or {}))
    try:
        with open(filename) as f:
            dag_text = f.read()
    except OSError:
        raise HTCondorIOError("Could not read DAG file") from None
    dagman = opts.get("dagman") or _find_dagman()
    if not dagman:
        print("ERROR: Failed to locate condor_dagman executable in PATH", file=sys.stderr)
        raise HTCondorIOError("Failed to locate condor_dagman executable in PATH")
    config = opts.get("config")
    for line in dag_text.splitlines():
        words = line.split()
        if len(words) >= 2 and words[0].upper() == "CONFIG":
            in_dag = os.path.abspath(words[1])
            if config is not None and os.path.abspath(config) != in_dag:
                print(f"ERROR: Conflicting DAGMan config files specified: {config} and {in_dag}", file=sys.stderr)
                raise HTCondorIOError(f"Conflicting DAGMan config files specified: {config} and {in_dag}")
            config = in_dag
    if config is not None and not os.path.isfile(config):
        print(f"ERROR: unable to read config file {config} (error 2, No such file or directory)", file=sys.stderr)
        raise HTCondorIOError("Unable to write condor_dagman submit file")
    rescue_from = opts.get("dorescuefrom", 0)
    if rescue_from > 0 and not os.path.exists(f"{filename}.rescue{rescue_from:03d}"):
        print(f"-dorescuefrom {rescue_from} specified, but rescue DAG file {filename}.rescue{rescue_from:03d} "
              "does not exist!", file=sys.stderr)
        raise HTCondorIOError("Unable to write condor_dagman output files")
    sub_file = filename + ".condor.sub"
    if os.path.exists(sub_file) and not opts.get("force"):
        print(f'ERROR: "{sub_file}" already exists.\n\nSome file(s) needed by condor_dagman already exist. '
              'Either:\n- Rename them\n\tor\n- Set the { "force" : True } option to force them to be overwritten.',
              file=sys.stderr)
        raise HTCondorIOError("Unable to write condor_dagman output files")

    def has(name: str) -> bool:
        return bool(opts.get(name))

    args = ["-p", "0", "-f", "-l", "."]
    if "debug" in opts:
        args += ["-Debug", str(opts["debug"])]
    args += ["-Lockfile", filename + ".lock", "-Dag", filename]
    for name, flag in (("maxidle", "-MaxIdle"), ("maxjobs", "-MaxJobs"), ("maxpre", "-MaxPre"),
                       ("maxpost", "-MaxPost")):
        if opts.get(name, -1) >= 0:
            args += [flag, str(opts[name])]
    args += ["-AlwaysRunPost"] * has("alwaysrunpost") + ["-DoRecov"] * has("dorecov")
    args += ["-CsdVersion", _VERSION] + ["-DumpRescue"] * has("dumprescue")
    if opts.get("priority", 0):
        args += ["-Priority", str(opts["priority"])]
    if "load_save" in opts:
        args += ["-load_save", opts["load_save"]]
    args += ["-dagman", dagman] + ["-UseDagDir"] * has("usedagdir")
    if "outfile_dir" in opts:
        args += ["-outfile_dir", opts["outfile_dir"]]
    args += ["-AutoRescue", str(opts.get("autorescue", 1)), "-DoRescueFrom", str(rescue_from)]
    args += ["-AllowVersionMismatch"] * has("allowversionmismatch") + ["-import_env"] * has("import_env")
    for name in ("include_env", "insert_env"):
        if name in opts:
            args += ["-" + name, opts[name]]
    args += ["-do_recurse"] * has("do_recurse")
    if "suppress_notification" in opts:
        args.append("-suppress_notification" if opts["suppress_notification"] else "-dont_suppress_notification")
    args += ["-force"] * has("force") + ["-update_submit"] * has("update_submit")
    executable = dagman
    if has("valgrind"):
        executable = "/usr/bin/valgrind"
        args = ["--tool=memcheck", "--leak-check=yes", "--show-reachable=yes", dagman] + args

    out_dir = opts.get("outfile_dir")
    dagman_out = os.path.join(out_dir, os.path.basename(filename)) if out_dir else filename
    env = {"_CONDOR_DAGMAN_LOG": dagman_out + ".dagman.out", "_CONDOR_MAX_DAGMAN_LOG": "0"}
    if config is not None:
        env["_CONDOR_DAGMAN_CONFIG_FILE"] = config
    if "schedd-address-file" in opts:
        env["_CONDOR_SCHEDD_ADDRESS_FILE"] = opts["schedd-address-file"]
    if has("import_env"):
        env = {**os.environ, **env}
    for entry in opts.get("insert_env", "").split(";"):
        if "=" in entry:
            key, _, value = entry.partition("=")
            env[key.strip()] = value.strip()
    getenv = _GETENV + ("," + opts["include_env"] if "include_env" in opts else "")

    commands = [("universe", "scheduler"), ("executable", executable), ("getenv", getenv),
                ("output", filename + ".lib.out"), ("error", filename + ".lib.err"),
                ("log", filename + ".dagman.log")]
    if "batch-name" in opts:
        commands.append(("My.JobBatchName", '"' + opts["batch-name"] + '"'))
    commands += [("remove_kill_sig", "SIGUSR1"), ("My.OtherJobRemoveRequirements", '"DAGManJobId =?= $(cluster)"'),
                 ("on_exit_remove", _ON_EXIT_REMOVE), ("arguments", _quote_args(args)),
                 ("environment", '"' + " ".join(f"{k}={v}" for k, v in sorted(env.items())) + '"')]
    lines = [f"# Filename: {sub_file}", f"# Generated by condor_submit_dag {filename} "]
    for key, value in commands:
        if key == "on_exit_remove":
            lines += ["# Note: default on_exit_remove expression:", f"# {_ON_EXIT_REMOVE}",
                      "# attempts to ensure that DAGMan is automatically",
                      "# requeued by the schedd if it exits abnormally or", "# is killed (e.g., during a reboot)."]
        padded = key in ("universe", "executable", "getenv", "output", "error", "log")
        lines.append(f"{key:<12}= {value}" if padded else f"{key} = {value}")
    text = "\n".join(lines) + "\nqueue\n"
    try:
        with open(sub_file, "w") as f:
            f.write(text)
    except OSError:
        raise HTCondorIOError("Unable to write condor_dagman submit file") from None
    return commands, text


# ---------------------------------------------------------------------------------------------------------------
# the command line


def main(argv: list[str] | None = None) -> int:
    """``condor_dagman``: run a DAG with the command line :meth:`htcondor.Submit.from_dag` writes.

    Parameters
    ----------
    argv:
        The arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        DAGMan's exit status.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    dag_files: list[str] = []
    options: dict[str, str | bool] = {}
    takes_value = {"-p", "-l", "-lockfile", "-dag", "-csdversion", "-dagman", "-autorescue", "-dorescuefrom",
                   "-maxjobs", "-maxidle", "-maxpre", "-maxpost", "-debug", "-priority", "-load_save",
                   "-outfile_dir", "-config", "-include_env", "-insert_env", "-batch-name"}
    i = 0
    while i < len(args):
        flag = args[i].lower()
        if flag in takes_value:
            if i + 1 >= len(args):
                print(f"condor_dagman: {args[i]} needs a value", file=sys.stderr)
                return EXIT_ERROR
            if flag == "-dag":
                dag_files.append(args[i + 1])
            else:
                options[flag] = args[i + 1]
            i += 2
        else:
            options[flag] = True
            i += 1
    if len(dag_files) != 1:
        print("condor_dagman: this DAGMan runs exactly one DAG file (-Dag)", file=sys.stderr)
        return EXIT_ERROR
    dag_file = dag_files[0]
    if options.get("-usedagdir"):
        os.chdir(os.path.dirname(os.path.abspath(dag_file)))
        dag_file = os.path.basename(dag_file)
    out_file = os.environ.get("_CONDOR_DAGMAN_LOG") or dag_file + ".dagman.out"

    def number(name: str, default: int = 0) -> int:
        try:
            return int(options.get(name, default))
        except (TypeError, ValueError):
            return default

    dagman = DAGMan(dag_file, lock_file=str(options.get("-lockfile") or dag_file + ".lock"), out_file=out_file,
                    max_jobs=number("-maxjobs"), auto_rescue=number("-autorescue", 1) != 0,
                    rescue_from=number("-dorescuefrom"))
    return dagman.run()


if __name__ == "__main__":
    sys.exit(main())
