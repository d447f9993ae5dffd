"""Facts about this host that HTCondor's configuration defines before reading any file.

HTCondor fills ``FULL_HOSTNAME``, ``IP_ADDRESS``, ``ARCH``, ``OPSYS``,
``DETECTED_CPUS``, ``DETECTED_MEMORY``... itself, so config files can refer
to them.  :func:`detected_macros` returns them as (name, value) pairs.

>>> facts = dict(detected_macros("TOOL"))
>>> facts["OPSYS"] == ("LINUX" if sys.platform.startswith("linux") else facts["OPSYS"])
True
>>> int(facts["DETECTED_CPUS"]) >= 1
True
"""

from __future__ import annotations

import functools
import importlib.machinery
import os
import platform
import socket
import sys

from ._config_reader import HTCONDOR_VERSION

__all__ = ["detected_macros", "full_hostname", "network_macros"]

_ARCH = {"x86_64": "X86_64", "amd64": "X86_64", "aarch64": "aarch64", "arm64": "aarch64", "ppc64le": "ppc64le",
         "i686": "INTEL", "i386": "INTEL"}


@functools.cache
def full_hostname() -> str:
    """The host's fully qualified name, as HTCondor finds it."""
    name = socket.gethostname()
    try:
        fqdn = socket.getfqdn(name)
    except OSError:
        fqdn = name
    return fqdn if fqdn and fqdn != "localhost" else name


@functools.cache
def _addresses() -> tuple[str, str]:
    """The host's default IPv4 and IPv6 addresses (a UDP connect sends no packet)."""
    found = []
    for family, probe in ((socket.AF_INET, ("192.0.2.254", 9)), (socket.AF_INET6, ("2001:db8::1", 9))):
        try:
            with socket.socket(family, socket.SOCK_DGRAM) as s:
                s.connect(probe)
                found.append(s.getsockname()[0])
        except OSError:
            found.append("")
    return found[0] or "127.0.0.1", found[1]


def _os_release() -> dict[str, str]:
    fields: dict[str, str] = {}
    try:
        with open("/etc/os-release", encoding="utf-8") as f:
            for line in f:
                key, sep, value = line.strip().partition("=")
                if sep:
                    fields[key] = value.strip().strip('"')
    except OSError:
        pass
    return fields


def _memory_mb() -> int:
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) // 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // (1024 * 1024)
    except (ValueError, OSError, AttributeError):
        return 1024


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


@functools.cache
def _static_facts() -> tuple[tuple[str, str], ...]:
    uname = os.uname()
    release = _os_release()
    name = release.get("NAME", uname.sysname).split()[0] if release else uname.sysname
    version = release.get("VERSION_ID", "0")
    major, _, minor = version.partition(".")
    major = major if major.isdigit() else "0"
    minor_digits = "".join(c for c in minor if c.isdigit())[:2] or "0"
    opsys = "LINUX" if sys.platform.startswith("linux") else uname.sysname.upper()
    cpus = str(_cpus())
    facts = [
        ("ARCH", _ARCH.get(uname.machine.lower(), uname.machine.upper())),
        ("OPSYS", opsys),
        ("OPSYSANDVER", f"{name}{major}"),
        ("OPSYSLEGACY", opsys),
        ("OPSYSLONGNAME", f"{release['NAME']} {version}" if "NAME" in release else uname.sysname),
        ("OPSYSMAJORVER", major),
        ("OPSYSNAME", name),
        ("OPSYSSHORTNAME", name),
        ("OPSYSVER", str(int(major) * 100 + int(minor_digits))),
        ("UNAME_ARCH", uname.machine),
        ("UNAME_OPSYS", uname.sysname),
        ("UTSNAME_MACHINE", uname.machine),
        ("UTSNAME_NODENAME", uname.nodename),
        ("UTSNAME_RELEASE", uname.release),
        ("UTSNAME_SYSNAME", uname.sysname),
        ("UTSNAME_VERSION", uname.version),
        ("DETECTED_CPUS", cpus),
        ("DETECTED_PHYSICAL_CPUS", cpus),
        ("DETECTED_CORES", cpus),
        ("DETECTED_MEMORY", str(_memory_mb())),
        ("CONDOR_VERSION", ".".join(map(str, HTCONDOR_VERSION))),
        # Facts HTCondor fixes when it is built; ours describe this package and its interpreter.
        ("CONDOR_BUILD_PLATFORM", f"{_ARCH.get(uname.machine.lower(), uname.machine.upper())}-{name}_{version}"),
        ("PYTHON3_MODULE_SUFFIX", importlib.machinery.EXTENSION_SUFFIXES[0]),
        ("PYTHON3_VERSION_MINOR", str(sys.version_info.minor)),
    ]
    return tuple(facts)


