"""Tests of the sorting_network task pack: networks, oracle, suites, judging and registry."""

from __future__ import annotations

import ast
import itertools
import random
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tasks.base import Case, InvalidInput, Outcome, Suite, Task, TaskError
from tasks.registry import entries, get_task, resolve
from tasks.sorting_network import (
    RegrowOperator,
    SortingNetworkTask,
    apply_to_states,
    batcher_network,
    green_prefix,
    is_sorting_network,
    network_depth,
    network_size,
    network_source,
    read_comparators,
    sorted_states,
    wire_states,
)

QUICK = settings(database=None, deadline=None, max_examples=60)
OPTIMAL_4 = [(0, 1), (2, 3), (0, 2), (1, 3), (1, 2)]

# ---- slow pure-Python references -----------------------------------------------------------


def slow_run(network: Any, bits: Any) -> list[int]:
    """Apply comparators one value at a time."""
    v = list(bits)
    for i, j in network:
        v[i], v[j] = min(v[i], v[j]), max(v[i], v[j])
    return v


def slow_sorts_all(network: Any, n: int, values: int = 2) -> bool:
    """Whether ``network`` sorts every vector over ``range(values)``."""
    return all(
        slow_run(network, b) == sorted(b) for b in itertools.product(range(values), repeat=n)
    )


def exec_constant(source: str) -> Any:
    """Run trusted task-provided source (the tests' own process) and read COMPARATORS."""
    namespace: dict[str, Any] = {}
    exec(source, namespace)
    return namespace["COMPARATORS"]


def bits(text: str) -> tuple[int, ...]:
    return tuple(int(c) for c in text)


@pytest.fixture(scope="module")
def task16() -> Task:
    """The plain n=16 task, whose 65,536-case hidden suite (built once) other tests reuse."""
    task = get_task("sorting_network:n=16")
    task.hidden_suite()
    return task


# ---- networks --------------------------------------------------------------------------------


@pytest.mark.parametrize("n", range(2, 17))
def test_batcher_networks_sort(n: int) -> None:
    network = batcher_network(n)
    assert all(0 <= i < j < n for i, j in network)
    assert is_sorting_network(network, n)
    if n <= 7:  # three values per wire: more than the 0-1 principle needs
        assert slow_sorts_all(network, n, values=3)


def test_batcher_sizes_and_depths() -> None:
    assert (network_size(batcher_network(4)), network_depth(batcher_network(4))) == (5, 3)
    assert (network_size(batcher_network(8)), network_depth(batcher_network(8))) == (19, 6)
    assert (network_size(batcher_network(16)), network_depth(batcher_network(16))) == (63, 10)


@pytest.mark.parametrize(
    ("network", "size", "depth"),
    [
        (OPTIMAL_4, 5, 3),
        ([], 0, 0),
        ([(0, 1), (2, 3), (4, 5)], 3, 1),
        ([(0, 1), (1, 2), (2, 3)], 3, 3),
        ([(0, 1), (2, 3), (0, 3), (1, 2), (4, 5)], 5, 2),
    ],
)
def test_size_and_depth(network: list[tuple[int, int]], size: int, depth: int) -> None:
    assert network_size(network) == size
    assert network_depth(network) == depth
    task = SortingNetworkTask(6)
    assert task.data_metrics([list(p) for p in network]) == {"comparators": size, "depth": depth}


# Dropping any one comparator of the optimal 4-network breaks exactly these inputs.
DROPPED_FAILURES = {
    (0, 1): {"1000", "1011"},
    (2, 3): {"0010", "1110"},
    (0, 2): {"1100", "1101", "1110"},
    (1, 3): {"0100", "1000", "1100"},
    (1, 2): {"0101", "0110", "1001", "1010"},
}


