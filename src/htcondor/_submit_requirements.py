"""The job's Requirements: the user's expression joined with the clauses condor_submit adds.

The generated expression is ``(<requirements>) && <clauses>``.  A default
clause is left out when the user's expression already refers to the
machine attribute it tests.  The clauses, in order:

* the platform: ``(TARGET.Arch == "<ARCH>") && (TARGET.OpSys == "<OPSYS>")``
  (docker: ``TARGET.HasDocker``; container: ``TARGET.HasContainer`` and
  the image kind; java: ``TARGET.HasJava``);
* ``(TARGET.Disk >= RequestDisk)``, ``(TARGET.Memory >= RequestMemory)``,
  ``(TARGET.Cpus >= RequestCpus)`` when the request is not the trivial one,
  and ``(TARGET.<X> >= Request<X>)`` for each custom resource;
* file transfer: ``((TARGET.FileSystemDomain == MY.FileSystemDomain) ||
  (TARGET.HasFileTransfer))`` (only one side for ``should_transfer_files``
  ``NO`` or ``YES``), plus transfer plugin checks for URLs;
* job deferral, self-checkpointing and CUDA version checks.

``+Requirements``/``MY.Requirements`` replaces the whole expression.
"""

from __future__ import annotations

import re

import classad

from ._submit_ads import GRID, JAVA, LOCAL, MPI, PARALLEL, VANILLA, VM, container_image_type
from ._submit_builder import Builder, Expr, SubmitError
from ._submit_units import is_literal_number

__all__ = ["set_requirements", "machine_references"]

_MIGHT_TRANSFER = {VANILLA, MPI, PARALLEL, JAVA, VM}
_OPSYS_ATTRS = ("opsys", "opsysandver", "opsyslongname", "opsysshortname", "opsysname", "opsyslegacy")
_URL = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")


def machine_references(text: str) -> tuple[set[str], set[str]]:
    """(job references, machine references) of an expression, lower-cased, as condor_submit classifies them."""
    try:
        tree = classad.ExprTree(text)
    except Exception:
        return set(), set()
    probe = classad.ClassAd({"RequestMemory": 0, "VM_CkptMac": ""})

    def trim(names, external: bool) -> set[str]:
        out = set()
        for name in names:
            low = name.lower()
            if external:
                for prefix in ("target.", "other.", ".left.", ".right."):
                    if low.startswith(prefix):
                        low = low[len(prefix):]
                        break
                else:
                    if low.startswith("."):
                        low = low[1:]
            elif low.startswith("."):
                low = low[1:]
            out.add(re.split(r"[.\[]", low, maxsplit=1)[0])
        return out

    return trim(probe.internalRefs(tree), False), trim(probe.externalRefs(tree), True)


