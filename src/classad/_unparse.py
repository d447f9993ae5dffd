"""Turning trees and values back into text.

Four printers share one walker:

* **new syntax, compact** -- ``repr()`` of ads and expressions, ``lookup``:
  ``[ a = 1; b = { 1,2 } ]``, reals as ``%1.15E``;
* **pretty** -- ``str()``: nested ads and lists on indented lines (ads
  indent by 4, lists by 3), otherwise as the compact form;
* **old syntax** -- ``printOld()``: ``=?=``/``=!=`` spelled out, reals as
  ``%.16G``, strings with only ``"`` escaped;
* **JSON** -- ``printJson()``: literals as JSON, other expressions wrapped
  as ``"\\/Expr(...)\\/"``.

The attributes of an ad are printed in the order the C++ library keeps
them: by name length, then case-insensitively by name.
"""

from __future__ import annotations

import math

from ._nodes import (
    Attr,
    Binary,
    Call,
    Cond,
    ListExpr,
    Literal,
    Paren,
    RecordExpr,
    RelTimeLiteral,
    Unary,
)
from ._values import ERROR, UNDEFINED, AbsTime, ListValue, RelTime

RESERVED_WORDS = frozenset({"error", "false", "is", "isnt", "parent", "true", "undefined"})


def attr_order(item: tuple) -> tuple:
    """Sort key of a ``(key, (name, node))`` attribute entry."""
    name = item[1][0]
    return (len(name), name.lower())


def sorted_attrs(attrs: dict) -> list:
    """``(name, node)`` pairs of an attribute dict, in the library's order."""
    return [entry for _, entry in sorted(attrs.items(), key=attr_order)]


# -- scalars ---------------------------------------------------------------

def format_real(x: float, old: bool = False) -> str:
    """A real as the library prints it (new syntax unless *old*).

    >>> format_real(1.0), format_real(1.0, old=True), format_real(1e16, old=True)
    ('1.000000000000000E+00', '1.0', '1E+16')
    """
    if x == 0.0:
        return "-0.0" if math.copysign(1.0, x) < 0 else "0.0"
    if x != x:
        return 'real("NaN")'
    if x == math.inf:
        return 'real("INF")'
    if x == -math.inf:
        return 'real("-INF")'
    if old:
        text = "%.16G" % x
        if "." not in text and "E" not in text:
            text += ".0"
        return text
    return "%1.15E" % x


_NEW_ESCAPES = {
    0x07: b"\\a", 0x08: b"\\b", 0x0C: b"\\f", 0x0A: b"\\n", 0x0D: b"\\r",
    0x09: b"\\t", 0x0B: b"\\v", 0x5C: b"\\\\",
}


def quote_string(s: str, delim: str = '"', old: bool = False) -> str:
    """*s* as a quoted literal (or, with ``delim="'"``, a quoted attribute name)."""
    if old:
        return delim + s.replace(delim, "\\" + delim) + delim
    if s.isascii() and s.isprintable() and "\\" not in s and delim not in s:
        return delim + s + delim
    out = bytearray()
    d = ord(delim)
    for c in s.encode("utf-8", "surrogateescape"):
        if c == d:
            out += b"\\" + bytes([c])
        elif c in _NEW_ESCAPES:
            out += _NEW_ESCAPES[c]
        elif c < 0x20 or c >= 0x7F:
            out += b"\\%03o" % c
        else:
            out.append(c)
    return delim + out.decode("ascii") + delim


def quote_name(name: str, old: bool = False) -> str:
    """An attribute name, quoted with ``'`` when it is not a plain identifier.

    In old syntax only the quote character is escaped, as in old strings.
    """
    if name.isidentifier() and name.isascii() and name.lower() not in RESERVED_WORDS:
        return name
    inner = quote_string(name, "'", old)[1:-1]
    if _needs_quoting(inner):
        return "'" + inner + "'"
    return inner


def _needs_quoting(s: str) -> bool:
    if not s or not (s[0].isascii() and (s[0].isalpha() or s[0] == "_")):
        return True
    if not all(c.isascii() and (c.isalnum() or c == "_") for c in s):
        return True
    return s.lower() in RESERVED_WORDS


