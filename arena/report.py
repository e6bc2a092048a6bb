"""A run's report: plots (PNG and SVG) and a self-contained ``report.html``.

Everything is derived from the run dir's ``events.jsonl`` (plus ``summary.json`` if present,
and the solution files for tie-breaking lengths): nothing is re-run. Plots:

- ``arms_race``: per round, the leader's pass rate before the round (on the suite as it was),
  the same solution once the round's new cases are in (the suite grew), and the best after
  the code agents responded;
- ``suite_size``: fixed cases and evolved cases after every round;
- ``trajectories``: every code-agent slot's pass rate per round (and test agents' round
  scores), with replacements marked;
- ``proposers``: each proposer version's meta-utility (mean improvement per use);
- ``lineage``: the lineage graph, the champion's ancestry in red.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from arena.errors import ArenaError

PLOTS = ("arms_race", "suite_size", "trajectories", "proposers", "lineage")


@dataclass
class RoundPoint:
    """The arms race in one round (pass rates on the suite at each moment)."""

    round: int
    leader: str
    """The leader at the start of the round."""
    before: float
    """Its pass rate on the suite before this round's new cases."""
    grown: float
    """The same solution's pass rate once the new cases are in."""
    after: float
    """The best pass rate after the code agents responded (the round's champion)."""
    suite_before: int
    suite_after: int
    new_cases: int


@dataclass
class RunSeries:
    """What the plots show, derived from the events of one run."""

    task: str
    config: dict[str, Any]
    fixed_size: int
    rounds: list[RoundPoint] = field(default_factory=list)
    code: dict[int, list[tuple[int, float]]] = field(default_factory=dict)
    """Slot -> (round, pass rate at the round's end); round 0 is the seed on the fixed suite."""
    test: dict[int, list[tuple[int, float]]] = field(default_factory=dict)
    """Slot -> (round, the test agent's score in that round)."""
    replacements: list[dict[str, Any]] = field(default_factory=list)
    """{"round", "kind", "slot", "mutation", "child"} per replacement."""
    proposers: list[dict[str, Any]] = field(default_factory=list)
    """In order of first use: {"hash", "origin" (the mutation that made it), "uses",
    "accepted", "meta_utility"}."""


def _rate(outcomes: dict[str, str], keys: list[str]) -> float:
    if not keys:
        return 0.0
    return sum(1 for k in keys if outcomes.get(k) == "p") / len(keys)


def series(events: list[dict[str, Any]], run_dir: Path | None = None) -> RunSeries:
    """The plotted series of a run's events (``run_dir`` gives solution lengths for ties).

    Scores at moments the events do not state (the leader before and after the suite grew)
    are recomputed from the ``evaluation`` events' outcomes, exactly as the ledger does.
    """
    start = events[0]
    out = RunSeries(start["task"]["name"], start["config"], len(start["fixed_suite"]))
    outcomes: dict[str, dict[str, str]] = {}
    suite: list[str] = list(start["fixed_suite"])
    slot_of: dict[str, int] = {}
    solution_of: dict[str, str] = {}
    alive: dict[int, str] = {}  # code slot -> agent id
    lengths: dict[str, int] = {}
    last_leader: str | None = None
    round_start: tuple[dict[int, str], list[str]] | None = None
    used: dict[str, dict[str, Any]] = {}

    def length(solution: str) -> int:
        if solution not in lengths:
            path = run_dir / "solutions" / f"{solution}.py" if run_dir else None
            lengths[solution] = len(path.read_text()) if path and path.is_file() else 0
        return lengths[solution]

    for e in events:
        kind, r = e["type"], e["round"]
        if r >= 1 and round_start is None and kind not in ("run_start", "agent_born"):
            round_start = (dict(alive), list(suite))
        if kind == "agent_born":
            slot_of[e["id"]] = e["slot"]
            if e["kind"] == "code":
                solution_of[e["id"]] = e["solution"]
                alive[e["slot"]] = e["id"]
                used.setdefault(e["proposer"], {"hash": e["proposer"], "origin": e["mutation"]})
        elif kind == "evaluation":
            row = outcomes.setdefault(e["solution"], {})
            row.update(zip(e["cases"], e["outcomes"], strict=True))
        elif kind == "case_accepted":
            suite.append(e["key"])
        elif kind == "replacement":
            out.replacements.append(
                {
                    "round": r,
                    "kind": e["kind"],
                    "slot": slot_of.get(e["loser"], 0),
                    "mutation": e["mutation"],
                    "child": e["child"],
                }
            )
        elif kind == "round_end" and round_start is not None:
            agents, before_suite = round_start
            rates = {
                a: _rate(outcomes.get(solution_of[a], {}), before_suite) for a in agents.values()
            }
            best = max(rates.values())
            tied = [a for a, v in rates.items() if v == best]
            shortest = min(length(solution_of[a]) for a in tied)
            tied = [a for a in tied if length(solution_of[a]) == shortest]
            leader = last_leader if last_leader in tied else tied[0]
            grown = _rate(outcomes.get(solution_of[leader], {}), suite)
            out.rounds.append(
                RoundPoint(
                    round=r,
                    leader=leader,
                    before=float(e.get("leader_before", best)),
                    grown=float(e.get("leader_grown", grown)),
                    after=float(e["champion_score"]),
                    suite_before=len(before_suite),
                    suite_after=int(e["suite_size"]),
                    new_cases=int(e["suite_size"]) - len(before_suite),
                )
            )
            if r == 1:
                for slot, a in agents.items():
                    out.code.setdefault(slot, []).append((0, rates[a]))
            for a, score in e["code"].items():
                out.code.setdefault(slot_of[a], []).append((r, float(score)))
            for a, score in e["test"].items():
                out.test.setdefault(slot_of[a], []).append((r, float(score)))
            last_leader = e["leader"]
            round_start = None
    out.proposers = list(used.values())
    return out


