"""Tests of the seed proposer, static_check, LocalContext and smoke_run (agents.proposers*)."""

from __future__ import annotations

import ast
import random
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.context import DEFAULT_SCORE_BUDGET, ContextData
from agents.meta_mutation import set_constant
from agents.proposer_checks import (
    ALLOWED_IMPORTS,
    LocalContext,
    MutationFn,
    line_crossover,
    smoke_run,
    static_check,
)
from agents.proposers import SEED_PROPOSER, seed, seed_proposer_source

STRATEGIES = ("greedy", "beam", "anneal", "crossover")

# ---------------------------------------------------------------------------------------------
# A toy task, trusted and judged in-process: f(x) = a * x + b should become 3 * x + 7.

START = "def f(x):\n    return 2 * x + 3\n"
PEER = "def f(x):\n    return 3 * x + 6\n"


def toy_score(source: str) -> float:
    """1 / (1 + mean absolute error against 3x + 7 on -5..5); 0.0 for broken source."""
    match = re.fullmatch(r"def f\(x\):\n    return (\d+) \* x \+ (\d+)\n", source)
    if match is None:
        return 0.0
    a, b = int(match[1]), int(match[2])
    error = sum(abs(a * x + b - (3 * x + 7)) for x in range(-5, 6)) / 11
    return 1 / (1 + error)


def tweak(source: str, rng: random.Random) -> str | None:
    """Move one integer constant of the return expression by one."""
    head, sep, tail = source.partition("return ")
    numbers = list(re.finditer(r"\d+", tail))
    if not sep or not numbers:
        return None
    m = rng.choice(numbers)
    value = int(m.group()) + rng.choice((-1, 1))
    if value < 0:
        return None
    return head + sep + tail[: m.start()] + str(value) + tail[m.end() :]


def mix(a: str, b: str, rng: random.Random) -> str | None:
    """Each constant of the child from one parent."""
    pairs = list(zip(re.findall(r"\d+", a), re.findall(r"\d+", b), strict=False))
    if len(pairs) != 2:
        return None
    x, y = (rng.choice(pair) for pair in pairs)
    return f"def f(x):\n    return {x} * x + {y}\n"


def toy_context(
    *,
    seed: int = 0,
    operators: dict[str, MutationFn] | None = None,
    peers: tuple[str, ...] = (PEER,),
    budget: int = DEFAULT_SCORE_BUDGET,
    **kwargs: Any,
) -> LocalContext:
    """A ctx for the toy task: operators "tweak" and a "guard" that never applies."""
    if operators is None:
        operators = {"tweak": tweak, "guard": lambda source, rng: None}
    return LocalContext(
        solution=START,
        operators=operators,
        score=toy_score,
        peers=peers,
        seed=seed,
        budget=budget,
        crossover=mix,
        entry_point="f",
        signature="def f(x: int) -> int",
        spec="Return 3 * x + 7.",
        **kwargs,
    )


def with_strategy(strategy: str) -> str:
    return set_constant(SEED_PROPOSER, "STRATEGY", strategy)


def run(source: str, ctx: Any) -> list[str]:
    result = smoke_run(source, ctx)
    assert isinstance(result, list), result
    return result


# ---------------------------------------------------------------------------------------------
# The seed proposer


def test_seed_text_is_the_module_and_passes_static_check() -> None:
    assert seed_proposer_source() == SEED_PROPOSER
    assert "def propose(ctx" in SEED_PROPOSER
    assert static_check(SEED_PROPOSER) is None
    tree = ast.parse(SEED_PROPOSER)
    assert ast.get_docstring(tree)
    functions = {s.name for s in tree.body if isinstance(s, ast.FunctionDef)}
    assert set(STRATEGIES) <= functions
    assert seed.STRATEGY in STRATEGIES


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("rng_seed", range(4))
def test_every_strategy_improves_the_toy_solution(strategy: str, rng_seed: int) -> None:
    ctx = toy_context(seed=rng_seed)
    candidates = run(with_strategy(strategy), ctx)
    assert candidates
    assert max(map(toy_score, candidates)) > toy_score(START)
    assert START not in candidates
    assert len(candidates) == len(set(candidates)) <= seed.N_CANDIDATES
    assert ctx.budget >= 0


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_scored_candidates_come_best_first(strategy: str) -> None:
    ctx = toy_context(seed=7, budget=100)
    candidates = run(with_strategy(strategy), ctx)
    scores = [toy_score(c) for c in candidates]
    assert scores == sorted(scores, reverse=True)
    assert all(s >= toy_score(START) for s in scores)


