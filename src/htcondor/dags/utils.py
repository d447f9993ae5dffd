"""Small helpers shared by the modules of :mod:`htcondor.dags`."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping

__all__ = ["flatten", "grouper", "make_repr", "table"]


def flatten(nested: Iterable[Iterable[object]]) -> Iterator[object]:
    """Yield the members of each member of ``nested``, one level deep.

    A single node iterates over itself, so ``flatten((node, [a, b]))`` gives
    ``node, a, b``.

    >>> list(flatten([[1, 2], (3,)]))
    [1, 2, 3]
    """
    for inner in nested:
        yield from inner


def grouper(iterable: Iterable[object], n: int, fill: object = None) -> Iterator[tuple]:
    """Cut ``iterable`` into tuples of ``n``, padding the last one with ``fill``.

    >>> list(grouper(range(5), 2))
    [(0, 1), (2, 3), (4, None)]
    """
    return itertools.zip_longest(*([iter(iterable)] * n), fillvalue=fill)


def make_repr(obj: object, attrs: Iterable[str]) -> str:
    """``ClassName(a = 1, b = 2)`` for the named attributes of ``obj``.

    >>> class Point:
    ...     x, y = 1, 2
    >>> make_repr(Point(), ("x", "y"))
    'Point(x = 1, y = 2)'
    """
    inside = ", ".join(f"{name} = {getattr(obj, name)}" for name in attrs)
    return f"{type(obj).__name__}({inside})"


def table(headers: Iterable[str], rows: Iterable[Iterable[object] | Mapping[str, object]], fill: str = "",
          alignment: Mapping[str, str] | None = None) -> str:
    """A plain-text table: a header line, then one line per row, columns two spaces apart.

    Parameters
    ----------
    headers:
        The column titles.
    rows:
        Each row is a sequence in column order or a mapping from title to value.
    fill:
        The text for a missing (``None``) entry.
    alignment:
        Title to ``"ljust"``, ``"rjust"`` or ``"center"`` (the default).

    Returns
    -------
    str
        The table.

    >>> print(table(["Name", "N"], [("a", 1), {"Name": "bb"}], alignment={"Name": "ljust"}))
    Name  N
    a     1
    bb
    """
    headers = tuple(headers)
    alignment = dict(alignment or {})
    cells = []
    for row in rows:
        if isinstance(row, Mapping):
            row = [row.get(h) for h in headers]
        cells.append([fill if v is None else str(v) for v in row])
    widths = [max([len(h)] + [len(r[i]) for r in cells if i < len(r)]) for i, h in enumerate(headers)]

    def line(values):
        return "  ".join(getattr(v, alignment.get(h, "center"))(w)
                         for v, h, w in zip(values, headers, widths)).rstrip()

    return "\n".join([line(headers)] + [line(r) for r in cells])
