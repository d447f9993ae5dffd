"""Sinful strings: how HTCondor writes a daemon's network address.

A sinful string is ``<host:port?key=value&key2&...>``: an IPv4 address, or
an IPv6 one in brackets, a port, and optional parameters.  HTCondor keeps the
parameters in a sorted map, so they are written sorted by a case-sensitive
byte compare (capitals first); a parameter without a value is written as its
bare key; values are %-escaped (lower-case hex) except for
``A-Za-z0-9._-:#[]+``.  ``addrs`` lists ``ip-port`` pairs joined by ``+``,
with each ``:`` of an IPv6 address written as ``-``.

>>> s = Sinful.parse("<127.0.0.1:9618?addrs=127.0.0.1-9618&alias=vm&noUDP>")
>>> s.host, s.port, s.params["alias"]
('127.0.0.1', 9618, 'vm')
>>> str(Sinful("127.0.0.1", 40305, {"alias": "vm", "addrs": "127.0.0.1-40305"}))
'<127.0.0.1:40305?addrs=127.0.0.1-40305&alias=vm>'
>>> str(Sinful.for_daemon("127.0.0.1", 40305, alias="vm"))
'<127.0.0.1:40305?addrs=127.0.0.1-40305&alias=vm>'
>>> Sinful.parse("localhost:9618").port
9618
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass, field

from ._errors import HTCondorValueError

__all__ = ["Sinful", "read_address_file"]

_SAFE = "._-:#[]+"


def _escape(value: str) -> str:
    return "".join(c if c.isalnum() and c.isascii() or c in _SAFE else "".join(f"%{b:02x}" for b in c.encode())
                   for c in value)


@dataclass
class Sinful:
    """A parsed sinful string."""

    host: str
    port: int
    params: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> Sinful:
        """Read ``<host:port?params>``; the brackets may be left out, as HTCondor allows.

        Raises
        ------
        HTCondorValueError
            When the text is not an address.
        """
        raw = text.strip()
        if raw.startswith("<") and raw.endswith(">"):
            raw = raw[1:-1]
        hostport, _, query = raw.partition("?")
        m = re.fullmatch(r"\[([0-9A-Fa-f:.]+)\]:(\d+)|([^\s:\[\]<>?]+):(\d+)", hostport)
        if m is None:
            raise HTCondorValueError(f"not a daemon address: {text!r}")
        host = m.group(1) or m.group(3)
        port = int(m.group(2) or m.group(4))
        if not 0 < port < 65536:
            raise HTCondorValueError(f"not a daemon address (bad port): {text!r}")
        params: dict[str, str] = {}
        for pair in re.split("[&;]", query) if query else []:
            if pair:
                key, _, value = pair.partition("=")
                params[urllib.parse.unquote(key)] = urllib.parse.unquote(value)
        return cls(host, port, params)

    @classmethod
    def for_daemon(cls, host: str, port: int, alias: str | None = None) -> Sinful:
        """The address a daemon listening on ``host:port`` advertises."""
        ip = host.replace(":", "-")
        params = {"addrs": f"{ip}-{port}"}
        if alias:
            params["alias"] = alias
        return cls(host, port, params)

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        if not self.params:
            return f"<{host}:{self.port}>"
        pairs = [_escape(k) if v == "" else f"{_escape(k)}={_escape(v)}" for k, v in sorted(self.params.items())]
        return f"<{host}:{self.port}?{'&'.join(pairs)}>"

    def address_v1(self) -> str:
        """The ``AddressV1`` attribute value daemons publish next to ``MyAddress``."""
        alias = self.params.get("alias")
        route = f'a="{self.host}"; port={self.port}; n="Internet"; ' + (f'alias="{alias}"; ' if alias else "")
        family = "IPv6" if ":" in self.host else "IPv4"
        return f'{{[ p="primary"; {route}], [ p="{family}"; {route}]}}'


def read_address_file(path: str) -> str | None:
    """The sinful string a daemon wrote to its address file, or None when there is none (yet).

    The first line is the address; HTCondor writes the daemon's version on
    the next lines.  A daemon writes the file atomically once it listens
    and removes it when it exits.

    >>> read_address_file("/nonexistent/.collector_address") is None
    True
    """
    try:
        with open(path, encoding="utf-8") as f:
            line = f.readline().strip()
    except OSError:
        return None
    return line if line.startswith("<") and line.endswith(">") else None
