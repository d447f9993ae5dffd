"""Submit commands to job attributes, part two: resources, simple commands, file transfer and Requirements.

Also defines :data:`STEPS`, the order in which every step runs.
"""

from __future__ import annotations

import re

import classad

from . import _submit_ads as ads
from ._submit_ads import GRID, JAVA, LOCAL, MPI, PARALLEL, SCHEDULER, VANILLA, VM, full_path, image_size_kb
from ._submit_builder import Builder, SubmitError
from ._submit_units import as_boolean, as_integer, is_literal_number, parse_bytes, strip_quotes, unit_suffix

__all__ = ["STEPS", "SIMPLE_COMMANDS"]

# kind: e (expression), s (string), b (boolean), i (integer), u (non-negative integer)
# flags: q (strip quotes), l (comma list), f (make a file name absolute), a (alternate name of the previous entry)
SIMPLE_COMMANDS = [
    ("next_job_start_delay", "NextJobStartDelay", "e", ""),
    ("keep_claim_idle", "KeepClaimIdle", "e", ""),
    ("job_ad_information_attrs", "JobAdInformationAttrs", "s", ""),
    ("ulog_execute_attrs", "UserLogExecuteEventAttrs", "s", ""),
    ("max_idle", "JobMaterializeMaxIdle", "e", ""),
    ("materialize_max_idle", "JobMaterializeMaxIdle", "e", "a"),
    ("docker_network_type", "DockerNetworkType", "s", ""),
    ("docker_pull_policy", "DockerPullPolicy", "s", ""),
    ("docker_override_entrypoint", "DockerOverrideEntrypoint", "b", ""),
    ("container_target_dir", "ContainerTargetDir", "s", "q"),
    ("transfer_container", "TransferContainer", "b", ""),
    ("transfer_plugins", "TransferPlugins", "s", ""),
    ("want_io_proxy", "WantIOProxy", "b", ""),
    ("starter_debug", "JobStarterDebug", "s", "q"),
    ("starter_log", "JobStarterLog", "s", "qf"),
    ("job_machine_attrs", "JobMachineAttrs", "s", ""),
    ("job_machine_attrs_history_length", "JobMachineAttrsHistoryLength", "i", ""),
    ("notify_user", "NotifyUser", "s", ""),
    ("email_attributes", "EmailAttributes", "s", "l"),
    ("remote_initialdir", "RemoteIwd", "s", ""),
    ("Remote_grid_resource", "Remote_GridResource", "s", ""),
    ("Remote_Remote_grid_resource", "Remote_Remote_GridResource", "s", ""),
    ("output_destination", "OutputDestination", "s", ""),
    ("want_graceful_removal", "WantGracefulRemoval", "e", ""),
    ("job_max_vacate_time", "JobMaxVacateTime", "e", ""),
    ("encrypt_execute_directory", "EncryptExecuteDirectory", "b", ""),
    ("encrypt_input_files", "EncryptInputFiles", "s", ""),
    ("encrypt_output_files", "EncryptOutputFiles", "s", ""),
    ("dont_encrypt_input_files", "DontEncryptInputFiles", "s", ""),
    ("dont_encrypt_output_files", "DontEncryptOutputFiles", "s", ""),
    ("load_profile", "LoadProfile", "b", ""),
    ("file_remaps", "FileRemaps", "e", ""),
    ("buffer_files", "BufferFiles", "e", ""),
    ("buffer_size", "BufferSize", "e", ""),
    ("buffer_block_size", "BufferBlockSize", "e", ""),
    ("fetch_files", "FetchFiles", "s", ""),
    ("compress_files", "CompressFiles", "s", ""),
    ("append_files", "AppendFiles", "s", ""),
    ("local_files", "LocalFiles", "s", ""),
    ("log", "UserLog", "s", "f"),
    ("dagman_log", "DAGManNodesLog", "s", "f"),
    ("log_xml", "UserLogUseXML", "b", ""),
    ("noop_job", "IsNoopJob", "e", ""),
    ("noop_job_exit_signal", "NoopJobExitSignal", "e", ""),
    ("noop_job_exit_code", "NoopJobExitCode", "e", ""),
    ("dag_node_name", "DAGNodeName", "s", ""),
    ("match_list_length", "LastMatchListLength", "i", ""),
    ("dagman_job_id", "DAGManJobId", "u", ""),
    ("submit_event_notes", "SubmitEventNotes", "s", ""),
    ("submit_event_user_notes", "SubmitEventUserNotes", "s", ""),
    ("stack_size", "StackSize", "e", ""),
    ("jar_files", "JarFiles", "s", ""),
    ("parallel_script_shadow", "ParallelScriptShadow", "s", ""),
    ("parallel_script_starter", "ParallelScriptStarter", "s", ""),
    ("cron_minute", "CronMinute", "s", ""),
    ("cron_hour", "CronHour", "s", ""),
    ("cron_day_of_month", "CronDayOfMonth", "s", ""),
    ("cron_month", "CronMonth", "s", ""),
    ("cron_day_of_week", "CronDayOfWeek", "s", ""),
    ("description", "JobDescription", "s", ""),
    ("batch_name", "JobBatchName", "s", "q"),
    ("batch_id", "JobBatchId", "s", "q"),
    ("max_job_retirement_time", "MaxJobRetirementTime", "e", ""),
    ("job_lease_duration", "JobLeaseDuration", "e", ""),
    ("core_size", "CoreSize", "i", ""),
    ("priority", "JobPrio", "i", ""),
    ("prio", "JobPrio", "i", "a"),
    ("run_as_owner", "RunAsOwner", "b", ""),
    ("max_transfer_input_mb", "MaxTransferInputMB", "e", ""),
    ("max_transfer_output_mb", "MaxTransferOutputMB", "e", ""),
    ("manifest", "ManifestDesired", "b", ""),
    ("manifest_dir", "ManifestDir", "s", ""),
    ("checkpoint_exit_code", "SuccessCheckpointExitCode", "i", ""),
    ("checkpoint_destination", "CheckpointDestination", "s", ""),
    ("aws_region", "AWSRegion", "s", ""),
    ("aws_access_key_id_file", "EC2AccessKeyId", "s", ""),
    ("aws_secret_access_key_file", "EC2SecretAccessKey", "s", ""),
    ("s3_access_key_id_file", "EC2AccessKeyId", "s", ""),
    ("s3_secret_access_key_file", "EC2SecretAccessKey", "s", ""),
    ("gs_access_key_id_file", "EC2AccessKeyId", "s", ""),
    ("gs_secret_access_key_file", "EC2SecretAccessKey", "s", ""),
    ("erase_output_and_error_on_restart", "EraseOutputAndErrorOnRestart", "b", ""),
    ("transfer_checkpoint_files", "TransferCheckpoint", "s", ""),
    ("preserve_relative_paths", "PreserveRelativePaths", "b", ""),
    ("cuda_version", "CUDAVersion", "s", ""),
    ("skip_if_dataflow", "SkipIfDataflow", "b", ""),
    ("allowed_job_duration", "AllowedJobDuration", "e", ""),
    ("allowed_execute_duration", "AllowedExecuteDuration", "e", ""),
    ("jobset", "JobSetName", "s", "q"),
]
# Commands handled by their own steps; "request_<name>" with these names is not a custom resource.
_DISALLOWED_REQUESTS = {"request_gpu_memory", "request_gpus_memory"}