@pytest.mark.parametrize("dropped", OPTIMAL_4)
def test_dropping_a_comparator_fails_exactly_the_right_inputs(dropped: tuple[int, int]) -> None:
    task = SortingNetworkTask(4)
    network = [c for c in OPTIMAL_4 if c != dropped]
    cases = task.hidden_suite().cases
    outcomes = task.judge_data(network, cases)
    failing = {"".join(map(str, c.args[0])) for c, o in zip(cases, outcomes, strict=True) if o}
    assert failing == DROPPED_FAILURES[dropped]
    assert set(outcomes.tolist()) == {Outcome.PASS, Outcome.FAIL}
    assert not is_sorting_network(network, 4)
    assert is_sorting_network(OPTIMAL_4, 4)
    assert (task.judge_data(OPTIMAL_4, cases) == Outcome.PASS).all()


networks = st.integers(2, 8).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.lists(
            st.tuples(st.integers(0, n - 2), st.integers(1, n - 1))
            .filter(lambda p: p[0] < p[1])
            .map(lambda p: list(p) if sum(p) % 2 else p),  # mix lists and tuples
            max_size=30,
        ),
        st.lists(st.lists(st.integers(0, 1), min_size=n, max_size=n), max_size=80),
    )
)


@QUICK
@given(networks)
def test_judge_agrees_with_slow_reference(drawn: tuple[int, Any, list[list[int]]]) -> None:
    n, network, inputs = drawn
    task = SortingNetworkTask(n)
    suite, rejected = task.label_all([(tuple(v),) for v in inputs], "test")
    assert rejected == []
    outcomes = task.judge_data(network, suite.cases)
    expected = [
        Outcome.PASS if slow_run(network, c.args[0]) == sorted(c.args[0]) else Outcome.FAIL
        for c in suite
    ]
    assert outcomes.dtype == np.int8
    assert outcomes.tolist() == expected
    assert is_sorting_network(network, n) == slow_sorts_all(network, n)


def test_judge_on_cases_from_json_with_lists() -> None:
    task = SortingNetworkTask(4)
    cases = [Case.from_json(c.to_json()) for c in task.hidden_suite()]
    as_lists = [Case(([*c.args[0]],), c.expected, c.origin) for c in cases]
    broken = OPTIMAL_4[:-1]
    assert task.judge_data(broken, as_lists).tolist() == task.judge_data(broken, cases).tolist()
    assert (task.judge_data(broken, as_lists) == Outcome.FAIL).sum() == 4


def test_judge_respects_case_order_and_subsets() -> None:
    """The packed-suite cache must not confuse different lists of the same cases."""
    task = SortingNetworkTask(4)
    cases = task.hidden_suite().cases
    broken = OPTIMAL_4[1:]  # fails 1000 and 1011 only: not symmetric under reversal
    forward = task.judge_data(broken, cases)
    assert forward.tolist() != forward[::-1].tolist()
    assert task.judge_data(broken, cases[::-1]).tolist() == forward[::-1].tolist()
    assert task.judge_data(broken, cases[:8]).tolist() == forward[:8].tolist()
    assert task.judge_data(broken, cases[8:]).tolist() == forward[8:].tolist()
    assert task.judge_data(broken, cases[5:9]).tolist() == forward[5:9].tolist()
    for k in range(10):  # more distinct lists than cache slots
        assert task.judge_data(broken, cases[k:]).tolist() == forward[k:].tolist()
    assert task.judge_data(broken, cases).tolist() == forward.tolist()


def test_judge_rejects_cases_that_are_not_bit_vectors() -> None:
    task = SortingNetworkTask(3)
    with pytest.raises(TaskError):
        task.judge_data([], [Case(((0, 1),), [0, 1])])
    with pytest.raises(TaskError):
        task.judge_data([], [Case(((0, 1, 2),), [0, 1, 2])])
    with pytest.raises(TaskError):
        task.judge_data([], [Case(((0, 1, 0),), [0, 0, True])])


# ---- malformed networks ----------------------------------------------------------------------


