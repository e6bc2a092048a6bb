"""The lineage graph: a DAG in birth order whose champion descends from a seed."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import orjson
import pytest

from replays.lineage import ancestry, build_lineage, diff, export, resolve, to_dot
from replays.replay import load_run


def check_lineage(g: nx.DiGraph) -> None:
    """The issue's bars for lineage.json."""
    assert nx.is_directed_acyclic_graph(g)
    for node, attrs in g.nodes(data=True):
        parents = list(g.predecessors(node))
        if attrs["mutation"] == "seed":
            assert not parents
            continue
        assert parents, node
        for p in parents:
            assert g.nodes[p]["seq"] < attrs["seq"] and g.nodes[p]["born"] <= attrs["born"]
    chain = ancestry(g, "champion")
    assert chain[0]["mutation"] == "seed" and chain[-1]["id"] == g.graph["champion"]


def test_saved_lineage_json(finished_run: Path) -> None:
    data = orjson.loads((finished_run / "lineage.json").read_bytes())
    g = nx.node_link_graph(data, edges="links")
    check_lineage(g)
    assert nx.utils.graphs_equal(g, build_lineage(load_run(finished_run)))
    for _, v, e in g.edges(data=True):
        assert e["mutation"] == g.nodes[v]["mutation"]
    assert any(a["kind"] == "test" for _, a in g.nodes(data=True))


def test_exports(finished_run: Path, tmp_path: Path) -> None:
    g = build_lineage(load_run(finished_run))
    export(g, "graphml", tmp_path / "l.graphml")
    back = nx.read_graphml(tmp_path / "l.graphml")
    assert set(back.nodes) == set(g.nodes) and set(back.edges) == set(g.edges)
    dot = to_dot(g)
    assert dot.startswith("digraph lineage {") and dot.count('" -> "') == g.number_of_edges()
    for fmt in ("png", "svg"):
        export(g, fmt, tmp_path / f"l.{fmt}")
        assert (tmp_path / f"l.{fmt}").stat().st_size > 1000
    with pytest.raises(ValueError, match="unknown export format"):
        export(g, "gif", tmp_path / "l.gif")


def test_diff_and_resolve(finished_run: Path) -> None:
    g = build_lineage(load_run(finished_run))
    chain = ancestry(g, "champion")
    text = diff(g, finished_run, chain[0]["id"], chain[-1]["id"])
    assert f"--- {chain[0]['id']}/solution" in text
    assert resolve(g, chain[-1]["id"][:8]) == chain[-1]["id"] or len(g) > 1
    tests = [n for n, a in g.nodes(data=True) if a["kind"] == "test"]
    assert "genome" in diff(g, finished_run, tests[0], tests[-1]) or tests[0] == tests[-1]
    with pytest.raises(ValueError, match="no agent"):
        resolve(g, "zzz")
    with pytest.raises(ValueError, match="is a code agent"):
        diff(g, finished_run, chain[0]["id"], tests[0])
