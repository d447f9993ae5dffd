"""Writing a :class:`~htcondor.dags.DAG` out as a DAGMan input file plus its submit files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from . import edges, formatter, node

if TYPE_CHECKING:
    from .dag import DAG
from .walk_order import WalkOrder

__all__ = ["DEFAULT_DAG_FILE_NAME", "CONFIG_FILE_NAME", "NOOP_SUBMIT_FILE_NAME", "write_dag", "DAGWriter"]

DEFAULT_DAG_FILE_NAME = "dagfile.dag"
CONFIG_FILE_NAME = "dagman.config"
NOOP_SUBMIT_FILE_NAME = "__JOIN__.sub"


def write_dag(dag: DAG, dag_dir: Path | str, dag_file_name: str | None = DEFAULT_DAG_FILE_NAME,
              node_name_formatter: formatter.NodeNameFormatter | None = None) -> Path:
    """Write ``dag`` into ``dag_dir``: the DAG file, a ``<layer>.sub`` per layer, and helpers.

    Besides the DAG file, the directory gets one submit file per layer
    whose description is an :class:`htcondor.Submit` (layers given a path
    use that file), an empty ``__JOIN__.sub`` when join nodes are needed,
    and ``dagman.config`` when the DAG has DAGMan configuration.

    Parameters
    ----------
    dag:
        The :class:`~htcondor.dags.DAG` to write.
    dag_dir:
        The directory to write into; made if missing.
    dag_file_name:
        The DAG file's name (``None`` means ``dagfile.dag``).
    node_name_formatter:
        How underlying nodes are named; the default is :class:`~htcondor.dags.SimpleFormatter`.

    Returns
    -------
    pathlib.Path
        The absolute path of the DAG file, ready for :meth:`htcondor.Submit.from_dag`.

    Raises
    ------
    OneToOneEdgeNeedsSameNumberOfVars, IncompatibleGrouper, LayerNameContainsSeparator
        When an edge or a name cannot be written.

    Examples
    --------
    >>> import htcondor, tempfile
    >>> from htcondor import dags
    >>> dag = dags.DAG()
    >>> a = dag.layer(name="a", submit_description=htcondor.Submit({"executable": "/bin/true"}),
    ...               vars=[{"n": "1"}, {"n": "2"}], retries=2)
    >>> b = a.child_layer(name="b", submit_description=htcondor.Submit({"executable": "/bin/true"}))
    >>> path = dags.write_dag(dag, tempfile.mkdtemp())
    >>> print(path.read_text(), end="")
    # BEGIN META
    # END META
    # BEGIN NODES AND EDGES
    JOB a:0 a.sub
    VARS a:0 n="1"
    RETRY a:0 2
    JOB a:1 a.sub
    VARS a:1 n="2"
    RETRY a:1 2
    PARENT a:0 a:1 CHILD b:0
    JOB b:0 b.sub
    # END NODES AND EDGES
    >>> print((path.parent / "a.sub").read_text())
    executable = /bin/true
    <BLANKLINE>
    queue
    """
    writer = DAGWriter(dag, node_name_formatter=node_name_formatter)
    return writer.write(dag_dir, dag_file_name=dag_file_name)


def _quote_var(value: object) -> str:
    # DAGMan reads VARS values as double-quoted strings with backslash escapes
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


class DAGWriter:
    """Turns one :class:`~htcondor.dags.DAG` into files (one :meth:`write` per writer: join numbering is kept).

    Parameters
    ----------
    dag:
        The DAG.
    node_name_formatter:
        How underlying nodes are named.
    """

    def __init__(self, dag: DAG, node_name_formatter: formatter.NodeNameFormatter | None = None):
        self.dag = dag
        self.node_name_formatter = node_name_formatter or formatter.SimpleFormatter()
        self.join_factory = edges.JoinFactory()

    def write(self, dag_dir: Path | str, dag_file_name: str | None = DEFAULT_DAG_FILE_NAME) -> Path:
        """Write every file into ``dag_dir`` and return the DAG file's absolute path."""
        dag_dir = Path(dag_dir).absolute()
        dag_dir.mkdir(parents=True, exist_ok=True)
        path = dag_dir / (dag_file_name or DEFAULT_DAG_FILE_NAME)
        lines = list(self.yield_dag_file_lines())  # before any file is written: errors leave nothing half-done
        path.write_text("".join(line + "\n" for line in lines))
        for item in list(self.dag.nodes) + ([self.dag._final_node] if self.dag._final_node else []):
            if isinstance(item, (node.NodeLayer, node.FinalNode)) and not isinstance(item.submit_description,
                                                                                     (str, Path)):
                (dag_dir / f"{item.name}.sub").write_text(f"{item.submit_description}\nqueue")
        if self.join_factory.joins:
            (dag_dir / NOOP_SUBMIT_FILE_NAME).touch(exist_ok=True)
        if self.dag.dagman_config:
            (dag_dir / CONFIG_FILE_NAME).write_text(
                "\n".join(f"{k} = {v}" for k, v in self.dag.dagman_config.items()))
        return path

    # -- the DAG file --------------------------------------------------------------------------------

    def yield_dag_file_lines(self) -> Iterator[str]:
        """Every line of the DAG file, without newlines."""
        yield "# BEGIN META"
        yield from self._meta_lines()
        yield "# END META"
        yield "# BEGIN NODES AND EDGES"
        for item in self.dag.walk(WalkOrder.BREADTH_FIRST):
            yield from self._node_lines(item)
            yield from self._edge_lines(item)
        for join in self.join_factory.joins:
            yield f"JOB {self._join_name(join)} {NOOP_SUBMIT_FILE_NAME} NOOP"
        yield "# END NODES AND EDGES"
        final = self.dag._final_node
        if final is not None:
            yield "# FINAL NODE"
            yield f"FINAL {final.name} {self._submit_file(final)}"
            yield from self._option_lines(final, final.name)
            yield "# END FINAL NODE"

    def _meta_lines(self) -> Iterator[str]:
        dag = self.dag
        if dag.dagman_config:
            yield f"CONFIG {CONFIG_FILE_NAME}"
        if dag.jobstate_log is not None:
            yield f"JOBSTATE_LOG {dag.jobstate_log.as_posix()}"
        status = dag.node_status_file
        if status is not None:
            words = ["NODE_STATUS_FILE", status.path.as_posix()]
            if status.update_time is not None:
                words.append(str(status.update_time))
            if status.always_update:
                words.append("ALWAYS-UPDATE")
            yield " ".join(words)
        dot = dag.dot_config
        if dot is not None:
            words = ["DOT", dot.path.as_posix(), "UPDATE" if dot.update else "DONT-UPDATE",
                     "OVERWRITE" if dot.overwrite else "DONT-OVERWRITE"]
            if dot.include_file is not None:
                words += ["INCLUDE", dot.include_file.as_posix()]
            yield " ".join(words)
        for key, value in dag.dagman_job_attrs.items():
            yield f"SET_JOB_ATTR {key} = {value}"
        for category, limit in dag.max_jobs_per_category.items():
            yield f"CATEGORY {category} {limit}"

    def _submit_file(self, item) -> str:
        if isinstance(item.submit_description, (str, Path)):
            return Path(item.submit_description).absolute().as_posix()
        return f"{item.name}.sub"

    def _node_lines(self, item: node.BaseNode) -> Iterator[str]:
        if isinstance(item, node.NodeLayer):
            submit_file = self._submit_file(item)
            for index, node_vars in enumerate(item.vars):
                name = self._name(item, index)
                yield " ".join([f"JOB {name} {submit_file}"] + self._flags(item, index))
                if node_vars:
                    yield f"VARS {name} " + " ".join(f"{k}={_quote_var(v)}" for k, v in node_vars.items())
                yield from self._option_lines(item, name)
        elif isinstance(item, node.SubDAG):
            name = self._name(item, 0)
            yield " ".join([f"SUBDAG EXTERNAL {name} {item.dag_file}"] + self._flags(item, 0))
            yield from self._option_lines(item, name)
        else:
            raise TypeError(f"cannot write node {item} of type {type(item).__name__}")

    @staticmethod
    def _flags(item: node.BaseNode, index: int) -> list[str]:
        words = []
        if item.dir is not None:
            words += ["DIR", str(item.dir)]
        if item.noop.get(index, False):
            words.append("NOOP")
        if item.done.get(index, False):
            words.append("DONE")
        return words

    @staticmethod
    def _option_lines(item: node.BaseNode, name: str) -> Iterator[str]:
        if item.retries is not None:
            unless = "" if item.retry_unless_exit is None else f" UNLESS-EXIT {item.retry_unless_exit}"
            yield f"RETRY {name} {item.retries}{unless}"
        for which, script in (("PRE", item.pre), ("POST", item.post)):
            if script is not None:
                words = ["SCRIPT"]
                if script.retry:
                    words += ["DEFER", script.retry_status, script.retry_delay]
                words += [which, name, script.executable, *script.arguments]
                yield " ".join(str(w) for w in words)
        if item.pre_skip_exit_code is not None:
            yield f"PRE_SKIP {name} {item.pre_skip_exit_code}"
        if item.priority != 0:
            yield f"PRIORITY {name} {item.priority}"
        if item.category is not None:
            yield f"CATEGORY {name} {item.category}"
        if item.abort is not None:
            ret = "" if item.abort.dag_return_value is None else f" RETURN {item.abort.dag_return_value}"
            yield f"ABORT-DAG-ON {name} {item.abort.node_exit_value}{ret}"

    def _name(self, item: node.BaseNode, index: int) -> str:
        return self.node_name_formatter.generate(item.name, index)

    def _join_name(self, join: edges.JoinNode) -> str:
        return self.node_name_formatter.generate("__JOIN__", join.id)

    def _edge_lines(self, parent: node.BaseNode) -> Iterator[str]:
        for child in self.dag.node_to_children[parent]:
            edge = self.dag._edges.get(parent, child)
            for up, down in edge.get_edges(parent, child, self.join_factory):
                up_names = [self._join_name(up)] if isinstance(up, edges.JoinNode) else \
                    [self._name(parent, i) for i in up]
                down_names = [self._join_name(down)] if isinstance(down, edges.JoinNode) else \
                    [self._name(child, i) for i in down]
                yield f"PARENT {' '.join(up_names)} CHILD {' '.join(down_names)}"
