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
@click.option("--model", default="offline", show_default=True)
@click.option(
    "--out", "out_dir", default="runs", show_default=True, type=click.Path(path_type=Path)
)
@click.option(
    "--isolation", type=click.Choice(["auto", "bwrap", "basic"]), default="auto", show_default=True
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def run_cmd(
    task_spec: str,
    code: int,
    test: int,
    rounds: int,
    replace_every: int,
    seed: int,
    model: str,
    out_dir: Path,
    isolation: str,
    as_json: bool,
) -> None:
    """Run a tournament (1v1 is --code 1 --test 1; --test 0 is fixed-benchmark mode)."""
    from arena.config import RunConfig
    from arena.runner import run

    if model != "offline":
        fail(f"model {model!r} is not available yet; use --model offline")
    config = RunConfig(
        task=task_spec,
        code=code,
        test=test,
        rounds=rounds,
        replace_every=replace_every,
        seed=seed,
        model=model,
        isolation=isolation,
    )
    with LiveRounds(err if as_json else out, config) as live:
        result = run(config, out_dir, on_round=live.update, on_status=live.status)
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
        title = f"{c.task}: {c.code} code x {c.test} test agents, seed {c.seed} ({self.note})"
        table = Table(title=title, title_justify="left")
        for col in ("round", "suite", "new", "leader", "before", "after", "accepted", "best test"):
            table.add_column(col, justify="left" if col in ("leader", "best test") else "right")
        for r in self.rows[-12:]:
            best = f"{r.best_test} ({r.best_test_score:.2f})" if r.best_test else "-"
            table.add_row(
                f"{r.round}/{r.rounds}",
                str(r.suite_size),
                f"+{r.new_cases}",
                r.leader,
                f"{r.leader_before:.3f}",
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
