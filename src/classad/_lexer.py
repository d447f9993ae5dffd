"""The ClassAd tokenizer.

Turns text into a list of ``(kind, value, position)`` tuples ending with an
``EOF`` token.  It follows the C++ lexer's rules, including its quirks:

* ``-`` directly followed by a digit is part of a negative number unless the
  previous token ends an operand (``1 -5`` is a subtraction, ``f(-5)`` a
  literal);
* with HTCondor's semantics on, an integer written with a leading ``0``
  (``017``, ``0x1F``) is refused; ``1.`` and ``1e`` are refused too;
* adjacent string literals (and quoted attribute names) separated only by
  white space are joined before escapes are converted;
* strings are byte strings: octal escapes produce bytes, and the result is
  decoded as UTF-8 with ``surrogateescape`` so any byte survives.

A lexical error does not raise: it becomes an ``ERR`` token, and the parser
fails only if it reaches it (as the C++ parser, which tokenizes lazily).
"""

from __future__ import annotations

import re

# Token kinds.  Operators use their own spelling as kind.
INT = "INT"
REAL = "REAL"
STR = "STR"
NAME = "NAME"  # identifiers, including 'quoted attribute names'
BOOL = "BOOL"
UNDEF = "UNDEF"
ERRV = "ERRV"  # the literal `error`
EOF = "EOF"
ERR = "ERR"  # a lexical error; value is the message

_KEYWORDS = {
    "true": (BOOL, True),
    "false": (BOOL, False),
    "undefined": (UNDEF, None),
    "error": (ERRV, None),
    "is": ("is", None),
    "isnt": ("isnt", None),
}

# Tokens after which a '-' is the binary operator, not a sign.
_OPERAND_END = frozenset({INT, REAL, BOOL, STR, UNDEF, ERRV, NAME, ".", "]", ")", "}"})

_OPERATORS = [
    ">>>", "=?=", "=!=", "&&", "||", "<=", ">=", "<<", ">>", "==", "!=", "?:",
    "*", "/", "%", "+", "-", "&", "|", "~", "^", "?", ":", ";", ",",
    "[", "]", "(", ")", "{", "}", "<", ">", "=", "!", ".",
]

_TOKEN_RE = re.compile(
    r"""
    (?P<ws>[ \t\n\r\f\v]+ | //[^\n]* | /\*(?:[^*]|\*(?!/))*\*/ )
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<num>[0-9]|\.[0-9])
  | (?P<str>["'])
  | (?P<op>"""
    + "|".join(re.escape(op) for op in _OPERATORS)
    + r""")
    """,
    re.VERBOSE,
)

_ESCAPES = {
    ord('"'): b'"', ord("'"): b"'", ord("?"): b"?", ord("a"): b"\a", ord("b"): b"\b",
    ord("f"): b"\f", ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t", ord("v"): b"\v",
    ord("\\"): b"\\",
}


def convert_escapes(raw: str) -> str | None:
    """Apply new-syntax backslash escapes to *raw*; ``None`` if it holds ``\\0``."""
    if "\\" not in raw:
        return raw
    data = raw.encode("utf-8", "surrogateescape")
    out = bytearray()
    i, n = 0, len(data)
    while i < n:
        c = data[i]
        if c != 0x5C or i == n - 1:  # a trailing backslash stays as it is
            out.append(c)
            i += 1
            continue
        i += 1
        c = data[i]
        if c in _ESCAPES:
            out += _ESCAPES[c]
            i += 1
        elif 0x30 <= c <= 0x37:
            number = c - 0x30
            i += 1
            if i < n and 0x30 <= data[i] <= 0x37:
                number = number * 8 + data[i] - 0x30
                i += 1
                if number < 0x20 and i < n and 0x30 <= data[i] <= 0x37:
                    number = number * 8 + data[i] - 0x30
                    i += 1
            if number == 0:
                return None
            out.append(number & 0xFF)
        else:
            out.append(c)
            i += 1
    return out.decode("utf-8", "surrogateescape")


def _scan_string(text: str, pos: int, delim: str, old: bool) -> tuple[str | None, int]:
    """Scan the string literal whose opening quote is at *pos*.

    Returns (raw contents, with adjacent literals joined; position after
    it), or (None, pos) if the string is not terminated.
    """
    n = len(text)
    if old:
        # Old ClassAds: a backslash matters only right before the quote,
        # and only if more text follows on the line.
        i = start = pos + 1
        while True:
            j = text.find(delim, i)
            if j < 0:
                return None, pos
            if j > start and text[j - 1] == "\\" and j + 1 < n and text[j + 1] != "\n":
                i = j + 1
                continue
            piece = text[start:j]
            return _unescape_old(piece, delim), j + 1
    pieces = []
    while True:
        i = start = pos + 1
        while i < n:
            c = text[i]
            if c == "\\":
                i += 2
                continue
            if c == delim:
                break
            i += 1
        if i >= n:
            return None, pos
        pieces.append(text[start:i])
        i += 1
        k = i
        while k < n and text[k] in " \t\n\r\f\v":
            k += 1
        if k < n and text[k] == delim:
            pos = k  # an adjacent literal continues this one
            continue
        return "".join(pieces), i


