"""The ClassAd parser: tokens to expression trees.

Grammar (lowest precedence first; every binary level is left-associative)::

    expr      := or_expr [ '?' [expr] ':' expr ]          -- right-assoc
    or_expr   := binary expression over the BINARY_PRECEDENCE table
    unary     := ('-' | '+' | '~' | '!')* postfix
    postfix   := primary ( '[' expr ']' | '.' NAME | '?:' postfix )*
    primary   := NAME | NAME '(' args ')' | '.' NAME | '(' expr ')'
               | '[' (NAME '=' expr (';')*)* ']' | '{' [expr (',' expr)*] '}'
               | literal

Elvis (``?:``) binds at the postfix level, as in the C++ library, so
``5 ?: 1 + 2`` is ``(5 ?: 1) + 2``.  ``absTime("...")`` and ``relTime("...")``
with a string literal are folded into time literals.  Nesting deeper than
:data:`MAX_DEPTH` expressions is refused, like the C++ parser does.
"""

from __future__ import annotations

from . import _lexer as lx
from ._errors import ClassAdParseError, set_last_error
from ._nodes import Attr, Binary, Call, Cond, ListExpr, Literal, Node, Paren, RecordExpr, Unary
from ._values import ERROR, UNDEFINED

MAX_DEPTH = 1000

# Binary operators by precedence level (higher binds tighter).
BINARY_PRECEDENCE = {
    "||": 2,
    "&&": 3,
    "|": 4,
    "^": 5,
    "&": 6,
    "==": 7, "!=": 7, "is": 7, "isnt": 7, "=?=": 7, "=!=": 7,
    "<": 8, "<=": 8, ">": 8, ">=": 8,
    "<<": 9, ">>": 9, ">>>": 9,
    "+": 10, "-": 10,
    "*": 11, "/": 11, "%": 11,
}
# The spelling kept in the tree for operators with two spellings.
_CANONICAL = {"=?=": "is", "=!=": "isnt"}
_UNARY = frozenset({"-", "+", "~", "!"})
_LITERAL_TOKENS = {lx.INT, lx.REAL, lx.STR, lx.BOOL}


class Parser:
    """A recursive-descent parser over one token list."""

    __slots__ = ("tokens", "pos", "depth", "text")

    def __init__(self, text: str, old_strings: bool = False):
        self.text = text
        self.tokens = lx.tokenize(text, old_strings)
        self.pos = 0
        self.depth = 0

    # -- helpers ---------------------------------------------------------
    def peek(self) -> str:
        tok = self.tokens[self.pos] if self.pos < len(self.tokens) else (lx.ERR, "unexpected end", len(self.text))
        return tok[0]

    def next(self) -> tuple:
        if self.pos >= len(self.tokens):
            return (lx.ERR, "unexpected end", len(self.text))
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def fail(self, message: str, tok: tuple | None = None) -> ClassAdParseError:
        if tok is None:
            tok = self.tokens[min(self.pos, len(self.tokens) - 1)] if self.tokens else (lx.EOF, None, 0)
        if tok[0] == lx.ERR:
            message = tok[1]
        pos = tok[2]
        return parse_error(message, self.text, pos)

    def expect(self, kind: str, what: str) -> tuple:
        tok = self.next()
        if tok[0] != kind:
            raise self.fail(f"expected {what}", tok)
        return tok

    # -- grammar ---------------------------------------------------------
    def expression(self) -> Node:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise self.fail(f"expression nested more than {MAX_DEPTH} levels deep")
            tree = self.binary(2)
            if self.peek() == "?":
                self.pos += 1
                if self.peek() == ":":
                    self.pos += 1
                    otherwise = self.expression()
                    return Binary("?:", tree, otherwise)
                then = self.expression()
                self.expect(":", "':' in conditional expression")
                otherwise = self.expression()
                return Cond(tree, then, otherwise)
            return tree
        finally:
            self.depth -= 1

    def binary(self, min_level: int) -> Node:
        left = self.unary()
        tokens = self.tokens
        while True:
            op = tokens[self.pos][0] if self.pos < len(tokens) else None
            level = BINARY_PRECEDENCE.get(op)
            if level is None or level < min_level:
                return left
            self.pos += 1
            right = self.binary(level + 1)
            left = Binary(_CANONICAL.get(op, op), left, right)

    def unary(self) -> Node:
        ops = []
        while self.peek() in _UNARY:
            ops.append(self.next()[0])
        tree = self.postfix()
        for op in reversed(ops):
            tree = Unary(op, tree)
        return tree

    def postfix(self) -> Node:
        tree = self.primary()
        while True:
            kind = self.peek()
            if kind == "[":
                self.pos += 1
                index = self.expression()
                self.expect("]", "']' after subscript")
                tree = Binary("[]", tree, index)
            elif kind == ".":
                self.pos += 1
                tok = self.next()
                if tok[0] != lx.NAME:
                    raise self.fail("expected an attribute name after '.'", tok)
                tree = Attr(tok[1], tree)
            elif kind == "?:":
                self.pos += 1
                tree = Binary("?:", tree, self.postfix())
            else:
                return tree

    def primary(self) -> Node:
        tok = self.next()
        kind = tok[0]
        if kind == lx.NAME:
            if self.peek() == "(":
                return self.call(tok[1])
            return Attr(tok[1])
        if kind in _LITERAL_TOKENS:
            return Literal(tok[1])
        if kind == lx.UNDEF:
            return Literal(UNDEFINED)
        if kind == lx.ERRV:
            return Literal(ERROR)
        if kind == "(":
            inner = self.expression()
            self.expect(")", "')'")
            return Paren(inner)
        if kind == "{":
            return self.list_literal()
        if kind == "[":
            return RecordExpr(self.record_body())
        if kind == ".":
            name = self.next()
            if name[0] != lx.NAME:
                raise self.fail("expected an attribute name after '.'", name)
            return Attr(name[1], None, True)
        raise self.fail("unexpected token" if kind != lx.EOF else "unexpected end of input", tok)

    def call(self, name: str) -> Node:
        self.pos += 1  # '('
        args = []
        while self.peek() != ")":
            args.append(self.expression())
            kind = self.peek()
            if kind in (",", ";"):  # ';' separates arguments with HTCondor's semantics
                self.pos += 1
            elif kind != ")":
                raise self.fail("expected ',' or ')' in argument list")
        self.pos += 1
        if name.lower() in ("abstime", "reltime") and len(args) == 1:
            arg = args[0]
            if type(arg) is Literal and type(arg.value) is str:
                return _fold_time_literal(name, arg.value)
        return Call(name, tuple(args))

    def list_literal(self) -> Node:
        items = []
        while self.peek() != "}":
            items.append(self.expression())
            kind = self.peek()
            if kind == ",":
                self.pos += 1
                if self.peek() == "}":
                    raise self.fail("expected an expression after ','")
            elif kind != "}":
                raise self.fail("expected ',' or '}' in list")
        self.pos += 1
        return ListExpr(items)

    def record_body(self) -> dict:
        """Parse ``name = expr; ...]`` after the opening '['."""
        attrs: dict = {}
        while True:
            tok = self.next()
            kind = tok[0]
            if kind == "]":
                return attrs
            if kind == ";":
                continue
            if kind != lx.NAME:
                raise self.fail("expected an attribute name", tok)
            self.expect("=", "'=' after attribute name")
            value = self.expression()
            key = tok[1].lower()
            old = attrs.get(key)
            attrs[key] = (old[0] if old else tok[1], value)
            kind = self.peek()
            if kind != ";" and kind != "]":
                raise self.fail("expected ';' or ']' in ClassAd")


