"""Model-call concurrency: one 4v4 round's calls against a fake server with 300 ms latency.

A round of a 4v4 model-backed tournament makes about 8 code-agent calls (4 agents x 2
samples), 8 test-agent calls and 1 meta-mutation call. They are issued at once through
``agents.backends.complete_many`` and bounded by ``--max-connections`` (default 8, the CLI's
default). The fake server (``tests/fakes``, real wire format, on 127.0.0.1) adds ``--latency``
seconds to every call. Reported: the round's wall time against the sum of its calls'
latencies as the server measured them (target <= 0.25x), best and median of ``--repeat``
rounds, after one warm-up call (client start-up, reported separately).

Usage: ``python bench/model_latency.py [--backend openai|gemini] [--latency 0.3]
[--max-connections 8] [--repeat 5] [--json OUT]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agents.backends import Completion, Request, complete_many, make_backend
from agents.prompts import code_prompt, meta_prompt, test_prompt
from agents.proposers import SEED_PROPOSER
from tests.fakes.base import FakeServer
from tests.fakes.gemini_server import FakeGemini
from tests.fakes.openai_server import FakeOpenAI

SPEC = "Return x * x."
SIGNATURE = "def square(x: int) -> int"
SOLUTION = "def square(x):\n    return x + x\n"


def round_requests(round_no: int) -> list[Request]:
    """8 code-agent, 8 test-agent and 1 meta call, distinct per round (no cache hits)."""
    requests: list[Request] = []
    for agent in range(4):
        failure = {"input": [3], "expected": 9, "actual": 6, "outcome": "fail", "message": None}
        for sample in range(2):
            messages = code_prompt(
                f"{SPEC} (round {round_no})",
                SIGNATURE,
                SOLUTION,
                [failure],  # type: ignore[list-item]
            )
            requests.append(Request.of(messages, sample=sample, tag=f"code-{agent}"))
            examples = [(agent,), (round_no,)]
            tests = test_prompt(f"{SPEC} (round {round_no})", SIGNATURE, examples, 5)
            requests.append(Request.of(tests, sample=sample, tag=f"test-{agent}"))
    meta = meta_prompt(SEED_PROPOSER + f"\n# round {round_no}\n")
    requests.append(Request.of(meta, tag="meta"))
    return requests


async def bench(
    backend_name: str, latency: float, max_connections: int, repeat: int
) -> dict[str, Any]:
    server: FakeServer = FakeOpenAI() if backend_name == "openai" else FakeGemini()
    with server, tempfile.TemporaryDirectory() as cache_dir:
        os.environ.setdefault("OPENAI_API_KEY", "sk-bench-not-a-real-key")
        os.environ.setdefault("GEMINI_API_KEY", "bench-not-a-real-key")
        url = server.url + "/v1" if backend_name == "openai" else server.url
        model = "gpt-4o-mini" if backend_name == "openai" else "gemini-2.5-flash"
        backend = make_backend(
            f"{backend_name}/{model}",
            base_url=url,
            max_connections=max_connections,
            cache_mode="off",
            cache_dir=cache_dir,
        )
        assert backend is not None
        server.latency = latency
        began = time.monotonic()
        await backend.complete(Request.from_prompt("warm up"))
        warm_up = time.monotonic() - began
        rounds = []
        for round_no in range(repeat):
            requests = round_requests(round_no)
            server.durations.clear()
            began = time.monotonic()
            results = await complete_many(backend, requests)
            wall = time.monotonic() - began
            failed = sum(not isinstance(r, Completion) for r in results)
            total = sum(server.durations)
            rounds.append(
                {
                    "calls": len(requests),
                    "failed": failed,
                    "wall": wall,
                    "sum": total,
                    "ratio": wall / total if total else float("inf"),
                }
            )
        await backend.aclose()
    ratios = [r["ratio"] for r in rounds]
    return {
        "backend": backend_name,
        "latency": latency,
        "max_connections": max_connections,
        "calls_per_round": rounds[0]["calls"],
        "warm_up_seconds": warm_up,
        "rounds": rounds,
        "best_ratio": min(ratios),
        "median_ratio": statistics.median(ratios),
        "target": 0.25,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("openai", "gemini"), default="openai")
    parser.add_argument("--latency", type=float, default=0.3)
    parser.add_argument("--max-connections", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    result = asyncio.run(bench(args.backend, args.latency, args.max_connections, args.repeat))
    for number, r in enumerate(result["rounds"], 1):
        print(
            f"round {number}: {r['calls']} calls ({r['failed']} failed), wall {r['wall']:.3f}s, "
            f"sum of latencies {r['sum']:.3f}s, ratio {r['ratio']:.3f}x"
        )
    print(
        f"{result['backend']}, latency {result['latency']:.3f}s, max_connections "
        f"{result['max_connections']}: median {result['median_ratio']:.3f}x, best "
        f"{result['best_ratio']:.3f}x (target <= {result['target']}x); warm-up call "
        f"{result['warm_up_seconds']:.3f}s"
    )
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
