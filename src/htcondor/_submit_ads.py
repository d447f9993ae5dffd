"""Submit commands to job attributes, part one: the job's identity, program, files and policies.

Each ``set_*`` function is one step of :mod:`._submit_builder` and mirrors
what ``condor_submit`` does for a group of commands (see the table in
:func:`htcondor.Submit.jobs`).  The steps run in the order of
:data:`._submit_reqs.STEPS`.
"""

from __future__ import annotations

import os
import re
import signal

from ._submit_args import ArgsError, EnvFilter, Environment, is_v2_quoted, join_v2, parse_arguments, v1_string
from ._submit_builder import Builder, SubmitError
from ._submit_units import as_integer, parse_bytes, strip_quotes

__all__ = ["UNIVERSES", "universe_number", "full_path", "set_universe"]

VANILLA, SCHEDULER, GRID, JAVA, PARALLEL, LOCAL, VM, MPI = 5, 7, 9, 10, 11, 12, 13, 8
UNIVERSES = {"standard": 1, "pipe": 2, "linda": 3, "pvm": 4, "vanilla": 5, "pvmd": 6, "scheduler": 7, "mpi": 8,
             "grid": 9, "globus": 9, "java": 10, "parallel": 11, "local": 12, "vm": 13}
_UNIVERSE_NAMES = {1: "Standard", 2: "Pipe", 3: "Linda", 4: "PVM", 6: "PVMd", 8: "MPI"}
_SUPPORTED = {5, 7, 9, 10, 11, 12, 13}
_GRID_TYPES = {"blah", "batch", "pbs", "sge", "lsf", "nqs", "naregi", "condor", "arc", "ec2", "gce", "azure"}


def universe_number(text: str) -> int:
    """The number of a universe name or number (0 when unknown)."""
    m = re.match(r"\s*([+-]?\d+)", text)
    if m and int(m.group(1)) != 0:
        return int(m.group(1))
    return UNIVERSES.get(text.strip().lower(), 0)


def compress_path(path: str) -> str:
    return re.sub(r"[/\\]{2,}", lambda m: m.group()[0], path)


def full_path(b: Builder, name: str, use_iwd: bool = True) -> str:
    """``name`` made absolute against the job's Iwd (or the current directory)."""
    base = b.lookup("\x00iwd") if use_iwd else b.cwd
    if name.startswith("/"):
        path = "/" + name
    else:
        path = f"/{base}/{name}"
    return compress_path(path)


def image_size_kb(b: Builder, name: str) -> int:
    """The size of a file (or a directory's contents) in KiB, rounded up; 0 when it cannot be read."""
    if re.match(r"[A-Za-z][A-Za-z0-9+.-]*://", name):
        return 0
    path = full_path(b, name)
    try:
        st = os.stat(path)
    except OSError:
        return 0
    if os.path.isdir(path):
        total = 0
        for root, _dirs, files in os.walk(path):
            for f in files:
                try:
                    total += os.lstat(os.path.join(root, f)).st_size
                except OSError:
                    pass
        return (total + 1023) // 1024
    return (st.st_size + 1023) // 1024


# -- universe (made once per cluster) ---------------------------------------------------------------------

def set_universe(b: Builder) -> None:
    """``universe``: JobUniverse, WantDocker/WantContainer, grid type checks."""
    univ = b.param("universe", "JobUniverse") or b.config("DEFAULT_UNIVERSE")
    b.is_docker = b.is_container = False
    b.grid_type = ""
    b.vm_type = ""
    if univ:
        number = universe_number(univ)
        if not number:
            if univ.lower() == "docker":
                number = VANILLA
                b.is_docker = True
            if univ.lower() == "container":
                number = VANILLA
                b.is_container = True
    else:
        number = VANILLA
    b.universe = number
    if number in (VANILLA, LOCAL):
        container_image = b.param("container_image", "ContainerImage")
        if b.is_docker:
            if container_image:
                raise SubmitError("docker universe does not allow use of container_image.")
        else:
            docker_image = b.param("docker_image", "DockerImage")
            if docker_image and container_image:
                raise SubmitError("cannot declare both docker_image and container_image")
            if docker_image or container_image:
                b.is_container = True
                if docker_image:
                    b.assign("WantDockerImage", True)
    b.assign("JobUniverse", number)
    for prefix in ("Remote_", "Remote_Remote_"):
        remote = b.param(prefix + "universe", prefix + "JobUniverse")
        if remote:
            value = universe_number(remote)
            if not value:
                raise SubmitError(f"Unknown {prefix}Universe of '{remote}' specified")
            b.assign(prefix + "JobUniverse", value)
    want_parallel, _ = b.param_bool("WantParallelScheduling")
    if want_parallel:
        b.assign("WantParallelScheduling", True)
    if number == JAVA:
        return
    if number in (VANILLA, LOCAL):
        if b.is_docker:
            b.assign("WantDocker", True)
        if b.is_container:
            b.assign("WantContainer", True)
        return
    if number in (SCHEDULER, PARALLEL, MPI):
        return
    if number == GRID:
        resource = b.param("grid_resource", "GridResource")
        if resource is None:
            raise SubmitError("grid_resource attribute not defined for grid universe job")
        b.grid_type = resource.split(" ", 1)[0]
        if b.grid_type.lower() not in _GRID_TYPES and b.grid_type:
            raise SubmitError(f"Invalid value '{b.grid_type}' for grid type\n"
                              "Must be one of: condor, batch, arc, ec2, gce, or azure")
        return
    if number == VM:
        checkpoint, _ = b.param_bool("vm_checkpoint", "JobVMCheckpoint")
        b.ctx.table.set("ShouldTransferFiles", "YES")
        b.ctx.table.set("WhenToTransferOutput", "ON_EXIT_OR_EVICT" if checkpoint else "ON_EXIT")
        return
    if univ and not number:
        raise SubmitError(f"I don't know about the '{univ}' universe.")
    if number:
        raise SubmitError(f"'{_UNIVERSE_NAMES.get(number, str(number))}' is not a supported universe.")


