"""Reading ClassAds from strings and files: ``parseAds`` and friends.

Two formats:

* **new** -- ``[ a = 1; b = "x" ]``, any number of ads one after another;
* **old** -- one ``name = expression`` per line, ads separated by blank
  lines, ``#`` comment lines skipped.  The expression is read with old
  string rules (a backslash is special only before a quote) and text after
  a complete expression is ignored, as HTCondor does.

``Parser.Auto`` picks the format from the first non-blank character: ``[``
or ``/`` means new syntax.  Iterators read their input lazily.
"""

from __future__ import annotations

import enum
import warnings

from . import _lexer as lx
from ._classad import ClassAd
from ._errors import ClassAdParseError, ClassAdTypeError, ClassAdValueError
from ._parser import _PREFIX_CACHE, parse_expression_prefix
from ._parser import Parser as _TokenParser
from ._parser import _Fail as _ParseFailure


class Parser(enum.IntEnum):
    """Which ClassAd syntax to read: ``Auto`` (detect), ``Old`` or ``New``.

    >>> import classad
    >>> classad.parseOne("a = 1", classad.Parser.Old)
    [ a = 1 ]
    """

    Auto = 0
    Old = 1
    New = 2

    def __repr__(self) -> str:
        return f"classad.Parser.{self.name}"


# The official enums (Boost.Python) also offer these two lookup tables.
Parser.names = {member.name: member for member in Parser}
Parser.values = {int(member): member for member in Parser}


_CHUNK = 1 << 16


def _deprecated(message: str) -> None:
    warnings.warn(f"ClassAd Deprecation: {message}", DeprecationWarning, stacklevel=3)


# -- format detection ----------------------------------------------------------

def _is_old_text(text: str) -> bool:
    for c in text:
        if c in "/[":
            return False
        if not c.isspace():
            return True
    return False


def _is_old(source) -> bool:
    if isinstance(source, (str, bytes)):
        return _is_old_text(source if isinstance(source, str) else source.decode())
    if not all(hasattr(source, a) for a in ("tell", "read", "seek")):
        raise ClassAdParseError("Unable to determine if input is old or new classad")
    try:
        start = source.tell()
    except OSError:
        raise ClassAdValueError(
            "Stream cannot rewind; must explicitly chose either old or new ClassAd parser. "
            "Auto-detection not available.") from None
    old = False
    while True:
        c = source.read(1)
        if not c:
            break
        if isinstance(c, bytes):
            c = c.decode("latin-1")
        if c in "/[":
            break
        if not c.isspace():
            old = True
            break
    source.seek(start)
    return old


# -- old format -------------------------------------------------------------------

def _add_old_line(attrs: dict, line: str) -> None:
    """Add one ``name = expression`` line to an attribute dict; ParseError if invalid.

    The name is everything before the first ``=`` (spaces trimmed) and the
    expression everything after it; a line without ``=`` is its own name and
    expression, as in HTCondor.
    """
    pos = line.find("=")
    if pos < 0:
        name, value = line.rstrip(" "), line
    else:
        name = line[:pos].strip(" ")
        value = line[pos + 1:].lstrip(" ")
    if not name:
        raise ClassAdParseError(line)
    node = _PREFIX_CACHE.get(value)
    if node is None:
        try:
            node = parse_expression_prefix(value)
        except ClassAdParseError:
            raise ClassAdParseError(line) from None
    key = name.lower()
    old = attrs.get(key)
    attrs[key] = (old[0] if old is not None else name, node)


class OldClassAdIterator:
    """Iterator over ads in the old format, one ad per blank-line-separated block.

    >>> import classad
    >>> it = classad.parseAds("a = 1\\n\\na = 2\\n", classad.Parser.Old)
    >>> type(it).__name__, [ad["a"] for ad in it]
    ('OldClassAdIterator', [1, 2])
    """

    def __init__(self, source):
        if isinstance(source, bytes):
            source = source.decode("utf-8", "surrogateescape")
        if isinstance(source, str):
            self._lines = iter(source.splitlines())
        else:
            try:
                self._lines = iter(source)
            except TypeError:
                raise ClassAdTypeError("Source object is not iterable") from None
        self._done = False

    def __iter__(self):
        return self

    def __next__(self) -> ClassAd:
        if self._done:
            raise StopIteration
        attrs: dict = {}
        for raw in self._lines:
            if raw.__class__ is not str:
                raw = raw.decode("utf-8", "surrogateescape")
            line = raw.strip()
            if not line:
                if attrs:
                    return ClassAd._from_attrs(attrs)
                continue
            if line[0] not in _NAME_START:
                continue  # comments, and lines that cannot start an attribute
            _add_old_line(attrs, line)
        self._done = True
        if not attrs:
            raise StopIteration
        return ClassAd._from_attrs(attrs)


