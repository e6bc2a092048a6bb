"""A code agent version: a solution plus the proposer that improves it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import orjson


def source_hash(source: str) -> str:
    """Content hash of a solution or proposer source (12 hex digits)."""
    return hashlib.sha256(source.encode()).hexdigest()[:12]


def code_agent_id(
    slot: int, solution: str, proposer: str, parents: tuple[str, ...], born: int
) -> str:
    """Content id of an agent version: equal content gives equal ids, anything else differs."""
    body = orjson.dumps([slot, source_hash(solution), source_hash(proposer), list(parents), born])
    return "c-" + hashlib.sha256(body).hexdigest()[:12]


@dataclass
class CodeAgent:
    """One version of the code agent in population slot ``slot``."""

    id: str
    slot: int
    solution: str
    proposer: str
    parents: tuple[str, ...]
    born: int
    mutation: str
    history: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def create(
        cls,
        slot: int,
        solution: str,
        proposer: str,
        *,
        parents: tuple[str, ...] = (),
        born: int = 0,
        mutation: str = "seed",
    ) -> CodeAgent:
        return cls(
            code_agent_id(slot, solution, proposer, parents, born),
            slot,
            solution,
            proposer,
            parents,
            born,
            mutation,
        )

    @property
    def solution_hash(self) -> str:
        return source_hash(self.solution)

    @property
    def proposer_hash(self) -> str:
        return source_hash(self.proposer)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "slot": self.slot,
            "solution": self.solution_hash,
            "proposer": self.proposer_hash,
            "parents": list(self.parents),
            "born": self.born,
            "mutation": self.mutation,
        }
