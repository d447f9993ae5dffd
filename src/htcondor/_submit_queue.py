"""Queue statements: how many jobs, and the item data that varies between them.

The forms (``N`` is an optional count of jobs per item, an integer
expression; ``[slice]`` is an optional Python-style ``[start:stop:step]``)::

    queue [N]
    queue [N] [var] in [slice] (item item, item ...)      items split on commas and blanks
    queue [N] [var, var ...] from [slice] (lines)         one item per line
    queue [N] [var, var ...] from [slice] file            ... from a file
    queue [N] [var, var ...] from [slice] command |       ... from a command's output
    queue [N] from table[(options)] (lines)               the first line names the variables
    queue [N] [var] matching [files|dirs|any] [slice] globs...

A list in parentheses may continue over the following lines when ``(`` is
not closed on the queue line; it ends at a line that starts with ``)``.  The
default variable is ``Item``.  A ``from`` line is split into the variables
at commas and blanks; the last variable takes the rest of the line.

>>> fea = parse_queue_args("2 x, y from [1:] (a 1)")
>>> fea.count, fea.mode, fea.vars, fea.items, fea.slice.bounds
(2, 'from', ['x', 'y'], ['a 1'], (1, None, None))
>>> split_item("b  2 3", 2, None)
['b', '2 3']
"""

from __future__ import annotations

import glob
import os
import re
import subprocess

from ._submit_parse import logical_lines
from ._submit_units import as_boolean, as_integer

__all__ = ["QueueError", "Slice", "ForeachArgs", "parse_queue_args", "load_items", "split_item"]

_INT_MAX = 2 ** 31 - 1
_MAX_COLUMNS = 1000


class QueueError(ValueError):
    """A queue statement that cannot be parsed, or items that cannot be loaded.

    ``stage`` is ``"parse"`` for a bad statement and ``"load"`` for items
    that cannot be read (a missing file, an unclosed list).
    """

    def __init__(self, message: str, stage: str = "parse"):
        super().__init__(message)
        self.stage = stage


class Slice:
    """A ``[start:stop:step]`` selection of items (no slice selects all of them)."""

    __slots__ = ("given", "start", "stop", "step")

    def __init__(self):
        self.given = False
        self.start = self.stop = self.step = None

    @property
    def bounds(self) -> tuple:
        return (self.start, self.stop, self.step)

    def parse(self, text: str) -> int:
        """Read a slice at the start of ``text``; returns how many characters it used (0: not a slice)."""
        m = re.match(r"\[\s*([+-]?\d*)(?::\s*([+-]?\d*)(?::\s*([+-]?\d*))?)?\s*\]", text)
        if m is None:
            return 0
        self.given = True
        self.start = int(m.group(1)) if m.group(1) not in (None, "", "+", "-") else None
        self.stop = int(m.group(2)) if m.group(2) not in (None, "", "+", "-") else None
        self.step = int(m.group(3)) if m.group(3) not in (None, "", "+", "-") else None
        return m.end()

    def _range(self, length: int) -> tuple[int, int, int]:
        start = 0 if self.start is None else (self.start + length if self.start < 0 else self.start)
        stop = length if self.stop is None else (self.stop + length if self.stop < 0 else self.stop)
        return start, stop, self.step or 1

    def translate(self, index: int, length: int) -> int | None:
        """The item number of the ``index``-th selected item, or None past the end."""
        if not self.given:
            return index if 0 <= index < length else None
        start, stop, step = self._range(length)
        if step <= 0:
            raise QueueError("a negative slice step is not supported")
        row = start + index * step
        return row if start <= row < stop else None


