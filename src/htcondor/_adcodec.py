"""ClassAds as JSON values, the way the pool's messages carry them.

An ad becomes a JSON object of attribute name to value.  Integers, finite
reals, booleans and strings are written as JSON scalars; every other
expression (references, operators, lists, nested ads, undefined, error,
infinities) is written as ``{"$": "<expression text>"}``.  Decoding builds
the ad directly from those pieces: scalars need no parsing, so an ad of
literals -- the bulk of every job and machine ad -- costs one dictionary
insertion per attribute.

This module reaches into the ``classad`` package's private modules for speed
(layers still run one way: ``classad`` knows nothing of this).

>>> import classad
>>> ad = classad.ClassAd('[ Owner = "alice"; Cpus = 2; Mem = 1.5; Req = Cpus > 1; L = {1, 2} ]')
>>> encode_ad(ad)
{'Owner': 'alice', 'Cpus': 2, 'Mem': 1.5, 'Req': {'$': 'Cpus > 1'}, 'L': {'$': '{ 1,2 }'}}
>>> decode_ad(encode_ad(ad)) == ad
True
"""

from __future__ import annotations

import math

import classad
from classad._classad import ClassAd as _ClassAd
from classad._nodes import Literal as _Literal
from classad._parser import parse_expression as _parse_expression
from classad._unparse import unparse_expr as _unparse_expr

__all__ = ["encode_ad", "decode_ad", "encode_value", "decode_value"]

# ClassAd integers are 64-bit; a wider JSON number is not a ClassAd value.
_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1


def encode_value(node) -> object:
    """The JSON form of one expression tree node."""
    if type(node) is _Literal:
        value = node.value
        t = type(value)
        if t is str or t is int or t is bool:
            return value
        if t is float and math.isfinite(value):
            return value
    return {"$": _unparse_expr(node)}


def decode_value(value) -> object:
    """The expression tree node for one JSON value (see :func:`encode_value`)."""
    t = type(value)
    if t is dict:
        return _parse_expression(value["$"])
    if t is str or t is bool or t is float or (t is int and _INT_MIN <= value <= _INT_MAX):
        return _Literal(value)
    raise ValueError(f"not an encoded ClassAd value: {value!r}")


def encode_ad(ad: classad.ClassAd, projection=None) -> dict:
    """The JSON object for ``ad``; with ``projection`` (lower-case names), only those attributes."""
    attrs = ad._attrs
    if projection is None:
        return {name: encode_value(node) for name, node in attrs.values()}
    out = {}
    for key in projection:
        entry = attrs.get(key)
        if entry is not None:
            out[entry[0]] = encode_value(entry[1])
    return out


def decode_ad(data: dict) -> classad.ClassAd:
    """The ClassAd a JSON object from :func:`encode_ad` stands for.

    Raises
    ------
    ValueError
        When the object is not an encoded ad.
    """
    if type(data) is not dict:
        raise ValueError("an encoded ClassAd must be a JSON object")
    attrs = {}
    for name, value in data.items():
        t = type(value)
        if t is str or t is bool or t is float or (t is int and _INT_MIN <= value <= _INT_MAX):
            node = _Literal(value)
        elif t is dict and type(value.get("$")) is str:
            try:
                node = _parse_expression(value["$"])
            except classad.ClassAdParseError:
                raise ValueError(f"attribute {name}: unparsable expression {value['$']!r}") from None
        else:
            raise ValueError(f"attribute {name}: not an encoded ClassAd value")
        attrs[name.lower()] = (name, node)
    return _ClassAd._from_attrs(attrs)
