"""``htcondor.Submit`` job ads: ``jobs()``/``procs()`` and their arguments, the commands that
shape an ad (units, hold, arguments, environment, requirements, universe), bad descriptions,
the submit method and ``oauth_services``.

Expected values were taken from the official bindings (htcondor 24.0.24).
"""

from __future__ import annotations

import time

import pytest

import classad
import htcondor
from htcondor import Submit

BASE = "executable = /bin/echo\narguments = <$(Item)> <$(x)> <$(y)> $(Step) $(Row)\n"


def first_ad(commands: dict, **kwargs) -> classad.ClassAd:
    commands = dict(commands)
    commands.setdefault("executable", "/bin/true")
    return next(Submit(commands).jobs(**kwargs))


def values(ads, *attrs):
    return [tuple(ad.get(a) for a in attrs) for ad in ads]


# -- jobs() / procs() arguments ----------------------------------------------------------------------------


def test_count_without_queue_statement():
    assert values(Submit(BASE).jobs(count=3), "ProcId", "Args") == [(0, "<> <> <> 0 0"), (1, "<> <> <> 1 0"),
                                                                     (2, "<> <> <> 2 0")]


def test_count_is_ignored_with_a_queue_statement():
    assert values(Submit(BASE + "queue 2").jobs(count=5), "ProcId") == [(0,), (1,)]


def test_itemdata_strings():
    assert values(Submit(BASE).jobs(itemdata=iter(["a", "b"])), "ProcId", "Args") == [(0, "<a> <> <> 0 0"),
                                                                                      (1, "<b> <> <> 0 1")]


def test_itemdata_strings_replace_the_statement_items():
    sub = Submit(BASE + "queue x in (q, r, s)")
    assert values(sub.jobs(itemdata=iter(["a b", "c"])), "Args") == [("<a b> <> <> 0 0",), ("<c> <> <> 0 1",)]


def test_itemdata_dicts_keep_values_of_earlier_rows():
    ads = Submit(BASE).jobs(itemdata=iter([{"x": "1", "y": "2"}, {"x": "3"}]))
    assert values(ads, "ProcId", "Args") == [(0, "<> <1> <2> 0 0"), (1, "<> <3> <2> 0 1")]


def test_itemdata_dicts_with_count():
    ads = Submit(BASE).jobs(count=2, itemdata=iter([{"x": "1"}, {"x": "3"}]))
    assert values(ads, "Args") == [("<> <1> <> 0 0",), ("<> <1> <> 1 0",), ("<> <3> <> 0 1",), ("<> <3> <> 1 1",)]


def test_itemdata_list_of_lists():
    assert values(Submit(BASE).jobs(itemdata=iter([["1", "2"]])), "Args") == [("<1> <> <> 0 0",)]


def test_itemdata_must_be_an_iterator():
    # A list (not an iterator) is ignored: one job, no items.
    assert values(Submit(BASE).jobs(itemdata=["a", "b"]), "Args") == [("<> <> <> 0 0",)]


def test_itemdata_of_other_types():
    with pytest.raises(htcondor.HTCondorInternalError, match="iterator of strings or of dicts"):
        list(Submit(BASE).jobs(itemdata=iter([1, 2])))


def test_empty_itemdata_makes_no_jobs():
    assert list(Submit(BASE).jobs(itemdata=iter([]))) == []
    assert list(Submit(BASE + "queue 2").procs(itemdata=iter([]), count=3)) == []


def test_clusterid_and_procid():
    assert values(Submit(BASE + "queue 2").jobs(clusterid=42, procid=5), "ClusterId", "ProcId") == [(42, 5),
                                                                                                   (42, 6)]
    assert values(Submit(BASE).jobs(clusterid=0), "ClusterId") == [(1,)]


@pytest.mark.parametrize("kwargs", [{"clusterid": -1}, {"procid": -1}])
def test_negative_ids(kwargs):
    with pytest.raises(htcondor.HTCondorValueError, match="Job id out of range"):
        list(Submit(BASE).jobs(**kwargs))


