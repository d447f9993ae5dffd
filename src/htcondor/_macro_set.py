"""The table of configuration macros: what the config files defined, and how names resolve.

A :class:`MacroSet` holds raw (unexpanded) values keyed by name without
regard to case, backed by HTCondor's built-in defaults.  Names resolve as
HTCondor resolves them for a process with a subsystem (``SCHEDD``,
``TOOL``...) and an optional local name: ``LOCAL.NAME``, then
``SUBSYS.NAME``, then ``NAME`` -- at each step the config files first, then
the built-in table.

>>> from htcondor._param_table import ParamTable
>>> ms = MacroSet(ParamTable.builtin())
>>> ms.insert("SCHEDD.FOO", "schedd's")
>>> ms.insert("FOO", "everyone's")
>>> ms.lookup("foo", subsys="TOOL"), ms.lookup("foo", subsys="SCHEDD")
("everyone's", "schedd's")
>>> ms.expand("$(SCHEDD_LOG).old", subsys="TOOL")  # LOG is $(LOCAL_DIR)/log, LOCAL_DIR is empty
'/log/SchedLog.old'
"""

from __future__ import annotations

import re
from typing import NamedTuple

from ._macros import MacroError, expand
from ._param_table import ParamTable

__all__ = ["MacroSet", "Entry"]


class Entry(NamedTuple):
    """One definition: the name as written, its raw value and where it came from."""

    name: str
    value: str
    source: str
    line: int


class MacroSet:
    """Raw definitions plus the built-in defaults; every lookup is case-insensitive."""

    def __init__(self, table: ParamTable):
        self.table = table
        self._entries: dict[str, Entry] = {}
        # HTCondor sorts its table once the files are read; names defined later
        # are listed after the last sorted one (see names()).
        self._sorted_count = 0

    def seal(self) -> None:
        """Mark the definitions so far as sorted: later ones are listed apart, as HTCondor lists them."""
        self._sorted_count = len(self._entries)

    # -- definitions ------------------------------------------------------------------

    def insert(self, name: str, value: str, source: str = "<Internal>", line: int = 0,
               subsys: str | None = None, localname: str | None = None) -> None:
        """Define ``name``; references to itself in ``value`` take the previous value now."""
        key = name.upper()
        if "$" in value:
            value = self.expand_self(name, value, subsys, localname)
        old = self._entries.get(key)
        if old is None:
            info = self.table.info(name)
            # Keep HTCondor's spelling of a known name; a value equal to the
            # default is not stored (HTCondor's keys() shows the table entry).
            if info is not None and info.default is not None and info.default == value and "." not in key:
                return
            spelled = info.name if info is not None and info.name == name else name
            self._entries[key] = Entry(spelled, value, source, line)
        else:
            self._entries[key] = Entry(old.name, value, source, line)

    def remove(self, name: str) -> None:
        key = name.upper()
        if key in self._entries:
            if list(self._entries).index(key) < self._sorted_count:
                self._sorted_count -= 1
            del self._entries[key]

    def defined_here(self, name: str) -> Entry | None:
        """The definition from the config files (no defaults), or None."""
        return self._entries.get(name.upper())

    def names(self) -> list[str]:
        """Every name with a value, in HTCondor's order.

        HTCondor walks its sorted table of definitions and its table of
        defaults together, without regard to case, skipping defaults that are
        defined; definitions made after the table was sorted come right after
        the last sorted definition (and their defaults are not skipped).
        """
        entries = list(self._entries.values())
        sorted_part = sorted((e.name for e in entries[:self._sorted_count]), key=str.lower)
        tail = [e.name for e in entries[self._sorted_count:]]
        defined = {name.upper() for name in sorted_part}
        defaults = sorted((n for n in self.table.names_with_defaults() if n.upper() not in defined), key=str.lower)
        result: list[str] = []
        i = j = 0
        while i < len(sorted_part) or j < len(defaults):
            if j >= len(defaults) or (i < len(sorted_part) and sorted_part[i].lower() <= defaults[j].lower()):
                result.append(sorted_part[i])
                i += 1
                if i == len(sorted_part):
                    result.extend(tail)
            else:
                result.append(defaults[j])
                j += 1
        if not sorted_part:
            result.extend(tail)
        return result

    # -- resolution -------------------------------------------------------------------

    def lookup(self, name: str, subsys: str | None = None, localname: str | None = None,
               use_defaults: bool = True) -> str | None:
        """The raw value ``name`` resolves to for this subsystem and local name, or None."""
        key = name.upper()
        for prefix in (localname, subsys):
            if prefix:
                entry = self._entries.get(prefix.upper() + "." + key)
                if entry is not None:
                    return entry.value
                if use_defaults:
                    default = self.table.default(prefix + "." + key)
                    if default is not None:
                        return default
        entry = self._entries.get(key)
        if entry is not None:
            return entry.value
        if use_defaults:
            return self.table.default(key)
        return None

    def lookup_entry_name(self, name: str, subsys: str | None = None, localname: str | None = None) -> str | None:
        """The name of the definition ``name`` resolves to (``SCHEDD.FOO`` or ``FOO``)."""
        key = name.upper()
        for prefix in (localname, subsys):
            if prefix:
                full = prefix.upper() + "." + key
                if full in self._entries or self.table.default(full) is not None:
                    return full
        if key in self._entries or self.table.default(key) is not None:
            return key
        return None

    def expand(self, text: str, subsys: str | None = None, localname: str | None = None) -> str:
        """Expand every ``$(...)`` in ``text`` against this set."""
        if "$" not in text:
            return text
        return expand(text, lambda n: self.lookup(n, subsys, localname))

    def expand_self(self, name: str, value: str, subsys: str | None, localname: str | None) -> str:
        """Replace references to ``name`` itself by its current value (``X = $(X), more``)."""
        selves = {name.upper()}
        for prefix in (localname, subsys):
            if prefix and name.upper().startswith(prefix.upper() + "."):
                selves.add(name[len(prefix) + 1:].upper())
                break
        pattern = re.compile(r"\$\((" + "|".join(re.escape(s) for s in selves) + r")(?::([^)]*))?\)", re.I)

        def replace(m: re.Match) -> str:
            current = self.lookup(m.group(1), subsys, localname)
            if not current and m.group(2) is not None:
                return m.group(2)
            return current or ""

        for _ in range(100):
            new = pattern.sub(replace, value)
            if new == value:
                return new
            value = new
        raise MacroError(f"{name} refers to itself without end")
