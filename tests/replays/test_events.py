"""The event writer and reader: order, flushing, torn tails and hostile files."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from replays.events import FORMAT_VERSION, EventLog, EventLogError, read_events, stable


def test_emit_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    with EventLog(path) as log:
        log.emit("run_start", 0, config={})
        assert path.read_bytes().count(b"\n") == 1, "not flushed per event"
        log.emit("round_end", 1, seconds=0.5, code={"a": 1.0})
        assert log.offset() == path.stat().st_size
    events = list(read_events(path))
    assert [e["seq"] for e in events] == [0, 1]
    assert all(e["v"] == FORMAT_VERSION for e in events)
    assert stable(events[1]) == {"v": 1, "seq": 1, "round": 1, "type": "round_end",
                                 "code": {"a": 1.0}}  # fmt: skip


def test_next_seq_continues(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    with EventLog(path) as log:
        log.emit("a", 0)
    with EventLog(path, next_seq=1) as log:
        log.emit("b", 0)
    assert [e["seq"] for e in read_events(path)] == [0, 1]


def test_torn_tail_is_tolerated_only_when_asked(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    with EventLog(path) as log:
        log.emit("a", 0)
    with open(path, "ab") as fh:
        fh.write(b'{"v":1,"seq":1,"rou')
    assert len(list(read_events(path, tolerate_torn_tail=True))) == 1
    with pytest.raises(EventLogError, match=r"events.jsonl:2: corrupted event"):
        list(read_events(path))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"v":1,"seq":0}\nnot json\n{"v":1,"seq":2}\n', r"events.jsonl:2: corrupted event"),
        (b'{"v":2,"seq":0}\n', r"events.jsonl:1: event format version 2, expected 1"),
        (b"[1, 2]\n", r"events.jsonl:1: event format version None"),
    ],
)
def test_hostile_logs_name_file_and_line(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(content)
    with pytest.raises(EventLogError, match=message):
        list(read_events(path))


def test_missing_log(tmp_path: Path) -> None:
    with pytest.raises(EventLogError, match="no such file"):
        list(read_events(tmp_path / "events.jsonl"))


def test_numpy_values_serialize(tmp_path: Path) -> None:
    import numpy as np

    path = tmp_path / "events.jsonl"
    with EventLog(path) as log:
        log.emit("x", 0, n=np.int64(3), a=np.arange(2))
    assert orjson.loads(path.read_bytes())["a"] == [0, 1]
