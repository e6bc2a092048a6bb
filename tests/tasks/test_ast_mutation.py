"""Tests of tasks.ast_mutation: validity, distinctness, coverage of families, determinism."""

from __future__ import annotations

import ast
import itertools
import random
from collections.abc import Callable
from typing import Any

import pytest

from tasks import ast_mutation
from tasks.ast_mutation import OPERATORS, Mutant, enumerate_mutants, mutate_once

# Small trusted pure functions without loops that could run forever; executing their
# mutants in-process is safe.
EXAMPLE = '''
def f(a, b, flag):
    """Docstring stays."""
    total = a + b * 2
    total -= a // 3
    total %= 7
    if a < b and not flag:
        total = total - 1
    elif a == b or b in (0, 1):
        total = -total
    for x in [a, b]:
        if x is None:
            continue
    label = 'hit' if total >= 0 else ''
    return (pow(a, 2) - total, label, 0.5 * b, flag is True)
'''

CLASSIFY = """
def classify(n):
    if n < 0:
        return -1
    if n == 0:
        return 0
    return 1
"""

SUM_POSITIVE = """
def sum_positive(xs):
    s = 0
    for x in xs:
        if x > 0:
            s += x
    return s
"""

CLAMP = """
def clamp(x, lo, hi):
    if x < lo:
        return lo
    if x > hi:
        return hi
    return x
"""


def _load(source: str, name: str) -> Callable[..., Any]:
    namespace: dict[str, Any] = {}
    exec(compile(source, "<example>", "exec"), namespace)
    function: Callable[..., Any] = namespace[name]
    return function


def _outputs(function: Callable[..., Any], inputs: list[tuple[Any, ...]]) -> list[str]:
    out = []
    for args in inputs:
        try:
            out.append(repr(function(*args)))
        except Exception as exc:
            out.append(f"raised {type(exc).__name__}")
    return out


def _normal(source: str) -> str:
    return ast.unparse(ast.parse(source))


def test_every_mutant_compiles_and_is_distinct() -> None:
    mutants = enumerate_mutants(EXAMPLE)
    assert len(mutants) > 40
    texts = [m.source for m in mutants]
    assert len(set(texts)) == len(texts)
    assert _normal(EXAMPLE) not in texts
    for m in mutants:
        compile(m.source, "<mutant>", "exec")
        assert _normal(m.source) == m.source  # the text is already normalized
        assert m.operator in OPERATORS
        assert 2 <= m.lineno <= 15
        assert m.description


def test_each_family_fires_on_the_example() -> None:
    fired = {m.operator for m in enumerate_mutants(EXAMPLE)}
    assert fired == set(OPERATORS)


@pytest.mark.parametrize(
    ("source", "operator", "expected"),
    [
        ("y = a + b", "arithmetic", {"y = a - b", "y = a * b", "y = a / b", "y = a // b"}),
        ("y = a % b", "arithmetic", {"y = a + b", "y = a // b"}),
        ("y += a", "augmented", {"y -= a", "y *= a", "y /= a", "y //= a", "y %= a"}),
        ("y = a < b", "comparison", {"y = a <= b", "y = a >= b", "y = a > b"}),
        ("y = a == b", "comparison", {"y = a != b"}),
        ("y = a is None", "comparison", {"y = a is not None"}),
        ("y = a not in b", "comparison", {"y = a in b"}),
        ("y = a and b", "boolean", {"y = a or b"}),
        ("y = not a", "remove_not", {"y = a"}),
        ("if a:\n    y = 1", "negate_condition", {"if not a:\n    y = 1"}),
        ("y = -a", "remove_unary", {"y = a"}),
        ("y = 0", "constant", {"y = 1", "y = -1"}),
        ("y = 1", "constant", {"y = 2", "y = 0"}),
        ("y = True", "constant", {"y = False"}),
        ("y = 2.5", "constant", {"y = 3.5", "y = 1.5", "y = 0.0"}),
        ("y = ''", "constant", {"y = 'x'"}),
        ("y = 'abc'", "constant", {"y = ''"}),
        ("def g(a):\n    return a", "return_value", {"def g(a):\n    return None"}),
        ("y = 1\nz = 2", "statement_deletion", {"z = 2", "y = 1"}),
        ("if a:\n    y = 1", "statement_deletion", {"if a:\n    pass"}),
        ("y = g(a, b, c)", "swap_args", {"y = g(b, a, c)", "y = g(a, c, b)"}),
    ],
)
def test_operator_family_makes_the_expected_mutants(
    source: str, operator: str, expected: set[str]
) -> None:
    got = {m.source for m in enumerate_mutants(source, operators=[operator])}
    assert expected <= got
    assert all(m.operator == operator for m in enumerate_mutants(source, [operator]))


