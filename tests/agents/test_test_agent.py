"""Tests of agents.test_agent: genomes, ids, the breaking-input search and TestAgent."""

from __future__ import annotations

import dataclasses
import json
import random
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents import test_agent as ta
from agents.test_agent import (
    FindResult,
    GenomeError,
    TestAgent,
    TestGenome,
    agent_id,
    find_breaking,
    mutate_genome,
    search_strategy,
)
from tasks import Args, Case, InvalidInput, Outcome, Task, get_task
from tasks.base import input_key
from tasks.sampling import draw

QUICK = settings(
    database=None, deadline=None, max_examples=50, suppress_health_check=list(HealthCheck)
)
INCOMPLETE_4 = [[0, 1], [2, 3], [0, 2], [1, 3]]
"""The optimal 4-wire network without its last comparator (1, 2)."""


def naive_email(s: str) -> bool:
    return "@" in s and "." in s


def wrong_below_zero(operations: list[int]) -> bool:
    return sum(operations) < 0  # checks only the final balance


def email_breaks(case: Case) -> bool:
    return bool(naive_email(case.args[0]) != case.expected)


@pytest.fixture(scope="module")
def email() -> Task:
    return get_task("email_validation")


@pytest.fixture(scope="module")
def below_zero() -> Task:
    return get_task("humaneval:id=3")


@pytest.fixture(scope="module")
def sorting4() -> Task:
    return get_task("sorting_network:n=4")


GENOMES = (
    st.tuples(*[st.integers(*ta.WEIGHT_RANGE)] * 3)
    .filter(lambda ws: sum(ws) > 0)
    .flatmap(
        lambda ws: st.builds(
            TestGenome,
            draw_weight=st.just(ws[0]),
            edit_weight=st.just(ws[1]),
            boundary_weight=st.just(ws[2]),
            max_edits=st.integers(*ta.MAX_EDITS_RANGE),
            target=st.sampled_from(ta.TARGETS),
            budget=st.integers(*ta.BUDGET_RANGE),
            shrink_budget=st.integers(*ta.SHRINK_BUDGET_RANGE),
        )
    )
)


# ---- the genome -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"draw_weight": -1},
        {"edit_weight": 9},
        {"max_edits": 0},
        {"max_edits": 9},
        {"budget": 39},
        {"budget": 401},
        {"shrink_budget": 201},
        {"budget": 100.0},
        {"max_edits": True},
        {"target": "everyone"},
        {"draw_weight": 0, "edit_weight": 0, "boundary_weight": 0},
    ],
)
def test_genome_rejects_out_of_bounds_values(change: dict[str, Any]) -> None:
    with pytest.raises(GenomeError):
        TestGenome(**change)


def test_genome_json_round_trip_and_validation() -> None:
    g = TestGenome(draw_weight=0, edit_weight=5, max_edits=8, target="leader", budget=400)
    data = json.loads(json.dumps(g.to_json()))
    assert TestGenome.from_json(data) == g
    with pytest.raises(GenomeError, match="unknown fields"):
        TestGenome.from_json({**data, "speed": 3})
    with pytest.raises(GenomeError, match="missing fields"):
        TestGenome.from_json({k: v for k, v in data.items() if k != "budget"})
    with pytest.raises(GenomeError):
        TestGenome.from_json({**data, "budget": 10})
    with pytest.raises(GenomeError):
        TestGenome.from_json([1, 2])


def test_seed_genomes_are_distinct_deterministic_and_diverse() -> None:
    a = TestGenome.seed_genomes(12, random.Random(5))
    b = TestGenome.seed_genomes(12, random.Random(5))
    assert a == b and len(a) == 12 and len(set(a)) == 12
    assert a[0] == TestGenome()
    assert {g.target for g in a} == {"leader", "all"}
    heaviest = {
        max(("draw", "edit", "boundary"), key=lambda k: getattr(g, f"{k}_weight")) for g in a
    }
    assert heaviest == {"draw", "edit", "boundary"}
    assert TestGenome.seed_genomes(2, random.Random(0)) == a[:2]
    assert TestGenome.seed_genomes(0, random.Random(0)) == []


