"""Translate PCRE2 patterns (as HTCondor compiles them: bytes, no UTF) to Python ``re``.

HTCondor hands ClassAd regular expressions to PCRE2 with at most the
options caseless (``i``), multiline (``m``), dotall (``s``) and extended
(``x``).  Python's ``re`` shares most of the syntax; the differences this
module bridges are:

* option letters set inside a pattern (``a(?i)b``) apply to the rest of
  the enclosing group in PCRE, but must lead the pattern in Python;
  each atom is wrapped in ``(?i:...)``/``(?-i:...)`` as needed instead,
  and ``m``, ``s`` and ``x`` are applied here, while translating;
* ``^``, ``$``, ``\\Z`` and ``\\z`` differ at a final newline;
* escapes Python lacks: ``\\Q...\\E``, ``\\e``, ``\\h``, ``\\v``, ``\\R``,
  ``\\x{..}``, ``\\o{..}``, ``\\c``, ``\\g``, ``\\k``, ``\\p{..}``; POSIX
  classes such as ``[[:alpha:]]``; named groups ``(?<n>...)``;
* ``x{,3}`` is a literal in this PCRE2 version, a quantifier in Python.

Constructs Python cannot express (recursion, ``\\K``, ``\\G``, verbs,
branch reset) make the pattern count as invalid.

>>> compile_pcre(b"^a(?i)bc$", False, False, False, False).search(b"aBC") is not None
True
>>> compile_pcre(b"[[:digit:]]+", False, False, False, False).search(b"x42").group()
b'42'
"""

from __future__ import annotations

import functools
import re
import unicodedata
import warnings

__all__ = ["compile_pcre"]

_SPACE = frozenset(b" \t\n\v\f\r")
_HEX = frozenset(b"0123456789abcdefABCDEF")
_DIGIT = frozenset(b"0123456789")


class _Invalid(Exception):
    """The pattern is not valid PCRE2, or cannot be expressed in Python."""


class _Assertion(bytes):
    """Translated text of a simple assertion (``^ $ \\b``...), which PCRE2 will not repeat."""


def _span(lo: int, hi: int) -> frozenset:
    return frozenset(range(lo, hi + 1))


_POSIX = {
    b"alpha": _span(65, 90) | _span(97, 122),
    b"digit": _span(48, 57),
    b"alnum": _span(65, 90) | _span(97, 122) | _span(48, 57),
    b"upper": _span(65, 90),
    b"lower": _span(97, 122),
    b"space": frozenset(b" \t\n\v\f\r"),
    b"blank": frozenset(b" \t"),
    b"punct": _span(33, 47) | _span(58, 64) | _span(91, 96) | _span(123, 126),
    b"print": _span(32, 126),
    b"graph": _span(33, 126),
    b"cntrl": _span(0, 31) | {127},
    b"xdigit": frozenset(_HEX),
    b"word": _span(65, 90) | _span(97, 122) | _span(48, 57) | {95},
    b"ascii": _span(0, 127),
}
_ALL = _span(0, 255)
_HSPACE = frozenset(b" \t\xa0")
_VSPACE = frozenset(b"\n\v\f\r\x85")
_CLASS_ESCAPES = {ord("d"): b"\\d", ord("D"): b"\\D", ord("w"): b"\\w", ord("W"): b"\\W",
                  ord("s"): b"\\s", ord("S"): b"\\S"}
_SIMPLE = {ord("a"): 7, ord("e"): 27, ord("f"): 12, ord("n"): 10, ord("r"): 13, ord("t"): 9}


