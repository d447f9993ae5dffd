"""Checking the arguments of job and history queries, shared by the daemons that answer them.

A request's arguments arrive as JSON values; these functions turn them into
what a handler uses, or raise :class:`~htcondor.HTCondorValueError`, which
the daemon sends back as an error reply.

>>> job_ids(["12.3", "7"])
[(12, 3), (7, -1)]
>>> HistoryQuery.from_args({"constraint": "ExitCode == 0", "match": 2, "since": "12.0"}).since_id
(12, 0)
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import classad

from .._adcodec import encode_ad
from .._errors import HTCondorValueError
from .._history_file import read_history
from .._job_queue import is_true

__all__ = ["JOB_ID", "parse_constraint", "job_ids", "projection_of", "HistoryQuery"]

#: ``cluster`` or ``cluster.proc``.
JOB_ID = re.compile(r"\s*(\d+)(?:\.(-?\d+))?\s*\Z")


def parse_constraint(text) -> classad.ExprTree | None:
    """The constraint as an ExprTree; None for "match everything"."""
    if text is None:
        return None
    if not isinstance(text, str):
        raise HTCondorValueError("the constraint must be a string")
    if not text.strip() or text.strip().lower() == "true":
        return None
    try:
        return classad.ExprTree(text)
    except Exception as e:
        raise HTCondorValueError(f"Parse error in constraint {text!r}: {e}") from None


def job_ids(ids) -> list[tuple[int, int]]:
    """``(cluster, proc)`` pairs from job id strings (proc -1 for a whole cluster)."""
    if not isinstance(ids, list):
        raise HTCondorValueError("job ids must be a list of strings")
    out = []
    for text in ids:
        m = JOB_ID.match(text) if isinstance(text, str) else None
        if m is None:
            raise HTCondorValueError(f"Invalid job id {text!r}")
        out.append((int(m.group(1)), int(m.group(2)) if m.group(2) is not None else -1))
    return out


def projection_of(value) -> list[str] | None:
    """The attribute names to send (lower case), or None for all of them."""
    if value is None or value == []:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise HTCondorValueError("the projection must be a list of attribute names")
    return [v.lower() for v in value]


@dataclass
class HistoryQuery:
    """A history query: which ads, which attributes, how many, and where to stop (``since``)."""

    tree: classad.ExprTree | None
    projection: list[str] | None
    match: int
    since_id: tuple[int, int | None] | None = None
    since_tree: classad.ExprTree | None = None

    @classmethod
    def from_args(cls, args: dict) -> HistoryQuery:
        """Read ``constraint``, ``projection``, ``match`` and ``since`` (a cluster, a job id or an expression)."""
        match = args.get("match", -1)
        if type(match) is not int:
            raise HTCondorValueError("match must be an integer")
        query = cls(parse_constraint(args.get("constraint", "true")), projection_of(args.get("projection")), match)
        since = args.get("since")
        if type(since) is int:
            query.since_id = (since, None)
        elif isinstance(since, str):
            m = JOB_ID.match(since)
            if m is not None:
                query.since_id = (int(m.group(1)), int(m.group(2)) if m.group(2) is not None else None)
            else:
                query.since_tree = parse_constraint(since)
        elif since is not None:
            raise HTCondorValueError("invalid since argument")
        return query

    async def stream(self, path: str) -> AsyncIterator[dict]:
        """The matching ads of the history file at ``path``, newest first, encoded for the wire."""
        sent = 0
        for ad in read_history(path) if path else ():
            if self.since_id is not None and ad.get("ClusterId") == self.since_id[0] \
                    and (self.since_id[1] is None or ad.get("ProcId") == self.since_id[1]):
                break
            if self.since_tree is not None and is_true(self.since_tree, ad):
                break
            if self.tree is not None and not is_true(self.tree, ad):
                continue
            if 0 <= self.match <= sent:
                break
            sent += 1
            yield encode_ad(ad, self.projection)
            if sent % 256 == 0:
                await asyncio.sleep(0)  # let other requests in while a long history streams
