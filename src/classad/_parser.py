"""The ClassAd parser: tokens to expression trees.

Grammar (lowest precedence first; every binary level is left-associative)::

    expr      := binary [ '?' [expr] ':' expr ]           -- right-assoc
    binary    := operators of BINARY_PRECEDENCE over unary operands
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

import re

from . import _lexer as lx
from ._errors import ClassAdParseError, set_last_error
from ._nodes import (
    Attr,
    Binary,
    Call,
    Cond,
    ListExpr,
    Literal,
    Node,
    Paren,
    RecordExpr,
    RelTimeLiteral,
    Unary,
)
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
_KEYWORD_LITERALS = {"true": True, "false": False, "undefined": UNDEFINED, "error": ERROR}
_KEYWORDS = frozenset({"true", "false", "undefined", "error", "is", "isnt"})
_NAME_START = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
_NUMBER_START = frozenset("0123456789")
_END = ""  # the token after the last one
_POSTFIX = frozenset({"[", ".", "..", "?:"})
_POSTFIX_OR_CALL = _POSTFIX | {"("}


class _Fail(Exception):
    """Internal: parsing stopped at token index ``args[1]`` with message ``args[0]``."""


def _is_number(tok: str) -> bool:
    c = tok[0]
    if c in _NUMBER_START:
        return True
    if c == "-" and len(tok) > 1:
        return True
    return c == "." and len(tok) > 1 and tok[1] in _NUMBER_START


def _starts_binary(tok: str) -> bool:
    """True if *tok* may be a binary operator that is not in the table as written."""
    c = tok[:1]
    return (c == "-" and len(tok) > 1) or ((c == "i" or c == "I") and tok.lower() in ("is", "isnt"))


def _binary_op(tok: str) -> str | None:
    """The operator a token stands for in binary position (keywords ``is``/``isnt`` too)."""
    if tok in BINARY_PRECEDENCE:
        return tok
    low = tok.lower()
    if low == "is" or low == "isnt":
        return low
    return None


class Parser:
    """A recursive-descent parser over one token list."""

    __slots__ = ("tokens", "pos", "depth", "text", "old_strings", "ternary_at_top")

    def __init__(self, text: str, old_strings: bool = False):
        self.text = text
        self.old_strings = old_strings
        self.tokens = lx.tokenize(text, old_strings)
        self.tokens.append(_END)
        self.pos = 0
        self.depth = 0
        self.ternary_at_top = False

    def fail(self, message: str, index: int | None = None, consumed: bool = False) -> _Fail:
        """The failure to raise; *consumed* says the C++ parser has eaten the bad token.

        That matters only where the parser carries on after a failure (see
        :meth:`conditional`): it resumes where the C++ lexer would be.
        """
        if index is None:
            index = self.pos
        resume = min(index + 1, len(self.tokens) - 1) if consumed else index
        return _Fail(message, index, resume)

    def expect(self, tok: str, what: str, consumed: bool = True) -> None:
        if self.tokens[self.pos] != tok:
            raise self.fail(f"expected {what}", consumed=consumed)
        self.pos += 1

    # -- grammar ---------------------------------------------------------
    def expression(self) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail(f"expression nested more than {MAX_DEPTH} levels deep")
        tree = self.binary()
        if self.tokens[self.pos] == "?":
            tree = self.conditional(tree)
        self.depth -= 1
        return tree

    def conditional(self, cond: Node) -> Node:
        """The rest of ``cond ? then : otherwise`` (or ``cond ?: otherwise``).

        Reproduces two quirks of the C++ parser: a middle expression that
        fails to parse is dropped, leaving ``cond ?: otherwise`` if a ':'
        follows where it stopped; and text after a complete conditional at
        the top level is ignored (its end-of-input check is skipped).
        """
        self.pos += 1
        if self.depth == 1:
            self.ternary_at_top = True
        if self.tokens[self.pos] == ":":
            self.pos += 1
            return Binary("?:", cond, self.expression())
        depth = self.depth
        try:
            then = self.expression()
        except _Fail as failure:
            then = None
            self.pos = failure.args[2]
            self.depth = depth
        self.expect(":", "':' in a conditional expression", consumed=False)
        otherwise = self.expression()
        if then is None:
            return Binary("?:", cond, otherwise)
        return Cond(cond, then, otherwise)

    def binary(self) -> Node:
        """A chain of binary operators, by precedence (operator-precedence parsing).

        Iterative rather than one recursive call per precedence level: it is
        the parser's hottest loop.
        """
        tokens = self.tokens
        unary = self.unary
        first = unary()
        tok = tokens[self.pos]
        if tok not in BINARY_PRECEDENCE and not _starts_binary(tok):
            return first
        operands = [first]
        pending: list = []  # (level, operator) waiting for their right operand
        while True:
            op = tok if tok in BINARY_PRECEDENCE else None
            if op is None:
                c = tok[:1]
                if c == "-" and len(tok) > 1:
                    # "-5" lexed as one token, but here it is a subtraction
                    tokens[self.pos : self.pos + 1] = ["-", tok[1:]]
                    op = "-"
                elif c == "i" or c == "I":
                    op = _binary_op(tok)
                if op is None:
                    break
            level = BINARY_PRECEDENCE[op]
            while pending and pending[-1][0] >= level:
                right = operands.pop()
                operands[-1] = Binary(pending.pop()[1], operands[-1], right)
            pending.append((level, _CANONICAL.get(op, op)))
            self.pos += 1
            operands.append(unary())
            tok = tokens[self.pos]
        while pending:
            right = operands.pop()
            operands[-1] = Binary(pending.pop()[1], operands[-1], right)
        return operands[0]

    def unary(self) -> Node:
        """Prefix operators, then an operand with its postfix operators."""
        tokens = self.tokens
        tok = tokens[self.pos]
        if tok in _UNARY:
            ops = []
            while tok in _UNARY:
                ops.append(tok)
                self.pos += 1
                tok = tokens[self.pos]
            tree = self.postfix()
            for op in reversed(ops):
                tree = Unary(op, tree)
            return tree
        # the common case, inlined: a plain name or number not followed by
        # a postfix operator
        c = tok[:1]
        if c in _NAME_START and len(tok) not in (2, 4, 5, 9) and tokens[self.pos + 1] not in _POSTFIX_OR_CALL:
            self.pos += 1
            return Attr(tok)
        if c in _NUMBER_START and tok.isdigit() and (c != "0" or len(tok) == 1) and len(tok) < 19 \
                and tokens[self.pos + 1] not in _POSTFIX_OR_CALL:
            self.pos += 1
            return Literal(int(tok))
        return self.postfix()

    def postfix(self) -> Node:
        tree = self.primary()
        tokens = self.tokens
        while True:
            tok = tokens[self.pos]
            if tok not in _POSTFIX:
                return tree
            if tok == "[":
                self.pos += 1
                index = self.expression()
                self.expect("]", "']' after a subscript")
                tree = Binary("[]", tree, index)
            elif tok == "?:":
                self.pos += 1
                tree = Binary("?:", tree, self.postfix())
            else:  # "." or ".."
                self.pos += 1
                name = self.name_token()
                if name is None:
                    raise self.fail("expected an attribute name after '.'", consumed=True)
                tree = Attr(name, tree)

    def name_token(self) -> str | None:
        """Consume an identifier or quoted name and return it; None if there is none."""
        tok = self.tokens[self.pos]
        if not tok:
            return None
        c = tok[0]
        if c in _NAME_START:
            if len(tok) in (2, 4, 5, 9) and tok.lower() in _KEYWORDS:
                return None
            self.pos += 1
            return tok
        if c == "'" and len(tok) > 1:
            value = lx.string_value(tok, self.old_strings)
            if value is None:
                raise self.fail("invalid escape in a quoted name")
            self.pos += 1
            return value
        return None

    def primary(self) -> Node:
        tokens = self.tokens
        tok = tokens[self.pos]
        if not tok:
            raise self.fail("unexpected end of input")
        c = tok[0]
        if c in _NAME_START:
            low = tok.lower() if len(tok) in (2, 4, 5, 9) else None
            if low in _KEYWORD_LITERALS:
                self.pos += 1
                return Literal(_KEYWORD_LITERALS[low])
            if low == "is" or low == "isnt":
                raise self.fail("unexpected operator")
            self.pos += 1
            if tokens[self.pos] == "(":
                return self.call(tok)
            return Attr(tok)
        if _is_number(tok):
            value = lx.number_value(tok)
            if value is None:
                raise self.fail(f"malformed number {tok!r}")
            self.pos += 1
            return Literal(value[1])
        if c == '"' and len(tok) > 1:
            value = lx.string_value(tok, self.old_strings)
            if value is None:
                raise self.fail("string contains an invalid \\0 escape")
            self.pos += 1
            return Literal(value)
        if c == "'" and len(tok) > 1:
            name = self.name_token()
            if tokens[self.pos] == "(":
                return self.call(name)
            return Attr(name)
        self.pos += 1
        if tok == "(":
            inner = self.expression()
            self.expect(")", "')'")
            return Paren(inner)
        if tok == "{":
            return self.list_literal()
        if tok == "[":
            return RecordExpr(self.record_body())
        if tok == "." or tok == "..":
            name = self.name_token()
            if name is None:
                raise self.fail("expected an attribute name after '.'", consumed=True)
            return Attr(name, None, True)
        raise self.fail(f"unexpected {tok!r}", self.pos - 1)

    def call(self, name: str) -> Node:
        self.pos += 1  # '('
        args = []
        tokens = self.tokens
        while tokens[self.pos] != ")":
            args.append(self.expression())
            tok = tokens[self.pos]
            if tok == "," or tok == ";":  # ';' separates arguments with HTCondor's semantics
                self.pos += 1
                if tokens[self.pos] == ")":
                    raise self.fail("expected an expression after ','")
            elif tok != ")":
                raise self.fail("expected ',' or ')' in an argument list")
        self.pos += 1
        if len(args) == 1 and name.lower() in ("abstime", "reltime"):
            arg = args[0]
            if type(arg) is Literal and type(arg.value) is str:
                node = _fold_time_literal(name, arg.value)
                if node is None:
                    raise self.fail(f"invalid time in {name}({arg.value!r})")
                return node
        return Call(name, tuple(args))

    def list_literal(self) -> Node:
        items = []
        tokens = self.tokens
        while tokens[self.pos] != "}":
            items.append(self.expression())
            tok = tokens[self.pos]
            if tok == ",":
                self.pos += 1
                if tokens[self.pos] == "}":
                    raise self.fail("expected an expression after ','")
            elif tok != "}":
                raise self.fail("expected ',' or '}' in a list")
        self.pos += 1
        return ListExpr(items)

    def record_body(self) -> dict:
        """Parse ``name = expr; ...]`` after the opening '['."""
        attrs: dict = {}
        tokens = self.tokens
        while True:
            tok = tokens[self.pos]
            if tok == "]":
                self.pos += 1
                return attrs
            if tok == ";":
                self.pos += 1
                continue
            name = self.name_token()
            if name is None:
                raise self.fail("expected an attribute name", consumed=True)
            self.expect("=", "'=' after an attribute name")
            start = self.pos
            value = self.expression()
            if type(value) is not Literal:
                # share one tree among ads that spell an expression the same
                # way, so that it is compiled once
                key = tuple(tokens[start:self.pos])
                value = _INTERN.setdefault(key, value)
                if len(_INTERN) > _CACHE_LIMIT:
                    _INTERN.clear()
            key = name.lower()
            old = attrs.get(key)
            attrs[key] = (old[0] if old else name, value)
            tok = tokens[self.pos]
            if tok != ";" and tok != "]":
                raise self.fail("expected ';' or ']' in a ClassAd")

    def error(self, failure: _Fail) -> ClassAdParseError:
        message, index, _ = failure.args
        offsets = lx.token_offsets(self.text, self.old_strings)
        pos = offsets[index] if index < len(offsets) else len(self.text)
        return parse_error(message, self.text, pos)


def _fold_time_literal(name: str, text: str) -> Node | None:
    """The literal for ``absTime("...")``/``relTime("...")``; None if the text is invalid."""
    from ._timefmt import parse_abstime_string, parse_reltime_string

    if name.lower() == "abstime":
        value = parse_abstime_string(text)
        return None if value is None else Literal(value)
    value = parse_reltime_string(text)
    return None if value is None else RelTimeLiteral(value)


def parse_error(message: str, text: str, pos: int) -> ClassAdParseError:
    """A ClassAdParseError whose message points at offset *pos* in *text*."""
    line_start = text.rfind("\n", 0, pos) + 1
    line_end = text.find("\n", pos)
    line = text[line_start : line_end if line_end >= 0 else len(text)]
    col = pos - line_start
    if len(line) > 120:
        cut = max(0, col - 60)
        line = line[cut : cut + 120]
        col -= cut
    set_last_error(message)
    return ClassAdParseError(f"{message} at offset {pos}:\n{line}\n{' ' * col}^", pos, text)


# Parsed trees are immutable, so one tree serves every occurrence of the same
# text.  The cache is bounded: when it is full it is simply cleared.
_CACHE: dict = {}
_INTERN: dict = {}
_CACHE_LIMIT = 2048


def _parse(text: str, old_strings: bool, full: bool) -> Node:
    p = Parser(text, old_strings)
    try:
        tree = p.expression()
        if full and p.tokens[p.pos] != _END and not p.ternary_at_top:
            raise p.fail("unexpected text after the expression")
    except _Fail as failure:
        raise p.error(failure) from None
    except RecursionError:
        raise parse_error("expression too deeply nested", text, 0) from None
    return tree


def parse_expression(text: str, old_strings: bool = False) -> Node:
    """Parse *text* as one complete expression.

    >>> parse_expression("a + 1")
    Binary('+', Attr('a', None, False), Literal(1))
    """
    key = (text, old_strings)
    tree = _CACHE.get(key)
    if tree is None:
        tree = _parse(text, old_strings, True)
        if len(_CACHE) >= _CACHE_LIMIT:
            _CACHE.clear()
        _CACHE[key] = tree
    return tree


# Values of old-format ads repeat a lot from ad to ad (a job queue, a history
# file): they get a larger cache of their own.
_PREFIX_CACHE: dict = {}
_PREFIX_CACHE_LIMIT = 32_768
_PLAIN_STRING = re.compile(r'"([^"\\]*)"[ \t]*\Z')
_PLAIN_INT = re.compile(r"-?[1-9][0-9]{0,17}[ \t]*\Z|0[ \t]*\Z")


def parse_expression_prefix(text: str) -> Node:
    """Parse the expression at the start of *text* with old-ClassAd string rules.

    Text after a complete expression is ignored: this is how HTCondor reads
    the right-hand sides of old-format ads.
    """
    tree = _PREFIX_CACHE.get(text)
    if tree is None:
        # plain integers and strings, the bulk of an ad, skip the parser
        m = _PLAIN_INT.match(text)
        if m is not None:
            tree = Literal(int(text))
        else:
            m = _PLAIN_STRING.match(text)
            tree = Literal(m.group(1)) if m is not None else _parse(text, True, False)
        if len(_PREFIX_CACHE) >= _PREFIX_CACHE_LIMIT:
            _PREFIX_CACHE.clear()
        _PREFIX_CACHE[text] = tree
    return tree


def parse_record(text: str) -> tuple[dict, int]:
    """Parse the new-syntax ClassAd ``[ ... ]`` at the start of *text*.

    Returns the attribute dict and the number of tokens consumed.  Text
    after the closing ']' is ignored.
    """
    p = Parser(text)
    try:
        if p.tokens[0] != "[":
            raise p.fail("expected '[' to start a ClassAd")
        p.pos = 1
        attrs = p.record_body()
    except _Fail as failure:
        raise p.error(failure) from None
    except RecursionError:
        raise parse_error("ClassAd too deeply nested", text, 0) from None
    return attrs, p.pos
