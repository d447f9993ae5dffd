"""The table of submit commands and the names a submit description can refer to.

A submit description is a table of ``name = value`` pairs.  Names are
case-insensitive; the spelling first used is kept.  Values are raw text,
expanded only when used.  Expansion looks a name up in three places, in
this order:

1. the *live* variables of the job being made: the queue statement's
   item variables (``$(Item)``, or the names it declares);
2. the description itself;
3. the built-in defaults: ``$(Cluster)``/``$(ClusterId)``,
   ``$(Process)``/``$(ProcId)``, ``$(Row)``/``$(ItemIndex)``, ``$(Step)``,
   ``$(Node)``, ``$(JobId)``, ``$(ARCH)``, ``$(OPSYS)`` and their
   variations, ``$(SPOOL)``, ``$(IsLinux)``, ``$(IsWindows)`` and, while
   jobs are made, ``$(SUBMIT_TIME)``, ``$(Year)``, ``$(Month)``, ``$(Day)``.

Configuration macros are *not* visible (``$(FILESYSTEM_DOMAIN)`` expands to
nothing), as in HTCondor's Python bindings.

>>> table = SubmitTable()
>>> table.set("Executable", "/bin/echo")
>>> table.set("arguments", "$(Cluster).$(Process) $(executable)")
>>> ctx = MacroContext(table)
>>> ctx.expand("arguments")
'1.0 /bin/echo'
>>> ctx.live_ids(cluster=7, proc=3); ctx.expand("arguments")
'7.3 /bin/echo'
"""

from __future__ import annotations

import os
import re
import sys
import time

from ._macros import MacroError
from ._macros import expand as _expand_text

__all__ = ["SubmitTable", "MacroContext", "config_str", "MacroError", "LIVE_DEFAULT_NAMES"]


def config_str(name: str) -> str | None:
    """The value of configuration macro ``name`` as text (None when it is not set), read through ``htcondor.param``."""
    import htcondor

    try:
        value = htcondor.param.get(name)
    except Exception:
        return None
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    value = str(value)
    return value if value else None


class SubmitTable:
    """The commands of a description: an ordered, case-insensitive table of raw values."""

    __slots__ = ("_items",)

    def __init__(self, items=None):
        self._items: dict[str, list[str]] = {}
        if items is not None:
            for name, value in items:
                self.set(name, value)

    def set(self, name: str, value: str) -> None:
        """Define ``name`` (keeping the spelling it was first defined with)."""
        low = name.lower()
        entry = self._items.get(low)
        if entry is None:
            self._items[low] = [name, value]
        else:
            entry[1] = value

    def delete(self, name: str) -> bool:
        """Remove ``name``; False when it was not defined."""
        return self._items.pop(name.lower(), None) is not None

    def raw(self, name: str) -> str | None:
        """The unexpanded value of ``name``, or None."""
        entry = self._items.get(name.lower())
        return None if entry is None else entry[1]

    def name_of(self, name: str) -> str | None:
        """The spelling ``name`` was defined with, or None."""
        entry = self._items.get(name.lower())
        return None if entry is None else entry[0]

    def __contains__(self, name: str) -> bool:
        return name.lower() in self._items

    def __len__(self) -> int:
        return len(self._items)

    def names(self) -> list[str]:
        return [entry[0] for entry in self._items.values()]

    def items(self) -> list[tuple[str, str]]:
        return [(entry[0], entry[1]) for entry in self._items.values()]

    def copy(self) -> "SubmitTable":
        new = SubmitTable()
        new._items = {low: list(entry) for low, entry in self._items.items()}
        return new


# Names whose built-in value changes from job to job.
LIVE_DEFAULT_NAMES = frozenset(["process", "procid", "step", "row", "itemindex", "node", "jobid"])


def _static_defaults() -> dict[str, str]:
    linux = sys.platform.startswith("linux")
    windows = sys.platform.startswith("win")
    defaults = {
        "cluster": "1", "clusterid": "1", "process": "0", "procid": "0", "step": "0", "row": "0",
        "itemindex": "0", "node": "", "jobid": "$(ClusterId).$(ProcId)",
        "islinux": "1" if linux else "0", "iswindows": "1" if windows else "0",
        "request_cpus": "$(RequestCPUs)", "request_memory": "$(RequestMemory)",
        "vm_memory": "$(Request_Memory)", "vm_vcpus": "$(Request_CPUs)",
        "submit_file": "", "submit_time": "", "year": "", "month": "", "day": "",
    }
    for name in ("ARCH", "OPSYS", "OPSYSVER", "OPSYSANDVER", "OPSYSMAJORVER", "SPOOL"):
        defaults[name.lower()] = config_str(name) or ""
    return defaults


