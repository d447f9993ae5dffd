"""The client's side of spooling: hold jobs for their input, send it, fetch the outputs back.

``Schedd.submit(..., spool=True)`` marks each job as HTCondor's bindings do
(:func:`make_spool`): held with code 16 ("Spooling input data files"),
kept in the queue for ten days after it completes so its outputs can be
fetched, and its standard output and error renamed to ``_condor_stdout`` /
``_condor_stderr`` with a remap back to the names the submitter chose.
``Schedd.spool(ads)`` (:func:`spool_jobs`) sends each job's executable,
standard input and ``transfer_input_files``; ``Schedd.retrieve(spec)``
(:func:`retrieve_jobs`) writes the outputs into the submitter's ``Iwd``.
The schedd's side is :mod:`htcondor._daemons._spool`.
"""

from __future__ import annotations

import base64
import os
import re

import classad

from ._errors import HTCondorIOError, HTCondorValueError

__all__ = ["make_spool", "spool_jobs", "retrieve_jobs"]

CHUNK = 8 * 1024 * 1024  # as the schedd accepts
SPOOLING_INPUT = 16  # HoldReasonCode
_TEN_DAYS = 60 * 60 * 24 * 10
_JOB_ID = re.compile(r"\s*\d+(\.\d+)?\s*\Z")


def _remap(ad: classad.ClassAd, attr: str, stream_attr: str, working_name: str) -> None:
    value = ad.get(attr)
    if not isinstance(value, str) or value == "/dev/null" or value == os.path.basename(value):
        return
    if ad.get(stream_attr) is True:
        return
    value = value.replace("\\", "").replace(";", "").replace("=", "")
    ad[attr] = working_name
    remaps = ad.get("TransferOutputRemaps")
    remaps = f"{remaps};" if isinstance(remaps, str) and remaps else ""
    ad["TransferOutputRemaps"] = f"{remaps}{working_name}={value}"


def make_spool(ad: classad.ClassAd) -> None:
    """Mark a job ad to wait for its spooled input, as the official bindings do.

    >>> ad = classad.ClassAd({"Out": "/tmp/job.out", "Err": "/dev/null"})
    >>> make_spool(ad)
    >>> ad["JobStatus"], ad["HoldReasonCode"], ad["Out"], ad["TransferOutputRemaps"]
    (5, 16, '_condor_stdout', '_condor_stdout=/tmp/job.out')
    """
    ad["JobStatus"] = 5
    ad["HoldReason"] = "Spooling input data files"
    ad["HoldReasonCode"] = SPOOLING_INPUT
    ad["LeaveJobInQueue"] = classad.ExprTree(
        f"JobStatus == 4 && ( CompletionDate =?= UNDEFINED || CompletionDate == 0 || "
        f"((time() - CompletionDate) < {_TEN_DAYS}))")
    _remap(ad, "Out", "StreamOut", "_condor_stdout")
    _remap(ad, "Err", "StreamErr", "_condor_stderr")


def _input_files(ad: classad.ClassAd) -> list[str]:
    """The paths (absolute) of the files a job needs spooled."""
    iwd = ad.get("Iwd")
    if not isinstance(iwd, str):
        raise HTCondorValueError("a job ad to spool needs its Iwd")
    paths = []
    cmd = ad.get("Cmd")
    if isinstance(cmd, str) and ad.get("TransferExecutable", True) is not False:
        paths.append(cmd)
    stdin = ad.get("In")
    if isinstance(stdin, str) and stdin != "/dev/null":
        paths.append(stdin)
    inputs = ad.get("TransferInput")
    if isinstance(inputs, str):
        paths.extend(p.strip() for p in inputs.split(",") if p.strip() and "://" not in p)
    return [p if os.path.isabs(p) else os.path.join(iwd, p) for p in paths]


def spool_jobs(connection, ads) -> int:
    """Send the input files of each job ad to the schedd, then have it release them; return the job count.

    :raises HTCondorIOError: a file cannot be read, or the schedd refuses (the job is not held for spooling).
    """
    ids = []
    for ad in ads:
        if not isinstance(ad, classad.ClassAd):
            raise HTCondorValueError("spool() takes job ClassAds")
        cluster, proc = ad.get("ClusterId"), ad.get("ProcId")
        if type(cluster) is not int or type(proc) is not int:
            raise HTCondorValueError("a job ad to spool needs its ClusterId and ProcId")
        job_id = f"{cluster}.{proc}"
        for path in _input_files(ad):
            if os.path.isdir(path):
                raise HTCondorIOError(f"cannot spool directory {path}: spooling sends files only")
            name = os.path.basename(path.rstrip("/"))
            try:
                f = open(path, "rb")
            except OSError as e:
                raise HTCondorIOError(f"Could not spool jobs: cannot read {path}: {e.strerror}") from None
            with f:
                offset = 0
                while True:
                    data = f.read(CHUNK)
                    connection.request("SPOOL_FILE", {"id": job_id, "name": name, "offset": offset,
                                                      "data": base64.b64encode(data).decode("ascii")})
                    offset += len(data)
                    if len(data) < CHUNK:
                        break
        ids.append(job_id)
    if ids:
        connection.request("SPOOL_DONE", {"ids": ids})
    return len(ids)


def retrieve_jobs(connection, job_spec) -> int:
    """Write the outputs of the matching spooled jobs into their submitters' ``Iwd``; return the file count."""
    if isinstance(job_spec, list):
        args = {"ids": [str(j) for j in job_spec]}
    elif isinstance(job_spec, str) and _JOB_ID.match(job_spec):
        args = {"ids": [job_spec.strip()]}
    else:
        args = {"constraint": str(job_spec)}
    connection.send("RETRIEVE_FILES", args)
    files = 0
    while True:
        message = connection.receive()
        item = message.get("file")
        if item is None:
            if not message.get("ok"):
                from ._client import raise_reply_error

                raise_reply_error(message)
            return files
        iwd, name = item.get("iwd"), item.get("name")
        if not isinstance(iwd, str) or not isinstance(name, str):
            continue
        path = name if os.path.isabs(name) else os.path.join(iwd, name)
        data = base64.b64decode(item.get("data", ""))
        try:
            os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if item.get("offset") == 0 else 0), 0o644)
            try:
                os.pwrite(fd, data, int(item.get("offset") or 0))
            finally:
                os.close(fd)
        except OSError as e:
            raise HTCondorIOError(f"Could not retrieve job output: {path}: {e.strerror}") from None
        if item.get("offset") == 0:
            files += 1
