"""TestAgent: a genome of search settings that looks for inputs breaking the code agents.

A test agent proposes inputs; it never decides what is correct. Each candidate input is
labelled by the task's oracle (inputs outside the domain are counted against the agent), then
handed to a ``Breaks`` callback from the round engine, which says whether the labelled case
breaks the targeted code agent(s) and is new to the suite. The search is ``hypothesis.find``
over a weighted mix of three sources (``search_strategy``): the task's own input strategy,
edits of the agent's archive of earlier breaking inputs (or of the task's fixed inputs), and
boundary variants of those. Hypothesis then shrinks the first breaking input to a minimal one.

Contract with the engine (``TestAgent.propose``):

- ``breaks_for(target)`` is called once per ``propose`` with the genome's target
  (``"leader"`` or ``"all"``) and returns ``breaks(case) -> bool``: True iff the labelled case
  makes the leader (``"leader"``) or at least one current code agent (``"all"``) fail, error or
  time out, and its input is not in the suite yet. It receives the ``Case`` (input and oracle
  label, so the engine need not label again). It must be deterministic for a given round
  state; exceptions it raises propagate out of ``propose`` unchanged.
- ``propose`` returns at most ``max_cases`` labelled cases with distinct inputs; the engine
  decides which enter the suite and reports them back with ``TestAgent.remember``.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import random
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from hypothesis import HealthCheck, Phase, Verbosity, find, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample, Unsatisfiable
from hypothesis.strategies import SearchStrategy

from agents.input_edits import (
    Vocabulary,
    apply_edits,
    boundary_input,
    hypothesis_chooser,
    reductions_of,
    task_bases,
    task_vocabulary,
)
from tasks.base import Args, Case, Task, input_key
from tasks.canonical import from_wire, to_wire
from tasks.sampling import stable_hypothesis

Target = Literal["leader", "all"]
Breaks = Callable[[Case], bool]
"""Engine callback: does this labelled case break the targeted agent(s), and is it new?"""
BreaksFor = Callable[[Target], Breaks]
"""Engine callback: the ``Breaks`` for a genome's target."""

TARGETS: tuple[Target, ...] = ("leader", "all")
ARCHIVE_CAP = 64
"""Breaking inputs a test agent remembers (newest last; the oldest are forgotten)."""

WEIGHT_RANGE = (0, 8)
MAX_EDITS_RANGE = (1, 8)
BUDGET_RANGE = (40, 400)
SHRINK_BUDGET_RANGE = (0, 200)
SHRINK_TRIES = 8
"""Random reductions tried before shrinking gives up and keeps the found input as it is."""
SHRINK_PASSES = 3
"""Shrinks of shrinks at most (a string is cut into chunks, finer as it gets shorter)."""


class GenomeError(ValueError):
    """A test genome or agent record that is malformed or out of bounds."""


# ---- the genome ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TestGenome:
    """How a test agent searches.

    ``draw_weight``, ``edit_weight``, ``boundary_weight`` (0..8, not all 0): relative weights
    of the three input sources. ``max_edits`` (1..8): edits per mutated input. ``target``:
    break the leader only, or any code agent. ``budget`` (40..400): hypothesis examples per
    search. ``shrink_budget`` (0..200): new inputs evaluated while shrinking a find.
    """

    __test__ = False  # not a pytest test class

    draw_weight: int = 3
    edit_weight: int = 4
    boundary_weight: int = 2
    max_edits: int = 3
    target: Target = "all"
    budget: int = 120
    shrink_budget: int = 80

    def __post_init__(self) -> None:
        for name, (lo, hi) in _INT_BOUNDS.items():
            value = getattr(self, name)
            if type(value) is not int or not lo <= value <= hi:
                raise GenomeError(
                    f"test genome: {name} must be an int in {lo}..{hi}, got {value!r}"
                )
        if self.draw_weight + self.edit_weight + self.boundary_weight == 0:
            raise GenomeError("test genome: at least one source weight must be positive")
        if self.target not in TARGETS:
            raise GenomeError(f"test genome: target must be 'leader' or 'all', got {self.target!r}")

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> TestGenome:
        """Rebuild a genome; GenomeError on unknown, missing or out-of-bounds fields."""
        if not isinstance(data, dict):
            raise GenomeError("test genome: expected a JSON object")
        names = {f.name for f in dataclasses.fields(cls)}
        if set(data) != names:
            extra, missing = sorted(set(data) - names), sorted(names - set(data))
            raise GenomeError(f"test genome: unknown fields {extra}, missing fields {missing}")
        return cls(**data)

    @classmethod
    def seed_genomes(cls, count: int, rng: random.Random) -> list[TestGenome]:
        """``count`` distinct genomes: four archetypes, then random ones drawn from ``rng``."""
        if type(count) is not int or count < 0:
            raise ValueError(f"count must be a non-negative int, got {count!r}")
        archetypes = [
            cls(),
            cls(draw_weight=1, edit_weight=6, boundary_weight=1, max_edits=2, target="leader"),
            cls(draw_weight=6, edit_weight=2, boundary_weight=1, max_edits=4, budget=160),
            cls(draw_weight=1, edit_weight=2, boundary_weight=6, max_edits=1, budget=80),
        ]
        out: dict[str, TestGenome] = {}
        for g in archetypes[:count]:
            out[_genome_key(g)] = g
        while len(out) < count:
            g = _random_genome(rng)
            out.setdefault(_genome_key(g), g)
        return list(out.values())