def _deep(depth: int) -> Any:
    value: Any = [0, 1]
    for _ in range(depth):
        value = [value]
    return value


MALFORMED: list[Any] = [
    "[(0, 1)]",
    None,
    True,
    1.5,
    7,
    ((0, 1),),  # a tuple, not a list
    {0: 1},
    [[0]],
    [[0, 1, 2]],
    [[1, 0]],
    [[2, 2]],
    [[0, 4]],
    [[-1, 0]],
    [[True, 1]],
    [[0, True]],
    [[0.0, 1]],
    [[0, 1.0]],
    [[0, "1"]],
    ["01"],
    [None],
    [[0, 1], "x"],
    [[0, 2**70]],
    [{0, 1}],
    [[[0], [1]]],
    _deep(200),
    [[0, 1]] * (50 * 4 * 4 + 1),
    [[0, 1]] * 2_000_000,
]


@pytest.mark.parametrize("value", MALFORMED, ids=lambda v: repr(v)[:30])
def test_malformed_networks_error_everywhere(value: Any) -> None:
    task = SortingNetworkTask(4)
    cases = task.fixed_suite().cases
    outcomes = task.judge_data(value, cases)
    assert outcomes.dtype == np.int8
    assert outcomes.shape == (len(cases),)
    assert (outcomes == Outcome.ERROR).all()
    assert task.data_metrics(value) == {}
    assert task.judge_data(value, []).shape == (0,)


def test_size_cap_is_inclusive_and_lists_and_tuples_mix() -> None:
    task = SortingNetworkTask(4)
    cases = task.fixed_suite().cases
    at_cap = [[0, 1]] * 799 + [(2, 3)]  # 50 * n * n comparators
    assert (task.judge_data(at_cap, cases) != Outcome.ERROR).all()
    assert task.data_metrics(at_cap) == {"comparators": 800, "depth": 799}
    assert (task.judge_data([*at_cap, (0, 1)], cases) == Outcome.ERROR).all()
    mixed = [[0, 1], (2, 3), [0, 2], (1, 3), [1, 2]]
    assert (task.judge_data(mixed, cases) == Outcome.PASS).all()


json_like = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 10) | st.floats() | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=5) | st.tuples(inner, inner),
    max_leaves=20,
)


@QUICK
@given(json_like)
def test_arbitrary_values_never_raise(value: Any) -> None:
    task = SortingNetworkTask(4)
    cases = task.hidden_suite().cases
    outcomes = task.judge_data(value, cases)
    assert outcomes.shape == (16,)
    well_formed = type(value) is list and all(
        type(p) in (list, tuple)
        and len(p) == 2
        and all(type(x) is int for x in p)
        and 0 <= p[0] < p[1] < 4
        for p in value
    )
    if well_formed:
        assert set(outcomes.tolist()) <= {Outcome.PASS, Outcome.FAIL}
        assert task.data_metrics(value)["comparators"] == len(value)
    else:
        assert (outcomes == Outcome.ERROR).all()
        assert task.data_metrics(value) == {}
        assert not is_sorting_network(value, 4)


# ---- oracle and suites -----------------------------------------------------------------------


def test_oracle_sorts_bits() -> None:
    task = SortingNetworkTask(5)
    assert task.oracle(((1, 0, 1, 0, 0),)) == [0, 0, 0, 1, 1]
    assert task.oracle(([1, 1, 0, 1, 0],)) == [0, 0, 1, 1, 1]
    assert task.args_from_json([0, 1, 0, 0, 1]) == ([0, 1, 0, 0, 1],)


