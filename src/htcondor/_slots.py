"""The startd's slots: how the machine is divided, and the ad each slot publishes.

HTCondor divides a machine into *slots* from its configuration:

* ``NUM_SLOTS_TYPE_<N>`` slots of type ``N``, each the share ``SLOT_TYPE_<N>``
  of the machine (``100%``, ``1/4``, or a list such as
  ``cpus=1, memory=25%, disk=10%``), partitionable when
  ``SLOT_TYPE_<N>_PARTITIONABLE`` is true;
* without slot types, ``NUM_SLOTS`` (default: one per CPU) equal static slots.

The machine's size is ``NUM_CPUS``, ``MEMORY`` (MiB) and ``DISK`` (KiB),
which default to what was detected.  A partitionable slot is split into
*dynamic* slots (``slot1_1``, ``slot1_2``...) as jobs claim it; each takes
what its job asked for (rounded up by ``MODIFY_REQUEST_EXPR_*``) and gives it
back when released.

>>> layout = slot_layout(lambda name, default=None: {"NUM_CPUS": 4, "MEMORY": 8192}.get(name, default),
...                      detected={"Cpus": 4, "Memory": 8192, "Disk": 1000000, "GPUs": 0})
>>> [(s.name_prefix, s.resources["Cpus"], s.resources["Memory"], s.partitionable) for s in layout]
[('slot1', 1, 2048, False), ('slot2', 1, 2048, False), ('slot3', 1, 2048, False), ('slot4', 1, 2048, False)]
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import classad

__all__ = ["SlotSpec", "Slot", "slot_layout", "parse_slot_type", "RESOURCES", "WITHIN_RESOURCE_LIMITS"]

#: The machine resources a slot holds, in the order HTCondor lists them.
RESOURCES = ("Cpus", "Memory", "Disk", "GPUs")

#: A slot's ``WithinResourceLimits``: the job asks for no more than the slot has.
WITHIN_RESOURCE_LIMITS = (
    "MY.Cpus > 0 && TARGET.RequestCpus <= MY.Cpus && MY.Memory > 0 && TARGET.RequestMemory <= MY.Memory"
    " && MY.Disk > 0 && TARGET.RequestDisk <= MY.Disk"
    " && (TARGET.RequestGPUs =?= undefined || MY.GPUs >= TARGET.RequestGPUs)")

_RESOURCE_KEYS = {"c": "Cpus", "cpu": "Cpus", "cpus": "Cpus", "m": "Memory", "mem": "Memory", "memory": "Memory",
                  "r": "Memory", "ram": "Memory", "d": "Disk", "disk": "Disk", "gpu": "GPUs", "gpus": "GPUs",
                  "s": None, "swap": None, "v": None, "virtualmemory": None}


@dataclass
class SlotSpec:
    """One configured slot: its name prefix (``slot1``), type id, resources and kind."""

    name_prefix: str
    slot_id: int
    type_id: int
    resources: dict[str, int]
    partitionable: bool = False


def _share(text: str, total: int, what: str) -> int:
    """``25%``, ``1/4``, ``0.25`` or an absolute amount of ``total``."""
    text = text.strip()
    try:
        if text.endswith("%"):
            return int(total * float(text[:-1]) / 100)
        if "/" in text:
            num, den = text.split("/", 1)
            return int(total * float(num) / float(den))
        value = float(text)
    except ValueError:
        raise ValueError(f"bad amount {text!r} for {what}") from None
    if what == "Memory" and value < 1 and "." in text:
        return int(total * value)
    return int(value)


def parse_slot_type(text: str, machine: dict[str, int]) -> dict[str, int]:
    """The resources of one slot of a type described by ``SLOT_TYPE_<N>``.

    :param text: ``"100%"``, ``"1/2"`` (that share of everything) or ``"cpus=2, mem=50%"``
        (a resource not named: all the machine has of it).
    :param machine: the machine's ``Cpus``, ``Memory``, ``Disk``, ``GPUs``.
    :raises ValueError: on a description that cannot be read.

    >>> parse_slot_type("cpus=1, memory=512", {"Cpus": 4, "Memory": 4096, "Disk": 100, "GPUs": 0})["Memory"]
    512
    """
    text = text.strip()
    if "=" not in text:
        return {res: _share(text, total, res) for res, total in machine.items()}
    out = {}
    for part in re.split(r"[,\s]+(?=[A-Za-z_]+\s*=)", text):
        if not part.strip():
            continue
        key, _, value = part.partition("=")
        key = key.strip().lower()
        if key not in _RESOURCE_KEYS:
            raise ValueError(f"unknown resource {key!r} in slot type {text!r}")
        res = _RESOURCE_KEYS[key]
        if res is not None:
            out[res] = _share(value.strip().rstrip(","), machine[res], res)
    for res, total in machine.items():
        out.setdefault(res, total)
    return out


def slot_layout(param: Callable[..., Any], detected: dict[str, int]) -> list[SlotSpec]:
    """The slots the configuration asks for.

    :param param: ``param(name, default)``, typed configuration lookup.
    :param detected: the detected machine (``Cpus``, ``Memory`` MiB, ``Disk`` KiB, ``GPUs``).
    :raises ValueError: on a slot type that cannot be read.
    """
    machine = {
        "Cpus": int(param("NUM_CPUS", detected["Cpus"]) or detected["Cpus"]),
        "Memory": int(param("MEMORY", detected["Memory"]) or detected["Memory"]),
        "Disk": int(param("DISK", detected["Disk"]) or detected["Disk"]),
        "GPUs": int(detected.get("GPUs", 0)),
    }
    specs: list[SlotSpec] = []
    for type_id in range(1, 10):
        count = param(f"NUM_SLOTS_TYPE_{type_id}", 0)
        if not count:
            continue
        description = str(param(f"SLOT_TYPE_{type_id}", "100%") or "100%")
        resources = parse_slot_type(description, machine)
        partitionable = bool(param(f"SLOT_TYPE_{type_id}_PARTITIONABLE", False))
        for _ in range(int(count)):
            n = len(specs) + 1
            specs.append(SlotSpec(f"slot{n}", n, type_id, dict(resources), partitionable))
    if specs:
        return specs
    count = int(param("NUM_SLOTS", machine["Cpus"]) or machine["Cpus"])
    count = max(count, 1)
    each = {"Cpus": max(machine["Cpus"] // count, 1), "Memory": machine["Memory"] // count,
            "Disk": machine["Disk"] // count, "GPUs": machine["GPUs"] // count}
    return [SlotSpec(f"slot{n}", n, 0, dict(each)) for n in range(1, count + 1)]


def new_claim_id(address: str, birthday: int, sequence: int) -> str:
    """A claim id as HTCondor shapes one: ``<startd address>#<startd birthday>#<sequence>#<secret>``."""
    return f"{address}#{birthday}#{sequence}#{secrets.token_hex(16)}"


