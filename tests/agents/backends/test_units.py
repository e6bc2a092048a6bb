"""Pure parts of the backend layer: requests and hashes, retry policy, pricing, cache, budget."""

from __future__ import annotations

import asyncio
import email.utils
import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.backends import (
    BackendError,
    Budget,
    BudgetExceeded,
    Completion,
    PriceTable,
    Request,
    ResponseCache,
    RetryPolicy,
    Usage,
    parse_retry_after,
    request_hash,
)
from agents.backends.retry import with_retries

# ---- requests --------------------------------------------------------------------------------


@settings(max_examples=50, deadline=None, database=None)
@given(st.text(max_size=40), st.integers(0, 5), st.integers(0, 5), st.text(max_size=5))
def test_request_hash_covers_content_and_sample_not_tag(
    prompt: str, a: int, b: int, tag: str
) -> None:
    one = request_hash("openai", "m", Request.from_prompt(prompt, sample=a))
    two = request_hash("openai", "m", Request.from_prompt(prompt, sample=b, tag=tag))
    assert (one == two) == (a == b)
    assert one != request_hash("gemini", "m", Request.from_prompt(prompt, sample=a))
    assert one != request_hash("openai", "m2", Request.from_prompt(prompt, sample=a))
    hotter = Request.from_prompt(prompt, sample=a, temperature=1.0)
    assert one != request_hash("openai", "m", hotter)


def test_request_validation() -> None:
    bads: list[Callable[[], object]] = [
        lambda: Request(()),
        lambda: Request.of([{"role": "robot", "content": "x"}]),
        lambda: Request.from_prompt("x", temperature=3.0),
        lambda: Request.from_prompt("x", max_tokens=0),
        lambda: Request.from_prompt("x", sample=-1),
    ]
    for bad in bads:
        with pytest.raises(ValueError):
            bad()


def test_backend_error_is_one_line_and_redacted() -> None:
    error = BackendError("bad key sk-SECRET-123\nsecond line", secrets=["sk-SECRET-123"])
    assert str(error) == "bad key [redacted] second line"


# ---- retry -----------------------------------------------------------------------------------


def test_parse_retry_after() -> None:
    assert parse_retry_after("3") == 3.0 and parse_retry_after("1.5") == 1.5
    assert parse_retry_after("-4") == 0.0 and parse_retry_after(None) is None
    assert parse_retry_after("soon") is None and parse_retry_after("nan") is None
    now = 1_700_000_000.0
    date = email.utils.formatdate(now + 30, usegmt=True)
    assert parse_retry_after(date, now=now) == pytest.approx(30.0)
    assert parse_retry_after(email.utils.formatdate(now - 30, usegmt=True), now=now) == 0.0


def test_backoff_grows_is_capped_and_jittered() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=5.0, jitter=0.5)
    rng = random.Random(0)
    delays = [policy.backoff(n, rng) for n in range(1, 8)]
    caps = [1, 2, 4, 5, 5, 5, 5]
    assert all(c * 0.5 <= d <= c for d, c in zip(delays, caps, strict=True))
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError):
        RetryPolicy(jitter=2.0)


def test_with_retries_bounds_total_time_with_a_fake_clock() -> None:
    now = [0.0]
    slept: list[float] = []

    async def sleep(delay: float) -> None:
        slept.append(delay)
        now[0] += delay

    async def failing() -> str:
        now[0] += 1.0
        raise BackendError("boom", kind="server", retryable=True, status=503)

    policy = RetryPolicy(max_attempts=100, base_delay=2.0, max_delay=8.0, max_total=20.0)
    with pytest.raises(BackendError) as info:
        asyncio.run(with_retries(failing, policy, sleep=sleep, clock=lambda: now[0]))
    assert now[0] <= 20.0 + 1.0  # the last try may start before the bound
    assert len(info.value.attempts) == len(slept) + 1 >= 3


def test_non_backend_errors_propagate() -> None:
    async def bug() -> str:
        raise KeyError("bug")

    with pytest.raises(KeyError):
        asyncio.run(with_retries(bug, RetryPolicy()))


# ---- pricing ---------------------------------------------------------------------------------


