"""Macro expansion: the ``$(NAME)`` language shared by condor_config and submit files.

Both languages store raw text and expand references when a value is used.
This module knows only the text of references; where names come from (a
config file, a submit description, the built-in defaults, live variables
such as ``$(Process)``) is the caller's ``lookup`` function.

How a value is expanded, as HTCondor does it:

* Scan from the left for ``$NAME(``.  ``$(`` is a reference; ``$ENV(``,
  ``$INT(``, ``$REAL(``, ``$STRING(``, ``$EVAL(``, ``$CHOICE(``,
  ``$RANDOM_CHOICE(``, ``$RANDOM_INTEGER(``, ``$SUBSTR(``, ``$BASENAME(``,
  ``$DIRNAME(`` and ``$F<flags>(`` are functions; ``$$(`` is left alone for
  match time.  A reference body is a name of letters, digits, ``_``, ``.``
  and ``/``, optionally ``:default``.  A body with any other character is
  not a reference at this position, so the scan moves inside it: in
  ``$(A$(B))`` the inner ``$(B)`` is replaced first.
* The replacement is scanned again from the same position, so values that
  hold references are expanded in turn.
* ``$(NAME:default)`` uses the default when ``NAME`` is undefined *or
  empty*.  ``$(DOLLAR)`` becomes ``$`` at the very end, so it never starts
  a new reference.

>>> values = {"A": "1", "B": "$(A)+$(A)", "EMPTY": ""}
>>> expand("x=$(B), y=$(NOPE:none), z=$(EMPTY:dflt), $(DOLLAR)(A)", values.get)
'x=1+1, y=none, z=dflt, $(A)'
>>> expand("$INT(B) $REAL(A,%.2f) $Fnx(P)", {"B": "2*21", "A": "1", "P": "/a/b/c.txt"}.get)
'42 1.00 c.txt'
"""

from __future__ import annotations

import math
import os
import random
import re
from collections.abc import Callable, Mapping

import classad

__all__ = ["MacroError", "expand", "Lookup"]

Lookup = Callable[[str], "str | None"]

# Expansions of one value after which we call it a cycle (HTCondor itself
# loops until the stack or memory runs out; we stop with an error).
_MAX_EXPANSIONS = 10_000

_PREFIX = re.compile(r"\$\$?[A-Za-z0-9_]*\(")
_IDCHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./")
# Characters allowed after the ':' of $(NAME:default), beyond the id chars.
_DEFAULT_EXTRA = frozenset("$ ,\\:")
_FUNCTIONS = {"ENV", "RANDOM_CHOICE", "RANDOM_INTEGER", "CHOICE", "SUBSTR", "INT", "REAL", "STRING", "EVAL",
              "BASENAME", "DIRNAME"}
_FILENAME_FLAGS = frozenset("pnxdqabfwuPNXDQABFWU")


class MacroError(ValueError):
    """A macro that cannot be expanded: a bad function argument or a cycle."""


def _function_of(prefix: str) -> str | None:
    """The function a ``$NAME(`` prefix names: "" for ``$(``, None if not a macro."""
    name = prefix[1:-1]
    if not name:
        return ""
    if name[0] == "$":
        return None
    if name[0] == "F" and all(c in _FILENAME_FLAGS for c in name[1:]):
        return "F"
    return name if name in _FUNCTIONS else None


def _find(text: str, start: int, skip_dollar: bool):
    """The next macro at or after ``start``: (dollar, function, body, default_or_None, end) or None.

    ``skip_dollar`` passes over ``$(DOLLAR)``; without it only ``$(DOLLAR)``
    is found (the final pass).
    """
    search = start
    n = len(text)
    while True:
        m = _PREFIX.search(text, search)
        if m is None:
            return None
        func = _function_of(m.group())
        if func is None:
            search = m.end() - 1
            continue
        body = m.end()
        colon = -1
        i = body
        if func in ("", "ENV"):
            ok = True
            while i < n and text[i] != ")":
                c = text[i]
                i += 1
                if c == ":" and colon < 0:
                    colon = i
                    continue
                if colon >= 0:
                    if c == "(":
                        close = text.find(")", i)
                        if close >= 0:
                            i = close + 1
                            continue
                    elif c in _DEFAULT_EXTRA:
                        continue
                if c not in _IDCHARS:
                    ok = False
                    break
            if not ok:
                search = body
                continue
        else:
            close = text.find(")", i)
            i = close if close >= 0 else n
        if i >= n:
            search = body
            continue
        name_end = colon - 1 if colon >= 0 else i
        name = text[body:name_end]
        is_dollar = func == "" and name.upper() == "DOLLAR" and colon < 0
        if is_dollar == skip_dollar:
            search = i
            continue
        default = text[colon:i] if colon >= 0 else None
        return m.start(), func, name, default, i + 1


