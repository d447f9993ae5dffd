"""The three evaluation engines agree: tree walking, closures, generated source.

An expression is interpreted the first time, run as closures afterwards,
and compiled to generated source when hot (matchmaking).  The conformance
suite checks the first two against HTCondor; this test checks that all
three give the same answer on many random expressions and scopes.
"""

from __future__ import annotations

import random

import classad
from classad import _codegen, _evaluate, _parser
from classad._unparse import unparse_value

ATOMS = ["1", "0", "-3", "2.5", "0.0", '"abc"', '"ABC"', '"é"', "true", "false", "undefined", "error",
         "x", "y", "s", "l", "ad", "MY.x", "TARGET.x", "missing", "{1, 2, x}", "[a = 1; b = x]",
         "absTime(\"2020-01-01T00:00:00Z\")", "relTime(60)", "relTime(\"1+00:00:30\")",
         ]
SUBSCRIPTS = ["0", "1", "5", '"a"']
BINARY = ["+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "=?=", "=!=", "&&", "||",
          "&", "|", "^", "<<", ">>", ">>>", "?:"]


def _expression(rng: random.Random, depth: int = 0) -> str:
    if depth > 3 or rng.random() < 0.3:
        return rng.choice(ATOMS)
    kind = rng.random()
    a = _expression(rng, depth + 1)
    if kind < 0.55:
        return f"({a} {rng.choice(BINARY)} {_expression(rng, depth + 1)})"
    if kind < 0.65:
        return "(" + rng.choice(["!", "-", "~", "+"]) + a + ")"
    if kind < 0.75:
        return f"({a} ? {_expression(rng, depth + 1)} : {_expression(rng, depth + 1)})"
    if kind < 0.85:
        index = rng.choice(SUBSCRIPTS)
        return f"({a})[{index}]"
    if kind < 0.92:
        return f"ifThenElse({a}, 1, 2)"
    return f"({a}).a"


def _scope():
    ad = classad.ClassAd('[x = 7; y = x * 2; s = "Abc"; l = {1, "two", x}; ad = [a = x; b = 2]]')
    return ad


def _show(fn):
    try:
        return unparse_value(fn())
    except _evaluate.EvalFailure:
        return "<failure>"


def test_interpreter_closures_and_generated_code_agree():
    rng = random.Random(4)
    scope = _scope()
    generated = 0
    for _ in range(3000):
        text = _expression(rng)
        node = _parser._parse(text, False, True)
        st = lambda: _evaluate.EvalState(scope)  # noqa: E731
        walked = _show(lambda: _evaluate.interpret(node, scope, st()))
        closure = _evaluate.compile_node(node)
        closed = _show(lambda: closure(scope, st()))
        assert walked == closed, text
        fn = _codegen.generate(node)
        if fn is not None:
            generated += 1
            assert _show(lambda: fn(scope, st())) == walked, (text, fn.source)
    assert generated > 1000


def test_generated_code_in_a_match_agrees_with_closures():
    rng = random.Random(5)
    slot = classad.ClassAd('[x = 3; Memory = 2048; Requirements = true]')
    for _ in range(500):
        text = _expression(rng)
        job = classad.ClassAd({"x": 1, "y": 2})
        job["Requirements"] = classad.ExprTree(text)
        expected = job.matches(slot)  # first evaluations: interpreter and closures
        node = job._attrs["requirements"][1]
        node.fn = None
        _evaluate.compile_hot(node)
        assert slot.matches(job) == slot.matches(job)
        assert job.symmetricMatch(slot) == job.symmetricMatch(slot)
        assert isinstance(expected, bool)