# -- the program ----------------------------------------------------------------------------------------------

def set_iwd(b: Builder) -> None:
    """``initialdir``: Iwd (must be an existing directory)."""
    short = b.param("initialdir", "Iwd") or b.param("initial_dir", "job_iwd")
    if short:
        iwd = short if short.startswith("/") else os.path.join(b.cwd, short)
    else:
        iwd = b.cwd
    iwd = compress_path(iwd)
    if b.lookup("\x00iwd") != iwd:
        if not os.access(compress_path("/" + iwd), os.F_OK | os.X_OK):
            raise SubmitError(f"No such directory: {compress_path('/' + iwd)}")
    b.assign("\x00iwd", iwd)
    b.assign("Iwd", iwd)


def _check_image(image: str, what: str) -> str:
    value = strip_quotes(image)
    if not value:
        raise SubmitError(f"'{image}' is not a valid {what}")
    return value


def container_image_type(image: str) -> str:
    image = image.strip()
    if image.startswith("docker:"):
        return "docker"
    if image.endswith(".sif"):
        return "sif"
    return "sandbox"


def set_executable(b: Builder) -> None:
    """``executable``, ``docker_image``, ``container_image``, ``transfer_executable``: Cmd and friends."""
    transfer = True
    ignore = False
    grid = b.grid_type.lower()
    if b.universe == VM or (b.universe == GRID and grid in ("ec2", "gce", "azure")):
        ignore = True
    if b.is_docker:
        image = b.param("docker_image", "DockerImage")
        if image:
            b.assign("DockerImage", _check_image(image, "docker_image"))
        elif not b.has("DockerImage"):
            raise SubmitError("docker jobs require a docker_image")
    if b.is_container:
        image = b.param("docker_image", "DockerImage")
        if image:
            b.assign("DockerImage", _check_image(image, "docker_image for container universe"))
        image = b.param("container_image", "ContainerImage")
        if image:
            value = strip_quotes(image)
            if not value or value.startswith(("instance://", "library://", "shub://")):
                raise SubmitError(f"'{image}' is not a valid container image")
            b.assign("ContainerImage", value)
            kind = container_image_type(value)
            b.assign({"docker": "WantDockerImage", "sif": "WantSIF"}.get(kind, "WantSandboxImage"), True)
        elif not b.has("ContainerImage") and not b.has("DockerImage"):
            raise SubmitError("container jobs require a container_image or docker_image")
    ename = b.param("executable", "Cmd")
    if ename is None:
        if b.has("Cmd"):
            return
        if b.is_docker or b.is_container:
            ignore = True
        else:
            raise SubmitError("No 'executable' parameter was provided")
    xfer = b.param("transfer_executable", "TransferExecutable")
    if xfer is not None:
        if xfer[:1] in ("F", "f"):
            b.assign("TransferExecutable", False)
            transfer = False
    elif b.config_bool("SUBMIT_CONTAINER_NEVER_XFER_ABSOLUTE_CMD", False) and (b.is_docker or b.is_container) \
            and ename and ename.startswith("/"):
        b.assign("TransferExecutable", False)
        transfer = False
        ignore = True
    if ignore and transfer:
        b.assign("TransferExecutable", False)
        transfer = False
    if transfer:
        full = full_path(b, ename, use_iwd=False)
    else:
        full = ename or ""
    b.assign("Cmd", full)


