"""The ClassAd tokenizer.

:func:`tokenize` splits text into a list of token *strings* with a single
regular-expression pass (the fast path: one C-level call per input).  The
parser classifies a token by its first character.  Token rules follow the C++
lexer, including its quirks:

* ``-`` directly followed by a digit is lexed together with the number;
  the parser splits it again where a binary minus is expected, which is what
  the C++ lexer decides from the previous token (``1 -5`` is a subtraction,
  ``f(-5)`` holds the literal ``-5``);
* with HTCondor's semantics on, an integer written with a leading ``0``
  (``017``, ``0x1F``) is refused, and so are ``1.`` and ``1e``;
* adjacent string literals (and quoted attribute names) separated only by
  white space form one token, joined before escapes are converted;
* strings are byte strings: octal escapes produce bytes, and the result is
  decoded as UTF-8 with ``surrogateescape`` so any byte survives;
* input ends at a NUL character, as C strings do.

A character that starts no token becomes a token of its own, which the
parser then refuses; :func:`token_offsets` recovers positions for error
messages.
"""

from __future__ import annotations

import re

_SPACE = r"[ \t\n\r\f\v]*(?:(?://[^\n]*|/\*(?:[^*]|\*(?!/))*\*/)[ \t\n\r\f\v]*)*"
_NUMBER = r"-?(?:0[xX][0-9A-Fa-f]*|[0-9]+\.?[0-9]*(?:[eE][+-]?[0-9]*)?|\.[0-9]+(?:[eE][+-]?[0-9]*)?)"
_NEW_STRING = r'"[^"\\]*(?:\\.[^"\\]*)*"(?:[ \t\n\r\f\v]*"[^"\\]*(?:\\.[^"\\]*)*")*'
_NEW_NAME = r"'[^'\\]*(?:\\.[^'\\]*)*'(?:[ \t\n\r\f\v]*'[^'\\]*(?:\\.[^'\\]*)*')*"
# Old ClassAds: a quote right after a backslash is part of the string unless
# the line ends there; any other quote closes it.
_OLD_STRING = r'"(?:[^"]|(?<=\\)"(?=[^\n]))*(?:(?<!\\)"|(?<=\\)"(?![^\n]))'
_OLD_NAME = r"'(?:[^']|(?<=\\)'(?=[^\n]))*(?:(?<!\\)'|(?<=\\)'(?![^\n]))"
_OPERATORS = r">>>|=\?=|=!=|&&|\|\||<=|>=|<<|>>|==|!=|\?:|\.\.(?![0-9])|[-*/%+&|~^?:;,\[\](){}<>=!.]"
_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"


def _pattern(string: str, name: str) -> re.Pattern:
    return re.compile(
        _SPACE + "(" + "|".join([_IDENT, r"[()\[\]{},;]", _NUMBER, string, name, r"/\*", _OPERATORS, r".", r"$"]) + ")",
        re.DOTALL,
    )


_NEW_RE = _pattern(_NEW_STRING, _NEW_NAME)
_OLD_RE = _pattern(_OLD_STRING, _OLD_NAME)
_STRING_PIECE = re.compile(r'"((?:[^"\\]|\\.)*)"', re.DOTALL)
_NAME_PIECE = re.compile(r"'((?:[^'\\]|\\.)*)'", re.DOTALL)


def tokenize(text: str, old_strings: bool = False) -> list[str]:
    """The tokens of *text*, as strings (see the module docstring).

    >>> tokenize('a+-5 >= "x" "y"')
    ['a', '+', '-5', '>=', '"x" "y"']
    """
    nul = text.find("\0")
    if nul >= 0:
        text = text[:nul]
    pattern = _OLD_RE if old_strings else _NEW_RE
    if len(text) <= _FINDALL_LIMIT:
        tokens = pattern.findall(text)
    else:
        tokens = _tokenize_long(pattern, text)
    while tokens and not tokens[-1]:
        tokens.pop()  # the end-of-input matches
    return tokens


# A string or comment that never closes makes the regular expression scan to
# the end of the input from each place it could start, which is quadratic.
# Short inputs cannot take long; long ones are tokenized one match at a
# time, stopping at the first such broken token: the parser fails there
# anyway (and the C++ lexer, which works lazily, stops there too).
_FINDALL_LIMIT = 2048
_BROKEN = frozenset({'"', "'", "/*"})


def _tokenize_long(pattern: re.Pattern, text: str) -> list[str]:
    tokens = []
    for m in pattern.finditer(text):
        tok = m.group(1)
        tokens.append(tok)
        if tok in _BROKEN:
            break
    return tokens


def token_offsets(text: str, old_strings: bool = False) -> list[int]:
    """Start offset of each token :func:`tokenize` returns (for error messages)."""
    nul = text.find("\0")
    if nul >= 0:
        text = text[:nul]
    offsets = []
    for m in (_OLD_RE if old_strings else _NEW_RE).finditer(text):
        tok = m.group(1)
        if not tok:
            break
        offsets.append(m.start(1))
        if tok in _BROKEN and len(text) > _FINDALL_LIMIT:
            break
    return offsets


# -- token values ---------------------------------------------------------------

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


def string_value(token: str, old_strings: bool = False) -> str | None:
    """The value of a string or quoted-name token; ``None`` if it is invalid."""
    delim = token[0]
    if old_strings:
        body = token[1:-1]
        return body.replace("\\" + delim, delim) if "\\" in body else body
    body = token[1:-1]
    if delim not in body and "\\" not in body:
        return body
    piece_re = _STRING_PIECE if delim == '"' else _NAME_PIECE
    raw = "".join(piece_re.findall(token))
    return convert_escapes(raw)


_DIGITS = frozenset("0123456789")


def number_value(token: str):
    """``(is_real, value)`` for a number token, or ``None`` if it is malformed.

    Mirrors the C++ scanner: ``1.`` and ``1e`` are errors, and an unsigned
    integer with a leading ``0`` (octal, hex) is refused under HTCondor's
    semantics.  Out-of-range integers read as 0, as ``std::from_chars``
    leaves its result untouched on overflow.
    """
    body = token[1:] if token[0] == "-" else token
    if body[:2] in ("0x", "0X"):
        if len(body) == 2:
            return None
        return None if token[0] != "-" else (False, 0)
    mantissa, e, exponent = body.replace("E", "e").partition("e")
    whole, dot, frac = mantissa.partition(".")
    if dot and not frac:
        return None  # "1." and "1.e5"
    if e and not exponent.lstrip("+-"):
        return None
    if dot or e:
        return True, float(token)
    if whole.startswith("0") and len(whole) > 1:
        if token[0] == "-" and all(c in "01234567" for c in whole):
            return False, int(token)
        return None
    value = int(token)
    if not -(1 << 63) <= value < (1 << 63):
        value = 0
    return False, value
