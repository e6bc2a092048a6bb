"""Shared fixtures: a tiny trusted task for sandbox tests, and one sandbox per session."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from arena.sandbox import Sandbox
from tasks import Args, InvalidInput, Task


class SquareTask(Task):
    """square(x: int) -> int on small ints: the smallest task the sandbox can be tested with."""

    name = "square"
    entry_point = "square"
    signature = "def square(x: int) -> int"
    spec = "Return x * x."
    time_limit = 0.5

    @property
    def seed_solution(self) -> str:
        return "def square(x):\n    return x + x\n"

    @property
    def reference_solution(self) -> str:
        return "def square(x):\n    return x * x\n"

    def oracle(self, args: Args) -> Any:
        (x,) = args
        if type(x) is not int or abs(x) > 10**6:
            raise InvalidInput("x must be an int of magnitude at most 10**6")
        return x * x

    def input_strategy(self) -> SearchStrategy[Args]:
        return st.tuples(st.integers(-1000, 1000))

    def fixed_inputs(self) -> list[Args]:
        return [(0,), (1,), (2,), (-3,)]

    def hidden_inputs(self) -> list[Args]:
        return [(x,) for x in range(-50, 50)]


@pytest.fixture(scope="session")
def square_task() -> SquareTask:
    return SquareTask()


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(workers=2) as box:
        yield box