@QUICK
@given(GENOMES, st.integers(0, 2**32))
def test_mutation_changes_one_field_within_bounds(genome: TestGenome, seed: int) -> None:
    child, change = mutate_genome(genome, random.Random(seed))
    diff = [
        f.name
        for f in dataclasses.fields(TestGenome)
        if getattr(child, f.name) != getattr(genome, f.name)
    ]
    assert len(diff) == 1
    name = diff[0]
    assert change == f"{name} {getattr(genome, name)}->{getattr(child, name)}"
    TestGenome.from_json(child.to_json())  # re-validates the bounds
    assert mutate_genome(genome, random.Random(seed)) == (child, change)


def test_mutation_reaches_every_field_and_both_directions() -> None:
    rng = random.Random(1)
    changed: set[str] = set()
    ups = downs = 0
    g = TestGenome()
    for _ in range(300):
        child, change = mutate_genome(g, rng)
        name = change.split()[0]
        changed.add(name)
        if name != "target":
            ups += getattr(child, name) > getattr(g, name)
            downs += getattr(child, name) < getattr(g, name)
    assert changed == {f.name for f in dataclasses.fields(TestGenome)}
    assert ups > 50 and downs > 50
    # at a bound the only move is away from it
    low = TestGenome(max_edits=1)
    for s in range(30):
        child, change = mutate_genome(low, random.Random(s))
        assert child.max_edits >= 1


# ---- ids ----------------------------------------------------------------------------------


def test_agent_ids_are_content_hashes() -> None:
    g = TestGenome().to_json()
    base = agent_id("test", g, ["t-1"], 3)
    assert base == agent_id("test", json.loads(json.dumps(g)), ("t-1",), 3)
    assert base.startswith("t-") and len(base) == 14
    int(base[2:], 16)
    others = {
        agent_id("test", {**g, "budget": 121}, ["t-1"], 3),
        agent_id("test", g, ["t-2"], 3),
        agent_id("test", g, ["t-1", "t-2"], 3),
        agent_id("test", g, [], 3),
        agent_id("test", g, ["t-1"], 4),
        agent_id("tests", g, ["t-1"], 3),
    }
    assert base not in others and len(others) == 6
    assert agent_id("code", g, [], 0).startswith("c-")


def test_test_agent_create_child_and_json(email: Task) -> None:
    parent = TestAgent.create(TestGenome(), born=0)
    assert parent.id == agent_id("test", TestGenome().to_json(), [], 0)
    child, change = parent.child(random.Random(0), born=2)
    assert child.parents == (parent.id,) and child.born == 2 and child.id != parent.id
    assert child.genome != parent.genome and change
    again, _ = parent.child(random.Random(0), born=2)
    assert again.id == child.id  # equal content, equal id
    child.remember([("a@b",), ("x",), ("a@b",)])
    assert child.archive == [("a@b",), ("x",)]
    restored = TestAgent.from_json(json.loads(json.dumps(child.to_json())))
    assert restored == child
    bad = child.to_json()
    bad["born"] = 3
    with pytest.raises(GenomeError, match="does not match"):
        TestAgent.from_json(bad)
    with pytest.raises(GenomeError):
        TestAgent.from_json({"id": child.id})


def test_archive_keeps_the_newest_inputs() -> None:
    agent = TestAgent.create(TestGenome())
    assert agent.remember([(str(i),) for i in range(100)]) == 100
    assert len(agent.archive) == ta.ARCHIVE_CAP
    assert agent.archive[-1] == ("99",) and agent.archive[0] == (str(100 - ta.ARCHIVE_CAP),)
    assert agent.remember([("99",)]) == 0


# ---- the search strategy ----------------------------------------------------------------------


@pytest.mark.parametrize("spec", ["email_validation", "humaneval:id=7", "sorting_network:n=4"])
def test_search_strategy_produces_argument_tuples(spec: str) -> None:
    task = get_task(spec)
    archive = [task.fixed_inputs()[0]]
    for g in TestGenome.seed_genomes(4, random.Random(0)):
        for args in draw(search_strategy(task, g, archive), 40, seed_value=1):
            assert type(args) is tuple and len(args) == task.arity


def _one_edit_apart(s: str, base: str) -> bool:
    """Whether one insert, delete, replace, duplicate or adjacent swap turns base into s."""
    if len(s) == len(base):
        return sum(a != b for a, b in zip(s, base, strict=True)) <= 2
    if len(s) == len(base) + 1:
        return any(s[:i] + s[i + 1 :] == base for i in range(len(s)))
    if len(s) + 1 == len(base):
        return any(base[:i] + base[i + 1 :] == s for i in range(len(base)))
    return False


