"""What a proposer's ``propose(ctx)`` sees: the contract between proposers and the arena.

A proposer is Python source defining ``propose(ctx) -> list[str]`` (candidate solution
sources). It runs inside the sandbox; ``ctx`` is a plain object there whose data fields are
copied in and whose methods are brokered by the arena process:

Data:
    ctx.solution: str          the agent's current solution source
    ctx.score_now: float       its pass rate on the current suite
    ctx.failures: list[dict]   up to 8 failing cases, smallest input first:
                               {"input": [args...], "expected": value, "actual": value or
                               None, "outcome": "fail" | "error" | "timeout",
                               "message": str or None}
    ctx.spec, ctx.entry_point, ctx.signature: str   the task
    ctx.operators: list[str]   names of the mutation operators ctx.mutate knows
    ctx.peers: list[str]       other code agents' current solutions (for crossover)
    ctx.random: random.Random  seeded for this call (deterministic)
    ctx.budget: int            score calls left

Methods (brokered; arguments and results are plain data):
    ctx.mutate(source, operator=None) -> str | None   one mutation (random operator if None)
    ctx.crossover(a, b) -> str | None                 a child of two solutions
    ctx.score(source) -> float | None                 pass rate on the current suite, None
                                                      once the budget is spent
    ctx.llm(prompt) -> str | None                     a model completion; None offline

The arena evaluates every returned candidate and keeps the best one only if it beats the
current solution (higher pass rate; ties: lower cost, which is the source length, or for a
data task its own measure first, e.g. a sorting network's comparators then depth).
"""

from __future__ import annotations

from typing import Any, TypedDict

MAX_CANDIDATES = 16
"""Candidates beyond this many in one propose() result are ignored."""

MAX_FAILURES = 8
"""Failing cases shown to a proposer."""

DEFAULT_SCORE_BUDGET = 12
"""ctx.score calls allowed per propose() call."""


class Failure(TypedDict):
    """One failing case as shown to a proposer."""

    input: list[Any]
    expected: Any
    actual: Any
    outcome: str
    message: str | None


class ContextData(TypedDict):
    """The data half of ``ctx`` (the methods are brokered)."""

    solution: str
    score_now: float
    failures: list[Failure]
    spec: str
    entry_point: str
    signature: str
    operators: list[str]
    peers: list[str]
    seed: int
    budget: int
