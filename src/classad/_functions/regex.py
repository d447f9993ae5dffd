"""Regular-expression functions: ``regexp``, ``regexpMember``, ``regexps``, ``replace``, ``replaceAll``.

Patterns are PCRE2 patterns applied to the UTF-8 bytes of strings (see
:mod:`._pcre`).  Options are letters: ``i`` (ignore case), ``m``
(multi-line ``^``/``$``), ``s`` (``.`` matches newline), ``x`` (extended
syntax), and for substitution ``f`` (keep the rest of the target) and
``g`` (every match).  Other letters are ignored.  In a replacement,
``\\N`` (a single digit) is the text of group N.

>>> import classad
>>> classad.ExprTree('regexp("^a.c$", "abc")').eval(), classad.ExprTree('replaceAll("b", "abcb", "X")').eval()
(True, 'aXcX')
"""

from __future__ import annotations

from .._values import ERROR, UNDEFINED, ListValue
from . import builtin
from ._common import from_bytes, iter_items, to_bytes
from ._pcre import compile_pcre


def _compile(pattern: str, options: str):
    return compile_pcre(to_bytes(pattern), "i" in options, "m" in options, "s" in options,
                        "x" in options)


def _c_string(s: str) -> bytes:
    return to_bytes(s).split(b"\0", 1)[0]


def _highest_group(m) -> int:
    """One more than the number of the highest group that took part (pcre2_match's count)."""
    for g in range(m.re.groups, 0, -1):
        if m.start(g) != -1:
            return g + 1
    return 1


def _nonempty_at(rx, target: bytes, pos: int):
    """A non-empty match starting exactly at *pos* (PCRE2's NOTEMPTY_ATSTART|ANCHORED)."""
    matches = rx.finditer(target, pos)
    m = next(matches, None)
    if m is None or m.start() != pos:
        return None
    if m.end() > pos:
        return m
    # Python retries at the same position insisting on a non-empty match
    m = next(matches, None)
    return m if m is not None and m.start() == pos else None


def substitute(pattern: str, target: str, replacement: str, options: str):
    """The result of ``regexps`` with *options*: a string, or ERROR."""
    rx = _compile(pattern, options)
    if rx is None:
        return ERROR
    full = "f" in options
    every = "g" in options
    t = _c_string(target)
    repl = _c_string(replacement)
    out = bytearray()
    pos = 0
    after_empty = False
    while True:
        if after_empty:
            m = _nonempty_at(rx, t, pos)
            if m is None:
                # step over one byte (at the end, the C string's terminating NUL)
                out.append(t[pos] if pos < len(t) else 0)
                pos += 1
                after_empty = False
                if every:
                    continue
                break
        else:
            if pos > len(t):
                return ERROR  # PCRE2 rejects a start offset past the end
            m = rx.search(t, pos)
            if m is None:
                break
        ngroups = _highest_group(m)
        if full:
            out += t[pos:m.start()]
        i = 0
        while i < len(repl):
            c = repl[i]
            if c == 0x5C and i + 1 < len(repl) and 48 <= repl[i + 1] <= 57:
                group = repl[i + 1] - 48
                if group >= ngroups:
                    return ERROR
                out += m.group(group) or b""
                i += 2
                continue
            out.append(c)
            i += 1
        pos = m.end()
        if m.start() == m.end():
            after_empty = True
        if not every:
            break
    if full:
        out += t[pos:]
    return from_bytes(bytes(out))


def _check(args, count: int):
    """Error if any argument is error, else undefined if any is; None if all are defined."""
    if any(a is ERROR for a in args):
        return ERROR
    if any(a is UNDEFINED for a in args):
        return UNDEFINED
    if len(args) > count and type(args[count]) is not str:
        return ERROR  # the options
    return None


@builtin("regexp", 2, 3)
def regexp(state, args):
    bad = _check(args, 2)
    if bad is not None:
        return bad
    pattern, target = args[0], args[1]
    if type(pattern) is not str or type(target) is not str:
        return ERROR
    rx = _compile(pattern, args[2] if len(args) == 3 else "")
    if rx is None:
        return ERROR
    return rx.search(_c_string(target)) is not None


@builtin("regexpMember", 2, 3)
def regexp_member(state, args):
    bad = _check(args, 2)
    if bad is not None:
        return bad
    pattern, items = args[0], args[1]
    if type(pattern) is not str or type(items) is not ListValue:
        return ERROR
    rx = _compile(pattern, args[2] if len(args) == 3 else "")
    maybe = False
    for item in iter_items(state, items):
        if type(item) is not str:
            if item is UNDEFINED:
                maybe = True
                continue
            return ERROR
        # an invalid pattern matches nothing (the C++ code ignores the error here)
        if rx is not None and rx.search(_c_string(item)) is not None:
            return True
    return UNDEFINED if maybe else False


def _substitute_builtin(name: str, implied: str):
    @builtin(name, 3, 4)
    def impl(state, args):
        bad = _check(args, 3)
        if bad is not None:
            return bad
        options = (args[3] if len(args) == 4 else "") + implied
        if any(type(a) is not str for a in args[:3]):
            return ERROR
        return substitute(args[0], args[1], args[2], options)

    impl.__name__ = name
    return impl


_substitute_builtin("regexps", "")
_substitute_builtin("replace", "f")
_substitute_builtin("replaceAll", "fg")
