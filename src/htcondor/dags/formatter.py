"""How a layer's name and a node's index become a DAGMan node name, and back."""

from __future__ import annotations

import abc

from .exceptions import CannotInvertFormat, LayerNameContainsSeparator

__all__ = ["DEFAULT_SEPARATOR", "NodeNameFormatter", "SimpleFormatter"]

DEFAULT_SEPARATOR = ":"


class NodeNameFormatter(abc.ABC):
    """The interface of a node naming scheme.

    A scheme must be invertible: :func:`~htcondor.dags.rescue` reads node
    names from a rescue file and needs the layer and index back.
    """

    @abc.abstractmethod
    def generate(self, layer_name: str, node_index: int) -> str:
        """The DAGMan node name of node ``node_index`` of layer ``layer_name``."""
        raise NotImplementedError

    @abc.abstractmethod
    def parse(self, node_name: str) -> tuple[str, int]:
        """The ``(layer_name, node_index)`` that :meth:`generate` turned into ``node_name``."""
        raise NotImplementedError


class SimpleFormatter(NodeNameFormatter):
    """Names of the form ``<layer><separator><index>``, like ``analyze:3``.

    Parameters
    ----------
    separator:
        Text between the layer name and the index; a layer name may not contain it.
    index_format:
        A :meth:`str.format` pattern for the index (``"{:03d}"`` pads it).
    offset:
        Added to the index in the name (1 numbers the nodes from one).

    Examples
    --------
    >>> from htcondor.dags import SimpleFormatter
    >>> f = SimpleFormatter(separator="-", index_format="{:02d}", offset=1)
    >>> f.generate("analyze", 0), f.parse("analyze-01")
    ('analyze-01', ('analyze', 0))
    """

    def __init__(self, separator: str = DEFAULT_SEPARATOR, index_format: str = "{:d}", offset: int = 0):
        self.separator = separator
        self.index_format = index_format
        self.offset = offset

    def generate(self, layer_name: str, node_index: int) -> str:
        """Name node ``node_index`` of ``layer_name``.

        Raises
        ------
        LayerNameContainsSeparator
            When the layer name contains the separator.
        CannotInvertFormat
            When the name would not parse back to the same layer and index.
        """
        if self.separator in layer_name:
            raise LayerNameContainsSeparator(
                f"layer name {layer_name!r} contains the node name separator {self.separator!r}")
        name = layer_name + self.separator + self.index_format.format(node_index + self.offset)
        if self.parse(name) != (layer_name, node_index):
            raise CannotInvertFormat(f"{type(self).__name__} cannot read its own node name {name!r} back; "
                                     f"check index_format {self.index_format!r}")
        return name

    def parse(self, node_name: str) -> tuple[str, int]:
        """Split ``node_name`` into its layer name and index.

        Raises
        ------
        CannotInvertFormat
            When the name is not of this formatter's form.
        """
        layer, sep, index = node_name.rpartition(self.separator)
        try:
            if not sep:
                raise ValueError
            number = int(index)
        except ValueError:
            raise CannotInvertFormat(f"{type(self).__name__} cannot split node name {node_name!r} "
                                     "into a layer name and an index") from None
        return layer, number - self.offset