def test_prices(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    table = PriceTable.load()
    assert table.date and table.price("openai", "gpt-4o-mini") is not None
    dated = table.price("openai", "gpt-4o-mini-2024-07-18")
    assert dated == table.price("openai", "gpt-4o-mini")  # longest prefix, not gpt-4o
    cost, priced = table.cost("openai", "gpt-4o-mini", 1_000_000, 1_000_000)
    assert priced and cost == pytest.approx(0.15 + 0.60)
    assert table.cost("openai", "my-local-llama", 10, 10) == (0.0, False)
    override = tmp_path / "prices.json"
    override.write_text(
        json.dumps({"openai/my-local-llama": {"input": 1, "output": 2}, "date": "2026-11-01"})
    )
    monkeypatch.setenv("ARENA_PRICES", str(override))
    table = PriceTable.load()
    assert table.date == "2026-11-01"
    assert table.cost("openai", "my-local-llama", 1_000_000, 0) == (1.0, True)
    override.write_text(json.dumps({"gpt-4o": 3}))
    with pytest.raises(BackendError, match="price file"):
        PriceTable.load()


# ---- cache and budget ------------------------------------------------------------------------


def test_cache_round_trip_and_validation(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path, "readwrite")
    key = request_hash("openai", "m", Request.from_prompt("x"))
    assert cache.get(key) is None
    cache.put(key, {"text": "t", "input_tokens": 1, "output_tokens": 2})
    entry = cache.get(key)
    assert entry is not None and entry["text"] == "t" and cache.hits == 1
    assert not list(tmp_path.rglob(".tmp-*"))  # atomic write left no temp file
    with pytest.raises(ValueError):
        cache.path_for("../../etc/passwd")


def test_cache_dir_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARENA_MODEL_CACHE", str(tmp_path / "here"))
    assert ResponseCache().directory == tmp_path / "here"
    monkeypatch.delenv("ARENA_MODEL_CACHE")
    assert ResponseCache().directory.parts[-2:] == ("arena", "models")


def test_budget() -> None:
    budget = Budget(max_calls=1, max_cost=1.0)
    budget.reserve()
    assert budget.exhausted
    with pytest.raises(BudgetExceeded, match="1 calls"):
        budget.reserve()
    budget = Budget(max_cost=0.5)
    budget.reserve()
    budget.charge(0.6)
    with pytest.raises(BudgetExceeded, match="cost"):
        budget.reserve()
    assert budget.to_json()["calls"] == 1
    with pytest.raises(ValueError):
        Budget(max_calls=-1)


def _completion(tokens: int, cost: float, *, cached: bool = False) -> Completion:
    return Completion("x", tokens, 2 * tokens, cost, cached, 0.1, "openai", "m", "h")


def test_usage_and_budget_spend_round_trip_through_json() -> None:
    usage = Usage()
    usage.record(_completion(10, 0.1), "c-1")
    usage.record(_completion(7, 0.2, cached=True), "c-1")
    usage.record(BackendError("boom", kind="server"), "t-1")
    usage.record_malformed("t-1", "inputs")
    data = json.loads(json.dumps(usage.to_json()))
    back = Usage.from_json(data)
    assert back == usage and back.to_json() == usage.to_json()
    back.record(_completion(1, 0.3), "c-2")  # it goes on counting where it stopped
    assert back.total.calls == 2 and back.by_tag["c-2"].calls == 1
    assert Usage.from_json(Usage().to_json()) == Usage()

    budget = Budget(max_calls=3, max_cost=1.0)
    budget.reserve()
    budget.charge(0.25)
    spent = json.loads(json.dumps(budget.spent_state()))
    assert spent == {"calls": 1, "cost_usd": 0.25}  # the spend only: limits are config
    resumed = Budget(max_calls=3, max_cost=1.0)
    resumed.restore_spent(spent)
    assert resumed.to_json() == budget.to_json()
    resumed.reserve()
    resumed.reserve()
    with pytest.raises(BudgetExceeded, match="3 calls"):
        resumed.reserve()


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.pop("by_tag"),
        lambda d: d.update(extra=1),
        lambda d: d.update(by_tag=[]),
        lambda d: d["total"].pop("calls"),
        lambda d: d["total"].update(calls="1"),
        lambda d: d["total"].update(calls=1.5),
        lambda d: d["total"].update(calls=True),
        lambda d: d["total"].update(input_tokens=-1),
        lambda d: d["total"].update(cost_usd=float("nan")),
        lambda d: d["by_tag"].update({"c-1": None}),
    ],
)
def test_malformed_usage_is_refused(mutate: Callable[[dict[str, Any]], object]) -> None:
    usage = Usage()
    usage.record(_completion(10, 0.1), "c-1")
    data = json.loads(json.dumps(usage.to_json()))
    mutate(data)
    with pytest.raises((TypeError, ValueError)):
        Usage.from_json(data)


@pytest.mark.parametrize(
    "state",
    [
        None,
        {},
        {"calls": 3},
        {"calls": -1, "cost_usd": 2.0},
        {"calls": 3, "cost_usd": "0"},
        {"calls": 3, "cost_usd": float("nan")},
    ],
)
def test_malformed_budget_spend_is_refused_and_changes_nothing(state: object) -> None:
    budget = Budget(max_calls=5)
    budget.reserve()
    budget.charge(0.5)
    with pytest.raises((TypeError, ValueError)):
        budget.restore_spent(state)
    assert budget.spent_state() == {"calls": 1, "cost_usd": 0.5}
