"""Both backends through their real clients over HTTP to local fake servers."""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agents.backends import (
    BackendError,
    BackgroundLoop,
    Budget,
    BudgetExceeded,
    Completion,
    MissingKey,
    Request,
    RetryPolicy,
    Usage,
    complete_many,
    make_backend,
    parse_model_spec,
)
from tests.agents.backends.conftest import KEYS, Factory, Sleeps
from tests.fakes.base import FakeServer, Fault

PROMPT = Request.from_prompt("Write square(x) returning x squared.", temperature=0.0, seed=7)


def run(coro: object) -> object:
    return asyncio.run(coro)  # type: ignore[arg-type]


def complete(backend: object, request: Request = PROMPT) -> Completion:
    result = run(backend.complete(request))  # type: ignore[attr-defined]
    assert isinstance(result, Completion)
    return result


# ---- success -------------------------------------------------------------------------------


def test_success_speaks_the_wire_format(kind: str, server: FakeServer, make: Factory) -> None:
    backend = make()
    request = Request.of(
        [
            {"role": "system", "content": "You write Python."},
            {"role": "user", "content": "Write square(x)."},
        ],
        temperature=0.2,
        max_tokens=64,
        seed=3,
    )
    result = complete(backend, request)
    assert "def square" in result.text
    assert result.input_tokens > 0 and result.output_tokens > 0
    assert result.cost_usd > 0 and result.priced and not result.cached
    assert result.backend == kind and len(result.request_hash) == 64
    assert [a.outcome for a in result.attempts] == ["ok"]
    (seen,) = server.requests
    headers = {k.lower(): v for k, v in seen.headers.items()}
    if kind == "openai":
        assert seen.path == "/v1/chat/completions"
        assert headers["authorization"] == f"Bearer {KEYS[0]}"
        assert seen.body["messages"][0] == {"role": "system", "content": "You write Python."}
        assert seen.body["max_tokens"] == 64 and seen.body["seed"] == 3
    else:
        assert seen.path.endswith("/models/gemini-2.5-flash:generateContent")
        assert headers["x-goog-api-key"] == KEYS[1]
        assert seen.body["systemInstruction"]["parts"][0]["text"] == "You write Python."
        assert seen.body["generationConfig"]["maxOutputTokens"] == 64
    # The key travels in its auth header only: not in the URL, not in the body.
    key = KEYS[0] if kind == "openai" else KEYS[1]
    others = {k: v for k, v in headers.items() if k not in ("authorization", "x-goog-api-key")}
    assert key not in seen.path and key not in json.dumps(seen.body) and key not in str(others)


# ---- faults ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "outcome"),
    [
        (Fault("server"), "server"),
        (Fault("drop"), "connection"),
        (Fault("garbage"), "garbage"),
        (Fault("rate_limit"), "rate_limit"),
    ],
)
def test_faults_are_retried_then_succeed(
    server: FakeServer, make: Factory, sleeps: Sleeps, fault: Fault, outcome: str
) -> None:
    server.push(fault, fault)
    result = complete(make())
    assert "def square" in result.text
    assert [a.outcome for a in result.attempts] == [outcome, outcome, "ok"]
    assert server.count == 3 and len(sleeps.delays) == 2
    assert sleeps.delays[1] > sleeps.delays[0] * 1.0  # exponential growth beats the jitter


def test_timeout_is_retried(server: FakeServer, make: Factory) -> None:
    server.push(Fault("delay", seconds=3.0))
    result = complete(make(timeout=0.3))
    assert [a.outcome for a in result.attempts] == ["timeout", "ok"]


def test_retry_after_is_honoured(server: FakeServer, make: Factory, sleeps: Sleeps) -> None:
    server.push(Fault("rate_limit", retry_after="7"))
    result = complete(make())
    assert sleeps.delays == [7.0]
    assert result.attempts[0].retry_after == 7.0 and result.attempts[0].status == 429


def test_retry_after_beyond_the_time_bound_fails_at_once(
    server: FakeServer, make: Factory, sleeps: Sleeps
) -> None:
    server.push(Fault("rate_limit", retry_after="100"))
    with pytest.raises(BackendError) as info:
        complete(make(retry=RetryPolicy(max_total=10)))
    assert info.value.kind == "rate_limit" and sleeps.delays == [] and server.count == 1


def test_persistent_failure_stops_at_the_bound(
    server: FakeServer, make: Factory, sleeps: Sleeps
) -> None:
    server.push(*[Fault("server")] * 10)
    with pytest.raises(BackendError) as info:
        complete(make(retry=RetryPolicy(max_attempts=3, base_delay=0.1)))
    error = info.value
    assert error.kind == "server" and error.status == 500
    assert len(error.attempts) == 3 and server.count == 3 and len(sleeps.delays) == 2
    assert "\n" not in str(error)


