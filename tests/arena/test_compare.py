"""arena.compare: cross-evaluation honesty, interval math, reuse, Ctrl-C and resume."""

from __future__ import annotations

import itertools
import math
import shutil
from pathlib import Path
from typing import Any

import orjson
import pytest

import cli
from arena.compare import (
    CompareInterrupted,
    Comparison,
    compare,
    ensure_runs,
    find_runs,
    interval,
    make_configs,
    parse_mode,
    plot,
    score_runs,
    t_critical,
)
from arena.errors import ArenaError
from arena.evaluation import load_suite
from tasks import get_task

TASK = "email_validation"
MODES = ("2v0", "1v1", "2v1")  # fixed mode, 1v1 and a small tournament: fast
SEEDS = (0, 1)


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Comparison]:
    out = tmp_path_factory.mktemp("compare")
    return out, compare(TASK, SEEDS, out, rounds=2, modes=MODES, isolation="basic")


def _suite_keys(run_dir: Path) -> set[str]:
    return {c.key for c in load_suite(get_task(TASK), str(run_dir))[1].cases}


def test_t_critical_known_values() -> None:
    assert t_critical(1) == pytest.approx(12.706)
    assert t_critical(2) == pytest.approx(4.303)
    assert t_critical(30) == pytest.approx(2.042)
    assert t_critical(60) == pytest.approx(2.000, abs=1e-3)
    assert t_critical(120) == pytest.approx(1.980, abs=1e-3)
    values = [t_critical(df) for df in range(1, 200)]
    assert all(a > b for a, b in itertools.pairwise(values))
    with pytest.raises(ValueError):
        t_critical(0)


def test_interval_math() -> None:
    iv = interval([1.0, 2.0, 3.0])  # mean 2, sd 1, n 3
    assert iv is not None and iv.n == 3 and iv.mean == pytest.approx(2.0)
    half = 4.303 / math.sqrt(3)
    assert iv.low == pytest.approx(2.0 - half) and iv.high == pytest.approx(2.0 + half)
    same = interval([0.5, 0.5])
    assert same is not None and same.low == same.high == pytest.approx(0.5)
    one = interval([0.7])
    assert one is not None and one.low is None and one.high is None and one.mean == 0.7
    assert interval([]) is None


def test_modes_and_configs() -> None:
    assert parse_mode("fixed") == (4, 0) and parse_mode("1v1") == (1, 1)
    assert parse_mode("4v4") == (4, 4) and parse_mode("3v2") == (3, 2)
    for bad in ("x", "0v1", "v2", "1vx"):
        with pytest.raises(ArenaError, match="unknown mode"):
            parse_mode(bad)
    configs = make_configs(TASK, [0, 1, 2])
    assert [(c.code, c.test, c.seed) for c in configs[:4]] == [
        (4, 0, 0), (4, 0, 1), (4, 0, 2), (1, 1, 0),
    ]  # fmt: skip
    assert all(c.rounds == 10 for c in configs) and len(configs) == 9
    with pytest.raises(ArenaError, match="seeds repeat"):
        make_configs(TASK, [1, 1])
    with pytest.raises(ArenaError, match="at least one seed"):
        make_configs(TASK, [])


def test_structure(compared: tuple[Path, Comparison]) -> None:
    _, result = compared
    assert result.task == TASK
    assert [(r.mode, r.seed) for r in result.runs] == [
        ("fixed", 0), ("fixed", 1), ("1v1", 0), ("1v1", 1), ("2v1", 0), ("2v1", 1),
    ]  # fmt: skip
    for r in result.runs:
        for metric in ("fixed", "own", "hidden"):
            assert 0.0 <= getattr(r, metric) <= 1.0
        assert r.cases["fixed"] == len(get_task(TASK).fixed_suite())
        # held out: the hidden suite minus every case the run trained on
        trained = {c.key for c in load_suite(get_task(TASK), str(r.run_dir))[1]}
        hidden = get_task(TASK).hidden_suite()
        assert r.cases["hidden"] == sum(c.key not in trained for c in hidden)
        assert (r.run_dir / "champion.py").is_file()
    assert set(result.modes) == {"fixed", "1v1", "2v1"}
    for metrics in result.modes.values():
        for metric in ("fixed", "own", "hidden"):
            iv = metrics[metric]
            assert iv is not None and iv.n == 2 and iv.low is not None
    data = orjson.loads(orjson.dumps(result.to_json()))
    assert set(data) == {"task", "definitions", "runs", "modes", "seconds"}
    assert data["runs"][0]["per_suite"].keys() == {r.label for r in result.runs}


