"""The exceptions :mod:`htcondor.dags` raises; all derive from :class:`DAGsException`."""

from __future__ import annotations

__all__ = [
    "DAGsException", "OneToOneEdgeNeedsSameNumberOfVars", "IncompatibleGrouper", "DuplicateNodeName",
    "UnrecognizedWalkOrder", "LayerNameContainsSeparator", "NoRescueFileFound", "CannotInvertFormat",
]


class DAGsException(Exception):
    """The base of every error raised by :mod:`htcondor.dags`."""


class OneToOneEdgeNeedsSameNumberOfVars(DAGsException):
    """A :class:`~htcondor.dags.OneToOne` edge joins layers of different sizes."""


class IncompatibleGrouper(DAGsException):
    """A :class:`~htcondor.dags.Grouper` edge cannot cut its two layers into matching chunks."""


class DuplicateNodeName(DAGsException):
    """A node was given a name another node of the same DAG already has."""


class UnrecognizedWalkOrder(DAGsException):
    """A walk was asked for in an order that is not a :class:`~htcondor.dags.WalkOrder`."""


class LayerNameContainsSeparator(DAGsException):
    """A layer name contains the separator its node name formatter puts before the index."""


class NoRescueFileFound(DAGsException):
    """:func:`~htcondor.dags.find_rescue_file` found no rescue file."""


class CannotInvertFormat(DAGsException):
    """A node name cannot be turned back into its layer name and index."""
