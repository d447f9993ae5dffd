"""A process's HTCondor configuration: where it is read from, and typed values.

:class:`Configuration` reads the configuration the way an HTCondor tool
does, in this order:

1. the host facts (``FULL_HOSTNAME``, ``ARCH``, ``DETECTED_CPUS``...);
2. the global file: ``$CONDOR_CONFIG`` (a path, ``command |``, ``/dev/null``
   for none, or ``ONLY_ENV``), else the first of ``/etc/condor/condor_config``,
   ``/usr/local/etc/condor_config`` and ``~condor/condor_config``, else --
   this project's addition -- the personal-pool configuration shipped with the
   package (``htcondor/conf/condor_config``);
3. the files of ``LOCAL_CONFIG_DIR`` (sorted), then ``LOCAL_CONFIG_FILE``;
4. the user's ``~/.condor/user_config`` (``USER_CONFIG_FILE``);
5. ``_CONDOR_<NAME>`` environment variables.

Values are typed by HTCondor's parameter table (:meth:`Configuration.typed`).

>>> cfg = Configuration(environ={"CONDOR_CONFIG": "/dev/null"})
>>> cfg.typed("UPDATE_INTERVAL"), cfg.typed("SCHEDD_LOG"), cfg.typed("USE_SHARED_PORT")
(300, '/log/SchedLog', True)
>>> cfg.set("UPDATE_INTERVAL", "2*60"); cfg.typed("UPDATE_INTERVAL")
120
"""

from __future__ import annotations

import math
import os
import re

import classad

from ._config_reader import ConfigError, read_config_file
from ._detected import detected_macros, network_macros
from ._errors import HTCondorValueError
from ._macro_set import MacroSet
from ._macros import MacroError
from ._param_table import ParamTable

__all__ = ["Configuration", "default_config_path", "ConfigError"]

_HERE = os.path.dirname(os.path.abspath(__file__))
_INT_BOUNDS = {"int": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}


def default_config_path() -> str:
    """The personal-pool configuration shipped with the package."""
    return os.path.join(_HERE, "conf", "condor_config")


def _global_candidates(environ) -> list[str]:
    places = ["/etc/condor/condor_config", "/usr/local/etc/condor_config"]
    try:
        import pwd
        places.append(os.path.join(pwd.getpwnam("condor").pw_dir, "condor_config"))
    except (ImportError, KeyError):
        pass
    return places


def _tilde() -> str | None:
    try:
        import pwd
        return pwd.getpwnam("condor").pw_dir
    except (ImportError, KeyError):
        return None


