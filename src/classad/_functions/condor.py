"""Functions HTCondor adds to the language: string lists, splitting, environments and arguments.

A *string list* is one string holding items separated by delimiter
characters (by default comma and space); blanks around items are dropped
and empty items are skipped.

>>> import classad
>>> classad.ExprTree('stringListMember("b", "a, b, c")').eval(), classad.ExprTree('split("a b,c")').eval()
(True, ['a', 'b', 'c'])
"""

from __future__ import annotations

import re

from .._nodes import Literal
from .._values import ERROR, UNDEFINED, ListValue
from . import builtin
from ._common import (
    c_int32,
    c_trunc64,
    eval_failure,
    from_bytes,
    iter_items,
    strtod,
    to_bytes,
)
from ._pcre import compile_pcre

_SPACE = b" \t\n\v\f\r"


def tokenize(s: bytes, delims: bytes) -> list[bytes]:
    """The items of a string list: split at *delims*, trimmed, empty items dropped."""
    s = s.split(b"\0", 1)[0]
    out = []
    i, n = 0, len(s)
    while True:
        while i < n and (s[i] in delims or s[i] in _SPACE):
            i += 1
        start = end = i
        while i < n and s[i] not in delims:
            if s[i] not in _SPACE:
                end = i
            i += 1
        if i <= start:
            return out
        out.append(s[start:end + 1])


def _strings(args):
    """All arguments as bytes, or None if one is not a string."""
    if any(type(a) is not str for a in args):
        return None
    return [to_bytes(a) for a in args]


# -- stringListsIntersect (part of the C++ library itself) --------------------------

def _split_plain(s: bytes, delims: bytes) -> list[bytes]:
    """Split at any of *delims*, keeping blanks, dropping empty items."""
    out = []
    item = bytearray()
    for c in s.split(b"\0", 1)[0]:
        if c in delims:
            if item:
                out.append(bytes(item))
                item.clear()
        else:
            item.append(c)
    if item:
        out.append(bytes(item))
    return out


@builtin("stringListsIntersect", 2, 3)
def string_lists_intersect(state, args):
    if any(a is ERROR for a in args):
        return ERROR
    if any(a is UNDEFINED for a in args):
        return UNDEFINED
    texts = _strings(args)
    if texts is None:
        return ERROR
    delims = (texts[2] if len(texts) == 3 else b"") or b" ,"
    second = set(_split_plain(texts[1], delims))
    return any(item in second for item in _split_plain(texts[0], delims))


# -- stringListSize and the summaries --------------------------------------------------

def _list_and_delims(args):
    texts = _strings(args)
    if texts is None:
        return None
    return texts[0], (texts[1] if len(texts) == 2 else b", ")


@builtin("stringListSize", 1, 2)
def string_list_size(state, args):
    parsed = _list_and_delims(args)
    if parsed is None:
        return ERROR
    return len(tokenize(*parsed))


_FLT_MAX = 3.4028234663852886e38
_FLT_MIN = 1.1754943508222875e-38


def _summary(name: str, start: float, combine, empty_value, average: bool = False):
    @builtin(name, 1, 2)
    def impl(state, args):
        parsed = _list_and_delims(args)
        if parsed is None:
            return ERROR
        total = start
        count = 0
        is_real = False
        for item in tokenize(*parsed):
            count += 1
            text = from_bytes(item)
            value, used = strtod(text)
            if not used:
                return ERROR
            if item.translate(None, b"+-0123456789"):
                is_real = True
            total = combine(value, total)
        if count == 0:
            return empty_value
        if average:
            total /= count
        return total if is_real else c_trunc64(total)

    impl.__name__ = name
    return impl


_summary("stringListSum", 0.0, lambda v, acc: v + acc, 0.0)
_summary("stringListAvg", 0.0, lambda v, acc: v + acc, 0.0, average=True)
_summary("stringListMin", _FLT_MAX, lambda v, acc: min(acc, v), UNDEFINED)
_summary("stringListMax", _FLT_MIN, lambda v, acc: max(acc, v), UNDEFINED)


# -- membership --------------------------------------------------------------------------

def _member_args(args):
    """(item, list, delims) as bytes, UNDEFINED, or ERROR."""
    if any(a is not UNDEFINED and type(a) is not str for a in args):
        return ERROR
    if args[0] is UNDEFINED and args[1] is UNDEFINED:
        return UNDEFINED
    item = to_bytes(args[0]) if type(args[0]) is str else b""
    items = to_bytes(args[1]) if type(args[1]) is str else b""
    delims = b", \t\r\n"
    if len(args) == 3 and type(args[2]) is str:
        delims = to_bytes(args[2])
    return item, items, delims


