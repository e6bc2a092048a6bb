"""Mutation analysis: how many wrong variants of a reference solution a suite lets through.

For a task with a trusted reference solution (HumanEval's canonical solutions, the email
grammar module), every single-point AST mutant of it (``tasks.ast_mutation``; two-point ones
with ``order=2``) runs in the sandbox on the task's hidden, fixed and evolved suites. A mutant
that passes the whole hidden suite is dropped as likely equivalent; of the rest
(non-equivalent), a suite *kills* a mutant when the mutant fails, errors or times out on at
least one of its cases. The headline number: of the non-equivalent mutants that survive the
fixed suite, the fraction the evolved suite kills, with the evolved suite's size against the
hidden suite's.

Where the evolved suite comes from: a run dir (or its ``suite.json``), relabelled by the
oracle, or a short offline tournament per task (``evolve``). Overlap caveat: the offline code
agents of such a tournament start from ``task.seed_solutions()``, which for humaneval are some
of these very mutants, and their descendants may be others. Each mutant is marked *seen* when
it is a seed solution or a code agent's solution in the run dir, and reports give the kill
fraction on the unseen survivors separately.

Verdicts are the arena's (type-strict: ``1.0`` is not ``1``). For tasks with their own check
function (HumanEval) the fixed suite is also judged the way that check judges, with Python
``==``, so the numbers can be compared with HumanEval's own harness.
"""

from __future__ import annotations

import ast
import math
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from arena.errors import ArenaError
from arena.evaluation import load_suite, read_suite_json
from arena.sandbox import EvalResult, Sandbox
from tasks import Case, Outcome, Suite, Task
from tasks.ast_mutation import Mutant, enumerate_mutants
from tasks.base import input_key
from tasks.canonical import from_wire

DEFAULT_MAX_MUTANTS = 1000
"""At most this many mutants per task; more are thinned by an even stride (deterministic)."""
DEFAULT_ROUNDS = 8
CASES_PER_AGENT = 1
"""Tournament setting: with 4 test agents, at most 4 new cases per round (32 in 8 rounds)."""
BUDGET_FRACTION = 0.1
"""The evolved suite should have fewer cases than this fraction of the hidden suite."""
TARGET = 0.95
"""The bar: evolved suites kill at least this fraction of the fixed suite's survivors."""


def normalize(source: str) -> str | None:
    """Source text in ``ast.unparse`` form (how mutants are written); None if it won't parse."""
    try:
        return ast.unparse(ast.parse(source))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


@dataclass(frozen=True)
class MutantRow:
    """One mutant's verdicts. ``killed_*`` mean: fails at least one case of that suite."""

    operator: str
    lineno: int
    description: str
    equivalent: bool
    """Passes every hidden case (dropped from every fraction)."""
    killed_fixed: bool
    killed_evolved: bool
    killed_new: bool
    """Killed by the evolved cases that are not fixed cases."""
    seen: bool
    """A seed solution, or a code agent's solution in the tournament that grew the suite."""
    killed_check: bool | None = None
    """Fails the task's own check judged with Python ``==`` (HumanEval); None without one."""

    def to_json(self) -> dict[str, Any]:
        return {
            "operator": self.operator,
            "line": self.lineno,
            "description": self.description,
            "equivalent": self.equivalent,
            "fixed": self.killed_fixed,
            "evolved": self.killed_evolved,
            "new": self.killed_new,
            "seen": self.seen,
            "check": self.killed_check,
        }


