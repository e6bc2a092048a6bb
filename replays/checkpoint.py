"""Checkpoints (``checkpoint.json``) and the event-log surgery that resuming needs.

A checkpoint is written atomically at every round end, after the log is fsynced. It records
the event count (``seq``) and byte length (``events_bytes``) of the log at that instant, so a
resumed run first cuts the log back to exactly that point: the partial round, and any torn
last line a crash left, are dropped and then replayed deterministically.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson

from replays.events import FORMAT_VERSION, EventLogError
from replays.rundir import write_atomic

CHECKPOINT = "checkpoint.json"


def write_checkpoint(run_dir: Path, state: dict[str, Any]) -> None:
    """Write ``state`` (with ``seq`` and ``events_bytes``) as the run's checkpoint."""
    body = {"format": FORMAT_VERSION, **state}
    write_atomic(run_dir / CHECKPOINT, orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY))


def read_checkpoint(run_dir: Path) -> dict[str, Any] | None:
    """The run's checkpoint, or None if it has none; EventLogError if it is unreadable."""
    path = run_dir / CHECKPOINT
    try:
        data = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise EventLogError(f"{path}: cannot read: {exc}") from None
    except orjson.JSONDecodeError as exc:
        raise EventLogError(f"{path}: corrupted checkpoint: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT_VERSION:
        found = data.get("format") if isinstance(data, dict) else None
        raise EventLogError(
            f"{path}: checkpoint format version {found!r}, expected {FORMAT_VERSION}"
        )
    for key in ("seq", "events_bytes", "round"):
        if not isinstance(data.get(key), int):
            raise EventLogError(f"{path}: checkpoint without {key!r}")
    return data


def check_cut(path: Path, length: int, seq: int, round_: int = 0) -> None:
    """EventLogError unless the log's first ``length`` bytes end with event ``seq - 1``,
    which for a checkpoint after round ``round_`` >= 1 must be that round's round_end.
    Reads only."""
    try:
        data = path.read_bytes() if path.exists() else b""
    except OSError as exc:
        raise EventLogError(f"{path}: cannot read: {exc}") from None
    if len(data) < length:
        raise EventLogError(
            f"{path}: {len(data)} bytes, shorter than the checkpoint's {length}; cannot resume"
        )
    if not length:
        return
    tail = data[:length].rstrip(b"\n").rsplit(b"\n", 1)[-1]
    try:
        last = orjson.loads(tail)
    except orjson.JSONDecodeError:
        last = None
    if not isinstance(last, dict) or last.get("seq") != seq - 1:
        raise EventLogError(f"{path}: does not end at event {seq - 1} as the checkpoint says")
    if round_ >= 1 and (last.get("type") != "round_end" or last.get("round") != round_):
        raise EventLogError(
            f"{path}: event {seq - 1} is not the end of round {round_} as the checkpoint says"
        )


def truncate_events(path: Path, length: int, seq: int, round_: int = 0) -> None:
    """Cut the log at ``path`` back to ``length`` bytes, which must hold events 0..seq-1.

    Checks before cutting (``check_cut``): EventLogError, and the log untouched, if the log
    is shorter than that or does not end where the checkpoint says.
    """
    check_cut(path, length, seq, round_)
    try:
        with open(path, "r+b" if path.exists() else "wb") as fh:
            fh.truncate(length)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        raise EventLogError(f"{path}: cannot truncate: {exc}") from None