def _time_text(v) -> str:
    from ._timefmt import abstime_to_string, reltime_to_string

    if type(v) is AbsTime:
        return 'absTime("' + abstime_to_string(v) + '")'
    return 'relTime("' + reltime_to_string(v.secs) + '")'


def literal_text(v, old: bool = False) -> str:
    """The source text of a scalar value."""
    t = type(v)
    if t is bool:
        return "true" if v else "false"
    if t is int:
        return str(v)
    if t is float:
        return format_real(v, old)
    if t is str:
        return quote_string(v, '"', old)
    if v is UNDEFINED:
        return "undefined"
    if v is ERROR:
        return "error"
    if t is AbsTime or t is RelTime:
        return _time_text(v)
    raise TypeError(f"not a scalar ClassAd value: {v!r}")


# -- trees -----------------------------------------------------------------

_SPACED = {"+": " +", "-": " -", "!": " !", "~": " ~"}


class _Printer:
    """One unparse run; ``indent`` is the pretty printer's current level."""

    __slots__ = ("old", "pretty", "indent", "out", "old_value")

    def __init__(self, old: bool = False, pretty: bool = False):
        self.old = old
        self.pretty = pretty
        self.indent = 0
        self.out: list[str] = []
        self.old_value = False

    def node(self, n) -> None:
        out = self.out
        t = type(n)
        if t is Literal or t is RelTimeLiteral:
            out.append(literal_text(n.value, self.old))
        elif t is Attr:
            if n.base is not None:
                # a selected name is written as it is, never quoted
                self.node(n.base)
                out.append("." + n.name)
                return
            if n.absolute:
                out.append(".")
            out.append(quote_name(n.name, self.old))
        elif t is Binary:
            op = n.op
            self.node(n.left)
            if op == "[]":
                out.append("[")
                self.node(n.right)
                out.append("]")
                return
            if self.old and op in ("is", "isnt"):
                out.append(" =?= " if op == "is" else " =!= ")
            else:
                out.append(" " + op + " ")
            self.node(n.right)
        elif t is Unary:
            out.append(_SPACED[n.op])
            self.node(n.operand)
        elif t is Paren:
            out.append("(")
            self.node(n.inner)
            out.append(")")
        elif t is Cond:
            self.node(n.cond)
            out.append(" ? ")
            self.node(n.then)
            out.append(" : ")
            self.node(n.otherwise)
        elif t is Call:
            out.append(n.name + "(")
            for i, a in enumerate(n.args):
                if i:
                    out.append(",")
                self.node(a)
            out.append(")")
        elif t is ListExpr:
            self.items(n.items)
        elif t is RecordExpr:
            self.record(n.attrs)
        else:
            raise TypeError(f"cannot unparse {n!r}")

    def items(self, items) -> None:
        out = self.out
        if self.pretty:
            self.indent += 3
            out.append("\n" + " " * self.indent + "{")
            self.indent += 3
            for i, item in enumerate(items):
                out.append("\n" + " " * self.indent)
                self.node(item)
                if i + 1 < len(items):
                    out.append(",")
            self.indent -= 3
            out.append("\n" + " " * self.indent + "}")
            self.indent -= 3
            return
        out.append("{ ")
        for i, item in enumerate(items):
            if i:
                out.append(",")
            self.node(item)
        out.append(" }")

    def record(self, attrs: dict, top: bool = False) -> None:
        out = self.out
        entries = sorted_attrs(attrs)
        if self.pretty:
            self.indent += 4
            out.append("\n" + " " * self.indent + "[")
            self.indent += 4
            for i, (name, node) in enumerate(entries):
                out.append("\n" + " " * self.indent + quote_name(name) + " = ")
                self.node(node)
                if i + 1 < len(entries):
                    out.append("; ")
            self.indent -= 4
            out.append("\n" + " " * self.indent + "]")
            self.indent -= 4
            return
        old_top = self.old and top and not self.old_value
        if not old_top:
            out.append("[ ")
        saved = self.old_value
        self.old_value = True
        for i, (name, node) in enumerate(entries):
            out.append(quote_name(name, self.old) + " = ")
            self.node(node)
            if i + 1 < len(entries):
                out.append("\n" if old_top else "; ")
        self.old_value = saved
        out.append("\n" if old_top else " ]")