def _fold_time_literal(name: str, text: str) -> Node:
    from ._timefmt import parse_abstime_string, parse_reltime_string

    value = parse_abstime_string(text) if name.lower() == "abstime" else parse_reltime_string(text)
    return Literal(ERROR if value is None else value)


def parse_error(message: str, text: str, pos: int) -> ClassAdParseError:
    """A ClassAdParseError whose message points at *pos* in *text*."""
    line_start = text.rfind("\n", 0, pos) + 1
    line_end = text.find("\n", pos)
    line = text[line_start : line_end if line_end >= 0 else len(text)]
    if len(line) > 200:
        cut = max(0, pos - line_start - 100)
        line = line[cut : cut + 200]
        col = pos - line_start - cut
    else:
        col = pos - line_start
    full = f"{message} at offset {pos}:\n{line}\n{' ' * col}^"
    set_last_error(message)
    return ClassAdParseError(full, pos, text)


# Parsed trees are immutable, so one tree serves every occurrence of the same
# text.  The cache is bounded; when full it is simply cleared.
_CACHE: dict = {}
_CACHE_LIMIT = 200_000


def parse_expression(text: str, old_strings: bool = False) -> Node:
    """Parse *text* as one complete expression.

    >>> parse_expression("a + 1")
    Binary('+', Attr('a', None, False), Literal(1))
    """
    key = (text, old_strings)
    tree = _CACHE.get(key)
    if tree is not None:
        return tree
    p = Parser(text, old_strings)
    try:
        tree = p.expression()
    except RecursionError:
        raise parse_error("expression too deeply nested", text, 0) from None
    if p.peek() != lx.EOF:
        raise p.fail("unexpected text after the expression")
    if len(_CACHE) >= _CACHE_LIMIT:
        _CACHE.clear()
    _CACHE[key] = tree
    return tree


def parse_expression_prefix(text: str, old_strings: bool = True) -> Node:
    """Parse the longest expression at the start of *text*; trailing text is ignored.

    This is how the right-hand sides of old-format ads are read.
    """
    key = (text, "prefix")
    tree = _CACHE.get(key)
    if tree is not None:
        return tree
    p = Parser(text, old_strings)
    try:
        tree = p.expression()
    except RecursionError:
        raise parse_error("expression too deeply nested", text, 0) from None
    if len(_CACHE) >= _CACHE_LIMIT:
        _CACHE.clear()
    _CACHE[key] = tree
    return tree


def parse_record(text: str, start: int = 0) -> tuple[dict, int]:
    """Parse one new-syntax ClassAd ``[ ... ]`` starting at offset *start*.

    Returns the attribute dict and the offset just past the closing ']'.
    Raises ClassAdParseError if no ad starts there.
    """
    p = Parser(text[start:] if start else text)
    tok = p.next()
    if tok[0] != "[":
        raise p.fail("expected '[' to start a ClassAd", tok)
    try:
        attrs = p.record_body()
    except RecursionError:
        raise parse_error("ClassAd too deeply nested", text, start) from None
    end_tok = p.tokens[p.pos] if p.pos < len(p.tokens) else (lx.EOF, None, len(text) - start)
    return attrs, start + end_tok[2]
