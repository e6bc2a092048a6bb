"""Fixtures: fake servers on 127.0.0.1, secret keys in the environment, a recording sleep."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from agents.backends import ManagedBackend, RetryPolicy, make_backend
from tests.fakes.base import FakeServer
from tests.fakes.gemini_server import FakeGemini
from tests.fakes.openai_server import FakeOpenAI

OPENAI_KEY = "sk-test-OPENAI-0123456789abcdef"
GEMINI_KEY = "AIza-test-GEMINI-0123456789abcdef"
KEYS = (OPENAI_KEY, GEMINI_KEY)


class Sleeps:
    """An injectable ``sleep`` that records waits and does not wait."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("OPENAI_BASE_URL", "GOOGLE_API_KEY", "ARENA_PRICES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
    monkeypatch.setenv("GEMINI_API_KEY", GEMINI_KEY)
    monkeypatch.setenv("ARENA_MODEL_CACHE", str(tmp_path / "cache"))


@pytest.fixture(params=["openai", "gemini"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def server(kind: str) -> Iterator[FakeServer]:
    fake: FakeServer = FakeOpenAI() if kind == "openai" else FakeGemini()
    with fake:
        yield fake


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


Factory = Callable[..., ManagedBackend]


def base_url(kind: str, server: FakeServer) -> str:
    return server.url + "/v1" if kind == "openai" else server.url


@pytest.fixture
def make(kind: str, server: FakeServer, sleeps: Sleeps) -> Factory:
    """Build a backend of ``kind`` pointed at ``server`` (fast retries, recorded sleeps)."""

    def build(**kw: Any) -> ManagedBackend:
        kw.setdefault("retry", RetryPolicy(max_attempts=4, base_delay=0.1, max_total=30))
        kw.setdefault("timeout", 5.0)
        kw.setdefault("sleep", sleeps)
        model = kw.pop("model", "gpt-4o-mini" if kind == "openai" else "gemini-2.5-flash")
        url = kw.pop("base_url", base_url(kind, server))
        backend = make_backend(f"{kind}/{model}", base_url=url, **kw)
        assert backend is not None
        return backend

    return build
