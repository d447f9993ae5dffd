"""Describe DAGMan workflows in Python and write them out as DAG files.

A :class:`DAG` holds *logical* nodes: a :class:`NodeLayer` is a group of
jobs sharing one submit description (one job per entry of its ``vars``), a
:class:`SubDAG` is a nested DAG file, and edges between logical nodes
(:class:`ManyToMany`, :class:`OneToOne`, :class:`Grouper`, :class:`Slicer`)
say which of the underlying jobs depend on which.  :func:`write_dag` turns
the whole thing into a DAG file that :meth:`htcondor.Submit.from_dag`
submits; :func:`rescue` reads the state of a failed run back.

>>> import htcondor
>>> from htcondor import dags
>>> dag = dags.DAG()
>>> gen = dag.layer(name="gen", submit_description=htcondor.Submit({"executable": "gen.sh"}))
>>> fit = gen.child_layer(name="fit", vars=[{"seed": "1"}, {"seed": "2"}])
>>> sorted(n.name for n in dag.nodes)
['fit', 'gen']
"""

import logging as _logging

# the submodules stay reachable as attributes, as in the official package
from . import dag, edges, exceptions, formatter, node, utils, walk_order, writer  # noqa: F401
from .dag import DAG, DotConfig, NodeStatusFile
from .edges import BaseEdge, Grouper, JoinFactory, JoinNode, ManyToMany, OneToOne, Slicer
from .formatter import DEFAULT_SEPARATOR, NodeNameFormatter, SimpleFormatter
from .node import BaseNode, DAGAbortCondition, FinalNode, NodeLayer, Nodes, Script, SubDAG
from .rescue import find_rescue_file, rescue  # the function shadows its module, as officially
from .walk_order import WalkOrder
from .writer import CONFIG_FILE_NAME, DEFAULT_DAG_FILE_NAME, write_dag

_logger = _logging.getLogger(__name__)
_logger.addHandler(_logging.NullHandler())

__all__ = [
    "DAG", "DotConfig", "NodeStatusFile", "BaseNode", "NodeLayer", "SubDAG", "Script", "DAGAbortCondition",
    "FinalNode", "Nodes", "WalkOrder", "JoinNode", "JoinFactory", "BaseEdge", "ManyToMany", "OneToOne",
    "Grouper", "Slicer", "DEFAULT_DAG_FILE_NAME", "CONFIG_FILE_NAME", "write_dag", "DEFAULT_SEPARATOR",
    "NodeNameFormatter", "SimpleFormatter", "rescue", "find_rescue_file", "exceptions",
]
