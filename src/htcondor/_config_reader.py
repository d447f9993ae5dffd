"""Reading condor_config text into a :class:`~htcondor._macro_set.MacroSet`.

The language, line by line:

* ``NAME = value`` (``:`` works as ``=``); names are case-insensitive and
  may carry a ``SUBSYS.`` or local-name prefix; a name may itself hold
  macros (``$(X)_FOO = 1``).  Values stay unexpanded, except references to
  the name being defined, which take its previous value at once.
* A trailing ``\\`` continues a line; a ``#`` line inside a continuation
  counts as its last character only (so a commented-out line ending in
  ``\\`` keeps the continuation going, and any other comment ends it).
* ``NAME @=tag`` ... ``@tag`` holds a multi-line value (lines trimmed,
  comments and blank lines skipped).
* ``include [ifexist] : file``, ``include : command |``; ``use CATEGORY :
  NAME [NAME...]`` (HTCondor's templates); ``warning : text``,
  ``error : text``.
* ``if`` / ``elif`` / ``else`` / ``endif`` with ``defined NAME``,
  ``version >= x.y[.z]``, booleans, numbers and ``$(X)`` (empty is false),
  each optionally negated with ``!``.

>>> from htcondor._param_table import ParamTable
>>> from htcondor._macro_set import MacroSet
>>> ms = MacroSet(ParamTable.builtin())
>>> read_config("A = 1\\nB = $(A) \\\\\\n  two\\nif defined A\\n C = yes\\nendif\\n", "example", ms)
>>> [ms.lookup(n) for n in "ABC"]
['1', '$(A) two', 'yes']
"""

from __future__ import annotations

import re
import subprocess

from ._errors import HTCondorIOError
from ._macro_set import MacroSet
from ._macros import MacroError

__all__ = ["ConfigError", "read_config", "read_config_file", "HTCONDOR_VERSION"]

HTCONDOR_VERSION = (24, 0, 24)
_MAX_DEPTH = 20
_NAME = re.compile(r"[A-Za-z0-9_.]+$")
_BOOL_WORDS = {"true": True, "yes": True, "t": True, "false": False, "no": False, "f": False}


class ConfigError(HTCondorIOError):
    """A configuration source that cannot be read: the message names the file and line.

    ``line`` and ``source`` locate the statement in the outermost file; an
    error inside an included file or a template is reported at the line of
    the ``include`` or ``use`` that brought it in, with the inner detail.
    """

    def __init__(self, message: str, source: str = "", line: int = 0, detail: str = ""):
        super().__init__(message)
        self.source = source
        self.line = line
        self.detail = detail or message


def _logical_lines(text: str):
    """Yield (line_number, text) of each logical line: trimmed, continuations joined."""
    buf = None
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if buf is None:
            start = number
            if line.startswith("#"):
                yield start, line  # a whole-line comment never continues
                continue
        elif line.startswith("#"):
            line = line[-1:]  # a commented-out continuation line: only its last character stays
        if line.endswith("\\"):
            buf = (buf or "") + line[:-1]
            continue
        yield start, (buf or "") + line
        buf = None
    if buf is not None:
        yield start, buf


