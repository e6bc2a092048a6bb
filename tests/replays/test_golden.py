"""The golden run dir of format version 1: today's readers must read it, and today's
writer must write the same event types with the same fields. Changing the format is a
deliberate act: bump FORMAT_VERSION and add tests/golden/v2."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import orjson

from arena.config import RunConfig
from arena.runner import FORMAT_VERSION as RUN_FORMAT
from arena.runner import run
from replays.events import FORMAT_VERSION
from replays.lineage import build_lineage
from replays.replay import load_run, state_at, summary_from_events, without_volatile
from replays.schema import check_event

GOLDEN = Path(__file__).parents[1] / "golden" / "v1" / "run"


def shapes(events: list[dict[str, object]]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for e in events:
        out.setdefault(str(e["type"]), set()).update(e)
    return out


def test_format_version_is_pinned() -> None:
    assert FORMAT_VERSION == 1 and RUN_FORMAT == 1


def test_golden_reads_and_replays() -> None:
    data = load_run(GOLDEN)
    assert all(e["v"] == 1 and check_event(e) is None for e in data.events)
    saved = orjson.loads((GOLDEN / "summary.json").read_bytes())
    assert summary_from_events(data) == without_volatile(saved)
    assert state_at(data)["suite_size"] == saved["suites"]["evolved"]
    g = nx.node_link_graph(orjson.loads((GOLDEN / "lineage.json").read_bytes()), edges="links")
    assert nx.utils.graphs_equal(g, build_lineage(data))


def test_writer_still_writes_the_golden_format(tmp_path: Path) -> None:
    golden = load_run(GOLDEN)
    config = RunConfig.from_json(golden.config)
    fresh = load_run(run(config, tmp_path).run_dir)
    assert shapes(fresh.events) == shapes(golden.events)