def _read_arguments(b: Builder, args1: str | None, args2: str | None, attrs: tuple[str, str],
                    error: str) -> tuple[list[str], bool] | None:
    """Parse a pair of argument commands (old or new syntax, and the always-new ``...2`` form).

    Returns the arguments and whether they were in the old syntax, or None
    when neither command is given but the ad already holds one of ``attrs``
    (set with ``+Args`` and the like).  ``error`` formats a parse failure
    from ``{e}`` and ``{args}``.
    """
    try:
        if args2:
            if not is_v2_quoted(args2):
                raise ArgsError("Expecting double-quoted input string (V2 format).")
            return parse_arguments(args2)
        if args1:
            return parse_arguments(args1)
    except ArgsError as e:
        raise SubmitError(error.format(e=e, args=args2 or args1)) from None
    if b.has(attrs[0]) or b.has(attrs[1]):
        return None
    return [], False


def set_arguments(b: Builder) -> None:
    """``arguments`` (old or new syntax), ``arguments2``: Args or Arguments."""
    args1 = b.param("arguments", "Args")
    args2 = b.param("arguments2")
    allow_v1, _ = b.param_bool("allow_arguments_v1")
    if args2 and args1 and not allow_v1:
        raise SubmitError("If you wish to specify both 'arguments' and\n'arguments2' for maximal compatibility "
                          "with different\nversions of Condor, then you must also specify\nallow_arguments_v1=true.")
    parsed = _read_arguments(b, args1, args2, ("Args", "Arguments"),
                             "{e}\nThe full arguments you specified were: {args}")
    if parsed is None:
        return
    args, was_v1 = parsed
    if was_v1:
        try:
            b.assign("Args", v1_string(args))
        except ArgsError as e:
            raise SubmitError(f"failed to insert arguments: {e}") from None
    else:
        b.assign("Arguments", join_v2(args))
    if b.universe == JAVA and not args:
        raise SubmitError("In Java universe, you must specify the class name to run.\nExample:\n\n"
                          "arguments = MyClass\n")


def set_grid_params(b: Builder) -> None:
    """``grid_resource`` and the batch/ARC settings of grid universe jobs."""
    if b.universe != GRID:
        return
    resource = b.param("grid_resource", "GridResource")
    if resource:
        if resource.lower() == "ec2":
            raise SubmitError("EC2 grid jobs require a service URL")
        b.assign("GridResource", resource)
    elif not b.has("GridResource"):
        raise SubmitError("No resource identifier was found.")
    if b.grid_type.lower() == "batch":
        b.use_default_resources = False
    for key, attr, kind in (("arc_rte", "ArcRte", "s"), ("arc_resources", "ArcResources", "s"),
                            ("arc_application", "ArcApplication", "s"), ("arc_data_staging", "ArcDataStaging", "s"),
                            ("batch_extra_submit_args", "BatchExtraSubmitArgs", "s"),
                            ("batch_project", "BatchProject", "s"), ("batch_queue", "BatchQueue", "s"),
                            ("batch_runtime", "BatchRuntime", "e")):
        value = b.param(key, attr)
        if value:
            if kind == "s":
                b.assign(attr, value)
            else:
                b.assign_expr(attr, value)


def set_vm_params(b: Builder) -> None:
    """``vm_type``, ``vm_memory``, ``vm_vcpus`` ...: the VM universe attributes."""
    if b.universe != VM:
        return
    vmtype = b.param("vm_type", "JobVMType")
    if vmtype:
        b.vm_type = vmtype.lower()
        b.assign("JobVMType", b.vm_type)
    for key, attr in (("vm_checkpoint", "JobVMCheckpoint"), ("vm_networking", "JobVMNetworking"),
                      ("vm_vnc", "JobVM_VNC")):
        value, given = b.param_bool(key, attr)
        if given or b.lookup_bool(attr) is None:
            b.assign(attr, value)
    if b.lookup_bool("JobVMNetworking"):
        kind = b.param("vm_networking_type", "JobVMNetworkingType")
        if kind:
            b.assign("JobVMNetworkingType", kind)
    memory = b.param("vm_memory", "JobVMMemory")
    if memory:
        mem = parse_bytes(memory, 1024 * 1024) or 0
        if mem <= 0:
            raise SubmitError("vm_memory is incorrectly specified\nFor example, for vm memroy of 128 Megabytes,\n"
                              "you need to use 128 in your submit description file.")
        b.assign("JobVMMemory", mem)
    else:
        mem = b.lookup_int("JobVMMemory")
        if mem is None:
            raise SubmitError("vm_memory cannot be found.\nPlease specify vm_memory for vm universe in your "
                              "submit description file.")
    b.assign("ExecutableSize", mem * 1024)
    vcpus = b.param("vm_vcpus", "JobVM_VCPUS")
    if vcpus:
        m = re.match(r"\s*([+-]?\d+)", vcpus)
        b.assign("JobVM_VCPUS", max(int(m.group(1)) if m else 0, 1))
    elif b.lookup_int("JobVM_VCPUS") is None:
        b.assign("JobVM_VCPUS", 1)
    mac = b.param("vm_macaddr", "JobVM_MACADDR")
    if mac:
        b.assign("JobVM_MACADDR", mac)