_NAME_START = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_'")


# -- new format -------------------------------------------------------------------

class _NewAdReader:
    """Parses consecutive new-syntax ads out of text that arrives in chunks.

    ``read_more()`` returns the next chunk, or "" at the end of the input.
    Text is tokenized once per chunk; complete ads are parsed from the token
    list, and an ad cut by a chunk boundary is parsed again once more text
    has arrived.
    """

    def __init__(self, read_more):
        self._read_more = read_more
        self._text = ""
        self._eof = False
        self._parser: _TokenParser | None = None
        self._dropped = 0  # characters of input before self._text

    def _refill(self) -> bool:
        if self._eof:
            return False
        more = self._read_more()
        if not more:
            self._eof = True
            return False
        if self._parser is not None and self._parser.pos:
            cut = self._offset_of(self._parser.pos)
            self._text = self._text[cut:]
            self._dropped += cut
        self._text += more
        self._parser = None
        return True

    def _offset_of(self, index: int) -> int:
        offsets = lx.token_offsets(self._parser.text)
        return offsets[index] if index < len(offsets) else len(self._parser.text)

    def consumed(self) -> int:
        """Characters of input up to the end of the last ad returned."""
        if self._parser is None:
            return self._dropped
        return self._dropped + self._offset_of(self._parser.pos)

    def next_ad(self) -> ClassAd | None:
        """The next ad, ``None`` at the end; ParseError for a broken ad."""
        while True:
            if self._parser is None:
                self._parser = _TokenParser(self._text)
            p = self._parser
            start = p.pos
            tok = p.tokens[start]
            if tok != "[":
                if tok == "" and self._refill():
                    continue
                return None  # the end, or text that is not an ad
            p.pos += 1
            try:
                attrs = p.record_body()
            except _ParseFailure:
                p.pos = start
                if self._refill():
                    continue
                raise ClassAdParseError("Unable to parse input stream into a ClassAd.") from None
            except RecursionError:
                p.pos = start
                raise ClassAdParseError("ClassAd too deeply nested.") from None
            return ClassAd._from_attrs(attrs)


class ClassAdStringIterator:
    """Iterator over the new-syntax ads in a string.

    >>> import classad
    >>> it = classad.parseAds("[a = 1] [a = 2]")
    >>> type(it).__name__, [ad["a"] for ad in it]
    ('ClassAdStringIterator', [1, 2])
    """

    def __init__(self, text: str):
        taken = [text]
        self._reader = _NewAdReader(lambda: taken.pop() if taken else "")

    def __iter__(self):
        return self

    def __next__(self) -> ClassAd:
        ad = self._reader.next_ad()
        if ad is None:
            raise StopIteration
        return ad


class ClassAdFileIterator:
    """Iterator over the new-syntax ads in a file object, read lazily.

    After each ad the file is positioned just past it (when the file can
    seek), so ``parseNext`` can be called repeatedly on one file.

    >>> import classad, io
    >>> it = classad.parseAds(io.StringIO("[a = 1]\\n[a = 2]\\n"), classad.Parser.New)
    >>> type(it).__name__, [ad["a"] for ad in it]
    ('ClassAdFileIterator', [1, 2])
    """

    def __init__(self, source):
        self._source = source
        try:
            self._start = source.tell()
        except (OSError, AttributeError, ValueError):
            self._start = None
        self._binary = None
        self._reader = _NewAdReader(self._read)

    def _read(self) -> str:
        data = self._source.read(_CHUNK)
        if isinstance(data, bytes):
            self._binary = True
            data = data.decode("utf-8", "surrogateescape")
        return data

    def __iter__(self):
        return self

    def __next__(self) -> ClassAd:
        ad = self._reader.next_ad()
        if self._start is not None and not self._binary:
            try:
                self._source.seek(self._start)
                self._source.read(self._reader.consumed())
            except (OSError, ValueError):
                pass
        if ad is None:
            raise StopIteration
        return ad


