"""The Python API of ClassAd and ExprTree: dict behaviour, conversions, errors, parsing helpers."""

from __future__ import annotations

import datetime
import io
import os
import pickle
import warnings

import pytest

import classad

DATA = os.path.join(os.path.dirname(__file__), "data")


def _identity_cases():
    with open(os.path.join(DATA, "identity.txt")) as f:
        return [line.rstrip("\n") for line in f if line.strip() and not line.startswith("#")]


@pytest.mark.parametrize("text", _identity_cases())
def test_unparse_round_trip(text):
    assert repr(classad.ExprTree(text)) == text


def test_classad_is_a_case_insensitive_mutable_mapping():
    ad = classad.ClassAd()
    ad["Memory"] = 2048
    ad["memory"] = 4096
    assert list(ad) == ["Memory"]
    assert ad["MEMORY"] == 4096
    assert "mEmOrY" in ad and "Cpus" not in ad
    assert ad.get("Cpus", 1) == 1
    assert ad.setdefault("Cpus", 2) == 2 and ad["cpus"] == 2
    del ad["CPUS"]
    assert len(ad) == 1
    with pytest.raises(KeyError):
        ad["Cpus"]
    del ad["Cpus"]  # a missing attribute: silently nothing, as in HTCondor's bindings
    assert len(ad) == 1


def test_values_come_back_as_python_values_and_expressions_as_exprtree():
    ad = classad.ClassAd('[a = 1; b = {1, a, "x"}; c = [x = 1; y = x + a]; d = 1.5; e = undefined; f = a + 1]')
    assert ad["a"] == 1 and type(ad["a"]) is int
    assert ad["d"] == 1.5
    assert ad["e"] is classad.Value.Undefined
    assert isinstance(ad["f"], classad.ExprTree) and ad["f"].eval() == 2
    b = ad["b"]
    assert b[0] == 1 and isinstance(b[1], classad.ExprTree) and b[2] == "x"
    assert ad["c"]["x"] == 1
    assert ad.eval("f") == 2


def test_key_order_is_length_then_case_insensitive_name():
    ad = classad.ClassAd()
    for name in ["Zeta", "alpha", "Beta", "x1", "ClusterId", "Cmd"]:
        ad[name] = 1
    assert list(ad.keys()) == ["x1", "Cmd", "Beta", "Zeta", "alpha", "ClusterId"]


def test_assigning_python_values():
    ad = classad.ClassAd()
    ad["s"] = "text"
    ad["n"] = None
    ad["l"] = [1, "two", 3.0]
    ad["d"] = {"k": True}
    ad["t"] = datetime.datetime(2020, 1, 2, 3, 4, 5)
    ad["e"] = classad.ExprTree("s + 1")
    assert ad.lookup("s").eval() == "text"
    assert ad["n"] is classad.Value.Undefined
    assert repr(ad.lookup("l")) == '{ 1,"two",3.000000000000000E+00 }'
    assert ad["d"] == {"k": True}
    assert ad.eval("t") == datetime.datetime(2020, 1, 2, 3, 4, 5)
    assert ad.eval("e") is classad.Value.Error


def test_equality_and_pickling():
    a = classad.ClassAd('[x = 1; y = x + 1]')
    b = classad.ClassAd('[X = 1; y = x+1]')
    assert a == b and not (a != b)
    assert a != classad.ClassAd('[x = 2; y = x + 1]')
    assert pickle.loads(pickle.dumps(a)) == a
    e = classad.ExprTree("x + 1")
    assert repr(pickle.loads(pickle.dumps(e))) == "x + 1"


def test_exprtree_operators_build_expressions():
    e = classad.ExprTree("a")
    assert repr(e + 1) == "a + 1"
    assert repr(1 + e) == "1 + a"
    assert repr(e == 2) == "a == 2"
    assert repr(e.and_(True)) == "a && true"
    assert repr(e.is_(classad.Value.Undefined)) == "a is undefined"
    assert (e.is_(classad.Value.Undefined)).eval() is True


def test_exprtree_conversions():
    assert int(classad.ExprTree('"12"')) == 12
    assert float(classad.ExprTree("true")) == 1.0
    assert bool(classad.ExprTree("undefined")) is False
    with pytest.raises(classad.ClassAdEvaluationError):
        bool(classad.ExprTree("error"))
    with pytest.raises(classad.ClassAdValueError):
        int(classad.ExprTree("{1}"))
    assert classad.ExprTree("{1,2}")[1] == 2
    assert classad.ExprTree('"abc"')[1] == "b"


def test_parse_errors_have_the_documented_bases_and_point_at_the_input():
    with pytest.raises(classad.ClassAdParseError) as info:
        classad.ExprTree("a + (b * ")
    err = info.value
    assert isinstance(err, (ValueError, SyntaxError, RuntimeError, classad.ClassAdException))
    assert "^" in str(err)
    with pytest.raises(classad.ClassAdParseError):
        classad.ClassAd("a = 1")


def test_evaluation_failure_is_a_classad_evaluation_error():
    with pytest.raises(classad.ClassAdEvaluationError):
        classad.ClassAd("[a = a]").eval("a")
    with pytest.raises(classad.ClassAdEvaluationError):
        classad.ExprTree(".a").eval()