def set_java_vm_args(b: Builder) -> None:
    """``java_vm_args``/``java_vm_arguments``: JavaVMArgs or JavaVMArguments."""
    args1 = b.param("java_vm_args")
    ext = b.param("java_vm_arguments", "JavaVMArgs")
    args2 = b.param("java_vm_arguments2")
    allow_v1, _ = b.param_bool("allow_arguments_v1")
    if ext and args1:
        raise SubmitError("you specified a value for both java_vm_args and java_vm_arguments.")
    args1 = ext or args1
    if args2 and args1 and not allow_v1:
        raise SubmitError("If you wish to specify both 'java_vm_arguments' and\n'java_vm_arguments2' for "
                          "maximal compatibility with different\nversions of Condor, then you must also "
                          "specify\nallow_arguments_v1=true.")
    parsed = _read_arguments(b, args1, args2, ("JavaVMArgs", "JavaVMArguments"),
                             "failed to parse java VM arguments: {e}\nThe full arguments you specified were {args}")
    if parsed is None:
        return
    args, was_v1 = parsed
    if was_v1:
        value = v1_string(args)
        if value:
            b.assign("JavaVMArgs", value)
    else:
        value = join_v2(args)
        if value:
            b.assign("JavaVMArguments", value)


def set_parallel_params(b: Builder) -> None:
    """``machine_count``: MinHosts/MaxHosts (parallel universe)."""
    want_parallel = bool(b.lookup_bool("WantParallelScheduling"))
    if b.universe in (MPI, PARALLEL) or want_parallel:
        count = b.param("machine_count", "MachineCount") or b.param("node_count", "NodeCount")
        if count:
            m = re.match(r"\s*([+-]?\d+)", count)
            n = int(m.group(1)) if m else 0
            b.assign("MinHosts", n)
            b.assign("MaxHosts", n)
        elif not b.has("MaxHosts"):
            raise SubmitError("No machine_count specified!")
        b.assign("RequestCpus", 1)
    if b.universe == PARALLEL:
        b.assign("WantIOProxy", True)
        b.assign("JobRequiresSandbox", True)


def set_environment(b: Builder) -> None:
    """``environment``/``env`` (either syntax), ``environment2``, ``getenv``: Environment."""
    env1 = b.param("environment", "env")
    env2 = b.param("environment2")
    allow_v1, _ = b.param_bool("allow_environment_v1")
    prefer_v1 = False
    if env1 and not env2:
        plain = b.param("env")
        prefer_v1 = bool(plain) and not is_v2_quoted(plain)
    if env1 and env2 and not allow_v1:
        raise SubmitError("If you wish to specify both 'environment' and\n'environment2' for maximal "
                          "compatibility with different\nversions of Condor, then you must also specify\n"
                          "allow_environment_v1=true.")
    env = Environment()
    try:
        if env2:
            env.merge_v2_quoted(env2)
        elif env1:
            env.merge_v1_or_v2(env1)
    except ArgsError as e:
        raise SubmitError(f"{e}\nThe environment you specified was: '{env2 or env1}'") from None
    names = b.param("getenv", "get_env")
    if names:
        low = names.strip().lower()
        flag = {"true": True, "1": True, "false": False, "0": False}.get(low)
        if flag is None and re.fullmatch(r"(true|false|1|0)\s*", low):
            flag = low.strip() in ("true", "1")
        if flag is True:
            if not b.config_bool("SUBMIT_ALLOW_GETENV", True):
                raise SubmitError("\ngetenv = true command not allowed because administrator has set "
                                  "SUBMIT_ALLOW_GETENV = false")
            env.import_environ(EnvFilter(None, bool(env1 and not env2)), b.ctx.environ)
        elif flag is None:
            env.import_environ(EnvFilter(names, bool(env1 and not env2)), b.ctx.environ)
    has_env1 = b.has("Env")
    has_env2 = b.has("Environment")
    insert_v1 = prefer_v1
    insert_v2 = not insert_v1
    if not env1 and not env2 and not len(env) and (has_env1 or has_env2):
        insert_v1 = insert_v2 = False
    if insert_v1 and has_env2:
        insert_v2 = True
    if insert_v2 and has_env1:
        insert_v1 = True
    if insert_v1:
        try:
            b.assign("Env", env.v1_raw())
        except ArgsError as e:
            raise SubmitError(f"failed to insert environment into job ad: {e}") from None
        b.assign("EnvDelim", ";")
    if insert_v2:
        b.assign("Environment", env.v2_raw())