def _fill_proposers(s: RunSeries, summary: dict[str, Any] | None) -> None:
    stats = (summary or {}).get("proposers", {})
    for p in s.proposers:
        st = stats.get(p["hash"], {})
        p.update(
            uses=int(st.get("uses", 0)),
            accepted=int(st.get("accepted", 0)),
            meta_utility=float(st.get("meta_utility", 0.0)),
        )


# ---- plots ------------------------------------------------------------------------------------


def _save(fig: Any, out: Path, name: str) -> list[Path]:
    import matplotlib.pyplot as plt

    paths = []
    fig.tight_layout()
    for suffix in ("png", "svg"):
        path = out / f"{name}.{suffix}"
        fig.savefig(path, dpi=130)
        paths.append(path)
    plt.close(fig)
    return paths


def plot_arms_race(s: RunSeries, hidden: float | None, out: Path) -> list[Path]:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8.5, 4.4))
    xs: list[float] = []
    ys: list[float] = []
    for p in s.rounds:
        xs += [p.round - 0.5, p.round - 0.5, p.round]
        ys += [p.before, p.grown, p.after]
    ax.plot(xs, ys, color="#bbbbbb", lw=1, zorder=1)
    rs = [p.round for p in s.rounds]
    ax.scatter(
        [r - 0.5 for r in rs],
        [p.before for p in s.rounds],
        marker="o",
        color="#1f77b4",
        zorder=3,
        label="leader before the round (old suite)",
    )
    ax.scatter(
        [r - 0.5 for r in rs],
        [p.grown for p in s.rounds],
        marker="v",
        color="#d62728",
        zorder=3,
        label="same solution, suite grown (new cases in)",
    )
    ax.plot(
        rs,
        [p.after for p in s.rounds],
        marker="s",
        color="#2ca02c",
        zorder=3,
        label="leader after the code agents responded",
    )
    if hidden is not None:
        ax.axhline(
            hidden,
            color="#9467bd",
            ls="--",
            lw=1.2,
            label=f"final champion on the hidden suite ({hidden:.3f})",
        )
    ax.set_xlabel("round")
    ax.set_ylabel("pass rate on the suite at that moment")
    ax.set_xticks(rs)
    low = min([*ys, hidden if hidden is not None else 1.0], default=0.0)
    ax.set_ylim(max(0.0, low - 0.1), 1.02)
    title = (
        "Fixed mode: no test agents, the suite never grows; code agents climb the fixed suite"
        if s.config.get("test") == 0
        else "Arms race: test agents grow the suite (red drop), code agents respond (green)"
    )
    ax.set_title(title, fontsize=10)
    ax.grid(color="#eeeeee")
    ax.legend(fontsize=8, loc="lower right")
    return _save(fig, out, "arms_race")


