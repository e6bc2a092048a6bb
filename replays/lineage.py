"""The lineage graph of a run, built from its events: a node per agent version, an edge
parent -> child labelled with the mutation that made the child.

Node attributes: kind (code or test), slot, born (round), seq (of the agent_born event),
mutation, solution and proposer
hashes (code), genome (test, as JSON text), scores (round -> score, as JSON text so that
GraphML can hold it), last_score, champion (bool). Saved as networkx node-link JSON
(``lineage.json``); exported as GraphML, DOT, PNG or SVG.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import networkx as nx
import orjson

from replays.events import EventLogError
from replays.replay import RunData, summary_from_events

EXPORTS = ("json", "graphml", "dot", "png", "svg")


def build_lineage(data: RunData) -> nx.DiGraph:
    """The lineage DiGraph of ``data`` (graph attribute ``champion``: the champion's id)."""
    g = nx.DiGraph()
    scores: dict[str, dict[int, float]] = {}
    for e in data.events:
        if e["type"] == "agent_born":
            attrs: dict[str, Any] = {
                "kind": e["kind"],
                "slot": e["slot"],
                "born": e["round"],
                "seq": e["seq"],
                "mutation": e["mutation"],
            }
            if e["kind"] == "code":
                attrs |= {"solution": e["solution"], "proposer": e["proposer"]}
            else:
                attrs["genome"] = orjson.dumps(
                    e.get("genome"), option=orjson.OPT_SORT_KEYS
                ).decode()
            g.add_node(e["id"], **attrs)
            for parent in e["parents"]:
                g.add_edge(parent, e["id"], mutation=e["mutation"])
        elif e["type"] == "proposal":
            scores.setdefault(e["agent"], {}).setdefault(e["round"], e["before"])
        elif e["type"] == "round_end":
            for key in ("code", "test"):
                for agent, score in e[key].items():
                    scores.setdefault(agent, {})[e["round"]] = score
    for node, attrs in g.nodes(data=True):
        mine = scores.get(node, {})
        attrs["scores"] = orjson.dumps({str(k): v for k, v in sorted(mine.items())}).decode()
        attrs["last_score"] = mine[max(mine)] if mine else -1.0
        attrs["champion"] = False
    champion = champion_id(data)
    g.graph["champion"] = champion or ""
    if champion in g:
        for node in [champion, *nx.ancestors(g, champion)]:
            g.nodes[node]["champion"] = True
    return g


def champion_id(data: RunData) -> str | None:
    """The champion: summary's if the run finished, else the last round's leader."""
    try:
        champion: str = summary_from_events(data)["champion"]["id"]
        return champion
    except EventLogError:
        ends = [e for e in data.events if e["type"] == "round_end"]
        return str(ends[-1]["leader"]) if ends else None


def node_link(g: nx.DiGraph) -> dict[str, Any]:
    """The node-link data of ``g`` (loads back with ``networkx.node_link_graph``)."""
    data: dict[str, Any] = nx.node_link_data(g, edges="links")
    return data


def resolve(g: nx.DiGraph, agent: str) -> str:
    """The node id meant by ``agent`` (``champion``, an id, or a unique id prefix)."""
    if agent == "champion":
        agent = str(g.graph.get("champion", ""))
        if not agent:
            raise ValueError("the run has no champion yet")
    if agent in g:
        return agent
    matches = [n for n in g if str(n).startswith(agent)]
    if len(matches) != 1:
        raise ValueError(f"no agent {agent!r}" if not matches else f"agent {agent!r} is ambiguous")
    return str(matches[0])


def ancestry(g: nx.DiGraph, agent: str) -> list[dict[str, Any]]:
    """The chain from a seed to ``agent`` (first parent at each step), oldest first: id,
    born, mutation, score (last round score while alive), solution/proposer (code)."""
    chain = []
    node: str | None = resolve(g, agent)
    while node is not None:
        a = g.nodes[node]
        chain.append(
            {
                "id": node,
                "kind": a["kind"],
                "born": a["born"],
                "mutation": a["mutation"],
                "score": a["last_score"] if a["last_score"] >= 0 else None,
                "solution": a.get("solution"),
                "proposer": a.get("proposer"),
            }
        )
        parents = sorted(g.predecessors(node), key=lambda p: (g.nodes[p]["born"], p))
        node = parents[0] if parents else None
    return chain[::-1]


def diff(g: nx.DiGraph, run_dir: Path, a: str, b: str) -> str:
    """Unified diffs of the solutions and proposers of agents ``a`` and ``b`` (code agents),
    or of their genomes (test agents). ValueError for unknown agents or missing sources."""
    na, nb = resolve(g, a), resolve(g, b)
    xa, xb = g.nodes[na], g.nodes[nb]
    parts: list[str] = []
    if xa["kind"] != xb["kind"]:
        raise ValueError(f"{na} is a {xa['kind']} agent, {nb} a {xb['kind']} agent")
    if xa["kind"] == "test":
        texts = [(_genome_text(xa), _genome_text(xb), "genome")]
    else:
        texts = [
            (_source(run_dir, "solutions", xa["solution"]),
             _source(run_dir, "solutions", xb["solution"]), "solution"),
            (_source(run_dir, "proposers", xa["proposer"]),
             _source(run_dir, "proposers", xb["proposer"]), "proposer"),
        ]  # fmt: skip
    for left, right, what in texts:
        parts += difflib.unified_diff(
            left.splitlines(keepends=True),
            right.splitlines(keepends=True),
            fromfile=f"{na}/{what}",
            tofile=f"{nb}/{what}",
        )
    return "".join(p if p.endswith("\n") else p + "\n" for p in parts)


def _genome_text(attrs: dict[str, Any]) -> str:
    genome = orjson.loads(attrs["genome"])
    return "".join(f"{k}: {v}\n" for k, v in sorted(genome.items()))


def _source(run_dir: Path, folder: str, h: str) -> str:
    path = run_dir / folder / f"{h}.py"
    try:
        return path.read_text()
    except OSError:
        raise ValueError(f"{path}: no such file") from None


# ---- exports ----------------------------------------------------------------------------------


def export(g: nx.DiGraph, fmt: str, path: Path) -> None:
    """Write ``g`` to ``path`` as ``fmt`` (one of ``EXPORTS``), creating its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "json":
        path.write_bytes(orjson.dumps(node_link(g), option=orjson.OPT_INDENT_2) + b"\n")
    elif fmt == "graphml":
        nx.write_graphml(g, path)
    elif fmt == "dot":
        path.write_text(to_dot(g))
    elif fmt in ("png", "svg"):
        draw(g, path)
    else:
        raise ValueError(f"unknown export format {fmt!r} ({', '.join(EXPORTS)})")


def _dot_quote(value: object) -> str:
    return '"' + str(value).replace('"', "'") + '"'


def to_dot(g: nx.DiGraph) -> str:
    """Graphviz DOT text: ranked by birth round, the champion's line in bold red."""
    lines = ["digraph lineage {", "  rankdir=LR;", "  node [shape=box, fontsize=10];"]
    for node, a in g.nodes(data=True):
        label = f"{node}\\nr{a['born']} {a['mutation']}"
        style = ", color=red, penwidth=2" if a["champion"] else ""
        shape = "box" if a["kind"] == "code" else "ellipse"
        lines.append(f"  {_dot_quote(node)} [label={_dot_quote(label)}, shape={shape}{style}];")
    for u, v, e in g.edges(data=True):
        hot = g.nodes[u]["champion"] and g.nodes[v]["champion"]
        style = ", color=red, penwidth=2" if hot else ""
        lines.append(
            f"  {_dot_quote(u)} -> {_dot_quote(v)} [label={_dot_quote(e['mutation'])}{style}];"
        )
    by_round: dict[int, list[str]] = {}
    for node, a in g.nodes(data=True):
        by_round.setdefault(a["born"], []).append(node)
    for nodes in by_round.values():
        lines.append("  { rank=same; " + " ".join(_dot_quote(n) for n in nodes) + " }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def layout(g: nx.DiGraph) -> dict[str, tuple[float, float]]:
    """x = birth round (nudged right for a slot's later versions in the same round), y =
    population slot (code agents above, test agents below)."""
    code_slots = 1 + max(
        (a["slot"] for _, a in g.nodes(data=True) if a["kind"] == "code"), default=0
    )
    pos: dict[str, tuple[float, float]] = {}
    taken: dict[tuple[float, float], int] = {}
    for node, a in g.nodes(data=True):  # in birth order
        y = -a["slot"] if a["kind"] == "code" else -(code_slots + 1 + a["slot"])
        cell = (float(a["born"]), float(y))
        k = taken[cell] = taken.get(cell, -1) + 1
        pos[node] = (cell[0] + 0.3 * k, cell[1])  # a slot's second version in one round
    return pos


def draw(g: nx.DiGraph, path: Path) -> None:
    """A PNG or SVG drawing (by suffix): layered by round and slot, the champion's line red."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pos = layout(g)
    rounds = 1 + max((a["born"] for _, a in g.nodes(data=True)), default=0)
    rows = 1 + len({p[1] for p in pos.values()})
    fig, ax = plt.subplots(figsize=(max(8.0, 0.75 * rounds + 3), max(4.0, 0.75 * rows + 1.5)))
    hot = [(u, v) for u, v in g.edges if g.nodes[u]["champion"] and g.nodes[v]["champion"]]
    cold = [e for e in g.edges if e not in set(hot)]
    nx.draw_networkx_edges(g, pos, edgelist=cold, ax=ax, edge_color="#999999", arrows=True,
                           arrowsize=8, width=0.8, connectionstyle="arc3,rad=0.08")  # fmt: skip
    nx.draw_networkx_edges(g, pos, edgelist=hot, ax=ax, edge_color="#d62728", arrows=True,
                           arrowsize=10, width=2.4, connectionstyle="arc3,rad=0.08")  # fmt: skip
    for kind, shape, color in (("code", "s", "#1f77b4"), ("test", "o", "#2ca02c")):
        nodes = [n for n, a in g.nodes(data=True) if a["kind"] == kind]
        colors = ["#d62728" if g.nodes[n]["champion"] else color for n in nodes]
        nx.draw_networkx_nodes(g, pos, nodelist=nodes, node_shape=shape, node_color=colors,
                               node_size=160, ax=ax, label=f"{kind} agent")  # fmt: skip
    meta = [(u, v) for u, v, e in g.edges(data=True) if e["mutation"] not in ("propose", "seed")]
    labels = {(u, v): _short(g.edges[u, v]["mutation"]) for u, v in meta}
    nx.draw_networkx_edge_labels(g, pos, edge_labels=labels, font_size=6, ax=ax, rotate=False,
                                 label_pos=0.8, bbox={"fc": "white", "ec": "none",
                                 "alpha": 0.7, "pad": 0.5})  # fmt: skip
    champion = g.graph.get("champion")
    if champion in pos:
        x, y = pos[champion]
        ax.annotate(f"champion {champion}", (x, y), xytext=(6, 8), textcoords="offset points",
                    fontsize=8, color="#d62728")  # fmt: skip
    code_rows = sorted({-int(y) for n, (_, y) in pos.items() if g.nodes[n]["kind"] == "code"})
    test_rows = sorted({int(y) for n, (_, y) in pos.items() if g.nodes[n]["kind"] == "test"})
    ax.set_yticks([-s for s in code_rows] + test_rows)
    ax.set_yticklabels([f"code {s}" for s in code_rows] +
                       [f"test {i}" for i in range(len(test_rows))][::-1])  # fmt: skip
    ax.set_xticks(range(rounds))
    ax.tick_params(left=True, bottom=True, labelleft=True, labelbottom=True)
    ax.set_xlabel("round born")
    ax.set_title("Lineage (edges parent -> child; red: the champion's ancestry)", fontsize=10)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    ax.grid(axis="x", color="#eeeeee")
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)


def _short(mutation: str) -> str:
    return mutation.removeprefix("meta:")[:24]
