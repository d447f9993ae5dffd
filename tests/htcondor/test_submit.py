"""``htcondor.Submit`` as a description: construction, the dict protocol, ``str()`` and ``expand()``.

Expected values were taken from the official bindings (htcondor 24.0.24).
"""

from __future__ import annotations

import pytest

import classad
import htcondor
from htcondor import Submit

# -- construction ----------------------------------------------------------------------------------------


def test_from_dict_keeps_order_and_text():
    sub = Submit({"executable": "/bin/true", "arguments": "a b"})
    assert sub.items() == [("executable", "/bin/true"), ("arguments", "a b")]


def test_from_kwargs():
    assert str(Submit(executable="/bin/true", arguments="a b")) == "executable = /bin/true\narguments = a b\n"


def test_dict_and_kwargs_together():
    assert str(Submit({"executable": "/bin/true"}, arguments="x")) == "executable = /bin/true\narguments = x\n"


def test_from_iterable_of_pairs():
    assert str(Submit([("a", "b")])) == "a = b\n"


def test_from_text():
    sub = Submit("  Executable   =   /bin/x  \narguments = a \\\n b\n# comment\nc = 1 # not a comment\n")
    assert sub.items() == [("Executable", "/bin/x"), ("arguments", "a b"), ("c", "1 # not a comment")]


def test_empty_text():
    sub = Submit("")
    assert len(sub) == 0
    assert str(sub) == ""


def test_text_if_else():
    assert Submit("a = 1\nif $(a)\nb = 2\nelse\nb = 3\nendif\n").items() == [("a", "1"), ("b", "2")]


def test_plus_attr_is_stored_as_my():
    sub = Submit({"+Foo": "1"})
    assert sub.keys() == ["MY.Foo"]
    assert sub["+Foo"] == "1"
    assert sub["MY.Foo"] == "1"


def test_plus_attr_in_text():
    assert str(Submit('+Foo = "bar"\nexecutable = x\n')) == 'MY.Foo = "bar"\nexecutable = x\n'


def test_values_that_are_not_strings():
    sub = Submit({"a": 1, "b": 2.5, "c": True, "d": None, "e": classad.ExprTree("x + 1"),
                  "f": classad.ClassAd({"a": 1})})
    assert str(sub) == "a = 1\nb = 2.5\nc = True\nd = undefined\ne = x + 1\nf = [ a = 1 ]\n"


def test_two_positional_arguments():
    with pytest.raises(htcondor.HTCondorTypeError, match="more than one positional argument"):
        Submit({}, {})


def test_not_a_mapping():
    with pytest.raises(TypeError):
        Submit(5)


def test_bad_pairs():
    with pytest.raises(TypeError):
        Submit([1, 2])


def test_key_that_is_not_a_string():
    with pytest.raises(TypeError):
        Submit({1: "a"})


def test_text_line_that_is_not_a_command_names_the_line():
    with pytest.raises(htcondor.HTCondorValueError, match="line 2") as info:
        Submit("executable = /bin/true\nthis is not a command\n")
    assert "this is not a command" in str(info.value)


def test_text_illegal_identifier_names_the_line():
    with pytest.raises(htcondor.HTCondorValueError, match="line 2"):
        Submit("executable = /bin/true\n= foo\n")


def test_text_colon_assignment_is_rejected():
    with pytest.raises(htcondor.HTCondorValueError, match="invalid queue statement"):
        Submit("a : 1\n")


def test_text_missing_include_names_the_file():
    with pytest.raises(htcondor.HTCondorValueError, match="/nonexistent/file"):
        Submit("include : /nonexistent/file\n")


# -- the dict protocol -------------------------------------------------------------------------------------


def test_names_are_case_insensitive_and_keep_first_spelling():
    sub = Submit({"Executable": "x", "executable": "y"})
    assert sub["EXECUTABLE"] == "y"
    assert sub.items() == [("Executable", "y")]


def test_repeated_text_command_keeps_first_position():
    sub = Submit("b = 1\na = 2\nB = 3")
    assert sub.keys() == ["b", "a"]
    assert sub.items() == [("b", "3"), ("a", "2")]
    assert list(sub.values()) == ["3", "2"]
    assert len(sub) == 2