_INT_BOUNDS = {
    "draw_weight": WEIGHT_RANGE,
    "edit_weight": WEIGHT_RANGE,
    "boundary_weight": WEIGHT_RANGE,
    "max_edits": MAX_EDITS_RANGE,
    "budget": BUDGET_RANGE,
    "shrink_budget": SHRINK_BUDGET_RANGE,
}


def _genome_key(g: TestGenome) -> str:
    return json.dumps(g.to_json(), sort_keys=True)


def _random_genome(rng: random.Random) -> TestGenome:
    weights = [rng.randint(*WEIGHT_RANGE) for _ in range(3)]
    if sum(weights) == 0:
        weights[rng.randrange(3)] = 1
    return TestGenome(
        draw_weight=weights[0],
        edit_weight=weights[1],
        boundary_weight=weights[2],
        max_edits=rng.randint(*MAX_EDITS_RANGE),
        target=rng.choice(TARGETS),
        budget=rng.randrange(BUDGET_RANGE[0], BUDGET_RANGE[1] + 1, 20),
        shrink_budget=rng.randrange(SHRINK_BUDGET_RANGE[0], SHRINK_BUDGET_RANGE[1] + 1, 20),
    )


def mutate_genome(genome: TestGenome, rng: random.Random) -> tuple[TestGenome, str]:
    """A child differing from ``genome`` in one field (within bounds) and what changed,
    e.g. ``"edit_weight 4->6"``."""
    names = [f.name for f in dataclasses.fields(TestGenome)]
    for name in rng.sample(names, len(names)):
        old = getattr(genome, name)
        if name == "target":
            new: Any = "leader" if old == "all" else "all"
        else:
            lo, hi = _INT_BOUNDS[name]
            step = max(1, (hi - lo) // 8) if name in ("budget", "shrink_budget") else 1
            delta = rng.choice((-2, -1, 1, 2)) * step
            new = min(hi, max(lo, old + delta))
            if new == old:  # at a bound: go the other way
                new = min(hi, max(lo, old - delta))
        if new == old:
            continue
        try:
            child = dataclasses.replace(genome, **{name: new})
        except GenomeError:  # e.g. the last positive weight lowered to 0
            continue
        return child, f"{name} {old}->{new}"
    raise GenomeError("test genome: no field can change")  # unreachable with these bounds


# ---- search -------------------------------------------------------------------------------


def search_strategy(
    task: Task, genome: TestGenome, archive: Sequence[Args]
) -> SearchStrategy[Args]:
    """Argument tuples from a mix, weighted by the genome, of three sources.

    ``edit``: 1 to ``max_edits`` edits (``edits_of``) of a base input, the bases being the
    archive (newest first) and then the task's fixed inputs; ``draw``: the task's own
    ``input_strategy()``; ``boundary``: ``boundary_strategy`` variants of the bases. With no
    bases at all every source draws.
    """
    vocab = task_vocabulary(task)
    bases = (*(tuple(a) for a in reversed(archive)), *task_bases(task))
    sources = [
        (genome.edit_weight, "edit" if bases else "draw"),
        (genome.draw_weight, "draw"),
        (genome.boundary_weight, "boundary" if bases else "draw"),
    ]
    return _mix(
        tuple((w, s) for w, s in sources if w > 0),
        bases,
        task.input_strategy(),
        vocab,
        genome.max_edits,
    )


@st.composite
def _mix(
    draw: st.DrawFn,
    sources: tuple[tuple[int, str], ...],
    bases: tuple[Args, ...],
    draws: SearchStrategy[Args],
    vocab: Vocabulary,
    max_edits: int,
) -> Args:
    choose = hypothesis_chooser(draw)
    pick = choose(sum(w for w, _ in sources))
    source = sources[-1][1]
    for weight, name in sources:
        if pick < weight:
            source = name
            break
        pick -= weight
    if source == "edit":
        base = bases[choose(len(bases))]
        return copy.deepcopy(apply_edits(base, choose, max_edits, vocab))
    if source == "boundary":
        return boundary_input(bases, choose, vocab)
    return tuple(draw(draws))


@dataclass(frozen=True)
class FindResult:
    """What one ``find_breaking`` search did.

    ``case``: the minimal breaking input found, labelled (None if none). ``calls``: condition
    calls made by hypothesis (all stages). ``tried``: distinct inputs labelled by the oracle.
    ``invalid``: those the oracle rejected. ``duplicates``: distinct ``known`` inputs proposed
    again (skipped). ``breaks_calls``: calls of ``breaks``. ``shrunk_from``: the breaking
    input first found, before shrinking.
    """

    case: Case | None
    calls: int
    tried: int
    invalid: int
    duplicates: int
    breaks_calls: int
    shrunk_from: Args | None

    @property
    def args(self) -> Args | None:
        return None if self.case is None else self.case.args


class _Evaluator:
    """Labels and judges inputs once each, counting the cost; the condition of both finds."""

    def __init__(self, task: Task, breaks: Breaks, known: Collection[str], origin: str) -> None:
        self.task, self.breaks, self.known, self.origin = task, breaks, known, origin
        self.seen: dict[str, Case | None] = {}
        self.repeats: set[str] = set()
        """Distinct known inputs the search proposed again."""
        self.calls = self.invalid = self.breaks_calls = 0
        self.allowance: int | None = None
        """New inputs still allowed (None: no limit)."""
        self.failure: Exception | None = None

    def __call__(self, args: Args) -> bool:
        self.calls += 1
        try:
            key = input_key(args)
        except (ValueError, RecursionError):  # no canonical form: outside every domain
            if self.failure is None and (self.allowance is None or self.allowance > 0):
                self.invalid += 1
                self.seen[f"no canonical form #{self.calls}"] = None
            return False
        if key in self.seen:  # answered before: the same answer (hypothesis replays)
            return self.seen[key] is not None
        if self.failure is not None:
            return False
        if key in self.known:
            self.repeats.add(key)
            return False
        if self.allowance is not None:
            if self.allowance <= 0:
                return False
            self.allowance -= 1
        try:
            case: Case | None = self.task.label(args, self.origin)
        except Exception:  # InvalidInput, or a hole in the task's own domain check
            self.invalid += 1
            case = None
        if case is not None:
            self.breaks_calls += 1
            try:
                hit = self.breaks(case)
            except Exception as exc:  # the engine's error: re-raised after the find
                self.failure = exc
                return False
            case = case if hit else None
        self.seen[key] = case
        return case is not None


def _settings(max_examples: int, phases: list[Phase]) -> settings:
    return settings(
        database=None,
        max_examples=max_examples,
        deadline=None,
        phases=phases,
        suppress_health_check=list(HealthCheck),
        derandomize=False,
        verbosity=Verbosity.quiet,
        print_blob=False,
    )


def _find(
    strategy: SearchStrategy[Args], evaluate: _Evaluator, config: settings, seed: int
) -> Args | None:
    found: Args | None
    try:
        found = find(strategy, evaluate, settings=config, random=random.Random(seed))
    except (NoSuchExample, Unsatisfiable):
        found = None
    except Exception:
        if evaluate.failure is not None:
            raise evaluate.failure from None
        raise
    if evaluate.failure is not None:
        raise evaluate.failure
    return found


def find_breaking(
    task: Task,
    genome: TestGenome,
    archive: Sequence[Args],
    breaks: Breaks,
    *,
    seed: int,
    max_examples: int | None = None,
    max_shrink: int | None = None,
    known: Collection[str] = frozenset(),
    origin: str = "search",
) -> FindResult:
    """The minimal input the oracle accepts and ``breaks`` holds for, or none.

    Seeded ``hypothesis.find`` calls (``database=None``): the first generates up to
    ``max_examples`` (default ``genome.budget``) examples of ``search_strategy`` and stops at
    the first breaking one; then up to ``SHRINK_PASSES`` more shrink it through
    ``reductions_of``, evaluating at most ``genome.shrink_budget`` new inputs in all.

    Each distinct input is evaluated once: labelled by the oracle (any exception counts it
    invalid), then judged by ``breaks``. Inputs whose ``input_key`` is in ``known`` are skipped
    unevaluated. The same arguments give the same result. Exceptions raised by ``breaks``
    propagate. Inside a ``@given`` test, that test must suppress
    ``HealthCheck.nested_given``.
    ``max_shrink`` caps the genome's ``shrink_budget`` (the run's limit on search effort).
    """
    limit = genome.budget if max_examples is None else max_examples
    if type(limit) is not int or limit < 1:
        raise ValueError(f"max_examples must be a positive int, got {limit!r}")
    evaluate = _Evaluator(task, breaks, known, origin)
    with stable_hypothesis():
        first = _find(
            search_strategy(task, genome, archive),
            evaluate,
            _settings(limit, [Phase.generate]),
            seed,
        )
        best = first
        evaluate.allowance = (
            genome.shrink_budget if max_shrink is None else min(genome.shrink_budget, max_shrink)
        )
        for n in range(SHRINK_PASSES):
            if best is None or evaluate.allowance <= 0:
                break
            shrunk = _find(
                reductions_of(best),
                evaluate,
                _settings(SHRINK_TRIES, [Phase.generate, Phase.shrink]),
                sub_seed(seed, "shrink", n),
            )
            if shrunk is None or input_key(shrunk) == input_key(best):
                break
            best = shrunk
    if evaluate.failure is not None:
        raise evaluate.failure
    return FindResult(
        case=None if best is None else evaluate.seen[input_key(best)],
        calls=evaluate.calls,
        tried=len(evaluate.seen),
        invalid=evaluate.invalid,
        duplicates=len(evaluate.repeats),
        breaks_calls=evaluate.breaks_calls,
        shrunk_from=first,
    )


# ---- the agent ------------------------------------------------------------------------------


def agent_id(kind: str, genome_json: Any, parents: Sequence[str], born: int) -> str:
    """Content id of an agent: ``"<kind initial>-"`` + 12 hex digits of sha256 over the
    canonical JSON of (kind, genome, parents, born); equal content gives the equal id."""
    if not kind:
        raise ValueError("agent kind must be a non-empty string")
    payload = {"kind": kind, "genome": genome_json, "parents": list(parents), "born": born}
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return f"{kind[0]}-{hashlib.sha256(text.encode()).hexdigest()[:12]}"


def sub_seed(seed: int, *labels: object) -> int:
    """A 63-bit seed derived from ``seed`` and some labels (stable across processes)."""
    text = json.dumps([seed, *map(str, labels)])
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") >> 1


@dataclass(frozen=True)
class Proposal:
    """What one ``propose`` call offers: labelled cases with distinct inputs, and its costs
    summed over its searches (see ``FindResult``: inputs labelled, rejected by the oracle,
    known inputs proposed again, calls of ``breaks``; ``searches``: finds run)."""

    cases: list[Case]
    tried: int
    invalid: int
    duplicates: int
    breaks_calls: int
    searches: int

    @property
    def inputs(self) -> list[Args]:
        return [c.args for c in self.cases]


@dataclass
class TestAgent:
    """A test agent: its genome, lineage and archive of accepted breaking inputs."""

    __test__ = False  # not a pytest test class

    id: str
    genome: TestGenome
    parents: tuple[str, ...] = ()
    born: int = 0
    archive: list[Args] = field(default_factory=list)

    KIND = "test"

    @classmethod
    def create(cls, genome: TestGenome, *, parents: Sequence[str] = (), born: int = 0) -> TestAgent:
        """A new agent whose id is the content hash of its genome, parents and birth round."""
        return cls(
            agent_id(cls.KIND, genome.to_json(), parents, born), genome, tuple(parents), born
        )

    def child(self, rng: random.Random, *, born: int) -> tuple[TestAgent, str]:
        """A mutated copy (empty archive) with this agent as parent, and the change made.

        Two children of one parent born in one round with the same genome get the same id
        (equal content); callers that need distinct agents compare ids."""
        genome, change = mutate_genome(self.genome, rng)
        return TestAgent.create(genome, parents=(self.id,), born=born), change

    def remember(self, inputs: Iterable[Args]) -> int:
        """Append inputs that entered the suite (new ones only); keep the newest
        ``ARCHIVE_CAP``. Returns how many were new."""
        keys = {input_key(a) for a in self.archive}
        added = 0
        for args in inputs:
            key = input_key(tuple(args))
            if key not in keys:
                keys.add(key)
                self.archive.append(tuple(args))
                added += 1
        del self.archive[: max(0, len(self.archive) - ARCHIVE_CAP)]
        return added

    def propose(
        self,
        task: Task,
        breaks_for: BreaksFor,
        *,
        seed: int,
        max_cases: int,
        round_no: int | None = None,
        known: Collection[str] = frozenset(),
        max_examples: int | None = None,
        max_shrink: int | None = None,
    ) -> Proposal:
        """Up to ``max_cases`` minimal breaking cases with distinct inputs, one per search.

        ``breaks_for(self.genome.target)`` gives the judge (see the module docstring). Search
        ``i`` is ``find_breaking`` with seed ``sub_seed(seed, i)``; it skips inputs in the
        archive, in ``known`` (``input_key`` values, e.g. the suite's) and found by earlier
        searches. The first search that finds nothing ends the call. Cases are labelled with
        origin ``"<id>@<round_no>"`` (or ``"<id>"``). Deterministic for equal arguments and
        an equally deterministic judge.
        """
        if type(max_cases) is not int or max_cases < 0:
            raise ValueError(f"max_cases must be a non-negative int, got {max_cases!r}")
        breaks = breaks_for(self.genome.target)
        origin = self.id if round_no is None else f"{self.id}@{round_no}"
        skip = {input_key(a) for a in self.archive} | set(known)
        cases: list[Case] = []
        tried = invalid = duplicates = breaks_calls = searches = 0
        for i in range(max_cases):
            result = find_breaking(
                task,
                self.genome,
                self.archive,
                breaks,
                seed=sub_seed(seed, i),
                max_examples=None
                if max_examples is None
                else min(self.genome.budget, max_examples),
                max_shrink=max_shrink,
                known=frozenset(skip),
                origin=origin,
            )
            searches += 1
            tried += result.tried
            invalid += result.invalid
            duplicates += result.duplicates
            breaks_calls += result.breaks_calls
            if result.case is None:
                break
            skip.add(result.case.key)
            cases.append(result.case)
        return Proposal(cases, tried, invalid, duplicates, breaks_calls, searches)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "genome": self.genome.to_json(),
            "parents": list(self.parents),
            "born": self.born,
            "archive": [to_wire(list(a)) for a in self.archive],
        }

    @classmethod
    def from_json(cls, data: Any) -> TestAgent:
        """Rebuild an agent; GenomeError if the record is malformed or its id does not match
        its content."""
        try:
            genome = TestGenome.from_json(data["genome"])
            parents = tuple(str(p) for p in data["parents"])
            born = data["born"]
            if type(born) is not int or type(data["id"]) is not str:
                raise TypeError("id must be a str and born an int")
            archive = [tuple(from_wire(a)) for a in data["archive"]]
            agent = cls(data["id"], genome, parents, born, archive)
        except (KeyError, TypeError, ValueError) as exc:
            raise GenomeError(f"test agent record: {exc}") from None
        if agent.id != agent_id(cls.KIND, genome.to_json(), parents, born):
            raise GenomeError(f"test agent record: id {agent.id!r} does not match its content")
        return agent
