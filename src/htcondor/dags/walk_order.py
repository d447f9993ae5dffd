"""The order in which :meth:`DAG.walk` and friends visit the graph."""

from __future__ import annotations

import enum

__all__ = ["WalkOrder"]


class WalkOrder(str, enum.Enum):  # noqa: UP042 -- a str mixin, as the official class is
    """Which way a walk over the graph goes.

    ``DEPTH_FIRST`` follows one line of descent (or ancestry) as far as it
    goes before turning to the next; ``BREADTH_FIRST`` visits all nodes one
    step away before any node two steps away.

    Examples
    --------
    >>> from htcondor.dags import WalkOrder
    >>> WalkOrder.BREADTH_FIRST.value
    'BREADTH'
    """

    DEPTH_FIRST = "DEPTH"
    BREADTH_FIRST = "BREADTH"

    def __repr__(self) -> str:
        # the official class prints its class name before str(), which already holds it
        return f"{type(self).__name__}.{self}"