def public_claim_id(claim_id: str) -> str:
    """The part of a claim id that may be shown to anyone (the secret replaced by ``...``)."""
    return claim_id.rsplit("#", 1)[0] + "#..."


@dataclass
class Slot:
    """One slot's state: resources, state and activity, its claim and its job."""

    name: str
    slot_id: int
    type_id: int
    resources: dict[str, int]
    kind: str = "Static"  # Static, Partitionable, Dynamic
    parent: Slot | None = None
    dslot_id: int = 0
    state: str = "Unclaimed"
    activity: str = "Idle"
    entered_state: int = field(default_factory=lambda: int(time.time()))
    entered_activity: int = field(default_factory=lambda: int(time.time()))
    claim_id: str = ""
    claim: dict[str, Any] = field(default_factory=dict)  # RemoteUser, RemoteOwner, RemoteScheddName, ClientMachine
    job: dict[str, Any] = field(default_factory=dict)  # JobId, GlobalJobId, JobStart, JobUniverse...
    children: list[Slot] = field(default_factory=list)
    next_child: int = 1
    job_starts: int = 0
    total_busy: int = 0
    connection: Any = None  # the claiming schedd's connection
    starter: Any = None
    last_activity: float = field(default_factory=time.time)
    #: A computing-on-demand claim (``Claim.requestCOD``): lease, expiry, its running job; None otherwise.
    cod: dict[str, Any] | None = None

    def set_state(self, state: str, activity: str) -> None:
        now = int(time.time())
        if state != self.state:
            self.state = state
            self.entered_state = now
        if activity != self.activity:
            if self.activity == "Busy":
                self.total_busy += now - self.entered_activity
            self.activity = activity
            self.entered_activity = now
        self.last_activity = time.time()

    @property
    def partitionable(self) -> bool:
        return self.kind == "Partitionable"

    def ad(self, machine: dict[str, Any], policy: dict[str, str], now: int) -> classad.ClassAd:
        """The slot's public ad: the machine's attributes, then the slot's own."""
        ad = classad.ClassAd()
        for key, value in machine.items():
            ad[key] = value
        for key, text in policy.items():
            ad[key] = classad.ExprTree(text)
        ad.update({
            "Name": self.name,
            "SlotID": self.slot_id,
            "SlotTypeID": self.type_id if self.kind == "Static" else (-self.type_id if self.kind == "Dynamic"
                                                                      else self.type_id),
            "SlotType": self.kind,
            "State": self.state,
            "Activity": self.activity,
            "EnteredCurrentState": self.entered_state,
            "EnteredCurrentActivity": self.entered_activity,
            "JobStarts": self.job_starts,
            "TotalTimeClaimedBusy": self.total_busy,
            "MyCurrentTime": now,
            "LastHeardFrom": now,
        })
        for res in RESOURCES:
            ad[res] = self.resources.get(res, 0)
        totals = self.parent.resources_total if self.parent is not None else self.resources_total
        for res in RESOURCES:
            ad[f"TotalSlot{res}"] = totals.get(res, 0)
        ad["TotalSlotDisk"] = float(totals.get("Disk", 0))
        if self.kind == "Partitionable":
            ad["PartitionableSlot"] = True
            ad["NumDynamicSlots"] = len(self.children)
            ad["PslotRollupInformation"] = True
            ad["ChildName"] = [c.name for c in self.children]
            ad["ChildState"] = [c.state for c in self.children]
            ad["ChildActivity"] = [c.activity for c in self.children]
            ad["ChildEnteredCurrentState"] = [c.entered_state for c in self.children]
            ad["ChildDSlotId"] = [c.dslot_id for c in self.children]
            ad["ChildRemoteOwner"] = [c.claim.get("RemoteOwner", "") for c in self.children]
            ad["ChildRemoteUser"] = [c.claim.get("RemoteUser", "") for c in self.children]
            ad["ChildAccountingGroup"] = [c.claim.get("AccountingGroup", c.claim.get("RemoteUser", ""))
                                          for c in self.children]
            ad["ChildCurrentRank"] = [0.0 for _ in self.children]
            ad["ChildRetirementTimeRemaining"] = [0 for _ in self.children]
            for res in RESOURCES:
                ad[f"Child{res}"] = [c.resources.get(res, 0) for c in self.children]
        if self.kind == "Dynamic":
            ad["DynamicSlot"] = True
            ad["DSlotId"] = self.dslot_id
            ad["ParentSlotId"] = self.parent.slot_id if self.parent else self.slot_id
            ad["IsSplittable"] = False
        if self.claim_id and self.state == "Claimed":
            ad["PublicClaimId"] = public_claim_id(self.claim_id)
            ad["RetirementTimeRemaining"] = 0
            for key, value in self.claim.items():
                ad[key] = value
            for key, value in self.job.items():
                ad[key] = value
        return ad

    @property
    def resources_total(self) -> dict[str, int]:
        """For a partitionable slot, what it holds plus what its dynamic slots took."""
        total = dict(self.resources)
        for child in self.children:
            for res, amount in child.resources.items():
                total[res] = total.get(res, 0) + amount
        return total