def expand(text: str, lookup: Lookup, *, env: Mapping[str, str] | None = None,
           keep_dollar: bool = False, rng: random.Random | None = None, cwd: str | None = None) -> str:
    """Expand every macro in ``text``; ``lookup(name)`` gives a name's raw value or None.

    Parameters
    ----------
    text:
        The raw value.
    lookup:
        Returns the unexpanded value of a name, or None when it is undefined.
    env:
        The environment for ``$ENV()`` (default: ``os.environ``).
    keep_dollar:
        Leave ``$(DOLLAR)`` unexpanded (used when the result will be expanded again).
    rng:
        The random source of ``$RANDOM_CHOICE`` and ``$RANDOM_INTEGER``.
    cwd:
        The directory the ``f`` flag of ``$F()`` makes relative paths full
        against.  HTCondor has none when reading configuration or in
        ``Submit.expand()``, and leaves such paths as written then.

    Returns
    -------
    str
        The expanded text.  ``$$(...)`` references are kept for match time.

    Raises
    ------
    MacroError
        For a bad function argument, or a value that refers to itself forever.

    >>> expand("$(A:$(B))", {"B": "b"}.get)
    'b'
    >>> expand("$ENV(NO_SUCH_VARIABLE_HERE) $ENV(NO_SUCH_VARIABLE_HERE:x)", {}.get)
    'UNDEFINED x'
    """
    if "$" not in text:
        return text
    env = os.environ if env is None else env
    pos = 0
    count = 0
    while True:
        found = _find(text, pos, True)
        if found is None:
            break
        count += 1
        if count > _MAX_EXPANSIONS:
            raise MacroError(f"macro expansion does not terminate (a reference cycle?) in: {text[:200]}")
        dollar, func, name, default, end = found
        replacement = _evaluate(func, name, default, text[dollar + 1:text.index("(", dollar)], lookup, env, rng, cwd)
        text = text[:dollar] + replacement + text[end:]
        pos = 0  # HTCondor rescans from the start: an outer reference may be complete now
    if not keep_dollar:
        text = _replace_dollar(text)
    return text


def _replace_dollar(text: str) -> str:
    pos = 0
    while True:
        found = _find(text, pos, False)
        if found is None:
            return text
        dollar, _func, _name, _default, end = found
        text = text[:dollar] + "$" + text[end:]
        pos = 0  # rescanned from the start, where "$$(" now hides a following "$(DOLLAR)"


def _evaluate(func: str, body: str, default: str | None, prefix: str, lookup: Lookup,
              env: Mapping[str, str], rng: random.Random | None, cwd: str | None) -> str:
    if func == "":
        value = lookup(body)
    elif func == "ENV":
        value = env.get(body)
        if value is None and default is None:
            value = "UNDEFINED"
    elif func in ("F", "BASENAME", "DIRNAME"):
        value = _filename(func, prefix, body, lookup, cwd)
    else:
        return _FUNCTION_TABLE[func](body, lookup, rng or random)
    if not value:
        return default if default is not None else ""
    return value


# -- helpers shared by the functions --------------------------------------------------

def _split(text: str, seps: str = ",") -> list[str]:
    """Items separated by any of ``seps``, stripped, empty ones dropped."""
    return [item.strip() for item in re.split("[" + re.escape(seps) + "]", text) if item.strip()]


def _argument(arg: str, lookup: Lookup) -> str:
    """An argument that is either a name to look up or literal text, expanded."""
    value = lookup(arg)
    if value is None:
        value = arg
    return expand(value, lookup) if "$" in value else value


def _evaluate_expression(text: str):
    try:
        return classad.ExprTree(text).eval()
    except Exception:
        return None


def _as_integer(text: str) -> int | None:
    """HTCondor's reading of an integer: a plain integer, else a ClassAd expression."""
    stripped = text.rstrip()
    if re.fullmatch(r"\s*[+-]?\d+", stripped):
        return int(stripped)
    value = _evaluate_expression(text)
    if isinstance(value, classad.Value) or value is None:
        return None
    if isinstance(value, (bool, int)):
        return int(value)
    if isinstance(value, float) and math.isfinite(value):
        return int(value)
    return None


