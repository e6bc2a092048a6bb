"""Model-backed tournaments end to end: the real openai and google-genai clients, over real
HTTP, against local servers on 127.0.0.1 that speak each API's wire format."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from arena.config import RunConfig
from arena.engine import RoundReport
from arena.errors import ArenaError
from arena.runner import resume, run
from replays.events import read_events, stable
from tasks import get_task
from tests.fakes.base import FakeServer, Fault, prompt_text
from tests.fakes.gemini_server import FakeGemini
from tests.fakes.openai_server import FakeOpenAI

KEY = "sk-arena-test-key-do-not-leak-7f3a"
TASK = "humaneval:id=3"
CANONICAL = get_task(TASK).reference_solution


def answer(path: str, body: Any) -> str:
    """A model that repairs below_zero, proposes inputs and rewrites proposers."""
    text = prompt_text(body)
    if "JSON list" in text:
        return "Here:\n[[[1, -2]], [[0, 0]], [[5, -5, -1]], [[3, -1, -1, -1]]]"
    if "propose(ctx)" in text:
        return (
            "```python\n"
            "N_CANDIDATES = 5\n\n"
            "def propose(ctx):\n"
            "    out = []\n"
            "    for _ in range(N_CANDIDATES):\n"
            "        child = ctx.mutate(ctx.solution)\n"
            "        if child:\n"
            "            out.append(child)\n"
            "    return out\n"
            "```"
        )
    return f"The bug is in the loop. Fixed:\n```python\n{CANONICAL}\n```\n"


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("OPENAI_BASE_URL", "GOOGLE_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("GEMINI_API_KEY", KEY)
    monkeypatch.setenv("ARENA_MODEL_CACHE", str(tmp_path / "model-cache"))


@pytest.fixture(params=["openai", "gemini"])
def server(request: pytest.FixtureRequest) -> Iterator[tuple[str, FakeServer]]:
    fake: FakeServer = (
        FakeOpenAI(answer=answer) if request.param == "openai" else FakeGemini(answer=answer)
    )
    with fake:
        yield str(request.param), fake


def config(kind: str, fake: FakeServer, **kw: Any) -> RunConfig:
    url = fake.url + "/v1" if kind == "openai" else fake.url
    model = "openai/gpt-4.1-mini" if kind == "openai" else "gemini/gemini-2.5-flash"
    options: dict[str, Any] = {
        "task": TASK,
        "code": 2,
        "test": 2,
        "rounds": 2,
        "replace_every": 2,
        "seed": 0,
        "model": model,
        "base_url": url,
        "isolation": "basic",
    }
    options.update(kw)
    return RunConfig(**options)


def all_text(run_dir: Path) -> str:
    return "\n".join(p.read_text(errors="replace") for p in run_dir.rglob("*") if p.is_file())


def test_2v2_tournament_with_a_model(server: tuple[str, FakeServer], tmp_path: Path) -> None:
    kind, fake = server
    first = run(config(kind, fake), tmp_path / "a")
    calls = [e for e in read_events(first.run_dir / "events.jsonl") if e["type"] == "model_call"]
    purposes = {e["purpose"] for e in calls}
    assert {"code", "test", "meta"} <= purposes
    assert all(e["ok"] for e in calls)
    assert fake.count == len(calls)
    # The model's repair was evaluated in the sandbox and won: the champion passes the
    # hidden suite, which no agent and no model ever saw.
    assert first.summary["champion"]["scores"]["hidden"] == 1.0
    usage = first.summary["models"]["usage"]["total"]
    assert usage["calls"] == len(calls) and usage["input_tokens"] > 0
    # Secrets stay out of every file the run wrote.
    assert KEY not in all_text(first.run_dir)
    # The same run again is served entirely from the response cache: zero HTTP requests.
    before = fake.count
    second = run(config(kind, fake), tmp_path / "b")
    assert fake.count == before
    assert second.summary["champion"] == first.summary["champion"]
    again = [e for e in read_events(second.run_dir / "events.jsonl") if e["type"] == "model_call"]
    assert len(again) == len(calls) and all(e["cache_hit"] for e in again)


def test_faults_are_retried_and_logged(tmp_path: Path) -> None:
    with FakeOpenAI(answer=answer) as fake:
        faults = [
            Fault("rate_limit", retry_after="0"),
            Fault("server"),
            Fault("delay", seconds=1.5),  # beyond the 0.5 s timeout below
        ]
        fake.push(*(faults * 3))  # the first 9 requests misbehave
        result = run(config("openai", fake, max_connections=2, model_timeout=0.5), tmp_path)
    events = list(read_events(result.run_dir / "events.jsonl"))
    calls = [e for e in events if e["type"] == "model_call"]
    seen = [a["outcome"] for e in calls for a in e["attempts"] if a["outcome"] != "ok"]
    assert len(seen) == 9, seen
    assert {"rate_limit", "server", "timeout"} <= set(seen)
    total = len(seen) + len(calls)
    assert len(seen) / total >= 0.3  # at least 30% of all requests failed
    assert events[-1]["type"] == "run_end" and events[-1]["stopped"] == "completed"
    assert KEY not in all_text(result.run_dir)


def test_budget_stops_the_run_at_a_round_boundary(tmp_path: Path) -> None:
    with FakeOpenAI(answer=answer) as fake:
        result = run(config("openai", fake, rounds=4, max_calls=3), tmp_path)
    assert result.summary["rounds"] < 4
    assert result.summary["stopped"].startswith("model budget spent")


class Crash(Exception):
    pass


def crashed_run(config: RunConfig, out: Path, after_round: int = 1) -> Path:
    """A run of ``config`` that dies (as on Ctrl-C) right after round ``after_round``'s
    checkpoint."""

    def die(report: RoundReport) -> None:
        if report.round == after_round:
            raise Crash

    with pytest.raises(Crash):
        run(config, out, on_round=die)
    return next(out.iterdir())


def comparable(run_dir: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    events = [stable(e) for e in read_events(run_dir / "events.jsonl")]
    summary = orjson.loads((run_dir / "summary.json").read_bytes())
    summary.pop("seconds")
    return events, summary


@pytest.mark.parametrize("limit", [{"max_calls": 6}, {"max_cost": 0.0015}])
def test_budget_and_usage_carry_over_a_resume(limit: dict[str, Any], tmp_path: Path) -> None:
    """Interrupted after round 1 and resumed, a run spends exactly what an uninterrupted one
    does (the budget is not granted afresh) and reports the same usage totals."""
    with FakeOpenAI(answer=answer) as fake:
        c = config("openai", fake, rounds=4, cache="off", **limit)
        whole = run(c, tmp_path / "whole")
        requests = fake.count
        run_dir = crashed_run(c, tmp_path / "cut")
        checkpoint = orjson.loads((run_dir / "checkpoint.json").read_bytes())
        assert checkpoint["round"] == 1 and checkpoint["models"]["usage"]["total"]["calls"] > 0
        resumed = resume(run_dir)
        assert fake.count - requests == requests  # no HTTP request beyond the budget
    assert 1 < whole.summary["rounds"] < 4
    assert whole.summary["stopped"].startswith("model budget spent")
    assert resumed.summary["rounds"] == whole.summary["rounds"]
    assert resumed.summary["stopped"] == whole.summary["stopped"]
    totals = resumed.summary["models"]["usage"]["total"]
    assert totals == whole.summary["models"]["usage"]["total"]
    assert totals["calls"] > 0 and totals["input_tokens"] > 0 and totals["cost_usd"] > 0
    assert (
        resumed.summary["models"]["backend"]["budget"]
        == whole.summary["models"]["backend"]["budget"]
    )
    assert comparable(run_dir) == comparable(whole.run_dir)


def _drop_usage(state: dict[str, Any]) -> None:
    del state["models"]


def _bad_calls(state: dict[str, Any]) -> None:
    state["models"]["usage"]["total"]["calls"] = "4"


def _bad_tag(state: dict[str, Any]) -> None:
    state["models"]["usage"]["by_tag"] = {"c-1": {"calls": 1}}


def _negative_spend(state: dict[str, Any]) -> None:
    state["models"]["budget"]["calls"] = -1


def _no_budget(state: dict[str, Any]) -> None:
    del state["models"]["budget"]


@pytest.mark.parametrize(
    "corrupt", [_drop_usage, _bad_calls, _bad_tag, _negative_spend, _no_budget]
)
def test_malformed_model_usage_in_a_checkpoint_is_refused(
    corrupt: Callable[[dict[str, Any]], None], tmp_path: Path
) -> None:
    with FakeOpenAI(answer=answer) as fake:
        run_dir = crashed_run(config("openai", fake, max_calls=50), tmp_path / "out")
        path = run_dir / "checkpoint.json"
        state = orjson.loads(path.read_bytes())
        corrupt(state)
        path.write_bytes(orjson.dumps(state))
        before = {p.name: p.read_bytes() for p in run_dir.iterdir() if p.is_file()}
        with pytest.raises(ArenaError, match="checkpoint: malformed state"):
            resume(run_dir)
    assert {p.name: p.read_bytes() for p in run_dir.iterdir() if p.is_file()} == before


def test_an_offline_checkpoint_has_no_model_usage(tmp_path: Path) -> None:
    offline = RunConfig(task=TASK, code=2, test=2, rounds=2, seed=0, isolation="basic")
    run_dir = crashed_run(offline, tmp_path / "out")
    state = orjson.loads((run_dir / "checkpoint.json").read_bytes())
    assert "models" not in state
    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy)
    state["models"] = {"usage": {}, "budget": None}
    (copy / "checkpoint.json").write_bytes(orjson.dumps(state))
    with pytest.raises(ArenaError, match="checkpoint: malformed state"):
        resume(copy)
    assert resume(run_dir).summary["models"] is None


def test_missing_key_fails_before_any_work(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    with pytest.raises(ArenaError, match="OPENAI_API_KEY"):
        run(RunConfig(task=TASK, model="openai/gpt-4.1-mini"), tmp_path / "runs")
    assert not (tmp_path / "runs").exists()
