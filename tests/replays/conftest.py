"""Shared run dirs for the replays tests: one small finished offline run per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from arena.config import RunConfig
from arena.runner import run

SMALL = RunConfig(
    task="email_validation", code=2, test=2, rounds=3, replace_every=2, seed=5, isolation="basic"
)


@pytest.fixture(scope="session")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished 2v2, 3-round email run (do not modify; copy it first)."""
    return run(SMALL, tmp_path_factory.mktemp("finished")).run_dir
