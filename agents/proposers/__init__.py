"""Proposer sources, as text: what a code agent carries and the sandbox runs.

``seed.py`` in this package is the seed proposer. It is kept as a real module so that linters
and type checkers read it, but the arena only ever uses its *text* (``SEED_PROPOSER``): it is
never imported to run a round.
"""

from __future__ import annotations

from importlib import resources


def seed_proposer_source() -> str:
    """The seed proposer's source text (defines ``propose(ctx)``; standard library only)."""
    return resources.files(__name__).joinpath("seed.py").read_text(encoding="utf-8")


SEED_PROPOSER: str = seed_proposer_source()
"""The seed proposer's source text, read once at import."""

__all__ = ["SEED_PROPOSER", "seed_proposer_source"]
