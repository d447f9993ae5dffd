"""The collector: the pool's directory of ClassAds.

``python -m htcondor._daemons.collector [-p PORT]``.  Every daemon sends its
ad here (``UPDATE_*`` commands) and refreshes it periodically; clients ask
for ads of one kind (``QUERY_*`` commands) with a constraint, a projection
and a limit.  As in HTCondor:

* ads are kept by kind and by ``Name`` (Submitter ads by ``Name`` and
  ``ScheddName``, since two schedds may each have a submitter of the same
  name); a new ad with the same key replaces the old one;
* on storing an ad the collector adds what HTCondor's adds:
  ``LastHeardFrom``, ``AuthenticatedIdentity``, ``AuthenticationMethod`` and
  the update statistics ``UpdatesTotal``, ``UpdatesSequenced``,
  ``UpdatesLost``, ``UpdatesHistory`` (computed from the sender's
  ``UpdateSequenceNumber``; an ad without one is numbered by the collector);
* an ad that is not refreshed within its ``ClassAdLifetime`` (default
  ``CLASSAD_LIFETIME``, 900 seconds) expires; ``INVALIDATE_*`` removes ads at
  once, by name or by constraint;
* ``MERGE_STARTD_AD`` adds attributes to a stored slot ad;
* the collector advertises itself: one ``Collector`` ad (``CollectorIpAddr``,
  ``RunningJobs``/``IdleJobs`` summed over the Submitter ads,
  ``HostsTotal``/``HostsClaimed``/``HostsUnclaimed``/``HostsOwner`` counted
  over the slot ads), refreshed every ``COLLECTOR_UPDATE_INTERVAL`` (at most
  every minute).

The wire arguments: an update carries ``{"ad": AD}`` or ``{"ads": [AD...]}``;
an invalidation ``{"name": NAME}`` or ``{"constraint": EXPR}``; a query
``{"constraint": EXPR, "projection": [NAME...], "limit": N}`` (all optional;
a limit of 0 or less means no limit) and its reply is a stream of ads.  A
constraint that does not parse is answered with ``HTCondorValueError``
(``Invalid constraint.``, the official client's message).

The port is the one ``COLLECTOR_HOST`` names, or ``-p PORT``, or else any
free one (``COLLECTOR_HOST = 127.0.0.1:0``, the personal-pool default); the
address goes to ``COLLECTOR_ADDRESS_FILE`` (default
``$(LOG)/.collector_address``).
"""

from __future__ import annotations

import getpass
import time

import classad

from .._ad_commands import AD_KINDS
from .._adcodec import decode_ad, encode_ad
from .._daemon_core import Daemon, daemon_main
from .._errors import HTCondorValueError

__all__ = ["Collector", "AD_KINDS"]

_UPDATE = {cmds[0]: kind for kind, cmds in AD_KINDS.items()}
_UPDATE["UPDATE_STARTD_AD_WITH_ACK"] = "Startd"
_UPDATE["UPDATE_OWN_SUBMITTOR_AD"] = "Submitter"
_INVALIDATE = {cmds[1]: kind for kind, cmds in AD_KINDS.items()}
_QUERY = {cmds[2]: kind for kind, cmds in AD_KINDS.items()}
# Slot ads are the Startd kind.  QUERY_ANY_ADS spans every kind but the
# private one, whose attributes (ClaimId...) only the negotiator may read.
_QUERY["QUERY_SLOT_ADS"] = "Startd"
_PRIVATE = {"StartdPrivate"}

# UpdatesHistory: one bit per recent update (1 = lost), written in hex as
# HTCondor does; 128 bits is its COLLECTOR_DAEMON_HISTORY_SIZE default.
_HISTORY_BITS = 128


class StoredAd:
    """One ad in the collector, with what it needs to expire it and count its updates."""

    __slots__ = ("ad", "expires", "updates", "sequenced", "lost", "last_seq", "history")

    def __init__(self, ad: classad.ClassAd):
        self.ad = ad
        self.expires = 0.0
        self.updates = 0
        self.sequenced = 0
        self.lost = 0
        self.last_seq: int | None = None
        self.history = 0


