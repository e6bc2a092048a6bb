"""Compare arena modes: champions scored on fixed, cross-evolved and hidden suites.

A comparison runs (or reuses, or resumes) one tournament per (mode, seed), then scores each
run's champion, read from its ``champion.py`` and run in the sandbox, on:

- ``fixed``: the task's fixed suite;
- ``own``: the run's own evolved suite (``suite.json``, fixed cases included): the suite it
  trained against, reported only for reference and always marked as such;
- ``cross``: the pass rate on the cross-evolved suite of run ``i``::

      X_i = (union over runs j != i of E_j)  minus  F  minus  E_i

  where ``E_j`` is run ``j``'s evolved suite and ``F`` the fixed suite (cases are identified
  by their input hash and relabelled by the task's oracle). So no run is graded on a case it
  trained against, and a fixed-mode run (whose suite is ``F``) adds no cross cases;
- ``hidden``: the task's hidden suite minus every case the run trained on (its own suite,
  fixed cases included), so it is held out even where the hidden suite is exhaustive.

Per mode, every score gets a mean and a 95% Student-t interval over seeds.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from arena.config import RunConfig
from arena.errors import ArenaError
from arena.evaluation import load_suite, read_solution
from arena.sandbox import Sandbox
from tasks import Case, Outcome, Task, TaskError, get_task

MODES: dict[str, tuple[int, int]] = {"fixed": (4, 0), "1v1": (1, 1), "4v4": (4, 4)}
"""Mode name -> (code agents, test agents)."""
DEFAULT_ROUNDS = 10
METRICS = ("fixed", "own", "cross", "hidden")

_T95 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
        2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
        2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042)  # fmt: skip
"""Two-sided 95% critical values of Student's t for 1..30 degrees of freedom."""


def t_critical(df: int) -> float:
    """The two-sided 95% critical value of Student's t with ``df`` >= 1 degrees of freedom."""
    if df < 1:
        raise ValueError("df must be at least 1")
    if df <= len(_T95):
        return _T95[df - 1]
    z = 1.959964  # Cornish-Fisher expansion: within 1e-3 for df > 30
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)


@dataclass(frozen=True)
class Interval:
    """Mean of ``n`` values with a 95% t-interval (``low``/``high`` None when n < 2)."""

    mean: float
    low: float | None
    high: float | None
    n: int

    def to_json(self) -> dict[str, Any]:
        return {"mean": self.mean, "low": self.low, "high": self.high, "n": self.n}


def interval(values: Sequence[float]) -> Interval | None:
    """Mean and 95% t-interval of ``values`` (None for no values)."""
    if not values:
        return None
    xs = np.asarray(values, dtype=float)
    mean = float(xs.mean())
    if len(xs) < 2:
        return Interval(mean, None, None, len(xs))
    half = t_critical(len(xs) - 1) * float(xs.std(ddof=1)) / math.sqrt(len(xs))
    return Interval(mean, mean - half, mean + half, len(xs))


def mode_name(config: RunConfig) -> str:
    """``fixed`` (no test agents), ``1v1``, ``4v4``, or ``<code>v<test>``."""
    if config.fixed_mode:
        return "fixed"
    return f"{config.code}v{config.test}"


@dataclass
class RunScores:
    """One run's champion on every suite (pass rates; ``cross`` None if it has no cases)."""

    mode: str
    seed: int
    run_dir: Path
    champion: str
    """The champion's solution hash."""
    fixed: float
    own: float
    """On the run's own evolved suite: what it trained against (not a held-out number)."""
    cross: float | None
    hidden: float
    cases: dict[str, int]
    """Suite sizes: fixed, own, cross, hidden."""
    cross_from: list[str]
    """Labels of the runs whose evolved cases make up ``cross``."""
    per_suite: dict[str, float | None] = field(default_factory=dict)
    """Run label -> pass rate on that run's new cases (E_j minus F; own label included)."""
    cross_keys: list[str] = field(default_factory=list, repr=False)
    """Input hashes of the cross-evolved cases (not in the JSON)."""

    @property
    def label(self) -> str:
        return f"{self.mode}/s{self.seed}"

    def to_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "seed": self.seed,
            "label": self.label,
            "run_dir": str(self.run_dir),
            "champion": self.champion,
            "fixed": self.fixed,
            "own": self.own,
            "cross": self.cross,
            "hidden": self.hidden,
            "cases": self.cases,
            "cross_from": self.cross_from,
            "per_suite": self.per_suite,
        }


