"""The published schema of ``events.jsonl``, format version 1 (``arena replay --schema``).

Every event is one JSON object: the envelope ``{"v", "seq", "round", "type"}`` plus the body
fields of its type below. ``EVENT_FIELDS`` is the source of truth; ``json_schema()`` renders
it as a JSON Schema (draft 2020-12) and ``check_event`` applies it cheaply while reading.
Fields named in ``replays.events.VOLATILE`` hold measured times and may differ between two
runs of the same seed; every other field is deterministic for an offline run.
"""

from __future__ import annotations

from typing import Any

from replays.events import FORMAT_VERSION, VOLATILE

_STR = {"type": "string"}
_INT = {"type": "integer"}
_NUM = {"type": "number"}
_BOOL = {"type": "boolean"}
_OBJ = {"type": "object"}
_ANY: dict[str, Any] = {}
_STRS = {"type": "array", "items": _STR}
_OPT_STR = {"type": ["string", "null"]}
_SCORES = {"type": "object", "additionalProperties": _NUM}

EVENT_FIELDS: dict[str, tuple[str, dict[str, dict[str, Any]], frozenset[str]]] = {
    "run_start": (
        "Config, seed, task, package versions and the spec of every component.",
        {
            "config": _OBJ,
            "seed": _INT,
            "task": _OBJ,
            "versions": _OBJ,
            "fixed_suite": _STRS,
            "sandbox": _OBJ,
            "components": _OBJ,
        },
        frozenset(),
    ),
    "agent_born": (
        "A new agent version. Code: solution and proposer hashes; test: genome.",
        {
            "kind": {"enum": ["code", "test"]},
            "id": _STR,
            "slot": _INT,
            "parents": _STRS,
            "mutation": _STR,
            "born": _INT,
            "solution": _STR,
            "proposer": _STR,
            "genome": _OBJ,
        },
        frozenset({"born", "solution", "proposer", "genome"}),
    ),
    "case_proposed": (
        "A labelled case a test agent offered (its input and the oracle's label).",
        {"agent": _STR, "key": _STR, "origin": _STR, "input": _ANY, "expected": _ANY},
        frozenset(),
    ),
    "case_rejected": (
        "Offered inputs that did not enter the suite: reason invalid (outside the task's "
        "domain, counted by the search; key null), duplicate (known input) or no_break.",
        {
            "agent": _STR,
            "reason": {"enum": ["invalid", "duplicate", "no_break"]},
            "key": _OPT_STR,
            "count": _INT,
        },
        frozenset(),
    ),
    "test_proposal": (
        "One test agent's turn: inputs tried, invalid, duplicates, offered, accepted, score.",
        {
            "agent": _STR,
            "tried": _INT,
            "invalid": _INT,
            "duplicates": _INT,
            "offered": _INT,
            "accepted": _INT,
            "score": _NUM,
        },
        frozenset(),
    ),
    "case_accepted": (
        "A case entered the evolved suite; broke: the code agents it made fail.",
        {"key": _STR, "origin": _STR, "input": _ANY, "expected": _ANY, "broke": _STRS},
        frozenset(),
    ),
    "evaluation": (
        "Outcome-matrix cells filled: one solution x consecutive suite cases from index "
        "start; outcomes one letter per case (p pass, f fail, e error, t timeout, n not run).",
        {"solution": _STR, "start": _INT, "cases": _STRS, "outcomes": _STR},
        frozenset(),
    ),
    "proposal": (
        "A code agent's propose() call: candidates, the best, scores before and after.",
        {
            "agent": _STR,
            "proposer": _STR,
            "candidates": _STRS,
            "best": _OPT_STR,
            "before": _NUM,
            "after": _NUM,
            "accepted": _BOOL,
            "error": _OPT_STR,
            "calls": _OBJ,
            "seconds": _NUM,
        },
        frozenset(),
    ),
    "proposer_invalid": (
        "A meta-mutated proposer refused by validation (the parent's proposer is kept).",
        {"parent": _STR, "proposer": _STR, "problem": _STR},
        frozenset(),
    ),
    "model_call": (
        "One language-model request (written by arena.models; never holds an API key). "
        "ok true: backend, model, request_hash, tag, cached, tokens, cost_usd, priced, "
        "latency, attempts; ok false: tag, kind, error, attempts.",
        {
            "purpose": _STR,
            "ok": _BOOL,
            "backend": _STR,
            "model": _STR,
            "request_hash": _STR,
            "tag": _STR,
            "cached": _BOOL,
            "input_tokens": _INT,
            "output_tokens": _INT,
            "cost_usd": _NUM,
            "priced": _BOOL,
            "latency": _NUM,
            "attempts": {"type": "array", "items": _OBJ},
            "kind": _STR,
            "error": _STR,
        },
        frozenset(
            {
                "backend",
                "model",
                "request_hash",
                "tag",
                "cached",
                "input_tokens",
                "output_tokens",
                "cost_usd",
                "priced",
                "latency",
                "attempts",
                "kind",
                "error",
            }
        ),
    ),
    "model_malformed": (
        "A model answer that could not be used (e.g. no code in it).",
        {"tag": _STR, "what": _STR},
        frozenset(),
    ),
    "replacement": (
        "The loser's slot gets a mutated copy (child) of the winner.",
        {
            "kind": {"enum": ["code", "test"]},
            "loser": _STR,
            "winner": _STR,
            "child": _STR,
            "mutation": _STR,
        },
        frozenset(),
    ),
    "round_end": (
        "Scores at the end of a round (code: evolved pass rate; test: round score), the "
        "leader, and the round's champion (the leader before replacement, for the hall).",
        {
            "suite_size": _INT,
            "code": _SCORES,
            "test": _SCORES,
            "leader": _STR,
            "champion": _STR,
            "champion_score": _NUM,
            "seconds": _NUM,
        },
        frozenset(),
    ),
    "final_scores": (
        "The final code agents on the fixed, evolved and hidden suites, test-agent archives, "
        "suite sizes, evaluation count and model usage (null offline): what summary.json "
        "needs beyond the rounds.",
        {
            "code": {"type": "array", "items": _OBJ},
            "test": {"type": "array", "items": _OBJ},
            "fixed_size": _INT,
            "hidden_size": _INT,
            "evaluations": _INT,
            "models": {"type": ["object", "null"]},
        },
        frozenset({"models"}),
    ),
    "run_end": ("The run finished.", {"stopped": _STR, "elapsed": _NUM}, frozenset()),
}
"""type -> (description, body fields with their JSON Schema, optional fields)."""

