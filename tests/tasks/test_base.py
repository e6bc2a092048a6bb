"""Task base behaviour: suites, canonical encoding, and the on-disk cache of drawn inputs."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tasks import Case, Suite
from tasks.base import cached_inputs
from tasks.canonical import WireError, canonical, from_wire, to_wire

plain = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=10,
)


@given(plain)
def test_canonical_round_trip(value: Any) -> None:
    assert from_wire(to_wire(value)) == value
    assert canonical(from_wire(to_wire(value))) == canonical(value)


def test_canonical_is_type_strict() -> None:
    texts = {canonical(v) for v in (True, 1, 1.0, "1", [1], (1,))}
    assert len(texts) == 6
    assert canonical(float("nan")) == '{"F":"nan"}'
    assert math.isinf(from_wire(to_wire(float("-inf"))))
    assert canonical({"b": 1, "a": 2}) == canonical({"a": 2, "b": 1})

    class Sneaky(int):
        def __eq__(self, other: object) -> bool:
            return True

        __hash__ = int.__hash__

    with pytest.raises(WireError):
        to_wire(Sneaky(3))
    with pytest.raises(WireError):
        to_wire(object())


def test_suite_dedups_by_input_and_keeps_order() -> None:
    suite = Suite([Case(("a",), 1), Case(("b",), 2), Case(("a",), 3)])
    assert [c.args for c in suite] == [("a",), ("b",)]
    assert suite[0].expected == 1
    assert Suite.from_json(suite.to_json()).to_json() == suite.to_json()


def test_input_cache_stores_inputs_only(square_task, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ARENA_CACHE_DIR", str(tmp_path))
    calls = []

    def build() -> list[tuple[Any, ...]]:
        calls.append(1)
        return [(1,), (2,), (-3,)]

    assert cached_inputs(square_task, "hidden", build) == [(1,), (2,), (-3,)]
    assert cached_inputs(square_task, "hidden", build) == [(1,), (2,), (-3,)]
    assert len(calls) == 1
    (path,) = tmp_path.iterdir()
    assert "expected" not in path.read_text()
    path.write_text("{not json")
    assert cached_inputs(square_task, "hidden", build) == [(1,), (2,), (-3,)]
    assert len(calls) == 2
    monkeypatch.setenv("ARENA_CACHE_DIR", "")
    cached_inputs(square_task, "hidden", build)
    assert len(calls) == 3
