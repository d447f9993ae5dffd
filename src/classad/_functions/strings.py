"""String functions: concatenation, case, substrings, comparison and version order.

Strings are UTF-8 byte strings in the C++ library, so lengths and offsets
count bytes, comparisons order bytes, and case changes touch ASCII only.

>>> import classad
>>> classad.ExprTree('strcat("a", 1, true)').eval(), classad.ExprTree('substr("abcdef", 1, -1)').eval()
('a1true', 'bcde')
>>> classad.ExprTree('versioncmp("1.10", "1.9")').eval()
1
"""

from __future__ import annotations

from .._values import ERROR, UNDEFINED, ListValue
from . import builtin
from ._common import c_int32, from_bytes, to_bytes, to_string


def _concatenate(values, is_join: bool):
    """strcat/join over already-evaluated arguments (for join, the first is the separator)."""
    pieces: list[str] = []
    sep = ""
    saw_undefined = False
    saw_defined = False
    nonempty = False  # whether the output so far has any text
    for i, v in enumerate(values):
        s = v if type(v) is str else to_string(v)
        if s is UNDEFINED:
            saw_undefined = True
            if is_join:
                continue
            saw_defined = False
            break
        if s is ERROR:
            return ERROR
        if is_join:
            if i == 0:
                sep = s
                continue
            if nonempty:
                pieces.append(sep)
        saw_defined = True
        pieces.append(s)
        nonempty = nonempty or bool(s)
    if saw_undefined and not saw_defined:
        return UNDEFINED
    return "".join(pieces)


@builtin("strcat", 0, None)
def strcat(state, args):
    return _concatenate(args, False)


@builtin("join", 0, None)
def join(state, args):
    # join(list) and join(sep, list) join the list's elements
    if 1 <= len(args) <= 2 and type(args[-1]) is ListValue:
        sep = args[0] if len(args) == 2 else ""
        return _concatenate([sep] + state.list_items(args[-1]), True)
    return _concatenate(args, True)


def _change_case(v, upper: bool):
    s = v if type(v) is str else to_string(v)
    if s is UNDEFINED or s is ERROR:
        return s
    b = to_bytes(s)
    return from_bytes(b.upper() if upper else b.lower())


@builtin("toUpper", 1)
def to_upper(state, args):
    return _change_case(args[0], True)


@builtin("toLower", 1)
def to_lower(state, args):
    return _change_case(args[0], False)


@builtin("substr", 2, 3)
def substr(state, args):
    if any(a is UNDEFINED for a in args):
        return UNDEFINED
    if type(args[0]) is not str or any(type(a) is not int for a in args[1:]):
        return ERROR
    b = to_bytes(args[0])
    size = len(b)
    # the C++ code reads offset and length into C ints; negatives count from the end
    offset = c_int32(args[1])
    length = c_int32(args[2]) if len(args) == 3 else 0
    if offset < 0:
        offset = max(size + offset, 0)
    elif offset >= size:
        offset = size
    if length <= 0:
        length = max(size - offset + length, 0)
    elif length > size - offset:
        length = size - offset
    if len(args) == 3 and c_int32(args[2]) == 0:
        length = 0
    return from_bytes(b[offset:offset + length])


def _two_strings(args):
    """Both arguments as strings, or UNDEFINED/ERROR (undefined is checked first)."""
    a, b = args
    if a is UNDEFINED or b is UNDEFINED:
        return UNDEFINED
    sa, sb = to_string(a), to_string(b)
    if type(sa) is not str or type(sb) is not str:
        return ERROR
    return to_bytes(sa), to_bytes(sb)


def _sign(a: bytes, b: bytes) -> int:
    return (a > b) - (a < b)


@builtin("strcmp", 2)
def strcmp(state, args):
    pair = _two_strings(args)
    if type(pair) is not tuple:
        return pair
    return _sign(*pair)


@builtin("stricmp", 2)
def stricmp(state, args):
    pair = _two_strings(args)
    if type(pair) is not tuple:
        return pair
    return _sign(pair[0].lower(), pair[1].lower())


def _signed(c: int) -> int:
    return c - 256 if c >= 128 else c


def _isdigit(c: int) -> bool:
    return 48 <= c <= 57


def natural_cmp(s1: bytes, s2: bytes) -> int:
    """Compare like ``strverscmp``: runs of digits compare as numbers.

    The result is a difference of (signed) characters or of run lengths,
    not just -1/0/1, as in HTCondor.

    >>> natural_cmp(b"1.10", b"1.9"), natural_cmp(b"a", b"c"), natural_cmp(b"007", b"7")
    (1, -2, -2)
    """
    a = s1 + b"\0"
    b = s2 + b"\0"
    i = 0
    while a[i] and a[i] == b[i]:
        i += 1
    if a[i] == b[i]:
        return 0
    start = i  # start of the run of digits that ends at the mismatch
    while start > 0 and _isdigit(a[start - 1]):
        start -= 1
    if start == i and (not _isdigit(a[i]) or not _isdigit(b[i])):
        return _signed(a[i]) - _signed(b[i])
    z1 = start
    while a[z1] == 0x30:
        z1 += 1
    z2 = start
    while b[z2] == 0x30:
        z2 += 1
    # a lone final zero is a value, not a leading zero
    if z1 > start and not _isdigit(a[z1]):
        z1 -= 1
    if z2 > start and not _isdigit(b[z2]):
        z2 -= 1
    if z1 != z2:
        return z2 - z1  # more leading zeros sorts first
    if z1 > start:
        return _signed(a[i]) - _signed(b[i])
    e1 = z1
    while _isdigit(a[e1]):
        e1 += 1
    e2 = z2
    while _isdigit(b[e2]):
        e2 += 1
    if e1 != e2:
        return e1 - e2  # the longer number is the larger
    return _signed(a[i]) - _signed(b[i])


def _version_order(args):
    pair = _two_strings(args)
    if type(pair) is not tuple:
        return pair
    return natural_cmp(*pair)


@builtin("versioncmp", 2)
def versioncmp(state, args):
    return _version_order(args)


def _version_test(name: str, test):
    @builtin(name, 2)
    def impl(state, args):
        order = _version_order(args)
        return order if type(order) is not int else test(order)

    impl.__name__ = name
    return impl


# HTCondor matches these five names with case (versionle(...) is an error),
# unlike every other function name; see EXACT_CASE_NAMES.
_version_test("versionLE", lambda r: r <= 0)
_version_test("versionLT", lambda r: r < 0)
_version_test("versionGE", lambda r: r >= 0)
_version_test("versionGT", lambda r: r > 0)
_version_test("versionEQ", lambda r: r == 0)

#: Functions that only work when spelled exactly so (any other spelling
#: finds the function but makes it return error).
EXACT_CASE_NAMES = frozenset({"versionLE", "versionLT", "versionGE", "versionGT", "versionEQ"})


@builtin("version_in_range", 3)
def version_in_range(state, args):
    test, low, high = args
    if low is UNDEFINED or high is UNDEFINED:
        return UNDEFINED
    texts = [to_string(v) for v in (test, low, high)]
    if any(type(t) is not str for t in texts):
        return ERROR
    t, lo, hi = (to_bytes(x) for x in texts)
    return natural_cmp(lo, t) <= 0 and natural_cmp(t, hi) <= 0