def test_beam_and_anneal_spend_more_search_than_greedy() -> None:
    calls = {}
    for strategy in ("greedy", "beam"):
        ctx = toy_context(seed=1, budget=100)
        run(with_strategy(strategy), ctx)
        calls[strategy] = ctx.calls["mutate"]
    assert calls["beam"] > calls["greedy"]


def test_crossover_uses_peers() -> None:
    ctx = toy_context(seed=0)
    run(with_strategy("crossover"), ctx)
    assert ctx.calls["crossover"] >= 1


class HostileContext:
    """A ctx whose methods return junk or nothing; the proposer must cope."""

    def __init__(self, mode: str) -> None:
        self.solution = START
        self.score_now = 0.5
        self.failures: list[dict[str, Any]] = []
        self.spec = self.entry_point = self.signature = ""
        self.operators = [] if mode == "no_operators" else ["tweak", "guard", "email_x"]
        self.peers: list[str] = [] if mode == "no_peers" else [PEER, PEER]
        self.random = random.Random(0)
        self.budget = 0 if mode == "no_budget" else 8
        self.mode = mode

    def mutate(self, source: str, operator: str | None = None) -> Any:
        return {"junk": 42, "none": None}.get(self.mode, source + "#")

    def crossover(self, a: str, b: str) -> Any:
        return 3 if self.mode == "junk" else None

    def score(self, source: str) -> Any:
        return {"junk": "high", "no_budget": None}.get(self.mode, 0.1)

    def llm(self, prompt: str) -> None:
        return None


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("mode", ["none", "junk", "no_budget", "no_peers", "no_operators"])
def test_seed_never_crashes_on_an_unhelpful_ctx(strategy: str, mode: str) -> None:
    result = run(with_strategy(strategy), HostileContext(mode))
    assert all(isinstance(c, str) for c in result)
    if mode in ("none", "junk"):
        assert result == []


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_seed_with_no_budget_still_returns_unscored_candidates(strategy: str) -> None:
    ctx = toy_context(seed=3, budget=0)
    result = run(with_strategy(strategy), ctx)
    assert result
    assert ctx.calls["score"] >= 1 and ctx.budget == 0


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_seed_with_mutate_always_none_and_no_peers(strategy: str) -> None:
    ctx = toy_context(operators={"tweak": lambda s, r: None}, peers=())
    assert run(with_strategy(strategy), ctx) == []


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_seed_is_deterministic(strategy: str) -> None:
    source = with_strategy(strategy)
    assert run(source, toy_context(seed=5)) == run(source, toy_context(seed=5))


def _picks(failures: list[Any], operators: list[str], n: int = 3000) -> dict[str, int]:
    ctx = HostileContext("none")
    ctx.operators = operators
    ctx.failures = failures
    counts: dict[str, int] = {}
    for _ in range(n):
        name = str(seed.pick_operator(ctx))
        counts[name] = counts.get(name, 0) + 1
    return counts


