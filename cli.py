"""The ``arena`` command: run tournaments, list tasks, score solutions.

Library code never prints; this module renders. Known errors become one line on stderr and
exit code 2, never a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, NoReturn

import click
import orjson
from rich.console import Console
from rich.table import Table

from arena.errors import ArenaError
from tasks import TaskError

err = Console(stderr=True)
out = Console()


def fail(message: str) -> NoReturn:
    """Print a one-line error and exit with status 2."""
    err.print(f"arena: error: {message}", markup=False, highlight=False, soft_wrap=True)
    raise SystemExit(2)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="arena")
def app() -> None:
    """Adversarial arena: code agents and test agents co-evolve; oracles decide truth."""


@app.command("tasks")
def tasks_cmd() -> None:
    """List the task packs, one per line (NAME or NAME:key=value,...)."""
    from tasks import entries, resolve

    for entry in entries():
        members = resolve(entry.name)
        if len(members) == 1:
            click.echo(f"{members[0].name}\t{entry.summary}")
        else:
            click.echo(f"{entry.name}\t{entry.summary} ({len(members)} tasks)")
            for task in members:
                click.echo(f"{task.name}\t{task.signature}")


@app.command("eval")
@click.option("--task", "task_spec", required=True, help="Task, e.g. email_validation.")
@click.option(
    "--solution", "solution", required=True, type=click.Path(path_type=Path), help="Source file."
)
@click.option("--suite", default="fixed", show_default=True, help="fixed, hidden or a JSON path.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option(
    "--isolation",
    type=click.Choice(["auto", "bwrap", "basic"]),
    default="auto",
    show_default=True,
    help="Sandbox isolation.",
)
def eval_cmd(task_spec: str, solution: Path, suite: str, as_json: bool, isolation: str) -> None:
    """Score a solution file on a task's fixed or hidden suite, or on a suite file."""
    from arena.evaluation import combine, load_suite, read_solution, score
    from arena.sandbox import Sandbox
    from tasks import resolve

    tasks = resolve(task_spec)
    source = read_solution(solution)
    suites = [load_suite(t, suite) for t in tasks]
    with Sandbox(isolation=isolation) as box:  # type: ignore[arg-type]
        scores = [
            score(box, t, source, label, s) for t, (label, s) in zip(tasks, suites, strict=True)
        ]
    result = scores[0] if len(scores) == 1 else combine(scores, task_spec)
    if as_json:
        sys.stdout.buffer.write(orjson.dumps(result.to_json(), option=orjson.OPT_NON_STR_KEYS))
        sys.stdout.write("\n")
        return
    table = Table(title=f"{solution} on the {suite} suite")
    for col in ("task", "cases", "passed", "pass rate", "fail", "error", "timeout"):
        table.add_column(col, justify="left" if col == "task" else "right")
    rows = scores if len(scores) == 1 else [*scores, result]
    for s in rows:
        table.add_row(
            s.task,
            str(s.cases),
            str(s.passed),
            f"{s.pass_rate:.1%}",
            str(s.counts["fail"]),
            str(s.counts["error"]),
            str(s.counts["timeout"]),
        )
    out.print(table)
    for s in scores:
        if s.metrics:
            shown = ", ".join(f"{k} {v}" for k, v in s.metrics.items())
            out.print(f"{s.task}: {shown}")


