"""Writing job events in HTCondor's text format (what ``str(event)`` and the event log writer produce).

:func:`format_header` writes the first part of an event's first line and
:func:`format_body` the rest, from the same keys a :class:`JobEvent` has
(``ReturnValue``, ``HoldReason``, ``RunRemoteUsage``...), following
HTCondor's ``formatBody`` for each event type.

>>> format_body(12, {"HoldReason": "via condor_hold", "HoldReasonCode": 1, "HoldReasonSubCode": 0})
'Job was held.\\n\\tvia condor_hold\\n\\tCode 1 Subcode 0\\n'
"""

from __future__ import annotations

import math
import time

import classad

from ._event_body_extra import Deferred, parse_old_line
from ._event_scan import scan

__all__ = ["format_header", "format_body", "format_event_of", "usage_seconds", "TERMINATION_KEYS"]

_BAD = object()  # formatBody fails: str() of the event falls back to repr()


def format_header(etype: int, cluster: int, proc: int, subproc: int, clock: int, usec: int = 0, *,
                  utc: bool = False, sub_second: bool = False, iso: bool = True) -> str:
    """``NNN (CCC.PPP.SSS) YYYY-MM-DD HH:MM:SS`` and a space: the start of an event's first line.

    >>> format_header(5, 42, 0, 0, 86405, utc=True)
    '005 (042.000.000) 1970-01-02 00:00:05Z '
    """
    t = time.gmtime(clock) if utc else time.localtime(clock)
    if iso:
        date = "%04d-%02d-%02d %02d:%02d:%02d" % (t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec)
    else:
        date = "%02d/%02d %02d:%02d:%02d" % (t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec)
    if sub_second:
        date += ".%03d" % (usec // 1000)
    if utc:
        date += "Z"
    return "%03d (%03d.%03d.%03d) %s " % (etype, cluster, proc, subproc, date)


def _header_options() -> dict:
    """The header options of ``str(event)``: ``DEFAULT_USERLOG_FORMAT_OPTIONS`` when configured."""
    opts = {"utc": False, "sub_second": False, "iso": True}
    try:
        import htcondor

        text = htcondor.param.get("DEFAULT_USERLOG_FORMAT_OPTIONS") if hasattr(htcondor, "param") else None
    except Exception:  # noqa: BLE001 - no configuration: the defaults
        text = None
    for word in (text or "").replace(",", " ").split():
        bang = word.startswith("!")
        word = word.lstrip("!").upper()
        if word == "ISO_DATE":
            opts["iso"] = not bang
        elif word == "UTC":
            opts["utc"] = not bang
        elif word == "SUB_SECOND":
            opts["sub_second"] = not bang
        elif word == "LEGACY":
            if bang:
                opts["iso"] = True
            else:
                opts.update(iso=False, utc=False, sub_second=False)
    return opts


def format_event_of(event) -> str | None:
    """The text of a :class:`JobEvent` (without its ``...`` line), or None if HTCondor could not print it."""
    body = format_body(event._type, event._body, event._extra)
    if body is None:
        return None
    return format_header(event._type, event._cluster, event._proc, event._subproc, event._clock, event._usec,
                         **_header_options()) + body


# -- pieces -------------------------------------------------------------------------------

def usage_seconds(value) -> tuple[int, int]:
    """``(user, system)`` seconds of a usage value: a ``Usr D HH:MM:SS, Sys D HH:MM:SS`` string or a pair."""
    if value is None:
        return 0, 0
    if isinstance(value, str):
        v = scan("Usr %d %d:%d:%d, Sys %d %d:%d:%d", value.lstrip(" \t\n\v\f\r"))
        if v is None:
            return 0, 0
        return v[0] * 86400 + v[1] * 3600 + v[2] * 60 + v[3], v[4] * 86400 + v[5] * 3600 + v[6] * 60 + v[7]
    usr, sys = value
    return int(usr), int(sys)


def _rusage(value) -> str:
    from ._event_parse import rusage_text

    return "\t" + rusage_text(*usage_seconds(value))


def _f0(value) -> str:
    return "%.0f" % float(value or 0.0)


def _old(value) -> str:
    """A value in old ClassAd syntax, as HTCondor prints attributes in events."""
    ad = classad.ClassAd()
    ad["v"] = value
    return ad.printOld()[4:-1]


def _attr_lines(source, prefix: str) -> str:
    """``<prefix>Name = value`` lines of an ad (sorted by name, ignoring case), from a dict or a Deferred."""
    ad = classad.ClassAd()
    if isinstance(source, Deferred):
        for line in source.data:
            parsed = parse_old_line(line)
            if parsed is not None:
                ad[parsed[0]] = parsed[1]
    elif isinstance(source, list):
        for name, tree in source:
            ad[name] = tree
    else:
        for name, value in dict(source).items():
            ad[name] = value
    out = []
    for name in sorted(ad.keys(), key=str.lower):
        one = classad.ClassAd()
        one[name] = ad.lookup(name)
        out.append(prefix + one.printOld())
    return "".join(out)


TERMINATION_KEYS = {
    "TerminatedNormally", "ReturnValue", "TerminatedBySignal", "CoreFile", "RunLocalUsage", "RunRemoteUsage",
    "TotalLocalUsage", "TotalRemoteUsage", "SentBytes", "ReceivedBytes", "TotalSentBytes", "TotalReceivedBytes",
    "ToE", "Node", "Checkpointed", "TerminatedAndRequeued", "Reason",
}


def _cell(value) -> tuple[str, bool]:
    """A table cell's text and whether it shows a fraction (HTCondor's formatUsageAd rules)."""
    if isinstance(value, Deferred):
        return value.data.strip(), False
    if isinstance(value, float):
        frac, whole = math.modf(value)
        if frac > 0.0:
            return "%.2f" % value, True
        return "%d" % int(whole), False
    return _old(value), False


def _usage_table(usage: dict) -> str:
    """The ``Partitionable Resources`` table of a terminated or evicted event."""
    rows: dict = {}
    names: dict = {}
    out = []
    hfp = {"use": False, "req": False, "alloc": False, "assigned": False}
    for attr, value in usage.items():
        text, frac = _cell(value)
        if attr.startswith("Request"):
            res, col = attr[7:], "req"
        elif attr.startswith("Assigned"):
            res, col = attr[8:], "assigned"
        elif attr.endswith("AverageUsage"):
            res, col = attr[:-12], "use"
        elif attr.endswith("Usage"):
            res, col = attr[:-5], "use"
        else:
            res, col = attr, "alloc"
        if col == "assigned":
            hfp["assigned"] = frac
        else:
            hfp[col] = hfp[col] or frac
        key = res.lower()
        names.setdefault(key, res)
        rows.setdefault(key, {"use": "", "req": "", "alloc": "", "assigned": ""})[col] = text
        if not res:
            out.append("\t%s = %s\n" % (attr, text))
    if not rows:
        return "".join(out)
    widths = {"res": 12, "use": 8, "req": 8, "alloc": 0, "assigned": 0}
    for key in sorted(rows):
        row = rows[key]
        for col in ("use", "req", "alloc", "assigned"):
            if hfp[col] and row[col].isdigit() and row[col].isascii():
                row[col] += "   "
            widths[col] = max(widths[col], len(row[col]))
        widths["res"] = max(widths["res"], len(names[key]))
    alloc_w = max(widths["alloc"], 9)
    out.append("\tPartitionable Resources : %*s %*s %*s %s\n" % (
        widths["use"], "Usage", widths["req"], "Request", alloc_w, "Allocated" if widths["alloc"] else "",
        "Assigned" if widths["assigned"] else ""))
    labels = {"Memory": "Memory (MB)", "Disk": "Disk (KB)", "Gpus": "Gpus (Average)", "GpusMemory": "GpusMemory (MB)",
              "TimeExecute": "TimeExecute (s)", "TimeSlotBusy": "TimeSlotBusy (s)"}
    for key in sorted(rows):
        if not key:
            continue
        row = rows[key]
        out.append("\t   %-*s : %*s %*s %*s %s\n" % (
            widths["res"] + 8, labels.get(names[key], names[key]), widths["use"], row["use"], widths["req"],
            row["req"], alloc_w, row["alloc"], row["assigned"]))
    return "".join(out)


def _termination_lines(f: dict, tab_after: bool) -> str:
    """``(1) Normal termination`` or ``(0) Abnormal termination`` and the core-file line."""
    end = "\n\t" if tab_after else "\n"
    if f.get("TerminatedNormally"):
        return "\t(1) Normal termination (return value %d)%s" % (f.get("ReturnValue", -1), end)
    text = "\t(0) Abnormal termination (signal %d)\n" % f.get("TerminatedBySignal", -1)
    if f.get("CoreFile"):
        return text + "\t(1) Corefile in: %s%s" % (f["CoreFile"], end)
    return text + "\t(0) No core file" + end


def _iso_utc(when) -> str:
    t = time.gmtime(int(when))
    return "%04d-%02d-%02dT%02d:%02d:%02dZ" % (t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec)


def _toe_terminated(toe: dict) -> str:
    code = int(toe.get("HowCode", 0))
    when = _iso_utc(toe.get("When", 0))
    if code == 0:
        by_signal = bool(toe.get("ExitBySignal", True))
        number = int(toe.get("ExitSignal" if by_signal else "ExitCode", 0))
        if by_signal and number == 0:
            return "\n\tJob terminated of its own accord at %s.\n" % when
        return "\n\tJob terminated of its own accord at %s with %s %d.\n" % (
            when, "signal" if by_signal else "exit-code", number)
    return "\n\tJob terminated by %s at %s (using method %d: %s).\n" % (toe.get("Who", ""), when, code,
                                                                       toe.get("How", ""))


def _terminated_body(f: dict, extra, who: str) -> str:
    out = [_termination_lines(f, True)]
    out.append(_rusage(f.get("RunRemoteUsage")) + "  -  Run Remote Usage\n\t")
    out.append(_rusage(f.get("RunLocalUsage")) + "  -  Run Local Usage\n\t")
    out.append(_rusage(f.get("TotalRemoteUsage")) + "  -  Total Remote Usage\n\t")
    out.append(_rusage(f.get("TotalLocalUsage")) + "  -  Total Local Usage\n")
    out.append("\t%s  -  Run Bytes Sent By %s\n" % (_f0(f.get("SentBytes")), who))
    out.append("\t%s  -  Run Bytes Received By %s\n" % (_f0(f.get("ReceivedBytes")), who))
    out.append("\t%s  -  Total Bytes Sent By %s\n" % (_f0(f.get("TotalSentBytes")), who))
    out.append("\t%s  -  Total Bytes Received By %s\n" % (_f0(f.get("TotalReceivedBytes")), who))
    usage = _usage_of(f, extra)
    if usage:
        out.append(_usage_table(usage))
    return "".join(out)


def _usage_of(f: dict, extra) -> dict:
    if extra is not None and "usage" in extra:
        return extra["usage"] or {}
    return {k: v for k, v in f.items() if k not in TERMINATION_KEYS and not k.startswith("_")}


def _notes(f: dict, extra, key: str) -> str:
    value = f.get(key) if extra is None or key not in extra else extra[key]
    return "    %s\n" % value[:8191] if value else ""


def _submit(f, extra):
    out = "Job submitted from host: %s\n" % f.get("SubmitHost", "")
    out += _notes(f, None, "LogNotes") + _notes(f, None, "UserNotes")
    if f.get("Warnings"):
        out += ("    WARNING: Committed job submission into the queue with the following warning(s): %s\n"
                % f["Warnings"][:8110])
    return out


def _slot_props(f: dict) -> str:
    out = "\tSlotName: %s\n" % f["SlotName"] if f.get("SlotName") else ""
    props = f.get("ExecuteProps")
    if props:
        out += _attr_lines(props, "\t")
    return out


def _execute(f, extra):
    return "Job executing on host: %s\n" % f.get("ExecuteHost", "") + _slot_props(f)


def _executable_error(f, extra):
    err = extra["err"] if extra is not None and "err" in extra else f.get("ExecuteErrorType", -1)
    text = {0: "Job file not executable.", 1: "Job not properly linked for Condor."}.get(err, "[Bad error number.]")
    return "(%d) %s\n" % (err, text)


def _checkpointed(f, extra):
    return ("Job was checkpointed.\n" + _rusage(f.get("RunRemoteUsage")) + "  -  Run Remote Usage\n"
            + _rusage(f.get("RunLocalUsage")) + "  -  Run Local Usage\n"
            + "\t%s  -  Run Bytes Sent By Job For Checkpoint\n" % _f0(f.get("SentBytes")))


def _evicted(f, extra):
    if f.get("TerminatedAndRequeued"):
        kind = "(0) Job terminated and was requeued"
    elif f.get("Checkpointed"):
        kind = "(1) Job was checkpointed."
    else:
        kind = "(0) CPU times"
    out = ["Job was evicted.\n\t%s\n\t" % kind]
    out.append(_rusage(f.get("RunRemoteUsage")) + "  -  Run Remote Usage\n\t")
    out.append(_rusage(f.get("RunLocalUsage")) + "  -  Run Local Usage\n")
    out.append("\t%s  -  Run Bytes Sent By Job\n" % _f0(f.get("SentBytes")))
    out.append("\t%s  -  Run Bytes Received By Job\n" % _f0(f.get("ReceivedBytes")))
    if f.get("TerminatedAndRequeued"):
        out.append(_termination_lines(f, False))
    if f.get("Reason"):
        out.append("\t%s\n" % f["Reason"])
    usage = _usage_of(f, extra)
    if usage:
        out.append(_usage_table(usage))
    return "".join(out)


def _job_terminated(f, extra):
    out = "Job terminated.\n" + _terminated_body(f, extra, "Job")
    toe = f.get("ToE")
    if toe:
        out += _toe_terminated(toe)
    return out


def _node_terminated(f, extra):
    node = extra["node"] if extra is not None and "node" in extra else f.get("Node", -1)
    return "Node %d terminated.\n" % node + _terminated_body(f, extra, "Node")


def _image_size(f, extra):
    out = "Image size of job updated: %d\n" % f.get("Size", -1)
    if f.get("MemoryUsage", -1) >= 0:
        out += "\t%d  -  MemoryUsage of job (MB)\n" % f["MemoryUsage"]
    if f.get("ResidentSetSize", 0) >= 0:
        out += "\t%d  -  ResidentSetSize of job (KB)\n" % f.get("ResidentSetSize", 0)
    if f.get("ProportionalSetSize", -1) >= 0:
        out += "\t%d  -  ProportionalSetSize of job (KB)\n" % f["ProportionalSetSize"]
    return out


def _shadow_exception(f, extra):
    return ("Shadow exception!\n\t%s\n\t%s  -  Run Bytes Sent By Job\n\t%s  -  Run Bytes Received By Job\n"
            % (f.get("Message", ""), _f0(f.get("SentBytes")), _f0(f.get("ReceivedBytes"))))


def _toe_by(f: dict, extra) -> str:
    toe = f.get("ToE")
    if not toe:
        return ""
    when = extra["toe_when"] if extra is not None and "toe_when" in extra else _iso_utc(toe.get("When", 0))
    return "\n\tJob terminated by %s at %s (using method %d: %s).\n" % (
        toe.get("Who", ""), when, int(toe.get("HowCode", 0)), toe.get("How", ""))


def _aborted_like(banner):
    def fmt(f, extra):
        return banner + "\n" + ("\t%s\n" % f["Reason"] if f.get("Reason") else "") + _toe_by(f, extra)
    return fmt


def _held(f, extra):
    return "Job was held.\n\t%s\n\tCode %d Subcode %d\n" % (
        f.get("HoldReason") or "Reason unspecified", f.get("HoldReasonCode", 0), f.get("HoldReasonSubCode", 0))


def _post_script(f, extra):
    if f.get("TerminatedNormally"):
        out = "POST Script terminated.\n\t(1) Normal termination (return value %d)\n" % f.get("ReturnValue", -1)
    else:
        out = "POST Script terminated.\n\t(0) Abnormal termination (signal %d)\n" % f.get("TerminatedBySignal", -1)
    if f.get("DAGNodeName"):
        out += "    DAG Node: %s\n" % f["DAGNodeName"][:8191]
    return out


def _remote_error(f, extra):
    critical = extra["critical"] if extra is not None and "critical" in extra else f.get("CriticalError", 1) != 0
    out = "%s from %s on %s:\n" % ("Error" if critical else "Message", f.get("Daemon", ""), f.get("ExecuteHost", ""))
    message = f.get("ErrorMsg", "")
    ix = 0
    while ix < len(message):
        eol = message.find("\n", ix)
        out += "\t" + (message[ix:] if eol < 0 else message[ix:eol]) + "\n"
        if eol < 0:
            break
        ix = eol + 1
    if f.get("HoldReasonCode"):
        out += "\tCode %d Subcode %d\n" % (f["HoldReasonCode"], f.get("HoldReasonSubCode", 0))
    return out


def _need(f: dict, *keys):
    return all(f.get(k) for k in keys)


def _disconnected(f, extra):
    if not _need(f, "DisconnectReason", "StartdAddr", "StartdName"):
        return _BAD
    return "Job disconnected, attempting to reconnect\n    %s\n    Trying to reconnect to %s %s\n" % (
        f["DisconnectReason"][:8191], f["StartdName"], f["StartdAddr"])


def _reconnected(f, extra):
    if not _need(f, "StartdAddr", "StartdName", "StarterAddr"):
        return _BAD
    return "Job reconnected to %s\n    startd address: %s\n    starter address: %s\n" % (
        f["StartdName"], f["StartdAddr"], f["StarterAddr"])


def _reconnect_failed(f, extra):
    if not _need(f, "Reason", "StartdName"):
        return _BAD
    return "Job reconnection failed\n    %s\n    Can not reconnect to %s, rescheduling job\n" % (
        f["Reason"][:8191], f["StartdName"])


def _grid(banner, with_job_id):
    def fmt(f, extra):
        out = "%s\n    GridResource: %s\n" % (banner, (f.get("GridResource") or "UNKNOWN")[:8191])
        if with_job_id:
            out += "    GridJobId: %s\n" % (f.get("GridJobId") or "UNKNOWN")[:8191]
        return out
    return fmt


def _job_ad_information(f, extra):
    attrs = extra["ad"] if extra is not None and "ad" in extra else {
        k: v for k, v in f.items() if k not in ("EventTypeNumber", "MyType", "EventTime", "Cluster", "Proc", "Subproc")}
    if not attrs:
        return _BAD
    return "Job ad information event triggered.\n" + _attr_lines(attrs, "")


def _attribute_update(f, extra):
    old = extra.get("old") if extra is not None else f.get("OldValue")
    if old:
        return "Changing job attribute %s from %s to %s\n" % (f.get("Attribute", ""), old, f.get("Value", ""))
    return "Setting job attribute %s to %s\n" % (f.get("Attribute", ""), f.get("Value", ""))


def _preskip(f, extra):
    if not f.get("SkipEventLogNotes"):
        return _BAD
    return "PRE script return value is PRE_SKIP value\n    %s\n" % f["SkipEventLogNotes"][:8191]


def _cluster_submit(f, extra):
    return ("Cluster submitted from host: %s\n" % f.get("SubmitHost", "")
            + _notes(f, extra, "LogNotes") + _notes(f, extra, "UserNotes"))


def _cluster_remove(f, extra):
    completion = f.get("Completion", 0)
    if completion <= -1:
        status = "\tError %d\n" % completion
    elif completion == 1:
        status = "\tComplete\n"
    elif completion >= 2:
        status = "\tPaused\n"
    else:
        status = "\tIncomplete\n"
    out = "Cluster removed\n\tMaterialized %d jobs from %d items.%s" % (f.get("NextProcId", 0), f.get("NextRow", 0),
                                                                         status)
    return out + ("\t%s\n" % f["Notes"] if f.get("Notes") else "")


def _factory_paused(f, extra):
    out = "Job Materialization Paused\n"
    if f.get("Reason") or f.get("PauseCode", 0):
        out += "\t%s\n" % f.get("Reason", "")
    if f.get("PauseCode", 0):
        out += "\tPauseCode %d\n" % f["PauseCode"]
    if f.get("HoldCode", 0):
        out += "\tHoldCode %d\n" % f["HoldCode"]
    return out


def _factory_resumed(f, extra):
    return "Job Materialization Resumed\n" + ("\t%s\n" % f["Reason"] if f.get("Reason") else "")


_TRANSFER_TEXTS = {1: "Entered queue to transfer input files", 2: "Started transferring input files",
                   3: "Finished transferring input files", 4: "Entered queue to transfer output files",
                   5: "Started transferring output files", 6: "Finished transferring output files"}


def _file_transfer(f, extra):
    text = _TRANSFER_TEXTS.get(int(f.get("Type", 0)))
    if text is None:
        return _BAD
    out = text + "\n"
    if f.get("QueueingDelay", -1) != -1:
        out += "\tSeconds spent in queue: %d\n" % (f["QueueingDelay"] % (1 << 64))
    if f.get("Host"):
        out += "\tTransferring to host: %s\n" % f["Host"]
    return out


def _reserve_space(f, extra):
    out = "\n\tBytes reserved: %d\n" % (f["ReservedSpace"] % (1 << 64)) if f.get("ReservedSpace") else ""
    return out + "\tReservation Expiration: %d\n\tReservation UUID: %s\n\tTag: %s\n" % (
        f.get("ExpirationTime", 0) % (1 << 64), f.get("UUID", ""), f.get("Tag", ""))


def _future(f, extra):
    payload = extra.get("payload", []) if extra is not None else []
    return f.get("EventHead", "") + "\n" + "".join(line + "\n" for line in payload)


def _fixed(text):
    return lambda f, extra: text


FORMATTERS = {
    0: _submit, 1: _execute, 2: _executable_error, 3: _checkpointed, 4: _evicted, 5: _job_terminated,
    6: _image_size, 7: _shadow_exception, 8: lambda f, extra: "%s\n" % f.get("Info", ""),
    9: _aborted_like("Job was aborted."), 10: lambda f, extra: (
        "Job was suspended.\n\tNumber of processes actually suspended: %d\n" % f.get("NumberOfPIDs", -1)),
    11: _fixed("Job was unsuspended.\n"), 12: _held,
    13: lambda f, extra: "Job was released.\n" + ("\t%s\n" % f["Reason"] if f.get("Reason") else ""),
    14: lambda f, extra: "Node %d executing on host: %s\n" % (f.get("Node", -1), f.get("ExecuteHost", ""))
    + _slot_props(f),
    15: _node_terminated, 16: _post_script, 21: _remote_error, 22: _disconnected, 23: _reconnected,
    24: _reconnect_failed, 25: _grid("Grid Resource Back Up", False), 26: _grid("Detected Down Grid Resource", False),
    27: _grid("Job submitted to grid resource", True), 28: _job_ad_information,
    29: _fixed("The job's remote status is unknown\n"), 30: _fixed("The job's remote status is known again\n"),
    33: _attribute_update, 34: _preskip,
    35: _cluster_submit, 36: _cluster_remove, 37: _factory_paused, 38: _factory_resumed, 40: _file_transfer,
    41: _reserve_space, 42: lambda f, extra: "\n\tReservation UUID: %s\n" % f.get("UUID", ""),
    43: lambda f, extra: "\n\tBytes: %d\n\tChecksum Value: %s\n\tChecksum Type: %s\n\tUUID: %s\n" % (
        f.get("Size", 0) % (1 << 64), f.get("Checksum", ""), f.get("ChecksumType", ""), f.get("UUID", "")),
    44: lambda f, extra: "\n\tChecksum Value: %s\n\tChecksum Type: %s\n\tTag: %s\n" % (
        f.get("Checksum", ""), f.get("ChecksumType", ""), f.get("Tag", "")),
    45: lambda f, extra: "\n\tBytes: %d\n\tChecksum Value: %s\n\tChecksum Type: %s\n\tTag: %s\n" % (
        f.get("Size", 0) % (1 << 64), f.get("Checksum", ""), f.get("ChecksumType", ""), f.get("Tag", "")),
    46: _aborted_like("Dataflow job was skipped."),
}


def format_body(etype: int, fields: dict, extra=None) -> str | None:
    """The body of an event (the text after the header, with its line ends), or None if it cannot be printed."""
    formatter = FORMATTERS.get(etype, _future)
    text = formatter(fields, extra)
    return None if text is _BAD else text
