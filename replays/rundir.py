"""The files of a run dir, written atomically (temp file, fsync, rename)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any

import orjson

from agents.code_agent import source_hash


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that a crash leaves the old or the new file, whole."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_json(path: Path, value: Any) -> None:
    write_atomic(
        path,
        orjson.dumps(
            value, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY
        )
        + b"\n",
    )


class RunDir:
    """Paths and writers for one run's directory."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.solutions = path / "solutions"
        self.proposers = path / "proposers"

    def create(self) -> None:
        self.path.mkdir(parents=True, exist_ok=False)
        self.solutions.mkdir()
        self.proposers.mkdir()

    @property
    def events(self) -> Path:
        return self.path / "events.jsonl"

    def save_source(self, kind: str, source: str) -> str:
        """Store a solution or proposer under its content hash (once); return the hash."""
        h = source_hash(source)
        folder = self.solutions if kind == "solution" else self.proposers
        target = folder / f"{h}.py"
        if not target.exists():
            write_atomic(target, source.encode())
        return h