class Collector(Daemon):
    """The collector daemon; see the module documentation."""

    SUBSYS = "COLLECTOR"

    def __init__(self, argv: list[str] | None = None):
        super().__init__(argv)
        self.ads: dict[str, dict[tuple, StoredAd]] = {kind: {} for kind in AD_KINDS}
        self.updates_total = 0
        self.user = getpass.getuser()
        self.every(lambda: min(60, self.int_param("COLLECTOR_UPDATE_INTERVAL", 900)), self.refresh_own_ad)
        self.every(lambda: min(5, max(1, self.int_param("CLASSAD_LIFETIME", 900))), self.expire)

    def int_param(self, name: str, default: int) -> int:
        """An integer knob; ``default`` when it is undefined or not an integer (knobs outside the
        parameter table, such as ``CLASSAD_LIFETIME``, come back as text)."""
        value = self.param(name, default)
        try:
            return int(value)
        except (TypeError, ValueError):
            return default

    # -- where it listens ---------------------------------------------------------------------

    def listen_port(self) -> int:
        if "-p" in self.argv:
            return super().listen_port()
        host = str(self.param("COLLECTOR_HOST", "") or "")
        if host.startswith("<"):
            host = host[1:].split(">", 1)[0]
        host = host.split("?", 1)[0]
        if ":" in host:
            port = host.rsplit(":", 1)[1]
            if port.isdigit():
                return int(port)
        return 0

    # -- storing ------------------------------------------------------------------------------

    @staticmethod
    def key(kind: str, ad: classad.ClassAd) -> tuple:
        """The key an ad is stored under: its Name (and ScheddName for a Submitter ad)."""
        name = ad.get("Name")
        if not isinstance(name, str) or not name:
            raise HTCondorValueError(f"a {kind} ad needs a Name")
        if kind == "Submitter":
            schedd = ad.get("ScheddName")
            return (name, schedd if isinstance(schedd, str) else "")
        return (name,)

    def identity(self, request) -> tuple[str, str]:
        """(AuthenticatedIdentity, AuthenticationMethod) of the sender of ``request``."""
        if request is None:
            return f"{self.user}@family", "FAMILY"
        if request.connection is not None and request.connection.user:
            user = request.connection.user
            # a daemon of the same user is one of the pool's own (HTCondor: the daemon family)
            if user == self.user:
                return f"{user}@family", "FAMILY"
            return f"{user}@{self.param('UID_DOMAIN', self.hostname)}", "FS"
        return f"{request.user}@unmapped", "CLAIMTOBE"

    def store(self, kind: str, ad: classad.ClassAd, request=None) -> None:
        """Keep ``ad`` (replacing the one with the same key) and stamp it as HTCondor's collector does."""
        key = self.key(kind, ad)
        now = time.time()
        lifetime = ad.get("ClassAdLifetime")
        if type(lifetime) is not int or lifetime <= 0:  # (not a bool, nor classad.Value.Undefined)
            lifetime = self.int_param("CLASSAD_LIFETIME", 900)
        table = self.ads[kind]
        old = table.get(key)
        stored = StoredAd(ad)
        if old is not None:
            stored.updates, stored.sequenced, stored.lost = old.updates, old.sequenced, old.lost
            stored.last_seq, stored.history = old.last_seq, old.history
        seq = ad.get("UpdateSequenceNumber")
        if type(seq) is not int:
            seq = stored.updates + 1
            ad["UpdateSequenceNumber"] = seq
        lost = 0
        if stored.last_seq is not None and seq > stored.last_seq:
            # a gap in the sender's numbering is updates that never arrived
            lost = seq - stored.last_seq - 1
            stored.sequenced += 1
        stored.lost += lost
        stored.updates += 1 + lost
        for _ in range(min(lost, _HISTORY_BITS)):
            stored.history = (stored.history << 1) | 1
        stored.history = (stored.history << 1) & ((1 << _HISTORY_BITS) - 1)
        stored.last_seq = seq
        stored.expires = now + lifetime
        ident, method = self.identity(request)
        ad.update({
            "LastHeardFrom": int(now),
            "AuthenticatedIdentity": ident,
            "AuthenticationMethod": method,
            "UpdatesTotal": stored.updates,
            "UpdatesSequenced": stored.sequenced,
            "UpdatesLost": stored.lost,
            "UpdatesHistory": f"{stored.history:0{_HISTORY_BITS // 4}x}",
        })
        table[key] = stored
        self.updates_total += 1

    async def expire(self) -> None:
        now = time.time()
        for kind, table in self.ads.items():
            stale = [key for key, stored in table.items() if stored.expires < now]
            for key in stale:
                del table[key]
                self.log.write(f"Expired the {kind} ad of {key[0]}")

    def _ads_of(self, request) -> list[classad.ClassAd]:
        args = request.args
        raw = args.get("ads")
        if raw is None:
            raw = [args.get("ad")]
        if type(raw) is not list or not raw or not all(type(item) is dict for item in raw):
            raise HTCondorValueError(f"{request.cmd}: no ad to store")
        return [decode_ad(item) for item in raw]

    # -- commands -------------------------------------------------------------------------------

    async def dispatch_update(self, request) -> dict:
        kind = _UPDATE[request.cmd]
        ads = self._ads_of(request)
        for ad in ads:
            self.key(kind, ad)  # all or nothing: check every ad before storing any
        for ad in ads:
            self.store(kind, ad, request)
        return {"stored": len(ads)}

    async def merge_startd_ad(self, request) -> dict:
        """MERGE_STARTD_AD: add the attributes of each ad to the stored slot ad of the same Name."""
        merged = 0
        for ad in self._ads_of(request):
            stored = self.ads["Startd"].get(self.key("Startd", ad))
            if stored is not None:
                stored.ad.update(ad)
                merged += 1
        return {"merged": merged}

    async def dispatch_invalidate(self, request) -> dict:
        kind = _INVALIDATE[request.cmd]
        name = request.args.get("name")
        constraint = request.args.get("constraint")
        if isinstance(name, str) and name:
            def doomed(table):
                return [k for k in table if k[0] == name]
        elif isinstance(constraint, str):
            expr = _parse_constraint(constraint)

            def doomed(table):
                return [k for k, stored in table.items() if _matches(expr, stored.ad)]
        else:
            raise HTCondorValueError(f"{request.cmd} needs a name or a constraint")
        removed = 0
        # as in HTCondor, invalidating slots also drops their private ads
        for which in (kind, "StartdPrivate") if kind == "Startd" else (kind,):
            table = self.ads[which]
            keys = doomed(table)
            for k in keys:
                del table[k]
            if which == kind:
                removed = len(keys)
        return {"removed": removed}

    async def dispatch_query(self, request):
        args = request.args
        constraint = args.get("constraint") or "true"
        if not isinstance(constraint, str):
            raise HTCondorValueError("the constraint must be an expression string")
        expr = _parse_constraint(constraint)
        projection = args.get("projection") or []
        if type(projection) is not list or not all(isinstance(p, str) for p in projection):
            raise HTCondorValueError("the projection must be a list of attribute names")
        limit = args.get("limit", 0)
        if type(limit) is not int:
            raise HTCondorValueError("the limit must be an integer")
        if request.cmd == "QUERY_ANY_ADS":
            kinds = [k for k in AD_KINDS if k not in _PRIVATE]
        else:
            kinds = [_QUERY[request.cmd]]
        # the matching happens now, so the reply is a snapshot even if ads change while it streams
        now = time.time()
        found = []
        for kind in kinds:
            for stored in self.ads[kind].values():
                if stored.expires >= now and _matches(expr, stored.ad):
                    found.append(stored.ad)
                    if 0 < limit <= len(found):
                        break
            if 0 < limit <= len(found):
                break
        return _stream(found, [p.lower() for p in projection] or None)

    # -- its own ad ----------------------------------------------------------------------------

    def own_name(self) -> str:
        """``COLLECTOR_NAME@host`` (``COLLECTOR_NAME`` as is when it has an @), else the host name."""
        name = str(self.param("COLLECTOR_NAME", "") or "")
        if not name:
            return self.hostname
        return name if "@" in name else f"{name}@{self.hostname}"

    def collector_ad(self) -> classad.ClassAd:
        ad = classad.ClassAd(self.daemon_ad_base("Collector", self.own_name()))
        interval = self.int_param("COLLECTOR_UPDATE_INTERVAL", 900)
        submitters = [s.ad for s in self.ads["Submitter"].values()]
        states = [s.ad.get("State") for s in self.ads["Startd"].values()]
        states = [s for s in states if isinstance(s, str)]
        ad.update({
            "CollectorIpAddr": str(self.address),
            "RunningJobs": sum(_int(s.get("RunningJobs")) for s in submitters),
            "IdleJobs": sum(_int(s.get("IdleJobs")) for s in submitters),
            "HostsTotal": len(states),
            "HostsClaimed": sum(1 for s in states if s.startswith("C")),
            "HostsUnclaimed": sum(1 for s in states if s.startswith("U")),
            "HostsOwner": sum(1 for s in states if s.startswith("O")),
            "SubmitterAds": len(submitters),
            "MachineAds": len(self.ads["Startd"]),
            "UpdateInterval": 24 * interval,
        })
        admin = self.param("CONDOR_ADMIN")
        if isinstance(admin, str) and admin:
            ad["CondorAdmin"] = admin
        return ad

    async def refresh_own_ad(self) -> None:
        ad = self.collector_ad()
        self.store("Collector", ad)
        # its own ad lasts as long as the collector, whatever CLASSAD_LIFETIME says
        self.ads["Collector"][self.key("Collector", ad)].expires = float("inf")

    async def on_start(self) -> None:
        await self.refresh_own_ad()


