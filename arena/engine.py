"""The round engine: test agents grow the suite, code agents respond, winners replace losers.

One round (see DESIGN.md section 4):

1. each test agent searches for inputs that break the current code agents (hypothesis
   ``find``, labelled by the oracle); at most ``cases_per_agent`` of its minimal breaking cases
   enter the suite, deduplicated by input hash;
2. each code agent's ``propose()`` runs in the sandbox and returns candidates, and the best
   candidate replaces the agent's solution only if it scores better on the grown suite;
3. every ``replace_every`` rounds the worst agent of each population is replaced by a mutated
   copy of the best (for code agents: the winner's solution with a meta-mutated proposer).

Scores (also in the README):
    code agent: pass rate on the current suite; ties: lower cost (``Ledger.costs``: a data
        task's own cost such as comparators then depth, then source length), then the seed.
    test agent, per round: sum over its accepted cases c of  b_c / C + [0 < b_c < C]
        (b_c code agents broken by c, C code agents) minus invalid / tried minus
        0.5 * duplicates; replacement ranks the sum over the last ``replace_every`` rounds.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from agents.code_agent import CodeAgent, code_agent_id, source_hash
from agents.context import MAX_CANDIDATES, ContextData
from agents.meta_mutation import meta_mutate
from agents.operators import crossover, operator_table
from agents.proposer_checks import static_check
from agents.proposers import seed_proposer_source
from agents.test_agent import Proposal, TestAgent, TestGenome
from arena.config import RunConfig
from arena.errors import ArenaError
from arena.ledger import Ledger, outcome_text
from arena.models import ModelDriver
from arena.sandbox import Sandbox
from arena.seeds import derive, rng
from populations.hall_of_fame import HallOfFame
from populations.selection import rank, replacement_pairs
from replays.checkpoint import write_checkpoint
from replays.events import EventLog
from replays.rundir import RunDir
from tasks import Args, Case, InvalidInput, Outcome, Task
from tasks.canonical import from_wire, to_wire

MAX_SOURCE = 100_000
"""Characters of a candidate source the arena accepts from a proposer."""


@dataclass
class RoundReport:
    """What the live display shows after each round."""

    round: int
    rounds: int
    suite_size: int
    new_cases: int
    leader: str
    leader_before: float
    """The leader's pass rate on the suite before this round's new cases."""
    leader_grown: float
    """The same agent's pass rate once the new cases are in."""
    leader_after: float
    """The leader's pass rate after the code agents responded."""
    best_test: str | None
    best_test_score: float
    accepted_proposals: int
    elapsed: float


@dataclass
class _ProposerStats:
    uses: int = 0
    accepted: int = 0
    improvement: float = 0.0

    def to_json(self) -> dict[str, Any]:
        mean = self.improvement / self.uses if self.uses else 0.0
        return {
            "uses": self.uses,
            "accepted": self.accepted,
            "improvement": self.improvement,
            "meta_utility": mean,
        }


@dataclass
class _Broker:
    """Answers a proposer's ctx calls in the arena process (``ctx.llm`` is None offline)."""

    engine: Arena
    agent: CodeAgent
    rng: random.Random
    budget: int
    operators: dict[str, Any]
    calls: dict[str, int] = field(default_factory=dict)

    def __call__(self, method: str, args: list[Any]) -> Any:
        self.calls[method] = self.calls.get(method, 0) + 1
        if sum(self.calls.values()) > 256:
            return None
        task = self.engine.task
        if method == "mutate" and args and _is_source(args[0]):
            name = args[1] if len(args) > 1 else None
            if name is None:
                name = self.rng.choice(sorted(self.operators))
            op = self.operators.get(name) if isinstance(name, str) else None
            return op(args[0], self.rng) if op is not None else None
        if method == "crossover" and len(args) >= 2 and _is_source(args[0]) and _is_source(args[1]):
            return crossover(args[0], args[1], self.rng, task.entry_point)
        if method == "score" and args and _is_source(args[0]):
            if self.budget <= 0 or not _compiles(args[0]):
                return 0.0 if self.budget > 0 else None
            self.budget -= 1
            return self.engine.ledger.pass_rate(args[0])
        if method == "llm" and args and self.engine.models is not None:
            models = self.engine.models
            return models.llm(self.engine.round, args[0], self.agent.id, self.calls[method])
        return None