@dataclass
class Counts:
    """Mutant counts of one task or summed over several; every fraction derives from these."""

    total: int = 0
    """Mutants enumerated, before the cap."""
    analyzed: int = 0
    equivalent: int = 0
    killed_fixed: int = 0
    killed_evolved: int = 0
    killed_new: int = 0
    survivors_killed: int = 0
    """Survivors of the fixed suite that the evolved suite kills."""
    unseen_survivors: int = 0
    unseen_survivors_killed: int = 0
    hidden_blind: int = 0
    """Pass the whole hidden suite yet are killed by the fixed or evolved suite."""
    check_tasks: int = 0
    """Tasks with their own check function (HumanEval), judged as it judges: ``==``."""
    check_killed: int = 0
    check_survivors_killed: int = 0
    """Survivors of that check (``==`` semantics) that the evolved suite kills."""
    check_survivors: int = 0
    fixed_size: int = 0
    evolved_size: int = 0
    new_size: int = 0
    hidden_size: int = 0

    @property
    def non_equivalent(self) -> int:
        return self.analyzed - self.equivalent

    @property
    def survivors(self) -> int:
        """Non-equivalent mutants that pass the whole fixed suite."""
        return self.non_equivalent - self.killed_fixed

    def add(self, other: Counts) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def to_json(self) -> dict[str, Any]:
        ne = self.non_equivalent
        return {
            "mutants": self.total,
            "analyzed": self.analyzed,
            "equivalent": self.equivalent,
            "non_equivalent": ne,
            "killed_by_fixed": self.killed_fixed,
            "survivors_of_fixed": self.survivors,
            "killed_by_evolved": self.killed_evolved,
            "killed_by_new_cases": self.killed_new,
            "survivors_killed_by_evolved": self.survivors_killed,
            "unseen_survivors": self.unseen_survivors,
            "unseen_survivors_killed_by_evolved": self.unseen_survivors_killed,
            "hidden_blind": self.hidden_blind,
            "fixed_kill_fraction": _ratio(self.killed_fixed, ne),
            "evolved_kill_fraction": _ratio(self.killed_evolved, ne),
            "new_cases_kill_fraction": _ratio(self.killed_new, ne),
            "survivor_kill_fraction": _ratio(self.survivors_killed, self.survivors),
            "unseen_survivor_kill_fraction": _ratio(
                self.unseen_survivors_killed, self.unseen_survivors
            ),
            "check": None
            if not self.check_tasks
            else {
                "killed": self.check_killed,
                "survivors": self.check_survivors,
                "survivors_killed_by_evolved": self.check_survivors_killed,
                "kill_fraction": _ratio(self.check_killed, ne),
                "survivor_kill_fraction": _ratio(self.check_survivors_killed, self.check_survivors),
            },
            "sizes": {
                "fixed": self.fixed_size,
                "evolved": self.evolved_size,
                "new": self.new_size,
                "hidden": self.hidden_size,
            },
        }


@dataclass
class MutantReport:
    """Mutation analysis of one task (``rows`` in enumeration order)."""

    task: str
    rows: list[MutantRow]
    counts: Counts
    evolved_source: str
    """Where the evolved suite came from: a path, or "none"."""
    seeds_among_mutants: int
    """How many of ``task.seed_solutions()`` are among the analyzed mutants."""
    order: int = 1

    @property
    def within_budget(self) -> bool:
        """Whether the evolved suite has fewer cases than BUDGET_FRACTION of the hidden one."""
        return self.counts.evolved_size < BUDGET_FRACTION * self.counts.hidden_size

    def to_json(self, *, mutants: bool = True) -> dict[str, Any]:
        out = {
            "task": self.task,
            "order": self.order,
            "evolved_source": self.evolved_source,
            "seeds_among_mutants": self.seeds_among_mutants,
            "within_budget": self.within_budget,
            **self.counts.to_json(),
        }
        if mutants:
            out["rows"] = [r.to_json() for r in self.rows]
        return out


def _second_order(source: str) -> list[Mutant]:
    """Every mutant of a first-order mutant of ``source`` that is new (order 2), in order."""
    first = enumerate_mutants(source)
    seen = {normalize(source), *(m.source for m in first)}
    out: list[Mutant] = []
    for m1 in first:
        for m2 in enumerate_mutants(m1.source):
            if m2.source in seen:
                continue
            seen.add(m2.source)
            out.append(
                Mutant(
                    m2.source,
                    f"{m1.operator}+{m2.operator}",
                    m1.lineno,
                    f"{m1.description}; {m2.description}",
                )
            )
    return out