def set_simple_commands(b: Builder) -> None:
    """The commands that become one attribute each (see :data:`SIMPLE_COMMANDS`)."""
    last_existed = False
    for key, attr, kind, flags in SIMPLE_COMMANDS:
        if "a" in flags and last_existed:
            last_existed = False
            continue
        value = b.param(key, attr)
        last_existed = value is not None
        if value is None:
            continue
        if kind == "s":
            text = strip_quotes(value) if "q" in flags else value
            if "l" in flags:
                text = ",".join(x for x in re.split(r"[ ,\t\r\n]+", text) if x)
            if "f" in flags and text:
                text = full_path(b, text)
            b.assign(attr, text)
        elif kind == "b":
            flag = as_boolean(value)
            if flag is None:
                raise SubmitError(f"{key}={value} is invalid, must eval to a boolean.")
            b.assign(attr, flag)
        elif kind in ("i", "u"):
            number = as_integer(value)
            if number is None:
                raise SubmitError(f"{key}={value} is invalid, must eval to an integer.")
            if kind == "u" and number < 0:
                raise SubmitError(f"{key}={value} is invalid, must eval to a non-negative integer.")
            b.assign(attr, number)
        else:
            b.assign_expr(attr, value, key)


# -- resources -----------------------------------------------------------------------------------------------