@functools.lru_cache(maxsize=4096)
def _property(name: str) -> frozenset:
    """Bytes (read as Latin-1 code points) having the Unicode property *name*."""
    if name in ("Any",):
        return _ALL
    if name == "L&":
        cats = ("Lu", "Ll", "Lt")
        return frozenset(b for b in range(256) if unicodedata.category(chr(b)) in cats)
    if name == "Xan":
        return _property("L") | _property("N")
    if name == "Xwd":
        return _property("Xan") | {95}
    if name in ("Xsp", "Xps"):
        return _property("Z") | frozenset(b"\t\n\v\f\r")
    if len(name) in (1, 2) and name[0] in "CLMNPSZ":
        return frozenset(b for b in range(256) if unicodedata.category(chr(b)).startswith(name))
    if name == "Latin":
        return _span(65, 90) | _span(97, 122) | {0xAA, 0xBA} | _span(0xC0, 0xD6) | _span(0xD8, 0xF6) | _span(0xF8, 0xFF)
    if name == "Common":
        return _ALL - _property("Latin")
    if name.isalpha() and len(name) > 2:
        return frozenset()  # another script: no character below 256 belongs to it
    raise _Invalid("unknown property")


def _byte(c: int) -> bytes:
    if 48 <= c <= 57 or 65 <= c <= 90 or 97 <= c <= 122 or c == 95:
        return bytes((c,))
    return b"\\x%02x" % c


def _set_text(members) -> bytes:
    """Class body text for a set of bytes, as \\xHH ranges."""
    out = []
    run = None
    for c in sorted(members):
        if run is not None and c == run[1] + 1:
            run[1] = c
            continue
        if run is not None:
            out.append(run)
        run = [c, c]
    if run is not None:
        out.append(run)
    return b"".join(b"\\x%02x" % lo if lo == hi else b"\\x%02x-\\x%02x" % (lo, hi) for lo, hi in out)


def _set_atom(members, negate: bool = False) -> bytes:
    if negate:
        members = _ALL - members
    if not members:
        return b"(?!)"
    return b"[" + _set_text(members) + b"]"