@pytest.mark.parametrize(
    "args",
    [
        ((0, 1, 0, 1),),  # too short
        ((0, 1, 0, 1, 0, 1),),  # too long
        ((0, 1, 2, 0, 1),),
        ((0, 1, -1, 0, 1),),
        ((True, 0, 0, 0, 0),),
        ((0, 0, 0, 0, 1.0),),
        ((0, 0, 0, 0, "1"),),
        ((0, 0, 0, 0, None),),
        ((0, 0, 0, 0, [1]),),
        ("01001",),
        ({0: 1},),
        (None,),
        (),
        ((0, 1, 0, 0, 1), (0, 1, 0, 0, 1)),
    ],
)
def test_oracle_rejects_out_of_domain(args: Any) -> None:
    task = SortingNetworkTask(5)
    with pytest.raises(InvalidInput):
        task.oracle(args)
    with pytest.raises(InvalidInput):
        task.label(args, "agent@1")
    suite, rejected = task.label_all([args, ((0, 0, 1, 0, 0),)], "agent@1")
    assert len(suite) == 1
    assert rejected == [tuple(args)]


@QUICK
@given(st.integers(2, 12).flatmap(lambda n: st.tuples(st.just(n), st.data())))
def test_input_strategy_is_in_domain(drawn: tuple[int, st.DataObject]) -> None:
    n, data = drawn
    task = SortingNetworkTask(n)
    args = data.draw(task.input_strategy())
    case = task.label(args, "agent@0")
    assert case.expected == sorted(args[0])
    assert len(case.expected) == n


@pytest.mark.parametrize("n", [2, 3, 5, 10])
def test_hidden_suite_is_every_binary_vector(n: int) -> None:
    task = SortingNetworkTask(n)
    hidden = task.hidden_suite()
    assert len(hidden) == 2**n
    assert {c.args[0] for c in hidden} == set(itertools.product((0, 1), repeat=n))
    assert all(c.origin == "hidden" and c.expected == sorted(c.args[0]) for c in hidden)


def test_hidden_suite_n16_is_complete_and_judged_right(task16: Task) -> None:
    task = task16
    hidden = task.hidden_suite()
    assert len(hidden) == 65_536
    assert len({c.key for c in hidden}) == 65_536
    outcomes = task.judge_data(batcher_network(16), hidden.cases)
    assert (outcomes == Outcome.PASS).all()
    broken = batcher_network(16)[:-1]
    outcomes = task.judge_data(broken, hidden.cases)
    assert set(outcomes.tolist()) == {Outcome.PASS, Outcome.FAIL}
    for case, outcome in list(zip(hidden, outcomes, strict=True))[::61]:
        truth = slow_run(broken, case.args[0]) == sorted(case.args[0])
        assert outcome == (Outcome.PASS if truth else Outcome.FAIL)


def test_fixed_suite_is_small_naive_and_weak() -> None:
    task = SortingNetworkTask(8)
    fixed = task.fixed_suite()
    assert 12 <= len(fixed) <= 16
    vectors = {c.args[0] for c in fixed}
    assert (0,) * 8 in vectors and (1,) * 8 in vectors
    assert (1, 0, 0, 0, 0, 0, 0, 0) in vectors and (0, 1, 0, 1, 0, 1, 0, 1) in vectors
    # The point of a hidden suite: some broken networks pass every fixed case.
    batcher = batcher_network(8)
    weak = [
        k
        for k in range(len(batcher))
        if (task.judge_data(batcher[:k] + batcher[k + 1 :], fixed.cases) == Outcome.PASS).all()
    ]
    assert weak
    assert all(not is_sorting_network(batcher[:k] + batcher[k + 1 :], 8) for k in weak)
    assert len(SortingNetworkTask(2).fixed_suite()) == 4  # duplicates are dropped


# ---- solutions, metadata and registry ----------------------------------------------------------