@dataclass
class Comparison:
    """Per-run scores and per-mode means with 95% t-intervals over seeds."""

    task: str
    runs: list[RunScores]
    modes: dict[str, dict[str, Interval | None]]
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "definitions": {
                "fixed": "pass rate on the task's fixed suite",
                "own": "pass rate on the run's own evolved suite (trained on it; not held out)",
                "cross": "pass rate on the union of the other runs' evolved suites, minus the "
                "fixed suite and minus the run's own evolved suite",
                "hidden": "pass rate on the task's hidden suite minus the run's own suite "
                "(held out)",
                "interval": "mean over seeds with a two-sided 95% Student-t interval",
            },
            "runs": [r.to_json() for r in self.runs],
            "modes": {
                m: {k: (v.to_json() if v else None) for k, v in metrics.items()}
                for m, metrics in self.modes.items()
            },
            "seconds": self.seconds,
        }


ProgressFn = Callable[[float, float, str], None]
"""on_progress(done, total, what): units of work done so far out of ``total``."""


@dataclass
class Plan:
    """The runs a comparison needs, in order, and which of them exist in ``out``."""

    configs: list[RunConfig]
    existing: list[Path | None]


def parse_mode(name: str) -> tuple[int, int]:
    """(code agents, test agents) of a mode: ``fixed``, ``1v1``, ``4v4`` or any ``<c>v<t>``."""
    if name in MODES:
        return MODES[name]
    code, sep, test = name.partition("v")
    if sep and code.isdigit() and test.isdigit() and int(code) >= 1:
        return int(code), int(test)
    raise ArenaError(f"unknown mode {name!r} (fixed, 1v1, 4v4 or <code>v<test>)")


def make_configs(
    task: str,
    seeds: Sequence[int],
    rounds: int = DEFAULT_ROUNDS,
    modes: Sequence[str] = tuple(MODES),
    *,
    isolation: str = "auto",
) -> list[RunConfig]:
    """One RunConfig per (mode, seed), modes outermost; ArenaError for a bad mode or option."""
    if not seeds:
        raise ArenaError("give at least one seed")
    if len(set(seeds)) != len(seeds):
        raise ArenaError("seeds repeat")
    configs = []
    for m in modes:
        code, test = parse_mode(m)
        for s in seeds:
            configs.append(
                RunConfig(
                    task=task, code=code, test=test, rounds=rounds, seed=s, isolation=isolation
                )
            )
    return configs


def find_runs(out: Path, configs: Sequence[RunConfig]) -> Plan:
    """Match each config to a run dir under ``out`` with the same config (complete ones
    first, then the newest), or None. Unreadable dirs are skipped."""
    found: dict[str, list[Path]] = {}
    if out.is_dir():
        for run_json in sorted(out.glob("*/run.json")):
            try:
                data = orjson.loads(run_json.read_bytes())
                key = orjson.dumps(data["config"], option=orjson.OPT_SORT_KEYS).decode()
            except (OSError, orjson.JSONDecodeError, KeyError, TypeError):
                continue
            found.setdefault(key, []).append(run_json.parent)
    existing: list[Path | None] = []
    for config in configs:
        key = orjson.dumps(config.to_json(), option=orjson.OPT_SORT_KEYS).decode()
        dirs = found.get(key, [])
        dirs.sort(key=lambda p: ((p / "summary.json").is_file(), p.name))
        existing.append(dirs[-1] if dirs else None)
    return Plan(list(configs), existing)


class CompareInterrupted(ArenaError):
    """Ctrl-C during a comparison; ``complete`` lists the finished run dirs, ``partial`` the
    one that was running (it resumes when the comparison is started again)."""

    def __init__(self, complete: list[Path], partial: Path | None) -> None:
        self.complete, self.partial = complete, partial
        done = ", ".join(str(p) for p in complete) or "none"
        more = f"; {partial} resumes on the next start" if partial else ""
        super().__init__(f"interrupted; complete run dirs: {done}{more}")


