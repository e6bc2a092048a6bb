"""The append-only event log of a run (``events.jsonl``): the source of truth for replays.

One orjson object per line: ``{"v": 1, "seq": n, "round": r, "type": "...", ...body}``,
flushed after every event. Fields named in ``VOLATILE`` (wall-clock times and durations) are
the only ones allowed to differ between two runs with the same seed and options.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import orjson

FORMAT_VERSION = 1
VOLATILE = frozenset({"ts", "seconds", "wall", "elapsed", "latency", "delay"})
"""Event fields that hold measured times; everything else is deterministic."""

_OPTS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY


class EventLogError(Exception):
    """A run dir cannot be read (a file missing, corrupt, or of another format version).

    The one error type of the ``replays`` package; its message names the file (and line)."""


class EventLog:
    """Appends events to ``path``; one writer per run."""

    def __init__(self, path: Path, *, next_seq: int = 0) -> None:
        self.path = path
        self.seq = next_seq
        self._fh: IO[bytes] = open(path, "ab")  # noqa: SIM115

    def emit(self, type_: str, round_: int, **body: Any) -> dict[str, Any]:
        """Write one event and flush it; return the event."""
        event = {"v": FORMAT_VERSION, "seq": self.seq, "round": round_, "type": type_, **body}
        self._fh.write(orjson.dumps(event, option=_OPTS) + b"\n")
        self._fh.flush()
        self.seq += 1
        return event

    def offset(self) -> int:
        """Bytes written so far (the length of the file after a flush)."""
        self._fh.flush()
        return self._fh.tell()

    def sync(self) -> None:
        """fsync the log (at round ends, before a checkpoint)."""
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        if not self._fh.closed:
            self.sync()
            self._fh.close()

    def __enter__(self) -> EventLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_events(path: Path, *, tolerate_torn_tail: bool = False) -> Iterator[dict[str, Any]]:
    """Yield the events of ``path`` in order; raise EventLogError naming file and line.

    ``tolerate_torn_tail`` ignores an unterminated last line (what a crash mid-write leaves).
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise EventLogError(f"{path}: no such file") from None
    except OSError as exc:
        raise EventLogError(f"{path}: cannot read: {exc}") from None
    lines = data.split(b"\n")
    torn = lines.pop()  # b"" when the file ends with a newline
    if torn and not tolerate_torn_tail:
        lines.append(torn)
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            event = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise EventLogError(f"{path}:{number}: corrupted event: {exc}") from None
        if not isinstance(event, dict) or event.get("v") != FORMAT_VERSION:
            found = event.get("v") if isinstance(event, dict) else None
            raise EventLogError(
                f"{path}:{number}: event format version {found!r}, expected {FORMAT_VERSION}"
            )
        yield event


def stable(event: dict[str, Any]) -> dict[str, Any]:
    """The event without its volatile (timing) fields, at any depth, for comparing runs."""
    return {k: _stable(v) for k, v in event.items() if k not in VOLATILE}


def _stable(value: Any) -> Any:
    if isinstance(value, dict):
        return stable(value)
    if isinstance(value, list):
        return [_stable(v) for v in value]
    return value