def test_no_run_is_graded_on_its_own_suite(compared: tuple[Path, Comparison]) -> None:
    _, result = compared
    fixed = {c.key for c in get_task(TASK).fixed_suite().cases}
    keys = {r.label: _suite_keys(r.run_dir) for r in result.runs}
    for r in result.runs:
        cross = set(r.cross_keys)
        assert len(cross) == r.cases["cross"]
        assert not cross & keys[r.label], "a run's cross suite holds its own cases"
        assert not cross & fixed
        others = set().union(*(k for label, k in keys.items() if label != r.label))
        assert cross == others - keys[r.label] - fixed
        assert r.label not in r.cross_from
    # fixed-mode runs train on the fixed suite: their evolved suite adds no cross cases
    for r in result.runs:
        assert all(not label.startswith("fixed/") for label in r.cross_from)
        if r.mode == "fixed":
            assert keys[r.label] == fixed and r.own == r.fixed
    arena_runs = [r for r in result.runs if r.mode != "fixed"]
    assert any(r.cross is not None for r in arena_runs)


def test_reuse_plot_and_run_dirs(compared: tuple[Path, Comparison], tmp_path: Path) -> None:
    out, first = compared
    plan = find_runs(out, make_configs(TASK, SEEDS, 2, MODES, isolation="basic"))
    assert plan.existing == [r.run_dir for r in first.runs]
    seen: list[str] = []
    dirs = ensure_runs(plan, out, on_run=lambda _c, _p, how: seen.append(how))
    assert seen == ["reused"] * 6 and dirs == plan.existing
    images = plot(first, tmp_path / "cmp")
    assert [p.suffix for p in images] == [".png", ".svg"]
    assert all(p.stat().st_size > 1000 for p in images)
    two = score_runs([first.runs[2].run_dir, first.runs[4].run_dir], isolation="basic")
    assert [r.label for r in two.runs] == ["1v1/s0", "2v1/s0"]
    assert two.runs[0].cross_from == ["2v1/s0"]
    assert two.runs[0].hidden == first.runs[2].hidden


def test_bad_inputs(compared: tuple[Path, Comparison], tmp_path: Path) -> None:
    _, result = compared
    with pytest.raises(ArenaError, match="no such file"):
        score_runs([tmp_path])
    with pytest.raises(ArenaError, match="not sorting"):
        score_runs([result.runs[0].run_dir], task="sorting_network:n=4")
    with pytest.raises(ArenaError, match="unknown task"):
        compare("no_such_task", [0], tmp_path)
    unfinished = tmp_path / "unfinished"
    shutil.copytree(result.runs[2].run_dir, unfinished)
    (unfinished / "summary.json").unlink()
    with pytest.raises(ArenaError, match="not finished"):
        score_runs([unfinished])


def test_ctrl_c_leaves_a_run_that_resumes(
    compared: tuple[Path, Comparison], tmp_path: Path
) -> None:
    _, first = compared
    done = tmp_path / first.runs[2].run_dir.name  # 1v1 seed 0, finished: reused
    shutil.copytree(first.runs[2].run_dir, done)

    def interrupt(_done: float, _total: float, what: str) -> None:
        if what == "1v1 seed 3 round 1":
            raise KeyboardInterrupt

    with pytest.raises(CompareInterrupted) as info:
        compare(TASK, [0, 3], tmp_path, rounds=2, modes=["1v1"], isolation="basic",
                on_progress=interrupt)  # fmt: skip
    partial = info.value.partial
    assert info.value.complete == [done] and partial is not None
    assert f"complete run dirs: {done}" in str(info.value)
    assert (partial / "checkpoint.json").is_file() and not (partial / "summary.json").exists()
    how: dict[int, str] = {}
    result = compare(TASK, [0, 3], tmp_path, rounds=2, modes=["1v1"], isolation="basic",
                     on_run=lambda c, _p, h: how.__setitem__(c.seed, h))  # fmt: skip
    assert how == {0: "reused", 3: "resumed"}
    assert result.runs[1].run_dir == partial and (partial / "summary.json").is_file()


def test_cli_json_on_run_dirs(
    compared: tuple[Path, Comparison],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, result = compared
    dirs = [str(r.run_dir) for r in result.runs[2:]]
    argv = ["arena", "compare", *dirs, "--out", str(tmp_path), "--isolation", "basic", "--json"]
    monkeypatch.setattr("sys.argv", argv)
    cli.main()
    data: dict[str, Any] = orjson.loads(capsys.readouterr().out)
    assert [r["label"] for r in data["runs"]] == ["1v1/s0", "1v1/s1", "2v1/s0", "2v1/s1"]
    assert (tmp_path / "compare-email_validation" / "compare.png").is_file()
    monkeypatch.setattr("sys.argv", ["arena", "compare", str(tmp_path / "nope")])
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    assert exit_info.value.code == 2
    assert "not a run dir" in capsys.readouterr().err