def _member_function(name: str, subset: bool, fold: bool):
    def key(b: bytes) -> bytes:
        return b.lower() if fold else b

    @builtin(name, 2, 3)
    def impl(state, args):
        parsed = _member_args(args)
        if type(parsed) is not tuple:
            return parsed
        item, items, delims = parsed
        members = {key(t) for t in tokenize(items, delims)}
        if not subset:
            return key(item) in members
        if not item:
            return True  # the empty list is a subset of anything
        wanted = tokenize(item, delims)
        return bool(wanted) and all(key(t) in members for t in wanted)

    impl.__name__ = name
    return impl


_member_function("stringListMember", False, False)
_member_function("stringListIMember", False, True)
_member_function("stringListSubsetMatch", True, False)
_member_function("stringListISubsetMatch", True, True)


@builtin("stringList_regexpMember", 2, 4)
def string_list_regexp_member(state, args):
    texts = _strings(args)
    if texts is None:
        return ERROR
    pattern, items = texts[0], texts[1]
    delims = texts[2] if len(texts) >= 3 else b", "
    options = (texts[3] if len(texts) == 4 else b"").lower()
    rx = compile_pcre(pattern, b"i" in options, b"m" in options, b"s" in options, b"x" in options)
    if rx is None:
        return ERROR
    tokens = tokenize(items, delims)
    if not tokens:
        return UNDEFINED
    return any(rx.search(t) is not None for t in tokens)


# -- splitting ---------------------------------------------------------------------------

def _split_at(s: str, slot: bool) -> ListValue:
    head, at, tail = s.partition("@")
    if not at:
        head, tail = ("", s) if slot else (s, "")
    return ListValue.from_values([head, tail])


@builtin("splitUserName", 1)
def split_user_name(state, args):
    """``user@domain`` as ``{user, domain}``; without ``@`` the domain is empty."""
    return _split_at(args[0], False) if type(args[0]) is str else ERROR


@builtin("splitSlotName", 1)
def split_slot_name(state, args):
    """``slot@machine`` as ``{slot, machine}``; without ``@`` the slot is empty."""
    return _split_at(args[0], True) if type(args[0]) is str else ERROR


_RUNS: dict = {}  # separator set -> compiled pattern of the runs between separators
_BLANK_RUNS = re.compile(r"[^ \t]+")


@builtin("split", 1, 2)
def split(state, args):
    s = args[0]
    if len(args) == 1 and type(s) is str and "," not in s and s.isascii():
        # the common case (default separators, no commas), done on str
        return ListValue(tuple(map(Literal, _BLANK_RUNS.findall(s))), None)
    texts = _strings(args)
    if texts is None:
        return ERROR
    s = texts[0]
    seps = texts[1] if len(texts) == 2 else b", \t"
    hard = bytes(c for c in seps if c not in _SPACE)
    if seps and not any(c in s for c in hard):
        # only blank separators occur: the items are the runs between them
        pattern = _RUNS.get(seps)
        if pattern is None:
            pattern = _RUNS[seps] = re.compile(b"[^" + re.escape(seps) + b"]+")
        return ListValue.from_values([from_bytes(b) for b in pattern.findall(s)])
    items = []
    last = 0
    if seps:
        # a run of blanks, or one separator with blanks around it, separates
        # two items; a repeated non-blank separator makes an empty item
        previous = None  # the last non-blank separator seen
        for i, c in enumerate(s):
            if c not in seps:
                continue
            if i > last:
                items.append(s[last:i])
            elif previous == c:
                items.append(b"")
            if c not in _SPACE:
                previous = c
            last = i + 1
    if len(s) > last:
        items.append(s[last:])
    return ListValue.from_values([from_bytes(b) for b in items])


# -- arguments and environments ---------------------------------------------------------

_ARG_SPACE = b" \t\n\r"


def split_args(s: bytes) -> list[bytes] | None:
    """Split V2 arguments (blank-separated, ``'...'`` quotes, ``''`` for a quote); None if unbalanced."""
    out = []
    buf = bytearray()
    token = False
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c == 0x27:
            token = True
            i += 1
            while True:
                if i >= n:
                    return None
                if s[i] == 0x27:
                    if i + 1 < n and s[i + 1] == 0x27:
                        buf.append(0x27)
                        i += 2
                        continue
                    i += 1
                    break
                buf.append(s[i])
                i += 1
        elif c in _ARG_SPACE:
            i += 1
            if token:
                out.append(bytes(buf))
                buf.clear()
                token = False
        else:
            token = True
            buf.append(c)
            i += 1
    if token:
        out.append(bytes(buf))
    return out


