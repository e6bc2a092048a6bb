"""Quality bars of the arena (issue 3), measured end to end. A script, not a test.

    python bench/arena_quality.py default          # `arena run` with no options: wall time
    python bench/arena_quality.py email            # 4v4 vs fixed mode, 20 rounds, seeds 0-2
    python bench/arena_quality.py sorting8         # n=8, seeds 0-2: time to a valid net <= 21
    python bench/arena_quality.py sorting16        # n=16, Hillis setup: best valid size
    python bench/arena_quality.py humaneval        # repairs of the faulty seed variants
    python bench/arena_quality.py selfmutation     # from the email runs' events
    python bench/arena_quality.py all --json bench/results/arena_quality.json

Every number is measured on the suite it names; the champion is always chosen on the suite
its run trained against (evolved, or fixed in fixed mode) and then graded on the hidden one.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from arena.config import RunConfig
from arena.runner import run
from replays.events import read_events

OUT = Path(tempfile.gettempdir()) / "arena-quality"


def timed_run(config: RunConfig) -> tuple[dict[str, Any], Path, float]:
    start = time.perf_counter()
    result = run(config, OUT)
    return result.summary, result.run_dir, time.perf_counter() - start


def bar_default() -> dict[str, Any]:
    """`arena run` with no options, as a user types it (a subprocess, imports included)."""
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", "import cli; cli.main()", "run"],
            cwd=tmp,
            capture_output=True,
            text=True,
            check=False,
        )
        seconds = time.perf_counter() - start
    ok = done.returncode == 0 and "Leaderboard" in done.stdout
    return {"seconds": seconds, "ok": ok, "bar": "< 60 s", "met": ok and seconds < 60}


def bar_email(seeds: list[int], rounds: int) -> dict[str, Any]:
    rows = []
    for seed in seeds:
        for test in (4, 0):
            config = RunConfig(task="email_validation", code=4, test=test, rounds=rounds, seed=seed)
            summary, run_dir, seconds = timed_run(config)
            scores = summary["champion"]["scores"]
            rows.append(
                {
                    "seed": seed,
                    "mode": "arena 4v4" if test else "fixed (--test 0)",
                    "fixed": scores["fixed"],
                    "evolved": scores["evolved"],
                    "hidden": scores["hidden"],
                    "suite": summary["suites"]["evolved"],
                    "seconds": seconds,
                    "run_dir": str(run_dir),
                }
            )
            print(json.dumps(rows[-1]), flush=True)
    arena = [r for r in rows if r["mode"].startswith("arena")]
    fixed = [r for r in rows if r["mode"].startswith("fixed")]
    beats = all(a["hidden"] > f["hidden"] for a, f in zip(arena, fixed, strict=True))
    mean_arena = sum(r["hidden"] for r in arena) / len(arena)
    fixed_conf = min(r["fixed"] for r in fixed)
    return {
        "rows": rows,
        "arena_mean_hidden": mean_arena,
        "fixed_mean_hidden": sum(r["hidden"] for r in fixed) / len(fixed),
        "fixed_min_fixed": fixed_conf,
        "beats_fixed_every_seed": beats,
        "met": beats and mean_arena >= 0.95 and fixed_conf >= 0.9,
    }


def _network(source: str) -> Any:
    """COMPARATORS of a solution, read with literal_eval (never executed)."""
    import ast

    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "COMPARATORS" for t in node.targets
        ):
            return ast.literal_eval(node.value)
    return None


def bar_sorting(task: str, rounds: int, seed: int, target: int | None) -> dict[str, Any]:
    """One long 4v4 run of a sorting task, analysed by ``sorting_history``."""
    config = RunConfig(task=task, code=4, test=4, rounds=rounds, seed=seed)
    _summary, run_dir, seconds = timed_run(config)
    return {"seed": seed, **sorting_history(task, run_dir, target), "run_seconds": seconds}


def sorting_history(task: str, run_dir: Path, target: int | None) -> dict[str, Any]:
    """Per round of a run: the evolved suite's size, the leader's pass rate on it, whether
    the leader is valid on all 2**n inputs and its size (prefix included); and the first
    round whose leader is valid with at most ``target`` comparators."""
    from tasks.registry import get_task
    from tasks.sorting_network import SortingNetworkTask, is_sorting_network, network_depth

    spec = get_task(task)
    assert isinstance(spec, SortingNetworkTask)
    events = list(read_events(run_dir / "events.jsonl"))
    solution_of = {
        e["id"]: e["solution"] for e in events if e["type"] == "agent_born" and e["kind"] == "code"
    }
    elapsed = 0.0
    history = []
    first_valid = first_target = best = None
    for e in events:
        if e["type"] != "round_end":
            continue
        elapsed += e["seconds"]
        suffix = _network((run_dir / "solutions" / f"{solution_of[e['leader']]}.py").read_text())
        valid = suffix is not None and is_sorting_network(suffix, spec.n, prefix=spec.prefix)
        size: int | None = None
        if valid:
            network = [*spec.prefix, *suffix]
            size, depth = len(network), network_depth(network)
            if best is None or (size, depth) < (best[0], best[1]):
                best = (size, depth, e["round"], elapsed)
            first_valid = first_valid or (e["round"], elapsed, size)
            if target is not None and size <= target and first_target is None:
                first_target = (e["round"], elapsed, size, depth)
        history.append(
            {
                "round": e["round"],
                "suite": e["suite_size"],
                "leader_evolved": e["code"][e["leader"]],
                "valid": valid,
                "size": size,
                "seconds": elapsed,
            }
        )
    return {
        "task": task,
        "run_dir": str(run_dir),
        "history": history,
        "first_valid": first_valid,
        "first_at_most_target": first_target,
        "target": target,
        "best_valid": best
        and {"size": best[0], "depth": best[1], "round": best[2], "seconds": best[3]},
        "met": None if target is None else first_target is not None and first_target[1] <= 600,
    }


def bar_humaneval(rounds: int, seed: int) -> dict[str, Any]:
    rows = []
    for k in range(10):
        config = RunConfig(task=f"humaneval:id={k}", code=4, test=4, rounds=rounds, seed=seed)
        summary, _run_dir, seconds = timed_run(config)
        scores = summary["champion"]["scores"]
        rows.append({"problem": k, **scores, "seconds": seconds})
        print(json.dumps(rows[-1]), flush=True)
    repaired = sum(r["hidden"] == 1.0 for r in rows)
    return {"rows": rows, "repaired": repaired, "met": repaired >= 5}


def bar_selfmutation(run_dirs: list[Path]) -> dict[str, Any]:
    """A replacement made a new proposer, which later produced an accepted improvement."""
    found = []
    for d in run_dirs:
        events = list(read_events(d / "events.jsonl"))
        born = {e["id"]: e for e in events if e["type"] == "agent_born" and e["kind"] == "code"}
        for e in events:
            if e["type"] != "replacement" or e["kind"] != "code":
                continue
            if not str(e["mutation"]).startswith("meta:"):
                continue
            child, parent = born[e["child"]], born[e["winner"]]
            if child["proposer"] == parent["proposer"]:
                continue
            later = [
                p
                for p in events
                if p["type"] == "proposal"
                and p["proposer"] == child["proposer"]
                and p["accepted"]
                and p["after"] > p["before"]
            ]
            files = all(
                (d / "proposers" / f"{h}.py").is_file()
                for h in (child["proposer"], parent["proposer"])
            )
            if later and files:
                found.append(
                    {
                        "run_dir": str(d),
                        "round": e["round"],
                        "parent_proposer": parent["proposer"],
                        "child_proposer": child["proposer"],
                        "mutation": e["mutation"],
                        "improvements": len(later),
                    }
                )
    return {"examples": found[:5], "count": len(found), "met": bool(found)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "bar",
        choices=["default", "email", "sorting8", "sorting16", "humaneval", "selfmutation", "all"],
    )
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    results: dict[str, Any] = {}
    if args.bar in ("default", "all"):
        results["default"] = bar_default()
    if args.bar in ("email", "selfmutation", "all"):
        results["email"] = bar_email(seeds, args.rounds)
        dirs = [
            Path(r["run_dir"]) for r in results["email"]["rows"] if r["mode"].startswith("arena")
        ]
        results["selfmutation"] = bar_selfmutation(dirs)
    if args.bar in ("sorting8", "all"):
        runs = [bar_sorting("sorting_network:n=8", 150, seed, 21) for seed in seeds]
        results["sorting8"] = {
            "rows": runs,
            "first_at_most_21": [r["first_at_most_target"] for r in runs],
            "best_valid": [r["best_valid"] for r in runs],
            "met": all(r["met"] for r in runs),
        }
    if args.bar in ("sorting16", "all"):
        results["sorting16"] = bar_sorting("sorting_network:n=16,prefix=green", 250, seeds[0], None)
    if args.bar in ("humaneval", "all"):
        results["humaneval"] = bar_humaneval(10, seeds[0])
    summary = {
        k: {kk: vv for kk, vv in v.items() if kk not in ("rows", "history", "examples")}
        for k, v in results.items()
    }
    print(json.dumps(summary, indent=2))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
