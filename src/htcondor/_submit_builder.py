"""The engine that turns a submit description into job ads, one step at a time.

A job ad is made by a fixed sequence of *steps* (``set_executable``,
``set_arguments``, ... ``set_requirements``, see :mod:`._submit_ads` and
:mod:`._submit_reqs`).  Each step reads submit commands (expanded with the
live values of the job being made) and attributes already in the ad, and
writes attributes.

Making thousands of jobs from one description repeats the same work, so
the engine records, for every step of the second job of a cluster, what the
step read and what it wrote.  For each later job a step whose inputs are
unchanged has its recorded writes replayed instead of being run; only the
steps that read something that changed (usually a command holding
``$(Process)`` or an item variable) run again.  Since a step is a function
of what it reads, the result is the same as running every step.

The ad under construction is a dict ``lower-case name -> (name, value)``;
a value is a Python ``str``/``int``/``float``/``bool`` literal or an
:class:`Expr`.  Names starting with ``\\x00`` hold the engine's own state
(the job's ``Iwd`` as a directory, its ProcId) and never reach an ad.
"""

from __future__ import annotations

import classad

from ._errors import HTCondorInternalError
from ._macros import MacroError
from ._submit_hash import MacroContext, config_str
from ._submit_units import as_boolean, as_integer

__all__ = ["Expr", "Builder", "SubmitError", "MISSING"]

MISSING = object()


class SubmitError(HTCondorInternalError):
    """A description from which a job ad cannot be made (what condor_submit reports as an error)."""


class Expr:
    """An expression value of the ad under construction: its text and its parsed tree."""

    __slots__ = ("text", "tree")

    def __init__(self, text: str, tree=None):
        self.text = text
        self.tree = tree

    def __eq__(self, other) -> bool:
        return type(other) is Expr and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)

    def __repr__(self) -> str:
        return f"Expr({self.text!r})"


def same(a, b) -> bool:
    """Whether two ad values are the same (``1``, ``1.0`` and ``true`` differ)."""
    return a is b or (type(a) is type(b) and a == b)


class StepRecord:
    """What one step read (volatile commands and attributes) and wrote."""

    __slots__ = ("keys", "attrs", "writes")

    def __init__(self):
        self.keys: list = []
        self.attrs: list = []
        self.writes: list = []


