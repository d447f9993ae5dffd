"""A Chirp client: a job's way to reach its submit machine through the starter (:class:`HTChirp`).

HTCondor's starter can run a *Chirp* proxy for a job that asks for it
(``+WantIOProxy = true``); the job then reads and sets its own job-ad
attributes, writes to its event log, and reads and writes files on the
submit machine, over a line-based protocol.  The starter tells the job
where the proxy listens in the file ``.chirp.config`` of the job's scratch
directory (or the file ``$_CONDOR_CHIRP_CONFIG`` names): host, port and a
cookie.

This project's starter runs no Chirp proxy and writes no ``.chirp.config``,
so in its jobs ``HTChirp()`` raises :class:`ValueError`, as the official
client does when the file is missing; given a host and port (and cookie),
the client talks to any Chirp server.

>>> from htcondor.htchirp import HTChirp
>>> import os
>>> os.environ["_CONDOR_CHIRP_CONFIG"] = "/nonexistent/.chirp.config"
>>> try:
...     HTChirp()
... except ValueError as e:
...     print(e)
.chirp.config must be present or you must provide a host and port
>>> del os.environ["_CONDOR_CHIRP_CONFIG"]
"""

from __future__ import annotations

from .htchirp import HTChirp, condor_chirp

__all__ = ["HTChirp", "condor_chirp"]