def _is_source(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= MAX_SOURCE


def _compiles(source: str) -> bool:
    """Whether untrusted ``source`` compiles (compiling runs none of it).

    A hostile source can make the compiler itself fail deeply (nesting recursion, memory),
    so every failure is a no.
    """
    try:
        compile(source, "candidate.py", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return False
    return True


class Arena:
    """One run: populations, the growing suite, and the loop over rounds."""

    def __init__(
        self,
        config: RunConfig,
        task: Task,
        box: Sandbox,
        log: EventLog,
        run_dir: RunDir,
        *,
        on_round: Callable[[RoundReport], None] | None = None,
        versions: dict[str, str] | None = None,
        models: ModelDriver | None = None,
    ) -> None:
        self.config, self.task, self.box, self.log, self.run_dir = config, task, box, log, run_dir
        self.on_round = on_round
        self.models = models
        self.stopped = "completed"
        """Model calls (None offline): code candidates, test inputs, meta-mutation, ctx.llm."""
        self.versions = versions or {}
        self.seed = config.seed
        self.ledger = Ledger(box, task, task.fixed_suite().cases)
        self.ledger.on_fill = self._on_fill
        self.code: list[CodeAgent] = []
        self.tests: list[TestAgent] = []
        self.hall = HallOfFame()
        self.proposer_stats: dict[str, _ProposerStats] = {}
        self.test_scores: list[list[float]] = []  # per test slot, per round
        self.round = 0
        self.started = time.perf_counter()

    # ---- set-up ---------------------------------------------------------------------------

    def start(self) -> None:
        """Emit run_start, build the seed populations."""
        self.log.emit(
            "run_start",
            0,
            config=self.config.to_json(),
            seed=self.seed,
            task={"name": self.task.name, "entry_point": self.task.entry_point},
            versions=self.versions,
            fixed_suite=[c.key for c in self.ledger.cases],
            sandbox=self.box.protections(),
            components={
                "proposer_seed": source_hash(seed_proposer_source()),
                "operators": sorted(operator_table(self.task)),
                "scoring": "code: pass rate; test: b/C + [0<b<C] - invalid/tried - dup/2",
            },
        )
        seeds = self.seed_solutions()
        proposers = self.seed_proposers(self.config.code)
        for slot in range(self.config.code):
            agent = CodeAgent.create(slot, seeds[slot % len(seeds)], proposers[slot])
            self.adopt(agent)
        genomes = TestGenome.seed_genomes(self.config.test, rng(self.seed, "test-genomes"))
        for slot, genome in enumerate(genomes):
            tagent = TestAgent.create(genome)
            self.tests.append(tagent)
            self.test_scores.append([])
            self.log.emit(
                "agent_born",
                0,
                kind="test",
                id=tagent.id,
                slot=slot,
                parents=[],
                genome=genome.to_json(),
                mutation="seed",
            )
        self.checkpoint()

    def seed_solutions(self) -> list[str]:
        """Starting solutions: the task's pool, keeping only faulty ones when it has several."""
        pool = self.task.seed_solutions()
        if len(pool) <= 1:
            return pool
        rates = self.ledger.pass_rates(pool)
        faulty = [s for s, r in zip(pool, rates, strict=True) if r < 1.0]
        if not faulty:
            probe = self.validation_cases()
            res = self.box.evaluate(self.task, pool, probe)
            faulty = [s for s, row in zip(pool, res.outcomes, strict=True) if (row != 0).any()]
        return faulty or pool

    def validation_cases(self) -> list[Case]:
        """Strategy-drawn cases, independent of the hidden suite, to tell faulty seeds apart."""
        from tasks.sampling import draw_unique

        inputs = draw_unique(self.task.input_strategy(), 100, seed_value=derive(self.seed, "v"))
        suite, _ = self.task.label_all(inputs, "validation")
        return suite.cases

    def seed_proposers(self, count: int) -> list[str]:
        """The seed proposer, then validated meta-mutations of it for diversity."""
        base = seed_proposer_source()
        out = [base]
        r = rng(self.seed, "seed-proposers")
        while len(out) < count:
            made = meta_mutate(out[-1] if len(out) > 1 else base, r)
            out.append(
                made.source if made is not None and static_check(made.source) is None else base
            )
        return out[:count]

    def adopt(self, agent: CodeAgent) -> None:
        """Put ``agent`` in its slot, save its sources, emit agent_born."""
        if agent.slot < len(self.code):
            self.code[agent.slot] = agent
        else:
            self.code.append(agent)
        self.run_dir.save_source("solution", agent.solution)
        self.run_dir.save_source("proposer", agent.proposer)
        self.log.emit("agent_born", self.round, kind="code", **agent.to_json())

    # ---- the loop -------------------------------------------------------------------------

    def run(self) -> None:
        """The remaining rounds (all of them, or those after a restored checkpoint).

        Stops early, at a round boundary, once the model budget (--max-cost, --max-calls)
        is spent; ``stopped`` says why the run ended.
        """
        for r in range(self.round + 1, self.config.rounds + 1):
            if self.models is not None and self.models.exhausted:
                self.stopped = "model budget spent (--max-cost or --max-calls)"
                break
            self.round = r
            self.play_round(r)

    def finish(self, final: dict[str, Any]) -> None:
        """Emit final_scores (what the summary needs beyond the rounds), then run_end."""
        self.log.emit("final_scores", self.round, **final)
        self.log.emit(
            "run_end", self.round, stopped=self.stopped, elapsed=time.perf_counter() - self.started
        )
        self.log.sync()

    def _on_fill(self, hashes: list[str], start: int, outcomes: np.ndarray) -> None:
        keys = [c.key for c in self.ledger.cases[start : start + len(outcomes)]]
        for h in hashes:
            self.log.emit(
                "evaluation",
                self.round,
                solution=h,
                start=start,
                cases=keys,
                outcomes=outcome_text(outcomes),
            )

    def play_round(self, r: int) -> None:
        start = time.perf_counter()
        before = self.code_scores()
        leader_idx = self.leader(before)
        new_cases, test_round = self.test_phase(r, leader_idx)
        grown = self.code_scores()
        leader_before, leader_grown = float(before[leader_idx]), float(grown[leader_idx])
        accepted = self.code_phase(r)
        after = self.code_scores()
        leader = self.leader(after)
        champion, champion_score = self.code[leader].id, float(after[leader])
        self.hall.add_champion(r, champion, self.code[leader].solution, champion_score)
        test_scores = {a.id: test_round[i] for i, a in enumerate(self.tests)} if test_round else {}
        replaced = r % self.config.replace_every == 0
        if replaced:
            self.replace(r, after)
            after = self.code_scores()
        self.log.emit(
            "round_end",
            r,
            suite_size=len(self.ledger.cases),
            code={a.id: float(s) for a, s in zip(self.code, after, strict=True)},
            test=test_scores,
            leader=self.code[self.leader(after)].id,
            champion=champion,
            champion_score=champion_score,
            seconds=time.perf_counter() - start,
        )
        self.log.sync()
        self.checkpoint()
        if self.on_round is not None:
            best_t = int(np.argmax(test_round)) if test_round else None
            self.on_round(
                RoundReport(
                    round=r,
                    rounds=self.config.rounds,
                    suite_size=len(self.ledger.cases),
                    new_cases=len(new_cases),
                    leader=self.code[leader].id,
                    leader_before=leader_before,
                    leader_grown=leader_grown,
                    leader_after=float(after[self.leader(after)]),
                    best_test=self.tests[best_t].id if best_t is not None else None,
                    best_test_score=float(test_round[best_t]) if best_t is not None else 0.0,
                    accepted_proposals=accepted,
                    elapsed=time.perf_counter() - start,
                )
            )

    def code_scores(self) -> np.ndarray:
        return self.ledger.pass_rates([a.solution for a in self.code])

    def leader(self, scores: np.ndarray) -> int:
        keys = self.merit(scores, [a.solution for a in self.code])
        return rank(keys, rng(self.seed, "leader", self.round))[0]

    def merit(
        self, scores: Sequence[float] | np.ndarray, sources: Sequence[str]
    ) -> list[tuple[float, ...]]:
        """Ranking keys, larger is better: the pass rate, then the negated cost."""
        costs = self.ledger.costs(sources)
        return [(float(s), *(-c for c in cost)) for s, cost in zip(scores, costs, strict=True)]

    # ---- test agents ----------------------------------------------------------------------

    def test_phase(self, r: int, leader_idx: int) -> tuple[list[Case], list[float]]:
        """Test agents propose; breaking cases enter the suite. Returns them and the scores."""
        if not self.tests:
            return [], []
        sources = [a.solution for a in self.code]
        n_code = len(sources)
        accepted: list[Case] = []
        broke: dict[str, np.ndarray] = {}
        scores: list[float] = []
        with self.ledger.prober(sources) as probe:

            def breaks_for(target: str) -> Callable[[Case], bool]:
                def breaks(case: Case) -> bool:
                    if case.key in self.ledger or case.key in broke:
                        return False
                    row = probe(case)
                    if target == "leader":
                        return bool(row[leader_idx] != Outcome.PASS)
                    return bool((row != Outcome.PASS).any())

                return breaks

            asked: list[list[Args]] = [[] for _ in self.tests]
            if self.models is not None:
                examples = [c.args for c in self.ledger.cases[-8:]]
                asked = self.models.test_inputs(r, self.task, [a.id for a in self.tests], examples)
            for t, agent in enumerate(self.tests):
                from_model, model_invalid = self.label_model_inputs(agent, r, asked[t], breaks_for)
                left = self.config.cases_per_agent - len(from_model)
                proposal = (
                    agent.propose(
                        self.task,
                        breaks_for,
                        seed=derive(self.seed, "test", r, t),
                        max_cases=left,
                        round_no=r,
                        max_examples=self.config.search_examples,
                        max_shrink=self.config.shrink_examples,
                    )
                    if left > 0
                    else Proposal([], 0, 0, 0, 0, 0)
                )
                tried = proposal.tried + len(asked[t])
                invalid = proposal.invalid + model_invalid
                proposal = Proposal(
                    [*from_model, *proposal.cases],
                    tried,
                    invalid,
                    proposal.duplicates,
                    proposal.breaks_calls,
                    proposal.searches,
                )
                score = -proposal.invalid / max(proposal.tried, 1)
                mine: list[Case] = []
                duplicates = proposal.duplicates
                for reason, count in (("invalid", proposal.invalid), ("duplicate", duplicates)):
                    if count:
                        self.log.emit(
                            "case_rejected", r, agent=agent.id, reason=reason, key=None, count=count
                        )
                for case in proposal.cases:
                    self.log.emit(
                        "case_proposed",
                        r,
                        agent=agent.id,
                        key=case.key,
                        origin=case.origin,
                        input=to_wire(list(case.args)),
                        expected=to_wire(case.expected),
                    )
                    if case.key in self.ledger or case.key in broke:
                        duplicates += 1
                        self.log.emit(
                            "case_rejected",
                            r,
                            agent=agent.id,
                            reason="duplicate",
                            key=case.key,
                            count=1,
                        )
                        continue
                    row = probe(case)
                    b = int((row != Outcome.PASS).sum())
                    if b == 0:
                        self.log.emit(
                            "case_rejected",
                            r,
                            agent=agent.id,
                            reason="no_break",
                            key=case.key,
                            count=1,
                        )
                        continue
                    broke[case.key] = row
                    mine.append(case)
                    score += b / n_code + (1.0 if 0 < b < n_code else 0.0)
                score -= 0.5 * duplicates
                scores.append(score)
                self.test_scores[t].append(score)
                agent.remember([c.args for c in mine])
                accepted += mine
                self.log.emit(
                    "test_proposal",
                    r,
                    agent=agent.id,
                    tried=proposal.tried,
                    invalid=proposal.invalid,
                    duplicates=duplicates,
                    offered=len(proposal.cases),
                    accepted=len(mine),
                    score=score,
                )
                for case in mine:
                    row = broke[case.key]
                    self.log.emit(
                        "case_accepted",
                        r,
                        key=case.key,
                        origin=case.origin,
                        input=to_wire(list(case.args)),
                        expected=to_wire(case.expected),
                        broke=[self.code[i].id for i in np.flatnonzero(row != Outcome.PASS)],
                    )
            added = self.ledger.add_cases(accepted)
            self.ledger.record(sources, added, probe)
        self.hall.add_cases([c.args for c in added])
        return added, scores

    def label_model_inputs(
        self,
        agent: TestAgent,
        r: int,
        inputs: Sequence[Args],
        breaks_for: Callable[[str], Callable[[Case], bool]],
    ) -> tuple[list[Case], int]:
        """The breaking cases among a model's proposed inputs, and how many were invalid.

        The oracle labels every input (a model never decides what is correct); inputs
        outside the domain count against the agent.
        """
        breaks = breaks_for(agent.genome.target)
        cases: list[Case] = []
        invalid = 0
        for args in inputs:
            try:
                case = self.task.label(tuple(args), f"{agent.id}@{r}")
            except InvalidInput:
                invalid += 1
                continue
            if len(cases) < self.config.cases_per_agent and breaks(case):
                cases.append(case)
        return cases, invalid

    # ---- code agents ----------------------------------------------------------------------

    def code_phase(self, r: int) -> int:
        """Every code agent proposes once; returns how many proposals were accepted.

        With a model, every agent's model-written candidate is requested at once first and
        competes with its proposer's candidates.
        """
        extra: list[list[str]] = [[] for _ in self.code]
        if self.models is not None:
            extra = self.models.code_candidates(
                r,
                self.task,
                [(a.id, a.slot, a.solution, self.ledger.failures(a.solution)) for a in self.code],
            )
        accepted = 0
        for slot in range(len(self.code)):
            if self.propose(r, slot, extra[slot]):
                accepted += 1
        return accepted

    def context(self, agent: CodeAgent, score_now: float, budget: int, seed: int) -> ContextData:
        peers = [a.solution for a in self.code if a.slot != agent.slot]
        peers += [s for s in self.hall.solutions() if s not in peers and s != agent.solution]
        return {
            "solution": agent.solution,
            "score_now": score_now,
            "failures": self.ledger.failures(agent.solution),
            "spec": self.task.spec,
            "entry_point": self.task.entry_point,
            "signature": self.task.signature,
            "operators": sorted(operator_table(self.task)),
            "peers": peers[:6],
            "seed": seed,
            "budget": budget,
        }

    def propose(self, r: int, slot: int, extra: Sequence[str] = ()) -> bool:
        agent = self.code[slot]
        before = self.ledger.pass_rate(agent.solution)
        budget = self.config.score_budget
        ctx = self.context(agent, before, budget, derive(self.seed, "ctx", r, slot))
        broker = _Broker(
            self,
            agent,
            rng(self.seed, "broker", r, slot),
            budget,
            operator_table(self.task, ctx["failures"], tuple(self.ledger.cases)),
        )
        run = self.box.run_proposer(agent.proposer, dict(ctx), broker)
        candidates = [
            c
            for c in dict.fromkeys([*run.candidates[:MAX_CANDIDATES], *extra])
            if _is_source(c) and _compiles(c)
        ]
        rates = self.ledger.pass_rates(candidates) if candidates else np.zeros(0)
        best = None
        if candidates:
            keys = self.merit(rates, candidates)
            best = rank(keys, rng(self.seed, "candidates", r, slot))[0]
            better = keys[best] > self.merit([before], [agent.solution])[0]
        else:
            better = False
        after = float(rates[best]) if best is not None else before
        stats = self.proposer_stats.setdefault(agent.proposer_hash, _ProposerStats())
        stats.uses += 1
        stats.improvement += max(0.0, after - before) if better else 0.0
        self.log.emit(
            "proposal",
            r,
            agent=agent.id,
            proposer=agent.proposer_hash,
            candidates=[source_hash(c) for c in candidates],
            best=source_hash(candidates[best]) if best is not None else None,
            before=before,
            after=after,
            accepted=better,
            error=run.error,
            calls=broker.calls,
            seconds=run.seconds,
        )
        if not better or best is None:
            return False
        stats.accepted += 1
        child = CodeAgent.create(
            slot,
            candidates[best],
            agent.proposer,
            parents=(agent.id,),
            born=r,
            mutation="propose",
        )
        self.adopt(child)
        return True

    # ---- replacement ----------------------------------------------------------------------

    def replace(self, r: int, scores: np.ndarray) -> None:
        keys = self.merit(scores, [a.solution for a in self.code])
        for loser, winner in replacement_pairs(rank(keys, rng(self.seed, "rank-code", r))):
            self.replace_code(r, loser, winner)
        if len(self.tests) >= 2:
            k = self.config.replace_every
            tkeys = [(float(sum(s[-k:])),) for s in self.test_scores]
            for loser, winner in replacement_pairs(rank(tkeys, rng(self.seed, "rank-test", r))):
                self.replace_test(r, loser, winner)

    def replace_code(self, r: int, loser: int, winner: int) -> None:
        parent = self.code[winner]
        options: list[tuple[str, str]] = []  # (source, kind): the model's rewrite first
        if self.models is not None:
            rewritten = self.models.meta(r, parent.proposer, parent.id)
            if rewritten is not None:
                options.append((rewritten, "meta:model"))
        mutation = meta_mutate(parent.proposer, rng(self.seed, "meta", r, loser))
        if mutation is not None:
            options.append((mutation.source, f"meta:{mutation.kind}"))
        proposer, kind = parent.proposer, "copy"
        for source, how in options:
            problem = self.validate_proposer(source, r)
            if problem is None:
                proposer, kind = source, how
                break
            self.log.emit(
                "proposer_invalid",
                r,
                parent=parent.id,
                proposer=self.run_dir.save_source("proposer", source),
                mutation=how,
                problem=problem,
            )
        child = CodeAgent.create(
            loser, parent.solution, proposer, parents=(parent.id,), born=r, mutation=kind
        )
        self.log.emit(
            "replacement",
            r,
            kind="code",
            loser=self.code[loser].id,
            winner=parent.id,
            child=child.id,
            mutation=kind,
        )
        self.adopt(child)

    def validate_proposer(self, source: str, r: int) -> str | None:
        """None if ``source`` is a usable proposer, else why not (static, then a smoke run)."""
        problem = static_check(source)
        if problem is not None:
            return problem
        agent = self.code[0]
        ctx = self.context(agent, 0.0, 2, derive(self.seed, "smoke", r))
        broker = _Broker(self, agent, rng(self.seed, "smoke", r), 2, operator_table(self.task))
        run = self.box.run_proposer(source, dict(ctx), broker, idle_limit=5.0, wall_limit=30.0)
        return run.error

    def replace_test(self, r: int, loser: int, winner: int) -> None:
        parent = self.tests[winner]
        child, change = parent.child(rng(self.seed, "test-mutate", r, loser), born=r)
        child.remember(self.hall.cases)
        self.log.emit(
            "replacement",
            r,
            kind="test",
            loser=self.tests[loser].id,
            winner=parent.id,
            child=child.id,
            mutation=change,
        )
        self.tests[loser] = child
        self.test_scores[loser] = []
        self.log.emit(
            "agent_born",
            r,
            kind="test",
            id=child.id,
            slot=loser,
            parents=[parent.id],
            genome=child.genome.to_json(),
            mutation=change,
        )

    # ---- checkpoints ----------------------------------------------------------------------

    def checkpoint(self) -> None:
        """Write checkpoint.json atomically: the state after the events logged so far."""
        write_checkpoint(self.run_dir.path, self.state())

    def state(self) -> dict[str, Any]:
        """Everything needed to continue this run exactly (see ``restore``).

        A model-backed run adds ``models``: its usage and budget spend, so a resumed run
        neither spends its --max-cost / --max-calls again nor loses the usage totals. An
        offline checkpoint has no such key.
        """
        state: dict[str, Any] = {
            "round": self.round,
            "seq": self.log.seq,
            "events_bytes": self.log.offset(),
            "code": [
                {
                    **a.to_json(),
                    "solution_source": a.solution,
                    "proposer_source": a.proposer,
                    "history": a.history,
                }
                for a in self.code
            ],
            "tests": [t.to_json() for t in self.tests],
            "test_scores": self.test_scores,
            "hall": {
                "champions": self.hall.champions,
                "cases": [to_wire(list(a)) for a in self.hall.cases],
            },
            "proposer_stats": {
                h: [s.uses, s.accepted, s.improvement] for h, s in self.proposer_stats.items()
            },
            "ledger": self.ledger.state(),
        }
        if self.models is not None:
            state["models"] = self.models.state()
        return state

    def restore(self, state: dict[str, Any]) -> None:
        """Continue from ``state()`` (the log must already be cut back to its ``seq``).

        ArenaError if the state is malformed or an agent's id does not match its content.
        """
        try:
            self.round = int(state["round"])
            self.code = []
            for rec in state["code"]:
                agent = CodeAgent(
                    rec["id"],
                    int(rec["slot"]),
                    rec["solution_source"],
                    rec["proposer_source"],
                    tuple(rec["parents"]),
                    int(rec["born"]),
                    rec["mutation"],
                    list(rec["history"]),
                )
                expected = code_agent_id(
                    agent.slot, agent.solution, agent.proposer, agent.parents, agent.born
                )
                if agent.id != expected:
                    raise ValueError(f"code agent {agent.id} does not match its content")
                self.code.append(agent)
            self.tests = [TestAgent.from_json(t) for t in state["tests"]]
            self.test_scores = [[float(x) for x in s] for s in state["test_scores"]]
            hall = state["hall"]
            self.hall = HallOfFame(
                champions=[dict(c) for c in hall["champions"]],
                cases=[tuple(from_wire(a)) for a in hall["cases"]],
            )
            self.proposer_stats = {
                h: _ProposerStats(int(u), int(a), float(i))
                for h, (u, a, i) in state["proposer_stats"].items()
            }
            self.ledger.restore(state["ledger"])
            if self.models is not None:
                self.models.restore(state["models"])
            elif "models" in state:
                raise ValueError("model usage in the checkpoint of an offline run")
        except Exception as exc:  # any failure to rebuild means the checkpoint is bad
            raise ArenaError(f"checkpoint: malformed state: {type(exc).__name__}: {exc}") from None

    # ---- results --------------------------------------------------------------------------

    def proposer_report(self) -> dict[str, dict[str, Any]]:
        return {h: s.to_json() for h, s in sorted(self.proposer_stats.items())}