def test_iteration_gives_the_names():
    # (The official module's __iter__ is broken; this one iterates like a dict.)
    assert list(Submit("b = 1\na = 2")) == ["b", "a"]


def test_missing_key():
    with pytest.raises(KeyError):
        Submit(a="1")["zz"]


def test_get():
    sub = Submit(a="1")
    assert (sub.get("A"), sub.get("zz"), sub.get("zz", "d")) == ("1", None, "d")


def test_setdefault():
    sub = Submit(a="1")
    assert sub.setdefault("a", "x") == "1"
    assert sub.setdefault("b", 5) == "5"
    assert dict(sub) == {"a": "1", "b": "5"}


def test_delete():
    sub = Submit(a="1", b="2")
    del sub["A"]
    assert dict(sub) == {"b": "2"}
    with pytest.raises(KeyError):
        del sub["zz"]


def test_delete_plus_attr():
    sub = Submit({"+Foo": "1", "b": "1"})
    del sub["+Foo"]
    assert dict(sub) == {"b": "1"}


def test_update_from_dict_pairs_and_kwargs():
    sub = Submit(a="1")
    sub.update({"b": "2"}, c=3)
    sub.update([("d", "4")])
    assert dict(sub) == {"a": "1", "b": "2", "c": "3", "d": "4"}


def test_update_with_a_non_mapping():
    with pytest.raises(htcondor.HTCondorTypeError, match="dictionary-like"):
        Submit().update(5)


def test_copy_through_dict():
    assert dict(Submit(Submit(a="1", b="$(a)"))) == {"a": "1", "b": "$(a)"}


def test_equality_is_identity():
    a, b = Submit(a="1"), Submit(a="1")
    assert a != b
    assert a == a


def test_setitem_self_reference_extends_previous_value():
    sub = Submit(a="1")
    sub["A"] = "$(A) 2 $(a:ignored) $$(a)"
    assert sub.items() == [("a", "1 2 1 $$(a)")]


def test_setitem_self_reference_to_undefined_is_kept():
    sub = Submit(b="1")
    sub["a"] = "$(a:x) 2"
    assert sub["a"] == "$(a:x) 2"


def test_setitem_self_reference_to_empty_uses_default():
    sub = Submit(a="")
    sub["a"] = "$(a:x) 2"
    assert sub["a"] == "x 2"


def test_text_self_reference_uses_builtin_default():
    assert Submit("process = <$(process)>\nnode = <$(node:none)>").items() == [("process", "<0>"),
                                                                              ("node", "<none>")]


def test_text_self_reference_of_plus_attr():
    assert Submit("+A = 1\n+A = $(MY.A) + 1").items() == [("MY.A", "1 + 1")]


# -- str() ---------------------------------------------------------------------------------------------------


def test_str_with_queue_statement():
    assert str(Submit("executable = x\nqueue 3 in (a, b)")) == "executable = x\nqueue 3 in (a, b)"


def test_repr_is_repr_of_str():
    assert repr(Submit("executable = x\nqueue 3")) == repr("executable = x\nqueue 3")


def test_str_drops_what_follows_the_queue_statement():
    sub = Submit("a = 1\nqueue 2\nb = 2\n")
    assert str(sub) == "a = 1\nqueue 2"
    assert sub.items() == [("a", "1")]


# -- expand() ------------------------------------------------------------------------------------------------


def expand(value: str, **others) -> str:
    return Submit(others, x_under_test=value).expand("x_under_test")


def test_expand_plain_reference():
    assert expand("$(a)2", a="1") == "12"


def test_expand_defaults():
    assert expand("$(zz:dflt) $(zz:)") == "dflt "
    assert expand("$(zz:dflt)", zz="v") == "v"
    assert expand("$(zz:$(yy:in))") == "in"


def test_expand_is_case_insensitive_and_recursive():
    assert expand("$(FOO)$(foo)", Foo="v") == "vv"
    assert expand("$(b)$(b)", b="$(c)", c="x") == "xx"


