"""The outcome matrix of a run: solutions x the growing suite, evaluated incrementally.

Rows are keyed by solution hash. When the suite grows, a row is extended only by the new
cases, and only when someone asks for it; a new solution is evaluated once on the whole
suite. Every score in the arena is computed from these rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import orjson

from agents.code_agent import source_hash
from agents.context import MAX_FAILURES, Failure
from arena.evaluation import OUTCOME_NAMES
from arena.sandbox import Sandbox, Session
from tasks import Case, Outcome, Task
from tasks.canonical import canonical, from_wire

solution_hash = source_hash
"""Content hash of a solution or proposer source (12 hex digits)."""


OUTCOME_LETTERS = {-1: "n", 0: "p", 1: "f", 2: "e", 3: "t"}
"""One letter per outcome (not run, pass, fail, error, timeout) in events and checkpoints."""
_LETTER_CODES = {v: k for k, v in OUTCOME_LETTERS.items()}


def outcome_text(row: np.ndarray) -> str:
    """A row of outcomes as letters, e.g. ``"ppfe"``."""
    return "".join(OUTCOME_LETTERS[int(x)] for x in row.tolist())


def outcome_array(text: str) -> np.ndarray:
    """The inverse of ``outcome_text``."""
    return np.array([_LETTER_CODES[ch] for ch in text], dtype=np.int8)


class Ledger:
    """Outcomes of every solution the run has met, over the suite as it grows.

    ``evaluations`` counts (solution, case) cells actually run, so tests and benchmarks
    can check that nothing is evaluated twice.
    """

    def __init__(self, box: Sandbox, task: Task, cases: Sequence[Case] = ()) -> None:
        self.box, self.task = box, task
        self.cases: list[Case] = []
        self._keys: set[str] = set()
        self._rows: dict[str, np.ndarray] = {}
        self._outputs: dict[str, list[str | None]] = {}
        self._messages: dict[str, list[str | None]] = {}
        self._values: dict[str, Any] = {}  # data tasks: decoded constant, None if it failed
        self._sizes: list[int] = []
        self.evaluations = 0
        self.on_fill: Callable[[list[str], int, np.ndarray], None] | None = None
        """Called with (solution hashes, first case index, outcomes) when rows grow."""
        self.add_cases(cases)

    def __contains__(self, key: str) -> bool:
        return key in self._keys

    def add_cases(self, cases: Sequence[Case]) -> list[Case]:
        """Append cases whose input is new; return those added (nothing is evaluated yet)."""
        added = []
        for case in cases:
            if case.key not in self._keys:
                self._keys.add(case.key)
                self.cases.append(case)
                self._sizes.append(len(canonical(list(case.args))))
                added.append(case)
        return added

    # ---- evaluation ---------------------------------------------------------------------

    def outcomes(self, sources: Sequence[str]) -> np.ndarray:
        """int8 matrix (len(sources), len(self.cases)), evaluating only what is missing."""
        self._fill(sources)
        n = len(self.cases)
        if not sources:
            return np.zeros((0, n), dtype=np.int8)
        return np.stack([self._rows[solution_hash(s)][:n] for s in sources])

    def pass_rate(self, source: str) -> float:
        row = self.outcomes([source])[0]
        return float((row == Outcome.PASS).mean()) if row.size else 0.0

    def costs(self, sources: Sequence[str]) -> list[tuple[float, ...]]:
        """Tie-break cost of each source, smaller is better: for data tasks the task's cost of
        the constant (a sorting network's comparators, then depth), then the source length;
        for function tasks the source length alone. Formatting decides only between equal
        networks."""
        if self.task.kind != "data":
            return [(float(len(s)),) for s in sources]
        missing = [s for s in dict.fromkeys(sources) if solution_hash(s) not in self._values]
        if missing:
            res = self.box.evaluate(self.task, missing, [])
            for src, value in zip(missing, res.values, strict=True):
                self._values[solution_hash(src)] = value
        return [
            (*self.task.data_cost(self._values[solution_hash(s)]), float(len(s))) for s in sources
        ]

    def pass_rates(self, sources: Sequence[str]) -> np.ndarray:
        m = self.outcomes(sources)
        return (m == Outcome.PASS).mean(axis=1) if m.shape[1] else np.zeros(len(sources))

    def _fill(self, sources: Sequence[str]) -> None:
        n = len(self.cases)
        by_start: dict[int, list[str]] = {}
        for src in dict.fromkeys(sources):  # dedupe, keep order
            h = solution_hash(src)
            have = len(self._rows[h]) if h in self._rows else -1
            if have < n:
                by_start.setdefault(max(have, 0), []).append(src)
        for start, group in sorted(by_start.items()):
            if self.task.kind == "data":
                self._fill_data(group, start)
            else:
                self._fill_function(group, start)

    def _fill_function(self, group: list[str], start: int) -> None:
        tail = self.cases[start:]
        res = self.box.evaluate(self.task, group, tail)
        self.evaluations += len(group) * len(tail)
        for i, src in enumerate(group):
            self._extend(solution_hash(src), res.outcomes[i], res.outputs[i], res.messages[i])

    def _fill_data(self, group: list[str], start: int) -> None:
        new = [s for s in group if solution_hash(s) not in self._values]
        if new:
            res = self.box.evaluate(self.task, new, [])
            for i, src in enumerate(new):
                self._values[solution_hash(src)] = res.values[i]
        tail = self.cases[start:]
        for src in group:
            h = solution_hash(src)
            row = self._judge(self._values[h], tail)
            self.evaluations += len(tail)
            self._extend(h, row, [None] * len(tail), [None] * len(tail))

    def _judge(self, value: Any, cases: Sequence[Case]) -> np.ndarray:
        if value is None:
            return np.full(len(cases), Outcome.ERROR, dtype=np.int8)
        return np.asarray(self.task.judge_data(value, cases), dtype=np.int8)

    def _extend(
        self,
        h: str,
        row: np.ndarray,
        outputs: Sequence[str | None],
        messages: Sequence[str | None],
    ) -> None:
        if self.on_fill is not None and len(row):
            self.on_fill([h], len(self._rows[h]) if h in self._rows else 0, row)
        if h in self._rows:
            self._rows[h] = np.concatenate([self._rows[h], row.astype(np.int8)])
            self._outputs[h].extend(outputs)
            self._messages[h].extend(messages)
        else:
            self._rows[h] = row.astype(np.int8).copy()
            self._outputs[h] = list(outputs)
            self._messages[h] = list(messages)

    # ---- checkpoints --------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """Everything needed to continue exactly (data-task constants are re-extracted)."""
        return {
            "cases": [c.to_json() for c in self.cases],
            "rows": {h: outcome_text(r) for h, r in self._rows.items()},
            "outputs": self._outputs,
            "messages": self._messages,
            "evaluations": self.evaluations,
        }

    def restore(self, state: dict[str, Any]) -> None:
        """Replace this ledger's contents with a ``state()`` (no evaluation happens)."""
        self.cases, self._keys, self._sizes = [], set(), []
        self.add_cases([Case.from_json(c) for c in state["cases"]])
        self._rows = {h: outcome_array(r) for h, r in state["rows"].items()}
        self._outputs = {h: list(v) for h, v in state["outputs"].items()}
        self._messages = {h: list(v) for h, v in state["messages"].items()}
        self._values = {}
        self.evaluations = int(state["evaluations"])

    # ---- views for agents ---------------------------------------------------------------

    def failures(self, source: str, limit: int = MAX_FAILURES) -> list[Failure]:
        """The failing cases of ``source``, smallest input first (for ``ctx.failures``)."""
        row = self.outcomes([source])[0]
        h = solution_hash(source)
        bad = [i for i in np.flatnonzero(row != Outcome.PASS)]
        bad.sort(key=lambda i: (self._sizes[i], i))
        out: list[Failure] = []
        for i in bad[:limit]:
            case = self.cases[i]
            text = self._outputs[h][i]
            try:
                actual = from_wire(orjson.loads(text)) if text is not None else None
            except (orjson.JSONDecodeError, ValueError):
                actual = None
            out.append(
                {
                    "input": list(case.args),
                    "expected": case.expected,
                    "actual": actual,
                    "outcome": OUTCOME_NAMES[Outcome(int(row[i]))],
                    "message": self._messages[h][i],
                }
            )
        return out

    def record(self, sources: Sequence[str], added: Sequence[Case], probe: Prober) -> None:
        """Extend the rows of ``sources`` with what ``probe`` already measured on ``added``.

        ``added`` must be the cases just appended; rows not exactly that far behind are left
        to be filled lazily.
        """
        if not added:
            return
        start = len(self.cases) - len(added)
        for i, src in enumerate(sources):
            h = solution_hash(src)
            if h not in self._rows or len(self._rows[h]) != start:
                continue
            rows = [probe.result(case) for case in added]
            if any(r is None for r in rows):
                continue
            outcomes = np.array([r[0][i] for r in rows if r is not None], dtype=np.int8)
            outputs = [r[1][i] for r in rows if r is not None]
            messages = [r[2][i] for r in rows if r is not None]
            self._extend(h, outcomes, outputs, messages)

    @contextmanager
    def prober(self, sources: Sequence[str]) -> Iterator[Prober]:
        """A fast evaluator of single candidate cases against ``sources`` (not added)."""
        session = self.box.session(self.task, sources) if self.task.kind == "function" else None
        try:
            yield Prober(self, list(sources), session)
        finally:
            if session is not None:
                session.close()


class Prober:
    """Evaluates one case at a time against fixed solutions; memoized by input key."""

    def __init__(self, ledger: Ledger, sources: list[str], session: Session | None) -> None:
        self.ledger, self.sources, self.session = ledger, sources, session
        self._memo: dict[str, tuple[np.ndarray, list[str | None], list[str | None]]] = {}
        self.calls = 0

    def __call__(self, case: Case) -> np.ndarray:
        """Outcomes (int8, shape (len(sources),)) of every source on ``case``."""
        hit = self._memo.get(case.key)
        if hit is not None:
            return hit[0]
        self.calls += 1
        n = len(self.sources)
        if self.session is not None:
            res = self.session.evaluate([case])
            row = res.outcomes[:, 0].copy()
            outputs = [res.outputs[i][0] for i in range(n)]
            messages = [res.messages[i][0] for i in range(n)]
        else:
            led = self.ledger
            led._fill_data(self.sources, len(led.cases))  # ensure constants are extracted
            row = np.array(
                [led._judge(led._values[solution_hash(s)], [case])[0] for s in self.sources],
                dtype=np.int8,
            )
            outputs, messages = [None] * n, [None] * n
        self.ledger.evaluations += n
        self._memo[case.key] = (row, outputs, messages)
        return row

    def result(self, case: Case) -> tuple[np.ndarray, list[str | None], list[str | None]] | None:
        """What was measured on ``case`` (outcomes, outputs, messages), if it was probed."""
        return self._memo.get(case.key)