def _unescape_old(piece: str, delim: str) -> str:
    """Drop the backslash of each escaped quote except one that ends the string."""
    if "\\" + delim not in piece:
        return piece
    return piece.replace("\\" + delim, delim)


_DIGITS = frozenset("0123456789")
_HEX = frozenset("0123456789abcdefABCDEF")


def _number(text: str, pos: int):
    """Scan a number at *pos* (which may hold a leading '-'); return (token, end).

    Mirrors the C++ scanner: ``1.`` and ``1e`` are errors, a leading ``0``
    introduces octal or hex, and with HTCondor's semantics an unsigned
    integer written with a leading ``0`` is refused.
    """
    n = len(text)
    i = pos + 1 if text[pos] == "-" else pos
    first = text[i]
    kind = None
    if first == "0":
        if i + 1 < n and text[i + 1] in "xX":
            i += 2
            if i >= n or text[i] not in _HEX:
                return (ERR, "malformed hexadecimal number", pos), i
            while i < n and text[i] in _HEX:
                i += 1
            kind = INT
        else:
            kind = INT
            while i < n and text[i] in _DIGITS:
                if text[i] in "89":
                    kind = REAL
                i += 1
            if i < n and text[i] in ".eE":
                kind = REAL
            elif kind is REAL:
                return (ERR, "malformed octal number", pos), i
    elif first in _DIGITS:
        while i < n and text[i] in _DIGITS:
            i += 1
        kind = REAL if i < n and text[i] in ".eE" else INT
    if first == "." or (i < n and text[i] == "."):
        i += 1
        if i < n and text[i] in _DIGITS:
            kind = REAL
            while i < n and text[i] in _DIGITS:
                i += 1
        else:
            return (ERR, "malformed number", pos), i
    if kind is REAL and i < n and text[i] in "eE":
        i += 1
        if i < n and text[i] in "+-":
            i += 1
        if i >= n or text[i] not in _DIGITS:
            return (ERR, "malformed exponent", pos), i
        while i < n and text[i] in _DIGITS:
            i += 1
    lexeme = text[pos:i]
    if kind is REAL:
        return (REAL, float(lexeme), pos), i
    if lexeme[0] == "0" and len(lexeme) > 1:
        return (ERR, f"integers may not start with 0: {lexeme!r}", pos), i
    m = _LEADING_INT.match(lexeme)
    value = int(m.group())
    if not -(1 << 63) <= value < (1 << 63):
        value = 0  # from_chars leaves the result untouched on overflow
    return (INT, value, pos), i


_LEADING_INT = re.compile(r"-?[0-9]+")


def tokenize(text: str, old_strings: bool = False) -> list[tuple]:
    """Split *text* into tokens; see the module docstring.

    ``old_strings`` selects old-ClassAd string rules (used when parsing the
    right-hand sides of old-format ads).
    """
    tokens: list[tuple] = []
    append = tokens.append
    match = _TOKEN_RE.match
    pos = 0
    n = len(text)
    prev = None
    while pos < n:
        m = match(text, pos)
        if m is None:
            c = text[pos]
            if c == "/" and text.startswith("/*", pos):
                append((ERR, "unterminated comment", pos))
            elif c == "\0":
                break  # C strings end at NUL
            else:
                append((ERR, f"unexpected character {c!r}", pos))
            return tokens
        kind = m.lastgroup
        if kind == "ws":
            pos = m.end()
            continue
        if kind == "name":
            word = m.group()
            kw = _KEYWORDS.get(word.lower()) if len(word) in (2, 4, 5, 9) else None
            tok = (kw[0], kw[1], pos) if kw else (NAME, word, pos)
            pos = m.end()
        elif kind == "num":
            tok, pos = _number(text, pos)
        elif kind == "str":
            delim = m.group()
            raw, end = _scan_string(text, pos, delim, old_strings)
            if raw is None:
                append((ERR, "unterminated string", pos))
                return tokens
            value = raw if old_strings else convert_escapes(raw)
            if value is None:
                append((ERR, "string contains a \\0 escape", pos))
                return tokens
            tok = (STR if delim == '"' else NAME, value, pos)
            pos = end
        else:
            op = m.group()
            if op == "-" and prev not in _OPERAND_END and pos + 1 < n:
                nxt = text[pos + 1]
                if nxt.isdigit() and nxt.isascii() or (nxt == "." and pos + 2 < n and text[pos + 2].isdigit()):
                    tok, pos = _number(text, pos)
                    append(tok)
                    prev = tok[0]
                    if prev == ERR:
                        return tokens
                    continue
            if op == "=!" or (op == "=" and text.startswith("=?", pos) and not text.startswith("=?=", pos)):
                append((ERR, "malformed =?= operator", pos))
                return tokens
            tok = (op, None, pos)
            pos = m.end()
        append(tok)
        prev = tok[0]
        if prev == ERR:
            return tokens
    append((EOF, None, n))
    return tokens