@app.command("run")
@click.option("--task", "task_spec", default="email_validation", show_default=True)
@click.option("--code", default=4, show_default=True, help="Code agents.")
@click.option("--test", default=4, show_default=True, help="Test agents (0: fixed-benchmark mode).")
@click.option("--rounds", default=10, show_default=True)
@click.option("--replace-every", default=2, show_default=True, help="Rounds between replacements.")
@click.option("--seed", default=0, show_default=True)
@click.option("--model", default="offline", show_default=True, help="offline, openai/M, gemini/M.")
@click.option("--base-url", default=None, help="OpenAI-compatible server (or $OPENAI_BASE_URL).")
@click.option("--max-connections", default=8, show_default=True, help="Model calls in flight.")
@click.option(
    "--cache",
    type=click.Choice(["off", "read", "write", "readwrite"]),
    default="readwrite",
    show_default=True,
    help="Model response cache ($ARENA_MODEL_CACHE).",
)
@click.option("--max-cost", type=float, default=None, help="Stop once model calls cost this (USD).")
@click.option("--max-calls", type=int, default=None, help="Stop after this many model calls.")
@click.option("--model-timeout", default=60.0, show_default=True, help="Seconds per model call.")
@click.option(
    "--out", "out_dir", default="runs", show_default=True, type=click.Path(path_type=Path)
)
@click.option(
    "--isolation", type=click.Choice(["auto", "bwrap", "basic"]), default="auto", show_default=True
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option(
    "--resume",
    "resume_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Continue the interrupted run in this run dir (its run.json gives the options).",
)
def run_cmd(
    task_spec: str,
    code: int,
    test: int,
    rounds: int,
    replace_every: int,
    seed: int,
    model: str,
    base_url: str | None,
    max_connections: int,
    cache: str,
    max_cost: float | None,
    max_calls: int | None,
    model_timeout: float,
    out_dir: Path,
    isolation: str,
    as_json: bool,
    resume_dir: Path | None,
) -> None:
    """Run a tournament (1v1 is --code 1 --test 1; --test 0 is fixed-benchmark mode)."""
    from arena.config import RunConfig
    from arena.runner import check_model, read_run_config, resume, run

    screen = err if as_json else out
    started: list[Path] = [resume_dir] if resume_dir is not None else []
    try:
        if resume_dir is not None:
            with LiveRounds(screen, read_run_config(resume_dir)) as live:
                result = resume(resume_dir, on_round=live.update, on_status=live.status)
        else:
            config = RunConfig(
                task=task_spec,
                code=code,
                test=test,
                rounds=rounds,
                replace_every=replace_every,
                seed=seed,
                model=model,
                isolation=isolation,
                base_url=base_url,
                max_connections=max_connections,
                cache=cache,
                max_cost=max_cost,
                max_calls=max_calls,
                model_timeout=model_timeout,
            )
            check_model(config)  # a missing key fails before any work or display
            with LiveRounds(screen, config) as live:
                result = run(
                    config,
                    out_dir,
                    on_round=live.update,
                    on_status=live.status,
                    on_start=started.append,
                )
    except KeyboardInterrupt:
        where = f"; continue with: arena run --resume {started[0]}" if started else ""
        fail(f"interrupted{where}")
    if as_json:
        sys.stdout.buffer.write(orjson.dumps(result.summary, option=orjson.OPT_INDENT_2))
        sys.stdout.write("\n")
    else:
        render_summary(out, result.summary, result.run_dir)


class LiveRounds:
    """A live table of rounds while a tournament runs (on stderr when stdout is JSON)."""

    def __init__(self, console: Console, config: Any) -> None:
        from rich.live import Live

        self.console, self.config = console, config
        self.rows: list[Any] = []
        self.note = "starting"
        self.live = Live(self.render(), console=console, refresh_per_second=4, transient=False)

    def __enter__(self) -> LiveRounds:
        self.live.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.live.__exit__(*exc)

    def status(self, message: str) -> None:
        self.note = message
        self.live.update(self.render())

    def update(self, report: Any) -> None:
        self.rows.append(report)
        self.note = f"round {report.round}/{report.rounds} done"
        self.live.update(self.render())

    def render(self) -> Table:
        c = self.config
        note = self.note
        if self.rows:
            last = self.rows[-1]
            per_round = sum(r.elapsed for r in self.rows) / len(self.rows)
            note += f", about {per_round * (last.rounds - last.round):.0f} s left"
        title = f"{c.task}: {c.code} code x {c.test} test agents, seed {c.seed} ({note})"
        table = Table(title=title, title_justify="left")
        cols = (
            "round",
            "suite",
            "new",
            "leader",
            "before",
            "grown",
            "after",
            "accepted",
            "best test",
        )
        for col in cols:
            table.add_column(col, justify="left" if col in ("leader", "best test") else "right")
        for r in self.rows[-12:]:
            best = f"{r.best_test} ({r.best_test_score:.2f})" if r.best_test else "-"
            table.add_row(
                f"{r.round}/{r.rounds}",
                str(r.suite_size),
                f"+{r.new_cases}",
                r.leader,
                f"{r.leader_before:.3f}",
                f"{r.leader_grown:.3f}",
                f"{r.leader_after:.3f}",
                str(r.accepted_proposals),
                best,
            )
        return table


def render_summary(console: Console, summary: dict[str, Any], run_dir: Path) -> None:
    """The final leaderboard: every code agent on the fixed, evolved and hidden suites."""
    n = summary["suites"]
    table = Table(
        title=(
            f"Leaderboard ({summary['mode']} mode, trained on the {n['trained_on']} suite; "
            f"fixed {n['fixed']}, evolved {n['evolved']}, hidden {n['hidden']} cases)"
        ),
        title_justify="left",
    )
    for col in ("rank", "agent", "length", "fixed", "evolved", "hidden (held out)"):
        table.add_column(col, justify="left" if col == "agent" else "right")
    for i, row in enumerate(summary["leaderboard"], start=1):
        table.add_row(
            str(i),
            row["id"] + (" (champion)" if i == 1 else ""),
            str(row["length"]),
            f"{row['fixed']:.3f}",
            f"{row['evolved']:.3f}",
            f"{row['hidden']:.3f}",
        )
    console.print(table)
    console.print(f"run dir: {run_dir}  ({summary['seconds']:.1f} s)")


def _load(run_dir: Path) -> Any:
    """The checked run dir, or a one-line error naming the file and line (exit code 2)."""
    from replays.events import EventLogError
    from replays.replay import load_run

    try:
        return load_run(run_dir, tolerate_torn_tail=True)
    except EventLogError as exc:
        fail(str(exc))


def _emit_json(value: Any) -> None:
    sys.stdout.buffer.write(orjson.dumps(value, option=orjson.OPT_INDENT_2))
    sys.stdout.write("\n")


@app.command("replay")
@click.argument("run_dir", required=False, type=click.Path(path_type=Path))
@click.option("--round", "round_", type=int, default=None, help="Round (default: the last).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--schema", is_flag=True, help="Print the event log's JSON Schema and exit.")
@click.option("--verify", is_flag=True, help="Re-run an offline run and compare every event.")
def replay_cmd(
    run_dir: Path | None, round_: int | None, as_json: bool, schema: bool, verify: bool
) -> None:
    """The state of a run at the end of a round, rebuilt from its events.jsonl alone."""
    from replays.replay import state_at, summary_from_events, without_volatile
    from replays.schema import json_schema

    if schema:
        _emit_json(json_schema())
        return
    if run_dir is None:
        fail("replay needs a RUN_DIR (or --schema)")
    data = _load(run_dir)
    if verify:
        _verify(data, as_json)
        return
    try:
        state = state_at(data, round_)
    except ValueError as exc:
        fail(str(exc))
    reproduced = None
    if data.complete and (round_ is None or round_ == data.rounds_played):
        summary_file = run_dir / "summary.json"
        if summary_file.is_file():
            try:
                saved = orjson.loads(summary_file.read_bytes())
            except orjson.JSONDecodeError as exc:
                fail(f"{summary_file}: corrupted JSON: {exc}")
            state["summary"] = summary_from_events(data)
            reproduced = state["summary"] == without_volatile(saved)
            state["summary_reproduced"] = reproduced
    if as_json:
        _emit_json(state)
        return
    title = (
        f"Round {state['round']}/{state['rounds']}: suite {state['suite_size']} cases, "
        f"leader {state['leader']}"
    )
    table = Table(title=title, title_justify="left")
    for col in ("rank", "code agent", "slot", "born", "mutation", "solution", "score"):
        table.add_column(col, justify="right" if col in ("rank", "slot", "born") else "left")
    for i, a in enumerate(state["leaderboard"], start=1):
        score = "-" if a["score"] is None else f"{a['score']:.3f}"
        table.add_row(
            str(i), a["id"], str(a["slot"]), str(a["born"]), a["mutation"], a["solution"], score
        )
    out.print(table)
    for t in state["test_turns"]:
        broke = ", ".join(t["broke"]) or "nobody"
        line = (f"test {t['agent']}: score {t['score']:.2f}, {t['accepted']}/{t['offered']} "
                f"cases accepted, broke {broke}")  # fmt: skip
        out.print(line, highlight=False)
    if state["new_cases"]:
        out.print("newest cases:", highlight=False)
        for c in state["new_cases"]:
            text = orjson.dumps(c["input"]).decode()
            shown = text if len(text) <= 60 else text[:57] + "..."
            expected = orjson.dumps(c["expected"]).decode()
            line = f"  {shown} -> {expected} (from {c['origin']}, broke {len(c['broke'])})"
            out.print(line, highlight=False)
    if reproduced is not None:
        word = "reproduced exactly" if reproduced else "NOT reproduced"
        out.print(f"summary.json (minus seconds) {word} from events.jsonl", highlight=False)


def _verify(data: Any, as_json: bool) -> None:
    """Re-run ``data``'s config offline in a temporary dir; compare every stable event."""
    import tempfile

    from arena.config import RunConfig
    from arena.runner import run
    from replays.events import read_events, stable

    config = RunConfig.from_json(data.config)
    if config.model != "offline":
        fail(f"--verify re-runs offline runs only; this one used {config.model!r}")
    with tempfile.TemporaryDirectory(prefix="arena-verify-") as tmp:
        result = run(config, Path(tmp))
        fresh = [stable(e) for e in read_events(result.run_dir / "events.jsonl")]
    mine = [stable(e) for e in data.events]
    mismatch = next((i for i, (a, b) in enumerate(zip(mine, fresh, strict=False)) if a != b), None)
    if mismatch is None and len(mine) != len(fresh):
        mismatch = min(len(mine), len(fresh))
    report = {"events": len(mine), "rerun_events": len(fresh), "first_mismatch": mismatch}
    if as_json:
        _emit_json({**report, "verified": mismatch is None})
    elif mismatch is None:
        out.print(f"verified: all {len(mine)} events match a fresh offline re-run")
    else:
        err.print(f"arena: verify: event {mismatch} differs from the re-run "
                  f"({len(mine)} events here, {len(fresh)} re-run)", markup=False)  # fmt: skip
    if mismatch is not None:
        raise SystemExit(1)


@app.command("lineage")
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--agent", default="champion", show_default=True, help="Agent id (or prefix).")
@click.option(
    "--export", "fmt", type=click.Choice(["graphml", "dot", "json", "png", "svg"]), default=None
)
@click.option("--out", "out_path", type=click.Path(path_type=Path), help="Export file path.")
@click.option("--diff", nargs=2, default=None, metavar="ID_A ID_B", help="Diff two versions.")
@click.option("--json", "as_json", is_flag=True, help="Print the ancestry as JSON.")
def lineage_cmd(
    run_dir: Path,
    agent: str,
    fmt: str | None,
    out_path: Path | None,
    diff: tuple[str, str] | None,
    as_json: bool,
) -> None:
    """An agent's ancestry back to a seed, diffs between versions, and graph exports."""
    from replays.lineage import ancestry, build_lineage, export
    from replays.lineage import diff as diff_versions

    graph = build_lineage(_load(run_dir))
    try:
        if fmt is not None:
            target = out_path or run_dir / f"lineage.{fmt}"
            export(graph, fmt, target)
            out.print(f"wrote {target}", highlight=False)
            return
        if diff is not None:
            sys.stdout.write(diff_versions(graph, run_dir, diff[0], diff[1]))
            return
        chain = ancestry(graph, agent)
    except (ValueError, OSError) as exc:
        fail(str(exc))
    if as_json:
        _emit_json(chain)
        return
    table = Table(title=f"Ancestry of {chain[-1]['id']} (seed first)", title_justify="left")
    for col in ("born", "agent", "mutation", "score", "solution", "proposer"):
        table.add_column(col, justify="right" if col in ("born", "score") else "left")
    for step in chain:
        score = "-" if step["score"] is None else f"{step['score']:.3f}"
        table.add_row(str(step["born"]), step["id"], step["mutation"], score,
                      step["solution"] or "-", step["proposer"] or "-")  # fmt: skip
    out.print(table)


@app.command("mutants")
@click.option("--task", "task_spec", required=True, help="Task, e.g. humaneval.")
@click.option(
    "--suite", "suite_path", type=click.Path(path_type=Path), help="Run dir(s) or suite.json."
)
@click.option("--rounds", default=8, show_default=True, help="Tournament rounds (no --suite).")
@click.option("--seed", default=0, show_default=True, help="Tournament seed (no --suite).")
@click.option("--order", type=click.IntRange(1, 2), default=1, show_default=True)
@click.option("--max-mutants", default=1000, show_default=True, help="Cap per task.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), help="Keep run dirs here.")
@click.option(
    "--isolation", type=click.Choice(["auto", "bwrap", "basic"]), default="auto", show_default=True
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def mutants_cmd(
    task_spec: str,
    suite_path: Path | None,
    rounds: int,
    seed: int,
    order: int,
    max_mutants: int,
    out_dir: Path | None,
    isolation: str,
    as_json: bool,
) -> None:
    """Mutation analysis: how many wrong mutants the fixed and evolved suites let through.

    Mutants of the reference solution that pass the whole hidden suite are dropped as likely
    equivalent. The evolved suite comes from --suite (a run dir, its suite.json, or a folder
    of run dirs), else from a short offline 4v4 tournament per task. Those tournaments start
    their code agents from seed mutants, so a mutant a code agent held is "seen"; the unseen
    column counts only the others.
    """
    from arena.mutants import fraction_text, run_analysis
    from tasks import resolve

    tasks = resolve(task_spec)
    analysis = run_analysis(
        tasks,
        spec=task_spec,
        suite_path=suite_path,
        rounds=rounds,
        seed=seed,
        out=out_dir,
        max_mutants=max_mutants,
        order=order,
        isolation=isolation,
        on_status=lambda msg: err.print(f"[dim]{msg}[/dim]", highlight=False),
    )
    if as_json:
        sys.stdout.buffer.write(orjson.dumps(analysis.to_json()))
        sys.stdout.write("\n")
        return
    table = Table(
        title=(
            f"Mutation analysis of {task_spec}, order {order}: live = not equivalent on the "
            "hidden suite; surv = live and pass the fixed suite; killed = of surv, fail the "
            "evolved suite; unseen = killed/surv among mutants no code agent held"
        ),
        title_justify="left",
    )
    columns = (
        "task", "mutants", "equiv", "live", "fixed kills", "surv", "killed", "fraction",
        "unseen", "fixed", "evolved", "hidden",
    )  # fmt: skip
    for col in columns:
        table.add_column(col, justify="left" if col == "task" else "right")
    rows = [(r.task, r.counts) for r in analysis.reports]
    if len(rows) > 1:
        rows.append(("overall", analysis.overall))
    for name, c in rows:
        table.add_row(
            name.removeprefix("humaneval:"),
            str(c.analyzed) + (f"/{c.total}" if c.total != c.analyzed else ""),
            str(c.equivalent),
            str(c.non_equivalent),
            str(c.killed_fixed),
            str(c.survivors),
            str(c.survivors_killed),
            fraction_text(c.survivors_killed / c.survivors if c.survivors else None),
            f"{c.unseen_survivors_killed}/{c.unseen_survivors}",
            str(c.fixed_size),
            str(c.evolved_size),
            str(c.hidden_size),
        )
    out.print(table)
    total = analysis.overall
    new_rate = fraction_text(
        total.killed_new / total.non_equivalent if total.non_equivalent else None
    )
    fixed_rate = fraction_text(
        total.killed_fixed / total.non_equivalent if total.non_equivalent else None
    )
    out.print(
        f"the fixed suite kills {fixed_rate} of the live mutants; the evolved suite's "
        f"{total.new_size} new cases alone kill {new_rate}; "
        f"{total.hidden_blind} mutant(s) pass the hidden suite but fail another; "
        f"{analysis.seconds:.0f} s"
    )
    check = total.to_json()["check"]
    if check is not None:
        out.print(
            f"judged as the task's own check judges (Python ==), the fixed suite kills "
            f"{check['killed']}/{total.non_equivalent}; of its {check['survivors']} survivors "
            f"the evolved suite kills {check['survivors_killed_by_evolved']}"
        )
    verdict = analysis.bar_status
    budget = "within" if analysis.within_budget else "over"
    out.print(
        f"bar (evolved kills >= 95% of the fixed suite's survivors, evolved < 10% of hidden): "
        f"{verdict} ({budget} the size budget)"
    )


def _progress_bar(console: Console) -> Any:
    """A rich progress bar with elapsed time and ETA (on stderr)."""
    from rich.progress import (
        BarColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("{task.description:<28}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("elapsed"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )


def _score(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _interval_text(iv: Any) -> str:
    if iv is None:
        return "-"
    if iv.low is None:
        return f"{iv.mean:.3f}"
    return f"{iv.mean:.3f} ±{iv.mean - iv.low:.3f}"


@app.command("compare")
@click.argument("run_dirs", nargs=-1, type=click.Path(path_type=Path))
@click.option("--task", "task_spec", default=None, help="Task [default: email_validation].")
@click.option("--seeds", default="0,1,2", show_default=True, help="Comma-separated seeds.")
@click.option("--rounds", default=10, show_default=True, help="Rounds per run.")
@click.option(
    "--modes",
    default="fixed,1v1,4v4",
    show_default=True,
    help="fixed (= 4v0: code vs the fixed suite), 1v1, 4v4, or any <code>v<test>.",
)
@click.option(
    "--out", "out_dir", default="runs", show_default=True, type=click.Path(path_type=Path),
    help="Runs, compare.json and the plot go in OUT/compare-<task>/.",
)  # fmt: skip
@click.option(
    "--isolation", type=click.Choice(["auto", "bwrap", "basic"]), default="auto", show_default=True
)
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
def compare_cmd(
    run_dirs: tuple[Path, ...],
    task_spec: str | None,
    seeds: str,
    rounds: int,
    modes: str,
    out_dir: Path,
    isolation: str,
    as_json: bool,
) -> None:
    """Champions of fixed-mode, 1v1 and 4v4 runs on fixed, cross-evolved and hidden suites.

    Without RUN_DIRs it runs one tournament per mode and seed (reusing finished runs in the
    output dir and resuming unfinished ones; Ctrl-C stops, and the same command resumes).
    A run's cross-evolved suite is the union of the other runs' evolved suites minus the
    fixed suite and minus its own suite, so no run is graded on what it trained against.
    Means over seeds come with 95% Student-t intervals.
    """
    import contextlib

    from arena.compare import CompareInterrupted, compare, parse_mode, plot, score_runs
    from tasks import get_task

    try:
        seed_list = [int(s) for s in seeds.split(",") if s.strip()]
    except ValueError:
        fail(f"--seeds must be comma-separated integers, not {seeds!r}")
    mode_list = [m.strip() for m in modes.split(",") if m.strip()]
    for m in mode_list:
        parse_mode(m)
    for d in run_dirs:
        if not d.is_dir():
            fail(f"{d}: not a run dir (no such directory)")
    bar = _progress_bar(err) if err.is_terminal else None
    try:
        with bar or contextlib.nullcontext():
            job = bar.add_task("starting", total=1.0) if bar else None

            def on_progress(done: float, total: float, what: str) -> None:
                if bar:
                    bar.update(job, completed=done, total=total, description=what)

            def on_run(config: Any, path: Path, how: str) -> None:
                err.print(f"{how}: {path}", highlight=False, soft_wrap=True)

            if run_dirs:
                result = score_runs(
                    list(run_dirs), task=task_spec, isolation=isolation, on_progress=on_progress
                )
            else:
                name = get_task(task_spec or "email_validation").name
                slug = name.replace(":", "_").replace("=", "").replace(",", "_")
                result = compare(
                    name,
                    seed_list,
                    out_dir / f"compare-{slug}",
                    rounds=rounds,
                    modes=mode_list,
                    isolation=isolation,
                    on_progress=on_progress,
                    on_run=on_run,
                )
    except CompareInterrupted as exc:
        err.print(f"arena: {exc}", markup=False, highlight=False, soft_wrap=True)
        raise SystemExit(130) from None
    slug = result.task.replace(":", "_").replace("=", "").replace(",", "_")
    target = out_dir / f"compare-{slug}"
    try:
        target.mkdir(parents=True, exist_ok=True)
        (target / "compare.json").write_bytes(
            orjson.dumps(result.to_json(), option=orjson.OPT_INDENT_2) + b"\n"
        )
        images = plot(result, target / "compare")
    except OSError as exc:
        fail(f"cannot write the comparison to {target}: {exc}")
    if as_json:
        _emit_json(result.to_json())
        return
    table = Table(
        title=f"{result.task}: each run's champion (pass rates; cases in brackets)",
        caption="own* = the run's own evolved suite, what it trained on (not held out); cross "
        "= the other runs' evolved cases minus the fixed suite and the run's own suite",
        title_justify="left",
        caption_justify="left",
    )
    sizes = {k: {r.cases[k] for r in result.runs} for k in ("fixed", "own", "cross", "hidden")}
    heads = {k: f"{k} ({v.pop()})" if len(v) == 1 else k for k, v in sizes.items()}
    for col in ("mode", "seed", "champion", heads["fixed"], "own*", "cross", heads["hidden"]):
        table.add_column(col, justify="left" if col in ("mode", "champion") else "right")
    for r in result.runs:
        cells = [_score(getattr(r, k)) for k in ("fixed", "own", "cross", "hidden")]
        for i, k in enumerate(("fixed", "own", "cross", "hidden")):
            if heads[k] == k:
                cells[i] += f" ({r.cases[k]})"
        table.add_row(r.mode, str(r.seed), r.champion[:8], *cells)
    out.print(table)
    means = Table(
        title="Per mode: mean over seeds ± half-width of the 95% Student-t interval",
        title_justify="left",
    )
    for col in ("mode", "seeds", "fixed", "own*", "cross", "hidden"):
        means.add_column(col, justify="left" if col == "mode" else "right")
    for m, metrics in result.modes.items():
        n = max((iv.n for iv in metrics.values() if iv is not None), default=0)
        cells = [_interval_text(metrics[k]) for k in ("fixed", "own", "cross", "hidden")]
        means.add_row(m, str(n), *cells)
    out.print(means)
    out.print(
        f"wrote {target / 'compare.json'}, " + ", ".join(str(p) for p in images),
        highlight=False,
        soft_wrap=True,
    )


@app.command("report")
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option(
    "--out", "out_dir", type=click.Path(path_type=Path), help="Output dir [RUN_DIR/report]."
)
def report_cmd(run_dir: Path, out_dir: Path | None) -> None:
    """Plots (PNG and SVG) and a self-contained report.html for a run dir.

    The arms race, suite size, per-agent trajectories with replacements, proposer
    meta-utility and the lineage, with the leaderboard and the fixed / evolved / hidden table.
    """
    from arena.report import write_report

    with err.status("writing the report") as status:
        report = write_report(
            run_dir, out_dir, on_step=lambda name: status.update(f"plotting {name}")
        )
    pngs = [p for p in report.images if p.suffix == ".png"]
    out.print(f"wrote {report.html} ({len(pngs)} plots inlined; PNG and SVG beside it)",
              highlight=False, soft_wrap=True)  # fmt: skip


def main() -> None:
    """Entry point of the ``arena`` console script."""
    try:
        app.main(standalone_mode=False, prog_name="arena")
    except click.exceptions.Abort:
        fail("aborted")
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.ctx.get_help() if exc.ctx else "arena --help")
        raise SystemExit(0) from None
    except click.ClickException as exc:
        fail(exc.format_message())
    except (ArenaError, TaskError) as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        fail("interrupted")


if __name__ == "__main__":
    main()