def _sized_request(b: Builder, key: str, attr: str, default_param: str, base: int, unit_name: str) -> None:
    value = b.param(key, attr)
    if value is None:
        if b.has(attr) or not b.use_default_resources:
            return
        value = b.config(default_param)
        if value is None:
            return
    size = parse_bytes(value, base)
    if size is not None:
        missing = b.config("SUBMIT_REQUEST_MISSING_UNITS")
        if missing and not unit_suffix(value) and missing.lower() == "error":
            raise SubmitError(f"\nERROR: {key}={value} defaults to {unit_name}, but must contain a units suffix "
                              "(i.e K, M, or B)")
        b.assign(attr, size)
    elif value.lower() == "undefined":
        pass
    else:
        b.assign_expr(attr, value, key)


def set_request_memory(b: Builder) -> None:
    value = b.param("request_memory", "RequestMemory")
    if value is None and not b.has("RequestMemory") and b.has("JobVMMemory"):
        b.assign_expr("RequestMemory", "MY.JobVMMemory")
        return
    _sized_request(b, "request_memory", "RequestMemory", "JOB_DEFAULT_REQUESTMEMORY", 1024 * 1024, "megabytes")


def set_request_disk(b: Builder) -> None:
    _sized_request(b, "request_disk", "RequestDisk", "JOB_DEFAULT_REQUESTDISK", 1024, "kilobytes")


def _plain_request(b: Builder, key: str, attr: str, default_param: str) -> None:
    value = b.param(key, attr)
    if value is None:
        if b.has(attr) or not b.use_default_resources:
            return
        value = b.config(default_param)
    if value is not None and value.lower() != "undefined":
        b.assign_expr(attr, value, key)


def set_request_cpus(b: Builder) -> None:
    _plain_request(b, "request_cpus", "RequestCpus", "JOB_DEFAULT_REQUESTCPUS")


def set_request_gpus(b: Builder) -> None:
    _plain_request(b, "request_gpus", "RequestGPUs", "JOB_DEFAULT_REQUESTGPUS")
    if not b.has("RequestGPUs"):
        return
    require = b.param("require_gpus", "RequireGPUs")
    if require:
        b.assign_expr("RequireGPUs", require)
    for key, attr in (("gpus_minimum_capability", "GPUsMinCapability"),
                      ("gpus_maximum_capability", "GPUsMaxCapability")):
        value = b.param(key, attr)
        if value:
            b.assign_expr(attr, value)
    memory = b.param("gpus_minimum_memory", "GPUsMinMemory")
    if memory:
        size = parse_bytes(memory, 1024 * 1024)
        if size is not None:
            b.assign("GPUsMinMemory", size)
        else:
            b.assign_expr("GPUsMinMemory", memory)
    runtime = b.param("gpus_minimum_runtime", "GPUsMinRuntime")
    if runtime:
        m = re.fullmatch(r"\s*(\d+)(?:\.(\d+))?\s*", runtime)
        if m and (m.group(2) is None or int(m.group(2)) < 100):
            major = int(m.group(1))
            minor = int(m.group(2)) if m.group(2) is not None else -1
            if minor == -1 and major > 1000:
                version = major
            else:
                version = major * 1000 + (minor * 10 if minor > 0 else 0)
            b.assign("GPUsMinRuntime", version)
        else:
            b.assign_expr("GPUsMinRuntime", runtime)