def test_focus_failures_boosts_guard_only_while_cases_fail(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(seed, "OPERATOR_WEIGHTS", {"guard": 1.0, "ast_point": 1.0})
    monkeypatch.setattr(seed, "FOCUS_FAILURES", True)
    failing = [{"input": [1], "expected": 2, "actual": 3, "outcome": "fail", "message": None}]
    calm = _picks([], ["guard", "ast_point"])
    focused = _picks(failing, ["guard", "ast_point"])
    assert 0.4 < calm["guard"] / 3000 < 0.6
    assert focused["guard"] / 3000 > 0.65  # weight 1 * FOCUS_BOOST vs 1
    monkeypatch.setattr(seed, "FOCUS_FAILURES", False)
    assert 0.4 < _picks(failing, ["guard", "ast_point"])["guard"] / 3000 < 0.6


def test_operator_weights_skip_unknown_and_default_to_other(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(seed, "OPERATOR_WEIGHTS", {"missing": 50.0, "ast_point": 0.0})
    counts = _picks([], ["ast_point", "net_flip", "email_dot"], n=600)
    assert set(counts) == {"net_flip", "email_dot"}
    assert _picks([], ["ast_point"], n=10) == {"None": 10}


# ---------------------------------------------------------------------------------------------
# static_check


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("def propose(ctx):\n    return [\n", "syntax error"),
        ("def propose(ctx):\nreturn []\n", "syntax error"),
        ("def f(ctx):\n    return []\n", "no top-level function propose"),
        ("class K:\n    def propose(self, ctx):\n        return []\n", "no top-level function"),
        ("def propose():\n    return []\n", "it takes 0"),
        ("def propose(ctx, other):\n    return []\n", "it takes 2"),
        ("def propose(*ctxs):\n    return []\n", "plus *args"),
        ("def propose(ctx, *, k):\n    return []\n", "keyword-only"),
        ("async def propose(ctx):\n    return []\n", "not async"),
        ("def propose(ctx):\n    return []\npropose = 3\n", "plain"),
        ("import os\ndef propose(ctx):\n    return []\n", "'os'"),
        ("import subprocess\ndef propose(ctx):\n    return []\n", "'subprocess'"),
        ("from os import path\ndef propose(ctx):\n    return []\n", "'os'"),
        ("import os.path as p\ndef propose(ctx):\n    return []\n", "'os'"),
        ("def propose(ctx):\n    import socket\n    return []\n", "'socket'"),
        ("from . import x\ndef propose(ctx):\n    return []\n", "relative"),
        ("def propose(ctx):\n    return __import__('os').listdir()\n", "'__import__'"),
        ("def propose(ctx):\n    return eval('[]')\n", "'eval'"),
        ("def propose(ctx):\n    return open('x').readlines()\n", "'open'"),
        ("def propose(ctx):\n    return ctx.__class__\n", "'__class__'"),
        ("def propose(ctx):\n    return getattr(ctx, '__dict__')\n", "'__dict__'"),
        ("x = 'a\x00b'\ndef propose(ctx):\n    return []\n", "null bytes"),
        ("def propose(ctx):\n" + "    x = 1\n" * 20000, "characters"),
    ],
)
def test_static_check_rejects(source: str, expected: str) -> None:
    problem = static_check(source)
    assert problem is not None
    assert expected in problem


@pytest.mark.parametrize(
    "source",
    [
        "def propose(ctx):\n    return []\n",
        "def propose(ctx, /, *, k=1, **extra):\n    return []\n",
        "import math, heapq\nfrom collections import deque\nfrom typing import Any\n"
        "def propose(ctx: Any) -> list[str]:\n    return [ctx.solution] if math.pi else []\n",
        "def propose(ctx):\n    return []\ndef propose(ctx):\n    return [ctx.solution]\n",
        "if __name__ == '__main__':\n    pass\ndef propose(ctx):\n    return []\n",
    ],
)
def test_static_check_accepts(source: str) -> None:
    assert static_check(source) is None


def test_static_check_names_the_allowed_modules() -> None:
    problem = static_check("import ctypes\ndef propose(ctx):\n    return []\n")
    assert problem is not None and "ctypes" in problem and "random" in problem
    assert "os" not in ALLOWED_IMPORTS and "random" in ALLOWED_IMPORTS


def test_static_check_refuses_non_text() -> None:
    assert static_check(b"def propose(ctx): return []") is not None  # type: ignore[arg-type]


@settings(database=None, deadline=None, max_examples=200)
@given(st.text(max_size=80))
def test_static_check_never_raises(text: str) -> None:
    problem = static_check(text)
    assert problem is None or isinstance(problem, str)
    if problem is None:
        assert "propose" in text


