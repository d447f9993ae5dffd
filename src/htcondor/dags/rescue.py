"""Reading DAGMan rescue files back into a :class:`~htcondor.dags.DAG`."""

from __future__ import annotations

import collections
import re
from pathlib import Path
from typing import TYPE_CHECKING

from .exceptions import NoRescueFileFound

if TYPE_CHECKING:
    from .dag import DAG
from .formatter import NodeNameFormatter, SimpleFormatter
from .writer import DEFAULT_DAG_FILE_NAME

__all__ = ["rescue", "find_rescue_file"]


def rescue(dag: DAG, rescue_file: Path | str, formatter: NodeNameFormatter | None = None) -> None:
    """Mark the nodes a rescue file lists as ``DONE`` in ``dag``, in place.

    Every node's ``done`` is replaced by a mapping of the indices the file
    lists, so call this first and make manual changes afterwards.  Node
    names must have been written with ``formatter``.

    Parameters
    ----------
    dag:
        The :class:`~htcondor.dags.DAG` the rescue file came from.
    rescue_file:
        The rescue file (see :func:`find_rescue_file`).
    formatter:
        The node name formatter the DAG was written with (default :class:`~htcondor.dags.SimpleFormatter`).

    Raises
    ------
    CannotInvertFormat
        When a name in the file is not of the formatter's form.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from htcondor import dags
    >>> dag = dags.DAG()
    >>> layer = dag.layer(name="work", vars=[{}, {}, {}])
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "dagfile.dag.rescue001"
    >>> _ = path.write_text("# Rescue DAG file\\nDONE work:0\\nDONE work:2\\n")
    >>> dags.rescue(dag, path)
    >>> layer.done
    {0: True, 2: True}
    """
    formatter = formatter or SimpleFormatter()
    finished: dict[str, set[int]] = collections.defaultdict(set)
    for line in Path(rescue_file).read_text().splitlines():
        words = line.split()
        if len(words) >= 2 and words[0] == "DONE":
            layer, index = formatter.parse(words[1])
            finished[layer].add(index)
    for item in dag.nodes:
        item.done = {index: True for index in sorted(finished.get(item.name, ()))}


def find_rescue_file(dag_dir: Path | str, dag_file_name: str = DEFAULT_DAG_FILE_NAME) -> Path:
    """The newest rescue file of a DAG (the one DAGMan would pick up): ``<dag file>.rescueNNN``.

    Parameters
    ----------
    dag_dir:
        The directory the DAG was written to.
    dag_file_name:
        The DAG file's name, as given to :func:`~htcondor.dags.write_dag`.

    Returns
    -------
    pathlib.Path
        The rescue file with the highest number.

    Raises
    ------
    NoRescueFileFound
        When there is none.

    >>> import tempfile
    >>> from htcondor import dags
    >>> dags.find_rescue_file(tempfile.mkdtemp())
    Traceback (most recent call last):
      ...
    htcondor.dags.exceptions.NoRescueFileFound: no rescue file of DAG file dagfile.dag in ...
    """
    dag_dir = Path(dag_dir)
    pattern = re.compile(re.escape(dag_file_name) + r"\.rescue(\d+)$")
    found = sorted((int(m.group(1)), p) for p in dag_dir.glob(f"{dag_file_name}.rescue*")
                   if (m := pattern.match(p.name)))
    if not found:
        raise NoRescueFileFound(f"no rescue file of DAG file {dag_file_name} in {dag_dir}")
    return found[-1][1]
