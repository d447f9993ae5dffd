"""``htcondor.htcondor``: the module name under which the official bindings define their classes.

Pickles made by the official module refer to names such as
``htcondor.htcondor.JobEventLog``; this module gives those names to our
classes, so such a pickle loads here (a tracker can resume reading an event
log where a process using the official module stopped).

>>> import htcondor.htcondor
>>> htcondor.htcondor.JobEventLog is htcondor.JobEventLog
True
"""

from __future__ import annotations

from . import (  # noqa: F401  (re-exports under the official module name)
    FileTransferEventType,
    JobEvent,
    JobEventLog,
    JobEventType,
    SubsystemType,
)