def _username() -> str:
    try:
        import pwd
        return pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError):
        return os.environ.get("USER", "")


def detected_macros(subsys: str, localname: str | None = None) -> list[tuple[str, str]]:
    """The host facts HTCondor defines before reading configuration, in the order it defines them."""
    facts = list(_static_facts())
    facts += [
        ("PID", str(os.getpid())),
        ("PPID", str(os.getppid())),
        ("REAL_UID", str(os.getuid())),
        ("REAL_GID", str(os.getgid())),
        ("USERNAME", _username()),
        # HTCondor's can_switch_ids(); this project never switches user ids.
        ("CondorIsAdmin", "false"),
        ("SUBSYSTEM", subsys),
        ("LOCALNAME", localname or subsys),
        ("HOSTNAME", full_hostname().split(".")[0]),
        ("FULL_HOSTNAME", full_hostname()),
    ]
    if platform.system() == "Windows":  # pragma: no cover - the pool runs on POSIX only
        facts = [(k, v) for k, v in facts if not k.startswith("UTSNAME")]
    return facts


def _interfaces() -> list[tuple[str, str, int]]:
    """(interface name, address, family) of this host's interfaces, best effort (Linux)."""
    found: list[tuple[str, str, int]] = []
    try:
        import fcntl
        import struct
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for _, name in socket.if_nameindex():
                try:
                    packed = fcntl.ioctl(s.fileno(), 0x8915, struct.pack("256s", name.encode()[:15]))  # SIOCGIFADDR
                    found.append((name, socket.inet_ntoa(packed[20:24]), socket.AF_INET))
                except OSError:
                    pass
    except (ImportError, OSError):
        pass
    try:
        with open("/proc/net/if_inet6", encoding="ascii") as f:
            for line in f:
                fields = line.split()
                raw = fields[0]
                address = socket.inet_ntop(socket.AF_INET6, bytes.fromhex(raw))
                found.append((fields[-1], address, socket.AF_INET6))
    except (OSError, ValueError, IndexError):
        pass
    return found


def network_macros(network_interface: str) -> list[tuple[str, str]]:
    """``IP_ADDRESS`` and friends for a ``NETWORK_INTERFACE`` setting (a name, an address or a pattern)."""
    import fnmatch
    wanted = network_interface.strip() or "*"
    if wanted == "*":
        ipv4, ipv6 = _addresses()
    else:
        ipv4 = ipv6 = ""
        try:
            socket.inet_pton(socket.AF_INET, wanted)
            ipv4 = wanted
        except OSError:
            try:
                socket.inet_pton(socket.AF_INET6, wanted)
                ipv6 = wanted
            except OSError:
                for name, address, family in _interfaces():
                    if fnmatch.fnmatch(name, wanted) or fnmatch.fnmatch(address, wanted):
                        if family == socket.AF_INET and not ipv4:
                            ipv4 = address
                        elif family == socket.AF_INET6 and not ipv6 and not address.startswith("fe80"):
                            ipv6 = address
    is_ipv6 = "false" if ipv4 or not ipv6 else "true"
    macros = [("IP_ADDRESS", ipv4 or ipv6 or "127.0.0.1"), ("IP_ADDRESS_IS_IPV6", is_ipv6)]
    if ipv4:
        macros.append(("IPV4_ADDRESS", ipv4))
    if ipv6:
        macros.append(("IPV6_ADDRESS", ipv6))
    return macros