def set_job_status(b: Builder) -> None:
    """``hold``: JobStatus (5 and a HoldReason when held), EnteredCurrentStatus."""
    hold, _ = b.param_bool("hold")
    if hold:
        b.assign("JobStatus", 5)
        b.assign("HoldReasonCode", 15)
        b.assign("HoldReason", "submitted on hold at user's request")
    else:
        b.assign("JobStatus", 1)
    b.assign("EnteredCurrentStatus", b.submit_time)


def set_tdp(b: Builder) -> None:
    """``tool_daemon_cmd`` and friends: ToolDaemonCmd etc."""
    cmd = b.param("tool_daemon_cmd", "ToolDaemonCmd")
    if not cmd:
        return
    b.assign("ToolDaemonCmd", cmd)
    for key, attr in (("tool_daemon_input", "ToolDaemonInput"), ("tool_daemon_output", "ToolDaemonOutput"),
                      ("tool_daemon_error", "ToolDaemonError")):
        value = b.param(key, attr)
        if value:
            b.assign(attr, value)
    suspend, given = b.param_bool("suspend_job_at_exec", "SuspendJobAtExec")
    if given:
        b.assign("SuspendJobAtExec", suspend)
    args1 = b.param("tool_daemon_args")
    ext = b.param("tool_daemon_arguments", "ToolDaemonArgs")
    args2 = b.param("tool_daemon_arguments2")
    if ext and args1:
        raise SubmitError("you specified both tdp_daemon_args and tdp_daemon_arguments")
    args1 = ext or args1
    try:
        if args2:
            args, was_v1 = parse_arguments(args2)
        elif args1:
            args, was_v1 = parse_arguments(args1)
        else:
            return
    except ArgsError as e:
        raise SubmitError(f"failed to parse tool daemon arguments: {e}") from None
    if was_v1:
        if v1_string(args):
            b.assign("ToolDaemonArgs", v1_string(args))
    elif args:
        b.assign("ToolDaemonArguments", join_v2(args))


def _std_file(b: Builder, which: str, keys: tuple[str, str], attr: str, transfer_attr: str,
              stream_attr: str, transfer_key: str, stream_key: str) -> None:
    transfer = b.lookup_bool(transfer_attr)
    transfer = True if transfer is None else transfer
    must_set = False
    value, given = b.param_bool(transfer_key, transfer_attr, transfer)
    if given and value != transfer:
        must_set = True
        transfer = value
    stream = b.lookup_bool(stream_attr) or False
    stream, _ = b.param_bool(stream_key, stream_attr, stream)
    name = b.param(*keys)
    if name is not None or not b.has(attr):
        if not name or name == "/dev/null":
            transfer = stream = False
            name = "/dev/null"
        elif b.universe == VM:
            raise SubmitError("You cannot use input, ouput, and error parameters in the submit description file "
                              "for vm universe")
        b.assign(attr, name)
    if transfer:
        b.assign(stream_attr, stream)
        if must_set:
            b.assign(transfer_attr, transfer)
    else:
        b.assign(transfer_attr, False)


def set_stdin(b: Builder) -> None:
    """``input``: In, StreamIn, TransferIn."""
    _std_file(b, "input", ("input", "stdin"), "In", "TransferIn", "StreamIn", "transfer_input", "stream_input")


def set_stdout(b: Builder) -> None:
    """``output``: Out, StreamOut, TransferOut."""
    _std_file(b, "output", ("output", "stdout"), "Out", "TransferOut", "StreamOut", "transfer_output",
              "stream_output")


def set_stderr(b: Builder) -> None:
    """``error``: Err, StreamErr, TransferErr."""
    _std_file(b, "error", ("error", "stderr"), "Err", "TransferErr", "StreamErr", "transfer_error",
              "stream_error")


def set_credentials(b: Builder) -> None:
    """``x509userproxy``, ``use_scitokens``/``scitokens_file``: X509UserProxy, ScitokensFile."""
    proxy = b.param("x509userproxy")
    if proxy:
        b.assign("x509userproxy", full_path(b, proxy))
    lifetime = b.param("delegate_job_gsi_credentials_lifetime", "DelegateJobGSICredentialsLifetime")
    if lifetime:
        if not re.fullmatch(r"\s*[+-]?\d+", lifetime):
            raise SubmitError(f"invalid integer setting delegate_job_gsi_credentials_lifetime = {lifetime}")
        b.assign("DelegateJobGSICredentialsLifetime", int(lifetime))
    use_cmd = b.param("use_scitokens", "use_scitoken")
    token_file = b.param("scitokens_file", "ScitokensFile")
    use = bool(token_file)
    if use_cmd:
        if use_cmd.lower() == "auto":
            use = bool(token_file) or bool(b.ctx.environ.get("BEARER_TOKEN_FILE"))
        else:
            flag = {"true": True, "1": True, "false": False, "0": False}.get(use_cmd.strip().lower())
            if flag is None:
                raise SubmitError("use_scitokens error. Value should be true, false, or auto.")
            use = flag
    if use:
        path = token_file or b.ctx.environ.get("BEARER_TOKEN_FILE")
        if not path:
            raise SubmitError("No Scitokens filename specified. Expected either scitokens_file command or the "
                              "BEARER_TOKEN_FILE environment variable to be set.")
        b.assign("ScitokensFile", full_path(b, path))


