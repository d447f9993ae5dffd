"""Edges between logical nodes: which underlying nodes of a parent feed which of a child."""

from __future__ import annotations

import abc
import itertools
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from . import utils
from .exceptions import IncompatibleGrouper, OneToOneEdgeNeedsSameNumberOfVars

if TYPE_CHECKING:
    from .node import BaseNode

__all__ = ["JoinNode", "JoinFactory", "BaseEdge", "ManyToMany", "OneToOne", "Grouper", "Slicer"]


class JoinNode:
    """A placeholder node (a DAGMan ``NOOP`` job) that joins groups of parents to groups of children.

    Parameters
    ----------
    id:
        Its number; the writer names it ``__JOIN__`` plus this number.
    """

    def __init__(self, id: int):  # noqa: A002 -- the official parameter name
        self.id = id

    def __repr__(self) -> str:
        return f"JoinNode(id = {self.id})"


class JoinFactory:
    """Hands out numbered :class:`JoinNode` objects while a DAG is written, and remembers them."""

    def __init__(self):
        self.id_generator = itertools.count(0)
        self.joins: list[JoinNode] = []

    def get_join_node(self) -> JoinNode:
        """A new join node, numbered one past the previous one."""
        join = JoinNode(next(self.id_generator))
        self.joins.append(join)
        return join


Indices = tuple
EdgeSpec = tuple  # (indices, indices), (indices, JoinNode) or (JoinNode, indices)


class BaseEdge(abc.ABC):
    """The interface of an edge type.

    A subclass says, in :meth:`get_edges`, which underlying nodes of the
    parent layer are parents of which underlying nodes of the child layer.
    """

    @abc.abstractmethod
    def get_edges(self, parent: BaseNode, child: BaseNode, join_factory: JoinFactory) -> Iterable[EdgeSpec]:
        """The actual DAGMan edges between ``parent`` and ``child``.

        Parameters
        ----------
        parent, child:
            The two logical nodes; ``len()`` of each is its number of
            underlying nodes (a sub-DAG counts as one, with index 0).
        join_factory:
            Source of :class:`JoinNode` objects, to connect groups through one
            ``NOOP`` node (2N lines instead of N²).

        Returns
        -------
        iterable
            Pairs ``(parent_side, child_side)``: each side a tuple of node
            indices, or a join node on one side at most.
        """
        raise NotImplementedError

    def __repr__(self) -> str:
        return type(self).__name__


class ManyToMany(BaseEdge):
    """Every underlying node of the child depends on every underlying node of the parent.

    When both sides have more than one node the writer routes the edge
    through a single join node.

    >>> from htcondor.dags import DAG, ManyToMany
    >>> dag = DAG()
    >>> a = dag.layer(name="a", vars=[{}, {}])
    >>> b = a.child_layer(name="b", vars=[{}, {}], edge=ManyToMany())
    >>> list(ManyToMany().get_edges(a, b, __import__("htcondor").dags.JoinFactory()))
    [((0, 1), JoinNode(id = 0)), (JoinNode(id = 0), (0, 1))]
    """

    def get_edges(self, parent: BaseNode, child: BaseNode, join_factory: JoinFactory) -> Iterator[EdgeSpec]:
        parents, children = tuple(range(len(parent))), tuple(range(len(child)))
        if len(parents) > 1 and len(children) > 1:
            join = join_factory.get_join_node()
            yield parents, join
            yield join, children
        else:
            yield parents, children


class OneToOne(BaseEdge):
    """Underlying node *i* of the child depends on underlying node *i* of the parent only.

    Raises
    ------
    OneToOneEdgeNeedsSameNumberOfVars
        (when the DAG is written) if the two layers differ in size.
    """

    def get_edges(self, parent: BaseNode, child: BaseNode, join_factory: JoinFactory) -> Iterator[EdgeSpec]:
        if len(parent) != len(child):
            raise OneToOneEdgeNeedsSameNumberOfVars(
                f"a OneToOne edge needs layers of one size, but {parent} has {len(parent)} nodes "
                f"and {child} has {len(child)}")
        for i in range(len(parent)):
            yield (i,), (i,)


class Grouper(BaseEdge):
    """Cut both layers into consecutive chunks and join chunk *i* of the parent to chunk *i* of the child.

    Parameters
    ----------
    parent_chunk_size:
        Underlying nodes per chunk in the parent layer.
    child_chunk_size:
        Underlying nodes per chunk in the child layer.

    Raises
    ------
    IncompatibleGrouper
        (when the DAG is written) if a layer does not divide evenly or the
        chunk counts differ.

    >>> from htcondor.dags import Grouper
    >>> Grouper(2, 1)
    Grouper(parent_chunk_size = 2, child_chunk_size = 1)
    """

    def __init__(self, parent_chunk_size: int = 1, child_chunk_size: int = 1):
        self.parent_chunk_size = parent_chunk_size
        self.child_chunk_size = child_chunk_size

    def get_edges(self, parent: BaseNode, child: BaseNode, join_factory: JoinFactory) -> Iterator[EdgeSpec]:
        n_parent, n_child = len(parent), len(child)
        for layer, size, chunk, side in ((parent, n_parent, self.parent_chunk_size, "parent"),
                                         (child, n_child, self.child_chunk_size, "child")):
            if size % chunk:
                raise IncompatibleGrouper(
                    f"{self} cannot cut {side} layer {layer} ({size} nodes) into chunks of {chunk}")
        if n_parent // self.parent_chunk_size != n_child // self.child_chunk_size:
            raise IncompatibleGrouper(
                f"{self} makes {n_parent // self.parent_chunk_size} chunks of {parent} "
                f"but {n_child // self.child_chunk_size} chunks of {child}")
        p, c = self.parent_chunk_size, self.child_chunk_size
        for k in range(n_parent // p):
            join = join_factory.get_join_node()
            yield tuple(range(k * p, (k + 1) * p)), join
            yield join, tuple(range(k * c, (k + 1) * c))

    def __repr__(self) -> str:
        return utils.make_repr(self, ("parent_chunk_size", "child_chunk_size"))


class Slicer(BaseEdge):
    """Pair the parent nodes picked by one slice with the child nodes picked by another, one to one.

    Parameters
    ----------
    parent_slice:
        Which parent indices take part (a :class:`slice`; non-negative bounds).
    child_slice:
        Which child indices take part.

    >>> from htcondor.dags import Slicer
    >>> Slicer(slice(None, None, 2))
    Slicer(parent_slice = slice(None, None, 2), child_slice = slice(None, None, None))
    """

    def __init__(self, parent_slice: slice = slice(None), child_slice: slice = slice(None)):
        self.parent_slice = parent_slice
        self.child_slice = child_slice

    def get_edges(self, parent: BaseNode, child: BaseNode, join_factory: JoinFactory) -> Iterator[EdgeSpec]:
        def pick(n: int, s: slice):
            # islice, like the official module: negative bounds are refused with ValueError
            return itertools.islice(range(n), s.start, s.stop, s.step)

        for i, j in zip(pick(len(parent), self.parent_slice), pick(len(child), self.child_slice)):
            yield (i,), (j,)

    def __repr__(self) -> str:
        return utils.make_repr(self, ("parent_slice", "child_slice"))