_SPECIAL_REQUESTS = {"request_cpus": set_request_cpus, "request_cpu": None, "request_gpus": set_request_gpus,
                     "request_gpu": None, "request_disk": set_request_disk, "request_memory": set_request_memory}


def set_request_resources(b: Builder) -> None:
    """``request_cpus``, ``request_memory``, ``request_disk`` (with units), ``request_gpus``, ``request_<X>``."""
    done = set()
    for key in b.names():
        low = key.lower()
        if not low.startswith("request_"):
            continue
        if low in _SPECIAL_REQUESTS:
            fn = _SPECIAL_REQUESTS[low]
            if fn is not None:
                fn(b)
                done.add(low)
            continue
        name = key[len("request_"):]
        if len(name) < 2 or name.startswith("_") or low in _DISALLOWED_REQUESTS:
            continue
        value = b.param(key)
        if value is None:
            continue
        b.assign_expr("Request" + name, value, key)
    for low in ("request_cpus", "request_gpus", "request_disk", "request_memory"):
        if low not in done:
            _SPECIAL_REQUESTS[low](b)


def set_job_deferral(b: Builder) -> None:
    """``deferral_time``, ``deferral_window``/``cron_window``, ``deferral_prep_time``/``cron_prep_time``."""
    def checked(attr: str, key: str, text: str) -> None:
        b.assign_expr(attr, text, key)
        number = is_literal_number(text)
        if number is not None and (number != int(number) or number < 0 or "." in text):
            raise SubmitError(f"{key} = {text} is invalid, must eval to a non-negative integer.")

    value = b.param("deferral_time", "DeferralTime")
    if value is not None:
        checked("DeferralTime", "deferral_time", value)
    if _needs_deferral(b):
        window = b.param("cron_window", "CronWindow") or b.param("deferral_window", "DeferralWindow")
        if window is not None:
            checked("DeferralWindow", "deferral_window", window)
        else:
            b.assign("DeferralWindow", 0)
        prep = b.param("cron_prep_time", "CronPrepTime") or b.param("deferral_prep_time", "DeferralPrepTime")
        if prep is not None:
            checked("DeferralPrepTime", "deferral_prep_time", prep)
        else:
            b.assign("DeferralPrepTime", 300)


def _needs_deferral(b: Builder) -> str | None:
    for attr in ("CronMinute", "CronHour", "CronDayOfMonth", "CronMonth", "CronDayOfWeek", "DeferralTime"):
        if b.has(attr):
            return attr
    return None


def set_image_size(b: Builder) -> None:
    """``image_size``: ExecutableSize and ImageSize (KiB)."""
    if b.universe != VM and b.lookup("\x00proc") < 1:
        cmd = b.lookup_string("Cmd") or ""
        size = 0
        if cmd and (b.universe != GRID or b.grid_type.lower() not in ("ec2", "gce", "azure")):
            size = image_size_kb(b, cmd)
        b.assign("ExecutableSize", size)
    value = b.param("image_size", "ImageSize")
    if value:
        size = parse_bytes(value, 1024)
        if size is None or size < 1:
            raise SubmitError("Image Size must be positive")
        b.assign("ImageSize", size)
    elif not b.has("ImageSize"):
        b.assign("ImageSize", b.lookup_int("ExecutableSize") or 0)


def _split_files(text: str) -> list[str]:
    return [x.strip() for x in text.split(",") if x.strip()]