def test_client_errors_are_not_retried(kind: str, server: FakeServer, make: Factory) -> None:
    server.push(Fault("status", status=401 if kind == "openai" else 400))
    with pytest.raises(BackendError) as info:
        complete(make())
    assert info.value.kind == "client" and not info.value.retryable and server.count == 1


def test_jitter_is_deterministic_per_request(server: FakeServer, make: Factory) -> None:
    runs = []
    for _ in range(2):
        sleeps = Sleeps()
        server.push(Fault("server"), Fault("server"))
        complete(make(sleep=sleeps, cache_mode="off"))
        runs.append(sleeps.delays)
    assert runs[0] == runs[1]


# ---- cache -----------------------------------------------------------------------------------


def test_cache_hit_makes_no_request(server: FakeServer, make: Factory, tmp_path: Path) -> None:
    first = complete(make())
    second = complete(make())  # a fresh backend, as a rerun would build
    assert server.count == 1
    assert second.cached and second.cost_usd == 0.0 and second.text == first.text
    assert second.request_hash == first.request_hash
    assert len(list((tmp_path / "cache").rglob("*.json"))) == 1


def test_n_samples_are_n_entries(server: FakeServer, make: Factory, tmp_path: Path) -> None:
    backend = make()
    requests = [Request.from_prompt("p", sample=i) for i in range(3)]
    results = run(complete_many(backend, requests))
    assert server.count == 3 and len({r.request_hash for r in results}) == 3  # type: ignore[attr-defined]
    assert len(list((tmp_path / "cache").rglob("*.json"))) == 3
    run(complete_many(make(), requests))
    assert server.count == 3


def test_cache_modes(server: FakeServer, make: Factory, tmp_path: Path) -> None:
    def files() -> list[Path]:
        return list((tmp_path / "cache").rglob("*.json"))

    complete(make(cache_mode="off"))
    complete(make(cache_mode="read"))
    assert server.count == 2 and files() == []
    complete(make(cache_mode="write"))
    assert len(files()) == 1
    complete(make(cache_mode="write"))  # write never reads
    assert server.count == 4
    assert complete(make(cache_mode="read")).cached and server.count == 4
    with pytest.raises(BackendError, match="unknown cache mode"):
        make(cache_mode="sometimes")


def test_cache_ignores_corrupt_entries(server: FakeServer, make: Factory, tmp_path: Path) -> None:
    complete(make())
    (entry,) = list((tmp_path / "cache").rglob("*.json"))
    entry.write_text("{not json")
    assert not complete(make()).cached and server.count == 2


def test_rerun_with_cache_makes_zero_calls_even_when_budget_is_spent(
    server: FakeServer, make: Factory
) -> None:
    complete(make())
    result = complete(make(budget=Budget(max_calls=0)))
    assert result.cached and server.count == 1


# ---- keys and secrets ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "variable"),
    [("openai/gpt-4o", "OPENAI_API_KEY"), ("gemini/gemini-2.5-pro", "GEMINI_API_KEY")],
)
def test_missing_key_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, spec: str, variable: str
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    monkeypatch.delenv("GEMINI_API_KEY")
    with pytest.raises(MissingKey) as info:
        make_backend(spec)
    message = str(info.value)
    assert variable in message and "\n" not in message
    if spec.startswith("gemini"):
        assert "GOOGLE_API_KEY" in message


def test_google_api_key_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GEMINI_API_KEY")
    monkeypatch.setenv("GOOGLE_API_KEY", "AIza-other-key-123456")
    assert make_backend("gemini/gemini-2.5-flash") is not None


def test_model_specs() -> None:
    assert parse_model_spec("offline") is None and make_backend("offline") is None
    assert parse_model_spec("openai/gpt-4o-mini") == ("openai", "gpt-4o-mini")
    assert parse_model_spec("openai/org/model:tag") == ("openai", "org/model:tag")
    for bad in ("gpt-4o", "anthropic/claude", "openai/", "openai/ x"):
        with pytest.raises(BackendError, match="unknown model spec"):
            parse_model_spec(bad)