def test_parse_ads_new_and_old_from_strings_and_files(tmp_path):
    assert [ad["x"] for ad in classad.parseAds("[x = 1] [x = 2]")] == [1, 2]
    assert [ad["x"] for ad in classad.parseAds("x = 1\n\nx = 2\n# c\n")] == [1, 2]
    path = tmp_path / "ads"
    path.write_text("[x = 1]\n[x = 2]\n[x = 3]\n")
    with open(path) as f:
        assert classad.parseNext(f)["x"] == 1
        assert classad.parseNext(f)["x"] == 2
        assert [ad["x"] for ad in classad.parseAds(f)] == [3]
    with open(path, "rb") as f:
        assert len(list(classad.parseAds(f, classad.Parser.New))) == 3


def test_parse_ads_is_lazy():
    reads = []

    class Source(io.StringIO):
        def read(self, n=-1):
            reads.append(n)
            return super().read(n)

    text = "".join(f"[x = {i}]\n" for i in range(50_000))
    it = classad.parseAds(Source(text), classad.Parser.New)
    assert next(it)["x"] == 0
    assert sum(r for r in reads if r > 0) < len(text)


def test_old_format_details():
    ad = classad.parseOne('a = "x\\"y"\nb = 1 2\nc = a\n', classad.Parser.Old)
    assert ad["a"] == 'x"y' and ad["b"] == 1
    with pytest.raises(classad.ClassAdParseError):
        classad.parseOne("a = (\n", classad.Parser.Old)


def test_broken_new_ad_in_a_stream_is_an_error():
    with pytest.raises(classad.ClassAdParseError):
        list(classad.parseAds("[a = 1] [b = ]"))


def test_deprecated_functions_warn():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert classad.parse("[a = 1]")["a"] == 1
        assert classad.parseOld("a = 1\nb = 2")["b"] == 2
        assert len(list(classad.parseOldAds("a = 1\n\nb = 2\n"))) == 2
    assert sum(issubclass(w.category, DeprecationWarning) for w in caught) == 3


def test_quote_unquote_round_trip():
    for s in ['plain', 'with "quotes"', "tab\tnl\n", "back\\slash", "café"]:
        assert classad.unquote(classad.quote(s)) == s
    assert classad.quote("café") == '"caf\\303\\251"'


def test_register_python_function():
    def triple(x):
        return 3 * x

    classad.register(triple)
    assert classad.ExprTree("triple(14)").eval() == 42
    assert classad.ExprTree("TRIPLE(2)").eval() == 6

    def where(state):
        return state["name"]

    classad.register(where, "whereAmI")
    assert classad.ClassAd('[name = "here"; w = whereAmI()]').eval("w") == "here"


def test_register_library_is_refused_clearly():
    with pytest.raises(classad.ClassAdOSError, match="register"):
        classad.registerLibrary("/nonexistent/libfoo.so")


def test_matching_both_ways():
    job = classad.ClassAd('[Requirements = TARGET.Memory >= RequestMemory; RequestMemory = 1024]')
    slot = classad.ClassAd('[Memory = 2048; Requirements = TARGET.RequestMemory <= MY.Memory]')
    small = classad.ClassAd('[Memory = 512; Requirements = true]')
    assert job.symmetricMatch(slot) and slot.matches(job)
    assert not job.symmetricMatch(small)
    # unscoped names not in the job are found in the slot (HTCondor's compatibility rule)
    assert classad.ClassAd("[Requirements = Memory > 1000]").matches(slot) is False
    assert slot.matches(classad.ClassAd("[Requirements = Memory > 1000]"))


def test_flatten_and_references():
    ad = classad.ClassAd('[a = 1; b = a + x]')
    assert repr(ad.flatten(classad.ExprTree("a + y"))) == "1 + y"
    assert ad.flatten(classad.ExprTree("a + 1")) == 2
    assert ad.externalRefs(classad.ExprTree("b + TARGET.z")) == ["TARGET.z", "x"]
    assert ad.internalRefs(classad.ExprTree("b + TARGET.z")) == ["a", "b"]


def test_a_match_inside_a_match_restores_the_outer_pair():
    inner_slot = classad.ClassAd('[Memory = 1; Requirements = true]')
    inner_job = classad.ClassAd('[Requirements = TARGET.Memory == 1]')

    def innerMatches():
        return inner_job.symmetricMatch(inner_slot)

    classad.register(innerMatches)
    job = classad.ClassAd('[Requirements = innerMatches() && TARGET.Memory == 2048; Owner = "me"]')
    slot = classad.ClassAd('[Memory = 2048; Requirements = TARGET.Owner == "me"]')
    assert job.symmetricMatch(slot)
    assert not job.symmetricMatch(inner_slot)
    assert job._parent is None and slot._parent is None


def test_simplify_with_a_target():
    job = classad.ClassAd('[RequestMemory = 1024]')
    slot = classad.ClassAd('[Memory = 4096]')
    assert classad.ExprTree("TARGET.Memory - MY.RequestMemory").simplify(job, slot).eval() == 3072


# Made by the official bindings: pickle.dumps(classad.ClassAd("[a = 1; b = a + 1]"), 2)
OFFICIAL_PICKLE = (b"\x80\x02cclassad.classad\nClassAd\nq\x00X.\x00\x00\x00\n    [\n        a = 1; \n"
                   b"        b = a + 1\n    ]q\x01\x85q\x02Rq\x03.")


def test_pickles_move_between_the_official_module_and_this_one():
    ad = pickle.loads(OFFICIAL_PICKLE)
    assert isinstance(ad, classad.ClassAd) and ad.eval("b") == 2
    assert b"cclassad.classad\nClassAd" in pickle.dumps(ad, 2)
    assert b"cclassad.classad\nExprTree" in pickle.dumps(classad.ExprTree("a + 1"), 2)
