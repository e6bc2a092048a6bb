"""Kill ``arena run`` with SIGKILL at random instants, resume it each time, and check that
the finished run equals an uninterrupted one (same summary minus ``seconds``, same events
minus volatile fields, seq 0..n-1 with no gaps or duplicates).

    python bench/kill_resume.py --kills 20 [--task sorting_network:n=4] [--seed 0]

Runs are chained: a run is killed, resumed, killed again ... until it completes, then a new
run starts, until ``--kills`` kills have landed. Prints one JSON line per chain and a total.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from replays.events import read_events, stable

ARENA = str(Path(sys.executable).with_name("arena"))


def options(task: str, seed: int, rounds: int) -> list[str]:
    return [
        "--task", task, "--code", "2", "--test", "2", "--rounds", str(rounds),
        "--seed", str(seed), "--isolation", "basic", "--json",
    ]  # fmt: skip


def start(args: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [ARENA, "run", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def comparable(run_dir: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    events = [stable(e) for e in read_events(run_dir / "events.jsonl")]
    summary = orjson.loads((run_dir / "summary.json").read_bytes())
    summary.pop("seconds")
    return events, summary


def first_difference(got: Any, ref: Any) -> str:
    (events, summary), (ref_events, ref_summary) = got, ref
    for i, (a, b) in enumerate(zip(events, ref_events, strict=False)):
        if a != b:
            return f"event {i}: {str(a)[:300]} != {str(b)[:300]}"
    if len(events) != len(ref_events):
        return f"{len(events)} events, uninterrupted run has {len(ref_events)}"
    diff = [k for k in summary if summary[k] != ref_summary.get(k)]
    return f"summary keys differ: {diff}"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--task", default="email_validation")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--rng", type=int, default=1)
    ns = parser.parse_args()
    rand = random.Random(ns.rng)
    work = Path(tempfile.mkdtemp(prefix="kill-resume-"))
    opts = options(ns.task, ns.seed, ns.rounds)
    t0 = time.perf_counter()
    subprocess.run([ARENA, "run", "--out", str(work / "ref"), *opts], check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    full = time.perf_counter() - t0
    ref = comparable(next((work / "ref").iterdir()))
    kills = chains = failures = 0
    while kills < ns.kills:
        chains += 1
        out = work / f"chain{chains}"
        proc = start(["--out", str(out), *opts])
        run_dir: Path | None = None
        chain_kills = []
        while True:
            delay = rand.uniform(0.05, full)
            try:
                proc.wait(timeout=delay)
                break  # completed before the kill
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                kills += 1
                chain_kills.append(round(delay, 2))
            if run_dir is None:
                found = list(out.iterdir()) if out.exists() else []
                if not found:  # killed before the run dir existed: start again
                    proc = start(["--out", str(out), *opts])
                    continue
                run_dir = found[0]
            proc = start(["--resume", str(run_dir), *opts[-1:]])
        if proc.returncode != 0:
            failures += 1
            print(orjson.dumps({"chain": chains, "error": f"exit {proc.returncode}"}).decode())
            continue
        run_dir = run_dir or next(out.iterdir())
        got = comparable(run_dir)
        same = got == ref
        failures += not same
        line: dict[str, Any] = {"chain": chains, "kills": chain_kills, "same": same}
        if not same:
            line["first_difference"] = first_difference(got, ref)
            line["run_dir"] = str(run_dir)
        print(orjson.dumps(line).decode())
    print(orjson.dumps({"kills": kills, "chains": chains, "failures": failures,
                        "uninterrupted_s": round(full, 2)}).decode())  # fmt: skip
    if not failures:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