def set_notification(b: Builder) -> None:
    """``notification``: JobNotification (never 0, always 1, complete 2, error 3)."""
    how = b.param("notification", "JobNotification") or b.config("JOB_DEFAULT_NOTIFICATION")
    codes = {"never": 0, "always": 1, "complete": 2, "error": 3}
    if how is None:
        code = 0
    else:
        code = codes.get(how.lower())
        if code is None:
            raise SubmitError("Notification must be 'Never', 'Always', 'Complete', or 'Error'")
    b.assign("JobNotification", code)


def set_rank(b: Builder) -> None:
    """``rank``/``preferences``: Rank (0.0 by default)."""
    rank = b.param("rank", "preferences")
    default = append = None
    if b.universe == VANILLA:
        default = b.config("DEFAULT_RANK_VANILLA")
        append = b.config("APPEND_RANK_VANILLA")
    default = default or b.config("DEFAULT_RANK")
    append = append or b.config("APPEND_RANK")
    value = rank or default
    if append:
        value = f"({value}) + ({append})" if value else append
    if value:
        b.assign_expr("Rank", value)
    else:
        b.assign("Rank", 0.0)


def set_periodic(b: Builder) -> None:
    """``periodic_hold``/``_release``/``_remove``/``_vacate`` and the hold reasons: Periodic*, OnExitHoldReason."""
    for key, attr in (("periodic_hold", "PeriodicHold"), ("periodic_hold_reason", "PeriodicHoldReason"),
                      ("periodic_hold_subcode", "PeriodicHoldSubCode"), ("periodic_release", "PeriodicRelease"),
                      ("periodic_remove", "PeriodicRemove"), ("periodic_vacate", "PeriodicVacate"),
                      ("on_exit_hold_reason", "OnExitHoldReason"), ("on_exit_hold_subcode", "OnExitHoldSubCode")):
        value = b.param(key, attr)
        if value:
            b.assign_expr(attr, value)


def set_leave_in_queue(b: Builder) -> None:
    """``leave_in_queue``: LeaveJobInQueue (false by default)."""
    value = b.param("leave_in_queue", "LeaveJobInQueue")
    if value is None:
        if not b.has("LeaveJobInQueue"):
            b.assign("LeaveJobInQueue", False)
    else:
        b.assign_expr("LeaveJobInQueue", value)


def _wrap_for_or(text: str) -> str | None:
    """``text`` parsed, and put in parentheses if it would bind looser than ``||``; None when invalid."""
    import classad

    try:
        tree = classad.ExprTree(text)
    except Exception:
        return None
    canon = repr(tree)
    if _needs_parens(canon):
        return "(" + canon + ")"
    return text


def _needs_parens(canon: str) -> bool:
    """Whether an expression's top level is a conditional (``?:``), which binds looser than ``||``."""
    depth = 0
    quote = None
    i = 0
    while i < len(canon):
        c = canon[i]
        if quote:
            if c == "\\":
                i += 2
                continue
            if c == quote:
                quote = None
        elif c in "\"'":
            quote = c
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif depth == 0 and c == "?":
            return True
        i += 1
    return False


def _is_constant_integer(text: str) -> int | None:
    import classad

    try:
        tree = classad.ExprTree(text)
    except Exception:
        return None
    probe = classad.ClassAd()
    if probe.externalRefs(tree) or probe.internalRefs(tree):
        return None
    return as_integer(text)


