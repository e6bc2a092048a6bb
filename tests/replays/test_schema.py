"""The published event schema: it describes every event a real run writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from replays.events import FORMAT_VERSION, read_events
from replays.schema import EVENT_FIELDS, check_event, json_schema


def test_schema_covers_the_issue_types() -> None:
    wanted = {"run_start", "case_proposed", "case_rejected", "case_accepted", "evaluation",
              "proposal", "model_call", "replacement", "round_end", "run_end"}  # fmt: skip
    assert wanted <= set(EVENT_FIELDS)
    schema = json_schema()
    assert schema["$id"].endswith(f"v{FORMAT_VERSION}")
    titles = [b["title"] for b in schema["oneOf"]]
    assert titles == list(EVENT_FIELDS)
    for branch in schema["oneOf"]:
        assert {"v", "seq", "round", "type"} <= set(branch["required"])


def test_every_event_of_a_run_fits(finished_run: Path) -> None:
    events = list(read_events(finished_run / "events.jsonl"))
    seen = {e["type"] for e in events}
    assert {"run_start", "agent_born", "case_proposed", "case_accepted", "evaluation",
            "proposal", "replacement", "round_end", "final_scores", "run_end"} <= seen  # fmt: skip
    for e in events:
        assert check_event(e) is None, e
    start = events[0]
    assert start["seed"] == 5 and "numpy" in start["versions"] and start["components"]


@pytest.mark.parametrize(
    ("event", "problem"),
    [
        ({"seq": 0, "round": 0}, "missing or bad 'type'"),
        ({"seq": 0, "round": 0, "type": "nope"}, "unknown event type"),
        ({"seq": 0, "round": 1, "type": "run_end"}, "without 'stopped'"),
        ({"seq": 0, "round": 1, "type": "run_end", "stopped": 3}, "'stopped' is not string"),
        (
            {
                "seq": 0,
                "round": 1,
                "type": "case_rejected",
                "agent": "t",
                "reason": "invalid",
                "key": None,
                "count": True,
            },
            "'count' is not integer",
        ),
    ],
)
def test_bad_events_are_named(event: dict[str, object], problem: str) -> None:
    found = check_event(event)
    assert found is not None and problem in found


def test_model_call_events_as_arena_models_writes_them() -> None:
    ok = {"seq": 3, "round": 1, "type": "model_call", "purpose": "code", "ok": True,
          "backend": "openai", "model": "m", "request_hash": "ab", "tag": "t", "cached": False,
          "input_tokens": 10, "output_tokens": 5, "cost_usd": 0.001, "priced": True,
          "latency": 0.2, "attempts": []}  # fmt: skip
    assert check_event(ok) is None
    failed = {"seq": 4, "round": 1, "type": "model_call", "purpose": "code", "ok": False,
              "tag": "t", "kind": "timeout", "error": "timed out", "attempts": []}  # fmt: skip
    assert check_event(failed) is None
    assert check_event({**ok, "input_tokens": "10"}) is not None