@pytest.mark.parametrize("n", [2, 5, 8, 12])
def test_reference_and_seed_solutions(n: int) -> None:
    task = SortingNetworkTask(n)
    reference = exec_constant(task.reference_solution)
    assert reference == batcher_network(n)
    hidden = task.hidden_suite().cases
    assert (task.judge_data(reference, hidden) == Outcome.PASS).all()
    seed = exec_constant(task.seed_solution)
    assert seed == []
    assert task.seed_solution.startswith("#")
    assert (task.judge_data(seed, task.fixed_suite().cases) == Outcome.FAIL).any()
    assert task.data_metrics(seed) == {"comparators": 0, "depth": 0}


def test_task_metadata() -> None:
    task = SortingNetworkTask(8)
    assert task.name == "sorting_network:n=8"
    assert (task.kind, task.entry_point, task.time_limit) == ("data", "COMPARATORS", 1.0)
    assert "COMPARATORS" in task.spec and "0-1 principle" in task.spec
    assert "8 wires" in task.spec and "256" in task.spec
    names = {op.name for op in task.mutation_operators()}
    assert names == {
        "net_insert",
        "net_delete",
        "net_swap",
        "net_move",
        "net_rewire",
        "net_prune",
        "net_regrow",
    }
    assert task.arity == 1


def test_registry() -> None:
    (default,) = resolve("sorting_network")
    assert isinstance(default, SortingNetworkTask)
    assert default.name == "sorting_network:n=8"
    task = get_task("sorting_network:n=16")
    assert isinstance(task, SortingNetworkTask)
    assert (task.n, task.name) == (16, "sorting_network:n=16")
    entry = next(e for e in entries() if e.name == "sorting_network")
    assert entry.summary
    for bad in ["sorting_network:n=1", "sorting_network:n=21", "sorting_network:m=3"]:
        with pytest.raises(TaskError):
            resolve(bad)
    with pytest.raises(TaskError, match="n must be"):
        resolve("sorting_network:n=1")
    with pytest.raises(TaskError):
        resolve("sorting_network:n=eight")


def test_suites_round_trip_through_json() -> None:
    task = SortingNetworkTask(3)
    suite = Suite.from_json(task.hidden_suite().to_json())
    assert [c.args for c in suite] == [c.args for c in task.hidden_suite()]
    assert (task.judge_data(batcher_network(3), suite.cases) == Outcome.PASS).all()


# ---- Green's fixed prefix (Hillis's setup) ---------------------------------------------------


