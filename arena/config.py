"""Run configuration: validated options of ``arena run``, written into ``run.json``."""

from __future__ import annotations

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
    search_examples: int = 150
    """Hypothesis examples per test-agent search."""
    isolation: str = "auto"

    def __post_init__(self) -> None:
        checks = [
            (self.code >= 1, "--code must be at least 1"),
            (self.test >= 0, "--test must be 0 (fixed-benchmark mode) or more"),
            (self.rounds >= 1, "--rounds must be at least 1"),
            (self.replace_every >= 1, "--replace-every must be at least 1"),
            (self.seed >= 0, "--seed must be a non-negative integer"),
            (self.cases_per_agent >= 1, "cases_per_agent must be at least 1"),
            (self.score_budget >= 0, "score_budget must be non-negative"),
            (self.search_examples >= 1, "search_examples must be at least 1"),
            (self.isolation in ("auto", "bwrap", "basic"), "isolation: auto, bwrap or basic"),
            (self.code <= 64 and self.test <= 64, "at most 64 agents per population"),
        ]
        for ok, message in checks:
            if not ok:
                raise ArenaError(message)
        if self.model != "offline" and not self.model.startswith(("openai/", "gemini/")):
            raise ArenaError(
                f"unknown model {self.model!r} (offline, openai/<model>, gemini/<model>)"
            )

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