def select_mutants(source: str, max_mutants: int, order: int = 1) -> tuple[int, list[Mutant]]:
    """(how many mutants of ``order`` ``source`` has, at most ``max_mutants`` of them).

    Order 1: single-point mutants; order 2: a second single-point change applied to each of
    those (reverts and repeats dropped). A cap keeps an even stride through the list, so the
    choice is deterministic.
    """
    if max_mutants < 1:
        raise ArenaError("max_mutants must be at least 1")
    if order not in (1, 2):
        raise ArenaError(f"mutant order must be 1 or 2, got {order}")
    try:
        mutants = enumerate_mutants(source) if order == 1 else _second_order(source)
    except (SyntaxError, ValueError) as exc:
        raise ArenaError(f"the reference solution does not parse: {exc}") from None
    n = len(mutants)
    if n <= max_mutants:
        return n, mutants
    return n, [mutants[i * n // max_mutants] for i in range(max_mutants)]


def analyze(
    task: Task,
    box: Sandbox,
    *,
    evolved: Suite | None,
    seen: Iterable[str] = (),
    max_mutants: int = DEFAULT_MAX_MUTANTS,
    order: int = 1,
    evolved_source: str = "none",
) -> MutantReport:
    """Mutation analysis of ``task`` (see the module docstring).

    ``evolved``: the suite to compare with the fixed suite (None: the fixed suite itself).
    ``order``: 1 for single-point mutants, 2 for two-point ones (see ``select_mutants``).
    ``seen``: solution sources the suite was grown against; a mutant equal to one of them (or
    to a seed solution) after normalizing is marked seen. Raises ArenaError if the task is not
    a function task, or if its reference solution fails any case (the oracle and the reference
    disagree, so no verdict could be trusted).
    """
    if task.kind != "function":
        raise ArenaError(f"{task.name}: mutation analysis needs a function task")
    total, mutants = select_mutants(task.reference_solution, max_mutants, order)
    hidden, fixed = task.hidden_suite(), task.fixed_suite()
    evolved_suite = Suite(fixed) if evolved is None else evolved
    new_cases = [c for c in evolved_suite if c.key not in fixed]
    sources = [task.reference_solution, *(m.source for m in mutants)]
    # One evaluation per suite: after ``max_timeouts`` timeouts the sandbox marks a solution's
    # remaining cases TIMEOUT unrun, which must not count as a kill by a later suite.
    results = {}
    for kind, cases in (("hidden", hidden.cases), ("fixed", fixed.cases), ("new", new_cases)):
        res = box.evaluate(task, sources, cases)
        _retry_timeouts(box, task, sources, cases, res)
        failed = np.flatnonzero(res.outcomes[0] != Outcome.PASS)
        if failed.size:
            i = int(failed[0])
            raise ArenaError(
                f"{task.name}: the reference solution fails {kind} case {cases[i].args!r} "
                f"({Outcome(int(res.outcomes[0, i])).name.lower()}); cannot analyze"
            )
        results[kind] = res
    equivalent, k_fixed, k_new = (
        np.asarray((results[k].outcomes[1:] != Outcome.PASS).any(axis=1))
        for k in ("hidden", "fixed", "new")
    )
    equivalent = ~equivalent
    fixed_position = {c.key: i for i, c in enumerate(fixed)}
    shared = [fixed_position[c.key] for c in evolved_suite if c.key in fixed]
    k_evolved = k_new | (results["fixed"].outcomes[1:, shared] != Outcome.PASS).any(axis=1)
    k_check = _check_kills(task, results["fixed"].outputs[1:], fixed_position)
    seen_norm = {n for s in [*task.seed_solutions(), *seen] if (n := normalize(s)) is not None}
    seeds_norm = {n for s in task.seed_solutions() if (n := normalize(s)) is not None}
    rows: list[MutantRow] = []
    for i, m in enumerate(mutants):
        rows.append(
            MutantRow(
                operator=m.operator,
                lineno=m.lineno,
                description=m.description,
                equivalent=bool(equivalent[i]),
                killed_fixed=bool(k_fixed[i]),
                killed_evolved=bool(k_evolved[i]),
                killed_new=bool(k_new[i]),
                seen=normalize(m.source) in seen_norm,
                killed_check=None if k_check is None else bool(k_check[i]),
            )
        )
    live = [r for r in rows if not r.equivalent]
    survivors = [r for r in live if not r.killed_fixed]
    unseen = [r for r in survivors if not r.seen]
    counts = Counts(
        total=total,
        analyzed=len(rows),
        equivalent=len(rows) - len(live),
        killed_fixed=sum(r.killed_fixed for r in live),
        killed_evolved=sum(r.killed_evolved for r in live),
        killed_new=sum(r.killed_new for r in live),
        survivors_killed=sum(r.killed_evolved for r in survivors),
        unseen_survivors=len(unseen),
        unseen_survivors_killed=sum(r.killed_evolved for r in unseen),
        hidden_blind=sum(r.equivalent and (r.killed_fixed or r.killed_evolved) for r in rows),
        check_tasks=int(k_check is not None),
        check_killed=sum(bool(r.killed_check) for r in live),
        check_survivors=sum(r.killed_check is False for r in live),
        check_survivors_killed=sum(r.killed_check is False and r.killed_evolved for r in live),
        fixed_size=len(fixed),
        evolved_size=len(evolved_suite),
        new_size=len(new_cases),
        hidden_size=len(hidden),
    )
    mutant_texts = {normalize(m.source) for m in mutants}
    return MutantReport(
        task=task.name,
        rows=rows,
        counts=counts,
        evolved_source=evolved_source,
        seeds_among_mutants=len(seeds_norm & mutant_texts),
        order=order,
    )


def _retry_timeouts(
    box: Sandbox, task: Task, sources: Sequence[str], cases: Sequence[Case], res: EvalResult
) -> None:
    """Run every timed-out cell once more, in place, so a load spike is not a kill.

    A mutant that really loops times out again (at most ``max_timeouts`` cases cost time).
    """
    for row in np.flatnonzero((res.outcomes == Outcome.TIMEOUT).any(axis=1)):
        idx = np.flatnonzero(res.outcomes[row] == Outcome.TIMEOUT)
        again = box.evaluate(task, [sources[int(row)]], [cases[int(j)] for j in idx])
        res.outcomes[row, idx] = again.outcomes[0]
        for k, j in enumerate(idx):
            res.outputs[row][j] = again.outputs[0][k]


def _check_kills(
    task: Task, outputs: Sequence[Sequence[str | None]], position: dict[str, int]
) -> np.ndarray | None:
    """Per mutant, whether it fails the task's own ``check`` as that check judges.

    HumanEval's check asserts ``candidate(*args) == expected`` (or ``abs(... - expected) <
    tol``) with Python equality, so ``1.0`` passes for ``1`` where the arena's type-strict
    verdict fails it. Errors and timeouts (no output) fail. None if the task has no check.
    """
    getter = getattr(task, "check_cases", None)
    if getter is None:
        return None
    checks = list(getter())
    cols = [position.get(input_key(tuple(c.args))) for c in checks]
    out = np.zeros(len(outputs), dtype=bool)
    for i, row in enumerate(outputs):
        for check, col in zip(checks, cols, strict=True):
            text = None if col is None else row[col]
            if text is None or not _check_passes(text, check.expected, check.tolerance):
                out[i] = True
                break
    return out


def _check_passes(text: str, expected: Any, tolerance: float | None) -> bool:
    try:
        value = from_wire(orjson.loads(text))
        if tolerance is not None:
            return bool(abs(value - expected) < tolerance)
        return bool(value == expected)
    except Exception:  # the check itself would raise on such a value: a failure
        return False


# ---- where evolved suites come from -----------------------------------------------------


@dataclass
class EvolvedSuite:
    """An evolved suite for one task, where it came from, and what it was grown against."""

    suite: Suite
    source: str
    seen: list[str] = field(default_factory=list)


def _run_dir_solutions(run_dir: Path) -> list[str]:
    folder = run_dir / "solutions"
    if not folder.is_dir():
        return []
    out = []
    for path in sorted(folder.glob("*.py")):
        try:
            out.append(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            continue
    return out


def _suite_task_name(path: Path) -> str | None:
    data = read_suite_json(path)
    name = data.get("task") if isinstance(data, dict) else None
    return name if isinstance(name, str) else None


def suite_files(tasks: Sequence[Task], path: Path) -> dict[str, Path]:
    """Map each task's name to its suite file under ``path``; raise ArenaError if impossible.

    ``path`` is a ``suite.json``, a run dir, or a folder of run dirs (as ``--out`` writes).
    Each file is matched to a task by its "task" field; a file without one fits only when
    there is a single task.
    """
    if path.is_file():
        files = [path]
    elif (path / "suite.json").is_file():
        files = [path / "suite.json"]
    elif path.is_dir():
        files = sorted(path.glob("*/suite.json"))
        if not files:
            raise ArenaError(f"no suite.json in {path} or its subfolders")
    else:
        raise ArenaError(f"suite path not found: {path}")
    found: dict[str, list[Path]] = {}
    for f in files:
        name = _suite_task_name(f)
        if name is None and len(tasks) == 1:
            name = tasks[0].name
        if name is not None:
            found.setdefault(name, []).append(f)
    out: dict[str, Path] = {}
    for task in tasks:
        candidates = found.get(task.name, [])
        if not candidates:
            raise ArenaError(f"no suite for task {task.name} in {path}")
        if len(candidates) > 1:
            shown = ", ".join(str(c.parent.name) for c in candidates)
            raise ArenaError(f"several suites for task {task.name} in {path} ({shown}); pick one")
        out[task.name] = candidates[0]
    return out


def load_evolved(task: Task, suite_file: Path) -> EvolvedSuite:
    """The suite in ``suite_file``, relabelled by the oracle, with its run dir's solutions."""
    label, suite = load_suite(task, str(suite_file))
    return EvolvedSuite(suite, label, _run_dir_solutions(suite_file.parent))


def evolve(
    task: Task,
    *,
    rounds: int = DEFAULT_ROUNDS,
    seed: int = 0,
    out: Path,
    isolation: str = "auto",
    cases_per_agent: int = CASES_PER_AGENT,
) -> EvolvedSuite:
    """Grow a suite with a short offline 4v4 tournament on ``task``; the run dir goes in ``out``.

    The code agents start from ``task.seed_solutions()``; every solution they held is returned
    as ``seen`` (see the module docstring's overlap caveat).
    """
    from arena.config import RunConfig
    from arena.runner import run

    config = RunConfig(
        task=task.name,
        code=4,
        test=4,
        rounds=rounds,
        seed=seed,
        cases_per_agent=cases_per_agent,
        isolation=isolation,
    )
    result = run(config, out)
    label, suite = load_suite(task, str(result.run_dir))
    return EvolvedSuite(suite, label, _run_dir_solutions(result.run_dir))


# ---- many tasks ---------------------------------------------------------------------------


@dataclass
class Analysis:
    """Mutation analysis of several tasks, their sum, and the bar."""

    spec: str
    reports: list[MutantReport]
    settings: dict[str, Any]
    seconds: float = 0.0

    @property
    def overall(self) -> Counts:
        total = Counts()
        for r in self.reports:
            total.add(r.counts)
        return total

    @property
    def within_budget(self) -> bool:
        return all(r.within_budget for r in self.reports)

    @property
    def bar_status(self) -> str:
        """The bar: "met", "not met" (TARGET, BUDGET_FRACTION) or "vacuous" (no survivors)."""
        c = self.overall
        if not self.within_budget:
            return "not met"
        if c.survivors == 0:
            return "vacuous"
        return "met" if c.survivors_killed >= TARGET * c.survivors else "not met"

    @property
    def bar_met(self) -> bool:
        """Survivor kill fraction at least TARGET, with at least one survivor, within budget."""
        return self.bar_status == "met"

    def to_json(self, *, mutants: bool = True) -> dict[str, Any]:
        return {
            "task": self.spec,
            "settings": self.settings,
            "problems": [r.to_json(mutants=mutants) for r in self.reports],
            "overall": self.overall.to_json(),
            "bar": {
                "target_survivor_kill_fraction": TARGET,
                "budget_fraction_of_hidden": BUDGET_FRACTION,
                "within_budget": self.within_budget,
                "status": self.bar_status,
                "met": self.bar_met,
            },
            "seconds": self.seconds,
        }


def run_analysis(
    tasks: Sequence[Task],
    *,
    spec: str,
    suite_path: Path | None = None,
    rounds: int = DEFAULT_ROUNDS,
    seed: int = 0,
    out: Path | None = None,
    max_mutants: int = DEFAULT_MAX_MUTANTS,
    order: int = 1,
    isolation: str = "auto",
    on_status: Callable[[str], None] | None = None,
) -> Analysis:
    """Analyze every task: evolved suites from ``suite_path``, else from tournaments.

    Tournament run dirs go in ``out`` (a temporary folder, removed afterwards, if None).
    Raises ArenaError (bad suite path, failing reference) or TaskError.
    """
    status = on_status or (lambda _msg: None)
    if rounds < 1:
        raise ArenaError("--rounds must be at least 1")
    if seed < 0:
        raise ArenaError("--seed must be a non-negative integer")
    if max_mutants < 1 or order not in (1, 2):
        raise ArenaError("--max-mutants must be at least 1 and --order 1 or 2")
    for task in tasks:
        if task.kind != "function":
            raise ArenaError(f"{task.name}: mutation analysis needs a function task")
    started = time.perf_counter()
    files = suite_files(tasks, suite_path) if suite_path is not None else {}
    reports: list[MutantReport] = []
    with tempfile.TemporaryDirectory(prefix="arena-mutants-") as tmp:
        runs = out if out is not None else Path(tmp)
        with Sandbox(isolation=isolation) as box:  # type: ignore[arg-type]
            for task in tasks:
                if task.name in files:
                    status(f"{task.name}: loading {files[task.name]}")
                    evolved = load_evolved(task, files[task.name])
                else:
                    status(f"{task.name}: evolving a suite ({rounds} rounds, seed {seed})")
                    evolved = evolve(task, rounds=rounds, seed=seed, out=runs, isolation=isolation)
                status(f"{task.name}: running the mutants")
                reports.append(
                    analyze(
                        task,
                        box,
                        evolved=evolved.suite,
                        seen=evolved.seen,
                        max_mutants=max_mutants,
                        order=order,
                        evolved_source=evolved.source,
                    )
                )
    settings = {
        "suite": str(suite_path) if suite_path is not None else "tournament",
        "rounds": None if suite_path is not None else rounds,
        "seed": None if suite_path is not None else seed,
        "code_agents": 4,
        "test_agents": 4,
        "cases_per_agent": CASES_PER_AGENT,
        "max_mutants": max_mutants,
        "order": order,
    }
    return Analysis(spec, reports, settings, time.perf_counter() - started)


def fraction_text(value: float | None) -> str:
    """A fraction as a percentage for tables; "-" when undefined."""
    return "-" if value is None or math.isnan(value) else f"{value:.1%}"


__all__ = [
    "Analysis",
    "Counts",
    "EvolvedSuite",
    "MutantReport",
    "MutantRow",
    "analyze",
    "evolve",
    "fraction_text",
    "load_evolved",
    "run_analysis",
    "suite_files",
]
