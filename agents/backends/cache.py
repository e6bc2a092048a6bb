"""On-disk, content-addressed response cache.

One JSON file per ``request_hash`` (``<dir>/<hash[:2]>/<hash>.json``), written atomically
(temp file, fsync, rename). The directory is ``$ARENA_MODEL_CACHE`` if set, else the user
cache dir ``arena/models`` (platformdirs). Modes: ``off`` (neither read nor write), ``read``
(hits only, nothing written), ``write`` (always call, store answers), ``readwrite``.
Entries hold the answer text and token counts, never a key or a header.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any, Literal, cast

from agents.backends.base import BackendError

CacheMode = Literal["off", "read", "write", "readwrite"]
CACHE_MODES: tuple[CacheMode, ...] = ("off", "read", "write", "readwrite")
CACHE_ENV = "ARENA_MODEL_CACHE"
FORMAT = 1

_HASH = re.compile(r"[0-9a-f]{64}\Z")


def default_cache_dir() -> Path:
    """``$ARENA_MODEL_CACHE``, else platformdirs' user cache dir for ``arena`` + ``models``."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("arena")) / "models"


def parse_mode(mode: str) -> CacheMode:
    """Validate a ``--cache`` value; BackendError (kind ``config``) names the allowed ones."""
    if mode not in CACHE_MODES:
        raise BackendError(
            f"unknown cache mode {mode!r} (use one of: {', '.join(CACHE_MODES)})", kind="config"
        )
    return mode


class ResponseCache:
    """Get and put answers by request hash; unreadable entries count as misses."""

    def __init__(self, directory: Path | str | None = None, mode: str = "readwrite") -> None:
        self.mode: CacheMode = parse_mode(mode)
        self.directory = Path(directory) if directory is not None else default_cache_dir()
        self.hits = 0
        self.misses = 0
        self.writes = 0

    @property
    def reads(self) -> bool:
        return self.mode in ("read", "readwrite")

    @property
    def writes_enabled(self) -> bool:
        return self.mode in ("write", "readwrite")

    def path_for(self, key: str) -> Path:
        if not _HASH.match(key):
            raise ValueError(f"cache key must be a sha256 hex digest, got {key[:16]!r}")
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored entry for ``key``, or None (also when reads are off)."""
        if not self.reads:
            return None
        try:
            data = json.loads(self.path_for(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.misses += 1
            return None
        if not _valid(data, key):
            self.misses += 1
            return None
        self.hits += 1
        return cast(dict[str, Any], data)

    def put(self, key: str, entry: dict[str, Any]) -> None:
        """Store ``entry`` for ``key`` atomically (no-op unless writes are on)."""
        if not self.writes_enabled:
            return
        path = self.path_for(key)
        record = {"v": FORMAT, "request_hash": key, **entry}
        data = json.dumps(record, sort_keys=True, ensure_ascii=False).encode("utf-8")
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self.writes += 1


def _valid(data: Any, key: str) -> bool:
    return (
        isinstance(data, dict)
        and data.get("v") == FORMAT
        and data.get("request_hash") == key
        and isinstance(data.get("text"), str)
        and isinstance(data.get("input_tokens"), int)
        and isinstance(data.get("output_tokens"), int)
    )