def test_expand_job_ids_outside_jobs():
    assert expand("$(Cluster) $(ClusterId) $(Process) $(ProcId) $(JobId)") == "1 1 0 0 1.0"


def test_expand_item_variables_outside_jobs():
    assert expand("<$(Item)> <$(ItemIndex)> <$(Step)> <$(Row)> <$(Node)>") == "<> <0> <0> <0> <>"


def test_expand_env(monkeypatch):
    monkeypatch.setenv("SUBTEST_VAR", "envval")
    monkeypatch.delenv("SUBTEST_NOPE", raising=False)
    assert expand("$ENV(SUBTEST_VAR) <$ENV(SUBTEST_NOPE)> $ENV(SUBTEST_NOPE:dd)") == "envval <UNDEFINED> dd"


def test_expand_int_and_real():
    assert expand("$INT(x) $INT(x,%03d) $INT(y) $INT(12)", x="7", y="7*3") == "7 007 21 12"
    assert expand("$REAL(x) $REAL(x,%.3f) $REAL(y)", x="2.5", y="3") == "2.5 2.500 3"


def test_expand_int_of_non_integer_names_the_key():
    sub = Submit(x="abc", b="$INT(x)")
    with pytest.raises(htcondor.HTCondorValueError, match=r"abc does not evaluate to an integer.*\bb\b"):
        sub.expand("b")


def test_expand_random_integer_stays_in_range():
    seen = {expand("$RANDOM_INTEGER(3,5)") for _ in range(200)}
    assert seen <= {"3", "4", "5"} and len(seen) > 1
    assert {expand("$RANDOM_INTEGER(0,10,5)") for _ in range(200)} <= {"0", "5", "10"}


def test_expand_random_choice_stays_in_choices():
    seen = {expand("$RANDOM_CHOICE(x,y,z)") for _ in range(200)}
    assert seen <= {"x", "y", "z"} and len(seen) > 1


def test_expand_choice_and_substr():
    assert expand("$CHOICE(i,a,b,c) $SUBSTR(s,1,3) $SUBSTR(s,-2)", i="1", s="abcdef") == "b bcd ef"


def test_expand_filename_flags():
    assert expand("$Fp(p)|$Fn(p)|$Fx(p)|$Fnx(p)|$Fd(p)|$Fdb(p)|$Fq(p)|$Fa(p)", p="/a/b/c.txt") == \
        '/a/b/|c|.txt|c.txt|b/|b|"/a/b/c.txt"|/a/b/c.txt'
    assert expand("$Fn(p)|$Fx(p)|$Fd(p)|$Fpn(p)", p="b/c.tar.gz") == "c.tar|.gz|b/|b/c.tar"
    assert expand("$Fn(p)|$Fq(p)|$Fnxq(p)", p='"a b/c d.txt"') == 'c d|"a b/c d.txt"|"c d.txt"'


def test_expand_keeps_dollar_dollar_and_unfinished_references():
    assert expand("$$(Memory) $$([Memory*2]) $$(Memory:1)") == "$$(Memory) $$([Memory*2]) $$(Memory:1)"
    assert expand("$(abc") == "$(abc"
    assert expand("$(DOLLAR)x") == "$x"


def test_expand_configuration_is_not_visible():
    assert expand("<$(FILESYSTEM_DOMAIN)> <$(LOG)> <$(SUBMIT_TIME)>") == "<> <> <>"


def test_expand_plus_attr():
    assert Submit({"+A": "$(b)", "b": "1"}).expand("+A") == "1"


def test_expand_undefined_or_empty():
    with pytest.raises(RuntimeError):
        Submit(b="1").expand("zz")
    with pytest.raises(RuntimeError):
        Submit(b="$(zz)").expand("b")


def test_expand_cycle_names_the_key():
    sub = Submit(a="$(b)", b="$(a)", c="$(a)")
    with pytest.raises(htcondor.HTCondorValueError, match=r"does not terminate.*\bc\b"):
        sub.expand("c")