def test_macros_see_the_job_ids():
    assert first_ad({"a": "1", "arguments": "$(a) $(Cluster).$(Process)"}, clusterid=9, procid=3)["Args"] == "1 9.3"


def test_qdate_sets_submit_time_macros():
    sub = Submit(BASE + '+T = "$(Year)-$(Month)-$(Day)"\n')
    ad = next(sub.jobs(qdate=1700000000))
    assert (ad["QDate"], ad["EnteredCurrentStatus"], ad["T"]) == (1700000000, 1700000000, "2023-11-14")


def test_qdate_defaults_to_now():
    assert abs(next(Submit(BASE).jobs())["QDate"] - time.time()) < 100


def test_owner_sets_the_accounting_user_only():
    ad = next(Submit(BASE + "accounting_group = grp\n").jobs(owner="bob"))
    assert ad.eval("Owner") is classad.Value.Undefined
    assert (ad["AcctGroupUser"], ad["AccountingGroup"], ad["AcctGroup"]) == ("bob", "grp.bob", "grp")
    assert "AccountingGroup" not in next(Submit(BASE).jobs(owner="bob"))


def test_owner_with_blanks():
    with pytest.raises(htcondor.HTCondorValueError, match="Invalid characters in Owner"):
        Submit(BASE).jobs(owner="a b")


def test_jobs_iterator():
    it = Submit(BASE).jobs()
    assert type(it).__name__ == "SubmitJobsIterator"
    assert iter(it) is it


def test_procs_later_ads_hold_only_what_differs():
    ads = list(Submit(BASE + "queue 2 in (a, b)").procs())
    assert len(ads[0]) > 40
    assert [sorted(ad.keys()) for ad in ads[1:]] == [["Args", "JobStatus", "ProcId"]] * 3


def test_description_is_copied_when_iteration_starts():
    sub = Submit(BASE + "queue 3")
    it = sub.jobs()
    next(it)
    sub["arguments"] = "changed"
    assert values(it, "Args") == [("<> <> <> 1 0",), ("<> <> <> 2 0",)]


# -- clusterad() -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["jobs", "procs"])
def test_clusterad_after_the_first_job(method):
    it = getattr(Submit(BASE + "queue 2"), method)(clusterid=8)
    first = next(it)
    cluster = it.clusterad()
    assert isinstance(cluster, classad.ClassAd)
    assert cluster["ClusterId"] == 8
    assert "ProcId" not in cluster
    assert cluster["Cmd"] == first["Cmd"] == "/bin/echo"


def test_clusterad_before_the_first_job():
    with pytest.raises(htcondor.HTCondorValueError, match="No cluster ad"):
        Submit(BASE).jobs().clusterad()


# -- units ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, mib", [("1.5G", 1536), ("1.5 GB", 1536), ("512", 512), ("512M", 512),
                                       ("2048K", 2), ("1T", 1048576), ("100MB", 100), ("3g", 3072),
                                       ("0.5", 1), ("1024 K", 1), ("$(m)", 2048)])
def test_request_memory_units(text, mib):
    assert first_ad({"request_memory": text, "m": "2G"})["RequestMemory"] == mib


@pytest.mark.parametrize("text, kib", [("1G", 1048576), ("100", 100), ("2M", 2048), ("1.5T", 1610612736)])
def test_request_disk_units(text, kib):
    assert first_ad({"request_disk": text})["RequestDisk"] == kib


def test_request_expressions_are_kept():
    ad = first_ad({"request_memory": "ifThenElse(MemoryUsage > 0, 2048, 1024)", "request_cpus": "4",
                   "request_gpus": "2"})
    assert str(ad.lookup("RequestMemory")) == "ifThenElse(MemoryUsage > 0,2048,1024)"
    assert (ad["RequestCpus"], ad["RequestGPUs"]) == (4, 2)


def test_request_defaults():
    ad = first_ad({})
    assert str(ad.lookup("RequestMemory")) == \
        "ifthenelse(MemoryUsage isnt undefined,MemoryUsage,(ImageSize + 1023) / 1024)"
    assert (str(ad.lookup("RequestDisk")), ad["RequestCpus"]) == ("DiskUsage", 1)


