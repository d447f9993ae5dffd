"""Logical nodes of a DAG: layers of jobs, sub-DAGs, the final node, and collections of them."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from . import utils
from .walk_order import WalkOrder

if TYPE_CHECKING:
    from .._submit import Submit
    from .dag import DAG
    from .edges import BaseEdge

__all__ = ["Script", "DAGAbortCondition", "BaseNode", "NodeLayer", "SubDAG", "FinalNode", "Nodes"]


def _submit_class():
    import htcondor  # the package is fully imported by the time a node is made

    return htcondor.Submit


class Script:
    """A PRE or POST script of a node.

    Parameters
    ----------
    executable:
        The program to run.
    arguments:
        Its arguments; each is turned into a ``str`` now. DAGMan expands
        ``$JOB``, ``$RETRY``, ``$RETURN``… in them when it runs the script.
    retry:
        Whether DAGMan may run the script again (``SCRIPT DEFER``).
    retry_status:
        The exit status that asks for a later retry.
    retry_delay:
        Seconds to wait before that retry.

    >>> from htcondor.dags import Script
    >>> Script("check.sh", ["$JOB", 3])
    Script(executable = check.sh, arguments = ['$JOB', '3'], retry = False, retry_status = 1, retry_delay = 0)
    """

    def __init__(self, executable: str | Path, arguments: list[object] | None = None, retry: bool = False,
                 retry_status: int = 1, retry_delay: int = 0):
        self.executable = executable
        self.arguments = [str(a) for a in (arguments or [])]
        self.retry = retry
        self.retry_status = retry_status
        self.retry_delay = retry_delay

    def __repr__(self) -> str:
        return utils.make_repr(self, ("executable", "arguments", "retry", "retry_status", "retry_delay"))


class DAGAbortCondition:
    """When a node's exit value stops the whole DAG (``ABORT-DAG-ON``).

    Parameters
    ----------
    node_exit_value:
        The node exit value that aborts the DAG.
    dag_return_value:
        DAGMan's own exit status then; ``None`` passes the node's value on.

    >>> from htcondor.dags import DAGAbortCondition
    >>> DAGAbortCondition(3, dag_return_value=1)
    DAGAbortCondition(node_exit_value = 3, dag_return_value = 1)
    """

    def __init__(self, node_exit_value: int, dag_return_value: int | None = None):
        self.node_exit_value = node_exit_value
        self.dag_return_value = dag_return_value

    def __repr__(self) -> str:
        return utils.make_repr(self, ("node_exit_value", "dag_return_value"))


def _per_index(value: bool | Mapping[int, bool]) -> dict[int, bool]:
    return {0: value} if isinstance(value, bool) else dict(value)


@functools.total_ordering
class BaseNode:
    """What every logical node of a :class:`~htcondor.dags.DAG` has: a name, edges, and DAGMan options.

    Nodes are made by :meth:`DAG.layer`, :meth:`DAG.subdag`,
    :meth:`child_layer` and the like, which attach them to their DAG.

    Parameters
    ----------
    dag:
        The DAG the node belongs to.
    name:
        Its name, unique in the DAG.
    dir:
        The directory DAGMan submits the node from (``DIR``); ``None`` for the DAG's own.
    noop:
        Skip the job and count it done (``NOOP``); for a layer, a mapping of
        node index to flag sets it per node.
    done:
        Count the node as already done (``DONE``); per index like ``noop``.
    retries:
        How many times DAGMan reruns a failed node (``RETRY``).
    retry_unless_exit:
        An exit value that is never retried (``UNLESS-EXIT``).
    pre, post:
        :class:`Script` objects run before and after the job.
    pre_skip_exit_code:
        A PRE script exit status that skips the job and counts the node done (``PRE_SKIP``).
    priority:
        DAGMan's priority for the node (``PRIORITY``; 0 writes nothing).
    category:
        The throttling category (``CATEGORY``).
    abort:
        A :class:`DAGAbortCondition` (``ABORT-DAG-ON``).
    """

    def __init__(self, dag: DAG, *, name: str, dir: Path | str | None = None,  # noqa: A002
                 noop: bool | Mapping[int, bool] = False, done: bool | Mapping[int, bool] = False,
                 retries: int | None = None, retry_unless_exit: int | None = None, pre: Script | None = None,
                 post: Script | None = None, pre_skip_exit_code: int | None = None, priority: int = 0,
                 category: str | None = None, abort: DAGAbortCondition | None = None):
        self._dag = dag
        self.name = name
        self.dir = None if dir is None else Path(dir)
        self.noop = _per_index(noop)
        self.done = _per_index(done)
        self.retries = retries
        self.retry_unless_exit = retry_unless_exit
        self.pre = pre
        self.post = post
        self.pre_skip_exit_code = pre_skip_exit_code
        self.priority = priority
        self.category = category
        self.abort = abort

    def __len__(self) -> int:
        return 1

    def __iter__(self) -> Iterator[BaseNode]:
        yield self

    def __repr__(self) -> str:
        return utils.make_repr(self, ("name",))

    def __hash__(self) -> int:
        return hash((type(self), self.name))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, type(self)):
            return NotImplemented
        return self._dag is other._dag and self.name == other.name

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, BaseNode):
            return NotImplemented
        return self.name < other.name

    # -- growing the graph from this node ------------------------------------------------------------

    def child_layer(self, edge: BaseEdge | None = None, **kwargs: object) -> NodeLayer:
        """Make a new :class:`NodeLayer` that is a child of this node.

        Parameters
        ----------
        edge:
            The edge type; ``None`` means :class:`~htcondor.dags.ManyToMany`.
        kwargs:
            Passed to :class:`NodeLayer`.

        Returns
        -------
        NodeLayer
            The new layer.
        """
        new = self._dag.layer(**kwargs)
        self._dag._edges.add(self, new, edge)
        return new

    def parent_layer(self, edge: BaseEdge | None = None, **kwargs: object) -> NodeLayer:
        """Make a new :class:`NodeLayer` that is a parent of this node (see :meth:`child_layer`)."""
        new = self._dag.layer(**kwargs)
        self._dag._edges.add(new, self, edge)
        return new

    def child_subdag(self, edge: BaseEdge | None = None, **kwargs: object) -> SubDAG:
        """Make a new :class:`SubDAG` that is a child of this node; ``kwargs`` go to :class:`SubDAG`."""
        new = self._dag.subdag(**kwargs)
        self._dag._edges.add(self, new, edge)
        return new

    def parent_subdag(self, edge: BaseEdge | None = None, **kwargs: object) -> SubDAG:
        """Make a new :class:`SubDAG` that is a parent of this node; ``kwargs`` go to :class:`SubDAG`."""
        new = self._dag.subdag(**kwargs)
        self._dag._edges.add(new, self, edge)
        return new

    def add_children(self, *nodes: BaseNode | Iterable[BaseNode], edge: BaseEdge | None = None) -> BaseNode:
        """Make each of ``nodes`` (nodes or collections of them) a child of this node.

        Returns
        -------
        BaseNode
            This node, so calls can be chained.
        """
        for n in utils.flatten(nodes):
            self._dag._edges.add(self, n, edge)
        return self

    def remove_children(self, *nodes: BaseNode | Iterable[BaseNode]) -> BaseNode:
        """Drop the edges from this node to each of ``nodes``; returns this node."""
        for n in utils.flatten(nodes):
            self._dag._edges.pop(self, n)
        return self

    def add_parents(self, *nodes: BaseNode | Iterable[BaseNode], edge: BaseEdge | None = None) -> BaseNode:
        """Make each of ``nodes`` a parent of this node; returns this node."""
        for n in utils.flatten(nodes):
            self._dag._edges.add(n, self, edge)
        return self

    def remove_parents(self, *nodes: BaseNode | Iterable[BaseNode]) -> BaseNode:
        """Drop the edges from each of ``nodes`` to this node; returns this node."""
        for n in utils.flatten(nodes):
            self._dag._edges.pop(n, self)
        return self

    @property
    def children(self) -> Nodes:
        """The nodes that depend on this one, as a :class:`Nodes`."""
        return Nodes(c for p, c in self._dag._edges if p == self)

    @property
    def parents(self) -> Nodes:
        """The nodes this one depends on, as a :class:`Nodes`."""
        return Nodes(p for p, c in self._dag._edges if c == self)

    def walk_ancestors(self, order: WalkOrder = WalkOrder.DEPTH_FIRST) -> Iterator[BaseNode]:
        """Every ancestor of this node (not the node itself), in ``order``."""
        return self._dag.walk_ancestors(self, order)

    def walk_descendants(self, order: WalkOrder = WalkOrder.DEPTH_FIRST) -> Iterator[BaseNode]:
        """Every descendant of this node (not the node itself), in ``order``."""
        return self._dag.walk_descendants(self, order)


class NodeLayer(BaseNode):
    """A group of ``JOB`` nodes that share one submit description and the same edges.

    One underlying DAGMan node is written per entry of ``vars``; its name is
    the layer name plus its index (``analyze:0``, ``analyze:1``…).

    Parameters
    ----------
    dag:
        The DAG the layer belongs to.
    submit_description:
        An :class:`htcondor.Submit` (written next to the DAG as ``<name>.sub``)
        or the :class:`~pathlib.Path` of an existing submit file.
    vars:
        One mapping of submit macros per underlying node (``VARS``); the
        default is a single node without any.
    kwargs:
        Passed to :class:`BaseNode`.

    >>> import htcondor
    >>> from htcondor import dags
    >>> dag = dags.DAG()
    >>> layer = dag.layer(name="square", submit_description=htcondor.Submit({"executable": "sq.sh"}),
    ...                   vars=[{"x": str(i)} for i in range(3)])
    >>> len(layer), layer
    (3, NodeLayer(name = square))
    """

    def __init__(self, dag: DAG, *, submit_description: Submit | Path | None = None,
                 vars: Iterable[Mapping[str, object]] | None = None, **kwargs: object):  # noqa: A002
        super().__init__(dag, **kwargs)
        self.submit_description = submit_description or _submit_class()({})
        self.vars = list(vars) if vars is not None else [{}]

    def __len__(self) -> int:
        """How many underlying nodes the layer has."""
        return len(self.vars)


class SubDAG(BaseNode):
    """A node that is a whole other DAG (``SUBDAG EXTERNAL``).

    Parameters
    ----------
    dag:
        The DAG the node belongs to.
    dag_file:
        The path of the inner DAG's description file.
    kwargs:
        Passed to :class:`BaseNode`.
    """

    def __init__(self, dag: DAG, *, dag_file: Path | str, **kwargs: object):
        super().__init__(dag, **kwargs)
        self.dag_file = dag_file


class FinalNode(BaseNode):
    """The node DAGMan runs last, whether the rest of the DAG succeeded or not (``FINAL``).

    Parameters
    ----------
    dag:
        The DAG the node belongs to.
    submit_description:
        An :class:`htcondor.Submit` or the path of a submit file.
    kwargs:
        Passed to :class:`BaseNode`.
    """

    def __init__(self, dag: DAG, submit_description: Submit | Path | None = None, **kwargs: object):
        super().__init__(dag, **kwargs)
        self.submit_description = submit_description or _submit_class()({})


class Nodes:
    """A set of logical nodes, kept in the order they were added, that can be wired up at once.

    Parameters
    ----------
    nodes:
        Nodes, or iterables of nodes, to put in the set.

    >>> from htcondor import dags
    >>> dag = dags.DAG()
    >>> a, b = dag.layer(name="a"), dag.layer(name="b")
    >>> both = dags.Nodes(a, b)
    >>> c = both.child_layer(name="c")
    >>> c.parents
    Nodes(NodeLayer(name = a), NodeLayer(name = b))
    """

    def __init__(self, *nodes: BaseNode | Iterable[BaseNode]):
        self.nodes: dict[str, BaseNode] = {}
        for n in utils.flatten(nodes):
            self.nodes[n.name] = n

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Nodes):
            return NotImplemented
        return self.nodes == other.nodes

    __hash__ = None  # type: ignore[assignment]

    def __len__(self) -> int:
        return len(self.nodes)

    def __iter__(self) -> Iterator[BaseNode]:
        yield from list(self.nodes.values())

    def __contains__(self, node: object) -> bool:
        if isinstance(node, str):
            return node in self.nodes
        return isinstance(node, BaseNode) and self.nodes.get(node.name) == node

    def __repr__(self) -> str:
        return "Nodes({})".format(", ".join(repr(n) for n in sorted(self.nodes.values(), key=lambda n: n.name)))

    def __str__(self) -> str:
        return "Nodes({})".format(", ".join(str(n) for n in sorted(self.nodes.values(), key=lambda n: n.name)))

    def _first(self) -> BaseNode:
        return next(iter(self.nodes.values()))

    def child_layer(self, type: BaseEdge | None = None, **kwargs: object) -> NodeLayer:  # noqa: A002
        """Make a new :class:`NodeLayer` that is a child of every node here, joined by edge ``type``."""
        new = self._first()._dag.layer(**kwargs)
        new.add_parents(self, edge=type)
        return new

    def parent_layer(self, type: BaseEdge | None = None, **kwargs: object) -> NodeLayer:  # noqa: A002
        """Make a new :class:`NodeLayer` that is a parent of every node here."""
        new = self._first()._dag.layer(**kwargs)
        new.add_children(self, edge=type)
        return new

    def child_subdag(self, type: BaseEdge | None = None, **kwargs: object) -> SubDAG:  # noqa: A002
        """Make a new :class:`SubDAG` that is a child of every node here."""
        new = self._first()._dag.subdag(**kwargs)
        new.add_parents(self, edge=type)
        return new

    def parent_subdag(self, type: BaseEdge | None = None, **kwargs: object) -> SubDAG:  # noqa: A002
        """Make a new :class:`SubDAG` that is a parent of every node here."""
        new = self._first()._dag.subdag(**kwargs)
        new.add_children(self, edge=type)
        return new

    def add_children(self, *nodes: object, type: BaseEdge | None = None) -> Nodes:  # noqa: A002
        """Make each of ``nodes`` a child of every node here; returns this :class:`Nodes`."""
        for n in self:
            n.add_children(*nodes, edge=type)
        return self

    def remove_children(self, *nodes: object) -> Nodes:
        """Drop the edges from every node here to each of ``nodes``."""
        for n in self:
            n.remove_children(*nodes)
        return self

    def add_parents(self, *nodes: object, type: BaseEdge | None = None) -> Nodes:  # noqa: A002
        """Make each of ``nodes`` a parent of every node here."""
        for n in self:
            n.add_parents(*nodes, edge=type)
        return self

    def remove_parents(self, *nodes: object) -> Nodes:
        """Drop the edges from each of ``nodes`` to every node here."""
        for n in self:
            n.remove_parents(*nodes)
        return self

    def walk_ancestors(self, order: WalkOrder = WalkOrder.DEPTH_FIRST) -> Iterator[BaseNode]:
        """The ancestors of each node here in turn (a node may come more than once)."""
        return itertools.chain.from_iterable(n.walk_ancestors(order) for n in self)

    def walk_descendants(self, order: WalkOrder = WalkOrder.DEPTH_FIRST) -> Iterator[BaseNode]:
        """The descendants of each node here in turn (a node may come more than once)."""
        return itertools.chain.from_iterable(n.walk_descendants(order) for n in self)