def set_job_retries(b: Builder) -> None:
    """``max_retries``, ``retry_until``, ``success_exit_code``, ``on_exit_remove``/``_hold``: OnExit*, JobMaxRetries."""
    erc = b.param("on_exit_remove", "OnExitRemove") or ""
    ehc = b.param("on_exit_hold", "OnExitHold") or ""
    num_retries = b.param_int("max_retries", "JobMaxRetries")
    success = b.param_int("success_exit_code", "JobSuccessExitCode", int_range=True)
    retry_until = b.param("retry_until") or ""
    if num_retries is None and success is None and not retry_until:
        if erc:
            b.assign_expr("OnExitRemove", erc)
        if ehc:
            b.assign_expr("OnExitHold", ehc)
        return
    if retry_until:
        valid = True
        code = _is_constant_integer(retry_until)
        if code is not None:
            if not -2 ** 31 <= code < 2 ** 31:
                valid = False
            retry_until = f"ExitCode =?= {code}"
        else:
            wrapped = _wrap_for_or(retry_until)
            if wrapped is None:
                valid = False
            else:
                retry_until = wrapped
        if not valid:
            raise SubmitError(f"retry_until={retry_until} is invalid, it must be an integer or boolean expression.")
    if num_retries is None and not b.has("JobMaxRetries"):
        num_retries = int(b.config("DEFAULT_JOB_MAX_RETRIES") or 2)
    if num_retries is not None:
        b.assign("JobMaxRetries", num_retries)
    if ehc:
        b.assign_expr("OnExitHold", ehc)
    elif not b.has("OnExitHold"):
        b.assign("OnExitHold", False)
    if b.has("OnExitRemove") and success is None and not retry_until:
        return
    if success is not None:
        b.assign("JobSuccessExitCode", success)
        code_check = "JobSuccessExitCode"
    else:
        code_check = "0"
    if retry_until:
        code_check += " || " + retry_until
    onexit = "NumJobCompletions > JobMaxRetries || ExitCode =?= " + code_check
    if erc:
        wrapped = _wrap_for_or(erc)
        if wrapped is None:
            raise SubmitError(f"on_exit_remove={erc} is invalid, it must be a boolean expression.")
        onexit += " || " + wrapped
    b.assign_expr("OnExitRemove", onexit)


def _signal_name(text: str | None) -> str | None:
    if text is None:
        return None
    m = re.match(r"\s*([+-]?\d+)", text)
    number = int(m.group(1)) if m else 0
    if number:
        try:
            return signal.Signals(number).name
        except ValueError:
            raise SubmitError(f"invalid signal {text}") from None
    name = text.upper()
    probe = name if name.startswith("SIG") else "SIG" + name
    if not hasattr(signal.Signals, probe) and probe not in ("SIGCLD", "SIGPOLL", "SIGIOT"):
        raise SubmitError(f"invalid signal {text}")
    return name


def set_kill_sig(b: Builder) -> None:
    """``kill_sig``, ``remove_kill_sig``, ``hold_kill_sig``, ``kill_sig_timeout``."""
    name = _signal_name(b.param("kill_sig", "KillSig"))
    if name is None and b.universe != VANILLA:
        name = "SIGTERM"
    if name:
        b.assign("KillSig", name)
    for key, attr in (("remove_kill_sig", "RemoveKillSig"), ("hold_kill_sig", "HoldKillSig")):
        name = _signal_name(b.param(key, attr))
        if name:
            b.assign(attr, name)
    timeout = b.param("kill_sig_timeout", "KillSigTimeout")
    if timeout:
        m = re.match(r"\s*([+-]?\d+)", timeout)
        b.assign("KillSigTimeout", int(m.group(1)) if m else 0)


def set_container_special(b: Builder) -> None:
    """``container_service_names`` and ``<name>_container_port``."""
    if not (b.is_docker or b.is_container):
        return
    services = b.param("container_service_names", "ContainerServiceNames")
    if not services:
        return
    b.assign("ContainerServiceNames", services)
    for service in (s for s in re.split(r"[ ,\t\r\n]+", services) if s):
        port = b.param_int(service + "_container_port", int_range=True)
        if port is None or not 0 <= port <= 65535:
            raise SubmitError(f"Requested container service '{service}' was not assigned a port, or the "
                              "assigned port was not valid.")
        b.assign(service + "_ContainerPort", port)


def set_concurrency_limits(b: Builder) -> None:
    """``concurrency_limits`` (lower-cased, sorted) or ``concurrency_limits_expr``: ConcurrencyLimits."""
    limits = b.param("concurrency_limits") or ""
    expr = b.param("concurrency_limits_expr") or ""
    if limits:
        if expr:
            raise SubmitError("concurrency_limits and concurrency_limits_expr can't be used together")
        items = sorted(x for x in re.split(r"[ ,\t\r\n]+", limits.lower()) if x)
        for item in items:
            name, colon, amount = item.partition(":")
            if colon:
                try:
                    float(amount)
                except ValueError:
                    raise SubmitError(f"Invalid concurrency limit '{item}'") from None
        if items:
            b.assign("ConcurrencyLimits", ",".join(items))
    elif expr:
        b.assign_expr("ConcurrencyLimits", expr)


def _valid_submitter(name: str) -> bool:
    return bool(name) and not any(c.isspace() for c in name)