def test_search_strategy_follows_the_genome_weights(email: Task) -> None:
    archive: list[Args] = [("q@q.q",)]
    bases = [b for (b,) in email.fixed_inputs()] + ["q@q.q"]
    edits = TestGenome(draw_weight=0, edit_weight=1, boundary_weight=0, max_edits=1)
    drawn = draw(search_strategy(email, edits, archive), 100, seed_value=3)
    assert all(any(_one_edit_apart(s, b) for b in bases) for (s,) in drawn)
    assert any(_one_edit_apart(s, "q@q.q") for (s,) in drawn)
    draws = TestGenome(draw_weight=1, edit_weight=0, boundary_weight=0)
    drawn = draw(search_strategy(email, draws, archive), 100, seed_value=3)
    assert sum(not any(_one_edit_apart(s, b) for b in bases) for (s,) in drawn) > 50


# ---- find_breaking ------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_finds_and_shrinks_a_breaking_email(email: Task, seed: int) -> None:
    result = find_breaking(email, TestGenome(), [], email_breaks, seed=seed)
    assert result.case is not None and result.args is not None
    (s,) = result.args
    assert naive_email(s) != email.oracle((s,)) == result.case.expected
    assert len(s) <= 4  # e.g. '@.' or 'r@e'
    assert result.shrunk_from is not None and len(s) <= len(result.shrunk_from[0])
    assert 0 < result.breaks_calls <= result.tried <= result.calls
    assert result.tried <= TestGenome().budget + TestGenome().shrink_budget


def test_finds_and_shrinks_a_wrong_below_zero(below_zero: Task) -> None:
    def breaks(case: Case) -> bool:
        return bool(wrong_below_zero(list(case.args[0])) != case.expected)

    for seed in (0, 1):
        result = find_breaking(below_zero, TestGenome(), [], breaks, seed=seed)
        assert result.args is not None
        (ops,) = result.args
        assert below_zero.oracle((ops,)) is True and wrong_below_zero(ops) is False
        assert len(ops) <= 3 and sum(map(abs, ops)) <= 4  # e.g. [-1, 1]


def test_finds_an_input_an_incomplete_sorting_network_fails(sorting4: Task) -> None:
    def breaks(case: Case) -> bool:
        return bool(sorting4.judge_data(INCOMPLETE_4, [case])[0] == Outcome.FAIL)

    found = set()
    for seed in range(3):
        result = find_breaking(sorting4, TestGenome(), [], breaks, seed=seed)
        assert result.case is not None
        (bits,) = result.case.args
        assert type(bits) is tuple and len(bits) == 4 and set(bits) <= {0, 1}
        assert breaks(result.case)
        full = [*INCOMPLETE_4, [1, 2]]
        assert sorting4.judge_data(full, [result.case])[0] == Outcome.PASS
        found.add(bits)
    # the failing inputs of this network with the fewest ones
    assert found <= {(0, 1, 0, 1), (1, 0, 1, 0), (0, 1, 1, 0), (1, 0, 0, 1)}


def test_find_is_deterministic(email: Task) -> None:
    archive: list[Args] = [("a..b@c.d",)]
    runs = [
        find_breaking(email, TestGenome(max_edits=5), archive, email_breaks, seed=11)
        for _ in range(2)
    ]
    assert runs[0] == runs[1]
    other = find_breaking(email, TestGenome(max_edits=5), archive, email_breaks, seed=12)
    assert isinstance(other, FindResult)