def test_negative_constants_keep_precedence() -> None:
    # 0 -> -1 must not unparse as "-1 ** 2" (which is -(1 ** 2)).
    texts = {m.source for m in enumerate_mutants("y = 0 ** 2", ["constant"])}
    assert "y = (-1) ** 2" in texts
    assert eval(compile("(-1) ** 2", "<t>", "eval")) == 1


def test_docstrings_annotations_and_imports_are_left_alone() -> None:
    source = 'import os\n\ndef g(a: int = 1) -> str:\n    """doc"""\n    return a\n'
    mutants = enumerate_mutants(source)
    for m in mutants:
        tree = ast.parse(m.source)
        assert isinstance(tree.body[0], ast.Import)
        fn = tree.body[1]
        assert isinstance(fn, ast.FunctionDef)
        assert ast.get_docstring(fn) == "doc"
        assert fn.returns is not None and ast.unparse(fn.returns) == "str"
        assert fn.args.args[0].annotation is not None
    assert {m.operator for m in mutants} == {"constant", "return_value", "statement_deletion"}


def test_obvious_equivalents_are_skipped() -> None:
    texts = "\n---\n".join(m.source for m in enumerate_mutants("y = max(a, b)\nz -= 1\nw += 0"))
    assert "y = max(b, a)" not in texts
    assert "z *= 1" not in texts  # a no-op, like deleting the statement
    assert "w -= 0" not in texts
    assert "w *= 0" in texts
    # In an expression, x * 1 is not the original and not a deletion: it stays.
    assert "y = x * 1" in {m.source for m in enumerate_mutants("y = x % 1")}


def test_order_and_result_are_deterministic() -> None:
    first = enumerate_mutants(EXAMPLE)
    ast_mutation._all_mutants.cache_clear()
    second = enumerate_mutants(EXAMPLE)
    assert first == second
    linenos = [m.lineno for m in first]
    assert linenos == sorted(linenos)  # pre-order: sites in source order here


def test_unknown_operator_family_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown mutation operators: nope"):
        enumerate_mutants(EXAMPLE, ["nope"])


def test_mutate_once_is_deterministic_and_uniform_over_mutants() -> None:
    all_texts = {m.source for m in enumerate_mutants(CLAMP)}
    picks = [mutate_once(CLAMP, random.Random(7)) for _ in range(3)]
    assert picks[0] is not None and picks[0] in all_texts
    assert picks == [picks[0]] * 3
    rng = random.Random(11)
    seen = [mutate_once(CLAMP, rng) for _ in range(400)]
    assert set(seen) == all_texts  # every mutant is reachable
    same = random.Random(11)
    assert seen == [mutate_once(CLAMP, same) for _ in range(400)]


def test_mutate_once_returns_none_when_nothing_applies() -> None:
    assert mutate_once("def f(:\n", random.Random(0)) is None
    assert mutate_once("import os\n", random.Random(0)) is None
    assert mutate_once("", random.Random(0)) is None
    assert enumerate_mutants("pass\n") == []


@pytest.mark.parametrize(
    ("source", "name", "inputs"),
    [
        (CLASSIFY, "classify", [(n,) for n in range(-3, 4)]),
        (SUM_POSITIVE, "sum_positive", [([],), ([1, 2],), ([-1, 3, 0],), ([5, -2, -7, 4],)]),
        (CLAMP, "clamp", list(itertools.product(range(-2, 5), [0], [2]))),
        (EXAMPLE, "f", list(itertools.product([0, 1, 4, 9], [0, 1, 5], [True, False]))),
    ],
)
def test_most_mutants_change_behaviour(
    source: str, name: str, inputs: list[tuple[Any, ...]]
) -> None:
    original = _outputs(_load(source, name), inputs)
    mutants: list[Mutant] = enumerate_mutants(source)
    changed = sum(_outputs(_load(m.source, name), inputs) != original for m in mutants)
    assert changed / len(mutants) >= 0.85, (changed, len(mutants))