def _as_real(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        value = _evaluate_expression(text)
        if isinstance(value, classad.Value) or not isinstance(value, (bool, int, float)):
            return None
        value = float(value)
    return value if math.isfinite(value) else None


_PRINTF = re.compile(r"%([-+ #0]*)(\d*)(?:\.(\d+))?(hh|h|ll|l|L|q|j|z|t)?([diouxXeEfFgGaAcs])")


def _printf(fmt: str, value, kind: str, function: str) -> str:
    """Format one value with a C printf format, as the $INT/$REAL/$STRING functions do."""
    m = _PRINTF.search(fmt)
    if m is None or (kind == "int" and m.group(5) not in "diouxXc") \
            or (kind == "real" and m.group(5) not in "eEfFgGaA") or (kind == "string" and m.group(5) != "s"):
        raise MacroError(f"{function} macro: '{fmt}' is not a valid format specifier!")
    conv = m.group(5)
    spec = "%" + m.group(1) + m.group(2) + (("." + m.group(3)) if m.group(3) is not None else "") + \
        ("d" if conv in "iu" else conv)
    return fmt[:m.start()].replace("%%", "%") + (spec % value) + fmt[m.end():].replace("%%", "%")


# -- the functions --------------------------------------------------------------------

def _int(body: str, lookup: Lookup, _rng) -> str:
    name, _, fmt = body.partition(",")
    if fmt:
        _printf(fmt, 0, "int", "$INT()")  # a bad format is reported before a bad value
    text = _argument(name, lookup)
    value = _as_integer(text)
    if value is None:
        raise MacroError(f"$INT() macro: {text} does not evaluate to an integer!")
    return _printf(fmt, value, "int", "$INT()") if fmt else str(value)


def _real(body: str, lookup: Lookup, _rng) -> str:
    name, _, fmt = body.partition(",")
    if fmt:
        _printf(fmt, 0.0, "real", "$REAL()")
    text = _argument(name, lookup)
    value = _as_real(text)
    if value is None:
        raise MacroError(f"$REAL() macro: {text} does not evaluate to an real!")
    if not fmt:
        return "%.16G" % value
    out = _printf(fmt, value, "real", "$REAL()")
    return out if "." in out else out + ".0"


def _string(body: str, lookup: Lookup, _rng) -> str:
    name, _, fmt = body.partition(",")
    if fmt:
        _printf(fmt, "", "string", "$STRING")
    text = _argument(name, lookup)
    value = _evaluate_expression(text)
    if isinstance(value, str):
        text = value
    return _printf(fmt, text, "string", "$STRING") if fmt else text


def _eval(body: str, lookup: Lookup, _rng) -> str:
    raw = lookup(body)
    if raw is None:
        raw = body
    text = expand(raw, lookup) if "$" in raw else raw
    try:
        tree = classad.ExprTree(text)
    except Exception:
        return text if "$" in raw else ""  # HTCondor keeps only text it had to expand
    value = tree.eval()
    return value if isinstance(value, str) else repr(tree.simplify())


def _random_choice(body: str, lookup: Lookup, rng) -> str:
    entries = _split(body)
    if len(entries) == 1:
        listed = lookup(entries[0])
        if listed is not None:
            entries = _split(expand(listed, lookup) if "$" in listed else listed, ", \t")
    if not entries:
        raise MacroError("$RANDOM_CHOICE() macro in config file empty!")
    return rng.choice(entries)


def _random_integer(body: str, _lookup: Lookup, rng) -> str:
    args = _split(body)

    def number(index: int, what: str) -> int:
        m = re.match(r"\s*[+-]?\d+", args[index]) if index < len(args) else None
        if m is None:
            raise MacroError(f"$RANDOM_INTEGER() config macro: invalid {what}!")
        return int(m.group())

    low = number(0, "min")
    high = number(1, "max")
    step = number(2, "step") if len(args) > 2 else 1
    if step < 1:
        raise MacroError("$RANDOM_INTEGER() config macro: invalid step!")
    if low > high:
        raise MacroError("$RANDOM_INTEGER() config macro: min > max!")
    return str(low + rng.randrange((step + high - low) // step) * step)


def _choice(body: str, lookup: Lookup, _rng) -> str:
    entries = [item.strip() for item in body.split(",")]
    if len(entries) < 2:
        raise MacroError("$CHOICE() config macro: no index!")
    index_text = _argument(entries[0], lookup)
    index = _as_integer(index_text)
    if index is None or index < 0:
        raise MacroError(f"$CHOICE() macro: {index_text} is invalid index!")
    items = entries[1:]
    if len(items) == 1:
        listed = lookup(items[0])
        if listed is None:
            raise MacroError(f'$CHOICE() macro: no list named "{items[0]}"!')
        items = _split(expand(listed, lookup) if "$" in listed else listed)
    if index >= len(items):
        raise MacroError(f"$CHOICE() config macro: index {index} is out of range!")
    return items[index]


def _substr(body: str, lookup: Lookup, _rng) -> str:
    """``$SUBSTR(name, start[, length])``; negative numbers count from the end."""
    name, comma, rest = body.partition(",")
    if not comma:
        raise MacroError("$SUBSTR() macro: no length specified!")
    start_text, comma, length_text = rest.partition(",")
    start = _as_integer(_argument(start_text, lookup))
    if start is None:
        raise MacroError(f"$SUBSTR() macro: {_argument(start_text, lookup)} is invalid start index!")
    length = 2**30
    if comma:
        length = _as_integer(_argument(length_text, lookup))
        if length is None:
            raise MacroError(f"$SUBSTR() macro: {_argument(length_text, lookup)} is invalid length !")
    value = lookup(name)
    if value is None:
        return ""
    text = expand(value, lookup) if "$" in value else value
    size = len(text)
    if start < 0:
        start = max(size + start, 0)
    start = min(start, size)
    rest_size = size - start
    if length < 0:
        length = max(rest_size + length, 0)
    length = min(length, rest_size)
    return text[start:start + length]


_FUNCTION_TABLE = {
    "INT": _int,
    "REAL": _real,
    "STRING": _string,
    "EVAL": _eval,
    "RANDOM_CHOICE": _random_choice,
    "RANDOM_INTEGER": _random_integer,
    "CHOICE": _choice,
    "SUBSTR": _substr,
}


# -- $F<flags>(), $BASENAME(), $DIRNAME() -----------------------------------------------

def _filename(func: str, prefix: str, name: str, lookup: Lookup, cwd: str | None) -> str | None:
    """The parts of the path held by ``name`` that the flags select."""
    value = lookup(name)
    if value is None:
        value = name
    if "$" in value:
        value = expand(value, lookup)
    parts = 0
    num_dirs = 0
    quoted = full_path = bare = arg_quote = False
    to_sep = ""
    if func == "BASENAME":
        parts = 1 | 2
    elif func == "DIRNAME":
        parts = 4
    else:
        for flag in prefix[1:].lower():
            if flag == "x":
                parts |= 1
            elif flag == "n":
                parts |= 2
            elif flag == "p":
                parts |= 4
            elif flag == "d":
                parts |= 8
                num_dirs += 1
            elif flag == "a":
                arg_quote = True
            elif flag == "b":
                bare = True
            elif flag == "f":
                full_path = True
            elif flag == "w":
                to_sep = "\\"
            elif flag == "u":
                to_sep = "/"
            elif flag == "q":
                quoted = True
    quote = ("'" if arg_quote else '"') if quoted else ""
    # strip one level of matching quotes
    if len(value) > 1 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1]
    elif value[:1] == '"' or (quote and value[:1] == quote):
        value = value[1:]
    path = value
    if full_path and cwd and not os.path.isabs(path):
        path = os.path.join(cwd, path)
    if to_sep:
        other = "\\" if to_sep == "/" else "/"
        path = path.replace(other, to_sep)
    base_at = path.rfind("/") + 1  # on POSIX HTCondor splits paths on "/" only
    dot = path.rfind(".", base_at)
    ext_at = dot if dot > base_at else len(path)
    if dot == base_at:  # a leading dot is not an extension
        ext_at = len(path)
    end = len(path)
    if base_at == 0 and parts & 3:
        parts &= ~(4 | 8)
    sel = parts & 0xF
    if sel == 1:
        start = ext_at + (1 if bare and ext_at < end else 0)
    elif sel == 3:
        start = base_at
    elif sel == 2:
        start, end = base_at, ext_at
    elif sel in (0, 7, 5):
        start = 0
    elif sel == 4:
        start, end = 0, base_at
        if bare and base_at > 0:
            end = base_at - 1
    elif sel == 6:
        start, end = 0, ext_at
    elif base_at > 0:
        seps = [i + 1 for i, c in enumerate(path) if c in "/\\"]
        seps = seps[:len(seps) - num_dirs] if num_dirs else seps
        start = seps[-1] if seps else 0
        if parts & 3 == 2:
            end = ext_at
        elif parts & 3 == 0:
            end = base_at - 1 if bare else base_at
    else:
        start = end = 0
    result = path[start:end]
    if quote:
        result = quote + result.strip(quote) + quote if result else quote + quote
    return result