def test_request_memory_word_is_an_attribute_reference():
    assert first_ad({"request_memory": "lots"}).eval("RequestMemory") is classad.Value.Undefined


@pytest.mark.parametrize("key, text", [("request_memory", "1.5X"), ("request_memory", "1 2"),
                                       ("request_disk", "5Q"), ("request_cpus", "x y"),
                                       ("request_foo", "1 +")])
def test_bad_request_names_the_command(key, text):
    with pytest.raises(htcondor.HTCondorInternalError, match=f"Parse error in expression(.|\n)*{key}"):
        first_ad({key: text})


# -- hold, arguments, environment ------------------------------------------------------------------------------


def test_hold_on_submit():
    ad = first_ad({"hold": "true"})
    assert (ad["JobStatus"], ad["HoldReason"], ad["HoldReasonCode"]) == (5, "submitted on hold at user's request",
                                                                        15)
    assert "HoldReasonSubCode" not in ad
    ad = first_ad({"hold": "false"})
    assert ad["JobStatus"] == 1 and "HoldReason" not in ad


def test_hold_not_a_boolean():
    with pytest.raises(htcondor.HTCondorInternalError, match="hold=maybe is invalid"):
        first_ad({"hold": "maybe"})


@pytest.mark.parametrize("text, args, arguments", [
    ("a b  c", "a b c", None),
    ("a\\\"b", 'a"b', None),
    ("\"a 'b c' d\"", None, "a b' 'c d"),
    ("\"one 'two three' 'it''s' \"\"q\"\"\"", None, "one two' 'three it''''s \"q\""),
])
def test_arguments_old_and_new_syntax(text, args, arguments):
    ad = first_ad({"arguments": text})
    assert (ad.get("Args"), ad.get("Arguments")) == (args, arguments)


@pytest.mark.parametrize("text, message", [("a\"b", "illegal unescaped double-quote"),
                                           ("\"a 'b\"", "Unbalanced quote")])
def test_bad_arguments(text, message):
    with pytest.raises(htcondor.HTCondorInternalError, match=message) as info:
        first_ad({"arguments": text})
    assert "The full arguments you specified were: " + text in str(info.value)


def test_arguments_and_arguments2_need_allow_v1():
    with pytest.raises(htcondor.HTCondorInternalError, match="allow_arguments_v1"):
        first_ad({"arguments": "a", "arguments2": "b"})


@pytest.mark.parametrize("commands, env, environment", [
    ({"environment": "B=2;A=1"}, None, "A=1 B=2"),
    ({"environment": "\"A=1 B='x y'\""}, None, "A=1 B=x' 'y"),
    ({"environment": "|A=1|B=2"}, None, "A=1 B=2"),
    ({"env": "B=2;A=1"}, "A=1;B=2", None),
])
def test_environment(commands, env, environment):
    ad = first_ad(commands)
    assert (ad.get("Env"), ad.get("Environment")) == (env, environment)


@pytest.mark.parametrize("text, message", [("\"A=1 B\"", "Missing '=' after environment variable 'B'"),
                                           ("\"A=1 B='x\"", "Unbalanced quote"),
                                           ("A", "Missing '=' after environment variable 'A'")])
def test_bad_environment(text, message):
    with pytest.raises(htcondor.HTCondorInternalError, match=message) as info:
        first_ad({"environment": text})
    assert "The environment you specified was: '" + text in str(info.value)


# -- requirements and universe ---------------------------------------------------------------------------------

TAIL = "(TARGET.Disk >= RequestDisk) && (TARGET.Memory >= RequestMemory)"
FS = "((TARGET.FileSystemDomain == MY.FileSystemDomain) || (TARGET.HasFileTransfer))"


def requirements(commands: dict) -> str:
    return str(first_ad(commands).lookup("Requirements"))


def test_default_requirements():
    text = requirements({})
    assert text.startswith("(TARGET.Arch == ") and "(TARGET.OpSys == " in text
    assert text.endswith(f"{TAIL} && {FS}")