class Configuration:
    """The configuration of one process: a macro set, a subsystem, and in-memory overrides.

    Parameters
    ----------
    environ:
        The environment to read ``CONDOR_CONFIG`` and ``_CONDOR_*`` from
        (default: ``os.environ`` at each :meth:`reload`).
    subsys:
        The subsystem whose ``SUBSYS.NAME`` definitions win (default ``TOOL``).
    localname:
        An optional local name, whose ``LOCAL.NAME`` definitions win over all.
    """

    def __init__(self, environ=None, subsys: str = "TOOL", localname: str | None = None):
        self._environ = environ
        self.subsys = subsys
        self.localname = localname
        self.sources: list[str] = []
        self.macros = MacroSet(ParamTable.builtin())
        self.reload()

    # -- reading ----------------------------------------------------------------------------

    def reload(self) -> None:
        """Read the configuration again from its sources; in-memory assignments are dropped."""
        environ = os.environ if self._environ is None else self._environ
        ms = MacroSet(ParamTable.builtin())
        sources: list[str] = []
        tilde = _tilde()
        if tilde:
            ms.insert("TILDE", tilde, "<Detected>")
        for name, value in detected_macros(self.subsys, self.localname):
            ms.insert(name, value, "<Detected>")
        kw = {"subsys": self.subsys, "localname": self.localname}
        root = environ.get("CONDOR_CONFIG")
        if root is not None and root.strip().upper() == "ONLY_ENV":
            root = ""
        elif root is None:
            root = next((p for p in _global_candidates(environ) if os.path.exists(p)), None)
            if root is None:
                root = default_config_path()
        if root and root != "/dev/null":
            if not root.rstrip().endswith("|"):
                ms.insert("CONFIG_ROOT", os.path.dirname(root), "<Detected>")
            read_config_file(root, ms, description="global config source", **kw)
            sources.append(root)
        if root != "":
            self._read_locals(ms, sources, kw, environ)
        for key, value in environ.items():
            if key[:8].lower() == "_condor_" and len(key) > 8:
                ms.insert(key[8:].rstrip(), value.lstrip(), "<Environment>", 0, self.subsys, self.localname)
        interface = ms.lookup("NETWORK_INTERFACE", self.subsys, self.localname) or "*"
        for name, value in network_macros(ms.expand(interface, self.subsys, self.localname)):
            ms.insert(name, value, "<Detected>")
        ms.seal()
        # Like the official bindings, ClassAd expression caching is off in a Python process.
        ms.insert("ENABLE_CLASSAD_CACHING", "false", "<Python>")
        self.macros = ms
        self.sources = sources

    def _read_locals(self, ms: MacroSet, sources: list[str], kw: dict, environ) -> None:
        def param_str(name: str) -> str:
            raw = ms.lookup(name, self.subsys, self.localname)
            return ms.expand(raw, self.subsys, self.localname) if raw else ""

        def read_dir(dirlist: str) -> None:
            exclude = param_str("LOCAL_CONFIG_DIR_EXCLUDE_REGEXP")
            pattern = re.compile(exclude) if exclude else None
            for directory in _split_list(dirlist):
                try:
                    names = sorted(os.listdir(directory))
                except OSError:
                    continue
                for name in names:
                    path = os.path.join(directory, name)
                    if (pattern and pattern.search(name)) or not os.path.isfile(path):
                        continue
                    read_config_file(path, ms, description="config source", **kw)
                    sources.append(path)

        dirlist = param_str("LOCAL_CONFIG_DIR")
        if dirlist:
            read_dir(dirlist)
        required = self._bool_from(ms, "REQUIRE_LOCAL_CONFIG_FILE", True)
        done: list[str] = []
        listed = param_str("LOCAL_CONFIG_FILE")
        pending = [listed] if listed.rstrip().endswith("|") else _split_list(listed)
        while pending:
            path = pending.pop(0)
            if not path.rstrip().endswith("|") and not os.path.exists(path):
                if required:
                    raise ConfigError(f"cannot open config source {path}: No such file or directory")
                continue
            read_config_file(path, ms, description="config source", **kw)
            sources.append(path)
            done.append(path)
            now = param_str("LOCAL_CONFIG_FILE")
            if now != listed:
                listed = now
                pending = [p for p in ([now] if now.rstrip().endswith("|") else _split_list(now)) if p not in done]
        newdirs = param_str("LOCAL_CONFIG_DIR")
        if newdirs and newdirs != dirlist:
            read_dir(newdirs)
        user_file = param_str("USER_CONFIG_FILE")
        if user_file:
            home = environ.get("HOME") or os.path.expanduser("~")
            path = user_file if os.path.isabs(user_file) else os.path.join(home, ".condor", user_file)
            if os.path.isfile(path):
                read_config_file(path, ms, description="user_config source", **kw)
                sources.append(path)

    def _bool_from(self, ms: MacroSet, name: str, default: bool) -> bool:
        raw = ms.lookup(name, self.subsys, self.localname)
        text = ms.expand(raw, self.subsys, self.localname).strip() if raw else ""
        value = _parse_bool(text)
        return default if value is None else value

    # -- values -------------------------------------------------------------------------------

    def set(self, name: str, value: str) -> None:
        """Define ``name`` in memory (until the next :meth:`reload`)."""
        self.macros.insert(name, value, "<Python>", 0, self.subsys, self.localname)

    def raw(self, name: str) -> str | None:
        """The unexpanded value ``name`` resolves to, or None when it is not defined."""
        return self.macros.lookup(name, self.subsys, self.localname)

    def expanded(self, name: str) -> str | None:
        """The expanded value of ``name``; None when undefined or when it expands to nothing."""
        raw = self.raw(name)
        if raw is None:
            return None
        value = self.expand(raw)
        return value or None

    def expand(self, text: str) -> str:
        """Expand the macros in ``text`` against this configuration."""
        try:
            return self.macros.expand(text, self.subsys, self.localname)
        except MacroError as e:
            raise HTCondorValueError(str(e)) from None

    def names(self) -> list[str]:
        """Every name with a value, in HTCondor's order (see :meth:`MacroSet.names`)."""
        return self.macros.names()

    def typed(self, name: str):
        """The value of ``name`` converted to its declared type, as ``htcondor.param`` returns it.

        Raises
        ------
        KeyError
            When ``name`` is not defined.
        HTCondorValueError
            When the value cannot be converted (HTCondor itself would exit).
        """
        raw = self.raw(name)
        if raw is None:
            raise KeyError(name)
        kind = self.macros.table.type_of(_base_name(name, self.subsys, self.localname))
        if kind in ("string", "path"):
            value = self.expand(raw)
            return value if value else raw
        table = self.macros.table
        info = table.info(_base_name(name, self.subsys, self.localname))
        default_raw = info.default if info is not None else None
        text = self.expand(raw).strip()
        if kind in ("int", "long"):
            return self._integer(name, text, default_raw, kind, info.range if info else (None, None))
        if kind == "bool":
            return self._boolean(name, text, default_raw)
        if kind == "double":
            return self._double(name, text, default_raw, info.range if info else (None, None))
        return self.expand(raw) or raw

    def _default_text(self, default_raw: str | None) -> str:
        return self.expand(default_raw).strip() if default_raw else ""

    def _integer(self, name: str, text: str, default_raw: str | None, kind: str, rng) -> int:
        bound_low, bound_high = _INT_BOUNDS[kind]
        low = max(bound_low, int(rng[0])) if rng[0] is not None else bound_low
        high = min(bound_high, int(rng[1])) if rng[1] is not None else bound_high
        if not text:
            default = _integer_value(self._default_text(default_raw))
            return default if isinstance(default, int) else 0
        value = _integer_value(text)
        tail = f"Please set it to an integer expression in the range {low} to {high} " \
               f"(default {self._default_text(default_raw)})."
        if value is None:
            raise HTCondorValueError(f"Invalid expression for {name} ({text}) in condor configuration.  {tail}")
        if value == "not-int":
            raise HTCondorValueError(f"Invalid result (not an integer) for {name} ({text}) in condor configuration."
                                     f"  {tail}")
        tail = tail.replace("integer expression", "integer")
        if not bound_low <= value <= bound_high:
            raise HTCondorValueError(f"{name} in the condor configuration is out of bounds for an integer ({text})."
                                     f"  {tail}")
        if value < low:
            raise HTCondorValueError(f"{name} in the condor configuration is too low ({text}).  {tail}")
        if value > high:
            raise HTCondorValueError(f"{name} in the condor configuration is too high ({text}).  {tail}")
        return value

    def _boolean(self, name: str, text: str, default_raw: str | None) -> bool:
        if not text:
            default = _parse_bool(self._default_text(default_raw))
            return bool(default)
        value = _parse_bool(text)
        if value is None:
            default = _parse_bool(self._default_text(default_raw))
            raise HTCondorValueError(f"{name} in the condor configuration  is not a valid boolean (\"{text}\").  "
                                     f"Please set it to True or False (default is {bool(default)})")
        return value

    def _double(self, name: str, text: str, default_raw: str | None, rng) -> float:
        if not text:
            default = _double_value(self._default_text(default_raw))
            return default if default is not None else 0.0
        value = _double_value(text)
        if value is None:
            raise HTCondorValueError(f"Invalid result (not a number) for {name} ({text}) in condor configuration.")
        return value