class _Reader:
    def __init__(self, ms: MacroSet, subsys: str | None, localname: str | None):
        self.ms = ms
        self.subsys = subsys
        self.localname = localname

    def expand(self, text: str) -> str:
        return self.ms.expand(text, self.subsys, self.localname)

    def fail(self, source: str, line: int, message: str) -> ConfigError:
        return ConfigError(f"Configuration Error Line {line} while reading {source}: {message}", source, line, message)

    def nested(self, read, source: str, line: int) -> None:
        """Run a nested read; its errors are reported at this statement's line."""
        try:
            read()
        except ConfigError as e:
            raise self.fail(source, line, e.detail) from None

    # -- one source ---------------------------------------------------------------------

    def read(self, text: str, source: str, depth: int) -> None:
        if depth > _MAX_DEPTH:
            raise ConfigError(f"includes nested too deep while reading {source}")
        ifs = _IfStack()
        here_name = here_tag = None
        here_lines: list[str] = []
        here_line = 0
        number = 0
        for number, line in _logical_lines(text):
            if not line or line.startswith("#"):
                continue
            if here_name is not None:
                if line[0] == "@" and line[1:] == here_tag:
                    self.ms.insert(here_name, "\n".join(here_lines), source, here_line, self.subsys, self.localname)
                    here_name = None
                else:
                    here_lines.append(line)
                continue
            if line.startswith(":") and (ifs.inside() or re.match(r":if(\s|$)", line)):
                line = line[1:]
            try:
                if ifs.handle(line, self):
                    continue
            except _IfError as e:
                raise self.fail(source, number, str(e)) from None
            if not ifs.enabled():
                continue
            here = self.statement(line, source, number, depth)
            if here is not None:
                here_name, here_tag = here
                here_lines = []
                here_line = number
        last = text.count("\n") + (0 if text.endswith("\n") or not text else 1)  # errors at the end name the last line
        if here_name is not None:
            raise self.fail(source, last, f"Found end-of-file while scanning for '@{here_tag}'")
        if ifs.inside():
            raise self.fail(source, last, "endif(s) not found before end-of-file")

    def statement(self, line: str, source: str, number: int, depth: int):
        """Carry out one line; returns (name, tag) when a ``@=`` value begins."""
        m = re.match(r"([^\s=:]*)\s*", line)
        name = m.group(1)
        rest = line[m.end():]
        if not rest:
            if line.startswith("["):
                return None  # an ini-style section header is ignored
            raise self.fail(source, number, f"missing = or : in '{line}'")
        words_before_op = ""
        if rest[0] not in "=:":
            op_at = re.search(r"[=:@]", rest)
            if op_at is None:
                raise self.fail(source, number, f"missing = or : in '{line}'")
            words_before_op = rest[:op_at.start()].strip()
            rest = rest[op_at.start():]
        op = rest[0]
        if op == "@":
            if rest[1:2] != "=":
                raise self.fail(source, number, f"missing = or : in '{line}'")
            rhs = rest[2:].strip()
        else:
            rhs = rest[1:].strip()
        keyword = name.lstrip("@").lower() if op == ":" else ""
        if keyword == "use":
            category = (words_before_op or "").strip()
            self.use(category, rhs, source, number, depth)
            return None
        if keyword in ("error", "warning"):
            message = self.expand(rhs)
            if keyword == "error":
                raise self.fail(source, number, message)
            return None
        if keyword == "include":
            self.include(words_before_op, rhs, source, number, depth)
            return None
        if words_before_op:
            raise self.fail(source, number, f"Illegal Identifier: <{name} {words_before_op}>")
        try:
            name = self.expand(name)
        except MacroError as e:
            raise self.fail(source, number, str(e)) from None
        if not _NAME.match(name):
            raise self.fail(source, number, f"Illegal Identifier: <{name}>")
        if op == "@":
            return name, rhs
        try:
            self.ms.insert(name, rhs, source, number, self.subsys, self.localname)
        except MacroError as e:
            raise self.fail(source, number, str(e)) from None
        return None

    def use(self, category: str, rhs: str, source: str, number: int, depth: int) -> None:
        if not category:
            raise self.fail(source, number, f"use needs a keyword before : {rhs}")
        if not self.ms.table.has_category(category):
            raise self.fail(source, number, f"use {category}: unknown category")
        for knob, args in _metaknob_items(rhs):
            body = self.ms.table.metaknob(category, knob)
            if body is None:
                raise self.fail(source, number, f"use {category}: does not recognise {knob}")
            if args or re.search(r"\$\((#|\d)", body):
                body = _substitute_meta_args(body, _split_meta_args(args))
            self.nested(lambda body=body, knob=knob: self.read(body, f"use {category.upper()}:{knob}", depth + 1),
                        source, number)

    def include(self, options: str, rhs: str, source: str, number: int, depth: int) -> None:
        opts = options.lower().split()
        if_exists = "ifexist" in opts
        is_command = "command" in opts
        unknown = [o for o in opts if o not in ("ifexist", "command")]
        if unknown:
            raise self.fail(source, number, f"unexpected keyword(s) '{options}' after include")
        target = self.expand(rhs).strip()
        if target.endswith("|"):
            is_command = True
            target = target.rstrip("| ")
        if is_command:
            text = _run_command(target, lambda msg: self.fail(source, number, msg))
            self.nested(lambda: self.read(text, target + " |", depth + 1), source, number)
            return
        try:
            with open(target, encoding="utf-8", errors="surrogateescape") as f:
                text = f.read()
        except OSError as e:
            if if_exists:
                return
            raise self.fail(source, number, f"cannot open included file {target}: {e.strerror}") from None
        self.nested(lambda: self.read(text, target, depth + 1), source, number)