def test_user_requirements_come_first():
    assert requirements({"requirements": "Memory > 100"}).startswith("(Memory > 100) && (TARGET.Arch == ")


def test_user_arch_and_opsys_replace_the_defaults():
    assert requirements({"requirements": 'Arch == "INTEL" && OpSys == "WINDOWS"'}) == \
        f'(Arch == "INTEL" && OpSys == "WINDOWS") && {TAIL} && {FS}'


def test_requirements_for_gpus_and_file_transfer():
    assert f"{TAIL} && (TARGET.GPUs >= RequestGPUs) && {FS}" in requirements({"request_gpus": "1"})
    assert requirements({"should_transfer_files": "YES"}).endswith(f"{TAIL} && (TARGET.HasFileTransfer)")


def test_bad_requirements():
    with pytest.raises(htcondor.HTCondorInternalError, match=r"Parse error in expression(.|\n)*Requirements"):
        first_ad({"requirements": "Memory > "})


@pytest.mark.parametrize("universe, number", [("vanilla", 5), ("scheduler", 7), ("local", 12), ("Docker", 5)])
def test_universe(universe, number):
    assert first_ad({"universe": universe, "docker_image": "x"})["JobUniverse"] == number


def test_unknown_universe():
    with pytest.raises(htcondor.HTCondorInternalError, match="'galaxy' universe"):
        first_ad({"universe": "galaxy"})


# -- bad descriptions ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["jobs", "procs"])
def test_missing_executable(method):
    with pytest.raises(htcondor.HTCondorInternalError, match="No 'executable' parameter"):
        list(getattr(Submit({"arguments": "x"}), method)())


@pytest.mark.parametrize("value", ["1 +", '"unterminated'])
def test_bad_plus_attr_expression(value):
    with pytest.raises(htcondor.HTCondorInternalError, match=r"Parse error in expression(.|\n)*Foo = "):
        first_ad({"+Foo": value})


def test_plus_attrs_become_expressions():
    ad = first_ad({"+Foo": "1 + 2", "MY.Bar": '"s"', "+Baz": "undefined", "+Q": "$(x)", "x": "7", "+E": ""})
    assert [str(ad.lookup(a)) for a in ("Foo", "Bar", "Baz", "Q", "E")] == ["1 + 2", '"s"', "undefined", "7",
                                                                            "undefined"]


def test_unused_macro_cycle_is_harmless():
    assert first_ad({"a": "$(b)", "b": "$(a)", "arguments": "x"})["Args"] == "x"


def test_macro_cycle_names_the_command():
    with pytest.raises(htcondor.HTCondorInternalError, match=r"does not terminate(.|\n)*arguments"):
        first_ad({"a": "$(b)", "b": "$(a)", "arguments": "$(a)"})


def test_macro_error_names_the_command():
    with pytest.raises(htcondor.HTCondorInternalError, match=r"abc does not evaluate to an integer(.|\n)*arguments"):
        first_ad({"x": "abc", "arguments": "$INT(x)"})


def test_a_failed_job_ends_the_iteration():
    it = Submit({"executable": "/bin/true", "request_memory": "$(m)", "m": "1X"}).jobs()
    with pytest.raises(htcondor.HTCondorInternalError):
        next(it)
    assert list(it) == []


# -- submit method ---------------------------------------------------------------------------------------------


def test_submit_method():
    sub = Submit(BASE)
    assert sub.getSubmitMethod() == 2
    sub.setSubmitMethod(150)
    assert sub.getSubmitMethod() == 150
    # The job ads always say "Python bindings".
    assert next(sub.jobs())["JobSubmitMethod"] == 2
    sub.setSubmitMethod(5, True)
    assert sub.getSubmitMethod() == 5
    sub.setSubmitMethod(-1)
    assert sub.getSubmitMethod() == -1


def test_reserved_submit_method():
    with pytest.raises(htcondor.HTCondorValueError, match="must be 100 or greater"):
        Submit(BASE).setSubmitMethod(5)


