"""Mutation analysis: equivalence filtering, counts, suite strength, JSON and CLI errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

import cli
from arena.errors import ArenaError
from arena.mutants import Analysis, analyze, select_mutants, suite_files
from arena.sandbox import Sandbox
from tasks import Args, Suite, Task, get_task
from tests.conftest import SquareTask

REFERENCE = "def square(x):\n    if x < 0:\n        x = -x\n    return x * x\n"


class AbsSquareTask(SquareTask):
    """square(x) with a sign flip first (several mutants of it are equivalent) and a weak
    fixed suite: only 0, which ``x + x`` and ``x - x`` both pass."""

    name = "abs_square"

    @property
    def reference_solution(self) -> str:
        return REFERENCE

    def fixed_inputs(self) -> list[Args]:
        return [(0,)]


def _suite(task: Task, *xs: int) -> Suite:
    suite = task.fixed_suite()
    suite.extend(task.label((x,), "handmade") for x in xs)
    return suite


@pytest.fixture(scope="module")
def task() -> AbsSquareTask:
    return AbsSquareTask()


def test_equivalent_mutants_are_dropped(task: AbsSquareTask, sandbox: Sandbox) -> None:
    report = analyze(task, sandbox, evolved=None)
    by_desc = {r.description: r for r in report.rows}
    # Deleting the sign flip, or turning '<' into '<=', changes nothing a suite can see.
    assert by_desc["delete 'x = -x'"].equivalent
    assert by_desc["'<' -> '<='"].equivalent
    assert not by_desc["'*' -> '+'"].equivalent
    assert report.counts.equivalent >= 2
    assert report.counts.non_equivalent == sum(not r.equivalent for r in report.rows)
    assert all(r.killed_check is None for r in report.rows)
    assert report.to_json()["check"] is None


def test_counts_add_up_and_stronger_suite_kills_more(task: AbsSquareTask, sandbox: Sandbox) -> None:
    weak = analyze(task, sandbox, evolved=_suite(task, 2))  # 2 + 2 == 2 * 2: x + x survives
    strong = analyze(task, sandbox, evolved=_suite(task, 1))
    for report in (weak, strong):
        c = report.counts
        assert c.analyzed == c.total == len(report.rows)
        assert c.equivalent + c.killed_fixed + c.survivors == c.analyzed
        assert c.killed_fixed <= c.killed_evolved <= c.non_equivalent
        assert c.survivors_killed == c.killed_evolved - c.killed_fixed
        assert c.unseen_survivors_killed <= c.unseen_survivors <= c.survivors
        assert (c.fixed_size, c.evolved_size, c.new_size, c.hidden_size) == (1, 2, 1, 100)
    survivors = {r.description for r in weak.rows if not r.equivalent and not r.killed_fixed}
    assert {"'*' -> '+'", "'*' -> '-'"} <= survivors
    frac = [r.counts.survivors_killed / r.counts.survivors for r in (weak, strong)]
    assert frac[0] < frac[1] == 1.0
    assert weak.within_budget and strong.within_budget  # 2 cases < 10% of 100
    assert not Analysis("t", [weak], {}).bar_met
    assert Analysis("t", [strong], {}).bar_met


def test_cap_is_deterministic_and_order_two_is_new() -> None:
    total, capped = select_mutants(REFERENCE, 3)
    assert len(capped) == 3 and total > 3
    assert capped == select_mutants(REFERENCE, 3)[1]
    first = {m.source for m in select_mutants(REFERENCE, 10_000)[1]}
    second = select_mutants(REFERENCE, 10_000, order=2)[1]
    assert second and not first & {m.source for m in second}
    with pytest.raises(ArenaError):
        select_mutants(REFERENCE, 0)


def test_humaneval_problem_with_a_handmade_suite(sandbox: Sandbox) -> None:
    he = get_task("humaneval:id=2")  # truncate_number: return number % 1.0
    evolved = _suite(he)
    evolved.extend(he.label((x,), "handmade") for x in (0.5, 7.25, 1e-9, 2.0))
    report = analyze(he, sandbox, evolved=evolved, max_mutants=6)
    c = report.counts
    assert c.analyzed == 6 and c.equivalent + c.killed_fixed + c.survivors == 6
    assert c.evolved_size == c.fixed_size + 4 == len(evolved)
    assert c.hidden_size >= 500 and report.within_budget
    assert report.seeds_among_mutants >= 1
    data = report.to_json()
    assert data["task"] == "humaneval:id=2" and len(data["rows"]) == 6
    assert set(data["sizes"]) == {"fixed", "evolved", "new", "hidden"}
    # HumanEval's own check (Python ==) is judged too; tasks without one have no such column.
    assert all(r.killed_check is not None for r in report.rows)
    assert data["check"]["killed"] + data["check"]["survivors"] == c.non_equivalent


def _run_cli(monkeypatch: pytest.MonkeyPatch, *args: str) -> None:
    monkeypatch.setattr("sys.argv", ["arena", "mutants", *args])
    cli.main()


def test_cli_json_shape(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "suite.json"
    path.write_bytes(orjson.dumps({"task": "humaneval:id=2", "cases": [{"input": [0.75]}]}))
    _run_cli(
        monkeypatch,
        "--task",
        "humaneval:id=2",
        "--suite",
        str(tmp_path),
        "--max-mutants",
        "4",
        "--isolation",
        "basic",
        "--json",
    )
    data: dict[str, Any] = orjson.loads(capsys.readouterr().out)
    assert set(data) == {"task", "settings", "problems", "overall", "bar", "seconds"}
    (problem,) = data["problems"]
    assert problem["analyzed"] == 4 and problem["evolved_source"] == str(path)
    assert data["overall"]["sizes"]["evolved"] == problem["sizes"]["evolved"]
    assert isinstance(data["bar"]["met"], bool)


@pytest.mark.parametrize("bad", ["missing-dir", "not-json", "other-task"])
def test_bad_suite_path_is_one_line_exit_2(
    bad: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    target = tmp_path / "run"
    if bad != "missing-dir":
        target.mkdir()
        text = b"{" if bad == "not-json" else orjson.dumps({"task": "email_validation"})
        (target / "suite.json").write_bytes(text)
    with pytest.raises(ArenaError):
        suite_files([get_task("humaneval:id=2")], target)
    with pytest.raises(SystemExit) as exit_info:
        _run_cli(monkeypatch, "--task", "humaneval:id=2", "--suite", str(target))
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("arena: error:") and "\n" not in err


LOOPING = (
    "def square(x):\n"
    "    n = abs(x)\n"
    "    total = 0\n"
    "    while n > 0:\n"
    "        total += abs(x)\n"
    "        n -= 1\n"
    "    return total\n"
)


class LoopTask(AbsSquareTask):
    """A reference with a counting loop: some mutants never stop on x != 0 (not on 0)."""

    name = "loop_square"
    time_limit = 0.1

    @property
    def reference_solution(self) -> str:
        return LOOPING


def test_looping_mutants_are_killed_only_where_they_loop(sandbox: Sandbox) -> None:
    task = LoopTask()
    # Five of the mutants by an even stride; one of them deletes 'n -= 1' and so never stops.
    report = analyze(task, sandbox, evolved=_suite(task, 3), max_mutants=5)
    (row,) = [r for r in report.rows if r.description == "delete 'n -= 1'"]
    # Past the sandbox's timeout cap on the hidden suite, later cases are marked unrun; the
    # fixed suite (x = 0, where the loop never starts) must not count them as kills.
    assert not row.equivalent and not row.killed_fixed and row.killed_evolved