def plot_suite_size(s: RunSeries, out: Path) -> list[Path]:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8.5, 3.8))
    rs = [0] + [p.round for p in s.rounds]
    sizes = [s.fixed_size] + [p.suite_after for p in s.rounds]
    evolved = [n - s.fixed_size for n in sizes]
    ax.bar(rs, [s.fixed_size] * len(rs), color="#bbbbbb", label="fixed cases")
    ax.bar(
        rs,
        evolved,
        bottom=[s.fixed_size] * len(rs),
        color="#1f77b4",
        label="evolved cases (oracle-labelled)",
    )
    for p in s.rounds:
        ax.annotate(
            f"+{p.new_cases}",
            (p.round, p.suite_after),
            ha="center",
            xytext=(0, 3),
            textcoords="offset points",
            fontsize=8,
        )
    ax.set_xticks(rs)
    ax.set_xlabel("round (0: start)")
    ax.set_ylabel("cases in the suite")
    ax.set_ylim(0, max(sizes) * 1.15 + 1)
    ax.set_title("Suite size after each round (+ new cases accepted that round)", fontsize=10)
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(axis="y", color="#eeeeee")
    return _save(fig, out, "suite_size")


def plot_trajectories(s: RunSeries, out: Path) -> list[Path]:
    import matplotlib.pyplot as plt

    panels = 2 if s.test else 1
    fig, axes = plt.subplots(
        panels, 1, figsize=(8.5, 3.6 * panels + 0.4), sharex=True, squeeze=False
    )
    colors = plt.get_cmap("tab10")
    for row, (kind, data) in enumerate((("code", s.code), ("test", s.test))[:panels]):
        ax = axes[row][0]
        for slot, points in sorted(data.items()):
            ax.plot(
                [x for x, _ in points],
                [y for _, y in points],
                marker=".",
                color=colors(slot % 10),
                label=f"{kind} slot {slot}",
            )
            score_at = dict(points)
            for rep in s.replacements:
                if rep["kind"] == kind and rep["slot"] == slot and rep["round"] in score_at:
                    y = score_at[rep["round"]]
                    ax.scatter(
                        [rep["round"]],
                        [y],
                        marker="*",
                        s=150,
                        zorder=4,
                        color=colors(slot % 10),
                        edgecolors="black",
                        linewidths=0.6,
                    )
                    ax.annotate(
                        rep["mutation"].removeprefix("meta:")[:16],
                        (rep["round"], y),
                        xytext=(4, -11),
                        textcoords="offset points",
                        fontsize=6.5,
                    )
        ax.scatter(
            [],
            [],
            marker="*",
            s=110,
            color="white",
            edgecolors="black",
            label="replaced (mutated copy of a winner)",
        )
        ax.set_ylabel("pass rate (current suite)" if kind == "code" else "round score")
        ax.set_title(
            "Code agents: pass rate per slot at each round's end"
            if kind == "code"
            else "Test agents: score per slot in each round",
            fontsize=10,
        )
        ax.grid(color="#eeeeee")
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    for row in axes:
        row[0].set_xlim(-0.3, max([0] + [p.round for p in s.rounds]) + 0.9)
    axes[-1][0].set_xlabel("round")
    rounds = [0] + [p.round for p in s.rounds]
    axes[-1][0].set_xticks(rounds)
    return _save(fig, out, "trajectories")


def plot_proposers(s: RunSeries, out: Path) -> list[Path]:
    import matplotlib.pyplot as plt

    props = s.proposers
    fig, ax = plt.subplots(figsize=(max(6.0, 0.9 * len(props) + 3), 4.2))
    xs = range(len(props))
    ax.bar(xs, [p["meta_utility"] for p in props], color="#ff7f0e")
    for x, p in zip(xs, props, strict=True):
        ax.annotate(
            f"{p['accepted']}/{p['uses']}",
            (x, p["meta_utility"]),
            ha="center",
            xytext=(0, 3),
            textcoords="offset points",
            fontsize=7,
        )
    labels = [f"{p['hash'][:8]}\n{p['origin'].removeprefix('meta:')[:14]}" for p in props]
    ax.set_xticks(list(xs), labels, fontsize=7, rotation=0 if len(props) < 8 else 45)
    ax.set_ylabel("meta-utility (mean improvement per use)")
    ax.set_xlabel("proposer version (hash, the mutation that made it), in order of birth")
    ax.set_title("Proposer meta-utility (label: accepted / uses)", fontsize=10)
    top = max((p["meta_utility"] for p in props), default=0.0)
    ax.set_ylim(0, top * 1.2 + 0.01)
    ax.grid(axis="y", color="#eeeeee")
    return _save(fig, out, "proposers")