@pytest.mark.parametrize("n", [2, 4, 8, 16])
def test_green_prefix_shape(n: int) -> None:
    prefix = green_prefix(n)
    log = n.bit_length() - 1
    assert network_size(prefix) == n // 2 * log
    assert network_depth(prefix) == log
    for k in range(log):  # layer k: a perfect matching of wires differing in bit k only
        layer = prefix[k * n // 2 : (k + 1) * n // 2]
        assert sorted(w for pair in layer for w in pair) == list(range(n))
        assert all(j - i == 1 << k and not i >> k & 1 for i, j in layer)
    assert green_prefix(4) == [(0, 1), (2, 3), (0, 2), (1, 3)]
    assert len(green_prefix(16)) == 32


@pytest.mark.parametrize("n", [0, 1, 3, 6, 12])
def test_green_prefix_needs_a_power_of_two(n: int) -> None:
    with pytest.raises(ValueError, match="power of two"):
        green_prefix(n)


@pytest.mark.parametrize("n", [4, 8, 16])
def test_batcher_suffix_after_prefix_sorts_everything(n: int, task16: Task) -> None:
    task = SortingNetworkTask(n, "green")
    assert task.prefix == green_prefix(n)
    hidden = task16.hidden_suite().cases if n == 16 else task.hidden_suite().cases
    assert len(hidden) == 2**n
    reference = exec_constant(task.reference_solution)
    assert reference == batcher_network(n)
    assert (task.judge_data(reference, hidden) == Outcome.PASS).all()
    assert is_sorting_network(task.prefix + batcher_network(n), n)
    assert is_sorting_network(batcher_network(n), n, prefix=task.prefix)
    seed = exec_constant(task.seed_solution)
    assert seed == []
    assert (task.judge_data(seed, hidden) == Outcome.FAIL).any()
    assert (task.judge_data(seed, task.fixed_suite().cases) == Outcome.FAIL).any()


def test_known_bad_suffix_is_caught_exactly() -> None:
    task = SortingNetworkTask(4, "green")
    cases = task.hidden_suite().cases
    # The prefix outputs 0101 for exactly these inputs; the missing comparator is (1, 2).
    failing = {"0101", "0110", "1001", "1010"}
    for suffix in ([], [(0, 3)], [(0, 1), (2, 3)]):
        outcomes = task.judge_data(suffix, cases)
        got = {"".join(map(str, c.args[0])) for c, o in zip(cases, outcomes, strict=True) if o}
        assert got == failing
    assert (task.judge_data([(1, 2)], cases) == Outcome.PASS).all()
    assert not is_sorting_network([(1, 2)], 4)  # the suffix alone does not sort
    assert is_sorting_network([(1, 2)], 4, prefix=task.prefix)


def test_prefix_makes_batcher_comparators_redundant_and_judge_agrees(task16: Task) -> None:
    """Dropping one comparator of Batcher's suffix: caught iff the whole network stops
    sorting; some drops are harmless after the prefix, others are not."""
    task = SortingNetworkTask(16, "green")
    hidden = task16.hidden_suite().cases
    batcher = batcher_network(16)
    caught = []
    for k in range(0, len(batcher), 3):
        broken = batcher[:k] + batcher[k + 1 :]
        passes = bool((task.judge_data(broken, hidden) == Outcome.PASS).all())
        assert passes == is_sorting_network(broken, 16, prefix=task.prefix)
        caught.append(not passes)
    assert any(caught) and not all(caught)
    outcomes = task.judge_data(batcher[:40], hidden)
    for case, outcome in list(zip(hidden, outcomes, strict=True))[::257]:
        truth = slow_run(task.prefix + batcher[:40], case.args[0]) == sorted(case.args[0])
        assert outcome == (Outcome.PASS if truth else Outcome.FAIL)


GREEN = {n: SortingNetworkTask(n, "green") for n in (2, 4, 8)}
"""Shared across examples: also exercises the packed-suite cache over many case lists."""


@QUICK
@given(st.sampled_from([2, 4, 8]).flatmap(lambda n: st.tuples(st.just(n), st.randoms())))
def test_prefix_judge_agrees_with_slow_reference(drawn: tuple[int, random.Random]) -> None:
    n, rng = drawn
    task = GREEN[n]
    suffix = [tuple(sorted(rng.sample(range(n), 2))) for _ in range(rng.randrange(12))]
    cases = task.hidden_suite().cases
    rng.shuffle(cases)
    cases = cases[: rng.randrange(1, len(cases) + 1)]
    expected = [
        Outcome.PASS
        if slow_run(task.prefix + suffix, c.args[0]) == sorted(c.args[0])
        else Outcome.FAIL
        for c in cases
    ]
    assert task.judge_data(suffix, cases).tolist() == expected


def test_prefix_metrics_add_up() -> None:
    task = SortingNetworkTask(16, "green")
    suffix = batcher_network(16)
    metrics = task.data_metrics(suffix)
    assert metrics == {"comparators": 95, "depth": 14, "evolved": 63, "prefix": 32}
    assert metrics["comparators"] == metrics["evolved"] + metrics["prefix"]
    assert metrics["depth"] == network_depth(task.prefix + suffix)
    assert task.data_metrics([]) == {"comparators": 32, "depth": 4, "evolved": 0, "prefix": 32}
    assert task.data_metrics([[0, 16]]) == {}
    assert task.full_network([[0, 1], (2, 3)]) == [*task.prefix, (0, 1), (2, 3)]
    assert task.full_network([[0, 16]]) is None
    plain = SortingNetworkTask(16)
    assert plain.prefix == []
    assert plain.full_network(suffix) == suffix
    assert plain.data_metrics(suffix) == {"comparators": 63, "depth": 10}


def test_prefix_task_metadata_and_suites(task16: Task) -> None:
    task = SortingNetworkTask(16, "green")
    assert task.name == "sorting_network:n=16,prefix=green"
    assert (task.kind, task.entry_point, task.cap) == ("data", "COMPARATORS", 50 * 16 * 16)
    assert "PREFIX + COMPARATORS" in task.spec and "Green" in task.spec
    assert "Batcher" in task.spec and "65536" in task.spec
    listing = task.spec[task.spec.index("PREFIX = [") :]
    listing = listing[: listing.index("]") + 1]
    assert ast.literal_eval(listing.removeprefix("PREFIX = ")) == task.prefix
    assert "PREFIX" not in SortingNetworkTask(16).spec
    assert task.hidden_inputs() == task16.hidden_inputs()
    assert task.fixed_inputs() == task16.fixed_inputs()
    names = [op.name for op in task.mutation_operators()]
    assert names == [op.name for op in task16.mutation_operators()]
    insert = task.mutation_operators()[0]
    mutated = insert(task.seed_solution, random.Random(1))
    assert mutated is not None
    assert len(exec_constant(mutated)) == 1  # the operators edit the suffix only


def test_registry_prefix() -> None:
    task = get_task("sorting_network:n=16,prefix=green")
    assert isinstance(task, SortingNetworkTask)
    assert (task.n, task.name, len(task.prefix)) == (16, "sorting_network:n=16,prefix=green", 32)
    plain = get_task("sorting_network:n=8,prefix=")
    assert isinstance(plain, SortingNetworkTask)
    assert (plain.name, plain.prefix) == ("sorting_network:n=8", [])
    for bad, message in [
        ("sorting_network:n=12,prefix=green", "power of two"),
        ("sorting_network:n=16,prefix=bogus", "prefix must be one of"),
        ("sorting_network:prefix=Green", "prefix must be one of"),
    ]:
        with pytest.raises(TaskError, match=message) as info:
            resolve(bad)
        assert "\n" not in str(info.value)


# ---- net_regrow: ruin and recreate from the suite ---------------------------------------------


def regrow_op(task: SortingNetworkTask, vectors: list[tuple[int, ...]]) -> RegrowOperator:
    ops = task.mutation_operators([task.label((v,), "evolved") for v in vectors])
    op = next(op for op in ops if op.name == "net_regrow")
    assert isinstance(op, RegrowOperator)
    return op


def regrown(op: RegrowOperator, network: list[tuple[int, int]], seed: int) -> Any:
    out = op(network_source(network, "start"), random.Random(seed))
    if out is None:
        return None
    found = read_comparators(out, op.task.n)
    assert found is not None
    return found[0]


comparator_lists = st.integers(2, 7).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.lists(
            st.tuples(st.integers(0, n - 1), st.integers(0, n - 1))
            .filter(lambda p: p[0] != p[1])
            .map(lambda p: (min(p), max(p))),
            max_size=12,
        ),
        st.lists(st.tuples(*[st.integers(0, 1)] * n), min_size=1, max_size=40),
        st.integers(0, 2**32),
    )
)