class MacroContext:
    """Expansion of submit values for one description, with the live values of the job being made.

    Parameters
    ----------
    table:
        The description's commands.
    environ:
        The environment for ``$ENV()`` (default: ``os.environ``).
    cwd:
        The directory ``$Ff()`` makes relative paths full against: the
        submitting process's working directory when jobs are made, none
        (paths stay as written) for :meth:`htcondor.Submit.expand`.
    """

    def __init__(self, table: SubmitTable, environ=None, cwd: str | None = None):
        self.table = table
        self.environ = os.environ if environ is None else environ
        self.cwd = cwd
        self.defaults = _static_defaults()
        self.live: dict[str, str] = {}
        self.live_names: dict[str, str] = {}
        self._volatile = False

    # -- live values ---------------------------------------------------------------------------

    def set_submit_time(self, when: int) -> None:
        """Define ``$(SUBMIT_TIME)``, ``$(Year)``, ``$(Month)`` and ``$(Day)`` from a UNIX time."""
        local = time.localtime(when)
        self.defaults["submit_time"] = str(when)
        self.defaults["year"] = "%04d" % local.tm_year
        self.defaults["month"] = "%02d" % local.tm_mon
        self.defaults["day"] = "%02d" % local.tm_mday

    def live_ids(self, cluster: int, proc: int, row: int = 0, step: int = 0, node: str = "") -> None:
        """Set the built-in values of the job being made."""
        d = self.defaults
        d["cluster"] = d["clusterid"] = str(cluster)
        d["process"] = d["procid"] = str(proc)
        d["row"] = d["itemindex"] = str(row)
        d["step"] = str(step)
        d["node"] = node

    def set_live(self, name: str, value: str) -> None:
        """Give item variable ``name`` its value for the job being made."""
        low = name.lower()
        self.live[low] = value
        self.live_names.setdefault(low, name)

    # -- lookups -----------------------------------------------------------------------------------

    def lookup(self, name: str) -> str | None:
        """The raw value ``name`` has now: live, then the description, then the defaults."""
        low = name.lower()
        live = self.live.get(low)
        if live is not None:
            self._volatile = True
            return live
        value = self.table.raw(low)
        if value is not None:
            if "$RANDOM_" in value.upper():
                self._volatile = True
            return value
        value = self.defaults.get(low)
        if value is not None and low in LIVE_DEFAULT_NAMES:
            self._volatile = True
        return value

    def raw(self, name: str) -> str | None:
        """Like :meth:`lookup`, without the defaults: the value the description (or an item) gives."""
        low = name.lower()
        live = self.live.get(low)
        if live is not None:
            return live
        return self.table.raw(low)

    def expand_text(self, text: str) -> str:
        """Expand the macros in ``text``.

        Raises
        ------
        MacroError
            For a bad macro function argument or a cycle.
        """
        if "$" not in text:
            return text
        if "$RANDOM_" in text.upper():
            self._volatile = True
        return _expand_text(text, self.lookup, env=self.environ, cwd=self.cwd)

    def expand(self, name: str) -> str | None:
        """The expanded value of command ``name``; None when it is undefined or expands to nothing."""
        raw = self.lookup(name)
        if raw is None:
            return None
        value = self.expand_text(raw) if "$" in raw else raw
        return value or None

    def expand_tracked(self, name: str) -> tuple[str | None, bool]:
        """:meth:`expand`, and whether the result depends on the job being made (a live value or chance)."""
        self._volatile = False
        value = self.expand(name)
        volatile = self._volatile
        self._volatile = False
        return value, volatile

    def names(self) -> list[str]:
        """Every command name, then item variables that are not commands."""
        out = self.table.names()
        for low, name in self.live_names.items():
            if low not in self.table:
                out.append(name)
        return out


_SELF_REF = "(?<!\\$)\\$\\((%s)(?::([^)]*))?\\)"


def expand_self(name: str, value: str, old: str | None) -> str:
    """Replace references to ``name`` in its new ``value`` by its previous value (parse-time self references)."""
    if "$" not in value:
        return value
    pattern = re.compile(_SELF_REF % re.escape(name), re.I)

    def repl(m: re.Match) -> str:
        if old:
            return old
        return m.group(2) if m.group(2) is not None else ""

    return pattern.sub(repl, value)