class ForeachArgs:
    """A parsed queue statement: the count, the variables, the items and how to get them."""

    def __init__(self):
        self.mode = "not"          # not, in, from, matching, matching_files, matching_dirs, matching_any
        self.count = 1
        self.vars: list[str] = []
        self.items: list[str] = []
        self.items_source = ""     # "" (items given), "<" (the following lines), or a file / "command |"
        self.slice = Slice()
        self.table: dict | None = None   # options of "from table"; None for the usual splitting

    def selected_items(self) -> list[str]:
        """The items the slice selects, in order."""
        out = []
        index = 0
        while True:
            row = self.slice.translate(index, len(self.items))
            if row is None:
                return out
            out.append(self.items[row])
            index += 1


_KEYWORDS = ("in", "from", "matching")
_QUALIFIERS = ("files", "dirs", "any", "table")


def _scan_keyword(text: str, start: int, words, until_match: bool):
    """HTCondor's token scan: (keyword or None, token start, position of the delimiter after it)."""
    token_start = -1
    i = start
    n = len(text)
    while i < n:
        c = text[i]
        if c.isspace() or c == "(":
            if token_start >= 0:
                token = text[token_start:i]
                if 1 <= len(token) <= 8 and token.lower() in words:
                    return token.lower(), token_start, i
            if not until_match:
                return None, token_start, i
            token_start = -1
        elif token_start < 0:
            token_start = i
        i += 1
    return None, token_start, i


def _table_options(text: str) -> dict:
    opts = {"header": 0, "skip": 0, "ws_sep": False, "trim": True, "sep": ","}
    for kvp in (p.strip() for p in text.split(",")):
        low = kvp.lower()
        if low == "standard":
            opts = {"header": -1, "skip": 0, "ws_sep": True, "trim": True, "sep": ","}
            continue
        if low == "csv":
            opts = {"header": -1, "skip": 0, "ws_sep": False, "trim": True, "sep": ","}
            continue
        key, eq, rhs = kvp.partition("=")
        if not eq:
            continue
        key = key.strip().lower()
        rhs = rhs.strip()
        if key == "header":
            num = as_integer(rhs)
            if num is not None:
                opts["header"] = min(num, _INT_MAX)
            elif rhs.lower() == "none":
                opts["header"] = -1
        elif key == "skip":
            num = as_integer(rhs)
            if num is not None:
                opts["skip"] = min(num, _INT_MAX)
        elif key == "trim":
            value = as_boolean(rhs)
            if value is not None:
                opts["trim"] = value
        elif key == "comma_sep":
            value = as_boolean(rhs)
            if value is not None:
                opts["sep"] = "," if value else ""
        elif key == "sep":
            opts["sep"] = rhs[:1]
    return opts


def _tokens(text: str) -> list[str]:
    return [t for t in re.split(r"[ ,\t\r\n]+", text) if t]


def parse_queue_args(qargs: str) -> ForeachArgs:
    """Parse the (already macro-expanded) arguments of a queue statement.

    Raises
    ------
    QueueError
        For a bad count, a misplaced keyword or a bad slice.
    """
    fea = ForeachArgs()
    text = qargs.lstrip()
    if not text:
        return fea
    keyword, kw_start, pos = _scan_keyword(text, 0, _KEYWORDS, True)
    num_end = len(text)
    if keyword is not None:
        fea.mode = keyword
        n = len(text)
        while pos < n and text[pos].isspace():
            pos += 1
        if pos < n and text[pos] != "(":
            while True:
                qual, tok_start, after = _scan_keyword(text, pos, _QUALIFIERS, False)
                if after >= n:
                    break
                is_slice = tok_start >= 0 and text[tok_start] == "["
                if is_slice:
                    qual = "slice"
                if qual is None:
                    break
                if qual in ("files", "dirs", "any"):
                    if fea.mode != "matching":
                        raise QueueError("Queue keyword conflict")
                    fea.mode = "matching_" + qual
                    new_pos = after
                elif qual == "table":
                    if fea.mode != "from":
                        raise QueueError("Queue keyword conflict")
                    fea.table = _table_options("")
                    new_pos = after
                    if after < n and text[after] == "(":
                        close = text.find(")", after)
                        if close < 0:
                            raise QueueError("Invalid TABLE options")
                        fea.table = _table_options(text[after + 1:close])
                        new_pos = close + 1
                else:
                    used = fea.slice.parse(text[tok_start:])
                    if not used:
                        raise QueueError("Invalid [::] statement")
                    new_pos = tok_start + used
                if new_pos == pos:
                    break
                pos = new_pos
                while pos < n and text[pos].isspace():
                    pos += 1
        _parse_item_list(fea, text[pos:])
        num_end = _vars_start(text, kw_start, fea)
    count_text = text[:num_end]
    if count_text.strip():
        value = as_integer(count_text)
        if value is None:
            raise QueueError("Invalid Queue count expression")
        if value < 0 or value >= _INT_MAX:
            raise QueueError("Queue count out of range")
        fea.count = value
    return fea


