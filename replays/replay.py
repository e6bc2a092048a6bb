"""Rebuild a run's state from its events alone: no sandbox, no model calls.

``load_run`` reads and checks a run dir; ``state_at`` gives the state at the end of a round
(leaderboard, suite, newest cases, who broke whom); ``summary_from_events`` rebuilds
summary.json (all but its measured ``seconds``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from replays.events import FORMAT_VERSION, VOLATILE, EventLogError, read_events
from replays.schema import check_event


@dataclass
class RunData:
    """A run dir's config (run.json) and its events (events.jsonl), checked."""

    path: Path
    run: dict[str, Any]
    events: list[dict[str, Any]]

    @property
    def config(self) -> dict[str, Any]:
        config: dict[str, Any] = self.run["config"]
        return config

    @property
    def rounds_played(self) -> int:
        return max((e["round"] for e in self.events if e["type"] == "round_end"), default=0)

    @property
    def complete(self) -> bool:
        return bool(self.events) and self.events[-1]["type"] == "run_end"


def read_json(path: Path) -> Any:
    """A JSON file; EventLogError naming the file (and line) if it is missing or corrupt."""
    try:
        return orjson.loads(path.read_bytes())
    except FileNotFoundError:
        raise EventLogError(f"{path}: no such file") from None
    except OSError as exc:
        raise EventLogError(f"{path}: cannot read: {exc}") from None
    except orjson.JSONDecodeError as exc:
        raise EventLogError(f"{path}: corrupted JSON: {exc}") from None


def load_run(path: Path, *, tolerate_torn_tail: bool = False) -> RunData:
    """Read and check ``path``/run.json and ``path``/events.jsonl.

    EventLogError (one line, naming the file and line) if the dir or a file is missing, a
    line is corrupt or of another format version, an event does not fit the schema, or the
    sequence numbers have a gap or a duplicate.
    """
    if not path.is_dir():
        raise EventLogError(f"{path}: not a run dir (no such directory)")
    run = read_json(path / "run.json")
    if not isinstance(run, dict) or run.get("format") != FORMAT_VERSION:
        found = run.get("format") if isinstance(run, dict) else None
        raise EventLogError(
            f"{path / 'run.json'}: format version {found!r}, expected {FORMAT_VERSION}"
        )
    if not isinstance(run.get("config"), dict):
        raise EventLogError(f"{path / 'run.json'}: no config object")
    log = path / "events.jsonl"
    events = []
    for line, event in enumerate(read_events(log, tolerate_torn_tail=tolerate_torn_tail)):
        problem = check_event(event)
        if problem is None and event["seq"] != line:
            problem = f"seq {event['seq']}, expected {line} (a gap or a duplicate)"
        if problem is not None:
            raise EventLogError(f"{log}:{line + 1}: {problem}")
        events.append(event)
    if not events or events[0]["type"] != "run_start":
        raise EventLogError(f"{log}:1: the log does not begin with run_start")
    return RunData(path, run, events)


# ---- state at a round -----------------------------------------------------------------------


def state_at(data: RunData, round_: int | None = None, *, newest: int = 10) -> dict[str, Any]:
    """The state at the end of round ``round_`` (default: the last played), from events.

    Keys: round, rounds, suite_size, leader, leaderboard (code agents, best first: id, slot,
    solution, proposer, score, born, mutation), tests (the test population at the round's
    end: id, slot, score), test_turns (each test agent's turn in the round: agent, score,
    tried, offered, accepted, broke), new_cases (the newest ``newest`` accepted cases of that
    round), broke (test agent -> code agents its round's cases broke). ValueError if the
    round was not played.
    """
    played = data.rounds_played
    r = played if round_ is None else round_
    if not 0 <= r <= played:
        raise ValueError(f"round {r} was not played (rounds 0..{played})")
    code: dict[int, dict[str, Any]] = {}
    tests: dict[int, dict[str, Any]] = {}
    suite = len(data.events[0].get("fixed_suite", []))
    end: dict[str, Any] | None = None
    cases: list[dict[str, Any]] = []
    broke: dict[str, list[str]] = {}
    turns: list[dict[str, Any]] = []
    for e in data.events:
        if e["round"] > r:
            break
        kind = e["type"]
        if kind == "agent_born":
            rec = {k: e.get(k) for k in ("id", "slot", "born", "mutation", "parents")}
            if e["kind"] == "code":
                rec |= {"solution": e["solution"], "proposer": e["proposer"]}
                code[e["slot"]] = rec
            else:
                tests[e["slot"]] = rec
        elif kind == "case_accepted":
            suite += 1
            if e["round"] == r:
                cases.append({k: e[k] for k in ("key", "origin", "input", "expected", "broke")})
                who = e["origin"].split("@")[0]
                seen = broke.setdefault(who, [])
                seen += [b for b in e["broke"] if b not in seen]
        elif kind == "test_proposal" and e["round"] == r:
            turns.append({k: e[k] for k in ("agent", "score", "tried", "offered", "accepted")})
        elif kind == "round_end" and e["round"] == r:
            end = e
    scores = end["code"] if end else {}
    board = sorted(
        ({**a, "score": scores.get(a["id"])} for a in code.values()),
        key=lambda a: (-(a["score"] or 0.0), a["slot"]),
    )
    tscores = end["test"] if end else {}
    return {
        "round": r,
        "rounds": data.config.get("rounds"),
        "suite_size": end["suite_size"] if end else suite,
        "leader": end["leader"] if end else None,
        "leaderboard": board,
        "tests": [{**t, "score": tscores.get(t["id"])} for _, t in sorted(tests.items())],
        "test_turns": [{**p, "broke": broke.get(p["agent"], [])} for p in turns],
        "new_cases": cases[-newest:],
        "broke": broke,
    }


