"""Mutation analysis of HumanEval-10 and email_validation: fixed suites against evolved ones.

For every task, the single-point AST mutants of the reference solution run in the sandbox on
the hidden, fixed and evolved suites (``arena.mutants``). Mutants passing the whole hidden
suite are dropped as likely equivalent. The headline number is the fraction of the fixed
suite's surviving (non-equivalent) mutants that the evolved suite kills; the bar for
humaneval: at least 95%, with every evolved suite smaller than 10% of its hidden suite.

Runs, in sequence:

1. humaneval, order 1: one offline 4v4 tournament per problem (``--rounds``, ``--seed``) grows
   the evolved suite; the run dirs are kept in a temporary folder;
2. humaneval, order 2 (two-point mutants), on the same evolved suites;
3. email_validation, order 1, with one tournament per entry of ``--email-rounds``.

    python bench/mutation_analysis.py                      # 7.5 min on 2 idle cores (15 busy)
    python bench/mutation_analysis.py --email-rounds 8     # about 4 minutes
    python bench/mutation_analysis.py --json bench/results/mutation_analysis.json

Most of the time is the tournaments (humaneval: ten of 8 rounds; email: 30 rounds, 3-4 min).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from arena.mutants import Analysis, Counts, fraction_text, run_analysis
from tasks import resolve

HEADER = (
    f"{'task':<17}{'mutants':>8}{'equiv':>6}{'live':>6}{'fixed kills':>15}{'surv':>6}"
    f"{'killed':>8}{'fraction':>9}{'unseen':>9}{'fixed':>7}{'evolved':>8}{'new':>5}{'hidden':>7}"
)


def _row(name: str, c: Counts) -> str:
    rate = fraction_text(c.killed_fixed / c.non_equivalent if c.non_equivalent else None)
    fixed = f"{c.killed_fixed} ({rate})"
    return (
        f"{name:<17}{c.analyzed:>8}{c.equivalent:>6}{c.non_equivalent:>6}{fixed:>15}"
        f"{c.survivors:>6}{c.survivors_killed:>8}"
        f"{fraction_text(c.survivors_killed / c.survivors if c.survivors else None):>9}"
        f"{f'{c.unseen_survivors_killed}/{c.unseen_survivors}':>9}"
        f"{c.fixed_size:>7}{c.evolved_size:>8}{c.new_size:>5}{c.hidden_size:>7}"
    )


def render(title: str, analysis: Analysis) -> str:
    """A plain-text table: one row per task, then the overall row and the summary lines."""
    lines = [title, HEADER]
    lines += [_row(r.task.removeprefix("humaneval:"), r.counts) for r in analysis.reports]
    c = analysis.overall
    if len(analysis.reports) > 1:
        lines.append(_row("overall", c))
    ne = c.non_equivalent
    lines.append(
        f"  evolved-minus-fixed cases alone kill {c.killed_new}/{ne} live mutants "
        f"({fraction_text(c.killed_new / ne if ne else None)}); evolved kills overall "
        f"{c.killed_evolved}/{ne}; hidden-blind mutants: {c.hidden_blind}; "
        f"largest evolved/hidden: "
        f"{max(r.counts.evolved_size / r.counts.hidden_size for r in analysis.reports):.1%}"
    )
    check = c.to_json()["check"]
    if check is not None:
        lines.append(
            f"  judged as HumanEval's own check judges (Python ==): it kills "
            f"{check['killed']}/{ne}; {check['survivors']} survive, the evolved suite kills "
            f"{check['survivors_killed_by_evolved']} of them"
        )
    survivors = [
        f"{r.task.removeprefix('humaneval:')} line {row.lineno}: {row.description} "
        f"({'killed' if row.killed_evolved else 'SURVIVES'} by evolved"
        f"{', seen' if row.seen else ''})"
        for r in analysis.reports
        for row in r.rows
        if not row.equivalent and not row.killed_fixed
    ]
    if 0 < len(survivors) <= 12:
        lines += ["  survivors of the fixed suite:", *(f"    {s}" for s in survivors)]
    lines.append(
        f"  bar (>= 95% of survivors killed, evolved < 10% of hidden): {analysis.bar_status}"
        f"; {analysis.seconds:.0f} s"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=8, help="humaneval tournament rounds")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--email-rounds", default="8,30", help="comma-separated rounds")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()
    started = time.perf_counter()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-mutants-") as tmp:
        runs = Path(tmp) / "humaneval"
        humaneval = resolve("humaneval")
        first = run_analysis(
            humaneval, spec="humaneval", rounds=args.rounds, seed=args.seed, out=runs
        )
        print(render(f"humaneval, order 1, {args.rounds}-round tournaments", first), flush=True)
        second = run_analysis(humaneval, spec="humaneval", suite_path=runs, order=2)
        print(render("\nhumaneval, order 2, the same evolved suites", second), flush=True)
        results["humaneval_order1"] = first.to_json(mutants=False)
        results["humaneval_order2"] = second.to_json(mutants=False)
        for rounds in (int(r) for r in args.email_rounds.split(",") if r):
            email = run_analysis(
                resolve("email_validation"),
                spec="email_validation",
                rounds=rounds,
                seed=args.seed,
                out=Path(tmp) / f"email-{rounds}",
            )
            print(
                render(f"\nemail_validation, order 1, {rounds}-round tournament", email), flush=True
            )
            results[f"email_order1_rounds{rounds}"] = email.to_json(mutants=False)
    total = time.perf_counter() - started
    print(f"\nhumaneval bar (order 1): {first.bar_status}; total {total:.0f} s")
    if args.json is not None:
        results["seconds"] = total
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))


if __name__ == "__main__":
    main()