@QUICK
@given(comparator_lists)
def test_state_helpers_agree_with_slow_reference(drawn: Any) -> None:
    n, network, vectors, _ = drawn
    states = apply_to_states(wire_states(np.array(vectors, dtype=np.uint8)), network)
    expected = [slow_run(network, v) for v in vectors]
    assert states.tolist() == [sum(b << k for k, b in enumerate(v)) for v in expected]
    assert sorted_states(states, n).tolist() == [v == sorted(v) for v in expected]


@QUICK
@given(comparator_lists)
def test_regrow_keeps_the_head_and_every_comparator_it_adds_does_work(drawn: Any) -> None:
    n, head, vectors, seed = drawn
    new = regrow_op(SortingNetworkTask(n), vectors).regrow(list(head), random.Random(seed))
    assert new is not None and new[: len(head)] == head
    assert all(0 <= i < j < n for i, j in new)
    values = [slow_run(head, v) for v in vectors]
    for i, j in new[len(head) :]:
        assert any(v[i] > v[j] for v in values)  # it exchanges something
        values = [slow_run([(i, j)], v) for v in values]
    assert all(v == sorted(v) for v in values)


@QUICK
@given(comparator_lists)
def test_regrow_operator_output_sorts_the_suite(drawn: Any) -> None:
    n, network, vectors, seed = drawn
    new = regrown(regrow_op(SortingNetworkTask(n), vectors), network, seed)
    if new is None:  # the head it kept, plus what it grew, was the network itself
        assert all(slow_run(network, v) == sorted(v) for v in vectors)
    else:
        assert new != network
        assert all(slow_run(new, v) == sorted(v) for v in vectors)