def _parse_item_list(fea: ForeachArgs, plist: str) -> None:
    one_line = False
    if plist.startswith("(") and plist.endswith(")"):
        plist = plist[1:-1]
        one_line = True
    if plist.startswith("(") and not one_line:
        rest = plist[1:].strip()
        if rest:
            if fea.mode == "from":
                fea.items = [rest]
            else:
                fea.items.extend(_tokens(rest))
        fea.items_source = "<"
    elif fea.mode == "from":
        if one_line:
            fea.items = [plist.lstrip()]
        else:
            fea.items_source = plist.strip()
    else:
        fea.items.extend(_tokens(plist))


def _vars_start(text: str, kw_start: int, fea: ForeachArgs) -> int:
    """Scan back from the keyword over the variable names; returns where the count expression ends."""
    pvars = kw_start
    while pvars > 0 and text[pvars - 1].isspace():
        pvars -= 1
    end = pvars
    pt = pvars
    while pt > 0:
        ch = text[pt - 1]
        if ch.isdigit():
            pt -= 1
            while pt > 0:
                ch = text[pt - 1]
                if ch.isalpha():
                    break
                if not ch.isdigit():
                    ch = "!"
                    break
                pt -= 1
        if ch.isspace() or ch.isalpha() or ch in ",_.":
            pvars = pt - 1
        else:
            break
        pt -= 1
    if pvars < end:
        fea.vars = [v for v in re.split(r"[ ,\t]+", text[pvars:end]) if v]
    return pvars


def load_items(fea: ForeachArgs, inline_text: str | None, *, cwd: str | None = None, options=None) -> None:
    """Complete ``fea.items`` from the following lines, a file, a command or globs.

    Parameters
    ----------
    inline_text:
        The text after the queue statement (for a list continued on the
        following lines); None when there is none.
    cwd:
        The directory for relative file names and globs (default: the current one).
    options:
        A function giving submit settings (``SubmitMatchDirectories`` ...) by name, or None.

    Raises
    ------
    QueueError
        (stage ``"load"``) For a list without its closing ``)``, or a file or command that cannot be read.
    """
    if not fea.vars and fea.mode != "not":
        fea.vars = ["Item"]
    if fea.items_source == "<":
        if inline_text is None:
            raise QueueError("inline items not available", "load")
        closed = False
        for _number, line, _end in logical_lines(inline_text):
            if line.startswith("#"):
                continue
            if line.startswith(")"):
                closed = True
                break
            if fea.mode == "from":
                fea.items.append(line)
            else:
                fea.items.extend(_tokens(line))
        if not closed:
            raise QueueError("Reached end of file without finding closing brace ')' for Queue command", "load")
    elif fea.items_source:
        fea.items.extend(_read_source(fea.items_source, cwd))
    if fea.mode.startswith("matching"):
        fea.items = _expand_globs(fea.items, fea.mode, cwd, options)
    if fea.table is not None:
        _load_schema(fea)


