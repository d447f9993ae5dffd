"""The argument and environment syntaxes of submit descriptions.

Arguments
    *Old syntax* (V1): the value as written, split on blanks; a literal
    ``"`` must be written ``\\"``.  The job ad keeps it as ``Args``.
    *New syntax* (V2): the whole value in double quotes; arguments are
    separated by blanks, single quotes group blanks into an argument, ``''``
    inside single quotes is a literal quote and ``""`` is a literal double
    quote.  The job ad keeps the canonical form as ``Arguments``: arguments
    joined by one blank, blanks and quotes inside an argument wrapped in
    single quotes.

Environment
    *Old syntax*: ``NAME=value`` entries separated by ``;`` (or by the
    first character, when it is one of ``!#$%&*+,-/:;<>?@^`|~``).
    *New syntax*: double-quoted, entries separated by blanks and quoted as
    arguments are.  The job ad always gets the new syntax in
    ``Environment``, entries sorted by name.

>>> split_v2(v2_unquote('"one \\'two three\\' four"'))
['one', 'two three', 'four']
>>> join_v2(['one', 'two three', "it's"])
"one two' 'three it''''s"
>>> env = Environment()
>>> env.merge_v1_or_v2("B=2;A=1")
>>> env.v2_raw()
'A=1 B=2'
"""

from __future__ import annotations

import fnmatch
import os
import re

__all__ = ["ArgsError", "is_v2_quoted", "v2_unquote", "split_v2", "join_v2", "parse_arguments",
           "Environment", "EnvFilter"]

_ENV_DELIMS = "!#$%&*+,-/:;<>?@^`|~\x1f"
# Marks an environment entry that is an unexpanded $$() reference kept without "=".
_NO_VALUE = "\x01\x02\x03\x04\x05\x06"


class ArgsError(ValueError):
    """Arguments or an environment that cannot be parsed."""


def is_v2_quoted(text: str) -> bool:
    """True when ``text`` (after leading blanks) starts with a double quote: the new syntax."""
    return text.lstrip()[:1] == '"'


def v2_unquote(text: str) -> str:
    """The raw V2 text inside a double-quoted value (``""`` becomes ``"``)."""
    text = text.lstrip()
    out = []
    i = 1
    n = len(text)
    closed = -1
    while i < n:
        c = text[i]
        if c == '"':
            if i + 1 < n and text[i + 1] == '"':
                out.append('"')
                i += 2
                continue
            closed = i
            break
        out.append(c)
        i += 1
    if closed < 0:
        raise ArgsError("Unterminated double-quote.")
    if text[closed + 1:].strip():
        raise ArgsError("Unexpected characters following double-quote.  Did you forget to escape the double-quote "
                        "by repeating it?  Here is the quote and trailing characters: " + text[closed:] + "\n")
    return "".join(out)


def split_v2(text: str) -> list[str]:
    """Split raw V2 text into arguments (blank separated; single quotes group)."""
    args: list[str] = []
    buf: list[str] = []
    token = False
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == "'":
            start = i
            i += 1
            token = True
            while True:
                if i >= n:
                    raise ArgsError("Unbalanced quote starting here: " + text[start:])
                if text[i] == "'":
                    if i + 1 < n and text[i + 1] == "'":
                        buf.append("'")
                        i += 2
                        continue
                    i += 1
                    break
                buf.append(text[i])
                i += 1
        elif c in " \t\n\r":
            i += 1
            if token:
                args.append("".join(buf))
                buf = []
                token = False
        else:
            token = True
            buf.append(c)
            i += 1
    if token:
        args.append("".join(buf))
    return args


def _append_arg(arg: str, out: list[str]) -> None:
    if out:
        out.append(" ")
    if not arg:
        out.append("''")
    for c in arg:
        if c in " \t\n\r'":
            if out and out[-1] == "'":
                out.pop()  # continue the quoted section just closed
            else:
                out.append("'")
            if c == "'":
                out.append("'")
            out.append(c)
            out.append("'")
        else:
            out.append(c)


def join_v2(args: list[str]) -> str:
    """The canonical raw V2 text of a list of arguments."""
    out: list[str] = []
    for arg in args:
        _append_arg(arg, out)
    return "".join(out)


