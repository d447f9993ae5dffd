"""A running daemon's configuration as a dictionary: :class:`RemoteParam`.

It asks the daemon itself, with HTCondor's commands: ``DC_CONFIG_VAL``
``?names`` for the names the daemon's configuration defines, ``CONFIG_VAL``
for one value (expanded by the daemon, for its own subsystem and local
name), ``DC_CONFIG_RUNTIME`` to set one.  Names are fetched once and values
once each, then kept until :meth:`RemoteParam.refresh`.

A daemon accepts a setting only when ``ENABLE_RUNTIME_CONFIG`` is true in
its configuration and the client holds an authorization level whose
``SETTABLE_ATTRS_<LEVEL>`` lists the name (see :mod:`htcondor._secman`);
the new value is then used from the daemon's next reconfiguration
(``send_command(ad, DaemonCommands.Reconfig)``), and kept across later ones
until the daemon restarts.
"""

from __future__ import annotations

import re

import classad

from ._client import DaemonConnection
from ._errors import HTCondorException, HTCondorIOError, HTCondorReplyError, HTCondorTypeError, HTCondorValueError

__all__ = ["RemoteParam", "is_valid_param_name"]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")


def is_valid_param_name(name: str) -> bool:
    """Whether ``name`` can be a configuration name (letters, digits, ``_`` and ``.``).

    >>> is_valid_param_name("SCHEDD.MAX_JOBS_RUNNING"), is_valid_param_name("A = B")
    (True, False)
    """
    return bool(_NAME.fullmatch(name))


class RemoteParam:
    """The configuration of a running daemon, as a dictionary of strings.

    Parameters
    ----------
    ad:
        The daemon's location ad (:meth:`Collector.locate`), with ``MyAddress``.

    Raises
    ------
    TypeError
        When ``ad`` is not a :class:`~classad.ClassAd`.

    Making one contacts nobody; the first look-up does, and raises
    :class:`HTCondorValueError` when the ad has no ``MyAddress`` and
    :class:`HTCondorIOError` when the daemon does not answer.  Values are the
    daemon's expanded strings; a name the daemon does not define is missing
    (``KeyError``).  Setting a value raises :class:`HTCondorReplyError`
    unless the daemon allows it (module documentation).

    >>> import classad, htcondor
    >>> remote = htcondor.RemoteParam(classad.ClassAd({"MyAddress": "<127.0.0.1:1>"}))
    >>> try:
    ...     remote.get("SCHEDD_NAME")
    ... except htcondor.HTCondorIOError as e:
    ...     print(e)
    Failed to connect to daemon
    """

    def __init__(self, ad: classad.ClassAd):
        if not isinstance(ad, classad.ClassAd):
            raise TypeError(f"RemoteParam() takes a location ClassAd, not {type(ad).__name__}")
        self._ad = ad
        self.refresh()

    # -- talking to the daemon ------------------------------------------------------------------

    def _request(self, cmd: str, args: dict) -> dict:
        address = self._ad.get("MyAddress")
        if not isinstance(address, str) or not address:
            raise HTCondorValueError("Address not available in location ClassAd.")
        try:
            connection = DaemonConnection(address, timeout=30)
        except HTCondorException:
            raise HTCondorIOError("Failed to connect to daemon") from None
        with connection:
            try:
                return connection.request(cmd, args)
            except HTCondorIOError:
                raise
            except HTCondorException as e:
                raise HTCondorReplyError(f"{cmd} refused by the daemon: {e}") from None

    def _names(self) -> set[str]:
        if self._attrs is None:
            reply = self._request("DC_CONFIG_VAL", {"name": "?names"})
            self._attrs = {str(n) for n in reply.get("names", []) if n}
        return self._attrs

    def _lookup(self, name: str) -> str:
        if name not in self._values:
            reply = self._request("CONFIG_VAL", {"name": name})
            self._values[name] = str(reply.get("value", "Not defined"))
        return self._values[name]

    def _set(self, name: str, value: str) -> None:
        if not is_valid_param_name(name):
            raise HTCondorValueError("Invalid parameter name.")
        reply = self._request("DC_CONFIG_RUNTIME", {"name": name, "config": f"{name} = {value}"})
        if int(reply.get("rval", -1)) < 0:
            raise HTCondorReplyError("Failed to set remote daemon parameter.")

    # -- the mapping --------------------------------------------------------------------------

    def refresh(self) -> None:
        """Forget what was fetched: the next look-up asks the daemon again.

        >>> import classad, htcondor
        >>> htcondor.RemoteParam(classad.ClassAd({"MyAddress": "<127.0.0.1:1>"})).refresh()
        """
        self._attrs: set[str] | None = None
        self._values: dict[str, str] = {}

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        return name in self._names() and self._lookup(name) != "Not defined"

    def __getitem__(self, name: str) -> str:
        if not isinstance(name, str):
            raise HTCondorTypeError(f"configuration names are strings, not {type(name).__name__}")
        if name not in self:
            raise KeyError(name)
        return self._lookup(name)

    def get(self, name: str, default=None):
        """The daemon's value of ``name``, or ``default`` when it does not define it."""
        if not isinstance(name, str):
            raise HTCondorTypeError(f"configuration names are strings, not {type(name).__name__}")
        return self._lookup(name) if name in self else default

    def __setitem__(self, name: str, value: str) -> None:
        if not isinstance(name, str) or not isinstance(value, str):
            raise TypeError("RemoteParam names and values are strings")
        # as the official class: the local copy takes the value before the daemon answers
        self._values[name] = value
        self._names().add(name)
        self._set(name, value)

    def __delitem__(self, name: str) -> None:
        if name not in self:
            raise KeyError(name)
        self._set(name, "")

    def setdefault(self, name: str, default: str) -> str:
        """The daemon's value of ``name``; when it has none, set it to ``default`` first (a run-time setting)."""
        if name not in self:
            self[name] = default
            return default
        return self._lookup(name)

    def update(self, source) -> None:
        """Set several names: from a mapping, or from an iterable of (name, value) pairs.

        Raises
        ------
        HTCondorTypeError
            When ``source`` is neither.
        """
        if hasattr(source, "items"):
            source = source.items()
        elif not hasattr(source, "__iter__"):
            raise HTCondorTypeError("Must provide a dictionary-like object to update()")
        for name, value in source:
            self[name] = value

    def keys(self) -> list[str]:
        """The names the daemon's configuration defines."""
        return list(self._names())

    def __iter__(self):
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self._names())

    def items(self) -> list[tuple[str, str]]:
        """(name, value) for every name (one request per value not yet fetched)."""
        return [(name, self._lookup(name)) for name in list(self._names())]

    def __repr__(self) -> str:
        return f"<htcondor.RemoteParam of {self._ad.get('MyAddress')}>"
