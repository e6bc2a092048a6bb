"""Checkpoints and resume: a run interrupted anywhere ends as an uninterrupted one does."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from arena.engine import RoundReport
from arena.errors import ArenaError
from arena.runner import resume, run
from replays.checkpoint import read_checkpoint, truncate_events, write_checkpoint
from replays.events import EventLogError, read_events, stable
from tests.replays.conftest import SMALL

ARENA = str(Path(sys.executable).with_name("arena"))


class Crash(Exception):
    pass


def comparable(run_dir: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    events = [stable(e) for e in read_events(run_dir / "events.jsonl")]
    summary = orjson.loads((run_dir / "summary.json").read_bytes())
    summary.pop("seconds")
    return events, summary


def crashed_run(out: Path, after_round: int) -> Path:
    """A run of SMALL that dies right after round ``after_round``'s checkpoint."""

    def die(report: RoundReport) -> None:
        if report.round == after_round:
            raise Crash

    with pytest.raises(Crash):
        run(SMALL, out, on_round=die)
    return next(out.iterdir())


@pytest.mark.parametrize("after_round", [1])
def test_resume_after_a_crash_with_a_partial_round_and_torn_line(
    tmp_path: Path, finished_run: Path, after_round: int
) -> None:
    run_dir = crashed_run(tmp_path, after_round)
    checkpoint = read_checkpoint(run_dir)
    assert checkpoint is not None and checkpoint["round"] == after_round
    # What a kill in the next round leaves: complete events of a partial round, a torn line.
    seq = checkpoint["seq"]
    with open(run_dir / "events.jsonl", "ab") as fh:
        fh.write(orjson.dumps({"v": 1, "seq": seq, "round": after_round + 1, "type": "x"}))
        fh.write(b'\n{"v":1,"seq":')
    result = resume(run_dir)
    assert comparable(run_dir) == comparable(finished_run)
    evs = list(read_events(run_dir / "events.jsonl"))
    assert [e["seq"] for e in evs] == list(range(len(evs)))
    assert (
        result.summary["champion"]
        == orjson.loads((finished_run / "summary.json").read_bytes())["champion"]
    )


def test_resume_without_checkpoint_restarts(tmp_path: Path, finished_run: Path) -> None:
    run_dir = crashed_run(tmp_path, 1)
    (run_dir / "checkpoint.json").unlink()
    (run_dir / "events.jsonl").write_bytes(b'{"v":1,"seq":0,"round":0,"type":"run_st')
    resume(run_dir)
    assert comparable(run_dir) == comparable(finished_run)


def test_resume_of_a_finished_run_changes_nothing(tmp_path: Path, finished_run: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(finished_run, copy)
    before = (copy / "events.jsonl").read_bytes()
    result = resume(copy)
    assert (copy / "events.jsonl").read_bytes() == before
    assert result.summary == orjson.loads((copy / "summary.json").read_bytes())


def test_bad_run_dirs_are_refused(tmp_path: Path, finished_run: Path) -> None:
    with pytest.raises(ArenaError, match=r"run.json: no such file"):
        resume(tmp_path)
    copy = tmp_path / "copy"
    shutil.copytree(finished_run, copy)
    (copy / "summary.json").unlink()
    run_json = orjson.loads((copy / "run.json").read_bytes())
    (copy / "run.json").write_bytes(orjson.dumps({**run_json, "format": 9}))
    with pytest.raises(ArenaError, match=r"run.json: format version 9, expected 1"):
        resume(copy)
    (copy / "run.json").write_bytes(orjson.dumps(run_json))
    (copy / "checkpoint.json").write_bytes(b"{broken")
    with pytest.raises(ArenaError, match=r"checkpoint.json: corrupted checkpoint"):
        resume(copy)


def test_checkpoint_and_log_must_agree(tmp_path: Path) -> None:
    write_checkpoint(tmp_path, {"round": 1, "seq": 1, "events_bytes": 10})
    assert read_checkpoint(tmp_path) is not None
    log = tmp_path / "events.jsonl"
    log.write_bytes(b"short")
    with pytest.raises(EventLogError, match="shorter than the checkpoint"):
        truncate_events(log, 10, 1)
    log.write_bytes(b'{"seq":0}\n{"seq":1}\n')
    with pytest.raises(EventLogError, match="does not end at event 0"):
        truncate_events(log, len(b'{"seq":0}\n{"seq":1}\n'), 1)
    assert log.read_bytes() == b'{"seq":0}\n{"seq":1}\n', "a refused cut changed the log"
    truncate_events(log, len(b'{"seq":0}\n'), 1)
    assert log.read_bytes() == b'{"seq":0}\n'
    (tmp_path / "checkpoint.json").write_bytes(orjson.dumps({"format": 2}))
    with pytest.raises(EventLogError, match="checkpoint format version 2"):
        read_checkpoint(tmp_path)


def _start(args: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [ARENA, "run", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def test_sigkill_at_several_points_then_resume(tmp_path: Path, finished_run: Path) -> None:
    """SIGKILL a real ``arena run`` (its whole process group) 5 times, resuming each time."""
    c = SMALL
    opts = ["--task", c.task, "--code", str(c.code), "--test", str(c.test), "--rounds",
            str(c.rounds), "--seed", str(c.seed), "--isolation", c.isolation, "--json"]  # fmt: skip
    out = tmp_path / "out"
    proc = _start(["--out", str(out), *opts])
    kills = 0
    for delay in (1.6, 1.2, 2.0, 1.4, 2.4):
        try:
            proc.wait(timeout=delay)
            break
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            kills += 1
        dirs = list(out.iterdir()) if out.exists() else []
        proc = _start(["--resume", str(dirs[0]), "--json"] if dirs else ["--out", str(out), *opts])
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert proc.returncode == 0
    assert kills >= 3
    assert comparable(next(out.iterdir())) == comparable(finished_run)


def test_a_semantically_bad_checkpoint_changes_nothing(tmp_path: Path) -> None:
    """Valid JSON but a wrong state: one-line error, and the run dir is byte-for-byte intact."""
    import shutil

    import orjson

    from arena.errors import ArenaError
    from arena.runner import resume

    golden = Path(__file__).resolve().parents[1] / "golden" / "v1" / "run"
    edits: tuple[tuple[str, Callable[[dict[str, Any]], dict[str, Any]]], ...] = (
        ("empty agent", lambda c: {**c, "code": [{}]}),
        ("source not text", lambda c: {**c, "code": [{**c["code"][0], "solution_source": 12}]}),
        ("round off by one", lambda c: {**c, "round": c["round"] - 1}),
        ("negative length", lambda c: {**c, "events_bytes": -5}),
    )
    for label, edit in edits:
        run_dir = tmp_path / label.replace(" ", "_")
        shutil.copytree(golden, run_dir)
        (run_dir / "summary.json").unlink()
        cp = orjson.loads((run_dir / "checkpoint.json").read_bytes())
        (run_dir / "checkpoint.json").write_bytes(orjson.dumps(edit(cp)))
        before = {p.name: p.read_bytes() for p in run_dir.rglob("*") if p.is_file()}
        with pytest.raises(ArenaError) as info:
            resume(run_dir)
        assert "\n" not in str(info.value), label
        after = {p.name: p.read_bytes() for p in run_dir.rglob("*") if p.is_file()}
        assert after == before, label
