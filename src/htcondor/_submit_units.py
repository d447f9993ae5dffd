"""How submit commands read numbers, sizes and booleans.

``condor_submit`` reads values in a few fixed ways, all reproduced here:

* an integer: a plain decimal number, or else any ClassAd expression that
  evaluates to an integer (``priority = 5 + 1`` is 6);
* a boolean: ``true``/``false``/``1``/``0`` (only the start of the word is
  compared, case-insensitively), or else a ClassAd expression that
  evaluates to a boolean;
* a size with an optional unit (``request_memory = 1.5G``): a number, an
  optional fraction of up to three digits, then ``K``, ``M``, ``G`` or
  ``T`` (powers of 1024), optionally followed by ``B``; no unit means the
  base unit.  The result is in base units, rounded up.

>>> parse_bytes("1.5GB", 1024 * 1024), parse_bytes("1000k", 1024 * 1024), parse_bytes("128", 1024 * 1024)
(1536, 1, 128)
>>> parse_bytes("2 GiB", 1024) is None
True
>>> as_integer("2*21"), as_integer("x"), as_boolean("TRUE"), as_boolean("3 > 2"), as_boolean("maybe")
(42, None, True, True, None)
"""

from __future__ import annotations

import math
import re

import classad

__all__ = ["parse_bytes", "as_integer", "as_boolean", "strip_quotes", "is_literal_number"]

_INT_PREFIX = re.compile(r"\s*([+-]?\d+)")
_UNIT = {"k": 1024, "m": 1024 ** 2, "g": 1024 ** 3, "t": 1024 ** 4}
_INT64_MAX = 2 ** 63 - 1


def _evaluate(text: str):
    """The value of ``text`` as a ClassAd expression, or None when it does not parse."""
    try:
        return classad.ExprTree(text).eval()
    except Exception:
        return None


def as_integer(text: str) -> int | None:
    """The integer ``text`` means to condor_submit, or None.

    A decimal integer (surrounding blanks allowed) is read directly; any
    other text is evaluated as a ClassAd expression, which must give an
    integer (a real is truncated, a boolean is 0 or 1).
    """
    m = re.fullmatch(r"\s*([+-]?\d+)\s*", text)
    if m is not None:
        return int(m.group(1))
    value = _evaluate(text)
    if isinstance(value, classad.Value) or value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return int(value)
    return None


def as_boolean(text: str) -> bool | None:
    """The boolean ``text`` means to condor_submit, or None."""
    low = text.lower()
    for word, value in (("true", True), ("1", True), ("false", False), ("0", False)):
        if low.startswith(word):
            if not low[len(word):].strip():
                return value
            break
    value = _evaluate(text)
    if isinstance(value, classad.Value) or value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    return None


def parse_bytes(text: str, base: int) -> int | None:
    """A size in units of ``base`` bytes, rounded up, or None when ``text`` is not a size.

    Parameters
    ----------
    text:
        A number with an optional fraction and unit suffix, such as ``2G``
        or ``1.5 MB``.
    base:
        The unit of the result and of a bare number (1024 for KiB, 1024*1024 for MiB).
    """
    m = _INT_PREFIX.match(text)
    if m is None:
        return None
    value = int(m.group(1))
    pos = m.end()
    fraction = 0.0
    if pos < len(text) and text[pos] == ".":
        pos += 1
        scale = 0.1
        digits = 0
        while pos < len(text) and text[pos].isdigit():
            if digits < 3:
                fraction += int(text[pos]) * scale
                scale /= 10
            digits += 1
            pos += 1
    while pos < len(text) and text[pos].isspace():
        pos += 1
    rest = text[pos:]
    if not rest:
        multiplier = base
    elif rest[0].lower() in _UNIT:
        multiplier = _UNIT[rest[0].lower()]
    else:
        return None
    result = int((value + fraction) * multiplier + base - 1) // base
    tail = rest[1:]
    if len(tail) <= 0 or len(rest) <= 1:
        return result
    if tail[0] in "bB":
        tail = tail[1:]
    return result if not tail.strip() else None


def unit_suffix(text: str) -> str:
    """The unit letter of a size, or "" when the size has none (for SUBMIT_REQUEST_MISSING_UNITS)."""
    m = re.match(r"\s*[+-]?\d+(?:\.\d*)?\s*([A-Za-z]?)", text)
    return m.group(1) if m else ""


def strip_quotes(text: str) -> str:
    """``text`` without surrounding blanks and one pair of surrounding double quotes."""
    text = text.strip()
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        text = text[1:-1]
    return text


def is_literal_number(text: str) -> float | None:
    """The number a literal expression holds, or None if it is not a numeric literal."""
    try:
        tree = classad.ExprTree(text)
    except Exception:
        return None
    if not _is_literal(tree):
        return None
    value = tree.eval()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _is_literal(tree) -> bool:
    text = repr(tree).strip()
    return bool(re.fullmatch(r"[+-]?(\d+(\.\d*)?([eE][+-]?\d+)?|\.\d+)", text))


def int64(value: int) -> int:
    """``value`` clamped to what a 64-bit signed integer holds."""
    return max(-_INT64_MAX - 1, min(_INT64_MAX, value))
