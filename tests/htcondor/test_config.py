"""The configuration language and ``htcondor.param``, without the oracle.

The conformance suite (tests/conformance/config) checks values against the
official module; these tests pin down what it cannot: where configuration
comes from, error reporting, in-memory changes, and the packaged default.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile

import pytest

import htcondor
from htcondor._config import Configuration, default_config_path
from htcondor._config_reader import ConfigError, _logical_lines
from htcondor._macros import MacroError, expand

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def config_from(tmp_path, text: str, **env) -> Configuration:
    path = tmp_path / "condor_config"
    path.write_text(text)
    return Configuration(environ={"CONDOR_CONFIG": str(path), "HOME": str(tmp_path), **env})


# -- the language ------------------------------------------------------------------------

def test_continuation_and_commented_out_lines():
    text = "A = one \\\n  two\nB = x \\\n# gone \\\n  y\nC = p \\\n# ends it\n"
    # A commented-out line inside a continuation counts as its last character only.
    assert list(_logical_lines(text)) == [(1, "A = one two"), (3, "B = x y"), (6, "C = p t")]


def test_values_are_expanded_late_and_self_references_early(tmp_path):
    cfg = config_from(tmp_path, "B = $(A)\nA = 1\nA = $(A) 2\nL = x\nL = $(L), y\n")
    assert cfg.typed("B") == "1 2"
    assert cfg.typed("L") == "x, y"


def test_here_document_keeps_lines(tmp_path):
    cfg = config_from(tmp_path, "S @=end\n  one\n# skipped\n\n  two\n@end\nT = 1\n")
    assert cfg.typed("S") == "one\ntwo"
    assert cfg.typed("T") == "1"


def test_if_elif_else(tmp_path):
    cfg = config_from(tmp_path, "A = 1\nif defined NOPE\n X = 1\nelif version >= 8.0.0\n X = 2\nelse\n X = 3\nendif\n"
                                "if ! $(A)\n Y = no\nelse\n Y = yes\nendif\n")
    assert cfg.typed("X") == "2"
    assert cfg.typed("Y") == "yes"


@pytest.mark.parametrize("text, line, words", [
    ("A = 1\nif true\nB = 2\n", 3, "endif"),
    ("A = 1\nelse\n", 2, "else without matching if"),
    ("A = 1\nthis has no operator\n", 2, "missing = or :"),
    ("use POLICY : NOT_A_POLICY\n", 1, "does not recognise NOT_A_POLICY"),
    ("A = 1\nerror : not ready\n", 2, "not ready"),
    ("include : /no/such/file.conf\n", 1, "cannot open"),
    ("A @=end\nnever closed\n", 2, "@end"),
    ("if a && b\nendif\n", 1, "complex conditionals"),
    ("if version >= 1.2\nendif\n", 1, "version literal is invalid"),
])
def test_errors_name_the_line(tmp_path, text, line, words):
    with pytest.raises(ConfigError) as info:
        config_from(tmp_path, text)
    assert info.value.line == line
    assert f"Configuration Error Line {line} " in str(info.value)
    assert words in str(info.value)
    assert isinstance(info.value, htcondor.HTCondorIOError)


def test_errors_in_included_files_point_at_the_include(tmp_path):
    (tmp_path / "inner.conf").write_text("X = 1\nbroken line\n")
    with pytest.raises(ConfigError) as info:
        config_from(tmp_path, f"A = 1\ninclude : {tmp_path / 'inner.conf'}\n")
    assert info.value.line == 2


def test_metaknob_with_arguments(tmp_path):
    cfg = config_from(tmp_path, "use FEATURE : PartitionableSlot(2, cpus=1, mem=50%)\n")
    assert cfg.typed("SLOT_TYPE_2") == "cpus=1, mem=50%"
    assert cfg.typed("SLOT_TYPE_2_PARTITIONABLE") == "true"


def test_macro_cycles_raise_instead_of_looping():
    with pytest.raises(MacroError):
        expand("$(A)", {"A": "$(B)", "B": "$(A)"}.get)


def test_cycle_in_a_config_value(tmp_path):
    cfg = config_from(tmp_path, "A = $(B)\nB = $(A)\n")
    with pytest.raises(htcondor.HTCondorValueError):
        cfg.typed("A")


# -- types ---------------------------------------------------------------------------------

def test_typed_values(tmp_path):
    cfg = config_from(tmp_path, "UPDATE_INTERVAL = 2*60\nUSE_SHARED_PORT = False\nPRIORITY_HALFLIFE = 10\n"
                                "NEGOTIATOR_INTERVAL = 3.7\nMY_OWN = 5\n")
    assert cfg.typed("UPDATE_INTERVAL") == 120
    assert cfg.typed("USE_SHARED_PORT") is False
    assert cfg.typed("PRIORITY_HALFLIFE") == 10.0 and isinstance(cfg.typed("PRIORITY_HALFLIFE"), float)
    assert cfg.typed("NEGOTIATOR_INTERVAL") == 3
    assert cfg.typed("MY_OWN") == "5"


@pytest.mark.parametrize("text, message", [
    ("UPDATE_INTERVAL = soon", "Invalid result (not an integer) for UPDATE_INTERVAL"),
    ("UPDATE_INTERVAL = 5 +", "Invalid expression for UPDATE_INTERVAL"),
    ("USE_SHARED_PORT = yes", "is not a valid boolean"),
    ("COLLECTOR_PORT = 70000", "is too high"),
])
def test_bad_typed_values_raise(tmp_path, text, message):
    cfg = config_from(tmp_path, text + "\n")
    with pytest.raises(htcondor.HTCondorValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        cfg.typed(text.split()[0])


def test_empty_values_fall_back(tmp_path):
    cfg = config_from(tmp_path, "UPDATE_INTERVAL = $(NOTHING)\nREF = $(NOTHING)\nLOCAL_DIR =\n")
    assert cfg.typed("UPDATE_INTERVAL") == 300
    assert cfg.typed("REF") == "$(NOTHING)"  # a string that expands to nothing is given raw
    assert cfg.expanded("REF") is None


# -- where configuration comes from ---------------------------------------------------------

def test_dev_null_means_defaults_only():
    cfg = Configuration(environ={"CONDOR_CONFIG": "/dev/null"})
    assert cfg.sources == []
    assert cfg.typed("DAEMON_LIST") == "MASTER"


def test_packaged_default_when_nothing_else(tmp_path, monkeypatch):
    monkeypatch.setattr("htcondor._config._global_candidates", lambda environ: [])
    cfg = Configuration(environ={"HOME": str(tmp_path)})
    assert cfg.sources == [default_config_path()]
    assert cfg.typed("DAEMON_LIST") == "MASTER COLLECTOR NEGOTIATOR STARTD SCHEDD"
    assert cfg.typed("NETWORK_INTERFACE") == "127.0.0.1"
    assert cfg.typed("IP_ADDRESS") == "127.0.0.1"


def test_local_dir_chosen_by_environment(tmp_path):
    cfg = Configuration(environ={"CONDOR_CONFIG": default_config_path(), "HOME": str(tmp_path),
                                 "_CONDOR_LOCAL_DIR": str(tmp_path / "pool")})
    assert cfg.typed("SPOOL") == str(tmp_path / "pool" / "spool")
    assert cfg.typed("SCHEDD_LOG") == str(tmp_path / "pool" / "log" / "SchedLog")


def test_local_config_file_and_dir(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "10-a.conf").write_text("ORDER = $(ORDER) a\n")
    (tmp_path / "d" / "20-b.conf").write_text("ORDER = $(ORDER) b\n")
    (tmp_path / "d" / "skip.py").write_text("ORDER = broken\n")
    (tmp_path / "local.conf").write_text("ORDER = $(ORDER) local\n")
    cfg = config_from(tmp_path, f"ORDER = global\nLOCAL_CONFIG_DIR = {tmp_path / 'd'}\n"
                                f"LOCAL_CONFIG_FILE = {tmp_path / 'local.conf'}\n")
    assert cfg.typed("ORDER") == "global a b local"


def test_required_local_config_file_missing(tmp_path):
    with pytest.raises(ConfigError, match="nonexistent"):
        config_from(tmp_path, "LOCAL_CONFIG_FILE = /nonexistent/local.conf\n")


def test_user_config(tmp_path):
    (tmp_path / ".condor").mkdir()
    (tmp_path / ".condor" / "user_config").write_text("MINE = from the user\n")
    cfg = config_from(tmp_path, "MINE = global\n")
    assert cfg.typed("MINE") == "from the user"


def test_condor_environment_overrides(tmp_path):
    cfg = config_from(tmp_path, "UPDATE_INTERVAL = 10\n", _CONDOR_UPDATE_INTERVAL="99")
    assert cfg.typed("UPDATE_INTERVAL") == 99


# -- htcondor.param ----------------------------------------------------------------------------

@pytest.fixture
def param(tmp_path, monkeypatch):
    path = tmp_path / "condor_config"
    path.write_text("SCHEDD.WHO = schedd\nWHO = everyone\nFROM_FILE = yes\n")
    monkeypatch.setenv("CONDOR_CONFIG", str(path))
    htcondor.reload_config()
    yield htcondor.param
    htcondor.set_subsystem("TOOL")
    monkeypatch.undo()
    htcondor.reload_config()


def test_param_is_a_mutable_mapping(param):
    from collections.abc import MutableMapping
    assert isinstance(param, MutableMapping)
    param["NEW_ONE"] = "1"
    assert param["new_one"] == "1" and "NEW_ONE" in param
    assert "NEW_ONE" in param.keys()
    del param["NEW_ONE"]
    assert "NEW_ONE" not in param
    with pytest.raises(KeyError):
        param["NEVER_DEFINED"]
    with pytest.raises(KeyError):
        del param["NEVER_DEFINED"]
    assert param.setdefault("FROM_FILE", "no") == "yes"
    assert param.setdefault("SET_BY_DEFAULT", "d") == "d"
    param.update({"U1": "a"}, U2="b")
    assert (param["U1"], param["U2"]) == ("a", "b")
    assert len(param) == len(param.keys()) == len(param.items())


def test_param_refuses_non_strings(param):
    with pytest.raises(TypeError):
        param["X"] = 5
    with pytest.raises(TypeError):
        param[5]


def test_reload_drops_assignments(param):
    param["TEMPORARY"] = "x"
    htcondor.reload_config()
    assert "TEMPORARY" not in param
    assert param["FROM_FILE"] == "yes"


def test_set_subsystem(param):
    assert param["WHO"] == "everyone"
    htcondor.set_subsystem("schedd", htcondor.SubsystemType.Schedd)
    assert param["WHO"] == "schedd"
    with pytest.raises(TypeError):
        htcondor.set_subsystem(4)


def test_param_table_has_the_parameters_the_pool_needs():
    from htcondor._param_table import ParamTable
    table = ParamTable.builtin()
    names = ["UPDATE_INTERVAL", "NEGOTIATOR_INTERVAL", "SCHEDD_LOG", "MASTER_LOG", "LOCAL_DIR", "SPOOL", "LOG",
             "COLLECTOR_HOST", "DAEMON_LIST", "STARTD_LOG", "COLLECTOR_LOG", "NEGOTIATOR_LOG",
             "HISTORY", "JOB_QUEUE_LOG", "EXECUTE", "MAX_JOBS_RUNNING", "START", "NUM_CPUS"]
    assert all(table.info(n) is not None for n in names)
    typed = [n for n in table.names_with_defaults() if table.type_of(n) != "string"]
    assert len(typed) > 150


# -- the installed package ------------------------------------------------------------------------

def test_installed_package_carries_its_data(tmp_path):
    """A wheel built from the project holds the parameter table and the default config, and works alone."""
    subprocess.run([sys.executable, "-m", "pip", "wheel", ROOT, "--no-deps", "-q", "-w", str(tmp_path / "w")],
                   check=True, capture_output=True)
    (wheel,) = (tmp_path / "w").iterdir()
    names = zipfile.ZipFile(wheel).namelist()
    for data in ("htcondor/_param_table.tsv", "htcondor/_metaknobs.conf", "htcondor/conf/condor_config"):
        assert data in names
    zipfile.ZipFile(wheel).extractall(tmp_path / "site")
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "PYTHONPATH": str(tmp_path / "site")}
    out = subprocess.run([sys.executable, "-I", "-c", "import sys; sys.path.insert(0, sys.argv[1]); import htcondor; "
                          "print(htcondor.__file__); print(htcondor.param['LOCAL_DIR'])", str(tmp_path / "site")],
                         env=env, capture_output=True, text=True, check=True, cwd=tmp_path)
    where, local_dir = out.stdout.split()
    assert where.startswith(str(tmp_path / "site"))
    if not any(os.path.exists(p) for p in ("/etc/condor/condor_config", "/usr/local/etc/condor_config")):
        assert local_dir == str(tmp_path / ".condor" / "local")