def _weight(config: RunConfig) -> float:
    """Relative cost of one round, for the ETA (measured: a test agent costs about two code
    agents, since its cases are evaluated against every code agent)."""
    return float(config.code + 2 * config.test)


def ensure_runs(
    plan: Plan,
    out: Path,
    *,
    on_progress: ProgressFn | None = None,
    on_run: Callable[[RunConfig, Path, str], None] | None = None,
    extra_units: float = 0.0,
) -> list[Path]:
    """Reuse complete runs, resume incomplete ones and run missing ones under ``out``; return
    the run dirs in the order of ``plan.configs``.

    ``on_run(config, run_dir, how)`` is called as each run is ready (how: reused, resumed or
    ran). ``on_progress`` counts rounds weighted by agents, plus ``extra_units`` left for the
    caller. CompareInterrupted on Ctrl-C (KeyboardInterrupt), naming the complete run dirs.
    """
    from arena.runner import resume, run

    progress = on_progress or (lambda _d, _t, _w: None)
    total = sum(c.rounds * _weight(c) for c in plan.configs) + extra_units
    done = 0.0
    dirs: list[Path | None] = [None] * len(plan.configs)
    for i, (config, path) in enumerate(zip(plan.configs, plan.existing, strict=True)):
        if path is not None and (path / "summary.json").is_file():
            dirs[i] = path
            done += config.rounds * _weight(config)
            if on_run:
                on_run(config, path, "reused")
    progress(done, total, "runs")
    for i, (config, path) in enumerate(zip(plan.configs, plan.existing, strict=True)):
        if dirs[i] is not None:
            continue
        label = f"{mode_name(config)} seed {config.seed}"
        base, weight = done, _weight(config)

        def on_round(
            report: Any, base: float = base, weight: float = weight, label: str = label
        ) -> None:
            progress(base + report.round * weight, total, f"{label} round {report.round}")

        progress(done, total, f"{label} starting")
        before = set(out.iterdir()) if out.is_dir() else set()
        try:
            if path is not None:
                result, how = resume(path, on_round=on_round), "resumed"
            else:
                result, how = run(config, out, on_round=on_round), "ran"
        except KeyboardInterrupt:
            if path is None and out.is_dir():
                new = sorted(set(out.iterdir()) - before)
                path = new[0] if new else None
            complete = [d for d in dirs if d is not None]
            raise CompareInterrupted(complete, path) from None
        dirs[i] = result.run_dir
        done = base + config.rounds * weight
        progress(done, total, f"{label} done")
        if on_run:
            on_run(config, result.run_dir, how)
    return [d for d in dirs if d is not None]


@dataclass
class _Run:
    config: RunConfig
    path: Path
    source: str
    champion: str
    suite: list[Case]

    @property
    def label(self) -> str:
        return f"{mode_name(self.config)}/s{self.config.seed}"


def _read_run(path: Path) -> _Run:
    from arena.runner import read_run_config

    config = read_run_config(path)
    summary_file = path / "summary.json"
    try:
        summary = orjson.loads(summary_file.read_bytes())
        champion = str(summary["champion"]["solution"])
    except FileNotFoundError:
        raise ArenaError(f"{summary_file}: no such file (the run is not finished)") from None
    except (OSError, orjson.JSONDecodeError, KeyError, TypeError) as exc:
        raise ArenaError(f"{summary_file}: unreadable summary: {exc}") from None
    source = read_solution(path / "champion.py")
    try:
        task = get_task(config.task)
    except TaskError as exc:
        raise ArenaError(f"{path}: {exc}") from None
    _, suite = load_suite(task, str(path / "suite.json"))
    return _Run(config, path, source, champion, suite.cases)


def _rate(row: np.ndarray) -> float | None:
    return float((row == Outcome.PASS).mean()) if len(row) else None