def plot_lineage(data: Any, out: Path) -> list[Path]:
    from replays.lineage import build_lineage, draw

    graph = build_lineage(data)
    paths = [out / "lineage.png", out / "lineage.svg"]
    for path in paths:
        draw(graph, path)
    return paths


# ---- the report -------------------------------------------------------------------------------


@dataclass
class Report:
    """What ``write_report`` wrote."""

    html: Path
    images: list[Path]
    series: RunSeries
    summary: dict[str, Any] | None


def write_report(
    run_dir: Path,
    out: Path | None = None,
    *,
    on_step: Callable[[str], None] | None = None,
) -> Report:
    """Write the plots (PNG and SVG) and report.html for ``run_dir`` into ``out`` (default:
    ``run_dir``/report). ArenaError if ``run_dir`` is not a readable run dir or ``out``
    cannot be written. An unfinished run gets a report of the rounds played so far."""
    import matplotlib

    matplotlib.use("Agg")
    from replays.events import EventLogError
    from replays.replay import load_run, summary_from_events

    step = on_step or (lambda _s: None)
    try:
        data = load_run(run_dir, tolerate_torn_tail=True)
    except EventLogError as exc:
        raise ArenaError(str(exc)) from None
    summary: dict[str, Any] | None = None
    summary_file = run_dir / "summary.json"
    if summary_file.is_file():
        try:
            summary = orjson.loads(summary_file.read_bytes())
        except orjson.JSONDecodeError as exc:
            raise ArenaError(f"{summary_file}: corrupted JSON: {exc}") from None
    elif data.complete:
        summary = summary_from_events(data)
    s = series(data.events, run_dir)
    if summary is None:
        summary_stats = {"proposers": _proposer_stats(data.events)}
        _fill_proposers(s, summary_stats)
    else:
        _fill_proposers(s, summary)
    target = out or run_dir / "report"
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ArenaError(f"cannot create {target}: {exc}") from None
    hidden = summary["champion"]["scores"]["hidden"] if summary else None
    images: list[Path] = []
    try:
        plots: list[tuple[str, Callable[[], list[Path]]]] = [
            ("arms_race", lambda: plot_arms_race(s, hidden, target)),
            ("suite_size", lambda: plot_suite_size(s, target)),
            ("trajectories", lambda: plot_trajectories(s, target)),
            ("proposers", lambda: plot_proposers(s, target)),
            ("lineage", lambda: plot_lineage(data, target)),
        ]
        for name, fn in plots:
            step(name)
            images += fn()
        html_path = target / "report.html"
        html_path.write_text(render_html(s, summary, target, run_dir), encoding="utf-8")
    except OSError as exc:
        raise ArenaError(f"cannot write the report to {target}: {exc}") from None
    return Report(html_path, images, s, summary)


