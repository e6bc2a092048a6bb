"""The round engine end to end: determinism, fixed-benchmark mode, run-dir contents."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import networkx as nx
import orjson
import pytest

from arena.config import RunConfig
from arena.errors import ArenaError
from arena.runner import run
from replays.events import read_events, stable

SMALL = {"code": 2, "test": 2, "rounds": 3, "replace_every": 2, "isolation": "basic"}


def events(run_dir: Path) -> list[dict[str, Any]]:
    return list(read_events(run_dir / "events.jsonl"))


def summary(run_dir: Path) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads((run_dir / "summary.json").read_bytes())
    data.pop("seconds")
    return data


@pytest.mark.parametrize("task", ["email_validation", "sorting_network:n=4"])
def test_same_seed_same_events(task: str, tmp_path: Path) -> None:
    config = RunConfig(task=task, seed=3, **SMALL)  # type: ignore[arg-type]
    a = run(config, tmp_path / "a").run_dir
    b = run(config, tmp_path / "b").run_dir
    ea, eb = [stable(e) for e in events(a)], [stable(e) for e in events(b)]
    assert len(ea) > 10
    assert ea == eb
    assert summary(a) == summary(b)
    other = run(RunConfig(task=task, seed=4, **SMALL), tmp_path / "c").run_dir  # type: ignore[arg-type]
    assert [stable(e) for e in events(other)] != ea


def test_run_dir_contents_and_scores(tmp_path: Path) -> None:
    result = run(RunConfig(task="email_validation", seed=0, **SMALL), tmp_path)  # type: ignore[arg-type]
    d = result.run_dir
    for name in ("run.json", "events.jsonl", "summary.json", "suite.json", "champion.py"):
        assert (d / name).is_file(), name
    evs = events(d)
    assert [e["seq"] for e in evs] == list(range(len(evs)))
    assert evs[0]["type"] == "run_start" and evs[-1]["type"] == "run_end"
    born = [e for e in evs if e["type"] == "agent_born"]
    assert len({e["id"] for e in born}) == len(born), "agent ids collide"
    for e in born:
        if e["kind"] == "code":
            assert (d / "solutions" / f"{e['solution']}.py").is_file()
            assert (d / "proposers" / f"{e['proposer']}.py").is_file()
    s = result.summary
    champ = s["champion"]
    assert "def validate_email(" in (d / "champion.py").read_text()
    assert set(champ["scores"]) == {"fixed", "evolved", "hidden"}
    assert s["suites"]["hidden_total"] >= 2000 and s["suites"]["trained_on"] == "evolved"
    # held out: the hidden cases the run trained on (evolved suite, fixed included) are excluded
    assert s["suites"]["hidden"] <= s["suites"]["hidden_total"]
    suite = orjson.loads((d / "suite.json").read_bytes())
    assert len(suite["cases"]) == s["suites"]["evolved"] > s["suites"]["fixed"]
    accepted = [e for e in evs if e["type"] == "case_accepted"]
    assert len(accepted) == s["suites"]["evolved"] - s["suites"]["fixed"]
    assert all(e["broke"] for e in accepted), "a case entered the suite without breaking anyone"
    assert all(len([a for a in accepted if a["round"] == r]) <= 2 * 2 for r in (1, 2, 3))
    # Every accepted proposal improved (or shortened at equal score) its agent.
    for e in evs:
        if e["type"] == "proposal" and e["accepted"]:
            assert e["after"] >= e["before"]
    # Lineage is recoverable from the events alone: a DAG whose edges point forward in time.
    g = nx.DiGraph()
    for e in born:
        g.add_node(e["id"], round=e["round"])
        for p in e["parents"]:
            g.add_edge(p, e["id"])
    assert nx.is_directed_acyclic_graph(g)
    assert all(g.nodes[u]["round"] <= g.nodes[v]["round"] for u, v in g.edges)


def test_fixed_mode_trains_on_the_fixed_suite_only(tmp_path: Path) -> None:
    config = RunConfig(task="email_validation", seed=1, **{**SMALL, "test": 0})  # type: ignore[arg-type]
    result = run(config, tmp_path)
    evs = events(result.run_dir)
    assert not [e for e in evs if e["type"] in ("case_accepted", "test_proposal")]
    s = result.summary
    assert s["mode"] == "fixed" and s["suites"]["trained_on"] == "fixed"
    assert s["suites"]["evolved"] == s["suites"]["fixed"]
    assert s["champion"]["scores"]["evolved"] == s["champion"]["scores"]["fixed"]


def test_bad_config_is_refused() -> None:
    with pytest.raises(ArenaError, match="--code"):
        RunConfig(code=0)
    with pytest.raises(ArenaError, match="unknown model"):
        RunConfig(model="llama")


def test_sources_that_break_the_compiler_are_refused_not_fatal() -> None:
    from arena.engine import _compiles

    assert _compiles("def f():\n    return 1\n")
    assert not _compiles("+".join(["1"] * 49_000))  # RecursionError inside compile()
    assert not _compiles("-" * 99_990 + "1")
    assert not _compiles("x = (")


def test_a_hostile_proposer_cannot_crash_the_run(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A proposer whose ctx.score argument and candidates break the compiler: the run goes on."""
    import agents.proposers as proposers

    hostile = (
        "def propose(ctx):\n"
        "    bomb = '+'.join(['1'] * 49000)\n"
        "    ctx.score(bomb)\n"
        "    ctx.mutate(bomb)\n"
        "    return [bomb, '-' * 99990 + '1']\n"
    )
    monkeypatch.setattr(proposers, "seed_proposer_source", lambda: hostile)
    monkeypatch.setattr("arena.engine.seed_proposer_source", lambda: hostile)
    result = run(RunConfig(task="sorting_network:n=4", seed=0, **SMALL), tmp_path)  # type: ignore[arg-type]
    props = [e for e in events(result.run_dir) if e["type"] == "proposal"]
    assert props and not any(e["accepted"] for e in props)


