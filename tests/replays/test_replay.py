"""Replay from events alone: state at a round, the summary, and bad run dirs."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from replays.events import EventLogError
from replays.replay import load_run, state_at, summary_from_events, without_volatile

ARENA = str(Path(sys.executable).with_name("arena"))


def test_summary_is_reproduced_exactly(finished_run: Path) -> None:
    saved = orjson.loads((finished_run / "summary.json").read_bytes())
    assert summary_from_events(load_run(finished_run)) == without_volatile(saved)


def test_state_at_each_round(finished_run: Path) -> None:
    data = load_run(finished_run)
    assert data.complete and data.rounds_played == 3
    sizes = []
    for r in range(4):
        state = state_at(data, r)
        assert state["round"] == r
        assert len(state["leaderboard"]) == 2
        sizes.append(state["suite_size"])
        if r:
            scores = [a["score"] for a in state["leaderboard"]]
            assert scores == sorted(scores, reverse=True)
            assert state["leader"] in {a["id"] for a in state["leaderboard"]}
            for case in state["new_cases"]:
                assert case["origin"].endswith(f"@{r}") and case["broke"]
            assert len(state["test_turns"]) == 2
            end = next(e for e in data.events if e["type"] == "round_end" and e["round"] == r)
            assert set(end["test"]) == {t["agent"] for t in state["test_turns"]}
    assert sizes == sorted(sizes) and sizes[-1] > sizes[0]
    with pytest.raises(ValueError, match="round 4 was not played"):
        state_at(data, 4)


def _copy(finished_run: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "run"
    shutil.copytree(finished_run, copy)
    return copy


def _rewrite_line(path: Path, index: int, text: bytes) -> None:
    lines = path.read_bytes().split(b"\n")
    lines[index] = text
    path.write_bytes(b"\n".join(lines))


def test_hostile_run_dirs(finished_run: Path, tmp_path: Path) -> None:
    with pytest.raises(EventLogError, match="not a run dir"):
        load_run(tmp_path / "nope")
    d = _copy(finished_run, tmp_path)
    log = d / "events.jsonl"
    _rewrite_line(log, 7, b'{"v":1,"seq":7,"round":1,"type":"case_accepted"}')
    with pytest.raises(EventLogError, match=r"events.jsonl:8: case_accepted event without 'key'"):
        load_run(d)
    shutil.copy(finished_run / "events.jsonl", log)
    lines = log.read_bytes().split(b"\n")
    del lines[5]
    log.write_bytes(b"\n".join(lines))
    with pytest.raises(EventLogError, match=r"events.jsonl:6: seq 6, expected 5"):
        load_run(d)
    (d / "run.json").unlink()
    with pytest.raises(EventLogError, match=r"run.json: no such file"):
        load_run(d)


def test_summary_needs_a_finished_run(finished_run: Path, tmp_path: Path) -> None:
    d = _copy(finished_run, tmp_path)
    log = d / "events.jsonl"
    lines = log.read_bytes().rstrip(b"\n").split(b"\n")
    log.write_bytes(b"\n".join(lines[:-2]) + b"\n")
    with pytest.raises(EventLogError, match="has not finished"):
        summary_from_events(load_run(d))


def _arena(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ARENA, *args], capture_output=True, text=True, timeout=60)


def test_cli_replay(finished_run: Path, tmp_path: Path) -> None:
    res = _arena("replay", str(finished_run), "--json")
    assert res.returncode == 0, res.stderr
    state = orjson.loads(res.stdout)
    assert state["summary_reproduced"] is True and state["round"] == 3
    res = _arena("replay", str(finished_run), "--round", "1")
    assert res.returncode == 0 and "Round 1/3" in res.stdout
    schema = orjson.loads(_arena("replay", "--schema").stdout)
    assert schema["$schema"].startswith("https://json-schema.org/")
    d = _copy(finished_run, tmp_path)
    _rewrite_line(d / "events.jsonl", 9, b'{"v":1,"seq":9,"rou')
    res = _arena("replay", str(d))
    assert res.returncode == 2
    assert res.stderr.count("\n") == 1 and "events.jsonl:10: corrupted event" in res.stderr
    (d / "run.json").write_bytes(b'{"format": 7, "config": {}}')
    res = _arena("replay", str(d))
    assert res.returncode == 2 and "run.json: format version 7, expected 1" in res.stderr
    res = _arena("lineage", str(tmp_path / "missing"))
    assert res.returncode == 2 and "not a run dir" in res.stderr


def test_cli_verify_reruns_and_matches(finished_run: Path) -> None:
    res = _arena("replay", str(finished_run), "--verify", "--json")
    assert res.returncode == 0, res.stderr
    report = orjson.loads(res.stdout)
    assert report["verified"] is True and report["events"] == report["rerun_events"] > 10
