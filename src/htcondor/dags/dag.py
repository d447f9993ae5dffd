"""The :class:`DAG`: a graph of logical nodes plus the DAG-wide DAGMan settings."""

from __future__ import annotations

import collections
import fnmatch
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

from . import edges, node, utils
from .exceptions import DuplicateNodeName, UnrecognizedWalkOrder
from .walk_order import WalkOrder

__all__ = ["DAG", "DotConfig", "NodeStatusFile"]


class DotConfig:
    """Whether and how DAGMan draws the DAG as a Graphviz DOT file (``DOT``).

    Parameters
    ----------
    path:
        Where DAGMan writes the DOT file.
    update:
        Rewrite it as the DAG runs (``UPDATE``) instead of once at the start.
    overwrite:
        Rewrite the same file (``OVERWRITE``) instead of numbered new ones.
    include_file:
        A file whose text DAGMan copies into the DOT file (``INCLUDE``).

    >>> from htcondor.dags import DotConfig
    >>> DotConfig("dag.dot", update=True)
    DotConfig(path = dag.dot, update = True, overwrite = True, include_file = None)
    """

    def __init__(self, path: Path | str, update: bool = False, overwrite: bool = True,
                 include_file: Path | str | None = None):
        self.path = Path(path)
        self.update = update
        self.overwrite = overwrite
        self.include_file = None if include_file is None else Path(include_file)

    def __repr__(self) -> str:
        return utils.make_repr(self, ("path", "update", "overwrite", "include_file"))


class NodeStatusFile:
    """Where and how often DAGMan writes the status of every node (``NODE_STATUS_FILE``).

    Parameters
    ----------
    path:
        The status file.
    update_time:
        The least number of seconds between two updates.
    always_update:
        Rewrite the file even when nothing changed (``ALWAYS-UPDATE``).

    >>> from htcondor.dags import NodeStatusFile
    >>> NodeStatusFile("status.txt", update_time=30)
    NodeStatusFile(path = status.txt, update_time = 30, always_update = False)
    """

    def __init__(self, path: Path | str, update_time: int | None = None, always_update: bool | None = False):
        self.path = Path(path)
        self.update_time = update_time
        self.always_update = always_update

    def __repr__(self) -> str:
        return utils.make_repr(self, ("path", "update_time", "always_update"))


class _EdgeStore:
    """The edges of a DAG: ``(parent, child) -> edge type``, in the order they were added."""

    def __init__(self):
        self.edges: dict[tuple[node.BaseNode, node.BaseNode], edges.BaseEdge] = {}

    def __iter__(self) -> Iterator[tuple[node.BaseNode, node.BaseNode]]:
        yield from list(self.edges)

    def __contains__(self, pair: object) -> bool:
        return pair in self.edges

    def items(self):
        yield from list(self.edges.items())

    def get(self, parent: node.BaseNode, child: node.BaseNode) -> edges.BaseEdge | None:
        return self.edges.get((parent, child))

    def add(self, parent: node.BaseNode, child: node.BaseNode, edge: edges.BaseEdge | None = None) -> None:
        self.edges[(parent, child)] = edge if edge is not None else edges.ManyToMany()

    def pop(self, parent: node.BaseNode, child: node.BaseNode) -> edges.BaseEdge | None:
        return self.edges.pop((parent, child), None)

    remove = pop