# ---------------------------------------------------------------------------------------------
# smoke_run and LocalContext


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("def propose(ctx):\n    raise KeyError('boom')\n", "propose raised KeyError"),
        ("def propose(ctx):\n    raise SystemExit(3)\n", "propose raised SystemExit"),
        ("def propose(ctx):\n    return ctx.nothing\n", "propose raised AttributeError"),
        ("def propose(ctx):\n    return ('a',)\n", "not a list"),
        ("def propose(ctx):\n    return ['a', 1]\n", "holding int"),
        ("x = 1 / 0\ndef propose(ctx):\n    return []\n", "ZeroDivisionError"),
        ("import os\ndef propose(ctx):\n    return []\n", "'os'"),
    ],
)
def test_smoke_run_reports_errors_as_text(source: str, expected: str) -> None:
    result = smoke_run(source, toy_context())
    assert isinstance(result, str) and expected in result


def test_smoke_run_returns_the_candidates() -> None:
    source = "def propose(ctx):\n    return [ctx.solution.upper(), ctx.mutate(ctx.solution)]\n"
    result = smoke_run(source, toy_context(operators={"up": lambda s, r: s.upper()}))
    assert result == [START.upper(), START.upper()]


def test_local_context_score_budget_counts_down_then_none() -> None:
    ctx = toy_context(budget=2)
    assert ctx.score_now == toy_score(START)
    assert ctx.score(START) == toy_score(START)
    assert ctx.budget == 1
    assert ctx.score(PEER) == toy_score(PEER)
    assert ctx.score(PEER) is None and ctx.budget == 0
    assert ctx.calls["score"] == 3


def test_local_context_mutate_and_crossover() -> None:
    ctx = toy_context(seed=1)
    assert ctx.operators == ["tweak", "guard"]
    assert ctx.mutate(START, "guard") is None
    assert ctx.mutate(START, "no_such_operator") is None
    child = ctx.mutate(START, "tweak")
    assert child is not None and child != START and toy_score(child) > 0
    assert {ctx.mutate(START) for _ in range(20)} - {None}
    assert ctx.crossover(START, PEER) in {mix(START, PEER, random.Random(s)) for s in range(50)}
    assert ctx.llm("hello") is None
    with pytest.raises(TypeError):
        ctx.score(3)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        ctx.mutate(None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="budget"):
        toy_context(budget=-1)


def test_local_context_is_seeded_and_broker_random_is_separate() -> None:
    a, b = toy_context(seed=9), toy_context(seed=9)
    assert [a.random.random() for _ in range(3)] == [b.random.random() for _ in range(3)]
    c = toy_context(seed=9)
    c.mutate(START)
    assert c.random.random() == random.Random(9).random()


def test_local_context_data_round_trip() -> None:
    data = ContextData(
        solution=START,
        score_now=0.25,
        failures=[{"input": [1], "expected": 10, "actual": 5, "outcome": "fail", "message": None}],
        spec="s",
        entry_point="f",
        signature="def f(x)",
        operators=["tweak"],
        peers=[PEER],
        seed=4,
        budget=3,
    )
    ctx = LocalContext.from_data(data, operators={"tweak": tweak, "other": tweak}, score=toy_score)
    assert ctx.to_data() == data
    assert ctx.operators == ["tweak"]
    with pytest.raises(ValueError, match="tweak"):
        LocalContext.from_data(data, operators={}, score=toy_score)


def test_line_crossover_children_compile_and_mix() -> None:
    a = "x = 1\ny = 2\nz = 3\n"
    b = "p = 4\nq = 5\nr = 6\n"
    children = {line_crossover(a, b, random.Random(s)) for s in range(30)}
    assert None not in children
    for child in children:
        assert child is not None
        compile(child, "<t>", "exec")
        assert child.startswith("x = 1\n") and child.endswith("r = 6\n")
    assert line_crossover("x = 1\n", "y = 2\n", random.Random(0)) is None
