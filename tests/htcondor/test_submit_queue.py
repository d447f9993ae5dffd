"""``htcondor.Submit`` queue statements: every form, ``itemdata()``, ``getQArgs()``/``setQArgs()``.

Expected values were taken from the official bindings (htcondor 24.0.24).
"""

from __future__ import annotations

import pytest

import htcondor
from htcondor import Submit

ITEM_ARGS = "executable = /bin/echo\narguments = $(Item)\n"
VAR_ARGS = "executable = /bin/echo\narguments = <$(x)> <$(y)> $(Step) $(Row) $(ItemIndex) $(Item)\n"


def run(text: str):
    """(queue arguments, items, [(ProcId, Args)]) of a description."""
    sub = Submit(text)
    return sub.getQArgs(), list(sub.itemdata()), [(ad["ProcId"], ad.get("Args")) for ad in sub.jobs()]


@pytest.fixture
def files(tmp_path, monkeypatch):
    (tmp_path / "items.txt").write_text("l1\nl2 x\n\nl3\n")
    for name in ("a.dat", "b.dat", "c.txt"):
        (tmp_path / name).write_text("")
    (tmp_path / "d1").mkdir()
    (tmp_path / "d2").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_bare_queue():
    assert run(ITEM_ARGS + "queue") == ("", [], [(0, None)])


def test_no_queue_statement_makes_one_job():
    assert run(ITEM_ARGS) == ("", [], [(0, None)])


def test_queue_count():
    assert run(ITEM_ARGS + "queue 3") == ("3", [], [(0, None), (1, None), (2, None)])


def test_queue_count_expression_and_macro():
    assert run(ITEM_ARGS + "queue 1+2")[2] == [(0, None), (1, None), (2, None)]
    assert run(ITEM_ARGS + "n = 2\nqueue $(n)") == ("$(n)", [], [(0, None), (1, None)])


def test_queue_zero_still_makes_one_job():
    assert run(ITEM_ARGS + "queue 0") == ("0", [], [(0, None)])


def test_queue_negative_count():
    with pytest.raises(htcondor.HTCondorValueError, match="Queue count out of range"):
        list(Submit(ITEM_ARGS + "queue -1").jobs())


def test_queue_in_list():
    assert run(ITEM_ARGS + "queue in (a, b c)") == ("in (a, b c)", ["a", "b", "c"],
                                                    [(0, "a"), (1, "b"), (2, "c")])


def test_queue_in_list_on_following_lines():
    assert run(ITEM_ARGS + "queue in (\na\nb\n)\n") == ("in (", ["a", "b"], [(0, "a"), (1, "b")])


def test_queue_count_and_variable_in_list():
    qargs, items, jobs = run(VAR_ARGS + "queue 2 x in (a, b)")
    assert items == [{"x": "a"}, {"x": "b"}]
    assert jobs == [(0, "<a> <> 0 0 0"), (1, "<a> <> 1 0 0"), (2, "<b> <> 0 1 1"), (3, "<b> <> 1 1 1")]


def test_queue_from_inline_rows():
    qargs, items, jobs = run(VAR_ARGS + "queue x, y from (\n1 one\n2, two\n)")
    assert qargs == "x, y from ("
    assert items == [{"x": "1", "y": "one"}, {"x": "2", "y": "two"}]
    assert jobs == [(0, "<1> <one> 0 0 0"), (1, "<2> <two> 0 1 1")]


def test_queue_from_inline_with_one_variable_keeps_the_line():
    assert run(VAR_ARGS + "queue x from (\n1 one\n2\n)")[1] == [{"x": "1 one"}, {"x": "2"}]


def test_queue_from_file(files):
    qargs, items, jobs = run(ITEM_ARGS + "queue from items.txt")
    assert items == ["l1", "l2 x", "", "l3"]
    # A blank line repeats the previous row's values.
    assert jobs == [(0, "l1"), (1, "l2 x"), (2, "l2 x"), (3, "l3")]


def test_queue_variables_from_file(files):
    assert run(VAR_ARGS + "queue x,y from items.txt")[1] == [{"x": "l1", "y": ""}, {"x": "l2", "y": "x"}, {},
                                                             {"x": "l3", "y": ""}]


def test_queue_from_missing_file(files):
    with pytest.raises(htcondor.HTCondorInternalError, match="nope.txt"):
        list(Submit(ITEM_ARGS + "queue from nope.txt").itemdata())


def test_queue_matching(files):
    assert run(ITEM_ARGS + "queue matching *.dat") == ("matching *.dat", ["a.dat", "b.dat"],
                                                       [(0, "a.dat"), (1, "b.dat")])
    assert run(ITEM_ARGS + "queue matching files *.dat")[1] == ["a.dat", "b.dat"]
    assert run(ITEM_ARGS + "queue matching dirs d*")[1] == ["d1/", "d2/"]
    assert run(VAR_ARGS + "queue x matching *.dat")[1] == [{"x": "a.dat"}, {"x": "b.dat"}]


