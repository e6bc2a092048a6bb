"""Hall of fame: past champions and past breaking cases, so the arms race cannot cycle.

Champion solutions are offered to code agents as crossover peers and stay targets for test
agents; breaking cases seed the test agents' mutation archive. Both are bounded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tasks import Args


@dataclass
class HallOfFame:
    """Bounded, ordered record of champions (by round) and breaking inputs."""

    max_champions: int = 8
    max_cases: int = 64
    champions: list[dict[str, Any]] = field(default_factory=list)
    cases: list[Args] = field(default_factory=list)

    def add_champion(self, round_: int, agent_id: str, solution: str, score: float) -> bool:
        """Record a round's champion unless its solution is already in; True if added."""
        if any(c["solution"] == solution for c in self.champions):
            return False
        self.champions.append(
            {"round": round_, "agent": agent_id, "solution": solution, "score": score}
        )
        del self.champions[: -self.max_champions]
        return True

    def add_cases(self, inputs: list[Args]) -> None:
        for args in inputs:
            if args not in self.cases:
                self.cases.append(args)
        del self.cases[: -self.max_cases]

    def solutions(self) -> list[str]:
        return [c["solution"] for c in self.champions]

    def to_json(self) -> dict[str, Any]:
        return {"champions": self.champions, "cases": [list(a) for a in self.cases]}