def test_openai_base_url_from_environment(
    kind: str, server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    if kind != "openai":
        pytest.skip("OPENAI_BASE_URL is openai's")
    monkeypatch.setenv("OPENAI_BASE_URL", server.url + "/v1")
    backend = make_backend("openai/local-model")
    assert backend is not None
    assert "def square" in complete(backend).text and server.count == 1


def test_key_never_leaks(
    kind: str,
    server: FakeServer,
    make: Factory,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    backend = make(retry=RetryPolicy(max_attempts=2, base_delay=0.1))
    ok = complete(backend)
    server.push(Fault("rate_limit"), Fault("server"))
    errors: list[BackendError] = []
    try:
        complete(backend, Request.from_prompt("another"))
    except BackendError as exc:
        errors.append(exc)
    server.push(Fault("status", status=401 if kind == "openai" else 403))
    try:
        complete(backend, Request.from_prompt("a third"))
    except BackendError as exc:
        errors.append(exc)
    assert len(errors) == 2
    texts = [str(e) + repr(e) + repr(e.__cause__) + repr(e.__context__) for e in errors]
    texts.append(json.dumps(ok.to_json()))
    texts.append(caplog.text)
    texts += [p.read_text() for p in (tmp_path / "cache").rglob("*") if p.is_file()]
    for key in KEYS:
        for text in texts:
            assert key not in text


def test_backends_import_no_client_until_needed() -> None:
    code = (
        "import sys, agents.backends, agents.prompts\n"
        "assert 'openai' not in sys.modules and 'google.genai' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# ---- concurrency, budget, usage ---------------------------------------------------------------


def test_max_connections_bounds_requests_in_flight(server: FakeServer, make: Factory) -> None:
    server.latency = 0.15
    backend = make(max_connections=2, cache_mode="off")
    requests = [Request.from_prompt(f"p{i}") for i in range(6)]
    results = run(complete_many(backend, requests))
    assert all(isinstance(r, Completion) for r in results)  # type: ignore[attr-defined]
    assert server.count == 6 and server.max_in_flight == 2


def test_complete_many_runs_calls_concurrently(server: FakeServer, make: Factory) -> None:
    server.latency = 0.3
    backend = make(max_connections=8, cache_mode="off")
    loop = BackgroundLoop()
    try:
        loop.complete_many(backend, [Request.from_prompt("warm up")])  # client start-up
        began = time.monotonic()
        results = loop.complete_many(backend, [Request.from_prompt(f"q{i}") for i in range(8)])
        wall = time.monotonic() - began
        again = loop.complete_many(backend, [Request.from_prompt("next round")])
    finally:
        loop.run(backend.aclose())
        loop.close()
    assert all(isinstance(r, Completion) for r in [*results, *again])
    # Overlapping (a loaded machine may finish one before the last connection opens), never
    # beyond the bound, and far below the serial sum.
    assert 4 <= server.max_in_flight <= 8
    assert wall < 8 * 0.3, wall


def test_budget_stops_new_calls(server: FakeServer, make: Factory) -> None:
    budget = Budget(max_calls=2)
    backend = make(budget=budget, cache_mode="off")
    results = run(complete_many(backend, [Request.from_prompt(f"b{i}") for i in range(3)]))
    failures = [r for r in results if isinstance(r, BudgetExceeded)]  # type: ignore[attr-defined]
    assert len(failures) == 1 and server.count == 2 and budget.exhausted
    cost_budget = Budget(max_cost=1e-12)
    backend = make(budget=cost_budget, cache_mode="off")
    complete(backend, Request.from_prompt("c1"))
    with pytest.raises(BudgetExceeded, match="cost budget"):
        complete(backend, Request.from_prompt("c2"))


def test_failed_calls_are_returned_and_counted(server: FakeServer, make: Factory) -> None:
    server.push(*[Fault("server")] * 2)
    backend = make(retry=RetryPolicy(max_attempts=2, base_delay=0.1), cache_mode="off")
    requests = [Request.from_prompt("u", tag="agent-a"), Request.from_prompt("v", tag="agent-b")]
    results = run(complete_many(backend, requests[:1])) + run(complete_many(backend, requests[1:]))  # type: ignore[operator]
    usage = Usage()
    for result in results:
        usage.record(result)
    usage.record_malformed("agent-b")
    data = usage.to_json()
    assert data["by_tag"]["agent-a"]["failed"] == 1
    assert data["by_tag"]["agent-b"]["calls"] == 1 and data["by_tag"]["agent-b"]["malformed"] == 1
    assert data["total"]["cost_usd"] > 0
    assert isinstance(results[0], BackendError) and results[0].tag == "agent-a"


def test_retry_after_http_date(server: FakeServer, make: Factory, sleeps: Sleeps) -> None:
    import email.utils

    server.push(
        Fault("rate_limit", retry_after=email.utils.formatdate(time.time() + 6, usegmt=True))
    )
    complete(make())
    (delay,) = sleeps.delays
    assert 3.0 <= delay <= 6.0  # the header has one-second resolution


def test_one_backend_serves_successive_event_loops(server: FakeServer, make: Factory) -> None:
    backend = make(cache_mode="off", max_connections=1)
    for i in range(2):  # an engine may call asyncio.run once per round
        results = run(complete_many(backend, [Request.from_prompt(f"r{i}-{j}") for j in range(2)]))
        assert all(isinstance(r, Completion) for r in results)  # type: ignore[attr-defined]
    assert server.count == 4


def test_describe_holds_no_secret(kind: str, server: FakeServer, make: Factory) -> None:
    backend = make(base_url=f"http://user:{KEYS[0]}@127.0.0.1:9/v1?key={KEYS[1]}")
    spec = json.dumps(backend.describe())
    assert all(key not in spec for key in KEYS)
    assert backend.describe()["base_url"] == "http://127.0.0.1:9/v1"
    assert backend.describe()["backend"] == kind