class _Translator:
    def __init__(self, pattern: bytes, caseless: bool, flags: dict):
        self.p = pattern
        self.n = len(pattern)
        self.pos = 0
        self.base_i = caseless
        self.flags = flags
        self.groups = 0
        self.total_groups = len(re.findall(rb"\((?!\?)|\(\?P?<(?![=!])|\(\?'", pattern))

    # -- small helpers -------------------------------------------------------------
    def peek(self, k: int = 0) -> int:
        i = self.pos + k
        return self.p[i] if i < self.n else -1

    def skip_extended(self, flags: dict) -> None:
        """Step over what does not count as an item: (?#...) comments, and blanks and # comments under x."""
        p, n = self.p, self.n
        while self.pos < n:
            c = p[self.pos]
            if flags["x"] and c in _SPACE:
                self.pos += 1
            elif flags["x"] and c == 0x23:  # '#': a comment to the end of the line
                end = p.find(b"\n", self.pos)
                self.pos = n if end < 0 else end + 1
            elif p.startswith(b"(?#", self.pos):
                end = p.find(b")", self.pos)
                if end < 0:
                    raise _Invalid("missing ) after comment")
                self.pos = end + 1
            else:
                break

    def wrap(self, text: bytes, flags: dict) -> bytes:
        if flags["i"] == self.base_i:
            return text
        return (b"(?i:" if flags["i"] else b"(?-i:") + text + b")"

    # -- structure ------------------------------------------------------------------
    def translate(self) -> bytes:
        out = self.alternation(dict(self.flags))
        if self.pos < self.n:
            raise _Invalid("unmatched )")
        return out

    def alternation(self, flags: dict) -> bytes:
        branches = []
        while True:
            branches.append(self.branch(flags))
            if self.peek() == 0x7C:  # '|'
                self.pos += 1
                continue
            return b"|".join(branches)

    def branch(self, flags: dict) -> bytes:
        """One alternative; inline option settings update *flags* in place."""
        items: list[bytes] = []
        while True:
            self.skip_extended(flags)
            c = self.peek()
            if c == -1 or c == 0x7C or c == 0x29:
                return b"".join(items)
            atoms = self.atom(flags)
            if not atoms:
                continue
            quant = self.quantifier(flags)
            if quant and isinstance(atoms[-1], _Assertion):
                raise _Invalid("nothing to repeat")
            items.extend(atoms[:-1])
            items.append(atoms[-1] + quant)

    def quantifier(self, flags: dict) -> bytes:
        self.skip_extended(flags)
        c = self.peek()
        if c in (0x2A, 0x2B, 0x3F):  # * + ?
            q = bytes((c,))
            self.pos += 1
        elif c == 0x7B:
            m = re.compile(rb"\{(\d+)(?:,(\d*))?\}").match(self.p, self.pos)
            if m is None:
                return b""
            if any(g and int(g) > 65535 for g in m.groups()):
                raise _Invalid("number too big in {} quantifier")
            q = m.group()
            self.pos = m.end()
        else:
            return b""
        suffix = self.peek()
        if suffix in (0x3F, 0x2B):
            self.pos += 1
        if suffix == 0x2B:
            return q + b"+"
        # under (?U) quantifiers are lazy unless followed by ?
        return q + b"?" if (suffix == 0x3F) != flags["U"] else q

    def atom(self, flags: dict) -> list[bytes]:
        c = self.peek()
        if c == 0x28:
            return self.group(flags)
        if c == 0x5B:
            return [self.wrap(self.char_class(flags), flags)]
        self.pos += 1
        if c == 0x2E:  # .
            return [b"[\\x00-\\xff]" if flags["s"] else b"[^\\n]"]
        if c == 0x5E:  # ^
            return [_Assertion(b"(?:\\A|(?<=\\n)(?!\\Z))" if flags["m"] else b"\\A")]
        if c == 0x24:  # $
            return [_Assertion(b"(?=\\n|\\Z)" if flags["m"] else b"(?=\\n?\\Z)")]
        if c in (0x2A, 0x2B, 0x3F):
            raise _Invalid("nothing to repeat")
        if c == 0x7B and re.compile(rb"\d+(?:,\d*)?\}").match(self.p, self.pos):
            raise _Invalid("nothing to repeat")
        if c == 0x5C:
            return self.escape(flags)
        return [self.wrap(_byte(c), flags)]

    def group(self, flags: dict) -> list[bytes]:
        p = self.p
        self.pos += 1  # '('
        inner = dict(flags)
        if self.peek() == 0x2A:  # (*VERB)
            raise _Invalid("verbs are not supported")
        if self.peek() != 0x3F:
            if flags["n"]:
                return [self.close(b"(?:", inner)]
            self.groups += 1
            return [self.close(b"(", inner)]
        self.pos += 1  # '?'
        c = self.peek()
        for prefix, negative in ((b"<=", False), (b"<!", True)):
            if p.startswith(prefix, self.pos):
                self.pos += len(prefix)
                return [self.lookbehind(inner, negative)]
        for prefix, out in ((b":", b"(?:"), (b"=", b"(?="), (b"!", b"(?!"), (b">", b"(?>")):
            if p.startswith(prefix, self.pos):
                self.pos += len(prefix)
                return [self.close(out, inner)]
        m = re.compile(rb"(?:P?<([A-Za-z_]\w*)>|'([A-Za-z_]\w*)')").match(p, self.pos)
        if m:
            self.pos = m.end()
            self.groups += 1
            return [self.close(b"(?P<" + (m.group(1) or m.group(2)) + b">", inner)]
        m = re.compile(rb"P=([A-Za-z_]\w*)\)").match(p, self.pos)
        if m:
            self.pos = m.end()
            return [self.wrap(b"(?P=" + m.group(1) + b")", flags)]
        if c == 0x28:
            return [self.conditional(inner)]
        m = re.compile(rb"\^?[imnsxJU]*(?:-[imnsxJU]*)?([:)])").match(p, self.pos)
        if m is None:
            raise _Invalid("unsupported group")
        self.pos = m.end()
        target = flags if m.group(1) == b")" else inner
        self.set_options(m.group()[:-1], target)
        if m.group(1) == b")":
            return []  # applies to the rest of the enclosing group
        return [self.close(b"(?:", inner)]

    def set_options(self, spec: bytes, flags: dict) -> None:
        if spec.startswith(b"^"):
            flags.update(i=False, m=False, n=False, s=False, x=False)
            spec = spec[1:]
        on = True
        for c in spec:
            if c == 0x2D:
                on = False
                continue
            letter = chr(c)
            if letter not in "imnsxU":
                raise _Invalid("unsupported option")
            flags[letter] = on

    def lookbehind(self, inner: dict, negative: bool) -> bytes:
        # PCRE lets each alternative have its own length; Python needs one
        # length, so each alternative gets a lookbehind of its own
        branches = [self.branch(inner)]
        while self.peek() == 0x7C:
            self.pos += 1
            branches.append(self.branch(inner))
        if self.peek() != 0x29:
            raise _Invalid("missing )")
        self.pos += 1
        if negative:
            return b"".join(b"(?<!" + b + b")" for b in branches)
        return b"(?:" + b"|".join(b"(?<=" + b + b")" for b in branches) + b")"

    def close(self, opener: bytes, inner: dict) -> bytes:
        body = self.alternation(inner)
        if self.peek() != 0x29:
            raise _Invalid("missing )")
        self.pos += 1
        return opener + body + b")"

    def conditional(self, inner: dict) -> bytes:
        m = re.compile(rb"\((?:(\d+)|<([A-Za-z_]\w*)>|'([A-Za-z_]\w*)'|([A-Za-z_]\w*))\)").match(
            self.p, self.pos)
        if m is None or m.group(4) in (b"R", b"DEFINE"):
            raise _Invalid("unsupported condition")
        self.pos = m.end()
        ref = next(g for g in m.groups() if g is not None)
        return self.close(b"(?(" + ref + b")", inner)

    # -- escapes ---------------------------------------------------------------------
    def read_braced(self) -> bytes:
        end = self.p.find(b"}", self.pos)
        if self.peek() != 0x7B or end < 0:
            raise _Invalid("missing {")
        text = self.p[self.pos + 1:end]
        self.pos = end + 1
        return text

    def code_escape(self, c: int) -> int | None:
        """The byte value of an escape that stands for one character, else None."""
        p = self.p
        if c in _SIMPLE:
            return _SIMPLE[c]
        if c == 0x78:  # \x
            if self.peek() == 0x7B:
                text = self.read_braced()
                if not text or any(ch not in _HEX for ch in text):
                    raise _Invalid("bad \\x{}")
                value = int(text, 16)
            else:
                start = self.pos
                while self.pos < self.n and self.pos - start < 2 and p[self.pos] in _HEX:
                    self.pos += 1
                value = int(p[start:self.pos], 16) if self.pos > start else 0
            if value > 255:
                raise _Invalid("character code too big")
            return value
        if c == 0x6F:  # \o{...}
            text = self.read_braced()
            if not text or any(ch not in b"01234567" for ch in text) or int(text, 8) > 255:
                raise _Invalid("bad \\o{}")
            return int(text, 8)
        if c == 0x63:  # \cX
            x = self.peek()
            if x < 32 or x > 126:
                raise _Invalid("bad \\c")
            self.pos += 1
            return (x - 32 if 97 <= x <= 122 else x) ^ 0x40
        if c == 0x30:  # \0 and up to two more octal digits
            start = self.pos
            while self.pos < self.n and self.pos - start < 2 and p[self.pos] in b"01234567":
                self.pos += 1
            return int(b"0" + p[start:self.pos], 8) & 0xFF
        return None

    def class_set(self, c: int):
        """A set of bytes (frozenset) or Python class escape for \\d \\h \\p..., else None."""
        if c in _CLASS_ESCAPES:
            return _CLASS_ESCAPES[c]
        if c in (0x68, 0x48):
            return _HSPACE if c == 0x68 else _ALL - _HSPACE
        if c in (0x76, 0x56):
            return _VSPACE if c == 0x76 else _ALL - _VSPACE
        if c in (0x70, 0x50):  # \p \P
            if self.peek() == 0x7B:
                name = self.read_braced().decode("latin-1").replace(" ", "").replace("_", "")
            elif self.peek() != -1:
                name = chr(self.peek())
                self.pos += 1
            else:
                raise _Invalid("bad \\p")
            negate = c == 0x50
            if name.startswith("^"):
                negate = not negate
                name = name[1:]
            members = _property(name)
            return _ALL - members if negate else members
        return None

    def escape(self, flags: dict) -> list[bytes]:
        """An escape outside a class: one or more atoms."""
        if self.pos >= self.n:
            raise _Invalid("\\ at end of pattern")
        c = self.p[self.pos]
        self.pos += 1
        if c == 0x51:  # \Q...\E
            end = self.p.find(b"\\E", self.pos)
            text = self.p[self.pos:] if end < 0 else self.p[self.pos:end]
            self.pos = self.n if end < 0 else end + 2
            return [self.wrap(_byte(ch), flags) for ch in text]
        if c == 0x45:  # stray \E
            return []
        value = self.code_escape(c)
        if value is not None:
            return [self.wrap(_byte(value), flags)]
        members = self.class_set(c)
        if members is not None:
            if type(members) is bytes:
                return [members]
            return [self.wrap(_set_atom(members), flags)]
        if c in b"bBAzZ":
            return [_Assertion({ord("b"): b"\\b", ord("B"): b"\\B", ord("A"): b"\\A", ord("z"): b"\\Z",
                                ord("Z"): b"(?=\\n?\\Z)"}[c])]
        simple = {ord("N"): b"[^\\n]", ord("C"): b"[\\x00-\\xff]",
                  ord("R"): b"(?:\\r\\n|[\\n\\x0b\\x0c\\r\\x85])",
                  ord("X"): b"(?>\\r\\n|[\\x00-\\xff])"}
        if c in simple:
            return [simple[c]]
        if c in _DIGIT:
            return [self.wrap(self.numbered_ref(c), flags)]
        if c == 0x67:  # \g
            return [self.wrap(self.g_ref(), flags)]
        if c == 0x6B:  # \k<name> \k'name' \k{name}
            m = re.compile(rb"<([A-Za-z_]\w*)>|'([A-Za-z_]\w*)'|\{([A-Za-z_]\w*)\}").match(self.p, self.pos)
            if m is None:
                raise _Invalid("bad \\k")
            self.pos = m.end()
            name = next(g for g in m.groups() if g is not None)
            return [self.wrap(b"(?P=" + name + b")", flags)]
        if 48 <= c <= 57 or 65 <= c <= 90 or 97 <= c <= 122:
            raise _Invalid("unrecognized escape")
        return [self.wrap(_byte(c), flags)]

    def numbered_ref(self, c: int) -> bytes:
        start = self.pos - 1
        while self.pos < self.n and self.p[self.pos] in _DIGIT:
            self.pos += 1
        number = int(self.p[start:self.pos])
        if number < 10 or number <= self.total_groups or c in b"89":
            return b"(?:\\%d)" % number
        # otherwise up to three octal digits make a character
        self.pos = start
        digits = b""
        while self.pos < self.n and len(digits) < 3 and self.p[self.pos] in b"01234567":
            digits += self.p[self.pos:self.pos + 1]
            self.pos += 1
        return _byte(int(digits, 8) & 0xFF)

    def g_ref(self) -> bytes:
        if self.peek() == 0x7B:
            text = self.read_braced()
        else:
            m = re.compile(rb"[+-]?\d+").match(self.p, self.pos)
            if m is None:
                raise _Invalid("bad \\g")
            text = m.group()
            self.pos = m.end()
        if re.fullmatch(rb"-\d+", text):
            number = self.groups + 1 - int(text[1:])
            if number < 1:
                raise _Invalid("bad relative reference")
            return b"(?:\\%d)" % number
        if re.fullmatch(rb"\d+", text):
            return b"(?:\\%d)" % int(text)
        if re.fullmatch(rb"[A-Za-z_]\w*", text):
            return b"(?P=" + text + b")"
        raise _Invalid("bad \\g")

    # -- classes -----------------------------------------------------------------------
    def class_item(self):
        """One member of a class: an int (a byte), a frozenset, or a Python escape."""
        p = self.p
        c = p[self.pos]
        if c == 0x5B and self.peek(1) in (0x3A, 0x2E, 0x3D):
            m = re.compile(rb"\[:(\^?)([a-z]+):\]").match(p, self.pos)
            if m is None or m.group(2) not in _POSIX:
                raise _Invalid("bad POSIX class")
            self.pos = m.end()
            members = _POSIX[m.group(2)]
            return _ALL - members if m.group(1) else members
        self.pos += 1
        if c != 0x5C:
            return c
        if self.pos >= self.n:
            raise _Invalid("\\ at end of pattern")
        e = p[self.pos]
        self.pos += 1
        if e == 0x62:  # \b is backspace here
            return 8
        value = self.code_escape(e)
        if value is not None:
            return value
        if 49 <= e <= 55:  # \1..\7: octal in a class
            self.pos -= 1
            digits = b""
            while self.pos < self.n and len(digits) < 3 and p[self.pos] in b"01234567":
                digits += p[self.pos:self.pos + 1]
                self.pos += 1
            return int(digits, 8) & 0xFF
        members = self.class_set(e)
        if members is not None:
            return members
        if 48 <= e <= 57 or 65 <= e <= 90 or 97 <= e <= 122:
            raise _Invalid("escape not allowed in a class")
        return e

    def char_class(self, flags: dict) -> bytes:
        p = self.p
        self.pos += 1  # '['
        negate = self.peek() == 0x5E
        if negate:
            self.pos += 1
        parts: list[bytes] = []
        first = True
        while True:
            if self.pos >= self.n:
                raise _Invalid("missing ]")
            c = p[self.pos]
            if c == 0x5D and not first:
                self.pos += 1
                break
            first = False
            if p.startswith(b"\\Q", self.pos):
                end = p.find(b"\\E", self.pos + 2)
                text = p[self.pos + 2:] if end < 0 else p[self.pos + 2:end]
                self.pos = self.n if end < 0 else end + 2
                parts.extend(b"\\x%02x" % ch for ch in text)
                continue
            if p.startswith(b"\\E", self.pos):
                self.pos += 2
                continue
            item = self.class_item()
            if type(item) is int and self.peek() == 0x2D and self.peek(1) not in (0x5D, -1):
                self.pos += 1
                high = self.class_item()
                if type(high) is not int:
                    raise _Invalid("invalid range in class")
                if high < item:
                    raise _Invalid("range out of order in class")
                parts.append(b"\\x%02x-\\x%02x" % (item, high))
            elif type(item) is not int and self.peek() == 0x2D and self.peek(1) not in (0x5D, -1):
                raise _Invalid("invalid range in class")
            elif type(item) is int:
                parts.append(b"\\x%02x" % item)
            elif type(item) is bytes:
                parts.append(item)
            elif item:
                parts.append(_set_text(item))
        if not parts:
            return b"[\\x00-\\xff]" if negate else b"(?!)"
        return b"[" + (b"^" if negate else b"") + b"".join(parts) + b"]"


@functools.lru_cache(maxsize=512)
def compile_pcre(pattern: bytes, caseless: bool, multiline: bool, dotall: bool, extended: bool):
    """A compiled Python bytes pattern equivalent to the PCRE2 *pattern*, or None if invalid."""
    pattern = pattern.split(b"\0", 1)[0]  # C strings end at the first NUL
    flags = {"i": caseless, "m": multiline, "n": False, "s": dotall, "x": extended, "U": False}
    try:
        text = _Translator(pattern, caseless, flags).translate()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return re.compile(text, re.IGNORECASE if caseless else 0)
    except (_Invalid, re.error, OverflowError, RecursionError, ValueError):
        return None