def _int(value) -> int:
    return value if type(value) is int else 0  # not a bool, nor classad.Value.Undefined


def _parse_constraint(text: str) -> classad.ExprTree:
    try:
        return classad.ExprTree(text)
    except classad.ClassAdParseError:
        raise HTCondorValueError("Invalid constraint.") from None


def _matches(expr: classad.ExprTree, ad: classad.ClassAd) -> bool:
    """True when ``expr`` evaluated against ``ad`` (as MY) is true; a number counts as true when non-zero."""
    try:
        value = expr.eval(ad)
    except Exception:
        return False
    if value is True:
        return True
    # exact types: classad.Value.Undefined and Error are ints too
    return type(value) in (int, float) and value != 0


async def _stream(ads: list[classad.ClassAd], projection: list[str] | None):
    for ad in ads:
        yield encode_ad(ad, projection)


def _register() -> None:
    """Give every UPDATE/INVALIDATE/QUERY command of :data:`AD_KINDS` its handler."""
    Collector.dispatch_update._commands = tuple(_UPDATE)
    Collector.dispatch_invalidate._commands = tuple(_INVALIDATE)
    Collector.dispatch_query._commands = (*_QUERY, "QUERY_ANY_ADS")
    Collector.merge_startd_ad._commands = ("MERGE_STARTD_AD",)


_register()


if __name__ == "__main__":
    daemon_main(Collector)