def score_runs(
    paths: Sequence[Path],
    *,
    task: str | None = None,
    isolation: str = "auto",
    on_progress: ProgressFn | None = None,
    offset: float = 0.0,
    total: float | None = None,
) -> Comparison:
    """Score each run's champion on the fixed, own, cross-evolved and hidden suites.

    Every champion runs in the sandbox on F, then on the new cases of every run (E_j minus
    F), then on the hidden suite; ``cross`` and ``per_suite`` are read off those outcomes.
    One progress unit per run, counted from ``offset`` out of ``total`` (default: offset +
    runs). ArenaError if a path is not a finished run dir, runs disagree on the task, or
    ``task`` names another task.
    """
    started = time.perf_counter()
    if not paths:
        raise ArenaError("no run dirs to compare")
    runs = [_read_run(p) for p in paths]
    names = {r.config.task for r in runs}
    if len(names) > 1:
        raise ArenaError(f"the runs are of different tasks: {', '.join(sorted(names))}")
    t: Task = get_task(runs[0].config.task)
    if task is not None and get_task(task).name != t.name:
        raise ArenaError(f"the runs are of task {t.name}, not {task}")
    progress = on_progress or (lambda _d, _t, _w: None)
    end = offset + len(runs) if total is None else total
    fixed = t.fixed_suite().cases
    hidden = t.hidden_suite().cases
    fixed_keys = {c.key for c in fixed}
    new: dict[str, Case] = {}  # every run's evolved cases minus F, deduplicated by key
    for r in runs:
        for c in r.suite:
            if c.key not in fixed_keys:
                new.setdefault(c.key, c)
    new_cases = list(new.values())
    labels = _unique_labels(runs)
    scored: list[RunScores] = []
    with Sandbox(isolation=isolation) as box:  # type: ignore[arg-type]
        cache: dict[str, np.ndarray] = {}
        for i, r in enumerate(runs):
            progress(offset + i, end, f"scoring {labels[i]}")
            if r.source not in cache:
                cases = [*fixed, *new_cases, *hidden]
                cache[r.source] = box.evaluate(t, [r.source], cases).outcomes[0]
            row = cache[r.source]
            f_row = row[: len(fixed)]
            n_row = row[len(fixed) : len(fixed) + len(new_cases)]
            by_key = dict(zip((c.key for c in new_cases), n_row.tolist(), strict=True))
            own_keys = {c.key for c in r.suite}
            # Held out means held out: drop hidden cases this run trained on (its own suite,
            # which includes the fixed suite). Exhaustive hidden suites contain them all.
            held = np.array([c.key not in own_keys for c in hidden], dtype=bool)
            h_row = row[len(fixed) + len(new_cases) :][held]
            own_row = np.array(
                [by_key[c.key] if c.key in by_key else f_row[_index(fixed, c.key)]
                 for c in r.suite], dtype=np.int8,
            )  # fmt: skip
            cross_keys = [k for k in new if k not in own_keys]
            cross = np.array([by_key[k] for k in cross_keys], dtype=np.int8)
            per_suite: dict[str, float | None] = {}
            for j, other in enumerate(runs):
                keys = [c.key for c in other.suite if c.key not in fixed_keys]
                per_suite[labels[j]] = _rate(np.array([by_key[k] for k in keys], dtype=np.int8))
            scored.append(
                RunScores(
                    mode=mode_name(r.config),
                    seed=r.config.seed,
                    run_dir=r.path,
                    champion=r.champion,
                    fixed=_rate(f_row) or 0.0,
                    own=_rate(own_row) or 0.0,
                    cross=_rate(cross),
                    hidden=_rate(h_row) or 0.0,
                    cases={
                        "fixed": len(fixed),
                        "own": len(r.suite),
                        "cross": len(cross_keys),
                        "hidden": int(held.sum()),
                    },
                    cross_from=[labels[j] for j in range(len(runs)) if j != i
                                and any(c.key not in fixed_keys for c in runs[j].suite)],
                    per_suite=per_suite,
                    cross_keys=cross_keys,
                )
            )  # fmt: skip
            progress(offset + i + 1, end, f"scored {labels[i]}")
    return Comparison(t.name, scored, summarize_modes(scored), time.perf_counter() - started)


def _index(cases: list[Case], key: str) -> int:
    return next(i for i, c in enumerate(cases) if c.key == key)


def _unique_labels(runs: list[_Run]) -> list[str]:
    labels = [r.label for r in runs]
    return [
        lab if labels.count(lab) == 1 else f"{lab}#{labels[:i].count(lab) + 1}"
        for i, lab in enumerate(labels)
    ]