@pytest.mark.parametrize("qslice, expected", [("[1:]", ["b", "c", "d"]), ("[::2]", ["a", "c"]),
                                               ("[-2:]", ["c", "d"]), ("[1:3]", ["b", "c"])])
def test_queue_slice(qslice, expected):
    assert run(ITEM_ARGS + f"queue in {qslice} (a, b, c, d)")[1:] == (expected, [(i, v) for i, v in
                                                                               enumerate(expected)])


def test_step_counts_jobs_per_item():
    jobs = run(VAR_ARGS + "queue 3 x in (a, b)")[2]
    assert [args.split()[2:4] for _, args in jobs] == [["0", "0"], ["1", "0"], ["2", "0"],
                                                       ["0", "1"], ["1", "1"], ["2", "1"]]


def test_empty_list_still_makes_its_jobs():
    assert [ad.get("Args") for ad in Submit(ITEM_ARGS + "queue 2 in ()").jobs()] == [None, None]


def test_unbalanced_parenthesis_is_kept_until_used():
    sub = Submit("executable = x\nqueue in (a, b")
    assert str(sub) == "executable = x\nqueue in (a, b"
    with pytest.raises(htcondor.HTCondorInternalError, match=r"closing brace.*queue in \(a, b"):
        list(sub.itemdata())
    with pytest.raises(htcondor.HTCondorValueError, match=r"closing brace.*queue in \(a, b"):
        list(sub.jobs())


def test_unbalanced_inline_rows_name_the_statement():
    sub = Submit("executable = x\nqueue from (\na\nb\n")
    with pytest.raises(htcondor.HTCondorInternalError, match=r"closing brace.*queue from \("):
        list(sub.itemdata())


def test_bad_queue_statement_fails_when_used():
    sub = Submit("executable = x\nqueue foo bar baz")
    assert sub.getQArgs() == "foo bar baz"
    with pytest.raises(htcondor.HTCondorValueError, match="Invalid Queue count expression"):
        list(sub.itemdata())
    with pytest.raises(htcondor.HTCondorValueError, match="Invalid Queue count expression"):
        list(sub.jobs())


# -- itemdata() -------------------------------------------------------------------------------------------


def test_itemdata_type_and_empty_cases():
    assert type(Submit("executable = x\nqueue in (a)").itemdata()).__name__ == "QueueItemsIterator"
    assert list(Submit("executable = x").itemdata()) == []
    assert list(Submit("executable = x\nqueue 5").itemdata()) == []


def test_itemdata_of_another_statement():
    sub = Submit("executable = x\nqueue in (z)")
    assert list(sub.itemdata("queue a,b from (1 2\n3 4)")) == [{"a": "1", "b": "2\n3 4"}]
    assert list(sub.itemdata("in (p, q)")) == ["p", "q"]
    assert sub.getQArgs() == "in (z)"


def test_itemdata_of_a_bad_statement():
    with pytest.raises(htcondor.HTCondorValueError, match="Invalid Queue count expression"):
        Submit("executable = x").itemdata("foo bar baz")


def test_itemdata_of_an_unclosed_list_argument():
    with pytest.raises(htcondor.HTCondorValueError, match="inline items not available"):
        Submit("executable = x").itemdata("in (a, b")


# -- getQArgs() / setQArgs() ------------------------------------------------------------------------------


def test_setqargs_replaces_the_statement():
    sub = Submit("executable = x\nqueue")
    sub.setQArgs("in (x, y)")
    assert sub.getQArgs() == "in (x, y)"
    assert list(sub.itemdata()) == ["x", "y"]
    assert str(sub) == "executable = x\nqueue in (x, y)"


def test_setqargs_drops_the_queue_keyword():
    sub = Submit("executable = x")
    sub.setQArgs("queue 2")
    assert (sub.getQArgs(), str(sub)) == ("2", "executable = x\nqueue 2")
    assert len(list(sub.jobs())) == 2


def test_setqargs_empty_removes_the_statement():
    sub = Submit("executable = x\nqueue 4")
    sub.setQArgs("")
    assert (sub.getQArgs(), str(sub)) == ("", "executable = x\n")


def test_setqargs_rejects_newlines():
    with pytest.raises(htcondor.HTCondorValueError, match="newline"):
        Submit("executable = x").setQArgs("1\n2")


def test_setqargs_keeps_a_bad_statement_until_used():
    sub = Submit("executable = x")
    sub.setQArgs("foo bar baz")
    assert sub.getQArgs() == "foo bar baz"
    with pytest.raises(htcondor.HTCondorValueError, match="Invalid Queue count expression"):
        list(sub.jobs())
