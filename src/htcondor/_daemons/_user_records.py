"""The schedd's user records: who submits here, and whether they may.

HTCondor's schedd (since 23.x) keeps a record per submitting user — an
``Owner`` ad with ``User``, ``Owner`` and ``Enabled`` — made when the user
first submits and managed with ``condor_qusers``: a disabled user cannot
submit new jobs, but their jobs already queued go on running.  Queries show
each record with live counts of the user's jobs (``NumIdle``,
``NumRunning``...).

HTCondor stores the records in the job queue log; this schedd keeps them in
``$(SPOOL)/user_records.json``, rewritten atomically on every change.
"""

from __future__ import annotations

import json
import os

import classad

from .._errors import HTCondorIOError

__all__ = ["UserRecords"]

_COUNTED = {1: "NumIdle", 2: "NumRunning", 5: "NumHeld", 7: "NumSuspended", 6: "NumTransferringOutput"}


class UserRecords:
    """The user records, by full user name (``alice@example.org``).

    :param path: where they are kept.
    :param uid_domain: the domain of user names given without one.
    """

    def __init__(self, path: str, uid_domain: str) -> None:
        self.path = path
        self.uid_domain = uid_domain
        self.records: dict[str, dict] = {}
        try:
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
            if isinstance(data, dict):
                self.records = {k: v for k, v in data.items() if isinstance(v, dict)}
        except FileNotFoundError:
            pass
        except (OSError, ValueError):
            self.records = {}

    def full_name(self, name: str) -> str:
        return name if "@" in name else f"{name}@{self.uid_domain}"

    def _save(self) -> None:
        tmp = f"{self.path}.tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(self.records, f)
        os.replace(tmp, self.path)

    def ensure(self, owner: str) -> None:
        """Make the record of a user who submits for the first time (enabled)."""
        user = self.full_name(owner)
        if user not in self.records:
            self.records[user] = {"User": user, "Owner": user.split("@", 1)[0], "Enabled": 1}
            self._save()

    def check_may_submit(self, owner: str) -> None:
        """:raises HTCondorIOError: when the user's record is disabled."""
        record = self.records.get(self.full_name(owner))
        if record is not None and not record.get("Enabled", 1):
            reason = record.get("DisableReason")
            raise HTCondorIOError(f"User {record['User']} is disabled" + (f": {reason}" if reason else ""))

    def ad(self, user: str, jobs) -> classad.ClassAd:
        """The record of ``user`` as a query returns it: the record, and its jobs counted by state."""
        ad = classad.ClassAd({"MyType": "Owner", **self.records[user]})
        counts = dict.fromkeys(_COUNTED.values(), 0)
        for job in jobs:
            owner = job.get("User") if isinstance(job.get("User"), str) else None
            if owner is None and isinstance(job.get("Owner"), str):
                owner = self.full_name(job.get("Owner"))
            if owner == user and job.get("JobStatus") in _COUNTED:
                counts[_COUNTED[job.get("JobStatus")]] += 1
        ad.update(counts)
        return ad

    def enable(self, names: list[str], add: bool) -> tuple[int, int]:
        """Enable (and with ``add``, create) records; (count acted on, HTCondor's result code)."""
        if not add and any(self.full_name(n) not in self.records for n in names):
            return 0, 2  # all or nothing, as the schedd's transaction
        done = 0
        for name in names:
            user = self.full_name(name)
            record = self.records.get(user)
            if record is None:
                self.records[user] = record = {"User": user, "Owner": user.split("@", 1)[0]}
            record["Enabled"] = 1
            record.pop("DisableReason", None)
            done += 1
        self._save()
        return done, 0

    def disable(self, names: list[str], reason: str | None) -> tuple[int, int]:
        """Disable records; (count acted on, HTCondor's result code: 2 when a user has no record)."""
        if any(self.full_name(n) not in self.records for n in names):
            return 0, 2
        done = 0
        for name in names:
            record = self.records[self.full_name(name)]
            record["Enabled"] = 0
            if reason:
                record["DisableReason"] = reason
            done += 1
        self._save()
        return done, 0
