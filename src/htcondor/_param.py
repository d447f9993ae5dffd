"""``htcondor.param``, ``reload_config()`` and ``set_subsystem()``: the process's configuration.

The configuration is read once, when ``htcondor`` is imported, from the
sources described in :mod:`htcondor._config`.  ``param`` then behaves like
a dictionary of the configuration, typed the way HTCondor types each knob.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping

from ._config import Configuration
from ._enums import SubsystemType
from ._errors import HTCondorTypeError

__all__ = ["_Param", "reload_config", "set_subsystem"]


class _Param(MutableMapping):
    """The local HTCondor configuration as a dictionary.

    Keys are configuration names, looked up without regard to case and with
    the subsystem's prefix honoured (``SCHEDD.FOO`` wins over ``FOO`` once
    ``set_subsystem("SCHEDD")`` is called).  Values have the type HTCondor
    declares for the knob: ``int`` for ``UPDATE_INTERVAL``, ``bool`` for
    ``USE_SHARED_PORT``, ``float`` for ``PRIORITY_HALFLIFE``, ``str`` for
    paths, strings and every name HTCondor does not know.  String values are
    macro-expanded; one that expands to nothing is returned unexpanded.

    Assigning a string stores it in memory, for this process only, until
    :func:`reload_config`.  ``name in param`` is true when the value expands
    to something non-empty.

    >>> import htcondor
    >>> htcondor.param["MAX_JOBS_PER_OWNER"]
    100000
    >>> htcondor.param["MY_KNOB"] = "$(MAX_JOBS_PER_OWNER)/2"
    >>> htcondor.param["MY_KNOB"], "my_knob" in htcondor.param
    ('100000/2', True)
    >>> htcondor.param.get("NO_SUCH_KNOB", "fallback")
    'fallback'
    >>> htcondor.reload_config()
    >>> "MY_KNOB" in htcondor.param
    False
    """

    def __init__(self, config: Configuration):
        self._config = config

    def __getitem__(self, key: str):
        if not isinstance(key, str):
            raise HTCondorTypeError(f"configuration names are strings, not {type(key).__name__}")
        return self._config.typed(key)

    def __setitem__(self, key: str, value: str) -> None:
        if not isinstance(key, str) or not isinstance(value, str):
            raise HTCondorTypeError("configuration names and values are strings")
        self._config.set(key, value)

    def __delitem__(self, key: str) -> None:
        # The official _Param has no deletion; here it forgets an in-memory or file definition.
        if self._config.macros.defined_here(key) is None:
            raise KeyError(key)
        self._config.macros.remove(key)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._config.expanded(key) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self._config.names())

    def __len__(self) -> int:
        return len(self._config.names())

    def get(self, key: str, default=None):
        """The value of ``key``, or ``default`` when it is not defined."""
        try:
            return self[key]
        except KeyError:
            return default

    def setdefault(self, key: str, default: str = "") -> object:
        """The value of ``key``; when it is not set, set it to ``default`` first."""
        if key not in self:
            self[key] = default
            return default
        return self._config.expand(self._config.raw(key))

    def keys(self) -> list[str]:  # type: ignore[override]
        """Every configuration name with a value, sorted without regard to case."""
        return self._config.names()

    def items(self) -> list[tuple[str, object]]:  # type: ignore[override]
        """(name, typed value) for every name; a value that cannot be typed is given as its text."""
        result = []
        for name in self._config.names():
            try:
                value = self._config.typed(name)
            except (ValueError, KeyError):
                value = self._config.raw(name)
            result.append((name, value))
        return result

    def values(self) -> list[object]:  # type: ignore[override]
        """The typed values, in the order of :meth:`keys`."""
        return [value for _, value in self.items()]

    def update(self, source=(), **kwargs) -> None:  # type: ignore[override]
        """Set several names at once, from a mapping or an iterable of pairs."""
        if hasattr(source, "items"):
            source = source.items()
        elif not hasattr(source, "__iter__"):
            raise HTCondorTypeError("Must provide a dictionary-like object to update()")
        for key, value in list(source) + list(kwargs.items()):
            self[key] = value

    def __repr__(self) -> str:
        return f"<htcondor.param: {len(self)} names from {', '.join(self._config.sources) or 'no file'}>"


def reload_config(config: Configuration) -> None:
    """Read the configuration again from disk, dropping in-memory assignments."""
    config.reload()


def set_subsystem(config: Configuration, subsystem: str, type: SubsystemType | None = None) -> None:
    """Make ``subsystem`` the process's subsystem: its ``SUBSYS.NAME`` definitions win from now on."""
    if not isinstance(subsystem, str):
        raise HTCondorTypeError("the subsystem name must be a string")
    if type is not None and not isinstance(type, SubsystemType):
        raise HTCondorTypeError("type must be an htcondor.SubsystemType")
    config.subsys = subsystem  # names resolve with it at once; $(SUBSYSTEM) changes at the next reload