def unparse_expr(node, old: bool = False) -> str:
    """Compact new-syntax (or old-syntax) text of an expression tree."""
    if type(node) is Literal:
        return literal_text(node.value, old)
    p = _Printer(old)
    p.node(node)
    return "".join(p.out)


def pretty_expr(node) -> str:
    """The multi-line text ``str(ExprTree)`` gives."""
    p = _Printer(pretty=True)
    p.node(node)
    return "".join(p.out)


def unparse_record(attrs: dict, mode: str = "new") -> str:
    """Text of a whole ad: mode ``new`` (repr), ``pretty`` (str) or ``old`` (printOld)."""
    p = _Printer(old=(mode == "old"), pretty=(mode == "pretty"))
    p.record(attrs, top=True)
    return "".join(p.out)


def unparse_value(v) -> str:
    """Compact new-syntax text of a runtime value (used by ``string()`` and ``strcat``)."""
    t = type(v)
    if t is ListValue:
        return unparse_expr(ListExpr(v.exprs))
    attrs = getattr(v, "_attrs", None)
    if attrs is not None:
        return unparse_record(attrs)
    return literal_text(v)


# -- JSON ------------------------------------------------------------------

def _json_escape(s: str) -> str:
    out = []
    for c in s:
        if c == '"':
            out.append('\\"')
        elif c == "\\":
            out.append("\\\\")
        elif c == "\b":
            out.append("\\b")
        elif c == "\f":
            out.append("\\f")
        elif c == "\n":
            out.append("\\n")
        elif c == "\r":
            out.append("\\r")
        elif c == "\t":
            out.append("\\t")
        elif "\x00" < c < " ":
            out.append("\\u00%02X" % ord(c))
        else:
            out.append(c)
    return "".join(out)


def _json_expr(text: str) -> str:
    return '"\\/Expr(' + _json_escape(text) + ')\\/"'


class _JsonPrinter:
    __slots__ = ("indent", "out")

    def __init__(self):
        self.indent = 0
        self.out: list[str] = []

    def node(self, n) -> None:
        t = type(n)
        if t is Literal or t is RelTimeLiteral:
            self.scalar(n.value)
        elif t is ListExpr:
            self.out.append("[")
            self.indent += 2
            for i, item in enumerate(n.items):
                if i:
                    self.out.append(",")
                self.out.append("\n" + " " * self.indent)
                self.node(item)
            self.indent -= 2
            self.out.append("\n" + " " * self.indent + "]")
        elif t is RecordExpr:
            self.record(n.attrs)
        else:
            self.out.append(_json_expr(unparse_expr(n)))

    def scalar(self, v) -> None:
        t = type(v)
        if t is str:
            self.out.append('"' + _json_escape(v) + '"')
        elif t is float:
            if v != v or v in (math.inf, -math.inf):
                self.out.append(_json_expr(format_real(v)))
            else:
                self.out.append(format_real(v, old=True))
        elif v is UNDEFINED:
            self.out.append("null")
        elif v is ERROR:
            self.out.append(_json_expr("error"))
        elif t is AbsTime or t is RelTime:
            self.out.append(_json_expr(_time_text(v)))
        else:
            self.out.append(literal_text(v))

    def record(self, attrs: dict) -> None:
        self.out.append("{")
        self.indent += 2
        for i, (name, node) in enumerate(sorted_attrs(attrs)):
            if i:
                self.out.append(",")
            self.out.append("\n" + " " * self.indent + '"' + _json_escape(name) + '": ')
            self.node(node)
        self.indent -= 2
        self.out.append("\n" + " " * self.indent + "}")


def unparse_json(attrs: dict) -> str:
    """The text ``printJson()`` gives for an ad."""
    p = _JsonPrinter()
    p.record(attrs)
    return "".join(p.out)
