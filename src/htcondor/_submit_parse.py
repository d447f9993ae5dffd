"""Reading the text of a submit file into a table of commands.

The text is read line by line up to the first ``queue`` statement:

* lines are trimmed; a line ending in ``\\`` continues on the next one;
  ``#`` starts a comment line; blank lines are skipped;
* ``name = value`` defines a command (a reference to ``name`` itself in
  ``value`` takes its previous value at once; the name may hold macros);
* ``+Attr = value`` is kept as ``MY.Attr`` (a job attribute);
  ``-Attr = value`` defines ``MY.Attr`` as empty;
* ``name @=tag`` ... ``@tag`` defines a multi-line value;
* ``if``/``elif``/``else``/``endif``, ``include : file``,
  ``include : command |``, ``warning : text`` and ``error : text`` work as
  in configuration files;
* ``queue [arguments]`` (or ``iterate``) ends the description; the text
  after it is kept, since a queue statement can list its items on the
  following lines.

>>> table = SubmitTable()
>>> qargs, rest = parse_submit("executable = /bin/echo\\n+Special = true\\nqueue 2 in (\\n a\\n b\\n)\\n", table)
>>> table.items(), qargs, rest
([('executable', '/bin/echo'), ('MY.Special', 'true')], '2 in (', ' a\\n b\\n)\\n')
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess

from ._config_reader import _IfError, _IfStack
from ._errors import HTCondorValueError
from ._macros import MacroError
from ._submit_hash import MacroContext, SubmitTable, expand_self

__all__ = ["parse_submit", "queue_arguments", "logical_lines", "SubmitParseError"]

_NAME = re.compile(r"[A-Za-z0-9_./]+$")
_MAX_DEPTH = 20


class SubmitParseError(HTCondorValueError):
    """A submit description that cannot be read: the message names the line."""


def logical_lines(text: str):
    """Yield (line number, text, end offset) of each logical line: trimmed, continuations joined."""
    buf = None
    start = 0
    offset = 0
    for number, raw in enumerate(text.split("\n"), 1):
        offset += len(raw) + 1
        line = raw.strip()
        if buf is None:
            start = number
            if line.startswith("#"):
                yield start, line, offset
                continue
        elif line.startswith("#"):
            line = line[-1:]
        if line.endswith("\\"):
            buf = (buf or "") + line[:-1]
            continue
        yield start, (buf or "") + line, offset
        buf = None
    if buf is not None:
        yield start, buf, offset


def queue_arguments(line: str) -> str | None:
    """The arguments of a ``queue`` (or ``iterate``) statement, or None when ``line`` is not one."""
    m = re.match(r"(queue|iter(?:a|at|ate)?)(\s|$)", line, re.I)
    if m is None:
        return None
    return line[m.end(1):].lstrip()


_DAG_COMMANDS = {"JOB", "PROVISIONER", "FINAL", "SERVICE", "SPLICE", "SUBDAG", "PARENT", "SUBMIT-DESCRIPTION",
                 "DONE", "PRE_SKIP", "SCRIPT", "PRIORITY", "VARS", "CATEGORY", "MAXJOBS", "ABORT-DAG-ON", "CONFIG",
                 "ENV", "SET_JOB_ATTR", "DOT", "JOBSTATE_LOG", "NODE_STATUS_FILE", "SAVE_POINT_FILE", "REJECT"}


class _IfAdapter:
    """What the configuration reader's ``if`` evaluation needs, over a submit table."""

    def __init__(self, ctx: MacroContext):
        self.ctx = ctx
        self.ms = self
        self.subsys = None
        self.localname = None
        from ._param_table import ParamTable

        self.table = ParamTable.builtin()

    def expand(self, text: str) -> str:
        return self.ctx.expand_text(text)

    def lookup(self, name: str, subsys=None, localname=None) -> str | None:
        return self.ctx.lookup(name)


def parse_submit(text: str, table: SubmitTable, source: str = "<PythonString>") -> tuple[str | None, str]:
    """Read ``text`` into ``table``; returns (the queue arguments or None, the text after the queue line).

    Raises
    ------
    HTCondorValueError
        For a line that is not a command, a bad ``if``, a failed include,
        an ``error :`` line, or a DAG file.
    """
    ctx = MacroContext(table)
    result = _read(text, table, ctx, source, 0)
    if result is None:
        return None, ""
    return result


def _fail(source: str, number: int, message: str) -> SubmitParseError:
    return SubmitParseError(f"{source}, line {number}: {message}")


