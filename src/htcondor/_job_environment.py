"""A job's command line and environment, built from its ClassAd as HTCondor's starter builds them.

The job ad keeps the arguments as ``Arguments`` (new syntax, the raw text
without its outer double quotes) or ``Args`` (old syntax, split on blanks),
and the environment as ``Environment`` (new syntax) or ``Env`` (old syntax,
entries separated by ``;`` or by ``EnvDelim``).  Both are parsed with
:mod:`htcondor._submit_args`, the parser condor_submit uses.

The job does not inherit the starter's environment (as with HTCondor's
default ``JOB_INHERITS_STARTER_ENVIRONMENT = false``).  It gets, in order,
``STARTER_JOB_ENVIRONMENT``, its own environment, then the variables the
starter publishes: ``_CONDOR_SCRATCH_DIR``, ``_CONDOR_SLOT``,
``_CONDOR_JOB_AD``/``_CONDOR_MACHINE_AD`` (files in the sandbox),
``_CONDOR_JOB_IWD``, ``BATCH_SYSTEM``, ``TMPDIR``/``TEMP``/``TMP``, and
``OMP_NUM_THREADS`` and its kin set to the slot's cpus unless the job set
them.

>>> import classad
>>> ad = classad.ClassAd({"Arguments": "one 'two three'", "Environment": "A=1 B='x y'", "Iwd": "/tmp"})
>>> job_arguments(ad)
['one', 'two three']
>>> env = job_environment(ad, scratch_dir="/ex/dir_7", slot_name="slot1_1@host", cpus=2)
>>> env["B"], env["_CONDOR_SLOT"], env["_CONDOR_JOB_AD"], env["OMP_NUM_THREADS"]
('x y', 'slot1_1', '/ex/dir_7/.job.ad', '2')
"""

from __future__ import annotations

import os
import re

from ._submit_args import _NO_VALUE, ArgsError, Environment, join_v2, split_v2

__all__ = ["job_arguments", "arguments_for_display", "job_environment", "NUM_THREADS_ENV_VARS",
           "JOB_AD_FILENAME", "MACHINE_AD_FILENAME", "ArgsError"]

JOB_AD_FILENAME = ".job.ad"
MACHINE_AD_FILENAME = ".machine.ad"

# The default of STARTER_NUM_THREADS_ENV_VARS (HTCondor 24).
NUM_THREADS_ENV_VARS = ("CUBACORES", "GOMAXPROCS", "JULIA_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS",
                        "OMP_NUM_THREADS", "OMP_THREAD_LIMIT", "OPENBLAS_NUM_THREADS", "PYTHON_CPU_COUNT",
                        "ROOT_MAX_THREADS")

# Jobs that need an absolute path into their sandbox write this in an environment value.
_SCRATCH_MAGIC = "#CoNdOrScRaTcHdIr#"


def _string(ad, attr: str) -> str | None:
    """The string value of ``attr``, or None when it is missing or not a string."""
    if attr not in ad:
        return None
    try:
        value = ad.eval(attr)
    except Exception:  # an expression that cannot be evaluated counts as absent
        return None
    return value if isinstance(value, str) else None


def job_arguments(ad) -> list[str]:
    """The job's arguments (without the program name), from ``Arguments`` or else ``Args``.

    :param ad: the job ClassAd.
    :returns: the argument list; empty when the ad has neither attribute.
    :raises ArgsError: if ``Arguments`` has an unbalanced single quote.

    >>> import classad
    >>> job_arguments(classad.ClassAd({"Args": "a  b c"}))
    ['a', 'b', 'c']
    >>> job_arguments(classad.ClassAd({"Arguments": "'it''s' 'a b'"}))
    ["it's", 'a b']
    """
    v2 = _string(ad, "Arguments")
    if v2 is not None:
        return split_v2(v2)
    v1 = _string(ad, "Args")
    if v1:
        return [a for a in re.split(r"[ \t\n\r]+", v1) if a]
    return []


def arguments_for_display(args: list[str]) -> str:
    """The arguments as HTCondor shows them in messages: the canonical new-syntax text.

    >>> arguments_for_display(["a", "b"]), arguments_for_display(["a b"])
    ('a b', "a' 'b")
    """
    return join_v2(args)


def _merge_job_env(env: Environment, ad) -> None:
    v2 = _string(ad, "Environment")
    if v2 is not None:
        for entry in split_v2(v2):
            env.set_entry(entry)
        return
    v1 = _string(ad, "Env")
    if v1:
        delim = _string(ad, "EnvDelim")
        if delim and delim not in (";",) and v1[:1] != delim:
            v1 = delim + v1  # a leading delimiter character is how the V1 parser learns it
        env.merge_v1_or_v2(v1)