class Builder:
    """The state shared by the steps: the description, the ad under construction and the job's identity."""

    def __init__(self, ctx: MacroContext, *, submit_time: int, username: str, submit_method: int, cwd: str):
        self.ctx = ctx
        self.state: dict[str, tuple[str, object]] = {}
        self.submit_time = submit_time
        self.username = username
        self.submit_method = submit_method
        self.cwd = cwd
        self.cluster = 1
        self.universe = 0
        self.is_docker = False
        self.is_container = False
        self.grid_type = ""
        self.vm_type = ""
        self.use_default_resources = True
        self._rec: StepRecord | None = None
        self._stable: dict[str, str | None] = {}
        self._volatile: dict[str, str | None] = {}
        self._config: dict[str, str | None] = {}

    # -- configuration ---------------------------------------------------------------------------

    def config(self, name: str) -> str | None:
        """The configuration value ``name`` as text (cached for the life of the builder)."""
        if name not in self._config:
            self._config[name] = config_str(name)
        return self._config[name]

    def config_bool(self, name: str, default: bool) -> bool:
        value = self.config(name)
        if value is None:
            return default
        parsed = as_boolean(value)
        return default if parsed is None else parsed

    # -- submit commands ---------------------------------------------------------------------------

    def new_job(self) -> None:
        """Forget the values of commands that depend on the job being made."""
        self._volatile.clear()

    def param(self, name: str, alt: str | None = None) -> str | None:
        """The expanded value of command ``name`` (else ``alt``); None when undefined or empty."""
        value = self._param1(name)
        if value is None and alt is not None:
            value = self._param1(alt)
        return value

    def _param1(self, name: str) -> str | None:
        low = name.lower()
        if low in self._stable:
            return self._stable[low]
        if low in self._volatile:
            value = self._volatile[low]
        else:
            try:
                value, volatile = self.ctx.expand_tracked(name)
            except MacroError as e:
                raise SubmitError(f"{e} (in the value of {name})") from None
            if not volatile:
                self._stable[low] = value
                return value
            self._volatile[low] = value
        if self._rec is not None:
            self._rec.keys.append((low, value))
        return value

    def param_now(self, low: str) -> str | None:
        """The value of a volatile command for the job being made (for the engine's checks)."""
        if low in self._volatile:
            return self._volatile[low]
        rec, self._rec = self._rec, None
        try:
            return self._param1(low)
        finally:
            self._rec = rec

    def param_bool(self, name: str, alt: str | None = None, default: bool = False) -> tuple[bool, bool]:
        """(value, given): a boolean command; an invalid value is an error."""
        text = self.param(name, alt)
        if text is None:
            return default, False
        value = as_boolean(text)
        if value is None:
            raise SubmitError(f"{name}={text} is invalid, must eval to a boolean.")
        return value, True

    def param_int(self, name: str, alt: str | None = None, int_range: bool = False) -> int | None:
        """An integer command, or None when undefined; an invalid value is an error."""
        text = self.param(name, alt)
        if text is None:
            return None
        value = as_integer(text)
        if value is None or (int_range and not -2 ** 31 <= value < 2 ** 31 - 1):
            raise SubmitError(f"{name}={text} is invalid, must eval to an integer.")
        return value

    def names(self) -> list[str]:
        """Every command name (and item variable), in the description's order."""
        return self.ctx.names()

    # -- the ad under construction --------------------------------------------------------------------

    def lookup(self, attr: str):
        """The value of ``attr`` (None when it is not in the ad)."""
        low = attr.lower()
        entry = self.state.get(low)
        if self._rec is not None:
            self._rec.attrs.append((low, entry[1] if entry is not None else MISSING))
        return None if entry is None else entry[1]

    def has(self, attr: str) -> bool:
        return self.lookup(attr) is not None

    def assign(self, attr: str, value) -> None:
        """Set ``attr`` to a literal (str, int, float or bool) or an :class:`Expr`."""
        low = attr.lower()
        entry = self.state.get(low)
        name = entry[0] if entry is not None else attr
        self.state[low] = (name, value)
        if self._rec is not None:
            self._rec.writes.append((low, name, value))

    def assign_expr(self, attr: str, text: str, key: str | None = None) -> None:
        """Set ``attr`` to the expression ``text``; a parse error is an error.

        ``key`` is the submit command the text comes from: the error message
        names it when it is not simply ``attr`` (``request_memory`` for ``RequestMemory``).
        """
        try:
            tree = classad.ExprTree(text)
        except Exception:
            message = f"Parse error in expression: \n\t{attr} = {text}\n\t"
            if key and key.lower() != attr.lower():
                message += f"(from the submit command {key})"
            raise SubmitError(message) from None
        self.assign(attr, Expr(text, tree))

    def delete(self, attr: str) -> None:
        low = attr.lower()
        if low in self.state:
            del self.state[low]
            if self._rec is not None:
                self._rec.writes.append((low, attr, MISSING))

    def evaluate(self, attr: str):
        """The evaluated value of ``attr`` (literals directly; expressions in the ad), None when missing."""
        value = self.lookup(attr)
        if value is None or not isinstance(value, Expr):
            return value
        ad = self.to_classad()
        result = ad.eval(attr)
        return None if isinstance(result, classad.Value) else result

    def lookup_bool(self, attr: str) -> bool | None:
        value = self.evaluate(attr)
        if isinstance(value, bool):
            return value
        if isinstance(value, (int, float)):
            return value != 0
        return None

    def lookup_string(self, attr: str) -> str | None:
        value = self.evaluate(attr)
        return value if isinstance(value, str) else None

    def lookup_int(self, attr: str) -> int | None:
        value = self.evaluate(attr)
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        if isinstance(value, float):
            return int(value)
        return None

    # -- engine -----------------------------------------------------------------------------------------

    def run(self, steps, records: list | None = None) -> list:
        """Run every step; with ``records`` (a list to fill) record what each step read and wrote."""
        if records is None:
            self._rec = None
            for step in steps:
                step(self)
            return []
        for step in steps:
            rec = StepRecord()
            self._rec = rec
            try:
                step(self)
            finally:
                self._rec = None
            records.append(rec)
        return records

    def replay(self, steps, records: list) -> None:
        """Run the steps again for a new job, replaying the recorded writes of steps whose inputs are unchanged."""
        state = self.state
        for index, step in enumerate(steps):
            rec = records[index]
            if self._unchanged(rec):
                for low, name, value in rec.writes:
                    if value is MISSING:
                        state.pop(low, None)
                    else:
                        state[low] = (name, value)
                continue
            new = StepRecord()
            self._rec = new
            try:
                step(self)
            finally:
                self._rec = None
            records[index] = new

    def _unchanged(self, rec: StepRecord) -> bool:
        volatile = self._volatile
        for low, value in rec.keys:
            now = volatile[low] if low in volatile else self.param_now(low)
            if now != value:
                return False
        state = self.state
        for low, value in rec.attrs:
            entry = state.get(low)
            if entry is None:
                if value is not MISSING:
                    return False
            elif value is MISSING or not same(entry[1], value):
                return False
        return True

    # -- output -------------------------------------------------------------------------------------------

    def to_classad(self, state: dict | None = None) -> classad.ClassAd:
        """A ClassAd holding ``state`` (default: the ad under construction)."""
        ad = classad.ClassAd()
        for low, (name, value) in (self.state if state is None else state).items():
            if low[:1] == "\x00":
                continue
            ad[name] = to_classad_value(value)
        return ad


def to_classad_value(value):
    """The value to store in a ClassAd for an engine value."""
    if isinstance(value, Expr):
        if value.tree is None:
            value.tree = classad.ExprTree(value.text)
        return value.tree
    return value