# -- oauth_services ----------------------------------------------------------------------------------------------


def oauth(commands: dict) -> list[dict]:
    return [dict(ad) for ad in Submit(commands).oauth_services]


def test_oauth_services_none():
    assert Submit({"executable": "/bin/true"}).oauth_services == []
    assert oauth({"box_oauth_permissions": "p"}) == []
    assert oauth({"use_oauth_services": ""}) == []


def test_oauth_services_is_a_read_only_property():
    sub = Submit(use_oauth_services="box")
    assert isinstance(sub.oauth_services[0], classad.ClassAd)
    with pytest.raises(AttributeError):
        sub.oauth_services = []


def test_oauth_services_sorted_and_deduplicated():
    assert oauth({"use_oauth_services": "box gdrive,  dropbox,box"}) == [{"Service": "box"}, {"Service": "dropbox"},
                                                                         {"Service": "gdrive"}]
    assert oauth({"use_oauth_services": "BOX,box"}) == [{"Service": "BOX"}]
    assert oauth({"use_oauth_services": "$(svc)", "svc": "gdrive"}) == [{"Service": "gdrive"}]


def test_oauth_fields():
    assert oauth({"use_oauth_services": "box", "box_oauth_scopes": "ignored", "box_oauth_resource": "https://x",
                  "box_oauth_permissions": "$(p)", "p": "read", "box_oauth_options": "o"}) == \
        [{"Service": "box", "Scopes": "read", "Audience": "https://x", "Options": "o"}]


def test_oauth_handles():
    assert oauth({"use_oauth_services": "box", "box_oauth_permissions_foo": "p", "box_oauth_resource_bar": "r"}) == \
        [{"Service": "box", "Handle": "bar", "Audience": "r"}, {"Service": "box", "Handle": "foo", "Scopes": "p"}]
    # The bare service is wanted too when a command without a handle names it.
    assert oauth({"use_oauth_services": "box", "box_oauth_resource": "r", "box_oauth_resource_bar": "r"}) == \
        [{"Service": "box", "Audience": "r"}, {"Service": "box", "Handle": "bar", "Audience": "r"}]


def test_oauth_ignores_job_attributes():
    assert oauth({"use_oauth_services": "box", "+box_oauth_resource_h": '"x"'}) == [{"Service": "box"}]


def test_oauth_spelling_follows_the_commands():
    assert oauth({"use_oauth_services": "box", "BOX_OAUTH_PERMISSIONS": "p"}) == [{"Service": "BOX", "Scopes": "p"}]


def test_oauth_needed_attribute_of_the_job():
    ad = first_ad({"use_oauth_services": "box, BOX, Gdrive", "box_oauth_resource_Work": "https://example.org",
                   "BOX_oauth_permissions_work": "read"})
    assert ad["OAuthServicesNeeded"] == "BOX*work,Gdrive"


def test_oauth_defaults_from_configuration(monkeypatch):
    monkeypatch.setitem(htcondor.param, "BOX_DEFAULT_SCOPES", "dflt")
    monkeypatch.setitem(htcondor.param, "BOX_DEFAULT_AUDIENCE", "aud")
    assert oauth({"use_oauth_services": "box", "box_oauth_permissions": "p"}) == \
        [{"Service": "box", "Scopes": "p", "Audience": "aud"}]


def test_oauth_required_field_names_the_command(monkeypatch):
    monkeypatch.setitem(htcondor.param, "GDRIVE_USER_DEFINE_SCOPES", "REQUIRED")
    monkeypatch.setitem(htcondor.param, "GDRIVE_USER_DEFINE_AUDIENCE", "Required")
    with pytest.raises(htcondor.HTCondorIOError, match="You must specify gdrive_OAUTH_PERMISSIONS to use"):
        _ = Submit(use_oauth_services="gdrive").oauth_services
    with pytest.raises(htcondor.HTCondorIOError, match="You must specify gdrive_OAUTH_RESOURCE_h to use"):
        _ = Submit(use_oauth_services="gdrive", gdrive_oauth_permissions_h="p").oauth_services