def _substitute_meta_args(body: str, args: list[str]) -> str:
    """Fill ``$(1)``, ``$(2?)``, ``$(3+)``, ``$(#)`` and ``$(1:default)`` in a template with arguments."""
    out = []
    i = 0
    while True:
        m = re.compile(r"\$\((#|\d+[?+]?)([:)])").search(body, i)
        if m is None:
            out.append(body[i:])
            return "".join(out)
        out.append(body[i:m.start()])
        default = None
        end = m.end()
        if m.group(2) == ":":
            depth = 1
            j = end
            while j < len(body) and depth:
                depth += {"(": 1, ")": -1}.get(body[j], 0)
                j += 1
            default = body[end:j - 1]
            end = j
        what = m.group(1)
        if what == "#":
            out.append(str(len(args)))
        else:
            index = int(what.rstrip("?+")) - 1
            present = 0 <= index < len(args) and args[index].strip() != ""
            if what.endswith("?"):
                out.append("1" if present else "0")
            elif what.endswith("+"):
                rest = ",".join(args[index:]).strip() if present else ""
                out.append(rest or (default or ""))
            else:
                out.append(args[index].strip() if present else (default or ""))
        i = end


def _split_meta_args(args: str) -> list[str]:
    """Split template arguments at commas that are not inside parentheses."""
    if not args:
        return []
    parts, depth, start = [], 0, 0
    for i, c in enumerate(args):
        depth += {"(": 1, ")": -1}.get(c, 0)
        if c == "," and depth == 0:
            parts.append(args[start:i])
            start = i + 1
    parts.append(args[start:])
    return parts


def _metaknob_items(text: str) -> list[tuple[str, str]]:
    """``A B(1, 2), C`` -> [("A", ""), ("B", "1, 2"), ("C", "")]."""
    items = []
    i = 0
    while i < len(text):
        m = re.compile(r"[\s,]*([A-Za-z0-9_.]+)").match(text, i)
        if m is None or not m.group(1):
            break
        name = m.group(1)
        i = m.end()
        args = ""
        if text[i:i + 1] == "(":
            depth = 0
            close = i
            while close < len(text):
                depth += {"(": 1, ")": -1}.get(text[close], 0)
                if depth == 0:
                    break
                close += 1
            args = text[i + 1:close]
            i = close + 1
        items.append((name, args))
    return items


def _run_command(command: str, fail) -> str:
    try:
        done = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise fail(f"cannot run {command}: {e}") from None
    if done.returncode != 0:
        raise fail(f"{command} exited with status {done.returncode}")
    return done.stdout


# -- if / elif / else / endif ---------------------------------------------------------------

class _IfError(Exception):
    pass


class _IfStack:
    """The state of nested conditionals: each level is (this branch on, a branch was taken, else seen)."""

    def __init__(self):
        self.levels: list[list[bool]] = []

    def inside(self) -> bool:
        return bool(self.levels)

    def enabled(self) -> bool:
        return all(level[0] for level in self.levels)

    def handle(self, line: str, reader: _Reader) -> bool:
        m = re.match(r"(if|elif|else|endif)(\s+|$)", line, re.I)
        if m is None:
            return False
        word = m.group(1).lower()
        expr = line[m.end():].strip()
        if word == "if":
            if len(self.levels) >= 63:
                raise _IfError("if nesting too deep!")
            value = self.enabled() and _test(expr, reader, "if")
            self.levels.append([value, value, False])
        elif word == "elif":
            if not self.levels or self.levels[-1][2]:
                raise _IfError("elif is not allowed after else" if self.levels else "elif without matching if")
            level = self.levels[-1]
            outer = all(lv[0] for lv in self.levels[:-1])
            if level[1] or not outer:
                level[0] = False
            else:
                level[0] = _test(expr, reader, "elif")
                level[1] = level[0]
        elif word == "else":
            if not self.levels or self.levels[-1][2]:
                raise _IfError("else is not allowed after else" if self.levels else "else without matching if")
            level = self.levels[-1]
            level[0] = not level[1]
            level[2] = True
        else:
            if not self.levels:
                raise _IfError("endif without matching if")
            self.levels.pop()
        return True


