"""Run configuration: validated options of ``arena run``, written into ``run.json``."""

from __future__ import annotations

import urllib.parse
from dataclasses import asdict, dataclass, fields
from typing import Any

from arena.errors import ArenaError


@dataclass(frozen=True, kw_only=True)
class RunConfig:
    """Everything that determines a run (with the package versions recorded beside it)."""

    task: str = "email_validation"
    code: int = 4
    test: int = 4
    rounds: int = 10
    replace_every: int = 2
    seed: int = 0
    model: str = "offline"
    cases_per_agent: int = 2
    """M: at most this many cases per test agent per round enter the suite."""
    score_budget: int = 12
    """ctx.score calls per propose() call."""
    search_examples: int = 400
    """Cap on the hypothesis examples of one test-agent search (genomes evolve their own
    budget within 40..400, so the default cap never binds)."""
    shrink_examples: int = 200
    """Cap on the new inputs one search may try while shrinking its find (genomes: 0..200)."""
    isolation: str = "auto"
    base_url: str | None = None
    """OpenAI-compatible server (else $OPENAI_BASE_URL); only for openai/ models."""
    max_connections: int = 8
    """Model calls in flight at once, per backend."""
    cache: str = "readwrite"
    """Model response cache: off, read, write or readwrite."""
    max_cost: float | None = None
    """Stop at the next round boundary once model calls cost this many USD."""
    max_calls: int | None = None
    """Stop at the next round boundary after this many (uncached) model calls."""
    model_timeout: float = 60.0
    """Seconds one model call may take before it counts as a timeout (and is retried)."""

    def __post_init__(self) -> None:
        self._check_types()
        checks = [
            (self.code >= 1, "--code must be at least 1"),
            (self.test >= 0, "--test must be 0 (fixed-benchmark mode) or more"),
            (self.rounds >= 1, "--rounds must be at least 1"),
            (self.replace_every >= 1, "--replace-every must be at least 1"),
            (self.seed >= 0, "--seed must be a non-negative integer"),
            (self.cases_per_agent >= 1, "cases_per_agent must be at least 1"),
            (self.score_budget >= 0, "score_budget must be non-negative"),
            (self.search_examples >= 1, "search_examples must be at least 1"),
            (self.shrink_examples >= 0, "shrink_examples must be non-negative"),
            (self.isolation in ("auto", "bwrap", "basic"), "isolation: auto, bwrap or basic"),
            (self.code <= 64 and self.test <= 64, "at most 64 agents per population"),
            (self.max_connections >= 1, "--max-connections must be at least 1"),
            (self.model_timeout > 0, "--model-timeout must be positive"),
            (
                self.cache in ("off", "read", "write", "readwrite"),
                "--cache: off, read, write or readwrite",
            ),
            (self.max_cost is None or self.max_cost >= 0, "--max-cost must be non-negative"),
            (self.max_calls is None or self.max_calls >= 0, "--max-calls must be non-negative"),
        ]
        for ok, message in checks:
            if not ok:
                raise ArenaError(message)
        if self.base_url is not None:
            parts = urllib.parse.urlsplit(self.base_url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ArenaError("--base-url must be an http(s) URL")
            if parts.username or parts.password or parts.query or parts.fragment:
                # run.json and events.jsonl record the config; a key must never be in it.
                raise ArenaError(
                    "--base-url must not carry credentials or a query; put the key in "
                    "OPENAI_API_KEY (or GEMINI_API_KEY)"
                )
        if self.model != "offline" and not self.model.startswith(("openai/", "gemini/")):
            raise ArenaError(
                f"unknown model {self.model!r} (offline, openai/<model>, gemini/<model>)"
            )

    def _check_types(self) -> None:
        """ArenaError naming the option when a value has the wrong type (e.g. from run.json)."""
        for f in fields(self):
            value = getattr(self, f.name)
            kinds = {
                "int": (int,),
                "str": (str,),
                "float": (int, float),
                "float | None": (int, float, type(None)),
                "int | None": (int, type(None)),
                "str | None": (str, type(None)),
            }[str(f.type)]
            if type(value) is bool or not isinstance(value, kinds):
                name = f.name.replace("_", "-")
                raise ArenaError(f"option {name}: {value!r} is not a {f.type}")

    @property
    def fixed_mode(self) -> bool:
        """``--test 0``: code agents evolve against the fixed suite alone."""
        return self.test == 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ArenaError(f"unknown config keys: {', '.join(unknown)}")
        try:
            return cls(**data)
        except TypeError as exc:
            raise ArenaError(f"bad config: {exc}") from None