# ---- summary ----------------------------------------------------------------------------------


def summary_from_events(data: RunData) -> dict[str, Any]:
    """summary.json rebuilt from the events, without its volatile ``seconds``.

    EventLogError if the run has not finished (no final_scores event).
    """
    events = data.events
    final = next((e for e in reversed(events) if e["type"] == "final_scores"), None)
    end = next((e for e in reversed(events) if e["type"] == "run_end"), None)
    if final is None or end is None:
        raise EventLogError(f"{data.path / 'events.jsonl'}: the run has not finished")
    born = {e["id"]: e for e in events if e["type"] == "agent_born"}
    rounds = [e for e in events if e["type"] == "round_end"]
    fixed_mode = data.config.get("test") == 0
    board = []
    for row in final["code"]:
        agent = born[row["id"]]
        board.append(
            {
                "id": row["id"],
                "slot": agent["slot"],
                "solution": agent["solution"],
                "proposer": agent["proposer"],
                "length": row["length"],
                "fixed": row["fixed"],
                "evolved": row["evolved"],
                "hidden": row["hidden"],
            }
        )
    board.sort(key=lambda b: (-b["evolved"], b["length"], b["slot"]))
    champ = board[0]
    last_score: dict[str, float] = {}
    stats: dict[str, list[Any]] = {}
    for e in events:
        if e["type"] == "test_proposal":
            last_score[e["agent"]] = e["score"]
        elif e["type"] == "proposal":
            s = stats.setdefault(e["proposer"], [0, 0, 0.0])
            s[0] += 1
            s[2] += max(0.0, e["after"] - e["before"]) if e["accepted"] else 0.0
            s[1] += 1 if e["accepted"] else 0
    hall: list[dict[str, Any]] = []
    for e in rounds:
        solution = born[e["champion"]]["solution"]
        if any(c["solution"] == solution for c in hall):
            continue
        hall.append(
            {"round": e["round"], "agent": e["champion"], "solution": solution,
             "score": e["champion_score"]}
        )  # fmt: skip
        del hall[:-8]
    summary = {
        "format": FORMAT_VERSION,
        "task": events[0]["task"]["name"],
        "mode": "fixed" if fixed_mode else "arena",
        "rounds": final["round"],
        "stopped": end["stopped"],
        "suites": {
            "fixed": final["fixed_size"],
            "evolved": rounds[-1]["suite_size"] if rounds else final["fixed_size"],
            "hidden": final["hidden_size"],
            # Runs since the hidden score excludes trained-on cases also record the total.
            **({"hidden_total": final["hidden_total"]} if "hidden_total" in final else {}),
            "trained_on": "fixed" if fixed_mode else "evolved",
        },
        "champion": {
            "id": champ["id"],
            "solution": champ["solution"],
            "scores": {k: champ[k] for k in ("fixed", "evolved", "hidden")},
        },
        "leaderboard": board,
        "test_agents": [
            {"id": t["id"], "archive": t["archive"], "last_score": last_score.get(t["id"])}
            for t in final["test"]
        ],
        "proposers": {
            h: {"uses": u, "accepted": a, "improvement": i, "meta_utility": i / u if u else 0.0}
            for h, (u, a, i) in sorted(stats.items())
        },
        "hall_of_fame": [{k: v for k, v in c.items() if k != "solution"} for c in hall],
        "evaluations": final["evaluations"],
    }
    if "models" in final:  # model usage (None offline)
        summary["models"] = final["models"]
    return summary


def without_volatile(summary: dict[str, Any]) -> dict[str, Any]:
    """``summary`` without its measured fields (``seconds``), for comparisons."""
    return {k: v for k, v in summary.items() if k not in VOLATILE}
