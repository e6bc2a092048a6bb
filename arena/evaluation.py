"""Score one solution file on a named suite: the library side of ``arena eval``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from arena.errors import ArenaError
from arena.sandbox import Sandbox
from tasks import Outcome, Suite, Task, TaskError
from tasks.canonical import WireError, from_wire

OUTCOME_NAMES = {
    Outcome.PASS: "pass",
    Outcome.FAIL: "fail",
    Outcome.ERROR: "error",
    Outcome.TIMEOUT: "timeout",
    Outcome.NOT_RUN: "not_run",
}


def read_solution(path: Path) -> str:
    """Read and syntax-check a solution file without running it; raise ArenaError if bad."""
    try:
        source = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ArenaError(f"solution file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ArenaError(f"cannot read solution file {path}: {exc}") from None
    try:
        compile(source, str(path), "exec", dont_inherit=True)
    except SyntaxError as exc:
        raise ArenaError(f"{path}:{exc.lineno}: syntax error: {exc.msg}") from None
    except (ValueError, RecursionError, MemoryError, OverflowError) as exc:  # null bytes, depth
        raise ArenaError(f"{path}: cannot compile: {type(exc).__name__}") from None
    return source


def read_suite_json(path: Path, *, hint: str = "") -> Any:
    """The parsed JSON of a suite file; ArenaError (one line, naming the file) if it is bad."""
    try:
        return orjson.loads(path.read_bytes())
    except FileNotFoundError:
        raise ArenaError(f"suite file not found: {path}{hint}") from None
    except orjson.JSONDecodeError as exc:
        raise ArenaError(f"suite file {path} is not valid JSON: {exc}") from None
    except OSError as exc:
        raise ArenaError(f"cannot read suite file {path}: {exc}") from None


def load_suite(task: Task, spec: str) -> tuple[str, Suite]:
    """Resolve ``fixed``, ``hidden`` or a path into (label, suite); labels come from the oracle.

    A path is a JSON list of inputs, a run dir's ``suite.json`` (an object with "cases" or a
    list of case objects with "input"), or a run dir containing ``suite.json``. Expected values
    in a file are ignored: the task's oracle labels every input again.
    """
    if spec == "fixed":
        return "fixed", task.fixed_suite()
    if spec == "hidden":
        return "hidden", task.hidden_suite()
    path = Path(spec)
    if path.is_dir():
        path = path / "suite.json"
    data = read_suite_json(path, hint=" (use fixed, hidden or a path)")
    if isinstance(data, dict):
        data = data.get("cases")
    if not isinstance(data, list):
        raise ArenaError(f"suite file {path}: expected a list of inputs or an object with 'cases'")
    inputs = []
    for i, item in enumerate(data):
        try:
            if isinstance(item, dict) and "input" in item:
                inputs.append(tuple(from_wire(item["input"])))
            else:
                inputs.append(task.args_from_json(item))
        except (TaskError, WireError, TypeError) as exc:
            raise ArenaError(f"suite file {path}: input {i}: {exc}") from None
    suite, rejected = task.label_all(inputs, f"file:{path.name}")
    if rejected:
        first = inputs.index(rejected[0])
        raise ArenaError(
            f"suite file {path}: input {first} is outside the task's domain: {rejected[0]!r}"
        )
    return str(path), suite


@dataclass
class Score:
    """The result of one solution on one suite of one task."""

    task: str
    suite: str
    results: list[dict[str, Any]]  # {"input": plain JSON value, "outcome": name[, "task"]}
    counts: dict[str, int]
    metrics: dict[str, Any] = field(default_factory=dict)

    @property
    def cases(self) -> int:
        return len(self.results)

    @property
    def passed(self) -> int:
        return self.counts["pass"]

    @property
    def pass_rate(self) -> float:
        return self.passed / self.cases if self.cases else 0.0

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "task": self.task,
            "suite": self.suite,
            "cases": self.cases,
            "passed": self.passed,
            "pass_rate": self.pass_rate,
            "outcomes": self.counts,
            "results": self.results,
        }
        if self.metrics:
            out["metrics"] = self.metrics
        return out


def _plain_input(task: Task, args: tuple[Any, ...]) -> Any:
    return args[0] if task.arity == 1 else list(args)


def score(box: Sandbox, task: Task, source: str, suite_label: str, suite: Suite) -> Score:
    """Evaluate ``source`` on ``suite`` in the sandbox."""
    cases = suite.cases
    res = box.evaluate(task, [source], cases)
    names = [OUTCOME_NAMES[Outcome(int(v))] for v in res.outcomes[0]]
    counts = {k: names.count(k) for k in ("pass", "fail", "error", "timeout")}
    results = [
        {"input": _plain_input(task, c.args), "outcome": n}
        for c, n in zip(cases, names, strict=True)
    ]
    return Score(task.name, suite_label, results, counts, res.metrics[0] if res.metrics else {})


def combine(scores: Sequence[Score], task_label: str) -> Score:
    """One score over several tasks (for example all of HumanEval-10)."""
    counts = {k: sum(s.counts[k] for s in scores) for k in ("pass", "fail", "error", "timeout")}
    results = [{**r, "task": s.task} for s in scores for r in s.results]
    suite = scores[0].suite if scores else ""
    return Score(task_label, suite, results, counts)