def _proposer_stats(events: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    stats: dict[str, dict[str, Any]] = {}
    for e in events:
        if e["type"] == "proposal":
            st = stats.setdefault(e["proposer"], {"uses": 0, "accepted": 0, "improvement": 0.0})
            st["uses"] += 1
            st["accepted"] += 1 if e["accepted"] else 0
            st["improvement"] += max(0.0, e["after"] - e["before"]) if e["accepted"] else 0.0
    for st in stats.values():
        st["meta_utility"] = st["improvement"] / st["uses"] if st["uses"] else 0.0
    return stats


_CAPTIONS = {
    "arms_race": "Arms race. Per round: the leader on the suite before the round (blue), the "
    "same solution after the test agents' new cases joined the suite (red), and the best code "
    "agent after the responses (green). The dashed line is the final champion on the hidden "
    "suite, which no agent saw.",
    "suite_size": "Suite size after each round: the fixed cases and the evolved cases, every "
    "one labelled by the task's oracle.",
    "trajectories": "Per-slot trajectories: code agents' pass rates on the suite of the day, "
    "test agents' round scores. A star marks a replacement at the end of that round: the "
    "slot's agent replaced by a mutated copy of a winner (label: the mutation); a code star "
    "shows the new agent's score, a test star the replaced agent's last score.",
    "proposers": "Meta-utility per proposer version: the mean improvement its proposals "
    "achieved per use (label: accepted / uses). New versions come from meta-mutation.",
    "lineage": "Lineage: a node per agent version, edges parent to child; the champion's "
    "ancestry in red.",
}

_CSS = """
body { font-family: system-ui, -apple-system, Segoe UI, sans-serif; margin: 2em auto;
       max-width: 1100px; color: #222; padding: 0 1em; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 2em; }
table { border-collapse: collapse; margin: 0.5em 0; font-size: 0.9em; }
th, td { border: 1px solid #ddd; padding: 4px 10px; text-align: right; }
th { background: #f4f4f4; } td.l, th.l { text-align: left; }
tr.champ td { font-weight: 600; background: #fff6e0; }
figure { margin: 1em 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { font-size: 0.85em; color: #555; max-width: 900px; }
.note { color: #555; font-size: 0.9em; } code { background: #f4f4f4; padding: 0 3px; }
"""


def _table(head: list[str], rows: list[list[str]], left: set[int], champ: int = -1) -> str:
    th = "".join(
        f'<th class="{"l" if i in left else ""}">{html.escape(h)}</th>' for i, h in enumerate(head)
    )
    body = []
    for n, row in enumerate(rows):
        tds = "".join(
            f'<td class="{"l" if i in left else ""}">{html.escape(c)}</td>'
            for i, c in enumerate(row)
        )
        body.append(f'<tr class="{"champ" if n == champ else ""}">{tds}</tr>')
    return f"<table><thead><tr>{th}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def render_html(s: RunSeries, summary: dict[str, Any] | None, images: Path, run_dir: Path) -> str:
    """report.html: every PNG in ``images`` inlined as a data URI, the tables, captions."""
    c = s.config
    title = (
        f"Arena run report: {s.task}, {c['code']} code x {c['test']} test agents, seed {c['seed']}"
    )
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f'<p class="note">Run dir <code>{html.escape(str(run_dir))}</code>; '
        f"{len(s.rounds)} of {c['rounds']} rounds played; model {html.escape(str(c['model']))}; "
        f"replacement every {c['replace_every']} rounds.</p>",
    ]
    if summary is None:
        parts.append('<p class="note">The run has not finished: no leaderboard yet.</p>')
    else:
        n = summary["suites"]
        trained = n["trained_on"]
        parts.append("<h2>Fixed, evolved and hidden suites</h2>")
        champ = summary["champion"]["scores"]
        rows = []
        for name, what in (
            ("fixed", "the task's starter suite"),
            ("evolved", "the suite this run grew (fixed + oracle-labelled new cases)"),
            ("hidden", "held out: no agent ever saw it"),
        ):
            mark = " (trained on)" if name == trained else ""
            if name == "evolved" and trained == "fixed":
                mark = " (= fixed; trained on)"
            rows.append([name + mark, what, str(n[name]), f"{champ[name]:.3f}"])
        parts.append(_table(["suite", "what it is", "cases", "champion pass rate"], rows, {0, 1}))
        parts.append(
            '<p class="note">The champion is chosen on the suite the run trained against; only '
            "the hidden score is a held-out number.</p>"
        )
        parts.append("<h2>Leaderboard (final code agents)</h2>")
        rows = [
            [
                str(i),
                row["id"],
                str(row["slot"]),
                str(row["length"]),
                row["proposer"],
                f"{row['fixed']:.3f}",
                f"{row['evolved']:.3f}",
                f"{row['hidden']:.3f}",
            ]
            for i, row in enumerate(summary["leaderboard"], start=1)
        ]
        parts.append(
            _table(
                [
                    "rank",
                    "agent",
                    "slot",
                    "length",
                    "proposer",
                    "fixed",
                    "evolved",
                    "hidden (held out)",
                ],
                rows,
                {1, 4},
                champ=0,
            )
        )
    if s.rounds:
        parts.append("<h2>Rounds</h2>")
        rows = [
            [
                str(p.round),
                str(p.suite_after),
                f"+{p.new_cases}",
                p.leader,
                f"{p.before:.3f}",
                f"{p.grown:.3f}",
                f"{p.after:.3f}",
            ]
            for p in s.rounds
        ]
        parts.append(
            _table(
                [
                    "round",
                    "suite",
                    "new",
                    "leader at start",
                    "before",
                    "suite grown",
                    "after responses",
                ],
                rows,
                {3},
            )
        )
    for name in PLOTS:
        png = images / f"{name}.png"
        data = base64.b64encode(png.read_bytes()).decode("ascii")
        parts.append(
            f"<h2>{name.replace('_', ' ').capitalize()}</h2><figure>"
            f'<img src="data:image/png;base64,{data}" alt="{name}">'
            f"<figcaption>{html.escape(_CAPTIONS[name])} "
            f'(<a href="{name}.svg">SVG</a>)</figcaption></figure>'
        )
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
