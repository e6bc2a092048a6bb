"""Seed proposer: improve ctx.solution by mutation search within the ctx.score budget.

The strategy is plain data (the constants below) plus one function per strategy block, so
meta-mutation can tune the constants, switch STRATEGY and rewire the fallbacks in propose().
Standard library only; it runs in the sandbox, and ctx is described in agents/context.py.
"""

from __future__ import annotations

import math
from typing import Any

N_CANDIDATES = 12  # mutants made per step, and the most candidates returned
STEPS = 6  # search steps of beam and anneal
STRATEGY = "anneal"  # the block propose() runs first: greedy, beam, anneal or crossover
OPERATOR_WEIGHTS = {
    "ast_point": 1.0,
    "guard": 0.25,
    "insert_statement": 0.5,
    "delete_statement": 0.5,
    "duplicate_statement": 0.25,
    "swap_statements": 0.25,
}  # listed operators that ctx lacks are skipped
OTHER_WEIGHT = 4.0  # operators ctx offers but not listed above (the task's own)
TEMPERATURE = 0.05  # anneal: starting tolerance for a worse score, in pass-rate units
BEAM_WIDTH = 2  # beam: parents kept from one step to the next
FOCUS_FAILURES = True  # while cases fail, boost guard-style (failure-driven) operators
FOCUS_BOOST = 3.0  # by this factor


def pick_operator(ctx: Any) -> str | None:
    """A weighted random operator among ctx.operators; None lets ctx.mutate choose."""
    names: list[str] = []
    weights: list[float] = []
    for name in ctx.operators:
        weight = float(OPERATOR_WEIGHTS.get(name, OTHER_WEIGHT))
        if FOCUS_FAILURES and ctx.failures and "guard" in name:
            weight *= FOCUS_BOOST
        if weight > 0:
            names.append(name)
            weights.append(weight)
    if not names:
        return None
    chosen: str = ctx.random.choices(names, weights)[0]
    return chosen


def mutant(ctx: Any, source: str) -> str | None:
    """One mutation of source, or None when it changed nothing."""
    child = ctx.mutate(source, pick_operator(ctx))
    return child if isinstance(child, str) and child != source else None


def score(ctx: Any, source: str, scores: dict[str, float]) -> float | None:
    """ctx.score(source), remembered in scores; None once the budget is spent."""
    if source not in scores:
        value = ctx.score(source)
        if not isinstance(value, (int, float)):
            return None
        scores[source] = float(value)
    return scores[source]


def rank(ctx: Any, pool: list[str], scores: dict[str, float]) -> list[str]:
    """Distinct new candidates: scored ones not worse than now (best first), then unscored."""
    fresh: list[str] = []
    for source in pool:
        if source != ctx.solution and source not in fresh:
            fresh.append(source)
    scored = [s for s in fresh if s in scores and scores[s] >= ctx.score_now]
    scored.sort(key=lambda s: (-scores[s], len(s), s))
    return scored + [s for s in fresh if s not in scores]


def greedy(ctx: Any) -> list[str]:
    """Mutate the current solution N_CANDIDATES times, scoring while the budget lasts."""
    scores: dict[str, float] = {}
    pool: list[str] = []
    for _ in range(N_CANDIDATES):
        child = mutant(ctx, ctx.solution)
        if child is not None:
            pool.append(child)
            score(ctx, child, scores)
    return rank(ctx, pool, scores)


def beam(ctx: Any) -> list[str]:
    """Beam search: for STEPS steps, mutate the BEAM_WIDTH best solutions found so far."""
    scores: dict[str, float] = {ctx.solution: float(ctx.score_now)}
    parents = [ctx.solution]
    pool: list[str] = []
    for _ in range(STEPS):
        children: list[str] = []
        for parent in parents:
            for _ in range(max(1, N_CANDIDATES // max(1, BEAM_WIDTH))):
                child = mutant(ctx, parent)
                if child is not None and child not in scores and child not in children:
                    children.append(child)
        pool.extend(children)
        scored = [c for c in children if score(ctx, c, scores) is not None]
        if not scored:
            break
        parents = sorted(parents + scored, key=lambda s: (-scores[s], len(s), s))
        parents = parents[: max(1, BEAM_WIDTH)]
    return rank(ctx, pool, scores)


def anneal(ctx: Any) -> list[str]:
    """Simulated annealing: a worse child is accepted with probability exp(-drop / T)."""
    scores: dict[str, float] = {ctx.solution: float(ctx.score_now)}
    current = ctx.solution
    pool: list[str] = []
    for step in range(STEPS):
        child = mutant(ctx, current)
        if child is None:
            continue
        pool.append(child)
        value = score(ctx, child, scores)
        if value is None:
            break
        drop = scores[current] - value
        temperature = TEMPERATURE * (1 - step / STEPS)
        if drop <= 0 or (temperature > 0 and ctx.random.random() < math.exp(-drop / temperature)):
            current = child
    return rank(ctx, pool, scores)


def crossover(ctx: Any) -> list[str]:
    """Cross the current solution with each peer, and mutate each child once more."""
    peers = list(ctx.peers)
    ctx.random.shuffle(peers)
    scores: dict[str, float] = {}
    pool: list[str] = []
    for peer in peers[:N_CANDIDATES]:
        child = ctx.crossover(ctx.solution, peer)
        if isinstance(child, str):
            pool.append(child)
            again = mutant(ctx, child)
            if again is not None:
                pool.append(again)
    for child in pool:
        score(ctx, child, scores)
    return rank(ctx, pool, scores)


def propose(ctx: Any) -> list[str]:
    """Run the STRATEGY block; while nothing was found, run the fallback blocks in order."""
    blocks = {"greedy": greedy, "beam": beam, "anneal": anneal, "crossover": crossover}
    found = blocks.get(STRATEGY, greedy)(ctx)
    if not found:
        found = crossover(ctx)
    return found[:N_CANDIDATES]
