"""Core task vocabulary: Outcome, Case, Suite and the Task base class.

A task is a problem with a trusted oracle. Agents see its spec and its fixed suite, never its
hidden suite; every expected value comes from ``Task.oracle``.
"""

from __future__ import annotations

import copy
import enum
import hashlib
import inspect
import math
import os
import random
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
from hypothesis.strategies import SearchStrategy

from tasks.canonical import WireError, canonical, from_wire, to_wire

Args = tuple[Any, ...]
"""The positional arguments of one call of a task's entry point (plain JSON-like values)."""


class TaskError(Exception):
    """A task could not be found, built or used as asked (bad name, parameter or suite)."""


class InvalidInput(ValueError):
    """An input outside the task's documented domain; the oracle refuses to label it."""


class Outcome(enum.IntEnum):
    """Result of one solution on one case, as stored in an outcome matrix (int8)."""

    NOT_RUN = -1
    PASS = 0
    FAIL = 1
    ERROR = 2
    TIMEOUT = 3


def input_key(args: Args) -> str:
    """Canonical content hash of an input, used to deduplicate suites."""
    return hashlib.sha256(canonical(list(args)).encode()).hexdigest()[:16]


class Case:
    """One input with its oracle label and its origin ("fixed", "hidden" or "<agent>@<round>")."""

    __slots__ = ("__dict__", "args", "expected", "origin")

    def __init__(self, args: Args, expected: Any, origin: str = "fixed") -> None:
        self.args = tuple(args)
        self.expected = expected
        self.origin = origin

    @cached_property
    def key(self) -> str:
        return input_key(self.args)

    @cached_property
    def expected_wire(self) -> str:
        """Canonical text of the expected value, compared byte for byte with outputs."""
        return canonical(self.expected)

    def to_json(self) -> dict[str, Any]:
        return {
            "input": to_wire(list(self.args)),
            "expected": to_wire(self.expected),
            "origin": self.origin,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Case:
        return cls(tuple(from_wire(data["input"])), from_wire(data["expected"]), data["origin"])

    def __repr__(self) -> str:
        return f"Case(args={self.args!r}, expected={self.expected!r}, origin={self.origin!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Case):
            return NotImplemented
        return (self.key, self.expected_wire, self.origin) == (
            other.key,
            other.expected_wire,
            other.origin,
        )

    def __hash__(self) -> int:
        return hash((self.key, self.origin))


class Suite:
    """Ordered cases, deduplicated by the canonical hash of their input."""

    def __init__(self, cases: Iterable[Case] = ()) -> None:
        self._cases: list[Case] = []
        self._index: dict[str, int] = {}
        self.extend(cases)

    def add(self, case: Case) -> bool:
        """Append ``case``; return False (and keep the earlier one) if its input is known."""
        if case.key in self._index:
            return False
        self._index[case.key] = len(self._cases)
        self._cases.append(case)
        return True

    def extend(self, cases: Iterable[Case]) -> int:
        """Add every case; return how many were new."""
        return sum(self.add(c) for c in cases)

    def __contains__(self, item: object) -> bool:
        if isinstance(item, Case):
            return item.key in self._index
        return item in self._index

    def __len__(self) -> int:
        return len(self._cases)

    def __iter__(self) -> Iterator[Case]:
        return iter(self._cases)

    def __getitem__(self, i: int) -> Case:
        return self._cases[i]

    @property
    def cases(self) -> list[Case]:
        return list(self._cases)

    def to_json(self) -> list[dict[str, Any]]:
        return [c.to_json() for c in self._cases]

    @classmethod
    def from_json(cls, data: Iterable[dict[str, Any]]) -> Suite:
        return cls(Case.from_json(d) for d in data)


class MutationOperator(Protocol):
    """Rewrites solution source; returns None when it does not apply."""

    name: str

    def __call__(self, source: str, rng: random.Random) -> str | None: ...


class SafeOperator(ABC):
    """Base of mutation operators: ``apply`` does the work; a tree too deep or too big to
    handle gives None instead of an error, so no source can make an operator raise."""

    name: str

    def __call__(self, source: str, rng: random.Random) -> str | None:
        try:
            return self.apply(source, rng)
        except (RecursionError, MemoryError):
            return None

    @abstractmethod
    def apply(self, source: str, rng: random.Random) -> str | None:
        """The mutated source, or None when the operator does not apply."""


class Task(ABC):
    """A problem with a trusted oracle, an input strategy, and fixed and hidden suites.

    Subclasses set the class attributes and implement the abstract methods. ``kind`` is
    "function" when solutions define a function ``entry_point`` called once per case, and
    "data" when they define a constant ``entry_point`` that the arena judges itself
    (``judge_data``) against every case.
    """

    name: str
    entry_point: str
    signature: str
    spec: str
    kind: Literal["function", "data"] = "function"
    time_limit: float = 1.0
    """Seconds one case may run before it is a timeout."""
    float_tolerance: float | None = None
    """If set, floats in outputs match within this absolute-or-relative tolerance."""

    @property
    @abstractmethod
    def seed_solution(self) -> str:
        """The starting solution source shown to agents."""

    @property
    @abstractmethod
    def reference_solution(self) -> str:
        """A trusted correct solution source (the oracle as code)."""

    def seed_solutions(self) -> list[str]:
        """The offline starting pool; by default just ``seed_solution``."""
        return [self.seed_solution]

    @abstractmethod
    def oracle(self, args: Args) -> Any:
        """The true output for ``args``; raise InvalidInput outside the domain."""

    @abstractmethod
    def input_strategy(self) -> SearchStrategy[Args]:
        """A hypothesis strategy of in-domain inputs (argument tuples)."""

    @abstractmethod
    def fixed_inputs(self) -> list[Args]:
        """The inputs of the fixed suite, the kind of suite a starter benchmark has."""

    @abstractmethod
    def hidden_inputs(self) -> list[Args]:
        """The inputs of the hidden suite; deterministic; never shown to agents."""

    def mutation_operators(self, suite: Sequence[Case] = ()) -> list[MutationOperator]:
        """Task-specific offline mutation operators (the generic AST ones live elsewhere).

        ``suite`` is the suite the agents are scored on right now (never the hidden one), for
        operators that learn from its cases; the operators' names must not depend on it.
        """
        return []

    # ---- derived behaviour -------------------------------------------------------------

    def label(self, args: Args, origin: str) -> Case:
        """Label ``args`` with the oracle; raise InvalidInput if outside the domain."""
        args = tuple(args)
        try:
            to_wire(list(args))
        except WireError as exc:
            raise InvalidInput(f"input has no canonical form: {exc}") from exc
        expected = self.oracle(copy.deepcopy(args))
        return Case(args, expected, origin)

    def label_all(self, inputs: Iterable[Args], origin: str) -> tuple[Suite, list[Args]]:
        """Label many inputs; return the suite of valid ones and the rejected inputs."""
        suite, rejected = Suite(), []
        for args in inputs:
            try:
                suite.add(self.label(args, origin))
            except InvalidInput:
                rejected.append(tuple(args))
        return suite, rejected

    @cached_property
    def _fixed(self) -> Suite:
        suite, rejected = self.label_all(self.fixed_inputs(), "fixed")
        if rejected:
            raise TaskError(f"{self.name}: fixed input outside the domain: {rejected[0]!r}")
        return suite

    @cached_property
    def _hidden(self) -> Suite:
        suite, rejected = self.label_all(
            cached_inputs(self, "hidden", self.hidden_inputs), "hidden"
        )
        if rejected:
            raise TaskError(f"{self.name}: hidden input outside the domain: {rejected[0]!r}")
        return suite

    def fixed_suite(self) -> Suite:
        return Suite(self._fixed)

    def hidden_suite(self) -> Suite:
        return Suite(self._hidden)

    def args_from_json(self, item: Any) -> Args:
        """Turn one element of a user's input file into an argument tuple.

        Single-parameter tasks take the bare value; others take a list of arguments.
        """
        if self.arity == 1:
            return (item,)
        if not isinstance(item, list) or len(item) != self.arity:
            raise TaskError(f"{self.name}: each input must be a list of {self.arity} arguments")
        return tuple(item)

    @property
    def arity(self) -> int:
        """Number of positional parameters of the entry point."""
        return 1

    def outputs_match(self, expected_wire: str, actual_wire: str) -> bool:
        """Whether an output (canonical text) is right; exact unless ``float_tolerance``."""
        if expected_wire == actual_wire:
            return True
        if self.float_tolerance is None:
            return False
        import orjson

        try:
            exp, act = orjson.loads(expected_wire), orjson.loads(actual_wire)
        except orjson.JSONDecodeError:
            return False
        return _close(exp, act, self.float_tolerance)

    def judge_data(self, value: Any, cases: Sequence[Case]) -> np.ndarray:
        """For "data" tasks: outcomes (int8, shape (len(cases),)) of a solution's constant."""
        raise TaskError(f"{self.name} is not a data task")

    def data_metrics(self, value: Any) -> dict[str, Any]:
        """For "data" tasks: descriptive numbers of a solution's constant (size, depth)."""
        return {}

    def data_cost(self, value: Any) -> tuple[float, ...]:
        """For "data" tasks: the cost of a solution's constant, smaller is better, compared
        between solutions that pass the same share of the suite (before source length). The
        same length for every value, malformed ones included; () means no cost of its own."""
        return ()


def cache_dir() -> Path | None:
    """Where drawn suites are cached: $ARENA_CACHE_DIR, else the user cache dir; None if off.

    Set ARENA_CACHE_DIR to an empty string to turn the cache off.
    """
    env = os.environ.get("ARENA_CACHE_DIR")
    if env is not None:
        return Path(env) if env else None
    import platformdirs

    return Path(platformdirs.user_cache_dir("arena")) / "suites"


def cached_inputs(task: Task, kind: str, build: Callable[[], list[Args]]) -> list[Args]:
    """``build()``, cached on disk by the task's name and source and hypothesis's version.

    Only inputs are cached; the oracle labels them again on every load, so a stale or edited
    cache file can never change an expected value. Unreadable cache files are rebuilt.
    """
    import hypothesis
    import orjson

    folder = cache_dir()
    if folder is None:
        return build()
    try:
        source = inspect.getsource(type(task))
    except (OSError, TypeError):
        return build()
    digest = hashlib.sha256(
        f"{task.name}|{kind}|{hypothesis.__version__}|{source}".encode()
    ).hexdigest()[:16]
    path = folder / f"{task.name.replace(':', '_').replace('=', '')}-{kind}-{digest}.json"
    try:
        return [tuple(from_wire(item)) for item in orjson.loads(path.read_bytes())]
    except (OSError, orjson.JSONDecodeError, WireError, TypeError):
        pass
    inputs = build()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(orjson.dumps([to_wire(list(a)) for a in inputs]))
        os.replace(tmp, path)
    except OSError:
        pass
    return inputs


def _close(exp: Any, act: Any, tol: float) -> bool:
    if type(exp) is float and type(act) in (float, int) and type(act) is not bool:
        return math.isclose(exp, act, rel_tol=tol, abs_tol=tol)
    if type(exp) is not type(act):
        return False
    if isinstance(exp, list):
        return len(exp) == len(act) and all(
            _close(a, b, tol) for a, b in zip(exp, act, strict=True)
        )
    if isinstance(exp, dict):
        return exp.keys() == act.keys() and all(_close(exp[k], act[k], tol) for k in exp)
    return bool(exp == act)