def set_accounting_group(b: Builder) -> None:
    """``accounting_group``, ``accounting_group_user``, ``nice_user``: AcctGroup, AcctGroupUser, AccountingGroup."""
    group = b.param("accounting_group", "AccountingGroup")
    nice, _ = b.param_bool("nice_user", "NiceUser")
    if nice:
        if not group:
            group = b.config("NICE_USER_ACCOUNTING_GROUP_NAME")
        b.assign("MaxJobRetirementTime", 0)
    user = b.param("accounting_group_user", "AcctGroupUser")
    if not group and not user:
        return
    group_user = user or b.username
    if group and not _valid_submitter(group):
        raise SubmitError(f"Invalid accounting_group: {group}")
    if not _valid_submitter(group_user):
        raise SubmitError(f"Invalid accounting_group_user: {group_user}")
    b.assign("AcctGroupUser", group_user)
    if group:
        b.assign("AcctGroup", group)
        b.assign("AccountingGroup", f"{group}.{group_user}")
    else:
        b.assign("AccountingGroup", group_user)


_OAUTH_KEY = re.compile(r"_oauth_(permissions|resource|options)", re.I)


def oauth_service_names(wanted: str, keys) -> list[str]:
    """The OAuth services a description needs, as ``service`` or ``service*handle`` names.

    ``wanted`` is the expanded ``use_oauth_services`` value; ``keys`` the
    description's command names, in the order that decides which spelling
    wins when two differ only in case.  A ``<service>_oauth_permissions``,
    ``_resource`` or ``_options`` key with a ``_<handle>`` suffix asks for a
    token with that handle, and then the bare service is only needed when
    a key without a handle names it too.  Names compare without regard to
    case; the result is sorted that way.

    >>> oauth_service_names("box, gdrive", ["box_oauth_permissions_work", "gdrive_oauth_resource"])
    ['box*work', 'gdrive']
    """
    enabled: dict[str, str] = {}
    for name in re.split(r"[ ,\t\r\n]+", wanted):
        if name:
            enabled.setdefault(name.lower(), name)
    with_handles: set[str] = set()
    names: dict[str, str] = {}
    for key in keys:
        if key.startswith("+") or key.lower().startswith("my."):
            continue
        m = _OAUTH_KEY.search(key)
        if m is None:
            continue
        service = key[:m.start()]
        if service.lower() not in enabled:
            continue
        if m.end() < len(key):
            with_handles.add(service.lower())
            service += "*" + key[m.end() + 1:]
        names.setdefault(service.lower(), service)
    for low, name in enabled.items():
        if low not in with_handles:
            names.setdefault(low, name)
    return sorted(names.values(), key=str.lower)


# (ad attribute, submit key suffix, configuration suffix) of an OAuth request ad.
_OAUTH_REQUEST_FIELDS = (("Scopes", "PERMISSIONS", "SCOPES"), ("Audience", "RESOURCE", "AUDIENCE"),
                         ("Options", "OPTIONS", "OPTIONS"))


def oauth_request(name: str, param, config) -> dict[str, str]:
    """The request for one service of :func:`oauth_service_names`, as attribute -> value.

    ``param(key)`` gives an expanded submit value (None or "" when unset),
    ``config(name)`` a configuration value.  A field missing from the
    description comes from ``<SERVICE>_DEFAULT_<FIELD>`` in the
    configuration, unless ``<SERVICE>_USER_DEFINE_<FIELD>`` starts with
    ``R`` (required): then :class:`ValueError` names the submit key to set.

    >>> oauth_request("box*work", {"box_OAUTH_PERMISSIONS_work": "read"}.get, lambda name: None)
    {'Service': 'box', 'Handle': 'work', 'Scopes': 'read'}
    """
    service, _, handle = name.partition("*")
    request = {"Service": service}
    if handle:
        request["Handle"] = handle
    for attr, key_suffix, config_suffix in _OAUTH_REQUEST_FIELDS:
        key = f"{service}_OAUTH_{key_suffix}" + (f"_{handle}" if handle else "")
        value = param(key)
        if not value:
            if (config(f"{service}_USER_DEFINE_{config_suffix}") or "").startswith("R"):
                raise ValueError(f"You must specify {key} to use OAuth service {service}.")
            value = config(f"{service}_DEFAULT_{config_suffix}")
        if value:
            request[attr] = value
    return request


def set_oauth(b: Builder) -> None:
    """``use_oauth_services``: OAuthServicesNeeded."""
    wanted = b.param("use_oauth_services", "UseOAuthServices")
    if not wanted:
        return
    # condor_submit scans its (sorted) table of commands.
    keys = sorted(b.names(), key=str.lower)
    b.assign("OAuthServicesNeeded", ",".join(oauth_service_names(wanted, keys)))