def job_environment(ad, *, scratch_dir: str, slot_name: str, job_iwd: str | None = None, cpus: int | None = None,
                    starter_environment: str | None = None, machine_ad=None, bin_dir: str | None = None,
                    num_threads_vars=NUM_THREADS_ENV_VARS, inherit: dict | None = None) -> dict[str, str]:
    """The environment the job starts with.

    :param ad: the job ClassAd (``Environment`` or ``Env``, ``Iwd``, ``X509UserProxy``...).
    :param scratch_dir: the job's sandbox (``_CONDOR_SCRATCH_DIR``, ``TMPDIR``, the ``.job.ad`` file).
    :param slot_name: the slot, ``slot1_1@host``; ``_CONDOR_SLOT`` gets the part before ``@``.
    :param job_iwd: where the job runs (``_CONDOR_JOB_IWD``); default the ad's ``Iwd``.
    :param cpus: the slot's cpus, for ``OMP_NUM_THREADS`` and the other ``num_threads_vars``;
        default the machine ad's ``Cpus``, else the job's ``RequestCpus``.
    :param starter_environment: ``STARTER_JOB_ENVIRONMENT``: entries under the job's own.
    :param machine_ad: the slot's ad; its ``Assigned<Resource>`` strings become ``_CONDOR_Assigned<Resource>``.
    :param bin_dir: HTCondor's ``BIN`` (``_CONDOR_BIN``), if any.
    :param inherit: variables under everything else (``JOB_INHERITS_STARTER_ENVIRONMENT``).
    :returns: name -> value.
    :raises ArgsError: if the job's environment cannot be parsed.
    """
    env = Environment()
    if inherit:
        env.table.update(inherit)
    if starter_environment:
        env.merge_v1_or_v2(starter_environment)
    _merge_job_env(env, ad)
    table = env.table
    table["BATCH_SYSTEM"] = "HTCondor"
    iwd = job_iwd if job_iwd is not None else (_string(ad, "Iwd") or scratch_dir)
    table["_CONDOR_JOB_IWD"] = iwd
    # The starter publishes this before the job exists: the list is still empty.
    table["_CONDOR_JOB_PIDS"] = ""
    if bin_dir:
        table["_CONDOR_BIN"] = bin_dir
    proxy = _string(ad, "X509UserProxy")
    if proxy:
        if job_iwd is not None and job_iwd == scratch_dir:
            proxy = os.path.basename(proxy)  # transferred into the sandbox
        table["X509_USER_PROXY"] = proxy if os.path.isabs(proxy) else os.path.join(iwd, proxy)
    if machine_ad is not None:
        tags = _string(machine_ad, "MachineResources") or ""
        for tag in tags.replace(",", " ").split():
            assigned = _string(machine_ad, "Assigned" + tag)
            if assigned is not None:
                table["_CONDOR_Assigned" + tag] = assigned
    table["_CONDOR_SCRATCH_DIR"] = scratch_dir
    table["APPTAINER_CACHEDIR"] = scratch_dir
    table["SINGULARITY_CACHEDIR"] = scratch_dir
    table["_CONDOR_SLOT"] = slot_name.partition("@")[0]
    for name in ("TMPDIR", "TEMP", "TMP"):
        table[name] = scratch_dir
    if cpus is None and machine_ad is not None:
        value = machine_ad.get("Cpus")
        cpus = value if isinstance(value, int) else None
    if cpus is None:
        try:
            value = ad.eval("RequestCpus") if "RequestCpus" in ad else 1
        except Exception:
            value = 1
        cpus = value if isinstance(value, int) and not isinstance(value, bool) else 1
    if cpus > 0:
        for name in num_threads_vars:
            if not table.get(name):  # trust the job when it set one
                table[name] = str(cpus)
    table["_CONDOR_MACHINE_AD"] = os.path.join(scratch_dir, MACHINE_AD_FILENAME)
    table["_CONDOR_JOB_AD"] = os.path.join(scratch_dir, JOB_AD_FILENAME)
    table["_CHIRP_DELAYED_UPDATE_PREFIX"] = "CHIRP"
    out = {}
    for name, value in table.items():
        if value == _NO_VALUE or not name:
            continue  # an unexpanded $$() entry without a value: nothing to export
        out[name] = value.replace(_SCRATCH_MAGIC, scratch_dir) if _SCRATCH_MAGIC in value else value
    return out
