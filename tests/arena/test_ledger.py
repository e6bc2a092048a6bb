"""The ledger evaluates each (solution, case) cell at most once, however it is asked."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from arena.ledger import Ledger
from arena.sandbox import Sandbox
from tasks import Case, Outcome, get_task

WRONG_ON_ODD = "def square(x):\n    return x * x + (x % 2)\n"


def cases(xs: list[int]) -> list[Case]:
    return [Case((x,), x * x, "test") for x in xs]


def test_only_new_cases_and_new_solutions_are_evaluated(sandbox: Sandbox, square_task) -> None:  # type: ignore[no-untyped-def]
    ledger = Ledger(sandbox, square_task, cases([0, 1, 2]))
    ref, odd = square_task.reference_solution, WRONG_ON_ODD
    assert ledger.outcomes([ref, odd]).shape == (2, 3)
    assert ledger.evaluations == 6
    ledger.outcomes([ref, odd])
    assert ledger.evaluations == 6  # asked again: nothing re-run
    added = ledger.add_cases(cases([3, 4, 2]))  # 2 is a duplicate input
    assert [c.args for c in added] == [(3,), (4,)]
    m = ledger.outcomes([ref, odd])
    assert ledger.evaluations == 6 + 2 * 2  # only the two new cases, for both solutions
    assert m[0].tolist() == [Outcome.PASS] * 5
    assert m[1].tolist() == [0, 1, 0, 1, 0]
    third = "def square(x):\n    return abs(x) ** 2\n"
    assert ledger.pass_rate(third) == 1.0
    assert ledger.evaluations == 10 + 5  # a new solution: the whole suite once


def test_failures_are_smallest_first_with_actual_values(sandbox: Sandbox, square_task) -> None:  # type: ignore[no-untyped-def]
    ledger = Ledger(sandbox, square_task, cases([12345, 7, 2, 101]))
    fails = ledger.failures(WRONG_ON_ODD)
    assert [f["input"] for f in fails] == [[7], [101], [12345]]
    assert fails[0] == {
        "input": [7],
        "expected": 49,
        "actual": 50,
        "outcome": "fail",
        "message": None,
    }


def test_probe_results_are_recorded_not_recomputed(sandbox: Sandbox, square_task) -> None:  # type: ignore[no-untyped-def]
    ledger = Ledger(sandbox, square_task, cases([0, 1]))
    sources = [square_task.reference_solution, WRONG_ON_ODD]
    ledger.outcomes(sources)
    new = cases([5, 6])
    with ledger.prober(sources) as probe:
        rows = [probe(c) for c in new]
        assert rows[0].tolist() == [Outcome.PASS, Outcome.FAIL]
        before = ledger.evaluations
        added = ledger.add_cases(new)
        ledger.record(sources, added, probe)
    assert ledger.evaluations == before
    assert ledger.outcomes(sources)[:, 2:].tolist() == [[0, 0], [1, 0]]
    assert ledger.evaluations == before  # the rows were extended from the probe


def test_data_tasks_extract_once_and_judge_in_process(sandbox: Sandbox) -> None:
    task = get_task("sorting_network:n=4")
    ledger = Ledger(sandbox, task, task.fixed_suite().cases)
    good = "COMPARATORS = [(0, 1), (2, 3), (0, 2), (1, 3), (1, 2)]\n"
    bad = "COMPARATORS = [(0, 1), (2, 3), (0, 2), (1, 3)]\n"
    rates = ledger.pass_rates([good, bad])
    assert rates[0] == 1.0 and rates[1] < 1.0
    ledger.add_cases(task.hidden_suite().cases)
    full = ledger.outcomes([good, bad])
    assert (full[0] == Outcome.PASS).all()
    for case, outcome in zip(ledger.cases, full[1], strict=True):
        wires = list(case.args[0])
        for i, j in [(0, 1), (2, 3), (0, 2), (1, 3)]:
            wires[i], wires[j] = min(wires[i], wires[j]), max(wires[i], wires[j])
        assert (outcome == Outcome.PASS) == (wires == sorted(wires))


def test_costs_rank_networks_by_size_then_depth_not_by_formatting(sandbox: Sandbox) -> None:
    task = get_task("sorting_network:n=4")
    ledger = Ledger(sandbox, task, task.fixed_suite().cases)
    compact = "COMPARATORS = [(0, 1), (2, 3), (0, 2), (1, 3), (1, 2), (0, 1)]\n"  # 6, depth 4
    spread = (
        "COMPARATORS = [\n"
        + "".join(
            f"    ({i}, {j}),  # comparator\n" for i, j in [(0, 1), (2, 3), (0, 2), (1, 3), (1, 2)]
        )
        + "]\n"
    )  # 5 comparators, depth 3, a longer source
    deep = "COMPARATORS = [(0, 1), (0, 2), (2, 3), (1, 3), (1, 2)]\n"  # 5 comparators, depth 5
    broken = "COMPARATORS = 'no'\n"
    costs = ledger.costs([compact, spread, deep, broken])
    assert len(spread) > len(compact)
    assert [c[:2] for c in costs] == [(6, 4), (5, 3), (5, 5), (float("inf"), float("inf"))]
    assert sorted(range(4), key=lambda i: costs[i]) == [1, 2, 0, 3]
    assert costs[1][2] == len(spread)
    ledger.restore(ledger.state())  # values are re-extracted after a restore
    assert ledger.costs([spread]) == [costs[1]]


def test_costs_of_code_are_source_lengths(sandbox: Sandbox, square_task) -> None:  # type: ignore[no-untyped-def]
    ledger = Ledger(sandbox, square_task)
    assert ledger.costs([WRONG_ON_ODD, "x = 1\n"]) == [(len(WRONG_ON_ODD),), (6.0,)]


@settings(max_examples=10, deadline=None, database=None)
@given(st.lists(st.lists(st.integers(-30, 30), max_size=6), min_size=1, max_size=4))
def test_incremental_equals_from_scratch(sandbox: Sandbox, square_task, batches) -> None:  # type: ignore[no-untyped-def]
    """Property: growing the suite batch by batch gives the matrix of one full evaluation."""
    sources = [square_task.reference_solution, WRONG_ON_ODD]
    ledger = Ledger(sandbox, square_task)
    for batch in batches:
        ledger.add_cases(cases(batch))
        ledger.outcomes(sources[: 1 + len(ledger.cases) % 2])  # ask for varying subsets
    incremental = ledger.outcomes(sources)
    scratch = sandbox.evaluate(square_task, sources, ledger.cases).outcomes
    assert np.array_equal(incremental, scratch)
    assert ledger.evaluations == 2 * len(ledger.cases)