EVENT_TYPES = frozenset(EVENT_FIELDS)


def json_schema() -> dict[str, Any]:
    """The event format as a JSON Schema (one ``oneOf`` branch per event type)."""
    branches = []
    for name, (doc, fields, optional) in EVENT_FIELDS.items():
        props = {
            "v": {"const": FORMAT_VERSION},
            "seq": {"type": "integer", "minimum": 0},
            "round": {"type": "integer", "minimum": 0},
            "type": {"const": name},
            **fields,
        }
        required = ["v", "seq", "round", "type", *(f for f in fields if f not in optional)]
        branches.append(
            {
                "title": name,
                "description": doc,
                "type": "object",
                "properties": props,
                "required": required,
            }
        )
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"arena/events/v{FORMAT_VERSION}",
        "title": f"arena events.jsonl, format version {FORMAT_VERSION}",
        "description": "One object per line; seq counts from 0 with no gaps. Volatile "
        f"(timing) fields: {', '.join(sorted(VOLATILE))}.",
        "oneOf": branches,
    }


_PY_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
    "null": (type(None),),
}


def check_event(event: dict[str, Any]) -> str | None:
    """None if ``event`` fits the schema (envelope, type, required fields and their JSON
    types), else what is wrong. Unknown extra fields are allowed."""
    for key, kind in (("seq", int), ("round", int), ("type", str)):
        if not isinstance(event.get(key), kind):
            return f"missing or bad {key!r}"
    spec = EVENT_FIELDS.get(event["type"])
    if spec is None:
        return f"unknown event type {event['type']!r}"
    _, fields, optional = spec
    for name, schema in fields.items():
        if name not in event:
            if name in optional:
                continue
            return f"{event['type']} event without {name!r}"
        types = schema.get("type")
        if types is None:
            continue
        names = [types] if isinstance(types, str) else types
        value = event[name]
        if not any(isinstance(value, _PY_TYPES[t]) for t in names) or (
            isinstance(value, bool) and "boolean" not in names
        ):
            return f"{event['type']} event: {name!r} is not {' or '.join(names)}"
    return None