def _numeric(value) -> float | None:
    """The number a literal ad value holds, or None (an expression that is not a literal number)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, Expr):
        return is_literal_number(value.text)
    return None


def set_requirements(b: Builder) -> None:
    """``requirements``: the Requirements expression."""
    user = b.param("requirements")
    answer = f"({user})" if user else ""
    forced = b.param("MY.Requirements") or b.param("+Requirements")
    if forced:
        return
    append = None
    if b.universe == VANILLA:
        append = b.config("APPEND_REQ_VANILLA")
    elif b.universe == VM:
        append = b.config("APPEND_REQ_VM")
    append = append or b.config("APPEND_REQUIREMENTS")
    if append:
        answer += f" && ({append})" if answer else f"({append})"
    if b.universe == GRID and (b.grid_type.lower() != "condor"
                               or not b.config_bool("SUBMIT_GENERATE_CONDOR_C_REQUIREMENTS", True)):
        b.assign_expr("Requirements", answer or "TRUE")
        return
    _job_refs, refs = machine_references(answer) if answer else (set(), set())
    arch = b.ctx.defaults.get("arch", "")
    opsys = b.ctx.defaults.get("opsys", "")
    checks_arch = "arch" in refs
    checks_opsys = b.is_container or b.is_docker or any(a in refs for a in _OPSYS_ATTRS)
    parts = [answer] if answer else []

    def add(clause: str, sep: str = " && ") -> None:
        if parts:
            parts.append(sep)
        parts.append(clause)

    if b.universe == JAVA:
        add("TARGET.HasJava")
    elif b.universe == VM:
        if not checks_arch:
            add(f'(TARGET.Arch == "{arch}")')
        if "hasvm" not in refs:
            parts.append("&& (TARGET.HasVM =?= true)")
        if "vm_type" not in refs:
            parts.append(" && (TARGET.VM_Type == MY.JobVMType)")
        if "vm_avail_num" not in refs:
            parts.append(" && (TARGET.VM_AvailNum > 0)")
    elif b.is_docker:
        if not checks_arch:
            add(f'(TARGET.Arch == "{arch}")')
        add("TARGET.HasDocker")
        network = b.lookup_string("DockerNetworkType")
        if network and network not in ("host", "none", "nat"):
            parts.append("&& StringListMember(My.DockerNetworkType, TARGET.DockerNetworks)")
    elif b.is_container:
        if not checks_arch:
            add(f'(TARGET.Arch == "{arch}")')
        add("TARGET.HasContainer")
        image = b.lookup_string("ContainerImage")
        if b.has("DockerImage"):
            parts.append("&& TARGET.HasDockerURL")
        elif image is not None:
            kind = container_image_type(image)
            parts.append({"docker": "&& TARGET.HasDockerURL", "sif": "&& TARGET.HasSIF"}
                         .get(kind, "&& TARGET.HasSandboxImage"))
    else:
        if not checks_arch:
            add(f'(TARGET.Arch == "{arch}")')
        if not checks_opsys:
            parts.append(f' && (TARGET.OpSys == "{opsys}")')
    text = "".join(parts)
    text += _resource_clauses(b, refs)
    text += _transfer_clauses(b, refs)
    if _deferral(b):
        if b.universe != LOCAL:
            text += " && TARGET.HasJobDeferral"
        if not b.has("ScheddInterval"):
            interval = b.config("SCHEDD_INTERVAL")
            if interval:
                b.assign_expr("ScheddInterval", interval)
            else:
                b.assign("ScheddInterval", 300)
        text += (" && (((time() + ScheddInterval) >= (DeferralTime - DeferralPrepTime)) && "
                 "(time() < (DeferralTime + DeferralWindow)))")
    if b.lookup_bool("WantFTOnCheckpoint") and "hasselfcheckpointtransfers" not in refs:
        text += " && TARGET.HasSelfCheckpointTransfers"
    cuda = b.lookup_string("CUDAVersion")
    if cuda is not None:
        m2 = re.fullmatch(r"(\d+)\.(\d+)", cuda)
        m1 = re.fullmatch(r"(\d+)", cuda)
        if m2:
            version = int(m2.group(1)) * 1000 + int(m2.group(2)) % 100
        elif m1:
            major = int(m1.group(1))
            version = major * 1000 if major < 1000 else major
        else:
            raise SubmitError("cuda_version must be of the form 'x' or 'x.y', where x and y are positive integers.")
        b.assign("CUDAVersion", version)
        text += "&& CUDAVersion <= TARGET.CUDAMaxSupportedVersion"
    b.assign_expr("Requirements", text)


def _deferral(b: Builder) -> bool:
    return any(b.has(a) for a in ("CronMinute", "CronHour", "CronDayOfMonth", "CronMonth", "CronDayOfWeek",
                                  "DeferralTime"))


def _resource_clauses(b: Builder, refs: set[str]) -> str:
    out = []
    if "disk" not in refs:
        disk = b.lookup("RequestDisk")
        if disk is not None:
            number = _numeric(disk)
            if number is None or number > 0.0:
                out.append(" && (TARGET.Disk >= RequestDisk)")
        elif b.universe == VM:
            out.append(" && (TARGET.TotalDisk >= DiskUsage)")
        else:
            out.append(" && (TARGET.Disk >= DiskUsage)")
    elif b.universe != VM and b.has("RequestDisk"):
        out.append(" && (TARGET.Disk >= RequestDisk)")
    if b.universe == VM:
        if b.vm_type != "xen":
            out.append(" && (TARGET.TotalMemory >= MY.JobVMMemory)")
        if "vm_memory" not in refs:
            out.append(" && (TARGET.VM_Memory >= MY.JobVMMemory)")
        if b.lookup_bool("JobVMNetworking"):
            if "vm_networking" not in refs:
                out.append(" && TARGET.VM_Networking")
            if b.has("JobVMNetworkingType"):
                out.append(' && stringListIMember(JobVMNetworkingType,TARGET.VM_Networking_Types,",")')
    else:
        memory = b.lookup("RequestMemory")
        if memory is not None:
            number = _numeric(memory)
            if number is None or number > 1.0:
                out.append(" && (TARGET.Memory >= RequestMemory)")
    if b.universe != GRID and "cpus" not in refs:
        cpus = b.lookup("RequestCpus")
        if cpus is not None:
            number = _numeric(cpus)
            if number is None or number > 1.0:
                out.append(" && (TARGET.Cpus >= RequestCpus)")
    tags = sorted({name for low, (name, _v) in b.state.items()
                   if low.startswith("request") and len(low) >= 9 and low[7] != "_"
                   and low not in ("requestcpus", "requestdisk", "requestmemory")}, key=str.lower)
    if not b.config_bool("SUBMIT_GENERATE_CUSTOM_RESOURCE_REQUIREMENTS", True):
        tags = [t for t in tags if t.lower() == "requestgpus"]
    for attr in tags:
        tag = attr[7:]
        if tag.lower() in refs:
            continue
        value = b.lookup(attr)
        literal = value if not isinstance(value, Expr) else b.evaluate(attr)
        if isinstance(literal, str):
            if literal:
                out.append(f" && regexp({attr}, TARGET.{tag})")
            continue
        if isinstance(literal, bool) or (literal is not None and not isinstance(literal, (int, float))):
            continue
        if literal is None or literal > 0:
            require = "Require" + tag
            if b.has(require):
                out.append(f" && (countMatches(MY.{require},TARGET.Available{tag}) >= {attr})")
            else:
                out.append(f" && (TARGET.{tag} >= {attr})")
    if b.has("ToolDaemonCmd") and "hastdp" not in refs:
        out.append(" && TARGET.HasTDP")
    if b.lookup_bool("EncryptExecuteDirectory") and "encryptexecutedirectory" not in refs:
        out.append(" && TARGET.HasEncryptExecuteDirectory")
    if b.universe == MPI and "hasmpi" not in refs:
        out.append(" && TARGET.HasMPI")
    return "".join(out)


def _url_type(url: str) -> str | None:
    m = _URL.match(url.strip())
    return m.group(1).lower() if m else None


def _transfer_clauses(b: Builder, refs: set[str]) -> str:
    if b.universe not in _MIGHT_TRANSFER:
        return ""
    out = []
    checks_fsdomain = "filesystemdomain" in refs
    checks_transfer = "hasfiletransfer" in refs or "hasjobtransferplugins" in refs
    checks_methods = "hasfiletransferpluginmethods" in refs
    checks_crypt = "hasperfileencryption" in refs
    domain_check = "(TARGET.FileSystemDomain == MY.FileSystemDomain)"
    xfer_check = "TARGET.HasFileTransfer"
    crypt_check = ""
    if not checks_crypt and any(b.has(a) for a in ("EncryptInputFiles", "EncryptOutputFiles",
                                                   "DontEncryptInputFiles", "DontEncryptOutputFiles")):
        crypt_check = " && TARGET.HasPerFileEncryption"
    should = (b.lookup_string("ShouldTransferFiles") or "IF_NEEDED").upper()
    if should == "NO":
        if not checks_fsdomain:
            out.append(" && " + domain_check)
        return "".join(out)
    if checks_transfer:
        return ""
    join_op, close_op = " && (", ")"
    if should == "IF_NEEDED" and not checks_fsdomain:
        out.append(join_op + domain_check)
        join_op, close_op = " || (", "))"
    plugins = b.lookup_string("TransferPlugins") or ""
    if plugins:
        xfer_check = "TARGET.HasJobTransferPlugins"
    out.append(join_op + xfer_check + crypt_check)
    version_check = bool(b.lookup_string("TransferCheckpoint")) or bool(b.lookup_bool("PreserveRelativePaths")) \
        or (b.lookup_string("WhenToTransferOutput") or "").upper() == "ON_SUCCESS"
    if version_check:
        out.append(' && versioncmp( split(TARGET.CondorVersion)[1], "8.9.7" ) >= 0')
    job_methods = set()
    for plug in plugins.split(";"):
        name, eq, _ = plug.partition("=")
        if eq:
            job_methods.update(m.strip().lower() for m in re.split(r"[ ,]+", name) if m.strip())
    methods: dict[str, str] = {}
    for file in (b.lookup_string("TransferInput") or "").split(","):
        kind = _url_type(file)
        if kind and kind not in job_methods:
            methods.setdefault(kind, kind)
    kind = _url_type(b.lookup_string("OutputDestination") or "")
    if kind and kind not in job_methods:
        methods.setdefault(kind, kind)
    for remap in (b.lookup_string("TransferOutputRemaps") or "").split(";"):
        _src, eq, url = remap.partition("=")
        kind = _url_type(url) if eq else None
        if kind and kind not in job_methods:
            methods.setdefault(kind, kind)
    want = []
    for kind in sorted(methods):
        want.append(kind)
        if checks_methods:
            continue
        out.append(f' && stringListIMember("{kind}",TARGET.HasFileTransferPluginMethods)')
        if kind in ("s3", "gs") and b.config_bool("SIGN_S3_URLS", True):
            if not b.has("EC2AccessKeyId") or not b.has("EC2SecretAccessKey"):
                raise SubmitError("[s3|gs]:// URLs require [s3|aws|gs]_access_key_id_file and "
                                  "[s3|aws|gs]_secret_access_key_file to be set.")
    if want:
        b.assign("WantTransferPluginMethods", ",".join(want))
    out.append(close_op)
    return "".join(out)
