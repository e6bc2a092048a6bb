"""The ``arena`` command: run tournaments, list tasks, score solutions.

Library code never prints; this module renders. Known errors become one line on stderr and
exit code 2, never a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

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
def run_cmd() -> None:
    """Run a tournament (not built yet)."""
    fail("'arena run' is not built yet; use 'arena tasks' and 'arena eval'")


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