def test_a_smaller_network_wins_even_with_a_longer_source(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Ties on the pass rate go to fewer comparators, whatever the formatting: a 5-comparator
    network written one per line (longer source) replaces a compact 6-comparator one."""
    import agents.proposers as proposers

    compact = "COMPARATORS = [(0, 1), (2, 3), (0, 2), (1, 3), (1, 2), (0, 1)]"
    spread = "\n".join(
        ["COMPARATORS = ["]
        + [f"    ({i}, {j}),  # a comment" for i, j in [(0, 1), (2, 3), (0, 2), (1, 3), (1, 2)]]
        + ["]"]
    )
    proposer = (
        "def propose(ctx):\n"
        "    if 'COMPARATORS = []' in ctx.solution:\n"
        f"        return [{compact!r}]\n"
        f"    return [{spread!r}]\n"
    )
    monkeypatch.setattr(proposers, "seed_proposer_source", lambda: proposer)
    monkeypatch.setattr("arena.engine.seed_proposer_source", lambda: proposer)
    result = run(RunConfig(task="sorting_network:n=4", seed=0, **SMALL), tmp_path)  # type: ignore[arg-type]
    accepted = [e for e in events(result.run_dir) if e["type"] == "proposal" and e["accepted"]]
    assert len(spread) > len(compact)
    assert (result.run_dir / "champion.py").read_text().strip() == spread
    assert any(e["before"] == e["after"] == 1.0 for e in accepted)  # the tie, won on size


@pytest.mark.parametrize(
    "url",
    [
        "https://user:sk-secret@example.test/v1",
        "https://example.test/v1?key=sk-secret",
        "https://example.test/v1#sk-secret",
        "ftp://example.test",
        "not a url",
    ],
)
def test_base_urls_that_could_leak_a_key_are_refused(url: str) -> None:
    with pytest.raises(ArenaError, match="base-url") as info:
        RunConfig(model="openai/gpt-4.1-mini", base_url=url)
    assert "sk-secret" not in str(info.value)