def set_transfer_files(b: Builder) -> None:
    """``transfer_input_files``, ``transfer_output_files``, ``should_transfer_files``, ``when_to_transfer_output``."""
    size_kb = 0
    inputs: list[str] = []
    outputs: list[str] = []
    value = b.param("transfer_input_files", "TransferInputFiles")
    if value and value != '""':
        inputs = _split_files(value)
    for name in inputs:
        size_kb += image_size_kb(b, name)
    in_given = bool(inputs)
    if b.is_container and _container_input(b, inputs):
        in_given = True
        size_kb += image_size_kb(b, inputs[-1])
    transfer_in = b.lookup_bool("TransferIn")
    if transfer_in is None or transfer_in:
        stdin = b.lookup_string("In") or ""
        if stdin:
            size_kb += image_size_kb(b, stdin)
    out_given = False
    value = b.param("transfer_output_files", "TransferOutputFiles")
    if value:
        if value == '""':
            out_given = True
        else:
            outputs = _split_files(value)
            out_given = bool(outputs)
    should = b.param("ShouldTransferFiles", "should_transfer_files")
    default_should = False
    if not should:
        should = b.lookup_string("ShouldTransferFiles")
        if not should:
            config = b.config("SUBMIT_DEFAULT_SHOULD_TRANSFER_FILES")
            if config and config.upper() in ("YES", "NO", "IF_NEEDED"):
                should = config
                default_should = True
    if not should:
        should_code = "IF_NEEDED"
        default_should = True
    else:
        should_code = {"yes": "YES", "no": "NO", "if_needed": "IF_NEEDED"}.get(should.lower(), "")
        if not should_code:
            raise SubmitError(f"\nERROR: invalid value ({should}) for ShouldTransferFiles.  Please either specify "
                              "YES, NO, or IF_NEEDED and try again.")
    if should_code == "NO" and (in_given or out_given):
        what = "transfer_input_files" if in_given else "transfer_output_files"
        if in_given and out_given:
            what = 'transfer_input_files" and "transfer_output_files'
        raise SubmitError(f'\nERROR: you specified files you want Condor to transfer via "{what}", but you '
                          "disabled should_transfer_files.")
    when = b.param("WhenToTransferOutput", "when_to_transfer_output") or b.lookup_string("WhenToTransferOutput")
    if not when:
        when_code = "ON_EXIT"
        default_when = True
    else:
        when_code = {"on_exit": "ON_EXIT", "on_exit_or_evict": "ON_EXIT_OR_EVICT", "on_success": "ON_SUCCESS",
                     "never": "NEVER"}.get(when.lower(), "")
        if not when_code:
            raise SubmitError(f"\nERROR: invalid value ({when}) for WhenToTransferOutput.  Please either specify "
                              "ON_EXIT, or ON_EXIT_OR_EVICT and try again.")
        default_when = False
    if not default_should and default_when and should_code == "NO":
        when_code = "NEVER"
    if (should_code == "NO") != (when_code == "NEVER"):
        raise SubmitError(f"\nERROR: WhenToTransferOutput specified as {when or when_code} yet ShouldTransferFiles "
                          f"defined as {should or should_code}.  Please remove this contradiction from your "
                          "submit file and try again.")
    if default_should and when_code == "ON_EXIT_OR_EVICT" and should_code == "IF_NEEDED":
        should_code = "YES"
    if when_code == "ON_EXIT_OR_EVICT" and should_code == "IF_NEEDED":
        raise SubmitError('\nERROR: "when_to_transfer_output = ON_EXIT_OR_EVICT" and "should_transfer_files = '
                          'IF_NEEDED" are incompatible.')
    b.assign("ShouldTransferFiles", should_code)
    if should_code != "NO":
        b.assign("WhenToTransferOutput", when_code)
    if should_code != "YES" and not b.has("FileSystemDomain"):
        domain = b.config("FILESYSTEM_DOMAIN")
        if domain:
            b.assign("FileSystemDomain", domain)
    tdp = b.lookup_string("ToolDaemonCmd")
    if should_code != "NO" and tdp:
        for extra in (tdp, b.lookup_string("ToolDaemonInput")):
            if extra and extra not in inputs:
                inputs.append(extra)
                size_kb += image_size_kb(b, extra)
    if should_code != "NO" and b.universe == JAVA:
        cmd = b.lookup_string("Cmd")
        if cmd and cmd != "java" and cmd not in inputs:
            inputs.append(cmd)
            size_kb += image_size_kb(b, cmd)
        jars = b.lookup_string("JarFiles")
        if jars:
            for jar in _split_files(jars):
                inputs.append(jar)
                size_kb += image_size_kb(b, jar)
        b.assign("Cmd", "java")
        b.assign("TransferExecutable", False)
    disk = b.param("disk_usage", "DiskUsage")
    if disk:
        kb = parse_bytes(disk, 1024)
        if kb is None or kb < 1:
            raise SubmitError(f"'{disk}' is not valid for disk_usage. It must be >= 1")
        b.assign("DiskUsage", kb)
    else:
        exe_kb = b.lookup_int("ExecutableSize") or 0
        b.assign("TransferInputSizeMB", (exe_kb + size_kb) // 1024)
        b.assign("DiskUsage", exe_kb + size_kb)
    if should_code != "NO":
        if in_given:
            b.assign("TransferInput", ",".join(inputs))
        if out_given:
            b.assign("TransferOutput", ",".join(outputs))
    if should_code == "NO" and b.universe not in (GRID, JAVA, VM):
        explicit, _ = b.param_bool("transfer_executable", "TransferExecutable", False)
        if explicit:
            raise SubmitError("\nERROR: You explicitly requested that the executable be transfered, but for this "
                              "to work, you must enable Condor's file transfer functionality.")
    remaps = b.param("transfer_output_remaps", "TransferOutputRemaps")
    if remaps:
        if len(remaps) < 2 or remaps[0] != '"' or remaps[-1] != '"':
            raise SubmitError(f"transfer_output_remaps must be a quoted string, not: {remaps}")
        b.assign("TransferOutputRemaps", remaps[1:-1])


def _container_input(b: Builder, inputs: list[str]) -> bool:
    image = b.param("container_image", "ContainerImage")
    transfer = b.lookup_bool("TransferContainer")
    if transfer is False:
        b.assign("ContainerImageSource", "local")
        return False
    if not image:
        return False
    for base in (x for x in (b.config("CONTAINER_SHARED_FS") or "").split(",") if x.strip()):
        if image.startswith(base.strip()):
            b.assign("ContainerImageSource", "local")
            return False
    for prefix in ("docker://", "oras://"):
        if image.startswith(prefix):
            b.assign("ContainerImageSource", prefix[:-3])
            return False
    inputs.append(image)
    trimmed = image[:-1] if image.endswith("/") else image
    b.assign("ContainerImage", trimmed.rsplit("/", 1)[-1])
    source = trimmed.split(":", 1)[0] if ":" in trimmed else "cedar"
    b.assign("ContainerImageSource", source)
    return True


# -- attributes made from other attributes ----------------------------------------------------------------------

def set_auto_attributes(b: Builder) -> None:
    """MinHosts/MaxHosts/CurrentHosts, JobLeaseDuration, JobPrio and other defaults."""
    if not b.has("MaxHosts") and b.universe != MPI:
        b.assign("MinHosts", 1)
        b.assign("MaxHosts", 1)
    if not b.has("CurrentHosts"):
        b.assign("CurrentHosts", 0)
    if b.has("SuccessCheckpointExitCode"):
        b.assign("WantFTOnCheckpoint", True)
    if not b.has("MaxJobRetirementTime") and b.lookup_bool("NiceUser"):
        b.assign("MaxJobRetirementTime", 0)
    if b.universe in (VANILLA, JAVA, PARALLEL, VM) and not b.has("JobLeaseDuration"):
        lease = b.config("JOB_DEFAULT_LEASE_DURATION")
        if lease:
            b.assign_expr("JobLeaseDuration", lease)
    if not b.has("JobPrio"):
        b.assign("JobPrio", 0)
    if b.has("JobStarterLog") and not b.has("JobStarterDebug"):
        b.assign("JobStarterDebug", True)


def report_common_mistakes(b: Builder) -> None:
    """Checks that condor_submit reports as errors (and a too-short job lease)."""
    history = b.lookup_int("JobMachineAttrsHistoryLength")
    if history is not None and not 0 <= history <= 2 ** 31 - 1:
        raise SubmitError(f"job_machine_attrs_history_length={history} is out of bounds 0 to {2 ** 31 - 1}")
    lease = b.lookup("JobLeaseDuration")
    if isinstance(lease, int) and not isinstance(lease, bool) and 0 < lease < 20:
        b.assign("JobLeaseDuration", 20)
    elif lease is not None and not isinstance(lease, (int, float, str, bool)):
        number = is_literal_number(lease.text)
        if number is not None and number == int(number) and 0 < number < 20 and "." not in lease.text:
            b.assign("JobLeaseDuration", 20)
    if b.universe == SCHEDULER and b.has("DeferralTime"):
        what = _needs_deferral(b) or "DeferralTime"
        raise SubmitError(f"{what} does not work for scheduler universe jobs.\nConsider submitting this job "
                          "using the local universe, instead")


def set_forced_attributes(b: Builder) -> None:
    """``+Attr = value`` and ``MY.Attr = value``: Attr, an expression (``undefined`` when empty)."""
    for key in b.names():
        if key.startswith("+"):
            attr = key[1:]
        elif key[:3].lower() == "my.":
            attr = key[3:]
        else:
            continue
        value = b.param(key)
        b.assign_expr(attr, value if value else "undefined")


def set_proc_id(b: Builder) -> None:
    b.assign("ProcId", b.lookup("\x00proc"))


def set_jobset(b: Builder) -> None:
    """``JOBSET.Name``: JobSetName."""
    if b.lookup("\x00proc") > 0:
        return
    for key in b.names():
        if key[:7].lower() == "jobset." and key[7:].lower() == "name":
            value = b.param(key)
            if value:
                b.assign("\x00jobset", strip_quotes(value))
    name = b.lookup_string("JobSetName")
    if name is None and b.lookup("\x00jobset") is not None:
        b.assign("JobSetName", b.lookup("\x00jobset"))


def set_resource_requirements(b: Builder) -> None:
    """RequireGPUs clauses from ``gpus_minimum_*``/``gpus_maximum_*``."""
    if not b.has("RequestGPUs"):
        return
    require = b.lookup("RequireGPUs")
    refs: set[str] = set()
    if require is not None:
        text = require.text if hasattr(require, "text") else classad.quote(str(require))
        refs = {r.lower() for r in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text)}
    clauses = []
    if b.has("GPUsMinCapability") and "capability" not in refs:
        clauses.append("Capability >= GPUsMinCapability")
    if b.has("GPUsMaxCapability") and "capability" not in refs:
        clauses.append("Capability <= GPUsMaxCapability")
    if b.has("GPUsMinMemory") and "globalmemorymb" not in refs:
        clauses.append("GlobalMemoryMb >= GPUsMinMemory")
    if b.has("GPUsMinRuntime") and "maxsupportedversion" not in refs:
        clauses.append("MaxSupportedVersion >= GPUsMinRuntime")
    if clauses:
        if require is not None:
            text = require.text if hasattr(require, "text") else str(require)
            b.assign_expr("RequireGPUs", f"({text}) && " + " && ".join(clauses)
                          if _low_precedence(text) else text + " && " + " && ".join(clauses))
        else:
            b.assign_expr("RequireGPUs", " && ".join(clauses))


def _low_precedence(text: str) -> bool:
    return "||" in text or "?" in text


from ._submit_requirements import set_requirements  # noqa: E402  (the last step, in its own module)

STEPS = [
    ads.set_iwd, ads.set_executable, ads.set_arguments, ads.set_grid_params, ads.set_vm_params,
    ads.set_java_vm_args, ads.set_parallel_params, ads.set_environment, ads.set_job_status, ads.set_tdp,
    ads.set_stdin, ads.set_stdout, ads.set_stderr, ads.set_credentials, ads.set_notification, ads.set_rank,
    ads.set_periodic, ads.set_leave_in_queue, ads.set_job_retries, ads.set_kill_sig, ads.set_container_special,
    set_request_resources, ads.set_concurrency_limits, ads.set_accounting_group, ads.set_oauth,
    set_simple_commands, set_job_deferral, set_image_size, set_transfer_files, set_auto_attributes,
    report_common_mistakes, set_forced_attributes, set_proc_id, set_jobset, set_resource_requirements,
    set_requirements,
]
"""Every step, in the order condor_submit runs them (the universe is set before, once per cluster)."""

__all__ += ["LOCAL", "PARALLEL"]