def test_regrow_on_the_whole_domain_builds_small_sorting_networks() -> None:
    task = SortingNetworkTask(8)
    op = regrow_op(task, [v for (v,) in task.hidden_inputs()])
    sizes = []
    for seed in range(12):
        network = regrown(op, [], seed)
        assert network is not None and is_sorting_network(network, 8)
        sizes.append(len(network))
    assert min(sizes) <= 21 and max(sizes) <= 28, sizes


def test_regrow_sees_only_the_suite_it_is_given() -> None:
    """Built from the 16 fixed inputs, a network sorts those and misses others: the operator
    has no view of the rest of the domain (the hidden suite)."""
    task = SortingNetworkTask(8)
    fixed = [v for (v,) in task.fixed_inputs()]
    op = regrow_op(task, fixed)
    for seed in range(5):
        network = regrown(op, [], seed)
        assert network is not None
        assert all(slow_run(network, v) == sorted(v) for v in fixed)
        assert not is_sorting_network(network, 8)


def test_regrow_after_the_green_prefix() -> None:
    task = SortingNetworkTask(8, "green")
    op = regrow_op(task, [v for (v,) in task.hidden_inputs()])
    network = regrown(op, [], 3)
    assert network is not None
    assert is_sorting_network(network, 8, prefix=task.prefix)
    assert not is_sorting_network(network, 8)  # it relies on the prefix having run
    assert len(network) < len(batcher_network(8)) - 5


def test_regrow_is_deterministic_and_declines_what_it_cannot_do() -> None:
    task = SortingNetworkTask(6)
    vectors = [v for (v,) in task.hidden_inputs()]
    op = regrow_op(task, vectors)
    start = [(0, 5), (1, 4)]
    assert regrown(op, start, 7) == regrown(op, start, 7)
    assert len({tuple(regrown(op, start, s)) for s in range(10)}) > 1
    capped = regrow_op(SortingNetworkTask(2), [(1, 0), (0, 1)])
    over = [regrown(capped, [(0, 1)] * (capped.task.cap + 50), s) for s in range(20)]
    assert all(c is None or len(c) <= capped.task.cap for c in over)  # heads over the cap: None
    assert None in over and any(c is not None for c in over)
    empty = regrow_op(task, [])
    assert empty(network_source(start, "x"), random.Random(0)) is None
    for bad in ("COMPARATORS = 5\n", "X = [(0, 1)]\n", "COMPARATORS = [(0, 1)\n"):
        assert op(bad, random.Random(0)) is None
    sorted_only = regrow_op(task, [(0, 0, 0, 1, 1, 1), (0,) * 6])
    cuts = {repr(regrown(sorted_only, start, s)) for s in range(20)}
    # nothing to sort: it can only cut the network short, to any head
    assert cuts == {"None", "[]", "[(0, 5)]"}