def _base_name(name: str, subsys: str, localname: str | None) -> str:
    """``SCHEDD.FOO`` has the type of ``FOO``."""
    if "." in name:
        prefix, _, rest = name.partition(".")
        return rest
    return name


def _split_list(text: str) -> list[str]:
    return [p for p in re.split(r"[\s,]+", text.strip()) if p]


def _evaluate(text: str):
    try:
        return classad.ExprTree(text).eval()
    except Exception:
        return None


def _integer_value(text: str):
    """An int, ``"not-int"`` when it evaluates to something else, or None when it does not parse."""
    if re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    try:
        expr = classad.ExprTree(text)
    except Exception:
        return None
    value = expr.eval()
    if isinstance(value, classad.Value):
        return "not-int"
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return int(value)
    return "not-int"


def _double_value(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        pass
    value = _evaluate(text)
    if isinstance(value, classad.Value) or not isinstance(value, (bool, int, float)):
        return None
    return float(value)


def _parse_bool(text: str) -> bool | None:
    """HTCondor's reading of a boolean knob: a ClassAd expression giving a boolean or a number."""
    if not text:
        return None
    low = text.lower()
    if low == "true":
        return True
    if low == "false":
        return False
    value = _evaluate(text)
    if isinstance(value, classad.Value) or value is None:
        return None
    if isinstance(value, (bool, int, float)):
        return bool(value)
    return None