# -- the public functions ---------------------------------------------------------

def _check_parser(parser) -> Parser:
    try:
        return Parser(parser)
    except ValueError:
        from ._errors import ClassAdEnumError

        raise ClassAdEnumError(f"not a classad.Parser value: {parser!r}") from None


def parseAds(input, parser: Parser = Parser.Auto):
    """Iterate over the ClassAds in a string or file.

    :param input: a ``str`` or a file object (text or binary).
    :param parser: ``Parser.New``, ``Parser.Old`` or ``Parser.Auto``.
    :return: an iterator of :class:`ClassAd`, reading *input* lazily.
    :raises ClassAdParseError: when an ad in the input is malformed.

    >>> import classad
    >>> [ad["x"] for ad in classad.parseAds("[x = 1] [x = 2]")]
    [1, 2]
    >>> [ad["x"] for ad in classad.parseAds("x = 1\\n\\nx = 2\\n")]
    [1, 2]
    """
    parser = _check_parser(parser)
    if parser == Parser.Auto:
        parser = Parser.Old if _is_old(input) else Parser.New
    if parser == Parser.Old:
        return OldClassAdIterator(input)
    if isinstance(input, bytes):
        input = input.decode("utf-8", "surrogateescape")
    if isinstance(input, str):
        return ClassAdStringIterator(input)
    if not hasattr(input, "read"):
        raise ClassAdTypeError("parseAds takes a string or a file object")
    return ClassAdFileIterator(input)


def parseOne(input, parser: Parser = Parser.Auto) -> ClassAd:
    """Parse the whole input into a single ClassAd (later ads update earlier ones).

    >>> import classad
    >>> classad.parseOne("Cpus = 4\\nMemory = 2048\\n")
    [ Cpus = 4; Memory = 2048 ]
    """
    result = ClassAd()
    for ad in parseAds(input, parser):
        result._attrs.update(ad._attrs)
    return result


def parseNext(input, parser: Parser = Parser.Auto) -> ClassAd:
    """The next ClassAd in *input*; a file is left positioned after it.

    :raises StopIteration: when no ad is left.

    >>> import classad, io
    >>> f = io.StringIO("[a = 1] [a = 2]")
    >>> classad.parseNext(f), classad.parseNext(f)
    ([ a = 1 ], [ a = 2 ])
    """
    return next(parseAds(input, parser))


def parseOldAds(input):
    """Deprecated: iterate over old-format ads; use ``parseAds(input, Parser.Old)``.

    >>> import classad, warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", DeprecationWarning)
    ...     [ad["a"] for ad in classad.parseOldAds("a = 1\\n\\na = 2\\n")]
    [1, 2]
    """
    _deprecated("parseOldAds is deprecated; use parseAds instead.")
    return OldClassAdIterator(input)


def parse(input) -> ClassAd:
    """Deprecated: parse one new-syntax ad; use :func:`parseOne`.

    >>> import classad, warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", DeprecationWarning)
    ...     classad.parse("[a = 1]")
    [ a = 1 ]
    """
    _deprecated("parse is deprecated; use parseOne, parseNext, or parseAds instead.")
    if hasattr(input, "read"):
        input = input.read()
    if isinstance(input, bytes):
        input = input.decode("utf-8", "surrogateescape")
    try:
        return ClassAd(input)
    except ClassAdParseError:
        raise ClassAdParseError("Unable to parse string into a ClassAd.") from None


def parseOld(input) -> ClassAd:
    """Deprecated: parse old-format lines into one ad; use ``parseOne(input, Parser.Old)``.

    >>> import classad, warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", DeprecationWarning)
    ...     classad.parseOld("a = 1\\nb = a + 1")
    [ a = 1; b = a + 1 ]
    """
    _deprecated("parseOld is deprecated; use parseOne, parseNext, or parseAds instead.")
    lines = input.splitlines() if isinstance(input, str) else input.readlines()
    ad = ClassAd()
    for raw in lines:
        line = raw.strip()
        if line.startswith("#"):
            continue
        _add_old_line(ad._attrs, line)
    return ad