def summarize_modes(runs: Sequence[RunScores]) -> dict[str, dict[str, Interval | None]]:
    """Mode -> metric -> mean and 95% t-interval over that mode's runs (seeds)."""
    modes: dict[str, dict[str, Interval | None]] = {}
    for m in dict.fromkeys(r.mode for r in runs):
        mine = [r for r in runs if r.mode == m]
        modes[m] = {}
        for metric in METRICS:
            values = [getattr(r, metric) for r in mine]
            modes[m][metric] = interval([v for v in values if v is not None])
    return modes


def compare(
    task: str,
    seeds: Sequence[int],
    out: Path,
    *,
    rounds: int = DEFAULT_ROUNDS,
    modes: Sequence[str] = tuple(MODES),
    isolation: str = "auto",
    on_progress: ProgressFn | None = None,
    on_run: Callable[[RunConfig, Path, str], None] | None = None,
) -> Comparison:
    """Run what is missing under ``out`` (one run per mode and seed), then score them all.

    Runs already under ``out`` with the same config are reused; unfinished ones resume.
    ArenaError for an unknown task or mode; CompareInterrupted on Ctrl-C.
    """
    try:
        get_task(task)
    except TaskError as exc:
        raise ArenaError(str(exc)) from None
    configs = make_configs(task, seeds, rounds, modes, isolation=isolation)
    plan = find_runs(out, configs)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ArenaError(f"cannot create output dir {out}: {exc}") from None
    scoring = float(len(configs)) * 4.0  # one champion's evaluation ~ four agent-rounds
    run_units = sum(c.rounds * _weight(c) for c in configs)
    paths = ensure_runs(plan, out, on_progress=on_progress, on_run=on_run, extra_units=scoring)
    scale = scoring / len(paths)

    def scaled(done: float, total: float, what: str) -> None:
        if on_progress:
            on_progress(run_units + done * scale, run_units + scoring, what)

    try:
        return score_runs(paths, isolation=isolation, on_progress=scaled)
    except KeyboardInterrupt:
        raise CompareInterrupted(paths, None) from None


def plot(comparison: Comparison, path: Path) -> list[Path]:
    """Per mode, the mean and 95% interval (error bar) of fixed, cross-evolved and hidden
    scores, with each seed as a faint dot; written as ``path`` with suffixes .png and .svg."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = (
        ("fixed", "fixed suite"),
        ("cross", "cross-evolved"),
        ("hidden", "hidden (held out)"),
    )
    modes = list(comparison.modes)
    colors = ["#7f7f7f", "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"]
    fig, ax = plt.subplots(figsize=(8.5, 4.8))
    width = 0.8 / max(1, len(modes))
    for k, m in enumerate(modes):
        color = colors[k % len(colors)]
        for x, (metric, _) in enumerate(metrics):
            pos = x - 0.4 + width * (k + 0.5)
            seeds = [getattr(r, metric) for r in comparison.runs if r.mode == m]
            seeds = [v for v in seeds if v is not None]
            ax.scatter([pos] * len(seeds), seeds, color=color, alpha=0.35, s=14, zorder=2)
            iv = comparison.modes[m][metric]
            if iv is None:
                ax.text(pos, 0.02, "n/a", ha="center", fontsize=7, color=color)
                continue
            err = None
            if iv.low is not None and iv.high is not None:
                err = [[iv.mean - max(0.0, iv.low)], [min(1.0, iv.high) - iv.mean]]
            ax.errorbar(pos, iv.mean, yerr=err, fmt="o", color=color, capsize=4, ms=7,
                        zorder=3, label=m if x == 0 else None)  # fmt: skip
    ax.set_xticks(range(len(metrics)), [label for _, label in metrics])
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("champion pass rate")
    n = max((iv.n for ms in comparison.modes.values() for iv in ms.values() if iv), default=0)
    ax.set_title(
        f"{comparison.task}: champions by mode (mean and 95% t-interval over {n} seeds; "
        "dots: seeds)",
        fontsize=10,
    )
    ax.grid(axis="y", color="#eeeeee")
    ax.legend(title="mode", loc="lower left", fontsize=8)
    fig.tight_layout()
    written = []
    for suffix in (".png", ".svg"):
        target = path.with_suffix(suffix)
        fig.savefig(target, dpi=130)
        written.append(target)
    plt.close(fig)
    return written