def test_find_is_deterministic_whatever_modules_are_loaded(tmp_path: Path) -> None:
    """Hypothesis draws constants from local modules' source; the search must not."""
    (tmp_path / "many_constants.py").write_text(
        "VALUES = [" + ", ".join(str(7919 * k + 123457) for k in range(300)) + "]\n"
    )
    script = textwrap.dedent(
        """
        import json, sys
        from agents.test_agent import TestGenome, find_breaking
        from tasks import get_task
        task = get_task("email_validation")
        def breaks(case):
            s = case.args[0]
            return ("@" in s and "." in s) != case.expected
        def run():
            g = TestGenome(draw_weight=8, edit_weight=0, boundary_weight=0, shrink_budget=0)
            return [repr(find_breaking(task, g, [], breaks, seed=s)) for s in range(4)]
        before = run()
        import many_constants
        print(json.dumps(before == run()))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
        timeout=120,
    )
    assert json.loads(out.stdout) is True


class HalfDomainSquare(Task):
    """square(x) on 0 <= x <= 1000: InvalidInput below, a crashing oracle above."""

    name = "half_square"
    entry_point = "square"
    signature = "def square(x: int) -> int"
    spec = "Return x * x."

    @property
    def seed_solution(self) -> str:
        return "def square(x):\n    return x\n"

    @property
    def reference_solution(self) -> str:
        return "def square(x):\n    return x * x\n"

    def oracle(self, args: Args) -> Any:
        (x,) = args
        if type(x) is not int or x < 0:
            raise InvalidInput("x must be a non-negative int")
        if x > 1000:
            raise RuntimeError("a hole in the domain check")
        return x * x

    def input_strategy(self) -> st.SearchStrategy[Args]:
        return st.tuples(st.integers(-2000, 2000))

    def fixed_inputs(self) -> list[Args]:
        return [(0,), (3,), (1000,)]

    def hidden_inputs(self) -> list[Args]:
        return [(x,) for x in range(20)]


def test_inputs_outside_the_domain_are_counted_not_fatal() -> None:
    task = HalfDomainSquare()
    judged: list[int] = []

    def breaks(case: Case) -> bool:
        judged.append(case.args[0])
        return False

    result = find_breaking(task, TestGenome(), [], breaks, seed=0)
    assert result.case is None and result.shrunk_from is None
    assert result.invalid > 10
    assert result.breaks_calls == result.tried - result.invalid == len(judged)
    assert all(0 <= x <= 1000 for x in judged)


def test_breaks_errors_propagate(email: Task) -> None:
    def breaks(case: Case) -> bool:
        raise KeyError("sandbox gone")

    with pytest.raises(KeyError, match="sandbox gone"):
        find_breaking(email, TestGenome(), [], breaks, seed=0)

    hits: list[Case] = []

    def breaks_then_fails(case: Case) -> bool:  # fails while shrinking the first hit
        if hits:
            raise KeyError("sandbox gone later")
        if email_breaks(case):
            hits.append(case)
        return bool(hits)

    with pytest.raises(KeyError, match="sandbox gone later"):
        find_breaking(email, TestGenome(), [], breaks_then_fails, seed=0)


def test_known_inputs_are_skipped(email: Task) -> None:
    first = find_breaking(email, TestGenome(), [], email_breaks, seed=0)
    assert first.case is not None
    again = find_breaking(
        email, TestGenome(), [], email_breaks, seed=0, known=frozenset({first.case.key})
    )
    assert again.case is not None and again.case.key != first.case.key
    assert again.duplicates >= 1


def test_max_examples_bounds_the_search(email: Task) -> None:
    result = find_breaking(email, TestGenome(), [], lambda case: False, seed=0, max_examples=40)
    assert result.case is None and 0 < result.tried <= 40
    with pytest.raises(ValueError):
        find_breaking(email, TestGenome(), [], email_breaks, seed=0, max_examples=0)


# ---- propose ------------------------------------------------------------------------------


def test_propose_offers_distinct_breaking_cases(email: Task) -> None:
    targets: list[str] = []

    def breaks_for(target: str) -> ta.Breaks:
        targets.append(target)
        return email_breaks

    agent = TestAgent.create(TestGenome(target="leader"), born=1)
    agent.remember([("@.",)])
    proposal = agent.propose(email, breaks_for, seed=3, max_cases=3, round_no=4)
    assert targets == ["leader"]
    assert 1 <= len(proposal.cases) <= 3 and proposal.searches >= len(proposal.cases)
    keys = [c.key for c in proposal.cases]
    assert len(set(keys)) == len(keys) and input_key(("@.",)) not in keys
    for case in proposal.cases:
        assert case.origin == f"{agent.id}@4" and email_breaks(case)
        assert case.expected == email.oracle(case.args)
    assert proposal.inputs == [c.args for c in proposal.cases]
    assert proposal.tried >= proposal.breaks_calls >= len(proposal.cases)
    twin = TestAgent.create(TestGenome(target="leader"), born=1)
    twin.remember([("@.",)])
    assert twin.propose(email, breaks_for, seed=3, max_cases=3, round_no=4) == proposal


def test_propose_stops_at_the_first_empty_search(email: Task) -> None:
    agent = TestAgent.create(TestGenome(budget=40))
    proposal = agent.propose(email, lambda target: lambda case: False, seed=0, max_cases=3)
    assert proposal.cases == [] and proposal.searches == 1
    assert agent.propose(email, lambda t: email_breaks, seed=0, max_cases=0).searches == 0