def _v1_unwack(text: str) -> str:
    out = []
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == '"':
            raise ArgsError("Found illegal unescaped double-quote: " + text[i:])
        if c == "\\" and i + 1 < n and text[i + 1] == '"':
            out.append('"')
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def parse_arguments(text: str) -> tuple[list[str], bool]:
    """Parse an ``arguments`` value: (the arguments, True when it was the old syntax).

    Raises
    ------
    ArgsError
        For an unterminated quote or a bare double quote in the old syntax.
    """
    if is_v2_quoted(text):
        return split_v2(v2_unquote(text)), False
    return [a for a in re.split(r"[ \t\n\r]+", _v1_unwack(text)) if a], True


def v1_string(args: list[str]) -> str:
    """The old-syntax text of ``args`` (none may contain blanks)."""
    for arg in args:
        if any(c in arg for c in " \t\r\n"):
            raise ArgsError(f"Cannot represent '{arg}' in V1 arguments syntax.")
    return " ".join(args)


class EnvFilter:
    """Which variables of the submitter's environment ``getenv`` imports.

    ``names`` is a list such as ``"PATH, HOME, !SECRET*"``: entries may use
    ``*`` wildcards; ``!name`` excludes.  No names means every variable.
    """

    def __init__(self, names: str | None = None, v1_only: bool = False):
        self.white: list[str] = []
        self.black: list[str] = []
        self.v1_only = v1_only
        if names:
            for item in names.replace(",", " ").replace(";", " ").split():
                if item.startswith("!"):
                    if item[1:].strip():
                        self.black.append(item[1:].strip().lower())
                elif item.strip():
                    self.white.append(item.strip().lower())

    def __call__(self, name: str, value: str) -> bool:
        if "\n" in value:
            return False
        if self.v1_only and ";" in value:
            return False
        low = name.lower()
        if self.black and any(fnmatch.fnmatchcase(low, pat) for pat in self.black):
            return False
        if self.white and not any(fnmatch.fnmatchcase(low, pat) for pat in self.white):
            return False
        return True


class Environment:
    """A job's environment as condor_submit builds it: name -> value, sorted by name."""

    def __init__(self):
        self.table: dict[str, str] = {}

    def __len__(self) -> int:
        return len(self.table)

    def set_entry(self, entry: str) -> None:
        """Add one ``NAME=value`` entry."""
        if not entry:
            return
        name, eq, value = entry.partition("=")
        if not eq and "$$" in entry:
            self.table[entry] = _NO_VALUE
            return
        if not eq:
            raise ArgsError(f"ERROR: Missing '=' after environment variable '{entry}'.")
        if not name:
            raise ArgsError(f"ERROR: missing variable in '{entry}'.")
        self.table[name] = value

    def merge_v2_quoted(self, text: str) -> None:
        """Add the entries of a double-quoted new-syntax value."""
        if not is_v2_quoted(text):
            raise ArgsError("Expecting a double-quoted environment string (V2 format).")
        for entry in split_v2(v2_unquote(text)):
            self.set_entry(entry)

    def merge_v1_or_v2(self, text: str) -> None:
        """Add the entries of a value in either syntax."""
        if is_v2_quoted(text):
            self.merge_v2_quoted(text)
            return
        if not text:
            return
        delim = ";"
        if text[0] != delim and text[0] in _ENV_DELIMS:
            delim = text[0]
            text = text[1:]
        elif text[0] == delim:
            text = text[1:]
        i = 0
        n = len(text)
        while i < n:
            while i < n and text[i] in " \t\n\r":
                i += 1
            start = i
            while i < n and text[i] != "\n" and text[i] != delim:
                i += 1
            entry = text[start:i]
            i += 1
            if entry:
                self.set_entry(entry)

    def import_environ(self, keep: EnvFilter, environ=None) -> None:
        """Add the submitter's variables that ``keep`` accepts, without overwriting."""
        environ = os.environ if environ is None else environ
        for name, value in environ.items():
            if not name or name in self.table:
                continue
            if keep(name, value):
                self.table[name] = value

    def v2_raw(self) -> str:
        """The canonical new-syntax text (unquoted), entries sorted by name."""
        entries = []
        for name in sorted(self.table, key=lambda s: s.encode("utf-8", "surrogateescape")):
            value = self.table[name]
            entries.append(name if value == _NO_VALUE else f"{name}={value}")
        return join_v2(entries)

    def v1_raw(self) -> str:
        """The old-syntax text, entries joined with ``;``."""
        entries = []
        for name in sorted(self.table, key=lambda s: s.encode("utf-8", "surrogateescape")):
            value = self.table[name]
            if value != _NO_VALUE and (";" in value or "\n" in value):
                raise ArgsError(f"Environment entry is not compatible with V1 syntax: {name}={value}")
            entries.append(name if value == _NO_VALUE else f"{name}={value}")
        return ";".join(entries)
