"""HTCondor's built-in parameter table: every knob it knows, with its type and default.

The data lives in two files beside this module, generated from HTCondor
24.0 by ``scripts/generate_param_table.py``:

* ``_param_table.tsv`` -- name, type (``string``, ``path``, ``int``,
  ``long``, ``bool``, ``double``), range (``min,max``, either may be
  empty) and the unexpanded default;
* ``_metaknobs.conf`` -- the bodies of the ``use CATEGORY : NAME``
  templates, in config syntax.

>>> table = ParamTable.builtin()
>>> table.info("update_interval")
ParamInfo(name='UPDATE_INTERVAL', type='int', default='300', range=(None, None))
>>> table.info("SCHEDD_LOG").default
'$(LOG)/SchedLog'
>>> table.metaknob("role", "personal").splitlines()[0]
'CONDOR_HOST=127.0.0.1'
"""

from __future__ import annotations

import functools
import os
from typing import NamedTuple

__all__ = ["ParamInfo", "ParamTable"]

_HERE = os.path.dirname(os.path.abspath(__file__))


class ParamInfo(NamedTuple):
    """One parameter of the table."""

    name: str
    type: str
    default: str | None
    range: tuple[float | None, float | None]


def _unescape(text: str) -> str:
    out = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            out.append({"n": "\n", "t": "\t", "\\": "\\"}.get(nxt, "\\" + nxt))
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def _number(text: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        return float(int(text)) if text.lstrip("+-").isdigit() else float(text)
    except ValueError:
        return None


class ParamTable:
    """The parameter table and the metaknob templates, looked up without regard to case."""

    def __init__(self, params: dict[str, ParamInfo], metaknobs: dict[tuple[str, str], str]):
        self._params = params
        self._metaknobs = metaknobs

    @classmethod
    @functools.cache
    def builtin(cls) -> ParamTable:
        """The table shipped with the package (read once per process)."""
        params: dict[str, ParamInfo] = {}
        with open(os.path.join(_HERE, "_param_table.tsv"), encoding="utf-8") as f:
            for line in f:
                if line.startswith("#") or not line.strip():
                    continue
                name, kind, rng, default = line.rstrip("\n").split("\t")
                low, _, high = rng.partition(",")
                value = _unescape(default)
                # An empty default means "not defined", except for paths, which
                # HTCondor reports as defined to the empty string.
                params[name.upper()] = ParamInfo(name, kind, value if value or kind == "path" else None,
                                                 (_number(low), _number(high)))
        metaknobs: dict[tuple[str, str], str] = {}
        with open(os.path.join(_HERE, "_metaknobs.conf"), encoding="utf-8") as f:
            key = None
            body: list[str] = []
            for line in f.read().splitlines() + ["[]"]:
                if line.startswith("["):
                    if key is not None:
                        metaknobs[key] = "\n".join(body)
                    category, _, name = line[1:-1].partition(".")
                    key = (category.upper(), name.upper()) if name else None
                    body = []
                elif key is not None and line and not line.startswith("#"):
                    body.append(line)
        return cls(params, metaknobs)

    def info(self, name: str) -> ParamInfo | None:
        """The entry for ``name`` (``SUBSYS.NAME`` entries included), or None."""
        return self._params.get(name.upper())

    def default(self, name: str) -> str | None:
        """The unexpanded built-in default of ``name``, or None when it has none."""
        entry = self._params.get(name.upper())
        return entry.default if entry is not None else None

    def type_of(self, name: str) -> str:
        """The declared type of ``name``; ``string`` for names the table does not know."""
        entry = self._params.get(name.upper())
        return entry.type if entry is not None else "string"

    def names_with_defaults(self) -> list[str]:
        """Names (as HTCondor spells them) of every unprefixed entry that has a default."""
        return [p.name for key, p in self._params.items() if p.default is not None and "." not in key]

    def has_category(self, category: str) -> bool:
        """Whether ``use CATEGORY : ...`` names a known template category."""
        category = category.upper()
        return any(cat == category for cat, _ in self._metaknobs)

    def metaknob(self, category: str, name: str) -> str | None:
        """The config text of template ``category:name``, or None."""
        return self._metaknobs.get((category.upper(), name.upper()))