def _read(text: str, table: SubmitTable, ctx: MacroContext, source: str, depth: int):
    if depth > _MAX_DEPTH:
        raise SubmitParseError(f"{source}: includes nested too deep")
    ifs = _IfStack()
    adapter = _IfAdapter(ctx)
    here_name = here_tag = None
    here_lines: list[str] = []
    here_line = 0
    number = 0
    for number, line, end in logical_lines(text):
        if not line or line.startswith("#"):
            continue
        if here_name is not None:
            if line[0] == "@" and line[1:] == here_tag:
                _define(table, ctx, here_name, "\n".join(here_lines))
                here_name = None
            else:
                here_lines.append(line)
            continue
        if line.startswith(":") and (ifs.inside() or re.match(r":if(\s|$)", line)):
            line = line[1:]
        try:
            if ifs.handle(line, adapter):
                continue
        except _IfError as e:
            raise _fail(source, number, str(e)) from None
        except MacroError as e:
            raise _fail(source, number, str(e)) from None
        if not ifs.enabled():
            continue
        outcome = _statement(line, table, ctx, source, number, depth)
        if outcome is None:
            continue
        kind, value = outcome
        if kind == "here":
            here_name, here_tag = value
            here_lines = []
            here_line = number
        elif kind == "queue":
            if depth > 0:
                raise _fail(source, number, "Queue statement not allowed in include file or command")
            return value, text[end:] if end <= len(text) else ""
    if here_name is not None:
        raise _fail(source, here_line, f"Found end-of-file while scanning for '@{here_tag}'")
    if ifs.inside():
        raise _fail(source, number, "endif(s) not found before end-of-file")
    return None


def _statement(line: str, table: SubmitTable, ctx: MacroContext, source: str, number: int, depth: int):
    m = re.match(r"[^\s=:]*", line)
    name = m.group()
    rest = line[m.end():]
    if not rest.strip() and not rest.startswith(("=", ":")):
        return _queue_or_fail(line, source, number)
    op_match = re.match(r"\s*(@=|=|:)", rest)
    if op_match is None:
        word = re.match(r"\s*([^=:@]*)(@=|=|:)?", rest)
        low = name.lstrip("@").lower()
        if word.group(2) == ":" and low in ("include", "error", "warning", "use"):
            return _colon_command(low, word.group(1).strip(), rest[word.end():].strip(), ctx, table,
                                  source, number, depth)
        return _queue_or_fail(line, source, number)
    op = op_match.group(1)
    value = rest[op_match.end():].strip()
    low = name.lstrip("@").lower()
    if low in ("queue", "iterate", "iter") and name[:1] != "@":
        return _queue_or_fail(line, source, number)
    if op == ":":
        if low in ("include", "error", "warning", "use"):
            return _colon_command(low, "", value, ctx, table, source, number, depth)
        return _queue_or_fail(line, source, number, "invalid queue statement.")
    try:
        name = ctx.expand_text(name) if "$" in name else name
    except MacroError as e:
        raise _fail(source, number, str(e)) from None
    if op == "=" and name[:1] in ("+", "-"):
        attr = name[1:]
        key = "MY." + attr
        _define(table, ctx, key, value if name[0] == "+" else "")
        return None
    if not name or not _NAME.match(name):
        raise _fail(source, number, f"Illegal Identifier: <{name}>")
    if op == "@=":
        return "here", (name, value)
    _define(table, ctx, name, value)
    return None


def _define(table: SubmitTable, ctx: MacroContext, name: str, value: str) -> None:
    """Set ``name``; references to itself in ``value`` become its previous value.

    The previous value may be a built-in default (``$(Process)`` is 0 here),
    as when condor_submit reads a file.
    """
    old = table.raw(name)
    if old is None:
        old = ctx.defaults.get(name.lower())
    table.set(name, expand_self(name, value, old))


def _queue_or_fail(line: str, source: str, number: int, message: str | None = None):
    qargs = queue_arguments(line)
    if qargs is not None:
        return "queue", qargs
    first = line.split()[0] if line.split() else ""
    if first.upper() in _DAG_COMMANDS:
        raise _fail(source, number, "This is a DAG file")
    raise _fail(source, number, message or f"cannot parse: {line}")


def _colon_command(word: str, options: str, rhs: str, ctx: MacroContext, table: SubmitTable,
                   source: str, number: int, depth: int):
    if word == "use":
        raise _fail(source, number, f"at use {options}:{rhs} (submit templates are not defined)")
    if word in ("error", "warning"):
        try:
            message = ctx.expand_text(rhs)
        except MacroError as e:
            message = str(e)
        if word == "error":
            raise _fail(source, number, f"Error: {message}")
        return None
    must_exist = True
    for option in options.lower().split():
        if option == "ifexist":
            must_exist = False
        elif option != "command":
            raise _fail(source, number, f"unexpected keyword(s) '{options}' after include")
    try:
        target = ctx.expand_text(rhs).strip()
    except MacroError as e:
        raise _fail(source, number, str(e)) from None
    is_command = target.endswith("|") or "command" in options.lower().split()
    if is_command:
        command = target[:-1].strip() if target.endswith("|") else target
        try:
            output = subprocess.run(shlex.split(command), capture_output=True, text=True, check=False).stdout
        except OSError as e:
            if must_exist:
                raise _fail(source, number, f"failed to run '{command}': {e}") from None
            return None
        name = command
    else:
        path = target
        try:
            with open(path, encoding="utf-8", errors="surrogateescape") as f:
                output = f.read()
        except OSError as e:
            if must_exist:
                raise _fail(source, number, f"cannot open {path}: {e.strerror}") from None
            return None
        name = os.path.abspath(path)
    _read(output, table, ctx, name, depth + 1)
    return None