def join_args(args: list[bytes]) -> bytes:
    """Join arguments in V2 syntax, quoting blanks and quotes."""
    out = bytearray()
    for arg in args:
        if out:
            out += b" "
        if not arg:
            out += b"''"
        for c in arg:
            if c in b" \t\n\r'":
                # extend a quoted run rather than closing and reopening it
                if out and out[-1] == 0x27:
                    del out[-1]
                else:
                    out.append(0x27)
                if c == 0x27:
                    out.append(0x27)
                out.append(c)
                out.append(0x27)
            else:
                out.append(c)
    return bytes(out)


def _version(args):
    """The arguments-syntax version (1 or 2) from an optional second argument, or None."""
    if len(args) < 2:
        return 2
    if type(args[1]) is not int:
        return None
    version = c_int32(args[1])
    return version if version in (1, 2) else None


@builtin("argsToList", 1, 2)
def args_to_list(state, args):
    version = _version(args)
    if version is None or type(args[0]) is not str:
        return ERROR
    text = to_bytes(args[0]).split(b"\0", 1)[0]
    items = text.split() if version == 1 else split_args(text)
    if items is None:
        return ERROR
    return ListValue.from_values([from_bytes(b) for b in items])


@builtin("listToArgs", 1, 2)
def list_to_args(state, args):
    version = _version(args)
    if version is None or type(args[0]) is not ListValue:
        return ERROR
    items = []
    for element in iter_items(state, args[0]):
        if type(element) is not str:
            return ERROR
        items.append(to_bytes(element))
    if version == 1:
        if any(any(c in _ARG_SPACE for c in item) for item in items):
            return ERROR
        return from_bytes(b" ".join(items))
    return from_bytes(join_args(items))


_NO_VALUE = object()  # an unexpanded $$() entry, kept without '='
_V1_DELIMS = frozenset(b"!#$%&*+,-/:;<>?@^`|~\x1f")


def _set_env(env: dict, entry: bytes) -> bool:
    eq = entry.find(b"=")
    if eq < 0 and b"$$" in entry:
        env[entry] = _NO_VALUE
        return True
    if eq <= 0:
        return False
    env[entry[:eq]] = entry[eq + 1:]
    return True


def _merge_v1(env: dict, s: bytes) -> bool:
    if not s:
        return True
    delim = 0x3B  # ';'
    if s[0] == delim or s[0] in _V1_DELIMS:
        delim = s[0]
        s = s[1:]
    i, n = 0, len(s)
    while i < n:
        while i < n and s[i] in b" \t\n\r":
            i += 1
        start = i
        while i < n and s[i] != 0x0A and s[i] != delim:
            i += 1
        entry = s[start:i]
        if i < n:
            i += 1  # the delimiter
        if entry and not _set_env(env, entry):
            return False
    return True


def _env_text(env: dict) -> str:
    entries = [k if v is _NO_VALUE else k + b"=" + v for k, v in sorted(env.items())]
    return from_bytes(join_args(entries))


@builtin("envV1ToV2", 1)
def env_v1_to_v2(state, args):
    v = args[0]
    if v is UNDEFINED:
        return UNDEFINED
    if type(v) is not str:
        return ERROR
    env: dict = {}
    if not _merge_v1(env, to_bytes(v).split(b"\0", 1)[0]):
        return ERROR
    return _env_text(env)


@builtin("mergeEnvironment", 0, None)
def merge_environment(state, args):
    env: dict = {}
    for v in args:
        if v is UNDEFINED:
            continue
        if type(v) is not str:
            return ERROR
        entries = split_args(to_bytes(v).split(b"\0", 1)[0])
        if entries is None or not all(_set_env(env, e) for e in entries):
            return ERROR
    return _env_text(env)


# -- user lookups ------------------------------------------------------------------------

@builtin("userHome", 0, None)
def user_home(state, args):
    """The home directory of a user, or the default (second argument) if there is none."""
    if len(args) not in (1, 2):
        raise eval_failure("userHome takes one or two arguments")
    default = args[1] if len(args) == 2 and type(args[1]) is str else ""
    owner = args[0]
    if owner is UNDEFINED and not default:
        return UNDEFINED
    if type(owner) is not str:
        return default or ERROR
    try:
        import pwd

        return pwd.getpwnam(owner).pw_dir
    except ImportError:  # no user database on this platform
        return ERROR
    except (KeyError, ValueError):
        return default or UNDEFINED


@builtin("userMap", 2, 4)
def user_map(state, args):
    """Map a name through a user map; no maps are configured, so nothing maps.

    The four-argument form gives its default; otherwise the result is
    undefined.
    """
    name, user = args[0], args[1]
    if (type(name) is not str or type(user) is not str) and (name is ERROR or user is ERROR):
        return ERROR
    return args[3] if len(args) == 4 else UNDEFINED
