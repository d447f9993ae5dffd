"""A pytest plugin: the ``condor_pool`` fixture, a private personal pool for a test session.

Installed with this package (entry point ``pytest11``), so a test suite
needs no ``conftest.py`` to use it::

    def test_the_pool_answers(condor_pool):
        assert condor_pool.collector.query(htcondor.AdTypes.Master)

The pool starts on first use, under pytest's temporary directory, with
``CONDOR_CONFIG`` pointing at it for the rest of the session, and stops when
the session ends.  Tests share it: tell your jobs apart by their cluster id.
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def condor_pool(tmp_path_factory):
    """A running :class:`htcondor.personal.PersonalPool`, private to this test session."""
    from htcondor.personal import PersonalPool

    pool = PersonalPool(local_dir=tmp_path_factory.mktemp("condor_pool"))
    with pool:
        yield pool
