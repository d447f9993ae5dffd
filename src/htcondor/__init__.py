"""The ``htcondor`` module: the client API of HTCondor and a pool of its own.

This package is being built up issue by issue.  Today it provides the
package itself; configuration (``param``), the submit language (``Submit``),
job event logs, the pool's daemons and the client classes (``Schedd``,
``Collector``, ...) arrive next, each checked against the official module.

Importing it has one effect shared with the official bindings: it is what
switches the official ``classad`` module to HTCondor's ClassAd semantics.
This project's ``classad`` module always uses those semantics.

>>> import htcondor
>>> htcondor.__version__
'0.1.0'
"""

from __future__ import annotations

import classad  # noqa: F401  (HTCondor's ClassAd semantics; always on here)

__version__ = "0.1.0"
