"""arena.report: the plots and report.html of a run dir (the golden run: nothing is re-run)."""

from __future__ import annotations

import base64
import re
import shutil
from pathlib import Path

import orjson
import pytest

import cli
from arena.errors import ArenaError
from arena.report import PLOTS, Report, series, write_report
from replays.events import read_events

GOLDEN = Path(__file__).parent.parent / "golden" / "v1" / "run"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    return write_report(GOLDEN, tmp_path_factory.mktemp("report"))


def test_writes_every_plot_and_inlines_it(report: Report) -> None:
    tmp_path = report.html.parent
    assert report.html == tmp_path / "report.html"
    assert sorted(p.name for p in report.images) == sorted(
        f"{name}.{suffix}" for name in PLOTS for suffix in ("png", "svg")
    )
    text = report.html.read_text()
    inlined = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)" alt="(\w+)"', text)
    assert [alt for _, alt in inlined] == list(PLOTS)
    for data, name in inlined:
        assert base64.b64decode(data) == (tmp_path / f"{name}.png").read_bytes()
    assert text.count("<img") == len(PLOTS)  # every image is inlined: self-contained
    summary = orjson.loads((GOLDEN / "summary.json").read_bytes())
    for row in summary["leaderboard"]:
        assert row["id"] in text
    assert "hidden (held out)" in text and "evolved (trained on)" in text
    for svg in tmp_path.glob("*.svg"):
        assert svg.read_text().lstrip().startswith("<?xml")


def test_series_agrees_with_the_events() -> None:
    events = list(read_events(GOLDEN / "events.jsonl"))
    s = series(events, GOLDEN)
    ends = [e for e in events if e["type"] == "round_end"]
    assert [p.round for p in s.rounds] == [e["round"] for e in ends]
    fixed = len(events[0]["fixed_suite"])
    assert s.fixed_size == fixed
    previous = fixed
    for p, e in zip(s.rounds, ends, strict=True):
        assert p.after == e["champion_score"] and p.suite_after == e["suite_size"]
        assert p.suite_before == previous and p.new_cases == e["suite_size"] - previous
        assert 0.0 <= p.grown <= 1.0 and 0.0 <= p.before <= 1.0
        previous = e["suite_size"]
    for p, e in zip(s.rounds[1:], ends, strict=False):
        assert p.before == pytest.approx(max(e["code"].values()))  # the leader = the best
    assert sorted(s.code) == list(range(events[0]["config"]["code"]))
    assert all(points[0][0] == 0 for points in s.code.values())


def test_prefers_engine_fields_when_present() -> None:
    events = list(read_events(GOLDEN / "events.jsonl"))
    for e in events:
        if e["type"] == "round_end":
            e["leader_before"], e["leader_grown"] = 0.25, 0.125
    s = series(events, GOLDEN)
    assert all(p.before == 0.25 and p.grown == 0.125 for p in s.rounds)


def test_bad_run_dir(tmp_path: Path) -> None:
    with pytest.raises(ArenaError, match="not a run dir"):
        write_report(tmp_path / "missing")
    with pytest.raises(ArenaError, match=r"run\.json"):
        write_report(tmp_path)


def test_cli_on_an_unfinished_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    run = tmp_path / "run"
    shutil.copytree(GOLDEN, run)
    (run / "summary.json").unlink()
    lines = (run / "events.jsonl").read_bytes().splitlines(keepends=True)
    first_end = next(i for i, line in enumerate(lines) if b'"type":"round_end"' in line)
    (run / "events.jsonl").write_bytes(b"".join(lines[: first_end + 1]))
    monkeypatch.setattr("sys.argv", ["arena", "report", str(run)])
    cli.main()
    assert "report.html" in capsys.readouterr().out
    html = (run / "report" / "report.html").read_text()
    assert "has not finished" in html and html.count("data:image/png;base64,") == len(PLOTS)
    assert "1 of 2 rounds played" in html
    monkeypatch.setattr("sys.argv", ["arena", "report", str(tmp_path / "nope")])
    with pytest.raises(SystemExit) as info:
        cli.main()
    assert info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("arena: error:") and "not a run dir" in err and "\n" not in err
