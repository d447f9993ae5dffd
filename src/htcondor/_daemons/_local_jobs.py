"""Jobs the schedd runs itself: the scheduler and local universes.

A job with ``universe = scheduler`` (``JobUniverse`` 7) or ``universe =
local`` (12) never goes to the negotiator: HTCondor's schedd starts it on
the submit machine as soon as it is idle — this is how DAGMan runs.  Here
the schedd runs it with the same :class:`~htcondor._starter.Starter` a
startd uses, in ``$(SPOOL)/local_univ_execute``, and records it through the
same shadow code as any job (:class:`~htcondor._daemons._shadow.Shadows`):
events in the job's log, exit policy, history.  A hold, removal, vacate,
suspend or continue reaches the starter directly.
"""

from __future__ import annotations

import os

import classad

from .._job_queue import IDLE
from .._starter import Starter, event_message, result_message
from ._shadow import ClaimRecord, Shadows

__all__ = ["LocalJobs", "LOCAL_UNIVERSES"]

#: JobUniverse numbers of the jobs the schedd runs itself.
LOCAL_UNIVERSES = (7, 12)


class LocalJobs:
    """Starts and watches the schedd's own jobs.

    :param schedd: the schedd daemon (its queue, configuration, log, ``spawn``).
    :param shadows: its :class:`Shadows`, which record what the jobs do.
    """

    def __init__(self, schedd, shadows: Shadows) -> None:
        self.schedd = schedd
        self.shadows = shadows
        spool = str(schedd.param("SPOOL", os.path.join(str(schedd.param("LOCAL_DIR", ".")), "spool")))
        self.execute_dir = str(schedd.param("LOCAL_UNIV_EXECUTE", os.path.join(spool, "local_univ_execute")))

    def start_idle(self) -> None:
        """Start every idle scheduler- and local-universe job that is not running yet."""
        for key, ad in list(self.schedd.queue.jobs.items()):
            if ad.get("JobUniverse") in LOCAL_UNIVERSES and ad.get("JobStatus") == IDLE \
                    and not self.shadows.busy(key):
                self.start(key, ad)

    def start(self, key: tuple[int, int], ad: classad.ClassAd) -> None:
        os.makedirs(self.execute_dir, exist_ok=True)
        universe = "scheduler" if ad.get("JobUniverse") == 7 else "local"
        owner = ad.get("Owner") if isinstance(ad.get("Owner"), str) else ""
        claim = ClaimRecord(None, f"{universe}#{key[0]}.{key[1]}", f"{universe}@{self.schedd.hostname}",
                            classad.ClassAd(), str(self.schedd.address), owner, owner)
        job_ad = self.shadows.mark_running(claim, key, remote_host=None)  # no RemoteHost: it runs here
        if job_ad is None:
            return

        def on_event(event) -> None:
            self.shadows.on_event(claim, key, event_message(event))

        claim.starter = Starter(job_ad, slot_name=claim.slot_name, execute_dir=self.execute_dir,
                                execute_host=str(self.schedd.address), on_event=on_event,
                                update_interval=float(self.schedd.param("STARTER_UPDATE_INTERVAL", 300) or 300),
                                initial_update_interval=float(
                                    self.schedd.param("STARTER_INITIAL_UPDATE_INTERVAL", 8) or 8))
        self.schedd.spawn(self._run(claim, key))

    async def _run(self, claim: ClaimRecord, key: tuple[int, int]) -> None:
        try:
            result = await claim.starter.run()
        except Exception as e:
            self.schedd.log.write(f"job {key[0]}.{key[1]}: the local starter failed: {e}")
            self.shadows.running.pop(key, None)
            return
        self.shadows.on_result(claim, key, result_message(result))
        self.start_idle()  # the job may be idle again (requeued), and others may be waiting