def _test(expr: str, reader: _Reader, word: str) -> bool:
    """Evaluate the condition of an ``if`` or ``elif``."""
    original = expr
    expanded = False
    if "$" in expr:
        expr = reader.expand(expr).strip()
        expanded = True
    inverted = expr.startswith("!")
    if inverted:
        expr = expr[1:].strip()
    if expanded and not expr:
        value = False
    else:
        value = _condition(expr, reader, original, word)
    return not value if inverted else value


def _condition(expr: str, reader: _Reader, original: str, word: str) -> bool:
    def invalid(reason: str) -> _IfError:
        return _IfError(f"{original} is not a valid {word} condition because {reason}")

    low = expr.lower()
    if re.fullmatch(r"[+-]?\d+(\.\d*)?", expr):
        return float(expr) != 0
    if low in ("true", "false"):
        return low == "true"
    if low in _BOOL_WORDS:
        return _BOOL_WORDS[low]
    if re.match(r"version(\s|[<>=!]|$)", low):
        return _version_test(expr[7:].strip(), invalid)
    if re.match(r"defined(\s|$)", low):
        target = expr[7:].strip()
        if not target:
            return False
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", target):
            value = reader.ms.lookup(target, reader.subsys, reader.localname)
            if value is None and target.lower() in _BOOL_WORDS:
                return True
            return bool(value)
        if re.fullmatch(r"[+-]?\d+(\.\d*)?|true|false", target, re.I):
            return True
        if target.lower().startswith("use "):
            what = target[4:].strip()
            if re.search(r"\s", what):
                raise invalid("defined use meta argument with internal spaces will never match")
            category, _, name = what.partition(":")
            if not reader.ms.table.has_category(category):
                return False
            return not name or reader.ms.table.metaknob(category, name) is not None
        raise invalid("defined argument must be param name, boolean, or number")
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", expr):
        raise invalid("expression is not a conditional")
    raise invalid("complex conditionals are not supported")


def _version_test(rest: str, invalid) -> bool:
    negated = rest.startswith("!")
    if negated:
        rest = rest[1:]
    op = 0
    or_equal = False
    if rest[:1] in ("<", "=", ">"):
        op = "<=>".index(rest[0]) - 1
        rest = rest[1:]
    if rest[:1] == "=":
        or_equal = True
        rest = rest[1:]
    rest = rest.strip()
    if rest[:1] in ("v", "V"):
        rest = rest[1:]
    m = re.match(r"(\d+)\.(\d+)(?:\.(\d+))?", rest)
    if m is None or int(m.group(1)) < 6:
        raise invalid("the version literal is invalid")
    wanted = (int(m.group(1)), int(m.group(2)), int(m.group(3)) if m.group(3) else HTCONDOR_VERSION[2])
    diff = (HTCONDOR_VERSION > wanted) - (HTCONDOR_VERSION < wanted)
    result = diff == op or (or_equal and diff == 0)
    return not result if negated else result


def read_config(text: str, source: str, ms: MacroSet, subsys: str | None = "TOOL",
                localname: str | None = None) -> None:
    """Read config ``text`` (named ``source`` in messages) into ``ms``.

    Raises
    ------
    ConfigError
        With the source and line of the first error.
    """
    _Reader(ms, subsys, localname).read(text, source, 0)


def read_config_file(path: str, ms: MacroSet, subsys: str | None = "TOOL", localname: str | None = None,
                     description: str = "config source") -> None:
    """Read the config file (or ``command |``) at ``path`` into ``ms``."""
    reader = _Reader(ms, subsys, localname)
    if path.rstrip().endswith("|"):
        command = path.rstrip().rstrip("| ")
        text = _run_command(command, lambda msg: ConfigError(f"while reading {description} {path}: {msg}"))
    else:
        try:
            with open(path, encoding="utf-8", errors="surrogateescape") as f:
                text = f.read()
        except OSError as e:
            raise ConfigError(f"cannot open {description} {path}: {e.strerror}") from None
    reader.read(text, f"{description} {path}", 0)