class DAG:
    """A DAGMan workflow: the graph of logical nodes and the settings for DAGMan itself.

    Build the graph with :meth:`layer`, :meth:`subdag`, :meth:`final` and
    the node methods (``child_layer``, ``add_parents``…), then write it
    with :func:`~htcondor.dags.write_dag`.

    Parameters
    ----------
    dagman_config:
        Configuration for this DAGMan run, written to ``dagman.config`` (``CONFIG``).
    dagman_job_attributes:
        Attributes to set in the DAGMan job's ad (``SET_JOB_ATTR``).
    max_jobs_by_category:
        The most jobs of each category that may run at once (``CATEGORY``/``MAXJOBS``).
    dot_config:
        A :class:`DotConfig`, to have DAGMan draw the graph.
    jobstate_log:
        Path of a jobstate log for DAGMan to write (``JOBSTATE_LOG``).
    node_status_file:
        A :class:`NodeStatusFile`.

    Examples
    --------
    >>> import htcondor
    >>> from htcondor import dags
    >>> dag = dags.DAG()
    >>> split = dag.layer(name="split", submit_description=htcondor.Submit({"executable": "split.sh"}))
    >>> work = split.child_layer(name="work", vars=[{"part": str(i)} for i in range(4)])
    >>> join = work.child_layer(name="join")
    >>> [n.name for n in dag.walk(dags.WalkOrder.BREADTH_FIRST)]
    ['split', 'work', 'join']
    >>> dag.roots, dag.leaves
    (Nodes(NodeLayer(name = split)), Nodes(NodeLayer(name = join)))
    """

    def __init__(self, dagman_config: Mapping[str, object] | None = None,
                 dagman_job_attributes: Mapping[str, object] | None = None,
                 max_jobs_by_category: Mapping[str, int] | None = None, dot_config: DotConfig | None = None,
                 jobstate_log: Path | str | None = None, node_status_file: NodeStatusFile | None = None):
        self._nodes: dict[str, node.BaseNode] = {}
        self._edges = _EdgeStore()
        self._final_node: node.FinalNode | None = None
        self.dagman_config = dict(dagman_config or {})
        self.dagman_job_attrs = dict(dagman_job_attributes or {})
        self.max_jobs_per_category = dict(max_jobs_by_category or {})
        self.dot_config = dot_config
        self.jobstate_log = None if jobstate_log is None else Path(jobstate_log)
        self.node_status_file = node_status_file

    def __repr__(self) -> str:
        return f"DAG(nodes = {len(self._nodes)}, edges = {len(self._edges.edges)})"

    # -- making nodes --------------------------------------------------------------------------------

    def _check_name(self, name: str) -> None:
        taken = self._nodes.get(name)
        if taken is None and self._final_node is not None and self._final_node.name == name:
            taken = self._final_node
        if taken is not None:
            raise DuplicateNodeName(f"this DAG already has a node named {name!r}: {taken}")

    def layer(self, **kwargs: object) -> node.NodeLayer:
        """Add a :class:`~htcondor.dags.NodeLayer` with no edges yet; ``kwargs`` go to its constructor.

        Raises
        ------
        DuplicateNodeName
            When the DAG already has a node of that name.
        """
        self._check_name(kwargs.get("name"))
        new = node.NodeLayer(self, **kwargs)
        self._nodes[new.name] = new
        return new

    def subdag(self, **kwargs: object) -> node.SubDAG:
        """Add a :class:`~htcondor.dags.SubDAG` with no edges yet; ``kwargs`` go to its constructor.

        Raises
        ------
        DuplicateNodeName
            When the DAG already has a node of that name.
        """
        self._check_name(kwargs.get("name"))
        new = node.SubDAG(self, **kwargs)
        self._nodes[new.name] = new
        return new

    def final(self, **kwargs: object) -> node.FinalNode:
        """Set the DAG's :class:`~htcondor.dags.FinalNode` (a later call replaces it).

        Raises
        ------
        DuplicateNodeName
            When the name is that of a node already in the DAG.
        """
        self._check_name(kwargs.get("name"))
        self._final_node = node.FinalNode(self, **kwargs)
        return self._final_node

    # -- looking at the graph ------------------------------------------------------------------------

    def __contains__(self, item: object) -> bool:
        if isinstance(item, str):
            return item in self._nodes
        return isinstance(item, node.BaseNode) and self._nodes.get(item.name) == item

    @property
    def nodes(self) -> node.Nodes:
        """Every node of the graph (not the final node), as a :class:`~htcondor.dags.Nodes`."""
        return node.Nodes(self._nodes.values())

    @property
    def edges(self) -> Iterator[tuple[node.BaseNode, node.BaseNode]]:
        """Every ``(parent, child)`` pair joined by an edge."""
        yield from self._edges

    @property
    def node_to_children(self) -> dict[node.BaseNode, node.Nodes]:
        """Each node mapped to a :class:`~htcondor.dags.Nodes` of its children (maybe empty)."""
        found: dict[node.BaseNode, list] = {n: [] for n in self._nodes.values()}
        for parent, child in self._edges:
            found.setdefault(parent, []).append(child)
        return {k: node.Nodes(v) for k, v in found.items()}

    @property
    def node_to_parents(self) -> dict[node.BaseNode, node.Nodes]:
        """Each node mapped to a :class:`~htcondor.dags.Nodes` of its parents (maybe empty)."""
        found: dict[node.BaseNode, list] = {n: [] for n in self._nodes.values()}
        for parent, child in self._edges:
            found.setdefault(child, []).append(parent)
        return {k: node.Nodes(v) for k, v in found.items()}

    @property
    def roots(self) -> node.Nodes:
        """The nodes without parents."""
        return node.Nodes(n for n, ps in self.node_to_parents.items() if not ps)

    @property
    def leaves(self) -> node.Nodes:
        """The nodes without children."""
        return node.Nodes(n for n, cs in self.node_to_children.items() if not cs)

    def select(self, selector: Callable[[node.BaseNode], bool]) -> node.Nodes:
        """The nodes for which ``selector(node)`` is true, as a :class:`~htcondor.dags.Nodes`."""
        return node.Nodes(n for n in self._nodes.values() if selector(n))

    def glob(self, pattern: str) -> node.Nodes:
        """The nodes whose names match the shell-style ``pattern`` (case-sensitive).

        >>> from htcondor import dags
        >>> dag = dags.DAG()
        >>> _ = [dag.layer(name=n) for n in ("fit_a", "fit_b", "plot")]
        >>> dag.glob("fit_*")
        Nodes(NodeLayer(name = fit_a), NodeLayer(name = fit_b))
        """
        return self.select(lambda n: fnmatch.fnmatchcase(n.name, pattern))

    def _walk(self, start: Iterable[node.BaseNode], step: Callable[[node.BaseNode], Iterable[node.BaseNode]],
              order: WalkOrder) -> Iterator[node.BaseNode]:
        if order is WalkOrder.DEPTH_FIRST:
            take = collections.deque.pop
        elif order is WalkOrder.BREADTH_FIRST:
            take = collections.deque.popleft
        else:
            raise UnrecognizedWalkOrder(f"unrecognized {WalkOrder.__name__}: {order!r}")
        pending = collections.deque(start)
        seen = set()
        while pending:
            current = take(pending)
            if current in seen:
                continue
            seen.add(current)
            pending.extend(step(current))
            yield current

    def walk(self, order: WalkOrder = WalkOrder.DEPTH_FIRST) -> Iterator[node.BaseNode]:
        """Every node reachable from the roots, once each, in ``order``.

        Raises
        ------
        UnrecognizedWalkOrder
            When ``order`` is not a :class:`~htcondor.dags.WalkOrder`.
        """
        children = self.node_to_children
        return self._walk(self.roots, lambda n: children[n], order)

    def walk_ancestors(self, node: node.BaseNode, order: WalkOrder = WalkOrder.DEPTH_FIRST
                       ) -> Iterator[node.BaseNode]:
        """The parents of ``node``, their parents and so on, once each, in ``order``."""
        parents = self.node_to_parents
        return self._walk(parents[node], lambda n: parents[n], order)

    def walk_descendants(self, node: node.BaseNode, order: WalkOrder = WalkOrder.DEPTH_FIRST
                         ) -> Iterator[node.BaseNode]:
        """The children of ``node``, their children and so on, once each, in ``order``."""
        children = self.node_to_children
        return self._walk(children[node], lambda n: children[n], order)

    def describe(self) -> str:
        """A table of the logical nodes: type, name, size, number of children and parents with edge types.

        >>> from htcondor import dags
        >>> dag = dags.DAG()
        >>> a = dag.layer(name="a", vars=[{}, {}])
        >>> b = a.child_layer(name="b", edge=dags.OneToOne(), vars=[{}, {}])
        >>> print(dag.describe())
        Type   Name  # Nodes  # Children  Parents
        Layer   a       2         1
        Layer   b       2         0       a[OneToOne]
        """
        rows = []
        for n in self.walk(WalkOrder.BREADTH_FIRST):
            kind = "Layer" if isinstance(n, node.NodeLayer) else "SubDAG"
            size = len(n.vars) if isinstance(n, node.NodeLayer) else None
            parents = ", ".join(f"{p.name}[{self._edges.get(p, n)}]" for p in n.parents) or None
            rows.append((kind, n.name, size, len(n.children), parents))
        return utils.table(["Type", "Name", "# Nodes", "# Children", "Parents"], rows,
                           alignment={"Type": "ljust", "Parents": "ljust"})
