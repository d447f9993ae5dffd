"""The schedd's user records, and the Schedd methods the official module refuses too."""

from __future__ import annotations

import getpass

import pytest

import classad
import htcondor
from htcondor.personal import PersonalPool


@pytest.fixture(scope="module")
def schedd(tmp_path_factory):
    pool = PersonalPool(local_dir=tmp_path_factory.mktemp("users"), use_config=False,
                        config={"DAEMON_LIST": "MASTER COLLECTOR SCHEDD"})
    with pool:
        yield pool.schedd


def test_a_first_submit_makes_an_enabled_record_with_live_counts(schedd):
    schedd.submit(htcondor.Submit({"executable": "/bin/true", "hold": "true"}), count=2)
    (me,) = schedd.query_users(f'Owner == "{getpass.getuser()}"')
    assert me["Enabled"] == 1 and me["User"].startswith(getpass.getuser() + "@") and me["MyType"] == "Owner"
    assert me["NumHeld"] >= 2 and me["NumIdle"] == 0
    assert schedd.query_users(projection=["User"], limit=0) == []


def test_a_disabled_user_cannot_submit_until_enabled_again(schedd):
    (me,) = schedd.query_users()
    result = schedd.disable_users([me["User"]], "too many jobs")
    assert (result["NumAds"], result["Result"]) == (1, 0)
    (record,) = schedd.query_users(projection=["Enabled", "DisableReason"])
    assert record["Enabled"] == 0 and record["DisableReason"] == "too many jobs"
    with pytest.raises(htcondor.HTCondorIOError, match="disabled: too many jobs"):
        schedd.submit(htcondor.Submit({"executable": "/bin/true"}))
    result = schedd.enable_users_matching("Enabled == 0")
    assert result["NumAds"] == 1
    schedd.submit(htcondor.Submit({"executable": "/bin/true", "hold": "true"}))
    assert "DisableReason" not in schedd.query_users()[0]


def test_unknown_users_are_reported_not_made_unless_asked(schedd):
    assert schedd.enable_users(["nobody-here"])["Result"] == 2
    assert schedd.disable_users([classad.ClassAd({"User": "nobody-here@x"})])["Result"] == 2
    assert schedd.enable_users(["newcomer@example.org"], add=True)["NumAds"] == 1
    assert [ad["User"] for ad in schedd.query_users('User == "newcomer@example.org"')] == ["newcomer@example.org"]
    with pytest.raises(htcondor.HTCondorValueError):
        schedd.enable_users([classad.ClassAd({"Name": "no user attribute"})])
    with pytest.raises(TypeError):
        schedd.enable_users("alice")


def test_what_the_official_module_does_not_implement_raises_as_it_does(schedd):
    with pytest.raises(NotImplementedError, match="edit_multiple is not implemented"):
        schedd.edit_multiple([])
    with pytest.raises(htcondor.HTCondorValueError, match="invalid edit list"):
        schedd.edit_multiple("ClusterId == 1")
    with pytest.raises(NotImplementedError, match="insertRaw not yet written"):
        schedd.insert_jobs(classad.ClassAd())
    for call in (lambda: schedd.refreshGSIProxy(1, 0, "/tmp/x509", -1),
                 lambda: schedd.export_jobs("true", "/tmp/export", "/tmp/spool"),
                 lambda: schedd.import_exported_job_results("/tmp/export"),
                 lambda: schedd.unexport_jobs("true")):
        with pytest.raises(htcondor.HTCondorIOError, match="Differences from HTCondor"):
            call()