def _read_source(source: str, cwd: str | None) -> list[str]:
    if source.endswith("|"):
        command = source[:-1].split()
        try:
            out = subprocess.run(command, capture_output=True, cwd=cwd, check=False).stdout
        except OSError as e:
            raise QueueError(f"can't run {source[:-1].strip()}: {e.strerror}", "load") from None
        text = out.decode("utf-8", "surrogateescape")
    else:
        path = source if cwd is None or os.path.isabs(source) else os.path.join(cwd, source)
        try:
            with open(path, "rb") as f:
                text = f.read().decode("utf-8", "surrogateescape")
        except OSError as e:
            raise QueueError(f"can't open file {source}: {e.strerror}", "load") from None
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.strip() for line in lines]


def _expand_globs(patterns: list[str], mode: str, cwd: str | None, options) -> list[str]:
    want = {"matching_files": "files", "matching_dirs": "dirs", "matching_any": "any"}.get(mode)
    if want is None:
        setting = options("SubmitMatchDirectories") if options else None
        want = "any"
        if setting is not None:
            low = setting.lower()
            if low in ("never", "no", "false"):
                want = "files"
            elif low == "only":
                want = "dirs"
    base = cwd or os.getcwd()
    out: list[str] = []
    seen: set[str] = set()
    for pattern in patterns:
        if any(c in pattern for c in "*?["):
            found = sorted(glob.glob(pattern, root_dir=base))
        else:
            found = [pattern] if os.path.lexists(os.path.join(base, pattern)) else []
        for name in found:
            is_dir = os.path.isdir(os.path.join(base, name))
            if (want == "files" and is_dir) or (want == "dirs" and not is_dir):
                continue
            item = name + "/" if is_dir and not name.endswith("/") else name
            if item in seen:
                continue
            seen.add(item)
            out.append(item)
    return out


def split_item(item: str, num_cols: int, table: dict | None) -> list[str]:
    """Split one item into at most ``num_cols`` values as the queue statement's variables receive them.

    Values are separated by commas and blanks (a table's separator for
    ``from table``); the last value takes the rest of the item.  With fewer
    separators than variables the missing values are empty.  An empty item
    gives no values at all.
    """
    if item.endswith("\n"):
        item = item[:-1]
    if item.endswith("\r"):
        item = item[:-1]
    legacy = table is None
    ws_sep = True if legacy else table["ws_sep"]
    if legacy and "\x1f" in item:
        sep = "\x1f"
        ws_sep = False
    else:
        sep = "," if legacy else table["sep"]
    seps = ", \t"
    if sep:
        seps = sep + (" \t" if ws_sep else "")
    trim = legacy or table["trim"]
    if trim:
        item = item.strip(" \t")
    if not item:
        return []
    values = [item]
    while len(values) < num_cols:
        prev = values[-1]
        cut = -1
        for i, c in enumerate(prev):
            if c in seps:
                cut = i
                break
        if cut < 0:
            if num_cols >= _MAX_COLUMNS:
                break
            values.append("")
            continue
        head = prev[:cut]
        tail = prev[cut + 1:]
        if trim:
            head = head.rstrip(" \t")
            tail = tail.lstrip(" \t")
        values[-1] = head
        values.append(tail)
    return values


def _load_schema(fea: ForeachArgs) -> None:
    header = fea.table["header"]
    if header < 0:
        return
    if header >= len(fea.items):
        raise QueueError(f"Heading row {header} is beyond the end of table {fea.items_source}", "load")
    schema = split_item(fea.items[header], 2 ** 31, fea.table)
    if not schema:
        raise QueueError(f"No column headings found on row {header} in table {fea.items_source}", "load")
    bad = [(i + 1, name) for i, name in enumerate(schema) if not re.fullmatch(r"[A-Za-z0-9_.]+", name)]
    if bad:
        raise QueueError("Columns " + ",".join(str(i) for i, _ in bad) + " have names that are not allowed : "
                         + ",".join(name for _, name in bad), "load")
    fea.vars = schema
    del fea.items[header]
    if header > 0:
        skip = header - 1 + max(fea.table["skip"], 0)
        if skip > 0:
            del fea.items[:skip]
